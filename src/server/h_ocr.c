/* The digitization endpoints of the API (docs/api.md "Digitization and jobs"): OCR status and
 * review, and the long work — an OCR run, a manifest ingest — started as jobs (jobs.c). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "halong/util.h"
#include "jobs.h"
#include "server_int.h"

#define MAX_LISTED   1000  /* rejected rows, warnings, failures kept in a job's result */
#define REVIEW_SCAN  20000 /* weak pages read to find `limit` the caller may see */
#define MAX_OCR_JOBS 64    /* worker threads of an OCR run asked over HTTP */

static json_t *jstr(const char *s)
{
	return s ? hl_json_str(s) : json_null();
}

/* ---- GET /api/v1/ocr/status ---- */

typedef struct {
	hl_req *r;
	json_t *a;
} failed_ui;

/* A failure names its document: listed only when the caller may see that document. */
static int failed_row(const hl_page_row *row, void *ud)
{
	failed_ui *ui = ud;
	hl_doc *d = NULL;
	if (hl_req_doc(&d, ui->r, row->doc_id) < 0) {
		hl_error_clear();
		return 0;
	}
	hl_doc_free(d);
	json_t *e = json_object();
	json_object_set_new(e, "doc_id", jstr(row->doc_id));
	json_object_set_new(e, "file", jstr(row->file_name));
	json_object_set_new(e, "page_no", json_integer(row->page_no));
	json_object_set_new(e, "error", jstr(row->error));
	json_array_append_new(ui->a, e);
	return 0;
}

static int ocr_status(hl_req *r)
{
	hl_ocr_status s;
	failed_ui ui = {r, NULL};
	json_t *j;
	int rc;

	if ((rc = hl_archive_ocr_status(&s, r->archive)) < 0)
		return rc;
	/* the counts are those of the pages the caller may see: no count of hidden records */
	{
		hl_store_vis v = {(int)hl_req_ceiling(r), NULL, 0, 0};
		hl_store_pages_stats ps;
		char *const *codes;
		if ((rc = hl_req_scope(&codes, &v.nscope, &v.all, r)) < 0)
			return rc;
		v.scope = codes;
		if ((rc = hl_store_pages_count_visible(&ps, hl_req_store(r), &v)) < 0)
			return rc;
		s.pending = ps.pending, s.done = ps.done, s.failed = ps.failed;
		s.documents = ps.documents, s.text_layer = ps.text_layer;
		s.mean_conf = ps.mean_conf;
		s.eta_seconds =
		    s.pages_per_min > 0 ? (double)s.pending * 60.0 / s.pages_per_min : -1;
	}
	j = json_object();
	json_object_set_new(j, "pending", json_integer(s.pending));
	json_object_set_new(j, "done", json_integer(s.done));
	json_object_set_new(j, "failed", json_integer(s.failed));
	json_object_set_new(j, "documents", json_integer(s.documents));
	json_object_set_new(j, "text_layer", json_integer(s.text_layer));
	json_object_set_new(j, "mean_conf",
	                    s.mean_conf >= 0 ? json_real(s.mean_conf) : json_null());
	json_object_set_new(j, "running", json_boolean(s.running || hl_jobs_running("ocr")));
	json_object_set_new(j, "last_run", s.have_run ? json_string(s.last_run) : json_null());
	json_object_set_new(j, "jobs", s.have_run ? json_integer(s.jobs) : json_null());
	json_object_set_new(j, "pages_per_min",
	                    s.have_run ? json_real(s.pages_per_min) : json_null());
	json_object_set_new(j, "eta_seconds",
	                    s.eta_seconds >= 0 ? json_real(s.eta_seconds) : json_null());
	ui.a = json_array();
	rc = hl_store_pages_failed(hl_req_store(r), 100, failed_row, &ui);
	json_object_set_new(j, "failures", ui.a);
	if (rc < 0) {
		json_decref(j);
		return rc;
	}
	return hl_resp_json(r, 200, j);
}

/* ---- GET /api/v1/ocr/review?below=&limit= ---- */

/* What was decided about one document during a review listing. */
typedef struct {
	char *doc_id;
	int visible, restricted, listed;
} seen_doc;

