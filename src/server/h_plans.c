/* The plans endpoints of the API (docs/api.md "Plans"): plans, their tasks, the reports on them
 * and their verification, evaluations, inspections and lessons. Each parses the request, calls
 * one verb of plans/ as the caller (who may do what is the library's rule), and answers in the
 * shapes of `halong plan|task … --json`. The clock is the server's (HALONG_TODAY in tests);
 * reads take at=.
 *
 * The dashboard's reads (a plan's page, its evaluation, the evaluation of every plan) are kept
 * by each worker thread (answers.h) until the store changes: the key holds what decides the
 * answer, i.e. the request's parameters as parsed, the plans' "today" (the clock when at= is not
 * given, and the day whose register names the agencies) and what decides what the caller may
 * read: their access ceiling (hl_plans__may_read: a plan is read when its level is at most the
 * caller's ceiling; a local caller reads every level). Nothing else of the caller enters these
 * answers (not their unit or agency), so callers of one ceiling share them. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "answers.h"
#include "halong/plans.h"
#include "halong/plans_json.h"
#include "halong/util.h"
#include "jobs.h"
#include "server_int.h"

#define MAX_IMPORT (16u << 20) /* bytes of an uploaded plan file */

static int at_param(char out[11], request *r)
{
	int given;
	int rc = req_date(out, &given, r, "at");
	return rc;
}

/* ---- GET /api/v1/plans ---- */

static int plans_list(request *r)
{
	hl_plans *l = NULL;
	char mine[33];
	int rc;
	json_t *a;
	if ((rc = hl_plan_list(&l, req_store(r), &r->who)) < 0 ||
	    (rc = hl_plans_user_agency(mine, req_store(r), &r->who)) < 0) {
		hl_plans_free(l);
		return rc;
	}
	a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, hl_plan_json(&l->v[i]));
	hl_plans_free(l);
	char today[11];
	hl_plans_today(today); /* the plans' clock, for the pages' "as of" */
	return resp_json(r, 200,
	                 json_pack("{s:I,s:o,s:o,s:s}", "total", (json_int_t)json_array_size(a),
	                           "items", a, "my_agency",
	                           mine[0] ? json_string(mine) : json_null(), "today", today));
}

/* ---- POST /api/v1/plans/import?plan=&sheet=&keep_unknown=&compiler= (the file as body) ----
 *
 * A job (jobs.h, kind "plan-import"): 202 {"job"} at once, GET /api/v1/jobs/{id} follows it (rows
 * read, then rows written, from hl_plan_import's progress). Its result is the import's stats with
 * "errors": each bad row "plan:LINE: column: why" (the job then failed, nothing was written). The
 * caller's right (admin) and the request's own faults (no body, a bad keep_unknown) are answered
 * at once. */

typedef struct {
	server_job *job;
	hl_principal who; /* the library checks and audits it */
	char *dir, *path; /* the upload, in a private folder */
	char *plan, *sheet, *compiler;
	int keep_unknown;
} import_arg;

static void import_arg_free(void *p)
{
	import_arg *g = p;
	if (!g)
		return;
	req_body_unsave(g->dir, g->path);
	free(g->plan), free(g->sheet), free(g->compiler);
	free(g);
}

static int import_progress(const char *what, uint64_t done, uint64_t total, void *ud)
{
	return job_progress(what, done, total, ((import_arg *)ud)->job);
}

