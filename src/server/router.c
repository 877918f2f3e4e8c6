/* The route table: every handler file's routes in one list, matched segment by segment. */
#include <string.h>

#include "server_int.h"

/* Every handler file's table; a new file adds its table here (and to meson.build). */
static const route *const tables[] = {
    routes_session,
    routes_search,
    routes_documents,
    routes_misc,
    routes_units,
    routes_fonds,
    routes_ocr,
    routes_jobs,
    routes_audit,
    routes_exchange,
    routes_feed,
    routes_send,
    routes_plans,
    routes_plans_out,
    routes_datasets,
    routes_dataset_regroup,
    routes_dataset_share,
    routes_dcat,
    routes_dataset_rows,
    routes_ops,
    NULL,
};

/* Does `pattern` match r's segments? Captures "{name}" segments into r's parameters. */
static int match(request *r, const char *pattern)
{
	const char *p = pattern;
	size_t i = 0, np = 0;

	while (*p == '/')
		p++;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (i >= r->nseg)
			return 0;
		if (len >= 2 && p[0] == '{' && p[len - 1] == '}') {
			if (np >= SRV_MAX_SEGS)
				return 0;
			/* The name points into the pattern: compared with its length below. */
			r->param_name[np] = p + 1;
			r->param_value[np] = r->seg[i];
			np++;
		} else if (strlen(r->seg[i]) != len || memcmp(r->seg[i], p, len) != 0) {
			return 0;
		}
		i++;
		p += len;
		while (*p == '/')
			p++;
	}
	if (i != r->nseg)
		return 0;
	r->nparams = np;
	return 1;
}

int router_match(request *r, unsigned *allow)
{
	unsigned m = r->method == M_HEAD ? M_GET | M_HEAD : r->method;
	*allow = 0;
	for (const route *const *t = tables; *t; t++) {
		for (const route *rt = *t; rt->pattern; rt++) {
			if (!match(r, rt->pattern))
				continue;
			if (rt->methods & m) {
				r->route = rt;
				return 0;
			}
			*allow |= rt->methods;
		}
	}
	r->nparams = 0;
	return *allow ? HL_ECONFLICT : HL_ENOTFOUND;
}

size_t router_count(void)
{
	size_t n = 0;
	for (const route *const *t = tables; *t; t++)
		for (const route *rt = *t; rt->pattern; rt++)
			n++;
	return n;
}

const route *router_at(size_t k)
{
	for (const route *const *t = tables; *t; t++)
		for (const route *rt = *t; rt->pattern; rt++)
			if (k-- == 0)
				return rt;
	return NULL;
}

long router_index(const route *r)
{
	long k = 0;
	for (const route *const *t = tables; *t; t++)
		for (const route *rt = *t; rt->pattern; rt++, k++)
			if (rt == r)
				return k;
	return -1;
}

const char *req_param(request *r, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < r->nparams; i++) {
		const char *pn = r->param_name[i];
		if (!strncmp(pn, name, n) && pn[n] == '}')
			return r->param_value[i];
	}
	return NULL;
}