typedef struct {
	hl_req *r;
	json_t *a;
	size_t limit, scanned, nseen, capseen;
	seen_doc *seen;
	int err;
} review_ui;

static seen_doc *seen_get(review_ui *ui, const char *doc_id)
{
	hl_doc *d = NULL;
	seen_doc *s;
	for (size_t i = 0; i < ui->nseen; i++)
		if (!strcmp(ui->seen[i].doc_id, doc_id))
			return &ui->seen[i];
	if (ui->nseen == ui->capseen) {
		size_t cap = ui->capseen ? 2 * ui->capseen : 64;
		seen_doc *v = realloc(ui->seen, cap * sizeof(*v));
		if (!v)
			return NULL;
		ui->seen = v, ui->capseen = cap;
	}
	s = &ui->seen[ui->nseen];
	memset(s, 0, sizeof(*s));
	if (!(s->doc_id = hl_strdup(doc_id)))
		return NULL;
	if (hl_req_doc(&d, ui->r, doc_id) == 0) {
		s->visible = 1;
		s->restricted = d->access == HL_ACCESS_RESTRICTED;
		hl_doc_free(d);
	} else {
		hl_error_clear();
	}
	ui->nseen++;
	return s;
}

static int review_row(const hl_page_row *row, void *ud)
{
	review_ui *ui = ud;
	seen_doc *s;
	if (++ui->scanned > REVIEW_SCAN)
		return 1;
	if (!(s = seen_get(ui, row->doc_id))) {
		ui->err = hl_error_set(HL_ENOMEM, "out of memory");
		return 1;
	}
	if (!s->visible)
		return 0;
	s->listed = 1;
	json_t *e = json_object();
	json_object_set_new(e, "doc_id", jstr(row->doc_id));
	json_object_set_new(e, "seq", json_integer(row->seq));
	json_object_set_new(e, "file", jstr(row->file_name));
	json_object_set_new(e, "page_no", json_integer(row->page_no));
	json_object_set_new(e, "mean_conf", json_real(row->mean_conf));
	json_object_set_new(e, "text", jstr(row->text));
	json_array_append_new(ui->a, e);
	return json_array_size(ui->a) >= ui->limit;
}

static int ocr_review(hl_req *r)
{
	const char *b = hl_req_query(r, "below");
	review_ui ui = {0};
	double below = 70;
	uint64_t limit;
	json_t *j;
	int rc;

	if ((rc = hl_req_require(r, HL_ROLES_READ_CUSTODY)) != 0)
		return rc;
	if (b) {
		char *end;
		errno = 0;
		below = strtod(b, &end);
		if (!*b || *end || errno || !(below >= 0 && below <= 100))
			return hl_error_set(HL_EINVALID, "below: a confidence from 0 to 100");
	}
	if ((rc = hl_req_uint(&limit, r, "limit", 50, 1, HL_SRV_PAGE_MAX)) != 0)
		return rc;
	ui.r = r;
	ui.limit = (size_t)limit;
	ui.a = json_array();
	rc = hl_store_pages_review(hl_req_store(r), below, REVIEW_SCAN + 1, review_row, &ui);
	if (rc == 0 && ui.err)
		rc = ui.err;
	/* the page text of a restricted record was read: audited, once per document, after the
	 * listing's statement is done */
	for (size_t i = 0; i < ui.nseen && rc == 0; i++)
		if (ui.seen[i].listed && ui.seen[i].restricted) {
			hl_doc *d = NULL;
			if ((rc = hl_req_doc(&d, r, ui.seen[i].doc_id)) == 0)
				rc = hl_req_audit_read(r, d, "ocr review");
			hl_doc_free(d);
		}
	for (size_t i = 0; i < ui.nseen; i++)
		free(ui.seen[i].doc_id);
	free(ui.seen);
	if (rc < 0) {
		json_decref(ui.a);
		return rc;
	}
	j = json_object();
	json_object_set_new(j, "below", json_real(below));
	json_object_set_new(j, "limit", json_integer((json_int_t)limit));
	json_object_set_new(j, "items", ui.a);
	return hl_resp_json(r, 200, j);
}

/* ---- POST /api/v1/ocr/run {"jobs"?} -> 202 {"job"} ---- */

