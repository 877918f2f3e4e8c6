/* Tests of accounts and access on a real SQLite store holding the shipped units of Quảng Ninh:
 * users, logins, throttling, disabled users, session expiry, API tokens, the scope of a commune
 * officer and of the province, the visibility matrix, and the audit chain (whole, tampered,
 * upgraded from schema 4), with no password or token ever written to the store. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "halong/auth.h"
#include "store/store.h"
#include "store/store_auth.h"
#include "halong/units.h"
#include "halong/util.h"

#define DATA HL_SOURCE_DATADIR "/units"
#define PW   "mat-khau-rat-dai-2025"

/* The shipped units are loaded once into a template store; each test works on a copy. */
static char template_dir[64];

typedef struct {
	char dir[64];
	char *path;
	hl_store *st;
} fx;

static int run_cmd(const char *fmt, const char *a, const char *b)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), fmt, a, b);
	return system(cmd);
}

static int group_setup(void **state)
{
	hl_units_load_stats s;
	hl_store *st = NULL;
	char *path;
	snprintf(template_dir, sizeof(template_dir), "/tmp/hl-auth-tpl-XXXXXX");
	if (!mkdtemp(template_dir))
		return -1;
	path = hl_path_join(template_dir, "halong.db");
	if (hl_store_open(&st, path, 1) < 0 || hl_units_load(&s, st, DATA, NULL, NULL, NULL) < 0) {
		fprintf(stderr, "setup: %s\n", hl_error_last());
		free(path);
		return -1;
	}
	hl_store_free(st); /* closing checkpoints the WAL into the file */
	free(path);
	return 0;
}

static int group_teardown(void **state)
{
	return run_cmd("rm -rf %s%s", template_dir, "") == 0 ? 0 : -1;
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/hl-auth-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	if (run_cmd("cp %s/halong.db %s/", template_dir, f->dir) != 0)
		return -1;
	f->path = hl_path_join(f->dir, "halong.db");
	if (hl_store_open(&f->st, f->path, 0) < 0) {
		fprintf(stderr, "setup: %s\n", hl_error_last());
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	hl_store_free(f->st);
	if (run_cmd("rm -rf %s%s", f->dir, "") != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f->path);
	free(f);
	return 0;
}

/* Runs SQL on the store's file through a connection of its own (as an intruder would). */
static void sql(fx *f, const char *q)
{
	sqlite3 *db = NULL;
	char *err = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, q, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", q, err);
	sqlite3_close(db);
}

static int64_t sql_int(fx *f, const char *q)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void add(fx *f, const char *name, hl_role role, const char *unit)
{
	if (hl_auth_user_add(f->st, name, PW, role, unit, "test") != 0)
		fail_msg("add %s: %s", name, hl_error_last());
}

/* Logs in and returns the session id (caller frees). */
static char *login_ok(fx *f, const char *name, const char *pw, const char *client,
                      hl_principal *who)
{
	char *sid = NULL, *csrf = NULL;
	int retry = -1;
	if (hl_auth_login(&sid, &csrf, who, &retry, f->st, name, pw, client) != 0)
		fail_msg("login %s: %s", name, hl_error_last());
	free(csrf);
	return sid;
}

static int login_rc(fx *f, const char *name, const char *pw, const char *client, int *retry)
{
	char *sid = NULL, *csrf = NULL;
	hl_principal who;
	int rc = hl_auth_login(&sid, &csrf, &who, retry, f->st, name, pw, client);
	free(sid);
	free(csrf);
	return rc;
}

static void test_roles(void **state)
{
	hl_role r;
	const char *names[] = {"anonymous", "viewer", "officer", "inspector", "archivist", "admin"};
	for (int i = 0; i <= HL_ROLE_ADMIN; i++) {
		assert_string_equal(hl_role_name((hl_role)i), names[i]);
		assert_int_equal(hl_role_parse(&r, names[i]), 0);
		assert_int_equal(r, i);
	}
	assert_int_equal(hl_role_parse(&r, "root"), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "archivist"));
	assert_int_equal(hl_role_ceiling(HL_ROLE_ANONYMOUS), HL_ACCESS_PUBLIC);
	assert_int_equal(hl_role_ceiling(HL_ROLE_VIEWER), HL_ACCESS_INTERNAL);
	assert_int_equal(hl_role_ceiling(HL_ROLE_OFFICER), HL_ACCESS_INTERNAL);
	assert_int_equal(hl_role_ceiling(HL_ROLE_INSPECTOR), HL_ACCESS_RESTRICTED);
	assert_int_equal(hl_role_ceiling(HL_ROLE_ARCHIVIST), HL_ACCESS_RESTRICTED);
	assert_int_equal(hl_role_ceiling(HL_ROLE_ADMIN), HL_ACCESS_RESTRICTED);
}

