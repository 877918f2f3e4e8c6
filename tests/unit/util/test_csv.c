/* Tests of the CSV reader and writer: hostile input written to real temporary files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "halong/util.h"
#include "util/util_int.h"

static char tmpdir[] = "/tmp/hl_test_csv_XXXXXX";

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes `len` bytes (len < 0: strlen) to a new file in the temp dir; returns its static path. */
static const char *put(const char *name, const char *data, long len)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	size_t n = len < 0 ? strlen(data) : (size_t)len;
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* Reads the next record and checks it has exactly the given line and fields (NULL-ended). */
static void expect_rec(hl_csv *cs, uint64_t want_line, ...)
{
	char **fields;
	size_t n, i = 0;
	uint64_t line;
	int rc = hl_csv_next(cs, &fields, &n, &line);
	if (rc != 1)
		fail_msg("expected a record at line %llu, got %d: %s",
		         (unsigned long long)want_line, rc, hl_error_last());
	assert_int_equal(line, want_line);
	va_list ap;
	va_start(ap, want_line);
	for (const char *w; (w = va_arg(ap, const char *)); i++) {
		assert_true(i < n);
		assert_string_equal(fields[i], w);
	}
	va_end(ap);
	assert_int_equal(n, i);
	assert_null(fields[n]);
}

static void expect_end(hl_csv *cs)
{
	char **fields;
	size_t n;
	uint64_t line;
	int rc = hl_csv_next(cs, &fields, &n, &line);
	if (rc != 0)
		fail_msg("expected the end, got %d (%s)", rc,
		         rc == 1 ? fields[0] : hl_error_last());
}

/* Expects an error `code` whose message contains `msg`, twice (errors are sticky). */
static void expect_err(hl_csv *cs, int code, const char *msg)
{
	char **fields;
	size_t n;
	uint64_t line;
	for (int k = 0; k < 2; k++) {
		int rc = hl_csv_next(cs, &fields, &n, &line);
		if (rc != code)
			fail_msg("expected error %d, got %d (%s)", code, rc,
			         rc == 1 ? fields[0] : hl_error_last());
		if (!strstr(hl_error_last(), msg))
			fail_msg("message \"%s\" lacks \"%s\"", hl_error_last(), msg);
	}
}

static hl_csv *open_ok(const char *path)
{
	hl_csv *cs = NULL;
	int rc = hl_csv_open(&cs, path);
	if (rc != 0)
		fail_msg("open %s: %d %s", path, rc, hl_error_last());
	return cs;
}

static void test_quoted_line_breaks(void **state)
{
	(void)state;
	const char *p = put("breaks.csv",
	                    "ma_ho_so,tieu_de,ghi_chu\r\n"
	                    "QN-001,\"Quyết định\r\nsố 12/QĐ-UBND\",\r\n"
	                    "QN-002,\"dòng 1\ndòng 2\ndòng 3\",\"x\"\n"
	                    "QN-003,\"\",cuối\n"
	                    "\"QN-\n004\",a\n",
	                    -1);
	hl_csv *cs = open_ok(p);
	expect_rec(cs, 1, "ma_ho_so", "tieu_de", "ghi_chu", NULL);
	expect_rec(cs, 2, "QN-001", "Quyết định\r\nsố 12/QĐ-UBND", "", NULL);
	expect_rec(cs, 4, "QN-002", "dòng 1\ndòng 2\ndòng 3", "x", NULL);
	expect_rec(cs, 7, "QN-003", "", "cuối", NULL);
	expect_rec(cs, 8, "QN-\n004", "a", NULL);
	expect_end(cs);
	expect_end(cs);
	assert_int_equal(hl_csv_offset(cs), hl_csv_size(cs));
	hl_csv_free(cs);
}

