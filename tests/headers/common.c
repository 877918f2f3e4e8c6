/* Compiles include/halong/common.h alone: a public header carries its own includes. */
#include "halong/common.h"
