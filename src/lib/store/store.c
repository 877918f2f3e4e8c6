/* The SQLite store: connection, transactions, and every statement of the archive's records. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "store/store_auth.h"
#include "halong/util.h"
#include "store_int.h"

#define DOC_COLS                                                                                   \
	"d.id, d.doc_id, f.code, s.code, d.ordinal, d.doc_number, d.doc_notation, d.issued_date,"  \
	" d.doc_type, d.issuer, d.subject, d.language, d.page_count, d.keywords, d.access,"        \
	" d.confidence, d.retention, d.physical_state, d.notes, d.text, d.version,"                \
	" d.created_at, d.updated_at,"                                                             \
	" (SELECT group_concat(text, char(10, 12, 10)) FROM (SELECT text FROM page p"              \
	"   WHERE p.document_id = d.id AND p.state = 'done' AND p.text <> ''"                      \
	"   ORDER BY p.file_seq, p.page_no))"
#define DOC_FROM                                                                                   \
	" FROM document d JOIN dossier s ON s.id = d.dossier_id JOIN fonds f ON f.id = s.fonds_id"

static const char *const sql[Q__COUNT] = {
    [Q_FONDS_GET] = "SELECT id FROM fonds WHERE code = ?1",
    [Q_FONDS_ADD] = "INSERT INTO fonds(code, created_at) VALUES (?1, ?2)",
    [Q_DOSSIER_GET] = "SELECT id FROM dossier WHERE fonds_id = ?1 AND code = ?2",
    [Q_DOSSIER_ADD] = "INSERT INTO dossier(fonds_id, code, created_at) VALUES (?1, ?2, ?3)",
    [Q_DOSSIER_TITLE] = "UPDATE dossier SET title = ?2 WHERE id = ?1 AND title IS NOT ?2",
    /* a series a manifest row names: made when new (titled with its code when the row gives
     * no title), retitled when the row gives one */
    [Q_SERIES_PUT] =
        "INSERT INTO series(fonds_id, code, title, created_at)"
        " VALUES (?1, ?2, coalesce(?3, ?2), ?4) ON CONFLICT (fonds_id, code)"
        " DO UPDATE SET title = coalesce(?3, title) WHERE title IS NOT coalesce(?3, title)",
    [Q_DOSSIER_SERIES] = "UPDATE dossier SET series_id = (SELECT id FROM series WHERE fonds_id = ?2"
                         " AND code = ?3) WHERE id = ?1",
    [Q_DOC_HEAD] = "SELECT id, content_hash, version FROM document WHERE doc_id = ?1",
    [Q_ORDINAL_OWNER] = "SELECT doc_id FROM document WHERE dossier_id = ?1 AND ordinal = ?2",
    [Q_DOC_INSERT] =
        "INSERT INTO document(doc_id, dossier_id, ordinal, doc_number, doc_notation,"
        " issued_date, doc_type, issuer, subject, language, page_count, keywords, access,"
        " confidence, retention, physical_state, notes, text, content_hash, version,"
        " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
        " ?13, ?14, ?15, ?16, ?17, ?18, ?19, 1, ?20, ?20)",
    [Q_DOC_UPDATE] =
        "UPDATE document SET dossier_id = ?2, ordinal = ?3, doc_number = ?4,"
        " doc_notation = ?5, issued_date = ?6, doc_type = ?7, issuer = ?8, subject = ?9,"
        " language = ?10, page_count = ?11, keywords = ?12, access = ?13, confidence = ?14,"
        " retention = ?15, physical_state = ?16, notes = ?17, text = ?18,"
        " content_hash = ?19, version = version + 1, updated_at = ?20 WHERE doc_id = ?1",
    [Q_VERSION_ADD] = "INSERT INTO document_version(document_id, version, replaced_at, data)"
                      " VALUES (?1, ?2, ?3, ?4)",
    [Q_FILES_DEL] = "DELETE FROM document_file WHERE document_id = ?1",
    [Q_FILE_ADD] = "INSERT INTO document_file(document_id, seq, name, sha256, size)"
                   " VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_QUEUE_ADD] = "INSERT INTO index_queue(document_id) VALUES (?1)",
    [Q_AUDIT_ADD] = "INSERT INTO audit(id, at, actor, action, object, detail, prev_hash, hash)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [Q_AUDIT_LAST] = "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
    [Q_BLOB_ADD] = "INSERT OR IGNORE INTO blob(sha256, size, created_at) VALUES (?1, ?2, ?3)",
    [Q_DOC_BY_ID] = "SELECT " DOC_COLS DOC_FROM " WHERE d.doc_id = ?1",
    [Q_DOC_BY_ROWID] = "SELECT " DOC_COLS DOC_FROM " WHERE d.id = ?1",
    [Q_FILES_OF] = "SELECT name, sha256, size FROM document_file WHERE document_id = ?1"
                   " ORDER BY seq",
    [Q_DATA_VERSION] = "PRAGMA data_version",
    [Q_QUEUE_SINCE] = "SELECT seq, document_id FROM index_queue WHERE seq > ?1 ORDER BY seq"
                      " LIMIT ?2",
};

