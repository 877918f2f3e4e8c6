/* Envelopes: reading and checking them, the transactional outbox (put, seal, delivered, failed),
 * the inbox that stores a message once and applies it once in sequence order per sender, signed
 * receipts, and the status per peer. */
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_int.h"
#include "store/store_exchange.h"
#include "halong/util.h"

/* ---- an envelope read ---- */

typedef struct {
	json_t *root;
	const char *id, *from, *to, *type, *access, *sig;
	int64_t created_ms, sent_ms, seq;
	json_t *payload;
	hl_exchange_attachment *att;
	size_t natt;
} env;

static void env_free(env *e)
{
	json_decref(e->root);
	free(e->att);
	memset(e, 0, sizeof(*e));
}

static int is_hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

static int is_uuid(const char *s)
{
	if (!s || strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return 0;
		}
	}
	return 1;
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Checks attachments (a JSON array) and fills e->att pointing into it. */
static int read_attachments(env *e, json_t *a)
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
		if (!is_hex64(jstr(x, "sha256")) || !json_is_integer(size) || !name || !*name ||
		    strlen(name) > 255 || json_object_size(x) != 3)
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
	}
	e->natt = n;
	return 0;
}

/* Reads an envelope strictly: every field present with its type, nothing else. `sealed`: the
 * sent_ms and sig fields are required (else they must be absent). */
static int env_parse(env *e, const char *text, size_t len, int sealed)
{
	static const char *const ints[] = {"v", "created_ms", "seq"};
	hl_access level;
	int rc;

	memset(e, 0, sizeof(*e));
	if (!(e->root = hl_exchange__parse(text, len, "envelope")))
		return HL_EINVALID;
	if (!json_is_object(e->root))
		return hl_error_set(HL_EINVALID, "envelope: not a JSON object");
	/* Read what can name the message first, so a refusal can say whose it was. */
	e->id = jstr(e->root, "id");
	e->from = jstr(e->root, "from");
	if (!is_uuid(e->id))
		e->id = NULL;
	if (!hl_exchange__valid_unit(e->from))
		e->from = NULL;
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		if (!json_is_integer(json_object_get(e->root, ints[i])))
			return hl_error_set(HL_EINVALID,
			                    "envelope: %s is missing or not an integer", ints[i]);
	if (json_integer_value(json_object_get(e->root, "v")) != 1)
		return hl_error_set(HL_EINVALID, "envelope: version %lld is not 1",
		                    (long long)json_integer_value(json_object_get(e->root, "v")));
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
	if (json_object_size(e->root) != (sealed ? 12u : 10u))
		return hl_error_set(HL_EINVALID,
		                    "envelope: unknown fields (expected v, id, from, "
		                    "to, type, access, created_ms, seq, payload, "
		                    "attachments%s)",
		                    sealed ? ", sent_ms, sig" : "");
	return 0;
}

/* The canonical bytes of the envelope without `drop1` and `drop2` (NULL: none). */
static int env_canon_without(char **out, size_t *n, const env *e, const char *drop1,
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
	rc = hl_exchange__canon(out, n, c);
	json_decref(c);
	return rc;
}

/* The message's hash: SHA-256 of its canonical bytes without sig and sent_ms, the same for
 * every delivery of one message. */
static int env_hash(char hex[65], const env *e)
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

static int env_verify(const env *e, const char *public_key)
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

/* The last occurrence of `needle` in h[0..n). */
static const char *last_of(const char *h, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = n >= k ? n - k + 1 : 0; i-- > 0;)
		if (h[i] == needle[0] && !memcmp(h + i, needle, k))
			return h + i;
	return NULL;
}

/* In the canonical text of a checked envelope (c, n: without sig), where the top-level members
 * lie: `sent` at ",\"sent_ms\":S" (S = e->sent_ms), which ends where ",\"seq\":" begins — the
 * last one of the text, as only to, type and v (checked names and an integer) follow seq —
 * and the payload's value between the first ",\"payload\":" (only checked names and the
 * attachments' escaped strings come before it) and `sent`. 0, or -1 when the text is not laid
 * out so (then the caller canonicalises each variant itself). */
static int env_layout(const char *c, size_t n, const env *e, const char **sent, size_t *sent_len,
                      const char **pay, size_t *pay_len)
{
	char want[40];
	int k = snprintf(want, sizeof(want), ",\"sent_ms\":%lld", (long long)e->sent_ms);
	const char *seq = last_of(c, n, ",\"seq\":"), *p = strstr(c, ",\"payload\":{");
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
static int env_verify_hash(const env *e, const char *public_key, char hash[65], char **payload)
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
	env e;
	int rc;
	if (len > HL_EXCHANGE_MAX_ENVELOPE)
		return hl_error_set(HL_ELIMIT, "envelope: %zu bytes, over the limit of %u", len,
		                    HL_EXCHANGE_MAX_ENVELOPE);
	if ((rc = env_parse(&e, envelope, len, 1)) == 0) {
		rc = env_verify(&e, public_key);
		if (rc == -1)
			rc = hl_error_set(HL_EDENIED, "envelope %s: the signature does not verify",
			                  e.id);
	}
	env_free(&e);
	return rc;
}

/* ---- the directory as the exchange reads it ---- */

typedef struct {
	int found, restricted, revoked;
	char key[HL_X_KEY_B64];
	char *may_send, *may_receive;
} peer;

static int grab_peer(const hl_node_row *r, void *ud)
{
	peer *p = ud;
	p->found = 1;
	p->restricted = r->restricted;
	p->revoked = r->revoked;
	snprintf(p->key, sizeof(p->key), "%s", r->public_key);
	p->may_send = hl_strdup(r->may_send);
	p->may_receive = hl_strdup(r->may_receive);
	return 0;
}

static void peer_free(peer *p)
{
	free(p->may_send);
	free(p->may_receive);
	memset(p, 0, sizeof(*p));
}

/* The node `unit`: 0 and *p (found 0 when absent), or a negative code. */
static int peer_get(peer *p, hl_store *st, const char *unit)
{
	int rc;
	memset(p, 0, sizeof(*p));
	rc = hl_store_xpeer_get(st, unit, grab_peer, p);
	return rc == HL_ENOTFOUND ? 0 : rc;
}

/* ---- the outbox ---- */

typedef struct {
	hl_access max;
	const char *doc_id;
} access_seen;

