/* `halong dataset create|load|show|list|diff|export`: the shared database's datasets (the
 * catalog module), each command one library verb. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_dataset_share.h"
#include "halong/auth.h"
#include "halong/catalog.h"
#include "halong/catalog_json.h"
#include "halong/exchange.h"
#include "halong/util.h"

/* The most rows `dataset query` gives as a table or JSON (csv: no cap). */
#define CLI_QUERY_MAX_LIMIT 1000000

typedef struct {
	int json, replace;
	const char *title, *schema, *from, *key, *unit, *sheet, *owner, *sector, *access,
	    *description, *keywords, *licence, *frequency, *provenance, *date, *rejects, *format,
	    *output;
	uint64_t version, limit, offset, timeout;
	const char *where, *group_by, *sum;
	int count;
	const char *q; /* list */
	/* publish */
	const char *datapackage, *base, *publisher;
	/* query */
	const char *avg, *min, *max, *sort, *columns, *qformat;
	int total;
} dopts;

static hl_principal me(void)
{
	return hl_principal_local(cli_actor());
}

static int print_load(const cli_args *args, const char *file, hl_dataset_load_stats *s, int rc);

/* create --datapackage: the package's metadata and schema, then its resource loaded. */
static int ds_create_datapackage(const cli_args *args)
{
	const dopts *o = args->opts;
	hl_archive *a = NULL;
	hl_dataset_load_stats s;
	cli_progress p;
	hl_datapackage_import_opts io = {.title = o->title,
	                                 .description = o->description,
	                                 .owner = o->owner,
	                                 .sector = o->sector,
	                                 .licence = o->licence,
	                                 .frequency = o->frequency,
	                                 .provenance = o->provenance,
	                                 .date = o->date,
	                                 .rejects = o->rejects,
	                                 .progress = cli_progress_cb,
	                                 .ud = &p};
	int rc;

	if (o->schema || o->from || o->key || o->unit || o->keywords)
		return cli_usage(args->cmd,
		                 "--datapackage brings the schema and keywords: no "
		                 "--schema, --from, --key, --unit or --keywords with it");
	if (o->access) {
		if (hl_access_parse(&io.access, o->access) < 0)
			return cli_fail();
		io.access_given = 1;
	}
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	cli_progress_init(&p, o->json);
	rc = hl_dataset_import_datapackage(&s, hl_archive_store(a), cli_who(), args->args[0],
	                                   o->datapackage, &io);
	cli_progress_done(&p);
	hl_archive_free(a);
	if (rc == 0 && !o->json)
		printf("dataset %s created from %s\n", args->args[0], o->datapackage);
	return print_load(args, o->datapackage, &s, rc);
}

static int ds_create(const cli_args *args)
{
	const dopts *o = args->opts;
	hl_archive *a = NULL;
	hl_table_schema *s = NULL;
	hl_dataset *d = NULL;
	hl_dataset_new n = {0};
	hl_principal who = me();
	char *kwbuf = NULL, *kw[100];
	size_t nkw = 0;
	int rc;

	if (o->datapackage)
		return ds_create_datapackage(args);
	if (!o->title)
		return cli_usage(args->cmd, "give the dataset's title: --title TEXT");
	if (!o->schema == !o->from)
		return cli_usage(args->cmd, "give --schema FILE.json or --from FILE.csv|xlsx "
		                            "(or --datapackage DIR)");
	if ((o->key || o->unit) && !o->from)
		return cli_usage(args->cmd, "--key and --unit are for --from (a schema says them)");
	if (o->schema)
		rc = hl_schema_read(&s, o->schema);
	else {
		hl_schema_infer_opts io = {.sheet = o->sheet, .key = o->key, .unit = o->unit};
		rc = hl_schema_infer(&s, o->from, &io);
	}
	if (rc < 0)
		return cli_fail();
	n.id = args->args[0];
	n.title = o->title;
	n.description = o->description;
	n.owner = o->owner;
	n.sector = o->sector;
	n.licence = o->licence;
	n.frequency = o->frequency;
	n.provenance = o->provenance;
	n.date = o->date;
	n.schema = s;
	n.access = HL_ACCESS_INTERNAL;
	if (o->access && hl_access_parse(&n.access, o->access) < 0) {
		hl_table_schema_free(s);
		return cli_fail();
	}
	if (o->keywords) {
		char *save = NULL;
		kwbuf = strdup(o->keywords);
		for (char *k = strtok_r(kwbuf, ",", &save); k && nkw < 100;
		     k = strtok_r(NULL, ",", &save)) {
			while (*k == ' ')
				k++;
			if (*k)
				kw[nkw++] = k;
		}
		n.keywords = (const char *const *)kw;
		n.nkeywords = nkw;
	}
	if (cli_open(&a, args->ctx) < 0) {
		hl_table_schema_free(s);
		free(kwbuf);
		return cli_fail();
	}
	rc = hl_dataset_create(&d, hl_archive_store(a), &who, &n);
	hl_archive_free(a);
	hl_table_schema_free(s);
	free(kwbuf);
	if (rc < 0)
		return cli_fail();
	if (o->json)
		cli_print_json(hl_dataset_json(d));
	else {
		printf("dataset %s created: %zu fields (", d->id, d->schema->nfields);
		for (size_t i = 0; i < d->schema->nfields; i++)
			printf("%s%s %s%s", i ? ", " : "", d->schema->fields[i].name,
			       hl_field_type_name(d->schema->fields[i].type),
			       d->schema->fields[i].unit ? " (unit code)" : "");
		printf("), access %s\n", hl_access_name(d->access));
	}
	hl_dataset_free(d);
	return EXIT_OK;
}

