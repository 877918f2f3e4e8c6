/* Tests of a page's text corrected and approved by a person (src/lib/archive/pagetext.c) and of
 * the review that flags pages by their words (digitize.c, check.c), on a real data directory
 * with the shipped units of Quảng Ninh: a correction is a new version with its author and
 * time, the machine's text and boxes are kept, search finds the corrected words and no longer
 * the machine's, ALTO carries them; who may (the one rule table, the unit holding the fonds);
 * bad text refused with one message naming its source; the review's reasons and order. */
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
#include "halong/ocr.h"
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
	snprintf(f->dir, sizeof(f->dir), "/tmp/hl-pagetext-XXXXXX");
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

/* Page 1 of doc_id recognised with this text, one word a box on lines of the text, each word
 * at confidence conf (the review rule is run later: by the review, as on an upgraded store). */
static void recognised(fx *f, const char *doc_id, const char *text, float conf)
{
	hl_store *st = hl_archive_store(f->a);
	hl_doc *d = NULL;
	hl_ocr_page p = {0};
	hl_ocr_word w[64];
	char *json = NULL, *copy = hl_strdup(text), *save = NULL;
	size_t n = 0;
	uint32_t line = 0;
	int x = 100;
	assert_int_equal(hl_store_doc_get(&d, st, doc_id), 0);
	hl_store_page_file pf = {1, d->files[0].sha256, 1, NULL, NULL};
	assert_int_equal(hl_store_begin(st), 0);
	assert_int_equal(hl_store_pages_queue(NULL, st, doc_id, &pf, 1), 0);
	assert_int_equal(hl_store_commit(st), 0);
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save), line++) {
		char *s2 = NULL;
		x = 100;
		for (char *t = strtok_r(l, " ", &s2); t && n < 64; t = strtok_r(NULL, " ", &s2)) {
			w[n] = (hl_ocr_word){
			    t, x,   100 + 40 * (int32_t)line, 20 * (int32_t)strlen(t), 30, conf,
			    0, line};
			x += 20 * (int32_t)strlen(t) + 15;
			n++;
		}
	}
	p.page_no = 1, p.width = 2480, p.height = 3508, p.dpi = 300, p.mean_conf = conf;
	p.text = (char *)text, p.words = w, p.n_words = n;
	assert_int_equal(hl_ocr_page_to_json(&json, &p), 0);
	hl_store_page_result r = {d->rowid, 1, 1, text, json, 300, 0, 0, conf, 10, {0}};
	assert_int_equal(hl_store_page_done(st, &r), 0);
	free(json), free(copy);
	hl_doc_free(d);
}

/* The hits holding q's words as typed: none when the search took a word it found nowhere for a
 * typo of another ("trudng" searched as "truong"). */
static size_t found(fx *f, const char *q)
{
	hl_search_opts o = {.query = q};
	hl_hits *h = NULL;
	size_t n;
	if (hl_archive_search(&h, f->a, &f->local, &o) != 0)
		fail_msg("search %s: %s", q, hl_error_last());
	n = h->nspelled ? 0 : h->n;
	hl_hits_free(h);
	return n;
}

typedef struct {
	int n;
	int version[8];
	char text[8][128], by[8][64];
} versions;

static int version_cb(int version, const char *text, const char *by, const char *at, void *ud)
{
	versions *v = ud;
	assert_non_null(at);
	v->version[v->n] = version;
	snprintf(v->text[v->n], sizeof(v->text[0]), "%s", text ? text : "");
	snprintf(v->by[v->n], sizeof(v->by[0]), "%s", by ? by : "");
	v->n++;
	return 0;
}

typedef struct {
	char text[256], machine[256], corrected_by[64], approved_by[64];
	int version, checked, unknown, low;
} page_seen;

