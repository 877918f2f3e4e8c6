/* Every SQL statement of plans/: the agencies register, plans, tasks, reports, settings,
 * snapshots, inspections, lessons, agencies' contacts and the notices outbox. */
#include <stdio.h>
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

int hl_store_agency_unit_names(hl_store *st,
                               int (*cb)(const char *code, const char *full_name, const char *type,
                                         void *ud),
                               void *ud)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "SELECT DISTINCT code, full_name, type FROM unit_version");
	int rc;
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int r2 = cb(hl_store__col(s, 0), hl_store__col(s, 1), hl_store__col(s, 2), ud);
		if (r2) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "unit names");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_agency_unit_moves(hl_store *st, const char *code, const char *date)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "SELECT 1 FROM unit_succession WHERE old_code = ?1 AND effective_date <= ?2"
	        " AND new_code <> '' AND new_code <> old_code LIMIT 1");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, code, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, date, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : hl_store__error(st, "successions");
}

/* ---- plans ---- */

static const char *freq_key(hl_freq f)
{
	switch (f) {
	case HL_FREQ_QUARTERLY:
		return "quarterly";
	case HL_FREQ_HALF_YEARLY:
		return "half-yearly";
	case HL_FREQ_YEARLY:
		return "yearly";
	case HL_FREQ_NONE:
		return "none";
	default:
		return "monthly";
	}
}

static hl_freq freq_of(const char *s)
{
	if (!s)
		return HL_FREQ_MONTHLY;
	if (!strcmp(s, "quarterly"))
		return HL_FREQ_QUARTERLY;
	if (!strcmp(s, "half-yearly"))
		return HL_FREQ_HALF_YEARLY;
	if (!strcmp(s, "yearly"))
		return HL_FREQ_YEARLY;
	if (!strcmp(s, "none"))
		return HL_FREQ_NONE;
	return HL_FREQ_MONTHLY;
}

#define PLAN_COLS                                                                                  \
	"id, number, date, issuer, title, period_from, period_to, report_every, compiler,"         \
	" document_id, access, note"

static void bind_plan(sqlite3_stmt *s, const hl_plan *p)
{
	sqlite3_bind_text(s, 1, p->id, -1, SQLITE_STATIC);
	hl_store__bind_text(s, 2, p->number);
	hl_store__bind_text(s, 3, p->date);
	hl_store__bind_text(s, 4, p->issuer);
	sqlite3_bind_text(s, 5, p->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, p->period_from, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, p->period_to, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, freq_key(p->report_every), -1, SQLITE_STATIC);
	hl_store__bind_text(s, 9, p->compiler);
	hl_store__bind_text(s, 10, p->document_id);
	sqlite3_bind_text(s, 11, hl_access_name(p->access), -1, SQLITE_STATIC);
	hl_store__bind_text(s, 12, p->note);
}

int hl_store_plan_put(int *what, hl_store *st, const hl_plan *p)
{
	sqlite3_stmt *s;
	char now[32];
	int rc;

	*what = 0;
	if (!st->in_tx)
		return hl_error_set(HL_ERROR, "plans are written inside a transaction");
	if (!(s = hl_store__prepare(st, "SELECT (number IS ?2 AND date IS ?3 AND issuer IS ?4"
	                                " AND title = ?5 AND period_from = ?6 AND period_to = ?7"
	                                " AND report_every = ?8 AND compiler IS ?9"
	                                " AND document_id IS ?10 AND access = ?11 AND note IS ?12)"
	                                " FROM plan WHERE id = ?1")))
		return -1;
	bind_plan(s, p);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*what = sqlite3_column_int(s, 0) ? HL_ROW_SAME : HL_ROW_CHANGED;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return hl_store__error(st, "plan");
	if (*what == HL_ROW_SAME)
		return 0;
	hl_now_utc(now);
	if (*what == HL_ROW_CHANGED)
		s = hl_store__prepare(st,
		                      "UPDATE plan SET number = ?2, date = ?3, issuer = ?4,"
		                      " title = ?5, period_from = ?6, period_to = ?7,"
		                      " report_every = ?8, compiler = ?9, document_id = ?10,"
		                      " access = ?11, note = ?12, updated_at = ?13 WHERE id = ?1");
	else
		s = hl_store__prepare(st,
		                      "INSERT INTO plan(" PLAN_COLS ", created_at, updated_at)"
		                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
		                      " ?13, ?13)");
	if (!s)
		return -1;
	bind_plan(s, p);
	sqlite3_bind_text(s, 13, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : hl_store__error(st, "plan");
	sqlite3_finalize(s);
	if (rc == 0 && *what == 0)
		*what = HL_ROW_ADDED;
	return rc;
}

int hl_store_plan_foreach(hl_store *st, const char *id, int (*cb)(const hl_plan *p, void *ud),
                          void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "SELECT " PLAN_COLS ", (SELECT count(*) FROM task t WHERE t.plan_id = plan.id AND"
	        " EXISTS (SELECT 1 FROM task_agency a WHERE a.task_id = t.id))"
	        " FROM plan WHERE ?1 IS NULL OR id = ?1 ORDER BY id");
	int rc;
	if (!s)
		return -1;
	hl_store__bind_text(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_plan p = {.id = (char *)hl_store__col(s, 0),
		             .number = (char *)hl_store__col(s, 1),
		             .date = (char *)hl_store__col(s, 2),
		             .issuer = (char *)hl_store__col(s, 3),
		             .title = (char *)hl_store__col(s, 4),
		             .period_from = (char *)hl_store__col(s, 5),
		             .period_to = (char *)hl_store__col(s, 6),
		             .report_every = freq_of(hl_store__col(s, 7)),
		             .compiler = (char *)hl_store__col(s, 8),
		             .document_id = (char *)hl_store__col(s, 9),
		             .note = (char *)hl_store__col(s, 11),
		             .tasks = sqlite3_column_int64(s, 12)};
		hl_access acc = HL_ACCESS_INTERNAL;
		hl_access_parse(&acc, hl_store__col(s, 10));
		p.access = acc;
		int r2 = cb(&p, ud);
		if (r2) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "plans");
	sqlite3_finalize(s);
	return rc;
}

/* ---- tasks ---- */

static void bind_task(sqlite3_stmt *s, const hl_store_task_row *r)
{
	sqlite3_bind_text(s, 1, r->plan_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->item_no, -1, SQLITE_STATIC);
	hl_store__bind_text(s, 3, r->parent_no);
	sqlite3_bind_int64(s, 4, r->seq);
	sqlite3_bind_text(s, 5, r->title, -1, SQLITE_STATIC);
	hl_store__bind_text(s, 6, r->lead_text);
	hl_store__bind_text(s, 7, r->support_text);
	hl_store__bind_text(s, 8, r->output);
	sqlite3_bind_double(s, 9, r->weight);
	hl_store__bind_text(s, 10, r->due_text);
	hl_store__bind_text(s, 11, r->origin);
}

