/* Every SQL statement of the exchange module: this node, the directory, the outbox, the inbox,
 * links and refusals (schema migration 6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_exchange.h"
#include "halong/util.h"
#include "store_int.h"

/* Binds text as it is: "" stays "" (an empty list of types means none), NULL is SQL NULL. */
static void bind_exact(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

/* Statements are kept for the connection's life (hl_store__cached): the exchange runs the same
 * dozen statements for every message, and preparing them each time cost more than running them. */
#define prepare hl_store__cached

/* Steps a statement that returns no row, and gives it back. */
static int exec1(hl_store *st, sqlite3_stmt *s, int *changes, const char *what)
{
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE) {
		rc = hl_store__error(st, what);
		hl_store__release(st, s);
		return rc;
	}
	if (changes)
		*changes = sqlite3_changes(st->db);
	hl_store__release(st, s);
	return 0;
}

int hl_store_in_tx(hl_store *st)
{
	return !sqlite3_get_autocommit(st->db);
}

int hl_store_xsavepoint(hl_store *st, int op)
{
	static const char *const sql[] = {"SAVEPOINT hl_x", "RELEASE hl_x", "ROLLBACK TO hl_x"};
	if (op < 0 || op > 2)
		return hl_error_set(HL_EINVALID, "savepoint: bad operation");
	/* once a message, for every message of a batch: kept prepared */
	for (int i = op;; i = 1) {
		sqlite3_stmt *s = prepare(st, sql[i]);
		int rc;
		if (i == 2)
			/* the rows undone may include a fonds or dossier this connection
			 * remembers the id of */
			hl_store__forget_ids(st);
		if (!s || (rc = exec1(st, s, NULL, "savepoint")) < 0)
			return s ? rc : -1;
		if (i == 1 || op != 2)
			return 0;
	}
}

/* ---- this node ---- */

int hl_store_xself_get(hl_store *st, hl_store_xself_cb cb, void *ud)
{
	sqlite3_stmt *s =
	    prepare(st, "SELECT unit, url, public_key, hub_key FROM exchange_self WHERE id = 1"
	                " AND unit IS NOT NULL");
	int rc, r = HL_ENOTFOUND;
	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		r = cb(hl_store__col(s, 0), hl_store__col(s, 1), hl_store__col(s, 2),
		       hl_store__col(s, 3), ud);
	else if (rc != SQLITE_DONE)
		r = hl_store__error(st, "node identity");
	hl_store__release(st, s);
	return r;
}

int hl_store_xself_set(hl_store *st, const char *unit, const char *url, const char *public_key)
{
	char now[32];
	int changes = 0, rc;
	sqlite3_stmt *s = prepare(
	    st, "INSERT INTO exchange_self(id, unit, url, public_key, created_at)"
	        " VALUES (1, ?1, ?2, ?3, ?4) ON CONFLICT(id) DO UPDATE SET unit = ?1, url = ?2,"
	        " public_key = ?3 WHERE unit IS NULL");
	if (!s)
		return -1;
	hl_now_utc(now);
	bind_exact(s, 1, unit);
	bind_exact(s, 2, url);
	bind_exact(s, 3, public_key);
	bind_exact(s, 4, now);
	if ((rc = exec1(st, s, &changes, "set node identity")) < 0)
		return rc;
	return changes ? 0 : hl_error_set(HL_ECONFLICT, "this node already has an identity");
}

int hl_store_xself_rotate(hl_store *st, const char *old_pk, const char *new_pk)
{
	int changes = 0, rc;
	sqlite3_stmt *s = prepare(st, "UPDATE exchange_self SET public_key = ?2"
	                              " WHERE id = 1 AND public_key = ?1");
	if (!s)
		return -1;
	bind_exact(s, 1, old_pk);
	bind_exact(s, 2, new_pk);
	if ((rc = exec1(st, s, &changes, "rotate the node key")) < 0)
		return rc;
	return changes ? 0 : hl_error_set(HL_ECONFLICT, "the store names another node key");
}