static int page_cb(const hl_page_row *p, void *ud)
{
	page_seen *s = ud;
	snprintf(s->text, sizeof(s->text), "%s", p->text ? p->text : "");
	snprintf(s->machine, sizeof(s->machine), "%s", p->machine_text ? p->machine_text : "");
	snprintf(s->corrected_by, sizeof(s->corrected_by), "%s",
	         p->corrected_by ? p->corrected_by : "");
	snprintf(s->approved_by, sizeof(s->approved_by), "%s",
	         p->approved_by ? p->approved_by : "");
	s->version = p->text_version, s->checked = p->checked;
	s->unknown = (int)p->unknown_words, s->low = (int)p->low_conf_words;
	return 0;
}

static page_seen page_of(fx *f, const char *doc_id)
{
	page_seen s = {0};
	hl_doc_read_opts o = {page_cb, NULL, &s};
	hl_doc *d = NULL;
	assert_int_equal(hl_archive_doc_read(&d, f->a, &f->local, doc_id, NULL, &o), 0);
	hl_doc_free(d);
	return s;
}

#define MACHINE "Trudng hop Luật nay dé giai quyết\ntranh chấp đất đai"
#define FIXED   "Trường hợp Luật này để giải quyết\ntranh chấp đất đai"

static void test_correct_then_approve(void **state)
{
	fx *f = *state;
	doc_spec s = {"HAPHONG", "T01", "Bản quét", NULL, NULL, 1, HL_ACCESS_PUBLIC};
	hl_page_text_state st;
	versions v = {0};
	char *xml = NULL;

	put(f, &s);
	recognised(f, "T01-DOC-1", MACHINE, 93);
	assert_int_equal(hl_archive_index_sync(NULL, f->a, NULL, NULL), 0);
	assert_int_equal(found(f, "trudng"), 1);

	/* the province's archivist corrects it: version 1, by them, now */
	assert_int_equal(hl_archive_page_correct(&st, f->a, &f->prov_arch, "T01-DOC-1", 1, FIXED,
	                                         strlen(FIXED), "text", 0),
	                 0);
	assert_int_equal(st.text_version, 1);
	assert_true(st.changed);
	assert_true(st.indexed);
	assert_string_equal(st.corrected_by, "tinh.luutru");
	assert_true(st.corrected_at[0] == '2');
	assert_string_equal(st.approved_at, "");
	last_audit l = last_entry(f);
	assert_string_equal(l.action, "page.correct");
	assert_string_equal(l.object, "T01-DOC-1");
	assert_string_equal(l.actor, "tinh.luutru");
	assert_non_null(strstr(l.detail, "page 1: version 1"));

	/* search: the corrected word is found, the machine's misreading no longer */
	assert_int_equal(found(f, "\"trường hợp\""), 1);
	assert_int_equal(found(f, "trudng"), 0);
	/* the page: the corrected text in use, the machine's kept, checked again: nothing unknown
	 */
	page_seen p = page_of(f, "T01-DOC-1");
	assert_string_equal(p.text, FIXED);
	assert_string_equal(p.machine, MACHINE);
	assert_int_equal(p.version, 1);
	assert_string_equal(p.corrected_by, "tinh.luutru");
	assert_true(p.checked);
	assert_int_equal(p.unknown, 0);
	/* ALTO carries the corrected words on the machine's boxes */
	assert_int_equal(hl_archive_page_alto(&xml, f->a, &f->local, "T01-DOC-1", 1), 0);
	assert_non_null(strstr(xml, "CONTENT=\"Trường\""));
	assert_null(strstr(xml, "CONTENT=\"Trudng\""));
	free(xml);

	/* the same text again changes nothing: no version, no audit entry */
	int64_t before = last_entry(f).id;
	assert_int_equal(hl_archive_page_correct(&st, f->a, &f->prov_arch, "T01-DOC-1", 1, FIXED,
	                                         strlen(FIXED), "text", -1),
	                 0);
	assert_false(st.changed);
	assert_int_equal(st.text_version, 1);
	assert_int_equal(last_entry(f).id, before);

	/* approved as it is, once; by the unit's own archivist (06652 holds HAPHONG) */
	assert_int_equal(hl_archive_page_approve(&st, f->a, &f->arch52, "T01-DOC-1", 1, 1), 0);
	assert_true(st.changed);
	assert_string_equal(st.approved_by, "lan52");
	assert_string_equal(last_entry(f).action, "page.approve");
	assert_non_null(strstr(last_entry(f).detail, "page 1: version 1"));
	before = last_entry(f).id;
	assert_int_equal(hl_archive_page_approve(&st, f->a, &f->arch52, "T01-DOC-1", 1, -1), 0);
	assert_false(st.changed);
	assert_int_equal(last_entry(f).id, before);
	assert_string_equal(page_of(f, "T01-DOC-1").approved_by, "lan52");

	/* someone read version 0: their save and their approval are refused, nothing written */
	assert_int_equal(
	    hl_archive_page_correct(&st, f->a, &f->arch52, "T01-DOC-1", 1, "x", 1, "text", 0),
	    HL_ECONFLICT);
	assert_non_null(strstr(hl_error_last(), "at version 1 now, not 0"));
	assert_int_equal(hl_archive_page_approve(&st, f->a, &f->arch52, "T01-DOC-1", 1, 0),
	                 HL_ECONFLICT);
	assert_int_equal(last_entry(f).id, before);

	/* a new correction (CR LF, decomposed letters: stored as LF and NFC) clears the approval */
	const char *v2 =
	    "Tru\xcc\x9bo\xcc\x9b\xcc\x80ng ho\xcc\x9b\xcc\xa3p Luật này\r\nđể giải quyết";
	assert_int_equal(hl_archive_page_correct(&st, f->a, &f->local, "T01-DOC-1", 1, v2,
	                                         strlen(v2), "p1.txt", 1),
	                 0);
	assert_int_equal(st.text_version, 2);
	assert_string_equal(st.approved_by, "");
	p = page_of(f, "T01-DOC-1");
	assert_string_equal(p.text, "Trường hợp Luật này\nđể giải quyết");
	assert_string_equal(p.approved_by, "");
	assert_string_equal(p.corrected_by, "cli:test");
	assert_string_equal(p.machine, MACHINE); /* still the machine's, not version 1 */

	/* every version kept: 0 the machine's, then each with its author */
	assert_int_equal(
	    hl_archive_page_texts(&st, f->a, &f->viewer52, "T01-DOC-1", 1, version_cb, &v), 0);
	assert_int_equal(v.n, 3);
	assert_int_equal(v.version[0], 0);
	assert_string_equal(v.text[0], MACHINE);
	assert_string_equal(v.by[0], "");
	assert_string_equal(v.text[1], FIXED);
	assert_string_equal(v.by[1], "tinh.luutru");
	assert_string_equal(v.by[2], "cli:test");
	assert_false(st.may_edit); /* a viewer reads, never edits */
	memset(&v, 0, sizeof(v));
	assert_int_equal(hl_archive_page_texts(&st, f->a, &f->arch52, "T01-DOC-1", 1, NULL, NULL),
	                 0);
	assert_true(st.may_edit);
	assert_int_equal(st.text_version, 2);
}

