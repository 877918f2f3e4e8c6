/* The fonds, dossier and custody endpoints of the API (docs/api.md "Fonds, dossiers, custody"):
 * every list and count shows only what the caller may see, and the custody answers keep the
 * shapes of `halong custody … --json`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_units.h"
#include "halong/units.h"
#include "halong/units_json.h"
#include "halong/util.h"
#include "server_int.h"

#define MAX_CODE 64 /* bytes of a fonds or dossier code taken from a request */

/* A string, or null when absent or empty (as the CLI writes them). */
static void set(json_t *o, const char *key, const char *s)
{
	json_object_set_new(o, key, s && *s ? hl_json_str(s) : json_null());
}

/* ---- what the caller sees ---- */

/* Visible documents and dossiers per fonds (hl_store_fonds_counts), for one request. */
typedef struct {
	char *code;
	int64_t documents, dossiers;
} fcount;

typedef struct {
	fcount *v;
	size_t n, cap;
} fcounts;

static void fcounts_free(fcounts *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].code);
	free(f->v);
}

static int fcount_add(const hl_store_fonds_count *c, void *ud)
{
	fcounts *f = ud;
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 32;
		fcount *v = realloc(f->v, cap * sizeof(*v));
		if (!v)
			return hl_error_set(HL_ENOMEM, "out of memory");
		f->v = v, f->cap = cap;
	}
	if (!(f->v[f->n].code = hl_strdup(c->code)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	f->v[f->n].documents = c->documents;
	f->v[f->n].dossiers = c->dossiers;
	f->n++;
	return 0;
}

static int fcounts_load(fcounts *out, hl_req *r)
{
	char *const *codes;
	size_t n;
	int all, rc;
	memset(out, 0, sizeof(*out));
	if ((rc = hl_req_scope(&codes, &n, &all, r)) < 0)
		return rc;
	rc = hl_store_fonds_counts(hl_req_store(r), (int)hl_req_ceiling(r), codes, n, all,
	                           fcount_add, out);
	if (rc < 0)
		fcounts_free(out);
	return rc;
}

static const fcount *fcount_of(const fcounts *f, const char *code)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].code, code))
			return &f->v[i];
	return NULL;
}

/* Archivists and admins see every fonds in their scope, even one without a visible record. */
static int is_keeper(hl_req *r)
{
	return r->who.role == HL_ROLE_ARCHIVIST || r->who.role == HL_ROLE_ADMIN;
}

/* docs/api.md: a fonds is listed when the caller sees one of its documents, or, for an
 * archivist or admin, when it is in scope. */
static int fonds_visible(hl_req *r, const fcounts *f, const char *code)
{
	return fcount_of(f, code) || (is_keeper(r) && hl_req_in_scope(r, code));
}

/* fonds_visible with the counts loaded here. */
static int visible_to(hl_req *r, const char *code)
{
	fcounts f;
	int v;
	if (fcounts_load(&f, r) < 0)
		return 0;
	v = fonds_visible(r, &f, code);
	fcounts_free(&f);
	return v;
}

static int no_fonds(const char *code)
{
	return hl_error_set(HL_ENOTFOUND, "no fonds %s", code);
}

/* ---- JSON: the shapes of include/halong/units_json.h, with the caller's counts ---- */

/* `halong custody show --json`, with the counts of what the caller sees. */
static json_t *custody_json(const hl_custody *c, const fcounts *f)
{
	const fcount *n = fcount_of(f, c->fonds_code);
	return hl_custody_json(c, n ? n->dossiers : 0, n ? n->documents : 0);
}

