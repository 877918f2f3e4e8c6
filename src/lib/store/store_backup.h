/* The store's online copy for backups (SQLite's backup API; the rules in src/lib/ops/backup.c,
 * its only caller). */
#ifndef HALONG_STORE_BACKUP_H
#define HALONG_STORE_BACKUP_H

#include "store/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Copies the whole store into a new SQLite file at `dest` (which must not exist) while other
 * connections keep reading and writing: SQLite's online backup, every page in one step, inside one
 * read transaction that WAL lets writers work beside, so the copy is one committed state. The copy
 * is left in rollback-journal mode, one self-contained file (hl_store_open sets WAL again on
 * restore). progress(what "store", pages done, pages total) may be NULL. */
int hl_store_backup_to(hl_store *st, const char *dest, hl_progress_cb progress, void *ud);

/* Reads a copy made by hl_store_backup_to, read-only (the file is not changed: it is hashed
 * after): its schema version, its documents, and each blob it records, by hash. */
int hl_store_backup_read(int *schema, int64_t *documents, const char *path, hl_blob_cb cb,
                         void *ud);

/* *busy = 1 when another process has the store at `path` open (it holds SQLite's shared lock on
 * it), 0 when none has or the file does not exist. Nothing is read or written. */
int hl_store_in_use(int *busy, const char *path);

#ifdef __cplusplus
}
#endif

#endif
