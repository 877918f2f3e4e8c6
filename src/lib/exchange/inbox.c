/* The inbox: an envelope checked, stored once and applied once, in sequence order per sender,
 * with this node's receipt; every refusal recorded with its reason. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_int.h"
#include "store/store_exchange.h"
#include "halong/util.h"

/* ---- the inbox ---- */

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
static int apply_one(hl_node *self, const hl_exchange__env *e, const char *envelope,
                     const char *canon_payload, const hl_exchange_accept_opts *o, int64_t now)
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
		hl_exchange__env e;
		int rc;
		if ((rc = hl_store_xin_applied_seq(&last, self->st, sender)) < 0)
			return rc;
		rc = hl_store_xin_get(self->st, NULL, sender, last + 1, grab_in, &x);
		if (rc == HL_ENOTFOUND)
			return 0;
		if (rc < 0)
			return rc;
		if ((rc = hl_exchange__env_parse(&e, x.envelope, strlen(x.envelope), 1)) == 0)
			rc = apply_one(self, &e, x.envelope, NULL, o, now);
		hl_exchange__env_free(&e);
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
	hl_exchange__env e = {0};
	hl_exchange__peer from = {0}, me = {0};
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
	if ((rc = hl_exchange__env_parse(&e, text, len, 1)) < 0) {
		char why[400];
		snprintf(why, sizeof(why), "%s", hl_error_last());
		rc = refuse(self, now, e.id, e.from, rc == HL_ELIMIT ? HL_ELIMIT : HL_EINVALID,
		            "malformed", "%s", why);
		goto done;
	}
	if ((rc = hl_exchange__peer_lookup(&from, batch, st, e.from)) < 0 ||
	    (rc = hl_exchange__peer_lookup(&me, batch, st, self->unit)) < 0)
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
	if ((rc = hl_exchange__env_verify_hash(&e, from.key, hash, &payload)) != 0) {
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
	if (!batch && (rc = hl_exchange__make_receipt(&receipt, self, &e, hash, now)) < 0)
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
	if (batch && (rc = hl_exchange__receipts_add(batch, e.id, hash, e.from)) < 0)
		goto done; /* the caller's transaction fails as a whole */
ok:
	if (batch)
		hl_exchange__receipts_set_last(batch, e.id);
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
	hl_exchange__env_free(&e);
	hl_exchange__peer_free(&from);
	hl_exchange__peer_free(&me);
	in_free(&dup);
	free(receipt);
	free(stored);
	free(payload);
	return rc;
}
