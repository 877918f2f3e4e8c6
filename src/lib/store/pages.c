/* Every SQL statement of pages and their OCR: the queue (pending pages), results, review and
 * the pace of runs. */
#include <stdlib.h>
#include <string.h>

#include "halong/util.h"
#include "store_int.h"

static int exec1(hl_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, what);
	sqlite3_finalize(s);
	return rc;
}

static int64_t document_id(hl_store *st, const char *doc_id)
{
	sqlite3_stmt *s = hl_store__prepare(st, "SELECT id FROM document WHERE doc_id = ?1");
	int64_t id = 0;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, doc_id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return id;
}

int hl_store_pages_queue(uint64_t *queued, hl_store *st, const char *doc_id,
                         const hl_store_page_file *files, size_t n)
{
	sqlite3_stmt *del = NULL, *ins = NULL, *renum = NULL;
	int64_t id = document_id(st, doc_id);
	uint64_t added = 0;
	char now[32];
	int rc = -1, seq = 0;

	if (id < 0)
		return -1;
	if (!id)
		return hl_error_set(HL_ENOTFOUND, "unknown document %s", doc_id);
	hl_now_utc(now);
	/* pages of files that are no longer the document's (or changed) go */
	if (!(del =
	          hl_store__prepare(st, "DELETE FROM page WHERE document_id = ?1 AND NOT EXISTS ("
	                                " SELECT 1 FROM document_file f WHERE f.document_id = ?1"
	                                " AND f.seq = page.file_seq AND f.sha256 = page.sha256)")))
		return -1;
	sqlite3_bind_int64(del, 1, id);
	if ((rc = exec1(st, del, "drop pages")) < 0)
		return rc;
	rc = -1;
	if (!(ins = hl_store__prepare(
	          st, "INSERT INTO page(document_id, file_seq, page_no, sha256, seq,"
	              " state, dpi, warn_flags, queued_at)"
	              " VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7, ?8)"
	              " ON CONFLICT (document_id, file_seq, page_no) DO NOTHING")) ||
	    !(renum = hl_store__prepare(st, "UPDATE page SET seq = ?4 WHERE document_id = ?1 AND"
	                                    " file_seq = ?2 AND page_no = ?3 AND seq <> ?4")))
		goto done;
	for (size_t i = 0; i < n; i++) {
		for (uint32_t p = 1; p <= files[i].pages; p++) {
			seq++;
			sqlite3_reset(ins);
			sqlite3_bind_int64(ins, 1, id);
			sqlite3_bind_int(ins, 2, files[i].file_seq);
			sqlite3_bind_int(ins, 3, (int)p);
			sqlite3_bind_text(ins, 4, files[i].sha256, -1, SQLITE_STATIC);
			sqlite3_bind_int(ins, 5, seq);
			if (files[i].dpi && files[i].dpi[p - 1])
				sqlite3_bind_int(ins, 6, (int)files[i].dpi[p - 1]);
			else
				sqlite3_bind_null(ins, 6);
			sqlite3_bind_int(ins, 7, files[i].warn ? (int)files[i].warn[p - 1] : 0);
			sqlite3_bind_text(ins, 8, now, -1, SQLITE_STATIC);
			if (sqlite3_step(ins) != SQLITE_DONE) {
				hl_store__error(st, "queue page");
				goto done;
			}
			if (sqlite3_changes(st->db) > 0) {
				added++;
				continue;
			}
			/* a known page keeps its state; only its place in the document may move */
			sqlite3_reset(renum);
			sqlite3_bind_int64(renum, 1, id);
			sqlite3_bind_int(renum, 2, files[i].file_seq);
			sqlite3_bind_int(renum, 3, (int)p);
			sqlite3_bind_int(renum, 4, seq);
			if (sqlite3_step(renum) != SQLITE_DONE) {
				hl_store__error(st, "renumber page");
				goto done;
			}
		}
	}
	rc = 0;
	if (queued)
		*queued = added;
done:
	sqlite3_finalize(ins);
	sqlite3_finalize(renum);
	return rc;
}

/* RESULT: p.result, or NULL where the words' JSON is not needed (it is most of a page). The
 * current correction's author and time come from page_text (t). */
