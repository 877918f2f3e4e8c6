/* Datasets: created (checked, their row table made, audited), read as the caller may, listed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../store/store_catalog.h"
#include "../store/store_catalog_share.h"
#include "../store/store_exchange.h"
#include "catalog_int.h"
#include "halong/catalog_json.h"
#include "halong/plans.h"
#include "halong/text.h"
#include "halong/units.h"
#include "halong/util.h"

const char *const hl_catalog_sectors[] = {"tourism",     "health",     "education", "agriculture",
                                          "environment", "taxation",   "finance",   "transport",
                                          "industry",    "population", "land",      "culture",
                                          "justice",     "labour",     "other",     NULL};

void hl_dataset_free(hl_dataset *d)
{
	if (!d)
		return;
	free(d->id);
	free(d->title);
	free(d->description);
	free(d->owner);
	free(d->sector);
	for (size_t i = 0; i < d->nkeywords; i++)
		free(d->keywords[i]);
	free(d->keywords);
	free(d->licence);
	free(d->frequency);
	free(d->provenance);
	free(d->date);
	hl_table_schema_free(d->schema);
	free(d->created_at);
	free(d->created_by);
	free(d);
}

void hl_datasets_free(hl_datasets *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		hl_dataset_free(l->v[i]);
	free(l->v);
	free(l);
}

int hl_catalog__may_read(const hl_principal *who, int access)
{
	if (!who)
		return access == HL_ACCESS_PUBLIC;
	if (who->local)
		return 1;
	return access <= (int)hl_auth_ceiling(who) && access < HL_ACCESS_SECRET;
}

int hl_catalog__agency_of(char out[33], hl_store *st, const hl_principal *who)
{
	out[0] = 0;
	if (!who || who->local || !who->user_id)
		return 0;
	return hl_plans_user_agency(out, st, who);
}

int hl_catalog__may_read_ds(hl_store *st, const hl_principal *who, const char *agency, int64_t iid,
                            const char *owner, int access, int *by_grant)
{
	char today[11];
	int rc;
	*by_grant = 0;
	if (hl_catalog__may_read(who, access))
		return 1;
	/* above the role's ceiling: only a signed-in user's agency, never a secret dataset */
	if (!who || who->local || !who->user_id || !agency || !*agency ||
	    access > HL_ACCESS_RESTRICTED)
		return 0;
	if (owner && !strcmp(owner, agency))
		return 1;
	hl_plans_today(today);
	if ((rc = hl_store_data_grant_has(st, iid, agency, today)) < 0)
		return rc;
	*by_grant = rc;
	return rc;
}

static int may_write(const hl_principal *who)
{
	return who && (who->local || who->role >= HL_ROLE_OFFICER);
}

static int id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n < 1 || n > 64)
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return 0;
	return strcmp(id, ".") && strcmp(id, "..");
}

static int text_ok(const char *s, size_t max)
{
	if (!s)
		return 1;
	if (strlen(s) > max)
		return 0;
	size_t at;
	return hl_text_check_utf8(s, strlen(s), &at) == 0;
}

/* The row as a dataset (NULL: out of memory or a stored schema that no longer parses). */
static hl_dataset *from_row(const hl_store_dataset_row *r)
{
	hl_dataset *d = calloc(1, sizeof(*d));
	json_t *kw;
	if (!d)
		return NULL;
	d->id = hl_strdup(r->name);
	d->title = hl_strdup(r->title);
	d->description = hl_strdup(r->description);
	d->owner = hl_strdup(r->owner);
	d->sector = hl_strdup(r->sector);
	d->licence = hl_strdup(r->licence);
	d->frequency = hl_strdup(r->frequency);
	d->provenance = hl_strdup(r->provenance);
	d->date = hl_strdup(r->date);
	d->created_at = hl_strdup(r->created_at);
	d->created_by = hl_strdup(r->created_by);
	d->access = (hl_access)r->access;
	d->version = r->version;
	d->rows = r->rows;
	if (r->keywords && (kw = json_loads(r->keywords, 0, NULL))) {
		size_t i;
		json_t *k;
		d->keywords = calloc(json_array_size(kw) + 1, sizeof(char *));
		json_array_foreach(kw, i, k) if (json_is_string(k)) d->keywords[d->nkeywords++] =
		    hl_strdup(json_string_value(k));
		json_decref(kw);
	}
	if (hl_schema_parse(&d->schema, r->schema, strlen(r->schema), r->name) < 0) {
		hl_dataset_free(d);
		return NULL;
	}
	return d;
}

