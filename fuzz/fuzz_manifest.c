/* Fuzz target of the ingest manifest (src/lib/archive/manifest.c): a CSV file read by util's
 * reader, its header mapped to columns (hl_manifest__header) and every row checked as the ingest
 * checks it before files and store (hl_archive__manifest_row), with no store. Invariants: a
 * header is mapped or refused naming line 1; every row is good or has problems, each on a known
 * column and one line of valid UTF-8 (it goes to the rejects file, which must read again); what
 * a good row's values became reads back to itself (dates, retention, confidence, access). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/manifest_int.h"
#include "halong/auth.h"
#include "halong/text.h"
#include "halong/util.h"
#include "util/util_int.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_manifest: invariant failed: %s (line %d)\n", #c,     \
			        __LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* A manifest has tens of thousands of rows; what is in one row is found with a few. */
#define FUZZ_MAX_INPUT (256 * 1024)

static void on_problem(int col, const char *reason, void *ud)
{
	int *n = ud;
	(*n)++;
	CHECK(col >= -1 && col < COL__COUNT);
	CHECK(reason && reason[0]);
	CHECK(strlen(reason) < 256);
	CHECK(hl_text_check_utf8(reason, strlen(reason), NULL) == 0);
	CHECK(!strchr(reason, '\n') || strchr(reason, '"')); /* a line break only inside a value */
}

static int is_blank(char **f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (const char *p = f[i]; *p; p++)
			if (*p != ' ' && *p != '\t')
				return 0;
	return 1;
}

/* The header's mapping survives being written back with the keys of docs/cli.md. */
static void check_header(const hl_manifest_cols *c, size_t n)
{
	static const int required[] = {COL_FONDS, COL_DOSSIER, COL_ORDINAL, COL_SUBJECT};
	char **keys = calloc(n + 1, sizeof(*keys));
	CHECK(keys);
	CHECK(c->nfields == n);
	for (size_t r = 0; r < 4; r++)
		CHECK(c->at[required[r]] >= 0);
	for (size_t i = 0; i < n; i++)
		keys[i] = "_other";
	for (int col = 0; col < COL__COUNT; col++) {
		if (c->at[col] < 0)
			continue;
		CHECK((size_t)c->at[col] < n);
		CHECK(strcmp(keys[c->at[col]], "_other") == 0); /* one column a field */
		keys[c->at[col]] = (char *)hl_manifest__key(col);
	}
	hl_manifest_cols again;
	CHECK(hl_manifest__header(&again, keys, n, "keys.csv") == 0);
	CHECK(memcmp(again.at, c->at, sizeof(c->at)) == 0);
	free(keys);
}

/* What a good row's values became is what they read as again. */
static void check_doc(const hl_doc *d)
{
	char buf[16];
	int64_t v;
	char num[24];
	CHECK(d->fonds_code[0] && d->dossier_code[0] && d->subject[0]);
	CHECK(d->ordinal >= 1 && d->ordinal <= INT32_MAX);
	snprintf(num, sizeof(num), "%lld", (long long)d->ordinal);
	CHECK(hl_manifest__int(&v, num, 1, INT32_MAX) == 0 && v == d->ordinal);
	CHECK(d->doc_id && d->doc_id[0]);
	if (d->issued_date) {
		size_t n = strlen(d->issued_date);
		CHECK(n == 4 || n == 7 || n == 10);
		CHECK(hl_manifest__date(buf, d->issued_date) == 0);
		CHECK(strcmp(buf, d->issued_date) == 0);
	}
	CHECK(d->page_count >= -1 && d->page_count <= 10000000);
	CHECK(d->access >= HL_ACCESS_PUBLIC && d->access <= HL_ACCESS_SECRET);
	hl_access a;
	CHECK(hl_access_parse(&a, hl_access_name(d->access)) == 0 && a == d->access);
	if (d->confidence)
		CHECK(strcmp(hl_manifest__confidence(d->confidence), d->confidence) == 0);
	if (d->retention) {
		CHECK(hl_manifest__retention(buf, d->retention) == 0);
		CHECK(strcmp(buf, d->retention) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	/* fmemopen refuses a zero size; an empty input is /dev/null. */
	FILE *fp = size ? fmemopen((void *)data, size, "rb") : fopen("/dev/null", "rb");
	CHECK(fp);
	hl_csv *cs = NULL;
	if (hl_util__csv_open_file(&cs, fp, "fuzz.csv", size) < 0)
		return 0; /* UTF-16: fuzz_csv's business */
	char **f;
	size_t n;
	uint64_t line;
	hl_manifest_cols cols;
	if (hl_csv_next(cs, &f, &n, &line) != 1)
		goto done;
	if (hl_manifest__header(&cols, f, n, "fuzz.csv") < 0) {
		CHECK(hl_error_code() == HL_EINVALID);
		CHECK(strncmp(hl_error_last(), "fuzz.csv: line 1: ", 18) == 0);
		goto done;
	}
	check_header(&cols, n);
	/* Rows are checked one by one; the reader's errors are fuzz_csv's business. */
	while (hl_csv_next(cs, &f, &n, &line) == 1) {
		if (is_blank(f, n))
			continue;
		hl_doc d;
		hl_manifest_vals vals;
		int seen = 0;
		int problems = hl_archive__manifest_row(&d, &vals, &cols, f, n, on_problem, &seen);
		CHECK(problems == seen);
		if (n != cols.nfields)
			CHECK(problems > 0);
		if (problems == 0)
			check_doc(&d);
		/* the same row, checked again (trimmed now), says the same */
		int again = hl_archive__manifest_row(&d, &vals, &cols, f, n, NULL, NULL);
		CHECK(again == problems);
	}
done:
	hl_csv_free(cs);
	return 0;
}
