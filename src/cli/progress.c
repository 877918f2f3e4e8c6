/* Progress for long commands: a bar with rate and time left on a terminal, plain lines every few
 * seconds otherwise (logs, CI). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_progress_init(cli_progress *p, int quiet)
{
	memset(p, 0, sizeof(*p));
	p->tty = isatty(STDERR_FILENO);
	p->quiet = quiet;
	p->start = p->last = now_s();
}

static void human(char *buf, size_t n, double v, int bytes)
{
	if (bytes && v >= 1e6)
		snprintf(buf, n, "%.1f MB", v / 1e6);
	else if (bytes && v >= 1e3)
		snprintf(buf, n, "%.1f kB", v / 1e3);
	else if (bytes)
		snprintf(buf, n, "%.0f B", v);
	else
		snprintf(buf, n, "%.0f", v);
}

int cli_progress_cb(const char *what, uint64_t done, uint64_t total, void *ud)
{
	cli_progress *p = ud;
	double t = now_s(), el, rate;
	int bytes = !strcmp(what, "ingest");
	/* OCR is slow enough to count per minute */
	int per_min = !strcmp(what, "ocr");
	const char *unit = bytes ? "/s" : per_min ? " pages/min" : " docs/s";
	char rbuf[32], eta[32] = "", dbuf[32], tbuf[32];

	if (p->quiet)
		return 0;
	if (strcmp(p->what, what)) {
		/* A new phase: finish the previous bar and restart the clock. */
		if (p->tty && p->drawn)
			fputc('\n', stderr);
		snprintf(p->what, sizeof(p->what), "%s", what);
		p->start = p->last = t;
		p->drawn = 0;
	}
	el = t - p->start;
	if (p->tty ? (t - p->last < 0.1 && done != total) : (t - p->last < 5.0))
		return 0;
	p->last = t;
	rate = el > 0 ? (double)done / el : 0;
	human(rbuf, sizeof(rbuf), per_min ? rate * 60 : rate, bytes);
	human(dbuf, sizeof(dbuf), (double)done, bytes);
	human(tbuf, sizeof(tbuf), (double)total, bytes);
	if (total && rate > 0 && done < total) {
		double left = (double)(total - done) / rate;
		snprintf(eta, sizeof(eta), "%d:%02d left", (int)left / 60, (int)left % 60);
	}
	if (p->tty) {
		int width = 30, fill = total ? (int)((double)done * width / (double)total) : 0;
		char bar[64];
		if (fill > width)
			fill = width;
		memset(bar, '#', (size_t)fill);
		memset(bar + fill, '-', (size_t)(width - fill));
		bar[width] = '\0';
		fprintf(stderr, "\r%-7s [%s] %3d%%  %s/%s  %s%s  %s\033[K", what, bar,
		        total ? (int)(done * 100 / total) : 0, dbuf, tbuf, rbuf, unit, eta);
		p->drawn = 1;
	} else {
		fprintf(stderr, "%s: %s of %s (%d%%), %s%s %s\n", what, dbuf, tbuf,
		        total ? (int)(done * 100 / total) : 0, rbuf, unit, eta);
	}
	fflush(stderr);
	return 0;
}

void cli_progress_done(cli_progress *p)
{
	if (p->tty && p->drawn && !p->quiet)
		fputc('\n', stderr);
	p->drawn = 0;
}