typedef struct {
	hl_store *st;
	const hl_principal *who;
	hl_catalog__ds *one;
	hl_datasets *all;
	int err;
	char agency[33]; /* the caller's (hl_catalog__agency_of), once needed */
	int agency_known;
} find_ctx;

static int on_row(const hl_store_dataset_row *r, void *ud)
{
	find_ctx *c = ud;
	hl_dataset *d;
	int ok, by_grant = 0;
	if (!hl_catalog__may_read(c->who, r->access)) {
		if (!c->agency_known) {
			if ((ok = hl_catalog__agency_of(c->agency, c->st, c->who)) < 0)
				return c->err = ok;
			c->agency_known = 1;
		}
		ok = hl_catalog__may_read_ds(c->st, c->who, c->agency, r->id, r->owner, r->access,
		                             &by_grant);
		if (ok < 0)
			return c->err = ok;
		if (!ok)
			return 0;
	}
	if (!(d = from_row(r))) {
		c->err = hl_error_code() ? hl_error_code() : HL_ENOMEM;
		return c->err;
	}
	if (c->one) {
		c->one->d = d;
		c->one->iid = r->id;
		c->one->by_grant = by_grant;
		return 1;
	}
	if (c->all->n % 16 == 0) {
		hl_dataset **v = realloc(c->all->v, (c->all->n + 16) * sizeof(*v));
		if (!v) {
			hl_dataset_free(d);
			return c->err = hl_error_set(HL_ENOMEM, "out of memory");
		}
		c->all->v = v;
	}
	c->all->v[c->all->n++] = d;
	return 0;
}

int hl_catalog__open(hl_catalog__ds *out, hl_store *st, const hl_principal *who, const char *id)
{
	find_ctx c = {.st = st, .who = who, .one = out};
	int rc;
	memset(out, 0, sizeof(*out));
	if (!id_ok(id))
		return hl_error_set(HL_ENOTFOUND, "no dataset %.64s", id ? id : "");
	rc = hl_store_dataset_foreach(st, id, on_row, &c);
	if (rc < 0)
		return rc;
	if (!out->d)
		return hl_error_set(HL_ENOTFOUND, "no dataset %s", id);
	if (!(out->types = calloc(out->d->schema->nfields, sizeof(int)))) {
		hl_catalog__close(out);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < out->d->schema->nfields; i++)
		out->types[i] = (int)out->d->schema->fields[i].type;
	return 0;
}

void hl_catalog__close(hl_catalog__ds *ds)
{
	hl_dataset_free(ds->d);
	free(ds->types);
	memset(ds, 0, sizeof(*ds));
}

int hl_dataset_get(hl_dataset **out, hl_store *st, const hl_principal *who, const char *id)
{
	hl_catalog__ds ds;
	int rc = hl_catalog__open(&ds, st, who, id);
	if (rc < 0)
		return rc;
	*out = ds.d;
	ds.d = NULL;
	hl_catalog__close(&ds);
	return 0;
}

int hl_dataset_list(hl_datasets **out, hl_store *st, const hl_principal *who)
{
	hl_datasets *l = calloc(1, sizeof(*l));
	find_ctx c = {.st = st, .who = who, .all = l};
	int rc;
	if (!l)
		return hl_error_set(HL_ENOMEM, "out of memory");
	rc = hl_store_dataset_foreach(st, NULL, on_row, &c);
	if (rc < 0 || c.err < 0) {
		hl_datasets_free(l);
		return rc < 0 ? rc : c.err;
	}
	*out = l;
	return 0;
}

/* The owner as a code: an agency of the register (by code, name or short name) or a unit. */
static int owner_code(char **out, hl_store *st, const char *owner)
{
	return hl_catalog__agency_code(out, st, owner, "owner");
}

