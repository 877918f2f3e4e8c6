/* Internal entry points of util/ for tests and fuzz targets: smaller CSV limits, reading from a
 * FILE *, how much memory a reader holds, opening beneath a folder without openat2. Not part
 * of the public API. */
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

#endif
