/* Search with facets: the caller's query plus filters, seen through the caller's visibility;
 * facet counts come from the same scoped matches, so nothing hidden is counted.
 *
 * Each worker thread keeps the answers it built (and, apart, the facets of a query, which do
 * not depend on the page, and the custody list that makes the unit facet), keyed by the query,
 * its filters, the page and the caller's visibility (max level, scope), and valid while the
 * store's change stamp and the day are those they were built at: a re-ingest, an index update
 * (it trims the store's queue) or a change of access level moves the stamp, so it is seen at
 * once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halong/units.h"
#include "server_int.h"

#define MAX_QUERY 1000 /* bytes of q, and of the query with its filters */

/* Answers kept a thread: sets of ways, the least recently used way of a set replaced (a mix of
 * a few hundred queries asked in turn must not evict itself, as a direct-mapped table did). */
#define ANSWER_SETS 64
#define ANSWER_WAYS 8
#define FACET_SETS  32 /* facets of queries kept a thread */
#define FACET_WAYS  4
#define ANSWER_MAX  (256u << 10) /* a larger answer is not kept */
/* Bytes of answers a thread keeps (bodies of 13 kB for 20 hits, ~70 kB for 100): past it the
 * thread's answers are all dropped before the next is kept (stale ones included). */
#define ANSWER_BUDGET (8u << 20)

/* What a cached entry is valid for: the store's change stamp and the day (custody, so the unit
 * facet, depends on the date). */
typedef struct {
	int64_t dv, own;
	char day[11];
} stamp;

/* What every entry starts with. key NULL: an empty way. */
typedef struct {
	char *key;
	uint32_t hash;
	stamp at;
	uint64_t used; /* the thread's request count when last used */
} entry;

typedef struct {
	entry e;
	char *body;
	size_t len;
} answer_cached;

typedef struct {
	entry e;
	json_t *facets; /* {"fonds":…, "type":…, "year":…, "unit":…} */
	uint64_t count, estimate;
	int exact;
} facets_cached;

typedef struct {
	answer_cached answers[ANSWER_SETS * ANSWER_WAYS];
	facets_cached facets[FACET_SETS * FACET_WAYS];
	uint64_t tick;
	size_t bytes; /* of the answers' bodies */
	hl_custodies *custody;
	stamp custody_at;
} search_cache;

/* Frees every answer of the thread (the facets stay: they are small). */
static void answers_drop(search_cache *c)
{
	for (size_t i = 0; i < ANSWER_SETS * ANSWER_WAYS; i++) {
		free(c->answers[i].e.key), free(c->answers[i].body);
		memset(&c->answers[i], 0, sizeof(c->answers[i]));
	}
	c->bytes = 0;
}

static pthread_key_t g_cache_key;
static pthread_once_t g_cache_once = PTHREAD_ONCE_INIT;
/* HL_SEARCH_NO_CACHE=1 in the server's environment: no answer or facets are kept (the custody
 * list still is), so that bench/search_http.sh can measure searches never asked before. Not for
 * production. Read once, with the key. */
static int g_answers_off;

static void cache_free(void *p)
{
	search_cache *c = p;
	for (size_t i = 0; i < ANSWER_SETS * ANSWER_WAYS; i++)
		free(c->answers[i].e.key), free(c->answers[i].body);
	for (size_t i = 0; i < FACET_SETS * FACET_WAYS; i++) {
		free(c->facets[i].e.key);
		json_decref(c->facets[i].facets);
	}
	hl_custodies_free(c->custody);
	free(c);
}

static void cache_key_make(void)
{
	const char *e = getenv("HL_SEARCH_NO_CACHE");
	g_answers_off = e && *e && strcmp(e, "0") != 0;
	pthread_key_create(&g_cache_key, cache_free);
}

/* This thread's cache (freed with the thread), NULL if out of memory. */
static search_cache *cache_get(void)
{
	search_cache *c;
	pthread_once(&g_cache_once, cache_key_make);
	if (!(c = pthread_getspecific(g_cache_key)) && (c = calloc(1, sizeof(*c))) &&
	    pthread_setspecific(g_cache_key, c) != 0) {
		free(c);
		c = NULL;
	}
	return c;
}

/* 0 when the store told its stamp; else nothing is cached for this request. */
static int stamp_now(stamp *s, hl_req *r)
{
	memset(s, 0, sizeof(*s));
	if (hl_store_change_stamp(&s->dv, &s->own, hl_req_store(r)) < 0) {
		hl_error_clear();
		return -1;
	}
	hl_units_today(s->day);
	return 0;
}

