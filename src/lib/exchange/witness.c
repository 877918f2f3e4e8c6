/* The audit log's witness: a node signs the head of its audit chain (the last entry's id and
 * hash) and sends it to the province's hub as an "audit.head" message; the hub keeps the heads
 * and refuses one that goes back (a shortened log) or gives a witnessed entry another hash (a
 * rewritten one); `halong audit verify` checks the chain against the heads the hub witnessed,
 * asked of the hub and signed by it, else against the node's own record of heads the hub
 * acknowledged. README.md, "The audit log's witness". */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange/http_client.h"
#include "exchange_int.h"
#include "halong/util.h"
#include "store/store.h"
#include "store/store_auth.h"
#include "store/store_exchange.h"

#define HL_X_CTX_HEAD    "halong-audit-head-v1\n"
#define HL_X_CTX_WITNESS "halong-audit-witness-v1\n"
#define WITNESS_MAX      1000        /* heads a witness page lists, newest first */
#define WITNESS_PAGE_MAX (1u << 20)  /* bytes of a witness page a node takes */
#define FRESH_MS         (5 * 60000) /* a page signed further from our clock is refused */

/* ---- the hub of the directory held ---- */

typedef struct {
	const char *key;
	char *unit, *url;
	int revoked;
} hub_find;

static int find_hub(const hl_node_row *r, void *ud)
{
	hub_find *h = ud;
	if (!h->unit && r->public_key && !strcmp(r->public_key, h->key)) {
		h->unit = hl_strdup(r->unit);
		h->url = hl_strdup(r->url);
		h->revoked = r->revoked;
	}
	return 0;
}

int hl_exchange__hub_node(char **unit, char **url, char **key, hl_store *st)
{
	hub_find h = {0};
	char *hub_key = NULL;
	int rc;
	*unit = *url = *key = NULL;
	if ((rc = hl_store_xhub_key_get(&hub_key, st)) < 0)
		return rc;
	if (!hub_key)
		return hl_error_set(HL_ENOTFOUND, "this node follows no hub");
	h.key = hub_key;
	if ((rc = hl_node_foreach(st, find_hub, &h)) < 0)
		goto fail;
	if (!h.unit || !h.url || h.revoked) {
		rc = hl_error_set(HL_ENOTFOUND, "the directory held has no node with the trusted "
		                                "hub key: import the hub's directory");
		goto fail;
	}
	*unit = h.unit, *url = h.url, *key = hub_key;
	return 0;
fail:
	free(h.unit), free(h.url), free(hub_key);
	return rc;
}

/* ---- a head, signed here ---- */

/* A node's earlier head as its log reads now: the hub compares it with what it witnessed, so
 * that a log rewritten behind the node's back is noticed at the next head, whoever runs
 * `audit verify`. id 0: none (the node's first head); hash "": no such entry now. */
typedef struct {
	int64_t id;
	char hash[65];
} since_t;

/* The head as signed: {"at_ms","entry_id","hash","since":{"entry_id","hash"},"unit"}, since
 * only when the node sent a head before. NULL if out of memory. */
static json_t *head_json(int64_t entry_id, const char *hash, int64_t at_ms, const char *unit,
                         const since_t *since)
{
	json_t *h = json_pack("{s:I,s:I,s:s,s:s}", "at_ms", (json_int_t)at_ms, "entry_id",
	                      (json_int_t)entry_id, "hash", hash, "unit", unit);
	if (h && since->id &&
	    json_object_set_new(h, "since",
	                        json_pack("{s:I,s:s}", "entry_id", (json_int_t)since->id, "hash",
	                                  since->hash)) < 0) {
		json_decref(h);
		return NULL;
	}
	return h;
}

/* The head's canonical bytes, what its signature covers. */
static int head_canon(char **out, size_t *len, int64_t entry_id, const char *hash, int64_t at_ms,
                      const char *unit, const since_t *since)
{
	json_t *h = head_json(entry_id, hash, at_ms, unit, since);
	int rc = h ? hl_canon_encode(out, len, h) : hl_error_set(HL_ENOMEM, "out of memory");
	json_decref(h);
	return rc;
}

