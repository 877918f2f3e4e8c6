/* The store's figures for a node's metrics: counts, the OCR queue and pace, the feeds'
 * positions. Read only; every statement is a count or a sum over an index or a small table. */
#include <string.h>

#include "store/store_metrics.h"
#include "store_int.h"

static int one(int64_t *out, hl_store *st, const char *sql)
{
	sqlite3_stmt *s = hl_store__prepare(st, sql);
	int rc;
	if (!s)
		return -1;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		rc = 0;
	} else {
		rc = hl_store__error(st, "metrics");
	}
	sqlite3_finalize(s);
	return rc;
}

static int pages(hl_store_metrics *m, hl_store *st)
{
	/* from the index page_state (state, ...) alone */
	sqlite3_stmt *s = hl_store__prepare(st, "SELECT state, count(*) FROM page GROUP BY state");
	int rc;
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *state = hl_store__col(s, 0);
		int64_t n = sqlite3_column_int64(s, 1);
		if (!state)
			continue;
		if (!strcmp(state, "pending"))
			m->pages_pending = n;
		else if (!strcmp(state, "done"))
			m->pages_done = n;
		else if (!strcmp(state, "failed"))
			m->pages_failed = n;
	}
	rc = rc == SQLITE_DONE ? 0 : hl_store__error(st, "metrics: pages");
	sqlite3_finalize(s);
	return rc;
}

static int ocr_runs(hl_store_metrics *m, hl_store *st)
{
	sqlite3_stmt *s = hl_store__prepare(st, "SELECT coalesce(sum(pages_done), 0),"
	                                        " coalesce(sum(pages_failed), 0),"
	                                        " coalesce(sum(seconds), 0) FROM ocr_run");
	int rc;
	if (!s)
		return -1;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		m->ocr_done_total = sqlite3_column_int64(s, 0);
		m->ocr_failed_total = sqlite3_column_int64(s, 1);
		m->ocr_seconds_total = sqlite3_column_double(s, 2);
		rc = 0;
	} else {
		rc = hl_store__error(st, "metrics: OCR runs");
	}
	sqlite3_finalize(s);
	return rc;
}

int hl_store_metrics_get(hl_store_metrics *out, hl_store *st)
{
	hl_store_metrics m = {0};
	int rc, own = !st->in_tx;

	/* one read transaction: the figures are of one committed state (WAL: writers go on) */
	if (own && sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return hl_store__error(st, "metrics: begin");
	if ((rc = one(&m.documents, st, "SELECT count(*) FROM document")) < 0 ||
	    (rc = one(&m.blobs, st, "SELECT count(*) FROM blob")) < 0 ||
	    (rc = one(&m.blob_bytes, st, "SELECT coalesce(sum(size), 0) FROM blob")) < 0 ||
	    (rc = one(&m.queue_seq, st,
	              "SELECT coalesce((SELECT seq FROM sqlite_sequence"
	              " WHERE name = 'index_queue'), 0)")) < 0 ||
	    (rc = pages(&m, st)) < 0 || (rc = ocr_runs(&m, st)) < 0)
		goto done;
	*out = m;
done:
	if (own)
		sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	return rc < 0 ? rc : 0;
}

int hl_store_metrics_feeds(hl_store *st, hl_store_feed_metrics_cb cb, void *ud)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "WITH feeds(f) AS (SELECT DISTINCT feed FROM feed_entry"
	                          " UNION SELECT feed FROM feed_position)"
	                          " SELECT f, (SELECT max(seq) FROM feed_entry WHERE feed = f),"
	                          " p.seq, p.hub_seq, p.last_pull_ms"
	                          " FROM feeds LEFT JOIN feed_position p ON p.feed = f ORDER BY f");
	int rc, r = 0;
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *feed = hl_store__col(s, 0);
		int has_pub = sqlite3_column_type(s, 1) != SQLITE_NULL;
		int has_pos = sqlite3_column_type(s, 2) != SQLITE_NULL;
		if (!feed)
			continue;
		if ((r = cb(feed, has_pub ? sqlite3_column_int64(s, 1) : -1,
		            has_pos ? sqlite3_column_int64(s, 2) : -1,
		            has_pos ? sqlite3_column_int64(s, 3) : -1,
		            has_pos ? sqlite3_column_int64(s, 4) : 0, ud)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = hl_store__error(st, "metrics: feeds");
	sqlite3_finalize(s);
	return r < 0 ? r : 0;
}
