/* The units endpoints of the API: find, show, successors, predecessors and the hierarchy on a
 * date (docs/api.md "Units"), public data answered in the shapes of `halong units … --json`. */
#include <stdlib.h>
#include <string.h>

#include "halong/units.h"
#include "server_int.h"

/* The JSON builders below are copied from src/cli/cmd_units.c so that both answer the same
 * shapes; they belong in one shared place (see the server README). */

/* A string, or null when absent or empty (as the CLI writes them). */
static void set(json_t *o, const char *key, const char *s)
{
	json_object_set_new(o, key, s && *s ? hl_json_str(s) : json_null());
}

static json_t *succ_json(const hl_succession *s)
{
	json_t *o = json_object();
	set(o, "old_code", s->old_code);
	set(o, "old_name", s->old_name);
	set(o, "new_code", s->new_code);
	set(o, "new_name", s->new_name);
	json_object_set_new(o, "kind", json_string(hl_succ_kind_name(s->kind)));
	set(o, "merge_type", s->merge_type);
	json_object_set_new(o, "effective_date", json_string(s->effective_date));
	set(o, "event_id", s->event_id);
	set(o, "legal_basis", s->legal_basis);
	json_object_set_new(o, "depth", json_integer(s->depth));
	return o;
}

static json_t *succs_json(const hl_successions *l)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, succ_json(&l->v[i]));
	return a;
}

static json_t *unit_json(const hl_unit *u, int links)
{
	json_t *o = json_object();
	json_object_set_new(o, "code", json_string(u->code));
	set(o, "name", u->name);
	set(o, "full_name", u->full_name);
	json_object_set_new(o, "type", json_string(hl_unit_type_key(u->type)));
	json_object_set_new(o, "type_name", json_string(hl_unit_type_name(u->type)));
	json_object_set_new(o, "valid_from", json_string(u->valid_from));
	/* false: valid_from is where the data begins, the unit is older */
	json_object_set_new(o, "valid_from_known",
	                    json_boolean(strcmp(u->valid_from, HL_UNITS_DATA_FROM) != 0));
	set(o, "valid_to", u->valid_to);
	set(o, "parent_code", u->parent_code);
	set(o, "parent_name", u->parent_name);
	set(o, "event_id", u->event_id);
	set(o, "legal_basis", u->legal_basis);
	if (links) {
		json_object_set_new(o, "successors", succs_json(&u->next));
		json_object_set_new(o, "predecessors", succs_json(&u->prev));
	} else {
		json_object_set_new(o, "depth", json_integer(u->depth));
	}
	return o;
}

static json_t *items(json_t *a)
{
	return json_pack("{s:o}", "items", a);
}

/* GET /api/v1/units?q=NAME&at=&limit= */
static int units_find(hl_req *r)
{
	const char *q = hl_req_query(r, "q");
	char at[11];
	int given, rc;
	uint64_t limit;
	hl_units *l = NULL;
	json_t *a;

	if (!q || !*q)
		return hl_error_set(HL_EINVALID, "q: give a unit name (tones optional)");
	if (strlen(q) > 256)
		return hl_error_set(HL_EINVALID, "q: at most 256 bytes");
	if ((rc = hl_req_date(at, &given, r, "at")) != 0)
		return rc;
	if ((rc = hl_req_uint(&limit, r, "limit", HL_SRV_PAGE_DEFAULT, 1, HL_SRV_PAGE_MAX)) != 0)
		return rc;
	if ((rc = hl_units_find(&l, hl_req_store(r), q, given ? at : NULL, (size_t)limit)) < 0)
		return rc;
	a = json_array();
	for (size_t i = 0; i < l->n && i < limit; i++)
		json_array_append_new(a, unit_json(&l->v[i], 1));
	hl_units_free(l);
	return hl_resp_json(r, 200, items(a));
}

/* GET /api/v1/units/{code}?at= */
static int units_show(hl_req *r)
{
	char at[11];
	int given, rc;
	hl_unit *u = NULL;
	json_t *j;

	if ((rc = hl_req_date(at, &given, r, "at")) != 0)
		return rc;
	if ((rc = hl_units_show(&u, hl_req_store(r), hl_req_param(r, "code"), given ? at : NULL)) <
	    0)
		return rc;
	j = unit_json(u, 1);
	hl_unit_free(u);
	return hl_resp_json(r, 200, j);
}

static int walk(hl_req *r, int forward)
{
	const char *code = hl_req_param(r, "code");
	hl_successions *l = NULL;
	json_t *a;
	int rc;

	rc = forward ? hl_units_successors(&l, hl_req_store(r), code)
	             : hl_units_predecessors(&l, hl_req_store(r), code);
	if (rc < 0)
		return rc;
	a = succs_json(l);
	hl_successions_free(l);
	return hl_resp_json(r, 200, items(a));
}

/* GET /api/v1/units/{code}/successors */
static int units_successors(hl_req *r)
{
	return walk(r, 1);
}

/* GET /api/v1/units/{code}/predecessors */
static int units_predecessors(hl_req *r)
{
	return walk(r, 0);
}

/* GET /api/v1/units/{code}/tree?at= and GET /api/v1/tree?at= */
static int units_tree(hl_req *r)
{
	const char *code = hl_req_param(r, "code");
	char at[11];
	int given, rc;
	hl_units *l = NULL;
	json_t *a;

	if ((rc = hl_req_date(at, &given, r, "at")) != 0)
		return rc;
	if ((rc = hl_units_tree(&l, hl_req_store(r), code, given ? at : NULL)) < 0)
		return rc;
	a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, unit_json(&l->v[i], 0));
	hl_units_free(l);
	return hl_resp_json(r, 200, items(a));
}

const hl_route hl_routes_units[] = {
    {HL_GET, "/api/v1/units", units_find, 0, 0},
    {HL_GET, "/api/v1/units/{code}", units_show, 0, 0},
    {HL_GET, "/api/v1/units/{code}/successors", units_successors, 0, 0},
    {HL_GET, "/api/v1/units/{code}/predecessors", units_predecessors, 0, 0},
    {HL_GET, "/api/v1/units/{code}/tree", units_tree, 0, 0},
    {HL_GET, "/api/v1/tree", units_tree, 0, 0},
    {0},
};
