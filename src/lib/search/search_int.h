/* Internal interface of the search module shared by its C and C++ files, its tests and fuzz
 * targets: the snippet maker, the indexer's knobs and the query parser alone. */
#ifndef HALONG_SEARCH_INT_H
#define HALONG_SEARCH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "search/search.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Tokens in a snippet window, and the bytes of text scanned for one (OCR text can be megabytes;
 * a match beyond this is not shown, the document is still found). */
#define HL_SNIPPET_TOKENS   30
#define HL_SNIPPET_SCAN_MAX (1u << 20)

/* A query word as the snippet sees it: its folded form, whether it is a prefix ("quy*"), and
 * the query words typed right before it (bit i: term i; "nghĩa vụ": vu follows nghia). A word
 * that follows or precedes another is marked where the two stand side by side, and alone only
 * if they stand side by side nowhere in the text: "quyền và nghĩa vụ" does not mark the
 * "nghĩa" of "chủ nghĩa" in a text that has "nghĩa vụ". */
typedef struct {
	const char *folded;
	int prefix;
	uint64_t follows;
} hl_snip_term;

/* Writes to *out (malloc'd) the window of about HL_SNIPPET_TOKENS tokens of `text` holding the
 * most distinct query words, each matched token wrapped in mark_open/mark_close, the rest
 * HTML-escaped when `html`, whitespace runs collapsed to one space, and "…" where the window cuts
 * the text. A text without tokens gives "". */
int hl_search__snippet(char **out, const char *text, const hl_snip_term *terms, size_t nterms,
                       const char *mark_open, const char *mark_close, int html);

/* Queue entries applied per Xapian commit (default 5000): bounds the memory of pending changes
 * and what a crash makes us redo. A variable so that tests can make crashes fall between
 * commits. */
extern size_t hl_search__batch_size;

/* Overwrites the queue position an index records (tests simulate an index left behind). */
int hl_search__set_applied_seq(hl_index *ix, int64_t seq);

/* Parses and plans a query as hl_index_search does (the same checks of the query and the options,
 * the same messages) without an index or a store, and runs nothing: *out (malloc'd) describes
 * the Xapian query of each level, the word orders checked, the phrases, one a line. For the fuzz
 * target of the query language (fuzz/fuzz_query.c). 0, or a negative HL_E code with its message;
 * no exception gets out. */
int hl_search__parse(char **out, const hl_index_query *opts);

/* A word typed in Telex or VNI without an input method ("quyeets", "ddinhj", "quye6t1",
 * "nguowif"), ASCII lower case as the tokenizer folds it: 1 and *out (malloc'd, lower-case NFC)
 * the syllable it spells ("quyết"); 0 when it spells none (no key used, two tones, both
 * schemes, not a Vietnamese syllable's shape); negative on running out of memory. */
int hl_search__untype(char **out, const char *w, size_t n);

#ifdef __cplusplus
}
#endif
#endif
