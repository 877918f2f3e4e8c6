/* The store's statements for catalog/: datasets, their versions, and the rows of each dataset in
 * a table of its own (ds_rows_<internal id>, typed columns c0, c1, … mapped to the schema's
 * fields, never named from user text), every row carrying its key and the versions it lives in. */
#ifndef HALONG_STORE_CATALOG_H
#define HALONG_STORE_CATALOG_H

#include "halong/catalog.h"
#include "store.h"

/* A dataset as stored: keywords and schema as JSON text. */
typedef struct {
	int64_t id; /* the internal id: the row table's name */
	const char *name, *title, *description, *owner, *sector, *keywords, *licence, *frequency,
	    *provenance, *date, *schema, *created_at, *created_by;
	int access, version;
	int64_t rows;
	const char *loaded_at; /* when the current version was loaded (read only; NULL: none) */
} hl_store_dataset_row;

/* Inserts a dataset and makes its row table, in the caller's transaction: one column per field
 * typed by types[] (hl_field_type: integer and boolean INTEGER, number REAL, others TEXT; a
 * STRICT table), indexes for the current row of a key, a key across versions, the version
 * bounds, and each unique[] column among current rows. *id its internal id. HL_ECONFLICT when
 * the name is taken. */
int hl_store_dataset_create(int64_t *id, hl_store *st, const hl_store_dataset_row *r,
                            const int *types, const int *unique, size_t ncols);
/* The datasets (name NULL: all, by name; else that one: HL_ENOTFOUND when absent); the row
 * lives during the call. */
int hl_store_dataset_foreach(hl_store *st, const char *name,
                             int (*cb)(const hl_store_dataset_row *r, void *ud), void *ud);

/* ---- writing a version (in the caller's transaction) ---- */

enum { HL_DS_ADDED = 1, HL_DS_CHANGED = 2, HL_DS_SAME = 3, HL_DS_DUPLICATE = 4 };

typedef struct hl_store_ds_writer hl_store_ds_writer;
/* Prepares the writing of version `version` of dataset `id` (ncols typed columns). */
int hl_store_ds_writer_open(hl_store_ds_writer **out, hl_store *st, int64_t id, int version,
                            const int *types, size_t ncols);
void hl_store_ds_writer_free(hl_store_ds_writer *w);
/* Puts one row (cells as normalised text, NULL missing; `key` the primary key's text, `hash`
 * the row's): *what HL_DS_ADDED (a new key), HL_DS_CHANGED (the current row closed at this
 * version, the new one added), HL_DS_SAME (identical: nothing written) or HL_DS_DUPLICATE (the
 * key was already put in this version: nothing written, *first its line). */
int hl_store_ds_put(int *what, uint64_t *first, hl_store_ds_writer *w, const char *key,
                    const char *hash, const char *const *cells, uint64_t line);
/* Does a current row other than `key`'s hold `value` in column `col`? 1, 0 or an error. */
int hl_store_ds_taken(hl_store_ds_writer *w, size_t col, const char *value, const char *key);
/* Closes at this version every current row whose key was not put (a load with --replace). */
int hl_store_ds_remove_unput(uint64_t *removed, hl_store_ds_writer *w);

/* Forgets the keys put (before the commit: the table of keys is empty outside a load). */
int hl_store_ds_writer_finish(hl_store_ds_writer *w);

/* Records version v of dataset `id` and makes it the current one, with `rows` current rows. */
int hl_store_dataset_version_add(hl_store *st, int64_t id, const hl_dataset_version *v,
                                 int64_t rows);
/* The current rows of dataset `id`, counted. */
int hl_store_ds_count(int64_t *n, hl_store *st, int64_t id);
/* The versions of dataset `id`, oldest first; the version lives during the call. */
int hl_store_dataset_versions(hl_store *st, int64_t id,
                              int (*cb)(const hl_dataset_version *v, void *ud), void *ud);

/* ---- reading ---- */

/* The rows of version `version` of dataset `id`, in the order they were put; cells as text
 * (booleans "true"/"false", NULL missing). */
int hl_store_ds_rows(hl_store *st, int64_t id, const int *types, size_t ncols, int version,
                     int (*cb)(const char *const *cells, size_t n, void *ud), void *ud);
/* The rows that differ between versions v1 < v2 of dataset `id`, by key: old (NULL when
 * added) and new (NULL when removed) cells; rows identical in both are not given. */
int hl_store_ds_diff(hl_store *st, int64_t id, const int *types, size_t ncols, int v1, int v2,
                     int (*cb)(const char *key, const char *const *old, const char *const *new_,
                               size_t n, void *ud),
                     void *ud);

/* ---- queries (the query helper's section) ---- */

/* One condition of a query: column col, op (hl_query_op), values normalised (n of them); for
 * HL_Q_MATCH one value, the text folded (hl_text_fold) that the column's folded text holds. */
typedef struct {
	size_t col;
	int op;
	const char *const *values;
	size_t n;
} hl_store_ds_cond;

enum { HL_DS_AGG_COUNT = 0, HL_DS_AGG_SUM, HL_DS_AGG_AVG, HL_DS_AGG_MIN, HL_DS_AGG_MAX };
/* An aggregate: kind, and its column (-1 for count). */
typedef struct {
	int kind;
	long col;
} hl_store_ds_agg;

/* A sort key: a column (agg 0) or, grouped, an aggregate (agg 1, col its index in aggs). */
typedef struct {
	size_t col;
	int agg, desc;
} hl_store_ds_sort;

typedef struct {
	const hl_store_ds_cond *conds;
	size_t nconds;
	long group_col; /* -1: none */
	const hl_store_ds_agg *aggs;
	size_t naggs;
	const size_t *cols; /* the columns given (no grouping nor aggregates); ncols_out 0: all */
	size_t ncols_out;
	const hl_store_ds_sort *sort;
	size_t nsort;
	int version;    /* 0: the current rows */
	uint64_t limit; /* 0: none */
	uint64_t offset;
	unsigned timeout_ms; /* 0: 1,000 */
	int stream;          /* the time limit counts SQLite's work between two rows given */
	uint64_t *total;     /* non-NULL: the rows (groups) matched, counted first */
	int *expired;        /* non-NULL: set to 1 when the time limit stopped the query */
} hl_store_ds_query;

/* Runs a query over dataset `id`'s rows: every value bound as a parameter, column names made of
 * numbers (c0, c1, …), never of user text. Without grouping or aggregates, the rows' cells (the
 * columns chosen) in the sort's order then as loaded; with them, the group's value, then each
 * aggregate, by the sort then the group's value. Past timeout_ms (sqlite3_progress_handler):
 * HL_ELIMIT. The folding of HL_Q_MATCH is an SQL function (hl_fold_has) registered on the
 * connection. */
int hl_store_ds_select(hl_store *st, int64_t id, const int *types, size_t ncols,
                       const hl_store_ds_query *q,
                       int (*cb)(const char *const *cells, size_t n, void *ud), void *ud);

/* ---- the catalogue's search ("api" section, issue 14) ---- */

/* The datasets of `sector` and `owner` (NULL: any), by name; the row lives during the call. */
int hl_store_dataset_search(hl_store *st, const char *sector, const char *owner,
                            int (*cb)(const hl_store_dataset_row *r, void *ud), void *ud);
/* Does a current row of dataset `id` hold `value` (text) in column `col`? *yes 1 or 0. */
int hl_store_ds_holds(int *yes, hl_store *st, int64_t id, size_t col, const char *value);

#endif
