/* Datasets: created (checked, their row table made, audited), read as the caller may, listed,
 * searched with facets; the rejects of a load kept for those who may read the dataset. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	free(d->loaded_at);
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

int hl_catalog__id_ok(const char *id)
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
	d->loaded_at = hl_strdup(r->loaded_at);
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
	if (!hl_catalog__id_ok(id))
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
	if (!hl_catalog__id_ok(d->id))
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
	/* a dataset its creator could not read would be made and then answer "no dataset" */
	if (!hl_catalog__may_read(who, (int)d->access))
		return hl_error_set(
		    HL_EDENIED,
		    "access: a %s dataset is created by someone who may read it (you "
		    "read up to %s)",
		    hl_access_name(d->access), hl_access_name(hl_auth_ceiling(who)));
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
	return json_pack(
	    "{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:i,s:I,s:o,s:o,s:o,s:o}", "id", d->id,
	    "title", jstr(d->title), "description", jstr(d->description), "owner", jstr(d->owner),
	    "sector", jstr(d->sector), "keywords", kw, "licence", jstr(d->licence), "frequency",
	    jstr(d->frequency), "provenance", jstr(d->provenance), "date", jstr(d->date), "access",
	    hl_access_name(d->access), "version", d->version, "rows", (json_int_t)d->rows,
	    "created_at", jstr(d->created_at), "created_by", jstr(d->created_by), "loaded_at",
	    jstr(d->loaded_at), "schema", hl_table_schema_json(d->schema));
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

/* ---- the catalogue's search, the API's loads and their rejects ("api" section) ---- */

void hl_dataset_found_free(hl_dataset_found *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->page.n; i++) {
		hl_dataset_free(f->page.v[i]);
		free(f->owner_names ? f->owner_names[i] : NULL);
	}
	free(f->page.v);
	free(f->owner_names);
	for (size_t i = 0; i < f->nsectors; i++)
		free(f->sectors[i].value), free(f->sectors[i].name);
	for (size_t i = 0; i < f->nowners; i++)
		free(f->owners[i].value), free(f->owners[i].name);
	free(f->sectors);
	free(f->owners);
	free(f);
}

#define SEARCH_MAX_WORDS 16

typedef struct {
	hl_store *st;
	const hl_principal *who;
	const hl_dataset_search_opts *o;
	char *words[SEARCH_MAX_WORDS];
	size_t nwords;
	hl_dataset_found *f;
	size_t cap;
	char agency[33]; /* the caller's (hl_catalog__agency_of), once needed */
	int agency_known;
} search_ctx;

