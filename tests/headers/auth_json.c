/* Compiles include/halong/auth_json.h alone: a public header carries its own includes. */
#include "halong/auth_json.h"
