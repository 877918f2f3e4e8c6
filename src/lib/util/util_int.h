/* Internal entry points of util/ for tests and fuzz targets: smaller CSV limits, reading from a
 * FILE *, an XLSX workbook in memory, how much memory a reader holds, opening beneath a folder
 * without openat2; the XLSX reader's limits. Not part of the public API. */
#ifndef HALONG_UTIL_INTERNAL_H
#define HALONG_UTIL_INTERNAL_H

#include <stdio.h>

#include "halong/util.h"

/* A whole record (all its fields together) may not exceed this many bytes: with 512 fields of
 * 16 MiB each a single record could otherwise hold 8 GiB. */
#define HL_CSV__MAX_RECORD (64u << 20)

/* Opens a CSV reader on an already open stream, which the reader then owns (fclose on free,
 * also on failure). `name` prefixes error messages; `size` is the total size for progress
 * (0 if unknown). */
int hl_util__csv_open_file(hl_csv **out, FILE *f, const char *name, uint64_t size);

/* Lowers the limits of one reader, so tests can reach them with small inputs. A zero keeps the
 * current value. */
void hl_util__csv_set_limits(hl_csv *csv, size_t max_field, size_t max_fields, size_t max_record);

/* Bytes of heap the reader holds now (its read buffer, the current record, libcsv's field
 * buffer): what tests check to show that reading streams. */
size_t hl_util__csv_mem(const hl_csv *csv);

/* hl_file_open_beneath's resolution without openat2 (used when the kernel lacks it), so
 * tests run the same cases through both. */
int hl_util__open_beneath_walk(int *out, int dirfd, const char *name);

/* The XLSX reader's limits (README.md): sizes a zip declares, checked before inflating, and
 * Excel's own limits for what a sheet holds. */
#define HL_XLSX__MAX_PART      (64u << 20)  /* bytes of one XML part, uncompressed */
#define HL_XLSX__MAX_TOTAL     (256u << 20) /* bytes of every entry of the zip together */
#define HL_XLSX__MAX_RATIO     200          /* uncompressed:compressed, for parts ... */
#define HL_XLSX__RATIO_FROM    (1u << 20)   /* ... larger than this */
#define HL_XLSX__MAX_STRINGS   1000000      /* shared strings */
#define HL_XLSX__MAX_ROWS      1048576      /* a row's number (Excel's last row) */
#define HL_XLSX__MAX_COLS      16384        /* columns, A to XFD: fields in one row */
#define HL_XLSX__MAX_CELL      32767        /* characters in one cell (Excel's limit) */
#define HL_XLSX__MAX_ROW_BYTES (64u << 20)  /* bytes of one row's fields together */
#define HL_XLSX__MAX_STYLES    65536        /* cell formats (cellXfs) */
#define HL_XLSX__MAX_DEPTH     256          /* nesting of XML elements */

/* hl_xlsx_open on a workbook in memory (`len` bytes at `data`, which must outlive the reader);
 * `name` starts the messages. The fuzz target reads through it. */
int hl_util__xlsx_open_mem(hl_xlsx **out, const void *data, size_t len, const char *name,
                           const char *sheet);

/* Bytes the sheet is read by at a time (default 64 KiB), so that tests and the fuzz target cross
 * chunk boundaries with small sheets. Call it before the first hl_xlsx_next. */
void hl_util__xlsx_set_chunk(hl_xlsx *x, size_t chunk);

/* Bytes of heap the reader holds now besides expat's (the shared strings, the number formats,
 * the row and cell being read): what tests check to show that a sheet is streamed. */
size_t hl_util__xlsx_mem(const hl_xlsx *x);

#endif
