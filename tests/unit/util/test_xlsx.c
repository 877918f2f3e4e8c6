/* Tests of the XLSX reader: workbooks written by libxlsxwriter and openpyxl, and hostile ones
 * zipped by hand with libzip (rich text, DOCTYPE bombs, targets outside xl/, zip bombs). */
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

#include <xlsxwriter.h>
#include <zip.h>

#include "halong/text.h"
#include "halong/util.h"
#include "util/util_int.h"

static char tmpdir[] = "/tmp/hl_test_xlsx_XXXXXX";

#define CHUNK_DEFAULT (64u << 10)

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

static const char *path_of(const char *name)
{
	static char path[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(path[k], sizeof(path[k]), "%s/%s", tmpdir, name);
	return path[k];
}

/* ---- hand-made workbooks ---- */

#define MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define RNS  "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define PKG  "http://schemas.openxmlformats.org/package/2006/relationships"
#define WS   RNS "/worksheet"

/* One entry of a hand-made zip: stored (not compressed) when `store`; len 0: strlen. */
struct part {
	const char *name;
	const char *data;
	size_t len;
	int store;
};

static const char *make_zip(const char *file, const struct part *parts, size_t n)
{
	const char *path = path_of(file);
	int err;
	unlink(path);
	zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
	assert_non_null(z);
	for (size_t i = 0; i < n; i++) {
		size_t len = parts[i].len ? parts[i].len : strlen(parts[i].data);
		zip_source_t *s = zip_source_buffer(z, parts[i].data, len, 0);
		assert_non_null(s);
		zip_int64_t idx = zip_file_add(z, parts[i].name, s, ZIP_FL_OVERWRITE);
		assert_true(idx >= 0);
		if (parts[i].store)
			assert_int_equal(
			    zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0), 0);
	}
	assert_int_equal(zip_close(z), 0);
	return path;
}

static const char *workbook_xml(void)
{
	return "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"
	       "<workbook xmlns=\"" MAIN "\" xmlns:r=\"" RNS "\"><sheets>"
	       "<sheet name=\"Trang 1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
}

static const char *rels_xml(const char *sheet_target)
{
	static char buf[1024];
	snprintf(buf, sizeof(buf),
	         "<Relationships xmlns=\"" PKG "\">"
	         "<Relationship Id=\"rId1\" Type=\"" WS "\" Target=\"%s\"/>"
	         "<Relationship Id=\"rId2\" Type=\"" RNS "/sharedStrings\" "
	         "Target=\"sharedStrings.xml\"/>"
	         "<Relationship Id=\"rId3\" Type=\"" RNS "/styles\" Target=\"styles.xml\"/>"
	         "</Relationships>",
	         sheet_target);
	return buf;
}

/* A workbook of one sheet "Trang 1" with the given sheetData content, shared strings and styles
 * (NULL: the part is absent). */
static const char *sheet_zip(const char *file, const char *rows, const char *sst,
                             const char *styles)
{
	static char sheet[1 << 16];
	snprintf(sheet, sizeof(sheet),
	         "<worksheet xmlns=\"" MAIN "\"><sheetData>%s</sheetData>"
	         "</worksheet>",
	         rows);
	struct part p[5] = {{"xl/workbook.xml", workbook_xml(), 0, 0},
	                    {"xl/_rels/workbook.xml.rels", rels_xml("worksheets/sheet1.xml"), 0, 0},
	                    {"xl/worksheets/sheet1.xml", sheet, 0, 0}};
	size_t n = 3;
	if (sst)
		p[n++] = (struct part){"xl/sharedStrings.xml", sst, 0, 0};
	if (styles)
		p[n++] = (struct part){"xl/styles.xml", styles, 0, 0};
	return make_zip(file, p, n);
}

/* Sets the uncompressed size that the central directory declares for `name`, and with `local`
 * the local header's too: what a lying zip says. */
