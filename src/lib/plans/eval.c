/* Evaluation of a period: the tasks due in it (or every task) counted at the clock as the
 * Government Office counts them — done on time, done late, open within the deadline, open and
 * overdue — with waiting for guidance and cancelled apart; per lead agency and in all; the
 * overdue and due-soon lists; the ranking by a published rule; the previous period's snapshot. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../store/store_plans.h"
#include "halong/plans.h"
#include "halong/plans_json.h"
#include "halong/util.h"
#include "plans_int.h"

#define MAX_LIST 500 /* items kept in the overdue and due-soon lists: the most urgent */

void hl_eval_free(hl_eval *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nagencies; i++) {
		free(e->agencies[i].code);
		free(e->agencies[i].name);
	}
	free(e->agencies);
	for (size_t i = 0; i < e->noverdue; i++) {
		free(e->overdue[i].ref);
		free(e->overdue[i].title);
		free(e->overdue[i].agency);
		free(e->overdue[i].due);
	}
	for (size_t i = 0; i < e->nsoon; i++) {
		free(e->soon[i].ref);
		free(e->soon[i].title);
		free(e->soon[i].agency);
		free(e->soon[i].due);
	}
	free(e->overdue);
	free(e->soon);
	free(e->rule);
	free(e->line_vi);
	free(e->line_en);
	free(e);
}

typedef struct {
	hl_eval *e;
	hl_store *st;
	const hl_eval_in *in;
	double w[HL_TASK_STATUS_COUNT];
	int soon_days;
	char soon_to[11];
	size_t capag, capover, capsoon;
	int rc;
	const char *agency;  /* counted for this agency only (its code), NULL: all */
	hl_plans__succ succ; /* a merged agency's tasks count for its successor */
	char code[33];
	/* the task being counted */
	const hl_plans__view *v;
	size_t ti;
	int recurring; /* judged by the occurrence (only the reports of its period) */
} ectx;

static void count(hl_eval_counts *c, hl_task_status s, const char *due, const double *w)
{
	if (s == HL_TASK_CANCELLED) {
		c->cancelled++;
		return;
	}
	c->total++;
	switch (s) {
	case HL_TASK_DONE_ON_TIME:
		c->done_on_time++;
		break;
	case HL_TASK_DONE_LATE:
		c->done_late++;
		break;
	case HL_TASK_OVERDUE:
		c->overdue++;
		break;
	case HL_TASK_WAITING:
		c->waiting++;
		break;
	case HL_TASK_NOT_STARTED:
		c->not_started++;
		/* fall through */
	default:
		c->open_on_time++;
		c->no_deadline += !due[0];
		break;
	}
	c->score += w[s];
}

static hl_eval_agency *agency_row(ectx *x, const char *code, const char *name)
{
	hl_eval *e = x->e;
	for (size_t i = 0; i < e->nagencies; i++)
		if (!strcmp(e->agencies[i].code, code))
			return &e->agencies[i];
	if (e->nagencies == x->capag) {
		size_t nc = x->capag ? 2 * x->capag : 32;
		hl_eval_agency *nv = realloc(e->agencies, nc * sizeof(*nv));
		if (!nv)
			return NULL;
		e->agencies = nv;
		x->capag = nc;
	}
	hl_eval_agency *r = &e->agencies[e->nagencies++];
	memset(r, 0, sizeof(*r));
	r->code = hl_strdup(code);
	r->name = hl_strdup(name);
	return r;
}

static int item_cmp(const void *a, const void *b);

/* The lists are max-heaps by (deadline, ref) while they are filled: the top is the least urgent
 * item kept. */
static void swap_items(hl_eval_item *a, hl_eval_item *b)
{
	hl_eval_item t = *a;
	*a = *b;
	*b = t;
}

static void sift_down(hl_eval_item *v, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && item_cmp(&v[l], &v[m]) > 0)
			m = l;
		if (r < n && item_cmp(&v[r], &v[m]) > 0)
			m = r;
		if (m == i)
			return;
		swap_items(&v[i], &v[m]);
		i = m;
	}
}

static void sift_up(hl_eval_item *v, size_t i)
{
	while (i) {
		size_t p = (i - 1) / 2;
		if (item_cmp(&v[i], &v[p]) <= 0)
			return;
		swap_items(&v[i], &v[p]);
		i = p;
	}
}

