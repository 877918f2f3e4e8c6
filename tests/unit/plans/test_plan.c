/* Tests of plans, tasks, reports and evaluation (src/lib/plans/) on a real store: the real
 * appendix of Nghị quyết 03/NQ-CP imported (140 tasks, each deadline read or reported, the
 * transcription's defects named); a small plan's state at chosen days (a task crossing its
 * deadline becomes overdue, a monthly duty makes its occurrences); roll-up by weight; the counts
 * of a quarter checked by hand; reports returned, corrected and accepted; snapshots; bad input
 * refused with nothing written; the reporting periods of Nghị định 09/2019. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "halong/auth.h"
#include "halong/plans.h"
#include "halong/units.h"
#include "halong/util.h"
#include "store/store.h"

#define DATA HL_SOURCE_DATADIR

typedef struct {
	char dir[64], db[96], csv[96];
	hl_archive *a;
	hl_store *st; /* the archive's */
	hl_principal local;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	hl_agency_load_stats s;
	snprintf(f->dir, sizeof(f->dir), "/tmp/hl-plan-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/halong.db", f->dir);
	snprintf(f->csv, sizeof(f->csv), "%s/p.csv", f->dir);
	/* a data directory: the lessons go to its search index */
	if (hl_archive_init(f->dir) < 0 || hl_archive_open(&f->a, f->dir) < 0)
		return -1;
	f->st = hl_archive_store(f->a);
	if (hl_agency_load(&s, f->st, DATA "/agencies/quang_ninh_agencies.csv", "test") < 0 ||
	    hl_agency_load(&s, f->st, DATA "/agencies/vn_central_agencies.csv", "test") < 0)
		return -1;
	f->local = hl_principal_local("test");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	char cmd[128];
	hl_archive_free(f->a);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
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

static int import(fx *f, hl_plan_import_stats *s, const char *text, int keep)
{
	hl_plan_import_opts o = {.keep_unknown = keep};
	write_csv(f, text);
	return hl_plan_import(s, f->st, &f->local, f->csv, &o);
}

/* The task `item` of `l`. */
static const hl_task *task(const hl_tasks *l, const char *item)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].item_no, item))
			return &l->v[i];
	fail_msg("no task %s", item);
	return NULL;
}

static hl_task_status status_at(fx *f, const char *plan, const char *item, const char *at)
{
	hl_tasks *l = NULL;
	assert_int_equal(hl_plan_tasks(&l, f->st, &f->local, plan, at), 0);
	hl_task_status s = task(l, item)->status;
	hl_tasks_free(l);
	return s;
}

static int64_t report(fx *f, const char *ref, const char *period, int progress, hl_report_state st,
                      const char *at)
{
	hl_report_in in = {
	    .task = ref, .period = period, .progress = progress, .state = st, .at = at};
	int64_t id = 0;
	if (hl_task_report(&id, f->st, &f->local, &in) < 0)
		fail_msg("report %s %s: %s", ref, period, hl_error_last());
	return id;
}

/* ---- the real appendix ---- */

static void test_real_appendix(void **state)
{
	fx *f = *state;
	hl_plan_import_stats s;
	hl_plan_import_opts o = {.compiler = "Sở Khoa học và Công nghệ"};
	hl_tasks *l = NULL;
	hl_plans *plans = NULL;
	size_t kinds[HL_DUE_UNREAD + 1] = {0}, leaves = 0;

	assert_int_equal(
	    hl_plan_import(&s, f->st, &f->local, DATA "/plans/NQ03-NQ-CP-2025_plan.csv", &o), 0);
	assert_int_equal(s.added, 1);
	hl_plan_import_stats_free(&s);
	/* as written, three names of the transcription are not agencies: refused, naming each
	 * with the closest names, and nothing written */
	o.compiler = NULL;
	assert_int_equal(
	    hl_plan_import(&s, f->st, &f->local, DATA "/plans/NQ03-NQ-CP-2025_tasks.csv", &o),
	    HL_EINVALID);
	assert_int_equal(s.nerrors, 3);
	assert_non_null(strstr(s.errors[0], "NQ03-NQ-CP-2025_tasks.csv:50: lead_agency: unknown "
	                                    "agency \"Bộ Khoa học\""));
	assert_non_null(strstr(s.errors[0], "closest: Bộ Khoa học và Công nghệ (TW-BKHCN-CU)"));
	assert_non_null(strstr(hl_error_last(), "3 errors, nothing was imported"));
	hl_plan_import_stats_free(&s);
	assert_int_equal(hl_plan_tasks(&l, f->st, &f->local, "NQ03-NQ-CP-2025", NULL), 0);
	assert_int_equal(l->n, 0);
	hl_tasks_free(l);
	/* kept as written, each one named */
	o.keep_unknown = 1;
	assert_int_equal(
	    hl_plan_import(&s, f->st, &f->local, DATA "/plans/NQ03-NQ-CP-2025_tasks.csv", &o), 0);
	assert_int_equal(s.rows, 147);
	assert_int_equal(s.added, 147);
	assert_int_equal(s.sections, 7);
	assert_int_equal(s.unread, 0);
	assert_int_equal(s.kept, 3);
	assert_int_equal(s.nnotes, 3);
	assert_non_null(strstr(s.notes[2], ":55: Viện Hàn lâm Khoa học và Công nghệ và các bộ kept "
	                                   "as written"));
	hl_plan_import_stats_free(&s);
	/* twice: nothing changes */
	assert_int_equal(
	    hl_plan_import(&s, f->st, &f->local, DATA "/plans/NQ03-NQ-CP-2025_tasks.csv", &o), 0);
	assert_int_equal(s.unchanged, 147);
	assert_int_equal(s.added + s.changed, 0);
	hl_plan_import_stats_free(&s);

	assert_int_equal(hl_plan_list(&plans, f->st, &f->local), 0);
	assert_int_equal(plans->n, 1);
	assert_int_equal(plans->v[0].tasks, 140);
	assert_string_equal(plans->v[0].compiler, "SO-KHCN");
	assert_string_equal(plans->v[0].period_from, "2025-01-01");
	assert_string_equal(plans->v[0].period_to, "2030-12-31");
	hl_plans_free(plans);

	assert_int_equal(hl_plan_tasks(&l, f->st, &f->local, "NQ03-NQ-CP-2025", "2025-03-01"), 0);
	assert_int_equal(l->n, 147);
	for (size_t i = 0; i < l->n; i++) {
		if (!l->v[i].nagencies)
			continue;
		leaves++;
		kinds[l->v[i].due.kind]++;
	}
	assert_int_equal(leaves, 140);
	/* every deadline read: 1 task writes none, the rest are dates, months, quarters, years,
	 * ranges, recurring and ongoing duties (test_due.c checks them one by one) */
	assert_int_equal(kinds[HL_DUE_UNREAD], 0);
	assert_int_equal(kinds[HL_DUE_NONE], 1);
	assert_int_equal(kinds[HL_DUE_ONGOING], 13);
	/* a section is the parent of its tasks; task 1 is led by the Ministry of Information and
	 * Communications, due June 2025 */
	const hl_task *t1 = task(l, "1");
	assert_string_equal(t1->parent_no, "I");
	assert_int_equal(t1->due.kind, HL_DUE_MONTH);
	assert_string_equal(t1->due.due, "2025-06-30");
	assert_string_equal(t1->agencies[0].code, "TW-BTTTT");
	assert_true(t1->agencies[0].lead);
	assert_int_equal(task(l, "I")->depth, 0);
	assert_false(task(l, "I")->leaf);
	assert_int_equal(t1->depth, 1);
	/* task 8 runs two ministries together: both lead */
	const hl_task *t8 = task(l, "8");
	assert_string_equal(t8->agencies[0].code, "TW-BTTTT");
	assert_string_equal(t8->agencies[1].code, "TW-BKHCN-CU");
	/* "Bộ Văn hóa, Thể thao và Du lịch" has a comma of its own: one agency */
	int bvh = 0;
	for (size_t i = 0; i < task(l, "98")->nagencies; i++)
		bvh += task(l, "98")->agencies[i].code &&
		       !strcmp(task(l, "98")->agencies[i].code, "TW-BVHTTDL");
	assert_int_equal(bvh, 1);
	hl_tasks_free(l);
}

