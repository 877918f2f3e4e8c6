/* The exchange endpoints: the inbox other nodes POST signed envelopes to, the chunked upload of
 * their attachments, the status per peer and the signed directory (docs/api.md "Exchange"). Each
 * handler reads the request, calls one verb of the exchange library and answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "halong/exchange.h"
#include "halong/exchange_json.h"
#include "server_int.h"

/* The HTTP status of a refusal, by its reason (rc: the code it came with, for a refusal that
 * names no reason and for a malformed envelope refused for its size). */
static int refusal_status(hl_exchange_reason why, int rc)
{
	switch (why) {
	case HL_EXCHANGE_R_TOO_BIG:
		return 413;
	case HL_EXCHANGE_R_MALFORMED:
		return rc == HL_ELIMIT ? 413 : 400;
	case HL_EXCHANGE_R_CLOCK_SKEW:
	case HL_EXCHANGE_R_ATTACHMENT:
	case HL_EXCHANGE_R_NEWER_VERSION: /* well formed for a newer halong, not this one */
		return 422;
	case HL_EXCHANGE_R_SEQUENCE:
	case HL_EXCHANGE_R_CONFLICT:
	case HL_EXCHANGE_R_FONDS:
	case HL_EXCHANGE_R_OFFSET:
	case HL_EXCHANGE_R_AUDIT_SHORTENED:
	case HL_EXCHANGE_R_AUDIT_REWRITTEN:
		return 409;
	case HL_EXCHANGE_R_NO_IDENTITY:
		return 503;
	case HL_EXCHANGE_R_NONE:
		return rc == HL_ELIMIT ? 413 : rc == HL_EINVALID ? 400 : 403;
	case HL_EXCHANGE_R_UNKNOWN_SENDER:
	case HL_EXCHANGE_R_REVOKED_SENDER:
	case HL_EXCHANGE_R_BAD_SIGNATURE:
	case HL_EXCHANGE_R_WRONG_RECIPIENT:
	case HL_EXCHANGE_R_TYPE_NOT_ALLOWED:
	case HL_EXCHANGE_R_ACCESS_DENIED:
	case HL_EXCHANGE_R_ID_REUSED:
		return 403;
	}
	return 403;
}

/* A refusal is answered with its reason; any other failure (the store) as every handler's. */
static int is_refusal(hl_exchange_reason why, int rc)
{
	return why != HL_EXCHANGE_R_NONE || rc == HL_ELIMIT || rc == HL_EINVALID ||
	       rc == HL_EDENIED;
}

/* {"status", "code", "message", "reason"}: the reason is the exchange's word (README of
 * src/lib/exchange), the message says it for a person. */
static json_t *error_json(int status, hl_exchange_reason why, const char *msg)
{
	json_t *e = json_object();
	json_object_set_new(e, "status", json_integer(status));
	json_object_set_new(e, "code",
	                    json_string(status == 422 ? "unprocessable" : http_code_name(status)));
	js_set_str(e, "message", msg);
	json_object_set_new(e, "reason", json_string(hl_exchange_reason_name(why)));
	return e;
}

/* {"error": {...[, "offset"]}} */
static int x_error(request *r, int status, hl_exchange_reason why, const char *msg, int64_t offset)
{
	json_t *e = error_json(status, why, msg);
	if (offset >= 0)
		json_object_set_new(e, "offset", json_integer(offset));
	return resp_json(r, status, json_pack("{s:o}", "error", e));
}

static int refusal(request *r, hl_exchange_reason why, int rc)
{
	return x_error(r, refusal_status(why, rc), why, hl_error_last(), -1);
}

static const char *state_name(int state)
{
	return state == HL_EXCHANGE_APPLIED ? "applied"
	       : state == HL_EXCHANGE_HELD  ? "held"
	                                    : "duplicate";
}

/* A body over the limit, refused from its Content-Length before a byte of it is read (the
 * server runs the handler with r->too_big: ROUTE_TELL_TOO_BIG); the library records it. */
static int x_too_big(request *r, const char *what)
{
	hl_exchange_refuse_too_big(req_store(r), what, req_header(r, "Content-Length"),
	                           req_header(r, "X-Halong-From"));
	return refusal(r, HL_EXCHANGE_R_TOO_BIG, HL_ELIMIT);
}

