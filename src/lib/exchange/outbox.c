/* The transactional outbox: a message put in the transaction of the change that causes it,
 * sealed (signed) for each delivery attempt, marked delivered on a verified receipt, or failed
 * with its next attempt. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_int.h"
#include "store/store_exchange.h"
#include "halong/util.h"

/* ---- the outbox ---- */

/* The highest level the message carries: the documents' levels read from the store, not taken
 * from the caller; *why: the document that sets it (NULL: the caller's level). A secret record
 * never leaves, whoever asks. */
static int carried_level(hl_access *level, const char **why, hl_store *st, const hl_exchange_msg *m)
{
	*level = m->access;
	*why = NULL;
	for (size_t i = 0; i < m->ndocs; i++) {
		hl_doc *d = NULL;
		int rc = hl_store_doc_get(&d, st, m->doc_ids[i]);
		if (rc == HL_ENOTFOUND)
			return hl_error_set(HL_ENOTFOUND,
			                    "outbox: document %s is not in the archive",
			                    m->doc_ids[i]);
		if (rc < 0)
			return rc;
		if (d->access > *level) {
			*level = d->access;
			*why = m->doc_ids[i];
		}
		hl_doc_free(d);
	}
	if (*level == HL_ACCESS_SECRET)
		return hl_error_set(HL_EDENIED,
		                    "outbox: %s%s is secret: a secret record never leaves its node",
		                    *why ? "document " : "the message", *why ? *why : "");
	return 0;
}

/* A protocol message (an audit head) goes to the hub only, whatever the directory's lists. */
static int to_the_hub(hl_node *self, const char *to)
{
	char *unit = NULL, *url = NULL, *key = NULL;
	int rc = hl_exchange__hub_node(&unit, &url, &key, self->st);
	if (rc == 0 && strcmp(unit, to))
		rc = hl_error_set(HL_EDENIED, "outbox: %s goes to the hub, not to %s",
		                  HL_EXCHANGE_TYPE_AUDIT_HEAD, to);
	free(unit), free(url), free(key);
	return rc;
}

/* The directory's word: the recipient known and not revoked, this node may send the type, the
 * recipient may receive it and hold its level. */
static int directory_allows(hl_node *self, const hl_exchange_msg *m, hl_access level,
                            const char *why)
{
	hl_exchange__peer to = {0}, me = {0};
	int rc;
	if ((rc = hl_exchange__peer_get(&to, self->st, m->to)) < 0 ||
	    (rc = hl_exchange__peer_get(&me, self->st, self->unit)) < 0)
		goto done;
	if (!to.found)
		rc = hl_error_set(HL_ENOTFOUND, "outbox: %s is not in the directory", m->to);
	else if (to.revoked)
		rc = hl_error_set(HL_EDENIED, "outbox: %s is revoked in the directory", m->to);
	else if (!strcmp(m->type, HL_EXCHANGE_TYPE_AUDIT_HEAD))
		rc = to_the_hub(self, m->to);
	else if (!me.found || me.revoked || !hl_exchange__list_has(me.may_send, m->type))
		rc = hl_error_set(HL_EDENIED,
		                  "outbox: the directory does not let this node (%s) send \"%s\"",
		                  self->unit, m->type);
	else if (!hl_exchange__list_has(to.may_receive, m->type))
		rc =
		    hl_error_set(HL_EDENIED, "outbox: the directory does not let %s receive \"%s\"",
		                 m->to, m->type);
	else if (level == HL_ACCESS_RESTRICTED && !to.restricted)
		rc = hl_error_set(
		    HL_EDENIED, "outbox: %s%s is restricted and %s may not hold restricted records",
		    why ? "document " : "the message", why ? why : "", m->to);
done:
	hl_exchange__peer_free(&to);
	hl_exchange__peer_free(&me);
	return rc;
}

/* The payload (a JSON object) and the attachments as the envelope lists them. */
static int contents(json_t **payload, json_t **atts, const hl_exchange_msg *m)
{
	if (!(*payload = hl_canon_parse(m->payload ? m->payload : "{}",
	                                m->payload ? strlen(m->payload) : 2, "outbox: payload")))
		return HL_EINVALID;
	if (!json_is_object(*payload))
		return hl_error_set(HL_EINVALID, "outbox: payload is not a JSON object");
	if (m->nattachments > HL_EXCHANGE_MAX_ATTACHMENTS)
		return hl_error_set(HL_ELIMIT, "outbox: %zu attachments, over the limit of %d",
		                    m->nattachments, HL_EXCHANGE_MAX_ATTACHMENTS);
	if (!(*atts = json_array()))
		return hl_error_set(HL_ENOMEM, "out of memory");
	for (size_t i = 0; i < m->nattachments; i++) {
		const hl_exchange_attachment *a = &m->attachments[i];
		if (!hl_exchange__is_hex64(a->sha256) || a->size < 0 ||
		    a->size > HL_EXCHANGE_MAX_ATTACHMENT || !a->name || !*a->name ||
		    strlen(a->name) > 255)
			return hl_error_set(
			    HL_EINVALID,
			    "outbox: attachment %zu: needs a SHA-256 (64 lower-case "
			    "hex), a size up to 2 GiB and a name",
			    i + 1);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(m->attachments[k].sha256, a->sha256))
				return hl_error_set(HL_EINVALID,
				                    "outbox: attachment %zu: the same SHA-256 as "
				                    "attachment %zu (a file is listed once)",
				                    i + 1, k + 1);
		json_array_append_new(*atts,
		                      json_pack("{s:s, s:I, s:s}", "sha256", a->sha256, "size",
		                                (json_int_t)a->size, "name", a->name));
	}
	return 0;
}

