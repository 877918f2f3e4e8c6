/* The reference-data feed: the province's hub publishes numbered, signed entries (units and their
 * history now; plans and the catalogue later) and every commune pulls them in order, from where
 * it stopped, each applied once in one transaction with its position (src/lib/feed/README.md). */
#ifndef HALONG_FEED_H
#define HALONG_FEED_H

#include "common.h"
#include "exchange.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits ---- */

/* The version of a feed entry's format the hub writes (the entry's "v"; docs/exchange.md,
 * "Versions"). A commune applies this version and every older one (an entry without "v" is
 * version 1); a newer one stops the pull there, nothing applied, until the commune is upgraded. */
#define HL_FEED_PROTOCOL 1

#define HL_FEED_MAX_FILE   (16u << 20) /* bytes of one file of an entry */
#define HL_FEED_MAX_ENTRY  (32u << 20) /* bytes of one entry as served */
#define HL_FEED_MAX_PAGE   (64u << 20) /* bytes of one page of entries a commune accepts */
#define HL_FEED_PAGE_BYTES (8u << 20)  /* a page stops after the entry that passes this */
#define HL_FEED_PAGE_MAX   100         /* entries of one page */

/* The context line every entry's signature covers (then the entry's canonical bytes). */
#define HL_FEED_CTX "halong-feed-v1\n"
/* The context line of a page's head (then the head's canonical bytes): the hub's last seq. */
#define HL_FEED_HEAD_CTX "halong-feed-head-v1\n"

/* 1 when `name` is a feed this halong knows ("units"). */
int hl_feed_known(const char *name);

/* ---- on the hub ---- */

typedef struct {
	int64_t seq;     /* the entry published, or the last one when nothing changed */
	int unchanged;   /* 1: the same files were published before: no new entry */
	size_t files;    /* files in the entry */
	uint64_t bytes;  /* their bytes */
	char sha256[65]; /* the entry's hash */
	/* what loading the files here changed (the hub applies what it publishes) */
	uint64_t versions_added, versions_split, successions_added, events_added;
} hl_feed_publish_stats;

/* On the hub: loads the files of DIR into this node's store with hl_units_load and appends a
 * feed entry holding them (their SHA-256 and sizes signed by this node), all in one
 * transaction, audited as feed.publish. Nothing is appended when the same files were published
 * before (*out.unchanged = 1). HL_EDENIED on a node that follows a hub (it has a hub key);
 * HL_EINVALID for a bad file (message names it: the load's errors name file and line). */
int hl_feed_publish(hl_feed_publish_stats *out, hl_node *hub, const char *feed, const char *dir,
                    const char *actor);

/* The entries of `feed` after seq `after`, at most `limit` (1..HL_FEED_PAGE_MAX), stopping after
 * the entry that passes HL_FEED_PAGE_BYTES: the JSON text
 * {"feed":NAME,"last_seq":L,"head":HEAD,"head_sig":SIG,"entries":[ENTRY,...]} with each ENTRY
 * as stored; HEAD is {"at_ms","feed","hub","last_seq"} (canonical), SIG the base64 Ed25519 of
 * `signer` over HL_FEED_HEAD_CTX + HEAD. signer NULL (no identity): no head. *out malloc'd.
 * HL_ENOTFOUND for a feed this halong does not know. */
int hl_feed_page(char **out, size_t *outlen, hl_store *st, const hl_node *signer, const char *feed,
                 int64_t after, size_t limit);

/* On a commune: the hub's last seq from a page's signed head, verified with `hub_key` (what
 * hl_feed_pull takes as the hub's count). HL_EDENIED for a head absent or that does not verify,
 * HL_EINVALID for one malformed; the message says which. */
int hl_feed_page_head(int64_t *last_seq, const char *page, size_t len, const char *feed,
                      const char *hub_key);

/* ---- on a commune ---- */

typedef struct {
	const char *hub_url; /* NULL: the URL of the hub's node in the directory */
	const char *tmp_dir; /* where an entry's files are written to be loaded; NULL: $TMPDIR */
	long connect_timeout_ms; /* 0: 5,000 */
	long timeout_ms;         /* one page; 0: 120,000 */
	size_t limit;            /* entries per page; 0: 20 */
	size_t max_entries;      /* entries in one pass; 0: no limit */
	const char *actor;       /* audit; NULL: "feed" */
	/* Asked between pages, between entries and during a transfer: non-zero stops the pass
	 * (HL_ERROR "pull stopped", nothing recorded; an entry in flight finishes or rolls back).
	 * NULL: never. */
	int (*cancel)(void *ud);
	void *cancel_ud;
} hl_feed_pull_opts;

typedef struct {
	size_t applied; /* entries applied by this pass */
	int64_t seq;    /* the position after the pass */
	int64_t hub_seq;
} hl_feed_pull_stats;

/* One pass: asks the hub for the entries after this node's position, page by page, and applies
 * each strictly in order, each in one transaction that also moves the position and writes the
 * audit entry feed.apply. An entry is checked first: its form, seq = position + 1 (a gap), its
 * hash, the hub's signature (the key trusted with halong node trust-hub), its link to the
 * previous entry, every file's SHA-256 and size. The first entry that fails stops the pass with
 * its reason recorded for hl_feed_status (HL_EDENIED for a signature or hash, HL_EINVALID
 * otherwise); an unreachable hub is HL_EIO, recorded too. The hub's count (hub_seq) is taken
 * only from a page's head signed by the hub key: one that does not verify stops the pass, recorded
 * (HL_EDENIED). HL_ENOTFOUND when no hub is trusted. */
int hl_feed_pull(hl_feed_pull_stats *out, hl_node *self, const char *feed,
                 const hl_feed_pull_opts *o);

/* Applies one entry (its JSON text as served) on a commune: the checks and the transaction of
 * hl_feed_pull. A failure is recorded for hl_feed_status. 0 applied, 1 already applied here. */
int hl_feed_apply_entry(hl_node *self, const char *feed, const char *entry, size_t len,
                        const char *hub_key, const hl_feed_pull_opts *o);

/* ---- status ---- */

typedef struct {
	const char *feed;
	int64_t seq;     /* a commune: the last entry applied; the hub: the last published */
	int64_t hub_seq; /* a commune: the hub's last entry at the last pull (-1: unknown) */
	int publisher;   /* 1 on the hub (it publishes this feed) */
	int64_t last_pull_ms, last_applied_ms, last_error_ms; /* 0: never */
	const char *sha256;                                   /* of entry `seq` (NULL: none) */
	const char *last_error; /* NULL: none since the last success */
} hl_feed_status_row;

/* Every known feed's state here, by name. */
int hl_feed_status(hl_store *st, int (*cb)(const hl_feed_status_row *r, void *ud), void *ud);

#ifdef __cplusplus
}
#endif
#endif