static void test_who_may(void **state)
{
	fx *f = *state;
	doc_spec pub = {"GIENGDAY", "W01", "Công khai", NULL, NULL, 1, HL_ACCESS_PUBLIC};
	doc_spec inner = {"GIENGDAY", "W01", "Nội bộ", NULL, NULL, 2, HL_ACCESS_INTERNAL};
	doc_spec mine = {"HAPHONG", "W02", "Hạn chế", NULL, NULL, 3, HL_ACCESS_RESTRICTED};
	doc_spec sec = {"HAPHONG", "W02", "Mật", NULL, NULL, 4, HL_ACCESS_SECRET};
	hl_principal anon = hl_principal_anonymous();
	hl_principal insp = user(9, "thanhtra", HL_ROLE_INSPECTOR, "22", 1);
	hl_page_text_state st;
	int64_t before;

	put(f, &pub), put(f, &inner), put(f, &mine), put(f, &sec);
	recognised(f, "W01-DOC-1", MACHINE, 90);
	recognised(f, "W01-DOC-2", MACHINE, 90);
	recognised(f, "W02-DOC-3", MACHINE, 90);
	recognised(f, "W02-DOC-4", MACHINE, 90);
	before = last_entry(f).id;
#define CORRECT(who, id)                                                                           \
	hl_archive_page_correct(&st, f->a, who, id, 1, FIXED, strlen(FIXED), "text", -1)
	/* the one rule table: archivists and admins */
	assert_int_equal(CORRECT(&anon, "W01-DOC-1"), HL_EDENIED);
	assert_non_null(strstr(hl_error_last(), "log in first"));
	assert_int_equal(CORRECT(&f->viewer52, "W02-DOC-3"), HL_EDENIED);
	assert_int_equal(CORRECT(&insp, "W01-DOC-1"), HL_EDENIED);
	assert_int_equal(hl_archive_page_approve(&st, f->a, &insp, "W01-DOC-1", 1, -1), HL_EDENIED);
	/* of the unit holding the fonds: another unit's public record is refused, its internal one
	 * is not there, nor is a secret one of its own fonds */
	assert_int_equal(CORRECT(&f->arch52, "W01-DOC-1"), HL_EDENIED);
	assert_non_null(strstr(hl_error_last(), "fonds GIENGDAY is not held by your unit"));
	assert_int_equal(hl_archive_page_approve(&st, f->a, &f->arch52, "W01-DOC-1", 1, -1),
	                 HL_EDENIED);
	assert_int_equal(CORRECT(&f->arch52, "W01-DOC-2"), HL_ENOTFOUND);
	assert_string_equal(hl_error_last(), "no document W01-DOC-2");
	assert_int_equal(CORRECT(&f->arch52, "W02-DOC-4"), HL_ENOTFOUND);
	assert_int_equal(last_entry(f).id, before); /* nothing written, nothing audited */
	/* its own restricted record: allowed (the archivist's ceiling) */
	assert_int_equal(CORRECT(&f->arch52, "W02-DOC-3"), 0);
	/* the province: every fonds */
	assert_int_equal(CORRECT(&f->prov_arch, "W01-DOC-1"), 0);
	/* the node's operator: even secret */
	assert_int_equal(CORRECT(&f->local, "W02-DOC-4"), 0);
	/* no such page */
	assert_int_equal(
	    hl_archive_page_correct(&st, f->a, &f->local, "W02-DOC-3", 2, "a", 1, "text", -1),
	    HL_ENOTFOUND);
	assert_string_equal(hl_error_last(), "no page 2 in W02-DOC-3");
	assert_int_equal(hl_archive_page_approve(&st, f->a, &f->local, "W02-DOC-3", 0, -1),
	                 HL_ENOTFOUND);
#undef CORRECT
}

