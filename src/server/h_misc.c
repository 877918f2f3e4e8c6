/* Health, counts of what the caller sees, and the OpenAPI description. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_int.h"

static int health(hl_req *r)
{
	return hl_resp_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

typedef struct {
	int64_t fonds, dossiers, documents;
} count_ctx;

static int count_fonds(const hl_store_fonds_count *f, void *ud)
{
	count_ctx *c = ud;
	c->fonds++;
	c->dossiers += f->dossiers;
	c->documents += f->documents;
	return 0;
}

/* Counts of what the caller sees, decided in SQL by the store (hl_store_fonds_counts). The
 * index and OCR figures count every document (secret ones and other units' included): only
 * the province's archivists, admins and inspectors get them, never a commune's staff. */
static int stats(hl_req *r)
{
	count_ctx c = {0};
	char *const *codes;
	size_t n;
	int all, rc;
	json_t *j;

	if ((rc = hl_req_scope(&codes, &n, &all, r)) < 0 ||
	    (rc = hl_store_fonds_counts(hl_req_store(r), (int)hl_req_ceiling(r), codes, n, all,
	                                count_fonds, &c)) < 0)
		return rc;
	j = json_pack("{s:I,s:I,s:I}", "documents", (json_int_t)c.documents, "fonds",
	              (json_int_t)c.fonds, "dossiers", (json_int_t)c.dossiers);
	if (j && r->who.province && hl_req_require(r, HL_ROLES_READ_CUSTODY) == 0) {
		hl_archive_stats as;
		hl_store_pages_stats ps;
		if (hl_archive_stats_get(&as, r->archive) == 0)
			json_object_set_new(j, "index",
			                    json_pack("{s:I,s:I}", "documents",
			                              (json_int_t)as.index_docs, "pending",
			                              (json_int_t)as.index_pending));
		if (hl_store_pages_count(&ps, hl_req_store(r)) == 0)
			json_object_set_new(j, "pages",
			                    json_pack("{s:I,s:I,s:I}", "done", (json_int_t)ps.done,
			                              "pending", (json_int_t)ps.pending, "failed",
			                              (json_int_t)ps.failed));
	}
	hl_error_clear();
	return hl_resp_json(r, 200, j);
}

static int openapi(hl_req *r)
{
	const hl_server_opts *o = hl_server_options();
	const char *env = getenv("HALONG_DATA");
	char path[4096];
	if (o->openapi)
		snprintf(path, sizeof(path), "%s", o->openapi);
	else if (env && *env)
		snprintf(path, sizeof(path), "%s/openapi.json", env);
	else
		snprintf(path, sizeof(path), "%s/openapi.json", HL_SOURCE_DOCSDIR);
	if (hl_resp_file(r, path, "application/json; charset=utf-8", NULL, NULL) < 0)
		return hl_resp_error(r, 404, "openapi.json is not installed");
	return 0;
}

const hl_route hl_routes_misc[] = {
    {HL_GET, "/api/v1/health", health, 0, 0},
    {HL_GET, "/api/v1/stats", stats, 0, 0},
    {HL_GET, "/api/v1/openapi.json", openapi, 0, 0},
    {0},
};
