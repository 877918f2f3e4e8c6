/* Plans and their tasks (src/lib/plans/): deadlines as Vietnamese plans write them, the
 * agencies tasks are assigned to, plans imported from their task appendix, the reports of the
 * lead agencies and their verification, the status of every task at a clock, evaluation of a
 * period, inspections and lessons learned. */
#ifndef HALONG_PLANS_H
#define HALONG_PLANS_H

#include <stdint.h>

#include "archive.h"
#include "auth.h"
#include "common.h"
#include "exchange.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- deadlines (src/lib/plans/due.c) ---- */

/* The forms of a deadline ("thời gian hoàn thành"). */
typedef enum {
	HL_DUE_NONE = 0, /* nothing written */
	HL_DUE_DATE,     /* 30/6/2025, trước ngày 30/6/2025, 2025-06-30 */
	HL_DUE_MONTH,    /* 6/2025, Tháng 6/2025, tháng 6 năm 2025 */
	HL_DUE_QUARTER,  /* Quý II/2025, quý 2 năm 2025 */
	HL_DUE_HALF,     /* 6 tháng đầu năm 2025, 6 tháng cuối năm 2025 */
	HL_DUE_YEAR,     /* 2025, Năm 2025 */
	HL_DUE_RANGE,    /* 2025 - 2026, 6/2025 - 12/2026, từ 2025 đến 2030 */
	HL_DUE_RECURRING, /* Hằng năm, Hằng quý, Hằng tháng, 6 tháng một lần, trước ngày 15 hằng
	                   * tháng, 2025 và những năm tiếp theo */
	HL_DUE_ONGOING, /* Thường xuyên, Nhiệm vụ thường xuyên: reported each reporting period */
	HL_DUE_UNREAD, /* not one of these: kept as written and reported, never guessed */
} hl_due_kind;

typedef enum {
	HL_FREQ_NONE = 0,
	HL_FREQ_MONTHLY,
	HL_FREQ_QUARTERLY,
	HL_FREQ_HALF_YEARLY,
	HL_FREQ_YEARLY,
} hl_freq;

/* A deadline read. Dates are ISO yyyy-mm-dd, "" when the form has none. */
typedef struct {
	hl_due_kind kind;
	char start[11]; /* the first day of the period written (a range: of its first period) */
	char due[11];   /* the last day: the deadline; "" for a recurring or ongoing duty */
	hl_freq freq;   /* recurring: how often */
	int month, day; /* recurring: a fixed day ("trước ngày 15 hằng tháng": 0, 15; "ngày
	                 * 20/12 hằng năm": 12, 20); 0: the period's last day */
} hl_due;

/* Reads `text` (UTF-8; tones, case and spaces as written are all accepted). 0 and *out; a
 * deadline it cannot read: HL_EINVALID with a message quoting it and listing the forms read,
 * out->kind HL_DUE_UNREAD. An empty text: 0, HL_DUE_NONE. A date that does not exist
 * (31/6/2025), a month 13, a quarter V, a range that ends before it starts: HL_EINVALID. */
int hl_due_parse(hl_due *out, const char *text);

/* "date", "month", "quarter", "half", "year", "range", "recurring", "ongoing", "unread",
 * "none". */
const char *hl_due_kind_name(hl_due_kind k);

/* Each dated occurrence of `d` whose deadline falls in [from, to] (ISO dates), in order: cb gets
 * the occurrence's first day and its deadline; non-zero from cb stops (a negative code is
 * returned). A recurring duty starts at its own start (2025 và những năm tiếp theo) or at
 * `from`; an ongoing one recurs by `every` (the plan's reporting period; HL_FREQ_NONE: none);
 * any other form is one occurrence. At most 10,000 occurrences (HL_ELIMIT beyond). */
int hl_due_occurrences(const hl_due *d, hl_freq every, const char *from, const char *to,
                       int (*cb)(const char *start, const char *due, void *ud), void *ud);

/* ---- agencies (src/lib/plans/agency.c) ----
 *
 * The bodies tasks are assigned to besides the communes: the province's departments and
 * offices (sở, ban, văn phòng), which are not administrative units. A register loaded from a
 * CSV (data/agencies), each agency valid from a day to a day; one that ended names its
 * successor. */

typedef enum {
	HL_AGENCY_SO = 0,    /* so: a department (sở) */
	HL_AGENCY_BAN,       /* ban: a board */
	HL_AGENCY_VAN_PHONG, /* van_phong: an office */
	HL_AGENCY_SU_NGHIEP, /* don_vi_su_nghiep: a public service unit */
	HL_AGENCY_KHAC,      /* khac: another body that leads tasks (police, border guard) */
} hl_agency_kind;

typedef struct {
	char *code, *name, *short_name, *valid_from, *valid_to, *successor_code, *source, *note;
	hl_agency_kind kind;
} hl_agency;

typedef struct {
	size_t n;
	hl_agency *v;
} hl_agencies;

void hl_agencies_free(hl_agencies *l);
const char *hl_agency_kind_name(hl_agency_kind k);

typedef struct {
	uint64_t added, changed, unchanged;
	int64_t total; /* agencies in the register after the load */
} hl_agency_load_stats;

