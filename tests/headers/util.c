/* Compiles include/halong/util.h alone: a public header carries its own includes. */
#include "halong/util.h"
