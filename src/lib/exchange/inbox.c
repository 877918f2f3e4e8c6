/* The inbox: an envelope checked (README.md, "Inbox checks, in order"), stored once and applied
 * once, in sequence order per sender, with this node's receipt; every refusal recorded with its
 * reason. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_int.h"
#include "store/store_exchange.h"
#include "store/store.h"
#include "halong/util.h"

/* An inbox row read back. */
typedef struct {
	int found;
	char id[37], hash[65];
	int64_t seq;
	char *receipt, *envelope;
} in_row;

/* One envelope on its way through the inbox. */
typedef struct {
	hl_node *self;
	hl_store *st;
	const hl_exchange_accept_opts *o;
	hl_exchange_receipts *batch; /* a batch's receipts, signed once for all */
	int nested;                  /* in the caller's transaction (a batch) */
	int64_t now;
	const char *text;
	size_t len;
	hl_exchange__env e;
	hl_exchange__peer from, me;
	in_row dup;
	char hash[65];
	char *payload; /* its canonical bytes, cut from the signed text */
	char *receipt, *stored;
	int state;
	int verified; /* the sender's signature verified: its refusals name it */
} inbox;

/* Records a refusal of the envelope (its id and sender when they could be read) and returns
 * `code` with "reason: detail" as the message. */
