/* Backups of a node: the online copy of the store, the blobs copied incrementally by hash into
 * each target's shared blobs/, the keys and configuration, a signed manifest, every file
 * optionally encrypted (libsodium's secretstream); verify, list, retention and restore
 * (src/lib/ops/README.md ("Backups")). */
#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "halong/backup.h"
#include "halong/exchange.h"
#include "halong/util.h"
#include "store/store_backup.h"

#define PREFIX        "halong-backup-"
#define PARTIAL       ".partial"
#define ENC           ".enc"
#define LOCKNAME      ".halong-lock"
#define NODEPUB       "node.pub"
#define ROTATIONS     "node.pub.rotations" /* endorsements of rotated keys, one a line */
#define ROTATIONS_MAX (1u << 20)
#define KEYID         "backup-key.id"
#define CIPHER        "xchacha20poly1305-secretstream"
#define CHUNK         65536
#define CCHUNK        (CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES)
#define SMALL_MAX     4096 /* a key file, node.pub, manifest.sig */

static int oom(void)
{
	return hl_error_set(HL_ENOMEM, "out of memory");
}

/* "blobs/ab/cdef..." (".enc" when encrypted), relative to a target or a data directory. */
static void blob_rel(char out[80], const char *sha256, int enc)
{
	snprintf(out, 80, "blobs/%.2s/%s%s", sha256, sha256 + 2, enc ? ENC : "");
}

static char *blob_path(const char *root, const char *sha256, int enc)
{
	char rel[80];
	blob_rel(rel, sha256, enc);
	return hl_path_join(root, rel);
}

