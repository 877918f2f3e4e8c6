/* Envelopes read strictly and checked: their fields, their canonical bytes, the signature that
 * covers them and the hash that names a message across its delivery attempts. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_int.h"
#include "store/store_exchange.h"
#include "halong/util.h"

void hl_exchange__env_free(hl_exchange__env *e)
{
	json_decref(e->root);
	free(e->att);
	memset(e, 0, sizeof(*e));
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Checks attachments (a JSON array) and fills e->att pointing into it. */
static int read_attachments(hl_exchange__env *e, json_t *a)
{
	size_t n = json_array_size(a);
	if (!json_is_array(a))
		return hl_error_set(HL_EINVALID, "attachments is not a list");
	if (n > HL_EXCHANGE_MAX_ATTACHMENTS)
		return hl_error_set(HL_ELIMIT, "%zu attachments, over the limit of %d", n,
		                    HL_EXCHANGE_MAX_ATTACHMENTS);
	if (n && !(e->att = calloc(n, sizeof(*e->att))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_array_get(a, i);
		json_t *size = json_object_get(x, "size");
		const char *name = jstr(x, "name");
		if (!hl_exchange__is_hex64(jstr(x, "sha256")) || !json_is_integer(size) || !name ||
		    !*name || strlen(name) > 255 || json_object_size(x) != 3)
			return hl_error_set(
			    HL_EINVALID,
			    "attachment %zu: needs sha256 (64 lower-case hex), size and "
			    "name (1-255 bytes), nothing else",
			    i + 1);
		if (json_integer_value(size) < 0 ||
		    json_integer_value(size) > HL_EXCHANGE_MAX_ATTACHMENT)
			return hl_error_set(
			    HL_ELIMIT, "attachment %zu (%s): %lld bytes, over the limit of %lld",
			    i + 1, name, (long long)json_integer_value(size),
			    (long long)HL_EXCHANGE_MAX_ATTACHMENT);
		e->att[i].sha256 = jstr(x, "sha256");
		e->att[i].size = json_integer_value(size);
		e->att[i].name = name;
		/* each file once: the inbox hashes every attachment listed (up to 1,000 of 2 GiB)
		 */
		for (size_t k = 0; k < i; k++)
			if (!strcmp(e->att[k].sha256, e->att[i].sha256))
				return hl_error_set(
				    HL_EINVALID,
				    "attachment %zu: the same SHA-256 as attachment "
				    "%zu (a file is listed once)",
				    i + 1, k + 1);
	}
	e->natt = n;
	return 0;
}

/* Reads an envelope strictly: every field present with its type, nothing else. `sealed`: the
 * sent_ms and sig fields are required (else they must be absent). The version first: "v" absent
 * is version 1 (what every node wrote before the field was checked as a version), and one newer
 * than HL_EXCHANGE_PROTOCOL is refused before its other fields are read (a newer format may
 * have others), e->v telling the caller why (the reason "newer-version"). */
int hl_exchange__env_parse(hl_exchange__env *e, const char *text, size_t len, int sealed)
{
	static const char *const ints[] = {"created_ms", "seq"};
	json_t *v;
	hl_access level;
	size_t want;
	int rc;

	memset(e, 0, sizeof(*e));
	if (!(e->root = hl_canon_parse(text, len, "envelope")))
		return HL_EINVALID;
	if (!json_is_object(e->root))
		return hl_error_set(HL_EINVALID, "envelope: not a JSON object");
	/* Read what can name the message first, so a refusal can say whose it was. */
	e->id = jstr(e->root, "id");
	e->from = jstr(e->root, "from");
	if (!hl_exchange__is_uuid(e->id))
		e->id = NULL;
	if (!hl_exchange__valid_unit(e->from))
		e->from = NULL;
	v = json_object_get(e->root, "v");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1))
		return hl_error_set(HL_EINVALID, "envelope: v (its version) is not a whole number "
		                                 "of 1 or more");
	e->v = v ? json_integer_value(v) : 1;
	if (e->v > HL_EXCHANGE_PROTOCOL)
		return hl_error_set(HL_EINVALID,
		                    "envelope: version %lld is newer than this node reads (%d): "
		                    "upgrade halong on this node; the sender keeps the message",
		                    (long long)e->v, HL_EXCHANGE_PROTOCOL);
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		if (!json_is_integer(json_object_get(e->root, ints[i])))
			return hl_error_set(HL_EINVALID,
			                    "envelope: %s is missing or not an integer", ints[i]);
	e->to = jstr(e->root, "to");
	e->type = jstr(e->root, "type");
	e->access = jstr(e->root, "access");
	e->created_ms = json_integer_value(json_object_get(e->root, "created_ms"));
	e->seq = json_integer_value(json_object_get(e->root, "seq"));
	e->payload = json_object_get(e->root, "payload");
	if (!e->id || !e->from || !hl_exchange__valid_unit(e->to) ||
	    !hl_exchange__valid_type(e->type) || !e->access ||
	    hl_access_parse(&level, e->access) < 0 || strcmp(e->access, hl_access_name(level)))
		return hl_error_set(HL_EINVALID, "envelope: id (UUID), from, to (unit codes), type "
		                                 "and access are required");
	if (e->seq < 1 || e->created_ms < 0)
		return hl_error_set(HL_EINVALID, "envelope: seq must be 1 or more and created_ms "
		                                 "positive");
	if (!json_is_object(e->payload))
		return hl_error_set(HL_EINVALID, "envelope: payload is not a JSON object");
	if ((rc = read_attachments(e, json_object_get(e->root, "attachments"))) < 0)
		return rc;
	if (sealed) {
		if (!json_is_integer(json_object_get(e->root, "sent_ms")) ||
		    !(e->sig = jstr(e->root, "sig")))
			return hl_error_set(HL_EINVALID, "envelope: sent_ms and sig are required");
		e->sent_ms = json_integer_value(json_object_get(e->root, "sent_ms"));
	}
	want = (sealed ? 12u : 10u) - (v ? 0 : 1);
	if (json_object_size(e->root) != want)
		return hl_error_set(HL_EINVALID,
		                    "envelope: unknown fields (expected v, id, from, "
		                    "to, type, access, created_ms, seq, payload, "
		                    "attachments%s)",
		                    sealed ? ", sent_ms, sig" : "");
	return 0;
}

