/* Plans, tasks, reports and evaluations as JSON (jansson): the one shape the CLI's --json and
 * the HTTP API share. New references (NULL only when out of memory); absent strings are null. */
#ifndef HALONG_PLANS_JSON_H
#define HALONG_PLANS_JSON_H

#include <jansson.h>

#include "plans.h"

#ifdef __cplusplus
extern "C" {
#endif

/* {"id", "number", "date", "issuer", "title", "period_from", "period_to", "report_every",
 * "compiler", "document_id", "access", "note", "tasks"} */
json_t *hl_plan_json(const hl_plan *p);
/* {"id", "ref" ("PLAN/STT"), "plan_id", "item_no", "parent_no", "depth", "leaf", "section" (no
 * agency: a heading), "title", "output", "weight", "due": {"text", "kind", "start", "date"},
 * "lead": [{"code", "name"}], "support": [...], "status", "status_vi", "progress", "judged_due",
 * "origin", "cancelled"} */
json_t *hl_task_json(const hl_task *t);
/* {"id", "task_id", "task", "agency", "period", "period_from", "period_to", "progress",
 * "state", "done_on", "results", "difficulties", "proposals", "evidence": [ids], "at", "by",
 * "corrects", "origin", "verdict", "verdict_comment", "verdict_at", "verdict_by"} */
json_t *hl_report_json(const hl_report *r);
/* {"from", "to", "at", "period", "rule", "total": counts, "line_vi", "line_en",
 * "agencies": [{"rank", "code", "name", counts...}], "overdue": [items], "soon": [items],
 * "previous": {"period", counts} or null}; counts: total, done_on_time, done_late,
 * open_on_time, overdue, waiting, not_started, cancelled, no_deadline, score, pct_done,
 * pct_on_time (done on time of those due) */
json_t *hl_eval_json(const hl_eval *e);
/* {"label", "from", "to", "data_from", "data_to", "report_due"} */
json_t *hl_period_json(const hl_period *p);
json_t *hl_lesson_json(const hl_lesson *l);
/* {"id", "plan", "date", "team", "scope", "agency", "findings", "rating", "at", "by",
 * "follow_up": ["PLAN/STT", …]} */
json_t *hl_inspection_json(const hl_inspection *in);
/* {"id", "ref": "file:ID", "name", "size", "sha256", "agency", "at", "by"} */
json_t *hl_evidence_file_json(const hl_evidence_file *f);
/* {"plan", "code", "name", "unit", "task", "baseline", "target", "better": "higher"|"lower",
 * "values": [{"period", "actual", "target", "achieved", "met", "at", "by"}]} */
json_t *hl_kpi_json(const hl_kpi *k);

/* {"id", "agency", "label", "created_at", "created_by", "revoked_at"} (never the token) */
json_t *hl_plan_feed_json(const hl_plan_feed *f);

/* {"id" (0: not in the outbox yet), "agency", "agency_name", "kind" ("soon"|"overdue"),
 * "kind_vi", "task_id", "task" ("PLAN/STT"), "plan_id", "plan_number", "title", "due", "days",
 * "status", "status_vi", "state" ("new"|"queued"|"sent"|"failed"), "created_at", "sent_at",
 * "attempts", "last_error"} (notice.c) */
json_t *hl_notice_json(const hl_notice *n);
/* {"at", "dry_run", "plans", "current", "added", "dropped", "sent", "failed", "waiting",
 * "agencies": [{"agency", "agency_name", "sent", "error", "subject", "overdue", "soon",
 * "given_up", "notices": [notice]}]} (notice.c) */
json_t *hl_notice_run_json(const hl_notice_run *r);

#ifdef __cplusplus
}
#endif
#endif