/* Who may do what: the one table, for the API's callers and the console alike. */
static void test_checks_and_the_local_operator(void **state)
{
	hl_principal anon = hl_principal_anonymous(), local = hl_principal_local("cli:test");
	hl_principal viewer = anon, commune = anon, province = anon;
	char **codes = NULL;
	size_t n = 1;
	int all = 0;
	(void)state;
	viewer.role = HL_ROLE_VIEWER, viewer.user_id = 1;
	commune.role = HL_ROLE_ARCHIVIST, commune.user_id = 2;
	snprintf(commune.unit_code, sizeof(commune.unit_code), "06652");
	province = commune;
	province.province = 1;
	snprintf(province.unit_code, sizeof(province.unit_code), "22");

	assert_int_equal(hl_auth_check(&anon, HL_ACT_OCR_RUN), HL_EDENIED);
	assert_string_equal(hl_error_last(), "log in first (this needs one of: archivist, admin)");
	assert_int_equal(hl_auth_check(&viewer, HL_ACT_OCR_REVIEW), HL_EDENIED);
	assert_string_equal(hl_error_last(), "your role (viewer) may not do this (this needs one "
	                                     "of: inspector, archivist, admin)");
	/* the right role in a commune: not what touches every unit */
	assert_int_equal(hl_auth_check(&commune, HL_ACT_OCR_REVIEW), 0);
	assert_int_equal(hl_auth_check(&commune, HL_ACT_OCR_RUN), HL_EDENIED);
	assert_non_null(strstr(hl_error_last(), "province"));
	assert_int_equal(hl_auth_check(&province, HL_ACT_OCR_RUN), 0);
	assert_int_equal(hl_auth_check(&province, HL_ACT_AUDIT_READ), HL_EDENIED);
	assert_int_equal(hl_auth_check(&province, (hl_action)99), HL_EINVALID);
	/* the operator at the console may do everything and sees every level, secret included;
	 * a networked principal never gets past restricted */
	for (int a = HL_ACT_INGEST; a <= HL_ACT_STATS_ALL; a++)
		assert_int_equal(hl_auth_check(&local, (hl_action)a), 0);
	assert_int_equal(hl_auth_ceiling(&local), HL_ACCESS_SECRET);
	assert_int_equal(hl_auth_ceiling(&province), HL_ACCESS_RESTRICTED);
	assert_int_equal(hl_auth_ceiling(&anon), HL_ACCESS_PUBLIC);
	assert_int_equal(hl_auth_ceiling(NULL), HL_ACCESS_PUBLIC);
	assert_int_equal(hl_auth_may_see(&local, HL_ACCESS_SECRET, "X", NULL, 0, 0), 1);
	assert_int_equal(hl_auth_may_see(&province, HL_ACCESS_SECRET, "X", NULL, 0, 1), 0);
	assert_int_equal(hl_auth_scope(&codes, &n, &all, NULL, &local), 0);
	assert_int_equal(all, 1);
	assert_int_equal(n, 0);
	assert_string_equal(hl_principal_actor(&local), "cli:test");
	assert_string_equal(hl_principal_actor(&anon), "anonymous");
	/* what a unit's users did (a server job): the province and the operator see every unit's,
	 * a commune its own, a viewer with no unit and anonymous nothing */
	assert_int_equal(hl_auth_sees_unit(&province, "06652"), 1);
	assert_int_equal(hl_auth_sees_unit(&local, "06652"), 1);
	assert_int_equal(hl_auth_sees_unit(&commune, "06652"), 1);
	assert_int_equal(hl_auth_sees_unit(&commune, "06661"), 0);
	assert_int_equal(hl_auth_sees_unit(&commune, ""), 0);
	assert_int_equal(hl_auth_sees_unit(&commune, NULL), 0);
	assert_int_equal(hl_auth_sees_unit(&viewer, ""), 0);
	assert_int_equal(hl_auth_sees_unit(&anon, ""), 0);
	assert_int_equal(hl_auth_sees_unit(NULL, "06652"), 0);
}

/* The chain held against points witnessed outside the node (hole 4: a log cut short, or
 * rewritten with its chain recomputed, passed as "chain whole"). */
static void test_audit_points(void **state)
{
	fx *f = *state;
	int64_t start = 0, last = 0;
	char hash3[65] = "", head[65], detail[16];
	uint64_t checked = 0;
	hl_audit_point p[2];

	assert_int_equal(hl_audit_head(&start, head, f->st), 0);
	for (int i = 1; i <= 5; i++) {
		snprintf(detail, sizeof(detail), "n=%d", i);
		assert_int_equal(hl_store_audit(f->st, "test", "thing", "x", detail), 0);
		assert_int_equal(hl_audit_head(&last, head, f->st), 0);
		if (i == 3)
			memcpy(hash3, head, sizeof(hash3));
	}
	assert_int_equal(last, start + 5);
	memset(p, 0, sizeof(p));
	p[0].id = start + 3, p[0].at_ms = 1765000000000;
	memcpy(p[0].hash, hash3, sizeof(hash3));
	p[1].id = last, p[1].at_ms = 1765000000000;
	memcpy(p[1].hash, head, sizeof(head));
	assert_int_equal(hl_audit_verify_points(&checked, f->st, p, 2), 0);
	assert_int_equal(checked, (uint64_t)last);
	/* a point past the end: the log was shortened */
	p[1].id = last + 2;
	assert_int_equal(hl_audit_verify_points(&checked, f->st, p, 2), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "the audit log was shortened"));
	/* a point whose entry has another hash: rewritten */
	p[1].id = last;
	p[0].hash[0] = p[0].hash[0] == 'a' ? 'b' : 'a';
	assert_int_equal(hl_audit_verify_points(&checked, f->st, p, 2), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "is not the one the province witnessed"));
	assert_int_equal(checked, (uint64_t)(start + 3));
	/* no point: the chain alone, as before */
	assert_int_equal(hl_audit_verify_points(&checked, f->st, NULL, 0), 0);
}

/* What someone with the database file would do after changing entries: recompute every hash
 * from entry `from` on, keeping the ids, so that the chain is whole again by itself. */
