/* Every SQL statement of description: a fonds' own fields, its series, a dossier's fields, and
 * the one write that changes any of them with its audit entry (the rules — who may, what each
 * level takes, what a value may be — are the archive's, src/lib/archive/describe.c). */
#include <stdlib.h>
#include <string.h>

#include "halong/util.h"
#include "store_int.h"

/* The columns of each level, in hl_desc's order; NULL: the level has no such field (series:
 * a dossier's series is a column of its own). */
static const char *const columns[3][HL_DESC_FIELDS] = {
    {"name", "date_from", "date_to", "extent", "history", "scope", NULL, NULL, "notes"},
    {"title", "date_from", "date_to", "extent", NULL, "scope", NULL, NULL, "notes"},
    {"title", "date_from", "date_to", "extent", NULL, NULL, "retention", "series_id", "notes"},
};

static const char *const tables[3] = {"fonds", "series", "dossier"};

const char *hl_store_desc_column(int level, int field)
{
	return level >= 0 && level < 3 && field >= 0 && field < HL_DESC_FIELDS
	           ? columns[level][field]
	           : NULL;
}

char **hl_store_desc_field(hl_desc *d, int i)
{
	char **f[HL_DESC_FIELDS] = {&d->title, &d->date_from, &d->date_to, &d->extent, &d->history,
	                            &d->scope, &d->retention, &d->series,  &d->notes};
	return f[i];
}

const char *hl_store_desc_name(int i)
{
	static const char *const names[HL_DESC_FIELDS] = {"title",     "date_from", "date_to",
	                                                  "extent",    "history",   "scope",
	                                                  "retention", "series",    "notes"};
	return i >= 0 && i < HL_DESC_FIELDS ? names[i] : "?";
}

/* Copies column i.. of s into the fields of `level` (series_id read as the series' code). */
static int take(hl_desc *d, sqlite3_stmt *s, int level, int first)
{
	int col = first;
	for (int i = 0; i < HL_DESC_FIELDS; i++) {
		const char *v;
		if (!columns[level][i])
			continue;
		v = hl_store__col(s, col++);
		if (v && !(*hl_store_desc_field(d, i) = hl_strdup(v)))
			return hl_error_set(HL_ENOMEM, "out of memory");
	}
	return 0;
}

/* One row's description: the statement's columns are the level's, in hl_desc's order. */
static int desc_get(hl_desc *out, hl_store *st, const char *sql, int level, const char *fonds,
                    const char *code, const char *what)
{
	sqlite3_stmt *s = hl_store__prepare(st, sql);
	int rc;
	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, fonds, -1, SQLITE_STATIC);
	if (code)
		sqlite3_bind_text(s, 2, code, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = take(out, s, level, 0);
	else
		rc = rc == SQLITE_DONE ? HL_ENOTFOUND : hl_store__error(st, what);
	sqlite3_finalize(s);
	return rc;
}

int hl_store_fonds_desc(hl_desc *out, hl_store *st, const char *fonds)
{
	return desc_get(out, st,
	                "SELECT name, date_from, date_to, extent, history, scope, notes FROM fonds"
	                " WHERE code = ?1",
	                HL_LEVEL_FONDS, fonds, NULL, "fonds description");
}

int hl_store_dossier_desc(hl_desc *out, hl_store *st, const char *fonds, const char *dossier)
{
	return desc_get(
	    out, st,
	    "SELECT s.title, s.date_from, s.date_to, s.extent, s.retention, r.code,"
	    " s.notes FROM dossier s JOIN fonds f ON f.id = s.fonds_id"
	    " LEFT JOIN series r ON r.id = s.series_id WHERE f.code = ?1 AND s.code = ?2",
	    HL_LEVEL_DOSSIER, fonds, dossier, "dossier description");
}

int hl_store_series_desc(hl_desc *out, hl_store *st, const char *fonds, const char *series)
{
	return desc_get(out, st,
	                "SELECT r.title, r.date_from, r.date_to, r.extent, r.scope, r.notes"
	                " FROM series r JOIN fonds f ON f.id = r.fonds_id WHERE f.code = ?1"
	                " AND r.code = ?2",
	                HL_LEVEL_SERIES, fonds, series, "series description");
}

