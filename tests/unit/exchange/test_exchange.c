/* Tests of exchange between three real nodes in one process — the province's hub (22) and two
 * of its communes, Phường Hà Tu (06652) and Phường Bãi Cháy (06673) — each a real SQLite store
 * and a real Ed25519 key file: the canonical encoding, signatures, the signed directory, the
 * transactional outbox, the inbox's refusals (each with its reason, nothing applied), replays,
 * out-of-order arrival and the secret key never leaving its file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "halong/archive.h"
#include "halong/exchange.h"
#include "halong/exchange_json.h"
#include "exchange/exchange_int.h"
#include "store/store.h"
#include "store/store_auth.h"
#include "halong/text.h"
#include "halong/units.h"
#include "halong/util.h"

#define HUB     "22"
#define HATU    "06652"
#define BAICHAY "06673"
#define MIN_MS  (60 * 1000LL)

typedef struct {
	char dir[64];
	char *db;
	hl_store *st;
	hl_node *n;
	/* what the apply callback saw */
	int applied;
	int64_t seqs[64];
	char types[64][32];
	char last_payload[512];
} node;

typedef struct {
	node hub, a, b; /* a: Hà Tu (not cleared for restricted), b: Bãi Cháy (cleared) */
} net;

static int apply_cb(hl_store *st, const hl_exchange_message *m, void *ud)
{
	node *x = ud;
	(void)st;
	/* Calls are serialised by the inbox's write transaction, even from several threads. */
	int i = __atomic_load_n(&x->applied, __ATOMIC_SEQ_CST);
	if (i < 64) {
		x->seqs[i] = m->seq;
		snprintf(x->types[i], sizeof(x->types[0]), "%s", m->type);
	}
	snprintf(x->last_payload, sizeof(x->last_payload), "%s", m->payload);
	__atomic_add_fetch(&x->applied, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static void node_make(node *x, const char *unit)
{
	char keys[96], url[96];
	snprintf(x->dir, sizeof(x->dir), "/tmp/hl-xchg-XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(keys, sizeof(keys), "%s/keys", x->dir);
	assert_int_equal(mkdir(keys, 0700), 0);
	x->db = hl_path_join(x->dir, "halong.db");
	if (hl_store_open(&x->st, x->db, 1) != 0)
		fail_msg("open: %s", hl_error_last());
	snprintf(url, sizeof(url), "http://127.0.0.1/%s", unit);
	if (hl_node_init(x->st, x->dir, unit, url, "test") != 0)
		fail_msg("node init: %s", hl_error_last());
	if (hl_node_open(&x->n, x->st, x->dir) != 0)
		fail_msg("node open: %s", hl_error_last());
}

static void node_drop(node *x)
{
	char cmd[128];
	hl_node_free(x->n);
	hl_store_free(x->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", x->dir);
	if (x->dir[0] && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", x->dir);
	free(x->db);
}

static void enrol(node *hub, node *x, const char *send, const char *recv, int restricted)
{
	hl_node_entry e = {
	    hl_node_unit(x->n), hl_node_url(x->n), hl_node_public_key(x->n), send, recv,
	    restricted};
	if (hl_node_enrol(hub->st, &e, "test") != 0)
		fail_msg("enrol %s: %s", e.unit, hl_error_last());
}

/* The hub exports its directory; a commune imports it. */
static void publish(net *w, node *to)
{
	char *dir = NULL;
	int64_t v = 0;
	if (hl_node_directory_export(&dir, w->hub.n) != 0)
		fail_msg("export: %s", hl_error_last());
	if (hl_node_directory_import(&v, to->st, dir, strlen(dir), hl_node_public_key(w->hub.n),
	                             "test") != 0)
		fail_msg("import: %s", hl_error_last());
	free(dir);
}

static int setup(void **state)
{
	net *w = calloc(1, sizeof(*w));
	node_make(&w->hub, HUB);
	node_make(&w->a, HATU);
	node_make(&w->b, BAICHAY);
	enrol(&w->hub, &w->hub, "*", "report", 1);
	enrol(&w->hub, &w->a, "report", "document,feed.units", 0);
	enrol(&w->hub, &w->b, "report", "document,feed.units", 1);
	publish(w, &w->a);
	publish(w, &w->b);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	net *w = *state;
	node_drop(&w->hub);
	node_drop(&w->a);
	node_drop(&w->b);
	free(w);
	return 0;
}

static int64_t sql_int(node *x, const char *q)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v;
	assert_int_equal(sqlite3_open(x->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Puts a message in its own transaction; returns the put's code, writes the id. */
static int put(char id[37], node *from, const char *to, const char *type, const char *payload,
               const hl_exchange_attachment *att, size_t natt, const char *const *docs,
               size_t ndocs)
{
	hl_exchange_msg m = {to, type, payload, att, natt, docs, ndocs, HL_ACCESS_PUBLIC};
	int rc;
	assert_int_equal(hl_store_begin(from->st), 0);
	rc = hl_exchange_outbox_put(id, from->n, &m);
	if (rc == 0)
		assert_int_equal(hl_store_commit(from->st), 0);
	else
		assert_int_equal(hl_store_rollback(from->st), 0);
	return rc;
}

static char *seal(node *from, const char *id, int64_t clock_offset_ms)
{
	char *env = NULL;
	size_t n = 0;
	int64_t now = 0;
	if (clock_offset_ms) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + clock_offset_ms;
	}
	if (hl_exchange_outbox_seal(&env, &n, from->n, id, now) != 0)
		fail_msg("seal: %s", hl_error_last());
	assert_int_equal(strlen(env), n);
	{
		/* sealed without parsing the body again: still the canonical encoding */
		char *c = NULL;
		size_t cn = 0;
		if (hl_exchange_canonical(&c, &cn, env, n) != 0)
			fail_msg("sealed envelope: %s", hl_error_last());
		assert_int_equal(cn, n);
		assert_memory_equal(c, env, n);
		free(c);
	}
	return env;
}

static int accept_env(char **receipt, int *state, node *to, const char *env, size_t len,
                      const char *att_dir)
{
	hl_exchange_accept_opts o = {0, att_dir, apply_cb, to, 0, NULL, 0};
	return hl_exchange_inbox_accept(receipt, state, to->n, env, len, &o);
}

typedef struct {
	char reason[32], sender[33], id[37], detail[512];
	int n;
} last_reject;

static int grab_reject(const hl_exchange_reject_row *r, void *ud)
{
	last_reject *l = ud;
	snprintf(l->reason, sizeof(l->reason), "%s", r->reason);
	snprintf(l->sender, sizeof(l->sender), "%s", r->sender ? r->sender : "");
	snprintf(l->id, sizeof(l->id), "%s", r->msg_id ? r->msg_id : "");
	snprintf(l->detail, sizeof(l->detail), "%s", r->detail);
	l->n++;
	return 1; /* the newest only */
}

/* Asserts that the newest refusal at `x` has this reason (and message id when given). */
static void assert_refused(node *x, const char *reason, const char *id, const char *sender)
{
	last_reject l = {0};
	assert_int_equal(hl_exchange_rejects(x->st, 1, grab_reject, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.reason, reason);
	if (id)
		assert_string_equal(l.id, id);
	if (sender)
		assert_string_equal(l.sender, sender);
}

/* ---- the canonical encoding ---- */

static char *canon(const char *json)
{
	char *out = NULL;
	size_t n = 0;
	if (hl_exchange_canonical(&out, &n, json, strlen(json)) != 0)
		fail_msg("canonical %s: %s", json, hl_error_last());
	assert_int_equal(strlen(out), n);
	return out;
}

static void test_canonical(void **state)
{
	(void)state;
	/* Sorted keys (at every depth), no whitespace, NFC ("Ha" + combining grave -> "Hà"),
	 * escapes only where needed, integers as written. */
	char *a = canon("{\"b\":1,\"a\":{\"z\":[3,2,{\"y\":null,\"x\":true}],\"m\":\"Ha\xcc\x80 "
	                "T\\u0075\"},\"c\":\"tab\\there \\\"q\\\" \\\\ /\\u0001\"}");
	assert_string_equal(a,
	                    "{\"a\":{\"m\":\"H\xc3\xa0 Tu\",\"z\":[3,2,{\"x\":true,\"y\":null}]},"
	                    "\"b\":1,\"c\":\"tab\\there \\\"q\\\" \\\\ /\\u0001\"}");
	/* The same object, keys in another order, with whitespace: the same bytes. */
	char *b = canon(" {\n  \"c\" : \"tab\\there \\\"q\\\" \\\\ \\/\\u0001\",\n"
	                "  \"a\" : { \"m\" : \"H\xc3\xa0 Tu\", \"z\" : [ 3 , 2 , { \"x\" : true ,"
	                " \"y\" : null } ] },\t\"b\" : 1 }\n");
	assert_string_equal(a, b);
	free(a);
	free(b);

	/* Refused: a real number, an integer beyond 2^53 - 1, duplicate keys (also after NFC),
	 * nesting deeper than the limit, text that is not JSON. */
	char *out = NULL;
	size_t n;
	const char *bad[] = {"{\"x\":1.5}",       "{\"x\":9007199254740992}",
	                     "{\"x\":1,\"x\":2}", "{\"H\xc3\xa0\":1,\"Ha\xcc\x80\":2}",
	                     "{\"x\":",           "{\"x\":1e3}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hl_exchange_canonical(&out, &n, bad[i], strlen(bad[i])),
		                 HL_EINVALID);
	char deep[200] = "";
	for (int i = 0; i < HL_EXCHANGE_MAX_DEPTH + 2; i++)
		strcat(deep, "[");
	for (int i = 0; i < HL_EXCHANGE_MAX_DEPTH + 2; i++)
		strcat(deep, "]");
	assert_int_equal(hl_exchange_canonical(&out, &n, deep, strlen(deep)), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "deeper"));
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	o[0] = (char)(0xE0 | (cp >> 12));
	o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[2] = (char)(0x80 | (cp & 0x3F));
	return 3;
}

/* The canonical encoding skips utf8proc for text made only of code points below U+0300 and of
 * U+1E00-U+1EFF (Vietnamese letters), claiming such text is in NFC already. Checked here against
 * utf8proc for every ordered pair of those characters (a composing pair would change the text),
 * and the slow path still taken when a combining mark follows. */
static void test_canonical_nfc_fast_path(void **state)
{
	unsigned set[0x300 + 0x100];
	size_t n = 0;
	char *s = malloc(sizeof(set) / sizeof(set[0]) * 6 + 8), *nfc = NULL, *out = NULL;
	(void)state;
	assert_non_null(s);
	for (unsigned cp = 0x20; cp < 0x300; cp++)
		if (cp != '"' && cp != '\\' && cp != 0x7F)
			set[n++] = cp;
	for (unsigned cp = 0x1E00; cp <= 0x1EFF; cp++)
		set[n++] = cp;
	for (size_t i = 0; i < n; i++) {
		size_t len = 6, outlen = 0, start = 6;
		memcpy(s, "{\"k\":\"", 6);
		for (size_t j = 0; j < n; j++) {
			len += put_utf8(s + len, set[i]);
			len += put_utf8(s + len, set[j]);
		}
		len += put_utf8(s + len, set[i]);
		assert_int_equal(hl_text_nfc(&nfc, s + start, (long)(len - start)), 0);
		if (strlen(nfc) != len - start || memcmp(nfc, s + start, len - start))
			fail_msg("U+%04X next to another character of the fast path's set is not "
			         "in NFC",
			         set[i]);
		free(nfc);
		memcpy(s + len, "\"}", 3);
		len += 2;
		if (hl_exchange_canonical(&out, &outlen, s, len) != 0)
			fail_msg("U+%04X: %s", set[i], hl_error_last());
		assert_int_equal(outlen, len);
		assert_memory_equal(out, s, len);
		free(out);
	}
	free(s);
	/* "ạ" (U+1EA1) + combining circumflex -> "ậ" (U+1EAD): the slow path composes it. */
	assert_int_equal(hl_exchange_canonical(&out, NULL, "{\"k\":\"\xe1\xba\xa1\xcc\x82\"}", 13),
	                 0);
	assert_string_equal(out, "{\"k\":\"\xe1\xba\xad\"}");
	free(out);
}

static void test_uuid7(void **state)
{
	char a[37], b[37], c[37];
	(void)state;
	hl_exchange_uuid7(a, 1764307845123LL); /* 2025-11-28T05:30:45.123Z */
	hl_exchange_uuid7(b, 1764307845123LL);
	hl_exchange_uuid7(c, 1764307845124LL);
	assert_int_equal(strlen(a), 36);
	/* 48-bit big-endian milliseconds: 0x019ac8f14003 */
	assert_memory_equal(a, "019ac8f1-4003-7", 15);
	assert_true(strchr("89ab", a[19]) != NULL);        /* variant 10 */
	assert_string_not_equal(a, b);                     /* random bits differ */
	assert_true(strcmp(a, c) < 0 && strcmp(b, c) < 0); /* later ms sorts later */
}

/* ---- signatures ---- */

/* Re-serialises JSON through jansson (keys in another order, indented). */
static char *reshape(const char *env, const char *set_key, json_t *set_val)
{
	json_t *o = json_loads(env, 0, NULL), *r = json_object();
	const char *keys[64];
	size_t n = 0;
	const char *k;
	json_t *v;
	char *s;
	assert_non_null(o);
	json_object_foreach(o, k, v) keys[n++] = k;
	for (size_t i = n; i-- > 0;) /* reversed order */
		json_object_set(r, keys[i], json_object_get(o, keys[i]));
	if (set_key)
		json_object_set_new(r, set_key, set_val);
	s = json_dumps(r, JSON_INDENT(3) | JSON_PRESERVE_ORDER);
	json_decref(o);
	json_decref(r);
	return s;
}

static void test_sign_verify(void **state)
{
	net *w = *state;
	char id[37];
	const char *hub_key = hl_node_public_key(w->hub.n);
	static const char *att_sha =
	    "3f1c5a1f0a5ee4e8c0d5f3c7b1e2d4a6c8b0e2f4a6c8e0b2d4f6a8c0e2b4d6f8";
	hl_exchange_attachment att = {att_sha, 1234, "qd-12.pdf"};

	assert_int_equal(put(id, &w->hub, HATU, "document",
	                     "{\"subject\":\"Quy\xe1\xba\xbft \xc4\x91\xe1\xbb\x8bnh 12\",\"n\":7}",
	                     &att, 1, NULL, 0),
	                 0);
	char *env = seal(&w->hub, id, 0);
	assert_int_equal(hl_exchange_envelope_verify(env, strlen(env), hub_key), 0);
	/* Another node's key: refused. */
	assert_int_equal(hl_exchange_envelope_verify(env, strlen(env), hl_node_public_key(w->a.n)),
	                 HL_EDENIED);
	/* Keys reordered and whitespace added: the same signed bytes. */
	char *same = reshape(env, NULL, NULL);
	assert_string_not_equal(same, env);
	assert_int_equal(hl_exchange_envelope_verify(same, strlen(same), hub_key), 0);
	free(same);
	/* Any field changed: the signature breaks. */
	struct {
		const char *key;
		json_t *val;
	} change[] = {
	    {"id", json_string("019ac8d3-9b83-7000-8000-000000000000")},
	    {"from", json_string(BAICHAY)},
	    {"to", json_string(BAICHAY)},
	    {"type", json_string("report")},
	    {"access", json_string("internal")},
	    {"created_ms", json_integer(1)},
	    {"sent_ms", json_integer(2)},
	    {"seq", json_integer(2)},
	    {"payload", json_pack("{s:s, s:i}", "subject", "Quyết định 13", "n", 7)},
	    {"attachments",
	     json_pack("[{s:s, s:i, s:s}]", "sha256", att_sha, "size", 1235, "name", "qd-12.pdf")},
	};
	for (size_t i = 0; i < sizeof(change) / sizeof(change[0]); i++) {
		char *t = reshape(env, change[i].key, change[i].val);
		if (hl_exchange_envelope_verify(t, strlen(t), hub_key) != HL_EDENIED)
			fail_msg("changed %s still verifies", change[i].key);
		free(t);
	}
	free(env);
}

/* ---- delivery, receipts, replay ---- */

static void test_deliver_receipt_replay(void **state)
{
	net *w = *state;
	char id[37], *receipt = NULL, *again = NULL;
	int st = 0;

	assert_int_equal(
	    put(id, &w->hub, HATU, "document", "{\"doc_id\":\"D1\"}", NULL, 0, NULL, 0), 0);
	char *env = seal(&w->hub, id, 0);
	assert_int_equal(accept_env(&receipt, &st, &w->a, env, strlen(env), NULL), 0);
	assert_int_equal(st, HL_EXCHANGE_APPLIED);
	assert_int_equal(w->a.applied, 1);
	assert_string_equal(w->a.types[0], "document");
	/* The same envelope again (a retry after a lost receipt): the same receipt, nothing
	 * applied a second time, one row in the inbox. */
	assert_int_equal(accept_env(&again, &st, &w->a, env, strlen(env), NULL), 0);
	assert_int_equal(st, HL_EXCHANGE_DUPLICATE);
	assert_string_equal(again, receipt);
	assert_int_equal(w->a.applied, 1);
	assert_int_equal(sql_int(&w->a, "SELECT count(*) FROM exchange_inbox"), 1);
	/* Sealed again later (another attempt, new sent_ms): still a duplicate. */
	char *env2 = seal(&w->hub, id, 0);
	free(again);
	again = NULL;
	assert_int_equal(accept_env(&again, &st, &w->a, env2, strlen(env2), NULL), 0);
	assert_int_equal(st, HL_EXCHANGE_DUPLICATE);
	assert_string_equal(again, receipt);

	/* The hub checks the receipt's signature and marks the message delivered. */
	assert_int_equal(sql_int(&w->hub, "SELECT count(*) FROM exchange_outbox WHERE"
	                                  " state = 'waiting'"),
	                 1);
	/* A receipt signed by someone else is refused. */
	json_t *r = json_loads(receipt, 0, NULL);
	json_object_set_new(r, "at_ms",
	                    json_integer(json_integer_value(json_object_get(r, "at_ms")) + 1));
	char *forged = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	assert_int_equal(hl_exchange_outbox_delivered(w->hub.n, forged, strlen(forged)),
	                 HL_EDENIED);
	free(forged);
	assert_int_equal(hl_exchange_outbox_delivered(w->hub.n, receipt, strlen(receipt)), 0);
	assert_int_equal(sql_int(&w->hub, "SELECT count(*) FROM exchange_outbox WHERE"
	                                  " state = 'delivered' AND receipt IS NOT NULL"),
	                 1);
	/* Sealing a delivered message: nothing waits. */
	char *none = NULL;
	size_t n;
	assert_int_equal(hl_exchange_outbox_seal(&none, &n, w->hub.n, id, 0), HL_ENOTFOUND);
	free(env);
	free(env2);
	free(receipt);
	free(again);
}

/* A payload whose nested keys are named like the envelope's own (seq, sent_ms, sig, payload,
 * to) and whose text is not in NFC: the hub's one canonical encoding still gives the signed
 * bytes, the hash the sender holds (its receipt is accepted) and the payload applied. */
static void test_payload_like_envelope(void **state)
{
	net *w = *state;
	char id[37], *receipt = NULL;
	int st = 0;
	const char *payload = "{\"to\":\"x\",\"seq\":5,\"payload\":{\"sent_ms\":1,"
	                      "\"sig\":\"a\",\"seq\":2},\"t\":\"Ha\xcc\x80 Tu\",\"sent_ms\":3}";
	assert_int_equal(put(id, &w->hub, HATU, "document", payload, NULL, 0, NULL, 0), 0);
	char *env = seal(&w->hub, id, 0);
	assert_int_equal(accept_env(&receipt, &st, &w->a, env, strlen(env), NULL), 0);
	assert_int_equal(st, HL_EXCHANGE_APPLIED);
	assert_string_equal(w->a.last_payload,
	                    "{\"payload\":{\"sent_ms\":1,\"seq\":2,\"sig\":\"a\"},\"sent_ms\":3,"
	                    "\"seq\":5,\"t\":\"H\xc3\xa0 Tu\",\"to\":\"x\"}");
	assert_int_equal(hl_exchange_outbox_delivered(w->hub.n, receipt, strlen(receipt)), 0);
	free(env);
	free(receipt);
}

/* A batch's receipts: five messages accepted in one transaction, one signature over the
 * Merkle root of their (id, hash), each receipt verifiable alone by the sender (any size of
 * batch: 5 gives an odd level), kept in the inbox row and given again for a replay; a message
 * twice in one batch gets the same receipt; a receipt whose path, index or message is altered,
 * or that is moved to another message, is refused. */
static void test_batch_receipts(void **state)
{
	net *w = *state;
	enum { N = 5 };
	char id[N + 1][37], *env[N + 1], *rec[N + 1];
	hl_exchange_receipts *b = hl_exchange_receipts_new();
	hl_exchange_accept_opts o = {0, NULL, apply_cb, &w->a, 1, b, 0};
	int st = 0;

	for (int i = 0; i < N; i++) {
		char payload[64];
		snprintf(payload, sizeof(payload), "{\"n\":%d}", i);
		assert_int_equal(put(id[i], &w->hub, HATU, "document", payload, NULL, 0, NULL, 0),
		                 0);
		env[i] = seal(&w->hub, id[i], 0);
	}
	assert_int_equal(hl_store_begin(w->a.st), 0);
	for (int i = 0; i < N; i++) {
		char *r = (char *)"x";
		assert_int_equal(
		    hl_exchange_inbox_accept(&r, &st, w->a.n, env[i], strlen(env[i]), &o), 0);
		assert_null(r); /* signed with the batch */
		assert_string_equal(hl_exchange_receipts_last(b), id[i]);
	}
	/* the first message again within the batch: a duplicate, its receipt the batch's */
	char *r0 = (char *)"x";
	assert_int_equal(hl_exchange_inbox_accept(&r0, &st, w->a.n, env[0], strlen(env[0]), &o), 0);
	assert_int_equal(st, HL_EXCHANGE_DUPLICATE);
	assert_null(r0);
	assert_string_equal(hl_exchange_receipts_last(b), id[0]);
	assert_int_equal(hl_exchange_receipts_sign(b, w->a.n), 0);
	assert_int_equal(hl_store_commit(w->a.st), 0);
	assert_int_equal(w->a.applied, N);
	for (int i = 0; i < N; i++) {
		assert_non_null(hl_exchange_receipts_get(b, id[i]));
		rec[i] = strdup(hl_exchange_receipts_get(b, id[i]));
		assert_non_null(strstr(rec[i], "\"batch\":{\"i\":"));
	}
	/* one signature for all */
	assert_string_equal(strstr(rec[0], "\"sig\":"), strstr(rec[N - 1], "\"sig\":"));
	hl_exchange_receipts_free(b);
	/* a replay after the commit: the stored receipt, the batch's */
	char *again = NULL;
	assert_int_equal(accept_env(&again, &st, &w->a, env[3], strlen(env[3]), NULL), 0);
	assert_int_equal(st, HL_EXCHANGE_DUPLICATE);
	assert_string_equal(again, rec[3]);
	free(again);

	/* one verified first (the thread remembers its header and signature), then altered
	 * ones: the index, a path step, the receipt of message 1 given for message 2 */
	assert_int_equal(hl_exchange_outbox_delivered(w->hub.n, rec[0], strlen(rec[0])), 0);
	json_t *r = json_loads(rec[2], 0, NULL);
	json_t *bt = json_object_get(r, "batch");
	json_object_set_new(bt, "i", json_integer(3));
	char *bad = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
	assert_int_equal(hl_exchange_outbox_delivered(w->hub.n, bad, strlen(bad)), HL_EDENIED);
	free(bad);
	json_object_set_new(bt, "i", json_integer(2));
	json_t *path = json_object_get(bt, "path");
	char step[65];
	snprintf(step, sizeof(step), "%s", json_string_value(json_array_get(path, 0)));
	step[0] = step[0] == '0' ? '1' : '0';
	json_array_set_new(path, 0, json_string(step));
	bad = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
	assert_int_equal(hl_exchange_outbox_delivered(w->hub.n, bad, strlen(bad)), HL_EDENIED);
	free(bad);
	json_decref(r);
	r = json_loads(rec[1], 0, NULL);
	json_t *r2 = json_loads(rec[2], 0, NULL);
	json_object_set(r, "id", json_object_get(r2, "id"));
	json_object_set(r, "hash", json_object_get(r2, "hash"));
	bad = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
	assert_int_equal(hl_exchange_outbox_delivered(w->hub.n, bad, strlen(bad)), HL_EDENIED);
	free(bad);
	json_decref(r);
	json_decref(r2);
	assert_int_equal(sql_int(&w->hub, "SELECT count(*) FROM exchange_outbox WHERE"
	                                  " state = 'waiting'"),
	                 N - 1);
	/* the real ones: each verifies (the first with Ed25519, the others the same header) */
	for (int i = N - 1; i >= 0; i--)
		assert_int_equal(hl_exchange_outbox_delivered(w->hub.n, rec[i], strlen(rec[i])), 0);
	assert_int_equal(sql_int(&w->hub, "SELECT count(*) FROM exchange_outbox WHERE"
	                                  " state = 'delivered'"),
	                 N);
	for (int i = 0; i < N; i++) {
		free(env[i]);
		free(rec[i]);
	}
}

/* ---- hostile input: each refused with its reason, nothing applied ---- */

static void assert_nothing_applied(node *x)
{
	assert_int_equal(x->applied, 0);
	assert_int_equal(sql_int(x, "SELECT count(*) FROM exchange_inbox"), 0);
}

static void test_forged_signature(void **state)
{
	net *w = *state;
	char id[37];
	assert_int_equal(put(id, &w->hub, HATU, "document", "{\"amount\":100}", NULL, 0, NULL, 0),
	                 0);
	char *env = seal(&w->hub, id, 0);
	/* The payload altered after signing. */
	char *p = strstr(env, "\"amount\":100");
	assert_non_null(p);
	p[10] = '9';
	assert_int_equal(accept_env(NULL, NULL, &w->a, env, strlen(env), NULL), HL_EDENIED);
	assert_non_null(strstr(hl_error_last(), "bad-signature"));
	/* the sender as it claims to be: its signature did not say so */
	assert_refused(&w->a, "bad-signature", id, "unverified: " HUB);
	assert_nothing_applied(&w->a);
	free(env);
}

static void test_unknown_and_revoked_sender(void **state)
{
	net *w = *state;
	node c = {0};
	char id[37];

	/* A node nobody enrolled (its own little directory lets it send). */
	node_make(&c, "99999");
	enrol(&c, &c, "*", "", 0);
	{
		hl_node_entry e = {HATU, "http://127.0.0.1/x", hl_node_public_key(w->a.n), "", "*",
		                   1};
		assert_int_equal(hl_node_enrol(c.st, &e, "test"), 0);
	}
	assert_int_equal(put(id, &c, HATU, "document", "{}", NULL, 0, NULL, 0), 0);
	char *env = seal(&c, id, 0);
	assert_int_equal(accept_env(NULL, NULL, &w->a, env, strlen(env), NULL), HL_EDENIED);
	/* a unit not in the directory is not written as a sender (the detail names it) */
	assert_refused(&w->a, "unknown-sender", id, "");
	{
		last_reject l = {0};
		assert_int_equal(hl_exchange_rejects(w->a.st, 1, grab_reject, &l), 0);
		assert_non_null(strstr(l.detail, "99999 is not in the directory"));
	}
	free(env);
	node_drop(&c);

	/* Bãi Cháy is revoked by the hub; Hà Tu imports the new directory and refuses it. */
	int64_t v0 = 0, v1 = 0;
	assert_int_equal(hl_node_directory_info(&v0, NULL, NULL, w->a.st), 0);
	{
		/* Bãi Cháy still holds the old directory, which lets it report to the hub and, for
		 * this test, to Hà Tu. */
		hl_node_entry e = {
		    HATU,     hl_node_url(w->a.n),          hl_node_public_key(w->a.n),
		    "report", "document,feed.units,report", 0};
		assert_int_equal(hl_node_enrol(w->hub.st, &e, "test"), 0);
	}
	{
		hl_node_entry e = {BAICHAY,  hl_node_url(w->b.n),   hl_node_public_key(w->b.n),
		                   "report", "document,feed.units", 1};
		assert_int_equal(hl_node_enrol(w->hub.st, &e, "test"), 0);
	}
	publish(w, &w->b);
	assert_int_equal(hl_node_revoke(w->hub.st, BAICHAY, "test"), 0);
	publish(w, &w->a);
	assert_int_equal(hl_node_directory_info(&v1, NULL, NULL, w->a.st), 0);
	assert_true(v1 > v0);
	assert_int_equal(put(id, &w->b, HATU, "report", "{}", NULL, 0, NULL, 0), 0);
	env = seal(&w->b, id, 0);
	assert_int_equal(accept_env(NULL, NULL, &w->a, env, strlen(env), NULL), HL_EDENIED);
	assert_refused(&w->a, "revoked-sender", id, "unverified: " BAICHAY);
	assert_nothing_applied(&w->a);
	free(env);
}

/* Malformed, truncated and hostile bodies: each refused as malformed, nothing applied. */
static void test_malformed(void **state)
{
	net *w = *state;
	char id[37], *t;
	assert_int_equal(put(id, &w->hub, HATU, "document", "{\"k\":1}", NULL, 0, NULL, 0), 0);
	char *env = seal(&w->hub, id, 0);
	size_t n = strlen(env);

	/* Truncated at every length. */
	for (size_t cut = 0; cut < n; cut += 7) {
		if (accept_env(NULL, NULL, &w->a, env, cut, NULL) != HL_EINVALID)
			fail_msg("truncated at %zu accepted", cut);
	}
	assert_refused(&w->a, "malformed", NULL, NULL);
	/* Fields added, removed or of the wrong type. */
	struct {
		const char *key;
		json_t *val;
	} bad[] = {
	    {"extra", json_integer(1)},      {"seq", json_string("1")},
	    {"seq", json_integer(0)},        {"v", json_integer(0)},
	    {"payload", json_string("{}")},  {"attachments", json_object()},
	    {"access", json_string("mat")},  {"id", json_string("not-a-uuid")},
	    {"to", json_string("06652 ")},   {"sent_ms", json_real(1.5)},
	    {"created_ms", json_real(1e12)}, {"type", json_string("Document")},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = reshape(env, bad[i].key, bad[i].val);
		if (accept_env(NULL, NULL, &w->a, t, strlen(t), NULL) != HL_EINVALID)
			fail_msg("%s changed: not refused as malformed (%s)", bad[i].key,
			         hl_error_last());
		assert_refused(&w->a, "malformed", NULL, NULL);
		free(t);
	}
	/* A newer version than this node reads: not malformed, its own reason. */
	t = reshape(env, "v", json_integer(HL_EXCHANGE_PROTOCOL + 1));
	assert_int_equal(accept_env(NULL, NULL, &w->a, t, strlen(t), NULL), HL_EINVALID);
	assert_refused(&w->a, "newer-version", id, NULL);
	free(t);
	json_t *o = json_loads(env, 0, NULL);
	json_object_del(o, "sig");
	t = json_dumps(o, JSON_COMPACT);
	assert_int_equal(accept_env(NULL, NULL, &w->a, t, strlen(t), NULL), HL_EINVALID);
	free(t);
	/* A payload nested 100 deep. */
	json_t *deep = json_object(), *cur = deep;
	for (int i = 0; i < 100; i++) {
		json_t *next = json_object();
		json_object_set_new(cur, "a", next);
		cur = next;
	}
	json_object_set_new(o, "sig", json_string("AAAA"));
	json_object_set_new(o, "payload", deep);
	t = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	assert_int_equal(accept_env(NULL, NULL, &w->a, t, strlen(t), NULL), HL_EINVALID);
	assert_refused(&w->a, "malformed", id, "unverified: " HUB);
	assert_non_null(strstr(hl_error_last(), "deeper"));
	free(t);
	/* Not JSON, not UTF-8, empty, a bare array. */
	const char *junk[] = {"", "[]", "\xff\xfe{}", "{\"id\":\"\xc3\x28\"}", "null", "{}"};
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		assert_int_equal(accept_env(NULL, NULL, &w->a, junk[i], strlen(junk[i]), NULL),
		                 HL_EINVALID);
	/* Broken in the middle of a Vietnamese letter (a \u escape cut by the first byte of
	 * "ồ"): jansson's message quotes half the letter; the refusal (the caller's message, the
	 * detail recorded, an API error body) stays valid UTF-8 (found by fuzz_envelope). */
	{
		static const char cut[] = "{\"payload\":{\"t\":\"Ph\\u1e\xe1\xbb\x93ng\"}}";
		last_reject l = {0};
		assert_int_equal(accept_env(NULL, NULL, &w->a, cut, strlen(cut), NULL),
		                 HL_EINVALID);
		assert_non_null(strstr(hl_error_last(), "invalid escape"));
		assert_int_equal(hl_text_check_utf8(hl_error_last(), strlen(hl_error_last()), NULL),
		                 0);
		assert_int_equal(hl_exchange_rejects(w->a.st, 1, grab_reject, &l), 0);
		assert_string_equal(l.reason, "malformed");
		assert_int_equal(hl_text_check_utf8(l.detail, strlen(l.detail), NULL), 0);
	}
	assert_nothing_applied(&w->a);
	/* The intact envelope is still accepted afterwards. */
	assert_int_equal(accept_env(NULL, NULL, &w->a, env, n, NULL), 0);
	assert_int_equal(w->a.applied, 1);
	free(env);
}

static void test_wrong_recipient_and_type(void **state)
{
	net *w = *state;
	char id[37];

	/* Meant for Hà Tu, delivered to Bãi Cháy. */
	assert_int_equal(put(id, &w->hub, HATU, "document", "{}", NULL, 0, NULL, 0), 0);
	char *env = seal(&w->hub, id, 0);
	assert_int_equal(accept_env(NULL, NULL, &w->b, env, strlen(env), NULL), HL_EDENIED);
	assert_refused(&w->b, "wrong-recipient", id, HUB);
	assert_nothing_applied(&w->b);
	free(env);

	/* The hub lets Hà Tu receive "plan" in a version Hà Tu has not imported yet: Hà Tu's
	 * directory says no. */
	hl_node_entry e = {HATU,     hl_node_url(w->a.n),        hl_node_public_key(w->a.n),
	                   "report", "document,feed.units,plan", 0};
	assert_int_equal(hl_node_enrol(w->hub.st, &e, "test"), 0);
	assert_int_equal(put(id, &w->hub, HATU, "plan", "{}", NULL, 0, NULL, 0), 0);
	env = seal(&w->hub, id, 0);
	assert_int_equal(accept_env(NULL, NULL, &w->a, env, strlen(env), NULL), HL_EDENIED);
	assert_refused(&w->a, "type-not-allowed", id, HUB);
	assert_nothing_applied(&w->a);
	free(env);

	/* The outbox itself refuses a type the recipient may not receive. */
	assert_int_equal(put(id, &w->hub, HATU, "report", "{}", NULL, 0, NULL, 0), HL_EDENIED);
	assert_non_null(strstr(hl_error_last(), "receive"));
}

static void test_clock_skew(void **state)
{
	net *w = *state;
	char id[37];
	int64_t offsets[] = {10 * MIN_MS, -10 * MIN_MS};

	for (int i = 0; i < 2; i++) {
		assert_int_equal(put(id, &w->hub, HATU, "document", "{}", NULL, 0, NULL, 0), 0);
		char *env = seal(&w->hub, id, offsets[i]);
		assert_int_equal(accept_env(NULL, NULL, &w->a, env, strlen(env), NULL), HL_EDENIED);
		assert_refused(&w->a, "clock-skew", id, HUB);
		assert_non_null(strstr(hl_error_last(), i == 0 ? "ahead of" : "behind"));
		free(env);
	}
	assert_nothing_applied(&w->a);
	/* Within the window (4 minutes off) it is accepted. */
	assert_int_equal(put(id, &w->hub, HATU, "document", "{}", NULL, 0, NULL, 0), 0);
	/* (sequence 3: 1 and 2 were refused above, so it is held, not applied) */
	char *env = seal(&w->hub, id, 4 * MIN_MS);
	int st = 0;
	assert_int_equal(accept_env(NULL, &st, &w->a, env, strlen(env), NULL), 0);
	assert_int_equal(st, HL_EXCHANGE_HELD);
	free(env);
}

static void test_too_big(void **state)
{
	net *w = *state;
	size_t len = 100u << 20;
	char *big = malloc(len + 1), id[37];
	assert_non_null(big);
	/* A real envelope, its payload padded to 100 MB. */
	assert_int_equal(put(id, &w->hub, HATU, "document", "{}", NULL, 0, NULL, 0), 0);
	char *env = seal(&w->hub, id, 0);
	char *p = strstr(env, "\"payload\":{}");
	assert_non_null(p);
	size_t head = (size_t)(p - env) + 11, tail = strlen(env) - head;
	memcpy(big, env, head);
	memset(big + head, ' ', len - head - tail);
	memcpy(big + len - tail, env + head, tail);
	big[len] = '\0';
	assert_int_equal(accept_env(NULL, NULL, &w->a, big, len, NULL), HL_ELIMIT);
	assert_refused(&w->a, "too-big", "", "");
	assert_non_null(strstr(hl_error_last(), "104857600 bytes"));
	assert_nothing_applied(&w->a);
	free(big);
	free(env);
}

static void write_file(const char *path, const char *data)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputs(data, f);
	fclose(f);
}

static void test_attachments(void **state)
{
	net *w = *state;
	char id[37], sha[65], path[256], dir[96], *receipt = NULL;
	const char *report = "Bao cao thang 11/2025: 42 ho so so hoa\n";
	int st = 0;

	hl_sha256_hex(sha, report, strlen(report));
	hl_exchange_attachment att = {sha, (int64_t)strlen(report), "baocao-11.txt"};
	assert_int_equal(
	    put(id, &w->a, HUB, "report", "{\"period\":\"2025-11\"}", &att, 1, NULL, 0), 0);
	char *env = seal(&w->a, id, 0);
	snprintf(dir, sizeof(dir), "%s/incoming", w->hub.dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	/* Not arrived yet. */
	assert_int_equal(accept_env(NULL, NULL, &w->hub, env, strlen(env), dir), HL_EDENIED);
	assert_refused(&w->hub, "attachment", id, HATU);
	assert_non_null(strstr(hl_error_last(), "has not arrived"));
	/* Arrived altered (one figure changed). */
	snprintf(path, sizeof(path), "%s/%s", dir, sha);
	write_file(path, "Bao cao thang 11/2025: 43 ho so so hoa\n");
	assert_int_equal(accept_env(NULL, NULL, &w->hub, env, strlen(env), dir), HL_EDENIED);
	assert_refused(&w->hub, "attachment", id, HATU);
	assert_non_null(strstr(hl_error_last(), "SHA-256"));
	assert_nothing_applied(&w->hub);
	/* Intact: accepted. */
	write_file(path, report);
	assert_int_equal(accept_env(&receipt, &st, &w->hub, env, strlen(env), dir), 0);
	assert_int_equal(st, HL_EXCHANGE_APPLIED);
	assert_int_equal(w->hub.applied, 1);
	assert_int_equal(hl_exchange_outbox_delivered(w->a.n, receipt, strlen(receipt)), 0);
	free(receipt);
	free(env);
}

/* ---- what may leave ---- */

static void add_doc(node *x, const char *doc_id, hl_access level)
{
	hl_doc d = {0};
	int status = 0;
	d.doc_id = (char *)doc_id;
	d.fonds_code = "F22";
	d.dossier_code = "HS-2025-01";
	d.ordinal = level + 1;
	d.subject = "Quyết định về việc giao đất";
	d.page_count = -1;
	d.access = level;
	assert_int_equal(hl_store_begin(x->st), 0);
	if (hl_store_doc_put(&status, x->st, &d, "test") != 0)
		fail_msg("doc put: %s", hl_error_last());
	assert_int_equal(hl_store_commit(x->st), 0);
}

static void test_secret_never_leaves(void **state)
{
	net *w = *state;
	char id[37];
	const char *secret[] = {"DSECRET"}, *restricted[] = {"DRESTR"}, *pub[] = {"DPUB"};

	add_doc(&w->hub, "DSECRET", HL_ACCESS_SECRET);
	add_doc(&w->hub, "DRESTR", HL_ACCESS_RESTRICTED);
	add_doc(&w->hub, "DPUB", HL_ACCESS_PUBLIC);
	/* Secret: to nobody, not even a node cleared for restricted records. */
	assert_int_equal(put(id, &w->hub, BAICHAY, "document", "{}", NULL, 0, secret, 1),
	                 HL_EDENIED);
	assert_non_null(strstr(hl_error_last(), "secret"));
	/* Hidden among public documents: still refused. */
	const char *mixed[] = {"DPUB", "DSECRET"};
	assert_int_equal(put(id, &w->hub, BAICHAY, "document", "{}", NULL, 0, mixed, 2),
	                 HL_EDENIED);
	/* Restricted: not to Hà Tu, yes to Bãi Cháy. */
	assert_int_equal(put(id, &w->hub, HATU, "document", "{}", NULL, 0, restricted, 1),
	                 HL_EDENIED);
	assert_non_null(strstr(hl_error_last(), "restricted"));
	assert_int_equal(put(id, &w->hub, BAICHAY, "document", "{}", NULL, 0, restricted, 1), 0);
	assert_int_equal(put(id, &w->hub, HATU, "document", "{}", NULL, 0, pub, 1), 0);
	/* Only the two allowed ones wait. */
	assert_int_equal(sql_int(&w->hub, "SELECT count(*) FROM exchange_outbox"), 2);
	assert_int_equal(sql_int(&w->hub,
	                         "SELECT count(*) FROM exchange_outbox WHERE body LIKE"
	                         " '%\"access\":\"restricted\"%' AND recipient = '" BAICHAY "'"),
	                 1);
}

/* ---- what a message says about its documents' levels ---- */

/* A sealed envelope of `from`, changed and signed again with from's key, as a node that lies
 * about what it carries would: the envelope's access set to `access`, the level of document 0
 * of its payload to `doc_level`. */
static char *relabel(node *from, const char *env, const char *access, const char *doc_level)
{
	json_t *e = json_loads(env, JSON_REJECT_DUPLICATES, NULL), *docs;
	char *text, *c = NULL, sig[89];
	size_t n = 0;
	assert_non_null(e);
	json_object_set_new(e, "access", json_string(access));
	docs = json_object_get(json_object_get(e, "payload"), "documents");
	assert_true(json_array_size(docs) >= 1);
	json_object_set_new(json_array_get(docs, 0), "access_level", json_string(doc_level));
	json_object_del(e, "sig");
	text = json_dumps(e, JSON_COMPACT);
	assert_int_equal(hl_exchange_canonical(&c, &n, text, strlen(text)), 0);
	hl_node_sign(sig, from->n, "halong-envelope-v1\n", c, n);
	free(text);
	free(c);
	json_object_set_new(e, "sig", json_string(sig));
	text = json_dumps(e, JSON_COMPACT);
	assert_int_equal(hl_exchange_canonical(&c, &n, text, strlen(text)), 0);
	free(text);
	json_decref(e);
	return c;
}

/* A document message from the hub to `to` carrying DPUB (public, no file), sealed. */
static char *document_message(net *w, const char *to, char id[37])
{
	const char *pub[] = {"DPUB"};
	add_doc(&w->hub, "DPUB", HL_ACCESS_PUBLIC);
	assert_int_equal(hl_store_begin(w->hub.st), 0);
	if (hl_exchange_put_documents(id, w->hub.n, to, pub, 1, "test") != 0)
		fail_msg("put documents: %s", hl_error_last());
	assert_int_equal(hl_store_commit(w->hub.st), 0);
	return seal(&w->hub, id, 0);
}

/* The inbox reads each document's own level: an envelope labelled public whose document is
 * secret or restricted is refused (access-denied, recorded), nothing stored; a restricted one
 * under a restricted envelope reaches a node cleared for it. */
static void test_document_levels_at_the_inbox(void **state)
{
	net *w = *state;
	char id[37], *env = document_message(w, BAICHAY, id), *bad;
	struct {
		const char *access, *level;
		node *to;
	} lies[] = {
	    {"public", "secret", &w->b},     {"restricted", "secret", &w->b},
	    {"public", "restricted", &w->b}, {"internal", "restricted", &w->b},
	    {"public", "nope", &w->b},
	};
	for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		bad = relabel(&w->hub, env, lies[i].access, lies[i].level);
		assert_int_equal(accept_env(NULL, NULL, lies[i].to, bad, strlen(bad), NULL),
		                 HL_EDENIED);
		assert_int_equal(hl_exchange_last_refusal(), HL_EXCHANGE_R_ACCESS_DENIED);
		assert_refused(lies[i].to, "access-denied", id, HUB);
		assert_non_null(strstr(hl_error_last(), "DPUB"));
		assert_nothing_applied(lies[i].to);
		free(bad);
	}
	/* A secret document whose id is cut in the message inside a letter ("thành", at byte
	 * 64): the refusal names it with whole characters only — it goes back as JSON and into
	 * the refusals (found by fuzz_envelope). */
	{
		json_t *e = json_loads(env, 0, NULL);
		char *t;
		last_reject l = {0};
		json_object_set_new(
		    json_array_get(json_object_get(json_object_get(e, "payload"), "documents"), 0),
		    "doc_id",
		    json_string("Hồ sơ số 11 của Ủy ban nhân dân phường Hà Tu, thành phố Hạ Long"));
		t = json_dumps(e, JSON_COMPACT);
		bad = relabel(&w->hub, t, "public", "secret"); /* signed again by the hub */
		free(t);
		json_decref(e);
		assert_int_equal(accept_env(NULL, NULL, &w->b, bad, strlen(bad), NULL), HL_EDENIED);
		assert_non_null(strstr(hl_error_last(),
		                       "(Hồ sơ số 11 của Ủy ban nhân dân phường Hà "
		                       "Tu, th) is secret"));
		assert_int_equal(hl_exchange_rejects(w->b.st, 1, grab_reject, &l), 0);
		assert_int_equal(hl_text_check_utf8(l.detail, strlen(l.detail), NULL), 0);
		free(bad);
	}
	/* The honest label of a restricted document, to a node cleared for it: taken. */
	bad = relabel(&w->hub, env, "restricted", "restricted");
	assert_int_equal(accept_env(NULL, NULL, &w->b, bad, strlen(bad), NULL), 0);
	assert_int_equal(w->b.applied, 1);
	free(bad);
	free(env);
}

/* The same message to Hà Tu, not cleared for restricted records: refused whatever the label. */
static void test_restricted_document_to_a_node_not_cleared(void **state)
{
	net *w = *state;
	char id[37], *env = document_message(w, HATU, id), *bad;
	bad = relabel(&w->hub, env, "public", "restricted");
	assert_int_equal(accept_env(NULL, NULL, &w->a, bad, strlen(bad), NULL), HL_EDENIED);
	assert_refused(&w->a, "access-denied", id, HUB);
	assert_nothing_applied(&w->a);
	free(bad);
	free(env);
}

/* The apply step checks again (a message that reached it by another path than the inbox's
 * checks): a secret document never goes into the archive, a restricted one only to a node the
 * directory clears and under an envelope that says so. */
static void test_document_levels_at_the_apply_step(void **state)
{
	net *w = *state;
	hl_archive *a = NULL;
	hl_doc *d = NULL;
	hl_exchange_apply_ctx ctx;
	struct {
		node *to;
		const char *access, *level;
		int ok;
	} cases[] = {
	    {&w->b, "public", "secret", 0},         {&w->b, "restricted", "secret", 0},
	    {&w->b, "public", "restricted", 0},     {&w->a, "restricted", "restricted", 0},
	    {&w->b, "restricted", "restricted", 1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		node *x = cases[i].to;
		char payload[600], doc_id[32];
		hl_exchange_message m = {0};
		int rc;
		snprintf(doc_id, sizeof(doc_id), "DLEVEL%zu", i);
		snprintf(payload, sizeof(payload),
		         "{\"documents\":[{\"access_level\":\"%s\",\"doc_id\":\"%s\","
		         "\"doc_ordinal\":%zu,\"dossier_code\":\"CV-01\",\"fonds_code\":\"VB22\","
		         "\"files\":[],\"subject\":\"Công văn\"}]}",
		         cases[i].level, doc_id, i + 1);
		m.id = "01a24dfa-eba4-7cf0-bb50-b8097efb73e1";
		m.from = HUB;
		m.to = hl_node_unit(x->n);
		m.type = "document";
		m.access = cases[i].access;
		m.seq = 1;
		m.payload = payload;
		m.envelope = "{\"sig\":\"AAAA\"}";
		assert_int_equal(hl_archive_init(x->dir), 0);
		assert_int_equal(hl_archive_open(&a, x->dir), 0);
		ctx.archive = a;
		ctx.attachments_dir = x->dir;
		assert_int_equal(hl_store_begin(hl_archive_store(a)), 0);
		rc = hl_exchange_apply_default(hl_archive_store(a), &m, &ctx);
		if (cases[i].ok) {
			if (rc != 0)
				fail_msg("case %zu: %s", i, hl_error_last());
		} else {
			assert_int_equal(rc, HL_EDENIED);
			assert_int_equal(hl_exchange_last_refusal(), HL_EXCHANGE_R_ACCESS_DENIED);
		}
		assert_int_equal(hl_store_doc_get(&d, hl_archive_store(a), doc_id),
		                 cases[i].ok ? 0 : HL_ENOTFOUND);
		hl_doc_free(d);
		d = NULL;
		assert_int_equal(hl_store_rollback(hl_archive_store(a)), 0);
		hl_archive_free(a);
		a = NULL;
	}
}

/* ---- where a received document goes ---- */

typedef struct {
	hl_archive *a;
	hl_exchange_apply_ctx ctx;
	int n; /* messages applied, for their ids */
} hub_archive;

/* The hub's data directory as an archive, with the administrative units (custody needs them). */
static void hub_open(hub_archive *h, net *w)
{
	hl_units_load_stats s;
	assert_int_equal(hl_archive_init(w->hub.dir), 0);
	assert_int_equal(hl_archive_open(&h->a, w->hub.dir), 0);
	if (hl_units_load(&s, hl_archive_store(h->a), HL_SOURCE_DATADIR "/units", NULL, NULL,
	                  NULL) < 0)
		fail_msg("units: %s", hl_error_last());
	h->ctx.archive = h->a;
	h->ctx.attachments_dir = w->hub.dir;
}

/* Applies, as the hub's inbox would, a document message from `from` carrying one public
 * document (no file). */
static int receive_doc(hub_archive *h, const char *from, const char *doc_id, const char *fonds,
                       const char *dossier, int ordinal, const char *subject)
{
	char payload[800], id[37];
	hl_exchange_message m = {0};
	hl_store *st = hl_archive_store(h->a);
	int rc;
	snprintf(payload, sizeof(payload),
	         "{\"documents\":[{\"access_level\":\"public\",\"doc_id\":\"%s\","
	         "\"doc_ordinal\":%d,\"dossier_code\":\"%s\",\"fonds_code\":\"%s\","
	         "\"files\":[],\"subject\":\"%s\"}]}",
	         doc_id, ordinal, dossier, fonds, subject);
	hl_exchange_uuid7(id, 0);
	m.id = id;
	m.from = from;
	m.to = HUB;
	m.type = "document";
	m.access = "public";
	m.seq = ++h->n;
	m.payload = payload;
	m.envelope = "{\"sig\":\"c2lnbmF0dXJl\"}";
	assert_int_equal(hl_store_begin(st), 0);
	rc = hl_exchange_apply_default(st, &m, &h->ctx);
	if (rc == 0)
		assert_int_equal(hl_store_commit(st), 0);
	else
		assert_int_equal(hl_store_rollback(st), 0);
	return rc;
}

/* doc_id's fonds, dossier and ordinal here, "fonds/dossier/ordinal" ("" when absent). */
static const char *where(hub_archive *h, const char *doc_id)
{
	static char buf[200];
	hl_doc *d = NULL;
	buf[0] = '\0';
	if (hl_store_doc_get(&d, hl_archive_store(h->a), doc_id) == 0)
		snprintf(buf, sizeof(buf), "%s/%s/%lld", d->fonds_code, d->dossier_code,
		         (long long)d->ordinal);
	hl_doc_free(d);
	hl_error_clear();
	return buf;
}

static int64_t fonds_docs(node *x, const char *fonds)
{
	char q[300];
	snprintf(q, sizeof(q),
	         "SELECT count(*) FROM document d JOIN dossier s ON s.id = d.dossier_id"
	         " JOIN fonds f ON f.id = s.fonds_id WHERE f.code = '%s'",
	         fonds);
	return sql_int(x, q);
}

/* A commune writes only into a fonds its unit holds by custody (here: the hub knows 06652
 * created HATU-VB); everything else it sends is filed in the hub's register of incoming
 * documents (VBDEN-22, one dossier a year, numbered in order of arrival): nothing is added to
 * the province's fonds, nor to another commune's, and no fonds is made at its word. */
static void test_fonds_a_message_may_write(void **state)
{
	net *w = *state;
	hub_archive h = {0};
	char year[16], reg[80];
	time_t now = time(NULL) + 7 * 3600;
	struct tm tm;
	gmtime_r(&now, &tm);
	snprintf(year, sizeof(year), "%04d", tm.tm_year + 1900);
	hub_open(&h, w);
	add_doc(&w->hub, "DTINH", HL_ACCESS_PUBLIC); /* the province's own fonds F22 */
	assert_int_equal(hl_custody_set_creator(hl_archive_store(h.a), "HATU-VB", HATU, NULL,
	                                        "UBND phường Hà Tu", "test"),
	                 0);
	assert_int_equal(hl_custody_set_creator(hl_archive_store(h.a), "BAICHAY-VB", BAICHAY, NULL,
	                                        NULL, "test"),
	                 0);
	/* Its own fonds: as sent. */
	assert_int_equal(receive_doc(&h, HATU, "DHATU1", "HATU-VB", "CV-01", 3, "Tờ trình"), 0);
	assert_string_equal(where(&h, "DHATU1"), "HATU-VB/CV-01/3");
	/* The province's fonds, another commune's, a fonds unknown here: the register. */
	assert_int_equal(receive_doc(&h, HATU, "DHATU2", "F22", "HS-2025-01", 7, "Công văn"), 0);
	assert_int_equal(receive_doc(&h, HATU, "DHATU3", "BAICHAY-VB", "CV-09", 1, "Báo cáo"), 0);
	assert_int_equal(receive_doc(&h, HATU, "DHATU4", "MOI-01", "X", 1, "Thông báo"), 0);
	snprintf(reg, sizeof(reg), "VBDEN-22/%s/1", year);
	assert_string_equal(where(&h, "DHATU2"), reg);
	snprintf(reg, sizeof(reg), "VBDEN-22/%s/2", year);
	assert_string_equal(where(&h, "DHATU3"), reg);
	snprintf(reg, sizeof(reg), "VBDEN-22/%s/3", year);
	assert_string_equal(where(&h, "DHATU4"), reg);
	assert_int_equal(fonds_docs(&w->hub, "F22"), 1);
	assert_int_equal(fonds_docs(&w->hub, "BAICHAY-VB"), 0);
	assert_int_equal(sql_int(&w->hub, "SELECT count(*) FROM fonds WHERE code = 'MOI-01'"), 0);
	/* The register is the hub's own fonds (custody held by 22: its staff see what comes). */
	assert_int_equal(sql_int(&w->hub, "SELECT count(*) FROM fonds WHERE code = 'VBDEN-22' AND"
	                                  " creator_unit = '22'"),
	                 1);
	{
		hl_doc *d = NULL;
		assert_int_equal(hl_store_doc_get(&d, hl_archive_store(h.a), "DHATU2"), 0);
		assert_non_null(strstr(d->notes, "phông F22, hồ sơ HS-2025-01, số thứ tự 7"));
		hl_doc_free(d);
	}
	/* Sent again (changed) by the same commune: the register keeps its place and number. */
	assert_int_equal(receive_doc(&h, HATU, "DHATU2", "F22", "HS-2025-01", 7, "Công văn (sửa)"),
	                 0);
	snprintf(reg, sizeof(reg), "VBDEN-22/%s/1", year);
	assert_string_equal(where(&h, "DHATU2"), reg);
	/* Another commune may not change what 06652 sent, nor the province's own record. */
	assert_int_equal(receive_doc(&h, BAICHAY, "DHATU1", "HATU-VB", "CV-01", 3, "Giả"),
	                 HL_EDENIED);
	assert_int_equal(hl_exchange_last_refusal(), HL_EXCHANGE_R_CONFLICT);
	assert_int_equal(receive_doc(&h, HATU, "DTINH", "F22", "HS-2025-01", 1, "Giả"), HL_EDENIED);
	assert_int_equal(hl_exchange_last_refusal(), HL_EXCHANGE_R_CONFLICT);
	/* The fonds passes to another unit (the creator set again): 06652's record in it is no
	 * longer 06652's to change. */
	assert_int_equal(
	    hl_custody_set_creator(hl_archive_store(h.a), "HATU-VB", BAICHAY, NULL, NULL, "test"),
	    0);
	assert_int_equal(receive_doc(&h, HATU, "DHATU1", "HATU-VB", "CV-01", 3, "Tờ trình (sửa)"),
	                 HL_EDENIED);
	assert_int_equal(hl_exchange_last_refusal(), HL_EXCHANGE_R_FONDS);
	assert_non_null(strstr(hl_error_last(), "fonds-not-held"));
	hl_archive_free(h.a);
}

/* ---- sending: one rule for the CLI and the API ---- */

static hl_principal staff(const char *name, hl_role role, const char *unit, int province)
{
	hl_principal p = hl_principal_anonymous();
	p.user_id = 7;
	snprintf(p.username, sizeof(p.username), "%s", name);
	p.role = role;
	snprintf(p.unit_code, sizeof(p.unit_code), "%s", unit);
	p.province = province;
	return p;
}

/* hl_exchange_send_documents applies the same rules and writes the same audit whoever calls:
 * the node's operator at its console (the CLI) or a user over the API. */
static void test_send_documents_rules(void **state)
{
	net *w = *state;
	hl_principal cli = hl_principal_local("cli:test"),
	             luutru = staff("luutru", HL_ROLE_ARCHIVIST, HUB, 1),
	             xem = staff("xem", HL_ROLE_VIEWER, HUB, 1), anon = hl_principal_anonymous();
	const char *pub[] = {"DPUB"}, *secret[] = {"DSECRET"}, *missing[] = {"DMISSING"},
	           *restr[] = {"DRESTR"}, *twice[] = {"DPUB", "DPUB"};
	hl_exchange_send_req q = {HATU, pub, 1, NULL};
	hl_exchange_sent *s = NULL;
	char a[300], b[300], *p;

	add_doc(&w->hub, "DSECRET", HL_ACCESS_SECRET);
	add_doc(&w->hub, "DRESTR", HL_ACCESS_RESTRICTED);
	add_doc(&w->hub, "DPUB", HL_ACCESS_PUBLIC);
	/* who may send */
	assert_int_equal(hl_exchange_send_documents(&s, w->hub.n, &xem, &q), HL_EDENIED);
	assert_int_equal(hl_exchange_send_documents(&s, w->hub.n, &anon, &q), HL_EDENIED);
	assert_non_null(strstr(hl_error_last(), "log in first"));
	/* the same message and audit, by the API and by the CLI */
	assert_int_equal(hl_exchange_send_documents(&s, w->hub.n, &luutru, &q), 0);
	assert_int_equal(s->n, 1);
	assert_string_equal(s->doc_ids[0], "DPUB");
	hl_exchange_sent_free(s);
	assert_int_equal(hl_exchange_send_documents(&s, w->hub.n, &cli, &q), 0);
	hl_exchange_sent_free(s);
	assert_int_equal(sql_int(&w->hub, "SELECT count(*) FROM audit WHERE action ="
	                                  " 'exchange.send' AND object = 'DPUB' AND actor IN"
	                                  " ('luutru', 'cli:test')"),
	                 2);
	/* a secret record: to a networked caller the same answer as a missing one */
	q.doc_ids = secret;
	assert_int_equal(hl_exchange_send_documents(&s, w->hub.n, &luutru, &q), HL_ENOTFOUND);
	snprintf(a, sizeof(a), "%s", hl_error_last());
	q.doc_ids = missing;
	assert_int_equal(hl_exchange_send_documents(&s, w->hub.n, &luutru, &q), HL_ENOTFOUND);
	snprintf(b, sizeof(b), "%s", hl_error_last());
	assert_non_null(p = strstr(a, "DSECRET"));
	memmove(p, p + strlen("DSECRET"), strlen(p + strlen("DSECRET")) + 1);
	assert_non_null(p = strstr(b, "DMISSING"));
	memmove(p, p + strlen("DMISSING"), strlen(p + strlen("DMISSING")) + 1);
	assert_string_equal(a, b);
	/* ... and the operator is told why */
	q.doc_ids = secret;
	assert_int_equal(hl_exchange_send_documents(&s, w->hub.n, &cli, &q), HL_EDENIED);
	assert_non_null(strstr(hl_error_last(), "is secret"));
	/* restricted: only to a node cleared for it; the recipient and the list checked */
	q.doc_ids = restr;
	assert_int_equal(hl_exchange_send_documents(&s, w->hub.n, &luutru, &q), HL_EDENIED);
	assert_non_null(strstr(hl_error_last(), "restricted"));
	q.doc_ids = twice;
	q.ndocs = 2;
	assert_int_equal(hl_exchange_send_documents(&s, w->hub.n, &luutru, &q), HL_EINVALID);
	q.to = HUB;
	assert_int_equal(hl_exchange_send_documents(&s, w->hub.n, &luutru, &q), HL_EINVALID);
	assert_true(!strncmp(hl_error_last(), "to:", 3));
	/* a dossier: what the sender sees, never the secret one */
	q.to = BAICHAY;
	q.doc_ids = NULL;
	q.ndocs = 0;
	q.dossier = "F22/HS-2025-01";
	assert_int_equal(hl_exchange_send_documents(&s, w->hub.n, &luutru, &q), 0);
	assert_int_equal(s->n, 2);
	for (size_t i = 0; i < s->n; i++)
		assert_string_not_equal(s->doc_ids[i], "DSECRET");
	hl_exchange_sent_free(s);
	assert_int_equal(sql_int(&w->hub, "SELECT count(*) FROM exchange_outbox WHERE body LIKE"
	                                  " '%DSECRET%'"),
	                 0);
}

/* ---- the parse-only entry points (what the fuzzers drive) ---- */

static void test_parse_only(void **state)
{
	net *w = *state;
	char id[37], hash[65], *env, *dir = NULL;
	hl_exchange_reason why;
	hl_exchange__dir d;
	assert_int_equal(put(id, &w->hub, HATU, "feed.units", "{\"n\":1}", NULL, 0, NULL, 0), 0);
	env = seal(&w->hub, id, 0);
	assert_int_equal(hl_exchange__envelope_check(&why, hash, env, strlen(env)), 0);
	/* Its version ("v", the last key): a newer one is refused as newer-version before the rest
	 * is read, 0 is malformed, none is version 1. */
	{
		char *t = strdup(env), *v = strstr(t, ",\"v\":1}");
		char h2[65];
		assert_non_null(v);
		v[5] = '2';
		assert_int_equal(hl_exchange__envelope_check(&why, h2, t, strlen(t)), HL_EINVALID);
		assert_int_equal(why, HL_EXCHANGE_R_NEWER_VERSION);
		assert_string_equal(hl_exchange_reason_name(why), "newer-version");
		assert_non_null(
		    strstr(hl_error_last(), "version 2 is newer than this node reads (1)"));
		v[5] = '0';
		assert_int_equal(hl_exchange__envelope_check(&why, h2, t, strlen(t)), HL_EINVALID);
		assert_int_equal(why, HL_EXCHANGE_R_MALFORMED);
		memmove(v, v + 6, strlen(v + 6) + 1);
		assert_int_equal(hl_exchange__envelope_check(&why, h2, t, strlen(t)), 0);
		free(t);
	}
	{
		char q[256];
		snprintf(q, sizeof(q),
		         "SELECT count(*) FROM exchange_outbox WHERE id = '%s' AND hash = '%s'", id,
		         hash);
		assert_int_equal(sql_int(&w->hub, q), 1); /* the hash the sender stored */
	}
	for (size_t n = 0; n < strlen(env); n += 7) {
		int rc = hl_exchange__envelope_check(&why, hash, env, n); /* every cut is refused */
		assert_true(rc < 0);
		assert_int_equal(why, HL_EXCHANGE_R_MALFORMED);
	}
	free(env);
	assert_int_equal(hl_node_directory_export(&dir, w->hub.n), 0);
	assert_int_equal(hl_exchange__directory_parse(&d, dir, strlen(dir)), 0);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.version, 3);
	hl_exchange__directory_free(&d);
	dir[strlen(dir) / 2] = '\0';
	assert_int_equal(hl_exchange__directory_parse(&d, dir, strlen(dir)), HL_EINVALID);
	hl_exchange__directory_free(&d);
	free(dir);
}

static void test_outbox_is_transactional(void **state)
{
	net *w = *state;
	hl_exchange_msg m = {HATU, "document", "{}", NULL, 0, NULL, 0, HL_ACCESS_PUBLIC};
	char id[37];
	/* Outside a transaction: refused. */
	assert_int_equal(hl_exchange_outbox_put(id, w->hub.n, &m), HL_EINVALID);
	/* The change that caused it rolled back: the message goes with it, and the sequence. */
	assert_int_equal(hl_store_begin(w->hub.st), 0);
	assert_int_equal(hl_store_audit(w->hub.st, "test", "document.create", "D9", NULL), 0);
	assert_int_equal(hl_exchange_outbox_put(id, w->hub.n, &m), 0);
	assert_int_equal(hl_store_rollback(w->hub.st), 0);
	assert_int_equal(sql_int(&w->hub, "SELECT count(*) FROM exchange_outbox"), 0);
	assert_int_equal(put(id, &w->hub, HATU, "document", "{}", NULL, 0, NULL, 0), 0);
	assert_int_equal(sql_int(&w->hub, "SELECT seq FROM exchange_outbox"), 1);
}

/* ---- order ---- */

static void test_out_of_order(void **state)
{
	net *w = *state;
	char id[3][37], *env[3];
	int st = 0;

	for (int i = 0; i < 3; i++) {
		char payload[32];
		snprintf(payload, sizeof(payload), "{\"n\":%d}", i + 1);
		assert_int_equal(put(id[i], &w->hub, HATU, "feed.units", payload, NULL, 0, NULL, 0),
		                 0);
		env[i] = seal(&w->hub, id[i], 0);
	}
	/* 3 arrives first: held. */
	assert_int_equal(accept_env(NULL, &st, &w->a, env[2], strlen(env[2]), NULL), 0);
	assert_int_equal(st, HL_EXCHANGE_HELD);
	assert_int_equal(w->a.applied, 0);
	/* 1: applied; 3 still waits for 2. */
	assert_int_equal(accept_env(NULL, &st, &w->a, env[0], strlen(env[0]), NULL), 0);
	assert_int_equal(st, HL_EXCHANGE_APPLIED);
	assert_int_equal(w->a.applied, 1);
	/* The status shows one held message from the hub. */
	assert_int_equal(sql_int(&w->a, "SELECT count(*) FROM exchange_inbox WHERE state = 'held'"),
	                 1);
	/* 2 fills the gap: 2 then 3 applied, in order. */
	assert_int_equal(accept_env(NULL, &st, &w->a, env[1], strlen(env[1]), NULL), 0);
	assert_int_equal(st, HL_EXCHANGE_APPLIED);
	assert_int_equal(w->a.applied, 3);
	assert_int_equal(w->a.seqs[0], 1);
	assert_int_equal(w->a.seqs[1], 2);
	assert_int_equal(w->a.seqs[2], 3);
	/* 3 again: a duplicate, nothing more applied. */
	assert_int_equal(accept_env(NULL, &st, &w->a, env[2], strlen(env[2]), NULL), 0);
	assert_int_equal(st, HL_EXCHANGE_DUPLICATE);
	assert_int_equal(w->a.applied, 3);
	for (int i = 0; i < 3; i++)
		free(env[i]);
}

/* Two connections to one commune's store deliver the same 20 messages at once, one in order,
 * the other backwards (two sender retries racing, say). */
#define RACE 20
typedef struct {
	node *x; /* the commune (its apply counter) */
	hl_node *n;
	hl_store *st;
	char **env;
	char *receipts[RACE];
	int backwards, failures;
} racer;

static void *race(void *ud)
{
	racer *r = ud;
	for (int k = 0; k < RACE; k++) {
		int i = r->backwards ? RACE - 1 - k : k;
		hl_exchange_accept_opts o = {0, NULL, apply_cb, r->x, 0, NULL, 0};
		if (hl_exchange_inbox_accept(&r->receipts[i], NULL, r->n, r->env[i],
		                             strlen(r->env[i]), &o) != 0) {
			fprintf(stderr, "race: %s\n", hl_error_last());
			r->failures++;
		}
	}
	return NULL;
}

static void test_concurrent_delivery(void **state)
{
	net *w = *state;
	char *env[RACE], id[37];
	racer r[2] = {{0}};
	pthread_t t[2];

	for (int i = 0; i < RACE; i++) {
		assert_int_equal(put(id, &w->hub, HATU, "feed.units", "{}", NULL, 0, NULL, 0), 0);
		env[i] = seal(&w->hub, id, 0);
	}
	for (int k = 0; k < 2; k++) {
		r[k].x = &w->a;
		r[k].env = env;
		r[k].backwards = k;
		assert_int_equal(hl_store_open(&r[k].st, w->a.db, 0), 0);
		assert_int_equal(hl_node_open(&r[k].n, r[k].st, w->a.dir), 0);
	}
	for (int k = 0; k < 2; k++)
		assert_int_equal(pthread_create(&t[k], NULL, race, &r[k]), 0);
	for (int k = 0; k < 2; k++)
		assert_int_equal(pthread_join(t[k], NULL), 0);
	/* Every message accepted by both, applied once, in order; both got the same receipts. */
	assert_int_equal(r[0].failures + r[1].failures, 0);
	assert_int_equal(w->a.applied, RACE);
	for (int i = 0; i < RACE; i++) {
		assert_int_equal(w->a.seqs[i], i + 1);
		assert_string_equal(r[0].receipts[i], r[1].receipts[i]);
	}
	assert_int_equal(sql_int(&w->a, "SELECT count(*) FROM exchange_inbox WHERE"
	                                " state = 'applied'"),
	                 RACE);
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < RACE; i++)
			free(r[k].receipts[i]);
		hl_node_free(r[k].n);
		hl_store_free(r[k].st);
	}
	for (int i = 0; i < RACE; i++)
		free(env[i]);
}

/* ---- the directory ---- */

static void test_directory(void **state)
{
	net *w = *state;
	char *dir = NULL;
	int64_t v = 0, held = 0;

	assert_int_equal(hl_node_directory_export(&dir, w->hub.n), 0);
	/* A commune edits nothing itself. */
	hl_node_entry e = {"06658", "http://127.0.0.1/x", hl_node_public_key(w->b.n), "", "", 0};
	assert_int_equal(hl_node_enrol(w->a.st, &e, "test"), HL_EDENIED);
	/* Another hub key: refused, and the trusted key is kept once. */
	assert_int_equal(hl_node_trust_hub(w->a.st, hl_node_public_key(w->b.n), "test"),
	                 HL_ECONFLICT);
	assert_int_equal(hl_node_directory_import(&v, w->a.st, dir, strlen(dir),
	                                          hl_node_public_key(w->b.n), "test"),
	                 HL_EDENIED);

	/* The hub enrols Cao Xanh: version goes up. */
	assert_int_equal(hl_node_directory_info(&held, NULL, NULL, w->a.st), 0);
	assert_int_equal(hl_node_enrol(w->hub.st, &e, "test"), 0);
	char *newer = NULL;
	assert_int_equal(hl_node_directory_export(&newer, w->hub.n), 0);

	/* A tampered copy (Cao Xanh's key swapped for Hà Tu's): refused, the last good copy
	 * stays. */
	json_t *t = json_loads(newer, 0, NULL);
	json_t *nodes = json_object_get(json_object_get(t, "directory"), "nodes");
	for (size_t i = 0; i < json_array_size(nodes); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(nodes, i), "unit")),
		            "06658"))
			json_object_set_new(json_array_get(nodes, i), "public_key",
			                    json_string(hl_node_public_key(w->a.n)));
	char *tampered = json_dumps(t, JSON_COMPACT);
	json_decref(t);
	assert_int_equal(
	    hl_node_directory_import(&v, w->a.st, tampered, strlen(tampered), NULL, "test"),
	    HL_EDENIED);
	assert_non_null(strstr(hl_error_last(), "last good copy"));
	assert_int_equal(hl_node_directory_info(&v, NULL, NULL, w->a.st), 0);
	assert_int_equal(v, held);
	assert_int_equal(sql_int(&w->a, "SELECT count(*) FROM exchange_peer WHERE unit = '06658'"),
	                 0);
	assert_int_equal(sql_int(&w->a, "SELECT count(*) FROM exchange_peer"), 3);
	free(tampered);

	/* The good newer copy: imported. */
	assert_int_equal(hl_node_directory_import(&v, w->a.st, newer, strlen(newer), NULL, "test"),
	                 0);
	assert_int_equal(v, held + 1);
	assert_int_equal(sql_int(&w->a, "SELECT count(*) FROM exchange_peer"), 4);
	/* The same again: nothing changes. An older one: refused, the newer kept. */
	assert_int_equal(hl_node_directory_import(&v, w->a.st, newer, strlen(newer), NULL, "test"),
	                 0);
	assert_int_equal(hl_node_directory_import(&v, w->a.st, dir, strlen(dir), NULL, "test"),
	                 HL_ECONFLICT);
	assert_non_null(strstr(hl_error_last(), "older"));
	assert_int_equal(hl_node_directory_info(&v, NULL, NULL, w->a.st), 0);
	assert_int_equal(v, held + 1);
	free(dir);
	free(newer);
}

