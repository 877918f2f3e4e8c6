/* The route table: every handler file's routes in one list, matched segment by segment. */
#include <string.h>

#include "server_int.h"

/* Every handler file's table; a new file adds its table here (and to meson.build). */
static const hl_route *const tables[] = {
    hl_routes_session,
    hl_routes_search,
    hl_routes_documents,
    hl_routes_misc,
    hl_routes_units,
    hl_routes_fonds,
    hl_routes_ocr,
    hl_routes_jobs,
    hl_routes_audit,
    hl_routes_exchange,
    hl_routes_feed,
    hl_routes_send,
    NULL,
};

/* Does `pattern` match r's segments? Captures "{name}" segments into r's parameters. */
static int match(hl_req *r, const char *pattern)
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
			if (np >= HL_SRV_MAX_SEGS)
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

int hl_router_match(hl_req *r, unsigned *allow)
{
	unsigned m = r->method == HL_HEAD ? HL_GET | HL_HEAD : r->method;
	*allow = 0;
	for (const hl_route *const *t = tables; *t; t++) {
		for (const hl_route *rt = *t; rt->pattern; rt++) {
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

const char *hl_req_param(hl_req *r, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < r->nparams; i++) {
		const char *pn = r->param_name[i];
		if (!strncmp(pn, name, n) && pn[n] == '}')
			return r->param_value[i];
	}
	return NULL;
}