static int ds_load(const cli_args *args)
{
	const dopts *o = args->opts;
	hl_archive *a = NULL;
	hl_dataset_load_stats s;
	cli_progress p;
	hl_principal who = me();
	hl_dataset_load_opts lo = {.replace = o->replace,
	                           .rejects = o->rejects,
	                           .sheet = o->sheet,
	                           .progress = cli_progress_cb,
	                           .ud = &p};
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	cli_progress_init(&p, o->json);
	rc = hl_dataset_load(&s, hl_archive_store(a), &who, args->args[0], args->args[1], &lo);
	cli_progress_done(&p);
	hl_archive_free(a);
	return print_load(args, args->args[1], &s, rc);
}

/* A load's stats: the bad cells on stderr, the counts on stdout; exit 3 when rows were rejected. */
static int print_load(const cli_args *args, const char *file, hl_dataset_load_stats *s, int rc)
{
	const dopts *o = args->opts;
	/* every bad cell named (the first ones; all of them in the rejects file) */
	for (size_t i = 0; i < s->nerrors && i < 50; i++)
		fprintf(stderr, "%s\n", s->errors[i]);
	if (s->bad_cells > 50)
		fprintf(stderr, "... %llu bad cells in all%s\n", (unsigned long long)s->bad_cells,
		        o->rejects ? " (each one in the rejects file)"
		                   : "; --rejects FILE lists them");
	if (rc < 0) {
		hl_dataset_load_stats_free(s);
		return cli_fail();
	}
	if (o->json) {
		json_t *errs = json_array();
		for (size_t i = 0; i < s->nerrors; i++)
			json_array_append_new(errs, json_string(s->errors[i]));
		cli_print_json(json_pack(
		    "{s:s,s:s,s:i,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:o}", "dataset",
		    args->args[0], "file", file, "version", s->version, "new_version",
		    s->new_version, "rows", (json_int_t)s->rows, "added", (json_int_t)s->added,
		    "changed", (json_int_t)s->changed, "removed", (json_int_t)s->removed,
		    "unchanged", (json_int_t)s->unchanged, "rejected", (json_int_t)s->rejected,
		    "bad_cells", (json_int_t)s->bad_cells, "sha256", s->sha256, "errors", errs));
	} else {
		printf("dataset load: %s: %llu rows; %llu added, %llu changed, %llu removed, %llu "
		       "unchanged, %llu rejected (%llu bad cells); %s %d\n",
		       file, (unsigned long long)s->rows, (unsigned long long)s->added,
		       (unsigned long long)s->changed, (unsigned long long)s->removed,
		       (unsigned long long)s->unchanged, (unsigned long long)s->rejected,
		       (unsigned long long)s->bad_cells,
		       s->new_version ? "new version" : "no change: version stays", s->version);
	}
	rc = s->rejected ? EXIT_PARTIAL : EXIT_OK;
	hl_dataset_load_stats_free(s);
	return rc;
}

static void print_dataset(const hl_dataset *d)
{
	printf("%s  %s\n", d->id, d->title);
	if (d->description)
		printf("  description: %s\n", d->description);
	printf("  owner: %s  sector: %s  access: %s\n", d->owner ? d->owner : "-", d->sector,
	       hl_access_name(d->access));
	if (d->nkeywords) {
		printf("  keywords:");
		for (size_t i = 0; i < d->nkeywords; i++)
			printf("%s %s", i ? "," : "", d->keywords[i]);
		printf("\n");
	}
	if (d->licence)
		printf("  licence: %s\n", d->licence);
	if (d->frequency)
		printf("  frequency: %s\n", d->frequency);
	if (d->provenance)
		printf("  provenance: %s\n", d->provenance);
	if (d->date)
		printf("  date: %s\n", d->date);
	printf("  version %d, %lld rows; created %s by %s\n", d->version, (long long)d->rows,
	       d->created_at, d->created_by);
	printf("  fields:\n");
	for (size_t i = 0; i < d->schema->nfields; i++) {
		const hl_field *f = &d->schema->fields[i];
		int key = 0;
		for (size_t k = 0; k < d->schema->npkey; k++)
			key |= d->schema->pkey[k] == i;
		printf("    %-24s %-9s%s%s%s%s\n", f->name, hl_field_type_name(f->type),
		       f->unit ? " unit-code" : "", key ? " key" : "",
		       f->required && !key ? " required" : "", f->unique ? " unique" : "");
	}
}

static int ds_show(const cli_args *args)
{
	const dopts *o = args->opts;
	hl_archive *a = NULL;
	hl_dataset *d = NULL;
	hl_dataset_versions *vs = NULL;
	hl_principal who = me();
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_dataset_get(&d, hl_archive_store(a), &who, args->args[0]);
	if (rc == 0)
		rc = hl_dataset_versions_list(&vs, hl_archive_store(a), &who, args->args[0]);
	hl_archive_free(a);
	if (rc < 0) {
		hl_dataset_free(d);
		return cli_fail();
	}
	if (o->version && o->version > (uint64_t)d->version) {
		fprintf(stderr, "halong: dataset %s has no version %llu (it has %d)\n", d->id,
		        (unsigned long long)o->version, d->version);
		hl_dataset_free(d);
		hl_dataset_versions_free(vs);
		return EXIT_ERR;
	}
	if (o->json) {
		json_t *j, *arr = json_array();
		for (size_t i = 0; i < vs->n; i++)
			if (!o->version || vs->v[i].version == (int)o->version)
				json_array_append_new(arr, hl_dataset_version_json(&vs->v[i]));
		if (o->version) {
			j = json_array_size(arr) ? json_incref(json_array_get(arr, 0))
			                         : json_null();
			json_decref(arr);
			cli_print_json(
			    json_pack("{s:o,s:o}", "dataset", hl_dataset_json(d), "version", j));
		} else {
			j = hl_dataset_json(d);
			json_object_set_new(j, "versions", arr);
			cli_print_json(j);
		}
	} else {
		print_dataset(d);
		printf("  versions:\n");
		for (size_t i = 0; i < vs->n; i++) {
			const hl_dataset_version *v = &vs->v[i];
			if (o->version && v->version != (int)o->version)
				continue;
			printf("    %d  %s by %s  %s  +%llu ~%llu -%llu =%llu, %llu rejected%s\n",
			       v->version, v->loaded_at, v->loaded_by, v->source ? v->source : "-",
			       (unsigned long long)v->added, (unsigned long long)v->changed,
			       (unsigned long long)v->removed, (unsigned long long)v->unchanged,
			       (unsigned long long)v->rejected, v->replace ? " (replace)" : "");
			if (o->version)
				printf("       sha256 %s, %lld bytes, %llu rows read\n",
				       v->sha256 ? v->sha256 : "-", (long long)v->size,
				       (unsigned long long)v->rows);
		}
	}
	hl_dataset_free(d);
	hl_dataset_versions_free(vs);
	return EXIT_OK;
}

