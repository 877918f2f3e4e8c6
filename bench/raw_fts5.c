/* The raw SQLite FTS5 baseline of the search benchmark: the queries as plain FTS5 MATCH on the
 * table the sqlite3 shell built (unicode61 remove_diacritics 2), ranked by bm25, top 10.
 *
 *   raw_fts5 DB QUERIES OUT    warm-up pass, then a timed pass; OUT gets one line a query:
 *                              "<microseconds>\t<id>,<id>,..."
 * Each word is quoted ("word") so that no query is an FTS5 syntax error; words are ANDed, which
 * is FTS5's default. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#define MAX_QUERIES 100000
#define MAX_QUERY   4096

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* "a b" -> "\"a\" \"b\"" (quotes inside a word doubled). */
static void quote_words(char *out, size_t cap, const char *q)
{
	size_t o = 0;
	const char *p = q;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (o && o + 1 < cap)
			out[o++] = ' ';
		if (o + 1 < cap)
			out[o++] = '"';
		for (; *p && *p != ' ' && *p != '\t'; p++) {
			if (*p == '"' && o + 1 < cap)
				out[o++] = '"';
			if (o + 1 < cap)
				out[o++] = *p;
		}
		if (o + 1 < cap)
			out[o++] = '"';
	}
	out[o] = 0;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: raw_fts5 DB QUERIES OUT\n");
		return 2;
	}
	FILE *f = fopen(argv[2], "r");
	if (!f) {
		perror(argv[2]);
		return 1;
	}
	static char *qs[MAX_QUERIES];
	static double us[MAX_QUERIES];
	static char *ids[MAX_QUERIES];
	size_t nq = 0;
	char line[MAX_QUERY];
	while (nq < MAX_QUERIES && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = 0;
		size_t cap = 3 * strlen(line) + 8;
		qs[nq] = malloc(cap);
		quote_words(qs[nq], cap, line);
		nq++;
	}
	fclose(f);

	sqlite3 *db;
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "raw_fts5: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db,
	                       "SELECT doc_id FROM fts WHERE fts MATCH ?1 ORDER BY rank LIMIT 10",
	                       -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "raw_fts5: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	for (int pass = 0; pass < 2; pass++) { /* pass 0 warms the caches */
		for (size_t i = 0; i < nq; i++) {
			char top[1024] = "";
			size_t o = 0;
			double t0 = now_us();
			sqlite3_bind_text(st, 1, qs[i], -1, SQLITE_STATIC);
			int rc;
			while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
				const char *id = (const char *)sqlite3_column_text(st, 0);
				o += (size_t)snprintf(top + o, sizeof top - o, "%s%s", o ? "," : "",
				                      id ? id : "");
				if (o >= sizeof top)
					o = sizeof top - 1;
			}
			if (rc != SQLITE_DONE)
				fprintf(stderr, "raw_fts5: query %zu: %s\n", i + 1,
				        sqlite3_errmsg(db));
			sqlite3_reset(st);
			us[i] = now_us() - t0;
			free(ids[i]);
			ids[i] = strdup(top);
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(db);

	FILE *o = fopen(argv[3], "w");
	if (!o) {
		perror(argv[3]);
		return 1;
	}
	for (size_t i = 0; i < nq; i++) {
		fprintf(o, "%.1f\t%s\n", us[i], ids[i]);
		free(ids[i]);
		free(qs[i]);
	}
	fclose(o);
	return 0;
}