int hl_exchange_outbox_put(char id[37], hl_node *self, const hl_exchange_msg *m)
{
	hl_store *st = self->st;
	peer to = {0}, me = {0};
	json_t *payload = NULL, *atts = NULL, *o = NULL;
	hl_access level = m->access;
	const char *why_doc = NULL;
	char uid[37], hash[65], *body = NULL;
	size_t blen = 0;
	int64_t seq = 0, now;
	int rc;

	if (!hl_store_in_tx(st))
		return hl_error_set(HL_EINVALID,
		                    "outbox: put a message inside the transaction of "
		                    "the change that causes it (hl_store_begin first)");
	if (!hl_exchange__valid_unit(m->to))
		return hl_error_set(HL_EINVALID, "outbox: recipient \"%s\" is not a unit code",
		                    m->to ? m->to : "");
	if (!hl_exchange__valid_type(m->type))
		return hl_error_set(HL_EINVALID,
		                    "outbox: type \"%s\" is not a message type ([a-z0-9.-], 1-64)",
		                    m->type ? m->type : "");
	if (m->access < HL_ACCESS_PUBLIC || m->access > HL_ACCESS_SECRET)
		return hl_error_set(HL_EINVALID, "outbox: unknown access level %d", (int)m->access);
	/* What it carries decides first: a secret record never leaves, whoever asks. */
	for (size_t i = 0; i < m->ndocs; i++) {
		hl_doc *d = NULL;
		if ((rc = hl_store_doc_get(&d, st, m->doc_ids[i])) < 0) {
			if (rc == HL_ENOTFOUND)
				rc = hl_error_set(HL_ENOTFOUND,
				                  "outbox: document %s is not in the archive",
				                  m->doc_ids[i]);
			return rc;
		}
		if (d->access > level) {
			level = d->access;
			why_doc = m->doc_ids[i];
		}
		hl_doc_free(d);
	}
	if (level == HL_ACCESS_SECRET)
		return hl_error_set(HL_EDENIED,
		                    "outbox: %s%s is secret: a secret record never leaves its node",
		                    why_doc ? "document " : "the message", why_doc ? why_doc : "");
	if ((rc = peer_get(&to, st, m->to)) < 0 || (rc = peer_get(&me, st, self->unit)) < 0)
		goto done;
	if (!to.found) {
		rc = hl_error_set(HL_ENOTFOUND, "outbox: %s is not in the directory", m->to);
		goto done;
	}
	if (to.revoked) {
		rc = hl_error_set(HL_EDENIED, "outbox: %s is revoked in the directory", m->to);
		goto done;
	}
	if (!me.found || me.revoked || !hl_exchange__list_has(me.may_send, m->type)) {
		rc = hl_error_set(HL_EDENIED,
		                  "outbox: the directory does not let this node (%s) send "
		                  "\"%s\"",
		                  self->unit, m->type);
		goto done;
	}
	if (!hl_exchange__list_has(to.may_receive, m->type)) {
		rc =
		    hl_error_set(HL_EDENIED, "outbox: the directory does not let %s receive \"%s\"",
		                 m->to, m->type);
		goto done;
	}
	if (level == HL_ACCESS_RESTRICTED && !to.restricted) {
		rc = hl_error_set(
		    HL_EDENIED, "outbox: %s%s is restricted and %s may not hold restricted records",
		    why_doc ? "document " : "the message", why_doc ? why_doc : "", m->to);
		goto done;
	}
	if (!(payload =
	          hl_exchange__parse(m->payload ? m->payload : "{}",
	                             m->payload ? strlen(m->payload) : 2, "outbox: payload"))) {
		rc = HL_EINVALID;
		goto done;
	}
	if (!json_is_object(payload)) {
		rc = hl_error_set(HL_EINVALID, "outbox: payload is not a JSON object");
		goto done;
	}
	if (m->nattachments > HL_EXCHANGE_MAX_ATTACHMENTS) {
		rc = hl_error_set(HL_ELIMIT, "outbox: %zu attachments, over the limit of %d",
		                  m->nattachments, HL_EXCHANGE_MAX_ATTACHMENTS);
		goto done;
	}
	atts = json_array();
	for (size_t i = 0; atts && i < m->nattachments; i++) {
		const hl_exchange_attachment *a = &m->attachments[i];
		if (!is_hex64(a->sha256) || a->size < 0 || a->size > HL_EXCHANGE_MAX_ATTACHMENT ||
		    !a->name || !*a->name || strlen(a->name) > 255) {
			rc = hl_error_set(
			    HL_EINVALID,
			    "outbox: attachment %zu: needs a SHA-256 (64 lower-case hex), "
			    "a size up to 2 GiB and a name",
			    i + 1);
			goto done;
		}
		json_array_append_new(atts,
		                      json_pack("{s:s, s:I, s:s}", "sha256", a->sha256, "size",
		                                (json_int_t)a->size, "name", a->name));
	}
	now = hl_exchange__now_ms();
	hl_exchange_uuid7(uid, now);
	if ((rc = hl_store_xout_next_seq(&seq, st, m->to)) < 0)
		goto done;
	o = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:O, s:O}", "v", 1, "id", uid,
	              "from", self->unit, "to", m->to, "type", m->type, "access",
	              hl_access_name(level), "created_ms", (json_int_t)now, "seq", (json_int_t)seq,
	              "payload", payload, "attachments", atts);
	if (!o) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = hl_exchange__canon(&body, &blen, o)) < 0)
		goto done;
	/* Room for sent_ms and the signature once sealed. */
	if (blen > HL_EXCHANGE_MAX_ENVELOPE - 256) {
		rc = hl_error_set(HL_ELIMIT,
		                  "outbox: the envelope would be %zu bytes, over the limit "
		                  "of %u (send large content as attachments)",
		                  blen, HL_EXCHANGE_MAX_ENVELOPE);
		goto done;
	}
	hl_sha256_hex(hash, body, blen);
	if ((rc = hl_store_xout_add(st, uid, m->to, seq, m->type, now, body, hash)) < 0)
		goto done;
	if (id)
		memcpy(id, uid, 37);
	rc = 0;
done:
	peer_free(&to);
	peer_free(&me);
	json_decref(payload);
	json_decref(atts);
	json_decref(o);
	free(body);
	return rc;
}

int hl_exchange_outbox_pending(hl_store *st, const char *peer_unit, int64_t due_ms, size_t max,
                               int (*cb)(const hl_exchange_outbox_row *r, void *ud), void *ud)
{
	return hl_store_xout_pending(st, peer_unit, due_ms, max, cb, ud);
}

typedef struct {
	char *body, *hash, *recipient;
	int waiting;
} out_row;

