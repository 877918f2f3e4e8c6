/* Compiles include/halong/jobs.h alone: a public header carries its own includes. */
#include "halong/jobs.h"
