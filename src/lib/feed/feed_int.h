/* Internals of the feed module: an entry read and checked without a store, a key or a network,
 * and a page likewise — the entry points the fuzzers drive (parse-only). */
#ifndef HL_FEED_INT_H
#define HL_FEED_INT_H

#include <jansson.h>

#include "halong/feed.h"

/* An entry as served, read: its members (borrowed from root), its canonical bytes (what the
 * hub's signature covers) and their SHA-256. */
typedef struct {
	json_t *root; /* owned by hl_feed__entry_parse; NULL when borrowed */
	json_t *entry, *data, *files;
	const char *sha, *sig, *prev, *hub;
	int64_t seq;
	char *canon;
	size_t clen;
	char hash[65];
} hl_feed__entry;

/* Parse-only: the size, strict JSON, the form of feed `feed`'s entry, its hash and every file's
 * SHA-256 and size (README.md, steps 1, 2 and 6; the signature and the position need the node).
 * 0, or a negative code with the message; free with hl_feed__entry_free either way. */
int hl_feed__entry_parse(hl_feed__entry *e, const char *text, size_t len, const char *feed);
void hl_feed__entry_free(hl_feed__entry *e);

/* Parse-only: a page of feed `feed` — its form, its head (the form; the signature and freshness
 * too when hub_key is given) and each entry's form, hash and files. *last_seq: the page's,
 * *n: its entries. */
int hl_feed__page_parse(int64_t *last_seq, size_t *n, const char *text, size_t len,
                        const char *feed, const char *hub_key);

#endif
