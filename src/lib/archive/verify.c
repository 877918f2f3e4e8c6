/* `halong verify`: re-hashes every blob the store knows and reports missing and corrupt ones,
 * and walks the blobs folder for files the store does not know (orphans). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>

#include "archive_int.h"
#include "halong/util.h"

/* A folder's entry names, sorted (strcmp: the store lists hashes in the same order). */
typedef struct {
	char **v;
	size_t n, i;
} names;

typedef struct {
	hl_archive *a;
	hl_verify_result r;
	hl_verify_cb on_problem;
	hl_progress_cb progress;
	void *ud;
	uint64_t total;
	/* blobs/ walked beside the store's list, both in hash order (a merge: one folder of
	 * names in memory at a time, whatever the number of blobs) */
	int blobs_fd;
	names subs;  /* blobs/ab folders */
	names files; /* the entries of the current one */
	char sub[3];
	char disk[65]; /* the next blob on disk, "" at the end */
} verify;

static void names_free(names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int cmp_name(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The entries of the folder `dirfd`/`path` (not "." and ".."), sorted. A folder that cannot be
 * read is an error naming it. */
static int names_read(names *out, int dirfd, const char *path, const char *shown)
{
	int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	names l = {0};
	size_t cap = 0;
	struct dirent *e;

	if (!d) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		return hl_error_set(HL_EIO, "%s: cannot read: %s", shown, strerror(err));
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (l.n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **nv = realloc(l.v, ncap * sizeof(*nv));
			if (!nv)
				goto nomem;
			l.v = nv, cap = ncap;
		}
		if (!(l.v[l.n] = hl_strdup(e->d_name)))
			goto nomem;
		l.n++;
	}
	closedir(d);
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), cmp_name);
	*out = l;
	return 0;
nomem:
	closedir(d);
	names_free(&l);
	return hl_error_set(HL_ENOMEM, "out of memory");
}

static int is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return !s[n];
}

static void orphan(verify *v, const char *what, const char *detail)
{
	v->r.orphans++;
	if (v->on_problem)
		v->on_problem(what, "orphan", detail, v->ud);
}

