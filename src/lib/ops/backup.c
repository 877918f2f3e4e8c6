/* Backups of a node: the online copy of the store, the blobs copied incrementally by hash into
 * the target's shared blobs/, the keys and configuration, a signed manifest; verify, list and
 * restore (src/lib/ops/README.md ("Backups")). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "halong/backup.h"
#include "halong/exchange.h"
#include "halong/util.h"
#include "store/store_backup.h"

#define PREFIX  "halong-backup-"
#define PARTIAL ".partial"

static int oom(void)
{
	return hl_error_set(HL_ENOMEM, "out of memory");
}

static char *join3(const char *a, const char *b, const char *c)
{
	char *ab = hl_path_join(a, b);
	char *r = ab ? hl_path_join(ab, c) : NULL;
	free(ab);
	return r;
}

/* blobs/ab/cdef... under `root` (a target or a data directory). */
static char *blob_path(const char *root, const char *sha256)
{
	size_t n = strlen(root) + 80;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/blobs/%.2s/%s", root, sha256, sha256 + 2);
	return p;
}

static int is_hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

/* A path inside a backup as its manifest names it: relative, no "..", no empty part. */
static int safe_rel(const char *p)
{
	if (!p || !*p || *p == '/' || strlen(p) > 255)
		return 0;
	for (const char *s = p; *s;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		s += n + (e ? 1 : 0);
	}
	return 1;
}

/* Copies src to dst through dst.tmp.PID, hashing what is written; with `expect`, a copy whose
 * hash differs is removed and refused (HL_EIO naming `name`). fsync, then rename. */
static int copy_hashed(char hex[65], int64_t *size, const char *src, const char *dst, unsigned mode,
                       const char *expect, const char *name)
{
	crypto_hash_sha256_state h;
	unsigned char md[crypto_hash_sha256_BYTES], buf[1 << 16];
	char got[65], *tmp = NULL;
	int in = -1, out = -1, rc = -1;
	int64_t n = 0;
	ssize_t r;
	size_t tn = strlen(dst) + 32;

	if (!(tmp = malloc(tn)))
		return oom();
	snprintf(tmp, tn, "%s.tmp.%ld", dst, (long)getpid());
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = hl_error_set(errno == ENOENT ? HL_ENOTFOUND : HL_EIO, "%s: cannot open: %s",
		                  src, strerror(errno));
		goto done;
	}
	if ((out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) < 0) {
		rc = hl_error_set(HL_EIO, "%s: cannot create: %s", tmp, strerror(errno));
		goto done;
	}
	crypto_hash_sha256_init(&h);
	while ((r = read(in, buf, sizeof(buf))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = hl_error_set(HL_EIO, "%s: read: %s", src, strerror(errno));
			goto done;
		}
		crypto_hash_sha256_update(&h, buf, (unsigned long long)r);
		for (ssize_t w = 0, k; w < r; w += k)
			if ((k = write(out, buf + w, (size_t)(r - w))) < 0) {
				if (errno == EINTR) {
					k = 0;
					continue;
				}
				rc = hl_error_set(HL_EIO, "%s: write: %s", tmp, strerror(errno));
				goto done;
			}
		n += r;
	}
	crypto_hash_sha256_final(&h, md);
	sodium_bin2hex(got, sizeof(got), md, sizeof(md));
	if (expect && strcmp(got, expect)) {
		rc = hl_error_set(HL_EIO, "%s: its content does not match its SHA-256 (%s)", name,
		                  src);
		goto done;
	}
	if (fchmod(out, mode) != 0 || fsync(out) != 0 || close(out) != 0) {
		out = -1;
		rc = hl_error_set(HL_EIO, "%s: cannot write: %s", tmp, strerror(errno));
		goto done;
	}
	out = -1;
	if (rename(tmp, dst) != 0) {
		rc = hl_error_set(HL_EIO, "%s: cannot rename: %s", dst, strerror(errno));
		goto done;
	}
	if (hex)
		memcpy(hex, got, 65);
	if (size)
		*size = n;
	rc = 0;
done:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

