/* The reference-data feed over HTTP: GET /api/v1/exchange/feed/{name}?after=N&limit=M, the
 * hub's signed entries after N (public reference data; docs/api.md "Reference data feed"). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "halong/feed.h"
#include "server_int.h"

static int feed_get(hl_req *r)
{
	const char *name = hl_req_param(r, "name");
	uint64_t after = 0, limit = 20;
	hl_node *n = NULL;
	char *out = NULL;
	size_t len = 0;
	int rc;
	if (!hl_feed_known(name))
		return hl_error_set(HL_ENOTFOUND, "no feed named \"%.40s\" (known: units)", name);
	if ((rc = hl_req_uint(&after, r, "after", 0, 0, (uint64_t)1 << 53)) < 0 ||
	    (rc = hl_req_uint(&limit, r, "limit", 20, 1, HL_FEED_PAGE_MAX)) < 0)
		return rc;
	/* The head is signed with this node's key (the hub's); a node without an identity serves
	 * a page without a head, which no commune takes as the hub's count. */
	if ((rc = hl_node_open(&n, hl_req_store(r), hl_server_options()->home)) < 0 &&
	    rc != HL_ENOTFOUND)
		return rc;
	rc = hl_feed_page(&out, &len, hl_req_store(r), n, name, (int64_t)after, (size_t)limit);
	hl_node_free(n);
	if (rc < 0)
		return rc;
	return hl_resp_bytes(r, 200, "application/json; charset=utf-8", out, len, 1);
}

static json_t *iso(int64_t ms)
{
	char b[48];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (ms <= 0)
		return json_null();
	gmtime_r(&t, &tm);
	snprintf(b, sizeof(b), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return json_string(b);
}

static int status_row(const hl_feed_status_row *r, void *ud)
{
	json_t *o = json_object();
	json_object_set_new(o, "feed", json_string(r->feed));
	json_object_set_new(o, "role", json_string(r->publisher ? "hub" : "commune"));
	json_object_set_new(o, "seq", json_integer(r->seq));
	json_object_set_new(o, "hub_seq", r->hub_seq >= 0 ? json_integer(r->hub_seq) : json_null());
	json_object_set_new(o, "sha256", hl_json_str(r->sha256));
	json_object_set_new(o, "last_pull", iso(r->last_pull_ms));
	json_object_set_new(o, "last_applied", iso(r->last_applied_ms));
	json_object_set_new(o, "last_error", hl_json_str(r->last_error));
	json_object_set_new(o, "last_error_at", iso(r->last_error_ms));
	json_array_append_new(ud, o);
	return 0;
}

json_t *hl_feed_status_json(hl_store *st)
{
	json_t *a = json_array();
	if (a && hl_feed_status(st, status_row, a) < 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

const hl_route hl_routes_feed[] = {
    {HL_GET, "/api/v1/exchange/feed/{name}", feed_get, 0, 0},
    {0},
};