/* Counts one more dataset of `value` in a facet. */
static int facet_add(hl_dataset_facet **v, size_t *n, const char *value)
{
	hl_dataset_facet *nv;
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i].value, value)) {
			(*v)[i].count++;
			return 0;
		}
	if (!(nv = realloc(*v, (*n + 1) * sizeof(*nv))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	*v = nv;
	nv[*n] = (hl_dataset_facet){.value = hl_strdup(value), .count = 1};
	if (!nv[*n].value)
		return hl_error_set(HL_ENOMEM, "out of memory");
	(*n)++;
	return 0;
}

/* Does the folded text of `s` hold every word? */
static int words_in(const search_ctx *c, const char *title, const char *desc, const char *kw)
{
	char *f[3] = {NULL, NULL, NULL};
	const char *src[3] = {title, desc, kw};
	int all = 1;
	for (size_t i = 0; i < 3; i++)
		if (src[i] && hl_text_fold(&f[i], src[i], -1) < 0)
			f[i] = NULL; /* not UTF-8: nothing found in it */
	for (size_t w = 0; all && w < c->nwords; w++) {
		int found = 0;
		for (size_t i = 0; !found && i < 3; i++)
			found = f[i] && strstr(f[i], c->words[w]);
		all = found;
	}
	free(f[0]), free(f[1]), free(f[2]);
	return all;
}

/* Is the dataset owned by unit `code`, or do its unit-code columns hold it now? */
static int holds_unit(int *yes, const search_ctx *c, const hl_store_dataset_row *r,
                      const hl_dataset *d)
{
	*yes = r->owner && !strcmp(r->owner, c->o->unit);
	for (size_t i = 0; !*yes && i < d->schema->nfields; i++)
		if (d->schema->fields[i].unit) {
			int rc = hl_store_ds_holds(yes, c->st, r->id, i, c->o->unit);
			if (rc < 0)
				return rc;
		}
	return 0;
}

static int on_search(const hl_store_dataset_row *r, void *ud)
{
	search_ctx *c = ud;
	hl_dataset_found *f = c->f;
	hl_dataset *d;
	int rc, by_grant;
	/* the one access rule (hl_catalog__may_read_ds): a granted dataset is found too */
	if (!hl_catalog__may_read(c->who, r->access)) {
		if (!c->agency_known) {
			if ((rc = hl_catalog__agency_of(c->agency, c->st, c->who)) < 0)
				return rc;
			c->agency_known = 1;
		}
		if ((rc = hl_catalog__may_read_ds(c->st, c->who, c->agency, r->id, r->owner,
		                                  r->access, &by_grant)) <= 0)
			return rc;
	}
	if (c->nwords && !words_in(c, r->title, r->description, r->keywords))
		return 0;
	if (!(d = from_row(r)))
		return hl_error_code() ? hl_error_code() : hl_error_set(HL_ENOMEM, "out of memory");
	if (c->o->unit) {
		int yes = 0;
		if ((rc = holds_unit(&yes, c, r, d)) < 0 || !yes) {
			hl_dataset_free(d);
			return rc;
		}
	}
	if ((rc = facet_add(&f->sectors, &f->nsectors, d->sector)) < 0 ||
	    (d->owner && (rc = facet_add(&f->owners, &f->nowners, d->owner)) < 0)) {
		hl_dataset_free(d);
		return rc;
	}
	f->total++;
	if (f->total <= c->o->offset || (c->o->limit && f->page.n >= c->o->limit)) {
		hl_dataset_free(d);
		return 0;
	}
	if (f->page.n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		hl_dataset **v = realloc(f->page.v, cap * sizeof(*v));
		if (!v) {
			hl_dataset_free(d);
			return hl_error_set(HL_ENOMEM, "out of memory");
		}
		f->page.v = v;
		c->cap = cap;
	}
	f->page.v[f->page.n++] = d;
	return 0;
}

/* The owner's name: the agency's (the register, today) or the unit's; NULL when unknown. */
static char *owner_name(hl_store *st, const char *code)
{
	hl_agency *a = NULL;
	hl_unit *u = NULL;
	char *name = NULL;
	if (hl_agency_find(&a, st, code, NULL) == 0) {
		name = hl_strdup(a->name);
		hl_agency_free(a);
	} else if (hl_units_show(&u, st, code, NULL) == 0) {
		name = hl_strdup(u->full_name ? u->full_name : u->name);
		hl_unit_free(u);
	}
	hl_error_clear();
	return name;
}

static int facet_cmp(const void *a, const void *b)
{
	return strcmp(((const hl_dataset_facet *)a)->value, ((const hl_dataset_facet *)b)->value);
}

int hl_dataset_search(hl_dataset_found **out, hl_store *st, const hl_principal *who,
                      const hl_dataset_search_opts *o)
{
	hl_dataset_search_opts none = {0}, oo;
	search_ctx c = {.st = st, .who = who};
	char *folded = NULL, *save = NULL;
	int rc = 0;

	oo = o ? *o : none;
	/* "" is no condition, as an absent parameter */
	if (oo.q && !*oo.q)
		oo.q = NULL;
	if (oo.sector && !*oo.sector)
		oo.sector = NULL;
	if (oo.owner && !*oo.owner)
		oo.owner = NULL;
	if (oo.unit && !*oo.unit)
		oo.unit = NULL;
	c.o = &oo;
	if (oo.sector) {
		int ok = 0;
		for (int i = 0; hl_catalog_sectors[i]; i++)
			ok |= !strcmp(hl_catalog_sectors[i], oo.sector);
		if (!ok)
			return hl_error_set(
			    HL_EINVALID,
			    "sector: \"%.40s\" is none of tourism, health, education, agriculture, "
			    "environment, taxation, finance, transport, industry, population, "
			    "land, "
			    "culture, justice, labour, other",
			    oo.sector);
	}
	if (oo.q) {
		if (strlen(oo.q) > 1000 || !text_ok(oo.q, 1000))
			return hl_error_set(HL_EINVALID, "q: at most 1,000 bytes of UTF-8");
		if (hl_text_fold(&folded, oo.q, -1) < 0)
			return hl_error_set(HL_EINVALID, "q: not UTF-8");
		for (char *w = strtok_r(folded, " \t\r\n,;", &save); w;
		     w = strtok_r(NULL, " \t\r\n,;", &save)) {
			if (c.nwords == SEARCH_MAX_WORDS) {
				free(folded);
				return hl_error_set(HL_EINVALID, "q: at most %d words",
				                    SEARCH_MAX_WORDS);
			}
			c.words[c.nwords++] = w;
		}
	}
	if (!(c.f = calloc(1, sizeof(*c.f)))) {
		free(folded);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	rc = hl_store_dataset_search(st, oo.sector, oo.owner, on_search, &c);
	free(folded);
	if (rc == 0 && c.f->page.n && !(c.f->owner_names = calloc(c.f->page.n, sizeof(char *))))
		rc = hl_error_set(HL_ENOMEM, "out of memory");
	if (rc < 0) {
		hl_dataset_found_free(c.f);
		return rc;
	}
	if (c.f->nsectors)
		qsort(c.f->sectors, c.f->nsectors, sizeof(*c.f->sectors), facet_cmp);
	if (c.f->nowners)
		qsort(c.f->owners, c.f->nowners, sizeof(*c.f->owners), facet_cmp);
	for (size_t i = 0; i < c.f->nowners; i++)
		c.f->owners[i].name = owner_name(st, c.f->owners[i].value);
	for (size_t i = 0; i < c.f->page.n; i++)
		for (size_t k = 0; c.f->page.v[i]->owner && k < c.f->nowners; k++)
			if (!strcmp(c.f->owners[k].value, c.f->page.v[i]->owner))
				c.f->owner_names[i] = hl_strdup(c.f->owners[k].name);
	*out = c.f;
	return 0;
}

/* ---- a load through the API: its bad cells in parts, its rejects kept ---- */

typedef struct {
	hl_dataset_load_error *v;
	size_t n;
} bad_list;

void hl_dataset_load_errors_free(hl_dataset_load_error *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].field), free(v[i].value), free(v[i].error);
	free(v);
}