static void test_bad_text(void **state)
{
	fx *f = *state;
	doc_spec s = {"HAPHONG", "B01", "Bản quét", NULL, NULL, 1, HL_ACCESS_PUBLIC};
	doc_spec q = {"HAPHONG", "B01", "Chưa nhận dạng", NULL, NULL, 2, HL_ACCESS_PUBLIC};
	hl_page_text_state st;
	char *big = malloc(HL_OCR_MAX_TEXT + 1);
	int64_t before;

	put(f, &s), put(f, &q);
	recognised(f, "B01-DOC-1", MACHINE, 90);
	before = last_entry(f).id;
	assert_int_equal(hl_archive_page_correct(&st, f->a, &f->local, "B01-DOC-1", 1, "Lu\xe1\xba",
	                                         4, "p1.txt", -1),
	                 HL_EINVALID);
	assert_string_equal(hl_error_last(), "p1.txt: not UTF-8 (an invalid byte at 2)");
	assert_int_equal(
	    hl_archive_page_correct(&st, f->a, &f->local, "B01-DOC-1", 1, "a\0b", 3, "text", -1),
	    HL_EINVALID);
	assert_string_equal(hl_error_last(), "text: a NUL byte at 1");
	assert_int_equal(hl_archive_page_correct(&st, f->a, &f->local, "B01-DOC-1", 1, "a\x1b[2J",
	                                         5, "text", -1),
	                 HL_EINVALID);
	assert_string_equal(hl_error_last(), "text: a control character at byte 1");
	memset(big, 'a', HL_OCR_MAX_TEXT + 1);
	assert_int_equal(hl_archive_page_correct(&st, f->a, &f->local, "B01-DOC-1", 1, big,
	                                         HL_OCR_MAX_TEXT + 1, "big.txt", -1),
	                 HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "big.txt: too long"));
	free(big);
	/* a page not recognised yet */
	hl_store *st2 = hl_archive_store(f->a);
	hl_doc *d = NULL;
	assert_int_equal(hl_store_doc_get(&d, st2, "B01-DOC-2"), 0);
	hl_store_page_file pf = {1, d->files[0].sha256, 1, NULL, NULL};
	assert_int_equal(hl_store_begin(st2), 0);
	assert_int_equal(hl_store_pages_queue(NULL, st2, "B01-DOC-2", &pf, 1), 0);
	assert_int_equal(hl_store_commit(st2), 0);
	hl_doc_free(d);
	assert_int_equal(
	    hl_archive_page_correct(&st, f->a, &f->local, "B01-DOC-2", 1, "a", 1, "text", -1),
	    HL_ECONFLICT);
	assert_non_null(strstr(hl_error_last(), "page 1 of B01-DOC-2 is pending"));
	assert_int_equal(last_entry(f).id, before);
	/* an empty text is a text (a blank page) */
	assert_int_equal(
	    hl_archive_page_correct(&st, f->a, &f->local, "B01-DOC-1", 1, "", 0, "text", -1), 0);
	assert_int_equal(st.text_version, 1);
}