static int add_file(json_t *files, const char *rel, const char *hex, int64_t size)
{
	json_t *o =
	    json_pack("{s:s, s:s, s:I}", "path", rel, "sha256", hex, "size", (json_int_t)size);
	return o && json_array_append_new(files, o) == 0 ? 0 : oom();
}

/* ---- making a backup ---- */

typedef struct {
	json_t *blobs;
	int64_t bytes;
} blob_list;

static int collect_blob(const char *sha256, int64_t size, void *ud)
{
	blob_list *l = ud;
	json_t *o;
	if (!is_hex64(sha256))
		return hl_error_set(HL_EINVALID, "the store holds a blob named \"%s\"", sha256);
	o = json_pack("{s:s, s:I}", "sha256", sha256, "size", (json_int_t)size);
	if (!o || json_array_append_new(l->blobs, o) != 0)
		return oom();
	l->bytes += size;
	return 0;
}

static int copy_blobs(hl_backup_stats *st, const char *home, const char *target, json_t *blobs,
                      hl_progress_cb progress, void *ud)
{
	size_t i, n = json_array_size(blobs);
	json_t *b;
	char *src = NULL, *dst = NULL, *dir = NULL, hex[65], name[80];
	int64_t have;
	int rc = 0;

	json_array_foreach(blobs, i, b)
	{
		const char *sha = json_string_value(json_object_get(b, "sha256"));
		int64_t size = json_integer_value(json_object_get(b, "size"));
		free(src), free(dst), free(dir);
		src = blob_path(home, sha), dst = blob_path(target, sha);
		dir = dst ? hl_strdup(dst) : NULL;
		if (!src || !dst || !dir) {
			rc = oom();
			break;
		}
		*strrchr(dir, '/') = '\0';
		snprintf(name, sizeof(name), "blob %s", sha);
		if (hl_file_exists(dst) && hl_sha256_file(hex, &have, dst) == 0 &&
		    !strcmp(hex, sha) && have == size) {
			st->blobs_present++;
		} else {
			/* 0700 and 0600: a target is often a shared disk, and a blob may be a
			 * restricted or secret record's file */
			if ((rc = hl_mkdir_p(dir, 0700)) < 0 ||
			    (rc = copy_hashed(NULL, &have, src, dst, 0600, sha, name)) < 0)
				break;
			st->blobs_copied++;
			st->bytes_copied += (uint64_t)have;
		}
		st->blobs++;
		if (progress && progress("blobs", i + 1, n, ud) != 0) {
			rc = hl_error_set(HL_ERROR, "interrupted");
			break;
		}
	}
	free(src), free(dst), free(dir);
	return rc;
}

/* keys/ of the data directory, each regular file with mode 0600, and halong.conf. */
static int copy_node_files(hl_backup_stats *st, const char *home, const char *bdir, json_t *files)
{
	char *keys = hl_path_join(home, "keys"), *bkeys = hl_path_join(bdir, "keys");
	char *src = NULL, *dst = NULL, rel[300], hex[65];
	DIR *d = NULL;
	struct dirent *e;
	struct stat sb;
	int64_t size;
	int rc = -1;

	if (!keys || !bkeys) {
		rc = oom();
		goto done;
	}
	if ((d = opendir(keys))) {
		if (hl_mkdir_p(bkeys, 0700) < 0)
			goto done;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp"))
				continue;
			free(src), free(dst);
			src = hl_path_join(keys, e->d_name), dst = hl_path_join(bkeys, e->d_name);
			if (!src || !dst) {
				rc = oom();
				goto done;
			}
			if (lstat(src, &sb) != 0 || !S_ISREG(sb.st_mode))
				continue;
			snprintf(rel, sizeof(rel), "keys/%s", e->d_name);
			if (copy_hashed(hex, &size, src, dst, 0600, NULL, rel) < 0 ||
			    add_file(files, rel, hex, size) < 0)
				goto done;
			st->files++;
		}
	}
	free(src), free(dst);
	src = hl_path_join(home, "halong.conf"), dst = hl_path_join(bdir, "halong.conf");
	if (!src || !dst) {
		rc = oom();
		goto done;
	}
	if (hl_file_exists(src)) {
		if (copy_hashed(hex, &size, src, dst, 0644, NULL, "halong.conf") < 0 ||
		    add_file(files, "halong.conf", hex, size) < 0)
			goto done;
		st->files++;
	}
	rc = 0;
