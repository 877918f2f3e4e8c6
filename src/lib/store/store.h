/* The store (private to the library): the schema, its migrations, transactions and every SQL
 * statement of halong (SQLite in WAL mode; a PostgreSQL backend can replace this module without
 * touching others). */
#ifndef HALONG_STORE_H
#define HALONG_STORE_H

#include "halong/archive.h"
#include "halong/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Opens (create != 0: creates if absent) the SQLite store at `path`, in WAL mode, and applies
 * any pending forward migration. */
int hl_store_open(hl_store **out, const char *path, int create);
void hl_store_free(hl_store *st);
int hl_store_schema_version(hl_store *st);
/* The newest schema this halong makes (its migrations); an older store is migrated forward to it
 * when opened, a newer one refused. */
int hl_store_schema_latest(void);
/* What changed the store since: *data_version moves when another connection commits,
 * *own_changes counts this connection's changes. Equal stamps: the same data. */
int hl_store_change_stamp(int64_t *data_version, int64_t *own_changes, hl_store *st);

/* One transaction per logical change. */
int hl_store_begin(hl_store *st);
int hl_store_commit(hl_store *st);
int hl_store_rollback(hl_store *st);
/* Can the store be written now? A write lock is taken (BEGIN IMMEDIATE), a table created and
 * the whole rolled back: nothing is kept. A negative HL_E code with SQLite's message when it
 * cannot be written (read-only file, full disk; HL_ECONFLICT locked past the busy timeout or inside
 * a transaction of the caller's). For the readiness checks (src/lib/ops). */
int hl_store_write_probe(hl_store *st);

enum {
	HL_PUT_INSERTED = 1,
	HL_PUT_UPDATED = 2,
	HL_PUT_UNCHANGED = 3,
	/* with HL_ECONFLICT: another document holds the same (fonds, dossier, ordinal) */
	HL_PUT_CONFLICT_ORDINAL = 4,
};

/* Inserts or updates a document (creating its fonds and dossier as needed), inside the caller's
 * transaction. A changed document keeps its earlier version in the version history, is queued for
 * indexing and audited, and each of its files' blobs is recorded (hl_store_blob_add), all in that
 * transaction. `d->doc_id` must be set. Writes *status (0 until it is known). HL_ECONFLICT with
 * *status HL_PUT_CONFLICT_ORDINAL if another document holds the same (fonds, dossier, ordinal),
 * nothing written; any other HL_ECONFLICT (the database busy) leaves *status 0. Callers tell the
 * two apart by *status, never by the message. */
int hl_store_doc_put(int *status, hl_store *st, const hl_doc *d, const char *actor);

int hl_store_doc_get(hl_doc **out, hl_store *st, const char *doc_id);
int hl_store_doc_get_rowid(hl_doc **out, hl_store *st, int64_t rowid);

/* Earlier versions of a document, newest first: calls cb(version, replaced_at, json_of_metadata).
 */
typedef int (*hl_version_cb)(int version, const char *replaced_at, const char *json, void *ud);
int hl_store_doc_versions(hl_store *st, const char *doc_id, hl_version_cb cb, void *ud);

/* Every document in rowid order (for reindexing); the hl_doc is valid during the call only. */
typedef int (*hl_doc_cb)(const hl_doc *d, void *ud);
int hl_store_doc_foreach(hl_store *st, hl_doc_cb cb, void *ud);

/* Records a blob (fixity at ingest). Idempotent. */
int hl_store_blob_add(hl_store *st, const char *sha256, int64_t size);
typedef int (*hl_blob_cb)(const char *sha256, int64_t size, void *ud);
int hl_store_blob_foreach(hl_store *st, hl_blob_cb cb, void *ud);

/* ---- the index queue: changes waiting for the search index ---- */

/* The search index's ids, which the queue holds: a document's rowid (1 .. HL_INDEX_LESSONS - 1),
 * or HL_INDEX_LESSONS + the id of a lesson learned (plans/: lessons are searched with the
 * archive, `kind:lesson`). */
#define HL_INDEX_LESSONS ((int64_t)1 << 31)