static json_t *strings_json(char **v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static int import_work(json_t **result, server_job *job, hl_archive *a, void *arg)
{
	import_arg *g = arg;
	hl_plan_import_stats s;
	hl_plan_import_opts o = {0};
	int rc;

	memset(&s, 0, sizeof(s));
	g->job = job;
	o.plan = g->plan;
	o.sheet = g->sheet;
	o.compiler = g->compiler;
	o.keep_unknown = g->keep_unknown;
	o.name = "plan"; /* messages and the audit name the upload, not where it lies */
	o.progress = import_progress;
	o.ud = g;
	rc = hl_plan_import(&s, hl_archive_store(a), &g->who, g->path, &o);
	if (rc == 0) {
		job_progress(NULL, s.rows, s.rows, job);
		job_summary(job, "%llu rows: %llu added, %llu changed, %llu unchanged",
		            (unsigned long long)s.rows, (unsigned long long)s.added,
		            (unsigned long long)s.changed, (unsigned long long)s.unchanged);
	}
	*result = json_pack(
	    "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o}", "rows", (json_int_t)s.rows, "plans",
	    (json_int_t)s.plans, "added", (json_int_t)s.added, "changed", (json_int_t)s.changed,
	    "unchanged", (json_int_t)s.unchanged, "sections", (json_int_t)s.sections, "unread",
	    (json_int_t)s.unread, "kept", (json_int_t)s.kept, "generic", (json_int_t)s.generic,
	    "notes", strings_json(s.notes, s.nnotes), "errors", strings_json(s.errors, s.nerrors));
	hl_plan_import_stats_free(&s);
	return rc;
}

static char *opt_dup(const char *v)
{
	return v ? hl_strdup(v) : NULL;
}

static int plans_import(request *r)
{
	import_arg *g;
	json_t *job = NULL;
	uint64_t keep;
	int rc;

	if (!r->who.local && r->who.role != HL_ROLE_ADMIN)
		return hl_error_set(HL_EDENIED, r->who.user_id ? "only an admin imports plans"
		                                               : "log in first (admin)");
	if ((rc = req_uint(&keep, r, "keep_unknown", 0, 0, 1)) != 0)
		return rc;
	if (!r->body_len)
		return hl_error_set(HL_EINVALID, "body: the plan's CSV or XLSX file");
	if (!(g = calloc(1, sizeof(*g))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	g->who = r->who;
	g->keep_unknown = (int)keep;
	if ((req_query(r, "plan") && !(g->plan = opt_dup(req_query(r, "plan")))) ||
	    (req_query(r, "sheet") && !(g->sheet = opt_dup(req_query(r, "sheet")))) ||
	    (req_query(r, "compiler") && !(g->compiler = opt_dup(req_query(r, "compiler"))))) {
		import_arg_free(g);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	/* the import reads a file, and the job outlives the request */
	if ((rc = req_body_save(&g->dir, &g->path, r, "plan", "plan")) < 0) {
		import_arg_free(g);
		return rc;
	}
	if ((rc = job_start(&job, &r->who, "plan-import", hl_archive_dir(r->archive), import_work,
	                    g, import_arg_free)) < 0) {
		if (rc != HL_ELIMIT)
			return rc;
		resp_error(r, 429, "%s", hl_error_last());
		return ANSWERED;
	}
	return resp_json(r, 202, json_pack("{s:o}", "job", job));
}

/* The key of a kept answer: what (a route's name), the caller's ceiling and whether local, the
 * plans' today, then each part preceded by its length (no two different requests make one key;
 * NULL and "" differ). NULL if out of memory. */
static char *answer_key(request *r, const char *what, const char *const *parts, size_t n)
{
	char today[11], *k;
	size_t len = 0, cap = 96 + strlen(what);
	for (size_t i = 0; i < n; i++)
		cap += (parts[i] ? strlen(parts[i]) : 0) + 24;
	if (!(k = malloc(cap)))
		return NULL;
	hl_plans_today(today);
	len = (size_t)snprintf(k, cap, "%s/%d/%d/%s:", what, (int)hl_auth_ceiling(&r->who),
	                       r->who.local ? 1 : 0, today);
	for (size_t i = 0; i < n; i++)
		len += parts[i] ? (size_t)snprintf(k + len, cap - len, "%zu:%s", strlen(parts[i]),
		                                   parts[i])
		                : (size_t)snprintf(k + len, cap - len, "-");
	return k;
}

/* Answers j (taken) as JSON, kept for t's key. */
static int answer_json(answer_ticket *t, request *r, json_t *j)
{
	char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!body) {
		answer_ticket_free(t);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	return answer_give(t, r, body, strlen(body), 1);
}

/* ---- GET /api/v1/plans/{id}?at= ---- */

static int plan_get(request *r)
{
	hl_plan *p = NULL;
	hl_tasks *l = NULL;
	answer_ticket t;
	char at[11];
	int rc;
	json_t *j, *tasks;
	if ((rc = at_param(at, r)) != 0)
		return rc;
	const char *parts[] = {req_param(r, "id"), at};
	if (answer_lookup(&t, ANSWERS_PLANS, r, answer_key(r, "plan", parts, 2), &rc))
		return rc;
	if ((rc = hl_plan_get(&p, req_store(r), &r->who, req_param(r, "id"))) < 0 ||
	    (rc = hl_plan_tasks(&l, req_store(r), &r->who, p->id, at[0] ? at : NULL)) < 0) {
		hl_plan_free(p);
		answer_ticket_free(&t);
		return rc;
	}
	j = hl_plan_json(p);
	tasks = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(tasks, hl_task_json(&l->v[i]));
	json_object_set_new(j, "task_list", tasks);
	hl_plan_free(p);
	hl_tasks_free(l);
	return answer_json(&t, r, j);
}

/* ---- GET /api/v1/plans/{id}/eval, GET /api/v1/evaluation ---- */

static int eval_answer(request *r, const char *plan)
{
	hl_eval *e = NULL;
	hl_eval_in in = {0};
	answer_ticket t;
	char at[11], from[11], to[11], soon_s[24];
	uint64_t soon;
	int given, rc;
	if ((rc = at_param(at, r)) != 0 || (rc = req_date(from, &given, r, "from")) != 0 ||
	    (rc = req_date(to, &given, r, "to")) != 0 ||
	    (rc = req_uint(&soon, r, "soon", 0, 0, 365)) != 0)
		return rc;
	in.plan = plan;
	in.period = req_query(r, "period");
	in.from = from[0] ? from : NULL;
	in.to = to[0] ? to : NULL;
	in.agency = req_query(r, "agency");
	if (in.agency && !*in.agency)
		in.agency = NULL;
	in.at = at[0] ? at : NULL;
	in.soon_days = (int)soon;
	snprintf(soon_s, sizeof(soon_s), "%d", in.soon_days);
	const char *parts[] = {in.plan, in.period, in.from, in.to, in.agency, in.at, soon_s};
	if (answer_lookup(&t, ANSWERS_PLANS, r, answer_key(r, "eval", parts, 7), &rc))
		return rc;
	if ((rc = hl_plan_eval(&e, req_store(r), &r->who, &in)) < 0) {
		answer_ticket_free(&t);
		return rc;
	}
	rc = answer_json(&t, r, hl_eval_json(e));
	hl_eval_free(e);
	return rc;
}

static int plan_eval(request *r)
{
	return eval_answer(r, req_param(r, "id"));
}

static int evaluation(request *r)
{
	const char *plan = req_query(r, "plan");
	return eval_answer(r, plan && *plan ? plan : NULL);
}

/* ---- POST /api/v1/plans/{id}/close {"period"} ---- */

static int plan_close(request *r)
{
	json_t *b = NULL;
	const char *period;
	int rc;
	if ((rc = req_json(&b, r)) != 0)
		return rc;
	if ((rc = js_get_str(&period, b, "period", 1)) == 0 &&
	    (rc = hl_plan_close_period(req_store(r), &r->who, req_param(r, "id"), period, NULL)) ==
	        0)
		rc = resp_json(r, 200,
		               json_pack("{s:s,s:s,s:b}", "plan", req_param(r, "id"), "period",
		                         period, "closed", 1));
	json_decref(b);
	return rc;
}

/* ---- GET /api/v1/periods/{period} ---- */

static int period_get(request *r)
{
	hl_period p;
	char *cut = NULL, *day = NULL;
	int rc;
	if ((rc = hl_plans_setting_get(&cut, req_store(r), "cutoff_day")) == 0 &&
	    (rc = hl_plans_setting_get(&day, req_store(r), "report_day")) == 0)
		rc = hl_period_parse(&p, req_param(r, "period"), atoi(cut), atoi(day));
	free(cut);
	free(day);
	if (rc < 0)
		return rc;
	return resp_json(r, 200, hl_period_json(&p));
}

/* ---- GET /api/v1/plan-settings, PUT /api/v1/plan-settings/{key} {"value"} ---- */

static int settings_get(request *r)
{
	static const char *const keys[] = {"cutoff_day", "report_day", "soon_days", "rank_rule"};
	json_t *o = json_object();
	for (size_t i = 0; i < 4; i++) {
		char *v = NULL;
		int rc = hl_plans_setting_get(&v, req_store(r), keys[i]);
		if (rc < 0) {
			json_decref(o);
			return rc;
		}
		json_object_set_new(o, keys[i], json_string(v));
		free(v);
	}
	return resp_json(r, 200, o);
}

static int settings_put(request *r)
{
	json_t *b = NULL;
	const char *v;
	int rc;
	if ((rc = req_json(&b, r)) != 0)
		return rc;
	char *kept = NULL; /* as it reads back: a password is "(set)", never echoed */
	if ((rc = js_get_str(&v, b, "value", 1)) == 0 &&
	    (rc = hl_plans_setting_set(req_store(r), &r->who, req_param(r, "key"), v)) == 0 &&
	    (rc = hl_plans_setting_get(&kept, req_store(r), req_param(r, "key"))) == 0)
		rc = resp_json(r, 200,
		               json_pack("{s:s,s:s}", "key", req_param(r, "key"), "value", kept));
	free(kept);
	json_decref(b);
	return rc;
}

/* ---- GET /api/v1/tasks/{id}?at= : the task and its report history ---- */

static int task_answer(request *r, const char *ref)
{
	hl_task *t = NULL;
	hl_reports *l = NULL;
	char at[11];
	int rc;
	json_t *j, *h;
	if ((rc = at_param(at, r)) != 0)
		return rc;
	if ((rc = hl_task_get(&t, req_store(r), &r->who, ref, at[0] ? at : NULL)) < 0 ||
	    (rc = hl_task_reports(&l, req_store(r), &r->who, ref, at[0] ? at : NULL)) < 0) {
		hl_task_free(t);
		return rc;
	}
	j = hl_task_json(t);
	h = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(h, hl_report_json(&l->v[i]));
	json_object_set_new(j, "reports", h);
	hl_task_free(t);
	hl_reports_free(l);
	return resp_json(r, 200, j);
}

static int task_get(request *r)
{
	return task_answer(r, req_param(r, "id"));
}

static int plan_task_get(request *r)
{
	char ref[300];
	snprintf(ref, sizeof(ref), "%.100s/%.100s", req_param(r, "id"), req_param(r, "item"));
	return task_answer(r, ref);
}

/* ---- POST /api/v1/tasks/{id}/reports ---- */

static int task_report(request *r)
{
	json_t *b = NULL, *v;
	hl_report_in in = {0};
	const char *state = NULL;
	int64_t id = 0;
	int rc;
	if ((rc = req_json(&b, r)) != 0)
		return rc;
	in.task = req_param(r, "id");
	in.progress = -1;
	if ((rc = js_get_str(&in.period, b, "period", 1)) < 0 ||
	    (rc = js_get_str(&in.agency, b, "agency", 0)) < 0 ||
	    (rc = js_get_str(&state, b, "state", 0)) < 0 ||
	    (rc = js_get_str(&in.done_on, b, "done_on", 0)) < 0 ||
	    (rc = js_get_str(&in.results, b, "results", 0)) < 0 ||
	    (rc = js_get_str(&in.difficulties, b, "difficulties", 0)) < 0 ||
	    (rc = js_get_str(&in.proposals, b, "proposals", 0)) < 0 ||
	    (rc = js_get_str(&in.evidence, b, "evidence", 0)) < 0)
		goto done;
	if (state && (rc = hl_report_state_parse(&in.state, state)) < 0)
		goto done;
	if ((v = json_object_get(b, "progress")) && !json_is_null(v)) {
		if (!json_is_integer(v)) {
			rc = hl_error_set(HL_EINVALID, "progress: a whole number 0–100");
			goto done;
		}
		json_int_t p = json_integer_value(v);
		/* any whole number goes to the library, which names it when out of 0–100 */
		in.progress = p < -1000000 ? -1000000 : p > 1000000 ? 1000000 : (int)p;
	}
	if ((v = json_object_get(b, "corrects")) && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) <= 0) {
			rc = hl_error_set(HL_EINVALID, "corrects: a report's number");
			goto done;
		}
		in.corrects = json_integer_value(v);
	}
	if ((rc = hl_task_report(&id, req_store(r), &r->who, &in)) == 0)
		rc = resp_json(r, 201, json_pack("{s:I}", "id", (json_int_t)id));
done:
	json_decref(b);
	return rc;
}

/* ---- POST /api/v1/reports/{id}/verify {"verdict": "accepted"|"returned", "comment"} ---- */

static int report_verify(request *r)
{
	json_t *b = NULL;
	const char *verdict, *comment;
	char *end;
	long long id = strtoll(req_param(r, "id"), &end, 10);
	int rc;
	if (*end || id <= 0)
		return hl_error_set(HL_ENOTFOUND, "no report \"%.20s\"", req_param(r, "id"));
	if ((rc = req_json(&b, r)) != 0)
		return rc;
	if ((rc = js_get_str(&verdict, b, "verdict", 1)) == 0 &&
	    (rc = js_get_str(&comment, b, "comment", 0)) == 0) {
		if (strcmp(verdict, "accepted") && strcmp(verdict, "returned"))
			rc = hl_error_set(HL_EINVALID, "verdict: accepted or returned");
		else if ((rc = hl_report_verify_archive(r->archive, &r->who, id,
		                                        !strcmp(verdict, "accepted"), comment,
		                                        NULL)) == 0)
			rc = resp_json(
			    r, 200,
			    json_pack("{s:I,s:s}", "id", (json_int_t)id, "verdict", verdict));
	}
	json_decref(b);
	return rc;
}

/* ---- GET /api/v1/reports/queue?plan= ---- */

static int report_queue(request *r)
{
	hl_reports *l = NULL;
	const char *plan = req_query(r, "plan");
	int rc;
	json_t *a;
	if ((rc = hl_report_queue(&l, req_store(r), &r->who, plan && *plan ? plan : NULL, NULL)) <
	    0)
		return rc;
	a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, hl_report_json(&l->v[i]));
	hl_reports_free(l);
	return resp_json(
	    r, 200, json_pack("{s:I,s:o}", "total", (json_int_t)json_array_size(a), "items", a));
}

/* ---- POST /api/v1/inspections ---- */

static int inspection_add(request *r)
{
	json_t *b = NULL, *f;
	hl_inspection_in in = {0};
	const char *titles[51], *ags[51], *dues[51];
	int64_t id = 0;
	int rc;
	if ((rc = req_json(&b, r)) != 0)
		return rc;
	if ((rc = js_get_str(&in.plan, b, "plan", 1)) < 0 ||
	    (rc = js_get_str(&in.date, b, "date", 1)) < 0 ||
	    (rc = js_get_str(&in.team, b, "team", 1)) < 0 ||
	    (rc = js_get_str(&in.scope, b, "scope", 1)) < 0 ||
	    (rc = js_get_str(&in.agency, b, "agency", 0)) < 0 ||
	    (rc = js_get_str(&in.findings, b, "findings", 0)) < 0 ||
	    (rc = js_get_str(&in.rating, b, "rating", 0)) < 0)
		goto done;
	f = json_object_get(b, "follow_up");
	if (f && !json_is_array(f)) {
		rc = hl_error_set(HL_EINVALID, "follow_up: a list of {title, agency, due}");
		goto done;
	}
	if (f && json_array_size(f) > 50) {
		rc = hl_error_set(HL_ELIMIT, "follow_up: at most 50 actions");
		goto done;
	}
	for (size_t i = 0; f && i < json_array_size(f); i++) {
		json_t *it = json_array_get(f, i);
		if (!json_is_object(it) || js_get_str(&titles[i], it, "title", 1) < 0 ||
		    js_get_str(&ags[i], it, "agency", 1) < 0 ||
		    js_get_str(&dues[i], it, "due", 0) < 0) {
			rc =
			    hl_error_set(HL_EINVALID, "follow_up %zu: {title, agency, due}", i + 1);
			goto done;
		}
		in.nfollow++;
	}
	in.follow_title = titles;
	in.follow_agency = ags;
	in.follow_due = dues;
	if ((rc = hl_inspection_add(&id, req_store(r), &r->who, &in)) == 0)
		rc = resp_json(r, 201,
		               json_pack("{s:I,s:I}", "id", (json_int_t)id, "follow_up_tasks",
		                         (json_int_t)in.nfollow));
done:
	json_decref(b);
	return rc;
}

/* ---- GET /api/v1/inspections?plan= ---- */

static int inspection_list(request *r)
{
	hl_inspections *l = NULL;
	const char *plan = req_query(r, "plan");
	json_t *a;
	int rc;
	if (!plan || !*plan)
		return hl_error_set(HL_EINVALID, "plan: give the plan");
	if ((rc = hl_inspection_list(&l, req_store(r), &r->who, plan)) < 0)
		return rc;
	a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, hl_inspection_json(&l->v[i]));
	hl_inspections_free(l);
	return resp_json(
	    r, 200, json_pack("{s:I,s:o}", "total", (json_int_t)json_array_size(a), "items", a));
}