/* The canonical bytes of the envelope without `drop1` and `drop2` (NULL: none). */
static int env_canon_without(char **out, size_t *n, const hl_exchange__env *e, const char *drop1,
                             const char *drop2)
{
	json_t *c = json_copy(e->root); /* shallow: the values are shared, only keys dropped */
	int rc;
	if (!c)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if (drop1)
		json_object_del(c, drop1);
	if (drop2)
		json_object_del(c, drop2);
	rc = hl_canon_encode(out, n, c);
	json_decref(c);
	return rc;
}

/* The message's hash: SHA-256 of its canonical bytes without sig and sent_ms, the same for
 * every delivery of one message. */
static int env_hash(char hex[65], const hl_exchange__env *e)
{
	char *c = NULL;
	size_t n = 0;
	int rc = env_canon_without(&c, &n, e, "sig", "sent_ms");
	if (rc < 0)
		return rc;
	hl_sha256_hex(hex, c, n);
	free(c);
	return 0;
}

static int env_verify(const hl_exchange__env *e, const char *public_key)
{
	char *c = NULL;
	size_t n = 0;
	int rc = env_canon_without(&c, &n, e, "sig", NULL);
	if (rc < 0)
		return rc;
	rc = hl_exchange__verify(e->sig, public_key, HL_X_CTX_ENVELOPE, c, n);
	free(c);
	return rc;
}

/* In the canonical text of a checked envelope (c, n: without sig), where the top-level members
 * lie: `sent` at ",\"sent_ms\":S" (S = e->sent_ms), which ends where ",\"seq\":" begins — the
 * last one of the text, as only to, type and v (checked names and an integer) follow seq —
 * and the payload's value between the first ",\"payload\":" (only checked names and the
 * attachments' escaped strings come before it) and `sent`. 0, or -1 when the text is not laid
 * out so (then the caller canonicalises each variant itself). */
static int env_layout(const char *c, size_t n, const hl_exchange__env *e, const char **sent,
                      size_t *sent_len, const char **pay, size_t *pay_len)
{
	char want[40];
	int k = snprintf(want, sizeof(want), ",\"sent_ms\":%lld", (long long)e->sent_ms);
	const char *seq = hl_exchange__last_of(c, n, ",\"seq\":"), *p = strstr(c, ",\"payload\":{");
	if (!seq || !p || seq - c < k || memcmp(seq - k, want, (size_t)k) || p > seq - k)
		return -1;
	*sent = seq - k;
	*sent_len = (size_t)k;
	*pay = p + 11;
	*pay_len = (size_t)(*sent - *pay);
	return 0;
}

