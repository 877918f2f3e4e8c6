/* Tests of the reference-data feed between two real nodes in one process — the province's hub
 * (22) and Phường Hà Tu (06652) — each a real SQLite store and a real Ed25519 key: the hub
 * publishes the shipped units (data/units) and change sets made for the test from the real
 * events.csv; the commune applies the entries the hub serves, once and in order, answers like
 * the hub, and refuses a tampered entry, a forged one, an altered header, a gap and a malformed
 * text with the reason in its status and nothing applied. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "halong/exchange.h"
#include "halong/feed.h"
#include "exchange/canon.h"
#include "feed/feed_int.h"
#include "store/store.h"
#include "halong/text.h"
#include "halong/units.h"
#include "halong/util.h"

#define UNITS_DIR HL_SOURCE_DATADIR "/units"

typedef struct {
	char dir[64];
	char *db;
	hl_store *st;
	hl_node *n;
} node;

typedef struct {
	node hub, a;
	char sets[4][64]; /* change sets made for the test */
	int nsets;
} fx;

static void node_make(node *x, const char *unit)
{
	char keys[96], url[96];
	snprintf(x->dir, sizeof(x->dir), "/tmp/hl-feed-XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(keys, sizeof(keys), "%s/keys", x->dir);
	assert_int_equal(mkdir(keys, 0700), 0);
	x->db = hl_path_join(x->dir, "halong.db");
	if (hl_store_open(&x->st, x->db, 1) != 0)
		fail_msg("open: %s", hl_error_last());
	snprintf(url, sizeof(url), "http://127.0.0.1:1/%s", unit);
	if (hl_node_init(x->st, x->dir, unit, url, "test") != 0)
		fail_msg("node init: %s", hl_error_last());
	if (hl_node_open(&x->n, x->st, x->dir) != 0)
		fail_msg("node open: %s", hl_error_last());
}

static void rm_rf(const char *dir)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (dir[0] && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

static void node_drop(node *x)
{
	hl_node_free(x->n);
	hl_store_free(x->st);
	rm_rf(x->dir);
	free(x->db);
}

static void enrol(node *hub, node *x)
{
	hl_node_entry e = {hl_node_unit(x->n), hl_node_url(x->n), hl_node_public_key(x->n),
	                   "document",         "document",        0};
	if (hl_node_enrol(hub->st, &e, "test") != 0)
		fail_msg("enrol %s: %s", e.unit, hl_error_last());
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	char *dir = NULL;
	int64_t v = 0;
	node_make(&f->hub, "22");
	node_make(&f->a, "06652");
	enrol(&f->hub, &f->hub);
	enrol(&f->hub, &f->a);
	if (hl_node_directory_export(&dir, f->hub.n) != 0)
		fail_msg("export: %s", hl_error_last());
	if (hl_node_directory_import(&v, f->a.st, dir, strlen(dir), hl_node_public_key(f->hub.n),
	                             "test") != 0)
		fail_msg("import: %s", hl_error_last());
	free(dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	node_drop(&f->hub);
	node_drop(&f->a);
	for (int i = 0; i < f->nsets; i++)
		rm_rf(f->sets[i]);
	free(f);
	return 0;
}

/* A change set: the shipped events.csv with `extra` (lines) appended. */
static const char *change_set(fx *f, const char *extra)
{
	char *src = hl_path_join(UNITS_DIR, "events.csv"), *dst, buf[4096];
	char *d = f->sets[f->nsets++];
	FILE *in, *out;
	size_t n;
	snprintf(d, 64, "/tmp/hl-feed-set-XXXXXX");
	assert_non_null(mkdtemp(d));
	dst = hl_path_join(d, "events.csv");
	assert_non_null(in = fopen(src, "rb"));
	assert_non_null(out = fopen(dst, "wb"));
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fputs(extra, out);
	fclose(in);
	fclose(out);
	free(src);
	free(dst);
	return d;
}

#define GEN "Generated for the test (not a real act)"
#define R1  "test-rename-06652,2027-01-01," GEN ",renamed,06652,Phường Hà Tu → Phường Hà Tu Mới\r\n"
#define R2                                                                                                      \
	"test-rename-06661,2027-03-01," GEN ",renamed,06661,Phường Việt Hưng → Phường Việt Hưng " \
	"Mới\r\n"

/* Entry `seq` as the hub serves it (malloc'd text). */
static char *entry_text(fx *f, int64_t seq)
{
	char *page = NULL, *out;
	size_t len = 0;
	json_t *j, *e;
	if (hl_feed_page(&page, &len, f->hub.st, f->hub.n, "units", seq - 1, 1) != 0)
		fail_msg("page: %s", hl_error_last());
	assert_non_null(j = json_loadb(page, len, 0, NULL));
	assert_int_equal(json_array_size(json_object_get(j, "entries")), 1);
	e = json_array_get(json_object_get(j, "entries"), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "entry"), "seq")),
	                 seq);
	out = json_dumps(e, JSON_COMPACT);
	json_decref(j);
	free(page);
	return out;
}