/* ---- POST /api/v1/lessons, GET /api/v1/lessons?q= ---- */

static int lesson_add(request *r)
{
	json_t *b = NULL;
	hl_lesson_in in = {0};
	int64_t id = 0;
	int rc;
	if ((rc = req_json(&b, r)) != 0)
		return rc;
	if ((rc = js_get_str(&in.title, b, "title", 1)) == 0 &&
	    (rc = js_get_str(&in.body, b, "body", 1)) == 0 &&
	    (rc = js_get_str(&in.task, b, "task", 0)) == 0 &&
	    (rc = js_get_str(&in.agency, b, "agency", 0)) == 0 &&
	    (rc = hl_lesson_add(&id, r->archive, &r->who, &in)) == 0)
		rc = resp_json(r, 201, json_pack("{s:I}", "id", (json_int_t)id));
	json_decref(b);
	return rc;
}

/* The archive's search with kind:lesson: q in its language, a page (offset, limit), snippets
 * with the words found in <mark>, HTML-escaped. */
static int lesson_search(request *r)
{
	hl_lessons *l = NULL;
	hl_search_opts o = {0};
	uint64_t limit, offset;
	int rc;
	json_t *a;
	if ((rc = req_uint(&limit, r, "limit", 50, 1, 1000)) != 0 ||
	    (rc = req_uint(&offset, r, "offset", 0, 0, 100000)) != 0)
		return rc;
	o.query = req_query(r, "q");
	o.limit = (size_t)limit, o.offset = (size_t)offset;
	o.html = 1;
	if ((rc = hl_lesson_search(&l, r->archive, &r->who, &o)) < 0)
		return rc;
	a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, hl_lesson_json(&l->v[i]));
	rc = resp_json(r, 200,
	               json_pack("{s:I,s:b,s:o}", "total", (json_int_t)l->total, "total_exact",
	                         l->total_exact, "items", a));
	hl_lessons_free(l);
	return rc;
}