/* The agencies of task `id` as one text ("L|code|name\n..."), to compare with a new list. */
static char *agencies_text(const hl_task_agency *v, size_t n)
{
	size_t len = 1;
	char *out, *p;
	for (size_t i = 0; i < n; i++)
		len += strlen(v[i].name) + (v[i].code ? strlen(v[i].code) : 0) + 5;
	if (!(out = malloc(len)))
		return NULL;
	p = out;
	*p = 0;
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%c|%s|%s\n", v[i].lead ? 'L' : 'S', v[i].code ? v[i].code : "",
		             v[i].name);
	return out;
}

static int stored_agencies_text(char **out, hl_store *st, int64_t id)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "SELECT group_concat(r || '|' || ifnull(code, '') || '|' || name || char(10), '')"
	        " FROM (SELECT CASE role WHEN 'lead' THEN 'L' ELSE 'S' END AS r, code, name"
	        " FROM task_agency WHERE task_id = ?1 ORDER BY role, seq)");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	*out = rc == SQLITE_ROW ? hl_strdup(hl_store__col(s, 0) ? hl_store__col(s, 0) : "") : NULL;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return hl_store__error(st, "task agencies");
	return *out ? 0 : hl_error_set(HL_ENOMEM, "out of memory");
}

int hl_store_task_put(int *what, int64_t *id, hl_store *st, const hl_store_task_row *r)
{
	sqlite3_stmt *s;
	int rc, same = 0;
	char *had = NULL, *want = NULL;

	*what = 0;
	*id = 0;
	if (!st->in_tx)
		return hl_error_set(HL_ERROR, "tasks are written inside a transaction");
	if (!(s = hl_store__prepare(st, "SELECT id, (parent_no IS ?3 AND title = ?5"
	                                " AND lead_text IS ?6 AND support_text IS ?7"
	                                " AND output IS ?8 AND weight = ?9 AND due_text IS ?10)"
	                                " FROM task WHERE plan_id = ?1 AND item_no = ?2")))
		return -1;
	bind_task(s, r);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		same = sqlite3_column_int(s, 1);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return hl_store__error(st, "task");
	/* leads sort before supporting ones ('lead' < 'support'), as stored_agencies_text reads */
	if (*id) {
		if ((rc = stored_agencies_text(&had, st, *id)) < 0)
			return rc;
		if (!(want = agencies_text(r->agencies, r->nagencies))) {
			free(had);
			return hl_error_set(HL_ENOMEM, "out of memory");
		}
		same = same && !strcmp(had, want);
		free(had);
		free(want);
		if (same) {
			*what = HL_ROW_SAME;
			return 0;
		}
		s = hl_store__prepare(st, "UPDATE task SET parent_no = ?3, title = ?5,"
		                          " lead_text = ?6, support_text = ?7, output = ?8,"
		                          " weight = ?9, due_text = ?10"
		                          " WHERE plan_id = ?1 AND item_no = ?2");
		*what = HL_ROW_CHANGED;
	} else {
		s = hl_store__prepare(st,
		                      "INSERT INTO task(plan_id, item_no, parent_no, seq, title,"
		                      " lead_text, support_text, output, weight, due_text, origin)"
		                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
		*what = HL_ROW_ADDED;
	}
	if (!s)
		return -1;
	bind_task(s, r);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : hl_store__error(st, "task");
	sqlite3_finalize(s);
	if (rc < 0)
		return rc;
	if (!*id)
		*id = sqlite3_last_insert_rowid(st->db);
	if (!(s = hl_store__prepare(st, "DELETE FROM task_agency WHERE task_id = ?1")))
		return -1;
	sqlite3_bind_int64(s, 1, *id);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : hl_store__error(st, "task agencies");
	sqlite3_finalize(s);
	if (rc < 0)
		return rc;
	if (!(s = hl_store__prepare(st, "INSERT INTO task_agency(task_id, role, seq, code, name)"
	                                " VALUES (?1, ?2, ?3, ?4, ?5)")))
		return -1;
	for (size_t i = 0; i < r->nagencies && rc == 0; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, *id);
		sqlite3_bind_text(s, 2, r->agencies[i].lead ? "lead" : "support", -1,
		                  SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, (int64_t)i);
		hl_store__bind_text(s, 4, r->agencies[i].code);
		sqlite3_bind_text(s, 5, r->agencies[i].name, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			rc = hl_store__error(st, "task agencies");
	}
	sqlite3_finalize(s);
	return rc;
}

int hl_store_task_next_seq(int64_t *seq, hl_store *st, const char *plan_id)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "SELECT ifnull(max(seq), 0) + 1 FROM task WHERE plan_id = ?1");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, plan_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	*seq = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 1;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : hl_store__error(st, "tasks");
}

int hl_store_task_find(int64_t *id, char **plan_id, hl_store *st, const char *plan,
                       const char *item_no, int64_t by_id)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "SELECT id, plan_id FROM task WHERE (?3 > 0 AND id = ?3)"
	                          " OR (?3 = 0 AND plan_id = ?1 AND item_no = ?2)");
	int rc;
	*id = 0;
	if (plan_id)
		*plan_id = NULL;
	if (!s)
		return -1;
	hl_store__bind_text(s, 1, plan);
	hl_store__bind_text(s, 2, item_no);
	sqlite3_bind_int64(s, 3, by_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		if (plan_id && !(*plan_id = hl_strdup(hl_store__col(s, 1))))
			rc = SQLITE_NOMEM;
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return HL_ENOTFOUND;
	return hl_store__error(st, "task");
}

