/* The server's jobs (an ingest, an OCR run, a dataset load, a plan import started from the API)
 * kept in the store, so that what they did and how far they got survives a restart. */
#ifndef HALONG_JOBS_H
#define HALONG_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "halong/archive.h"
#include "halong/auth.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 'j' and 16 hex digits of random bytes, and the NUL. */
#define HL_JOB_ID_SIZE 18

/* How long finished jobs are kept: a finished job is removed (at a server's start) once it
 * ended more than HL_JOBS_KEEP_DAYS days ago AND it is not among the HL_JOBS_KEEP newest
 * finished jobs. */
#define HL_JOBS_KEEP_DAYS 30
#define HL_JOBS_KEEP      200

typedef enum {
	HL_JOB_RUNNING = 0,
	HL_JOB_DONE,
	HL_JOB_FAILED,
	/* the process running it ended first (killed, stopped, the machine went down): its
	 * progress is the last one written */
	HL_JOB_INTERRUPTED,
} hl_job_state;

typedef struct {
	char id[HL_JOB_ID_SIZE];
	char kind[24]; /* "ingest", "ocr", "dataset-load", "plan-import" */
	hl_job_state state;
	int64_t who;   /* the user id of whoever started it */
	char unit[16]; /* that user's unit: who may see the job */
	char created_at[32], started_at[32], finished_at[32]; /* UTC; "" when not yet */
	uint64_t done, total;
	char phase[64];
	char *summary;                   /* the one-line outcome of a finished job, or NULL */
	char *result;                    /* JSON text, or NULL */
	char *error;                     /* why it failed or was interrupted, or NULL */
	char *params;                    /* JSON text of what a resume needs, or NULL */
	char resumed_by[HL_JOB_ID_SIZE]; /* the job that took it over, or "" */
} hl_job;

void hl_job_free(hl_job *j);

/* "running", "done", "failed", "interrupted". */
const char *hl_job_state_name(hl_job_state s);

/* Records a new job `running`, of `kind`, started by `who` (its user and unit), owned by this
 * process; params: JSON text or NULL. *id (written on success) is new and unguessable: 8
 * random bytes, checked unique against the store. HL_EIO with the store's message when it
 * cannot be written (a full disk: "database or disk is full"). */
int hl_jobs_add(char id[HL_JOB_ID_SIZE], hl_archive *a, const hl_principal *who, const char *kind,
                const char *params);

/* The progress of a running job. The store is written each time: callers bound the rate
 * (src/server/jobs.c writes at most about once a second). phase may be NULL (kept). */
int hl_jobs_progress(hl_archive *a, const char *id, const char *phase, uint64_t done,
                     uint64_t total);

/* A running job ends in `state` (not HL_JOB_RUNNING) with its last progress and its summary,
 * result (JSON) and error, each may be NULL. HL_ENOTFOUND when the job is not running. */
int hl_jobs_finish(hl_archive *a, const char *id, hl_job_state state, const char *phase,
                   uint64_t done, uint64_t total, const char *summary, const char *result,
                   const char *error);

/* The job `id` as `who` may see it: whoever started it, and callers who may follow jobs
 * (HL_ACT_JOBS_READ) of its unit (the province's: every unit). A job `who` may not see is
 * HL_ENOTFOUND with the message of an unknown id ("no job ID"); a caller who may not follow
 * jobs and did not start this one gets hl_auth_check's refusal. */
int hl_jobs_get(hl_job **out, hl_archive *a, const hl_principal *who, const char *id);

/* The jobs `who` may see (the rule of hl_jobs_get), newest first, at most `limit`: cb(job)
 * each (valid during the call; non-zero stops and is returned). A caller who may not follow
 * jobs sees only the ones he started. */
int hl_jobs_list(hl_archive *a, const hl_principal *who, size_t limit,
                 int (*cb)(const hl_job *j, void *ud), void *ud);

/* At a server's start: every job left `running` by a process that is gone becomes
 * HL_JOB_INTERRUPTED (now, its last progress kept, an error saying so); then old finished
 * jobs are removed (HL_JOBS_KEEP_DAYS, HL_JOBS_KEEP). *interrupted (may be NULL) counts the
 * jobs marked. */
int hl_jobs_recover(size_t *interrupted, hl_archive *a);

/* The interrupted job `id` was taken over by the job `by` (a resume). */
int hl_jobs_resumed(hl_archive *a, const char *id, const char *by);

/* *kept = 1 while a job that is running, or interrupted and not resumed, names the folder
 * `dir` as its "dir" param (the files a resume needs): a folder of no such job may go. */
int hl_jobs_dir_kept(int *kept, hl_archive *a, const char *dir);

#ifdef __cplusplus
}
#endif
#endif
