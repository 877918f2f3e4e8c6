/* The exchange as JSON (include/halong/exchange_json.h): one shape per row for the CLI's --json
 * and the API, and the API's views of the status, the outbox, a message and the peers, each for
 * a principal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exchange_int.h"
#include "halong/exchange_json.h"
#include "halong/units.h"
#include "store/store_exchange.h"

json_t *hl_exchange_time_json(int64_t ms)
{
	char b[48];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (ms <= 0)
		return json_null();
	gmtime_r(&t, &tm);
	snprintf(b, sizeof(b), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return json_string(b);
}

/* A string, or null when absent (or not valid UTF-8). */
static json_t *str(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;
	return j ? j : json_null();
}

json_t *hl_node_row_json(const hl_node_row *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "unit", str(r->unit));
	json_object_set_new(o, "url", str(r->url));
	json_object_set_new(o, "public_key", str(r->public_key));
	json_object_set_new(o, "may_send", str(r->may_send));
	json_object_set_new(o, "may_receive", str(r->may_receive));
	json_object_set_new(o, "restricted", json_boolean(r->restricted));
	json_object_set_new(o, "revoked", json_boolean(r->revoked));
	json_object_set_new(o, "updated_at", str(r->updated_at));
	return o;
}

json_t *hl_exchange_peer_status_json(const hl_exchange_peer_status *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "peer", str(r->peer));
	json_object_set_new(o, "waiting", json_integer(r->waiting));
	json_object_set_new(o, "oldest_waiting", hl_exchange_time_json(r->oldest_waiting_ms));
	json_object_set_new(o, "held", json_integer(r->held));
	json_object_set_new(o, "last_success", hl_exchange_time_json(r->last_success_ms));
	json_object_set_new(o, "last_error", str(r->last_error));
	json_object_set_new(o, "last_error_at", hl_exchange_time_json(r->last_error_ms));
	return o;
}

json_t *hl_exchange_reject_json(const hl_exchange_reject_row *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "at", hl_exchange_time_json(r->at_ms));
	json_object_set_new(o, "id", str(r->msg_id));
	json_object_set_new(o, "sender", str(r->sender));
	json_object_set_new(o, "reason", str(r->reason));
	json_object_set_new(o, "detail", str(r->detail));
	return o;
}

json_t *hl_exchange_outbox_row_json(const hl_exchange_outbox_row *r, int errors)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", str(r->id));
	json_object_set_new(o, "to", str(r->recipient));
	json_object_set_new(o, "type", str(r->type));
	json_object_set_new(o, "seq", json_integer(r->seq));
	json_object_set_new(o, "created", hl_exchange_time_json(r->created_ms));
	json_object_set_new(o, "attempts", json_integer(r->attempts));
	json_object_set_new(o, "next_attempt", hl_exchange_time_json(r->next_attempt_ms));
	json_object_set_new(o, "last_error",
	                    !r->last_error || !*r->last_error ? json_null()
	                    : errors                          ? str(r->last_error)
	                                                      : json_string("(not shown)"));
	return o;
}

/* ---- views for a principal ---- */

static int self_unit(const char *unit, const char *url, const char *pk, const char *hub, void *ud)
{
	(void)url, (void)pk, (void)hub;
	snprintf(ud, 33, "%s", unit ? unit : "");
	return 0;
}

/* This node's unit, "" without an identity. */
static int node_unit(char out[33], hl_store *st)
{
	int rc = hl_store_xself_get(st, self_unit, out);
	if (rc == HL_ENOTFOUND)
		out[0] = '\0';
	return rc == HL_ENOTFOUND ? 0 : rc;
}

/* The last error of a delivery quotes the peer's answer, and a refusal's detail what a peer
 * sent, either of which can name documents of any sender on this node: they are for this node's
 * own unit, the province and the node's operator; staff of other units (accounts a hub may keep
 * for communes) see that an attempt failed or a message was refused, not why. */
static int sees_errors(hl_store *st, const hl_principal *who)
{
	char me[33] = "";
	if (who->local || who->province)
		return 1;
	if (node_unit(me, st) < 0)
		return 0;
	return me[0] && !strcmp(me, who->unit_code);
}

/* o's member `key`, when it holds something, replaced by "(not shown)". */
static void not_shown(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	if (v && *v)
		json_object_set_new(o, key, json_string("(not shown)"));
}

typedef struct {
	json_t *a;
	int errors; /* the principal sees errors and details (sees_errors) */
} rows_ctx;

static int peer_row(const hl_exchange_peer_status *r, void *ud)
{
	rows_ctx *c = ud;
	json_t *o = hl_exchange_peer_status_json(r);
	if (!c->errors)
		not_shown(o, "last_error");
	return json_array_append_new(c->a, o) ? -1 : 0;
}

static int reject_row(const hl_exchange_reject_row *r, void *ud)
{
	rows_ctx *c = ud;
	json_t *o = hl_exchange_reject_json(r);
	if (!c->errors)
		not_shown(o, "detail");
	return json_array_append_new(c->a, o) ? -1 : 0;
}