static int refuse(inbox *x, int code, hl_exchange_reason r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int refuse(inbox *x, int code, hl_exchange_reason r, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (x->verified)
		hl_exchange__reject(x->st, x->now, x->e.id, x->e.from, r, detail);
	else /* anyone can post to the inbox: the sender only as it claims to be */
		hl_exchange__reject_unverified(x->st, x->now, x->e.id, x->e.from, r, detail);
	return hl_error_set(code, "%s: %s", hl_exchange_reason_name(r), detail);
}

static int grab_in(const hl_store_xin_row *r, void *ud)
{
	in_row *x = ud;
	x->found = 1;
	snprintf(x->id, sizeof(x->id), "%s", r->id);
	snprintf(x->hash, sizeof(x->hash), "%s", r->hash);
	x->seq = r->seq;
	x->receipt = hl_strdup(r->receipt);
	x->envelope = hl_strdup(r->envelope);
	return 0;
}

static void in_free(in_row *x)
{
	free(x->receipt);
	free(x->envelope);
	memset(x, 0, sizeof(*x));
}

/* ---- applying ---- */

/* `canon_payload`: the payload's canonical bytes when known (NULL: encoded here). A failure of
 * the apply step that says its reason (a document held here from elsewhere) is recorded by the
 * caller once the message is rolled back. */
static int apply_one(hl_node *self, const hl_exchange__env *e, const char *envelope,
                     const char *canon_payload, const hl_exchange_accept_opts *o, int64_t now)
{
	hl_exchange_message m = {0};
	char *payload = NULL;
	int rc;
	if (o && o->apply) {
		if (!canon_payload && (rc = hl_canon_encode(&payload, NULL, e->payload)) < 0)
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
		hl_exchange__refusal_set(HL_EXCHANGE_R_NONE);
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

/* Is a failure of the apply step the message's own fault (a reason said, or a code its content
 * gives) rather than the store's? */
static int message_fault(int rc)
{
	return hl_exchange_last_refusal() != HL_EXCHANGE_R_NONE || rc == HL_EINVALID ||
	       rc == HL_EDENIED || rc == HL_ELIMIT;
}

/* A held message whose apply step refused it (why, msg), once its savepoint is undone: refused
 * under its own id, its row kept as 'refused' (the signed envelope stays, as evidence), and the
 * stream goes past it. It was acknowledged as held already — its sender marked it delivered and
 * will not send it again — so holding the stream for it would stop every later message of the
 * sender for good, and roll back the message that filled the gap on each of its retries. */
static int held_refused(hl_node *self, const in_row *x, const char *sender, int64_t now,
                        hl_exchange_reason why, const char *msg)
{
	int rc = hl_store_xin_set_refused(self->st, x->id, sender, x->seq, now);
	if (rc < 0)
		return rc;
	hl_exchange__reject(self->st, now, x->id, sender, why,
	                    msg && *msg ? msg : "refused when the gap before it filled");
	hl_exchange__refusal_set(HL_EXCHANGE_R_NONE);
	hl_error_clear();
	return 0;
}

/* Applies the sender's held messages that follow its last applied one, in order, each in its own
 * savepoint: one that its apply step refuses is refused alone (held_refused) and the others go
 * on; a failure of the store fails them all. */
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
		if (rc < 0 || (rc = hl_store_xsavepoint(self->st, 0)) < 0) {
			in_free(&x);
			return rc;
		}
		hl_exchange__refusal_set(HL_EXCHANGE_R_NONE);
		if ((rc = hl_exchange__env_parse(&e, x.envelope, strlen(x.envelope), 1)) == 0)
			rc = apply_one(self, &e, x.envelope, NULL, o, now);
		hl_exchange__env_free(&e);
		if (rc == 0) {
			rc = hl_store_xsavepoint(self->st, 1);
		} else if (message_fault(rc)) {
			hl_exchange_reason why = hl_exchange_last_refusal();
			char *msg = hl_strdup(hl_error_last());
			if ((rc = hl_store_xsavepoint(self->st, 2)) == 0)
				rc = held_refused(self, &x, sender, now, why, msg);
			free(msg);
		} else {
			hl_store_xsavepoint(self->st, 2);
		}
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

/* ---- the checks, in order ---- */

/* 1-2: the size before parsing, then the form. */
static int check_form(inbox *x)
{
	int rc;
	/* The size first: a 100 MB body is refused before a byte of it is parsed. */
	if (x->len > HL_EXCHANGE_MAX_ENVELOPE)
		return refuse(x, HL_ELIMIT, HL_EXCHANGE_R_TOO_BIG,
		              "envelope of %zu bytes, over the limit of %u bytes", x->len,
		              HL_EXCHANGE_MAX_ENVELOPE);
	if ((rc = hl_exchange__env_parse(&x->e, x->text, x->len, 1)) < 0) {
		char why[400];
		snprintf(why, sizeof(why), "%s", hl_error_last());
		return refuse(x, rc == HL_ELIMIT ? HL_ELIMIT : HL_EINVALID,
		              x->e.v > HL_EXCHANGE_PROTOCOL ? HL_EXCHANGE_R_NEWER_VERSION
		                                            : HL_EXCHANGE_R_MALFORMED,
		              "%s", why);
	}
	return 0;
}

/* 3-5: the sender in the directory, not revoked, its signature (and the hash with it). */
static int check_sender(inbox *x)
{
	int rc;
	if ((rc = hl_exchange__peer_lookup(&x->from, x->batch, x->st, x->e.from)) < 0 ||
	    (rc = hl_exchange__peer_lookup(&x->me, x->batch, x->st, x->self->unit)) < 0)
		return rc;
	if (!x->from.found)
		return refuse(x, HL_EDENIED, HL_EXCHANGE_R_UNKNOWN_SENDER,
		              "%s is not in the directory held here", x->e.from);
	if (x->from.revoked)
		return refuse(x, HL_EDENIED, HL_EXCHANGE_R_REVOKED_SENDER,
		              "%s is revoked in the directory", x->e.from);
	rc = hl_exchange__env_verify_hash(&x->e, x->from.key, x->hash, &x->payload);
	if (rc == -1)
		return refuse(x, HL_EDENIED, HL_EXCHANGE_R_BAD_SIGNATURE,
		              "the signature does not verify with %s's key", x->e.from);
	if (rc < 0)
		return refuse(x, HL_EINVALID, HL_EXCHANGE_R_MALFORMED, "%s", hl_error_last());
	x->verified = 1;
	return 0;
}

/* 8, the documents a message carries: each by its own level, not only the envelope's (a sender
 * could label public a message whose documents are restricted or secret). */
static int check_levels(inbox *x, hl_access envelope)
{
	char why[300];
	json_t *docs;
	if (strcmp(x->e.type, "document"))
		return 0;
	docs = json_object_get(x->e.payload, "documents");
	if (hl_exchange__docs_within_limits(why, sizeof(why), docs) < 0)
		return refuse(x, HL_ELIMIT, HL_EXCHANGE_R_TOO_BIG, "%s", why);
	for (size_t i = 0; i < json_array_size(docs); i++)
		if (hl_exchange__doc_level_ok(why, sizeof(why), json_array_get(docs, i), i,
		                              envelope, x->me.restricted) < 0)
			return refuse(x, HL_EDENIED, HL_EXCHANGE_R_ACCESS_DENIED, "%s", why);
	return 0;
}

/* 6-9: for this node, a type both may use, an access level this node may hold, the clock. */
static int check_rights(inbox *x)
{
	const hl_exchange__env *e = &x->e;
	hl_access level;
	int rc;
	if (strcmp(e->to, x->self->unit))
		return refuse(x, HL_EDENIED, HL_EXCHANGE_R_WRONG_RECIPIENT,
		              "addressed to %s, this node is %s", e->to, x->self->unit);
	if (!strcmp(e->type, HL_EXCHANGE_TYPE_AUDIT_HEAD)) {
		/* a protocol message: any node of the directory to the hub (this node, when it
		 * follows no other) */
		if (hl_node_follows_hub(x->self->st) != 0)
			return refuse(x, HL_EDENIED, HL_EXCHANGE_R_TYPE_NOT_ALLOWED,
			              "\"%s\" goes to the hub, and this node is not the hub",
			              e->type);
	} else if (!hl_exchange__list_has(x->from.may_send, e->type) || !x->me.found ||
	           x->me.revoked || !hl_exchange__list_has(x->me.may_receive, e->type))
		return refuse(x, HL_EDENIED, HL_EXCHANGE_R_TYPE_NOT_ALLOWED,
		              !hl_exchange__list_has(x->from.may_send, e->type)
		                  ? "the directory does not let %s send \"%s\""
		                  : "the directory does not let this node receive %.0s\"%s\"",
		              e->from, e->type);
	hl_access_parse(&level, e->access);
	if (level == HL_ACCESS_SECRET || (level == HL_ACCESS_RESTRICTED && !x->me.restricted))
		return refuse(x, HL_EDENIED, HL_EXCHANGE_R_ACCESS_DENIED,
		              "a %s message may not come to this node", e->access);
	if ((rc = check_levels(x, level)) < 0)
		return rc;
	if (e->sent_ms > x->now + HL_EXCHANGE_SKEW_MS ||
	    e->sent_ms < x->now - HL_EXCHANGE_SKEW_MS) {
		char at[32], here[32];
		hl_exchange__ms_iso(at, e->sent_ms);
		hl_exchange__ms_iso(here, x->now);
		return refuse(x, HL_EDENIED, HL_EXCHANGE_R_CLOCK_SKEW,
		              "sent at %s by %s's clock, %lld s %s this node's %s (window +-%d s)",
		              at, e->from, (long long)llabs(e->sent_ms - x->now) / 1000,
		              e->sent_ms > x->now ? "ahead of" : "behind", here,
		              HL_EXCHANGE_SKEW_MS / 1000);
	}
	return 0;
}

/* 10: the id received before (x->dup): the same content is a duplicate (1: its receipt
 * again, nothing applied; a receipt still empty: the message came earlier in this same
 * batch, its receipt is signed with the batch), other content is refused. 0: not received
 * before. */
static int judge_duplicate(inbox *x)
{
	if (!x->dup.found)
		return 0;
	if (strcmp(x->dup.hash, x->hash))
		return refuse(x, HL_EDENIED, HL_EXCHANGE_R_ID_REUSED,
		              "message %s was received before with other content", x->e.id);
	x->state = HL_EXCHANGE_DUPLICATE;
	free(x->receipt);
	x->receipt = NULL;
	if (x->dup.receipt && *x->dup.receipt) {
		x->receipt = x->dup.receipt;
		x->dup.receipt = NULL;
	}
	return 1;
}

static int check_duplicate(inbox *x)
{
	int rc;
	in_free(&x->dup);
	rc = hl_store_xin_get(x->st, x->e.id, NULL, 0, grab_in, &x->dup);
	if (rc < 0 && rc != HL_ENOTFOUND)
		return rc;
	return judge_duplicate(x);
}

/* 11: each attachment arrived, with its SHA-256 and size. */
static int check_attachments(inbox *x)
{
	const hl_exchange__env *e = &x->e;
	for (size_t i = 0; i < e->natt; i++) {
		char *path = NULL, got[65];
		int64_t size = -1;
		int hr = -1;
		if (x->o && x->o->attachments_dir)
			path = hl_path_join(x->o->attachments_dir, e->att[i].sha256);
		if (path && hl_file_exists(path))
			hr = hl_sha256_file(got, &size, path);
		free(path);
		if (hr < 0)
			return refuse(x, HL_EDENIED, HL_EXCHANGE_R_ATTACHMENT,
			              "attachment %s (%s) has not arrived", e->att[i].name,
			              e->att[i].sha256);
		if (strcmp(got, e->att[i].sha256) || size != e->att[i].size)
			return refuse(x, HL_EDENIED, HL_EXCHANGE_R_ATTACHMENT,
			              "attachment %s: SHA-256 %.12s… and %lld bytes arrived, the "
			              "envelope says %.12s… and %lld bytes",
			              e->att[i].name, got, (long long)size, e->att[i].sha256,
			              (long long)e->att[i].size);
	}
	return 0;
}

/* A refusal of the flow (a message before its turn, beyond what is held for its sender): for
 * the caller, about this message; in the refusals, one line while the gap lasts (no message id,
 * the same detail), however many of the sender's messages come — a sender with a backlog sends
 * each of them, again and again until the gap fills. */
typedef struct {
	int code;
	hl_exchange_reason reason;
	char detail[300], msg[400];
} flow;

static int refuse_flow(inbox *x, const flow *f)
{
	hl_exchange__reject(x->st, x->now, NULL, x->e.from, f->reason, f->detail);
	return hl_error_set(f->code, "%s: %s", hl_exchange_reason_name(f->reason), f->msg);
}

/* 12b: a message that would be held (after a gap): at most HL_EXCHANGE_MAX_AHEAD after the
 * sender's last applied, and within the bytes its held messages may take here. 1 and *f when
 * it is refused, 0, or a negative code. */
static int check_window(flow *f, inbox *x, int64_t last)
{
	int64_t held = 0, cap = x->o && x->o->max_held_bytes > 0 ? x->o->max_held_bytes
	                                                         : HL_EXCHANGE_MAX_HELD;
	int rc;
	if (x->e.seq <= last + 1)
		return 0;
	if (x->e.seq - last > HL_EXCHANGE_MAX_AHEAD) {
		f->code = HL_EDENIED;
		f->reason = HL_EXCHANGE_R_SEQUENCE;
		snprintf(f->detail, sizeof(f->detail),
		         "messages of %s more than %d after the last applied (sequence %lld) wait "
		         "at the sender until the ones before them have come",
		         x->e.from, HL_EXCHANGE_MAX_AHEAD, (long long)last);
		snprintf(f->msg, sizeof(f->msg),
		         "sequence %lld of %s is more than %d ahead of the last applied (%lld): "
		         "send it again once the ones before it have come",
		         (long long)x->e.seq, x->e.from, HL_EXCHANGE_MAX_AHEAD, (long long)last);
		return 1;
	}
	if ((rc = hl_store_xin_held_bytes(&held, x->st, x->e.from)) < 0)
		return rc;
	if (held + (int64_t)x->len <= cap)
		return 0;
	f->code = HL_ELIMIT;
	f->reason = HL_EXCHANGE_R_TOO_BIG;
	snprintf(f->detail, sizeof(f->detail),
	         "messages of %s held here until sequence %lld comes take %lld bytes: later ones "
	         "past the limit of %lld wait at the sender",
	         x->e.from, (long long)last + 1, (long long)held, (long long)cap);
	snprintf(f->msg, sizeof(f->msg),
	         "message %s (sequence %lld) of %s: held with the %lld bytes held already it "
	         "would pass the limit of %lld bytes held for a sender; send it again once "
	         "sequence %lld has come",
	         x->e.id, (long long)x->e.seq, x->e.from, (long long)held, (long long)cap,
	         (long long)last + 1);
	return 1;
}

/* 12: the sequence not applied already, nor too far ahead. *last: the sender's last applied. */
static int check_sequence(inbox *x, int64_t *last)
{
	flow f;
	int rc;
	if ((rc = hl_store_xin_applied_seq(last, x->st, x->e.from)) < 0)
		return rc;
	/* Outside a transaction another connection may have applied this very message since
	 * check_duplicate looked (a sender's retry racing its first try): a duplicate, not a
	 * refusal. */
	if (x->e.seq <= *last && !x->nested && (rc = check_duplicate(x)) != 0)
		return rc;
	if (x->e.seq <= *last)
		return refuse(x, HL_EDENIED, HL_EXCHANGE_R_SEQUENCE,
		              "sequence %lld of %s is applied already by another message",
		              (long long)x->e.seq, x->e.from);
	if ((rc = check_window(&f, x, *last)) != 0)
		return rc < 0 ? rc : refuse_flow(x, &f);
	return 0;
}

/* ---- storing and applying ---- */

/* Inside the transaction (writers take turns there): another connection may have stored
 * this message, or applied the sender's previous one, since the checks. 1: a duplicate
 * after all; 0: go on; < 0: refused (the transaction rolled back). A batch ran the checks
 * inside the caller's write transaction already. */
static int recheck(inbox *x, int64_t *last, int *began)
{
	flow f;
	int rc, far = 0;
	if (!x->nested) {
		in_free(&x->dup);
		rc = hl_store_xin_get(x->st, x->e.id, NULL, 0, grab_in, &x->dup);
		if (rc < 0 && rc != HL_ENOTFOUND)
			return rc;
		if ((rc = hl_store_xin_applied_seq(last, x->st, x->e.from)) < 0)
			return rc;
		/* other connections may have held messages of the sender meanwhile */
		if (!x->dup.found && x->e.seq > *last && (far = check_window(&f, x, *last)) < 0)
			return far;
	}
	if (!x->dup.found && x->e.seq > *last && !far)
		return 0;
	tx_rollback(x->st, x->nested);
	*began = 0;
	if (x->dup.found)
		return judge_duplicate(x);
	if (far)
		return refuse_flow(x, &f);
	return refuse(x, HL_EDENIED, HL_EXCHANGE_R_SEQUENCE,
	              "sequence %lld of %s is applied already by another message",
	              (long long)x->e.seq, x->e.from);
}

/* The envelope kept as received (the sender's signature is the message's provenance). */
static int store_one(inbox *x, int *began)
{
	hl_store_xin_row r = {x->e.id,
	                      x->e.from,
	                      x->e.type,
	                      x->hash,
	                      NULL,
	                      "held",
	                      x->receipt ? x->receipt : "",
	                      x->e.seq,
	                      x->e.created_ms};
	int rc;
	if (!(x->stored = malloc(x->len + 1)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	memcpy(x->stored, x->text, x->len);
	x->stored[x->len] = '\0';
	r.envelope = x->stored;
	rc = hl_store_xin_add(x->st, &r, x->now);
	if (rc == HL_ECONFLICT) {
		tx_rollback(x->st, x->nested);
		*began = 0;
		return refuse(x, HL_EDENIED, HL_EXCHANGE_R_SEQUENCE,
		              "sequence %lld of %s is held already for another message",
		              (long long)x->e.seq, x->e.from);
	}
	return rc;
}

/* A failure of the apply step, once rolled back: recorded when it says its reason. */
static int apply_failed(inbox *x, int rc)
{
	hl_exchange_reason why = hl_exchange_last_refusal();
	char *msg;
	if (why == HL_EXCHANGE_R_NONE)
		return rc;
	msg = hl_strdup(hl_error_last());
	hl_exchange__reject(x->st, x->now, x->e.id, x->e.from, why, msg ? msg : "");
	hl_error_set(rc, "%s", msg ? msg : "");
	free(msg);
	return rc;
}

/* Stores the message and, when it is the next of its sender, applies it and those held
 * after it, all in one transaction (a savepoint in a batch). 1: a duplicate after all. */
static int store_and_apply(inbox *x, int64_t last)
{
	int rc, began = 0;
	if (!x->batch &&
	    (rc = hl_exchange__make_receipt(&x->receipt, x->self, &x->e, x->hash, x->now)) < 0)
		return rc;
	if ((rc = tx_begin(x->st, x->nested)) < 0)
		return rc;
	began = 1;
	if ((rc = recheck(x, &last, &began)) != 0 || (rc = store_one(x, &began)) < 0)
		goto done;
	x->state = HL_EXCHANGE_HELD;
	if (x->e.seq == last + 1) {
		if ((rc = apply_one(x->self, &x->e, x->stored, x->payload, x->o, x->now)) < 0 ||
		    (rc = apply_held(x->self, x->e.from, x->o, x->now)) < 0) {
			tx_rollback(x->st, x->nested);
			began = 0;
			rc = apply_failed(x, rc);
			goto done;
		}
		x->state = HL_EXCHANGE_APPLIED;
	}
	began = 0;
	if ((rc = tx_commit(x->st, x->nested)) < 0)
		goto done;
	if (x->batch)
		rc = hl_exchange__receipts_add(x->batch, x->e.id, x->hash, x->e.from);
done:
	if (began)
		tx_rollback(x->st, x->nested);
	return rc;
}

static void inbox_free(inbox *x)
{
	hl_exchange__env_free(&x->e);
	hl_exchange__peer_free(&x->from);
	hl_exchange__peer_free(&x->me);
	in_free(&x->dup);
	free(x->receipt);
	free(x->stored);
	free(x->payload);
}

int hl_exchange_inbox_accept(char **receipt_out, int *state, hl_node *self, const char *text,
                             size_t len, const hl_exchange_accept_opts *o)
{
	inbox x = {.self = self,
	           .st = self->st,
	           .o = o,
	           .batch = o ? o->receipts : NULL,
	           .nested = o && o->in_caller_tx,
	           .now = o && o->now_ms ? o->now_ms : hl_exchange__now_ms(),
	           .text = text,
	           .len = len};
	int64_t last = 0;
	int rc;

	hl_exchange__refusal_set(HL_EXCHANGE_R_NONE);
	if (hl_store_in_tx(x.st) != x.nested)
		return hl_error_set(HL_EINVALID, x.nested
		                                     ? "inbox: a batch runs in the caller's "
		                                       "transaction"
		                                     : "inbox: accept runs its own transaction");
	if (x.batch && !x.nested)
		return hl_error_set(HL_EINVALID, "inbox: a batch's receipts need the caller's "
		                                 "transaction");
	if ((rc = check_form(&x)) < 0 || (rc = check_sender(&x)) < 0 ||
	    (rc = check_rights(&x)) < 0 || (rc = check_duplicate(&x)) < 0)
		goto done;
	if (rc == 0 && ((rc = check_attachments(&x)) < 0 || (rc = check_sequence(&x, &last)) < 0))
		goto done;
	if (rc == 0 && (rc = store_and_apply(&x, last)) < 0)
		goto done;
	if (x.batch)
		hl_exchange__receipts_set_last(x.batch, x.e.id);
	if (!x.batch && !x.receipt) {
		/* only a batch in progress holds a message without its receipt */
		rc = hl_error_set(HL_ERROR, "inbox: message %s has no receipt yet", x.e.id);
		goto done;
	}
	if (receipt_out) {
		*receipt_out = x.receipt;
		x.receipt = NULL;
	}
	if (state)
		*state = x.state;
	rc = 0;
done:
	inbox_free(&x);
	return rc;
}
