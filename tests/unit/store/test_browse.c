/* Tests of browsing with visibility: no count, list or page of a dossier includes a document the
 * caller may not see, and secret documents are never counted. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"
#include "halong/util.h"

typedef struct {
	char dir[64];
	char *path;
	hl_store *st;
} fx;

static void put(hl_store *st, const char *fonds, const char *dossier, int ordinal, hl_access a)
{
	char id[64], subject[160];
	int status;
	snprintf(id, sizeof(id), "%s-%s-%d", fonds, dossier, ordinal);
	snprintf(subject, sizeof(subject), "Văn bản %s (%s)", id, hl_access_name(a));
	hl_doc d = {.doc_id = id,
	            .fonds_code = (char *)fonds,
	            .dossier_code = (char *)dossier,
	            .ordinal = ordinal,
	            .subject = subject,
	            .page_count = -1,
	            .access = a};
	assert_int_equal(hl_store_doc_put(&status, st, &d, "test"), 0);
}

/* Fonds A: dossier HS1 with one document at each level, HS2 with one restricted one.
 * Fonds B: one public and one internal document. */
static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/hl-browse-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->path = hl_path_join(f->dir, "halong.db");
	if (hl_store_open(&f->st, f->path, 1) < 0)
		return -1;
	hl_store_begin(f->st);
	for (int a = HL_ACCESS_PUBLIC; a <= HL_ACCESS_SECRET; a++)
		put(f->st, "A", "HS1", a + 1, (hl_access)a);
	put(f->st, "A", "HS2", 1, HL_ACCESS_RESTRICTED);
	put(f->st, "B", "HS1", 1, HL_ACCESS_PUBLIC);
	put(f->st, "B", "HS1", 2, HL_ACCESS_INTERNAL);
	hl_store_commit(f->st);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	char cmd[128];
	hl_store_free(f->st);
	free(f->path);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

typedef struct {
	char out[256];
} acc;

static int fonds_row(const hl_store_fonds_count *r, void *ud)
{
	acc *a = ud;
	size_t n = strlen(a->out);
	snprintf(a->out + n, sizeof(a->out) - n, "%s:%lld/%lld ", r->code, (long long)r->documents,
	         (long long)r->dossiers);
	return 0;
}

static void test_fonds_counts(void **state)
{
	fx *f = *state;
	char *scope_a[] = {"A"};
	acc a = {{0}};

	/* anonymous: public only, whatever the scope */
	assert_int_equal(hl_store_fonds_counts(f->st, HL_ACCESS_PUBLIC, NULL, 0, 0, fonds_row, &a),
	                 0);
	assert_string_equal(a.out, "A:1/1 B:1/1 ");
	/* an officer of the unit holding A: internal in A, public elsewhere */
	memset(&a, 0, sizeof(a));
	assert_int_equal(
	    hl_store_fonds_counts(f->st, HL_ACCESS_INTERNAL, scope_a, 1, 0, fonds_row, &a), 0);
	assert_string_equal(a.out, "A:2/1 B:1/1 ");
	/* the province's archivist: restricted everywhere, secret never, even when asked */
	memset(&a, 0, sizeof(a));
	assert_int_equal(hl_store_fonds_counts(f->st, HL_ACCESS_SECRET, NULL, 0, 1, fonds_row, &a),
	                 0);
	assert_string_equal(a.out, "A:4/2 B:2/1 ");
}

static int dossier_row(const hl_store_dossier_seen *r, void *ud)
{
	acc *a = ud;
	size_t n = strlen(a->out);
	snprintf(a->out + n, sizeof(a->out) - n, "%s:%lld ", r->code, (long long)r->documents);
	return 0;
}

static int doc_row(const hl_doc *d, void *ud)
{
	acc *a = ud;
	size_t n = strlen(a->out);
	snprintf(a->out + n, sizeof(a->out) - n, "%lld ", (long long)d->ordinal);
	return 0;
}

static void test_dossiers_and_documents(void **state)
{
	fx *f = *state;
	acc a = {{0}};
	int64_t total = -1;

	/* out of scope: public only, and HS2 (restricted only) is not even listed */
	assert_int_equal(
	    hl_store_dossiers_visible(f->st, "A", HL_ACCESS_RESTRICTED, 0, dossier_row, &a), 0);
	assert_string_equal(a.out, "HS1:1 ");
	memset(&a, 0, sizeof(a));
	assert_int_equal(
	    hl_store_dossiers_visible(f->st, "A", HL_ACCESS_RESTRICTED, 1, dossier_row, &a), 0);
	assert_string_equal(a.out, "HS1:3 HS2:1 ");

	memset(&a, 0, sizeof(a));
	assert_int_equal(hl_store_dossier_docs(&total, f->st, "A", "HS1", HL_ACCESS_SECRET, 1, 0, 0,
	                                       10, doc_row, &a),
	                 0);
	assert_int_equal(total, 3); /* the secret one stays out */
	assert_string_equal(a.out, "1 2 3 ");
	memset(&a, 0, sizeof(a));
	assert_int_equal(hl_store_dossier_docs(&total, f->st, "A", "HS1", HL_ACCESS_INTERNAL, 1, 0,
	                                       1, 1, doc_row, &a),
	                 0);
	assert_int_equal(total, 2);
	assert_string_equal(a.out, "2 ");
	memset(&a, 0, sizeof(a));
	assert_int_equal(hl_store_dossier_docs(&total, f->st, "B", "HS9", HL_ACCESS_INTERNAL, 1, 0,
	                                       0, 10, doc_row, &a),
	                 0);
	assert_int_equal(total, 0);
}

