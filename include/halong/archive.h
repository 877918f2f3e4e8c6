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
	hl_progress_cb progress;
	hl_reject_cb on_reject;
	void *ud;
} hl_ingest_opts;

typedef struct {
	uint64_t rows, inserted, updated, unchanged, rejected;
	uint64_t files, new_blobs, bytes;
	uint64_t indexed;
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

#ifdef __cplusplus
}
#endif
#endif