/* `halong fonds list --json`, with the counts of what the caller sees. */
static json_t *fonds_row_json(const hl_custody *c, const fcounts *f)
{
	json_t *o = json_object();
	const fcount *n = fcount_of(f, c->fonds_code);
	json_object_set_new(o, "code", json_string(c->fonds_code));
	set(o, "name", c->fonds_name);
	set(o, "creator_code", c->creator_code);
	set(o, "creator_name", c->creator_name);
	set(o, "creator_on", c->creator_on);
	set(o, "custodian_code", c->custodian_code);
	set(o, "custodian_name", c->custodian_name);
	json_object_set_new(o, "state", json_string(hl_custody_state_name(c->state)));
	json_object_set_new(o, "dossiers", json_integer(n ? n->dossiers : 0));
	json_object_set_new(o, "documents", json_integer(n ? n->documents : 0));
	return o;
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

/* ---- GET /api/v1/fonds ---- */

static int fonds_list(hl_req *r)
{
	hl_custodies *l = NULL;
	fcounts f;
	size_t off, lim, total = 0;
	json_t *a;
	int rc;

	if ((rc = hl_req_paging(&off, &lim, r, 0)) != 0)
		return rc;
	if ((rc = fcounts_load(&f, r)) < 0)
		return rc;
	if ((rc = hl_custody_list(&l, hl_req_store(r), NULL)) < 0) {
		fcounts_free(&f);
		return rc;
	}
	a = json_array();
	for (size_t i = 0; i < l->n; i++) {
		if (!fonds_visible(r, &f, l->v[i].fonds_code))
			continue;
		if (total >= off && total - off < lim)
			json_array_append_new(a, fonds_row_json(&l->v[i], &f));
		total++;
	}
	hl_custodies_free(l);
	fcounts_free(&f);
	return hl_resp_json(r, 200,
	                    json_pack("{s:I,s:I,s:I,s:o}", "offset", (json_int_t)off, "limit",
	                              (json_int_t)lim, "total", (json_int_t)total, "items", a));
}

/* ---- GET /api/v1/fonds/{code}?at= ---- */

static int dossier_row(const char *code, const char *title, int64_t documents, void *ud)
{
	json_t *e = json_object();
	json_object_set_new(e, "code", hl_json_str(code));
	set(e, "title", title);
	json_object_set_new(e, "documents", json_integer(documents));
	json_array_append_new(ud, e);
	return 0;
}

/* The fonds `code` on `date` as the caller sees it: custody, visible counts and dossiers. */
static int fonds_answer(hl_req *r, int status, const char *code, const char *date)
{
	hl_custody *c = NULL;
	fcounts f;
	json_t *j, *d;
	int rc;

	if ((rc = fcounts_load(&f, r)) < 0)
		return rc;
	if (!fonds_visible(r, &f, code)) {
		fcounts_free(&f);
		return no_fonds(code);
	}
	if ((rc = hl_custody_get(&c, hl_req_store(r), code, date)) < 0) {
		fcounts_free(&f);
		return rc;
	}
	j = custody_json(c, &f);
	hl_custody_free(c);
	fcounts_free(&f);
	d = json_array();
	rc = hl_store_dossiers_visible(hl_req_store(r), code, (int)hl_req_ceiling(r),
	                               hl_req_in_scope(r, code), dossier_row, d);
	if (rc < 0) {
		json_decref(d);
		json_decref(j);
		return rc;
	}
	/* docs/api.md: "dossiers" is the list here; its length is the visible count */
	json_object_set_new(j, "dossiers", d);
	/* the fonds' own keys as GET /api/v1/fonds names them, beside the custody's */
	json_object_set_new(j, "code", hl_json_str(code));
	json_object_set_new(j, "name", json_copy(json_object_get(j, "fonds_name")));
	return hl_resp_json(r, status, j);
}

static int fonds_get(hl_req *r)
{
	const char *code = hl_req_param(r, "code");
	char at[11];
	int given, rc;
	if ((rc = check_code("fonds", code)) < 0)
		return rc;
	if ((rc = hl_req_date(at, &given, r, "at")) != 0)
		return rc;
	return fonds_answer(r, 200, code, given ? at : NULL);
}

/* ---- GET /api/v1/fonds/{code}/dossiers/{dossier}?offset=&limit= ---- */

typedef struct {
	const char *want;
	char *title;
	int found;
} title_find;

static int title_row(const char *code, const char *title, int64_t documents, void *ud)
{
	title_find *t = ud;
	if (strcmp(code, t->want))
		return 0;
	t->found = 1;
	t->title = title ? hl_strdup(title) : NULL;
	return 1;
}

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

static int dossier_get(hl_req *r)
{
	const char *code = hl_req_param(r, "code"), *dossier = hl_req_param(r, "dossier");
	title_find t = {dossier, NULL, 0};
	size_t off, lim;
	int64_t total = 0;
	int scoped, rc;
	fcounts f;
	json_t *a, *j;

	if ((rc = check_code("fonds", code)) < 0 || (rc = check_code("dossier", dossier)) < 0)
		return rc;
	if ((rc = hl_req_paging(&off, &lim, r, 0)) != 0)
		return rc;
	if ((rc = fcounts_load(&f, r)) < 0)
		return rc;
	rc = fonds_visible(r, &f, code);
	fcounts_free(&f);
	if (!rc)
		return no_fonds(code);
	scoped = hl_req_in_scope(r, code);
	/* a dossier holding nothing the caller sees answers as a missing one */
	if ((rc = hl_store_dossiers_visible(hl_req_store(r), code, (int)hl_req_ceiling(r), scoped,
	                                    title_row, &t)) < 0)
		return rc;
	if (!t.found)
		return hl_error_set(HL_ENOTFOUND, "no dossier %s in fonds %s", dossier, code);
	a = json_array();
	rc = hl_store_dossier_docs(&total, hl_req_store(r), code, dossier, (int)hl_req_ceiling(r),
	                           scoped, off, lim, doc_row, a);
	if (rc < 0) {
		free(t.title);
		json_decref(a);
		return rc;
	}
	j = json_object();
	json_object_set_new(j, "fonds_code", hl_json_str(code));
	json_object_set_new(j, "code", hl_json_str(dossier));
	set(j, "title", t.title);
	json_object_set_new(j, "offset", json_integer((json_int_t)off));
	json_object_set_new(j, "limit", json_integer((json_int_t)lim));
	json_object_set_new(j, "total", json_integer(total));
	json_object_set_new(j, "items", a);
	free(t.title);
	return hl_resp_json(r, 200, j);
}

/* ---- PUT /api/v1/fonds/{code} {"creator", "creator_at"?, "name"?} ---- */

static int exists_cb(const hl_store_fonds_row *row, void *ud)
{
	*(int *)ud = 1;
	return 0;
}

static int fonds_put(hl_req *r)
{
	const char *code = hl_req_param(r, "code"), *creator, *creator_at, *name;
	char on[11];
	json_t *body = NULL;
	int exists = 0, rc;

	if ((rc = hl_req_require(r, HL_ROLES_CUSTODY)) != 0)
		return rc;
	if ((rc = check_code("fonds", code)) < 0)
		return rc;
	if ((rc = hl_req_json(&body, r)) != 0)
		return rc;
	if ((rc = hl_json_get_str(&creator, body, "creator", 1)) < 0 ||
	    (rc = hl_json_get_str(&creator_at, body, "creator_at", 0)) < 0 ||
	    (rc = hl_json_get_str(&name, body, "name", 0)) < 0)
		goto done;
	if ((rc = check_code("creator", creator)) < 0)
		goto done;
	if (creator_at && hl_units_date_parse(on, creator_at) < 0) {
		rc = hl_error_set(HL_EINVALID,
		                  "creator_at: bad date \"%.40s\" (yyyy-mm-dd or "
		                  "dd/mm/yyyy)",
		                  creator_at);
		goto done;
	}
	if (name && (strlen(name) > 1000 || !*name)) {
		rc = hl_error_set(HL_EINVALID, "name: 1 to 1000 bytes");
		goto done;
	}
	rc = hl_store_fonds_get(hl_req_store(r), code, exists_cb, &exists);
	if (rc < 0 && rc != HL_ENOTFOUND)
		goto done;
	/* a unit's archivist changes the fonds its unit holds; only the province creates or
	 * changes the others. A fonds the caller cannot see answers exactly as a missing one
	 * (a 403 for a missing fonds beside a 404 for a hidden one told which codes exist). */
	if (!r->who.province && (!exists || !hl_req_in_scope(r, code))) {
		if (exists && visible_to(r, code))
			rc = hl_error_set(HL_EDENIED, "fonds %s is not held by your unit", code);
		else
			rc = no_fonds(code);
		goto done;
	}
	rc = hl_custody_set_creator(hl_req_store(r), code, creator, creator_at ? on : NULL, name,
	                            hl_req_actor(r));
	/* the unit is part of the body, not of the path: an unknown one is a bad request */
	if (rc == HL_ENOTFOUND) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s", hl_error_last());
		rc = hl_error_set(HL_EINVALID, "%s", msg);
	}
	if (rc < 0)
		goto done;
	rc = fonds_answer(r, 200, code, NULL);
done:
	json_decref(body);
	return rc;
}

