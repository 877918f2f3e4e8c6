/* POST /api/v1/datasets/{id}/regroup: a dataset keyed by old communes onto the new units, as a
 * new dataset (hl_dataset_regroup, as the caller; the library checks who may and audits). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "halong/catalog_json.h"
#include "halong/util.h"
#include "server_int.h"

/* The body's "decision" ([{old_code, new_code, share}, …]) as the CSV the library reads. */
static int decision_file(char path[4096], json_t *dec)
{
	FILE *f;
	int fd;
	size_t i;
	json_t *e;
	if (!json_is_array(dec) || json_array_size(dec) == 0 || json_array_size(dec) > 10000)
		return hl_error_set(HL_EINVALID,
		                    "decision: a list of 1 to 10,000 {old_code, new_code, share}");
	const char *tmp = getenv("TMPDIR"); /* where req_body_save keeps an upload too */
	snprintf(path, 4096, "%s/halong-regroup-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if ((fd = mkstemp(path)) < 0 || !(f = fdopen(fd, "w"))) {
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		return hl_error_set(HL_EIO, "cannot hold the decision");
	}
	fputs("old_code,new_code,share\r\n", f);
	json_array_foreach(dec, i, e)
	{
		const char *oc = json_string_value(json_object_get(e, "old_code"));
		const char *nc = json_string_value(json_object_get(e, "new_code"));
		json_t *sh = json_object_get(e, "share");
		char share[64];
		const char *cells[3];
		if (!json_is_object(e) || !oc || !nc || !json_is_number(sh)) {
			fclose(f);
			unlink(path);
			return hl_error_set(HL_EINVALID,
			                    "decision %zu: {old_code, new_code, share (a number)}",
			                    i + 1);
		}
		snprintf(share, sizeof(share), "%.17g", json_number_value(sh));
		cells[0] = oc;
		cells[1] = nc;
		cells[2] = share;
		hl_csv_write(f, cells, 3);
	}
	if (fclose(f) != 0) {
		unlink(path);
		return hl_error_set(HL_EIO, "cannot hold the decision");
	}
	return 0;
}

static int regroup(request *r)
{
	json_t *b = NULL, *rep = NULL, *j;
	hl_regroup_opts o = {.decision_name = "decision (request body)"};
	hl_dataset *d = NULL;
	char dpath[4096] = "";
	int rc;
	if ((rc = req_json(&b, r)) != 0)
		return rc;
	if ((rc = js_get_str(&o.to_units, b, "to_units", 1)) < 0 ||
	    (rc = js_get_str(&o.as, b, "as", 1)) < 0 ||
	    (rc = js_get_str(&o.weights, b, "weights", 0)) < 0 ||
	    (rc = js_get_str(&o.column, b, "column", 0)) < 0 ||
	    (rc = js_get_str(&o.by, b, "by", 0)) < 0 ||
	    (rc = js_get_str(&o.title, b, "title", 0)) < 0)
		goto done;
	if (json_object_get(b, "decision") && !json_is_null(json_object_get(b, "decision"))) {
		if ((rc = decision_file(dpath, json_object_get(b, "decision"))) < 0)
			goto done;
		o.decision = dpath;
	}
	rc = hl_dataset_regroup(&d, &rep, req_store(r), &r->who, req_param(r, "id"), &o);
	if (rc == HL_ECONFLICT && rep) {
		/* refused: the split units without a choice, named */
		rc = resp_json(r, 409,
		               json_pack("{s:{s:i,s:s,s:s},s:o}", "error", "status", 409, "code",
		                         http_code_name(409), "message", hl_error_last(), "report",
		                         rep));
		rep = NULL;
		goto done;
	}
	if (rc < 0)
		goto done;
	j = hl_dataset_json(d);
	json_object_set_new(j, "report", rep);
	rep = NULL;
	rc = resp_json(r, 201, j);
done:
	if (*dpath)
		unlink(dpath);
	json_decref(rep);
	hl_dataset_free(d);
	json_decref(b);
	return rc;
}

const route routes_dataset_regroup[] = {
    {M_POST, "/api/v1/datasets/{id}/regroup", regroup, 0, 0},
    {0},
};