static int grab_head(const hl_store_audit_head_row *r, void *ud)
{
	hl_audit_anchor *h = ud;
	h->entry_id = r->entry_id;
	h->at_ms = r->at_ms;
	snprintf(h->hash, sizeof(h->hash), "%s", r->hash ? r->hash : "");
	snprintf(h->sig, sizeof(h->sig), "%s", r->signature ? r->signature : "");
	snprintf(h->message_id, sizeof(h->message_id), "%s", r->message_id ? r->message_id : "");
	return 1;
}

/* Puts the signed head in the outbox to the hub, and records it with the message's id: one
 * transaction. */
static int send_head(hl_node *self, hl_audit_anchor *h, const since_t *since)
{
	char *hub_unit = NULL, *hub_url = NULL, *hub_key = NULL, *payload = NULL;
	json_t *p = NULL;
	hl_exchange_msg m = {0};
	int rc;

	if ((rc = hl_exchange__hub_node(&hub_unit, &hub_url, &hub_key, self->st)) < 0)
		goto done;
	p = json_pack("{s:o,s:s}", "head",
	              head_json(h->entry_id, h->hash, h->at_ms, self->unit, since), "sig", h->sig);
	if (!p || !(payload = json_dumps(p, JSON_COMPACT))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	m.to = hub_unit;
	m.type = HL_EXCHANGE_TYPE_AUDIT_HEAD;
	m.payload = payload;
	m.access = HL_ACCESS_INTERNAL;
	if ((rc = hl_store_begin(self->st)) < 0)
		goto done;
	if ((rc = hl_exchange_outbox_put(h->message_id, self, &m)) < 0 ||
	    (rc = hl_store_audit_head_add(self->st, h->entry_id, h->hash, h->at_ms, h->sig,
	                                  h->message_id)) < 0) {
		hl_store_rollback(self->st);
		goto done;
	}
	rc = hl_store_commit(self->st);
done:
	json_decref(p);
	free(payload), free(hub_unit), free(hub_url), free(hub_key);
	return rc;
}

/* The hash entry `id` of the local log has now ("" if there is no such entry). */
static int entry_now(const hl_store_audit_row *r, void *ud)
{
	since_t *s = ud;
	if (r->id == s->id)
		snprintf(s->hash, sizeof(s->hash), "%s", r->hash ? r->hash : "");
	return 1;
}

int hl_exchange_audit_anchor(hl_audit_anchor *out, hl_node *self, int force)
{
	hl_audit_anchor h = {0}, last = {.entry_id = -1};
	since_t since = {0};
	char *canon = NULL;
	size_t clen;
	int rc, follows;

	if ((rc = hl_audit_head(&h.entry_id, h.hash, self->st)) < 0)
		return rc;
	rc = hl_store_audit_head_last(self->st, grab_head, &last);
	if (rc < 0 && rc != HL_ENOTFOUND)
		return rc;
	/* the chain has not grown since the last head signed: nothing new to witness */
	if (!h.entry_id || (!force && last.entry_id == h.entry_id)) {
		*out = last.entry_id >= 0 ? last : h;
		out->fresh = 0;
		return 0;
	}
	if (last.entry_id > 0) {
		since.id = last.entry_id;
		if ((rc = hl_store_audit_since(self->st, since.id - 1, 1, entry_now, &since)) < 0)
			return rc;
	}
	h.at_ms = hl_exchange__now_ms();
	if ((rc = head_canon(&canon, &clen, h.entry_id, h.hash, h.at_ms, self->unit, &since)) < 0)
		return rc;
	hl_exchange__sign(h.sig, self, HL_X_CTX_HEAD, canon, clen);
	free(canon);
	if ((follows = hl_node_follows_hub(self->st)) < 0)
		return follows;
	if (follows)
		rc = send_head(self, &h, &since);
	else /* the hub: its head is kept here, no other node witnesses it */
		rc = hl_store_audit_head_add(self->st, h.entry_id, h.hash, h.at_ms, h.sig, NULL);
	if (rc < 0)
		return rc;
	h.fresh = 1;
	*out = h;
	return 0;
}

/* ---- on the hub: a node's head witnessed ---- */

typedef struct {
	int found;
	int64_t entry_id, received_ms;
	char hash[65];
} last_witnessed;

static int grab_witnessed(const hl_store_witness_row *r, void *ud)
{
	last_witnessed *w = ud;
	w->found = 1;
	w->entry_id = r->entry_id;
	w->received_ms = r->received_ms;
	snprintf(w->hash, sizeof(w->hash), "%s", r->hash ? r->hash : "");
	return 1;
}

/* A head the hub does not keep: recorded with its reason in the refusals of the exchange's
 * status, where the province sees it, and an alarm about the log (shortened, rewritten) also in
 * the hub's own audit log, which nothing prunes (the refusals keep the newest 1,000). The
 * message itself is taken (0): it carries nothing but the head, and a refusal would hold every
 * later message of the sender behind it — the documents a commune sends must not stop because
 * its log's witness raised an alarm. */
static int refuse(const hl_exchange_message *m, hl_store *st, hl_exchange_reason r, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));
static int refuse(const hl_exchange_message *m, hl_store *st, hl_exchange_reason r, const char *fmt,
                  ...)
{
	char msg[600], detail[640];
	va_list ap;
	int rc;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hl_exchange__reject(st, 0, m->id, m->from, r, msg);
	hl_error_clear();
	if (r == HL_EXCHANGE_R_AUDIT_SHORTENED || r == HL_EXCHANGE_R_AUDIT_REWRITTEN) {
		snprintf(detail, sizeof(detail), "%s: %s", hl_exchange_reason_name(r), msg);
		if ((rc = hl_store_audit(st, "exchange", "audit.alarm", m->from, detail)) < 0)
			return rc;
	}
	return 0;
}

