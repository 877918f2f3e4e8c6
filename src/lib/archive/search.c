/* Searching the archive as a principal sees it: the filters joined to the query, who sees what,
 * the unit facet, the total that leaks nothing, the audit of restricted snippets, and what the
 * handle keeps between searches (the custody list, each query's counts). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "archive_int.h"
#include "halong/units.h"
#include "halong/util.h"

/* ---- the query with its filters ---- */

/* Appends ` field:"value"` for each comma-separated value of `list`. */
static int add_filter(char *q, size_t cap, size_t *n, const char *field, const char *list)
{
	if (!list)
		return 0;
	for (const char *v = list; *v;) {
		const char *e = strchr(v, ',');
		size_t len = e ? (size_t)(e - v) : strlen(v);
		while (len && *v == ' ')
			v++, len--;
		while (len && v[len - 1] == ' ')
			len--;
		if (len) {
			if (memchr(v, '"', len))
				return hl_error_set(HL_EINVALID, "%s: a value may not hold '\"'",
				                    field);
			if (*n + len + strlen(field) + 5 >= cap)
				return hl_error_set(
				    HL_EINVALID,
				    "the query with its filters is longer than %d bytes",
				    HL_SEARCH_MAX_QUERY);
			*n +=
			    (size_t)snprintf(q + *n, cap - *n, " %s:\"%.*s\"", field, (int)len, v);
		}
		if (!e)
			break;
		v = e + 1;
	}
	return 0;
}

/* unit=CODE,...: unit codes only, added unquoted (the query language's unit: takes a code). */
static int add_units(char *q, size_t cap, size_t *n, const char *list)
{
	if (!list || !*list)
		return 0;
	for (const char *p = list; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= 'a' && *p <= 'z') || *p == ',' || *p == '-' || *p == '_'))
			return hl_error_set(HL_EINVALID, "unit: unit codes are expected");
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		if (len) {
			if (*n + len + 7 >= cap)
				return hl_error_set(
				    HL_EINVALID,
				    "the query with its filters is longer than %d bytes",
				    HL_SEARCH_MAX_QUERY);
			*n += (size_t)snprintf(q + *n, cap - *n, " unit:%.*s", (int)len, p);
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int compose(char *q, size_t cap, const hl_search_opts *o)
{
	size_t n = 0;
	int rc;
	if (o->query && strlen(o->query) >= cap)
		return hl_error_set(HL_EINVALID, "the query is longer than %d bytes",
		                    HL_SEARCH_MAX_QUERY);
	n = (size_t)snprintf(q, cap, "%s", o->query ? o->query : "");
	if ((rc = add_filter(q, cap, &n, "fonds", o->fonds)) < 0 ||
	    (rc = add_filter(q, cap, &n, "type", o->type)) < 0 ||
	    (rc = add_filter(q, cap, &n, "year", o->year)) < 0 ||
	    (rc = add_filter(q, cap, &n, "issuer", o->issuer)) < 0 ||
	    (rc = add_units(q, cap, &n, o->unit)) < 0)
		return rc;
	if (!q[strspn(q, " ")])
		return hl_error_set(HL_EINVALID, "type something to search, or choose a filter");
	return 0;
}

/* unit:CODE means the fonds CODE holds today, inherited ones included; an unknown code is a bad
 * query, not a missing record. */
static int unit_fonds(char ***codes, size_t *n, const char *unit, void *ud)
{
	hl_custodies *l = NULL;
	char **v;
	int rc = hl_custody_held_by(&l, ud, unit, NULL);
	if (rc == HL_ENOTFOUND)
		return hl_error_set(HL_EINVALID, "unknown unit code %s", unit);
	if (rc < 0)
		return rc;
	if (!(v = calloc(l->n + 1, sizeof(*v)))) {
		hl_custodies_free(l);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < l->n; i++) {
		v[i] = l->v[i].fonds_code; /* moved out of the list */
		l->v[i].fonds_code = NULL;
	}
	*codes = v, *n = l->n;
	hl_custodies_free(l);
	return 0;
}

/* ---- what the handle keeps ---- */

static int stamp_now(hl_archive__stamp *s, hl_archive *a)
{
	memset(s, 0, sizeof(*s));
	if (hl_store_change_stamp(&s->dv, &s->own, a->store) < 0) {
		hl_error_clear();
		return -1;
	}
	hl_units_today(s->day);
	return 0;
}

static int stamp_eq(const hl_archive__stamp *a, const hl_archive__stamp *b)
{
	return a->dv == b->dv && a->own == b->own && !strcmp(a->day, b->day);
}

int hl_archive_change_stamp(hl_archive_stamp *out, hl_archive *a)
{
	int64_t dv, own;
	if (hl_store_change_stamp(&dv, &own, a->store) < 0)
		return -1;
	out->data_version = dv, out->own_changes = own;
	return 0;
}

/* Every fonds' custody today, the handle's copy while the store and the day are unchanged; NULL
 * (error cleared) if the store cannot tell: the unit facet is then empty. */
static const hl_custodies *custody_list(hl_archive *a, const hl_archive__stamp *now)
{
	hl_custodies *l = NULL;
	if (a->custody && now && stamp_eq(&a->custody_at, now))
		return a->custody;
	if (hl_custody_list(&l, a->store, NULL) < 0) {
		hl_error_clear();
		return NULL;
	}
	hl_custodies_free(a->custody);
	a->custody = l;
	if (now)
		a->custody_at = *now;
	else
		memset(&a->custody_at, 0, sizeof(a->custody_at)); /* never equal to a real stamp */
	return l;
}

/* The key of a query's counts: who sees what (level, scope), then the query, each part after
 * its length so that no two inputs make one key. NULL if out of memory. */
static char *counts_key(const hl_index_query *q)
{
	size_t cap = 64 + strlen(q->query), n;
	char *k;
	for (size_t i = 0; i < q->n_scope_fonds; i++)
		cap += strlen(q->scope_fonds[i]) + 24;
	if (!(k = malloc(cap)))
		return NULL;
	n = (size_t)snprintf(k, cap, "%d/%d/%d/%d/%zu:", (int)q->max_access, q->lesson_max_access,
	                     q->scoped, q->scope_all, q->n_scope_fonds);
	for (size_t i = 0; i < q->n_scope_fonds; i++)
		n += (size_t)snprintf(k + n, cap - n, "%zu:%s", strlen(q->scope_fonds[i]),
		                      q->scope_fonds[i]);
	snprintf(k + n, cap - n, "%zu:%s", strlen(q->query), q->query);
	return k;
}

static void facet_copy_free(hl_facet *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].value), free(f->v[i].name);
	free(f->v);
	f->v = NULL, f->n = 0;
}

