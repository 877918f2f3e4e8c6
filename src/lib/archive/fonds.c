/* Fonds, dossiers and custody as a principal sees them: who sees which fonds and counts what,
 * who may name a fonds' creator or decide its custody, and the hand-over receipt recounted over
 * what the principal sees; one door for the CLI and the server (docs/api.md). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_int.h"
#include "halong/units.h"
#include "halong/util.h"
#include "store/store_units.h"

/* Documents read at once while a receipt's line is recounted. */
#define RECOUNT_PAGE 1000

/* A NULL principal is anonymous (all zero: no user, role anonymous, no unit). */
static const hl_principal *or_anonymous(const hl_principal *who)
{
	static const hl_principal anonymous;
	return who ? who : &anonymous;
}

/* The one answer for a fonds that is missing and for one the principal may not see (its
 * existence does not leak): the words hl_custody_get uses for a missing one. */
static int no_fonds(const char *code)
{
	return hl_error_set(HL_ENOTFOUND, "unknown fonds %s", code);
}

/* ---- what a principal sees ---- */

typedef struct {
	char *code;
	int64_t documents, dossiers;
} fcount;

typedef struct {
	const hl_principal *who;
	int everything; /* the local operator: every record, secret included */
	hl_access ceiling;
	char **scope; /* the fonds its unit holds today, unless all */
	size_t nscope;
	int all;
	fcount *v; /* fonds with a visible document, by code (the store's order) */
	size_t n, cap;
} sight;

static void sight_free(sight *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].code);
	free(s->v);
	hl_auth_fonds_free(s->scope, s->nscope);
	memset(s, 0, sizeof(*s));
}

static int sight_add(const hl_store_fonds_count *c, void *ud)
{
	sight *s = ud;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 32;
		fcount *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return hl_error_set(HL_ENOMEM, "out of memory");
		s->v = v, s->cap = cap;
	}
	if (!(s->v[s->n].code = hl_strdup(c->code)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	s->v[s->n].documents = c->documents;
	s->v[s->n].dossiers = c->dossiers;
	s->n++;
	return 0;
}

/* The principal's ceiling, scope and visible counts per fonds (today's scope). */
static int sight_load(sight *s, hl_store *st, const hl_principal *who)
{
	int rc;
	memset(s, 0, sizeof(*s));
	s->who = who;
	s->ceiling = hl_auth_ceiling(who);
	if (who->local) {
		s->everything = s->all = 1;
		return 0;
	}
	if ((rc = hl_auth_scope(&s->scope, &s->nscope, &s->all, st, who)) < 0)
		return rc;
	rc = hl_store_fonds_counts(st, (int)s->ceiling, s->scope, s->nscope, s->all, sight_add, s);
	if (rc < 0)
		sight_free(s);
	return rc;
}

static int fcount_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const fcount *)elem)->code);
}

/* The visible counts of fonds `code`, or NULL when the principal sees none of its documents.
 * The store gives them by code in SQLite's binary order, which is strcmp's. */
static const fcount *count_of(const sight *s, const char *code)
{
	return s->n ? bsearch(code, s->v, s->n, sizeof(*s->v), fcount_cmp) : NULL;
}

static int in_scope(const sight *s, const char *code)
{
	if (s->all)
		return 1;
	for (size_t i = 0; i < s->nscope; i++)
		if (!strcmp(s->scope[i], code))
			return 1;
	return 0;
}

/* Archivists and admins keep the fonds their unit holds: they see each one, even without a
 * visible record (to name its creator, say). */
static int keeper(const hl_principal *who)
{
	return who->role == HL_ROLE_ARCHIVIST || who->role == HL_ROLE_ADMIN;
}

/* docs/api.md: a fonds is seen when one of its documents is, or, by a keeper, when its unit
 * holds it. */
static int visible(const sight *s, const char *code)
{
	return s->everything || count_of(s, code) || (keeper(s->who) && in_scope(s, code));
}

/* May the principal describe fonds `code` (hl_archive_describe's rule, for a client to offer
 * it or not)? */