/* The head's "since", if any: {"entry_id" >= 1, "hash": 64 hex or ""}. */
static int since_parse(since_t *out, json_t *j)
{
	json_int_t id = 0;
	const char *hash = NULL;
	memset(out, 0, sizeof(*out));
	if (!j)
		return 0;
	if (json_unpack(j, "{s:I,s:s}", "entry_id", &id, "hash", &hash) != 0 ||
	    json_object_size(j) != 2 || id < 1 || (*hash && !hl_exchange__is_hex64(hash)))
		return -1;
	out->id = id;
	snprintf(out->hash, sizeof(out->hash), "%s", hash);
	return 0;
}

int hl_exchange__witness_apply(hl_store *st, const hl_exchange_message *m)
{
	json_t *p = hl_canon_parse(m->payload, strlen(m->payload), "audit head");
	json_t *head = p ? json_object_get(p, "head") : NULL, *since_j = NULL;
	json_int_t entry = -1, at = -1;
	const char *hash = NULL, *unit = NULL, *sig = NULL;
	hl_exchange__peer from = {0};
	last_witnessed last = {0}, then = {0};
	hl_store_witness_row w = {0};
	since_t since;
	char *canon = NULL, when[32];
	size_t clen;
	int rc;

	if (!p ||
	    json_unpack(head, "{s:I,s:I,s:s,s:s,s?o}", "at_ms", &at, "entry_id", &entry, "hash",
	                &hash, "unit", &unit, "since", &since_j) != 0 ||
	    json_unpack(p, "{s:s}", "sig", &sig) != 0 ||
	    json_object_size(head) != (since_j ? 5u : 4u) || json_object_size(p) != 2 ||
	    entry < 1 || at < 0 || !hl_exchange__is_hex64(hash) ||
	    since_parse(&since, since_j) < 0) {
		rc = refuse(m, st, HL_EXCHANGE_R_MALFORMED,
		            "an audit head is {\"head\":{\"at_ms\",\"entry_id\",\"hash\","
		            "\"since\":{\"entry_id\",\"hash\"},\"unit\"},\"sig\"} (since "
		            "optional)");
		goto done;
	}
	if (strcmp(unit, m->from)) {
		rc = refuse(m, st, HL_EXCHANGE_R_BAD_SIGNATURE, "a head of %.32s's log sent by %s",
		            unit, m->from);
		goto done;
	}
	if ((rc = hl_exchange__peer_get(&from, st, m->from)) < 0)
		goto done;
	if ((rc = head_canon(&canon, &clen, entry, hash, at, unit, &since)) < 0)
		goto done;
	if (!from.found || hl_exchange__verify(sig, from.key, HL_X_CTX_HEAD, canon, clen) < 0) {
		rc = refuse(m, st, HL_EXCHANGE_R_BAD_SIGNATURE,
		            "the head of %s's audit log does not verify "
		            "with its key",
		            m->from);
		goto done;
	}
	if ((rc = hl_store_witness_list(st, m->from, 0, 1, grab_witnessed, &last)) < 0)
		goto done;
	hl_exchange__ms_iso(when, last.received_ms);
	if (last.found && entry < last.entry_id) {
		rc = refuse(m, st, HL_EXCHANGE_R_AUDIT_SHORTENED,
		            "the audit log of %s ends at entry %lld, but entry %lld was witnessed "
		            "here at %s",
		            m->from, (long long)entry, (long long)last.entry_id, when);
		goto done;
	}
	if (last.found && entry == last.entry_id && strcmp(hash, last.hash)) {
		rc = refuse(m, st, HL_EXCHANGE_R_AUDIT_REWRITTEN,
		            "entry %lld of %s's audit log has another hash than the one witnessed "
		            "here at %s",
		            (long long)entry, m->from, when);
		goto done;
	}
	/* The node's earlier head as its log reads now, against what was witnessed of it: a log
	 * rewritten and grown again is seen here at its next head. */
	if (since.id &&
	    (rc = hl_store_witness_list(st, m->from, since.id, 1, grab_witnessed, &then)) < 0)
		goto done;
	if (then.found && then.entry_id == since.id && strcmp(since.hash, then.hash)) {
		hl_exchange__ms_iso(when, then.received_ms);
		rc = refuse(
		    m, st, HL_EXCHANGE_R_AUDIT_REWRITTEN,
		    "entry %lld of %s's audit log, witnessed here at %s, %s now: the log was "
		    "rewritten at or before it",
		    (long long)since.id, m->from, when,
		    since.hash[0] ? "has another hash" : "is gone");
		goto done;
	}
	if (!since.id && last.found) {
		rc =
		    refuse(m, st, HL_EXCHANGE_R_AUDIT_REWRITTEN,
		           "the head of %s's audit log names no earlier head, yet entry %lld was "
		           "witnessed here at %s: the node's record of its heads is gone (removed, "
		           "or its data restored from an older copy)",
		           m->from, (long long)last.entry_id, when);
		goto done;
	}
	w.unit = m->from, w.entry_id = entry, w.hash = hash, w.at_ms = at, w.signature = sig;
	w.message_id = m->id, w.received_ms = hl_exchange__now_ms();
	rc = hl_store_witness_add(st, &w);
done:
	free(canon);
	hl_exchange__peer_free(&from);
	json_decref(p);
	return rc;
}

