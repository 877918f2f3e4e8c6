/* Compiles include/halong/catalog_json.h alone: a public header carries its own includes. */
#include "halong/catalog_json.h"
