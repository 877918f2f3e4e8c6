/* Every SQL statement of catalog/share.c: data requests, their decisions, the grants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_catalog_share.h"
#include "store_int.h"

#define REQ_COLS                                                                                   \
	"r.id, r.dataset_id, d.name, d.owner, r.agency, r.purpose, r.legal_basis,"                 \
	" r.requested_at, r.requested_by, r.due, r.state, r.decided_at, r.decided_by, r.reason,"   \
	" r.decision_basis, r.until, d.access"

int hl_store_data_request_add(int64_t *id, hl_store *st, const hl_store_data_request_row *r)
{
	sqlite3_stmt *s;
	int rc;
	if (!st->in_tx)
		return hl_error_set(HL_ERROR, "a data request is added inside a transaction");
	if (!(s = hl_store__prepare(
	          st, "INSERT INTO data_request(dataset_id, agency, purpose, legal_basis,"
	              " requested_at, requested_by, due) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")))
		return -1;
	sqlite3_bind_int64(s, 1, r->dataset_id);
	sqlite3_bind_text(s, 2, r->agency, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, r->purpose, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, r->legal_basis, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, r->requested_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, r->requested_by, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, r->due, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return hl_store__error(st, "data request");
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int hl_store_data_request_foreach(hl_store *st, const hl_store_data_request_filter *f,
                                  int (*cb)(const hl_store_data_request_row *r, void *ud), void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "SELECT " REQ_COLS " FROM data_request r JOIN dataset d ON d.id = r.dataset_id"
	        " WHERE (?1 = 0 OR r.id = ?1) AND (?2 = 0 OR r.dataset_id = ?2)"
	        " AND (?3 IS NULL OR r.state = ?3)"
	        " AND ((?4 IS NULL AND ?5 IS NULL) OR r.agency = ?4 OR d.owner = ?5)"
	        " ORDER BY r.id");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, f->id);
	sqlite3_bind_int64(s, 2, f->dataset_id);
	hl_store__bind_text(s, 3, f->state);
	hl_store__bind_text(s, 4, f->asked_by);
	hl_store__bind_text(s, 5, f->owner);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_store_data_request_row r = {
		    .id = sqlite3_column_int64(s, 0),
		    .dataset_id = sqlite3_column_int64(s, 1),
		    .dataset = hl_store__col(s, 2),
		    .owner = hl_store__col(s, 3),
		    .agency = hl_store__col(s, 4),
		    .purpose = hl_store__col(s, 5),
		    .legal_basis = hl_store__col(s, 6),
		    .requested_at = hl_store__col(s, 7),
		    .requested_by = hl_store__col(s, 8),
		    .due = hl_store__col(s, 9),
		    .state = hl_store__col(s, 10),
		    .decided_at = hl_store__col(s, 11),
		    .decided_by = hl_store__col(s, 12),
		    .reason = hl_store__col(s, 13),
		    .decision_basis = hl_store__col(s, 14),
		    .until = hl_store__col(s, 15),
		    .access = sqlite3_column_int(s, 16),
		};
		int r2 = cb(&r, ud);
		if (r2) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return hl_store__error(st, "data request");
	return 0;
}

int hl_store_data_request_decide(hl_store *st, int64_t id, const char *from, const char *to,
                                 const char *at, const char *by, const char *reason,
                                 const char *basis, const char *until)
{
	sqlite3_stmt *s;
	int rc;
	if (!st->in_tx)
		return hl_error_set(HL_ERROR, "a data request is decided inside a transaction");
	if (!(s = hl_store__prepare(
	          st,
	          "UPDATE data_request SET state = ?3, decided_at = ?4, decided_by = ?5,"
	          " reason = ?6, decision_basis = ?7, until = ?8 WHERE id = ?1 AND state = ?2")))
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, to, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, by, -1, SQLITE_STATIC);
	hl_store__bind_text(s, 6, reason);
	hl_store__bind_text(s, 7, basis);
	hl_store__bind_text(s, 8, until);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return hl_store__error(st, "data request");
	if (sqlite3_changes(st->db) != 1)
		return hl_error_set(HL_ECONFLICT, "request %lld is no longer %s", (long long)id,
		                    from);
	return 0;
}

int hl_store_data_grant_put(hl_store *st, int64_t dataset_id, const char *agency,
                            int64_t request_id, const char *until)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "INSERT OR REPLACE INTO data_grant(dataset_id, agency, request_id, until)"
	        " VALUES (?1, ?2, ?3, ?4)");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, dataset_id);
	sqlite3_bind_text(s, 2, agency, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, request_id);
	hl_store__bind_text(s, 4, until);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : hl_store__error(st, "data grant");
}

int hl_store_data_grant_del(hl_store *st, int64_t dataset_id, const char *agency)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "DELETE FROM data_grant WHERE dataset_id = ?1 AND agency = ?2");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, dataset_id);
	sqlite3_bind_text(s, 2, agency, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : hl_store__error(st, "data grant");
}

int hl_store_data_grant_has(hl_store *st, int64_t dataset_id, const char *agency, const char *today)
{
	sqlite3_stmt *s =
	    hl_store__cached(st, "SELECT 1 FROM data_grant WHERE dataset_id = ?1 AND agency = ?2"
	                         " AND (until IS NULL OR until >= ?3)");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, dataset_id);
	sqlite3_bind_text(s, 2, agency, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, today, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		rc = hl_store__error(st, "data grant");
	hl_store__release(st, s);
	if (rc < 0)
		return rc;
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : hl_store__error(st, "data grant");
}

static int sp(hl_store *st, const char *verb, const char *name, const char *tail)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "%s %s%s", verb, name, tail);
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return hl_store__error(st, "savepoint");
	return 0;
}

int hl_store_savepoint(hl_store *st, const char *name)
{
	if (!st->in_tx)
		return hl_error_set(HL_ERROR, "a savepoint is made inside a transaction");
	return sp(st, "SAVEPOINT", name, "");
}

int hl_store_savepoint_release(hl_store *st, const char *name)
{
	return sp(st, "RELEASE", name, "");
}

int hl_store_savepoint_undo(hl_store *st, const char *name)
{
	int rc = sp(st, "ROLLBACK TO", name, "");
	hl_store__forget_ids(st);
	return rc < 0 ? rc : sp(st, "RELEASE", name, "");
}

/* ---- a commune's subscriptions to the hub's datasets (catalog/share_feed.c) ---- */