int hl_store_task_foreach(hl_store *st, const char *plan_id, int64_t task_id,
                          int (*cb)(const hl_task *t, void *ud), void *ud)
{
	/* The agencies first, by task; then one row a task, handed over as SQLite holds it with
	 * its agencies. One filter a statement, so that it uses its index (see
	 * hl_store_report_foreach). */
	sqlite3_stmt *q = hl_store__prepare(
	    st, task_id ? "SELECT task_id, role, code, name FROM task_agency WHERE task_id = ?2"
	                  " ORDER BY role, seq"
	                : "SELECT a.task_id, a.role, a.code, a.name FROM task t"
	                  " JOIN task_agency a ON a.task_id = t.id WHERE t.plan_id = ?1"
	                  " ORDER BY a.task_id, a.role, a.seq");
	sqlite3_stmt *s = NULL;
	hl_task_agency *ag = NULL;
	int64_t *of = NULL; /* the task of each agency */
	size_t nag = 0, cap = 0;
	int rc, stop = 0;

	if (!q)
		return -1;
	hl_store__bind_text(q, 1, plan_id);
	sqlite3_bind_int64(q, 2, task_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (nag == cap) {
			size_t nc = cap ? 2 * cap : 64;
			hl_task_agency *nv = realloc(ag, nc * sizeof(*nv));
			int64_t *no = nv ? realloc(of, nc * sizeof(*no)) : NULL;
			if (nv)
				ag = nv;
			if (!no) {
				rc = SQLITE_NOMEM;
				break;
			}
			of = no;
			cap = nc;
		}
		of[nag] = sqlite3_column_int64(q, 0);
		ag[nag].lead = !strcmp(hl_store__col(q, 1), "lead");
		ag[nag].code = hl_store__col(q, 2) ? hl_strdup(hl_store__col(q, 2)) : NULL;
		ag[nag].name = hl_strdup(hl_store__col(q, 3) ? hl_store__col(q, 3) : "");
		nag++;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		rc = rc == SQLITE_NOMEM ? hl_error_set(HL_ENOMEM, "out of memory")
		                        : hl_store__error(st, "tasks");
		goto done;
	}
	if (!(s = hl_store__prepare(
	          st, task_id ? "SELECT id, plan_id, item_no, parent_no, title, output, due_text,"
	                        " origin, cancelled, weight FROM task WHERE id = ?2"
	                      : "SELECT id, plan_id, item_no, parent_no, title, output, due_text,"
	                        " origin, cancelled, weight FROM task WHERE plan_id = ?1"
	                        " ORDER BY seq, id"))) {
		rc = -1;
		goto done;
	}
	hl_store__bind_text(s, 1, plan_id);
	sqlite3_bind_int64(s, 2, task_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_task t = {.id = sqlite3_column_int64(s, 0),
		             .plan_id = (char *)hl_store__col(s, 1),
		             .item_no = (char *)hl_store__col(s, 2),
		             .parent_no = (char *)hl_store__col(s, 3),
		             .title = (char *)hl_store__col(s, 4),
		             .output = (char *)hl_store__col(s, 5),
		             .due_text = (char *)hl_store__col(s, 6),
		             .origin = (char *)hl_store__col(s, 7),
		             .cancelled = (char *)hl_store__col(s, 8),
		             .weight = sqlite3_column_double(s, 9)};
		size_t lo = 0, hi = nag;
		while (lo < hi) { /* the first agency of this task */
			size_t mid = (lo + hi) / 2;
			if (of[mid] < t.id)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (hi = lo; hi < nag && of[hi] == t.id; hi++)
			;
		t.agencies = hi > lo ? ag + lo : NULL;
		t.nagencies = hi - lo;
		if ((stop = cb(&t, ud)) != 0)
			break;
	}
	if (stop)
		rc = stop < 0 ? stop : 0;
	else
		rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "tasks");
done:
	sqlite3_finalize(s);
	for (size_t i = 0; i < nag; i++) {
		free(ag[i].code);
		free(ag[i].name);
	}
	free(ag);
	free(of);
	return rc;
}

/* ---- reports ---- */

int hl_store_report_put(int64_t *id, hl_store *st, const hl_report *r)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "INSERT INTO task_report(task_id, agency, period, period_from, period_to,"
	        " progress, state, done_on, results, difficulties, proposals, evidence, at, by,"
	        " corrects, origin, message_id)"
	        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
	        " ?17)");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, r->task_id);
	sqlite3_bind_text(s, 2, r->agency, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, r->period, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, r->period_from, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, r->period_to, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, r->progress);
	sqlite3_bind_text(s, 7, hl_report_state_name(r->state), -1, SQLITE_STATIC);
	hl_store__bind_text(s, 8, r->done_on);
	hl_store__bind_text(s, 9, r->results);
	hl_store__bind_text(s, 10, r->difficulties);
	hl_store__bind_text(s, 11, r->proposals);
	hl_store__bind_text(s, 12, r->evidence);
	sqlite3_bind_text(s, 13, r->at, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 14, r->by, -1, SQLITE_STATIC);
	if (r->corrects)
		sqlite3_bind_int64(s, 15, r->corrects);
	else
		sqlite3_bind_null(s, 15);
	hl_store__bind_text(s, 16, r->origin);
	hl_store__bind_text(s, 17, r->message_id);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : hl_store__error(st, "report");
	sqlite3_finalize(s);
	*id = rc == 0 ? sqlite3_last_insert_rowid(st->db) : 0;
	return rc;
}

