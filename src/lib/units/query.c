/* The questions asked of the units: a unit on a date, by name, its successors and predecessors,
 * and the hierarchy on a date. */
#include <stdlib.h>
#include <string.h>

#include "halong/util.h"
#include "units_int.h"

#define MAX_NAME 200 /* bytes of a name to find */

static char *dup0(const char *s)
{
	return s ? hl_strdup(s) : NULL;
}

/* A growing list of units, filled by a store callback. */
typedef struct {
	hl_units *l;
	size_t cap;
	int depth;
} ulist;

static int unit_fill(hl_unit *u, const hl_store_unit_row *r)
{
	memset(u, 0, sizeof(*u));
	u->code = dup0(r->code), u->name = dup0(r->name), u->full_name = dup0(r->full_name);
	u->type = hl_unit_type_from_key(r->type);
	u->parent_code = dup0(r->parent_code);
	snprintf(u->valid_from, sizeof(u->valid_from), "%s", r->valid_from ? r->valid_from : "");
	snprintf(u->valid_to, sizeof(u->valid_to), "%s", r->valid_to ? r->valid_to : "");
	u->event_id = dup0(r->event_id), u->legal_basis = dup0(r->legal_basis);
	return u->code && u->name && u->full_name ? 0 : hl_error_set(HL_ENOMEM, "out of memory");
}

static int ulist_add(const hl_store_unit_row *r, void *ud)
{
	ulist *a = ud;
	if (a->l->n >= HL_UNITS_MAX_ROWS)
		return hl_error_set(HL_ELIMIT, "more than %d units in one answer",
		                    HL_UNITS_MAX_ROWS);
	if (a->l->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		hl_unit *v = realloc(a->l->v, cap * sizeof(*v));
		if (!v)
			return hl_error_set(HL_ENOMEM, "out of memory");
		a->l->v = v, a->cap = cap;
	}
	if (unit_fill(&a->l->v[a->l->n], r) < 0)
		return -1;
	a->l->v[a->l->n++].depth = a->depth;
	return 0;
}

static int one_unit(const hl_store_unit_row *r, void *ud)
{
	hl_unit *u = ud;
	return unit_fill(u, r) < 0 ? -1 : 1;
}

static int full_name_cb(const hl_store_unit_row *r, void *ud)
{
	*(char **)ud = dup0(r->full_name);
	return 1;
}

/* The full name of `code` on `date`, malloc'd, or NULL. */
static char *name_on(hl_store_units *su, const char *code, const char *date)
{
	char *n = NULL;
	if (code && *code)
		hl_store_unit_at(su, code, date, full_name_cb, &n);
	return n;
}

/* ---- successions ---- */

typedef struct {
	hl_store_units *su;
	hl_successions *l;
	size_t cap;
	int depth;
	const char *only_date; /* keep only successions on this date, if set */
	/* the walk's frontier: (code, date) pairs to continue from */
	char **fcode;
	char (*fdate)[11];
	size_t nf, capf;
} slist;

static int succ_add(const hl_store_succession_row *r, void *ud)
{
	slist *a = ud;
	hl_succession *s;
	char before[11];

	if (a->only_date && strcmp(r->effective_date, a->only_date))
		return 0;
	if (a->l->n >= HL_UNITS_MAX_ROWS)
		return hl_error_set(HL_ELIMIT, "more than %d successions in one answer",
		                    HL_UNITS_MAX_ROWS);
	if (a->l->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		hl_succession *v = realloc(a->l->v, cap * sizeof(*v));
		if (!v)
			return hl_error_set(HL_ENOMEM, "out of memory");
		a->l->v = v, a->cap = cap;
	}
	s = &a->l->v[a->l->n++];
	memset(s, 0, sizeof(*s));
	hl_units__date_add(before, r->effective_date, -1);
	s->old_code = dup0(r->old_code), s->new_code = dup0(r->new_code ? r->new_code : "");
	s->old_name = name_on(a->su, r->old_code, before);
	s->new_name = name_on(a->su, r->new_code, r->effective_date);
	s->kind = hl_units__kind_from_name(r->kind);
	s->merge_type = dup0(r->merge_type);
	snprintf(s->effective_date, sizeof(s->effective_date), "%s", r->effective_date);
	s->event_id = dup0(r->event_id), s->legal_basis = dup0(r->legal_basis);
	s->depth = a->depth;
	return 0;
}

static int succ_alloc(hl_successions **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : hl_error_set(HL_ENOMEM, "out of memory");
}