static int grab_out(const char *body, const char *hash, const char *recipient, const char *state,
                    void *ud)
{
	out_row *o = ud;
	o->body = hl_strdup(body);
	o->hash = hl_strdup(hash);
	o->recipient = hl_strdup(recipient);
	o->waiting = !strcmp(state, "waiting");
	return (o->body && o->hash && o->recipient) ? 0 : hl_error_set(HL_ENOMEM, "out of memory");
}

static void out_free(out_row *o)
{
	free(o->body);
	free(o->hash);
	free(o->recipient);
}

/* Seals the outbox's body (the canonical envelope without sent_ms and sig, as
 * hl_exchange_outbox_put wrote it) without parsing it again: in canonical order sent_ms comes
 * right before the top-level seq member and sig right after it, and seq's ",\"seq\":" is the
 * last one of the text (only to, type and v follow it). The same bytes as parsing and encoding
 * again; -1 when the body is not laid out so (the caller then parses it). */
static int seal_text(char **out, size_t *outlen, hl_node *self, const char *body, int64_t sent)
{
	size_t n = strlen(body), k, at, after;
	const char *seq = last_of(body, n, ",\"seq\":"), *q;
	char sm[40], sig[HL_X_SIG_B64], *c, *r;
	if (n < 20 || memcmp(body, "{\"access\":\"", 11) || !seq ||
	    memcmp(body + n - 7, ",\"v\":1}", 7))
		return -1;
	for (q = seq + 7; *q >= '0' && *q <= '9'; q++)
		;
	if (q == seq + 7 || strncmp(q, ",\"to\":\"", 7))
		return -1;
	at = (size_t)(seq - body);
	after = (size_t)(q - body);
	k = (size_t)snprintf(sm, sizeof(sm), ",\"sent_ms\":%lld", (long long)sent);
	if (!(c = malloc(n + k + 1)))
		return -1;
	memcpy(c, body, at);
	memcpy(c + at, sm, k);
	memcpy(c + at + k, body + at, n - at + 1);
	hl_exchange__sign(sig, self, HL_X_CTX_ENVELOPE, c, n + k);
	/* ... ,"seq":N + ,"sig":"..." + ,"to":... */
	if (!(r = malloc(n + k + strlen(sig) + 16))) {
		free(c);
		return -1;
	}
	memcpy(r, c, after + k);
	n = after + k;
	n += (size_t)sprintf(r + n, ",\"sig\":\"%s\"", sig);
	strcpy(r + n, c + after + k);
	n += strlen(c + after + k);
	free(c);
	*out = r;
	if (outlen)
		*outlen = n;
	return 0;
}

int hl_exchange_outbox_seal(char **out, size_t *outlen, hl_node *self, const char *id,
                            int64_t now_ms)
{
	out_row o = {0};
	env e = {0};
	char *c = NULL, sig[HL_X_SIG_B64];
	size_t n = 0;
	int rc = hl_store_xout_get(self->st, id, grab_out, &o);

	if (rc == HL_ENOTFOUND || (rc == 0 && !o.waiting)) {
		rc = hl_error_set(HL_ENOTFOUND, "outbox: no message %s waiting", id);
		goto done;
	}
	if (rc < 0)
		goto done;
	if (seal_text(out, outlen, self, o.body, now_ms ? now_ms : hl_exchange__now_ms()) == 0) {
		rc = 0;
		goto done;
	}
	if ((rc = env_parse(&e, o.body, strlen(o.body), 0)) < 0)
		goto done;
	json_object_set_new(e.root, "sent_ms",
	                    json_integer(now_ms ? now_ms : hl_exchange__now_ms()));
	if ((rc = hl_exchange__canon(&c, &n, e.root)) < 0)
		goto done;
	hl_exchange__sign(sig, self, HL_X_CTX_ENVELOPE, c, n);
	free(c);
	c = NULL;
	json_object_set_new(e.root, "sig", json_string(sig));
	if ((rc = hl_exchange__canon(&c, &n, e.root)) < 0)
		goto done;
	*out = c;
	if (outlen)
		*outlen = n;
	c = NULL;
	rc = 0;
done:
	free(c);
	env_free(&e);
	out_free(&o);
	return rc;
}

/* A receipt read: every field checked. */
typedef struct {
	json_t *root;
	const char *id, *hash, *by, *for_, *sig;
	int64_t at_ms;
} receipt_view;

static int receipt_parse(receipt_view *r, const char *text, size_t len)
{
	memset(r, 0, sizeof(*r));
	if (len > 4096)
		return hl_error_set(HL_ELIMIT, "receipt: %zu bytes, over the limit of 4096", len);
	if (!(r->root = hl_exchange__parse(text, len, "receipt")))
		return HL_EINVALID;
	r->id = jstr(r->root, "id");
	r->hash = jstr(r->root, "hash");
	r->by = jstr(r->root, "by");
	r->for_ = jstr(r->root, "for");
	r->sig = jstr(r->root, "sig");
	r->at_ms = json_integer_value(json_object_get(r->root, "at_ms"));
	if (!is_uuid(r->id) || !is_hex64(r->hash) || !hl_exchange__valid_unit(r->by) ||
	    !hl_exchange__valid_unit(r->for_) || !r->sig ||
	    !json_is_integer(json_object_get(r->root, "at_ms")) ||
	    json_integer_value(json_object_get(r->root, "v")) != 1 ||
	    json_object_size(r->root) != (json_object_get(r->root, "batch") ? 8u : 7u))
		return hl_error_set(HL_EINVALID,
		                    "receipt: expected v, id, hash, by, for, at_ms, sig "
		                    "(and batch)");
	return 0;
}

static int receipt_batch_verify(json_t *batch, const char *id, const char *hash, int64_t at_ms,
                                const char *by, const char *for_, const char *sig, const char *key);

