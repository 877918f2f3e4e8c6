/* Querying a dataset: a filter parsed from text (never SQL), each value checked against its
 * field's type; the sort, the columns and the aggregates named by fields the schema has; then
 * SQLite's own WHERE, GROUP BY and ORDER BY over columns c0..cN, with a time limit. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../store/store_catalog.h"
#include "catalog_int.h"
#include "halong/catalog_json.h"
#include "halong/text.h"
#include "halong/util.h"

#define MAX_CONDS  32
#define MAX_VALUES 1000
#define MAX_EXPR   65536

void hl_query_where_free(hl_query_where *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++) {
		free(w->v[i].field);
		for (size_t j = 0; j < w->v[i].nvalues; j++)
			free(w->v[i].values[j]);
		free(w->v[i].values);
	}
	free(w->v);
	free(w);
}

typedef struct {
	const char *s, *p;
} lexer;

static void skip_space(lexer *l)
{
	while (*l->p == ' ' || *l->p == '\t')
		l->p++;
}

static int perr(const lexer *l, const char *what)
{
	return hl_error_set(HL_EINVALID, "where: %s at character %zu", what,
	                    (size_t)(l->p - l->s) + 1);
}

/* A case-blind keyword followed by a space, '(' or the end. */
static int keyword(lexer *l, const char *kw)
{
	size_t n = strlen(kw);
	if (strncasecmp(l->p, kw, n) ||
	    (l->p[n] && l->p[n] != ' ' && l->p[n] != '\t' && l->p[n] != '('))
		return 0;
	l->p += n;
	skip_space(l);
	return 1;
}

/* A field name: up to an operator or a space. */
static char *name(lexer *l)
{
	const char *a = l->p;
	while (*l->p && !strchr("=!<>~ \t(", *l->p))
		l->p++;
	if (l->p == a)
		return NULL;
	return strndup(a, (size_t)(l->p - a));
}

/* A value: quoted ("…" or '…', a doubled quote inside is one), or up to a space, ',' or ')'. */
static char *value(lexer *l, int in_list)
{
	skip_space(l);
	if (*l->p == '"' || *l->p == '\'') {
		char q = *l->p++, *out = malloc(strlen(l->p) + 1);
		size_t n = 0;
		if (!out)
			return NULL;
		for (;;) {
			if (!*l->p) {
				free(out);
				return NULL;
			}
			if (*l->p == q) {
				if (l->p[1] == q) {
					out[n++] = q;
					l->p += 2;
					continue;
				}
				l->p++;
				break;
			}
			out[n++] = *l->p++;
		}
		out[n] = 0;
		return out;
	}
	const char *a = l->p;
	while (*l->p && *l->p != ' ' && *l->p != '\t' &&
	       !(in_list && (*l->p == ',' || *l->p == ')')))
		l->p++;
	if (l->p == a)
		return NULL;
	return strndup(a, (size_t)(l->p - a));
}