/* ---- a small plan at chosen days ---- */

/* Issued after the merger of 1 March 2025: its agencies are named as they are since. */
static const char *SMALL_PLAN = "plan_id,title,period,compiler,date\n"
                                "T,Kế hoạch thử (dữ liệu kiểm thử),2025,SO-KHCN,2025-03-10\n";

static const char *SMALL_TASKS =
    "STT,Nhiệm vụ,Cơ quan chủ trì,Cơ quan phối hợp,Thời gian hoàn thành,Sản phẩm,Trọng số,"
    "plan_id\n"
    "I,Phần một,,,,,,T\n"
    "1,Nhiệm vụ có hạn,Sở Tài chính,Sở Khoa học và Công nghệ,30/6/2025,Báo cáo,,T\n"
    "2,Báo cáo hằng tháng,Sở Khoa học và Công nghệ,,Trước ngày 15 hằng tháng,Báo cáo,,T\n"
    "3,Nhiệm vụ mẹ,Sở Nội vụ,,Quý II/2025,,,T\n"
    "3.1,Việc con lớn,Sở Nội vụ,,Quý II/2025,,3,T\n"
    "3.2,Việc con nhỏ,Sở Nội vụ,,Quý II/2025,,1,T\n"
    "4,Nhiệm vụ chờ,Sở Tài chính,,Quý II/2025,,,T\n"
    "5,Nhiệm vụ bỏ dở,Sở Y tế,,5/2025,,,T\n"
    "6,Nhiệm vụ xong sớm,Sở Y tế,,Quý II/2025,,,T\n";

static void small_plan(fx *f)
{
	hl_plan_import_stats s;
	assert_int_equal(import(f, &s, SMALL_PLAN, 0), 0);
	hl_plan_import_stats_free(&s);
	assert_int_equal(import(f, &s, SMALL_TASKS, 0), 0);
	assert_int_equal(s.added, 9);
	hl_plan_import_stats_free(&s);
}

static void test_clock(void **state)
{
	fx *f = *state;
	small_plan(f);
	/* task 1 crosses its deadline */
	assert_int_equal(status_at(f, "T", "1", "2025-06-30"), HL_TASK_NOT_STARTED);
	assert_int_equal(status_at(f, "T", "1", "2025-07-01"), HL_TASK_OVERDUE);
	report(f, "T/1", "2025-06", 60, HL_REPORT_PROGRESS, "2025-06-20");
	assert_int_equal(status_at(f, "T", "1", "2025-06-25"), HL_TASK_ON_TIME);
	assert_int_equal(status_at(f, "T", "1", "2025-07-01"), HL_TASK_OVERDUE);
	/* a report counts from its day: before it, the task had none */
	assert_int_equal(status_at(f, "T", "1", "2025-06-19"), HL_TASK_NOT_STARTED);
	report(f, "T/1", "2025-07", -1, HL_REPORT_DONE, "2025-07-05");
	assert_int_equal(status_at(f, "T", "1", "2025-07-10"), HL_TASK_DONE_LATE);
	assert_int_equal(status_at(f, "T", "1", "2025-07-04"), HL_TASK_OVERDUE);
	/* the monthly duty: due the 15th; January reported on time, February not: under way until
	 * 15 February, overdue after */
	assert_int_equal(status_at(f, "T", "2", "2025-01-10"), HL_TASK_NOT_STARTED);
	report(f, "T/2", "2025-01", -1, HL_REPORT_DONE, "2025-01-10");
	assert_int_equal(status_at(f, "T", "2", "2025-02-10"), HL_TASK_ON_TIME);
	assert_int_equal(status_at(f, "T", "2", "2025-02-16"), HL_TASK_OVERDUE);
	hl_tasks *l = NULL;
	assert_int_equal(hl_plan_tasks(&l, f->st, &f->local, "T", "2025-02-16"), 0);
	assert_string_equal(task(l, "2")->judged_due, "2025-02-15");
	hl_tasks_free(l);
	/* its occurrences of the first quarter: three, due 15 January, February, March */
	hl_eval *e = NULL;
	hl_eval_in in = {.plan = "T", .period = "2025-Q1", .agency = "SO-KHCN", .at = "2025-04-01"};
	assert_int_equal(hl_plan_eval(&e, f->st, &f->local, &in), 0);
	assert_int_equal(e->total.total, 3);
	assert_int_equal(e->total.done_on_time, 1);
	assert_int_equal(e->total.overdue, 2);
	assert_int_equal(e->noverdue, 2);
	assert_string_equal(e->overdue[0].due, "2025-02-15");
	assert_int_equal(e->overdue[0].days, 45);
	hl_eval_free(e);
}