int hl_exchange_outbox_delivered(hl_node *self, const char *text, size_t len)
{
	hl_store *st = self->st;
	receipt_view r = {0};
	out_row o = {0};
	peer p = {0};
	char *c = NULL, sig[HL_X_SIG_B64 + 8];
	size_t n = 0;
	int rc, own_tx = 0, bad = 0;

	if ((rc = receipt_parse(&r, text, len)) < 0)
		goto done;
	rc = hl_store_xout_get(st, r.id, grab_out, &o);
	if (rc == HL_ENOTFOUND)
		rc = hl_error_set(HL_ENOTFOUND, "receipt: no message %s in the outbox", r.id);
	if (rc < 0)
		goto done;
	if (strcmp(o.recipient, r.by) || strcmp(self->unit, r.for_) || strcmp(o.hash, r.hash)) {
		rc = hl_error_set(HL_EDENIED,
		                  "receipt for %s: it names another recipient, sender or content",
		                  r.id);
		goto done;
	}
	if ((rc = peer_get(&p, st, r.by)) < 0)
		goto done;
	snprintf(sig, sizeof(sig), "%s", r.sig);
	if (!p.found) {
		bad = 1;
	} else if (json_object_get(r.root, "batch")) {
		bad = receipt_batch_verify(json_object_get(r.root, "batch"), r.id, r.hash, r.at_ms,
		                           r.by, r.for_, sig, p.key) < 0;
	} else {
		json_object_del(r.root, "sig"); /* frees r.sig */
		if ((rc = hl_exchange__canon(&c, &n, r.root)) < 0)
			goto done;
		bad = hl_exchange__verify(sig, p.key, HL_X_CTX_RECEIPT, c, n) < 0;
	}
	if (bad) {
		rc = hl_error_set(HL_EDENIED,
		                  "receipt for %s: the signature does not verify with %s's key",
		                  r.id, r.by);
		goto done;
	}
	if (!o.waiting) {
		rc = 0; /* delivered already: a second receipt changes nothing */
		goto done;
	}
	if (!hl_store_in_tx(st)) {
		if ((rc = hl_store_begin(st)) < 0)
			goto done;
		own_tx = 1;
	}
	if ((rc = hl_store_xout_delivered(st, r.id, text, hl_exchange__now_ms())) < 0 ||
	    (rc = hl_store_xlink_success(st, r.by, hl_exchange__now_ms())) < 0)
		goto done;
	if (own_tx) {
		own_tx = 0;
		if ((rc = hl_store_commit(st)) < 0)
			goto done;
	}
	rc = 0;
done:
	if (own_tx)
		hl_store_rollback(st);
	free(c);
	json_decref(r.root);
	out_free(&o);
	peer_free(&p);
	return rc;
}

int hl_exchange_outbox_failed(hl_store *st, const char *id, const char *error, int64_t retry_at_ms)
{
	out_row o = {0};
	int64_t now = hl_exchange__now_ms();
	int rc = hl_store_xout_get(st, id, grab_out, &o), own_tx = 0;

	if (rc == HL_ENOTFOUND)
		rc = hl_error_set(HL_ENOTFOUND, "outbox: no message %s", id);
	if (rc < 0)
		goto done;
	if (!hl_store_in_tx(st)) {
		if ((rc = hl_store_begin(st)) < 0)
			goto done;
		own_tx = 1;
	}
	rc = hl_store_xout_failed(st, id, error, now, retry_at_ms);
	if (rc == HL_ENOTFOUND)
		rc = 0; /* delivered meanwhile */
	if (rc < 0 || (rc = hl_store_xlink_error(st, o.recipient, error, now)) < 0)
		goto done;
	if (own_tx) {
		own_tx = 0;
		rc = hl_store_commit(st);
	}
done:
	if (own_tx)
		hl_store_rollback(st);
	out_free(&o);
	return rc;
}

/* ---- attachment uploads, signed ---- */

static void hex32(char out[65], const unsigned char *d);

#define HL_X_CTX_UPLOAD "halong-upload-v1\n"

static char *upload_line(size_t *n, const char *from, const char *to, const char *sha256,
                         int64_t offset, int64_t size, const void *chunk, size_t len,
                         int64_t time_ms)
{
	unsigned char d[32];
	char hex[65], *line = malloc(512);
	int k;
	if (!line)
		return NULL;
	crypto_hash_sha256(d, chunk ? chunk : (const void *)"", len);
	hex32(hex, d);
	k = snprintf(line, 512, "%.32s\n%.32s\n%.64s\n%lld\n%lld\n%zu\n%s\n%lld\n", from, to,
	             sha256, (long long)offset, (long long)size, len, hex, (long long)time_ms);
	*n = k > 0 && k < 512 ? (size_t)k : 0;
	return line;
}

void hl_exchange_upload_sign(char sig[89], const hl_node *self, const char *to, const char *sha256,
                             int64_t offset, int64_t size, const void *chunk, size_t len,
                             int64_t time_ms)
{
	size_t n = 0;
	char *line = upload_line(&n, self->unit, to, sha256, offset, size, chunk, len, time_ms);
	sig[0] = '\0';
	if (line && n)
		hl_exchange__sign(sig, self, HL_X_CTX_UPLOAD, line, n);
	free(line);
}

int hl_exchange_upload_verify(hl_store *st, const char *self_unit, const char *from,
                              const char *sig, const char *time_ms, const char *sha256,
                              int64_t offset, int64_t size, const void *chunk, size_t len,
                              int64_t now_ms)
{
	peer p = {0};
	char *end = NULL, *line = NULL;
	long long t;
	size_t n = 0;
	int rc;
	if (!now_ms)
		now_ms = hl_exchange__now_ms();
	if ((rc = peer_get(&p, st, from)) < 0)
		return rc;
	if (!p.found || p.revoked) {
		rc = hl_error_set(HL_EDENIED, "%s: %s",
		                  p.found ? "revoked-sender" : "unknown-sender",
		                  p.found ? "the sending node is revoked"
		                          : "the sending node is not in the directory");
		goto done;
	}
	if (!sig || !*sig || !time_ms || !*time_ms) {
		rc = hl_error_set(HL_EDENIED, "bad-signature: an upload is signed by its sender "
		                              "(X-Halong-Signature and X-Halong-Time are missing)");
		goto done;
	}
	errno = 0;
	t = strtoll(time_ms, &end, 10);
	/* Within (0, 2^53): the skew below is then computed without overflow. */
	if (*end || end == time_ms || errno || t <= 0 || t >= (1LL << 53)) {
		rc = hl_error_set(HL_EDENIED, "bad-signature: X-Halong-Time is not a time in ms");
		goto done;
	}
	if (t > now_ms + HL_EXCHANGE_SKEW_MS || t < now_ms - HL_EXCHANGE_SKEW_MS) {
		rc = hl_error_set(HL_EDENIED,
		                  "clock-skew: upload signed at %lld ms by %s's clock, %lld s from "
		                  "this node's (window +-%d s)",
		                  t, from, (long long)llabs(t - now_ms) / 1000,
		                  HL_EXCHANGE_SKEW_MS / 1000);
		goto done;
	}
	if (!(line = upload_line(&n, from, self_unit, sha256, offset, size, chunk, len, t)) || !n ||
	    hl_exchange__verify(sig, p.key, HL_X_CTX_UPLOAD, line, n) < 0) {
		rc = hl_error_set(
		    HL_EDENIED,
		    "bad-signature: the upload's signature does not verify with %s's key", from);
		goto done;
	}
	rc = 0;
done:
	free(line);
	peer_free(&p);
	return rc;
}