static int stamp_eq(const stamp *a, const stamp *b)
{
	return a->dv == b->dv && a->own == b->own && !strcmp(a->day, b->day);
}

static uint32_t key_hash(const char *k)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)k; *p; p++)
		h = (h ^ *p) * 16777619u;
	/* FNV's low bits follow the input's low bits (the 200 queries of the mix fell in 32 of
	 * 64 sets): mixed so that every bit counts */
	h ^= h >> 16, h *= 0x7feb352du;
	h ^= h >> 15, h *= 0x846ca68bu;
	return h ^ (h >> 16);
}

/* The way of key's set that holds key (*hit when it is valid at `now`), else the one to
 * replace: an empty one, else the least recently used. `base` is the first way's entry of a
 * table of entries `stride` bytes apart. */
static entry *way_of(void *base, size_t stride, size_t sets, size_t ways, const char *key,
                     uint32_t h, const stamp *now, int *hit)
{
	char *set = (char *)base + (size_t)(h % sets) * ways * stride;
	entry *victim = NULL;
	*hit = 0;
	for (size_t i = 0; i < ways; i++) {
		entry *e = (entry *)(set + i * stride);
		if (e->key && e->hash == h && !strcmp(e->key, key)) {
			*hit = stamp_eq(&e->at, now);
			return e;
		}
		if (!victim || (victim->key && (!e->key || e->used < victim->used)))
			victim = e;
	}
	return victim;
}

/* A key: the caller's visibility (level, scope), the page, then each part preceded by its
 * length (so no two different inputs make one key). NULL if out of memory. */
static char *make_key(const hl_search_opts *o, const char *a, const char *b, size_t off, size_t lim)
{
	size_t cap = 96 + strlen(a) + (b ? strlen(b) : 0), n;
	char *k;
	for (size_t i = 0; i < o->n_scope_fonds; i++)
		cap += strlen(o->scope_fonds[i]) + 24;
	if (!(k = malloc(cap)))
		return NULL;
	n = (size_t)snprintf(k, cap, "%d/%d/%d/%zu/%zu/%zu:", (int)o->max_access, o->scoped,
	                     o->scope_all, o->n_scope_fonds, off, lim);
	for (size_t i = 0; i < o->n_scope_fonds; i++)
		n += (size_t)snprintf(k + n, cap - n, "%zu:%s", strlen(o->scope_fonds[i]),
		                      o->scope_fonds[i]);
	n += (size_t)snprintf(k + n, cap - n, "%zu:%s", strlen(a), a);
	if (b)
		snprintf(k + n, cap - n, "%zu:%s", strlen(b), b);
	return k;
}

/* Every fonds' custody today, from this thread's copy while the store is unchanged; NULL with
 * the error cleared if the store cannot tell (the unit facet is then empty). Owned by the
 * cache when `c` is given, else by the caller (*own). */
static const hl_custodies *custody_list(search_cache *c, const stamp *now, hl_req *r,
                                        hl_custodies **own)
{
	hl_custodies *l = NULL;
	*own = NULL;
	if (c && c->custody && now && stamp_eq(&c->custody_at, now))
		return c->custody;
	if (hl_custody_list(&l, hl_req_store(r), NULL) < 0) {
		hl_error_clear();
		return NULL;
	}
	if (c && now) {
		hl_custodies_free(c->custody);
		c->custody = l, c->custody_at = *now;
	} else {
		*own = l;
	}
	return l;
}

/* Appends ` field:"value"` for each comma-separated value of parameter `field`. */
static int add_filter(char *q, size_t cap, size_t *n, hl_req *r, const char *field)
{
	const char *v = hl_req_query(r, field);
	if (!v || !*v)
		return 0;
	while (*v) {
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
				return hl_error_set(HL_EINVALID,
				                    "the query is too long (at most %d bytes)",
				                    MAX_QUERY);
			*n +=
			    (size_t)snprintf(q + *n, cap - *n, " %s:\"%.*s\"", field, (int)len, v);
		}
		if (!e)
			break;
		v = e + 1;
	}
	return 0;
}

static json_t *facet_json(const hl_facet *f)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < f->n; i++)
		json_array_append_new(a, json_pack("{s:o,s:I}", "value", hl_json_str(f->v[i].value),
		                                   "count", (json_int_t)f->v[i].count));
	return a;
}