static void test_rollup(void **state)
{
	fx *f = *state;
	hl_tasks *l = NULL;
	small_plan(f);
	report(f, "T/3.1", "2025-05", -1, HL_REPORT_DONE, "2025-05-20");
	report(f, "T/3.2", "2025-05", 50, HL_REPORT_PROGRESS, "2025-05-20");
	assert_int_equal(hl_plan_tasks(&l, f->st, &f->local, "T", "2025-05-31"), 0);
	/* (3 × 100 + 1 × 50) / 4 */
	assert_true(task(l, "3")->progress > 87.49 && task(l, "3")->progress < 87.51);
	assert_int_equal(task(l, "3")->status, HL_TASK_ON_TIME);
	assert_false(task(l, "3")->leaf);
	assert_int_equal(task(l, "3.1")->depth, 2);
	hl_tasks_free(l);
	/* the small child late: the parent is overdue with it */
	assert_int_equal(status_at(f, "T", "3", "2025-07-02"), HL_TASK_OVERDUE);
	report(f, "T/3.2", "2025-06", -1, HL_REPORT_DONE, "2025-06-28");
	assert_int_equal(status_at(f, "T", "3", "2025-07-02"), HL_TASK_DONE_ON_TIME);
}

/* The second quarter of the small plan, counted by hand at 10 July 2025:
 *   1  due 30/6, done 5/7                 → done late
 *   2  due 15/4, 15/5, 15/6: April done 14/4, May done 20/5, June none → 1 on time, 1 late,
 *      1 overdue
 *   3.1 due 30/6, done 20/5               → done on time
 *   3.2 due 30/6, 50% on 20/5             → overdue
 *   4  due 30/6, waiting for guidance     → waiting
 *   5  due 31/5: not in the quarter's window? it is: May is in Q2 → no report → overdue
 *   6  due 30/6, done 3/4                 → done on time
 * 3 is a parent: not counted. Due 9: on time 3, late 2, overdue 3, waiting 1. */
static void test_eval_quarter(void **state)
{
	fx *f = *state;
	hl_eval *e = NULL;
	hl_eval_in in = {.plan = "T", .period = "Quý II/2025", .at = "2025-07-10"};
	small_plan(f);
	report(f, "T/1", "2025-07", -1, HL_REPORT_DONE, "2025-07-05");
	report(f, "T/2", "2025-04", -1, HL_REPORT_DONE, "2025-04-14");
	report(f, "T/2", "2025-05", -1, HL_REPORT_DONE, "2025-05-20");
	report(f, "T/3.1", "2025-05", -1, HL_REPORT_DONE, "2025-05-20");
	report(f, "T/3.2", "2025-05", 50, HL_REPORT_PROGRESS, "2025-05-20");
	report(f, "T/4", "2025-05", 10, HL_REPORT_WAITING, "2025-05-02");
	report(f, "T/6", "2025-04", -1, HL_REPORT_DONE, "2025-04-03");
	assert_int_equal(hl_plan_eval(&e, f->st, &f->local, &in), 0);
	assert_string_equal(e->period, "2025-Q2");
	assert_int_equal(e->total.total, 9);
	assert_int_equal(e->total.done_on_time, 3);
	assert_int_equal(e->total.done_late, 2);
	assert_int_equal(e->total.overdue, 3);
	assert_int_equal(e->total.waiting, 1);
	assert_int_equal(e->total.open_on_time, 0);
	assert_string_equal(e->line_vi, "Trong tổng số 9 nhiệm vụ: 5 đã hoàn thành (3 đúng hạn, 2 "
	                                "quá hạn); 0 đang thực hiện đúng tiến độ; 3 chậm tiến độ, "
	                                "quá hạn; 0 chưa triển khai; 1 chờ hướng dẫn.");
	/* the ranking by the default rule (done_on_time 2, done_late 1, overdue -2):
	 * SO-YT (6 on time, 5 overdue): 0/2; SO-KHCN (2: 1 on time, 1 late, 1 overdue): 1/3;
	 * SO-NV (3.1, 3.2): 0/2; SO-TC (1 late, 4 waiting): 1/2 */
	assert_int_equal(e->nagencies, 4);
	assert_string_equal(e->agencies[0].code, "SO-TC");
	assert_string_equal(e->agencies[1].code, "SO-KHCN");
	/* SO-NV and SO-YT tie at 0 with one overdue each: by code */
	assert_string_equal(e->agencies[2].code, "SO-NV");
	assert_string_equal(e->agencies[3].code, "SO-YT");
	assert_int_equal(e->agencies[0].rank, 1);
	hl_eval_free(e);
	/* a rule of the committee's own: waiting counts as badly as overdue */
	assert_int_equal(hl_plans_setting_set(f->st, &f->local, "rank_rule",
	                                      "done_on_time=1,done_late=1,waiting=-5"),
	                 0);
	assert_int_equal(hl_plan_eval(&e, f->st, &f->local, &in), 0);
	assert_string_equal(e->agencies[e->nagencies - 1].code, "SO-TC");
	hl_eval_free(e);
	assert_int_equal(hl_plans_setting_set(f->st, &f->local, "rank_rule", "fast=1"),
	                 HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "unknown status \"fast\""));
}