int hl_catalog__agency_code(char **out, hl_store *st, const char *owner, const char *field)
{
	hl_agency *a = NULL;
	hl_unit *u = NULL;
	char msg[600];
	int rc = hl_agency_find(&a, st, owner, NULL);
	if (rc == 0) {
		*out = hl_strdup(a->code);
		hl_agency_free(a);
		return 0;
	}
	if (rc != HL_ENOTFOUND)
		return rc;
	snprintf(msg, sizeof(msg), "%s", hl_error_last());
	if (hl_units_show(&u, st, owner, NULL) == 0) {
		*out = hl_strdup(u->code);
		hl_unit_free(u);
		return 0;
	}
	return hl_error_set(HL_EINVALID, "%s: not an agency of the register nor a unit code: %s",
	                    field, msg);
}

int hl_dataset_create(hl_dataset **out, hl_store *st, const hl_principal *who,
                      const hl_dataset_new *d)
{
	return hl_catalog__create(out, st, who, d, 0);
}

int hl_catalog__create(hl_dataset **out, hl_store *st, const hl_principal *who,
                       const hl_dataset_new *d, int owner_as_is)
{
	hl_store_dataset_row r = {0};
	const hl_table_schema *s = d->schema;
	char now[32], *owner = NULL, *schema = NULL, *kw = NULL, date[11];
	int *types = NULL, *unique = NULL, rc, own;
	int64_t iid;
	json_t *k;

	if (!may_write(who))
		return hl_error_set(HL_EDENIED, "creating a dataset needs an officer or above");
	if (!id_ok(d->id))
		return hl_error_set(HL_EINVALID, "id: 1 to 64 of A-Z a-z 0-9 - _ . (got \"%.64s\")",
		                    d->id ? d->id : "");
	if (!d->title || !*d->title || !text_ok(d->title, 1000))
		return hl_error_set(HL_EINVALID, "title: 1 to 1,000 bytes of UTF-8");
	if (!text_ok(d->description, 100000) || !text_ok(d->licence, 1000) ||
	    !text_ok(d->frequency, 1000) || !text_ok(d->provenance, 20000))
		return hl_error_set(
		    HL_EINVALID, "description, licence, frequency or provenance: too long, or not "
		                 "UTF-8");
	if (!s || !s->nfields)
		return hl_error_set(HL_EINVALID, "a dataset needs a schema with fields");
	if (d->sector) {
		int ok = 0;
		for (int i = 0; hl_catalog_sectors[i]; i++)
			ok |= !strcmp(hl_catalog_sectors[i], d->sector);
		if (!ok)
			return hl_error_set(
			    HL_EINVALID,
			    "sector: \"%.40s\" is none of tourism, health, education, "
			    "agriculture, environment, taxation, finance, transport, "
			    "industry, population, land, culture, justice, labour, other",
			    d->sector);
	}
	if ((unsigned)d->access > HL_ACCESS_SECRET)
		return hl_error_set(HL_EINVALID, "access: public, internal, restricted or secret");
	if (d->date && hl_units_date_parse(date, d->date) < 0)
		return hl_error_set(HL_EINVALID, "date: not a day (yyyy-mm-dd): %.40s", d->date);
	if (d->nkeywords > 100)
		return hl_error_set(HL_EINVALID, "keywords: at most 100");
	k = json_array();
	for (size_t i = 0; i < d->nkeywords; i++) {
		if (!d->keywords[i] || !*d->keywords[i] || !text_ok(d->keywords[i], 200)) {
			json_decref(k);
			return hl_error_set(HL_EINVALID, "keyword %zu: 1 to 200 bytes of UTF-8",
			                    i + 1);
		}
		json_array_append_new(k, json_string(d->keywords[i]));
	}
	kw = json_dumps(k, JSON_COMPACT);
	json_decref(k);
	if (d->owner && *d->owner && owner_as_is)
		owner = hl_strdup(d->owner);
	else if (d->owner && *d->owner && (rc = owner_code(&owner, st, d->owner)) < 0)
		goto done;
	rc = HL_ENOMEM;
	if (!(schema = hl_catalog__schema_text(s)) || !(types = calloc(s->nfields, sizeof(int))) ||
	    !(unique = calloc(s->nfields, sizeof(int)))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < s->nfields; i++) {
		types[i] = (int)s->fields[i].type;
		unique[i] = s->fields[i].unique;
	}
	hl_now_utc(now);
	r.name = d->id;
	r.title = d->title;
	r.description = d->description;
	r.owner = owner;
	r.sector = d->sector ? d->sector : "other";
	r.keywords = kw;
	r.licence = d->licence;
	r.frequency = d->frequency;
	r.provenance = d->provenance;
	r.date = d->date ? date : NULL;
	r.schema = schema;
	r.created_at = now;
	r.created_by = hl_principal_actor(who);
	r.access = (int)d->access;
	/* inside the caller's transaction (the feed applying an entry), or in one of its own */
	own = !hl_store_in_tx(st);
	if (own && (rc = hl_store_begin(st)) < 0)
		goto done;
	if ((rc = hl_store_dataset_create(&iid, st, &r, types, unique, s->nfields)) < 0 ||
	    (rc = hl_store_audit(st, hl_principal_actor(who), "dataset.create", d->id,
	                         hl_access_name(d->access))) < 0) {
		if (own)
			hl_store_rollback(st);
		goto done;
	}
	if (own && (rc = hl_store_commit(st)) < 0)
		goto done;
	rc = out ? hl_dataset_get(out, st, who, d->id) : 0;
done:
	free(owner);
	free(schema);
	free(kw);
	free(types);
	free(unique);
	return rc;
}

