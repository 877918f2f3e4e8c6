/* Every SQL statement of custody: fonds and their creators, custody decisions, and the dossier
 * summaries a hand-over receipt lists. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_units.h"
#include "halong/util.h"
#include "store_int.h"

/* Steps `s` to the end, calling row(s) for each row; a callback's positive return stops. */
static int each_row(hl_store *st, sqlite3_stmt *s, int (*row)(sqlite3_stmt *, void *), void *ud,
                    const char *what)
{
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int r = row(s, ud);
		if (r < 0) {
			sqlite3_finalize(s);
			return r;
		}
		if (r > 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = hl_store__error(st, what);
		sqlite3_finalize(s);
		return rc;
	}
	sqlite3_finalize(s);
	return 0;
}

#define FONDS_SQL                                                                                  \
	"SELECT f.code, f.name, f.creator_unit, f.creator_on,"                                     \
	" (SELECT count(*) FROM dossier s WHERE s.fonds_id = f.id),"                               \
	" (SELECT count(*) FROM document d JOIN dossier s ON s.id = d.dossier_id"                  \
	"   WHERE s.fonds_id = f.id)"                                                              \
	" FROM fonds f"

typedef struct {
	hl_store_fonds_cb cb;
	void *ud;
	int seen;
} fonds_ctx;

static int fonds_row(sqlite3_stmt *s, void *ud)
{
	fonds_ctx *c = ud;
	hl_store_fonds_row r = {hl_store__col(s, 0),        hl_store__col(s, 1),
	                        hl_store__col(s, 2),        hl_store__col(s, 3),
	                        sqlite3_column_int64(s, 4), sqlite3_column_int64(s, 5)};
	c->seen = 1;
	return c->cb(&r, c->ud);
}

int hl_store_fonds_get(hl_store *st, const char *code, hl_store_fonds_cb cb, void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(st, FONDS_SQL " WHERE f.code = ?1");
	fonds_ctx c = {cb, ud, 0};
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, code, -1, SQLITE_STATIC);
	if ((rc = each_row(st, s, fonds_row, &c, "fonds")) < 0)
		return rc;
	return c.seen ? 0 : HL_ENOTFOUND;
}

int hl_store_fonds_foreach(hl_store *st, hl_store_fonds_cb cb, void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(st, FONDS_SQL " ORDER BY f.code");
	fonds_ctx c = {cb, ud, 0};
	return s ? each_row(st, s, fonds_row, &c, "fonds") : -1;
}

static int exec1(hl_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, what);
	sqlite3_finalize(s);
	return rc;
}

int hl_store_fonds_set(hl_store *st, const char *code, const char *name, const char *creator,
                       const char *creator_on, const char *actor)
{
	sqlite3_stmt *s;
	char now[32], detail[128];
	int rc, own = !st->in_tx;

	if (own && (rc = hl_store_begin(st)) < 0)
		return rc;
	hl_now_utc(now);
	rc = -1;
	if (!(s = hl_store__prepare(
	          st, "INSERT INTO fonds(code, name, creator_unit, created_at, creator_on)"
	              " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (code) DO UPDATE SET"
	              " name = coalesce(?2, name),"
	              " creator_unit = coalesce(?3, creator_unit),"
	              " creator_on = CASE WHEN ?3 IS NULL THEN creator_on ELSE ?5 END")))
		goto done;
	sqlite3_bind_text(s, 1, code, -1, SQLITE_STATIC);
	hl_store__bind_text(s, 2, name);
	hl_store__bind_text(s, 3, creator);
	sqlite3_bind_text(s, 4, now, -1, SQLITE_STATIC);
	hl_store__bind_text(s, 5, creator_on);
	if ((rc = exec1(st, s, "fonds")) < 0)
		goto done;
	/* the store's cache of the last fonds id stays right: the row keeps its id */
	snprintf(detail, sizeof(detail), "%s%.40s%s", creator ? "creator=" : "",
	         creator ? creator : "", name ? " name set" : "");
	rc = hl_store_audit(st, actor, "fonds.set", code, detail);
done:
	if (own)
		rc = rc < 0 ? (hl_store_rollback(st), rc) : hl_store_commit(st);
	return rc;
}

