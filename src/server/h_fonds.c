/* The fonds, dossier and custody endpoints of the API (docs/api.md "Fonds, dossiers, custody"):
 * each parses the request, asks the archive as the caller (who sees and may do what is the
 * library's rule, src/lib/archive/fonds.c), and answers in the shapes of `halong … --json`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halong/archive.h"
#include "halong/archive_json.h"
#include "halong/units.h"
#include "halong/units_json.h"
#include "server_int.h"

#define MAX_CODE 64 /* bytes of a fonds or dossier code taken from a request */

/* A string, or null when absent or empty (as the CLI writes them). */
static void set(json_t *o, const char *key, const char *s)
{
	json_object_set_new(o, key, s && *s ? js_str(s) : json_null());
}

/* A code from the path: bounded, no control characters (it ends up in messages and HTML). */
static int check_code(const char *what, const char *s)
{
	if (!s || !*s || strlen(s) > MAX_CODE)
		return hl_error_set(HL_EINVALID, "%s: 1 to %d bytes", what, MAX_CODE);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return hl_error_set(HL_EINVALID, "%s: control characters are not allowed",
			                    what);
	return 0;
}

/* A date of a JSON body: yyyy-mm-dd or dd/mm/yyyy into ISO. */
static int body_date(char out[11], const char *key, const char *s)
{
	if (hl_units_date_parse(out, s) < 0)
		return hl_error_set(HL_EINVALID,
		                    "%s: bad date \"%.40s\" (yyyy-mm-dd or dd/mm/yyyy)", key, s);
	return 0;
}

/* ---- GET /api/v1/fonds ---- */

static int fonds_list(request *r)
{
	hl_custodies *l = NULL;
	size_t off, lim;
	json_t *a;
	int rc;

	if ((rc = req_paging(&off, &lim, r, 0)) != 0)
		return rc;
	if ((rc = hl_archive_fonds_list(&l, r->archive, &r->who, NULL)) < 0)
		return rc;
	a = json_array();
	for (size_t i = off; i < l->n && i - off < lim; i++)
		json_array_append_new(a, hl_fonds_row_json(&l->v[i]));
	rc = resp_json(r, 200,
	               json_pack("{s:I,s:I,s:I,s:o}", "offset", (json_int_t)off, "limit",
	                         (json_int_t)lim, "total", (json_int_t)l->n, "items", a));
	hl_custodies_free(l);
	return rc;
}

/* ---- GET /api/v1/fonds/{code}?at= ---- */

/* The fonds as the caller sees it: `halong custody show --json` with the caller's counts, the
 * visible dossiers, and the fonds' own keys as GET /api/v1/fonds names them. */
static int fonds_answer(request *r, const hl_fonds *f)
{
	const hl_custody *c = f->custody;
	json_t *j = hl_custody_json(c, c->dossiers, c->documents), *d = json_array(),
	       *se = json_array(), *desc = json_object();
	for (size_t i = 0; i < f->ndossiers; i++)
		json_array_append_new(d, hl_dossier_json(&f->dossiers[i]));
	for (size_t i = 0; i < f->nseries; i++)
		json_array_append_new(se, hl_series_json(&f->series[i]));
	hl_desc_json(desc, &f->desc, HL_LEVEL_FONDS);
	/* docs/api.md: "dossiers" is the list here; its length is the visible count */
	json_object_set_new(j, "dossiers", d);
	json_object_set_new(j, "series", se);
	json_object_set_new(j, "description", desc);
	json_object_set_new(j, "may_describe", json_boolean(f->may_describe));
	json_object_set_new(j, "code", js_str(c->fonds_code));
	json_object_set_new(j, "name", json_copy(json_object_get(j, "fonds_name")));
	return resp_json(r, 200, j);
}

static int fonds_get(request *r)
{
	const char *code = req_param(r, "code");
	hl_fonds *f = NULL;
	char at[11];
	int given, rc;
	if ((rc = check_code("fonds", code)) < 0)
		return rc;
	if ((rc = req_date(at, &given, r, "at")) != 0)
		return rc;
	if ((rc = hl_archive_fonds_get(&f, r->archive, &r->who, code, given ? at : NULL)) < 0)
		return rc;
	rc = fonds_answer(r, f);
	hl_fonds_free(f);
	return rc;
}