/* Loads the register at `path` (columns code, name, kind; short_name, valid_from, valid_to,
 * successor_code, source, note optional) in one transaction: new agencies added, changed ones
 * updated, the same ones left; loading twice changes nothing. A bad row (an empty or repeated
 * code, an unknown kind, a bad date, valid_to before valid_from, a successor that is not in
 * the file or the register) is HL_EINVALID naming the file, its line and the column, and
 * nothing is loaded. A load that changes anything is audited ("agency.load" by `actor`). */
int hl_agency_load(hl_agency_load_stats *out, hl_store *st, const char *path, const char *actor);

/* The agencies valid on `date` (ISO; NULL: every one ever), by code. */
int hl_agency_list(hl_agencies **out, hl_store *st, const char *date);

/* The agency named `name` on `date` (ISO; NULL: today's register, every agency): by code, by
 * name or by short name, compared without tones, case or repeated spaces; "tỉnh Quảng Ninh" at
 * the end may be left out. *out one agency. Unknown: HL_ENOTFOUND with a message naming the
 * closest known names ("unknown agency \"Sở Tai chinh\"; closest: Sở Tài chính tỉnh Quảng
 * Ninh (SO-TC)"). */
int hl_agency_find(hl_agency **out, hl_store *st, const char *name, const char *date);
void hl_agency_free(hl_agency *a);

/* ---- the clock ----
 *
 * Everything that depends on the day takes `at` (ISO yyyy-mm-dd; NULL: the clock). The clock is
 * today (UTC) unless the environment sets HALONG_TODAY=yyyy-mm-dd, which tests use. */

/* Writes the clock's day into out. */
void hl_plans_today(char out[11]);

/* ---- settings (plan.c) ----
 *
 * Stored in the store (plan_setting); each has a default:
 *   cutoff_day   14   the data cut-off day of a reporting period (Nghị định 09/2019/NĐ-CP,
 *                     Điều 12: a month's data from the 15th of the month before to the 14th)
 *   report_day   25   the day of a period's last month by which its report is due (Điều 13 k1:
 *                     the 25th for reports to the Government; a province may set its own)
 *   soon_days    7    "due soon": due within this many days
 *   rank_rule    "done_on_time=2,done_late=1,open_on_time=0,waiting=0,overdue=-2"
 *                     the agencies' score: the sum of weight × count over the tasks due,
 *                     divided by the tasks due; ties go to fewer overdue, then the code */
int hl_plans_setting_get(char **value, hl_store *st, const char *key);
/* Checks the value against its key (a day 1–28, days 0–365, a rule of known names); audited. */
int hl_plans_setting_set(hl_store *st, const hl_principal *who, const char *key, const char *value);

/* ---- periods (period.c) ---- */

/* A reporting period: a month (2025-06, 6/2025, Tháng 6/2025), a quarter (2025-Q2, Quý II/2025),
 * a half (2025-H1, 6 tháng đầu năm 2025) or a year (2025). */
typedef struct {
	char label[8];                   /* canonical: 2025-06, 2025-Q2, 2025-H1, 2025 */
	char from[11];                   /* its first day */
	char to[11];                     /* its last day */
	hl_freq freq;                    /* monthly, quarterly, half-yearly, yearly */
	char data_from[11], data_to[11]; /* the data window by the cut-off day (Điều 12) */
	char report_due[11];             /* report_day of its last month */
} hl_period;

/* Reads `text` into *out; cutoff_day and report_day as the settings (0: 14 and 25). A text that
 * is not a period, or a period that does not exist (2025-13, Quý V/2025): HL_EINVALID. */
int hl_period_parse(hl_period *out, const char *text, int cutoff_day, int report_day);

/* ---- plans (plan.c, import.c) ---- */

typedef struct {
	char *id, *number, *date, *issuer, *title, *period_from, *period_to, *compiler,
	    *document_id, *note;
	hl_freq report_every; /* the reporting period of an ongoing duty (monthly by default) */
	hl_access access;     /* the level of the plan, its tasks and reports */
	int64_t tasks;        /* its tasks (sections not counted) */
} hl_plan;

typedef struct {
	size_t n;
	hl_plan *v;
} hl_plans;

void hl_plan_free(hl_plan *p);
void hl_plans_free(hl_plans *l);

/* The plans `who` may read (their level at most hl_auth_ceiling), by id. */
int hl_plan_list(hl_plans **out, hl_store *st, const hl_principal *who);
/* One plan; one that is missing or above who's level is the same HL_ENOTFOUND. */
int hl_plan_get(hl_plan **out, hl_store *st, const hl_principal *who, const char *id);

typedef struct {
	const char *plan;        /* the plan of a task file without a plan_id column */
	const char *sheet;       /* XLSX: the sheet (NULL: the first) */
	int keep_unknown;        /* an agency not in the register is kept as written (else an
	                          * error); each one is named in the notes */
	const char *at;          /* the day agencies are named on (NULL: the plan's date) */
	const char *compiler;    /* a plans file: the compiling agency of rows without one */
	const char *name;        /* the file as messages and the audit name it (NULL: path) */
	hl_progress_cb progress; /* rows read, then rows written (may be NULL) */
	void *ud;
} hl_plan_import_opts;

