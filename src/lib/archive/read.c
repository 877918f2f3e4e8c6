/* Reading records as a principal: who may see a document (docs/api.md), and the audit entry of
 * every read of a restricted or secret record's content, written with the read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "archive_int.h"
#include "halong/ocr.h"
#include "halong/util.h"

/* ---- the reader ---- */

void hl_archive__reader_init(hl_archive__reader *r, hl_archive *a, const hl_principal *who)
{
	memset(r, 0, sizeof(*r));
	r->a = a;
	r->who = who;
}

int hl_archive__reader_scope(hl_archive__reader *r)
{
	int rc;
	if (r->loaded)
		return 0;
	if ((rc = hl_auth_scope(&r->codes, &r->n, &r->all, r->a->store, r->who)) < 0)
		return rc;
	r->loaded = 1;
	return 0;
}

int hl_archive__reader_may_see(hl_archive__reader *r, hl_access level, const char *fonds)
{
	if (r->who && r->who->local)
		return 1;
	if (level == HL_ACCESS_PUBLIC)
		return 1;
	if (level >= HL_ACCESS_SECRET || level > hl_auth_ceiling(r->who))
		return 0;
	if (hl_archive__reader_scope(r) < 0) {
		hl_error_clear();
		return 0;
	}
	return hl_auth_may_see(r->who, level, fonds, r->codes, r->n, r->all) > 0;
}

void hl_archive__reader_clear(hl_archive__reader *r)
{
	hl_auth_fonds_free(r->codes, r->n);
	r->codes = NULL, r->n = 0, r->loaded = 0;
}

int hl_archive__doc_for(hl_doc **out, hl_archive__reader *r, const char *doc_id)
{
	hl_doc *d = NULL;
	int rc;
	if (!doc_id || !*doc_id)
		return hl_error_set(HL_ENOTFOUND, "no document given");
	rc = hl_store_doc_get(&d, r->a->store, doc_id);
	if (rc == HL_ENOTFOUND ||
	    (rc == 0 && !hl_archive__reader_may_see(r, d->access, d->fonds_code))) {
		hl_doc_free(d);
		return hl_error_set(HL_ENOTFOUND, "no document %s", doc_id);
	}
	if (rc < 0)
		return rc;
	*out = d;
	return 0;
}

int hl_archive_may_see(hl_archive *a, const hl_principal *who, const char *doc_id)
{
	hl_archive__reader r;
	hl_doc *d = NULL;
	int ok;
	hl_archive__reader_init(&r, a, who);
	ok = hl_archive__doc_for(&d, &r, doc_id) == 0;
	hl_doc_free(d);
	hl_archive__reader_clear(&r);
	hl_error_clear();
	return ok;
}

/* ---- one read: the decision, the reading and its audit entry together ---- */

int hl_archive__read_begin(hl_archive__read *op, hl_archive *a, const hl_principal *who,
                           const char *doc_id)
{
	int rc;
	memset(op, 0, sizeof(*op));
	hl_archive__reader_init(&op->r, a, who);
	if ((rc = hl_archive__doc_for(&op->d, &op->r, doc_id)) < 0)
		return rc;
	if (op->d->access < HL_ACCESS_RESTRICTED)
		return 0;
	return hl_archive__read_in_tx(op, doc_id);
}

int hl_archive__read_in_tx(hl_archive__read *op, const char *doc_id)
{
	int rc;
	if (op->tx)
		return 0;
	/* decided again inside the transaction: the level may have changed meanwhile */
	hl_doc_free(op->d);
	op->d = NULL;
	if ((rc = hl_store_begin(op->r.a->store)) < 0)
		return rc;
	op->tx = 1;
	return hl_archive__doc_for(&op->d, &op->r, doc_id);
}

int hl_archive__read_end(hl_archive__read *op, int rc, const char *what)
{
	hl_store *st = op->r.a->store;
	if (op->tx) {
		if (rc == 0 && (op->d->access >= HL_ACCESS_RESTRICTED || op->audit))
			rc = hl_store_audit(st, hl_principal_actor(op->r.who), "read",
			                    op->d->doc_id, what);
		rc = rc < 0 ? (hl_store_rollback(st), rc) : hl_store_commit(st);
	}
	hl_archive__reader_clear(&op->r);
	return rc;
}

void hl_archive__read_drop(hl_archive__read *op)
{
	hl_doc_free(op->d);
	op->d = NULL;
}

/* ---- the verbs ---- */

/* The level of an earlier version (its metadata as hl_doc_json wrote it then: unreadable is
 * secret) and whether the reader could have seen the record as it was. */
