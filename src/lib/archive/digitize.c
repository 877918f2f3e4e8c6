/* Digitization: works the OCR queue with one Tesseract engine per thread while the calling
 * thread alone writes results to the store; status, ALTO, searchable PDF and evaluation. */
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "archive_int.h"
#include "halong/ocr.h"
#include "halong/util.h"

#define MAX_QUEUE 1000000 /* pages one run takes on */

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One page to recognise, and what came of it. */
typedef struct {
	int64_t document_id;
	int file_seq, page_no;
	char *doc_id, *file, *path, *sha256;
	/* result, filled by a worker */
	int done;
	char *json, *text, *error;
	int dpi, from_text_layer;
	unsigned warn_flags;
	double mean_conf;
	int64_t ms;
	hl_store_page_check check; /* the review rule on its text (check.words: check_words) */
	char *check_words;
} job;

typedef struct {
	hl_archive *a;
	const hl_ocr_run_opts *o;
	hl_ocr_opts ocr;
	job *v;
	size_t n, cap;
	/* shared between threads */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t next;     /* next job to hand out */
	size_t finished; /* jobs with a result */
	unsigned workers_alive;
	char engine_error[512];
	int stop;
} run;

static int collect(const hl_page_row *r, void *ud)
{
	run *x = ud;
	job *j;
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 256;
		job *v = realloc(x->v, cap * sizeof(*v));
		if (!v)
			return hl_error_set(HL_ENOMEM, "out of memory");
		x->v = v, x->cap = cap;
	}
	j = &x->v[x->n++];
	memset(j, 0, sizeof(*j));
	j->document_id = r->document_id;
	j->file_seq = r->file_seq, j->page_no = r->page_no;
	j->doc_id = hl_strdup(r->doc_id);
	j->file = hl_strdup(r->file_name ? r->file_name : r->sha256);
	j->path = hl_blob_path(x->a, r->sha256);
	j->sha256 = hl_strdup(r->sha256);
	return j->doc_id && j->file && j->path && j->sha256
	           ? 0
	           : hl_error_set(HL_ENOMEM, "out of memory");
}

static void job_clear(job *j)
{
	free(j->doc_id), free(j->file), free(j->path), free(j->sha256);
	free(j->json), free(j->text), free(j->error), free(j->check_words);
}

static void recognise(job *j, hl_ocr_engine *e, const hl_ocr_opts *o)
{
	hl_ocr_page p = {0};
	double t0 = now_s();
	if (hl_ocr_page_run(&p, e, j->path, j->file, j->page_no, o) < 0 ||
	    hl_ocr_page_to_json(&j->json, &p) < 0) {
		j->error = hl_strdup(hl_error_last());
	} else {
		j->text = p.text ? hl_strdup(p.text) : hl_strdup("");
		j->dpi = (int)p.dpi;
		j->from_text_layer = p.from_text_layer;
		j->warn_flags = p.warn_flags;
		j->mean_conf = p.mean_conf;
		/* on the worker's thread: the rule reads every word, which is the run's to pay */
		if (hl_archive__page_check(&j->check, &j->check_words, j->text,
		                           p.from_text_layer ? NULL : p.words,
		                           p.from_text_layer ? 0 : p.n_words) < 0) {
			free(j->json);
			j->json = NULL;
			j->error = hl_strdup(hl_error_last());
		}
	}
	j->ms = (int64_t)((now_s() - t0) * 1000);
	hl_ocr_page_free(&p);
}

static void *worker(void *arg)
{
	run *x = arg;
	hl_ocr_engine *e = NULL;

	if (hl_ocr_engine_new(&e, x->o->langs, x->o->tessdata) < 0) {
		pthread_mutex_lock(&x->mu);
		snprintf(x->engine_error, sizeof(x->engine_error), "%s", hl_error_last());
		x->workers_alive--;
		pthread_cond_broadcast(&x->cv);
		pthread_mutex_unlock(&x->mu);
		return NULL;
	}
	for (;;) {
		size_t i;
		pthread_mutex_lock(&x->mu);
		if (x->stop || x->next >= x->n) {
			x->workers_alive--;
			pthread_cond_broadcast(&x->cv);
			pthread_mutex_unlock(&x->mu);
			break;
		}
		i = x->next++;
		pthread_mutex_unlock(&x->mu);
		recognise(&x->v[i], e, &x->ocr);
		pthread_mutex_lock(&x->mu);
		x->v[i].done = 1;
		x->finished++;
		pthread_cond_broadcast(&x->cv);
		pthread_mutex_unlock(&x->mu);
	}
	hl_ocr_engine_free(e);
	return NULL;
}