typedef struct {
	uint64_t rows, plans, added, changed, unchanged, sections;
	uint64_t unread;  /* deadlines kept as written, not read (named in notes) */
	uint64_t kept;    /* agency names kept as written (named in notes) */
	uint64_t generic; /* generic phrases ("các bộ, ngành, địa phương") */
	char **notes;     /* "FILE:LINE: ..." one per deadline not read and name kept */
	size_t nnotes;
	char **errors; /* a refused import: "FILE:LINE: column: why", each bad row (at most
	                * 1,000) */
	size_t nerrors;
} hl_plan_import_stats;

void hl_plan_import_stats_free(hl_plan_import_stats *s);

/* Imports FILE (CSV or XLSX, told by its content) in one transaction:
 *  - a plans file (columns id or plan_id, title, period; number, date, issuer, compiler,
 *    report_every, access, document_id, note): each plan added or updated;
 *  - a task appendix, by Vietnamese headers (STT, Nhiệm vụ, Cơ quan chủ trì, Cơ quan phối hợp,
 *    Thời gian hoàn thành, Sản phẩm, Trọng số, Thuộc) or English keys (item_no, title,
 *    lead_agency, supporting_agencies, due, output, weight, parent_item_no, plan_id): tasks
 *    added, changed or left as they are, keyed by the plan and STT. A section (I, II…) has no
 *    agency; a task's parent is the column's, else read from its number (1.2 under 1, a) under
 *    the last number, a number under the last section).
 * Every row is checked before anything is written: an empty or repeated STT, a parent not
 * above it, a deadline before the plan starts or beginning after it ends, a weight not in
 * (0, 1000], an
 * unknown agency (with its closest names) — each is "FILE:LINE: column: why" in out->errors,
 * the HL_EINVALID message is the first one and how many more, and nothing is written (free
 * out with hl_plan_import_stats_free whatever the result). Importing the same file twice
 * changes nothing. Audited ("plan.import"). Needs `who` local or admin. */
int hl_plan_import(hl_plan_import_stats *out, hl_store *st, const hl_principal *who,
                   const char *path, const hl_plan_import_opts *o);

/* ---- tasks and their status (status.c) ---- */

typedef enum {
	HL_TASK_NOT_STARTED = 0, /* no report yet, its deadline not passed */
	HL_TASK_ON_TIME,         /* in progress, its deadline not passed (or none) */
	HL_TASK_OVERDUE,         /* not done and its deadline passed */
	HL_TASK_DONE_ON_TIME,
	HL_TASK_DONE_LATE,
	HL_TASK_WAITING, /* waiting for guidance: blocked by something outside the agency */
	HL_TASK_CANCELLED,
	HL_TASK_STATUS_COUNT,
} hl_task_status;

/* "not_started", "on_time", "overdue", "done_on_time", "done_late", "waiting", "cancelled". */
const char *hl_task_status_name(hl_task_status s);
/* The Vietnamese words: "Chưa triển khai", "Đang thực hiện, đúng tiến độ", … */
const char *hl_task_status_vi(hl_task_status s);

typedef struct {
	char *code; /* NULL: a generic phrase or a name kept as written */
	char *name; /* as the plan writes it */
	int lead;   /* 1 lead (chủ trì), 0 supporting (phối hợp) */
} hl_task_agency;

typedef struct {
	int64_t id;
	char *plan_id, *item_no, *parent_no, *title, *output, *due_text, *origin, *cancelled;
	double weight;
	hl_due due; /* the deadline read (kind HL_DUE_UNREAD: kept as written) */
	hl_task_agency *agencies;
	size_t nagencies;
	int depth; /* 0 a section or a top task */
	int leaf;  /* no sub-task */
	/* at the clock */
	hl_task_status status;
	double progress;     /* 0–100; a parent's by its children's weights */
	char judged_due[11]; /* the deadline (of the occurrence) the status is judged against */
	int64_t last_report; /* the report the status comes from (0: none) */
} hl_task;

typedef struct {
	size_t n;
	hl_task *v;
} hl_tasks;

void hl_tasks_free(hl_tasks *l);
void hl_task_free(hl_task *t);

/* A plan's tasks in their order with their status and progress at `at`: a report counts from
 * its day, until it is returned (a returned one counts no more; its correction does). */
int hl_plan_tasks(hl_tasks **out, hl_store *st, const hl_principal *who, const char *plan_id,
                  const char *at);
/* One task, named "PLAN/STT" or by its number id, with its status at `at`. */
int hl_task_get(hl_task **out, hl_store *st, const hl_principal *who, const char *ref,
                const char *at);

/* ---- reports and verification (report.c) ---- */

typedef enum {
	HL_REPORT_PROGRESS = 0, /* "progress": under way */
	HL_REPORT_DONE,         /* "done" (done_on: the day) */
	HL_REPORT_WAITING,      /* "waiting": waiting for guidance */
} hl_report_state;

const char *hl_report_state_name(hl_report_state s);
int hl_report_state_parse(hl_report_state *out, const char *s);

typedef struct {
	const char *task;   /* "PLAN/STT" or the id */
	const char *agency; /* the agency reporting (NULL: the user's own) */
	const char *period; /* see hl_period_parse */
	int progress;       /* 0–100 */
	hl_report_state state;
	const char *done_on; /* done: the day (NULL: the report's day) */
	const char *results, *difficulties, *proposals;
	/* document ids of the archive, and files uploaded for the reporting agency as "file:ID"
	 * (hl_evidence_put), separated by spaces or commas */
	const char *evidence;
	int64_t corrects;                /* the returned report this one corrects, 0: none */
	const char *at;                  /* the report's day (NULL: the clock) */
	const char *origin, *message_id; /* a report that came over the exchange */
} hl_report_in;

