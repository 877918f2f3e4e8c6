/* Reading plans and their tasks, and the status of each task at a clock: derived from the
 * reports made by then (a returned one no longer counts) and the task's deadline or, for a
 * recurring duty, the deadline of each occurrence. Parents roll up their children by weight. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../store/store_plans.h"
#include "halong/plans.h"
#include "halong/util.h"
#include "plans_int.h"

const char *hl_task_status_name(hl_task_status s)
{
	static const char *const n[] = {"not_started", "on_time", "overdue",  "done_on_time",
	                                "done_late",   "waiting", "cancelled"};
	return s >= 0 && s < HL_TASK_STATUS_COUNT ? n[s] : "?";
}

const char *hl_task_status_vi(hl_task_status s)
{
	static const char *const n[] = {"Chưa triển khai",
	                                "Đang thực hiện, đúng tiến độ",
	                                "Chậm tiến độ, quá hạn",
	                                "Hoàn thành đúng hạn",
	                                "Hoàn thành quá hạn",
	                                "Chờ hướng dẫn",
	                                "Đã hủy"};
	return s >= 0 && s < HL_TASK_STATUS_COUNT ? n[s] : "?";
}

/* ---- plans ---- */

/* Frees what a plan holds, not the plan. */
static void plan_clear(hl_plan *p)
{
	free(p->id);
	free(p->number);
	free(p->date);
	free(p->issuer);
	free(p->title);
	free(p->period_from);
	free(p->period_to);
	free(p->compiler);
	free(p->document_id);
	free(p->note);
}

void hl_plan_free(hl_plan *p)
{
	if (!p)
		return;
	plan_clear(p);
	free(p);
}

void hl_plans_free(hl_plans *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		plan_clear(&l->v[i]);
	free(l->v);
	free(l);
}

static char *dup0(const char *s)
{
	return s ? hl_strdup(s) : NULL;
}

static void copy_plan(hl_plan *d, const hl_plan *s)
{
	*d = *s;
	d->id = dup0(s->id);
	d->number = dup0(s->number);
	d->date = dup0(s->date);
	d->issuer = dup0(s->issuer);
	d->title = dup0(s->title);
	d->period_from = dup0(s->period_from);
	d->period_to = dup0(s->period_to);
	d->compiler = dup0(s->compiler);
	d->document_id = dup0(s->document_id);
	d->note = dup0(s->note);
}

int hl_plans__may_read(const hl_principal *who, const hl_plan *p)
{
	return who->local || p->access <= hl_auth_ceiling(who);
}

typedef struct {
	const hl_principal *who;
	hl_plans *l;
	size_t cap;
} list_ctx;

static int add_plan(const hl_plan *p, void *ud)
{
	list_ctx *c = ud;
	if (!hl_plans__may_read(c->who, p))
		return 0;
	if (c->l->n == c->cap) {
		size_t nc = c->cap ? 2 * c->cap : 8;
		hl_plan *nv = realloc(c->l->v, nc * sizeof(*nv));
		if (!nv)
			return hl_error_set(HL_ENOMEM, "out of memory");
		c->l->v = nv;
		c->cap = nc;
	}
	copy_plan(&c->l->v[c->l->n++], p);
	return 0;
}

int hl_plan_list(hl_plans **out, hl_store *st, const hl_principal *who)
{
	list_ctx c = {who, calloc(1, sizeof(hl_plans)), 0};
	int rc;
	*out = NULL;
	if (!c.l)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if ((rc = hl_store_plan_foreach(st, NULL, add_plan, &c)) < 0) {
		hl_plans_free(c.l);
		return rc;
	}
	*out = c.l;
	return 0;
}

int hl_plans__plan(hl_plan **out, hl_store *st, const hl_principal *who, const char *id)
{
	list_ctx c = {who, calloc(1, sizeof(hl_plans)), 0};
	int rc;
	*out = NULL;
	if (!c.l)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if (!id || !*id)
		rc = hl_error_set(HL_EINVALID, "plan: give a plan's id");
	else if ((rc = hl_store_plan_foreach(st, id, add_plan, &c)) == 0 && !c.l->n)
		rc = hl_error_set(HL_ENOTFOUND, "no plan \"%.60s\"", id);
	if (rc == 0) {
		*out = malloc(sizeof(hl_plan));
		if (!*out)
			rc = hl_error_set(HL_ENOMEM, "out of memory");
		else {
			**out = c.l->v[0];
			c.l->n = 0;
		}
	}
	hl_plans_free(c.l);
	return rc;
}

