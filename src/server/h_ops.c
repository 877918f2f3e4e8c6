/* Operating the node: GET /healthz (the process answers), GET /readyz (the readiness
 * checks of hl_ops_checks, cached a few seconds per worker thread as X-Road does), GET /metrics
 * (Prometheus' text format, for the operator: a loopback client or the operator's token) and
 * GET /api/v1/ops (the same figures as JSON, for the admins' operations page). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "halong/common.h"
#include "halong/ops.h"
#include "jobs.h"
#include "server_int.h"

/* Seconds a worker keeps its last checks: a load balancer or monitor polling every second
 * does not take a write lock and open the index each time. */
#define READY_CACHE_S 5.0

static _Thread_local struct {
	int have;
	double at; /* CLOCK_MONOTONIC seconds */
	hl_ops_check checks[HL_OPS_NCHECKS];
	int failing; /* -1: the checks could not be run */
	char error[256];
} cache;

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* No store, no caller: answered even when the data directory cannot be opened
 * (ROUTE_NO_ARCHIVE). */
static int healthz(request *r)
{
	resp_header(r, "Cache-Control", "no-store");
	return resp_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

/* Admins see each check's reason (paths, counts, SQLite's messages); everyone else only the
 * names and outcomes, which say nothing of the node's insides (docs/api.md). */
static int readyz(request *r)
{
	int detail = r->who.user_id != 0 && r->who.role == HL_ROLE_ADMIN;
	double now = mono_s();
	json_t *checks, *j;
	int ready;

	if (!cache.have || now - cache.at >= READY_CACHE_S || now < cache.at) {
		hl_ops_limits lim;
		if (hl_ops_limits_get(&lim) < 0 ||
		    (cache.failing = hl_ops_checks(cache.checks, r->archive, &lim)) < 0) {
			cache.failing = -1;
			snprintf(cache.error, sizeof(cache.error), "%s", hl_error_last());
		}
		cache.have = 1;
		cache.at = now;
	}
	resp_header(r, "Cache-Control", "no-store");
	if (cache.failing < 0) {
		fprintf(stderr, "halong serve: %s: readiness checks: %s\n", r->id, cache.error);
		j = json_pack("{s:b,s:[]}", "ready", 0, "checks");
		if (j && detail)
			json_object_set_new(j, "error", json_string(cache.error));
		return resp_json(r, 503, j);
	}
	ready = cache.failing == 0;
	checks = json_array();
	for (int i = 0; checks && i < HL_OPS_NCHECKS; i++) {
		const hl_ops_check *c = &cache.checks[i];
		json_t *o = json_pack("{s:s,s:b}", "name", c->name, "ok", c->state != HL_OPS_FAIL);
		if (!o)
			continue;
		if (c->state == HL_OPS_SKIP)
			json_object_set_new(o, "skipped", json_true());
		if (detail)
			json_object_set_new(o, "reason", json_string(c->reason));
		json_array_append_new(checks, o);
	}
	j = json_pack("{s:b,s:o}", "ready", ready, "checks", checks);
	return resp_json(r, ready ? 200 : 503, j);
}

/* ---- GET /metrics ----
 *
 * Requests are counted per route — the route table's entry, its pattern and method, never the
 * path asked (a document's id or a feed's token never becomes a label) — per status class, with
 * their durations. A HEAD answered by a GET route counts as GET. A request no route answered is
 * counted under route "(static)" (a file of the web interface) or "(unmatched)" (404, 405, a bad
 * request line). A request that got no answer (the client left first) is not counted.
 *
 * The counters are atomics each worker adds to; a scrape reads them as they are (a request
 * counted between two reads may show in one family and not yet in another). The store's figures
 * (hl_ops_metrics_get) are read at most every METRICS_CACHE_S by one thread for all. */

#define METRICS_CACHE_S 5.0
#define OPS_ROUTES_MAX  512 /* entries of the route table counted (router.c has ~110) */
#define NCLASS          5   /* 1xx .. 5xx */
#define NMETHOD         8   /* GET HEAD POST PUT DELETE PATCH OPTIONS, other */
#define NBUCKETS        12

static const char *const method_names[NMETHOD] = {"GET",    "HEAD",  "POST",    "PUT",
                                                  "DELETE", "PATCH", "OPTIONS", "other"};
static const double http_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
static const double search_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                       0.1,   0.25,   0.5,   1,    2.5,   5};
#define NB_HTTP   (sizeof(http_bounds) / sizeof(http_bounds[0]))
#define NB_SEARCH (sizeof(search_bounds) / sizeof(search_bounds[0]))