/* ---- receipts of a batch: a Merkle tree, one signature ----
 *
 * leaf = SHA-256(0x00 || id (36 bytes) || hash (64 hex)), node = SHA-256(0x01 || left || right);
 * a level with an odd count carries its last node up unchanged. The signed header is the
 * canonical {"at_ms","by","for","n","root","v":1} after the line "halong-receipts-v1\n". */

#define MERKLE_MAX_PATH 32

static void merkle_leaf(unsigned char out[32], const char *id, const char *hash)
{
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const unsigned char *)"\0", 1);
	crypto_hash_sha256_update(&h, (const unsigned char *)id, 36);
	crypto_hash_sha256_update(&h, (const unsigned char *)hash, 64);
	crypto_hash_sha256_final(&h, out);
}

static void merkle_node(unsigned char out[32], const unsigned char *l, const unsigned char *r)
{
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const unsigned char *)"\1", 1);
	crypto_hash_sha256_update(&h, l, 32);
	crypto_hash_sha256_update(&h, r, 32);
	crypto_hash_sha256_final(&h, out);
}

static void hex32(char out[65], const unsigned char *d)
{
	sodium_bin2hex(out, 65, d, 32);
}

static int unhex32(unsigned char out[32], const char *hex)
{
	size_t n = 0;
	return is_hex64(hex) && sodium_hex2bin(out, 32, hex, 64, NULL, &n, NULL) == 0 && n == 32
	           ? 0
	           : -1;
}

/* The header the batch's signature covers. */
static int receipts_header(char *out, size_t size, int64_t at_ms, const char *by, const char *for_,
                           int64_t n, const char *root)
{
	int k = snprintf(out, size,
	                 "{\"at_ms\":%lld,\"by\":\"%s\",\"for\":\"%s\",\"n\":%lld,"
	                 "\"root\":\"%s\",\"v\":1}",
	                 (long long)at_ms, by, for_, (long long)n, root);
	return k > 0 && (size_t)k < size ? k : -1;
}

typedef struct {
	char id[37], hash[65], from[33];
	char *text; /* the receipt, once signed */
} batch_item;

struct hl_exchange_receipts {
	batch_item *v;
	size_t n, cap;
	char last[37]; /* the id of the message accepted last */
	/* the directory's entries read in this batch: one transaction, so they cannot change */
	char peer_unit[4][33];
	peer peers[4];
	size_t npeers;
};

/* peer_get, remembered for the batch's transaction when b is not NULL. */
static int peer_lookup(peer *p, hl_exchange_receipts *b, hl_store *st, const char *unit)
{
	int rc;
	for (size_t i = 0; b && i < b->npeers; i++)
		if (!strcmp(b->peer_unit[i], unit)) {
			*p = b->peers[i];
			p->may_send = hl_strdup(b->peers[i].may_send);
			p->may_receive = hl_strdup(b->peers[i].may_receive);
			return (!b->peers[i].may_send || p->may_send) &&
			               (!b->peers[i].may_receive || p->may_receive)
			           ? 0
			           : hl_error_set(HL_ENOMEM, "out of memory");
		}
	if ((rc = peer_get(p, st, unit)) < 0 || !b || b->npeers == 4 || strlen(unit) > 32)
		return rc;
	snprintf(b->peer_unit[b->npeers], sizeof(b->peer_unit[0]), "%s", unit);
	b->peers[b->npeers] = *p;
	b->peers[b->npeers].may_send = hl_strdup(p->may_send);
	b->peers[b->npeers].may_receive = hl_strdup(p->may_receive);
	b->npeers++;
	return 0;
}

hl_exchange_receipts *hl_exchange_receipts_new(void)
{
	return calloc(1, sizeof(hl_exchange_receipts));
}

void hl_exchange_receipts_free(hl_exchange_receipts *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].text);
	for (size_t i = 0; i < b->npeers; i++)
		peer_free(&b->peers[i]);
	free(b->v);
	free(b);
}

static int receipts_add(hl_exchange_receipts *b, const char *id, const char *hash, const char *from)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		batch_item *v = realloc(b->v, cap * sizeof(*v));
		if (!v)
			return hl_error_set(HL_ENOMEM, "out of memory");
		b->v = v;
		b->cap = cap;
	}
	memset(&b->v[b->n], 0, sizeof(b->v[0]));
	snprintf(b->v[b->n].id, sizeof(b->v[0].id), "%s", id);
	snprintf(b->v[b->n].hash, sizeof(b->v[0].hash), "%s", hash);
	snprintf(b->v[b->n].from, sizeof(b->v[0].from), "%s", from);
	b->n++;
	return 0;
}

const char *hl_exchange_receipts_last(const hl_exchange_receipts *b)
{
	return b ? b->last : "";
}

const char *hl_exchange_receipts_get(const hl_exchange_receipts *b, const char *id)
{
	for (size_t i = 0; b && i < b->n; i++)
		if (!strcmp(b->v[i].id, id))
			return b->v[i].text;
	return NULL;
}

