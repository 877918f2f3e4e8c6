/* The JSON shapes of plans/ (include/halong/plans_json.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "halong/plans_json.h"

static json_t *str(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static const char *every_name(hl_freq f)
{
	switch (f) {
	case HL_FREQ_QUARTERLY:
		return "quarterly";
	case HL_FREQ_HALF_YEARLY:
		return "half-yearly";
	case HL_FREQ_YEARLY:
		return "yearly";
	case HL_FREQ_NONE:
		return "none";
	default:
		return "monthly";
	}
}

json_t *hl_plan_json(const hl_plan *p)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", str(p->id));
	json_object_set_new(o, "number", str(p->number));
	json_object_set_new(o, "date", str(p->date));
	json_object_set_new(o, "issuer", str(p->issuer));
	json_object_set_new(o, "title", str(p->title));
	json_object_set_new(o, "period_from", str(p->period_from));
	json_object_set_new(o, "period_to", str(p->period_to));
	json_object_set_new(o, "report_every", json_string(every_name(p->report_every)));
	json_object_set_new(o, "compiler", str(p->compiler));
	json_object_set_new(o, "document_id", str(p->document_id));
	json_object_set_new(o, "access", json_string(hl_access_name(p->access)));
	json_object_set_new(o, "note", str(p->note));
	json_object_set_new(o, "tasks", json_integer(p->tasks));
	return o;
}

json_t *hl_task_json(const hl_task *t)
{
	json_t *o = json_object(), *due = json_object(), *lead = json_array(),
	       *support = json_array();
	char ref[200];
	snprintf(ref, sizeof(ref), "%s/%s", t->plan_id ? t->plan_id : "", t->item_no);
	json_object_set_new(o, "id", json_integer(t->id));
	json_object_set_new(o, "ref", json_string(ref));
	json_object_set_new(o, "plan_id", str(t->plan_id));
	json_object_set_new(o, "item_no", str(t->item_no));
	json_object_set_new(o, "parent_no", str(t->parent_no));
	json_object_set_new(o, "depth", json_integer(t->depth));
	json_object_set_new(o, "leaf", json_boolean(t->leaf));
	json_object_set_new(o, "section", json_boolean(t->nagencies == 0));
	json_object_set_new(o, "title", str(t->title));
	json_object_set_new(o, "output", str(t->output));
	json_object_set_new(o, "weight", json_real(t->weight));
	json_object_set_new(due, "text", str(t->due_text));
	json_object_set_new(due, "kind", json_string(hl_due_kind_name(t->due.kind)));
	json_object_set_new(due, "start", str(t->due.start));
	json_object_set_new(due, "date", str(t->due.due));
	json_object_set_new(o, "due", due);
	for (size_t i = 0; i < t->nagencies; i++)
		json_array_append_new(t->agencies[i].lead ? lead : support,
		                      json_pack("{s:o,s:s}", "code", str(t->agencies[i].code),
		                                "name", t->agencies[i].name));
	json_object_set_new(o, "lead", lead);
	json_object_set_new(o, "support", support);
	json_object_set_new(o, "status", json_string(hl_task_status_name(t->status)));
	json_object_set_new(o, "status_vi", json_string(hl_task_status_vi(t->status)));
	json_object_set_new(o, "progress", json_real((double)(int)(t->progress * 10 + 0.5) / 10));
	json_object_set_new(o, "judged_due", str(t->judged_due));
	json_object_set_new(o, "origin", str(t->origin));
	json_object_set_new(o, "cancelled", str(t->cancelled));
	return o;
}

json_t *hl_report_json(const hl_report *r)
{
	json_t *o = json_object(), *ev = json_array();
	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "task_id", json_integer(r->task_id));
	json_object_set_new(o, "task", str(r->task_ref));
	json_object_set_new(o, "agency", str(r->agency));
	json_object_set_new(o, "period", str(r->period));
	json_object_set_new(o, "period_from", str(r->period_from));
	json_object_set_new(o, "period_to", str(r->period_to));
	json_object_set_new(o, "progress", json_integer(r->progress));
	json_object_set_new(o, "state", json_string(hl_report_state_name(r->state)));
	json_object_set_new(o, "done_on", str(r->done_on));
	json_object_set_new(o, "results", str(r->results));
	json_object_set_new(o, "difficulties", str(r->difficulties));
	json_object_set_new(o, "proposals", str(r->proposals));
	if (r->evidence) {
		const char *p = r->evidence;
		while (*p) {
			const char *sp = strchr(p, ' ');
			size_t n = sp ? (size_t)(sp - p) : strlen(p);
			json_array_append_new(ev, json_stringn(p, n));
			p += n;
			while (*p == ' ')
				p++;
		}
	}
	json_object_set_new(o, "evidence", ev);
	if (r->nfiles) {
		json_t *files = json_array();
		for (size_t i = 0; i < r->nfiles; i++)
			json_array_append_new(files, hl_evidence_file_json(&r->files[i]));
		json_object_set_new(o, "files", files);
	}
	json_object_set_new(o, "at", str(r->at));
	json_object_set_new(o, "by", str(r->by));
	json_object_set_new(o, "report_due", r->report_due[0] ? str(r->report_due) : json_null());
	json_object_set_new(o, "late", json_boolean(r->late));
	json_object_set_new(o, "corrects", r->corrects ? json_integer(r->corrects) : json_null());
	json_object_set_new(o, "origin", str(r->origin));
	json_object_set_new(o, "message_id", str(r->message_id));
	json_object_set_new(o, "verdict", str(r->verdict));
	json_object_set_new(o, "verdict_comment", str(r->verdict_comment));
	json_object_set_new(o, "verdict_at", str(r->verdict_at));
	json_object_set_new(o, "verdict_by", str(r->verdict_by));
	return o;
}

static void counts(json_t *o, const hl_eval_counts *c)
{
	uint64_t due = c->total;
	json_object_set_new(o, "total", json_integer((json_int_t)c->total));
	json_object_set_new(o, "done_on_time", json_integer((json_int_t)c->done_on_time));
	json_object_set_new(o, "done_late", json_integer((json_int_t)c->done_late));
	json_object_set_new(o, "open_on_time", json_integer((json_int_t)c->open_on_time));
	json_object_set_new(o, "overdue", json_integer((json_int_t)c->overdue));
	json_object_set_new(o, "waiting", json_integer((json_int_t)c->waiting));
	json_object_set_new(o, "not_started", json_integer((json_int_t)c->not_started));
	json_object_set_new(o, "cancelled", json_integer((json_int_t)c->cancelled));
	json_object_set_new(o, "no_deadline", json_integer((json_int_t)c->no_deadline));
	/* rounded, not cut: 2 of 12 is 16.7% */
	json_object_set_new(o, "score", json_real(round(c->score * 1000) / 1000));
	json_object_set_new(
	    o, "pct_done",
	    json_real(due ? round(1000.0 * (double)(c->done_on_time + c->done_late) / due) / 10
	                  : 0));
	json_object_set_new(
	    o, "pct_on_time",
	    json_real(due ? round(1000.0 * (double)c->done_on_time / due) / 10 : 0));
}