/* A directory the hub signed that names a unit twice (Hà Tu, the second time revoked): refused
 * whole, the last good copy kept — else the node would keep whichever line came last, and the
 * signed directory would say two things of one node (found by fuzz_directory). */
static void test_directory_unit_twice(void **state)
{
	net *w = *state;
	char *dir = NULL, *canon = NULL, *twice, sig[HL_X_SIG_B64];
	int64_t v = 0, held = 0;
	size_t len = 0;
	json_t *t, *d, *nodes, *copy = NULL;

	assert_int_equal(hl_node_directory_info(&held, NULL, NULL, w->a.st), 0);
	assert_int_equal(hl_node_directory_export(&dir, w->hub.n), 0);
	assert_non_null(t = json_loads(dir, 0, NULL));
	d = json_object_get(t, "directory");
	nodes = json_object_get(d, "nodes");
	for (size_t i = 0; i < json_array_size(nodes); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(nodes, i), "unit")),
		            HATU))
			copy = json_deep_copy(json_array_get(nodes, i));
	assert_non_null(copy);
	json_object_set_new(copy, "revoked", json_true());
	json_array_append_new(nodes, copy);
	json_object_set_new(d, "version", json_integer(held + 1));
	assert_int_equal(hl_canon_encode(&canon, &len, d), 0);
	hl_exchange__sign(sig, w->hub.n, HL_X_CTX_DIRECTORY, canon, len);
	json_object_set_new(t, "signature", json_string(sig));
	assert_non_null(twice = json_dumps(t, JSON_COMPACT));

	assert_int_equal(hl_node_directory_import(&v, w->a.st, twice, strlen(twice), NULL, "test"),
	                 HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "node 06652 is listed twice"));
	assert_non_null(strstr(hl_error_last(), "last good copy"));
	assert_int_equal(hl_node_directory_info(&v, NULL, NULL, w->a.st), 0);
	assert_int_equal(v, held);
	assert_int_equal(sql_int(&w->a, "SELECT count(*) FROM exchange_peer "
	                                "WHERE unit = '06652' AND revoked = 0"),
	                 1);
	json_decref(t);
	free(twice);
	free(canon);
	free(dir);
}