int hl_store__error(hl_store *st, const char *what)
{
	int rc = sqlite3_errcode(st->db);
	int code = HL_ERROR;

	/* Some errors (a full disk, an I/O error) end the transaction by themselves: the ids
	 * remembered in it may have gone with it. */
	if (st->in_tx && sqlite3_get_autocommit(st->db))
		hl_store__forget_ids(st);

	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		code = HL_ECONFLICT;
	else if (rc == SQLITE_CONSTRAINT)
		code = HL_ECONFLICT;
	else if (rc == SQLITE_IOERR || rc == SQLITE_FULL || rc == SQLITE_CANTOPEN ||
	         rc == SQLITE_READONLY)
		code = HL_EIO;
	else if (rc == SQLITE_NOMEM)
		code = HL_ENOMEM;
	/* SQLite says "disk I/O error" when the disk fills while it grows its shared-memory
	 * file or the WAL: the person reading must learn that the disk is full */
	if (rc != SQLITE_FULL && sqlite3_system_errno(st->db) == ENOSPC)
		return hl_error_set(code, "%s: %s: %s (the disk is full)", st->path, what,
		                    sqlite3_errmsg(st->db));
	return hl_error_set(code, "%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

sqlite3_stmt *hl_store__prepare(hl_store *st, const char *text)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(st->db, text, -1, &s, NULL) != SQLITE_OK) {
		hl_store__error(st, "prepare");
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

static sqlite3_stmt *stmt(hl_store *st, int which)
{
	sqlite3_stmt *s = st->q[which];
	if (!s) {
		if (sqlite3_prepare_v3(st->db, sql[which], -1, SQLITE_PREPARE_PERSISTENT, &s,
		                       NULL) != SQLITE_OK) {
			hl_store__error(st, "prepare");
			return NULL;
		}
		st->q[which] = s;
	} else {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
	return s;
}

sqlite3_stmt *hl_store__cached(hl_store *st, const char *text)
{
	sqlite3_stmt *s = NULL;
	size_t i = 0;
	for (; i < HL_STORE_XQ && st->xq_sql[i]; i++)
		if (st->xq_sql[i] == text) {
			if (!sqlite3_stmt_busy(st->xq[i]))
				return st->xq[i];
			i = HL_STORE_XQ; /* running up the stack: a fresh one, not kept */
			break;
		}
	if (sqlite3_prepare_v3(st->db, text, -1, i < HL_STORE_XQ ? SQLITE_PREPARE_PERSISTENT : 0,
	                       &s, NULL) != SQLITE_OK) {
		hl_store__error(st, "prepare");
		sqlite3_finalize(s);
		return NULL;
	}
	if (i < HL_STORE_XQ) {
		st->xq_sql[i] = text;
		st->xq[i] = s;
	}
	return s;
}

void hl_store__release(hl_store *st, sqlite3_stmt *s)
{
	for (size_t i = 0; i < HL_STORE_XQ && st->xq_sql[i]; i++)
		if (st->xq[i] == s) {
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			return;
		}
	sqlite3_finalize(s);
}

int hl_store_open(hl_store **out, const char *path, int create)
{
	hl_store *st = calloc(1, sizeof(*st));
	int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);

	if (!st)
		return hl_error_set(HL_ENOMEM, "out of memory");
	st->path = hl_strdup(path);
	if (!create && !hl_file_exists(path)) {
		hl_store_free(st);
		return hl_error_set(HL_ENOTFOUND, "%s: no store here (run `halong init`)", path);
	}
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		int rc =
		    st->db ? hl_store__error(st, "open") : hl_error_set(HL_ENOMEM, "out of memory");
		hl_store_free(st);
		return rc == HL_ERROR ? HL_EIO : rc;
	}
	sqlite3_busy_timeout(st->db, 10000);
	sqlite3_extended_result_codes(st->db, 0);
	/* WAL: readers never block the writer. synchronous=NORMAL is durable against a crash of
	 * the process (kill -9); a power cut may lose the last transactions, never consistency. */
	const char *setup = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
	                    " PRAGMA foreign_keys = ON; PRAGMA cache_size = -16000;"
	                    " PRAGMA temp_store = MEMORY;";
	if (sqlite3_exec(st->db, setup, NULL, NULL, NULL) != SQLITE_OK ||
	    hl_store__migrate(st) < 0) {
		int rc = hl_error_code() ? hl_error_code() : hl_store__error(st, "setup");
		if (!hl_error_code())
			hl_store__error(st, "setup");
		hl_store_free(st);
		return rc;
	}
	*out = st;
	return 0;
}

void hl_store_free(hl_store *st)
{
	if (!st)
		return;
	for (int i = 0; i < Q__COUNT; i++)
		sqlite3_finalize(st->q[i]);
	for (int i = 0; i < HL_STORE_XQ; i++)
		sqlite3_finalize(st->xq[i]);
	if (st->in_tx)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(st->db);
	free(st->path);
	free(st->last_fonds_code);
	free(st->last_dossier_code);
	free(st);
}

int hl_store_schema_version(hl_store *st)
{
	sqlite3_stmt *s;
	int v = -1;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return hl_store__error(st, "schema version");
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

int hl_store_change_stamp(int64_t *data_version, int64_t *own_changes, hl_store *st)
{
	sqlite3_stmt *s = stmt(st, Q_DATA_VERSION);
	if (!s)
		return -1;
	if (sqlite3_step(s) != SQLITE_ROW) {
		int rc = hl_store__error(st, "data version");
		sqlite3_reset(s);
		return rc;
	}
	*data_version = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	*own_changes = sqlite3_total_changes64(st->db);
	return 0;
}

void hl_store__forget_ids(hl_store *st)
{
	free(st->last_fonds_code);
	free(st->last_dossier_code);
	st->last_fonds_code = st->last_dossier_code = NULL;
}

int hl_store_begin(hl_store *st)
{
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return hl_store__error(st, "begin");
	st->in_tx = 1;
	return 0;
}

int hl_store_commit(hl_store *st)
{
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		int rc = hl_store__error(st, "commit");
		hl_store_rollback(st);
		return rc;
	}
	st->in_tx = 0;
	return 0;
}

int hl_store_rollback(hl_store *st)
{
	/* Ids cached during the transaction may have been rolled back with it. */
	hl_store__forget_ids(st);
	st->in_tx = 0;
	if (sqlite3_get_autocommit(st->db))
		return 0;
	if (sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		return hl_store__error(st, "rollback");
	return 0;
}

int hl_store_write_probe(hl_store *st)
{
	int rc;
	if (st->in_tx || !sqlite3_get_autocommit(st->db))
		return hl_error_set(HL_ECONFLICT, "the store is inside a transaction");
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return hl_store__error(st, "begin a write");
	/* A real write (BEGIN IMMEDIATE alone succeeds on a read-only file): a page of the schema
	 * is changed, then nothing of it kept. */
	rc = sqlite3_exec(st->db, "CREATE TABLE main.hl_write_probe(x)", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		rc = hl_store__error(st, "write");
	else
		rc = 0;
	if (sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK && rc == 0)
		rc = hl_store__error(st, "roll back a write");
	return rc;
}

/* ---- documents ---- */

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* The document as JSON: the manifest's keys and its files; with_meta adds version and times. */
static char *doc_json(const hl_doc *d, int with_meta)
{
	json_t *o = json_object(), *files = json_array();
	char *s;

	json_object_set_new(o, "doc_id", jstr(d->doc_id));
	json_object_set_new(o, "fonds_code", jstr(d->fonds_code));
	json_object_set_new(o, "dossier_code", jstr(d->dossier_code));
	json_object_set_new(o, "doc_ordinal", json_integer(d->ordinal));
	json_object_set_new(o, "doc_number", jstr(d->doc_number));
	json_object_set_new(o, "doc_notation", jstr(d->doc_notation));
	json_object_set_new(o, "issued_date", jstr(d->issued_date));
	json_object_set_new(o, "doc_type", jstr(d->doc_type));
	json_object_set_new(o, "issuer", jstr(d->issuer));
	json_object_set_new(o, "subject", jstr(d->subject));
	json_object_set_new(o, "language", jstr(d->language));
	json_object_set_new(o, "page_count",
	                    d->page_count >= 0 ? json_integer(d->page_count) : json_null());
	json_object_set_new(o, "keywords", jstr(d->keywords));
	json_object_set_new(o, "access_level", json_string(hl_access_name(d->access)));
	json_object_set_new(o, "confidence", jstr(d->confidence));
	json_object_set_new(o, "retention", jstr(d->retention));
	json_object_set_new(o, "physical_state", jstr(d->physical_state));
	json_object_set_new(o, "notes", jstr(d->notes));
	json_object_set_new(o, "text", jstr(d->text));
	if (with_meta) {
		json_object_set_new(o, "version", json_integer(d->version));
		json_object_set_new(o, "created_at", jstr(d->created_at));
		json_object_set_new(o, "updated_at", jstr(d->updated_at));
	}
	for (size_t i = 0; i < d->nfiles; i++) {
		json_t *f = json_object();
		json_object_set_new(f, "name", jstr(d->files[i].name));
		json_object_set_new(f, "sha256", json_string(d->files[i].sha256));
		json_object_set_new(f, "size", json_integer(d->files[i].size));
		json_array_append_new(files, f);
	}
	json_object_set_new(o, "files", files);
	s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT);
	json_decref(o);
	return s;
}

char *hl_doc_json(const hl_doc *d)
{
	return doc_json(d, 1);
}

static void hash_str(crypto_hash_sha256_state *h, const char *v)
{
	/* A tag byte tells NULL from "" so that no two documents share a hash by accident. */
	unsigned char tag = v ? 1 : 0;
	crypto_hash_sha256_update(h, &tag, 1);
	if (v)
		crypto_hash_sha256_update(h, (const unsigned char *)v, strlen(v) + 1);
}

static void hash_int(crypto_hash_sha256_state *h, int64_t v)
{
	char b[24];
	hash_str(h, (snprintf(b, sizeof(b), "%lld", (long long)v), b));
}

/* The content hash: every field of the metadata, the text and the files, in a fixed order.
 * Changing what it covers changes every hash: a re-ingest would see every document as
 * changed, so it only ever grows with a schema migration. */
static void doc_hash(char hex[65], const hl_doc *d)
{
	crypto_hash_sha256_state h;
	unsigned char md[crypto_hash_sha256_BYTES];
	const char *strs[] = {d->doc_id,       d->fonds_code,     d->dossier_code, d->doc_number,
	                      d->doc_notation, d->issued_date,    d->doc_type,     d->issuer,
	                      d->subject,      d->language,       d->keywords,     d->confidence,
	                      d->retention,    d->physical_state, d->notes,        d->text};
	crypto_hash_sha256_init(&h);
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		hash_str(&h, strs[i]);
	hash_int(&h, d->ordinal);
	hash_int(&h, d->page_count);
	hash_int(&h, d->access);
	hash_int(&h, (int64_t)d->nfiles);
	for (size_t i = 0; i < d->nfiles; i++) {
		hash_str(&h, d->files[i].name);
		hash_str(&h, d->files[i].sha256);
		hash_int(&h, d->files[i].size);
	}
	crypto_hash_sha256_final(&h, md);
	sodium_bin2hex(hex, 65, md, sizeof(md));
}

static int step_done(hl_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return hl_store__error(st, what);
	return 0;
}

/* Finds or creates a row keyed by code: `get` binds (parent?, code), `add` adds created_at. */
static int resolve(int64_t *out, hl_store *st, int get, int add, int64_t parent, const char *code)
{
	sqlite3_stmt *s = stmt(st, get);
	int base = parent ? 2 : 1;
	char now[32];

	if (!s)
		return -1;
	if (parent)
		sqlite3_bind_int64(s, 1, parent);
	sqlite3_bind_text(s, base, code, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		return 0;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return hl_store__error(st, "lookup");
	if (!(s = stmt(st, add)))
		return -1;
	hl_now_utc(now);
	if (parent)
		sqlite3_bind_int64(s, 1, parent);
	sqlite3_bind_text(s, base, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, base + 1, now, -1, SQLITE_TRANSIENT);
	if (step_done(st, s, "insert") < 0)
		return -1;
	*out = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static int dossier_id(int64_t *out, hl_store *st, const char *fonds, const char *dossier)
{
	if (!st->last_fonds_code || strcmp(st->last_fonds_code, fonds)) {
		hl_store__forget_ids(st);
		if (resolve(&st->last_fonds_id, st, Q_FONDS_GET, Q_FONDS_ADD, 0, fonds) < 0)
			return -1;
		st->last_fonds_code = hl_strdup(fonds);
	}
	if (!st->last_dossier_code || strcmp(st->last_dossier_code, dossier)) {
		free(st->last_dossier_code);
		st->last_dossier_code = NULL;
		if (resolve(&st->last_dossier_id, st, Q_DOSSIER_GET, Q_DOSSIER_ADD,
		            st->last_fonds_id, dossier) < 0)
			return -1;
		st->last_dossier_code = hl_strdup(dossier);
	}
	*out = st->last_dossier_id;
	return 0;
}

static void bind_doc(sqlite3_stmt *s, const hl_doc *d, int64_t dossier, const char *hash,
                     const char *now)
{
	sqlite3_bind_text(s, 1, d->doc_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, dossier);
	sqlite3_bind_int64(s, 3, d->ordinal);
	hl_store__bind_text(s, 4, d->doc_number);
	hl_store__bind_text(s, 5, d->doc_notation);
	hl_store__bind_text(s, 6, d->issued_date);
	hl_store__bind_text(s, 7, d->doc_type);
	hl_store__bind_text(s, 8, d->issuer);
	hl_store__bind_text(s, 9, d->subject ? d->subject : "");
	hl_store__bind_text(s, 10, d->language);
	if (d->page_count >= 0)
		sqlite3_bind_int64(s, 11, d->page_count);
	hl_store__bind_text(s, 12, d->keywords);
	sqlite3_bind_int(s, 13, (int)d->access);
	hl_store__bind_text(s, 14, d->confidence);
	hl_store__bind_text(s, 15, d->retention);
	hl_store__bind_text(s, 16, d->physical_state);
	hl_store__bind_text(s, 17, d->notes);
	hl_store__bind_text(s, 18, d->text);
	sqlite3_bind_text(s, 19, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 20, now, -1, SQLITE_STATIC);
}

static int put_files(hl_store *st, int64_t rowid, const hl_doc *d)
{
	sqlite3_stmt *s = stmt(st, Q_FILES_DEL);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, rowid);
	if (step_done(st, s, "delete files") < 0)
		return -1;
	for (size_t i = 0; i < d->nfiles; i++) {
		/* The blob is recorded with the first document that points to it, in its
		 * transaction: a row refused before this records none. */
		if (hl_store_blob_add(st, d->files[i].sha256, d->files[i].size) < 0)
			return -1;
		if (!(s = stmt(st, Q_FILE_ADD)))
			return -1;
		sqlite3_bind_int64(s, 1, rowid);
		sqlite3_bind_int64(s, 2, (int64_t)i + 1);
		sqlite3_bind_text(s, 3, d->files[i].name ? d->files[i].name : "", -1,
		                  SQLITE_STATIC);
		sqlite3_bind_text(s, 4, d->files[i].sha256, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 5, d->files[i].size);
		if (step_done(st, s, "insert file") < 0)
			return -1;
	}
	return 0;
}

static int queue(hl_store *st, int64_t rowid)
{
	sqlite3_stmt *s = stmt(st, Q_QUEUE_ADD);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, rowid);
	return step_done(st, s, "queue for indexing");
}

int hl_store_doc_put(int *status, hl_store *st, const hl_doc *d, const char *actor)
{
	sqlite3_stmt *s;
	char hash[65], now[32];
	int64_t dossier, rowid = 0;
	int version = 0, rc = -1, exists = 0;

	*status = 0;
	if (!d->doc_id || !*d->doc_id || !d->fonds_code || !d->dossier_code)
		return hl_error_set(HL_EINVALID, "document without doc_id, fonds or dossier");
	doc_hash(hash, d);
	hl_now_utc(now);
	/* The dossier's title the row gives (a manifest's dossier_title), whatever becomes of the
	 * document itself: the last row to name one sets it. */
	if (d->dossier_title && *d->dossier_title) {
		if (dossier_id(&dossier, st, d->fonds_code, d->dossier_code) < 0 ||
		    !(s = stmt(st, Q_DOSSIER_TITLE)))
			return -1;
		sqlite3_bind_int64(s, 1, dossier);
		sqlite3_bind_text(s, 2, d->dossier_title, -1, SQLITE_STATIC);
		if (step_done(st, s, "set the dossier's title") < 0)
			return -1;
	}
	/* Its series likewise (a manifest's series_code and series_title). */
	if (d->series_code && *d->series_code) {
		if (dossier_id(&dossier, st, d->fonds_code, d->dossier_code) < 0 ||
		    !(s = stmt(st, Q_SERIES_PUT)))
			return -1;
		sqlite3_bind_int64(s, 1, st->last_fonds_id);
		sqlite3_bind_text(s, 2, d->series_code, -1, SQLITE_STATIC);
		hl_store__bind_text(s, 3, d->series_title);
		sqlite3_bind_text(s, 4, now, -1, SQLITE_STATIC);
		if (step_done(st, s, "add the series") < 0 || !(s = stmt(st, Q_DOSSIER_SERIES)))
			return -1;
		sqlite3_bind_int64(s, 1, dossier);
		sqlite3_bind_int64(s, 2, st->last_fonds_id);
		sqlite3_bind_text(s, 3, d->series_code, -1, SQLITE_STATIC);
		if (step_done(st, s, "set the dossier's series") < 0)
			return -1;
	}

	if (!(s = stmt(st, Q_DOC_HEAD)))
		goto done;
	sqlite3_bind_text(s, 1, d->doc_id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		exists = 1;
		rowid = sqlite3_column_int64(s, 0);
		version = sqlite3_column_int(s, 2);
		if (!strcmp((const char *)sqlite3_column_text(s, 1), hash)) {
			sqlite3_reset(s);
			*status = HL_PUT_UNCHANGED;
			rc = 0;
			goto done;
		}
	} else if (rc != SQLITE_DONE) {
		rc = hl_store__error(st, "read document");
		goto done;
	}
	sqlite3_reset(s);
	rc = -1;

	if (dossier_id(&dossier, st, d->fonds_code, d->dossier_code) < 0)
		goto done;
	/* An ordinal is unique inside its dossier: another document holding it is a conflict. */
	if (!(s = stmt(st, Q_ORDINAL_OWNER)))
		goto done;
	sqlite3_bind_int64(s, 1, dossier);
	sqlite3_bind_int64(s, 2, d->ordinal);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(s, 0), d->doc_id)) {
		rc = hl_error_set(HL_ECONFLICT,
		                  "ordinal %lld of dossier %s is already held by document %s",
		                  (long long)d->ordinal, d->dossier_code,
		                  (const char *)sqlite3_column_text(s, 0));
		*status = HL_PUT_CONFLICT_ORDINAL;
		sqlite3_reset(s);
		goto done;
	}
	sqlite3_reset(s);

	if (exists) {
		/* Keep the version being replaced, whole, before overwriting it. */
		hl_doc *old = NULL;
		char *old_json;
		if (hl_store_doc_get_rowid(&old, st, rowid) < 0)
			goto done;
		old_json = doc_json(old, 0);
		hl_doc_free(old);
		if (!(s = stmt(st, Q_VERSION_ADD))) {
			free(old_json);
			goto done;
		}
		sqlite3_bind_int64(s, 1, rowid);
		sqlite3_bind_int(s, 2, version);
		sqlite3_bind_text(s, 3, now, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, old_json, -1, SQLITE_TRANSIENT);
		free(old_json);
		if (step_done(st, s, "keep earlier version") < 0)
			goto done;
	}
	if (!(s = stmt(st, exists ? Q_DOC_UPDATE : Q_DOC_INSERT)))
		goto done;
	bind_doc(s, d, dossier, hash, now);
	if (step_done(st, s, exists ? "update document" : "insert document") < 0)
		goto done;
	if (!exists)
		rowid = sqlite3_last_insert_rowid(st->db);
	if (put_files(st, rowid, d) < 0 || queue(st, rowid) < 0)
		goto done;
	if (hl_store_audit(st, actor ? actor : "system",
	                   exists ? "document.update" : "document.create", d->doc_id, NULL) < 0)
		goto done;
	*status = exists ? HL_PUT_UPDATED : HL_PUT_INSERTED;
	rc = 0;
done:
	return rc;
}

