/* The store's statements for the reference-data feed: the hub's published entries and a
 * commune's position per feed (the SQL lives in src/lib/store/feed.c, schema migration 7; the
 * rules in src/lib/feed/, which is their only caller). */
#ifndef HALONG_STORE_FEED_H
#define HALONG_STORE_FEED_H

#include "store/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the hub's entries ---- */

/* The last entry of `feed`: *seq 0 and hash "" when none. */
int hl_store_feed_last(int64_t *seq, char hash[65], hl_store *st, const char *feed);
/* The seq of an entry of `feed` whose files' list hashes to `content`, or 0. */
int hl_store_feed_content_seq(int64_t *seq, hl_store *st, const char *feed, const char *content);
/* HL_ECONFLICT if (feed, seq) exists. */
int hl_store_feed_add(hl_store *st, const char *feed, int64_t seq, int64_t created_ms,
                      const char *hash, const char *content, const char *doc);
/* Entries after `after` by seq, at most `limit`, stopping after the one that brings the total
 * of doc bytes past max_bytes: cb(seq, doc, len) each (doc valid during the call). */
int hl_store_feed_each(hl_store *st, const char *feed, int64_t after, size_t limit,
                       size_t max_bytes,
                       int (*cb)(int64_t seq, const char *doc, size_t len, void *ud), void *ud);

/* ---- a node's position ---- */

typedef struct {
	int64_t seq; /* last applied; 0: none */
	char hash[65];
	int64_t hub_seq; /* -1: unknown */
	int64_t last_pull_ms, last_applied_ms, last_error_ms;
	char *last_error; /* malloc'd or NULL */
} hl_store_feed_pos;

/* The position of `feed` (zeros, hub_seq -1, when none). Free last_error. */
int hl_store_feed_pos_get(hl_store *st, const char *feed, hl_store_feed_pos *out);
/* Entry `seq` (hash) applied at `at_ms`: the position moves and the last error is cleared.
 * Meant for the transaction that applied it. */
int hl_store_feed_pos_applied(hl_store *st, const char *feed, int64_t seq, const char *hash,
                              int64_t at_ms);
/* A pull reached the hub at `at_ms`, which has `hub_seq` entries; clear_error: it went well. */
int hl_store_feed_pos_pulled(hl_store *st, const char *feed, int64_t hub_seq, int64_t at_ms,
                             int clear_error);
/* A pull or an entry failed. */
int hl_store_feed_pos_error(hl_store *st, const char *feed, const char *error, int64_t at_ms);

#ifdef __cplusplus
}
#endif
#endif
