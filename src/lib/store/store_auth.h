/* The store's statements for accounts and the audit chain: users, sessions, API tokens, failed
 * logins and the hash of audit entries (the SQL of the auth module lives in
 * src/lib/store/auth.c, like every other statement). */
#ifndef HALONG_STORE_AUTH_H
#define HALONG_STORE_AUTH_H

#include "store/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A user as stored. Strings are valid during the callback only. */
typedef struct {
	int64_t id;
	const char *username, *pwhash, *role, *unit_code, *created_at;
	int disabled;
} hl_store_user_row;
typedef int (*hl_store_user_cb)(const hl_store_user_row *r, void *ud);

/* Adds a user (caller's transaction or its own). HL_ECONFLICT if the name is taken. */
int hl_store_user_add(int64_t *id, hl_store *st, const char *username, const char *pwhash,
                      const char *role, const char *unit_code);
/* The user `username`: cb called once, or HL_ENOTFOUND (no message set). */
int hl_store_user_get(hl_store *st, const char *username, hl_store_user_cb cb, void *ud);
/* Every user, by name. */
int hl_store_user_foreach(hl_store *st, hl_store_user_cb cb, void *ud);
/* HL_ENOTFOUND (no message set) for an unknown name. */
int hl_store_user_set_password(hl_store *st, const char *username, const char *pwhash);
int hl_store_user_set_disabled(hl_store *st, const char *username, int disabled);

/* ---- sessions: keyed by the SHA-256 (hex) of the session id, never the id itself ---- */

/* expires_at: seconds since the epoch. */
int hl_store_session_add(hl_store *st, const char *id_hash, int64_t user_id, const char *csrf,
                         const char *client, int64_t expires_at);
/* The user of a session alive at `now` whose user is not disabled: cb(user, csrf) once, or
 * HL_ENOTFOUND (no message set). */
typedef int (*hl_store_session_cb)(const hl_store_user_row *u, const char *csrf, void *ud);
int hl_store_session_get(hl_store *st, const char *id_hash, int64_t now, hl_store_session_cb cb,
                         void *ud);
int hl_store_session_del(hl_store *st, const char *id_hash);
/* Ends every session of a user. */
int hl_store_sessions_del_user(hl_store *st, int64_t user_id);
/* Drops the sessions of anyone that expired before `now`. */
int hl_store_sessions_prune(hl_store *st, int64_t now);

/* ---- API tokens: keyed by the SHA-256 (hex) of the token ---- */

int hl_store_token_add(hl_store *st, const char *hash, int64_t user_id, const char *label);
/* The user of a token whose user is not disabled: cb once, or HL_ENOTFOUND (no message). */
int hl_store_token_get(hl_store *st, const char *hash, hl_store_user_cb cb, void *ud);

/* ---- failed logins (rows, so that throttling survives a restart) ---- */

/* `at`: seconds since the epoch; client may be NULL. Drops failures older than `before`. */
int hl_store_login_failure_add(hl_store *st, const char *username, const char *client, int64_t at,
                               int64_t before);
/* Failures since `since` (exclusive) by user name (by_client 0) or client address (1): *count,
 * and *nth_at the time of the nth most recent one (0 when there are fewer). */
int hl_store_login_failures(int64_t *count, int64_t *nth_at, hl_store *st, const char *key,
                            int by_client, int64_t since, int nth);
/* Forgets the failures of a user name (after a successful login). */
int hl_store_login_failures_clear(hl_store *st, const char *username);

/* ---- the audit chain ---- */

/* An audit entry as stored. object, detail, prev_hash and hash may be NULL. */
typedef struct {
	int64_t id;
	const char *at, *actor, *action, *object, *detail, *prev_hash, *hash;
} hl_store_audit_row;
typedef int (*hl_store_audit_cb)(const hl_store_audit_row *r, void *ud);

/* The hash of an entry (src/lib/auth/README.md): SHA-256, lower-case hex, over the netstrings
 * ("LEN:BYTES,") of prev (the previous entry's hash, "" for the first entry), id in decimal,
 * at, actor, action, object and detail (NULL as ""), in this order. */
void hl_store_audit_hash(char hex[65], const char *prev, int64_t id, const char *at,
                         const char *actor, const char *action, const char *object,
                         const char *detail);
/* Entries with id > after, in id order (the chain's order), at most max (0: no limit). */
int hl_store_audit_since(hl_store *st, int64_t after, size_t max, hl_store_audit_cb cb, void *ud);
/* (Entries newest first, for reading: hl_store_audit_page in store.h.) */
/* The last entry's id and hash: 0 and "" when the log is empty. */
int hl_store_audit_last(int64_t *id, char hash[65], hl_store *st);

/* ---- the audit log's witness (SQL in auth.c; the rules in src/lib/exchange/witness.c) ---- */

/* A head of this node's chain as signed here, and the message carrying it to the hub (NULL on
 * the hub); delivered_ms: when the hub's receipt came (0: not yet). */
typedef struct {
	int64_t seq, entry_id, at_ms, delivered_ms;
	const char *hash, *signature, *message_id;
} hl_store_audit_head_row;
typedef int (*hl_store_audit_head_cb)(const hl_store_audit_head_row *r, void *ud);
int hl_store_audit_head_add(hl_store *st, int64_t entry_id, const char *hash, int64_t at_ms,
                            const char *signature, const char *message_id);
/* The newest head signed here: cb once, or HL_ENOTFOUND (no message set). */
int hl_store_audit_head_last(hl_store *st, hl_store_audit_head_cb cb, void *ud);
/* The heads whose message the hub acknowledged, newest first, at most max. */
int hl_store_audit_heads_delivered(hl_store *st, size_t max, hl_store_audit_head_cb cb, void *ud);

/* A head a node sent to the hub, as the hub keeps it. */
typedef struct {
	const char *unit, *hash, *signature, *message_id;
	int64_t entry_id, at_ms, received_ms;
} hl_store_witness_row;
typedef int (*hl_store_witness_cb)(const hl_store_witness_row *r, void *ud);
/* Keeps a head (inside the caller's transaction); an entry already witnessed is kept as it was. */
int hl_store_witness_add(hl_store *st, const hl_store_witness_row *r);
/* The heads of `unit` up to entry `upto` (0: all), newest entry first, at most max (0: no
 * limit). */
int hl_store_witness_list(hl_store *st, const char *unit, int64_t upto, size_t max,
                          hl_store_witness_cb cb, void *ud);

#ifdef __cplusplus
}
#endif
#endif