typedef struct {
	const job *j;
	int same;
	hl_access access; /* the document's, as it is now */
} still_queued;

static int is_same_page(const hl_page_row *r, void *ud)
{
	still_queued *q = ud;
	q->same = r->document_id == q->j->document_id && r->file_seq == q->j->file_seq &&
	          r->page_no == q->j->page_no && r->sha256 && !strcmp(r->sha256, q->j->sha256);
	q->access = r->access;
	return 1;
}

/* Writes job j's result: its own transaction, so what is done stays done. A page is keyed by
 * (document, file seq, page number) only, so a document re-ingested with another file while the
 * run worked on the old one has a new pending page under the same key: the old file's text must
 * not land on it (that page would count as done and never be recognised). The result is written
 * only if the page is still pending with the hash the worker read. */
static int write_result(run *x, job *j, hl_ocr_run_result *r)
{
	hl_store *st = x->a->store;
	still_queued q = {j, 0, HL_ACCESS_SECRET};
	int rc;
	if ((rc = hl_store_begin(st)) < 0)
		return rc;
	if ((rc = hl_store_pages_pending(st, j->document_id, j->file_seq, j->page_no - 1, 1,
	                                 is_same_page, &q)) < 0 ||
	    !q.same)
		goto done;
	if (j->error) {
		r->failed++;
		if (x->o->on_failure)
			x->o->on_failure(j->doc_id, j->file, j->page_no, j->error, x->o->ud);
		rc = hl_store_page_fail(st, j->document_id, j->file_seq, j->page_no, j->error,
		                        j->ms);
	} else {
		hl_store_page_result pr = {
		    j->document_id,     j->file_seq,   j->page_no,   j->text, j->json, j->dpi,
		    j->from_text_layer, j->warn_flags, j->mean_conf, j->ms,   j->check};
		r->done++;
		rc = hl_store_page_done(st, &pr);
	}
	/* the text of a restricted or secret record is its content: who changed it is audited
	 * with the change (the run's own entry names every page's starter), by the level read in
	 * this transaction (the run's list is as old as the run: a level raised since counts) */
	if (rc == 0 && q.access >= HL_ACCESS_RESTRICTED) {
		char detail[64];
		snprintf(detail, sizeof(detail), "file %d page %d: %s", j->file_seq, j->page_no,
		         j->error ? "failed" : "recognised");
		rc = hl_store_audit(st, hl_principal_actor(x->o->who), "ocr.page", j->doc_id,
		                    detail);
	}
done:
	return rc < 0 ? (hl_store_rollback(st), rc) : hl_store_commit(st);
}

/* The data directory's OCR lock: one run at a time. Returns the fd, or -1 with the error set. */
static int take_lock(hl_archive *a, int wait)
{
	char *path = hl_path_join(a->home, "ocr.lock");
	int fd = path ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644) : -1;
	free(path);
	if (fd < 0)
		return hl_error_set(HL_EIO, "%s/ocr.lock: cannot open", a->home);
	if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		close(fd);
		return hl_error_set(HL_ECONFLICT, "another `halong ocr run` is working on %s",
		                    a->home);
	}
	return fd;
}

/* The run's own entry, with the retry of failed pages it asks for: one transaction. */
static int audit_run(hl_archive *a, const hl_ocr_run_opts *o)
{
	char detail[96];
	uint64_t retried = 0;
	int rc;
	if ((rc = hl_store_begin(a->store)) < 0)
		return rc;
	if (o->retry_failed)
		rc = hl_store_pages_retry(&retried, a->store);
	snprintf(detail, sizeof(detail), "%u workers%s, %llu failed pages put back", o->jobs,
	         o->jobs ? "" : " (every core)", (unsigned long long)retried);
	if (rc == 0)
		rc = hl_store_audit(a->store, hl_principal_actor(o->who), "ocr.run", NULL, detail);
	return rc < 0 ? (hl_store_rollback(a->store), rc) : hl_store_commit(a->store);
}