#define PAGE_COLS_R(RESULT)                                                                        \
	"p.document_id, d.doc_id, f.name, p.sha256, p.state, p.error, p.text, " RESULT ","         \
	" p.done_at, p.file_seq, p.page_no, p.seq, p.attempts, p.dpi, p.from_text_layer,"          \
	" p.warn_flags, p.mean_conf, p.ms, d.access, p.text_version, p.machine_text, t.actor,"     \
	" t.at, p.approved_by, p.approved_at, p.check_rule, p.check_unknown, p.check_low,"         \
	" p.check_chars, p.check_score, p.check_words"
#define PAGE_NCOLS 31 /* columns of PAGE_COLS_R */
#define PAGE_COLS  PAGE_COLS_R("p.result")
#define PAGE_FROM                                                                                  \
	" FROM page p JOIN document d ON d.id = p.document_id"                                     \
	" LEFT JOIN document_file f ON f.document_id = p.document_id AND f.seq = p.file_seq"       \
	" LEFT JOIN page_text t ON t.document_id = p.document_id AND t.file_seq = p.file_seq"      \
	" AND t.page_no = p.page_no AND t.sha256 = p.sha256 AND t.version = p.text_version"

static void page_row(hl_page_row *r, sqlite3_stmt *s)
{
	*r = (hl_page_row){
	    .document_id = sqlite3_column_int64(s, 0),
	    .doc_id = hl_store__col(s, 1),
	    .file_name = hl_store__col(s, 2),
	    .sha256 = hl_store__col(s, 3),
	    .state = hl_store__col(s, 4),
	    .error = hl_store__col(s, 5),
	    .text = hl_store__col(s, 6),
	    .result = hl_store__col(s, 7),
	    .done_at = hl_store__col(s, 8),
	    .file_seq = sqlite3_column_int(s, 9),
	    .page_no = sqlite3_column_int(s, 10),
	    .seq = sqlite3_column_int(s, 11),
	    .attempts = sqlite3_column_int(s, 12),
	    .dpi = sqlite3_column_int(s, 13),
	    .from_text_layer = sqlite3_column_int(s, 14),
	    .warn_flags = (unsigned)sqlite3_column_int(s, 15),
	    .mean_conf =
	        sqlite3_column_type(s, 16) == SQLITE_NULL ? -2.0 : sqlite3_column_double(s, 16),
	    .ms = sqlite3_column_int64(s, 17),
	    .access = (hl_access)sqlite3_column_int(s, 18),
	    .text_version = sqlite3_column_int(s, 19),
	    .machine_text = hl_store__col(s, 20),
	    .corrected_by = hl_store__col(s, 21),
	    .corrected_at = hl_store__col(s, 22),
	    .approved_by = hl_store__col(s, 23),
	    .approved_at = hl_store__col(s, 24),
	    .check_rule = sqlite3_column_type(s, 25) == SQLITE_NULL ? 0 : sqlite3_column_int(s, 25),
	    .unknown_words = (unsigned)sqlite3_column_int(s, 26),
	    .low_conf_words = (unsigned)sqlite3_column_int(s, 27),
	    .bad_chars = (unsigned)sqlite3_column_int(s, 28),
	    .suspect = (unsigned)sqlite3_column_int(s, 29),
	    .suspect_words = hl_store__col(s, 30),
	};
}

static int each_page(hl_store *st, sqlite3_stmt *s, hl_page_cb cb, void *ud, int *seen)
{
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_page_row r;
		int r2;
		page_row(&r, s);
		if (seen)
			*seen = 1;
		if ((r2 = cb(&r, ud)) != 0) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "read pages");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_pages_pending(hl_store *st, int64_t document_id, int file_seq, int page_no, size_t max,
                           hl_page_cb cb, void *ud)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "SELECT " PAGE_COLS PAGE_FROM " WHERE p.state = 'pending'"
	                          " AND (p.document_id, p.file_seq, p.page_no) > (?1, ?2, ?3)"
	                          " ORDER BY p.document_id, p.file_seq, p.page_no LIMIT ?4");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, document_id);
	sqlite3_bind_int(s, 2, file_seq);
	sqlite3_bind_int(s, 3, page_no);
	sqlite3_bind_int64(s, 4, (int64_t)max);
	return each_page(st, s, cb, ud, NULL);
}

