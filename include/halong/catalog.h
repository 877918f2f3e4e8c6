/* The shared database (issue 14): datasets that agencies publish, each with a Frictionless Table
 * Schema, loaded from CSV or XLSX into versions that all stay readable and can be compared. */
#ifndef HALONG_CATALOG_H
#define HALONG_CATALOG_H

#include <stdio.h>

#include "auth.h"
#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the schema (Frictionless Table Schema) ---- */

typedef enum {
	HL_FIELD_STRING = 0,
	HL_FIELD_INTEGER,
	HL_FIELD_NUMBER,
	HL_FIELD_DATE,
	HL_FIELD_BOOLEAN,
	HL_FIELD_GEOPOINT,
} hl_field_type;

/* "string", "integer", "number", "date", "boolean", "geopoint". */
const char *hl_field_type_name(hl_field_type t);

/* One column. An administrative unit code is a Table Schema "string" with the custom property
 * "unitCode": true (unit != 0): any Table Schema validator accepts it, halong checks the code
 * against the units valid on the dataset's date. */
typedef struct {
	char *name, *title, *description;
	hl_field_type type;
	int unit;
	/* constraints */
	int required, unique;
	char *minimum, *maximum; /* as written (a number or a date); NULL: none */
	char **enums;            /* allowed values as written; NULL when nenums is 0 */
	size_t nenums;
	char *pattern; /* a regular expression (POSIX ERE) the whole value matches; NULL: none */
	int64_t min_length; /* characters of a string; -1: none */
	int64_t max_length;
} hl_field;

typedef struct {
	hl_field *fields;
	size_t nfields;
	size_t *pkey; /* the primary key's fields, as indices into fields; npkey 0: none */
	size_t npkey;
	char **missing; /* missingValues (default: [""]) */
	size_t nmissing;
} hl_table_schema;

void hl_table_schema_free(hl_table_schema *s);
/* At most this many fields. */
#define HL_SCHEMA_MAX_FIELDS 256

/* Parses a Table Schema document (JSON text of `len` bytes; `name` names it in messages). Each
 * error is HL_EINVALID naming the field ("schema.json: field \"value\": unknown type
 * \"money\""). Field names: 1–128 bytes, unique. */
int hl_schema_parse(hl_table_schema **out, const char *json, size_t len, const char *name);
/* Reads and parses a schema file (at most 1 MiB). */
int hl_schema_read(hl_table_schema **out, const char *path);

typedef struct {
	const char *sheet; /* XLSX: the sheet (NULL: the first) */
	const char *key;   /* "a,b": the primary key's columns (NULL: none) */
	const char *unit;  /* "a,b": columns of administrative unit codes (inferred string) */
	hl_progress_cb progress;
	void *ud;
} hl_schema_infer_opts;

/* Infers a schema from a CSV or XLSX file's header and EVERY row (streaming): each column gets
 * the narrowest type that all its non-missing cells fit (integer, number, boolean, date,
 * string), a column with an integer written with a leading zero ("06652") stays a string (a
 * code), an empty column is a string. Columns named in opts->key are the primary key (required);
 * those in opts->unit are unit codes (a column that is not a string then is HL_EINVALID).
 * A row with another number of cells than the header is HL_EINVALID naming its line. */
int hl_schema_infer(hl_table_schema **out, const char *path, const hl_schema_infer_opts *opts);

/* ---- datasets ---- */

/* Sectors a dataset belongs to (the six of issue 14 first). */
extern const char *const hl_catalog_sectors[];

typedef struct {
	char *id; /* 1–64 of A-Z a-z 0-9 - _ . */
	char *title, *description;
	char *owner;     /* an agency's code (the agencies register) or a unit's code; NULL: none */
	char *sector;    /* one of hl_catalog_sectors */
	char **keywords; /* nkeywords */
	size_t nkeywords;
	char *licence, *frequency, *provenance; /* NULL: not said */
	char *
	    date; /* yyyy-mm-dd: the day its unit codes are checked against; NULL: the load's day */
	hl_access access;
	hl_table_schema *schema;
	int version;  /* the current version; 0 before the first load */
	int64_t rows; /* rows of the current version */
	char *created_at, *created_by;
	char *loaded_at; /* when the current version was loaded (UTC); NULL before a load */
} hl_dataset;

