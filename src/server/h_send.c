/* Sending records to another unit from the API (docs/api.md "Sending to another unit"): a
 * document or a dossier put in the exchange outbox for the sender thread, the waiting messages,
 * one message's delivery state, and the directory's peers to choose a recipient from. Who may do
 * what, and which records may go, is the exchange library's (hl_exchange_send_documents). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halong/exchange.h"
#include "halong/exchange_json.h"
#include "server_int.h"

#define S_MAX_TRACK 1000 /* waiting messages listed */

/* This node's identity, or 503 when it has none (ANSWERED). */
static int open_node(hl_node **n, request *r)
{
	int rc = hl_node_open(n, req_store(r), hl_archive_dir(r->archive));
	if (rc == HL_ENOTFOUND)
		return resp_error(r, 503, "this node has no exchange identity (halong node init)"),
		       ANSWERED;
	return rc;
}

/* The body's "documents": a list of strings (an entry that is not a string is NULL, which the
 * library names). *ids malloc'd (the strings borrowed from the body). */
static int doc_list(const char ***ids, size_t *n, json_t *docs)
{
	size_t i;
	json_t *v;
	if (!json_is_array(docs) || !json_array_size(docs))
		return hl_error_set(HL_EINVALID, "documents: a non-empty array of document ids");
	if (json_array_size(docs) > HL_EXCHANGE_MAX_SEND)
		return hl_error_set(HL_EINVALID, "documents: at most %d in one message",
		                    HL_EXCHANGE_MAX_SEND);
	if (!(*ids = calloc(json_array_size(docs), sizeof(**ids))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	json_array_foreach(docs, i, v)
	{
		(*ids)[i] = json_string_value(v);
	}
	*n = json_array_size(docs);
	return 0;
}

static json_t *sent_json(const hl_exchange_sent *s, const char *to, const char *dossier)
{
	json_t *out = json_object(), *a = json_array();
	json_object_set_new(out, "id", json_string(s->id));
	json_object_set_new(out, "ids", json_pack("[s]", s->id));
	json_object_set_new(out, "to", json_string(to));
	json_object_set_new(out, "state", json_string("waiting"));
	if (dossier)
		json_object_set_new(out, "dossier", json_string(dossier));
	for (size_t i = 0; i < s->n; i++)
		json_array_append_new(a, json_string(s->doc_ids[i]));
	json_object_set_new(out, "documents", a);
	return out;
}

/* ---- POST /api/v1/exchange/send ---- */

static int s_send(request *r)
{
	json_t *body = NULL, *docs;
	hl_exchange_send_req q = {0};
	hl_exchange_sent *s = NULL;
	const char **ids = NULL;
	hl_node *n = NULL;
	char loc[96];
	int rc;

	if ((rc = hl_auth_check(&r->who, HL_ACT_SEND)) != 0 || (rc = req_json(&body, r)) != 0)
		return rc;
	docs = json_object_get(body, "documents");
	if ((rc = js_get_str(&q.to, body, "to", 1)) < 0 ||
	    (rc = js_get_str(&q.dossier, body, "dossier", 0)) < 0)
		goto done;
	if (docs && (rc = doc_list(&ids, &q.ndocs, docs)) < 0)
		goto done;
	q.doc_ids = ids;
	if ((rc = open_node(&n, r)) != 0 ||
	    (rc = hl_exchange_send_documents(&s, n, &r->who, &q)) < 0)
		goto done;
	snprintf(loc, sizeof(loc), "/api/v1/exchange/messages/%s", s->id);
	resp_header(r, "Location", loc);
	rc = resp_json(r, 201, sent_json(s, q.to, q.dossier));
done:
	hl_exchange_sent_free(s);
	hl_node_free(n);
	free(ids);
	json_decref(body);
	return rc;
}

/* ---- GET /api/v1/exchange/outbox?peer= ---- */

static int s_outbox(request *r)
{
	const char *peer = req_query(r, "peer");
	json_t *out = NULL;
	int rc;
	if ((rc = hl_auth_check(&r->who, HL_ACT_EXCHANGE_FOLLOW)) != 0 ||
	    (rc = hl_exchange_outbox_json(&out, req_store(r), &r->who, peer, S_MAX_TRACK)) < 0)
		return rc;
	return resp_json(r, 200, out);
}

/* ---- GET /api/v1/exchange/messages/{id}: a sent message's delivery state ---- */

static int s_message(request *r)
{
	json_t *out = NULL;
	int rc = hl_exchange_message_json(&out, req_store(r), &r->who, req_param(r, "id"));
	if (rc < 0)
		return rc;
	return resp_json(r, 200, out);
}

/* ---- GET /api/v1/exchange/peers: the directory to choose a recipient from ---- */

static int s_peers(request *r)
{
	json_t *out = NULL;
	int rc = hl_exchange_peers_json(&out, req_store(r), &r->who);
	if (rc < 0)
		return rc;
	return resp_json(r, 200, out);
}

const route routes_send[] = {
    {M_POST, "/api/v1/exchange/send", s_send, 0, 0},
    {M_GET, "/api/v1/exchange/outbox", s_outbox, 0, 0},
    {M_GET, "/api/v1/exchange/messages/{id}", s_message, 0, 0},
    {M_GET, "/api/v1/exchange/peers", s_peers, 0, 0},
    {0},
};