static void test_doubled_quotes(void **state)
{
	(void)state;
	const char *p = put(
	    "quotes.csv", "\"Ông nói \"\"chào\"\"\",\"\"\"\",\"a\"\"\"\"b\",\"\"\"x,y\"\"\"\n", -1);
	hl_csv *cs = open_ok(p);
	expect_rec(cs, 1, "Ông nói \"chào\"", "\"", "a\"\"b", "\"x,y\"", NULL);
	expect_end(cs);
	hl_csv_free(cs);
}

static void test_spaces_kept(void **state)
{
	(void)state;
	/* RFC 4180: spaces belong to the field; tabs too. */
	const char *p = put("spaces.csv", " a , b\t,\" c \"\n", -1);
	hl_csv *cs = open_ok(p);
	expect_rec(cs, 1, " a ", " b\t", " c ", NULL);
	expect_end(cs);
	hl_csv_free(cs);
}

static void test_bom(void **state)
{
	(void)state;
	const char *text = "\xEF\xBB\xBFmã,tên\r\n01,Hạ Long\r\n";
	hl_csv *cs = open_ok(put("bom.csv", text, -1));
	assert_int_equal(hl_csv_size(cs), strlen(text));
	expect_rec(cs, 1, "mã", "tên", NULL);
	expect_rec(cs, 2, "01", "Hạ Long", NULL);
	expect_end(cs);
	assert_int_equal(hl_csv_offset(cs), strlen(text));
	hl_csv_free(cs);

	/* A BOM alone is an empty file. */
	cs = open_ok(put("bomonly.csv", "\xEF\xBB\xBF", -1));
	expect_end(cs);
	hl_csv_free(cs);
}

static void test_line_endings(void **state)
{
	(void)state;
	hl_csv *cs = open_ok(put("crlf.csv", "a,b\r\nc,d\r\n\r\n\r\ne,f", -1));
	expect_rec(cs, 1, "a", "b", NULL);
	expect_rec(cs, 2, "c", "d", NULL);
	expect_rec(cs, 5, "e", "f", NULL); /* no final line break */
	expect_end(cs);
	hl_csv_free(cs);

	/* Old Mac line ends: a lone CR ends a line. */
	cs = open_ok(put("cr.csv", "a\rb\r\rc\r", -1));
	expect_rec(cs, 1, "a", NULL);
	expect_rec(cs, 2, "b", NULL);
	expect_rec(cs, 4, "c", NULL);
	expect_end(cs);
	hl_csv_free(cs);

	/* A lone CR, then an LF that is not part of a CRLF: two line ends. */
	cs = open_ok(put("crlf2.csv", "a\rbd\n\"\r\r\rc\re\"\rf", -1));
	expect_rec(cs, 1, "a", NULL);
	expect_rec(cs, 2, "bd", NULL);
	expect_rec(cs, 3, "\r\r\rc\re", NULL);
	expect_rec(cs, 8, "f", NULL);
	expect_end(cs);
	hl_csv_free(cs);

	/* Mixed, and blank lines and all-empty rows skipped while still counted. */
	cs = open_ok(put("mixed.csv", "\n\nx\r\n,,,\n\"\"\ny,\"\"\n", -1));
	expect_rec(cs, 3, "x", NULL);
	expect_rec(cs, 6, "y", "", NULL);
	expect_end(cs);
	hl_csv_free(cs);
}

static void test_utf16_rejected(void **state)
{
	(void)state;
	hl_csv *cs = NULL;
	const char *p = put("utf16le.csv", "\xFF\xFEi\0d\0\r\0\n\0", 10);
	assert_int_equal(hl_csv_open(&cs, p), HL_EINVALID);
	assert_null(cs);
	assert_non_null(
	    strstr(hl_error_last(), "utf16le.csv: line 1: the file is UTF-16; save it as UTF-8"));

	p = put("utf16be.csv", "\xFE\xFF\0i\0d", 6);
	assert_int_equal(hl_csv_open(&cs, p), HL_EINVALID);
	assert_non_null(
	    strstr(hl_error_last(), "utf16be.csv: line 1: the file is UTF-16; save it as UTF-8"));

	/* UTF-16 without a BOM shows up as NUL bytes. */
	cs = open_ok(put("utf16nobom.csv", "i\0d\0\n\0", 6));
	expect_err(cs, HL_EINVALID, "utf16nobom.csv: line 1: NUL byte (byte offset 1)");
	hl_csv_free(cs);
}

