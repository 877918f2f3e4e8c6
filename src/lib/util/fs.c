/* Files, paths and time: mkdir -p, path joining, opening a file beneath a folder, atomic
 * writes, the current UTC time. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "halong/util.h"
#include "util/util_int.h"

int hl_mkdir_p(const char *path, unsigned mode)
{
	if (!path || !*path)
		return hl_error_set(HL_EINVALID, "empty directory path");
	size_t len = strlen(path);
	if (len >= PATH_MAX)
		return hl_error_set(HL_ELIMIT, "path longer than %d bytes", PATH_MAX - 1);
	char p[PATH_MAX];
	memcpy(p, path, len + 1);
	/* Create each prefix in turn; an existing directory is fine, anything else stops. */
	for (size_t i = 1; i <= len; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		if (p[i - 1] == '/')
			continue;
		char c = p[i];
		p[i] = '\0';
		if (mkdir(p, (mode_t)mode) != 0) {
			int e = errno;
			struct stat st;
			if (e != EEXIST) {
				p[i] = c;
				return hl_error_set(e == ENOENT ? HL_ENOTFOUND : HL_EIO,
				                    "cannot create directory %.*s: %s", (int)i,
				                    path, strerror(e));
			}
			if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
				p[i] = c;
				return hl_error_set(HL_EIO, "%.*s exists and is not a directory",
				                    (int)i, path);
			}
		}
		p[i] = c;
	}
	return 0;
}

char *hl_path_join(const char *a, const char *b)
{
	if (!a || !b)
		return NULL;
	size_t la = strlen(a);
	while (la > 1 && a[la - 1] == '/')
		la--;
	/* b is always taken as relative to a: a name from outside must not escape to "/". */
	while (*b == '/')
		b++;
	size_t lb = strlen(b);
	if (!la)
		return hl_strdup(b);
	int sep = !(la == 1 && a[0] == '/') && lb;
	char *r = malloc(la + (size_t)sep + lb + 1);
	if (!r)
		return NULL;
	memcpy(r, a, la);
	if (sep)
		r[la] = '/';
	memcpy(r + la + sep, b, lb + 1);
	return r;
}

int hl_file_exists(const char *path)
{
	struct stat st;
	return path && stat(path, &st) == 0;
}

/* ---- opening a file beneath a folder ---- */

/* What a file that is not a regular one is, for the message. */
static const char *file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a folder";
	if (S_ISFIFO(m))
		return "a fifo (named pipe)";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISLNK(m))
		return "a symbolic link";
	return "not a regular file";
}

/* One error line for a failed step of the resolution of `name`, from errno `e`. */
static int beneath_error(const char *name, int e)
{
	switch (e) {
	case ENOENT:
		return hl_error_set(HL_ENOTFOUND, "%s: no such file", name);
	case EXDEV:
		return hl_error_set(HL_EDENIED,
		                    "%s: leads outside the folder (a symbolic link or ..): refused",
		                    name);
	case ELOOP:
		return hl_error_set(HL_EDENIED,
		                    "%s: too many symbolic links, or a link through /proc: refused",
		                    name);
	case ENOTDIR:
		return hl_error_set(HL_EINVALID, "%s: a part of the path is not a folder", name);
	case ENAMETOOLONG:
		return hl_error_set(HL_ELIMIT, "%s: path too long", name);
	case ENOMEM:
		return hl_error_set(HL_ENOMEM, "%s: out of memory", name);
	default:
		return hl_error_set(HL_EIO, "%s: cannot open: %s", name, strerror(e));
	}
}

/* The last step, shared by both resolutions: `pst` is the status of what the name resolved
 * to, seen without opening it (an O_PATH descriptor); only a regular file is then opened (fd,
 * -1 when it is not), and it must be the same file. So a device is never opened (a tape's open
 * rewinds it), a fifo never blocks, and a file swapped in between is refused. */
