/* A node's data directory: its layout, opening it, the content-addressed blob store. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "archive_int.h"
#include "halong/util.h"
#include "halong/units.h"
#include "halong/exchange.h"
#include "halong/feed.h"

void hl_archive_versions(hl_versions *out)
{
	out->halong = HL_VERSION;
	out->schema = hl_store_schema_latest();
	out->exchange = HL_EXCHANGE_PROTOCOL;
	out->feed = HL_FEED_PROTOCOL;
}

char *hl_archive_home(const char *home)
{
	const char *env = getenv("HALONG_HOME");
	if (home && *home)
		return hl_strdup(home);
	if (env && *env)
		return hl_strdup(env);
	return hl_strdup("./halong-data");
}

static const char conf_text[] =
    "# halong node configuration (key = value). See docs/cli.md.\n"
    "# The unit this node belongs to (administrative code), set when the node is registered.\n"
    "# unit_code =\n";

int hl_archive_init(const char *home)
{
	char *p = NULL;
	hl_store *st = NULL;
	int rc = -1;
	const char *dirs[] = {"blobs", "index", "keys", "tmp"};

	if (hl_mkdir_p(home, 0755) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		free(p);
		p = hl_path_join(home, dirs[i]);
		/* keys/ holds the node's signing key: nobody else may read it. */
		if (hl_mkdir_p(p, strcmp(dirs[i], "keys") ? 0755 : 0700) < 0)
			goto done;
	}
	free(p);
	p = hl_path_join(home, "halong.conf");
	if (!hl_file_exists(p) && hl_write_atomic(p, conf_text, sizeof(conf_text) - 1, 0644) < 0)
		goto done;
	free(p);
	p = hl_path_join(home, "halong.db");
	if (hl_store_open(&st, p, 1) < 0)
		goto done;
	rc = 0;
done:
	hl_store_free(st);
	free(p);
	return rc;
}

int hl_archive_open(hl_archive **out, const char *home)
{
	hl_archive *a = calloc(1, sizeof(*a));
	char *db = NULL;
	int rc;

	if (!a)
		return hl_error_set(HL_ENOMEM, "out of memory");
	a->home = hl_strdup(home);
	db = hl_path_join(home, "halong.db");
	if (!hl_file_exists(db)) {
		free(db);
		hl_archive_free(a);
		return hl_error_set(HL_ENOTFOUND,
		                    "%s: not a halong data directory (run `halong --home %s init`)",
		                    home, home);
	}
	rc = hl_store_open(&a->store, db, 0);
	free(db);
	if (rc < 0) {
		hl_archive_free(a);
		return rc;
	}
	a->blobs = hl_path_join(home, "blobs");
	a->tmp = hl_path_join(home, "tmp");
	a->index_dir = hl_path_join(home, "index");
	*out = a;
	return 0;
}

void hl_archive_free(hl_archive *a)
{
	if (!a)
		return;
	hl_index_free(a->index);
	hl_index_free(a->reader);
	hl_custodies_free(a->custody);
	for (size_t i = 0; i < HL_ARCHIVE__COUNT_SETS * HL_ARCHIVE__COUNT_WAYS; i++)
		hl_archive__counts_clear(&a->counts[i]);
	hl_store_free(a->store);
	free(a->home);
	free(a->blobs);
	free(a->tmp);
	free(a->index_dir);
	free(a);
}

hl_store *hl_archive_store(hl_archive *a)
{
	return a->store;
}

const char *hl_archive_dir(hl_archive *a)
{
	return a->home;
}

/* How long a writer waits for the index's lock held by another process (the server indexing
 * what it received, a reindex) before it gives up, as SQLite's busy timeout does for the store. */
#define INDEX_LOCK_WAIT_MS 30000

int hl_archive__index(hl_index **out, hl_archive *a)
{
	struct timespec t0, now, pause = {0, 20 * 1000000L};
	int rc;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!a->index && (rc = hl_index_open(&a->index, a->index_dir, 1)) < 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (rc != HL_ECONFLICT ||
		    (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 >=
		        INDEX_LOCK_WAIT_MS)
			return -1;
		nanosleep(&pause, NULL);
		if (pause.tv_nsec < 200 * 1000000L)
			pause.tv_nsec *= 2;
	}
	*out = a->index;
	return 0;
}