int hl_store_report_foreach(hl_store *st, const char *plan_id, int64_t task_id, int64_t report_id,
                            const char *at, int pending_only,
                            int (*cb)(const hl_report *r, void *ud), void *ud)
{
	/* Only the filters given are written, so that each uses its index: an OR with a parameter
	 * ("?3 = 0 OR r.id = ?3") is planned before the parameter is known and reads every
	 * report. A plan's reports are read through its tasks (the CROSS JOIN keeps that order). */
	char sql[2048];
	snprintf(
	    sql, sizeof(sql),
	    "SELECT r.id, r.task_id, r.corrects, t.plan_id || '/' || t.item_no, r.agency, r.period,"
	    " r.period_from, r.period_to, r.done_on, r.results, r.difficulties, r.proposals,"
	    " r.evidence, r.at, r.by, r.origin, r.progress, r.state,"
	    " v.verdict, v.comment, v.at, v.by, r.message_id%s"
	    " LEFT JOIN report_verification v ON v.id = (SELECT id FROM report_verification"
	    "   WHERE report_id = r.id AND at <= ?4 ORDER BY at DESC, id DESC LIMIT 1)"
	    " WHERE r.at <= ?4%s%s%s%s"
	    " ORDER BY r.task_id, r.at, r.id",
	    plan_id && !report_id && !task_id
	        ? " FROM task t CROSS JOIN task_report r ON r.task_id = t.id"
	        : " FROM task_report r JOIN task t ON t.id = r.task_id",
	    report_id ? " AND r.id = ?3" : "", task_id ? " AND r.task_id = ?2" : "",
	    plan_id ? " AND t.plan_id = ?1" : "",
	    /* not corrected: the corrections' ids once (the column has no index) */
	    pending_only ? " AND v.verdict IS NULL AND r.id NOT IN (SELECT corrects FROM"
	                   " task_report WHERE corrects IS NOT NULL AND at <= ?4)"
	                 : "");
	sqlite3_stmt *s = hl_store__prepare(st, sql);
	int rc;
	if (!s)
		return -1;
	/* a parameter the text does not use: SQLITE_RANGE, nothing bound */
	hl_store__bind_text(s, 1, plan_id);
	sqlite3_bind_int64(s, 2, task_id);
	sqlite3_bind_int64(s, 3, report_id);
	sqlite3_bind_text(s, 4, at, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_report r = {
		    .id = sqlite3_column_int64(s, 0),
		    .task_id = sqlite3_column_int64(s, 1),
		    .corrects = sqlite3_column_int64(s, 2),
		    .task_ref = (char *)hl_store__col(s, 3),
		    .agency = (char *)hl_store__col(s, 4),
		    .period = (char *)hl_store__col(s, 5),
		    .period_from = (char *)hl_store__col(s, 6),
		    .period_to = (char *)hl_store__col(s, 7),
		    .done_on = (char *)hl_store__col(s, 8),
		    .results = (char *)hl_store__col(s, 9),
		    .difficulties = (char *)hl_store__col(s, 10),
		    .proposals = (char *)hl_store__col(s, 11),
		    .evidence = (char *)hl_store__col(s, 12),
		    .at = (char *)hl_store__col(s, 13),
		    .by = (char *)hl_store__col(s, 14),
		    .origin = (char *)hl_store__col(s, 15),
		    .progress = sqlite3_column_int(s, 16),
		    .verdict = (char *)(hl_store__col(s, 18) ? hl_store__col(s, 18) : "pending"),
		    .verdict_comment = (char *)hl_store__col(s, 19),
		    .verdict_at = (char *)hl_store__col(s, 20),
		    .verdict_by = (char *)hl_store__col(s, 21),
		    .message_id = (char *)hl_store__col(s, 22)};
		hl_report_state rs = HL_REPORT_PROGRESS;
		hl_report_state_parse(&rs, hl_store__col(s, 17));
		r.state = rs;
		int r2 = cb(&r, ud);
		if (r2) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "reports");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_report_status_foreach(hl_store *st, const char *plan_id, int64_t task_id,
                                   const char *at, int latest,
                                   int (*cb)(const hl_report *r, void *ud), void *ud)
{
	const char *sql;
	sqlite3_stmt *s;
	int rc;

	/* ?2: the clock; the latest verdict on r by then */
#define STATUS_COLS                                                                                \
	"SELECT r.id, r.task_id, r.period_from, r.period_to, r.done_on, r.at, r.progress, "        \
	"r.state, r.agency,"
#define VERDICT_AT2                                                                                \
	" (SELECT verdict FROM report_verification WHERE report_id = r.id AND at <= ?2"            \
	" ORDER BY at DESC, id DESC LIMIT 1)"
	if (task_id)
		sql = STATUS_COLS VERDICT_AT2
		    " FROM task_report r"
		    " WHERE r.task_id = ?3 AND r.at <= ?2 ORDER BY r.at, r.id";
	else if (!latest)
		sql = STATUS_COLS VERDICT_AT2
		    " FROM task t CROSS JOIN task_report r ON r.task_id = t.id"
		    " WHERE t.plan_id = ?1 AND r.at <= ?2"
		    " ORDER BY r.task_id, r.at, r.id";
	else /* each task's latest report not returned, found backwards from the clock */
		sql = STATUS_COLS
		    " NULL FROM task t CROSS JOIN task_report r ON r.id ="
		    "   (SELECT c.id FROM task_report c WHERE c.task_id = t.id AND c.at <= ?2"
		    "    AND (SELECT verdict FROM report_verification WHERE report_id = c.id"
		    "      AND at <= ?2 ORDER BY at DESC, id DESC LIMIT 1) IS NOT 'returned'"
		    "    ORDER BY c.at DESC, c.id DESC LIMIT 1)"
		    " WHERE t.plan_id = ?1";
#undef STATUS_COLS
#undef VERDICT_AT2
	if (!(s = hl_store__prepare(st, sql)))
		return -1;
	hl_store__bind_text(s, 1, plan_id);
	sqlite3_bind_text(s, 2, at, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, task_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_report r = {.id = sqlite3_column_int64(s, 0),
		               .task_id = sqlite3_column_int64(s, 1),
		               .period_from = (char *)hl_store__col(s, 2),
		               .period_to = (char *)hl_store__col(s, 3),
		               .done_on = (char *)hl_store__col(s, 4),
		               .at = (char *)hl_store__col(s, 5),
		               .progress = sqlite3_column_int(s, 6),
		               .agency = (char *)hl_store__col(s, 8),
		               .verdict =
		                   (char *)(hl_store__col(s, 9) ? hl_store__col(s, 9) : "pending")};
		hl_report_state rs = HL_REPORT_PROGRESS;
		hl_report_state_parse(&rs, hl_store__col(s, 7));
		r.state = rs;
		int r2 = cb(&r, ud);
		if (r2) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "reports");
	sqlite3_finalize(s);
	return rc;
}

static int exists(hl_store *st, const char *sql, const char *text, int64_t num)
{
	sqlite3_stmt *s = hl_store__prepare(st, sql);
	int rc;
	if (!s)
		return -1;
	if (text)
		sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(s, 1, num);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : hl_store__error(st, "lookup");
}

int hl_store_report_corrected(hl_store *st, int64_t id)
{
	return exists(st, "SELECT 1 FROM task_report WHERE corrects = ?1", NULL, id);
}

int hl_store_document_exists(hl_store *st, const char *doc_id)
{
	return exists(st, "SELECT 1 FROM document WHERE doc_id = ?1", doc_id, 0);
}

int hl_store_report_by_message(int64_t *id, hl_store *st, int64_t task_id, const char *message_id,
                               const char *origin)
{
	/* by task first: task_report_task's index narrows it to the task's few reports */
	sqlite3_stmt *s = hl_store__prepare(st, "SELECT id FROM task_report WHERE task_id = ?1"
	                                        " AND message_id = ?2 AND origin IS ?3"
	                                        " ORDER BY id LIMIT 1");
	int rc;
	*id = 0;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, task_id);
	sqlite3_bind_text(s, 2, message_id, -1, SQLITE_STATIC);
	hl_store__bind_text(s, 3, origin);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		rc = 0;
	} else
		rc = rc == SQLITE_DONE ? HL_ENOTFOUND : hl_store__error(st, "report");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_report_sent(hl_store *st, int64_t id, const char *message_id)
{
	sqlite3_stmt *s = hl_store__prepare(st, "UPDATE task_report SET message_id = ?2"
	                                        " WHERE id = ?1 AND origin IS NULL"
	                                        " AND message_id IS NULL");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, message_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_DONE ? sqlite3_changes(st->db) > 0
	                                    : hl_store__error(st, "report sent");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_verification_put(hl_store *st, int64_t report_id, const char *verdict,
                              const char *comment, const char *at, const char *by)
{
	sqlite3_stmt *s = hl_store__prepare(st, "INSERT INTO report_verification(report_id,"
	                                        " verdict, comment, at, by)"
	                                        " VALUES (?1, ?2, ?3, ?4, ?5)");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, report_id);
	sqlite3_bind_text(s, 2, verdict, -1, SQLITE_STATIC);
	hl_store__bind_text(s, 3, comment);
	sqlite3_bind_text(s, 4, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, by, -1, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : hl_store__error(st, "verification");
	sqlite3_finalize(s);
	return rc;
}

/* ---- settings, users' agencies, snapshots ---- */

static int one_text(char **out, hl_store *st, const char *sql, const char *a, const char *b,
                    const char *what)
{
	sqlite3_stmt *s = hl_store__prepare(st, sql);
	int rc;
	*out = NULL;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(s, 2, b, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && hl_store__col(s, 0) && !(*out = hl_strdup(hl_store__col(s, 0))))
		rc = SQLITE_NOMEM;
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
	return rc == SQLITE_NOMEM ? hl_error_set(HL_ENOMEM, "out of memory")
	                          : hl_store__error(st, what);
}

int hl_store_plan_setting_get(char **value, hl_store *st, const char *key)
{
	return one_text(value, st, "SELECT value FROM plan_setting WHERE key = ?1", key, NULL,
	                "setting");
}

int hl_store_plan_setting_set(hl_store *st, const char *key, const char *value)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "INSERT OR REPLACE INTO plan_setting(key, value) VALUES (?1, ?2)");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : hl_store__error(st, "setting");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_user_agency_get(char out[33], hl_store *st, int64_t user_id)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "SELECT ifnull(agency_code, unit_code) FROM auth_user WHERE id = ?1");
	int rc;
	out[0] = 0;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, user_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && hl_store__col(s, 0))
		snprintf(out, 33, "%s", hl_store__col(s, 0));
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : hl_store__error(st, "user");
}