int hl_store_pages_of(hl_store *st, const char *doc_id, hl_page_cb cb, void *ud)
{
	int64_t id = document_id(st, doc_id);
	sqlite3_stmt *s;
	if (id < 0)
		return -1;
	if (!id)
		return hl_error_set(HL_ENOTFOUND, "no document %s", doc_id);
	if (!(s = hl_store__prepare(st, "SELECT " PAGE_COLS PAGE_FROM " WHERE p.document_id = ?1"
	                                " ORDER BY p.file_seq, p.page_no")))
		return -1;
	sqlite3_bind_int64(s, 1, id);
	return each_page(st, s, cb, ud, NULL);
}

/* A review's page: no result, and its document's fonds (the last column) for the visibility
 * rule. */
#define REVIEW_COLS PAGE_COLS_R("NULL") ", fo.code"
#define REVIEW_FROM                                                                                \
	PAGE_FROM " JOIN dossier ds ON ds.id = d.dossier_id JOIN fonds fo ON fo.id = ds.fonds_id"

int hl_store_pages_review(hl_store *st, double below, size_t max, hl_store_review_cb cb, void *ud)
{
	/* flagged by the rule, or the machine's text under the confidence asked; an approved page
	 * is done with (page_review, a partial index, holds exactly the candidates' order) */
	sqlite3_stmt *s = hl_store__prepare(
	    st,
	    "SELECT " REVIEW_COLS REVIEW_FROM " WHERE p.state = 'done' AND p.approved_at IS NULL"
	    " AND (p.check_score > 0 OR (p.text_version = 0 AND p.from_text_layer = 0"
	    " AND p.mean_conf < ?1))"
	    " ORDER BY p.check_score DESC, p.mean_conf, p.document_id, p.seq LIMIT ?2");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_double(s, 1, below);
	sqlite3_bind_int64(s, 2, (int64_t)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_page_row r;
		int r2;
		page_row(&r, s);
		if ((r2 = cb(&r, hl_store__col(s, PAGE_NCOLS), ud)) != 0) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "read pages");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_pages_unchecked(hl_store *st, int rule, size_t max, hl_page_cb cb, void *ud)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "SELECT " PAGE_COLS PAGE_FROM " WHERE p.state = 'done'"
	                          " AND (p.check_rule IS NULL OR p.check_rule <> ?1)"
	                          " ORDER BY p.document_id, p.file_seq, p.page_no LIMIT ?2");
	if (!s)
		return -1;
	sqlite3_bind_int(s, 1, rule);
	sqlite3_bind_int64(s, 2, (int64_t)max);
	return each_page(st, s, cb, ud, NULL);
}

int hl_store_pages_unchecked_count(int64_t *n, hl_store *st, int rule)
{
	sqlite3_stmt *s = hl_store__prepare(st, "SELECT count(*) FROM page WHERE state = 'done'"
	                                        " AND (check_rule IS NULL OR check_rule <> ?1)");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_int(s, 1, rule);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*n = sqlite3_column_int64(s, 0);
		rc = 0;
	} else {
		rc = hl_store__error(st, "count pages");
	}
	sqlite3_finalize(s);
	return rc;
}

/* Binds a check to parameters first..first+5: rule, unknown, low, chars, score, words. */
static void bind_check(sqlite3_stmt *s, int first, const hl_store_page_check *c)
{
	if (c && c->rule)
		sqlite3_bind_int(s, first, c->rule);
	else
		sqlite3_bind_null(s, first);
	sqlite3_bind_int(s, first + 1, c ? (int)c->unknown : 0);
	sqlite3_bind_int(s, first + 2, c ? (int)c->low_conf : 0);
	sqlite3_bind_int(s, first + 3, c ? (int)c->bad_chars : 0);
	sqlite3_bind_int(s, first + 4, c ? (int)c->score : 0);
	if (c && c->words)
		sqlite3_bind_text(s, first + 5, c->words, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, first + 5);
}

int hl_store_page_check_set(int *changed, hl_store *st, int64_t document_id, int file_seq,
                            int page_no, int text_version, const hl_store_page_check *c)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "UPDATE page SET check_rule = ?4, check_unknown = ?5, check_low = ?6,"
	        " check_chars = ?7, check_score = ?8, check_words = ?9"
	        " WHERE document_id = ?1 AND file_seq = ?2 AND page_no = ?3"
	        " AND text_version = ?10 AND state = 'done'");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, document_id);
	sqlite3_bind_int(s, 2, file_seq);
	sqlite3_bind_int(s, 3, page_no);
	bind_check(s, 4, c);
	sqlite3_bind_int(s, 10, text_version);
	if ((rc = exec1(st, s, "page check")) == 0 && changed)
		*changed = sqlite3_changes(st->db);
	return rc;
}

