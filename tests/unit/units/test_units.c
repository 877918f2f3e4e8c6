/* Tests of the units module on the real shipped data: counts the data itself states, names with
 * and without tones, history on dates, change sets, and bad input that must load nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"
#include "halong/units.h"
#include "halong/util.h"

#define DATA HL_SOURCE_DATADIR "/units"

typedef struct {
	char dir[64];
	char *path;
	hl_store *st;
} fx;

static fx shared; /* one store with the shipped data, loaded once for the read-only tests */

static int open_store(fx *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/hl-units-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->path = hl_path_join(f->dir, "halong.db");
	return hl_store_open(&f->st, f->path, 1);
}

static void close_store(fx *f)
{
	char cmd[128];
	hl_store_free(f->st);
	free(f->path);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
}

static int group_setup(void **state)
{
	hl_units_load_stats s;
	if (open_store(&shared) < 0 || hl_units_load(&s, shared.st, DATA, NULL, NULL, NULL) < 0) {
		fprintf(stderr, "setup: %s\n", hl_error_last());
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	close_store(&shared);
	return 0;
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	if (!f || open_store(f) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	close_store(*state);
	free(*state);
	return 0;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char *p = hl_path_join(dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

/* A change-set folder: the shipped events.csv plus `extra` lines, and an optional mapping. */
static char *change_set(fx *f, const char *name, const char *extra, const char *mapping)
{
	char *dir = hl_path_join(f->dir, name), cmd[512];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s && cp %s/events.csv %s/", dir, DATA, dir);
	assert_int_equal(system(cmd), 0);
	if (extra) {
		char *p = hl_path_join(dir, "events.csv");
		FILE *fp = fopen(p, "a");
		assert_non_null(fp);
		fputs(extra, fp);
		fclose(fp);
		free(p);
	}
	if (mapping)
		write_file(dir, "quangninh_mapping_old_to_new.csv", mapping);
	return dir;
}

static int is_commune(hl_unit_type t)
{
	return t == HL_UNIT_XA || t == HL_UNIT_PHUONG || t == HL_UNIT_THI_TRAN ||
	       t == HL_UNIT_DAC_KHU;
}

static int is_district(hl_unit_type t)
{
	return t == HL_UNIT_HUYEN || t == HL_UNIT_QUAN || t == HL_UNIT_THI_XA ||
	       t == HL_UNIT_THANH_PHO_TINH;
}

static void count_tree(hl_store *st, const char *code, const char *date, size_t *districts,
                       size_t *communes)
{
	hl_units *t = NULL;
	assert_int_equal(hl_units_tree(&t, st, code, date), 0);
	*districts = *communes = 0;
	for (size_t i = 0; i < t->n; i++) {
		*districts += is_district(t->v[i].type);
		*communes += is_commune(t->v[i].type);
	}
	hl_units_free(t);
}

static void test_quang_ninh_before_and_after(void **state)
{
	size_t d, c;
	count_tree(shared.st, "22", "2025-06-30", &d, &c);
	assert_int_equal(d, 13);
	assert_int_equal(c, 171);
	count_tree(shared.st, "22", "2025-07-01", &d, &c);
	assert_int_equal(d, 0);
	assert_int_equal(c, 54);
	/* dd/mm/yyyy is the same day */
	count_tree(shared.st, "22", "30/06/2025", &d, &c);
	assert_int_equal(c, 171);
}

static void test_mapping_184_rows_12_split(void **state)
{
	hl_units *t = NULL;
	size_t rows = 0, split = 0, old = 0;
	assert_int_equal(hl_units_tree(&t, shared.st, "22", "2025-06-30"), 0);
	for (size_t i = 0; i < t->n; i++) {
		hl_unit *u = NULL;
		if (!is_commune(t->v[i].type))
			continue;
		old++;
		assert_int_equal(hl_units_show(&u, shared.st, t->v[i].code, "2025-06-30"), 0);
		/* every old commune has at least one successor, in Quảng Ninh */
		assert_true(u->next.n >= 1);
		for (size_t k = 0; k < u->next.n; k++) {
			hl_unit *n = NULL;
			assert_string_equal(u->next.v[k].effective_date, "2025-07-01");
			assert_int_equal(
			    hl_units_show(&n, shared.st, u->next.v[k].new_code, "2025-07-01"), 0);
			assert_string_equal(n->parent_code, "22");
			hl_unit_free(n);
		}
		rows += u->next.n;
		split += u->next.n > 1;
		if (u->next.n > 1)
			for (size_t k = 0; k < u->next.n; k++)
				assert_int_equal(u->next.v[k].kind, HL_SUCC_MERGE_PART);
		hl_unit_free(u);
	}
	hl_units_free(t);
	assert_int_equal(old, 171);
	assert_int_equal(rows, 184);
	assert_int_equal(split, 12);
}

static void test_quang_ninh_becomes_a_city(void **state)
{
	hl_unit *u = NULL;
	assert_int_equal(hl_units_show(&u, shared.st, "22", "2026-08-31"), 0);
	assert_int_equal(u->type, HL_UNIT_TINH);
	assert_string_equal(u->full_name, "Tỉnh Quảng Ninh");
	assert_string_equal(u->valid_to, "2026-08-31");
	assert_int_equal(u->next.n, 1);
	assert_int_equal(u->next.v[0].kind, HL_SUCC_RECLASSIFY);
	hl_unit_free(u);
	assert_int_equal(hl_units_show(&u, shared.st, "22", "2026-09-01"), 0);
	assert_int_equal(u->type, HL_UNIT_THANH_PHO_TW);
	assert_string_equal(u->full_name, "Thành phố Quảng Ninh");
	assert_string_equal(u->legal_basis, "Nghị quyết 36/2026/QH16");
	hl_unit_free(u);
	/* before the reform too, a tỉnh, with its 13 districts */
	assert_int_equal(hl_units_show(&u, shared.st, "22", "2025-06-30"), 0);
	assert_int_equal(u->type, HL_UNIT_TINH);
	hl_unit_free(u);
}

static void test_national_34_and_3321(void **state)
{
	hl_units *t = NULL;
	size_t provinces = 0, communes = 0, cities = 0;
	assert_int_equal(hl_units_tree(&t, shared.st, NULL, "2026-09-01"), 0);
	for (size_t i = 0; i < t->n; i++) {
		provinces += t->v[i].depth == 0;
		cities += t->v[i].type == HL_UNIT_THANH_PHO_TW;
		communes += t->v[i].depth == 1 && is_commune(t->v[i].type);
	}
	assert_int_equal(provinces, 34);
	assert_int_equal(communes, 3321);
	assert_int_equal(cities, 9);
	assert_int_equal(t->n, 34 + 3321);
	hl_units_free(t);
}

static void test_code_keeps_its_history(void **state)
{
	hl_unit *u = NULL;
	assert_int_equal(hl_units_show(&u, shared.st, "06652", "2025-06-30"), 0);
	assert_string_equal(u->full_name, "Phường Hà Phong");
	assert_string_equal(u->name, "Hà Phong");
	assert_int_equal(u->type, HL_UNIT_PHUONG);
	assert_string_equal(u->parent_code, "193");
	assert_string_equal(u->parent_name, "Thành phố Hạ Long");
	assert_string_equal(u->next.v[0].new_name, "Phường Hà Tu");
	assert_string_equal(u->next.v[0].merge_type, "Nhập toàn bộ");
	hl_unit_free(u);
	assert_int_equal(hl_units_show(&u, shared.st, "06652", "2025-07-01"), 0);
	assert_string_equal(u->full_name, "Phường Hà Tu");
	assert_string_equal(u->legal_basis, "Nghị quyết 1679/NQ-UBTVQH15 (16/06/2025)");
	/* formed from the old Hà Phong and the old Hà Tu */
	assert_int_equal(u->prev.n, 2);
	assert_string_equal(u->prev.v[0].old_code, "06652");
	assert_string_equal(u->prev.v[1].old_code, "06664");
	assert_string_equal(u->prev.v[1].old_name, "Phường Hà Tu");
	hl_unit_free(u);
	/* the district, and its type from its name */
	assert_int_equal(hl_units_show(&u, shared.st, "206", "2025-06-30"), 0);
	assert_string_equal(u->full_name, "Thị xã Quảng Yên");
	assert_int_equal(u->type, HL_UNIT_THI_XA);
	hl_unit_free(u);
}

static void test_find_with_and_without_tones(void **state)
{
	const char *queries[] = {"ha phong", "Hà Phong", "HA PHONG", "phường hà phong"};
	for (size_t q = 0; q < 4; q++) {
		hl_units *l = NULL;
		assert_int_equal(hl_units_find(&l, shared.st, queries[q], NULL, 0), 0);
		assert_true(l->n >= 1);
		assert_string_equal(l->v[0].code, "06652");
		assert_string_equal(l->v[0].full_name, "Phường Hà Phong");
		assert_string_equal(l->v[0].parent_name, "Thành phố Hạ Long");
		assert_string_equal(l->v[0].valid_to, "2025-06-30");
		assert_int_equal(l->v[0].next.n, 1);
		assert_string_equal(l->v[0].next.v[0].new_name, "Phường Hà Tu");
		hl_units_free(l);
	}
	/* whole words only: "ha pho" is not "Hà Phong" */
	hl_units *l = NULL;
	assert_int_equal(hl_units_find(&l, shared.st, "ha pho", NULL, 0), 0);
	for (size_t i = 0; i < l->n; i++)
		assert_string_not_equal(l->v[i].full_name, "Phường Hà Phong");
	hl_units_free(l);
	/* on a date after the reform the old name is gone */
	assert_int_equal(hl_units_find(&l, shared.st, "ha phong", "2025-07-01", 0), 0);
	assert_int_equal(l->n, 0);
	hl_units_free(l);
	/* one name for a parent wherever the same version is listed: without a day, as on the
	 * version's latest day (today for 06652 since 2025-07-01: 22 has been a city since
	 * 2026-09-01), as `show` gives it; on a day, as on that day */
	hl_unit *u = NULL;
	assert_int_equal(hl_units_show(&u, shared.st, "06652", NULL), 0);
	assert_int_equal(hl_units_find(&l, shared.st, "ha tu", NULL, 0), 0);
	size_t i = 0;
	while (i < l->n && strcmp(l->v[i].code, "06652"))
		i++;
	assert_true(i < l->n);
	assert_string_equal(l->v[i].parent_name, "Thành phố Quảng Ninh");
	assert_string_equal(l->v[i].parent_name, u->parent_name);
	hl_units_free(l);
	hl_unit_free(u);
	assert_int_equal(hl_units_find(&l, shared.st, "ha tu", "2025-07-01", 0), 0);
	assert_true(l->n >= 1);
	assert_string_equal(l->v[0].parent_name, "Tỉnh Quảng Ninh");
	hl_units_free(l);
}

static void test_find_hoa_old_and_new_tone_placement(void **state)
{
	/* The sources write "Hải Hoà" and "Hải Hòa" for the same units: both find the same set. */
	hl_units *a = NULL, *b = NULL, *c = NULL;
	int quang_ninh = 0;
	assert_int_equal(hl_units_find(&a, shared.st, "Hải Hoà", NULL, 0), 0);
	assert_int_equal(hl_units_find(&b, shared.st, "Hải Hòa", NULL, 0), 0);
	assert_int_equal(hl_units_find(&c, shared.st, "hai hoa", NULL, 0), 0);
	assert_int_equal(a->n, b->n);
	assert_int_equal(a->n, c->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_string_equal(a->v[i].code, b->v[i].code);
		assert_string_equal(a->v[i].valid_from, c->v[i].valid_from);
		quang_ninh += !strcmp(a->v[i].code, "06742") || !strcmp(a->v[i].code, "06799");
	}
	assert_true(quang_ninh >= 3); /* old Phường Hải Hoà, old and new Xã Hải Hòa/Hoà */
	hl_units_free(a), hl_units_free(b), hl_units_free(c);
}

static void test_successors_and_predecessors(void **state)
{
	hl_successions *l = NULL;
	assert_int_equal(hl_units_successors(&l, shared.st, "06664"), 0);
	assert_int_equal(l->n, 1);
	assert_string_equal(l->v[0].new_code, "06652");
	assert_string_equal(l->v[0].new_name, "Phường Hà Tu");
	assert_int_equal(l->v[0].kind, HL_SUCC_MERGE_WHOLE);
	hl_successions_free(l);
	/* a district: abolished with the district level */
	assert_int_equal(hl_units_successors(&l, shared.st, "193"), 0);
	assert_int_equal(l->n, 1);
	assert_int_equal(l->v[0].kind, HL_SUCC_ABOLISH);
	assert_string_equal(l->v[0].legal_basis, "Luật 72/2025/QH15");
	hl_successions_free(l);
	assert_int_equal(hl_units_predecessors(&l, shared.st, "06652"), 0);
	assert_int_equal(l->n, 2);
	hl_successions_free(l);
	assert_int_equal(hl_units_successors(&l, shared.st, "99999"), HL_ENOTFOUND);
	assert_non_null(strstr(hl_error_last(), "99999"));
}

static void test_unknown_code_and_dates(void **state)
{
	hl_unit *u = NULL;
	char d[11];
	assert_int_equal(hl_units_show(&u, shared.st, "99999", "2025-07-01"), HL_ENOTFOUND);
	assert_non_null(strstr(hl_error_last(), "unknown unit code 99999"));
	assert_int_equal(hl_units_show(&u, shared.st, "06652", "2019-01-01"), HL_ENOTFOUND);
	assert_non_null(strstr(hl_error_last(), "before any data"));
	assert_int_equal(hl_units_show(&u, shared.st, "06664", "2025-07-01"), HL_ENOTFOUND);
	assert_non_null(strstr(hl_error_last(), "did not exist on 2025-07-01"));
	assert_int_equal(hl_units_show(&u, shared.st, "06652", "31/02/2025"), HL_EINVALID);
	assert_null(u);
	assert_int_equal(hl_units_date_parse(d, "01/09/2026"), 0);
	assert_string_equal(d, "2026-09-01");
	assert_int_equal(hl_units_date_parse(d, "2024-02-29"), 0);
	assert_int_equal(hl_units_date_parse(d, "2025-02-29"), HL_EINVALID);
	assert_int_equal(hl_units_date_parse(d, "2025-7-1"), HL_EINVALID);
	assert_int_equal(hl_units_date_parse(d, ""), HL_EINVALID);
	hl_units *t = NULL;
	assert_int_equal(hl_units_tree(&t, shared.st, NULL, "2024-12-31"), HL_ENOTFOUND);
	assert_non_null(strstr(hl_error_last(), "before any data"));
}

static void test_load_is_idempotent(void **state)
{
	fx *f = *state;
	hl_units_load_stats a, b;
	assert_int_equal(hl_units_load(&a, f->st, DATA, NULL, NULL, NULL), 0);
	assert_true(a.versions_added > 14000);
	assert_int_equal(a.events_added, 4);
	assert_int_equal(hl_units_load(&b, f->st, DATA, NULL, NULL, NULL), 0);
	assert_int_equal(b.versions_added, 0);
	assert_int_equal(b.versions_split, 0);
	assert_int_equal(b.successions_added, 0);
	assert_int_equal(b.events_added, 0);
	assert_int_equal(b.versions, a.versions);
	assert_int_equal(b.successions, a.successions);
}

static void test_change_set_adds_an_event(void **state)
{
	fx *f = *state;
	hl_units_load_stats s;
	hl_unit *u = NULL;
	char *dir = change_set(f, "cs",
	                       "qn-2027-rename,01/01/2027,Nghị quyết 99/2027/NQ-UBTVQH16,"
	                       "renamed,06652,Phường Hà Tu → Phường Hà Phong\n",
	                       NULL);
	assert_int_equal(hl_units_load(&s, f->st, DATA, NULL, NULL, NULL), 0);
	assert_int_equal(hl_units_load(&s, f->st, dir, NULL, NULL, NULL), 0);
	assert_int_equal(s.events_added, 1);
	assert_int_equal(s.versions_split, 1);
	assert_int_equal(hl_units_show(&u, f->st, "06652", "2027-01-01"), 0);
	assert_string_equal(u->full_name, "Phường Hà Phong");
	assert_string_equal(u->legal_basis, "Nghị quyết 99/2027/NQ-UBTVQH16");
	hl_unit_free(u);
	/* history is kept: the same code on each earlier date */
	assert_int_equal(hl_units_show(&u, f->st, "06652", "2026-12-31"), 0);
	assert_string_equal(u->full_name, "Phường Hà Tu");
	assert_string_equal(u->valid_to, "2026-12-31");
	hl_unit_free(u);
	assert_int_equal(hl_units_show(&u, f->st, "06652", "2025-06-30"), 0);
	assert_string_equal(u->full_name, "Phường Hà Phong");
	hl_unit_free(u);
	/* again: nothing changes */
	assert_int_equal(hl_units_load(&s, f->st, dir, NULL, NULL, NULL), 0);
	assert_int_equal(s.events_added + s.versions_added + s.versions_split, 0);
	/* a known event with another content is refused */
	char *dir2 = change_set(f, "cs2",
	                        "qn-2027-rename,2027-02-01,Nghị quyết 99/2027/NQ-UBTVQH16,"
	                        "renamed,06652,Phường Hà Tu → Phường Hà Phong\n",
	                        NULL);
	assert_int_equal(hl_units_load(&s, f->st, dir2, NULL, NULL, NULL), HL_ECONFLICT);
	assert_non_null(strstr(hl_error_last(), "events.csv:6"));
	free(dir), free(dir2);
}

static int64_t nversions(hl_store *st)
{
	hl_units_load_stats s;
	/* an empty change set (events only, all known) reports the totals */
	assert_int_equal(hl_units_load(&s, st, DATA "/../units", NULL, NULL, NULL), 0);
	return s.versions;
}

static void test_bad_change_sets_load_nothing(void **state)
{
	fx *f = *state;
	hl_units_load_stats s;
	hl_unit *u = NULL;
	const char *rename = "qn-2027-rename,2027-01-01,NQ 99/2027,renamed,06652,"
	                     "Phường Hà Tu → Phường Hà Phong\n";
	assert_int_equal(hl_units_load(&s, f->st, DATA, NULL, NULL, NULL), 0);
	int64_t before = s.versions, events = s.events;

	/* a mapping row naming a unit that does not exist */
	char *d1 = change_set(f, "unknown", rename,
	                      "old_code,old_province_code,new_code,merge_type,effective_date\n"
	                      "06652,22,06658,Nhập một phần,2027-01-01\n"
	                      "06652,22,99999,Nhập một phần,2027-01-01\n");
	assert_int_equal(hl_units_load(&s, f->st, d1, NULL, NULL, NULL), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(),
	                       "quangninh_mapping_old_to_new.csv:3: new unit 99999 "
	                       "does not exist on 2027-01-01"));
	/* a cycle in succession: two units, each giving a part to the other on the same day */
	char *d2 = change_set(f, "cycle", rename,
	                      "old_code,old_province_code,new_code,merge_type,effective_date\n"
	                      "06658,22,06661,Nhập một phần,2026-10-01\n"
	                      "06661,22,06658,Nhập một phần,2026-10-01\n");
	assert_int_equal(hl_units_load(&s, f->st, d2, NULL, NULL, NULL), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "a cycle in succession"));
	assert_non_null(strstr(hl_error_last(), "quangninh_mapping_old_to_new.csv:"));
	/* a bad date */
	char *d3 = change_set(f, "date", "qn-2027-x,30/02/2027,NQ,renamed,06652,A → B\n", NULL);
	assert_int_equal(hl_units_load(&s, f->st, d3, NULL, NULL, NULL), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "events.csv:6"));
	assert_non_null(strstr(hl_error_last(), "no such day"));
	/* an event naming a unit by a name it does not have */
	char *d4 =
	    change_set(f, "name", "qn-2027-x,2027-01-01,NQ,renamed,06652,Xã A → Xã B\n", NULL);
	assert_int_equal(hl_units_load(&s, f->st, d4, NULL, NULL, NULL), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "neither"));

	/* a mapping row after an event of the same folder abolished its old unit: the row is
	 * read before the events are applied, so it is the check after them that refuses it
	 * (fuzz_units found the folder loading once and refused the second time) */
	char *d5 = change_set(f, "abolished", "qn-2027-abolish,2027-01-01,NQ,abolished,06658,\n",
	                      "old_code,old_province_code,new_code,merge_type,effective_date\n"
	                      "06658,22,06652,Nhập một phần,2027-02-01\n");
	assert_int_equal(hl_units_load(&s, f->st, d5, NULL, NULL, NULL), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(),
	                       "quangninh_mapping_old_to_new.csv:2: old unit 06658 "
	                       "does not exist on 2027-01-31"));

	/* none of them left anything: the rename in each was rolled back with the bad row */
	assert_int_equal(hl_units_show(&u, f->st, "06652", "2027-06-01"), 0);
	assert_string_equal(u->full_name, "Phường Hà Tu");
	assert_string_equal(u->valid_to, "");
	hl_unit_free(u);
	assert_int_equal(nversions(f->st), before);
	assert_int_equal(hl_units_load(&s, f->st, DATA, NULL, NULL, NULL), 0);
	assert_int_equal(s.events, events);
	free(d1), free(d2), free(d3), free(d4), free(d5);
}