/* The unit facet: each fonds' count goes to the unit that holds the fonds today. */
static json_t *unit_facet(hl_req *r, const hl_facet *fonds, search_cache *cache, const stamp *now)
{
	hl_custodies *own = NULL;
	const hl_custodies *l;
	json_t *a = json_array();
	struct {
		const char *code, *name;
		uint64_t count;
	} *u = NULL;
	size_t nu = 0;

	if (!a || !fonds->n)
		return a;
	if (!(l = custody_list(cache, now, r, &own)))
		return a;
	if (!(u = calloc(fonds->n, sizeof(*u))))
		goto done;
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
		for (k = 0; k < nu; k++)
			if (!strcmp(u[k].code, c->custodian_code))
				break;
		if (k == nu) {
			u[nu].code = c->custodian_code;
			u[nu].name = c->custodian_name;
			nu++;
		}
		u[k].count += fonds->v[i].count;
	}
	/* most documents first */
	for (size_t i = 1; i < nu; i++)
		for (size_t j = i; j > 0 && u[j].count > u[j - 1].count; j--) {
			__typeof__(*u) t = u[j];
			u[j] = u[j - 1];
			u[j - 1] = t;
		}
	for (size_t i = 0; i < nu; i++)
		json_array_append_new(a, json_pack("{s:s,s:o,s:I}", "value", u[i].code, "name",
		                                   hl_json_str(u[i].name), "count",
		                                   (json_int_t)u[i].count));
done:
	free(u);
	hl_custodies_free(own);
	return a;
}

/* The total shown. Xapian's estimate is statistical: over a filter on few documents it is
 * worked out from term frequencies that count every document, hidden ones too (type=X&limit=1
 * said 10 to a guest who sees 3), so a count would leak. The facet scan counts the visible
 * matches one by one: while that count is whole (under HL_FACET_SCAN matches) it is the total;
 * else the estimate, never less than what this page shows. */
static uint64_t visible_total(int exact, uint64_t count, uint64_t estimate, size_t off, size_t n)
{
	uint64_t seen = off + n;
	if (exact)
		return count > seen ? count : seen;
	return estimate > seen ? estimate : seen;
}