done:
	if (d)
		closedir(d);
	free(keys), free(bkeys), free(src), free(dst);
	return rc;
}

int hl_backup_make(hl_backup_stats *out, hl_archive *a, const char *target, hl_progress_cb progress,
                   void *ud)
{
	hl_backup_stats st = {0};
	hl_store *store = hl_archive_store(a);
	const char *home = hl_archive_dir(a);
	hl_node *node = NULL;
	blob_list bl = {0};
	json_t *m = NULL, *files = NULL, *nodej = NULL;
	char *bdir = NULL, *final = NULL, *p = NULL, *text = NULL, stamp[32], created[32], hex[65];
	char sig[89], sigline[92], why[256] = "";
	int64_t size;
	int schema = 0, rc = -1;
	time_t now = time(NULL);
	struct tm tm;

	if (sodium_init() < 0)
		return hl_error_set(HL_ERROR, "libsodium could not start");
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!(p = hl_path_join(target, "blobs")) || !(files = json_array()) ||
	    !(bl.blobs = json_array())) {
		rc = oom();
		goto done;
	}
	if ((rc = hl_mkdir_p(p, 0700)) < 0)
		goto done;
	/* Two backups in the same second: the second is named ...Z-2. */
	for (int i = 1; i < 100; i++) {
		char nm[80];
		if (i == 1)
			snprintf(st.name, sizeof(st.name), PREFIX "%s", stamp);
		else
			snprintf(st.name, sizeof(st.name), PREFIX "%s-%d", stamp, i);
		snprintf(nm, sizeof(nm), "%s" PARTIAL, st.name);
		free(final), free(bdir);
		final = hl_path_join(target, st.name), bdir = hl_path_join(target, nm);
		if (!final || !bdir) {
			rc = oom();
			goto done;
		}
		if (hl_file_exists(final) || hl_file_exists(bdir))
			continue;
		/* 0700: the backup holds the node's secret key. */
		if (mkdir(bdir, 0700) == 0)
			break;
		if (errno != EEXIST) {
			rc = hl_error_set(HL_EIO, "%s: cannot create: %s", bdir, strerror(errno));
			goto done;
		}
	}
	free(p);
	if (!(p = hl_path_join(bdir, "store.db"))) {
		rc = oom();
		goto done;
	}
	if ((rc = hl_store_backup_to(store, p, progress, ud)) < 0 ||
	    (rc = hl_store_backup_read(&schema, &st.documents, p, collect_blob, &bl)) < 0)
		goto done;
	if ((rc = hl_sha256_file(hex, &size, p)) < 0 ||
	    (rc = add_file(files, "store.db", hex, size)) < 0)
		goto done;
	st.files++;
	if ((rc = copy_blobs(&st, home, target, bl.blobs, progress, ud)) < 0 ||
	    (rc = copy_node_files(&st, home, bdir, files)) < 0)
		goto done;

	rc = hl_node_open(&node, store, home);
	if (rc == HL_ENOTFOUND) {
		snprintf(why, sizeof(why), "%s", hl_error_last());
		node = NULL;
	} else if (rc < 0) {
		goto done;
	}
	nodej = node ? json_pack("{s:s, s:s}", "unit", hl_node_unit(node), "public_key",
	                         hl_node_public_key(node))
	             : json_null();
	m = json_pack("{s:s, s:s, s:i, s:s, s:o, s:b, s:o, s:{s:I, s:I, s:I}, s:O, s:O}", "format",
	              HL_BACKUP_FORMAT, "halong_version", HL_VERSION, "schema_version", schema,
	              "created_at", created, "node", nodej, "signed", node != NULL,
	              "unsigned_reason", node ? json_null() : json_string(why), "counts",
	              "documents", (json_int_t)st.documents, "blobs",
	              (json_int_t)json_array_size(bl.blobs), "blob_bytes", (json_int_t)bl.bytes,
	              "files", files, "blobs", bl.blobs);
	if (!m || !(text = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER))) {
		rc = oom();
		goto done;
	}
	free(p);
	if (!(p = hl_path_join(bdir, "manifest.json"))) {
		rc = oom();
		goto done;
	}
	if ((rc = hl_write_atomic(p, text, strlen(text), 0644)) < 0)
		goto done;
	if (node) {
		hl_node_sign(sig, node, HL_BACKUP_SIGN_CTX, text, strlen(text));
		snprintf(sigline, sizeof(sigline), "%s\n", sig);
		free(p);
		if (!(p = hl_path_join(bdir, "manifest.sig"))) {
			rc = oom();
			goto done;
		}
		if ((rc = hl_write_atomic(p, sigline, strlen(sigline), 0644)) < 0)
			goto done;
		st.is_signed = 1;
	}
	if (rename(bdir, final) != 0) {
		rc = hl_error_set(HL_EIO, "%s: cannot rename: %s", final, strerror(errno));
		goto done;
	}
	*out = st;
	rc = 0;
