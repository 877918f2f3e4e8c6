/* The store's online copy for backups: sqlite3_backup_init/step/finish from the live connection
 * into a new file. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store/store_backup.h"
#include "store_int.h"

/* Every page in one step: one read transaction, which in WAL mode does not block the node's
 * writers. Steps of a few pages would let a write by another connection between two steps
 * restart the copy from the start, which a long ingest could do again and again. */
#define STEP_PAGES -1

static int dest_error(sqlite3 *d, const char *dest, const char *what)
{
	int rc = sqlite3_errcode(d);
	int code = rc == SQLITE_NOMEM ? HL_ENOMEM : rc == SQLITE_BUSY ? HL_ECONFLICT : HL_EIO;
	return hl_error_set(code, "%s: %s: %s", dest, what, sqlite3_errmsg(d));
}

int hl_store_backup_to(hl_store *st, const char *dest, hl_progress_cb progress, void *ud)
{
	sqlite3 *d = NULL;
	sqlite3_backup *b = NULL;
	int rc = -1, s, busy = 0;

	if (access(dest, F_OK) == 0)
		return hl_error_set(HL_ECONFLICT, "%s exists", dest);
	if (sqlite3_open_v2(dest, &d, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		rc = d ? dest_error(d, dest, "cannot create")
		       : hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	if (!(b = sqlite3_backup_init(d, "main", st->db, "main"))) {
		rc = dest_error(d, dest, "cannot start the copy");
		goto done;
	}
	for (;;) {
		s = sqlite3_backup_step(b, STEP_PAGES);
		if (progress) {
			int total = sqlite3_backup_pagecount(b);
			int left = sqlite3_backup_remaining(b);
			if (progress("store", (uint64_t)(total - left), (uint64_t)total, ud) != 0) {
				rc = hl_error_set(HL_ERROR, "interrupted");
				goto done;
			}
		}
		if (s == SQLITE_DONE)
			break;
		if (s == SQLITE_BUSY || s == SQLITE_LOCKED) {
			/* A writer holds the source for a moment: wait and step again, for at most
			 * about a minute of waiting in all. */
			if (++busy > 600) {
				rc = hl_error_set(HL_ECONFLICT, "%s: the store stayed busy",
				                  st->path);
				goto done;
			}
			sqlite3_sleep(100);
			continue;
		}
		if (s != SQLITE_OK) {
			rc = hl_error_set(s == SQLITE_NOMEM ? HL_ENOMEM : HL_EIO,
			                  "%s: copy to %s: %s", st->path, dest, sqlite3_errstr(s));
			goto done;
		}
	}
	s = sqlite3_backup_finish(b);
	b = NULL;
	if (s != SQLITE_OK) {
		rc = dest_error(d, dest, "copy");
		goto done;
	}
	/* One file, no -wal beside it: what is hashed is the whole store. */
	if (sqlite3_exec(d, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK) {
		rc = dest_error(d, dest, "journal mode");
		goto done;
	}
	rc = 0;
done:
	if (b)
		sqlite3_backup_finish(b);
	if (d && sqlite3_close(d) != SQLITE_OK && rc == 0)
		rc = hl_error_set(HL_EIO, "%s: cannot close", dest);
	if (rc < 0)
		unlink(dest);
	return rc;
}

int hl_store_backup_read(int *schema, int64_t *documents, const char *path, hl_blob_cb cb, void *ud)
{
	sqlite3 *d = NULL;
	sqlite3_stmt *s = NULL;
	int rc = -1, r;

	if (sqlite3_open_v2(path, &d, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rc = d ? dest_error(d, path, "cannot open")
		       : hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	if (sqlite3_prepare_v2(d, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		rc = dest_error(d, path, "schema version");
		goto done;
	}
	*schema = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(d, "SELECT count(*) FROM document", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		rc = dest_error(d, path, "count documents");
		goto done;
	}
	*documents = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(d, "SELECT sha256, size FROM blob ORDER BY sha256", -1, &s, NULL) !=
	    SQLITE_OK) {
		rc = dest_error(d, path, "read blobs");
		goto done;
	}
	while ((r = sqlite3_step(s)) == SQLITE_ROW)
		if ((rc = cb((const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1),
		             ud)) != 0)
			goto done;
	if (r != SQLITE_DONE) {
		rc = dest_error(d, path, "read blobs");
		goto done;
	}
	rc = 0;
done:
	sqlite3_finalize(s);
	sqlite3_close(d);
	return rc;
}

/* A connection in WAL mode keeps a shared lock on the database file as long as it is open;
 * asking for EXCLUSIVE locking mode, without waiting, fails while any other process (a running
 * `halong serve`, an ingest) has the store open. The probe's own connection reads nothing. */
int hl_store_in_use(int *busy, const char *path)
{
	sqlite3 *d = NULL;
	int rc = -1, s;

	if (access(path, F_OK) != 0) {
		*busy = 0;
		return 0;
	}
	if (sqlite3_open_v2(path, &d, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		rc = d ? dest_error(d, path, "cannot open")
		       : hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	sqlite3_busy_timeout(d, 0);
	if (sqlite3_exec(d, "PRAGMA locking_mode=EXCLUSIVE", NULL, NULL, NULL) != SQLITE_OK) {
		rc = dest_error(d, path, "locking mode");
		goto done;
	}
	s = sqlite3_exec(d, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
	if (s == SQLITE_BUSY || s == SQLITE_LOCKED) {
		*busy = 1;
	} else if (s != SQLITE_OK) {
		rc = dest_error(d, path, "cannot read");
		goto done;
	} else {
		*busy = 0;
	}
	rc = 0;
done:
	sqlite3_close(d);
	return rc;
}
