/* Sending records to another unit from the API (docs/api.md "Sending to another unit"): a
 * document or a dossier put in the exchange outbox for the sender thread, the waiting messages,
 * one message's delivery state, and the directory's peers to choose a recipient from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "halong/exchange.h"
#include "store/store_exchange.h"
#include "halong/units.h"
#include "halong/util.h"
#include "server_int.h"

#define S_MAX_DOCS  1000 /* documents in one message (a dossier included) */
#define S_MAX_ID    128  /* bytes of a document id */
#define S_MAX_UNIT  32   /* bytes of a unit code (docs/exchange.md "Limits") */
#define S_MAX_TRACK 1000 /* waiting messages listed */

/* Who may send: the staff who hold the records (their unit's fonds). */
#define S_ROLES_SEND                                                                               \
	(HL_ROLE_BIT(HL_ROLE_ARCHIVIST) | HL_ROLE_BIT(HL_ROLE_OFFICER) | HL_ROLE_BIT(HL_ROLE_ADMIN))
/* Who may follow what is sent. */
#define S_ROLES_READ (S_ROLES_SEND | HL_ROLE_BIT(HL_ROLE_INSPECTOR))

/* The one answer for a document that cannot be sent from here without saying whether it exists:
 * missing, hidden from the caller and secret read alike (docs/api.md). */
static int no_doc(const char *id)
{
	return hl_error_set(HL_ENOTFOUND,
	                    "no document %.128s that you may send (missing, not visible to you, or "
	                    "secret: a secret record never leaves this node)",
	                    id);
}

/* This node's unit (from its identity), or "" when it has none. */
static int self_unit(const char *unit, const char *url, const char *pk, const char *hub, void *ud)
{
	(void)url;
	(void)pk;
	(void)hub;
	snprintf(ud, S_MAX_UNIT + 1, "%s", unit ? unit : "");
	return 0;
}

/* ---- the recipient ---- */

typedef struct {
	const char *unit;
	int found, revoked, restricted, receives;
} peer_find;

/* Does the comma-separated list hold `type` (or "*")? */
static int list_has(const char *list, const char *type)
{
	size_t n = strlen(type);
	const char *p = list ? list : "";
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if ((len == 1 && *p == '*') || (len == n && !memcmp(p, type, n)))
			return 1;
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}

static int peer_cb(const hl_node_row *row, void *ud)
{
	peer_find *f = ud;
	if (strcmp(row->unit, f->unit) != 0)
		return 0;
	f->found = 1;
	f->revoked = row->revoked;
	f->restricted = row->restricted;
	f->receives = list_has(row->may_receive, "document");
	return 0;
}

/* "to": a unit of the directory, not this node, not revoked, that may receive documents.
 * Every refusal names the field: the recipient is part of the body. */
static int check_to(hl_req *r, const char *to, const char *self)
{
	peer_find f = {to, 0, 0, 0, 0};
	int rc;
	if (!*to || strlen(to) > S_MAX_UNIT ||
	    strspn(to, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
	               "vwxyz0123456789._-") != strlen(to))
		return hl_error_set(HL_EINVALID, "to: a unit code ([A-Za-z0-9._-], 1 to 32)");
	if (!strcmp(to, self))
		return hl_error_set(HL_EINVALID, "to: %s is this node's own unit", to);
	if ((rc = hl_node_foreach(hl_req_store(r), peer_cb, &f)) < 0)
		return rc;
	if (!f.found)
		return hl_error_set(HL_EINVALID, "to: unit %s is not in the exchange directory",
		                    to);
	if (f.revoked)
		return hl_error_set(HL_EINVALID, "to: unit %s is revoked in the exchange directory",
		                    to);
	if (!f.receives)
		return hl_error_set(HL_EINVALID,
		                    "to: the directory does not let unit %s receive documents", to);
	return 0;
}

/* ---- the documents ---- */

typedef struct {
	char **ids;
	size_t n, cap;
} id_list;

static void ids_free(id_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->ids[i]);
	free(l->ids);
	memset(l, 0, sizeof(*l));
}

