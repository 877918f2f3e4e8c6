/* Every SQL statement of the reference-data feed: the hub's entries and a node's position per
 * feed (schema migration 7). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_feed.h"
#include "halong/util.h"
#include "store_int.h"

static int exec1(hl_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return hl_store__error(st, what);
	return 0;
}

int hl_store_feed_last(int64_t *seq, char hash[65], hl_store *st, const char *feed)
{
	sqlite3_stmt *s = hl_store__prepare(st, "SELECT seq, hash FROM feed_entry WHERE feed = ?1"
	                                        " ORDER BY seq DESC LIMIT 1");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, feed, -1, SQLITE_STATIC);
	*seq = 0;
	hash[0] = '\0';
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(s, 0);
		snprintf(hash, 65, "%s", hl_store__col(s, 1) ? hl_store__col(s, 1) : "");
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return hl_store__error(st, "feed: last entry");
	return 0;
}

int hl_store_feed_content_seq(int64_t *seq, hl_store *st, const char *feed, const char *content)
{
	sqlite3_stmt *s = hl_store__prepare(st, "SELECT min(seq) FROM feed_entry WHERE feed = ?1"
	                                        " AND content = ?2");
	int rc;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, feed, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, content, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	*seq = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return hl_store__error(st, "feed: content");
	return 0;
}

int hl_store_feed_add(hl_store *st, const char *feed, int64_t seq, int64_t created_ms,
                      const char *hash, const char *content, const char *doc)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "INSERT INTO feed_entry (feed, seq, created_ms, hash,"
	                          " content, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, feed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, seq);
	sqlite3_bind_int64(s, 3, created_ms);
	sqlite3_bind_text(s, 4, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, content, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, doc, -1, SQLITE_STATIC);
	return exec1(st, s, "feed: add entry");
}

int hl_store_feed_each(hl_store *st, const char *feed, int64_t after, size_t limit,
                       size_t max_bytes,
                       int (*cb)(int64_t seq, const char *doc, size_t len, void *ud), void *ud)
{
	sqlite3_stmt *s = hl_store__prepare(st, "SELECT seq, doc FROM feed_entry WHERE feed = ?1"
	                                        " AND seq > ?2 ORDER BY seq LIMIT ?3");
	size_t total = 0;
	int rc, r = 0;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, feed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, after);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		size_t len = (size_t)sqlite3_column_bytes(s, 1);
		if ((r = cb(sqlite3_column_int64(s, 0), hl_store__col(s, 1), len, ud)) != 0)
			break;
		total += len;
		if (total > max_bytes)
			break;
	}
	sqlite3_finalize(s);
	if (r)
		return r;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return hl_store__error(st, "feed: entries");
	return 0;
}

int hl_store_feed_pos_get(hl_store *st, const char *feed, hl_store_feed_pos *out)
{
	sqlite3_stmt *s =
	    hl_store__prepare(st, "SELECT seq, hash, hub_seq, last_pull_ms, last_applied_ms,"
	                          " last_error, last_error_ms FROM feed_position WHERE feed = ?1");
	int rc;
	memset(out, 0, sizeof(*out));
	out->hub_seq = -1;
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, feed, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->seq = sqlite3_column_int64(s, 0);
		snprintf(out->hash, sizeof(out->hash), "%s",
		         hl_store__col(s, 1) ? hl_store__col(s, 1) : "");
		out->hub_seq = sqlite3_column_int64(s, 2);
		out->last_pull_ms = sqlite3_column_int64(s, 3);
		out->last_applied_ms = sqlite3_column_int64(s, 4);
		out->last_error = hl_store__col(s, 5) ? hl_strdup(hl_store__col(s, 5)) : NULL;
		out->last_error_ms = sqlite3_column_int64(s, 6);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return hl_store__error(st, "feed: position");
	return 0;
}

int hl_store_feed_pos_applied(hl_store *st, const char *feed, int64_t seq, const char *hash,
                              int64_t at_ms)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st,
	    "INSERT INTO feed_position (feed, seq, hash, last_applied_ms) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT (feed) DO UPDATE SET seq = ?2, hash = ?3, last_applied_ms = ?4,"
	    " hub_seq = max(hub_seq, ?2), last_error = NULL, last_error_ms = NULL");
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, feed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, seq);
	sqlite3_bind_text(s, 3, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, at_ms);
	return exec1(st, s, "feed: move the position");
}

int hl_store_feed_pos_pulled(hl_store *st, const char *feed, int64_t hub_seq, int64_t at_ms,
                             int clear_error)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "INSERT INTO feed_position (feed, hub_seq, last_pull_ms) VALUES (?1, ?2, ?3)"
	        " ON CONFLICT (feed) DO UPDATE SET hub_seq = ?2, last_pull_ms = ?3,"
	        " last_error = CASE WHEN ?4 THEN NULL ELSE last_error END,"
	        " last_error_ms = CASE WHEN ?4 THEN NULL ELSE last_error_ms END");
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, feed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, hub_seq);
	sqlite3_bind_int64(s, 3, at_ms);
	sqlite3_bind_int(s, 4, clear_error);
	return exec1(st, s, "feed: record a pull");
}

int hl_store_feed_pos_error(hl_store *st, const char *feed, const char *error, int64_t at_ms)
{
	sqlite3_stmt *s = hl_store__prepare(
	    st, "INSERT INTO feed_position (feed, last_error, last_error_ms) VALUES (?1, ?2, ?3)"
	        " ON CONFLICT (feed) DO UPDATE SET last_error = ?2, last_error_ms = ?3");
	if (!s)
		return -1;
	sqlite3_bind_text(s, 1, feed, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, at_ms);
	return exec1(st, s, "feed: record an error");
}