/* ---- the secret key ---- */

static int in_file(const char *path, const void *needle, size_t n)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;
	int found = 0;
	if (!f)
		return 0;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)len + 1);
	if (len > 0 && fread(buf, 1, (size_t)len, f) == (size_t)len)
		found = memmem(buf, (size_t)len, needle, n) != NULL;
	free(buf);
	fclose(f);
	return found;
}

typedef struct {
	const char *needle;
	int seen, entries;
} audit_scan;

static int scan_audit(const hl_store_audit_row *r, void *ud)
{
	audit_scan *a = ud;
	a->entries++;
	if ((r->detail && strstr(r->detail, a->needle)) ||
	    (r->object && strstr(r->object, a->needle)))
		a->seen = 1;
	return 0;
}

static void test_secret_key_file(void **state)
{
	net *w = *state;
	char path[128], keys[96], wal[128], b64[100], seed_b64[60];
	unsigned char sk[64];
	struct stat sb;
	FILE *f;

	snprintf(keys, sizeof(keys), "%s/keys", w->hub.dir);
	snprintf(path, sizeof(path), "%s/node.key", keys);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(stat(keys, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(sk, 1, sizeof(sk), f), sizeof(sk));
	fclose(f);
	sodium_bin2base64(b64, sizeof(b64), sk, 64, sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(seed_b64, sizeof(seed_b64), sk, 32, sodium_base64_VARIANT_ORIGINAL);
	/* Checkpoint so that the database file holds everything, then look at every byte of the
	 * store (file and WAL) for the key, raw or in base64. */
	hl_node_free(w->hub.n);
	hl_store_free(w->hub.st);
	snprintf(wal, sizeof(wal), "%s-wal", w->hub.db);
	const char *files[] = {w->hub.db, wal};
	for (int i = 0; i < 2; i++) {
		assert_false(in_file(files[i], sk, 32));
		assert_false(in_file(files[i], b64, strlen(b64)));
		assert_false(in_file(files[i], seed_b64, 40));
	}
	/* The public half is there (so the search could find a key in the file). */
	unsigned char pk[32];
	char pk_b64[48];
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	sodium_bin2base64(pk_b64, sizeof(pk_b64), pk, 32, sodium_base64_VARIANT_ORIGINAL);
	assert_true(in_file(w->hub.db, pk_b64, strlen(pk_b64)));
	assert_int_equal(hl_store_open(&w->hub.st, w->hub.db, 0), 0);
	audit_scan a = {b64, 0, 0};
	assert_int_equal(hl_store_audit_since(w->hub.st, 0, 0, scan_audit, &a), 0);
	assert_true(a.entries >= 4); /* node.init and the enrolments */
	assert_false(a.seen);
	a.needle = seed_b64;
	assert_int_equal(hl_store_audit_since(w->hub.st, 0, 0, scan_audit, &a), 0);
	assert_false(a.seen);
	a.needle = pk_b64;
	assert_int_equal(hl_store_audit_since(w->hub.st, 0, 0, scan_audit, &a), 0);
	assert_true(a.seen); /* the scan sees what is there */
	/* A key file others can read is refused. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(hl_node_open(&w->hub.n, w->hub.st, w->hub.dir), HL_EDENIED);
	assert_non_null(strstr(hl_error_last(), "chmod 600"));
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(hl_node_open(&w->hub.n, w->hub.st, w->hub.dir), 0);
	/* A second init is refused: one identity per node. */
	assert_int_equal(hl_node_init(w->hub.st, w->hub.dir, HUB, "http://127.0.0.1/22", "test"),
	                 HL_ECONFLICT);
	sodium_memzero(sk, sizeof(sk));
}

/* ---- status ---- */

typedef struct {
	int64_t waiting, oldest, last_success, last_error_ms;
	char error[128];
} peer_st;

static int grab_status(const hl_exchange_peer_status *r, void *ud)
{
	peer_st *p = ud;
	if (strcmp(r->peer, HATU))
		return 0;
	p->waiting = r->waiting;
	p->oldest = r->oldest_waiting_ms;
	p->last_success = r->last_success_ms;
	p->last_error_ms = r->last_error_ms;
	snprintf(p->error, sizeof(p->error), "%s", r->last_error ? r->last_error : "");
	return 0;
}

static void test_status(void **state)
{
	net *w = *state;
	char id[37], id2[37], *receipt = NULL;
	peer_st p = {0};

	assert_int_equal(put(id, &w->hub, HATU, "document", "{}", NULL, 0, NULL, 0), 0);
	assert_int_equal(put(id2, &w->hub, HATU, "document", "{}", NULL, 0, NULL, 0), 0);
	assert_int_equal(hl_exchange_outbox_failed(w->hub.st, id, "connect 127.0.0.1: refused", 1),
	                 0);
	assert_int_equal(hl_exchange_status(w->hub.st, grab_status, &p), 0);
	assert_int_equal(p.waiting, 2);
	assert_true(p.oldest > 0);
	assert_int_equal(p.last_success, 0);
	assert_string_equal(p.error, "connect 127.0.0.1: refused");
	char *env = seal(&w->hub, id, 0);
	assert_int_equal(accept_env(&receipt, NULL, &w->a, env, strlen(env), NULL), 0);
	assert_int_equal(hl_exchange_outbox_delivered(w->hub.n, receipt, strlen(receipt)), 0);
	memset(&p, 0, sizeof(p));
	assert_int_equal(hl_exchange_status(w->hub.st, grab_status, &p), 0);
	assert_int_equal(p.waiting, 1);
	assert_true(p.last_success > 0);
	free(env);
	free(receipt);
}

/* ---- documents received by the hub's inbox, as the server calls it ---- */

/* The directory lets the communes send documents to the hub (both sides hold it). */
static void documents_to_hub(net *w)
{
	enrol(&w->hub, &w->hub, "*", "report,document", 1);
	enrol(&w->hub, &w->a, "report,document", "document,feed.units", 0);
	enrol(&w->hub, &w->b, "report,document", "document,feed.units", 1);
	publish(w, &w->a);
	publish(w, &w->b);
}

/* One public document of a "document" payload (no file). */
static void doc_json(char *out, size_t size, const char *doc_id, const char *fonds,
                     const char *dossier, int ordinal)
{
	snprintf(out, size,
	         "{\"access_level\":\"public\",\"doc_id\":\"%s\",\"doc_ordinal\":%d,"
	         "\"dossier_code\":\"%s\",\"fonds_code\":\"%s\",\"files\":[],"
	         "\"subject\":\"Công văn %s\"}",
	         doc_id, ordinal, dossier, fonds, doc_id);
}

/* A "document" message from `from` to the hub carrying `docs` (a JSON list's members), put
 * in the outbox and sealed: the envelope (malloc'd), its id in id. */
static char *doc_message(char id[37], node *from, const char *docs)
{
	size_t n = strlen(docs) + 32;
	char *payload = malloc(n);
	assert_non_null(payload);
	snprintf(payload, n, "{\"documents\":[%s]}", docs);
	if (put(id, from, HUB, "document", payload, NULL, 0, NULL, 0) != 0)
		fail_msg("put: %s", hl_error_last());
	free(payload);
	return seal(from, id, 0);
}

/* The envelopes as one NDJSON body. */
static char *ndjson(char **env, size_t n)
{
	size_t len = 1;
	char *body;
	for (size_t i = 0; i < n; i++)
		len += strlen(env[i]) + 1;
	body = calloc(1, len);
	assert_non_null(body);
	for (size_t i = 0; i < n; i++) {
		strcat(body, env[i]);
		strcat(body, "\n");
	}
	return body;
}

static const char *this_year(void)
{
	static char year[16];
	time_t now = time(NULL) + 7 * 3600;
	struct tm tm;
	gmtime_r(&now, &tm);
	snprintf(year, sizeof(year), "%04d", tm.tm_year + 1900);
	return year;
}

/* A message of a batch refused at the apply step after it filed a document in a dossier made
 * for it (the hub's register of this year) is undone alone (ROLLBACK TO its savepoint), and
 * the ids the connection remembered for that fonds and dossier go with it: another connection
 * then takes the same row ids for another unit's dossier, and the next document the inbox
 * files in the register goes in the register, not in that other dossier (before: filed in
 * KHAC/HS-1, a fonds of another unit, or refused when its number was taken there). */
static void test_batch_rollback_forgets_ids(void **state)
{
	net *w = *state;
	hub_archive h = {0};
	hl_exchange_results *res = NULL;
	hl_exchange_result one = {0};
	hl_exchange_reason why = HL_EXCHANGE_R_NONE;
	char d1[400], d2[400], docs[900], id[37], id2[37], want[80], *env, *body;
	hl_doc d = {0};
	int status = 0;

	documents_to_hub(w);
	hub_open(&h, w);
	add_doc(&w->hub, "DTINH", HL_ACCESS_PUBLIC); /* the province's own record */
	/* 06652's message: a letter (to the register), then the province's record (conflict) */
	doc_json(d1, sizeof(d1), "R1", "F22", "CV-01", 1);
	doc_json(d2, sizeof(d2), "DTINH", "F22", "HS-2025-01", 1);
	snprintf(docs, sizeof(docs), "%s,%s", d1, d2);
	env = doc_message(id, &w->a, docs);
	body = ndjson(&env, 1);
	assert_int_equal(hl_exchange_receive_batch(&res, &why, h.a, HATU, body, strlen(body)), 0);
	assert_int_equal(res->n, 1);
	assert_int_equal(res->v[0].state, 0);
	assert_int_equal(res->v[0].reason, HL_EXCHANGE_R_CONFLICT);
	hl_exchange_results_free(res);
	assert_string_equal(where(&h, "R1"), "");
	/* another connection files a record of another fonds: it takes the row ids undone */
	d.doc_id = "KHAC1";
	d.fonds_code = "KHAC";
	d.dossier_code = "HS-1";
	d.ordinal = 7;
	d.subject = "Hồ sơ khác";
	d.page_count = -1;
	assert_int_equal(hl_store_begin(w->hub.st), 0);
	assert_int_equal(hl_store_doc_put(&status, w->hub.st, &d, "test"), 0);
	assert_int_equal(hl_store_commit(w->hub.st), 0);
	/* 06673's letter to the register, through the same connection as the batch */
	free(env);
	doc_json(d1, sizeof(d1), "R3", "F22", "CV-02", 1);
	env = doc_message(id2, &w->b, d1);
	if (hl_exchange_receive(&one, h.a, env, strlen(env)) != 0)
		fail_msg("receive: %s", one.message);
	assert_int_equal(one.state, HL_EXCHANGE_APPLIED);
	hl_exchange_result_clear(&one);
	snprintf(want, sizeof(want), "VBDEN-22/%s/1", this_year());
	assert_string_equal(where(&h, "R3"), want);
	assert_string_equal(where(&h, "KHAC1"), "KHAC/HS-1/7");
	free(env);
	free(body);
	hl_archive_free(h.a);
}

/* A document whose number in its dossier is another's here (the sender's own fonds, filed as
 * sent) is refused with the reason conflict like the others: recorded under its message, the
 * batch goes on (the next message held), nothing of it kept. Before: a plain conflict without
 * a reason, the whole batch rolled back, every retry answered so. */
static void test_ordinal_clash_is_a_conflict(void **state)
{
	net *w = *state;
	hub_archive h = {0};
	hl_exchange_results *res = NULL;
	hl_exchange_result one = {0};
	hl_exchange_reason why = HL_EXCHANGE_R_NONE;
	char d[400], id[3][37], *env[3], *body;

	documents_to_hub(w);
	hub_open(&h, w);
	assert_int_equal(hl_custody_set_creator(hl_archive_store(h.a), "HATU-VB", HATU, NULL,
	                                        "UBND phường Hà Tu", "test"),
	                 0);
	doc_json(d, sizeof(d), "DHATU1", "HATU-VB", "CV-01", 3);
	env[0] = doc_message(id[0], &w->a, d);
	doc_json(d, sizeof(d), "DHATU9", "HATU-VB", "CV-01", 3); /* number 3 is DHATU1's */
	env[1] = doc_message(id[1], &w->a, d);
	doc_json(d, sizeof(d), "DHATU2", "HATU-VB", "CV-01", 4);
	env[2] = doc_message(id[2], &w->a, d);
	if (hl_exchange_receive(&one, h.a, env[0], strlen(env[0])) != 0)
		fail_msg("receive: %s", one.message);
	hl_exchange_result_clear(&one);
	body = ndjson(env + 1, 2);
	assert_int_equal(hl_exchange_receive_batch(&res, &why, h.a, HATU, body, strlen(body)), 0);
	assert_int_equal(res->n, 2);
	assert_int_equal(res->v[0].state, 0);
	assert_int_equal(res->v[0].reason, HL_EXCHANGE_R_CONFLICT);
	assert_int_equal(res->v[0].code, HL_EDENIED);
	assert_non_null(strstr(res->v[0].message, "number 3 of dossier CV-01"));
	assert_null(strstr(res->v[0].message, "DHATU1")); /* another's record is not named */
	assert_int_equal(res->v[1].state, HL_EXCHANGE_HELD);
	hl_exchange_results_free(res);
	assert_refused(&w->hub, "conflict", id[1], HATU);
	assert_string_equal(where(&h, "DHATU1"), "HATU-VB/CV-01/3");
	assert_string_equal(where(&h, "DHATU9"), "");
	assert_int_equal(sql_int(&w->hub, "SELECT count(*) FROM exchange_inbox WHERE state ="
	                                  " 'held'"),
	                 1);
	for (int i = 0; i < 3; i++)
		free(env[i]);
	free(body);
	hl_archive_free(h.a);
}

/* The status's peer errors and refusal details quote what peers answered and what they sent
 * (documents of any sender): like the outbox's, they are shown to this node's own unit, the
 * province and the operator; an archivist or inspector of another unit sees that something
 * failed or was refused, not why (before: everything, to any of them). */
static void test_status_hides_errors_from_other_units(void **state)
{
	net *w = *state;
	char id[37];
	struct {
		hl_principal p;
		int sees;
	} who[] = {{hl_principal_local("cli:test"), 1},
	           {staff("luutru", HL_ROLE_ARCHIVIST, HUB, 1), 1},
	           {staff("thanhtra", HL_ROLE_INSPECTOR, HUB, 0), 1},
	           {staff("luutru.hatu", HL_ROLE_ARCHIVIST, HATU, 0), 0},
	           {staff("thanhtra.hatu", HL_ROLE_INSPECTOR, HATU, 0), 0}};

	assert_int_equal(put(id, &w->hub, HATU, "document", "{}", NULL, 0, NULL, 0), 0);
	assert_int_equal(hl_exchange_outbox_failed(w->hub.st, id,
	                                           "HTTP 409: conflict: document "
	                                           "DBAICHAY7 exists here",
	                                           1),
	                 0);
	/* a refusal at the hub: a message of 06652 with the clock 10 minutes off */
	assert_int_equal(put(id, &w->a, HUB, "report", "{\"so\":\"BC-7\"}", NULL, 0, NULL, 0), 0);
	char *env = seal(&w->a, id, 10 * MIN_MS);
	assert_int_equal(accept_env(NULL, NULL, &w->hub, env, strlen(env), NULL), HL_EDENIED);
	free(env);
	for (size_t i = 0; i < sizeof(who) / sizeof(who[0]); i++) {
		json_t *o = NULL, *peer = NULL, *rej;
		size_t k;
		json_t *v;
		if (hl_exchange_status_json(&o, w->hub.st, &who[i].p, 10) != 0)
			fail_msg("status as %s: %s", who[i].p.username, hl_error_last());
		json_array_foreach(json_object_get(o, "peers"), k, v)
		{
			if (!strcmp(json_string_value(json_object_get(v, "peer")), HATU))
				peer = v;
		}
		assert_non_null(peer);
		rej = json_array_get(json_object_get(o, "rejected"), 0);
		assert_non_null(rej);
		assert_string_equal(json_string_value(json_object_get(rej, "reason")),
		                    "clock-skew");
		assert_non_null(json_object_get(peer, "last_error_at"));
		if (who[i].sees) {
			assert_non_null(strstr(
			    json_string_value(json_object_get(peer, "last_error")), "DBAICHAY7"));
			assert_non_null(
			    strstr(json_string_value(json_object_get(rej, "detail")), "ahead of"));
		} else {
			assert_string_equal(json_string_value(json_object_get(peer, "last_error")),
			                    "(not shown)");
			assert_string_equal(json_string_value(json_object_get(rej, "detail")),
			                    "(not shown)");
		}
		json_decref(o);
	}
}

/* The sealed envelope `env` of `from` with member `key` set to `val` (taken), signed again by
 * `from`: what a node of the directory could send. */
static char *resigned(node *from, const char *env, const char *key, json_t *val)
{
	json_t *o = json_loads(env, 0, NULL);
	char *text, *c = NULL, sig[HL_X_SIG_B64];
	size_t n = 0;
	assert_non_null(o);
	json_object_set_new(o, key, val);
	json_object_del(o, "sig");
	text = json_dumps(o, JSON_COMPACT);
	if (hl_exchange_canonical(&c, &n, text, strlen(text)) != 0)
		fail_msg("canonical: %s", hl_error_last());
	hl_exchange__sign(sig, from->n, HL_X_CTX_ENVELOPE, c, n);
	free(text);
	json_object_set_new(o, "sig", json_string(sig));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	free(c);
	return text;
}

/* An envelope naming one file several times among its attachments (each would be hashed again,
 * up to 1,000 times 2 GiB) is refused as malformed before any is read; the outbox does not
 * make one. A document message of more than 1,000 documents, or a document of more than
 * 10,000 files, is refused too-big. Nothing applied. */
static void test_attachment_and_document_limits(void **state)
{
	net *w = *state;
	char id[37], sha[65], dir[96], path[200], *env, *t;
	const char *report = "Báo cáo tháng 11/2025\n";
	int64_t size = (int64_t)strlen(report);
	hl_exchange_attachment att[2];
	json_t *list = json_array();
	int st = 0;

	hl_sha256_hex(sha, report, strlen(report));
	att[0] = (hl_exchange_attachment){sha, size, "baocao.txt"};
	att[1] = (hl_exchange_attachment){sha, size, "baocao-ban-sao.txt"};
	/* the outbox refuses to list a file twice */
	assert_int_equal(put(id, &w->a, HUB, "report", "{}", att, 2, NULL, 0), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "attachment 2"));
	/* a node that lists it three times anyway */
	assert_int_equal(put(id, &w->a, HUB, "report", "{}", att, 1, NULL, 0), 0);
	env = seal(&w->a, id, 0);
	for (int i = 0; i < 3; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:I}", "name", "baocao.txt",
		                                      "sha256", sha, "size", (json_int_t)size));
	t = resigned(&w->a, env, "attachments", list);
	snprintf(dir, sizeof(dir), "%s/incoming", w->hub.dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, sha);
	write_file(path, report);
	assert_int_equal(accept_env(NULL, &st, &w->hub, t, strlen(t), dir), HL_EINVALID);
	assert_refused(&w->hub, "malformed", id, NULL);
	assert_non_null(strstr(hl_error_last(), "attachment 2: the same SHA-256 as attachment 1"));
	free(t);
	free(env);

	/* 1,001 documents in one message; a document of 10,001 files */
	documents_to_hub(w);
	for (int pass = 0; pass < 2; pass++) {
		size_t cap = 1 << 22, len = 0;
		char *docs = malloc(cap), *payload = malloc(cap + 32);
		assert_non_null(docs);
		assert_non_null(payload);
		docs[0] = '\0';
		if (pass == 0) {
			for (int i = 0; i < 1001; i++) {
				char d[400];
				doc_json(d, sizeof(d), "DX", "HATU-VB", "CV-01", i + 1);
				len += (size_t)snprintf(docs + len, cap - len, "%s%s", i ? "," : "",
				                        d);
			}
		} else {
			len += (size_t)snprintf(
			    docs, cap,
			    "{\"access_level\":\"public\",\"doc_id\":\"DF\","
			    "\"doc_ordinal\":1,\"dossier_code\":\"CV-01\","
			    "\"fonds_code\":\"HATU-VB\",\"subject\":\"S\",\"files\":[");
			for (int i = 0; i < 10001; i++)
				len += (size_t)snprintf(docs + len, cap - len,
				                        "%s{\"name\":\"p%d.tif\",\"sha256\":\"%s\","
				                        "\"size\":%lld}",
				                        i ? "," : "", i, sha, (long long)size);
			len += (size_t)snprintf(docs + len, cap - len, "]}");
		}
		assert_true(len < cap - 1);
		snprintf(payload, cap + 32, "{\"documents\":[%s]}", docs);
		assert_int_equal(put(id, &w->a, HUB, "document", payload, NULL, 0, NULL, 0), 0);
		env = seal(&w->a, id, 0);
		assert_int_equal(accept_env(NULL, &st, &w->hub, env, strlen(env), dir), HL_ELIMIT);
		assert_refused(&w->hub, "too-big", id, HATU);
		assert_non_null(strstr(hl_error_last(), pass ? "document 1 (DF): 10001 files, over "
		                                               "the limit of 10000"
		                                             : "1001 documents, over the limit of "
		                                               "1000"));
		{
			hl_exchange_reason r = HL_EXCHANGE_R_NONE;
			char hash[65];
			assert_int_equal(hl_exchange__envelope_check(&r, hash, env, strlen(env)),
			                 HL_ELIMIT);
			assert_int_equal(r, HL_EXCHANGE_R_TOO_BIG);
		}
		free(env);
		free(docs);
		free(payload);
	}
	assert_int_equal(w->hub.applied, 0);
	assert_int_equal(sql_int(&w->hub, "SELECT count(*) FROM exchange_inbox"), 0);
}

