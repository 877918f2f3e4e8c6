/* Every SQL statement of browsing with visibility: fonds and dossier counts, a dossier's
 * documents, and the audit log by page. What a caller may see is decided here, in SQL, so a
 * count can never include a record the caller may not see. */
#include <stdlib.h>
#include <string.h>

#include "halong/util.h"
#include "store_int.h"

/* Secret stays out whatever the caller asks. */
int hl_store__cap_level(int max_level)
{
	return max_level >= HL_ACCESS_SECRET ? HL_ACCESS_SECRET - 1 : max_level;
}

/* The scope as a temporary table of fonds codes, so the rule stays one SQL expression. */
int hl_store__scope_table(hl_store *st, char *const *scope, size_t n)
{
	sqlite3_stmt *s;
	char *err = NULL;
	if (sqlite3_exec(st->db,
	                 "CREATE TEMP TABLE IF NOT EXISTS scope_fonds(code TEXT PRIMARY KEY);"
	                 "DELETE FROM temp.scope_fonds;",
	                 NULL, NULL, &err) != SQLITE_OK) {
		int rc = hl_error_set(HL_ERROR, "%s: scope: %s", st->path, err ? err : "?");
		sqlite3_free(err);
		return rc;
	}
	if (!(s = hl_store__prepare(st,
	                            "INSERT OR IGNORE INTO temp.scope_fonds(code) VALUES (?1)")))
		return -1;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, scope[i], -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE) {
			int rc = hl_store__error(st, "scope");
			sqlite3_finalize(s);
			return rc;
		}
	}
	sqlite3_finalize(s);
	return 0;
}

int hl_store_fonds_counts(hl_store *st, int max_level, char *const *scope, size_t nscope, int all,
                          int (*cb)(const hl_store_fonds_count *r, void *ud), void *ud)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = hl_store__scope_table(st, all ? NULL : scope, all ? 0 : nscope)) < 0)
		return rc;
	s = hl_store__prepare(st, "SELECT f.code, count(*), count(DISTINCT s.id)"
	                          " FROM document d JOIN dossier s ON s.id = d.dossier_id"
	                          " JOIN fonds f ON f.id = s.fonds_id"
	                          " WHERE d.access = 0 OR (d.access <= ?1 AND"
	                          "  (?2 OR f.code IN (SELECT code FROM temp.scope_fonds)))"
	                          " GROUP BY f.code ORDER BY f.code");
	if (!s)
		return -1;
	sqlite3_bind_int(s, 1, hl_store__cap_level(max_level));
	sqlite3_bind_int(s, 2, all != 0);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_store_fonds_count r = {hl_store__col(s, 0), sqlite3_column_int64(s, 1),
		                          sqlite3_column_int64(s, 2)};
		int r2 = cb(&r, ud);
		if (r2) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "fonds counts");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_dossiers_visible(hl_store *st, const char *fonds, int max_level, int in_scope,
                              int (*cb)(const hl_store_dossier_seen *r, void *ud), void *ud)
{
	/* the longest retention: permanent, else the most years */
	sqlite3_stmt *s = hl_store__prepare(
	    st, "SELECT s.code, s.title, s.date_from, s.date_to, s.extent, s.retention, r.code,"
	        " s.notes, count(*), sum(coalesce(d.page_count, 0)), min(d.issued_date),"
	        " max(d.issued_date), CASE WHEN max(d.retention = 'permanent') THEN 'permanent'"
	        " ELSE CAST(max(CAST(d.retention AS INTEGER)) AS TEXT) END"
	        " FROM document d JOIN dossier s ON s.id = d.dossier_id"
	        " JOIN fonds f ON f.id = s.fonds_id LEFT JOIN series r ON r.id = s.series_id"
	        " WHERE f.code = ?1 AND (d.access = 0 OR (?3 AND d.access <= ?2))"
	        " GROUP BY s.id ORDER BY s.code");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, fonds, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, hl_store__cap_level(max_level));
	sqlite3_bind_int(s, 3, in_scope != 0);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_desc d = {(char *)hl_store__col(s, 1),
		             (char *)hl_store__col(s, 2),
		             (char *)hl_store__col(s, 3),
		             (char *)hl_store__col(s, 4),
		             NULL,
		             NULL,
		             (char *)hl_store__col(s, 5),
		             (char *)hl_store__col(s, 6),
		             (char *)hl_store__col(s, 7)};
		hl_store_dossier_seen r = {hl_store__col(s, 0),        &d,
		                           sqlite3_column_int64(s, 8), sqlite3_column_int64(s, 9),
		                           hl_store__col(s, 10),       hl_store__col(s, 11),
		                           hl_store__col(s, 12)};
		int r2 = cb(&r, ud);
		if (r2) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "dossiers");
	sqlite3_finalize(s);
	return rc;
}

