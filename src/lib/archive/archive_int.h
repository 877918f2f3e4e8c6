/* Internals of the archive module shared by its files. */
#ifndef HL_ARCHIVE_INT_H
#define HL_ARCHIVE_INT_H

#include "halong/archive.h"
#include "search/search.h"
#include "store/store.h"

struct hl_archive {
	char *home;
	char *blobs;
	char *tmp;
	char *index_dir;
	hl_store *store;
	hl_index *index;  /* writable, opened on first write */
	hl_index *reader; /* read-only, opened on first search */
	uint64_t
	    new_blobs; /* blobs written (hl_blob_put_file, hl_archive__blob_commit) since open */
};

/* The search index, opened on first use (writable). */
int hl_archive__index(hl_index **out, hl_archive *a);

/* ---- blobs in two steps (archive.c): an ingest copies and hashes a row's files first, and
 * puts them in the blob store only once the row is accepted, so a refused row leaves nothing
 * in blobs/. ---- */

typedef struct {
	char sha256[65];
	int64_t size;
	char *tmp; /* the copy in tmp/; NULL once committed or discarded */
} hl_blob_staged;

/* Copies the open file `fd` from its start (pread) into tmp/, hashing as it goes, fsynced.
 * `name` names the file in errors. */
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
