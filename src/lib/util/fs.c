/* Files, paths and time: mkdir -p, path joining, atomic writes, the current UTC time. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "halong/util.h"

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