static void test_corrupt_copy_loads_nothing(void **state)
{
	fx *f = *state;
	hl_units_load_stats s;
	hl_units *t = NULL;
	char cmd[512];
	/* a whole copy of the data with one mapping row pointing at an unknown old unit */
	snprintf(cmd, sizeof(cmd),
	         "cp -r %s %s/copy && chmod -R u+w %s/copy && sed -i '100s/^[0-9]*,/88888,/' "
	         "%s/copy/quangninh_mapping_old_to_new.csv",
	         DATA, f->dir, f->dir, f->dir);
	assert_int_equal(system(cmd), 0);
	char *copy = hl_path_join(f->dir, "copy");
	assert_int_equal(hl_units_load(&s, f->st, copy, NULL, NULL, NULL), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "quangninh_mapping_old_to_new.csv:100: old unit "
	                                        "88888 does not exist on 2025-06-30"));
	assert_int_equal(hl_units_tree(&t, f->st, NULL, "2025-07-01"), HL_ENOTFOUND);
	assert_non_null(strstr(hl_error_last(), "no units loaded"));
	/* a missing events.csv is an error too */
	snprintf(cmd, sizeof(cmd), "rm %s/copy/events.csv", f->dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(hl_units_load(&s, f->st, copy, NULL, NULL, NULL), HL_ENOTFOUND);
	assert_non_null(strstr(hl_error_last(), "events.csv"));
	free(copy);
}

