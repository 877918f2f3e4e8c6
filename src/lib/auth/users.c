/* Users, passwords, API tokens, logins and sessions: the rules of accounts, on top of the
 * statements of src/lib/store/auth.c. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth_int.h"
#include "store/store_auth.h"
#include "store/store_units.h"
#include "halong/units.h"
#include "halong/util.h"

#define SECRET_BYTES 32 /* of a session id, a CSRF token, an API token */
#define SECRET_CHARS 43 /* their base64url form, unpadded */
#define TOKEN_PREFIX "hlt_"
#define MAX_CLIENT   64
#define MAX_LABEL    100

/* A user row copied out of the store's callback. */
typedef struct {
	int64_t id;
	char username[64], role[16], unit[16], csrf[SECRET_CHARS + 1];
	char pwhash[crypto_pwhash_STRBYTES];
	int disabled;
} user_copy;

static int copy_user(const hl_store_user_row *r, void *ud)
{
	user_copy *u = ud;
	u->id = r->id;
	snprintf(u->username, sizeof(u->username), "%s", r->username ? r->username : "");
	snprintf(u->role, sizeof(u->role), "%s", r->role ? r->role : "");
	snprintf(u->unit, sizeof(u->unit), "%s", r->unit_code ? r->unit_code : "");
	snprintf(u->pwhash, sizeof(u->pwhash), "%s", r->pwhash ? r->pwhash : "");
	u->disabled = r->disabled;
	return 1;
}

static int copy_session(const hl_store_user_row *r, const char *csrf, void *ud)
{
	user_copy *u = ud;
	copy_user(r, ud);
	snprintf(u->csrf, sizeof(u->csrf), "%s", csrf ? csrf : "");
	return 1;
}

int hl_auth__name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n < 1 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return 0;
	}
	return 1;
}

static int check_name(const char *name)
{
	if (hl_auth__name_ok(name))
		return 0;
	return hl_error_set(HL_EINVALID,
	                    "bad user name \"%.64s\": 1 to 63 bytes of a-z, 0-9, '.', '_' or '-'",
	                    name ? name : "");
}

static int check_password(const char *pw)
{
	size_t n = pw ? strlen(pw) : 0;
	if (n < HL_AUTH_MIN_PASSWORD)
		return hl_error_set(HL_EINVALID, "the password is too short: at least %d bytes",
		                    HL_AUTH_MIN_PASSWORD);
	if (n > HL_AUTH_MAX_PASSWORD)
		return hl_error_set(HL_EINVALID, "the password is too long: at most %d bytes",
		                    HL_AUTH_MAX_PASSWORD);
	return 0;
}