static void test_legacy_encodings_rejected(void **state)
{
	(void)state;
	/* "Hà Nội" in Latin-1-ish bytes (0xE0 = à) on line 3. */
	const char *p = put("latin1.csv", "id,ten\n1,Hà Nội\n2,H\xE0 N\xF4i\n3,ok\n", -1);
	hl_csv *cs = open_ok(p);
	expect_rec(cs, 1, "id", "ten", NULL);
	expect_rec(cs, 2, "1", "Hà Nội", NULL);
	/* byte offset: 7 + 12 bytes of the first lines, then "2,H" */
	expect_err(cs, HL_EINVALID,
	           "latin1.csv: line 3: not valid UTF-8 (byte offset 22); save the file as UTF-8");
	hl_csv_free(cs);

	/* Windows-1258: "Việt" is V i 0xEA 0xF2 t (e-circumflex, then a combining dot below). */
	cs = open_ok(put("cp1258.csv", "ten\r\n\"Vi\xEA\xF2t\r\nNam\"\r\n", -1));
	expect_rec(cs, 1, "ten", NULL);
	expect_err(cs, HL_EINVALID, "cp1258.csv: line 2: not valid UTF-8 (byte offset 8)");
	hl_csv_free(cs);

	/* A bad byte on the third physical line of a quoted field names that line. */
	cs = open_ok(put("deep.csv", "a,\"1\n2\n3\x80\"\n", -1));
	expect_err(cs, HL_EINVALID, "line 3: not valid UTF-8 (byte offset 8)");
	hl_csv_free(cs);

	/* Overlong forms, surrogates and truncated sequences are not UTF-8 either. */
	const char *bad[] = {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "x\xE1\xBA", "\xBA"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cs = open_ok(put("bad.csv", bad[i], -1));
		expect_err(cs, HL_EINVALID, "line 1: not valid UTF-8");
		hl_csv_free(cs);
	}
}

static void test_unterminated_quote(void **state)
{
	(void)state;
	hl_csv *cs = open_ok(put("open.csv", "a,b\n1,\"never closed\n2,x\n3,y\n", -1));
	expect_rec(cs, 1, "a", "b", NULL);
	expect_err(cs, HL_EINVALID, "open.csv: line 2: quoted field never closed");
	hl_csv_free(cs);

	/* The quote opens on a later line than the record. */
	cs = open_ok(put("open2.csv", "h\n\"a\nb\",\"c\nd", -1));
	expect_rec(cs, 1, "h", NULL);
	expect_err(cs, HL_EINVALID,
	           "line 3: quoted field never closed (the record starts at line 2)");
	hl_csv_free(cs);
}

static void test_stray_quotes(void **state)
{
	(void)state;
	hl_csv *cs = open_ok(put("stray.csv", "a,b\nx,ab\"c\n", -1));
	expect_rec(cs, 1, "a", "b", NULL);
	expect_err(cs, HL_EINVALID, "stray.csv: line 2: quote inside unquoted field 2");
	hl_csv_free(cs);

	cs = open_ok(put("after.csv", "\"a\"b,c\n", -1));
	expect_err(cs, HL_EINVALID, "line 1: text after the closing quote of field 1");
	hl_csv_free(cs);
}

static void test_ragged_rows(void **state)
{
	(void)state;
	hl_csv *cs = open_ok(put("ragged.csv", "a,b,c\n1\n1,2,3,4\n,\n", -1));
	expect_rec(cs, 1, "a", "b", "c", NULL);
	expect_rec(cs, 2, "1", NULL);
	expect_rec(cs, 3, "1", "2", "3", "4", NULL);
	expect_end(cs); /* "," is a row of empty fields */
	hl_csv_free(cs);
}

