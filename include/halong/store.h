/* The store: the schema, its migrations, transactions and every SQL statement of halong
 * (SQLite in WAL mode; a PostgreSQL backend can replace this module without touching others). */
#ifndef HALONG_STORE_H
#define HALONG_STORE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hl_store hl_store;

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
	size_t nfiles;
	hl_doc_file *files;
	/* filled by the store on read */
	int version;
	char *created_at, *updated_at;
} hl_doc;

void hl_doc_free(hl_doc *d);

/* The document as a JSON object text (malloc'd): every manifest key, "version", "created_at",
 * "updated_at" and "files" [{name, sha256, size}]. NULL when out of memory. */
char *hl_doc_json(const hl_doc *d);

/* Opens (create != 0: creates if absent) the SQLite store at `path`, in WAL mode, and applies
 * any pending forward migration. */
int hl_store_open(hl_store **out, const char *path, int create);
void hl_store_free(hl_store *st);
int hl_store_schema_version(hl_store *st);

/* One transaction per logical change. */
int hl_store_begin(hl_store *st);
int hl_store_commit(hl_store *st);
int hl_store_rollback(hl_store *st);

enum { HL_PUT_INSERTED = 1, HL_PUT_UPDATED = 2, HL_PUT_UNCHANGED = 3 };

/* Inserts or updates a document (creating its fonds and dossier as needed), inside the caller's
 * transaction. A changed document keeps its earlier version in the version history, is queued for
 * indexing and audited, all in that transaction. `d->doc_id` must be set. Writes *status.
 * HL_ECONFLICT if another document holds the same (fonds, dossier, ordinal). */
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

#ifdef __cplusplus
}
#endif
#endif
