/* Tests of custody on the real shipped units of Quảng Ninh: a fonds of a commune merged whole,
 * of one that was split, of an abolished district, a reused code, decisions and their history,
 * the hand-over receipt, and bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"
#include "store/store_units.h"
#include "halong/units.h"
#include "halong/util.h"

#define DATA HL_SOURCE_DATADIR "/units"

typedef struct {
	char dir[64];
	char *path;
	hl_store *st;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	hl_units_load_stats s;
	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/hl-custody-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->path = hl_path_join(f->dir, "halong.db");
	if (hl_store_open(&f->st, f->path, 1) < 0 ||
	    hl_units_load(&s, f->st, DATA, NULL, NULL, NULL) < 0) {
		fprintf(stderr, "setup: %s\n", hl_error_last());
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	char cmd[128];
	hl_store_free(f->st);
	free(f->path);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

/* A document of fonds/dossier with a subject. */
static void put_doc(hl_store *st, const char *fonds, const char *dossier, int ordinal,
                    const char *subject, hl_access access)
{
	char id[64];
	int status;
	snprintf(id, sizeof(id), "%s-%s-%d", fonds, dossier, ordinal);
	hl_doc d = {.doc_id = id,
	            .fonds_code = (char *)fonds,
	            .dossier_code = (char *)dossier,
	            .ordinal = ordinal,
	            .subject = (char *)subject,
	            .page_count = 2,
	            .access = access};
	assert_int_equal(hl_store_begin(st), 0);
	assert_int_equal(hl_store_doc_put(&status, st, &d, "test"), 0);
	assert_int_equal(hl_store_commit(st), 0);
}

static int has_fonds(const hl_custodies *l, const char *code)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].fonds_code, code))
			return 1;
	return 0;
}

/* Old Phường Hà Tu (06664) merged whole into the new Phường Hà Tu (06652) on 2025-07-01. */
static void test_whole_merge(void **state)
{
	fx *f = *state;
	hl_custody *c = NULL;
	hl_custodies *l = NULL;

	put_doc(f->st, "HATU-CU", "HS01", 1, "Báo cáo tình hình kinh tế xã hội năm 2024",
	        HL_ACCESS_PUBLIC);
	assert_int_equal(hl_custody_set_creator(f->st, "HATU-CU", "06664", NULL,
	                                        "UBND phường Hà Tu (cũ)", "test"),
	                 0);
	assert_int_equal(hl_custody_get(&c, f->st, "HATU-CU", "2025-06-30"), 0);
	assert_int_equal(c->state, HL_CUSTODY_HELD);
	assert_string_equal(c->custodian_code, "06664");
	assert_string_equal(c->creator_name, "Phường Hà Tu");
	assert_int_equal(c->nsteps, 0);
	assert_null(c->received);
	assert_int_equal(c->documents, 1);
	hl_custody_free(c);

	assert_int_equal(hl_custody_get(&c, f->st, "HATU-CU", "2025-07-01"), 0);
	assert_int_equal(c->state, HL_CUSTODY_HELD);
	assert_string_equal(c->custodian_code, "06652");
	assert_string_equal(c->custodian_name, "Phường Hà Tu");
	assert_int_equal(c->nsteps, 1);
	assert_string_equal(c->steps[0].how, "merge_whole");
	assert_string_equal(c->steps[0].from_code, "06664");
	assert_non_null(strstr(c->steps[0].basis, "1679/NQ-UBTVQH15"));
	assert_ptr_equal(c->received, &c->steps[0]);
	hl_custody_free(c);

	assert_int_equal(hl_custody_held_by(&l, f->st, "06652", "2025-07-01"), 0);
	assert_true(has_fonds(l, "HATU-CU"));
	hl_custodies_free(l);
	assert_int_equal(hl_custody_held_by(&l, f->st, "06664", "2025-06-30"), 0);
	assert_true(has_fonds(l, "HATU-CU"));
	hl_custodies_free(l);
	/* the day after, the old code holds nothing: it ended */
	assert_int_equal(hl_custody_held_by(&l, f->st, "06664", "2025-07-01"), 0);
	assert_false(has_fonds(l, "HATU-CU"));
	hl_custodies_free(l);
}

/* 06652 is Phường Hà Phong until 2025-06-30 and Phường Hà Tu after: the creator's date says
 * which one made the fonds. */