/* b[i]: observations in bucket i alone (above bound i-1, at most bound i); the cumulative counts
 * Prometheus wants are summed when written. count includes those above every bound. */
typedef struct {
	atomic_uint_fast64_t count, sum_us, b[NBUCKETS];
} hist;

/* [route k | SLOT_STATIC | SLOT_UNMATCHED + method][status class] */
#define SLOT_STATIC    OPS_ROUTES_MAX
#define SLOT_UNMATCHED (OPS_ROUTES_MAX + 1)
#define NSLOTS         (OPS_ROUTES_MAX + 1 + NMETHOD)
static hist http_hist[NSLOTS][NCLASS];
static hist search_hist;
static atomic_uint_fast64_t search_cached;

static void observe(hist *h, const double *bounds, size_t nb, double s)
{
	size_t i = 0;
	while (i < nb && s > bounds[i])
		i++;
	if (i < nb)
		atomic_fetch_add_explicit(&h->b[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, (uint_fast64_t)(s > 0 ? s * 1e6 + 0.5 : 0),
	                          memory_order_relaxed);
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
}

static int method_ix(unsigned m)
{
	for (int i = 0; i < NMETHOD - 1; i++)
		if (m & (1u << i))
			return i;
	return NMETHOD - 1;
}

void ops_request_done(const request *r, double ms)
{
	int status = r->too_big ? 413 : r->resp.status;
	int cls = status / 100 - 1;
	size_t slot;
	if (cls < 0 || cls >= NCLASS)
		return;
	if (r->route) {
		long k = router_index(r->route);
		if (k < 0 || k >= OPS_ROUTES_MAX)
			return;
		slot = (size_t)k;
	} else if (!r->early && (r->method == M_GET || r->method == M_HEAD) &&
	           !(r->nseg >= 1 && !strcmp(r->seg[0], "api"))) {
		slot = SLOT_STATIC;
	} else {
		slot = SLOT_UNMATCHED + (size_t)method_ix(r->method);
	}
	observe(&http_hist[slot][cls], http_bounds, NB_HTTP, ms / 1000.0);
}

void ops_search_observe(double seconds, int cached)
{
	if (cached)
		atomic_fetch_add_explicit(&search_cached, 1, memory_order_relaxed);
	else
		observe(&search_hist, search_bounds, NB_SEARCH, seconds);
}

/* The store's figures, shared by every worker: read by the first scrape after METRICS_CACHE_S,
 * under the lock (the others wait for it rather than read them again). */
static pthread_mutex_t fig_mu = PTHREAD_MUTEX_INITIALIZER;
static hl_ops_metrics *fig;
static double fig_at;
static int fig_have;
static char fig_error[256];
static int schema_seen; /* the store's schema version, once read (for halong_build_info) */
static time_t started_at;

__attribute__((constructor)) static void note_start(void)
{
	started_at = time(NULL);
}

/* Locks fig_mu and refreshes the figures if they are old; the caller unlocks. fig may be NULL
 * (fig_error says why). */
static void figures_lock(request *r)
{
	double now = mono_s();
	pthread_mutex_lock(&fig_mu);
	/* a failure is kept as long: a broken store is not asked again at every scrape */
	if (fig_have && now - fig_at < METRICS_CACHE_S && now >= fig_at)
		return;
	hl_ops_metrics_free(fig);
	fig = NULL;
	fig_error[0] = '\0';
	if (hl_ops_metrics_get(&fig, r->archive) < 0) {
		fig = NULL;
		snprintf(fig_error, sizeof(fig_error), "%s", hl_error_last());
		fprintf(stderr, "halong serve: %s: metrics: %s\n", r->id, fig_error);
	} else if (fig->schema_version > 0) {
		schema_seen = fig->schema_version;
	}
	fig_at = now;
	fig_have = 1;
}

/* A label value as Prometheus' text format wants it: \\, \" and \n escaped. */
static void label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f), fputc(*s, f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A number as Prometheus reads it (integers without a fraction). */
static void num(FILE *f, double v)
{
	if (v == (double)(int64_t)v && v < 9e15 && v > -9e15)
		fprintf(f, "%lld\n", (long long)v);
	else
		fprintf(f, "%.17g\n", v);
}

/* A family whose samples may all be left out: its HELP and TYPE are written before its first
 * sample only (*done remembers). */
static void family_once(FILE *f, int *done, const char *name, const char *type, const char *help)
{
	if (!*done)
		family(f, name, type, help);
	*done = 1;
}

static void gauge1(FILE *f, const char *name, const char *help, double v)
{
	family(f, name, "gauge", help);
	fprintf(f, "%s ", name);
	num(f, v);
}

/* One histogram's series; `labels` is "" or `k="v",` pairs ending with a comma. */
static void hist_write(FILE *f, const char *name, const char *labels, const uint64_t *b,
                       const double *bounds, size_t nb, uint64_t count, uint64_t sum_us)
{
	uint64_t cum = 0;
	for (size_t i = 0; i < nb; i++) {
		cum += b[i];
		fprintf(f, "%s_bucket{%sle=\"%g\"} %llu\n", name, labels, bounds[i],
		        (unsigned long long)cum);
	}
	fprintf(f, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, labels, (unsigned long long)count);
	/* the labels without their last comma */
	if (*labels)
		fprintf(f, "%s_sum{%.*s} %.6f\n%s_count{%.*s} %llu\n", name,
		        (int)strlen(labels) - 1, labels, (double)sum_us / 1e6, name,
		        (int)strlen(labels) - 1, labels, (unsigned long long)count);
	else
		fprintf(f, "%s_sum %.6f\n%s_count %llu\n", name, (double)sum_us / 1e6, name,
		        (unsigned long long)count);
}

typedef struct {
	uint64_t count, sum_us, b[NBUCKETS];
} hist_copy;

static void hist_add(hist_copy *c, hist *h)
{
	c->count += atomic_load_explicit(&h->count, memory_order_relaxed);
	c->sum_us += atomic_load_explicit(&h->sum_us, memory_order_relaxed);
	for (size_t i = 0; i < NBUCKETS; i++)
		c->b[i] += atomic_load_explicit(&h->b[i], memory_order_relaxed);
}

/* The route table, numbered once (it never changes): rtab[k] is entry k, canon[k] the first
 * entry with the same pattern and method (two such entries make one series: the later one is
 * never reached for that method, but it is counted where it would be). */
static const route *rtab[OPS_ROUTES_MAX];
static size_t nrtab, canon[OPS_ROUTES_MAX];
static pthread_once_t rtab_once = PTHREAD_ONCE_INIT;

static void rtab_init(void)
{
	size_t n = router_count();
	nrtab = n < OPS_ROUTES_MAX ? n : OPS_ROUTES_MAX;
	for (size_t k = 0; k < nrtab; k++) {
		rtab[k] = router_at(k);
		canon[k] = k;
		for (size_t j = 0; j < k; j++)
			if (!strcmp(rtab[j]->pattern, rtab[k]->pattern) &&
			    method_ix(rtab[j]->methods) == method_ix(rtab[k]->methods)) {
				canon[k] = j;
				break;
			}
	}
}

/* The name and method of slot s, for its labels. */
static void slot_names(const char **pat, const char **method, size_t s)
{
	if (s == SLOT_STATIC) {
		*pat = "(static)", *method = "GET";
	} else if (s >= SLOT_UNMATCHED) {
		*pat = "(unmatched)", *method = method_names[s - SLOT_UNMATCHED];
	} else {
		*pat = rtab[s]->pattern;
		*method = method_names[method_ix(rtab[s]->methods)];
	}
}

/* Is slot s one to write (a route of the table that is its own canon, or a special one)? */
static int slot_written(size_t s)
{
	if (s < OPS_ROUTES_MAX)
		return s < nrtab && canon[s] == s;
	return 1;
}

static void write_http(FILE *f)
{
	hist_copy(*c)[NCLASS] = calloc(NSLOTS, sizeof(*c));
	if (!c)
		return;
	pthread_once(&rtab_once, rtab_init);
	for (size_t s = 0; s < NSLOTS; s++) {
		size_t to = s < OPS_ROUTES_MAX ? (s < nrtab ? canon[s] : s) : s;
		if (s < OPS_ROUTES_MAX && s >= nrtab)
			continue;
		for (int k = 0; k < NCLASS; k++)
			hist_add(&c[to][k], &http_hist[s][k]);
	}
	family(f, "halong_http_requests_total", "counter",
	       "Requests answered, by route (the route table's pattern, never the path), method "
	       "and status class.");
	for (size_t s = 0; s < NSLOTS; s++) {
		const char *p, *m;
		if (!slot_written(s))
			continue;
		slot_names(&p, &m, s);
		for (int k = 0; k < NCLASS; k++) {
			if (!c[s][k].count)
				continue;
			fputs("halong_http_requests_total{route=\"", f);
			label(f, p);
			fprintf(f, "\",method=\"%s\",status_class=\"%dxx\"} %llu\n", m, k + 1,
			        (unsigned long long)c[s][k].count);
		}
	}
	family(f, "halong_http_request_duration_seconds", "histogram",
	       "Time from a request's first byte to its answer being sent, by route, method and "
	       "status class.");
	for (size_t s = 0; s < NSLOTS; s++) {
		const char *p, *m;
		if (!slot_written(s))
			continue;
		slot_names(&p, &m, s);
		for (int k = 0; k < NCLASS; k++) {
			char *labels = NULL;
			size_t len = 0;
			FILE *lf;
			if (!c[s][k].count || !(lf = open_memstream(&labels, &len)))
				continue;
			fputs("route=\"", lf);
			label(lf, p);
			fprintf(lf, "\",method=\"%s\",status_class=\"%dxx\",", m, k + 1);
			fclose(lf);
			hist_write(f, "halong_http_request_duration_seconds", labels, c[s][k].b,
			           http_bounds, NB_HTTP, c[s][k].count, c[s][k].sum_us);
			free(labels);
		}
	}
	free(c);
}

static void write_search(FILE *f)
{
	hist_copy c = {0};
	hist_add(&c, &search_hist);
	family(f, "halong_search_duration_seconds", "histogram",
	       "Time the search index took to answer a search (answers served from the cache are "
	       "not in it).");
	hist_write(f, "halong_search_duration_seconds", "", c.b, search_bounds, NB_SEARCH, c.count,
	           c.sum_us);
	family(f, "halong_search_cached_total", "counter",
	       "Searches answered from the server's cache of answers.");
	fprintf(f, "halong_search_cached_total %llu\n",
	        (unsigned long long)atomic_load_explicit(&search_cached, memory_order_relaxed));
}

/* The store's figures; fig_mu held. */
static void write_figures(FILE *f, const hl_ops_metrics *m)
{
	gauge1(f, "halong_documents", "Records in the store.", (double)m->documents);
	gauge1(f, "halong_store_size_bytes", "Size of the store's files (halong.db and its WAL).",
	       (double)m->store_bytes);
	gauge1(f, "halong_blobs", "Files (blobs) the store records.", (double)m->blobs);
	gauge1(f, "halong_blob_size_bytes", "Bytes of the files (blobs) the store records.",
	       (double)m->blob_bytes);
	gauge1(f, "halong_index_up", "1 when the search index opens.", m->index_open);
	gauge1(f, "halong_index_lag_changes",
	       "Changes queued in the store and not yet applied to the search index.",
	       (double)m->index_lag);
	gauge1(f, "halong_index_queue_seq", "The index queue's last sequence number given.",
	       (double)m->index_queue_seq);
	gauge1(f, "halong_index_applied_seq",
	       "The last sequence number of the queue the search index applied.",
	       (double)m->index_applied_seq);
	gauge1(f, "halong_index_documents", "Documents the search index holds.",
	       (double)m->index_docs);
	family(f, "halong_ocr_pages", "gauge", "Pages by OCR state (pending: waiting for OCR).");
	fprintf(f, "halong_ocr_pages{state=\"pending\"} %lld\n", (long long)m->pages_pending);
	fprintf(f, "halong_ocr_pages{state=\"done\"} %lld\n", (long long)m->pages_done);
	fprintf(f, "halong_ocr_pages{state=\"failed\"} %lld\n", (long long)m->pages_failed);
	gauge1(f, "halong_ocr_queue_pages", "Pages waiting for OCR.", (double)m->pages_pending);
	family(f, "halong_ocr_pages_done_total", "counter", "Pages every OCR run recognised.");
	fprintf(f, "halong_ocr_pages_done_total %lld\n", (long long)m->ocr_pages_done_total);
	family(f, "halong_ocr_pages_failed_total", "counter", "Pages every OCR run failed.");
	fprintf(f, "halong_ocr_pages_failed_total %lld\n", (long long)m->ocr_pages_failed_total);
	family(f, "halong_ocr_seconds_total", "counter", "Time every OCR run took.");
	fprintf(f, "halong_ocr_seconds_total ");
	num(f, m->ocr_seconds_total);

	if (m->npeers) {
		family(f, "halong_exchange_waiting_messages", "gauge",
		       "Messages in the outbox for a peer, not yet delivered.");
		for (size_t i = 0; i < m->npeers; i++) {
			fputs("halong_exchange_waiting_messages{peer=\"", f);
			label(f, m->peers[i].peer);
			fprintf(f, "\"} %lld\n", (long long)m->peers[i].waiting);
		}
		family(f, "halong_exchange_lag_seconds", "gauge",
		       "Age of the oldest message waiting for a peer (0 when none waits).");
		for (size_t i = 0; i < m->npeers; i++) {
			fputs("halong_exchange_lag_seconds{peer=\"", f);
			label(f, m->peers[i].peer);
			fputs("\"} ", f);
			num(f, m->peers[i].lag_seconds);
		}
		family(f, "halong_exchange_held_messages", "gauge",
		       "Messages received from a peer and held for an earlier one.");
		for (size_t i = 0; i < m->npeers; i++) {
			fputs("halong_exchange_held_messages{peer=\"", f);
			label(f, m->peers[i].peer);
			fprintf(f, "\"} %lld\n", (long long)m->peers[i].held);
		}
		int fam = 0;
		for (size_t i = 0; i < m->npeers; i++) {
			if (m->peers[i].last_success_ms <= 0)
				continue;
			family_once(f, &fam, "halong_exchange_last_success_timestamp_seconds",
			            "gauge", "When a message was last delivered to a peer.");
			fputs("halong_exchange_last_success_timestamp_seconds{peer=\"", f);
			label(f, m->peers[i].peer);
			fprintf(f, "\"} %.3f\n", (double)m->peers[i].last_success_ms / 1000.0);
		}
	}
	gauge1(f, "halong_exchange_peers_omitted",
	       "Peers beyond the number reported (their figures are not above).",
	       (double)m->peers_dropped);
	if (m->nfeeds) {
		int fam = 0;
		for (size_t i = 0; i < m->nfeeds; i++)
			if (m->feeds[i].published >= 0) {
				family_once(
				    f, &fam, "halong_feed_published_seq", "gauge",
				    "The last entry this node published in a feed (the hub).");
				fputs("halong_feed_published_seq{feed=\"", f);
				label(f, m->feeds[i].feed);
				fprintf(f, "\"} %lld\n", (long long)m->feeds[i].published);
			}
		fam = 0;
		for (size_t i = 0; i < m->nfeeds; i++)
			if (m->feeds[i].applied >= 0) {
				family_once(
				    f, &fam, "halong_feed_applied_seq", "gauge",
				    "The last entry of a feed this node applied (a commune).");
				fputs("halong_feed_applied_seq{feed=\"", f);
				label(f, m->feeds[i].feed);
				fprintf(f, "\"} %lld\n", (long long)m->feeds[i].applied);
			}
		fam = 0;
		for (size_t i = 0; i < m->nfeeds; i++)
			if (m->feeds[i].applied >= 0 && m->feeds[i].hub_seq >= 0) {
				family_once(
				    f, &fam, "halong_feed_lag_entries", "gauge",
				    "Entries of a feed the hub has and this node has not applied.");
				int64_t lag = m->feeds[i].hub_seq - m->feeds[i].applied;
				fputs("halong_feed_lag_entries{feed=\"", f);
				label(f, m->feeds[i].feed);
				fprintf(f, "\"} %lld\n", (long long)(lag > 0 ? lag : 0));
			}
	}
	if (m->ntargets) {
		gauge1(f, "halong_backup_targets",
		       "Backup targets configured (HALONG_BACKUP_TARGETS).", (double)m->ntargets);
		family(f, "halong_backup_target_up", "gauge",
		       "1 when a backup target's folder can be listed.");
		for (size_t i = 0; i < m->ntargets; i++) {
			fputs("halong_backup_target_up{target=\"", f);
			label(f, m->targets[i].path);
			fprintf(f, "\"} %d\n", m->targets[i].readable);
		}
		family(f, "halong_backups", "gauge",
		       "Complete backups on a target (their manifests read, not verified).");
		for (size_t i = 0; i < m->ntargets; i++) {
			fputs("halong_backups{target=\"", f);
			label(f, m->targets[i].path);
			fprintf(f, "\"} %lld\n", (long long)m->targets[i].backups);
		}
		int fam = 0;
		for (size_t i = 0; i < m->ntargets; i++) {
			if (!m->targets[i].newest_s)
				continue;
			family_once(f, &fam, "halong_backup_newest_timestamp_seconds", "gauge",
			            "When the newest backup on a target was made.");
			fputs("halong_backup_newest_timestamp_seconds{target=\"", f);
			label(f, m->targets[i].path);
			fprintf(f, "\"} %lld\n", (long long)m->targets[i].newest_s);
		}
		if (m->backup_newest_s)
			gauge1(f, "halong_backup_age_seconds",
			       "Seconds since the newest backup found on the configured targets.",
			       (double)(m->now_s - m->backup_newest_s));
	}
}

static int ops_render(char **out, size_t *len, request *r)
{
	FILE *f = open_memstream(out, len);
	if (!f)
		return hl_error_set(HL_ENOMEM, "out of memory");
	figures_lock(r);
	family(f, "halong_build_info", "gauge", "The version of halong and of its store's schema.");
	fprintf(f, "halong_build_info{version=\"%s\",schema=\"%d\"} 1\n", HL_VERSION, schema_seen);
	gauge1(f, "halong_process_start_time_seconds", "When the process started (Unix time).",
	       (double)started_at);
	gauge1(f, "halong_store_figures_up",
	       "1 when the store's figures below could be read (else see the server's log).",
	       fig != NULL);
	if (fig)
		write_figures(f, fig);
	pthread_mutex_unlock(&fig_mu);
	{
		family(f, "halong_jobs_running", "gauge",
		       "Background jobs running, by kind (one of a kind at a time).");
		fprintf(f, "halong_jobs_running{kind=\"ingest\"} %d\n",
		        jobs_running("ingest") ? 1 : 0);
		fprintf(f, "halong_jobs_running{kind=\"ocr\"} %d\n", jobs_running("ocr") ? 1 : 0);
	}
	write_search(f);
	write_http(f);
	if (fclose(f) != 0) {
		free(*out);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	return 0;
}

/* Is the text address a loopback one (127.0.0.0/8, ::1, ::ffff:127.x.y.z)? */
static int is_loopback(const char *addr)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return 0;
}

#define TOKEN_FILE_MAX 4096

/* Does `given` equal the token in $HALONG_METRICS_TOKEN_FILE? Both are hashed first, so that the
 * comparison (sodium_memcmp) takes the same time whatever their lengths. 1 yes, 0 no; -1 when
 * no token is configured or the file cannot be read (logged, never the token). */
static int token_ok(request *r, const char *given)
{
	const char *path = getenv("HALONG_METRICS_TOKEN_FILE");
	char buf[TOKEN_FILE_MAX + 1];
	unsigned char h1[crypto_generichash_BYTES], h2[crypto_generichash_BYTES];
	ssize_t n = 0, k;
	int fd, ok;

	if (!path || !*path)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		fprintf(stderr, "halong serve: %s: metrics: %s: %s\n", r->id, path,
		        strerror(errno));
		return -1;
	}
	while (n < (ssize_t)sizeof(buf) &&
	       ((k = read(fd, buf + n, sizeof(buf) - (size_t)n)) > 0 || (k < 0 && errno == EINTR)))
		if (k > 0)
			n += k;
	close(fd);
	if (n > TOKEN_FILE_MAX) {
		fprintf(stderr, "halong serve: %s: metrics: %s: longer than %d bytes\n", r->id,
		        path, TOKEN_FILE_MAX);
		sodium_memzero(buf, sizeof(buf));
		return -1;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
	                 buf[n - 1] == '\t'))
		n--;
	if (n == 0) {
		fprintf(stderr, "halong serve: %s: metrics: %s: empty\n", r->id, path);
		return -1;
	}
	crypto_generichash(h1, sizeof(h1), (const unsigned char *)buf, (size_t)n, NULL, 0);
	crypto_generichash(h2, sizeof(h2), (const unsigned char *)given, strlen(given), NULL, 0);
	sodium_memzero(buf, sizeof(buf));
	ok = sodium_memcmp(h1, h2, sizeof(h1)) == 0;
	return ok;
}

