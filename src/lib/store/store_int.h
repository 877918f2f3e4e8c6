/* Internals of the SQLite store shared by its files. */
#ifndef HL_STORE_INT_H
#define HL_STORE_INT_H

#include <sqlite3.h>
#include <stdio.h>

#include "store/store.h"

#define HL_STORE_XQ 48

/* Prepared statements, kept for the life of the connection. */
enum {
	Q_FONDS_GET,
	Q_FONDS_ADD,
	Q_DOSSIER_GET,
	Q_DOSSIER_ADD,
	Q_DOSSIER_TITLE,
	Q_SERIES_PUT,
	Q_DOSSIER_SERIES,
	Q_DOC_HEAD,
	Q_ORDINAL_OWNER,
	Q_DOC_INSERT,
	Q_DOC_UPDATE,
	Q_VERSION_ADD,
	Q_FILES_DEL,
	Q_FILE_ADD,
	Q_QUEUE_ADD,
	Q_AUDIT_ADD,
	Q_AUDIT_LAST,
	Q_BLOB_ADD,
	Q_DOC_BY_ID,
	Q_DOC_BY_ROWID,
	Q_FILES_OF,
	Q_QUEUE_SINCE,
	Q_DATA_VERSION,
	Q__COUNT
};

struct hl_store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *q[Q__COUNT];
	int in_tx;
	/* last fonds and dossier resolved: consecutive rows usually share them */
	char *last_fonds_code;
	int64_t last_fonds_id;
	char *last_dossier_code;
	int64_t last_dossier_id;
	/* statements of other files kept for the connection's life (hl_store__cached) */
	const char *xq_sql[HL_STORE_XQ];
	sqlite3_stmt *xq[HL_STORE_XQ];
};

/* A statement kept for the connection's life, found by the address of its SQL (a string
 * literal): prepared once (SQLITE_PREPARE_PERSISTENT), then reset and reused. A fresh one when
 * the kept one is running (a caller up the stack) or the table is full. NULL with the error set.
 * Give it back with hl_store__release (reset, bindings cleared; finalized if not kept). */
sqlite3_stmt *hl_store__cached(hl_store *st, const char *sql);
void hl_store__release(hl_store *st, sqlite3_stmt *s);

/* Forgets the fonds and dossier ids remembered (dossier_id): after anything that may have undone
 * the rows they name — a rollback, a ROLLBACK TO a savepoint — another connection may take the
 * same row ids for other rows. */
void hl_store__forget_ids(hl_store *st);

int hl_store__migrate(hl_store *st);
/* The columns of a document in a listing, in hl_store__row_to_doc's order: its metadata only.
 * Notes, typed text and page text are content (a read of a restricted record's content is
 * audited, a listing is not): NULL. */
#define HL_STORE_DOC_META_COLS                                                                     \
	"d.id, d.doc_id, f.code, s.code, d.ordinal, d.doc_number, d.doc_notation, d.issued_date,"  \
	" d.doc_type, d.issuer, d.subject, d.language, d.page_count, d.keywords, d.access,"        \
	" d.confidence, d.retention, d.physical_state, NULL, NULL, d.version,"                     \
	" d.created_at, d.updated_at, NULL"
/* A row of a document's columns as an hl_doc (NULL: out of memory). */
hl_doc *hl_store__row_to_doc(sqlite3_stmt *s);
/* Fills the connection's temp.scope_fonds with the scope's fonds codes (browse.c). */
int hl_store__scope_table(hl_store *st, char *const *scope, size_t n);
/* A caller's level with secret taken out. */
int hl_store__cap_level(int max_level);
/* The visibility rule as SQL over document d and fonds f, binding ?1 (level) and ?2 (all). */
#define HL_STORE_VISIBLE                                                                           \
	" (d.access = 0 OR (d.access <= ?1 AND (?2 OR f.code IN"                                   \
	" (SELECT code FROM temp.scope_fonds))))"
/* Turns the connection's last SQLite error into an HL_E code and message. */
int hl_store__error(hl_store *st, const char *what);

/* A statement for one call (the caller finalizes it), or NULL with the error set; the
 * statements run often are kept instead (hl_store__cached, the Q_* of store.c). */
sqlite3_stmt *hl_store__prepare(hl_store *st, const char *sql);

/* A text column, or NULL for SQL NULL. */
static inline const char *hl_store__col(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/* Binds text that lives until the statement is stepped; NULL and "" both as SQL NULL. */
static inline void hl_store__bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v && *v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

#endif
