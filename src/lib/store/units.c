/* Every SQL statement of the units module: unit versions, successions and events. */
#include <stdlib.h>
#include <string.h>

#include "store/store_units.h"
#include "halong/util.h"
#include "store_int.h"

enum {
	U_VERSION_ADD,
	U_VERSION_SET,
	U_AT,
	U_VERSIONS,
	U_CHILDREN,
	U_ROOTS,
	U_FIND,
	U_FIND_AT,
	U_FIRST,
	U_COUNT,
	U_ORPHAN,
	U_SUCC_ADD,
	U_SUCC_FROM,
	U_SUCC_TO,
	U_SUCC_ALL,
	U_EVENT_GET,
	U_EVENT_ADD,
	U_EVENT_ALL,
	U__COUNT
};

#define V_COLS                                                                                     \
	"v.code, v.valid_from, v.valid_to, v.name, v.full_name, v.type, v.parent_code,"            \
	" v.event_id, v.source, e.legal_basis"
#define V_FROM     " FROM unit_version v LEFT JOIN unit_event e ON e.event_id = v.event_id"
#define V_VALID(d) " v.valid_from <= " d " AND (v.valid_to IS NULL OR v.valid_to >= " d ")"
#define S_COLS                                                                                     \
	"s.old_code, s.new_code, s.effective_date, s.kind, s.merge_type, s.event_id, s.source,"    \
	" e.legal_basis"
#define S_FROM " FROM unit_succession s LEFT JOIN unit_event e ON e.event_id = s.event_id"
#define E_COLS "event_id, effective_date, legal_basis, kind, scope_code, description"

static const char *const sql[U__COUNT] = {
    [U_VERSION_ADD] = "INSERT INTO unit_version(code, valid_from, valid_to, name, full_name,"
                      " type, parent_code, fold, event_id, source)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                      " ON CONFLICT (code, valid_from) DO NOTHING",
    [U_VERSION_SET] = "UPDATE unit_version SET valid_to = ?3, name = ?4, full_name = ?5,"
                      " type = ?6, parent_code = ?7, fold = ?8, event_id = ?9, source = ?10"
                      " WHERE code = ?1 AND valid_from = ?2",
    [U_AT] = "SELECT " V_COLS V_FROM
             " WHERE v.code = ?1 AND" V_VALID("?2") " ORDER BY v.valid_from DESC LIMIT 1",
    [U_VERSIONS] = "SELECT " V_COLS V_FROM " WHERE v.code = ?1 ORDER BY v.valid_from",
    [U_CHILDREN] =
        "SELECT " V_COLS V_FROM " WHERE v.parent_code = ?1 AND" V_VALID("?2") " ORDER BY v.code",
    [U_ROOTS] =
        "SELECT " V_COLS V_FROM " WHERE v.parent_code IS NULL AND" V_VALID("?2") " ORDER BY v.code",
    [U_FIND] = "SELECT " V_COLS V_FROM " WHERE instr(v.fold, ?1) > 0"
               " ORDER BY v.code, v.valid_from LIMIT ?3",
    [U_FIND_AT] = "SELECT " V_COLS V_FROM " WHERE instr(v.fold, ?1) > 0 AND" V_VALID(
        "?2") " ORDER BY v.code, v.valid_from LIMIT ?3",
    [U_FIRST] = "SELECT min(valid_from) FROM unit_version",
    [U_COUNT] = "SELECT (SELECT count(*) FROM unit_version),"
                " (SELECT count(DISTINCT code) FROM unit_version),"
                " (SELECT count(*) FROM unit_succession), (SELECT count(*) FROM unit_event)",
    [U_ORPHAN] = "SELECT " V_COLS V_FROM " WHERE v.parent_code IS NOT NULL AND NOT EXISTS ("
                 " SELECT 1 FROM unit_version p WHERE p.code = v.parent_code"
                 " AND p.valid_from <= v.valid_from"
                 " AND (p.valid_to IS NULL OR p.valid_to >= v.valid_from)) LIMIT 1",
    [U_SUCC_ADD] = "INSERT INTO unit_succession(old_code, new_code, effective_date, kind,"
                   " merge_type, event_id, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                   " ON CONFLICT (old_code, new_code, effective_date) DO NOTHING",
    [U_SUCC_FROM] = "SELECT " S_COLS S_FROM " WHERE s.old_code = ?1 AND s.effective_date > ?2"
                    " ORDER BY s.effective_date, s.new_code",
    [U_SUCC_TO] = "SELECT " S_COLS S_FROM " WHERE s.new_code = ?1 AND s.effective_date < ?2"
                  " ORDER BY s.effective_date DESC, s.old_code",
    [U_SUCC_ALL] = "SELECT " S_COLS S_FROM " ORDER BY s.effective_date, s.old_code",
    [U_EVENT_GET] = "SELECT " E_COLS " FROM unit_event WHERE event_id = ?1",
    [U_EVENT_ADD] = "INSERT INTO unit_event(" E_COLS ", loaded_at)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [U_EVENT_ALL] = "SELECT " E_COLS " FROM unit_event ORDER BY effective_date, event_id",
};