/* ---- POST /api/v1/evidence?name=&agency= (the file as body), GET /api/v1/evidence/{id} ---- */

static int evidence_put(request *r)
{
	hl_evidence_file f;
	char *dir = NULL, *path = NULL;
	int rc;
	if (!r->body_len)
		return hl_error_set(HL_EINVALID, "body: the file (at most %d bytes)",
		                    HL_EVIDENCE_MAX_BYTES);
	if (!req_query(r, "name"))
		return hl_error_set(HL_EINVALID, "name: give the file's name");
	if ((rc = req_body_save(&dir, &path, r, "evidence", "upload")) < 0)
		return rc;
	rc = hl_evidence_put(&f, r->archive, &r->who, req_query(r, "agency"), req_query(r, "name"),
	                     path);
	req_body_unsave(dir, path);
	if (rc < 0)
		return rc;
	rc = resp_json(r, 201, hl_evidence_file_json(&f));
	hl_evidence_file_clear(&f);
	return rc;
}

/* The bytes as a download, whatever they are: never shown inline by the browser. */
static int evidence_get(request *r)
{
	hl_evidence_file f;
	char *path = NULL, *end;
	const char *id = req_param(r, "id");
	long long v = strtoll(id, &end, 10);
	int rc;
	if (end == id || *end || v <= 0)
		return hl_error_set(HL_ENOTFOUND, "no evidence file \"%.40s\"", id);
	if ((rc = hl_evidence_get(&f, &path, r->archive, &r->who, v)) < 0)
		return rc;
	rc = resp_file(r, path, "application/octet-stream", f.sha256, f.name);
	free(path);
	hl_evidence_file_clear(&f);
	return rc;
}

