/* Compiles include/halong/catalog.h alone: a public header carries its own includes. */
#include "halong/catalog.h"
