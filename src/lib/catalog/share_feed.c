/* A dataset through the reference-data feed (src/lib/feed/): the hub writes a public dataset's
 * current version as two files — dataset.json (its description and schema) and rows.csv (its
 * rows as stored, never prefixed against formulas: the commune loads them back) — and a commune
 * applies them inside the feed entry's transaction: the dataset made if it is not there (owned
 * by the hub's agency, created by "feed"), its rows loaded with replace into a new version. Only
 * public datasets: the hub serves its feed to anyone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../store/store.h"
#include "../store/store_catalog.h"
#include "../store/store_catalog_share.h"
#include "catalog_int.h"
#include "halong/catalog_json.h"
#include "halong/exchange.h"
#include "halong/util.h"

#define FEED_ACTOR "feed"

const char *const hl_dataset_feed_files[] = {"dataset.json", "rows.csv", NULL};

static char *path_in(const char *dir, const char *name)
{
	return hl_path_join(dir, name);
}

typedef struct {
	FILE *f;
	const hl_table_schema *s;
	const char **cells;
	int err;
} rows_out;

static int on_row(const char *const *cells, size_t n, void *ud)
{
	rows_out *o = ud;
	const char *miss = o->s->nmissing ? o->s->missing[0] : "";
	for (size_t i = 0; i < n; i++)
		o->cells[i] = cells[i] ? cells[i] : miss;
	if (hl_csv_write(o->f, o->cells, n) < 0)
		return o->err = hl_error_set(HL_EIO, "rows.csv: cannot write");
	return 0;
}

int hl_dataset_feed_write(int *version, hl_store *st, const hl_principal *who, const char *id,
                          const char *dir)
{
	hl_catalog__ds ds;
	char *p = NULL;
	FILE *f = NULL;
	json_t *j = NULL;
	rows_out o = {0};
	int rc = hl_catalog__open(&ds, st, who, id);
	if (rc < 0)
		return rc;
	if (ds.d->access != HL_ACCESS_PUBLIC) {
		rc = hl_error_set(
		    HL_EDENIED,
		    "dataset %s is %s: the hub serves its feed to anyone, so only public "
		    "datasets go in it",
		    id, hl_access_name(ds.d->access));
		goto done;
	}
	if (!ds.d->version) {
		rc = hl_error_set(HL_EINVALID,
		                  "dataset %s has no version to publish (load it first)", id);
		goto done;
	}
	rc = hl_error_set(HL_EIO, "%s: cannot write the feed's files", dir);
	if (!(j = hl_dataset_json(ds.d)) || !(p = path_in(dir, "dataset.json")) ||
	    json_dump_file(j, p, JSON_COMPACT | JSON_SORT_KEYS) != 0)
		goto done;
	free(p);
	if (!(p = path_in(dir, "rows.csv")) || !(f = fopen(p, "w")))
		goto done;
	if (!(o.cells = calloc(ds.d->schema->nfields, sizeof(char *)))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < ds.d->schema->nfields; i++)
		o.cells[i] = ds.d->schema->fields[i].name;
	if (hl_csv_write(f, o.cells, ds.d->schema->nfields) < 0)
		goto done;
	o.f = f;
	o.s = ds.d->schema;
	if ((rc = hl_store_ds_rows(st, ds.iid, ds.types, ds.d->schema->nfields, ds.d->version,
	                           on_row, &o)) < 0 ||
	    (rc = o.err) < 0)
		goto done;
	rc = fclose(f) == 0 ? 0 : hl_error_set(HL_EIO, "rows.csv: cannot write");
	f = NULL;
	if (version)
		*version = ds.d->version;
done:
	if (f)
		fclose(f);
	free(p);
	free(o.cells);
	json_decref(j);
	hl_catalog__close(&ds);
	return rc;
}

static const char *jget(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The subscription's last version applied (the callback of a look-up by name). */
static int on_sub(const hl_store_subscription_row *r, void *ud)
{
	*(int64_t *)ud = r->applied;
	return 1;
}