/* A lesson as the search index sees it (rowid HL_INDEX_LESSONS + its id; store/plans.c): subject
 * its title, text its body, dossier_code its task ("PLAN/STT"), notes its agency's code, issuer the
 * agency's name (or the unit's), issued_date the day it was recorded, doc_type "Bài học kinh
 * nghiệm", access its level: its plan's, at least internal (a lesson linked to no task is
 * internal). HL_ENOTFOUND if there is no such lesson. */
int hl_store_lesson_doc(hl_doc **out, hl_store *st, int64_t id);
/* Every lesson so, by id (for reindexing); the hl_doc is valid during the call only. */
int hl_store_lesson_doc_foreach(hl_store *st, hl_doc_cb cb, void *ud);

/* Calls cb(seq, rowid) for queued changes with seq > after, in order, at most `max`. */
typedef int (*hl_queue_cb)(int64_t seq, int64_t rowid, void *ud);
int hl_store_queue_since(hl_store *st, int64_t after, size_t max, hl_queue_cb cb, void *ud);
/* Highest seq ever queued (0 if none). */
int hl_store_queue_max(int64_t *out, hl_store *st);
/* Drops entries with seq <= upto (once the index holds them). */
int hl_store_queue_trim(hl_store *st, int64_t upto);

/* ---- audit ---- */
int hl_store_audit(hl_store *st, const char *actor, const char *action, const char *object,
                   const char *detail);

typedef struct {
	int64_t fonds, dossiers, documents, versions, files, blobs, blob_bytes, queued, audit;
	int schema_version;
} hl_store_stats;
int hl_store_stats_get(hl_store_stats *out, hl_store *st);

/* ---- pages and their OCR (SQL in src/lib/store/pages.c) ---- */

/* One file of a document as pages: file_seq is its 1-based position among the document's
 * files; dpi and warn (per page, may be NULL) come from probing it. */
typedef struct {
	int file_seq;
	const char *sha256;
	uint32_t pages;
	const uint32_t *dpi;
	const unsigned *warn;
} hl_store_page_file;

/* Makes the pages of document `doc_id` match `files`, in the caller's transaction: pages of a
 * file that changed or went are dropped, pages not yet known are queued ('pending'); known
 * ones keep their state and results. *queued: pages newly queued (may be NULL). */
int hl_store_pages_queue(uint64_t *queued, hl_store *st, const char *doc_id,
                         const hl_store_page_file *files, size_t n);

/* Pending pages after the key (document_id, file_seq, page_no) (all zero: from the start), in
 * key order, at most max. */
int hl_store_pages_pending(hl_store *st, int64_t document_id, int file_seq, int page_no, size_t max,
                           hl_page_cb cb, void *ud);
/* Every page of a document, in order (file, then page). HL_ENOTFOUND for an unknown doc_id. */
int hl_store_pages_of(hl_store *st, const char *doc_id, hl_page_cb cb, void *ud);
/* The pages to review: done, not approved, and flagged by the review rule (check_score > 0)
 * or still with the machine's text of a recognition (not a text layer) whose mean confidence
 * is below `below`; the highest score first, then the lowest confidence; at most max, each
 * with its document's fonds code (who may see it): the page without its result (the words'
 * JSON, NULL), which a review does not show. */
typedef int (*hl_store_review_cb)(const hl_page_row *p, const char *fonds, void *ud);
int hl_store_pages_review(hl_store *st, double below, size_t max, hl_store_review_cb cb, void *ud);

/* What the review rule found on a page's text in use (hl_ocr_check_text), kept with the page. */
typedef struct {
	int rule; /* hl_ocr_check_rule_id() it was made under; 0: none (checked again later) */
	unsigned unknown, low_conf, bad_chars, score;
	const char *words; /* the first suspicious words, a JSON array; NULL: none */
} hl_store_page_check;
/* Done pages without a check made under `rule` (never checked, or by another rule), in key
 * order, at most max, with their result and text; and how many there are. */
int hl_store_pages_unchecked(hl_store *st, int rule, size_t max, hl_page_cb cb, void *ud);
int hl_store_pages_unchecked_count(int64_t *n, hl_store *st, int rule);
/* Stores the check of a done page's text at `text_version` (in the caller's transaction, or
 * alone); *changed (may be NULL) 0 when the page is no longer so (corrected meanwhile). */
