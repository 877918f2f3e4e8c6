/* Tests of reading records as a principal (src/lib/archive/read.c, search.c, fonds.c,
 * digitize.c) on a real data directory with the shipped units of Quảng Ninh: the audit of an
 * earlier restricted version shown, a search hit of a record moved out of the reader's scope
 * while the index lags the store, a dossier page that carries no content, a page number below
 * 1, the OCR review listed without the store's write lock, and what the library tells every
 * client of a page, a document and a search answer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "halong/archive.h"
#include "halong/units.h"
#include "halong/util.h"
#include "store/store.h"

#define DATA HL_SOURCE_DATADIR "/units"

/* HAPHONG is created by 06652 (Phường Hà Phong), held by 06652 (Phường Hà Tu); GIENGDAY by
 * 06661 (Phường Giếng Đáy), held by 06661 (Phường Việt Hưng). Each test puts its own
 * documents in a dossier of its own. */
typedef struct {
	char dir[64];
	hl_archive *a;
	hl_principal viewer52, arch52, prov_arch, local;
} fx;

typedef struct {
	const char *fonds, *dossier, *subject, *text, *notes;
	int ordinal;
	hl_access access;
} doc_spec;

static void put(fx *f, const doc_spec *s)
{
	char id[64];
	int status;
	hl_doc_file file = {"scan.pdf", "", 1000 + s->ordinal};
	memset(file.sha256, 'a' + s->ordinal, 64);
	snprintf(id, sizeof(id), "%s-%s-%d", s->dossier, "DOC", s->ordinal);
	hl_doc d = {.doc_id = id,
	            .fonds_code = (char *)s->fonds,
	            .dossier_code = (char *)s->dossier,
	            .ordinal = s->ordinal,
	            .subject = (char *)s->subject,
	            .text = (char *)s->text,
	            .notes = (char *)s->notes,
	            .page_count = 1,
	            .access = s->access,
	            .nfiles = 1,
	            .files = &file};
	hl_store *st = hl_archive_store(f->a);
	assert_int_equal(hl_store_blob_add(st, file.sha256, file.size), 0);
	if (hl_store_doc_put(&status, st, &d, "test") != 0)
		fail_msg("put %s: %s", id, hl_error_last());
}