static json_t *items(const hl_eval_item *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(
		    a, json_pack("{s:I,s:s,s:o,s:o,s:s,s:s,s:s,s:i}", "task_id",
		                 (json_int_t)v[i].task_id, "ref", v[i].ref, "title",
		                 str(v[i].title), "agency", str(v[i].agency), "due", v[i].due,
		                 "status", hl_task_status_name(v[i].status), "status_vi",
		                 hl_task_status_vi(v[i].status), "days", v[i].days));
	return a;
}

json_t *hl_eval_json(const hl_eval *e)
{
	json_t *o = json_object(), *t = json_object(), *ag = json_array();
	json_object_set_new(o, "from", str(e->from));
	json_object_set_new(o, "to", str(e->to));
	json_object_set_new(o, "at", str(e->at));
	json_object_set_new(o, "period", str(e->period));
	json_object_set_new(o, "rule", str(e->rule));
	counts(t, &e->total);
	json_object_set_new(o, "total", t);
	json_object_set_new(o, "line_vi", str(e->line_vi));
	json_object_set_new(o, "line_en", str(e->line_en));
	for (size_t i = 0; i < e->nagencies; i++) {
		json_t *a = json_object();
		json_object_set_new(a, "rank", json_integer(e->agencies[i].rank));
		json_object_set_new(a, "code", str(e->agencies[i].code));
		json_object_set_new(a, "name", str(e->agencies[i].name));
		counts(a, &e->agencies[i].c);
		json_array_append_new(ag, a);
	}
	json_object_set_new(o, "agencies", ag);
	json_object_set_new(o, "overdue", items(e->overdue, e->noverdue));
	json_object_set_new(o, "soon", items(e->soon, e->nsoon));
	if (e->has_previous) {
		json_t *p = json_object();
		json_object_set_new(p, "period", json_string(e->previous_period));
		counts(p, &e->previous);
		json_object_set_new(o, "previous", p);
	} else
		json_object_set_new(o, "previous", json_null());
	return o;
}