/* ---- KPI indicators ---- */

static int kpis_get(request *r)
{
	hl_kpis *l = NULL;
	char at[11];
	int rc;
	json_t *a;
	if ((rc = at_param(at, r)) != 0)
		return rc;
	if ((rc = hl_kpi_list(&l, req_store(r), &r->who, req_param(r, "id"), at[0] ? at : NULL)) <
	    0)
		return rc;
	a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, hl_kpi_json(&l->v[i]));
	hl_kpis_free(l);
	return resp_json(
	    r, 200, json_pack("{s:I,s:o}", "total", (json_int_t)json_array_size(a), "items", a));
}

/* A number member of a body: 0 and *out; 1 when absent or null (!required). */
static int js_number(double *out, json_t *b, const char *key, int required)
{
	json_t *v = json_object_get(b, key);
	if (!v || json_is_null(v)) {
		if (required)
			return hl_error_set(HL_EINVALID, "%s: a number is needed", key);
		return 1;
	}
	if (!json_is_number(v))
		return hl_error_set(HL_EINVALID, "%s: a number", key);
	*out = json_number_value(v);
	return 0;
}

static int kpi_put(request *r)
{
	json_t *b = NULL;
	hl_kpi_in in = {0};
	const char *better = NULL;
	int rc;
	if ((rc = req_json(&b, r)) != 0)
		return rc;
	in.plan = req_param(r, "id");
	in.code = req_param(r, "code");
	if ((rc = js_get_str(&in.name, b, "name", 1)) < 0 ||
	    (rc = js_get_str(&in.unit, b, "unit", 0)) < 0 ||
	    (rc = js_get_str(&in.task, b, "task", 0)) < 0 ||
	    (rc = js_get_str(&better, b, "better", 0)) < 0 ||
	    (rc = js_number(&in.target, b, "target", 1)) < 0 ||
	    (rc = js_number(&in.baseline, b, "baseline", 0)) < 0)
		goto done;
	in.has_baseline = rc == 0;
	if (better && strcmp(better, "higher") && strcmp(better, "lower")) {
		rc = hl_error_set(HL_EINVALID, "better: higher or lower");
		goto done;
	}
	in.lower_is_better = better && !strcmp(better, "lower");
	if ((rc = hl_kpi_set(req_store(r), &r->who, &in)) == 0)
		rc = resp_json(r, 200, json_pack("{s:s,s:s}", "plan", in.plan, "code", in.code));
done:
	json_decref(b);
	return rc;
}

