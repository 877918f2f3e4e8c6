/* Every public header compiles as C++ too (extern "C"). */
#include "halong/archive.h"
#include "halong/common.h"
#include "halong/search.h"
#include "halong/store.h"
#include "halong/text.h"
#include "halong/store_units.h"
#include "halong/units.h"
#include "halong/util.h"