typedef struct {
	int64_t seq, hub_seq;
	int publisher;
	char err[512];
} st_row;

static int status_cb(const hl_feed_status_row *r, void *ud)
{
	st_row *s = ud;
	if (strcmp(r->feed, "units")) /* the units feed's row (there is a datasets feed too) */
		return 0;
	s->seq = r->seq, s->hub_seq = r->hub_seq, s->publisher = r->publisher;
	snprintf(s->err, sizeof(s->err), "%s", r->last_error ? r->last_error : "");
	return 0;
}

static st_row status(hl_store *st)
{
	st_row s = {0};
	assert_int_equal(hl_feed_status(st, status_cb, &s), 0);
	return s;
}

static char *full_name(hl_store *st, const char *code, const char *date)
{
	hl_unit *u = NULL;
	char *s;
	if (hl_units_show(&u, st, code, date) != 0)
		fail_msg("show %s: %s", code, hl_error_last());
	s = hl_strdup(u->full_name);
	hl_unit_free(u);
	return s;
}

/* Entries in the audit log: a refused entry writes none (its reason goes to the status). */
static int64_t audit_total(hl_store *st)
{
	hl_store_stats s;
	assert_int_equal(hl_store_stats_get(&s, st), 0);
	return s.audit;
}

static void apply_ok(fx *f, int64_t seq, int want)
{
	char *t = entry_text(f, seq);
	int rc =
	    hl_feed_apply_entry(f->a.n, "units", t, strlen(t), hl_node_public_key(f->hub.n), NULL);
	if (rc != want)
		fail_msg("apply %lld: %d %s", (long long)seq, rc, hl_error_last());
	free(t);
}

/* Applies `text`, expects `code` and `words` in the message and in the status; nothing moves. */
static void refused(fx *f, const char *text, int code, const char *words, int64_t at)
{
	int64_t audit = audit_total(f->a.st);
	int rc = hl_feed_apply_entry(f->a.n, "units", text, strlen(text),
	                             hl_node_public_key(f->hub.n), NULL);
	st_row s;
	if (rc != code || !strstr(hl_error_last(), words))
		fail_msg("want %d \"%s\", got %d: %s", code, words, rc, hl_error_last());
	s = status(f->a.st);
	assert_int_equal(s.seq, at);
	if (!strstr(s.err, words))
		fail_msg("status: \"%s\" lacks \"%s\"", s.err, words);
	assert_int_equal(audit_total(f->a.st), audit);
}

