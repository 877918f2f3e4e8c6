/* Tests of the ocr module on pages rendered from the legal corpus (tests/pages/make_pages.py):
 * real Tesseract, Leptonica and MuPDF; error rates against the ground truth; bad inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "halong/ocr.h"
#include "halong/text.h"

static char pages_dir[1024];
static hl_ocr_engine *engine;

static char *path_of(const char *name)
{
	static char buf[4][1200];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/%s", pages_dir, name);
	return buf[k];
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *b = malloc((size_t)n + 1);
	size_t got = fread(b, 1, (size_t)n, f);
	b[got] = 0;
	fclose(f);
	return b;
}

/* Output of a command (popen), malloc'd. */
static char *run_cmd(const char *cmd, int *status)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return NULL;
	size_t cap = 4096, len = 0;
	char *b = malloc(cap);
	size_t n;
	while ((n = fread(b + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len < 2) {
			cap *= 2;
			b = realloc(b, cap);
		}
	}
	b[len] = 0;
	*status = pclose(p);
	return b;
}

static int group_setup(void **state)
{
	const char *env = getenv("HL_OCR_PAGES");
	snprintf(pages_dir, sizeof pages_dir, "%s", env ? env : HL_OCR_PAGES_DIR);
	/* Rendered once per build folder; the script keeps a folder whose stamp matches it. */
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/../tests/pages/make_pages.py' '%s'",
	         HL_SOURCE_DATADIR, pages_dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "cannot render the test pages: %s\n", cmd);
		return -1;
	}
	if (hl_ocr_engine_new(&engine, NULL, NULL) != 0) {
		fprintf(stderr, "%s\n", hl_error_last());
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	hl_ocr_engine_free(engine);
	return 0;
}

/* Recognises a page with the default options and measures it against its ground truth. */
static double page_cer(const char *file, int page_no, const char *truth_file, hl_ocr_page *keep)
{
	hl_ocr_page p;
	int rc = hl_ocr_page_run(&p, engine, path_of(file), NULL, page_no, NULL);
	if (rc)
		fail_msg("%s: %s", file, hl_error_last());
	char *truth = slurp(path_of(truth_file));
	assert_non_null(truth);
	hl_ocr_eval_result r;
	assert_int_equal(hl_ocr_eval(&r, truth, p.text), 0);
	printf("# %s page %d: CER %.4f (%llu/%llu) WER %.4f, mean confidence %.1f, skew %.2f\n",
	       file, page_no, r.cer, (unsigned long long)r.char_edits,
	       (unsigned long long)r.char_total, r.wer, p.mean_conf, p.skew_deg);
	free(truth);
	if (keep)
		*keep = p;
	else
		hl_ocr_page_free(&p);
	return r.cer;
}

/* ---- eval ---- */

static void test_eval_known_strings(void **state)
{
	hl_ocr_eval_result r;
	/* decomposed and precomposed forms of the same word are equal after NFC */
	assert_int_equal(hl_ocr_eval(&r,
	                             "Ho\xcc\x80"
	                             "a",
	                             "H\xc3\xb2"
	                             "a"),
	                 0);
	assert_int_equal(r.char_edits, 0);
	assert_int_equal(r.char_total, 3);
	/* the tone on another vowel is another string: ò->o and a->à, 2 edits of 3 */
	assert_int_equal(hl_ocr_eval(&r, "Hòa", "Hoà"), 0);
	assert_int_equal(r.char_edits, 2);
	assert_int_equal(r.word_edits, 1);
	/* Đ->D, ề->e, ạ->a: 3 edits over 15 code points; 2 of 4 words wrong */
	assert_int_equal(hl_ocr_eval(&r, "Điều 1. Phạm vi", "Dieu 1. Pham vi"), 0);
	assert_int_equal(r.char_edits, 3);
	assert_int_equal(r.char_total, 15);
	assert_true(r.cer > 0.1999 && r.cer < 0.2001);
	assert_int_equal(r.word_edits, 2);
	assert_int_equal(r.word_total, 4);
	assert_true(r.wer == 0.5);
	/* white space: any run is one space, the ends do not count */
	assert_int_equal(hl_ocr_eval(&r, "a  b\n c", "  a b c\n"), 0);
	assert_int_equal(r.char_edits, 0);
	/* a missing word and an extra one: word insertions and deletions */
	assert_int_equal(hl_ocr_eval(&r, "quyền và nghĩa vụ", "quyền nghĩa vụ của"), 0);
	assert_int_equal(r.word_edits, 2);
	assert_int_equal(r.char_edits, 7); /* "và " deleted (3), " của" inserted (4) */
	assert_int_equal(hl_ocr_eval(&r, "", ""), 0);
	assert_true(r.cer == 0 && r.char_total == 0);
	assert_int_equal(hl_ocr_eval(&r, "abc", "ab\xff"), HL_EINVALID);
	/* the limit is checked before the n x m work */
	char *big = malloc(50002);
	memset(big, 'a', 50001);
	big[50001] = 0;
	assert_int_equal(hl_ocr_eval(&r, "abc", big), HL_ELIMIT);
	assert_non_null(strstr(hl_error_last(), "more than 50000 characters"));
	free(big);
}

