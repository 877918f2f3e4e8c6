/* Compiles include/halong/store_auth.h alone: a public header carries its own includes. */
#include "halong/store_auth.h"