static char *col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? hl_strdup((const char *)t) : NULL;
}

hl_doc *hl_store__row_to_doc(sqlite3_stmt *s)
{
	hl_doc *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->rowid = sqlite3_column_int64(s, 0);
	d->doc_id = col_dup(s, 1);
	d->fonds_code = col_dup(s, 2);
	d->dossier_code = col_dup(s, 3);
	d->ordinal = sqlite3_column_int64(s, 4);
	d->doc_number = col_dup(s, 5);
	d->doc_notation = col_dup(s, 6);
	d->issued_date = col_dup(s, 7);
	d->doc_type = col_dup(s, 8);
	d->issuer = col_dup(s, 9);
	d->subject = col_dup(s, 10);
	d->language = col_dup(s, 11);
	d->page_count =
	    sqlite3_column_type(s, 12) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 12);
	d->keywords = col_dup(s, 13);
	d->access = (hl_access)sqlite3_column_int(s, 14);
	d->confidence = col_dup(s, 15);
	d->retention = col_dup(s, 16);
	d->physical_state = col_dup(s, 17);
	d->notes = col_dup(s, 18);
	d->text = col_dup(s, 19);
	d->version = sqlite3_column_int(s, 20);
	d->created_at = col_dup(s, 21);
	d->updated_at = col_dup(s, 22);
	d->page_text = col_dup(s, 23);
	return d;
}

