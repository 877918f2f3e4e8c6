/* Operating a node: the readiness checks that /readyz and `halong doctor` report. */
#ifndef HALONG_OPS_H
#define HALONG_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "halong/archive.h"

/* A check's outcome. HL_OPS_SKIP is neither a pass nor a failure: something that is not
 * configured on this node (no node identity yet, no backups yet); it does not make the node
 * unready, and it is never reported as a pass. */
typedef enum {
	HL_OPS_OK = 0,
	HL_OPS_FAIL = 1,
	HL_OPS_SKIP = 2,
} hl_ops_state;

/* The checks, in the order they are reported. */
enum {
	HL_OPS_STORE,     /* "store": a write transaction can be taken (and is rolled back) */
	HL_OPS_INDEX,     /* "index": the search index opens and its queue is not too far behind */
	HL_OPS_NODE_KEY,  /* "node_key": the node's key is readable and matches the store */
	HL_OPS_DIRECTORY, /* "directory": a commune holds the hub's directory (no expiry yet) */
	HL_OPS_DISK,      /* "disk": free space in the data directory */
	HL_OPS_BACKUPS,   /* "backups": each target's newest backup young enough, two media */
	HL_OPS_NCHECKS
};

typedef struct {
	const char *name; /* static: "store", "index", ... */
	hl_ops_state state;
	/* For people and the operator: may name paths and counts (not for anonymous callers). */
	char reason[256];
} hl_ops_check;

/* Thresholds. */
typedef struct {
	/* index: fail when more than this many queued changes are not applied (default 10000;
	 * $HALONG_READY_QUEUE_MAX) */
	int64_t queue_max;
	/* disk: fail when free space is below this many bytes; 0 uses the default, below
	 * min(1 GiB, 5% of the file system) ($HALONG_READY_DISK_MIN_MB sets it in MiB) */
	uint64_t disk_min_bytes;
} hl_ops_limits;

/* The defaults, overridden by $HALONG_READY_QUEUE_MAX and $HALONG_READY_DISK_MIN_MB when they
 * hold a whole number. HL_EINVALID (naming the variable) for a value that is not one. */
int hl_ops_limits_get(hl_ops_limits *out);

/* Runs every check on `a` (its data directory, store and index) into out[HL_OPS_NCHECKS].
 * A failing check is not an error: it is reported in its entry. Returns the number of failing
 * checks (0: ready), or -1 only when the checks cannot be run at all. */
int hl_ops_checks(hl_ops_check out[HL_OPS_NCHECKS], hl_archive *a, const hl_ops_limits *lim);

/* "ok", "fail", "skip". */
const char *hl_ops_state_name(hl_ops_state s);

/* ---- metrics (GET /metrics, GET /api/v1/ops; src/lib/ops/metrics.c) ----
 *
 * What a node holds and how far behind its queues are, read in one go for a scrape: the store's
 * figures (SQL in src/lib/store/metrics.c), the index's position, the sizes of the store's files
 * and the age of the newest backup on each configured target ($HALONG_BACKUP_TARGETS). Nothing
 * here names a user or a record; peers and feeds are bounded in number (below). */

/* Peers and feeds reported at most; more are counted in peers_dropped / feeds_dropped (a node has
 * the directory's units as peers: the province's 54 communes and the hub). */
#define HL_OPS_METRICS_PEERS_MAX   256
#define HL_OPS_METRICS_FEEDS_MAX   32
#define HL_OPS_METRICS_TARGETS_MAX 8

typedef struct {
	char peer[64];           /* the peer's unit code */
	int64_t waiting;         /* messages in the outbox for it, not yet delivered */
	double lag_seconds;      /* age of the oldest of them; 0 when none waits */
	int64_t held;            /* received from it, waiting for an earlier message */
	int64_t last_success_ms; /* last delivery to it (ms since the epoch), 0: never */
} hl_ops_metrics_peer;

typedef struct {
	char feed[64];        /* "units", ... */
	int64_t published;    /* hub: the last seq published; -1 when this node publishes none */
	int64_t applied;      /* commune: the last seq applied; -1 when this node follows none */
	int64_t hub_seq;      /* commune: the hub's last seq seen; -1 unknown */
	int64_t last_pull_ms; /* commune: the last pull (ms since the epoch), 0: never */
} hl_ops_metrics_feed;

typedef struct {
	char path[1024];
	int readable;         /* 0: the target cannot be listed (missing, unmounted) */
	int64_t backups;      /* complete backups on it (their manifest read, not verified) */
	int64_t newest_s;     /* created_at of the newest, seconds since the epoch; 0: none */
	char newest_name[64]; /* its folder's name, "" when none */
} hl_ops_metrics_target;

typedef struct {
	int schema_version;
	int64_t documents;
	uint64_t store_bytes; /* halong.db with its -wal file */
	int64_t blobs, blob_bytes;
	/* the index: queued changes not applied (the store's queue past the index's seq) */
	int64_t index_queue_seq, index_applied_seq, index_lag;
	int64_t index_docs;
	int index_open; /* 0: the index did not open (none yet, or damaged) */
	/* OCR: pages by state; the totals every run has recorded (they only grow) */
	int64_t pages_pending, pages_done, pages_failed;
	int64_t ocr_pages_done_total, ocr_pages_failed_total;
	double ocr_seconds_total;
	/* the exchange, per peer (by unit code) */
	size_t npeers, peers_dropped;
	hl_ops_metrics_peer *peers;
	/* the reference-data feed, per feed */
	size_t nfeeds, feeds_dropped;
	hl_ops_metrics_feed *feeds;
	/* backups: $HALONG_BACKUP_TARGETS (':' separated); ntargets 0 when not configured */
	size_t ntargets;
	hl_ops_metrics_target targets[HL_OPS_METRICS_TARGETS_MAX];
	int64_t backup_newest_s; /* over every target; 0: none found */
	int64_t now_s;           /* when these were read (seconds since the epoch) */
} hl_ops_metrics;

/* Reads every figure of `a` into a new *out (hl_ops_metrics_free). A figure that cannot be read
 * is an error (HL_EIO naming it), except an index that does not open (index_open 0) and a
 * backup target that cannot be listed (readable 0): those are what an operator watches for.
 * HL_EINVALID for $HALONG_BACKUP_TARGETS with more than HL_OPS_METRICS_TARGETS_MAX folders or an
 * empty one. The manifests of a target are read again only when its folder changed (a new or
 * removed backup renames a folder in it): a scrape does not re-read every manifest. */
int hl_ops_metrics_get(hl_ops_metrics **out, hl_archive *a);
void hl_ops_metrics_free(hl_ops_metrics *m);

#endif