static int search(hl_req *r)
{
	const char *q = hl_req_query(r, "q");
	char query[MAX_QUERY + 512];
	size_t n = 0, off, lim;
	hl_search_opts o = {0};
	hl_hits *h = NULL;
	json_t *items, *j, *facets = NULL;
	search_cache *cache = NULL;
	answer_cached *ac = NULL;
	facets_cached *fc = NULL;
	stamp now;
	char *akey = NULL, *fkey = NULL, *body;
	size_t blen;
	uint64_t f_count, f_est;
	int rc, f_exact, fc_fresh = 0;

	if (!q)
		q = "";
	if (strlen(q) > MAX_QUERY)
		return hl_error_set(HL_EINVALID, "q is too long (at most %d bytes)", MAX_QUERY);
	if ((rc = hl_req_paging(&off, &lim, r, 0)) < 0)
		return rc;
	n = (size_t)snprintf(query, sizeof(query), "%s", q);
	if ((rc = add_filter(query, sizeof(query), &n, r, "fonds")) < 0 ||
	    (rc = add_filter(query, sizeof(query), &n, r, "type")) < 0 ||
	    (rc = add_filter(query, sizeof(query), &n, r, "year")) < 0 ||
	    (rc = add_filter(query, sizeof(query), &n, r, "issuer")) < 0)
		return rc;
	{
		/* unit= takes unit codes only: the search expands them to the fonds held */
		const char *u = hl_req_query(r, "unit");
		if (u && *u) {
			for (const char *p = u; *p; p++)
				if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
				      (*p >= 'a' && *p <= 'z') || *p == ',' || *p == '-' ||
				      *p == '_'))
					return hl_error_set(HL_EINVALID,
					                    "unit: unit codes are expected");
			/* unit:CODE, unquoted: the codes were checked above */
			for (const char *p = u; *p;) {
				size_t len = strcspn(p, ",");
				if (len && n + len + 7 < sizeof(query))
					n += (size_t)snprintf(query + n, sizeof(query) - n,
					                      " unit:%.*s", (int)len, p);
				p += len;
				if (*p == ',')
					p++;
			}
		}
	}
	if (!query[strspn(query, " ")])
		return hl_error_set(HL_EINVALID, "type something to search, or choose a filter");
	if ((rc = hl_req_search_scope(&o, r)) < 0)
		return rc;
	o.query = query;
	o.offset = off;
	o.limit = lim;
	o.html = 1;
	o.facets = 1;

	/* the stamp is read before searching: a change made meanwhile moves it past the entry */
	if (stamp_now(&now, r) == 0 && (cache = cache_get()) && !g_answers_off) {
		akey = make_key(&o, q, query, off, lim);
		fkey = make_key(&o, query, NULL, 0, 0);
	}
	if (akey) {
		int hit;
		uint32_t hh = key_hash(akey);
		cache->tick++;
		ac = (answer_cached *)way_of(cache->answers, sizeof(*ac), ANSWER_SETS, ANSWER_WAYS,
		                             akey, hh, &now, &hit);
		if (hit && ac->body) {
			ac->e.used = cache->tick;
			rc = hl_resp_bytes(r, 200, "application/json; charset=utf-8", ac->body,
			                   ac->len, 0);
			goto done;
		}
	}
	if (fkey) {
		int hit;
		fc = (facets_cached *)way_of(cache->facets, sizeof(*fc), FACET_SETS, FACET_WAYS,
		                             fkey, key_hash(fkey), &now, &hit);
		if (hit && fc->facets) {
			fc->e.used = cache->tick;
			o.facets = 0; /* another page of a query whose facets are known */
		} else {
			fc_fresh = 1;
		}
	}
	if ((rc = hl_req_search(&h, r, &o)) < 0)
		goto done;
	if (o.facets) {
		facets = json_pack("{s:o,s:o,s:o,s:o}", "fonds", facet_json(&h->fonds), "type",
		                   facet_json(&h->type), "year", facet_json(&h->year), "unit",
		                   unit_facet(r, &h->fonds, cache, cache ? &now : NULL));
		f_count = h->facet_count, f_est = h->estimate, f_exact = h->facets_exact;
		if (facets && fc && fc_fresh) {
			char *k = strdup(fkey);
			if (k) {
				free(fc->e.key);
				json_decref(fc->facets);
				fc->e.key = k, fc->e.hash = key_hash(k), fc->e.at = now;
				fc->e.used = cache->tick;
				fc->facets = json_incref(facets);
				fc->count = f_count, fc->exact = f_exact;
				fc->estimate = h->facet_estimate;
			}
		}
	} else {
		facets = json_incref(fc->facets);
		f_count = fc->count, f_exact = fc->exact;
		f_est = h->estimate > fc->estimate ? h->estimate : fc->estimate;
	}
	items = json_array();
	for (size_t i = 0; items && i < h->n; i++) {
		const hl_hit *t = &h->hits[i];
		json_t *it = json_object();
		hl_json_set_str(it, "id", t->doc_id);
		hl_json_set_str(it, "subject", t->subject);
		hl_json_set_str(it, "fonds_code", t->fonds_code);
		hl_json_set_str(it, "dossier_code", t->dossier_code);
		hl_json_set_str(it, "issued_date", t->issued_date);
		hl_json_set_str(it, "doc_type", t->doc_type);
		hl_json_set_str(it, "issuer", t->issuer);
		hl_json_set_str(it, "access", hl_access_name(t->access));
		json_object_set_new(it, "score", json_real(t->score));
		hl_json_set_str(it, "snippet", t->snippet);
		json_array_append_new(items, it);
	}
	j = json_pack("{s:s,s:I,s:I,s:I,s:b,s:o,s:o,s:b}", "query", q, "offset", (json_int_t)off,
	              "limit", (json_int_t)lim, "total",
	              (json_int_t)visible_total(f_exact, f_count, f_est, off, h->n), "total_exact",
	              f_exact, "items", items, "facets", facets, "facets_exact", f_exact);
	facets = NULL; /* j holds it */
	body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!body) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	blen = strlen(body);
	if (ac && blen <= ANSWER_MAX) {
		char *k;
		if (cache->bytes - (ac->body ? ac->len : 0) + blen > ANSWER_BUDGET) {
			answers_drop(cache);
			ac = (answer_cached *)way_of(cache->answers, sizeof(*ac), ANSWER_SETS,
			                             ANSWER_WAYS, akey, key_hash(akey), &now,
			                             &(int){0});
		}
		if ((k = strdup(akey))) {
			cache->bytes -= ac->body ? ac->len : 0;
			cache->bytes += blen;
			free(ac->e.key), free(ac->body);
			ac->e.key = k, ac->e.hash = key_hash(k), ac->e.at = now;
			ac->e.used = cache->tick;
			ac->body = body, ac->len = blen;
			rc =
			    hl_resp_bytes(r, 200, "application/json; charset=utf-8", body, blen, 0);
			goto done;
		}
	}
	rc = hl_resp_bytes(r, 200, "application/json; charset=utf-8", body, blen, 1);
done:
	json_decref(facets);
	hl_hits_free(h);
	free(akey);
	free(fkey);
	return rc;
}

const hl_route hl_routes_search[] = {
    {HL_GET, "/api/v1/search", search, 0, 0},
    {0},
};
