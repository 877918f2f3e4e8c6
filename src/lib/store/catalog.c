/* Every SQL statement of catalog/: datasets, their versions, and each dataset's row table
 * (ds_rows_<internal id>: the name is made of an integer, never of user text). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "halong/text.h"
#include "halong/util.h"
#include "store_catalog.h"
#include "store_int.h"

#define DS_COLS                                                                                    \
	"id, name, title, description, owner, sector, keywords, licence, frequency, provenance,"   \
	" date, schema, created_at, created_by, access, version, rows, (SELECT v.loaded_at FROM"   \
	" dataset_version v WHERE v.dataset_id = dataset.id AND v.version = dataset.version)"

static const char *sql_type(int t)
{
	switch (t) {
	case HL_FIELD_INTEGER:
	case HL_FIELD_BOOLEAN:
		return "INTEGER";
	case HL_FIELD_NUMBER:
		return "REAL";
	default:
		return "TEXT";
	}
}

/* A growing SQL text; on out of memory, ok is 0. */
typedef struct {
	char *s;
	size_t n, cap;
	int ok;
} sqlbuf;

static void sb_add(sqlbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(sqlbuf *b, const char *fmt, ...)
{
	va_list ap;
	int k;
	if (!b->ok)
		return;
	for (;;) {
		va_start(ap, fmt);
		k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
		va_end(ap);
		if (k < 0) {
			b->ok = 0;
			return;
		}
		if (b->s && b->n + (size_t)k < b->cap) {
			b->n += (size_t)k;
			return;
		}
		size_t cap = (b->cap ? b->cap * 2 : 1024) + (size_t)k;
		char *p = realloc(b->s, cap);
		if (!p) {
			b->ok = 0;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
}

static int exec(hl_store *st, const char *sql, const char *what)
{
	char *err = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		sqlite3_free(err);
		return hl_store__error(st, what);
	}
	return 0;
}

int hl_store_dataset_create(int64_t *id, hl_store *st, const hl_store_dataset_row *r,
                            const int *types, const int *unique, size_t ncols)
{
	sqlite3_stmt *s;
	sqlbuf b = {.ok = 1};
	int rc;
	int64_t rid;

	if (!st->in_tx)
		return hl_error_set(HL_ERROR, "a dataset is created inside a transaction");
	if (!(s = hl_store__prepare(
	          st, "INSERT INTO dataset(name, title, description, owner, sector, keywords,"
	              " licence, frequency, provenance, date, schema, created_at, created_by,"
	              " access, ncols) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
	              " ?13, ?14, ?15)")))
		return -1;
	sqlite3_bind_text(s, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->title, -1, SQLITE_STATIC);
	hl_store__bind_text(s, 3, r->description);
	hl_store__bind_text(s, 4, r->owner);
	sqlite3_bind_text(s, 5, r->sector, -1, SQLITE_STATIC);
	hl_store__bind_text(s, 6, r->keywords);
	hl_store__bind_text(s, 7, r->licence);
	hl_store__bind_text(s, 8, r->frequency);
	hl_store__bind_text(s, 9, r->provenance);
	hl_store__bind_text(s, 10, r->date);
	sqlite3_bind_text(s, 11, r->schema, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 12, r->created_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 13, r->created_by, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 14, r->access);
	sqlite3_bind_int64(s, 15, (sqlite3_int64)ncols);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		if (sqlite3_errcode(st->db) == SQLITE_CONSTRAINT)
			return hl_error_set(HL_ECONFLICT, "dataset %s exists", r->name);
		return hl_store__error(st, "dataset");
	}
	rid = sqlite3_last_insert_rowid(st->db);
	/* _rid: the order rows were put; _seq: the _rid of its key's first row (a changed row
	 * keeps its place in exports); _key: the primary key's values (or the row's hash);
	 * _from, _to: the versions a row is in, _from <= v < _to (_to NULL while current). */
	sb_add(&b,
	       "CREATE TABLE ds_rows_%lld (_rid INTEGER PRIMARY KEY, _seq INTEGER NOT NULL,"
	       " _key TEXT NOT NULL, _hash INTEGER NOT NULL, _from INTEGER NOT NULL, _to INTEGER",
	       (long long)rid);
	for (size_t i = 0; i < ncols; i++)
		sb_add(&b, ", c%zu %s", i, sql_type(types[i]));
	sb_add(&b, ") STRICT;");
	sb_add(&b,
	       "CREATE UNIQUE INDEX ds_rows_%lld_cur ON ds_rows_%lld(_key) WHERE _to IS NULL;"
	       "CREATE INDEX ds_rows_%lld_key ON ds_rows_%lld(_key, _from);"
	       "CREATE INDEX ds_rows_%lld_from ON ds_rows_%lld(_from);"
	       "CREATE INDEX ds_rows_%lld_to ON ds_rows_%lld(_to) WHERE _to IS NOT NULL;",
	       (long long)rid, (long long)rid, (long long)rid, (long long)rid, (long long)rid,
	       (long long)rid, (long long)rid, (long long)rid);
	for (size_t i = 0; i < ncols; i++)
		if (unique && unique[i])
			sb_add(&b,
			       "CREATE INDEX ds_rows_%lld_u%zu ON ds_rows_%lld(c%zu) WHERE _to IS "
			       "NULL;",
			       (long long)rid, i, (long long)rid, i);
	if (!b.ok) {
		free(b.s);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	rc = exec(st, b.s, "dataset rows");
	free(b.s);
	if (rc < 0)
		return rc;
	*id = rid;
	return 0;
}

int hl_store_dataset_foreach(hl_store *st, const char *name,
                             int (*cb)(const hl_store_dataset_row *r, void *ud), void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "SELECT " DS_COLS " FROM dataset WHERE ?1 IS NULL OR name = ?1 ORDER BY name");
	int rc, found = 0;
	if (!s)
		return -1;
	hl_store__bind_text(s, 1, name);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_store_dataset_row r = {
		    .id = sqlite3_column_int64(s, 0),
		    .name = hl_store__col(s, 1),
		    .title = hl_store__col(s, 2),
		    .description = hl_store__col(s, 3),
		    .owner = hl_store__col(s, 4),
		    .sector = hl_store__col(s, 5),
		    .keywords = hl_store__col(s, 6),
		    .licence = hl_store__col(s, 7),
		    .frequency = hl_store__col(s, 8),
		    .provenance = hl_store__col(s, 9),
		    .date = hl_store__col(s, 10),
		    .schema = hl_store__col(s, 11),
		    .created_at = hl_store__col(s, 12),
		    .created_by = hl_store__col(s, 13),
		    .access = sqlite3_column_int(s, 14),
		    .version = sqlite3_column_int(s, 15),
		    .rows = sqlite3_column_int64(s, 16),
		    .loaded_at = hl_store__col(s, 17),
		};
		int r2 = cb(&r, ud);
		found = 1;
		if (r2) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return hl_store__error(st, "dataset");
	if (name && !found)
		return hl_error_set(HL_ENOTFOUND, "no dataset %s", name);
	return 0;
}

/* ---- writing a version ---- */

struct hl_store_ds_writer {
	hl_store *st;
	int64_t id;
	int version;
	const int *types;
	size_t ncols;
	sqlite3_stmt *seen_get, *seen_put, *cur, *close, *ins;
	sqlite3_stmt **taken; /* per column, prepared on first use */
	int64_t next;         /* the next _rid */
	int empty;            /* no current row when the writing began */
	int64_t base;         /* empty: a row's _rid is base + its line */
};

/* Pages of a load's key indexes, in cache while the load runs: with keys in no order the
 * store's 16 MB spilled them to the WAL and read them back (44% of a 1M-row load's time,
 * bench/catalog). The store's own size comes back when the writer goes. */
#define LOAD_CACHE "-131072" /* KiB: 128 MiB */

void hl_store_ds_writer_free(hl_store_ds_writer *w)
{
	if (!w)
		return;
	if (w->st)
		sqlite3_exec(w->st->db, "PRAGMA cache_size = -16000", NULL, NULL, NULL);
	sqlite3_finalize(w->seen_get);
	sqlite3_finalize(w->seen_put);
	sqlite3_finalize(w->cur);
	sqlite3_finalize(w->close);
	sqlite3_finalize(w->ins);
	if (w->taken)
		for (size_t i = 0; i < w->ncols; i++)
			sqlite3_finalize(w->taken[i]);
	free(w->taken);
	free(w);
}

int hl_store_ds_writer_open(hl_store_ds_writer **out, hl_store *st, int64_t id, int version,
                            const int *types, size_t ncols)
{
	hl_store_ds_writer *w = calloc(1, sizeof(*w));
	char sql[256];
	sqlbuf b = {.ok = 1};

	if (!w || !(w->taken = calloc(ncols ? ncols : 1, sizeof(*w->taken)))) {
		free(w);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	if (!st->in_tx) {
		hl_store_ds_writer_free(w);
		return hl_error_set(HL_ERROR, "a dataset is loaded inside a transaction");
	}
	w->st = st;
	sqlite3_exec(st->db, "PRAGMA cache_size = " LOAD_CACHE, NULL, NULL, NULL);
	w->id = id;
	w->version = version;
	w->types = types;
	w->ncols = ncols;
	/* the keys put in this version: a table on disk (the temp store is in memory) */
	if (exec(st, "DELETE FROM dataset_load_key", "dataset load") < 0) {
		hl_store_ds_writer_free(w);
		return -1;
	}
	if (!(w->seen_get =
	          hl_store__prepare(st, "SELECT line FROM dataset_load_key WHERE k = ?1")) ||
	    !(w->seen_put = hl_store__prepare(
	          st, "INSERT OR IGNORE INTO dataset_load_key(k, line) VALUES (?1, ?2)"))) {
		hl_store_ds_writer_free(w);
		return -1;
	}
	snprintf(sql, sizeof(sql), "SELECT coalesce(max(_rid), 0) + 1 FROM ds_rows_%lld",
	         (long long)id);
	if (!(w->cur = hl_store__prepare(st, sql)) || sqlite3_step(w->cur) != SQLITE_ROW) {
		hl_store__error(st, "dataset load");
		hl_store_ds_writer_free(w);
		return -1;
	}
	w->next = sqlite3_column_int64(w->cur, 0);
	sqlite3_finalize(w->cur);
	snprintf(sql, sizeof(sql),
	         "SELECT NOT EXISTS (SELECT 1 FROM ds_rows_%lld WHERE _to IS NULL)", (long long)id);
	if (!(w->cur = hl_store__prepare(st, sql)) || sqlite3_step(w->cur) != SQLITE_ROW) {
		hl_store__error(st, "dataset load");
		hl_store_ds_writer_free(w);
		return -1;
	}
	w->empty = sqlite3_column_int(w->cur, 0);
	sqlite3_finalize(w->cur);
	/* A first load (no current row) needs neither the keys of dataset_load_key nor the index
	 * on (_key, _from) while it writes: a key twice in the file is the _cur index's conflict,
	 * and its first line is told by the _rid (base + line); the index is built once, sorted, by
	 * hl_store_ds_writer_finish. Two of the three B-trees on the key fewer (bench/catalog). */
	if (w->empty) {
		w->base = w->next - 1;
		snprintf(sql, sizeof(sql), "DROP INDEX ds_rows_%lld_key", (long long)id);
		if (exec(st, sql, "dataset load") < 0) {
			hl_store_ds_writer_free(w);
			return -1;
		}
	}
	snprintf(sql, sizeof(sql),
	         "SELECT _rid, _hash, _seq FROM ds_rows_%lld WHERE _key = ?1 AND _to IS NULL",
	         (long long)id);
	if (!(w->cur = hl_store__prepare(st, sql))) {
		hl_store_ds_writer_free(w);
		return -1;
	}
	snprintf(sql, sizeof(sql), "UPDATE ds_rows_%lld SET _to = ?1 WHERE _rid = ?2",
	         (long long)id);
	if (!(w->close = hl_store__prepare(st, sql))) {
		hl_store_ds_writer_free(w);
		return -1;
	}
	sb_add(&b, "INSERT INTO ds_rows_%lld(_key, _hash, _from, _rid, _seq", (long long)id);
	for (size_t i = 0; i < ncols; i++)
		sb_add(&b, ", c%zu", i);
	sb_add(&b, ") VALUES (?1, ?2, ?3, ?4, ?5");
	for (size_t i = 0; i < ncols; i++)
		sb_add(&b, ", ?%zu", i + 6);
	sb_add(&b, ")");
	if (!b.ok) {
		free(b.s);
		hl_store_ds_writer_free(w);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	w->ins = hl_store__prepare(st, b.s);
	free(b.s);
	if (!w->ins) {
		hl_store_ds_writer_free(w);
		return -1;
	}
	*out = w;
	return 0;
}

/* Binds a cell by its column's type: the library has checked and normalised it. */
static void bind_cell(sqlite3_stmt *s, int i, int type, const char *v)
{
	if (!v) {
		sqlite3_bind_null(s, i);
		return;
	}
	switch (type) {
	case HL_FIELD_INTEGER:
		sqlite3_bind_int64(s, i, strtoll(v, NULL, 10));
		break;
	case HL_FIELD_BOOLEAN:
		sqlite3_bind_int(s, i, !strcmp(v, "true"));
		break;
	case HL_FIELD_NUMBER:
		sqlite3_bind_double(s, i, strtod(v, NULL));
		break;
	default:
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	}
}

/* The first 16 hex digits of a hash as a 64-bit integer. */
static int64_t hash64(const char *hex)
{
	uint64_t h = 0;
	for (int i = 0; i < 16 && hex[i]; i++) {
		char c = hex[i];
		h = h << 4 | (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return (int64_t)h;
}

/* Binds and runs the insert of a row: rid, seq and the cells. */
static int insert_row(hl_store_ds_writer *w, const char *key, int64_t h64, int64_t rid, int64_t seq,
                      const char *const *cells)
{
	int rc;
	sqlite3_reset(w->ins);
	sqlite3_clear_bindings(w->ins);
	sqlite3_bind_text(w->ins, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(w->ins, 2, h64);
	sqlite3_bind_int(w->ins, 3, w->version);
	sqlite3_bind_int64(w->ins, 4, rid);
	sqlite3_bind_int64(w->ins, 5, seq);
	for (size_t i = 0; i < w->ncols; i++)
		bind_cell(w->ins, (int)i + 6, w->types[i], cells[i]);
	rc = sqlite3_step(w->ins);
	sqlite3_reset(w->ins);
	return rc;
}

/* A row of a first load: inserted at _rid base + line; a conflict on the _cur index is a key
 * already put by this load, at the line its _rid tells. */
static int put_first(int *what, uint64_t *first, hl_store_ds_writer *w, const char *key,
                     int64_t h64, const char *const *cells, uint64_t line)
{
	int64_t rid = w->base + (int64_t)line;
	int rc = insert_row(w, key, h64, rid, rid, cells);
	if (rc == SQLITE_DONE) {
		w->next = rid + 1;
		*what = HL_DS_ADDED;
		return 0;
	}
	if ((rc & 0xff) != SQLITE_CONSTRAINT)
		return hl_store__error(w->st, "dataset load");
	sqlite3_reset(w->cur);
	sqlite3_bind_text(w->cur, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(w->cur);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(w->cur);
		return hl_error_set(HL_ERROR,
		                    "dataset load: a row of line %llu was refused by the store",
		                    (unsigned long long)line);
	}
	*first = (uint64_t)(sqlite3_column_int64(w->cur, 0) - w->base);
	sqlite3_reset(w->cur);
	*what = HL_DS_DUPLICATE;
	return 0;
}

int hl_store_ds_put(int *what, uint64_t *first, hl_store_ds_writer *w, const char *key,
                    const char *hash, const char *const *cells, uint64_t line)
{
	hl_store *st = w->st;
	int rc;
	int64_t rid = 0, seq = 0;
	/* the hash's first 64 bits: 8 bytes a row instead of 64 */
	int64_t h64 = hash64(hash);

	*what = 0;
	/* a dataset without current rows (its first load): no key to look up */
	if (w->empty)
		return put_first(what, first, w, key, h64, cells, line);
	/* one statement a row: the key goes in, or was there (then, rarely, its line is read) */
	sqlite3_reset(w->seen_put);
	sqlite3_bind_text(w->seen_put, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(w->seen_put, 2, (sqlite3_int64)line);
	rc = sqlite3_step(w->seen_put);
	sqlite3_reset(w->seen_put);
	if (rc != SQLITE_DONE)
		return hl_store__error(st, "dataset load");
	if (sqlite3_changes(st->db) == 0) {
		sqlite3_reset(w->seen_get);
		sqlite3_bind_text(w->seen_get, 1, key, -1, SQLITE_STATIC);
		rc = sqlite3_step(w->seen_get);
		*first = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(w->seen_get, 0) : 0;
		sqlite3_reset(w->seen_get);
		*what = HL_DS_DUPLICATE;
		return 0;
	}
	sqlite3_reset(w->cur);
	sqlite3_bind_text(w->cur, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(w->cur);
	if (rc == SQLITE_ROW) {
		rid = sqlite3_column_int64(w->cur, 0);
		seq = sqlite3_column_int64(w->cur, 2);
		if (sqlite3_column_int64(w->cur, 1) == h64) {
			sqlite3_reset(w->cur);
			*what = HL_DS_SAME;
			return 0;
		}
	} else if (rc != SQLITE_DONE) {
		sqlite3_reset(w->cur);
		return hl_store__error(st, "dataset load");
	}
	sqlite3_reset(w->cur);
	if (rid) {
		sqlite3_reset(w->close);
		sqlite3_bind_int(w->close, 1, w->version);
		sqlite3_bind_int64(w->close, 2, rid);
		rc = sqlite3_step(w->close);
		sqlite3_reset(w->close);
		if (rc != SQLITE_DONE)
			return hl_store__error(st, "dataset load");
	}
	rc = insert_row(w, key, h64, w->next, rid ? seq : w->next, cells);
	if (rc != SQLITE_DONE)
		return hl_store__error(st, "dataset load");
	w->next++;
	*what = rid ? HL_DS_CHANGED : HL_DS_ADDED;
	return 0;
}

int hl_store_ds_taken(hl_store_ds_writer *w, size_t col, const char *value, const char *key)
{
	int rc;
	sqlite3_stmt *s;
	if (col >= w->ncols)
		return hl_error_set(HL_EINVALID, "no column %zu", col);
	if (!w->taken[col]) {
		char sql[256];
		snprintf(sql, sizeof(sql),
		         "SELECT 1 FROM ds_rows_%lld WHERE c%zu = ?1 AND _to IS NULL AND _key <> ?2"
		         " LIMIT 1",
		         (long long)w->id, col);
		if (!(w->taken[col] = hl_store__prepare(w->st, sql)))
			return -1;
	}
	s = w->taken[col];
	sqlite3_reset(s);
	bind_cell(s, 1, w->types[col], value);
	sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_ROW    ? 1
	       : rc == SQLITE_DONE ? 0
	                           : hl_store__error(w->st, "dataset load");
}

int hl_store_ds_writer_finish(hl_store_ds_writer *w)
{
	char sql[160];
	if (!w->empty)
		return exec(w->st, "DELETE FROM dataset_load_key", "dataset load");
	/* The sort of CREATE INDEX keeps every key in memory when the temp store is (a 1 GB file:
	 * 348 MB resident): on files, in runs the size of the store's own cache. */
	snprintf(sql, sizeof(sql),
	         "PRAGMA cache_size = -16000; PRAGMA temp_store = FILE;"
	         " CREATE INDEX ds_rows_%lld_key ON ds_rows_%lld(_key, _from)",
	         (long long)w->id, (long long)w->id);
	int rc = exec(w->st, sql, "dataset load");
	sqlite3_exec(w->st->db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
	return rc;
}

int hl_store_ds_remove_unput(uint64_t *removed, hl_store_ds_writer *w)
{
	char sql[256];
	sqlite3_stmt *s;
	int rc;
	snprintf(sql, sizeof(sql),
	         "UPDATE ds_rows_%lld SET _to = ?1 WHERE _to IS NULL AND _from < ?1 AND _key NOT"
	         " IN (SELECT k FROM dataset_load_key)",
	         (long long)w->id);
	if (!(s = hl_store__prepare(w->st, sql)))
		return -1;
	sqlite3_bind_int(s, 1, w->version);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return hl_store__error(w->st, "dataset load");
	*removed = (uint64_t)sqlite3_changes(w->st->db);
	return 0;
}

int hl_store_dataset_version_add(hl_store *st, int64_t id, const hl_dataset_version *v,
                                 int64_t rows)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "INSERT INTO dataset_version(dataset_id, version, loaded_at, loaded_by, source,"
	        " sha256, size, replace, rows, added, changed, removed, unchanged, rejected)"
	        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, v->version);
	sqlite3_bind_text(s, 3, v->loaded_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, v->loaded_by, -1, SQLITE_STATIC);
	hl_store__bind_text(s, 5, v->source);
	hl_store__bind_text(s, 6, v->sha256);
	sqlite3_bind_int64(s, 7, v->size);
	sqlite3_bind_int(s, 8, v->replace);
	sqlite3_bind_int64(s, 9, (sqlite3_int64)v->rows);
	sqlite3_bind_int64(s, 10, (sqlite3_int64)v->added);
	sqlite3_bind_int64(s, 11, (sqlite3_int64)v->changed);
	sqlite3_bind_int64(s, 12, (sqlite3_int64)v->removed);
	sqlite3_bind_int64(s, 13, (sqlite3_int64)v->unchanged);
	sqlite3_bind_int64(s, 14, (sqlite3_int64)v->rejected);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return hl_store__error(st, "dataset version");
	if (!(s = hl_store__prepare(st,
	                            "UPDATE dataset SET version = ?2, rows = ?3 WHERE id = ?1")))
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, v->version);
	sqlite3_bind_int64(s, 3, rows);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : hl_store__error(st, "dataset version");
}

int hl_store_ds_count(int64_t *n, hl_store *st, int64_t id)
{
	char sql[128];
	sqlite3_stmt *s;
	int rc;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM ds_rows_%lld WHERE _to IS NULL",
	         (long long)id);
	if (!(s = hl_store__prepare(st, sql)))
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : hl_store__error(st, "dataset rows");
}

int hl_store_dataset_versions(hl_store *st, int64_t id,
                              int (*cb)(const hl_dataset_version *v, void *ud), void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "SELECT version, loaded_at, loaded_by, source, sha256, size, replace, rows, added,"
	        " changed, removed, unchanged, rejected FROM dataset_version WHERE dataset_id = ?1"
	        " ORDER BY version");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_dataset_version v = {
		    .version = sqlite3_column_int(s, 0),
		    .loaded_at = (char *)hl_store__col(s, 1),
		    .loaded_by = (char *)hl_store__col(s, 2),
		    .source = (char *)hl_store__col(s, 3),
		    .sha256 = (char *)hl_store__col(s, 4),
		    .size = sqlite3_column_int64(s, 5),
		    .replace = sqlite3_column_int(s, 6),
		    .rows = (uint64_t)sqlite3_column_int64(s, 7),
		    .added = (uint64_t)sqlite3_column_int64(s, 8),
		    .changed = (uint64_t)sqlite3_column_int64(s, 9),
		    .removed = (uint64_t)sqlite3_column_int64(s, 10),
		    .unchanged = (uint64_t)sqlite3_column_int64(s, 11),
		    .rejected = (uint64_t)sqlite3_column_int64(s, 12),
		};
		int r2 = cb(&v, ud);
		if (r2) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : hl_store__error(st, "dataset versions");
}

/* ---- reading ---- */

/* Column i of s as the library writes it: booleans as true/false, numbers in at most 15
 * significant digits without a trailing ".0" (buf), NULL as NULL. */
static const char *cell_text(sqlite3_stmt *s, int i, int type, char buf[32])
{
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return NULL;
	if (type == HL_FIELD_BOOLEAN)
		return sqlite3_column_int(s, i) ? "true" : "false";
	if (type == HL_FIELD_NUMBER) {
		snprintf(buf, 32, "%.15g", sqlite3_column_double(s, i));
		return buf;
	}
	return hl_store__col(s, i);
}

int hl_store_ds_rows(hl_store *st, int64_t id, const int *types, size_t ncols, int version,
                     int (*cb)(const char *const *cells, size_t n, void *ud), void *ud)
{
	sqlbuf b = {.ok = 1};
	sqlite3_stmt *s;
	const char **cells = calloc(ncols ? ncols : 1, sizeof(*cells));
	char(*nb)[32] = calloc(ncols ? ncols : 1, sizeof(*nb));
	int rc;

	if (!cells || !nb) {
		free(cells);
		free(nb);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	sb_add(&b, "SELECT ");
	for (size_t i = 0; i < ncols; i++)
		sb_add(&b, "%sc%zu", i ? ", " : "", i);
	if (!ncols)
		sb_add(&b, "_rid");
	sb_add(&b,
	       " FROM ds_rows_%lld WHERE _from <= ?1 AND (_to IS NULL OR _to > ?1) ORDER BY "
	       "_seq",
	       (long long)id);
	if (!b.ok) {
		free(b.s);
		free(cells);
		free(nb);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	s = hl_store__prepare(st, b.s);
	free(b.s);
	if (!s) {
		free(cells);
		free(nb);
		return -1;
	}
	sqlite3_bind_int(s, 1, version);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (size_t i = 0; i < ncols; i++)
			cells[i] = cell_text(s, (int)i, types[i], nb[i]);
		int r2 = cb(cells, ncols, ud);
		if (r2) {
			sqlite3_finalize(s);
			free(cells);
			free(nb);
			return r2 < 0 ? r2 : 0;
		}
	}
	sqlite3_finalize(s);
	free(cells);
	free(nb);
	return rc == SQLITE_DONE ? 0 : hl_store__error(st, "dataset rows");
}

int hl_store_ds_diff(hl_store *st, int64_t id, const int *types, size_t ncols, int v1, int v2,
                     int (*cb)(const char *key, const char *const *old, const char *const *new_,
                               size_t n, void *ud),
                     void *ud)
{
	sqlbuf b = {.ok = 1};
	sqlite3_stmt *s;
	const char **cells = calloc(2 * (ncols ? ncols : 1), sizeof(*cells));
	char(*nb)[32] = calloc(2 * (ncols ? ncols : 1), sizeof(*nb));
	long long t = (long long)id;
	int rc;

	if (!cells || !nb) {
		free(cells);
		free(nb);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	/* Only rows whose bounds move between v1 and v2 can differ: o, the rows of v1 gone by v2
	 * (removed, or the old side of a change); n, the rows of v2 that came after v1. */
	sb_add(&b,
	       "WITH o AS (SELECT * FROM ds_rows_%lld WHERE _to > ?1 AND _to <= ?2 AND _from <= "
	       "?1),"
	       " n AS (SELECT * FROM ds_rows_%lld WHERE _from > ?1 AND _from <= ?2 AND (_to IS "
	       "NULL OR _to > ?2))"
	       " SELECT coalesce(o._key, n._key), o._rid, n._rid",
	       t, t);
	for (size_t i = 0; i < ncols; i++)
		sb_add(&b, ", o.c%zu", i);
	for (size_t i = 0; i < ncols; i++)
		sb_add(&b, ", n.c%zu", i);
	sb_add(&b, " FROM o FULL JOIN n ON o._key = n._key WHERE o._hash IS NOT n._hash"
	           " ORDER BY coalesce(n._seq, o._seq)");
	if (!b.ok) {
		free(b.s);
		free(cells);
		free(nb);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	s = hl_store__prepare(st, b.s);
	free(b.s);
	if (!s) {
		free(cells);
		free(nb);
		return -1;
	}
	sqlite3_bind_int(s, 1, v1);
	sqlite3_bind_int(s, 2, v2);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int has_old = sqlite3_column_type(s, 1) != SQLITE_NULL;
		int has_new = sqlite3_column_type(s, 2) != SQLITE_NULL;
		for (size_t i = 0; i < ncols; i++) {
			cells[i] = cell_text(s, (int)(3 + i), types[i], nb[i]);
			cells[ncols + i] =
			    cell_text(s, (int)(3 + ncols + i), types[i], nb[ncols + i]);
		}
		int r2 = cb(hl_store__col(s, 0), has_old ? cells : NULL,
		            has_new ? cells + ncols : NULL, ncols, ud);
		if (r2) {
			sqlite3_finalize(s);
			free(cells);
			free(nb);
			return r2 < 0 ? r2 : 0;
		}
	}
	sqlite3_finalize(s);
	free(cells);
	free(nb);
	return rc == SQLITE_DONE ? 0 : hl_store__error(st, "dataset diff");
}

/* ---- queries (the query helper's section) ---- */

typedef struct {
	double deadline, span;
	int expired;
} query_clock;

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Called by SQLite every 1,000 steps: non-zero interrupts the query. */
static int query_tick(void *ud)
{
	query_clock *c = ud;
	if (mono_s() > c->deadline)
		c->expired = 1;
	return c->expired;
}

/* hl_fold_has(cell, folded): does the cell's folded text (hl_text_fold: lower case, no tone nor
 * diacritic, đ -> d) hold `folded`? NULL for a NULL cell. An ASCII cell folds to its lower case
 * (as hl_text_fold does it): compared in place. Another is folded once per distinct value of a
 * statement: a cache of FOLD_SLOTS answers (cells up to FOLD_KEEP bytes), kept as the
 * statement's auxiliary data on the folded text (constant for the statement), so that a column
 * of a few dozen names (an indicator, a commune) is folded a few dozen times, not a million. */
#define FOLD_SLOTS 1024
#define FOLD_KEEP  256

typedef struct {
	uint64_t h;
	int n, res; /* n: the cell's bytes, 0: empty slot */
	char s[FOLD_KEEP];
} fold_slot;

static void fold_cache_free(void *p)
{
	free(p);
}

static int ascii_has(const unsigned char *v, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	if (m > n)
		return 0;
	for (size_t i = 0; i + m <= n; i++) {
		size_t j = 0;
		while (j < m) {
			unsigned char c = v[i + j];
			if (c >= 'A' && c <= 'Z')
				c = (unsigned char)(c + 32);
			if (c != (unsigned char)needle[j])
				break;
			j++;
		}
		if (j == m)
			return 1;
	}
	return 0;
}

static void fold_has(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *v = sqlite3_value_text(argv[0]);
	const char *needle = (const char *)sqlite3_value_text(argv[1]);
	size_t n;
	uint64_t h = 1469598103934665603ull;
	int ascii = 1, res;
	fold_slot *cache, *slot = NULL;
	char *f = NULL;
	(void)argc;
	if (!v || !needle) {
		sqlite3_result_null(ctx);
		return;
	}
	n = (size_t)sqlite3_value_bytes(argv[0]);
	for (size_t i = 0; i < n; i++) {
		ascii &= v[i] < 0x80;
		h = (h ^ v[i]) * 1099511628211ull;
	}
	if (ascii) {
		sqlite3_result_int(ctx, ascii_has(v, n, needle));
		return;
	}
	if (!(cache = sqlite3_get_auxdata(ctx, 1)) &&
	    (cache = calloc(FOLD_SLOTS, sizeof(*cache)))) {
		sqlite3_set_auxdata(ctx, 1, cache, fold_cache_free);
		cache = sqlite3_get_auxdata(ctx, 1); /* SQLite may have dropped it at once */
	}
	if (cache && n <= FOLD_KEEP) {
		slot = &cache[h & (FOLD_SLOTS - 1)];
		if (slot->n == (int)n && slot->h == h && !memcmp(slot->s, v, n)) {
			sqlite3_result_int(ctx, slot->res);
			return;
		}
	}
	/* not valid UTF-8 (or over the text module's limits): holds nothing */
	res = hl_text_fold(&f, (const char *)v, (long)n) == 0 && strstr(f, needle) != NULL;
	free(f);
	if (slot && n) {
		slot->h = h;
		slot->n = (int)n;
		slot->res = res;
		memcpy(slot->s, v, n);
	}
	sqlite3_result_int(ctx, res);
}

static const char *const agg_fn[] = {"count", "sum", "avg", "min", "max"};

/* The conditions, from parameter ?*k on. */
static int add_where(sqlbuf *b, const hl_store_ds_query *q, size_t ncols, size_t *k)
{
	static const char *const ops[] = {"=", "<>", "<", "<=", ">", ">="};
	/* ?1: the version */
	if (q->version)
		sb_add(b, "_from <= ?1 AND (_to IS NULL OR _to > ?1)");
	else
		sb_add(b, "_to IS NULL AND ?1 = 0");
	*k = 2;
	for (size_t i = 0; i < q->nconds; i++) {
		const hl_store_ds_cond *c = &q->conds[i];
		if (c->col >= ncols)
			return hl_error_set(HL_EINVALID, "no column %zu", c->col);
		switch (c->op) {
		case HL_Q_NULL:
			sb_add(b, " AND c%zu IS NULL", c->col);
			break;
		case HL_Q_NOTNULL:
			sb_add(b, " AND c%zu IS NOT NULL", c->col);
			break;
		case HL_Q_IN:
			sb_add(b, " AND c%zu IN (", c->col);
			for (size_t j = 0; j < c->n; j++)
				sb_add(b, "%s?%zu", j ? ", " : "", (*k)++);
			sb_add(b, ")");
			break;
		case HL_Q_BETWEEN:
			if (c->n != 2)
				return hl_error_set(HL_EINVALID, "between: two values");
			sb_add(b, " AND c%zu BETWEEN ?%zu AND ?%zu", c->col, *k, *k + 1);
			*k += 2;
			break;
		case HL_Q_MATCH:
			if (c->n != 1)
				return hl_error_set(HL_EINVALID, "~: one value");
			sb_add(b, " AND hl_fold_has(c%zu, ?%zu)", c->col, (*k)++);
			break;
		default:
			if (c->op < 0 || c->op > HL_Q_GE || c->n != 1)
				return hl_error_set(HL_EINVALID, "unknown operator");
			sb_add(b, " AND c%zu %s ?%zu", c->col, ops[c->op], (*k)++);
		}
	}
	return 0;
}

static void bind_where(sqlite3_stmt *s, const hl_store_ds_query *q, const int *types)
{
	int k = 2;
	sqlite3_bind_int(s, 1, q->version);
	for (size_t i = 0; i < q->nconds; i++) {
		const hl_store_ds_cond *c = &q->conds[i];
		if (c->op == HL_Q_NULL || c->op == HL_Q_NOTNULL)
			continue;
		for (size_t j = 0; j < c->n; j++) {
			if (c->op == HL_Q_MATCH)
				sqlite3_bind_text(s, k++, c->values[j], -1, SQLITE_STATIC);
			else
				bind_cell(s, k++, types[c->col], c->values[j]);
		}
	}
}

static int prepare_on(sqlite3_stmt **s, hl_store *st, sqlite3 *db, sqlite3 *own, const char *sql)
{
	if (!own) {
		*s = hl_store__prepare(st, sql);
		return *s ? 0 : -1;
	}
	if (sqlite3_prepare_v2(db, sql, -1, s, NULL) != SQLITE_OK) {
		int rc =
		    hl_error_set(HL_ERROR, "%s: dataset query: %s", st->path, sqlite3_errmsg(db));
		sqlite3_finalize(*s);
		*s = NULL;
		return rc;
	}
	return 0;
}

/* The error of a step that did not reach SQLITE_DONE. */
static int step_error(hl_store *st, sqlite3 *own, const query_clock *clock, unsigned ms)
{
	if (clock->expired)
		return hl_error_set(HL_ELIMIT, "the query took longer than %u ms", ms);
	if (own)
		return hl_error_set(sqlite3_errcode(own) == SQLITE_BUSY ? HL_ECONFLICT : HL_ERROR,
		                    "%s: dataset query: %s", st->path, sqlite3_errmsg(own));
	return hl_store__error(st, "dataset query");
}

int hl_store_ds_select(hl_store *st, int64_t id, const int *types, size_t ncols,
                       const hl_store_ds_query *q,
                       int (*cb)(const char *const *cells, size_t n, void *ud), void *ud)
{
	sqlbuf b = {.ok = 1}, where = {.ok = 1};
	sqlite3_stmt *s = NULL;
	query_clock clock = {0};
	sqlite3 *own = NULL, *db = st->db;
	int aggregate = q->group_col >= 0 || q->naggs;
	size_t nout = 0, k = 1;
	int types_out[1 + HL_SCHEMA_MAX_FIELDS];
	const char *cells[1 + HL_SCHEMA_MAX_FIELDS];
	char nb[1 + HL_SCHEMA_MAX_FIELDS][32];
	unsigned ms = q->timeout_ms ? q->timeout_ms : 1000;
	int rc;

	if (ncols > HL_SCHEMA_MAX_FIELDS || q->ncols_out > HL_SCHEMA_MAX_FIELDS ||
	    q->naggs > HL_SCHEMA_MAX_FIELDS)
		return hl_error_set(HL_ELIMIT, "too many columns");
	if ((rc = add_where(&where, q, ncols, &k)) < 0) {
		free(where.s);
		return rc;
	}
	sb_add(&b, "SELECT ");
	if (aggregate) {
		if (q->group_col >= 0) {
			sb_add(&b, "c%ld", q->group_col);
			types_out[nout++] = types[q->group_col];
		}
		for (size_t i = 0; i < q->naggs; i++) {
			const hl_store_ds_agg *a = &q->aggs[i];
			if (a->kind < HL_DS_AGG_COUNT || a->kind > HL_DS_AGG_MAX ||
			    (a->kind != HL_DS_AGG_COUNT &&
			     (a->col < 0 || (size_t)a->col >= ncols))) {
				free(where.s);
				free(b.s);
				return hl_error_set(HL_EINVALID, "bad aggregate");
			}
			sb_add(&b, "%s", nout ? ", " : "");
			if (a->kind == HL_DS_AGG_COUNT)
				sb_add(&b, "count(*)");
			else
				sb_add(&b, "%s(c%ld)", agg_fn[a->kind], a->col);
			sb_add(&b, " AS a%zu", i);
			types_out[nout++] = a->kind == HL_DS_AGG_COUNT ? HL_FIELD_INTEGER
			                    : a->kind == HL_DS_AGG_AVG ? HL_FIELD_NUMBER
			                                               : types[a->col];
		}
	} else if (q->ncols_out) {
		for (size_t i = 0; i < q->ncols_out; i++) {
			if (q->cols[i] >= ncols) {
				free(where.s);
				free(b.s);
				return hl_error_set(HL_EINVALID, "no column %zu", q->cols[i]);
			}
			sb_add(&b, "%sc%zu", i ? ", " : "", q->cols[i]);
			types_out[nout++] = types[q->cols[i]];
		}
	} else {
		for (size_t i = 0; i < ncols; i++) {
			sb_add(&b, "%sc%zu", i ? ", " : "", i);
			types_out[nout++] = types[i];
		}
	}
	/* an aggregate reads every row of the version: one pass over the table, never through
	 * an index of current keys and a lookup a row (SQLite picks that otherwise, 3x slower) */
	sb_add(&b, " FROM ds_rows_%lld%s WHERE %s", (long long)id, aggregate ? " NOT INDEXED" : "",
	       where.s ? where.s : "");
	if (q->group_col >= 0)
		sb_add(&b, " GROUP BY c%ld", q->group_col);
	if (q->nsort || q->group_col >= 0 || !aggregate) {
		sb_add(&b, " ORDER BY ");
		for (size_t i = 0; i < q->nsort; i++) {
			const hl_store_ds_sort *o = &q->sort[i];
			if (o->agg ? o->col >= q->naggs : o->col >= ncols) {
				free(where.s);
				free(b.s);
				return hl_error_set(HL_EINVALID, "bad sort key");
			}
			sb_add(&b, "%c%zu%s, ", o->agg ? 'a' : 'c', o->col, o->desc ? " DESC" : "");
		}
		if (q->group_col >= 0)
			sb_add(&b, "c%ld", q->group_col);
		else if (!aggregate)
			/* then the table's own order, as it is stored: without a sort, a scan and
			 * no sorter at all, so that the first page of a million rows comes at once
			 * (ORDER BY _seq, which no index serves, sorted them all: 2.4 s). The order
			 * is as loaded but for a row changed by a later load, which comes where its
			 * new version was written. */
			sb_add(&b, "_rid");
		else
			b.n -= 2; /* the last ", " */
	}
	sb_add(&b, " LIMIT ?%zu OFFSET ?%zu", k, k + 1);
	if (!b.ok || !where.ok) {
		free(b.s);
		free(where.s);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	/* An aggregate, a sort or a stream runs on a connection of its own, read-only, whose
	 * temp store is a file: the store's connection keeps its temp store in memory, where
	 * SQLite's sorter (GROUP BY, ORDER BY a field) grows its buffers by realloc (2.5x slower
	 * on a million rows) and holds every row it sorts — all of them for a sorted stream.
	 * With a file the sorter spills past its cache: memory stays bounded. Outside a
	 * transaction only (inside, the caller's uncommitted rows must be seen). */
	if ((aggregate || q->nsort || q->stream) && !st->in_tx &&
	    sqlite3_open_v2(st->path, &own, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) ==
	        SQLITE_OK &&
	    sqlite3_exec(own, "PRAGMA temp_store = FILE; PRAGMA busy_timeout = 5000;", NULL, NULL,
	                 NULL) == SQLITE_OK) {
		db = own;
	} else if (own) {
		sqlite3_close(own);
		own = NULL;
	}
	/* the folding function, when a condition needs it, registered once a connection:
	 * registering again would expire every statement the store keeps prepared */
	for (size_t i = 0; i < q->nconds; i++) {
		sqlite3_stmt *probe = NULL;
		if (q->conds[i].op != HL_Q_MATCH)
			continue;
		if (sqlite3_prepare_v2(db, "SELECT hl_fold_has(NULL, NULL)", -1, &probe, NULL) !=
		    SQLITE_OK)
			sqlite3_create_function(db, "hl_fold_has", 2,
			                        SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fold_has,
			                        NULL, NULL);
		sqlite3_finalize(probe);
		break;
	}
	clock.deadline = mono_s() + ms / 1000.0;
	sqlite3_progress_handler(db, 1000, query_tick, &clock);
	if (q->total && !q->stream) {
		sqlbuf t = {.ok = 1};
		if (q->group_col >= 0)
			sb_add(
			    &t,
			    "SELECT count(*) FROM (SELECT 1 FROM ds_rows_%lld NOT INDEXED WHERE %s "
			    "GROUP BY c%ld)",
			    (long long)id, where.s, q->group_col);
		else if (aggregate)
			sb_add(&t, "SELECT 1");
		else
			sb_add(&t, "SELECT count(*) FROM ds_rows_%lld WHERE %s", (long long)id,
			       where.s);
		if (!t.ok) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto out;
		}
		rc = prepare_on(&s, st, db, own, t.s);
		free(t.s);
		if (rc < 0)
			goto out;
		if (!aggregate || q->group_col >= 0)
			bind_where(s, q, types);
		if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
			rc = step_error(st, own, &clock, ms);
			goto out;
		}
		*q->total = (uint64_t)sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		s = NULL;
	}
	if ((rc = prepare_on(&s, st, db, own, b.s)) < 0)
		goto out;
	bind_where(s, q, types);
	sqlite3_bind_int64(s, (int)k, q->limit ? (sqlite3_int64)q->limit : -1);
	sqlite3_bind_int64(s, (int)k + 1, (sqlite3_int64)q->offset);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (size_t i = 0; i < nout; i++)
			cells[i] = cell_text(s, (int)i, types_out[i], nb[i]);
		int r2 = cb(cells, nout, ud);
		if (r2) {
			rc = r2 < 0 ? r2 : 0;
			goto out;
		}
		if (q->stream)
			clock.deadline = mono_s() + ms / 1000.0;
	}
	rc = rc == SQLITE_DONE ? 0 : step_error(st, own, &clock, ms);
out:
	if (q->expired)
		*q->expired = clock.expired;
	sqlite3_progress_handler(db, 0, NULL, NULL);
	sqlite3_finalize(s);
	sqlite3_close(own);
	free(b.s);
	free(where.s);
	return rc;
}

/* ---- the catalogue's search ("api" section, issue 14: GET /api/v1/datasets, dataset list) ---- */

static void search_row(hl_store_dataset_row *r, sqlite3_stmt *s)
{
	r->id = sqlite3_column_int64(s, 0);
	r->name = hl_store__col(s, 1);
	r->title = hl_store__col(s, 2);
	r->description = hl_store__col(s, 3);
	r->owner = hl_store__col(s, 4);
	r->sector = hl_store__col(s, 5);
	r->keywords = hl_store__col(s, 6);
	r->licence = hl_store__col(s, 7);
	r->frequency = hl_store__col(s, 8);
	r->provenance = hl_store__col(s, 9);
	r->date = hl_store__col(s, 10);
	r->schema = hl_store__col(s, 11);
	r->created_at = hl_store__col(s, 12);
	r->created_by = hl_store__col(s, 13);
	r->access = sqlite3_column_int(s, 14);
	r->version = sqlite3_column_int(s, 15);
	r->rows = sqlite3_column_int64(s, 16);
	r->loaded_at = hl_store__col(s, 17);
}

int hl_store_dataset_search(hl_store *st, const char *sector, const char *owner,
                            int (*cb)(const hl_store_dataset_row *r, void *ud), void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(st, "SELECT " DS_COLS " FROM dataset WHERE (?1 IS NULL"
	                                        " OR sector = ?1) AND (?2 IS NULL OR owner = ?2)"
	                                        " ORDER BY name");
	int rc;
	if (!s)
		return -1;
	hl_store__bind_text(s, 1, sector);
	hl_store__bind_text(s, 2, owner);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_store_dataset_row r;
		search_row(&r, s);
		int r2 = cb(&r, ud);
		if (r2) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return hl_store__error(st, "dataset");
	return 0;
}

int hl_store_ds_holds(int *yes, hl_store *st, int64_t id, size_t col, const char *value)
{
	char sql[160];
	sqlite3_stmt *s;
	int rc;
	snprintf(sql, sizeof(sql),
	         "SELECT 1 FROM ds_rows_%lld WHERE _to IS NULL AND c%zu = ?1 LIMIT 1",
	         (long long)id, col);
	if (!(s = hl_store__prepare(st, sql)))
		return -1;
	sqlite3_bind_text(s, 1, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return hl_store__error(st, "dataset rows");
	*yes = rc == SQLITE_ROW;
	return 0;
}
