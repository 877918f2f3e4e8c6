/* Inspections of a plan's implementation, whose follow-up actions become tasks of the plan,
 * and the lessons learned (bài học kinh nghiệm), found without tones or case. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../store/store_plans.h"
#include "halong/plans.h"
#include "halong/units.h"
#include "halong/util.h"
#include "plans_int.h"

#define MAX_FOLLOW 50
#define MAX_TEXT   20000

static int too_long(const char *field, const char *v, size_t max)
{
	if (v && strlen(v) > max)
		return hl_error_set(HL_ELIMIT, "%s: longer than %zu bytes", field, max);
	return 0;
}

/* The code of agency or commune `name`; unknown: HL_EINVALID naming the field. */
static int agency_code(char out[33], hl_store *st, const char *field, const char *name,
                       const char *date)
{
	int rc = hl_plans__agency_code(out, st, name, date);
	if (rc == 0) {
		char why[600]; /* the message is formatted into the same buffer */
		snprintf(why, sizeof(why), "%s", hl_error_last());
		return hl_error_set(HL_EINVALID, "%s: %s", field, why);
	}
	return rc < 0 ? rc : 0;
}

/* The name of agency or commune `code` on `date` (else `given`, as written). */
static void agency_name(char out[300], hl_store *st, const char *code, const char *given,
                        const char *date)
{
	hl_agency *a = NULL;
	hl_unit *u = NULL;
	snprintf(out, 300, "%s", given);
	if (hl_agency_find(&a, st, code, date) == 0) {
		snprintf(out, 300, "%s", a->name);
		hl_agency_free(a);
	} else if (hl_units_show(&u, st, code, date) == 0) {
		snprintf(out, 300, "%s", u->full_name ? u->full_name : u->name);
		hl_unit_free(u);
	}
	hl_error_clear();
}

