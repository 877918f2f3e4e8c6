/* Fuzz target of the units loader (src/lib/units/load.c): the unit, succession and event files
 * of data/units, as one input, loaded by hl_units_load into a store. The input holds the files
 * one after the other, each started by a line "@@ NAME" (NAME one of the files the loader
 * reads; text before the first such line is events.csv):
 *
 *     @@ events.csv
 *     event_id,effective_date,legal_basis,kind,scope_code,description
 *     ...
 *     @@ quangninh_units_2025.csv
 *     ...
 *
 * The loader needs a store (it checks parents, successions and cycles there), so the target
 * keeps one SQLite store in memory, made once, and runs each input inside a transaction that it
 * rolls back: every run starts from the same empty store, at the cost of a rollback instead of a
 * new store and its schema. Invariants: a load either succeeds or fails with HL_EINVALID,
 * HL_ELIMIT or HL_ENOTFOUND and a message naming the file (and line); a load that succeeded,
 * done again, adds nothing (history is never rewritten, and loading twice says so). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "halong/units.h"
#include "store/store.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_units: %s:%d: %s\n", __FILE__, __LINE__, #cond);     \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The shipped files are 1.7 MB; a fuzzing input needs a few rows of each. */
#define FUZZ_MAX_INPUT (256 * 1024)

/* hl_units_files has seven names; setup() checks that it still has. */
#define NFILES 7
#define files  hl_units_files

static hl_store *st;
static char dir[64];

static void remove_dir(const char *d)
{
	char path[512];
	for (size_t i = 0; i < NFILES; i++) {
		snprintf(path, sizeof(path), "%s/%s", d, files[i]);
		unlink(path);
	}
	rmdir(d);
}

static void cleanup(void)
{
	remove_dir(dir);
	hl_store_free(st);
}

/* The folder of the files, named after the process: libFuzzer often ends a process without
 * running atexit (a crash, a timeout, the end of a merge), so each new one also removes the
 * folders of processes that are gone. */
static void setup(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	DIR *d = opendir(base);
	for (struct dirent *e; d && (e = readdir(d));) {
		long pid;
		char *end;
		if (strncmp(e->d_name, "fuzz_units.", 11))
			continue;
		pid = strtol(e->d_name + 11, &end, 10);
		if (*end || pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH)) {
			char old[320];
			snprintf(old, sizeof(old), "%s/%.255s", base, e->d_name);
			remove_dir(old);
		}
	}
	if (d)
		closedir(d);
	snprintf(dir, sizeof(dir), "%s/fuzz_units.%ld", base, (long)getpid());
	remove_dir(dir);
	CHECK(hl_units_files[NFILES - 1] && !hl_units_files[NFILES]);
	CHECK(mkdir(dir, 0700) == 0);
	CHECK(hl_store_open(&st, ":memory:", 1) == 0);
	atexit(cleanup);
}

/* The file a "@@ NAME" line names, or -1. */
static int file_of(const char *name, size_t n)
{
	while (n && (name[n - 1] == '\r' || name[n - 1] == ' '))
		n--;
	for (size_t i = 0; i < NFILES; i++)
		if (strlen(files[i]) == n && !memcmp(files[i], name, n))
			return (int)i;
	return -1;
}

static void write_file(int which, const uint8_t *p, size_t n)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, files[which]);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK(n == 0 || write(fd, p, n) == (ssize_t)n);
	close(fd);
}

/* Splits the input into its files and writes them; the others are removed. */
static void write_files(const uint8_t *data, size_t size)
{
	int present[NFILES] = {0};
	int cur = 0, named = 0; /* events.csv until a "@@" line says otherwise */
	size_t start = 0, i = 0;
	while (i < size) {
		size_t e = i;
		while (e < size && data[e] != '\n')
			e++;
		if (e - i >= 3 && !memcmp(data + i, "@@ ", 3)) {
			if (cur >= 0 && (named || i > start)) {
				write_file(cur, data + start, i - start);
				present[cur] = 1;
			}
			cur = file_of((const char *)data + i + 3, e - i - 3);
			named = 1;
			start = e < size ? e + 1 : size;
		}
		i = e + 1;
	}
	if (cur >= 0 && (named || size > start)) {
		write_file(cur, data + start, size - start);
		present[cur] = 1;
	}
	for (size_t k = 0; k < NFILES; k++) {
		if (present[k])
			continue;
		char path[128];
		snprintf(path, sizeof(path), "%s/%s", dir, files[k]);
		unlink(path);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (!st)
		setup();
	write_files(data, size);

	hl_units_load_stats a = {0}, b = {0};
	CHECK(hl_store_begin(st) == 0);
	int rc = hl_units_load(&a, st, dir, NULL, NULL, NULL);
	if (rc < 0) {
		if (rc != HL_EINVALID && rc != HL_ELIMIT && rc != HL_ENOTFOUND)
			fprintf(stderr, "fuzz_units: load gives %d: %s\n", rc, hl_error_last());
		CHECK(rc == HL_EINVALID || rc == HL_ELIMIT || rc == HL_ENOTFOUND);
		/* naming the file (or the row's source, dir/file:line), on one printable line
		 * whatever the values quoted in it (corpus/units/crash-message-line-break.txt:
		 * line breaks and terminal escapes came through) */
		CHECK(strncmp(hl_error_last(), dir, strlen(dir)) == 0);
		for (const unsigned char *m = (const unsigned char *)hl_error_last(); *m; m++)
			CHECK(*m >= 0x20 && *m != 0x7f);
	} else {
		CHECK(rc == 0);
		CHECK(a.events >= (int64_t)a.events_added);
		CHECK(a.versions >= (int64_t)a.versions_added);
		/* Loading the same files again changes nothing, and says so. */
		rc = hl_units_load(&b, st, dir, NULL, NULL, NULL);
		if (rc != 0)
			fprintf(stderr, "fuzz_units: the second load fails: %s\n", hl_error_last());
		CHECK(rc == 0);
		CHECK(b.versions_added == 0 && b.successions_added == 0 && b.events_added == 0 &&
		      b.versions_split == 0);
		CHECK(b.versions == a.versions && b.codes == a.codes &&
		      b.successions == a.successions && b.events == a.events);
	}
	CHECK(hl_store_rollback(st) == 0);
	return 0;
}