/* ---- the witness page: what the hub witnessed of a node's log, signed ---- */

static int witnessed_json(const hl_store_witness_row *r, void *ud)
{
	json_array_append_new(ud,
	                      json_pack("{s:I,s:s,s:I,s:I}", "entry_id", (json_int_t)r->entry_id,
	                                "hash", r->hash, "at_ms", (json_int_t)r->at_ms,
	                                "received_ms", (json_int_t)r->received_ms));
	return 0;
}

int hl_exchange_witness_page(char **out, size_t *outlen, hl_node *hub, const char *unit)
{
	json_t *heads = json_array(), *page = NULL, *o = NULL;
	char *canon = NULL, sig[HL_X_SIG_B64];
	size_t clen;
	int rc;

	if (!hl_exchange__valid_unit(unit)) {
		rc = hl_error_set(HL_EINVALID, "unit: [A-Za-z0-9._-]{1,32}");
		goto done;
	}
	if ((rc = hl_node_follows_hub(hub->st)) != 0) {
		rc = rc < 0
		         ? rc
		         : hl_error_set(HL_ENOTFOUND, "this node is not the hub: it witnesses no "
		                                      "other node's audit log");
		goto done;
	}
	if (!heads ||
	    (rc = hl_store_witness_list(hub->st, unit, 0, WITNESS_MAX, witnessed_json, heads)) < 0)
		goto done;
	page = json_pack("{s:I,s:s,s:s,s:O}", "at_ms", (json_int_t)hl_exchange__now_ms(), "hub",
	                 hub->unit, "unit", unit, "heads", heads);
	if (!page) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = hl_canon_encode(&canon, &clen, page)) < 0)
		goto done;
	hl_exchange__sign(sig, hub, HL_X_CTX_WITNESS, canon, clen);
	o = json_pack("{s:O,s:s}", "page", page, "sig", sig);
	if (!o || !(*out = json_dumps(o, JSON_COMPACT))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	*outlen = strlen(*out);
	rc = 0;
done:
	free(canon);
	json_decref(o);
	json_decref(page);
	json_decref(heads);
	return rc;
}

