/* The request side of a handler: parameters, the JSON body, and who the caller is and may see. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "halong/units.h"
#include "server_int.h"

hl_store *hl_req_store(hl_req *r)
{
	return hl_archive_store(r->archive);
}

const char *hl_req_query(hl_req *r, const char *name)
{
	const char *v = NULL;
	size_t len = 0;
	if (MHD_lookup_connection_value_n(r->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name), &v,
	                                  &len) != MHD_YES)
		return NULL;
	return v ? v : "";
}

const char *hl_req_header(hl_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

int hl_req_uint(uint64_t *out, hl_req *r, const char *name, uint64_t def, uint64_t lo, uint64_t hi)
{
	const char *v = hl_req_query(r, name);
	unsigned long long x;
	char *end;
	if (!v) {
		*out = def;
		return 0;
	}
	errno = 0;
	x = strtoull(v, &end, 10);
	if (!*v || *v < '0' || *v > '9' || *end || errno || x < lo || x > hi)
		return hl_error_set(HL_EINVALID, "%s: a whole number from %llu to %llu is expected",
		                    name, (unsigned long long)lo, (unsigned long long)hi);
	*out = x;
	return 0;
}

int hl_req_paging(size_t *offset, size_t *limit, hl_req *r, size_t max)
{
	uint64_t o, l;
	int rc;
	if (!max)
		max = HL_SRV_PAGE_MAX;
	if ((rc = hl_req_uint(&o, r, "offset", 0, 0, 1000000)) < 0 ||
	    (rc = hl_req_uint(&l, r, "limit", HL_SRV_PAGE_DEFAULT < max ? HL_SRV_PAGE_DEFAULT : max,
	                      1, max)) < 0)
		return rc;
	*offset = (size_t)o, *limit = (size_t)l;
	return 0;
}

int hl_req_date(char out[11], int *given, hl_req *r, const char *name)
{
	const char *v = hl_req_query(r, name);
	*given = 0;
	out[0] = 0;
	if (!v || !*v)
		return 0;
	if (hl_units_date_parse(out, v) < 0) {
		out[0] = 0;
		return hl_error_set(HL_EINVALID, "%s: a date yyyy-mm-dd or dd/mm/yyyy is expected",
		                    name);
	}
	*given = 1;
	return 0;
}

int hl_req_json(json_t **out, hl_req *r)
{
	const char *ct = hl_req_header(r, "Content-Type");
	json_error_t err;
	json_t *j;
	if (!ct || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
		hl_resp_error(r, 415, "the body must be application/json");
		return HL_ANSWERED;
	}
	if (!r->body || !r->body_len)
		return hl_error_set(HL_EINVALID, "a JSON object is expected in the body");
	j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &err);
	if (!j)
		return hl_error_set(HL_EINVALID, "malformed JSON at line %d, column %d: %s",
		                    err.line, err.column, err.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return hl_error_set(HL_EINVALID, "a JSON object is expected in the body");
	}
	*out = j;
	return 0;
}

int hl_json_get_str(const char **out, json_t *obj, const char *key, int required)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return hl_error_set(HL_EINVALID, "\"%s\" is required", key);
		return 0;
	}
	if (!json_is_string(v))
		return hl_error_set(HL_EINVALID, "\"%s\" must be a string", key);
	*out = json_string_value(v);
	return 0;
}

int hl_req_require(hl_req *r, unsigned roles)
{
	char names[128] = "";
	size_t n = 0;
	if (roles & HL_ROLE_BIT(r->who.role))
		return 0;
	for (int i = HL_ROLE_VIEWER; i <= HL_ROLE_ADMIN; i++)
		if (roles & HL_ROLE_BIT(i))
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", n ? ", " : "",
			                      hl_role_name((hl_role)i));
	if (r->who.role == HL_ROLE_ANONYMOUS)
		return hl_error_set(HL_EDENIED, "log in first (this needs one of: %s)", names);
	return hl_error_set(HL_EDENIED, "your role (%s) may not do this (this needs one of: %s)",
	                    hl_role_name(r->who.role), names);
}

hl_access hl_req_ceiling(hl_req *r)
{
	hl_access a = hl_role_ceiling(r->who.role);
	return a >= HL_ACCESS_SECRET ? HL_ACCESS_RESTRICTED : a;
}

int hl_req_scope(char *const **codes, size_t *n, int *all, hl_req *r)
{
	if (!r->scope.loaded) {
		char **c = NULL;
		size_t k = 0;
		int a = 0;
		if (r->who.role != HL_ROLE_ANONYMOUS &&
		    hl_auth_scope(&c, &k, &a, hl_req_store(r), &r->who) < 0)
			return -1;
		r->scope.codes = c, r->scope.n = k, r->scope.all = a;
		r->scope.loaded = 1;
	}
	*codes = r->scope.codes, *n = r->scope.n, *all = r->scope.all;
	return 0;
}

int hl_req_in_scope(hl_req *r, const char *code)
{
	char *const *codes;
	size_t n;
	int all;
	if (!code || hl_req_scope(&codes, &n, &all, r) < 0)
		return 0;
	if (all)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(codes[i], code))
			return 1;
	return 0;
}

/* TRANSITION: h_send.c's own rule, until the exchange's send verb decides. */
int hl_req_may_see(hl_req *r, hl_access level, const char *fonds_code)
{
	char *const *codes;
	size_t n;
	int all;
	if (level >= HL_ACCESS_SECRET)
		return 0;
	if (level == HL_ACCESS_PUBLIC)
		return 1;
	if (level > hl_req_ceiling(r) || hl_req_scope(&codes, &n, &all, r) < 0)
		return 0;
	return hl_auth_may_see(&r->who, level, fonds_code, codes, n, all) > 0;
}

const char *hl_req_actor(hl_req *r)
{
	static _Thread_local char buf[96];
	if (r->who.user_id && r->who.username[0])
		return r->who.username;
	snprintf(buf, sizeof(buf), "anonymous@%s", r->client);
	return buf;
}
