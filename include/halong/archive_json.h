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

/* The fields of description `d` at `level` as keys of o (absent: null): "title" (a fonds':
 * its name), "date_from", "date_to", "extent", and as the level takes them "history", "scope",
 * "retention", "series", "notes". */
void hl_desc_json(json_t *o, const hl_desc *d, hl_level level);

/* A dossier: {"fonds_code", "code", its description (hl_desc_json), "documents", "pages",
 * "first_date", "last_date", "doc_retention"}: the last four read off its documents. */
json_t *hl_dossier_json(const hl_dossier *d);

/* A series: {"code", its description, "dossiers"}. */
json_t *hl_series_json(const hl_series *s);

/* The edit a JSON object asks for at `level` into *e (pointers into o, valid while it lives):
 * each key a field of the level, a string ("" clears) or null (clears). `alias` (may be NULL)
 * is another name of "title" ("name" for a fonds). HL_EINVALID naming a key the level does not
 * take or a value that is not a string; an object with no field at all too. */
int hl_desc_from_json(hl_desc *e, const json_t *o, hl_level level, const char *alias);

#ifdef __cplusplus
}
#endif
#endif
