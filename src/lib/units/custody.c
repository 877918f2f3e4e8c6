/* Custody: the custodian of each fonds on a date, found by following its creator's succession,
 * the decisions splits and abolitions need, and the hand-over receipt. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "halong/util.h"
#include "units_int.h"

#define MAX_STEPS 64 /* a fonds changing hands more often than this is a data error */
#define FAR_DATE  "9999-12-31"

static char *dup0(const char *s)
{
	return s ? hl_strdup(s) : NULL;
}

const char *hl_custody_state_name(hl_custody_state s)
{
	switch (s) {
	case HL_CUSTODY_HELD:
		return "held";
	case HL_CUSTODY_PENDING:
		return "pending";
	case HL_CUSTODY_NO_CREATOR:
		return "no_creator";
	}
	return "?";
}

static void step_clear(hl_custody_step *s)
{
	free(s->from_code), free(s->from_name), free(s->to_code), free(s->to_name);
	free(s->basis), free(s->decided_by), free(s->decided_at);
	free(s->suggest_code), free(s->suggest_name);
	for (size_t i = 0; i < s->options.n; i++) {
		hl_succession *x = &s->options.v[i];
		free(x->old_code), free(x->old_name), free(x->new_code), free(x->new_name);
		free(x->merge_type), free(x->event_id), free(x->legal_basis);
	}
	free(s->options.v);
}

static void custody_clear(hl_custody *c)
{
	free(c->fonds_code), free(c->fonds_name), free(c->creator_code), free(c->creator_name);
	free(c->custodian_code), free(c->custodian_name);
	for (size_t i = 0; i < c->nsteps; i++)
		step_clear(&c->steps[i]);
	free(c->steps);
}

void hl_custody_free(hl_custody *c)
{
	if (!c)
		return;
	custody_clear(c);
	free(c);
}

void hl_custodies_free(hl_custodies *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		custody_clear(&l->v[i]);
	free(l->v);
	free(l);
}

/* ---- names and versions ---- */

static int name_cb(const hl_store_unit_row *r, void *ud)
{
	*(char **)ud = dup0(r->full_name);
	return 1;
}

static char *name_on(hl_store_units *su, const char *code, const char *date)
{
	char *n = NULL;
	if (code && *code)
		hl_store_unit_at(su, code, date, name_cb, &n);
	return n;
}

typedef struct {
	char first[11];
	char *parent;
	int n;
} span;

static int first_cb(const hl_store_unit_row *r, void *ud)
{
	span *s = ud;
	if (!s->n++)
		snprintf(s->first, sizeof(s->first), "%s", r->valid_from);
	return 0;
}

static int parent_cb(const hl_store_unit_row *r, void *ud)
{
	*(char **)ud = dup0(r->parent_code);
	return 1;
}

/* ---- the walk from the creator ---- */

/* The successions of one day out of one code. */
typedef struct {
	hl_successions *l;
	size_t cap;
	char date[11];
	hl_store_units *su;
} day_rows;

static int day_add(const hl_store_succession_row *r, void *ud)
{
	day_rows *d = ud;
	hl_succession *s;
	char before[11];

	if (!*d->date)
		snprintf(d->date, sizeof(d->date), "%s", r->effective_date);
	else if (strcmp(d->date, r->effective_date))
		return 1; /* rows come by date: the first day is complete */
	if (d->l->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 4;
		hl_succession *v = realloc(d->l->v, cap * sizeof(*v));
		if (!v)
			return hl_error_set(HL_ENOMEM, "out of memory");
		d->l->v = v, d->cap = cap;
	}
	s = &d->l->v[d->l->n++];
	memset(s, 0, sizeof(*s));
	hl_units__date_add(before, r->effective_date, -1);
	s->old_code = dup0(r->old_code), s->new_code = dup0(r->new_code ? r->new_code : "");
	s->old_name = name_on(d->su, r->old_code, before);
	s->new_name = name_on(d->su, r->new_code, r->effective_date);
	s->kind = hl_units__kind_from_name(r->kind);
	s->merge_type = dup0(r->merge_type);
	snprintf(s->effective_date, sizeof(s->effective_date), "%s", r->effective_date);
	s->event_id = dup0(r->event_id), s->legal_basis = dup0(r->legal_basis);
	s->depth = 1;
	return 0;
}

