/* The archive: a node's data directory (store, blobs, index), the content-addressed blob store,
 * manifest ingest and fixity verification. */
#ifndef HALONG_ARCHIVE_H
#define HALONG_ARCHIVE_H

#include "common.h"
#include "store.h"
#include "search.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hl_archive hl_archive;

/* Resolves the data directory: `home` if given, else $HALONG_HOME, else "./halong-data".
 * Returns a malloc'd path. */
char *hl_archive_home(const char *home);

/* Creates the data directory layout (halong.db, blobs/, index/, keys/, halong.conf).
 * Idempotent: an existing directory is checked and upgraded, nothing is lost. */
int hl_archive_init(const char *home);

/* Opens an initialised data directory. HL_ENOTFOUND if it was never initialised. */
int hl_archive_open(hl_archive **out, const char *home);
void hl_archive_free(hl_archive *a);

hl_store *hl_archive_store(hl_archive *a);
/* The search index, opened on first use (writable). */
int hl_archive_index(hl_index **out, hl_archive *a);
const char *hl_archive_dir(hl_archive *a);

/* Applies changes the store has queued and the index does not hold yet (after a crash, or a
 * writer that could not take the index lock). Takes no lock when nothing is pending. */
int hl_archive_index_sync(uint64_t *applied, hl_archive *a, hl_progress_cb progress, void *ud);

/* Searches the archive: applies any pending index changes first (when the index lock is free),
 * then runs the query on a read-only view of the index. */
int hl_archive_search(hl_hits **out, hl_archive *a, const hl_search_opts *opts);

/* Rebuilds the search index from the store (`halong reindex`). */
int hl_archive_reindex(hl_archive *a, hl_progress_cb progress, void *ud);

typedef struct {
	hl_store_stats store;
	uint64_t index_docs;   /* documents the search index holds */
	int64_t index_pending; /* changes queued in the store and not yet in the index */
} hl_archive_stats;
int hl_archive_stats_get(hl_archive_stats *out, hl_archive *a);

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
	const char *manifest;     /* CSV path */
	const char *files_dir;    /* where `files` paths are relative to; NULL = manifest's dir */
	const char *rejects_path; /* CSV of rejected rows (+ line, column, reason); NULL = none */
	size_t batch_size;        /* rows per transaction; 0 = 1000 */
	const char *actor;        /* for the audit log; NULL = "cli" */
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

/* One problem found by verify: the blob's hash, "missing" or "corrupt", and a detail. */
typedef void (*hl_verify_cb)(const char *sha256, const char *problem, const char *detail, void *ud);
typedef struct {
	uint64_t checked, ok, missing, corrupt;
} hl_verify_result;

/* Re-hashes every blob the store knows. */
int hl_archive_verify(hl_verify_result *out, hl_archive *a, hl_verify_cb on_problem,
                      hl_progress_cb progress, void *ud);

/* ---- digitization: the OCR queue (src/lib/archive/digitize.c) ---- */

/* One page that could not be recognised: the document, the file as the manifest names it, the
 * page in that file, and why. */
typedef void (*hl_ocr_failure_cb)(const char *doc_id, const char *file, int page_no,
                                  const char *error, void *ud);

typedef struct {
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

int hl_archive_ocr_status(hl_ocr_status *out, hl_archive *a);

/* The ALTO XML of page `seq` (1-based, in the document) of a document that has been
 * recognised. HL_ENOTFOUND for an unknown document or page, HL_EINVALID for a page not done. */
int hl_archive_page_alto(char **out, hl_archive *a, const char *doc_id, int seq);

/* A searchable PDF of the document's pages (image + invisible text). Every page must be done
 * (HL_EINVALID naming the first that is not). */
int hl_archive_export_pdf(hl_archive *a, const char *doc_id, const char *out_path);

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

#ifdef __cplusplus
}
#endif
#endif