int hl_archive_index_sync(uint64_t *applied, hl_archive *a, hl_progress_cb progress, void *ud)
{
	hl_index *ix;
	int64_t max = 0;
	uint64_t n = 0;

	if (hl_store_queue_max(&max, a->store) < 0)
		return -1;
	if (a->index) {
		ix = a->index;
	} else {
		/* Open read-only first: when nothing is pending, no lock is taken. */
		if (hl_index_open(&ix, a->index_dir, 0) == 0) {
			int64_t at = hl_index_applied_seq(ix);
			hl_index_free(ix);
			if (at >= max) {
				if (applied)
					*applied = 0;
				return 0;
			}
		}
		if (hl_archive__index(&ix, a) < 0)
			return -1;
	}
	if (hl_index_update(&n, ix, a->store, progress, ud) < 0)
		return -1;
	if (applied)
		*applied = n;
	return 0;
}

int hl_archive_index_now(hl_archive *a)
{
	int had = a->index != NULL;
	int rc = hl_archive_index_sync(NULL, a, NULL, NULL);
	if (!had && a->index) {
		hl_index_free(a->index);
		a->index = NULL;
	}
	if (rc < 0) {
		hl_error_clear();
		return 0;
	}
	return 1;
}

int hl_archive_reindex(hl_archive *a, hl_progress_cb progress, void *ud)
{
	/* The rebuild swaps directories: handles on the old index must go first. */
	hl_index_free(a->index);
	hl_index_free(a->reader);
	a->index = a->reader = NULL;
	return hl_index_rebuild(a->index_dir, a->store, progress, ud);
}

int hl_archive_stats_get(hl_archive_stats *out, hl_archive *a)
{
	hl_archive_stats r = {0};
	hl_store_stats s;
	hl_index *ix = NULL;
	int64_t max = 0;

	if (hl_store_stats_get(&s, a->store) < 0 || hl_store_queue_max(&max, a->store) < 0)
		return -1;
	r.fonds = s.fonds, r.dossiers = s.dossiers, r.documents = s.documents;
	r.versions = s.versions, r.files = s.files, r.blobs = s.blobs;
	r.blob_bytes = s.blob_bytes, r.audit = s.audit, r.schema_version = s.schema_version;
	ix = a->index ? a->index : a->reader;
	if (ix || hl_index_open(&ix, a->index_dir, 0) == 0) {
		r.index_docs = hl_index_doc_count(ix);
		r.index_pending = max - hl_index_applied_seq(ix);
		if (ix != a->index && ix != a->reader)
			hl_index_free(ix);
	} else {
		r.index_pending = max;
	}
	*out = r;
	return 0;
}

/* ---- blobs ---- */

char *hl_blob_path(hl_archive *a, const char *sha256)
{
	size_t n = strlen(a->blobs) + 70;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%.2s/%s", a->blobs, sha256, sha256 + 2);
	return p;
}

/* The temporary copies of blobs being written are tmp/blob.PID.SEQ: verify tells a dead
 * process's leftovers from a running ingest's by the PID, and an ingest removes the dead ones. */
#define BLOB_TMP_PREFIX "blob."

_Thread_local int hl_archive__disk_full;

/* Copies the open file `in` (from its start, with pread: its offset is not used) to a fresh
 * temporary file, hashing as it goes; fsyncs it. */
