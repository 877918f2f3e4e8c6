/* Tests of the agencies register (src/lib/plans/agency.c) on a real store: the shipped register
 * of Quảng Ninh's departments (data/agencies) loaded, twice to no change; the agencies of a day;
 * a name found as plans write it, an ended one told with its successor, an unknown one with the
 * closest names; every bad file refused naming line and column, with nothing loaded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "halong/plans.h"
#include "halong/util.h"
#include "store/store.h"

#define REGISTER HL_SOURCE_DATADIR "/agencies/quang_ninh_agencies.csv"

typedef struct {
	char dir[64], db[96], csv[96];
	hl_store *st;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/hl-agency-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/h.db", f->dir);
	snprintf(f->csv, sizeof(f->csv), "%s/a.csv", f->dir);
	if (hl_store_open(&f->st, f->db, 1) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	hl_store_free(f->st);
	unlink(f->db);
	unlink(f->csv);
	char wal[128];
	snprintf(wal, sizeof(wal), "%s-wal", f->db);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", f->db);
	unlink(wal);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void write_csv(fx *f, const char *text)
{
	FILE *o = fopen(f->csv, "w");
	assert_non_null(o);
	fputs(text, o);
	fclose(o);
}

static void test_real_register(void **state)
{
	fx *f = *state;
	hl_agency_load_stats s;
	hl_agencies *l = NULL;

	assert_int_equal(hl_agency_load(&s, f->st, REGISTER, "test"), 0);
	assert_int_equal(s.added, 32);
	assert_int_equal(s.total, 32);
	/* again: nothing changes */
	assert_int_equal(hl_agency_load(&s, f->st, REGISTER, "test"), 0);
	assert_int_equal((int)(s.added + s.changed), 0);
	assert_int_equal(s.unchanged, 32);
	/* after the merger of 1 March 2025: the 14 specialised agencies, the two forces, and
	 * the two boards that ended on 31 October 2025 */
	assert_int_equal(hl_agency_list(&l, f->st, "2025-07-01"), 0);
	assert_int_equal(l->n, 18);
	hl_agencies_free(l);
	assert_int_equal(hl_agency_list(&l, f->st, "2026-01-01"), 0);
	assert_int_equal(l->n, 17);
	hl_agencies_free(l);
	assert_int_equal(hl_agency_list(&l, f->st, NULL), 0);
	assert_int_equal(l->n, 32);
	hl_agencies_free(l);
	assert_int_equal(hl_agency_list(&l, f->st, "2025-02-30"), HL_EINVALID);
}

static void found_as(hl_store *st, const char *name, const char *date, const char *code)
{
	hl_agency *a = NULL;
	if (hl_agency_find(&a, st, name, date) != 0)
		fail_msg("\"%s\" on %s: %s", name, date ? date : "today", hl_error_last());
	assert_string_equal(a->code, code);
	hl_agency_free(a);
}

static void test_find(void **state)
{
	fx *f = *state;
	hl_agency *a = NULL;
	assert_int_equal(hl_agency_load(NULL, f->st, REGISTER, "test"), 0);
	found_as(f->st, "Sở Tài chính tỉnh Quảng Ninh", "2026-01-01", "SO-TC");
	found_as(f->st, "SỞ TÀI CHÍNH", "2026-01-01", "SO-TC");
	found_as(f->st, "so  tai chinh", "2026-01-01", "SO-TC");
	found_as(f->st, "SO-TC", "2026-01-01", "SO-TC");
	found_as(f->st, "Sở VH-TT&DL", "2026-01-01", "SO-VHTTDL");
	/* before the merger the same name is the old department */
	found_as(f->st, "Sở Nội vụ", "2025-01-01", "SO-NV-CU");
	found_as(f->st, "Sở Kế hoạch và Đầu tư", "2025-01-01", "SO-KHDT");
	/* after it, the old name is told with its successor */
	assert_int_equal(hl_agency_find(&a, f->st, "Sở Kế hoạch và Đầu tư", "2026-01-01"),
	                 HL_ENOTFOUND);
	assert_string_equal(hl_error_last(), "agency \"Sở Kế hoạch và Đầu tư\" (SO-KHDT) ended on "
	                                     "2025-02-28, not on 2026-01-01; its successor is "
	                                     "SO-TC");
	/* unknown: the closest names */
	assert_int_equal(hl_agency_find(&a, f->st, "Sở Tư pháb", "2026-01-01"), HL_ENOTFOUND);
	assert_non_null(strstr(hl_error_last(), "closest: Sở Tư pháp tỉnh Quảng Ninh (SO-TP)"));
	assert_int_equal(hl_agency_find(&a, f->st, "", NULL), HL_EINVALID);
	assert_null(a);
}

static void refused(fx *f, const char *csv, const char *says)
{
	int64_t before = -1;
	hl_agencies *l = NULL;
	assert_int_equal(hl_agency_list(&l, f->st, NULL), 0);
	before = (int64_t)l->n;
	hl_agencies_free(l);
	write_csv(f, csv);
	assert_int_equal(hl_agency_load(NULL, f->st, f->csv, "test"), HL_EINVALID);
	if (!strstr(hl_error_last(), says))
		fail_msg("\"%s\" does not say \"%s\"", hl_error_last(), says);
	assert_int_equal(hl_agency_list(&l, f->st, NULL), 0);
	assert_int_equal((int64_t)l->n, before);
	hl_agencies_free(l);
}

static void test_bad_files(void **state)
{
	fx *f = *state;
	const char *h = "code,name,kind,valid_from,valid_to,successor_code\n";
	char buf[512];
#define BAD(rows, says)                                                                            \
	do {                                                                                       \
		snprintf(buf, sizeof(buf), "%s%s", h, rows);                                       \
		refused(f, buf, says);                                                             \
	} while (0)
	BAD("A,Sở A,so,,,\nB,,so,,,\n", "a.csv:3: name: empty");
	BAD("A,Sở A,bogus,,,\n", "a.csv:2: kind: \"bogus\" is not one of");
	BAD("A B,Sở A,so,,,\n", "a.csv:2: code:");
	BAD("A,Sở A,so,2025-02-30,,\n", "a.csv:2: valid_from: \"2025-02-30\"");
	BAD("A,Sở A,so,2025-03-01,2025-02-28,\n", "a.csv:2: valid_to: 2025-02-28 is before");
	BAD("A,Sở A,so,,2025-02-28,Z\n", "a.csv:2: successor_code: no agency Z");
	BAD("A,Sở A,so,,,B\n", "a.csv:2: successor_code: an agency with a successor has ended");
	BAD("A,Sở A,so,,,\nA,Sở B,so,,,\n", "a.csv:3: code: A is also on line 2");
	refused(f, "code,name\nA,Sở A\n", "a.csv:1: no column kind");
	refused(f, "", "empty");
	/* a good file after all the bad ones: loaded; its successor in the file itself */
	write_csv(f, "code,name,kind,valid_from,valid_to,successor_code\n"
	             "OLD,Sở Cũ,so,,2025-02-28,NEW\nNEW,Sở Mới,so,2025-03-01,,\n");
	assert_int_equal(hl_agency_load(NULL, f->st, f->csv, "test"), 0);
	found_as(f->st, "so cu", "2025-01-01", "OLD");
#undef BAD
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_real_register, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_find, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
