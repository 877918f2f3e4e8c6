/* Fuzz target of an envelope as a node receives it over HTTP (hl_exchange__envelope_check: the
 * inbox's checks that need no store, directory or clock). A refusal has its reason (malformed,
 * newer-version, access-denied) with the code that goes with it and one clear line. An accepted
 * envelope has every field and nothing more, documents no higher than the envelope says and never
 * secret, and a hash that its canonical text and another sent_ms keep. Signed here with a fixed
 * key, it verifies (the public verb and the inbox's one-pass verify-and-hash, which must give the
 * same hash and payload), does not verify with another key, and a byte of it changed does not
 * verify unless the change leaves the signed meaning the same (the canonical bytes). */
#define FUZZ_NAME "fuzz_envelope"
#include "fuzz_util.h"

#include <jansson.h>

#include "exchange/exchange_int.h"
#include "halong/auth.h"
#include "halong/exchange.h"
#include "halong/util.h"

/* An envelope may be 16 MiB, but its checks are the same on a few kilobytes. */
#define FUZZ_MAX_INPUT (64 * 1024)
#define FUZZ_CHANGES   8 /* bytes changed in each envelope signed here */

static int is_hex64(const char *h)
{
	if (strlen(h) != 64)
		return 0;
	for (; *h; h++)
		if (!((*h >= '0' && *h <= '9') || (*h >= 'a' && *h <= 'f')))
			return 0;
	return 1;
}

static char *canon_of(size_t *n, const json_t *v)
{
	char *c = NULL;
	int rc = hl_canon_encode(&c, n, v);
	if (rc != 0)
		fprintf(stderr, "%s: canon: %s\n", FUZZ_NAME, hl_error_last());
	CHECK(rc == 0 && c);
	return c;
}

/* The canonical bytes of `root` without `drop1` and `drop2` (NULL: none), and their SHA-256. */
static char *canon_without(size_t *n, char hash[65], const json_t *root, const char *drop1,
                           const char *drop2)
{
	json_t *c = json_copy((json_t *)root);
	char *t;
	CHECK(c);
	if (drop1)
		json_object_del(c, drop1);
	if (drop2)
		json_object_del(c, drop2);
	t = canon_of(n, c);
	if (hash)
		hl_sha256_hex(hash, t, *n);
	json_decref(c);
	return t;
}

/* What the checks let through, read again here: the fields, their types and limits. */
static void check_fields(const json_t *root)
{
	static const char *const keys[] = {"access", "attachments", "created_ms", "from",
	                                   "id",     "payload",     "sent_ms",    "seq",
	                                   "sig",    "to",          "type",       "v"};
	const char *access = json_string_value(json_object_get(root, "access"));
	const char *type = json_string_value(json_object_get(root, "type"));
	json_t *att = json_object_get(root, "attachments"), *docs;
	hl_access level, a;

	CHECK(json_is_object(root) && json_object_size(root) == 12);
	for (size_t i = 0; i < 12; i++)
		CHECK(json_object_get(root, keys[i]));
	CHECK(json_integer_value(json_object_get(root, "v")) == 1);
	CHECK(json_integer_value(json_object_get(root, "seq")) >= 1);
	CHECK(json_integer_value(json_object_get(root, "created_ms")) >= 0);
	CHECK(json_is_integer(json_object_get(root, "sent_ms")));
	CHECK(json_is_string(json_object_get(root, "sig")));
	CHECK(hl_exchange__is_uuid(json_string_value(json_object_get(root, "id"))));
	CHECK(hl_exchange__valid_unit(json_string_value(json_object_get(root, "from"))));
	CHECK(hl_exchange__valid_unit(json_string_value(json_object_get(root, "to"))));
	CHECK(hl_exchange__valid_type(type));
	CHECK(access && hl_access_parse(&level, access) == 0 &&
	      !strcmp(access, hl_access_name(level)));
	CHECK(json_is_object(json_object_get(root, "payload")));
	CHECK(json_is_array(att) && json_array_size(att) <= HL_EXCHANGE_MAX_ATTACHMENTS);
	for (size_t i = 0; i < json_array_size(att); i++) {
		json_t *x = json_array_get(att, i);
		const char *name = json_string_value(json_object_get(x, "name"));
		json_int_t size = json_integer_value(json_object_get(x, "size"));
		CHECK(json_object_size(x) == 3 && name && *name && strlen(name) <= 255);
		CHECK(json_is_integer(json_object_get(x, "size")) && size >= 0 &&
		      size <= HL_EXCHANGE_MAX_ATTACHMENT);
		CHECK(hl_exchange__is_hex64(json_string_value(json_object_get(x, "sha256"))));
	}
	/* Each document a "document" message carries: its own level, never secret, never above
	 * the envelope's (README.md, inbox check 8). */
	docs = strcmp(type, "document")
	           ? NULL
	           : json_object_get(json_object_get(root, "payload"), "documents");
	for (size_t i = 0; i < json_array_size(docs); i++) {
		const char *l =
		    json_string_value(json_object_get(json_array_get(docs, i), "access_level"));
		CHECK(l && hl_access_parse(&a, l) == 0 && !strcmp(l, hl_access_name(a)));
		CHECK(a != HL_ACCESS_SECRET && a <= level);
	}
}

/* The envelope checked again as `text`: accepted, with the hash `want`. */
static void check_again(const char *text, size_t len, const char *want)
{
	hl_exchange_reason r;
	char hash[65];
	int rc = hl_exchange__envelope_check(&r, hash, text, len);
	if (rc != 0)
		fprintf(stderr, "%s: refused again: %s\n", FUZZ_NAME, hl_error_last());
	CHECK(rc == 0 && r == HL_EXCHANGE_R_NONE);
	CHECK(!strcmp(hash, want));
}