int hl_store_user_agency_set(hl_store *st, const char *username, const char *agency)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "UPDATE auth_user SET agency_code = ?2 WHERE username = ?1");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, username, -1, SQLITE_STATIC);
	hl_store__bind_text(s, 2, agency);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : hl_store__error(st, "user");
	sqlite3_finalize(s);
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		return hl_error_set(HL_ENOTFOUND, "no user \"%s\"", username);
	return rc;
}

int hl_store_snapshot_get(char **body, hl_store *st, const char *plan_id, const char *period)
{
	int rc =
	    one_text(body, st, "SELECT body FROM plan_snapshot WHERE plan_id = ?1 AND period = ?2",
	             plan_id, period, "snapshot");
	if (rc == 0 && !*body)
		return HL_ENOTFOUND;
	return rc;
}

int hl_store_snapshot_put(hl_store *st, const char *plan_id, const char *period, const char *at,
                          const char *by, const char *body)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "INSERT INTO plan_snapshot(plan_id, period,"
	                          " closed_at, by, body) VALUES (?1, ?2, ?3, ?4, ?5)");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, plan_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, period, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, by, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, body, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_CONSTRAINT)
		return hl_error_set(HL_ECONFLICT, "period %s of plan %s is closed already", period,
		                    plan_id);
	return rc == SQLITE_DONE ? 0 : hl_store__error(st, "snapshot");
}

/* ---- inspections and lessons ---- */

int hl_store_inspection_put(int64_t *id, hl_store *st, const hl_inspection_in *in, const char *at,
                            const char *by)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "INSERT INTO inspection(plan_id, date, team, scope, agency, findings, rating, at,"
	        " by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, in->plan, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, in->date, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, in->team, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, in->scope, -1, SQLITE_STATIC);
	hl_store__bind_text(s, 5, in->agency);
	hl_store__bind_text(s, 6, in->findings);
	hl_store__bind_text(s, 7, in->rating);
	sqlite3_bind_text(s, 8, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 9, by, -1, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : hl_store__error(st, "inspection");
	sqlite3_finalize(s);
	*id = rc == 0 ? sqlite3_last_insert_rowid(st->db) : 0;
	return rc;
}

int hl_store_inspection_foreach(hl_store *st, const char *plan,
                                int (*cb)(const hl_inspection *in, void *ud), void *ud)
{
	/* the follow-up tasks as one text of refs, newline-separated, in their order */
	sqlite3_stmt *s = hl_store__prepare(
	    st, "SELECT i.id, i.plan_id, i.date, i.team, i.scope, i.agency, i.findings, i.rating,"
	        " i.at, i.by, (SELECT group_concat(ref, char(10)) FROM (SELECT t.plan_id || '/' ||"
	        " t.item_no AS ref FROM task t WHERE t.plan_id = i.plan_id"
	        " AND t.origin = 'inspection:' || i.id ORDER BY t.seq))"
	        " FROM inspection i WHERE i.plan_id = ?1 ORDER BY i.date DESC, i.id DESC");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, plan, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char *refs = (char *)hl_store__col(s, 10), *follow[50 + 1], *save = NULL;
		char *copy = refs ? hl_strdup(refs) : NULL;
		size_t n = 0;
		if (refs && !copy) {
			sqlite3_finalize(s);
			return hl_error_set(HL_ENOMEM, "out of memory");
		}
		for (char *r = copy ? strtok_r(copy, "\n", &save) : NULL; r && n < 50;
		     r = strtok_r(NULL, "\n", &save))
			follow[n++] = r;
		hl_inspection in = {sqlite3_column_int64(s, 0),
		                    (char *)hl_store__col(s, 1),
		                    (char *)hl_store__col(s, 2),
		                    (char *)hl_store__col(s, 3),
		                    (char *)hl_store__col(s, 4),
		                    (char *)hl_store__col(s, 5),
		                    (char *)hl_store__col(s, 6),
		                    (char *)hl_store__col(s, 7),
		                    (char *)hl_store__col(s, 8),
		                    (char *)hl_store__col(s, 9),
		                    n,
		                    follow};
		int r2 = cb(&in, ud);
		free(copy);
		if (r2) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "inspections");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_lesson_put(int64_t *id, hl_store *st, const hl_store_lesson_row *r)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "INSERT INTO lesson(task_id, agency, title, body, folded, at, by)"
	                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	int rc;
	if (!s)
		return -1;
	if (r->task_id)
		sqlite3_bind_int64(s, 1, r->task_id);
	else
		sqlite3_bind_null(s, 1);
	hl_store__bind_text(s, 2, r->agency);
	sqlite3_bind_text(s, 3, r->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, r->body, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, r->folded, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, r->at, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, r->by, -1, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : hl_store__error(st, "lesson");
	sqlite3_finalize(s);
	*id = rc == 0 ? sqlite3_last_insert_rowid(st->db) : 0;
	if (rc == 0 && !(s = hl_store__prepare(st, "INSERT INTO index_queue(document_id)"
	                                           " VALUES (?1)")))
		rc = -1;
	else if (rc == 0) {
		sqlite3_bind_int64(s, 1, HL_INDEX_LESSONS + *id);
		rc = sqlite3_step(s) == SQLITE_DONE ? 0
		                                    : hl_store__error(st, "lesson's index entry");
		sqlite3_finalize(s);
	}
	if (rc < 0)
		*id = 0;
	return rc;
}

/* A plan's level as a number, to compare with a reader's (public 0 … secret 3). */
#define PLAN_LEVEL(p)                                                                              \
	" CASE " p ".access WHEN 'public' THEN 0 WHEN 'internal' THEN 1 WHEN 'restricted' THEN 2"  \
	" ELSE 3 END"

