/* Long work of the server in the background (internal to src/server): each job a thread with
 * its own hl_archive, its state kept in the store (include/halong/jobs.h) so that it survives
 * a restart, followed through GET /api/v1/jobs/{id} and listed by GET /api/v1/jobs. */
#ifndef SERVER_JOBS_H
#define SERVER_JOBS_H

#include <stdint.h>

#include <jansson.h>

#include "halong/archive.h"
#include "halong/auth.h"
#include "halong/jobs.h"
#include "server_int.h"

#define JOBS_MAX 32 /* jobs followed in memory; the oldest finished one makes room */

typedef struct server_job server_job;

/* The work, on the job's own thread with its own archive: returns 0 and *result (a new
 * reference, or NULL), or a negative HL_E code with the message set (the job fails with that
 * message; *result may still carry what was done). When the server stops during the work
 * (job_stopping()), the job is `interrupted` instead. */
typedef int (*job_fn)(json_t **result, server_job *j, hl_archive *a, void *arg);

/* Starts a job of `kind` ("ingest", "ocr") on the data directory `home` for `who`, and answers
 * at once: *out is the job as GET /api/v1/jobs/{id} shows it (a new reference). The job is
 * written in the store first (refused with the store's message when it cannot be: a full
 * disk), with `params` (JSON text of what a resume needs, may be NULL). The job remembers who
 * started it (user and unit): it is seen by a province-level caller and by the callers of
 * that unit only, like the records it touches (its result names rows and documents). One job
 * of a kind runs at a time (HL_ECONFLICT); HL_ELIMIT when JOBS_MAX jobs are running. `arg`
 * is the work's; it is freed with free_arg (may be NULL) when the job ends, or here if it
 * cannot start. *id_out (may be NULL) gets the new id. */
int job_start(json_t **out, const hl_principal *who, const char *kind, const char *home, job_fn fn,
              void *arg, void (*free_arg)(void *));
int job_start_params(json_t **out, char *id_out, const hl_principal *who, const char *kind,
                     const char *home, const char *params, job_fn fn, void *arg,
                     void (*free_arg)(void *));

/* An hl_progress_cb for the work (ud: the server_job): done/total and the phase name become the
 * job's progress (kept in memory at once, written to the store at most about once a second).
 * Returns non-zero once the server is stopping, so the work stops at its next safe point. */
int job_progress(const char *what, uint64_t done, uint64_t total, void *ud);

/* The job's message once it is done (a one-line summary); "done" if the work sets none. */
void job_summary(server_job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Is the server stopping (the job that fails now is interrupted, not failed)? */
int job_stopping(void);

/* Is a job of `kind` running now? */
int jobs_running(const char *kind);

/* At the server's start, on its first archive: jobs a dead process left running become
 * interrupted, old finished jobs go, and the kept files of jobs no longer resumable
 * (HOME/jobs/) are removed. Problems are written to stderr: a server starts anyway. */
void jobs_recover(hl_archive *a);

/* Asks running jobs to stop, waits for them and frees the table: for hl_server_stop, and
 * registered with atexit by the first job (calling it twice is harmless). */
void jobs_shutdown(void);

/* POST /api/v1/jobs/{id}/resume of an interrupted ingest (h_ocr.c): a new ingest job on the
 * manifest the old one kept (params {"ocr", "dir"}), for `r`'s caller; *out as job_start's. */
int ingest_resume(json_t **out, char *id_out, request *r, const hl_job *old);

#endif
