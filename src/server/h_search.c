/* Search with facets: the caller's query and filters, answered by the library as the caller
 * sees it (hl_archive_search: visibility, the unit facet, the total that leaks nothing, the
 * audit of restricted snippets).
 *
 * Each worker thread keeps the answers it built, keyed by the query, its filters, the page and
 * the caller's visibility (ceiling, scope), and valid while the store's change stamp and the
 * day are those they were built at: a re-ingest, an index update (it trims the store's queue)
 * or a change of access level moves the stamp, so it is seen at once. Only an answer the library
 * calls reusable (hl_hits.reusable: no restricted record shown, whose snippet is a read it
 * audits each time) is kept. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halong/archive_json.h"
#include "halong/units.h"
#include "halong/util.h"
#include "server_int.h"

/* Answers kept a thread: sets of ways, the least recently used way of a set replaced (a mix of
 * a few hundred queries asked in turn must not evict itself, as a direct-mapped table did). */
#define ANSWER_SETS 64
#define ANSWER_WAYS 8
#define ANSWER_MAX  (256u << 10) /* a larger answer is not kept */
/* Bytes of answers a thread keeps (bodies of 13 kB for 20 hits, ~70 kB for 100): past it the
 * thread's answers are all dropped before the next is kept (stale ones included). */
#define ANSWER_BUDGET (8u << 20)

/* What an answer is valid for: the store's change stamp and the day (custody, so the unit facet
 * and every scope, depends on the date). */
typedef struct {
	hl_archive_stamp st;
	char day[11];
} stamp;

typedef struct {
	char *key; /* NULL: an empty way */
	uint32_t hash;
	stamp at;
	uint64_t used; /* the thread's request count when last used */
	char *body;
	size_t len;
} answer_cached;

typedef struct {
	answer_cached answers[ANSWER_SETS * ANSWER_WAYS];
	uint64_t tick;
	size_t bytes; /* of the answers' bodies */
} search_cache;

static void answers_drop(search_cache *c)
{
	for (size_t i = 0; i < ANSWER_SETS * ANSWER_WAYS; i++) {
		free(c->answers[i].key), free(c->answers[i].body);
		memset(&c->answers[i], 0, sizeof(c->answers[i]));
	}
	c->bytes = 0;
}

static pthread_key_t g_cache_key;
static pthread_once_t g_cache_once = PTHREAD_ONCE_INIT;
/* HL_SEARCH_NO_CACHE=1 in the server's environment: no answer is kept, so that
 * bench/search_http.sh can measure searches never asked before. Not for production. Read once,
 * with the key. */
static int g_answers_off;

static void cache_free(void *p)
{
	answers_drop(p);
	free(p);
}

static void cache_key_make(void)
{
	const char *e = getenv("HL_SEARCH_NO_CACHE");
	g_answers_off = e && *e && strcmp(e, "0") != 0;
	pthread_key_create(&g_cache_key, cache_free);
}

/* This thread's cache (freed with the thread), NULL if out of memory or switched off. */
static search_cache *cache_get(void)
{
	search_cache *c;
	pthread_once(&g_cache_once, cache_key_make);
	if (g_answers_off)
		return NULL;
	if (!(c = pthread_getspecific(g_cache_key)) && (c = calloc(1, sizeof(*c))) &&
	    pthread_setspecific(g_cache_key, c) != 0) {
		free(c);
		c = NULL;
	}
	return c;
}

/* 0 when the store told its stamp; else nothing is kept for this request. */
static int stamp_now(stamp *s, request *r)
{
	memset(s, 0, sizeof(*s));
	if (hl_archive_change_stamp(&s->st, r->archive) < 0) {
		hl_error_clear();
		return -1;
	}
	hl_units_today(s->day);
	return 0;
}

static int stamp_eq(const stamp *a, const stamp *b)
{
	return a->st.data_version == b->st.data_version && a->st.own_changes == b->st.own_changes &&
	       !strcmp(a->day, b->day);
}

/* The way of key's set that holds key (*hit when it is valid at `now`), else the one to
 * replace: an empty one, else the least recently used. */
static answer_cached *way_of(search_cache *c, const char *key, uint32_t h, const stamp *now,
                             int *hit)
{
	answer_cached *set = &c->answers[(size_t)(h % ANSWER_SETS) * ANSWER_WAYS], *victim = NULL;
	*hit = 0;
	for (size_t i = 0; i < ANSWER_WAYS; i++) {
		answer_cached *e = &set[i];
		if (e->key && e->hash == h && !strcmp(e->key, key)) {
			*hit = stamp_eq(&e->at, now);
			return e;
		}
		if (!victim || (victim->key && (!e->key || e->used < victim->used)))
			victim = e;
	}
	return victim;
}

/* The key: the caller's visibility (ceiling, scope), the page, then each parameter preceded by
 * its length (so no two different requests make one key). NULL if out of memory or the scope
 * cannot be read. */
