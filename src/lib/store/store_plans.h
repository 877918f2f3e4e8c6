/* The store's statements for plans/: agencies, plans, tasks, reports and their verification,
 * settings, snapshots, inspections and lessons. */
#ifndef HALONG_STORE_PLANS_H
#define HALONG_STORE_PLANS_H

#include "halong/plans.h"
#include "store.h"

/* An agency as stored; folded and short_folded: the names without tones or case. */
typedef struct {
	const hl_agency *a;
	const char *folded, *short_folded;
} hl_store_agency_row;

enum { HL_AGENCY_ADDED = 1, HL_AGENCY_CHANGED = 2, HL_AGENCY_SAME = 3 };

/* Inserts or updates one agency inside the caller's transaction; *what one of HL_AGENCY_*. */
int hl_store_agency_put(int *what, hl_store *st, const hl_store_agency_row *r);
/* Is `code` in the register? 1, 0 or an error. */
int hl_store_agency_exists(hl_store *st, const char *code);
/* The agencies valid on `date` (NULL: all), by code; the hl_agency is valid during the call. */
int hl_store_agency_foreach(hl_store *st, const char *date,
                            int (*cb)(const hl_agency *a, const char *folded,
                                      const char *short_folded, void *ud),
                            void *ud);
int hl_store_agency_count(int64_t *n, hl_store *st);
/* Every unit version's (code, full_name, type), each distinct triple once, in no order: what a
 * plan may name a commune by; the strings are valid during the call. */
int hl_store_agency_unit_names(hl_store *st,
                               int (*cb)(const char *code, const char *full_name, const char *type,
                                         void *ud),
                               void *ud);
/* Does a succession take unit `code` to another unit (not itself, not abolished) on or before
 * `date`? 1, 0 or an error. */
int hl_store_agency_unit_moves(hl_store *st, const char *code, const char *date);

/* ---- plans ---- */

enum { HL_ROW_ADDED = 1, HL_ROW_CHANGED = 2, HL_ROW_SAME = 3 };

/* Inserts or updates a plan inside the caller's transaction; *what one of HL_ROW_*. */
int hl_store_plan_put(int *what, hl_store *st, const hl_plan *p);
/* The plans (id NULL: all; else that one) with their task counts, by id; cb's plan lives during
 * the call. */
int hl_store_plan_foreach(hl_store *st, const char *id, int (*cb)(const hl_plan *p, void *ud),
                          void *ud);

/* A task as stored: its agencies, leads first, in the order written. */
typedef struct {
	const char *plan_id, *item_no, *parent_no, *title, *lead_text, *support_text, *output,
	    *due_text, *origin;
	int64_t seq;
	double weight;
	const hl_task_agency *agencies;
	size_t nagencies;
} hl_store_task_row;

/* Inserts or updates one task and its agencies inside the caller's transaction; *what one of
 * HL_ROW_*, *id the task's id. */
int hl_store_task_put(int *what, int64_t *id, hl_store *st, const hl_store_task_row *r);
/* The next free sequence number of a plan's tasks. */
int hl_store_task_next_seq(int64_t *seq, hl_store *st, const char *plan_id);
/* The tasks of a plan (task_id 0) or one task, in order; cb's task lives during the call, its
 * due not read and status not set. */
int hl_store_task_foreach(hl_store *st, const char *plan_id, int64_t task_id,
                          int (*cb)(const hl_task *t, void *ud), void *ud);
/* The id of task `item_no` of `plan_id`: 0 and *id, or HL_ENOTFOUND. */
int hl_store_task_find(int64_t *id, char **plan_id, hl_store *st, const char *plan_id_or_null,
                       const char *item_no, int64_t by_id);

/* ---- reports ---- */

/* Inserts a report (its verdict fields ignored); *id the new one. */
int hl_store_report_put(int64_t *id, hl_store *st, const hl_report *r);
/* Reports of a plan (plan_id), of a task (task_id), or one (report_id), made on or before `at`,
 * each with its latest verification on or before `at`; by task, then day, then id.
 * pending_only: those without a verdict, not corrected by a later one. */
int hl_store_report_foreach(hl_store *st, const char *plan_id, int64_t task_id, int64_t report_id,
                            const char *at, int pending_only,
                            int (*cb)(const hl_report *r, void *ud), void *ud);