struct hl_store_units {
	hl_store *st;
	sqlite3_stmt *q[U__COUNT];
};

int hl_store_units_open(hl_store_units **out, hl_store *st)
{
	hl_store_units *u = calloc(1, sizeof(*u));
	if (!u)
		return hl_error_set(HL_ENOMEM, "out of memory");
	u->st = st;
	*out = u;
	return 0;
}

void hl_store_units_free(hl_store_units *u)
{
	if (!u)
		return;
	for (int i = 0; i < U__COUNT; i++)
		sqlite3_finalize(u->q[i]);
	free(u);
}

static sqlite3_stmt *stmt(hl_store_units *u, int which)
{
	sqlite3_stmt *s = u->q[which];
	if (!s) {
		if (sqlite3_prepare_v3(u->st->db, sql[which], -1, SQLITE_PREPARE_PERSISTENT, &s,
		                       NULL) != SQLITE_OK) {
			hl_store__error(u->st, "prepare");
			return NULL;
		}
		u->q[which] = s;
	} else {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
	return s;
}

/* Runs a statement that returns no rows. */
static int exec_done(hl_store_units *u, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE) {
		rc = hl_store__error(u->st, what);
		sqlite3_reset(s);
		return rc;
	}
	sqlite3_reset(s);
	return 0;
}

static void bind_version(sqlite3_stmt *s, const hl_store_unit_row *r, const char *fold)
{
	hl_store__bind_text(s, 1, r->code);
	hl_store__bind_text(s, 2, r->valid_from);
	hl_store__bind_text(s, 3, r->valid_to);
	/* name, full_name and type are NOT NULL: "" stays "" */
	sqlite3_bind_text(s, 4, r->name ? r->name : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, r->full_name ? r->full_name : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, r->type ? r->type : "", -1, SQLITE_STATIC);
	hl_store__bind_text(s, 7, r->parent_code);
	sqlite3_bind_text(s, 8, fold ? fold : "", -1, SQLITE_STATIC);
	hl_store__bind_text(s, 9, r->event_id);
	hl_store__bind_text(s, 10, r->source);
}

int hl_store_unit_version_add(int *status, hl_store_units *u, const hl_store_unit_row *r,
                              const char *fold)
{
	sqlite3_stmt *s = stmt(u, U_VERSION_ADD);
	int rc;
	if (!s)
		return HL_ERROR;
	bind_version(s, r, fold);
	if ((rc = exec_done(u, s, "add unit version")) < 0)
		return rc;
	*status = sqlite3_changes(u->st->db) ? HL_PUT_INSERTED : HL_PUT_UNCHANGED;
	return 0;
}

int hl_store_unit_version_set(hl_store_units *u, const hl_store_unit_row *r, const char *fold)
{
	sqlite3_stmt *s = stmt(u, U_VERSION_SET);
	if (!s)
		return HL_ERROR;
	bind_version(s, r, fold);
	return exec_done(u, s, "update unit version");
}

/* Steps a version query, calling cb for each row; returns the number of rows or < 0. */
static int each_version(hl_store_units *u, sqlite3_stmt *s, hl_store_unit_cb cb, void *ud)
{
	int rc, n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_store_unit_row r = {hl_store__col(s, 0), hl_store__col(s, 1),
		                       hl_store__col(s, 2), hl_store__col(s, 3),
		                       hl_store__col(s, 4), hl_store__col(s, 5),
		                       hl_store__col(s, 6), hl_store__col(s, 7),
		                       hl_store__col(s, 8), hl_store__col(s, 9)};
		n++;
		if (cb && (rc = cb(&r, ud)) != 0) {
			sqlite3_reset(s);
			return rc < 0 ? rc : n;
		}
	}
	if (rc != SQLITE_DONE) {
		rc = hl_store__error(u->st, "read units");
		sqlite3_reset(s);
		return rc;
	}
	sqlite3_reset(s);
	return n;
}