/* Argon2id with libsodium's interactive limits (about 64 MiB and a fraction of a second). */
static int hash_password(char out[crypto_pwhash_STRBYTES], const char *pw)
{
	if (sodium_init() < 0)
		return hl_error_set(HL_ERROR, "libsodium could not start");
	if (crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return hl_error_set(HL_ENOMEM, "out of memory hashing the password");
	return 0;
}

/* SECRET_BYTES random bytes as base64url, after `prefix`. */
static char *new_secret(const char *prefix)
{
	unsigned char raw[SECRET_BYTES];
	size_t np = strlen(prefix);
	char *s = malloc(
	    np + sodium_base64_ENCODED_LEN(SECRET_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING));
	if (!s || sodium_init() < 0) {
		free(s);
		hl_error_set(HL_ENOMEM, "out of memory");
		return NULL;
	}
	randombytes_buf(raw, sizeof(raw));
	memcpy(s, prefix, np);
	sodium_bin2base64(
	    s + np,
	    sodium_base64_ENCODED_LEN(SECRET_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING), raw,
	    sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	return s;
}

/* Ends a transaction the function opened: commit on success, roll back on failure. */
static int end_tx(hl_store *st, int rc)
{
	if (rc < 0) {
		hl_store_rollback(st);
		return rc;
	}
	return hl_store_commit(st);
}

static int get_user(user_copy *u, hl_store *st, const char *username)
{
	int rc = hl_store_user_get(st, username, copy_user, u);
	if (rc == HL_ENOTFOUND)
		return hl_error_set(HL_ENOTFOUND, "no user %s", username);
	return rc;
}

/* ---- users ---- */

/* The actors halong writes in the audit log itself (a principal without a name is
 * "anonymous", the local operator without one "cli"; the others are the library's own work).
 * A user so named would pass for the library in its log. The other actors, "cli:USER" and
 * "exchange:UNIT", hold a ':', which a user name cannot. */
static int check_not_reserved(const char *name)
{
	static const char *const reserved[] = {"system", "feed", "exchange", "anonymous", "cli"};
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (!strcmp(name, reserved[i]))
			return hl_error_set(
			    HL_EINVALID,
			    "the user name \"%s\" is reserved: halong writes it in the "
			    "audit log",
			    name);
	return 0;
}

int hl_auth_user_add(hl_store *st, const char *username, const char *password, hl_role role,
                     const char *unit, const char *actor)
{
	char pwhash[crypto_pwhash_STRBYTES], detail[96];
	hl_unit *u = NULL;
	int rc;

	/* reserved only here: a user added so before keeps its passwd, token and disable */
	if ((rc = check_name(username)) < 0 || (rc = check_not_reserved(username)) < 0 ||
	    (rc = check_password(password)) < 0)
		return rc;
	if (role <= HL_ROLE_ANONYMOUS || role > HL_ROLE_ADMIN)
		return hl_error_set(HL_EINVALID,
		                    "a user's role is one of viewer, officer, inspector, "
		                    "archivist, admin");
	/* the unit must exist today: a user of an abolished commune scopes to nothing */
	if ((rc = hl_units_show(&u, st, unit, NULL)) < 0)
		return rc;
	hl_unit_free(u);
	if ((rc = hash_password(pwhash, password)) < 0)
		return rc;
	snprintf(detail, sizeof(detail), "role=%s unit=%s", hl_role_name(role), unit);
	if ((rc = hl_store_begin(st)) < 0)
		return rc;
	rc = hl_store_user_add(NULL, st, username, pwhash, hl_role_name(role), unit);
	if (rc == 0)
		rc = hl_store_audit(st, actor, "user.add", username, detail);
	sodium_memzero(pwhash, sizeof(pwhash));
	return end_tx(st, rc);
}

int hl_auth_user_passwd(hl_store *st, const char *username, const char *password, const char *actor)
{
	char pwhash[crypto_pwhash_STRBYTES];
	user_copy u = {0};
	int rc;

	if ((rc = check_name(username)) < 0 || (rc = check_password(password)) < 0)
		return rc;
	if ((rc = get_user(&u, st, username)) < 0)
		return rc;
	if ((rc = hash_password(pwhash, password)) < 0)
		return rc;
	if ((rc = hl_store_begin(st)) < 0)
		return rc;
	rc = hl_store_user_set_password(st, username, pwhash);
	if (rc == HL_ENOTFOUND)
		rc = hl_error_set(HL_ENOTFOUND, "no user %s", username);
	/* a new password ends the sessions opened with the old one; API tokens stay */
	if (rc == 0)
		rc = hl_store_sessions_del_user(st, u.id);
	if (rc == 0)
		rc = hl_store_audit(st, actor, "user.passwd", username, NULL);
	sodium_memzero(pwhash, sizeof(pwhash));
	return end_tx(st, rc);
}

int hl_auth_user_disable(hl_store *st, const char *username, const char *actor)
{
	user_copy u = {0};
	int rc;

	if ((rc = check_name(username)) < 0)
		return rc;
	if ((rc = hl_store_begin(st)) < 0)
		return rc;
	if ((rc = get_user(&u, st, username)) == 0)
		rc = hl_store_user_set_disabled(st, username, 1);
	if (rc == 0)
		rc = hl_store_sessions_del_user(st, u.id);
	if (rc == 0)
		rc = hl_store_audit(st, actor, "user.disable", username, NULL);
	return end_tx(st, rc);
}

typedef struct {
	int (*cb)(const hl_auth_user_row *r, void *ud);
	void *ud;
} foreach_ctx;

static int each_user(const hl_store_user_row *r, void *ud)
{
	foreach_ctx *x = ud;
	hl_auth_user_row a = {.username = r->username,
	                      .role = r->role,
	                      .unit_code = r->unit_code,
	                      .created_at = r->created_at,
	                      .disabled = r->disabled};
	return x->cb(&a, x->ud);
}

int hl_auth_user_foreach(hl_store *st, int (*cb)(const hl_auth_user_row *r, void *ud), void *ud)
{
	foreach_ctx x = {cb, ud};
	return hl_store_user_foreach(st, each_user, &x);
}

int hl_auth_token_new(char **token, hl_store *st, const char *username, const char *label,
                      const char *actor)
{
	char hash[65], detail[128];
	user_copy u = {0};
	char *t = NULL;
	int rc;

	if ((rc = check_name(username)) < 0)
		return rc;
	if (label && strlen(label) > MAX_LABEL)
		return hl_error_set(HL_EINVALID, "a token label has at most %d bytes", MAX_LABEL);
	if ((rc = get_user(&u, st, username)) < 0)
		return rc;
	if (u.disabled)
		return hl_error_set(HL_EINVALID, "user %s is disabled", username);
	if (!(t = new_secret(TOKEN_PREFIX)))
		return HL_ENOMEM;
	hl_sha256_hex(hash, t, strlen(t));
	snprintf(detail, sizeof(detail), "label=%s", label ? label : "");
	if ((rc = hl_store_begin(st)) < 0)
		goto done;
	rc = hl_store_token_add(st, hash, u.id, label);
	if (rc == 0)
		rc = hl_store_audit(st, actor, "user.token", username, label ? detail : NULL);
	rc = end_tx(st, rc);
done:
	if (rc < 0) {
		sodium_memzero(t, strlen(t));
		free(t);
		return rc;
	}
	*token = t;
	return 0;
}

/* ---- principals ---- */

hl_principal hl_principal_anonymous(void)
{
	hl_principal p;
	memset(&p, 0, sizeof(p));
	p.role = HL_ROLE_ANONYMOUS;
	return p;
}

hl_principal hl_principal_local(const char *name)
{
	hl_principal p;
	memset(&p, 0, sizeof(p));
	p.role = HL_ROLE_ADMIN;
	p.province = 1;
	p.local = 1;
	snprintf(p.username, sizeof(p.username), "%s", name && *name ? name : "cli");
	return p;
}

const char *hl_principal_actor(const hl_principal *p)
{
	return p && p->username[0] ? p->username : "anonymous";
}

static int unit_type_cb(const hl_store_unit_row *r, void *ud)
{
	*(hl_unit_type *)ud = hl_unit_type_from_key(r->type);
	return 1;
}

/* The principal of a stored user: its unit's type today says whether it is province-level.
 * This runs on every request of the server, so it reads the one version it needs rather than
 * the whole unit with its successions (hl_units_show). */
static int principal_of(hl_principal *p, hl_store *st, const user_copy *u)
{
	hl_store_units *su = NULL;
	hl_unit_type type = HL_UNIT_UNKNOWN;
	char today[11];
	hl_role role;
	int rc;

	if (hl_role_parse(&role, u->role) < 0 || role == HL_ROLE_ANONYMOUS)
		return hl_error_set(HL_EINVALID, "user %s has a bad role \"%s\" in the store",
		                    u->username, u->role);
	hl_units_today(today);
	if ((rc = hl_store_units_open(&su, st)) < 0)
		return rc;
	rc = hl_store_unit_at(su, u->unit, today, unit_type_cb, &type);
	hl_store_units_free(su);
	/* a unit that ended since (a merge) is not province-level and holds what custody says */
	if (rc < 0 && rc != HL_ENOTFOUND)
		return rc;
	hl_error_clear();
	*p = hl_principal_anonymous();
	p->user_id = u->id;
	p->role = role;
	snprintf(p->username, sizeof(p->username), "%s", u->username);
	snprintf(p->unit_code, sizeof(p->unit_code), "%s", u->unit);
	p->province = type == HL_UNIT_TINH || type == HL_UNIT_THANH_PHO_TW;
	return 0;
}

/* ---- logging in ---- */

/* How long `key` must wait (0: not throttled). */
static int throttled(int64_t *wait, hl_store *st, const char *key, int by_client, int64_t now)
{
	int64_t count = 0, nth_at = 0;
	int rc = hl_store_login_failures(&count, &nth_at, st, key, by_client,
	                                 now - HL_AUTH_FAILURE_WINDOW, HL_AUTH_MAX_FAILURES);
	*wait = 0;
	if (rc < 0)
		return rc;
	/* the oldest of the last MAX failures must leave the window before the next attempt */
	if (count >= HL_AUTH_MAX_FAILURES) {
		*wait = nth_at + HL_AUTH_FAILURE_WINDOW - now + 1;
		if (*wait < 1)
			*wait = 1;
	}
	return 0;
}

/* A verification against a fixed hash, so that an unknown name costs what a known one does
 * and timing does not tell which names exist. The hash is made once, for every thread. */
static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_init(void)
{
	if (hash_password(dummy_hash, "halong-dummy-password") < 0)
		dummy_hash[0] = '\0';
}

static void dummy_verify(const char *password)
{
	pthread_once(&dummy_once, dummy_init);
	if (dummy_hash[0] && crypto_pwhash_str_verify(dummy_hash, password, strlen(password)) == 0)
		return; /* the answer is not used: only the time it takes */
}

int hl_auth_login(char **session_id, char **csrf, hl_principal *who, int *retry_after, hl_store *st,
                  const char *username, const char *password, const char *client)
{
	char name[64], addr[MAX_CLIENT + 1], detail[160], idhash[65];
	const char *obj, *reason = NULL;
	user_copy u = {0};
	hl_principal p;
	char *sid = NULL, *tok = NULL;
	int64_t now = (int64_t)time(NULL), wait_name = 0, wait_client = 0;
	int rc, found;

	if (!username)
		username = "";
	if (!password)
		password = "";
	/* keys for counting are bounded; a name that is not a user name is never written out
	 * as typed (it may be a password typed in the wrong field) */
	snprintf(name, sizeof(name), "%s", username);
	snprintf(addr, sizeof(addr), "%s", client ? client : "");
	obj = hl_auth__name_ok(username) ? username : "(not a user name)";
	snprintf(detail, sizeof(detail), "client=%s", addr[0] ? addr : "-");

	/* The attempt is counted as a failure before the password is checked, in the one
	 * write transaction that checks the count: attempts in parallel (one per worker thread)
	 * then see each other, and no more than HL_AUTH_MAX_FAILURES get through. A success
	 * clears the name's failures, this one included. */
	if ((rc = hl_store_begin(st)) < 0)
		return rc;
	if ((rc = throttled(&wait_name, st, name, 0, now)) < 0 ||
	    (addr[0] && (rc = throttled(&wait_client, st, addr, 1, now)) < 0))
		return end_tx(st, rc);
	if (wait_name || wait_client) {
		int64_t w = wait_name > wait_client ? wait_name : wait_client;
		if (retry_after)
			*retry_after = (int)w;
		snprintf(detail, sizeof(detail), "client=%s reason=throttled",
		         addr[0] ? addr : "-");
		rc = hl_store_audit(st, NULL, "login.failed", obj, detail);
		if ((rc = end_tx(st, rc)) < 0)
			return rc;
		return hl_error_set(HL_ELIMIT, "too many failed logins; try again in %lld s",
		                    (long long)w);
	}
	rc = hl_store_login_failure_add(st, name, addr[0] ? addr : NULL, now,
	                                now - HL_AUTH_FAILURE_WINDOW);
	if ((rc = end_tx(st, rc)) < 0)
		return rc;

	rc = hl_store_user_get(st, name, copy_user, &u);
	if (rc < 0 && rc != HL_ENOTFOUND)
		return rc;
	found = rc == 0;
	if (strlen(password) > HL_AUTH_MAX_PASSWORD)
		reason = "password too long";
	else if (!found) {
		dummy_verify(password);
		reason = "unknown user";
	} else if (crypto_pwhash_str_verify(u.pwhash, password, strlen(password)) != 0)
		reason = "wrong password";
	else if (u.disabled)
		reason = "disabled";
	sodium_memzero(u.pwhash, sizeof(u.pwhash));

	if (reason) {
		/* the failure is counted already */
		snprintf(detail, sizeof(detail), "client=%s reason=%s", addr[0] ? addr : "-",
		         reason);
		if ((rc = hl_store_audit(st, NULL, "login.failed", obj, detail)) < 0)
			return rc;
		return hl_error_set(HL_EDENIED, "wrong user name or password");
	}

	if ((rc = principal_of(&p, st, &u)) < 0)
		return rc;
	if (!(sid = new_secret("")) || !(tok = new_secret(""))) {
		rc = HL_ENOMEM;
		goto done;
	}
	hl_sha256_hex(idhash, sid, strlen(sid));
	if ((rc = hl_store_begin(st)) < 0)
		goto done;
	rc = hl_store_session_add(st, idhash, u.id, tok, addr[0] ? addr : NULL,
	                          now + HL_AUTH_SESSION_TTL);
	if (rc == 0)
		rc = hl_store_login_failures_clear(st, name);
	if (rc == 0)
		rc = hl_store_sessions_prune(st, now);
	if (rc == 0)
		rc = hl_store_audit(st, u.username, "login", u.username, detail);
	rc = end_tx(st, rc);
done:
	if (rc < 0) {
		free(sid);
		free(tok);
		return rc;
	}
	*session_id = sid;
	if (csrf)
		*csrf = tok;
	else
		free(tok);
	*who = p;
	return 0;
}

/* A secret as given by a client: bounded, or not worth a look-up. */
static int plausible(const char *s, size_t maxlen)
{
	size_t n = s ? strnlen(s, maxlen + 1) : 0;
	return n > 0 && n <= maxlen;
}

int hl_auth_session(hl_principal *who, char **csrf, hl_store *st, const char *session_id)
{
	char idhash[65];
	user_copy u = {0};
	hl_principal p;
	int rc;

	if (!plausible(session_id, 128))
		return hl_error_set(HL_ENOTFOUND, "no such session");
	hl_sha256_hex(idhash, session_id, strlen(session_id));
	rc = hl_store_session_get(st, idhash, (int64_t)time(NULL), copy_session, &u);
	if (rc == HL_ENOTFOUND)
		return hl_error_set(HL_ENOTFOUND, "no such session (unknown, expired or ended)");
	if (rc < 0 || (rc = principal_of(&p, st, &u)) < 0)
		return rc;
	if (csrf && !(*csrf = hl_strdup(u.csrf)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	*who = p;
	return 0;
}

int hl_auth_logout(hl_store *st, const char *session_id)
{
	char idhash[65];
	user_copy u = {0};
	int rc;

	if (!plausible(session_id, 128))
		return 0;
	hl_sha256_hex(idhash, session_id, strlen(session_id));
	if ((rc = hl_store_begin(st)) < 0)
		return rc;
	rc = hl_store_session_get(st, idhash, (int64_t)time(NULL), copy_session, &u);
	if (rc == HL_ENOTFOUND) /* ended already: logging out twice is not an error */
		return end_tx(st, 0);
	if (rc == 0)
		rc = hl_store_session_del(st, idhash);
	if (rc == 0)
		rc = hl_store_audit(st, u.username, "logout", u.username, NULL);
	return end_tx(st, rc);
}

int hl_auth_bearer(hl_principal *who, hl_store *st, const char *token)
{
	char hash[65];
	user_copy u = {0};
	hl_principal p;
	int rc;

	if (!plausible(token, 128))
		return hl_error_set(HL_ENOTFOUND, "unknown API token");
	hl_sha256_hex(hash, token, strlen(token));
	rc = hl_store_token_get(st, hash, copy_user, &u);
	if (rc == HL_ENOTFOUND)
		return hl_error_set(HL_ENOTFOUND, "unknown API token (or its user is disabled)");
	if (rc < 0 || (rc = principal_of(&p, st, &u)) < 0)
		return rc;
	*who = p;
	return 0;
}
