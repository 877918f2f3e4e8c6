/* Compiles include/halong/search.h alone: a public header carries its own includes. */
#include "halong/search.h"