static void test_publish_apply_refuse(void **state)
{
	fx *f = *state;
	hl_feed_publish_stats p;
	char *t, *bad, *x, *hub_name, *a_name;

	/* Publish the shipped data; again: nothing new. */
	assert_int_equal(hl_feed_publish(&p, f->hub.n, "units", UNITS_DIR, "test"), 0);
	assert_int_equal(p.seq, 1);
	assert_int_equal(p.unchanged, 0);
	assert_int_equal(p.files, 7);
	assert_true(p.versions_added > 10000);
	assert_int_equal(hl_feed_publish(&p, f->hub.n, "units", UNITS_DIR, "test"), 0);
	assert_int_equal(p.seq, 1);
	assert_int_equal(p.unchanged, 1);
	assert_int_equal(status(f->hub.st).publisher, 1);
	/* A commune may not publish; an unknown feed is refused. */
	assert_int_equal(hl_feed_publish(&p, f->a.n, "units", UNITS_DIR, "test"), HL_EDENIED);
	assert_int_equal(hl_feed_publish(&p, f->hub.n, "plans", UNITS_DIR, "test"), HL_ENOTFOUND);
	assert_int_equal(status(f->a.st).seq, 0);

	/* Two change sets. */
	assert_int_equal(hl_feed_publish(&p, f->hub.n, "units", change_set(f, R1), "test"), 0);
	assert_int_equal(p.seq, 2);
	assert_int_equal(p.versions_split, 1);
	assert_int_equal(hl_feed_publish(&p, f->hub.n, "units", change_set(f, R1 R2), "test"), 0);
	assert_int_equal(p.seq, 3);

	/* Entry 2 before 1: a gap. Malformed text. */
	t = entry_text(f, 2);
	refused(f, t, HL_EINVALID, "gap", 0);
	free(t);
	refused(f, "{\"entry\":", HL_EINVALID, "malformed", 0);
	refused(f, "{\"entry\":{},\"data\":{},\"sha256\":\"\",\"sig\":\"\"}", HL_EINVALID,
	        "malformed", 0);
	/* Broken inside a Vietnamese letter (a \u escape cut by the first byte of "ồ"): jansson's
	 * message quotes half of it; the reason given and kept in the status stays valid UTF-8
	 * (found by fuzz_feed_entry). */
	{
		st_row r;
		refused(f, "{\"entry\":{\"hub\":\"Ph\\u1e\xe1\xbb\x93ng\"}}", HL_EINVALID,
		        "invalid escape", 0);
		assert_int_equal(hl_text_check_utf8(hl_error_last(), strlen(hl_error_last()), NULL),
		                 0);
		r = status(f->a.st);
		assert_int_equal(hl_text_check_utf8(r.err, strlen(r.err), NULL), 0);
	}

	/* Entry 1 tampered: a file's content changed. */
	t = entry_text(f, 1);
	bad = hl_strdup(t);
	assert_non_null(x = strstr(bad, "Hà Tu"));
	x[0] = 'X';
	refused(f, bad, HL_EDENIED, "SHA-256", 0);
	free(bad);
	/* The header altered (seq 1 -> 2 would be a gap anyway: change created_ms). */
	bad = hl_strdup(t);
	assert_non_null(x = strstr(bad, "\"created_ms\":"));
	x[14] = x[14] == '1' ? '2' : '1';
	refused(f, bad, HL_EDENIED, "hash", 0);
	free(bad);
	/* Its sha256 a text cut at byte 64 inside a letter ("thành"): the reason quotes it with
	 * whole characters, in the message and the status (found by fuzz_feed_entry). */
	{
		json_t *e = json_loads(t, 0, NULL);
		st_row r;
		json_object_set_new(
		    e, "sha256",
		    json_string("Hồ sơ số 11 của Ủy ban nhân dân phường Hà Tu, thành phố Hạ Long"));
		bad = json_dumps(e, JSON_COMPACT);
		refused(f, bad, HL_EDENIED,
		        "the entry says Hồ sơ số 11 của Ủy ban nhân dân phường Hà Tu, th (altered",
		        0);
		r = status(f->a.st);
		assert_int_equal(hl_text_check_utf8(r.err, strlen(r.err), NULL), 0);
		free(bad);
		json_decref(e);
	}
	/* Signed by someone else: the signature of entry 2 on entry 1. */
	{
		char *t2 = entry_text(f, 2);
		json_t *e1 = json_loads(t, 0, NULL), *e2 = json_loads(t2, 0, NULL);
		json_object_set(e1, "sig", json_object_get(e2, "sig"));
		bad = json_dumps(e1, JSON_COMPACT);
		refused(f, bad, HL_EDENIED, "bad-signature", 0);
		free(bad);
		json_decref(e1);
		json_decref(e2);
		free(t2);
	}

	/* In order: applied once each; the commune answers like the hub. */
	free(t);
	apply_ok(f, 1, 0);
	assert_string_equal(status(f->a.st).err, "");
	apply_ok(f, 1, 1);
	apply_ok(f, 2, 0);
	apply_ok(f, 3, 0);
	apply_ok(f, 2, 1);
	assert_int_equal(status(f->a.st).seq, 3);
	hub_name = full_name(f->hub.st, "06661", "2027-06-01");
	a_name = full_name(f->a.st, "06661", "2027-06-01");
	assert_string_equal(a_name, "Phường Việt Hưng Mới");
	assert_string_equal(a_name, hub_name);
	free(hub_name);
	free(a_name);
	a_name = full_name(f->a.st, "06652", "2025-03-01");
	assert_string_equal(a_name, "Phường Hà Phong");
	free(a_name);
}

