/* The audit log as a hash chain: verifying that no entry was altered, removed or inserted
 * (entries are written by hl_store_audit, hashed by hl_store_audit_hash). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "auth_int.h"
#include "store/store.h"
#include "store/store_auth.h"

typedef struct {
	char prev[65];
	uint64_t checked;
	int64_t last_id, broken_id;
	const char *why;
} verify_ctx;

static int check_entry(const hl_store_audit_row *r, void *ud)
{
	verify_ctx *x = ud;
	char hash[65];
	const char *prev = r->prev_hash ? r->prev_hash : "";

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
	return 0;
}

int hl_audit_verify(uint64_t *checked, hl_store *st)
{
	enum { BATCH = 4096 };
	verify_ctx x = {.prev = ""};
	int rc;

	for (;;) {
		uint64_t before = x.checked;
		int64_t from = x.last_id;
		if ((rc = hl_store_audit_since(st, from, BATCH, check_entry, &x)) < 0)
			return rc;
		if (x.broken_id || x.checked - before < BATCH)
			break;
	}
	if (checked)
		*checked = x.checked;
	if (x.broken_id)
		return hl_error_set(HL_EINVALID,
		                    "audit entry %" PRId64 " is broken: %s; %" PRIu64
		                    " entries before it are whole",
		                    x.broken_id, x.why, x.checked);
	return 0;
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
