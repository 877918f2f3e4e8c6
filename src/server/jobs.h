/* Long work of the server in the background (internal to src/server): a small in-memory table
 * of jobs, each one a thread with its own hl_archive, followed through GET /api/v1/jobs/{id}. */
#ifndef SERVER_JOBS_H
#define SERVER_JOBS_H

#include <stdint.h>

#include <jansson.h>

#include "halong/archive.h"
#include "halong/auth.h"

#define JOBS_MAX 32 /* jobs remembered; the oldest finished one makes room */

typedef struct server_job server_job;

/* The work, on the job's own thread with its own archive: returns 0 and *result (a new
 * reference, or NULL), or a negative HL_E code with the message set (the job fails with that
 * message; *result may still carry what was done). */
typedef int (*job_fn)(json_t **result, server_job *j, hl_archive *a, void *arg);

/* Starts a job of `kind` ("ingest", "ocr") on the data directory `home` for `who`, and answers
 * at once: *out is the job as GET /api/v1/jobs/{id} shows it (a new reference). The job
 * remembers who started it (user and unit): it is seen by a province-level caller and by the
 * callers of that unit only, like the records it touches (its result names rows and
 * documents). One job of a kind runs at a time (HL_ECONFLICT); HL_ELIMIT when JOBS_MAX jobs
 * are running. `arg` is the work's; it is freed with free_arg (may be NULL) when the job ends,
 * or here if it cannot start. */
int job_start(json_t **out, const hl_principal *who, const char *kind, const char *home, job_fn fn,
              void *arg, void (*free_arg)(void *));

/* An hl_progress_cb for the work (ud: the server_job): done/total and the phase name become the
 * job's progress. Returns non-zero once the server is stopping, so the work stops at its next
 * safe point. */
int job_progress(const char *what, uint64_t done, uint64_t total, void *ud);

/* The job's message once it is done (a one-line summary); "done" if the work sets none. */
void job_summary(server_job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Is a job of `kind` running now? */
int jobs_running(const char *kind);

/* Asks running jobs to stop, waits for them and frees the table: for hl_server_stop, and
 * registered with atexit by the first job (calling it twice is harmless). */
void jobs_shutdown(void);

#endif