static void test_reused_code(void **state)
{
	fx *f = *state;
	hl_custody *c = NULL;

	assert_int_equal(hl_custody_set_creator(f->st, "HAPHONG", "06652", NULL, NULL, "test"), 0);
	assert_int_equal(hl_custody_get(&c, f->st, "HAPHONG", "2026-01-01"), 0);
	assert_string_equal(c->creator_name, "Phường Hà Phong");
	assert_string_equal(c->custodian_name, "Phường Hà Tu");
	assert_non_null(c->received); /* handed over by the merge, though the code is the same */
	hl_custody_free(c);

	assert_int_equal(
	    hl_custody_set_creator(f->st, "HATU-MOI", "06652", "01/08/2025", NULL, "test"), 0);
	assert_int_equal(hl_custody_get(&c, f->st, "HATU-MOI", "2026-01-01"), 0);
	assert_string_equal(c->creator_name, "Phường Hà Tu");
	assert_string_equal(c->creator_on, "2025-08-01");
	assert_int_equal(c->nsteps, 0);
	assert_null(c->received);
	hl_custody_free(c);
}

/* Phường Hà Khẩu (06655) was split between Việt Hưng (06661) and Tuần Châu (06706). */
static void test_split_needs_decision(void **state)
{
	fx *f = *state;
	hl_custody *c = NULL;
	hl_custodies *l = NULL;
	int n = 0;

	put_doc(f->st, "HAKHAU", "HS01", 1, "Kế hoạch phòng chống lụt bão", HL_ACCESS_PUBLIC);
	assert_int_equal(hl_custody_set_creator(f->st, "HAKHAU", "06655", NULL, NULL, "test"), 0);
	assert_int_equal(hl_custody_get(&c, f->st, "HAKHAU", "2025-07-01"), 0);
	assert_int_equal(c->state, HL_CUSTODY_PENDING);
	assert_null(c->custodian_code);
	assert_int_equal(c->nsteps, 1);
	assert_string_equal(c->steps[0].how, "pending");
	assert_int_equal(c->steps[0].options.n, 2);
	assert_string_equal(c->steps[0].options.v[0].new_code, "06661");
	assert_string_equal(c->steps[0].options.v[1].new_code, "06706");
	assert_int_equal(c->steps[0].options.v[0].kind, HL_SUCC_MERGE_PART);
	hl_custody_free(c);

	assert_int_equal(hl_custody_pending(&l, f->st), 0);
	assert_true(has_fonds(l, "HAKHAU"));
	hl_custodies_free(l);
	assert_int_equal(hl_custody_held_by(&l, f->st, "06661", NULL), 0);
	assert_false(has_fonds(l, "HAKHAU"));
	hl_custodies_free(l);

	/* a unit that is not a successor is refused, naming the successors */
	assert_int_equal(hl_custody_assign(f->st, "HAKHAU", "06652", NULL, NULL, NULL, "test"),
	                 HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "06661, 06706"));
	assert_int_equal(hl_custody_assign(f->st, "HAKHAU", "06706", NULL, NULL,
	                                   "Biên bản họp ngày 20/06/2025", "test"),
	                 0);
	assert_int_equal(hl_custody_get(&c, f->st, "HAKHAU", NULL), 0);
	assert_int_equal(c->state, HL_CUSTODY_HELD);
	assert_string_equal(c->custodian_code, "06706");
	assert_string_equal(c->steps[0].how, "decision");
	assert_string_equal(c->steps[0].basis, "Biên bản họp ngày 20/06/2025");
	hl_custody_free(c);
	/* nothing left to decide: a second assign without a step says so */
	assert_int_equal(hl_custody_assign(f->st, "HAKHAU", "06661", NULL, NULL, NULL, "test"),
	                 HL_ENOTFOUND);
	/* a correction names the step; the earlier decision stays in the history */
	assert_int_equal(
	    hl_custody_assign(f->st, "HAKHAU", "06661", "06655", "2025-07-01", NULL, "test"), 0);
	assert_int_equal(hl_custody_held_by(&l, f->st, "06661", NULL), 0);
	assert_true(has_fonds(l, "HAKHAU"));
	hl_custodies_free(l);
	assert_int_equal(hl_custody_held_by(&l, f->st, "06706", NULL), 0);
	assert_false(has_fonds(l, "HAKHAU"));
	hl_custodies_free(l);
	(void)n;
}

static int count_decision(const hl_store_custody_row *r, void *ud)
{
	(*(int *)ud)++;
	return 0;
}