/* ---- custody ---- */

/* A list of custodies as the caller sees them: {"total", "items"}. `only_visible`: leave out
 * fonds the caller may not see. */
static int custodies_answer(hl_req *r, const hl_custodies *l, int only_visible)
{
	fcounts f;
	json_t *a = json_array();
	int rc;
	if ((rc = fcounts_load(&f, r)) < 0) {
		json_decref(a);
		return rc;
	}
	for (size_t i = 0; i < l->n; i++)
		if (!only_visible || fonds_visible(r, &f, l->v[i].fonds_code))
			json_array_append_new(a, custody_json(&l->v[i], &f));
	fcounts_free(&f);
	return hl_resp_json(
	    r, 200, json_pack("{s:I,s:o}", "total", (json_int_t)json_array_size(a), "items", a));
}

/* GET /api/v1/custody/of/{unit}?at= */
static int custody_of(hl_req *r)
{
	const char *unit = hl_req_param(r, "unit");
	hl_custodies *l = NULL;
	char at[11];
	int given, rc;
	if ((rc = check_code("unit", unit)) < 0)
		return rc;
	if ((rc = hl_req_date(at, &given, r, "at")) != 0)
		return rc;
	if ((rc = hl_custody_held_by(&l, hl_req_store(r), unit, given ? at : NULL)) < 0)
		return rc;
	rc = custodies_answer(r, l, 1);
	hl_custodies_free(l);
	return rc;
}

