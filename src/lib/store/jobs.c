/* Every SQL statement of the server's jobs (schema migration 17): a row per job, its progress,
 * its end, and the pruning of old finished ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halong/util.h"
#include "store/store_jobs.h"
#include "store_int.h"

#define JOB_COLS                                                                                   \
	"id, kind, state, who, unit, owner, created_at, started_at, finished_at, done, total,"     \
	" phase, summary, result, error, params, resumed_by"

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static int exec1(hl_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return hl_store__error(st, what);
	return 0;
}

void hl_store_job_clear(hl_store_job *j)
{
	if (!j)
		return;
	free(j->summary);
	free(j->result);
	free(j->error);
	free(j->params);
	j->summary = j->result = j->error = j->params = NULL;
}

static char *dup_col(sqlite3_stmt *s, int i)
{
	const char *v = hl_store__col(s, i);
	return v ? hl_strdup(v) : NULL;
}

#define COPY(dst, i)                                                                               \
	snprintf(dst, sizeof(dst), "%s", hl_store__col(s, i) ? hl_store__col(s, i) : "")

/* The row of s (JOB_COLS) into *j; -1 (out of memory) with *j cleared. */
static int row(hl_store_job *j, sqlite3_stmt *s)
{
	memset(j, 0, sizeof(*j));
	COPY(j->id, 0);
	COPY(j->kind, 1);
	COPY(j->state, 2);
	j->who = sqlite3_column_int64(s, 3);
	COPY(j->unit, 4);
	COPY(j->owner, 5);
	COPY(j->created_at, 6);
	COPY(j->started_at, 7);
	COPY(j->finished_at, 8);
	j->done = sqlite3_column_int64(s, 9);
	j->total = sqlite3_column_int64(s, 10);
	COPY(j->phase, 11);
	COPY(j->resumed_by, 16);
	j->summary = dup_col(s, 12);
	j->result = dup_col(s, 13);
	j->error = dup_col(s, 14);
	j->params = dup_col(s, 15);
	if ((hl_store__col(s, 12) && !j->summary) || (hl_store__col(s, 13) && !j->result) ||
	    (hl_store__col(s, 14) && !j->error) || (hl_store__col(s, 15) && !j->params)) {
		hl_store_job_clear(j);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	return 0;
}

int hl_store_job_add(hl_store *st, const hl_store_job *j)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "INSERT INTO job (id, kind, who, unit, owner, created_at, started_at, params, n)"
	        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7,"
	        " (SELECT coalesce(max(n), 0) + 1 FROM job))");
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, j->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, j->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, j->who);
	sqlite3_bind_text(s, 4, j->unit, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, j->owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, j->created_at, -1, SQLITE_STATIC);
	bind_text(s, 7, j->params);
	return exec1(st, s, "job: add");
}

int hl_store_job_progress(hl_store *st, const char *id, const char *phase, int64_t done,
                          int64_t total)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "UPDATE job SET phase = coalesce(?2, phase), done = ?3, total = ?4"
	        " WHERE id = ?1 AND state = 'running'");
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	bind_text(s, 2, phase);
	sqlite3_bind_int64(s, 3, done);
	sqlite3_bind_int64(s, 4, total);
	return exec1(st, s, "job: progress");
}

int hl_store_job_finish(hl_store *st, const char *id, const char *state, const char *at,
                        const char *phase, int64_t done, int64_t total, const char *summary,
                        const char *result, const char *error)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "UPDATE job SET state = ?2, finished_at = ?3, phase = coalesce(?4, phase),"
	        " done = ?5, total = ?6, summary = ?7, result = ?8, error = ?9"
	        " WHERE id = ?1 AND state = 'running'");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, at, -1, SQLITE_STATIC);
	bind_text(s, 4, phase);
	sqlite3_bind_int64(s, 5, done);
	sqlite3_bind_int64(s, 6, total);
	bind_text(s, 7, summary);
	bind_text(s, 8, result);
	bind_text(s, 9, error);
	if ((rc = exec1(st, s, "job: finish")) < 0)
		return rc;
	if (sqlite3_changes(st->db) == 0)
		return hl_error_set(HL_ENOTFOUND, "no running job %.40s", id);
	return 0;
}

int hl_store_job_get(hl_store_job *out, hl_store *st, const char *id)
{
	sqlite3_stmt *s = hl_store__prepare(st, "SELECT " JOB_COLS " FROM job WHERE id = ?1");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		rc = row(out, s);
		sqlite3_finalize(s);
		return rc;
	}
	if (rc != SQLITE_DONE)
		rc = hl_store__error(st, "job: get");
	else
		rc = hl_error_set(HL_ENOTFOUND, "no job %.40s", id);
	sqlite3_finalize(s);
	return rc;
}

int hl_store_job_each(hl_store *st, int running_only, size_t limit,
                      int (*cb)(const hl_store_job *j, void *ud), void *ud)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "SELECT " JOB_COLS " FROM job WHERE ?1 = 0 OR state = 'running'"
	                          " ORDER BY n DESC LIMIT ?2");
	int rc, out = 0;
	if (!s)
		return -1;
	sqlite3_bind_int(s, 1, running_only);
	sqlite3_bind_int64(s, 2, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_store_job j;
		if ((out = row(&j, s)) < 0)
			break;
		out = cb(&j, ud);
		hl_store_job_clear(&j);
		if (out)
			break;
	}
	if (!out && rc != SQLITE_DONE)
		out = hl_store__error(st, "job: list");
	sqlite3_finalize(s);
	return out;
}

int hl_store_job_resumed(hl_store *st, const char *id, const char *by)
{
	sqlite3_stmt *s = hl_store__prepare(st, "UPDATE job SET resumed_by = ?2 WHERE id = ?1");
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, by, -1, SQLITE_STATIC);
	return exec1(st, s, "job: resumed");
}

int hl_store_job_prune(int64_t *removed, hl_store *st, const char *before, int64_t keep)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "DELETE FROM job WHERE state <> 'running' AND finished_at < ?1"
	                          " AND id NOT IN (SELECT id FROM job WHERE state <> 'running'"
	                          "  ORDER BY finished_at DESC, n DESC LIMIT ?2)");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, before, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, keep);
	if ((rc = exec1(st, s, "job: prune")) < 0)
		return rc;
	*removed = sqlite3_changes(st->db);
	return 0;
}

int hl_store_job_dir_kept(int *kept, hl_store *st, const char *dir)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "SELECT 1 FROM job WHERE (state = 'running' OR (state = 'interrupted'"
	        " AND resumed_by IS NULL)) AND json_extract(params, '$.dir') = ?1 LIMIT 1");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, dir, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return hl_store__error(st, "job: files kept");
	*kept = rc == SQLITE_ROW;
	return 0;
}