static void on_bad(uint64_t line, size_t column, const char *field, const char *value,
                   const char *why, void *ud)
{
	bad_list *b = ud;
	hl_dataset_load_error *nv = realloc(b->v, (b->n + 1) * sizeof(*nv));
	char shown[1025];
	if (!nv)
		return; /* counted and in the rejects file all the same */
	b->v = nv;
	nv[b->n].line = line;
	nv[b->n].column = column;
	nv[b->n].field = field ? hl_strdup(field) : NULL;
	nv[b->n].value = NULL;
	if (value) {
		/* at most 1 KiB of a value: a message, not a copy of the file */
		snprintf(shown, sizeof(shown), "%s", value);
		hl_str_cut_utf8(shown);
		nv[b->n].value = hl_strdup(shown);
	}
	nv[b->n].error = hl_strdup(why);
	b->n++;
}

int hl_dataset_may_load(hl_store *st, const hl_principal *who, const char *id)
{
	hl_catalog__ds ds;
	int rc;
	if (!may_write(who))
		return hl_error_set(HL_EDENIED, "loading a dataset needs an officer or above");
	if ((rc = hl_catalog__open(&ds, st, who, id)) < 0)
		return rc;
	if (ds.by_grant) /* as hl_dataset_load: a grant reads, it never writes */
		rc = hl_error_set(HL_EDENIED,
		                  "a grant lets your agency read dataset %s, not load it", id);
	hl_catalog__close(&ds);
	return rc;
}