/* ---- probe ---- */

static void test_probe_formats(void **state)
{
	hl_ocr_source s;
	assert_int_equal(hl_ocr_probe(&s, path_of("clean.png"), NULL), 0);
	assert_int_equal(s.format, HL_OCR_FMT_PNG);
	assert_int_equal(s.n_pages, 1);
	assert_int_equal(s.pages[0].width, 2481);
	assert_int_equal(s.pages[0].height, 3507);
	assert_int_equal(s.pages[0].dpi, 300);
	hl_ocr_source_free(&s);

	assert_int_equal(hl_ocr_probe(&s, path_of("clean.jpg"), NULL), 0);
	assert_int_equal(s.format, HL_OCR_FMT_JPEG);
	assert_int_equal(s.pages[0].dpi, 300);
	hl_ocr_source_free(&s);

	assert_int_equal(hl_ocr_probe(&s, path_of("dpi200.png"), NULL), 0);
	assert_int_equal(s.pages[0].dpi, 200);
	hl_ocr_source_free(&s);

	assert_int_equal(hl_ocr_probe(&s, path_of("multi.tif"), NULL), 0);
	assert_int_equal(s.format, HL_OCR_FMT_TIFF);
	assert_int_equal(s.n_pages, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(s.pages[i].dpi, 300);
	hl_ocr_source_free(&s);

	assert_int_equal(hl_ocr_probe(&s, path_of("scan.pdf"), NULL), 0);
	assert_int_equal(s.format, HL_OCR_FMT_PDF);
	assert_int_equal(s.n_pages, 2);
	assert_int_equal(s.has_text_layer, 0);
	assert_int_equal(s.pages[1].dpi, 300); /* of the scan inside */
	assert_int_equal(s.pages[1].width, 2481);
	hl_ocr_source_free(&s);

	assert_int_equal(hl_ocr_probe(&s, path_of("text.pdf"), NULL), 0);
	assert_int_equal(s.n_pages, 1);
	assert_int_equal(s.has_text_layer, 1);
	assert_int_equal(s.pages[0].has_text, 1);
	hl_ocr_source_free(&s);
}

/* ---- bad input: one clear error naming the file (and page), and the next page still works */

static void expect_bad(const char *file, int code, const char *phrase)
{
	char shown[256];
	snprintf(shown, sizeof shown, "hop-so-12/%s", file + 4);
	hl_ocr_source s;
	int rc = hl_ocr_probe(&s, path_of(file), shown);
	printf("# %s -> %d %s\n", file, rc, hl_error_last());
	assert_int_equal(rc, code);
	const char *msg = hl_error_last();
	if (strncmp(msg, shown, strlen(shown)) != 0 || !strstr(msg, phrase))
		fail_msg("%s: message \"%s\" lacks the name or \"%s\"", file, msg, phrase);
	/* hl_ocr_page_run refuses the same way, before decoding */
	hl_ocr_page p;
	assert_int_equal(hl_ocr_page_run(&p, engine, path_of(file), shown, 1, NULL), code);
	assert_non_null(strstr(hl_error_last(), shown));
}

static void test_bad_inputs(void **state)
{
	expect_bad("bad/empty.png", HL_EINVALID, "empty file (0 bytes)");
	expect_bad("bad/truncated.png", HL_EINVALID, "page 1: truncated PNG");
	expect_bad("bad/truncated.jpg", HL_EINVALID, "page 1: truncated JPEG");
	expect_bad("bad/corrupt.jpg", HL_EINVALID, "page 1: ");
	expect_bad("bad/corrupt.tif", HL_EINVALID, "page 1: truncated or corrupt TIFF");
	expect_bad("bad/corrupt.pdf", HL_EINVALID, "corrupt PDF");
	expect_bad("bad/notatiff.tif", HL_EINVALID, "the name says TIFF but the file holds PNG");
	expect_bad("bad/notes.tif", HL_EINVALID, "not a TIFF, JPEG, PNG or PDF file");
	expect_bad("bad/huge.png", HL_ELIMIT, "page 1: image of 100000 x 100000 pixels");
	expect_bad("bad/encrypted.pdf", HL_EINVALID, "encrypted PDF");
	expect_bad("bad/pages5000.pdf", HL_ELIMIT, "5000 pages, above the limit of 2000");

	/* a PNG whose headers are sound but whose pixels are not: refused at decoding, by page */
	hl_ocr_page p;
	hl_ocr_source s;
	assert_int_equal(hl_ocr_probe(&s, path_of("bad/badpixels.png"), NULL), 0);
	hl_ocr_source_free(&s);
	assert_int_equal(
	    hl_ocr_page_run(&p, engine, path_of("bad/badpixels.png"), "x/badpixels.png", 1, NULL),
	    HL_EINVALID);
	assert_string_equal(hl_error_last(), "x/badpixels.png: page 1: corrupt png image (cannot "
	                                     "decode it)");
	/* a page past the end */
	assert_int_equal(hl_ocr_page_run(&p, engine, path_of("multi.tif"), "multi.tif", 4, NULL),
	                 HL_ENOTFOUND);
	assert_string_equal(hl_error_last(), "multi.tif: page 4: no such page (the file has 3)");
	/* the batch goes on: the same engine reads the next good page */
	assert_int_equal(hl_ocr_page_run(&p, engine, path_of("dpi150.png"), NULL, 1, NULL), 0);
	assert_true(p.n_words > 5);
	hl_ocr_page_free(&p);
}

/* ---- recognition quality: the bar ---- */

static void test_clean_page_cer(void **state)
{
	hl_ocr_page p;
	double cer = page_cer("clean.png", 1, "clean.txt", &p);
	assert_true(cer <= 0.02);
	assert_int_equal(p.width, 2481);
	assert_int_equal(p.dpi, 300);
	assert_int_equal(p.n_warnings, 0);
	assert_true(p.mean_conf > 80);
	/* words carry boxes inside the page, in reading order of lines */
	assert_true(p.n_words > 300);
	for (size_t i = 0; i < p.n_words; i++) {
		assert_true(p.words[i].x >= 0 && p.words[i].x + p.words[i].w <= (int32_t)p.width);
		assert_true(p.words[i].y >= 0 && p.words[i].y + p.words[i].h <= (int32_t)p.height);
		if (i)
			assert_true(p.words[i].line >= p.words[i - 1].line);
	}
	/* the first word is "Điều", NFC, at the top left margin (1 inch = 300 px) */
	assert_string_equal(p.words[0].text, "Điều");
	assert_true(p.words[0].x > 280 && p.words[0].x < 320);
	hl_ocr_page_free(&p);
}

static void test_noisy_page_cer(void **state)
{
	assert_true(page_cer("noisy.png", 1, "noisy.txt", NULL) <= 0.05);
}

static void test_skewed_page(void **state)
{
	hl_ocr_page p;
	assert_true(page_cer("skewed.png", 1, "skewed.txt", &p) <= 0.02);
	/* the page was turned by 1-3 degrees (tests/pages/manifest.json) and the turn was found */
	assert_true(p.skew_deg <= -1.0f || p.skew_deg >= 1.0f);
	assert_true(p.skew_deg >= -3.0f && p.skew_deg <= 3.0f);
	/* boxes are mapped back onto the stored (skewed) image */
	for (size_t i = 0; i < p.n_words; i++)
		assert_true(p.words[i].x >= 0 &&
		            p.words[i].x + p.words[i].w <= (int32_t)p.width + 2);
	hl_ocr_page_free(&p);
}

static void test_rotated_page(void **state)
{
	hl_ocr_page p;
	assert_true(page_cer("rotated.png", 1, "rotated.txt", &p) <= 0.02);
	/* the page lies on its side (turned counter-clockwise): turned back 90 degrees clockwise */
	assert_int_equal(p.rotation, 90);
	assert_int_equal(p.width, 3507);
	assert_int_equal(p.height, 2481);
	/* boxes on the stored (landscape) image: the first line runs up the left margin */
	assert_string_equal(p.words[0].text, "Điều");
	assert_true(p.words[0].x > 280 && p.words[0].x < 420);
	assert_true(p.words[0].y > 2481 - 300 - 400 && p.words[0].y < 2481 - 280);
	assert_true(p.words[0].h > p.words[0].w);
	hl_ocr_page_free(&p);
}

static void test_pdf_text_layer_kept(void **state)
{
	hl_ocr_page p;
	assert_int_equal(hl_ocr_page_run(&p, engine, path_of("text.pdf"), NULL, 1, NULL), 0);
	assert_int_equal(p.from_text_layer, 1);
	assert_true(p.mean_conf == -1.0f);
	char *truth = slurp(path_of("text.txt"));
	hl_ocr_eval_result r;
	assert_int_equal(hl_ocr_eval(&r, truth, p.text), 0);
	printf("# text.pdf: text layer, CER %.4f\n", r.cer);
	assert_true(r.cer <= 0.005);
	assert_true(p.n_words > 300);
	assert_string_equal(p.words[0].text, "Điều");
	free(truth);
	hl_ocr_page_free(&p);
	/* forced OCR of the same page goes through Tesseract instead */
	hl_ocr_opts o = {.flags = HL_OCR_DEFAULT_FLAGS | HL_OCR_FORCE_OCR};
	assert_int_equal(hl_ocr_page_run(&p, engine, path_of("text.pdf"), NULL, 1, &o), 0);
	assert_int_equal(p.from_text_layer, 0);
	assert_true(p.mean_conf > 50);
	hl_ocr_page_free(&p);
}

static void test_scanned_pdf_recognised(void **state)
{
	hl_ocr_page p;
	assert_true(page_cer("scan.pdf", 2, "scan-2.txt", &p) <= 0.02);
	assert_int_equal(p.from_text_layer, 0);
	assert_int_equal(p.page_no, 2);
	assert_int_equal(p.dpi, 300);
	assert_int_equal(p.n_warnings, 0);
	hl_ocr_page_free(&p);
}

static void test_multipage_tiff_page(void **state)
{
	hl_ocr_page p;
	assert_true(page_cer("multi.tif", 3, "multi-3.txt", &p) <= 0.02);
	assert_int_equal(p.page_no, 3);
	hl_ocr_page_free(&p);
}

static void test_low_dpi_warning(void **state)
{
	hl_ocr_page p;
	assert_int_equal(
	    hl_ocr_page_run(&p, engine, path_of("dpi150.png"), "scans/dpi150.png", 1, NULL), 0);
	assert_int_equal(p.dpi, 150);
	assert_true(p.warn_flags & HL_OCR_WARN_LOW_DPI);
	assert_int_equal(p.n_warnings, 1);
	assert_non_null(strstr(p.warnings[0], "scans/dpi150.png: page 1: scanned at 150 dpi, below "
	                                      "the 200 dpi"));
	hl_ocr_page_free(&p);
	/* the same scan inside a PDF: the resolution of its image counts, not our rendering's */
	hl_ocr_source s;
	assert_int_equal(hl_ocr_probe(&s, path_of("scan150.pdf"), NULL), 0);
	assert_int_equal(s.pages[0].dpi, 150);
	hl_ocr_source_free(&s);
	assert_int_equal(
	    hl_ocr_page_run(&p, engine, path_of("scan150.pdf"), "scan150.pdf", 1, NULL), 0);
	assert_int_equal(p.dpi, 300); /* the boxes' grid: the page rendered at 300 dpi */
	assert_true(p.warn_flags & HL_OCR_WARN_LOW_DPI);
	assert_non_null(strstr(p.warnings[0], "scan150.pdf: page 1: scanned at 150 dpi"));
	hl_ocr_page_free(&p);
	/* 200 dpi is the floor itself: no warning */
	assert_int_equal(hl_ocr_probe(&s, path_of("dpi200.png"), NULL), 0);
	assert_int_equal(s.pages[0].dpi, HL_OCR_MIN_DPI);
	hl_ocr_source_free(&s);
}

/* ---- outputs ---- */

static int xml_string_count(const char *xml_path)
{
	char cmd[2048];
	int st = 0;
	snprintf(
	    cmd, sizeof cmd,
	    "/usr/bin/python3 -c \"import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); "
	    "e = d.documentElement; assert e.tagName == 'alto', e.tagName; "
	    "assert d.getElementsByTagName('MeasurementUnit')[0].firstChild.data == 'pixel'; "
	    "print(len(d.getElementsByTagName('String')))\" '%s'",
	    xml_path);
	char *out = run_cmd(cmd, &st);
	int n = st == 0 && out ? atoi(out) : -1;
	free(out);
	return n;
}

static void test_alto(void **state)
{
	/* a page made by hand, with characters XML must escape */
	hl_ocr_word w[3] = {
	    {"Điều", 10, 20, 100, 40, 96.5f, 0, 0},
	    {"<1>&\"2\"", 120, 20, 80, 40, 50.0f, 0, 0},
	    {"Hạ", 10, 80, 60, 40, 90.0f, 0, 1},
	};
	hl_ocr_page p = {.page_no = 1,
	                 .width = 2480,
	                 .height = 3508,
	                 .dpi = 300,
	                 .mean_conf = 80,
	                 .text = "x",
	                 .words = w,
	                 .n_words = 3};
	char *x = NULL;
	assert_int_equal(hl_ocr_alto(&x, &p, "hồ sơ & <1>.tif"), 0);
	assert_non_null(strstr(x, "CONTENT=\"&lt;1&gt;&amp;&quot;2&quot;\""));
	assert_non_null(strstr(x, "<fileName>hồ sơ &amp; &lt;1&gt;.tif</fileName>"));
	assert_non_null(strstr(x, "<String ID=\"STRING_0\" HPOS=\"10\" VPOS=\"20\" WIDTH=\"100\" "
	                          "HEIGHT=\"40\" WC=\"0.965\" CONTENT=\"Điều\"/>"));
	assert_non_null(strstr(x, "xmlns=\"http://www.loc.gov/standards/alto/ns-v4#\""));
	char tmp[] = "/tmp/hl_alto_XXXXXX";
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, x, strlen(x)), (ssize_t)strlen(x));
	close(fd);
	assert_int_equal(xml_string_count(tmp), 3);
	free(x);

	/* a recognised page: well-formed, one String per word */
	hl_ocr_page r;
	assert_int_equal(hl_ocr_page_run(&r, engine, path_of("scan.pdf"), NULL, 1, NULL), 0);
	assert_int_equal(hl_ocr_alto(&x, &r, "scan.pdf"), 0);
	FILE *f = fopen(tmp, "w");
	fputs(x, f);
	fclose(f);
	assert_true(r.n_words > 5);
	assert_int_equal(xml_string_count(tmp), (int)r.n_words);
	unlink(tmp);
	free(x);
	hl_ocr_page_free(&r);
}