int hl_store_page_check_set(int *changed, hl_store *st, int64_t document_id, int file_seq,
                            int page_no, int text_version, const hl_store_page_check *c);

/* A person's text for a done page read from the file `sha256`, in the caller's transaction:
 * a new row of page_text numbered *version (one above the highest of that page and file),
 * page.text replaced (the machine's text kept in machine_text the first time), the approval
 * cleared, the check replaced, the document queued for the index. HL_ECONFLICT when the page
 * is no longer done with that file. */
typedef struct {
	int64_t document_id;
	int file_seq, page_no;
	const char *sha256;
	const char *text, *actor, *at;
	hl_store_page_check check;
} hl_store_page_text;
int hl_store_page_text_put(int *version, hl_store *st, const hl_store_page_text *t);
/* Approves a done page's text as it is at `text_version` (the caller's transaction): by actor,
 * at `at`. HL_ECONFLICT when its text is at another version now. */
int hl_store_page_approve(hl_store *st, int64_t document_id, int file_seq, int page_no,
                          int text_version, const char *actor, const char *at);
/* Every saved text of a page read from file `sha256`, oldest first. */
typedef int (*hl_store_page_text_cb)(int version, const char *text, const char *actor,
                                     const char *at, void *ud);
int hl_store_page_texts(hl_store *st, int64_t document_id, int file_seq, int page_no,
                        const char *sha256, hl_store_page_text_cb cb, void *ud);
/* Every done page, in document order. */
int hl_store_pages_done(hl_store *st, hl_page_cb cb, void *ud);
/* Failed pages, most recent first. */
int hl_store_pages_failed(hl_store *st, size_t max, hl_page_cb cb, void *ud);

/* Records a finished page (its own transaction unless one is open) and queues its document for
 * the search index. */
typedef struct {
	int64_t document_id;
	int file_seq, page_no;
	const char *text, *result; /* result: the page's JSON */
	int dpi, from_text_layer;
	unsigned warn_flags;
	double mean_conf;
	int64_t ms;
	hl_store_page_check check; /* the review rule on its text */
} hl_store_page_result;
int hl_store_page_done(hl_store *st, const hl_store_page_result *r);
/* Records a page that could not be recognised, with why. */
int hl_store_page_fail(hl_store *st, int64_t document_id, int file_seq, int page_no,
                       const char *error, int64_t ms);
/* Puts failed pages back in the queue; *n how many. */
int hl_store_pages_retry(uint64_t *n, hl_store *st);

typedef struct {
	int64_t pending, done, failed, documents, text_layer;
	double mean_conf; /* of done OCR pages; < 0 when none */
} hl_store_pages_stats;
int hl_store_pages_count(hl_store_pages_stats *out, hl_store *st);

/* Who asks, for the *_visible functions (the rule of docs/api.md; see "browsing" below). */
typedef struct {
	int max_level;
	char *const *scope;
	size_t nscope;
	int all;
} hl_store_vis;
/* The counts over the pages of documents the caller may see. */
int hl_store_pages_count_visible(hl_store_pages_stats *out, hl_store *st, const hl_store_vis *v);
/* Failed pages of documents the caller may see, most recent first. */
int hl_store_pages_failed_visible(hl_store *st, const hl_store_vis *v, size_t max, hl_page_cb cb,
                                  void *ud);

/* One OCR run: its pace is what `ocr status` reports. */
typedef struct {
	int64_t id;
	const char *started_at, *ended_at; /* ended_at NULL while running (or killed) */
	int jobs;
	int64_t pages_done, pages_failed;
	double seconds;
} hl_store_ocr_run;
int hl_store_ocr_run_begin(int64_t *id, hl_store *st, int jobs);
int hl_store_ocr_run_update(hl_store *st, int64_t id, int64_t done, int64_t failed, double seconds,
                            int ended);
/* The latest run: cb once, or HL_ENOTFOUND (no message set) when there was none. */
int hl_store_ocr_run_last(hl_store *st, int (*cb)(const hl_store_ocr_run *r, void *ud), void *ud);