/* The envelope without sent_ms and sig, canonical, stored with its hash and the stream's next
 * sequence. */
static int store_body(char id[37], hl_node *self, const hl_exchange_msg *m, hl_access level,
                      json_t *payload, json_t *atts)
{
	char uid[37], hash[65], *body = NULL;
	size_t blen = 0;
	int64_t seq = 0, now = hl_exchange__now_ms();
	json_t *o = NULL;
	int rc;
	hl_exchange_uuid7(uid, now);
	if ((rc = hl_store_xout_next_seq(&seq, self->st, m->to)) < 0)
		return rc;
	o = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:O, s:O}", "v",
	              HL_EXCHANGE_PROTOCOL, "id", uid, "from", self->unit, "to", m->to, "type",
	              m->type, "access", hl_access_name(level), "created_ms", (json_int_t)now,
	              "seq", (json_int_t)seq, "payload", payload, "attachments", atts);
	if (!o)
		return hl_error_set(HL_ENOMEM, "out of memory");
	rc = hl_canon_encode(&body, &blen, o);
	json_decref(o);
	if (rc < 0)
		return rc;
	/* Room for sent_ms and the signature once sealed. */
	if (blen > HL_EXCHANGE_MAX_ENVELOPE - 256)
		rc = hl_error_set(
		    HL_ELIMIT,
		    "outbox: the envelope would be %zu bytes, over the limit of %u (send "
		    "large content as attachments)",
		    blen, HL_EXCHANGE_MAX_ENVELOPE);
	if (rc == 0) {
		hl_sha256_hex(hash, body, blen);
		rc = hl_store_xout_add(self->st, uid, m->to, seq, m->type, now, body, hash);
	}
	free(body);
	if (rc == 0 && id)
		memcpy(id, uid, 37);
	return rc;
}

int hl_exchange_outbox_put(char id[37], hl_node *self, const hl_exchange_msg *m)
{
	json_t *payload = NULL, *atts = NULL;
	const char *why = NULL;
	hl_access level;
	int rc;

	if (!hl_store_in_tx(self->st))
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
	if ((rc = carried_level(&level, &why, self->st, m)) == 0 &&
	    (rc = directory_allows(self, m, level, why)) == 0 &&
	    (rc = contents(&payload, &atts, m)) == 0)
		rc = store_body(id, self, m, level, payload, atts);
	json_decref(payload);
	json_decref(atts);
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
	const char *seq = hl_exchange__last_of(body, n, ",\"seq\":"), *q;
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
	hl_exchange__env e = {0};
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
	if ((rc = hl_exchange__env_parse(&e, o.body, strlen(o.body), 0)) < 0)
		goto done;
	json_object_set_new(e.root, "sent_ms",
	                    json_integer(now_ms ? now_ms : hl_exchange__now_ms()));
	if ((rc = hl_canon_encode(&c, &n, e.root)) < 0)
		goto done;
	hl_exchange__sign(sig, self, HL_X_CTX_ENVELOPE, c, n);
	free(c);
	c = NULL;
	json_object_set_new(e.root, "sig", json_string(sig));
	if ((rc = hl_canon_encode(&c, &n, e.root)) < 0)
		goto done;
	*out = c;
	if (outlen)
		*outlen = n;
	c = NULL;
	rc = 0;
done:
	free(c);
	hl_exchange__env_free(&e);
	out_free(&o);
	return rc;
}

/* A receipt read: every field checked. */

int hl_exchange_outbox_delivered(hl_node *self, const char *text, size_t len)
{
	hl_store *st = self->st;
	hl_exchange__receipt r = {0};
	out_row o = {0};
	hl_exchange__peer p = {0};
	char *c = NULL, sig[HL_X_SIG_B64 + 8];
	size_t n = 0;
	int rc, own_tx = 0, bad = 0;

	if ((rc = hl_exchange__receipt_parse(&r, text, len)) < 0)
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
	if ((rc = hl_exchange__peer_get(&p, st, r.by)) < 0)
		goto done;
	snprintf(sig, sizeof(sig), "%s", r.sig);
	if (!p.found) {
		bad = 1;
	} else if (json_object_get(r.root, "batch")) {
		bad = hl_exchange__receipt_batch_verify(json_object_get(r.root, "batch"), r.id,
		                                        r.hash, r.at_ms, r.by, r.for_, sig,
		                                        p.key) < 0;
	} else {
		json_object_del(r.root, "sig"); /* frees r.sig */
		if ((rc = hl_canon_encode(&c, &n, r.root)) < 0)
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
	hl_exchange__peer_free(&p);
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