void hl_dataset_free(hl_dataset *d);

typedef struct {
	size_t n;
	hl_dataset **v;
} hl_datasets;
void hl_datasets_free(hl_datasets *l);

/* What a new dataset is: the fields of hl_dataset a creator gives (id, title, schema required;
 * owner as a code or a name the agencies register knows, or a unit's code). */
typedef struct {
	const char *id, *title, *description, *owner, *sector, *licence, *frequency, *provenance,
	    *date;
	const char *const *keywords;
	size_t nkeywords;
	hl_access access;
	const hl_table_schema *schema;
} hl_dataset_new;

/* Creates a dataset (its row table made in the same transaction), audited "dataset.create".
 * HL_EINVALID naming the bad field, HL_ECONFLICT when the id exists, HL_EDENIED for a caller
 * who may not create (the local operator, an officer or above may). *out may be NULL. */
int hl_dataset_create(hl_dataset **out, hl_store *st, const hl_principal *who,
                      const hl_dataset_new *d);
/* The dataset `id` as `who` may read it: HL_ENOTFOUND for a missing one and one above the
 * caller's ceiling alike. */
int hl_dataset_get(hl_dataset **out, hl_store *st, const hl_principal *who, const char *id);
/* The datasets `who` may read, by id. */
int hl_dataset_list(hl_datasets **out, hl_store *st, const hl_principal *who);

/* ---- loading ---- */

typedef struct {
	int replace; /* rows of the current version absent from the file are removed */
	const char
	    *rejects; /* a CSV of every bad cell (row, column, field, value, error); NULL: none */
	const char *sheet; /* XLSX: the sheet (NULL: the first) */
	const char *name;  /* the source's name recorded (NULL: the path's last part) */
	hl_progress_cb progress;
	void *ud;
} hl_dataset_load_opts;

/* At most this many bad cells are kept in hl_dataset_load_stats.errors (all are counted and all
 * go to the rejects file). */
#define HL_CATALOG_MAX_ERRORS 1000
/* A source file larger than this is HL_ELIMIT before any byte is read. */
#define HL_CATALOG_MAX_FILE ((int64_t)8 << 30)

typedef struct {
	int version;     /* the version made; the current one when nothing changed */
	int new_version; /* 1 when this load made a version */
	uint64_t rows;   /* data rows read */
	uint64_t added, changed, removed, unchanged, rejected;
	uint64_t bad_cells;
	char sha256[65];
	char **errors; /* "FILE:LINE: column FIELD: why", at most HL_CATALOG_MAX_ERRORS */
	size_t nerrors;
} hl_dataset_load_stats;
void hl_dataset_load_stats_free(hl_dataset_load_stats *s);

/* Loads a CSV or XLSX file into dataset `id` in ONE transaction: the header names the schema's
 * fields (each once; a column the schema lacks, or a field missing, refuses the file); every
 * cell is checked against its field's type and constraints (a unit code against the units valid
 * on the dataset's date); a row with a bad cell, a wrong number of cells or a primary key
 * already seen in the file is rejected, each reason named by line and column, and the good
 * rows load: a row whose key is new is added, one whose values differ closes the current row
 * and adds the new one, an identical one is unchanged. A load that changes nothing makes no
 * version. Audited "dataset.load". */
int hl_dataset_load(hl_dataset_load_stats *out, hl_store *st, const hl_principal *who,
                    const char *id, const char *path, const hl_dataset_load_opts *opts);

/* ---- versions, diff, export ---- */

typedef struct {
	int version;
	char *loaded_at, *loaded_by, *source, *sha256;
	int64_t size;
	int replace;
	uint64_t rows, added, changed, removed, unchanged, rejected;
} hl_dataset_version;