static void test_verify_and_snapshot(void **state)
{
	fx *f = *state;
	hl_reports *q = NULL;
	hl_eval *e = NULL;
	small_plan(f);
	int64_t r1 = report(f, "T/6", "2025-03", -1, HL_REPORT_DONE, "2025-03-20");
	assert_int_equal(hl_report_queue(&q, f->st, &f->local, "T", "2025-03-21"), 0);
	assert_int_equal(q->n, 1);
	hl_reports_free(q);
	/* returned: a comment is needed; then the report counts no more */
	assert_int_equal(hl_report_verify(f->st, &f->local, r1, 0, NULL, "2025-03-22"),
	                 HL_EINVALID);
	assert_int_equal(
	    hl_report_verify(f->st, &f->local, r1, 0, "Thiếu minh chứng", "2025-03-22"), 0);
	assert_int_equal(status_at(f, "T", "6", "2025-03-23"), HL_TASK_NOT_STARTED);
	assert_int_equal(status_at(f, "T", "6", "2025-03-21"), HL_TASK_DONE_ON_TIME);
	assert_int_equal(hl_report_verify(f->st, &f->local, r1, 1, NULL, "2025-03-23"),
	                 HL_ECONFLICT);
	/* corrected, then accepted; the history keeps all of it */
	hl_report_in in = {.task = "T/6",
	                   .period = "2025-03",
	                   .progress = -1,
	                   .state = HL_REPORT_DONE,
	                   .corrects = r1,
	                   .at = "2025-03-25"};
	int64_t r2, again;
	assert_int_equal(hl_task_report(&r2, f->st, &f->local, &in), 0);
	assert_int_equal(hl_task_report(&again, f->st, &f->local, &in), HL_ECONFLICT);
	assert_non_null(strstr(hl_error_last(), "corrected already"));
	assert_int_equal(hl_report_verify(f->st, &f->local, r2, 1, NULL, "2025-03-26"), 0);
	assert_int_equal(hl_task_reports(&q, f->st, &f->local, "T/6", "2025-03-27"), 0);
	assert_int_equal(q->n, 2);
	assert_string_equal(q->v[0].verdict, "returned");
	assert_string_equal(q->v[0].verdict_comment, "Thiếu minh chứng");
	assert_string_equal(q->v[1].verdict, "accepted");
	assert_int_equal(q->v[1].corrects, r1);
	hl_reports_free(q);
	assert_int_equal(status_at(f, "T", "6", "2025-03-27"), HL_TASK_DONE_ON_TIME);
	/* the first quarter frozen; the second compares with it */
	assert_int_equal(hl_plan_close_period(f->st, &f->local, "T", "2025-Q2", "2025-04-10"),
	                 HL_ECONFLICT);
	assert_int_equal(hl_plan_close_period(f->st, &f->local, "T", "2025-Q1", "2025-04-10"), 0);
	assert_int_equal(hl_plan_close_period(f->st, &f->local, "T", "2025-Q1", "2025-04-11"),
	                 HL_ECONFLICT);
	hl_eval_in ein = {.plan = "T", .period = "2025-Q2", .at = "2025-05-01"};
	assert_int_equal(hl_plan_eval(&e, f->st, &f->local, &ein), 0);
	assert_true(e->has_previous);
	assert_string_equal(e->previous_period, "2025-Q1");
	assert_int_equal(e->previous.total, 3); /* the monthly duty's January, February, March */
	assert_int_equal(e->previous.overdue, 3);
	hl_eval_free(e);
}

static void test_bad_rows(void **state)
{
	fx *f = *state;
	hl_plan_import_stats s;
	hl_tasks *l = NULL;
	assert_int_equal(import(f, &s, SMALL_PLAN, 0), 0);
	hl_plan_import_stats_free(&s);
	assert_int_equal(import(f, &s,
	                        "STT,Nhiệm vụ,Cơ quan chủ trì,Thời gian hoàn thành,Trọng số,Thuộc,"
	                        "plan_id\n"
	                        "1,Đúng,Sở Tài chính,6/2025,,,T\n"
	                        "2,Hạn trước kế hoạch,Sở Tài chính,12/2024,,,T\n"
	                        "3,Trọng số không,Sở Tài chính,6/2025,0,,T\n"
	                        "4,Cơ quan lạ,Sở Tai chinh tinh,6/2025,,,T\n"
	                        "1,Lặp,Sở Tài chính,6/2025,,,T\n"
	                        "5,Cha ở dưới,Sở Tài chính,6/2025,,9,T\n"
	                        "6,,Sở Tài chính,6/2025,,,T\n"
	                        "7,Không chủ trì,,6/2025,,,T\n"
	                        "9,Sau kế hoạch,Sở Tài chính,2026,,,T\n",
	                        0),
	                 HL_EINVALID);
	assert_int_equal(s.nerrors, 8);
	assert_non_null(strstr(s.errors[0], "p.csv:3: due: due 2024-12-31 is before the plan "
	                                    "starts (2025-01-01)"));
	assert_non_null(strstr(s.errors[1], "p.csv:4: weight: a number above 0"));
	assert_non_null(strstr(s.errors[2], "p.csv:5: lead_agency: unknown agency \"Sở Tai chinh "
	                                    "tinh\""));
	assert_non_null(strstr(s.errors[2], "closest: Sở Tài chính tỉnh Quảng Ninh (SO-TC)"));
	assert_non_null(strstr(s.errors[3], "p.csv:6: item_no: \"1\" repeated (first on line 2)"));
	assert_non_null(strstr(s.errors[4], "p.csv:7: parent_item_no: not a row above it"));
	assert_non_null(strstr(s.errors[5], "p.csv:8: title: empty"));
	assert_non_null(strstr(s.errors[6], "p.csv:9: lead_agency: empty"));
	assert_non_null(
	    strstr(s.errors[7], "p.csv:10: due: 2026-01-01 begins after the plan ends"));
	hl_plan_import_stats_free(&s);
	assert_int_equal(hl_plan_tasks(&l, f->st, &f->local, "T", NULL), 0);
	assert_int_equal(l->n, 0); /* nothing half-imported */
	hl_tasks_free(l);
	/* a task file of a plan not imported, a file without the columns of either */
	assert_int_equal(import(f, &s, "STT,Nhiệm vụ,plan_id\n1,X,NONE\n", 0), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "plan \"NONE\" is not known"));
	hl_plan_import_stats_free(&s);
	assert_int_equal(import(f, &s, "a,b\n1,2\n", 0), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "needs STT"));
	hl_plan_import_stats_free(&s);
}