static int facet_copy(hl_facet *dst, const hl_facet *src)
{
	memset(dst, 0, sizeof(*dst));
	if (!src->n)
		return 0;
	if (!(dst->v = calloc(src->n, sizeof(*dst->v))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	for (; dst->n < src->n; dst->n++) {
		const hl_facet_value *s = &src->v[dst->n];
		hl_facet_value *d = &dst->v[dst->n];
		d->count = s->count;
		if (!(d->value = hl_strdup(s->value)) ||
		    (s->name && !(d->name = hl_strdup(s->name)))) {
			dst->n++;
			facet_copy_free(dst);
			return hl_error_set(HL_ENOMEM, "out of memory");
		}
	}
	return 0;
}

void hl_archive__counts_clear(hl_archive__counts *c)
{
	free(c->key);
	facet_copy_free(&c->fonds), facet_copy_free(&c->type), facet_copy_free(&c->year);
	facet_copy_free(&c->unit);
	memset(c, 0, sizeof(*c));
}

/* The handle's counts of `key` valid at `now`, or NULL; *slot is where to keep fresh ones (the
 * least recently used of the key's set). */
static hl_archive__counts *counts_find(hl_archive *a, const char *key, uint32_t h,
                                       const hl_archive__stamp *now, hl_archive__counts **slot)
{
	hl_archive__counts *set = &a->counts[(h % HL_ARCHIVE__COUNT_SETS) * HL_ARCHIVE__COUNT_WAYS];
	*slot = NULL;
	for (size_t i = 0; i < HL_ARCHIVE__COUNT_WAYS; i++) {
		hl_archive__counts *c = &set[i];
		if (c->key && c->hash == h && !strcmp(c->key, key)) {
			*slot = c;
			return stamp_eq(&c->at, now) ? c : NULL;
		}
		if (!*slot || ((*slot)->key && (!c->key || c->used < (*slot)->used)))
			*slot = c;
	}
	return NULL;
}

/* ---- the unit facet ---- */

/* Each fonds' count goes to the unit that holds the fonds today, most documents first. */
static int unit_facet(hl_facet *out, hl_archive *a, const hl_facet *fonds,
                      const hl_archive__stamp *now)
{
	const hl_custodies *l;
	memset(out, 0, sizeof(*out));
	if (!fonds->n || !(l = custody_list(a, now)))
		return 0;
	if (!(out->v = calloc(fonds->n, sizeof(*out->v))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	for (size_t i = 0; i < fonds->n; i++) {
		const hl_custody *c = NULL;
		size_t k;
		for (size_t j = 0; j < l->n; j++)
			if (l->v[j].fonds_code && !strcmp(l->v[j].fonds_code, fonds->v[i].value)) {
				c = &l->v[j];
				break;
			}
		if (!c || c->state != HL_CUSTODY_HELD || !c->custodian_code)
			continue;
		for (k = 0; k < out->n; k++)
			if (!strcmp(out->v[k].value, c->custodian_code))
				break;
		if (k == out->n) {
			if (!(out->v[k].value = hl_strdup(c->custodian_code)) ||
			    (c->custodian_name &&
			     !(out->v[k].name = hl_strdup(c->custodian_name)))) {
				out->n++;
				facet_copy_free(out);
				return hl_error_set(HL_ENOMEM, "out of memory");
			}
			out->n++;
		}
		out->v[k].count += fonds->v[i].count;
	}
	for (size_t i = 1; i < out->n; i++)
		for (size_t j = i; j > 0 && out->v[j].count > out->v[j - 1].count; j--) {
			hl_facet_value t = out->v[j];
			out->v[j] = out->v[j - 1];
			out->v[j - 1] = t;
		}
	return 0;
}

/* ---- the search ---- */

/* The total shown, and whether it is exact: the number of hits when the search reached the
 * last one; the count over the visible documents holding every word when it is whole and they
 * are the hits (no phrase to confirm); else the estimate, never less than what this page shows. */
static void visible_total(hl_hits *h, size_t off)
{
	uint64_t seen = off + h->n;
	if (h->listed_all) {
		h->total = h->listed > seen ? h->listed : seen;
		h->total_exact = 1;
	} else if (h->facets_exact && h->count_is_total) {
		h->total = h->facet_count > seen ? h->facet_count : seen;
		h->total_exact = 1;
	} else {
		h->total = h->estimate > seen ? h->estimate : seen;
		h->total_exact = 0;
	}
}

/* A snippet is the record's text: each restricted or secret hit shown with one is audited as a
 * read, all in one transaction. */
static int audit_snippets(hl_archive *a, const hl_principal *who, const hl_hits *h)
{
	size_t n = 0;
	int rc = 0;
	for (size_t i = 0; i < h->n; i++)
		n += h->hits[i].access >= HL_ACCESS_RESTRICTED && h->hits[i].snippet &&
		     *h->hits[i].snippet;
	if (!n)
		return 0;
	if ((rc = hl_store_begin(a->store)) < 0)
		return rc;
	for (size_t i = 0; i < h->n && rc == 0; i++)
		if (h->hits[i].access >= HL_ACCESS_RESTRICTED && h->hits[i].snippet &&
		    *h->hits[i].snippet) {
			char lesson[40];
			snprintf(lesson, sizeof(lesson), "lesson %lld",
			         (long long)h->hits[i].lesson);
			rc = hl_store_audit(a->store, hl_principal_actor(who), "read",
			                    h->hits[i].lesson ? lesson : h->hits[i].doc_id,
			                    "search snippet");
		}
	return rc < 0 ? (hl_store_rollback(a->store), rc) : hl_store_commit(a->store);
}

/* The read-only view of the index (or the handle's writer, which sees its own changes). */
static int reader(hl_index **out, hl_archive *a)
{
	if (a->index) {
		*out = a->index;
		return 0;
	}
	int rc;
	if (!a->reader && (rc = hl_index_open(&a->reader, a->index_dir, 0)) < 0)
		return rc;
	*out = a->reader;
	return 0;
}

/* Each hit as the store has it, by the reader's rule (hl_auth_may_see). */
static bool word_byte(unsigned char c)
{
	return c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* The caller's query with each word from[k] replaced by to[k]: whole words, in any case
 * ("Quyeets ddinhj" -> "quyết định" for the words searched as others, Telex, VNI or a typo;
 * the rare words by the common ones for "did you mean"). */
static int replaced(char **res, const char *q, size_t npairs, char *const *from, char *const *to)
{
	size_t n = strlen(q), cap = 4 * n + 1, o = 0;
	char *out = malloc(cap);
	if (!out)
		return hl_error_set(HL_ENOMEM, "out of memory");
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && word_byte((unsigned char)q[j]))
			j++;
		const char *with = NULL;
		for (size_t k = 0; j > i && k < npairs && !with; k++)
			if (strlen(from[k]) == j - i && !strncasecmp(q + i, from[k], j - i))
				with = to[k];
		if (with) {
			/* a spelled syllable is at most 4 bytes a typed letter, a word one edit
			 * away one letter more than five: it fits */
			memcpy(out + o, with, strlen(with));
			o += strlen(with);
		} else {
			memcpy(out + o, q + i, j - i);
			o += j - i;
		}
		if (j == i)
			out[o++] = q[j++];
		i = j;
	}
	out[o] = '\0';
	*res = out;
	return 0;
}

static int hit_may_see(hl_access level, const char *fonds, void *ud)
{
	return hl_archive__reader_may_see(ud, level, fonds);
}

/* The index's query for `who`: the composed query, visibility from the principal. */
static void index_query(hl_index_query *q, const char *query, const hl_search_opts *opts,
                        hl_archive *a, const hl_principal *who, hl_archive__reader *rd)
{
	memset(q, 0, sizeof(*q));
	q->query = query;
	q->offset = opts->offset, q->limit = opts->limit;
	q->mark_open = opts->mark_open, q->mark_close = opts->mark_close;
	q->html = opts->html;
	q->unit_fonds = unit_fonds, q->unit_ud = a->store;
	q->max_access = hl_auth_ceiling(who);
	q->may_see = hit_may_see, q->may_see_ud = rd;
	/* a lesson learned is its plan's: read up to the caller's ceiling (plans/) */
	q->lesson_max_access = who && who->local ? HL_ACCESS_SECRET : (int)hl_auth_ceiling(who);
	if (!(who && who->local)) {
		q->scoped = 1;
		q->scope_all = rd->all;
		q->scope_fonds = rd->codes;
		q->n_scope_fonds = rd->n;
	}
}

/* The answer of a data directory whose index was never made (before any ingest): nothing is
 * indexed yet, whatever the store queued. */
static int nothing_indexed(hl_hits **out, hl_archive *a)
{
	int64_t max = 0;
	hl_hits *h = calloc(1, sizeof(*h));
	hl_error_clear();
	if (!h)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if (hl_store_queue_max(&max, a->store) == 0)
		h->pending = max;
	hl_error_clear();
	h->total_exact = h->facets_exact = 1;
	*out = h;
	return 0;
}

/* Another page of a query whose counts the handle keeps: the counts, and the facets if asked. */
static int counts_reuse(hl_hits *h, hl_archive__counts *have, int facets)
{
	h->facet_count = have->count, h->facets_exact = have->exact;
	h->facet_estimate = have->estimate;
	if (h->estimate < have->estimate)
		h->estimate = have->estimate;
	if (!facets)
		return 0;
	if (facet_copy(&h->fonds, &have->fonds) < 0 || facet_copy(&h->type, &have->type) < 0 ||
	    facet_copy(&h->year, &have->year) < 0 || facet_copy(&h->unit, &have->unit) < 0)
		return hl_error_set(HL_ENOMEM, "out of memory");
	return 0;
}

/* Keeps a first page's counts and facets in `slot` (taking *key); out of memory keeps nothing:
 * the answer is whole either way. */
static void counts_keep(hl_archive__counts *slot, char **key, uint32_t kh,
                        const hl_archive__stamp *now, uint64_t tick, const hl_hits *h)
{
	hl_archive__counts c = {0};
	c.key = *key, c.hash = kh, c.at = *now, c.used = tick;
	c.count = h->facet_count, c.exact = h->facets_exact;
	c.estimate = h->facet_estimate;
	if (facet_copy(&c.fonds, &h->fonds) < 0 || facet_copy(&c.type, &h->type) < 0 ||
	    facet_copy(&c.year, &h->year) < 0 || facet_copy(&c.unit, &h->unit) < 0) {
		hl_error_clear();
		c.key = NULL;
		hl_archive__counts_clear(&c);
		return;
	}
	hl_archive__counts_clear(slot);
	*slot = c;
	*key = NULL; /* the slot holds it */
}

/* Changes the store queued that the index does not hold: what this search does not see. */
static int64_t pending_of(hl_archive *a, hl_index *ix)
{
	int64_t max = 0, n = 0;
	if (hl_store_queue_max(&max, a->store) == 0)
		n = max - hl_index_applied_seq(ix);
	hl_error_clear();
	return n > 0 ? n : 0;
}

int hl_archive_search(hl_hits **out, hl_archive *a, const hl_principal *who,
                      const hl_search_opts *opts)
{
	char query[HL_SEARCH_MAX_QUERY + 1];
	hl_index_query q;
	hl_archive__reader rd;
	hl_archive__stamp now;
	hl_archive__counts *have = NULL, *slot = NULL;
	hl_index *ix;
	hl_hits *h = NULL;
	char *key = NULL;
	uint32_t kh = 0;
	int rc, fresh_stamp;

	if ((rc = compose(query, sizeof(query), opts)) < 0)
		return rc;
	hl_archive__reader_init(&rd, a, who);
	if ((rc = hl_archive__reader_scope(&rd)) < 0)
		goto done;
	index_query(&q, query, opts, a, who, &rd);
	/* the stamp is read before searching: a change made meanwhile moves it past the counts */
	fresh_stamp = stamp_now(&now, a) == 0;
	if (fresh_stamp && (key = counts_key(&q))) {
		kh = hl_str_hash(key);
		have = counts_find(a, key, kh, &now, &slot);
	}
	q.facets = !have;
	if ((rc = reader(&ix, a)) == HL_ENOTFOUND) {
		rc = nothing_indexed(out, a);
		goto done;
	}
	if (rc < 0 || (rc = hl_index_search(&h, ix, a->store, &q)) < 0)
		goto done;
	a->tick++;
	if (have) {
		have->used = a->tick;
		if ((rc = counts_reuse(h, have, opts->facets)) < 0)
			goto done;
	} else {
		if ((rc = unit_facet(&h->unit, a, &h->fonds, fresh_stamp ? &now : NULL)) < 0)
			goto done;
		if (slot)
			counts_keep(slot, &key, kh, &now, a->tick, h);
		if (!opts->facets) {
			facet_copy_free(&h->fonds), facet_copy_free(&h->type);
			facet_copy_free(&h->year), facet_copy_free(&h->unit);
		}
	}
	visible_total(h, opts->offset);
	if (h->nspelled && opts->query &&
	    (rc = replaced(&h->searched_as, opts->query, h->nspelled, h->typed, h->spelled)) < 0)
		goto done;
	if (h->nsuggest && opts->query &&
	    (rc = replaced(&h->did_you_mean, opts->query, h->nsuggest, h->rare, h->common)) < 0)
		goto done;
	h->pending = pending_of(a, ix);
	h->reusable = 1;
	for (size_t i = 0; i < h->n; i++)
		h->reusable &= h->hits[i].access < HL_ACCESS_RESTRICTED;
	if ((rc = audit_snippets(a, who, h)) < 0)
		goto done;
	*out = h;
	h = NULL;
done:
	hl_hits_free(h);
	free(key);
	hl_archive__reader_clear(&rd);
	return rc;
}
