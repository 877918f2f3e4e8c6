/* Fuzz target of a reference-data feed entry as a commune receives it (hl_feed__entry_parse:
 * the size, strict JSON, the form, the hash of the signed part and every file's SHA-256 and
 * size; no store, key or network). A refusal is HL_EINVALID, HL_EDENIED or HL_ELIMIT with one
 * clear line saying which entry and why. What is accepted carries exactly the files it lists —
 * each once, each a file of the feed, its bytes those the signed part names — and reads the same
 * again. Signed here with a fixed key (the hub's part), it verifies; a byte of it changed either
 * is refused, or does not verify, or leaves the signed part and the files as they were. */
#define FUZZ_NAME "fuzz_feed_entry"
#include "fuzz_util.h"

#include <jansson.h>

#include "exchange/canon.h"
#include "feed/feed_int.h"
#include "halong/exchange.h"
#include "halong/feed.h"
#include "halong/units.h"
#include "halong/util.h"

/* An entry may be 32 MiB (the whole units data is 1.7 MB); the checks are the same on less. */
#define FUZZ_MAX_INPUT (128 * 1024)
#define FUZZ_CHANGES   8

static int feed_file(const char *name)
{
	for (const char *const *f = hl_units_files; *f; f++)
		if (!strcmp(*f, name))
			return 1;
	return 0;
}

static void check_refusal(int rc)
{
	const char *m = hl_error_last();
	CHECK(rc == HL_EINVALID || rc == HL_EDENIED || rc == HL_ELIMIT);
	CHECK(hl_error_code() == rc);
	fuzz_message_ok(m);
	/* "malformed: ..." before the entry's seq is known, "entry N: WHAT: ..." after */
	CHECK(!strncmp(m, "malformed: ", 11) || !strncmp(m, "entry ", 6));
}

/* The files listed are the files carried: each listed once, each one of the feed's, with the
 * size and SHA-256 of what is carried, and nothing carried that is not listed. */
static void check_files(const hl_feed__entry *e)
{
	size_t n = json_array_size(e->files);
	const char *key;
	json_t *v;
	CHECK(n >= 1 && n == json_object_size(e->data));
	for (size_t i = 0; i < n; i++) {
		json_t *f = json_array_get(e->files, i);
		const char *name = json_string_value(json_object_get(f, "name"));
		json_t *d;
		char h[65];
		CHECK(name && feed_file(name));
		for (size_t j = 0; j < i; j++)
			if (!strcmp(name, json_string_value(json_object_get(
			                      json_array_get(e->files, j), "name")))) {
				fprintf(stderr, "%s: file %s is listed twice (files %zu and %zu)\n",
				        FUZZ_NAME, name, j + 1, i + 1);
				CHECK(!"a file listed twice is accepted");
			}
		d = json_object_get(e->data, name);
		CHECK(json_is_string(d));
		hl_sha256_hex(h, json_string_value(d), json_string_length(d));
		CHECK(!strcmp(h, json_string_value(json_object_get(f, "sha256"))));
		CHECK(json_integer_value(json_object_get(f, "size")) ==
		      (json_int_t)json_string_length(d));
	}
	json_object_foreach(e->data, key, v)
	{
		int listed = 0;
		for (size_t i = 0; i < n && !listed; i++)
			listed = !strcmp(key, json_string_value(json_object_get(
			                          json_array_get(e->files, i), "name")));
		if (!listed)
			fprintf(stderr, "%s: file %s is carried, not listed\n", FUZZ_NAME, key);
		CHECK(listed);
	}
}

static void check_accepted(const hl_feed__entry *e)
{
	char *c = NULL, h[65];
	size_t n = 0;
	CHECK(json_is_object(e->root) && json_is_object(e->entry) && json_is_object(e->data));
	CHECK(json_object_size(e->entry) == 7);
	CHECK(!strcmp(json_string_value(json_object_get(e->entry, "feed")), "units"));
	CHECK(json_integer_value(json_object_get(e->entry, "v")) == 1);
	CHECK(e->seq >= 1 && e->seq == json_integer_value(json_object_get(e->entry, "seq")));
	CHECK(e->prev && e->hub && e->sig && e->sha);
	/* the hash: SHA-256 of the canonical bytes of "entry", what the hub signs */
	CHECK(hl_canon_encode(&c, &n, e->entry) == 0);
	CHECK(n == e->clen && !memcmp(c, e->canon, n));
	hl_sha256_hex(h, c, n);
	CHECK(!strcmp(h, e->hash) && !strcmp(h, e->sha));
	free(c);
	check_files(e);
}