static int x_inbox(request *r)
{
	hl_exchange_result res;
	const char *ct = req_header(r, "Content-Type");
	int rc;

	if (r->too_big)
		return x_too_big(r, "envelope");
	if (!ct || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] && ct[16] != ';' && ct[16] != ' '))
		return resp_error(r, 415, "an envelope is sent as application/json");
	rc = hl_exchange_receive(&res, r->archive, r->body ? r->body : "", r->body_len);
	if (rc == 0) {
		/* The body is the receipt exactly (the sender verifies it as it is); the state goes
		 * in a header: a held message is stored for good and will be applied when the gap
		 * fills, so it is acknowledged like an applied one. */
		resp_header(r, "X-Halong-Exchange-State", state_name(res.state));
		rc = resp_bytes(r, 200, "application/json; charset=utf-8", res.receipt,
		                strlen(res.receipt), 1);
		res.receipt = NULL;
	} else if (is_refusal(res.reason, rc)) {
		rc = refusal(r, res.reason, rc);
	}
	hl_exchange_result_clear(&res);
	return rc;
}

/* One NDJSON line of a batch's answer. */
static json_t *batch_line(const hl_exchange_result *x)
{
	int status;
	json_t *e;
	if (x->state)
		return json_pack("{s:i, s:s, s:s}", "status", 200, "state", state_name(x->state),
		                 "receipt", x->receipt);
	status = refusal_status(x->reason, x->code);
	e = error_json(status, x->reason, x->message);
	json_object_del(e, "status");
	return json_pack("{s:i, s:o}", "status", status, "error", e);
}

/* Several envelopes, one a line (application/x-ndjson), accepted in one transaction. The answer,
 * 200 once they are committed, is NDJSON too: {"status":200,"state","receipt":"<the receipt's
 * text>"} or {"status":4xx,"error":{"code","message","reason"}}, a line each, in order. */
static int x_inbox_batch(request *r)
{
	const char *ct = req_header(r, "Content-Type");
	hl_exchange_results *res = NULL;
	hl_exchange_reason why;
	char *buf = NULL;
	size_t cap = 0, len = 0;
	int rc;

	if (r->too_big)
		return x_too_big(r, "batch");
	if (!ct || strncasecmp(ct, "application/x-ndjson", 20) != 0)
		return resp_error(r, 415, "a batch is sent as application/x-ndjson");
	if ((rc = hl_exchange_receive_batch(&res, &why, r->archive, req_header(r, "X-Halong-From"),
	                                    r->body, r->body_len)) < 0)
		return why != HL_EXCHANGE_R_NONE ? refusal(r, why, rc) : rc;
	for (size_t i = 0; i < res->n; i++) {
		json_t *x = batch_line(&res->v[i]);
		char *line = x ? json_dumps(x, JSON_COMPACT) : NULL;
		size_t ll = line ? strlen(line) : 0;
		char *nb =
		    line && len + ll + 2 > cap ? realloc(buf, cap = (len + ll + 2) * 2) : buf;
		json_decref(x);
		if (!line || !nb) {
			free(line);
			free(nb ? nb : buf);
			hl_exchange_results_free(res);
			return hl_error_set(HL_ENOMEM, "out of memory");
		}
		buf = nb;
		memcpy(buf + len, line, ll);
		len += ll;
		buf[len++] = '\n';
		free(line);
	}
	hl_exchange_results_free(res);
	return resp_bytes(r, 200, "application/x-ndjson", buf ? buf : "", len, buf != NULL);
}

/* ---- attachments ---- */

/* The HTTP status of an upload's refusal: a chunk not signed as it should be is forbidden,
 * whatever the reason (its clock included: it is the signature's time). */
static int upload_refusal(request *r, hl_exchange_reason why, int rc)
{
	int status;
	switch (why) {
	case HL_EXCHANGE_R_ATTACHMENT:
		status = 422;
		break;
	case HL_EXCHANGE_R_NO_IDENTITY:
		status = 503;
		break;
	case HL_EXCHANGE_R_NONE:
		return rc; /* not a refusal: answered as every handler's error */
	default:
		status = 403;
	}
	return x_error(r, status, why, hl_error_last(), -1);
}

static int upload_answer(request *r, const char *sha, const hl_exchange_upload_state *s)
{
	return resp_json(r, 200,
	                 json_pack("{s:s, s:I, s:b}", "sha256", sha, "offset",
	                           (json_int_t)s->offset, "complete", s->complete));
}

