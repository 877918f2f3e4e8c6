/* Fuzz target of the hub's signed directory as a commune imports it
 * (hl_exchange__directory_parse: the size, strict JSON, the shape, the canonical bytes the
 * signature covers, the header and every node; no store, no key). A refusal is HL_EINVALID (or
 * HL_ELIMIT for the size, checked before a byte is read) with one clear line. What is accepted
 * holds only checked nodes — a unit code, an http(s) URL, a 32-byte key, two flags, lists of
 * message types — each unit once (a unit named twice would leave the node to keep whichever came
 * last), and reads the same again from its canonical text. Signed here with a fixed key over the
 * canonical bytes, as the hub signs it, it verifies; a byte of it changed does not, unless what
 * the signature covers is unchanged. */
#define FUZZ_NAME "fuzz_directory"
#include "fuzz_util.h"

#include <jansson.h>

#include "exchange/exchange_int.h"
#include "halong/exchange.h"

/* A directory may be 4 MiB (thousands of nodes); its checks are the same on a few. */
#define FUZZ_MAX_INPUT (64 * 1024)
#define FUZZ_CHANGES   8

static char *canon_of(size_t *n, const json_t *v)
{
	char *c = NULL;
	CHECK(hl_canon_encode(&c, n, v) == 0 && c);
	return c;
}

/* The comma-separated list a node's JSON array of types must have become. */
static void check_types(const char *list, const json_t *a)
{
	size_t at = 0;
	CHECK(list && json_is_array(a));
	for (size_t i = 0; i < json_array_size(a); i++) {
		const char *t = json_string_value(json_array_get(a, i));
		size_t k;
		CHECK(t && (!strcmp(t, "*") || hl_exchange__valid_type(t)));
		k = strlen(t);
		if (i)
			CHECK(list[at++] == ',');
		CHECK(!strncmp(list + at, t, k));
		at += k;
	}
	CHECK(list[at] == '\0');
}

static void check_url(const char *u)
{
	size_t n = strlen(u);
	CHECK(n >= 8 && n <= 512);
	CHECK(!strncmp(u, "http://", 7) || !strncmp(u, "https://", 8));
	for (; *u; u++)
		CHECK((unsigned char)*u > ' ' && *u != 0x7f);
}

/* What an accepted directory holds, read again from its JSON. */
static void check_accepted(const hl_exchange__dir *d)
{
	json_t *nodes = json_object_get(d->dir, "nodes");
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	size_t n;
	char *c;

	CHECK(json_is_object(d->root) && json_object_size(d->root) == 2);
	CHECK(json_is_object(d->dir) && d->signature);
	c = canon_of(&n, d->dir);
	CHECK(n == d->clen && !memcmp(c, d->canon, n) && strlen(d->canon) == n);
	free(c);
	CHECK(d->version == json_integer_value(json_object_get(d->dir, "version")));
	CHECK(d->issued_ms == json_integer_value(json_object_get(d->dir, "issued_ms")));
	CHECK(json_is_array(nodes) && d->n == json_array_size(nodes));
	for (size_t i = 0; i < d->n; i++) {
		const hl_node_row *r = &d->rows[i];
		json_t *x = json_array_get(nodes, i);
		CHECK(hl_exchange__valid_unit(r->unit));
		check_url(r->url);
		CHECK(hl_exchange__key_decode(pk, r->public_key) == 0);
		CHECK(r->restricted == json_is_true(json_object_get(x, "restricted")));
		CHECK(r->revoked == json_is_true(json_object_get(x, "revoked")));
		check_types(r->may_send, json_object_get(x, "may_send"));
		check_types(r->may_receive, json_object_get(x, "may_receive"));
		for (size_t j = 0; j < i; j++)
			if (!strcmp(d->rows[j].unit, r->unit)) {
				fprintf(stderr, "%s: unit %s is nodes %zu and %zu\n", FUZZ_NAME,
				        r->unit, j + 1, i + 1);
				CHECK(!"a unit named twice is accepted");
			}
	}
}