static void test_bad_reports(void **state)
{
	fx *f = *state;
	int64_t id;
	hl_report_in in = {.task = "T/1", .period = "2025-06", .progress = 140, .at = "2025-06-10"};
	small_plan(f);
	assert_int_equal(hl_task_report(&id, f->st, &f->local, &in), HL_EINVALID);
	assert_string_equal(hl_error_last(), "progress: 140% is not 0–100%");
	in.progress = 40;
	in.period = "2025-13";
	assert_int_equal(hl_task_report(&id, f->st, &f->local, &in), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "period: \"2025-13\" is not a reporting period"));
	in.period = "2026-01";
	assert_int_equal(hl_task_report(&id, f->st, &f->local, &in), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "outside plan T"));
	in.period = "2025-07";
	assert_int_equal(hl_task_report(&id, f->st, &f->local, &in), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "2025-07 has not begun on 2025-06-10"));
	in.period = "2025-06";
	in.state = HL_REPORT_DONE;
	assert_int_equal(hl_task_report(&id, f->st, &f->local, &in), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "a task done is at 100%"));
	in.state = HL_REPORT_PROGRESS;
	in.agency = "SO-YT";
	assert_int_equal(hl_task_report(&id, f->st, &f->local, &in), HL_EINVALID);
	assert_string_equal(hl_error_last(), "agency: SO-YT does not lead task T/1");
	in.agency = NULL;
	in.evidence = "NO-SUCH-DOC";
	assert_int_equal(hl_task_report(&id, f->st, &f->local, &in), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "evidence: \"NO-SUCH-DOC\" is not a document"));
	in.evidence = NULL;
	in.task = "T/I";
	assert_int_equal(hl_task_report(&id, f->st, &f->local, &in), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "is a section"));
	in.task = "T/99";
	assert_int_equal(hl_task_report(&id, f->st, &f->local, &in), HL_ENOTFOUND);
	/* nothing written by any of them */
	hl_reports *q = NULL;
	assert_int_equal(hl_task_reports(&q, f->st, &f->local, "T/1", "2025-12-31"), 0);
	assert_int_equal(q->n, 0);
	hl_reports_free(q);
}

/* Officers report for their own agency only; only the compiler verifies. */
static void test_roles(void **state)
{
	fx *f = *state;
	hl_units_load_stats us;
	hl_principal tc = {0}, khcn = {0}, viewer = {0};
	int64_t id;
	small_plan(f);
	assert_int_equal(hl_units_load(&us, f->st, DATA "/units", NULL, NULL, NULL), 0);
	assert_int_equal(
	    hl_auth_user_add(f->st, "tc", "mat-khau-dai-du", HL_ROLE_OFFICER, "22", NULL), 0);
	assert_int_equal(
	    hl_auth_user_add(f->st, "khcn", "mat-khau-dai-du", HL_ROLE_OFFICER, "22", NULL), 0);
	assert_int_equal(
	    hl_auth_user_add(f->st, "xem", "mat-khau-dai-du", HL_ROLE_VIEWER, "22", NULL), 0);
	assert_int_equal(hl_plans_user_agency_set(f->st, &f->local, "tc", "Sở Tài chính", NULL), 0);
	assert_int_equal(hl_plans_user_agency_set(f->st, &f->local, "khcn", "SO-KHCN", NULL), 0);
	assert_int_equal(hl_plans_user_agency_set(f->st, &f->local, "khcn", "Sở Không Có", NULL),
	                 HL_ENOTFOUND);
	tc.user_id = 1;
	tc.role = HL_ROLE_OFFICER;
	snprintf(tc.username, sizeof(tc.username), "tc");
	khcn = tc;
	khcn.user_id = 2;
	snprintf(khcn.username, sizeof(khcn.username), "khcn");
	viewer = tc;
	viewer.user_id = 3;
	viewer.role = HL_ROLE_VIEWER;
	hl_report_in in = {.task = "T/1", .period = "2025-06", .progress = 30, .at = "2025-06-10"};
	/* the officer of Sở Khoa học và Công nghệ does not report for Sở Tài chính's task */
	assert_int_equal(hl_task_report(&id, f->st, &khcn, &in), HL_EDENIED);
	assert_string_equal(hl_error_last(), "agency: SO-KHCN does not lead task T/1");
	in.agency = "SO-TC";
	assert_int_equal(hl_task_report(&id, f->st, &khcn, &in), HL_EDENIED);
	assert_non_null(strstr(hl_error_last(), "own agency only (yours: SO-KHCN; asked: SO-TC)"));
	in.agency = NULL;
	assert_int_equal(hl_task_report(&id, f->st, &viewer, &in), HL_EDENIED);
	if (hl_task_report(&id, f->st, &tc, &in) != 0)
		fail_msg("%s", hl_error_last());
	/* Sở Tài chính's officer is not the compiler; Sở KH&CN's is */
	assert_int_equal(hl_report_verify(f->st, &tc, id, 1, NULL, "2025-06-11"), HL_EDENIED);
	assert_non_null(strstr(hl_error_last(), "only the compiler of plan T (SO-KHCN)"));
	assert_int_equal(hl_report_verify(f->st, &khcn, id, 1, NULL, "2025-06-11"), 0);
	hl_reports *q = NULL;
	assert_int_equal(hl_report_queue(&q, f->st, &tc, NULL, "2025-06-12"), 0);
	assert_int_equal(q->n, 0); /* not a compiler: an empty queue */
	hl_reports_free(q);
}