/* One signature per sender of the batch (a batch comes from one sender; several are allowed). */
static int receipts_sign_for(hl_exchange_receipts *b, hl_node *self, const char *from, int64_t now)
{
	size_t n = 0, lv = 0, k;
	size_t *idx = NULL;
	unsigned char(*level[MERKLE_MAX_PATH + 1])[32] = {0};
	size_t count[MERKLE_MAX_PATH + 1] = {0};
	char root[65], header[400], sig[HL_X_SIG_B64];
	int rc = 0, hl;

	for (size_t i = 0; i < b->n; i++)
		n += !b->v[i].text && !strcmp(b->v[i].from, from);
	if (!n)
		return 0;
	if (!(idx = calloc(n, sizeof(*idx))) || !(level[0] = calloc(n, 32))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	k = 0;
	for (size_t i = 0; i < b->n; i++)
		if (!b->v[i].text && !strcmp(b->v[i].from, from)) {
			idx[k] = i;
			merkle_leaf(level[0][k], b->v[i].id, b->v[i].hash);
			k++;
		}
	count[0] = n;
	while (count[lv] > 1) {
		size_t c = count[lv], m = (c + 1) / 2;
		if (lv + 1 > MERKLE_MAX_PATH || !(level[lv + 1] = calloc(m, 32))) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		for (size_t j = 0; j < m; j++) {
			if (2 * j + 1 < c)
				merkle_node(level[lv + 1][j], level[lv][2 * j],
				            level[lv][2 * j + 1]);
			else
				memcpy(level[lv + 1][j], level[lv][2 * j], 32);
		}
		count[++lv] = m;
	}
	hex32(root, level[lv][0]);
	if ((hl = receipts_header(header, sizeof(header), now, self->unit, from, (int64_t)n,
	                          root)) < 0) {
		rc = hl_error_set(HL_EINVALID, "receipts: header too long");
		goto done;
	}
	hl_exchange__sign(sig, self, HL_X_CTX_RECEIPTS, header, (size_t)hl);
	for (k = 0; k < n && rc == 0; k++) {
		batch_item *it = &b->v[idx[k]];
		size_t cap = 400 + (size_t)lv * 70, at;
		char *t = malloc(cap);
		if (!t) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			break;
		}
		at = (size_t)snprintf(t, cap,
		                      "{\"at_ms\":%lld,\"batch\":{\"i\":%zu,\"n\":%zu,\"path\":[",
		                      (long long)now, k, n);
		for (size_t l = 0, i = k, sib; l < lv; l++, i >>= 1) {
			char h[65];
			if ((sib = i ^ 1) >= count[l])
				continue;
			hex32(h, level[l][sib]);
			at += (size_t)snprintf(t + at, cap - at, "%s\"%s\"",
			                       t[at - 1] == '[' ? "" : ",", h);
		}
		snprintf(
		    t + at, cap - at,
		    "]},\"by\":\"%s\",\"for\":\"%s\",\"hash\":\"%s\",\"id\":\"%s\",\"sig\":\"%s\","
		    "\"v\":1}",
		    self->unit, from, it->hash, it->id, sig);
		it->text = t;
		rc = hl_store_xin_set_receipt(self->st, it->id, t);
	}
done:
	for (size_t l = 0; l <= MERKLE_MAX_PATH; l++)
		free(level[l]);
	free(idx);
	return rc;
}

int hl_exchange_receipts_sign(hl_exchange_receipts *b, hl_node *self)
{
	int64_t now = hl_exchange__now_ms();
	int rc;
	if (!hl_store_in_tx(self->st))
		return hl_error_set(HL_EINVALID, "receipts: sign inside the batch's transaction");
	for (size_t i = 0; b && i < b->n; i++)
		if (!b->v[i].text && (rc = receipts_sign_for(b, self, b->v[i].from, now)) < 0)
			return rc;
	return 0;
}

/* A batch receipt's signature, checked: the root from the leaf and the path, then Ed25519 over
 * the header — unless this thread checked the very same header, signature and key a moment
 * ago (the other receipts of one batch): one verification a batch. 0 or -1. */
static int receipt_batch_verify(json_t *batch, const char *id, const char *hash, int64_t at_ms,
                                const char *by, const char *for_, const char *sig, const char *key)
{
	static _Thread_local char memo[768];
	json_t *path = json_object_get(batch, "path");
	json_t *ji = json_object_get(batch, "i"), *jn = json_object_get(batch, "n");
	unsigned char cur[32], sib[32];
	char root[65], header[400], key_sig[768];
	int64_t i, c;
	size_t used = 0;
	int hl;

	if (!json_is_object(batch) || json_object_size(batch) != 3 || !json_is_integer(ji) ||
	    !json_is_integer(jn) || !json_is_array(path) || json_array_size(path) > MERKLE_MAX_PATH)
		return -1;
	i = json_integer_value(ji);
	c = json_integer_value(jn);
	if (c < 1 || c > (1 << 20) || i < 0 || i >= c)
		return -1;
	merkle_leaf(cur, id, hash);
	for (; c > 1; i >>= 1, c = (c + 1) / 2) {
		if ((i ^ 1) >= c)
			continue;
		if (used >= json_array_size(path) ||
		    unhex32(sib, json_string_value(json_array_get(path, used++))) < 0)
			return -1;
		if (i & 1)
			merkle_node(cur, sib, cur);
		else
			merkle_node(cur, cur, sib);
	}
	if (used != json_array_size(path))
		return -1;
	hex32(root, cur);
	if ((hl = receipts_header(header, sizeof(header), at_ms, by, for_, json_integer_value(jn),
	                          root)) < 0)
		return -1;
	if (snprintf(key_sig, sizeof(key_sig), "%s\n%s\n%s", key, sig, header) >=
	    (int)sizeof(key_sig))
		return -1;
	if (!strcmp(memo, key_sig))
		return 0;
	if (hl_exchange__verify(sig, key, HL_X_CTX_RECEIPTS, header, (size_t)hl) < 0)
		return -1;
	memcpy(memo, key_sig, strlen(key_sig) + 1);
	return 0;
}

/* ---- the inbox ---- */

static int make_receipt(char **out, hl_node *self, const env *e, const char *hash, int64_t now)
{
	json_t *r = json_pack("{s:i, s:s, s:s, s:s, s:s, s:I}", "v", 1, "id", e->id, "hash", hash,
	                      "by", self->unit, "for", e->from, "at_ms", (json_int_t)now);
	char *c = NULL, sig[HL_X_SIG_B64];
	size_t n = 0;
	int rc;
	if (!r)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if ((rc = hl_exchange__canon(&c, &n, r)) == 0) {
		hl_exchange__sign(sig, self, HL_X_CTX_RECEIPT, c, n);
		free(c);
		c = NULL;
		json_object_set_new(r, "sig", json_string(sig));
		rc = hl_exchange__canon(&c, &n, r);
	}
	json_decref(r);
	if (rc == 0)
		*out = c;
	return rc;
}

/* Records a refusal (in its own transaction) and returns `code` with "reason: detail" as the
 * message. */