/* GET /api/v1/custody/pending: decisions are the province's work, so every waiting fonds is
 * listed to the province's staff; a commune's staff, who decide nothing, see only the waiting
 * fonds they may see anyway (GET /api/v1/fonds): a waiting fonds holding only records hidden
 * from them is not named. The counts stay those the caller sees. */
static int custody_pending(hl_req *r)
{
	hl_custodies *l = NULL;
	int rc;
	if ((rc = hl_req_require(r, HL_ROLES_READ_CUSTODY)) != 0)
		return rc;
	if ((rc = hl_custody_pending(&l, hl_req_store(r))) < 0)
		return rc;
	rc = custodies_answer(r, l, !r->who.province);
	hl_custodies_free(l);
	return rc;
}

/* POST /api/v1/custody/assign {"fonds", "to", "from"?, "date"?, "basis"?} */
static int custody_assign(hl_req *r)
{
	const char *fonds, *to, *from, *date, *basis;
	hl_custody *c = NULL;
	json_t *body = NULL, *j;
	fcounts f;
	char day[11];
	int rc;

	if ((rc = hl_req_require(r, HL_ROLES_CUSTODY)) != 0)
		return rc;
	/* a decision moves records into a unit's scope: a commune's archivist deciding would
	 * grant its own unit an abolished district's fonds, so only the province decides */
	if (!r->who.province)
		return hl_error_set(HL_EDENIED,
		                    "custody decisions are made by the province's staff");
	if ((rc = hl_req_json(&body, r)) != 0)
		return rc;
	if ((rc = hl_json_get_str(&fonds, body, "fonds", 1)) < 0 ||
	    (rc = hl_json_get_str(&to, body, "to", 1)) < 0 ||
	    (rc = hl_json_get_str(&from, body, "from", 0)) < 0 ||
	    (rc = hl_json_get_str(&date, body, "date", 0)) < 0 ||
	    (rc = hl_json_get_str(&basis, body, "basis", 0)) < 0)
		goto done;
	if ((rc = check_code("fonds", fonds)) < 0 || (rc = check_code("to", to)) < 0 ||
	    (from && (rc = check_code("from", from)) < 0))
		goto done;
	if (date && hl_units_date_parse(day, date) < 0) {
		rc = hl_error_set(HL_EINVALID,
		                  "date: bad date \"%.40s\" (yyyy-mm-dd or dd/mm/yyyy)", date);
		goto done;
	}
	if (basis && strlen(basis) > 1000) {
		rc = hl_error_set(HL_EINVALID, "basis: at most 1000 bytes");
		goto done;
	}
	if (!!from != !!date) {
		rc = hl_error_set(HL_EINVALID, "give both \"from\" and \"date\", or neither (the "
		                               "first step waiting for a decision)");
		goto done;
	}
	rc = hl_custody_assign(hl_req_store(r), fonds, to, from, date ? day : NULL, basis,
	                       hl_req_actor(r));
	/* a known fonds with no step waiting is a conflict with its state, not a missing thing */
	if (rc == HL_ENOTFOUND && !from) {
		int exists = 0;
		char msg[256];
		snprintf(msg, sizeof(msg), "%s", hl_error_last());
		if (hl_store_fonds_get(hl_req_store(r), fonds, exists_cb, &exists) == 0 && exists)
			rc = hl_error_set(HL_ECONFLICT, "%s", msg);
		else
			hl_error_set(HL_ENOTFOUND, "%s", msg);
	}
	if (rc < 0)
		goto done;
	if ((rc = hl_custody_get(&c, hl_req_store(r), fonds, NULL)) < 0)
		goto done;
	if ((rc = fcounts_load(&f, r)) < 0)
		goto done;
	j = custody_json(c, &f);
	fcounts_free(&f);
	rc = hl_resp_json(r, 200, j);
done:
	hl_custody_free(c);
	json_decref(body);
	return rc;
}

