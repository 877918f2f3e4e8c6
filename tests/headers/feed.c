/* Compiles include/halong/feed.h alone: a public header carries its own includes. */
#include "halong/feed.h"
