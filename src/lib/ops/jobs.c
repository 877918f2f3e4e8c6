/* The server's jobs in the store (include/halong/jobs.h): ids, who may see a job, and what a
 * server starting does with the jobs a dead process left running.
 *
 * A job row is owned by the process that runs it ("pid/start-ticks", the start time of the
 * process from /proc/PID/stat, so that a pid taken again by another process is not mistaken
 * for the owner). A row leaves `running` once, for done, failed or interrupted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "halong/jobs.h"
#include "halong/util.h"
#include "store/store_jobs.h"

static const char *const state_names[] = {"running", "done", "failed", "interrupted"};

const char *hl_job_state_name(hl_job_state s)
{
	return (unsigned)s < 4 ? state_names[s] : "unknown";
}

static hl_job_state state_of(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(name, state_names[i]))
			return (hl_job_state)i;
	return HL_JOB_FAILED;
}

void hl_job_free(hl_job *j)
{
	if (!j)
		return;
	free(j->summary);
	free(j->result);
	free(j->error);
	free(j->params);
	free(j);
}

/* The start time of process `pid` in clock ticks since boot (field 22 of /proc/PID/stat), or
 * 0 when the process does not exist. */
static unsigned long long start_ticks(long pid)
{
	char path[64], buf[1024];
	unsigned long long t = 0;
	FILE *f;
	size_t n;
	char *p;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (!(f = fopen(path, "re")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the command name (field 2) may hold spaces and parentheses: count after the last ')' */
	if (!(p = strrchr(buf, ')')))
		return 0;
	p++;
	for (int field = 3; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p && sscanf(p, " %llu", &t) != 1)
		t = 0;
	return t;
}

static void owner_self(char out[64])
{
	snprintf(out, 64, "%ld/%llu", (long)getpid(), start_ticks((long)getpid()));
}

/* Is the process named by owner ("pid/ticks") still running? */
static int owner_alive(const char *owner)
{
	long pid = 0;
	unsigned long long ticks = 0;
	if (sscanf(owner, "%ld/%llu", &pid, &ticks) != 2 || pid <= 0)
		return 0;
	return start_ticks(pid) == ticks && ticks != 0;
}

static int to_job(hl_job **out, const hl_store_job *r)
{
	hl_job *j = calloc(1, sizeof(*j));
	if (!j)
		return hl_error_set(HL_ENOMEM, "out of memory");
	snprintf(j->id, sizeof(j->id), "%.17s", r->id);
	snprintf(j->kind, sizeof(j->kind), "%s", r->kind);
	j->state = state_of(r->state);
	j->who = r->who;
	snprintf(j->unit, sizeof(j->unit), "%s", r->unit);
	snprintf(j->created_at, sizeof(j->created_at), "%s", r->created_at);
	snprintf(j->started_at, sizeof(j->started_at), "%s", r->started_at);
	snprintf(j->finished_at, sizeof(j->finished_at), "%s", r->finished_at);
	j->done = r->done > 0 ? (uint64_t)r->done : 0;
	j->total = r->total > 0 ? (uint64_t)r->total : 0;
	snprintf(j->phase, sizeof(j->phase), "%s", r->phase);
	snprintf(j->resumed_by, sizeof(j->resumed_by), "%.17s", r->resumed_by);
	if ((r->summary && !(j->summary = hl_strdup(r->summary))) ||
	    (r->result && !(j->result = hl_strdup(r->result))) ||
	    (r->error && !(j->error = hl_strdup(r->error))) ||
	    (r->params && !(j->params = hl_strdup(r->params)))) {
		hl_job_free(j);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	*out = j;
	return 0;
}

int hl_jobs_add(char id[HL_JOB_ID_SIZE], hl_archive *a, const hl_principal *who, const char *kind,
                const char *params)
{
	hl_store *st = hl_archive_store(a);
	hl_store_job r = {0};
	int rc = HL_ECONFLICT;

	snprintf(r.kind, sizeof(r.kind), "%s", kind);
	r.who = who->user_id;
	snprintf(r.unit, sizeof(r.unit), "%s", who->unit_code);
	owner_self(r.owner);
	hl_now_utc(r.created_at);
	r.params = (char *)params;
	/* unguessable (a job's result names documents and rejected rows) and unique: a second
	 * draw only if 64 random bits ever met an id of the store */
	for (int tries = 0; tries < 3 && rc == HL_ECONFLICT; tries++) {
		unsigned char b[8];
		if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
			return hl_error_set(HL_ERROR, "no random bytes for a job id: %s",
			                    strerror(errno));
		snprintf(r.id, sizeof(r.id), "j%02x%02x%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
		         b[3], b[4], b[5], b[6], b[7]);
		rc = hl_store_job_add(st, &r);
	}
	if (rc < 0)
		return rc;
	memcpy(id, r.id, HL_JOB_ID_SIZE);
	return 0;
}

int hl_jobs_progress(hl_archive *a, const char *id, const char *phase, uint64_t done,
                     uint64_t total)
{
	return hl_store_job_progress(hl_archive_store(a), id, phase, (int64_t)done, (int64_t)total);
}

int hl_jobs_finish(hl_archive *a, const char *id, hl_job_state state, const char *phase,
                   uint64_t done, uint64_t total, const char *summary, const char *result,
                   const char *error)
{
	char now[32];
	if (state == HL_JOB_RUNNING || (unsigned)state > HL_JOB_INTERRUPTED)
		return hl_error_set(HL_EINVALID, "a job ends done, failed or interrupted");
	hl_now_utc(now);
	return hl_store_job_finish(hl_archive_store(a), id, hl_job_state_name(state), now, phase,
	                           (int64_t)done, (int64_t)total, summary, result, error);
}

/* The rule of hl_jobs_get: 1 when `who` may see job r. */
static int visible(const hl_store_job *r, const hl_principal *who, int may_follow)
{
	if (who->user_id && r->who == who->user_id)
		return 1;
	return may_follow && hl_auth_sees_unit(who, r->unit);
}

int hl_jobs_get(hl_job **out, hl_archive *a, const hl_principal *who, const char *id)
{
	hl_store_job r;
	int denied = hl_auth_check(who, HL_ACT_JOBS_READ);
	char msg[512];
	int rc;

	/* the refusal's message, kept: reading the store may set another */
	snprintf(msg, sizeof(msg), "%s", denied ? hl_error_last() : "");
	rc = hl_store_job_get(&r, hl_archive_store(a), id);
	if (rc == 0 && !visible(&r, who, !denied)) {
		hl_store_job_clear(&r);
		rc = HL_ENOTFOUND;
	}
	if (rc == HL_ENOTFOUND) {
		/* those who may not follow jobs are told so, as for any id; others learn nothing
		 * of a job they may not see */
		if (denied)
			return hl_error_set(denied, "%s", msg);
		return hl_error_set(HL_ENOTFOUND, "no job %.40s", id);
	}
	if (rc < 0)
		return rc;
	rc = to_job(out, &r);
	hl_store_job_clear(&r);
	return rc;
}

typedef struct {
	const hl_principal *who;
	int may_follow;
	int (*cb)(const hl_job *j, void *ud);
	void *ud;
	size_t left;
} list_ctx;

static int list_one(const hl_store_job *r, void *ud)
{
	list_ctx *c = ud;
	hl_job *j = NULL;
	int rc;
	if (!visible(r, c->who, c->may_follow))
		return 0;
	if ((rc = to_job(&j, r)) < 0)
		return rc;
	rc = c->cb(j, c->ud);
	hl_job_free(j);
	if (rc == 0 && --c->left == 0)
		return 1; /* enough: stops the reading, not an error */
	return rc;
}

int hl_jobs_list(hl_archive *a, const hl_principal *who, size_t limit,
                 int (*cb)(const hl_job *j, void *ud), void *ud)
{
	list_ctx c = {who, hl_auth_check(who, HL_ACT_JOBS_READ) == 0, cb, ud, limit};
	int rc;
	if (!who->user_id)
		return hl_auth_check(who, HL_ACT_JOBS_READ);
	hl_error_clear();
	if (!limit)
		return 0;
	/* the rows are few (pruned at each start): read them all, keep those `who` sees */
	rc = hl_store_job_each(hl_archive_store(a), 0, (size_t)-1, list_one, &c);
	if (rc == 1 && c.left == 0)
		rc = 0;
	return rc;
}

typedef struct {
	char (*ids)[HL_JOB_ID_SIZE];
	size_t n, cap;
} dead_list;

static int collect_dead(const hl_store_job *r, void *ud)
{
	dead_list *d = ud;
	if (owner_alive(r->owner))
		return 0;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		void *p = realloc(d->ids, cap * sizeof(*d->ids));
		if (!p)
			return hl_error_set(HL_ENOMEM, "out of memory");
		d->ids = p, d->cap = cap;
	}
	snprintf(d->ids[d->n++], HL_JOB_ID_SIZE, "%.17s", r->id);
	return 0;
}

int hl_jobs_recover(size_t *interrupted, hl_archive *a)
{
	hl_store *st = hl_archive_store(a);
	dead_list d = {0};
	size_t marked = 0;
	char before[32];
	int64_t removed = 0;
	time_t t;
	struct tm tm;
	int rc;

	if ((rc = hl_store_job_each(st, 1, (size_t)-1, collect_dead, &d)) < 0)
		goto done;
	for (size_t i = 0; i < d.n; i++) {
		hl_store_job r;
		char why[256];
		if ((rc = hl_store_job_get(&r, st, d.ids[i])) < 0)
			goto done;
		if (r.total)
			snprintf(
			    why, sizeof(why),
			    "interrupted: the server stopped before the job ended (last progress:"
			    " %s %lld of %lld)",
			    *r.phase ? r.phase : "done", (long long)r.done, (long long)r.total);
		else
			snprintf(why, sizeof(why),
			         "interrupted: the server stopped before the job ended");
		rc = hl_jobs_finish(a, r.id, HL_JOB_INTERRUPTED, NULL, (uint64_t)r.done,
		                    (uint64_t)r.total, NULL, NULL, why);
		hl_store_job_clear(&r);
		if (rc == HL_ENOTFOUND)
			continue; /* it ended meanwhile */
		if (rc < 0)
			goto done;
		marked++;
	}
	t = time(NULL) - (time_t)HL_JOBS_KEEP_DAYS * 86400;
	if (!gmtime_r(&t, &tm) || !strftime(before, sizeof(before), "%Y-%m-%dT%H:%M:%SZ", &tm)) {
		rc = hl_error_set(HL_ERROR, "no time for the jobs kept");
		goto done;
	}
	rc = hl_store_job_prune(&removed, st, before, HL_JOBS_KEEP);
done:
	free(d.ids);
	if (rc == 0 && interrupted)
		*interrupted = marked;
	return rc;
}

int hl_jobs_resumed(hl_archive *a, const char *id, const char *by)
{
	return hl_store_job_resumed(hl_archive_store(a), id, by);
}

int hl_jobs_dir_kept(int *kept, hl_archive *a, const char *dir)
{
	return hl_store_job_dir_kept(kept, hl_archive_store(a), dir);
}
