/* Every SQL statement of the auth module: users, sessions, API tokens, failed logins, and the
 * reading and hashing of the audit chain. */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_auth.h"
#include "halong/util.h"
#include "store_int.h"

/* Steps a statement that returns no row, and finalizes it. *changes: rows changed (may be NULL). */
static int exec1(hl_store *st, sqlite3_stmt *s, int *changes, const char *what)
{
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return hl_store__error(st, what);
	if (changes)
		*changes = sqlite3_changes(st->db);
	return 0;
}

/* ---- users ---- */

#define USER_COLS "u.id, u.username, u.pwhash, u.role, u.unit_code, u.created_at, u.disabled"

static void user_row(hl_store_user_row *r, sqlite3_stmt *s, int first)
{
	r->id = sqlite3_column_int64(s, first);
	r->username = hl_store__col(s, first + 1);
	r->pwhash = hl_store__col(s, first + 2);
	r->role = hl_store__col(s, first + 3);
	r->unit_code = hl_store__col(s, first + 4);
	r->created_at = hl_store__col(s, first + 5);
	r->disabled = sqlite3_column_int(s, first + 6);
}

/* Steps a statement selecting USER_COLS (then maybe csrf): each row to cb. */
static int users_each(hl_store *st, sqlite3_stmt *s, hl_store_user_cb cb, hl_store_session_cb scb,
                      void *ud, int *found, const char *what)
{
	int rc, r = 0;
	*found = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_store_user_row u;
		user_row(&u, s, 0);
		*found = 1;
		r = cb ? cb(&u, ud) : scb(&u, hl_store__col(s, 7), ud);
		if (r != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		r = hl_store__error(st, what);
	}
	sqlite3_finalize(s);
	return r < 0 ? r : 0;
}

int hl_store_user_add(int64_t *id, hl_store *st, const char *username, const char *pwhash,
                      const char *role, const char *unit_code)
{
	char now[32];
	sqlite3_stmt *s =
	    hl_store__prepare(st, "INSERT INTO auth_user(username, pwhash, role, unit_code,"
	                          " disabled, created_at, updated_at)"
	                          " VALUES (?1, ?2, ?3, ?4, 0, ?5, ?5)");
	int rc;
	if (!s)
		return -1;
	hl_now_utc(now);
	sqlite3_bind_text(s, 1, username, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, pwhash, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, role, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, unit_code, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_CONSTRAINT)
		return hl_error_set(HL_ECONFLICT, "user %s already exists", username);
	if (rc != SQLITE_DONE)
		return hl_store__error(st, "add user");
	if (id)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int hl_store_user_get(hl_store *st, const char *username, hl_store_user_cb cb, void *ud)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "SELECT " USER_COLS " FROM auth_user u WHERE u.username = ?1");
	int found, rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, username, -1, SQLITE_STATIC);
	if ((rc = users_each(st, s, cb, NULL, ud, &found, "get user")) < 0)
		return rc;
	return found ? 0 : HL_ENOTFOUND;
}

int hl_store_user_foreach(hl_store *st, hl_store_user_cb cb, void *ud)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "SELECT " USER_COLS " FROM auth_user u ORDER BY u.username");
	int found;
	if (!s)
		return -1;
	return users_each(st, s, cb, NULL, ud, &found, "list users");
}

int hl_store_user_set_password(hl_store *st, const char *username, const char *pwhash)
{
	char now[32];
	int changes = 0, rc;
	sqlite3_stmt *s = hl_store__prepare(st, "UPDATE auth_user SET pwhash = ?2, updated_at = ?3"
	                                        " WHERE username = ?1");
	if (!s)
		return -1;
	hl_now_utc(now);
	sqlite3_bind_text(s, 1, username, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, pwhash, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, now, -1, SQLITE_STATIC);
	if ((rc = exec1(st, s, &changes, "set password")) < 0)
		return rc;
	return changes ? 0 : HL_ENOTFOUND;
}

int hl_store_user_set_disabled(hl_store *st, const char *username, int disabled)
{
	char now[32];
	int changes = 0, rc;
	sqlite3_stmt *s =
	    hl_store__prepare(st, "UPDATE auth_user SET disabled = ?2, updated_at = ?3"
	                          " WHERE username = ?1");
	if (!s)
		return -1;
	hl_now_utc(now);
	sqlite3_bind_text(s, 1, username, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, disabled ? 1 : 0);
	sqlite3_bind_text(s, 3, now, -1, SQLITE_STATIC);
	if ((rc = exec1(st, s, &changes, "disable user")) < 0)
		return rc;
	return changes ? 0 : HL_ENOTFOUND;
}