static void rechain(fx *f, int64_t from)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL, *u = NULL;
	char prev[65] = "", hash[65];
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT id, at, actor, action, object, detail, hash"
	                                    " FROM audit ORDER BY id",
	                                    -1, &s, NULL),
	                 SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "UPDATE audit SET prev_hash = ?2, hash = ?3 WHERE id = ?1", -1,
	                       &u, NULL),
	    SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		const char *c[5];
		for (int i = 0; i < 5; i++)
			c[i] = (const char *)sqlite3_column_text(s, i + 1);
		if (id < from) {
			snprintf(prev, sizeof(prev), "%s", (const char *)sqlite3_column_text(s, 6));
			continue;
		}
		hl_store_audit_hash(hash, prev, id, c[0], c[1], c[2], c[3], c[4]);
		sqlite3_bind_int64(u, 1, id);
		if (*prev)
			sqlite3_bind_text(u, 2, prev, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(u, 2);
		sqlite3_bind_text(u, 3, hash, -1, SQLITE_TRANSIENT);
		assert_int_equal(sqlite3_step(u), SQLITE_DONE);
		sqlite3_reset(u);
		memcpy(prev, hash, sizeof(prev));
	}
	sqlite3_finalize(s);
	sqlite3_finalize(u);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* The review of issue 11: entry 150 edited, the witnessed head 200 deleted and the chain
 * recomputed from 151 keeping the ids passed as whole and witnessed up to 200 (a point was
 * checked only when an entry of its id existed, and ids were never required to follow one
 * another). The hole is named, with the point and without. */
static void test_audit_rewritten_around_a_point(void **state)
{
	fx *f = *state;
	int64_t start = 0, id = 0;
	char head[65], detail[16], q[160], want[160];
	uint64_t checked = 0;
	hl_audit_point p[2];

	assert_int_equal(hl_audit_head(&start, head, f->st), 0);
	memset(p, 0, sizeof(p));
	for (int i = 1; i <= 10; i++) {
		snprintf(detail, sizeof(detail), "n=%d", i);
		assert_int_equal(hl_store_audit(f->st, "test", "thing", "x", detail), 0);
		assert_int_equal(hl_audit_head(&id, head, f->st), 0);
		if (i == 3 || i == 7) {
			hl_audit_point *w = &p[i == 7];
			w->id = id, w->at_ms = 1765000000000; /* 2025-12-06 12:46 (UTC+7) */
			memcpy(w->hash, head, sizeof(head));
		}
	}
	assert_int_equal(hl_audit_verify_points(&checked, f->st, p, 2), 0);

	/* the attack: an entry after the first point edited, the second point's entry gone, the
	 * chain recomputed from the edit on */
	snprintf(q, sizeof(q),
	         "UPDATE audit SET detail = 'nothing happened' WHERE id = %lld;"
	         " DELETE FROM audit WHERE id = %lld",
	         (long long)(start + 5), (long long)p[1].id);
	sql(f, q);
	rechain(f, start + 5);
	assert_int_equal(hl_audit_verify_points(&checked, f->st, p, 2), HL_EINVALID);
	snprintf(want, sizeof(want),
	         "audit entry %lld, which the province witnessed on 2025-12-06 12:46 (UTC+7), is"
	         " missing (removed); %lld entries before it are whole",
	         (long long)p[1].id, (long long)(p[1].id - 1));
	assert_string_equal(hl_error_last(), want);
	assert_int_equal(checked, (uint64_t)(p[1].id - 1));
	/* without a witness, the numbering alone names the hole */
	assert_int_equal(hl_audit_verify(&checked, f->st), HL_EINVALID);
	snprintf(want, sizeof(want),
	         "audit entry %lld is broken: entry %lld is missing (removed); %lld entries before"
	         " it are whole",
	         (long long)(p[1].id + 1), (long long)p[1].id, (long long)(p[1].id - 1));
	assert_string_equal(hl_error_last(), want);

	/* several entries gone, the first ones among them */
	snprintf(q, sizeof(q), "DELETE FROM audit WHERE id <= 2");
	sql(f, q);
	rechain(f, 1);
	assert_int_equal(hl_audit_verify(&checked, f->st), HL_EINVALID);
	assert_string_equal(hl_error_last(), "audit entry 3 is broken: entries 1 to 2 are missing"
	                                     " (removed); 0 entries before it are whole");
	assert_int_equal(checked, 0);
	/* an entry numbered below 1 is not skipped */
	sql(f, "INSERT INTO audit(id, at, actor, action) VALUES (0, '2026-01-01T00:00:00Z', 'x',"
	       " 'y')");
	assert_int_equal(hl_audit_verify(&checked, f->st), HL_EINVALID);
	assert_string_equal(hl_error_last(), "audit entry 0 is broken: its id is below 1 (written"
	                                     " around the store); 0 entries before it are whole");
}