int hl_store_series_list(hl_store *st, const char *fonds, int max_level, int in_scope, int keeper,
                         hl_store_series_cb cb, void *ud)
{
	/* a series counts the dossiers holding a visible document; one with none is a keeper's */
	sqlite3_stmt *s = hl_store__prepare(
	    st, "SELECT r.code, r.title, r.date_from, r.date_to, r.extent, r.scope, r.notes,"
	        " (SELECT count(*) FROM dossier s WHERE s.series_id = r.id AND EXISTS"
	        "  (SELECT 1 FROM document d WHERE d.dossier_id = s.id"
	        "   AND (d.access = 0 OR (?3 AND d.access <= ?2)))) AS seen"
	        " FROM series r JOIN fonds f ON f.id = r.fonds_id WHERE f.code = ?1"
	        " AND (?4 OR seen > 0) ORDER BY r.code");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, fonds, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, hl_store__cap_level(max_level));
	sqlite3_bind_int(s, 3, in_scope != 0);
	sqlite3_bind_int(s, 4, keeper != 0);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_desc d = {0};
		int r2 = take(&d, s, 1, 1);
		if (r2 == 0)
			r2 = cb(hl_store__col(s, 0), &d, sqlite3_column_int64(s, 7), ud);
		hl_desc_clear(&d);
		if (r2) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "series");
	sqlite3_finalize(s);
	return rc;
}

static int step_done(hl_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, what);
	sqlite3_finalize(s);
	return rc;
}