/* Bytes this process has read (rchar of /proc/self/io): what a copy of a file costs. */
static int64_t bytes_read(void)
{
	FILE *f = fopen("/proc/self/io", "r");
	char line[128];
	long long v = -1;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "rchar: %lld", &v) == 1)
			break;
	fclose(f);
	assert_true(v >= 0);
	return v;
}

/* Six documents of one message sharing one 4 MiB file: each gets the file, and the file is
 * copied into the blob store once for the message, not once a document (the bytes read: the
 * inbox's hash and one copy, about 8 MiB; before, 28 MiB). */
static void test_shared_file_copied_once(void **state)
{
	net *w = *state;
	enum { NDOCS = 6, SIZE = 4 << 20 };
	hub_archive h = {0};
	hl_exchange_result one = {0};
	char id[37], sha[65], dir[4096], path[4200], docs[NDOCS * 400], *env, *data;
	hl_exchange_attachment att;
	size_t len = 0;
	int64_t before;
	FILE *f;

	documents_to_hub(w);
	hub_open(&h, w);
	assert_int_equal(
	    hl_custody_set_creator(hl_archive_store(h.a), "HATU-VB", HATU, NULL, NULL, "test"), 0);
	data = malloc(SIZE);
	assert_non_null(data);
	for (size_t i = 0; i < SIZE; i++)
		data[i] = (char)(i * 7 + i / 4096);
	hl_sha256_hex(sha, data, SIZE);
	assert_int_equal(hl_exchange__incoming_dir(dir, sizeof(dir), h.a), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, sha);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(data, 1, SIZE, f), SIZE);
	fclose(f);
	free(data);
	for (int i = 0; i < NDOCS; i++)
		len += (size_t)snprintf(docs + len, sizeof(docs) - len,
		                        "%s{\"access_level\":\"public\",\"doc_id\":\"DS%d\","
		                        "\"doc_ordinal\":%d,\"dossier_code\":\"CV-01\","
		                        "\"fonds_code\":\"HATU-VB\",\"subject\":\"Bản đồ\","
		                        "\"files\":[{\"name\":\"bando.tif\",\"sha256\":\"%s\","
		                        "\"size\":%d}]}",
		                        i ? "," : "", i, i + 1, sha, SIZE);
	{
		char *payload = malloc(len + 32);
		assert_non_null(payload);
		snprintf(payload, len + 32, "{\"documents\":[%s]}", docs);
		att = (hl_exchange_attachment){sha, SIZE, "bando.tif"};
		assert_int_equal(put(id, &w->a, HUB, "document", payload, &att, 1, NULL, 0), 0);
		free(payload);
	}
	env = seal(&w->a, id, 0);
	before = bytes_read();
	if (hl_exchange_receive(&one, h.a, env, strlen(env)) != 0)
		fail_msg("receive: %s", one.message);
	assert_int_equal(one.state, HL_EXCHANGE_APPLIED);
	assert_true(bytes_read() - before < 3 * (int64_t)SIZE);
	hl_exchange_result_clear(&one);
	for (int i = 0; i < NDOCS; i++) {
		char did[16];
		hl_doc *d = NULL;
		snprintf(did, sizeof(did), "DS%d", i);
		assert_int_equal(hl_store_doc_get(&d, hl_archive_store(h.a), did), 0);
		assert_int_equal(d->nfiles, 1);
		assert_string_equal(d->files[0].sha256, sha);
		hl_doc_free(d);
	}
	{
		char *blob = hl_blob_path(h.a, sha);
		assert_true(hl_file_exists(blob));
		free(blob);
	}
	free(env);
	hl_archive_free(h.a);
}

