/* The datasets of the shared database (docs/api.md "Datasets", issue 14): the catalogue with its
 * search and facets, a dataset with its schema and versions, creation, loads (an upload run as a
 * job, its rejects kept), versions, diffs and exports. Each handler parses the request, calls the
 * catalog verb as the caller (who may read or write a dataset is the library's: an unreadable
 * dataset answers as a missing one, 404) and answers in the shapes of `halong dataset … --json`
 * (catalog_json.h). The row API (/rows), regrouping, requests and DCAT are other files'. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "halong/catalog.h"
#include "halong/catalog_json.h"
#include "halong/util.h"
#include "jobs.h"
#include "server_int.h"

/* Bytes of an uploaded CSV or XLSX file: the body is held in memory before the load reads it
 * (the library takes files up to 8 GiB: larger ones through `halong dataset load`). */
#define MAX_LOAD     SRV_MAX_BODY_LARGE
#define LIST_DEFAULT 100
#define LIST_MAX     1000
#define DIFF_DEFAULT 100
#define DIFF_MAX     1000

/* ---- GET /api/v1/datasets?q=&sector=&owner=&unit=&limit=&offset= ---- */

static int datasets_list(request *r)
{
	hl_dataset_search_opts o = {0};
	hl_dataset_found *f = NULL;
	uint64_t limit, offset;
	json_t *j;
	int rc;
	if ((rc = req_uint(&limit, r, "limit", LIST_DEFAULT, 1, LIST_MAX)) != 0 ||
	    (rc = req_uint(&offset, r, "offset", 0, 0, 1000000000)) != 0)
		return rc;
	o.q = req_query(r, "q");
	o.sector = req_query(r, "sector");
	o.owner = req_query(r, "owner");
	o.unit = req_query(r, "unit");
	o.limit = (size_t)limit;
	o.offset = (size_t)offset;
	if ((rc = hl_dataset_search(&f, req_store(r), &r->who, &o)) < 0)
		return rc;
	j = hl_dataset_found_json(f);
	hl_dataset_found_free(f);
	json_object_set_new(j, "limit", json_integer((json_int_t)limit));
	json_object_set_new(j, "offset", json_integer((json_int_t)offset));
	return resp_json(r, 200, j);
}

/* ---- GET /api/v1/datasets/{id}: the dataset, its schema and its versions ---- */

static json_t *versions_json(const hl_dataset_versions *vs)
{
	json_t *a = json_array();
	for (size_t i = 0; i < vs->n; i++)
		json_array_append_new(a, hl_dataset_version_json(&vs->v[i]));
	return a;
}

static int dataset_get(request *r)
{
	hl_dataset *d = NULL;
	hl_dataset_versions *vs = NULL;
	json_t *j;
	int rc;
	if ((rc = hl_dataset_get(&d, req_store(r), &r->who, req_param(r, "id"))) < 0 ||
	    (rc = hl_dataset_versions_list(&vs, req_store(r), &r->who, req_param(r, "id"))) < 0) {
		hl_dataset_free(d);
		return rc;
	}
	j = hl_dataset_json(d);
	json_object_set_new(j, "versions", versions_json(vs));
	hl_dataset_free(d);
	hl_dataset_versions_free(vs);
	return resp_json(r, 200, j);
}

/* ---- GET /api/v1/datasets/{id}/versions ---- */

static int dataset_versions(request *r)
{
	hl_dataset_versions *vs = NULL;
	int rc;
	if ((rc = hl_dataset_versions_list(&vs, req_store(r), &r->who, req_param(r, "id"))) < 0)
		return rc;
	json_t *a = versions_json(vs);
	hl_dataset_versions_free(vs);
	return resp_json(r, 200, json_pack("{s:o}", "versions", a));
}

/* ---- POST /api/v1/datasets {id, title, …, schema} ---- */