/* home/catalog/rejects/ID, made 0700 at each level; malloc'd. */
static int rejects_dir(char **out, const char *home, const char *id, int make)
{
	char *a = hl_path_join(home, "catalog"), *b = a ? hl_path_join(a, "rejects") : NULL,
	     *c = b ? hl_path_join(b, id) : NULL;
	int rc = 0;
	if (!c)
		rc = hl_error_set(HL_ENOMEM, "out of memory");
	else if (make && (hl_mkdir_p(c, 0700) < 0))
		rc = hl_error_set(HL_EIO, "cannot make the folder of rejected rows");
	free(a);
	free(b);
	if (rc < 0) {
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int hl_dataset_load_keep(hl_dataset_load_stats *out, hl_dataset_load_error **bad, size_t *nbad,
                         int *kept, hl_store *st, const hl_principal *who, const char *home,
                         const char *id, const char *path, const hl_dataset_load_opts *opts)
{
	hl_dataset_load_opts o = {0};
	bad_list b = {0};
	char *dir = NULL, *tmp = NULL, fin[32];
	int rc, fd;

	memset(out, 0, sizeof(*out));
	*bad = NULL;
	*nbad = 0;
	*kept = 0;
	/* an unreadable dataset is a missing one, before any folder is made for it */
	if ((rc = hl_dataset_may_load(st, who, id)) < 0)
		return rc;
	if (opts)
		o = *opts;
	if (!o.name)
		o.name = "upload";
	if ((rc = rejects_dir(&dir, home, id, 1)) < 0)
		return rc;
	/* written beside where it is kept, named with a dot: no version's name */
	if (!(tmp = hl_path_join(dir, ".load-XXXXXX"))) {
		free(dir);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	if ((fd = mkstemp(tmp)) < 0) {
		free(dir);
		free(tmp);
		return hl_error_set(HL_EIO, "cannot make the file of rejected rows");
	}
	close(fd);
	o.rejects = tmp;
	rc = hl_catalog__load(out, st, who, id, path, &o, on_bad, &b);
	if (rc < 0 && strstr(hl_error_last(), path)) {
		/* the upload's name, never where it lies (a reader's message names the path) */
		char msg[1024];
		const char *m = hl_error_last(), *at = strstr(m, path);
		snprintf(msg, sizeof(msg), "%.*s%s%s", (int)(at - m), m, o.name, at + strlen(path));
		hl_error_set(rc, "%s", msg);
	}
	if (rc == 0 && out->new_version && out->bad_cells) {
		snprintf(fin, sizeof(fin), "%d.csv", out->version);
		char *p = hl_path_join(dir, fin);
		if (p && rename(tmp, p) == 0)
			*kept = 1;
		free(p);
	}
	if (!*kept)
		unlink(tmp);
	free(tmp);
	free(dir);
	*bad = b.v;
	*nbad = b.n;
	return rc;
}

int hl_dataset_rejects_open(int *fd, hl_store *st, const hl_principal *who, const char *home,
                            const char *id, int version)
{
	hl_catalog__ds ds;
	char *dir = NULL, *p = NULL, name[32];
	int rc, f;

	if ((rc = hl_catalog__open(&ds, st, who, id)) < 0)
		return rc;
	if (version < 1 || version > ds.d->version) {
		rc = hl_error_set(HL_ENOTFOUND, "dataset %s has no version %d (it has %d)", id,
		                  version, ds.d->version);
		goto done;
	}
	if ((rc = rejects_dir(&dir, home, id, 0)) < 0)
		goto done;
	snprintf(name, sizeof(name), "%d.csv", version);
	if (!(p = hl_path_join(dir, name))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	if ((f = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		rc = errno == ENOENT ? hl_error_set(HL_ENOTFOUND,
		                                    "no rejected rows kept for version %d of %s (a "
		                                    "load through the API keeps them)",
		                                    version, id)
		                     : hl_error_set(HL_EIO, "cannot read the rejected rows");
		goto done;
	}
	if (ds.d->access > HL_ACCESS_PUBLIC) {
		char detail[64];
		snprintf(detail, sizeof(detail), "rejected rows of version %d", version);
		if ((rc = hl_store_audit(st, hl_principal_actor(who), "dataset.rejects", id,
		                         detail)) < 0) {
			close(f);
			goto done;
		}
	}
	*fd = f;
	rc = 0;
done:
	free(p);
	free(dir);
	hl_catalog__close(&ds);
	return rc;
}

/* ---- JSON of the "api" section ---- */

json_t *hl_dataset_found_json(const hl_dataset_found *f)
{
	json_t *list = json_array(), *sec = json_object(), *own = json_object();
	for (size_t i = 0; i < f->page.n; i++) {
		json_t *j = hl_dataset_json(f->page.v[i]);
		json_object_del(j, "schema");
		json_object_set_new(j, "owner_name",
		                    jstr(f->owner_names ? f->owner_names[i] : NULL));
		json_array_append_new(list, j);
	}
	for (size_t i = 0; i < f->nsectors; i++)
		json_object_set_new(sec, f->sectors[i].value,
		                    json_integer((json_int_t)f->sectors[i].count));
	for (size_t i = 0; i < f->nowners; i++)
		json_object_set_new(own, f->owners[i].value,
		                    json_pack("{s:I,s:o}", "count", (json_int_t)f->owners[i].count,
		                              "name", jstr(f->owners[i].name)));
	return json_pack("{s:o,s:I,s:{s:o,s:o}}", "datasets", list, "total", (json_int_t)f->total,
	                 "facets", "sector", sec, "owner", own);
}

json_t *hl_dataset_load_errors_json(const hl_dataset_load_error *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(
		    a, json_pack("{s:I,s:o,s:o,s:o,s:o}", "line", (json_int_t)v[i].line, "column",
		                 v[i].column ? json_integer((json_int_t)v[i].column) : json_null(),
		                 "field", jstr(v[i].field), "value", jstr(v[i].value), "error",
		                 jstr(v[i].error)));
	return a;
}
