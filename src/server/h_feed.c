/* The reference-data feed over HTTP: GET /api/v1/exchange/feed/{name}?after=N&limit=M, the
 * hub's signed entries after N (public reference data; docs/api.md "Reference data feed"). */
#include <stdio.h>
#include <stdlib.h>

#include "halong/feed.h"
#include "server_int.h"

static int feed_get(request *r)
{
	const char *name = req_param(r, "name");
	uint64_t after = 0, limit = 20;
	hl_node *n = NULL;
	char *out = NULL;
	size_t len = 0;
	int rc;
	if (!hl_feed_known(name))
		return hl_error_set(HL_ENOTFOUND, "no feed named \"%.40s\" (known: units)", name);
	if ((rc = req_uint(&after, r, "after", 0, 0, (uint64_t)1 << 53)) < 0 ||
	    (rc = req_uint(&limit, r, "limit", 20, 1, HL_FEED_PAGE_MAX)) < 0)
		return rc;
	/* The head is signed with this node's key (the hub's); a node without an identity serves
	 * a page without a head, which no commune takes as the hub's count. */
	if ((rc = hl_node_open(&n, req_store(r), hl_archive_dir(r->archive))) < 0 &&
	    rc != HL_ENOTFOUND)
		return rc;
	rc = hl_feed_page(&out, &len, req_store(r), n, name, (int64_t)after, (size_t)limit);
	hl_node_free(n);
	if (rc < 0)
		return rc;
	return resp_bytes(r, 200, "application/json; charset=utf-8", out, len, 1);
}

const route routes_feed[] = {
    {M_GET, "/api/v1/exchange/feed/{name}", feed_get, 0, 0},
    {0},
};
