/* Fuzz target of the XLSX reader (src/lib/util/xlsx.c). An input starting with "PK" is a whole
 * .xlsx file; any other input holds the parts of a workbook, each started by a line "@@ NAME",
 * which the target zips (stored) before reading, so that mutations reach the XML rather than
 * break the zip's checksums:
 *
 *     @@ xl/workbook.xml
 *     <workbook ...><sheets><sheet name="Trang 1" r:id="rId1"/></sheets></workbook>
 *     @@ xl/worksheets/sheet1.xml
 *     ...
 *
 * Each input is read through hl_util__xlsx_open_mem three times: the first sheet, the sheet
 * "Trang 2", and the first sheet again a few bytes at a time. Invariants: open fails with
 * HL_EINVALID, HL_ELIMIT, HL_ENOTFOUND or HL_EIO (a part that does not inflate) and one clean
 * line starting "fuzz.xlsx: "; rows rise within Excel's limits, have 1 to 16,384 fields ending
 * in a non-empty one, each valid UTF-8 of at most 32,767 characters; errors are HL_EINVALID,
 * HL_ELIMIT or HL_EIO and stay; the rows and the error do not depend on the size of the chunks
 * the sheet is read by (but for HL_EIO, see below, and the wording of expat's messages). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zip.h>

#define FUZZ_NAME "fuzz_xlsx"
#include "fuzz_util.h"
#include "halong/util.h"
#include "util/util_int.h"

/* The workbook the input describes, zipped: malloc'd, *len bytes; NULL when libzip refuses
 * (an entry's name it cannot take). */
static uint8_t *zip_parts(const uint8_t *data, size_t size, size_t *len)
{
	zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, NULL);
	CHECK(src);
	zip_source_keep(src);
	zip_t *z = zip_open_from_source(src, ZIP_TRUNCATE, NULL);
	CHECK(z);
	const char *s = (const char *)data, *end = s + size;
	for (const char *p = s; p + 3 <= end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (memcmp(p, "@@ ", 3) || !nl) {
			p = nl ? nl + 1 : end;
			continue;
		}
		char name[256];
		size_t nlen = (size_t)(nl - p - 3);
		if (nlen >= sizeof(name))
			nlen = sizeof(name) - 1;
		memcpy(name, p + 3, nlen);
		name[nlen] = '\0';
		/* the part: up to the next line starting "@@ " */
		const char *body = nl + 1, *q = body;
		while (q < end &&
		       !(q + 3 <= end && !memcmp(q, "@@ ", 3) && (q == body || q[-1] == '\n')))
			q++;
		size_t blen = (size_t)(q - body);
		if (blen && body[blen - 1] == '\n')
			blen--;
		zip_source_t *b = zip_source_buffer(z, body, blen, 0);
		CHECK(b);
		zip_int64_t idx = zip_file_add(z, name, b, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8);
		if (idx < 0)
			zip_source_free(b);
		else
			CHECK(zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0) == 0);
		p = q;
	}
	uint8_t *out = NULL;
	zip_stat_t st;
	/* an archive without entries is no archive: the source is then empty, and cannot open */
	if (zip_close(z) != 0) {
		zip_discard(z);
	} else if (zip_source_open(src) == 0) {
		CHECK(zip_source_stat(src, &st) == 0 && (st.valid & ZIP_STAT_SIZE));
		out = malloc(st.size + 1);
		CHECK(out);
		CHECK(zip_source_read(src, out, st.size) == (zip_int64_t)st.size);
		*len = st.size;
		zip_source_close(src);
	}
	zip_source_free(src);
	return out;
}

/* Reads a sheet to its end or to an error; returns the error (0 at the end) and a hash of the
 * rows read, with the error's message. */
static int read_sheet(const uint8_t *zip, size_t len, const char *sheet, size_t chunk,
                      uint64_t *hash)
{
	hl_xlsx *x = NULL;
	int rc = hl_util__xlsx_open_mem(&x, zip, len, "fuzz.xlsx", sheet);
	if (rc < 0) {
		CHECK(rc == HL_EINVALID || rc == HL_ELIMIT || rc == HL_ENOTFOUND || rc == HL_EIO);
		CHECK(!x);
		CHECK(!strncmp(hl_error_last(), "fuzz.xlsx: ", 11));
		fuzz_message_ok(hl_error_last());
		return rc;
	}
	CHECK(x);
	hl_util__xlsx_set_chunk(x, chunk);
	char **f;
	size_t n;
	uint64_t row, prev = 0, h = 1469598103934665603ull;
	while ((rc = hl_xlsx_next(x, &f, &n, &row)) == 1) {
		CHECK(row > prev && row <= HL_XLSX__MAX_ROWS);
		prev = row;
		CHECK(n >= 1 && n <= HL_XLSX__MAX_COLS && !f[n] && f[n - 1][0]);
		h = (h ^ row) * 1099511628211ull;
		for (size_t i = 0; i < n; i++) {
			size_t flen = strlen(f[i]), chars = 0;
			CHECK(hl_text_check_utf8(f[i], flen, NULL) == 0);
			for (size_t k = 0; k < flen; k++) {
				chars += ((unsigned char)f[i][k] & 0xC0) != 0x80;
				h = (h ^ (uint8_t)f[i][k]) * 1099511628211ull;
			}
			CHECK(chars <= HL_XLSX__MAX_CELL);
			h = (h ^ 0x100) * 1099511628211ull;
		}
	}
	if (rc < 0) {
		char msg[1024];
		CHECK(rc == HL_EINVALID || rc == HL_ELIMIT || rc == HL_EIO);
		CHECK(!strncmp(hl_error_last(), "fuzz.xlsx: ", 11));
		fuzz_message_ok(hl_error_last());
		snprintf(msg, sizeof(msg), "%s", hl_error_last());
		CHECK(hl_xlsx_next(x, &f, &n, &row) == rc && !strcmp(hl_error_last(), msg));
		/* the message too, but for expat's: how it words an error in XML, and where, may
		 * depend on where a chunk ends ("junk after document element" or "not well-formed")
		 */
		if (!strstr(msg, ": line "))
			for (const char *m = msg; *m; m++)
				h = (h ^ (uint8_t)*m) * 1099511628211ull;
	} else {
		CHECK(hl_xlsx_next(x, &f, &n, &row) == 0);
	}
	hl_xlsx_free(x);
	*hash = h;
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a workbook for tests needs a few KiB; a bigger input only slows the run */
	if (size > (256u << 10))
		return 0;
	size_t len = size;
	uint8_t *zip = NULL;
	if (size < 2 || memcmp(data, "PK", 2)) {
		zip = zip_parts(data, size, &len);
		if (!zip)
			return 0;
	}
	const uint8_t *z = zip ? zip : data;
	uint64_t h1 = 0, h2 = 0, h3 = 0;
	int rc1 = read_sheet(z, len, NULL, 0, &h1);
	read_sheet(z, len, "Trang 2", 0, &h3);
	/* The same rows and the same error when the sheet arrives in small pieces; but when the
	 * zip cannot be inflated (HL_EIO), libzip hands out nothing of the chunk it fails in: a
	 * larger chunk may end sooner, before rows or an XML error that smaller ones reach. */
	int rc2 = read_sheet(z, len, NULL, 1 + fuzz_seed(data, size) % 16, &h2);
	CHECK(rc1 == HL_EIO || (rc1 == rc2 && h1 == h2));
	free(zip);
	return 0;
}