static hl_access version_level(hl_archive__reader *r, const char *data, int *visible)
{
	json_t *old = data ? json_loads(data, 0, NULL) : NULL;
	hl_access lvl = HL_ACCESS_SECRET;
	*visible = 0;
	if (old) {
		json_t *acc = json_object_get(old, "access_level");
		json_t *fonds = json_object_get(old, "fonds_code");
		if (!json_is_string(acc) || hl_access_parse(&lvl, json_string_value(acc)) < 0)
			lvl = HL_ACCESS_SECRET;
		hl_error_clear();
		*visible = hl_archive__reader_may_see(
		    r, lvl, json_is_string(fonds) ? json_string_value(fonds) : NULL);
		json_decref(old);
	}
	return lvl;
}

/* Stops (1) at the first earlier version the reader would be shown that was restricted or
 * secret: its content is read, so the read is audited. */
static int version_restricted(int version, const char *replaced_at, const char *data, void *ud)
{
	int visible;
	(void)version, (void)replaced_at;
	return version_level(ud, data, &visible) >= HL_ACCESS_RESTRICTED && visible;
}

#define SHOWN_LISTED 8 /* version numbers named in the audit entry's detail */

typedef struct {
	hl_archive__reader *r;
	const hl_doc_read_opts *o;
	int tx;
	/* the restricted or secret versions shown, newest first */
	int shown[SHOWN_LISTED];
	size_t nshown;
	size_t nversions; /* all earlier versions, shown or withheld */
} version_ctx;

/* An earlier version shows its metadata only if the reader could see the record as it was. A
 * restricted or secret one is shown only inside the read's transaction, where it is audited
 * (outside, it became so between the decision and the reading: withheld). */
static int version_cb(int version, const char *replaced_at, const char *data, void *ud)
{
	version_ctx *c = ud;
	int visible;
	hl_access lvl = version_level(c->r, data, &visible);
	c->nversions++;
	if (visible && lvl >= HL_ACCESS_RESTRICTED) {
		if (!c->tx)
			visible = 0;
		else if (c->nshown++ < SHOWN_LISTED)
			c->shown[c->nshown - 1] = version;
	}
	return c->o->on_version(version, replaced_at, visible ? data : NULL, c->o->ud);
}