static hl_principal user(int64_t id, const char *name, hl_role role, const char *unit, int province)
{
	hl_principal p = hl_principal_anonymous();
	p.user_id = id;
	p.role = role;
	p.province = province;
	snprintf(p.username, sizeof(p.username), "%s", name);
	snprintf(p.unit_code, sizeof(p.unit_code), "%s", unit);
	return p;
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	hl_units_load_stats s;
	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/hl-read-XXXXXX");
	if (!mkdtemp(f->dir) || hl_archive_init(f->dir) < 0 || hl_archive_open(&f->a, f->dir) < 0)
		return -1;
	if (hl_units_load(&s, hl_archive_store(f->a), DATA, NULL, NULL, NULL) < 0 ||
	    hl_custody_set_creator(hl_archive_store(f->a), "HAPHONG", "06652", NULL, NULL, "test") <
	        0 ||
	    hl_custody_set_creator(hl_archive_store(f->a), "GIENGDAY", "06661", NULL, NULL,
	                           "test") < 0) {
		fprintf(stderr, "setup: %s\n", hl_error_last());
		return -1;
	}
	f->viewer52 = user(1, "xem52", HL_ROLE_VIEWER, "06652", 0);
	f->arch52 = user(2, "lan52", HL_ROLE_ARCHIVIST, "06652", 0);
	f->prov_arch = user(6, "tinh.luutru", HL_ROLE_ARCHIVIST, "22", 1);
	f->local = hl_principal_local("cli:test");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	char cmd[128];
	hl_archive_free(f->a);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

typedef struct {
	int64_t id;
	char actor[64], action[32], object[64], detail[128];
} last_audit;

static int audit_row(int64_t id, const char *at, const char *actor, const char *action,
                     const char *object, const char *detail, void *ud)
{
	last_audit *l = ud;
	(void)at;
	l->id = id;
	snprintf(l->actor, sizeof(l->actor), "%s", actor ? actor : "");
	snprintf(l->action, sizeof(l->action), "%s", action ? action : "");
	snprintf(l->object, sizeof(l->object), "%s", object ? object : "");
	snprintf(l->detail, sizeof(l->detail), "%s", detail ? detail : "");
	return 1;
}

static last_audit last_entry(fx *f)
{
	last_audit l;
	int64_t total;
	memset(&l, 0, sizeof(l));
	assert_int_equal(hl_store_audit_page(hl_archive_store(f->a), 0, 1, &total, audit_row, &l),
	                 0);
	return l;
}

typedef struct {
	int shown, hidden;
} versions_seen;

static int on_version(int version, const char *replaced_at, const char *json, void *ud)
{
	versions_seen *v = ud;
	(void)version, (void)replaced_at;
	if (json)
		v->shown++;
	else
		v->hidden++;
	return 0;
}

static versions_seen read_versions(fx *f, const hl_principal *who, const char *doc_id)
{
	versions_seen v = {0, 0};
	hl_doc_read_opts o = {.on_version = on_version, .ud = &v};
	hl_doc *d = NULL;
	if (hl_archive_doc_read(&d, f->a, who, doc_id, "document", &o) != 0)
		fail_msg("read %s: %s", doc_id, hl_error_last());
	hl_doc_free(d);
	return v;
}

/* The review of issue 11: whether a read was audited was decided by the current level only, yet
 * an earlier version shown is the record as it was: a record restricted once and internal
 * now gave its restricted past unaudited. */
static void test_restricted_version_is_audited(void **state)
{
	fx *f = *state;
	doc_spec s = {"HAPHONG", "V01", "Biên bản họp kín", NULL, NULL, 1, HL_ACCESS_RESTRICTED};
	last_audit before, after;
	versions_seen v;

	put(f, &s);
	s.subject = "Biên bản họp (công bố nội bộ)";
	s.access = HL_ACCESS_INTERNAL;
	put(f, &s);

	/* the province's archivist may see the restricted version 1: audited with the read */
	before = last_entry(f);
	v = read_versions(f, &f->prov_arch, "V01-DOC-1");
	assert_int_equal(v.shown, 1);
	after = last_entry(f);
	assert_int_equal(after.id, before.id + 1);
	assert_string_equal(after.actor, "tinh.luutru");
	assert_string_equal(after.action, "read");
	assert_string_equal(after.object, "V01-DOC-1");
	assert_string_equal(after.detail, "document (version 1)");

	/* a viewer is shown no restricted version: nothing of that level read, no entry */
	before = last_entry(f);
	v = read_versions(f, &f->viewer52, "V01-DOC-1");
	assert_int_equal(v.shown, 0);
	assert_int_equal(v.hidden, 1);
	assert_int_equal(last_entry(f).id, before.id);

	/* a secret past, shown to the node's operator, and a third version: both listed */
	s.access = HL_ACCESS_SECRET;
	put(f, &s);
	s.access = HL_ACCESS_PUBLIC;
	put(f, &s);
	v = read_versions(f, &f->local, "V01-DOC-1");
	assert_int_equal(v.shown, 3);
	after = last_entry(f);
	assert_string_equal(after.actor, "cli:test");
	assert_string_equal(after.detail, "document (versions 3, 1)");
}

static int search_n(fx *f, const hl_principal *who, const char *q, int64_t *pending)
{
	hl_search_opts o = {.query = q, .facets = 1};
	hl_hits *h = NULL;
	int n;
	if (hl_archive_search(&h, f->a, who, &o) != 0)
		fail_msg("search %s: %s", q, hl_error_last());
	n = (int)h->n;
	if (pending)
		*pending = h->pending;
	hl_hits_free(h);
	return n;
}

/* The review of issue 11: a hit was checked against the store for its level only, and the
 * index lags the store until its queue is applied (a search does not apply it): a record moved
 * to a fonds out of the reader's scope still showed, with its snippet. */
static void test_hit_moved_out_of_scope_is_gone(void **state)
{
	fx *f = *state;
	doc_spec s = {
	    "HAPHONG",         "S01", "Tờ trình xây dựng nhà văn hoá khu phố", NULL, NULL, 1,
	    HL_ACCESS_INTERNAL};
	uint64_t applied = 0;
	int64_t pending = 0;

	put(f, &s);
	assert_int_equal(hl_archive_index_sync(&applied, f->a, NULL, NULL), 0);
	assert_int_equal(search_n(f, &f->viewer52, "nhà văn hoá", &pending), 1);
	assert_int_equal(pending, 0);

	/* moved to GIENGDAY, held by 06661; the index still has it in HAPHONG */
	s.fonds = "GIENGDAY";
	put(f, &s);
	assert_int_equal(search_n(f, &f->viewer52, "nhà văn hoá", &pending), 0);
	assert_int_equal(pending, 1);
	/* who may see it still does */
	assert_int_equal(search_n(f, &f->prov_arch, "nhà văn hoá", NULL), 1);

	/* back in scope, then raised above the viewer's ceiling: gone too */
	s.fonds = "HAPHONG";
	s.access = HL_ACCESS_RESTRICTED;
	put(f, &s);
	assert_int_equal(search_n(f, &f->viewer52, "nhà văn hoá", NULL), 0);
	/* and made secret: gone for the province's archivist as well */
	s.access = HL_ACCESS_SECRET;
	put(f, &s);
	assert_int_equal(search_n(f, &f->prov_arch, "nhà văn hoá", NULL), 0);
	assert_int_equal(search_n(f, &f->local, "nhà văn hoá", NULL), 1);
}

typedef struct {
	int n, with_content;
} listed;

static int list_row(const hl_doc *d, void *ud)
{
	listed *l = ud;
	l->n++;
	l->with_content += d->text != NULL || d->notes != NULL || d->page_text != NULL;
	return 0;
}

/* A dossier page is a listing (include/halong/archive.h: "no files, no page text"): it carried
 * the typed text and the notes of each document, content never audited. */
static void test_dossier_page_carries_no_content(void **state)
{
	fx *f = *state;
	doc_spec s = {"HAPHONG",
	              "L01",
	              "Quyết định giao đất",
	              "Toàn văn quyết định: giao 300 m² đất cho hộ ông A.",
	              "Ghi chú: bản gốc ở kho 2",
	              1,
	              HL_ACCESS_RESTRICTED};
	hl_dossier *d = NULL;
	listed l = {0, 0};

	put(f, &s);
	assert_int_equal(hl_archive_dossier_docs(&d, f->a, &f->prov_arch, "HAPHONG", "L01",
	                                         HL_ORDER_ORDINAL, 0, 10, list_row, &l),
	                 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.with_content, 0);
	hl_dossier_free(d);
}

/* hl_archive_page_alto promised HL_ENOTFOUND for a page that is not there, as
 * hl_archive_page_open answers; a page below 1 answered HL_EINVALID. */
static void test_alto_page_below_one_is_not_found(void **state)
{
	fx *f = *state;
	doc_spec s = {"HAPHONG", "A01", "Công văn", NULL, NULL, 1, HL_ACCESS_PUBLIC};
	char *xml = NULL;

	put(f, &s);
	assert_int_equal(hl_archive_page_alto(&xml, f->a, &f->viewer52, "A01-DOC-1", 0),
	                 HL_ENOTFOUND);
	assert_string_equal(hl_error_last(), "no page 0 in A01-DOC-1");
	assert_int_equal(hl_archive_page_alto(&xml, f->a, &f->viewer52, "A01-DOC-1", -3),
	                 HL_ENOTFOUND);
	/* a hidden or missing document first, as page_open says it */
	assert_int_equal(hl_archive_page_alto(&xml, f->a, &f->viewer52, "NO-SUCH", 0),
	                 HL_ENOTFOUND);
	assert_string_equal(hl_error_last(), "no document NO-SUCH");
	assert_null(xml);
}

/* One recognised page (file 1, page 1) of document doc_id, with this mean confidence. */
static void page_done(fx *f, const char *doc_id, double conf)
{
	hl_store *st = hl_archive_store(f->a);
	hl_doc *d = NULL;
	char sha[65];
	memset(sha, 'a', 64), sha[64] = '\0';
	hl_store_page_file pf = {1, sha, 1, NULL, NULL};
	assert_int_equal(hl_store_doc_get(&d, st, doc_id), 0);
	memcpy(sha, d->files[0].sha256, sizeof(sha));
	assert_int_equal(hl_store_begin(st), 0);
	assert_int_equal(hl_store_pages_queue(NULL, st, doc_id, &pf, 1), 0);
	assert_int_equal(hl_store_commit(st), 0);
	hl_store_page_result r = {
	    d->rowid, 1, 1, "Nội dung trang quét", "{\"words\":[]}", 300, 0, 0, conf, 10, {0}};
	assert_int_equal(hl_store_page_done(st, &r), 0);
	hl_doc_free(d);
}

typedef struct {
	fx *f;
	char order[256];
	int rows, with_result, writer_ok, writer_busy;
} reviewed;

/* Each row listed; on the first, another connection asks the store's write lock at once (no
 * waiting): a review must not hold it while it lists. */
static int review_cb(const hl_page_row *p, void *ud)
{
	reviewed *r = ud;
	size_t n = strlen(r->order);
	snprintf(r->order + n, sizeof(r->order) - n, "%s ", p->doc_id);
	r->with_result += p->result != NULL;
	if (r->rows++ == 0) {
		char path[128];
		sqlite3 *db = NULL;
		snprintf(path, sizeof(path), "%s/halong.db", r->f->dir);
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		sqlite3_busy_timeout(db, 0);
		int rc = sqlite3_exec(db, "BEGIN IMMEDIATE; COMMIT", NULL, NULL, NULL);
		r->writer_ok += rc == SQLITE_OK;
		r->writer_busy += rc == SQLITE_BUSY;
		sqlite3_close(db);
	}
	return 0;
}

static int64_t audit_count(fx *f, const char *detail)
{
	int64_t total = 0, n = 0;
	last_audit l;
	/* entries newest first: count the reads with this detail among the last 50 */
	for (size_t i = 0; i < 50; i++) {
		memset(&l, 0, sizeof(l));
		if (hl_store_audit_page(hl_archive_store(f->a), i, 1, &total, audit_row, &l) != 0 ||
		    !l.id)
			break;
		n += !strcmp(l.action, "read") && !strcmp(l.detail, detail);
	}
	return n;
}

/* The review of issue 11: the OCR review held the store's write lock (a transaction) for a
 * reader who may see restricted records while it scanned up to 20,001 pages, reading each new
 * document whole. It now lists without it, and audits the restricted documents listed after,
 * each once, in one transaction. */
static void test_review_lists_without_the_write_lock(void **state)
{
	fx *f = *state;
	doc_spec r1 = {"HAPHONG", "R01", "Hồ sơ mật", NULL, NULL, 1, HL_ACCESS_RESTRICTED};
	doc_spec i1 = {"HAPHONG", "R01", "Hồ sơ nội bộ", NULL, NULL, 2, HL_ACCESS_INTERNAL};
	doc_spec g1 = {"GIENGDAY", "R02", "Hồ sơ mật khác", NULL, NULL, 3, HL_ACCESS_RESTRICTED};
	reviewed r = {f, "", 0, 0, 0, 0};
	int64_t before;

	put(f, &r1), put(f, &i1), put(f, &g1);
	page_done(f, "R01-DOC-1", 30);
	page_done(f, "R01-DOC-2", 40);
	page_done(f, "R02-DOC-3", 50);

	before = audit_count(f, "ocr review");
	assert_int_equal(hl_archive_ocr_review(f->a, &f->prov_arch, 60, 10, NULL, review_cb, &r),
	                 0);
	assert_string_equal(r.order, "R01-DOC-1 R01-DOC-2 R02-DOC-3 ");
	assert_int_equal(r.writer_busy, 0);
	assert_int_equal(r.writer_ok, 1);
	assert_int_equal(r.with_result, 0);
	/* the two restricted ones, once each, newest last */
	assert_int_equal(audit_count(f, "ocr review"), before + 2);
	last_audit l = last_entry(f);
	assert_string_equal(l.object, "R02-DOC-3");
	assert_string_equal(l.actor, "tinh.luutru");

	/* an archivist of 06652 sees HAPHONG, not GIENGDAY: one restricted listed */
	memset(&r, 0, sizeof(r));
	r.f = f;
	before = audit_count(f, "ocr review");
	assert_int_equal(hl_archive_ocr_review(f->a, &f->arch52, 60, 10, NULL, review_cb, &r), 0);
	assert_string_equal(r.order, "R01-DOC-1 R01-DOC-2 ");
	assert_int_equal(audit_count(f, "ocr review"), before + 1);
	assert_string_equal(last_entry(f).object, "R01-DOC-1");
	/* at most max, weakest first */
	memset(&r, 0, sizeof(r));
	r.f = f;
	assert_int_equal(hl_archive_ocr_review(f->a, &f->prov_arch, 45, 1, NULL, review_cb, &r), 0);
	assert_string_equal(r.order, "R01-DOC-1 ");
}

typedef struct {
	int n, low;
} pages_seen;

static int count_page(const hl_page_row *p, void *ud)
{
	pages_seen *c = ud;
	c->n++;
	c->low += p->low_confidence;
	return 0;
}

/* What each client is told by the library, not decided by the client (issue 11): a page's low
 * confidence, whether a document's answer is the same for every caller, whether a search answer
 * may be given again. Before, the server computed each of them itself. */
static void test_verdicts_come_from_the_library(void **state)
{
	fx *f = *state;
	doc_spec lo = {"HAPHONG", "C01", "Sổ đăng ký công văn đến", "Công văn đến năm 2019",
	               NULL,      1,     HL_ACCESS_PUBLIC};
	doc_spec hi = {"HAPHONG", "C01", "Sổ đăng ký công văn đi", "Công văn đi năm 2019",
	               NULL,      2,     HL_ACCESS_PUBLIC};
	doc_spec rs = {"HAPHONG", "C01", "Sổ đăng ký hồ sơ mật", "Công văn mật năm 2019",
	               NULL,      3,     HL_ACCESS_RESTRICTED};
	versions_seen v = {0, 0};
	pages_seen ps = {0, 0};
	hl_doc_read_opts both = {count_page, on_version, &ps};
	hl_doc *d = NULL;
	uint64_t applied = 0;

	put(f, &lo), put(f, &hi), put(f, &rs);
	page_done(f, "C01-DOC-1", 50); /* below HL_OCR_LOW_CONFIDENCE */
	page_done(f, "C01-DOC-2", 90);

	/* low confidence: the weak page only */
	assert_int_equal(hl_archive_doc_read(&d, f->a, &f->viewer52, "C01-DOC-1", NULL, &both), 0);
	assert_int_equal(ps.n, 1);
	assert_int_equal(ps.low, 1);
	assert_int_equal(d->same_for_all, 1); /* public, no earlier version, not audited */
	hl_doc_free(d);
	ps = (pages_seen){0, 0};
	assert_int_equal(hl_archive_doc_read(&d, f->a, &f->viewer52, "C01-DOC-2", NULL, &both), 0);
	assert_int_equal(ps.n, 1);
	assert_int_equal(ps.low, 0);
	hl_doc_free(d);

	/* not the same for all: read without asking its versions, a restricted record (audited),
	 * a public record with an earlier version */
	hl_doc_read_opts pages_only = {count_page, NULL, &ps};
	assert_int_equal(
	    hl_archive_doc_read(&d, f->a, &f->viewer52, "C01-DOC-2", NULL, &pages_only), 0);
	assert_int_equal(d->same_for_all, 0);
	hl_doc_free(d);
	both.ud = &v;
	both.on_page = NULL;
	assert_int_equal(hl_archive_doc_read(&d, f->a, &f->arch52, "C01-DOC-3", NULL, &both), 0);
	assert_int_equal(d->same_for_all, 0);
	hl_doc_free(d);
	hi.subject = "Sổ đăng ký công văn đi (bản sửa)";
	put(f, &hi);
	assert_int_equal(hl_archive_doc_read(&d, f->a, &f->viewer52, "C01-DOC-2", NULL, &both), 0);
	assert_int_equal(v.hidden + v.shown, 1);
	assert_int_equal(d->same_for_all, 0);
	hl_doc_free(d);

	/* a search answer showing a restricted record is not to be given again */
	hl_search_opts o = {.query = "đăng ký", .facets = 1};
	hl_hits *h = NULL;
	assert_int_equal(hl_archive_index_sync(&applied, f->a, NULL, NULL), 0);
	assert_int_equal(hl_archive_search(&h, f->a, &f->viewer52, &o), 0);
	assert_int_equal(h->n, 2);
	assert_int_equal(h->reusable, 1);
	hl_hits_free(h);
	assert_int_equal(hl_archive_search(&h, f->a, &f->arch52, &o), 0);
	assert_int_equal(h->n, 3);
	assert_int_equal(h->reusable, 0);
	hl_hits_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_restricted_version_is_audited),
	    cmocka_unit_test(test_hit_moved_out_of_scope_is_gone),
	    cmocka_unit_test(test_dossier_page_carries_no_content),
	    cmocka_unit_test(test_alto_page_below_one_is_not_found),
	    cmocka_unit_test(test_review_lists_without_the_write_lock),
	    cmocka_unit_test(test_verdicts_come_from_the_library),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