int hl_dataset_feed_apply(char *summary, size_t n, hl_store *st, const char *dir, int here)
{
	hl_principal who = hl_principal_local(FEED_ACTOR);
	hl_catalog__ds ds = {0};
	hl_table_schema *s = NULL;
	hl_dataset_load_stats ls = {0};
	hl_dataset_load_opts lo = {.replace = 1, .name = "feed"};
	const char **kw = NULL;
	char *p = NULL, *schema = NULL, *mine = NULL, *theirs = NULL;
	json_t *j = NULL, *k;
	json_error_t je;
	const char *id, *access;
	int rc, hub_version;

	if (!(p = path_in(dir, "dataset.json")) || !(j = json_load_file(p, 0, &je)) ||
	    !json_is_object(j)) {
		rc = hl_error_set(HL_EINVALID, "dataset.json: not a JSON object");
		goto done;
	}
	id = jget(j, "id");
	access = jget(j, "access");
	hub_version = (int)json_integer_value(json_object_get(j, "version"));
	if (!id || !access || !json_is_object(json_object_get(j, "schema"))) {
		rc = hl_error_set(HL_EINVALID, "dataset.json: id, access and schema required");
		goto done;
	}
	/* never anything but public through a feed served to anyone */
	if (strcmp(access, "public")) {
		rc = hl_error_set(HL_EDENIED,
		                  "dataset %.64s is %.20s: a feed carries public datasets "
		                  "only",
		                  id, access);
		goto done;
	}
	if (!(schema = json_dumps(json_object_get(j, "schema"), JSON_COMPACT)) ||
	    (rc = hl_schema_parse(&s, schema, strlen(schema), "dataset.json")) < 0) {
		rc = schema ? rc : hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	if (!here) { /* a commune: only the datasets it follows, each version once */
		int64_t applied = -1;
		if ((rc = hl_store_dataset_subscriptions(st, id, on_sub, &applied)) < 0)
			goto done;
		if (applied < 0 || hub_version <= applied) {
			snprintf(summary, n,
			         applied < 0
			             ? "dataset %s (the hub's version %d): not followed here, "
			               "passed over"
			             : "dataset %s: the hub's version %d, already here",
			         id, hub_version);
			rc = 0;
			goto done;
		}
	}
	rc = hl_catalog__open(&ds, st, &who, id);
	if (rc < 0 && rc != HL_ENOTFOUND)
		goto done;
	if (rc == 0) {
		if (!(mine = hl_catalog__schema_text(ds.d->schema)) ||
		    !(theirs = hl_catalog__schema_text(s))) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		if (strcmp(mine, theirs)) {
			rc = hl_error_set(
			    HL_EINVALID,
			    "dataset %s: its schema here is not the hub's (a feed does "
			    "not change a schema)",
			    id);
			goto done;
		}
		if (!here && (!ds.d->created_by || strcmp(ds.d->created_by, FEED_ACTOR))) {
			rc =
			    hl_error_set(HL_ECONFLICT,
			                 "dataset %s exists on this node and did not come from the "
			                 "hub's feed",
			                 id);
			goto done;
		}
	} else if (here) {
		rc = hl_error_set(HL_ENOTFOUND, "no dataset %s on the hub", id);
		goto done;
	} else {
		hl_dataset_new nd = {.id = id,
		                     .title = jget(j, "title"),
		                     .description = jget(j, "description"),
		                     .owner = jget(j, "owner"),
		                     .sector = jget(j, "sector"),
		                     .licence = jget(j, "licence"),
		                     .frequency = jget(j, "frequency"),
		                     .provenance = jget(j, "provenance"),
		                     .date = jget(j, "date"),
		                     .access = HL_ACCESS_PUBLIC,
		                     .schema = s};
		size_t i, m = json_array_size(json_object_get(j, "keywords"));
		if (!(kw = calloc(m + 1, sizeof(char *)))) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		json_array_foreach(json_object_get(j, "keywords"), i, k) if (json_is_string(k))
		    kw[nd.nkeywords++] = json_string_value(k);
		nd.keywords = kw;
		if ((rc = hl_catalog__create(NULL, st, &who, &nd, 1)) < 0)
			goto done;
	}
	hl_catalog__close(&ds);
	if (here) { /* the hub: the rows came from here; nothing to load */
		snprintf(summary, n, "dataset %s version %d", id, hub_version);
		rc = 0;
		goto done;
	}
	free(p);
	if (!(p = path_in(dir, "rows.csv"))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = hl_dataset_load(&ls, st, &who, id, p, &lo)) < 0)
		goto done;
	if (ls.rejected) {
		rc = hl_error_set(HL_EINVALID,
		                  "dataset %s: %llu rows of the hub's version %d rejected "
		                  "here: %s",
		                  id, (unsigned long long)ls.rejected, hub_version,
		                  ls.nerrors ? ls.errors[0] : "?");
		goto done;
	}
	if ((rc = hl_store_dataset_subscription_applied(st, id, hub_version)) < 0)
		goto done;
	snprintf(summary, n,
	         "dataset %s: hub's version %d as version %d here: %llu added, %llu "
	         "changed, %llu removed",
	         id, hub_version, ls.version, (unsigned long long)ls.added,
	         (unsigned long long)ls.changed, (unsigned long long)ls.removed);
done:
	hl_dataset_load_stats_free(&ls);
	hl_catalog__close(&ds);
	hl_table_schema_free(s);
	json_decref(j);
	free(kw);
	free(p);
	free(schema);
	free(mine);
	free(theirs);
	return rc;
}