static void test_decision_history_kept(void **state)
{
	fx *f = *state;
	int n = 0;
	assert_int_equal(hl_custody_set_creator(f->st, "DONGLAM", "07042", NULL, NULL, "test"), 0);
	assert_int_equal(hl_custody_assign(f->st, "DONGLAM", "07030", NULL, NULL, NULL, "test"), 0);
	assert_int_equal(
	    hl_custody_assign(f->st, "DONGLAM", "07060", "07042", "2025-07-01", NULL, "test"), 0);
	assert_int_equal(hl_store_custody_history(f->st, "DONGLAM", count_decision, &n), 0);
	assert_int_equal(n, 2);
	/* a step the fonds never passes through */
	assert_int_equal(
	    hl_custody_assign(f->st, "DONGLAM", "07060", "06655", "2025-07-01", NULL, "test"),
	    HL_ENOTFOUND);
}

/* Thành phố Hạ Long (193) was abolished with the district level; Quảng Ninh (22) became a
 * thành phố trực thuộc trung ương on 2026-09-01, which is not a hand-over. */
static void test_abolished_district(void **state)
{
	fx *f = *state;
	hl_custody *c = NULL;
	hl_receipt *r = NULL;

	put_doc(f->st, "TPHL", "HS01", 1, "Nghị quyết Hội đồng nhân dân thành phố",
	        HL_ACCESS_INTERNAL);
	put_doc(f->st, "TPHL", "HS01", 2, "Quyết định phê duyệt quy hoạch", HL_ACCESS_SECRET);
	assert_int_equal(hl_custody_set_creator(f->st, "TPHL", "193", NULL, NULL, "test"), 0);
	assert_int_equal(hl_custody_get(&c, f->st, "TPHL", NULL), 0);
	assert_int_equal(c->state, HL_CUSTODY_PENDING);
	assert_string_equal(c->steps[0].suggest_code, "22");
	hl_custody_free(c);
	/* after an abolition any unit valid that day may receive; one that was not is refused */
	assert_int_equal(hl_custody_assign(f->st, "TPHL", "06664", NULL, NULL, NULL, "test"),
	                 HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "did not exist on 2025-07-01"));
	assert_int_equal(hl_custody_assign(f->st, "TPHL", "22", NULL, NULL, NULL, "test"), 0);

	assert_int_equal(hl_custody_get(&c, f->st, "TPHL", "2026-09-01"), 0);
	assert_string_equal(c->custodian_name, "Thành phố Quảng Ninh");
	assert_int_equal(c->nsteps, 2);
	assert_string_equal(c->steps[1].how, "reclassify");
	assert_ptr_equal(c->received, &c->steps[0]);
	hl_custody_free(c);
	assert_int_equal(hl_custody_get(&c, f->st, "TPHL", "2026-08-31"), 0);
	assert_string_equal(c->custodian_name, "Tỉnh Quảng Ninh");
	hl_custody_free(c);

	assert_int_equal(hl_custody_receipt(&r, f->st, "22", NULL, "2026-10-01"), 0);
	assert_int_equal(r->n, 1);
	assert_string_equal(r->v[0].from_code, "193"); /* not 22, which was only reclassified */
	assert_string_equal(r->v[0].from_name, "Thành phố Hạ Long");
	assert_int_equal(r->v[0].documents, 2);
	assert_int_equal(r->v[0].pages, 4);
	assert_int_equal(r->v[0].max_access, HL_ACCESS_SECRET);
	hl_receipt_free(r);
}

