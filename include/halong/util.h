/* Small shared helpers: a streaming CSV reader and writer, an XLSX reader, SHA-256, paths and UTC
 * time. */
#ifndef HALONG_UTIL_H
#define HALONG_UTIL_H

#include <stdio.h>
#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- CSV (RFC 4180, via libcsv) ---- */

#define HL_CSV_MAX_FIELD  (16u << 20) /* bytes in one field */
#define HL_CSV_MAX_FIELDS 512         /* fields in one record */

typedef struct hl_csv hl_csv;

/* Opens a CSV file for streaming. A UTF-8 BOM is skipped. Input that is not UTF-8 (UTF-16 BOM,
 * or invalid bytes found while reading) is an error naming the line: HL_EINVALID. */
int hl_csv_open(hl_csv **out, const char *path);
/* hl_csv_open whose messages name the file `name` ("manifest") rather than its path (NULL:
 * the path): for a file the user knows by another name than where it lies. */
int hl_csv_open_named(hl_csv **out, const char *path, const char *name);
void hl_csv_free(hl_csv *csv);

/* Reads the next record. Returns 1 and sets *fields (valid until the next call), *nfields and
 * *line (the 1-based physical line where the record starts); 0 at the end; negative on error
 * (bad encoding, unterminated quote at end of file, a limit exceeded), with a message that
 * names the line. */
int hl_csv_next(hl_csv *csv, char ***fields, size_t *nfields, uint64_t *line);

/* Bytes consumed so far and the file's size (for progress). */
uint64_t hl_csv_offset(const hl_csv *csv);
uint64_t hl_csv_size(const hl_csv *csv);

/* Writes one record, quoting fields where needed, ending in CRLF. */
int hl_csv_write(FILE *f, const char *const *fields, size_t n);

/* ---- XLSX (Office Open XML workbooks, via libzip and expat) ---- */

typedef struct hl_xlsx hl_xlsx;

/* Opens one worksheet of an .xlsx workbook for streaming: `sheet` is a sheet's name, or NULL for
 * the first sheet in workbook order. The shared strings and number formats are read here; the
 * sheet itself is read a row at a time by hl_xlsx_next. Sizes are checked before anything is
 * inflated (zip bombs: HL_ELIMIT); a file that is not a workbook, a DOCTYPE in any part, or a
 * sheet whose part lies outside xl/ is HL_EINVALID; a sheet not in the workbook HL_ENOTFOUND
 * (the message lists the sheets); a part that does not inflate (damaged) HL_EIO. Messages start
 * with the path. */
int hl_xlsx_open(hl_xlsx **out, const char *path, const char *sheet);
/* Reads the next row that holds a value, like hl_csv_next: returns 1 and sets *fields (valid
 * until the next call), *nfields and *row (the sheet's 1-based row number); 0 at the end;
 * negative on error, every later call returning it again. Each cell is at its column (A = 0,
 * AA = 26), a gap is "", trailing empty cells are dropped. Values are text as the cell stores it:
 * strings, "TRUE"/"FALSE", numbers as written, a formula's cached value, and a number whose
 * format is a date as yyyy-mm-dd (yyyy-mm-ddThh:mm:ss with a time of day; hh:mm:ss for a time
 * format's value below one day, or a duration such as [h]:mm). Messages name the row and the
 * cell ("row 12, cell C12"). */
int hl_xlsx_next(hl_xlsx *x, char ***fields, size_t *nfields, uint64_t *row);
void hl_xlsx_free(hl_xlsx *x);
/* 1 when the file starts with a zip signature and holds xl/workbook.xml, else 0. */
int hl_xlsx_is(const char *path);

/* ---- hashing ---- */

/* Lower-case hex SHA-256 of a file, and its size. */
int hl_sha256_file(char hex[65], int64_t *size, const char *path);
void hl_sha256_hex(char hex[65], const void *data, size_t len);

/* ---- files and paths ---- */

int hl_mkdir_p(const char *path, unsigned mode);
/* malloc'd "a/b". */
char *hl_path_join(const char *a, const char *b);
int hl_file_exists(const char *path);
/* Opens `name`, a path relative to the folder `dirfd`, for reading without ever leaving that
 * folder: a symbolic link is followed only while it stays inside; an absolute path, a `..` or
 * a link (or chain of links) that leads out, and /proc's magic links are refused (HL_EDENIED).
 * Only a regular file is opened: a folder, fifo, socket or device is refused (HL_EINVALID)
 * before it is opened, so no fifo blocks and no device's open runs. Missing: HL_ENOTFOUND.
 * One message naming `name`. Linux openat2(2) (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), or a
 * walk one component at a time with O_NOFOLLOW where the kernel lacks it. The descriptor
 * (O_RDONLY | O_NONBLOCK | O_CLOEXEC) is the caller's to close. */
int hl_file_open_beneath(int *out, int dirfd, const char *name);
/* Writes `len` bytes to `path` atomically (temp file, fsync, rename, fsync of the directory). */
int hl_write_atomic(const char *path, const void *data, size_t len, unsigned mode);

/* ---- time ---- */

/* Current UTC time as "YYYY-MM-DDTHH:MM:SSZ". */
void hl_now_utc(char buf[32]);

/* ---- strings ---- */

char *hl_strdup(const char *s);
/* Writes text escaped for XML and HTML (& < > " ' as entities; control characters other than
 * tab and line breaks, not allowed in XML 1.0, as a space). */
void hl_xml_write(FILE *f, const char *s);
/* Trims ASCII whitespace at both ends, in place. */
char *hl_trim(char *s);
/* Drops a character left incomplete at the end of `s` (a text cut at a byte count): what
 * remains is valid UTF-8 if the whole was. */
void hl_str_cut_utf8(char *s);
/* Makes `s` one printable line in place: control characters (line breaks, tabs, escapes, C1
 * controls) become spaces, and an incomplete last character is dropped. Every message of
 * hl_error_set goes through it. */
void hl_str_one_line(char *s);
/* A 32-bit hash of `s` for in-memory tables (FNV-1a, then mixed so that every bit of the
 * input moves the low bits too). Not for anything an attacker's collisions could hurt. */
uint32_t hl_str_hash(const char *s);

#ifdef __cplusplus
}
#endif
#endif
