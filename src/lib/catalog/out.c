/* Reading a dataset's rows out: a version's rows, the diff of two versions by primary key, and
 * exports to CSV, JSON and XLSX where no cell is ever taken for a formula. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <xlsxwriter.h>

#include "../store/store_catalog.h"
#include "catalog_int.h"
#include "halong/util.h"

/* The version asked for: 0 the current one; one that does not exist is HL_ENOTFOUND. */
static int pick_version(int *v, const hl_catalog__ds *ds, int version)
{
	if (version < 0 || version > ds->d->version)
		return hl_error_set(HL_ENOTFOUND, "dataset %s has no version %d (it has %d)",
		                    ds->d->id, version, ds->d->version);
	*v = version ? version : ds->d->version;
	return 0;
}

int hl_dataset_rows(hl_store *st, const hl_principal *who, const char *id, int version,
                    hl_row_cb cb, void *ud)
{
	hl_catalog__ds ds;
	int rc = hl_catalog__open(&ds, st, who, id), v;
	if (rc < 0)
		return rc;
	if ((rc = pick_version(&v, &ds, version)) == 0)
		rc = hl_store_ds_rows(st, ds.iid, ds.types, ds.d->schema->nfields, v,
		                      (int (*)(const char *const *, size_t, void *))cb, ud);
	hl_catalog__close(&ds);
	return rc;
}

/* ---- diff ---- */

typedef struct {
	const hl_table_schema *s;
	hl_diff_stats *st;
	hl_diff_cb cb;
	void *ud;
	int *changed;
	const char **key;
} diff_ctx;

static int same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int on_diff(const char *key, const char *const *old, const char *const *new_, size_t n,
                   void *ud)
{
	diff_ctx *c = ud;
	hl_diff_row r = {.old = old, .new_ = new_, .nfields = n, .changed = c->changed};
	const char *const *row = new_ ? new_ : old;
	(void)key;
	for (size_t i = 0; i < n; i++)
		c->changed[i] = old && new_ && !same(old[i], new_[i]);
	if (c->s->npkey) {
		for (size_t k = 0; k < c->s->npkey; k++)
			c->key[k] = row[c->s->pkey[k]];
		r.key = c->key;
		r.nkey = c->s->npkey;
	} else {
		r.key = row;
		r.nkey = n;
	}
	r.kind = !old ? HL_DIFF_ADDED : !new_ ? HL_DIFF_REMOVED : HL_DIFF_CHANGED;
	if (r.kind == HL_DIFF_ADDED)
		c->st->added++;
	else if (r.kind == HL_DIFF_REMOVED)
		c->st->removed++;
	else
		c->st->changed++;
	return c->cb ? c->cb(&r, c->ud) : 0;
}

int hl_dataset_diff(hl_diff_stats *out, hl_store *st, const hl_principal *who, const char *id,
                    int v1, int v2, hl_diff_cb cb, void *ud)
{
	hl_catalog__ds ds;
	diff_ctx c = {.cb = cb, .ud = ud, .st = out};
	int rc;
	memset(out, 0, sizeof(*out));
	if ((rc = hl_catalog__open(&ds, st, who, id)) < 0)
		return rc;
	if (v1 < 0 || v2 < 1 || v1 >= v2) {
		rc = hl_error_set(HL_EINVALID, "diff: V1 before V2, V1 from 0 (got %d and %d)", v1,
		                  v2);
		goto done;
	}
	if (v2 > ds.d->version) {
		rc = hl_error_set(HL_ENOTFOUND, "dataset %s has no version %d (it has %d)", id, v2,
		                  ds.d->version);
		goto done;
	}
	c.s = ds.d->schema;
	c.changed = calloc(c.s->nfields, sizeof(int));
	c.key = calloc(c.s->npkey ? c.s->npkey : 1, sizeof(char *));
	if (!c.changed || !c.key) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	rc = hl_store_ds_diff(st, ds.iid, ds.types, c.s->nfields, v1, v2, on_diff, &c);
done:
	free(c.changed);
	free(c.key);
	hl_catalog__close(&ds);
	return rc;
}

/* ---- export ---- */

int hl_export_format_parse(hl_export_format *out, const char *s)
{
	if (s && !strcmp(s, "csv"))
		*out = HL_EXPORT_CSV;
	else if (s && !strcmp(s, "json"))
		*out = HL_EXPORT_JSON;
	else if (s && !strcmp(s, "xlsx"))
		*out = HL_EXPORT_XLSX;
	else
		return hl_error_set(HL_EINVALID, "format: csv, json or xlsx (got %.20s)",
		                    s ? s : "nothing");
	return 0;
}

static int formula_like(const char *v)
{
	return v && (*v == '=' || *v == '+' || *v == '-' || *v == '@' || *v == '\t' || *v == '\r');
}