static void test_receipt_digest(void **state)
{
	fx *f = *state;
	hl_receipt *r = NULL, *again = NULL;
	char digest[65], dossier[65];

	put_doc(f->st, "HATU-CU", "HS01", 1, "Báo cáo tình hình kinh tế xã hội năm 2024",
	        HL_ACCESS_PUBLIC);
	put_doc(f->st, "HATU-CU", "HS02", 1, "Tờ trình về ngân sách", HL_ACCESS_PUBLIC);
	assert_int_equal(hl_custody_set_creator(f->st, "HATU-CU", "06664", NULL, NULL, "test"), 0);
	assert_int_equal(hl_custody_set_creator(f->st, "HAPHONG", "06652", NULL, NULL, "test"), 0);
	put_doc(f->st, "HAPHONG", "HS01", 1, "Công văn về đất đai", HL_ACCESS_INTERNAL);

	assert_int_equal(hl_custody_receipt(&r, f->st, "06652", NULL, "2025-07-01"), 0);
	assert_int_equal(r->nfonds, 2);
	assert_int_equal(r->n, 3);
	assert_int_equal(r->documents, 3);
	assert_string_equal(r->to_name, "Phường Hà Tu");
	memcpy(digest, r->digest, sizeof(digest));
	memcpy(dossier, r->v[0].digest, sizeof(dossier));
	hl_receipt_free(r);

	/* only what came from the old Phường Hà Tu */
	assert_int_equal(hl_custody_receipt(&r, f->st, "06652", "06664", "2025-07-01"), 0);
	assert_int_equal(r->nfonds, 1);
	assert_int_equal(r->n, 2);
	assert_string_equal(r->v[0].fonds_code, "HATU-CU");
	hl_receipt_free(r);

	/* the same records give the same digests; a changed document changes both */
	assert_int_equal(hl_custody_receipt(&again, f->st, "06652", NULL, "2025-07-01"), 0);
	assert_string_equal(again->digest, digest);
	hl_receipt_free(again);
	put_doc(f->st, "HAPHONG", "HS01", 1, "Công văn về đất đai (bản sửa)", HL_ACCESS_INTERNAL);
	assert_int_equal(hl_custody_receipt(&again, f->st, "06652", NULL, "2025-07-01"), 0);
	assert_string_not_equal(again->digest, digest);
	assert_string_equal(again->v[0].fonds_code, "HAPHONG");
	assert_string_not_equal(again->v[0].digest, dossier);
	hl_receipt_free(again);

	/* before the reform 06652 received nothing */
	assert_int_equal(hl_custody_receipt(&r, f->st, "06652", NULL, "2025-06-30"), 0);
	assert_int_equal(r->n, 0);
	hl_receipt_free(r);
}

/* The receipt's digest covers every dossier's digest whole, however long its code: a dossier
 * code of 500 bytes once pushed the dossier digest out of the hashed line. */
static void test_receipt_digest_long_dossier_code(void **state)
{
	fx *f = *state;
	hl_receipt *r = NULL;
	char code[501], digest[65];
	memset(code, 'H', 500);
	code[500] = 0;

	assert_int_equal(hl_custody_set_creator(f->st, "HATU-CU", "06664", NULL, NULL, "test"), 0);
	put_doc(f->st, "HATU-CU", code, 1, "Báo cáo tình hình kinh tế xã hội năm 2024",
	        HL_ACCESS_PUBLIC);
	assert_int_equal(hl_custody_receipt(&r, f->st, "06652", NULL, "2025-07-01"), 0);
	assert_int_equal(r->n, 1);
	memcpy(digest, r->digest, sizeof(digest));
	hl_receipt_free(r);
	put_doc(f->st, "HATU-CU", code, 1, "Báo cáo tình hình kinh tế xã hội năm 2024 (bản sửa)",
	        HL_ACCESS_PUBLIC);
	assert_int_equal(hl_custody_receipt(&r, f->st, "06652", NULL, "2025-07-01"), 0);
	assert_string_not_equal(r->digest, digest);
	hl_receipt_free(r);
}

/* Every old commune of Quảng Ninh as a fonds: exactly the 12 split ones wait for a decision,
 * every other one finds its custodian among the 54 new units by itself. */
static void test_every_old_commune(void **state)
{
	fx *f = *state;
	hl_csv *csv = NULL;
	hl_custodies *l = NULL;
	char **v;
	size_t n;
	uint64_t line;
	int rc, fonds = 0;

	assert_int_equal(hl_csv_open(&csv, DATA "/quangninh_mapping_old_to_new.csv"), 0);
	assert_int_equal(hl_csv_next(csv, &v, &n, &line), 1); /* header */
	assert_int_equal(hl_store_begin(f->st), 0);
	while ((rc = hl_csv_next(csv, &v, &n, &line)) == 1) {
		char code[32];
		snprintf(code, sizeof(code), "F%s", v[0]);
		if (hl_custody_set_creator(f->st, code, v[0], NULL, NULL, "test") < 0)
			fail_msg("%s: %s", v[0], hl_error_last());
	}
	assert_int_equal(rc, 0);
	assert_int_equal(hl_store_commit(f->st), 0);
	hl_csv_free(csv);

	assert_int_equal(hl_custody_list(&l, f->st, "2025-07-01"), 0);
	for (size_t i = 0; i < l->n; i++) {
		const hl_custody *c = &l->v[i];
		fonds++;
		if (c->state == HL_CUSTODY_HELD) {
			hl_unit *u = NULL;
			/* a new unit of Quảng Ninh, valid that day */
			assert_int_equal(hl_units_show(&u, f->st, c->custodian_code, "2025-07-01"),
			                 0);
			assert_string_equal(u->parent_code, "22");
			hl_unit_free(u);
		}
	}
	assert_int_equal(fonds, 171);
	hl_custodies_free(l);
	assert_int_equal(hl_custody_pending(&l, f->st), 0);
	assert_int_equal(l->n, 12);
	for (size_t i = 0; i < l->n; i++)
		assert_int_equal(l->v[i].state, HL_CUSTODY_PENDING);
	assert_true(has_fonds(l, "F06655")); /* Hà Khẩu */
	assert_true(has_fonds(l, "F06946")); /* Quảng Long */
	hl_custodies_free(l);
}