/* "WHAT (version N)", "WHAT (versions N, M and K more)": the restricted versions shown. */
static void what_versions(char *out, size_t cap, const char *what, const version_ctx *c)
{
	size_t n = (size_t)snprintf(out, cap, "%s (version%s", what, c->nshown > 1 ? "s" : "");
	for (size_t i = 0; i < c->nshown && i < SHOWN_LISTED && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%d", i ? ", " : " ", c->shown[i]);
	if (c->nshown > SHOWN_LISTED && n < cap)
		n += (size_t)snprintf(out + n, cap - n, " and %zu more", c->nshown - SHOWN_LISTED);
	if (n < cap)
		snprintf(out + n, cap - n, ")");
}

/* A page as the reader is given it: with the verdict on its confidence, the same for every
 * client. */
static int page_cb(const hl_page_row *p, void *ud)
{
	const hl_doc_read_opts *o = ud;
	hl_page_row r = *p;
	r.low_confidence = r.state && !strcmp(r.state, "done") && !r.from_text_layer &&
	                   !r.text_version && r.mean_conf >= 0 &&
	                   r.mean_conf < HL_OCR_LOW_CONFIDENCE;
	r.checked = r.check_rule && r.check_rule == hl_ocr_check_rule_id();
	return o->on_page(&r, o->ud);
}

int hl_archive_doc_read(hl_doc **out, hl_archive *a, const hl_principal *who, const char *doc_id,
                        const char *what, const hl_doc_read_opts *o)
{
	hl_archive__read op;
	version_ctx c = {.o = o};
	char detail[256];
	int rc = hl_archive__read_begin(&op, a, who, doc_id);

	what = what && *what ? what : "document";
	/* Decided before reading: an earlier version shown that was restricted or secret is
	 * content of that level, read inside the transaction of its audit entry, as the current
	 * one is. */
	if (rc == 0 && o && o->on_version && !op.tx &&
	    (rc = hl_store_doc_versions(a->store, op.d->doc_id, version_restricted, &op.r)) > 0)
		rc = hl_archive__read_in_tx(&op, doc_id);
	if (rc == 0 && o && o->on_page)
		rc = hl_store_pages_of(a->store, op.d->doc_id, page_cb, (void *)o);
	if (rc == 0 && o && o->on_version) {
		c.r = &op.r, c.tx = op.tx;
		rc = hl_store_doc_versions(a->store, op.d->doc_id, version_cb, &c);
	}
	if (c.nshown) {
		what_versions(detail, sizeof(detail), what, &c);
		what = detail;
		op.audit = 1;
	}
	if ((rc = hl_archive__read_end(&op, rc, what)) < 0) {
		hl_archive__read_drop(&op);
		return rc;
	}
	/* Public, asked with its versions and has none, not audited: any caller reads this. */
	op.d->same_for_all =
	    op.d->access == HL_ACCESS_PUBLIC && o && o->on_version && !c.nversions && !op.audit;
	*out = op.d;
	return 0;
}

int hl_archive_doc_file(char **path, hl_doc **doc, hl_archive *a, const hl_principal *who,
                        const char *doc_id, int seq)
{
	char what[32];
	char *p = NULL;
	hl_archive__read op;
	int rc = hl_archive__read_begin(&op, a, who, doc_id);
	if (rc == 0 && (seq < 1 || (size_t)seq > op.d->nfiles))
		rc = hl_error_set(HL_ENOTFOUND, "no file %d in %s", seq, op.d->doc_id);
	if (rc == 0 && !(p = hl_blob_path(a, op.d->files[seq - 1].sha256)))
		rc = hl_error_set(HL_ENOMEM, "out of memory");
	snprintf(what, sizeof(what), "file %d", seq);
	if ((rc = hl_archive__read_end(&op, rc, what)) < 0) {
		free(p);
		hl_archive__read_drop(&op);
		return rc;
	}
	*path = p;
	*doc = op.d;
	return 0;
}

typedef struct {
	int want, found;
	hl_page_ref *out;
} find_page;

static int find_cb(const hl_page_row *p, void *ud)
{
	find_page *f = ud;
	if (p->seq != f->want)
		return 0;
	f->found = 1;
	f->out->file_seq = p->file_seq;
	f->out->page_no = p->page_no;
	snprintf(f->out->sha256, sizeof(f->out->sha256), "%s", p->sha256 ? p->sha256 : "");
	snprintf(f->out->state, sizeof(f->out->state), "%s", p->state ? p->state : "");
	if (!(f->out->file_name = hl_strdup(p->file_name ? p->file_name : "")))
		return hl_error_set(HL_ENOMEM, "out of memory");
	return 1;
}

void hl_page_ref_clear(hl_page_ref *p)
{
	if (!p)
		return;
	free(p->path), free(p->file_name), free(p->doc_id);
	memset(p, 0, sizeof(*p));
}

int hl_archive_page_open(hl_page_ref *out, hl_archive *a, const hl_principal *who,
                         const char *doc_id, int seq, const char *what)
{
	hl_page_ref ref = {0};
	find_page f = {seq, 0, &ref};
	hl_archive__read op;
	int rc = hl_archive__read_begin(&op, a, who, doc_id);
	if (rc == 0 && seq < 1)
		rc = hl_error_set(HL_ENOTFOUND, "no page %d in %s", seq, op.d->doc_id);
	if (rc == 0 && (rc = hl_store_pages_of(a->store, op.d->doc_id, find_cb, &f)) == 0 &&
	    !f.found)
		rc = hl_error_set(HL_ENOTFOUND, "no page %d in %s", seq, op.d->doc_id);
	if (rc == 0 &&
	    (!(ref.path = hl_blob_path(a, ref.sha256)) || !(ref.doc_id = hl_strdup(op.d->doc_id))))
		rc = hl_error_set(HL_ENOMEM, "out of memory");
	if (rc == 0)
		ref.access = op.d->access;
	rc = hl_archive__read_end(&op, rc, what && *what ? what : "page");
	hl_archive__read_drop(&op);
	if (rc < 0) {
		hl_page_ref_clear(&ref);
		return rc;
	}
	*out = ref;
	return 0;
}

/* ---- counts of what a principal sees ---- */

static int count_fonds(const hl_store_fonds_count *f, void *ud)
{
	hl_archive_seen *c = ud;
	c->fonds++;
	c->dossiers += f->dossiers;
	c->documents += f->documents;
	return 0;
}

int hl_archive_seen_stats(hl_archive_seen *out, hl_archive *a, const hl_principal *who)
{
	hl_archive_seen c = {0};
	hl_archive__reader rd;
	int rc;

	hl_archive__reader_init(&rd, a, who);
	if ((rc = hl_archive__reader_scope(&rd)) == 0)
		rc = hl_store_fonds_counts(a->store, (int)hl_auth_ceiling(who), rd.codes, rd.n,
		                           rd.all, count_fonds, &c);
	hl_archive__reader_clear(&rd);
	if (rc < 0)
		return rc;
	if (hl_auth_check(who, HL_ACT_STATS_ALL) == 0) {
		hl_archive_stats as;
		hl_store_pages_stats ps;
		if ((rc = hl_archive_stats_get(&as, a)) < 0 ||
		    (rc = hl_store_pages_count(&ps, a->store)) < 0)
			return rc;
		c.all = 1;
		c.index_docs = as.index_docs, c.index_pending = as.index_pending;
		c.pages_done = ps.done, c.pages_pending = ps.pending, c.pages_failed = ps.failed;
	}
	hl_error_clear();
	*out = c;
	return 0;
}
