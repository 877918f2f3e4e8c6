/* Compiles include/halong/plans_json.h alone: a public header carries its own includes. */
#include "halong/plans_json.h"