int hl_store_pages_done(hl_store *st, hl_page_cb cb, void *ud)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "SELECT " PAGE_COLS PAGE_FROM " WHERE p.state = 'done'"
	                          " ORDER BY p.document_id, p.file_seq, p.page_no");
	return s ? each_page(st, s, cb, ud, NULL) : -1;
}

int hl_store_pages_failed(hl_store *st, size_t max, hl_page_cb cb, void *ud)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "SELECT " PAGE_COLS PAGE_FROM " WHERE p.state = 'failed'"
	                          " ORDER BY p.done_at DESC, p.document_id, p.seq LIMIT ?1");
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, (int64_t)max);
	return each_page(st, s, cb, ud, NULL);
}

/* One entry per document waiting: an entry means "index this document as the store has it
 * when the entry is applied", so the newest one covers the older ones, which go. One per page
 * made the index read and tokenise a 300-page document 300 times after a run (and report "300
 * documents re-indexed"). The queue's seq is AUTOINCREMENT: the new entry is above whatever an
 * index has applied, deleting rows never lowers it. */
static int queue_index(hl_store *st, int64_t document_id)
{
	sqlite3_stmt *s = hl_store__prepare(st, "DELETE FROM index_queue WHERE document_id = ?1");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, document_id);
	if ((rc = exec1(st, s, "queue for index")) < 0)
		return rc;
	if (!(s = hl_store__prepare(st, "INSERT INTO index_queue(document_id) VALUES (?1)")))
		return -1;
	sqlite3_bind_int64(s, 1, document_id);
	return exec1(st, s, "queue for index");
}

int hl_store_page_done(hl_store *st, const hl_store_page_result *r)
{
	sqlite3_stmt *s;
	char now[32];
	int rc, own = !st->in_tx;

	if (own && (rc = hl_store_begin(st)) < 0)
		return rc;
	hl_now_utc(now);
	rc = -1;
	if (!(s = hl_store__prepare(
	          st, "UPDATE page SET state = 'done', error = NULL,"
	              " attempts = attempts + 1, text = ?4, result = ?5, dpi = ?6,"
	              " from_text_layer = ?7, warn_flags = ?8, mean_conf = ?9, ms = ?10,"
	              " done_at = ?11, text_version = 0, machine_text = NULL,"
	              " approved_by = NULL, approved_at = NULL, check_rule = ?12,"
	              " check_unknown = ?13, check_low = ?14, check_chars = ?15,"
	              " check_score = ?16, check_words = ?17"
	              " WHERE document_id = ?1 AND file_seq = ?2 AND page_no = ?3")))
		goto done;
	sqlite3_bind_int64(s, 1, r->document_id);
	sqlite3_bind_int(s, 2, r->file_seq);
	sqlite3_bind_int(s, 3, r->page_no);
	sqlite3_bind_text(s, 4, r->text ? r->text : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, r->result ? r->result : "{}", -1, SQLITE_STATIC);
	if (r->dpi > 0)
		sqlite3_bind_int(s, 6, r->dpi);
	else
		sqlite3_bind_null(s, 6);
	sqlite3_bind_int(s, 7, r->from_text_layer);
	sqlite3_bind_int(s, 8, (int)r->warn_flags);
	sqlite3_bind_double(s, 9, r->mean_conf);
	sqlite3_bind_int64(s, 10, r->ms);
	sqlite3_bind_text(s, 11, now, -1, SQLITE_STATIC);
	bind_check(s, 12, &r->check);
	if ((rc = exec1(st, s, "page result")) < 0)
		goto done;
	/* the document's text changed: the index learns it through the queue */
	rc = queue_index(st, r->document_id);
done:
	if (own)
		rc = rc < 0 ? (hl_store_rollback(st), rc) : hl_store_commit(st);
	return rc;
}