/* ---- versions ---- */

void hl_dataset_versions_free(hl_dataset_versions *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].loaded_at);
		free(l->v[i].loaded_by);
		free(l->v[i].source);
		free(l->v[i].sha256);
	}
	free(l->v);
	free(l);
}

static int on_version(const hl_dataset_version *v, void *ud)
{
	hl_dataset_versions *l = ud;
	if (l->n % 16 == 0) {
		hl_dataset_version *nv = realloc(l->v, (l->n + 16) * sizeof(*nv));
		if (!nv)
			return hl_error_set(HL_ENOMEM, "out of memory");
		l->v = nv;
	}
	l->v[l->n] = *v;
	l->v[l->n].loaded_at = hl_strdup(v->loaded_at);
	l->v[l->n].loaded_by = hl_strdup(v->loaded_by);
	l->v[l->n].source = hl_strdup(v->source);
	l->v[l->n].sha256 = hl_strdup(v->sha256);
	l->n++;
	return 0;
}

int hl_dataset_versions_list(hl_dataset_versions **out, hl_store *st, const hl_principal *who,
                             const char *id)
{
	hl_catalog__ds ds;
	hl_dataset_versions *l;
	int rc = hl_catalog__open(&ds, st, who, id);
	if (rc < 0)
		return rc;
	if (!(l = calloc(1, sizeof(*l)))) {
		hl_catalog__close(&ds);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	rc = hl_store_dataset_versions(st, ds.iid, on_version, l);
	hl_catalog__close(&ds);
	if (rc < 0) {
		hl_dataset_versions_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

/* ---- JSON ---- */

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *hl_dataset_json(const hl_dataset *d)
{
	json_t *kw = json_array();
	for (size_t i = 0; i < d->nkeywords; i++)
		json_array_append_new(kw, json_string(d->keywords[i]));
	return json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:i,s:I,s:o,s:o,s:o}", "id",
	                 d->id, "title", jstr(d->title), "description", jstr(d->description),
	                 "owner", jstr(d->owner), "sector", jstr(d->sector), "keywords", kw,
	                 "licence", jstr(d->licence), "frequency", jstr(d->frequency), "provenance",
	                 jstr(d->provenance), "date", jstr(d->date), "access",
	                 hl_access_name(d->access), "version", d->version, "rows",
	                 (json_int_t)d->rows, "created_at", jstr(d->created_at), "created_by",
	                 jstr(d->created_by), "schema", hl_table_schema_json(d->schema));
}

json_t *hl_dataset_version_json(const hl_dataset_version *v)
{
	return json_pack("{s:i,s:o,s:o,s:o,s:o,s:I,s:b,s:I,s:I,s:I,s:I,s:I,s:I}", "version",
	                 v->version, "loaded_at", jstr(v->loaded_at), "loaded_by",
	                 jstr(v->loaded_by), "source", jstr(v->source), "sha256", jstr(v->sha256),
	                 "size", (json_int_t)v->size, "replace", v->replace, "rows",
	                 (json_int_t)v->rows, "added", (json_int_t)v->added, "changed",
	                 (json_int_t)v->changed, "removed", (json_int_t)v->removed, "unchanged",
	                 (json_int_t)v->unchanged, "rejected", (json_int_t)v->rejected);
}
