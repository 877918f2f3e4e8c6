/* The digitization endpoints of the API (docs/api.md "Digitization and jobs"): OCR status and
 * review, and the long work — an OCR run, a manifest ingest — started as jobs (jobs.c). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "halong/archive_json.h"
#include "halong/ocr.h"
#include "halong/util.h"
#include "jobs.h"
#include "server_int.h"

#define MAX_LISTED   1000 /* rejected rows, warnings, failures kept in a job's result */
#define MAX_OCR_JOBS 64   /* worker threads of an OCR run asked over HTTP */

static json_t *jstr(const char *s)
{
	return s ? js_str(s) : json_null();
}

/* ---- GET /api/v1/ocr/status ---- */

static int failed_row(const hl_page_row *row, void *ud)
{
	json_t *e = json_object();
	json_object_set_new(e, "doc_id", jstr(row->doc_id));
	json_object_set_new(e, "file", jstr(row->file_name));
	json_object_set_new(e, "page_no", json_integer(row->page_no));
	json_object_set_new(e, "error", jstr(row->error));
	json_array_append_new(ud, e);
	return 0;
}

static int ocr_status(request *r)
{
	hl_ocr_status s;
	json_t *j, *failures;
	int rc;

	/* the counts and failures are those of the documents the caller may see */
	if ((rc = hl_archive_ocr_status(&s, r->archive, &r->who)) < 0)
		return rc;
	j = json_object();
	json_object_set_new(j, "pending", json_integer(s.pending));
	json_object_set_new(j, "done", json_integer(s.done));
	json_object_set_new(j, "failed", json_integer(s.failed));
	json_object_set_new(j, "documents", json_integer(s.documents));
	json_object_set_new(j, "text_layer", json_integer(s.text_layer));
	json_object_set_new(j, "mean_conf",
	                    s.mean_conf >= 0 ? json_real(s.mean_conf) : json_null());
	json_object_set_new(j, "running", json_boolean(s.running || jobs_running("ocr")));
	json_object_set_new(j, "last_run", s.have_run ? json_string(s.last_run) : json_null());
	json_object_set_new(j, "jobs", s.have_run ? json_integer(s.jobs) : json_null());
	json_object_set_new(j, "pages_per_min",
	                    s.have_run ? json_real(s.pages_per_min) : json_null());
	json_object_set_new(j, "eta_seconds",
	                    s.eta_seconds >= 0 ? json_real(s.eta_seconds) : json_null());
	failures = json_array();
	json_object_set_new(j, "failures", failures);
	if ((rc = hl_archive_ocr_failures(r->archive, &r->who, 100, failed_row, failures)) < 0) {
		json_decref(j);
		return rc;
	}
	return resp_json(r, 200, j);
}

/* ---- GET /api/v1/ocr/review?below=&limit= ---- */

static int review_row(const hl_page_row *row, void *ud)
{
	json_t *e = hl_page_review_json(row);
	if (!e)
		return hl_error_set(HL_ENOMEM, "out of memory");
	json_array_append_new(ud, e);
	return 0;
}

static int ocr_review(request *r)
{
	const char *b = req_query(r, "below");
	double below = HL_OCR_LOW_CONFIDENCE;
	uint64_t limit, unchecked = 0;
	json_t *a;
	int rc;

	if (b) {
		char *end;
		errno = 0;
		below = strtod(b, &end);
		if (!*b || *end || errno || !(below >= 0 && below <= 100))
			return hl_error_set(HL_EINVALID, "below: a confidence from 0 to 100");
	}
	if ((rc = req_uint(&limit, r, "limit", 50, 1, SRV_PAGE_MAX)) != 0)
		return rc;
	a = json_array();
	if ((rc = hl_archive_ocr_review(r->archive, &r->who, below, (size_t)limit, &unchecked,
	                                review_row, a)) < 0) {
		json_decref(a);
		return rc;
	}
	return resp_json(r, 200,
	                 json_pack("{s:f,s:I,s:I,s:o}", "below", below, "limit", (json_int_t)limit,
	                           "unchecked", (json_int_t)unchecked, "items", a));
}

/* A job that cannot start because JOBS_MAX are running is told to come back: 429. */
static int jobs_refused(request *r, int rc)
{
	if (rc != HL_ELIMIT)
		return rc;
	resp_error(r, 429, "%s", hl_error_last());
	return ANSWERED;
}

/* ---- POST /api/v1/ocr/run {"jobs"?} -> 202 {"job"} ---- */