/* A sender's messages that come before their turn are held, within limits: at most 1,000
 * ahead of the last applied (a later one is refused 'sequence' and sent again once the gap
 * fills) and within the bytes held messages of one sender may take (here set small; 256 MiB
 * by default): over it 'too-big'. Each refusal is one line however many messages come, and the
 * stream goes on once the gap fills (before: every message held, whatever its sequence and
 * size). */
static void test_held_messages_are_limited(void **state)
{
	net *w = *state;
	char id[6][37], *env[6], *far[2];
	hl_exchange_accept_opts o = {0, NULL, apply_cb, &w->a, 0, NULL, 0};
	int st = 0;
	size_t held;

	for (int i = 0; i < 6; i++) {
		char payload[32];
		snprintf(payload, sizeof(payload), "{\"n\":%d}", i + 1);
		assert_int_equal(put(id[i], &w->hub, HATU, "feed.units", payload, NULL, 0, NULL, 0),
		                 0);
		env[i] = seal(&w->hub, id[i], 0);
	}
	/* sequence 1000 (with nothing applied yet) is held; 1001 is too far ahead */
	far[0] = resigned(&w->hub, env[4], "seq", json_integer(1000));
	assert_int_equal(accept_env(NULL, &st, &w->a, far[0], strlen(far[0]), NULL), 0);
	assert_int_equal(st, HL_EXCHANGE_HELD);
	far[1] = resigned(&w->hub, env[5], "seq", json_integer(1001));
	assert_int_equal(accept_env(NULL, &st, &w->a, far[1], strlen(far[1]), NULL), HL_EDENIED);
	assert_int_equal(hl_exchange_last_refusal(), HL_EXCHANGE_R_SEQUENCE);
	assert_non_null(strstr(hl_error_last(), "more than 1000 ahead"));
	assert_refused(&w->a, "sequence", "", HUB);
	assert_int_equal(accept_env(NULL, &st, &w->a, far[1], strlen(far[1]), NULL), HL_EDENIED);
	assert_int_equal(sql_int(&w->a, "SELECT count(*) FROM exchange_reject"), 1);

	/* held bytes: room for two more of these messages, not three */
	held = strlen(far[0]) + strlen(env[1]) + strlen(env[2]);
	o.max_held_bytes = held + strlen(env[3]) - 1;
	assert_int_equal(hl_exchange_inbox_accept(NULL, &st, w->a.n, env[1], strlen(env[1]), &o),
	                 0);
	assert_int_equal(st, HL_EXCHANGE_HELD);
	assert_int_equal(hl_exchange_inbox_accept(NULL, &st, w->a.n, env[2], strlen(env[2]), &o),
	                 0);
	assert_int_equal(st, HL_EXCHANGE_HELD);
	assert_int_equal(hl_exchange_inbox_accept(NULL, &st, w->a.n, env[3], strlen(env[3]), &o),
	                 HL_ELIMIT);
	assert_int_equal(hl_exchange_last_refusal(), HL_EXCHANGE_R_TOO_BIG);
	assert_refused(&w->a, "too-big", "", HUB);
	assert_int_equal(w->a.applied, 0);
	/* the gap fills: 1, 2, 3 applied; 4 comes again and is applied at once */
	assert_int_equal(hl_exchange_inbox_accept(NULL, &st, w->a.n, env[0], strlen(env[0]), &o),
	                 0);
	assert_int_equal(w->a.applied, 3);
	assert_int_equal(hl_exchange_inbox_accept(NULL, &st, w->a.n, env[3], strlen(env[3]), &o),
	                 0);
	assert_int_equal(st, HL_EXCHANGE_APPLIED);
	assert_int_equal(w->a.applied, 4);
	for (int i = 0; i < 6; i++)
		free(env[i]);
	free(far[0]);
	free(far[1]);
}