typedef struct {
	hl_job *job;
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
	return hl_job_progress(what, done, total, ((ocr_arg *)ud)->job);
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

static int ocr_work(json_t **result, hl_job *job, hl_archive *a, void *arg)
{
	ocr_arg *o = arg;
	hl_ocr_run_opts ro = {0};
	hl_ocr_run_result res;
	int rc;

	o->job = job;
	ro.jobs = o->jobs;
	ro.progress = ocr_progress;
	ro.on_failure = ocr_failure;
	ro.ud = o;
	if ((rc = hl_archive_ocr_run(&res, a, &ro)) < 0)
		return rc;
	double ppm = res.seconds > 0 ? (double)(res.done + res.failed) * 60.0 / res.seconds : 0;
	/* done/total in pages, whatever the run's phases counted */
	hl_job_progress(NULL, res.done + res.failed, res.done + res.failed, job);
	hl_job_summary(job, "%llu pages done, %llu failed in %.0f s with %u workers",
	               (unsigned long long)res.done, (unsigned long long)res.failed, res.seconds,
	               res.jobs);
	*result = json_pack("{s:I,s:I,s:I,s:f,s:i,s:f,s:o}", "done", (json_int_t)res.done, "failed",
	                    (json_int_t)res.failed, "indexed", (json_int_t)res.indexed, "seconds",
	                    res.seconds, "jobs", (int)res.jobs, "pages_per_min", ppm, "failures",
	                    o->failures);
	o->failures = NULL; /* the result holds it now */
	return 0;
}

static int ocr_run(hl_req *r)
{
	ocr_arg *o;
	json_t *body = NULL, *job = NULL;
	hl_ocr_status s;
	unsigned jobs = 0;
	int rc;

	if ((rc = hl_req_require(r, HL_ROLES_CUSTODY)) != 0)
		return rc;
	/* a run works every pending page of the archive, and its counts and failures name them:
	 * the province's staff start it, as they load manifests */
	if (!r->who.province)
		return hl_error_set(HL_EDENIED, "OCR runs are started by the province's staff");
	/* the body is optional: none means the defaults */
	if (r->body && r->body_len) {
		json_t *v;
		if ((rc = hl_req_json(&body, r)) != 0)
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
	if ((rc = hl_archive_ocr_status(&s, r->archive)) < 0)
		return rc;
	if (s.running || hl_jobs_running("ocr"))
		return hl_error_set(HL_ECONFLICT, "an OCR run is working already");
	if (!(o = calloc(1, sizeof(*o))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	pthread_mutex_init(&o->mu, NULL);
	o->jobs = jobs;
	o->failures = json_array();
	if ((rc = hl_job_start(&job, &r->who, "ocr", hl_archive_dir(r->archive), ocr_work, o,
	                       ocr_arg_free)) < 0)
		return rc;
	return hl_resp_json(r, 202, json_pack("{s:o}", "job", job));
}

/* ---- POST /api/v1/ingest?ocr=0|1, body text/csv -> 202 {"job"} ---- */

typedef struct {
	char *dir, *manifest, *rejects;
	char *actor;
	int ocr;
	hl_job *job;
	json_t *rejected, *warnings;
	uint64_t nrejected, nwarnings;
} ingest_arg;

static void ingest_arg_free(void *p)
{
	ingest_arg *g = p;
	if (!g)
		return;
	/* the manifest was a copy of the request body: it goes with the job */
	if (g->manifest)
		unlink(g->manifest);
	if (g->rejects)
		unlink(g->rejects);
	if (g->dir)
		rmdir(g->dir);
	free(g->dir);
	free(g->manifest);
	free(g->rejects);
	free(g->actor);
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
	return hl_job_progress(what, done, total, ((ingest_arg *)ud)->job);
}

static int ingest_work(json_t **result, hl_job *job, hl_archive *a, void *arg)
{
	ingest_arg *g = arg;
	hl_ingest_opts o = {0};
	hl_ingest_result res;
	int rc;

	g->job = job;
	o.manifest = g->manifest;
	o.files_dir = g->dir; /* a folder holding only the manifest: no file of the server's */
	o.rejects_path = g->rejects;
	o.actor = g->actor;
	o.ocr = g->ocr;
	o.progress = ingest_progress;
	o.on_reject = on_reject;
	o.on_warning = on_warning;
	o.ud = g;
	if ((rc = hl_archive_ingest(&res, a, &o)) < 0) {
		/* the message names the temporary copy: the user knows it as "the manifest" */
		size_t n = strlen(g->manifest);
		const char *m = hl_error_last();
		if (!strncmp(m, g->manifest, n)) {
			char msg[512];
			snprintf(msg, sizeof(msg), "manifest%s", m + n);
			hl_error_set(rc, "%s", msg);
		}
		return rc;
	}
	/* done/total in rows, whatever the ingest's phases counted (bytes read, documents
	 * indexed) */
	hl_job_progress(NULL, res.rows, res.rows, job);
	hl_job_summary(job, "%llu rows: %llu new, %llu updated, %llu unchanged, %llu rejected",
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

/* Writes the body to a fresh private folder: the ingest reads a file, and the job outlives the
 * request. */
static int save_body(ingest_arg *g, hl_req *r)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[4096];
	int fd, rc = 0;
	snprintf(tmpl, sizeof(tmpl), "%s/halong-ingest.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl))
		return hl_error_set(HL_EIO, "cannot make a temporary folder: %s", strerror(errno));
	if (!(g->dir = hl_strdup(tmpl)) || !(g->manifest = hl_path_join(tmpl, "manifest.csv")) ||
	    !(g->rejects = hl_path_join(tmpl, "rejects.csv")))
		return hl_error_set(HL_ENOMEM, "out of memory");
	if ((fd = open(g->manifest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return hl_error_set(HL_EIO, "cannot write the manifest: %s", strerror(errno));
	for (size_t off = 0; off < r->body_len;) {
		ssize_t w = write(fd, r->body + off, r->body_len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = hl_error_set(HL_EIO, "cannot write the manifest: %s", strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) < 0 && rc == 0)
		rc = hl_error_set(HL_EIO, "cannot write the manifest: %s", strerror(errno));
	return rc;
}

static int ingest(hl_req *r)
{
	const char *ct = hl_req_header(r, "Content-Type");
	ingest_arg *g;
	json_t *job = NULL;
	uint64_t ocr;
	int rc;

	if ((rc = hl_req_require(r, HL_ROLES_CUSTODY)) != 0)
		return rc;
	/* a manifest may name any fonds and rewrite its documents (access level included): until
	 * the ingest can be held to the caller's fonds, only the province's staff load one */
	if (!r->who.province)
		return hl_error_set(HL_EDENIED, "manifests are loaded by the province's staff");
	if ((rc = hl_req_uint(&ocr, r, "ocr", 0, 0, 1)) != 0)
		return rc;
	if (!ct || strncasecmp(ct, "text/csv", 8) || (ct[8] && ct[8] != ';' && ct[8] != ' ')) {
		hl_resp_error(r, 415, "the manifest must be sent as text/csv");
		return HL_ANSWERED;
	}
	if (!r->body || !r->body_len)
		return hl_error_set(HL_EINVALID, "the body is empty: send the manifest (CSV)");
	if (!(g = calloc(1, sizeof(*g))) || !(g->actor = hl_strdup(hl_req_actor(r))) ||
	    !(g->rejected = json_array()) || !(g->warnings = json_array())) {
		ingest_arg_free(g);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	g->ocr = (int)ocr;
	if ((rc = save_body(g, r)) < 0) {
		ingest_arg_free(g);
		return rc;
	}
	if ((rc = hl_job_start(&job, &r->who, "ingest", hl_archive_dir(r->archive), ingest_work, g,
	                       ingest_arg_free)) < 0)
		return rc;
	return hl_resp_json(r, 202, json_pack("{s:o}", "job", job));
}

const hl_route hl_routes_ocr[] = {
    {HL_GET, "/api/v1/ocr/status", ocr_status, 0, 0},
    {HL_GET, "/api/v1/ocr/review", ocr_review, 0, 0},
    {HL_POST, "/api/v1/ocr/run", ocr_run, 0, 0},
    {HL_POST, "/api/v1/ingest", ingest, HL_SRV_MAX_BODY_LARGE,
     HL_ROUTE_RAW_BODY | HL_ROUTE_CUSTODY_FIRST},
    {0},
};
