/* The search index (private to the library; clients search with hl_archive_search): a Xapian index fed with halong's own terms (folded
 * syllables, syllable pairs, exact-tone forms, field prefixes), kept in step with the store
 * through the store's index queue. The only C++ of halong lives behind this header. */
#ifndef HALONG_SEARCH_H
#define HALONG_SEARCH_H

#include "halong/archive.h"
#include "store/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hl_index hl_index;

/* Opens the index in directory `dir` (created if writable and absent). */
int hl_index_open(hl_index **out, const char *dir, int writable);
void hl_index_free(hl_index *ix);

/* The store's queue position the index holds (kept in the index's own metadata). */
int64_t hl_index_applied_seq(hl_index *ix);
uint64_t hl_index_doc_count(hl_index *ix);

/* Applies every queued change with seq > hl_index_applied_seq() to the index; each Xapian commit
 * records the seq it reached, so a crash neither loses nor doubles an update. Writes the number
 * of changes applied to *applied (may be NULL). Then trims the store's queue. */
int hl_index_update(uint64_t *applied, hl_index *ix, hl_store *st, hl_progress_cb progress,
                    void *ud);

/* Rebuilds the index in `dir` from the store: builds beside it, then swaps it in. */
int hl_index_rebuild(const char *dir, hl_store *st, hl_progress_cb progress, void *ud);

/* Runs a query. Reads hit metadata and text for snippets from the store. HL_EINVALID for a
 * query that cannot be parsed or has no searchable term. */
int hl_index_search(hl_hits **out, hl_index *ix, hl_store *st, const hl_search_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