static void test_add_login_session_logout(void **state)
{
	fx *f = *state;
	hl_principal who, again;
	char *sid, *csrf = NULL, *csrf2 = NULL, hash[65], q[256];
	int retry = -1;

	add(f, "hatu.officer", HL_ROLE_OFFICER, "06652");
	assert_int_equal(
	    hl_auth_login(&sid, &csrf, &who, &retry, f->st, "hatu.officer", PW, "10.0.0.1"), 0);
	assert_int_equal(strlen(sid), 43);
	assert_int_equal(strlen(csrf), 43);
	assert_string_not_equal(sid, csrf);
	assert_int_equal(
	    strspn(sid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
	assert_true(who.user_id > 0);
	assert_string_equal(who.username, "hatu.officer");
	assert_int_equal(who.role, HL_ROLE_OFFICER);
	assert_string_equal(who.unit_code, "06652");
	assert_int_equal(who.province, 0);

	assert_int_equal(hl_auth_session(&again, &csrf2, f->st, sid), 0);
	assert_int_equal(again.user_id, who.user_id);
	assert_string_equal(again.username, "hatu.officer");
	assert_string_equal(csrf2, csrf);

	/* only the hash of the session id is stored */
	hl_sha256_hex(hash, sid, strlen(sid));
	snprintf(q, sizeof(q), "SELECT count(*) FROM auth_session WHERE id_hash = '%s'", hash);
	assert_int_equal(sql_int(f, q), 1);
	snprintf(q, sizeof(q), "SELECT count(*) FROM auth_session WHERE id_hash = '%s'", sid);
	assert_int_equal(sql_int(f, q), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM auth_session WHERE client = '10.0.0.1'"),
	                 1);

	assert_int_equal(hl_auth_session(&again, NULL, f->st, "not-a-session"), HL_ENOTFOUND);
	assert_int_equal(hl_auth_logout(f->st, sid), 0);
	assert_int_equal(hl_auth_session(&again, NULL, f->st, sid), HL_ENOTFOUND);
	assert_int_equal(hl_auth_logout(f->st, sid), 0); /* twice is fine */
	free(sid);
	free(csrf);
	free(csrf2);
}

static void test_add_refuses_bad_input(void **state)
{
	fx *f = *state;
	add(f, "ha.tu_1-a", HL_ROLE_VIEWER, "06652");
	assert_int_equal(hl_auth_user_add(f->st, "ha.tu_1-a", PW, HL_ROLE_VIEWER, "06652", "t"),
	                 HL_ECONFLICT);
	assert_non_null(strstr(hl_error_last(), "already exists"));
	assert_int_equal(hl_auth_user_add(f->st, "HaTu", PW, HL_ROLE_VIEWER, "06652", "t"),
	                 HL_EINVALID);
	assert_int_equal(hl_auth_user_add(f->st, "", PW, HL_ROLE_VIEWER, "06652", "t"),
	                 HL_EINVALID);
	assert_int_equal(hl_auth_user_add(f->st, "a b", PW, HL_ROLE_VIEWER, "06652", "t"),
	                 HL_EINVALID);
	assert_int_equal(
	    hl_auth_user_add(f->st,
	                     "a234567890123456789012345678901234567890123456789012345678"
	                     "901234",
	                     PW, HL_ROLE_VIEWER, "06652", "t"),
	    HL_EINVALID);
	assert_int_equal(
	    hl_auth_user_add(f->st, "short", "123456789", HL_ROLE_VIEWER, "06652", "t"),
	    HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "too short"));
	assert_int_equal(hl_auth_user_add(f->st, "anon", PW, HL_ROLE_ANONYMOUS, "06652", "t"),
	                 HL_EINVALID);
	/* the names the library itself writes as actors in the audit log (the review of issue
	 * 11): a user named so would pass for the library in its log */
	static const char *const reserved[] = {"system", "feed", "exchange", "anonymous", "cli"};
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		char want[128];
		assert_int_equal(
		    hl_auth_user_add(f->st, reserved[i], PW, HL_ROLE_ADMIN, "06652", "t"),
		    HL_EINVALID);
		snprintf(want, sizeof(want),
		         "the user name \"%s\" is reserved: halong writes it in the audit log",
		         reserved[i]);
		assert_string_equal(hl_error_last(), want);
	}
	assert_int_equal(sql_int(f, "SELECT count(*) FROM auth_user WHERE username IN ('system',"
	                            " 'feed', 'exchange', 'anonymous', 'cli')"),
	                 0);
	add(f, "system.admin", HL_ROLE_VIEWER, "06652"); /* only the names themselves */
	/* a unit that does not exist, and one that ended in the 2025 reform */
	assert_int_equal(hl_auth_user_add(f->st, "nowhere", PW, HL_ROLE_VIEWER, "99999", "t"),
	                 HL_ENOTFOUND);
	assert_int_equal(hl_auth_user_add(f->st, "hakhau", PW, HL_ROLE_VIEWER, "06655", "t"),
	                 HL_ENOTFOUND);
	assert_non_null(strstr(hl_error_last(), "2025-06-30"));
	assert_int_equal(sql_int(f, "SELECT count(*) FROM auth_user"), 2); /* and system.admin */
}

static void test_wrong_password_and_throttle(void **state)
{
	fx *f = *state;
	hl_principal who;
	int retry = -1;
	char *sid;

	add(f, "archivist", HL_ROLE_ARCHIVIST, "22");
	for (int i = 0; i < HL_AUTH_MAX_FAILURES; i++) {
		assert_int_equal(login_rc(f, "archivist", "wrong-password-1", "10.0.0.2", &retry),
		                 HL_EDENIED);
		assert_string_equal(hl_error_last(), "wrong user name or password");
	}
	/* the sixth attempt is refused before the password is looked at, even the right one */
	retry = -1;
	assert_int_equal(login_rc(f, "archivist", PW, "10.0.0.3", &retry), HL_ELIMIT);
	assert_true(retry > 0 && retry <= HL_AUTH_FAILURE_WINDOW + 1);
	assert_non_null(strstr(hl_error_last(), "try again"));

	/* an unknown name answers exactly as a wrong password does */
	assert_int_equal(login_rc(f, "nobody", PW, "10.0.0.4", &retry), HL_EDENIED);
	assert_string_equal(hl_error_last(), "wrong user name or password");

	/* the count is in the store: it survives a restart */
	hl_store_free(f->st);
	f->st = NULL;
	assert_int_equal(hl_store_open(&f->st, f->path, 0), 0);
	assert_int_equal(login_rc(f, "archivist", PW, "10.0.0.5", &retry), HL_ELIMIT);

	/* once the failures leave the window, the right password works again */
	sql(f, "UPDATE auth_failure SET at = at - 901");
	sid = login_ok(f, "archivist", PW, "10.0.0.5", &who);
	free(sid);
}