/* A file uploaded as evidence: its bytes are a blob of the archive (sha256). */
typedef struct {
	int64_t id, size;
	char *name, *sha256, *agency, *at, *by;
} hl_evidence_file;

void hl_evidence_file_clear(hl_evidence_file *f);

typedef struct {
	int64_t id, task_id, corrects;
	char *task_ref, *agency, *period, *period_from, *period_to, *done_on, *results,
	    *difficulties, *proposals, *evidence, *at, *by, *origin;
	int progress;
	hl_report_state state;
	/* its latest verification at the clock: "pending", "accepted", "returned" */
	char *verdict, *verdict_comment, *verdict_at, *verdict_by;
	/* the exchange message that brought it here (origin set: the sending node's), or that
	 * took it to the province (origin NULL: made here and sent); NULL: it never travelled */
	char *message_id;
	/* the files its evidence cites (file:ID), set by hl_task_reports */
	size_t nfiles;
	hl_evidence_file *files;
	/* its period's report_due by the settings (Nghị định 09/2019: the report_day of the
	 * period's last month), and whether it was made after that day */
	char report_due[11];
	int late;
} hl_report;

typedef struct {
	size_t n;
	hl_report *v;
} hl_reports;

void hl_reports_free(hl_reports *l);

/* Records a report, never changing an earlier one. Refused with nothing written: a task of a
 * plan `who` cannot read (HL_ENOTFOUND), an agency that is not the task's lead, or a user who is
 * not of that agency (HL_EDENIED: an officer reports for their own agency only; the local
 * operator for any), a period that does not exist, is outside the plan or has not begun on the
 * report's day, progress outside 0–100, done before 100 or 100 but not done, done_on after the
 * report's day, evidence that is not a document of the archive, a correction of a report that
 * is not this task's or not returned (HL_EINVALID, naming the field). Audited ("task.report"). */
int hl_task_report(int64_t *id, hl_store *st, const hl_principal *who, const hl_report_in *in);

/* ---- evidence files (report.c) ---- */

/* An uploaded file is at most this big. */
#define HL_EVIDENCE_MAX_BYTES (20 * 1024 * 1024)

/* Keeps the file at `path` as evidence for the reports of `agency` (NULL or "": the officer's
 * own; the local operator and an admin name one): its bytes in the archive's blob store, a row
 * naming it `name` (what the uploader called it: its last path component, 1–200 bytes of
 * UTF-8 without control characters). A report of that agency cites it as "file:ID"; a report
 * of another agency may not. Its size is checked before reading: empty, over
 * HL_EVIDENCE_MAX_BYTES or not a regular file is refused with nothing written. An officer of
 * an agency, an admin or the local operator. Audited ("evidence.upload"). */
int hl_evidence_put(hl_evidence_file *out, hl_archive *a, const hl_principal *who,
                    const char *agency, const char *name, const char *path);

/* File `id` for `who`, with the path of its bytes (*path, malloc'd): the local operator; a
 * user of the agency it was uploaded for; whoever reads a report citing it (a report is
 * read by the readers of its plan). Anyone else gets HL_ENOTFOUND, exactly as for a missing
 * file. A read through a restricted plan's report is audited ("evidence.read"). */
int hl_evidence_get(hl_evidence_file *out, char **path, hl_archive *a, const hl_principal *who,
                    int64_t id);

/* A task's reports, oldest first, each with its latest verification at `at`. */
int hl_task_reports(hl_reports **out, hl_store *st, const hl_principal *who, const char *ref,
                    const char *at);

/* Accepts (accept 1) or returns (0, with a comment required) report `id`. Only the plan's
 * compiler — a user of the plan's compiling agency, an admin, or the local operator — verifies
 * (else HL_EDENIED); a report already accepted, or corrected by a later one, is HL_ECONFLICT.
 * Audited ("report.verify"). */
int hl_report_verify(hl_store *st, const hl_principal *who, int64_t id, int accept,
                     const char *comment, const char *at);

/* The reports waiting for verification in the plans `who` compiles (every plan for an admin or
 * the local operator), by plan, task and day. plan_id NULL: every plan. */
int hl_report_queue(hl_reports **out, hl_store *st, const hl_principal *who, const char *plan_id,
                    const char *at);

/* The agency `who` reports for: the user's agency (auth_user.agency_code), else their unit.
 * "" for the local operator and anonymous. */
int hl_plans_user_agency(char out[33], hl_store *st, const hl_principal *who);
/* Sets a user's agency: an agency of the register or a commune, by code or name (NULL or "":
 * none, the user's unit again); `code`, when not NULL, gets the code set. Admin or local;
 * audited ("user.agency"). */
int hl_plans_user_agency_set(hl_store *st, const hl_principal *who, const char *username,
                             const char *agency, char code[33]);

/* ---- evaluation (eval.c) ---- */