int hl_store_dataset_subscribe(int *added, hl_store *st, const char *name, const char *since,
                               const char *by)
{
	sqlite3_stmt *s;
	int rc;
	*added = 0;
	if (!st->in_tx)
		return hl_error_set(HL_ERROR, "a subscription is added inside a transaction");
	if (!(s = hl_store__prepare(
	          st, "INSERT INTO dataset_subscription(name, since, by) VALUES (?1, ?2, ?3)"
	              " ON CONFLICT(name) DO UPDATE SET active = 1, since = excluded.since,"
	              " by = excluded.by WHERE active = 0")))
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, since, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, by, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return hl_store__error(st, "dataset subscription");
	if (!(*added = sqlite3_changes(st->db) > 0))
		return 0;
	/* the feed read again from its start: the entries passed over before are applied now */
	if (sqlite3_exec(st->db,
	                 "UPDATE feed_position SET seq = 0, hash = NULL, last_error = NULL,"
	                 " last_error_ms = NULL WHERE feed = 'datasets'",
	                 NULL, NULL, NULL) != SQLITE_OK)
		return hl_store__error(st, "dataset subscription");
	return 0;
}

int hl_store_dataset_unsubscribe(int *removed, hl_store *st, const char *name)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "UPDATE dataset_subscription SET active = 0 WHERE name = ?1 AND active = 1");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return hl_store__error(st, "dataset subscription");
	*removed = sqlite3_changes(st->db) > 0;
	return 0;
}

int hl_store_dataset_subscriptions(hl_store *st, const char *name,
                                   int (*cb)(const hl_store_subscription_row *r, void *ud),
                                   void *ud)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "SELECT name, since, by, applied FROM dataset_subscription"
	                          " WHERE active = 1 AND (?1 IS NULL OR name = ?1) ORDER BY name");
	int rc, stop = 0;
	if (!s)
		return -1;
	if (name)
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_store_subscription_row r = {.name = hl_store__col(s, 0),
		                               .since = hl_store__col(s, 1),
		                               .by = hl_store__col(s, 2),
		                               .applied = sqlite3_column_int64(s, 3)};
		if ((stop = cb(&r, ud)) < 0) {
			sqlite3_finalize(s);
			return stop;
		}
	}
	sqlite3_finalize(s);
	if (!stop && rc != SQLITE_DONE)
		return hl_store__error(st, "dataset subscriptions");
	return 0;
}

int hl_store_dataset_subscription_applied(hl_store *st, const char *name, int64_t version)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "UPDATE dataset_subscription SET applied = ?2 WHERE name = ?1");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, version);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : hl_store__error(st, "dataset subscription");
}