/* ---- GET /api/v1/fonds/{code}/dossiers/{dossier}?offset=&limit= ---- */

static int doc_row(const hl_doc *d, void *ud)
{
	json_t *e = json_object();
	set(e, "id", d->doc_id);
	json_object_set_new(e, "ordinal", json_integer(d->ordinal));
	set(e, "subject", d->subject);
	set(e, "issued_date", d->issued_date);
	set(e, "doc_type", d->doc_type);
	json_object_set_new(e, "access", json_string(hl_access_name(d->access)));
	json_object_set_new(e, "pages",
	                    d->page_count >= 0 ? json_integer(d->page_count) : json_null());
	json_array_append_new(ud, e);
	return 0;
}

static int dossier_get(request *r)
{
	const char *code = req_param(r, "code"), *dossier = req_param(r, "dossier");
	hl_dossier *d = NULL;
	size_t off, lim;
	hl_doc_order order;
	json_t *a, *j;
	int rc;

	if ((rc = check_code("fonds", code)) < 0 || (rc = check_code("dossier", dossier)) < 0)
		return rc;
	if ((rc = req_paging(&off, &lim, r, 0)) != 0 ||
	    (rc = hl_doc_order_parse(&order, req_query(r, "sort"))) < 0)
		return rc;
	a = json_array();
	rc = hl_archive_dossier_docs(&d, r->archive, &r->who, code, dossier, order, off, lim,
	                             doc_row, a);
	if (rc < 0) {
		json_decref(a);
		return rc;
	}
	j = hl_dossier_json(d);
	json_object_set_new(j, "may_describe", json_boolean(d->may_describe));
	json_object_set_new(j, "offset", json_integer((json_int_t)off));
	json_object_set_new(j, "limit", json_integer((json_int_t)lim));
	json_object_set_new(
	    j, "sort",
	    json_string((const char *[]){"ordinal", "-ordinal", "date", "-date"}[order]));
	json_object_set_new(j, "total", json_integer(d->documents));
	json_object_set_new(j, "items", a);
	hl_dossier_free(d);
	return resp_json(r, 200, j);
}

/* ---- PUT /api/v1/fonds/{code} {"creator"?, "creator_at"?, "name"?}: one of them at least ---- */

static int fonds_put(request *r)
{
	const char *code = req_param(r, "code"), *creator, *creator_at, *name;
	hl_fonds *f = NULL;
	json_t *body = NULL;
	char on[11];
	int rc;

	if ((rc = check_code("fonds", code)) < 0)
		return rc;
	if ((rc = req_json(&body, r)) != 0)
		return rc;
	if ((rc = js_get_str(&creator, body, "creator", 0)) < 0 ||
	    (rc = js_get_str(&creator_at, body, "creator_at", 0)) < 0 ||
	    (rc = js_get_str(&name, body, "name", 0)) < 0)
		goto done;
	if ((creator && (rc = check_code("creator", creator)) < 0) ||
	    (creator_at && (rc = body_date(on, "creator_at", creator_at)) < 0))
		goto done;
	if (name && (strlen(name) > 1000 || !*name)) {
		rc = hl_error_set(HL_EINVALID, "name: 1 to 1000 bytes");
		goto done;
	}
	if ((rc = hl_archive_fonds_set(&f, r->archive, &r->who, code, creator,
	                               creator_at ? on : NULL, name)) < 0)
		goto done;
	rc = fonds_answer(r, f);
done:
	hl_fonds_free(f);
	json_decref(body);
	return rc;
}

/* ---- description: PATCH /api/v1/fonds/{code}, PUT|DELETE …/series/{series},
 * PATCH …/dossiers/{dossier} ---- */

/* The edit of a JSON body at `level` (code NULL for the fonds itself); *f the fonds after. */
static int describe(hl_fonds **f, request *r, hl_level level, const char *code)
{
	const char *fonds = req_param(r, "code");
	json_t *body = NULL;
	hl_desc e;
	int rc;
	if ((rc = check_code("fonds", fonds)) < 0 ||
	    (code && (rc = check_code(level == HL_LEVEL_SERIES ? "series" : "dossier", code)) < 0))
		return rc;
	if ((rc = req_json(&body, r)) != 0)
		return rc;
	if ((rc = hl_desc_from_json(&e, body, level, level == HL_LEVEL_FONDS ? "name" : NULL)) == 0)
		rc = hl_archive_describe(f, r->archive, &r->who, level, fonds, code, &e);
	json_decref(body);
	return rc;
}

