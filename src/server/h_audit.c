/* The audit log over the API (docs/api.md "Other"): GET /api/v1/audit, newest first, by page;
 * who may read it is the library's rule (hl_audit_page). */
#include "halong/auth_json.h"
#include "server_int.h"

static int audit_row(const hl_audit_row *row, void *ud)
{
	json_array_append_new(ud, hl_audit_row_json(row));
	return 0;
}

/* GET /api/v1/audit?offset=&limit= */
static int audit_list(request *r)
{
	size_t off, lim;
	int64_t total = 0;
	json_t *a;
	int rc;

	if ((rc = req_paging(&off, &lim, r, 0)) != 0)
		return rc;
	a = json_array();
	if ((rc = hl_audit_page(hl_archive_store(r->archive), &r->who, off, lim, &total, audit_row,
	                        a)) < 0) {
		json_decref(a);
		return rc;
	}
	return resp_json(r, 200,
	                 json_pack("{s:I,s:I,s:I,s:o}", "offset", (json_int_t)off, "limit",
	                           (json_int_t)lim, "total", (json_int_t)total, "items", a));
}

const route routes_audit[] = {
    {M_GET, "/api/v1/audit", audit_list, 0, 0},
    {0},
};