typedef struct {
	size_t n;
	hl_dataset_version *v;
} hl_dataset_versions;
void hl_dataset_versions_free(hl_dataset_versions *l);
/* The versions of dataset `id`, oldest first. */
int hl_dataset_versions_list(hl_dataset_versions **out, hl_store *st, const hl_principal *who,
                             const char *id);

typedef enum { HL_DIFF_ADDED = 1, HL_DIFF_REMOVED, HL_DIFF_CHANGED } hl_diff_kind;
/* One row of a diff: its key's values (npkey, or every field without a primary key), the row
 * in v1 (old; NULL when added) and in v2 (new; NULL when removed), nfields each, NULL cells
 * missing; changed[i] for the fields that differ (a changed row). Valid during the call. */
typedef struct {
	hl_diff_kind kind;
	const char *const *key;
	size_t nkey;
	const char *const *old, *const *new_;
	const int *changed;
	size_t nfields;
} hl_diff_row;
typedef int (*hl_diff_cb)(const hl_diff_row *r, void *ud);
typedef struct {
	uint64_t added, removed, changed;
} hl_diff_stats;
/* Compares versions v1 and v2 of `id` by primary key, calling cb for each row added, removed or
 * changed (by key). */
int hl_dataset_diff(hl_diff_stats *out, hl_store *st, const hl_principal *who, const char *id,
                    int v1, int v2, hl_diff_cb cb, void *ud);

typedef enum { HL_EXPORT_CSV, HL_EXPORT_JSON, HL_EXPORT_XLSX } hl_export_format;
int hl_export_format_parse(hl_export_format *out, const char *s);

/* Writes version `version` (0: the current one) of `id` to `path` (NULL: stdout for CSV and
 * JSON), audited "dataset.export" when it is above public. A text cell beginning with = + - @
 * (or a tab or carriage return) is never a formula: CSV prefixes it with a single quote (OWASP's
 * advice for CSV injection), XLSX writes it as a string; JSON keeps it as it is. *rows: rows
 * written (may be NULL). */
int hl_dataset_export(uint64_t *rows, hl_store *st, const hl_principal *who, const char *id,
                      int version, hl_export_format format, const char *path);

/* The row callback of hl_dataset_rows: nfields cells as text (NULL: missing). */
typedef int (*hl_row_cb)(const char *const *cells, size_t nfields, void *ud);
/* Every row of version `version` (0: current) of `id`, in the order their keys were first
 * loaded (a changed row keeps its place). */
int hl_dataset_rows(hl_store *st, const hl_principal *who, const char *id, int version,
                    hl_row_cb cb, void *ud);

/* ---- querying (the query helper's section) ---- */

typedef enum {
	HL_Q_EQ = 0,  /* = */
	HL_Q_NE,      /* != */
	HL_Q_LT,      /* < */
	HL_Q_LE,      /* <= */
	HL_Q_GT,      /* > */
	HL_Q_GE,      /* >= */
	HL_Q_IN,      /* in (a, b, …) */
	HL_Q_NULL,    /* is null */
	HL_Q_NOTNULL, /* is not null */
	HL_Q_MATCH,   /* ~ text: the field's text holds it, tones and case aside (string fields) */
	HL_Q_BETWEEN  /* between a and b (both included) */
} hl_query_op;

/* One condition on a field: values as written, checked against the field's type by the query. */
typedef struct {
	char *field;
	hl_query_op op;
	char **values;
	size_t nvalues;
} hl_query_cond;

typedef struct {
	hl_query_cond *v;
	size_t n;
} hl_query_where;
void hl_query_where_free(hl_query_where *w);

/* Parses a filter: conditions joined by "and" (case ignored), each `FIELD OP VALUE` with OP one
 * of = != <> < <= > >= ~, or `FIELD in (A, B, …)`, `FIELD between A and B`, `FIELD is null`,
 * `FIELD is not null`; a value may be quoted with "…" or '…' (to hold spaces, commas or the
 * word "and"; a doubled quote inside is one). `FIELD ~ TEXT` keeps the rows whose text holds
 * TEXT with the archive's folding (hl_text_fold: case, tones and diacritics aside, đ as d:
 * "ha long" finds "Hạ Long"). At most 32 conditions and 1,000 values. HL_EINVALID naming the
 * position. Never SQL: the query binds each value as a parameter. */
