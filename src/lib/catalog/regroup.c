/* Regrouping: a dataset keyed by old communes onto the units that succeeded them (issue 14,
 * "units make data comparable"). A whole merge moves values whole; a split commune's values are
 * divided only by a written choice (a decision file, or weights from the area or population
 * table or a dataset's column), never silently. The new dataset is made in one transaction. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../store/store_catalog.h"
#include "catalog_int.h"
#include "halong/catalog_json.h"
#include "halong/units.h"
#include "halong/util.h"
#include "halong/config.h"

/* One target of an old unit: the new unit and the share of the old one's values it gets. */
typedef struct {
	char *code, *name, *merge_type;
	double weight; /* NAN: none used */
	double share;  /* NAN: undecided */
} target;

/* An old unit found in the data. */
typedef struct {
	char *code, *name;
	size_t rows;
	size_t n;
	target *to;
	int split;
	const char *choice; /* "whole", "decision", "weights=area", ..., "undecided" */
} old_unit;

/* A row of the source: its unit, its group keys and the cells of the summed fields. */
typedef struct {
	char *unit;
	char **keys;
	char **vals;
	size_t line; /* 1-based, in the version's order */
	old_unit *old;
} src_row;

typedef struct {
	const hl_table_schema *s;
	size_t ucol;
	size_t *kcol, nk;
	size_t *vcol, nv;
	src_row *rows;
	size_t n, cap;
	int err;
} reader;

/* A contribution of one row to one new unit. */
typedef struct {
	char *key; /* new code \x1f group keys */
	const src_row *row;
	const target *t;
} contrib;

/* Values of a table (weights): code → value. */
typedef struct {
	char **code;
	double *v;
	size_t n, cap;
} wtable;

static void wtable_free(wtable *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->code[i]);
	free(w->code);
	free(w->v);
	memset(w, 0, sizeof(*w));
}

static int wtable_add(wtable *w, const char *code, double v)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		char **c = realloc(w->code, cap * sizeof(*c));
		double *d;
		if (!c)
			return hl_error_set(HL_ENOMEM, "out of memory");
		w->code = c;
		if (!(d = realloc(w->v, cap * sizeof(*d))))
			return hl_error_set(HL_ENOMEM, "out of memory");
		w->v = d;
		w->cap = cap;
	}
	if (!(w->code[w->n] = hl_strdup(code)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	w->v[w->n++] = v;
	return 0;
}

static const double *wtable_get(const wtable *w, const char *code)
{
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->code[i], code))
			return &w->v[i];
	return NULL;
}

/* A number written in full (no trailing text), or -1. */
static int parse_double(double *out, const char *s)
{
	char *end;
	if (!s || !*s)
		return -1;
	*out = strtod(s, &end);
	return (*end || !isfinite(*out)) ? -1 : 0;
}

/* The day before `day` (ISO). */
static void day_before(char out[11], const char *day)
{
	struct tm tm = {0};
	time_t t;
	sscanf(day, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_hour = 12;
	t = timegm(&tm) - 86400;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static int field_index(const hl_table_schema *s, const char *name)
{
	for (size_t i = 0; i < s->nfields; i++)
		if (!strcmp(s->fields[i].name, name))
			return (int)i;
	return -1;
}

static int is_sum_type(hl_field_type t)
{
	return t == HL_FIELD_INTEGER || t == HL_FIELD_NUMBER;
}

static int on_src_row(const char *const *cells, size_t nf, void *ud)
{
	reader *r = ud;
	src_row *row;
	(void)nf;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		src_row *v = realloc(r->rows, cap * sizeof(*v));
		if (!v)
			return r->err = hl_error_set(HL_ENOMEM, "out of memory");
		r->rows = v;
		r->cap = cap;
	}
	row = &r->rows[r->n];
	memset(row, 0, sizeof(*row));
	row->line = r->n + 1;
	r->n++;
	if (!cells[r->ucol])
		return r->err = hl_error_set(HL_EINVALID,
		                             "row %zu: field \"%s\" (the unit code) is empty",
		                             row->line, r->s->fields[r->ucol].name);
	row->unit = hl_strdup(cells[r->ucol]);
	row->keys = calloc(r->nk + 1, sizeof(char *));
	row->vals = calloc(r->nv + 1, sizeof(char *));
	if (!row->unit || !row->keys || !row->vals)
		return r->err = hl_error_set(HL_ENOMEM, "out of memory");
	for (size_t k = 0; k < r->nk; k++) {
		if (!cells[r->kcol[k]])
			return r->err =
			           hl_error_set(HL_EINVALID, "row %zu: group key \"%s\" is empty",
			                        row->line, r->s->fields[r->kcol[k]].name);
		row->keys[k] = hl_strdup(cells[r->kcol[k]]);
	}
	for (size_t k = 0; k < r->nv; k++)
		row->vals[k] = cells[r->vcol[k]] ? hl_strdup(cells[r->vcol[k]]) : NULL;
	return 0;
}

static void rows_free(reader *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->rows[i].unit);
		for (size_t k = 0; r->rows[i].keys && k < r->nk; k++)
			free(r->rows[i].keys[k]);
		for (size_t k = 0; r->rows[i].vals && k < r->nv; k++)
			free(r->rows[i].vals[k]);
		free(r->rows[i].keys);
		free(r->rows[i].vals);
	}
	free(r->rows);
	free(r->kcol);
	free(r->vcol);
}

static void olds_free(old_unit *o, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(o[i].code);
		free(o[i].name);
		for (size_t j = 0; j < o[i].n; j++) {
			free(o[i].to[j].code);
			free(o[i].to[j].name);
			free(o[i].to[j].merge_type);
		}
		free(o[i].to);
	}
	free(o);
}

/* "a,b" → indices of fields (not the unit field). */
static int parse_by(size_t **out, size_t *n, const hl_table_schema *s, const char *by, size_t ucol)
{
	char *buf = hl_strdup(by), *save = NULL;
	size_t *v = calloc(s->nfields + 1, sizeof(size_t));
	*n = 0;
	if (!buf || !v) {
		free(buf);
		free(v);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int i;
		t = hl_trim(t);
		if (!*t)
			continue;
		if ((i = field_index(s, t)) < 0 || (size_t)i == ucol || *n >= s->nfields) {
			hl_error_set(HL_EINVALID, "--by: \"%.128s\" is %s", t,
			             i < 0 ? "not a field of the dataset"
			                   : "the unit field itself");
			free(buf);
			free(v);
			return HL_EINVALID;
		}
		v[(*n)++] = (size_t)i;
	}
	free(buf);
	*out = v;
	return 0;
}

