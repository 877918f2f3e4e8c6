/* Internals shared by the files of catalog/. */
#ifndef HL_CATALOG_INT_H
#define HL_CATALOG_INT_H

#include <regex.h>
#include <stdio.h>

#include "halong/catalog.h"

/* A cell normalised: at most this many bytes of text for a non-string (strings are kept). */
#define HL_CATALOG__NORM 64

/* Checks `v` (not a missing value) against f's type: 0 and the normalised text in norm (an
 * integer "%lld", a number "%a" (hex: exact, never shown), a boolean true/false, a date yyyy-mm-dd,
 * a geopoint "lon,lat"; a string: norm[0] = 0, the value as it is), or HL_EINVALID with why. */
int hl_catalog__type(char norm[HL_CATALOG__NORM], const hl_field *f, const char *v, char *why,
                     size_t whylen);
/* Checks a typed value (the normalised text, or v for a string) against f's constraints but
 * required and unique; re: f's pattern compiled (NULL: none); shown: the value as written, for
 * the message. 0 or HL_EINVALID with why. */
int hl_catalog__constraints(const hl_field *f, const regex_t *re, const char *value,
                            const char *shown, char *why, size_t whylen);
/* Compiles f's pattern, anchored at both ends. */
int hl_catalog__regcomp(regex_t *re, const hl_field *f);
/* Is `v` one of the schema's missing values? */
int hl_catalog__missing(const hl_table_schema *s, const char *v);
/* The schema as stored: compact JSON text, malloc'd. */
char *hl_catalog__schema_text(const hl_table_schema *s);

/* Rows from CSV or XLSX, told by the content. */
typedef struct {
	void *csv, *xlsx;
} hl_catalog__rows;
int hl_catalog__rows_open(hl_catalog__rows *r, const char *path, const char *sheet);
int hl_catalog__rows_next(hl_catalog__rows *r, char ***f, size_t *n, uint64_t *line);
/* Bytes read so far and the size (CSV; 0, 0 for XLSX). */
void hl_catalog__rows_progress(const hl_catalog__rows *r, uint64_t *done, uint64_t *total);
void hl_catalog__rows_free(hl_catalog__rows *r);

/* Is `id` a dataset id: 1-64 of A-Z a-z 0-9 - _ . (not . or ..)? */
int hl_catalog__id_ok(const char *id);
/* May `who` read a dataset of level `access` by their role alone (no agency, no grant)? */
int hl_catalog__may_read(const hl_principal *who, int access);
/* The agency `who` belongs to for sharing (hl_plans_user_agency: auth_user's agency_code, else
 * their unit): "" for anonymous and the local operator. */
int hl_catalog__agency_of(char out[33], hl_store *st, const hl_principal *who);
/* THE access rule of a dataset (every verb reaches a dataset through it, by hl_catalog__open
 * and hl_dataset_list): 1 when `who` may read dataset `iid` (owner's code `owner`, level
 * `access`), 0 when not, or an error. Readable: by the role's ceiling (hl_catalog__may_read),
 * or — a signed-in user, a level internal or restricted, never secret — when their agency
 * (`agency`, from hl_catalog__agency_of; "" none) owns the dataset or holds a grant of it
 * still in force today (*by_grant = 1 then: a grant reads, it never writes). */
int hl_catalog__may_read_ds(hl_store *st, const hl_principal *who, const char *agency, int64_t iid,
                            const char *owner, int access, int *by_grant);
/* An agency's code from a code or a name: the agencies register (hl_agency_find), else a
 * unit's code (hl_units_show). HL_EINVALID naming `field` and the closest agencies. */
int hl_catalog__agency_code(char **out, hl_store *st, const char *name, const char *field);
/* hl_dataset_create, the owner taken as a code as it is when owner_as_is (a dataset that came
 * from the hub's feed: the hub's agency, maybe not in this node's register). Inside the
 * caller's transaction when there is one. */
int hl_catalog__create(hl_dataset **out, hl_store *st, const hl_principal *who,
                       const hl_dataset_new *d, int owner_as_is);
/* The stored dataset `id` readable by who: its internal id, its types and the dataset
 * (HL_ENOTFOUND alike for absent and unreadable). */
typedef struct {
	hl_dataset *d;
	int64_t iid;
	int *types;
	int by_grant; /* readable only through a grant (hl_catalog__may_read_ds): never written */
} hl_catalog__ds;
int hl_catalog__open(hl_catalog__ds *out, hl_store *st, const hl_principal *who, const char *id);
void hl_catalog__close(hl_catalog__ds *ds);

/* hl_dataset_load, telling `bad` each of the first HL_CATALOG_MAX_ERRORS bad cells in parts
 * (a bad row: column 0, field and value NULL) as hl_dataset_load_stats.errors names them. */
typedef void (*hl_catalog__bad_cb)(uint64_t line, size_t column, const char *field,
                                   const char *value, const char *why, void *ud);
int hl_catalog__load(hl_dataset_load_stats *out, hl_store *st, const hl_principal *who,
                     const char *id, const char *path, const hl_dataset_load_opts *opts,
                     hl_catalog__bad_cb bad, void *bad_ud);

/* ---- publishing (datapackage.c, publish.c) ---- */

/* Is `v` a text that a spreadsheet could take for a formula once its leading single quotes are
 * taken off (= + - @ tab CR after any number of ')? The Data Package's CSV prefixes each such
 * text cell with one more ' (lossless: reading it back takes exactly one off). */
int hl_catalog__formula_escaped(const char *v);
/* Writes one CSV row to f: a text cell (types[i] HL_FIELD_STRING) beginning with = + - @, a tab
 * or a CR prefixed with ' (lossless: also one beginning with ' then one of those, so that a
 * reader takes exactly one ' off); a missing cell empty. HL_EIO when f fails. */
int hl_catalog__csv_row(FILE *f, const char *const *cells, const int *types, size_t n,
                        int lossless);
/* hl_dataset_export in CSV with that lossless prefix (the Data Package's resource). */
int hl_catalog__export_csv_lossless(uint64_t *rows, hl_store *st, const hl_principal *who,
                                    const char *id, int version, const char *path);
/* A licence as written ("CC BY 4.0", "cc-by-4.0", its URL) as an Open Definition id and its
 * URL: 0, or -1 for one of no known name. */
int hl_catalog__licence(const char *text, const char **id, const char **url);

#endif