int hl_catalog__formula_escaped(const char *v)
{
	if (!v)
		return 0;
	while (*v == '\'')
		v++;
	return formula_like(v);
}

typedef struct {
	const hl_table_schema *s;
	hl_export_format fmt;
	FILE *f;
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_format *date;
	uint64_t rows;
	char *buf;
	size_t cap;
	int err;
	int lossless; /* the Data Package's CSV: '=x and =x told apart (hl_catalog__formula_escaped)
	               */
} exp_ctx;

int hl_catalog__csv_row(FILE *f, const char *const *cells, const int *types, size_t n, int lossless)
{
	const char *out[1 + HL_SCHEMA_MAX_FIELDS];
	char *safe[1 + HL_SCHEMA_MAX_FIELDS] = {0};
	int rc = 0;
	if (n > 1 + HL_SCHEMA_MAX_FIELDS)
		return hl_error_set(HL_EINVALID, "%zu columns: more than a dataset has", n);
	for (size_t i = 0; i < n; i++) {
		out[i] = cells[i] ? cells[i] : "";
		/* only text can start a formula: a negative number stays a number */
		if (types[i] == HL_FIELD_STRING &&
		    (lossless ? hl_catalog__formula_escaped(cells[i]) : formula_like(cells[i]))) {
			size_t len = strlen(cells[i]);
			if (!(safe[i] = malloc(len + 2))) {
				rc = hl_error_set(HL_ENOMEM, "out of memory");
				break;
			}
			safe[i][0] = '\'';
			memcpy(safe[i] + 1, cells[i], len + 1);
			out[i] = safe[i];
		}
	}
	if (rc == 0 && hl_csv_write(f, out, n) < 0)
		rc = hl_error_set(HL_EIO, "cannot write the CSV");
	for (size_t i = 0; i < n; i++)
		free(safe[i]);
	return rc;
}

static int on_csv(const char *const *cells, size_t n, void *ud)
{
	exp_ctx *c = ud;
	int types[HL_SCHEMA_MAX_FIELDS];
	for (size_t i = 0; i < n && i < HL_SCHEMA_MAX_FIELDS; i++)
		types[i] = (int)c->s->fields[i].type;
	int rc = hl_catalog__csv_row(c->f, cells, types, n, c->lossless);
	c->rows++;
	return rc;
}

static json_t *cell_json(const hl_field *f, const char *v)
{
	if (!v)
		return json_null();
	switch (f->type) {
	case HL_FIELD_INTEGER:
		return json_integer(strtoll(v, NULL, 10));
	case HL_FIELD_NUMBER:
		return json_real(strtod(v, NULL));
	case HL_FIELD_BOOLEAN:
		return json_boolean(!strcmp(v, "true"));
	default:
		return json_string(v);
	}
}

static int on_json(const char *const *cells, size_t n, void *ud)
{
	exp_ctx *c = ud;
	json_t *o = json_object();
	char *t;
	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, c->s->fields[i].name, cell_json(&c->s->fields[i], cells[i]));
	t = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	json_decref(o);
	if (!t)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if (fprintf(c->f, "%s%s", c->rows ? ",\n" : "\n", t) < 0) {
		free(t);
		return hl_error_set(HL_EIO, "cannot write the export");
	}
	free(t);
	c->rows++;
	return 0;
}

static int on_xlsx(const char *const *cells, size_t n, void *ud)
{
	exp_ctx *c = ud;
	lxw_row_t y;
	if (c->rows + 1 >= LXW_ROW_MAX)
		return hl_error_set(HL_ELIMIT, "XLSX: more than %u rows",
		                    (unsigned)LXW_ROW_MAX - 1);
	y = (lxw_row_t)(c->rows + 1);
	for (size_t i = 0; i < n; i++) {
		const hl_field *f = &c->s->fields[i];
		lxw_col_t x = (lxw_col_t)i;
		const char *v = cells[i];
		lxw_error e = LXW_NO_ERROR;
		if (!v)
			continue;
		switch (f->type) {
		case HL_FIELD_INTEGER:
		case HL_FIELD_NUMBER:
			e = worksheet_write_number(c->ws, y, x, strtod(v, NULL), NULL);
			break;
		case HL_FIELD_BOOLEAN:
			e = worksheet_write_boolean(c->ws, y, x, !strcmp(v, "true"), NULL);
			break;
		case HL_FIELD_DATE: {
			lxw_datetime dt = {atoi(v), atoi(v + 5), atoi(v + 8), 0, 0, 0};
			e = worksheet_write_datetime(c->ws, y, x, &dt, c->date);
			break;
		}
		default:
			/* a string, always: worksheet_write_string never makes a formula */
			e = worksheet_write_string(c->ws, y, x, v, NULL);
		}
		if (e != LXW_NO_ERROR)
			return hl_error_set(HL_EIO, "XLSX: %s", lxw_strerror(e));
	}
	c->rows++;
	return 0;
}

