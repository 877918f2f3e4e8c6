/* A node's metrics in one read: the store's figures (store/metrics.c), the index's position, the
 * store's size on disk, the exchange per peer, the feeds, and the newest backup on each target.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "halong/backup.h"
#include "halong/exchange.h"
#include "halong/ops.h"
#include "halong/util.h"
#include "search/search.h"
#include "store/store.h"
#include "store/store_exchange.h"
#include "store/store_metrics.h"

void hl_ops_metrics_free(hl_ops_metrics *m)
{
	if (!m)
		return;
	free(m->peers);
	free(m->feeds);
	free(m);
}

static uint64_t file_size(const char *dir, const char *name)
{
	char *p = hl_path_join(dir, name);
	struct stat sb;
	uint64_t n = 0;
	if (p && stat(p, &sb) == 0)
		n = (uint64_t)sb.st_size;
	free(p);
	return n;
}

/* A fresh read-only handle, as the readiness check does: the index as it is on disk now. */
static void index_position(hl_ops_metrics *m, hl_archive *a)
{
	char *dir = hl_path_join(hl_archive_dir(a), "index");
	hl_index *ix = NULL;
	if (dir && hl_index_open(&ix, dir, 0) == 0) {
		m->index_open = 1;
		m->index_applied_seq = hl_index_applied_seq(ix);
		m->index_docs = (int64_t)hl_index_doc_count(ix);
	}
	hl_index_free(ix);
	free(dir);
	hl_error_clear();
	m->index_lag = m->index_queue_seq - m->index_applied_seq;
	if (m->index_lag < 0)
		m->index_lag = 0;
}

static int on_peer(const hl_exchange_peer_status *p, void *ud)
{
	hl_ops_metrics *m = ud;
	hl_ops_metrics_peer *e;
	if (!p->peer)
		return 0;
	if (m->npeers >= HL_OPS_METRICS_PEERS_MAX || strlen(p->peer) >= sizeof(e->peer)) {
		m->peers_dropped++;
		return 0;
	}
	e = &m->peers[m->npeers++];
	snprintf(e->peer, sizeof(e->peer), "%s", p->peer);
	e->waiting = p->waiting;
	e->held = p->held;
	e->last_success_ms = p->last_success_ms;
	e->lag_seconds = 0;
	if (p->waiting > 0 && p->oldest_waiting_ms > 0) {
		double lag = (double)m->now_s - (double)p->oldest_waiting_ms / 1000.0;
		e->lag_seconds = lag > 0 ? lag : 0;
	}
	return 0;
}

static int on_feed(const char *feed, int64_t published, int64_t applied, int64_t hub_seq,
                   int64_t last_pull_ms, void *ud)
{
	hl_ops_metrics *m = ud;
	hl_ops_metrics_feed *f;
	if (m->nfeeds >= HL_OPS_METRICS_FEEDS_MAX || strlen(feed) >= sizeof(f->feed)) {
		m->feeds_dropped++;
		return 0;
	}
	f = &m->feeds[m->nfeeds++];
	snprintf(f->feed, sizeof(f->feed), "%s", feed);
	f->published = published;
	f->applied = applied;
	f->hub_seq = hub_seq;
	f->last_pull_ms = last_pull_ms;
	return 0;
}

/* ---- backups ----
 *
 * A target's manifests are read again only when the target's folder changed: a backup appears
 * by the rename of its .partial folder, and retention removes folders, both of which move the
 * folder's mtime (or its identity, for a target remounted). What was read is kept for the
 * process, per path, under a lock (the server's worker threads share it). */

typedef struct {
	char path[1024];
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	int64_t backups, newest_s;
	char newest_name[64];
} target_seen;

static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static target_seen seen[2 * HL_OPS_METRICS_TARGETS_MAX];
static size_t nseen;

/* "2026-12-08T00:30:00Z" as seconds since the epoch; 0 when it is not that. */
static int64_t parse_utc(const char *s)
{
	struct tm tm = {0};
	int n = 0;
	if (!s ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n != 20 || s[n])
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm);
}

typedef struct {
	int64_t backups, newest_s;
	char newest_name[64];
} list_acc;

static int on_backup(const hl_backup_entry *e, void *ud)
{
	list_acc *x = ud;
	int64_t t = parse_utc(e->created_at);
	if (!t)
		return 0; /* a manifest that cannot be read is no backup to count on */
	x->backups++;
	if (t >= x->newest_s) {
		x->newest_s = t;
		snprintf(x->newest_name, sizeof(x->newest_name), "%s", e->name);
	}
	return 0;
}