static void list_add(ectx *x, hl_eval_item **v, size_t *n, size_t *cap, hl_task_status s,
                     const char *due, int days)
{
	const hl_task *t = &x->v->tasks->v[x->ti];
	char ref[200];
	hl_eval_item *it;
	int replace = 0;
	/* the MAX_LIST most urgent (earliest deadline, then ref) are kept as they come: an item
	 * less urgent than all of them, once there are MAX_LIST, is not copied at all */
	snprintf(ref, sizeof(ref), "%s/%s", t->plan_id, t->item_no);
	if (*n >= MAX_LIST) {
		int c = strcmp(due, (*v)[0].due);
		if (c > 0 || (c == 0 && strcmp(ref, (*v)[0].ref) >= 0))
			return;
		it = &(*v)[0];
		free(it->ref);
		free(it->title);
		free(it->agency);
		free(it->due);
		replace = 1;
	} else {
		if (*n == *cap) {
			size_t nc = *cap ? 2 * *cap : 16;
			hl_eval_item *nv = realloc(*v, nc * sizeof(*nv));
			if (!nv)
				return;
			*v = nv;
			*cap = nc;
		}
		it = &(*v)[(*n)++];
	}
	it->task_id = t->id;
	it->ref = hl_strdup(ref);
	it->title = hl_strdup(t->title);
	it->agency = NULL;
	for (size_t i = 0; i < t->nagencies && !it->agency; i++)
		if (t->agencies[i].lead)
			it->agency = hl_strdup(
			    t->agencies[i].code ? hl_plans__current(&x->succ, t->agencies[i].code,
			                                            x->e->at) /* as counted */
			                        : t->agencies[i].name);
	it->due = hl_strdup(due);
	it->status = s;
	it->days = days;
	if (replace)
		sift_down(*v, *n, 0);
	else
		sift_up(*v, *n - 1);
}

/* The status of task ti for lead `code` (a task of several leads: each on its own reports),
 * else s, the task's. */
static hl_task_status lead_status(ectx *x, int multi, hl_task_status s, const char *due,
                                  const char *code)
{
	return multi ? hl_plans__judge_lead(x->v, x->ti, due, x->recurring, code, NULL, NULL) : s;
}

/* One item: the task ti for one deadline, s its status as a whole. */
static void item(ectx *x, hl_task_status s, const char *due)
{
	const hl_task *t = &x->v->tasks->v[x->ti];
	int mine = !x->agency, multi = hl_plans__coded_leads(t) > 1;
	for (size_t i = 0; i < t->nagencies; i++)
		if (t->agencies[i].lead && t->agencies[i].code && x->agency && !mine &&
		    !strcmp(hl_plans__current(&x->succ, t->agencies[i].code, x->e->at),
		            x->agency)) {
			mine = 1;
			/* an agency's evaluation counts its own part of a task it leads with others
			 */
			s = lead_status(x, multi, s, due, t->agencies[i].code);
		}
	if (!mine)
		return;
	count(&x->e->total, s, due, x->w);
	for (size_t i = 0; i < t->nagencies; i++) {
		if (!t->agencies[i].lead || !t->agencies[i].code)
			continue;
		const char *code = hl_plans__current(&x->succ, t->agencies[i].code, x->e->at);
		if (x->agency && strcmp(code, x->agency))
			continue;
		hl_eval_agency *r = agency_row(x, code, t->agencies[i].name);
		if (!r) {
			x->rc = hl_error_set(HL_ENOMEM, "out of memory");
			return;
		}
		count(&r->c, x->agency ? s : lead_status(x, multi, s, due, t->agencies[i].code),
		      due, x->w);
	}
	long at = hl_plans__day_number(x->e->at);
	if (s == HL_TASK_OVERDUE)
		list_add(x, &x->e->overdue, &x->e->noverdue, &x->capover, s, due,
		         (int)(at - hl_plans__day_number(due)));
	else if ((s == HL_TASK_ON_TIME || s == HL_TASK_NOT_STARTED) && due[0] &&
	         strcmp(due, x->soon_to) <= 0)
		list_add(x, &x->e->soon, &x->e->nsoon, &x->capsoon, s, due,
		         (int)(hl_plans__day_number(due) - at));
}

static int occurrence(const char *start, const char *due, void *ud)
{
	ectx *x = ud;
	(void)start;
	x->recurring = 1;
	item(x, hl_plans__judge(x->v, x->ti, due, 1, NULL, NULL), due);
	return x->rc;
}