static int export_rows(uint64_t *rows, hl_store *st, const hl_principal *who, const char *id,
                       int version, hl_export_format format, const char *path, int lossless)
{
	hl_catalog__ds ds;
	exp_ctx c = {.fmt = format, .lossless = lossless};
	int rc, v, own = 0;
	char *part = NULL; /* written there, renamed to path once whole */

	if ((rc = hl_catalog__open(&ds, st, who, id)) < 0)
		return rc;
	if (path) {
		size_t n = strlen(path) + 8;
		if (!(part = malloc(n))) {
			hl_catalog__close(&ds);
			return hl_error_set(HL_ENOMEM, "out of memory");
		}
		snprintf(part, n, "%s.part", path);
	}
	if ((rc = pick_version(&v, &ds, version)) < 0)
		goto done;
	c.s = ds.d->schema;
	if (format == HL_EXPORT_XLSX) {
		lxw_workbook_options o = {.constant_memory = LXW_TRUE, .tmpdir = NULL};
		lxw_format *head;
		if (!path) {
			rc = hl_error_set(HL_EINVALID, "an XLSX export needs a file (-o FILE)");
			goto done;
		}
		if (!(c.wb = workbook_new_opt(part, &o))) {
			rc = hl_error_set(HL_EIO, "%s: cannot make the workbook", path);
			goto done;
		}
		head = workbook_add_format(c.wb);
		format_set_bold(head);
		c.date = workbook_add_format(c.wb);
		format_set_num_format(c.date, "yyyy-mm-dd");
		c.ws = workbook_add_worksheet(c.wb, "data");
		for (size_t i = 0; i < c.s->nfields; i++)
			worksheet_write_string(c.ws, 0, (lxw_col_t)i, c.s->fields[i].name, head);
		rc = hl_store_ds_rows(st, ds.iid, ds.types, c.s->nfields, v, on_xlsx, &c);
		lxw_error e = workbook_close(c.wb);
		if (rc == 0 && e != LXW_NO_ERROR)
			rc = hl_error_set(HL_EIO, "%s: XLSX: %s", path, lxw_strerror(e));
		goto audit;
	}
	if (path) {
		if (!(c.f = fopen(part, "w"))) {
			rc = hl_error_set(HL_EIO, "%s: cannot write", path);
			goto done;
		}
		own = 1;
	} else
		c.f = stdout;
	if (format == HL_EXPORT_CSV) {
		const char *head[HL_SCHEMA_MAX_FIELDS];
		for (size_t i = 0; i < c.s->nfields; i++)
			head[i] = c.s->fields[i].name;
		hl_csv_write(c.f, head, c.s->nfields);
		rc = hl_store_ds_rows(st, ds.iid, ds.types, c.s->nfields, v, on_csv, &c);
	} else {
		fputs("[", c.f);
		rc = hl_store_ds_rows(st, ds.iid, ds.types, c.s->nfields, v, on_json, &c);
		fputs(c.rows ? "\n]\n" : "]\n", c.f);
	}
	if (fflush(c.f) != 0 && rc == 0)
		rc = hl_error_set(HL_EIO, "cannot write the export");
	if (own && fclose(c.f) != 0 && rc == 0)
		rc = hl_error_set(HL_EIO, "%s: cannot write", path);
audit:
	/* audited before the file appears: an export the log lacks never exists */
	if (rc == 0 && ds.d->access > HL_ACCESS_PUBLIC) {
		char detail[64];
		snprintf(detail, sizeof(detail), "version %d, %llu rows", v,
		         (unsigned long long)c.rows);
		rc = hl_store_audit(st, hl_principal_actor(who), "dataset.export", id, detail);
	}
	if (part) {
		if (rc == 0 && rename(part, path) != 0)
			rc = hl_error_set(HL_EIO, "%s: cannot write", path);
		if (rc < 0)
			unlink(part);
	}
	if (rc == 0 && rows)
		*rows = c.rows;
done:
	free(part);
	hl_catalog__close(&ds);
	return rc;
}

int hl_dataset_export(uint64_t *rows, hl_store *st, const hl_principal *who, const char *id,
                      int version, hl_export_format format, const char *path)
{
	return export_rows(rows, st, who, id, version, format, path, 0);
}

int hl_catalog__export_csv_lossless(uint64_t *rows, hl_store *st, const hl_principal *who,
                                    const char *id, int version, const char *path)
{
	return export_rows(rows, st, who, id, version, HL_EXPORT_CSV, path, 1);
}
