/* What goes out of plans over HTTP (docs/api.md "Plans: out"): an agency's calendar feeds
 * (made, listed and revoked by its officers), the feed itself at /feeds/plans/TOKEN.ics without
 * a login, and a plan's exports (CSV, XLSX, the evaluation report as HTML or PDF). Each parses,
 * calls one verb of plans/ as the caller, and answers. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "halong/plans.h"
#include "halong/plans_json.h"
#include "halong/util.h"
#include "server_int.h"

/* ---- POST /api/v1/feeds {agency, label} ---- */

static int feed_new(request *r)
{
	json_t *b = NULL;
	const char *agency = NULL, *label = NULL;
	char *token = NULL, id[13], url[128];
	int rc;
	if ((rc = req_json(&b, r)) != 0)
		return rc;
	if ((rc = js_get_str(&agency, b, "agency", 1)) == 0 &&
	    (rc = js_get_str(&label, b, "label", 0)) == 0 &&
	    (rc = hl_plans_feed_new(&token, id, req_store(r), &r->who, agency, label)) == 0) {
		snprintf(url, sizeof(url), "/feeds/plans/%s.ics", token);
		rc = resp_json(r, 201,
		               json_pack("{s:s,s:s,s:s}", "id", id, "token", token, "url", url));
		free(token);
	}
	json_decref(b);
	return rc;
}

/* ---- GET /api/v1/feeds ---- */

static int feed_list(request *r)
{
	hl_plan_feeds *l = NULL;
	json_t *a;
	int rc;
	if ((rc = hl_plans_feed_list(&l, req_store(r), &r->who)) < 0)
		return rc;
	a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, hl_plan_feed_json(&l->v[i]));
	hl_plan_feeds_free(l);
	return resp_json(
	    r, 200, json_pack("{s:I,s:o}", "total", (json_int_t)json_array_size(a), "items", a));
}

/* ---- DELETE /api/v1/feeds/{ref} (its id, or 8 or more hex digits of its hash) ---- */

static int feed_revoke(request *r)
{
	int rc = hl_plans_feed_revoke(req_store(r), &r->who, req_param(r, "ref"));
	return rc < 0 ? rc : resp_status(r, 204);
}

/* ---- GET /feeds/plans/{token}.ics (no login: the token is the key) ---- */

static int feed_ics(request *r)
{
	const char *seg = req_param(r, "file");
	size_t n = seg ? strlen(seg) : 0;
	char token[96], at[11];
	char *body = NULL;
	size_t len = 0;
	int given, rc;
	/* an unknown token, a revoked one and a name without .ics: the same 404 */
	if (n < 5 || n - 4 >= sizeof(token) || strcmp(seg + n - 4, ".ics"))
		return hl_error_set(HL_ENOTFOUND, "no such calendar feed");
	snprintf(token, sizeof(token), "%.*s", (int)(n - 4), seg);
	if ((rc = req_date(at, &given, r, "at")) != 0)
		return rc;
	if ((rc = hl_plans_ical(&body, &len, req_store(r), token, NULL, given ? at : NULL)) < 0)
		return rc;
	resp_header(r, "Cache-Control", "private, no-cache");
	return resp_bytes(r, 200, "text/calendar; charset=utf-8", body, len, 1);
}

/* ---- GET /api/v1/plans/{id}/export?what=&format=&period=&at= ---- */

static int plan_export(request *r)
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096], at[11], name[200], *path = NULL;
	int given, fd = -1, rc;
	hl_plans_export_in in = {req_param(r, "id"), req_query(r, "what"), req_query(r, "format"),
	                         req_query(r, "period"), NULL};

	if ((rc = req_date(at, &given, r, "at")) != 0)
		return rc;
	in.at = given ? at : NULL;
	if (in.period && !*in.period)
		in.period = NULL;
	if ((rc = hl_plans_export_check(&in)) < 0)
		return rc;
	snprintf(dir, sizeof(dir), "%s/halong-export.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return hl_error_set(HL_EIO, "cannot make a temporary folder: %s", strerror(errno));
	if (!(path = hl_path_join(dir, "export")))
		rc = hl_error_set(HL_ENOMEM, "out of memory");
	else if ((rc = hl_plans_export(req_store(r), &r->who, &in, path)) == 0 &&
	         (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		rc = hl_error_set(HL_EIO, "cannot read the export back: %s", strerror(errno));
	if (path)
		unlink(path); /* the open descriptor keeps it until it is sent */
	rmdir(dir);
	free(path);
	if (rc < 0)
		return rc;
	/* the file's name: the plan, what, the period (letters, digits, - and _ only) */
	snprintf(name, sizeof(name), "%s-%s%s%s.%s", in.plan, in.what, in.period ? "-" : "",
	         in.period ? in.period : "", in.format);
	for (char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			*p = '_';
	return resp_fd(r, fd, hl_plans_export_mime(in.format), NULL, name);
}

const route routes_plans_out[] = {
    {M_POST, "/api/v1/feeds", feed_new, 0, 0},
    {M_GET, "/api/v1/feeds", feed_list, 0, 0},
    {M_DELETE, "/api/v1/feeds/{ref}", feed_revoke, 0, 0},
    {M_GET, "/feeds/plans/{file}", feed_ics, 0, 0},
    {M_GET, "/api/v1/plans/{id}/export", plan_export, 0, 0},
    {0},
};