int hl_inspection_add(int64_t *id, hl_store *st, const hl_principal *who,
                      const hl_inspection_in *in)
{
	static const char *const ratings[] = {"tot", "kha", "dat", "chua_dat"};
	hl_plan *plan = NULL;
	char at[11], agency[33] = "", (*codes)[33] = NULL, detail[120];
	const char *rating = NULL;
	int rc;

	*id = 0;
	if (!who->local && who->role != HL_ROLE_INSPECTOR && who->role != HL_ROLE_ADMIN)
		return hl_error_set(HL_EDENIED, "only an inspector records inspections");
	if ((rc = hl_plans__clock(at, in->at)) < 0 ||
	    (rc = hl_plans__plan(&plan, st, who, in->plan)) < 0)
		return rc;
	if (!in->date || !hl_plans__is_date(in->date))
		rc = hl_error_set(HL_EINVALID, "date: the day of the inspection, yyyy-mm-dd");
	else if (strcmp(in->date, at) > 0)
		rc = hl_error_set(HL_EINVALID, "date: %s is after today (%s)", in->date, at);
	else if (!in->team || !*in->team)
		rc = hl_error_set(HL_EINVALID, "team: who inspected");
	else if (!in->scope || !*in->scope)
		rc = hl_error_set(HL_EINVALID, "scope: what was inspected");
	else if ((rc = too_long("findings", in->findings, MAX_TEXT)) == 0 &&
	         (rc = too_long("team", in->team, 2000)) == 0 &&
	         (rc = too_long("scope", in->scope, 2000)) == 0 && in->nfollow > MAX_FOLLOW)
		rc = hl_error_set(HL_ELIMIT, "follow-up: at most %d actions", MAX_FOLLOW);
	if (rc == 0 && in->rating && *in->rating) {
		/* the key or the Vietnamese words, tones and case aside: "Chưa đạt" is chua_dat */
		char *f = hl_plans__fold(in->rating);
		for (char *q = f; q && *q; q++)
			if (*q == ' ')
				*q = '_';
		for (size_t i = 0; f && i < 4; i++)
			if (!strcmp(f, ratings[i]))
				rating = ratings[i];
		free(f);
		if (!rating)
			rc = hl_error_set(
			    HL_EINVALID,
			    "rating: \"%.20s\" is not tốt, khá, đạt or chưa đạt (tot, kha, "
			    "dat, chua_dat)",
			    in->rating);
	}
	if (rc == 0 && in->agency && *in->agency)
		rc = agency_code(agency, st, "agency", in->agency, at);
	if (rc == 0 && in->nfollow && !(codes = calloc(in->nfollow, sizeof(*codes))))
		rc = hl_error_set(HL_ENOMEM, "out of memory");
	for (size_t i = 0; i < in->nfollow && rc == 0; i++) {
		char field[40];
		hl_due d;
		snprintf(field, sizeof(field), "follow-up %zu", i + 1);
		if (!in->follow_title[i] || !*in->follow_title[i])
			rc = hl_error_set(HL_EINVALID, "%s: a title", field);
		else if (!in->follow_agency[i] || !*in->follow_agency[i])
			rc = hl_error_set(HL_EINVALID, "%s: its lead agency", field);
		else if ((rc = agency_code(codes[i], st, field, in->follow_agency[i], at)) == 0 &&
		         in->follow_due[i] && *in->follow_due[i]) {
			char why[600]; /* the message is formatted into the same buffer */
			if (hl_due_parse(&d, in->follow_due[i]) < 0) {
				snprintf(why, sizeof(why), "%s", hl_error_last());
				rc = hl_error_set(HL_EINVALID, "%s: due: %s", field, why);
			} else if (d.due[0] && strcmp(d.due, in->date) < 0)
				rc =
				    hl_error_set(HL_EINVALID, "%s: due %s is before the inspection",
				                 field, d.due);
		}
	}
	if (rc < 0)
		goto done;
	if ((rc = hl_store_begin(st)) < 0)
		goto done;
	hl_inspection_in copy = *in;
	copy.agency = agency[0] ? agency : NULL;
	copy.rating = rating;
	if ((rc = hl_store_inspection_put(id, st, &copy, at, hl_principal_actor(who))) < 0)
		goto rollback;
	for (size_t i = 0; i < in->nfollow && rc == 0; i++) {
		char item[40], origin[40];
		char name[300];
		agency_name(name, st, codes[i], in->follow_agency[i], at);
		hl_task_agency ag = {codes[i], name, 1};
		hl_store_task_row tr = {0};
		int what;
		int64_t tid;
		snprintf(item, sizeof(item), "KT%lld.%zu", (long long)*id, i + 1);
		snprintf(origin, sizeof(origin), "inspection:%lld", (long long)*id);
		tr.plan_id = plan->id;
		tr.item_no = item;
		tr.title = in->follow_title[i];
		tr.lead_text = in->follow_agency[i];
		tr.due_text = in->follow_due[i];
		tr.origin = origin;
		tr.weight = 1;
		tr.agencies = &ag;
		tr.nagencies = 1;
		if ((rc = hl_store_task_next_seq(&tr.seq, st, plan->id)) == 0)
			rc = hl_store_task_put(&what, &tid, st, &tr);
	}
	if (rc < 0)
		goto rollback;
	snprintf(detail, sizeof(detail), "inspection %lld on %s: %zu follow-up tasks",
	         (long long)*id, in->date, in->nfollow);
	if ((rc = hl_store_audit(st, hl_principal_actor(who), "inspection.add", plan->id, detail)) <
	    0)
		goto rollback;
	rc = hl_store_commit(st);
	goto done;
rollback:
	hl_store_rollback(st);
	*id = 0;
done:
	free(codes);
	hl_plan_free(plan);
	return rc;
}