/* Signed here: verifies, gives the same hash and payload through the inbox's one-pass verify,
 * refuses another key, and refuses a changed byte that changes the signed meaning. */
static void check_signed(const json_t *root, const char *hash, const uint8_t *data, size_t size)
{
	char sig[89], h2[65], *payload = NULL, *want_payload;
	size_t n, sn, pn;
	json_t *s = json_copy((json_t *)root);
	char *body = canon_without(&n, NULL, root, "sig", NULL), *text;
	hl_exchange__env e;
	uint64_t seed = fuzz_seed(data, size);
	int rc;

	fuzz_sign(sig, HL_X_CTX_ENVELOPE, body, n);
	CHECK(s && json_object_set_new(s, "sig", json_string(sig)) == 0);
	text = canon_of(&sn, s);
	json_decref(s);

	rc = hl_exchange_envelope_verify(text, sn, fuzz_key_get()->pk_b64);
	if (rc != 0)
		fprintf(stderr, "%s: a good signature refused: %s\n", FUZZ_NAME, hl_error_last());
	CHECK(rc == 0);
	check_again(text, sn, hash);

	CHECK(hl_exchange__env_parse(&e, text, sn, 1) == 0);
	CHECK(hl_exchange__env_verify_hash(&e, fuzz_key_get()->pk_b64, h2, &payload) == 0);
	CHECK(!strcmp(h2, hash)); /* the one-pass hash is the hash of the checks */
	want_payload = canon_of(&pn, e.payload);
	CHECK(payload && strlen(payload) == pn && !memcmp(payload, want_payload, pn));
	/* another node's key */
	CHECK(hl_exchange__env_verify_hash(&e, "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", h2,
	                                   NULL) == -1);
	free(want_payload);
	free(payload);
	hl_exchange__env_free(&e);

	for (int i = 0; i < FUZZ_CHANGES; i++) {
		uint64_t r = fuzz_next(&seed);
		char *m = fuzz_flip(text, sn, (size_t)(r % sn), r >> 32), *mc = NULL;
		size_t mn = 0;
		rc = hl_exchange_envelope_verify(m, sn, fuzz_key_get()->pk_b64);
		if (rc == 0) {
			/* verified: then it says what was signed, in another form (a byte that
			 * NFC maps back, U+0340 for U+0300) */
			CHECK(hl_exchange_canonical(&mc, &mn, m, sn) == 0);
			if (mn != sn || memcmp(mc, text, sn))
				fprintf(stderr, "%s: a changed envelope verifies:\n%s\n", FUZZ_NAME,
				        m);
			CHECK(mn == sn && !memcmp(mc, text, sn));
			free(mc);
		} else {
			CHECK(rc == HL_EDENIED || rc == HL_EINVALID || rc == HL_ELIMIT);
			fuzz_message_ok(hl_error_last());
		}
		free(m);
	}
	free(text);
	free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	hl_exchange_reason reason = (hl_exchange_reason)-1;
	char hash[65], want[65], *c;
	size_t n;
	json_t *root, *sent;
	int rc;

	if (!once) {
		/* Over the limit: refused before a byte is read (ASan would see a read of "x"
		 * past its end). */
		once = 1;
		rc = hl_exchange__envelope_check(&reason, hash, "x", HL_EXCHANGE_MAX_ENVELOPE + 1u);
		CHECK(rc == HL_ELIMIT && reason == HL_EXCHANGE_R_TOO_BIG);
		fuzz_message_ok(hl_error_last());
	}
	if (size > FUZZ_MAX_INPUT)
		return 0;
	rc = hl_exchange__envelope_check(&reason, hash, (const char *)data, size);
	if (rc < 0) {
		CHECK(hl_error_code() == rc);
		fuzz_message_ok(hl_error_last());
		if (reason == HL_EXCHANGE_R_MALFORMED) {
			/* too many or too large attachments are HL_ELIMIT, as the inbox says */
			CHECK(rc == HL_EINVALID || rc == HL_ELIMIT);
		} else if (reason == HL_EXCHANGE_R_NEWER_VERSION) {
			/* a protocol this node does not read: refused, naming the versions */
			CHECK(rc == HL_EINVALID);
			CHECK(strstr(hl_error_last(), "version") != NULL);
		} else {
			CHECK(reason == HL_EXCHANGE_R_ACCESS_DENIED && rc == HL_EDENIED);
			CHECK(!strncmp(hl_error_last(), "access-denied: document ", 24));
		}
		return 0;
	}
	CHECK(rc == 0 && reason == HL_EXCHANGE_R_NONE);
	CHECK(is_hex64(hash));

	CHECK((root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL)));
	check_fields(root);
	/* the hash: SHA-256 of the canonical envelope without sig and sent_ms */
	free(canon_without(&n, want, root, "sig", "sent_ms"));
	CHECK(!strcmp(hash, want));
	/* its canonical text says the same */
	CHECK(hl_exchange_canonical(&c, &n, (const char *)data, size) == 0);
	check_again(c, n, hash);
	free(c);
	/* another delivery attempt (another sent_ms) is the same message */
	sent = json_object_get(root, "sent_ms");
	{
		json_t *other = json_copy(root);
		json_int_t v = json_integer_value(sent);
		CHECK(other && json_object_set_new(other, "sent_ms",
		                                   json_integer(v > 0 ? v - 1 : v + 1)) == 0);
		c = canon_of(&n, other);
		check_again(c, n, hash);
		free(c);
		json_decref(other);
	}
	check_signed(root, hash, data, size);
	json_decref(root);
	return 0;
}
