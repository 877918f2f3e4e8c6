/* The OCR queue through the archive (src/lib/archive/digitize.c), on pages rendered from the legal
 * corpus (tests/pages/make_pages.py, made by test_ocr into this build folder) and real Tesseract.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "halong/archive.h"
#include "store/store.h"

/* The node's operator, as `halong ocr run` is. */
static hl_principal local;

static char tmp[256];

static const char *pages_file(const char *name)
{
	static char buf[2][1200];
	static int k;
	k ^= 1;
	snprintf(buf[k], sizeof buf[k], "%s/%s", HL_OCR_PAGES_DIR, name);
	return buf[k];
}

static const char *tmp_file(const char *name)
{
	static char buf[2][512];
	static int k;
	k ^= 1;
	snprintf(buf[k], sizeof buf[k], "%s/%s", tmp, name);
	return buf[k];
}

static void write_manifest(const char *path, const char *file)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
	        "fonds_code,dossier_code,doc_ordinal,subject,page_count,files,access_level\n"
	        "SO,HS01,1,Trang quét,1,%s,public\n",
	        file);
	fclose(f);
}

static int ingest_with(hl_archive *a, const char *manifest, int ocr)
{
	hl_ingest_opts o = {
	    .manifest = manifest, .files_dir = HL_OCR_PAGES_DIR, .ocr = ocr, .who = &local};
	hl_ingest_result r = {0};
	int rc = hl_archive_ingest(&r, a, &o);
	return rc < 0 ? rc : (int)r.rejected;
}

static int ingest(hl_archive *a, const char *manifest)
{
	return ingest_with(a, manifest, 1);
}

typedef struct {
	char text[64], sha256[65], state[16];
	int n;
} one_page;

static int keep_page(const hl_page_row *r, void *ud)
{
	one_page *p = ud;
	p->n++;
	snprintf(p->text, sizeof p->text, "%s", r->text ? r->text : "");
	snprintf(p->sha256, sizeof p->sha256, "%s", r->sha256 ? r->sha256 : "");
	snprintf(p->state, sizeof p->state, "%s", r->state ? r->state : "");
	return 0;
}

/* The archive's one page, pending or done. */
static one_page the_page(hl_archive *a)
{
	one_page p = {0};
	assert_int_equal(hl_store_pages_pending(hl_archive_store(a), 0, 0, 0, 10, keep_page, &p),
	                 0);
	assert_int_equal(hl_store_pages_done(hl_archive_store(a), keep_page, &p), 0);
	assert_int_equal(p.n, 1);
	return p;
}

typedef struct {
	hl_archive *a;
	const char *manifest;
	int reingested;
} reingest_at_start;

/* Called by the run before it writes its first result, while the worker already holds the old
 * file: the document is loaded again with another file in its place. */
static int reingest(const char *what, uint64_t done, uint64_t total, void *ud)
{
	reingest_at_start *r = ud;
	(void)what, (void)total;
	if (done == 0 && !r->reingested) {
		r->reingested = 1;
		assert_int_equal(ingest(r->a, r->manifest), 0);
	}
	return 0;
}

/* A document re-ingested with a changed file during a run: the old file's text is not written
 * onto the new file's page, which stays pending and is recognised by the next run. */
static void test_reingest_during_run_keeps_the_new_page_pending(void **state)
{
	(void)state;
	hl_archive *a = NULL;
	assert_int_equal(hl_archive_open(&a, tmp_file("home")), 0);
	write_manifest(tmp_file("m1.csv"), "text.pdf");
	write_manifest(tmp_file("m2.csv"), "dpi150.png");
	assert_int_equal(ingest(a, tmp_file("m1.csv")), 0);
	one_page old = the_page(a);
	assert_string_equal(old.state, "pending");

	reingest_at_start r = {a, tmp_file("m2.csv"), 0};
	hl_ocr_run_opts o = {.who = &local, .jobs = 1, .progress = reingest, .ud = &r};
	hl_ocr_run_result res = {0};
	assert_int_equal(hl_archive_ocr_run(&res, a, &o), 0);
	assert_true(r.reingested);
	one_page now = the_page(a);
	assert_string_not_equal(now.sha256, old.sha256);
	assert_string_equal(now.state, "pending");
	assert_int_equal(res.done, 0);

	/* the next run recognises the new file: its first words, not the text layer's */
	hl_ocr_run_opts o2 = {.who = &local, .jobs = 1};
	assert_int_equal(hl_archive_ocr_run(&res, a, &o2), 0);
	assert_int_equal(res.done, 1);
	now = the_page(a);
	assert_string_equal(now.state, "done");
	assert_non_null(strstr(now.text, "Điều"));
	hl_archive_free(a);
}

/* Four workers on four pages (a three-page TIFF and a page of a PNG): every page is recognised
 * once, in its document. Under ThreadSanitizer this also checks that the engines, started side
 * by side, share nothing unguarded. */
