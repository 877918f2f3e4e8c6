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
	hl_index *index;    /* writable, opened on first write */
	hl_index *reader;   /* read-only, opened on first search */
	uint64_t new_blobs; /* blobs written by hl_blob_put_file since open */
};

/* The search index, opened on first use (writable). */
int hl_archive__index(hl_index **out, hl_archive *a);

#endif
