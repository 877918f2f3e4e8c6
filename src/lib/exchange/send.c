/* What a user sends to another unit — documents, a dossier's documents, a report — with the one
 * set of rules the CLI and the API share: who may send, to whom, which records (a secret one
 * never leaves; one the caller may not see answers as a missing one), each message in its own
 * transaction with its audit entries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_int.h"
#include "halong/archive.h"
#include "store/store.h"
#include "halong/util.h"

#define MAX_ID 128 /* bytes of a document id */

/* ---- the recipient ---- */

/* "to": a unit of the directory, not this node, not revoked, that may receive `type`. Every
 * refusal names the field: the recipient is part of the request. */
static int check_to(hl_node *self, const char *to, const char *type)
{
	hl_exchange__peer p;
	int rc;
	if (!to || !hl_exchange__valid_unit(to))
		return hl_error_set(HL_EINVALID, "to: a unit code ([A-Za-z0-9._-], 1 to 32)");
	if (!strcmp(to, self->unit))
		return hl_error_set(HL_EINVALID, "to: %s is this node's own unit", to);
	if ((rc = hl_exchange__peer_get(&p, self->st, to)) < 0)
		return rc;
	if (!p.found)
		rc = hl_error_set(HL_EINVALID, "to: unit %s is not in the exchange directory", to);
	else if (p.revoked)
		rc = hl_error_set(HL_EINVALID, "to: unit %s is revoked in the exchange directory",
		                  to);
	else if (!hl_exchange__list_has(p.may_receive, type))
		rc = hl_error_set(HL_EINVALID, "to: the directory does not let unit %s receive %ss",
		                  to, type);
	hl_exchange__peer_free(&p);
	return rc;
}

/* ---- the documents ---- */

/* The documents being gathered, and what the sender may see and holds. */
typedef struct {
	hl_store *st;
	const hl_principal *who;
	char **scope;
	size_t nscope;
	int all;
	hl_exchange_sent *s;
	size_t cap;
} gather;

static int in_scope(const gather *g, const char *fonds)
{
	if (g->all)
		return 1;
	for (size_t i = 0; fonds && i < g->nscope; i++)
		if (!strcmp(g->scope[i], fonds))
			return 1;
	return 0;
}

/* The one answer for a document that cannot be sent without saying whether it exists: missing,
 * hidden from the caller and secret read alike. */
static int no_doc(const char *id)
{
	return hl_error_set(HL_ENOTFOUND,
	                    "no document %.128s that you may send (missing, not visible to you, or "
	                    "secret: a secret record never leaves this node)",
	                    id);
}