int hl_store_page_fail(hl_store *st, int64_t document_id, int file_seq, int page_no,
                       const char *error, int64_t ms)
{
	sqlite3_stmt *s;
	char now[32];
	int rc, own = !st->in_tx;

	if (own && (rc = hl_store_begin(st)) < 0)
		return rc;
	hl_now_utc(now);
	rc = -1;
	if ((s = hl_store__prepare(st,
	                           "UPDATE page SET state = 'failed', error = ?4,"
	                           " attempts = attempts + 1, ms = ?5, done_at = ?6"
	                           " WHERE document_id = ?1 AND file_seq = ?2 AND page_no = ?3"))) {
		sqlite3_bind_int64(s, 1, document_id);
		sqlite3_bind_int(s, 2, file_seq);
		sqlite3_bind_int(s, 3, page_no);
		sqlite3_bind_text(s, 4, error ? error : "failed", -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 5, ms);
		sqlite3_bind_text(s, 6, now, -1, SQLITE_STATIC);
		rc = exec1(st, s, "page failure");
	}
	if (own)
		rc = rc < 0 ? (hl_store_rollback(st), rc) : hl_store_commit(st);
	return rc;
}

/* ---- a person's text and approval ---- */

/* The key of a page in a statement's parameters 1-3. */
static void bind_key(sqlite3_stmt *s, int64_t document_id, int file_seq, int page_no)
{
	sqlite3_bind_int64(s, 1, document_id);
	sqlite3_bind_int(s, 2, file_seq);
	sqlite3_bind_int(s, 3, page_no);
}