/* Who may scrape: the operator's token (Authorization: Bearer), or a client on the node itself
 * whose request no proxy forwarded (a proxy on the node would make every client look local: a
 * request carrying Forwarded, X-Forwarded-For or X-Real-IP needs the token; those headers never
 * grant anything). A wrong token is refused from anywhere. */
static int metrics_allowed(request *r, const char **why)
{
	const char *auth = req_header(r, "Authorization");
	if (auth) {
		if (strncasecmp(auth, "Bearer ", 7) != 0 || !auth[7]) {
			*why = "the Authorization header must be \"Bearer TOKEN\"";
			return 0;
		}
		if (token_ok(r, auth + 7) == 1)
			return 1;
		*why = "wrong token for /metrics";
		return 0;
	}
	if (is_loopback(r->client) && !req_header(r, "Forwarded") &&
	    !req_header(r, "X-Forwarded-For") && !req_header(r, "X-Real-IP"))
		return 1;
	*why = "/metrics is read from the node itself or with the operator's token "
	       "(HALONG_METRICS_TOKEN_FILE)";
	return 0;
}

static int metrics(request *r)
{
	const char *why = NULL;
	char *body = NULL;
	size_t len = 0;
	int rc;
	if (!metrics_allowed(r, &why))
		return resp_error(r, 403, "%s", why);
	if ((rc = ops_render(&body, &len, r)) < 0)
		return rc;
	resp_header(r, "Cache-Control", "no-store");
	return resp_bytes(r, 200, "text/plain; version=0.0.4; charset=utf-8", body, len, 1);
}

