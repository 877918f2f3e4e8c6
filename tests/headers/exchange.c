/* Compiles include/halong/exchange.h alone: a public header carries its own includes. */
#include "halong/exchange.h"