int hl_store_unit_at(hl_store_units *u, const char *code, const char *date, hl_store_unit_cb cb,
                     void *ud)
{
	sqlite3_stmt *s = stmt(u, U_AT);
	int n;
	if (!s)
		return HL_ERROR;
	hl_store__bind_text(s, 1, code);
	hl_store__bind_text(s, 2, date);
	n = each_version(u, s, cb, ud);
	return n < 0 ? n : n == 0 ? HL_ENOTFOUND : 0;
}

int hl_store_unit_versions(hl_store_units *u, const char *code, hl_store_unit_cb cb, void *ud)
{
	sqlite3_stmt *s = stmt(u, U_VERSIONS);
	int n;
	if (!s)
		return HL_ERROR;
	hl_store__bind_text(s, 1, code);
	n = each_version(u, s, cb, ud);
	return n < 0 ? n : 0;
}

int hl_store_unit_children(hl_store_units *u, const char *parent, const char *date,
                           hl_store_unit_cb cb, void *ud)
{
	sqlite3_stmt *s = stmt(u, parent ? U_CHILDREN : U_ROOTS);
	int n;
	if (!s)
		return HL_ERROR;
	hl_store__bind_text(s, 1, parent);
	hl_store__bind_text(s, 2, date);
	n = each_version(u, s, cb, ud);
	return n < 0 ? n : 0;
}

int hl_store_unit_find(hl_store_units *u, const char *folded, const char *date, size_t limit,
                       hl_store_unit_cb cb, void *ud)
{
	sqlite3_stmt *s = stmt(u, date ? U_FIND_AT : U_FIND);
	int n;
	if (!s)
		return HL_ERROR;
	hl_store__bind_text(s, 1, folded);
	hl_store__bind_text(s, 2, date);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)limit);
	n = each_version(u, s, cb, ud);
	return n < 0 ? n : 0;
}

int hl_store_unit_first_date(char out[16], hl_store_units *u)
{
	sqlite3_stmt *s = stmt(u, U_FIRST);
	int rc;
	if (!s)
		return HL_ERROR;
	out[0] = 0;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && hl_store__col(s, 0))
		snprintf(out, 16, "%s", hl_store__col(s, 0));
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return hl_store__error(u->st, "read units");
	return 0;
}

int hl_store_units_count(int64_t *versions, int64_t *codes, int64_t *successions, int64_t *events,
                         hl_store_units *u)
{
	sqlite3_stmt *s = stmt(u, U_COUNT);
	if (!s)
		return HL_ERROR;
	if (sqlite3_step(s) != SQLITE_ROW) {
		int rc = hl_store__error(u->st, "count units");
		sqlite3_reset(s);
		return rc;
	}
	*versions = sqlite3_column_int64(s, 0);
	*codes = sqlite3_column_int64(s, 1);
	*successions = sqlite3_column_int64(s, 2);
	*events = sqlite3_column_int64(s, 3);
	sqlite3_reset(s);
	return 0;
}

int hl_store_unit_orphan(hl_store_units *u, hl_store_unit_cb cb, void *ud)
{
	sqlite3_stmt *s = stmt(u, U_ORPHAN);
	int n;
	if (!s)
		return HL_ERROR;
	n = each_version(u, s, cb, ud);
	return n < 0 ? n : 0;
}

int hl_store_succession_add(int *status, hl_store_units *u, const hl_store_succession_row *r)
{
	sqlite3_stmt *s = stmt(u, U_SUCC_ADD);
	int rc;
	if (!s)
		return HL_ERROR;
	sqlite3_bind_text(s, 1, r->old_code, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->new_code ? r->new_code : "", -1, SQLITE_STATIC);
	hl_store__bind_text(s, 3, r->effective_date);
	hl_store__bind_text(s, 4, r->kind);
	hl_store__bind_text(s, 5, r->merge_type);
	hl_store__bind_text(s, 6, r->event_id);
	hl_store__bind_text(s, 7, r->source);
	if ((rc = exec_done(u, s, "add succession")) < 0)
		return rc;
	*status = sqlite3_changes(u->st->db) ? HL_PUT_INSERTED : HL_PUT_UNCHANGED;
	return 0;
}