int hl_plan_get(hl_plan **out, hl_store *st, const hl_principal *who, const char *id)
{
	return hl_plans__plan(out, st, who, id);
}

int hl_plans__task_ref(int64_t *id, hl_plan **plan, hl_store *st, const hl_principal *who,
                       const char *ref)
{
	const char *slash = ref ? strrchr(ref, '/') : NULL;
	char *plan_id = NULL, *end;
	int64_t num = 0;
	int rc;

	*id = 0;
	*plan = NULL;
	if (!ref || !*ref)
		return hl_error_set(HL_EINVALID, "task: give PLAN/STT or a task's number");
	if (!slash) {
		num = strtoll(ref, &end, 10);
		if (*end || num <= 0)
			return hl_error_set(
			    HL_EINVALID, "task: \"%.60s\" is neither PLAN/STT nor a number", ref);
		rc = hl_store_task_find(id, &plan_id, st, NULL, NULL, num);
	} else {
		char p[200];
		snprintf(p, sizeof(p), "%.*s", (int)(slash - ref), ref);
		rc = hl_store_task_find(id, &plan_id, st, p, slash + 1, 0);
	}
	if (rc == HL_ENOTFOUND)
		return hl_error_set(HL_ENOTFOUND, "no task \"%.60s\"", ref);
	if (rc < 0)
		return rc;
	rc = hl_plans__plan(plan, st, who, plan_id);
	free(plan_id);
	if (rc == HL_ENOTFOUND)
		return hl_error_set(HL_ENOTFOUND, "no task \"%.60s\"", ref);
	return rc;
}

/* ---- tasks ---- */

static void task_clear(hl_task *t)
{
	free(t->plan_id);
	free(t->item_no);
	free(t->parent_no);
	free(t->title);
	free(t->output);
	free(t->due_text);
	free(t->origin);
	free(t->cancelled);
	for (size_t i = 0; i < t->nagencies; i++) {
		free(t->agencies[i].code);
		free(t->agencies[i].name);
	}
	free(t->agencies);
}

void hl_task_free(hl_task *t)
{
	if (!t)
		return;
	task_clear(t);
	free(t);
}

void hl_tasks_free(hl_tasks *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		task_clear(&l->v[i]);
	free(l->v);
	free(l);
}

typedef struct {
	hl_tasks *l;
	size_t cap;
} tasks_ctx;

static size_t fnv(const char *text) /* FNV-1a */
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

/* Deadlines read, by their text (hl_due_parse depends on the text alone): plans write the same
 * few hundred texts many times, across plans too, so the memo is the thread's and outlives a
 * plan (it was a plan's: 23,300 parses for 50,000 tasks in 75 plans; callgrind). Texts are kept
 * in place (no heap: nothing to free when a thread ends); a longer one is parsed each time. */
#define DUE_MEMO      2048
#define DUE_MEMO_TEXT 32

static _Thread_local struct {
	char text[DUE_MEMO_TEXT];
	hl_due due;
} due_memo[DUE_MEMO];

static void read_due(hl_due *out, const char *text)
{
	size_t n = strlen(text);
	if (!n || n >= DUE_MEMO_TEXT) {
		if (hl_due_parse(out, text) < 0)
			out->kind = HL_DUE_UNREAD;
		return;
	}
	size_t h = fnv(text) % DUE_MEMO;
	if (!strcmp(due_memo[h].text, text)) {
		*out = due_memo[h].due;
		return;
	}
	if (hl_due_parse(out, text) < 0)
		out->kind = HL_DUE_UNREAD;
	memcpy(due_memo[h].text, text, n + 1);
	due_memo[h].due = *out;
}

