/* Compiles include/halong/exchange_json.h alone: a public header carries its own includes. */
#include "halong/exchange_json.h"