/* A witness page as a node reads it: signed by the trusted hub, about this node, fresh. The
 * points are its heads, at the time the hub received each. */
static int page_points(hl_audit_point **pts, size_t *n, const char *text, size_t len,
                       const char *hub_unit, const char *hub_key, const char *self_unit)
{
	json_t *o = hl_canon_parse(text, len, "witness page"), *page, *heads, *x;
	const char *sig = NULL, *hub = NULL, *unit = NULL;
	json_int_t at = 0;
	char *canon = NULL;
	size_t clen, i;
	int rc = HL_EINVALID;

	*pts = NULL, *n = 0;
	if (!o || !(page = json_object_get(o, "page")) ||
	    json_unpack(o, "{s:s}", "sig", &sig) != 0 ||
	    json_unpack(page, "{s:I,s:s,s:s,s:o}", "at_ms", &at, "hub", &hub, "unit", &unit,
	                "heads", &heads) != 0 ||
	    !json_is_array(heads)) {
		rc = hl_error_set(HL_EINVALID, "the hub's witness page is malformed");
		goto done;
	}
	if ((rc = hl_canon_encode(&canon, &clen, page)) < 0)
		goto done;
	if (hl_exchange__verify(sig, hub_key, HL_X_CTX_WITNESS, canon, clen) < 0 ||
	    strcmp(hub, hub_unit) || strcmp(unit, self_unit)) {
		rc =
		    hl_error_set(HL_EDENIED, "the witness page is not the trusted hub's about this "
		                             "node");
		goto done;
	}
	if (llabs(at - hl_exchange__now_ms()) > FRESH_MS) {
		rc =
		    hl_error_set(HL_EDENIED, "the witness page was signed more than 5 minutes from "
		                             "this node's clock (a replayed page?)");
		goto done;
	}
	if (json_array_size(heads) && !(*pts = calloc(json_array_size(heads), sizeof(**pts)))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	json_array_foreach(heads, i, x)
	{
		json_int_t id = 0, rec = 0;
		const char *hash = NULL;
		if (json_unpack(x, "{s:I,s:s,s:I}", "entry_id", &id, "hash", &hash, "received_ms",
		                &rec) != 0 ||
		    id < 1 || !hl_exchange__is_hex64(hash)) {
			rc = hl_error_set(HL_EINVALID,
			                  "the hub's witness page has a malformed head");
			goto done;
		}
		(*pts)[*n].id = id, (*pts)[*n].at_ms = rec;
		snprintf((*pts)[*n].hash, sizeof((*pts)[*n].hash), "%s", hash);
		(*n)++;
	}
	rc = 0;
done:
	if (rc < 0) {
		free(*pts);
		*pts = NULL, *n = 0;
	}
	free(canon);
	json_decref(o);
	return rc;
}

/* The witness page of this node, asked of the hub. */
static int ask_hub(hl_audit_point **pts, size_t *n, hl_node *self, const hl_exchange_proof_opts *o)
{
	char *hub_unit = NULL, *hub_url = NULL, *hub_key = NULL, url[2300];
	hl_http_opts ho = {0};
	hl_http *h = NULL;
	hl_http_answer *a = NULL;
	hl_http_req q = {"GET", url, NULL, NULL, 0, NULL};
	size_t base;
	int rc;

	if ((rc = hl_exchange__hub_node(&hub_unit, &hub_url, &hub_key, self->st)) < 0)
		return rc;
	base = strlen(hub_url);
	while (base && hub_url[base - 1] == '/')
		base--;
	snprintf(url, sizeof(url), "%.*s/api/v1/exchange/witness/%s", (int)base, hub_url,
	         self->unit);
	ho.connect_timeout_ms = o && o->connect_timeout_ms ? o->connect_timeout_ms : 3000;
	ho.timeout_ms = o && o->timeout_ms ? o->timeout_ms : 10000;
	ho.max_answer = WITNESS_PAGE_MAX;
	if ((rc = hl_http_new(&h, &ho)) < 0)
		goto done;
	if (hl_http_do(&a, h, &q) < 0) {
		rc = hl_error_set(HL_EIO, "GET %s: %s", url,
		                  a->over ? "the answer is too big" : a->error);
		goto done;
	}
	if (a->status != 200) {
		rc = hl_error_set(HL_EIO, "GET %s: HTTP %ld", url, a->status);
		goto done;
	}
	rc = page_points(pts, n, a->body, a->len, hub_unit, hub_key, self->unit);
done:
	hl_http_free(h);
	free(hub_unit), free(hub_url), free(hub_key);
	return rc;
}

typedef struct {
	hl_audit_point *v;
	size_t n, cap;
} points;

static int delivered_point(const hl_store_audit_head_row *r, void *ud)
{
	points *p = ud;
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		hl_audit_point *v = realloc(p->v, cap * sizeof(*v));
		if (!v)
			return hl_error_set(HL_ENOMEM, "out of memory");
		p->v = v, p->cap = cap;
	}
	p->v[p->n].id = r->entry_id;
	p->v[p->n].at_ms = r->delivered_ms;
	snprintf(p->v[p->n].hash, sizeof(p->v[p->n].hash), "%s", r->hash ? r->hash : "");
	p->n++;
	return 0;
}

