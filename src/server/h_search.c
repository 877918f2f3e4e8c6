/* Search with facets: the caller's query and filters, answered by the library as the caller
 * sees it (hl_archive_search: visibility, the unit facet, the total that leaks nothing, the
 * audit of restricted snippets).
 *
 * Each worker thread keeps the answers it built (answers.h), keyed by the query, its filters,
 * the page and the caller's visibility (ceiling, scope), and valid while the store's change
 * stamp and the day are those they were built at: a re-ingest, an index update (it trims the
 * store's queue) or a change of access level moves the stamp, so it is seen at once. Only an answer
 * the library calls reusable (hl_hits.reusable: no restricted record shown, whose snippet is a read
 * it audits each time) is kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "answers.h"
#include "halong/archive_json.h"
#include "halong/util.h"
#include "server_int.h"

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
	answer_ticket t;
	char *body;
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

	/* the stamp is read before searching (answer_lookup): a change made meanwhile moves it
	 * past the entry */
	if (answer_lookup(&t, ANSWERS_SEARCH, r, make_key(r, &o), &rc)) {
		ops_search_observe(0, 1); /* GET /metrics: an answer from the cache */
		goto done;
	}
	{
		/* GET /metrics: the index's time for this search (h_ops.c) */
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = hl_archive_search(&h, r->archive, &r->who, &o);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (rc >= 0)
			ops_search_observe((double)(t1.tv_sec - t0.tv_sec) +
			                       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
			                   0);
	}
	if (rc < 0) {
		answer_ticket_free(&t);
		goto done;
	}
	if (!(body = answer_body(q, &o, h))) {
		answer_ticket_free(&t);
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	rc = answer_give(&t, r, body, strlen(body), h->reusable);
done:
	hl_hits_free(h);
	return rc;
}

const route routes_search[] = {
    {M_GET, "/api/v1/search", search, 0, 0},
    {0},
};