static void test_json_round_trip(void **state)
{
	hl_ocr_page p, q;
	assert_int_equal(hl_ocr_page_run(&p, engine, path_of("dpi150.png"), "d.png", 1, NULL), 0);
	char *j = NULL, *j2 = NULL;
	assert_int_equal(hl_ocr_page_to_json(&j, &p), 0);
	assert_int_equal(hl_ocr_page_from_json(&q, j), 0);
	assert_int_equal(q.page_no, p.page_no);
	assert_int_equal(q.width, p.width);
	assert_int_equal(q.height, p.height);
	assert_int_equal(q.dpi, 150);
	assert_int_equal(q.warn_flags, p.warn_flags);
	assert_int_equal(q.n_warnings, 1);
	assert_string_equal(q.warnings[0], p.warnings[0]);
	assert_string_equal(q.text, p.text);
	assert_int_equal(q.n_words, p.n_words);
	for (size_t i = 0; i < p.n_words; i++) {
		assert_string_equal(q.words[i].text, p.words[i].text);
		assert_int_equal(q.words[i].x, p.words[i].x);
		assert_int_equal(q.words[i].h, p.words[i].h);
		assert_int_equal(q.words[i].line, p.words[i].line);
		assert_true(q.words[i].conf > p.words[i].conf - 0.001f &&
		            q.words[i].conf < p.words[i].conf + 0.001f);
	}
	/* the same JSON again */
	assert_int_equal(hl_ocr_page_to_json(&j2, &q), 0);
	assert_string_equal(j, j2);
	free(j);
	free(j2);
	hl_ocr_page_free(&p);
	hl_ocr_page_free(&q);
	assert_int_equal(hl_ocr_page_from_json(&q, "{\"page_no\": 1}"), HL_EINVALID);
	assert_int_equal(hl_ocr_page_from_json(&q, "[1,2"), HL_EINVALID);
}