int hl_store_custody_add(hl_store *st, const hl_store_custody_row *r)
{
	sqlite3_stmt *s;
	char now[32], detail[160];
	int rc, own = !st->in_tx;

	if (own && (rc = hl_store_begin(st)) < 0)
		return rc;
	hl_now_utc(now);
	rc = -1;
	if (!(s = hl_store__prepare(
	          st, "INSERT INTO custody_decision(fonds_code, from_code, effective_date,"
	              " to_code, basis, actor, decided_at)"
	              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")))
		goto done;
	sqlite3_bind_text(s, 1, r->fonds_code, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->from_code, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, r->effective_date, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, r->to_code, -1, SQLITE_STATIC);
	hl_store__bind_text(s, 5, r->basis);
	sqlite3_bind_text(s, 6, r->actor ? r->actor : "system", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, now, -1, SQLITE_STATIC);
	if ((rc = exec1(st, s, "custody decision")) < 0)
		goto done;
	snprintf(detail, sizeof(detail), "%s -> %s on %s", r->from_code, r->to_code,
	         r->effective_date);
	rc = hl_store_audit(st, r->actor, "custody.assign", r->fonds_code, detail);
done:
	if (own)
		rc = rc < 0 ? (hl_store_rollback(st), rc) : hl_store_commit(st);
	return rc;
}

typedef struct {
	hl_store_custody_cb cb;
	void *ud;
	int seen;
} custody_ctx;

static int custody_row(sqlite3_stmt *s, void *ud)
{
	custody_ctx *c = ud;
	hl_store_custody_row r = {hl_store__col(s, 0), hl_store__col(s, 1), hl_store__col(s, 2),
	                          hl_store__col(s, 3), hl_store__col(s, 4), hl_store__col(s, 5),
	                          hl_store__col(s, 6)};
	c->seen = 1;
	return c->cb(&r, c->ud);
}

#define CUSTODY_COLS                                                                               \
	"SELECT fonds_code, from_code, effective_date, to_code, basis, actor, decided_at"          \
	" FROM custody_decision"

int hl_store_custody_get(hl_store *st, const char *fonds, const char *from, const char *date,
                         hl_store_custody_cb cb, void *ud)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, CUSTODY_COLS " WHERE fonds_code = ?1 AND from_code = ?2"
	                                       " AND effective_date = ?3 ORDER BY id DESC LIMIT 1");
	custody_ctx c = {cb, ud, 0};
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, fonds, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, date, -1, SQLITE_STATIC);
	if ((rc = each_row(st, s, custody_row, &c, "custody decision")) < 0)
		return rc;
	return c.seen ? 0 : HL_ENOTFOUND;
}

int hl_store_custody_history(hl_store *st, const char *fonds, hl_store_custody_cb cb, void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(st, CUSTODY_COLS " WHERE fonds_code = ?1 ORDER BY id");
	custody_ctx c = {cb, ud, 0};
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, fonds, -1, SQLITE_STATIC);
	return each_row(st, s, custody_row, &c, "custody decision");
}

/* One dossier being summed up: its documents arrive in ordinal order. */
typedef struct {
	hl_store *st;
	hl_store_dossier_cb cb;
	void *ud;
	int open;
	char *code, *title;
	hl_store_dossier_row r;
	crypto_hash_sha256_state h;
} dossier_ctx;

static int dossier_flush(dossier_ctx *c)
{
	unsigned char md[crypto_hash_sha256_BYTES];
	int rc;
	if (!c->open)
		return 0;
	crypto_hash_sha256_final(&c->h, md);
	sodium_bin2hex(c->r.digest, sizeof(c->r.digest), md, sizeof(md));
	c->r.dossier_code = c->code, c->r.dossier_title = c->title;
	rc = c->cb(&c->r, c->ud);
	free(c->code), free(c->title);
	c->code = c->title = NULL;
	c->open = 0;
	return rc;
}

static int dossier_doc(sqlite3_stmt *s, void *ud)
{
	dossier_ctx *c = ud;
	const char *code = hl_store__col(s, 0);
	int rc;

	if (!c->open || strcmp(c->code, code)) {
		if ((rc = dossier_flush(c)) != 0)
			return rc;
		memset(&c->r, 0, sizeof(c->r));
		c->code = hl_strdup(code);
		c->title = hl_store__col(s, 1) ? hl_strdup(hl_store__col(s, 1)) : NULL;
		if (!c->code)
			return hl_error_set(HL_ENOMEM, "out of memory");
		crypto_hash_sha256_init(&c->h);
		c->open = 1;
	}
	/* the digest: "doc_id content_hash\n" per document, by ordinal; content_hash covers
	 * every field of the document and the SHA-256 of each of its files */
	const char *id = hl_store__col(s, 2), *hash = hl_store__col(s, 3);
	crypto_hash_sha256_update(&c->h, (const unsigned char *)id, strlen(id));
	crypto_hash_sha256_update(&c->h, (const unsigned char *)" ", 1);
	crypto_hash_sha256_update(&c->h, (const unsigned char *)hash, strlen(hash));
	crypto_hash_sha256_update(&c->h, (const unsigned char *)"\n", 1);
	c->r.documents++;
	if (sqlite3_column_type(s, 4) != SQLITE_NULL)
		c->r.pages += sqlite3_column_int64(s, 4);
	c->r.files += sqlite3_column_int64(s, 5);
	c->r.bytes += sqlite3_column_int64(s, 6);
	if (sqlite3_column_int(s, 7) > c->r.max_access)
		c->r.max_access = sqlite3_column_int(s, 7);
	return 0;
}

int hl_store_dossiers_of(hl_store *st, const char *fonds, hl_store_dossier_cb cb, void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "SELECT s.code, s.title, d.doc_id, d.content_hash, d.page_count,"
	        " (SELECT count(*) FROM document_file x WHERE x.document_id = d.id),"
	        " (SELECT coalesce(sum(size), 0) FROM document_file x WHERE x.document_id = d.id),"
	        " d.access"
	        " FROM document d JOIN dossier s ON s.id = d.dossier_id"
	        " JOIN fonds f ON f.id = s.fonds_id WHERE f.code = ?1"
	        " ORDER BY s.code, d.ordinal");
	dossier_ctx c = {.st = st, .cb = cb, .ud = ud};
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, fonds, -1, SQLITE_STATIC);
	rc = each_row(st, s, dossier_doc, &c, "dossiers");
	if (rc == 0)
		rc = dossier_flush(&c);
	free(c.code), free(c.title);
	return rc < 0 ? rc : 0;
}