static unsigned cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

int hl_archive_ocr_run(hl_ocr_run_result *out, hl_archive *a, const hl_ocr_run_opts *o)
{
	run x = {.a = a, .o = o};
	hl_ocr_run_result r = {0};
	pthread_t *th = NULL;
	unsigned jobs = o->jobs ? o->jobs : cores(), started = 0;
	int64_t run_id = 0;
	size_t written = 0;
	double t0 = now_s(), last_update = t0;
	int rc = 0, lock;

	if ((rc = hl_auth_check(o->who, HL_ACT_OCR_RUN)) < 0)
		return rc;
	if (jobs > 64)
		return hl_error_set(HL_ELIMIT, "--jobs: at most 64 workers");
	if ((lock = take_lock(a, 0)) < 0)
		return lock;
	x.ocr.flags = o->flags ? o->flags : HL_OCR_DEFAULT_FLAGS;
	if ((rc = audit_run(a, o)) < 0)
		goto done;
	rc = hl_store_pages_pending(
	    a->store, 0, 0, 0, o->max_pages && o->max_pages < MAX_QUEUE ? o->max_pages : MAX_QUEUE,
	    collect, &x);
	if (rc < 0)
		goto done;
	if (jobs > x.n)
		jobs = x.n ? (unsigned)x.n : 1;
	r.jobs = jobs;
	if (!x.n)
		goto sync;
	if ((rc = hl_store_ocr_run_begin(&run_id, a->store, (int)jobs)) < 0)
		goto done;
	pthread_mutex_init(&x.mu, NULL);
	pthread_cond_init(&x.cv, NULL);
	if (!(th = calloc(jobs, sizeof(*th)))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto join;
	}
	x.workers_alive = jobs;
	for (; started < jobs; started++)
		if (pthread_create(&th[started], NULL, worker, &x) != 0)
			break;
	pthread_mutex_lock(&x.mu);
	x.workers_alive -= jobs - started;
	pthread_mutex_unlock(&x.mu);
	if (!started) {
		rc = hl_error_set(HL_ERROR, "could not start an OCR worker thread");
		goto join;
	}
	if (o->progress)
		o->progress("ocr", 0, x.n, o->ud);
	/* Results are written in queue order as they come: the store has one writer. */
	while (written < x.n) {
		pthread_mutex_lock(&x.mu);
		while (!x.v[written].done && x.workers_alive)
			pthread_cond_wait(&x.cv, &x.mu);
		int ready = x.v[written].done;
		pthread_mutex_unlock(&x.mu);
		if (!ready)
			break; /* every worker has stopped: an engine could not start */
		if ((rc = write_result(&x, &x.v[written], &r)) < 0)
			break;
		written++;
		if (o->progress && o->progress("ocr", written, x.n, o->ud) != 0) {
			rc = hl_error_set(HL_ERROR, "OCR run cancelled");
			break;
		}
		if (now_s() - last_update > 2.0) {
			last_update = now_s();
			hl_store_ocr_run_update(a->store, run_id, (int64_t)r.done,
			                        (int64_t)r.failed, last_update - t0, 0);
		}
	}
	if (rc == 0 && written < x.n)
		rc = hl_error_set(HL_ERROR, "OCR stopped after %zu of %zu pages: %s", written, x.n,
		                  *x.engine_error ? x.engine_error : "the workers stopped");
join:
	pthread_mutex_lock(&x.mu);
	x.stop = 1;
	pthread_mutex_unlock(&x.mu);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
	pthread_mutex_destroy(&x.mu);
	pthread_cond_destroy(&x.cv);
	r.seconds = now_s() - t0;
	hl_store_ocr_run_update(a->store, run_id, (int64_t)r.done, (int64_t)r.failed, r.seconds, 1);
	if (rc < 0)
		goto done;
sync:
	/* pages recognised before the review rule (or under an older syllable list) are checked
	 * now: a run is the batch work a review should not wait for */
	if ((rc = hl_archive__recheck(a, (size_t)-1, NULL)) < 0)
		goto done;
	/* the new text enters the search index */
	rc = hl_archive_index_sync(&r.indexed, a, NULL, NULL);
	if (rc == 0) {
		r.seconds = now_s() - t0;
		*out = r;
	}
done:
	for (size_t i = 0; i < x.n; i++)
		job_clear(&x.v[i]);
	free(x.v);
	close(lock);
	return rc;
}