/* What a task's status needs of its reports made on or before `at` (the agency reporting; task_ref,
 * texts, by NULL): the reports of task `task_id`, or of every task of `plan_id`, by task, day, id,
 * each with its latest verdict on or before `at` ("pending" when none); latest: of each task
 * of the plan only its latest report not returned by then (verdict "pending": not read), in
 * no order. */
int hl_store_report_status_foreach(hl_store *st, const char *plan_id, int64_t task_id,
                                   const char *at, int latest,
                                   int (*cb)(const hl_report *r, void *ud), void *ud);
/* Is report `id` corrected by a later report? 1, 0 or an error. */
int hl_store_report_corrected(hl_store *st, int64_t id);
/* The report of task `task_id` that travelled in message `message_id` and came from `origin`
 * (NULL: made here and sent): 0 and *id, or HL_ENOTFOUND. */
int hl_store_report_by_message(int64_t *id, hl_store *st, int64_t task_id, const char *message_id,
                               const char *origin);
/* Marks report `id`, made here, as sent in message `message_id` (inside the caller's
 * transaction): 1, or 0 when it came from elsewhere or was sent already. */
int hl_store_report_sent(hl_store *st, int64_t id, const char *message_id);
int hl_store_verification_put(hl_store *st, int64_t report_id, const char *verdict,
                              const char *comment, const char *at, const char *by);
/* Is `doc_id` a document of the archive? 1, 0 or an error. */
int hl_store_document_exists(hl_store *st, const char *doc_id);

/* ---- settings, users' agencies, snapshots ---- */

/* *value malloc'd, NULL when not set. */
int hl_store_plan_setting_get(char **value, hl_store *st, const char *key);
int hl_store_plan_setting_set(hl_store *st, const char *key, const char *value);
/* out "" when the user has none (or is unknown). */
int hl_store_user_agency_get(char out[33], hl_store *st, int64_t user_id);
/* HL_ENOTFOUND for an unknown user. */
int hl_store_user_agency_set(hl_store *st, const char *username, const char *agency);
/* *body malloc'd; HL_ENOTFOUND when the period was not frozen. */
int hl_store_snapshot_get(char **body, hl_store *st, const char *plan_id, const char *period);
/* HL_ECONFLICT when it was frozen already. */
int hl_store_snapshot_put(hl_store *st, const char *plan_id, const char *period, const char *at,
                          const char *by, const char *body);

/* ---- inspections and lessons ---- */

int hl_store_inspection_put(int64_t *id, hl_store *st, const hl_inspection_in *in, const char *at,
                            const char *by);
typedef struct {
	int64_t task_id;
	const char *agency, *title, *body, *folded, *at, *by;
} hl_store_lesson_row;
/* Inserts a lesson and queues it for the search index, inside the caller's transaction. */
int hl_store_lesson_put(int64_t *id, hl_store *st, const hl_store_lesson_row *r);
/* The inspections of `plan`, newest first; cb's strings valid during the call (follow: the
 * refs of its follow-up tasks, "PLAN/STT", nfollow of them). */
int hl_store_inspection_foreach(hl_store *st, const char *plan,
                                int (*cb)(const hl_inspection *in, void *ud), void *ud);

/* ---- evidence files ---- */

/* Records an uploaded file (and its blob, for fixity) inside the caller's transaction. */
int hl_store_evidence_put(int64_t *id, hl_store *st, const hl_evidence_file *f);
/* File `id` (its strings malloc'd), or HL_ENOTFOUND. */
int hl_store_evidence_get(hl_evidence_file *out, hl_store *st, int64_t id);
/* Report `report_id` cites file `file_id` (inside the caller's transaction). */
int hl_store_evidence_use(hl_store *st, int64_t file_id, int64_t report_id);
/* The lowest level (0 public … 3 secret) of the plans whose reports cite file `id`: 0 and
 * *level, or *level -1 when no report cites it. */
int hl_store_evidence_level(int *level, hl_store *st, int64_t id);
/* The files report `report_id` cites, by id: cb(file) valid during the call. */
int hl_store_evidence_of_report(hl_store *st, int64_t report_id,
                                int (*cb)(const hl_evidence_file *f, void *ud), void *ud);