int hl_query_where_parse(hl_query_where **out, const char *expr);

typedef struct {
	const hl_query_where *where; /* NULL: every row */
	const char *group_by;        /* a field; NULL: no grouping */
	int count;                   /* count the rows (of each group): column "count" */
	/* aggregates of one field each (NULL: none), columns "sum", "avg", "min", "max": sum and
	 * avg of an integer or number, min and max of those, a date or a string */
	const char *sum, *avg, *min, *max;
	const char *columns; /* "a,b": the fields given, in that order (rows only); NULL: all */
	/* "-population,name": the order, each field ascending or with '-' descending (rows: any
	 * field; groups: the group's field or count sum avg min max); then as loaded (rows) or by
	 * the group's value; NULL: only that */
	const char *sort;
	int version;        /* 0: the current one */
	uint64_t limit;     /* rows (or groups) at most; 0: HL_QUERY_DEFAULT_LIMIT (stream: all) */
	uint64_t max_limit; /* a larger limit is this one; 0: HL_QUERY_MAX_LIMIT (stream: none) */
	uint64_t offset;
	unsigned timeout_ms; /* 0: 1,000; past it, HL_ELIMIT "the query took longer than N ms" */
	/* Every row the filter keeps, one callback each, memory bounded: no default limit and no
	 * cap, and the time limit counts SQLite's work before the first row and between two rows
	 * (not the callback's); no total. */
	int stream;
	uint64_t *total; /* non-NULL: the rows (groups) matched, ignoring limit and offset */
	int *more;       /* non-NULL: 1 when rows (groups) follow the last one given */
	int *expired;    /* non-NULL: 1 when the time limit stopped the query (HL_ELIMIT) */
} hl_dataset_query_opts;

#define HL_QUERY_DEFAULT_LIMIT 100
#define HL_QUERY_MAX_LIMIT     10000
/* The cap of the HTTP API's JSON answers (the CLI's is HL_QUERY_MAX_LIMIT). */
#define HL_QUERY_API_MAX_LIMIT 1000

/* The rows (or, with group_by or an aggregate, the groups) of dataset `id` the filter keeps, in
 * order. cb first gets the column names (cells NULL: names in `names`), then each row. Values
 * are checked against their field's type (HL_EINVALID naming the field); a field the schema
 * lacks is HL_EINVALID naming it and the part of the query (where, sort, columns, group by,
 * sum…). A dataset `who` may not read is HL_ENOTFOUND as a missing one. A query of a
 * restricted or secret dataset is audited "dataset.query" (the version and the rows given,
 * never the filter's values). */
typedef int (*hl_query_cb)(const char *const *names, const char *const *cells, size_t n, void *ud);
int hl_dataset_query(hl_store *st, const hl_principal *who, const char *id,
                     const hl_dataset_query_opts *opts, hl_query_cb cb, void *ud);

/* ---- the catalogue's search, the API's loads and their rejects ("api" section, issue 14) ----
 *
 * What `GET /api/v1/datasets` and `halong dataset list` find, and the rejects of a load kept
 * in the data directory for those who may read the dataset. */

typedef struct {
	const char *q;      /* words each found, tones and case ignored, in the title, description
	                       or keywords (the archive's folding); NULL or "": no condition */
	const char *sector; /* one of hl_catalog_sectors; NULL: any */
	const char *owner;  /* an owner's code as stored; NULL: any */
	const char *unit;   /* a unit's code: datasets owned by it or whose unit-code columns hold
	                       it in their current version; NULL: any */
	size_t limit;       /* datasets returned at most; 0: every one */
	size_t offset;
} hl_dataset_search_opts;

/* One value of a facet: how many datasets found have it; name: the owner's name (the agency's
 * or the unit's) or NULL. */
typedef struct {
	char *value, *name;
	size_t count;
} hl_dataset_facet;

