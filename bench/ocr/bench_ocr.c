/* OCR throughput of libhalong: N worker threads, one engine each, pulling pages from a shared
 * counter; prints pages per minute, peak memory and error rates against ground truth. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "halong/ocr.h"

typedef struct {
	char **files;
	int n;
	atomic_int next;
	hl_ocr_eval_result *res;
	double *secs;
	int failed;
	pthread_mutex_t mu;
} work;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static long rss_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, key, strlen(key)) == 0)
			v = atol(line + strlen(key) + 1);
	if (f)
		fclose(f);
	return v;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *b = malloc((size_t)n + 1);
	b[fread(b, 1, (size_t)n, f)] = 0;
	fclose(f);
	return b;
}

static void *worker(void *arg)
{
	work *w = arg;
	hl_ocr_engine *e = NULL;
	if (hl_ocr_engine_new(&e, NULL, NULL) != 0) {
		fprintf(stderr, "bench_ocr: %s\n", hl_error_last());
		pthread_mutex_lock(&w->mu);
		w->failed++;
		pthread_mutex_unlock(&w->mu);
		return NULL;
	}
	int i;
	while ((i = atomic_fetch_add(&w->next, 1)) < w->n) {
		hl_ocr_page p;
		double t0 = now();
		if (hl_ocr_page_run(&p, e, w->files[i], NULL, 1, NULL) != 0) {
			fprintf(stderr, "bench_ocr: %s\n", hl_error_last());
			pthread_mutex_lock(&w->mu);
			w->failed++;
			pthread_mutex_unlock(&w->mu);
			continue;
		}
		w->secs[i] = now() - t0;
		/* ground truth beside the page: x.png -> x.txt */
		char tp[4096];
		snprintf(tp, sizeof tp, "%s", w->files[i]);
		char *dot = strrchr(tp, '.');
		if (dot && (size_t)(dot - tp) + 5 < sizeof tp) {
			strcpy(dot, ".txt");
			char *truth = slurp(tp);
			if (truth)
				hl_ocr_eval(&w->res[i], truth, p.text);
			free(truth);
		}
		hl_ocr_page_free(&p);
	}
	hl_ocr_engine_free(e);
	return NULL;
}

int main(int argc, char **argv)
{
	int jobs = 2, first = 1;
	if (argc > 2 && strcmp(argv[1], "--jobs") == 0) {
		jobs = atoi(argv[2]);
		first = 3;
	}
	if (jobs < 1 || first >= argc) {
		fprintf(stderr, "usage: bench_ocr [--jobs N] PAGE.png...\n");
		return 2;
	}
	work w = {.files = argv + first, .n = argc - first};
	atomic_init(&w.next, 0);
	pthread_mutex_init(&w.mu, NULL);
	w.res = calloc((size_t)w.n, sizeof *w.res);
	w.secs = calloc((size_t)w.n, sizeof *w.secs);
	long base_kb = rss_kb("VmRSS:");
	pthread_t *t = calloc((size_t)jobs, sizeof *t);
	double t0 = now();
	for (int k = 0; k < jobs; k++)
		pthread_create(&t[k], NULL, worker, &w);
	for (int k = 0; k < jobs; k++)
		pthread_join(t[k], NULL);
	double wall = now() - t0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	long peak_kb = rss_kb("VmHWM:");
	uint64_t ce = 0, ct = 0, we = 0, wt = 0;
	double busy = 0;
	for (int i = 0; i < w.n; i++) {
		ce += w.res[i].char_edits;
		ct += w.res[i].char_total;
		we += w.res[i].word_edits;
		wt += w.res[i].word_total;
		busy += w.secs[i];
	}
	int done = w.n - w.failed;
	double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	             ru.ru_stime.tv_usec / 1e6;
	printf("halong jobs=%d pages=%d failed=%d wall=%.2fs pages_per_min=%.2f "
	       "mean_page_s=%.2f cpu=%.1fs peak_rss_mb=%.1f per_worker_mb=%.1f cer=%.4f wer=%.4f\n",
	       jobs, done, w.failed, wall, done * 60.0 / wall, done ? busy / done : 0, cpu,
	       peak_kb / 1024.0, (peak_kb - base_kb) / 1024.0 / jobs, ct ? (double)ce / ct : 0,
	       wt ? (double)we / wt : 0);
	free(t);
	free(w.res);
	free(w.secs);
	return w.failed ? 1 : 0;
}
