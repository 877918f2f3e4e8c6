/* Plans over the exchange: a report made at a commune's node sent to the province, recorded
 * there as coming from that node, and the province's verdict sent back and recorded on the
 * commune's copy of the report (README.md, "Over the exchange"). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../store/store_plans.h"
#include "halong/archive.h"
#include "halong/plans.h"
#include "halong/util.h"
#include "plans_int.h"

#define MSG_TYPE     "report" /* the exchange's message type */
#define KIND_REPORT  "task.report"
#define KIND_VERDICT "report.verdict"
#define MAX_COMMENT  20000 /* bytes of a verdict's comment (the compiler's limit) */

/* ---- shared ---- */

/* A task's plan and number, as the other node names it. */
typedef struct {
	char *plan_id, *item_no;
} task_key;

static int key_of(const hl_task *t, void *ud)
{
	task_key *k = ud;
	k->plan_id = hl_strdup(t->plan_id);
	k->item_no = hl_strdup(t->item_no);
	return 1;
}

static int task_key_get(task_key *k, hl_store *st, int64_t tid)
{
	int rc = hl_store_task_foreach(st, NULL, tid, key_of, k);
	if (rc < 0)
		return rc;
	if (!k->plan_id || !k->item_no)
		return hl_error_set(HL_ENOMEM, "out of memory");
	return 0;
}

static void task_key_free(task_key *k)
{
	free(k->plan_id);
	free(k->item_no);
}

static int set_str(json_t *o, const char *k, const char *v)
{
	if (!v || !*v)
		return 0;
	return json_object_set_new(o, k, json_string(v)) ? hl_error_set(HL_ENOMEM, "out of memory")
	                                                 : 0;
}

/* ---- the commune: a report sent ---- */

/* The payload of a task.report message: the report as the province records it. */
static int report_payload(char **out, const hl_report *r, const task_key *k,
                          const char *corrects_message)
{
	json_t *p =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:I}", "kind", KIND_REPORT, "plan",
	              k->plan_id, "item_no", k->item_no, "agency", r->agency, "period", r->period,
	              "progress", r->progress, "state", hl_report_state_name(r->state), "at", r->at,
	              "local_id", (json_int_t)r->id);
	int rc;
	if (!p)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if ((rc = set_str(p, "done_on", r->done_on)) == 0 &&
	    (rc = set_str(p, "results", r->results)) == 0 &&
	    (rc = set_str(p, "difficulties", r->difficulties)) == 0 &&
	    (rc = set_str(p, "proposals", r->proposals)) == 0 &&
	    (rc = set_str(p, "corrects_message", corrects_message)) == 0 &&
	    !(*out = json_dumps(p, JSON_COMPACT)))
		rc = hl_error_set(HL_ENOMEM, "out of memory");
	json_decref(p);
	return rc;
}

/* The message, the mark that the report was sent, and the audit entry: one transaction. */
static int put_sent(char id[37], hl_node *self, const hl_principal *who, const hl_report *r,
                    const char *to, const char *payload, hl_access access)
{
	hl_store *st = hl_node_store(self);
	hl_exchange_msg m = {.to = to, .type = MSG_TYPE, .payload = payload, .access = access};
	char detail[160];
	int rc;
	if ((rc = hl_store_begin(st)) < 0)
		return rc;
	if ((rc = hl_exchange_outbox_put(id, self, &m)) == HL_ENOTFOUND)
		/* the recipient is part of the request: not a missing report */
		rc = hl_error_set(HL_EINVALID, "to: unit %.32s is not in the exchange directory",
		                  to);
	else if (rc == 0 && (rc = hl_store_report_sent(st, r->id, id)) == 0)
		rc = hl_error_set(HL_ECONFLICT, "report %lld was sent already", (long long)r->id);
	if (rc > 0) {
		snprintf(detail, sizeof(detail), "report %lld to %s, message %s", (long long)r->id,
		         to, id);
		rc = hl_store_audit(st, hl_principal_actor(who), "task.send", r->task_ref, detail);
	}
	if (rc < 0) {
		hl_store_rollback(st);
		return rc;
	}
	return hl_store_commit(st);
}