/* The catalogue through the search of GET /api/v1/datasets: the same filters, the same JSON. */
static int ds_list(const cli_args *args)
{
	const dopts *o = args->opts;
	hl_archive *a = NULL;
	hl_dataset_found *f = NULL;
	hl_dataset_search_opts so = {.q = o->q,
	                             .sector = o->sector,
	                             .owner = o->owner,
	                             .unit = o->unit,
	                             .limit = (size_t)o->limit,
	                             .offset = (size_t)o->offset};
	hl_principal who = me();
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_dataset_search(&f, hl_archive_store(a), &who, &so);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json) {
		cli_print_json(hl_dataset_found_json(f));
	} else {
		if (!f->total)
			printf(o->q || o->sector || o->owner || o->unit
			           ? "no dataset found\n"
			           : "no dataset (halong dataset create ID --title TEXT --from "
			             "FILE)\n");
		for (size_t i = 0; i < f->page.n; i++)
			printf("%-32s %-12s %-10s v%-3d %8lld rows  %s\n", f->page.v[i]->id,
			       f->page.v[i]->sector, hl_access_name(f->page.v[i]->access),
			       f->page.v[i]->version, (long long)f->page.v[i]->rows,
			       f->page.v[i]->title);
		if (f->page.n < f->total)
			printf("(%zu of %zu shown: --offset N)\n", f->page.n, f->total);
	}
	hl_dataset_found_free(f);
	return EXIT_OK;
}

typedef struct {
	int json;
	json_t *rows;
	const hl_table_schema *s;
} diff_out;

static json_t *cells_json(const hl_table_schema *s, const char *const *c)
{
	json_t *o = json_object();
	for (size_t i = 0; i < s->nfields; i++)
		json_object_set_new(o, s->fields[i].name, cli_jstr(c[i]));
	return o;
}

static int on_diff(const hl_diff_row *r, void *ud)
{
	diff_out *d = ud;
	const char *kind = r->kind == HL_DIFF_ADDED     ? "added"
	                   : r->kind == HL_DIFF_REMOVED ? "removed"
	                                                : "changed";
	if (d->json) {
		json_t *o = json_object(), *key = json_array(), *cols = json_array();
		for (size_t k = 0; k < r->nkey; k++)
			json_array_append_new(key, cli_jstr(r->key[k]));
		json_object_set_new(o, "kind", json_string(kind));
		json_object_set_new(o, "key", key);
		if (r->kind == HL_DIFF_CHANGED) {
			for (size_t i = 0; i < r->nfields; i++)
				if (r->changed[i])
					json_array_append_new(cols,
					                      json_string(d->s->fields[i].name));
			json_object_set_new(o, "columns", cols);
		} else
			json_decref(cols);
		json_object_set_new(o, "old", r->old ? cells_json(d->s, r->old) : json_null());
		json_object_set_new(o, "new", r->new_ ? cells_json(d->s, r->new_) : json_null());
		json_array_append_new(d->rows, o);
		return 0;
	}
	printf("%-8s", kind);
	for (size_t k = 0; k < r->nkey; k++)
		printf("%s%s", k ? "/" : " ", r->key[k] ? r->key[k] : "");
	if (r->kind == HL_DIFF_CHANGED) {
		printf(":");
		for (size_t i = 0; i < r->nfields; i++)
			if (r->changed[i])
				printf(" %s: %s -> %s;", d->s->fields[i].name,
				       r->old[i] ? r->old[i] : "(missing)",
				       r->new_[i] ? r->new_[i] : "(missing)");
	}
	printf("\n");
	return 0;
}

static int parse_version(int *out, const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || end == s || v < 0 || v > 1000000000)
		return -1;
	*out = (int)v;
	return 0;
}

static int ds_diff(const cli_args *args)
{
	const dopts *o = args->opts;
	hl_archive *a = NULL;
	hl_dataset *d = NULL;
	hl_diff_stats st;
	hl_principal who = me();
	diff_out out = {.json = o->json};
	int v1, v2, rc;

	if (parse_version(&v1, args->args[1]) < 0 || parse_version(&v2, args->args[2]) < 0)
		return cli_usage(args->cmd,
		                 "versions are whole numbers (0: before the first load)");
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	if ((rc = hl_dataset_get(&d, hl_archive_store(a), &who, args->args[0])) == 0) {
		out.s = d->schema;
		out.rows = json_array();
		rc = hl_dataset_diff(&st, hl_archive_store(a), &who, args->args[0], v1, v2, on_diff,
		                     &out);
	}
	hl_archive_free(a);
	if (rc < 0) {
		json_decref(out.rows);
		hl_dataset_free(d);
		return cli_fail();
	}
	if (o->json)
		cli_print_json(json_pack("{s:s,s:i,s:i,s:I,s:I,s:I,s:o}", "dataset", args->args[0],
		                         "from", v1, "to", v2, "added", (json_int_t)st.added,
		                         "removed", (json_int_t)st.removed, "changed",
		                         (json_int_t)st.changed, "rows", out.rows));
	else {
		json_decref(out.rows);
		printf("diff %s %d..%d: %llu added, %llu removed, %llu changed\n", args->args[0],
		       v1, v2, (unsigned long long)st.added, (unsigned long long)st.removed,
		       (unsigned long long)st.changed);
	}
	hl_dataset_free(d);
	return EXIT_OK;
}

