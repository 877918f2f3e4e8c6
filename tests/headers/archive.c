/* Compiles include/halong/archive.h alone: a public header carries its own includes. */
#include "halong/archive.h"