int hl_task_report_send(char id[37], hl_node *self, const hl_principal *who, int64_t report_id,
                        const char *to)
{
	hl_store *st = hl_node_store(self);
	const char *unit = hl_node_unit(self);
	hl_reports *l = NULL, *prior = NULL;
	hl_plan *plan = NULL;
	const hl_report *r;
	task_key k = {0};
	char ref[24], mine[33], msg_id[37], *payload = NULL;
	const char *corrects_message = NULL;
	int64_t tid;
	int rc;

	if ((rc = hl_auth_check(who, HL_ACT_SEND)) < 0)
		return rc;
	if (!to || !*to)
		return hl_error_set(HL_EINVALID,
		                    "to: the unit the report goes to (the province's)");
	if (!strcmp(to, unit))
		return hl_error_set(HL_EINVALID, "to: %.32s is this node's own unit", to);
	if ((rc = hl_plans__report_get(&l, st, report_id)) < 0)
		return rc;
	/* a report of a plan the caller may not read answers as a missing one */
	if (l->n) {
		snprintf(ref, sizeof(ref), "%lld", (long long)l->v[0].task_id);
		rc = hl_plans__task_ref(&tid, &plan, st, who, ref);
	}
	if (!l->n || rc == HL_ENOTFOUND) {
		rc = hl_error_set(HL_ENOTFOUND, "no report %lld", (long long)report_id);
		goto done;
	}
	if (rc < 0)
		goto done;
	r = &l->v[0];
	if (!who->local && who->role != HL_ROLE_ADMIN) {
		if ((rc = hl_plans_user_agency(mine, st, who)) < 0)
			goto done;
		if (strcmp(mine, r->agency)) {
			rc = hl_error_set(HL_EDENIED,
			                  "an officer sends the reports of their own agency only "
			                  "(yours: %s; report %lld: %s)",
			                  mine[0] ? mine : "none", (long long)report_id, r->agency);
			goto done;
		}
	}
	if (r->origin) {
		rc = hl_error_set(HL_EINVALID,
		                  "report %lld came from node %s: a node sends the reports made "
		                  "there",
		                  (long long)report_id, r->origin);
		goto done;
	}
	if (strcmp(r->agency, unit)) {
		rc =
		    hl_error_set(HL_EINVALID,
		                 "report %lld is agency %s's: this node is unit %s's and sends its "
		                 "reports only",
		                 (long long)report_id, r->agency, unit);
		goto done;
	}
	if (r->message_id) {
		rc = hl_error_set(HL_ECONFLICT, "report %lld was sent already (message %s)",
		                  (long long)report_id, r->message_id);
		goto done;
	}
	/* a correction names the message of the report it corrects, when that one was sent: the
	 * province knows it by that message (a report returned here and never sent is nothing to
	 * the province, and the correction goes as a report of its own) */
	if (r->corrects) {
		if ((rc = hl_plans__report_get(&prior, st, r->corrects)) < 0)
			goto done;
		if (prior->n && prior->v[0].message_id)
			corrects_message = prior->v[0].message_id;
	}
	if ((rc = task_key_get(&k, st, tid)) < 0 ||
	    (rc = report_payload(&payload, r, &k, corrects_message)) < 0 ||
	    (rc = put_sent(msg_id, self, who, r, to, payload, plan->access)) < 0)
		goto done;
	if (id)
		memcpy(id, msg_id, 37);
done:
	task_key_free(&k);
	free(payload);
	hl_reports_free(l);
	hl_reports_free(prior);
	hl_plan_free(plan);
	return rc;
}

/* ---- applying a message ---- */

