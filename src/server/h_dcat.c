/* DCAT-AP 3 metadata for harvesters (docs/api.md "Publishing"): GET /dcat/catalog.jsonld, the
 * catalogue of every public dataset, and GET /dcat/datasets/{id}.jsonld, one dataset; no login
 * (only public datasets, whoever asks: another is 404 as a missing one). Each calls one verb of
 * catalog/ and answers application/ld+json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halong/catalog_json.h"
#include "halong/exchange.h"
#include "server_int.h"

/* The address every IRI starts from: `halong serve --public-url`, else the node's URL (halong
 * node init --url), else http:// and the request's Host (only letters, digits, . - : [ ]). */
static int base_of(char *buf, size_t cap, char *unit, size_t ucap, request *r)
{
	const hl_server_opts *o = server_options();
	hl_node *n = NULL;
	const char *host;
	unit[0] = 0;
	if (hl_node_open(&n, req_store(r), hl_archive_dir(r->archive)) == 0) {
		snprintf(unit, ucap, "%s", hl_node_unit(n));
		if (!(o && o->public_url) && hl_node_url(n) && *hl_node_url(n))
			snprintf(buf, cap, "%s", hl_node_url(n));
		hl_node_free(n);
		if (!(o && o->public_url) && buf[0])
			goto trim;
	}
	if (o && o->public_url) {
		snprintf(buf, cap, "%s", o->public_url);
		goto trim;
	}
	host = req_header(r, "Host");
	if (!host || !*host || strlen(host) > 255 ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") !=
	        strlen(host))
		return hl_error_set(HL_EINVALID, "Host: not a host name");
	snprintf(buf, cap, "http://%s", host);
trim:
	for (size_t len = strlen(buf); len > 8 && buf[len - 1] == '/'; len--)
		buf[len - 1] = 0;
	return 0;
}

static int answer(request *r, json_t *doc)
{
	char *t = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!t)
		return hl_error_set(HL_ENOMEM, "out of memory");
	return resp_bytes(r, 200, "application/ld+json", t, strlen(t), 1);
}

/* ---- GET /dcat/catalog.jsonld ---- */

static int dcat_catalog(request *r)
{
	char base[600] = "", unit[64];
	hl_dcat_opts o = {.base = base};
	json_t *doc = NULL;
	int rc;
	if ((rc = base_of(base, sizeof(base), unit, sizeof(unit), r)) < 0)
		return rc;
	o.publisher = unit[0] ? unit : NULL;
	if ((rc = hl_dcat_catalog(&doc, req_store(r), &o)) < 0)
		return rc;
	return answer(r, doc);
}

/* ---- GET /dcat/datasets/{id}.jsonld (or without .jsonld) ---- */

static int dcat_dataset(request *r)
{
	const char *seg = req_param(r, "file");
	char base[600] = "", unit[64], id[80];
	size_t n = seg ? strlen(seg) : 0;
	hl_dcat_opts o = {.base = base};
	json_t *doc = NULL;
	int rc;
	if (n > 7 && !strcmp(seg + n - 7, ".jsonld"))
		n -= 7;
	if (n == 0 || n >= sizeof(id))
		return hl_error_set(HL_ENOTFOUND, "no dataset");
	snprintf(id, sizeof(id), "%.*s", (int)n, seg);
	if ((rc = base_of(base, sizeof(base), unit, sizeof(unit), r)) < 0)
		return rc;
	if ((rc = hl_dcat_dataset(&doc, req_store(r), &o, id)) < 0)
		return rc;
	return answer(r, doc);
}

const route routes_dcat[] = {
    {M_GET, "/dcat/catalog.jsonld", dcat_catalog, 0, 0},
    {M_GET, "/dcat/datasets/{file}", dcat_dataset, 0, 0},
    {0},
};