static void test_throttle_per_client(void **state)
{
	fx *f = *state;
	hl_principal who;
	int retry = -1;
	char *sid;

	add(f, "viewer.a", HL_ROLE_VIEWER, "06652");
	/* five different names from one address */
	const char *names[] = {"x1", "x2", "x3", "x4", "x5"};
	for (int i = 0; i < 5; i++)
		assert_int_equal(login_rc(f, names[i], "whatever-pass", "192.0.2.9", &retry),
		                 HL_EDENIED);
	assert_int_equal(login_rc(f, "viewer.a", PW, "192.0.2.9", &retry), HL_ELIMIT);
	assert_true(retry > 0);
	/* the same user from another address is not held back */
	sid = login_ok(f, "viewer.a", PW, "192.0.2.10", &who);
	free(sid);

	/* a success forgets the name's failures (not the address's) */
	for (int i = 0; i < 4; i++)
		assert_int_equal(login_rc(f, "viewer.a", "bad-password!", "198.51.100.1", &retry),
		                 HL_EDENIED);
	sid = login_ok(f, "viewer.a", PW, "198.51.100.2", &who);
	free(sid);
	assert_int_equal(login_rc(f, "viewer.a", "bad-password!", "198.51.100.3", &retry),
	                 HL_EDENIED);
	sid = login_ok(f, "viewer.a", PW, "198.51.100.3", &who);
	free(sid);
}

static void test_disabled_user(void **state)
{
	fx *f = *state;
	hl_principal who;
	char *sid, *tok = NULL;
	int retry;

	add(f, "leaving", HL_ROLE_OFFICER, "06652");
	sid = login_ok(f, "leaving", PW, NULL, &who);
	assert_int_equal(hl_auth_token_new(&tok, f->st, "leaving", "script", "test"), 0);
	assert_int_equal(hl_auth_bearer(&who, f->st, tok), 0);

	assert_int_equal(hl_auth_user_disable(f->st, "leaving", "test"), 0);
	assert_int_equal(hl_auth_session(&who, NULL, f->st, sid), HL_ENOTFOUND);
	assert_int_equal(hl_auth_bearer(&who, f->st, tok), HL_ENOTFOUND);
	assert_int_equal(login_rc(f, "leaving", PW, NULL, &retry), HL_EDENIED);
	assert_string_equal(hl_error_last(), "wrong user name or password");
	assert_int_equal(hl_auth_token_new(&tok, f->st, "leaving", NULL, "test"), HL_EINVALID);
	assert_int_equal(hl_auth_user_disable(f->st, "ghost", "test"), HL_ENOTFOUND);
	free(sid);
	free(tok);
}

static void test_session_expiry(void **state)
{
	fx *f = *state;
	hl_principal who;
	char *sid;
	int64_t ttl;

	add(f, "expiring", HL_ROLE_VIEWER, "06652");
	sid = login_ok(f, "expiring", PW, NULL, &who);
	ttl = sql_int(f, "SELECT expires_at - strftime('%s', 'now') FROM auth_session");
	assert_true(ttl > HL_AUTH_SESSION_TTL - 60 && ttl <= HL_AUTH_SESSION_TTL);
	assert_int_equal(hl_auth_session(&who, NULL, f->st, sid), 0);
	sql(f, "UPDATE auth_session SET expires_at = strftime('%s', 'now') - 1");
	assert_int_equal(hl_auth_session(&who, NULL, f->st, sid), HL_ENOTFOUND);
	free(sid);
}

static void test_token(void **state)
{
	fx *f = *state;
	hl_principal who;
	char *tok = NULL, *tok2 = NULL, hash[65], q[256];

	add(f, "robot", HL_ROLE_INSPECTOR, "22");
	assert_int_equal(hl_auth_token_new(&tok, f->st, "robot", "nightly report", "admin"), 0);
	assert_int_equal(strncmp(tok, "hlt_", 4), 0);
	assert_int_equal(strlen(tok), 47);
	assert_int_equal(hl_auth_token_new(&tok2, f->st, "robot", NULL, "admin"), 0);
	assert_string_not_equal(tok, tok2);

	assert_int_equal(hl_auth_bearer(&who, f->st, tok), 0);
	assert_string_equal(who.username, "robot");
	assert_int_equal(who.role, HL_ROLE_INSPECTOR);
	assert_int_equal(who.province, 1);
	assert_int_equal(hl_auth_bearer(&who, f->st, tok2), 0);

	hl_sha256_hex(hash, tok, strlen(tok));
	snprintf(q, sizeof(q), "SELECT count(*) FROM auth_token WHERE hash = '%s'", hash);
	assert_int_equal(sql_int(f, q), 1);
	tok[10] = tok[10] == 'A' ? 'B' : 'A';
	assert_int_equal(hl_auth_bearer(&who, f->st, tok), HL_ENOTFOUND);
	assert_int_equal(hl_auth_bearer(&who, f->st, ""), HL_ENOTFOUND);
	assert_int_equal(hl_auth_token_new(&tok2, f->st, "ghost", NULL, "admin"), HL_ENOTFOUND);
	free(tok);
	free(tok2);
}

static void test_passwd(void **state)
{
	fx *f = *state;
	hl_principal who;
	char *sid, *sid2;
	int retry;

	add(f, "changer", HL_ROLE_VIEWER, "06652");
	sid = login_ok(f, "changer", PW, NULL, &who);
	assert_int_equal(hl_auth_user_passwd(f->st, "changer", "mot-mat-khau-moi", "changer"), 0);
	/* the old session ended with the old password */
	assert_int_equal(hl_auth_session(&who, NULL, f->st, sid), HL_ENOTFOUND);
	assert_int_equal(login_rc(f, "changer", PW, NULL, &retry), HL_EDENIED);
	sid2 = login_ok(f, "changer", "mot-mat-khau-moi", NULL, &who);
	assert_int_equal(hl_auth_user_passwd(f->st, "changer", "short", "changer"), HL_EINVALID);
	assert_int_equal(hl_auth_user_passwd(f->st, "ghost", "long-enough-pw", "x"), HL_ENOTFOUND);
	free(sid);
	free(sid2);
}

