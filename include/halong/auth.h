/* Accounts and access: users with a role scoped to a unit, Argon2id passwords, sessions and API
 * tokens, throttled logins, who may see which record, and the hash-chained audit log. */
#ifndef HALONG_AUTH_H
#define HALONG_AUTH_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Access levels, ordered: a reader cleared for level L sees every record whose level <= L. */
typedef enum {
	HL_ACCESS_PUBLIC = 0,
	HL_ACCESS_INTERNAL = 1,
	HL_ACCESS_RESTRICTED = 2,
	HL_ACCESS_SECRET = 3,
} hl_access;

/* "public", "internal", "restricted", "secret". */
const char *hl_access_name(hl_access a);
/* Parses an English key or a Vietnamese name (tones and case folded: "công khai", "noi bo", "mật").
 * Returns 0 and writes *out, or HL_EINVALID. */
int hl_access_parse(hl_access *out, const char *s);

typedef enum {
	HL_ROLE_ANONYMOUS = 0,
	HL_ROLE_VIEWER,
	HL_ROLE_OFFICER,
	HL_ROLE_INSPECTOR,
	HL_ROLE_ARCHIVIST,
	HL_ROLE_ADMIN,
} hl_role;

/* "anonymous", "viewer", "officer", "inspector", "archivist", "admin". */
const char *hl_role_name(hl_role r);
/* HL_EINVALID (naming the roles) for anything else. */
int hl_role_parse(hl_role *out, const char *s);
/* The highest access level a role may read (docs/api.md): anonymous public, viewer and officer
 * internal, inspector, archivist and admin restricted. Secret is never served over HTTP. */
hl_access hl_role_ceiling(hl_role r);

/* Who is asking. A plain value: copy it freely. */
typedef struct {
	int64_t user_id; /* 0: anonymous */
	char username[64];
	hl_role role;
	char unit_code[16]; /* "" for anonymous */
	int province;       /* the unit is province-level: its scope is everything */
	/* The node's operator at its own console (the CLI): every fonds and every level, secret
	 * included. Only hl_principal_local makes one; the server never does. */
	int local;
} hl_principal;

/* The anonymous principal. */
hl_principal hl_principal_anonymous(void);
/* The node's operator at its console, named `name` in the audit log ("cli:root"). */
hl_principal hl_principal_local(const char *name);
/* The name an audit entry gives the principal: the user name, else "anonymous". */
const char *hl_principal_actor(const hl_principal *p);
/* The highest level the principal may read: the role's ceiling (never secret), secret for the
 * local operator. */
hl_access hl_auth_ceiling(const hl_principal *p);

/* ---- who may do what ---- */

/* What a principal may ask for beyond reading the records it sees. The table of who may is in
 * src/lib/auth/access.c (and docs/api.md); the local operator may do everything. */
typedef enum {
	HL_ACT_INGEST,          /* load a manifest: the province's archivists and admins */
	HL_ACT_OCR_RUN,         /* start an OCR run: the province's archivists and admins */
	HL_ACT_OCR_REVIEW,      /* weak pages and their text: archivists, admins, inspectors */
	HL_ACT_JOBS_READ,       /* follow long work: archivists, admins, inspectors */
	HL_ACT_CUSTODY_READ,    /* pending custody, receipts: archivists, admins, inspectors */
	HL_ACT_CUSTODY_WRITE,   /* a fonds' creator: archivists and admins */
	HL_ACT_CUSTODY_DECIDE,  /* custody decisions: the province's archivists and admins */
	HL_ACT_AUDIT_READ,      /* the audit log: the province's inspectors and admins */
	HL_ACT_STATS_ALL,       /* index and OCR figures over every record: the province's
	                         * archivists, admins and inspectors */
	HL_ACT_SEND,            /* send records to another unit: archivists, officers, admins (of
	                         * the unit holding them: the exchange asks custody too) */
	HL_ACT_EXCHANGE_FOLLOW, /* the outbox, a message's state, the peers: those, inspectors */
	HL_ACT_EXCHANGE_WATCH,  /* the exchange's status and refusals: archivists, inspectors,
	                         * admins */
	HL_ACT_PAGE_EDIT,       /* correct and approve a page's text: archivists and admins (of
	                         * the unit holding the fonds: the archive asks custody too) */
	HL_ACT_DESCRIBE,        /* describe fonds, series and dossiers: archivists and admins (of
	                         * the unit holding the fonds, or the province's) */
	HL_ACT_OPS_READ,        /* the node's operations page (GET /api/v1/ops: queues, sizes,
	                         * backups; paths of the node): admins */
} hl_action;

/* 0 when `who` may do `act`; else HL_EDENIED with a message for a person ("log in first (this
 * needs one of: archivist, admin)", "your role (viewer) may not do this ...", "... the
 * province's staff ..."). */
int hl_auth_check(const hl_principal *who, hl_action act);

/* ---- users ---- */

#define HL_AUTH_MIN_PASSWORD 10 /* bytes */
#define HL_AUTH_MAX_PASSWORD 256