/* A held message refused when the gap before it fills (here: it would change the province's
 * own record) is refused under its own id, its row kept as 'refused', and the stream goes on:
 * the message that filled the gap is applied, and so is the held one after it — alone and in a
 * batch. (Before: the refusal was recorded under the id of the message that filled the gap, which
 * was rolled back with everything after it, on every retry: the stream stuck.) */
static void test_held_message_refused_under_its_own_id(void **state)
{
	net *w = *state;
	hub_archive h = {0};
	hl_exchange_results *res = NULL;
	hl_exchange_result one = {0};
	hl_exchange_reason why = HL_EXCHANGE_R_NONE;
	node *from[2] = {&w->a, &w->b};
	const char *unit[2] = {HATU, BAICHAY};
	char d[400], id[3][37], *env[3], q[200];

	documents_to_hub(w);
	hub_open(&h, w);
	add_doc(&w->hub, "DTINH", HL_ACCESS_PUBLIC); /* the province's own record */
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < 3; i++) {
			char did[16];
			snprintf(did, sizeof(did), "L%d%d", k, i);
			/* the second message would change DTINH: refused at apply */
			doc_json(d, sizeof(d), i == 1 ? "DTINH" : did, "F22", "CV-01", 1);
			env[i] = doc_message(id[i], from[k], d);
		}
		if (k == 0) {
			/* one by one: 3 and 2 held, then 1 */
			for (int i = 2; i >= 0; i--) {
				if (hl_exchange_receive(&one, h.a, env[i], strlen(env[i])) != 0)
					fail_msg("receive %d: %s", i, one.message);
				assert_int_equal(one.state,
				                 i ? HL_EXCHANGE_HELD : HL_EXCHANGE_APPLIED);
				hl_exchange_result_clear(&one);
			}
		} else {
			/* batches: 3 and 2, then 1 */
			char *two[2] = {env[2], env[1]}, *body = ndjson(two, 2);
			assert_int_equal(
			    hl_exchange_receive_batch(&res, &why, h.a, unit[k], body, strlen(body)),
			    0);
			assert_int_equal(res->v[0].state, HL_EXCHANGE_HELD);
			assert_int_equal(res->v[1].state, HL_EXCHANGE_HELD);
			hl_exchange_results_free(res);
			free(body);
			body = ndjson(env, 1);
			assert_int_equal(
			    hl_exchange_receive_batch(&res, &why, h.a, unit[k], body, strlen(body)),
			    0);
			assert_int_equal(res->n, 1);
			if (res->v[0].state != HL_EXCHANGE_APPLIED)
				fail_msg("batch: %s", res->v[0].message);
			hl_exchange_results_free(res);
			free(body);
		}
		assert_refused(&w->hub, "conflict", id[1], unit[k]);
		snprintf(q, sizeof(q),
		         "SELECT group_concat(state, ',') FROM (SELECT state FROM exchange_inbox"
		         " WHERE sender = '%s' ORDER BY seq)",
		         unit[k]);
		{
			sqlite3 *db = NULL;
			sqlite3_stmt *s1 = NULL;
			assert_int_equal(sqlite3_open(w->hub.db, &db), SQLITE_OK);
			assert_int_equal(sqlite3_prepare_v2(db, q, -1, &s1, NULL), SQLITE_OK);
			assert_int_equal(sqlite3_step(s1), SQLITE_ROW);
			assert_string_equal((const char *)sqlite3_column_text(s1, 0),
			                    "applied,refused,applied");
			sqlite3_finalize(s1);
			sqlite3_close(db);
		}
		for (int i = 0; i < 3; i += 2) {
			char did[16];
			snprintf(did, sizeof(did), "L%d%d", k, i);
			assert_true(where(&h, did)[0] != '\0');
		}
		/* the message that filled the gap, again: a duplicate */
		assert_int_equal(hl_exchange_receive(&one, h.a, env[0], strlen(env[0])), 0);
		assert_int_equal(one.state, HL_EXCHANGE_DUPLICATE);
		hl_exchange_result_clear(&one);
		for (int i = 0; i < 3; i++)
			free(env[i]);
	}
	assert_string_equal(where(&h, "DTINH"), "F22/HS-2025-01/1");
	hl_archive_free(h.a);
}

