/* Compiles include/halong/units.h alone: a public header carries its own includes. */
#include "halong/units.h"
