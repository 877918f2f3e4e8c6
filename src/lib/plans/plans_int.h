/* Internals shared by the files of plans/. */
#ifndef HL_PLANS_INT_H
#define HL_PLANS_INT_H

#include "halong/plans.h"

/* A text as plans are read and matched: folded (no tones, lower case, đ as d), every run of
 * spaces (a no-break space too) one space, – — − as '-', no space at either end. malloc'd; NULL
 * when it is not UTF-8 (the error set by the text module). */
char *hl_plans__fold(const char *text);

/* ---- days (period.c) ---- */

/* Is s a real day yyyy-mm-dd (1900–2200)? */
int hl_plans__is_date(const char *s);
/* The clock's day: `at` checked (HL_EINVALID naming --at), or today (hl_plans_today). */
int hl_plans__clock(char out[11], const char *at);
/* Days since 1970-01-01; the day `days` after `iso`. */
long hl_plans__day_number(const char *iso);
void hl_plans__add_days(char out[11], const char *iso, long days);
/* An integer setting (its default when unset). */
int hl_plans__setting_int(hl_store *st, const char *key);
/* Reads a ranking rule "status=weight,..." into w (by hl_task_status; open_on_time is
 * on_time's weight). */
int hl_plans__rank_rule(double w[HL_TASK_STATUS_COUNT], const char *rule);

/* ---- agencies that were merged (agency.c) ---- */

/* The register's successions (an agency that ended names its successor) and the units' (a
 * commune or ward merged whole into a new one on 1 July 2025), looked up as needed. */
typedef struct {
	hl_store *st;
	hl_agencies *all;
	struct {
		char code[33], date[11], current[33];
	} * memo;
	size_t nmemo, capmemo;
} hl_plans__succ;

int hl_plans__succ_load(hl_plans__succ *s, hl_store *st);
void hl_plans__succ_free(hl_plans__succ *s);
/* The agency that carries `code`'s tasks on `date`: the successor of an agency that had ended
 * by then, or the unit a commune was merged into whole (the new one after the 2025 reform;
 * one split among several stays as it is), step after step (at most 8); `code` itself
 * otherwise. Valid until the next call. */
const char *hl_plans__current(hl_plans__succ *s, const char *code, const char *date);

/* The code of the agency or commune `name` names on `date`: an agency of the register (by code,
 * name or short name), or a commune, ward or special zone of the units by its code or whole
 * name. 1 and out; 0 when unknown (the error: the closest agencies' names); negative on a
 * failure. */
int hl_plans__agency_code(char out[33], hl_store *st, const char *name, const char *date);

/* What an import needs to tell names on one day, read once: every agency of the register by
 * code, name and short name (with those of the day marked), and every commune's code and whole
 * name of any day. */
typedef struct hl_plans__names hl_plans__names;
/* HL_EINVALID for a date that is not yyyy-mm-dd. */
int hl_plans__names_load(hl_plans__names **out, hl_store *st, const char *date);
void hl_plans__names_free(hl_plans__names *n);
/* What hl_plans__agency_code(out, st, name, date) answers, where the table can tell it: 1 and
 * out for the one agency of the day named by code, name or short name; 0 for a name that is no
 * agency's, of any day, and no commune's code or whole name, of any day (unknown: its message,
 * the closest names, is not made); -1 when only hl_plans__agency_code can tell (a commune, an
 * agency of another day, a name of two agencies, a name it would refuse). */
int hl_plans__names_code(char out[33], const hl_plans__names *n, const char *name);

/* ---- reading plans (status.c) ---- */

/* May `who` read plan p? */
int hl_plans__may_read(const hl_principal *who, const hl_plan *p);
/* The plan `id` as `who` may read it (HL_ENOTFOUND otherwise). */
int hl_plans__plan(hl_plan **out, hl_store *st, const hl_principal *who, const char *id);
/* Resolves "PLAN/STT" or a number to a task id and its plan, readable by who. */
int hl_plans__task_ref(int64_t *id, hl_plan **plan, hl_store *st, const hl_principal *who,
                       const char *ref);

/* A report as the status needs it. */
typedef struct {
	int64_t id, task_id;
	char pfrom[11], pto[11], done_on[11], at[11];
	char agency[33];                      /* the agency reporting */
	signed char state, progress, counted; /* counted: not returned */
} hl_plans__rep;

/* A plan's tasks and the reports made by the clock, each task's reports found by its index. */
typedef struct {
	hl_plan *plan;
	hl_tasks *tasks;
	hl_plans__rep *reps;
	size_t nreps, capreps;
	size_t *first, *count; /* by task index: its reports reps[first .. first+count) */
	size_t *order;         /* task indexes by id */
	char at[11];
} hl_plans__view;

/* Loads plan_id as `who` may read it at `at` and judges every task. */
int hl_plans__view_load(hl_plans__view *v, hl_store *st, const hl_principal *who,
                        const char *plan_id, int64_t task_id, const char *at);
/* The same for counting statuses (the evaluation), of a plan read already (by a caller who may
 * read it): of a one-off task only the report its status needs is read (its latest not
 * returned), not its history (last_report is that one). */
int hl_plans__view_status(hl_plans__view *v, hl_store *st, const hl_plan *plan, const char *at);
void hl_plans__view_free(hl_plans__view *v);
void hl_plans__view_judge(hl_plans__view *v);
/* The status of task ti for the occurrence due `due` ("" none); recurring: only the reports of
 * a period holding that day count. done_on and progress may be NULL. A task of several lead
 * agencies (codes of the register) is judged for each lead on its own reports, then as one:
 * done when every lead is done (late if one is; done_on the last), else overdue if one is,
 * else waiting if one is, else under way if one has reported, else not started; its progress
 * the leads' mean. */
hl_task_status hl_plans__judge(const hl_plans__view *v, size_t ti, const char *due, int recurring,
                               char done_on[11], int *progress);
/* The same for one lead agency `lead` (its code as the task names it): the reports of that
 * agency, and those of an agency the task does not name as a lead (the successor of one that
 * ended). A task of one lead is judged as a whole. */
hl_task_status hl_plans__judge_lead(const hl_plans__view *v, size_t ti, const char *due,
                                    int recurring, const char *lead, char done_on[11],
                                    int *progress);
/* How many distinct lead agencies of the register task t has (codes). */
size_t hl_plans__coded_leads(const hl_task *t);
/* Does the task recur (a recurring or ongoing duty)? */
int hl_plans__recurs(const hl_task *t);

/* ---- reports (report.c) and the exchange (exchange.c) ---- */

/* Report `id` with its latest verdict whatever the clock: *out holds it, or none. */
int hl_plans__report_get(hl_reports **out, hl_store *st, int64_t id);
/* hl_report_verify; `archive` (may be NULL) is the node's data directory, needed for a report
 * that came from another node (its verdict goes back: hl_plans__verdict_put). */
int hl_plans__verify(hl_store *st, hl_archive *archive, const hl_principal *who, int64_t id,
                     int accept, const char *comment, const char *at);
/* Inside the verification's transaction: report r, which came from node r->origin in message
 * r->message_id, gets its verdict back (a "report" message of kind report.verdict), audited
 * as exchange.send by `actor`. */
int hl_plans__verdict_put(hl_archive *archive, const hl_report *r, const hl_plan *plan, int accept,
                          const char *comment, const char *day, const char *actor);

#endif