static int kpi_value(request *r)
{
	json_t *b = NULL;
	const char *period;
	double actual, target = NAN;
	int rc;
	if ((rc = req_json(&b, r)) != 0)
		return rc;
	if ((rc = js_get_str(&period, b, "period", 1)) == 0 &&
	    (rc = js_number(&actual, b, "actual", 1)) == 0 &&
	    (rc = js_number(&target, b, "target", 0)) >= 0 &&
	    (rc = hl_kpi_record(req_store(r), &r->who, req_param(r, "id"), req_param(r, "code"),
	                        period, actual, target, NULL)) == 0)
		rc = resp_json(r, 201, json_pack("{s:s,s:f}", "period", period, "actual", actual));
	json_decref(b);
	return rc;
}

/* ---- POST /api/v1/tasks/{id}/cancel {"reason"} ---- */

static int task_cancel(request *r)
{
	json_t *b = NULL;
	const char *reason;
	int rc;
	if ((rc = req_json(&b, r)) != 0)
		return rc;
	if ((rc = js_get_str(&reason, b, "reason", 1)) == 0 &&
	    (rc = hl_task_cancel(req_store(r), &r->who, req_param(r, "id"), reason)) == 0)
		rc = resp_json(r, 200,
		               json_pack("{s:s,s:b}", "task", req_param(r, "id"), "cancelled", 1));
	json_decref(b);
	return rc;
}