/* Anyone can post to the inbox. Refusals made before a signature verified name their sender
 * only as "unverified: X" (X a node of the directory), or not at all and then at most one a
 * minute; and they are at most 100 of the 1,000 kept: a flood of forged, malformed or
 * unknown-sender envelopes, and of forged uploads, never pushes out the refusals of signed
 * messages (here a clock 10 minutes off). Before: a line each, the claimed sender as if known,
 * the real refusal pushed out. */
static void test_refusal_flood(void **state)
{
	net *w = *state;
	char id[37], skew_id[37], *env, *t;
	last_reject l = {0};

	assert_int_equal(put(skew_id, &w->hub, HATU, "document", "{\"so\":0}", NULL, 0, NULL, 0),
	                 0);
	env = seal(&w->hub, skew_id, 10 * MIN_MS);
	assert_int_equal(accept_env(NULL, NULL, &w->a, env, strlen(env), NULL), HL_EDENIED);
	assert_refused(&w->a, "clock-skew", skew_id, HUB);
	free(env);
	for (int i = 0; i < 1100; i++) {
		char payload[32];
		/* altered after signing (each its own message), cut short, or from a unit nobody
		 * enrolled */
		snprintf(payload, sizeof(payload), "{\"so\":%d}", i + 1);
		if (i % 3 != 1) {
			assert_int_equal(
			    put(id, &w->hub, HATU, "document", payload, NULL, 0, NULL, 0), 0);
			env = seal(&w->hub, id, 0);
		} else {
			env = strdup("{\"from\":\"22\",\"v\":1");
		}
		if (i % 3 == 2) {
			char *p = strstr(env, "\"from\":\"22\"");
			assert_non_null(p);
			assert_non_null(t = malloc(strlen(env) + 4));
			sprintf(t, "%.*s\"from\":\"99999\"%s", (int)(p - env), env, p + 11);
		} else {
			t = strdup(env);
		}
		if (i % 3 == 0)
			t[strlen(t) - 20] = t[strlen(t) - 20] == 'A' ? 'B' : 'A';
		int rc = accept_env(NULL, NULL, &w->a, t, strlen(t), NULL);
		assert_true(rc == HL_EDENIED || rc == HL_EINVALID);
		free(t);
		free(env);
	}
	/* uploads refused before their signature verified: the same rule */
	{
		hl_exchange_chunk c = {0};
		hl_exchange_upload_state u;
		hl_exchange_reason why = HL_EXCHANGE_R_NONE;
		hl_archive *a = NULL;
		char now[24];
		assert_int_equal(hl_archive_init(w->a.dir), 0);
		assert_int_equal(hl_archive_open(&a, w->a.dir), 0);
		snprintf(now, sizeof(now), "%lld", (long long)hl_exchange__now_ms());
		c.sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
		c.signature = "AAAA"; /* not its signature */
		c.time_ms = now;
		c.size = 4;
		c.len = 4;
		c.chunk = "abcd";
		for (int i = 0; i < 40; i++) {
			c.from = i % 2 ? HUB : "FORGED-9";
			assert_int_equal(hl_exchange_attachment_put(&u, &why, a, &c), HL_EDENIED);
		}
		hl_archive_free(a);
	}
	/* the refusal of the signed message is still there, named */
	assert_int_equal(sql_int(&w->a, "SELECT count(*) FROM exchange_reject WHERE reason ="
	                                " 'clock-skew' AND sender = '22'"),
	                 1);
	assert_int_equal(sql_int(&w->a, "SELECT count(*) FROM exchange_reject"), 101);
	/* the others never name a sender as if it had signed; one without a sender a minute */
	assert_int_equal(sql_int(&w->a, "SELECT count(*) FROM exchange_reject WHERE sender <>"
	                                " 'unverified: 22' AND reason <> 'clock-skew'"),
	                 0);
	assert_true(sql_int(&w->a, "SELECT count(*) FROM exchange_reject WHERE sender IS NULL") <=
	            1);
	assert_int_equal(hl_exchange_rejects(w->a.st, 1, grab_reject, &l), 0);
	assert_string_equal(l.sender, "unverified: " HUB);
}

