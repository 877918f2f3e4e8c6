/* The halong side of the search benchmark: opens a data directory's index and store in-process,
 * as the server does, and runs each query through hl_index_search (top 10, every access level).
 *
 *   bench_search [--api] HOME QUERIES OUT
 *                                    warm-up pass, then a timed pass; OUT gets one line a query:
 *                                    "<microseconds>\t<doc_id>,<doc_id>,..."
 *   --api: as GET /api/v1/search asks for an anonymous caller (public documents only, 20 hits,
 *          HTML snippets, facets counted; env HL_BENCH_NOFACETS=1: without facets, to see
 *          their share); prints the mean, p50 and p99 of the timed pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "search/search.h"
#include "store/store.h"

#define MAX_QUERIES 100000
#define MAX_QUERY   4096

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	int api = argc == 5 && !strcmp(argv[1], "--api");
	if (api)
		argv++, argc--;
	if (argc != 4) {
		fprintf(stderr, "usage: bench_search [--api] HOME QUERIES OUT\n");
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
		qs[nq++] = strdup(line);
	}
	fclose(f);

	char path[4096];
	hl_index *ix = NULL;
	hl_store *st = NULL;
	snprintf(path, sizeof path, "%s/index", argv[1]);
	if (hl_index_open(&ix, path, 0) < 0) {
		fprintf(stderr, "bench_search: %s: %s\n", path, hl_error_last());
		return 1;
	}
	snprintf(path, sizeof path, "%s/halong.db", argv[1]);
	if (hl_store_open(&st, path, 0) < 0) {
		fprintf(stderr, "bench_search: %s: %s\n", path, hl_error_last());
		return 1;
	}
	size_t errors = 0;
	for (int pass = 0; pass < 2; pass++) { /* pass 0 warms the caches */
		for (size_t i = 0; i < nq; i++) {
			char top[1024] = "";
			size_t o = 0;
			hl_index_query opts = {0};
			opts.query = qs[i];
			opts.limit = 10;
			opts.max_access = HL_ACCESS_SECRET;
			if (api) {
				opts.limit = 20;
				opts.max_access = HL_ACCESS_PUBLIC;
				opts.scoped = 1;
				opts.html = 1;
				opts.facets = !getenv("HL_BENCH_NOFACETS");
			}
			hl_hits *h = NULL;
			double t0 = now_us();
			int rc = hl_index_search(&h, ix, st, &opts);
			if (rc == 0) {
				for (size_t k = 0; k < h->n; k++) {
					const char *id = h->hits[k].doc_id;
					o += (size_t)snprintf(top + o, sizeof top - o, "%s%s",
					                      o ? "," : "", id ? id : "");
					if (o >= sizeof top)
						o = sizeof top - 1;
				}
				hl_hits_free(h);
			} else if (pass == 1) {
				errors++;
				fprintf(stderr, "bench_search: query %zu \"%s\": %s\n", i + 1,
				        qs[i], hl_error_last());
			}
			us[i] = now_us() - t0;
			free(ids[i]);
			ids[i] = strdup(top);
		}
	}
	hl_store_free(st);
	hl_index_free(ix);
	if (api && nq) {
		double *sorted = malloc(nq * sizeof(*sorted)), sum = 0;
		for (size_t i = 0; i < nq; i++)
			sorted[i] = us[i], sum += us[i];
		for (size_t i = 1; i < nq; i++) /* insertion sort: a few hundred values */
			for (size_t j = i; j > 0 && sorted[j] < sorted[j - 1]; j--) {
				double t = sorted[j];
				sorted[j] = sorted[j - 1];
				sorted[j - 1] = t;
			}
		printf("bench_search --api: %zu queries, mean %.2f ms, p50 %.2f ms, p99 %.2f ms, "
		       "max %.2f ms\n",
		       nq, sum / (double)nq / 1e3, sorted[nq / 2] / 1e3,
		       sorted[(nq * 99) / 100 < nq ? (nq * 99) / 100 : nq - 1] / 1e3,
		       sorted[nq - 1] / 1e3);
		free(sorted);
	}

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
	return errors ? 3 : 0;
}