static void test_empty_and_header_only(void **state)
{
	(void)state;
	hl_csv *cs = open_ok(put("empty.csv", "", 0));
	assert_int_equal(hl_csv_size(cs), 0);
	expect_end(cs);
	hl_csv_free(cs);

	cs = open_ok(put("blank.csv", "\r\n\n\r\n", -1));
	expect_end(cs);
	hl_csv_free(cs);

	cs = open_ok(put("header.csv", "ma_ho_so,tieu_de,nam\r\n", -1));
	expect_rec(cs, 1, "ma_ho_so", "tieu_de", "nam", NULL);
	expect_end(cs);
	hl_csv_free(cs);
}

static void test_open_errors(void **state)
{
	(void)state;
	hl_csv *cs = NULL;
	char path[512];
	snprintf(path, sizeof(path), "%s/missing.csv", tmpdir);
	assert_int_equal(hl_csv_open(&cs, path), HL_ENOTFOUND);
	assert_non_null(strstr(hl_error_last(), "missing.csv"));
	assert_int_equal(hl_csv_open(&cs, tmpdir), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "is a directory"));
	assert_null(cs);
}

/* A file known to its user by another name than its path (the server's copy of an uploaded
 * manifest): every message names it so, never the path. */
static void test_open_named(void **state)
{
	(void)state;
	hl_csv *cs = NULL;
	char path[512];
	const char *p = put("copy-7f3a.csv", "a,b\n1,\"never closed\n", -1);
	assert_int_equal(hl_csv_open_named(&cs, p, "manifest"), 0);
	expect_rec(cs, 1, "a", "b", NULL);
	expect_err(cs, HL_EINVALID, "manifest: line 2: quoted field never closed");
	assert_null(strstr(hl_error_last(), "copy-7f3a"));
	hl_csv_free(cs);
	cs = NULL;
	p = put("copy-utf16.csv",
	        "\xff\xfe"
	        "a\0",
	        4);
	assert_int_equal(hl_csv_open_named(&cs, p, "manifest"), HL_EINVALID);
	assert_string_equal(hl_error_last(),
	                    "manifest: line 1: the file is UTF-16; save it as UTF-8");
	snprintf(path, sizeof(path), "%s/missing-7f3a.csv", tmpdir);
	assert_int_equal(hl_csv_open_named(&cs, path, "manifest"), HL_ENOTFOUND);
	assert_string_equal(hl_error_last(), "manifest: no such file");
	assert_int_equal(hl_csv_open_named(&cs, tmpdir, "manifest"), HL_EINVALID);
	assert_string_equal(hl_error_last(), "manifest: is a directory, not a CSV file");
	assert_null(cs);
	/* NULL: the path, as hl_csv_open */
	assert_int_equal(hl_csv_open_named(&cs, path, NULL), HL_ENOTFOUND);
	assert_non_null(strstr(hl_error_last(), path));
}