static void test_periods(void **state)
{
	hl_period p;
	(void)state;
	assert_int_equal(hl_period_parse(&p, "Quý II/2025", 0, 0), 0);
	assert_string_equal(p.label, "2025-Q2");
	assert_string_equal(p.from, "2025-04-01");
	assert_string_equal(p.to, "2025-06-30");
	/* Nghị định 09/2019, Điều 12: from the 15th of the month before to the 14th of the
	 * quarter's last month; Điều 13: sent by the 25th */
	assert_string_equal(p.data_from, "2025-03-15");
	assert_string_equal(p.data_to, "2025-06-14");
	assert_string_equal(p.report_due, "2025-06-25");
	assert_int_equal(hl_period_parse(&p, "2025-01", 20, 5), 0);
	assert_string_equal(p.data_from, "2024-12-21");
	assert_string_equal(p.data_to, "2025-01-20");
	assert_string_equal(p.report_due, "2025-01-05");
	assert_int_equal(hl_period_parse(&p, "2025-H2", 0, 0), 0);
	assert_string_equal(p.from, "2025-07-01");
	assert_string_equal(p.data_from, "2025-06-15");
	assert_int_equal(hl_period_parse(&p, "2025", 0, 0), 0);
	assert_string_equal(p.data_from, "2024-12-15");
	assert_string_equal(p.data_to, "2025-12-14");
	assert_int_equal(hl_period_parse(&p, "2025-13", 0, 0), HL_EINVALID);
	assert_int_equal(hl_period_parse(&p, "Quý V/2025", 0, 0), HL_EINVALID);
	assert_int_equal(hl_period_parse(&p, "30/6/2025", 0, 0), HL_EINVALID);
}

static void test_inspection_and_lessons(void **state)
{
	fx *f = *state;
	hl_lessons *l = NULL;
	hl_tasks *t = NULL;
	int64_t id, lid;
	const char *titles[] = {"Bổ sung hồ sơ minh chứng"}, *ags[] = {"Sở Y tế"},
	           *dues[] = {"30/9/2025"};
	small_plan(f);
	hl_inspection_in in = {.plan = "T",
	                       .date = "2025-07-02",
	                       .team = "Đoàn kiểm tra số 1",
	                       .scope = "Quý II/2025",
	                       .agency = "SO-YT",
	                       .rating = "dat",
	                       .follow_title = titles,
	                       .follow_agency = ags,
	                       .follow_due = dues,
	                       .nfollow = 1,
	                       .at = "2025-07-03"};
	assert_int_equal(hl_inspection_add(&id, f->st, &f->local, &in), 0);
	assert_int_equal(hl_plan_tasks(&t, f->st, &f->local, "T", "2025-07-03"), 0);
	const hl_task *k = task(t, "KT1.1");
	assert_string_equal(k->origin, "inspection:1");
	assert_string_equal(k->agencies[0].code, "SO-YT");
	assert_string_equal(k->agencies[0].name, "Sở Y tế tỉnh Quảng Ninh"); /* not as typed */
	assert_string_equal(k->due.due, "2025-09-30");
	hl_tasks_free(t);
	in.rating = "xuat_sac";
	assert_int_equal(hl_inspection_add(&id, f->st, &f->local, &in), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "is not tốt, khá, đạt or chưa đạt"));
	in.rating = "Chưa đạt"; /* the Vietnamese words are the key chua_dat */
	in.nfollow = 0;
	assert_int_equal(hl_inspection_add(&id, f->st, &f->local, &in), 0);
	in.nfollow = 1;
	in.rating = "dat";
	dues[0] = "30/5/2025";
	assert_int_equal(hl_inspection_add(&id, f->st, &f->local, &in), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "before the inspection"));
	/* listed newest first, each with its follow-up tasks; a plan nobody has is not found */
	hl_inspections *il = NULL;
	assert_int_equal(hl_inspection_list(&il, f->st, &f->local, "T"), 0);
	assert_int_equal(il->n, 2);
	assert_int_equal(il->v[0].id, 2);
	assert_string_equal(il->v[0].rating, "chua_dat");
	assert_int_equal(il->v[0].nfollow, 0);
	assert_int_equal(il->v[1].nfollow, 1);
	assert_string_equal(il->v[1].follow[0], "T/KT1.1");
	assert_string_equal(il->v[1].team, "Đoàn kiểm tra số 1");
	hl_inspections_free(il);
	assert_int_equal(hl_inspection_list(&il, f->st, &f->local, "NOPE"), HL_ENOTFOUND);
	hl_lesson_in li = {.title = "Giao việc rõ người, rõ hạn",
	                   .body = "Mỗi nhiệm vụ gắn với kế hoạch tháng và quý cụ thể.",
	                   .task = "T/1",
	                   .at = "2025-07-05"};
	hl_search_opts so = {.query = "ke hoach THANG", .mark_open = "[", .mark_close = "]"};
	hl_hits *h = NULL;
	assert_int_equal(hl_lesson_add(&lid, f->a, &f->local, &li), 0);
	/* the archive's search: tones and case aside, the words marked */
	assert_int_equal(hl_lesson_search(&l, f->a, &f->local, &so), 0);
	assert_int_equal(l->n, 1);
	assert_int_equal(l->total, 1);
	assert_string_equal(l->v[0].task_ref, "T/1");
	assert_string_equal(l->v[0].body, li.body);
	assert_non_null(strstr(l->v[0].snippet, "[kế] [hoạch] [tháng]"));
	hl_lessons_free(l);
	so.query = "kế hoạch năm";
	assert_int_equal(hl_lesson_search(&l, f->a, &f->local, &so), 0);
	assert_int_equal(l->n, 0);
	hl_lessons_free(l);
	so.query = "kees hoachj"; /* Telex typed without an input method */
	assert_int_equal(hl_lesson_search(&l, f->a, &f->local, &so), 0);
	assert_int_equal(l->n, 1);
	hl_lessons_free(l);
	/* through the archive's own search with kind:lesson; a plain search sees no lesson */
	so.query = "kind:lesson gắn";
	assert_int_equal(hl_archive_search(&h, f->a, &f->local, &so), 0);
	assert_int_equal(h->n, 1);
	assert_int_equal(h->hits[0].lesson, lid);
	assert_string_equal(h->hits[0].task, "T/1");
	assert_null(h->hits[0].doc_id);
	hl_hits_free(h);
	so.query = "gắn";
	assert_int_equal(hl_archive_search(&h, f->a, &f->local, &so), 0);
	assert_int_equal(h->n, 0);
	hl_hits_free(h);
	so.query = "kind:nothing gắn";
	assert_int_equal(hl_archive_search(&h, f->a, &f->local, &so), HL_EINVALID);
	/* a rebuilt index holds the lessons again */
	assert_int_equal(hl_archive_reindex(f->a, NULL, NULL), 0);
	so.query = "kind:lesson";
	assert_int_equal(hl_lesson_search(&l, f->a, &f->local, &so), 0);
	assert_int_equal(l->n, 1);
	hl_lessons_free(l);
	li.task = NULL;
	assert_int_equal(hl_lesson_add(&lid, f->a, &f->local, &li), HL_EINVALID);
}

