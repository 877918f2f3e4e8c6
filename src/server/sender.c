/* The exchange sender thread: while the server runs it makes delivery passes over the outbox
 * (hl_exchange_send_due, whose backoff and jitter schedule the retries), with its own archive;
 * a stop lets the delivery in flight finish. Beside it the feed thread: a commune pulls the hub's
 * feeds (hl_feed_pull) with its own archive, so that applying an entry or a hub that does not
 * answer never holds the outbox; a stop aborts the transfer in flight. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "halong/archive.h"
#include "halong/exchange.h"
#include "halong/feed.h"
#include "halong/util.h"
#include "sender.h"

#define PASS_MAX    512   /* messages per pass (a stop lets the pass finish) */
#define BATCH       64    /* to a peer in one POST (HALONG_EXCHANGE_BATCH; 1: one by one) */
#define POLL_MS     20    /* idle: how often the outbox is looked at (a CLI may have filled it) */
#define NO_NODE_MS  2000  /* no identity yet: look again this often */
#define INDEX_MS    1000  /* received documents enter the search index this often */
#define ERROR_PAUSE 1000  /* after a pass failed (the store was busy...) */
#define FEED_MS     60000 /* a commune pulls the hub's feeds this often (HALONG_FEED_POLL_MS) */
#define ANCHOR_MS                                                                                  \
	600000 /* the audit log's head is signed and sent to the hub this often                    \
	        * when it grew (HALONG_AUDIT_ANCHOR_MS) */

static pthread_t g_thread, g_feed_thread;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv;
static int g_started, g_feed_started, g_stop;
static char *g_home;

/* Sleeps ms unless asked to stop; 1 when asked. */
static int wait_ms(long ms)
{
	struct timespec ts;
	int stop;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&g_mu);
	while (!g_stop && pthread_cond_timedwait(&g_cv, &g_mu, &ts) == 0)
		;
	stop = g_stop;
	pthread_mutex_unlock(&g_mu);
	return stop;
}

static int stopping(void)
{
	int s;
	pthread_mutex_lock(&g_mu);
	s = g_stop;
	pthread_mutex_unlock(&g_mu);
	return s;
}

/* Documents received from other nodes wait in the index queue; the workers only read the
 * index. A fresh archive each time, freed at once: the index writer's lock is held only while
 * there is something to apply (hl_archive_index_sync looks read-only first), never kept. */