static void read_target(hl_ops_metrics_target *t)
{
	struct stat sb;
	target_seen *s = NULL;
	list_acc x = {0};

	if (stat(t->path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		t->readable = 0;
		return;
	}
	pthread_mutex_lock(&seen_mu);
	for (size_t i = 0; i < nseen; i++)
		if (!strcmp(seen[i].path, t->path))
			s = &seen[i];
	if (s && s->dev == sb.st_dev && s->ino == sb.st_ino &&
	    s->mtime.tv_sec == sb.st_mtim.tv_sec && s->mtime.tv_nsec == sb.st_mtim.tv_nsec) {
		t->readable = 1;
		t->backups = s->backups;
		t->newest_s = s->newest_s;
		snprintf(t->newest_name, sizeof(t->newest_name), "%s", s->newest_name);
		pthread_mutex_unlock(&seen_mu);
		return;
	}
	pthread_mutex_unlock(&seen_mu);

	if (hl_backup_list(t->path, on_backup, &x) < 0) {
		hl_error_clear();
		t->readable = 0;
		return;
	}
	t->readable = 1;
	t->backups = x.backups;
	t->newest_s = x.newest_s;
	snprintf(t->newest_name, sizeof(t->newest_name), "%s", x.newest_name);

	pthread_mutex_lock(&seen_mu);
	s = NULL;
	for (size_t i = 0; i < nseen; i++)
		if (!strcmp(seen[i].path, t->path))
			s = &seen[i];
	if (!s)
		s = nseen < sizeof(seen) / sizeof(seen[0]) ? &seen[nseen++] : &seen[0];
	snprintf(s->path, sizeof(s->path), "%s", t->path);
	s->dev = sb.st_dev;
	s->ino = sb.st_ino;
	s->mtime = sb.st_mtim;
	s->backups = x.backups;
	s->newest_s = x.newest_s;
	snprintf(s->newest_name, sizeof(s->newest_name), "%s", x.newest_name);
	pthread_mutex_unlock(&seen_mu);
}

static int backup_targets(hl_ops_metrics *m)
{
	const char *v = getenv("HALONG_BACKUP_TARGETS");
	const char *p = v;
	if (!v || !*v)
		return 0;
	while (p) {
		const char *e = strchr(p, ':');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		hl_ops_metrics_target *t;
		if (!len)
			return hl_error_set(
			    HL_EINVALID, "HALONG_BACKUP_TARGETS holds an empty folder (\"%s\")", v);
		if (m->ntargets >= HL_OPS_METRICS_TARGETS_MAX)
			return hl_error_set(HL_EINVALID,
			                    "HALONG_BACKUP_TARGETS names more than %d folders",
			                    HL_OPS_METRICS_TARGETS_MAX);
		t = &m->targets[m->ntargets];
		if (len >= sizeof(t->path))
			return hl_error_set(HL_EINVALID,
			                    "HALONG_BACKUP_TARGETS: a folder's name is too long");
		memcpy(t->path, p, len);
		t->path[len] = '\0';
		m->ntargets++;
		p = e ? e + 1 : NULL;
	}
	for (size_t i = 0; i < m->ntargets; i++) {
		read_target(&m->targets[i]);
		if (m->targets[i].newest_s > m->backup_newest_s)
			m->backup_newest_s = m->targets[i].newest_s;
	}
	return 0;
}

int hl_ops_metrics_get(hl_ops_metrics **out, hl_archive *a)
{
	hl_ops_metrics *m;
	hl_store_metrics sm;
	hl_store *st;
	int rc;

	if (!a)
		return hl_error_set(HL_EINVALID, "no archive");
	st = hl_archive_store(a);
	if (!(m = calloc(1, sizeof(*m))) ||
	    !(m->peers = calloc(HL_OPS_METRICS_PEERS_MAX, sizeof(*m->peers))) ||
	    !(m->feeds = calloc(HL_OPS_METRICS_FEEDS_MAX, sizeof(*m->feeds)))) {
		hl_ops_metrics_free(m);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	m->now_s = (int64_t)time(NULL);
	if ((rc = backup_targets(m)) < 0)
		goto fail;
	if ((rc = hl_store_metrics_get(&sm, st)) < 0)
		goto fail;
	m->schema_version = hl_store_schema_version(st);
	m->documents = sm.documents;
	m->blobs = sm.blobs;
	m->blob_bytes = sm.blob_bytes;
	m->index_queue_seq = sm.queue_seq;
	m->pages_pending = sm.pages_pending;
	m->pages_done = sm.pages_done;
	m->pages_failed = sm.pages_failed;
	m->ocr_pages_done_total = sm.ocr_done_total;
	m->ocr_pages_failed_total = sm.ocr_failed_total;
	m->ocr_seconds_total = sm.ocr_seconds_total;
	m->store_bytes = file_size(hl_archive_dir(a), "halong.db") +
	                 file_size(hl_archive_dir(a), "halong.db-wal");
	index_position(m, a);
	if ((rc = hl_store_xstatus(st, on_peer, m)) < 0 ||
	    (rc = hl_store_metrics_feeds(st, on_feed, m)) < 0)
		goto fail;
	*out = m;
	return 0;
fail:
	hl_ops_metrics_free(m);
	return rc;
}