/* Two parses of one directory give the same nodes. */
static void check_same(const hl_exchange__dir *a, const hl_exchange__dir *b)
{
	CHECK(a->version == b->version && a->issued_ms == b->issued_ms && a->n == b->n);
	CHECK(a->clen == b->clen && !memcmp(a->canon, b->canon, a->clen));
	for (size_t i = 0; i < a->n; i++) {
		const hl_node_row *x = &a->rows[i], *y = &b->rows[i];
		CHECK(!strcmp(x->unit, y->unit) && !strcmp(x->url, y->url));
		CHECK(!strcmp(x->public_key, y->public_key));
		CHECK(!strcmp(x->may_send, y->may_send) && !strcmp(x->may_receive, y->may_receive));
		CHECK(x->restricted == y->restricted && x->revoked == y->revoked);
	}
}

static void check_signed(const hl_exchange__dir *d, const uint8_t *data, size_t size)
{
	char sig[89], *text;
	size_t n;
	json_t *s;
	hl_exchange__dir e;
	uint64_t seed = fuzz_seed(data, size);

	fuzz_sign(sig, HL_X_CTX_DIRECTORY, d->canon, d->clen);
	s = json_pack("{s:O,s:s}", "directory", d->dir, "signature", sig);
	CHECK(s);
	text = canon_of(&n, s);
	json_decref(s);
	CHECK(hl_exchange__directory_parse(&e, text, n) == 0);
	check_same(d, &e);
	CHECK(hl_exchange__verify(e.signature, fuzz_key_get()->pk_b64, HL_X_CTX_DIRECTORY, e.canon,
	                          e.clen) == 0);
	/* the signature of another kind of object (a receipt's context) does not pass */
	CHECK(hl_exchange__verify(e.signature, fuzz_key_get()->pk_b64, HL_X_CTX_RECEIPT, e.canon,
	                          e.clen) == -1);
	hl_exchange__directory_free(&e);

	for (int i = 0; i < FUZZ_CHANGES; i++) {
		uint64_t r = fuzz_next(&seed);
		char *m = fuzz_flip(text, n, (size_t)(r % n), r >> 32);
		int rc = hl_exchange__directory_parse(&e, m, n);
		if (rc < 0) {
			CHECK(rc == HL_EINVALID);
			fuzz_message_ok(hl_error_last());
		}
		/* The import verifies once the canonical bytes are read (before the header and
		 * the nodes): if they verify, they are the bytes signed. */
		if (e.canon && hl_exchange__verify(e.signature, fuzz_key_get()->pk_b64,
		                                   HL_X_CTX_DIRECTORY, e.canon, e.clen) == 0) {
			if (e.clen != d->clen || memcmp(e.canon, d->canon, d->clen))
				fprintf(stderr, "%s: a changed directory verifies:\n%s\n",
				        FUZZ_NAME, m);
			CHECK(e.clen == d->clen && !memcmp(e.canon, d->canon, d->clen));
			if (rc == 0)
				check_same(d, &e);
		}
		hl_exchange__directory_free(&e);
		free(m);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	hl_exchange__dir d, again;
	char *c;
	size_t n;
	int rc;

	if (!once) {
		/* Over the limit: refused before a byte is read. */
		once = 1;
		rc = hl_exchange__directory_parse(&d, "x", HL_EXCHANGE_MAX_DIRECTORY + 1u);
		CHECK(rc == HL_ELIMIT);
		fuzz_message_ok(hl_error_last());
		hl_exchange__directory_free(&d);
	}
	if (size > FUZZ_MAX_INPUT)
		return 0;
	rc = hl_exchange__directory_parse(&d, (const char *)data, size);
	if (rc < 0) {
		CHECK(rc == HL_EINVALID && hl_error_code() == rc);
		fuzz_message_ok(hl_error_last());
		hl_exchange__directory_free(&d);
		return 0;
	}
	CHECK(rc == 0);
	check_accepted(&d);
	/* its canonical text reads the same */
	c = canon_of(&n, d.root);
	CHECK(hl_exchange__directory_parse(&again, c, n) == 0);
	check_same(&d, &again);
	hl_exchange__directory_free(&again);
	free(c);
	check_signed(&d, data, size);
	hl_exchange__directory_free(&d);
	hl_exchange__directory_free(NULL);
	return 0;
}