static int last_run(const hl_store_ocr_run *r, void *ud)
{
	hl_ocr_status *s = ud;
	s->have_run = 1;
	s->jobs = (unsigned)r->jobs;
	snprintf(s->last_run, sizeof(s->last_run), "%s", r->started_at ? r->started_at : "");
	if (r->seconds > 0)
		s->pages_per_min = (double)(r->pages_done + r->pages_failed) * 60.0 / r->seconds;
	return 0;
}

/* Who sees what, for the store's *_visible listings. */
static int visibility(hl_store_vis *v, hl_archive__reader *r)
{
	int rc;
	memset(v, 0, sizeof(*v));
	if ((rc = hl_archive__reader_scope(r)) < 0)
		return rc;
	v->max_level = (int)hl_auth_ceiling(r->who);
	v->scope = r->codes, v->nscope = r->n, v->all = r->all;
	return 0;
}

int hl_archive_ocr_status(hl_ocr_status *out, hl_archive *a, const hl_principal *who)
{
	hl_ocr_status s = {0};
	hl_store_pages_stats p;
	hl_archive__reader rd;
	hl_store_vis v;
	int rc, fd;

	/* the counts are those of the pages `who` may see: no count of hidden records */
	hl_archive__reader_init(&rd, a, who);
	if (who && who->local)
		rc = hl_store_pages_count(&p, a->store);
	else if ((rc = visibility(&v, &rd)) == 0)
		rc = hl_store_pages_count_visible(&p, a->store, &v);
	hl_archive__reader_clear(&rd);
	if (rc < 0)
		return rc;
	s.pending = p.pending, s.done = p.done, s.failed = p.failed;
	s.documents = p.documents, s.text_layer = p.text_layer, s.mean_conf = p.mean_conf;
	rc = hl_store_ocr_run_last(a->store, last_run, &s);
	if (rc < 0 && rc != HL_ENOTFOUND)
		return rc;
	s.eta_seconds = s.pages_per_min > 0 ? (double)s.pending * 60.0 / s.pages_per_min : -1;
	if ((fd = take_lock(a, 0)) >= 0)
		close(fd);
	else
		s.running = hl_error_code() == HL_ECONFLICT;
	hl_error_clear();
	*out = s;
	return 0;
}

int hl_archive_ocr_failures(hl_archive *a, const hl_principal *who, size_t max, hl_page_cb cb,
                            void *ud)
{
	hl_archive__reader rd;
	hl_store_vis v;
	int rc;
	if (who && who->local)
		return hl_store_pages_failed(a->store, max, cb, ud);
	hl_archive__reader_init(&rd, a, who);
	if ((rc = visibility(&v, &rd)) == 0)
		rc = hl_store_pages_failed_visible(a->store, &v, max, cb, ud);
	hl_archive__reader_clear(&rd);
	return rc;
}

/* ---- the review list ---- */

#define REVIEW_SCAN    20000 /* pages to check read to find `max` the reader may see */
#define REVIEW_RECHECK 2000  /* pages a review checks under today's rule before it lists */

/* The restricted or secret documents a review listed, each once, in the order first listed:
 * a set of their ids (open addressing, at most half full) beside the list. */
typedef struct {
	char **ids;
	size_t n, cap;
	uint32_t *slots; /* 0: empty; else index in ids + 1 */
	size_t nslots;
} listed_docs;