typedef struct {
	server_job *job;
	hl_principal who; /* who started the run: the library checks and audits it */
	unsigned jobs;
	pthread_mutex_t mu; /* on_failure may come from the run's worker threads */
	json_t *failures;
	uint64_t nfailures;
} ocr_arg;

static void ocr_arg_free(void *p)
{
	ocr_arg *o = p;
	if (!o)
		return;
	pthread_mutex_destroy(&o->mu);
	json_decref(o->failures);
	free(o);
}

static int ocr_progress(const char *what, uint64_t done, uint64_t total, void *ud)
{
	return job_progress(what, done, total, ((ocr_arg *)ud)->job);
}

static void ocr_failure(const char *doc_id, const char *file, int page_no, const char *error,
                        void *ud)
{
	ocr_arg *o = ud;
	pthread_mutex_lock(&o->mu);
	if (++o->nfailures <= MAX_LISTED) {
		json_t *e = json_object();
		json_object_set_new(e, "doc_id", jstr(doc_id));
		json_object_set_new(e, "file", jstr(file));
		json_object_set_new(e, "page_no", json_integer(page_no));
		json_object_set_new(e, "error", jstr(error));
		json_array_append_new(o->failures, e);
	}
	pthread_mutex_unlock(&o->mu);
}

static int ocr_work(json_t **result, server_job *job, hl_archive *a, void *arg)
{
	ocr_arg *o = arg;
	hl_ocr_run_opts ro = {0};
	hl_ocr_run_result res;
	int rc;

	o->job = job;
	ro.who = &o->who;
	ro.jobs = o->jobs;
	ro.progress = ocr_progress;
	ro.on_failure = ocr_failure;
	ro.ud = o;
	if ((rc = hl_archive_ocr_run(&res, a, &ro)) < 0)
		return rc;
	double ppm = res.seconds > 0 ? (double)(res.done + res.failed) * 60.0 / res.seconds : 0;
	/* done/total in pages, whatever the run's phases counted */
	job_progress(NULL, res.done + res.failed, res.done + res.failed, job);
	job_summary(job, "%llu pages done, %llu failed in %.0f s with %u workers",
	            (unsigned long long)res.done, (unsigned long long)res.failed, res.seconds,
	            res.jobs);
	*result = json_pack("{s:I,s:I,s:I,s:f,s:i,s:f,s:o}", "done", (json_int_t)res.done, "failed",
	                    (json_int_t)res.failed, "indexed", (json_int_t)res.indexed, "seconds",
	                    res.seconds, "jobs", (int)res.jobs, "pages_per_min", ppm, "failures",
	                    o->failures);
	o->failures = NULL; /* the result holds it now */
	return 0;
}