static int x_att_get(request *r)
{
	const char *sha = req_param(r, "sha256");
	hl_exchange_upload_state s;
	hl_exchange_reason why;
	int rc =
	    hl_exchange_attachment_state(&s, &why, r->archive, req_header(r, "X-Halong-From"), sha);
	if (rc < 0)
		return upload_refusal(r, why, rc);
	return upload_answer(r, sha, &s);
}

static int x_att_put(request *r)
{
	hl_exchange_chunk c = {req_header(r, "X-Halong-From"),
	                       req_header(r, "X-Halong-Signature"),
	                       req_header(r, "X-Halong-Time"),
	                       req_param(r, "sha256"),
	                       0,
	                       0,
	                       r->body,
	                       r->body_len};
	hl_exchange_upload_state s = {0, 0};
	hl_exchange_reason why;
	uint64_t off = 0, size = 0;
	int rc;

	if ((rc = req_uint(&size, r, "size", 0, 0, (uint64_t)HL_EXCHANGE_MAX_ATTACHMENT)) < 0 ||
	    (rc = req_uint(&off, r, "offset", 0, 0, (uint64_t)HL_EXCHANGE_MAX_ATTACHMENT)) < 0)
		return rc;
	if (!req_query(r, "size"))
		return hl_error_set(HL_EINVALID,
		                    "size= (the attachment's whole length) is required");
	c.offset = (int64_t)off;
	c.size = (int64_t)size;
	rc = hl_exchange_attachment_put(&s, &why, r->archive, &c);
	if (rc < 0 && why == HL_EXCHANGE_R_OFFSET)
		return x_error(r, 409, why, hl_error_last(), s.offset);
	if (rc < 0)
		return upload_refusal(r, why, rc);
	return upload_answer(r, c.sha256, &s);
}

/* ---- status and directory ---- */

static int x_status(request *r)
{
	uint64_t limit = 20;
	json_t *out = NULL;
	int rc;
	if ((rc = hl_auth_check(&r->who, HL_ACT_EXCHANGE_WATCH)) < 0 ||
	    (rc = req_uint(&limit, r, "limit", 20, 0, 1000)) < 0 ||
	    (rc = hl_exchange_status_json(&out, req_store(r), &r->who, (size_t)limit)) < 0)
		return rc;
	return resp_json(r, 200, out);
}

static int x_directory(request *r)
{
	char *copy = NULL;
	int rc = hl_node_directory_published(&copy, req_store(r), hl_archive_dir(r->archive));
	if (rc < 0)
		return rc;
	return resp_bytes(r, 200, "application/json; charset=utf-8", copy, strlen(copy), 1);
}

/* GET /api/v1/exchange/witness/{unit}: what the hub witnessed of a node's audit log, signed
 * by the hub (heads: entry ids and hashes, nothing of the entries). Public as the feed is: the
 * node checks the hub's signature, and a head tells nothing of what the log holds. */
static int x_witness(request *r)
{
	hl_node *n = NULL;
	char *out = NULL;
	size_t len = 0;
	int rc;
	if ((rc = hl_node_open(&n, req_store(r), hl_archive_dir(r->archive))) < 0)
		return rc;
	rc = hl_exchange_witness_page(&out, &len, n, req_param(r, "unit"));
	hl_node_free(n);
	if (rc < 0)
		return rc;
	return resp_bytes(r, 200, "application/json; charset=utf-8", out, len, 1);
}

const route routes_exchange[] = {
    {M_POST, "/api/v1/exchange/inbox", x_inbox, HL_EXCHANGE_MAX_ENVELOPE,
     ROUTE_NO_CSRF | ROUTE_TELL_TOO_BIG},
    {M_POST, "/api/v1/exchange/inbox/batch", x_inbox_batch, HL_EXCHANGE_MAX_ENVELOPE,
     ROUTE_RAW_BODY | ROUTE_NO_CSRF | ROUTE_TELL_TOO_BIG},
    {M_GET, "/api/v1/exchange/attachments/{sha256}", x_att_get, 0, 0},
    {M_PUT, "/api/v1/exchange/attachments/{sha256}", x_att_put, HL_EXCHANGE_MAX_CHUNK,
     ROUTE_RAW_BODY | ROUTE_NO_CSRF},
    {M_GET, "/api/v1/exchange/status", x_status, 0, 0},
    {M_GET, "/api/v1/exchange/directory", x_directory, 0, 0},
    {M_GET, "/api/v1/exchange/witness/{unit}", x_witness, 0, 0},
    {0},
};