typedef struct {
	hl_datasets page;   /* the datasets of [offset, offset + limit) of those found, by id */
	char **owner_names; /* page.n: each one's owner's name, or NULL */
	size_t total;       /* datasets found */
	hl_dataset_facet *sectors, *owners; /* over every dataset found, by value */
	size_t nsectors, nowners;
} hl_dataset_found;
void hl_dataset_found_free(hl_dataset_found *f);

/* The datasets `who` may read that match every condition of `o`, a page of them and the facets
 * by sector and owner over all those found. HL_EINVALID naming the parameter (an unknown
 * sector). */
int hl_dataset_search(hl_dataset_found **out, hl_store *st, const hl_principal *who,
                      const hl_dataset_search_opts *o);

/* One bad cell (or row: column 0, field NULL) of a load, in parts: the first
 * HL_CATALOG_MAX_ERRORS, as hl_dataset_load_stats.errors says them. */
typedef struct {
	uint64_t line;
	size_t column;
	char *field, *value, *error;
} hl_dataset_load_error;

/* hl_dataset_load, keeping the rejects file of a load that made a version in the data directory
 * `home` (home/catalog/rejects/ID/VERSION.csv, folders 0700, file 0600) for
 * hl_dataset_rejects_open; *bad (*nbad) gets the first bad cells in parts, also when the load
 * fails (freed with hl_dataset_load_errors_free). opts->rejects is
 * ignored; opts->name (default "upload") names the file in every message, never `path`. *kept: 1
 * when a rejects file was kept. */
int hl_dataset_load_keep(hl_dataset_load_stats *out, hl_dataset_load_error **bad, size_t *nbad,
                         int *kept, hl_store *st, const hl_principal *who, const char *home,
                         const char *id, const char *path, const hl_dataset_load_opts *opts);
void hl_dataset_load_errors_free(hl_dataset_load_error *v, size_t n);
/* May `who` load dataset `id`? 0; HL_EDENIED (not an officer or above), HL_ENOTFOUND (missing
 * or unreadable): what hl_dataset_load would answer first, asked before an upload is kept. */
int hl_dataset_may_load(hl_store *st, const hl_principal *who, const char *id);

/* The rejects CSV kept for version `version` of `id` (line, column, field, value, error), open
 * for reading (*fd), for a caller who may read the dataset (HL_ENOTFOUND otherwise, and when
 * none was kept); audited "dataset.rejects" above public. */
int hl_dataset_rejects_open(int *fd, hl_store *st, const hl_principal *who, const char *home,
                            const char *id, int version);

/* ---- regroup (helper "regroup"): data keyed by old communes onto the units of a later day ----
 * Rules and invariants: src/lib/catalog/README.md, "Regrouping onto the new units". */

/* Options of hl_dataset_regroup (catalog_json.h). */
typedef struct {
	const char *to_units; /* the day of the new units: yyyy-mm-dd (required) */
	const char *as;       /* the new dataset's id (required; must be free) */
	/* shares of a split commune: "area" or "population" (the 2025 units' table,
	 * quangninh_ward_area_population_2025.csv in units_dir), "DATASET:COL" (a numeric column
	 * of a readable dataset with one unit-code column), NULL or "none": no weights */
	const char *weights;
	const char *decision;      /* a CSV old_code,new_code,share[,note]: the written choice */
	const char *decision_name; /* the decision as named in the provenance (NULL: its path) */
	const char *column;        /* the unit-code field (NULL: the dataset's only one) */
	const char *by;            /* "A,B": group keys (NULL: the primary key's other fields) */
	const char *title;         /* NULL: the source's title and the day */
	const char *units_dir; /* where the area/population table is (NULL: $HALONG_DATA/units or
	                          the shipped data/units) */
} hl_regroup_opts;

/* The area/population table the weights "area" and "population" read. */
#define HL_REGROUP_WEIGHTS_FILE "quangninh_ward_area_population_2025.csv"