/* A refusal of the message: its code says why (hl_plans_exchange_apply), its text what. */
static int refuse(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(int code, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return hl_error_set(code, "%s", msg);
}

/* A text member of the payload: absent or null is NULL (refused when required). */
static int member(const char **out, json_t *p, const char *kind, const char *k, int required)
{
	json_t *v = json_object_get(p, k);
	*out = NULL;
	if (!v || json_is_null(v))
		return required ? refuse(HL_EINVALID, "%s: \"%s\" is required", kind, k) : 0;
	if (!json_is_string(v))
		return refuse(HL_EINVALID, "%s: \"%s\" is not a text", kind, k);
	*out = json_string_value(v);
	return 0;
}

/* The task the message names, held here: else the nodes' plans disagree. */
static int task_here(int64_t *tid, hl_store *st, const char *kind, const char *plan,
                     const char *item)
{
	int rc = hl_store_task_find(tid, NULL, st, plan, item, 0);
	if (rc == HL_ENOTFOUND)
		return refuse(HL_ECONFLICT,
		              "%s: task %.60s/%.30s is not held here (no such plan or task)", kind,
		              plan, item);
	return rc;
}

/* task.report on the province: recorded as the sender's, from that node. */
static int apply_report(hl_store *st, const hl_exchange_message *m, json_t *p)
{
	const char *plan_id, *item, *agency, *period, *state, *done_on, *results, *difficulties,
	    *proposals, *at, *corrects_message;
	json_t *prog = json_object_get(p, "progress");
	hl_report_in in = {0};
	char actor[64], ref[200], today[11], num[24];
	int64_t tid = 0, cid = 0, id = 0;
	int rc;
	hl_principal who;

	if ((rc = member(&plan_id, p, KIND_REPORT, "plan", 1)) < 0 ||
	    (rc = member(&item, p, KIND_REPORT, "item_no", 1)) < 0 ||
	    (rc = member(&agency, p, KIND_REPORT, "agency", 1)) < 0 ||
	    (rc = member(&period, p, KIND_REPORT, "period", 1)) < 0 ||
	    (rc = member(&state, p, KIND_REPORT, "state", 1)) < 0 ||
	    (rc = member(&at, p, KIND_REPORT, "at", 1)) < 0 ||
	    (rc = member(&done_on, p, KIND_REPORT, "done_on", 0)) < 0 ||
	    (rc = member(&results, p, KIND_REPORT, "results", 0)) < 0 ||
	    (rc = member(&difficulties, p, KIND_REPORT, "difficulties", 0)) < 0 ||
	    (rc = member(&proposals, p, KIND_REPORT, "proposals", 0)) < 0 ||
	    (rc = member(&corrects_message, p, KIND_REPORT, "corrects_message", 0)) < 0)
		return rc;
	if (!json_is_integer(prog) || json_integer_value(prog) < 0 ||
	    json_integer_value(prog) > 100)
		return refuse(HL_EINVALID, "%s: \"progress\" is not a whole number 0–100",
		              KIND_REPORT);
	if ((rc = hl_report_state_parse(&in.state, state)) < 0)
		return refuse(HL_EINVALID, "%s: %s", KIND_REPORT, hl_error_last());
	if (!hl_plans__is_date(at))
		return refuse(HL_EINVALID, "%s: \"at\" is not a day (yyyy-mm-dd)", KIND_REPORT);
	/* the sender's signature vouches for the node, and a node reports for its own unit */
	if (strcmp(agency, m->from))
		return refuse(HL_EDENIED,
		              "%s: agency %.32s is not the sender's unit (%s): a node reports for "
		              "its own unit only",
		              KIND_REPORT, agency, m->from);
	hl_plans_today(today);
	if (strcmp(at, today) > 0)
		return refuse(
		    HL_ECONFLICT,
		    "%s: the report is dated %s, after today here (%s): the nodes' clocks "
		    "disagree",
		    KIND_REPORT, at, today);
	if ((rc = task_here(&tid, st, KIND_REPORT, plan_id, item)) < 0)
		return rc;
	snprintf(ref, sizeof(ref), "%.120s/%.60s", plan_id, item);
	snprintf(actor, sizeof(actor), "exchange:%s", m->from);
	who = hl_principal_local(actor);
	/* a correction: of a report that came from the same node for this task */
	if (corrects_message &&
	    (rc = hl_store_report_by_message(&cid, st, tid, corrects_message, m->from)) < 0) {
		if (rc == HL_ENOTFOUND)
			rc = refuse(
			    HL_ECONFLICT,
			    "%s: the report it corrects (message %.40s) is not one of task %s "
			    "received here from %s",
			    KIND_REPORT, corrects_message, ref, m->from);
		return rc;
	}
	/* the task by its number: the one found above, whatever its STT holds */
	snprintf(num, sizeof(num), "%lld", (long long)tid);
	in.task = num;
	in.agency = agency;
	in.period = period;
	in.progress = (int)json_integer_value(prog);
	in.done_on = done_on;
	in.results = results;
	in.difficulties = difficulties;
	in.proposals = proposals;
	in.corrects = cid;
	in.at = at;
	in.origin = m->from;
	in.message_id = m->id;
	/* every check of a report made here; inside the inbox's transaction */
	if ((rc = hl_task_report(&id, st, &who, &in)) < 0) {
		/* said as the message's fault, naming the kind; a failure of the store stays one */
		if (rc == HL_EINVALID || rc == HL_EDENIED || rc == HL_ECONFLICT || rc == HL_ELIMIT)
			rc = refuse(rc, "%s: %s", KIND_REPORT, hl_error_last());
	}
	return rc;
}

/* report.verdict on the commune: the province's verdict on the report sent from here in the
 * message named, recorded whatever this node's own compiler rules. */
static int apply_verdict(hl_store *st, const hl_exchange_message *m, json_t *p)
{
	const char *plan_id, *item, *message_id, *verdict, *comment, *at;
	json_t *prov = json_object_get(p, "report");
	char actor[64], detail[200];
	int64_t tid = 0, lid = 0;
	int rc;

	if ((rc = member(&plan_id, p, KIND_VERDICT, "plan", 1)) < 0 ||
	    (rc = member(&item, p, KIND_VERDICT, "item_no", 1)) < 0 ||
	    (rc = member(&message_id, p, KIND_VERDICT, "message_id", 1)) < 0 ||
	    (rc = member(&verdict, p, KIND_VERDICT, "verdict", 1)) < 0 ||
	    (rc = member(&at, p, KIND_VERDICT, "at", 1)) < 0 ||
	    (rc = member(&comment, p, KIND_VERDICT, "comment", 0)) < 0)
		return rc;
	if (strcmp(verdict, "accepted") && strcmp(verdict, "returned"))
		return refuse(HL_EINVALID, "%s: \"verdict\" is accepted or returned", KIND_VERDICT);
	if (!strcmp(verdict, "returned") && (!comment || !*comment))
		return refuse(HL_EINVALID, "%s: a report returned says why (\"comment\")",
		              KIND_VERDICT);
	if (comment && strlen(comment) > MAX_COMMENT)
		return refuse(HL_ELIMIT, "%s: \"comment\" is longer than %d bytes", KIND_VERDICT,
		              MAX_COMMENT);
	if (!hl_plans__is_date(at))
		return refuse(HL_EINVALID, "%s: \"at\" is not a day (yyyy-mm-dd)", KIND_VERDICT);
	if (prov && !json_is_integer(prov))
		return refuse(HL_EINVALID, "%s: \"report\" is not a report's number", KIND_VERDICT);
	if ((rc = task_here(&tid, st, KIND_VERDICT, plan_id, item)) < 0)
		return rc;
	if ((rc = hl_store_report_by_message(&lid, st, tid, message_id, NULL)) == HL_ENOTFOUND)
		return refuse(
		    HL_ECONFLICT,
		    "%s: no report of task %.60s/%.30s was sent from here in message %.40s",
		    KIND_VERDICT, plan_id, item, message_id);
	if (rc < 0)
		return rc;
	snprintf(actor, sizeof(actor), "exchange:%s", m->from);
	snprintf(detail, sizeof(detail), "report %lld %s by %s (its report %lld there)",
	         (long long)lid, verdict, m->from, (long long)json_integer_value(prov));
	if ((rc = hl_store_verification_put(st, lid, verdict, comment, at, actor)) < 0)
		return rc;
	{
		char ref[200];
		snprintf(ref, sizeof(ref), "%.120s/%.60s", plan_id, item);
		return hl_store_audit(st, actor, "report.verify", ref, detail);
	}
}

int hl_plans_exchange_apply(hl_store *st, const hl_exchange_message *m)
{
	json_t *p = m->payload ? json_loads(m->payload, JSON_REJECT_DUPLICATES, NULL) : NULL;
	const char *kind = json_string_value(json_object_get(p, "kind"));
	int rc = 0;
	/* any other report (no kind of the plans) is the inbox's alone, as before */
	if (kind && !strcmp(kind, KIND_REPORT))
		rc = apply_report(st, m, p);
	else if (kind && !strcmp(kind, KIND_VERDICT)) {
		rc = apply_verdict(st, m, p);
		/* nothing this node can do makes a verdict it refuses match, and a refusal would
		 * hold every later message of the province behind it for good (a node restored
		 * from a backup older than its last report, say): taken, and said (1) */
		if (rc == HL_EINVALID || rc == HL_ELIMIT || rc == HL_EDENIED || rc == HL_ECONFLICT)
			rc = 1;
	}
	json_decref(p);
	return rc;
}

/* ---- the province: a verdict sent back ---- */

static int verdict_payload(char **out, const hl_report *r, const task_key *k, int accept,
                           const char *comment, const char *day)
{
	json_t *p =
	    json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "kind", KIND_VERDICT, "plan",
	              k->plan_id, "item_no", k->item_no, "report", (json_int_t)r->id, "message_id",
	              r->message_id, "verdict", accept ? "accepted" : "returned", "at", day);
	int rc;
	if (!p)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if ((rc = set_str(p, "comment", comment)) == 0 && !(*out = json_dumps(p, JSON_COMPACT)))
		rc = hl_error_set(HL_ENOMEM, "out of memory");
	json_decref(p);
	return rc;
}

