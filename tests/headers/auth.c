/* Compiles include/halong/auth.h alone: a public header carries its own includes. */
#include "halong/auth.h"