static int may_describe(const sight *s, const char *code)
{
	if (hl_auth_check(s->who, HL_ACT_DESCRIBE) < 0) {
		hl_error_clear();
		return 0;
	}
	return s->everything || s->who->province || in_scope(s, code);
}

/* Puts the principal's counts into c (the local operator keeps the whole ones). */
static void set_counts(hl_custody *c, const sight *s)
{
	const fcount *n;
	if (s->everything)
		return;
	n = count_of(s, c->fonds_code);
	c->dossiers = n ? n->dossiers : 0;
	c->documents = n ? n->documents : 0;
}

/* Keeps the fonds of l the principal sees (all of them if !only_visible), with its counts. */
static int keep_visible(hl_custodies *l, const sight *s, int only_visible)
{
	hl_custodies *drop;
	size_t k = 0;

	if (!l->n)
		return 0;
	/* the dropped entries are freed as a list of their own: hl_custodies_free clears each */
	if (!(drop = calloc(1, sizeof(*drop))) || !(drop->v = malloc(l->n * sizeof(*drop->v)))) {
		free(drop);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < l->n; i++) {
		if (only_visible && !visible(s, l->v[i].fonds_code)) {
			drop->v[drop->n++] = l->v[i];
			continue;
		}
		l->v[k] = l->v[i];
		set_counts(&l->v[k++], s);
	}
	l->n = k;
	hl_custodies_free(drop);
	return 0;
}

/* ---- fonds and dossiers ---- */

/* The fields of a dossier, without freeing the struct. */
static void dossier_clear(hl_dossier *d)
{
	free(d->fonds_code), free(d->code), free(d->first_date), free(d->last_date);
	free(d->doc_retention);
	hl_desc_clear(&d->desc);
}

void hl_dossier_free(hl_dossier *d)
{
	if (!d)
		return;
	dossier_clear(d);
	free(d);
}

void hl_fonds_free(hl_fonds *f)
{
	if (!f)
		return;
	hl_custody_free(f->custody);
	hl_desc_clear(&f->desc);
	for (size_t i = 0; i < f->nseries; i++)
		free(f->series[i].code), hl_desc_clear(&f->series[i].desc);
	free(f->series);
	for (size_t i = 0; i < f->ndossiers; i++)
		dossier_clear(&f->dossiers[i]);
	free(f->dossiers);
	free(f);
}

int hl_archive_fonds_list(hl_custodies **out, hl_archive *a, const hl_principal *who,
                          const char *date)
{
	hl_store *st = hl_archive_store(a);
	hl_custodies *l = NULL;
	sight s;
	int rc;

	who = or_anonymous(who);
	if ((rc = sight_load(&s, st, who)) < 0)
		return rc;
	if ((rc = hl_custody_list(&l, st, date)) < 0 || (rc = keep_visible(l, &s, 1)) < 0)
		goto done;
	*out = l;
	l = NULL;
done:
	hl_custodies_free(l);
	sight_free(&s);
	return rc;
}

/* The custody of a fonds the principal sees, with its counts. */
static int custody_seen(hl_custody **out, hl_store *st, const sight *s, const char *code,
                        const char *date)
{
	hl_custody *c = NULL;
	int rc;
	if (!code || !*code)
		return hl_error_set(HL_EINVALID, "no fonds code given");
	if (!visible(s, code))
		return no_fonds(code);
	if ((rc = hl_custody_get(&c, st, code, date)) < 0)
		return rc;
	set_counts(c, s);
	*out = c;
	return 0;
}

int hl_archive_custody_show(hl_custody **out, hl_archive *a, const hl_principal *who,
                            const char *code, const char *date)
{
	sight s;
	int rc;
	who = or_anonymous(who);
	if ((rc = sight_load(&s, hl_archive_store(a), who)) < 0)
		return rc;
	rc = custody_seen(out, hl_archive_store(a), &s, code, date);
	sight_free(&s);
	return rc;
}

typedef struct {
	hl_fonds *f;
	size_t cap;
} dossier_list;

