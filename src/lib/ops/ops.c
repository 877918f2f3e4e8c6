/* The readiness checks of a node (/readyz, `halong doctor`): each one small, none of them
 * changing anything. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "halong/backup.h"
#include "halong/exchange.h"
#include "halong/ops.h"
#include "halong/util.h"
#include "search/search.h"
#include "store/store.h"

#define QUEUE_MAX_DEFAULT 10000
#define DISK_MIN_DEFAULT  (1024ull * 1024 * 1024) /* 1 GiB, or 5% of a smaller disk */

static const char *const names[HL_OPS_NCHECKS] = {"store",     "index", "node_key",
                                                  "directory", "disk",  "backups"};

const char *hl_ops_state_name(hl_ops_state s)
{
	return s == HL_OPS_OK ? "ok" : s == HL_OPS_FAIL ? "fail" : "skip";
}

/* A whole number from the environment: 0 and *out set, 1 when unset or empty, HL_EINVALID. */
static int env_int(long long *out, const char *var, long long lo)
{
	const char *v = getenv(var);
	char *end;
	long long n;
	if (!v || !*v)
		return 1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || *end || end == v || n < lo)
		return hl_error_set(HL_EINVALID, "%s must be a whole number >= %lld, not \"%s\"",
		                    var, lo, v);
	*out = n;
	return 0;
}

int hl_ops_limits_get(hl_ops_limits *out)
{
	hl_ops_limits l = {QUEUE_MAX_DEFAULT, 0};
	long long n;
	int rc;
	if ((rc = env_int(&n, "HALONG_READY_QUEUE_MAX", 0)) < 0)
		return rc;
	if (rc == 0)
		l.queue_max = n;
	if ((rc = env_int(&n, "HALONG_READY_DISK_MIN_MB", 0)) < 0)
		return rc;
	if (rc == 0) {
		if ((unsigned long long)n > UINT64_MAX / (1024 * 1024))
			return hl_error_set(HL_EINVALID, "HALONG_READY_DISK_MIN_MB is too large");
		/* 0 MiB asked: any free space will do (1 byte, since 0 means the default) */
		l.disk_min_bytes = n ? (uint64_t)n * 1024 * 1024 : 1;
	}
	*out = l;
	return 0;
}