json_t *hl_period_json(const hl_period *p)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "label", p->label, "from", p->from, "to",
	                 p->to, "data_from", p->data_from, "data_to", p->data_to, "report_due",
	                 p->report_due);
}

json_t *hl_inspection_json(const hl_inspection *in)
{
	json_t *o = json_object(), *f = json_array();
	json_object_set_new(o, "id", json_integer(in->id));
	json_object_set_new(o, "plan", str(in->plan));
	json_object_set_new(o, "date", str(in->date));
	json_object_set_new(o, "team", str(in->team));
	json_object_set_new(o, "scope", str(in->scope));
	json_object_set_new(o, "agency", str(in->agency));
	json_object_set_new(o, "findings", str(in->findings));
	json_object_set_new(o, "rating", str(in->rating));
	json_object_set_new(o, "at", str(in->at));
	json_object_set_new(o, "by", str(in->by));
	for (size_t i = 0; i < in->nfollow; i++)
		json_array_append_new(f, json_string(in->follow[i]));
	json_object_set_new(o, "follow_up", f);
	return o;
}

json_t *hl_evidence_file_json(const hl_evidence_file *f)
{
	char ref[32];
	snprintf(ref, sizeof(ref), "file:%lld", (long long)f->id);
	return json_pack("{s:I,s:s,s:s,s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)f->id, "ref", ref,
	                 "name", f->name, "size", (json_int_t)f->size, "sha256", f->sha256,
	                 "agency", f->agency, "at", f->at, "by", f->by);
}

json_t *hl_lesson_json(const hl_lesson *l)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(l->id));
	json_object_set_new(o, "kind", json_string("lesson"));
	json_object_set_new(o, "title", str(l->title));
	json_object_set_new(o, "body", str(l->body));
	json_object_set_new(o, "task", str(l->task_ref));
	json_object_set_new(o, "agency", str(l->agency));
	json_object_set_new(o, "at", str(l->at));
	json_object_set_new(o, "by", str(l->by));
	if (l->snippet)
		json_object_set_new(o, "snippet", str(l->snippet));
	return o;
}

json_t *hl_kpi_json(const hl_kpi *k)
{
	json_t *o = json_object(), *vals = json_array();
	json_object_set_new(o, "plan", str(k->plan));
	json_object_set_new(o, "code", str(k->code));
	json_object_set_new(o, "name", str(k->name));
	json_object_set_new(o, "unit", str(k->unit));
	json_object_set_new(o, "task", str(k->task_ref));
	json_object_set_new(o, "baseline", k->has_baseline ? json_real(k->baseline) : json_null());
	json_object_set_new(o, "target", json_real(k->target));
	json_object_set_new(o, "better", json_string(k->lower_is_better ? "lower" : "higher"));
	for (size_t i = 0; i < k->nvalues; i++) {
		const hl_kpi_value *v = &k->values[i];
		json_array_append_new(vals,
		                      json_pack("{s:s,s:f,s:f,s:f,s:b,s:o,s:o}", "period",
		                                v->period, "actual", v->actual, "target", v->target,
		                                "achieved", (double)(long)(v->achieved * 10) / 10,
		                                "met", v->met, "at", str(v->at), "by", str(v->by)));
	}
	json_object_set_new(o, "values", vals);
	return o;
}

json_t *hl_plan_feed_json(const hl_plan_feed *f)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(f->id));
	json_object_set_new(o, "agency", str(f->agency));
	json_object_set_new(o, "label", str(f->label));
	json_object_set_new(o, "created_at", str(f->created_at));
	json_object_set_new(o, "created_by", str(f->created_by));
	json_object_set_new(o, "revoked_at", str(f->revoked_at));
	return o;
}