static int add_task(const hl_task *t, void *ud)
{
	tasks_ctx *c = ud;
	hl_task *d;
	if (c->l->n == c->cap) {
		size_t nc = c->cap ? 2 * c->cap : 64;
		hl_task *nv = realloc(c->l->v, nc * sizeof(*nv));
		if (!nv)
			return hl_error_set(HL_ENOMEM, "out of memory");
		c->l->v = nv;
		c->cap = nc;
	}
	d = &c->l->v[c->l->n];
	memset(d, 0, sizeof(*d));
	d->id = t->id;
	d->plan_id = dup0(t->plan_id);
	d->item_no = dup0(t->item_no);
	d->parent_no = dup0(t->parent_no);
	d->title = dup0(t->title);
	d->output = dup0(t->output);
	d->due_text = dup0(t->due_text);
	d->origin = dup0(t->origin);
	d->cancelled = dup0(t->cancelled);
	d->weight = t->weight;
	c->l->n++;
	if (t->nagencies && !(d->agencies = calloc(t->nagencies, sizeof(*d->agencies))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	for (size_t i = 0; i < t->nagencies; i++) {
		d->agencies[i].code = dup0(t->agencies[i].code);
		d->agencies[i].name = dup0(t->agencies[i].name);
		d->agencies[i].lead = t->agencies[i].lead;
	}
	d->nagencies = t->nagencies;
	read_due(&d->due, d->due_text ? d->due_text : "");
	d->leaf = 1;
	return 0;
}

/* ---- the view: a plan's tasks and reports at a clock ---- */

/* A day yyyy-mm-dd (or less: cut at 10 bytes) into out; NULL: "". */
static void copy_day(char out[11], const char *s)
{
	size_t n = s ? strnlen(s, 10) : 0;
	memcpy(out, s ? s : "", n);
	out[n] = 0;
}

static int add_rep(const hl_report *r, void *ud)
{
	hl_plans__view *v = ud;
	hl_plans__rep *d;
	if (v->nreps == v->capreps) {
		size_t nc = v->capreps ? 2 * v->capreps : 256;
		hl_plans__rep *nv = realloc(v->reps, nc * sizeof(*nv));
		if (!nv)
			return hl_error_set(HL_ENOMEM, "out of memory");
		v->reps = nv;
		v->capreps = nc;
	}
	d = &v->reps[v->nreps++];
	memset(d, 0, sizeof(*d));
	d->id = r->id;
	d->task_id = r->task_id;
	copy_day(d->pfrom, r->period_from);
	copy_day(d->pto, r->period_to);
	copy_day(d->done_on, r->done_on);
	copy_day(d->at, r->at);
	snprintf(d->agency, sizeof(d->agency), "%s", r->agency ? r->agency : "");
	d->state = (signed char)r->state;
	d->progress = (signed char)r->progress;
	d->counted = strcmp(r->verdict, "returned") != 0;
	return 0;
}

static int find_task(const hl_plans__view *v, int64_t id)
{
	size_t lo = 0, hi = v->tasks->n;
	/* by v->order: the tasks' indexes sorted by id */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (v->tasks->v[v->order[mid]].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->tasks->n && v->tasks->v[v->order[lo]].id == id ? (int)v->order[lo] : -1;
}

/* Task indexes by id (qsort_r: no state shared between threads). */
static int order_cmp(const void *a, const void *b, void *ud)
{
	const hl_tasks *l = ud;
	int64_t x = l->v[*(const size_t *)a].id, y = l->v[*(const size_t *)b].id;
	return x < y ? -1 : x > y;
}

void hl_plans__view_free(hl_plans__view *v)
{
	hl_plan_free(v->plan);
	hl_tasks_free(v->tasks);
	free(v->reps);
	free(v->first);
	free(v->count);
	free(v->order);
	memset(v, 0, sizeof(*v));
}

/* Are a task's reports read whole (not only its latest)? A recurring one's occurrences need
 * them, and so does a task of several leads (each lead's latest). */
static int reads_whole(const hl_task *t)
{
	return hl_plans__recurs(t) || hl_plans__coded_leads(t) > 1;
}

/* add_rep for the tasks whose latest report is enough: the others are read whole, apart. */
static int add_rep_one_off(const hl_report *r, void *ud)
{
	hl_plans__view *v = ud;
	int ti = find_task(v, r->task_id);
	if (ti >= 0 && reads_whole(&v->tasks->v[ti]))
		return 0;
	return add_rep(r, v);
}

/* plan: the plan as read already (then who and plan_id are not used) */
static int view_load(hl_plans__view *v, hl_store *st, const hl_principal *who, const char *plan_id,
                     const hl_plan *plan, int64_t task_id, const char *at, int latest)
{
	tasks_ctx tc = {0};
	int rc;

	memset(v, 0, sizeof(*v));
	if ((rc = hl_plans__clock(v->at, at)) < 0)
		return rc;
	if (plan) {
		if (!(v->plan = malloc(sizeof(*v->plan))))
			return hl_error_set(HL_ENOMEM, "out of memory");
		copy_plan(v->plan, plan);
		plan_id = plan->id;
	} else if ((rc = hl_plans__plan(&v->plan, st, who, plan_id)) < 0)
		return rc;
	if (!(v->tasks = tc.l = calloc(1, sizeof(hl_tasks)))) {
		hl_plans__view_free(v);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	rc = hl_store_task_foreach(st, plan_id, 0, add_task, &tc);
	if (rc < 0)
		goto fail;
	size_t n = v->tasks->n;
	v->first = calloc(n + 1, sizeof(size_t));
	v->count = calloc(n + 1, sizeof(size_t));
	v->order = calloc(n + 1, sizeof(size_t));
	if (!v->first || !v->count || !v->order) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++)
		v->order[i] = i;
	qsort_r(v->order, n, sizeof(size_t), order_cmp, v->tasks);
	if (task_id || !latest)
		rc = hl_store_report_status_foreach(st, plan_id, task_id, v->at, 0, add_rep, v);
	else {
		/* a one-off task's status is its latest report not returned: only that one is
		 * read; a recurring task's occurrences need all its reports */
		rc = hl_store_report_status_foreach(st, plan_id, 0, v->at, 1, add_rep_one_off, v);
		for (size_t i = 0; i < n && rc == 0; i++)
			if (reads_whole(&v->tasks->v[i]))
				rc = hl_store_report_status_foreach(st, NULL, v->tasks->v[i].id,
				                                    v->at, 0, add_rep, v);
	}
	if (rc < 0)
		goto fail;
	/* each task's reports are together, by day then id (the store's order; latest: one) */
	for (size_t i = 0; i < v->nreps;) {
		size_t j = i;
		while (j < v->nreps && v->reps[j].task_id == v->reps[i].task_id)
			j++;
		int ti = find_task(v, v->reps[i].task_id);
		if (ti >= 0) {
			v->first[ti] = i;
			v->count[ti] = j - i;
		}
		i = j;
	}
	hl_plans__view_judge(v);
	return 0;
fail:
	hl_plans__view_free(v);
	return rc;
}

int hl_plans__view_load(hl_plans__view *v, hl_store *st, const hl_principal *who,
                        const char *plan_id, int64_t task_id, const char *at)
{
	return view_load(v, st, who, plan_id, NULL, task_id, at, 0);
}

int hl_plans__view_status(hl_plans__view *v, hl_store *st, const hl_plan *plan, const char *at)
{
	return view_load(v, st, NULL, NULL, plan, 0, at, 1);
}

size_t hl_plans__coded_leads(const hl_task *t)
{
	size_t n = 0;
	for (size_t i = 0; i < t->nagencies; i++) {
		const hl_task_agency *a = &t->agencies[i];
		size_t j = 0;
		if (!a->lead || !a->code)
			continue;
		while (j < i && !(t->agencies[j].lead && t->agencies[j].code &&
		                  !strcmp(t->agencies[j].code, a->code)))
			j++;
		n += j == i;
	}
	return n;
}

/* Does report r count for lead `lead` of task t (NULL: any)? One of the task's leads reports
 * for itself; another agency (the successor of a lead that ended) for every lead. */
static int counts_for(const hl_task *t, const hl_plans__rep *r, const char *lead)
{
	if (!lead || !strcmp(r->agency, lead))
		return 1;
	for (size_t i = 0; i < t->nagencies; i++)
		if (t->agencies[i].lead && t->agencies[i].code &&
		    !strcmp(t->agencies[i].code, r->agency))
			return 0;
	return 1;
}

/* The status of one occurrence [from, due] of task ti (due "": no deadline) for `lead` (NULL:
 * whoever reported): the latest counted report among those that cover it decides. */
static hl_task_status judge_one(const hl_plans__view *v, size_t ti, const char *due, int recurring,
                                const char *lead, char done_on[11], int *progress)
{
	const hl_task *t = &v->tasks->v[ti];
	const hl_plans__rep *r = v->count[ti] ? v->reps + v->first[ti] : NULL, *last = NULL;
	if (done_on)
		done_on[0] = 0;
	if (progress)
		*progress = 0;
	if (t->cancelled)
		return HL_TASK_CANCELLED;
	for (size_t i = 0; i < v->count[ti]; i++) {
		if (!r[i].counted || !counts_for(t, &r[i], lead))
			continue;
		if (recurring && due[0] &&
		    (strcmp(r[i].pfrom, due) > 0 || strcmp(r[i].pto, due) < 0))
			continue;
		last = &r[i];
	}
	if (last && progress)
		*progress = last->state == HL_REPORT_DONE ? 100 : last->progress;
	if (last && last->state == HL_REPORT_WAITING)
		return HL_TASK_WAITING;
	if (last && last->state == HL_REPORT_DONE) {
		if (done_on)
			snprintf(done_on, 11, "%s", last->done_on);
		return !due[0] || strcmp(last->done_on, due) <= 0 ? HL_TASK_DONE_ON_TIME
		                                                  : HL_TASK_DONE_LATE;
	}
	/* an ongoing duty (thường xuyên) is carried out for a period when it is reported on */
	if (last && recurring && t->due.kind == HL_DUE_ONGOING) {
		if (done_on)
			snprintf(done_on, 11, "%s", last->at);
		if (progress)
			*progress = 100;
		return strcmp(last->at, due) <= 0 ? HL_TASK_DONE_ON_TIME : HL_TASK_DONE_LATE;
	}
	if (due[0] && strcmp(v->at, due) > 0)
		return HL_TASK_OVERDUE;
	return last ? HL_TASK_ON_TIME : HL_TASK_NOT_STARTED;
}

hl_task_status hl_plans__judge_lead(const hl_plans__view *v, size_t ti, const char *due,
                                    int recurring, const char *lead, char done_on[11],
                                    int *progress)
{
	const hl_task *t = &v->tasks->v[ti];
	return judge_one(v, ti, due, recurring, hl_plans__coded_leads(t) > 1 ? lead : NULL, done_on,
	                 progress);
}

hl_task_status hl_plans__judge(const hl_plans__view *v, size_t ti, const char *due, int recurring,
                               char done_on[11], int *progress)
{
	const hl_task *t = &v->tasks->v[ti];
	int done = 0, late = 0, overdue = 0, waiting = 0, started = 0, sum = 0, n = 0;
	char last[11] = "";
	if (hl_plans__coded_leads(t) < 2)
		return judge_one(v, ti, due, recurring, NULL, done_on, progress);
	if (done_on)
		done_on[0] = 0;
	if (progress)
		*progress = 0;
	if (t->cancelled)
		return HL_TASK_CANCELLED;
	for (size_t i = 0; i < t->nagencies; i++) {
		const hl_task_agency *a = &t->agencies[i];
		char d[11];
		int p, seen = 0;
		if (!a->lead || !a->code)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = t->agencies[j].lead && t->agencies[j].code &&
			       !strcmp(t->agencies[j].code, a->code);
		if (seen)
			continue;
		hl_task_status s = judge_one(v, ti, due, recurring, a->code, d, &p);
		n++;
		sum += p;
		if (s == HL_TASK_DONE_ON_TIME || s == HL_TASK_DONE_LATE) {
			done++;
			late += s == HL_TASK_DONE_LATE;
			if (strcmp(d, last) > 0)
				snprintf(last, sizeof(last), "%s", d);
		}
		overdue += s == HL_TASK_OVERDUE;
		waiting += s == HL_TASK_WAITING;
		started += s != HL_TASK_NOT_STARTED && s != HL_TASK_OVERDUE;
	}
	if (progress)
		*progress = n ? sum / n : 0;
	if (done == n) {
		if (done_on)
			snprintf(done_on, 11, "%s", last);
		return late ? HL_TASK_DONE_LATE : HL_TASK_DONE_ON_TIME;
	}
	if (overdue)
		return HL_TASK_OVERDUE;
	if (waiting)
		return HL_TASK_WAITING;
	return started ? HL_TASK_ON_TIME : HL_TASK_NOT_STARTED;
}

int hl_plans__recurs(const hl_task *t)
{
	return t->due.kind == HL_DUE_RECURRING || t->due.kind == HL_DUE_ONGOING;
}

typedef struct {
	const hl_plans__view *v;
	size_t ti;
	hl_task_status status;
	char judged[11];
	int done, past, late, found_next;
} occ_ctx;

static int judge_occurrence(const char *start, const char *due, void *ud)
{
	occ_ctx *c = ud;
	hl_task_status s = hl_plans__judge(c->v, c->ti, due, 1, NULL, NULL);
	(void)start;
	if (strcmp(due, c->v->at) < 0) { /* its deadline has passed */
		c->past++;
		c->done += s == HL_TASK_DONE_ON_TIME || s == HL_TASK_DONE_LATE;
		c->late += s == HL_TASK_DONE_LATE;
		if (s == HL_TASK_OVERDUE && c->status != HL_TASK_OVERDUE) {
			c->status = HL_TASK_OVERDUE;
			snprintf(c->judged, sizeof(c->judged), "%s", due);
		}
		return 0;
	}
	/* the first occurrence still open: it decides unless an earlier one is overdue (a duty
	 * carried out before is under way, not "not started") */
	if (s == HL_TASK_NOT_STARTED && c->done)
		s = HL_TASK_ON_TIME;
	if (c->status != HL_TASK_OVERDUE) {
		c->status = s;
		snprintf(c->judged, sizeof(c->judged), "%s", due);
	}
	c->found_next = 1;
	return 1;
}

/* Each task's parent: the nearest task before it numbered as its parent_no says, -1 none (by a
 * table of the numbers: a walk back for each task is quadratic in a long plan); followed by
 * 3 × n longs for the caller. NULL when out of memory (the caller walks). */
static long *parents_of(const hl_tasks *l)
{
	size_t n = l->n, cap = 16;
	while (cap < 2 * n)
		cap <<= 1;
	long *par = malloc((4 * n + 1) * sizeof(long)), *slot = malloc(cap * sizeof(long));
	if (!par || !slot) {
		free(par);
		free(slot);
		return NULL;
	}
	for (size_t i = 0; i < cap; i++)
		slot[i] = -1;
	for (size_t i = 0; i < n; i++) {
		const hl_task *t = &l->v[i];
		size_t h;
		par[i] = -1;
		if (t->parent_no)
			for (h = fnv(t->parent_no) & (cap - 1); slot[h] >= 0;
			     h = (h + 1) & (cap - 1))
				if (!strcmp(l->v[slot[h]].item_no, t->parent_no)) {
					par[i] = slot[h];
					break;
				}
		/* then its own number (the latest of a number is the nearest) */
		for (h = fnv(t->item_no) & (cap - 1);
		     slot[h] >= 0 && strcmp(l->v[slot[h]].item_no, t->item_no);
		     h = (h + 1) & (cap - 1))
			;
		slot[h] = (long)i;
	}
	free(slot);
	return par;
}

/* The status of every task at the view's clock, then the parents' from their children. */
void hl_plans__view_judge(hl_plans__view *v)
{
	hl_tasks *l = v->tasks;
	long *par = parents_of(l), *head = par ? par + l->n : NULL,
	     *tail = par ? head + l->n : NULL, *next = par ? tail + l->n : NULL;
	/* depth and leaves: a parent is above its children (the importer checks it) */
	for (size_t i = 0; i < l->n; i++) {
		hl_task *t = &l->v[i];
		t->depth = 0;
		if (par) {
			head[i] = tail[i] = next[i] = -1;
			if (par[i] >= 0) {
				long p = par[i];
				t->depth = l->v[p].depth + 1;
				l->v[p].leaf = 0;
				/* its children in order */
				if (tail[p] >= 0)
					next[tail[p]] = (long)i;
				else
					head[p] = (long)i;
				tail[p] = (long)i;
			}
			continue;
		}
		if (!t->parent_no)
			continue;
		for (size_t j = i; j-- > 0;)
			if (!strcmp(l->v[j].item_no, t->parent_no)) {
				t->depth = l->v[j].depth + 1;
				l->v[j].leaf = 0;
				break;
			}
	}
	for (size_t i = 0; i < l->n; i++) {
		hl_task *t = &l->v[i];
		int p = 0;
		t->judged_due[0] = 0;
		t->last_report = v->count[i] ? v->reps[v->first[i] + v->count[i] - 1].id : 0;
		if (!t->leaf)
			continue;
		if (hl_plans__recurs(t) && !t->cancelled) {
			occ_ctx c = {v, i, HL_TASK_NOT_STARTED, "", 0, 0, 0, 0};
			hl_due_occurrences(&t->due, v->plan->report_every, v->plan->period_from,
			                   v->plan->period_to, judge_occurrence, &c);
			if (!c.found_next && c.status != HL_TASK_OVERDUE && c.past)
				c.status = c.late ? HL_TASK_DONE_LATE : HL_TASK_DONE_ON_TIME;
			t->status = c.status;
			snprintf(t->judged_due, sizeof(t->judged_due), "%s", c.judged);
			/* waiting for guidance: the latest counted report says so */
			hl_task_status any = hl_plans__judge(v, i, "", 0, NULL, &p);
			if (any == HL_TASK_WAITING)
				t->status = HL_TASK_WAITING;
			t->progress = c.past ? 100.0 * c.done / c.past : p;
		} else {
			const char *due = t->due.due;
			t->status = hl_plans__judge(v, i, due, 0, NULL, &p);
			snprintf(t->judged_due, sizeof(t->judged_due), "%s", due);
			t->progress = p;
		}
	}
	/* parents, children first (they come after their parents) */
	for (size_t i = l->n; i-- > 0;) {
		hl_task *t = &l->v[i];
		double w = 0, sum = 0;
		int n = 0, cancelled = 0, overdue = 0, done = 0, late = 0, waiting = 0, started = 0;
		if (t->leaf)
			continue;
		for (long j = par ? head[i] : (long)i + 1; j >= 0 && (size_t)j < l->n;
		     j = par ? next[j] : j + 1) {
			hl_task *c = &l->v[j];
			if (!par && (!c->parent_no || strcmp(c->parent_no, t->item_no)))
				continue;
			n++;
			if (c->status == HL_TASK_CANCELLED) {
				cancelled++;
				continue;
			}
			w += c->weight;
			sum += c->weight * c->progress;
			overdue += c->status == HL_TASK_OVERDUE;
			done += c->status == HL_TASK_DONE_ON_TIME || c->status == HL_TASK_DONE_LATE;
			late += c->status == HL_TASK_DONE_LATE;
			waiting += c->status == HL_TASK_WAITING;
			started += c->status != HL_TASK_NOT_STARTED;
		}
		t->progress = w > 0 ? sum / w : 0;
		if (t->cancelled || (n && cancelled == n))
			t->status = HL_TASK_CANCELLED;
		else if (overdue)
			t->status = HL_TASK_OVERDUE;
		else if (done == n - cancelled)
			t->status = late ? HL_TASK_DONE_LATE : HL_TASK_DONE_ON_TIME;
		else if (waiting)
			t->status = HL_TASK_WAITING;
		else
			t->status = started ? HL_TASK_ON_TIME : HL_TASK_NOT_STARTED;
	}
	free(par);
}

int hl_plan_tasks(hl_tasks **out, hl_store *st, const hl_principal *who, const char *plan_id,
                  const char *at)
{
	hl_plans__view v;
	int rc;
	*out = NULL;
	if ((rc = hl_plans__view_load(&v, st, who, plan_id, 0, at)) < 0)
		return rc;
	*out = v.tasks;
	v.tasks = NULL;
	hl_plans__view_free(&v);
	return 0;
}

int hl_task_get(hl_task **out, hl_store *st, const hl_principal *who, const char *ref,
                const char *at)
{
	hl_plans__view v;
	hl_plan *plan = NULL;
	int64_t id;
	int rc;

	*out = NULL;
	if ((rc = hl_plans__task_ref(&id, &plan, st, who, ref)) < 0)
		return rc;
	rc = hl_plans__view_load(&v, st, who, plan->id, 0, at);
	hl_plan_free(plan);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < v.tasks->n; i++)
		if (v.tasks->v[i].id == id) {
			if (!(*out = malloc(sizeof(hl_task)))) {
				rc = hl_error_set(HL_ENOMEM, "out of memory");
				break;
			}
			**out = v.tasks->v[i];
			/* the rest freed with the view: this one moved out */
			v.tasks->v[i] = v.tasks->v[--v.tasks->n];
			break;
		}
	hl_plans__view_free(&v);
	return *out ? 0 : rc < 0 ? rc : hl_error_set(HL_ENOTFOUND, "no task \"%.60s\"", ref);
}