static void set(hl_ops_check *c, hl_ops_state s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set(hl_ops_check *c, hl_ops_state s, const char *fmt, ...)
{
	va_list ap;
	c->state = s;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
}

static void check_store(hl_ops_check *c, hl_archive *a)
{
	if (hl_store_write_probe(hl_archive_store(a)) < 0)
		set(c, HL_OPS_FAIL, "the store cannot be written: %s", hl_error_last());
	else
		set(c, HL_OPS_OK, "a write was taken and rolled back");
}

/* A fresh read-only handle, so that the check sees the index as it is on disk now. */
static void check_index(hl_ops_check *c, hl_archive *a, int64_t queue_max)
{
	char *dir = hl_path_join(hl_archive_dir(a), "index");
	hl_index *ix = NULL;
	int64_t max = 0, behind;

	if (!dir) {
		set(c, HL_OPS_FAIL, "out of memory");
		return;
	}
	if (hl_store_queue_max(&max, hl_archive_store(a)) < 0) {
		set(c, HL_OPS_FAIL, "the index queue cannot be read: %s", hl_error_last());
		free(dir);
		return;
	}
	if (hl_index_open(&ix, dir, 0) < 0) {
		/* The index is made by the first write: a node that never queued anything has none.
		 */
		if (max == 0)
			set(c, HL_OPS_OK, "no index yet, and nothing queued for one");
		else
			set(c, HL_OPS_FAIL, "the search index does not open: %s", hl_error_last());
		free(dir);
		return;
	}
	free(dir);
	behind = max - hl_index_applied_seq(ix);
	if (behind < 0)
		behind = 0;
	hl_index_free(ix);
	if (behind > queue_max)
		set(c, HL_OPS_FAIL,
		    "the index is %lld changes behind the store (more than %lld; halong reindex "
		    "--pending)",
		    (long long)behind, (long long)queue_max);
	else
		set(c, HL_OPS_OK, "the index opens; %lld changes queued (at most %lld)",
		    (long long)behind, (long long)queue_max);
}

static void check_node_key(hl_ops_check *c, hl_archive *a)
{
	hl_node *n = NULL;
	int rc = hl_node_open(&n, hl_archive_store(a), hl_archive_dir(a));
	if (rc == 0)
		set(c, HL_OPS_OK, "the key of node %s is readable", hl_node_unit(n));
	else if (rc == HL_ENOTFOUND)
		set(c, HL_OPS_SKIP,
		    "not configured: this node has no exchange identity (halong "
		    "node init)");
	else
		set(c, HL_OPS_FAIL, "the node key cannot be used: %s", hl_error_last());
	hl_node_free(n);
}

/* The exchange directory: a commune that trusts a hub must hold one (without it, it can send to
 * nobody); the hub issues it. It carries no expiry date today (include/halong/exchange.h): only
 * its presence is checked, and the reason says so. */
static void check_directory(hl_ops_check *c, hl_archive *a)
{
	hl_store *st = hl_archive_store(a);
	int64_t version = 0, issued = 0;
	int imported = 0, follows = hl_node_follows_hub(st);
	char when[32] = "";

	if (follows < 0 || hl_node_directory_info(&version, &issued, &imported, st) < 0) {
		set(c, HL_OPS_FAIL, "the exchange directory cannot be read: %s", hl_error_last());
		return;
	}
	if (issued > 0) {
		time_t t = (time_t)(issued / 1000);
		struct tm tm;
		if (gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	if (follows && version == 0)
		set(c, HL_OPS_FAIL,
		    "this node trusts a hub but holds no directory: it can send to no one (halong "
		    "node directory import FILE)");
	else if (follows || imported)
		set(c, HL_OPS_OK,
		    "the hub's directory version %lld, issued %s (it carries no expiry date: "
		    "only its presence is checked)",
		    (long long)version, when);
	else if (version > 0)
		set(c, HL_OPS_OK, "this node issues the directory (version %lld, changed %s)",
		    (long long)version, when);
	else
		set(c, HL_OPS_SKIP, "not configured: this node takes no part in the exchange");
}

static void check_disk(hl_ops_check *c, hl_archive *a, uint64_t min_bytes)
{
	struct statvfs v;
	uint64_t avail, total, min = min_bytes;
	if (statvfs(hl_archive_dir(a), &v) != 0) {
		set(c, HL_OPS_FAIL, "the data directory's file system cannot be read: %s",
		    strerror(errno));
		return;
	}
	avail = (uint64_t)v.f_bavail * v.f_frsize;
	total = (uint64_t)v.f_blocks * v.f_frsize;
	if (!min) {
		min = total / 20; /* 5% */
		if (min > DISK_MIN_DEFAULT)
			min = DISK_MIN_DEFAULT;
	}
	if (avail < min)
		set(c, HL_OPS_FAIL, "%llu MiB free in the data directory, below %llu MiB",
		    (unsigned long long)(avail >> 20),
		    (unsigned long long)((min + (1 << 20) - 1) >> 20));
	else
		set(c, HL_OPS_OK, "%llu MiB free in the data directory (at least %llu MiB)",
		    (unsigned long long)(avail >> 20),
		    (unsigned long long)((min + (1 << 20) - 1) >> 20));
}

#define BACKUP_MAX_AGE_DEFAULT 26 /* hours: a daily backup, and two hours of slack */

static void first_warning(const char *msg, void *ud)
{
	char *buf = ud;
	if (!*buf)
		snprintf(buf, 256, "%s", msg);
}

/* The newest backup whose manifest parses, on every target of $HALONG_BACKUP_TARGETS, younger
 * than $HALONG_BACKUP_MAX_AGE_HOURS; then Circular 02/2019/TT-BNV's two copies on separate
 * media: one target, or two on one file system, fails too (a node whose backups do not meet
 * the rule is not in order; hl_ops_state keeps three states). */
static void check_backups(hl_ops_check *c)
{
	char **t = NULL, name[64], warn[256] = "", ok[256] = "";
	size_t n = 0, used = 0;
	long long max = BACKUP_MAX_AGE_DEFAULT;
	int64_t created;
	int rc;

	if ((rc = env_int(&max, "HALONG_BACKUP_MAX_AGE_HOURS", 1)) < 0) {
		set(c, HL_OPS_FAIL, "%s", hl_error_last());
		return;
	}
	if (hl_backup_targets(&t, &n) < 0) {
		set(c, HL_OPS_FAIL, "%s", hl_error_last());
		return;
	}
	if (n == 0) {
		set(c, HL_OPS_SKIP, "not configured: no backup target (HALONG_BACKUP_TARGETS)");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t age;
		if (hl_backup_newest(name, &created, t[i]) < 0) {
			set(c, HL_OPS_FAIL, "%s holds no complete backup (halong backup)", t[i]);
			goto done;
		}
		age = (int64_t)time(NULL) - created;
		if (age > max * 3600) {
			set(c, HL_OPS_FAIL,
			    "the newest backup on %s is %lld hours old (%s), more than %lld", t[i],
			    (long long)(age / 3600), name, max);
			goto done;
		}
		if (used < sizeof(ok))
			used += (size_t)snprintf(ok + used, sizeof(ok) - used, "%s%s %lld h",
			                         i ? ", " : "", t[i],
			                         (long long)(age > 0 ? age / 3600 : 0));
	}
	hl_backup_targets_warn((const char *const *)t, n, first_warning, warn);
	if (*warn)
		set(c, HL_OPS_FAIL, "%s", warn);
	else
		set(c, HL_OPS_OK, "newest backups younger than %lld hours: %s", max, ok);
done:
	hl_backup_targets_free(t, n);
}

int hl_ops_checks(hl_ops_check out[HL_OPS_NCHECKS], hl_archive *a, const hl_ops_limits *lim)
{
	int failing = 0;
	if (!a || !lim)
		return hl_error_set(HL_EINVALID, "no archive or limits");
	for (int i = 0; i < HL_OPS_NCHECKS; i++) {
		out[i].name = names[i];
		out[i].state = HL_OPS_FAIL;
		out[i].reason[0] = '\0';
	}
	check_store(&out[HL_OPS_STORE], a);
	check_index(&out[HL_OPS_INDEX], a, lim->queue_max);
	check_node_key(&out[HL_OPS_NODE_KEY], a);
	check_directory(&out[HL_OPS_DIRECTORY], a);
	check_disk(&out[HL_OPS_DISK], a, lim->disk_min_bytes);
	check_backups(&out[HL_OPS_BACKUPS]);
	for (int i = 0; i < HL_OPS_NCHECKS; i++)
		failing += out[i].state == HL_OPS_FAIL;
	hl_error_clear();
	return failing;
}