/* plan: as the caller may read it */
static int eval_plan(ectx *x, const hl_plan *plan)
{
	hl_plans__view v;
	int rc;
	if ((rc = hl_plans__view_status(&v, x->st, plan, x->e->at)) < 0)
		return rc;
	x->v = &v;
	for (size_t i = 0; i < v.tasks->n && x->rc == 0; i++) {
		const hl_task *t = &v.tasks->v[i];
		if (!t->leaf || !t->nagencies)
			continue;
		x->ti = i;
		x->recurring = 0;
		if (!x->e->from[0]) {
			x->recurring = hl_plans__recurs(t);
			item(x, t->status, t->judged_due);
			continue;
		}
		if (hl_plans__recurs(t) && t->cancelled) {
			item(x, HL_TASK_CANCELLED, ""); /* once, as a cancelled duty */
		} else if (hl_plans__recurs(t)) {
			char from[11], to[11];
			snprintf(from, sizeof(from), "%s",
			         strcmp(x->e->from, v.plan->period_from) > 0 ? x->e->from
			                                                     : v.plan->period_from);
			snprintf(to, sizeof(to), "%s",
			         strcmp(x->e->to, v.plan->period_to) < 0 ? x->e->to
			                                                 : v.plan->period_to);
			if (strcmp(from, to) <= 0)
				hl_due_occurrences(&t->due, v.plan->report_every, from, to,
				                   occurrence, x);
		} else if (t->due.due[0] && strcmp(t->due.due, x->e->from) >= 0 &&
		           strcmp(t->due.due, x->e->to) <= 0)
			item(x, hl_plans__judge(&v, i, t->due.due, 0, NULL, NULL), t->due.due);
	}
	hl_plans__view_free(&v);
	return x->rc;
}

static int rank_cmp(const void *a, const void *b)
{
	const hl_eval_agency *x = a, *y = b;
	double sx = x->c.total ? x->c.score / x->c.total : 0,
	       sy = y->c.total ? y->c.score / y->c.total : 0;
	if (sx != sy)
		return sx > sy ? -1 : 1;
	if (x->c.overdue != y->c.overdue)
		return x->c.overdue < y->c.overdue ? -1 : 1;
	return strcmp(x->code, y->code);
}

/* Keeps the first MAX_LIST items of a sorted list. */
static void cut_list(hl_eval_item *v, size_t *n)
{
	for (size_t i = MAX_LIST; i < *n; i++) {
		free(v[i].ref);
		free(v[i].title);
		free(v[i].agency);
		free(v[i].due);
	}
	if (*n > MAX_LIST)
		*n = MAX_LIST;
}

static int item_cmp(const void *a, const void *b)
{
	const hl_eval_item *x = a, *y = b;
	int c = strcmp(x->due, y->due);
	return c ? c : strcmp(x->ref, y->ref);
}

/* The period before `label` (2025-06 → 2025-05, 2025-Q1 → 2024-Q4, 2025-H1 → 2024-H2, 2025 →
 * 2024). */
static void previous_label(char out[8], const char *label)
{
	int y = atoi(label);
	unsigned uy = (unsigned)(y - 1) % 10000u, cy = (unsigned)y % 10000u;
	if (label[4] == 0)
		snprintf(out, 8, "%04u", uy);
	else if (label[5] == 'Q') {
		int q = label[6] - '0';
		snprintf(out, 8, "%04u-Q%u", q == 1 ? uy : cy,
		         q == 1 ? 4u : (unsigned)(q - 1) % 10u);
	} else if (label[5] == 'H')
		snprintf(out, 8, "%04u-H%u", label[6] == '1' ? uy : cy, label[6] == '1' ? 2u : 1u);
	else {
		int m = atoi(label + 5);
		snprintf(out, 8, "%04u-%02u", m == 1 ? uy : cy,
		         m == 1 ? 12u : (unsigned)(m - 1) % 100u);
	}
}