/* ---- GET /api/v1/ops: the same figures as JSON, for the admins' operations page ---- */

static json_t *js_secs(int64_t s)
{
	return s > 0 ? js_time(s * 1000) : json_null();
}

/* $HALONG_BACKUP_MAX_AGE_HOURS (the backups' readiness check reads it too), default 26. */
static long max_age_hours(void)
{
	const char *v = getenv("HALONG_BACKUP_MAX_AGE_HOURS");
	char *end;
	long n;
	if (!v || !*v)
		return 26;
	errno = 0;
	n = strtol(v, &end, 10);
	return errno || *end || n <= 0 ? 26 : n;
}

static json_t *figures_json(const hl_ops_metrics *m)
{
	json_t *peers = json_array(), *feeds = json_array(), *targets = json_array(), *j;
	for (size_t i = 0; peers && i < m->npeers; i++) {
		const hl_ops_metrics_peer *p = &m->peers[i];
		json_array_append_new(peers,
		                      json_pack("{s:s,s:I,s:f,s:I,s:o}", "peer", p->peer, "waiting",
		                                (json_int_t)p->waiting, "lag_seconds",
		                                p->lag_seconds, "held", (json_int_t)p->held,
		                                "last_success", js_time(p->last_success_ms)));
	}
	for (size_t i = 0; feeds && i < m->nfeeds; i++) {
		const hl_ops_metrics_feed *fd = &m->feeds[i];
		json_t *o = json_pack("{s:s}", "feed", fd->feed);
		if (!o)
			continue;
		json_object_set_new(o, "published",
		                    fd->published >= 0 ? json_integer(fd->published) : json_null());
		json_object_set_new(o, "applied",
		                    fd->applied >= 0 ? json_integer(fd->applied) : json_null());
		json_object_set_new(o, "hub_seq",
		                    fd->hub_seq >= 0 ? json_integer(fd->hub_seq) : json_null());
		json_object_set_new(o, "last_pull", js_time(fd->last_pull_ms));
		json_array_append_new(feeds, o);
	}
	for (size_t i = 0; targets && i < m->ntargets; i++) {
		const hl_ops_metrics_target *t = &m->targets[i];
		json_t *o = json_pack(
		    "{s:s,s:b,s:I,s:o,s:o}", "path", t->path, "readable", t->readable, "backups",
		    (json_int_t)t->backups, "newest_at", js_secs(t->newest_s), "newest_name",
		    t->newest_name[0] ? json_string(t->newest_name) : json_null());
		if (o)
			json_object_set_new(o, "age_seconds",
			                    t->newest_s ? json_integer(m->now_s - t->newest_s)
			                                : json_null());
		json_array_append_new(targets, o);
	}
	j = json_pack(
	    "{s:o,s:{s:i,s:I,s:I,s:I,s:I},s:{s:b,s:I,s:I,s:I,s:I},"
	    "s:{s:I,s:I,s:I,s:I,s:I,s:f},s:{s:b,s:b},s:o,s:I,s:o,s:{s:b,s:o,s:o,s:o,s:i}}",
	    "generated_at", js_secs(m->now_s), "store", "schema_version", m->schema_version,
	    "documents", (json_int_t)m->documents, "store_bytes", (json_int_t)m->store_bytes,
	    "blobs", (json_int_t)m->blobs, "blob_bytes", (json_int_t)m->blob_bytes, "index", "open",
	    m->index_open, "lag", (json_int_t)m->index_lag, "queue_seq",
	    (json_int_t)m->index_queue_seq, "applied_seq", (json_int_t)m->index_applied_seq,
	    "documents", (json_int_t)m->index_docs, "ocr", "pending", (json_int_t)m->pages_pending,
	    "done", (json_int_t)m->pages_done, "failed", (json_int_t)m->pages_failed, "done_total",
	    (json_int_t)m->ocr_pages_done_total, "failed_total",
	    (json_int_t)m->ocr_pages_failed_total, "seconds_total", m->ocr_seconds_total, "jobs",
	    "ingest", jobs_running("ingest") != 0, "ocr", jobs_running("ocr") != 0, "peers", peers,
	    "peers_omitted", (json_int_t)m->peers_dropped, "feeds", feeds, "backups", "configured",
	    m->ntargets > 0, "targets", targets, "newest_at", js_secs(m->backup_newest_s),
	    "age_seconds",
	    m->backup_newest_s ? json_integer(m->now_s - m->backup_newest_s) : json_null(),
	    "max_age_hours", (int)max_age_hours());
	return j;
}

static int ops_figures(request *r)
{
	json_t *j;
	int rc;
	if ((rc = hl_auth_check(&r->who, HL_ACT_OPS_READ)) < 0)
		return rc;
	figures_lock(r);
	if (!fig) {
		pthread_mutex_unlock(&fig_mu);
		return resp_error(r, 500,
		                  "the node's figures cannot be read now (request %s: the server's "
		                  "log says why)",
		                  r->id);
	}
	j = figures_json(fig);
	pthread_mutex_unlock(&fig_mu);
	resp_header(r, "Cache-Control", "no-store");
	return resp_json(r, 200, j);
}

const route routes_ops[] = {
    {M_GET, "/healthz", healthz, 0, ROUTE_NO_ARCHIVE},
    {M_GET, "/readyz", readyz, 0, 0},
    {M_GET, "/metrics", metrics, 0, ROUTE_OWN_AUTH},
    {M_GET, "/api/v1/ops", ops_figures, 0, 0},
    {0},
};