int hl_store_xhub_key_set(hl_store *st, const char *hub_key)
{
	char now[32];
	sqlite3_stmt *s =
	    prepare(st, "INSERT INTO exchange_self(id, hub_key, created_at)"
	                " VALUES (1, ?1, ?2) ON CONFLICT(id) DO UPDATE SET hub_key = ?1");
	if (!s)
		return -1;
	hl_now_utc(now);
	bind_exact(s, 1, hub_key);
	bind_exact(s, 2, now);
	return exec1(st, s, NULL, "set hub key");
}

int hl_store_xhub_key_get(char **out, hl_store *st)
{
	sqlite3_stmt *s = prepare(st, "SELECT hub_key FROM exchange_self WHERE id = 1");
	int rc;
	char *v = NULL;
	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && hl_store__col(s, 0))
		v = hl_strdup(hl_store__col(s, 0));
	hl_store__release(st, s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return hl_store__error(st, "hub key");
	*out = v;
	return 0;
}

/* ---- the directory ---- */

#define PEER_COLS "unit, url, public_key, may_send, may_receive, updated_at, restricted, revoked"

static int peers_each(hl_store *st, sqlite3_stmt *s, int (*cb)(const hl_node_row *r, void *ud),
                      void *ud, int *found)
{
	int rc, r = 0;
	*found = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_node_row n = {hl_store__col(s, 0),      hl_store__col(s, 1),
		                 hl_store__col(s, 2),      hl_store__col(s, 3),
		                 hl_store__col(s, 4),      hl_store__col(s, 5),
		                 sqlite3_column_int(s, 6), sqlite3_column_int(s, 7)};
		*found = 1;
		if ((r = cb(&n, ud)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = hl_store__error(st, "directory");
	hl_store__release(st, s);
	return r < 0 ? r : 0;
}

int hl_store_xpeer_put(hl_store *st, const hl_node_row *r)
{
	char now[32];
	sqlite3_stmt *s = prepare(st, "INSERT OR REPLACE INTO exchange_peer(" PEER_COLS ")"
	                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
	if (!s)
		return -1;
	hl_now_utc(now);
	bind_exact(s, 1, r->unit);
	bind_exact(s, 2, r->url);
	bind_exact(s, 3, r->public_key);
	bind_exact(s, 4, r->may_send ? r->may_send : "");
	bind_exact(s, 5, r->may_receive ? r->may_receive : "");
	bind_exact(s, 6, r->updated_at ? r->updated_at : now);
	sqlite3_bind_int(s, 7, r->restricted ? 1 : 0);
	sqlite3_bind_int(s, 8, r->revoked ? 1 : 0);
	return exec1(st, s, NULL, "put node");
}

int hl_store_xpeer_revoke(hl_store *st, const char *unit)
{
	char now[32];
	int changes = 0, rc;
	sqlite3_stmt *s =
	    prepare(st, "UPDATE exchange_peer SET revoked = 1, updated_at = ?2 WHERE unit = ?1");
	if (!s)
		return -1;
	hl_now_utc(now);
	bind_exact(s, 1, unit);
	bind_exact(s, 2, now);
	if ((rc = exec1(st, s, &changes, "revoke node")) < 0)
		return rc;
	return changes ? 0 : HL_ENOTFOUND;
}

int hl_store_xpeer_get(hl_store *st, const char *unit, int (*cb)(const hl_node_row *r, void *ud),
                       void *ud)
{
	sqlite3_stmt *s = prepare(st, "SELECT " PEER_COLS " FROM exchange_peer WHERE unit = ?1");
	int found, rc;
	if (!s)
		return -1;
	bind_exact(s, 1, unit);
	if ((rc = peers_each(st, s, cb, ud, &found)) < 0)
		return rc;
	return found ? 0 : HL_ENOTFOUND;
}

int hl_store_xpeer_foreach(hl_store *st, int (*cb)(const hl_node_row *r, void *ud), void *ud)
{
	sqlite3_stmt *s = prepare(st, "SELECT " PEER_COLS " FROM exchange_peer ORDER BY unit");
	int found;
	if (!s)
		return -1;
	return peers_each(st, s, cb, ud, &found);
}

int hl_store_xpeers_clear(hl_store *st)
{
	sqlite3_stmt *s = prepare(st, "DELETE FROM exchange_peer");
	if (!s)
		return -1;
	return exec1(st, s, NULL, "clear directory");
}

int hl_store_xdir_get(int64_t *version, int64_t *issued_ms, int *imported, char **signed_copy,
                      hl_store *st)
{
	sqlite3_stmt *s = prepare(st, "SELECT version, issued_ms, imported, signed_copy"
	                              " FROM exchange_directory WHERE id = 1");
	int rc;
	int64_t v = 0, at = 0;
	int imp = 0;
	char *copy = NULL;
	if (!s)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		v = sqlite3_column_int64(s, 0);
		at = sqlite3_column_int64(s, 1);
		imp = sqlite3_column_int(s, 2);
		if (signed_copy && hl_store__col(s, 3))
			copy = hl_strdup(hl_store__col(s, 3));
	}
	hl_store__release(st, s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return hl_store__error(st, "directory version");
	if (version)
		*version = v;
	if (issued_ms)
		*issued_ms = at;
	if (imported)
		*imported = imp;
	if (signed_copy)
		*signed_copy = copy;
	return 0;
}

int hl_store_xdir_set(hl_store *st, int64_t version, int64_t issued_ms, int imported,
                      const char *signed_copy)
{
	sqlite3_stmt *s = prepare(
	    st, "INSERT OR REPLACE INTO exchange_directory(id, version, issued_ms, imported,"
	        " signed_copy) VALUES (1, ?1, ?2, ?3, ?4)");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, version);
	sqlite3_bind_int64(s, 2, issued_ms);
	sqlite3_bind_int(s, 3, imported ? 1 : 0);
	bind_exact(s, 4, signed_copy);
	return exec1(st, s, NULL, "set directory version");
}

/* ---- the outbox ---- */

int hl_store_xout_next_seq(int64_t *seq, hl_store *st, const char *peer)
{
	sqlite3_stmt *s =
	    prepare(st, "INSERT INTO exchange_stream(peer, dir, seq) VALUES (?1, 'out', 1)"
	                " ON CONFLICT(peer, dir) DO UPDATE SET seq = seq + 1"
	                " RETURNING seq");
	int rc;
	int64_t v = 0;
	if (!s)
		return -1;
	bind_exact(s, 1, peer);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	if (rc == SQLITE_ROW)
		rc = sqlite3_step(s);
	hl_store__release(st, s);
	if (rc != SQLITE_DONE || v <= 0)
		return hl_store__error(st, "next sequence");
	*seq = v;
	return 0;
}

int hl_store_xout_add(hl_store *st, const char *id, const char *peer, int64_t seq, const char *type,
                      int64_t created_ms, const char *body, const char *hash)
{
	sqlite3_stmt *s =
	    prepare(st, "INSERT INTO exchange_outbox(id, recipient, seq, type,"
	                " created_ms, body, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (!s)
		return -1;
	bind_exact(s, 1, id);
	bind_exact(s, 2, peer);
	sqlite3_bind_int64(s, 3, seq);
	bind_exact(s, 4, type);
	sqlite3_bind_int64(s, 5, created_ms);
	bind_exact(s, 6, body);
	bind_exact(s, 7, hash);
	return exec1(st, s, NULL, "outbox put");
}

int hl_store_xout_get(hl_store *st, const char *id, hl_store_xout_cb cb, void *ud)
{
	sqlite3_stmt *s =
	    prepare(st, "SELECT body, hash, recipient, state FROM exchange_outbox WHERE id = ?1");
	int rc, r = HL_ENOTFOUND;
	if (!s)
		return -1;
	bind_exact(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		r = cb(hl_store__col(s, 0), hl_store__col(s, 1), hl_store__col(s, 2),
		       hl_store__col(s, 3), ud);
	else if (rc != SQLITE_DONE)
		r = hl_store__error(st, "outbox get");
	hl_store__release(st, s);
	return r;
}

int hl_store_xout_pending(hl_store *st, const char *peer, int64_t due_ms, size_t max,
                          int (*cb)(const hl_exchange_outbox_row *r, void *ud), void *ud)
{
	sqlite3_stmt *s = prepare(
	    st, "SELECT id, recipient, type, last_error, seq, created_ms, attempts, next_attempt_ms"
	        " FROM exchange_outbox WHERE state = 'waiting' AND (?1 IS NULL OR recipient = ?1)"
	        " AND (?2 = 0 OR next_attempt_ms <= ?2) ORDER BY recipient, seq LIMIT ?3");
	int rc, r = 0;
	if (!s)
		return -1;
	bind_exact(s, 1, peer);
	sqlite3_bind_int64(s, 2, due_ms);
	sqlite3_bind_int64(s, 3, max ? (int64_t)max : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_exchange_outbox_row o = {hl_store__col(s, 0),        hl_store__col(s, 1),
		                            hl_store__col(s, 2),        hl_store__col(s, 3),
		                            sqlite3_column_int64(s, 4), sqlite3_column_int64(s, 5),
		                            sqlite3_column_int64(s, 6), sqlite3_column_int64(s, 7)};
		if ((r = cb(&o, ud)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = hl_store__error(st, "outbox pending");
	hl_store__release(st, s);
	return r < 0 ? r : 0;
}

int hl_store_xout_delivered(hl_store *st, const char *id, const char *receipt, int64_t at_ms)
{
	int changes = 0, rc;
	sqlite3_stmt *s = prepare(st, "UPDATE exchange_outbox SET state = 'delivered',"
	                              " delivered_ms = ?2, receipt = ?3, attempts = attempts + 1,"
	                              " last_error = NULL WHERE id = ?1 AND state = 'waiting'");
	if (!s)
		return -1;
	bind_exact(s, 1, id);
	sqlite3_bind_int64(s, 2, at_ms);
	bind_exact(s, 3, receipt);
	if ((rc = exec1(st, s, &changes, "outbox delivered")) < 0)
		return rc;
	return changes ? 0 : HL_ENOTFOUND;
}

int hl_store_xout_failed(hl_store *st, const char *id, const char *error, int64_t at_ms,
                         int64_t retry_at_ms)
{
	int changes = 0, rc;
	sqlite3_stmt *s =
	    prepare(st, "UPDATE exchange_outbox SET attempts = attempts + 1, last_error = ?2,"
	                " next_attempt_ms = ?3 WHERE id = ?1 AND state = 'waiting'");
	(void)at_ms;
	if (!s)
		return -1;
	bind_exact(s, 1, id);
	bind_exact(s, 2, error);
	sqlite3_bind_int64(s, 3, retry_at_ms);
	if ((rc = exec1(st, s, &changes, "outbox failed")) < 0)
		return rc;
	return changes ? 0 : HL_ENOTFOUND;
}

/* ---- the inbox ---- */

int hl_store_xin_get(hl_store *st, const char *id, const char *sender, int64_t seq,
                     int (*cb)(const hl_store_xin_row *r, void *ud), void *ud)
{
	sqlite3_stmt *s = prepare(
	    st, id ? "SELECT id, sender, type, hash, envelope, state, receipt, seq, created_ms"
	             " FROM exchange_inbox WHERE id = ?1"
	           : "SELECT id, sender, type, hash, envelope, state, receipt, seq, created_ms"
	             " FROM exchange_inbox WHERE state = 'held' AND sender = ?2 AND seq = ?3");
	int rc, r = HL_ENOTFOUND;
	if (!s)
		return -1;
	if (id) {
		bind_exact(s, 1, id);
	} else {
		bind_exact(s, 2, sender);
		sqlite3_bind_int64(s, 3, seq);
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		hl_store_xin_row m = {
		    hl_store__col(s, 0), hl_store__col(s, 1),        hl_store__col(s, 2),
		    hl_store__col(s, 3), hl_store__col(s, 4),        hl_store__col(s, 5),
		    hl_store__col(s, 6), sqlite3_column_int64(s, 7), sqlite3_column_int64(s, 8)};
		r = cb(&m, ud);
	} else if (rc != SQLITE_DONE) {
		r = hl_store__error(st, "inbox get");
	}
	hl_store__release(st, s);
	return r;
}

int hl_store_xin_add(hl_store *st, const hl_store_xin_row *r, int64_t received_ms)
{
	sqlite3_stmt *s =
	    prepare(st, "INSERT INTO exchange_inbox(id, sender, seq, type, created_ms,"
	                " hash, envelope, state, receipt, received_ms, bytes)"
	                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
	int rc;
	if (!s)
		return -1;
	bind_exact(s, 1, r->id);
	bind_exact(s, 2, r->sender);
	sqlite3_bind_int64(s, 3, r->seq);
	bind_exact(s, 4, r->type);
	sqlite3_bind_int64(s, 5, r->created_ms);
	bind_exact(s, 6, r->hash);
	bind_exact(s, 7, r->envelope);
	bind_exact(s, 8, r->state);
	bind_exact(s, 9, r->receipt);
	sqlite3_bind_int64(s, 10, received_ms);
	sqlite3_bind_int64(s, 11, r->envelope ? (int64_t)strlen(r->envelope) : 0);
	rc = sqlite3_step(s);
	hl_store__release(st, s);
	if (rc == SQLITE_CONSTRAINT)
		return hl_error_set(HL_ECONFLICT, "message %s of %s: sequence %lld is taken", r->id,
		                    r->sender, (long long)r->seq);
	if (rc != SQLITE_DONE)
		return hl_store__error(st, "inbox add");
	return 0;
}

int hl_store_xin_set_receipt(hl_store *st, const char *id, const char *receipt)
{
	sqlite3_stmt *s = prepare(st, "UPDATE exchange_inbox SET receipt = ?2 WHERE id = ?1");
	if (!s)
		return -1;
	bind_exact(s, 1, id);
	bind_exact(s, 2, receipt);
	return exec1(st, s, NULL, "inbox receipt");
}

int hl_store_xin_applied_seq(int64_t *seq, hl_store *st, const char *sender)
{
	sqlite3_stmt *s =
	    prepare(st, "SELECT seq FROM exchange_stream WHERE peer = ?1 AND dir = 'in'");
	int rc;
	int64_t v = 0;
	if (!s)
		return -1;
	bind_exact(s, 1, sender);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	hl_store__release(st, s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return hl_store__error(st, "applied sequence");
	*seq = v;
	return 0;
}

int hl_store_xin_held_bytes(int64_t *bytes, hl_store *st, const char *sender)
{
	/* from the index exchange_inbox_held alone (state, sender, seq, bytes) */
	sqlite3_stmt *s = prepare(st, "SELECT coalesce(sum(bytes), 0) FROM exchange_inbox"
	                              " WHERE state = 'held' AND sender = ?1");
	int rc;
	if (!s)
		return -1;
	bind_exact(s, 1, sender);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*bytes = sqlite3_column_int64(s, 0);
		rc = 0;
	} else {
		rc = hl_store__error(st, "inbox held");
	}
	hl_store__release(st, s);
	return rc;
}

/* Message `id` applied or refused at `at_ms`, and the sender's stream past `seq`. */
static int xin_done(hl_store *st, const char *id, const char *sender, int64_t seq, int64_t at_ms,
                    int applied)
{
	sqlite3_stmt *s = prepare(st, applied ? "UPDATE exchange_inbox SET state = 'applied',"
	                                        " applied_ms = ?2 WHERE id = ?1"
	                                      : "UPDATE exchange_inbox SET state = 'refused',"
	                                        " applied_ms = ?2 WHERE id = ?1");
	int rc;
	if (!s)
		return -1;
	bind_exact(s, 1, id);
	sqlite3_bind_int64(s, 2, at_ms);
	if ((rc = exec1(st, s, NULL, "inbox applied")) < 0)
		return rc;
	if (!(s = prepare(st, "INSERT INTO exchange_stream(peer, dir, seq) VALUES (?1, 'in', ?2)"
	                      " ON CONFLICT(peer, dir) DO UPDATE SET seq = ?2")))
		return -1;
	bind_exact(s, 1, sender);
	sqlite3_bind_int64(s, 2, seq);
	return exec1(st, s, NULL, "inbox applied");
}

int hl_store_xin_set_applied(hl_store *st, const char *id, const char *sender, int64_t seq,
                             int64_t at_ms)
{
	return xin_done(st, id, sender, seq, at_ms, 1);
}

int hl_store_xin_set_refused(hl_store *st, const char *id, const char *sender, int64_t seq,
                             int64_t at_ms)
{
	return xin_done(st, id, sender, seq, at_ms, 0);
}

/* ---- links and refusals ---- */

int hl_store_xlink_success(hl_store *st, const char *peer, int64_t at_ms)
{
	sqlite3_stmt *s = prepare(st, "INSERT INTO exchange_link(peer, last_success_ms)"
	                              " VALUES (?1, ?2) ON CONFLICT(peer) DO UPDATE SET"
	                              " last_success_ms = ?2");
	if (!s)
		return -1;
	bind_exact(s, 1, peer);
	sqlite3_bind_int64(s, 2, at_ms);
	return exec1(st, s, NULL, "link success");
}

int hl_store_xlink_error(hl_store *st, const char *peer, const char *error, int64_t at_ms)
{
	sqlite3_stmt *s = prepare(st, "INSERT INTO exchange_link(peer, last_error, last_error_ms)"
	                              " VALUES (?1, ?2, ?3) ON CONFLICT(peer) DO UPDATE SET"
	                              " last_error = ?2, last_error_ms = ?3");
	if (!s)
		return -1;
	bind_exact(s, 1, peer);
	bind_exact(s, 2, error);
	sqlite3_bind_int64(s, 3, at_ms);
	return exec1(st, s, NULL, "link error");
}

/* A refusal no signature vouches for: recorded without a sender, or as "unverified: X". */
#define UNVERIFIED " (sender IS NULL OR substr(sender, 1, 12) = 'unverified: ')"

/* Binds a refusal to ?1..?5, runs the insert, then keeps the newest HL_STORE_XREJECTS_KEPT (and
 * of them, the newest HL_STORE_XREJECTS_UNVERIFIED no signature vouches for). */
static int reject_insert(hl_store *st, sqlite3_stmt *s, int64_t at_ms, const char *msg_id,
                         const char *sender, const char *reason, const char *detail, int unverified)
{
	int rc, changes = 0;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, at_ms);
	bind_exact(s, 2, msg_id);
	bind_exact(s, 3, sender);
	bind_exact(s, 4, reason);
	bind_exact(s, 5, detail);
	if ((rc = exec1(st, s, &changes, "record refusal")) < 0 || !changes)
		return rc;
	/* The refusals of a flood must not grow the store without bound, */
	if (!(s = prepare(st, "DELETE FROM exchange_reject WHERE id <= (SELECT max(id) FROM"
	                      " exchange_reject) - ?1")))
		return -1;
	sqlite3_bind_int(s, 1, HL_STORE_XREJECTS_KEPT);
	if ((rc = exec1(st, s, NULL, "prune refusals")) < 0 || !unverified)
		return rc;
	/* nor push out those of the senders that signed them. */
	if (!(s = prepare(st, "DELETE FROM exchange_reject WHERE" UNVERIFIED " AND id <= (SELECT"
	                      " id FROM exchange_reject WHERE" UNVERIFIED " ORDER BY id DESC"
	                      " LIMIT 1 OFFSET ?1)")))
		return -1;
	sqlite3_bind_int(s, 1, HL_STORE_XREJECTS_UNVERIFIED);
	return exec1(st, s, NULL, "prune refusals");
}

int hl_store_xreject_add(hl_store *st, int64_t at_ms, const char *msg_id, const char *sender,
                         const char *reason, const char *detail)
{
	return reject_insert(st,
	                     prepare(st,
	                             "INSERT INTO exchange_reject(at_ms, msg_id, sender, reason,"
	                             " detail) VALUES (?1, ?2, ?3, ?4, ?5)"),
	                     at_ms, msg_id, sender, reason, detail, 0);
}

int hl_store_xreject_add_unverified(hl_store *st, int64_t at_ms, const char *msg_id,
                                    const char *sender, const char *reason, const char *detail,
                                    int64_t anon_window_ms)
{
	/* one statement: two writers cannot both find the window empty */
	sqlite3_stmt *s = prepare(st, "INSERT INTO exchange_reject(at_ms, msg_id, sender, reason,"
	                              " detail) SELECT ?1, ?2, ?3, ?4, ?5 WHERE ?3 IS NOT NULL OR"
	                              " NOT EXISTS (SELECT 1 FROM exchange_reject WHERE sender IS"
	                              " NULL AND at_ms > ?1 - ?6)");
	if (s)
		sqlite3_bind_int64(s, 6, anon_window_ms);
	return reject_insert(st, s, at_ms, msg_id, sender, reason, detail, 1);
}

int hl_store_xrejects(hl_store *st, size_t max,
                      int (*cb)(const hl_exchange_reject_row *r, void *ud), void *ud)
{
	sqlite3_stmt *s = prepare(st, "SELECT at_ms, msg_id, sender, reason, detail"
	                              " FROM exchange_reject ORDER BY id DESC LIMIT ?1");
	int rc, r = 0;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, max ? (int64_t)max : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_exchange_reject_row j = {sqlite3_column_int64(s, 0), hl_store__col(s, 1),
		                            hl_store__col(s, 2), hl_store__col(s, 3),
		                            hl_store__col(s, 4)};
		if ((r = cb(&j, ud)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = hl_store__error(st, "refusals");
	hl_store__release(st, s);
	return r < 0 ? r : 0;
}

int hl_store_xstatus(hl_store *st, int (*cb)(const hl_exchange_peer_status *r, void *ud), void *ud)
{
	sqlite3_stmt *s = prepare(
	    st, "WITH peers(p) AS (SELECT unit FROM exchange_peer UNION SELECT recipient FROM"
	        " exchange_outbox UNION SELECT sender FROM exchange_inbox UNION SELECT peer FROM"
	        " exchange_link)"
	        " SELECT p,"
	        " (SELECT count(*) FROM exchange_outbox WHERE state = 'waiting' AND recipient = p),"
	        " (SELECT min(created_ms) FROM exchange_outbox WHERE state = 'waiting'"
	        "   AND recipient = p),"
	        " l.last_success_ms, l.last_error, l.last_error_ms,"
	        " (SELECT count(*) FROM exchange_inbox WHERE state = 'held' AND sender = p)"
	        " FROM peers LEFT JOIN exchange_link l ON l.peer = p"
	        " WHERE p IS NOT (SELECT unit FROM exchange_self WHERE id = 1) ORDER BY p");
	int rc, r = 0;
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_exchange_peer_status p = {hl_store__col(s, 0),        hl_store__col(s, 4),
		                             sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2),
		                             sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 5),
		                             sqlite3_column_int64(s, 6)};
		if ((r = cb(&p, ud)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = hl_store__error(st, "exchange status");
	hl_store__release(st, s);
	return r < 0 ? r : 0;
}

/* ---- the register of incoming documents ---- */

int hl_store_xregister_next(int64_t *ordinal, hl_store *st, const char *fonds, const char *dossier)
{
	sqlite3_stmt *s = prepare(st, "SELECT coalesce(max(d.ordinal), 0) + 1 FROM document d"
	                              " JOIN dossier s ON s.id = d.dossier_id"
	                              " JOIN fonds f ON f.id = s.fonds_id"
	                              " WHERE f.code = ?1 AND s.code = ?2");
	int rc;
	if (!s)
		return -1;
	bind_exact(s, 1, fonds);
	bind_exact(s, 2, dossier);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*ordinal = sqlite3_column_int64(s, 0);
		rc = 0;
	} else {
		rc = hl_store__error(st, "the register of incoming documents");
	}
	hl_store__release(st, s);
	return rc;
}
