/* The node's settings: the table of every known setting, the parser of `key = value` files and
 * the checks of each value; where the shipped data and web interface are. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "halong/config.h"
#include "halong/util.h"
/* HL_BUILD_ROOT, HL_SOURCE_WEBDIR, HL_INSTALL_SHAREDIR: written by src/lib/ops/meson.build */
#include "ops/config_paths.h"

#define DAY_MS 86400000LL

/* Every setting. A new one goes here (and in docs/cli.md, "Settings"); its code reads the
 * environment variable. */
static const hl_config_setting table[] = {
    {"config", "HALONG_CONFIG", HL_CONFIG_PATH, 0, 0, NULL,
     "the settings file read when --config is not given",
     HL_CONFIG_ENV_ONLY | HL_CONFIG_MUST_EXIST},
    {"home", "HALONG_HOME", HL_CONFIG_DIR, 0, 0, "./halong-data",
     "the data directory (store, blobs, index, keys); --home wins", HL_CONFIG_WRITABLE},
    {"data", "HALONG_DATA", HL_CONFIG_DIR, 0, 0, NULL,
     "the shipped reference data (units, agencies, catalog, openapi.json)", HL_CONFIG_MUST_EXIST},
    {"web_root", "HALONG_WEB_ROOT", HL_CONFIG_DIR, 0, 0, NULL,
     "the web interface's files served by halong serve; --web wins", HL_CONFIG_MUST_EXIST},
    {"listen", "HALONG_LISTEN", HL_CONFIG_HOSTPORT, 0, 0, "127.0.0.1:8080",
     "where halong serve listens; --listen wins", 0},
    {"public_url", "HALONG_PUBLIC_URL", HL_CONFIG_STRING, 0, 0, NULL,
     "the address others reach this node at (DCAT IRIs); --public-url wins", 0},
    {"threads", "HALONG_THREADS", HL_CONFIG_INT, 1, 256, NULL,
     "halong serve's worker threads (default: one per core); --threads wins", 0},
    {"secure_cookies", "HALONG_SECURE_COOKIES", HL_CONFIG_BOOL, 0, 0, "0",
     "the session cookie gets Secure (behind an HTTPS proxy)", 0},
    {"ready_queue_max", "HALONG_READY_QUEUE_MAX", HL_CONFIG_INT, 0, LLONG_MAX, "10000",
     "readiness: index changes not yet applied before the index check fails", 0},
    {"ready_disk_min_mb", "HALONG_READY_DISK_MIN_MB", HL_CONFIG_INT, 0, 1LL << 40, NULL,
     "readiness: free MiB below which the disk check fails (default 1 GiB, or 5% of a smaller "
     "disk)",
     0},
    {"exchange_poll_ms", "HALONG_EXCHANGE_POLL_MS", HL_CONFIG_INT, 1, 60000, "20",
     "how often the idle exchange sender looks at the outbox (ms)", 0},
    {"exchange_batch", "HALONG_EXCHANGE_BATCH", HL_CONFIG_INT, 1, 100000, "64",
     "messages sent to a peer in one request", 0},
    {"feed_poll_ms", "HALONG_FEED_POLL_MS", HL_CONFIG_INT, 10, DAY_MS, "60000",
     "how often a commune pulls the hub's reference-data feeds (ms)", 0},
    {"audit_anchor_ms", "HALONG_AUDIT_ANCHOR_MS", HL_CONFIG_INT, 10, DAY_MS, "600000",
     "how often the audit log's head is signed and sent to the hub when it grew (ms)", 0},
    {"backup_targets", "HALONG_BACKUP_TARGETS", HL_CONFIG_PATHLIST, 0, 0, NULL,
     "backup folders separated by ':' (two, on different disks, expected)", HL_CONFIG_MUST_EXIST},
    {"backup_max_age_hours", "HALONG_BACKUP_MAX_AGE_HOURS", HL_CONFIG_INT, 1, 24 * 366, "26",
     "the newest good backup older than this many hours is a warning", 0},
    {"backup_keep_daily", "HALONG_BACKUP_KEEP_DAILY", HL_CONFIG_INT, 0, 100000, "7",
     "daily backups kept", 0},
    {"backup_keep_weekly", "HALONG_BACKUP_KEEP_WEEKLY", HL_CONFIG_INT, 0, 100000, "4",
     "weekly backups kept", 0},
    {"backup_keep_monthly", "HALONG_BACKUP_KEEP_MONTHLY", HL_CONFIG_INT, 0, 100000, "12",
     "monthly backups kept", 0},
    {"backup_key_file", "HALONG_BACKUP_KEY_FILE", HL_CONFIG_PATH, 0, 0, NULL,
     "a 32-byte key; backups are encrypted when it is set (owner-only file)", HL_CONFIG_SECRET},
    {"metrics_token_file", "HALONG_METRICS_TOKEN_FILE", HL_CONFIG_PATH, 0, 0, NULL,
     "the operator's token for GET /metrics from other hosts (owner-only file)", HL_CONFIG_SECRET},
    {"today", "HALONG_TODAY", HL_CONFIG_STRING, 0, 0, NULL,
     "tests only: the plans' clock (yyyy-mm-dd)", HL_CONFIG_TEST_ONLY},
    {"exchange_clock_shift_ms", "HALONG_EXCHANGE_CLOCK_SHIFT_MS", HL_CONFIG_INT, LLONG_MIN,
     LLONG_MAX, NULL, "tests only: shifts the exchange's clock (ms)", HL_CONFIG_TEST_ONLY},
};

