/* Full-text search over the archive: a Xapian index fed with halong's own terms (folded
 * syllables, syllable pairs, exact-tone forms, field prefixes), kept in step with the store
 * through the store's index queue. The only C++ of halong lives behind this header. */
#ifndef HALONG_SEARCH_H
#define HALONG_SEARCH_H

#include "common.h"
#include "store.h"

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

typedef struct {
	const char *query;     /* the user's query (syntax in src/lib/search/README.md) */
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
	 * Not scoped: max_access alone decides (the CLI on the machine). */
	int scoped, scope_all;
	char *const *scope_fonds;
	size_t n_scope_fonds;
	/* Non-zero: count fonds, type and year over the matches (hl_hits.facets). */
	int facets;
} hl_search_opts;

/* One value of a facet and how many matching documents have it. */
typedef struct {
	char *value;
	uint64_t count;
} hl_facet_value;

typedef struct {
	size_t n;
	hl_facet_value *v; /* most frequent first */
} hl_facet;

/* The facets (fonds code, document type, year) are counted over at most this many matches, the
 * first in the index's order: past them the counts are a sample (hl_hits.facets_exact 0). Walking
 * the matches is most of an uncached search's cost (10,000 took about 3/4 of it at 100k
 * documents), so the bound is kept small. */
#define HL_FACET_SCAN 1000

typedef struct {
	int64_t rowid;
	char *doc_id;
	double score;
	char *subject, *dossier_code, *fonds_code, *issued_date, *doc_type, *issuer;
	hl_access access;
	char *snippet;
} hl_hit;

typedef struct {
	size_t n;
	hl_hit *hits;
	uint64_t estimate;          /* Xapian's estimate of all matches */
	hl_facet fonds, type, year; /* when opts.facets */
	/* When opts.facets: the matches the facets counted (every document holding every word,
	 * within the caller's visibility); facets_exact when that is all of them (fewer than
	 * HL_FACET_SCAN), else the counts are of the first HL_FACET_SCAN and facet_estimate is
	 * Xapian's estimate of all (estimate is raised to it). */
	uint64_t facet_count, facet_estimate;
	int facets_exact;
} hl_hits;

/* Runs a query. Reads hit metadata and text for snippets from the store. HL_EINVALID for a
 * query that cannot be parsed or has no searchable term. */
int hl_index_search(hl_hits **out, hl_index *ix, hl_store *st, const hl_search_opts *opts);
void hl_hits_free(hl_hits *h);

#ifdef __cplusplus
}
#endif
#endif