/* An entry whose load fails here (the commune loaded by hand an event of the same id with other
 * content) is rolled back whole: no position, no audit entry, no unit changed; the reason is in
 * the status. */
static void test_apply_rolls_back(void **state)
{
	fx *f = *state;
	hl_feed_publish_stats p;
	hl_units_load_stats ls;
	char *name, *text;
	int64_t audit;
	assert_int_equal(hl_feed_publish(&p, f->hub.n, "units", UNITS_DIR, "test"), 0);
	assert_int_equal(hl_feed_publish(&p, f->hub.n, "units", change_set(f, R1 R2), "test"), 0);
	apply_ok(f, 1, 0);
	if (hl_units_load(&ls, f->a.st,
	                  change_set(f, "test-rename-06652,2027-01-01," GEN
	                                ",renamed,06652,Phường Hà Tu → Phường Hà Tu Khác\r\n"),
	                  NULL, NULL, NULL) != 0)
		fail_msg("local load: %s", hl_error_last());
	audit = audit_total(f->a.st);
	text = entry_text(f, 2);
	refused(f, text, HL_ECONFLICT, "entry 2: apply", 1);
	free(text);
	assert_int_equal(audit_total(f->a.st), audit);
	/* R2 (06661) was in the same entry: not applied either. */
	name = full_name(f->a.st, "06661", "2027-06-01");
	assert_string_equal(name, "Phường Việt Hưng");
	free(name);
	name = full_name(f->a.st, "06652", "2027-06-01");
	assert_string_equal(name, "Phường Hà Tu Khác");
	free(name);
}

/* An entry the hub signed whose list names events.csv twice, while it carries a second file no
 * signed line names: refused as malformed, nothing applied — every file carried must be one the
 * hub signed, once (found by fuzz_feed_entry: the counts of listed and carried files agreed). */
static void test_file_listed_twice(void **state)
{
	fx *f = *state;
	/* events.csv as it begins (its header: a change set that adds nothing, which the
	 * commune would apply) */
	const char *events = "event_id,effective_date,legal_basis,kind,scope_code,description\r\n";
	char *canon = NULL, *text, hash[65], sha[65], sig[89];
	size_t len = strlen(events), clen = 0;
	json_t *file, *entry, *e;

	hl_sha256_hex(sha, events, len);
	file = json_pack("{s:s,s:s,s:I}", "name", "events.csv", "sha256", sha, "size",
	                 (json_int_t)len);
	entry = json_pack("{s:I,s:s,s:[O,O],s:s,s:s,s:I,s:I}", "created_ms",
	                  (json_int_t)1764312345678, "feed", "units", "files", file, file, "hub",
	                  "22", "prev", "", "seq", (json_int_t)1, "v", (json_int_t)1);
	assert_non_null(entry);
	assert_int_equal(hl_canon_encode(&canon, &clen, entry), 0);
	hl_sha256_hex(hash, canon, clen);
	hl_node_sign(sig, f->hub.n, HL_FEED_CTX, canon, clen);
	e = json_pack("{s:O,s:s,s:s,s:{s:s,s:s}}", "entry", entry, "sha256", hash, "sig", sig,
	              "data", "events.csv", events, "quangninh_units_2025.csv",
	              "code,name,full_name,type,admin_unit_name,parent_code\r\n"
	              "99999,Không có,Phường Không có,phuong,Phường,22\r\n");
	assert_non_null(e);
	text = json_dumps(e, JSON_COMPACT);
	refused(f, text, HL_EINVALID, "file events.csv is listed twice", 0);
	free(text);
	json_decref(e);
	json_decref(entry);
	json_decref(file);
	free(canon);
}