/* ---- agencies: GET /api/v1/agencies?at=&name=, PUT /api/v1/users/{name}/agency ---- */

static json_t *agency_json(const hl_agency *a)
{
	json_t *o = json_object();
	js_set_str(o, "code", a->code);
	js_set_str(o, "name", a->name);
	js_set_str(o, "short_name", a->short_name);
	js_set_str(o, "kind", hl_agency_kind_name(a->kind));
	js_set_str(o, "valid_from", a->valid_from);
	js_set_str(o, "valid_to", a->valid_to);
	js_set_str(o, "successor_code", a->successor_code);
	return o;
}

static int agencies_get(request *r)
{
	const char *name = req_query(r, "name");
	char at[11];
	int rc;
	if ((rc = at_param(at, r)) != 0)
		return rc;
	if (name && *name) { /* the one a plan names: `halong agency find` */
		hl_agency *a = NULL;
		if ((rc = hl_agency_find(&a, req_store(r), name, at[0] ? at : NULL)) < 0)
			return rc;
		json_t *j = agency_json(a);
		hl_agency_free(a);
		return resp_json(r, 200, j);
	}
	hl_agencies *l = NULL;
	if ((rc = hl_agency_list(&l, req_store(r), at[0] ? at : NULL)) < 0)
		return rc;
	json_t *items = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(items, agency_json(&l->v[i]));
	hl_agencies_free(l);
	return resp_json(
	    r, 200,
	    json_pack("{s:I,s:o}", "total", (json_int_t)json_array_size(items), "items", items));
}

static int user_agency_put(request *r)
{
	json_t *b = NULL;
	const char *agency;
	char code[33] = "";
	int rc;
	if ((rc = req_json(&b, r)) != 0)
		return rc;
	if ((rc = js_get_str(&agency, b, "agency", 0)) == 0 &&
	    (rc = hl_plans_user_agency_set(req_store(r), &r->who, req_param(r, "name"), agency,
	                                   code)) == 0)
		rc = resp_json(r, 200,
		               json_pack("{s:s,s:o}", "user", req_param(r, "name"), "agency",
		                         agency ? json_string(agency) : json_null()));
	json_decref(b);
	return rc;
}

/* ---- GET /api/v1/notices?agency=&at= : an agency's notices (warnings) ---- */

static int notices_list(request *r)
{
	hl_notices *l = NULL;
	char at[11];
	int rc;
	json_t *a;
	if ((rc = at_param(at, r)) != 0)
		return rc;
	if ((rc = hl_plans_notices_list(&l, req_store(r), &r->who, req_query(r, "agency"),
	                                at[0] ? at : NULL)) < 0)
		return rc;
	a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, hl_notice_json(&l->v[i]));
	hl_notices_free(l);
	return resp_json(
	    r, 200, json_pack("{s:I,s:o}", "total", (json_int_t)json_array_size(a), "items", a));
}

/* ---- PUT /api/v1/agencies/{code}/contact {"email"} (admin) ---- */