/* A lesson as the index sees it (hl_store_lesson_doc): its agency's name is the register's, or
 * the unit's valid on the day it was recorded. */
#define LESSON_DOC_SELECT                                                                          \
	"SELECT l.id, l.title, l.body, t.plan_id || '/' || t.item_no, l.agency,"                   \
	" coalesce(a.name, (SELECT u.full_name FROM unit_version u WHERE u.code = l.agency"        \
	"   AND u.valid_from <= substr(l.at, 1, 10) ORDER BY u.valid_from DESC LIMIT 1)),"         \
	" substr(l.at, 1, 10), CASE WHEN p.id IS NULL THEN 1 ELSE max(1," PLAN_LEVEL(              \
	    "p") ") END"                                                                           \
	         " FROM lesson l LEFT JOIN task t ON t.id = l.task_id"                             \
	         " LEFT JOIN plan p ON p.id = t.plan_id LEFT JOIN agency a ON a.code = l.agency"

int hl_store_lesson_get(hl_store *st, int64_t id, int (*cb)(const hl_lesson *l, void *ud), void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "SELECT l.id, l.title, l.body, t.plan_id || '/' || t.item_no, l.agency, l.at, l.by"
	        " FROM lesson l LEFT JOIN task t ON t.id = l.task_id WHERE l.id = ?1");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_lesson l = {sqlite3_column_int64(s, 0),  (char *)hl_store__col(s, 1),
		               (char *)hl_store__col(s, 2), (char *)hl_store__col(s, 3),
		               (char *)hl_store__col(s, 4), (char *)hl_store__col(s, 5),
		               (char *)hl_store__col(s, 6), NULL};
		rc = cb(&l, ud);
	} else {
		rc = rc == SQLITE_DONE ? hl_error_set(HL_ENOTFOUND, "no lesson %lld", (long long)id)
		                       : hl_store__error(st, "lesson");
	}
	sqlite3_finalize(s);
	return rc;
}

static hl_doc *lesson_doc(sqlite3_stmt *s)
{
	hl_doc *d = calloc(1, sizeof(*d));
	const char *f[7];
	char **to[7];
	if (!d)
		return NULL;
	for (int i = 0; i < 7; i++)
		f[i] = hl_store__col(s, i + 1);
	to[0] = &d->subject, to[1] = &d->text, to[2] = &d->dossier_code, to[3] = &d->notes;
	to[4] = &d->issuer, to[5] = &d->issued_date, to[6] = &d->doc_type;
	f[6] = "Bài học kinh nghiệm";
	for (int i = 0; i < 7; i++)
		if (f[i] && !(*to[i] = hl_strdup(f[i]))) {
			hl_doc_free(d);
			return NULL;
		}
	d->rowid = HL_INDEX_LESSONS + sqlite3_column_int64(s, 0);
	d->access = (hl_access)sqlite3_column_int(s, 7);
	d->page_count = -1;
	return d;
}

int hl_store_lesson_doc(hl_doc **out, hl_store *st, int64_t id)
{
	sqlite3_stmt *s = hl_store__prepare(st, LESSON_DOC_SELECT " WHERE l.id = ?1");
	int rc;
	*out = NULL;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = (*out = lesson_doc(s)) ? 0 : hl_error_set(HL_ENOMEM, "out of memory");
	else if (rc == SQLITE_DONE)
		rc = hl_error_set(HL_ENOTFOUND, "no lesson %lld", (long long)id);
	else
		rc = hl_store__error(st, "lesson");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_lesson_doc_foreach(hl_store *st, hl_doc_cb cb, void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(st, LESSON_DOC_SELECT " ORDER BY l.id");
	int rc;
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_doc *d = lesson_doc(s);
		int r2 = d ? cb(d, ud) : hl_error_set(HL_ENOMEM, "out of memory");
		hl_doc_free(d);
		if (r2) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "lessons");
	sqlite3_finalize(s);
	return rc;
}

/* ---- evidence files ---- */

int hl_store_evidence_put(int64_t *id, hl_store *st, const hl_evidence_file *f)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "INSERT INTO evidence_file(sha256, name, size, agency, at, by)"
	                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	int rc;
	*id = 0;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, f->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, f->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, f->size);
	sqlite3_bind_text(s, 4, f->agency, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, f->at, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, f->by, -1, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : hl_store__error(st, "evidence file");
	sqlite3_finalize(s);
	if (rc == 0)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc < 0 ? rc : hl_store_blob_add(st, f->sha256, f->size);
}

static int evidence_row(hl_evidence_file *f, sqlite3_stmt *s)
{
	const char *v[5];
	char **to[] = {&f->sha256, &f->name, &f->agency, &f->at, &f->by};
	memset(f, 0, sizeof(*f));
	f->id = sqlite3_column_int64(s, 0);
	f->size = sqlite3_column_int64(s, 3);
	v[0] = hl_store__col(s, 1), v[1] = hl_store__col(s, 2), v[2] = hl_store__col(s, 4);
	v[3] = hl_store__col(s, 5), v[4] = hl_store__col(s, 6);
	for (int i = 0; i < 5; i++)
		if (!(*to[i] = hl_strdup(v[i] ? v[i] : ""))) {
			hl_evidence_file_clear(f);
			return hl_error_set(HL_ENOMEM, "out of memory");
		}
	return 0;
}

#define EVIDENCE_COLS "f.id, f.sha256, f.name, f.size, f.agency, f.at, f.by"

int hl_store_evidence_get(hl_evidence_file *out, hl_store *st, int64_t id)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "SELECT " EVIDENCE_COLS " FROM evidence_file f WHERE f.id = ?1");
	int rc;
	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		rc = evidence_row(out, s);
	else
		rc = rc == SQLITE_DONE
		         ? hl_error_set(HL_ENOTFOUND, "no evidence file %lld", (long long)id)
		         : hl_store__error(st, "evidence file");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_evidence_use(hl_store *st, int64_t file_id, int64_t report_id)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "INSERT OR IGNORE INTO evidence_use(file_id, report_id) VALUES (?1, ?2)");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, file_id);
	sqlite3_bind_int64(s, 2, report_id);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : hl_store__error(st, "evidence of a report");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_evidence_level(int *level, hl_store *st, int64_t id)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "SELECT min(" PLAN_LEVEL(
	            "p") ") FROM evidence_use u"
	                 " JOIN task_report r ON r.id = u.report_id JOIN task t ON t.id = r.task_id"
	                 " JOIN plan p ON p.id = t.plan_id WHERE u.file_id = ?1");
	int rc;
	*level = -1;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) != SQLITE_NULL)
			*level = sqlite3_column_int(s, 0);
		rc = 0;
	} else {
		rc = hl_store__error(st, "evidence file");
	}
	sqlite3_finalize(s);
	return rc;
}

