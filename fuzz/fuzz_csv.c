/* Fuzz target for the CSV reader: any bytes are read to the end or to a clean error, record
 * lines rise, fields are valid UTF-8, and every record survives hl_csv_write and a re-read. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halong/text.h"
#include "halong/util.h"
#include "util/util_int.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_csv: invariant failed: %s (line %d)\n", #c,          \
			        __LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static hl_csv *open_mem(const uint8_t *data, size_t size)
{
	/* fmemopen refuses a zero size; an empty input is /dev/null. */
	FILE *f = size ? fmemopen((void *)data, size, "rb") : fopen("/dev/null", "rb");
	CHECK(f);
	hl_csv *cs = NULL;
	int rc = hl_util__csv_open_file(&cs, f, "fuzz.csv", size);
	if (rc < 0) {
		CHECK(rc == HL_EINVALID && strstr(hl_error_last(), "UTF-16"));
		return NULL;
	}
	return cs;
}

/* Writes one record and reads it back: the same fields must come out. */
static void roundtrip(char **fields, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *w = open_memstream(&buf, &len);
	CHECK(w);
	CHECK(hl_csv_write(w, (const char *const *)fields, n) == 0);
	CHECK(fclose(w) == 0);
	hl_csv *cs = open_mem((const uint8_t *)buf, len);
	CHECK(cs);
	char **f2;
	size_t n2;
	uint64_t line;
	CHECK(hl_csv_next(cs, &f2, &n2, &line) == 1);
	CHECK(line == 1 && n2 == n);
	for (size_t i = 0; i < n; i++)
		CHECK(strcmp(fields[i], f2[i]) == 0);
	CHECK(hl_csv_next(cs, &f2, &n2, &line) == 0);
	hl_csv_free(cs);
	free(buf);
}

/* Reads everything; returns the number of records and stores their lines (up to cap). */
static size_t read_all(const uint8_t *data, size_t size, int small, uint64_t *lines, size_t cap,
                       int check_roundtrip)
{
	hl_csv *cs = open_mem(data, size);
	if (!cs)
		return 0;
	if (small)
		hl_util__csv_set_limits(cs, 64, 8, 256);
	char **fields;
	size_t n, count = 0;
	uint64_t line, prev = 0;
	int rc;
	while ((rc = hl_csv_next(cs, &fields, &n, &line)) == 1) {
		CHECK(line > prev);
		prev = line;
		CHECK(n >= 1 && n <= HL_CSV_MAX_FIELDS);
		CHECK(fields[n] == NULL);
		int nonempty = 0;
		for (size_t i = 0; i < n; i++) {
			size_t len = strlen(fields[i]), bad;
			CHECK(hl_text_check_utf8(fields[i], len, &bad) == 0);
			CHECK(!small || len <= 64);
			nonempty |= len > 0;
		}
		CHECK(nonempty);
		CHECK(hl_csv_offset(cs) <= size);
		if (count < cap)
			lines[count] = line;
		count++;
		if (check_roundtrip)
			roundtrip(fields, n);
	}
	if (rc == 0) {
		CHECK(hl_csv_offset(cs) == size);
	} else {
		CHECK(rc == HL_EINVALID || rc == HL_ELIMIT);
		CHECK(strncmp(hl_error_last(), "fuzz.csv: line ", 15) == 0);
		CHECK(hl_csv_next(cs, &fields, &n, &line) == rc); /* errors are sticky */
	}
	hl_csv_free(cs);
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum { CAP = 4096 };
	static uint64_t full[CAP], small[CAP];
	size_t nf = read_all(data, size, 0, full, CAP, 1);
	/* Under smaller limits the reader stops earlier or at the same place, never elsewhere. */
	size_t ns = read_all(data, size, 1, small, CAP, 0);
	CHECK(ns <= nf);
	for (size_t i = 0; i < ns && i < CAP; i++)
		CHECK(small[i] == full[i]);
	return 0;
}
