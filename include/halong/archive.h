/* The archive: a node's data directory (store, blobs, index), the content-addressed blob store,
 * manifest ingest and fixity verification. */
#ifndef HALONG_ARCHIVE_H
#define HALONG_ARCHIVE_H

#include "auth.h"
#include "common.h"
#include "units.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hl_archive hl_archive;

/* ---- documents ---- */

/* A file of a document: its name as given in the manifest and the blob it points to. */
typedef struct {
	char *name;
	char sha256[65];
	int64_t size;
} hl_doc_file;

/* A document (văn bản) with its metadata (DOMAIN.md). Strings may be NULL when empty. */
typedef struct hl_doc {
	int64_t rowid; /* store's id; also the search index's document id */
	char *doc_id;
	char *fonds_code;
	char *dossier_code;
	int64_t ordinal;
	char *doc_number;
	char *doc_notation;
	char *issued_date; /* ISO, possibly partial: "2019", "2019-03", "2019-03-12" */
	char *doc_type;
	char *issuer;
	char *subject;
	char *language;
	int64_t page_count; /* -1: not given */
	char *keywords;     /* ';'-separated */
	hl_access access;
	char *confidence; /* original | copy | digitized */
	char *retention;  /* permanent | years as digits */
	char *physical_state;
	char *notes;
	char *text;
	/* The title of its dossier, as a manifest row gives it (column dossier_title): set on the
	 * dossier when the row is stored; NULL on a document read back. */
	char *dossier_title;
	/* The series of its dossier (columns series_code, series_title): the series is made when
	 * new (titled with its code when no title is given) and the dossier put in it when the
	 * row is stored; NULL on a document read back. */
	char *series_code, *series_title;
	size_t nfiles;
	hl_doc_file *files;
	/* filled by the store on read */
	char *page_text; /* the text of its done pages (OCR or PDF text layer), in order; or NULL */
	int version;
	char *created_at, *updated_at;
	/* Set by hl_archive_doc_read when every caller reads the same of it and its read is not
	 * audited (public, asked with its earlier versions and has none): an answer a client may
	 * give again to anyone while the store's change stamp (hl_archive_change_stamp) holds. */
	int same_for_all;
} hl_doc;

void hl_doc_free(hl_doc *d);

/* The document as a JSON object text (malloc'd): every manifest key, "version", "created_at",
 * "updated_at" and "files" [{name, sha256, size}]. NULL when out of memory. */
char *hl_doc_json(const hl_doc *d);

/* ---- search: the query language of src/lib/search/README.md ---- */

/* Bytes of a query with its filters (hl_search_opts.query and the filters added to it). */
#define HL_SEARCH_MAX_QUERY 1024

typedef struct {
	const char *query; /* the user's query (syntax in src/lib/search/README.md); may be "" */
	/* Filters, each a comma-separated list (a document matches any value of a list): fonds
	 * codes, document types, years, issuers, and unit codes (the fonds a unit holds today,
	 * inherited ones included). NULL or "": none. */
	const char *fonds, *type, *year, *issuer, *unit;
	size_t offset, limit;  /* limit 0 = 10 */
	const char *mark_open; /* around matched words in snippets; NULL = "<mark>" */
	const char *mark_close;
	int html;   /* non-zero: snippet text is HTML-escaped */
	int facets; /* non-zero: count fonds, type, year and unit over the matches */
} hl_search_opts;