static void lines(hl_eval *e)
{
	const hl_eval_counts *c = &e->total;
	char buf[600];
	uint64_t done = c->done_on_time + c->done_late, going = c->open_on_time - c->not_started;
	snprintf(buf, sizeof(buf),
	         "Trong tổng số %llu nhiệm vụ: %llu đã hoàn thành (%llu đúng hạn, %llu quá hạn); "
	         "%llu đang thực hiện đúng tiến độ; %llu chậm tiến độ, quá hạn; %llu chưa triển "
	         "khai; %llu chờ hướng dẫn.",
	         (unsigned long long)c->total, (unsigned long long)done,
	         (unsigned long long)c->done_on_time, (unsigned long long)c->done_late,
	         (unsigned long long)going, (unsigned long long)c->overdue,
	         (unsigned long long)c->not_started, (unsigned long long)c->waiting);
	e->line_vi = hl_strdup(buf);
	snprintf(
	    buf, sizeof(buf),
	    "Of %llu tasks: %llu done (%llu on time, %llu late); %llu on schedule; %llu behind "
	    "schedule (overdue); %llu not started; %llu waiting for guidance.",
	    (unsigned long long)c->total, (unsigned long long)done,
	    (unsigned long long)c->done_on_time, (unsigned long long)c->done_late,
	    (unsigned long long)going, (unsigned long long)c->overdue,
	    (unsigned long long)c->not_started, (unsigned long long)c->waiting);
	e->line_en = hl_strdup(buf);
}