static int ids_add(id_list *l, const char *id)
{
	if (l->n >= S_MAX_DOCS)
		return hl_error_set(HL_EINVALID, "documents: at most %d in one message",
		                    S_MAX_DOCS);
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **v = realloc(l->ids, cap * sizeof(*v));
		if (!v)
			return hl_error_set(HL_ENOMEM, "out of memory");
		l->ids = v;
		l->cap = cap;
	}
	if (!(l->ids[l->n] = hl_strdup(id)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	l->n++;
	return 0;
}

static int collect(const hl_doc *d, void *ud)
{
	return ids_add(ud, d->doc_id);
}

/* A document the caller may send: visible to the caller (else 404, as a missing one), and of a
 * fonds the caller's unit holds (else 403: seeing a public record of another unit is not
 * holding it). */
static int check_doc(hl_req *r, const char *id)
{
	hl_doc *d = NULL;
	int rc;
	if (!*id || strlen(id) > S_MAX_ID)
		return hl_error_set(HL_EINVALID, "documents: an id of 1 to %d bytes", S_MAX_ID);
	if ((rc = hl_store_doc_get(&d, hl_req_store(r), id)) == HL_ENOTFOUND)
		return no_doc(id);
	if (rc < 0)
		return rc;
	if (!hl_req_may_see(r, d->access, d->fonds_code))
		rc = no_doc(id);
	else if (!hl_req_in_scope(r, d->fonds_code))
		rc = hl_error_set(HL_EDENIED,
		                  "document %s is in fonds %s, which your unit does not hold: only "
		                  "the unit holding a record sends it",
		                  id, d->fonds_code ? d->fonds_code : "-");
	hl_doc_free(d);
	return rc;
}

static int docs_from_list(id_list *l, hl_req *r, json_t *arr)
{
	size_t i;
	json_t *v;
	int rc;
	if (!json_is_array(arr) || !json_array_size(arr))
		return hl_error_set(HL_EINVALID, "documents: a non-empty array of document ids");
	json_array_foreach(arr, i, v)
	{
		const char *id = json_string_value(v);
		if (!id)
			return hl_error_set(HL_EINVALID, "documents[%zu]: not a string", i);
		for (size_t k = 0; k < l->n; k++)
			if (!strcmp(l->ids[k], id))
				return hl_error_set(HL_EINVALID, "documents: %.128s given twice",
				                    id);
		if ((rc = check_doc(r, id)) < 0 || (rc = ids_add(l, id)) < 0)
			return rc;
	}
	return 0;
}

/* "FONDS/DOSSIER": every document of the dossier the caller sees (never a secret one), when the
 * caller's unit holds the fonds. A dossier with nothing visible answers as a missing one. */
static int docs_from_dossier(id_list *l, hl_req *r, const char *spec)
{
	char fonds[129], *dossier;
	int64_t total = 0;
	int rc;
	if (strlen(spec) >= sizeof(fonds) || !(dossier = strchr(spec, '/')) || dossier == spec ||
	    !dossier[1] || strchr(dossier + 1, '/'))
		return hl_error_set(HL_EINVALID, "dossier: give FONDS/DOSSIER");
	snprintf(fonds, sizeof(fonds), "%.*s", (int)(dossier - spec), spec);
	dossier++;
	rc = hl_store_dossier_docs(&total, hl_req_store(r), fonds, dossier, (int)hl_req_ceiling(r),
	                           hl_req_in_scope(r, fonds), 0, S_MAX_DOCS + 1, collect, l);
	if (rc == HL_EINVALID && l->n >= S_MAX_DOCS)
		return hl_error_set(
		    HL_EINVALID, "dossier: more than %d documents (send it in parts)", S_MAX_DOCS);
	if (rc < 0)
		return rc;
	if (!l->n)
		return hl_error_set(HL_ENOTFOUND, "no dossier %s in fonds %s that you may send",
		                    dossier, fonds);
	if (!hl_req_in_scope(r, fonds))
		return hl_error_set(
		    HL_EDENIED,
		    "dossier %s is in fonds %s, which your unit does not hold: only "
		    "the unit holding a record sends it",
		    dossier, fonds);
	return 0;
}

/* ---- POST /api/v1/exchange/send ---- */

static int s_send(hl_req *r)
{
	json_t *body = NULL, *docs, *out;
	const char *to, *dossier = NULL;
	char self[S_MAX_UNIT + 1] = "", id[37];
	id_list l = {0};
	hl_node *n = NULL;
	int rc;

	if ((rc = hl_req_require(r, S_ROLES_SEND)) != 0)
		return rc;
	if ((rc = hl_req_json(&body, r)) != 0)
		return rc;
	docs = json_object_get(body, "documents");
	if ((rc = hl_json_get_str(&to, body, "to", 1)) < 0 ||
	    (rc = hl_json_get_str(&dossier, body, "dossier", 0)) < 0)
		goto done;
	if (!docs == !dossier) {
		rc = hl_error_set(HL_EINVALID, "documents: give \"documents\" (a list of ids) or "
		                               "\"dossier\" (FONDS/DOSSIER), one of the two");
		goto done;
	}
	rc = hl_store_xself_get(hl_req_store(r), self_unit, self);
	if (rc == HL_ENOTFOUND || (rc == 0 && !self[0])) {
		rc = hl_resp_error(r, 503, "this node has no exchange identity (halong node init)");
		goto done;
	}
	if (rc < 0 || (rc = check_to(r, to, self)) < 0)
		goto done;
	if ((rc = docs ? docs_from_list(&l, r, docs) : docs_from_dossier(&l, r, dossier)) < 0)
		goto done;
	if ((rc = hl_node_open(&n, hl_req_store(r), hl_server_options()->home)) < 0)
		goto done;
	/* The library's rules hold here too: a secret record never leaves, a restricted one only
	 * to a recipient allowed to hold it (HL_EDENIED with the reason, answered 403). */
	if ((rc = hl_store_begin(hl_req_store(r))) < 0)
		goto done;
	rc = hl_exchange_put_documents(id, n, to, (const char *const *)l.ids, l.n, hl_req_actor(r));
	if (rc == 0)
		rc = hl_store_commit(hl_req_store(r));
	else
		hl_store_rollback(hl_req_store(r));
	if (rc < 0)
		goto done;
	out = json_object();
	json_object_set_new(out, "id", json_string(id));
	json_object_set_new(out, "ids", json_pack("[s]", id));
	json_object_set_new(out, "to", json_string(to));
	json_object_set_new(out, "state", json_string("waiting"));
	if (dossier)
		json_object_set_new(out, "dossier", json_string(dossier));
	{
		json_t *a = json_array();
		for (size_t i = 0; i < l.n; i++)
			json_array_append_new(a, json_string(l.ids[i]));
		json_object_set_new(out, "documents", a);
	}
	{
		char loc[96];
		snprintf(loc, sizeof(loc), "/api/v1/exchange/messages/%s", id);
		hl_resp_header(r, "Location", loc);
	}
	rc = hl_resp_json(r, 201, out);
done:
	hl_node_free(n);
	ids_free(&l);
	json_decref(body);
	return rc;
}

/* ---- GET /api/v1/exchange/outbox?peer= ---- */

typedef struct {
	json_t *a;
	const char *id; /* only this message (messages/{id}) */
	json_t *found;
	int errors; /* the caller may read the peers' answers (last_error) */
} outbox_ctx;

/* The last error of a delivery quotes the peer's answer, which can name documents of any sender
 * on this node: it is for this node's own unit and the province; staff of other units (accounts
 * a hub may keep for communes) see that an attempt failed, not why. */
static int sees_errors(hl_req *r)
{
	char self[S_MAX_UNIT + 1] = "";
	if (r->who.province)
		return 1;
	if (hl_store_xself_get(hl_req_store(r), self_unit, self) < 0)
		return 0;
	return self[0] && !strcmp(self, r->who.unit_code);
}

static json_t *outbox_json(const hl_exchange_outbox_row *row, int errors)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(row->id));
	json_object_set_new(o, "to", json_string(row->recipient));
	json_object_set_new(o, "type", json_string(row->type));
	json_object_set_new(o, "seq", json_integer(row->seq));
	json_object_set_new(o, "created", hl_json_time(row->created_ms));
	json_object_set_new(o, "attempts", json_integer(row->attempts));
	json_object_set_new(o, "next_attempt", hl_json_time(row->next_attempt_ms));
	json_object_set_new(o, "last_error",
	                    !row->last_error || !*row->last_error ? json_null()
	                    : errors                              ? json_string(row->last_error)
	                                                          : json_string("(not shown)"));
	return o;
}