/* export --format datapackage: a folder (or a .zip) with datapackage.json and the CSV. */
static int ds_export_datapackage(const cli_args *args)
{
	const dopts *o = args->opts;
	hl_archive *a = NULL;
	hl_datapackage_stats st;
	int rc;

	if (!o->output)
		return cli_usage(args->cmd,
		                 "a Data Package is a folder: give -o DIR (or -o FILE.zip)");
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_dataset_export_datapackage(&st, hl_archive_store(a), cli_who(), args->args[0],
	                                   (int)o->version, o->output);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json)
		cli_print_json(json_pack("{s:s,s:s,s:s,s:i,s:I,s:s,s:I,s:s}", "dataset",
		                         args->args[0], "format", "datapackage", "file", o->output,
		                         "version", st.version, "rows", (json_int_t)st.rows,
		                         "resource", st.resource, "bytes", (json_int_t)st.bytes,
		                         "sha256", st.sha256));
	else
		fprintf(stderr,
		        "dataset export: %s: datapackage.json and %s, %llu rows (version %d)\n",
		        o->output, st.resource, (unsigned long long)st.rows, st.version);
	return EXIT_OK;
}

/* dcat [ID]: DCAT-AP 3 JSON-LD of the public datasets (or of one). */
static int ds_dcat(const cli_args *args)
{
	const dopts *o = args->opts;
	hl_archive *a = NULL;
	hl_node *n = NULL;
	hl_dcat_opts d = {.base = o->base, .publisher = o->publisher};
	json_t *doc = NULL;
	char *text = NULL;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	/* the node's own address and unit, when it has an identity (halong node init) */
	if ((!d.base || !d.publisher) &&
	    hl_node_open(&n, hl_archive_store(a), hl_archive_dir(a)) == 0) {
		if (!d.base)
			d.base = hl_node_url(n);
		if (!d.publisher)
			d.publisher = hl_node_unit(n);
	}
	if (!d.base) {
		hl_node_free(n);
		hl_archive_free(a);
		return cli_usage(args->cmd,
		                 "give --base URL (the node's public address): this node "
		                 "has no identity with a URL (halong node init)");
	}
	rc = args->nargs ? hl_dcat_dataset(&doc, hl_archive_store(a), &d, args->args[0])
	                 : hl_dcat_catalog(&doc, hl_archive_store(a), &d);
	hl_node_free(n);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!text)
		return cli_fail();
	if (o->output) {
		if (hl_write_atomic(o->output, text, strlen(text), 0644) < 0) {
			free(text);
			return cli_fail();
		}
	} else
		printf("%s\n", text);
	free(text);
	return EXIT_OK;
}

static int ds_export(const cli_args *args)
{
	const dopts *o = args->opts;
	hl_archive *a = NULL;
	hl_export_format fmt;
	hl_principal who = me();
	uint64_t rows = 0;
	int rc;

	if (o->format && !strcmp(o->format, "datapackage"))
		return ds_export_datapackage(args);
	if (hl_export_format_parse(&fmt, o->format) < 0)
		return cli_usage(args->cmd, "%s", hl_error_last());
	if (o->json && !o->output)
		return cli_usage(args->cmd, "--json tells what was written to -o FILE");
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_dataset_export(&rows, hl_archive_store(a), &who, args->args[0], (int)o->version,
	                       fmt, o->output);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json)
		cli_print_json(json_pack("{s:s,s:s,s:s,s:I}", "dataset", args->args[0], "format",
		                         o->format, "file", o->output, "rows", (json_int_t)rows));
	else if (o->output)
		fprintf(stderr, "dataset export: %s: %llu rows\n", o->output,
		        (unsigned long long)rows);
	return EXIT_OK;
}

/* Characters (UTF-8 code points) of s. */
static size_t width(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static const char *cell_str(json_t *v, char *buf, size_t cap)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_null(v))
		return "";
	if (json_is_integer(v))
		snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, cap, "%.15g", json_real_value(v));
	else
		snprintf(buf, cap, "%s", json_is_true(v) ? "true" : "false");
	return buf;
}

/* The JSON answer as a table: on a terminal, columns padded to their widest cell, numbers to
 * the right; else (a pipe, a file) one line a row, cells separated by a tab, as scripts and
 * bench/catalog read it. */
static void print_table(json_t *res)
{
	json_t *cols = json_object_get(res, "columns"), *rows = json_object_get(res, "rows"), *r,
	       *v;
	size_t nc = json_array_size(cols), i, j, *w = calloc(nc ? nc : 1, sizeof(*w));
	char buf[64];
	int tty = isatty(STDOUT_FILENO);
	if (!w)
		return;
	if (!tty) {
		json_array_foreach(cols, j, v) printf("%s%s", j ? "\t" : "", json_string_value(v));
		printf("\n");
		json_array_foreach(rows, i, r)
		{
			json_array_foreach(r, j, v)
			    printf("%s%s", j ? "\t" : "", cell_str(v, buf, sizeof(buf)));
			printf("\n");
		}
		goto more;
	}
	json_array_foreach(cols, j, v) w[j] = width(json_string_value(v));
	json_array_foreach(rows, i, r) json_array_foreach(r, j, v)
	{
		size_t k = width(cell_str(v, buf, sizeof(buf)));
		if (j < nc && k > w[j])
			w[j] = k;
	}
	json_array_foreach(cols, j, v)
	{
		const char *t = json_string_value(v);
		printf("%s%s%*s", j ? "  " : "", t, j + 1 < nc ? (int)(w[j] - width(t)) : 0, "");
	}
	printf("\n");
	json_array_foreach(rows, i, r)
	{
		json_array_foreach(r, j, v)
		{
			const char *t = cell_str(v, buf, sizeof(buf));
			int pad = j < nc ? (int)(w[j] - width(t)) : 0;
			if (json_is_number(v))
				printf("%s%*s%s", j ? "  " : "", pad, "", t);
			else
				printf("%s%s%*s", j ? "  " : "", t, j + 1 < nc ? pad : 0, "");
		}
		printf("\n");
	}
more:
	if (json_is_true(json_object_get(res, "more")))
		fprintf(stderr, "dataset query: more rows follow (--offset %lld)\n",
		        (long long)(json_integer_value(json_object_get(res, "offset")) +
		                    (json_int_t)json_array_size(rows)));
	free(w);
}