static char *make_key(request *r, const hl_search_opts *o)
{
	const char *parts[] = {o->query, o->fonds, o->type, o->year, o->issuer, o->unit};
	char *const *codes;
	size_t n, nscope, cap = 96;
	int all;
	char *k;
	if (req_scope(&codes, &nscope, &all, r) < 0) {
		hl_error_clear();
		return NULL;
	}
	for (size_t i = 0; i < nscope; i++)
		cap += strlen(codes[i]) + 24;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		cap += (parts[i] ? strlen(parts[i]) : 0) + 24;
	if (!(k = malloc(cap)))
		return NULL;
	n = (size_t)snprintf(k, cap, "%d/%d/%zu/%zu/%zu:", (int)hl_auth_ceiling(&r->who), all,
	                     nscope, o->offset, o->limit);
	for (size_t i = 0; i < nscope; i++)
		n += (size_t)snprintf(k + n, cap - n, "%zu:%s", strlen(codes[i]), codes[i]);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		n += (size_t)snprintf(k + n, cap - n, "%zu:%s", parts[i] ? strlen(parts[i]) : 0,
		                      parts[i] ? parts[i] : "");
	return k;
}

static json_t *facet_json(const hl_facet *f, int named)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < f->n; i++)
		json_array_append_new(
		    a, named ? json_pack("{s:o,s:o,s:I}", "value", js_str(f->v[i].value), "name",
		                         js_str(f->v[i].name), "count", (json_int_t)f->v[i].count)
		             : json_pack("{s:o,s:I}", "value", js_str(f->v[i].value), "count",
		                         (json_int_t)f->v[i].count));
	return a;
}

/* The answer's body (malloc'd). */
static char *answer_body(const char *q, const hl_search_opts *o, const hl_hits *h)
{
	json_t *items = json_array(), *j;
	char *body;
	for (size_t i = 0; items && i < h->n; i++)
		json_array_append_new(items, hl_hit_json(&h->hits[i]));
	j = json_pack("{s:s,s:I,s:I,s:I,s:b,s:o,s:{s:o,s:o,s:o,s:o},s:b}", "query", q, "offset",
	              (json_int_t)o->offset, "limit", (json_int_t)o->limit, "total",
	              (json_int_t)h->total, "total_exact", h->total_exact, "items", items, "facets",
	              "fonds", facet_json(&h->fonds, 0), "type", facet_json(&h->type, 0), "year",
	              facet_json(&h->year, 0), "unit", facet_json(&h->unit, 1), "facets_exact",
	              h->facets_exact);
	if (j) {
		json_object_set_new(j, "searched_as",
		                    h->searched_as ? json_string(h->searched_as) : json_null());
		json_object_set_new(j, "did_you_mean",
		                    h->did_you_mean ? json_string(h->did_you_mean) : json_null());
	}
	body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return body;
}

static int search(request *r)
{
	const char *q = req_query(r, "q");
	hl_search_opts o = {0};
	hl_hits *h = NULL;
	search_cache *cache = NULL;
	answer_cached *ac = NULL;
	stamp now;
	char *key = NULL, *body;
	size_t blen;
	int rc;

	/* q's length is the library's to limit (HL_SEARCH_MAX_QUERY, with the filters), as for
	 * the command line; the request's intake bounds it first (REQUEST_MAX_QUERY) */
	if (!q)
		q = "";
	if ((rc = req_paging(&o.offset, &o.limit, r, 0)) < 0)
		return rc;
	o.query = q;
	o.fonds = req_query(r, "fonds");
	o.type = req_query(r, "type");
	o.year = req_query(r, "year");
	o.issuer = req_query(r, "issuer");
	o.unit = req_query(r, "unit");
	o.html = 1;
	o.facets = 1;

	/* the stamp is read before searching: a change made meanwhile moves it past the entry */
	if (stamp_now(&now, r) == 0 && (cache = cache_get()) && (key = make_key(r, &o))) {
		int hit;
		uint32_t kh = hl_str_hash(key);
		cache->tick++;
		ac = way_of(cache, key, kh, &now, &hit);
		if (hit && ac->body) {
			ac->used = cache->tick;
			rc = resp_bytes(r, 200, "application/json; charset=utf-8", ac->body,
			                ac->len, 0);
			goto done;
		}
	}
	if ((rc = hl_archive_search(&h, r->archive, &r->who, &o)) < 0)
		goto done;
	if (!(body = answer_body(q, &o, h))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	blen = strlen(body);
	if (ac && h->reusable && blen <= ANSWER_MAX) {
		char *k;
		if (cache->bytes - (ac->body ? ac->len : 0) + blen > ANSWER_BUDGET) {
			answers_drop(cache);
			ac = way_of(cache, key, hl_str_hash(key), &now, &(int){0});
		}
		if ((k = strdup(key))) {
			cache->bytes -= ac->body ? ac->len : 0;
			cache->bytes += blen;
			free(ac->key), free(ac->body);
			ac->key = k, ac->hash = hl_str_hash(k), ac->at = now;
			ac->used = cache->tick;
			ac->body = body, ac->len = blen;
			rc = resp_bytes(r, 200, "application/json; charset=utf-8", body, blen, 0);
			goto done;
		}
	}
	rc = resp_bytes(r, 200, "application/json; charset=utf-8", body, blen, 1);
done:
	hl_hits_free(h);
	free(key);
	return rc;
}

const route routes_search[] = {
    {M_GET, "/api/v1/search", search, 0, 0},
    {0},
};