typedef struct {
	int n, disabled;
	char names[8][64];
} list_ctx;

static int list_cb(const hl_auth_user_row *r, void *ud)
{
	list_ctx *x = ud;
	if (x->n < 8)
		snprintf(x->names[x->n], 64, "%s/%s/%s", r->username, r->role, r->unit_code);
	x->n++;
	x->disabled += r->disabled;
	assert_non_null(r->created_at);
	return 0;
}

static void test_user_list(void **state)
{
	fx *f = *state;
	list_ctx x = {0};
	add(f, "b.viewer", HL_ROLE_VIEWER, "06652");
	add(f, "a.admin", HL_ROLE_ADMIN, "22");
	assert_int_equal(hl_auth_user_disable(f->st, "b.viewer", "test"), 0);
	assert_int_equal(hl_auth_user_foreach(f->st, list_cb, &x), 0);
	assert_int_equal(x.n, 2);
	assert_string_equal(x.names[0], "a.admin/admin/22");
	assert_string_equal(x.names[1], "b.viewer/viewer/06652");
	assert_int_equal(x.disabled, 1);
}

static int has(char **v, size_t n, const char *code)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], code))
			return 1;
	return 0;
}

/* Phường Hà Tu (06652) holds its own fonds, and those of old Phường Hà Tu (06664) and old
 * Phường Hà Phong (06652 before the reform) merged into it; not Hạ Long city's, nor a
 * neighbour's. The province (22) holds everything; anonymous nothing. */
static void test_scope(void **state)
{
	fx *f = *state;
	hl_principal who, prov, anon = hl_principal_anonymous();
	char **codes = NULL, *sid;
	size_t n = 99;
	int all = -1;

	assert_int_equal(hl_custody_set_creator(f->st, "HATU-CU", "06664", NULL, NULL, "t"), 0);
	assert_int_equal(hl_custody_set_creator(f->st, "HAPHONG", "06652", NULL, NULL, "t"), 0);
	assert_int_equal(
	    hl_custody_set_creator(f->st, "HATU-MOI", "06652", "2025-07-01", NULL, "t"), 0);
	assert_int_equal(hl_custody_set_creator(f->st, "TPHL", "193", NULL, NULL, "t"), 0);
	assert_int_equal(hl_custody_set_creator(f->st, "VIETHUNG", "06661", NULL, NULL, "t"), 0);

	add(f, "hatu", HL_ROLE_OFFICER, "06652");
	add(f, "tinh", HL_ROLE_ARCHIVIST, "22");
	sid = login_ok(f, "hatu", PW, NULL, &who);
	free(sid);
	assert_int_equal(hl_auth_scope(&codes, &n, &all, f->st, &who), 0);
	assert_int_equal(all, 0);
	assert_int_equal(n, 3);
	assert_true(has(codes, n, "HATU-CU"));
	assert_true(has(codes, n, "HAPHONG"));
	assert_true(has(codes, n, "HATU-MOI"));
	assert_false(has(codes, n, "TPHL"));
	assert_false(has(codes, n, "VIETHUNG"));
	assert_true(hl_auth_may_see(&who, HL_ACCESS_INTERNAL, "HATU-CU", codes, n, all));
	assert_false(hl_auth_may_see(&who, HL_ACCESS_INTERNAL, "VIETHUNG", codes, n, all));
	assert_true(hl_auth_may_see(&who, HL_ACCESS_PUBLIC, "VIETHUNG", codes, n, all));
	assert_false(hl_auth_may_see(&who, HL_ACCESS_RESTRICTED, "HATU-CU", codes, n, all));
	hl_auth_fonds_free(codes, n);

	sid = login_ok(f, "tinh", PW, NULL, &prov);
	free(sid);
	assert_int_equal(prov.province, 1);
	assert_int_equal(hl_auth_scope(&codes, &n, &all, f->st, &prov), 0);
	assert_int_equal(all, 1);
	assert_null(codes);
	assert_true(hl_auth_may_see(&prov, HL_ACCESS_RESTRICTED, "VIETHUNG", codes, n, all));
	assert_false(hl_auth_may_see(&prov, HL_ACCESS_SECRET, "VIETHUNG", codes, n, all));

	assert_int_equal(hl_auth_scope(&codes, &n, &all, f->st, &anon), 0);
	assert_int_equal(all, 0);
	assert_int_equal(n, 0);
	assert_false(hl_auth_may_see(&anon, HL_ACCESS_INTERNAL, "HATU-CU", codes, n, all));
	assert_true(hl_auth_may_see(&anon, HL_ACCESS_PUBLIC, "HATU-CU", codes, n, all));
}