/* A task of two lead agencies: each reports for itself and is judged on its own reports; the
 * task is done when both are, late when one was, overdue while one is; each agency's evaluation
 * and ranking counts its own part. */
static void test_two_leads(void **state)
{
	fx *f = *state;
	hl_plan_import_stats s;
	hl_tasks *l = NULL;
	hl_eval *e = NULL;
	hl_eval_in in = {.plan = "T", .period = "Quý II/2025"};
	small_plan(f);
	assert_int_equal(import(f, &s,
	                        "STT,Nhiệm vụ,Cơ quan chủ trì,Thời gian hoàn thành,plan_id\n"
	                        "7,Hai sở cùng chủ trì,\"Sở Tài chính, Sở Y tế\",30/6/2025,T\n",
	                        0),
	                 0);
	hl_plan_import_stats_free(&s);
	hl_report_in r = {.task = "T/7",
	                  .agency = "SO-TC",
	                  .period = "2025-06",
	                  .state = HL_REPORT_DONE,
	                  .progress = -1,
	                  .at = "2025-06-20"};
	int64_t id;
	assert_int_equal(hl_task_report(&id, f->st, &f->local, &r), 0);
	/* one of two done: under way, half the progress */
	assert_int_equal(hl_plan_tasks(&l, f->st, &f->local, "T", "2025-06-25"), 0);
	assert_int_equal(task(l, "7")->status, HL_TASK_ON_TIME);
	assert_true(task(l, "7")->progress == 50);
	hl_tasks_free(l);
	/* past the deadline the other one is overdue, and so is the task */
	assert_int_equal(status_at(f, "T", "7", "2025-07-02"), HL_TASK_OVERDUE);
	in.at = "2025-07-02";
	in.agency = "SO-TC";
	assert_int_equal(hl_plan_eval(&e, f->st, &f->local, &in), 0);
	assert_int_equal(e->total.total, 3); /* 1, 4 and its part of 7 */
	assert_int_equal(e->total.done_on_time, 1);
	hl_eval_free(e);
	in.agency = "SO-YT";
	assert_int_equal(hl_plan_eval(&e, f->st, &f->local, &in), 0);
	assert_int_equal(e->total.done_on_time, 0);
	assert_int_equal(e->total.overdue, 3); /* 5, 6 and its part of 7 */
	hl_eval_free(e);
	/* the ranking: each agency's row counts its own part */
	in.agency = NULL;
	assert_int_equal(hl_plan_eval(&e, f->st, &f->local, &in), 0);
	for (size_t i = 0; i < e->nagencies; i++) {
		if (!strcmp(e->agencies[i].code, "SO-TC"))
			assert_int_equal(e->agencies[i].c.done_on_time, 1);
		if (!strcmp(e->agencies[i].code, "SO-YT"))
			assert_int_equal(e->agencies[i].c.done_on_time, 0);
	}
	hl_eval_free(e);
	/* the second reports done late: the task is done, late, on that day */
	r.agency = "SO-YT";
	r.at = "2025-07-03"; /* June's report, after its report day (the 25th): late */
	assert_int_equal(hl_task_report(&id, f->st, &f->local, &r), 0);
	assert_int_equal(status_at(f, "T", "7", "2025-07-04"), HL_TASK_DONE_LATE);
	hl_reports *rl = NULL;
	assert_int_equal(hl_task_reports(&rl, f->st, &f->local, "T/7", "2025-07-04"), 0);
	assert_int_equal(rl->n, 2);
	assert_string_equal(rl->v[0].report_due, "2025-06-25");
	assert_int_equal(rl->v[0].late, 0);
	assert_string_equal(rl->v[1].report_due, "2025-06-25");
	assert_int_equal(rl->v[1].late, 1);
	hl_reports_free(rl);
	/* its own report counts for a lead only: the first's does not make the second done */
	assert_int_equal(status_at(f, "T", "7", "2025-07-02"), HL_TASK_OVERDUE);
}