static int audit_row(int64_t id, const char *at, const char *actor, const char *action,
                     const char *object, const char *detail, void *ud)
{
	acc *a = ud;
	size_t n = strlen(a->out);
	snprintf(a->out + n, sizeof(a->out) - n, "%s ", object ? object : "-");
	return 0;
}

static void test_audit_page(void **state)
{
	fx *f = *state;
	acc a = {{0}};
	int64_t total = 0;
	assert_int_equal(hl_store_audit_page(f->st, 0, 2, &total, audit_row, &a), 0);
	assert_int_equal(total, 7); /* one document.create per document */
	assert_string_equal(a.out, "B-HS1-2 B-HS1-1 ");
}

/* Documents P0..P3 of fonds A, one per access level, each with two queued pages of scan.tif. */
static void queue_pages_at_every_level(fx *f)
{
	const char *sha = "0000000000000000000000000000000000000000000000000000000000000001";
	int status;

	assert_int_equal(hl_store_blob_add(f->st, sha, 10), 0);
	assert_int_equal(hl_store_begin(f->st), 0);
	for (int a = HL_ACCESS_PUBLIC; a <= HL_ACCESS_SECRET; a++) {
		char id[32];
		hl_doc_file file = {"scan.tif", "", 10};
		snprintf(file.sha256, sizeof(file.sha256), "%s", sha);
		snprintf(id, sizeof(id), "P%d", a);
		hl_doc d = {.doc_id = id,
		            .fonds_code = "A",
		            .dossier_code = "HS9",
		            .ordinal = a + 1,
		            .subject = "Trang quét",
		            .page_count = 2,
		            .access = (hl_access)a,
		            .nfiles = 1,
		            .files = &file};
		assert_int_equal(hl_store_doc_put(&status, f->st, &d, "test"), 0);
		hl_store_page_file pf = {1, sha, 2, NULL, NULL};
		assert_int_equal(hl_store_pages_queue(NULL, f->st, id, &pf, 1), 0);
	}
	assert_int_equal(hl_store_commit(f->st), 0);
}

/* OCR page counts see only the pages of visible documents. */
static void test_pages_visible(void **state)
{
	fx *f = *state;
	char *scope_a[] = {"A"};
	hl_store_pages_stats ps;

	queue_pages_at_every_level(f);
	hl_store_vis anon = {HL_ACCESS_PUBLIC, NULL, 0, 0};
	assert_int_equal(hl_store_pages_count_visible(&ps, f->st, &anon), 0);
	assert_int_equal(ps.pending, 2);
	assert_int_equal(ps.documents, 1);
	hl_store_vis officer = {HL_ACCESS_INTERNAL, scope_a, 1, 0};
	assert_int_equal(hl_store_pages_count_visible(&ps, f->st, &officer), 0);
	assert_int_equal(ps.pending, 4);
	hl_store_vis province = {HL_ACCESS_SECRET, NULL, 0, 1};
	assert_int_equal(hl_store_pages_count_visible(&ps, f->st, &province), 0);
	assert_int_equal(ps.pending, 6); /* restricted yes, secret never */
	assert_int_equal(hl_store_pages_count(&ps, f->st), 0);
	assert_int_equal(ps.pending, 8); /* the CLI on the machine sees all */
}

static int fail_first_page(const hl_page_row *r, void *ud)
{
	fx *f = ud;
	return r->page_no == 1 ? hl_store_page_fail(f->st, r->document_id, r->file_seq, 1,
	                                            "cannot decode the image", 5)
	                       : 0;
}

static int failed_row(const hl_page_row *r, void *ud)
{
	acc *a = ud;
	size_t n = strlen(a->out);
	snprintf(a->out + n, sizeof(a->out) - n, "%s/%s/%d ", r->doc_id, r->file_name, r->page_no);
	return 0;
}

/* The failed pages listed to a user are those of documents they may see, with their file. */
static void test_failed_pages_visible(void **state)
{
	fx *f = *state;
	char *scope_a[] = {"A"};
	queue_pages_at_every_level(f);
	assert_int_equal(hl_store_pages_pending(f->st, 0, 0, 0, 100, fail_first_page, f), 0);

	hl_store_vis anon = {HL_ACCESS_PUBLIC, NULL, 0, 0};
	hl_store_vis officer = {HL_ACCESS_INTERNAL, scope_a, 1, 0};
	hl_store_vis province = {HL_ACCESS_SECRET, NULL, 0, 1};
	acc a = {{0}};
	assert_int_equal(hl_store_pages_failed_visible(f->st, &anon, 10, failed_row, &a), 0);
	assert_string_equal(a.out, "P0/scan.tif/1 ");
	memset(&a, 0, sizeof(a));
	assert_int_equal(hl_store_pages_failed_visible(f->st, &officer, 10, failed_row, &a), 0);
	assert_non_null(strstr(a.out, "P0/scan.tif/1 "));
	assert_non_null(strstr(a.out, "P1/scan.tif/1 "));
	assert_null(strstr(a.out, "P2/"));
	memset(&a, 0, sizeof(a));
	assert_int_equal(hl_store_pages_failed_visible(f->st, &province, 10, failed_row, &a), 0);
	assert_non_null(strstr(a.out, "P2/scan.tif/1 "));
	assert_null(strstr(a.out, "P3/")); /* secret never */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fonds_counts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dossiers_and_documents, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_page, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pages_visible, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_pages_visible, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