static void index_received(void)
{
	hl_archive *ix = NULL;
	if (hl_archive_open(&ix, g_home) < 0)
		return;
	if (hl_archive_index_sync(NULL, ix, NULL, NULL) < 0 && hl_error_code() != HL_ECONFLICT)
		fprintf(stderr, "halong serve: exchange: indexing received documents: %s\n",
		        hl_error_last());
	hl_archive_free(ix);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cancel_pull(void *ud)
{
	(void)ud;
	return stopping();
}

/* A commune pulls each feed from the hub (at start, then every feed_ms): the entries after its
 * position, applied in order; an error is recorded in the feed's status and the next pull
 * tries again. The hub itself (no hub key) has nothing to pull. */
static void pull_feeds(hl_node *n)
{
	hl_feed_pull_opts o = {0};
	hl_feed_pull_stats s;
	char *tmp;
	if (hl_node_follows_hub(hl_node_store(n)) != 1)
		return;
	/* An entry's files are written in the data directory, not /tmp: a pass killed in the
	 * middle leaves them where the next pass removes them. */
	tmp = hl_path_join(g_home, "tmp");
	if (tmp && hl_mkdir_p(tmp, 0700) == 0)
		o.tmp_dir = tmp;
	o.connect_timeout_ms = 2000;
	o.actor = "feed";
	o.cancel = cancel_pull;
	if (hl_feed_pull(&s, n, "units", &o) < 0 && !stopping())
		fprintf(stderr, "halong serve: feed units: %s\n", hl_error_last());
	/* the public datasets the hub publishes (catalog/share_feed.c), after the units their
	 * unit codes are checked against */
	else if (!stopping() && hl_feed_pull(&s, n, "datasets", &o) < 0 && !stopping())
		fprintf(stderr, "halong serve: feed datasets: %s\n", hl_error_last());
	free(tmp);
}

/* Opens the thread's archive and this node's identity when they are not open yet: 0 when both
 * are, 1 after a pause (try again: the store failed, or no identity yet — halong node init may
 * come later, warned once if it is another error), -1 when the server stops meanwhile. */
static int open_or_wait(hl_archive **a, hl_node **n, const char *who, int *warned)
{
	int rc;
	if (!*a && hl_archive_open(a, g_home) < 0) {
		fprintf(stderr, "halong serve: %s: %s\n", who, hl_error_last());
		return wait_ms(ERROR_PAUSE) ? -1 : 1;
	}
	if (!*n && (rc = hl_node_open(n, hl_archive_store(*a), g_home)) < 0) {
		if (rc != HL_ENOTFOUND && !(*warned)++)
			fprintf(stderr, "halong serve: %s: %s\n", who, hl_error_last());
		return wait_ms(NO_NODE_MS) ? -1 : 1;
	}
	return 0;
}

static void *run(void *arg)
{
	hl_archive *a = NULL;
	hl_node *n = NULL;
	char *blobs = hl_path_join(g_home, "blobs");
	const char *poll_env = getenv("HALONG_EXCHANGE_POLL_MS");
	const char *batch_env = getenv("HALONG_EXCHANGE_BATCH");
	long poll = poll_env ? strtol(poll_env, NULL, 10) : POLL_MS;
	hl_exchange_send_opts o = {0};
	int warned = 0;
	int64_t last_index = 0;

	(void)arg;
	if (poll < 1 || poll > 60000)
		poll = POLL_MS;
	o.blobs_dir = blobs;
	o.max = PASS_MAX;
	/* Up to a pass's messages to a peer in one POST, one commit on each side. */
	o.batch = batch_env ? (size_t)strtoul(batch_env, NULL, 10) : BATCH;
	while (!stopping()) {
		size_t sent = 0, failed = 0;
		int rc;
		if ((rc = open_or_wait(&a, &n, "exchange sender", &warned)) != 0) {
			if (rc < 0)
				break;
			continue;
		}
		/* `halong node rotate-key` may have replaced the key meanwhile: sign with the one
		 * the store names. */
		if (hl_node_stale(n)) {
			hl_node_free(n);
			n = NULL;
			continue;
		}
		if (mono_ms() - last_index >= INDEX_MS) {
			index_received();
			last_index = mono_ms();
		}
		rc = hl_exchange_send_due(&sent, &failed, n, &o);
		if (rc < 0) {
			fprintf(stderr, "halong serve: exchange sender: %s\n", hl_error_last());
			if (wait_ms(ERROR_PAUSE))
				break;
			continue;
		}
		/* A full pass may have left more: go on at once; else wait for new work. */
		if (sent + failed < PASS_MAX && wait_ms(poll))
			break;
	}
	hl_node_free(n);
	hl_archive_free(a);
	free(blobs);
	return NULL;
}

/* The audit log's head, signed and sent to the hub when the log grew (on the hub: kept). */
static void anchor_audit(hl_node *n)
{
	hl_audit_anchor h;
	if (hl_exchange_audit_anchor(&h, n, 0) < 0 && !stopping())
		fprintf(stderr, "halong serve: audit witness: %s\n", hl_error_last());
}

/* The feed thread: its own archive and node (the sender's are the sender's), a pull at start
 * then every feed_ms from the end of the last one; the audit log's head every anchor_ms. */
static void *feed_run(void *arg)
{
	hl_archive *a = NULL;
	hl_node *n = NULL;
	const char *feed_env = getenv("HALONG_FEED_POLL_MS");
	const char *anchor_env = getenv("HALONG_AUDIT_ANCHOR_MS");
	long feed_ms = feed_env ? strtol(feed_env, NULL, 10) : FEED_MS;
	long anchor_ms = anchor_env ? strtol(anchor_env, NULL, 10) : ANCHOR_MS;
	int64_t last_anchor = 0, last_pull = 0;
	int warned = 0;

	(void)arg;
	if (feed_ms < 10 || feed_ms > 86400000L)
		feed_ms = FEED_MS;
	if (anchor_ms < 10 || anchor_ms > 86400000L)
		anchor_ms = ANCHOR_MS;
	/* the first head after anchor_ms of serving, not at start: a server started and stopped
	 * by a script leaves the exchange's streams as they were */
	last_anchor = mono_ms();
	while (!stopping()) {
		int rc;
		if ((rc = open_or_wait(&a, &n, "feed", &warned)) != 0) {
			if (rc < 0)
				break;
			continue;
		}
		if (hl_node_stale(n)) { /* rotated: the new key signs the pulls and anchors */
			hl_node_free(n);
			n = NULL;
			continue;
		}
		if (!last_pull || mono_ms() - last_pull >= feed_ms) {
			pull_feeds(n);
			last_pull = mono_ms();
		}
		if (mono_ms() - last_anchor >= anchor_ms) {
			anchor_audit(n);
			last_anchor = mono_ms();
		}
		{
			/* until the next of the two is due */
			int64_t next_pull = last_pull + feed_ms - mono_ms();
			int64_t next_anchor = last_anchor + anchor_ms - mono_ms();
			int64_t next = next_pull < next_anchor ? next_pull : next_anchor;
			if (wait_ms(next > 0 ? (long)next : 1))
				break;
		}
	}
	hl_node_free(n);
	hl_archive_free(a);
	return NULL;
}

int sender_start(const char *home)
{
	pthread_condattr_t ca;
	if (g_started)
		return 0;
	free(g_home);
	if (!(g_home = hl_strdup(home)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g_cv, &ca);
	pthread_condattr_destroy(&ca);
	g_stop = 0;
	if (pthread_create(&g_thread, NULL, run, NULL) != 0)
		return hl_error_set(HL_ERROR, "cannot start the exchange sender thread");
	g_started = 1;
	if (pthread_create(&g_feed_thread, NULL, feed_run, NULL) != 0) {
		sender_stop();
		return hl_error_set(HL_ERROR, "cannot start the feed thread");
	}
	g_feed_started = 1;
	return 0;
}

void sender_stop(void)
{
	if (!g_started)
		return;
	pthread_mutex_lock(&g_mu);
	g_stop = 1;
	pthread_cond_broadcast(&g_cv);
	pthread_mutex_unlock(&g_mu);
	pthread_join(g_thread, NULL);
	if (g_feed_started)
		pthread_join(g_feed_thread, NULL);
	g_feed_started = 0;
	pthread_cond_destroy(&g_cv);
	g_started = 0;
	free(g_home);
	g_home = NULL;
}
