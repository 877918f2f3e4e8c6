/* Compiles include/halong/ocr.h alone: a public header carries its own includes. */
#include "halong/ocr.h"