void hl_inspections_free(hl_inspections *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		hl_inspection *v = &l->v[i];
		char **strs[] = {&v->plan,     &v->date,   &v->team, &v->scope, &v->agency,
		                 &v->findings, &v->rating, &v->at,   &v->by};
		for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
			free(*strs[k]);
		for (size_t k = 0; k < v->nfollow; k++)
			free(v->follow[k]);
		free(v->follow);
	}
	free(l->v);
	free(l);
}

static int add_inspection(const hl_inspection *in, void *ud)
{
	hl_inspections *l = ud;
	hl_inspection *nv = realloc(l->v, (l->n + 1) * sizeof(*nv)), *d;
	const char *from[] = {in->plan,     in->date,   in->team, in->scope, in->agency,
	                      in->findings, in->rating, in->at,   in->by};
	if (!nv)
		return hl_error_set(HL_ENOMEM, "out of memory");
	l->v = nv;
	d = &nv[l->n++];
	memset(d, 0, sizeof(*d));
	d->id = in->id;
	char **to[] = {&d->plan,     &d->date,   &d->team, &d->scope, &d->agency,
	               &d->findings, &d->rating, &d->at,   &d->by};
	for (size_t k = 0; k < sizeof(from) / sizeof(from[0]); k++)
		if (from[k] && !(*to[k] = hl_strdup(from[k])))
			return hl_error_set(HL_ENOMEM, "out of memory");
	if (in->nfollow && !(d->follow = calloc(in->nfollow, sizeof(char *))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	for (size_t k = 0; k < in->nfollow; k++, d->nfollow++)
		if (!(d->follow[k] = hl_strdup(in->follow[k])))
			return hl_error_set(HL_ENOMEM, "out of memory");
	return 0;
}

int hl_inspection_list(hl_inspections **out, hl_store *st, const hl_principal *who,
                       const char *plan)
{
	hl_plan *p = NULL;
	hl_inspections *l;
	int rc;
	*out = NULL;
	if ((rc = hl_plans__plan(&p, st, who, plan)) < 0)
		return rc;
	if (!(l = calloc(1, sizeof(*l)))) {
		hl_plan_free(p);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	rc = hl_store_inspection_foreach(st, p->id, add_inspection, l);
	hl_plan_free(p);
	if (rc < 0) {
		hl_inspections_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

int hl_lesson_add(int64_t *id, hl_archive *a, const hl_principal *who, const hl_lesson_in *in)
{
	hl_store *st = hl_archive_store(a);
	hl_store_lesson_row r = {0};
	hl_plan *plan = NULL;
	char at[11], agency[33] = "", *text = NULL, *folded = NULL, detail[80];
	int rc;

	*id = 0;
	if (!who->local && who->role != HL_ROLE_OFFICER && who->role != HL_ROLE_INSPECTOR &&
	    who->role != HL_ROLE_ARCHIVIST && who->role != HL_ROLE_ADMIN)
		return hl_error_set(HL_EDENIED, "your role may not record lessons");
	if ((rc = hl_plans__clock(at, in->at)) < 0)
		return rc;
	if (!in->title || !*in->title)
		return hl_error_set(HL_EINVALID, "title: the lesson in a line");
	if (!in->body || !*in->body)
		return hl_error_set(HL_EINVALID, "body: what was learned");
	if ((rc = too_long("title", in->title, 500)) < 0 ||
	    (rc = too_long("body", in->body, MAX_TEXT)) < 0)
		return rc;
	if (in->task && *in->task &&
	    (rc = hl_plans__task_ref(&r.task_id, &plan, st, who, in->task)) < 0)
		return rc;
	hl_plan_free(plan);
	if (in->agency && *in->agency &&
	    (rc = agency_code(agency, st, "agency", in->agency, at)) < 0)
		return rc;
	if (!r.task_id && !agency[0])
		return hl_error_set(HL_EINVALID, "a lesson is linked to a task, an agency or both");
	if (!(text = malloc(strlen(in->title) + strlen(in->body) + 2)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	sprintf(text, "%s %s", in->title, in->body);
	folded = hl_plans__fold(text);
	free(text);
	if (!folded)
		return hl_error_set(HL_EINVALID, "title, body: not UTF-8");
	r.agency = agency[0] ? agency : NULL;
	r.title = in->title;
	r.body = in->body;
	r.folded = folded;
	r.at = at;
	r.by = hl_principal_actor(who);
	if ((rc = hl_store_begin(st)) < 0)
		goto done;
	if ((rc = hl_store_lesson_put(id, st, &r)) == 0) {
		snprintf(detail, sizeof(detail), "lesson %lld", (long long)*id);
		rc = hl_store_audit(st, hl_principal_actor(who), "lesson.add",
		                    r.agency ? r.agency : in->task, detail);
	}
	if (rc < 0) {
		hl_store_rollback(st);
		*id = 0;
	} else if ((rc = hl_store_commit(st)) == 0) {
		hl_archive_index_now(a); /* recorded: a busy index takes it at its next update */
	}
done:
	free(folded);
	return rc;
}

void hl_lessons_free(hl_lessons *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].title);
		free(l->v[i].body);
		free(l->v[i].task_ref);
		free(l->v[i].agency);
		free(l->v[i].at);
		free(l->v[i].by);
		free(l->v[i].snippet);
	}
	free(l->v);
	free(l);
}

static int copy_lesson(const hl_lesson *l, void *ud)
{
	hl_lesson *to = ud;
	const char *from[] = {l->title, l->body, l->task_ref, l->agency, l->at, l->by};
	char **dst[] = {&to->title, &to->body, &to->task_ref, &to->agency, &to->at, &to->by};
	to->id = l->id;
	for (size_t i = 0; i < sizeof(from) / sizeof(from[0]); i++)
		if (from[i] && !(*dst[i] = hl_strdup(from[i])))
			return hl_error_set(HL_ENOMEM, "out of memory");
	return 0;
}

int hl_lesson_search(hl_lessons **out, hl_archive *a, const hl_principal *who,
                     const hl_search_opts *opts)
{
	char q[HL_SEARCH_MAX_QUERY + 1];
	hl_search_opts o = *opts;
	hl_hits *h = NULL;
	hl_lessons *l;
	int rc;

	*out = NULL;
	if (!who->local && who->role == HL_ROLE_ANONYMOUS)
		return hl_error_set(HL_EDENIED, "log in first (lessons are internal)");
	if (snprintf(q, sizeof(q), "kind:lesson %s", opts->query ? opts->query : "") >=
	    (int)sizeof(q))
		return hl_error_set(HL_ELIMIT, "query: longer than %d bytes",
		                    HL_SEARCH_MAX_QUERY - 12);
	o.query = q;
	o.facets = 0;
	if ((rc = hl_archive_search(&h, a, who, &o)) < 0)
		return rc;
	if (!(l = calloc(1, sizeof(*l))) || (h->n && !(l->v = calloc(h->n, sizeof(*l->v))))) {
		free(l);
		hl_hits_free(h);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	l->total = h->total, l->total_exact = h->total_exact;
	for (size_t i = 0; i < h->n && rc == 0; i++) {
		hl_lesson *to = &l->v[l->n];
		/* a lesson gone since the index was read is left out */
		rc = hl_store_lesson_get(hl_archive_store(a), h->hits[i].lesson, copy_lesson, to);
		if (rc == HL_ENOTFOUND) {
			hl_error_clear();
			rc = 0;
			continue;
		}
		l->n++;
		if (rc == 0 && h->hits[i].snippet && !(to->snippet = hl_strdup(h->hits[i].snippet)))
			rc = hl_error_set(HL_ENOMEM, "out of memory");
	}
	hl_hits_free(h);
	if (rc < 0) {
		hl_lessons_free(l);
		return rc;
	}
	*out = l;
	return 0;
}
