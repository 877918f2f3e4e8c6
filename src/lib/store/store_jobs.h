/* The store's statements for the server's jobs (schema migration 17; the SQL lives in
 * src/lib/store/jobs.c, the rules in src/lib/ops/jobs.c, its only caller). */
#ifndef HALONG_STORE_JOBS_H
#define HALONG_STORE_JOBS_H

#include "store/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A row of `job`. The strings of a row read by hl_store_job_get/_each are malloc'd (NULL when
 * the column is NULL) and freed with hl_store_job_clear. */
typedef struct {
	char id[24], kind[24], state[16], unit[16], owner[64], phase[64], resumed_by[24];
	int64_t who, done, total;
	char created_at[32], started_at[32], finished_at[32];
	char *summary, *result, *error, *params;
} hl_store_job;

void hl_store_job_clear(hl_store_job *j);

/* Inserts a job `running` (id, kind, who, unit, owner, created_at = started_at, params).
 * HL_ECONFLICT when the id exists. */
int hl_store_job_add(hl_store *st, const hl_store_job *j);
/* Progress of a running job (a job no longer running is left as it is). */
int hl_store_job_progress(hl_store *st, const char *id, const char *phase, int64_t done,
                          int64_t total);
/* A running job ends: state ("done", "failed", "interrupted"), at, and its summary, result
 * (JSON) and error (each may be NULL), progress too. HL_ENOTFOUND when no running job has
 * the id (it ended already: a row ends once). */
int hl_store_job_finish(hl_store *st, const char *id, const char *state, const char *at,
                        const char *phase, int64_t done, int64_t total, const char *summary,
                        const char *result, const char *error);
/* The job `id`: HL_ENOTFOUND when none. */
int hl_store_job_get(hl_store_job *out, hl_store *st, const char *id);
/* Jobs newest first (created_at, then id), at most `limit`; running_only: those `running`.
 * cb's row is valid during the call; a non-zero return of cb stops and is returned. */
int hl_store_job_each(hl_store *st, int running_only, size_t limit,
                      int (*cb)(const hl_store_job *j, void *ud), void *ud);
/* An interrupted job taken over by the job `by`. */
int hl_store_job_resumed(hl_store *st, const char *id, const char *by);
/* Removes finished jobs (not running) that ended before `before` and are not among the `keep`
 * newest finished ones; *removed counts them. */
int hl_store_job_prune(int64_t *removed, hl_store *st, const char *before, int64_t keep);

/* *kept = 1 when a job running, or interrupted and not resumed, names `dir` in its params
 * ($.dir): its files are still needed. */
int hl_store_job_dir_kept(int *kept, hl_store *st, const char *dir);

#ifdef __cplusplus
}
#endif
#endif