/* ---- sessions ---- */

int hl_store_session_add(hl_store *st, const char *id_hash, int64_t user_id, const char *csrf,
                         const char *client, int64_t expires_at)
{
	char now[32];
	sqlite3_stmt *s =
	    hl_store__prepare(st, "INSERT INTO auth_session(id_hash, user_id, csrf, client,"
	                          " created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (!s)
		return -1;
	hl_now_utc(now);
	sqlite3_bind_text(s, 1, id_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, user_id);
	sqlite3_bind_text(s, 3, csrf, -1, SQLITE_STATIC);
	hl_store__bind_text(s, 4, client);
	sqlite3_bind_text(s, 5, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, expires_at);
	return exec1(st, s, NULL, "add session");
}

int hl_store_session_get(hl_store *st, const char *id_hash, int64_t now, hl_store_session_cb cb,
                         void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(st, "SELECT " USER_COLS ", s.csrf FROM auth_session s"
	                                        " JOIN auth_user u ON u.id = s.user_id"
	                                        " WHERE s.id_hash = ?1 AND s.expires_at > ?2"
	                                        " AND u.disabled = 0");
	int found, rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, id_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	if ((rc = users_each(st, s, NULL, cb, ud, &found, "get session")) < 0)
		return rc;
	return found ? 0 : HL_ENOTFOUND;
}

int hl_store_session_del(hl_store *st, const char *id_hash)
{
	sqlite3_stmt *s = hl_store__prepare(st, "DELETE FROM auth_session WHERE id_hash = ?1");
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, id_hash, -1, SQLITE_STATIC);
	return exec1(st, s, NULL, "end session");
}

int hl_store_sessions_del_user(hl_store *st, int64_t user_id)
{
	sqlite3_stmt *s = hl_store__prepare(st, "DELETE FROM auth_session WHERE user_id = ?1");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, user_id);
	return exec1(st, s, NULL, "end sessions");
}

int hl_store_sessions_prune(hl_store *st, int64_t now)
{
	sqlite3_stmt *s = hl_store__prepare(st, "DELETE FROM auth_session WHERE expires_at <= ?1");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	return exec1(st, s, NULL, "prune sessions");
}

/* ---- API tokens ---- */

int hl_store_token_add(hl_store *st, const char *hash, int64_t user_id, const char *label)
{
	char now[32];
	sqlite3_stmt *s =
	    hl_store__prepare(st, "INSERT INTO auth_token(hash, user_id, label, created_at)"
	                          " VALUES (?1, ?2, ?3, ?4)");
	if (!s)
		return -1;
	hl_now_utc(now);
	sqlite3_bind_text(s, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, user_id);
	hl_store__bind_text(s, 3, label);
	sqlite3_bind_text(s, 4, now, -1, SQLITE_STATIC);
	return exec1(st, s, NULL, "add token");
}

int hl_store_token_get(hl_store *st, const char *hash, hl_store_user_cb cb, void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(st, "SELECT " USER_COLS " FROM auth_token t"
	                                        " JOIN auth_user u ON u.id = t.user_id"
	                                        " WHERE t.hash = ?1 AND u.disabled = 0");
	int found, rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, hash, -1, SQLITE_STATIC);
	if ((rc = users_each(st, s, cb, NULL, ud, &found, "get token")) < 0)
		return rc;
	return found ? 0 : HL_ENOTFOUND;
}

/* ---- failed logins ---- */

int hl_store_login_failure_add(hl_store *st, const char *username, const char *client, int64_t at,
                               int64_t before)
{
	sqlite3_stmt *s;
	int rc;
	/* the table stays small: only the window matters */
	if (!(s = hl_store__prepare(st, "DELETE FROM auth_failure WHERE at < ?1")))
		return -1;
	sqlite3_bind_int64(s, 1, before);
	if ((rc = exec1(st, s, NULL, "prune login failures")) < 0)
		return rc;
	if (!(s = hl_store__prepare(
	          st, "INSERT INTO auth_failure(username, client, at) VALUES (?1, ?2, ?3)")))
		return -1;
	sqlite3_bind_text(s, 1, username ? username : "", -1, SQLITE_STATIC);
	hl_store__bind_text(s, 2, client);
	sqlite3_bind_int64(s, 3, at);
	return exec1(st, s, NULL, "record login failure");
}