static void test_field_limits(void **state)
{
	(void)state;
	char big[202];
	memset(big, 'x', 201);
	big[201] = '\0';
	char buf[600];
	snprintf(buf, sizeof(buf), "a\n\"%.100s\"\nb\n%s\n", big, big);
	hl_csv *cs = open_ok(put("limit.csv", buf, -1));
	hl_util__csv_set_limits(cs, 100, 0, 0);
	expect_rec(cs, 1, "a", NULL);
	expect_rec(cs, 2, big + 101, NULL); /* exactly 100 bytes: allowed */
	expect_rec(cs, 3, "b", NULL);
	expect_err(cs, HL_ELIMIT, "limit.csv: line 4: field 1 is longer than 100 bytes");
	hl_csv_free(cs);

	/* Too many fields, with the real limit of 512. */
	char *row = malloc(2 * 600);
	size_t k = 0;
	for (int i = 0; i < 513; i++)
		row[k++] = 'f', row[k++] = ',';
	row[k - 1] = '\n';
	row[k] = '\0';
	cs = open_ok(put("wide.csv", row, -1));
	expect_err(cs, HL_ELIMIT, "line 1: more than 512 fields in one record");
	hl_csv_free(cs);
	row[2 * 512 - 1] = '\n'; /* 512 fields: allowed */
	row[2 * 512] = '\0';
	cs = open_ok(put("wide.csv", row, -1));
	char **f;
	size_t n;
	uint64_t line;
	assert_int_equal(hl_csv_next(cs, &f, &n, &line), 1);
	assert_int_equal(n, 512);
	expect_end(cs);
	hl_csv_free(cs);
	free(row);

	/* A whole record over its limit, though each field is within. */
	cs = open_ok(put("rec.csv", "aaaa,bbbb,cccc,dddd\n", -1));
	hl_util__csv_set_limits(cs, 0, 0, 12);
	expect_err(cs, HL_ELIMIT, "line 1: record is longer than 12 bytes");
	hl_csv_free(cs);
}

/* A 3 MB field on one line, under a 1000-byte limit: the reader must stop long before it has
 * buffered the field. */
static void test_runaway_field_bounded(void **state)
{
	(void)state;
	size_t len = 3u << 20;
	char *data = malloc(len + 8);
	memcpy(data, "h\n\"", 3);
	memset(data + 3, 'z', len);
	memcpy(data + 3 + len, "\"\n", 2);
	hl_csv *cs = open_ok(put("runaway.csv", data, (long)len + 5));
	free(data);
	hl_util__csv_set_limits(cs, 1000, 0, 0);
	expect_rec(cs, 1, "h", NULL);
	expect_err(cs, HL_ELIMIT, "line 2: field 1 is longer than 1000 bytes");
	assert_true(hl_util__csv_mem(cs) < 300u << 10);
	assert_true(hl_csv_offset(cs) < 200u << 10);
	hl_csv_free(cs);
}

/* The real 16 MiB field limit: one byte over it fails, the limit itself passes. */
static void test_default_field_limit(void **state)
{
	(void)state;
	size_t len = HL_CSV_MAX_FIELD + 1;
	char *data = malloc(len + 4);
	memset(data, 'q', len);
	data[len] = '\n';
	hl_csv *cs = open_ok(put("huge.csv", data, (long)len + 1));
	expect_err(cs, HL_ELIMIT, "line 1: field 1 is longer than 16777216 bytes");
	hl_csv_free(cs);
	cs = open_ok(put("huge.csv", data + 1, (long)len));
	char **f;
	size_t n;
	uint64_t line;
	assert_int_equal(hl_csv_next(cs, &f, &n, &line), 1);
	assert_int_equal(strlen(f[0]), HL_CSV_MAX_FIELD);
	expect_end(cs);
	hl_csv_free(cs);
	free(data);
}

/* 100,000 rows, with a quoted two-line field every 1000th row: every record arrives, with the
 * right line, and the reader's memory stays that of one chunk and one record. */