/* Adds a user. `unit` must be a unit code valid today (HL_ENOTFOUND otherwise); the password is
 * hashed with Argon2id (crypto_pwhash_str, interactive limits). HL_ECONFLICT if the name exists,
 * HL_EINVALID for a bad name (1-63 bytes of [a-z0-9._-]; not system, feed, exchange, anonymous
 * or cli, the actors halong writes in the audit log itself) or a password shorter than
 * HL_AUTH_MIN_PASSWORD. Audited (never with the password). */
int hl_auth_user_add(hl_store *st, const char *username, const char *password, hl_role role,
                     const char *unit, const char *actor);
int hl_auth_user_passwd(hl_store *st, const char *username, const char *password,
                        const char *actor);
/* A disabled user cannot log in; its sessions and tokens stop working at once. */
int hl_auth_user_disable(hl_store *st, const char *username, const char *actor);

typedef struct {
	const char *username, *role, *unit_code, *created_at;
	int disabled;
} hl_auth_user_row;
int hl_auth_user_foreach(hl_store *st, int (*cb)(const hl_auth_user_row *r, void *ud), void *ud);

/* Creates an API token for the user: *token (malloc'd, shown once; only its hash is stored). */
int hl_auth_token_new(char **token, hl_store *st, const char *username, const char *label,
                      const char *actor);

/* ---- logging in ---- */

#define HL_AUTH_MAX_FAILURES   5   /* per user name or per client address ... */
#define HL_AUTH_FAILURE_WINDOW 900 /* ... in this many seconds */
#define HL_AUTH_SESSION_TTL    (8 * 3600)

/* Checks a password and opens a session: *session_id and *csrf (malloc'd, random, 32 bytes
 * base64url) and the principal. HL_EDENIED for a bad name or password or a disabled user (one
 * message for all: "wrong user name or password"); HL_ELIMIT when throttled (too many failures
 * for this name or client in the window): *retry_after seconds. Each attempt is audited. */
int hl_auth_login(char **session_id, char **csrf, hl_principal *who, int *retry_after, hl_store *st,
                  const char *username, const char *password, const char *client);
/* The principal of a session cookie (and its CSRF token, malloc'd, may be NULL);
 * HL_ENOTFOUND for an unknown, expired or revoked session. */
int hl_auth_session(hl_principal *who, char **csrf, hl_store *st, const char *session_id);
int hl_auth_logout(hl_store *st, const char *session_id);
/* The principal of a bearer token; HL_ENOTFOUND if unknown or its user is disabled. */
int hl_auth_bearer(hl_principal *who, hl_store *st, const char *token);

/* ---- what a principal sees ---- */

/* The fonds the principal's unit holds today (its own and inherited), for filtering: *all = 1
 * for a province-level unit (codes NULL); anonymous gets an empty list. Free with
 * hl_auth_fonds_free. */
int hl_auth_scope(char ***codes, size_t *n, int *all, hl_store *st, const hl_principal *p);
void hl_auth_fonds_free(char **codes, size_t n);

/* May the principal see what a unit's users did (a server job they started)? A province-level
 * unit and the local operator see every unit's; anyone else only their own unit's; anonymous,
 * none. */
int hl_auth_sees_unit(const hl_principal *p, const char *unit_code);

/* May the principal see a document of this fonds and access level (docs/api.md)? The local
 * operator sees everything. */
int hl_auth_may_see(const hl_principal *p, hl_access level, const char *fonds_code,
                    char *const *scope, size_t nscope, int all);

/* ---- the audit log: a hash chain ---- */

/* Every entry's hash is SHA-256 over the previous entry's hash and this entry's fields (the
 * format is in src/lib/auth/README.md); the store writes entries this way, numbered 1, 2, 3...
 * Verifies the whole chain and the numbering (a gap is entries removed): *checked entries;
 * HL_EINVALID naming the first broken entry's id if any. */
int hl_audit_verify(uint64_t *checked, hl_store *st);

/* The log's head: its last entry's id (0 when empty) and hash ("" then). */
int hl_audit_head(int64_t *id, char hash[65], hl_store *st);

/* A point of the chain held outside this node: entry `id` had hash `hash` when the province
 * witnessed it, at at_ms (src/lib/exchange/README.md, "The audit log's witness"). */
typedef struct {
	int64_t id;
	char hash[65];
	int64_t at_ms;
} hl_audit_point;

/* Verifies the whole chain as hl_audit_verify does, and that it still holds every point: each
 * point's entry is there (else it was removed, or the log was shortened) with the point's hash
 * (else an entry at or before it was rewritten, the chain recomputed after it). HL_EINVALID
 * with a message naming the entry and the point's date otherwise. The points in any order. */
int hl_audit_verify_points(uint64_t *checked, hl_store *st, const hl_audit_point *points, size_t n);

/* An entry of the audit log. Strings are valid during the callback only. */
typedef struct {
	int64_t id;
	const char *at, *actor, *action, *object, *detail;
} hl_audit_row;

/* The log, newest first, from `offset`, at most `limit`; *total entries in all. Needs
 * HL_ACT_AUDIT_READ: the log is the province's whole (its entries name documents of every unit
 * and level, logins with client addresses). */
int hl_audit_page(hl_store *st, const hl_principal *who, size_t offset, size_t limit,
                  int64_t *total, int (*cb)(const hl_audit_row *r, void *ud), void *ud);

#ifdef __cplusplus
}
#endif
#endif