int hl_plans__verdict_put(hl_archive *archive, const hl_report *r, const hl_plan *plan, int accept,
                          const char *comment, const char *day, const char *actor)
{
	hl_store *st = hl_archive_store(archive);
	hl_node *self = NULL;
	task_key k = {0};
	hl_exchange_msg m = {.to = r->origin, .type = MSG_TYPE, .access = plan->access};
	char *payload = NULL, id[37], detail[160];
	int rc;

	if (!r->message_id)
		return hl_error_set(HL_EINVALID,
		                    "report %lld came from node %s without its message's id: its "
		                    "verdict cannot be matched there",
		                    (long long)r->id, r->origin);
	if ((rc = hl_node_open(&self, st, hl_archive_dir(archive))) < 0) {
		if (rc == HL_ENOTFOUND)
			rc = hl_error_set(HL_EINVALID,
			                  "report %lld came from node %s, and this node has no "
			                  "exchange identity to send its verdict back (halong node "
			                  "init)",
			                  (long long)r->id, r->origin);
		return rc;
	}
	if ((rc = task_key_get(&k, st, r->task_id)) < 0 ||
	    (rc = verdict_payload(&payload, r, &k, accept, comment, day)) < 0)
		goto done;
	m.payload = payload;
	if ((rc = hl_exchange_outbox_put(id, self, &m)) < 0) {
		/* what the directory refuses is a state of this node, not a missing report */
		char msg[600];
		snprintf(msg, sizeof(msg), "%s", hl_error_last());
		rc = hl_error_set(rc == HL_ENOTFOUND ? HL_ECONFLICT : rc,
		                  "the verdict of report %lld cannot go back to node %s: %s",
		                  (long long)r->id, r->origin, msg);
		goto done;
	}
	snprintf(detail, sizeof(detail), "verdict of report %lld to %s, message %s",
	         (long long)r->id, r->origin, id);
	rc = hl_store_audit(st, actor, "exchange.send", id, detail);
done:
	task_key_free(&k);
	free(payload);
	hl_node_free(self);
	return rc;
}

int hl_report_verify_archive(hl_archive *a, const hl_principal *who, int64_t id, int accept,
                             const char *comment, const char *at)
{
	return hl_plans__verify(hl_archive_store(a), a, who, id, accept, comment, at);
}