int hl_plan_eval(hl_eval **out, hl_store *st, const hl_principal *who, const hl_eval_in *in)
{
	ectx x = {0};
	hl_plans *plans = NULL;
	hl_period per;
	int rc;

	*out = NULL;
	if (!(x.e = calloc(1, sizeof(hl_eval))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	x.st = st;
	x.in = in;
	if ((rc = hl_plans__clock(x.e->at, in->at)) < 0)
		goto fail;
	if (in->period && *in->period) {
		if ((rc = hl_period_parse(&per, in->period, hl_plans__setting_int(st, "cutoff_day"),
		                          hl_plans__setting_int(st, "report_day"))) < 0)
			goto fail;
		snprintf(x.e->period, sizeof(x.e->period), "%s", per.label);
		snprintf(x.e->from, sizeof(x.e->from), "%s", per.from);
		snprintf(x.e->to, sizeof(x.e->to), "%s", per.to);
	} else if ((in->from && *in->from) || (in->to && *in->to)) {
		if (!in->from || !hl_plans__is_date(in->from) || !in->to ||
		    !hl_plans__is_date(in->to) || strcmp(in->from, in->to) > 0) {
			rc = hl_error_set(HL_EINVALID,
			                  "from, to: two days, yyyy-mm-dd, the first not "
			                  "after the second");
			goto fail;
		}
		snprintf(x.e->from, sizeof(x.e->from), "%s", in->from);
		snprintf(x.e->to, sizeof(x.e->to), "%s", in->to);
	}
	if ((rc = hl_plans__succ_load(&x.succ, st)) < 0 ||
	    (rc = hl_plans_setting_get(&x.e->rule, st, "rank_rule")) < 0 ||
	    (rc = hl_plans__rank_rule(x.w, x.e->rule)) < 0)
		goto fail;
	x.soon_days = in->soon_days > 0 ? in->soon_days : hl_plans__setting_int(st, "soon_days");
	hl_plans__add_days(x.soon_to, x.e->at, x.soon_days);
	if (in->agency && *in->agency) {
		/* a name or a code: counted by its code (a commune: its unit code as given) */
		hl_agency *a = NULL;
		snprintf(x.code, sizeof(x.code), "%.32s", in->agency);
		if (hl_agency_find(&a, st, in->agency, NULL) == 0) {
			snprintf(x.code, sizeof(x.code), "%s", a->code);
			hl_agency_free(a);
		}
		x.agency = x.code;
	}
	if (in->plan && *in->plan) {
		hl_plan *p = NULL;
		if ((rc = hl_plans__plan(&p, st, who, in->plan)) < 0)
			goto fail;
		rc = eval_plan(&x, p);
		hl_plan_free(p);
	} else if ((rc = hl_plan_list(&plans, st, who)) == 0)
		for (size_t i = 0; i < plans->n && rc == 0; i++)
			rc = eval_plan(&x, &plans->v[i]);
	hl_plans_free(plans);
	if (rc < 0)
		goto fail;
	if (x.e->nagencies)
		qsort(x.e->agencies, x.e->nagencies, sizeof(hl_eval_agency), rank_cmp);
	/* the agency's name in the register of today, not as the plan wrote it (the register read
	 * once: hl_agency_find for each code would rank every agency's name against a commune's
	 * code, which is none of them) */
	char today[11];
	hl_agencies *reg = NULL;
	hl_plans_today(today);
	if (hl_agency_list(&reg, st, today) < 0)
		reg = NULL;
	for (size_t i = 0; i < x.e->nagencies; i++) {
		hl_eval_agency *a = &x.e->agencies[i];
		a->c.score = a->c.total ? a->c.score / a->c.total : 0;
		a->rank = (int)i + 1;
		for (size_t j = 0; reg && j < reg->n; j++)
			if (!strcmp(reg->v[j].code, a->code)) {
				free(a->name);
				a->name = hl_strdup(reg->v[j].name);
				break;
			}
	}
	hl_agencies_free(reg);
	x.e->total.score = x.e->total.total ? x.e->total.score / x.e->total.total : 0;
	if (x.e->overdue)
		qsort(x.e->overdue, x.e->noverdue, sizeof(hl_eval_item), item_cmp);
	if (x.e->soon)
		qsort(x.e->soon, x.e->nsoon, sizeof(hl_eval_item), item_cmp);
	cut_list(x.e->overdue, &x.e->noverdue);
	cut_list(x.e->soon, &x.e->nsoon);
	lines(x.e);
	/* the previous period, as it was frozen */
	if (x.e->period[0] && in->plan && *in->plan) {
		char *body = NULL;
		previous_label(x.e->previous_period, x.e->period);
		if (hl_store_snapshot_get(&body, st, in->plan, x.e->previous_period) == 0) {
			json_t *j = json_loads(body, 0, NULL),
			       *t = j ? json_object_get(j, "total") : NULL;
			if (t) {
				hl_eval_counts *p = &x.e->previous;
				p->total =
				    (uint64_t)json_integer_value(json_object_get(t, "total"));
				p->done_on_time = (uint64_t)json_integer_value(
				    json_object_get(t, "done_on_time"));
				p->done_late =
				    (uint64_t)json_integer_value(json_object_get(t, "done_late"));
				p->open_on_time = (uint64_t)json_integer_value(
				    json_object_get(t, "open_on_time"));
				p->overdue =
				    (uint64_t)json_integer_value(json_object_get(t, "overdue"));
				p->waiting =
				    (uint64_t)json_integer_value(json_object_get(t, "waiting"));
				p->not_started =
				    (uint64_t)json_integer_value(json_object_get(t, "not_started"));
				p->cancelled =
				    (uint64_t)json_integer_value(json_object_get(t, "cancelled"));
				p->score = json_number_value(json_object_get(t, "score"));
				x.e->has_previous = 1;
			}
			json_decref(j);
		}
		free(body);
	}
	hl_plans__succ_free(&x.succ);
	*out = x.e;
	return 0;
fail:
	hl_plans__succ_free(&x.succ);
	hl_eval_free(x.e);
	return rc;
}

int hl_plan_close_period(hl_store *st, const hl_principal *who, const char *plan,
                         const char *period, const char *at)
{
	hl_eval *e = NULL;
	hl_eval_in in = {.plan = plan, .period = period, .at = at};
	hl_plan *p = NULL;
	char *body = NULL, mine[33];
	int rc;

	if (!period || !*period)
		return hl_error_set(HL_EINVALID, "period: the period to close (2025-06, 2025-Q2)");
	if ((rc = hl_plans__plan(&p, st, who, plan)) < 0)
		return rc;
	if ((rc = hl_plans_user_agency(mine, st, who)) < 0)
		goto done;
	if (!who->local && who->role != HL_ROLE_ADMIN &&
	    !(p->compiler && !strcmp(mine, p->compiler) && who->role != HL_ROLE_VIEWER)) {
		rc = hl_error_set(HL_EDENIED, "only the compiler of plan %s closes its periods",
		                  p->id);
		goto done;
	}
	if ((rc = hl_plan_eval(&e, st, who, &in)) < 0)
		goto done;
	if (strcmp(e->to, e->at) >= 0) {
		rc = hl_error_set(HL_ECONFLICT, "period %s is not over on %s (it ends %s)",
		                  e->period, e->at, e->to);
		goto done;
	}
	json_t *j = hl_eval_json(e);
	body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!body) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = hl_store_begin(st)) < 0)
		goto done;
	if ((rc = hl_store_snapshot_put(st, p->id, e->period, e->at, hl_principal_actor(who),
	                                body)) < 0 ||
	    (rc = hl_store_audit(st, hl_principal_actor(who), "plan.close", p->id, e->period)) < 0)
		hl_store_rollback(st);
	else
		rc = hl_store_commit(st);
done:
	free(body);
	hl_eval_free(e);
	hl_plan_free(p);
	return rc;
}