#define NSETTINGS (sizeof(table) / sizeof(table[0]))

const hl_config_setting *hl_config_settings(size_t *n)
{
	*n = NSETTINGS;
	return table;
}

const hl_config_setting *hl_config_find(const char *key)
{
	for (size_t i = 0; key && i < NSETTINGS; i++)
		if (!strcmp(table[i].key, key) || !strcmp(table[i].env, key))
			return &table[i];
	return NULL;
}

const char *hl_config_type_name(hl_config_type t)
{
	static const char *const names[] = {"path",   "dir",       "int",      "bool",
	                                    "string", "host:port", "path-list"};
	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

/* ---- values ---- */

static int bad(char *msg, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *msg, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (cap)
		vsnprintf(msg, cap, fmt, ap);
	va_end(ap);
	return HL_EINVALID;
}

/* The value as it may be quoted in a message: at most 60 bytes of it. */
#define SHOWN(v) (strlen(v) > 60 ? 60 : (int)strlen(v)), (v), (strlen(v) > 60 ? "..." : "")

static int hostport_ok(const char *v)
{
	const char *colon;
	char *end;
	unsigned long p;
	if (v[0] == '[') {
		const char *rb = strchr(v, ']');
		if (!rb || rb == v + 1 || rb[1] != ':')
			return 0;
		colon = rb + 1;
	} else if ((colon = strrchr(v, ':'))) {
		if (memchr(v, ':', (size_t)(colon - v)))
			return 0; /* an IPv6 address goes in brackets */
	} else {
		colon = v - 1;
	}
	if (!colon[1] || colon[1] == '-' || colon[1] == '+' || colon[1] == ' ')
		return 0;
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	return !errno && !*end && p <= 65535;
}

int hl_config_value_ok(char *msg, size_t cap, const hl_config_setting *s, const char *v)
{
	char *end;
	long long n;
	if (!*v)
		return bad(msg, cap, "a value is expected");
	if (strlen(v) > HL_CONFIG_VALUE_MAX)
		return bad(msg, cap, "the value is longer than %d bytes", HL_CONFIG_VALUE_MAX);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return bad(msg, cap, "a control character in the value");
	switch (s->type) {
	case HL_CONFIG_INT:
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno || *end || end == v || *v == ' ' || n < s->min || n > s->max) {
			if (s->min == LLONG_MIN)
				return bad(msg, cap, "a whole number is expected, not \"%.*s%s\"",
				           SHOWN(v));
			if (s->max == LLONG_MAX)
				return bad(msg, cap,
				           "a whole number >= %lld is expected, not \"%.*s%s\"",
				           s->min, SHOWN(v));
			return bad(msg, cap,
			           "a whole number from %lld to %lld is expected, not \"%.*s%s\"",
			           s->min, s->max, SHOWN(v));
		}
		return 0;
	case HL_CONFIG_BOOL:
		for (const char *const *w = (const char *const[]){"1", "0", "true", "false", "yes",
		                                                  "no", "on", "off", NULL};
		     *w; w++)
			if (!strcasecmp(v, *w))
				return 0;
		return bad(msg, cap,
		           "1 or 0 (true/false, yes/no, on/off) is expected, not \"%.*s%s\"",
		           SHOWN(v));
	case HL_CONFIG_HOSTPORT:
		if (!hostport_ok(v))
			return bad(msg, cap,
			           "HOST:PORT is expected (port 0 to 65535), not \"%.*s%s\"",
			           SHOWN(v));
		return 0;
	case HL_CONFIG_PATHLIST:
		if (v[0] == ':' || v[strlen(v) - 1] == ':' || strstr(v, "::"))
			return bad(msg, cap,
			           "folders separated by ':' are expected, without an empty one");
		return 0;
	case HL_CONFIG_PATH:
	case HL_CONFIG_DIR:
	case HL_CONFIG_STRING:
		return 0;
	}
	return 0;
}