static int load_files(hl_store *st, hl_doc *d)
{
	sqlite3_stmt *s = stmt(st, Q_FILES_OF);
	size_t cap = 0;
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, d->rowid);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (d->nfiles == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			hl_doc_file *n = realloc(d->files, ncap * sizeof(*n));
			if (!n) {
				sqlite3_reset(s);
				return hl_error_set(HL_ENOMEM, "out of memory");
			}
			d->files = n;
			cap = ncap;
		}
		hl_doc_file *f = &d->files[d->nfiles++];
		memset(f, 0, sizeof(*f));
		f->name = col_dup(s, 0);
		snprintf(f->sha256, sizeof(f->sha256), "%s",
		         (const char *)sqlite3_column_text(s, 1));
		f->size = sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : hl_store__error(st, "read files");
}

static int doc_get(hl_doc **out, hl_store *st, int which, const char *id, int64_t rowid)
{
	sqlite3_stmt *s = stmt(st, which);
	hl_doc *d;
	int rc;
	if (!s)
		return -1;
	if (id)
		sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(s, 1, rowid);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		if (id)
			return hl_error_set(HL_ENOTFOUND, "no document with id %s", id);
		return hl_error_set(HL_ENOTFOUND, "no document with row %lld", (long long)rowid);
	}
	if (rc != SQLITE_ROW) {
		rc = hl_store__error(st, "read document");
		sqlite3_reset(s);
		return rc;
	}
	d = hl_store__row_to_doc(s);
	sqlite3_reset(s);
	if (!d)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if (load_files(st, d) < 0) {
		hl_doc_free(d);
		return -1;
	}
	*out = d;
	return 0;
}