/* Verifies the signature and computes the hash with one canonical encoding of the envelope:
 * the hash's bytes are the signed bytes without sent_ms. *payload (malloc'd, may be NULL): the
 * payload's canonical bytes, cut from the same text. 0, -1 (the signature does not verify, no
 * message set) or a negative code. */
int hl_exchange__env_verify_hash(const hl_exchange__env *e, const char *public_key, char hash[65],
                                 char **payload)
{
	char *c = NULL, *h = NULL;
	const char *sent, *pay;
	size_t n = 0, sent_len, pay_len;
	int rc = env_canon_without(&c, &n, e, "sig", NULL);
	if (payload)
		*payload = NULL;
	if (rc < 0)
		return rc;
	if ((rc = hl_exchange__verify(e->sig, public_key, HL_X_CTX_ENVELOPE, c, n)) != 0)
		goto done;
	if (env_layout(c, n, e, &sent, &sent_len, &pay, &pay_len) < 0) {
		rc = env_hash(hash, e);
		goto done;
	}
	if (!(h = malloc(n)) || (payload && !(*payload = malloc(pay_len + 1)))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(h, c, (size_t)(sent - c));
	memcpy(h + (sent - c), sent + sent_len, n - (size_t)(sent - c) - sent_len);
	hl_sha256_hex(hash, h, n - sent_len);
	if (payload) {
		memcpy(*payload, pay, pay_len);
		(*payload)[pay_len] = '\0';
	}
done:
	free(c);
	free(h);
	return rc;
}

int hl_exchange_envelope_verify(const char *envelope, size_t len, const char *public_key)
{
	hl_exchange__env e;
	int rc;
	if (len > HL_EXCHANGE_MAX_ENVELOPE)
		return hl_error_set(HL_ELIMIT, "envelope: %zu bytes, over the limit of %u", len,
		                    HL_EXCHANGE_MAX_ENVELOPE);
	if ((rc = hl_exchange__env_parse(&e, envelope, len, 1)) == 0) {
		rc = env_verify(&e, public_key);
		if (rc == -1)
			rc = hl_error_set(HL_EDENIED, "envelope %s: the signature does not verify",
			                  e.id);
	}
	hl_exchange__env_free(&e);
	return rc;
}

int hl_exchange__envelope_check(hl_exchange_reason *reason, char hash[65], const char *text,
                                size_t len)
{
	hl_exchange__env e;
	hl_access level;
	char why[300];
	json_t *docs;
	int rc;
	*reason = HL_EXCHANGE_R_NONE;
	if (len > HL_EXCHANGE_MAX_ENVELOPE) {
		*reason = HL_EXCHANGE_R_TOO_BIG;
		return hl_error_set(HL_ELIMIT, "envelope: %zu bytes, over the limit of %u", len,
		                    HL_EXCHANGE_MAX_ENVELOPE);
	}
	if ((rc = hl_exchange__env_parse(&e, text, len, 1)) < 0 || (rc = env_hash(hash, &e)) < 0) {
		*reason = e.v > HL_EXCHANGE_PROTOCOL ? HL_EXCHANGE_R_NEWER_VERSION
		                                     : HL_EXCHANGE_R_MALFORMED;
		goto done;
	}
	/* What the signature covers is encodable too (the inbox encodes it to verify). */
	{
		char *c = NULL;
		size_t n = 0;
		if ((rc = env_canon_without(&c, &n, &e, "sig", NULL)) < 0) {
			*reason = HL_EXCHANGE_R_MALFORMED;
			goto done;
		}
		free(c);
	}
	hl_access_parse(&level, e.access);
	docs = strcmp(e.type, "document") ? NULL : json_object_get(e.payload, "documents");
	if (hl_exchange__docs_within_limits(why, sizeof(why), docs) < 0) {
		*reason = HL_EXCHANGE_R_TOO_BIG;
		rc = hl_error_set(HL_ELIMIT, "too-big: %s", why);
		goto done;
	}
	for (size_t i = 0; i < json_array_size(docs); i++)
		if (hl_exchange__doc_level_ok(why, sizeof(why), json_array_get(docs, i), i, level,
		                              1) < 0) {
			*reason = HL_EXCHANGE_R_ACCESS_DENIED;
			rc = hl_error_set(HL_EDENIED, "access-denied: %s", why);
			goto done;
		}
done:
	hl_exchange__env_free(&e);
	return rc;
}