static void test_names_and_kinds(void **state)
{
	assert_string_equal(hl_unit_type_name(HL_UNIT_THANH_PHO_TW),
	                    "thành phố trực thuộc trung ương");
	assert_int_equal(hl_unit_type_from_key("dac_khu"), HL_UNIT_DAC_KHU);
	assert_int_equal(hl_unit_type_from_key("nope"), HL_UNIT_UNKNOWN);
	assert_string_equal(hl_succ_kind_name(HL_SUCC_MERGE_PART), "merge_part");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_quang_ninh_before_and_after),
	    cmocka_unit_test(test_mapping_184_rows_12_split),
	    cmocka_unit_test(test_quang_ninh_becomes_a_city),
	    cmocka_unit_test(test_national_34_and_3321),
	    cmocka_unit_test(test_code_keeps_its_history),
	    cmocka_unit_test(test_find_with_and_without_tones),
	    cmocka_unit_test(test_find_hoa_old_and_new_tone_placement),
	    cmocka_unit_test(test_successors_and_predecessors),
	    cmocka_unit_test(test_unknown_code_and_dates),
	    cmocka_unit_test(test_names_and_kinds),
	    cmocka_unit_test_setup_teardown(test_load_is_idempotent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_change_set_adds_an_event, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_change_sets_load_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_copy_loads_nothing, setup, teardown),
	};
	return cmocka_run_group_tests_name("units", tests, group_setup, group_teardown);
}