/* ---- sharing between agencies (share helper: src/lib/catalog/share.c, migration 16) ----
 *
 * Nghị định 194/2025/NĐ-CP Điều 16 k2: data used in common is shared by default with the
 * state agencies that ask; a refusal is written, names its reason and the legal provision
 * that limits the sharing. An agency (a code of the agencies register or a commune's code)
 * requests a dataset of another agency; the owner's agency (its officers), an admin or the
 * local operator grants, refuses (reason AND legal basis required) or later revokes. A grant
 * lets the members of the requesting agency read that dataset at its own level (internal or
 * restricted; never secret) even above their role's ceiling: rows, exports, show, diff and
 * versions all follow (hl_catalog__may_read_ds, the one rule). A grant never lets them load. */

/* Working days (Saturdays and Sundays skipped) between a request and the day an answer is
 * due: NĐ 194/2025 Điều 40 k3 gives 02 working days for the connection; the time limit of an
 * answer to a request on demand is not confirmed (Điều 17–19 unread): see
 * docs/catalog_sharing.md. */
#define HL_SHARE_DUE_DAYS 2

typedef struct {
	int64_t id;
	char *dataset, *owner;       /* the dataset's id and its owner's code */
	char *agency, *agency_name;  /* the requesting agency: code, name (NULL: unknown) */
	char *purpose, *legal_basis; /* as the requester wrote them */
	char *state;                 /* pending, granted, refused, revoked */
	char *requested_at, *requested_by;
	char *due; /* yyyy-mm-dd: HL_SHARE_DUE_DAYS working days after the request */
	char *decided_at, *decided_by, *reason, *decision_basis, *until; /* NULL: none */
	int overdue; /* pending after its due day (Viet Nam's day as the request was read) */
} hl_data_request;

typedef struct {
	size_t n;
	hl_data_request *v;
} hl_data_requests;
void hl_data_request_free(hl_data_request *r);
void hl_data_requests_free(hl_data_requests *l);

/* Requests dataset `id` for `agency` (NULL or "": the caller's own agency, auth_user's
 * agency_code else their unit; an admin or the local operator names any agency, an officer
 * only their own). purpose and legal_basis required (HL_EINVALID naming "purpose" or
 * "legal_basis"); a viewer or anonymous caller HL_EDENIED; the dataset missing or secret
 * HL_ENOTFOUND; public, or owned by the agency itself, HL_EINVALID; a request of that agency
 * for it already pending or granted HL_ECONFLICT. Pending, due HL_SHARE_DUE_DAYS working days
 * later. Audited "dataset.request". *out may be NULL. */
int hl_dataset_request(hl_data_request **out, hl_store *st, const hl_principal *who, const char *id,
                       const char *purpose, const char *legal_basis, const char *agency);
/* Grants pending request n (reason and legal_basis optional; until yyyy-mm-dd, not before
 * today, or NULL: no end): by an officer of the dataset owner's agency, an admin or the local
 * operator (HL_EDENIED otherwise; a request the caller may not see HL_ENOTFOUND), a request no
 * longer pending HL_ECONFLICT. Audited "dataset.grant". */
int hl_dataset_grant(hl_data_request **out, hl_store *st, const hl_principal *who, int64_t n,
                     const char *reason, const char *legal_basis, const char *until);
/* Refuses pending request n: reason AND legal_basis required (HL_EINVALID naming the one
 * missing: Điều 16 k2). Who may: as hl_dataset_grant. Audited "dataset.refuse". */
int hl_dataset_refuse(hl_data_request **out, hl_store *st, const hl_principal *who, int64_t n,
                      const char *reason, const char *legal_basis);
/* Revokes granted request n, the grant removed at once: reason AND legal_basis required. Who
 * may: as hl_dataset_grant. Audited "dataset.revoke". */
int hl_dataset_revoke(hl_data_request **out, hl_store *st, const hl_principal *who, int64_t n,
                      const char *reason, const char *legal_basis);
/* The requests `who` sees — those of their agency and those for their agency's datasets; all
 * for an admin or the local operator; none for anonymous — by number. state NULL: any (else
 * pending, granted, refused or revoked: HL_EINVALID otherwise); mine: only those their agency
 * made. */