/* A copy of a description (the store's, valid during a call only). */
static int desc_copy(hl_desc *to, const hl_desc *from)
{
	memset(to, 0, sizeof(*to));
	for (int i = 0; i < HL_DESC_FIELDS; i++) {
		const char *v = *hl_store_desc_field((hl_desc *)from, i); /* read only */
		if (v && !(*hl_store_desc_field(to, i) = hl_strdup(v)))
			return hl_error_set(HL_ENOMEM, "out of memory");
	}
	return 0;
}

static char *dup_or_null(const char *s, int *oom)
{
	char *d = s ? hl_strdup(s) : NULL;
	if (s && !d)
		*oom = 1;
	return d;
}

/* A dossier of the store's browsing into d. */
static int dossier_fill(hl_dossier *d, const char *fonds, const hl_store_dossier_seen *r)
{
	int oom = 0;
	memset(d, 0, sizeof(*d));
	d->fonds_code = dup_or_null(fonds, &oom);
	d->code = dup_or_null(r->code, &oom);
	d->first_date = dup_or_null(r->first_date, &oom);
	d->last_date = dup_or_null(r->last_date, &oom);
	d->doc_retention = dup_or_null(r->doc_retention, &oom);
	d->documents = r->documents;
	d->pages = r->pages;
	if (oom || desc_copy(&d->desc, r->desc) < 0)
		return hl_error_set(HL_ENOMEM, "out of memory");
	return 0;
}

static int dossier_add(const hl_store_dossier_seen *r, void *ud)
{
	dossier_list *l = ud;
	hl_fonds *f = l->f;
	if (f->ndossiers == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		hl_dossier *v = realloc(f->dossiers, cap * sizeof(*v));
		if (!v)
			return hl_error_set(HL_ENOMEM, "out of memory");
		f->dossiers = v, l->cap = cap;
	}
	return dossier_fill(&f->dossiers[f->ndossiers++], f->custody->fonds_code, r);
}

typedef struct {
	hl_fonds *f;
	size_t cap;
} series_list;

static int series_add(const char *code, const hl_desc *d, int64_t dossiers, void *ud)
{
	series_list *l = ud;
	hl_fonds *f = l->f;
	hl_series *e;
	if (f->nseries == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		hl_series *v = realloc(f->series, cap * sizeof(*v));
		if (!v)
			return hl_error_set(HL_ENOMEM, "out of memory");
		f->series = v, l->cap = cap;
	}
	e = &f->series[f->nseries++];
	memset(e, 0, sizeof(*e));
	e->dossiers = dossiers;
	if (!(e->code = hl_strdup(code)) || desc_copy(&e->desc, d) < 0)
		return hl_error_set(HL_ENOMEM, "out of memory");
	return 0;
}

/* The fonds `code` on `date` as `s` sees it: custody, its description, its series and
 * visible dossiers. */
static int fonds_seen(hl_fonds **out, hl_store *st, const sight *s, const char *code,
                      const char *date)
{
	hl_fonds *f = calloc(1, sizeof(*f));
	dossier_list l = {f, 0};
	series_list sl = {f, 0};
	int scoped = s->everything || in_scope(s, code), rc;

	if (!f)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if ((rc = custody_seen(&f->custody, st, s, code, date)) < 0)
		goto done;
	if ((rc = hl_store_fonds_desc(&f->desc, st, code)) < 0 && rc != HL_ENOTFOUND)
		goto done;
	/* the store's browsing leaves secret out whatever is asked: the local operator's list is
	 * the province's */
	rc = hl_store_series_list(st, code, (int)s->ceiling, scoped,
	                          s->everything || (keeper(s->who) && scoped), series_add, &sl);
	if (rc < 0)
		goto done;
	rc = hl_store_dossiers_visible(st, code, (int)s->ceiling, scoped, dossier_add, &l);
	if (rc < 0)
		goto done;
	f->may_describe = may_describe(s, code);
	for (size_t i = 0; i < f->ndossiers; i++)
		f->dossiers[i].may_describe = f->may_describe;
	*out = f;
	f = NULL;
done:
	hl_fonds_free(f);
	return rc;
}