/* ---- GET /api/v1/custody/receipt/{unit}?from=&at=&format=json|csv|html ---- */

/* ---- the receipt as the caller sees it ----
 *
 * docs/api.md: every path counts only what the caller sees, receipts included. A dossier with
 * nothing visible is left out; one with some records hidden is counted over its visible ones,
 * and its digest (over every record, computed by the library) is left empty: the caller could
 * not check it. The receipt's own digest is then recomputed over the lines shown, by the
 * formula of include/halong/units.h. When nothing is hidden the receipt is the CLI's, byte for
 * byte. */

typedef struct {
	char **ids;
	size_t n, cap;
} id_list;

static int id_add(const hl_doc *d, void *ud)
{
	id_list *l = ud;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		char **v = realloc(l->ids, cap * sizeof(*v));
		if (!v)
			return hl_error_set(HL_ENOMEM, "out of memory");
		l->ids = v, l->cap = cap;
	}
	if (!(l->ids[l->n] = hl_strdup(d->doc_id)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	l->n++;
	return 0;
}

static void id_list_free(id_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->ids[i]);
	free(l->ids);
}

/* Recounts line `l` over the records of its dossier the caller sees; *visible how many. */
static int recount_line(int64_t *visible, hl_receipt_line *l, hl_req *r)
{
	id_list ids = {0};
	int64_t total = 0, pages = 0, files = 0, bytes = 0;
	hl_access max = HL_ACCESS_PUBLIC;
	int scoped = hl_req_in_scope(r, l->fonds_code), rc = 0;

	for (size_t off = 0;; off += HL_SRV_PAGE_MAX) {
		size_t before = ids.n;
		rc = hl_store_dossier_docs(&total, hl_req_store(r), l->fonds_code, l->dossier_code,
		                           (int)hl_req_ceiling(r), scoped, off, HL_SRV_PAGE_MAX,
		                           id_add, &ids);
		if (rc < 0 || ids.n == before || ids.n >= (size_t)total)
			break;
	}
	for (size_t i = 0; i < ids.n && rc == 0; i++) {
		hl_doc *d = NULL;
		if ((rc = hl_store_doc_get(&d, hl_req_store(r), ids.ids[i])) < 0)
			break;
		pages += d->page_count > 0 ? d->page_count : 0;
		files += (int64_t)d->nfiles;
		for (size_t k = 0; k < d->nfiles; k++)
			bytes += d->files[k].size;
		if (d->access > max)
			max = d->access;
		hl_doc_free(d);
	}
	if (rc == 0) {
		*visible = (int64_t)ids.n;
		if ((int64_t)ids.n != l->documents) {
			l->documents = (int64_t)ids.n;
			l->pages = pages, l->files = files, l->bytes = bytes;
			l->max_access = max;
			l->digest[0] = '\0';
		}
	}
	id_list_free(&ids);
	return rc;
}