/* The edit at `level`, answered with the series or dossier it changed, or with the fonds (a
 * fonds' edit, or one the caller no longer sees). */
static int describe_answer(request *r, hl_level level, const char *code)
{
	hl_fonds *f = NULL;
	json_t *j = NULL;
	int rc = describe(&f, r, level, code);
	for (size_t i = 0; rc == 0 && level == HL_LEVEL_SERIES && !j && i < f->nseries; i++)
		if (!strcmp(f->series[i].code, code))
			j = hl_series_json(&f->series[i]);
	for (size_t i = 0; rc == 0 && level == HL_LEVEL_DOSSIER && !j && i < f->ndossiers; i++)
		if (!strcmp(f->dossiers[i].code, code))
			j = hl_dossier_json(&f->dossiers[i]);
	if (rc == 0)
		rc = j ? resp_json(r, 200, j) : fonds_answer(r, f);
	hl_fonds_free(f);
	return rc;
}

static int fonds_patch(request *r)
{
	return describe_answer(r, HL_LEVEL_FONDS, NULL);
}

static int series_put(request *r)
{
	return describe_answer(r, HL_LEVEL_SERIES, req_param(r, "series"));
}

static int series_delete(request *r)
{
	const char *fonds = req_param(r, "code"), *code = req_param(r, "series");
	int rc;
	if ((rc = check_code("fonds", fonds)) < 0 || (rc = check_code("series", code)) < 0)
		return rc;
	if ((rc = hl_archive_series_remove(r->archive, &r->who, fonds, code)) < 0)
		return rc;
	return resp_json(
	    r, 200, json_pack("{s:s,s:s,s:b}", "fonds_code", fonds, "code", code, "removed", 1));
}

static int dossier_patch(request *r)
{
	return describe_answer(r, HL_LEVEL_DOSSIER, req_param(r, "dossier"));
}

/* ---- custody ---- */

/* {"total", "items"}: the custodies as `halong custody of|pending --json`. */
static int custodies_answer(request *r, hl_custodies *l)
{
	int rc = resp_json(
	    r, 200,
	    json_pack("{s:I,s:o}", "total", (json_int_t)l->n, "items", hl_custodies_json(l)));
	hl_custodies_free(l);
	return rc;
}

/* GET /api/v1/custody/of/{unit}?at= */
static int custody_of(request *r)
{
	const char *unit = req_param(r, "unit");
	hl_custodies *l = NULL;
	char at[11];
	int given, rc;
	if ((rc = check_code("unit", unit)) < 0)
		return rc;
	if ((rc = req_date(at, &given, r, "at")) != 0)
		return rc;
	if ((rc = hl_archive_custody_of(&l, r->archive, &r->who, unit, given ? at : NULL)) < 0)
		return rc;
	return custodies_answer(r, l);
}

/* GET /api/v1/custody/pending */
static int custody_pending(request *r)
{
	hl_custodies *l = NULL;
	int rc;
	if ((rc = hl_archive_custody_pending(&l, r->archive, &r->who)) < 0)
		return rc;
	return custodies_answer(r, l);
}

