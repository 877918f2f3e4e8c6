/* Every SQL statement of plans/: the agencies register (plans, tasks and reports to come). */
#include <stdlib.h>
#include <string.h>

#include "halong/util.h"
#include "store_int.h"
#include "store_plans.h"

#define AGENCY_COLS                                                                                \
	"code, name, short_name, kind, valid_from, valid_to, successor_code, source, note, "       \
	"folded,"                                                                                  \
	" short_folded"

/* ?1 … ?9: the agency's fields in AGENCY_COLS' order (optional ones NULL when empty). */
static void bind_agency(sqlite3_stmt *s, const hl_agency *a)
{
	sqlite3_bind_text(s, 1, a->code, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, a->name, -1, SQLITE_STATIC);
	hl_store__bind_text(s, 3, a->short_name);
	sqlite3_bind_text(s, 4, hl_agency_kind_name(a->kind), -1, SQLITE_STATIC);
	hl_store__bind_text(s, 5, a->valid_from);
	hl_store__bind_text(s, 6, a->valid_to);
	hl_store__bind_text(s, 7, a->successor_code);
	hl_store__bind_text(s, 8, a->source);
	hl_store__bind_text(s, 9, a->note);
}

int hl_store_agency_put(int *what, hl_store *st, const hl_store_agency_row *r)
{
	const hl_agency *a = r->a;
	sqlite3_stmt *s;
	char now[32];
	int rc;

	*what = 0;
	if (!st->in_tx)
		return hl_error_set(HL_ERROR, "agencies are loaded inside a transaction");
	/* the same row: nothing to write */
	if (!(s = hl_store__prepare(st, "SELECT 1 FROM agency WHERE code = ?1 AND name = ?2"
	                                " AND short_name IS ?3 AND kind = ?4 AND valid_from IS ?5"
	                                " AND valid_to IS ?6 AND successor_code IS ?7"
	                                " AND source IS ?8 AND note IS ?9")))
		return -1;
	bind_agency(s, a);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW) {
		*what = HL_AGENCY_SAME;
		return 0;
	}
	if (rc != SQLITE_DONE)
		return hl_store__error(st, "agency");
	rc = hl_store_agency_exists(st, a->code);
	if (rc < 0)
		return rc;
	*what = rc ? HL_AGENCY_CHANGED : HL_AGENCY_ADDED;
	if (!(s = hl_store__prepare(st,
	                            "INSERT OR REPLACE INTO agency(" AGENCY_COLS ", loaded_at)"
	                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")))
		return -1;
	hl_now_utc(now);
	bind_agency(s, a);
	sqlite3_bind_text(s, 10, r->folded, -1, SQLITE_STATIC);
	hl_store__bind_text(s, 11, r->short_folded);
	sqlite3_bind_text(s, 12, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : hl_store__error(st, "agency");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_agency_exists(hl_store *st, const char *code)
{
	sqlite3_stmt *s = hl_store__prepare(st, "SELECT 1 FROM agency WHERE code = ?1");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, code, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : hl_store__error(st, "agency");
}

static int kind_of(const char *s)
{
	for (int k = HL_AGENCY_SO; k <= HL_AGENCY_KHAC; k++)
		if (!strcmp(s, hl_agency_kind_name((hl_agency_kind)k)))
			return k;
	return HL_AGENCY_KHAC;
}

int hl_store_agency_foreach(hl_store *st, const char *date,
                            int (*cb)(const hl_agency *a, const char *folded,
                                      const char *short_folded, void *ud),
                            void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st,
	    "SELECT " AGENCY_COLS " FROM agency WHERE ?1 IS NULL OR"
	    " ((valid_from IS NULL OR valid_from <= ?1) AND (valid_to IS NULL OR valid_to >= ?1))"
	    " ORDER BY code");
	int rc;
	if (!s)
		return -1;
	hl_store__bind_text(s, 1, date);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_agency a = {(char *)hl_store__col(s, 0),
		               (char *)hl_store__col(s, 1),
		               (char *)hl_store__col(s, 2),
		               (char *)hl_store__col(s, 4),
		               (char *)hl_store__col(s, 5),
		               (char *)hl_store__col(s, 6),
		               (char *)hl_store__col(s, 7),
		               (char *)hl_store__col(s, 8),
		               (hl_agency_kind)kind_of(hl_store__col(s, 3))};
		int r2 = cb(&a, hl_store__col(s, 9), hl_store__col(s, 10), ud);
		if (r2) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "agencies");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_agency_count(int64_t *n, hl_store *st)
{
	sqlite3_stmt *s = hl_store__prepare(st, "SELECT count(*) FROM agency");
	int rc;
	if (!s)
		return -1;
	rc = sqlite3_step(s);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : hl_store__error(st, "agencies");
}
