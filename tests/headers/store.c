/* Compiles include/halong/store.h alone: a public header carries its own includes. */
#include "halong/store.h"