/* Every role × every level × a fonds in scope or not, against docs/api.md's table. */
static void test_may_see_matrix(void **state)
{
	char *scope[] = {"MINE"};
	/* expected[role][level] for a fonds in scope; out of scope only public is visible */
	static const int expected[6][4] = {
	    /*             public internal restricted secret */
	    /* anonymous */ {1, 0, 0, 0},
	    /* viewer    */ {1, 1, 0, 0},
	    /* officer   */ {1, 1, 0, 0},
	    /* inspector */ {1, 1, 1, 0},
	    /* archivist */ {1, 1, 1, 0},
	    /* admin     */ {1, 1, 1, 0},
	};
	for (int r = 0; r <= HL_ROLE_ADMIN; r++) {
		hl_principal p = hl_principal_anonymous();
		p.role = (hl_role)r;
		for (int l = 0; l <= HL_ACCESS_SECRET; l++) {
			int in = hl_auth_may_see(&p, (hl_access)l, "MINE", scope, 1, 0);
			int out = hl_auth_may_see(&p, (hl_access)l, "OTHER", scope, 1, 0);
			int prov = hl_auth_may_see(&p, (hl_access)l, "OTHER", NULL, 0, 1);
			if (in != expected[r][l] || out != (l == 0) || prov != expected[r][l])
				fail_msg("role %s level %s: in %d out %d province %d",
				         hl_role_name((hl_role)r), hl_access_name((hl_access)l), in,
				         out, prov);
		}
	}
}

static void test_audit_chain(void **state)
{
	fx *f = *state;
	hl_principal who;
	char *sid, *tok = NULL, q[256];
	uint64_t checked = 0;
	int retry;
	int64_t n, mid;

	add(f, "auditee", HL_ROLE_OFFICER, "06652");
	sid = login_ok(f, "auditee", PW, "10.1.1.1", &who);
	assert_int_equal(login_rc(f, "auditee", "not-the-password", "10.1.1.1", &retry),
	                 HL_EDENIED);
	assert_int_equal(hl_auth_token_new(&tok, f->st, "auditee", "cron", "admin"), 0);
	assert_int_equal(hl_auth_user_passwd(f->st, "auditee", "another-long-pass", "admin"), 0);
	assert_int_equal(hl_auth_user_disable(f->st, "auditee", "admin"), 0);

	/* what was audited, with the user name and never a secret */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM audit WHERE action = 'user.add'"
	                            " AND object = 'auditee' AND actor = 'test'"
	                            " AND detail = 'role=officer unit=06652'"),
	                 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM audit WHERE action = 'login'"
	                            " AND object = 'auditee' AND detail = 'client=10.1.1.1'"),
	                 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM audit WHERE action = 'login.failed'"
	                            " AND object = 'auditee'"
	                            " AND detail = 'client=10.1.1.1 reason=wrong password'"),
	                 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM audit WHERE action = 'user.token'"
	                            " AND detail = 'label=cron'"),
	                 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM audit WHERE action IN ('user.passwd',"
	                            " 'user.disable') AND actor = 'admin'"),
	                 2);

	n = sql_int(f, "SELECT count(*) FROM audit");
	assert_true(n >= 6);
	assert_int_equal(hl_audit_verify(&checked, f->st), 0);
	assert_int_equal(checked, (uint64_t)n);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM audit WHERE prev_hash IS NULL"), 1);

	/* alter one entry: verify names it, and counts the whole entries before it */
	mid = sql_int(f, "SELECT id FROM audit WHERE action = 'login'");
	snprintf(q, sizeof(q), "UPDATE audit SET detail = 'client=6.6.6.6' WHERE id = %lld",
	         (long long)mid);
	sql(f, q);
	assert_int_equal(hl_audit_verify(&checked, f->st), HL_EINVALID);
	snprintf(q, sizeof(q), "audit entry %lld is broken", (long long)mid);
	assert_non_null(strstr(hl_error_last(), q));
	assert_int_equal(checked, (uint64_t)(mid - 1));

	/* put it back: whole again; then remove it: the entry after it is named */
	snprintf(q, sizeof(q), "UPDATE audit SET detail = 'client=10.1.1.1' WHERE id = %lld",
	         (long long)mid);
	sql(f, q);
	assert_int_equal(hl_audit_verify(&checked, f->st), 0);
	snprintf(q, sizeof(q), "DELETE FROM audit WHERE id = %lld", (long long)mid);
	sql(f, q);
	assert_int_equal(hl_audit_verify(&checked, f->st), HL_EINVALID);
	snprintf(q, sizeof(q), "audit entry %lld is broken", (long long)mid + 1);
	assert_non_null(strstr(hl_error_last(), q));
	free(sid);
	free(tok);
}

/* A store written before schema 5 (tests/unit/auth/schema4.sql: the tables of migrations
 * 1-4 and audit entries without hashes) is chained by the migration, and the entries that
 * follow extend the chain. */
static void test_migration_chains_old_entries(void **state)
{
	fx *f = *state;
	uint64_t checked = 0;
	hl_units_load_stats ls;
	char *dump = NULL, q[128];
	size_t len = 0;
	FILE *fp = fopen(HL_SOURCE_DATADIR "/../tests/unit/auth/schema4.sql", "rb");
	sqlite3 *db = NULL;
	char *err = NULL;

	assert_non_null(fp);
	dump = malloc(1 << 20);
	len = fread(dump, 1, (1 << 20) - 1, fp);
	fclose(fp);
	dump[len] = '\0';
	hl_store_free(f->st);
	f->st = NULL;
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	if (sqlite3_exec(db, dump, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("schema4.sql: %s", err);
	sqlite3_close(db);
	free(dump);
	assert_int_equal(sql_int(f, "PRAGMA user_version"), 4);

	assert_int_equal(hl_store_open(&f->st, f->path, 0), 0);
	assert_true(hl_store_schema_version(f->st) >= 5);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM audit WHERE hash IS NULL"), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM audit WHERE prev_hash IS NULL"), 1);
	assert_int_equal(hl_audit_verify(&checked, f->st), 0);
	assert_int_equal(checked, 3);
	assert_int_equal(hl_units_load(&ls, f->st, DATA, NULL, NULL, NULL), 0);
	add(f, "after", HL_ROLE_VIEWER, "06652");
	assert_int_equal(hl_audit_verify(&checked, f->st), 0);
	assert_int_equal(checked, (uint64_t)sql_int(f, "SELECT count(*) FROM audit"));
	assert_true(checked >= 4);
	/* the old entries are still what they were, and an altered one is named */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM audit WHERE id = 3"
	                            " AND detail = '06655 -> 06661 on 2025-07-01'"),
	                 1);
	sql(f, "UPDATE audit SET actor = 'someone-else' WHERE id = 2");
	assert_int_equal(hl_audit_verify(&checked, f->st), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "audit entry 2 is broken"));
	assert_int_equal(checked, 1);
	sql(f, "UPDATE audit SET actor = 'cli' WHERE id = 2");
	/* an unhashed entry (written by a tool that bypasses the store) is named */
	sql(f, "INSERT INTO audit(at, actor, action) VALUES ('2026-01-01T00:00:00Z', 'x', 'y')");
	assert_int_equal(hl_audit_verify(&checked, f->st), HL_EINVALID);
	snprintf(q, sizeof(q), "audit entry %lld is broken: it has no hash",
	         (long long)sql_int(f, "SELECT max(id) FROM audit"));
	assert_non_null(strstr(hl_error_last(), q));
}