typedef struct {
	uint64_t total; /* the tasks counted (due in the period, or every task) */
	uint64_t done_on_time, done_late, open_on_time, overdue, waiting, not_started, cancelled;
	uint64_t no_deadline; /* of open_on_time: a task without a deadline read */
	double score;         /* the ranking rule's */
} hl_eval_counts;

typedef struct {
	char *code, *name;
	hl_eval_counts c;
	int rank; /* 1 the best */
} hl_eval_agency;

typedef struct {
	int64_t task_id;
	char *ref, *title, *agency, *due;
	hl_task_status status;
	int days; /* overdue: days past; soon: days left */
} hl_eval_item;

typedef struct {
	const char *plan;      /* NULL: every plan who reads */
	const char *period;    /* a period (hl_period_parse) … */
	const char *from, *to; /* … or dates; none of the three: every task at the clock */
	const char *agency;    /* a code, or NULL for all */
	const char *at;
	int soon_days; /* 0: the setting */
} hl_eval_in;

typedef struct {
	char from[11], to[11], at[11], period[8];
	char *rule;
	hl_eval_counts total;
	hl_eval_agency *agencies; /* ranked */
	size_t nagencies;
	hl_eval_item *overdue, *soon;
	size_t noverdue, nsoon;
	char *line_vi, *line_en; /* the count line the committee publishes */
	int has_previous;
	char previous_period[8];
	hl_eval_counts previous; /* from the snapshot frozen when the previous period closed */
} hl_eval;

void hl_eval_free(hl_eval *e);

/* Counts the tasks due in the period (or every task) at the clock: per agency (the lead ones;
 * a task of two leads counts for each) and in all, the lists of overdue tasks and of those
 * due within soon_days, the ranking by the rule, and the previous period's snapshot when one
 * was frozen. A period that does not exist: HL_EINVALID. */
int hl_plan_eval(hl_eval **out, hl_store *st, const hl_principal *who, const hl_eval_in *in);

/* Freezes the evaluation of a period that has ended (at the clock) as its snapshot; one that is
 * not over, or frozen already, is HL_ECONFLICT. Local operator, admin or the compiler. */
int hl_plan_close_period(hl_store *st, const hl_principal *who, const char *plan,
                         const char *period, const char *at);

/* ---- inspections and lessons (inspect.c) ---- */

typedef struct {
	const char *plan, *date, *team, *scope, *agency, *findings, *rating;
	/* follow-up actions: each becomes a task of the plan (STT KT<id>.<n>, origin
	 * "inspection:<id>"), led by its agency, due as written */
	const char *const *follow_title, *const *follow_agency, *const *follow_due;
	size_t nfollow;
	const char *at;
} hl_inspection_in;

/* Records an inspection (an inspector, an admin or the local operator) and its follow-up
 * tasks in one transaction. rating: "tot", "kha", "dat", "chua_dat" (tốt, khá, đạt, chưa đạt).
 * Audited ("inspection.add"). */
int hl_inspection_add(int64_t *id, hl_store *st, const hl_principal *who,
                      const hl_inspection_in *in);

/* An inspection as recorded, with its follow-up tasks ("PLAN/STT" each). */
typedef struct {
	int64_t id;
	char *plan, *date, *team, *scope, *agency, *findings, *rating, *at, *by;
	size_t nfollow;
	char **follow;
} hl_inspection;

typedef struct {
	size_t n;
	hl_inspection *v;
} hl_inspections;

void hl_inspections_free(hl_inspections *l);
/* The inspections of `plan` (one `who` reads, else HL_ENOTFOUND), newest first (by date, then
 * as recorded). */
int hl_inspection_list(hl_inspections **out, hl_store *st, const hl_principal *who,
                       const char *plan);

typedef struct {
	const char *title, *body, *task, *agency, *at;
} hl_lesson_in;

/* Records a lesson learned linked to a task and/or an agency, and puts it in the archive's
 * search index (kind:lesson; a busy index takes it at its next update). Audited
 * ("lesson.add"). */
int hl_lesson_add(int64_t *id, hl_archive *a, const hl_principal *who, const hl_lesson_in *in);

typedef struct {
	int64_t id;
	char *title, *body, *task_ref, *agency, *at, *by;
	char *snippet; /* from a search: the text around the words found, marked; else NULL */
} hl_lesson;

typedef struct {
	size_t n;
	hl_lesson *v;
	uint64_t total; /* from a search: how many match (total_exact: counted, else about) */
	int total_exact;
} hl_lessons;

void hl_lessons_free(hl_lessons *l);
/* The lessons `who` may read (those of the plans it reads; a lesson of no task is internal)
 * found by the archive's search: `opts->query` in its language (src/lib/search/README.md:
 * tones and case aside, Telex, phrases, -exclusions, prefix*, year:) with kind:lesson; the
 * best first, or newest first when it has no word; opts' offset, limit (0: 10) and marks as
 * for hl_archive_search. A restricted lesson shown with its snippet is audited as a read. */
int hl_lesson_search(hl_lessons **out, hl_archive *a, const hl_principal *who,
                     const hl_search_opts *opts);

/* ---- KPI indicators (kpi.c) ----
 *
 * An indicator of a plan (optionally of one task): its unit, a baseline, a target, and which
 * direction is better; values (actual, and a target of the period when it has its own) recorded
 * per period, never overwritten: the latest recorded by the clock counts. */