int hl_exchange_audit_proof(hl_audit_proof *out, hl_node *self, const hl_exchange_proof_opts *o)
{
	hl_audit_proof r = {0};
	points p = {0};
	int rc, follows;

	if ((follows = hl_node_follows_hub(self->st)) < 0)
		return follows;
	if (!follows) {
		r.source = HL_AUDIT_PROOF_SELF;
	} else if (!(o && o->offline) && (rc = ask_hub(&p.v, &p.n, self, o)) == 0) {
		r.source = HL_AUDIT_PROOF_HUB;
	} else {
		/* the hub could not be asked: the heads it acknowledged here are what this node
		 * knows of its witness (a local copy, which whoever rewrote the log could also
		 * have removed: said so) */
		if (!(o && o->offline))
			snprintf(r.hub_error, sizeof(r.hub_error), "%s", hl_error_last());
		free(p.v);
		p.v = NULL, p.n = p.cap = 0;
		if ((rc = hl_store_audit_heads_delivered(self->st, WITNESS_MAX, delivered_point,
		                                         &p)) < 0)
			goto done;
		r.source = HL_AUDIT_PROOF_LOCAL;
	}
	for (size_t i = 0; i < p.n; i++)
		if (p.v[i].id > r.witnessed_id)
			r.witnessed_id = p.v[i].id, r.witnessed_ms = p.v[i].at_ms;
	rc = hl_audit_verify_points(&r.checked, self->st, p.v, p.n);
	*out = r;
done:
	free(p.v);
	return rc;
}
