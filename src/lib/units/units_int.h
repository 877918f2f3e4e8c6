/* Internals shared by the units module's files: dates and names. */
#ifndef HL_UNITS_INT_H
#define HL_UNITS_INT_H

#include "store/store_units.h"
#include "halong/units.h"

/* ISO date plus `days` (may be negative) into out. */
void hl_units__date_add(char out[11], const char *iso, int days);
/* Type and short name of a full name ("Phường Hà Phong" -> phường, "Hà Phong") at the level a
 * code's length tells (2 province, 3 district, 5 commune); *short_name is malloc'd. Returns
 * HL_UNIT_UNKNOWN (and the full name as short name) when no prefix is known. */
hl_unit_type hl_units__type_of(char **short_name, const char *full_name, const char *code);
/* " folded words " of a name, malloc'd; NULL on bad UTF-8 (error set). */
char *hl_units__fold(const char *s);
/* Succession kind of a merge_type text; 0 if not recognised. */
hl_succ_kind hl_units__kind_of(const char *merge_type);
hl_succ_kind hl_units__kind_from_name(const char *name);
/* Frees what a unit holds, not the unit itself. */
void hl_units__unit_clear(hl_unit *u);

#endif