typedef struct {
	const char *plan, *code, *name, *unit, *task;
	double baseline, target;
	int has_baseline;
	int lower_is_better; /* 0: a higher value is better */
} hl_kpi_in;

typedef struct {
	char period[8];
	double actual, target;
	int has_target;
	char *at, *by;
	double achieved; /* (actual - baseline) / (target - baseline) × 100, by the direction */
	int met;         /* actual reached the target */
} hl_kpi_value;

typedef struct {
	char *plan, *code, *name, *unit, *task_ref;
	double baseline, target;
	int has_baseline, lower_is_better;
	hl_kpi_value *values; /* by period */
	size_t nvalues;
} hl_kpi;

typedef struct {
	size_t n;
	hl_kpi *v;
} hl_kpis;

void hl_kpis_free(hl_kpis *l);
/* Adds or changes an indicator (admin, the plan's compiler or the local operator). A code of
 * 1–32 letters, digits, - _ .; a name; a target; baseline and target finite; the task one of
 * the plan's. Audited ("kpi.set"). */
int hl_kpi_set(hl_store *st, const hl_principal *who, const hl_kpi_in *in);
/* Records the actual value of indicator `code` for a period of the plan (begun by the clock);
 * target_or_nan: the period's own target (NAN: the indicator's). Audited ("kpi.record"). */
int hl_kpi_record(hl_store *st, const hl_principal *who, const char *plan, const char *code,
                  const char *period, double actual, double target_or_nan, const char *at);
/* The indicators of a plan with their values recorded by `at`. */
int hl_kpi_list(hl_kpis **out, hl_store *st, const hl_principal *who, const char *plan,
                const char *at);

/* ---- cancelling a task (report.c) ---- */

/* Cancels a task (the plan's compiler, an admin or the local operator) with the reason; its
 * reports stay. A cancelled task is counted apart. Audited ("task.cancel"). */
int hl_task_cancel(hl_store *st, const hl_principal *who, const char *ref, const char *reason);

/* ---- out: calendar feeds and exports (out.c) ---- */

/* A calendar feed of an agency's tasks: an iCalendar file at /feeds/plans/TOKEN.ics that a
 * calendar application polls without logging in. Only the SHA-256 of its token is kept. */
typedef struct {
	char id[13];   /* the first 12 hex digits of the token's SHA-256: how it is named */
	char hash[65]; /* the token's SHA-256, lower-case hex */
	char *agency, *label, *created_at, *created_by;
	char *revoked_at; /* NULL while it serves */
} hl_plan_feed;

typedef struct {
	size_t n;
	hl_plan_feed *v;
} hl_plan_feeds;

void hl_plan_feeds_free(hl_plan_feeds *l);

/* A new feed of `agency`'s tasks (a code of the register, or a unit's code; a name of the
 * register is read as its code). Made by the local operator, an admin, or a user of that
 * agency who is not a viewer (else HL_EDENIED). label: at most 100 bytes, optional. *token
 * (malloc'd): "hlc_" and 32 random bytes in base64url, given this once; the store keeps its
 * SHA-256. *id (may be NULL): the feed's id. Audited ("plan.feed.new"; the token never). */
int hl_plans_feed_new(char **token, char id[13], hl_store *st, const hl_principal *who,
                      const char *agency, const char *label);

/* Revokes the feed named by `ref`: its id, or any prefix of its hash of at least 8 hex digits
 * that names one feed (several: HL_EINVALID listing them). A feed the caller may not manage is
 * HL_ENOTFOUND like one that does not exist; one revoked already is HL_ECONFLICT. From then on
 * its token answers as an unknown one; at once, whatever the plans' clock. Audited
 * ("plan.feed.revoke"). */
int hl_plans_feed_revoke(hl_store *st, const hl_principal *who, const char *ref);

/* The feeds the caller manages, newest first, revoked ones too: every feed for the local
 * operator and an admin, their agency's for a user of an agency (none: HL_EDENIED). */
int hl_plans_feed_list(hl_plan_feeds **out, hl_store *st, const hl_principal *who);

/* The iCalendar (RFC 5545) text of the feed of `token` at the clock `at`: one VTODO for each
 * task the agency leads and each occurrence of a duty (DUE as a date, STATUS, PERCENT-COMPLETE,
 * SUMMARY the title, DESCRIPTION the plan, STT, output and status), and an all-day VEVENT on
 * each deadline; UIDs "task-<id>-<yyyymmdd>@<host>" (host NULL: this machine's name). Only
 * plans of access public or internal are served (README "Out"). A token unknown or revoked is
 * HL_ENOTFOUND with the same message. *out malloc'd, *len its bytes. */
int hl_plans_ical(char **out, size_t *len, hl_store *st, const char *token, const char *host,
                  const char *at);

/* An export of a plan. what: "tasks", "reports" or "eval"; format: "csv", "xlsx", and for eval
 * "html" and "pdf" (the printable report). period: tasks due in it (tasks), reports for it
 * (reports), the period evaluated (eval; none: every task at the clock). */
typedef struct {
	const char *plan, *what, *format, *period, *at;
} hl_plans_export_in;

/* Writes the export to `path`: beside it first, then renamed, so that a refusal or a failure
 * leaves nothing there. A plan the caller may not read: HL_ENOTFOUND; an unknown what or
 * format, a combination not made, a period that does not exist: HL_EINVALID naming it. */
