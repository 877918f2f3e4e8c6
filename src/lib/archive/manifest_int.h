/* The ingest manifest's columns and value checks (internal to the archive module). */
#ifndef HL_MANIFEST_INT_H
#define HL_MANIFEST_INT_H

#include <stddef.h>
#include <stdint.h>

#include "halong/archive.h"

enum {
	COL_FONDS,
	COL_DOSSIER,
	COL_ORDINAL,
	COL_DOC_ID,
	COL_NUMBER,
	COL_NOTATION,
	COL_DATE,
	COL_TYPE,
	COL_ISSUER,
	COL_SUBJECT,
	COL_LANGUAGE,
	COL_PAGES,
	COL_KEYWORDS,
	COL_ACCESS,
	COL_CONFIDENCE,
	COL_RETENTION,
	COL_PHYSICAL,
	COL_NOTES,
	COL_FILES,
	COL_TEXT,
	COL_DOSSIER_TITLE,
	COL_SERIES,
	COL_SERIES_TITLE,
	COL__COUNT
};

typedef struct {
	int at[COL__COUNT]; /* field index of each column, -1 if absent */
	size_t nfields;     /* fields in the header */
} hl_manifest_cols;

/* Maps the header row to columns; errors name the file, line 1 and the column. */
int hl_manifest__header(hl_manifest_cols *out, char **fields, size_t n, const char *path);
const char *hl_manifest__key(int col);
/* dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy, yyyy-mm-dd, mm/yyyy, yyyy-mm, yyyy -> ISO. */
int hl_manifest__date(char out[16], const char *s);
int hl_manifest__int(int64_t *out, const char *s, int64_t min, int64_t max);
/* "original" | "copy" | "digitized", or NULL. */
const char *hl_manifest__confidence(const char *s);
/* "permanent" or a number of years. */
int hl_manifest__retention(char out[16], const char *s);
int hl_manifest__is_image(const char *name);

/* ---- one row, checked without a store ---- */

/* A problem of a row: the column (COL_*), or -1 for the row as a whole, and one line. */
typedef void (*hl_manifest_problem_cb)(int col, const char *reason, void *ud);

/* What a checked row's document points to besides the row's own fields. */
typedef struct {
	char date[16], retention[16], doc_id[32];
} hl_manifest_vals;

/* Checks one manifest row (fields f[0..n-1] of a file whose header has cols.nfields fields) the
 * way the ingest does before it looks at files, duplicates or the store: the row's length, the
 * required values, ordinal, date, page count, access level, confidence and retention; absent
 * columns and those the row is too short to hold read as empty. Trims the fields in place. Fills
 * d (its strings point into f, vals or static text; doc_id generated from fonds, dossier and
 * ordinal when the column is empty; nothing to free) and reports each problem through `problem`.
 * Returns the number of problems: 0 for a good row. Used by the fuzz target of the manifest
 * (fuzz/fuzz_manifest.c); meant to be the first half of the ingest's do_row (ingest.c), which
 * still holds its own copy. */
int hl_archive__manifest_row(hl_doc *d, hl_manifest_vals *vals, const hl_manifest_cols *cols,
                             char **f, size_t n, hl_manifest_problem_cb problem, void *ud);

#endif