int hl_store_doc_get(hl_doc **out, hl_store *st, const char *doc_id)
{
	return doc_get(out, st, Q_DOC_BY_ID, doc_id, 0);
}

int hl_store_doc_get_rowid(hl_doc **out, hl_store *st, int64_t rowid)
{
	return doc_get(out, st, Q_DOC_BY_ROWID, NULL, rowid);
}

void hl_doc_free(hl_doc *d)
{
	if (!d)
		return;
	char **strs[] = {&d->doc_id,       &d->fonds_code,     &d->dossier_code, &d->doc_number,
	                 &d->doc_notation, &d->issued_date,    &d->doc_type,     &d->issuer,
	                 &d->subject,      &d->language,       &d->keywords,     &d->confidence,
	                 &d->retention,    &d->physical_state, &d->notes,        &d->text,
	                 &d->created_at,   &d->updated_at,     &d->page_text,    &d->dossier_title,
	                 &d->series_code,  &d->series_title};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	for (size_t i = 0; i < d->nfiles; i++)
		free(d->files[i].name);
	free(d->files);
	free(d);
}

int hl_store_doc_versions(hl_store *st, const char *doc_id, hl_version_cb cb, void *ud)
{
	sqlite3_stmt *s;
	int rc;
	if (sqlite3_prepare_v2(st->db,
	                       "SELECT v.version, v.replaced_at, v.data FROM document_version v"
	                       " JOIN document d ON d.id = v.document_id WHERE d.doc_id = ?1"
	                       " ORDER BY v.version DESC",
	                       -1, &s, NULL) != SQLITE_OK)
		return hl_store__error(st, "versions");
	sqlite3_bind_text(s, 1, doc_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int r = cb(sqlite3_column_int(s, 0), (const char *)sqlite3_column_text(s, 1),
		           (const char *)sqlite3_column_text(s, 2), ud);
		if (r) {
			sqlite3_finalize(s);
			return r;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "versions");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_doc_foreach(hl_store *st, hl_doc_cb cb, void *ud)
{
	sqlite3_stmt *s;
	int rc;
	if (sqlite3_prepare_v2(st->db, "SELECT " DOC_COLS DOC_FROM " ORDER BY d.id", -1, &s,
	                       NULL) != SQLITE_OK)
		return hl_store__error(st, "read documents");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_doc *d = hl_store__row_to_doc(s);
		int r;
		if (!d) {
			sqlite3_finalize(s);
			return hl_error_set(HL_ENOMEM, "out of memory");
		}
		r = cb(d, ud);
		hl_doc_free(d);
		if (r) {
			sqlite3_finalize(s);
			return r;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "read documents");
	sqlite3_finalize(s);
	return rc;
}

/* ---- blobs ---- */

int hl_store_blob_add(hl_store *st, const char *sha256, int64_t size)
{
	sqlite3_stmt *s = stmt(st, Q_BLOB_ADD);
	char now[32];
	if (!s)
		return -1;
	hl_now_utc(now);
	sqlite3_bind_text(s, 1, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, size);
	sqlite3_bind_text(s, 3, now, -1, SQLITE_TRANSIENT);
	return step_done(st, s, "record blob");
}

int hl_store_blob_foreach(hl_store *st, hl_blob_cb cb, void *ud)
{
	sqlite3_stmt *s;
	int rc;
	if (sqlite3_prepare_v2(st->db, "SELECT sha256, size FROM blob ORDER BY sha256", -1, &s,
	                       NULL) != SQLITE_OK)
		return hl_store__error(st, "read blobs");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int r = cb((const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1), ud);
		if (r) {
			sqlite3_finalize(s);
			return r;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "read blobs");
	sqlite3_finalize(s);
	return rc;
}

/* ---- the index queue ---- */

int hl_store_queue_since(hl_store *st, int64_t after, size_t max, hl_queue_cb cb, void *ud)
{
	sqlite3_stmt *s = stmt(st, Q_QUEUE_SINCE);
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, (int64_t)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int r = cb(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), ud);
		if (r) {
			sqlite3_reset(s);
			return r;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : hl_store__error(st, "read index queue");
}

static int scalar(int64_t *out, hl_store *st, const char *q)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, q, -1, &s, NULL) != SQLITE_OK)
		return hl_store__error(st, "count");
	*out = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return 0;
}