int hl_store_login_failures(int64_t *count, int64_t *nth_at, hl_store *st, const char *key,
                            int by_client, int64_t since, int nth)
{
	sqlite3_stmt *s;
	int rc;
	if (by_client)
		s = hl_store__prepare(
		    st, "SELECT count(*), coalesce((SELECT at FROM auth_failure"
		        " WHERE client = ?1 AND at > ?2 ORDER BY at DESC LIMIT 1 OFFSET ?3), 0)"
		        " FROM auth_failure WHERE client = ?1 AND at > ?2");
	else
		s = hl_store__prepare(
		    st, "SELECT count(*), coalesce((SELECT at FROM auth_failure"
		        " WHERE username = ?1 AND at > ?2 ORDER BY at DESC LIMIT 1 OFFSET ?3),"
		        " 0) FROM auth_failure WHERE username = ?1 AND at > ?2");
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, key ? key : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, since);
	sqlite3_bind_int(s, 3, nth > 0 ? nth - 1 : 0);
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		rc = hl_store__error(st, "count login failures");
		sqlite3_finalize(s);
		return rc;
	}
	*count = sqlite3_column_int64(s, 0);
	*nth_at = sqlite3_column_int64(s, 1);
	sqlite3_finalize(s);
	return 0;
}

int hl_store_login_failures_clear(hl_store *st, const char *username)
{
	sqlite3_stmt *s = hl_store__prepare(st, "DELETE FROM auth_failure WHERE username = ?1");
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, username, -1, SQLITE_STATIC);
	return exec1(st, s, NULL, "clear login failures");
}

/* ---- the audit chain ---- */

/* One field as a netstring, "LEN:BYTES,": no field can be confused with its neighbours. */
static void hash_field(crypto_hash_sha256_state *h, const char *v)
{
	char len[24];
	size_t n = v ? strlen(v) : 0;
	int k = snprintf(len, sizeof(len), "%zu:", n);
	crypto_hash_sha256_update(h, (const unsigned char *)len, (unsigned long long)k);
	if (n)
		crypto_hash_sha256_update(h, (const unsigned char *)v, n);
	crypto_hash_sha256_update(h, (const unsigned char *)",", 1);
}

void hl_store_audit_hash(char hex[65], const char *prev, int64_t id, const char *at,
                         const char *actor, const char *action, const char *object,
                         const char *detail)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state h;
	char idbuf[24];

	snprintf(idbuf, sizeof(idbuf), "%" PRId64, id);
	crypto_hash_sha256_init(&h);
	hash_field(&h, prev);
	hash_field(&h, idbuf);
	hash_field(&h, at);
	hash_field(&h, actor);
	hash_field(&h, action);
	hash_field(&h, object);
	hash_field(&h, detail);
	crypto_hash_sha256_final(&h, d);
	for (size_t i = 0; i < sizeof(d); i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[64] = '\0';
}

#define AUDIT_COLS "id, at, actor, action, object, detail, prev_hash, hash"

static int audit_each(hl_store *st, sqlite3_stmt *s, hl_store_audit_cb cb, void *ud)
{
	int rc, r = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_store_audit_row a = {.id = sqlite3_column_int64(s, 0),
		                        .at = hl_store__col(s, 1),
		                        .actor = hl_store__col(s, 2),
		                        .action = hl_store__col(s, 3),
		                        .object = hl_store__col(s, 4),
		                        .detail = hl_store__col(s, 5),
		                        .prev_hash = hl_store__col(s, 6),
		                        .hash = hl_store__col(s, 7)};
		if ((r = cb(&a, ud)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = hl_store__error(st, "read audit");
	sqlite3_finalize(s);
	return r < 0 ? r : 0;
}

int hl_store_audit_since(hl_store *st, int64_t after, size_t max, hl_store_audit_cb cb, void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(st, "SELECT " AUDIT_COLS " FROM audit WHERE id > ?1"
	                                        " ORDER BY id LIMIT ?2");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, max ? (int64_t)max : -1);
	return audit_each(st, s, cb, ud);
}

int hl_store_audit_last(int64_t *id, char hash[65], hl_store *st)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1");
	int rc;
	if (!s)
		return -1;
	*id = 0, hash[0] = '\0';
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		snprintf(hash, 65, "%s", hl_store__col(s, 1) ? hl_store__col(s, 1) : "");
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : hl_store__error(st, "audit head");
}

