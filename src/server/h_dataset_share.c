/* Sharing datasets between agencies (docs/api.md "Sharing datasets"; Nghị định 194/2025/NĐ-CP
 * Điều 16): requests for a dataset, their list, grants, written refusals and revocations. Each
 * handler parses the request, calls one verb of catalog/share.c as the caller (who may do what
 * is the library's rule) and answers with the REQUEST shape of `halong dataset requests
 * --json` (hl_data_request_json). Nothing here is cached: who sees a request depends on the
 * caller's agency. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halong/catalog.h"
#include "halong/catalog_json.h"
#include "server_int.h"

/* The request number of the path: HL_ENOTFOUND for anything but 1 or more digits. */
static int number(int64_t *out, request *r)
{
	const char *s = req_param(r, "n");
	char *end;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || v <= 0 || strlen(s) > 18)
		return hl_error_set(HL_ENOTFOUND, "no request \"%.20s\"", s);
	*out = v;
	return 0;
}

static int answer(request *r, int status, hl_data_request *q)
{
	json_t *j = hl_data_request_json(q);
	hl_data_request_free(q);
	free(q);
	return resp_json(r, status, j);
}

/* ---- POST /api/v1/datasets/{id}/requests {"purpose", "legal_basis", "agency"?} ---- */

static int request_add(request *r)
{
	json_t *b = NULL;
	const char *purpose, *basis, *agency;
	hl_data_request *q = NULL;
	int rc;
	if ((rc = req_json(&b, r)) != 0)
		return rc;
	/* each required text is checked by the library, which names the field */
	if ((rc = js_get_str(&purpose, b, "purpose", 0)) == 0 &&
	    (rc = js_get_str(&basis, b, "legal_basis", 0)) == 0 &&
	    (rc = js_get_str(&agency, b, "agency", 0)) == 0 &&
	    (rc = hl_dataset_request(&q, req_store(r), &r->who, req_param(r, "id"), purpose, basis,
	                             agency)) == 0)
		rc = answer(r, 201, q);
	json_decref(b);
	return rc;
}

/* ---- GET /api/v1/data-requests?state=&mine=1 ---- */

static int requests_list(request *r)
{
	hl_data_requests *l = NULL;
	const char *state = req_query(r, "state"), *mine = req_query(r, "mine");
	json_t *a;
	int rc;
	if (mine && strcmp(mine, "0") && strcmp(mine, "1"))
		return hl_error_set(HL_EINVALID, "mine: 0 or 1");
	if ((rc =
	         hl_dataset_requests_list(&l, req_store(r), &r->who, state && *state ? state : NULL,
	                                  mine && !strcmp(mine, "1"))) < 0)
		return rc;
	a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, hl_data_request_json(&l->v[i]));
	hl_data_requests_free(l);
	return resp_json(r, 200, json_pack("{s:o}", "requests", a));
}

/* ---- GET /api/v1/data-requests/{n} ---- */

static int request_get(request *r)
{
	hl_data_request *q = NULL;
	int64_t n;
	int rc;
	if ((rc = number(&n, r)) < 0 ||
	    (rc = hl_dataset_request_get(&q, req_store(r), &r->who, n)) < 0)
		return rc;
	return answer(r, 200, q);
}

/* ---- POST /api/v1/data-requests/{n}/grant|refuse|revoke {"reason", "legal_basis", "until"?} */

typedef enum { GRANT, REFUSE, REVOKE } decision;

static int decide(request *r, decision what)
{
	json_t *b = NULL;
	const char *reason, *basis, *until = NULL;
	hl_data_request *q = NULL;
	int64_t n;
	int rc;
	if ((rc = number(&n, r)) < 0)
		return rc;
	if ((rc = req_json(&b, r)) != 0)
		return rc;
	if ((rc = js_get_str(&reason, b, "reason", 0)) < 0 ||
	    (rc = js_get_str(&basis, b, "legal_basis", 0)) < 0 ||
	    (what == GRANT && (rc = js_get_str(&until, b, "until", 0)) < 0))
		goto done;
	if (what == GRANT)
		rc = hl_dataset_grant(&q, req_store(r), &r->who, n, reason, basis, until);
	else if (what == REFUSE)
		rc = hl_dataset_refuse(&q, req_store(r), &r->who, n, reason, basis);
	else
		rc = hl_dataset_revoke(&q, req_store(r), &r->who, n, reason, basis);
	if (rc == 0)
		rc = answer(r, 200, q);
done:
	json_decref(b);
	return rc;
}

static int request_grant(request *r)
{
	return decide(r, GRANT);
}

static int request_refuse(request *r)
{
	return decide(r, REFUSE);
}

static int request_revoke(request *r)
{
	return decide(r, REVOKE);
}

/* ---- a commune's subscriptions to the hub's datasets (the datasets feed) ---- */

/* PUT /api/v1/dataset-subscriptions/{id}: 201 when new, 200 when already followed. */
static int subscription_put(request *r)
{
	int added = 0, rc;
	const char *id = req_param(r, "id");
	if ((rc = hl_dataset_subscribe(&added, req_store(r), &r->who, id)) < 0)
		return rc;
	return resp_json(r, added ? 201 : 200, json_pack("{s:s,s:b}", "id", id, "added", added));
}

/* DELETE /api/v1/dataset-subscriptions/{id}: 204. */
static int subscription_delete(request *r)
{
	int rc = hl_dataset_unsubscribe(req_store(r), &r->who, req_param(r, "id"));
	return rc < 0 ? rc : resp_status(r, 204);
}

/* GET /api/v1/dataset-subscriptions: {"subscriptions": [SUBSCRIPTION…]}. */
static int subscriptions_list(request *r)
{
	hl_dataset_subscriptions *l = NULL;
	json_t *arr;
	int rc;
	if ((rc = hl_dataset_subscriptions_list(&l, req_store(r), &r->who)) < 0)
		return rc;
	arr = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(arr, hl_dataset_subscription_json(&l->v[i]));
	hl_dataset_subscriptions_free(l);
	return resp_json(r, 200, json_pack("{s:o}", "subscriptions", arr));
}

const route routes_dataset_share[] = {
    {M_POST, "/api/v1/datasets/{id}/requests", request_add, 0, 0},
    {M_GET, "/api/v1/data-requests", requests_list, 0, 0},
    {M_GET, "/api/v1/data-requests/{n}", request_get, 0, 0},
    {M_POST, "/api/v1/data-requests/{n}/grant", request_grant, 0, 0},
    {M_POST, "/api/v1/data-requests/{n}/refuse", request_refuse, 0, 0},
    {M_POST, "/api/v1/data-requests/{n}/revoke", request_revoke, 0, 0},
    {M_GET, "/api/v1/dataset-subscriptions", subscriptions_list, 0, 0},
    {M_PUT, "/api/v1/dataset-subscriptions/{id}", subscription_put, 0, 0},
    {M_DELETE, "/api/v1/dataset-subscriptions/{id}", subscription_delete, 0, 0},
    {0},
};