/* Lesson `id` as stored: cb(lesson) (its task as "PLAN/STT"), or HL_ENOTFOUND. */
int hl_store_lesson_get(hl_store *st, int64_t id, int (*cb)(const hl_lesson *l, void *ud),
                        void *ud);

/* ---- KPI indicators ---- */

int hl_store_kpi_put(hl_store *st, const hl_kpi_in *in, int64_t task_id);
/* The id of indicator `code` of `plan`: 0 and *id, or HL_ENOTFOUND. */
int hl_store_kpi_find(int64_t *id, hl_store *st, const char *plan, const char *code);
int hl_store_kpi_value_put(hl_store *st, int64_t kpi_id, const char *period, double actual,
                           double target_or_nan, const char *at, const char *by);
/* The indicators of `plan` in code order, each with its values by period (the latest
 * recorded on or before `at` in each period); cb's kpi lives during the call. */
int hl_store_kpi_foreach(hl_store *st, const char *plan, const char *at,
                         int (*cb)(const hl_kpi *k, void *ud), void *ud);
/* Cancels task `id` with `reason`. */
int hl_store_task_cancel(hl_store *st, int64_t id, const char *reason);

/* ---- calendar feeds (plan_feed) and what they show ---- */

/* A feed as stored; the strings live during the callback. */
typedef struct {
	const char *token_hash, *agency, *label, *created_at, *created_by, *revoked_at;
} hl_store_feed_row;

/* Adds a feed; HL_ECONFLICT if the hash is there already (never, for random tokens). */
int hl_store_feed_put(hl_store *st, const hl_store_feed_row *r);
/* The feeds (agency NULL: all; else that agency's), newest first; or, with prefix, those whose
 * hash starts with it (lower-case hex). cb non-zero stops. */
int hl_store_feed_foreach(hl_store *st, const char *agency, const char *prefix,
                          int (*cb)(const hl_store_feed_row *r, void *ud), void *ud);
/* Marks the feed revoked on `at` (a feed revoked already keeps its first day). */
int hl_store_feed_revoke(hl_store *st, const char *token_hash, const char *at);
/* The plans that have a task led by `agency`, by id; cb's id lives during the call. */
int hl_store_plans_led_by(hl_store *st, const char *agency,
                          int (*cb)(const char *plan_id, void *ud), void *ud);

/* ---- warnings: agencies' e-mail contacts and the notices outbox ---- */

/* Sets (email) or removes (NULL) the contact of `code`. */
int hl_store_contact_set(hl_store *st, const char *code, const char *email);
/* *email malloc'd, NULL when the agency has none. */
int hl_store_contact_get(char **email, hl_store *st, const char *code);

/* A row of plan_notice; texts live during the call (or in the caller's copy). */
typedef struct {
	int64_t id, task_id;
	const char *agency, *kind, *due, *created_at, *sent_at, *last_error;
	int attempts;
} hl_store_notice_row;

/* Inserts a notice unless (agency, task_id, kind, due) is there already: *added 1 or 0. */
int hl_store_notice_add(int *added, hl_store *st, const char *agency, int64_t task_id,
                        const char *kind, const char *due, const char *created_at);
/* The notices of `agency` (NULL: every agency's), sent or not; non-zero from cb stops. */
int hl_store_notice_foreach(hl_store *st, const char *agency,
                            int (*cb)(const hl_store_notice_row *r, void *ud), void *ud);
/* The notices not sent, by agency then id; non-zero from cb stops. */
int hl_store_notice_unsent_foreach(hl_store *st, int (*cb)(const hl_store_notice_row *r, void *ud),
                                   void *ud);
/* Removes a notice not sent (one that became moot); a sent one stays. */
int hl_store_notice_drop(hl_store *st, int64_t id);
/* One attempt at sending: sent_at set when the server accepted it (error NULL), else the
 * error; attempts + 1 either way. */
int hl_store_notice_attempt(hl_store *st, int64_t id, const char *sent_at, const char *error);
/* Notes why a notice waits without counting an attempt (no contact). */
int hl_store_notice_note(hl_store *st, int64_t id, const char *why);

#endif