done:
	hl_node_free(node);
	json_decref(m), json_decref(files), json_decref(bl.blobs);
	free(bdir), free(final), free(p), free(text);
	return rc;
}

/* ---- reading a backup ---- */

static int read_all(char **out, size_t *len, const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;

	if (fd < 0)
		return hl_error_set(errno == ENOENT ? HL_ENOTFOUND : HL_EIO, "%s: cannot open: %s",
		                    path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (size_t)sb.st_size > max) {
		close(fd);
		return hl_error_set(HL_ELIMIT, "%s: not a regular file of at most %zu bytes", path,
		                    max);
	}
	if (!(buf = malloc((size_t)sb.st_size + 1))) {
		close(fd);
		return oom();
	}
	while (n < (size_t)sb.st_size && (r = read(fd, buf + n, (size_t)sb.st_size - n)) > 0)
		n += (size_t)r;
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

typedef struct {
	hl_backup_check c;
	hl_backup_problem_cb cb;
	void *ud;
} checker;

static void problem(checker *k, const char *file, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void problem(checker *k, const char *file, const char *kind, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	k->c.problems++;
	if (k->cb)
		k->cb(file, kind, msg, k->ud);
}

static void check_one(checker *k, const char *path, const char *name, const char *sha, int64_t size)
{
	struct stat sb;
	char hex[65];
	int64_t got;

	if (lstat(path, &sb) != 0) {
		problem(k, name, "missing", "%s is missing", name);
		return;
	}
	/* a link would make verify and restore read a file outside the backup */
	if (S_ISLNK(sb.st_mode)) {
		problem(k, name, "link", "%s is a symbolic link, not a file of the backup", name);
		return;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size != size) {
		problem(k, name, "size", "%s has %lld bytes, the manifest says %lld", name,
		        (long long)sb.st_size, (long long)size);
		return;
	}
	if (hl_sha256_file(hex, &got, path) < 0) {
		problem(k, name, "missing", "%s cannot be read: %s", name, hl_error_last());
		return;
	}
	if (strcmp(hex, sha))
		problem(k, name, "hash", "%s does not match its SHA-256 in the manifest", name);
}

/* The public key (standard base64) of the Ed25519 secret key file kept in the backup. */
static int key_public(char pk64[64], const char *path)
{
	char *buf = NULL;
	size_t len;
	if (read_all(&buf, &len, path, 4096) < 0)
		return -1;
	if (len != crypto_sign_SECRETKEYBYTES) {
		sodium_memzero(buf, len);
		free(buf);
		return hl_error_set(HL_EINVALID, "not a node key");
	}
	sodium_bin2base64(pk64, 64, (unsigned char *)buf + 32, 32, sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(buf, len);
	free(buf);
	return 0;
}

/* Loads and checks a backup's manifest: *m and *text are the caller's. */
static int check_backup(checker *k, json_t **mout, const char *bdir)
{
	char *mp = hl_path_join(bdir, "manifest.json"), *sp = hl_path_join(bdir, "manifest.sig");
	char *target = NULL, *text = NULL, *sig = NULL, *p = NULL, name[96], pk[64];
	json_t *m = NULL, *files, *blobs, *e;
	json_error_t jerr;
	size_t len, slen, i;
	int rc = -1, has_key = 0;

	if (!mp || !sp) {
		rc = oom();
		goto done;
	}
	if ((rc = read_all(&text, &len, mp, HL_BACKUP_MANIFEST_MAX)) < 0) {
		if (rc == HL_ENOTFOUND) {
			problem(k, "manifest.json", "missing", "manifest.json is missing");
			rc = HL_EINVALID;
		}
		goto done;
	}
	if (!(m = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) || !json_is_object(m) ||
	    strcmp(json_string_value(json_object_get(m, "format")) ?: "", HL_BACKUP_FORMAT) ||
	    !json_is_array(files = json_object_get(m, "files")) ||
	    !json_is_array(blobs = json_object_get(m, "blobs"))) {
		problem(k, "manifest.json", "manifest",
		        "manifest.json is not a halong backup manifest (%s)",
		        m ? "format" : jerr.text);
		rc = HL_EINVALID;
		goto done;
	}
	json_array_foreach(files, i, e)
	{
		const char *rel = json_string_value(json_object_get(e, "path"));
		const char *sha = json_string_value(json_object_get(e, "sha256"));
		json_t *sz = json_object_get(e, "size");
		if (!safe_rel(rel) || !is_hex64(sha) || !json_is_integer(sz)) {
			problem(k, "manifest.json", "manifest",
			        "manifest.json: file %zu is malformed", i + 1);
			continue;
		}
		free(p);
		if (!(p = hl_path_join(bdir, rel))) {
			rc = oom();
			goto done;
		}
		if (!strcmp(rel, "keys/node.key"))
			has_key = 1;
		check_one(k, p, rel, sha, json_integer_value(sz));
		k->c.files++;
	}
	if (!(target = hl_path_join(bdir, ".."))) {
		rc = oom();
		goto done;
	}
	json_array_foreach(blobs, i, e)
	{
		const char *sha = json_string_value(json_object_get(e, "sha256"));
		json_t *sz = json_object_get(e, "size");
		if (!is_hex64(sha) || !json_is_integer(sz)) {
			problem(k, "manifest.json", "manifest",
			        "manifest.json: blob %zu is malformed", i + 1);
			continue;
		}
		free(p);
		if (!(p = blob_path(target, sha))) {
			rc = oom();
			goto done;
		}
		snprintf(name, sizeof(name), "blobs/%.2s/%s", sha, sha + 2);
		check_one(k, p, name, sha, json_integer_value(sz));
		k->c.blobs++;
	}
	if (json_is_true(json_object_get(m, "signed"))) {
		const char *want =
		    json_string_value(json_object_get(json_object_get(m, "node"), "public_key"));
		k->c.is_signed = 1;
		free(p);
		p = hl_path_join(bdir, "keys/node.key");
		if (!want) {
			problem(k, "manifest.json", "signature",
			        "manifest.json names no public key");
		} else if (!has_key || !p || key_public(pk, p) < 0 || strcmp(pk, want)) {
			problem(
			    k, "keys/node.key", "signature",
			    "the manifest's public key is not that of keys/node.key in the backup");
		} else if (read_all(&sig, &slen, sp, 1024) < 0) {
			problem(k, "manifest.sig", "missing", "manifest.sig is missing");
		} else {
			while (slen && (sig[slen - 1] == '\n' || sig[slen - 1] == '\r'))
				sig[--slen] = '\0';
			if (hl_exchange_verify(sig, want, HL_BACKUP_SIGN_CTX, text, len) < 0)
				problem(k, "manifest.sig", "signature",
				        "manifest.sig: manifest.json is not what the node signed");
		}
	} else if (has_key) {
		/* A backup of a node with an identity is signed: "signed": false there is an
		 * edit. */
		problem(k, "manifest.json", "signature",
		        "manifest.json says unsigned, yet the backup holds a node key");
	}
	*mout = m;
	m = NULL;
	rc = k->c.problems ? HL_EINVALID : 0;
done:
	json_decref(m);
	free(mp), free(sp), free(target), free(text), free(sig), free(p);
	return rc;
}

int hl_backup_verify(hl_backup_check *out, const char *backup_dir, hl_backup_problem_cb cb,
                     void *ud)
{
	checker k = {.cb = cb, .ud = ud};
	json_t *m = NULL;
	int rc;

	if (sodium_init() < 0)
		return hl_error_set(HL_ERROR, "libsodium could not start");
	rc = check_backup(&k, &m, backup_dir);
	json_decref(m);
	if (out)
		*out = k.c;
	if (rc == HL_EINVALID)
		return hl_error_set(HL_EINVALID, "%s: %llu problem(s) found", backup_dir,
		                    (unsigned long long)k.c.problems);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int hl_backup_list(const char *target, int (*cb)(const hl_backup_entry *e, void *ud), void *ud)
{
	DIR *d = opendir(target);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (!d)
		return hl_error_set(errno == ENOENT ? HL_ENOTFOUND : HL_EIO, "%s: cannot open: %s",
		                    target, strerror(errno));
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (strncmp(e->d_name, PREFIX, strlen(PREFIX)) ||
		    (l > strlen(PARTIAL) && !strcmp(e->d_name + l - strlen(PARTIAL), PARTIAL)))
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*names));
			if (!nn) {
				rc = oom();
				goto done;
			}
			names = nn;
		}
		if (!(names[n] = hl_strdup(e->d_name))) {
			rc = oom();
			goto done;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n && rc == 0; i++) {
		hl_backup_entry en = {.name = names[i]};
		char *mp = join3(target, names[i], "manifest.json"), *text = NULL;
		size_t len;
		json_t *m = NULL;
		if (!mp) {
			rc = oom();
			break;
		}
		if (read_all(&text, &len, mp, HL_BACKUP_MANIFEST_MAX) == 0 &&
		    (m = json_loadb(text, len, 0, NULL))) {
			json_t *c = json_object_get(m, "counts");
			en.created_at = json_string_value(json_object_get(m, "created_at"));
			en.halong_version = json_string_value(json_object_get(m, "halong_version"));
			en.schema_version =
			    (int)json_integer_value(json_object_get(m, "schema_version"));
			en.is_signed = json_is_true(json_object_get(m, "signed"));
			en.documents = json_integer_value(json_object_get(c, "documents"));
			en.blobs = json_integer_value(json_object_get(c, "blobs"));
		}
		rc = cb(&en, ud);
		json_decref(m);
		free(mp), free(text);
	}
done:
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* ---- restore ---- */

static int empty_or_absent(const char *dir)
{
	struct stat sb;
	DIR *d;
	struct dirent *e;
	int n = 0;

	if (stat(dir, &sb) != 0)
		return errno == ENOENT ? 0 : hl_error_set(HL_EIO, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return hl_error_set(HL_ECONFLICT, "%s exists and is not a folder: restore refused",
		                    dir);
	if (!(d = opendir(dir)))
		return hl_error_set(HL_EIO, "%s: cannot open: %s", dir, strerror(errno));
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	if (n)
		return hl_error_set(
		    HL_ECONFLICT, "%s is not empty: restore only into an empty or new folder", dir);
	return 0;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

/* Removes a folder this restore made and filled (never one it was given). */
static void rm_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int hl_backup_restore(const char *backup_dir, const char *new_home, hl_backup_problem_cb cb,
                      void *ud, hl_progress_cb progress, void *pud)
{
	checker k = {.cb = cb, .ud = ud};
	json_t *m = NULL, *e;
	hl_archive *a = NULL;
	char *src = NULL, *dst = NULL, *dir = NULL, *target = NULL, *work = NULL, name[96];
	const char *new_home_final = new_home;
	size_t i, n, wn = strlen(new_home) + 40;
	int rc, made = 0;

	if (sodium_init() < 0)
		return hl_error_set(HL_ERROR, "libsodium could not start");
	if ((rc = empty_or_absent(new_home)) < 0)
		return rc;
	if ((rc = check_backup(&k, &m, backup_dir)) < 0) {
		if (rc == HL_EINVALID)
			rc =
			    hl_error_set(HL_EINVALID, "%s: %llu problem(s) found: nothing restored",
			                 backup_dir, (unsigned long long)k.c.problems);
		goto done;
	}
	/* Filled beside the new home and renamed onto it when whole (rename(2) replaces an empty
	 * folder): a restore that fails leaves no half data directory behind. */
	if (!(work = malloc(wn))) {
		rc = oom();
		goto done;
	}
	snprintf(work, wn, "%s", new_home);
	for (size_t l = strlen(work); l > 1 && work[l - 1] == '/'; l--)
		work[l - 1] = '\0'; /* "dir/" + ".restoring" would be inside dir */
	snprintf(work + strlen(work), wn - strlen(work), ".restoring-%ld", (long)getpid());
	new_home = work;
	if (hl_file_exists(work) || (rc = hl_mkdir_p(work, 0755)) < 0) {
		rc = hl_error_set(HL_EIO, "%s: cannot create", work);
		goto done;
	}
	made = 1;
	free(dir);
	if (!(dir = hl_path_join(new_home, "keys")) || (rc = hl_mkdir_p(dir, 0700)) < 0) {
		rc = rc < 0 ? rc : oom();
		goto done;
	}
	json_array_foreach(json_object_get(m, "files"), i, e)
	{
		const char *rel = json_string_value(json_object_get(e, "path"));
		const char *sha = json_string_value(json_object_get(e, "sha256"));
		int key = !strncmp(rel, "keys/", 5);
		free(src), free(dst);
		src = hl_path_join(backup_dir, rel);
		dst = hl_path_join(new_home, strcmp(rel, "store.db") ? rel : "halong.db");
		if (!src || !dst) {
			rc = oom();
			goto done;
		}
		if (strchr(rel, '/') && !key) /* only keys/ has folders */
			continue;
		if ((rc = copy_hashed(NULL, NULL, src, dst, key ? 0600 : 0644, sha, rel)) < 0)
			goto done;
	}
	if (!(target = hl_path_join(backup_dir, ".."))) {
		rc = oom();
		goto done;
	}
	n = json_array_size(json_object_get(m, "blobs"));
	json_array_foreach(json_object_get(m, "blobs"), i, e)
	{
		const char *sha = json_string_value(json_object_get(e, "sha256"));
		free(src), free(dst), free(dir);
		src = blob_path(target, sha), dst = blob_path(new_home, sha);
		dir = dst ? hl_strdup(dst) : NULL;
		if (!src || !dst || !dir) {
			rc = oom();
			goto done;
		}
		*strrchr(dir, '/') = '\0';
		snprintf(name, sizeof(name), "blobs/%.2s/%s", sha, sha + 2);
		if ((rc = hl_mkdir_p(dir, 0755)) < 0 ||
		    (rc = copy_hashed(NULL, NULL, src, dst, 0644, sha, name)) < 0)
			goto done;
		if (progress && progress("blobs", i + 1, n, pud) != 0) {
			rc = hl_error_set(HL_ERROR, "interrupted");
			goto done;
		}
	}
	/* The rest of the layout (index/, tmp/), the store in WAL mode, then the index rebuilt
	 * from the store: an index is never copied. */
	if ((rc = hl_archive_init(new_home)) < 0 || (rc = hl_archive_open(&a, new_home)) < 0 ||
	    (rc = hl_archive_reindex(a, progress, pud)) < 0)
		goto done;
	hl_archive_free(a);
	a = NULL;
	if (rename(work, new_home_final) != 0) {
		rc = hl_error_set(errno == ENOTEMPTY || errno == EEXIST ? HL_ECONFLICT : HL_EIO,
		                  "%s: cannot put the restored node in place: %s", new_home_final,
		                  strerror(errno));
		goto done;
	}
	made = 0;
	rc = 0;
done:
	hl_archive_free(a);
	if (made)
		rm_tree(work);
	free(work);
	json_decref(m);
	free(src), free(dst), free(dir), free(target);
	return rc;
}
