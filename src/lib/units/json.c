/* The units and custody as JSON: one writer for `halong units|custody … --json` and the API. */
#include <string.h>

#include "halong/units_json.h"

/* A string, or null (also for bytes that are not UTF-8: the key is never left out). */
static json_t *str(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;
	return j ? j : json_null();
}

/* A string, or null when absent or empty. */
static void set(json_t *o, const char *key, const char *s)
{
	json_object_set_new(o, key, s && *s ? str(s) : json_null());
}

json_t *hl_succession_json(const hl_succession *s)
{
	json_t *o = json_object();
	set(o, "old_code", s->old_code);
	set(o, "old_name", s->old_name);
	set(o, "new_code", s->new_code);
	set(o, "new_name", s->new_name);
	json_object_set_new(o, "kind", json_string(hl_succ_kind_name(s->kind)));
	set(o, "merge_type", s->merge_type);
	json_object_set_new(o, "effective_date", json_string(s->effective_date));
	set(o, "event_id", s->event_id);
	set(o, "legal_basis", s->legal_basis);
	json_object_set_new(o, "depth", json_integer(s->depth));
	return o;
}

json_t *hl_successions_json(const hl_successions *l)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, hl_succession_json(&l->v[i]));
	return a;
}

json_t *hl_unit_json(const hl_unit *u, int links)
{
	json_t *o = json_object();
	json_object_set_new(o, "code", json_string(u->code));
	set(o, "name", u->name);
	set(o, "full_name", u->full_name);
	json_object_set_new(o, "type", json_string(hl_unit_type_key(u->type)));
	json_object_set_new(o, "type_name", json_string(hl_unit_type_name(u->type)));
	json_object_set_new(o, "valid_from", json_string(u->valid_from));
	/* false: valid_from is where the data begins, the unit is older */
	json_object_set_new(o, "valid_from_known",
	                    json_boolean(strcmp(u->valid_from, HL_UNITS_DATA_FROM) != 0));
	set(o, "valid_to", u->valid_to);
	set(o, "parent_code", u->parent_code);
	set(o, "parent_name", u->parent_name);
	set(o, "event_id", u->event_id);
	set(o, "legal_basis", u->legal_basis);
	if (links) {
		json_object_set_new(o, "successors", hl_successions_json(&u->next));
		json_object_set_new(o, "predecessors", hl_successions_json(&u->prev));
	} else {
		json_object_set_new(o, "depth", json_integer(u->depth));
	}
	return o;
}

json_t *hl_custody_step_json(const hl_custody_step *s)
{
	json_t *o = json_object(), *opt = json_array();
	json_object_set_new(o, "effective_date", json_string(s->effective_date));
	set(o, "from_code", s->from_code);
	set(o, "from_name", s->from_name);
	set(o, "to_code", s->to_code);
	set(o, "to_name", s->to_name);
	json_object_set_new(o, "how", json_string(s->how));
	set(o, "basis", s->basis);
	set(o, "decided_by", s->decided_by);
	set(o, "decided_at", s->decided_at);
	set(o, "suggested_code", s->suggest_code);
	set(o, "suggested_name", s->suggest_name);
	for (size_t i = 0; i < s->options.n; i++) {
		const hl_succession *x = &s->options.v[i];
		json_t *e = json_object();
		set(e, "code", x->new_code);
		set(e, "name", x->new_name);
		json_object_set_new(e, "kind", json_string(hl_succ_kind_name(x->kind)));
		set(e, "merge_type", x->merge_type);
		json_array_append_new(opt, e);
	}
	json_object_set_new(o, "successors", opt);
	return o;
}

json_t *hl_custody_json(const hl_custody *c, int64_t dossiers, int64_t documents)
{
	json_t *o = json_object(), *st = json_array();
	json_object_set_new(o, "fonds_code", str(c->fonds_code));
	set(o, "fonds_name", c->fonds_name);
	set(o, "creator_code", c->creator_code);
	set(o, "creator_name", c->creator_name);
	set(o, "creator_on", c->creator_on);
	json_object_set_new(o, "state", json_string(hl_custody_state_name(c->state)));
	set(o, "custodian_code", c->custodian_code);
	set(o, "custodian_name", c->custodian_name);
	json_object_set_new(o, "inherited", json_boolean(c->received != NULL));
	json_object_set_new(o, "received_on",
	                    c->received ? json_string(c->received->effective_date) : json_null());
	json_object_set_new(o, "dossiers", json_integer(dossiers));
	json_object_set_new(o, "documents", json_integer(documents));
	for (size_t i = 0; i < c->nsteps; i++)
		json_array_append_new(st, hl_custody_step_json(&c->steps[i]));
	json_object_set_new(o, "steps", st);
	return o;
}

json_t *hl_custodies_json(const hl_custodies *l)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(
		    a, hl_custody_json(&l->v[i], l->v[i].dossiers, l->v[i].documents));
	return a;
}

json_t *hl_fonds_row_json(const hl_custody *c)
{
	json_t *o = json_object();
	json_object_set_new(o, "code", str(c->fonds_code));
	set(o, "name", c->fonds_name);
	set(o, "creator_code", c->creator_code);
	set(o, "creator_name", c->creator_name);
	set(o, "creator_on", c->creator_on);
	set(o, "custodian_code", c->custodian_code);
	set(o, "custodian_name", c->custodian_name);
	json_object_set_new(o, "state", json_string(hl_custody_state_name(c->state)));
	json_object_set_new(o, "dossiers", json_integer(c->dossiers));
	json_object_set_new(o, "documents", json_integer(c->documents));
	return o;
}

json_t *hl_receipt_json(const hl_receipt *r)
{
	json_t *j = json_object(), *lines = json_array();
	json_object_set_new(j, "to_code", str(r->to_code));
	set(j, "to_name", r->to_name);
	json_object_set_new(j, "date", json_string(r->date));
	json_object_set_new(j, "fonds", json_integer((json_int_t)r->nfonds));
	json_object_set_new(j, "dossiers", json_integer((json_int_t)r->n));
	json_object_set_new(j, "documents", json_integer(r->documents));
	json_object_set_new(j, "pages", json_integer(r->pages));
	json_object_set_new(j, "files", json_integer(r->files));
	json_object_set_new(j, "bytes", json_integer(r->bytes));
	json_object_set_new(j, "sha256", json_string(r->digest));
	for (size_t i = 0; i < r->n; i++) {
		const hl_receipt_line *l = &r->v[i];
		json_t *e = json_object();
		json_object_set_new(e, "fonds_code", str(l->fonds_code));
		set(e, "fonds_name", l->fonds_name);
		json_object_set_new(e, "from_code", str(l->from_code));
		set(e, "from_name", l->from_name);
		json_object_set_new(e, "date", json_string(l->effective_date));
		set(e, "basis", l->basis);
		json_object_set_new(e, "dossier_code", str(l->dossier_code));
		set(e, "dossier_title", l->dossier_title);
		json_object_set_new(e, "documents", json_integer(l->documents));
		json_object_set_new(e, "pages", json_integer(l->pages));
		json_object_set_new(e, "files", json_integer(l->files));
		json_object_set_new(e, "bytes", json_integer(l->bytes));
		json_object_set_new(e, "max_access", json_string(hl_access_name(l->max_access)));
		/* "" (not null) when the principal could not check it: a string either way */
		json_object_set_new(e, "sha256", json_string(l->digest));
		json_array_append_new(lines, e);
	}
	json_object_set_new(j, "dossiers_list", lines);
	return j;
}