static int64_t id_of(hl_store *st, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *s = hl_store__prepare(st, sql);
	int64_t id = 0;
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(s, 2, b, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		id = hl_store__error(st, "description");
	sqlite3_finalize(s);
	return id;
}

#define FONDS_ID "SELECT id FROM fonds WHERE code = ?1"
#define SERIES_ID                                                                                  \
	"SELECT r.id FROM series r JOIN fonds f ON f.id = r.fonds_id WHERE f.code = ?1"            \
	" AND r.code = ?2"
#define DOSSIER_ID                                                                                 \
	"SELECT s.id FROM dossier s JOIN fonds f ON f.id = s.fonds_id WHERE f.code = ?1"           \
	" AND s.code = ?2"

/* The row of the edit (creating a series), its id in *id. */
static int row_of(int64_t *id, hl_store *st, int level, const char *fonds, const char *code,
                  const hl_desc *e)
{
	int64_t fid = id_of(st, FONDS_ID, fonds, NULL);
	char now[32];
	sqlite3_stmt *s;
	int rc;
	if (fid <= 0)
		return fid < 0 ? (int)fid : hl_error_set(HL_ENOTFOUND, "unknown fonds %s", fonds);
	if (level == HL_LEVEL_FONDS) {
		*id = fid;
		return 0;
	}
	*id = id_of(st, level == HL_LEVEL_SERIES ? SERIES_ID : DOSSIER_ID, fonds, code);
	if (*id < 0)
		return (int)*id;
	if (*id > 0)
		return 0;
	if (level == HL_LEVEL_DOSSIER)
		return hl_error_set(HL_ENOTFOUND, "no dossier %s in fonds %s", code, fonds);
	if (!e->title || !*e->title)
		return hl_error_set(HL_EINVALID, "series %s of fonds %s is new: give its title",
		                    code, fonds);
	if (!(s = hl_store__prepare(st, "INSERT INTO series(fonds_id, code, title, created_at)"
	                                " VALUES (?1, ?2, ?3, ?4)")))
		return -1;
	hl_now_utc(now);
	sqlite3_bind_int64(s, 1, fid);
	sqlite3_bind_text(s, 2, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, e->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, now, -1, SQLITE_STATIC);
	if ((rc = step_done(st, s, "series")) < 0)
		return rc;
	*id = id_of(st, SERIES_ID, fonds, code);
	return *id > 0 ? 0 : *id < 0 ? (int)*id : hl_error_set(HL_ERROR, "series: not written");
}

/* One field: "" clears it (a series' title may not be cleared: the archive refuses it). */
static int set_field(hl_store *st, int level, int field, int64_t id, const char *fonds,
                     const char *v)
{
	char sql[160];
	sqlite3_stmt *s;
	if (field == 7) {
		if (!(s = hl_store__prepare(
		          st,
		          "UPDATE dossier SET series_id = (SELECT r.id FROM series r JOIN fonds f"
		          " ON f.id = r.fonds_id WHERE f.code = ?2 AND r.code = ?3) WHERE id = "
		          "?1")))
			return -1;
		sqlite3_bind_text(s, 2, fonds, -1, SQLITE_STATIC);
		hl_store__bind_text(s, 3, v);
	} else {
		snprintf(sql, sizeof(sql), "UPDATE %s SET %s = ?2 WHERE id = ?1", tables[level],
		         columns[level][field]);
		if (!(s = hl_store__prepare(st, sql)))
			return -1;
		hl_store__bind_text(s, 2, v);
	}
	sqlite3_bind_int64(s, 1, id);
	return step_done(st, s, "description");
}

int hl_store_describe(hl_store *st, int level, const char *fonds, const char *code,
                      const hl_desc *e, const char *changed, const char *actor)
{
	hl_desc *ed = (hl_desc *)e; /* read only: field_at takes the addresses */
	char object[200];
	int64_t id = 0;
	int rc, own = !st->in_tx;

	if (level < 0 || level > 2)
		return hl_error_set(HL_EINVALID, "describe: no such level");
	if (own && (rc = hl_store_begin(st)) < 0)
		return rc;
	if ((rc = row_of(&id, st, level, fonds, code, e)) < 0)
		goto done;
	for (int i = 0; i < HL_DESC_FIELDS && rc == 0; i++)
		if (columns[level][i] && *hl_store_desc_field(ed, i))
			rc = set_field(st, level, i, id, fonds, *hl_store_desc_field(ed, i));
	if (rc < 0)
		goto done;
	if (level == HL_LEVEL_FONDS)
		snprintf(object, sizeof(object), "%s", fonds);
	else
		snprintf(object, sizeof(object), "%s %s/%s", tables[level], fonds, code);
	rc = hl_store_audit(st, actor, "describe", object, changed);
done:
	if (own)
		rc = rc < 0 ? (hl_store_rollback(st), rc) : hl_store_commit(st);
	return rc;
}

int hl_store_series_remove(hl_store *st, const char *fonds, const char *code, const char *actor)
{
	char object[200], detail[64];
	sqlite3_stmt *s;
	int64_t id, n = 0;
	int rc, own = !st->in_tx;

	if (own && (rc = hl_store_begin(st)) < 0)
		return rc;
	if ((id = id_of(st, SERIES_ID, fonds, code)) <= 0) {
		rc = id < 0 ? (int)id
		            : hl_error_set(HL_ENOTFOUND, "no series %s in fonds %s", code, fonds);
		goto done;
	}
	if (!(s = hl_store__prepare(st, "SELECT count(*) FROM dossier WHERE series_id = ?1"))) {
		rc = -1;
		goto done;
	}
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (n > 0) {
		rc = hl_error_set(HL_ECONFLICT,
		                  "series %s of fonds %s holds %lld dossier%s: move them out first",
		                  code, fonds, (long long)n, n == 1 ? "" : "s");
		goto done;
	}
	if (!(s = hl_store__prepare(st, "DELETE FROM series WHERE id = ?1"))) {
		rc = -1;
		goto done;
	}
	sqlite3_bind_int64(s, 1, id);
	if ((rc = step_done(st, s, "series")) < 0)
		goto done;
	snprintf(object, sizeof(object), "series %s/%s", fonds, code);
	snprintf(detail, sizeof(detail), "removed");
	rc = hl_store_audit(st, actor, "describe", object, detail);
done:
	if (own)
		rc = rc < 0 ? (hl_store_rollback(st), rc) : hl_store_commit(st);
	return rc;
}