static int check_dir(char *msg, size_t cap, const char *path, unsigned flags)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return bad(msg, cap, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return bad(msg, cap, "%s: not a folder", path);
	if ((flags & HL_CONFIG_WRITABLE) && access(path, W_OK | X_OK) < 0)
		return bad(msg, cap, "%s: not writable by this user (%s)", path, strerror(errno));
	return 0;
}

int hl_config_value_check(char *msg, size_t cap, const hl_config_setting *s, const char *v)
{
	struct stat st;
	int rc;
	if ((rc = hl_config_value_ok(msg, cap, s, v)) < 0)
		return rc;
	if (s->flags & HL_CONFIG_TEST_ONLY)
		return bad(msg, cap, "for tests only: not to be set on a node");
	if (s->flags & HL_CONFIG_SECRET) {
		int fd;
		if (stat(v, &st) < 0)
			return bad(msg, cap, "%s: %s", v, strerror(errno));
		if (!S_ISREG(st.st_mode))
			return bad(msg, cap, "%s: not a regular file", v);
		if (st.st_uid != geteuid())
			return bad(msg, cap, "%s: owned by uid %u, not by this user (uid %u)", v,
			           (unsigned)st.st_uid, (unsigned)geteuid());
		if (st.st_mode & 077)
			return bad(msg, cap,
			           "%s: mode %04o: readable by others than its owner (chmod 600)",
			           v, (unsigned)(st.st_mode & 07777));
		/* opened to see it can be, never read */
		if ((fd = open(v, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
			return bad(msg, cap, "%s: %s", v, strerror(errno));
		close(fd);
		return 0;
	}
	if (s->type == HL_CONFIG_PATHLIST) {
		char *copy = hl_strdup(v), *save = NULL;
		rc = 0;
		if (!copy)
			return bad(msg, cap, "out of memory");
		for (char *p = strtok_r(copy, ":", &save); p && rc == 0;
		     p = strtok_r(NULL, ":", &save))
			rc = check_dir(msg, cap, p, s->flags);
		free(copy);
		return rc;
	}
	if (s->type == HL_CONFIG_DIR && (s->flags & (HL_CONFIG_MUST_EXIST | HL_CONFIG_WRITABLE)))
		return check_dir(msg, cap, v, s->flags);
	if (s->type == HL_CONFIG_PATH && (s->flags & HL_CONFIG_MUST_EXIST)) {
		if (stat(v, &st) < 0)
			return bad(msg, cap, "%s: %s", v, strerror(errno));
		if (access(v, R_OK) < 0)
			return bad(msg, cap, "%s: not readable by this user", v);
	}
	return 0;
}

int hl_config_env_str(const char **out, const char *key)
{
	const hl_config_setting *s = hl_config_find(key);
	const char *v;
	char msg[512];
	if (!s)
		return hl_error_set(HL_ENOTFOUND, "%s: not a known setting", key);
	if (!(v = getenv(s->env)) || !*v)
		return 1;
	if (hl_config_value_ok(msg, sizeof(msg), s, v) < 0)
		return hl_error_set(HL_EINVALID, "%s: %s", s->env, msg);
	*out = v;
	return 0;
}

int hl_config_env_int(long long *out, const char *key)
{
	const char *v;
	int rc = hl_config_env_str(&v, key);
	if (rc == 0)
		*out = strtoll(v, NULL, 10);
	return rc;
}

int hl_config_env_bool(int *out, const char *key)
{
	const char *v;
	int rc = hl_config_env_str(&v, key);
	if (rc == 0)
		*out = !strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
		       !strcasecmp(v, "on");
	return rc;
}

/* ---- files ---- */

typedef struct {
	const hl_config_setting *s;
	char *value;
	int line;
	int applied;
} entry;

struct hl_config {
	char *name;
	entry e[sizeof(table) / sizeof(table[0])];
	size_t n;
	char **problems;
	size_t nproblems;
};

static int problem(hl_config *c, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int problem(hl_config *c, int line, const char *fmt, ...)
{
	char msg[1024];
	char *p, **grown;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!(grown = realloc(c->problems, (c->nproblems + 1) * sizeof(*grown))))
		return -1;
	c->problems = grown;
	if (asprintf(&p, "%s:%d: %s", c->name, line, msg) < 0)
		return -1;
	c->problems[c->nproblems++] = p;
	return 0;
}

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/* One line (without its '\n'): a problem kept, or an entry; -1 only when out of memory. */
static int parse_line(hl_config *c, int lineno, const char *line, size_t len)
{
	const char *b = line, *e = line + len, *eq, *kb, *ke, *vb, *ve;
	char key[64], msg[512];
	const hl_config_setting *s;

	while (b < e && is_blank(*b))
		b++;
	while (e > b && is_blank(e[-1]))
		e--;
	if (b == e || *b == '#')
		return 0;
	if (memchr(b, '\0', (size_t)(e - b)))
		return problem(c, lineno, "a NUL byte in the line");
	if (!(eq = memchr(b, '=', (size_t)(e - b))))
		return problem(c, lineno, "`key = value` is expected, not \"%.*s%s\"",
		               (int)((e - b) > 60 ? 60 : (e - b)), b, (e - b) > 60 ? "..." : "");
	kb = b, ke = eq;
	while (ke > kb && is_blank(ke[-1]))
		ke--;
	vb = eq + 1, ve = e;
	while (vb < ve && is_blank(*vb))
		vb++;
	if (ke == kb)
		return problem(c, lineno, "a key is expected before '='");
	if ((size_t)(ke - kb) >= sizeof(key))
		return problem(c, lineno, "unknown key \"%.40s...\"", kb);
	memcpy(key, kb, (size_t)(ke - kb));
	key[ke - kb] = '\0';
	if (!(s = hl_config_find(key))) {
		char lower[sizeof(key)];
		for (size_t i = 0; i < sizeof(key); i++)
			lower[i] = (char)(key[i] >= 'A' && key[i] <= 'Z' ? key[i] + 32 : key[i]);
		s = hl_config_find(lower); /* "HOME": named below as "home" */
	}
	if (!s || strcmp(s->key, key) != 0) {
		if (s)
			return problem(c, lineno,
			               "unknown key \"%s\" (the file's keys are lower case: %s)",
			               key, s->key);
		return problem(c, lineno, "unknown key \"%s\" (see halong config check)", key);
	}
	if (s->flags & HL_CONFIG_TEST_ONLY)
		return problem(c, lineno, "%s is for tests only: not allowed in a settings file",
		               key);
	if (s->flags & HL_CONFIG_ENV_ONLY)
		return problem(c, lineno, "%s cannot be set in a settings file (only %s)", key,
		               s->env);
	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].s == s)
			return problem(c, lineno, "%s is set twice (first on line %d)", key,
			               c->e[i].line);
	{
		char *v = strndup(vb, (size_t)(ve - vb));
		if (!v)
			return -1;
		if (hl_config_value_ok(msg, sizeof(msg), s, v) < 0) {
			free(v);
			return problem(c, lineno, "%s: %s", key, msg);
		}
		c->e[c->n].s = s;
		c->e[c->n].value = v;
		c->e[c->n].line = lineno;
		c->n++;
	}
	return 0;
}

int hl_config_parse(hl_config **out, const char *name, const char *text, size_t len)
{
	hl_config *c = calloc(1, sizeof(*c));
	size_t pos = 0;
	int lineno = 0;

	if (!c || !(c->name = hl_strdup(name ? name : "-"))) {
		free(c);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	if (len > HL_CONFIG_FILE_MAX) {
		hl_config_free(c);
		return hl_error_set(HL_ELIMIT, "%s: larger than %zu bytes: not a settings file",
		                    name, HL_CONFIG_FILE_MAX);
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;
		int rc;
		lineno++;
		if (l > HL_CONFIG_LINE_MAX)
			rc = problem(c, lineno, "a line longer than %d bytes", HL_CONFIG_LINE_MAX);
		else
			rc = parse_line(c, lineno, text + pos, l);
		if (rc < 0) {
			hl_config_free(c);
			return hl_error_set(HL_ENOMEM, "out of memory");
		}
		pos += l + (nl ? 1 : 0);
	}
	*out = c;
	if (c->nproblems)
		return hl_error_set(HL_EINVALID, "%s", c->problems[0]);
	return 0;
}

int hl_config_load(hl_config **out, const char *path)
{
	struct stat st;
	char *buf;
	size_t n = 0;
	ssize_t r;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return hl_error_set(errno == ENOENT ? HL_ENOTFOUND : HL_EIO, "%s: %s", path,
		                    strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return hl_error_set(HL_EIO, "%s: not a regular file", path);
	}
	if ((size_t)st.st_size > HL_CONFIG_FILE_MAX) {
		close(fd);
		return hl_error_set(HL_ELIMIT, "%s: larger than %zu bytes: not a settings file",
		                    path, HL_CONFIG_FILE_MAX);
	}
	if (!(buf = malloc(HL_CONFIG_FILE_MAX + 1))) {
		close(fd);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	/* read up to one byte past the limit: a file grown since fstat is still refused */
	while (n <= HL_CONFIG_FILE_MAX &&
	       (r = read(fd, buf + n, HL_CONFIG_FILE_MAX + 1 - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = hl_error_set(HL_EIO, "%s: %s", path, strerror(errno));
			close(fd);
			free(buf);
			return rc;
		}
		n += (size_t)r;
	}
	close(fd);
	rc = hl_config_parse(out, path, buf, n);
	free(buf);
	return rc;
}

void hl_config_free(hl_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->e[i].value);
	for (size_t i = 0; i < c->nproblems; i++)
		free(c->problems[i]);
	free(c->problems);
	free(c->name);
	free(c);
}

const char *hl_config_name(const hl_config *c)
{
	return c->name;
}

size_t hl_config_problems(const hl_config *c)
{
	return c->nproblems;
}

const char *hl_config_problem(const hl_config *c, size_t i)
{
	return i < c->nproblems ? c->problems[i] : NULL;
}

const char *hl_config_get(const hl_config *c, const char *key, int *line)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->e[i].s->key, key)) {
			if (line)
				*line = c->e[i].line;
			return c->e[i].value;
		}
	return NULL;
}