static int ocr_run(request *r)
{
	ocr_arg *o;
	json_t *body = NULL, *job = NULL;
	hl_ocr_status s;
	unsigned jobs = 0;
	int rc;

	/* asked here too (the run asks again): a refusal is answered now, not in a job */
	if ((rc = hl_auth_check(&r->who, HL_ACT_OCR_RUN)) != 0)
		return rc;
	/* the body is optional: none means the defaults */
	if (r->body && r->body_len) {
		json_t *v;
		if ((rc = req_json(&body, r)) != 0)
			return rc;
		v = json_object_get(body, "jobs");
		if (v && !json_is_null(v)) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > MAX_OCR_JOBS) {
				json_decref(body);
				return hl_error_set(
				    HL_EINVALID, "jobs: a whole number from 1 to %d", MAX_OCR_JOBS);
			}
			jobs = (unsigned)json_integer_value(v);
		}
		json_decref(body);
	}
	/* one run per data directory: refused now rather than in the job (a CLI run counts) */
	if ((rc = hl_archive_ocr_status(&s, r->archive, &r->who)) < 0)
		return rc;
	if (s.running || jobs_running("ocr"))
		return hl_error_set(HL_ECONFLICT, "an OCR run is working already");
	if (!(o = calloc(1, sizeof(*o))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	pthread_mutex_init(&o->mu, NULL);
	o->who = r->who;
	o->jobs = jobs;
	o->failures = json_array();
	if ((rc = job_start(&job, &r->who, "ocr", hl_archive_dir(r->archive), ocr_work, o,
	                    ocr_arg_free)) < 0)
		return jobs_refused(r, rc);
	return resp_json(r, 202, json_pack("{s:o}", "job", job));
}

/* ---- POST /api/v1/ingest?ocr=0|1, body text/csv -> 202 {"job"} ---- */

typedef struct {
	char *dir, *manifest, *rejects;
	hl_principal who; /* who loads it: the library checks and audits it */
	int ocr;
	int keep; /* interrupted: the manifest stays (HOME/jobs) for a resume */
	server_job *job;
	json_t *rejected, *warnings;
	uint64_t nrejected, nwarnings;
} ingest_arg;

static void ingest_arg_free(void *p)
{
	ingest_arg *g = p;
	if (!g)
		return;
	/* the manifest was a copy of the request body: it goes with the job, unless the job was
	 * interrupted (a resume reads it again; a server starting removes it once no job may) */
	if (g->manifest && !g->keep)
		unlink(g->manifest);
	if (g->rejects)
		unlink(g->rejects);
	if (g->dir && !g->keep)
		rmdir(g->dir);
	free(g->dir);
	free(g->manifest);
	free(g->rejects);
	json_decref(g->rejected);
	json_decref(g->warnings);
	free(g);
}

static void add_row(json_t *a, uint64_t *n, uint64_t line, const char *column, const char *reason)
{
	if (++*n > MAX_LISTED)
		return;
	json_t *e = json_object();
	json_object_set_new(e, "line", json_integer((json_int_t)line));
	json_object_set_new(e, "column", jstr(column));
	json_object_set_new(e, "reason", jstr(reason));
	json_array_append_new(a, e);
}

static void on_reject(uint64_t line, const char *column, const char *reason, void *ud)
{
	ingest_arg *g = ud;
	add_row(g->rejected, &g->nrejected, line, column, reason);
}

static void on_warning(uint64_t line, const char *column, const char *reason, void *ud)
{
	ingest_arg *g = ud;
	add_row(g->warnings, &g->nwarnings, line, column, reason);
}

static int ingest_progress(const char *what, uint64_t done, uint64_t total, void *ud)
{
	return job_progress(what, done, total, ((ingest_arg *)ud)->job);
}

static int ingest_work(json_t **result, server_job *job, hl_archive *a, void *arg)
{
	ingest_arg *g = arg;
	hl_ingest_opts o = {0};
	hl_ingest_result res;
	int rc;

	g->job = job;
	o.manifest = g->manifest;
	o.manifest_name = "manifest"; /* not the temporary copy's path */
	o.files_dir = g->dir; /* a folder holding only the manifest: no file of the server's */
	o.rejects_path = g->rejects;
	o.who = &g->who;
	o.ocr = g->ocr;
	o.progress = ingest_progress;
	o.on_reject = on_reject;
	o.on_warning = on_warning;
	o.ud = g;
	if ((rc = hl_archive_ingest(&res, a, &o)) < 0) {
		g->keep = job_stopping();
		return rc;
	}
	/* done/total in rows, whatever the ingest's phases counted (bytes read, documents
	 * indexed) */
	job_progress(NULL, res.rows, res.rows, job);
	job_summary(job, "%llu rows: %llu new, %llu updated, %llu unchanged, %llu rejected",
	            (unsigned long long)res.rows, (unsigned long long)res.inserted,
	            (unsigned long long)res.updated, (unsigned long long)res.unchanged,
	            (unsigned long long)res.rejected);
	*result = json_pack(
	    "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o}", "rows", (json_int_t)res.rows,
	    "inserted", (json_int_t)res.inserted, "updated", (json_int_t)res.updated, "unchanged",
	    (json_int_t)res.unchanged, "rejected", (json_int_t)res.rejected, "files",
	    (json_int_t)res.files, "new_blobs", (json_int_t)res.new_blobs, "indexed",
	    (json_int_t)res.indexed, "pages_queued", (json_int_t)res.pages_queued, "warnings",
	    (json_int_t)res.warnings, "rejects", g->rejected, "warning_rows", g->warnings);
	g->rejected = g->warnings = NULL; /* the result holds them now */
	return 0;
}

/* Writes the body to a fresh private folder under HOME/jobs (the ingest reads a file, the job
 * outlives the request, and an interrupted one's manifest outlives the process for a resume),
 * beside the path of the rejects it will write. */
static int save_body(ingest_arg *g, request *r)
{
	char *base = hl_path_join(hl_archive_dir(r->archive), "jobs");
	int rc;
	if (!base)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if (mkdir(base, 0700) < 0 && errno != EEXIST) {
		rc = hl_error_set(HL_EIO, "%s: cannot make the jobs' folder: %s", base,
		                  strerror(errno));
		free(base);
		return rc;
	}
	rc = req_body_save_in(&g->dir, &g->manifest, r, base, "ingest", "manifest.csv");
	free(base);
	if (rc == 0 && !(g->rejects = hl_path_join(g->dir, "rejects.csv")))
		rc = hl_error_set(HL_ENOMEM, "out of memory");
	return rc;
}

/* The params a resume needs: {"ocr", "dir"} (a new string, or NULL: no memory). */
static char *ingest_params(const ingest_arg *g)
{
	json_t *p = json_pack("{s:i,s:s}", "ocr", g->ocr, "dir", g->dir);
	char *s = p ? json_dumps(p, JSON_COMPACT) : NULL;
	json_decref(p);
	return s;
}

static int ingest_go(json_t **job, char *id, request *r, ingest_arg *g)
{
	char *params = ingest_params(g);
	int rc;
	if (!params) {
		ingest_arg_free(g);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	rc = job_start_params(job, id, &r->who, "ingest", hl_archive_dir(r->archive), params,
	                      ingest_work, g, ingest_arg_free);
	free(params);
	return rc;
}

int ingest_resume(json_t **out, char *id_out, request *r, const hl_job *old)
{
	json_t *p = json_loads(old->params, 0, NULL);
	const char *dir = json_string_value(json_object_get(p, "dir"));
	ingest_arg *g = NULL;
	struct stat sb;
	int rc;

	if (!dir) {
		rc = hl_error_set(HL_ECONFLICT, "job %s cannot be resumed: it kept no manifest",
		                  old->id);
		goto done;
	}
	if (!(g = calloc(1, sizeof(*g))) || !(g->rejected = json_array()) ||
	    !(g->warnings = json_array()) || !(g->dir = hl_strdup(dir)) ||
	    !(g->manifest = hl_path_join(dir, "manifest.csv")) ||
	    !(g->rejects = hl_path_join(dir, "rejects.csv"))) {
		ingest_arg_free(g);
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	if (stat(g->manifest, &sb) < 0) {
		g->keep = 1; /* not ours to remove */
		ingest_arg_free(g);
		rc = hl_error_set(HL_ECONFLICT,
		                  "job %s cannot be resumed: its manifest is gone; send it again "
		                  "(POST /api/v1/ingest)",
		                  old->id);
		goto done;
	}
	g->who = r->who;
	g->ocr = (int)json_integer_value(json_object_get(p, "ocr"));
	if ((rc = ingest_go(out, id_out, r, g)) < 0)
		rc = jobs_refused(r, rc);
done:
	json_decref(p);
	return rc;
}

static int ingest(request *r)
{
	const char *ct = req_header(r, "Content-Type");
	ingest_arg *g;
	json_t *job = NULL;
	uint64_t ocr;
	int rc;

	/* asked here too (the ingest asks again): a refusal is answered now, not in a job */
	if ((rc = hl_auth_check(&r->who, HL_ACT_INGEST)) != 0)
		return rc;
	if ((rc = req_uint(&ocr, r, "ocr", 0, 0, 1)) != 0)
		return rc;
	if (!ct || strncasecmp(ct, "text/csv", 8) || (ct[8] && ct[8] != ';' && ct[8] != ' ')) {
		resp_error(r, 415, "the manifest must be sent as text/csv");
		return ANSWERED;
	}
	if (!r->body || !r->body_len)
		return hl_error_set(HL_EINVALID, "the body is empty: send the manifest (CSV)");
	if (!(g = calloc(1, sizeof(*g))) || !(g->rejected = json_array()) ||
	    !(g->warnings = json_array())) {
		ingest_arg_free(g);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	g->who = r->who;
	g->ocr = (int)ocr;
	if ((rc = save_body(g, r)) < 0) {
		ingest_arg_free(g);
		return rc;
	}
	if ((rc = ingest_go(&job, NULL, r, g)) < 0)
		return jobs_refused(r, rc);
	return resp_json(r, 202, json_pack("{s:o}", "job", job));
}

const route routes_ocr[] = {
    {M_GET, "/api/v1/ocr/status", ocr_status, 0, 0},
    {M_GET, "/api/v1/ocr/review", ocr_review, 0, 0},
    {M_POST, "/api/v1/ocr/run", ocr_run, 0, 0},
    {M_POST, "/api/v1/ingest", ingest, SRV_MAX_BODY_LARGE, ROUTE_RAW_BODY | ROUTE_INGEST_FIRST},
    {0},
};
