/* Compiles include/halong/backup.h alone: a public header carries its own includes. */
#include "halong/backup.h"