static void patch_size(const char *path, const char *name, uint32_t size, int local)
{
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	static unsigned char b[1 << 20];
	size_t n = fread(b, 1, sizeof(b), f), nl = strlen(name);
	int found = 0;
	for (size_t i = 0; i + 46 + nl <= n; i++) {
		size_t at = 0, name_at = 0;
		if (!memcmp(b + i, "PK\1\2", 4)) {
			at = i + 24;
			name_at = i + 46;
		} else if (local && !memcmp(b + i, "PK\3\4", 4)) {
			at = i + 22;
			name_at = i + 30;
		} else {
			continue;
		}
		if (memcmp(b + name_at, name, nl))
			continue;
		for (int k = 0; k < 4; k++)
			b[at + k] = (unsigned char)(size >> (8 * k));
		found++;
	}
	assert_true(found >= 1);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	assert_int_equal(fwrite(b, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* ---- reading ---- */

static hl_xlsx *open_ok(const char *path, const char *sheet)
{
	hl_xlsx *x = NULL;
	int rc = hl_xlsx_open(&x, path, sheet);
	if (rc != 0)
		fail_msg("open %s: %d %s", path, rc, hl_error_last());
	return x;
}

/* Reads the next row and checks its number and exactly these fields (NULL-ended). */
static void expect_row(hl_xlsx *x, uint64_t want_row, ...)
{
	char **fields;
	size_t n, i = 0;
	uint64_t row;
	int rc = hl_xlsx_next(x, &fields, &n, &row);
	if (rc != 1)
		fail_msg("expected row %llu, got %d: %s", (unsigned long long)want_row, rc,
		         hl_error_last());
	assert_int_equal(row, want_row);
	va_list ap;
	va_start(ap, want_row);
	for (const char *w; (w = va_arg(ap, const char *)); i++) {
		if (i >= n)
			fail_msg("row %llu: %zu fields, expected more", (unsigned long long)row, n);
		if (strcmp(fields[i], w))
			fail_msg("row %llu, field %zu: \"%s\", expected \"%s\"",
			         (unsigned long long)row, i, fields[i], w);
	}
	va_end(ap);
	assert_int_equal(n, i);
	assert_null(fields[n]);
}

static void expect_end(hl_xlsx *x)
{
	char **fields;
	size_t n;
	uint64_t row;
	int rc = hl_xlsx_next(x, &fields, &n, &row);
	if (rc != 0)
		fail_msg("expected the end, got %d (%s)", rc,
		         rc == 1 ? fields[0] : hl_error_last());
}

static void expect_msg(const char *msg)
{
	if (!strstr(hl_error_last(), msg))
		fail_msg("message \"%s\" lacks \"%s\"", hl_error_last(), msg);
}

/* Expects an error `code` naming `msg` from hl_xlsx_next, twice (errors are sticky). */
static void expect_err(hl_xlsx *x, int code, const char *msg)
{
	char **fields;
	size_t n;
	uint64_t row;
	for (int k = 0; k < 2; k++) {
		int rc = hl_xlsx_next(x, &fields, &n, &row);
		if (rc != code)
			fail_msg("expected error %d, got %d (%s)", code, rc,
			         rc == 1 ? fields[0] : hl_error_last());
		expect_msg(msg);
	}
}

/* Expects hl_xlsx_open to fail with `code` and a message holding `msg`. */
static void expect_open_err(const char *path, const char *sheet, int code, const char *msg)
{
	hl_xlsx *x = NULL;
	int rc = hl_xlsx_open(&x, path, sheet);
	if (rc != code)
		fail_msg("open %s: expected %d, got %d (%s)", path, code, rc, hl_error_last());
	assert_null(x);
	expect_msg(msg);
}

/* Opens the only sheet of a hand-made workbook and expects an error from hl_xlsx_next. */
static void expect_rows_err(const char *path, int code, const char *msg)
{
	hl_xlsx *x = open_ok(path, NULL);
	char **fields;
	size_t n;
	uint64_t row;
	int rc;
	while ((rc = hl_xlsx_next(x, &fields, &n, &row)) == 1)
		;
	if (rc != code)
		fail_msg("%s: expected %d, got %d (%s)", path, code, rc, hl_error_last());
	expect_msg(msg);
	expect_err(x, code, msg);
	hl_xlsx_free(x);
}

/* ---- a workbook as Excel users make them (libxlsxwriter) ---- */

static const char *write_ledger(const char *file, int constant_memory)
{
	const char *path = path_of(file);
	lxw_workbook_options opt = {.constant_memory = (uint8_t)constant_memory};
	lxw_workbook *wb = workbook_new_opt(path, &opt);
	assert_non_null(wb);
	lxw_worksheet *ws = workbook_add_worksheet(wb, "Hồ sơ");
	lxw_worksheet *ws2 = workbook_add_worksheet(wb, "Thống kê");
	lxw_format *bold = workbook_add_format(wb), *dmy = workbook_add_format(wb);
	lxw_format *b14 = workbook_add_format(wb), *dt = workbook_add_format(wb);
	lxw_format *hm = workbook_add_format(wb), *money = workbook_add_format(wb);
	format_set_bold(bold);
	format_set_num_format(dmy, "dd/mm/yyyy");
	format_set_num_format_index(b14, 14);
	format_set_num_format(dt, "[$-42A]dd/mm/yyyy hh:mm:ss");
	format_set_num_format(hm, "hh:mm");
	format_set_num_format(money, "#,##0 \"đồng\"");
	lxw_datetime d = {2025, 6, 30, 0, 0, 0}, dtime = {2025, 6, 30, 14, 5, 9};

	worksheet_write_string(ws, 0, 0, "Mã hồ sơ", bold);
	worksheet_write_string(ws, 0, 1, "Tiêu đề", bold);
	worksheet_write_string(ws, 0, 2, "Ngày", bold);
	worksheet_write_string(ws, 0, 3, "Số trang", bold);
	worksheet_write_string(ws, 0, 4, "Gấp đôi", bold);
	worksheet_write_string(ws, 1, 0, "QN-001", NULL);
	worksheet_write_string(ws, 1, 1, "Sở Khoa học và Công nghệ", NULL);
	worksheet_write_datetime(ws, 1, 2, &d, dmy);
	worksheet_write_number(ws, 1, 3, 12, NULL);
	worksheet_write_formula_num(ws, 1, 4, "=D2*2", NULL, 24);
	/* row 3 empty */
	worksheet_write_string(ws, 3, 0, "Quý II/2025", NULL);
	worksheet_write_datetime(ws, 3, 2, &dtime, dt);
	worksheet_write_boolean(ws, 3, 5, 1, NULL);
	worksheet_write_blank(ws, 3, 6, bold); /* styled but empty: trimmed */
	worksheet_write_blank(ws, 4, 0, bold); /* a row of only that: skipped */
	worksheet_write_number(ws, 5, 0, 3.14159, NULL);
	worksheet_write_number(ws, 5, 1, -0.5, NULL);
	worksheet_write_number(ws, 5, 2, 1e20, NULL);
	worksheet_write_number(ws, 5, 3, 45838, b14);
	worksheet_write_boolean(ws, 5, 4, 0, NULL);
	worksheet_write_formula_str(ws, 6, 0, "=\"Hạ \"&\"Long\"", NULL, "Hạ Long");
	worksheet_write_string(ws, 6, 26, "cột AA", NULL);
	worksheet_write_number(ws, 7, 0, 0.5, hm);
	worksheet_write_number(ws, 7, 1, 1500000, money);
	worksheet_write_string(ws, 7, 2, "dòng 1\ndòng 2", NULL);

	worksheet_write_string(ws2, 0, 0, "Năm", NULL);
	worksheet_write_string(ws2, 0, 1, "Số hồ sơ", NULL);
	worksheet_write_number(ws2, 1, 0, 2024, NULL);
	worksheet_write_number(ws2, 1, 1, 120, NULL);
	assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
	return path;
}

static void expect_ledger(hl_xlsx *x)
{
	expect_row(x, 1, "Mã hồ sơ", "Tiêu đề", "Ngày", "Số trang", "Gấp đôi", NULL);
	expect_row(x, 2, "QN-001", "Sở Khoa học và Công nghệ", "2025-06-30", "12", "24", NULL);
	expect_row(x, 4, "Quý II/2025", "", "2025-06-30T14:05:09", "", "", "TRUE", NULL);
	expect_row(x, 6, "3.14159", "-0.5", "1E+20", "2025-06-30", "FALSE", NULL);
	expect_row(x, 7, "Hạ Long", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
	           "", "", "", "", "", "", "", "", "", "cột AA", NULL);
	expect_row(x, 8, "12:00:00", "1500000", "dòng 1\ndòng 2", NULL);
	expect_end(x);
	expect_end(x);
}

static void test_libxlsxwriter_workbook(void **state)
{
	(void)state;
	const char *path = write_ledger("ledger.xlsx", 0);
	assert_int_equal(hl_xlsx_is(path), 1);

	hl_xlsx *x = open_ok(path, NULL); /* the first sheet */
	expect_ledger(x);
	hl_xlsx_free(x);

	x = open_ok(path, "Thống kê");
	expect_row(x, 1, "Năm", "Số hồ sơ", NULL);
	expect_row(x, 2, "2024", "120", NULL);
	expect_end(x);
	hl_xlsx_free(x);

	/* The same rows when the sheet arrives a few bytes at a time: rows, cells and characters
	 * cut across chunks. */
	for (size_t chunk = 1; chunk <= 13; chunk += 4) {
		x = open_ok(path, "Hồ sơ");
		hl_util__xlsx_set_chunk(x, chunk);
		expect_ledger(x);
		hl_xlsx_free(x);
	}

	expect_open_err(path, "Sheet1", HL_ENOTFOUND,
	                "ledger.xlsx: sheet \"Sheet1\" not found; sheets: Hồ sơ, Thống kê");
	expect_open_err(path, "hồ sơ", HL_ENOTFOUND, "sheet \"hồ sơ\" not found");
}

/* libxlsxwriter's constant_memory mode writes inline strings (t="inlineStr"). */
static void test_inline_strings(void **state)
{
	(void)state;
	const char *path = write_ledger("ledger_inline.xlsx", 1);
	hl_xlsx *x = open_ok(path, NULL);
	expect_ledger(x);
	hl_xlsx_free(x);
}

/* ---- what other writers do (hand-made) ---- */

static void test_rich_text_and_escapes(void **state)
{
	(void)state;
	const char *sst =
	    "<sst xmlns=\"" MAIN "\" count=\"4\" uniqueCount=\"4\">"
	    "<si><t>Ủy ban nhân dân</t></si>"
	    /* rich text: runs concatenated, the phonetic reading (rPh) left out */
	    "<si><r><rPr><b/></rPr><t>Sở </t></r><r><t xml:space=\"preserve\">Khoa học </t></r>"
	    "<r><rPr><i/></rPr><t>và Công nghệ</t></r><rPh sb=\"0\" eb=\"1\"><t>ソ</t></rPh></si>"
	    /* _xHHHH_: a carriage return, a literal _x005F_, one that is not an escape */
	    "<si><t>dòng 1_x000D_\ndòng 2 _x005F_x0041_ _x12_</t></si>"
	    "<si><t>&lt;Quý&gt; &amp; &#x1EA0;</t></si>"
	    "</sst>";
	const char *rows =
	    "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>0</v></c><c r=\"B2\" t=\"s\"><v>1</v></c></row>"
	    "<row r=\"3\"><c r=\"A3\" t=\"s\"><v>2</v></c><c r=\"C3\" t=\"s\"><v>3</v></c></row>"
	    /* inline rich text, an error value, a formula's string, a date typed cell */
	    "<row r=\"5\"><c r=\"B5\" t=\"inlineStr\"><is><r><t>Quý </t></r><r><t>II/2025</t>"
	    "</r><rPh><t>x</t></rPh></is></c><c r=\"C5\" t=\"e\"><v>#DIV/0!</v></c>"
	    "<c r=\"D5\" t=\"str\"><f>A2&amp;\"!\"</f><v>Ủy ban_x000A_!</v></c>"
	    "<c r=\"E5\" t=\"d\"><v>2025-06-30T00:00:00</v></c></row>"
	    /* no r: the next row, the next columns */
	    "<row><c t=\"inlineStr\"><is><t>a</t></is></c><c><v>1</v></c><c r=\"E6\"><v>2</v></c>"
	    "<c><v>3</v></c></row>"
	    /* a cell with a value of empty text, and a styled cell: the row holds nothing */
	    "<row r=\"7\"><c r=\"A7\" t=\"inlineStr\"><is><t></t></is></c><c r=\"B7\" s=\"1\"/>"
	    "</row><row r=\"9\" spans=\"1:3\"/>";
	hl_xlsx *x = open_ok(sheet_zip("rich.xlsx", rows, sst, NULL), NULL);
	expect_row(x, 2, "Ủy ban nhân dân", "Sở Khoa học và Công nghệ", NULL);
	expect_row(x, 3, "dòng 1\r\ndòng 2 _x0041_ _x12_", "", "<Quý> & Ạ", NULL);
	expect_row(x, 5, "", "Quý II/2025", "#DIV/0!", "Ủy ban\n!", "2025-06-30T00:00:00", NULL);
	expect_row(x, 6, "a", "1", "", "", "2", "3", NULL);
	expect_end(x);
	hl_xlsx_free(x);
}

/* A workbook as the .NET Open XML SDK writes it: prefixed elements (x:), an absolute target, a
 * first sheet that is not rId1, and dates counted from 1904. */
static void test_prefixes_absolute_target_1904(void **state)
{
	(void)state;
	const char *wb = "<x:workbook xmlns:x=\"" MAIN "\" xmlns:rel=\"" RNS "\">"
	                 "<x:workbookPr date1904=\"1\"/><x:sheets>"
	                 "<x:sheet name=\"Bìa\" sheetId=\"2\" rel:id=\"rId7\"/>"
	                 "<x:sheet name=\"Dữ liệu\" sheetId=\"1\" rel:id=\"rId1\"/>"
	                 "</x:sheets></x:workbook>";
	const char *rels =
	    "<Relationships xmlns=\"" PKG "\">"
	    "<Relationship Id=\"rId1\" Type=\"" WS "\" Target=\"/xl/data.xml\"/>"
	    "<Relationship Id=\"rId7\" Type=\"" WS
	    "\" Target=\"./worksheets/../worksheets/cover.xml\"/>"
	    "<Relationship Id=\"rId9\" Type=\"" RNS "/styles\" Target=\"/xl/st.xml\"/>"
	    "</Relationships>";
	const char *styles = "<x:styleSheet xmlns:x=\"" MAIN "\"><x:numFmts count=\"2\">"
	                     "<x:numFmt numFmtId=\"164\" formatCode=\"d/m/yyyy\"/>"
	                     "<x:numFmt numFmtId=\"165\" formatCode=\"&quot;ngày&quot; 0\"/>"
	                     "</x:numFmts><x:cellXfs count=\"3\"><x:xf numFmtId=\"0\"/>"
	                     "<x:xf numFmtId=\"164\"/><x:xf numFmtId=\"165\"/></x:cellXfs>"
	                     "</x:styleSheet>";
	const char *cover = "<x:worksheet xmlns:x=\"" MAIN "\"><x:sheetData><x:row r=\"1\">"
	                    "<x:c r=\"A1\" t=\"inlineStr\"><x:is><x:t>Bìa</x:t></x:is></x:c>"
	                    "</x:row></x:sheetData></x:worksheet>";
	const char *data = "<x:worksheet xmlns:x=\"" MAIN "\"><x:sheetData><x:row r=\"1\">"
	                   "<x:c r=\"A1\" s=\"1\"><x:v>44377</x:v></x:c>"
	                   "<x:c r=\"B1\" s=\"2\"><x:v>44377</x:v></x:c>"
	                   "<x:c r=\"C1\" s=\"1\"><x:v>44377.75</x:v></x:c>"
	                   "</x:row></x:sheetData></x:worksheet>";
	struct part p[] = {{"xl/workbook.xml", wb, 0, 0},
	                   {"xl/_rels/workbook.xml.rels", rels, 0, 0},
	                   {"xl/st.xml", styles, 0, 0},
	                   {"xl/worksheets/cover.xml", cover, 0, 0},
	                   {"xl/data.xml", data, 0, 0}};
	const char *path = make_zip("sdk.xlsx", p, 5);
	hl_xlsx *x = open_ok(path, NULL);
	expect_row(x, 1, "Bìa", NULL);
	expect_end(x);
	hl_xlsx_free(x);
	x = open_ok(path, "Dữ liệu");
	/* 44377 days after 1904-01-01; a format with only quoted letters is no date */
	expect_row(x, 1, "2025-07-01", "44377", "2025-07-01T18:00:00", NULL);
	expect_end(x);
	hl_xlsx_free(x);
}

/* Which number formats are dates, and how serial numbers read in the 1900 system. */
static void test_date_formats(void **state)
{
	(void)state;
	const char *styles =
	    "<styleSheet xmlns=\"" MAIN "\"><numFmts>"
	    "<numFmt numFmtId=\"164\" formatCode=\"mmm\\-yy\"/>"
	    "<numFmt numFmtId=\"165\" formatCode=\"[h]:mm\"/>"
	    "<numFmt numFmtId=\"166\" formatCode=\"#,##0.00 [$₫-42A];[Red]\\-#,##0.00\"/>"
	    "<numFmt numFmtId=\"167\" formatCode=\"&quot;Ngày&quot; dd &quot;tháng&quot; mm\"/>"
	    "<numFmt numFmtId=\"168\" formatCode=\"mm:ss\"/>"
	    "</numFmts><cellXfs>"
	    "<xf numFmtId=\"0\"/><xf numFmtId=\"164\"/><xf numFmtId=\"165\"/><xf numFmtId=\"166\"/>"
	    "<xf numFmtId=\"167\"/><xf numFmtId=\"168\"/><xf numFmtId=\"22\"/><xf numFmtId=\"47\"/>"
	    "</cellXfs></styleSheet>";
	const char *rows =
	    "<row r=\"1\"><c s=\"1\"><v>45838</v></c><c s=\"2\"><v>0.25</v></c>"
	    "<c s=\"3\"><v>45838</v></c><c s=\"4\"><v>45838</v></c><c s=\"5\"><v>0.0006944</v></c>"
	    "<c s=\"6\"><v>45838.5</v></c><c s=\"7\"><v>1.5</v></c><c s=\"2\"><v>1.25</v></c>"
	    "</row>"
	    /* 1900-01-01, Excel's 29 February 1900, 1 March, out of range, not numbers */
	    "<row r=\"2\"><c s=\"1\"><v>1</v></c><c s=\"1\"><v>60</v></c><c s=\"1\"><v>61</v></c>"
	    "<c s=\"1\"><v>-1</v></c><c s=\"1\"><v>2958466</v></c><c s=\"1\"><v>1e3x</v></c>"
	    "<c s=\"1\"><v>nan</v></c><c s=\"99\"><v>45838</v></c></row>";
	hl_xlsx *x = open_ok(sheet_zip("dates.xlsx", rows, NULL, styles), NULL);
	expect_row(x, 1, "2025-06-30", "06:00:00", "45838", "2025-06-30", "00:01:00",
	           "2025-06-30T12:00:00", "1900-01-01T12:00:00", "30:00:00", NULL);
	expect_row(x, 2, "1900-01-01", "1900-03-01", "1900-03-01", "-1", "2958466", "1e3x", "nan",
	           "45838", NULL);
	expect_end(x);
	hl_xlsx_free(x);
}

/* A workbook written by openpyxl, another writer than libxlsxwriter (skipped without it). */
static void test_openpyxl_roundtrip(void **state)
{
	(void)state;
	const char *path = path_of("openpyxl.xlsx");
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
	         "/usr/bin/python3 - '%s' 2>/dev/null <<'EOF'\n"
	         "import sys, datetime, openpyxl\n"
	         "wb = openpyxl.Workbook()\n"
	         "ws = wb.active\n"
	         "ws.title = 'Danh mục'\n"
	         "ws.append(['Tiêu đề', 'Ngày ban hành', 'Số'])\n"
	         "ws.append(['Quyết định số 12/QĐ-UBND', datetime.date(2025, 6, 30), 42])\n"
	         "ws.append([])\n"
	         "ws.append([None, datetime.datetime(2025, 6, 30, 8, 30), 3.5, 'Đà Nẵng'])\n"
	         "wb.create_sheet('Phụ lục')['B2'] = 'Hội đồng'\n"
	         "wb.save(sys.argv[1])\n"
	         "EOF",
	         path);
	if (system(cmd) != 0)
		skip();
	assert_int_equal(hl_xlsx_is(path), 1);
	hl_xlsx *x = open_ok(path, NULL);
	expect_row(x, 1, "Tiêu đề", "Ngày ban hành", "Số", NULL);
	expect_row(x, 2, "Quyết định số 12/QĐ-UBND", "2025-06-30", "42", NULL);
	expect_row(x, 4, "", "2025-06-30T08:30:00", "3.5", "Đà Nẵng", NULL);
	expect_end(x);
	hl_xlsx_free(x);
	x = open_ok(path, "Phụ lục");
	expect_row(x, 2, "", "Hội đồng", NULL);
	expect_end(x);
	hl_xlsx_free(x);
}

/* ---- not a workbook ---- */

static void test_not_a_workbook(void **state)
{
	(void)state;
	const char *txt = path_of("notes.xlsx");
	FILE *f = fopen(txt, "wb");
	assert_non_null(f);
	fputs("Mã,Tên\n01,Hạ Long\n", f);
	fclose(f);
	assert_int_equal(hl_xlsx_is(txt), 0);
	expect_open_err(txt, NULL, HL_EINVALID,
	                "notes.xlsx: not an XLSX workbook (not a zip file)");

	struct part docx[] = {{"word/document.xml", "<w:document/>", 0, 0}};
	const char *zip = make_zip("report.xlsx", docx, 1);
	assert_int_equal(hl_xlsx_is(zip), 0);
	expect_open_err(zip, NULL, HL_EINVALID,
	                "report.xlsx: not an XLSX workbook (no xl/workbook.xml)");

	/* a zip's signature, then garbage */
	f = fopen(path_of("cut.xlsx"), "wb");
	assert_non_null(f);
	fputs("PK\3\4 not really", f);
	fclose(f);
	assert_int_equal(hl_xlsx_is(path_of("cut.xlsx")), 0);
	expect_open_err(path_of("cut.xlsx"), NULL, HL_EINVALID, "cut.xlsx: not an XLSX workbook (");

	assert_int_equal(hl_xlsx_is(path_of("missing.xlsx")), 0);
	expect_open_err(path_of("missing.xlsx"), NULL, HL_ENOTFOUND, "missing.xlsx: no such file");
	expect_open_err(tmpdir, NULL, HL_EIO, "Is a directory");

	/* workbook.xml without its relationships, or without sheets */
	struct part norels[] = {{"xl/workbook.xml", workbook_xml(), 0, 0}};
	expect_open_err(make_zip("norels.xlsx", norels, 1), NULL, HL_EINVALID,
	                "norels.xlsx: xl/_rels/workbook.xml.rels is missing");
	struct part nosheets[] = {{"xl/workbook.xml", "<workbook xmlns=\"" MAIN "\"/>", 0, 0}};
	expect_open_err(make_zip("nosheets.xlsx", nosheets, 1), NULL, HL_EINVALID,
	                "nosheets.xlsx: the workbook has no sheets");
	/* a sheet whose part is missing */
	struct part nopart[] = {{"xl/workbook.xml", workbook_xml(), 0, 0},
	                        {"xl/_rels/workbook.xml.rels", rels_xml("worksheets/s.xml"), 0, 0}};
	expect_open_err(make_zip("nopart.xlsx", nopart, 2), NULL, HL_EINVALID,
	                "nopart.xlsx: xl/worksheets/s.xml is missing");
	/* malformed XML names the part, line and column */
	struct part bad[] = {{"xl/workbook.xml",
	                      "<workbook xmlns:r=\"" RNS "\">\n<sheets><sheet name=\"a\" "
	                      "r:id=\"rId1\"></workbook>",
	                      0, 0}};
	expect_open_err(make_zip("badxml.xlsx", bad, 1), NULL, HL_EINVALID,
	                "badxml.xlsx: xl/workbook.xml: line 2, column 39: mismatched tag");
}

/* ---- hostile workbooks ---- */

static void test_doctype_refused(void **state)
{
	(void)state;
	/* billion laughs in the workbook, and an external entity in a sheet */
	const char *lol = "<?xml version=\"1.0\"?><!DOCTYPE workbook [<!ENTITY a \"aaaaaaaaaa\">"
	                  "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
	                  "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>"
	                  "<workbook xmlns=\"" MAIN "\" xmlns:r=\"" RNS "\"><sheets>"
	                  "<sheet name=\"&c;\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
	struct part p[] = {{"xl/workbook.xml", lol, 0, 0}};
	expect_open_err(make_zip("lol.xlsx", p, 1), NULL, HL_EINVALID,
	                "lol.xlsx: xl/workbook.xml: has a DOCTYPE, which XLSX parts never have");

	const char *xxe =
	    "<!DOCTYPE worksheet [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
	    "<worksheet xmlns=\"" MAIN "\"><sheetData><row r=\"1\"><c t=\"inlineStr\">"
	    "<is><t>&x;</t></is></c></row></sheetData></worksheet>";
	struct part q[] = {{"xl/workbook.xml", workbook_xml(), 0, 0},
	                   {"xl/_rels/workbook.xml.rels", rels_xml("worksheets/sheet1.xml"), 0, 0},
	                   {"xl/worksheets/sheet1.xml", xxe, 0, 0}};
	expect_rows_err(make_zip("xxe.xlsx", q, 3), HL_EINVALID,
	                "xxe.xlsx: xl/worksheets/sheet1.xml: has a DOCTYPE");
}

static void test_target_outside_xl(void **state)
{
	(void)state;
	static const char *const targets[] = {"../evil.xml", "/docProps/app.xml",
	                                      "worksheets/../../evil.xml", "/../../etc/passwd"};
	for (size_t i = 0; i < sizeof(targets) / sizeof(*targets); i++) {
		struct part p[] = {{"xl/workbook.xml", workbook_xml(), 0, 0},
		                   {"xl/_rels/workbook.xml.rels", rels_xml(targets[i]), 0, 0},
		                   {"evil.xml", "<worksheet/>", 0, 0}};
		char msg[200];
		snprintf(msg, sizeof(msg),
		         "escape.xlsx: xl/_rels/workbook.xml.rels: relationship target \"%s\" is "
		         "outside xl/",
		         targets[i]);
		expect_open_err(make_zip("escape.xlsx", p, 3), NULL, HL_EINVALID, msg);
	}
	/* a chart sheet is not read as a worksheet */
	const char *rels = "<Relationships xmlns=\"" PKG "\"><Relationship Id=\"rId1\" Type=\"" RNS
	                   "/chartsheet\" Target=\"chartsheets/sheet1.xml\"/></Relationships>";
	struct part c[] = {{"xl/workbook.xml", workbook_xml(), 0, 0},
	                   {"xl/_rels/workbook.xml.rels", rels, 0, 0}};
	expect_open_err(make_zip("chart.xlsx", c, 2), NULL, HL_EINVALID,
	                "chart.xlsx: sheet \"Trang 1\" is not a worksheet");
}

static void test_zip_bombs(void **state)
{
	(void)state;
	/* A part declaring more than 64 MiB is refused before it is inflated. */
	const char *path = sheet_zip("big.xlsx", "", "<sst xmlns=\"" MAIN "\"/>", NULL);
	patch_size(path, "xl/sharedStrings.xml", HL_XLSX__MAX_PART + 1, 0);
	expect_open_err(path, NULL, HL_ELIMIT,
	                "big.xlsx: xl/sharedStrings.xml: 67108865 bytes uncompressed, more than "
	                "the limit of 67108864");

	/* 2 MiB of spaces deflate to a few KiB: more than 200:1. */
	size_t n = 2u << 20;
	char *sheet = malloc(n + 1);
	assert_non_null(sheet);
	memset(sheet, ' ', n);
	memcpy(sheet, "<worksheet>", 11);
	memcpy(sheet + n - 12, "</worksheet>", 12);
	sheet[n] = '\0';
	struct part p[] = {{"xl/workbook.xml", workbook_xml(), 0, 0},
	                   {"xl/_rels/workbook.xml.rels", rels_xml("worksheets/sheet1.xml"), 0, 0},
	                   {"xl/worksheets/sheet1.xml", sheet, n, 0}};
	expect_open_err(make_zip("ratio.xlsx", p, 3), NULL, HL_ELIMIT,
	                "ratio.xlsx: xl/worksheets/sheet1.xml: compressed more than 200:1 "
	                "(2097152 bytes from ");
	/* stored, the same 2 MiB is read */
	p[2].store = 1;
	hl_xlsx *x = open_ok(make_zip("stored.xlsx", p, 3), NULL);
	expect_end(x);
	hl_xlsx_free(x);
	free(sheet);

	/* Entries that together declare more than 256 MiB, each under 64 MiB. */
	struct part many[] = {{"xl/workbook.xml", workbook_xml(), 0, 0},
	                      {"a.bin", "a", 0, 0},
	                      {"b.bin", "b", 0, 0},
	                      {"c.bin", "c", 0, 0},
	                      {"d.bin", "d", 0, 0},
	                      {"e.bin", "e", 0, 0}};
	path = make_zip("total.xlsx", many, 6);
	for (char c = 'a'; c <= 'e'; c++) {
		char name[8] = {c, '.', 'b', 'i', 'n', 0};
		patch_size(path, name, 60u << 20, 0);
	}
	expect_open_err(path, NULL, HL_ELIMIT,
	                "total.xlsx: more than 268435456 bytes uncompressed in the workbook");

	/* A part that inflates to more than it declares stops there. */
	const char *row1 = "<row r=\"1\"><c t=\"inlineStr\"><is><t>Hạ Long</t></is></c></row>";
	char rows[512];
	snprintf(rows, sizeof(rows), "%s<row r=\"2\"><c><v>2</v></c></row>", row1);
	path = sheet_zip("liar.xlsx", rows, NULL, NULL);
	/* it declares the bytes up to the end of row 1: that row is read, whatever the chunk */
	patch_size(path, "xl/worksheets/sheet1.xml",
	           (uint32_t)(strlen("<worksheet xmlns=\"" MAIN "\"><sheetData>") + strlen(row1)),
	           1);
	for (size_t chunk = 3; chunk <= CHUNK_DEFAULT; chunk *= 64) {
		x = open_ok(path, NULL);
		hl_util__xlsx_set_chunk(x, chunk);
		expect_row(x, 1, "Hạ Long", NULL);
		expect_err(
		    x, HL_ELIMIT,
		    "liar.xlsx: xl/worksheets/sheet1.xml: inflates to more than the 151 bytes "
		    "it declares");
		hl_xlsx_free(x);
	}
}

static void test_limits(void **state)
{
	(void)state;
	/* a cell of 32,767 characters is read, one more is refused, naming the cell */
	size_t n = HL_XLSX__MAX_CELL + 1;
	char *rows = malloc(n * 2 + 200), *big = malloc(n + 1);
	assert_non_null(rows);
	assert_non_null(big);
	memset(big, 'a', n);
	big[n] = '\0';
	sprintf(rows, "<row r=\"12\"><c r=\"C12\" t=\"inlineStr\"><is><t>%s</t></is></c></row>",
	        big);
	struct part p[] = {{"xl/workbook.xml", workbook_xml(), 0, 0},
	                   {"xl/_rels/workbook.xml.rels", rels_xml("worksheets/sheet1.xml"), 0, 0},
	                   {"xl/worksheets/sheet1.xml", NULL, 0, 0}};
	char *sheet = malloc(n * 2 + 400);
	assert_non_null(sheet);
	sprintf(sheet, "<worksheet xmlns=\"" MAIN "\"><sheetData>%s</sheetData></worksheet>", rows);
	p[2].data = sheet;
	expect_rows_err(make_zip("longcell.xlsx", p, 3), HL_ELIMIT,
	                "longcell.xlsx: row 12, cell C12: longer than 32767 characters");
	/* 32,767 two-byte characters (ạ is three bytes: use đ, two) are within the limit */
	char *ok = malloc(HL_XLSX__MAX_CELL * 2 + 1);
	assert_non_null(ok);
	for (size_t i = 0; i < HL_XLSX__MAX_CELL; i++)
		memcpy(ok + 2 * i, "đ", 2);
	ok[HL_XLSX__MAX_CELL * 2] = '\0';
	sprintf(sheet,
	        "<worksheet xmlns=\"" MAIN "\"><sheetData><row r=\"1\"><c t=\"inlineStr\"><is>"
	        "<t>%s</t></is></c></row></sheetData></worksheet>",
	        ok);
	hl_xlsx *x = open_ok(make_zip("okcell.xlsx", p, 3), NULL);
	expect_row(x, 1, ok, NULL);
	expect_end(x);
	hl_xlsx_free(x);
	free(ok);
	free(big);
	free(rows);
	free(sheet);

	expect_rows_err(sheet_zip("xfe.xlsx",
	                          "<row r=\"3\"><c r=\"XFD3\"><v>1</v></c></row>"
	                          "<row r=\"4\"><c r=\"XFE4\"><v>1</v></c></row>",
	                          NULL, NULL),
	                HL_ELIMIT, "xfe.xlsx: row 4: cell XFE4 is beyond column XFD");
	expect_rows_err(sheet_zip("col.xlsx",
	                          "<row r=\"5\"><c r=\"XFD5\"><v>1</v></c><c><v>2</v>"
	                          "</c></row>",
	                          NULL, NULL),
	                HL_ELIMIT, "col.xlsx: row 5: more than 16384 cells");
	expect_rows_err(sheet_zip("rows.xlsx",
	                          "<row r=\"1048576\"><c><v>1</v></c></row>"
	                          "<row><c><v>1</v></c></row>",
	                          NULL, NULL),
	                HL_ELIMIT, "rows.xlsx: row 1048577: beyond Excel's last row, 1048576");
	/* elements nested without end (expat would keep each open one) */
	char deep[3 * 300 + 1];
	for (int i = 0; i < 300; i++)
		memcpy(deep + 3 * i, "<a>", 3);
	deep[3 * 300] = '\0';
	expect_rows_err(sheet_zip("deep.xlsx", deep, NULL, NULL), HL_ELIMIT,
	                "deep.xlsx: xl/worksheets/sheet1.xml: elements nested deeper than 256");

	/* more than a million shared strings (stored: 5 bytes each would be a bomb's ratio) */
	size_t count = HL_XLSX__MAX_STRINGS + 1, len = 0;
	char *sst = malloc(count * 5 + 100);
	assert_non_null(sst);
	len += (size_t)sprintf(sst, "<sst xmlns=\"" MAIN "\">");
	for (size_t i = 0; i < count; i++, len += 5)
		memcpy(sst + len, "<si/>", 5);
	len += (size_t)sprintf(sst + len, "</sst>");
	struct part s[] = {{"xl/workbook.xml", workbook_xml(), 0, 0},
	                   {"xl/_rels/workbook.xml.rels", rels_xml("worksheets/sheet1.xml"), 0, 0},
	                   {"xl/sharedStrings.xml", sst, len, 1}};
	expect_open_err(make_zip("sst.xlsx", s, 3), NULL, HL_ELIMIT,
	                "sst.xlsx: xl/sharedStrings.xml: more than 1000000 shared strings");
	free(sst);
}

/* Malformed sheets: each error names the row and the cell, and stays. */
static void test_bad_cells(void **state)
{
	(void)state;
	const char *sst = "<sst xmlns=\"" MAIN "\"><si><t>một</t></si></sst>";
	expect_rows_err(
	    sheet_zip("sst1.xlsx", "<row r=\"12\"><c r=\"C12\" t=\"s\"><v>1</v></c></row>", sst,
	              NULL),
	    HL_EINVALID, "sst1.xlsx: row 12, cell C12: shared string \"1\" does not exist");
	expect_rows_err(sheet_zip("b.xlsx", "<row r=\"2\"><c r=\"B2\" t=\"b\"><v>yes</v></c></row>",
	                          NULL, NULL),
	                HL_EINVALID, "b.xlsx: row 2, cell B2: boolean \"yes\" is not 0 or 1");
	/* a value quoted in a message is cut at 20 bytes, never inside a letter */
	expect_rows_err(sheet_zip("cut.xlsx",
	                          "<row r=\"2\"><c r=\"B2\" t=\"b\"><v>ạạạạạạạạ</v></c></row>",
	                          NULL, NULL),
	                HL_EINVALID, "cut.xlsx: row 2, cell B2: boolean \"ạạạạạạ\" is not 0 or 1");
	assert_int_equal(hl_text_check_utf8(hl_error_last(), strlen(hl_error_last()), NULL), 0);
	expect_rows_err(
	    sheet_zip("t.xlsx", "<row r=\"2\"><c r=\"B2\" t=\"x\"><v>1</v></c></row>", NULL, NULL),
	    HL_EINVALID, "t.xlsx: row 2, cell B2: unknown cell type \"x\"");
	expect_rows_err(sheet_zip("order.xlsx",
	                          "<row r=\"3\"><c r=\"A3\"><v>1</v></c></row>"
	                          "<row r=\"2\"><c r=\"A2\"><v>1</v></c></row>",
	                          NULL, NULL),
	                HL_EINVALID, "order.xlsx: row 2 comes after row 3: rows out of order");
	expect_rows_err(sheet_zip("cells.xlsx",
	                          "<row r=\"3\"><c r=\"C3\"><v>1</v></c>"
	                          "<c r=\"B3\"><v>2</v></c></row>",
	                          NULL, NULL),
	                HL_EINVALID, "cells.xlsx: row 3, cell B3: cells out of order or repeated");
	expect_rows_err(
	    sheet_zip("ref.xlsx", "<row r=\"3\"><c r=\"C4\"><v>1</v></c></row>", NULL, NULL),
	    HL_EINVALID, "ref.xlsx: row 3: cell reference \"C4\" is not in this row");
	expect_rows_err(
	    sheet_zip("ref2.xlsx", "<row r=\"3\"><c r=\"c3\"><v>1</v></c></row>", NULL, NULL),
	    HL_EINVALID, "ref2.xlsx: row 3: cell reference \"c3\" is not valid");
	expect_rows_err(sheet_zip("rnum.xlsx", "<row r=\"0\"><c><v>1</v></c></row>", NULL, NULL),
	                HL_EINVALID, "rnum.xlsx: after row 0: row number \"0\" is not valid");
	/* invalid UTF-8: expat refuses it, naming the line; the rows before are read */
	const char *path =
	    sheet_zip("latin1.xlsx",
	              "<row r=\"1\"><c t=\"inlineStr\"><is><t>Hạ Long</t></is></c></row>\n"
	              "<row r=\"2\"><c t=\"inlineStr\"><is><t>H\xe1 Long</t></is></c></row>",
	              NULL, NULL);
	hl_xlsx *x = open_ok(path, NULL);
	expect_row(x, 1, "Hạ Long", NULL);
	expect_err(x, HL_EINVALID, "latin1.xlsx: xl/worksheets/sheet1.xml: line 2, column");
	hl_xlsx_free(x);
}

/* A long sheet is streamed: the reader's memory stays that of one row. */
static void test_many_rows_stream(void **state)
{
	(void)state;
	const char *path = path_of("many.xlsx");
	lxw_workbook_options opt = {.constant_memory = LXW_TRUE};
	lxw_workbook *wb = workbook_new_opt(path, &opt);
	lxw_worksheet *ws = workbook_add_worksheet(wb, "Mục lục");
	enum { ROWS = 100000 };
	for (lxw_row_t r = 0; r < ROWS; r++) {
		char s[64];
		snprintf(s, sizeof(s), "Hồ sơ số %u về đất đai", (unsigned)r);
		worksheet_write_string(ws, r, 0, s, NULL);
		worksheet_write_number(ws, r, 1, r, NULL);
	}
	assert_int_equal(workbook_close(wb), LXW_NO_ERROR);

	hl_xlsx *x = open_ok(path, NULL);
	char **f;
	size_t n, max_mem = 0;
	uint64_t row, count = 0;
	while (hl_xlsx_next(x, &f, &n, &row) == 1) {
		count++;
		assert_int_equal(row, count);
		assert_int_equal(n, 2);
		assert_int_equal(strtoull(f[1], NULL, 10), count - 1);
		size_t m = hl_util__xlsx_mem(x);
		max_mem = m > max_mem ? m : max_mem;
	}
	assert_int_equal(count, ROWS);
	assert_string_equal(f[0], "Hồ sơ số 99999 về đất đai");
	/* the sheet's XML is several MB; the reader holds a row and a cell */
	if (max_mem > 4096)
		fail_msg("the reader held %zu bytes", max_mem);
	hl_xlsx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_libxlsxwriter_workbook),
	    cmocka_unit_test(test_inline_strings),
	    cmocka_unit_test(test_rich_text_and_escapes),
	    cmocka_unit_test(test_prefixes_absolute_target_1904),
	    cmocka_unit_test(test_date_formats),
	    cmocka_unit_test(test_openpyxl_roundtrip),
	    cmocka_unit_test(test_not_a_workbook),
	    cmocka_unit_test(test_doctype_refused),
	    cmocka_unit_test(test_target_outside_xl),
	    cmocka_unit_test(test_zip_bombs),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_bad_cells),
	    cmocka_unit_test(test_many_rows_stream),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