int hl_plans_export(hl_store *st, const hl_principal *who, const hl_plans_export_in *in,
                    const char *path);
/* The media type of an export format ("csv": "text/csv; charset=utf-8"); NULL for an unknown
 * format. */
const char *hl_plans_export_mime(const char *format);
/* Checks what and format as hl_plans_export does, before any work (HL_EINVALID naming the
 * field). */
int hl_plans_export_check(const hl_plans_export_in *in);

/* ---- warnings (notice.c) ----
 *
 * Due-soon and overdue notices to each lead agency of a task: found at the clock, kept in an
 * outbox (plan_notice: one row per agency, task, kind and deadline, so each is sent once) and
 * mailed as one digest per agency a run (SMTP through libcurl). A notice goes to an agency only
 * while the occurrence is open (not done, not waiting for guidance, not cancelled) and the
 * agency has no counted report (not returned) whose period holds that deadline; one that became
 * moot before it was sent is dropped, not sent. */

/* The settings of warnings (hl_plans_setting_get/set; an empty value clears one):
 *   smtp_url         ""     smtp://HOST[:PORT] or smtps://HOST[:PORT], no user in it
 *   mail_from        ""     the sender: "addr" or "Name <addr>"
 *   smtp_user        ""     authentication when set
 *   smtp_password    ""     never shown: hl_plans_setting_get says "(set)"; never audited
 *   smtp_starttls    try    no, try (when the server offers it), require; with a user,
 *                           try is require: a password never crosses in clear
 *   notice_attempts  5      tries of a notice before it is given up (1–100) */

/* Every setting's name, NULL-terminated. */
extern const char *const hl_plans_setting_names[];

typedef enum {
	HL_NOTICE_SOON = 0, /* "soon": due within soon_days (today included) */
	HL_NOTICE_OVERDUE,  /* "overdue": its deadline has passed */
} hl_notice_kind;

/* "soon", "overdue". */
const char *hl_notice_kind_name(hl_notice_kind k);

/* Sets where an agency's notices go: `code` an agency of the register or a unit, `email` one
 * address (hl_plans__email_valid's rules; NULL or "": removes it). A bad address or an unknown
 * code is HL_EINVALID naming it, and nothing is written. Admin or the local operator. Audited
 * ("agency.contact", the code; the address is not written in the log). */
int hl_plans_contact_set(hl_store *st, const hl_principal *who, const char *code,
                         const char *email);
/* *email malloc'd, NULL when the agency has none. Admin or the local operator. */
int hl_plans_contact_get(char **email, hl_store *st, const hl_principal *who, const char *code);

typedef struct {
	int64_t id; /* its row in the outbox; 0: not in it yet */
	int64_t task_id;
	hl_notice_kind kind;
	char due[11];
	int days; /* overdue: days past the deadline; soon: days left (0: today) */
	hl_task_status status;
	char *agency, *agency_name, *plan_id, *plan_number, *ref, *title;
	char *created_at, *sent_at, *last_error; /* the outbox's: NULL when not (yet) */
	int attempts;
} hl_notice;

typedef struct {
	size_t n;
	hl_notice *v;
} hl_notices;

void hl_notices_free(hl_notices *l);

typedef struct {
	uint64_t plans;   /* plans looked at */
	uint64_t current; /* notices that hold at the clock */
	uint64_t added;   /* new in the outbox */
} hl_notice_plan_stats;

/* Finds the due-soon (within the soon_days setting) and overdue occurrences of every plan's
 * tasks at `at` (NULL: the clock) for each lead agency with a code, and adds those not in the
 * outbox yet, in one transaction: running it twice adds nothing. progress: ("notices", plans
 * done, plans). */
int hl_plans_notices_plan(hl_notice_plan_stats *out, hl_store *st, const char *at,
                          hl_progress_cb progress, void *ud);

/* Where mail goes. Every field NULL or 0: the settings' (smtp_url, mail_from, smtp_user,
 * smtp_password, smtp_starttls, notice_attempts). */
typedef struct {
	const char *url;             /* smtp://host:port or smtps://host:port */
	const char *from;            /* "addr" or "Name <addr>" */
	const char *user, *password; /* NULL: no authentication */
	int starttls;     /* 0 never, 1 when offered (required with a user), 2 required */
	int max_attempts; /* a notice is tried this many times, then given up */
	long timeout_ms;  /* one message, connection included; 0: 60,000 */
} hl_smtp;

/* One agency's digest in a run. */
typedef struct {
	char *agency, *agency_name;
	hl_notice *items; /* overdue first, then due soon, each by deadline */
	size_t nitems;
	size_t noverdue, nsoon;
	size_t given_up; /* its notices not tried again (notice_attempts reached) */
	int sent;        /* 1: the server accepted the message */
	char *error;     /* why it was not sent (NULL: sent, or a dry run) */
	char *subject;   /* the digest's subject */
} hl_notice_digest;

typedef struct {
	char at[11];
	hl_notice_plan_stats planned;
	uint64_t dropped; /* moot notices removed before being sent */
	uint64_t sent;    /* notices in the digests the server accepted */
	uint64_t failed;  /* notices whose digest failed (kept, tried next run) */
	uint64_t waiting; /* notices of agencies without a contact (kept) */
	int dry_run;
	hl_notice_digest *v;
	size_t n;
} hl_notice_run;