static void test_many_records_stream(void **state)
{
	(void)state;
	char path[512];
	snprintf(path, sizeof(path), "%s/many.csv", tmpdir);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputs("stt,ma,ten\r\n", f);
	for (int i = 1; i <= 100000; i++) {
		if (i % 1000 == 0)
			fprintf(f, "%d,QN-%06d,\"Hồ sơ số %d\r\nphần hai\"\r\n", i, i, i);
		else
			fprintf(f, "%d,QN-%06d,Hồ sơ số %d\r\n", i, i, i);
	}
	assert_int_equal(fclose(f), 0);

	hl_csv *cs = open_ok(path);
	char **fl;
	size_t n;
	uint64_t line, want = 1, count = 0;
	size_t peak = 0;
	int rc;
	while ((rc = hl_csv_next(cs, &fl, &n, &line)) == 1) {
		assert_int_equal(line, want);
		assert_int_equal(n, 3);
		if (count) {
			assert_int_equal(strtol(fl[0], NULL, 10), (long)count);
			char exp[64];
			snprintf(exp, sizeof(exp), "QN-%06llu", (unsigned long long)count);
			assert_string_equal(fl[1], exp);
		}
		want += (count && count % 1000 == 0) ? 2 : 1;
		count++;
		size_t m = hl_util__csv_mem(cs);
		if (m > peak)
			peak = m;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(count, 100001);
	assert_int_equal(hl_csv_offset(cs), hl_csv_size(cs));
	assert_true(hl_csv_size(cs) > 3u << 20);
	/* One 64 KiB chunk, libcsv's field buffer and one small record: far below the file. */
	assert_true(peak < 160u << 10);
	hl_csv_free(cs);
}

/* A long field of 3-byte Vietnamese characters crosses the 64 KiB chunk boundaries mid-character.
 */
static void test_multibyte_across_chunks(void **state)
{
	(void)state;
	size_t reps = 100000;
	char *field = malloc(reps * 3 + 1);
	for (size_t i = 0; i < reps; i++)
		memcpy(field + 3 * i, "ạ", 3);
	field[reps * 3] = '\0';
	char *data = malloc(reps * 3 + 16);
	int k = sprintf(data, "x,");
	memcpy(data + k, field, reps * 3);
	memcpy(data + k + reps * 3, "\nvề\n", 6);
	hl_csv *cs = open_ok(put("long.csv", data, (long)(k + reps * 3 + 6)));
	expect_rec(cs, 1, "x", field, NULL);
	expect_rec(cs, 2, "về", NULL);
	expect_end(cs);
	hl_csv_free(cs);
	free(field);
	free(data);
}

static void test_writer_quoting(void **state)
{
	(void)state;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	const char *rec[] = {"a", "b,c", "d\"e", " f", "g ", "", "h\ni", "Đà Nẵng", NULL};
	assert_int_equal(hl_csv_write(f, rec, 9), 0);
	fclose(f);
	assert_string_equal(out, "a,\"b,c\",\"d\"\"e\",\" f\",\"g \",,\"h\ni\",Đà Nẵng,\r\n");
	free(out);
}

static void roundtrip(const char *name, const char *const *const *recs, size_t nrecs,
                      const size_t *widths)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	for (size_t i = 0; i < nrecs; i++)
		assert_int_equal(hl_csv_write(f, recs[i], widths[i]), 0);
	assert_int_equal(fclose(f), 0);

	hl_csv *cs = open_ok(path);
	char **fl;
	size_t n;
	uint64_t line, prev = 0;
	for (size_t i = 0; i < nrecs; i++) {
		int rc = hl_csv_next(cs, &fl, &n, &line);
		if (rc != 1)
			fail_msg("record %zu: %d %s", i, rc, hl_error_last());
		assert_true(line > prev);
		prev = line;
		assert_int_equal(n, widths[i]);
		for (size_t j = 0; j < n; j++)
			assert_string_equal(fl[j], recs[i][j]);
	}
	expect_end(cs);
	hl_csv_free(cs);
}

static void test_roundtrip_hostile(void **state)
{
	(void)state;
	const char *r0[] = {"ma", "tieu_de", "ghi chu"};
	const char *r1[] = {" dấu cách đầu", "cuối ", "\"", "\"\"", ",", "\r\n", "\r", "\n\n"};
	const char *r2[] = {"", "x", ""};
	const char *r3[] = {"Thành phố Quảng Ninh, \"đặc khu\" Vân Đồn\r\nxã Quảng Tân"};
	const char *r4[] = {"tab\tin", "\tlead", "trail\t", "Nghị quyết số 202/2025/QH15"};
	const char *const *recs[] = {r0, r1, r2, r3, r4};
	size_t widths[] = {3, 8, 3, 1, 4};
	roundtrip("rt.csv", recs, 5, widths);

	/* A field that begins with U+FEFF, first in the file, is not mistaken for a BOM (found by
	 * fuzz_csv). */
	const char *b0[] = {"\xEF\xBB\xBFmã", "tên"};
	const char *const *brecs[] = {b0, b0};
	size_t bwidths[] = {2, 2};
	roundtrip("feff.csv", brecs, 2, bwidths);
}