static void test_bad_input(void **state)
{
	fx *f = *state;
	hl_custody *c = NULL;
	hl_custodies *l = NULL;

	assert_int_equal(hl_custody_set_creator(f->st, "X", "99999", NULL, NULL, "test"),
	                 HL_ENOTFOUND);
	assert_string_equal(hl_error_last(), "unknown unit code 99999");
	assert_int_equal(hl_custody_set_creator(f->st, "X", "06664", "2020-01-01", NULL, "test"),
	                 HL_ENOTFOUND);
	assert_non_null(strstr(hl_error_last(), "before any data"));
	/* old Phường Hà Tu did not exist after the reform */
	assert_int_equal(hl_custody_set_creator(f->st, "X", "06664", "2025-08-01", NULL, "test"),
	                 HL_ENOTFOUND);
	assert_non_null(strstr(hl_error_last(), "did not exist on 2025-08-01"));
	assert_int_equal(hl_custody_set_creator(f->st, "X", "06664", "31/02/2025", NULL, "test"),
	                 HL_EINVALID);
	/* nothing was created by the failures */
	assert_int_equal(hl_custody_get(&c, f->st, "X", NULL), HL_ENOTFOUND);
	assert_string_equal(hl_error_last(), "unknown fonds X");
	assert_int_equal(hl_custody_held_by(&l, f->st, "99999", NULL), HL_ENOTFOUND);

	/* a fonds without a creator: listed as pending, and nothing can be assigned */
	put_doc(f->st, "NOCREATOR", "HS01", 1, "Thông báo", HL_ACCESS_PUBLIC);
	assert_int_equal(hl_custody_pending(&l, f->st), 0);
	assert_true(has_fonds(l, "NOCREATOR"));
	assert_int_equal(l->v[0].state, HL_CUSTODY_NO_CREATOR);
	hl_custodies_free(l);
	assert_int_equal(hl_custody_assign(f->st, "NOCREATOR", "22", NULL, NULL, NULL, "test"),
	                 HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "--creator"));
	/* a whole merge has nothing to decide */
	assert_int_equal(hl_custody_set_creator(f->st, "HATU-CU", "06664", NULL, NULL, "test"), 0);
	assert_int_equal(
	    hl_custody_assign(f->st, "HATU-CU", "06652", "06664", "2025-07-01", NULL, "test"),
	    HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "nothing to decide"));
	assert_int_equal(hl_custody_assign(f->st, "HATU-CU", "06652", "06664", NULL, NULL, "test"),
	                 HL_EINVALID);
}

/* A fonds name that a spreadsheet would read as a formula is written after a quote mark. */
static void test_receipt_csv_no_formula(void **state)
{
	fx *f = *state;
	hl_receipt *r = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	put_doc(f->st, "HATU-CU", "HS01", 1, "Báo cáo", HL_ACCESS_PUBLIC);
	assert_int_equal(hl_custody_set_creator(f->st, "HATU-CU", "06664", NULL,
	                                        "=HYPERLINK(\"http://x\")", "test"),
	                 0);
	assert_int_equal(hl_custody_receipt(&r, f->st, "06652", NULL, "2025-07-01"), 0);
	assert_non_null(m = open_memstream(&buf, &len));
	hl_receipt_write_csv(m, r);
	fclose(m);
	assert_non_null(strstr(buf, "\"'=HYPERLINK("));
	assert_null(strstr(buf, ",=HYPERLINK"));
	assert_null(strstr(buf, ",\"=HYPERLINK"));
	free(buf);
	hl_receipt_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_whole_merge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reused_code, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_split_needs_decision, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_decision_history_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_abolished_district, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_receipt_digest, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_receipt_digest_long_dossier_code, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_every_old_commune, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_receipt_csv_no_formula, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