static int file_has(const char *path, const char *needle)
{
	FILE *fp = fopen(path, "rb");
	size_t cap = 1 << 20, len = 0, n;
	char *buf = malloc(cap);
	int found = 0;
	if (!fp) {
		free(buf);
		return 0;
	}
	while ((n = fread(buf + len, 1, cap - len, fp)) > 0) {
		len += n;
		if (len == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(fp);
	for (size_t i = 0; i + strlen(needle) <= len && !found; i++)
		found = !memcmp(buf + i, needle, strlen(needle));
	free(buf);
	return found;
}

/* No password, session id or token reaches the store's files, in any table. */
static void test_no_secrets_in_store(void **state)
{
	fx *f = *state;
	hl_principal who;
	char *sid, *tok = NULL, wal[128];
	const char *wrong = "sai-mat-khau-bi-mat-42";
	int retry;

	add(f, "secretive", HL_ROLE_ADMIN, "22");
	sid = login_ok(f, "secretive", PW, "10.9.9.9", &who);
	assert_int_equal(login_rc(f, "secretive", wrong, "10.9.9.9", &retry), HL_EDENIED);
	assert_int_equal(hl_auth_token_new(&tok, f->st, "secretive", "ci", "secretive"), 0);
	assert_int_equal(hl_auth_user_passwd(f->st, "secretive", "changed-password-77", "x"), 0);
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	/* the WAL first (while open), then the database after a checkpoint on close */
	for (int pass = 0; pass < 2; pass++) {
		const char *file = pass ? f->path : wal;
		assert_false(file_has(file, PW));
		assert_false(file_has(file, wrong));
		assert_false(file_has(file, "changed-password-77"));
		assert_false(file_has(file, sid));
		assert_false(file_has(file, tok));
		if (!pass) {
			hl_store_free(f->st);
			f->st = NULL;
		}
	}
	/* the user name is there (the check above can find what is written) */
	assert_true(file_has(f->path, "secretive"));
	assert_int_equal(hl_store_open(&f->st, f->path, 0), 0);
	free(sid);
	free(tok);
}

static void test_access_parse(void **state)
{
	(void)state;
	hl_access a = (hl_access)99;
	assert_int_equal(hl_access_parse(&a, "Công khai"), 0);
	assert_int_equal(a, HL_ACCESS_PUBLIC);
	assert_int_equal(hl_access_parse(&a, "nội bộ"), 0);
	assert_int_equal(a, HL_ACCESS_INTERNAL);
	assert_int_equal(hl_access_parse(&a, "Mật"), 0);
	assert_int_equal(a, HL_ACCESS_SECRET);
	assert_int_equal(hl_access_parse(&a, "  CÔNG KHAI "), 0);
	assert_int_equal(a, HL_ACCESS_PUBLIC);
	assert_int_equal(hl_access_parse(&a, "Hạn chế"), 0);
	assert_int_equal(a, HL_ACCESS_RESTRICTED);
	assert_int_equal(hl_access_parse(&a, "TỐI MẬT"), 0);
	assert_int_equal(a, HL_ACCESS_SECRET);
	assert_int_equal(hl_access_parse(&a, "M\xc3\xa2\xcc\xa3t"), 0); /* "Mật" decomposed */
	assert_int_equal(a, HL_ACCESS_SECRET);
	assert_int_equal(hl_access_parse(&a, "internal"), 0);
	assert_int_equal(a, HL_ACCESS_INTERNAL);
	a = HL_ACCESS_PUBLIC;
	assert_int_equal(hl_access_parse(&a, "bí mật quốc gia"), HL_EINVALID);
	assert_int_equal(hl_access_parse(&a, "M\xfft"), HL_EINVALID);
	assert_int_equal(a, HL_ACCESS_PUBLIC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_access_parse),
	    cmocka_unit_test(test_roles),
	    cmocka_unit_test(test_checks_and_the_local_operator),
	    cmocka_unit_test_setup_teardown(test_audit_points, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_rewritten_around_a_point, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_login_session_logout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_refuses_bad_input, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_password_and_throttle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_throttle_per_client, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_disabled_user, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_session_expiry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_token, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_passwd, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_user_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scope, setup, teardown),
	    cmocka_unit_test(test_may_see_matrix),
	    cmocka_unit_test_setup_teardown(test_audit_chain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migration_chains_old_entries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_secrets_in_store, setup, teardown),
	};
	return cmocka_run_group_tests_name("auth", tests, group_setup, group_teardown);
}