int hl_store_page_text_put(int *version, hl_store *st, const hl_store_page_text *t)
{
	sqlite3_stmt *s;
	int v = 0, rc;

	if (!st->in_tx)
		return hl_error_set(HL_ERROR, "a page's text is saved inside a transaction");
	/* the next number of this page's file: a page queued again for the same file after a
	 * change of the document goes on from its history, never over it */
	if (!(s = hl_store__prepare(st, "SELECT coalesce(max(version), 0) FROM page_text"
	                                " WHERE document_id = ?1 AND file_seq = ?2"
	                                " AND page_no = ?3 AND sha256 = ?4")))
		return -1;
	bind_key(s, t->document_id, t->file_seq, t->page_no);
	sqlite3_bind_text(s, 4, t->sha256, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0) + 1;
	sqlite3_finalize(s);
	if (!v)
		return hl_store__error(st, "page text");
	if (!(s = hl_store__prepare(st, "INSERT INTO page_text(document_id, file_seq, page_no,"
	                                " sha256, version, text, actor, at)"
	                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")))
		return -1;
	bind_key(s, t->document_id, t->file_seq, t->page_no);
	sqlite3_bind_text(s, 4, t->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, v);
	sqlite3_bind_text(s, 6, t->text, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, t->actor && *t->actor ? t->actor : "system", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, t->at, -1, SQLITE_STATIC);
	if ((rc = exec1(st, s, "page text")) < 0)
		return rc;
	/* the machine's text is kept the first time; the result (words, boxes) is not touched */
	if (!(s = hl_store__prepare(
	          st, "UPDATE page SET machine_text = coalesce(machine_text, text), text = ?4,"
	              " text_version = ?5, approved_by = NULL, approved_at = NULL,"
	              " check_rule = ?6, check_unknown = ?7, check_low = ?8, check_chars = ?9,"
	              " check_score = ?10, check_words = ?11"
	              " WHERE document_id = ?1 AND file_seq = ?2 AND page_no = ?3"
	              " AND sha256 = ?12 AND state = 'done'")))
		return -1;
	bind_key(s, t->document_id, t->file_seq, t->page_no);
	sqlite3_bind_text(s, 4, t->text, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, v);
	bind_check(s, 6, &t->check);
	sqlite3_bind_text(s, 12, t->sha256, -1, SQLITE_STATIC);
	if ((rc = exec1(st, s, "page text")) < 0)
		return rc;
	if (sqlite3_changes(st->db) != 1)
		return hl_error_set(HL_ECONFLICT, "the page changed meanwhile");
	/* the document's text changed: the index learns it through the queue */
	if ((rc = queue_index(st, t->document_id)) < 0)
		return rc;
	*version = v;
	return 0;
}

int hl_store_page_approve(hl_store *st, int64_t document_id, int file_seq, int page_no,
                          int text_version, const char *actor, const char *at)
{
	sqlite3_stmt *s;
	int rc;
	if (!(s = hl_store__prepare(st, "UPDATE page SET approved_by = ?4, approved_at = ?5"
	                                " WHERE document_id = ?1 AND file_seq = ?2"
	                                " AND page_no = ?3 AND text_version = ?6"
	                                " AND state = 'done'")))
		return -1;
	bind_key(s, document_id, file_seq, page_no);
	sqlite3_bind_text(s, 4, actor && *actor ? actor : "system", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, at, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, text_version);
	if ((rc = exec1(st, s, "approve page")) < 0)
		return rc;
	return sqlite3_changes(st->db) == 1
	           ? 0
	           : hl_error_set(HL_ECONFLICT, "the page's text changed meanwhile");
}

int hl_store_page_texts(hl_store *st, int64_t document_id, int file_seq, int page_no,
                        const char *sha256, hl_store_page_text_cb cb, void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(st, "SELECT version, text, actor, at FROM page_text"
	                                        " WHERE document_id = ?1 AND file_seq = ?2"
	                                        " AND page_no = ?3 AND sha256 = ?4"
	                                        " ORDER BY version");
	int rc;
	if (!s)
		return -1;
	bind_key(s, document_id, file_seq, page_no);
	sqlite3_bind_text(s, 4, sha256, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int r2 = cb(sqlite3_column_int(s, 0), hl_store__col(s, 1), hl_store__col(s, 2),
		            hl_store__col(s, 3), ud);
		if (r2 != 0) {
			sqlite3_finalize(s);
			return r2 < 0 ? r2 : 0;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "page texts");
	sqlite3_finalize(s);
	return rc;
}

int hl_store_pages_retry(uint64_t *n, hl_store *st)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "UPDATE page SET state = 'pending' WHERE state = 'failed'");
	int rc;
	if (!s)
		return -1;
	if ((rc = exec1(st, s, "retry pages")) == 0 && n)
		*n = (uint64_t)sqlite3_changes(st->db);
	return rc;
}

int hl_store_pages_count(hl_store_pages_stats *out, hl_store *st)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "SELECT count(*) FILTER (WHERE state = 'pending'),"
	        " count(*) FILTER (WHERE state = 'done'), count(*) FILTER (WHERE state = 'failed'),"
	        " count(DISTINCT document_id), count(*) FILTER (WHERE from_text_layer = 1),"
	        " avg(mean_conf) FILTER (WHERE state = 'done' AND from_text_layer = 0)"
	        " FROM page");
	hl_store_pages_stats r = {0};
	int rc;
	if (!s)
		return -1;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r.pending = sqlite3_column_int64(s, 0);
		r.done = sqlite3_column_int64(s, 1);
		r.failed = sqlite3_column_int64(s, 2);
		r.documents = sqlite3_column_int64(s, 3);
		r.text_layer = sqlite3_column_int64(s, 4);
		r.mean_conf =
		    sqlite3_column_type(s, 5) == SQLITE_NULL ? -1.0 : sqlite3_column_double(s, 5);
		rc = 0;
	} else {
		rc = hl_store__error(st, "count pages");
	}
	sqlite3_finalize(s);
	if (rc == 0)
		*out = r;
	return rc;
}

int hl_store_ocr_run_begin(int64_t *id, hl_store *st, int jobs)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "INSERT INTO ocr_run(started_at, jobs) VALUES (?1, ?2)");
	char now[32];
	int rc;
	if (!s)
		return -1;
	hl_now_utc(now);
	sqlite3_bind_text(s, 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, jobs);
	if ((rc = exec1(st, s, "ocr run")) == 0)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int hl_store_ocr_run_update(hl_store *st, int64_t id, int64_t done, int64_t failed, double seconds,
                            int ended)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "UPDATE ocr_run SET pages_done = ?2, pages_failed = ?3,"
	                          " seconds = ?4, ended_at = ?5 WHERE id = ?1");
	char now[32];
	if (!s)
		return -1;
	hl_now_utc(now);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, done);
	sqlite3_bind_int64(s, 3, failed);
	sqlite3_bind_double(s, 4, seconds);
	if (ended)
		sqlite3_bind_text(s, 5, now, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 5);
	return exec1(st, s, "ocr run");
}