int hl_store_evidence_of_report(hl_store *st, int64_t report_id,
                                int (*cb)(const hl_evidence_file *f, void *ud), void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(st, "SELECT " EVIDENCE_COLS
	                                        " FROM evidence_use u JOIN evidence_file f"
	                                        " ON f.id = u.file_id WHERE u.report_id = ?1"
	                                        " ORDER BY f.id");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, report_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_evidence_file f;
		int r2 = evidence_row(&f, s);
		if (r2 == 0)
			r2 = cb(&f, ud);
		hl_evidence_file_clear(&f);
		if (r2) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "evidence files");
	sqlite3_finalize(s);
	return rc;
}

/* ---- KPI indicators ---- */

int hl_store_kpi_put(hl_store *st, const hl_kpi_in *in, int64_t task_id)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "INSERT INTO kpi(plan_id, code, task_id, name, unit, baseline, target, better)"
	        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (plan_id, code) DO UPDATE SET"
	        " task_id = ?3, name = ?4, unit = ?5, baseline = ?6, target = ?7, better = ?8");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, in->plan, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, in->code, -1, SQLITE_STATIC);
	if (task_id)
		sqlite3_bind_int64(s, 3, task_id);
	else
		sqlite3_bind_null(s, 3);
	sqlite3_bind_text(s, 4, in->name, -1, SQLITE_STATIC);
	hl_store__bind_text(s, 5, in->unit);
	if (in->has_baseline)
		sqlite3_bind_double(s, 6, in->baseline);
	else
		sqlite3_bind_null(s, 6);
	sqlite3_bind_double(s, 7, in->target);
	sqlite3_bind_text(s, 8, in->lower_is_better ? "lower" : "higher", -1, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : hl_store__error(st, "indicator");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_kpi_find(int64_t *id, hl_store *st, const char *plan, const char *code)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "SELECT id FROM kpi WHERE plan_id = ?1 AND code = ?2");
	int rc;
	*id = 0;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, plan, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, code, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? HL_ENOTFOUND : hl_store__error(st, "indicator");
}

int hl_store_kpi_value_put(hl_store *st, int64_t kpi_id, const char *period, double actual,
                           double target_or_nan, const char *at, const char *by)
{
	/* a second value on the same day for the same period is a new row: the key has the
	 * moment it was recorded */
	sqlite3_stmt *s = hl_store__prepare(
	    st, "INSERT INTO kpi_value(kpi_id, period, target, actual, at, by)"
	        " VALUES (?1, ?2, ?3, ?4, ?5 || 'T' || strftime('%H:%M:%f', 'now'), ?6)");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, kpi_id);
	sqlite3_bind_text(s, 2, period, -1, SQLITE_STATIC);
	if (target_or_nan == target_or_nan)
		sqlite3_bind_double(s, 3, target_or_nan);
	else
		sqlite3_bind_null(s, 3);
	sqlite3_bind_double(s, 4, actual);
	sqlite3_bind_text(s, 5, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, by, -1, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : hl_store__error(st, "indicator value");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_kpi_foreach(hl_store *st, const char *plan, const char *at,
                         int (*cb)(const hl_kpi *k, void *ud), void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "SELECT k.id, k.code, k.name, k.unit, t.plan_id || '/' || t.item_no, k.baseline,"
	        " k.target, k.better, v.period, v.actual, v.target, substr(v.at, 1, 10), v.by"
	        " FROM kpi k LEFT JOIN task t ON t.id = k.task_id"
	        " LEFT JOIN kpi_value v ON v.kpi_id = k.id AND substr(v.at, 1, 10) <= ?2"
	        "   AND v.at = (SELECT max(w.at) FROM kpi_value w WHERE w.kpi_id = k.id"
	        "     AND w.period = v.period AND substr(w.at, 1, 10) <= ?2)"
	        " WHERE k.plan_id = ?1 ORDER BY k.code, v.period");
	hl_kpi k = {0};
	hl_kpi_value vals[64];
	int64_t cur = 0;
	int rc, stop = 0;
	char *keep[5] = {0};

	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, plan, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, at, -1, SQLITE_STATIC);
	for (;;) {
		rc = sqlite3_step(s);
		int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
		if (cur && id != cur) {
			k.values = vals;
			stop = cb(&k, ud);
			for (size_t i = 0; i < k.nvalues; i++) {
				free(vals[i].at);
				free(vals[i].by);
			}
			for (size_t i = 0; i < 5; i++) {
				free(keep[i]);
				keep[i] = NULL;
			}
			cur = 0;
			if (stop)
				break;
		}
		if (rc != SQLITE_ROW)
			break;
		if (!cur) {
			memset(&k, 0, sizeof(k));
			cur = id;
			for (int i = 0; i < 4; i++)
				keep[i] = hl_store__col(s, i + 1)
				              ? hl_strdup(hl_store__col(s, i + 1))
				              : NULL;
			k.plan = (char *)plan;
			k.code = keep[0];
			k.name = keep[1];
			k.unit = keep[2];
			k.task_ref = keep[3];
			k.has_baseline = sqlite3_column_type(s, 5) != SQLITE_NULL;
			k.baseline = sqlite3_column_double(s, 5);
			k.target = sqlite3_column_double(s, 6);
			k.lower_is_better = !strcmp(hl_store__col(s, 7), "lower");
		}
		if (hl_store__col(s, 8) && k.nvalues < sizeof(vals) / sizeof(vals[0])) {
			hl_kpi_value *v = &vals[k.nvalues++];
			memset(v, 0, sizeof(*v));
			snprintf(v->period, sizeof(v->period), "%s", hl_store__col(s, 8));
			v->actual = sqlite3_column_double(s, 9);
			v->has_target = sqlite3_column_type(s, 10) != SQLITE_NULL;
			v->target = v->has_target ? sqlite3_column_double(s, 10) : k.target;
			v->at = hl_strdup(hl_store__col(s, 11));
			v->by = hl_strdup(hl_store__col(s, 12));
		}
	}
	for (size_t i = 0; cur && i < k.nvalues; i++) {
		free(vals[i].at);
		free(vals[i].by);
	}
	for (size_t i = 0; i < 5; i++)
		free(keep[i]);
	sqlite3_finalize(s);
	if (stop)
		return stop < 0 ? stop : 0;
	return rc == SQLITE_DONE ? 0 : hl_store__error(st, "indicators");
}

int hl_store_task_cancel(hl_store *st, int64_t id, const char *reason)
{
	sqlite3_stmt *s = hl_store__prepare(st, "UPDATE task SET cancelled = ?2 WHERE id = ?1");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, reason, -1, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : hl_store__error(st, "task");
	sqlite3_finalize(s);
	return rc;
}

/* ---- calendar feeds ---- */