int hl_dataset_requests_list(hl_data_requests **out, hl_store *st, const hl_principal *who,
                             const char *state, int mine);
/* Request n as `who` sees it (HL_ENOTFOUND alike for missing and not theirs). */
int hl_dataset_request_get(hl_data_request **out, hl_store *st, const hl_principal *who, int64_t n);
/* The day `days` working days after `day` (yyyy-mm-dd; Saturdays and Sundays skipped, no
 * public holidays: halong has no calendar of them yet). HL_EINVALID for a bad day. */
int hl_share_working_days(char out[11], const char *day, int days);

/* ---- the datasets feed (share helper: share_feed.c; src/lib/feed/ "datasets") ----
 * The hub publishes a PUBLIC dataset's current version through the reference-data feed (served
 * to anyone: nothing above public ever goes in it); a commune applies it as a new version of a
 * dataset of the same id, created by "feed" and owned by the hub's agency. */

/* The files of a datasets feed entry: dataset.json (required), rows.csv. */
extern const char *const hl_dataset_feed_files[];
/* Writes dataset `id`'s current version into `dir` as dataset.json and rows.csv; *version the
 * version written. HL_EDENIED for a dataset above public, HL_EINVALID for one never loaded. */
int hl_dataset_feed_write(int *version, hl_store *st, const hl_principal *who, const char *id,
                          const char *dir);
/* Applies the files of `dir` inside the caller's transaction: here != 0 on the hub (checks the
 * dataset is here with that schema: nothing loaded), else the dataset made if absent and its
 * rows loaded with replace (a version when something changed). Refused: a dataset.json not
 * public (HL_EDENIED), a schema not the one held here, a dataset of that id made here and not
 * by the feed (HL_ECONFLICT), a row rejected here (HL_EINVALID naming the first). summary: what
 * changed, for the audit entry. */
int hl_dataset_feed_apply(char *summary, size_t n, hl_store *st, const char *dir, int here);

/* A commune follows only the hub's datasets it subscribed to: an entry of another dataset is
 * passed over (the feed's position still moves), one of a version not newer than the last
 * applied here too. Subscribing sets the datasets feed back to its start, so that the versions
 * published before come in the next pull. By the node's operator or an admin (HL_EDENIED),
 * on a node that follows a hub (HL_EINVALID), audited dataset.subscribe / dataset.unsubscribe. */
typedef struct {
	char *id;        /* the hub's dataset id */
	char *since;     /* when (UTC) */
	char *by;        /* who */
	int64_t applied; /* the hub's last version applied here (0: none yet) */
} hl_dataset_subscription;
typedef struct {
	size_t n;
	hl_dataset_subscription *v;
} hl_dataset_subscriptions;
void hl_dataset_subscriptions_free(hl_dataset_subscriptions *l);
/* *added: 1 when new, 0 when the node already followed it. */
int hl_dataset_subscribe(int *added, hl_store *st, const hl_principal *who, const char *id);
/* HL_ENOTFOUND when the node does not follow it. The dataset already here stays, unchanged. */
int hl_dataset_unsubscribe(hl_store *st, const hl_principal *who, const char *id);
/* The node's subscriptions, by id (anyone signed in may read them). */
int hl_dataset_subscriptions_list(hl_dataset_subscriptions **out, hl_store *st,
                                  const hl_principal *who);

/* ---- publishing (the "publish" section): Data Package out and in, DCAT-AP 3 ---- */

/* What hl_dataset_export_datapackage wrote. */
typedef struct {
	int version;       /* the version written */
	uint64_t rows;     /* rows of its CSV */
	int64_t bytes;     /* the CSV's size */
	char sha256[65];   /* the CSV's SHA-256 (also in datapackage.json: "sha256:…") */
	char resource[80]; /* the CSV's name in the package ("tourism.csv") */
} hl_datapackage_stats;

