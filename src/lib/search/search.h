/* The search index (private to the library; clients search with hl_archive_search): a Xapian
 * index fed with halong's own terms (folded syllables, syllable pairs, exact-tone forms, field
 * prefixes), kept in step with the store through the store's index queue. The only C++ of halong
 * lives behind this header. */
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

/* A query as the index runs it: the searcher's options and who sees what. */
typedef struct {
	const char *query;     /* the query with its filters (syntax in README.md) */
	size_t offset, limit;  /* limit 0 = 10 */
	hl_access max_access;  /* only documents at or below this level are seen */
	const char *mark_open; /* around matched words in snippets; NULL = "<mark>" */
	const char *mark_close;
	int html; /* non-zero: snippet text is HTML-escaped */
	/* unit:CODE in a query means the fonds this returns for CODE (a malloc'd array of
	 * malloc'd codes; 0 or a negative HL_E code with a message). NULL: unit: is refused. */
	int (*unit_fonds)(char ***codes, size_t *n, const char *unit, void *ud);
	void *unit_ud;
	/* Visibility for a caller (docs/api.md): when `scoped`, a document is seen if its level is
	 * public, or at most max_access and its fonds is one of scope_fonds (scope_all: any).
	 * Not scoped: max_access alone decides (the local operator). */
	int scoped, scope_all;
	char *const *scope_fonds;
	size_t n_scope_fonds;
	/* The rule again on each hit, with the level and fonds the store holds now: the index
	 * lags the store until its queue is applied, and a document moved to another fonds or
	 * raised in level must not show meanwhile. 1: seen. NULL: max_access alone. */
	int (*may_see)(hl_access level, const char *fonds, void *ud);
	void *may_see_ud;
	/* kind:lesson: the highest level of the lessons learned the caller reads (a lesson is
	 * its plan's, at least internal; the fonds do not apply); below internal: none. */
	int lesson_max_access;
	/* Non-zero: count fonds, type and year over the matches (hl_hits.facets); the total is
	 * then the count (hl_hits.total). */
	int facets;
} hl_index_query;

/* Runs a query. Reads hit metadata and text for snippets from the store. HL_EINVALID for a
 * query that cannot be parsed or has no searchable term. */
int hl_index_search(hl_hits **out, hl_index *ix, hl_store *st, const hl_index_query *opts);

#ifdef __cplusplus
}
#endif
#endif