int hl_store_feed_put(hl_store *st, const hl_store_feed_row *r)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "INSERT INTO plan_feed(token_hash, agency, label, created_at, created_by)"
	        " VALUES (?1, ?2, ?3, ?4, ?5)");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, r->token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->agency, -1, SQLITE_STATIC);
	hl_store__bind_text(s, 3, r->label);
	sqlite3_bind_text(s, 4, r->created_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, r->created_by, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_CONSTRAINT)
		return hl_error_set(HL_ECONFLICT, "that feed exists already");
	return rc == SQLITE_DONE ? 0 : hl_store__error(st, "feed");
}

int hl_store_feed_foreach(hl_store *st, const char *agency, const char *prefix,
                          int (*cb)(const hl_store_feed_row *r, void *ud), void *ud)
{
	/* a prefix is a range of the key: [prefix, prefix + "g") holds every hex hash it starts */
	sqlite3_stmt *s = hl_store__prepare(
	    st, "SELECT token_hash, agency, label, created_at, created_by, revoked_at"
	        " FROM plan_feed WHERE (?1 IS NULL OR agency = ?1)"
	        " AND (?2 IS NULL OR (token_hash >= ?2 AND token_hash < ?2 || 'g'))"
	        " ORDER BY created_at DESC, token_hash");
	int rc;
	if (!s)
		return -1;
	hl_store__bind_text(s, 1, agency);
	hl_store__bind_text(s, 2, prefix);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_store_feed_row r = {hl_store__col(s, 0), hl_store__col(s, 1),
		                       hl_store__col(s, 2), hl_store__col(s, 3),
		                       hl_store__col(s, 4), hl_store__col(s, 5)};
		int r2 = cb(&r, ud);
		if (r2) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "feeds");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_feed_revoke(hl_store *st, const char *token_hash, const char *at)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st,
	    "UPDATE plan_feed SET revoked_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, at, -1, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : hl_store__error(st, "feed");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_plans_led_by(hl_store *st, const char *agency,
                          int (*cb)(const char *plan_id, void *ud), void *ud)
{
	/* task_agency_code (code, role) finds the agency's tasks without a scan */
	sqlite3_stmt *s = hl_store__prepare(
	    st, "SELECT DISTINCT t.plan_id FROM task_agency a JOIN task t ON t.id = a.task_id"
	        " WHERE a.code = ?1 AND a.role = 'lead' ORDER BY t.plan_id");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, agency, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int r2 = cb(hl_store__col(s, 0), ud);
		if (r2) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "plans");
	sqlite3_finalize(s);
	return rc;
}

/* ---- warnings: contacts and the notices outbox ---- */

int hl_store_contact_set(hl_store *st, const char *code, const char *email)
{
	sqlite3_stmt *s;
	char now[32];
	int rc;
	s = hl_store__prepare(st, email ? "INSERT OR REPLACE INTO agency_contact(code, email,"
	                                  " updated_at) VALUES (?1, ?2, ?3)"
	                                : "DELETE FROM agency_contact WHERE code = ?1");
	if (!s)
		return -1;
	hl_now_utc(now);
	sqlite3_bind_text(s, 1, code, -1, SQLITE_STATIC);
	if (email) {
		sqlite3_bind_text(s, 2, email, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, now, -1, SQLITE_STATIC);
	}
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : hl_store__error(st, "contact");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_contact_get(char **email, hl_store *st, const char *code)
{
	return one_text(email, st, "SELECT email FROM agency_contact WHERE code = ?1", code, NULL,
	                "contact");
}

#define NOTICE_COLS "id, task_id, agency, kind, due, created_at, sent_at, last_error, attempts"

static hl_store_notice_row notice_row(sqlite3_stmt *s)
{
	hl_store_notice_row r = {.id = sqlite3_column_int64(s, 0),
	                         .task_id = sqlite3_column_int64(s, 1),
	                         .agency = hl_store__col(s, 2),
	                         .kind = hl_store__col(s, 3),
	                         .due = hl_store__col(s, 4),
	                         .created_at = hl_store__col(s, 5),
	                         .sent_at = hl_store__col(s, 6),
	                         .last_error = hl_store__col(s, 7),
	                         .attempts = sqlite3_column_int(s, 8)};
	return r;
}

int hl_store_notice_add(int *added, hl_store *st, const char *agency, int64_t task_id,
                        const char *kind, const char *due, const char *created_at)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "INSERT OR IGNORE INTO plan_notice(agency, task_id,"
	                          " kind, due, created_at) VALUES (?1, ?2, ?3, ?4, ?5)");
	int rc;
	*added = 0;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, agency, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, task_id);
	sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, due, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, created_at, -1, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : hl_store__error(st, "notice");
	sqlite3_finalize(s);
	if (rc == 0)
		*added = sqlite3_changes(st->db) > 0;
	return rc;
}

int hl_store_notice_foreach(hl_store *st, const char *agency,
                            int (*cb)(const hl_store_notice_row *r, void *ud), void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(st, "SELECT " NOTICE_COLS " FROM plan_notice"
	                                        " WHERE ?1 IS NULL OR agency = ?1");
	int rc;
	if (!s)
		return -1;
	hl_store__bind_text(s, 1, agency);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_store_notice_row r = notice_row(s);
		int r2 = cb(&r, ud);
		if (r2) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "notices");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_notice_unsent_foreach(hl_store *st, int (*cb)(const hl_store_notice_row *r, void *ud),
                                   void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(st, "SELECT " NOTICE_COLS " FROM plan_notice"
	                                        " WHERE sent_at IS NULL ORDER BY agency, id");
	int rc;
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_store_notice_row r = notice_row(s);
		int r2 = cb(&r, ud);
		if (r2) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "notices");
	sqlite3_finalize(s);
	return rc;
}

static int notice_update(hl_store *st, const char *sql, int64_t id, const char *a, const char *b)
{
	sqlite3_stmt *s = hl_store__prepare(st, sql);
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_bind_parameter_count(s) >= 2)
		hl_store__bind_text(s, 2, a);
	if (sqlite3_bind_parameter_count(s) >= 3)
		hl_store__bind_text(s, 3, b);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : hl_store__error(st, "notice");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_notice_drop(hl_store *st, int64_t id)
{
	return notice_update(st, "DELETE FROM plan_notice WHERE id = ?1 AND sent_at IS NULL", id,
	                     NULL, NULL);
}

int hl_store_notice_attempt(hl_store *st, int64_t id, const char *sent_at, const char *error)
{
	return notice_update(st,
	                     "UPDATE plan_notice SET attempts = attempts + 1, sent_at = ?2,"
	                     " last_error = ?3 WHERE id = ?1 AND sent_at IS NULL",
	                     id, sent_at, error);
}

int hl_store_notice_note(hl_store *st, int64_t id, const char *why)
{
	return notice_update(st,
	                     "UPDATE plan_notice SET last_error = ?2 WHERE id = ?1"
	                     " AND sent_at IS NULL",
	                     id, why, NULL);
}