int hl_config_apply(hl_config *c)
{
	if (c->nproblems)
		return hl_error_set(HL_EINVALID, "%s", c->problems[0]);
	for (size_t i = 0; i < c->n; i++) {
		const char *cur = getenv(c->e[i].s->env);
		if (cur && *cur)
			continue;
		if (setenv(c->e[i].s->env, c->e[i].value, 1) < 0)
			return hl_error_set(HL_ENOMEM, "setenv %s: %s", c->e[i].s->env,
			                    strerror(errno));
		c->e[i].applied = 1;
	}
	return 0;
}

int hl_config_applied(const hl_config *c, const hl_config_setting *s)
{
	for (size_t i = 0; c && i < c->n; i++)
		if (c->e[i].s == s)
			return c->e[i].applied;
	return 0;
}

/* ---- shipped files ---- */

static int g_uninstalled;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void find_uninstalled(void)
{
	char exe[PATH_MAX], root[PATH_MAX];
	size_t rl;
	if (!realpath("/proc/self/exe", exe) || !realpath(HL_BUILD_ROOT, root))
		return;
	rl = strlen(root);
	g_uninstalled = !strncmp(exe, root, rl) && exe[rl] == '/';
}

int hl_config_uninstalled(void)
{
	pthread_once(&g_once, find_uninstalled);
	return g_uninstalled;
}

const char *hl_config_default_data_dir(void)
{
	return hl_config_uninstalled() ? HL_SOURCE_DATADIR : HL_INSTALL_SHAREDIR "/data";
}

const char *hl_config_default_web_dir(void)
{
	return hl_config_uninstalled() ? HL_SOURCE_WEBDIR : HL_INSTALL_SHAREDIR "/web";
}

const char *hl_config_data_dir(void)
{
	const char *e = getenv("HALONG_DATA");
	return e && *e ? e : hl_config_default_data_dir();
}

const char *hl_config_web_dir(void)
{
	const char *e = getenv("HALONG_WEB_ROOT");
	return e && *e ? e : hl_config_default_web_dir();
}