static const char *corpus_path(void)
{
	static char p[1024];
	const char *src = getenv("HALONG_SRC");
	const char *cands[] = {"/../shared/data/corpus/alqac2023_law_articles.jsonl",
	                       "/shared/data/corpus/alqac2023_law_articles.jsonl"};
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s%s", src ? src : ".", cands[i]);
		if (access(p, R_OK) == 0)
			return p;
	}
	snprintf(p, sizeof(p), "/work/shared/data/corpus/alqac2023_law_articles.jsonl");
	return p;
}

/* Real law articles (multi-line, with quotes and commas) survive a write and a read. */
static void test_roundtrip_law_articles(void **state)
{
	(void)state;
	FILE *in = fopen(corpus_path(), "r");
	if (!in)
		fail_msg("corpus not found at %s", corpus_path());
	enum { N = 400 };
	char *vals[N][3];
	const char *const *recs[N];
	const char *rows[N][3];
	size_t widths[N];
	char line[1 << 16];
	size_t n = 0, with_quote = 0, with_nl = 0;
	while (n < N && fgets(line, sizeof(line), in)) {
		json_t *o = json_loads(line, 0, NULL);
		if (!o)
			continue;
		vals[n][0] = hl_strdup(json_string_value(json_object_get(o, "id")));
		vals[n][1] = hl_strdup(json_string_value(json_object_get(o, "article_title")));
		vals[n][2] = hl_strdup(json_string_value(json_object_get(o, "text")));
		json_decref(o);
		if (!vals[n][0] || !vals[n][1] || !vals[n][2])
			fail_msg("corpus line without id/article_title/text");
		with_quote += strchr(vals[n][2], '"') != NULL;
		with_nl += strchr(vals[n][2], '\n') != NULL;
		for (int j = 0; j < 3; j++)
			rows[n][j] = vals[n][j];
		recs[n] = rows[n];
		widths[n] = 3;
		n++;
	}
	fclose(in);
	assert_int_equal(n, N);
	assert_true(with_nl > N / 2);
	roundtrip("laws.csv", recs, n, widths);
	for (size_t i = 0; i < n; i++)
		for (int j = 0; j < 3; j++)
			free(vals[i][j]);
	(void)with_quote;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_quoted_line_breaks),
	    cmocka_unit_test(test_doubled_quotes),
	    cmocka_unit_test(test_spaces_kept),
	    cmocka_unit_test(test_bom),
	    cmocka_unit_test(test_line_endings),
	    cmocka_unit_test(test_utf16_rejected),
	    cmocka_unit_test(test_legacy_encodings_rejected),
	    cmocka_unit_test(test_unterminated_quote),
	    cmocka_unit_test(test_stray_quotes),
	    cmocka_unit_test(test_ragged_rows),
	    cmocka_unit_test(test_empty_and_header_only),
	    cmocka_unit_test(test_open_errors),
	    cmocka_unit_test(test_open_named),
	    cmocka_unit_test(test_field_limits),
	    cmocka_unit_test(test_runaway_field_bounded),
	    cmocka_unit_test(test_default_field_limit),
	    cmocka_unit_test(test_many_records_stream),
	    cmocka_unit_test(test_multibyte_across_chunks),
	    cmocka_unit_test(test_writer_quoting),
	    cmocka_unit_test(test_roundtrip_hostile),
	    cmocka_unit_test(test_roundtrip_law_articles),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