#define DOSSIER_WHERE                                                                              \
	" FROM document d JOIN dossier s ON s.id = d.dossier_id JOIN fonds f ON f.id = s.fonds_id" \
	" WHERE f.code = ?1 AND s.code = ?2 AND (d.access = 0 OR (?4 AND d.access <= ?3))"

int hl_store_dossier_docs(int64_t *total, hl_store *st, const char *fonds, const char *dossier,
                          int max_level, int in_scope, int order, size_t offset, size_t limit,
                          hl_doc_cb cb, void *ud)
{
	/* by hl_doc_order; a document without a date comes last either way */
	static const char *const pages[] = {
	    "SELECT " HL_STORE_DOC_META_COLS DOSSIER_WHERE " ORDER BY d.ordinal LIMIT ?6 OFFSET ?5",
	    "SELECT " HL_STORE_DOC_META_COLS DOSSIER_WHERE
	    " ORDER BY d.ordinal DESC LIMIT ?6 OFFSET ?5",
	    "SELECT " HL_STORE_DOC_META_COLS DOSSIER_WHERE " ORDER BY d.issued_date IS NULL,"
	    " d.issued_date, d.ordinal LIMIT ?6 OFFSET ?5",
	    "SELECT " HL_STORE_DOC_META_COLS DOSSIER_WHERE " ORDER BY d.issued_date IS NULL,"
	    " d.issued_date DESC, d.ordinal LIMIT ?6 OFFSET ?5"};
	sqlite3_stmt *s;
	int rc;

	if (order < 0 || order > 3)
		order = 0;
	for (int pass = 0; pass < 2; pass++) {
		s = hl_store__prepare(st, pass ? pages[order] : "SELECT count(*)" DOSSIER_WHERE);
		if (!s)
			return -1;
		sqlite3_bind_text(s, 1, fonds, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, dossier, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 3, hl_store__cap_level(max_level));
		sqlite3_bind_int(s, 4, in_scope != 0);
		if (!pass) {
			if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
				rc = hl_store__error(st, "dossier documents");
				sqlite3_finalize(s);
				return rc;
			}
			*total = sqlite3_column_int64(s, 0);
			sqlite3_finalize(s);
			continue;
		}
		sqlite3_bind_int64(s, 5, (int64_t)offset);
		sqlite3_bind_int64(s, 6, (int64_t)limit);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			hl_doc *d = hl_store__row_to_doc(s);
			int r2;
			if (!d) {
				sqlite3_finalize(s);
				return hl_error_set(HL_ENOMEM, "out of memory");
			}
			r2 = cb(d, ud);
			hl_doc_free(d);
			if (r2) {
				sqlite3_finalize(s);
				return r2 < 0 ? r2 : 0;
			}
		}
		rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "dossier documents");
		sqlite3_finalize(s);
		return rc;
	}
	return 0;
}

int hl_store_audit_page(hl_store *st, size_t offset, size_t limit, int64_t *total,
                        int (*cb)(int64_t id, const char *at, const char *actor, const char *action,
                                  const char *object, const char *detail, void *ud),
                        void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(st, "SELECT count(*) FROM audit");
	int rc;
	if (!s)
		return -1;
	*total = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (!(s = hl_store__prepare(st, "SELECT id, at, actor, action, object, detail FROM audit"
	                                " ORDER BY id DESC LIMIT ?2 OFFSET ?1")))
		return -1;
	sqlite3_bind_int64(s, 1, (int64_t)offset);
	sqlite3_bind_int64(s, 2, (int64_t)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int r2 = cb(sqlite3_column_int64(s, 0), hl_store__col(s, 1), hl_store__col(s, 2),
		            hl_store__col(s, 3), hl_store__col(s, 4), hl_store__col(s, 5), ud);
		if (r2) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "audit");
	sqlite3_finalize(s);
	return rc;
}