int hl_store_ocr_run_last(hl_store *st, int (*cb)(const hl_store_ocr_run *r, void *ud), void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(st, "SELECT id, started_at, ended_at, jobs, pages_done,"
	                                        " pages_failed, seconds FROM ocr_run"
	                                        " WHERE pages_done + pages_failed > 0"
	                                        " ORDER BY id DESC LIMIT 1");
	int rc;
	if (!s)
		return -1;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hl_store_ocr_run r = {sqlite3_column_int64(s, 0), hl_store__col(s, 1),
		                      hl_store__col(s, 2),        sqlite3_column_int(s, 3),
		                      sqlite3_column_int64(s, 4), sqlite3_column_int64(s, 5),
		                      sqlite3_column_double(s, 6)};
		rc = cb(&r, ud);
		rc = rc < 0 ? rc : 0;
	} else {
		rc = rc == SQLITE_DONE ? HL_ENOTFOUND : hl_store__error(st, "ocr run");
	}
	sqlite3_finalize(s);
	return rc;
}

/* ---- with visibility (docs/api.md): only pages of documents the caller may see ---- */

static int vis_begin(hl_store *st, const hl_store_vis *v)
{
	return hl_store__scope_table(st, v->all ? NULL : v->scope, v->all ? 0 : v->nscope);
}

static void vis_bind(sqlite3_stmt *s, const hl_store_vis *v)
{
	sqlite3_bind_int(s, 1, hl_store__cap_level(v->max_level));
	sqlite3_bind_int(s, 2, v->all != 0);
}

#define VIS_JOIN                                                                                   \
	" JOIN dossier s ON s.id = d.dossier_id JOIN fonds f ON f.id = s.fonds_id "                \
	"WHERE" HL_STORE_VISIBLE

int hl_store_pages_count_visible(hl_store_pages_stats *out, hl_store *st, const hl_store_vis *v)
{
	sqlite3_stmt *s;
	hl_store_pages_stats r = {0};
	int rc;
	if ((rc = vis_begin(st, v)) < 0)
		return rc;
	s = hl_store__prepare(
	    st, "SELECT count(*) FILTER (WHERE p.state = 'pending'),"
	        " count(*) FILTER (WHERE p.state = 'done'),"
	        " count(*) FILTER (WHERE p.state = 'failed'),"
	        " count(DISTINCT p.document_id),"
	        " count(*) FILTER (WHERE p.from_text_layer = 1),"
	        " avg(p.mean_conf) FILTER (WHERE p.state = 'done' AND p.from_text_layer = 0)"
	        " FROM page p JOIN document d ON d.id = p.document_id" VIS_JOIN);
	if (!s)
		return -1;
	vis_bind(s, v);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r.pending = sqlite3_column_int64(s, 0);
		r.done = sqlite3_column_int64(s, 1);
		r.failed = sqlite3_column_int64(s, 2);
		r.documents = sqlite3_column_int64(s, 3);
		r.text_layer = sqlite3_column_int64(s, 4);
		r.mean_conf =
		    sqlite3_column_type(s, 5) == SQLITE_NULL ? -1.0 : sqlite3_column_double(s, 5);
		rc = 0;
	} else {
		rc = hl_store__error(st, "count pages");
	}
	sqlite3_finalize(s);
	if (rc == 0)
		*out = r;
	return rc;
}

int hl_store_pages_failed_visible(hl_store *st, const hl_store_vis *v, size_t max, hl_page_cb cb,
                                  void *ud)
{
	sqlite3_stmt *s;
	int rc;
	if ((rc = vis_begin(st, v)) < 0)
		return rc;
	/* PAGE_FROM's f is the document's file: the rule, which names the fonds f, picks the
	 * documents in a subquery of its own (joined in, "f.name" was ambiguous and the statement
	 * never prepared) */
	s = hl_store__prepare(st, "SELECT " PAGE_COLS PAGE_FROM
	                          " WHERE p.state = 'failed' AND p.document_id IN"
	                          " (SELECT d.id FROM document d" VIS_JOIN ")"
	                          " ORDER BY p.done_at DESC, p.document_id, p.seq LIMIT ?3");
	if (!s)
		return -1;
	vis_bind(s, v);
	sqlite3_bind_int64(s, 3, (int64_t)max);
	return each_page(st, s, cb, ud, NULL);
}