typedef struct {
	char *to, *basis, *actor, *at;
} decision;

static int decision_cb(const hl_store_custody_row *r, void *ud)
{
	decision *d = ud;
	d->to = dup0(r->to_code), d->basis = dup0(r->basis);
	d->actor = dup0(r->actor), d->at = dup0(r->decided_at);
	return 1;
}

/* Does the day's succession pass the fonds on by itself? Then *to is the receiver. */
static int automatic(const hl_successions *day, const char **to, const char **how)
{
	const char *only = NULL;
	for (size_t i = 0; i < day->n; i++) {
		const hl_succession *s = &day->v[i];
		if (s->kind == HL_SUCC_MERGE_PART || !*s->new_code)
			return 0;
		if (only && strcmp(only, s->new_code))
			return 0;
		only = s->new_code;
		*how = hl_succ_kind_name(s->kind);
	}
	*to = only;
	return only != NULL;
}

static hl_custody_step *step_push(hl_custody *c)
{
	hl_custody_step *v = realloc(c->steps, (c->nsteps + 1) * sizeof(*v));
	if (!v)
		return NULL;
	c->steps = v;
	memset(&v[c->nsteps], 0, sizeof(*v));
	return &v[c->nsteps++];
}

/* Follows succession from the creator up to `date`, filling c's steps, state and custodian. */
static int walk(hl_custody *c, hl_store *st, hl_store_units *su, const char *date)
{
	char *cur = NULL, after[11];
	int rc = 0;

	if (!c->creator_code) {
		c->state = HL_CUSTODY_NO_CREATOR;
		return 0;
	}
	cur = hl_strdup(c->creator_code);
	snprintf(after, sizeof(after), "%s", c->creator_on);
	for (;;) {
		hl_successions day = {0};
		day_rows d = {.l = &day, .su = su};
		decision dec = {0};
		const char *to = NULL, *how = NULL;
		hl_custody_step *s;
		char before[11];

		if ((rc = hl_store_successions_from(su, cur, after, day_add, &d)) < 0) {
			hl_custody_step tmp = {.options = day};
			step_clear(&tmp);
			goto done;
		}
		if (!day.n || strcmp(d.date, date) > 0) {
			hl_custody_step tmp = {.options = day};
			step_clear(&tmp);
			break;
		}
		/* a unit that stays what it was (Giữ nguyên, same code) keeps its records */
		if (day.n == 1 && day.v[0].kind == HL_SUCC_KEEP &&
		    !strcmp(day.v[0].new_code, cur)) {
			hl_custody_step tmp = {.options = day};
			step_clear(&tmp);
			snprintf(after, sizeof(after), "%s", d.date);
			continue;
		}
		if (c->nsteps >= MAX_STEPS || !(s = step_push(c))) {
			hl_custody_step tmp = {.options = day};
			step_clear(&tmp);
			rc = c->nsteps >= MAX_STEPS
			         ? hl_error_set(HL_ELIMIT,
			                        "fonds %s: more than %d changes of "
			                        "custodian",
			                        c->fonds_code, MAX_STEPS)
			         : hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		s->options = day;
		snprintf(s->effective_date, sizeof(s->effective_date), "%s", d.date);
		hl_units__date_add(before, d.date, -1);
		s->from_code = hl_strdup(cur);
		s->from_name = name_on(su, cur, before);
		s->basis = dup0(day.v[0].legal_basis);
		if (automatic(&day, &to, &how)) {
			s->how = how;
			s->to_code = hl_strdup(to);
		} else {
			rc =
			    hl_store_custody_get(st, c->fonds_code, cur, d.date, decision_cb, &dec);
			if (rc < 0 && rc != HL_ENOTFOUND)
				goto done;
			if (!*day.v[0].new_code && day.n == 1) {
				hl_store_unit_at(su, cur, before, parent_cb, &s->suggest_code);
				s->suggest_name = name_on(su, s->suggest_code, d.date);
			}
			if (rc == HL_ENOTFOUND) {
				rc = 0;
				s->how = "pending";
				c->state = HL_CUSTODY_PENDING;
				break;
			}
			s->how = "decision";
			s->to_code = dec.to;
			free(s->basis);
			s->basis = dec.basis, s->decided_by = dec.actor, s->decided_at = dec.at;
		}
		s->to_name = name_on(su, s->to_code, d.date);
		free(cur);
		cur = hl_strdup(s->to_code);
		snprintf(after, sizeof(after), "%s", d.date);
	}
	for (size_t i = c->nsteps; i-- > 0 && c->state == HL_CUSTODY_HELD;) {
		const hl_custody_step *x = &c->steps[i];
		if (strcmp(x->from_code, x->to_code) ||
		    (strcmp(x->how, "rename") && strcmp(x->how, "reclassify") &&
		     strcmp(x->how, "keep"))) {
			c->received = x;
			break;
		}
	}
	if (c->state == HL_CUSTODY_HELD) {
		c->custodian_code = cur;
		c->custodian_name = name_on(su, cur, date);
		if (!c->custodian_name) /* the date is before the creator's first day */
			c->custodian_name = dup0(c->creator_name);
		cur = NULL;
	}
done:
	free(cur);
	return rc;
}

static int fonds_cb(const hl_store_fonds_row *r, void *ud)
{
	hl_custodies *l = ud;
	hl_custody *v = realloc(l->v, (l->n + 1) * sizeof(*v));
	hl_custody *c;
	if (!v)
		return hl_error_set(HL_ENOMEM, "out of memory");
	l->v = v;
	c = &v[l->n++];
	memset(c, 0, sizeof(*c));
	c->fonds_code = dup0(r->code), c->fonds_name = dup0(r->name);
	c->creator_code = dup0(r->creator_unit);
	snprintf(c->creator_on, sizeof(c->creator_on), "%s", r->creator_on ? r->creator_on : "");
	c->dossiers = r->dossiers, c->documents = r->documents;
	return 0;
}

static int date_or_today(char out[11], const char *date)
{
	if (!date) {
		hl_units_today(out);
		return 0;
	}
	return hl_units_date_parse(out, date);
}

/* Fills every fonds (or the one named) and walks each to `day`. */
static int collect(hl_custodies **out, hl_store *st, const char *fonds, const char *day)
{
	hl_store_units *su = NULL;
	hl_custodies *l = calloc(1, sizeof(*l));
	int rc;

	if (!l)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if ((rc = hl_store_units_open(&su, st)) < 0)
		goto done;
	rc = fonds ? hl_store_fonds_get(st, fonds, fonds_cb, l)
	           : hl_store_fonds_foreach(st, fonds_cb, l);
	if (rc == HL_ENOTFOUND)
		rc = hl_error_set(HL_ENOTFOUND, "unknown fonds %s", fonds);
	if (rc < 0)
		goto done;
	for (size_t i = 0; i < l->n; i++) {
		hl_custody *c = &l->v[i];
		if (c->creator_code)
			c->creator_name = name_on(su, c->creator_code, c->creator_on);
		if ((rc = walk(c, st, su, day)) < 0)
			goto done;
	}
	*out = l;
	l = NULL;
done:
	hl_custodies_free(l);
	hl_store_units_free(su);
	return rc;
}

int hl_custody_get(hl_custody **out, hl_store *st, const char *fonds, const char *date)
{
	hl_custodies *l = NULL;
	char day[11];
	int rc;

	if (!fonds || !*fonds)
		return hl_error_set(HL_EINVALID, "no fonds code given");
	if ((rc = date_or_today(day, date)) < 0 || (rc = collect(&l, st, fonds, day)) < 0)
		return rc;
	hl_custody *c = malloc(sizeof(*c));
	if (!c) {
		hl_custodies_free(l);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	*c = l->v[0];
	l->n = 0;
	hl_custodies_free(l);
	*out = c;
	return 0;
}

int hl_custody_list(hl_custodies **out, hl_store *st, const char *date)
{
	char day[11];
	int rc;
	if ((rc = date_or_today(day, date)) < 0)
		return rc;
	return collect(out, st, NULL, day);
}

/* Keeps the entries of l for which keep() holds. */
static void filter(hl_custodies *l, int (*keep)(const hl_custody *, const void *), const void *arg)
{
	size_t k = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (keep(&l->v[i], arg))
			l->v[k++] = l->v[i];
		else
			custody_clear(&l->v[i]);
	}
	l->n = k;
}

static int is_pending(const hl_custody *c, const void *arg)
{
	return c->state != HL_CUSTODY_HELD;
}

int hl_custody_pending(hl_custodies **out, hl_store *st)
{
	int rc = collect(out, st, NULL, FAR_DATE);
	if (rc == 0)
		filter(*out, is_pending, NULL);
	return rc;
}

static int held_by(const hl_custody *c, const void *code)
{
	return c->state == HL_CUSTODY_HELD && !strcmp(c->custodian_code, code);
}

static int known_unit(hl_store *st, const char *code, span *sp)
{
	hl_store_units *su = NULL;
	int rc;
	if (!code || !*code || strlen(code) > 16)
		return hl_error_set(HL_EINVALID, "bad unit code \"%.20s\"", code ? code : "");
	if ((rc = hl_store_units_open(&su, st)) < 0)
		return rc;
	rc = hl_store_unit_versions(su, code, first_cb, sp);
	hl_store_units_free(su);
	if (rc == 0 && !sp->n)
		rc = hl_error_set(HL_ENOTFOUND, "unknown unit code %s", code);
	return rc;
}

int hl_custody_held_by(hl_custodies **out, hl_store *st, const char *code, const char *date)
{
	span sp = {0};
	char day[11];
	int rc;
	if ((rc = date_or_today(day, date)) < 0 || (rc = known_unit(st, code, &sp)) < 0)
		return rc;
	if ((rc = collect(out, st, NULL, day)) == 0)
		filter(*out, held_by, code);
	return rc;
}

int hl_custody_set_creator(hl_store *st, const char *fonds, const char *creator,
                           const char *creator_on, const char *name, const char *actor)
{
	hl_unit *u = NULL;
	span sp = {0};
	char day[11];
	int rc;

	if (!fonds || !*fonds || strlen(fonds) > 64)
		return hl_error_set(HL_EINVALID, "a fonds code has 1 to 64 bytes");
	if (name && strlen(name) > 500)
		return hl_error_set(HL_ELIMIT, "a fonds name has at most 500 bytes");
	if ((rc = known_unit(st, creator, &sp)) < 0)
		return rc;
	if (creator_on) {
		if ((rc = hl_units_date_parse(day, creator_on)) < 0)
			return rc;
		/* the creator must have existed on that day: the message says when it did */
		if ((rc = hl_units_show(&u, st, creator, day)) < 0)
			return rc;
		hl_unit_free(u);
	} else {
		snprintf(day, sizeof(day), "%s", sp.first);
	}
	return hl_store_fonds_set(st, fonds, name, creator, day, actor);
}

/* Is `to` an allowed receiver at step s? */
static int receiver_ok(hl_store_units *su, const hl_custody_step *s, const char *to)
{
	int abolished = 1;
	for (size_t i = 0; i < s->options.n; i++) {
		if (*s->options.v[i].new_code)
			abolished = 0;
		if (!strcmp(s->options.v[i].new_code, to))
			return 1;
	}
	if (abolished) {
		char *n = name_on(su, to, s->effective_date);
		free(n);
		return n != NULL;
	}
	return 0;
}

int hl_custody_assign(hl_store *st, const char *fonds, const char *to, const char *from,
                      const char *date, const char *basis, const char *actor)
{
	hl_store_units *su = NULL;
	hl_custodies *l = NULL;
	hl_custody *c;
	const hl_custody_step *s = NULL;
	char day[11] = "";
	int rc;

	if (!to || !*to || strlen(to) > 16)
		return hl_error_set(HL_EINVALID, "no receiving unit code given");
	if (basis && strlen(basis) > 500)
		return hl_error_set(HL_ELIMIT, "a basis has at most 500 bytes");
	if ((from == NULL) != (date == NULL))
		return hl_error_set(HL_EINVALID,
		                    "give both the ended unit and its date, or neither");
	if (date && (rc = hl_units_date_parse(day, date)) < 0)
		return rc;
	if ((rc = collect(&l, st, fonds, FAR_DATE)) < 0)
		return rc;
	if ((rc = hl_store_units_open(&su, st)) < 0)
		goto done;
	c = &l->v[0];
	if (c->state == HL_CUSTODY_NO_CREATOR) {
		rc = hl_error_set(HL_EINVALID,
		                  "fonds %s names no creator unit: set it first "
		                  "(halong fonds set %s --creator CODE)",
		                  fonds, fonds);
		goto done;
	}
	for (size_t i = 0; i < c->nsteps; i++) {
		const hl_custody_step *x = &c->steps[i];
		int decidable = !strcmp(x->how, "pending") || !strcmp(x->how, "decision");
		if (from ? !strcmp(x->from_code, from) && !strcmp(x->effective_date, day)
		         : !strcmp(x->how, "pending")) {
			if (!decidable) {
				rc = hl_error_set(HL_EINVALID,
				                  "fonds %s: %s passed to %s by itself on %s (%s); "
				                  "there is nothing to decide",
				                  fonds, x->from_code, x->to_code,
				                  x->effective_date, x->how);
				goto done;
			}
			s = x;
			break;
		}
	}
	if (!s) {
		rc = from ? hl_error_set(HL_ENOTFOUND,
		                         "fonds %s never passes through %s ending on %s", fonds,
		                         from, day)
		          : hl_error_set(HL_ENOTFOUND,
		                         "fonds %s waits for no decision: its custodian is %s",
		                         fonds, c->custodian_code ? c->custodian_code : "?");
		goto done;
	}
	if (!receiver_ok(su, s, to)) {
		char list[256] = "";
		for (size_t i = 0; i < s->options.n; i++)
			if (*s->options.v[i].new_code && strlen(list) < 200)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				         *list ? ", " : "", s->options.v[i].new_code);
		rc = *list ? hl_error_set(HL_EINVALID,
		                          "fonds %s: %s is not a successor of %s on %s (the "
		                          "successors are %s)",
		                          fonds, to, s->from_code, s->effective_date, list)
		           : hl_error_set(HL_EINVALID, "fonds %s: unit %s did not exist on %s",
		                          fonds, to, s->effective_date);
		goto done;
	}
	hl_store_custody_row r = {c->fonds_code, s->from_code, s->effective_date, to, basis,
	                          actor,         NULL};
	rc = hl_store_custody_add(st, &r);
done:
	hl_store_units_free(su);
	hl_custodies_free(l);
	return rc;
}

