/* Compiles include/halong/config.h alone: a public header carries its own includes. */
#include "halong/config.h"
