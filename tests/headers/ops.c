/* Compiles include/halong/ops.h alone: a public header carries its own includes. */
#include "halong/ops.h"
