/* Operating a node: the readiness checks that /readyz and `halong doctor` report. */
#ifndef HALONG_OPS_H
#define HALONG_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "halong/archive.h"

/* A check's outcome. HL_OPS_SKIP is neither a pass nor a failure: something that is not
 * configured on this node (no node identity yet, no backups yet); it does not make the node
 * unready, and it is never reported as a pass. */
typedef enum {
	HL_OPS_OK = 0,
	HL_OPS_FAIL = 1,
	HL_OPS_SKIP = 2,
} hl_ops_state;

/* The checks, in the order they are reported. */
enum {
	HL_OPS_STORE,     /* "store": a write transaction can be taken (and is rolled back) */
	HL_OPS_INDEX,     /* "index": the search index opens and its queue is not too far behind */
	HL_OPS_NODE_KEY,  /* "node_key": the node's key is readable and matches the store */
	HL_OPS_DIRECTORY, /* "directory": the exchange directory has not expired */
	HL_OPS_DISK,      /* "disk": free space in the data directory */
	HL_OPS_BACKUPS,   /* "backups": each target's newest backup young enough, two media */
	HL_OPS_NCHECKS
};

typedef struct {
	const char *name; /* static: "store", "index", ... */
	hl_ops_state state;
	/* For people and the operator: may name paths and counts (not for anonymous callers). */
	char reason[256];
} hl_ops_check;

/* Thresholds. */
typedef struct {
	/* index: fail when more than this many queued changes are not applied (default 10000;
	 * $HALONG_READY_QUEUE_MAX) */
	int64_t queue_max;
	/* disk: fail when free space is below this many bytes; 0 uses the default, below
	 * min(1 GiB, 5% of the file system) ($HALONG_READY_DISK_MIN_MB sets it in MiB) */
	uint64_t disk_min_bytes;
} hl_ops_limits;

/* The defaults, overridden by $HALONG_READY_QUEUE_MAX and $HALONG_READY_DISK_MIN_MB when they
 * hold a whole number. HL_EINVALID (naming the variable) for a value that is not one. */
int hl_ops_limits_get(hl_ops_limits *out);

/* Runs every check on `a` (its data directory, store and index) into out[HL_OPS_NCHECKS].
 * A failing check is not an error: it is reported in its entry. Returns the number of failing
 * checks (0: ready), or -1 only when the checks cannot be run at all. */
int hl_ops_checks(hl_ops_check out[HL_OPS_NCHECKS], hl_archive *a, const hl_ops_limits *lim);

/* "ok", "fail", "skip". */
const char *hl_ops_state_name(hl_ops_state s);

#endif
