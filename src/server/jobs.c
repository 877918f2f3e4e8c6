/* The server's jobs: long work (an ingest, an OCR run) on a thread of its own with its own
 * hl_archive, its progress kept in a small in-memory table and shown by GET /api/v1/jobs/{id}.
 *
 * Data: at most JOBS_MAX jobs, guarded by one mutex; a job's fields change only under it.
 * Invariants: a job's state goes running -> done | failed once; its result is set with that
 * change and never touched again; the table forgets only finished jobs (their thread joined).
 * A job is seen by a province-level caller, and otherwise only by the callers of the unit
 * whose user started it; to anyone else it answers the 404 of an unknown id. */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "halong/catalog.h"
#include "halong/util.h"
#include "jobs.h"
#include "server_int.h"

enum { RUNNING = 0, DONE, FAILED };

struct server_job {
	char id[20];
	char kind[16];
	int state;
	uint64_t done, total;
	char message[512];
	char summary[512]; /* set by the work, shown once it is done */
	char started_at[32], ended_at[32];
	char user[64], unit[16]; /* who started it: set at the start, never changed */
	json_t *result;
	pthread_t thread;
	char *home;
	job_fn fn;
	void *arg;
	void (*free_arg)(void *);
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static server_job *table[JOBS_MAX];
static atomic_int stopping;

static const char *state_name(int s)
{
	return s == RUNNING ? "running" : s == DONE ? "done" : "failed";
}

/* Under mu. */
static json_t *job_json(const server_job *j)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(j->id));
	json_object_set_new(o, "kind", json_string(j->kind));
	json_object_set_new(o, "state", json_string(state_name(j->state)));
	json_object_set_new(o, "done", json_integer((json_int_t)j->done));
	json_object_set_new(o, "total", json_integer((json_int_t)j->total));
	json_object_set_new(o, "message", js_str(j->message));
	json_object_set_new(o, "started_at", json_string(j->started_at));
	json_object_set_new(o, "ended_at", *j->ended_at ? json_string(j->ended_at) : json_null());
	/* a copy: the caller serialises it outside the lock */
	json_object_set_new(o, "result", j->result ? json_deep_copy(j->result) : json_null());
	return o;
}

static void job_free(server_job *j)
{
	if (!j)
		return;
	if (j->free_arg)
		j->free_arg(j->arg);
	json_decref(j->result);
	free(j->home);
	free(j);
}

static void *job_main(void *p)
{
	server_job *j = p;
	hl_archive *a = NULL;
	json_t *result = NULL;
	char msg[512];
	int rc;

	hl_error_clear();
	rc = hl_archive_open(&a, j->home);
	if (rc == 0)
		rc = j->fn(&result, j, a, j->arg);
	snprintf(msg, sizeof(msg), "%s", rc < 0 ? hl_error_last() : "");
	hl_archive_free(a);

	pthread_mutex_lock(&mu);
	j->state = rc < 0 ? FAILED : DONE;
	if (rc < 0)
		snprintf(j->message, sizeof(j->message), "%s", *msg ? msg : hl_error_name(rc));
	else
		snprintf(j->message, sizeof(j->message), "%s", *j->summary ? j->summary : "done");
	j->result = result;
	hl_now_utc(j->ended_at);
	pthread_mutex_unlock(&mu);
	/* the work's files and buffers go now, not when the table forgets the job */
	if (j->free_arg)
		j->free_arg(j->arg);
	j->free_arg = NULL, j->arg = NULL;
	return NULL;
}

int job_progress(const char *what, uint64_t done, uint64_t total, void *ud)
{
	server_job *j = ud;
	pthread_mutex_lock(&mu);
	j->done = done;
	j->total = total;
	if (what)
		snprintf(j->message, sizeof(j->message), "%s", what);
	pthread_mutex_unlock(&mu);
	return atomic_load(&stopping);
}

void job_summary(server_job *j, const char *fmt, ...)
{
	va_list ap;
	/* only the job's own thread writes it, before job_main reads it on the same thread */
	va_start(ap, fmt);
	vsnprintf(j->summary, sizeof(j->summary), fmt, ap);
	va_end(ap);
}

/* Under mu. */
static int running_locked(const char *kind)
{
	for (size_t i = 0; i < JOBS_MAX; i++)
		if (table[i] && table[i]->state == RUNNING &&
		    (!kind || !strcmp(table[i]->kind, kind)))
			return 1;
	return 0;
}

int jobs_running(const char *kind)
{
	int r;
	pthread_mutex_lock(&mu);
	r = running_locked(kind);
	pthread_mutex_unlock(&mu);
	return r;
}

/* A free slot, making room by forgetting the oldest finished job; -1 if all are running.
 * Under mu. */
static int slot_locked(void)
{
	int oldest = -1;
	for (int i = 0; i < JOBS_MAX; i++) {
		if (!table[i])
			return i;
		if (table[i]->state != RUNNING &&
		    (oldest < 0 || strcmp(table[i]->started_at, table[oldest]->started_at) < 0))
			oldest = i;
	}
	if (oldest >= 0) {
		/* finished: its thread has returned, the join does not wait */
		pthread_join(table[oldest]->thread, NULL);
		job_free(table[oldest]);
		table[oldest] = NULL;
	}
	return oldest;
}

static pthread_once_t at_exit_once = PTHREAD_ONCE_INIT;

static void register_at_exit(void)
{
	atexit(jobs_shutdown);
}