static int copy_hashing(char sha[65], int64_t *size, int in, const char *name, const char *tmp)
{
	int outfd = -1, rc = -1;
	unsigned char buf[1 << 16];
	ssize_t n;
	crypto_hash_sha256_state h;
	unsigned char md[crypto_hash_sha256_BYTES];
	int64_t total = 0;

	hl_archive__disk_full = 0;
	outfd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (outfd < 0) {
		hl_archive__disk_full = errno == ENOSPC || errno == EDQUOT;
		hl_error_set(HL_EIO, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	crypto_hash_sha256_init(&h);
	for (;;) {
		n = pread(in, buf, sizeof(buf), (off_t)total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		crypto_hash_sha256_update(&h, buf, (size_t)n);
		total += n;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(outfd, buf + off, (size_t)(n - off));
			if (w < 0) {
				if (errno == EINTR)
					continue;
				hl_archive__disk_full = errno == ENOSPC || errno == EDQUOT;
				hl_error_set(HL_EIO, "%s: %s", tmp, strerror(errno));
				goto done;
			}
			off += w;
		}
	}
	if (n < 0) {
		hl_error_set(HL_EIO, "%s: %s", name, strerror(errno));
		goto done;
	}
	if (fsync(outfd) < 0) {
		hl_archive__disk_full = errno == ENOSPC || errno == EDQUOT;
		hl_error_set(HL_EIO, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	crypto_hash_sha256_final(&h, md);
	sodium_bin2hex(sha, 65, md, sizeof(md));
	*size = total;
	rc = 0;
done:
	if (outfd >= 0)
		close(outfd);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int hl_archive__blob_stage(hl_blob_staged *out, hl_archive *a, int fd, const char *name)
{
	static atomic_uint seq;
	char tmp[4096];
	hl_blob_staged s = {0};

	snprintf(tmp, sizeof(tmp), "%s/" BLOB_TMP_PREFIX "%ld.%u", a->tmp, (long)getpid(),
	         atomic_fetch_add(&seq, 1));
	if (copy_hashing(s.sha256, &s.size, fd, name, tmp) < 0)
		return -1;
	if (!(s.tmp = hl_strdup(tmp))) {
		unlink(tmp);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	*out = s;
	return 0;
}

int hl_archive__blob_commit(hl_archive *a, hl_blob_staged *s)
{
	char dir[4096];
	char *dst;

	if (!s->tmp)
		return 0;
	if (!(dst = hl_blob_path(a, s->sha256)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	if (hl_file_exists(dst)) {
		/* Written once, never modified: an existing blob is kept as it is. */
		unlink(s->tmp);
	} else {
		snprintf(dir, sizeof(dir), "%s/%.2s", a->blobs, s->sha256);
		if (hl_mkdir_p(dir, 0755) < 0 || rename(s->tmp, dst) < 0) {
			int e = errno;
			free(dst);
			hl_archive__blob_discard(s);
			return hl_error_set(HL_EIO, "%s: %s", dir, strerror(e));
		}
		/* The rename is durable once the directory is synced. */
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		a->new_blobs++;
	}
	free(dst);
	free(s->tmp);
	s->tmp = NULL;
	return 0;
}

void hl_archive__blob_discard(hl_blob_staged *s)
{
	if (!s || !s->tmp)
		return;
	unlink(s->tmp);
	free(s->tmp);
	s->tmp = NULL;
}

/* A blob's temporary copy tmp/blob.PID.SEQ: *pid, or 0 when `name` is not one. */
int hl_archive__blob_tmp_pid(long *pid, const char *name)
{
	char *end;
	long p;
	if (strncmp(name, BLOB_TMP_PREFIX, sizeof(BLOB_TMP_PREFIX) - 1))
		return 0;
	name += sizeof(BLOB_TMP_PREFIX) - 1;
	p = strtol(name, &end, 10);
	if (end == name || *end != '.' || p <= 0)
		return 0;
	*pid = p;
	return 1;
}

/* The process that wrote a temporary copy is gone: nobody will finish or remove it. */
int hl_archive__pid_gone(long pid)
{
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

int hl_archive__blob_tmp_sweep(hl_archive *a)
{
	DIR *d = opendir(a->tmp);
	struct dirent *e;
	int removed = 0;
	long pid;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (hl_archive__blob_tmp_pid(&pid, e->d_name) && hl_archive__pid_gone(pid) &&
		    unlinkat(dirfd(d), e->d_name, 0) == 0)
			removed++;
	closedir(d);
	return removed;
}

int hl_blob_put_file(char sha256[65], int64_t *size, hl_archive *a, const char *path)
{
	hl_blob_staged s;
	int fd, rc;
	struct stat st;

	/* O_NONBLOCK: a fifo at `path` cannot hang the copy; only a regular file is taken */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0)
		return hl_error_set(errno == ENOENT ? HL_ENOTFOUND : HL_EIO, "%s: %s", path,
		                    strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return hl_error_set(HL_EIO, "%s: not a regular file", path);
	}
	rc = hl_archive__blob_stage(&s, a, fd, path);
	close(fd);
	if (rc < 0)
		return rc;
	if ((rc = hl_archive__blob_commit(a, &s)) < 0)
		return rc;
	memcpy(sha256, s.sha256, 65);
	*size = s.size;
	return 0;
}