/* Direct successions of a version: those that ended it and those that began it. */
static int version_links(hl_unit *u, hl_store_units *su)
{
	hl_successions next = {0}, prev = {0};
	slist a = {.su = su, .l = &next, .depth = 1};
	char day[11];
	int rc = 0;

	if (*u->valid_to) {
		hl_units__date_add(day, u->valid_to, 1);
		a.only_date = day;
		rc = hl_store_successions_from(su, u->code, u->valid_to, succ_add, &a);
	}
	u->next = next;
	if (rc < 0)
		return rc;
	a.l = &prev, a.cap = 0, a.only_date = u->valid_from;
	hl_units__date_add(day, u->valid_from, 1);
	rc = hl_store_successions_to(su, u->code, day, succ_add, &a);
	u->prev = prev;
	return rc;
}

static int date_arg(char out[11], const char *date)
{
	if (!date) {
		hl_units_today(out);
		return 0;
	}
	return hl_units_date_parse(out, date);
}

/* The day a version's parent is named on when no day is asked: today for a version still in
 * force, else its last day — the name `show` gives on that day, so that a unit's parent has one
 * name wherever the same version is listed (unit 22 is "Thành phố Quảng Ninh" from 2026-09-01,
 * "Tỉnh Quảng Ninh" before). */
static const char *latest_day(char out[11], const hl_unit *u)
{
	hl_units_today(out);
	if (u->valid_to[0] && strcmp(u->valid_to, out) < 0)
		memcpy(out, u->valid_to, 11);
	return out;
}

static int count_cb(const hl_store_unit_row *r, void *ud)
{
	hl_unit *first = ud;
	if (!first->code)
		return unit_fill(first, r);
	snprintf(first->valid_to, sizeof(first->valid_to), "%s", r->valid_to ? r->valid_to : "");
	return 0;
}

/* Why `code` has no version on `date`: unknown code, before any data, or outside its life. */
static int explain_missing(hl_store_units *su, const char *code, const char *date)
{
	hl_unit span = {0};
	char first[16];
	int rc = hl_store_unit_versions(su, code, count_cb, &span);

	if (rc < 0)
		goto done;
	if (!span.code) {
		rc = hl_error_set(HL_ENOTFOUND, "unknown unit code %s", code);
		goto done;
	}
	if ((rc = hl_store_unit_first_date(first, su)) < 0)
		goto done;
	if (strcmp(date, first) < 0)
		rc = hl_error_set(HL_ENOTFOUND, "%s is before any data: the data begins %s", date,
		                  first);
	else if (!strcmp(span.valid_from, HL_UNITS_DATA_FROM)) /* older than the data */
		rc = hl_error_set(HL_ENOTFOUND,
		                  "unit %s (%s) did not exist on %s: it existed until %s", code,
		                  span.full_name, date, *span.valid_to ? span.valid_to : "today");
	else
		rc = hl_error_set(HL_ENOTFOUND,
		                  "unit %s (%s) did not exist on %s: it existed from %s to %s",
		                  code, span.full_name, date, span.valid_from,
		                  *span.valid_to ? span.valid_to : "today");
done:
	hl_units__unit_clear(&span);
	return rc;
}

int hl_units_show(hl_unit **out, hl_store *st, const char *code, const char *date)
{
	hl_store_units *su = NULL;
	hl_unit *u = NULL;
	char day[11];
	int rc;

	if (!code || !*code)
		return hl_error_set(HL_EINVALID, "no unit code given");
	if (strlen(code) > 16)
		return hl_error_set(HL_EINVALID, "unit code \"%.16s...\" is too long", code);
	if ((rc = date_arg(day, date)) < 0)
		return rc;
	if ((rc = hl_store_units_open(&su, st)) < 0)
		return rc;
	if (!(u = calloc(1, sizeof(*u)))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	rc = hl_store_unit_at(su, code, day, one_unit, u);
	if (rc == HL_ENOTFOUND)
		rc = explain_missing(su, code, day);
	if (rc < 0)
		goto done;
	u->parent_name = name_on(su, u->parent_code, day);
	if ((rc = version_links(u, su)) < 0)
		goto done;
	*out = u;
	u = NULL;
done:
	hl_unit_free(u);
	hl_store_units_free(su);
	return rc;
}

static int exact_first(const void *a, const void *b)
{
	const hl_unit *x = a, *y = b;
	if (x->depth != y->depth)
		return x->depth - y->depth;
	int c = strcmp(x->code, y->code);
	return c ? c : strcmp(x->valid_from, y->valid_from);
}

int hl_units_find(hl_units **out, hl_store *st, const char *name, const char *date, size_t limit)
{
	hl_store_units *su = NULL;
	hl_units *l = NULL;
	ulist a = {0};
	char day[11], *q = NULL;
	int rc;

	if (!name || strlen(name) > MAX_NAME)
		return hl_error_set(HL_ELIMIT, "a name to find has at most %d bytes", MAX_NAME);
	if (date && (rc = hl_units_date_parse(day, date)) < 0)
		return rc;
	if (!(q = hl_units__fold(name)))
		return -1;
	if (!strcmp(q, " ")) {
		free(q);
		return hl_error_set(HL_EINVALID, "no name given");
	}
	if ((rc = hl_store_units_open(&su, st)) < 0)
		goto done;
	if (!(l = calloc(1, sizeof(*l)))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	a.l = l;
	if ((rc = hl_store_unit_find(su, q, date ? day : NULL, limit ? limit : 100, ulist_add,
	                             &a)) < 0)
		goto done;
	for (size_t i = 0; i < l->n; i++) {
		hl_unit *u = &l->v[i];
		char *fn = hl_units__fold(u->name), *ff = hl_units__fold(u->full_name);
		/* depth is free in a flat list: use it to rank exact names before partial ones */
		u->depth = (fn && !strcmp(fn, q)) || (ff && !strcmp(ff, q)) ? 0 : 1;
		free(fn), free(ff);
		char last[11];
		u->parent_name = name_on(su, u->parent_code, date ? day : latest_day(last, u));
		if ((rc = version_links(u, su)) < 0)
			goto done;
	}
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), exact_first);
	for (size_t i = 0; i < l->n; i++)
		l->v[i].depth = 0;
	*out = l;
	l = NULL;
done:
	free(q);
	hl_units_free(l);
	hl_store_units_free(su);
	return rc;
}

