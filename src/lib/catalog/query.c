/* Querying a dataset: a filter parsed from text (never SQL), each value checked against its
 * field's type, then a group-by with count and sum run by SQLite's own GROUP BY, with a time
 * limit. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../store/store_catalog.h"
#include "catalog_int.h"
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
	while (*l->p && !strchr("=!<> \t(", *l->p))
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
		else {
			rc = perr(&l, "an operator (= != < <= > >= in is) expected");
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

typedef struct {
	hl_query_cb cb;
	void *ud;
	const char *const *names;
} q_ctx;

static int on_row(const char *const *cells, size_t n, void *ud)
{
	q_ctx *c = ud;
	return c->cb(c->names, cells, n, c->ud);
}

int hl_dataset_query(hl_store *st, const hl_principal *who, const char *id,
                     const hl_dataset_query_opts *opts, hl_query_cb cb, void *ud)
{
	hl_dataset_query_opts none = {0};
	hl_catalog__ds ds;
	const hl_table_schema *s;
	hl_store_ds_query q = {.group_col = -1, .sum_col = -1};
	hl_store_ds_cond *conds = NULL;
	char ***norm = NULL; /* per condition, its values normalised */
	const char *names[3 + HL_SCHEMA_MAX_FIELDS];
	size_t nnames = 0, nconds = 0;
	q_ctx c = {.cb = cb, .ud = ud, .names = names};
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
	if (opts->sum) {
		if ((q.sum_col = field_index(s, opts->sum)) < 0) {
			rc = hl_error_set(HL_EINVALID, "sum: dataset %s has no field \"%.128s\"",
			                  id, opts->sum);
			goto done;
		}
		if (s->fields[q.sum_col].type != HL_FIELD_INTEGER &&
		    s->fields[q.sum_col].type != HL_FIELD_NUMBER) {
			rc = hl_error_set(HL_EINVALID, "sum: field \"%s\" is not a number",
			                  opts->sum);
			goto done;
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
			if (!(norm[i] = calloc(w->nvalues ? w->nvalues : 1, sizeof(char *)))) {
				rc = hl_error_set(HL_ENOMEM, "out of memory");
				goto done;
			}
			for (size_t j = 0; j < w->nvalues; j++) {
				char nv[HL_CATALOG__NORM], why[200];
				if (hl_catalog__type(nv, f, w->values[j], why, sizeof(why)) < 0) {
					rc = hl_error_set(HL_EINVALID, "where: field \"%s\": %s",
					                  f->name, why);
					goto done;
				}
				norm[i][j] = hl_strdup(nv[0] ? nv : w->values[j]);
			}
			conds[i].values = (const char *const *)norm[i];
			conds[i].n = w->nvalues;
		}
	}
	q.conds = conds;
	q.nconds = nconds;
	q.count = opts->count;
	q.version = opts->version;
	q.limit = opts->limit ? opts->limit : HL_QUERY_DEFAULT_LIMIT;
	if (q.limit > HL_QUERY_MAX_LIMIT)
		q.limit = HL_QUERY_MAX_LIMIT;
	q.offset = opts->offset;
	q.timeout_ms = opts->timeout_ms;
	if (q.group_col >= 0 || q.count || q.sum_col >= 0) {
		if (q.group_col >= 0)
			names[nnames++] = s->fields[q.group_col].name;
		if (q.count)
			names[nnames++] = "count";
		if (q.sum_col >= 0)
			names[nnames++] = "sum";
	} else
		for (size_t i = 0; i < s->nfields; i++)
			names[nnames++] = s->fields[i].name;
	if ((rc = cb(names, NULL, nnames, ud)) != 0)
		goto done;
	rc = hl_store_ds_select(st, ds.iid, ds.types, s->nfields, &q, on_row, &c);
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