static int ds_query(const cli_args *args)
{
	const dopts *o = args->opts;
	hl_archive *a = NULL;
	hl_query_where *w = NULL;
	hl_principal who = me();
	hl_dataset_query_opts qo = {.group_by = o->group_by,
	                            .sum = o->sum,
	                            .avg = o->avg,
	                            .min = o->min,
	                            .max = o->max,
	                            .count = o->count,
	                            .sort = o->sort,
	                            .columns = o->columns,
	                            .version = (int)o->version,
	                            .limit = o->limit,
	                            .max_limit = CLI_QUERY_MAX_LIMIT,
	                            .offset = o->offset,
	                            .timeout_ms = (unsigned)o->timeout};
	const char *fmt = o->qformat ? o->qformat : "table";
	json_t *res = NULL;
	int rc;

	if (o->json) {
		if (o->qformat && strcmp(o->qformat, "json"))
			return cli_usage(args->cmd, "--json is --format json (not %s)", o->qformat);
		fmt = "json";
	}
	if (o->total && !strcmp(fmt, "csv"))
		return cli_usage(args->cmd, "--total is for table and json (csv gives every row)");
	if (o->where && hl_query_where_parse(&w, o->where) < 0)
		return cli_usage(args->cmd, "%s", hl_error_last());
	qo.where = w;
	if (cli_open(&a, args->ctx) < 0) {
		hl_query_where_free(w);
		return cli_fail();
	}
	if (!strcmp(fmt, "csv"))
		/* every row the filter keeps (--limit if given), streamed */
		rc = hl_dataset_query_csv(NULL, hl_archive_store(a), &who, args->args[0], &qo,
		                          stdout);
	else
		rc = hl_dataset_query_json(&res, hl_archive_store(a), &who, args->args[0], &qo,
		                           o->total);
	hl_archive_free(a);
	hl_query_where_free(w);
	if (rc < 0)
		return cli_fail();
	if (res && !strcmp(fmt, "json")) {
		/* numbers in 15 significant digits, as stored (cli_print_json would show 17) */
		char *text;
		json_object_set_new(res, "dataset", json_string(args->args[0]));
		text =
		    json_dumps(res, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
		json_decref(res);
		if (!text) {
			hl_error_set(HL_ENOMEM, "out of memory");
			return cli_fail();
		}
		printf("%s\n", text);
		free(text);
	} else if (res) {
		print_table(res);
		if (o->total)
			fprintf(stderr, "dataset query: %lld in all\n",
			        (long long)json_integer_value(json_object_get(res, "total")));
		json_decref(res);
	}
	return EXIT_OK;
}

#define JSON_OPT CLI_FLAG_OPT("json", 0, dopts, json, "as JSON")
#define VERSION_OPT                                                                                \
	CLI_COUNT_OPT("version", dopts, version, "N", 0, 1000000000, "0",                          \
	              "version N (default: the current one)")

static const cli_opt create_opts[] = {
    CLI_TEXT_OPT("title", 0, dopts, title, "TEXT",
                 "the dataset's title (Vietnamese; needed but with --datapackage)"),
    CLI_TEXT_OPT("schema", 0, dopts, schema, "FILE.json", "a Frictionless Table Schema"),
    CLI_TEXT_OPT("from", 0, dopts, from, "FILE",
                 "or infer the schema from a CSV or XLSX file (every row read)"),
    CLI_TEXT_OPT("key", 0, dopts, key, "COL[,COL]", "--from: the primary key's columns"),
    CLI_TEXT_OPT("unit", 0, dopts, unit, "COL[,COL]",
                 "--from: columns of administrative unit codes (checked on --date)"),
    CLI_TEXT_OPT("sheet", 0, dopts, sheet, "NAME", "XLSX: the sheet (default: the first)"),
    CLI_TEXT_OPT("owner", 0, dopts, owner, "AGENCY",
                 "the owner: an agency (code or name) or a unit code"),
    CLI_CHOICE_OPT("sector", dopts, sector, "SECTOR",
                   "tourism,health,education,agriculture,environment,taxation,finance,"
                   "transport,industry,population,land,culture,justice,labour,other",
                   0, "the sector (default: other)"),
    CLI_TEXT_OPT("access", 0, dopts, access, "LEVEL",
                 "public, internal, restricted or secret (default: internal)"),
    CLI_TEXT_OPT("description", 0, dopts, description, "TEXT", "what the data is"),
    CLI_TEXT_OPT("keywords", 0, dopts, keywords, "A,B", "keywords, comma-separated"),
    CLI_TEXT_OPT("licence", 0, dopts, licence, "TEXT", "the licence"),
    CLI_TEXT_OPT("frequency", 0, dopts, frequency, "TEXT", "how often it is updated"),
    CLI_TEXT_OPT("provenance", 0, dopts, provenance, "TEXT", "where the data comes from"),
    CLI_TEXT_OPT("date", 0, dopts, date, "DATE",
                 "the day unit codes are checked against (default: each load's day)"),
    CLI_TEXT_OPT("datapackage", 0, dopts, datapackage, "DIR",
                 "or create it from a Data Package (DIR or DIR/datapackage.json) and load its "
                 "resource"),
    CLI_TEXT_OPT("rejects", 0, dopts, rejects, "FILE",
                 "--datapackage: write every bad cell to FILE (CSV)"),
    JSON_OPT,
    CLI_OPT_END,
};
static const cli_opt load_opts[] = {
    CLI_FLAG_OPT("replace", 0, dopts, replace, "rows absent from the file are removed"),
    CLI_TEXT_OPT("rejects", 0, dopts, rejects, "FILE", "write every bad cell to FILE (CSV)"),
    CLI_TEXT_OPT("sheet", 0, dopts, sheet, "NAME", "XLSX: the sheet (default: the first)"),
    JSON_OPT,
    CLI_OPT_END,
};
static const cli_opt query_opts[] = {
    CLI_TEXT_OPT("where", 0, dopts, where, "EXPR",
                 "keep rows where EXPR: FIELD = != < <= > >= VALUE, FIELD ~ TEXT (tone-free), "
                 "FIELD in (A, B), FIELD between A and B, FIELD is [not] null, joined by and"),
    CLI_TEXT_OPT("sort", 0, dopts, sort, "COLS", "order by these fields, -FIELD descending"),
    CLI_TEXT_OPT("columns", 0, dopts, columns, "COLS", "only these fields, in this order"),
    CLI_TEXT_OPT("group-by", 0, dopts, group_by, "FIELD", "one row per value of FIELD"),
    CLI_FLAG_OPT("count", 0, dopts, count, "count the rows (of each group)"),
    CLI_TEXT_OPT("sum", 0, dopts, sum, "FIELD", "the sum of FIELD (an integer or number)"),
    CLI_TEXT_OPT("avg", 0, dopts, avg, "FIELD", "the mean of FIELD (an integer or number)"),
    CLI_TEXT_OPT("min", 0, dopts, min, "FIELD", "the least value of FIELD"),
    CLI_TEXT_OPT("max", 0, dopts, max, "FIELD", "the greatest value of FIELD"),
    VERSION_OPT,
    CLI_COUNT_OPT("limit", dopts, limit, "N", 0, 1000000, "0",
                  "at most N rows or groups (default 100; csv: all)"),
    CLI_COUNT_OPT("offset", dopts, offset, "N", 0, 1e12, "0", "skip the first N"),
    CLI_FLAG_OPT("total", 0, dopts, total, "count every row (group) matched too"),
    CLI_COUNT_OPT("timeout", dopts, timeout, "MS", 1, 600000, "1000",
                  "stop a query that takes longer (csv: between two rows)"),
    CLI_CHOICE_OPT("format", dopts, qformat, "FORMAT", "table,csv,json", 0,
                   "table (default), csv (every row, streamed) or json"),
    JSON_OPT,
    CLI_OPT_END,
};
static const cli_opt show_opts[] = {VERSION_OPT, JSON_OPT, CLI_OPT_END};
static const cli_opt json_opts[] = {JSON_OPT, CLI_OPT_END};
static const cli_opt list_opts[] = {
    CLI_TEXT_OPT("q", 0, dopts, q, "WORDS",
                 "datasets whose title, description or keywords hold every word (tones and "
                 "case ignored)"),
    CLI_CHOICE_OPT("sector", dopts, sector, "SECTOR",
                   "tourism,health,education,agriculture,environment,taxation,finance,"
                   "transport,industry,population,land,culture,justice,labour,other",
                   0, "of this sector"),
    CLI_TEXT_OPT("owner", 0, dopts, owner, "CODE", "owned by this agency or unit (its code)"),
    CLI_TEXT_OPT("unit", 0, dopts, unit, "CODE",
                 "owned by this unit, or whose unit-code columns hold it now"),
    CLI_COUNT_OPT("limit", dopts, limit, "N", 0, 1e9, "0", "at most N (0: every one)"),
    CLI_COUNT_OPT("offset", dopts, offset, "N", 0, 1e9, "0", "skip the first N"),
    JSON_OPT,
    CLI_OPT_END,
};
static const cli_opt export_opts[] = {
    VERSION_OPT,
    CLI_CHOICE_OPT("format", dopts, format, "FORMAT", "csv,json,xlsx,datapackage", CLI_REQUIRED,
                   "csv, json, xlsx or datapackage (a folder, or a .zip)"),
    CLI_TEXT_OPT("output", 'o', dopts, output, "FILE", "write to FILE (default: stdout)"),
    JSON_OPT,
    CLI_OPT_END,
};

static const cli_opt dcat_opts[] = {
    CLI_TEXT_OPT("base", 0, dopts, base, "URL",
                 "the node's public address, root of every IRI (default: the node's URL)"),
    CLI_TEXT_OPT("publisher", 0, dopts, publisher, "CODE",
                 "the catalogue's publisher: a unit or agency code (default: the node's unit)"),
    CLI_TEXT_OPT("output", 'o', dopts, output, "FILE", "write to FILE (default: stdout)"),
    CLI_OPT_END,
};

/* ---- regroup (helper "regroup") ---- */

typedef struct {
	int json;
	const char *to_units, *as, *weights, *decision, *column, *by, *title;
} ropts;

static int ds_regroup(const cli_args *args)
{
	const ropts *o = args->opts;
	hl_archive *a = NULL;
	hl_dataset *d = NULL;
	json_t *rep = NULL, *sp;
	hl_principal who = me();
	hl_regroup_opts ro = {.to_units = o->to_units,
	                      .as = o->as,
	                      .weights = o->weights,
	                      .decision = o->decision,
	                      .column = o->column,
	                      .by = o->by,
	                      .title = o->title};
	size_t i;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_dataset_regroup(&d, &rep, hl_archive_store(a), &who, args->args[0], &ro);
	hl_archive_free(a);
	if (rc < 0) {
		/* a refusal still shows which units are split and undecided */
		if (rep && o->json)
			cli_print_json(
			    json_pack("{s:o,s:s}", "report", rep, "error", hl_error_last()));
		else
			json_decref(rep);
		return cli_fail();
	}
	if (o->json) {
		json_t *j = hl_dataset_json(d);
		json_object_set_new(j, "report", rep);
		cli_print_json(j);
		hl_dataset_free(d);
		return EXIT_OK;
	}
	printf("dataset regroup: %s → %s (units of %s): %lld rows read, %lld rows written; %lld "
	       "old units merged whole, %zu split\n",
	       args->args[0], d->id, json_string_value(json_object_get(rep, "to_units")),
	       (long long)json_integer_value(json_object_get(rep, "rows_read")),
	       (long long)json_integer_value(json_object_get(rep, "rows_written")),
	       (long long)json_integer_value(json_object_get(rep, "whole")),
	       json_array_size(json_object_get(rep, "split")));
	json_array_foreach(json_object_get(rep, "split"), i, sp)
	{
		size_t k;
		json_t *t;
		printf("  split %s %s (%lld rows): %s →",
		       json_string_value(json_object_get(sp, "old_code")),
		       json_string_value(json_object_get(sp, "old_name")),
		       (long long)json_integer_value(json_object_get(sp, "rows")),
		       json_string_value(json_object_get(sp, "choice")));
		json_array_foreach(json_object_get(sp, "to"), k, t)
		{
			printf("%s %s %s %.6f", k ? "," : "",
			       json_string_value(json_object_get(t, "new_code")),
			       json_string_value(json_object_get(t, "new_name")),
			       json_real_value(json_object_get(t, "share")));
		}
		printf("\n");
	}
	if (json_integer_value(json_object_get(rep, "rows_incomplete")))
		printf(
		    "  %lld rows lack some of their old units (named in regroup_missing): partial "
		    "sums\n",
		    (long long)json_integer_value(json_object_get(rep, "rows_incomplete")));
	if (json_array_size(json_object_get(rep, "dropped"))) {
		printf("  dropped (neither a key nor a number):");
		json_array_foreach(json_object_get(rep, "dropped"), i, sp)
		    printf(" %s", json_string_value(sp));
		printf("\n");
	}
	json_decref(rep);
	hl_dataset_free(d);
	return EXIT_OK;
}

static const cli_opt regroup_opts[] = {
    CLI_NEEDED_OPT("to-units", ropts, to_units, "DATE",
                   "the day of the new units (2025-07-01: the reform)"),
    CLI_NEEDED_OPT("as", ropts, as, "NEW_ID", "the new dataset's id"),
    CLI_TEXT_OPT("weights", 0, ropts, weights, "W",
                 "shares of a split commune: area, population (the 2025 units' table) or "
                 "DATASET:COLUMN"),
    CLI_TEXT_OPT("decision", 0, ropts, decision, "FILE",
                 "the written choice: a CSV old_code,new_code,share[,note]"),
    CLI_TEXT_OPT("column", 0, ropts, column, "FIELD",
                 "the unit-code field (default: the dataset's only one)"),
    CLI_TEXT_OPT("by", 0, ropts, by, "A,B",
                 "group keys kept (default: the primary key's other fields)"),
    CLI_TEXT_OPT("title", 0, ropts, title, "TEXT", "the new dataset's title"),
    CLI_FLAG_OPT("json", 0, ropts, json, "as JSON: the new dataset and the report"),
    CLI_OPT_END,
};

#define DATASET (&cli_catalog_commands[0])

static const cli_cmd dataset_subs[] = {
    {.name = "create",
     .summary = "create a dataset from a Table Schema, a sample file or a Data Package",
     .operands = "ID",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the dataset's id (1-64 of A-Z a-z 0-9 - _ .)",
     .opts = create_opts,
     .opts_size = sizeof(dopts),
     .run = ds_create,
     .group = DATASET,
     .help = "--from reads every row: each column gets the narrowest type all its cells fit "
             "(integer, number, boolean, date, else string); a number written with a leading "
             "zero (a code) stays a string. A unit code column is a string field with "
             "\"unitCode\": true in a schema file. --datapackage takes the package's metadata "
             "and Table Schema and loads its one CSV, checked first: a path inside the "
             "package's folder (no URL, absolute path, .. or link leading out), its bytes and "
             "sha256 hash; access is --access (default internal)."},
    {.name = "load",
     .summary = "load a CSV or XLSX file into a dataset: a new version",
     .operands = "ID FILE",
     .min_args = 2,
     .max_args = 2,
     .missing = "give the dataset's id and the file",
     .opts = load_opts,
     .opts_size = sizeof(dopts),
     .run = ds_load,
     .group = DATASET,
     .help = "Every cell is checked against the schema; each bad one is named by line and "
             "column and its row rejected; the good rows load in one transaction (upsert by "
             "primary key). A load that changes nothing makes no version. Exit 3 when rows "
             "were rejected."},
    {.name = "show",
     .summary = "a dataset: its description, schema and versions",
     .operands = "ID",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the dataset's id",
     .opts = show_opts,
     .opts_size = sizeof(dopts),
     .run = ds_show,
     .group = DATASET},
    {.name = "list",
     .summary = "the datasets you may read, searched (--q, --sector, --owner, --unit)",
     .opts = list_opts,
     .opts_size = sizeof(dopts),
     .run = ds_list,
     .group = DATASET},
    {.name = "diff",
     .summary = "rows added, removed and changed between two versions, by primary key",
     .operands = "ID V1 V2",
     .min_args = 3,
     .max_args = 3,
     .missing = "give the dataset's id and two versions",
     .opts = json_opts,
     .opts_size = sizeof(dopts),
     .run = ds_diff,
     .group = DATASET},
    {.name = "export",
     .summary = "write a version's rows as CSV, JSON, XLSX or a Data Package",
     .operands = "ID",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the dataset's id",
     .opts = export_opts,
     .opts_size = sizeof(dopts),
     .run = ds_export,
     .group = DATASET,
     .help = "No cell becomes a formula: in CSV a text beginning with = + - @ (or a tab or a "
             "carriage return) is prefixed with ' (OWASP's advice); in XLSX it is written as "
             "a string."},
    {.name = "query",
     .summary = "the rows a filter keeps, sorted, or their groups with count sum avg min max",
     .operands = "ID",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the dataset's id",
     .opts = query_opts,
     .opts_size = sizeof(dopts),
     .run = ds_query,
     .group = DATASET,
     .help = "The filter is parsed, never SQL: each value is checked against its field's type "
             "and bound as a parameter; FIELD ~ TEXT matches text with tones, case and đ aside "
             "(\"ha long\" finds \"Hạ Long\"). A table (aligned on a terminal, tab-separated "
             "otherwise) or JSON gives at most --limit rows "
             "(default 100, at most 1,000,000); --format csv streams every row. Example: "
             "--where \"year >= 2022 and unit in (06652, 06658)\" --group-by unit --sum "
             "amount --count --sort -sum."},
    {.name = "regroup",
     .summary = "data keyed by old communes onto the new units, as a new dataset",
     .operands = "ID",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the dataset's id",
     .opts = regroup_opts,
     .opts_size = sizeof(ropts),
     .run = ds_regroup,
     .group = DATASET,
     .help = "A whole merge moves sums whole; a split commune is divided only by a written "
             "choice (--decision, else --weights) and each row says how (regroup_note). "
             "Without a choice the regroup is refused and names every split commune. Text and "
             "date fields that are not keys are dropped. Example: halong dataset regroup "
             "ds-2024 --to-units 2025-07-01 --as ds-2024-moi --weights population."},
    /* ---- share (cmd_dataset_share.c): sharing between agencies ---- */
    {.name = "request",
     .summary = "ask for another agency's dataset (purpose and legal basis required)",
     .operands = "ID",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the dataset's id",
     .opts = share_request_opts,
     .opts_size = sizeof(share_opts),
     .run = share_request,
     .group = DATASET,
     .help = "Nghị định 194/2025/NĐ-CP Điều 16 k2: data used in common is shared by default "
             "with the state agencies that ask. The answer is due 2 working days later "
             "(Saturdays and Sundays skipped; public holidays not counted yet). The node's "
             "operator names the requesting agency with --agency."},
    {.name = "grant",
     .summary = "grant a pending request: the agency's users read the dataset",
     .operands = "N",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the request's number (halong dataset requests)",
     .opts = share_grant_opts,
     .opts_size = sizeof(share_opts),
     .run = share_grant,
     .group = DATASET,
     .help = "The requesting agency's users then read the dataset at its level (internal "
             "or restricted, never secret) until --until, or until revoked; they never "
             "load it."},
    {.name = "refuse",
     .summary = "refuse a pending request, in writing: --reason and --legal-basis",
     .operands = "N",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the request's number (halong dataset requests)",
     .opts = share_refuse_opts,
     .opts_size = sizeof(share_opts),
     .run = share_refuse,
     .group = DATASET,
     .help = "Nghị định 194/2025/NĐ-CP Điều 16 k2: a refusal states its reason and the legal "
             "provision that limits the sharing; a refusal without either is refused."},
    {.name = "revoke",
     .summary = "end a grant, in writing: --reason and --legal-basis",
     .operands = "N",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the request's number (halong dataset requests)",
     .opts = share_refuse_opts,
     .opts_size = sizeof(share_opts),
     .run = share_revoke,
     .group = DATASET},
    {.name = "requests",
     .summary = "requests for datasets: asked by and of each agency",
     .opts = share_list_opts,
     .opts_size = sizeof(share_opts),
     .run = share_list,
     .group = DATASET},
    {.name = "subscribe",
     .summary = "on a commune: follow one of the hub's public datasets through its feed",
     .operands = "ID",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the hub's dataset id",
     .opts = share_subscribe_opts,
     .opts_size = sizeof(share_opts),
     .run = share_subscribe,
     .group = DATASET,
     .help = "A commune applies only the datasets it follows from the hub's datasets feed; "
             "subscribing reads the feed again from its start, so the versions already "
             "published come with the next pull (halong feed pull, or the server's feed "
             "thread)."},
    {.name = "unsubscribe",
     .summary = "on a commune: stop following a hub's dataset (the copy here stays)",
     .operands = "ID",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the hub's dataset id",
     .opts = share_subscribe_opts,
     .opts_size = sizeof(share_opts),
     .run = share_unsubscribe,
     .group = DATASET},
    {.name = "subscriptions",
     .summary = "the hub's datasets this node follows",
     .opts = share_subscribe_opts,
     .opts_size = sizeof(share_opts),
     .run = share_subscriptions,
     .group = DATASET},
    {.name = "dcat",
     .summary = "DCAT-AP 3 metadata (JSON-LD) of the public datasets, or of one",
     .operands = "[ID]",
     .min_args = 0,
     .max_args = 1,
     .opts = dcat_opts,
     .opts_size = sizeof(dopts),
     .run = ds_dcat,
     .group = DATASET,
     .help = "Only public datasets: an internal one is \"no dataset\". The same documents as "
             "GET /dcat/catalog.jsonld and /dcat/datasets/ID.jsonld of halong serve."},
    {0},
};

const cli_cmd cli_catalog_commands[] = {
    {.name = "dataset",
     .summary = "the shared database: datasets, their loads, versions, diffs and exports",
     .subs = dataset_subs},
    {0},
};