int hl_archive_fonds_get(hl_fonds **out, hl_archive *a, const hl_principal *who, const char *code,
                         const char *date)
{
	sight s;
	int rc;
	who = or_anonymous(who);
	if ((rc = sight_load(&s, hl_archive_store(a), who)) < 0)
		return rc;
	rc = fonds_seen(out, hl_archive_store(a), &s, code, date);
	sight_free(&s);
	return rc;
}

typedef struct {
	const char *want, *fonds;
	hl_dossier *d;
	int rc;
} dossier_find;

static int dossier_row(const hl_store_dossier_seen *r, void *ud)
{
	dossier_find *t = ud;
	if (strcmp(r->code, t->want))
		return 0;
	if (!(t->d = calloc(1, sizeof(*t->d))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	return dossier_fill(t->d, t->fonds, r) < 0 ? -1 : 1;
}

int hl_doc_order_parse(hl_doc_order *out, const char *s)
{
	static const char *const names[] = {"ordinal", "-ordinal", "date", "-date"};
	if (!s || !*s) {
		*out = HL_ORDER_ORDINAL;
		return 0;
	}
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*out = (hl_doc_order)i;
			return 0;
		}
	return hl_error_set(
	    HL_EINVALID, "unknown sort \"%.40s\" (ordinal, date; -ordinal, -date: the other way)",
	    s);
}

int hl_archive_dossier_docs(hl_dossier **out, hl_archive *a, const hl_principal *who,
                            const char *fonds, const char *dossier, hl_doc_order order,
                            size_t offset, size_t limit, hl_dossier_doc_cb cb, void *ud)
{
	hl_store *st = hl_archive_store(a);
	dossier_find t = {dossier, fonds, NULL, 0};
	int64_t total = 0;
	int scoped, rc;
	sight s;

	who = or_anonymous(who);
	if (!fonds || !*fonds)
		return hl_error_set(HL_EINVALID, "no fonds code given");
	if (!dossier || !*dossier)
		return hl_error_set(HL_EINVALID, "no dossier code given");
	if (limit < 1 || limit > HL_ARCHIVE_PAGE_MAX)
		return hl_error_set(HL_EINVALID, "a page holds 1 to %d documents",
		                    HL_ARCHIVE_PAGE_MAX);
	if ((rc = sight_load(&s, st, who)) < 0)
		return rc;
	if (!visible(&s, fonds)) {
		rc = no_fonds(fonds);
		goto done;
	}
	scoped = s.everything || in_scope(&s, fonds);
	/* a dossier holding nothing the principal sees answers as a missing one */
	if ((rc = hl_store_dossiers_visible(st, fonds, (int)s.ceiling, scoped, dossier_row, &t)) <
	    0)
		goto done;
	if (!t.d) {
		rc = hl_error_set(HL_ENOTFOUND, "no dossier %s in fonds %s", dossier, fonds);
		goto done;
	}
	rc = hl_store_dossier_docs(&total, st, fonds, dossier, (int)s.ceiling, scoped, (int)order,
	                           offset, limit, cb, ud);
	if (rc < 0)
		goto done;
	t.d->documents = total;
	t.d->may_describe = may_describe(&s, fonds);
	*out = t.d;
	t.d = NULL;
done:
	hl_dossier_free(t.d);
	sight_free(&s);
	return rc;
}

static int exists_cb(const hl_store_fonds_row *row, void *ud)
{
	*(int *)ud = 1;
	return 0;
}

/* Does fonds `code` exist? 1, 0, or a negative HL_E code. */
static int fonds_exists(hl_store *st, const char *code)
{
	int exists = 0, rc = hl_store_fonds_get(st, code, exists_cb, &exists);
	if (rc < 0 && rc != HL_ENOTFOUND)
		return rc;
	return exists;
}

/* The same message under another code (the library's own message, never parsed). */
static int recode(int code)
{
	char msg[512];
	snprintf(msg, sizeof(msg), "%s", hl_error_last());
	return hl_error_set(code, "%s", msg);
}

/* May the principal of `s` change fonds `code` (`exists`: it does)? A unit's archivist
 * changes the fonds its unit holds; only the province creates or changes the others. A fonds
 * the principal cannot see answers exactly as a missing one (a refusal for a missing fonds
 * beside "unknown" for a hidden one told which exist). */
static int may_change(const sight *s, const char *code, int exists)
{
	if (s->who->province || (exists && in_scope(s, code)))
		return 0;
	return exists && visible(s, code)
	           ? hl_error_set(HL_EDENIED, "fonds %s is not held by your unit", code)
	           : no_fonds(code);
}

int hl_archive__fonds_writable(hl_archive *a, const hl_principal *who, const char *code)
{
	hl_store *st = hl_archive_store(a);
	sight s;
	int exists, rc;
	who = or_anonymous(who);
	if ((rc = hl_auth_check(who, HL_ACT_DESCRIBE)) < 0)
		return rc;
	if ((rc = sight_load(&s, st, who)) < 0)
		return rc;
	if ((rc = exists = fonds_exists(st, code)) >= 0)
		rc = exists ? may_change(&s, code, 1) : no_fonds(code);
	sight_free(&s);
	return rc;
}

int hl_archive_fonds_set(hl_fonds **out, hl_archive *a, const hl_principal *who, const char *code,
                         const char *creator, const char *creator_on, const char *name)
{
	hl_store *st = hl_archive_store(a);
	sight s;
	int exists, rc;

	who = or_anonymous(who);
	if ((rc = hl_auth_check(who, HL_ACT_CUSTODY_WRITE)) < 0)
		return rc;
	if (!code || !*code || strlen(code) > 64)
		return hl_error_set(HL_EINVALID, "a fonds code has 1 to 64 bytes");
	if ((!creator || !*creator) && (!name || !*name))
		return hl_error_set(HL_EINVALID, "give the fonds' creator unit, its name, or both");
	if ((rc = sight_load(&s, st, who)) < 0)
		return rc;
	if ((rc = exists = fonds_exists(st, code)) < 0 || (rc = may_change(&s, code, exists)) < 0)
		goto done;
	/* a name alone (a collection may have no creator unit) */
	if (!creator || !*creator)
		rc = name && strlen(name) > 500
		         ? hl_error_set(HL_EINVALID, "a fonds name has at most 500 bytes")
		         : hl_store_fonds_set(st, code, name, NULL, NULL, hl_principal_actor(who));
	else
		rc = hl_custody_set_creator(st, code, creator, creator_on, name,
		                            hl_principal_actor(who));
	/* the unit (and its date) is the caller's input, not the thing asked for, and a name
	 * over the limit is not a rate limit: both are bad input */
	if (rc == HL_ENOTFOUND || rc == HL_ELIMIT)
		rc = recode(HL_EINVALID);
	if (rc < 0)
		goto done;
	/* answered with what the principal saw before the change: a unit's archivist naming
	 * another unit's creator still sees the answer to what it did */
	if (out)
		rc = fonds_seen(out, st, &s, code, NULL);
done:
	sight_free(&s);
	return rc;
}

/* ---- custody ---- */

int hl_archive_custody_of(hl_custodies **out, hl_archive *a, const hl_principal *who,
                          const char *unit, const char *date)
{
	hl_store *st = hl_archive_store(a);
	hl_custodies *l = NULL;
	sight s = {0};
	int rc;

	who = or_anonymous(who);
	if ((rc = hl_custody_held_by(&l, st, unit, date)) < 0)
		return rc;
	if ((rc = sight_load(&s, st, who)) < 0 || (rc = keep_visible(l, &s, 1)) < 0)
		goto done;
	*out = l;
	l = NULL;
done:
	hl_custodies_free(l);
	sight_free(&s);
	return rc;
}

int hl_archive_custody_pending(hl_custodies **out, hl_archive *a, const hl_principal *who)
{
	hl_store *st = hl_archive_store(a);
	hl_custodies *l = NULL;
	sight s = {0};
	int rc;

	who = or_anonymous(who);
	if ((rc = hl_auth_check(who, HL_ACT_CUSTODY_READ)) < 0)
		return rc;
	if ((rc = hl_custody_pending(&l, st)) < 0)
		return rc;
	/* decisions are the province's work, so its staff see every waiting fonds; a unit's staff,
	 * who decide nothing, only those they see anyway: a waiting fonds holding only records
	 * hidden from them is not named */
	if ((rc = sight_load(&s, st, who)) < 0 || (rc = keep_visible(l, &s, !who->province)) < 0)
		goto done;
	*out = l;
	l = NULL;
done:
	hl_custodies_free(l);
	sight_free(&s);
	return rc;
}

int hl_archive_custody_assign(hl_custody **out, hl_archive *a, const hl_principal *who,
                              const char *fonds, const char *to, const char *from, const char *date,
                              const char *basis)
{
	hl_store *st = hl_archive_store(a);
	hl_custody *c = NULL;
	sight s = {0};
	int rc;

	who = or_anonymous(who);
	/* a decision moves records into a unit's scope: a commune's archivist deciding would
	 * grant its own unit an abolished district's fonds, so only the province decides */
	if ((rc = hl_auth_check(who, HL_ACT_CUSTODY_DECIDE)) < 0)
		return rc;
	if (!fonds || !*fonds)
		return hl_error_set(HL_EINVALID, "no fonds code given");
	rc = hl_custody_assign(st, fonds, to, from, date, basis, hl_principal_actor(who));
	if (rc == HL_ELIMIT) /* a basis over the limit: bad input, not a rate limit */
		rc = recode(HL_EINVALID);
	/* a known fonds with no step waiting is a conflict with its state, not a missing thing */
	if (rc == HL_ENOTFOUND && !from) {
		int exists = fonds_exists(st, fonds);
		if (exists < 0)
			return exists;
		rc = exists ? recode(HL_ECONFLICT) : rc;
	}
	if (rc < 0 || !out)
		return rc;
	if ((rc = hl_custody_get(&c, st, fonds, NULL)) < 0 || (rc = sight_load(&s, st, who)) < 0)
		goto done;
	set_counts(c, &s);
	*out = c;
	c = NULL;
done:
	hl_custody_free(c);
	sight_free(&s);
	return rc;
}

/* ---- the receipt as the principal sees it ---- */

typedef struct {
	char **ids;
	size_t n, cap;
} id_list;

static int id_add(const hl_doc *d, void *ud)
{
	id_list *l = ud;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		char **v = realloc(l->ids, cap * sizeof(*v));
		if (!v)
			return hl_error_set(HL_ENOMEM, "out of memory");
		l->ids = v, l->cap = cap;
	}
	if (!(l->ids[l->n] = hl_strdup(d->doc_id)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	l->n++;
	return 0;
}

static void id_list_free(id_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->ids[i]);
	free(l->ids);
}

/* Recounts line `l` over the documents of its dossier the principal sees; a line with some
 * hidden loses its digest (the principal could not check it), one with all hidden is left
 * with 0 documents. */
static int recount(hl_receipt_line *l, hl_store *st, const sight *s)
{
	id_list ids = {0};
	int64_t total = 0, pages = 0, files = 0, bytes = 0;
	hl_access max = HL_ACCESS_PUBLIC;
	int scoped = in_scope(s, l->fonds_code), rc = 0;

	for (size_t off = 0;; off += RECOUNT_PAGE) {
		size_t before = ids.n;
		rc = hl_store_dossier_docs(&total, st, l->fonds_code, l->dossier_code,
		                           (int)s->ceiling, scoped, HL_ORDER_ORDINAL, off,
		                           RECOUNT_PAGE, id_add, &ids);
		if (rc < 0 || ids.n == before || ids.n >= (size_t)total)
			break;
	}
	/* the page rows carry no files: each document is read whole for its files' sizes */
	for (size_t i = 0; i < ids.n && rc == 0; i++) {
		hl_doc *d = NULL;
		if ((rc = hl_store_doc_get(&d, st, ids.ids[i])) < 0)
			break;
		pages += d->page_count > 0 ? d->page_count : 0;
		files += (int64_t)d->nfiles;
		for (size_t k = 0; k < d->nfiles; k++)
			bytes += d->files[k].size;
		if (d->access > max)
			max = d->access;
		hl_doc_free(d);
	}
	if (rc == 0 && (int64_t)ids.n != l->documents) {
		l->documents = (int64_t)ids.n;
		l->pages = pages, l->files = files, l->bytes = bytes;
		l->max_access = max;
		l->digest[0] = '\0';
	}
	id_list_free(&ids);
	return rc;
}

static void line_clear(hl_receipt_line *l)
{
	free(l->fonds_code), free(l->fonds_name), free(l->from_code), free(l->from_name);
	free(l->basis), free(l->dossier_code), free(l->dossier_title);
}

/* Filters receipt r for the principal in place: hidden lines go, partly hidden ones are
 * recounted, and the totals and digest are those of the lines shown (the formula of
 * include/halong/units.h). Nothing hidden: r is left as it is. */
static int receipt_filter(hl_receipt *r, hl_store *st, const sight *s)
{
	crypto_hash_sha256_state h;
	unsigned char md[crypto_hash_sha256_BYTES];
	size_t k = 0;
	int changed = 0, rc;

	/* every line is recounted before any moves, so that a failure leaves r whole to free
	 * (the store lists only dossiers holding documents: 0 after the recount means hidden) */
	for (size_t i = 0; i < r->n; i++) {
		int64_t before = r->v[i].documents;
		if ((rc = recount(&r->v[i], st, s)) < 0)
			return rc;
		changed |= r->v[i].documents != before;
	}
	if (!changed)
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		if (r->v[i].documents > 0)
			r->v[k++] = r->v[i];
		else
			line_clear(&r->v[i]);
	}
	r->n = k;
	r->nfonds = 0;
	r->documents = r->pages = r->files = r->bytes = 0;
	crypto_hash_sha256_init(&h);
	for (size_t i = 0; i < r->n; i++) {
		const hl_receipt_line *l = &r->v[i];
		char nums[128];
		/* a fonds' lines are together (hl_custody_receipt adds them fonds by fonds) */
		r->nfonds += !i || strcmp(r->v[i - 1].fonds_code, l->fonds_code);
		r->documents += l->documents, r->pages += l->pages;
		r->files += l->files, r->bytes += l->bytes;
		crypto_hash_sha256_update(&h, (const unsigned char *)l->fonds_code,
		                          strlen(l->fonds_code));
		crypto_hash_sha256_update(&h, (const unsigned char *)"\t", 1);
		crypto_hash_sha256_update(&h, (const unsigned char *)l->dossier_code,
		                          strlen(l->dossier_code));
		snprintf(nums, sizeof(nums), "\t%lld\t%lld\t%s\n", (long long)l->documents,
		         (long long)l->pages, l->digest);
		crypto_hash_sha256_update(&h, (const unsigned char *)nums, strlen(nums));
	}
	crypto_hash_sha256_final(&h, md);
	sodium_bin2hex(r->digest, sizeof(r->digest), md, sizeof(md));
	return 0;
}

int hl_archive_custody_receipt(hl_receipt **out, hl_archive *a, const hl_principal *who,
                               const char *to, const char *from, const char *date)
{
	hl_store *st = hl_archive_store(a);
	hl_receipt *r = NULL;
	sight s = {0};
	int rc;

	who = or_anonymous(who);
	if ((rc = hl_auth_check(who, HL_ACT_CUSTODY_READ)) < 0)
		return rc;
	/* a unit's staff get their own unit's receipt, the province's staff every unit's */
	if (!who->province && strcmp(to ? to : "", who->unit_code))
		return hl_error_set(HL_EDENIED,
		                    "only the province's staff see another unit's receipt");
	if ((rc = hl_custody_receipt(&r, st, to, from && *from ? from : NULL, date)) < 0)
		return rc;
	if (!who->local &&
	    ((rc = sight_load(&s, st, who)) < 0 || (rc = receipt_filter(r, st, &s)) < 0))
		goto done;
	*out = r;
	r = NULL;
done:
	hl_receipt_free(r);
	sight_free(&s);
	return rc;
}
