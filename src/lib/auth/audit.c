/* The audit log as a hash chain: verifying that no entry was altered, removed or inserted
 * (entries are written by hl_store_audit, hashed by hl_store_audit_hash, numbered 1, 2, 3...). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth_int.h"
#include "store/store.h"
#include "store/store_auth.h"

typedef struct {
	char prev[65];
	uint64_t checked;
	int64_t last_id, broken_id;
	const char *why;
	char why_buf[96];
	/* the points to hold, by id; next: the first not reached yet */
	const hl_audit_point *points;
	size_t npoints, next;
	const hl_audit_point *rewritten, *missing;
} verify_ctx;

static int check_entry(const hl_store_audit_row *r, void *ud)
{
	verify_ctx *x = ud;
	char hash[65];
	const char *prev = r->prev_hash ? r->prev_hash : "";

	/* A witnessed point passed without its entry: that entry was removed. With the chain
	 * recomputed around the hole, only the point and the numbering can tell. */
	if (x->next < x->npoints && x->points[x->next].id < r->id) {
		x->missing = &x->points[x->next];
		return 1;
	}
	/* hl_store_audit numbers the entries last + 1 from 1: a gap is entries removed */
	if (r->id < 1) {
		x->broken_id = r->id;
		x->why = "its id is below 1 (written around the store)";
		return 1;
	}
	if (r->id != x->last_id + 1) {
		x->broken_id = r->id;
		if (r->id == x->last_id + 2)
			snprintf(x->why_buf, sizeof(x->why_buf),
			         "entry %" PRId64 " is missing (removed)", x->last_id + 1);
		else
			snprintf(x->why_buf, sizeof(x->why_buf),
			         "entries %" PRId64 " to %" PRId64 " are missing (removed)",
			         x->last_id + 1, r->id - 1);
		x->why = x->why_buf;
		return 1;
	}
	x->last_id = r->id;
	if (!r->hash) {
		x->broken_id = r->id;
		x->why = "it has no hash (written around the store)";
		return 1;
	}
	if (strcmp(prev, x->prev)) {
		x->broken_id = r->id;
		x->why = x->checked
		             ? "its prev_hash is not the hash of the entry before it (an entry "
		               "was removed, inserted or altered)"
		             : "the first entry names a previous entry";
		return 1;
	}
	hl_store_audit_hash(hash, prev, r->id, r->at, r->actor, r->action, r->object, r->detail);
	if (!r->hash || strcmp(hash, r->hash)) {
		x->broken_id = r->id;
		x->why =
		    r->hash ? "its contents do not match its hash (altered)" : "it has no hash";
		return 1;
	}
	memcpy(x->prev, hash, sizeof(x->prev));
	x->checked++;
	/* a point of this entry: the chain up to here must be the one witnessed */
	for (; x->next < x->npoints && x->points[x->next].id <= r->id; x->next++)
		if (x->points[x->next].id == r->id && strcmp(x->points[x->next].hash, hash)) {
			x->rewritten = &x->points[x->next];
			return 1;
		}
	return 0;
}

static int by_id(const void *a, const void *b)
{
	const hl_audit_point *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* "2026-12-07 08:15 (UTC+7)": when the province received a head. */
static void local_time(char out[40], int64_t ms)
{
	time_t t = (time_t)(ms / 1000) + 7 * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 40, "%Y-%m-%d %H:%M (UTC+7)", &tm);
}

int hl_audit_verify(uint64_t *checked, hl_store *st)
{
	return hl_audit_verify_points(checked, st, NULL, 0);
}

int hl_audit_verify_points(uint64_t *checked, hl_store *st, const hl_audit_point *points, size_t n)
{
	enum { BATCH = 4096 };
	verify_ctx x = {.prev = ""};
	hl_audit_point *sorted = NULL;
	char when[40];
	int rc;

	if (n) {
		if (!(sorted = malloc(n * sizeof(*sorted))))
			return hl_error_set(HL_ENOMEM, "out of memory");
		memcpy(sorted, points, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), by_id);
		x.points = sorted, x.npoints = n;
	}

	for (;;) {
		uint64_t before = x.checked;
		/* from the lowest id there is: an entry numbered 0 or below is not skipped */
		int64_t from = x.checked ? x.last_id : INT64_MIN;
		if ((rc = hl_store_audit_since(st, from, BATCH, check_entry, &x)) < 0)
			goto done;
		if (x.why || x.rewritten || x.missing || x.checked - before < BATCH)
			break;
	}
	if (checked)
		*checked = x.checked;
	rc = 0;
	if (x.why) {
		rc = hl_error_set(HL_EINVALID,
		                  "audit entry %" PRId64 " is broken: %s; %" PRIu64
		                  " entries before it are whole",
		                  x.broken_id, x.why, x.checked);
	} else if (x.missing) {
		local_time(when, x.missing->at_ms);
		rc = hl_error_set(HL_EINVALID,
		                  "audit entry %" PRId64 ", which the province witnessed on %s, is"
		                  " missing (removed); %" PRIu64 " entries before it are whole",
		                  x.missing->id, when, x.checked);
	} else if (x.rewritten) {
		local_time(when, x.rewritten->at_ms);
		rc = hl_error_set(
		    HL_EINVALID,
		    "audit entry %" PRId64 " is not the one the province witnessed on %s:"
		    " the log was rewritten at or before it (and its chain recomputed)",
		    x.rewritten->id, when);
	} else if (x.npoints && x.points[x.npoints - 1].id > x.last_id) {
		const hl_audit_point *p = &x.points[x.npoints - 1];
		local_time(when, p->at_ms);
		rc = hl_error_set(
		    HL_EINVALID,
		    "the audit log was shortened: the province witnessed entry %" PRId64
		    " on %s, the log ends at entry %" PRId64,
		    p->id, when, x.last_id);
	}
done:
	free(sorted);
	return rc;
}

int hl_audit_head(int64_t *id, char hash[65], hl_store *st)
{
	return hl_store_audit_last(id, hash, st);
}

/* ---- reading the log ---- */

typedef struct {
	int (*cb)(const hl_audit_row *r, void *ud);
	void *ud;
} page_ctx;

static int page_row(int64_t id, const char *at, const char *actor, const char *action,
                    const char *object, const char *detail, void *ud)
{
	page_ctx *c = ud;
	hl_audit_row r = {id, at, actor, action, object, detail};
	return c->cb(&r, c->ud);
}

int hl_audit_page(hl_store *st, const hl_principal *who, size_t offset, size_t limit,
                  int64_t *total, int (*cb)(const hl_audit_row *r, void *ud), void *ud)
{
	page_ctx c = {cb, ud};
	int rc;
	if ((rc = hl_auth_check(who, HL_ACT_AUDIT_READ)) < 0)
		return rc;
	return hl_store_audit_page(st, offset, limit, total, page_row, &c);
}