static void test_searchable_pdf(void **state)
{
	hl_ocr_page p[3];
	assert_int_equal(hl_ocr_page_run(&p[0], engine, path_of("dpi150.png"), NULL, 1, NULL), 0);
	assert_int_equal(hl_ocr_page_run(&p[1], engine, path_of("scan.pdf"), NULL, 2, NULL), 0);
	assert_int_equal(hl_ocr_page_run(&p[2], engine, path_of("text.pdf"), NULL, 1, NULL), 0);
	hl_ocr_pdf_page in[3] = {
	    {path_of("dpi150.png"), NULL, 1, &p[0]},
	    {path_of("scan.pdf"), NULL, 2, &p[1]},
	    {path_of("text.pdf"), NULL, 1, &p[2]},
	};
	char out[1300];
	snprintf(out, sizeof out, "%s/searchable-%d.pdf", pages_dir, (int)getpid());
	assert_int_equal(hl_ocr_pdf_export(out, in, 3), 0);
	hl_ocr_source s;
	assert_int_equal(hl_ocr_probe(&s, out, NULL), 0);
	assert_int_equal(s.n_pages, 3);
	assert_int_equal(s.has_text_layer, 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(s.pages[i].has_text, 1);
	/* the page images keep their size: 150 dpi page of A4 */
	assert_true(s.pages[0].width_pt > 594 && s.pages[0].width_pt < 597);
	hl_ocr_source_free(&s);
	/* pdftotext reads back the Vietnamese text of every page, diacritics and all */
	if (access("/usr/bin/pdftotext", X_OK) != 0)
		fail_msg("pdftotext (poppler-utils) is missing: scripts/deps.sh installs it");
	for (int i = 0; i < 3; i++) {
		char cmd[2048];
		int st = 0;
		snprintf(cmd, sizeof cmd, "pdftotext -enc UTF-8 -f %d -l %d '%s' -", i + 1, i + 1,
		         out);
		char *txt = run_cmd(cmd, &st);
		assert_int_equal(st, 0);
		hl_ocr_eval_result r;
		assert_int_equal(hl_ocr_eval(&r, p[i].text, txt), 0);
		printf("# searchable PDF page %d: pdftotext vs OCR text CER %.4f\n", i + 1, r.cer);
		assert_true(r.cer <= 0.02);
		free(txt);
	}
	/* our own reading of it keeps the OCR layer as a text layer */
	hl_ocr_page back;
	assert_int_equal(hl_ocr_page_run(&back, engine, out, NULL, 2, NULL), 0);
	assert_int_equal(back.from_text_layer, 1);
	assert_non_null(strstr(back.text, "Điều 119. Báo cáo công tác bảo vệ môi trường"));
	hl_ocr_page_free(&back);
	unlink(out);
	/* a page that is not there is refused, and nothing is left behind */
	in[0].page_no = 2;
	assert_int_equal(hl_ocr_pdf_export(out, in, 3), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "dpi150.png: page 2"));
	assert_int_equal(access(out, F_OK), -1);
	for (int i = 0; i < 3; i++)
		hl_ocr_page_free(&p[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_eval_known_strings),
	    cmocka_unit_test(test_probe_formats),
	    cmocka_unit_test(test_bad_inputs),
	    cmocka_unit_test(test_clean_page_cer),
	    cmocka_unit_test(test_noisy_page_cer),
	    cmocka_unit_test(test_skewed_page),
	    cmocka_unit_test(test_rotated_page),
	    cmocka_unit_test(test_pdf_text_layer_kept),
	    cmocka_unit_test(test_scanned_pdf_recognised),
	    cmocka_unit_test(test_multipage_tiff_page),
	    cmocka_unit_test(test_low_dpi_warning),
	    cmocka_unit_test(test_alto),
	    cmocka_unit_test(test_json_round_trip),
	    cmocka_unit_test(test_searchable_pdf),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
