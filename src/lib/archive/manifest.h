/* The ingest manifest's columns and value checks (internal to the archive module). */
#ifndef HL_MANIFEST_H
#define HL_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

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

#endif