int hl_exchange_status_json(json_t **out, hl_store *st, const hl_principal *who, size_t limit)
{
	char me[33];
	rows_ctx peers = {json_array(), 0}, rej = {json_array(), 0};
	json_t *o, *feeds;
	int rc;
	if ((rc = hl_auth_check(who, HL_ACT_EXCHANGE_WATCH)) < 0 || (rc = node_unit(me, st)) < 0)
		goto fail;
	peers.errors = rej.errors = sees_errors(st, who);
	if ((rc = hl_exchange_status(st, peer_row, &peers)) < 0 ||
	    (limit && (rc = hl_exchange_rejects(st, limit, reject_row, &rej)) < 0))
		goto fail;
	o = json_object();
	json_object_set_new(o, "node", me[0] ? json_string(me) : json_null());
	json_object_set_new(o, "peers", peers.a);
	json_object_set_new(o, "rejected", rej.a);
	/* The reference-data feeds; on a failure the member is left out. */
	if ((feeds = hl_feed_status_json(st)))
		json_object_set_new(o, "feeds", feeds);
	*out = o;
	return 0;
fail:
	json_decref(peers.a);
	json_decref(rej.a);
	return rc;
}

typedef struct {
	json_t *a;
	const char *id; /* only this message */
	json_t *found;
	int errors;
} outbox_ctx;

static int outbox_row(const hl_exchange_outbox_row *r, void *ud)
{
	outbox_ctx *c = ud;
	if (c->id) {
		if (!strcmp(r->id, c->id) && !c->found)
			c->found = hl_exchange_outbox_row_json(r, c->errors);
		return 0;
	}
	return json_array_append_new(c->a, hl_exchange_outbox_row_json(r, c->errors)) ? -1 : 0;
}

int hl_exchange_outbox_json(json_t **out, hl_store *st, const hl_principal *who, const char *peer,
                            size_t max)
{
	outbox_ctx c = {0};
	int rc;
	if ((rc = hl_auth_check(who, HL_ACT_EXCHANGE_FOLLOW)) < 0)
		return rc;
	if (peer && !hl_exchange__valid_unit(peer))
		return hl_error_set(HL_EINVALID, "peer: a unit code of 1 to 32 bytes");
	c.a = json_array();
	c.errors = sees_errors(st, who);
	if ((rc = hl_exchange_outbox_pending(st, peer, 0, max, outbox_row, &c)) < 0) {
		json_decref(c.a);
		return rc;
	}
	*out = json_pack("{s:o}", "items", c.a);
	return 0;
}

typedef struct {
	char recipient[33], state[16];
} msg_state;

static int msg_cb(const char *body, const char *hash, const char *recipient, const char *state,
                  void *ud)
{
	msg_state *m = ud;
	(void)body, (void)hash;
	snprintf(m->recipient, sizeof(m->recipient), "%s", recipient ? recipient : "");
	snprintf(m->state, sizeof(m->state), "%s", state ? state : "");
	return 0;
}

int hl_exchange_message_json(json_t **out, hl_store *st, const hl_principal *who, const char *id)
{
	msg_state m = {{0}, {0}};
	outbox_ctx c = {0};
	json_t *o;
	int rc;
	if ((rc = hl_auth_check(who, HL_ACT_EXCHANGE_FOLLOW)) < 0)
		return rc;
	if (!id || strlen(id) != 36)
		return hl_error_set(HL_ENOTFOUND, "no message %.64s in the outbox", id ? id : "");
	rc = hl_store_xout_get(st, id, msg_cb, &m);
	if (rc == HL_ENOTFOUND)
		return hl_error_set(HL_ENOTFOUND, "no message %s in the outbox", id);
	if (rc < 0)
		return rc;
	if (!strcmp(m.state, "waiting")) {
		c.id = id;
		c.errors = sees_errors(st, who);
		if ((rc = hl_exchange_outbox_pending(st, m.recipient, 0, 0, outbox_row, &c)) < 0)
			return rc;
	}
	o = c.found ? c.found : json_object();
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "to", json_string(m.recipient));
	json_object_set_new(o, "state", json_string(m.state));
	*out = o;
	return 0;
}

typedef struct {
	hl_store *st;
	json_t *a;
	const char *self;
} peers_ctx;

static int peers_row(const hl_node_row *row, void *ud)
{
	peers_ctx *c = ud;
	hl_unit *u = NULL;
	json_t *o = json_object();
	json_object_set_new(o, "unit", str(row->unit));
	if (hl_units_show(&u, c->st, row->unit, NULL) == 0) {
		json_object_set_new(o, "name", str(u->full_name ? u->full_name : u->name));
		hl_unit_free(u);
	} else {
		hl_error_clear();
		json_object_set_new(o, "name", json_null());
	}
	json_object_set_new(o, "self", json_boolean(!strcmp(row->unit, c->self)));
	json_object_set_new(o, "may_receive",
	                    json_boolean(hl_exchange__list_has(row->may_receive, "document")));
	json_object_set_new(o, "restricted", json_boolean(row->restricted));
	json_object_set_new(o, "revoked", json_boolean(row->revoked));
	json_object_set_new(o, "url", str(row->url));
	json_object_set_new(o, "public_key", str(row->public_key));
	return json_array_append_new(c->a, o) ? -1 : 0;
}

int hl_exchange_peers_json(json_t **out, hl_store *st, const hl_principal *who)
{
	char me[33];
	peers_ctx c = {st, NULL, me};
	json_t *o;
	int rc;
	if ((rc = hl_auth_check(who, HL_ACT_EXCHANGE_FOLLOW)) < 0 || (rc = node_unit(me, st)) < 0)
		return rc;
	c.a = json_array();
	if ((rc = hl_node_foreach(st, peers_row, &c)) < 0) {
		json_decref(c.a);
		return rc;
	}
	o = json_object();
	json_object_set_new(o, "node", me[0] ? json_string(me) : json_null());
	json_object_set_new(o, "items", c.a);
	*out = o;
	return 0;
}