static int beneath_finish(int *out, int fd, const struct stat *pst, const char *name)
{
	struct stat st;
	if (!S_ISREG(pst->st_mode)) {
		if (fd >= 0)
			close(fd);
		return hl_error_set(HL_EINVALID, "%s: %s, not a regular file: refused", name,
		                    file_kind(pst->st_mode));
	}
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return beneath_error(name, e);
	}
	if (!S_ISREG(st.st_mode) || st.st_dev != pst->st_dev || st.st_ino != pst->st_ino) {
		close(fd);
		return hl_error_set(HL_EIO, "%s: the file changed while it was being opened", name);
	}
	*out = fd;
	return 0;
}

#define BENEATH_MAX_LINKS 40 /* the kernel's own limit (MAXSYMLINKS) */
#define BENEATH_MAX_DEPTH 256
#define READ_FLAGS        (O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC)

/* Without openat2: the path is walked one component at a time from dirfd, each opened with
 * O_PATH | O_NOFOLLOW. A symbolic link's text is read and put in front of what is left of the
 * path (an absolute one leads out), `..` goes back to the folder it came from (never above
 * dirfd), and a link is never followed by the kernel: /proc's magic links are only text here. */
int hl_util__open_beneath_walk(int *out, int dirfd, const char *name)
{
	int stack[BENEATH_MAX_DEPTH + 1], depth = 0, links = 0, rc = -1, fd = -1;
	size_t len = strlen(name);
	char *path = NULL, *target = NULL, *p;

	stack[0] = dirfd;
	if (len >= PATH_MAX)
		return hl_error_set(HL_ELIMIT, "%s: path too long", name);
	if (*name == '/')
		return beneath_error(name, EXDEV);
	if (!(path = malloc(PATH_MAX)) || !(target = malloc(PATH_MAX))) {
		rc = beneath_error(name, ENOMEM);
		goto done;
	}
	memcpy(path, name, len + 1);
	p = path;
	for (;;) {
		struct stat st;
		while (*p == '/')
			p++;
		if (!*p) {
			/* the name ends on a folder (empty, ".", "a/..") */
			st.st_mode = S_IFDIR;
			rc = beneath_finish(out, -1, &st, name);
			goto done;
		}
		char *comp = p, *end = strchr(p, '/');
		int must_dir = 0;
		if (end) {
			*end = '\0';
			p = end + 1;
			/* (when nothing follows) a trailing slash asks for a folder, as the kernel
			 * reads it */
			must_dir = 1;
		} else {
			p = comp + strlen(comp);
		}
		int last = 1;
		for (const char *q = p; *q; q++)
			if (*q != '/') {
				last = 0;
				break;
			}
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			if (depth == 0) {
				rc = beneath_error(name, EXDEV);
				goto done;
			}
			close(stack[depth--]);
			continue;
		}
		fd = openat(stack[depth], comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) != 0) {
			rc = beneath_error(name, errno);
			goto done;
		}
		if (S_ISLNK(st.st_mode)) {
			ssize_t n;
			if (++links > BENEATH_MAX_LINKS) {
				rc = beneath_error(name, ELOOP);
				goto done;
			}
			n = readlinkat(fd, "", target, PATH_MAX);
			close(fd);
			fd = -1;
			if (n < 0 || n >= PATH_MAX) {
				rc = beneath_error(name, n < 0 ? errno : ENAMETOOLONG);
				goto done;
			}
			target[n] = '\0';
			if (n == 0 || target[0] == '/') {
				rc = beneath_error(name, n ? EXDEV : ENOENT);
				goto done;
			}
			/* the link's text, then what was left of the path */
			size_t rest = strlen(p);
			if ((size_t)n + 1 + rest >= PATH_MAX) {
				rc = beneath_error(name, ENAMETOOLONG);
				goto done;
			}
			memmove(path + n + 1, p, rest + 1);
			memcpy(path, target, (size_t)n);
			path[n] = rest || must_dir ? '/' : '\0';
			p = path;
			continue;
		}
		if (S_ISDIR(st.st_mode) && !last) {
			if (depth == BENEATH_MAX_DEPTH) {
				rc = beneath_error(name, ELOOP);
				goto done;
			}
			stack[++depth] = fd;
			fd = -1;
			continue;
		}
		if (!last || (must_dir && !S_ISDIR(st.st_mode))) {
			rc = beneath_error(name, ENOTDIR);
			goto done;
		}
		/* the last component: seen before it is opened */
		int rfd = -1;
		if (S_ISREG(st.st_mode) && (rfd = openat(stack[depth], comp, READ_FLAGS)) < 0)
			rc = beneath_error(name, errno);
		else
			rc = beneath_finish(out, rfd, &st, name);
		goto done;
	}
