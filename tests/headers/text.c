/* Compiles include/halong/text.h alone: a public header carries its own includes. */
#include "halong/text.h"