/* One value of a facet and how many matching documents have it. */
typedef struct {
	char *value;
	char *name; /* the unit facet: the unit's name today (else NULL) */
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

/* A hit: a document of the archive, or (kind:lesson) a lesson learned of plans/. A lesson's hit
 * has lesson (its id; 0 for a document), its title as subject, the task it is linked to
 * ("PLAN/STT") as task, its agency's code as agency and name as issuer, the day it was recorded
 * as issued_date, doc_type "Bài học kinh nghiệm", and no doc_id, dossier or fonds. */
typedef struct {
	int64_t rowid; /* the store's row of a document; 0 for a lesson */
	char *doc_id;
	double score;
	char *subject, *dossier_code, *fonds_code, *issued_date, *doc_type, *issuer;
	hl_access access;
	char *snippet;
	int64_t lesson;
	char *task, *agency;
} hl_hit;

typedef struct {
	size_t n;
	hl_hit *hits;
	/* The total to show: counted one by one over the matches the searcher may see while there
	 * are fewer than HL_FACET_SCAN (total_exact), else Xapian's estimate — never less than
	 * offset + n. Xapian's own estimate over a filter counts hidden documents too, so it is
	 * never shown alone: a count would leak what the searcher may not see. */
	uint64_t total;
	int total_exact;
	uint64_t estimate; /* Xapian's estimate of all matches */
	/* Set by the index: listed_all when the search reached its last hit (a short page, or
	 * none past the offset), listed being then the number of hits; count_is_total when the
	 * documents holding every word are exactly the hits (no phrase to confirm), so that an
	 * exact facet_count is the total. */
	int listed_all;
	uint64_t listed;
	int count_is_total;
	/* Words of the query found nowhere that spell, in Telex or VNI typed without an input
	 * method, a word the index holds: typed[i] (lower case) was searched as spelled[i]
	 * ("quyeets" as "quyết"). hl_archive_search then sets searched_as: the caller's query with
	 * those words replaced, for a "results for …" line; else NULL. */
	size_t nspelled;
	char **typed, **spelled;
	char *searched_as;
	/* Words the index holds rarely (at most 3 documents) one edit from a word it holds fifty
	 * times as often: rare[i] as typed, common[i] offered; did_you_mean the caller's query
	 * with them replaced (hl_archive_search), else NULL. A word found nowhere one edit from a
	 * held one is searched as it, among typed/spelled above ("truogn" as "truong"). */
	size_t nsuggest;
	char **rare, **common;
	char *did_you_mean;
	/* When opts.facets: counted over the same matches as the total. unit: each fonds' count
	 * goes to the unit that holds it today (most documents first). */
	hl_facet fonds, type, year, unit;
	uint64_t facet_count, facet_estimate;
	int facets_exact;
	/* Changes the store holds that the index does not yet (a crash, a writer that could not
	 * take the index lock): the search does not see them (hl_archive_index_sync applies
	 * them). */
	int64_t pending;
	/* No restricted or secret record among the hits: the same answer may be given again to a
	 * caller of the same ceiling and scope while the store's change stamp holds. Showing a
	 * restricted record is a read the library audits (its snippet) each time. */
	int reusable;
} hl_hits;

void hl_hits_free(hl_hits *h);

/* A page as stored. Strings are valid during the callback only; mean_conf < -1.5 when not
 * known (a pending page). */
typedef struct {
	int64_t document_id;
	const char *doc_id, *file_name, *sha256, *state, *error, *text, *result, *done_at;
	int file_seq, page_no, seq, attempts, dpi, from_text_layer;
	unsigned warn_flags;
	double mean_conf;
	int64_t ms;
	hl_access access; /* the document's */
	/* Set by hl_archive_doc_read: recognised by OCR (not a text layer) with a mean confidence
	 * below HL_OCR_LOW_CONFIDENCE, and its machine text still in use. */
	int low_confidence;
	/* Which text `text` is: text_version 0 the machine's (OCR, or a PDF's text layer); N > 0
	 * the Nth correction, saved by corrected_by at corrected_at, the machine's text then kept
	 * in machine_text (NULL while uncorrected). */
	int text_version;
	const char *machine_text, *corrected_by, *corrected_at;
	/* Approved by approved_by at approved_at (NULL: not approved): a person checked the text
	 * as it is now. A new correction takes the approval away. */
	const char *approved_by, *approved_at;
	/* What the review rule (hl_ocr_check_text) found on the text in use: checked 0 when it has
	 * not run yet under today's rule; suspect_words the first suspicious words, a JSON array
	 * (text). suspect = unknown_words + low_conf_words + bad_chars orders the review. */
	int checked, check_rule;
	unsigned unknown_words, low_conf_words, bad_chars, suspect;
	const char *suspect_words;
	/* Set by hl_archive_ocr_review: the machine's mean confidence is below the one asked. */
	int below;
} hl_page_row;
typedef int (*hl_page_cb)(const hl_page_row *p, void *ud);

/* ---- reading a record as a principal (src/lib/archive/read.c) ----
 *
 * Each verb decides whether `who` may see the document (docs/api.md: public, or up to the
 * principal's ceiling in a fonds its unit holds; every level to the local operator) and answers
 * HL_ENOTFOUND "no document ID" when not, exactly as for a missing one. A read of a restricted
 * or secret record's content is audited ("read", the document, what was read) in the same
 * transaction as the read. */

/* An earlier version of a document: its metadata as hl_doc_json wrote it then, or NULL when the
 * reader could not have seen the record as it was (a record once restricted and later made
 * public keeps its restricted past). */
typedef int (*hl_doc_version_cb)(int version, const char *replaced_at, const char *json, void *ud);

typedef struct {
	hl_page_cb on_page;           /* each page, in order; may be NULL */
	hl_doc_version_cb on_version; /* each earlier version, newest first; may be NULL */
	void *ud;
} hl_doc_read_opts;

/* 1 when `who` may see document `doc_id`, 0 when not or when it does not exist (nothing of it
 * is read: not audited). For a list that names documents (a job's failures). */
int hl_archive_may_see(hl_archive *a, const hl_principal *who, const char *doc_id);

/* The document with its files; its pages and earlier versions through `o` (may be NULL).
 * `what` names the read in the audit log (NULL: "document"). An earlier version shown that was
 * restricted or secret is content of that level: the read is audited for it too, in the same
 * transaction, as "WHAT (version N)" ("WHAT (versions N, M)" for several). */
int hl_archive_doc_read(hl_doc **out, hl_archive *a, const hl_principal *who, const char *doc_id,
                        const char *what, const hl_doc_read_opts *o);

/* A citation of the document (cite.c) in `format`: "vi" (NULL: the Vietnamese archival line —
 * Lưu trữ UNIT, Phông CODE (NAME), hồ sơ D, văn bản số N: TYPE số N/NOTATION ngày dd/mm/yyyy
 * của ISSUER, “SUBJECT”. Mã định danh: ID.), "bibtex" (@misc) or "csl-json" (an array of one
 * item). *out is malloc'd text ending in a newline. Read as hl_archive_doc_read reads it (the
 * same access rule; audited as "citation" when restricted); the fonds' name and the unit
 * holding it appear when the reader may see them. HL_EINVALID for another format. */
int hl_archive_doc_cite(char **out, hl_archive *a, const hl_principal *who, const char *doc_id,
                        const char *format);

/* File `seq` (1-based) of a document: *path (malloc'd) of its blob and *doc (files[seq - 1]
 * names it). Audited as "file N". HL_ENOTFOUND "no file N in ID". */
int hl_archive_doc_file(char **path, hl_doc **doc, hl_archive *a, const hl_principal *who,
                        const char *doc_id, int seq);

/* One page of a document as stored. */
typedef struct {
	char *doc_id;
	char *path;      /* the blob holding the page */
	char *file_name; /* the file as the manifest names it */
	char sha256[65];
	int file_seq, page_no;
	char state[16]; /* "pending", "done", "failed" */
	hl_access access;
} hl_page_ref;
void hl_page_ref_clear(hl_page_ref *p);

/* Page `seq` (1-based, in the document), audited as `what` (NULL: "page"; e.g. "page 3 image").
 * HL_ENOTFOUND "no page N in ID". */
int hl_archive_page_open(hl_page_ref *out, hl_archive *a, const hl_principal *who,
                         const char *doc_id, int seq, const char *what);

/* Resolves the data directory: `home` if given, else $HALONG_HOME, else "./halong-data".
 * Returns a malloc'd path. */
char *hl_archive_home(const char *home);

/* Creates the data directory layout (halong.db, blobs/, index/, keys/, halong.conf).
 * Idempotent: an existing directory is checked and upgraded, nothing is lost. */
int hl_archive_init(const char *home);

/* The versions this halong speaks (`halong --version`): its release; the newest store schema it
 * makes (an older store is migrated forward when opened, a newer one refused); the versions of
 * the exchange's envelopes and the feed's entries it writes (it reads those and older ones). */
typedef struct {
	const char *halong;
	int schema, exchange, feed;
} hl_versions;
void hl_archive_versions(hl_versions *out);

/* Opens an initialised data directory. HL_ENOTFOUND if it was never initialised. */
int hl_archive_open(hl_archive **out, const char *home);
void hl_archive_free(hl_archive *a);

hl_store *hl_archive_store(hl_archive *a);
const char *hl_archive_dir(hl_archive *a);

/* Applies changes the store has queued and the index does not hold yet (after a crash, or a
 * writer that could not take the index lock). Takes no lock when nothing is pending. */
int hl_archive_index_sync(uint64_t *applied, hl_archive *a, hl_progress_cb progress, void *ud);

/* After a change: the search index learns it now when its writer's lock is free; else the change
 * waits in the queue for the writer holding it (an ingest, an OCR run), which applies it. A
 * handle that did not hold the writer before lets it go again: a server's worker must not keep
 * it. 1: applied; 0: left queued (the error cleared). */
int hl_archive_index_now(hl_archive *a);

/* Searches the archive as `who` sees it (docs/api.md: public records, and records up to the
 * principal's ceiling in the fonds its unit holds; every level for the local operator), on a
 * read-only view of the index: a search never writes to the index (see hl_hits.pending). A
 * snippet is a record's text: each restricted or secret record whose snippet is shown is
 * audited as read ("search snippet"), in one transaction. The fonds held by a unit and the
 * counts of a query are kept in the handle while the store and the day are unchanged.
 * HL_EINVALID for a query that cannot be parsed, a bad filter or an unknown unit. */
int hl_archive_search(hl_hits **out, hl_archive *a, const hl_principal *who,
                      const hl_search_opts *opts);

/* What changed the store since: two equal stamps mean the same data (another connection's
 * commit or this handle's own change moves it). For callers that keep answers. */
typedef struct {
	int64_t data_version, own_changes;
} hl_archive_stamp;
int hl_archive_change_stamp(hl_archive_stamp *out, hl_archive *a);

/* Rebuilds the search index from the store (`halong reindex`). */
int hl_archive_reindex(hl_archive *a, hl_progress_cb progress, void *ud);

typedef struct {
	int64_t fonds, dossiers, documents, versions, files, blobs, blob_bytes, audit;
	int schema_version;
	uint64_t index_docs;   /* documents the search index holds */
	int64_t index_pending; /* changes queued in the store and not yet in the index */
} hl_archive_stats;
int hl_archive_stats_get(hl_archive_stats *out, hl_archive *a);

/* The counts of what `who` sees (fonds holding a visible document, their visible dossiers and
 * documents); with `all` set, the figures over every record too (the index, the OCR queue):
 * only for those who may (HL_ACT_STATS_ALL). */
typedef struct {
	int64_t fonds, dossiers, documents;
	int all;
	uint64_t index_docs;
	int64_t index_pending;
	int64_t pages_done, pages_pending, pages_failed;
} hl_archive_seen;
int hl_archive_seen_stats(hl_archive_seen *out, hl_archive *a, const hl_principal *who);

/* ---- blobs ---- */

/* Copies a file into the blob store under its SHA-256 (written once: an existing blob is kept).
 * Writes the hex hash and size. */
int hl_blob_put_file(char sha256[65], int64_t *size, hl_archive *a, const char *path);
/* malloc'd path of a blob inside the data directory. */
char *hl_blob_path(hl_archive *a, const char *sha256);

/* ---- ingest ---- */

/* One bad row: 1-based line of the manifest, the column (manifest key) or NULL, the reason. */
typedef void (*hl_reject_cb)(uint64_t line, const char *column, const char *reason, void *ud);

typedef struct {
	const char *manifest;      /* CSV path */
	const char *manifest_name; /* its name in messages ("manifest"); NULL: the path */
	const char *files_dir;     /* where `files` paths are relative to; NULL = manifest's dir */
	const char *rejects_path;  /* CSV of rejected rows (+ line, column, reason); NULL = none */
	size_t batch_size;         /* rows per transaction; 0 = 1000 */
	/* The longest a transaction stays open, one row more (0: 1,000 ms): rows with scans copy
	 * and hash their files inside it, and every audited read waits for the store's write lock
	 * meanwhile. */
	unsigned batch_ms;
	/* Who loads it: the audit log names them with every document written, and only those
	 * who may (hl_auth_check HL_ACT_INGEST: a manifest may name any fonds and rewrite its
	 * documents, access levels included) may. Required. */
	const hl_principal *who;
	/* Non-zero: every scan (a file named .tif, .tiff, .jpg, .jpeg, .png or .pdf) is probed
	 * (hl_ocr_probe: a corrupt or oversized file rejects its row), its pages are checked
	 * against page_count, and queued for `hl_archive_ocr_run`. */
	int ocr;
	hl_progress_cb progress;
	hl_reject_cb on_reject;
	/* A loaded row's warning (a page below 200 dpi): line, column, message. */
	hl_reject_cb on_warning;
	void *ud;
} hl_ingest_opts;

typedef struct {
	uint64_t rows, inserted, updated, unchanged, rejected;
	uint64_t files, new_blobs, bytes;
	uint64_t indexed;
	uint64_t pages_queued, warnings; /* with opts.ocr */
} hl_ingest_result;

/* Streams the manifest in batches (one transaction each), loads good rows, reports bad ones,
 * then brings the search index up to date. Returns 0 even when rows were rejected (see
 * result.rejected); an error for a manifest that cannot be read at all. */
int hl_archive_ingest(hl_ingest_result *out, hl_archive *a, const hl_ingest_opts *opts);

/* ---- fixity ---- */

/* One problem found by verify: what (a blob's hash; for a file not named like a blob, its
 * path in the data directory: "blobs/ab/x.tmp", "tmp/blob.123.4"), the kind ("missing",
 * "corrupt" or "orphan"), and a detail. */
typedef void (*hl_verify_cb)(const char *sha256, const char *problem, const char *detail, void *ud);
typedef struct {
	uint64_t checked, ok, missing, corrupt; /* blobs the store knows */
	/* files in blobs/ the store does not know (nothing refers to them: left by a crash
	 * between a blob's write and its batch's commit, which re-running the ingest adopts, or
	 * put there by hand) and temporary copies in tmp/ of an ingest that is gone */
	uint64_t orphans;
} hl_verify_result;

/* Re-hashes every blob the store knows, and walks blobs/ (and tmp/) for orphans. An orphan
 * loses no record and damages none: callers should not count it as a fixity failure. Reads
 * only: nothing is repaired or removed. An ingest running meanwhile may show its newest blobs
 * as orphans until its batch commits. */
int hl_archive_verify(hl_verify_result *out, hl_archive *a, hl_verify_cb on_problem,
                      hl_progress_cb progress, void *ud);

/* ---- digitization: the OCR queue (src/lib/archive/digitize.c) ---- */

/* One page that could not be recognised: the document, the file as the manifest names it, the
 * page in that file, and why. */
typedef void (*hl_ocr_failure_cb)(const char *doc_id, const char *file, int page_no,
                                  const char *error, void *ud);

typedef struct {
	/* Who starts the run (hl_auth_check HL_ACT_OCR_RUN), named in the audit log: the run's
	 * entry "ocr.run", and "ocr.page" with each page of a restricted or secret record. */
	const hl_principal *who;
	unsigned jobs;     /* worker threads, one Tesseract engine each; 0 = number of cores */
	unsigned flags;    /* hl_ocr_opts flags (include/halong/ocr.h); 0 = the defaults */
	const char *langs; /* NULL = "vie+eng" */
	const char *tessdata;
	int retry_failed;   /* put failed pages back in the queue first */
	uint64_t max_pages; /* stop after this many (0: every pending page) */
	hl_progress_cb progress;
	hl_ocr_failure_cb on_failure;
	void *ud;
} hl_ocr_run_opts;

typedef struct {
	uint64_t done, failed, indexed;
	double seconds;
	unsigned jobs;
} hl_ocr_run_result;

/* Works the pending pages with opts->jobs threads. Each finished page is committed on its own
 * (a killed run loses nothing and redoes nothing done); failures are recorded with why and
 * the run goes on; at the end the search index learns the new text. One run at a time per
 * data directory (HL_ECONFLICT while another runs). */
int hl_archive_ocr_run(hl_ocr_run_result *out, hl_archive *a, const hl_ocr_run_opts *opts);

typedef struct {
	int64_t pending, done, failed, documents, text_layer;
	double mean_conf; /* of OCR'd pages; < 0 when none */
	int have_run;     /* a run has finished pages: the figures below are its pace */
	int running;      /* a run holds the lock now */
	unsigned jobs;
	double pages_per_min; /* of the latest run */
	double eta_seconds;   /* pending / pace; < 0 when unknown */
	char last_run[32];    /* when the latest run started */
} hl_ocr_status;

/* The queue's figures over the pages of documents `who` may see (the pace of the latest run is
 * every page's). */
int hl_archive_ocr_status(hl_ocr_status *out, hl_archive *a, const hl_principal *who);
/* Failed pages of documents `who` may see, most recent first, at most max. */
int hl_archive_ocr_failures(hl_archive *a, const hl_principal *who, size_t max, hl_page_cb cb,
                            void *ud);
/* The pages a person should check, of documents `who` may see, at most max (0: 50), among the
 * first 20,000: done and not approved, flagged by the review rule (hl_ocr_check_text: words
 * that are not Vietnamese syllables, unsure words, characters Vietnamese never writes — the
 * row's unknown_words, low_conf_words, bad_chars and suspect_words) or still with a machine
 * text whose mean confidence is below `below` (0..100; the row's `below`); the most suspicious
 * first (suspect), then the least confident. A row has no `result` (the words' JSON). Pages
 * recognised before the rule existed (or under an older list) are checked first, at most
 * 2,000 by a review (each batch in its own short transaction); *unchecked (may be NULL) says
 * how many are still waiting (`hl_archive_ocr_run` checks them all): a figure over every
 * record, so 0 for those without HL_ACT_STATS_ALL. Needs
 * HL_ACT_OCR_REVIEW. A page's text is its record's content: each restricted or secret document
 * listed is audited as read ("ocr review"), all in one short transaction after the listing
 * (which holds no write lock). */
int hl_archive_ocr_review(hl_archive *a, const hl_principal *who, double below, size_t max,
                          uint64_t *unchecked, hl_page_cb cb, void *ud);

/* ---- a page's text corrected and approved by a person (src/lib/archive/pagetext.c) ----
 *
 * Both verbs need HL_ACT_PAGE_EDIT (archivists and admins) and a document the principal sees
 * in a fonds its unit holds today (every fonds for the province's staff; another unit's record
 * it sees, a public one: HL_EDENIED; one it does not see: HL_ENOTFOUND "no document ID", as a
 * missing one). Each change is one transaction with its audit entry ("page.correct",
 * "page.approve": the document, "page N: version V"), then the search index is brought up to
 * date when its lock is free (else the change waits in the index queue for the next writer). */

/* Where a page's text stands. Strings are "" when not set. */
typedef struct {
	int seq;
	int text_version; /* 0: the machine's text; N: the Nth correction */
	int changed;      /* the call changed something (a text the same as the current one, or an
	                   * approval already given, changes nothing) */
	int indexed;      /* the search index holds the text already (else it is queued) */
	int may_edit;     /* hl_archive_page_texts: whether `who` may correct and approve it */
	char corrected_by[96], corrected_at[32];
	char approved_by[96], approved_at[32];
} hl_page_text_state;

/* Saves `len` bytes of `text` as page `seq`'s (1-based in the document) corrected text: a new
 * version kept with its author and time, the machine's text and its word boxes kept, the
 * approval cleared, the text rechecked by the review rule; search, show and the exports then
 * use it. `source` names the text in errors (a file name, "text"). The text must be UTF-8
 * without NUL or control characters (tab and line breaks allowed; CR LF becomes LF) of at most
 * HL_OCR_MAX_TEXT bytes (HL_EINVALID naming the source and the byte), and is stored as NFC. A
 * text equal to the current one changes nothing (changed 0). base_version >= 0 is the version
 * the person edited: HL_ECONFLICT when the page is at another one now (someone saved
 * meanwhile); -1 takes whatever it is. HL_ENOTFOUND "no page N in ID"; HL_ECONFLICT for a
 * page not recognised yet. */
int hl_archive_page_correct(hl_page_text_state *out, hl_archive *a, const hl_principal *who,
                            const char *doc_id, int seq, const char *text, size_t len,
                            const char *source, int base_version);
/* Approves page `seq`'s text as it is now (machine or corrected): by `who`, now. version >= 0
 * is the version the person read (HL_ECONFLICT when it is another now); -1 the current one. An
 * approval already given to that version changes nothing. */
int hl_archive_page_approve(hl_page_text_state *out, hl_archive *a, const hl_principal *who,
                            const char *doc_id, int seq, int version);
/* Page `seq`'s texts, as `who` may read the document (audited as "page N text" for a
 * restricted or secret one): cb gets version 0, the machine's text (by NULL), then each
 * correction with its author and time, oldest first; *out where it stands and whether `who`
 * may edit it. */
typedef int (*hl_page_text_cb)(int version, const char *text, const char *by, const char *at,
                               void *ud);
int hl_archive_page_texts(hl_page_text_state *out, hl_archive *a, const hl_principal *who,
                          const char *doc_id, int seq, hl_page_text_cb cb, void *ud);

/* The ALTO XML of page `seq` (1-based, in the document) of a document that has been
 * recognised, as `who` may read it (see "reading a record as a principal"; audited as "page N
 * alto"). HL_ENOTFOUND for an unknown or hidden document or page, HL_ECONFLICT for a page not
 * recognised yet. */
int hl_archive_page_alto(char **out, hl_archive *a, const hl_principal *who, const char *doc_id,
                         int seq);

/* A searchable PDF of the document's pages (image + invisible text), as `who` may read it
 * (audited as "pdf"). Every page must be done (HL_ECONFLICT naming the first that is not). */
int hl_archive_export_pdf(hl_archive *a, const hl_principal *who, const char *doc_id,
                          const char *out_path);

/* One page compared with its ground truth. */
typedef struct {
	const char *doc_id, *file, *truth_path;
	int page_no;
	double cer, wer, mean_conf;
	uint64_t char_edits, char_total, word_edits, word_total;
} hl_ocr_eval_row;

typedef struct {
	uint64_t pages, missing; /* pages compared; done pages without a ground-truth file */
	uint64_t char_edits, char_total, word_edits, word_total;
	double cer, wer; /* totals: edits over ground-truth length */
} hl_ocr_eval_total;

/* Compares every done page with GT_DIR/NAME.txt, NAME being the page's file name without its
 * folders and extension (a file of several pages: NAME.pN.txt for page N, or NAME.txt for the
 * whole file's pages joined). cb (may be NULL) gets each page compared. */
int hl_archive_ocr_eval(hl_ocr_eval_total *out, hl_archive *a, const char *gt_dir,
                        void (*cb)(const hl_ocr_eval_row *r, void *ud), void *ud);

/* ---- fonds, dossiers and custody as a principal sees them (src/lib/archive/fonds.c) ----
 *
 * The rules of docs/api.md ("What a caller sees", "Fonds, dossiers, custody") in one place for
 * the CLI (hl_principal_local: the node's operator, who sees everything) and the server (the
 * caller's principal). A document is seen when it is public, or at most the principal's ceiling
 * in a fonds its unit holds today. A fonds is seen when one of its documents is, and by an
 * archivist or admin when its unit holds it. A fonds the principal may not see answers
 * HL_ENOTFOUND "unknown fonds CODE", exactly as a missing one. Counts (hl_custody.dossiers and
 * .documents, a dossier's documents, a receipt's lines) count what the principal sees. A role
 * that may not use a verb: HL_EDENIED ("log in first" for anonymous). */

/* The description of a fonds, a series or a dossier, as archivists write it (ISAD(G) levels
 * 3.1–3.3; Thông tư 02/2019/TT-BNV). Read back: owned strings, NULL when not described. In an
 * edit (hl_archive_describe): borrowed, NULL keeps the field, "" clears it. Dates are ISO,
 * whole or partial (yyyy, yyyy-mm, yyyy-mm-dd); an edit may also give dd/mm/yyyy or mm/yyyy. */
typedef struct {
	char *title; /* fonds: its name (tên phông); series, dossier: the title (tiêu đề) */
	char *date_from; /* thời gian bắt đầu */
	char *date_to;   /* thời gian kết thúc */
	char *extent;    /* số lượng, free text: "12 hộp, 340 hồ sơ", "45 tờ" */
	char *history;   /* fonds: lịch sử đơn vị hình thành phông (ISAD(G) 3.2.2) */
	char *scope;     /* fonds, series: nội dung (scope and content, 3.3.1) */
	char *retention; /* dossier: "permanent" or years (70, 50, 30, 20, 10): thời hạn bảo quản */
	char *series; /* dossier: the code of its series in the same fonds */
	char *notes;  /* ghi chú, chú giải */
} hl_desc;

void hl_desc_clear(hl_desc *d);

/* The levels of description: which fields each takes (hl_archive_describe refuses the
 * others). */
typedef enum {
	HL_LEVEL_FONDS = 0,   /* title (name), dates, extent, history, scope, notes */
	HL_LEVEL_SERIES = 1,  /* title (required to create one), dates, extent, scope, notes */
	HL_LEVEL_DOSSIER = 2, /* title, dates, extent, retention, series, notes */
} hl_level;

/* "fonds", "series", "dossier"; HL_EINVALID naming them else. */
int hl_level_parse(hl_level *out, const char *s);

/* A dossier of a fonds: its documents the principal sees. first_date, last_date, pages and
 * longest retention are read off those documents (what the description shows when it says
 * nothing itself). */
typedef struct {
	char *fonds_code, *code;
	hl_desc desc;
	int64_t documents, pages;
	char *first_date, *last_date; /* of its dated documents; NULL when none is dated */
	char *doc_retention;          /* the longest of its documents' retentions, or NULL */
	int may_describe;             /* the principal may describe it (hl_archive_describe) */
} hl_dossier;

void hl_dossier_free(hl_dossier *d);

/* A series (mục lục hồ sơ, nhóm hồ sơ) of a fonds: dossiers counts those the principal sees. */
typedef struct {
	char *code;
	hl_desc desc;
	int64_t dossiers;
} hl_series;

/* A fonds on a date as the principal sees it. */
typedef struct {
	hl_custody
	    *custody; /* its custody from the creator; dossiers and documents: visible ones */
	hl_desc desc; /* title: its name, as custody->fonds_name */
	size_t nseries;
	hl_series *series; /* by code: every one to a keeper, else those with a visible dossier */
	size_t ndossiers;
	hl_dossier *dossiers; /* by code: those holding a document the principal sees */
	int may_describe;     /* the principal may describe the fonds, its series and dossiers */
} hl_fonds;

void hl_fonds_free(hl_fonds *f);

/* Every fonds the principal sees, by code, with custody on `date` (NULL: today). */
int hl_archive_fonds_list(hl_custodies **out, hl_archive *a, const hl_principal *who,
                          const char *date);

/* The fonds `code` on `date` (NULL: today) with its visible dossiers. The dossiers come from
 * the store's browsing, which never shows a secret record, not even to the local operator (the
 * custody counts do count them for it). */
int hl_archive_fonds_get(hl_fonds **out, hl_archive *a, const hl_principal *who, const char *code,
                         const char *date);

/* The custody of fonds `code` on `date` (NULL: today), without its dossiers. */
int hl_archive_custody_show(hl_custody **out, hl_archive *a, const hl_principal *who,
                            const char *code, const char *date);

/* Largest page of hl_archive_dossier_docs. */
#define HL_ARCHIVE_PAGE_MAX 1000

/* A document of a dossier page: valid during the call only, its metadata only (no files, no
 * notes, no typed or page text: a listing carries no content). Non-zero stops the page (a
 * negative HL_E code is returned by the verb). */
typedef int (*hl_dossier_doc_cb)(const hl_doc *d, void *ud);

/* The order of a dossier's documents: by ordinal (số thứ tự), or by date issued (then ordinal;
 * undated ones last), each either way. */
typedef enum {
	HL_ORDER_ORDINAL = 0,
	HL_ORDER_ORDINAL_DESC = 1,
	HL_ORDER_DATE = 2,
	HL_ORDER_DATE_DESC = 3,
} hl_doc_order;

/* "ordinal", "-ordinal", "date", "-date" (NULL or "": ordinal); HL_EINVALID naming them else. */
int hl_doc_order_parse(hl_doc_order *out, const char *s);

/* The documents of dossier `dossier` of fonds `fonds` the principal sees, in `order`, from
 * `offset`, at most `limit` (1 to HL_ARCHIVE_PAGE_MAX), each to cb; *out the dossier with its
 * count of them. A dossier holding nothing the principal sees answers HL_ENOTFOUND as a
 * missing one. Secret records are never listed (the store's browsing). */
int hl_archive_dossier_docs(hl_dossier **out, hl_archive *a, const hl_principal *who,
                            const char *fonds, const char *dossier, hl_doc_order order,
                            size_t offset, size_t limit, hl_dossier_doc_cb cb, void *ud);

/* Records the creator of fonds `code` (hl_custody_set_creator), audited under the principal's
 * name; *out the fonds after the change (out may be NULL), counted with what the principal saw
 * before it (a unit's archivist who names another creator still gets its answer). Archivists
 * and admins only. The province's staff set any fonds, creating it if absent; a unit's staff
 * only a fonds its unit holds today (another it sees: HL_EDENIED; one it does not:
 * HL_ENOTFOUND as a missing one, which it may not create). An unknown creator unit, or a date
 * it did not exist: HL_EINVALID (they come from the caller's input). */
int hl_archive_fonds_set(hl_fonds **out, hl_archive *a, const hl_principal *who, const char *code,
                         const char *creator, const char *creator_on, const char *name);

/* Describes fonds `fonds` (level HL_LEVEL_FONDS, code NULL), its series `code` (created when
 * absent, with a title) or its dossier `code` with the fields `edit` gives, in one
 * transaction, audited as "describe" under the principal's name with the names of the fields
 * it changed; *out (may be NULL) the fonds after the change. Who may: as hl_archive_fonds_set
 * (archivists and admins; a unit's staff only in a fonds its unit holds today). Bad input
 * (a field the level does not take, a bad date or retention, dates in the wrong order, a
 * series unknown in the fonds, over HL_DESC_MAX bytes, control characters): HL_EINVALID naming
 * the field; a dossier that does not exist: HL_ENOTFOUND. Text is stored in NFC. */
#define HL_DESC_MAX 20000 /* bytes of history, scope or notes; 1000 of any other field */
int hl_archive_describe(hl_fonds **out, hl_archive *a, const hl_principal *who, hl_level level,
                        const char *fonds, const char *code, const hl_desc *edit);

/* Removes series `code` of fonds `fonds`, when no dossier belongs to it (else HL_ECONFLICT
 * naming how many do); audited. Who may: as hl_archive_describe. */
int hl_archive_series_remove(hl_archive *a, const hl_principal *who, const char *fonds,
                             const char *code);

/* The fonds unit `unit` holds on `date` (NULL: today) that the principal sees. */
int hl_archive_custody_of(hl_custodies **out, hl_archive *a, const hl_principal *who,
                          const char *unit, const char *date);

/* The fonds waiting for a decision or naming no creator (inspectors, archivists and admins):
 * every one for the province's staff, who decide; for a unit's staff only those it sees. */
int hl_archive_custody_pending(hl_custodies **out, hl_archive *a, const hl_principal *who);

/* Decides who receives fonds `fonds` (hl_custody_assign), audited under the principal's name;
 * *out its custody today (out may be NULL). Archivists and admins of the province only: a
 * decision moves records into a unit's scope. A known fonds with no step waiting (from and
 * date NULL): HL_ECONFLICT. */
int hl_archive_custody_assign(hl_custody **out, hl_archive *a, const hl_principal *who,
                              const char *fonds, const char *to, const char *from, const char *date,
                              const char *basis);

/* The hand-over receipt of unit `to` (hl_custody_receipt; `from` NULL or "": from every giver)
 * as the principal sees it (inspectors, archivists and admins; a unit's staff only their own
 * unit's). A dossier holding nothing the principal sees is left out; one with some records
 * hidden is counted over the visible ones and its digest left empty (the principal could not
 * check it); the receipt's counts and digest are then those of the lines shown. When nothing
 * is hidden it is the whole receipt, byte for byte. */
int hl_archive_custody_receipt(hl_receipt **out, hl_archive *a, const hl_principal *who,
                               const char *to, const char *from, const char *date);

#ifdef __cplusplus
}
#endif
#endif