/* ---- the hand-over receipt ---- */

void hl_receipt_free(hl_receipt *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		hl_receipt_line *x = &r->v[i];
		free(x->fonds_code), free(x->fonds_name), free(x->from_code), free(x->from_name);
		free(x->basis), free(x->dossier_code), free(x->dossier_title);
	}
	free(r->v), free(r->to_code), free(r->to_name);
	free(r);
}

typedef struct {
	hl_receipt *r;
	const hl_custody *c;
	const hl_custody_step *s;
	crypto_hash_sha256_state *h;
} receipt_ctx;

static int receipt_dossier(const hl_store_dossier_row *d, void *ud)
{
	receipt_ctx *x = ud;
	hl_receipt *r = x->r;
	hl_receipt_line *v = realloc(r->v, (r->n + 1) * sizeof(*v)), *l;
	char line[128];

	if (!v)
		return hl_error_set(HL_ENOMEM, "out of memory");
	r->v = v;
	l = &v[r->n++];
	memset(l, 0, sizeof(*l));
	l->fonds_code = dup0(x->c->fonds_code), l->fonds_name = dup0(x->c->fonds_name);
	l->from_code = dup0(x->s->from_code), l->from_name = dup0(x->s->from_name);
	snprintf(l->effective_date, sizeof(l->effective_date), "%s", x->s->effective_date);
	l->basis = dup0(x->s->basis);
	l->dossier_code = dup0(d->dossier_code), l->dossier_title = dup0(d->dossier_title);
	l->documents = d->documents, l->pages = d->pages, l->files = d->files, l->bytes = d->bytes;
	l->max_access = (hl_access)d->max_access;
	memcpy(l->digest, d->digest, sizeof(l->digest));
	r->documents += d->documents, r->pages += d->pages;
	r->files += d->files, r->bytes += d->bytes;
	/* "fonds\tdossier\tdocuments\tpages\tdigest\n", hashed piece by piece: through a fixed
	 * buffer a long dossier code cut the line before the dossier's digest, and a changed
	 * dossier left the receipt's digest as it was */
	const char *code[2] = {l->fonds_code, l->dossier_code};
	for (int i = 0; i < 2; i++) {
		crypto_hash_sha256_update(x->h, (const unsigned char *)code[i], strlen(code[i]));
		crypto_hash_sha256_update(x->h, (const unsigned char *)"\t", 1);
	}
	snprintf(line, sizeof(line), "%lld\t%lld\t%s\n", (long long)l->documents,
	         (long long)l->pages, l->digest);
	crypto_hash_sha256_update(x->h, (const unsigned char *)line, strlen(line));
	return 0;
}

