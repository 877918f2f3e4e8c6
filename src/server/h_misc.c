/* Health, counts of what the caller sees, and the OpenAPI description. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_int.h"
#include "halong/config.h"

static int health(request *r)
{
	return resp_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

/* Counts of what the caller sees; the index and OCR figures, which count every record, only
 * for those the library allows (the province's archivists, admins and inspectors). */
static int stats(request *r)
{
	hl_archive_seen c;
	json_t *j;
	int rc;

	if ((rc = hl_archive_seen_stats(&c, r->archive, &r->who)) < 0)
		return rc;
	j = json_pack("{s:I,s:I,s:I}", "documents", (json_int_t)c.documents, "fonds",
	              (json_int_t)c.fonds, "dossiers", (json_int_t)c.dossiers);
	if (j && c.all) {
		json_object_set_new(j, "index",
		                    json_pack("{s:I,s:I}", "documents", (json_int_t)c.index_docs,
		                              "pending", (json_int_t)c.index_pending));
		json_object_set_new(j, "pages",
		                    json_pack("{s:I,s:I,s:I}", "done", (json_int_t)c.pages_done,
		                              "pending", (json_int_t)c.pages_pending, "failed",
		                              (json_int_t)c.pages_failed));
	}
	return resp_json(r, 200, j);
}

static int openapi(request *r)
{
	const hl_server_opts *o = server_options();
	const char *env = getenv("HALONG_DATA");
	char path[4096];
	if (o->openapi)
		snprintf(path, sizeof(path), "%s", o->openapi);
	else if ((env && *env) || !hl_config_uninstalled())
		/* installed: meson install puts it beside the shipped data */
		snprintf(path, sizeof(path), "%s/openapi.json", hl_config_data_dir());
	else
		snprintf(path, sizeof(path), "%s/openapi.json", HL_SOURCE_DOCSDIR);
	if (resp_file(r, path, "application/json; charset=utf-8", NULL, NULL) < 0)
		return resp_error(r, 404, "openapi.json is not installed");
	return 0;
}

const route routes_misc[] = {
    {M_GET, "/api/v1/health", health, 0, 0},
    {M_GET, "/api/v1/stats", stats, 0, 0},
    {M_GET, "/api/v1/openapi.json", openapi, 0, 0},
    {0},
};