/* Filters the receipt for the caller in place; *shown the lines to show (the first ones of
 * r->v; the others stay for hl_receipt_free). */
static int receipt_filter(size_t *shown, hl_receipt *rc_, hl_req *r)
{
	hl_receipt_line *kept;
	size_t nk = 0, nd = 0, nfonds = 0;
	int changed = 0, rc = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	if (!rc_->n) {
		*shown = 0;
		return 0;
	}
	if (!(kept = malloc(rc_->n * sizeof(*kept))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	/* visible lines first, in order, then the hidden ones */
	for (int pass = 0; pass < 2 && rc == 0; pass++)
		for (size_t i = 0; i < rc_->n; i++) {
			int64_t before = rc_->v[i].documents, vis = 0;
			if (pass == 0) {
				if ((rc = recount_line(&vis, &rc_->v[i], r)) < 0)
					break;
				changed |= vis != before;
				/* a hidden line is marked by documents = 0 for the second pass */
				if (vis > 0)
					kept[nk++] = rc_->v[i];
			} else if (rc_->v[i].documents == 0) {
				kept[nk + nd++] = rc_->v[i];
			}
		}
	if (rc < 0) {
		free(kept);
		return rc;
	}
	memcpy(rc_->v, kept, rc_->n * sizeof(*kept));
	free(kept);
	*shown = nk;
	if (!changed)
		return 0;
	rc_->documents = rc_->pages = rc_->files = rc_->bytes = 0;
	if (!(m = open_memstream(&buf, &len)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	for (size_t i = 0; i < nk; i++) {
		const hl_receipt_line *l = &rc_->v[i];
		int seen = 0;
		for (size_t k = 0; k < i && !seen; k++)
			seen = !strcmp(rc_->v[k].fonds_code, l->fonds_code);
		nfonds += !seen;
		rc_->documents += l->documents, rc_->pages += l->pages;
		rc_->files += l->files, rc_->bytes += l->bytes;
		fprintf(m, "%s\t%s\t%lld\t%lld\t%s\n", l->fonds_code, l->dossier_code,
		        (long long)l->documents, (long long)l->pages, l->digest);
	}
	fclose(m);
	rc_->nfonds = nfonds;
	hl_sha256_hex(rc_->digest, buf ? buf : "", len);
	free(buf);
	return 0;
}

static json_t *receipt_json(const hl_receipt *r)
{
	json_t *j = json_object(), *lines = json_array();
	json_object_set_new(j, "to_code", hl_json_str(r->to_code));
	set(j, "to_name", r->to_name);
	json_object_set_new(j, "date", json_string(r->date));
	json_object_set_new(j, "fonds", json_integer((json_int_t)r->nfonds));
	json_object_set_new(j, "dossiers", json_integer((json_int_t)r->n));
	json_object_set_new(j, "documents", json_integer(r->documents));
	json_object_set_new(j, "pages", json_integer(r->pages));
	json_object_set_new(j, "files", json_integer(r->files));
	json_object_set_new(j, "bytes", json_integer(r->bytes));
	json_object_set_new(j, "sha256", json_string(r->digest));
	for (size_t i = 0; i < r->n; i++) {
		const hl_receipt_line *l = &r->v[i];
		json_t *e = json_object();
		json_object_set_new(e, "fonds_code", hl_json_str(l->fonds_code));
		set(e, "fonds_name", l->fonds_name);
		json_object_set_new(e, "from_code", hl_json_str(l->from_code));
		set(e, "from_name", l->from_name);
		json_object_set_new(e, "date", json_string(l->effective_date));
		set(e, "basis", l->basis);
		json_object_set_new(e, "dossier_code", hl_json_str(l->dossier_code));
		set(e, "dossier_title", l->dossier_title);
		json_object_set_new(e, "documents", json_integer(l->documents));
		json_object_set_new(e, "pages", json_integer(l->pages));
		json_object_set_new(e, "files", json_integer(l->files));
		json_object_set_new(e, "bytes", json_integer(l->bytes));
		json_object_set_new(e, "max_access", json_string(hl_access_name(l->max_access)));
		json_object_set_new(e, "sha256", json_string(l->digest));
		json_array_append_new(lines, e);
	}
	json_object_set_new(j, "dossiers_list", lines);
	return j;
}

static int custody_receipt(hl_req *r)
{
	const char *unit = hl_req_param(r, "unit"), *from = hl_req_query(r, "from");
	const char *format = hl_req_query(r, "format");
	hl_receipt *rc_ = NULL;
	char at[11], name[80];
	size_t all_lines, shown = 0;
	int given, rc, csv;

	if ((rc = hl_req_require(r, HL_ROLES_READ_CUSTODY)) != 0)
		return rc;
	if ((rc = check_code("unit", unit)) < 0 || (from && (rc = check_code("from", from)) < 0))
		return rc;
	if ((rc = hl_req_date(at, &given, r, "at")) != 0)
		return rc;
	if (format && strcmp(format, "json") && strcmp(format, "csv") && strcmp(format, "html"))
		return hl_error_set(HL_EINVALID, "format: json, csv or html");
	/* a unit's staff get their own unit's receipt, the province's staff every unit's */
	if (!r->who.province && strcmp(unit, r->who.unit_code))
		return hl_error_set(HL_EDENIED,
		                    "only the province's staff see another unit's receipt");
	if ((rc = hl_custody_receipt(&rc_, hl_req_store(r), unit, from && *from ? from : NULL,
	                             given ? at : NULL)) < 0)
		return rc;
	all_lines = rc_->n;
	if ((rc = receipt_filter(&shown, rc_, r)) < 0) {
		hl_receipt_free(rc_);
		return rc;
	}
	rc_->n = shown;
	if (!format || !strcmp(format, "json")) {
		json_t *j = receipt_json(rc_);
		rc_->n = all_lines;
		hl_receipt_free(rc_);
		return hl_resp_json(r, 200, j);
	}
	csv = !strcmp(format, "csv");
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		if (!m) {
			rc_->n = all_lines;
			hl_receipt_free(rc_);
			return hl_error_set(HL_ENOMEM, "out of memory");
		}
		(csv ? hl_receipt_write_csv : hl_receipt_write_html)(m, rc_);
		fclose(m);
		snprintf(name, sizeof(name), "attachment; filename=\"bien-ban-%.16s-%s.%s\"",
		         rc_->to_code, rc_->date, csv ? "csv" : "html");
		rc_->n = all_lines;
		/* only [A-Za-z0-9.-] in the file name: no quote or byte a header must not carry */
		for (char *p = name + 22; *p && *p != '"'; p++)
			if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
				*p = '_';
		hl_receipt_free(rc_);
		if (csv && (rc = hl_resp_header(r, "Content-Disposition", name)) < 0) {
			free(buf);
			return rc;
		}
		return hl_resp_bytes(r, 200,
		                     csv ? "text/csv; charset=utf-8" : "text/html; charset=utf-8",
		                     buf, len, 1);
	}
}

const hl_route hl_routes_fonds[] = {
    {HL_GET, "/api/v1/fonds", fonds_list, 0, 0},
    {HL_GET, "/api/v1/fonds/{code}", fonds_get, 0, 0},
    {HL_PUT, "/api/v1/fonds/{code}", fonds_put, 0, 0},
    {HL_GET, "/api/v1/fonds/{code}/dossiers/{dossier}", dossier_get, 0, 0},
    {HL_GET, "/api/v1/custody/of/{unit}", custody_of, 0, 0},
    {HL_GET, "/api/v1/custody/pending", custody_pending, 0, 0},
    {HL_POST, "/api/v1/custody/assign", custody_assign, 0, 0},
    {HL_GET, "/api/v1/custody/receipt/{unit}", custody_receipt, 0, 0},
    {0},
};