/* A file of blobs/ that is not named like a blob (a stray temporary file, say). */
static void stray(verify *v, const char *sub, const char *name)
{
	char path[512];
	struct stat st;
	int isdir = !sub && fstatat(v->blobs_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	            S_ISDIR(st.st_mode);
	snprintf(path, sizeof(path), "blobs/%s%s%s", sub ? sub : "", sub ? "/" : "", name);
	orphan(v, path, isdir ? "a folder that is not a blob folder" : "not named like a blob");
}

/* Moves v->disk to the next blob file on disk in hash order ("" at the end), reporting the
 * entries of blobs/ that are not blobs on the way. */
static int disk_next(verify *v)
{
	v->disk[0] = '\0';
	for (;;) {
		while (v->files.i < v->files.n) {
			const char *n = v->files.v[v->files.i++];
			if (is_hex(n, 62)) {
				snprintf(v->disk, sizeof(v->disk), "%s%s", v->sub, n);
				return 0;
			}
			stray(v, v->sub, n);
		}
		names_free(&v->files);
		if (v->subs.i >= v->subs.n)
			return 0;
		const char *s = v->subs.v[v->subs.i++];
		char shown[64];
		snprintf(shown, sizeof(shown), "blobs/%s", s);
		memcpy(v->sub, s, 3);
		if (names_read(&v->files, v->blobs_fd, s, shown) < 0)
			return -1;
	}
}

/* A blob on disk the store does not know: nothing refers to it. */
static void disk_orphan(verify *v)
{
	char detail[128], rel[8];
	struct stat st;
	snprintf(rel, sizeof(rel), "%.2s", v->disk);
	int fd = openat(v->blobs_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && fstatat(fd, v->disk + 2, &st, AT_SYMLINK_NOFOLLOW) == 0)
		snprintf(detail, sizeof(detail), "%lld bytes in blobs/, not known to the store",
		         (long long)st.st_size);
	else
		snprintf(detail, sizeof(detail), "in blobs/, not known to the store");
	if (fd >= 0)
		close(fd);
	orphan(v, v->disk, detail);
}

/* The disk's blobs before `sha` are orphans; `sha` itself, when on disk, is passed. */
static int disk_until(verify *v, const char *sha)
{
	while (v->disk[0] && (!sha || strcmp(v->disk, sha) < 0)) {
		disk_orphan(v);
		if (disk_next(v) < 0)
			return -1;
	}
	if (sha && v->disk[0] && !strcmp(v->disk, sha))
		return disk_next(v);
	return 0;
}

static int check_blob(const char *sha, int64_t size, void *ud)
{
	verify *v = ud;
	char got[65], detail[200];
	int64_t got_size;
	char *path;
	int rc;

	if (v->blobs_fd >= 0 && disk_until(v, sha) < 0)
		return -1;
	if (!(path = hl_blob_path(v->a, sha)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	v->r.checked++;
	rc = hl_sha256_file(got, &got_size, path);
	free(path);
	if (rc == HL_ENOTFOUND) {
		v->r.missing++;
		if (v->on_problem)
			v->on_problem(sha, "missing", "the blob file is gone", v->ud);
	} else if (rc < 0) {
		v->r.corrupt++;
		if (v->on_problem)
			v->on_problem(sha, "corrupt", hl_error_last(), v->ud);
	} else if (strcmp(got, sha) || got_size != size) {
		v->r.corrupt++;
		snprintf(detail, sizeof(detail), "content hashes to %s, %lld bytes (recorded %lld)",
		         got, (long long)got_size, (long long)size);
		if (v->on_problem)
			v->on_problem(sha, "corrupt", detail, v->ud);
	} else {
		v->r.ok++;
	}
	if (v->progress && (v->r.checked % 64 == 0 || v->r.checked == v->total) &&
	    v->progress("verify", v->r.checked, v->total, v->ud))
		return hl_error_set(HL_ERROR, "verify stopped");
	return 0;
}

/* Opens blobs/ and lists its folders; entries that are not blob folders are reported. */
static int walk_start(verify *v)
{
	names top = {0};
	struct stat st;
	size_t k = 0;

	if ((v->blobs_fd = open(v->a->blobs, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return hl_error_set(HL_EIO, "%s: cannot read: %s", v->a->blobs, strerror(errno));
	if (names_read(&top, v->blobs_fd, ".", "blobs") < 0)
		return -1;
	for (size_t i = 0; i < top.n; i++) {
		if (is_hex(top.v[i], 2) &&
		    fstatat(v->blobs_fd, top.v[i], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode)) {
			top.v[k++] = top.v[i];
			continue;
		}
		stray(v, NULL, top.v[i]);
		free(top.v[i]);
	}
	top.n = k;
	v->subs = top;
	return disk_next(v);
}

/* Temporary copies in tmp/ whose ingest is gone (killed): nobody will finish or remove them
 * until the next ingest sweeps them. A running ingest's are not reported. */
static int tmp_orphans(verify *v)
{
	names l = {0};
	char what[300], detail[128];
	long pid;
	int fd = open(v->a->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return 0; /* no tmp/: nothing left in it */
	int rc = names_read(&l, fd, ".", "tmp");
	close(fd);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < l.n; i++) {
		if (!hl_archive__blob_tmp_pid(&pid, l.v[i]) || !hl_archive__pid_gone(pid))
			continue;
		snprintf(what, sizeof(what), "tmp/%s", l.v[i]);
		snprintf(detail, sizeof(detail),
		         "a blob's temporary copy left by process %ld, which is gone", pid);
		orphan(v, what, detail);
	}
	names_free(&l);
	return 0;
}

int hl_archive_verify(hl_verify_result *out, hl_archive *a, hl_verify_cb on_problem,
                      hl_progress_cb progress, void *ud)
{
	verify v = {.a = a, .on_problem = on_problem, .progress = progress, .ud = ud};
	hl_store_stats st;
	int rc = -1;

	v.blobs_fd = -1;
	if (hl_store_stats_get(&st, a->store) < 0)
		goto done;
	v.total = (uint64_t)st.blobs;
	if (walk_start(&v) < 0 || hl_store_blob_foreach(a->store, check_blob, &v) < 0 ||
	    disk_until(&v, NULL) < 0 || tmp_orphans(&v) < 0)
		goto done;
	*out = v.r;
	rc = 0;
done:
	if (v.blobs_fd >= 0)
		close(v.blobs_fd);
	names_free(&v.subs);
	names_free(&v.files);
	return rc;
}