void hl_notice_run_free(hl_notice_run *r);

#define HL_NOTICE_DIGEST_MAX 200 /* notices in one digest; the rest go in the next run's */

/* Mails each agency with a contact one digest (subject and body in Vietnamese) of its notices
 * in the outbox not sent and still holding at `at`, at most HL_NOTICE_DIGEST_MAX: sent_at is
 * set when the server accepts the message; a failure adds an attempt and keeps its error
 * (retried next run, until smtp->max_attempts). Unsent notices no longer holding are dropped
 * first. dry_run: the digests are built and nothing is sent or written (the notices not in the
 * outbox yet are counted as if they were). An SMTP setting missing or bad is HL_EINVALID before
 * anything is sent; a failed send is not an error of the call (out->failed, the digest's
 * error). The password is never in an error or a log. progress: ("mail", agencies done,
 * agencies). */
int hl_plans_notices_send(hl_notice_run **out, hl_store *st, const hl_smtp *smtp, const char *at,
                          int dry_run, hl_progress_cb progress, void *ud);

/* hl_plans_notices_plan then hl_plans_notices_send (dry_run: only the send, writing nothing):
 * the daily run, the SMTP settings checked before anything is written. Local operator or
 * admin. Audited ("plan.notify" by who: the counts, no address) when it changed anything. */
int hl_plans_notify(hl_notice_run **out, hl_store *st, const hl_principal *who, const hl_smtp *smtp,
                    const char *at, int dry_run, hl_progress_cb progress, void *ud);

/* The notices of `agency` that hold at `at` — what the web interface shows — each with its
 * outbox state (queued, sent, attempts, last error), overdue first. An officer sees their own
 * agency's (agency NULL: theirs); a user of a plan's compiling agency sees any agency's in the
 * plans it compiles; an admin and the local operator any (agency NULL: every agency's); anyone
 * else HL_EDENIED. Only plans the caller may read. An unknown agency: HL_EINVALID. */
int hl_plans_notices_list(hl_notices **out, hl_store *st, const hl_principal *who,
                          const char *agency, const char *at);

/* ---- over the exchange (exchange.c; src/lib/plans/README.md, "Over the exchange") ----
 *
 * A commune's node sends the reports made there to the province in "report" messages (kind
 * task.report); the province records each as coming from that node, and its compiler's verdict
 * goes back in a "report" message (kind report.verdict), which the commune records on its own
 * copy of the report. A message and its report are linked, on both nodes, by the message's id. */

/* On a commune's node: puts report `report_id` (made here, of this node's unit, not sent yet)
 * in the outbox to `to` (the province's unit) as a "report" message of kind task.report, in one
 * transaction with the mark that it was sent (its message_id) and an audit entry
 * ("task.send"). A correction of a returned report that was sent names that report's message.
 * Refused with nothing written: `who` may not send (hl_auth_check HL_ACT_SEND) or is an officer
 * of another agency (HL_EDENIED); no report `report_id` `who` may read (HL_ENOTFOUND); a report
 * that came from another node, or of another agency than this node's unit, or `to` this node
 * (HL_EINVALID); a report sent already (HL_ECONFLICT); what the outbox refuses (a recipient not
 * in the directory, a type it may not receive, a secret plan). *id: the message's id. */
int hl_task_report_send(char id[37], hl_node *self, const hl_principal *who, int64_t report_id,
                        const char *to);

/* The apply step of a "report" message (the exchange's, inside the inbox's transaction):
 *  - kind task.report: the report is recorded as hl_task_report records one, as made by
 *    "exchange:SENDER", its origin the sender's unit and its message_id the message's; the
 *    sender's unit must be the payload's agency and a lead agency of the task here;
 *  - kind report.verdict: the province's verdict recorded on the report this node sent in the
 *    message it names, whatever this node's own compiler rules (it is the province's word);
 *  - any other kind: nothing (the message stays in the inbox only).
 * 0, or a refusal with nothing written: HL_EINVALID (a payload that cannot be read, a field
 * the rules of a report refuse), HL_ELIMIT (a text over its limit), HL_EDENIED (the sender
 * does not lead the task, or reports for another agency), HL_ECONFLICT (what the message names
 * is not held here: the plan, the task, the report corrected; a report dated after today
 * here); any other code is a failure of the store. A verdict this node cannot record (it names
 * no report sent from here, or cannot be read) is not refused — nothing would ever make it
 * match, and the province's later messages would wait behind it — but taken without effect:
 * 1, with the error set (its code one of those above) for the caller to record. */
int hl_plans_exchange_apply(hl_store *st, const hl_exchange_message *m);

/* hl_report_verify on a node's data directory: a report that came from another node gets its
 * verdict back, a "report" message of kind report.verdict put in the outbox to that node in the
 * same transaction as the verification (this node's exchange identity is opened for it; what
 * the outbox refuses fails the verification, nothing written). hl_report_verify itself refuses
 * such a report (HL_EINVALID): it cannot reach the exchange. */
int hl_report_verify_archive(hl_archive *a, const hl_principal *who, int64_t id, int accept,
                             const char *comment, const char *at);

#ifdef __cplusplus
}
#endif
#endif
