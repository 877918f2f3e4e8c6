/* Internals of the archive module shared by its files. */
#ifndef HL_ARCHIVE_INT_H
#define HL_ARCHIVE_INT_H

#include "halong/archive.h"
#include "halong/ocr.h"
#include "halong/units.h"
#include "search/search.h"
#include "store/store.h"

/* What a kept answer is valid for: the store's change stamp and the day (custody, so the unit
 * facet and every scope, depends on the date). */
typedef struct {
	int64_t dv, own;
	char day[11];
} hl_archive__stamp;

/* A query's counts and facets, kept by the handle so that the next page of the same query,
 * seen by the same eyes, is not counted again. key NULL: an empty way. */
typedef struct {
	char *key;
	uint32_t hash;
	hl_archive__stamp at;
	uint64_t used; /* the handle's search count when last used */
	uint64_t count, estimate;
	int exact;
	hl_facet fonds, type, year, unit;
} hl_archive__counts;

#define HL_ARCHIVE__COUNT_SETS 32
#define HL_ARCHIVE__COUNT_WAYS 4

struct hl_archive {
	char *home;
	char *blobs;
	char *tmp;
	char *index_dir;
	hl_store *store;
	hl_index *index;    /* writable, opened on first write */
	hl_index *reader;   /* read-only, opened on first search */
	uint64_t new_blobs; /* blobs written (hl_blob_put_file, hl_archive__blob_commit) */
	/* kept between searches (search.c) */
	hl_custodies *custody; /* every fonds' custody, for the unit facet */
	hl_archive__stamp custody_at;
	hl_archive__counts counts[HL_ARCHIVE__COUNT_SETS * HL_ARCHIVE__COUNT_WAYS];
	uint64_t tick;
};

/* The search index, opened on first use (writable). */
int hl_archive__index(hl_index **out, hl_archive *a);

void hl_archive__counts_clear(hl_archive__counts *c);

/* May `who` describe fonds `code` (HL_ACT_DESCRIBE, and the fonds its unit holds today unless
 * it is the province's; fonds.c)? 0, HL_EDENIED, or HL_ENOTFOUND "unknown fonds CODE" for a
 * missing fonds and for one it may not see alike. */
int hl_archive__fonds_writable(hl_archive *a, const hl_principal *who, const char *code);

/* A principal reading the archive, with the fonds its unit holds (loaded on first need). */
typedef struct {
	hl_archive *a;
	const hl_principal *who;
	int loaded, all;
	char **codes;
	size_t n;
} hl_archive__reader;

void hl_archive__reader_init(hl_archive__reader *r, hl_archive *a, const hl_principal *who);
/* Loads the scope: 0 or an error. */
int hl_archive__reader_scope(hl_archive__reader *r);
/* May the reader see a record of this level in this fonds (docs/api.md)? 1 yes, 0 no (also when
 * the scope cannot be read: refusing is the safe answer). */
int hl_archive__reader_may_see(hl_archive__reader *r, hl_access level, const char *fonds);
void hl_archive__reader_clear(hl_archive__reader *r);

/* The document `doc_id` if the reader may see it, else HL_ENOTFOUND "no document ID" (the same
 * answer for a missing one: existence does not leak). */
int hl_archive__doc_for(hl_doc **out, hl_archive__reader *r, const char *doc_id);

/* One read of a document's content by a principal: the decision, the reading and its audit
 * entry together. read_begin gives op->d when the reader may see it (else HL_ENOTFOUND, the
 * same as a missing one); a restricted or secret record is then read inside a write
 * transaction that read_end commits with the entry "read DOC WHAT" (rc < 0: rolled back), so
 * that what is read and its entry are one. Anything else is read as it is, without an entry,
 * unless the read shows restricted content of another kind (an earlier version): read_in_tx
 * then moves it into the transaction (op->d read again there) and op->audit asks read_end for
 * the entry. read_drop frees op->d (read_end leaves it to the caller). */
typedef struct {
	hl_archive__reader r;
	hl_doc *d;
	int tx, audit;
} hl_archive__read;

int hl_archive__read_begin(hl_archive__read *op, hl_archive *a, const hl_principal *who,
                           const char *doc_id);
int hl_archive__read_in_tx(hl_archive__read *op, const char *doc_id);
int hl_archive__read_end(hl_archive__read *op, int rc, const char *what);
void hl_archive__read_drop(hl_archive__read *op);

/* ---- the review rule's findings kept with a page (pagetext.c) ---- */

/* The check of a page's text (with the machine's words when they are the text's: NULL, 0 for a
 * person's text or a text layer), for the store: *words (malloc'd, the caller frees it) holds
 * out->words. */
int hl_archive__page_check(hl_store_page_check *out, char **words, const char *text,
                           const hl_ocr_word *w, size_t n);
/* Checks at most max done pages not checked under today's rule, a batch a transaction;
 * *left (may be NULL) how many are still waiting. */
int hl_archive__recheck(hl_archive *a, size_t max, uint64_t *left);

/* ---- blobs in two steps (archive.c): an ingest copies and hashes a row's files first, and
 * puts them in the blob store only once the row is accepted, so a refused row leaves nothing
 * in blobs/. ---- */

typedef struct {
	char sha256[65];
	int64_t size;
	char *tmp; /* the copy in tmp/; NULL once committed or discarded */
} hl_blob_staged;

/* Copies the open file `fd` from its start (pread) into tmp/, hashing as it goes, fsynced.
 * `name` names the file in errors. When it fails because the data directory's disk is full
 * (ENOSPC, EDQUOT), hl_archive__disk_full is set (this thread's), else cleared. */
extern _Thread_local int hl_archive__disk_full;
int hl_archive__blob_stage(hl_blob_staged *out, hl_archive *a, int fd, const char *name);
/* Renames the copy to its blob's name (or drops it when the blob exists) and syncs the folder:
 * durable before the caller's transaction commits. */
int hl_archive__blob_commit(hl_archive *a, hl_blob_staged *s);
/* Removes the copy; NULL and a committed one are fine. */
void hl_archive__blob_discard(hl_blob_staged *s);
/* 1 and *pid when `name` (in tmp/) is a blob's temporary copy, else 0. */
int hl_archive__blob_tmp_pid(long *pid, const char *name);
/* Non-zero when no process `pid` runs any more. */
int hl_archive__pid_gone(long pid);
/* Removes the temporary copies of processes that are gone; returns how many. */
int hl_archive__blob_tmp_sweep(hl_archive *a);

#endif