done:
	if (fd >= 0)
		close(fd);
	while (depth > 0)
		close(stack[depth--]);
	free(path);
	free(target);
	return rc;
}

/* openat2(2), Linux 5.6: the kernel resolves beneath dirfd and refuses magic links. */
static int openat2_beneath(int dirfd, const char *name, uint64_t flags)
{
	struct open_how how = {.flags = flags, .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
	int fd, tries = 0;
	/* EAGAIN: a rename or mount raced the resolution of ".."; the kernel asks to retry */
	do
		fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
	while (fd < 0 && (errno == EAGAIN || errno == EINTR) && ++tries < 16);
	return fd;
}

/* 1: openat2 answers; 0: it does not (ENOSYS: an older kernel; EPERM: a seccomp filter that
 * does not know it, as older container runtimes had); -1: not tried yet. */
static atomic_int have_openat2 = -1;

int hl_file_open_beneath(int *out, int dirfd, const char *name)
{
	struct stat st;
	int pfd, fd;

	if (!name || !*name)
		return hl_error_set(HL_EINVALID, "empty file name");
	if (atomic_load(&have_openat2) != 0) {
		pfd = openat2_beneath(dirfd, name, O_PATH | O_CLOEXEC);
		if (pfd < 0 && (errno == ENOSYS || errno == EPERM) &&
		    atomic_load(&have_openat2) != 1) {
			atomic_store(&have_openat2, 0);
			return hl_util__open_beneath_walk(out, dirfd, name);
		}
		atomic_store(&have_openat2, 1);
		if (pfd < 0)
			return beneath_error(name, errno);
		if (fstat(pfd, &st) != 0) {
			int e = errno;
			close(pfd);
			return beneath_error(name, e);
		}
		close(pfd);
		fd = -1;
		if (S_ISREG(st.st_mode) &&
		    (fd = openat2_beneath(dirfd, name, READ_FLAGS & ~O_NOFOLLOW)) < 0)
			return beneath_error(name, errno);
		return beneath_finish(out, fd, &st, name);
	}
	return hl_util__open_beneath_walk(out, dirfd, name);
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int hl_write_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	if (!path || !*path)
		return hl_error_set(HL_EINVALID, "empty file path");
	size_t pl = strlen(path);
	if (pl + 16 >= PATH_MAX)
		return hl_error_set(HL_ELIMIT, "path longer than %d bytes", PATH_MAX - 17);
	/* The temporary file lives beside the target, so rename() stays within one file system
	 * and replaces the target in one step. mkstemp makes its name unique. */
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0)
		return hl_error_set(errno == ENOENT ? HL_ENOTFOUND : HL_EIO,
		                    "%s: cannot create: %s", path, strerror(errno));
	const char *what = "write";
	if (fchmod(fd, (mode_t)mode) != 0)
		what = "chmod";
	else if (write_all(fd, data, len) != 0)
		what = "write";
	else if (fsync(fd) != 0)
		what = "fsync";
	else
		what = NULL;
	int e = errno;
	if (close(fd) != 0 && !what) {
		what = "close";
		e = errno;
	}
	if (!what && rename(tmp, path) != 0) {
		what = "rename";
		e = errno;
	}
	if (what) {
		unlink(tmp);
		return hl_error_set(HL_EIO, "%s: %s failed: %s", path, what, strerror(e));
	}
	/* The rename is durable only once the directory entry is on disk. */
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return hl_error_set(HL_EIO, "%s: cannot open directory for fsync: %s", dir,
		                    strerror(errno));
	int rc = 0;
	if (fsync(dfd) != 0 && errno != EINVAL)
		rc =
		    hl_error_set(HL_EIO, "%s: fsync of directory failed: %s", dir, strerror(errno));
	close(dfd);
	return rc;
}

void hl_now_utc(char buf[32])
{
	time_t t = time(NULL);
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, 32, "1970-01-01T00:00:00Z");
}