static void test_kpi_and_cancel(void **state)
{
	fx *f = *state;
	hl_kpis *l = NULL;
	small_plan(f);
	hl_kpi_in k = {.plan = "T",
	               .code = "DVC",
	               .name = "Tỷ lệ dịch vụ công trực tuyến toàn trình",
	               .unit = "%",
	               .baseline = 40,
	               .has_baseline = 1,
	               .target = 80,
	               .task = "T/1"};
	assert_int_equal(hl_kpi_set(f->st, &f->local, &k), 0);
	hl_kpi_in late = {.plan = "T",
	                  .code = "TRE",
	                  .name = "Hồ sơ trễ hạn",
	                  .unit = "hồ sơ",
	                  .target = 5,
	                  .lower_is_better = 1};
	assert_int_equal(hl_kpi_set(f->st, &f->local, &late), 0);
	assert_int_equal(
	    hl_kpi_record(f->st, &f->local, "T", "DVC", "2025-Q1", 50, NAN, "2025-04-02"), 0);
	/* corrected later the same quarter: the latest by the clock counts */
	assert_int_equal(
	    hl_kpi_record(f->st, &f->local, "T", "DVC", "2025-Q1", 60, NAN, "2025-04-20"), 0);
	assert_int_equal(
	    hl_kpi_record(f->st, &f->local, "T", "TRE", "2025-Q1", 4, NAN, "2025-04-02"), 0);
	assert_int_equal(hl_kpi_list(&l, f->st, &f->local, "T", "2025-04-10"), 0);
	assert_int_equal(l->n, 2);
	assert_string_equal(l->v[0].code, "DVC");
	assert_int_equal(l->v[0].nvalues, 1);
	assert_true(l->v[0].values[0].actual == 50);
	assert_true(l->v[0].values[0].achieved > 24.9 && l->v[0].values[0].achieved < 25.1);
	assert_false(l->v[0].values[0].met);
	assert_true(l->v[1].values[0].met); /* 4 late files, 5 at most */
	hl_kpis_free(l);
	assert_int_equal(hl_kpi_list(&l, f->st, &f->local, "T", "2025-04-21"), 0);
	assert_true(l->v[0].values[0].actual == 60);
	hl_kpis_free(l);
	assert_int_equal(
	    hl_kpi_record(f->st, &f->local, "T", "DVC", "2025-Q3", 70, NAN, "2025-04-21"),
	    HL_EINVALID);
	assert_int_equal(
	    hl_kpi_record(f->st, &f->local, "T", "XX", "2025-Q1", 70, NAN, "2025-04-21"),
	    HL_ENOTFOUND);
	k.target = 40;
	assert_int_equal(hl_kpi_set(f->st, &f->local, &k), HL_EINVALID);
	/* a cancelled task is counted apart */
	assert_int_equal(hl_task_cancel(f->st, &f->local, "T/5", ""), HL_EINVALID);
	assert_int_equal(hl_task_cancel(f->st, &f->local, "T/5", "Không còn phù hợp sau sáp nhập"),
	                 0);
	assert_int_equal(status_at(f, "T", "5", "2025-07-10"), HL_TASK_CANCELLED);
	hl_eval *e = NULL;
	hl_eval_in in = {.plan = "T", .period = "2025-Q2", .at = "2025-07-10"};
	assert_int_equal(hl_plan_eval(&e, f->st, &f->local, &in), 0);
	assert_int_equal(e->total.cancelled, 1);
	assert_int_equal(e->total.total, 8);
	hl_eval_free(e);
}

/* Item numbers are found by a table: every later repeat names the first row, a parent must be
 * a row above (itself is not), and 3,000 rows still say the same. */
static void test_item_numbers(void **state)
{
	fx *f = *state;
	hl_plan_import_stats s;
	assert_int_equal(import(f, &s, SMALL_PLAN, 0), 0);
	hl_plan_import_stats_free(&s);
	assert_int_equal(import(f, &s,
	                        "STT,Nhiệm vụ,Cơ quan chủ trì,Thuộc,plan_id\n"
	                        "1,A,Sở Tài chính,,T\n"
	                        "2,B,Sở Tài chính,1,T\n"
	                        "1,C,Sở Tài chính,,T\n"
	                        "3,D,Sở Tài chính,3,T\n"
	                        "1,E,Sở Tài chính,4,T\n"
	                        "4,F,Sở Tài chính,2,T\n",
	                        0),
	                 HL_EINVALID);
	assert_int_equal(s.nerrors, 4);
	assert_non_null(strstr(s.errors[0], "p.csv:4: item_no: \"1\" repeated (first on line 2)"));
	assert_non_null(strstr(s.errors[1], "p.csv:5: parent_item_no: not a row above it"));
	assert_non_null(strstr(s.errors[2], "p.csv:6: item_no: \"1\" repeated (first on line 2)"));
	assert_non_null(strstr(s.errors[3], "p.csv:6: parent_item_no: not a row above it"));
	hl_plan_import_stats_free(&s);
	/* many rows: the repeat at the end names its first */
	size_t cap = 3100 * 40, n = 0;
	char *csv = malloc(cap);
	n += (size_t)snprintf(csv + n, cap - n, "STT,Nhiệm vụ,Cơ quan chủ trì,Thuộc,plan_id\n");
	for (int k = 1; k <= 3000; k++)
		n += (size_t)snprintf(csv + n, cap - n, "%d,X,SO-TC,%s,T\n", k, k > 1 ? "1" : "");
	n += (size_t)snprintf(csv + n, cap - n, "2999,X,SO-TC,3001,T\n");
	assert_int_equal(import(f, &s, csv, 0), HL_EINVALID);
	assert_int_equal(s.nerrors, 2);
	assert_non_null(
	    strstr(s.errors[0], "p.csv:3002: item_no: \"2999\" repeated (first on line 3000)"));
	assert_non_null(strstr(s.errors[1], "p.csv:3002: parent_item_no: not a row above it"));
	hl_plan_import_stats_free(&s);
	free(csv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_real_appendix, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rollup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_eval_quarter, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_verify_and_snapshot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_rows, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_reports, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_roles, setup, teardown),
	    cmocka_unit_test(test_periods),
	    cmocka_unit_test_setup_teardown(test_inspection_and_lessons, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kpi_and_cancel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_two_leads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_item_numbers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