int job_start(json_t **out, const hl_principal *who, const char *kind, const char *home, job_fn fn,
              void *arg, void (*free_arg)(void *))
{
	unsigned char rnd[8];
	server_job *j = NULL;
	int slot, rc;

	if (atomic_load(&stopping)) {
		rc = hl_error_set(HL_ECONFLICT, "the server is stopping");
		goto fail;
	}
	/* unguessable ids: a job's result names documents and rejected rows */
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		rc = hl_error_set(HL_ERROR, "no random bytes for a job id");
		goto fail;
	}
	if (!(j = calloc(1, sizeof(*j))) || !(j->home = hl_strdup(home))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto fail;
	}
	snprintf(j->id, sizeof(j->id), "j%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
	         rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	snprintf(j->kind, sizeof(j->kind), "%s", kind);
	snprintf(j->user, sizeof(j->user), "%s", who->username);
	snprintf(j->unit, sizeof(j->unit), "%s", who->unit_code);
	snprintf(j->message, sizeof(j->message), "starting");
	hl_now_utc(j->started_at);
	j->fn = fn, j->arg = arg, j->free_arg = free_arg;

	/* a job must not be cut by the process ending: at exit, jobs are asked to stop and
	 * joined (hl_server_stop may do it earlier; doing it twice is harmless) */
	pthread_once(&at_exit_once, register_at_exit);
	pthread_mutex_lock(&mu);
	if (running_locked(kind)) {
		pthread_mutex_unlock(&mu);
		rc = hl_error_set(HL_ECONFLICT, "a job of kind %s is running already", kind);
		goto fail;
	}
	if ((slot = slot_locked()) < 0) {
		pthread_mutex_unlock(&mu);
		rc = hl_error_set(HL_ELIMIT, "%d jobs are running: try again later", JOBS_MAX);
		goto fail;
	}
	if (pthread_create(&j->thread, NULL, job_main, j) != 0) {
		pthread_mutex_unlock(&mu);
		rc = hl_error_set(HL_ERROR, "cannot start a thread for the job");
		goto fail;
	}
	table[slot] = j;
	*out = job_json(j);
	pthread_mutex_unlock(&mu);
	return 0;
fail:
	if (j) {
		j->free_arg = NULL;
		job_free(j);
	}
	if (free_arg)
		free_arg(arg);
	return rc;
}

void jobs_shutdown(void)
{
	atomic_store(&stopping, 1);
	/* the threads take mu to finish: join them without holding it */
	for (size_t i = 0; i < JOBS_MAX; i++) {
		server_job *j;
		pthread_mutex_lock(&mu);
		j = table[i];
		table[i] = NULL;
		pthread_mutex_unlock(&mu);
		if (j) {
			pthread_join(j->thread, NULL);
			job_free(j);
		}
	}
	/* a server started again in the same process (a test) may run jobs again */
	atomic_store(&stopping, 0);
}

/* A job's result may name documents (an OCR run's failures cover every page, secret ones and
 * other units' included, whoever started the run): the reader sees only the entries of
 * documents it may see, as GET /api/v1/ocr/status lists them. */
static void filter_failures(request *r, json_t *job)
{
	json_t *res = json_object_get(job, "result");
	json_t *f = res ? json_object_get(res, "failures") : NULL;
	size_t i = 0;
	if (!json_is_array(f))
		return;
	while (i < json_array_size(f)) {
		const char *id = json_string_value(json_object_get(json_array_get(f, i), "doc_id"));
		if (id && hl_archive_may_see(r->archive, &r->who, id)) {
			i++;
			continue;
		}
		/* hidden, missing or unreadable: refusing is the safe answer */
		json_array_remove(f, i);
	}
}

/* May `who` see job j? The library's rule on what a unit's users did (hl_auth_sees_unit). Under
 * mu (the fields read are set before the job enters the table). */
static int job_visible(const server_job *j, const hl_principal *who)
{
	return hl_auth_sees_unit(who, j->unit);
}

/* Did `who` start job j (a user logged in: an officer follows the load of a dataset he started,
 * though HL_ACT_JOBS_READ is not his)? Under mu. */
static int job_mine(const server_job *j, const hl_principal *who)
{
	return who->user_id && *who->username && !strcmp(j->user, who->username);
}

/* A job whose result names a dataset (a dataset load: its bad cells show values of the rows) is
 * seen only by those who may read that dataset: anyone else gets the 404 of an unknown id. */
static int dataset_readable(request *r, json_t *job)
{
	json_t *res = json_object_get(job, "result");
	const char *ds = json_string_value(json_object_get(res, "dataset"));
	hl_dataset *d = NULL;
	if (!ds)
		return 1;
	if (hl_dataset_get(&d, req_store(r), &r->who, ds) < 0)
		return 0;
	hl_dataset_free(d);
	return 1;
}

/* GET /api/v1/jobs/{id}: for those who may start jobs and for inspectors, each seeing the jobs
 * of their unit (the province: all), and for whoever started the job. A job of another unit
 * answers exactly as an unknown id. */
static int job_get(request *r)
{
	const char *id = req_param(r, "id");
	json_t *o = NULL;
	int denied = hl_auth_check(&r->who, HL_ACT_JOBS_READ);
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < JOBS_MAX && !o; i++)
		if (table[i] && !strcmp(table[i]->id, id) &&
		    (job_mine(table[i], &r->who) || (!denied && job_visible(table[i], &r->who))))
			o = job_json(table[i]);
	pthread_mutex_unlock(&mu);
	if (!o && denied)
		return denied; /* as before: those who may not follow jobs are told so */
	if (!o || !dataset_readable(r, o)) {
		json_decref(o);
		return hl_error_set(HL_ENOTFOUND, "no job %.40s", id);
	}
	filter_failures(r, o);
	return resp_json(r, 200, o);
}

const route routes_jobs[] = {
    {M_GET, "/api/v1/jobs/{id}", job_get, 0, 0},
    {0},
};