static int add_value(hl_query_cond *c, char *v, size_t *total)
{
	char **nv;
	if (++*total > MAX_VALUES) {
		free(v);
		return hl_error_set(HL_ELIMIT, "where: more than %d values", MAX_VALUES);
	}
	if (!(nv = realloc(c->values, (c->nvalues + 1) * sizeof(*nv)))) {
		free(v);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	c->values = nv;
	c->values[c->nvalues++] = v;
	return 0;
}

int hl_query_where_parse(hl_query_where **out, const char *expr)
{
	hl_query_where *w = calloc(1, sizeof(*w));
	lexer l = {expr, expr};
	size_t total = 0;
	int rc = 0;

	if (!w)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if (strlen(expr) > MAX_EXPR) {
		free(w);
		return hl_error_set(HL_ELIMIT, "where: longer than %d bytes", MAX_EXPR);
	}
	skip_space(&l);
	while (*l.p) {
		hl_query_cond *c, *nv;
		char *v;
		if (w->n == MAX_CONDS) {
			rc = hl_error_set(HL_ELIMIT, "where: more than %d conditions", MAX_CONDS);
			goto fail;
		}
		if (w->n && !keyword(&l, "and")) {
			rc = perr(&l, "\"and\" expected");
			goto fail;
		}
		if (!(nv = realloc(w->v, (w->n + 1) * sizeof(*nv)))) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto fail;
		}
		w->v = nv;
		c = &w->v[w->n++];
		memset(c, 0, sizeof(*c));
		if (!(c->field = name(&l))) {
			rc = perr(&l, "a field name expected");
			goto fail;
		}
		skip_space(&l);
		if (keyword(&l, "is")) {
			c->op = keyword(&l, "not") ? HL_Q_NOTNULL : HL_Q_NULL;
			if (!keyword(&l, "null")) {
				rc = perr(&l, "\"null\" expected");
				goto fail;
			}
			continue;
		}
		if (keyword(&l, "between")) {
			c->op = HL_Q_BETWEEN;
			if (!(v = value(&l, 0))) {
				rc = perr(&l, "a value expected");
				goto fail;
			}
			if ((rc = add_value(c, v, &total)) < 0)
				goto fail;
			skip_space(&l);
			if (!keyword(&l, "and")) {
				rc = perr(&l, "\"and\" expected (between A and B)");
				goto fail;
			}
			if (!(v = value(&l, 0))) {
				rc = perr(&l, "a value expected");
				goto fail;
			}
			if ((rc = add_value(c, v, &total)) < 0)
				goto fail;
			skip_space(&l);
			continue;
		}
		if (keyword(&l, "in")) {
			c->op = HL_Q_IN;
			if (*l.p++ != '(') {
				l.p--;
				rc = perr(&l, "\"(\" expected");
				goto fail;
			}
			for (;;) {
				if (!(v = value(&l, 1))) {
					rc = perr(&l, "a value expected");
					goto fail;
				}
				if ((rc = add_value(c, v, &total)) < 0)
					goto fail;
				skip_space(&l);
				if (*l.p == ',') {
					l.p++;
					continue;
				}
				if (*l.p == ')') {
					l.p++;
					break;
				}
				rc = perr(&l, "\",\" or \")\" expected");
				goto fail;
			}
			skip_space(&l);
			continue;
		}
		if (!strncmp(l.p, "!=", 2) || !strncmp(l.p, "<>", 2))
			c->op = HL_Q_NE, l.p += 2;
		else if (!strncmp(l.p, "<=", 2))
			c->op = HL_Q_LE, l.p += 2;
		else if (!strncmp(l.p, ">=", 2))
			c->op = HL_Q_GE, l.p += 2;
		else if (*l.p == '=')
			c->op = HL_Q_EQ, l.p++;
		else if (*l.p == '<')
			c->op = HL_Q_LT, l.p++;
		else if (*l.p == '>')
			c->op = HL_Q_GT, l.p++;
		else if (*l.p == '~')
			c->op = HL_Q_MATCH, l.p++;
		else {
			rc = perr(&l, "an operator (= != < <= > >= ~ in between is) expected");
			goto fail;
		}
		if (!(v = value(&l, 0))) {
			rc = perr(&l, "a value expected");
			goto fail;
		}
		if ((rc = add_value(c, v, &total)) < 0)
			goto fail;
		skip_space(&l);
	}
	*out = w;
	return 0;
fail:
	hl_query_where_free(w);
	return rc;
}

static long field_index(const hl_table_schema *s, const char *name)
{
	for (size_t i = 0; i < s->nfields; i++)
		if (!strcmp(s->fields[i].name, name))
			return (long)i;
	return -1;
}

/* The next name of a comma-separated list (spaces around it dropped) into buf; NULL at the end;
 * an empty name is "". */