static int any_version(const hl_store_unit_row *r, void *ud)
{
	*(int *)ud = 1;
	return 1;
}

static int known_code(hl_store_units *su, const char *code)
{
	int found = 0, rc;
	if (!code || !*code || strlen(code) > 16)
		return hl_error_set(HL_EINVALID, "bad unit code");
	if ((rc = hl_store_unit_versions(su, code, any_version, &found)) < 0)
		return rc;
	return found ? 0 : hl_error_set(HL_ENOTFOUND, "unknown unit code %s", code);
}

static int frontier_push(slist *a, const char *code, const char *date)
{
	for (size_t i = 0; i < a->nf; i++)
		if (!strcmp(a->fcode[i], code) && !strcmp(a->fdate[i], date))
			return 0; /* reached twice: walk on once */
	if (a->nf == a->capf) {
		size_t cap = a->capf ? a->capf * 2 : 16;
		char **c = realloc(a->fcode, cap * sizeof(*c));
		if (!c)
			return hl_error_set(HL_ENOMEM, "out of memory");
		a->fcode = c;
		char(*d)[11] = realloc(a->fdate, cap * sizeof(*d));
		if (!d)
			return hl_error_set(HL_ENOMEM, "out of memory");
		a->fdate = d, a->capf = cap;
	}
	a->fcode[a->nf] = hl_strdup(code);
	snprintf(a->fdate[a->nf++], 11, "%s", date);
	return 0;
}

/* Breadth-first over dated successions: forward only to later dates, backward only to earlier
 * ones, so the walk ends even where codes are reused (06652 -> 06652). */
static int walk(hl_successions **out, hl_store *st, const char *code, int forward)
{
	hl_store_units *su = NULL;
	hl_successions *l = NULL;
	slist a = {0};
	int rc;

	if ((rc = hl_store_units_open(&su, st)) < 0)
		return rc;
	if ((rc = known_code(su, code)) < 0 || (rc = succ_alloc(&l)) < 0)
		goto done;
	a.su = su, a.l = l;
	if ((rc = frontier_push(&a, code, forward ? "" : "9999-12-31")) < 0)
		goto done;
	for (size_t i = 0; i < a.nf; i++) {
		size_t from = l->n;
		/* depth: one more than the step that reached this frontier entry */
		a.depth = 1;
		for (size_t k = 0; k < from && i; k++) {
			const hl_succession *s = &l->v[k];
			if (!strcmp(forward ? s->new_code : s->old_code, a.fcode[i]) &&
			    !strcmp(s->effective_date, a.fdate[i]))
				a.depth = s->depth + 1 > a.depth ? s->depth + 1 : a.depth;
		}
		rc = forward ? hl_store_successions_from(su, a.fcode[i], a.fdate[i], succ_add, &a)
		             : hl_store_successions_to(su, a.fcode[i], a.fdate[i], succ_add, &a);
		if (rc < 0)
			goto done;
		for (size_t k = from; k < l->n; k++) {
			const char *next = forward ? l->v[k].new_code : l->v[k].old_code;
			if (*next && (rc = frontier_push(&a, next, l->v[k].effective_date)) < 0)
				goto done;
		}
	}
	*out = l;
	l = NULL;
done:
	for (size_t i = 0; i < a.nf; i++)
		free(a.fcode[i]);
	free(a.fcode), free(a.fdate);
	hl_successions_free(l);
	hl_store_units_free(su);
	return rc;
}