/* ---- the audit log's witness ---- */

int hl_store_audit_head_add(hl_store *st, int64_t entry_id, const char *hash, int64_t at_ms,
                            const char *signature, const char *message_id)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "INSERT INTO audit_head(entry_id, hash, at_ms, signature,"
	                          " message_id) VALUES (?1, ?2, ?3, ?4, ?5)");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, entry_id);
	sqlite3_bind_text(s, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, at_ms);
	sqlite3_bind_text(s, 4, signature, -1, SQLITE_STATIC);
	hl_store__bind_text(s, 5, message_id);
	return exec1(st, s, NULL, "audit head");
}

static int heads_each(hl_store *st, sqlite3_stmt *s, hl_store_audit_head_cb cb, void *ud)
{
	int rc, seen = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_store_audit_head_row r = {
		    .seq = sqlite3_column_int64(s, 0),
		    .entry_id = sqlite3_column_int64(s, 1),
		    .hash = hl_store__col(s, 2),
		    .at_ms = sqlite3_column_int64(s, 3),
		    .signature = hl_store__col(s, 4),
		    .message_id = hl_store__col(s, 5),
		    .delivered_ms = sqlite3_column_int64(s, 6),
		};
		seen = 1;
		if ((rc = cb(&r, ud)) != 0) {
			sqlite3_finalize(s);
			return rc < 0 ? rc : 0;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return hl_store__error(st, "audit heads");
	return seen ? 0 : HL_ENOTFOUND;
}

#define HEAD_COLS                                                                                  \
	"h.seq, h.entry_id, h.hash, h.at_ms, h.signature, h.message_id,"                           \
	" coalesce(o.delivered_ms, 0)"
#define HEAD_FROM " FROM audit_head h LEFT JOIN exchange_outbox o ON o.id = h.message_id"

int hl_store_audit_head_last(hl_store *st, hl_store_audit_head_cb cb, void *ud)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "SELECT " HEAD_COLS HEAD_FROM " ORDER BY h.seq DESC LIMIT 1");
	return s ? heads_each(st, s, cb, ud) : -1;
}

int hl_store_audit_heads_delivered(hl_store *st, size_t max, hl_store_audit_head_cb cb, void *ud)
{
	int rc;
	sqlite3_stmt *s =
	    hl_store__prepare(st, "SELECT " HEAD_COLS HEAD_FROM " WHERE o.state = 'delivered'"
	                          " ORDER BY h.entry_id DESC LIMIT ?1");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, max ? (int64_t)max : -1);
	rc = heads_each(st, s, cb, ud);
	return rc == HL_ENOTFOUND ? 0 : rc;
}

int hl_store_witness_add(hl_store *st, const hl_store_witness_row *r)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "INSERT OR IGNORE INTO audit_witness(unit, entry_id, hash,"
	                          " at_ms, signature, message_id, received_ms)"
	                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, r->unit, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, r->entry_id);
	sqlite3_bind_text(s, 3, r->hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, r->at_ms);
	sqlite3_bind_text(s, 5, r->signature, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, r->message_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, r->received_ms);
	return exec1(st, s, NULL, "audit witness");
}

int hl_store_witness_list(hl_store *st, const char *unit, int64_t upto, size_t max,
                          hl_store_witness_cb cb, void *ud)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "SELECT unit, entry_id, hash, at_ms, signature, message_id,"
	                          " received_ms FROM audit_witness WHERE unit = ?1"
	                          " AND entry_id <= ?3"
	                          " ORDER BY entry_id DESC LIMIT ?2");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, unit, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, max ? (int64_t)max : -1);
	sqlite3_bind_int64(s, 3, upto > 0 ? upto : INT64_MAX);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_store_witness_row r = {
		    .unit = hl_store__col(s, 0),
		    .entry_id = sqlite3_column_int64(s, 1),
		    .hash = hl_store__col(s, 2),
		    .at_ms = sqlite3_column_int64(s, 3),
		    .signature = hl_store__col(s, 4),
		    .message_id = hl_store__col(s, 5),
		    .received_ms = sqlite3_column_int64(s, 6),
		};
		int r2;
		if ((r2 = cb(&r, ud)) != 0) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : hl_store__error(st, "audit witness");
}
