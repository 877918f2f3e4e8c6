/* Unit tests of the jobs kept in the store (src/lib/ops/jobs.c, store/jobs.c): ids, a row ending
 * once, who sees a job, the jobs of a dead process interrupted with their last progress (a live
 * one's left alone), and the retention of finished jobs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "halong/archive.h"
#include "halong/jobs.h"
#include "store/store.h"
#include "store/store_jobs.h"

typedef struct {
	char dir[64];
	hl_archive *a;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/halong-test-jobs.XXXXXX");
	if (!mkdtemp(f->dir) || hl_archive_init(f->dir) < 0 || hl_archive_open(&f->a, f->dir) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	char cmd[128];
	hl_archive_free(f->a);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static hl_principal who(int64_t id, const char *name, hl_role role, const char *unit, int prov)
{
	hl_principal p = {0};
	p.user_id = id;
	snprintf(p.username, sizeof(p.username), "%s", name);
	p.role = role;
	snprintf(p.unit_code, sizeof(p.unit_code), "%s", unit);
	p.province = prov;
	return p;
}

static void test_add_get_finish(void **state)
{
	fixture *f = *state;
	hl_principal admin = who(1, "admin", HL_ROLE_ADMIN, "22", 1);
	hl_principal clerk = who(2, "archivist", HL_ROLE_ARCHIVIST, "06652", 0);
	hl_principal other = who(3, "archivist61", HL_ROLE_ARCHIVIST, "06661", 0);
	hl_principal viewer = who(4, "viewer", HL_ROLE_VIEWER, "06652", 0);
	char a[HL_JOB_ID_SIZE], b[HL_JOB_ID_SIZE];
	hl_job *j = NULL;

	assert_int_equal(hl_jobs_add(a, f->a, &clerk, "ingest", "{\"ocr\":0}"), 0);
	assert_int_equal(hl_jobs_add(b, f->a, &clerk, "ingest", NULL), 0);
	assert_int_equal(strlen(a), 17);
	assert_int_equal(a[0], 'j');
	assert_string_not_equal(a, b);
	assert_int_equal(hl_jobs_progress(f->a, a, "ingest", 10, 100), 0);

	/* who sees it: the province, its unit, not another unit; a viewer is refused */
	assert_int_equal(hl_jobs_get(&j, f->a, &admin, a), 0);
	assert_int_equal(j->state, HL_JOB_RUNNING);
	assert_int_equal(j->done, 10);
	assert_string_equal(j->phase, "ingest");
	assert_string_equal(j->params, "{\"ocr\":0}");
	hl_job_free(j);
	assert_int_equal(hl_jobs_get(&j, f->a, &clerk, a), 0);
	hl_job_free(j);
	assert_int_equal(hl_jobs_get(&j, f->a, &other, a), HL_ENOTFOUND);
	assert_non_null(strstr(hl_error_last(), "no job"));
	assert_int_equal(hl_jobs_get(&j, f->a, &viewer, a), HL_EDENIED);
	assert_int_equal(hl_jobs_get(&j, f->a, &admin, "j0000000000000000"), HL_ENOTFOUND);

	/* a row ends once */
	assert_int_equal(
	    hl_jobs_finish(f->a, a, HL_JOB_DONE, NULL, 100, 100, "100 rows", "{}", NULL), 0);
	assert_int_equal(hl_jobs_finish(f->a, a, HL_JOB_FAILED, NULL, 0, 0, NULL, NULL, "x"),
	                 HL_ENOTFOUND);
	assert_int_equal(hl_jobs_progress(f->a, a, "late", 1, 1), 0); /* ignored */
	assert_int_equal(hl_jobs_get(&j, f->a, &admin, a), 0);
	assert_int_equal(j->state, HL_JOB_DONE);
	assert_int_equal(j->done, 100);
	assert_string_equal(j->summary, "100 rows");
	assert_string_equal(j->phase, "ingest");
	assert_true(j->finished_at[0]);
	hl_job_free(j);
}

static int count(const hl_job *j, void *ud)
{
	(void)j;
	(*(int *)ud)++;
	return 0;
}

/* The ids of the listed jobs, in order (up to 4). */
typedef struct {
	char ids[4][HL_JOB_ID_SIZE];
	int n;
} listed;

static int collect(const hl_job *j, void *ud)
{
	listed *l = ud;
	if (l->n < 4)
		snprintf(l->ids[l->n++], HL_JOB_ID_SIZE, "%s", j->id);
	return 0;
}