/* Writes version `version` (0: the current one) of `id` as a Frictionless Tabular Data Package:
 * `path` a folder (made; an existing one must be empty) holding datapackage.json and the CSV it
 * names, or, when `path` ends in ".zip", one zip of those two files. datapackage.json has the
 * dataset's name (the id in lower case), title, description, keywords, licenses, sources (the
 * provenance), version, created (the version's load time), halong's own metadata as
 * "halong:owner", "halong:sector", "halong:frequency", "halong:date", "halong:id", and one
 * resource (profile tabular-data-resource, format csv, utf-8, its sha256 hash and bytes, the
 * Table Schema with "unitCode" kept). The CSV is the CSV export, whose formula prefix is made
 * lossless (hl_dataset_export; the resource says so in "halong:formulaEscape"). datapackage.json
 * is written last, atomically: a folder that has it is whole; on failure nothing is left.
 * Audited as the CSV export is. */
int hl_dataset_export_datapackage(hl_datapackage_stats *out, hl_store *st, const hl_principal *who,
                                  const char *id, int version, const char *path);

/* At most this many bytes of datapackage.json (and of a schema file it names). */
#define HL_DATAPACKAGE_MAX_DESCRIPTOR (1u << 20)

/* What the caller gives over the package's metadata (NULL: the package's). */
typedef struct {
	const char *title, *description, *owner, *sector, *licence, *frequency, *provenance, *date;
	int access_given; /* access is the caller's (else internal: a package says nothing of it) */
	hl_access access;
	const char *rejects; /* as hl_dataset_load_opts */
	hl_progress_cb progress;
	void *ud;
} hl_datapackage_import_opts;

/* Creates dataset `id` from a Data Package (`package`: its datapackage.json, or the folder
 * holding it) and loads its one resource: title, description, keywords, licenses[0], sources
 * (provenance) and halong's "halong:*" properties become the dataset's metadata, the resource's
 * Table Schema its schema. Everything is checked before the dataset is made, each error naming
 * the field: the resource's path must be a relative path inside the package's folder (a URL,
 * an absolute path, a ".." or a link leading out are HL_EDENIED), a CSV (format, encoding
 * utf-8, a comma dialect with a header); its declared bytes at most HL_CATALOG_MAX_FILE
 * (HL_ELIMIT before a byte is read) and equal to the file's; its hash, when given, a
 * "sha256:…" equal to the file's; its header the schema's fields. Then as hl_dataset_create and
 * hl_dataset_load (*out: the load's stats), both in ONE transaction: a refused or failed
 * import leaves no dataset. */
int hl_dataset_import_datapackage(hl_dataset_load_stats *out, hl_store *st, const hl_principal *who,
                                  const char *id, const char *package,
                                  const hl_datapackage_import_opts *o);

/* DCAT-AP 3.0 metadata as JSON-LD (an inline context of plain prefixes): only PUBLIC datasets,
 * whoever asks. `base` is the public address of this node ("https://data.example.vn", no
 * trailing slash), the root of every IRI: the catalogue BASE/dcat/catalog, a dataset
 * BASE/dcat/datasets/ID, its distributions BASE/api/v1/datasets/ID/export?format=csv|xlsx|json|
 * datapackage. `publisher`: the catalogue's publisher, a unit's or an agency's code (NULL: an
 * agent named after the node's address). */
typedef struct {
	const char *base;
	const char *publisher;
} hl_dcat_opts;

/* The verbs, hl_dcat_catalog and hl_dcat_dataset, are in catalog_json.h (they make JSON). */
/* 1 when an answer about d (a page of rows, a group-by) may be given again, to anyone who may
 * read d, while the store has not changed: its reads are not audited (below restricted). The
 * server keeps such answers; a restricted dataset's query is computed and audited each time. */
int hl_dataset_answer_reusable(const hl_dataset *d);
/* The query as CSV to f (streaming: opts->stream is implied): a header of the column names,
 * then each row; a text cell beginning with = + - @ (or a tab or CR) prefixed with ' as in
 * hl_dataset_export. *rows (may be NULL): data rows written. */
int hl_dataset_query_csv(uint64_t *rows, hl_store *st, const hl_principal *who, const char *id,
                         const hl_dataset_query_opts *opts, FILE *f);

#ifdef __cplusplus
}
#endif
#endif