static int listed_grow(listed_docs *l)
{
	size_t nslots = l->nslots ? 2 * l->nslots : 64;
	uint32_t *slots = calloc(nslots, sizeof(*slots));
	char **ids = realloc(l->ids, nslots / 2 * sizeof(*ids));
	if (!slots || !ids) {
		free(slots);
		if (ids)
			l->ids = ids;
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	l->ids = ids, l->cap = nslots / 2;
	for (size_t i = 0; i < l->n; i++) {
		size_t k = hl_str_hash(l->ids[i]) & (nslots - 1);
		while (slots[k])
			k = (k + 1) & (nslots - 1);
		slots[k] = (uint32_t)i + 1;
	}
	free(l->slots);
	l->slots = slots, l->nslots = nslots;
	return 0;
}

static int listed_add(listed_docs *l, const char *doc_id)
{
	size_t k;
	int rc;
	if (l->n + 1 > l->cap && (rc = listed_grow(l)) < 0)
		return rc;
	for (k = hl_str_hash(doc_id) & (l->nslots - 1); l->slots[k]; k = (k + 1) & (l->nslots - 1))
		if (!strcmp(l->ids[l->slots[k] - 1], doc_id))
			return 0;
	if (!(l->ids[l->n] = hl_strdup(doc_id)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	l->slots[k] = (uint32_t)++l->n;
	return 0;
}

static void listed_clear(listed_docs *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->ids[i]);
	free(l->ids), free(l->slots);
	memset(l, 0, sizeof(*l));
}

typedef struct {
	hl_archive__reader *r;
	hl_page_cb cb;
	void *ud;
	size_t max, shown, scanned;
	double below;
	int rule;
	listed_docs audit;
	int err;
} review_ctx;

/* Who may see the page is decided from the row itself (its document's level and fonds, read by
 * the same statement as its text): no document is read whole. */
static int review_row(const hl_page_row *row, const char *fonds, void *ud)
{
	review_ctx *c = ud;
	int rc;
	if (++c->scanned > REVIEW_SCAN)
		return 1;
	if (!hl_archive__reader_may_see(c->r, row->access, fonds))
		return 0;
	if (row->access >= HL_ACCESS_RESTRICTED && (rc = listed_add(&c->audit, row->doc_id)) < 0) {
		c->err = rc;
		return 1;
	}
	hl_page_row shown = *row;
	shown.checked = row->check_rule == c->rule;
	shown.below = !row->text_version && !row->from_text_layer && row->mean_conf >= 0 &&
	              row->mean_conf < c->below;
	if ((rc = c->cb(&shown, c->ud)) != 0) {
		if (rc < 0)
			c->err = rc;
		return 1;
	}
	return ++c->shown >= c->max;
}

int hl_archive_ocr_review(hl_archive *a, const hl_principal *who, double below, size_t max,
                          uint64_t *unchecked, hl_page_cb cb, void *ud)
{
	hl_archive__reader rd;
	review_ctx c = {0};
	int rc;

	if ((rc = hl_auth_check(who, HL_ACT_OCR_REVIEW)) < 0)
		return rc;
	if (!(below >= 0 && below <= 100))
		return hl_error_set(HL_EINVALID, "below: a confidence from 0 to 100");
	/* pages not yet checked under today's rule are checked first (a few thousand: the rest
	 * is the next review's, or the next OCR run's) */
	if ((rc = hl_archive__recheck(a, REVIEW_RECHECK, unchecked)) < 0)
		return rc;
	/* a count over every record is the province's figure (HL_ACT_STATS_ALL), as /stats' */
	if (unchecked && hl_auth_check(who, HL_ACT_STATS_ALL) < 0) {
		*unchecked = 0;
		hl_error_clear();
	}
	hl_archive__reader_init(&rd, a, who);
	c.r = &rd, c.cb = cb, c.ud = ud, c.max = max ? max : 50;
	c.below = below, c.rule = hl_ocr_check_rule_id();
	/* Listed without the store's write lock: scanning up to REVIEW_SCAN pages must not hold
	 * every writer back. Each page's level, fonds and text come from one statement, so what
	 * is shown was visible when read. */
	rc = hl_store_pages_review(a->store, below, REVIEW_SCAN + 1, review_row, &c);
	if (rc >= 0 && c.err)
		rc = c.err;
	/* A page's text is its record's content: each restricted or secret document listed is
	 * audited as read, all in one short transaction after the listing. What was shown was
	 * read: it is recorded whatever changed since. */
	if (rc >= 0 && c.audit.n) {
		if ((rc = hl_store_begin(a->store)) < 0)
			goto done;
		for (size_t i = 0; i < c.audit.n && rc >= 0; i++)
			rc = hl_store_audit(a->store, hl_principal_actor(who), "read",
			                    c.audit.ids[i], "ocr review");
		rc = rc < 0 ? (hl_store_rollback(a->store), rc) : hl_store_commit(a->store);
	}
done:
	listed_clear(&c.audit);
	hl_archive__reader_clear(&rd);
	return rc < 0 ? rc : 0;
}

/* ---- one document's pages ---- */

typedef struct {
	int seq; /* 0: every page */
	size_t n, cap;
	hl_page_row *v; /* strings copied */
	hl_ocr_page *parsed;
} pages;

static char *dup0(const char *s)
{
	return s ? hl_strdup(s) : NULL;
}

static int page_add(const hl_page_row *r, void *ud)
{
	pages *p = ud;
	hl_page_row *c;
	if (p->seq && r->seq != p->seq)
		return 0;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		hl_page_row *v = realloc(p->v, cap * sizeof(*v));
		if (!v)
			return hl_error_set(HL_ENOMEM, "out of memory");
		p->v = v, p->cap = cap;
	}
	c = &p->v[p->n++];
	*c = *r;
	c->doc_id = dup0(r->doc_id), c->file_name = dup0(r->file_name);
	c->sha256 = dup0(r->sha256), c->state = dup0(r->state), c->error = dup0(r->error);
	c->done_at = NULL;
	c->result = dup0(r->result);
	/* a person's text replaces the machine's in what is made of the page */
	c->text = r->text_version ? dup0(r->text) : NULL;
	c->machine_text = c->corrected_by = c->corrected_at = NULL;
	c->approved_by = c->approved_at = c->suspect_words = NULL;
	return 0;
}

static void pages_clear(pages *p)
{
	for (size_t i = 0; i < p->n; i++) {
		hl_page_row *c = &p->v[i];
		free((char *)c->doc_id), free((char *)c->file_name), free((char *)c->sha256);
		free((char *)c->state), free((char *)c->error), free((char *)c->result);
		free((char *)c->text);
		if (p->parsed)
			hl_ocr_page_free(&p->parsed[i]);
	}
	free(p->v), free(p->parsed);
}

/* The document's pages (or page seq), each parsed from its JSON; every one must be done. */
static int load_pages(pages *p, hl_archive *a, const char *doc_id)
{
	int rc = hl_store_pages_of(a->store, doc_id, page_add, p);
	if (rc < 0)
		return rc;
	if (!p->n)
		return p->seq ? hl_error_set(HL_ENOTFOUND, "document %s has no page %d", doc_id,
		                             p->seq)
		              : hl_error_set(HL_ENOTFOUND,
		                             "document %s has no pages (ingest it with --ocr)",
		                             doc_id);
	if (!(p->parsed = calloc(p->n, sizeof(*p->parsed))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	for (size_t i = 0; i < p->n; i++) {
		const hl_page_row *r = &p->v[i];
		if (strcmp(r->state, "done"))
			return hl_error_set(
			    HL_ECONFLICT, "document %s: page %d (%s, page %d) is %s%s%s", doc_id,
			    r->seq, r->file_name ? r->file_name : "?", r->page_no, r->state,
			    r->error ? ": " : "", r->error ? r->error : "");
		if (hl_ocr_page_from_json(&p->parsed[i], r->result) < 0)
			return -1;
		if (r->text_version) {
			/* the corrected words laid on the machine's boxes (ALTO, searchable PDF) */
			hl_ocr_page machine = p->parsed[i];
			int r2 =
			    hl_ocr_page_retext(&p->parsed[i], &machine, r->text ? r->text : "");
			if (r2 < 0) {
				p->parsed[i] = machine;
				return r2;
			}
			hl_ocr_page_free(&machine);
		}
	}
	return 0;
}

int hl_archive_page_alto(char **out, hl_archive *a, const hl_principal *who, const char *doc_id,
                         int seq)
{
	pages p = {.seq = seq};
	hl_archive__read op;
	char what[32];
	char *xml = NULL;
	int rc;
	/* as hl_archive_page_open: the document first (hidden is missing), then the page */
	if ((rc = hl_archive__read_begin(&op, a, who, doc_id)) == 0 && seq < 1)
		rc = hl_error_set(HL_ENOTFOUND, "no page %d in %s", seq, op.d->doc_id);
	if (rc == 0 && (rc = load_pages(&p, a, op.d->doc_id)) == 0)
		rc = hl_ocr_alto(&xml, &p.parsed[0], p.v[0].file_name);
	pages_clear(&p);
	snprintf(what, sizeof(what), "page %d alto", seq);
	rc = hl_archive__read_end(&op, rc, what);
	hl_archive__read_drop(&op);
	if (rc < 0) {
		free(xml);
		return rc;
	}
	*out = xml;
	return 0;
}

int hl_archive_export_pdf(hl_archive *a, const hl_principal *who, const char *doc_id,
                          const char *out_path)
{
	pages p = {0};
	hl_ocr_pdf_page *pp = NULL;
	hl_archive__read op;
	char **paths = NULL;
	int rc;

	/* decided and audited first, in one transaction: the export itself can take seconds and
	 * must not hold the store's write lock */
	rc = hl_archive__read_begin(&op, a, who, doc_id);
	if ((rc = hl_archive__read_end(&op, rc, "pdf")) < 0 ||
	    (rc = load_pages(&p, a, op.d->doc_id)) < 0)
		goto done;
	pp = calloc(p.n, sizeof(*pp));
	paths = calloc(p.n, sizeof(*paths));
	if (!pp || !paths) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < p.n; i++) {
		if (!(paths[i] = hl_blob_path(a, p.v[i].sha256))) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		pp[i] = (hl_ocr_pdf_page){paths[i], p.v[i].file_name, p.v[i].page_no, &p.parsed[i]};
	}
	rc = hl_ocr_pdf_export(out_path, pp, p.n);
done:
	hl_archive__read_drop(&op);
	for (size_t i = 0; paths && i < p.n; i++)
		free(paths[i]);
	free(paths), free(pp);
	pages_clear(&p);
	return rc;
}

/* ---- evaluation against ground truth ---- */

typedef struct {
	const char *dir;
	hl_ocr_eval_total t;
	void (*cb)(const hl_ocr_eval_row *r, void *ud);
	void *ud;
	/* pages of the current file, joined, for a NAME.txt of the whole file */
	char *file_key; /* doc_id + file_seq */
	char *joined;
	size_t jlen;
	char *truth_path, *doc_id, *file;
	double conf_sum;
	int npages;
	int failed;
} eval_ctx;

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	if (!f)
		return NULL;
	m = open_memstream(&buf, &len);
	if (m) {
		char tmp[65536];
		size_t k;
		while ((k = fread(tmp, 1, sizeof(tmp), f)) > 0 && len < (8u << 20))
			fwrite(tmp, 1, k, m);
		fclose(m);
	}
	fclose(f);
	return buf;
}

/* GT_DIR/NAME(.pN).txt for a file name as the manifest gave it. */
static char *truth_for(const char *dir, const char *file, int page_no)
{
	const char *base = strrchr(file, '/');
	char name[512], *path;
	base = base ? base + 1 : file;
	const char *dot = strrchr(base, '.');
	int n = dot ? (int)(dot - base) : (int)strlen(base);
	if (page_no)
		snprintf(name, sizeof(name), "%.*s.p%d.txt", n, base, page_no);
	else
		snprintf(name, sizeof(name), "%.*s.txt", n, base);
	path = hl_path_join(dir, name);
	if (path && !hl_file_exists(path) && page_no) {
		/* NAME-N.txt is accepted for page N too */
		free(path);
		snprintf(name, sizeof(name), "%.*s-%d.txt", n, base, page_no);
		path = hl_path_join(dir, name);
	}
	if (path && !hl_file_exists(path)) {
		free(path);
		path = NULL;
	}
	return path;
}

static int compare(eval_ctx *c, const char *truth_path, const char *text, const char *doc_id,
                   const char *file, int page_no, double conf)
{
	hl_ocr_eval_result e;
	char *truth = read_text(truth_path);
	int rc;
	if (!truth)
		return hl_error_set(HL_EIO, "%s: cannot read", truth_path);
	rc = hl_ocr_eval(&e, truth, text ? text : "");
	free(truth);
	if (rc < 0)
		return hl_error_set(hl_error_code(), "%s: %s", truth_path, hl_error_last());
	c->t.pages++;
	c->t.char_edits += e.char_edits, c->t.char_total += e.char_total;
	c->t.word_edits += e.word_edits, c->t.word_total += e.word_total;
	if (c->cb) {
		hl_ocr_eval_row r = {doc_id,       file,         truth_path,  page_no,
		                     e.cer,        e.wer,        conf,        e.char_edits,
		                     e.char_total, e.word_edits, e.word_total};
		c->cb(&r, c->ud);
	}
	return 0;
}

/* Ends the current file: its joined pages against NAME.txt. */
static int flush_file(eval_ctx *c)
{
	int rc = 0;
	if (c->file_key && c->truth_path)
		rc = compare(c, c->truth_path, c->joined, c->doc_id, c->file, 0,
		             c->npages ? c->conf_sum / c->npages : -1);
	else if (c->file_key && c->npages)
		c->t.missing += (uint64_t)c->npages;
	free(c->file_key), free(c->joined), free(c->truth_path), free(c->doc_id), free(c->file);
	c->file_key = c->joined = c->truth_path = c->doc_id = c->file = NULL;
	c->jlen = 0, c->npages = 0, c->conf_sum = 0;
	return rc;
}

static int eval_page(const hl_page_row *r, void *ud)
{
	eval_ctx *c = ud;
	const char *file = r->file_name ? r->file_name : r->sha256;
	char key[128], *page_truth;
	int rc;

	snprintf(key, sizeof(key), "%lld/%d", (long long)r->document_id, r->file_seq);
	if (!c->file_key || strcmp(c->file_key, key)) {
		if ((rc = flush_file(c)) < 0)
			return rc;
		c->file_key = hl_strdup(key);
		c->doc_id = hl_strdup(r->doc_id), c->file = hl_strdup(file);
		c->truth_path = truth_for(c->dir, file, 0);
	}
	/* the engine is measured: the machine's text, not a person's correction */
	const char *text = r->machine_text ? r->machine_text : r->text;
	if ((page_truth = truth_for(c->dir, file, r->page_no))) {
		rc = compare(c, page_truth, text, r->doc_id, file, r->page_no, r->mean_conf);
		free(page_truth);
		return rc;
	}
	if (!c->truth_path) {
		c->t.missing++;
		return 0;
	}
	/* joined with a line break, as the pages follow each other */
	size_t k = text ? strlen(text) : 0;
	char *j = realloc(c->joined, c->jlen + k + 2);
	if (!j)
		return hl_error_set(HL_ENOMEM, "out of memory");
	c->joined = j;
	if (c->jlen)
		c->joined[c->jlen++] = '\n';
	memcpy(c->joined + c->jlen, text ? text : "", k);
	c->jlen += k;
	c->joined[c->jlen] = 0;
	c->conf_sum += r->mean_conf, c->npages++;
	return 0;
}

int hl_archive_ocr_eval(hl_ocr_eval_total *out, hl_archive *a, const char *gt_dir,
                        void (*cb)(const hl_ocr_eval_row *r, void *ud), void *ud)
{
	eval_ctx c = {.dir = gt_dir, .cb = cb, .ud = ud};
	int rc;

	if (!gt_dir || !hl_file_exists(gt_dir))
		return hl_error_set(HL_ENOTFOUND, "%s: no such ground-truth folder",
		                    gt_dir ? gt_dir : "(none)");
	rc = hl_store_pages_done(a->store, eval_page, &c);
	if (rc == 0)
		rc = flush_file(&c);
	else
		flush_file(&c);
	if (rc < 0)
		return rc;
	c.t.cer = c.t.char_total ? (double)c.t.char_edits / (double)c.t.char_total : 0;
	c.t.wer = c.t.word_total ? (double)c.t.word_edits / (double)c.t.word_total : 0;
	*out = c.t;
	return 0;
}
