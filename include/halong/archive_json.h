/* The archive's records as JSON (jansson): the one shape the CLI's --json and the HTTP API
 * share. */
#ifndef HALONG_ARCHIVE_JSON_H
#define HALONG_ARCHIVE_JSON_H

#include <jansson.h>

#include "archive.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A search hit: {"id", "subject", "fonds_code", "dossier_code", "issued_date", "doc_type",
 * "issuer", "access", "score", "snippet"} (absent strings null). A new reference, NULL only
 * when out of memory. */
json_t *hl_hit_json(const hl_hit *h);

/* Which text a page's "text" is, set on the page object o (the API's and `show --json`'s):
 * "text_source" ("machine" or "corrected"), "text_version" (0: the machine's), "corrected_by",
 * "corrected_at", "approved" (true or false), "approved_by", "approved_at" (null when absent),
 * "machine_text" (the machine's text of a corrected page, else null), and "check": what the
 * review rule found, {"unknown_words", "low_conf_words", "impossible_chars", "suspect_words":
 * [...]}, or null when the page has not been checked (not recognised yet). */
void hl_page_text_json(json_t *o, const hl_page_row *p);

/* A page of the review list (hl_archive_ocr_review): {"doc_id", "seq", "file", "page_no",
 * "mean_conf" (null for a text layer), "text", "score", "reasons": {"unknown_words",
 * "low_conf_words", "impossible_chars", "mean_conf_below"}, "suspect_words": [...],
 * "text_source", "text_version"}. A new reference, NULL only when out of memory. */
json_t *hl_page_review_json(const hl_page_row *p);

/* Where a page's text stands after hl_archive_page_correct, hl_archive_page_approve or
 * hl_archive_page_texts: {"doc_id", "seq", "text_source", "text_version", "corrected_by",
 * "corrected_at", "approved", "approved_by", "approved_at", "changed", "indexed"}. */
json_t *hl_page_text_state_json(const char *doc_id, const hl_page_text_state *s);

#ifdef __cplusplus
}
#endif
#endif
