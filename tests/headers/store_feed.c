/* Compiles include/halong/store_feed.h alone: a public header carries its own includes. */
#include "halong/store_feed.h"