static int is_hex(const char *s, size_t n)
{
	if (!s || strlen(s) != n)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

static int is_hex64(const char *s)
{
	return is_hex(s, 64);
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

/* The folder holding a backup, by the text of its path (a backup folder given through a link
 * is not resolved to where the link points). */
static char *parent_of(const char *dir)
{
	char *p = hl_strdup(dir), *s;
	size_t l;
	if (!p)
		return NULL;
	for (l = strlen(p); l > 1 && p[l - 1] == '/'; l--)
		p[l - 1] = '\0';
	if (!(s = strrchr(p, '/'))) {
		free(p);
		return hl_strdup(".");
	}
	if (s == p)
		s[1] = '\0';
	else
		*s = '\0';
	return p;
}

/* dir without its trailing slashes, then `suffix` (malloc'd). */
static char *beside(const char *dir, const char *suffix)
{
	size_t n = strlen(dir) + strlen(suffix) + 1;
	char *p = malloc(n);
	if (!p)
		return NULL;
	snprintf(p, n, "%s", dir);
	for (size_t l = strlen(p); l > 1 && p[l - 1] == '/'; l--)
		p[l - 1] = '\0';
	strcat(p, suffix);
	return p;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

/* Removes a folder this code made or a backup prune removes (links in it are removed, never
 * followed). */
static void rm_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- opening files inside a backup: no symbolic link followed ---- */

enum { OPEN_OK = 0, OPEN_MISSING = 1, OPEN_LINK = 2, OPEN_NOTREG = 3, OPEN_ERROR = 4 };

/* Opens `rel` below the folder `root` (taken as given) for reading, one component at a time
 * with O_NOFOLLOW: a symbolic link anywhere on the way (a folder of the backup, or the file) is
 * OPEN_LINK and never followed. *fd is the caller's to close. OPEN_ERROR leaves errno. */
static int open_nofollow(int *fd, const char *root, const char *rel)
{
	char buf[512], *p = buf, *slash;
	struct stat st, st2;
	int dfd, f, rc = OPEN_ERROR;

	if (strlen(rel) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return OPEN_ERROR;
	}
	strcpy(buf, rel);
	if ((dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? OPEN_MISSING : OPEN_ERROR;
	for (;;) {
		slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		if (fstatat(dfd, p, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = errno == ENOENT || errno == ENOTDIR ? OPEN_MISSING : OPEN_ERROR;
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			rc = OPEN_LINK;
			break;
		}
		if (slash) {
			if (!S_ISDIR(st.st_mode)) {
				rc = OPEN_NOTREG;
				break;
			}
			f = openat(dfd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (f < 0) {
				rc = errno == ELOOP ? OPEN_LINK : OPEN_ERROR;
				break;
			}
			close(dfd);
			dfd = f;
			p = slash + 1;
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			rc = OPEN_NOTREG;
			break;
		}
		f = openat(dfd, p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (f < 0) {
			rc = errno == ELOOP ? OPEN_LINK : OPEN_ERROR;
			break;
		}
		if (fstat(f, &st2) != 0 || st2.st_ino != st.st_ino || st2.st_dev != st.st_dev) {
			close(f);
			errno = EAGAIN; /* replaced while it was opened */
			break;
		}
		*fd = f;
		rc = OPEN_OK;
		break;
	}
	close(dfd);
	return rc;
}

/* open_nofollow with one error message naming `root`/`rel`. */
static int open_in(int *fd, const char *root, const char *rel)
{
	int r = open_nofollow(fd, root, rel), e = errno;
	switch (r) {
	case OPEN_OK:
		return 0;
	case OPEN_MISSING:
		return hl_error_set(HL_ENOTFOUND, "%s/%s is missing", root, rel);
	case OPEN_LINK:
		return hl_error_set(HL_EDENIED, "%s/%s: a symbolic link on the way: not followed",
		                    root, rel);
	case OPEN_NOTREG:
		return hl_error_set(HL_EINVALID, "%s/%s is not a regular file", root, rel);
	default:
		return hl_error_set(HL_EIO, "%s/%s: cannot open: %s", root, rel, strerror(e));
	}
}

static ssize_t read_full(int fd, unsigned char *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* A small file (a key, node.pub, manifest.sig, manifest.json) read whole, at most max bytes. */
static int read_fd_all(char **out, size_t *len, int fd, const char *name, size_t max)
{
	struct stat sb;
	char *buf;
	ssize_t n;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (size_t)sb.st_size > max)
		return hl_error_set(HL_ELIMIT, "%s: not a regular file of at most %zu bytes", name,
		                    max);
	if (!(buf = malloc((size_t)sb.st_size + 1)))
		return oom();
	if ((n = read_full(fd, (unsigned char *)buf, (size_t)sb.st_size)) < 0) {
		free(buf);
		return hl_error_set(HL_EIO, "%s: read: %s", name, strerror(errno));
	}
	buf[n] = '\0';
	*out = buf;
	*len = (size_t)n;
	return 0;
}

static int read_all(char **out, size_t *len, const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), rc;
	if (fd < 0)
		return hl_error_set(errno == ENOENT ? HL_ENOTFOUND : HL_EIO, "%s: cannot open: %s",
		                    path, strerror(errno));
	rc = read_fd_all(out, len, fd, path, max);
	close(fd);
	return rc;
}

/* ---- the backup key ---- */

typedef struct {
	unsigned char k[HL_BACKUP_KEY_BYTES];
	char id[33]; /* hex of a keyed BLAKE2b of a fixed text: names the key, reveals nothing */
	const char *file;
	int set;
} bkey;

static int key_load(bkey *out, const char *path)
{
	char *buf = NULL;
	size_t len;
	struct stat sb;
	unsigned char id[16];
	int fd, rc;

	memset(out, 0, sizeof(*out));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return hl_error_set(errno == ENOENT ? HL_ENOTFOUND : HL_EIO,
		                    "%s: the backup key cannot be opened: %s", path,
		                    strerror(errno));
	if (fstat(fd, &sb) == 0 && (sb.st_mode & 077)) {
		close(fd);
		return hl_error_set(
		    HL_EDENIED, "%s: the backup key is readable by others (chmod 600 it)", path);
	}
	rc = read_fd_all(&buf, &len, fd, path, SMALL_MAX);
	close(fd);
	if (rc < 0)
		return rc;
	if (len != HL_BACKUP_KEY_BYTES) {
		sodium_memzero(buf, len);
		free(buf);
		return hl_error_set(HL_EINVALID,
		                    "%s: not a backup key (%zu bytes, a key has %d: halong backup "
		                    "keygen)",
		                    path, len, HL_BACKUP_KEY_BYTES);
	}
	memcpy(out->k, buf, HL_BACKUP_KEY_BYTES);
	sodium_memzero(buf, len);
	free(buf);
	crypto_generichash(id, sizeof(id), (const unsigned char *)"halong-backup-key-id", 20,
	                   out->k, sizeof(out->k));
	sodium_bin2hex(out->id, sizeof(out->id), id, sizeof(id));
	out->file = path;
	out->set = 1;
	return 0;
}

/* The key named by `given`, else $HALONG_BACKUP_KEY_FILE unless no_env; none is not an error. */
static int key_from(bkey *out, const char *given, int no_env)
{
	const char *p = given ? given : no_env ? NULL : getenv("HALONG_BACKUP_KEY_FILE");
	memset(out, 0, sizeof(*out));
	if (!p || !*p)
		return 0;
	return key_load(out, p);
}

static void key_clear(bkey *k)
{
	sodium_memzero(k, sizeof(*k));
}

int hl_backup_keygen(const char *path)
{
	unsigned char k[HL_BACKUP_KEY_BYTES];
	int fd, rc = 0;

	if (sodium_init() < 0)
		return hl_error_set(HL_ERROR, "libsodium could not start");
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return hl_error_set(errno == EEXIST ? HL_ECONFLICT : HL_EIO, "%s: %s", path,
		                    errno == EEXIST ? "exists: a key is never replaced"
		                                    : strerror(errno));
	randombytes_buf(k, sizeof(k));
	if (fchmod(fd, 0600) != 0 || write(fd, k, sizeof(k)) != (ssize_t)sizeof(k) ||
	    fsync(fd) != 0)
		rc = hl_error_set(HL_EIO, "%s: cannot write: %s", path, strerror(errno));
	sodium_memzero(k, sizeof(k));
	if (close(fd) != 0 && rc == 0)
		rc = hl_error_set(HL_EIO, "%s: cannot write: %s", path, strerror(errno));
	if (rc < 0)
		unlink(path);
	return rc;
}

/* ---- moving bytes: copy, encrypt or decrypt, hashing both sides ---- */

typedef enum { X_PLAIN, X_ENCRYPT, X_DECRYPT } xmode;

typedef struct {
	char in_hex[65], out_hex[65];
	int64_t in_size, out_size;
} xres;

/* Where xfer's output goes: a file descriptor, a small buffer, or nowhere (-1, NULL). */
typedef struct {
	int fd;
	const char *name;
	unsigned char *mem;
	size_t len, cap;
} xsink;

static int sink_put(xsink *s, const unsigned char *b, size_t n)
{
	if (s->mem) {
		if (s->len + n > s->cap)
			return hl_error_set(HL_ELIMIT, "%s: larger than %zu bytes", s->name,
			                    s->cap);
		memcpy(s->mem + s->len, b, n);
		s->len += n;
		return 0;
	}
	if (s->fd < 0)
		return 0;
	for (size_t w = 0; w < n;) {
		ssize_t k = write(s->fd, b + w, n - w);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return hl_error_set(errno == ENOSPC ? HL_ELIMIT : HL_EIO, "%s: write: %s",
			                    s->name, strerror(errno));
		}
		w += (size_t)k;
	}
	return 0;
}

/* Reads `in` to its end into `out`: as it is (X_PLAIN), encrypted (a secretstream header, then
 * chunks of CHUNK bytes, the last tagged FINAL, perhaps empty), or decrypted (a stream that is
 * damaged, cut short, continued past its FINAL chunk or made with another key is refused naming
 * in_name). SHA-256 and size of what was read and of what was written. */
static int xfer(xres *r, int in, const char *in_name, xmode m, const bkey *k, xsink *out)
{
	crypto_hash_sha256_state hi, ho;
	crypto_secretstream_xchacha20poly1305_state ss;
	unsigned char hdr[crypto_secretstream_xchacha20poly1305_HEADERBYTES], md[32];
	unsigned char *ib = malloc(CCHUNK), *ob = malloc(CCHUNK);
	unsigned long long olen;
	unsigned char tag;
	ssize_t n;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (!ib || !ob) {
		rc = oom();
		goto done;
	}
	crypto_hash_sha256_init(&hi);
	crypto_hash_sha256_init(&ho);
	/* X_PLAIN writes what it reads: one hash serves both (hashing twice was a third of a
	 * backup's CPU) */
#define OUT(b, l)                                                                                  \
	do {                                                                                       \
		if (m != X_PLAIN)                                                                  \
			crypto_hash_sha256_update(&ho, (b), (l));                                  \
		r->out_size += (int64_t)(l);                                                       \
		if ((rc = sink_put(out, (b), (l))) < 0)                                            \
			goto done;                                                                 \
	} while (0)
#define READ_ERR() (rc = hl_error_set(HL_EIO, "%s: read: %s", in_name, strerror(errno)))
	if (m == X_PLAIN) {
		while ((n = read_full(in, ib, CHUNK)) > 0) {
			crypto_hash_sha256_update(&hi, ib, (size_t)n);
			r->in_size += n;
			OUT(ib, (size_t)n);
		}
		if (n < 0) {
			READ_ERR();
			goto done;
		}
	} else if (m == X_ENCRYPT) {
		crypto_secretstream_xchacha20poly1305_init_push(&ss, hdr, k->k);
		OUT(hdr, sizeof(hdr));
		for (;;) {
			if ((n = read_full(in, ib, CHUNK)) < 0) {
				READ_ERR();
				goto done;
			}
			crypto_hash_sha256_update(&hi, ib, (size_t)n);
			r->in_size += n;
			tag = n < CHUNK ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0;
			crypto_secretstream_xchacha20poly1305_push(&ss, ob, &olen, ib, (size_t)n,
			                                           NULL, 0, tag);
			OUT(ob, (size_t)olen);
			if (tag)
				break;
		}
	} else {
		if ((n = read_full(in, hdr, sizeof(hdr))) < 0) {
			READ_ERR();
			goto done;
		}
		crypto_hash_sha256_update(&hi, hdr, (size_t)n);
		r->in_size += n;
		if (n != sizeof(hdr) ||
		    crypto_secretstream_xchacha20poly1305_init_pull(&ss, hdr, k->k) != 0)
			goto bad;
		for (;;) {
			if ((n = read_full(in, ib, CCHUNK)) < 0) {
				READ_ERR();
				goto done;
			}
			crypto_hash_sha256_update(&hi, ib, (size_t)n);
			r->in_size += n;
			if (n < crypto_secretstream_xchacha20poly1305_ABYTES ||
			    crypto_secretstream_xchacha20poly1305_pull(&ss, ob, &olen, &tag, ib,
			                                               (size_t)n, NULL, 0) != 0)
				goto bad;
			OUT(ob, (size_t)olen);
			if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL)
				break;
			if (n < CCHUNK) /* cut short */
				goto bad;
		}
		/* nothing may follow the FINAL chunk */
		if ((n = read_full(in, ib, 1)) != 0) {
			if (n < 0) {
				READ_ERR();
				goto done;
			}
			goto bad;
		}
	}
#undef OUT
#undef READ_ERR
	crypto_hash_sha256_final(&hi, md);
	sodium_bin2hex(r->in_hex, sizeof(r->in_hex), md, sizeof(md));
	if (m == X_PLAIN) {
		memcpy(r->out_hex, r->in_hex, sizeof(r->out_hex));
	} else {
		crypto_hash_sha256_final(&ho, md);
		sodium_bin2hex(r->out_hex, sizeof(r->out_hex), md, sizeof(md));
	}
	rc = 0;
	goto done;
bad:
	rc = hl_error_set(HL_EINVALID,
	                  "%s cannot be decrypted (damaged, cut short, or made with "
	                  "another key)",
	                  in_name);
done:
	if (ob)
		sodium_memzero(ob, CCHUNK);
	sodium_memzero(&ss, sizeof(ss));
	free(ib), free(ob);
	return rc;
}

/* The plaintext side of an xfer. */
static const char *plain_hex(const xres *r, xmode m)
{
	return m == X_DECRYPT ? r->out_hex : r->in_hex;
}
static int64_t plain_size(const xres *r, xmode m)
{
	return m == X_DECRYPT ? r->out_size : r->in_size;
}

/* Writes what `in` gives (through xfer) to dst by dst.tmp.PID, fsync, rename. With `expect`, a
 * plaintext whose SHA-256 differs is removed and refused (HL_EIO naming `name`). `sync` 0: no
 * fsync of each file (the many blobs): the caller makes the whole file system durable with one
 * syncfs (sync_tree) before anything names them as whole. */
static int put_file_s(xres *r, int in, const char *in_name, const char *dst, unsigned mode, xmode m,
                      const bkey *k, const char *expect, const char *name, int sync)
{
	size_t tn = strlen(dst) + 32;
	char *tmp = malloc(tn);
	xsink s = {.fd = -1, .name = dst};
	int rc = -1;

	if (!tmp)
		return oom();
	snprintf(tmp, tn, "%s.tmp.%ld", dst, (long)getpid());
	s.name = tmp;
	if ((s.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)) < 0) {
		rc = hl_error_set(HL_EIO, "%s: cannot create: %s", tmp, strerror(errno));
		goto done;
	}
	if ((rc = xfer(r, in, in_name, m, k, &s)) < 0)
		goto done;
	if (expect && strcmp(plain_hex(r, m), expect)) {
		rc = hl_error_set(HL_EIO, "%s: its content does not match its SHA-256 (%s)", name,
		                  in_name);
		goto done;
	}
	if (fchmod(s.fd, mode) != 0 || (sync && fsync(s.fd) != 0) || close(s.fd) != 0) {
		s.fd = -1;
		rc = hl_error_set(HL_EIO, "%s: cannot write: %s", tmp, strerror(errno));
		goto done;
	}
	s.fd = -1;
	if (rename(tmp, dst) != 0) {
		rc = hl_error_set(HL_EIO, "%s: cannot rename: %s", dst, strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (s.fd >= 0)
		close(s.fd);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

static int put_file(xres *r, int in, const char *in_name, const char *dst, unsigned mode, xmode m,
                    const bkey *k, const char *expect, const char *name)
{
	return put_file_s(r, in, in_name, dst, mode, m, k, expect, name, 1);
}

/* Makes what was written under `dir` durable: one syncfs of its file system (the blobs were
 * written without an fsync each, which cost most of a backup's time). */
static int sync_tree(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;
	if (fd < 0 || syncfs(fd) != 0)
		rc = hl_error_set(HL_EIO, "%s: cannot make it durable: %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

/* put_file from a path of the node (the node's own files: opened as they are). */
static int put_path(xres *r, const char *src, const char *dst, unsigned mode, xmode m,
                    const bkey *k, const char *expect, const char *name)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), rc;
	if (in < 0)
		return hl_error_set(errno == ENOENT ? HL_ENOTFOUND : HL_EIO, "%s: cannot open: %s",
		                    src, strerror(errno));
	rc = put_file(r, in, src, dst, mode, m, k, expect, name);
	close(in);
	return rc;
}

/* ---- targets ---- */

int hl_backup_targets(char ***out, size_t *n)
{
	const char *v = getenv("HALONG_BACKUP_TARGETS");
	char **t = NULL;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (!v || !*v)
		return 0;
	if (!(t = calloc(HL_BACKUP_TARGETS_MAX, sizeof(*t))))
		return oom();
	for (const char *s = v; *s;) {
		size_t l = strcspn(s, ":");
		if (l) {
			if (k == HL_BACKUP_TARGETS_MAX) {
				hl_backup_targets_free(t, k);
				return hl_error_set(HL_ELIMIT,
				                    "HALONG_BACKUP_TARGETS: at most %d folders",
				                    HL_BACKUP_TARGETS_MAX);
			}
			if (!(t[k] = malloc(l + 1))) {
				hl_backup_targets_free(t, k);
				return oom();
			}
			memcpy(t[k], s, l);
			t[k++][l] = '\0';
		}
		s += l + (s[l] == ':');
	}
	*out = t;
	*n = k;
	return 0;
}

void hl_backup_targets_free(char **t, size_t n)
{
	for (size_t i = 0; t && i < n; i++)
		free(t[i]);
	free(t);
}

/* stat of the folder or of its nearest existing parent (a target made by its first backup). */
static int stat_near(struct stat *sb, const char *dir)
{
	char *p = hl_strdup(dir), *s;
	int rc = -1;
	while (p) {
		if (stat(p, sb) == 0) {
			rc = 0;
			break;
		}
		if (!(s = strrchr(p, '/')) || s == p) {
			rc = stat(s == p ? "/" : ".", sb);
			break;
		}
		*s = '\0';
	}
	free(p);
	return rc;
}

int hl_backup_targets_warn(const char *const *targets, size_t n,
                           void (*cb)(const char *msg, void *ud), void *ud)
{
	char msg[1024];
	struct stat a, b;
	int w = 0;

	if (n == 1) {
		snprintf(msg, sizeof(msg),
		         "only one backup target (%s): Circular 02/2019/TT-BNV asks for two copies "
		         "on separate media; name a second folder on another disk "
		         "(HALONG_BACKUP_TARGETS=A:B, or a second --to)",
		         targets[0]);
		cb(msg, ud);
		w++;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (stat_near(&a, targets[i]) == 0 && stat_near(&b, targets[j]) == 0 &&
			    a.st_dev == b.st_dev) {
				snprintf(
				    msg, sizeof(msg),
				    "backup targets %s and %s are on the same file system: one "
				    "disk failure would lose both copies (Circular 02/2019/TT-BNV "
				    "asks for separate media)",
				    targets[i], targets[j]);
				cb(msg, ud);
				w++;
			}
	return w;
}

/* A target's lock file: backups take it shared, prune exclusive; -1 with the error set. */
static int target_lock(const char *target, int exclusive)
{
	char *p = hl_path_join(target, LOCKNAME);
	int fd = p ? open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600) : -1;
	free(p);
	if (fd < 0)
		return hl_error_set(HL_EIO, "%s/%s: cannot open: %s", target, LOCKNAME,
		                    strerror(errno));
	if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
		close(fd);
		return hl_error_set(HL_ECONFLICT, "%s: %s", target,
		                    exclusive ? "a backup is being made into it: prune later"
		                              : "a prune is working on it: back up later");
	}
	return fd;
}

/* A small text file of a target (node.pub, backup-key.id), first line; HL_ENOTFOUND. */
static int target_word(char *out, size_t cap, const char *target, const char *name)
{
	char *buf = NULL;
	size_t len;
	int fd, rc;
	if ((rc = open_in(&fd, target, name)) < 0)
		return rc;
	rc = read_fd_all(&buf, &len, fd, name, SMALL_MAX);
	close(fd);
	if (rc < 0)
		return rc;
	buf[strcspn(buf, "\r\n")] = '\0';
	snprintf(out, cap, "%s", buf);
	free(buf);
	return 0;
}

/* ---- making a backup ---- */

/* One entry of the manifest's files or blobs: the plaintext's SHA-256 and size (by which blobs
 * are named and deduplicated), and, encrypted, the stored file's (what verify checks without
 * the key). */
static json_t *entry(const char *key, const char *name, const xres *r, xmode m)
{
	/* key NULL: a blob, named by its sha256 alone */
	json_t *o = key ? json_pack("{s:s, s:s, s:I}", key, name, "sha256", plain_hex(r, m), "size",
	                            (json_int_t)plain_size(r, m))
	                : json_pack("{s:s, s:I}", "sha256", plain_hex(r, m), "size",
	                            (json_int_t)plain_size(r, m));
	if (o && m != X_PLAIN) {
		const char *eh = m == X_ENCRYPT ? r->out_hex : r->in_hex;
		int64_t es = m == X_ENCRYPT ? r->out_size : r->in_size;
		if (json_object_set_new(o, "enc_sha256", json_string(eh)) != 0 ||
		    json_object_set_new(o, "enc_size", json_integer(es)) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static int add_entry(json_t *arr, const char *key, const char *name, const xres *r, xmode m)
{
	json_t *o = entry(key, name, r, m);
	return o && json_array_append_new(arr, o) == 0 ? 0 : oom();
}

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

/* One target of a backup being made. */
typedef struct {
	const char *target;
	char *bdir, *final; /* NAME.partial while it is made, NAME */
	json_t *files, *blobs;
	int lock, made, has_pub, has_keyid;
	/* the node key was rotated since the target recorded `old`: its endorsement of the new
	 * key by the retired old one, appended to node.pub.rotations when the backup is whole */
	char old_pub[64], endorse[96];
	hl_backup_stats st;
} tgt;

static int backup_names(char ***out, size_t *count, const char *target, int partials);
static void names_free(char **names, size_t n);
static json_t *manifest_of(const char *target, const char *name);

/* The blobs the newest complete backup of the target lists, by SHA-256 ({sha: entry}), when it
 * was made the way this one is (the same encryption and key): a blob it lists that is still there
 * with its size is taken as it is (its name is its hash, it was durable before that manifest was
 * written, and `verify` re-hashes it) — what makes an incremental backup read only what changed.
 * NULL when there is none; a blob it does not list is read and hashed. */
static json_t *known_blobs(const char *target, const bkey *k)
{
	char **names = NULL;
	size_t n = 0;
	json_t *m = NULL, *out = NULL, *e, *enc;
	size_t i;

	if (backup_names(&names, &n, target, 0) < 0) {
		hl_error_clear();
		return NULL;
	}
	for (i = n; i > 0 && !m; i--)
		m = manifest_of(target, names[i - 1]);
	names_free(names, n);
	hl_error_clear();
	if (!m)
		return NULL;
	enc = json_object_get(m, "encryption");
	if (k->set ? !json_is_object(enc) ||
	                 strcmp(json_string_value(json_object_get(enc, "key_id")) ?: "", k->id)
	           : json_is_object(enc))
		goto done;
	if (!(out = json_object()))
		goto done;
	json_array_foreach(json_object_get(m, "blobs"), i, e)
	{
		const char *sha = json_string_value(json_object_get(e, "sha256"));
		if (sha && is_hex64(sha))
			json_object_set(out, sha, e);
	}
done:
	json_decref(m);
	return out;
}

/* The target's blobs/ab/ folders opened once each (no link followed on the way), so that a blob
 * kept unread costs one fstatat: an incremental backup of 100,000 blobs made ~9 calls a blob. */
typedef struct {
	int root;    /* TARGET/blobs, -1 until opened, -2 when it cannot be */
	int ab[256]; /* TARGET/blobs/ab, -1 until opened, -2 when it cannot be */
} blob_dirs;

static void blob_dirs_init(blob_dirs *d)
{
	d->root = -1;
	for (int i = 0; i < 256; i++)
		d->ab[i] = -1;
}

static void blob_dirs_close(blob_dirs *d)
{
	if (d->root >= 0)
		close(d->root);
	for (int i = 0; i < 256; i++)
		if (d->ab[i] >= 0)
			close(d->ab[i]);
}

/* 1 when the blob of the target is a regular file (no link on the way) of `size` bytes. */
static int there_with_size(blob_dirs *d, const char *target, const char *sha, int enc, int64_t size)
{
	struct stat sb;
	char name[80];
	unsigned ab;
	const int fl = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	if (sscanf(sha, "%2x", &ab) != 1)
		return 0;
	ab &= 0xff;
	if (d->root == -1) {
		char *p = hl_path_join(target, "blobs");
		d->root = p ? open(p, fl) : -1;
		if (d->root < 0)
			d->root = -2;
		free(p);
	}
	if (d->root < 0)
		return 0;
	if (d->ab[ab] == -1) {
		char sub[3] = {sha[0], sha[1], '\0'};
		d->ab[ab] = openat(d->root, sub, fl);
		if (d->ab[ab] < 0)
			d->ab[ab] = -2;
	}
	if (d->ab[ab] < 0)
		return 0;
	snprintf(name, sizeof(name), "%s%s", sha + 2, enc ? ENC : "");
	return fstatat(d->ab[ab], name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode) &&
	       sb.st_size == size;
}

/* What a worker of copy_blobs did with one blob: found it on the target whole (1) or copied it
 * (2), with the hashes and sizes of what was read and written. */
typedef struct {
	int kind;
	xres r;
} blob_slot;

/* The blobs copy_blobs hands to its workers (those not kept unread): each worker takes the next
 * index, the first error stops them all and is kept (the error text is per thread). */
typedef struct {
	const char *target, *home;
	const bkey *k;
	json_t *blobs;
	size_t *pending, npending;
	blob_slot *slots;
	atomic_size_t next, done;
	atomic_int stop;
	pthread_mutex_t mu;
	int err;
	char msg[512];
} blob_work;

static void work_fail(blob_work *w, int rc)
{
	pthread_mutex_lock(&w->mu);
	if (!w->err) {
		w->err = rc < 0 ? rc : HL_ERROR;
		snprintf(w->msg, sizeof(w->msg), "%s", hl_error_last());
	}
	pthread_mutex_unlock(&w->mu);
	atomic_store(&w->stop, 1);
}

/* One blob not kept unread: already there and whole (re-hashed, decrypted with this key), or
 * copied (hashed as it is written; no fsync each: one syncfs of the target before its
 * manifest). */
static int copy_one(blob_work *w, size_t i)
{
	json_t *b = json_array_get(w->blobs, i);
	const char *sha = json_string_value(json_object_get(b, "sha256"));
	int64_t size = json_integer_value(json_object_get(b, "size"));
	xmode put = w->k->set ? X_ENCRYPT : X_PLAIN, check = w->k->set ? X_DECRYPT : X_PLAIN;
	xsink none = {.fd = -1};
	blob_slot *sl = &w->slots[i];
	char rel[80], name[80], *src, *dst;
	int rc = 0, fd;

	blob_rel(rel, sha, w->k->set);
	src = blob_path(w->home, sha, 0), dst = hl_path_join(w->target, rel);
	if (!src || !dst) {
		free(src), free(dst);
		return oom();
	}
	snprintf(name, sizeof(name), "blob %s", sha);
	if (open_nofollow(&fd, w->target, rel) == OPEN_OK) {
		if (xfer(&sl->r, fd, dst, check, w->k, &none) == 0 &&
		    !strcmp(plain_hex(&sl->r, check), sha) && plain_size(&sl->r, check) == size)
			sl->kind = 1;
		close(fd);
		hl_error_clear();
	}
	if (!sl->kind) {
		if ((fd = open(src, O_RDONLY | O_CLOEXEC)) < 0) {
			rc = hl_error_set(errno == ENOENT ? HL_ENOTFOUND : HL_EIO,
			                  "%s: cannot open: %s", src, strerror(errno));
		} else {
			/* 0600: a target is often a shared disk, and a blob may be a restricted or
			 * secret record's file */
			rc = put_file_s(&sl->r, fd, src, dst, 0600, put, w->k, sha, name, 0);
			close(fd);
			if (rc == 0)
				sl->kind = 2;
		}
	}
	free(src), free(dst);
	return rc;
}

static void *blob_worker(void *arg)
{
	blob_work *w = arg;
	size_t idx;
	int rc;
	while (!atomic_load(&w->stop) && (idx = atomic_fetch_add(&w->next, 1)) < w->npending) {
		if ((rc = copy_one(w, w->pending[idx])) < 0) {
			work_fail(w, rc);
			break;
		}
		atomic_fetch_add(&w->done, 1);
	}
	return NULL;
}

/* Threads that copy blobs: as many as the cores, at most 4 (each reads, hashes and writes; one
 * thread left a core idle while rsync, our baseline, runs three processes). */
#define BLOB_THREADS_MAX 4

static int copy_blobs(tgt *t, const char *home, const bkey *k, json_t *blobs, int rehash,
                      hl_progress_cb progress, void *ud)
{
	size_t i, n = json_array_size(blobs), kept = 0;
	json_t *b;
	char *dst = NULL, rel[80];
	xmode put = k->set ? X_ENCRYPT : X_PLAIN, check = k->set ? X_DECRYPT : X_PLAIN;
	int rc = 0, nthreads = 1, started = 0;
	json_t *known = rehash ? NULL : known_blobs(t->target, k), *was;
	unsigned char made[256] = {0}; /* blobs/ab/ folders made (or found) this time */
	json_t **keep = calloc(n ? n : 1, sizeof(*keep));
	blob_work w = {.target = t->target, .home = home, .k = k, .blobs = blobs};
	pthread_t th[BLOB_THREADS_MAX];
	blob_dirs bd;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	blob_dirs_init(&bd);
	pthread_mutex_init(&w.mu, NULL);
	atomic_init(&w.next, 0);
	atomic_init(&w.done, 0);
	atomic_init(&w.stop, 0);
	w.pending = malloc((n ? n : 1) * sizeof(*w.pending));
	w.slots = calloc(n ? n : 1, sizeof(*w.slots));
	if (!keep || !w.pending || !w.slots) {
		rc = oom();
		goto done;
	}
	/* First, in order: what the last backup listed and is still there is kept unread; the
	 * folders of the others are made. */
	json_array_foreach(blobs, i, b)
	{
		const char *sha = json_string_value(json_object_get(b, "sha256"));
		int64_t size = json_integer_value(json_object_get(b, "size"));
		unsigned ab;
		was = known ? json_object_get(known, sha) : NULL;
		if (was && json_integer_value(json_object_get(was, "size")) == size &&
		    there_with_size(&bd, t->target, sha, k->set,
		                    k->set ? json_integer_value(json_object_get(was, "enc_size"))
		                           : size)) {
			keep[i] = was;
			kept++;
			continue;
		}
		sscanf(sha, "%2x", &ab);
		if (!made[ab & 0xff]) {
			char *dir;
			blob_rel(rel, sha, k->set);
			free(dst);
			if (!(dst = hl_path_join(t->target, rel)) || !(dir = hl_strdup(dst))) {
				rc = oom();
				goto done;
			}
			*strrchr(dir, '/') = '\0';
			rc = hl_mkdir_p(dir, 0700); /* 0700: a target is often a shared disk */
			free(dir);
			if (rc < 0)
				goto done;
			made[ab & 0xff] = 1;
		}
		w.pending[w.npending++] = i;
	}
	/* Then the others, by several threads; this one reports the progress. */
	if (cores > 1 && w.npending >= 64)
		nthreads = cores < BLOB_THREADS_MAX ? (int)cores : BLOB_THREADS_MAX;
	for (int j = 1; j < nthreads; j++) {
		if (pthread_create(&th[started], NULL, blob_worker, &w) != 0)
			break;
		started++;
	}
	{
		size_t idx;
		while (!atomic_load(&w.stop) && (idx = atomic_fetch_add(&w.next, 1)) < w.npending) {
			if ((rc = copy_one(&w, w.pending[idx])) < 0) {
				work_fail(&w, rc);
				break;
			}
			atomic_fetch_add(&w.done, 1);
			if (progress &&
			    progress("blobs", kept + atomic_load(&w.done), n, ud) != 0) {
				hl_error_set(HL_ERROR, "interrupted");
				work_fail(&w, HL_ERROR);
				break;
			}
		}
	}
	for (int j = 0; j < started; j++)
		pthread_join(th[j], NULL);
	if (w.err) {
		rc = hl_error_set(w.err, "%s", w.msg);
		goto done;
	}
	if (progress && progress("blobs", n, n, ud) != 0) {
		rc = hl_error_set(HL_ERROR, "interrupted");
		goto done;
	}
	/* The manifest's entries, in the store's order. */
	for (i = 0; i < n; i++) {
		if (keep[i]) {
			t->st.blobs_present++;
			rc = json_array_append(t->blobs, keep[i]) == 0 ? 0 : oom();
		} else if (w.slots[i].kind == 1) {
			t->st.blobs_present++;
			rc = add_entry(
			    t->blobs, NULL,
			    json_string_value(json_object_get(json_array_get(blobs, i), "sha256")),
			    &w.slots[i].r, check);
		} else {
			t->st.blobs_copied++;
			t->st.bytes_copied += (uint64_t)w.slots[i].r.in_size;
			rc = add_entry(
			    t->blobs, NULL,
			    json_string_value(json_object_get(json_array_get(blobs, i), "sha256")),
			    &w.slots[i].r, put);
		}
		if (rc < 0)
			goto done;
		t->st.blobs++;
	}
done:
	pthread_mutex_destroy(&w.mu);
	free(w.pending), free(w.slots), free(keep), free(dst);
	json_decref(known);
	blob_dirs_close(&bd);
	return rc;
}

/* keys/ of the data directory, each regular file with mode 0600, and halong.conf. */
static int copy_node_files(tgt *t, const char *home, const bkey *k)
{
	char *keys = hl_path_join(home, "keys"), *bkeys = hl_path_join(t->bdir, "keys");
	char *src = NULL, *dst = NULL, rel[300], stored[310];
	xmode m = k->set ? X_ENCRYPT : X_PLAIN;
	DIR *d = NULL;
	struct dirent *e;
	struct stat sb;
	xres r;
	int rc = -1;

	if (!keys || !bkeys) {
		rc = oom();
		goto done;
	}
	if ((d = opendir(keys))) {
		if ((rc = hl_mkdir_p(bkeys, 0700)) < 0)
			goto done;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp"))
				continue;
			snprintf(rel, sizeof(rel), "keys/%s", e->d_name);
			snprintf(stored, sizeof(stored), "%s%s", rel, k->set ? ENC : "");
			free(src), free(dst);
			src = hl_path_join(home, rel), dst = hl_path_join(t->bdir, stored);
			if (!src || !dst) {
				rc = oom();
				goto done;
			}
			if (lstat(src, &sb) != 0 || !S_ISREG(sb.st_mode))
				continue;
			if ((rc = put_path(&r, src, dst, 0600, m, k, NULL, rel)) < 0 ||
			    (rc = add_entry(t->files, "path", rel, &r, m)) < 0)
				goto done;
			t->st.files++;
		}
	}
	free(src), free(dst);
	snprintf(stored, sizeof(stored), "halong.conf%s", k->set ? ENC : "");
	src = hl_path_join(home, "halong.conf"), dst = hl_path_join(t->bdir, stored);
	if (!src || !dst) {
		rc = oom();
		goto done;
	}
	if (hl_file_exists(src)) {
		if ((rc = put_path(&r, src, dst, 0600, m, k, NULL, "halong.conf")) < 0 ||
		    (rc = add_entry(t->files, "path", "halong.conf", &r, m)) < 0)
			goto done;
		t->st.files++;
	}
	rc = 0;
done:
	if (d)
		closedir(d);
	free(keys), free(bkeys), free(src), free(dst);
	return rc;
}

/* Prepares target t: its blobs/ folder, its lock, the node key and backup key it records, and a
 * new NAME.partial folder. */
static int target_open(tgt *t, const char *stamp, const hl_node *node, const bkey *k,
                       const char *home)
{
	char *p = hl_path_join(t->target, "blobs"), word[128];
	int rc;

	if (!p)
		return oom();
	rc = hl_mkdir_p(p, 0700);
	free(p);
	if (rc < 0)
		return rc;
	if ((t->lock = target_lock(t->target, 0)) < 0)
		return t->lock;
	rc = target_word(word, sizeof(word), t->target, NODEPUB);
	if (rc == 0) {
		t->has_pub = 1;
		if (!node)
			return hl_error_set(HL_ECONFLICT,
			                    "%s holds signed backups of a node (%s), and this node "
			                    "has no identity: back it up into another folder",
			                    t->target, NODEPUB);
		/* A key rotated since: the retired key endorses the new one, and the target
		 * learns it when this backup is whole (node.pub.rotations). */
		if (strcmp(word, hl_node_public_key(node)) &&
		    hl_node_endorse(t->endorse, home, word, hl_node_public_key(node)) == 0)
			snprintf(t->old_pub, sizeof(t->old_pub), "%.63s", word);
		else if (strcmp(word, hl_node_public_key(node)))
			return hl_error_set(
			    HL_ECONFLICT,
			    "%s holds the backups of another node key (%s/%s is %s, "
			    "this node's key is %s): back this node up into another "
			    "folder",
			    t->target, t->target, NODEPUB, word, hl_node_public_key(node));
	} else if (rc != HL_ENOTFOUND) {
		return rc;
	}
	rc = target_word(word, sizeof(word), t->target, KEYID);
	if (rc == 0) {
		t->has_keyid = 1;
		if (k->set && strcmp(word, k->id))
			return hl_error_set(
			    HL_ECONFLICT,
			    "%s: its encrypted backups are under another key (%s/%s "
			    "is %s; %s is %s): a target keeps one backup key",
			    t->target, t->target, KEYID, word, k->file, k->id);
	} else if (rc != HL_ENOTFOUND) {
		return rc;
	}
	hl_error_clear();
	/* Two backups in the same second: the second is named ...Z-2. */
	for (int i = 1; i < 100; i++) {
		char nm[80];
		if (i == 1)
			snprintf(t->st.name, sizeof(t->st.name), PREFIX "%s", stamp);
		else
			snprintf(t->st.name, sizeof(t->st.name), PREFIX "%s-%d", stamp, i);
		snprintf(nm, sizeof(nm), "%s" PARTIAL, t->st.name);
		free(t->final), free(t->bdir);
		t->final = hl_path_join(t->target, t->st.name);
		t->bdir = hl_path_join(t->target, nm);
		if (!t->final || !t->bdir)
			return oom();
		if (hl_file_exists(t->final) || hl_file_exists(t->bdir))
			continue;
		/* 0700: the backup holds the node's secret key. */
		if (mkdir(t->bdir, 0700) == 0) {
			t->made = 1;
			return 0;
		}
		if (errno != EEXIST)
			return hl_error_set(HL_EIO, "%s: cannot create: %s", t->bdir,
			                    strerror(errno));
	}
	return hl_error_set(HL_ECONFLICT, "%s: too many backups in one second", t->target);
}

/* Appends "OLD NEW SIGNATURE" to TARGET/node.pub.rotations (rewritten whole, atomically). */
static int append_rotation(const char *target, const char *old_pk, const char *new_pk,
                           const char *sig)
{
	char *p = hl_path_join(target, ROTATIONS), *buf = NULL, *all = NULL;
	size_t len = 0;
	int fd, rc;
	if (!p)
		return oom();
	if ((rc = open_in(&fd, target, ROTATIONS)) == 0) {
		rc = read_fd_all(&buf, &len, fd, ROTATIONS, ROTATIONS_MAX);
		close(fd);
		if (rc < 0)
			goto done;
	} else if (rc != HL_ENOTFOUND) {
		goto done;
	}
	hl_error_clear();
	{
		size_t cap = len + strlen(old_pk) + strlen(new_pk) + strlen(sig) + 4;
		if (!(all = malloc(cap))) {
			rc = oom();
			goto done;
		}
		if (len)
			memcpy(all, buf, len);
		snprintf(all + len, cap - len, "%s %s %s\n", old_pk, new_pk, sig);
	}
	rc = hl_write_atomic(p, all, strlen(all), 0644);
done:
	free(p), free(buf), free(all);
	return rc;
}

/* The manifest of target t, signed, and the folder renamed into place. */
static int target_finish(tgt *t, json_t *base, const hl_node *node, const bkey *k)
{
	json_t *m = json_deep_copy(base);
	char *text = NULL, *p = NULL, sig[89], line[128];
	int rc = -1;

	if (!m || json_object_set(m, "files", t->files) != 0 ||
	    json_object_set(m, "blobs", t->blobs) != 0 ||
	    !(text = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) ||
	    !(p = hl_path_join(t->bdir, "manifest.json"))) {
		rc = oom();
		goto done;
	}
	if ((rc = hl_write_atomic(p, text, strlen(text), 0600)) < 0)
		goto done;
	if (node) {
		hl_node_sign(sig, node, HL_BACKUP_SIGN_CTX, text, strlen(text));
		snprintf(line, sizeof(line), "%s\n", sig);
		free(p);
		if (!(p = hl_path_join(t->bdir, "manifest.sig"))) {
			rc = oom();
			goto done;
		}
		if ((rc = hl_write_atomic(p, line, strlen(line), 0600)) < 0)
			goto done;
		t->st.is_signed = 1;
		/* the key rotated: first the endorsement, then the new key (a stop between them
		 * leaves the old node.pub, and the next backup endorses again) */
		if (t->old_pub[0] &&
		    (rc = append_rotation(t->target, t->old_pub, hl_node_public_key(node),
		                          t->endorse)) < 0)
			goto done;
		/* the target remembers whose backups it holds: verify checks against it */
		if (!t->has_pub || t->old_pub[0]) {
			free(p);
			snprintf(line, sizeof(line), "%s\n", hl_node_public_key(node));
			if (!(p = hl_path_join(t->target, NODEPUB))) {
				rc = oom();
				goto done;
			}
			if ((rc = hl_write_atomic(p, line, strlen(line), 0644)) < 0)
				goto done;
		}
	}
	if (k->set && !t->has_keyid) {
		free(p);
		snprintf(line, sizeof(line), "%s\n", k->id);
		if (!(p = hl_path_join(t->target, KEYID))) {
			rc = oom();
			goto done;
		}
		if ((rc = hl_write_atomic(p, line, strlen(line), 0644)) < 0)
			goto done;
	}
	t->st.is_encrypted = k->set;
	if (rename(t->bdir, t->final) != 0) {
		rc = hl_error_set(HL_EIO, "%s: cannot rename: %s", t->final, strerror(errno));
		goto done;
	}
	t->made = 0;
	rc = 0;
done:
	json_decref(m);
	free(text), free(p);
	return rc;
}

int hl_backup_make(hl_backup_stats *out, hl_archive *a, const char *const *targets, size_t n,
                   const hl_backup_opts *o, hl_progress_cb progress, void *ud)
{
	hl_store *store = hl_archive_store(a);
	const char *home = hl_archive_dir(a);
	hl_node *node = NULL;
	blob_list bl = {0};
	bkey key = {0};
	tgt *T = NULL;
	json_t *base = NULL, *nodej, *encj;
	char *db = NULL, *tmpdir = NULL, stamp[32], created[32], why[256] = "";
	int schema = 0, rc = -1, fd;
	int64_t documents = 0;
	time_t now = time(NULL);
	struct tm tm;
	xsink none = {.fd = -1};
	xres r;

	if (n == 0)
		return hl_error_set(HL_EINVALID, "no backup target: give --to DIR or set "
		                                 "HALONG_BACKUP_TARGETS");
	if (n > HL_BACKUP_TARGETS_MAX)
		return hl_error_set(HL_ELIMIT, "at most %d backup targets", HL_BACKUP_TARGETS_MAX);
	if (sodium_init() < 0)
		return hl_error_set(HL_ERROR, "libsodium could not start");
	if ((rc = key_from(&key, o ? o->key_file : NULL, o ? o->no_env_key : 0)) < 0)
		return rc;
	if (!(T = calloc(n, sizeof(*T))) || !(bl.blobs = json_array())) {
		rc = oom();
		goto done;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	rc = hl_node_open(&node, store, home);
	if (rc == HL_ENOTFOUND) {
		snprintf(why, sizeof(why), "%s", hl_error_last());
		node = NULL;
	} else if (rc < 0) {
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		struct stat si, sj;
		T[i].target = targets[i];
		T[i].lock = -1;
		if (!(T[i].files = json_array()) || !(T[i].blobs = json_array())) {
			rc = oom();
			goto done;
		}
		if ((rc = target_open(&T[i], stamp, node, &key, home)) < 0)
			goto done;
		for (size_t j = 0; j < i; j++)
			if (stat(T[i].target, &si) == 0 && stat(T[j].target, &sj) == 0 &&
			    si.st_dev == sj.st_dev && si.st_ino == sj.st_ino) {
				rc = hl_error_set(
				    HL_EINVALID,
				    "%s and %s are the same folder: two targets must be "
				    "two places",
				    T[j].target, T[i].target);
				goto done;
			}
	}

	/* The store, copied once: into the first target as it is, or (encrypted) into the node's
	 * own tmp/ — a plaintext copy never touches a target — then written to every target. */
	if (key.set) {
		char nm[64];
		snprintf(nm, sizeof(nm), "backup-store-%ld.db", (long)getpid());
		if (!(tmpdir = hl_path_join(home, "tmp")) || !(db = hl_path_join(tmpdir, nm))) {
			rc = oom();
			goto done;
		}
		if ((rc = hl_mkdir_p(tmpdir, 0700)) < 0)
			goto done;
		unlink(db);
	} else if (!(db = hl_path_join(T[0].bdir, "store.db"))) {
		rc = oom();
		goto done;
	}
	if ((rc = hl_store_backup_to(store, db, progress, ud)) < 0 ||
	    (rc = hl_store_backup_read(&schema, &documents, db, collect_blob, &bl)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		char *dst = hl_path_join(T[i].bdir, key.set ? "store.db" ENC : "store.db");
		xmode m = key.set ? X_ENCRYPT : X_PLAIN;
		if (!dst) {
			rc = oom();
			goto done;
		}
		if (i == 0 && !key.set) {
			if ((fd = open(db, O_RDONLY | O_CLOEXEC)) < 0) {
				rc = hl_error_set(HL_EIO, "%s: %s", db, strerror(errno));
			} else {
				rc = xfer(&r, fd, db, X_PLAIN, &key, &none);
				close(fd);
				if (rc == 0)
					chmod(db, 0600);
			}
		} else {
			rc = put_path(&r, db, dst, 0600, m, &key, NULL, "store.db");
		}
		free(dst);
		if (rc < 0 || (rc = add_entry(T[i].files, "path", "store.db", &r, m)) < 0)
			goto done;
		T[i].st.files++;
		T[i].st.documents = documents;
	}
	if (key.set)
		unlink(db);
	for (size_t i = 0; i < n; i++)
		if ((rc = copy_blobs(&T[i], home, &key, bl.blobs, o && o->rehash, progress, ud)) <
		        0 ||
		    (rc = copy_node_files(&T[i], home, &key)) < 0)
			goto done;

	nodej = node ? json_pack("{s:s, s:s}", "unit", hl_node_unit(node), "public_key",
	                         hl_node_public_key(node))
	             : json_null();
	encj = key.set ? json_pack("{s:s, s:i, s:s}", "cipher", CIPHER, "chunk", CHUNK, "key_id",
	                           key.id)
	               : json_null();
	base = json_pack("{s:s, s:s, s:i, s:s, s:o, s:b, s:o, s:o, s:{s:I, s:I, s:I}}", "format",
	                 HL_BACKUP_FORMAT, "halong_version", HL_VERSION, "schema_version", schema,
	                 "created_at", created, "node", nodej, "signed", node != NULL,
	                 "unsigned_reason", node ? json_null() : json_string(why), "encryption",
	                 encj, "counts", "documents", (json_int_t)documents, "blobs",
	                 (json_int_t)json_array_size(bl.blobs), "blob_bytes", (json_int_t)bl.bytes);
	if (!base) {
		rc = oom();
		goto done;
	}
	/* the blobs durable before a manifest names them (they were written without an fsync each)
	 */
	for (size_t i = 0; i < n; i++)
		if ((rc = sync_tree(T[i].target)) < 0 ||
		    (rc = target_finish(&T[i], base, node, &key)) < 0)
			goto done;
	for (size_t i = 0; i < n; i++)
		out[i] = T[i].st;
	rc = 0;
done:
	if (key.set && db)
		unlink(db);
	for (size_t i = 0; T && i < n; i++) {
		/* a backup that failed leaves no .partial folder behind */
		if (T[i].made && T[i].bdir)
			rm_tree(T[i].bdir);
		if (T[i].lock >= 0)
			close(T[i].lock);
		json_decref(T[i].files), json_decref(T[i].blobs);
		free(T[i].bdir), free(T[i].final);
	}
	free(T);
	key_clear(&key);
	hl_node_free(node);
	json_decref(base), json_decref(bl.blobs);
	free(db), free(tmpdir);
	return rc;
}

/* ---- reading a backup ---- */

typedef struct {
	hl_backup_check c;
	hl_backup_problem_cb cb;
	void *ud;
	int need_key; /* restore: an encrypted backup without the key is refused at once */
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

/* Checks one stored file, `rel` below `root` (no symbolic link followed on the way): its size
 * and SHA-256 as stored; with `key` (an encrypted backup and its key), its decrypted size and
 * SHA-256 too. `cap`, when given, keeps the plaintext (a small file). */
static void check_one(checker *k, const char *root, const char *rel, const char *sha, int64_t size,
                      const bkey *key, const char *psha, int64_t psize, xsink *cap)
{
	xsink none = {.fd = -1};
	struct stat sb;
	xres x;
	int fd, r = open_nofollow(&fd, root, rel);

	switch (r) {
	case OPEN_OK:
		break;
	case OPEN_MISSING:
		problem(k, rel, "missing", "%s is missing", rel);
		return;
	case OPEN_LINK:
		/* a link would make verify and restore read a file outside the backup */
		problem(k, rel, "link",
		        "%s is, or is reached through, a symbolic link: not a file of the backup",
		        rel);
		return;
	case OPEN_NOTREG:
		problem(k, rel, "size", "%s is not a regular file", rel);
		return;
	default:
		problem(k, rel, "missing", "%s cannot be opened: %s", rel, strerror(errno));
		return;
	}
	if (fstat(fd, &sb) != 0 || sb.st_size != size) {
		problem(k, rel, "size", "%s has %lld bytes, the manifest says %lld", rel,
		        (long long)sb.st_size, (long long)size);
		close(fd);
		return;
	}
	if (key && key->set) {
		if (xfer(&x, fd, rel, X_DECRYPT, key, cap ? cap : &none) < 0) {
			/* damaged (the stored hash says so) or not decryptable */
			if (lseek(fd, 0, SEEK_SET) == 0 &&
			    xfer(&x, fd, rel, X_PLAIN, key, &none) == 0 && strcmp(x.in_hex, sha))
				problem(k, rel, "hash",
				        "%s does not match its SHA-256 in the manifest", rel);
			else
				problem(k, rel, "decrypt", "%s", hl_error_last());
		} else if (strcmp(x.in_hex, sha)) {
			problem(k, rel, "hash", "%s does not match its SHA-256 in the manifest",
			        rel);
		} else if (strcmp(x.out_hex, psha) || x.out_size != psize) {
			problem(
			    k, rel, "hash",
			    "%s decrypts to content that does not match its plaintext SHA-256 in "
			    "the manifest",
			    rel);
		}
	} else if (xfer(&x, fd, rel, X_PLAIN, key, cap ? cap : &none) < 0) {
		problem(k, rel, "missing", "%s cannot be read: %s", rel, hl_error_last());
	} else if (strcmp(x.in_hex, sha)) {
		problem(k, rel, "hash", "%s does not match its SHA-256 in the manifest", rel);
	}
	close(fd);
}

/* The public key (standard base64) of an Ed25519 secret key's bytes. */
static int key_public(char pk64[64], const unsigned char *sk, size_t len)
{
	if (len != crypto_sign_SECRETKEYBYTES)
		return hl_error_set(HL_EINVALID, "not a node key");
	sodium_bin2base64(pk64, 64, sk + 32, 32, sodium_base64_VARIANT_ORIGINAL);
	return 0;
}

static int is_pubkey(const char *s)
{
	unsigned char bin[64];
	size_t n = 0;
	return sodium_base642bin(bin, sizeof(bin), s, strlen(s), NULL, &n, NULL,
	                         sodium_base64_VARIANT_ORIGINAL) == 0 &&
	       n == crypto_sign_PUBLICKEYBYTES;
}

/* The key a backup must carry: a base64 public key, a file holding one, or a node's data
 * directory (its keys/node.key). */
static int resolve_expect(char pk[64], const char *s)
{
	struct stat sb;
	char *buf = NULL, *p = NULL;
	size_t len;
	int rc;

	if (stat(s, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		if (!(p = hl_path_join(s, "keys/node.key")))
			return oom();
		rc = read_all(&buf, &len, p, SMALL_MAX);
		free(p);
		if (rc < 0)
			return rc;
		rc = key_public(pk, (unsigned char *)buf, len);
		sodium_memzero(buf, len);
		free(buf);
		if (rc < 0)
			return hl_error_set(HL_EINVALID, "%s/keys/node.key: not a node key", s);
		return 0;
	}
	if (stat(s, &sb) == 0 && S_ISREG(sb.st_mode)) {
		if ((rc = read_all(&buf, &len, s, SMALL_MAX)) < 0)
			return rc;
		hl_trim(buf);
		rc = is_pubkey(buf) ? 0 : -1;
		if (rc == 0)
			snprintf(pk, 64, "%s", buf);
		free(buf);
		if (rc < 0)
			return hl_error_set(HL_EINVALID, "%s: does not hold a node's public key",
			                    s);
		return 0;
	}
	if (strlen(s) < 64 && is_pubkey(s)) {
		snprintf(pk, 64, "%s", s);
		return 0;
	}
	return hl_error_set(HL_EINVALID,
	                    "expected key \"%.60s\": neither a public key (as `halong node show` "
	                    "prints it), a file holding one, nor a node's data directory",
	                    s);
}

/* 1 when key `want` leads to `trusted` through the endorsements of TARGET/node.pub.rotations
 * (each line "OLD NEW SIG": OLD's signature naming NEW its successor), so a backup made before
 * `halong node rotate-key` still verifies against the key the target knows now. */
static int endorsed(const char *target, const char *want, const char *trusted)
{
	enum { MAXK = 256 };
	char *buf = NULL, *line, *save = NULL, known[MAXK][64];
	struct {
		char old[64], new_[64], sig[96];
	} *rows = NULL;
	size_t len = 0, nrows = 0, nknown = 1;
	int fd, found = 0, grew = 1;

	if (open_in(&fd, target, ROTATIONS) < 0) {
		hl_error_clear();
		return 0;
	}
	if (read_fd_all(&buf, &len, fd, ROTATIONS, ROTATIONS_MAX) < 0) {
		close(fd);
		hl_error_clear();
		return 0;
	}
	close(fd);
	if (!(rows = calloc(MAXK, sizeof(*rows))))
		goto done;
	for (line = strtok_r(buf, "\n", &save); line && nrows < MAXK;
	     line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%63s %63s %95s", rows[nrows].old, rows[nrows].new_,
		           rows[nrows].sig) == 3)
			nrows++;
	snprintf(known[0], sizeof(known[0]), "%s", trusted);
	/* walk back from the trusted key: an endorsed key's own predecessors, and so on */
	while (grew && !found) {
		grew = 0;
		for (size_t i = 0; i < nrows && nknown < MAXK; i++) {
			int has_new = 0, has_old = 0;
			for (size_t j = 0; j < nknown; j++) {
				has_new |= !strcmp(known[j], rows[i].new_);
				has_old |= !strcmp(known[j], rows[i].old);
			}
			if (has_new && !has_old &&
			    hl_node_endorsement_ok(rows[i].old, rows[i].new_, rows[i].sig)) {
				snprintf(known[nknown++], sizeof(known[0]), "%s", rows[i].old);
				grew = 1;
				found |= !strcmp(rows[i].old, want);
			}
		}
	}
done:
	free(rows);
	free(buf);
	return found;
}

/* Loads and checks a backup: *mout is the caller's. `expect`: the public key given by the
 * caller (NULL: the target's node.pub). */
static int check_backup(checker *k, json_t **mout, const char *bdir, const bkey *key,
                        const char *expect)
{
	char *target = NULL, *text = NULL, *sig = NULL, rel[300], trusted[128] = "", pk[64];
	const char *source = expect ? "the expected key" : NODEPUB;
	unsigned char keybuf[SMALL_MAX];
	xsink cap = {.fd = -1, .name = "keys/node.key", .mem = keybuf, .cap = sizeof(keybuf)};
	json_t *m = NULL, *files, *blobs, *e, *enc;
	json_error_t jerr;
	size_t len, slen, i;
	int rc = -1, has_key = 0, got_key = 0, fd, r, dec;

	if (!(target = parent_of(bdir))) {
		rc = oom();
		goto done;
	}
	r = open_nofollow(&fd, bdir, "manifest.json");
	if (r == OPEN_MISSING || r == OPEN_LINK) {
		problem(k, "manifest.json", r == OPEN_LINK ? "link" : "missing",
		        r == OPEN_LINK ? "manifest.json is a symbolic link"
		                       : "manifest.json is missing");
		rc = HL_EINVALID;
		goto done;
	}
	if (r != OPEN_OK) {
		rc = hl_error_set(r == OPEN_ERROR && errno == ENOENT ? HL_ENOTFOUND : HL_EIO,
		                  "%s: not a backup folder (manifest.json cannot be opened)", bdir);
		goto done;
	}
	rc = read_fd_all(&text, &len, fd, "manifest.json", HL_BACKUP_MANIFEST_MAX);
	close(fd);
	if (rc < 0)
		goto done;
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
	enc = json_object_get(m, "encryption");
	if (json_is_object(enc)) {
		const char *id = json_string_value(json_object_get(enc, "key_id"));
		k->c.is_encrypted = 1;
		if (strcmp(json_string_value(json_object_get(enc, "cipher")) ?: "", CIPHER) ||
		    !is_hex(id, 32)) {
			problem(k, "manifest.json", "manifest",
			        "manifest.json: an encryption this version does not know");
			rc = HL_EINVALID;
			goto done;
		}
		if (key->set && strcmp(id, key->id)) {
			rc = hl_error_set(HL_EDENIED,
			                  "%s: not the key this backup was encrypted with (the "
			                  "backup's key id is %s, this key's is %s)",
			                  key->file, id, key->id);
			goto done;
		}
		if (!key->set && k->need_key) {
			rc = hl_error_set(HL_EDENIED,
			                  "%s is encrypted: give its key (--key-file FILE, or "
			                  "HALONG_BACKUP_KEY_FILE)",
			                  bdir);
			goto done;
		}
	} else if (!json_is_null(enc) && enc) {
		problem(k, "manifest.json", "manifest",
		        "manifest.json: \"encryption\" is malformed");
		rc = HL_EINVALID;
		goto done;
	}
	dec = k->c.is_encrypted && key->set;
	k->c.plaintext_checked = !k->c.is_encrypted || dec;
	json_array_foreach(files, i, e)
	{
		const char *path = json_string_value(json_object_get(e, "path"));
		const char *sha = json_string_value(json_object_get(e, "sha256"));
		const char *esha = json_string_value(json_object_get(e, "enc_sha256"));
		json_t *sz = json_object_get(e, "size"), *esz = json_object_get(e, "enc_size");
		int is_key;
		if (!safe_rel(path) || !is_hex64(sha) || !json_is_integer(sz) ||
		    (k->c.is_encrypted && (!is_hex64(esha) || !json_is_integer(esz)))) {
			problem(k, "manifest.json", "manifest",
			        "manifest.json: file %zu is malformed", i + 1);
			continue;
		}
		is_key = !strcmp(path, "keys/node.key");
		has_key |= is_key;
		snprintf(rel, sizeof(rel), "%s%s", path, k->c.is_encrypted ? ENC : "");
		if (k->c.is_encrypted)
			check_one(k, bdir, rel, esha, json_integer_value(esz), dec ? key : NULL,
			          sha, json_integer_value(sz), is_key && dec ? &cap : NULL);
		else
			check_one(k, bdir, rel, sha, json_integer_value(sz), NULL, NULL, 0,
			          is_key ? &cap : NULL);
		if (is_key && cap.len)
			got_key = 1;
		k->c.files++;
	}
	json_array_foreach(blobs, i, e)
	{
		const char *sha = json_string_value(json_object_get(e, "sha256"));
		const char *esha = json_string_value(json_object_get(e, "enc_sha256"));
		json_t *sz = json_object_get(e, "size"), *esz = json_object_get(e, "enc_size");
		if (!is_hex64(sha) || !json_is_integer(sz) ||
		    (k->c.is_encrypted && (!is_hex64(esha) || !json_is_integer(esz)))) {
			problem(k, "manifest.json", "manifest",
			        "manifest.json: blob %zu is malformed", i + 1);
			continue;
		}
		blob_rel(rel, sha, k->c.is_encrypted);
		if (k->c.is_encrypted)
			check_one(k, target, rel, esha, json_integer_value(esz), dec ? key : NULL,
			          sha, json_integer_value(sz), NULL);
		else
			check_one(k, target, rel, sha, json_integer_value(sz), NULL, NULL, 0, NULL);
		k->c.blobs++;
	}

	/* The signature, against the node key the target recorded (or the one given): a backup
	 * signed by another key, or whose manifest names another key, is refused. */
	if (expect)
		snprintf(trusted, sizeof(trusted), "%s", expect);
	else if ((r = target_word(trusted, sizeof(trusted), target, NODEPUB)) < 0)
		trusted[0] = '\0';
	hl_error_clear();
	if (json_is_true(json_object_get(m, "signed"))) {
		const char *want =
		    json_string_value(json_object_get(json_object_get(m, "node"), "public_key"));
		k->c.is_signed = 1;
		if (!want) {
			problem(k, "manifest.json", "signature",
			        "manifest.json names no public key");
			goto sig_done;
		}
		if (!*trusted) {
			problem(k, NODEPUB, "missing",
			        "the target has no %s: which node key its backups carry is not "
			        "known (give the expected key)",
			        NODEPUB);
		} else if (strcmp(want, trusted) && !endorsed(target, want, trusted)) {
			problem(k, "manifest.sig", "signature",
			        "manifest.json and its signature are made by the node key %s, not "
			        "by %s (%s): the backup of another node",
			        want, trusted, source);
			goto sig_done;
		}
		if (got_key && (key_public(pk, keybuf, cap.len) < 0 || strcmp(pk, want)))
			problem(k, "keys/node.key", "signature",
			        "the manifest's public key is not that of keys/node.key in the "
			        "backup");
		else if (has_key && !got_key && k->c.plaintext_checked && !k->c.problems)
			problem(k, "keys/node.key", "signature", "keys/node.key cannot be read");
		r = open_nofollow(&fd, bdir, "manifest.sig");
		if (r != OPEN_OK) {
			problem(k, "manifest.sig", r == OPEN_LINK ? "link" : "missing",
			        "manifest.sig is %s",
			        r == OPEN_LINK ? "a symbolic link" : "missing");
			goto sig_done;
		}
		r = read_fd_all(&sig, &slen, fd, "manifest.sig", SMALL_MAX);
		close(fd);
		if (r < 0) {
			problem(k, "manifest.sig", "signature", "%s", hl_error_last());
			goto sig_done;
		}
		while (slen && (sig[slen - 1] == '\n' || sig[slen - 1] == '\r'))
			sig[--slen] = '\0';
		/* want is the trusted key, or one that leads to it by endorsements */
		if (hl_exchange_verify(sig, want, HL_BACKUP_SIGN_CTX, text, len) < 0)
			problem(k, "manifest.sig", "signature",
			        "manifest.sig: manifest.json is not what the node signed");
	} else if (has_key || *trusted) {
		/* A backup of a node with an identity is signed: "signed": false there is an
		 * edit. */
		problem(k, "manifest.json", "signature", "manifest.json says unsigned, yet %s",
		        has_key ? "the backup holds a node key"
		                : "the target records the node key its backups carry");
	}
sig_done:
	hl_error_clear();
	*mout = m;
	m = NULL;
	rc = k->c.problems ? HL_EINVALID : 0;
done:
	sodium_memzero(keybuf, sizeof(keybuf));
	json_decref(m);
	free(target), free(text), free(sig);
	return rc;
}

/* The key and expected public key of hl_backup_read_opts. */
static int read_opts(bkey *key, char expect[64], const char **ep, const hl_backup_read_opts *o)
{
	int rc;
	*ep = NULL;
	if ((rc = key_from(key, o ? o->key_file : NULL, 0)) < 0)
		return rc;
	if (o && o->expect_key) {
		if ((rc = resolve_expect(expect, o->expect_key)) < 0) {
			key_clear(key);
			return rc;
		}
		*ep = expect;
	}
	return 0;
}

int hl_backup_verify(hl_backup_check *out, const char *backup_dir, const hl_backup_read_opts *o,
                     hl_backup_problem_cb cb, void *ud)
{
	checker k = {.cb = cb, .ud = ud};
	json_t *m = NULL;
	bkey key;
	char expect[64];
	const char *ep;
	int rc;

	if (sodium_init() < 0)
		return hl_error_set(HL_ERROR, "libsodium could not start");
	if ((rc = read_opts(&key, expect, &ep, o)) < 0)
		return rc;
	rc = check_backup(&k, &m, backup_dir, &key, ep);
	key_clear(&key);
	json_decref(m);
	if (out)
		*out = k.c;
	if (rc == HL_EINVALID)
		return hl_error_set(HL_EINVALID, "%s: %llu problem(s) found", backup_dir,
		                    (unsigned long long)k.c.problems);
	return rc;
}

/* "2026-12-08T00:30:00Z" to seconds since the epoch; -1 when it is not one. */
static int parse_utc(int64_t *out, const char *s)
{
	struct tm tm = {0};
	char z = 0;
	if (!s || strlen(s) != 20 ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 ||
	    z != 'Z' || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of TARGET's backups, sorted; with `partials`, the .partial folders instead. */
static int backup_names(char ***out, size_t *count, const char *target, int partials)
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
		int partial =
		    l > strlen(PARTIAL) && !strcmp(e->d_name + l - strlen(PARTIAL), PARTIAL);
		if (strncmp(e->d_name, PREFIX, strlen(PREFIX)) || partial != !!partials)
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
done:
	closedir(d);
	if (rc < 0) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return rc;
	}
	*out = names;
	*count = n;
	return 0;
}

static void names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The manifest of TARGET/NAME, parsed and of our format (not verified); NULL when it is not. */
static json_t *manifest_of(const char *target, const char *name)
{
	char rel[300], *text = NULL;
	size_t len;
	json_t *m = NULL;
	int fd;
	snprintf(rel, sizeof(rel), "%s/manifest.json", name);
	if (open_nofollow(&fd, target, rel) != OPEN_OK)
		return NULL;
	if (read_fd_all(&text, &len, fd, rel, HL_BACKUP_MANIFEST_MAX) == 0)
		m = json_loadb(text, len, 0, NULL);
	close(fd);
	free(text);
	if (m && strcmp(json_string_value(json_object_get(m, "format")) ?: "", HL_BACKUP_FORMAT)) {
		json_decref(m);
		m = NULL;
	}
	hl_error_clear();
	return m;
}

int hl_backup_list(const char *target, int (*cb)(const hl_backup_entry *e, void *ud), void *ud)
{
	char **names = NULL;
	size_t n = 0;
	int rc;

	if ((rc = backup_names(&names, &n, target, 0)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		hl_backup_entry en = {.name = names[i]};
		json_t *m = manifest_of(target, names[i]);
		if (m) {
			json_t *c = json_object_get(m, "counts");
			en.created_at = json_string_value(json_object_get(m, "created_at"));
			en.halong_version = json_string_value(json_object_get(m, "halong_version"));
			en.schema_version =
			    (int)json_integer_value(json_object_get(m, "schema_version"));
			en.is_signed = json_is_true(json_object_get(m, "signed"));
			en.is_encrypted = json_is_object(json_object_get(m, "encryption"));
			en.documents = json_integer_value(json_object_get(c, "documents"));
			en.blobs = json_integer_value(json_object_get(c, "blobs"));
		}
		rc = cb(&en, ud);
		json_decref(m);
	}
	names_free(names, n);
	return rc;
}

/* What hl_backup_newest last read of a manifest, by its inode, size and time: /readyz asks every
 * few seconds, and the manifest of a node of 100,000 documents is megabytes of JSON. */
#define NEWEST_CACHE 16
static struct {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	int64_t created; /* -1: does not parse */
} newest_cache[NEWEST_CACHE];
static unsigned newest_next;
static pthread_mutex_t newest_lock = PTHREAD_MUTEX_INITIALIZER;

/* created_at of TARGET/NAME's manifest: 0, or -1 when it does not parse or give one. */
static int manifest_created(int64_t *out, const char *target, const char *name)
{
	char rel[300];
	struct stat sb;
	json_t *m;
	int fd, hit = -1;
	int64_t t = -1;

	snprintf(rel, sizeof(rel), "%s/manifest.json", name);
	if (open_nofollow(&fd, target, rel) != OPEN_OK)
		return -1;
	if (fstat(fd, &sb) == 0) {
		pthread_mutex_lock(&newest_lock);
		for (int i = 0; i < NEWEST_CACHE; i++)
			if (newest_cache[i].ino == sb.st_ino && newest_cache[i].dev == sb.st_dev &&
			    newest_cache[i].size == sb.st_size &&
			    newest_cache[i].mtime.tv_sec == sb.st_mtim.tv_sec &&
			    newest_cache[i].mtime.tv_nsec == sb.st_mtim.tv_nsec) {
				hit = i;
				t = newest_cache[i].created;
				break;
			}
		pthread_mutex_unlock(&newest_lock);
	}
	close(fd);
	if (hit < 0) {
		m = manifest_of(target, name);
		if (!m || parse_utc(&t, json_string_value(json_object_get(m, "created_at"))) < 0)
			t = -1;
		json_decref(m);
		pthread_mutex_lock(&newest_lock);
		unsigned i = newest_next++ % NEWEST_CACHE;
		newest_cache[i].dev = sb.st_dev, newest_cache[i].ino = sb.st_ino;
		newest_cache[i].size = sb.st_size, newest_cache[i].mtime = sb.st_mtim;
		newest_cache[i].created = t;
		pthread_mutex_unlock(&newest_lock);
	}
	if (t < 0)
		return -1;
	*out = t;
	return 0;
}

int hl_backup_newest(char name[64], int64_t *created_at, const char *target)
{
	char **names = NULL;
	size_t n = 0;
	int rc;

	if ((rc = backup_names(&names, &n, target, 0)) < 0)
		return rc;
	rc = hl_error_set(HL_ENOTFOUND, "%s holds no complete backup", target);
	for (size_t i = n; i-- > 0;) {
		int64_t t;
		if (manifest_created(&t, target, names[i]) == 0) {
			snprintf(name, 64, "%s", names[i]);
			*created_at = t;
			hl_error_clear();
			rc = 0;
			break;
		}
	}
	names_free(names, n);
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
		return hl_error_set(HL_ECONFLICT,
		                    "%s is not empty: restore only into an empty or new folder (or "
		                    "over a node's data directory with --force)",
		                    dir);
	return 0;
}

/* Over a node (--force): its data directory, with no process holding its store. */
static int node_replaceable(const char *home)
{
	char *db = hl_path_join(home, "halong.db");
	int busy = 0, rc;
	if (!db)
		return oom();
	if (!hl_file_exists(db)) {
		free(db);
		return hl_error_set(HL_ECONFLICT,
		                    "%s is not empty and holds no halong.db: --force restores only "
		                    "over a node's data directory",
		                    home);
	}
	rc = hl_store_in_use(&busy, db);
	free(db);
	if (rc < 0)
		return rc;
	if (busy)
		return hl_error_set(
		    HL_ECONFLICT,
		    "%s is in use: a process (halong serve, an ingest) has its store "
		    "open; stop it, then restore over it",
		    home);
	return 0;
}

int hl_backup_restore(hl_backup_restored *out, const char *backup_dir, const char *new_home,
                      const hl_backup_read_opts *o, hl_backup_problem_cb cb, void *ud,
                      hl_progress_cb progress, void *pud)
{
	checker k = {.cb = cb, .ud = ud, .need_key = 1};
	json_t *m = NULL, *e;
	hl_archive *a = NULL;
	bkey key = {0};
	char *dst = NULL, *dir = NULL, *target = NULL, *work = NULL, *snap = NULL, rel[300],
	     expect[64], sfx[64], stamp[32];
	const char *ep;
	size_t i, n;
	int rc, made = 0, over = 0, fd, enc;
	xmode mode;
	xres r;
	time_t now = time(NULL);
	struct tm tm;

	if (sodium_init() < 0)
		return hl_error_set(HL_ERROR, "libsodium could not start");
	if ((rc = empty_or_absent(new_home)) < 0) {
		if (rc != HL_ECONFLICT || !o || !o->force || (rc = node_replaceable(new_home)) < 0)
			return rc;
		over = 1;
	}
	if ((rc = read_opts(&key, expect, &ep, o)) < 0)
		return rc;
	if ((rc = check_backup(&k, &m, backup_dir, &key, ep)) < 0) {
		if (rc == HL_EINVALID)
			rc =
			    hl_error_set(HL_EINVALID, "%s: %llu problem(s) found: nothing restored",
			                 backup_dir, (unsigned long long)k.c.problems);
		goto done;
	}
	enc = k.c.is_encrypted;
	mode = enc ? X_DECRYPT : X_PLAIN;
	/* Filled beside the new home and put in place when whole (rename(2) replaces an empty
	 * folder): a restore that fails leaves no half data directory behind. */
	snprintf(sfx, sizeof(sfx), ".restoring-%ld", (long)getpid());
	if (!(work = beside(new_home, sfx)) || !(target = parent_of(backup_dir))) {
		rc = oom();
		goto done;
	}
	if (hl_file_exists(work) || (rc = hl_mkdir_p(work, 0700)) < 0) {
		rc = hl_error_set(HL_EIO, "%s: cannot create", work);
		goto done;
	}
	made = 1;
	if (!(dir = hl_path_join(work, "keys")) || (rc = hl_mkdir_p(dir, 0700)) < 0) {
		rc = rc < 0 ? rc : oom();
		goto done;
	}
	json_array_foreach(json_object_get(m, "files"), i, e)
	{
		const char *path = json_string_value(json_object_get(e, "path"));
		const char *sha = json_string_value(json_object_get(e, "sha256"));
		int is_key = !strncmp(path, "keys/", 5);
		if (strchr(path, '/') && !is_key) /* only keys/ has folders */
			continue;
		snprintf(rel, sizeof(rel), "%s%s", path, enc ? ENC : "");
		free(dst);
		if (!(dst = hl_path_join(work, strcmp(path, "store.db") ? path : "halong.db"))) {
			rc = oom();
			goto done;
		}
		if ((rc = open_in(&fd, backup_dir, rel)) < 0)
			goto done;
		rc = put_file(&r, fd, rel, dst, is_key ? 0600 : 0644, mode, &key, sha, path);
		close(fd);
		if (rc < 0)
			goto done;
	}
	n = json_array_size(json_object_get(m, "blobs"));
	json_array_foreach(json_object_get(m, "blobs"), i, e)
	{
		const char *sha = json_string_value(json_object_get(e, "sha256"));
		free(dst), free(dir);
		dst = blob_path(work, sha, 0);
		dir = dst ? hl_strdup(dst) : NULL;
		if (!dst || !dir) {
			rc = oom();
			goto done;
		}
		*strrchr(dir, '/') = '\0';
		blob_rel(rel, sha, enc);
		if ((rc = hl_mkdir_p(dir, 0755)) < 0 || (rc = open_in(&fd, target, rel)) < 0)
			goto done;
		rc = put_file_s(&r, fd, rel, dst, 0644, mode, &key, sha, rel, 0);
		close(fd);
		if (rc < 0)
			goto done;
		if (progress && progress("blobs", i + 1, n, pud) != 0) {
			rc = hl_error_set(HL_ERROR, "interrupted");
			goto done;
		}
	}
	/* The rest of the layout (index/, tmp/), the store in WAL mode, then the index rebuilt
	 * from the store: an index is never copied. */
	if ((rc = hl_archive_init(work)) < 0 || (rc = hl_archive_open(&a, work)) < 0 ||
	    (rc = hl_archive_reindex(a, progress, pud)) < 0)
		goto done;
	hl_archive_free(a);
	a = NULL;
	/* the blobs (written without an fsync each) durable before the node is put in place */
	if ((rc = sync_tree(work)) < 0)
		goto done;
	if (chmod(work, 0755) != 0) {
		rc = hl_error_set(HL_EIO, "%s: %s", work, strerror(errno));
		goto done;
	}
	if (over) {
		/* The node replaced is kept whole beside it, moved at the last moment (and only
		 * when no process has opened it since), and put back if the swap fails. */
		if ((rc = node_replaceable(new_home)) < 0)
			goto done;
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		for (int t = 1; t < 100; t++) {
			if (t == 1)
				snprintf(sfx, sizeof(sfx), ".before-restore-%s", stamp);
			else
				snprintf(sfx, sizeof(sfx), ".before-restore-%s-%d", stamp, t);
			free(snap);
			if (!(snap = beside(new_home, sfx))) {
				rc = oom();
				goto done;
			}
			if (!hl_file_exists(snap))
				break;
		}
		if (rename(new_home, snap) != 0) {
			rc = hl_error_set(HL_EIO, "%s: cannot move it aside to %s: %s", new_home,
			                  snap, strerror(errno));
			goto done;
		}
		if (rename(work, new_home) != 0) {
			int err = errno;
			if (rename(snap, new_home) != 0)
				rc = hl_error_set(
				    HL_EIO,
				    "%s: the restored node cannot be put in place (%s), nor "
				    "the node put back: it is in %s",
				    new_home, strerror(err), snap);
			else
				rc = hl_error_set(
				    HL_EIO,
				    "%s: the restored node cannot be put in place (%s): the "
				    "node is as it was",
				    new_home, strerror(err));
			goto done;
		}
		if (out)
			snprintf(out->snapshot, sizeof(out->snapshot), "%s", snap);
	} else if (rename(work, new_home) != 0) {
		rc = hl_error_set(errno == ENOTEMPTY || errno == EEXIST ? HL_ECONFLICT : HL_EIO,
		                  "%s: cannot put the restored node in place: %s", new_home,
		                  strerror(errno));
		goto done;
	} else if (out) {
		out->snapshot[0] = '\0';
	}
	made = 0;
	rc = 0;
done:
	hl_archive_free(a);
	if (made)
		rm_tree(work);
	key_clear(&key);
	free(work), free(snap);
	json_decref(m);
	free(dst), free(dir), free(target);
	return rc;
}

/* ---- retention ---- */

static int env_count(unsigned *out, const char *var)
{
	const char *v = getenv(var);
	char *end;
	long long n;
	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || *end || end == v || n < 0 || n > 100000)
		return hl_error_set(HL_EINVALID,
		                    "%s must be a whole number from 0 to 100000, not "
		                    "\"%s\"",
		                    var, v);
	*out = (unsigned)n;
	return 0;
}

int hl_backup_keep_get(hl_backup_keep *out)
{
	hl_backup_keep k = {7, 4, 12, 0};
	int rc;
	if ((rc = env_count(&k.daily, "HALONG_BACKUP_KEEP_DAILY")) < 0 ||
	    (rc = env_count(&k.weekly, "HALONG_BACKUP_KEEP_WEEKLY")) < 0 ||
	    (rc = env_count(&k.monthly, "HALONG_BACKUP_KEEP_MONTHLY")) < 0)
		return rc;
	*out = k;
	return 0;
}

typedef struct {
	const char *name;
	int64_t t;
	json_t *m;
	int keep;
	char why[96];
} pbackup;

static int newest_first(const void *a, const void *b)
{
	const pbackup *x = a, *y = b;
	if (x->t != y->t)
		return x->t > y->t ? -1 : 1;
	return -strcmp(x->name, y->name);
}

/* Keeps the newest backup of each of the last `count` periods (strftime `fmt` in UTC) that
 * have one: b is newest first, so a period's first backup is its newest. */
static void keep_periods(pbackup *b, size_t n, unsigned count, const char *fmt, const char *what)
{
	char last[32] = "", key[32];
	unsigned kept = 0;
	for (size_t i = 0; i < n && kept < count; i++) {
		time_t t = (time_t)b[i].t;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(key, sizeof(key), fmt, &tm);
		if (!strcmp(key, last))
			continue;
		snprintf(last, sizeof(last), "%s", key);
		kept++;
		if (!b[i].keep)
			snprintf(b[i].why, sizeof(b[i].why), "%s %s", what, key);
		b[i].keep = 1;
	}
}

static void say(void (*cb)(const char *, const char *, const char *, void *), void *ud,
                const char *what, const char *name, const char *why)
{
	if (cb)
		cb(what, name, why, ud);
}

int hl_backup_prune(hl_backup_pruned *out, const char *target, const hl_backup_keep *k,
                    void (*cb)(const char *what, const char *name, const char *why, void *ud),
                    void *ud)
{
	hl_backup_pruned res = {0};
	char **names = NULL, **partials = NULL, why[160], *p = NULL, *bdir = NULL;
	size_t n = 0, np = 0, nb = 0, i, j;
	pbackup *b = NULL;
	json_t *refs = NULL, *e;
	DIR *d = NULL, *sd = NULL;
	struct dirent *de, *se;
	int lock = -1, rc;

	if ((lock = target_lock(target, 1)) < 0)
		return lock;
	if ((rc = backup_names(&names, &n, target, 0)) < 0 ||
	    (rc = backup_names(&partials, &np, target, 1)) < 0)
		goto done;
	if (!(b = calloc(n ? n : 1, sizeof(*b))) || !(refs = json_object())) {
		rc = oom();
		goto done;
	}
	for (i = 0; i < n; i++) {
		json_t *m = manifest_of(target, names[i]);
		int64_t t;
		if (!m || parse_utc(&t, json_string_value(json_object_get(m, "created_at"))) < 0) {
			json_decref(m);
			res.unreadable++;
			say(cb, ud, "unreadable", names[i],
			    "its manifest cannot be read: neither kept nor removed, and no blob is "
			    "removed while it is there");
			continue;
		}
		b[nb++] = (pbackup){.name = names[i], .t = t, .m = m};
	}
	qsort(b, nb, sizeof(*b), newest_first);
	if (nb) {
		b[0].keep = 1;
		snprintf(b[0].why, sizeof(b[0].why), "the newest");
	}
	keep_periods(b, nb, k->daily, "%Y-%m-%d", "daily");
	keep_periods(b, nb, k->weekly, "%G-W%V", "weekly");
	keep_periods(b, nb, k->monthly, "%Y-%m", "monthly");
	snprintf(why, sizeof(why), "not kept by %u daily, %u weekly, %u monthly", k->daily,
	         k->weekly, k->monthly);
	for (i = 0; i < nb; i++) {
		if (b[i].keep) {
			int enc = json_is_object(json_object_get(b[i].m, "encryption"));
			char rel[80];
			res.kept++;
			json_array_foreach(json_object_get(b[i].m, "blobs"), j, e)
			{
				const char *sha = json_string_value(json_object_get(e, "sha256"));
				if (!is_hex64(sha))
					continue;
				blob_rel(rel, sha, enc);
				if (json_object_set_new(refs, rel + 6, json_true()) != 0) {
					rc = oom();
					goto done;
				}
			}
			continue;
		}
		res.removed++;
		say(cb, ud, "backup", b[i].name, why);
		if (k->dry_run)
			continue;
		/* renamed to .partial first: a prune cut short leaves no half backup that looks
		 * whole */
		free(p), free(bdir);
		p = hl_path_join(target, b[i].name);
		bdir = beside(p ? p : "", PARTIAL);
		if (!p || !bdir) {
			rc = oom();
			goto done;
		}
		if (rename(p, bdir) != 0) {
			rc = hl_error_set(HL_EIO, "%s: cannot remove: %s", p, strerror(errno));
			goto done;
		}
		rm_tree(bdir);
	}
	/* no backup is being made (the lock): a .partial folder is one that never finished */
	for (i = 0; i < np; i++) {
		say(cb, ud, "partial", partials[i], "left by a backup that did not finish");
		if (k->dry_run)
			continue;
		free(p);
		if (!(p = hl_path_join(target, partials[i]))) {
			rc = oom();
			goto done;
		}
		rm_tree(p);
	}
	if (res.unreadable)
		goto finish;
	free(p);
	if (!(p = hl_path_join(target, "blobs"))) {
		rc = oom();
		goto done;
	}
	if (!(d = opendir(p)))
		goto finish; /* no blob yet */
	while ((de = readdir(d))) {
		char *sub;
		struct stat sb;
		if (strlen(de->d_name) != 2 || !is_hex(de->d_name, 2))
			continue;
		if (!(sub = hl_path_join(p, de->d_name))) {
			rc = oom();
			goto done;
		}
		if (lstat(sub, &sb) != 0 || !S_ISDIR(sb.st_mode) || !(sd = opendir(sub))) {
			free(sub);
			continue;
		}
		while ((se = readdir(sd))) {
			char key[600], *f;
			if (se->d_name[0] == '.')
				continue;
			snprintf(key, sizeof(key), "%s/%s", de->d_name, se->d_name);
			if (json_object_get(refs, key))
				continue;
			if (!(f = hl_path_join(sub, se->d_name))) {
				rc = oom();
				closedir(sd);
				free(sub);
				goto done;
			}
			if (lstat(f, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
				char nm[620];
				snprintf(nm, sizeof(nm), "blobs/%s", key);
				say(cb, ud, "blob", nm, "no kept backup refers to it");
				res.blobs_removed++;
				res.bytes_removed += (uint64_t)sb.st_size;
				if (!k->dry_run && unlink(f) != 0) {
					rc = hl_error_set(HL_EIO, "%s: cannot remove: %s", f,
					                  strerror(errno));
					free(f);
					closedir(sd);
					free(sub);
					goto done;
				}
			}
			free(f);
		}
		closedir(sd);
		if (!k->dry_run)
			rmdir(sub); /* when it is empty now */
		free(sub);
	}
finish:
	if (out)
		*out = res;
	rc = 0;
done:
	if (d)
		closedir(d);
	for (i = 0; b && i < nb; i++)
		json_decref(b[i].m);
	free(b), free(p), free(bdir);
	json_decref(refs);
	names_free(names, n);
	names_free(partials, np);
	close(lock);
	return rc;
}
