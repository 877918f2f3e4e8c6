/* The units endpoints of the API: find, show, successors, predecessors and the hierarchy on a
 * date (docs/api.md "Units"), public data answered in the shapes of `halong units … --json`. */
#include <stdlib.h>
#include <string.h>

#include "halong/units.h"
#include "halong/units_json.h"
#include "server_int.h"

static json_t *items(json_t *a)
{
	return json_pack("{s:o}", "items", a);
}

/* GET /api/v1/units?q=NAME&at=&limit= */
static int units_find(request *r)
{
	const char *q = req_query(r, "q");
	char at[11];
	int given, rc;
	uint64_t limit;
	hl_units *l = NULL;
	json_t *a;

	if (!q || !*q)
		return hl_error_set(HL_EINVALID, "q: give a unit name (tones optional)");
	if (strlen(q) > 256)
		return hl_error_set(HL_EINVALID, "q: at most 256 bytes");
	if ((rc = req_date(at, &given, r, "at")) != 0)
		return rc;
	if ((rc = req_uint(&limit, r, "limit", SRV_PAGE_DEFAULT, 1, SRV_PAGE_MAX)) != 0)
		return rc;
	if ((rc = hl_units_find(&l, req_store(r), q, given ? at : NULL, (size_t)limit)) < 0)
		return rc;
	a = json_array();
	for (size_t i = 0; i < l->n && i < limit; i++)
		json_array_append_new(a, hl_unit_json(&l->v[i], 1));
	hl_units_free(l);
	return resp_json(r, 200, items(a));
}

/* GET /api/v1/units/{code}?at= */
static int units_show(request *r)
{
	char at[11];
	int given, rc;
	hl_unit *u = NULL;
	json_t *j;

	if ((rc = req_date(at, &given, r, "at")) != 0)
		return rc;
	if ((rc = hl_units_show(&u, req_store(r), req_param(r, "code"), given ? at : NULL)) < 0)
		return rc;
	j = hl_unit_json(u, 1);
	hl_unit_free(u);
	return resp_json(r, 200, j);
}

static int walk(request *r, int forward)
{
	const char *code = req_param(r, "code");
	hl_successions *l = NULL;
	json_t *a;
	int rc;

	rc = forward ? hl_units_successors(&l, req_store(r), code)
	             : hl_units_predecessors(&l, req_store(r), code);
	if (rc < 0)
		return rc;
	a = hl_successions_json(l);
	hl_successions_free(l);
	return resp_json(r, 200, items(a));
}

/* GET /api/v1/units/{code}/successors */
static int units_successors(request *r)
{
	return walk(r, 1);
}

/* GET /api/v1/units/{code}/predecessors */
static int units_predecessors(request *r)
{
	return walk(r, 0);
}

/* GET /api/v1/units/{code}/tree?at= and GET /api/v1/tree?at= */
static int units_tree(request *r)
{
	const char *code = req_param(r, "code");
	char at[11];
	int given, rc;
	hl_units *l = NULL;
	json_t *a;

	if ((rc = req_date(at, &given, r, "at")) != 0)
		return rc;
	if ((rc = hl_units_tree(&l, req_store(r), code, given ? at : NULL)) < 0)
		return rc;
	a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, hl_unit_json(&l->v[i], 0));
	hl_units_free(l);
	return resp_json(r, 200, items(a));
}

const route routes_units[] = {
    {M_GET, "/api/v1/units", units_find, 0, 0},
    {M_GET, "/api/v1/units/{code}", units_show, 0, 0},
    {M_GET, "/api/v1/units/{code}/successors", units_successors, 0, 0},
    {M_GET, "/api/v1/units/{code}/predecessors", units_predecessors, 0, 0},
    {M_GET, "/api/v1/units/{code}/tree", units_tree, 0, 0},
    {M_GET, "/api/v1/tree", units_tree, 0, 0},
    {0},
};