int hl_store_queue_max(int64_t *out, hl_store *st)
{
	/* sqlite_sequence remembers the highest seq even after the queue is trimmed. */
	return scalar(out, st,
	              "SELECT coalesce((SELECT seq FROM sqlite_sequence"
	              " WHERE name = 'index_queue'), 0)");
}

int hl_store_queue_trim(hl_store *st, int64_t upto)
{
	sqlite3_stmt *s;
	int rc;
	if (sqlite3_prepare_v2(st->db, "DELETE FROM index_queue WHERE seq <= ?1", -1, &s, NULL) !=
	    SQLITE_OK)
		return hl_store__error(st, "trim index queue");
	sqlite3_bind_int64(s, 1, upto);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : hl_store__error(st, "trim index queue");
	sqlite3_finalize(s);
	return rc;
}

/* ---- audit ---- */

int hl_store_audit(hl_store *st, const char *actor, const char *action, const char *object,
                   const char *detail)
{
	sqlite3_stmt *s;
	char now[32], prev[65] = "", hash[65];
	int64_t id = 1;
	int rc = -1, own = !st->in_tx;

	/* Reading the last entry and appending the next must be one transaction, or two writers
	 * could both chain onto the same entry. */
	if (own && hl_store_begin(st) < 0)
		return -1;
	if (!(s = stmt(st, Q_AUDIT_LAST)))
		goto done;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(s, 1);
		id = sqlite3_column_int64(s, 0) + 1;
		snprintf(prev, sizeof(prev), "%s", h ? h : "");
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = hl_store__error(st, "audit");
		goto done;
	}
	rc = -1;
	hl_now_utc(now);
	actor = actor && *actor ? actor : "system";
	/* object and detail are stored NULL when empty, and hashed as "" either way */
	hl_store_audit_hash(hash, prev, id, now, actor, action, object, detail);
	if (!(s = stmt(st, Q_AUDIT_ADD)))
		goto done;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, action, -1, SQLITE_STATIC);
	hl_store__bind_text(s, 5, object);
	hl_store__bind_text(s, 6, detail);
	hl_store__bind_text(s, 7, prev);
	sqlite3_bind_text(s, 8, hash, -1, SQLITE_TRANSIENT);
	rc = step_done(st, s, "audit");
done:
	if (own)
		rc = rc < 0 ? (hl_store_rollback(st), rc) : hl_store_commit(st);
	return rc;
}

int hl_store_stats_get(hl_store_stats *out, hl_store *st)
{
	hl_store_stats r = {0};
	if (scalar(&r.fonds, st, "SELECT count(*) FROM fonds") < 0 ||
	    scalar(&r.dossiers, st, "SELECT count(*) FROM dossier") < 0 ||
	    scalar(&r.documents, st, "SELECT count(*) FROM document") < 0 ||
	    scalar(&r.versions, st, "SELECT count(*) FROM document_version") < 0 ||
	    scalar(&r.files, st, "SELECT count(*) FROM document_file") < 0 ||
	    scalar(&r.blobs, st, "SELECT count(*) FROM blob") < 0 ||
	    scalar(&r.blob_bytes, st, "SELECT coalesce(sum(size), 0) FROM blob") < 0 ||
	    scalar(&r.queued, st, "SELECT count(*) FROM index_queue") < 0 ||
	    scalar(&r.audit, st, "SELECT count(*) FROM audit") < 0)
		return -1;
	r.schema_version = hl_store_schema_version(st);
	*out = r;
	return 0;
}
