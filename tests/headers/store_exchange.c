/* Compiles include/halong/store_exchange.h alone: a public header carries its own includes. */
#include "halong/store_exchange.h"
