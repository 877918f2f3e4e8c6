/* The inbox of a data directory, as the server's endpoints use it: this node's identity opened,
 * attachments taken from HOME/exchange/incoming, documents applied into the archive; one
 * envelope, or a batch of them accepted in one transaction with one signature for their
 * receipts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_int.h"
#include "halong/archive.h"
#include "store/store.h"
#include "halong/util.h"

/* What the inbox needs before it reads an envelope. */
typedef struct {
	hl_node *n;
	char dir[4096];
	hl_exchange_apply_ctx ctx;
	hl_exchange_accept_opts o;
} door;

/* This node's identity (HL_ENOTFOUND, reason no-identity, without one), the folder attachments
 * arrive in, and the accept options that apply documents into this archive. On failure nothing
 * stays open. */
static int door_open(door *d, hl_exchange_reason *reason, hl_archive *a)
{
	int rc;
	memset(d, 0, sizeof(*d));
	if ((rc = hl_node_open(&d->n, hl_archive_store(a), hl_archive_dir(a))) < 0) {
		if (rc == HL_ENOTFOUND) {
			*reason = HL_EXCHANGE_R_NO_IDENTITY;
			return hl_error_set(
			    HL_ENOTFOUND, "this node has no exchange identity (halong node init)");
		}
		return rc;
	}
	if (hl_exchange__incoming_dir(d->dir, sizeof(d->dir), a) < 0) {
		hl_node_free(d->n);
		d->n = NULL;
		return -1;
	}
	d->ctx.archive = a;
	d->ctx.attachments_dir = d->dir;
	d->o.attachments_dir = d->dir;
	d->o.apply = hl_exchange_apply_default;
	d->o.ud = &d->ctx;
	return 0;
}

void hl_exchange_result_clear(hl_exchange_result *r)
{
	if (!r)
		return;
	free(r->receipt);
	free(r->message);
	memset(r, 0, sizeof(*r));
}

/* A refusal is a failure that says its reason, or one of the codes an envelope's fault gives
 * (its form, its size, a right): the store failing is not the sender's fault. */
static int is_refusal(int rc)
{
	return hl_exchange_last_refusal() != HL_EXCHANGE_R_NONE || rc == HL_ELIMIT ||
	       rc == HL_EINVALID || rc == HL_EDENIED;
}

static void refused(hl_exchange_result *out, int rc)
{
	out->state = 0;
	out->code = rc;
	out->reason = hl_exchange_last_refusal();
	out->message = hl_strdup(hl_error_last());
}

int hl_exchange_receive(hl_exchange_result *out, hl_archive *a, const char *envelope, size_t len)
{
	door d;
	int rc;
	memset(out, 0, sizeof(*out));
	if ((rc = door_open(&d, &out->reason, a)) < 0) {
		out->code = rc;
		out->message = hl_strdup(hl_error_last());
		return rc;
	}
	rc = hl_exchange_inbox_accept(&out->receipt, &out->state, d.n, envelope, len, &d.o);
	if (rc < 0)
		refused(out, rc);
	hl_node_free(d.n);
	return rc;
}

void hl_exchange_results_free(hl_exchange_results *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		hl_exchange_result_clear(&r->v[i]);
	free(r->v);
	free(r);
}

/* Envelopes are the lines that hold something. */
static size_t count_envelopes(const char *p, const char *end)
{
	size_t n = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		n += len > 0;
		p += len + 1;
	}
	return n;
}

/* A batch being accepted: its results, and the id of each message stored (its receipt is
 * signed with the batch). */
typedef struct {
	hl_exchange_results *r;
	char (*ids)[37];
	door d;
} batch;

/* Each envelope accepted on its own inside the batch's transaction. A failure of the store
 * (not a refusal) fails the whole batch. */
static int batch_accept(batch *b, const char *p, const char *end)
{
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		hl_exchange_result *x = &b->r->v[b->r->n];
		int rc;
		if (len) {
			rc = hl_exchange_inbox_accept(&x->receipt, &x->state, b->d.n, p, len,
			                              &b->d.o);
			if (rc < 0 && !is_refusal(rc))
				return rc;
			if (rc < 0)
				refused(x, rc);
			else if (!x->receipt) /* filled in once the batch is signed */
				snprintf(b->ids[b->r->n], 37, "%s",
				         hl_exchange_receipts_last(b->d.o.receipts));
			b->r->n++;
		}
		p += len + 1;
	}
	return 0;
}

/* The batch's receipts: signed once, stored with their messages (inside the transaction). */
static int batch_sign(batch *b)
{
	int rc;
	if ((rc = hl_exchange_receipts_sign(b->d.o.receipts, b->d.n)) < 0)
		return rc;
	for (size_t i = 0; i < b->r->n; i++) {
		const char *rec;
		if (!b->ids[i][0])
			continue;
		if (!(rec = hl_exchange_receipts_get(b->d.o.receipts, b->ids[i])))
			return hl_error_set(HL_ERROR, "batch: no receipt for message %s",
			                    b->ids[i]);
		if (!(b->r->v[i].receipt = hl_strdup(rec)))
			return hl_error_set(HL_ENOMEM, "out of memory");
	}
	return 0;
}

int hl_exchange_receive_batch(hl_exchange_results **out, hl_exchange_reason *reason, hl_archive *a,
                              const char *from, const char *body, size_t len)
{
	const char *p = body ? body : "", *end = p + len;
	size_t n = 0;
	batch b = {0};
	int rc, began = 0;

	*reason = HL_EXCHANGE_R_NONE;
	/* The body's bytes first (the server's route stops there too; another caller may not). */
	if (len > HL_EXCHANGE_MAX_ENVELOPE) {
		*reason = HL_EXCHANGE_R_TOO_BIG;
		return hl_exchange__refuse_batch_bytes(hl_archive_store(a), from, len);
	}
	/* The limit counts envelopes, before any is read: a last line without its newline is one,
	 * an empty line is none. */
	if ((n = count_envelopes(p, end)) > HL_EXCHANGE_MAX_BATCH) {
		*reason = HL_EXCHANGE_R_TOO_BIG;
		return hl_exchange__refuse_batch(hl_archive_store(a), from, n);
	}
	if ((rc = door_open(&b.d, reason, a)) < 0)
		return rc;
	/* one signature for the batch's receipts (a Merkle root), not one a message */
	if (!(b.r = calloc(1, sizeof(*b.r))) || !(b.r->v = calloc(n + 1, sizeof(*b.r->v))) ||
	    !(b.ids = calloc(n + 1, sizeof(*b.ids))) ||
	    !(b.d.o.receipts = hl_exchange_receipts_new())) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	b.d.o.in_caller_tx = 1;
	if ((rc = hl_store_begin(hl_archive_store(a))) < 0)
		goto done;
	began = 1;
	if ((rc = batch_accept(&b, p, end)) < 0 || (rc = batch_sign(&b)) < 0)
		goto done;
	began = 0;
	/* The receipts are given out only once the messages are committed. */
	if ((rc = hl_store_commit(hl_archive_store(a))) < 0)
		goto done;
	*out = b.r;
	b.r = NULL;
done:
	if (began)
		hl_store_rollback(hl_archive_store(a));
	hl_exchange_results_free(b.r);
	free(b.ids);
	hl_exchange_receipts_free(b.d.o.receipts);
	hl_node_free(b.d.n);
	return rc;
}