static int dataset_create(request *r)
{
	json_t *b = NULL, *kw, *sj;
	hl_dataset_new n = {0};
	hl_table_schema *s = NULL;
	hl_dataset *d = NULL;
	const char *access = NULL, **words = NULL;
	char *text = NULL;
	int rc;

	if ((rc = req_json(&b, r)) != 0)
		return rc;
	if ((rc = js_get_str(&n.id, b, "id", 0)) < 0 ||
	    (rc = js_get_str(&n.title, b, "title", 0)) < 0 ||
	    (rc = js_get_str(&n.description, b, "description", 0)) < 0 ||
	    (rc = js_get_str(&n.owner, b, "owner", 0)) < 0 ||
	    (rc = js_get_str(&n.sector, b, "sector", 0)) < 0 ||
	    (rc = js_get_str(&n.licence, b, "licence", 0)) < 0 ||
	    (rc = js_get_str(&n.frequency, b, "frequency", 0)) < 0 ||
	    (rc = js_get_str(&n.provenance, b, "provenance", 0)) < 0 ||
	    (rc = js_get_str(&n.date, b, "date", 0)) < 0 ||
	    (rc = js_get_str(&access, b, "access", 0)) < 0)
		goto done;
	n.access = HL_ACCESS_INTERNAL;
	if (access && hl_access_parse(&n.access, access) < 0) {
		rc = hl_error_set(HL_EINVALID,
		                  "access: public, internal, restricted or secret (got "
		                  "\"%.40s\")",
		                  access);
		goto done;
	}
	kw = json_object_get(b, "keywords");
	if (kw && !json_is_null(kw)) {
		size_t i;
		json_t *k;
		if (!json_is_array(kw) || json_array_size(kw) > 100) {
			rc = hl_error_set(HL_EINVALID, "keywords: a list of at most 100 texts");
			goto done;
		}
		if (!(words = calloc(json_array_size(kw) + 1, sizeof(*words)))) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		json_array_foreach(kw, i, k)
		{
			if (!json_is_string(k)) {
				rc = hl_error_set(HL_EINVALID,
				                  "keywords: keyword %zu is not a text", i + 1);
				goto done;
			}
			words[i] = json_string_value(k);
		}
		n.keywords = words;
		n.nkeywords = json_array_size(kw);
	}
	sj = json_object_get(b, "schema");
	if (!json_is_object(sj)) {
		rc =
		    hl_error_set(HL_EINVALID, "schema: a Table Schema is needed ({\"fields\": […], "
		                              "\"primaryKey\": …})");
		goto done;
	}
	if (!(text = json_dumps(sj, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = hl_schema_parse(&s, text, strlen(text), "schema")) < 0)
		goto done;
	n.schema = s;
	if ((rc = hl_dataset_create(&d, req_store(r), &r->who, &n)) < 0)
		goto done;
	char loc[128];
	snprintf(loc, sizeof(loc), "/api/v1/datasets/%s", d->id);
	resp_header(r, "Location", loc);
	rc = resp_json(r, 201, hl_dataset_json(d));
done:
	hl_dataset_free(d);
	hl_table_schema_free(s);
	free(text);
	free(words);
	json_decref(b);
	return rc;
}

/* ---- POST /api/v1/datasets/{id}/load?replace=0|1&sheet=&name= (the file as body) ----
 *
 * A job (jobs.h, kind "dataset-load"): 202 {"job"} at once, GET /api/v1/jobs/{id} follows it
 * (bytes of a CSV, rows of an XLSX). Its result is the load's stats with its first bad cells in
 * parts; the rejects of a load that made a version are kept by the library in the data
 * directory (GET …/versions/{v}/rejects). Who may load, a missing dataset and the request's own
 * faults are answered at once; a body over MAX_LOAD is the server's 413, unread. */

typedef struct {
	server_job *job;
	hl_principal who; /* the library checks and audits it */
	char *dir, *path; /* the upload, in a private folder */
	char *id, *sheet, *name;
	int replace;
} load_arg;

static void load_arg_free(void *p)
{
	load_arg *g = p;
	if (!g)
		return;
	req_body_unsave(g->dir, g->path);
	free(g->id), free(g->sheet), free(g->name);
	free(g);
}

static int load_progress(const char *what, uint64_t done, uint64_t total, void *ud)
{
	/* "ingest": bytes of a CSV read; "rows": rows of an XLSX */
	return job_progress(what && !strcmp(what, "ingest") ? "bytes" : what, done, total,
	                    ((load_arg *)ud)->job);
}

static int load_work(json_t **result, server_job *job, hl_archive *a, void *arg)
{
	load_arg *g = arg;
	hl_dataset_load_stats s;
	hl_dataset_load_error *bad = NULL;
	hl_dataset_load_opts o = {0};
	size_t nbad = 0;
	int kept = 0, rc;
	char url[160];

	g->job = job;
	o.replace = g->replace;
	o.sheet = g->sheet;
	o.name = g->name; /* messages and the version name the upload, not where it lies */
	o.progress = load_progress;
	o.ud = g;
	rc = hl_dataset_load_keep(&s, &bad, &nbad, &kept, hl_archive_store(a), &g->who,
	                          hl_archive_dir(a), g->id, g->path, &o);
	if (rc == 0) {
		job_progress("rows", s.rows, s.rows, job);
		job_summary(job,
		            "%s: %llu rows; %llu added, %llu changed, %llu removed, %llu "
		            "unchanged, %llu rejected; %s %d",
		            g->name, (unsigned long long)s.rows, (unsigned long long)s.added,
		            (unsigned long long)s.changed, (unsigned long long)s.removed,
		            (unsigned long long)s.unchanged, (unsigned long long)s.rejected,
		            s.new_version ? "new version" : "no change: version stays", s.version);
	}
	snprintf(url, sizeof(url), "/api/v1/datasets/%s/versions/%d/rejects", g->id, s.version);
	*result = json_pack("{s:s,s:i,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:o,s:o}", "dataset",
	                    g->id, "version", s.version, "new_version", s.new_version, "rows",
	                    (json_int_t)s.rows, "added", (json_int_t)s.added, "changed",
	                    (json_int_t)s.changed, "removed", (json_int_t)s.removed, "unchanged",
	                    (json_int_t)s.unchanged, "rejected", (json_int_t)s.rejected,
	                    "bad_cells", (json_int_t)s.bad_cells, "sha256", s.sha256, "errors",
	                    hl_dataset_load_errors_json(bad, nbad), "rejects",
	                    kept ? json_string(url) : json_null());
	hl_dataset_load_errors_free(bad, nbad);
	hl_dataset_load_stats_free(&s);
	return rc;
}

/* A file's name as the version records it: the last part of name=, else "upload". */
static char *upload_name(const char *name)
{
	const char *p = name && *name ? strrchr(name, '/') : NULL;
	if (p)
		name = p + 1;
	if (!name || !*name || strlen(name) > 200)
		name = "upload";
	return hl_strdup(name);
}

static int dataset_load(request *r)
{
	load_arg *g;
	json_t *job = NULL;
	uint64_t replace;
	int rc;

	/* asked first before the body is read (ROUTE_CHECK_FIRST): nobody who may not load makes
	 * the server hold 64 MiB */
	if ((rc = hl_dataset_may_load(req_store(r), &r->who, req_param(r, "id"))) < 0 ||
	    r->precheck)
		return rc;
	if ((rc = req_uint(&replace, r, "replace", 0, 0, 1)) != 0)
		return rc;
	if (!r->body_len)
		return hl_error_set(HL_EINVALID, "body: the CSV or XLSX file (at most %u bytes)",
		                    (unsigned)MAX_LOAD);
	if (!(g = calloc(1, sizeof(*g))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	g->who = r->who;
	g->replace = (int)replace;
	g->id = hl_strdup(req_param(r, "id"));
	g->name = upload_name(req_query(r, "name"));
	if (!g->id || !g->name ||
	    (req_query(r, "sheet") && *req_query(r, "sheet") &&
	     !(g->sheet = hl_strdup(req_query(r, "sheet"))))) {
		load_arg_free(g);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	/* the load reads a file, and the job outlives the request */
	if ((rc = req_body_save(&g->dir, &g->path, r, "load", "upload")) < 0) {
		load_arg_free(g);
		return rc;
	}
	if ((rc = job_start(&job, &r->who, "dataset-load", hl_archive_dir(r->archive), load_work, g,
	                    load_arg_free)) < 0) {
		if (rc != HL_ELIMIT)
			return rc;
		resp_error(r, 429, "%s", hl_error_last());
		return ANSWERED;
	}
	json_t *id = json_incref(json_object_get(job, "id"));
	return resp_json(r, 202, json_pack("{s:o,s:o}", "job", id, "status", job));
}

/* ---- GET /api/v1/datasets/{id}/versions/{v}/rejects ---- */

static int version_param(int *out, request *r, const char *name)
{
	const char *s = req_param(r, name);
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end || v < 1 || v > 1000000000)
		return hl_error_set(HL_ENOTFOUND, "no version \"%.20s\" of dataset %.64s", s,
		                    req_param(r, "id"));
	*out = (int)v;
	return 0;
}

static int dataset_rejects(request *r)
{
	char name[128];
	int v, fd, rc;
	if ((rc = version_param(&v, r, "v")) < 0 ||
	    (rc = hl_dataset_rejects_open(&fd, req_store(r), &r->who, hl_archive_dir(r->archive),
	                                  req_param(r, "id"), v)) < 0)
		return rc;
	snprintf(name, sizeof(name), "%s-v%d-rejects.csv", req_param(r, "id"), v);
	return resp_fd(r, fd, "text/csv; charset=utf-8", NULL, name);
}

/* ---- GET /api/v1/datasets/{id}/diff?from=&to=&limit=&offset= ---- */

typedef struct {
	const hl_table_schema *s;
	json_t *rows;
	uint64_t seen, offset, limit;
} diff_page;

static json_t *cells_json(const hl_table_schema *s, const char *const *c)
{
	json_t *o = json_object();
	for (size_t i = 0; i < s->nfields; i++)
		json_object_set_new(o, s->fields[i].name, js_str(c[i]));
	return o;
}

static int on_diff(const hl_diff_row *d, void *ud)
{
	diff_page *p = ud;
	json_t *o, *key;
	if (p->seen++ < p->offset || json_array_size(p->rows) >= p->limit)
		return 0; /* counted by the verb all the same */
	o = json_object();
	key = json_array();
	for (size_t k = 0; k < d->nkey; k++)
		json_array_append_new(key, js_str(d->key[k]));
	json_object_set_new(o, "kind",
	                    json_string(d->kind == HL_DIFF_ADDED     ? "added"
	                                : d->kind == HL_DIFF_REMOVED ? "removed"
	                                                             : "changed"));
	json_object_set_new(o, "key", key);
	if (d->kind == HL_DIFF_CHANGED) {
		json_t *cols = json_array();
		for (size_t i = 0; i < d->nfields; i++)
			if (d->changed[i])
				json_array_append_new(cols, json_string(p->s->fields[i].name));
		json_object_set_new(o, "columns", cols);
	}
	json_object_set_new(o, "old", d->old ? cells_json(p->s, d->old) : json_null());
	json_object_set_new(o, "new", d->new_ ? cells_json(p->s, d->new_) : json_null());
	json_array_append_new(p->rows, o);
	return 0;
}

static int dataset_diff(request *r)
{
	hl_dataset *d = NULL;
	hl_diff_stats st;
	diff_page p = {0};
	uint64_t from, to;
	int rc;
	if ((rc = hl_dataset_get(&d, req_store(r), &r->who, req_param(r, "id"))) < 0)
		return rc;
	if (!d->version && !req_query(r, "to")) {
		rc = hl_error_set(HL_ENOTFOUND, "dataset %s has no version 1 (it has 0)", d->id);
		hl_dataset_free(d);
		return rc;
	}
	if ((rc = req_uint(&to, r, "to", (uint64_t)d->version, 1, 1000000000)) != 0 ||
	    (rc = req_uint(&from, r, "from", to - 1, 0, 1000000000)) != 0 ||
	    (rc = req_uint(&p.limit, r, "limit", DIFF_DEFAULT, 1, DIFF_MAX)) != 0 ||
	    (rc = req_uint(&p.offset, r, "offset", 0, 0, UINT64_MAX / 2)) != 0) {
		hl_dataset_free(d);
		return rc;
	}
	p.s = d->schema;
	p.rows = json_array();
	rc = hl_dataset_diff(&st, req_store(r), &r->who, req_param(r, "id"), (int)from, (int)to,
	                     on_diff, &p);
	hl_dataset_free(d);
	if (rc < 0) {
		json_decref(p.rows);
		return rc;
	}
	return resp_json(
	    r, 200,
	    json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "dataset", req_param(r, "id"),
	              "from", (json_int_t)from, "to", (json_int_t)to, "added", (json_int_t)st.added,
	              "removed", (json_int_t)st.removed, "changed", (json_int_t)st.changed, "limit",
	              (json_int_t)p.limit, "offset", (json_int_t)p.offset, "rows", p.rows));
}

/* ---- GET /api/v1/datasets/{id}/export?format=csv|xlsx|json|datapackage&version= ----
 *
 * Written by the library to a file in a private temporary folder, opened, removed, and sent
 * from the open descriptor. A public dataset needs no account; any other answers 404 to whoever
 * may not read it (the library's rule). Cells that could run as formulas are made safe by the
 * library (CSV: a ' before, XLSX: always text). */

/* format=datapackage (the publish helper's): a Frictionless Data Package, datapackage.json and
 * the CSV in one zip (hl_dataset_export_datapackage), made and sent as the other formats. v: the
 * current version. */
static int dataset_export_datapackage(request *r, int v)
{
	hl_datapackage_stats st;
	char *dir = NULL, *path = NULL, *zip = NULL, name[128];
	uint64_t version;
	int rc, fd = -1;
	if ((rc = req_uint(&version, r, "version", 0, 0, 1000000000)) != 0)
		return rc;
	if (version)
		v = (int)version;
	if ((rc = req_body_save(&dir, &path, r, "export", "export")) < 0)
		return rc;
	if (!(zip = hl_path_join(dir, "package.zip")))
		rc = hl_error_set(HL_ENOMEM, "out of memory");
	else if ((rc = hl_dataset_export_datapackage(&st, req_store(r), &r->who, req_param(r, "id"),
	                                             (int)version, zip)) == 0)
		fd = open(zip, O_RDONLY | O_CLOEXEC);
	if (zip)
		unlink(zip);
	free(zip);
	req_body_unsave(dir, path);
	if (rc < 0)
		return rc;
	if (fd < 0)
		return hl_error_set(HL_EIO, "cannot read the export");
	snprintf(name, sizeof(name), "%s-v%d.datapackage.zip", req_param(r, "id"), v);
	return resp_fd(r, fd, "application/zip", name, name);
}

static int dataset_export(request *r)
{
	static const char *const ext[] = {
	    [HL_EXPORT_CSV] = "csv", [HL_EXPORT_JSON] = "json", [HL_EXPORT_XLSX] = "xlsx"};
	static const char *const ctype[] = {
	    [HL_EXPORT_CSV] = "text/csv; charset=utf-8",
	    [HL_EXPORT_JSON] = "application/json",
	    [HL_EXPORT_XLSX] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"};
	hl_export_format fmt;
	hl_dataset *d = NULL;
	const char *f = req_query(r, "format");
	char *dir = NULL, *path = NULL, name[128];
	uint64_t version;
	int rc, fd, v;

	if ((rc = hl_dataset_get(&d, req_store(r), &r->who, req_param(r, "id"))) < 0)
		return rc;
	v = d->version;
	hl_dataset_free(d);
	if (f && !strcmp(f, "datapackage"))
		return dataset_export_datapackage(r, v);
	if ((rc = hl_export_format_parse(&fmt, f && *f ? f : "csv")) < 0 ||
	    (rc = req_uint(&version, r, "version", 0, 0, 1000000000)) != 0)
		return rc;
	if (version)
		v = (int)version;
	/* an empty body saved: a private folder and a name in it, removed below */
	if ((rc = req_body_save(&dir, &path, r, "export", "export")) < 0)
		return rc;
	rc = hl_dataset_export(NULL, req_store(r), &r->who, req_param(r, "id"), (int)version, fmt,
	                       path);
	fd = rc == 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	req_body_unsave(dir, path);
	if (rc < 0)
		return rc;
	if (fd < 0)
		return hl_error_set(HL_EIO, "cannot read the export");
	/* the id is of A-Z a-z 0-9 - _ . only: a safe file name */
	snprintf(name, sizeof(name), "%s-v%d.%s", req_param(r, "id"), v, ext[fmt]);
	/* a version's rows never change: its export's tag is its name (not a temporary file's
	 * size and time, which two versions could share) */
	return resp_fd(r, fd, ctype[fmt], name, name);
}

const route routes_datasets[] = {
    {M_GET, "/api/v1/datasets", datasets_list, 0, 0},
    {M_POST, "/api/v1/datasets", dataset_create, 0, 0},
    {M_GET, "/api/v1/datasets/{id}", dataset_get, 0, 0},
    {M_POST, "/api/v1/datasets/{id}/load", dataset_load, MAX_LOAD,
     ROUTE_RAW_BODY | ROUTE_CHECK_FIRST},
    {M_GET, "/api/v1/datasets/{id}/versions", dataset_versions, 0, 0},
    {M_GET, "/api/v1/datasets/{id}/versions/{v}/rejects", dataset_rejects, 0, 0},
    {M_GET, "/api/v1/datasets/{id}/diff", dataset_diff, 0, 0},
    {M_GET, "/api/v1/datasets/{id}/export", dataset_export, 0, 0},
    {0},
};