/* The area/population table: new code → area_km2 or population. */
static int read_units_weights(wtable *w, char sha[65], const char *dir, const char *what)
{
	char *path = hl_path_join(dir, HL_REGROUP_WEIGHTS_FILE);
	hl_csv *csv = NULL;
	char **f;
	size_t n;
	uint64_t line;
	int rc, ccode = -1, cval = -1;
	int64_t size;
	const char *col = !strcmp(what, "area") ? "area_km2" : "population";
	if (!path)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if ((rc = hl_sha256_file(sha, &size, path)) < 0 || (rc = hl_csv_open(&csv, path)) < 0) {
		rc = hl_error_set(HL_ENOTFOUND, "--weights %s: cannot read %s", what, path);
		goto done;
	}
	if ((rc = hl_csv_next(csv, &f, &n, &line)) <= 0) {
		rc = hl_error_set(HL_EINVALID, "%s: no header", path);
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(f[i], "code"))
			ccode = (int)i;
		if (!strcmp(f[i], col))
			cval = (int)i;
	}
	if (ccode < 0 || cval < 0) {
		rc = hl_error_set(HL_EINVALID, "%s: no column \"code\" or \"%s\"", path, col);
		goto done;
	}
	while ((rc = hl_csv_next(csv, &f, &n, &line)) > 0) {
		double v;
		if ((size_t)ccode >= n || (size_t)cval >= n || parse_double(&v, f[cval]) < 0) {
			rc = hl_error_set(HL_EINVALID, "%s:%llu: column %s is not a number", path,
			                  (unsigned long long)line, col);
			goto done;
		}
		if ((rc = wtable_add(w, f[ccode], v)) < 0)
			goto done;
	}
done:
	hl_csv_free(csv);
	free(path);
	return rc;
}

/* A dataset's column as weights: its one unit field → COL. */
typedef struct {
	size_t ucol, vcol;
	wtable *w;
	const char *name;
	int err;
} wds_ctx;

static int on_weight_row(const char *const *cells, size_t nf, void *ud)
{
	wds_ctx *c = ud;
	double v;
	(void)nf;
	if (!cells[c->ucol] || !cells[c->vcol] || parse_double(&v, cells[c->vcol]) < 0)
		return 0; /* a unit without a value: asked for, it is named as missing */
	if (wtable_get(c->w, cells[c->ucol]))
		return c->err =
		           hl_error_set(HL_EINVALID, "--weights %s: unit %s has more than one row",
		                        c->name, cells[c->ucol]);
	return wtable_add(c->w, cells[c->ucol], v);
}

static int read_dataset_weights(wtable *w, int *version, hl_store *st, const hl_principal *who,
                                const char *spec)
{
	char *ds = hl_strdup(spec), *col = strchr(ds, ':');
	hl_catalog__ds d = {0};
	wds_ctx c = {.w = w, .name = spec};
	int rc, nunit = 0, vi;
	if (!ds)
		return hl_error_set(HL_ENOMEM, "out of memory");
	*col++ = 0;
	if ((rc = hl_catalog__open(&d, st, who, ds)) < 0) {
		rc = hl_error_set(rc, "--weights %s: no dataset %s", spec, ds);
		goto done;
	}
	for (size_t i = 0; i < d.d->schema->nfields; i++)
		if (d.d->schema->fields[i].unit) {
			c.ucol = i;
			nunit++;
		}
	if (nunit != 1) {
		rc = hl_error_set(
		    HL_EINVALID,
		    "--weights %s: dataset %s has %d unit-code columns (one is needed)", spec, ds,
		    nunit);
		goto done;
	}
	if ((vi = field_index(d.d->schema, col)) < 0 ||
	    !is_sum_type(d.d->schema->fields[vi].type)) {
		rc = hl_error_set(HL_EINVALID,
		                  "--weights %s: %s is not an integer or number field of %s", spec,
		                  col, ds);
		goto done;
	}
	c.vcol = (size_t)vi;
	*version = d.d->version;
	rc = hl_dataset_rows(st, who, ds, 0, on_weight_row, &c);
	if (rc >= 0 && c.err < 0)
		rc = c.err;
done:
	hl_catalog__close(&d);
	free(ds);
	return rc;
}

/* The decision file: old_code,new_code,share[,note] — sets the shares of the split units it
 * names (those it names must be split units of the data; each new_code one of the old one's
 * targets; shares 0..1 adding up to 1). */
static int read_decision(old_unit *olds, size_t nold, char sha[65], const char *path,
                         const char *name)
{
	hl_csv *csv = NULL;
	char **f;
	size_t n;
	uint64_t line;
	int64_t size;
	int rc, co = -1, cn = -1, cs = -1;
	if ((rc = hl_sha256_file(sha, &size, path)) < 0 ||
	    (rc = hl_csv_open_named(&csv, path, name)) < 0)
		return hl_error_set(HL_ENOTFOUND, "--decision %s: cannot read it", name);
	if ((rc = hl_csv_next(csv, &f, &n, &line)) <= 0) {
		rc = hl_error_set(HL_EINVALID, "%s: empty: the header is old_code,new_code,share",
		                  name);
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		const char *h = hl_trim(f[i]);
		if (!strcmp(h, "old_code"))
			co = (int)i;
		else if (!strcmp(h, "new_code"))
			cn = (int)i;
		else if (!strcmp(h, "share"))
			cs = (int)i;
	}
	if (co < 0 || cn < 0 || cs < 0) {
		rc = hl_error_set(HL_EINVALID,
		                  "%s:1: the header needs old_code, new_code and share", name);
		goto done;
	}
	while ((rc = hl_csv_next(csv, &f, &n, &line)) > 0) {
		size_t i, j;
		double share;
		if ((size_t)co >= n || (size_t)cn >= n || (size_t)cs >= n) {
			rc = hl_error_set(HL_EINVALID, "%s:%llu: fewer cells than the header", name,
			                  (unsigned long long)line);
			goto done;
		}
		for (i = 0; i < nold; i++)
			if (!strcmp(olds[i].code, hl_trim(f[co])))
				break;
		if (i == nold || !olds[i].split) {
			rc = hl_error_set(
			    HL_EINVALID, "%s:%llu: old_code %.40s is not a split unit of this data",
			    name, (unsigned long long)line, f[co]);
			goto done;
		}
		for (j = 0; j < olds[i].n; j++)
			if (!strcmp(olds[i].to[j].code, hl_trim(f[cn])))
				break;
		if (j == olds[i].n) {
			rc = hl_error_set(HL_EINVALID,
			                  "%s:%llu: new_code %.40s is not a successor of %s", name,
			                  (unsigned long long)line, f[cn], olds[i].code);
			goto done;
		}
		if (parse_double(&share, hl_trim(f[cs])) < 0 || share < 0 || share > 1) {
			rc = hl_error_set(HL_EINVALID,
			                  "%s:%llu: share \"%.40s\" is not a number 0 to 1", name,
			                  (unsigned long long)line, f[cs]);
			goto done;
		}
		if (!strcmp(olds[i].choice, "decision") && !isnan(olds[i].to[j].share)) {
			rc = hl_error_set(HL_EINVALID, "%s:%llu: %s → %s given twice", name,
			                  (unsigned long long)line, olds[i].code,
			                  olds[i].to[j].code);
			goto done;
		}
		if (strcmp(olds[i].choice, "decision")) {
			for (size_t k = 0; k < olds[i].n; k++)
				olds[i].to[k].share = NAN;
			olds[i].choice = "decision";
		}
		olds[i].to[j].share = share;
	}
	if (rc < 0)
		goto done;
	for (size_t i = 0; i < nold; i++) {
		double sum = 0;
		if (strcmp(olds[i].choice, "decision"))
			continue;
		for (size_t j = 0; j < olds[i].n; j++) {
			if (isnan(olds[i].to[j].share))
				olds[i].to[j].share = 0;
			sum += olds[i].to[j].share;
		}
		if (fabs(sum - 1) > 1e-6) {
			rc = hl_error_set(HL_EINVALID, "%s: the shares of %s add up to %g, not 1",
			                  name, olds[i].code, sum);
			goto done;
		}
	}
	rc = 0;
done:
	hl_csv_free(csv);
	return rc;
}