static void test_recover_and_list(void **state)
{
	fixture *f = *state;
	hl_principal admin = who(1, "admin", HL_ROLE_ADMIN, "22", 1);
	hl_principal other = who(3, "archivist61", HL_ROLE_ARCHIVIST, "06661", 0);
	hl_store *st = hl_archive_store(f->a);
	hl_store_job dead = {0};
	char mine[HL_JOB_ID_SIZE];
	hl_job *j = NULL;
	size_t n = 99;
	int seen = 0;

	/* a job of a process that is gone (pid 1's start time is not 1), one of this process */
	snprintf(dead.id, sizeof(dead.id), "jdeadbeefdeadbeef");
	snprintf(dead.kind, sizeof(dead.kind), "ocr");
	dead.who = 1;
	snprintf(dead.unit, sizeof(dead.unit), "22");
	snprintf(dead.owner, sizeof(dead.owner), "1/1");
	snprintf(dead.created_at, sizeof(dead.created_at), "2026-01-01T00:00:00Z");
	assert_int_equal(hl_store_job_add(st, &dead), 0);
	assert_int_equal(hl_store_job_add(st, &dead), HL_ECONFLICT); /* ids are unique */
	assert_int_equal(hl_jobs_progress(f->a, dead.id, "ocr", 7, 30), 0);
	assert_int_equal(hl_jobs_add(mine, f->a, &admin, "ingest", NULL), 0);

	assert_int_equal(hl_jobs_recover(&n, f->a), 0);
	assert_int_equal(n, 1);
	assert_int_equal(hl_jobs_get(&j, f->a, &admin, dead.id), 0);
	assert_int_equal(j->state, HL_JOB_INTERRUPTED);
	assert_int_equal(j->done, 7);
	assert_int_equal(j->total, 30);
	assert_non_null(strstr(j->error, "ocr 7 of 30"));
	hl_job_free(j);
	assert_int_equal(hl_jobs_get(&j, f->a, &admin, mine), 0);
	assert_int_equal(j->state, HL_JOB_RUNNING); /* this process is alive */
	hl_job_free(j);

	assert_int_equal(hl_jobs_list(f->a, &admin, 100, count, &seen), 0);
	assert_int_equal(seen, 2);
	seen = 0;
	assert_int_equal(hl_jobs_list(f->a, &admin, 1, count, &seen), 0);
	assert_int_equal(seen, 1);
	seen = 0;
	assert_int_equal(hl_jobs_list(f->a, &other, 100, count, &seen), 0);
	assert_int_equal(seen, 0);

	/* newest first, by the order they were made: three made in the same second (created_at
	 * has whole seconds; ids are random), and "dead" made with an earlier time */
	{
		char a1[HL_JOB_ID_SIZE], a2[HL_JOB_ID_SIZE];
		listed l = {0};
		assert_int_equal(hl_jobs_add(a1, f->a, &admin, "ocr", NULL), 0);
		assert_int_equal(hl_jobs_add(a2, f->a, &admin, "ingest", NULL), 0);
		assert_int_equal(hl_jobs_list(f->a, &admin, 4, collect, &l), 0);
		assert_int_equal(l.n, 4);
		assert_string_equal(l.ids[0], a2);
		assert_string_equal(l.ids[1], a1);
		assert_string_equal(l.ids[2], mine);
		assert_string_equal(l.ids[3], dead.id);
	}
}

static void test_retention(void **state)
{
	fixture *f = *state;
	hl_store *st = hl_archive_store(f->a);
	int64_t removed = -1;
	/* 3 finished long ago: with keep 1, the two older go; a running one is never pruned */
	for (int i = 0; i < 4; i++) {
		hl_store_job r = {0};
		char at[32];
		snprintf(r.id, sizeof(r.id), "j000000000000000%d", i);
		snprintf(r.kind, sizeof(r.kind), "ocr");
		snprintf(r.unit, sizeof(r.unit), "22");
		snprintf(r.owner, sizeof(r.owner), "1/1");
		snprintf(r.created_at, sizeof(r.created_at), "2020-01-0%dT00:00:00Z", i + 1);
		assert_int_equal(hl_store_job_add(st, &r), 0);
		snprintf(at, sizeof(at), "2020-01-0%dT01:00:00Z", i + 1);
		if (i < 3)
			assert_int_equal(
			    hl_store_job_finish(st, r.id, "done", at, NULL, 0, 0, NULL, NULL, NULL),
			    0);
	}
	assert_int_equal(hl_store_job_prune(&removed, st, "2021-01-01T00:00:00Z", 1), 0);
	assert_int_equal(removed, 2);
	assert_int_equal(hl_store_job_prune(&removed, st, "2021-01-01T00:00:00Z", 1), 0);
	assert_int_equal(removed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_add_get_finish, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_recover_and_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
