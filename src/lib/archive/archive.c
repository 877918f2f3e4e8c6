/* A node's data directory: its layout, opening it, the content-addressed blob store. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "archive_int.h"
#include "halong/util.h"
#include "halong/units.h"

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

int hl_archive__index(hl_index **out, hl_archive *a)
{
	if (!a->index && hl_index_open(&a->index, a->index_dir, 1) < 0)
		return -1;
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

/* Copies src to a fresh temp file, hashing as it goes; fsyncs it. */
static int copy_hashing(char sha[65], int64_t *size, const char *src, const char *tmp)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), outfd = -1, rc = -1;
	unsigned char buf[1 << 16];
	ssize_t n;
	crypto_hash_sha256_state h;
	unsigned char md[crypto_hash_sha256_BYTES];
	int64_t total = 0;

	if (in < 0)
		return hl_error_set(errno == ENOENT ? HL_ENOTFOUND : HL_EIO, "%s: %s", src,
		                    strerror(errno));
	outfd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (outfd < 0) {
		hl_error_set(HL_EIO, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	crypto_hash_sha256_init(&h);
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		crypto_hash_sha256_update(&h, buf, (size_t)n);
		total += n;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(outfd, buf + off, (size_t)(n - off));
			if (w < 0) {
				if (errno == EINTR)
					continue;
				hl_error_set(HL_EIO, "%s: %s", tmp, strerror(errno));
				goto done;
			}
			off += w;
		}
	}
	if (n < 0) {
		hl_error_set(HL_EIO, "%s: %s", src, strerror(errno));
		goto done;
	}
	if (fsync(outfd) < 0) {
		hl_error_set(HL_EIO, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	crypto_hash_sha256_final(&h, md);
	sodium_bin2hex(sha, 65, md, sizeof(md));
	*size = total;
	rc = 0;
done:
	close(in);
	if (outfd >= 0)
		close(outfd);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int hl_blob_put_file(char sha256[65], int64_t *size, hl_archive *a, const char *path)
{
	char tmp[4096], sha[65], dir[4096];
	int64_t sz = 0;
	char *dst;
	static unsigned seq;

	snprintf(tmp, sizeof(tmp), "%s/blob.%ld.%u", a->tmp, (long)getpid(), seq++);
	int rc = copy_hashing(sha, &sz, path, tmp);
	if (rc < 0)
		return rc;
	dst = hl_blob_path(a, sha);
	if (!dst) {
		unlink(tmp);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	if (hl_file_exists(dst)) {
		/* Written once, never modified: an existing blob is kept as it is. */
		unlink(tmp);
	} else {
		snprintf(dir, sizeof(dir), "%s/%.2s", a->blobs, sha);
		if (hl_mkdir_p(dir, 0755) < 0 || rename(tmp, dst) < 0) {
			int e = errno;
			unlink(tmp);
			free(dst);
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
	memcpy(sha256, sha, 65);
	*size = sz;
	return 0;
}