/* A document whose doc_id, fonds_code or dossier_code is empty is refused as malformed by the
 * apply step, naming the field (before: taken as absent, then printed as a NULL string or
 * looked up). */
static void test_empty_document_fields_refused(void **state)
{
	net *w = *state;
	hub_archive h = {0};
	struct {
		const char *id, *fonds, *dossier, *field;
	} bad[] = {{"", "F22", "CV-01", "doc_id"},
	           {"DE1", "", "CV-01", "fonds_code"},
	           {"DE2", "F22", "", "dossier_code"}};
	hub_open(&h, w);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    receive_doc(&h, HATU, bad[i].id, bad[i].fonds, bad[i].dossier, 1, "Công văn"),
		    HL_EINVALID);
		assert_int_equal(hl_exchange_last_refusal(), HL_EXCHANGE_R_MALFORMED);
		assert_non_null(strstr(hl_error_last(), bad[i].field));
		assert_non_null(strstr(hl_error_last(), "empty"));
	}
	assert_int_equal(sql_int(&w->hub, "SELECT count(*) FROM document"), 0);
	hl_archive_free(h.a);
}

/* A batch body over 16 MiB is refused too-big by the library itself, before a line of it is
 * read, whoever calls it (before: only the server's route limit stood in the way). */
static void test_batch_body_limit(void **state)
{
	net *w = *state;
	hub_archive h = {0};
	hl_exchange_results *res = NULL;
	hl_exchange_reason why = HL_EXCHANGE_R_NONE;
	size_t len = (size_t)HL_EXCHANGE_MAX_ENVELOPE + 1;
	char *body = malloc(len);
	assert_non_null(body);
	memset(body, '\n', len);
	hub_open(&h, w);
	assert_int_equal(hl_exchange_receive_batch(&res, &why, h.a, HATU, body, len), HL_ELIMIT);
	assert_int_equal(why, HL_EXCHANGE_R_TOO_BIG);
	assert_null(res);
	assert_non_null(strstr(hl_error_last(), "over the limit"));
	/* at the limit: read (nothing in it but empty lines) */
	assert_int_equal(hl_exchange_receive_batch(&res, &why, h.a, HATU, body, len - 1), 0);
	assert_int_equal(res->n, 0);
	hl_exchange_results_free(res);
	free(body);
	hl_archive_free(h.a);
}

/* More documents than one message carries (1,000) is a limit, said as one (HL_ELIMIT), for a
 * list and for a dossier alike; nothing put in the outbox. */
static void test_send_over_the_limit(void **state)
{
	net *w = *state;
	hl_principal cli = hl_principal_local("cli:test");
	enum { N = HL_EXCHANGE_MAX_SEND + 1 };
	char **ids = calloc(N, sizeof(*ids));
	hl_exchange_send_req q = {HATU, NULL, 0, NULL};
	hl_exchange_sent *s = NULL;
	int status = 0;

	assert_non_null(ids);
	assert_int_equal(hl_store_begin(w->hub.st), 0);
	for (int i = 0; i < N; i++) {
		hl_doc d = {0};
		char id[32];
		snprintf(id, sizeof(id), "DL%04d", i);
		assert_non_null(ids[i] = strdup(id));
		d.doc_id = id;
		d.fonds_code = "F22";
		d.dossier_code = "HS-LON";
		d.ordinal = i + 1;
		d.subject = "Hồ sơ lớn";
		d.page_count = -1;
		assert_int_equal(hl_store_doc_put(&status, w->hub.st, &d, "test"), 0);
	}
	assert_int_equal(hl_store_commit(w->hub.st), 0);
	q.doc_ids = (const char *const *)ids;
	q.ndocs = N;
	assert_int_equal(hl_exchange_send_documents(&s, w->hub.n, &cli, &q), HL_ELIMIT);
	assert_non_null(strstr(hl_error_last(), "at most 1000"));
	q.doc_ids = NULL;
	q.ndocs = 0;
	q.dossier = "F22/HS-LON";
	assert_int_equal(hl_exchange_send_documents(&s, w->hub.n, &cli, &q), HL_ELIMIT);
	assert_non_null(strstr(hl_error_last(), "more than 1000"));
	assert_int_equal(sql_int(&w->hub, "SELECT count(*) FROM exchange_outbox"), 0);
	for (int i = 0; i < N; i++)
		free(ids[i]);
	free(ids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_canonical),
	    cmocka_unit_test(test_canonical_nfc_fast_path),
	    cmocka_unit_test(test_uuid7),
	    cmocka_unit_test_setup_teardown(test_sign_verify, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deliver_receipt_replay, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_payload_like_envelope, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batch_receipts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_forged_signature, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_and_revoked_sender, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_recipient_and_type, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clock_skew, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_attachments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_secret_never_leaves, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_document_levels_at_the_inbox, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restricted_document_to_a_node_not_cleared, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_document_levels_at_the_apply_step, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_fonds_a_message_may_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_send_documents_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_parse_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_outbox_is_transactional, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_out_of_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_delivery, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_directory_unit_twice, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_secret_key_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_status, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batch_rollback_forgets_ids, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ordinal_clash_is_a_conflict, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_status_hides_errors_from_other_units, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_attachment_and_document_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shared_file_copied_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_held_messages_are_limited, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_held_message_refused_under_its_own_id, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_refusal_flood, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_document_fields_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batch_body_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_send_over_the_limit, setup, teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("exchange", tests, NULL, NULL);
}