static int outbox_row(const hl_exchange_outbox_row *row, void *ud)
{
	outbox_ctx *c = ud;
	if (c->id) {
		if (!strcmp(row->id, c->id) && !c->found)
			c->found = outbox_json(row, c->errors);
		return 0;
	}
	json_array_append_new(c->a, outbox_json(row, c->errors));
	return 0;
}

static int s_outbox(hl_req *r)
{
	const char *peer = hl_req_query(r, "peer");
	outbox_ctx c = {0};
	int rc;
	if ((rc = hl_req_require(r, S_ROLES_READ)) != 0)
		return rc;
	if (peer && (!*peer || strlen(peer) > S_MAX_UNIT))
		return hl_error_set(HL_EINVALID, "peer: a unit code of 1 to 32 bytes");
	c.a = json_array();
	c.errors = sees_errors(r);
	if ((rc = hl_exchange_outbox_pending(hl_req_store(r), peer, 0, S_MAX_TRACK, outbox_row,
	                                     &c)) < 0) {
		json_decref(c.a);
		return rc;
	}
	return hl_resp_json(r, 200, json_pack("{s:o}", "items", c.a));
}

/* ---- GET /api/v1/exchange/messages/{id}: a sent message's delivery state ---- */

typedef struct {
	char recipient[S_MAX_UNIT + 1], state[16];
} msg_state;