static int agency_contact_put(request *r)
{
	json_t *b = NULL;
	const char *email = NULL;
	int rc;
	if ((rc = req_json(&b, r)) != 0)
		return rc;
	if (!json_object_get(b, "email")) /* a misspelt key must not remove the contact */
		rc = hl_error_set(HL_EINVALID, "\"email\" is required (null removes the contact)");
	else if ((rc = js_get_str(&email, b, "email", 0)) == 0 &&
	         (rc = hl_plans_contact_set(req_store(r), &r->who, req_param(r, "code"), email)) ==
	             0)
		rc = resp_json(r, 200,
		               json_pack("{s:s,s:o}", "code", req_param(r, "code"), "email",
		                         email && *email ? json_string(email) : json_null()));
	json_decref(b);
	return rc;
}

/* ---- POST /api/v1/reports/{id}/send {"to": UNIT}: a report made here, to the province ---- */

static int report_send(request *r)
{
	json_t *b = NULL;
	hl_node *n = NULL;
	const char *to;
	char *end, msg[37];
	long long id = strtoll(req_param(r, "id"), &end, 10);
	int rc;
	if (*end || id <= 0)
		return hl_error_set(HL_ENOTFOUND, "no report \"%.20s\"", req_param(r, "id"));
	if ((rc = req_json(&b, r)) != 0)
		return rc;
	if ((rc = js_get_str(&to, b, "to", 1)) == 0 &&
	    (rc = hl_node_open(&n, req_store(r), hl_archive_dir(r->archive))) == HL_ENOTFOUND) {
		resp_error(r, 503, "this node has no exchange identity (halong node init)");
		rc = ANSWERED;
	} else if (rc == 0 && (rc = hl_task_report_send(msg, n, &r->who, id, to)) == 0)
		rc = resp_json(r, 202,
		               json_pack("{s:I,s:s,s:s,s:s}", "report", (json_int_t)id, "to", to,
		                         "message", msg, "state", "waiting"));
	hl_node_free(n);
	json_decref(b);
	return rc;
}

const route routes_plans[] = {
    {M_GET, "/api/v1/plans", plans_list, 0, 0},
    {M_POST, "/api/v1/plans/import", plans_import, MAX_IMPORT, ROUTE_RAW_BODY},
    {M_GET, "/api/v1/plans/{id}", plan_get, 0, 0},
    {M_GET, "/api/v1/plans/{id}/eval", plan_eval, 0, 0},
    {M_POST, "/api/v1/plans/{id}/close", plan_close, 0, 0},
    {M_GET, "/api/v1/plans/{id}/tasks/{item}", plan_task_get, 0, 0},
    {M_GET, "/api/v1/evaluation", evaluation, 0, 0},
    {M_GET, "/api/v1/periods/{period}", period_get, 0, 0},
    {M_GET, "/api/v1/plan-settings", settings_get, 0, 0},
    {M_PUT, "/api/v1/plan-settings/{key}", settings_put, 0, 0},
    {M_GET, "/api/v1/tasks/{id}", task_get, 0, 0},
    {M_POST, "/api/v1/tasks/{id}/reports", task_report, 0, 0},
    {M_POST, "/api/v1/reports/{id}/verify", report_verify, 0, 0},
    {M_GET, "/api/v1/reports/queue", report_queue, 0, 0},
    {M_POST, "/api/v1/inspections", inspection_add, 0, 0},
    {M_POST, "/api/v1/lessons", lesson_add, 0, 0},
    {M_GET, "/api/v1/lessons", lesson_search, 0, 0},
    {M_GET, "/api/v1/notices", notices_list, 0, 0},
    {M_PUT, "/api/v1/agencies/{code}/contact", agency_contact_put, 0, 0},
    {M_GET, "/api/v1/plans/{id}/kpis", kpis_get, 0, 0},
    {M_PUT, "/api/v1/plans/{id}/kpis/{code}", kpi_put, 0, 0},
    {M_POST, "/api/v1/plans/{id}/kpis/{code}/values", kpi_value, 0, 0},
    {M_POST, "/api/v1/tasks/{id}/cancel", task_cancel, 0, 0},
    {M_GET, "/api/v1/agencies", agencies_get, 0, 0},
    {M_PUT, "/api/v1/users/{name}/agency", user_agency_put, 0, 0},
    {M_POST, "/api/v1/reports/{id}/send", report_send, 0, 0},
    {M_POST, "/api/v1/evidence", evidence_put, HL_EVIDENCE_MAX_BYTES, ROUTE_RAW_BODY},
    {M_GET, "/api/v1/evidence/{id}", evidence_get, 0, 0},
    {M_GET, "/api/v1/inspections", inspection_list, 0, 0},
    {0},
};
