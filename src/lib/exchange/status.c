/* The exchange as seen from this node: the state per peer, the refusals with their reasons, and
 * how a refusal is recorded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_int.h"
#include "store/store_exchange.h"
#include "halong/util.h"

/* ---- reasons ---- */

static const char *const reason_names[] = {
    [HL_EXCHANGE_R_NONE] = "refused",
    [HL_EXCHANGE_R_TOO_BIG] = "too-big",
    [HL_EXCHANGE_R_MALFORMED] = "malformed",
    [HL_EXCHANGE_R_UNKNOWN_SENDER] = "unknown-sender",
    [HL_EXCHANGE_R_REVOKED_SENDER] = "revoked-sender",
    [HL_EXCHANGE_R_BAD_SIGNATURE] = "bad-signature",
    [HL_EXCHANGE_R_WRONG_RECIPIENT] = "wrong-recipient",
    [HL_EXCHANGE_R_TYPE_NOT_ALLOWED] = "type-not-allowed",
    [HL_EXCHANGE_R_ACCESS_DENIED] = "access-denied",
    [HL_EXCHANGE_R_CLOCK_SKEW] = "clock-skew",
    [HL_EXCHANGE_R_ID_REUSED] = "id-reused",
    [HL_EXCHANGE_R_ATTACHMENT] = "attachment",
    [HL_EXCHANGE_R_SEQUENCE] = "sequence",
    [HL_EXCHANGE_R_CONFLICT] = "conflict",
    [HL_EXCHANGE_R_FONDS] = "fonds-not-held",
    [HL_EXCHANGE_R_OFFSET] = "offset",
    [HL_EXCHANGE_R_NO_IDENTITY] = "no-identity",
    [HL_EXCHANGE_R_AUDIT_SHORTENED] = "audit-shortened",
    [HL_EXCHANGE_R_AUDIT_REWRITTEN] = "audit-rewritten",
    [HL_EXCHANGE_R_NEWER_VERSION] = "newer-version",
};

const char *hl_exchange_reason_name(hl_exchange_reason r)
{
	if ((size_t)r >= sizeof(reason_names) / sizeof(reason_names[0]) || !reason_names[r])
		return "refused";
	return reason_names[r];
}

/* The reason of the last refusal on this thread (as hl_error_last is the last message). */
static _Thread_local hl_exchange_reason last_refusal;

hl_exchange_reason hl_exchange_last_refusal(void)
{
	return last_refusal;
}

void hl_exchange__refusal_set(hl_exchange_reason r)
{
	last_refusal = r;
}

typedef struct {
	const char *id, *sender, *reason, *detail;
	int same;
} newest;

/* Both NULL, or the same text. */
static int same_text(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int same_as_newest(const hl_exchange_reject_row *r, void *ud)
{
	newest *n = ud;
	n->same = same_text(r->msg_id, n->id) && same_text(r->sender, n->sender) && r->reason &&
	          !strcmp(r->reason, n->reason) && r->detail && !strcmp(r->detail, n->detail);
	return 1;
}

int hl_exchange__reject(hl_store *st, int64_t now, const char *id, const char *sender,
                        hl_exchange_reason r, const char *detail)
{
	newest n = {id, sender, hl_exchange_reason_name(r), detail ? detail : "", 0};
	char *keep;
	int code;
	last_refusal = r;
	if (!st)
		return 0;
	/* A failure to record is less important than the refusal itself: the caller still learns
	 * why; the status misses one line. The message set is the refusal's, kept. */
	keep = hl_strdup(hl_error_last());
	code = hl_error_code();
	/* A message refused again as it was a moment ago (the sender retries one that the apply
	 * step refuses, every few minutes until someone looks), or a refusal of the flow repeated
	 * for each message of a backlog (no id, the same detail), is one line, not one a retry:
	 * the newest 1,000 kept must not fill with it. */
	if (hl_store_xrejects(st, 1, same_as_newest, &n) < 0 || !n.same)
		hl_store_xreject_add(st, now ? now : hl_exchange__now_ms(), id, sender, n.reason,
		                     detail);
	if (keep)
		hl_error_set(code, "%s", keep);
	else
		hl_error_clear();
	free(keep);
	return 0;
}

/* ---- refusals no signature vouches for ---- */

static int peer_known(const hl_node_row *row, void *ud)
{
	*(int *)ud = 1;
	(void)row;
	return 0;
}

int hl_exchange__reject_unverified(hl_store *st, int64_t now, const char *id, const char *claimed,
                                   hl_exchange_reason r, const char *detail)
{
	char who[48], *keep;
	int known = 0, code;
	newest n = {id, NULL, hl_exchange_reason_name(r), detail ? detail : "", 0};
	last_refusal = r;
	if (!st)
		return 0;
	keep = hl_strdup(hl_error_last());
	code = hl_error_code();
	/* Named only as what it claims to be, and only when it claims a node of the directory:
	 * anything else a request says is not written into the status as a sender. */
	if (claimed && hl_exchange__valid_unit(claimed) &&
	    hl_store_xpeer_get(st, claimed, peer_known, &known) < 0)
		known = 0;
	snprintf(who, sizeof(who), "unverified: %s", known ? claimed : "");
	n.sender = known ? who : NULL;
	/* the same as the newest: not written again (a node retrying, a replayed forgery) */
	if (hl_store_xrejects(st, 1, same_as_newest, &n) < 0 || !n.same)
		hl_store_xreject_add_unverified(st, now ? now : hl_exchange__now_ms(), id, n.sender,
		                                n.reason, n.detail, 60000);
	if (keep)
		hl_error_set(code, "%s", keep);
	else
		hl_error_clear();
	free(keep);
	return 0;
}

/* ---- a body refused before it is read ---- */

/* Records a too-big refusal (the body unread, or a batch of too many envelopes): nothing is
 * checked yet, so it is a refusal no signature vouches for. Returns HL_ELIMIT with the detail as
 * the message. */
static int record_too_big(hl_store *st, const char *from, const char *detail)
{
	hl_exchange__reject_unverified(st, 0, NULL, from, HL_EXCHANGE_R_TOO_BIG, detail);
	return hl_error_set(HL_ELIMIT, "%s", detail);
}

int hl_exchange_refuse_too_big(hl_store *st, const char *what, const char *content_length,
                               const char *from)
{
	char detail[300], clv[24];
	size_t i;
	/* Keep only the digits of what the request said (it is not checked further). */
	for (i = 0; content_length && content_length[i] >= '0' && content_length[i] <= '9' &&
	            i + 1 < sizeof(clv);
	     i++)
		clv[i] = content_length[i];
	clv[i] = 0;
	snprintf(detail, sizeof(detail),
	         "%s of %s bytes, over the limit of %u bytes (refused from its Content-Length, "
	         "unread)",
	         what, i ? clv : "?", HL_EXCHANGE_MAX_ENVELOPE);
	return record_too_big(st, from, detail);
}

int hl_exchange__refuse_batch_bytes(hl_store *st, const char *from, size_t len)
{
	char detail[160];
	snprintf(detail, sizeof(detail), "a batch of %zu bytes, over the limit of %u", len,
	         HL_EXCHANGE_MAX_ENVELOPE);
	return record_too_big(st, from, detail);
}

int hl_exchange__refuse_batch(hl_store *st, const char *from, size_t n)
{
	char detail[160];
	snprintf(detail, sizeof(detail), "a batch of %zu envelopes, over the limit of %d", n,
	         HL_EXCHANGE_MAX_BATCH);
	return record_too_big(st, from, detail);
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