int hl_units_successors(hl_successions **out, hl_store *st, const char *code)
{
	return walk(out, st, code, 1);
}

int hl_units_predecessors(hl_successions **out, hl_store *st, const char *code)
{
	return walk(out, st, code, 0);
}

/* Children of l->v[i], then theirs, depth first. */
static int subtree(ulist *a, hl_store_units *su, size_t i, const char *day)
{
	hl_units *l = a->l;
	hl_units kids = {0};
	ulist k = {.l = &kids, .depth = l->v[i].depth + 1};
	int rc;

	if (k.depth > 8)
		return hl_error_set(HL_ELIMIT, "unit %s: hierarchy deeper than 8 levels",
		                    l->v[i].code);
	if ((rc = hl_store_unit_children(su, l->v[i].code, day, ulist_add, &k)) < 0)
		goto fail;
	for (size_t j = 0; j < kids.n; j++) {
		/* move the child into the answer, then its own children after it */
		if (l->n == a->cap) {
			size_t cap = a->cap ? a->cap * 2 : 64;
			hl_unit *v = realloc(l->v, cap * sizeof(*v));
			if (!v) {
				rc = hl_error_set(HL_ENOMEM, "out of memory");
				goto fail;
			}
			l->v = v, a->cap = cap;
		}
		if (l->n >= HL_UNITS_MAX_ROWS) {
			rc = hl_error_set(HL_ELIMIT, "more than %d units in one answer",
			                  HL_UNITS_MAX_ROWS);
			goto fail;
		}
		l->v[l->n] = kids.v[j];
		memset(&kids.v[j], 0, sizeof(kids.v[j]));
		l->v[l->n].parent_name = dup0(l->v[i].full_name);
		l->n++;
		if ((rc = subtree(a, su, l->n - 1, day)) < 0)
			goto fail;
	}
	rc = 0;
fail:
	for (size_t j = 0; j < kids.n; j++)
		hl_units__unit_clear(&kids.v[j]);
	free(kids.v);
	return rc;
}

int hl_units_tree(hl_units **out, hl_store *st, const char *code, const char *date)
{
	hl_store_units *su = NULL;
	hl_units *l = NULL, roots = {0};
	ulist a = {0}, r = {.l = &roots};
	char day[11], first[16];
	int rc;

	if ((rc = date_arg(day, date)) < 0)
		return rc;
	if ((rc = hl_store_units_open(&su, st)) < 0)
		return rc;
	if (!(l = calloc(1, sizeof(*l)))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	a.l = l;
	if (code) {
		if (strlen(code) > 16) {
			rc = hl_error_set(HL_EINVALID, "bad unit code");
			goto done;
		}
		rc = hl_store_unit_at(su, code, day, ulist_add, &r);
		if (rc == HL_ENOTFOUND)
			rc = explain_missing(su, code, day);
	} else {
		rc = hl_store_unit_children(su, NULL, day, ulist_add, &r);
		if (rc == 0 && !roots.n && hl_store_unit_first_date(first, su) == 0) {
			if (!*first)
				rc = hl_error_set(HL_ENOTFOUND,
				                  "no units loaded (run `halong units load`)");
			else if (strcmp(day, first) < 0)
				rc = hl_error_set(HL_ENOTFOUND,
				                  "%s is before any data: the data begins %s", day,
				                  first);
		}
	}
	if (rc < 0)
		goto done;
	for (size_t j = 0; j < roots.n; j++) {
		if (l->n == a.cap) {
			size_t cap = a.cap ? a.cap * 2 : 64;
			hl_unit *v = realloc(l->v, cap * sizeof(*v));
			if (!v) {
				rc = hl_error_set(HL_ENOMEM, "out of memory");
				goto done;
			}
			l->v = v, a.cap = cap;
		}
		l->v[l->n] = roots.v[j];
		memset(&roots.v[j], 0, sizeof(roots.v[j]));
		l->v[l->n].parent_name = name_on(su, l->v[l->n].parent_code, day);
		l->n++;
		if ((rc = subtree(&a, su, l->n - 1, day)) < 0)
			goto done;
	}
	*out = l;
	l = NULL;
done:
	for (size_t j = 0; j < roots.n; j++)
		hl_units__unit_clear(&roots.v[j]);
	free(roots.v);
	hl_units_free(l);
	hl_store_units_free(su);
	return rc;
}
