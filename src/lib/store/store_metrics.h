/* The store's figures for a node's metrics (src/lib/ops/metrics.c, their only caller). */
#ifndef HALONG_STORE_METRICS_H
#define HALONG_STORE_METRICS_H

#include "store/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
	int64_t documents, blobs, blob_bytes;
	int64_t queue_seq; /* the index queue's highest seq ever given (sqlite_sequence) */
	int64_t pages_pending, pages_done, pages_failed;
	/* summed over ocr_run: what every run recorded (rows are never removed, so they only grow)
	 */
	int64_t ocr_done_total, ocr_failed_total;
	double ocr_seconds_total;
} hl_store_metrics;

/* The counts above, read in one read transaction (one committed state of the store). */
int hl_store_metrics_get(hl_store_metrics *out, hl_store *st);

/* Per feed, by name: the last seq this node published (-1 when it publishes none), the last it
 * applied and the hub's last seen (-1 when it follows none), the last pull (ms, 0: never).
 * cb returns non-zero to stop (a negative value is returned). */
typedef int (*hl_store_feed_metrics_cb)(const char *feed, int64_t published, int64_t applied,
                                        int64_t hub_seq, int64_t last_pull_ms, void *ud);
int hl_store_metrics_feeds(hl_store *st, hl_store_feed_metrics_cb cb, void *ud);

#ifdef __cplusplus
}
#endif

#endif
