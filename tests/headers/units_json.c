/* Compiles include/halong/units_json.h alone: a public header carries its own includes. */
#include "halong/units_json.h"
