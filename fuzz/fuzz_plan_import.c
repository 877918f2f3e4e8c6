/* Fuzz target of a plan's task appendix as an upload (src/lib/plans/import.c): the bytes as a
 * CSV file imported into plan F of a real store (made once per process, with the shipped
 * agencies registers). Invariants: an import succeeds or is refused with HL_EINVALID (or a
 * limit) and then writes nothing — the plan's tasks are the same before and after; each bad
 * row's message and each note is one line of valid UTF-8 naming the file; an import that
 * succeeded, imported again, changes nothing. */
#define FUZZ_NAME "fuzz_plan_import"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "halong/plans.h"
#include "halong/util.h"
#include "store/store.h"

#ifndef HL_SOURCE_DATADIR
#define HL_SOURCE_DATADIR "data"
#endif

#define FUZZ_MAX_INPUT (64 * 1024)

static hl_store *st;
static char dir[64], csv[96];
static hl_principal local;

static void line_ok(const char *m)
{
	fuzz_message_ok(m);
	CHECK(strncmp(m, csv, strlen(csv)) == 0);
}

static size_t tasks_of_f(char *sig, size_t cap)
{
	hl_tasks *l = NULL;
	size_t n, len = 0;
	CHECK(hl_plan_tasks(&l, st, &local, "F", "2025-06-01") == 0);
	n = l->n;
	for (size_t i = 0; i < l->n && len + 80 < cap; i++)
		len += (size_t)snprintf(sig + len, cap - len, "%s|%.20s|%zu;", l->v[i].item_no,
		                        l->v[i].title, l->v[i].nagencies);
	hl_tasks_free(l);
	return n;
}

/* The store made for the run goes with it. */
static void cleanup(void)
{
	char p[128];
	hl_store_free(st);
	st = NULL;
	unlink(csv);
	snprintf(p, sizeof(p), "%s/h.db", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/h.db-wal", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/h.db-shm", dir);
	unlink(p);
	rmdir(dir);
}

static void setup(void)
{
	hl_agency_load_stats s;
	hl_plan_import_stats ps;
	FILE *f;
	snprintf(dir, sizeof(dir), "/tmp/hl-fuzz-plan-XXXXXX");
	CHECK(mkdtemp(dir));
	char db[96];
	snprintf(db, sizeof(db), "%s/h.db", dir);
	snprintf(csv, sizeof(csv), "%s/p.csv", dir);
	CHECK(hl_store_open(&st, db, 1) == 0);
	atexit(cleanup);
	CHECK(hl_agency_load(&s, st, HL_SOURCE_DATADIR "/agencies/quang_ninh_agencies.csv", "f") ==
	      0);
	CHECK(hl_agency_load(&s, st, HL_SOURCE_DATADIR "/agencies/vn_central_agencies.csv", "f") ==
	      0);
	local = hl_principal_local("fuzz");
	CHECK((f = fopen(csv, "w")));
	fputs("plan_id,title,period,date\nF,Kế hoạch thử,2025-2026,2025-03-10\n", f);
	fclose(f);
	CHECK(hl_plan_import(&ps, st, &local, csv, NULL) == 0);
	hl_plan_import_stats_free(&ps);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	hl_plan_import_stats s;
	hl_plan_import_opts o = {.plan = "F"};
	char before[8192] = "", after[8192] = "";
	FILE *f;
	int rc;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (!ready) {
		setup();
		ready = 1;
	}
	o.keep_unknown = size && (data[0] & 1);
	CHECK((f = fopen(csv, "wb")));
	if (size)
		CHECK(fwrite(data, 1, size, f) == size);
	fclose(f);
	size_t n0 = tasks_of_f(before, sizeof(before));
	rc = hl_plan_import(&s, st, &local, csv, &o);
	for (size_t i = 0; i < s.nerrors; i++)
		line_ok(s.errors[i]);
	for (size_t i = 0; i < s.nnotes; i++)
		line_ok(s.notes[i]);
	if (rc < 0) {
		fuzz_message_ok(hl_error_last());
		CHECK(rc == HL_EINVALID || rc == HL_ELIMIT);
		CHECK(s.nerrors == 0 || rc == HL_EINVALID);
		size_t n1 = tasks_of_f(after, sizeof(after));
		CHECK(n1 == n0 && !strcmp(before, after)); /* nothing half-written */
	} else {
		hl_plan_import_stats again;
		CHECK(s.nerrors == 0);
		CHECK(hl_plan_import(&again, st, &local, csv, &o) == 0);
		CHECK(again.added == 0 && again.changed == 0);
		hl_plan_import_stats_free(&again);
	}
	hl_plan_import_stats_free(&s);
	return 0;
}