static int refuse(hl_node *self, int64_t now, const char *id, const char *sender, int code,
                  const char *reason, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static int refuse(hl_node *self, int64_t now, const char *id, const char *sender, int code,
                  const char *reason, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	/* A failure to record is less important than the refusal itself: the caller still learns
	 * why; the status misses one line. */
	hl_store_xreject_add(self->st, now, id, sender, reason, detail);
	return hl_error_set(code, "%s: %s", reason, detail);
}

typedef struct {
	int found;
	char hash[65];
	char *receipt, *envelope;
	int held;
} in_row;

static int grab_in(const hl_store_xin_row *r, void *ud)
{
	in_row *x = ud;
	x->found = 1;
	snprintf(x->hash, sizeof(x->hash), "%s", r->hash);
	x->receipt = hl_strdup(r->receipt);
	x->envelope = hl_strdup(r->envelope);
	x->held = !strcmp(r->state, "held");
	return 0;
}

static void in_free(in_row *x)
{
	free(x->receipt);
	free(x->envelope);
	memset(x, 0, sizeof(*x));
}

/* `canon_payload`: the payload's canonical bytes when known (NULL: encoded here). */
static int apply_one(hl_node *self, const env *e, const char *envelope, const char *canon_payload,
                     const hl_exchange_accept_opts *o, int64_t now)
{
	hl_exchange_message m = {0};
	char *payload = NULL;
	int rc;
	if (o && o->apply) {
		if (!canon_payload && (rc = hl_exchange__canon(&payload, NULL, e->payload)) < 0)
			return rc;
		m.id = e->id;
		m.from = e->from;
		m.to = e->to;
		m.type = e->type;
		m.access = e->access;
		m.created_ms = e->created_ms;
		m.seq = e->seq;
		m.payload = canon_payload ? canon_payload : payload;
		m.envelope = envelope;
		m.nattachments = e->natt;
		m.attachments = e->att;
		rc = o->apply(self->st, &m, o->ud);
		free(payload);
		if (rc < 0)
			return hl_error_code()
			           ? rc
			           : hl_error_set(rc, "applying message %s of %s failed", e->id,
			                          e->from);
	}
	return hl_store_xin_set_applied(self->st, e->id, e->from, e->seq, now);
}

/* Applies the sender's held messages that follow its last applied one, in order. */
static int apply_held(hl_node *self, const char *sender, const hl_exchange_accept_opts *o,
                      int64_t now)
{
	for (;;) {
		int64_t last = 0;
		in_row x = {0};
		env e;
		int rc;
		if ((rc = hl_store_xin_applied_seq(&last, self->st, sender)) < 0)
			return rc;
		rc = hl_store_xin_get(self->st, NULL, sender, last + 1, grab_in, &x);
		if (rc == HL_ENOTFOUND)
			return 0;
		if (rc < 0)
			return rc;
		if ((rc = env_parse(&e, x.envelope, strlen(x.envelope), 1)) == 0)
			rc = apply_one(self, &e, x.envelope, NULL, o, now);
		env_free(&e);
		in_free(&x);
		if (rc < 0)
			return rc;
	}
}

/* The inbox's transaction: its own, or a savepoint in the caller's (a batch). */
static int tx_begin(hl_store *st, int nested)
{
	return nested ? hl_store_xsavepoint(st, 0) : hl_store_begin(st);
}

static int tx_commit(hl_store *st, int nested)
{
	return nested ? hl_store_xsavepoint(st, 1) : hl_store_commit(st);
}

static void tx_rollback(hl_store *st, int nested)
{
	if (nested)
		hl_store_xsavepoint(st, 2);
	else
		hl_store_rollback(st);
}

int hl_exchange_inbox_accept(char **receipt_out, int *state, hl_node *self, const char *text,
                             size_t len, const hl_exchange_accept_opts *o)
{
	hl_store *st = self->st;
	int64_t now = o && o->now_ms ? o->now_ms : hl_exchange__now_ms(), last = 0;
	env e = {0};
	peer from = {0}, me = {0};
	in_row dup = {0};
	char hash[65], *receipt = NULL, *stored = NULL, *payload = NULL;
	hl_access level;
	int rc, began = 0, st_out = HL_EXCHANGE_HELD, nested = o && o->in_caller_tx;
	hl_exchange_receipts *batch = o ? o->receipts : NULL;

	if (hl_store_in_tx(st) != nested)
		return hl_error_set(HL_EINVALID, nested ? "inbox: a batch runs in the caller's "
		                                          "transaction"
		                                        : "inbox: accept runs its own transaction");
	/* The size first: a 100 MB body is refused before a byte of it is parsed. */
	if (len > HL_EXCHANGE_MAX_ENVELOPE)
		return refuse(self, now, NULL, NULL, HL_ELIMIT, "too-big",
		              "envelope of %zu bytes, over the limit of %u bytes", len,
		              HL_EXCHANGE_MAX_ENVELOPE);
	if ((rc = env_parse(&e, text, len, 1)) < 0) {
		char why[400];
		snprintf(why, sizeof(why), "%s", hl_error_last());
		rc = refuse(self, now, e.id, e.from, rc == HL_ELIMIT ? HL_ELIMIT : HL_EINVALID,
		            "malformed", "%s", why);
		goto done;
	}
	if ((rc = peer_lookup(&from, batch, st, e.from)) < 0 ||
	    (rc = peer_lookup(&me, batch, st, self->unit)) < 0)
		goto done;
	if (!from.found) {
		rc = refuse(self, now, e.id, e.from, HL_EDENIED, "unknown-sender",
		            "%s is not in the directory held here", e.from);
		goto done;
	}
	if (from.revoked) {
		rc = refuse(self, now, e.id, e.from, HL_EDENIED, "revoked-sender",
		            "%s is revoked in the directory", e.from);
		goto done;
	}
	if ((rc = env_verify_hash(&e, from.key, hash, &payload)) != 0) {
		if (rc == -1)
			rc = refuse(self, now, e.id, e.from, HL_EDENIED, "bad-signature",
			            "the signature does not verify with %s's key", e.from);
		else
			rc = refuse(self, now, e.id, e.from, HL_EINVALID, "malformed", "%s",
			            hl_error_last());
		goto done;
	}
	if (strcmp(e.to, self->unit)) {
		rc = refuse(self, now, e.id, e.from, HL_EDENIED, "wrong-recipient",
		            "addressed to %s, this node is %s", e.to, self->unit);
		goto done;
	}
	if (!hl_exchange__list_has(from.may_send, e.type) || !me.found || me.revoked ||
	    !hl_exchange__list_has(me.may_receive, e.type)) {
		rc = refuse(self, now, e.id, e.from, HL_EDENIED, "type-not-allowed",
		            !hl_exchange__list_has(from.may_send, e.type)
		                ? "the directory does not let %s send \"%s\""
		                : "the directory does not let this node receive %.0s\"%s\"",
		            e.from, e.type);
		goto done;
	}
	hl_access_parse(&level, e.access);
	if (level == HL_ACCESS_SECRET || (level == HL_ACCESS_RESTRICTED && !me.restricted)) {
		rc = refuse(self, now, e.id, e.from, HL_EDENIED, "access-denied",
		            "a %s message may not come to this node", e.access);
		goto done;
	}
	if (e.sent_ms > now + HL_EXCHANGE_SKEW_MS || e.sent_ms < now - HL_EXCHANGE_SKEW_MS) {
		char at[32], here[32];
		hl_exchange__ms_iso(at, e.sent_ms);
		hl_exchange__ms_iso(here, now);
		rc = refuse(self, now, e.id, e.from, HL_EDENIED, "clock-skew",
		            "sent at %s by %s's clock, %lld s %s this node's %s (window +-%d s)",
		            at, e.from, (long long)llabs(e.sent_ms - now) / 1000,
		            e.sent_ms > now ? "ahead of" : "behind", here,
		            HL_EXCHANGE_SKEW_MS / 1000);
		goto done;
	}
	rc = hl_store_xin_get(st, e.id, NULL, 0, grab_in, &dup);
	if (rc < 0 && rc != HL_ENOTFOUND)
		goto done;
	if (dup.found) {
		if (strcmp(dup.hash, hash)) {
			rc = refuse(self, now, e.id, e.from, HL_EDENIED, "id-reused",
			            "message %s was received before with other content", e.id);
			goto done;
		}
		/* A replay: the same receipt again, nothing applied (a receipt still empty: the
		 * message came earlier in this same batch, its receipt is signed with the batch).
		 */
		st_out = HL_EXCHANGE_DUPLICATE;
		if (dup.receipt && *dup.receipt) {
			receipt = dup.receipt;
			dup.receipt = NULL;
		}
		goto ok;
	}
	for (size_t i = 0; i < e.natt; i++) {
		char *dir = NULL, *path = NULL, got[65];
		int64_t size = -1;
		int hr = -1;
		if (o && o->attachments_dir &&
		    (dir = hl_path_join(o->attachments_dir, e.att[i].sha256)))
			path = dir;
		if (path && hl_file_exists(path))
			hr = hl_sha256_file(got, &size, path);
		free(path);
		if (hr < 0) {
			rc = refuse(self, now, e.id, e.from, HL_EDENIED, "attachment",
			            "attachment %s (%s) has not arrived", e.att[i].name,
			            e.att[i].sha256);
			goto done;
		}
		if (strcmp(got, e.att[i].sha256) || size != e.att[i].size) {
			rc = refuse(
			    self, now, e.id, e.from, HL_EDENIED, "attachment",
			    "attachment %s: SHA-256 %.12s… and %lld bytes arrived, the envelope "
			    "says %.12s… and %lld bytes",
			    e.att[i].name, got, (long long)size, e.att[i].sha256,
			    (long long)e.att[i].size);
			goto done;
		}
	}
	if ((rc = hl_store_xin_applied_seq(&last, st, e.from)) < 0)
		goto done;
	if (e.seq <= last) {
		rc = refuse(self, now, e.id, e.from, HL_EDENIED, "sequence",
		            "sequence %lld of %s is applied already by another message",
		            (long long)e.seq, e.from);
		goto done;
	}
	if (batch && !nested) {
		rc = hl_error_set(HL_EINVALID, "inbox: a batch's receipts need the caller's "
		                               "transaction");
		goto done;
	}
	if (!batch && (rc = make_receipt(&receipt, self, &e, hash, now)) < 0)
		goto done;
	if ((rc = tx_begin(st, nested)) < 0)
		goto done;
	began = 1;
	/* Again, inside the transaction (writers take turns here): another connection may have
	 * stored this message, or applied the sender's previous one, since the checks above.
	 * Nested (a batch), the checks above ran inside the caller's write transaction already. */
	if (!nested) {
		in_free(&dup);
		rc = hl_store_xin_get(st, e.id, NULL, 0, grab_in, &dup);
		if (rc < 0 && rc != HL_ENOTFOUND)
			goto done;
		if ((rc = hl_store_xin_applied_seq(&last, st, e.from)) < 0)
			goto done;
	}
	if (dup.found || e.seq <= last) {
		tx_rollback(st, nested);
		began = 0;
		if (dup.found && !strcmp(dup.hash, hash)) {
			free(receipt);
			receipt = NULL;
			if (dup.receipt && *dup.receipt) {
				receipt = dup.receipt;
				dup.receipt = NULL;
			}
			st_out = HL_EXCHANGE_DUPLICATE;
			goto ok;
		}
		rc = dup.found ? refuse(self, now, e.id, e.from, HL_EDENIED, "id-reused",
		                        "message %s was received before with other content", e.id)
		               : refuse(self, now, e.id, e.from, HL_EDENIED, "sequence",
		                        "sequence %lld of %s is applied already by another message",
		                        (long long)e.seq, e.from);
		goto done;
	}
	{
		/* Kept as received: the sender's signature is the message's provenance. */
		hl_store_xin_row r = {
		    e.id,  e.from,      e.type, hash, NULL, "held", receipt ? receipt : "",
		    e.seq, e.created_ms};
		if (!(stored = malloc(len + 1))) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		memcpy(stored, text, len);
		stored[len] = '\0';
		r.envelope = stored;
		rc = hl_store_xin_add(st, &r, now);
		if (rc == HL_ECONFLICT) {
			tx_rollback(st, nested);
			began = 0;
			rc = refuse(self, now, e.id, e.from, HL_EDENIED, "sequence",
			            "sequence %lld of %s is held already for another message",
			            (long long)e.seq, e.from);
			goto done;
		}
		if (rc < 0)
			goto done;
	}
	if (e.seq == last + 1) {
		if ((rc = apply_one(self, &e, stored, payload, o, now)) < 0 ||
		    (rc = apply_held(self, e.from, o, now)) < 0)
			goto done;
		st_out = HL_EXCHANGE_APPLIED;
	}
	if ((rc = tx_commit(st, nested)) < 0) {
		began = 0;
		goto done;
	}
	began = 0;
	if (batch && (rc = receipts_add(batch, e.id, hash, e.from)) < 0)
		goto done; /* the caller's transaction fails as a whole */
ok:
	if (batch)
		snprintf(batch->last, sizeof(batch->last), "%s", e.id);
	if (!batch && !receipt) {
		/* only a batch in progress holds a message without its receipt */
		rc = hl_error_set(HL_ERROR, "inbox: message %s has no receipt yet", e.id);
		goto done;
	}
	if (receipt_out) {
		*receipt_out = receipt;
		receipt = NULL;
	}
	if (state)
		*state = st_out;
	rc = 0;
done:
	if (began)
		tx_rollback(st, nested);
	env_free(&e);
	peer_free(&from);
	peer_free(&me);
	in_free(&dup);
	free(receipt);
	free(stored);
	free(payload);
	return rc;
}

/* ---- status ---- */

int hl_exchange_status(hl_store *st, int (*cb)(const hl_exchange_peer_status *r, void *ud),
                       void *ud)
{
	return hl_store_xstatus(st, cb, ud);
}

int hl_exchange_rejects(hl_store *st, size_t max,
                        int (*cb)(const hl_exchange_reject_row *r, void *ud), void *ud)
{
	return hl_store_xrejects(st, max, cb, ud);
}