static int add_id(gather *g, const char *id)
{
	hl_exchange_sent *s = g->s;
	if (s->n >= HL_EXCHANGE_MAX_SEND)
		return hl_error_set(HL_ELIMIT, "documents: at most %d in one message",
		                    HL_EXCHANGE_MAX_SEND);
	if (s->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		char **v = realloc(s->doc_ids, cap * sizeof(*v));
		if (!v)
			return hl_error_set(HL_ENOMEM, "out of memory");
		s->doc_ids = v;
		g->cap = cap;
	}
	if (!(s->doc_ids[s->n] = hl_strdup(id)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	s->n++;
	return 0;
}

/* A document the caller may send: visible to it (else as a missing one), not secret, of a fonds
 * its unit holds (seeing a public record of another unit is not holding it). */
static int check_doc(gather *g, const char *id)
{
	hl_doc *d = NULL;
	int rc;
	if (!*id || strlen(id) > MAX_ID)
		return hl_error_set(HL_EINVALID, "documents: an id of 1 to %d bytes", MAX_ID);
	if ((rc = hl_store_doc_get(&d, g->st, id)) == HL_ENOTFOUND)
		return no_doc(id);
	if (rc < 0)
		return rc;
	if (d->access >= HL_ACCESS_SECRET && g->who->local)
		rc = hl_error_set(
		    HL_EDENIED, "document %s is secret: a secret record never leaves its node", id);
	else if (!hl_auth_may_see(g->who, d->access, d->fonds_code, g->scope, g->nscope, g->all) ||
	         d->access >= HL_ACCESS_SECRET)
		rc = no_doc(id);
	else if (!in_scope(g, d->fonds_code))
		rc = hl_error_set(HL_EDENIED,
		                  "document %s is in fonds %s, which your unit does not hold: only "
		                  "the unit holding a record sends it",
		                  id, d->fonds_code ? d->fonds_code : "-");
	hl_doc_free(d);
	return rc;
}

static int from_list(gather *g, const char *const *ids, size_t n)
{
	int rc;
	if (!ids || !n)
		return hl_error_set(HL_EINVALID, "documents: a non-empty list of document ids");
	for (size_t i = 0; i < n; i++) {
		if (!ids[i])
			return hl_error_set(HL_EINVALID, "documents[%zu]: not a string", i);
		for (size_t k = 0; k < g->s->n; k++)
			if (!strcmp(g->s->doc_ids[k], ids[i]))
				return hl_error_set(HL_EINVALID, "documents: %.128s given twice",
				                    ids[i]);
		if ((rc = check_doc(g, ids[i])) < 0 || (rc = add_id(g, ids[i])) < 0)
			return rc;
	}
	return 0;
}

static int collect(const hl_doc *d, void *ud)
{
	return add_id(ud, d->doc_id);
}

/* "FONDS/DOSSIER": every document of the dossier the caller sees (never a secret one), when its
 * unit holds the fonds. A dossier with nothing visible answers as a missing one. */
static int from_dossier(gather *g, const char *spec)
{
	char fonds[129];
	const char *dossier;
	int64_t total = 0;
	hl_access ceiling = hl_auth_ceiling(g->who);
	int rc, held;
	if (strlen(spec) >= sizeof(fonds) || !(dossier = strchr(spec, '/')) || dossier == spec ||
	    !dossier[1] || strchr(dossier + 1, '/'))
		return hl_error_set(HL_EINVALID, "dossier: give FONDS/DOSSIER");
	snprintf(fonds, sizeof(fonds), "%.*s", (int)(dossier - spec), spec);
	dossier++;
	held = in_scope(g, fonds);
	rc = hl_store_dossier_docs(&total, g->st, fonds, dossier,
	                           ceiling < HL_ACCESS_SECRET ? (int)ceiling : HL_ACCESS_RESTRICTED,
	                           held, 0 /* by ordinal */, 0, HL_EXCHANGE_MAX_SEND + 1, collect,
	                           g);
	if (rc == HL_ELIMIT && g->s->n >= HL_EXCHANGE_MAX_SEND)
		return hl_error_set(HL_ELIMIT, "dossier: more than %d documents (send it in parts)",
		                    HL_EXCHANGE_MAX_SEND);
	if (rc < 0)
		return rc;
	if (!g->s->n)
		return hl_error_set(HL_ENOTFOUND, "no dossier %s in fonds %s that you may send",
		                    dossier, fonds);
	if (!held)
		return hl_error_set(
		    HL_EDENIED,
		    "dossier %s is in fonds %s, which your unit does not hold: only "
		    "the unit holding a record sends it",
		    dossier, fonds);
	return 0;
}

void hl_exchange_sent_free(hl_exchange_sent *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->doc_ids[i]);
	free(s->doc_ids);
	free(s);
}

/* The message in its own transaction: the outbox's rules (a secret record never leaves, a
 * restricted one only to a node allowed to hold it) hold here too. */
static int put_in_tx(char id[37], hl_node *self, const char *to, hl_exchange_sent *s,
                     const char *actor)
{
	int rc;
	if ((rc = hl_store_begin(self->st)) < 0)
		return rc;
	rc = hl_exchange_put_documents(id, self, to, (const char *const *)s->doc_ids, s->n, actor);
	if (rc == 0)
		return hl_store_commit(self->st);
	hl_store_rollback(self->st);
	return rc;
}

int hl_exchange_send_documents(hl_exchange_sent **out, hl_node *self, const hl_principal *who,
                               const hl_exchange_send_req *req)
{
	gather g = {.st = self->st, .who = who};
	int rc;

	if ((rc = hl_auth_check(who, HL_ACT_SEND)) < 0)
		return rc;
	if (!req->doc_ids == !req->dossier)
		return hl_error_set(HL_EINVALID, "documents: give \"documents\" (a list of ids) or "
		                                 "\"dossier\" (FONDS/DOSSIER), one of the two");
	if ((rc = check_to(self, req->to, "document")) < 0)
		return rc;
	if (!(g.s = calloc(1, sizeof(*g.s))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	if ((rc = hl_auth_scope(&g.scope, &g.nscope, &g.all, self->st, who)) < 0)
		goto done;
	if ((rc = req->dossier ? from_dossier(&g, req->dossier)
	                       : from_list(&g, req->doc_ids, req->ndocs)) < 0 ||
	    (rc = put_in_tx(g.s->id, self, req->to, g.s, hl_principal_actor(who))) < 0)
		goto done;
	*out = g.s;
	g.s = NULL;
done:
	hl_auth_fonds_free(g.scope, g.nscope);
	hl_exchange_sent_free(g.s);
	return rc;
}

int hl_exchange_send_report(char id[37], hl_node *self, const hl_principal *who, const char *to,
                            const char *payload, hl_access access)
{
	hl_exchange_msg m = {0};
	char msg_id[37];
	int rc;
	if ((rc = hl_auth_check(who, HL_ACT_SEND)) < 0 || (rc = check_to(self, to, "report")) < 0)
		return rc;
	m.to = to;
	m.type = "report";
	m.payload = payload;
	m.access = access;
	if ((rc = hl_store_begin(self->st)) < 0)
		return rc;
	if ((rc = hl_exchange_outbox_put(msg_id, self, &m)) < 0 ||
	    (rc = hl_store_audit(self->st, hl_principal_actor(who), "exchange.send", msg_id, to)) <
	        0) {
		hl_store_rollback(self->st);
		return rc;
	}
	if ((rc = hl_store_commit(self->st)) < 0)
		return rc;
	if (id)
		memcpy(id, msg_id, 37);
	return 0;
}