/* An entry made of e's parts, with the signature `sig` (NULL: e's), as JSON text. */
static char *rebuild(size_t *n, const hl_feed__entry *e, const char *sig)
{
	json_t *o = json_pack("{s:O,s:s,s:s,s:O}", "entry", e->entry, "sha256", e->sha, "sig",
	                      sig ? sig : e->sig, "data", e->data);
	char *t;
	CHECK(o);
	t = json_dumps(o, JSON_COMPACT);
	CHECK(t);
	*n = strlen(t);
	json_decref(o);
	return t;
}

static void check_same(const hl_feed__entry *a, const hl_feed__entry *b)
{
	CHECK(a->seq == b->seq && !strcmp(a->hash, b->hash) && !strcmp(a->prev, b->prev));
	CHECK(!strcmp(a->hub, b->hub));
	CHECK(a->clen == b->clen && !memcmp(a->canon, b->canon, a->clen));
	CHECK(json_equal(a->data, b->data));
}

static void check_signed(const hl_feed__entry *e, const uint8_t *data, size_t size)
{
	char sig[89];
	size_t n;
	hl_feed__entry x;
	uint64_t seed = fuzz_seed(data, size);
	char *text;

	fuzz_sign(sig, HL_FEED_CTX, e->canon, e->clen);
	text = rebuild(&n, e, sig);
	CHECK(hl_feed__entry_parse(&x, text, n, "units") == 0);
	check_same(e, &x);
	CHECK(hl_exchange_verify(x.sig, fuzz_key_get()->pk_b64, HL_FEED_CTX, x.canon, x.clen) == 0);
	/* a page head's context is another kind of signature */
	CHECK(hl_exchange_verify(x.sig, fuzz_key_get()->pk_b64, HL_FEED_HEAD_CTX, x.canon,
	                         x.clen) == HL_EDENIED);
	hl_feed__entry_free(&x);

	for (int i = 0; i < FUZZ_CHANGES; i++) {
		uint64_t r = fuzz_next(&seed);
		char *m = fuzz_flip(text, n, (size_t)(r % n), r >> 32);
		int rc = hl_feed__entry_parse(&x, m, n, "units");
		if (rc < 0) {
			check_refusal(rc);
		} else if (hl_exchange_verify(x.sig, fuzz_key_get()->pk_b64, HL_FEED_CTX, x.canon,
		                              x.clen) == 0) {
			/* verified: the signed part, and through it the files, are unchanged */
			check_same(e, &x);
		} else {
			fuzz_message_ok(hl_error_last());
		}
		hl_feed__entry_free(&x);
		free(m);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	hl_feed__entry e, again;
	char *text;
	size_t n;
	int rc;

	if (!once) {
		once = 1;
		/* over the limit: refused before a byte is read */
		rc = hl_feed__entry_parse(&e, "x", HL_FEED_MAX_ENTRY + 1u, "units");
		CHECK(rc == HL_ELIMIT);
		fuzz_message_ok(hl_error_last());
		hl_feed__entry_free(&e);
		/* a feed this halong does not know */
		CHECK(hl_feed__entry_parse(&e, "{}", 2, "plans") == HL_ENOTFOUND);
		fuzz_message_ok(hl_error_last());
		hl_feed__entry_free(&e);
		hl_feed__entry_free(NULL);
	}
	if (size > FUZZ_MAX_INPUT)
		return 0;
	rc = hl_feed__entry_parse(&e, (const char *)data, size, "units");
	if (rc < 0) {
		check_refusal(rc);
		hl_feed__entry_free(&e);
		return 0;
	}
	CHECK(rc == 0);
	check_accepted(&e);
	/* the same entry written again (compact, another order of bytes) reads the same */
	text = rebuild(&n, &e, NULL);
	CHECK(hl_feed__entry_parse(&again, text, n, "units") == 0);
	check_same(&e, &again);
	hl_feed__entry_free(&again);
	free(text);
	check_signed(&e, data, size);
	hl_feed__entry_free(&e);
	return 0;
}
