/* Compiles include/halong/archive_json.h alone: a public header carries its own includes. */
#include "halong/archive_json.h"