int hl_custody_receipt(hl_receipt **out, hl_store *st, const char *to, const char *from,
                       const char *date)
{
	hl_custodies *l = NULL;
	hl_receipt *r = NULL;
	hl_store_units *su = NULL;
	crypto_hash_sha256_state h;
	unsigned char md[crypto_hash_sha256_BYTES];
	char day[11];
	int rc;

	if ((rc = date_or_today(day, date)) < 0)
		return rc;
	if (from) {
		span sp = {0};
		if ((rc = known_unit(st, from, &sp)) < 0)
			return rc;
	}
	if ((rc = hl_custody_held_by(&l, st, to, day)) < 0)
		return rc;
	if (!(r = calloc(1, sizeof(*r)))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = hl_store_units_open(&su, st)) < 0)
		goto done;
	r->to_code = hl_strdup(to);
	r->to_name = name_on(su, to, day);
	snprintf(r->date, sizeof(r->date), "%s", day);
	crypto_hash_sha256_init(&h);
	for (size_t i = 0; i < l->n; i++) {
		const hl_custody *c = &l->v[i];
		if (!c->received)
			continue; /* its own records: nothing was handed over */
		receipt_ctx x = {r, c, c->received, &h};
		if (from && strcmp(x.s->from_code, from))
			continue;
		size_t before = r->n;
		if ((rc = hl_store_dossiers_of(st, c->fonds_code, receipt_dossier, &x)) < 0)
			goto done;
		r->nfonds += r->n > before;
	}
	crypto_hash_sha256_final(&h, md);
	sodium_bin2hex(r->digest, sizeof(r->digest), md, sizeof(md));
	*out = r;
	r = NULL;
done:
	hl_store_units_free(su);
	hl_receipt_free(r);
	hl_custodies_free(l);
	return rc;
}