static int cmp_contrib(const void *a, const void *b)
{
	const contrib *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c)
		return c;
	return x->row->line < y->row->line ? -1 : x->row->line > y->row->line;
}

static int find_taken(const hl_store_dataset_row *r, void *ud)
{
	(void)r;
	*(int *)ud = 1;
	return 1;
}

static json_t *jnum_or_null(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

/* Appends text to a growing buffer. */
typedef struct {
	char *s;
	size_t n, cap;
} sbuf;

static int sb_add(sbuf *b, const char *s, size_t len)
{
	if (b->n + len + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 256) + len;
		char *p = realloc(b->s, cap);
		if (!p)
			return hl_error_set(HL_ENOMEM, "out of memory");
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, len);
	b->n += len;
	b->s[b->n] = 0;
	return 0;
}

static int sb_str(sbuf *b, const char *s)
{
	return sb_add(b, s, strlen(s));
}

static char *units_dir_default(const hl_regroup_opts *o)
{
	if (o->units_dir)
		return hl_strdup(o->units_dir);
	return hl_path_join(hl_config_data_dir(),
	                    "units"); /* $HALONG_DATA, else the shipped data */
}

int hl_dataset_regroup(hl_dataset **out, json_t **report, hl_store *st, const hl_principal *who,
                       const char *id, const hl_regroup_opts *o)
{
	hl_catalog__ds ds = {0};
	reader rd = {0};
	old_unit *olds = NULL;
	size_t nold = 0, nsplit = 0, nundecided = 0, nwhole = 0;
	contrib *cs = NULL;
	size_t ncs = 0;
	wtable wt = {0};
	hl_table_schema ns = {0};
	hl_store_ds_writer *w = NULL;
	json_t *rep = NULL, *jsplit, *jbasis, *jsum, *jdrop, *jby, *jnum;
	char day[11], before[11], wsha[65] = "", dsha[65] = "", now[32];
	char *udir = NULL, *weights_desc = NULL;
	int rc, taken = 0, divided = 0, in_tx = 0, wversion = 0;
	const hl_table_schema *s;
	const char *wkind = NULL; /* "area", "population", "dataset" */
	char **outcells = NULL;
	size_t nf_out = 0, nrows_out = 0, nincomplete = 0, unmapped_line = 0, nmapped = 0;
	char unmapped[400] = "", when[11] = "", unknown[64] = "";
	size_t unknown_line = 0;
	hl_unit *last_new = NULL; /* the new unit whose predecessors were last asked */
	sbuf hashes = {0}, prov = {0};
	int64_t iid, count;
	int *types = NULL, *uniq = NULL;

	if (out)
		*out = NULL;
	if (report)
		*report = NULL;
	if (!who || !(who->local || who->role >= HL_ROLE_OFFICER))
		return hl_error_set(HL_EDENIED, "regrouping a dataset needs an officer or above");
	if (!o || !o->to_units || hl_units_date_parse(day, o->to_units) < 0)
		return hl_error_set(HL_EINVALID, "to_units: not a day (yyyy-mm-dd): %.40s",
		                    o && o->to_units ? o->to_units : "(none)");
	if (!o->as || !*o->as)
		return hl_error_set(HL_EINVALID, "as: give the new dataset's id");
	if (o->weights && *o->weights && strcmp(o->weights, "none")) {
		if (!strcmp(o->weights, "area") || !strcmp(o->weights, "population"))
			wkind = o->weights;
		else if (strchr(o->weights, ':') && strchr(o->weights, ':') != o->weights &&
		         strchr(o->weights, ':')[1])
			wkind = "dataset";
		else
			return hl_error_set(
			    HL_EINVALID,
			    "weights: area, population, none or DATASET:COLUMN (got "
			    "\"%.80s\")",
			    o->weights);
	}
	day_before(before, day);
	if ((rc = hl_catalog__open(&ds, st, who, id)) < 0)
		return rc;
	s = ds.d->schema;
	rd.s = s;
	/* its unit codes were checked against the units of its date: old units need a date before
	 * the change (a code reused by a new unit, 06652, would otherwise pass for the old one) */
	if (!ds.d->date || strcmp(ds.d->date, day) >= 0) {
		rc = ds.d->date
		         ? hl_error_set(HL_EINVALID,
		                        "dataset %s is dated %s: its unit codes are those of "
		                        "that day, not old units that ended before %s",
		                        id, ds.d->date, day)
		         : hl_error_set(HL_EINVALID,
		                        "dataset %s has no date: its unit codes were checked "
		                        "against the units of each load's day, not the old "
		                        "units that ended before %s (a dataset of old communes "
		                        "is created with --date before that day)",
		                        id, day);
		goto done;
	}

	/* the unit field, the group keys, the summed fields */
	{
		int u = -1, nunit = 0;
		if (o->column) {
			if ((u = field_index(s, o->column)) < 0 || !s->fields[u].unit) {
				rc = hl_error_set(
				    HL_EINVALID,
				    "column: \"%.128s\" is not a unit-code field of %s", o->column,
				    id);
				goto done;
			}
		} else {
			for (size_t i = 0; i < s->nfields; i++)
				if (s->fields[i].unit) {
					u = (int)i;
					nunit++;
				}
			if (nunit == 0) {
				rc = hl_error_set(
				    HL_EINVALID,
				    "dataset %s has no unit-code column (a string field "
				    "with \"unitCode\": true): nothing to regroup by",
				    id);
				goto done;
			}
			if (nunit > 1) {
				rc = hl_error_set(
				    HL_EINVALID,
				    "dataset %s has %d unit-code columns: name one (--column)", id,
				    nunit);
				goto done;
			}
		}
		rd.ucol = (size_t)u;
	}
	if (o->by) {
		if ((rc = parse_by(&rd.kcol, &rd.nk, s, o->by, rd.ucol)) < 0)
			goto done;
	} else {
		if (!(rd.kcol = calloc(s->nfields + 1, sizeof(size_t)))) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		for (size_t k = 0; k < s->npkey; k++)
			if (s->pkey[k] != rd.ucol)
				rd.kcol[rd.nk++] = s->pkey[k];
	}
	if (!(rd.vcol = calloc(s->nfields + 1, sizeof(size_t)))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	rep = json_object();
	jsum = json_array();
	jdrop = json_array();
	jby = json_array();
	for (size_t k = 0; k < rd.nk; k++)
		json_array_append_new(jby, json_string(s->fields[rd.kcol[k]].name));
	for (size_t i = 0; i < s->nfields; i++) {
		int is_key = i == rd.ucol;
		for (size_t k = 0; k < rd.nk; k++)
			is_key |= rd.kcol[k] == i;
		if (is_key)
			continue;
		if (!strncmp(s->fields[i].name, "regroup_", 8)) {
			rc = hl_error_set(
			    HL_EINVALID,
			    "dataset %s has a field \"%s\": the regrouped dataset's own "
			    "column; it may not be regrouped again as is",
			    id, s->fields[i].name);
			goto done;
		}
		if (is_sum_type(s->fields[i].type)) {
			rd.vcol[rd.nv++] = i;
			json_array_append_new(jsum, json_string(s->fields[i].name));
		} else
			json_array_append_new(jdrop, json_string(s->fields[i].name));
	}
	json_object_set_new(rep, "source",
	                    json_pack("{s:s,s:i}", "id", ds.d->id, "version", ds.d->version));
	json_object_set_new(rep, "to_units", json_string(day));
	json_object_set_new(rep, "as", json_string(o->as));
	json_object_set_new(rep, "weights", wkind ? json_string(o->weights) : json_null());
	json_object_set_new(rep, "decision",
	                    o->decision
	                        ? json_string(o->decision_name ? o->decision_name : o->decision)
	                        : json_null());
	json_object_set_new(rep, "column", json_string(s->fields[rd.ucol].name));
	json_object_set_new(rep, "group_by", jby);
	json_object_set_new(rep, "summed", jsum);
	json_object_set_new(rep, "dropped", jdrop);
	if (rd.nv == 0) {
		rc = hl_error_set(HL_EINVALID,
		                  "dataset %s has no integer or number field besides its keys: "
		                  "nothing to sum",
		                  id);
		goto done;
	}
	/* the new id must be free */
	rc = hl_store_dataset_foreach(st, o->as, find_taken, &taken);
	if (rc < 0 && rc != HL_ENOTFOUND)
		goto done;
	hl_error_clear();
	if (taken) {
		rc = hl_error_set(HL_ECONFLICT, "as: dataset %s exists: give another id", o->as);
		goto done;
	}

	/* the rows */
	if ((rc = hl_dataset_rows(st, who, id, 0, on_src_row, &rd)) < 0 || rd.err < 0) {
		rc = rd.err < 0 ? rd.err : rc;
		goto done;
	}
	if (rd.n == 0) {
		rc = hl_error_set(HL_EINVALID, "dataset %s has no rows to regroup", id);
		goto done;
	}

	/* each old unit once: what it became on the day */
	for (size_t i = 0; i < rd.n; i++) {
		src_row *row = &rd.rows[i];
		hl_unit *u = NULL;
		size_t j;
		for (j = 0; j < nold; j++)
			if (!strcmp(olds[j].code, row->unit))
				break;
		if (j < nold) {
			olds[j].rows++;
			continue;
		}
		if (nold % 64 == 0) {
			old_unit *v = realloc(olds, (nold + 64) * sizeof(*v));
			if (!v) {
				rc = hl_error_set(HL_ENOMEM, "out of memory");
				goto done;
			}
			olds = v;
		}
		memset(&olds[nold], 0, sizeof(olds[nold]));
		olds[nold].code = hl_strdup(row->unit);
		olds[nold].rows = 1;
		nold++;
		if (hl_units_show(&u, st, row->unit, before) < 0) {
			/* named after the loop (a day without mapping is said first) */
			hl_error_clear();
			if (!unknown_line) {
				unknown_line = row->line;
				snprintf(unknown, sizeof(unknown), "%.40s", row->unit);
			}
			olds[nold - 1].choice = "unknown";
			continue;
		}
		olds[nold - 1].name = hl_strdup(u->full_name);
		olds[nold - 1].to = calloc(u->next.n + 1, sizeof(target));
		for (size_t k = 0; k < u->next.n; k++) {
			const hl_succession *sc = &u->next.v[k];
			target *t;
			if (strcmp(sc->effective_date, day))
				continue;
			if (!*sc->new_code) {
				rc = hl_error_set(
				    HL_EINVALID,
				    "row %zu: %s (%s) was abolished on %s with no successor: "
				    "its data has no unit to go to",
				    row->line, row->unit, u->full_name, day);
				hl_unit_free(u);
				goto done;
			}
			t = &olds[nold - 1].to[olds[nold - 1].n++];
			t->code = hl_strdup(sc->new_code);
			t->name = hl_strdup(sc->new_name);
			t->merge_type = hl_strdup(sc->merge_type ? sc->merge_type
			                                         : hl_succ_kind_name(sc->kind));
			t->weight = NAN;
			t->share = NAN;
			if (sc->kind == HL_SUCC_MERGE_PART)
				olds[nold - 1].split = 1;
			if (sc->legal_basis) {
				int seen = 0;
				if (!json_object_get(rep, "legal_basis"))
					json_object_set_new(rep, "legal_basis", json_array());
				jbasis = json_object_get(rep, "legal_basis");
				for (size_t b = 0; b < json_array_size(jbasis); b++)
					seen |=
					    !strcmp(json_string_value(json_array_get(jbasis, b)),
					            sc->legal_basis);
				if (!seen)
					json_array_append_new(jbasis, json_string(sc->legal_basis));
			}
		}
		if (olds[nold - 1].n == 0) {
			/* named after the loop: no unit of the data changed that day (a day
			 * without mapping), or this one did not (not an old unit of it) */
			if (!unmapped_line) {
				hl_successions *all = NULL;
				unmapped_line = row->line;
				snprintf(unmapped, sizeof(unmapped), "%s (%s)", row->unit,
				         u->full_name ? u->full_name : "");
				if (hl_units_successors(&all, st, row->unit) == 0) {
					for (size_t k = 0; k < all->n; k++)
						if (strcmp(all->v[k].effective_date, day)) {
							snprintf(when, sizeof(when), "%s",
							         all->v[k].effective_date);
							break;
						}
				}
				hl_successions_free(all);
				hl_error_clear();
			}
			olds[nold - 1].choice = "unmapped";
			hl_unit_free(u);
			continue;
		}
		nmapped++;
		if (olds[nold - 1].n > 1)
			olds[nold - 1].split = 1;
		if (!olds[nold - 1].split) {
			olds[nold - 1].to[0].share = 1;
			olds[nold - 1].choice = "whole";
			nwhole++;
		} else {
			olds[nold - 1].choice = "undecided";
			nsplit++;
		}
		hl_unit_free(u);
	}
	if ((unmapped_line || unknown_line) && !nmapped) {
		if (!unmapped_line)
			rc = hl_error_set(
			    HL_EINVALID,
			    "to_units %s: no mapping that day: no unit of the data ended "
			    "the day before (row %zu: %s is not a unit on %s)",
			    day, unknown_line, unknown, before);
		else
			rc = hl_error_set(
			    HL_EINVALID,
			    "to_units %s: no mapping that day: no unit of the data ended the day "
			    "before (%s, row %zu: %s%s)",
			    day, unmapped, unmapped_line,
			    *when ? "it changed on " : "it has no change", when);
		goto done;
	}
	if (unknown_line) {
		rc = hl_error_set(HL_EINVALID,
		                  "row %zu: %s \"%s\" is not a unit on %s, the day before %s: not "
		                  "an old commune",
		                  unknown_line, s->fields[rd.ucol].name, unknown, before, day);
		goto done;
	}
	if (unmapped_line) {
		rc = hl_error_set(HL_EINVALID,
		                  "row %zu: %s \"%s\" did not end on %s (%s%s): not an old unit of "
		                  "that day's change",
		                  unmapped_line, s->fields[rd.ucol].name, unmapped, day,
		                  *when ? "it changed on " : "it has no change", when);
		goto done;
	}
	for (size_t i = 0; i < rd.n; i++)
		for (size_t j = 0; j < nold; j++)
			if (!strcmp(olds[j].code, rd.rows[i].unit))
				rd.rows[i].old = &olds[j];

	/* the written choice for the split ones: the decision, else the weights */
	if (nsplit && o->decision &&
	    (rc = read_decision(olds, nold, dsha, o->decision,
	                        o->decision_name ? o->decision_name : o->decision)) < 0)
		goto done;
	if (nsplit && wkind) {
		if (!strcmp(wkind, "dataset"))
			rc = read_dataset_weights(&wt, &wversion, st, who, o->weights);
		else if (!(udir = units_dir_default(o)))
			rc = hl_error_set(HL_ENOMEM, "out of memory");
		else
			rc = read_units_weights(&wt, wsha, udir, wkind);
		if (rc < 0)
			goto done;
		for (size_t i = 0; i < nold; i++) {
			double sum = 0;
			if (!olds[i].split || strcmp(olds[i].choice, "undecided"))
				continue;
			for (size_t j = 0; j < olds[i].n; j++) {
				const double *v = wtable_get(&wt, olds[i].to[j].code);
				if (!v || *v < 0) {
					rc = hl_error_set(HL_EINVALID,
					                  "--weights %s: no %s for unit %s (%s), a "
					                  "successor of split %s",
					                  o->weights, wkind, olds[i].to[j].code,
					                  olds[i].to[j].name ? olds[i].to[j].name
					                                     : "",
					                  olds[i].code);
					goto done;
				}
				olds[i].to[j].weight = *v;
				sum += *v;
			}
			if (sum <= 0) {
				rc = hl_error_set(
				    HL_EINVALID,
				    "--weights %s: the weights of %s's successors add up to 0",
				    o->weights, olds[i].code);
				goto done;
			}
			for (size_t j = 0; j < olds[i].n; j++)
				olds[i].to[j].share = olds[i].to[j].weight / sum;
			olds[i].choice = !strcmp(wkind, "area")         ? "weights=area"
			                 : !strcmp(wkind, "population") ? "weights=population"
			                                                : "weights=dataset";
		}
	}
	jsplit = json_array();
	for (size_t i = 0; i < nold; i++) {
		json_t *to;
		char choice[200];
		if (!olds[i].split)
			continue;
		if (!strcmp(olds[i].choice, "undecided"))
			nundecided++;
		if (!strcmp(olds[i].choice, "weights=dataset"))
			snprintf(choice, sizeof(choice), "weights=%s", o->weights);
		else
			snprintf(choice, sizeof(choice), "%s", olds[i].choice);
		to = json_array();
		for (size_t j = 0; j < olds[i].n; j++)
			json_array_append_new(
			    to, json_pack("{s:s,s:s?,s:s?,s:o,s:o}", "new_code", olds[i].to[j].code,
			                  "new_name", olds[i].to[j].name, "merge_type",
			                  olds[i].to[j].merge_type, "weight",
			                  jnum_or_null(olds[i].to[j].weight), "share",
			                  jnum_or_null(olds[i].to[j].share)));
		json_array_append_new(jsplit, json_pack("{s:s,s:s?,s:I,s:s,s:o}", "code",
		                                        olds[i].code, "name", olds[i].name, "rows",
		                                        (json_int_t)olds[i].rows, "choice", choice,
		                                        "to", to));
	}
	/* the report's names: old_code/old_name (as documented) */
	for (size_t i = 0; i < json_array_size(jsplit); i++) {
		json_t *e = json_array_get(jsplit, i);
		json_object_set(e, "old_code", json_object_get(e, "code"));
		json_object_set(e, "old_name", json_object_get(e, "name"));
		json_object_del(e, "code");
		json_object_del(e, "name");
	}
	json_object_set_new(rep, "split", jsplit);
	json_object_set_new(rep, "rows_read", json_integer((json_int_t)rd.n));
	json_object_set_new(rep, "old_units", json_integer((json_int_t)nold));
	json_object_set_new(rep, "whole", json_integer((json_int_t)nwhole));
	if (!json_object_get(rep, "legal_basis"))
		json_object_set_new(rep, "legal_basis", json_array());
	if (nundecided) {
		sbuf b = {0};
		size_t shown = 0;
		for (size_t i = 0; i < nold && shown < 20; i++) {
			if (!olds[i].split || strcmp(olds[i].choice, "undecided"))
				continue;
			sb_str(&b, shown ? "; " : "");
			sb_str(&b, olds[i].code);
			sb_str(&b, " (");
			sb_str(&b, olds[i].name ? olds[i].name : "");
			sb_str(&b, ") → ");
			for (size_t j = 0; j < olds[i].n; j++) {
				sb_str(&b, j ? ", " : "");
				sb_str(&b, olds[i].to[j].code);
			}
			shown++;
		}
		rc =
		    hl_error_set(HL_ECONFLICT,
		                 "%zu split unit%s with no written choice, not divided: %s%s; give "
		                 "--weights area|population|DATASET:COLUMN or --decision FILE "
		                 "(old_code,new_code,share); nothing written",
		                 nundecided, nundecided > 1 ? "s" : "", b.s ? b.s : "",
		                 nundecided > shown ? "; …" : "");
		free(b.s);
		goto done;
	}

	/* the contributions, by new unit and group keys */
	for (size_t i = 0; i < rd.n; i++)
		ncs += rd.rows[i].old->n;
	if (!(cs = calloc(ncs + 1, sizeof(*cs)))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	ncs = 0;
	for (size_t i = 0; i < rd.n; i++) {
		const old_unit *ou = rd.rows[i].old;
		for (size_t j = 0; j < ou->n; j++) {
			sbuf k = {0};
			if (ou->to[j].share == 0)
				continue;
			if (ou->to[j].share != 1)
				divided = 1;
			sb_str(&k, ou->to[j].code);
			for (size_t g = 0; g < rd.nk; g++) {
				sb_add(&k, "\x1f", 1);
				sb_str(&k, rd.rows[i].keys[g]);
			}
			if (!k.s) {
				rc = hl_error_set(HL_ENOMEM, "out of memory");
				goto done;
			}
			cs[ncs].key = k.s;
			cs[ncs].row = &rd.rows[i];
			cs[ncs].t = &ou->to[j];
			ncs++;
		}
	}
	qsort(cs, ncs, sizeof(*cs), cmp_contrib);

	/* the new schema: unit, group keys, sums, note, from */
	nf_out = 1 + rd.nk + rd.nv + 3;
	ns.fields = calloc(nf_out, sizeof(hl_field));
	ns.pkey = calloc(1 + rd.nk, sizeof(size_t));
	ns.missing = calloc(1, sizeof(char *));
	types = calloc(nf_out, sizeof(int));
	uniq = calloc(nf_out, sizeof(int));
	outcells = calloc(nf_out, sizeof(char *));
	if (!ns.fields || !ns.pkey || !ns.missing || !types || !uniq || !outcells) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	ns.missing[0] = hl_strdup("");
	ns.nmissing = 1;
	jnum = json_array();
	{
		char title[300];
		hl_field *f = &ns.fields[0];
		const hl_field *sf = &s->fields[rd.ucol];
		f->name = hl_strdup(sf->name);
		snprintf(title, sizeof(title), "Mã đơn vị hành chính (từ %s)", day);
		f->title = hl_strdup(title);
		f->type = HL_FIELD_STRING;
		f->unit = 1;
		f->required = 1;
		f->min_length = f->max_length = -1;
		ns.pkey[ns.npkey++] = 0;
		ns.nfields = 1;
		for (size_t k = 0; k < rd.nk; k++) {
			sf = &s->fields[rd.kcol[k]];
			f = &ns.fields[ns.nfields];
			f->name = hl_strdup(sf->name);
			f->title = hl_strdup(sf->title);
			f->description = hl_strdup(sf->description);
			f->type = sf->type;
			f->required = 1;
			f->min_length = f->max_length = -1;
			ns.pkey[ns.npkey++] = ns.nfields++;
		}
		for (size_t k = 0; k < rd.nv; k++) {
			sf = &s->fields[rd.vcol[k]];
			f = &ns.fields[ns.nfields++];
			f->name = hl_strdup(sf->name);
			f->title = hl_strdup(sf->title);
			f->description = hl_strdup(sf->description);
			f->type = sf->type;
			if (divided && sf->type == HL_FIELD_INTEGER) {
				f->type = HL_FIELD_NUMBER;
				json_array_append_new(jnum, json_string(sf->name));
			}
			f->min_length = f->max_length = -1;
		}
		f = &ns.fields[ns.nfields++];
		f->name = hl_strdup("regroup_note");
		f->title =
		    hl_strdup("Cách gộp: whole (nhập nguyên) | split:<lựa chọn> MÃ_CŨ×tỉ lệ");
		f->type = HL_FIELD_STRING;
		f->required = 1;
		f->min_length = f->max_length = -1;
		f = &ns.fields[ns.nfields++];
		f->name = hl_strdup("regroup_from");
		f->title = hl_strdup("Mã các đơn vị cũ đã gộp vào dòng này");
		f->type = HL_FIELD_STRING;
		f->required = 1;
		f->min_length = f->max_length = -1;
		f = &ns.fields[ns.nfields++];
		f->name = hl_strdup("regroup_missing");
		f->title = hl_strdup("Đơn vị cũ nhập vào đơn vị mới nhưng không có dòng số liệu "
		                     "(trống: đủ)");
		f->description = hl_strdup(
		    "The old units the mapping sends to this new unit that have no row for this "
		    "key in the source: a sum without them is partial.");
		f->type = HL_FIELD_STRING;
		f->min_length = f->max_length = -1;
	}
	json_object_set_new(rep, "as_number", jnum);
	for (size_t i = 0; i < ns.nfields; i++) {
		types[i] = (int)ns.fields[i].type;
		if (!ns.fields[i].name) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
	}

	/* the provenance (Vietnamese first) */
	{
		char line[1200];
		size_t nb = json_array_size(json_object_get(rep, "legal_basis"));
		snprintf(
		    line, sizeof(line),
		    "Gộp lại theo đơn vị hành chính từ %s (halong dataset regroup) từ bộ dữ liệu "
		    "%s, phiên bản %d; bảng chuyển đổi đơn vị cũ → mới của kho (unit_succession "
		    "ngày %s",
		    day, ds.d->id, ds.d->version, day);
		sb_str(&prov, line);
		for (size_t b = 0; b < nb; b++) {
			sb_str(&prov, b ? "; " : ", căn cứ ");
			sb_str(&prov, json_string_value(
			                  json_array_get(json_object_get(rep, "legal_basis"), b)));
		}
		hl_now_utc(now);
		snprintf(line, sizeof(line),
		         "); thực hiện %s bởi %s; %zu đơn vị cũ nhập nguyên, %zu bị chia tách", now,
		         hl_principal_actor(who), nwhole, nsplit);
		sb_str(&prov, line);
		if (nsplit && o->decision) {
			snprintf(line, sizeof(line), "; quyết định chia: %s (sha256 %s)",
			         o->decision_name ? o->decision_name : o->decision, dsha);
			sb_str(&prov, line);
		}
		if (nsplit && wkind) {
			if (!strcmp(wkind, "dataset"))
				snprintf(
				    line, sizeof(line),
				    "; trọng số chia: cột %s, phiên bản %d (tỉ lệ của đơn vị mới "
				    "trong tổng các đơn vị nhận)",
				    o->weights, wversion);
			else
				snprintf(line, sizeof(line),
				         "; trọng số chia: %s của đơn vị mới năm 2025 (%s, sha256 "
				         "%s; tỉ lệ "
				         "của đơn vị mới trong tổng các đơn vị nhận)",
				         !strcmp(wkind, "area") ? "diện tích (area_km2)"
				                                : "dân số (population)",
				         HL_REGROUP_WEIGHTS_FILE, wsha);
			sb_str(&prov, line);
		}
		if (!nsplit)
			sb_str(&prov, "; không có đơn vị bị chia tách");
		sb_str(&prov, ". Regrouped onto the units of ");
		sb_str(&prov, day);
		sb_str(&prov, " from dataset ");
		sb_str(&prov, ds.d->id);
		snprintf(line, sizeof(line), " version %d", ds.d->version);
		sb_str(&prov, line);
		if (!prov.s) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		weights_desc = prov.s;
	}

	/* one transaction: the dataset, its rows as version 1, the audit */
	{
		hl_store_dataset_row r = {0};
		char *schema_text = hl_catalog__schema_text(&ns), *kw = NULL, title[1200],
		     desc[600];
		json_t *k = json_array();
		for (size_t i = 0; i < ds.d->nkeywords; i++)
			json_array_append_new(k, json_string(ds.d->keywords[i]));
		kw = json_dumps(k, JSON_COMPACT);
		json_decref(k);
		if (o->title)
			snprintf(title, sizeof(title), "%s", o->title);
		else
			snprintf(title, sizeof(title), "%s (theo đơn vị hành chính từ %s)",
			         ds.d->title, day);
		hl_str_cut_utf8(title);
		snprintf(desc, sizeof(desc),
		         "Bộ dữ liệu %s gộp lại theo các đơn vị hành chính cấp xã từ %s. Cột "
		         "regroup_note cho biết mỗi dòng được nhập nguyên hay chia theo tỉ lệ nào.",
		         ds.d->id, day);
		r.name = o->as;
		r.title = title;
		r.description = desc;
		r.owner = ds.d->owner;
		r.sector = ds.d->sector;
		r.keywords = kw;
		r.licence = ds.d->licence;
		r.frequency = ds.d->frequency;
		r.provenance = weights_desc;
		r.date = day;
		r.schema = schema_text;
		r.created_at = now;
		r.created_by = hl_principal_actor(who);
		r.access = (int)ds.d->access;
		if (!schema_text || !kw) {
			free(schema_text);
			free(kw);
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		if ((rc = hl_store_begin(st)) < 0) {
			free(schema_text);
			free(kw);
			goto done;
		}
		in_tx = 1;
		rc = hl_store_dataset_create(&iid, st, &r, types, uniq, ns.nfields);
		free(schema_text);
		free(kw);
		if (rc < 0)
			goto done;
	}
	if ((rc = hl_store_ds_writer_open(&w, st, iid, 1, types, ns.nfields)) < 0)
		goto done;
	for (size_t a = 0; a < ncs;) {
		size_t b = a;
		char(*nv)[HL_CATALOG__NORM] = NULL;
		sbuf note = {0}, from = {0}, missing = {0}, hin = {0}, key = {0};
		char hash[65], why[200];
		int what;
		uint64_t first;
		while (b < ncs && !strcmp(cs[b].key, cs[a].key))
			b++;
		nv = calloc(ns.nfields, sizeof(*nv));
		if (!nv) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		/* unit and group keys */
		outcells[0] = cs[a].t->code;
		for (size_t g = 0; g < rd.nk; g++) {
			const hl_field *f = &ns.fields[1 + g];
			if (hl_catalog__type(nv[1 + g], f, cs[a].row->keys[g], why, sizeof(why)) <
			    0) {
				free(nv);
				rc = hl_error_set(HL_EINVALID, "group key %s: %s", f->name, why);
				goto done;
			}
			outcells[1 + g] = nv[1 + g][0] ? nv[1 + g] : cs[a].row->keys[g];
		}
		/* sums */
		for (size_t v = 0; v < rd.nv; v++) {
			const hl_field *f = &ns.fields[1 + rd.nk + v];
			long long isum = 0;
			double dsum = 0;
			int absent = 0;
			char text[64];
			for (size_t c = a; c < b; c++) {
				const char *cell = cs[c].row->vals[v];
				double d;
				if (!cell) {
					absent = 1;
					break;
				}
				if (f->type == HL_FIELD_INTEGER)
					isum += strtoll(cell, NULL, 10);
				else if (parse_double(&d, cell) == 0)
					dsum += d * cs[c].t->share;
			}
			if (absent) {
				outcells[1 + rd.nk + v] = NULL;
				continue;
			}
			if (f->type == HL_FIELD_INTEGER)
				snprintf(text, sizeof(text), "%lld", isum);
			else
				snprintf(text, sizeof(text), "%.15g", dsum);
			if (hl_catalog__type(nv[1 + rd.nk + v], f, text, why, sizeof(why)) < 0) {
				free(nv);
				rc = hl_error_set(HL_EINVALID, "field %s: %s", f->name, why);
				goto done;
			}
			outcells[1 + rd.nk + v] = nv[1 + rd.nk + v];
		}
		/* note and from */
		{
			int split = 0;
			for (size_t c = a; c < b; c++) {
				const old_unit *ou = cs[c].row->old;
				int dup = 0;
				for (size_t p = a; p < c; p++)
					dup |= cs[p].row->old == ou;
				if (dup)
					continue;
				sb_str(&from, from.n ? ", " : "");
				sb_str(&from, ou->code);
				if (ou->split) {
					char part[300];
					const char *choice = strcmp(ou->choice, "weights=dataset")
					                         ? ou->choice
					                         : o->weights;
					snprintf(part, sizeof(part), "%s%s%s %s×%.6f",
					         split ? "; " : "split:",
					         strcmp(ou->choice, "weights=dataset") ? ""
					                                               : "weights=",
					         choice, ou->code, cs[c].t->share);
					sb_str(&note, part);
					split = 1;
				}
			}
			if (!split)
				sb_str(&note, "whole");
		}
		/* the old units of this new unit (that day) that gave nothing to this row */
		{
			hl_unit *nu = NULL;
			/* rows come by new unit: its predecessors asked once */
			if (!last_new || strcmp(last_new->code, cs[a].t->code)) {
				hl_unit_free(last_new);
				last_new = NULL;
				if (hl_units_show(&last_new, st, cs[a].t->code, day) < 0)
					hl_error_clear();
			}
			nu = last_new;
			if (nu) {
				for (size_t k = 0; k < nu->prev.n; k++) {
					const hl_succession *p = &nu->prev.v[k];
					int seen = 0;
					if (strcmp(p->effective_date, day))
						continue;
					for (size_t c = a; c < b && !seen; c++)
						seen = !strcmp(cs[c].row->old->code, p->old_code);
					if (seen || (missing.s && strstr(missing.s, p->old_code)))
						continue;
					sb_str(&missing, missing.n ? ", " : "");
					sb_str(&missing, p->old_code);
				}
			}
			if (missing.n)
				nincomplete++;
		}
		outcells[ns.nfields - 3] = note.s;
		outcells[ns.nfields - 2] = from.s;
		outcells[ns.nfields - 1] = missing.n ? missing.s : NULL;
		/* hash and key as a load makes them */
		for (size_t i = 0; i < ns.nfields; i++) {
			if (i)
				sb_add(&hin, "\x1f", 1);
			if (outcells[i])
				sb_str(&hin, outcells[i]);
			else
				sb_add(&hin, "\x1e", 1);
		}
		for (size_t i = 0; i < ns.npkey; i++) {
			if (i)
				sb_add(&key, "\x1f", 1);
			sb_str(&key, outcells[ns.pkey[i]]);
		}
		if (!note.s || !from.s || !hin.s || !key.s) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
		} else {
			hl_sha256_hex(hash, hin.s, hin.n);
			sb_str(&hashes, hash);
			rc = hl_store_ds_put(&what, &first, w, key.s, hash,
			                     (const char *const *)outcells, nrows_out + 1);
			if (rc >= 0 && what != HL_DS_ADDED)
				rc = hl_error_set(HL_ERROR, "regroup: row %zu not added",
				                  nrows_out + 1);
		}
		free(nv);
		free(note.s);
		free(from.s);
		free(missing.s);
		free(hin.s);
		free(key.s);
		if (rc < 0)
			goto done;
		nrows_out++;
		a = b;
	}
	if ((rc = hl_store_ds_writer_finish(w)) < 0)
		goto done;
	hl_store_ds_writer_free(w);
	w = NULL;
	if ((rc = hl_store_ds_count(&count, st, iid)) < 0)
		goto done;
	{
		char sha[65], src[200], detail[700];
		hl_sha256_hex(sha, hashes.s ? hashes.s : "", hashes.n);
		snprintf(src, sizeof(src), "regroup of %s version %d onto the units of %s",
		         ds.d->id, ds.d->version, day);
		hl_dataset_version v = {.version = 1,
		                        .loaded_at = now,
		                        .loaded_by = (char *)hl_principal_actor(who),
		                        .source = src,
		                        .sha256 = sha,
		                        .size = 0,
		                        .rows = rd.n,
		                        .added = nrows_out};
		snprintf(detail, sizeof(detail),
		         "%s version %d → %s on units of %s: %zu rows → %zu; %zu old units whole, "
		         "%zu split; decision %s; weights %s",
		         ds.d->id, ds.d->version, o->as, day, rd.n, nrows_out, nwhole, nsplit,
		         nsplit && o->decision ? (o->decision_name ? o->decision_name : o->decision)
		                               : "none",
		         nsplit && wkind ? o->weights : "none");
		if ((rc = hl_store_dataset_version_add(st, iid, &v, count)) < 0 ||
		    (rc = hl_store_audit(st, hl_principal_actor(who), "dataset.create", o->as,
		                         hl_access_name(ds.d->access))) < 0 ||
		    (rc = hl_store_audit(st, hl_principal_actor(who), "dataset.regroup", o->as,
		                         detail)) < 0)
			goto done;
	}
	if ((rc = hl_store_commit(st)) < 0) {
		in_tx = 0;
		goto done;
	}
	in_tx = 0;
	json_object_set_new(rep, "rows_written", json_integer((json_int_t)nrows_out));
	json_object_set_new(rep, "rows_incomplete", json_integer((json_int_t)nincomplete));
	rc = out ? hl_dataset_get(out, st, who, o->as) : 0;
done:
	hl_unit_free(last_new);
	hl_store_ds_writer_free(w);
	if (in_tx)
		hl_store_rollback(st);
	if (rep && !json_object_get(rep, "rows_written"))
		json_object_set_new(rep, "rows_written", json_integer(0));
	if (report && rep && (rc == 0 || json_object_get(rep, "split")))
		*report = rep;
	else
		json_decref(rep);
	for (size_t i = 0; i < ncs; i++)
		free(cs[i].key);
	free(cs);
	olds_free(olds, nold);
	rows_free(&rd);
	wtable_free(&wt);
	for (size_t i = 0; i < ns.nfields; i++) {
		free(ns.fields[i].name);
		free(ns.fields[i].title);
		free(ns.fields[i].description);
	}
	free(ns.fields);
	free(ns.pkey);
	if (ns.missing)
		free(ns.missing[0]);
	free(ns.missing);
	free(types);
	free(uniq);
	free(outcells);
	free(hashes.s);
	free(weights_desc);
	free(udir);
	hl_catalog__close(&ds);
	return rc;
}