/* ---- browsing with visibility (SQL in src/lib/store/browse.c) ----
 *
 * The rule of docs/api.md: a document is visible when public, or when its level is at most
 * max_level and its fonds is in scope; a secret document never (max_level is capped below
 * secret). `all`: every fonds is in scope. */

typedef struct {
	const char *code;
	int64_t documents, dossiers; /* visible ones; dossiers holding a visible document */
} hl_store_fonds_count;

/* Every fonds with at least one visible document, by code. */
int hl_store_fonds_counts(hl_store *st, int max_level, char *const *scope, size_t nscope, int all,
                          int (*cb)(const hl_store_fonds_count *r, void *ud), void *ud);
/* A dossier of a fonds as browsing reads it: its description (series: the series' code) and
 * what its visible documents say (count, pages, first and last dates, longest retention). */
typedef struct {
	const char *code;
	const hl_desc *desc;
	int64_t documents, pages;
	const char *first_date, *last_date, *doc_retention;
} hl_store_dossier_seen;
/* The dossiers of a fonds with their visible documents (in_scope: the fonds is in the
 * caller's scope), by code; dossiers with nothing visible are left out. */
int hl_store_dossiers_visible(hl_store *st, const char *fonds, int max_level, int in_scope,
                              int (*cb)(const hl_store_dossier_seen *r, void *ud), void *ud);

/* ---- description (describe.c) ---- */

/* The column of hl_desc field `field` (0 title … 8 notes, in the struct's order) at `level`
 * (hl_level), or NULL when the level has no such field. */
const char *hl_store_desc_column(int level, int field);
/* The fields of an hl_desc by number, in the struct's order (0 title … 8 notes), and each
 * one's name as messages, audit entries, the API and the CLI give it ("date_from"). */
#define HL_DESC_FIELDS 9
char **hl_store_desc_field(hl_desc *d, int field);
const char *hl_store_desc_name(int field);
/* A fonds' or a dossier's own description (owned strings; hl_desc_clear). HL_ENOTFOUND, no
 * message, when absent. */
int hl_store_fonds_desc(hl_desc *out, hl_store *st, const char *fonds);
int hl_store_dossier_desc(hl_desc *out, hl_store *st, const char *fonds, const char *dossier);
int hl_store_series_desc(hl_desc *out, hl_store *st, const char *fonds, const char *series);
/* The series of a fonds, by code, each with the count of its dossiers holding a visible
 * document; keeper: the series with none too. The hl_desc is valid during the call only. */
typedef int (*hl_store_series_cb)(const char *code, const hl_desc *d, int64_t dossiers, void *ud);
int hl_store_series_list(hl_store *st, const char *fonds, int max_level, int in_scope, int keeper,
                         hl_store_series_cb cb, void *ud);
/* Writes the non-NULL fields of `e` ("" clears) on fonds `fonds` (level 0), its series `code`
 * (created when absent; needs e->title) or its dossier `code`, and one audit entry "describe"
 * with `changed` as its detail: in the caller's transaction, or its own. A dossier's series is
 * e->series, a series code of the same fonds (checked by the caller). HL_ENOTFOUND for a
 * missing fonds or dossier. */
int hl_store_describe(hl_store *st, int level, const char *fonds, const char *code,
                      const hl_desc *e, const char *changed, const char *actor);
/* Deletes series `code` of `fonds` when no dossier is in it (HL_ECONFLICT else), audited. */
int hl_store_series_remove(hl_store *st, const char *fonds, const char *code, const char *actor);
/* The visible documents of a dossier in `order` (hl_doc_order: by ordinal, or by issued date
 * then ordinal, either way), from offset, at most limit; *total counts them all. The hl_doc is
 * valid during the callback only: metadata only (no files, no notes, no typed or page text). */
int hl_store_dossier_docs(int64_t *total, hl_store *st, const char *fonds, const char *dossier,
                          int max_level, int in_scope, int order, size_t offset, size_t limit,
                          hl_doc_cb cb, void *ud);
/* Audit entries, newest first; *total of all. */
int hl_store_audit_page(hl_store *st, size_t offset, size_t limit, int64_t *total,
                        int (*cb)(int64_t id, const char *at, const char *actor, const char *action,
                                  const char *object, const char *detail, void *ud),
                        void *ud);

#ifdef __cplusplus
}
#endif
#endif
