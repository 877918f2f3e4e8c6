/* Search with facets: the caller's query plus filters, seen through the caller's visibility;
 * facet counts come from the same scoped matches, so nothing hidden is counted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halong/units.h"
#include "server_int.h"

#define MAX_QUERY 1000 /* bytes of q, and of the query with its filters */

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
static json_t *unit_facet(hl_req *r, const hl_facet *fonds)
{
	hl_custodies *l = NULL;
	json_t *a = json_array();
	struct {
		const char *code, *name;
		uint64_t count;
	} *u = NULL;
	size_t nu = 0;

	if (!a || !fonds->n)
		return a;
	if (hl_custody_list(&l, hl_req_store(r), NULL) < 0) {
		hl_error_clear();
		return a;
	}
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
	hl_custodies_free(l);
	return a;
}

/* The total shown. Xapian's estimate is statistical: over a filter on few documents it is
 * worked out from term frequencies that count every document, hidden ones too (type=X&limit=1
 * said 10 to a guest who sees 3), so a count would leak. The fonds facet counts the visible
 * matches one by one (every document has one fonds): while that count is whole (under
 * HL_FACET_SCAN matches, every fonds listed) it is the total; else the estimate, never less
 * than what this page shows. */
#define FACET_VALUES_SHOWN 50 /* the search module lists at most this many values a facet */
static uint64_t visible_total(const hl_hits *h, size_t off)
{
	uint64_t sum = 0, seen = off + h->n;
	for (size_t i = 0; i < h->fonds.n; i++)
		sum += h->fonds.v[i].count;
	if (sum < HL_FACET_SCAN && h->fonds.n < FACET_VALUES_SHOWN)
		return sum > seen ? sum : seen;
	return h->estimate > seen ? h->estimate : seen;
}

static int search(hl_req *r)
{
	const char *q = hl_req_query(r, "q");
	char query[MAX_QUERY + 512];
	size_t n = 0, off, lim;
	hl_search_opts o = {0};
	hl_hits *h = NULL;
	json_t *items, *j;
	int rc;

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
	if ((rc = hl_req_search(&h, r, &o)) < 0)
		return rc;
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
	j = json_pack("{s:s,s:I,s:I,s:I,s:o,s:{s:o,s:o,s:o,s:o}}", "query", q, "offset",
	              (json_int_t)off, "limit", (json_int_t)lim, "total",
	              (json_int_t)visible_total(h, off), "items", items, "facets", "fonds",
	              facet_json(&h->fonds), "type", facet_json(&h->type), "year",
	              facet_json(&h->year), "unit", unit_facet(r, &h->fonds));
	hl_hits_free(h);
	return hl_resp_json(r, 200, j);
}

const hl_route hl_routes_search[] = {
    {HL_GET, "/api/v1/search", search, 0, 0},
    {0},
};
