/* The server's jobs: long work (an ingest, an OCR run) on a thread of its own with its own
 * hl_archive. Each job is a row of the store (include/halong/jobs.h), so that its state, its
 * last progress and its result survive a restart; the jobs running in this process are also
 * followed in a small in-memory table, which holds their live progress.
 *
 * Data: at most JOBS_MAX jobs in memory, guarded by one mutex; a job's fields change only under
 * it. The store is written through one connection of this file (g_db, under dbmu): the row at
 * the start (before the job is answered), the progress by a writer thread at most once every
 * PROGRESS_MS (not every page or row: the number of writes follows the job's duration, not its
 * rows), and the end.
 * Invariants: a job's state goes running -> done | failed | interrupted once; its result is set
 * with that change and never touched again; the table forgets only finished jobs (their thread
 * joined). Who may see a job is the library's rule (hl_jobs_get): a province-level caller, the
 * callers of the unit whose user started it, and that user; to anyone else it answers the 404
 * of an unknown id. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "halong/catalog.h"
#include "halong/util.h"
#include "jobs.h"
#include "server_int.h"

#define PROGRESS_MS 1000 /* the store is written at most this often per job */
#define LIST_MAX    200  /* jobs listed by GET /api/v1/jobs at most */

enum { RUNNING = 0, FINISHED };

struct server_job {
	char id[HL_JOB_ID_SIZE];
	char kind[24];
	int state;
	uint64_t done, total;
	int dirty; /* progress not yet written to the store */
	char phase[64];
	char summary[512]; /* set by the work, shown once it is done */
	pthread_t thread;
	char *home;
	job_fn fn;
	void *arg;
	void (*free_arg)(void *);
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static server_job *table[JOBS_MAX];
static atomic_int stopping;

/* The store's connection for the job rows, and the thread writing progress. */
static pthread_mutex_t dbmu = PTHREAD_MUTEX_INITIALIZER;
static hl_archive *g_db;
static pthread_t g_writer;
static int g_writer_on;
static pthread_cond_t g_writer_cv = PTHREAD_COND_INITIALIZER;

/* Under dbmu: the connection, opened on first use. */
static hl_archive *db_locked(const char *home)
{
	if (!g_db && hl_archive_open(&g_db, home) < 0)
		g_db = NULL;
	return g_db;
}

static void job_free(server_job *j)
{
	if (!j)
		return;
	if (j->free_arg)
		j->free_arg(j->arg);
	free(j->home);
	free(j);
}

/* Writes the progress of every running job whose progress changed (under neither lock on
 * entry). */
static void write_progress(void)
{
	struct {
		char id[HL_JOB_ID_SIZE], phase[64], home[4096];
		uint64_t done, total;
	} p[JOBS_MAX];
	size_t n = 0;
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < JOBS_MAX; i++)
		if (table[i] && table[i]->state == RUNNING && table[i]->dirty) {
			memcpy(p[n].id, table[i]->id, sizeof(p[n].id));
			memcpy(p[n].phase, table[i]->phase, sizeof(p[n].phase));
			snprintf(p[n].home, sizeof(p[n].home), "%s", table[i]->home);
			p[n].done = table[i]->done, p[n].total = table[i]->total;
			table[i]->dirty = 0;
			n++;
		}
	pthread_mutex_unlock(&mu);
	for (size_t i = 0; i < n; i++) {
		hl_archive *db;
		pthread_mutex_lock(&dbmu);
		/* a failed write (a full disk, a busy store) is not the job's failure: the next
		 * one, or the end, writes it again */
		if ((db = db_locked(p[i].home)) &&
		    hl_jobs_progress(db, p[i].id, *p[i].phase ? p[i].phase : NULL, p[i].done,
		                     p[i].total) < 0) {
			pthread_mutex_lock(&mu);
			for (size_t k = 0; k < JOBS_MAX; k++)
				if (table[k] && !strcmp(table[k]->id, p[i].id))
					table[k]->dirty = 1;
			pthread_mutex_unlock(&mu);
		}
		pthread_mutex_unlock(&dbmu);
	}
}

static void *writer_main(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&dbmu);
	while (g_writer_on) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += PROGRESS_MS / 1000;
		ts.tv_nsec += (long)(PROGRESS_MS % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L)
			ts.tv_sec++, ts.tv_nsec -= 1000000000L;
		pthread_cond_timedwait(&g_writer_cv, &dbmu, &ts);
		if (!g_writer_on)
			break;
		pthread_mutex_unlock(&dbmu);
		write_progress();
		pthread_mutex_lock(&dbmu);
	}
	pthread_mutex_unlock(&dbmu);
	return NULL;
}