static void test_workers_side_by_side(void **state)
{
	(void)state;
	hl_archive *a = NULL;
	assert_int_equal(hl_archive_open(&a, tmp_file("home")), 0);
	FILE *f = fopen(tmp_file("m.csv"), "w");
	assert_non_null(f);
	fprintf(f, "fonds_code,dossier_code,doc_ordinal,subject,page_count,files,access_level\n"
	           "SO,HS01,1,TIFF nhiều trang,3,multi.tif,public\n"
	           "SO,HS01,2,Trang 150 dpi,1,dpi150.png,public\n");
	fclose(f);
	assert_int_equal(ingest(a, tmp_file("m.csv")), 0);
	hl_ocr_run_opts o = {.who = &local, .jobs = 4};
	hl_ocr_run_result res = {0};
	assert_int_equal(hl_archive_ocr_run(&res, a, &o), 0);
	assert_int_equal(res.done, 4);
	assert_int_equal(res.failed, 0);
	assert_int_equal(res.indexed, 2); /* two documents, each indexed once */
	hl_ocr_status st;
	assert_int_equal(hl_archive_ocr_status(&st, a, &local), 0);
	assert_int_equal(st.done, 4);
	assert_int_equal(st.pending, 0);
	hl_archive_free(a);
}

static int count_page(const hl_page_row *r, void *ud)
{
	(void)r;
	++*(int *)ud;
	return 0;
}

/* A document re-ingested without --ocr with another file loses the old file's pages and their
 * text (which `show` and search would otherwise still give as the document's). */
static void test_reingest_without_ocr_drops_old_pages(void **state)
{
	(void)state;
	hl_archive *a = NULL;
	assert_int_equal(hl_archive_open(&a, tmp_file("home")), 0);
	write_manifest(tmp_file("m1.csv"), "text.pdf");
	write_manifest(tmp_file("m2.csv"), "dpi150.png");
	assert_int_equal(ingest(a, tmp_file("m1.csv")), 0);
	hl_ocr_run_opts o = {.who = &local, .jobs = 1};
	hl_ocr_run_result res = {0};
	assert_int_equal(hl_archive_ocr_run(&res, a, &o), 0);
	assert_string_equal(the_page(a).state, "done");

	assert_int_equal(ingest_with(a, tmp_file("m2.csv"), 0), 0);
	int n = 0;
	assert_int_equal(hl_store_pages_done(hl_archive_store(a), count_page, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(hl_store_pages_pending(hl_archive_store(a), 0, 0, 0, 10, count_page, &n),
	                 0);
	assert_int_equal(n, 0);
	hl_archive_free(a);
}

typedef struct {
	hl_archive *a;
	const char *manifest;
	int raised;
} raise_after_first;

/* Called by the run after its first page is written: the second document is loaded again,
 * restricted now (its page, the same file, stays pending). */
static int raise_level(const char *what, uint64_t done, uint64_t total, void *ud)
{
	raise_after_first *r = ud;
	(void)what, (void)total;
	if (done == 1 && !r->raised) {
		r->raised = 1;
		assert_int_equal(ingest(r->a, r->manifest), 0);
	}
	return 0;
}

static int count_action(int64_t id, const char *at, const char *actor, const char *action,
                        const char *object, const char *detail, void *ud)
{
	(void)id, (void)at, (void)actor, (void)object, (void)detail;
	if (action && !strcmp(action, "ocr.page"))
		++*(int *)ud;
	return 0;
}

/* The review of issue 11: a page's "ocr.page" entry was decided by the level read when the
 * run started; a record made restricted during the run got its text without an entry. */
static void test_level_raised_during_run_is_audited(void **state)
{
	(void)state;
	hl_archive *a = NULL;
	int64_t total = 0;
	int n = 0;
	assert_int_equal(hl_archive_open(&a, tmp_file("home")), 0);
	static const char *const m[2] = {"internal", "restricted"};
	for (int i = 0; i < 2; i++) {
		char name[16];
		snprintf(name, sizeof name, "m%d.csv", i + 1);
		FILE *f = fopen(tmp_file(name), "w");
		assert_non_null(f);
		fprintf(
		    f,
		    "fonds_code,dossier_code,doc_ordinal,subject,page_count,files,access_level\n"
		    "SO,HS01,1,Trang một,1,text.pdf,internal\n"
		    "SO,HS01,2,Trang hai,1,text.pdf,%s\n",
		    m[i]);
		fclose(f);
	}
	assert_int_equal(ingest(a, tmp_file("m1.csv")), 0);
	raise_after_first r = {a, tmp_file("m2.csv"), 0};
	hl_ocr_run_opts o = {.who = &local, .jobs = 1, .progress = raise_level, .ud = &r};
	hl_ocr_run_result res = {0};
	assert_int_equal(hl_archive_ocr_run(&res, a, &o), 0);
	assert_true(r.raised);
	assert_int_equal(res.done + res.failed, 2);
	assert_int_equal(
	    hl_store_audit_page(hl_archive_store(a), 0, 1000, &total, count_action, &n), 0);
	assert_int_equal(n, 1);
	hl_archive_free(a);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof tmp, "/tmp/hl-test-digitize-XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	return hl_archive_init(tmp_file("home"));
}

static int teardown(void **state)
{
	(void)state;
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	local = hl_principal_local("test");
	/* rendered once per build folder, as test_ocr does (the script keeps a stamped folder) */
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/../tests/pages/make_pages.py' '%s'",
	         HL_SOURCE_DATADIR, HL_OCR_PAGES_DIR);
	if (access(pages_file("STAMP"), R_OK) != 0 && system(cmd) != 0) {
		fprintf(stderr, "cannot render the test pages: %s\n", cmd);
		return 1;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_reingest_during_run_keeps_the_new_page_pending,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_workers_side_by_side, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reingest_without_ocr_drops_old_pages, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_level_raised_during_run_is_audited, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