static int msg_cb(const char *body, const char *hash, const char *recipient, const char *state,
                  void *ud)
{
	msg_state *m = ud;
	(void)body;
	(void)hash;
	snprintf(m->recipient, sizeof(m->recipient), "%s", recipient ? recipient : "");
	snprintf(m->state, sizeof(m->state), "%s", state ? state : "");
	return 0;
}

static int s_message(hl_req *r)
{
	const char *id = hl_req_param(r, "id");
	msg_state m = {{0}, {0}};
	outbox_ctx c = {0};
	json_t *o;
	int rc;
	if ((rc = hl_req_require(r, S_ROLES_READ)) != 0)
		return rc;
	if (strlen(id) != 36)
		return hl_error_set(HL_ENOTFOUND, "no message %.64s in the outbox", id);
	rc = hl_store_xout_get(hl_req_store(r), id, msg_cb, &m);
	if (rc == HL_ENOTFOUND)
		return hl_error_set(HL_ENOTFOUND, "no message %s in the outbox", id);
	if (rc < 0)
		return rc;
	if (!strcmp(m.state, "waiting")) {
		c.id = id;
		c.errors = sees_errors(r);
		if ((rc = hl_exchange_outbox_pending(hl_req_store(r), m.recipient, 0, 0, outbox_row,
		                                     &c)) < 0)
			return rc;
	}
	o = c.found ? c.found : json_object();
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "to", json_string(m.recipient));
	json_object_set_new(o, "state", json_string(m.state));
	return hl_resp_json(r, 200, o);
}

/* ---- GET /api/v1/exchange/peers: the directory to choose a recipient from ---- */

typedef struct {
	hl_req *r;
	json_t *a;
	const char *self;
} peers_ctx;

static int peers_row(const hl_node_row *row, void *ud)
{
	peers_ctx *c = ud;
	hl_unit *u = NULL;
	json_t *o = json_object();
	json_object_set_new(o, "unit", json_string(row->unit));
	if (hl_units_show(&u, hl_req_store(c->r), row->unit, NULL) == 0) {
		hl_json_set_str(o, "name", u->full_name ? u->full_name : u->name);
		hl_unit_free(u);
	} else {
		hl_error_clear();
		json_object_set_new(o, "name", json_null());
	}
	json_object_set_new(o, "self", json_boolean(!strcmp(row->unit, c->self)));
	json_object_set_new(o, "may_receive", json_boolean(list_has(row->may_receive, "document")));
	json_object_set_new(o, "restricted", json_boolean(row->restricted));
	json_object_set_new(o, "revoked", json_boolean(row->revoked));
	json_object_set_new(o, "url", hl_json_str(row->url));
	json_object_set_new(o, "public_key", hl_json_str(row->public_key));
	json_array_append_new(c->a, o);
	return 0;
}

static int s_peers(hl_req *r)
{
	char self[S_MAX_UNIT + 1] = "";
	peers_ctx c = {r, NULL, self};
	json_t *out;
	int rc;
	if ((rc = hl_req_require(r, S_ROLES_READ)) != 0)
		return rc;
	rc = hl_store_xself_get(hl_req_store(r), self_unit, self);
	if (rc < 0 && rc != HL_ENOTFOUND)
		return rc;
	c.a = json_array();
	if ((rc = hl_node_foreach(hl_req_store(r), peers_row, &c)) < 0) {
		json_decref(c.a);
		return rc;
	}
	out = json_object();
	json_object_set_new(out, "node", self[0] ? json_string(self) : json_null());
	json_object_set_new(out, "items", c.a);
	return hl_resp_json(r, 200, out);
}

const hl_route hl_routes_send[] = {
    {HL_POST, "/api/v1/exchange/send", s_send, 0, 0},
    {HL_GET, "/api/v1/exchange/outbox", s_outbox, 0, 0},
    {HL_GET, "/api/v1/exchange/messages/{id}", s_message, 0, 0},
    {HL_GET, "/api/v1/exchange/peers", s_peers, 0, 0},
    {0},
};
