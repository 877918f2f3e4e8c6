/* Compiles include/halong/plans.h alone: a public header carries its own includes. */
#include "halong/plans.h"