static const char *list_next(const char **p, char *buf, size_t cap)
{
	const char *a = *p, *e;
	size_t n;
	if (!a)
		return NULL;
	e = strchr(a, ',');
	*p = e ? e + 1 : NULL;
	if (!e)
		e = a + strlen(a);
	while (a < e && (*a == ' ' || *a == '\t'))
		a++;
	while (e > a && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	n = (size_t)(e - a) < cap - 1 ? (size_t)(e - a) : cap - 1;
	memcpy(buf, a, n);
	buf[n] = 0;
	return buf;
}

/* What the query gives: its column names and types. */
typedef struct {
	const char *names[1 + HL_SCHEMA_MAX_FIELDS];
	int types[1 + HL_SCHEMA_MAX_FIELDS];
	size_t n;
} q_head;

typedef struct {
	int (*head)(const q_head *h, void *ud);
	int (*row)(const char *const *cells, size_t n, void *ud);
	void *ud;
	uint64_t limit, given; /* opts->more: the limit, rows given */
	int *more;
} q_sink;

static int sink_row(const char *const *cells, size_t n, void *ud)
{
	q_sink *k = ud;
	if (k->more && k->given == k->limit) {
		*k->more = 1;
		return 1; /* the one row past the limit: stop */
	}
	k->given++;
	return k->row(cells, n, k->ud);
}

static const char *const agg_names[] = {"count", "sum", "avg", "min", "max"};

static int run(hl_store *st, const hl_principal *who, const char *id,
               const hl_dataset_query_opts *opts, q_sink *k)
{
	hl_dataset_query_opts none = {0};
	hl_catalog__ds ds;
	const hl_table_schema *s;
	hl_store_ds_query q = {.group_col = -1};
	hl_store_ds_cond *conds = NULL;
	hl_store_ds_agg aggs[5];
	hl_store_ds_sort sort[16];
	size_t cols[HL_SCHEMA_MAX_FIELDS];
	char ***norm = NULL; /* per condition, its values normalised */
	const char *agg_field[5];
	q_head h = {0};
	size_t nconds = 0, naggs = 0, nsort = 0, ncols = 0;
	char nbuf[256];
	int rc;

	if (!opts)
		opts = &none;
	if ((rc = hl_catalog__open(&ds, st, who, id)) < 0)
		return rc;
	s = ds.d->schema;
	if (opts->version < 0 || opts->version > ds.d->version) {
		rc = hl_error_set(HL_ENOTFOUND, "dataset %s has no version %d (it has %d)", id,
		                  opts->version, ds.d->version);
		goto done;
	}
	if (opts->group_by && (q.group_col = field_index(s, opts->group_by)) < 0) {
		rc = hl_error_set(HL_EINVALID, "group by: dataset %s has no field \"%.128s\"", id,
		                  opts->group_by);
		goto done;
	}
	/* the aggregates, in the order count sum avg min max */
	agg_field[0] = NULL;
	agg_field[1] = opts->sum;
	agg_field[2] = opts->avg;
	agg_field[3] = opts->min;
	agg_field[4] = opts->max;
	for (int a = 0; a < 5; a++) {
		long col = -1;
		if (a == 0 ? !opts->count : !agg_field[a])
			continue;
		if (a) {
			hl_field_type t;
			if ((col = field_index(s, agg_field[a])) < 0) {
				rc = hl_error_set(HL_EINVALID,
				                  "%s: dataset %s has no field \"%.128s\"",
				                  agg_names[a], id, agg_field[a]);
				goto done;
			}
			t = s->fields[col].type;
			if (a <= 2 && t != HL_FIELD_INTEGER && t != HL_FIELD_NUMBER) {
				rc = hl_error_set(
				    HL_EINVALID, "%s: field \"%s\" is not a number (%s)",
				    agg_names[a], agg_field[a], hl_field_type_name(t));
				goto done;
			}
			if (t == HL_FIELD_BOOLEAN || t == HL_FIELD_GEOPOINT) {
				rc =
				    hl_error_set(HL_EINVALID, "%s: field \"%s\" is a %s",
				                 agg_names[a], agg_field[a], hl_field_type_name(t));
				goto done;
			}
		}
		aggs[naggs].kind = a;
		aggs[naggs].col = col;
		naggs++;
	}
	if (opts->columns) {
		const char *p = opts->columns, *name;
		if (q.group_col >= 0 || naggs) {
			rc =
			    hl_error_set(HL_EINVALID, "columns: not with group by nor an aggregate "
			                              "(they give their own columns)");
			goto done;
		}
		while ((name = list_next(&p, nbuf, sizeof(nbuf)))) {
			long col = field_index(s, name);
			if (col < 0) {
				rc = hl_error_set(HL_EINVALID,
				                  "columns: dataset %s has no field \"%.128s\"", id,
				                  name);
				goto done;
			}
			if (ncols == HL_SCHEMA_MAX_FIELDS) {
				rc = hl_error_set(HL_ELIMIT, "columns: more than %d",
				                  HL_SCHEMA_MAX_FIELDS);
				goto done;
			}
			cols[ncols++] = (size_t)col;
		}
	}
	if (opts->sort) {
		const char *p = opts->sort, *name;
		while ((name = list_next(&p, nbuf, sizeof(nbuf)))) {
			hl_store_ds_sort *o = &sort[nsort];
			long col = -1;
			if (nsort == sizeof(sort) / sizeof(sort[0])) {
				rc = hl_error_set(HL_ELIMIT, "sort: more than %zu fields",
				                  sizeof(sort) / sizeof(sort[0]));
				goto done;
			}
			memset(o, 0, sizeof(*o));
			if (*name == '-' || *name == '+')
				o->desc = *name++ == '-';
			if (q.group_col >= 0 || naggs) {
				if (q.group_col >= 0 && !strcmp(name, s->fields[q.group_col].name))
					col = q.group_col;
				else
					for (size_t i = 0; i < naggs; i++)
						if (!strcmp(name, agg_names[aggs[i].kind])) {
							o->agg = 1;
							col = (long)i;
						}
				if (col < 0) {
					rc = hl_error_set(
					    HL_EINVALID,
					    "sort: \"%.128s\" is neither the group's field "
					    "nor an aggregate asked (count sum avg min max)",
					    name);
					goto done;
				}
			} else if ((col = field_index(s, name)) < 0) {
				rc = hl_error_set(HL_EINVALID,
				                  "sort: dataset %s has no field \"%.128s\"", id,
				                  name);
				goto done;
			}
			o->col = (size_t)col;
			nsort++;
		}
	}
	if (opts->where && opts->where->n) {
		nconds = opts->where->n;
		conds = calloc(nconds, sizeof(*conds));
		norm = calloc(nconds, sizeof(*norm));
		if (!conds || !norm) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		for (size_t i = 0; i < nconds; i++) {
			const hl_query_cond *w = &opts->where->v[i];
			long col = field_index(s, w->field);
			const hl_field *f;
			if (col < 0) {
				rc = hl_error_set(HL_EINVALID,
				                  "where: dataset %s has no field \"%.128s\"", id,
				                  w->field);
				goto done;
			}
			f = &s->fields[col];
			conds[i].col = (size_t)col;
			conds[i].op = (int)w->op;
			if (w->op == HL_Q_NULL || w->op == HL_Q_NOTNULL)
				continue;
			if (w->op == HL_Q_MATCH && f->type != HL_FIELD_STRING) {
				rc = hl_error_set(
				    HL_EINVALID,
				    "where: field \"%s\": ~ matches text, and the field's "
				    "type is %s (use = < > between)",
				    f->name, hl_field_type_name(f->type));
				goto done;
			}
			if (!(norm[i] = calloc(w->nvalues ? w->nvalues : 1, sizeof(char *)))) {
				rc = hl_error_set(HL_ENOMEM, "out of memory");
				goto done;
			}
			for (size_t j = 0; j < w->nvalues; j++) {
				char nv[HL_CATALOG__NORM], why[200];
				if (w->op == HL_Q_MATCH) {
					if (hl_text_fold(&norm[i][j], w->values[j], -1) < 0) {
						rc = hl_error_set(
						    HL_EINVALID,
						    "where: field \"%s\": not UTF-8 text", f->name);
						goto done;
					}
					continue;
				}
				if (hl_catalog__type(nv, f, w->values[j], why, sizeof(why)) < 0) {
					rc = hl_error_set(HL_EINVALID, "where: field \"%s\": %s",
					                  f->name, why);
					goto done;
				}
				if (!(norm[i][j] = strdup(nv[0] ? nv : w->values[j]))) {
					rc = hl_error_set(HL_ENOMEM, "out of memory");
					goto done;
				}
			}
			conds[i].values = (const char *const *)norm[i];
			conds[i].n = w->nvalues;
		}
	}
	q.conds = conds;
	q.nconds = nconds;
	q.aggs = aggs;
	q.naggs = naggs;
	q.cols = cols;
	q.ncols_out = ncols;
	q.sort = sort;
	q.nsort = nsort;
	q.version = opts->version;
	q.offset = opts->offset;
	q.timeout_ms = opts->timeout_ms;
	q.stream = opts->stream;
	q.expired = opts->expired;
	if (opts->expired)
		*opts->expired = 0;
	if (opts->stream) {
		q.limit = opts->limit;
		if (opts->max_limit && q.limit > opts->max_limit)
			q.limit = opts->max_limit;
	} else {
		uint64_t cap = opts->max_limit ? opts->max_limit : HL_QUERY_MAX_LIMIT;
		q.limit = opts->limit ? opts->limit : HL_QUERY_DEFAULT_LIMIT;
		if (q.limit > cap)
			q.limit = cap;
		q.total = opts->total;
	}
	k->more = opts->more;
	k->limit = q.limit;
	if (opts->more) {
		*opts->more = 0;
		if (q.limit)
			q.limit++; /* one more row tells whether more follow */
	}
	/* the columns given, named and typed */
	if (q.group_col >= 0 || naggs) {
		if (q.group_col >= 0) {
			h.names[h.n] = s->fields[q.group_col].name;
			h.types[h.n++] = (int)s->fields[q.group_col].type;
		}
		for (size_t i = 0; i < naggs; i++) {
			h.names[h.n] = agg_names[aggs[i].kind];
			h.types[h.n++] = aggs[i].kind == HL_DS_AGG_COUNT ? HL_FIELD_INTEGER
			                 : aggs[i].kind == HL_DS_AGG_AVG
			                     ? HL_FIELD_NUMBER
			                     : (int)s->fields[aggs[i].col].type;
		}
	} else if (ncols) {
		for (size_t i = 0; i < ncols; i++) {
			h.names[h.n] = s->fields[cols[i]].name;
			h.types[h.n++] = (int)s->fields[cols[i]].type;
		}
	} else
		for (size_t i = 0; i < s->nfields; i++) {
			h.names[h.n] = s->fields[i].name;
			h.types[h.n++] = (int)s->fields[i].type;
		}
	if ((rc = k->head(&h, k->ud)) != 0)
		goto done;
	rc = hl_store_ds_select(st, ds.iid, ds.types, s->nfields, &q, sink_row, k);
	if (rc >= 0 && !hl_dataset_answer_reusable(ds.d)) {
		char detail[80];
		snprintf(detail, sizeof(detail), "version %d, %llu rows",
		         opts->version ? opts->version : ds.d->version,
		         (unsigned long long)k->given);
		rc = hl_store_audit(st, hl_principal_actor(who), "dataset.query", id, detail);
	}
done:
	for (size_t i = 0; norm && i < nconds; i++) {
		for (size_t j = 0; norm[i] && j < opts->where->v[i].nvalues; j++)
			free(norm[i][j]);
		free(norm[i]);
	}
	free(norm);
	free(conds);
	hl_catalog__close(&ds);
	return rc < 0 ? rc : 0;
}

/* ---- hl_dataset_query: names, then the rows ---- */

typedef struct {
	hl_query_cb cb;
	void *ud;
	const char *const *names;
} cb_ctx;

static int cb_head(const q_head *h, void *ud)
{
	cb_ctx *c = ud;
	c->names = h->names;
	return c->cb(h->names, NULL, h->n, c->ud);
}

static int cb_row(const char *const *cells, size_t n, void *ud)
{
	cb_ctx *c = ud;
	return c->cb(c->names, cells, n, c->ud);
}

int hl_dataset_query(hl_store *st, const hl_principal *who, const char *id,
                     const hl_dataset_query_opts *opts, hl_query_cb cb, void *ud)
{
	cb_ctx c = {.cb = cb, .ud = ud};
	q_sink k = {.head = cb_head, .row = cb_row, .ud = &c};
	return run(st, who, id, opts, &k);
}

/* ---- CSV ---- */

typedef struct {
	FILE *f;
	int types[1 + HL_SCHEMA_MAX_FIELDS];
	uint64_t rows;
} csv_ctx;

static int csv_head(const q_head *h, void *ud)
{
	csv_ctx *c = ud;
	memcpy(c->types, h->types, h->n * sizeof(int));
	if (hl_csv_write(c->f, h->names, h->n) < 0)
		return hl_error_set(HL_EIO, "cannot write the CSV");
	return 0;
}

static int csv_row(const char *const *cells, size_t n, void *ud)
{
	csv_ctx *c = ud;
	int rc = hl_catalog__csv_row(c->f, cells, c->types, n, 0);
	c->rows++;
	return rc;
}

int hl_dataset_query_csv(uint64_t *rows, hl_store *st, const hl_principal *who, const char *id,
                         const hl_dataset_query_opts *opts, FILE *f)
{
	hl_dataset_query_opts o = {0};
	csv_ctx c = {.f = f};
	q_sink k = {.head = csv_head, .row = csv_row, .ud = &c};
	int rc;
	if (opts)
		o = *opts;
	o.stream = 1;
	o.total = NULL;
	o.more = NULL;
	rc = run(st, who, id, &o, &k);
	if (rc == 0 && fflush(f) != 0)
		rc = hl_error_set(HL_EIO, "cannot write the CSV");
	if (rows)
		*rows = c.rows;
	return rc;
}

/* ---- JSON ---- */

typedef struct {
	json_t *cols, *rows;
	int types[1 + HL_SCHEMA_MAX_FIELDS];
} json_ctx;

static int json_head(const q_head *h, void *ud)
{
	json_ctx *c = ud;
	memcpy(c->types, h->types, h->n * sizeof(int));
	for (size_t i = 0; i < h->n; i++)
		if (json_array_append_new(c->cols, json_string(h->names[i])) < 0)
			return hl_error_set(HL_ENOMEM, "out of memory");
	return 0;
}

static json_t *cell_json(int type, const char *v)
{
	if (!v)
		return json_null();
	switch (type) {
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

static int json_row(const char *const *cells, size_t n, void *ud)
{
	json_ctx *c = ud;
	json_t *r = json_array();
	if (!r)
		return hl_error_set(HL_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		json_array_append_new(r, cell_json(c->types[i], cells[i]));
	if (json_array_append_new(c->rows, r) < 0)
		return hl_error_set(HL_ENOMEM, "out of memory");
	return 0;
}

int hl_dataset_query_json(json_t **out, hl_store *st, const hl_principal *who, const char *id,
                          const hl_dataset_query_opts *opts, int with_total)
{
	hl_dataset_query_opts o = {0};
	json_ctx c = {.cols = json_array(), .rows = json_array()};
	q_sink k = {.head = json_head, .row = json_row, .ud = &c};
	uint64_t total = 0, cap;
	int more = 0, rc;

	*out = NULL;
	if (opts)
		o = *opts;
	o.stream = 0;
	o.total = with_total ? &total : NULL;
	o.more = &more;
	if (!c.cols || !c.rows) {
		json_decref(c.cols);
		json_decref(c.rows);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	if ((rc = run(st, who, id, &o, &k)) < 0) {
		json_decref(c.cols);
		json_decref(c.rows);
		return rc;
	}
	cap = o.max_limit ? o.max_limit : HL_QUERY_MAX_LIMIT;
	*out = json_pack(
	    "{s:o,s:o,s:I,s:I,s:b}", "columns", c.cols, "rows", c.rows, "limit",
	    (json_int_t)(o.limit ? (o.limit < cap ? o.limit : cap) : HL_QUERY_DEFAULT_LIMIT),
	    "offset", (json_int_t)o.offset, "more", more);
	if (!*out)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if (with_total)
		json_object_set_new(*out, "total", json_integer((json_int_t)total));
	return 0;
}

int hl_dataset_answer_reusable(const hl_dataset *d)
{
	return d && d->access < HL_ACCESS_RESTRICTED;
}
