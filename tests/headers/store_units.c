/* Compiles include/halong/store_units.h alone: a public header carries its own includes. */
#include "halong/store_units.h"