typedef struct {
	char order[512];
	int rows;
	unsigned unknown[8], low[8];
	int below[8];
	char words[8][128];
} review_seen;

static int review_cb(const hl_page_row *p, void *ud)
{
	review_seen *r = ud;
	size_t n = strlen(r->order);
	snprintf(r->order + n, sizeof(r->order) - n, "%s ", p->doc_id);
	if (r->rows < 8) {
		r->unknown[r->rows] = p->unknown_words, r->low[r->rows] = p->low_conf_words;
		r->below[r->rows] = p->below;
		snprintf(r->words[r->rows], sizeof(r->words[0]), "%s",
		         p->suspect_words ? p->suspect_words : "");
	}
	r->rows++;
	return 0;
}

/* A page read at 95% that says "Luật nay dé giai quyết" is listed, with its reasons; the
 * pages are checked by the review itself when they were recognised before the rule (as on a
 * store upgraded to schema 10); the most suspicious first; an approved page leaves the list. */
static void test_review_by_words(void **state)
{
	fx *f = *state;
	doc_spec a = {"HAPHONG", "R01", "Một lỗi", NULL, NULL, 1, HL_ACCESS_PUBLIC};
	doc_spec b = {"HAPHONG", "R01", "Nhiều lỗi", NULL, NULL, 2, HL_ACCESS_PUBLIC};
	doc_spec c = {"HAPHONG", "R01", "Đúng", NULL, NULL, 3, HL_ACCESS_PUBLIC};
	doc_spec d = {"HAPHONG", "R01", "Mờ", NULL, NULL, 4, HL_ACCESS_PUBLIC};
	review_seen r = {0};
	uint64_t unchecked = 99;
	hl_page_text_state st;

	put(f, &a), put(f, &b), put(f, &c), put(f, &d);
	recognised(f, "R01-DOC-1", "Luật này dé giải quyết tranh chấp", 95);
	recognised(f, "R01-DOC-2", MACHINE, 95);
	recognised(f, "R01-DOC-3", "Luật này để giải quyết tranh chấp", 95);
	recognised(f, "R01-DOC-4", "Luật này để giải quyết tranh chấp", 40); /* every word unsure */
	assert_int_equal(
	    hl_archive_ocr_review(f->a, &f->prov_arch, 70, 10, &unchecked, review_cb, &r), 0);
	assert_int_equal(unchecked, 0);
	/* DOC-4: 7 unsure words; DOC-2: 4 unknown (Trudng hop nay dé; giai is a syllable);
	 * DOC-1: 1 unknown; DOC-3 is right and sure: not listed */
	assert_string_equal(r.order, "R01-DOC-4 R01-DOC-2 R01-DOC-1 ");
	assert_int_equal(r.low[0], 7);
	assert_true(r.below[0]);
	assert_int_equal(r.unknown[1], 4);
	assert_false(r.below[1]);
	assert_string_equal(r.words[1], "[\"Trudng\",\"hop\",\"nay\",\"dé\"]");
	assert_int_equal(r.unknown[2], 1);
	assert_string_equal(r.words[2], "[\"dé\"]");
	/* corrected, then approved: it leaves the list */
	assert_int_equal(hl_archive_page_correct(&st, f->a, &f->prov_arch, "R01-DOC-2", 1, FIXED,
	                                         strlen(FIXED), "text", -1),
	                 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(hl_archive_ocr_review(f->a, &f->prov_arch, 70, 10, NULL, review_cb, &r),
	                 0);
	assert_string_equal(r.order, "R01-DOC-4 R01-DOC-1 ");
	assert_int_equal(hl_archive_page_approve(&st, f->a, &f->prov_arch, "R01-DOC-4", 1, -1), 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(hl_archive_ocr_review(f->a, &f->prov_arch, 70, 10, NULL, review_cb, &r),
	                 0);
	assert_string_equal(r.order, "R01-DOC-1 ");
	/* a correction with a word the law never writes is listed again, by that word */
	assert_int_equal(hl_archive_page_correct(&st, f->a, &f->prov_arch, "R01-DOC-2", 1,
	                                         "Luật này xyzw", 15, "text", -1),
	                 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(hl_archive_ocr_review(f->a, &f->prov_arch, 70, 10, NULL, review_cb, &r),
	                 0);
	assert_non_null(strstr(r.order, "R01-DOC-2"));
}

/* Pages recognised before the rule are checked 2,000 at a time by a review; how many are left
 * is a figure over every record: the province's staff are told it, a unit's archivist 0. */
static void test_unchecked_left(void **state)
{
	fx *f = *state;
	doc_spec a = {"HAPHONG", "R02", "Trang cũ", NULL, NULL, 1, HL_ACCESS_PUBLIC};
	hl_store *st = hl_archive_store(f->a);
	review_seen r = {0};
	uint64_t unchecked = 99;
	hl_doc *d = NULL;
	char sql[600], path[128];
	char *err = NULL;
	sqlite3 *db = NULL;

	put(f, &a);
	recognised(f, "R02-DOC-1", "Luật này để giải quyết tranh chấp", 95);
	assert_int_equal(hl_store_doc_get(&d, st, "R02-DOC-1"), 0);
	/* 4,100 more done pages of that document; none checked (as on an upgraded store) */
	snprintf(sql, sizeof(sql),
	         "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 4101)"
	         " INSERT INTO page(document_id, file_seq, page_no, sha256, seq, state, text,"
	         " queued_at) SELECT %lld, 1, i, '%s', i, 'done', 'Luật này', 'x' FROM n;"
	         " UPDATE page SET check_rule = NULL;",
	         (long long)d->rowid, d->files[0].sha256);
	hl_doc_free(d);
	snprintf(path, sizeof(path), "%s/halong.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s", err);
	sqlite3_close(db);
	/* a unit's archivist: 0 however many are left (2,101 after its review checked 2,000) */
	assert_int_equal(hl_archive_ocr_review(f->a, &f->arch52, 70, 10, &unchecked, review_cb, &r),
	                 0);
	assert_int_equal(unchecked, 0);
	/* the province's: the 101 its review left */
	unchecked = 99;
	memset(&r, 0, sizeof(r));
	assert_int_equal(
	    hl_archive_ocr_review(f->a, &f->prov_arch, 70, 10, &unchecked, review_cb, &r), 0);
	assert_int_equal(unchecked, 101);
	assert_int_equal(
	    hl_archive_ocr_review(f->a, &f->prov_arch, 70, 10, &unchecked, review_cb, &r), 0);
	assert_int_equal(unchecked, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_correct_then_approve, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_who_may, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_text, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_review_by_words, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unchecked_left, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