/* POST /api/v1/custody/assign {"fonds", "to", "from"?, "date"?, "basis"?} */
static int custody_assign(request *r)
{
	const char *fonds, *to, *from, *date, *basis;
	hl_custody *c = NULL;
	json_t *body = NULL;
	char day[11];
	int rc;

	if ((rc = req_json(&body, r)) != 0)
		return rc;
	if ((rc = js_get_str(&fonds, body, "fonds", 1)) < 0 ||
	    (rc = js_get_str(&to, body, "to", 1)) < 0 ||
	    (rc = js_get_str(&from, body, "from", 0)) < 0 ||
	    (rc = js_get_str(&date, body, "date", 0)) < 0 ||
	    (rc = js_get_str(&basis, body, "basis", 0)) < 0)
		goto done;
	if ((rc = check_code("fonds", fonds)) < 0 || (rc = check_code("to", to)) < 0 ||
	    (from && (rc = check_code("from", from)) < 0) ||
	    (date && (rc = body_date(day, "date", date)) < 0))
		goto done;
	if (basis && strlen(basis) > 1000) {
		rc = hl_error_set(HL_EINVALID, "basis: at most 1000 bytes");
		goto done;
	}
	if (!!from != !!date) {
		rc = hl_error_set(HL_EINVALID, "give both \"from\" and \"date\", or neither (the "
		                               "first step waiting for a decision)");
		goto done;
	}
	if ((rc = hl_archive_custody_assign(&c, r->archive, &r->who, fonds, to, from,
	                                    date ? day : NULL, basis)) < 0)
		goto done;
	rc = resp_json(r, 200, hl_custody_json(c, c->dossiers, c->documents));
done:
	hl_custody_free(c);
	json_decref(body);
	return rc;
}

/* ---- GET /api/v1/custody/receipt/{unit}?from=&at=&format=json|csv|html ---- */

static int custody_receipt(request *r)
{
	const char *unit = req_param(r, "unit"), *from = req_query(r, "from");
	const char *format = req_query(r, "format");
	hl_receipt *rc_ = NULL;
	char at[11], name[80], *buf = NULL;
	size_t len = 0;
	int given, rc, csv;
	FILE *m;

	if ((rc = check_code("unit", unit)) < 0 || (from && (rc = check_code("from", from)) < 0))
		return rc;
	if ((rc = req_date(at, &given, r, "at")) != 0)
		return rc;
	if (format && strcmp(format, "json") && strcmp(format, "csv") && strcmp(format, "html"))
		return hl_error_set(HL_EINVALID, "format: json, csv or html");
	if ((rc = hl_archive_custody_receipt(&rc_, r->archive, &r->who, unit, from,
	                                     given ? at : NULL)) < 0)
		return rc;
	if (!format || !strcmp(format, "json")) {
		json_t *j = hl_receipt_json(rc_);
		hl_receipt_free(rc_);
		return resp_json(r, 200, j);
	}
	csv = !strcmp(format, "csv");
	if (!(m = open_memstream(&buf, &len))) {
		hl_receipt_free(rc_);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	(csv ? hl_receipt_write_csv : hl_receipt_write_html)(m, rc_);
	fclose(m);
	snprintf(name, sizeof(name), "attachment; filename=\"bien-ban-%.16s-%s.%s\"", rc_->to_code,
	         rc_->date, csv ? "csv" : "html");
	hl_receipt_free(rc_);
	/* only [A-Za-z0-9.-] in the file name: no quote or byte a header must not carry */
	for (char *p = name + 22; *p && *p != '"'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			*p = '_';
	if (csv && (rc = resp_header(r, "Content-Disposition", name)) < 0) {
		free(buf);
		return rc;
	}
	return resp_bytes(r, 200, csv ? "text/csv; charset=utf-8" : "text/html; charset=utf-8", buf,
	                  len, 1);
}

const route routes_fonds[] = {
    {M_GET, "/api/v1/fonds", fonds_list, 0, 0},
    {M_GET, "/api/v1/fonds/{code}", fonds_get, 0, 0},
    {M_PUT, "/api/v1/fonds/{code}", fonds_put, 0, 0},
    {M_PATCH, "/api/v1/fonds/{code}", fonds_patch, 0, 0},
    {M_PUT, "/api/v1/fonds/{code}/series/{series}", series_put, 0, 0},
    {M_DELETE, "/api/v1/fonds/{code}/series/{series}", series_delete, 0, 0},
    {M_GET, "/api/v1/fonds/{code}/dossiers/{dossier}", dossier_get, 0, 0},
    {M_PATCH, "/api/v1/fonds/{code}/dossiers/{dossier}", dossier_patch, 0, 0},
    {M_GET, "/api/v1/custody/of/{unit}", custody_of, 0, 0},
    {M_GET, "/api/v1/custody/pending", custody_pending, 0, 0},
    {M_POST, "/api/v1/custody/assign", custody_assign, 0, 0},
    {M_GET, "/api/v1/custody/receipt/{unit}", custody_receipt, 0, 0},
    {0},
};
