/* The audit log over the API (docs/api.md "Other"): GET /api/v1/audit, newest first, by page,
 * for the province's inspectors and admins. */
#include "server_int.h"

static int audit_row(int64_t id, const char *at, const char *actor, const char *action,
                     const char *object, const char *detail, void *ud)
{
	json_t *e = json_object();
	json_object_set_new(e, "id", json_integer(id));
	json_object_set_new(e, "at", hl_json_str(at));
	json_object_set_new(e, "actor", hl_json_str(actor));
	json_object_set_new(e, "action", hl_json_str(action));
	json_object_set_new(e, "object", hl_json_str(object));
	json_object_set_new(e, "detail", hl_json_str(detail));
	json_array_append_new(ud, e);
	return 0;
}

/* GET /api/v1/audit?offset=&limit= */
static int audit_list(hl_req *r)
{
	size_t off, lim;
	int64_t total = 0;
	json_t *a;
	int rc;

	if ((rc = hl_req_require(r, HL_ROLES_AUDIT)) != 0)
		return rc;
	/* the log is the province's, whole: its entries name documents of every unit and level
	 * (reads of restricted records, ingests of secret ones, logins with client addresses),
	 * so a commune's inspector or admin, whose scope is one unit, does not read it */
	if (!r->who.province)
		return hl_error_set(
		    HL_EDENIED, "the audit log is read by the province's inspectors and admins");
	if ((rc = hl_req_paging(&off, &lim, r, 0)) != 0)
		return rc;
	a = json_array();
	if ((rc = hl_store_audit_page(hl_req_store(r), off, lim, &total, audit_row, a)) < 0) {
		json_decref(a);
		return rc;
	}
	return hl_resp_json(r, 200,
	                    json_pack("{s:I,s:I,s:I,s:o}", "offset", (json_int_t)off, "limit",
	                              (json_int_t)lim, "total", (json_int_t)total, "items", a));
}

const hl_route hl_routes_audit[] = {
    {HL_GET, "/api/v1/audit", audit_list, 0, 0},
    {0},
};