static void *job_main(void *p)
{
	server_job *j = p;
	hl_archive *a = NULL, *db;
	json_t *result = NULL;
	char msg[512], *res_text = NULL;
	const char *summary;
	uint64_t done, total;
	char phase[64];
	int rc, state;

	hl_error_clear();
	rc = hl_archive_open(&a, j->home);
	if (rc == 0)
		rc = j->fn(&result, j, a, j->arg);
	snprintf(msg, sizeof(msg), "%s", rc < 0 ? hl_error_last() : "");
	hl_archive_free(a);

	state = rc == 0 ? HL_JOB_DONE : atomic_load(&stopping) ? HL_JOB_INTERRUPTED : HL_JOB_FAILED;
	pthread_mutex_lock(&mu);
	done = j->done, total = j->total;
	memcpy(phase, j->phase, sizeof(phase));
	pthread_mutex_unlock(&mu);
	if (state == HL_JOB_INTERRUPTED)
		snprintf(
		    msg, sizeof(msg),
		    "interrupted: the server was stopped during the job (last progress: %s %llu "
		    "of %llu)",
		    *phase ? phase : "done", (unsigned long long)done, (unsigned long long)total);
	else if (rc < 0 && !*msg)
		snprintf(msg, sizeof(msg), "%s", hl_error_name(rc));
	summary = rc == 0 ? (*j->summary ? j->summary : "done") : NULL;
	res_text = result ? json_dumps(result, JSON_COMPACT) : NULL;
	json_decref(result);

	/* the end is written before the job is seen ended: a reader never sees `done` that a
	 * restart would turn back into `interrupted` */
	pthread_mutex_lock(&dbmu);
	if (!(db = db_locked(j->home)) ||
	    hl_jobs_finish(db, j->id, (hl_job_state)state, *phase ? phase : NULL, done, total,
	                   summary, res_text, rc < 0 ? msg : NULL) < 0)
		fprintf(stderr, "halong serve: job %s: its end could not be written: %s\n", j->id,
		        hl_error_last());
	pthread_mutex_unlock(&dbmu);
	free(res_text);

	pthread_mutex_lock(&mu);
	j->state = FINISHED;
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
		snprintf(j->phase, sizeof(j->phase), "%s", what);
	j->dirty = 1;
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

int job_stopping(void)
{
	return atomic_load(&stopping);
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

/* A free slot, making room by forgetting a finished job; -1 if all are running. Under mu. */
static int slot_locked(void)
{
	for (int i = 0; i < JOBS_MAX; i++)
		if (!table[i])
			return i;
	for (int i = 0; i < JOBS_MAX; i++)
		if (table[i]->state != RUNNING) {
			/* finished: its thread has returned, the join does not wait; the store
			 * keeps what it did */
			pthread_join(table[i]->thread, NULL);
			job_free(table[i]);
			table[i] = NULL;
			return i;
		}
	return -1;
}

static pthread_once_t at_exit_once = PTHREAD_ONCE_INIT;

static void register_at_exit(void)
{
	atexit(jobs_shutdown);
}

/* The job as GET /api/v1/jobs/{id} shows it, from its row; the live progress of a job running
 * in this process replaces the row's (written at most once a second). with_result: the result
 * too (a listing leaves it out). */
static json_t *job_json(const hl_job *j, int with_result)
{
	json_t *o = json_object();
	const char *msg = j->state == HL_JOB_RUNNING ? (*j->phase ? j->phase : "starting")
	                  : j->state == HL_JOB_DONE  ? (j->summary ? j->summary : "done")
	                                             : (j->error ? j->error : "failed");
	uint64_t done = j->done, total = j->total;
	char phase[64];
	snprintf(phase, sizeof(phase), "%s", j->phase);
	if (j->state == HL_JOB_RUNNING) {
		pthread_mutex_lock(&mu);
		for (size_t i = 0; i < JOBS_MAX; i++)
			if (table[i] && !strcmp(table[i]->id, j->id)) {
				done = table[i]->done, total = table[i]->total;
				if (*table[i]->phase)
					memcpy(phase, table[i]->phase, sizeof(phase));
			}
		pthread_mutex_unlock(&mu);
		msg = *phase ? phase : "starting";
	}
	json_object_set_new(o, "id", json_string(j->id));
	json_object_set_new(o, "kind", json_string(j->kind));
	json_object_set_new(o, "state", json_string(hl_job_state_name(j->state)));
	json_object_set_new(o, "done", json_integer((json_int_t)done));
	json_object_set_new(o, "total", json_integer((json_int_t)total));
	json_object_set_new(o, "phase", json_string(phase));
	json_object_set_new(o, "message", js_str(msg));
	json_object_set_new(o, "started_at", json_string(j->started_at));
	json_object_set_new(o, "ended_at",
	                    *j->finished_at ? json_string(j->finished_at) : json_null());
	json_object_set_new(o, "resumable",
	                    json_boolean(j->state == HL_JOB_INTERRUPTED && !*j->resumed_by &&
	                                 !strcmp(j->kind, "ingest") && j->params));
	json_object_set_new(o, "resumed_by",
	                    *j->resumed_by ? json_string(j->resumed_by) : json_null());
	if (with_result) {
		json_t *res = j->result ? json_loads(j->result, 0, NULL) : NULL;
		json_object_set_new(o, "result", res ? res : json_null());
	}
	return o;
}

int job_start_params(json_t **out, char *id_out, const hl_principal *who, const char *kind,
                     const char *home, const char *params, job_fn fn, void *arg,
                     void (*free_arg)(void *))
{
	server_job *j = NULL;
	hl_archive *db;
	hl_job *row = NULL;
	int slot, rc;

	if (atomic_load(&stopping)) {
		rc = hl_error_set(HL_ECONFLICT, "the server is stopping");
		goto fail;
	}
	if (!(j = calloc(1, sizeof(*j))) || !(j->home = hl_strdup(home))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto fail;
	}
	snprintf(j->kind, sizeof(j->kind), "%s", kind);
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
	table[slot] = j; /* holds the slot and the kind while the row is written */
	pthread_mutex_unlock(&mu);

	/* the row first: a job the store cannot hold (a full disk) is refused, not started */
	pthread_mutex_lock(&dbmu);
	if (!(db = db_locked(home)))
		rc = -1;
	else if ((rc = hl_jobs_add(j->id, db, who, kind, params)) == 0 &&
	         (rc = hl_jobs_get(&row, db, who, j->id)) < 0)
		hl_jobs_finish(db, j->id, HL_JOB_FAILED, NULL, 0, 0, NULL, NULL, hl_error_last());
	if (rc == 0 && !g_writer_on) {
		g_writer_on = 1;
		if (pthread_create(&g_writer, NULL, writer_main, NULL) != 0)
			g_writer_on = 0; /* progress is then written at the end only */
	}
	pthread_mutex_unlock(&dbmu);
	if (rc == 0 && pthread_create(&j->thread, NULL, job_main, j) != 0) {
		rc = hl_error_set(HL_ERROR, "cannot start a thread for the job");
		pthread_mutex_lock(&dbmu);
		hl_jobs_finish(db, j->id, HL_JOB_FAILED, NULL, 0, 0, NULL, NULL, hl_error_last());
		pthread_mutex_unlock(&dbmu);
	}
	if (rc < 0) {
		pthread_mutex_lock(&mu);
		table[slot] = NULL;
		pthread_mutex_unlock(&mu);
		hl_job_free(row);
		goto fail;
	}
	*out = job_json(row, 1);
	if (id_out)
		memcpy(id_out, j->id, HL_JOB_ID_SIZE);
	hl_job_free(row);
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

int job_start(json_t **out, const hl_principal *who, const char *kind, const char *home, job_fn fn,
              void *arg, void (*free_arg)(void *))
{
	return job_start_params(out, NULL, who, kind, home, NULL, fn, arg, free_arg);
}

void jobs_recover(hl_archive *a)
{
	size_t n = 0;
	char *dir = hl_path_join(hl_archive_dir(a), "jobs");
	DIR *d;
	struct dirent *e;

	if (hl_jobs_recover(&n, a) < 0)
		fprintf(stderr,
		        "halong serve: the jobs of a stopped server could not be marked: %s\n",
		        hl_error_last());
	else if (n)
		fprintf(stderr,
		        "halong serve: %zu job(s) left running by a stopped server marked "
		        "interrupted\n",
		        n);
	/* the kept manifests of jobs that can no longer be resumed */
	if (!dir || !(d = opendir(dir))) {
		free(dir);
		return;
	}
	while ((e = readdir(d))) {
		char *sub, *f;
		int kept = 1;
		DIR *sd;
		struct dirent *se;
		if (e->d_name[0] == '.' || !(sub = hl_path_join(dir, e->d_name)))
			continue;
		if (hl_jobs_dir_kept(&kept, a, sub) == 0 && !kept && (sd = opendir(sub))) {
			while ((se = readdir(sd)))
				if (se->d_name[0] != '.' && (f = hl_path_join(sub, se->d_name))) {
					unlink(f);
					free(f);
				}
			closedir(sd);
			rmdir(sub);
		}
		free(sub);
	}
	closedir(d);
	free(dir);
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
	pthread_mutex_lock(&dbmu);
	if (g_writer_on) {
		g_writer_on = 0;
		pthread_cond_signal(&g_writer_cv);
		pthread_mutex_unlock(&dbmu);
		pthread_join(g_writer, NULL);
		pthread_mutex_lock(&dbmu);
	}
	hl_archive_free(g_db);
	g_db = NULL;
	pthread_mutex_unlock(&dbmu);
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

/* A job whose result names a dataset (a dataset load: its bad cells show values of the rows) is
 * seen only by those who may read that dataset: anyone else gets the 404 of an unknown id. */
static int dataset_readable(request *r, const hl_job *j)
{
	json_t *res = j->result ? json_loads(j->result, 0, NULL) : NULL;
	const char *ds = json_string_value(json_object_get(res, "dataset"));
	hl_dataset *d = NULL;
	int ok = 1;
	if (ds) {
		if (hl_dataset_get(&d, req_store(r), &r->who, ds) < 0)
			ok = 0;
		hl_dataset_free(d);
	}
	json_decref(res);
	return ok;
}

/* GET /api/v1/jobs/{id}: for those who may start jobs and for inspectors, each seeing the jobs
 * of their unit (the province: all), and for whoever started the job. A job of another unit
 * answers exactly as an unknown id. The row is the store's: a job ended before a restart is
 * read as it ended, one cut by a restart as interrupted. */
static int job_get(request *r)
{
	const char *id = req_param(r, "id");
	hl_job *j = NULL;
	json_t *o;
	int rc;
	if ((rc = hl_jobs_get(&j, r->archive, &r->who, id)) < 0)
		return rc;
	if (!dataset_readable(r, j)) {
		hl_job_free(j);
		return hl_error_set(HL_ENOTFOUND, "no job %.40s", id);
	}
	o = job_json(j, 1);
	hl_job_free(j);
	filter_failures(r, o);
	return resp_json(r, 200, o);
}

typedef struct {
	request *r;
	json_t *a;
} list_ctx;

static int list_one(const hl_job *j, void *ud)
{
	list_ctx *c = ud;
	if (dataset_readable(c->r, j))
		json_array_append_new(c->a, job_json(j, 0));
	return 0;
}

/* GET /api/v1/jobs?limit=N: the jobs the caller may see (the rule of GET /api/v1/jobs/{id}),
 * newest first, without their results (GET /api/v1/jobs/{id} gives one's). */
static int job_list(request *r)
{
	uint64_t limit;
	list_ctx c = {r, NULL};
	int rc;
	if ((rc = req_uint(&limit, r, "limit", 50, 1, LIST_MAX)) != 0)
		return rc;
	c.a = json_array();
	if ((rc = hl_jobs_list(r->archive, &r->who, (size_t)limit, list_one, &c)) < 0) {
		json_decref(c.a);
		return rc;
	}
	return resp_json(r, 200, json_pack("{s:o}", "jobs", c.a));
}

/* POST /api/v1/jobs/{id}/resume: an interrupted ingest goes on as a new job on the manifest
 * the old one kept (ingest is idempotent: the rows already in are found unchanged by their
 * hash, the rest are added). The caller must see the old job and may ingest. */
static int job_resume(request *r)
{
	const char *id = req_param(r, "id");
	hl_job *j = NULL;
	json_t *out = NULL;
	char nid[HL_JOB_ID_SIZE];
	int rc;
	if ((rc = hl_auth_check(&r->who, HL_ACT_INGEST)) != 0)
		return rc;
	if ((rc = hl_jobs_get(&j, r->archive, &r->who, id)) < 0)
		return rc;
	if (strcmp(j->kind, "ingest") || j->state != HL_JOB_INTERRUPTED || !j->params) {
		rc = hl_error_set(HL_ECONFLICT,
		                  "job %s cannot be resumed: only an interrupted ingest can (it is "
		                  "%s, %s)",
		                  j->id, j->kind, hl_job_state_name(j->state));
		goto done;
	}
	if (*j->resumed_by) {
		rc = hl_error_set(HL_ECONFLICT, "job %s was resumed already by job %s", j->id,
		                  j->resumed_by);
		goto done;
	}
	if ((rc = ingest_resume(&out, nid, r, j)) != 0)
		goto done; /* refused, or answered (429) */
	pthread_mutex_lock(&dbmu);
	if (hl_jobs_resumed(r->archive, j->id, nid) < 0)
		fprintf(stderr, "halong serve: job %s: its resume by %s could not be noted: %s\n",
		        j->id, nid, hl_error_last());
	pthread_mutex_unlock(&dbmu);
	rc = resp_json(r, 202, json_pack("{s:o}", "job", out));
done:
	hl_job_free(j);
	return rc;
}

const route routes_jobs[] = {
    {M_GET, "/api/v1/jobs", job_list, 0, 0},
    {M_GET, "/api/v1/jobs/{id}", job_get, 0, 0},
    {M_POST, "/api/v1/jobs/{id}/resume", job_resume, 0, 0},
    {0},
};