/* ---- a commune's subscriptions ---- */

void hl_dataset_subscriptions_free(hl_dataset_subscriptions *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].id);
		free(l->v[i].since);
		free(l->v[i].by);
	}
	free(l->v);
	free(l);
}

/* Who may change what the node follows, and only a node that follows a hub. */
static int may_subscribe(hl_store *st, const hl_principal *who, const char *id)
{
	int hub;
	if (!who || !(who->local || who->role == HL_ROLE_ADMIN))
		return hl_error_set(
		    HL_EDENIED, "the node's operator or an admin chooses the datasets it follows");
	if (!hl_catalog__id_ok(id))
		return hl_error_set(HL_EINVALID,
		                    "dataset id: 1 to 64 of A-Z a-z 0-9 - _ . (got \"%.64s\")",
		                    id ? id : "");
	if ((hub = hl_node_follows_hub(st)) < 0)
		return hub;
	if (!hub)
		return hl_error_set(HL_EINVALID,
		                    "this node follows no hub: it has no datasets feed "
		                    "to subscribe to (halong node follow)");
	return 0;
}

int hl_dataset_subscribe(int *added, hl_store *st, const hl_principal *who, const char *id)
{
	char now[32];
	int rc;
	*added = 0;
	if ((rc = may_subscribe(st, who, id)) < 0)
		return rc;
	hl_now_utc(now);
	if ((rc = hl_store_begin(st)) < 0)
		return rc;
	if ((rc = hl_store_dataset_subscribe(added, st, id, now, hl_principal_actor(who))) < 0 ||
	    (*added && (rc = hl_store_audit(st, hl_principal_actor(who), "dataset.subscribe", id,
	                                    "the datasets feed read again from its start")) < 0)) {
		hl_store_rollback(st);
		return rc;
	}
	return hl_store_commit(st);
}

int hl_dataset_unsubscribe(hl_store *st, const hl_principal *who, const char *id)
{
	int rc, removed = 0;
	if ((rc = may_subscribe(st, who, id)) < 0)
		return rc;
	if ((rc = hl_store_begin(st)) < 0)
		return rc;
	if ((rc = hl_store_dataset_unsubscribe(&removed, st, id)) < 0 ||
	    (removed && (rc = hl_store_audit(st, hl_principal_actor(who), "dataset.unsubscribe", id,
	                                     NULL)) < 0)) {
		hl_store_rollback(st);
		return rc;
	}
	if ((rc = hl_store_commit(st)) < 0)
		return rc;
	return removed ? 0 : hl_error_set(HL_ENOTFOUND, "this node does not follow dataset %s", id);
}

static int on_sub_list(const hl_store_subscription_row *r, void *ud)
{
	hl_dataset_subscriptions *l = ud;
	hl_dataset_subscription *v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return hl_error_set(HL_ENOMEM, "out of memory");
	l->v = v;
	v[l->n] = (hl_dataset_subscription){.id = hl_strdup(r->name),
	                                    .since = hl_strdup(r->since),
	                                    .by = hl_strdup(r->by),
	                                    .applied = r->applied};
	l->n++;
	return 0;
}

int hl_dataset_subscriptions_list(hl_dataset_subscriptions **out, hl_store *st,
                                  const hl_principal *who)
{
	hl_dataset_subscriptions *l;
	int rc;
	*out = NULL;
	if (!who || !(who->local || who->user_id))
		return hl_error_set(HL_EDENIED, "sign in to see what this node follows");
	if (!(l = calloc(1, sizeof(*l))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	if ((rc = hl_store_dataset_subscriptions(st, NULL, on_sub_list, l)) < 0) {
		hl_dataset_subscriptions_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

json_t *hl_dataset_subscription_json(const hl_dataset_subscription *s)
{
	return json_pack("{s:s,s:s,s:s,s:I}", "id", s->id, "since", s->since, "by", s->by,
	                 "applied", (json_int_t)s->applied);
}