static int each_succession(hl_store_units *u, sqlite3_stmt *s, hl_store_succession_cb cb, void *ud)
{
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_store_succession_row r = {hl_store__col(s, 0), hl_store__col(s, 1),
		                             hl_store__col(s, 2), hl_store__col(s, 3),
		                             hl_store__col(s, 4), hl_store__col(s, 5),
		                             hl_store__col(s, 6), hl_store__col(s, 7)};
		if ((rc = cb(&r, ud)) != 0) {
			sqlite3_reset(s);
			return rc < 0 ? rc : 0;
		}
	}
	if (rc != SQLITE_DONE) {
		rc = hl_store__error(u->st, "read successions");
		sqlite3_reset(s);
		return rc;
	}
	sqlite3_reset(s);
	return 0;
}

int hl_store_successions_from(hl_store_units *u, const char *code, const char *after,
                              hl_store_succession_cb cb, void *ud)
{
	sqlite3_stmt *s = stmt(u, U_SUCC_FROM);
	if (!s)
		return HL_ERROR;
	hl_store__bind_text(s, 1, code);
	sqlite3_bind_text(s, 2, after ? after : "", -1, SQLITE_STATIC);
	return each_succession(u, s, cb, ud);
}

int hl_store_successions_to(hl_store_units *u, const char *code, const char *before,
                            hl_store_succession_cb cb, void *ud)
{
	sqlite3_stmt *s = stmt(u, U_SUCC_TO);
	if (!s)
		return HL_ERROR;
	hl_store__bind_text(s, 1, code);
	sqlite3_bind_text(s, 2, before ? before : "9999-12-31", -1, SQLITE_STATIC);
	return each_succession(u, s, cb, ud);
}

int hl_store_successions_all(hl_store_units *u, hl_store_succession_cb cb, void *ud)
{
	sqlite3_stmt *s = stmt(u, U_SUCC_ALL);
	if (!s)
		return HL_ERROR;
	return each_succession(u, s, cb, ud);
}

static int each_event(hl_store_units *u, sqlite3_stmt *s, hl_store_unit_event_cb cb, void *ud)
{
	int rc, n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_store_unit_event_row r = {hl_store__col(s, 0), hl_store__col(s, 1),
		                             hl_store__col(s, 2), hl_store__col(s, 3),
		                             hl_store__col(s, 4), hl_store__col(s, 5)};
		n++;
		if (cb && (rc = cb(&r, ud)) != 0) {
			sqlite3_reset(s);
			return rc < 0 ? rc : n;
		}
	}
	if (rc != SQLITE_DONE) {
		rc = hl_store__error(u->st, "read events");
		sqlite3_reset(s);
		return rc;
	}
	sqlite3_reset(s);
	return n;
}

int hl_store_unit_event_get(hl_store_units *u, const char *event_id, hl_store_unit_event_cb cb,
                            void *ud)
{
	sqlite3_stmt *s = stmt(u, U_EVENT_GET);
	int n;
	if (!s)
		return HL_ERROR;
	hl_store__bind_text(s, 1, event_id);
	n = each_event(u, s, cb, ud);
	return n < 0 ? n : n == 0 ? HL_ENOTFOUND : 0;
}

int hl_store_unit_event_add(hl_store_units *u, const hl_store_unit_event_row *r)
{
	sqlite3_stmt *s = stmt(u, U_EVENT_ADD);
	char now[32];
	if (!s)
		return HL_ERROR;
	hl_now_utc(now);
	hl_store__bind_text(s, 1, r->event_id);
	hl_store__bind_text(s, 2, r->effective_date);
	hl_store__bind_text(s, 3, r->legal_basis);
	hl_store__bind_text(s, 4, r->kind);
	hl_store__bind_text(s, 5, r->scope_code);
	hl_store__bind_text(s, 6, r->description);
	sqlite3_bind_text(s, 7, now, -1, SQLITE_TRANSIENT);
	return exec_done(u, s, "add event");
}

int hl_store_unit_event_foreach(hl_store_units *u, hl_store_unit_event_cb cb, void *ud)
{
	sqlite3_stmt *s = stmt(u, U_EVENT_ALL);
	int n;
	if (!s)
		return HL_ERROR;
	n = each_event(u, s, cb, ud);
	return n < 0 ? n : 0;
}