static void test_pull_without_hub(void **state)
{
	fx *f = *state;
	hl_feed_pull_stats s;
	hl_feed_pull_opts o = {0};
	/* The hub trusts no hub: nothing to pull from. */
	assert_int_equal(hl_feed_pull(&s, f->hub.n, "units", NULL), HL_ENOTFOUND);
	assert_non_null(strstr(hl_error_last(), "no hub is trusted"));
	/* The commune's hub is down (its URL in the directory is port 1): recorded. */
	o.connect_timeout_ms = 2000;
	assert_int_equal(hl_feed_pull(&s, f->a.n, "units", &o), HL_EIO);
	assert_non_null(strstr(status(f->a.st).err,
	                       "GET http://127.0.0.1:1/22/api/v1/exchange/feed/"
	                       "units?after=0"));
	assert_int_equal(hl_feed_pull(&s, f->a.n, "plans", &o), HL_ENOTFOUND);
}

/* The hub's count is taken from a page's head signed by the trusted hub key only: a page from
 * another node (its own key), one without a head, one whose count was altered are refused. */
static void test_page_head(void **state)
{
	fx *f = *state;
	hl_feed_publish_stats p;
	const char *hub_key = hl_node_public_key(f->hub.n);
	char *page = NULL, *bad;
	size_t len = 0;
	int64_t last = -1;
	json_t *j;
	assert_int_equal(hl_feed_publish(&p, f->hub.n, "units", UNITS_DIR, "test"), 0);
	assert_int_equal(p.seq, 1);
	/* The hub's page: its head verifies, the count is its last entry. */
	assert_int_equal(hl_feed_page(&page, &len, f->hub.st, f->hub.n, "units", 0, 1), 0);
	if (hl_feed_page_head(&last, page, len, "units", hub_key) != 0)
		fail_msg("head: %s", hl_error_last());
	assert_int_equal(last, 1);
	/* The count altered in the head and the page alike: the signature no longer holds. */
	assert_non_null(j = json_loadb(page, len, 0, NULL));
	json_object_set_new(j, "last_seq", json_integer(5));
	json_object_set_new(json_object_get(j, "head"), "last_seq", json_integer(5));
	bad = json_dumps(j, JSON_COMPACT);
	last = -1;
	assert_int_equal(hl_feed_page_head(&last, bad, strlen(bad), "units", hub_key), HL_EDENIED);
	assert_non_null(strstr(hl_error_last(), "head: bad-signature"));
	assert_int_equal(last, -1);
	free(bad);
	/* In the head only: not the page's count. */
	json_object_set_new(j, "last_seq", json_integer(1));
	bad = json_dumps(j, JSON_COMPACT);
	assert_int_equal(hl_feed_page_head(&last, bad, strlen(bad), "units", hub_key), HL_EINVALID);
	free(bad);
	json_decref(j);
	/* A head the hub really signed, but 10 minutes ago: a replayed page, refused. */
	{
		json_t *head;
		char *hs, *canon = NULL, sig[89];
		size_t clen = 0;
		assert_non_null(j = json_loadb(page, len, 0, NULL));
		head = json_object_get(j, "head");
		json_object_set_new(
		    head, "at_ms",
		    json_integer(json_integer_value(json_object_get(head, "at_ms")) - 600000));
		hs = json_dumps(head, JSON_COMPACT);
		assert_int_equal(hl_exchange_canonical(&canon, &clen, hs, strlen(hs)), 0);
		hl_node_sign(sig, f->hub.n, HL_FEED_HEAD_CTX, canon, clen);
		json_object_set_new(j, "head_sig", json_string(sig));
		bad = json_dumps(j, JSON_COMPACT);
		last = -1;
		assert_int_equal(hl_feed_page_head(&last, bad, strlen(bad), "units", hub_key),
		                 HL_EDENIED);
		assert_non_null(strstr(hl_error_last(), "head: stale"));
		assert_int_equal(last, -1);
		free(bad);
		free(canon);
		free(hs);
		json_decref(j);
	}
	/* The parse-only entry points (what the fuzzers drive): the page, and its entry alone. */
	{
		size_t n = 0;
		hl_feed__entry e;
		json_t *entry;
		char *text, *cut;
		last = -1;
		assert_int_equal(hl_feed__page_parse(&last, &n, page, len, "units", NULL), 0);
		assert_int_equal(last, 1);
		assert_int_equal(n, 1);
		assert_int_equal(hl_feed__page_parse(&last, &n, page, len, "units", hub_key), 0);
		assert_non_null(j = json_loadb(page, len, 0, NULL));
		entry = json_array_get(json_object_get(j, "entries"), 0);
		text = json_dumps(entry, JSON_COMPACT);
		assert_int_equal(hl_feed__entry_parse(&e, text, strlen(text), "units"), 0);
		assert_int_equal(e.seq, 1);
		assert_string_equal(e.hash, p.sha256);
		hl_feed__entry_free(&e);
		/* Its version: a newer one refused before its hash, 0 malformed, none is 1. */
		{
			json_t *x = json_deep_copy(entry), *in = json_object_get(x, "entry");
			char *t, *c = NULL, h[65];
			size_t cl = 0;
			json_object_set_new(in, "v", json_integer(HL_FEED_PROTOCOL + 1));
			t = json_dumps(x, JSON_COMPACT);
			assert_int_equal(hl_feed__entry_parse(&e, t, strlen(t), "units"),
			                 HL_EINVALID);
			assert_non_null(strstr(hl_error_last(),
			                       "entry 1: newer-version: version 2 is "
			                       "newer than this node applies (1)"));
			hl_feed__entry_free(&e);
			free(t);
			json_object_set_new(in, "v", json_integer(0));
			t = json_dumps(x, JSON_COMPACT);
			assert_int_equal(hl_feed__entry_parse(&e, t, strlen(t), "units"),
			                 HL_EINVALID);
			assert_non_null(strstr(hl_error_last(), "malformed"));
			hl_feed__entry_free(&e);
			free(t);
			json_object_del(in, "v");
			t = json_dumps(in, JSON_COMPACT);
			assert_int_equal(hl_exchange_canonical(&c, &cl, t, strlen(t)), 0);
			hl_sha256_hex(h, c, cl);
			json_object_set_new(x, "sha256", json_string(h));
			free(t);
			free(c);
			t = json_dumps(x, JSON_COMPACT);
			assert_int_equal(hl_feed__entry_parse(&e, t, strlen(t), "units"), 0);
			assert_int_equal(e.seq, 1);
			hl_feed__entry_free(&e);
			free(t);
			json_decref(x);
		}
		/* a file's text altered: its SHA-256 no longer matches the signed list */
		cut = strstr(text, "\"data\":{");
		assert_non_null(cut);
		cut = strchr(cut + 9, ':');
		assert_non_null(cut);
		cut[3] = cut[3] == 'x' ? 'y' : 'x';
		assert_int_equal(hl_feed__entry_parse(&e, text, strlen(text), "units"), HL_EDENIED);
		assert_non_null(strstr(hl_error_last(), "does not match"));
		hl_feed__entry_free(&e);
		text[strlen(text) / 2] = '\0';
		assert_int_equal(hl_feed__entry_parse(&e, text, strlen(text), "units"),
		                 HL_EINVALID);
		hl_feed__entry_free(&e);
		free(text);
		json_decref(j);
		last = -1;
	}
	free(page);
	/* The same entries served with another node's key on the head: refused. */
	assert_int_equal(hl_feed_page(&page, &len, f->hub.st, f->a.n, "units", 0, 1), 0);
	assert_int_equal(hl_feed_page_head(&last, page, len, "units", hub_key), HL_EDENIED);
	assert_non_null(strstr(hl_error_last(), "bad-signature"));
	free(page);
	/* No head (a server without an identity): refused. */
	assert_int_equal(hl_feed_page(&page, &len, f->hub.st, NULL, "units", 0, 1), 0);
	assert_null(strstr(page, "head"));
	assert_int_equal(hl_feed_page_head(&last, page, len, "units", hub_key), HL_EDENIED);
	assert_non_null(strstr(hl_error_last(), "head: missing"));
	free(page);
	assert_int_equal(last, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_publish_apply_refuse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_apply_rolls_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_file_listed_twice, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pull_without_hub, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_page_head, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
