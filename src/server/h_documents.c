/* A document and what hangs from it: files, page images, ALTO and the searchable PDF. Who may
 * see what, and the audit of each read of a restricted record, are the library's
 * (hl_archive_doc_read and its kin): a handler asks and answers. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "halong/archive_json.h"
#include "halong/ocr.h"
#include "halong/util.h"
#include "server_int.h"

/* What the document's answer gathers while the library reads it. */
typedef struct {
	json_t *pages, *versions;
	const char *doc_id;
} doc_ctx;

static int add_page(const hl_page_row *p, void *ud)
{
	doc_ctx *c = ud;
	json_t *o = json_object(), *w = json_array();
	char url[256];
	int done = p->state && !strcmp(p->state, "done");
	json_object_set_new(o, "seq", json_integer(p->seq));
	js_set_str(o, "file", p->file_name);
	json_object_set_new(o, "page_no", json_integer(p->page_no));
	js_set_str(o, "state", p->state);
	json_object_set_new(o, "mean_conf",
	                    p->mean_conf >= 0 ? json_real(p->mean_conf) : json_null());
	json_object_set_new(o, "low_confidence", json_boolean(p->low_confidence));
	json_object_set_new(o, "from_text_layer", json_boolean(p->from_text_layer));
	json_object_set_new(o, "dpi", p->dpi > 0 ? json_integer(p->dpi) : json_null());
	if (p->warn_flags & HL_OCR_WARN_LOW_DPI)
		json_array_append_new(w, json_string("low_dpi"));
	if (p->warn_flags & HL_OCR_WARN_NO_DPI)
		json_array_append_new(w, json_string("no_dpi"));
	if (p->warn_flags & HL_OCR_WARN_NO_TEXT)
		json_array_append_new(w, json_string("no_text"));
	json_object_set_new(o, "warnings", w);
	js_set_str(o, "text", p->text);
	hl_page_text_json(o, p); /* which text it is: machine or corrected, approved */
	snprintf(url, sizeof(url), "/api/v1/documents/%s/pages/%d/image", p->doc_id, p->seq);
	js_set_str(o, "image_url", url);
	snprintf(url, sizeof(url), "/api/v1/documents/%s/pages/%d/alto", p->doc_id, p->seq);
	js_set_str(o, "alto_url", done ? url : NULL);
	json_array_append_new(c->pages, o);
	return 0;
}

/* An earlier version: its metadata (without the text) when the library says the caller could
 * see the record as it was then (data not NULL), else its number and date only. */
static int add_version(int version, const char *replaced_at, const char *data, void *ud)
{
	doc_ctx *c = ud;
	json_t *v = json_pack("{s:i}", "version", version);
	json_t *old = data ? json_loads(data, 0, NULL) : NULL;
	js_set_str(v, "replaced_at", replaced_at);
	if (old) {
		const char *k;
		json_t *val;
		json_object_foreach(old, k, val)
		{
			if (strcmp(k, "text") != 0 && !json_object_get(v, k))
				json_object_set(v, k, val);
		}
		json_decref(old);
	}
	json_array_append_new(c->versions, v);
	return 0;
}

/* The answers the library calls the same for every caller (hl_doc.same_for_all: public, no
 * earlier versions, not audited): each worker thread keeps the last ones it built, valid while
 * the store's change stamp is the one they were built at (another connection's commit or this one's
 * change moves it). The gzip'd form is made at the first request that takes gzip and kept with the
 * answer (it goes whenever the answer goes). */
#define DOC_CACHE 256

typedef struct {
	char id[64];
	hl_archive_stamp at;
	char *body;
	size_t len;
	char *gz; /* body gzip'd, or NULL until asked for */
	size_t gzlen;
} doc_cached;

static _Thread_local doc_cached doc_cache[DOC_CACHE];

void docs_cache_clear(void)
{
	for (size_t i = 0; i < DOC_CACHE; i++) {
		free(doc_cache[i].body);
		free(doc_cache[i].gz);
		doc_cache[i].body = doc_cache[i].gz = NULL;
	}
}

static doc_cached *doc_slot(const char *id)
{
	return &doc_cache[hl_str_hash(id) % DOC_CACHE];
}

static int doc_get(request *r)
{
	const char *id = req_param(r, "id");
	hl_doc *d = NULL;
	doc_ctx c = {json_array(), json_array(), id};
	hl_doc_read_opts ro = {add_page, add_version, &c};
	hl_archive_stamp now;
	json_t *o = NULL, *files;
	char *text;
	int rc, cacheable, stamped = 0;

	if (id && strlen(id) < sizeof(doc_cache[0].id) &&
	    hl_archive_change_stamp(&now, r->archive) == 0) {
		doc_cached *e = doc_slot(id);
		stamped = 1;
		if (e->body && !strcmp(e->id, id) && e->at.data_version == now.data_version &&
		    e->at.own_changes == now.own_changes) {
			json_decref(c.pages), json_decref(c.versions);
			if (e->len > SRV_GZIP_MIN && req_accepts_gzip(r) &&
			    (e->gz || gzip_buf(&e->gz, &e->gzlen, e->body, e->len) == 0))
				return resp_gzipped(r, 200, "application/json; charset=utf-8",
				                    e->gz, e->gzlen);
			return resp_bytes(r, 200, "application/json; charset=utf-8", e->body,
			                  e->len, 0);
		}
	}
	hl_error_clear();
	if (!c.pages || !c.versions) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = hl_archive_doc_read(&d, r->archive, &r->who, id, "document", &ro)) < 0)
		goto done;
	text = hl_doc_json(d);
	o = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	if (!o) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	files = json_array();
	for (size_t i = 0; i < d->nfiles; i++) {
		char url[256];
		json_t *f = json_pack("{s:I,s:s,s:I}", "seq", (json_int_t)(i + 1), "sha256",
		                      d->files[i].sha256, "size", (json_int_t)d->files[i].size);
		js_set_str(f, "name", d->files[i].name);
		snprintf(url, sizeof(url), "/api/v1/documents/%s/files/%zu", d->doc_id, i + 1);
		js_set_str(f, "url", url);
		json_array_append_new(files, f);
	}
	json_object_set_new(o, "files", files);
	json_object_set_new(o, "pages", c.pages);
	json_object_set_new(o, "versions", c.versions);
	c.pages = c.versions = NULL; /* o holds them */
	cacheable = d->same_for_all && stamped;
	if (cacheable) {
		doc_cached *e = doc_slot(d->doc_id);
		char *body = json_dumps(o, JSON_COMPACT);
		if (body) {
			free(e->body);
			free(e->gz); /* the old answer's */
			e->gz = NULL;
			snprintf(e->id, sizeof(e->id), "%s", d->doc_id);
			e->at = now;
			e->body = body, e->len = strlen(body);
			rc = resp_bytes(r, 200, "application/json; charset=utf-8", body, e->len, 0);
			goto done;
		}
	}
	rc = resp_json(r, 200, o);
	o = NULL;
done:
	json_decref(o);
	json_decref(c.pages), json_decref(c.versions);
	hl_doc_free(d);
	return rc;
}

/* The 1-based number in path parameter `name` (at most max), or HL_ENOTFOUND. */
static int seq_param(int *out, request *r, const char *name, int64_t max, const char *what)
{
	const char *s = req_param(r, name);
	char *end;
	long v;
	errno = 0;
	v = s ? strtol(s, &end, 10) : 0;
	if (!s || *s < '1' || *s > '9' || *end || errno || v < 1 || v > max)
		return hl_error_set(HL_ENOTFOUND, "no %s %s", what, s ? s : "");
	*out = (int)v;
	return 0;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int doc_file(request *r)
{
	hl_doc *d = NULL;
	char *path = NULL;
	struct stat st;
	int rc, seq, fd;

	if ((rc = seq_param(&seq, r, "seq", 1000000, "file")) < 0)
		return rc;
	if ((rc = hl_archive_doc_file(&path, &d, r->archive, &r->who, req_param(r, "id"), seq)) < 0)
		return rc;
	/* The blob the library names is this node's own: one that cannot be opened is a damaged
	 * data directory (500), not a file the caller asked wrongly for. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0 ||
	    !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		rc = hl_error_set(HL_ERROR, "the stored file of %s is missing (run halong verify)",
		                  d->doc_id);
		goto done;
	}
	rc = resp_fd(r, fd, http_mime(d->files[seq - 1].name), d->files[seq - 1].sha256,
	             base_name(d->files[seq - 1].name));
done:
	free(path);
	hl_doc_free(d);
	return rc;
}

static int page_image(request *r)
{
	hl_page_ref p = {0};
	uint64_t width;
	unsigned char *png = NULL;
	size_t len = 0;
	char what[32], etag[128];
	const char *inm;
	int rc, seq;

	if ((rc = req_uint(&width, r, "width", 1200, 16, 3000)) < 0 ||
	    (rc = seq_param(&seq, r, "seq", 100000, "page")) < 0)
		return rc;
	snprintf(what, sizeof(what), "page %d image", seq);
	if ((rc = hl_archive_page_open(&p, r->archive, &r->who, req_param(r, "id"), seq, what)) < 0)
		return rc;
	/* The image of a page never changes for a given blob, page and width. */
	snprintf(etag, sizeof(etag), "\"%.64s-%d-%u\"", p.sha256, p.page_no, (unsigned)width);
	resp_header(r, "ETag", etag);
	resp_header(r, "Cache-Control", "private, no-cache");
	if ((inm = req_header(r, "If-None-Match")) && strstr(inm, etag)) {
		rc = resp_status(r, 304);
		goto done;
	}
	if ((rc = hl_ocr_page_png(&png, &len, p.path, p.file_name, p.page_no, (uint32_t)width)) <
	    0) {
		if (rc != HL_ENOMEM)
			rc = hl_error_set(HL_ERROR, "page %d of %s cannot be rendered: %s", seq,
			                  p.doc_id, hl_error_last());
		goto done;
	}
	rc = resp_bytes(r, 200, "image/png", png, len, 1);
	png = NULL;
done:
	free(png);
	hl_page_ref_clear(&p);
	return rc;
}

static int page_alto(request *r)
{
	char *xml = NULL;
	int rc, seq;

	if ((rc = seq_param(&seq, r, "seq", 100000, "page")) < 0)
		return rc;
	if ((rc = hl_archive_page_alto(&xml, r->archive, &r->who, req_param(r, "id"), seq)) < 0)
		return rc;
	return resp_bytes(r, 200, "application/xml; charset=utf-8", xml, strlen(xml), 1);
}

static int doc_pdf(request *r)
{
	const char *id = req_param(r, "id");
	char dir[] = "/tmp/halong-pdf-XXXXXX", path[64], name[160];
	int rc, fd = -1;

	if (!mkdtemp(dir))
		return hl_error_set(HL_EIO, "cannot make a temporary directory: %s",
		                    strerror(errno));
	snprintf(path, sizeof(path), "%s/export.pdf", dir);
	if ((rc = hl_archive_export_pdf(r->archive, &r->who, id, path)) < 0)
		goto done;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = hl_error_set(HL_EIO, "cannot read the export: %s", strerror(errno));
		goto done;
	}
	snprintf(name, sizeof(name), "%.140s.pdf", id);
	/* The open descriptor keeps the file's bytes after the unlink below. */
	rc = resp_fd(r, fd, "application/pdf", NULL, name);
	fd = -1;
done:
	unlink(path);
	rmdir(dir);
	if (fd >= 0)
		close(fd);
	return rc;
}

static int doc_cite(request *r)
{
	const char *fmt = req_query(r, "format");
	char *s = NULL;
	int rc;
	if ((rc = hl_archive_doc_cite(&s, r->archive, &r->who, req_param(r, "id"), fmt)) < 0)
		return rc;
	return resp_bytes(r, 200,
	                  !fmt || !strcmp(fmt, "vi") ? "text/plain; charset=utf-8"
	                  : !strcmp(fmt, "bibtex")   ? "application/x-bibtex; charset=utf-8"
	                                             : "application/vnd.citationstyles.csl+json",
	                  s, strlen(s), 1);
}

/* ---- a page's text: its versions, a correction, an approval ---- */

/* A version number in a JSON body: absent or null is -1 (whatever the page is at). */
static int body_version(int *out, json_t *body, const char *key)
{
	json_t *v = json_object_get(body, key);
	*out = -1;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000000)
		return hl_error_set(HL_EINVALID, "\"%s\" must be a version number (0 or more)",
		                    key);
	*out = (int)json_integer_value(v);
	return 0;
}

static int text_version_row(int version, const char *text, const char *by, const char *at, void *ud)
{
	json_t *v = json_pack("{s:i}", "version", version);
	js_set_str(v, "source", version ? "corrected" : "machine");
	js_set_str(v, "by", by);
	js_set_str(v, "at", at);
	js_set_str(v, "text", text);
	json_array_append_new(ud, v);
	return 0;
}

/* GET: every version of the page's text (0 the machine's), and whether the caller may edit */
static int page_text_get(request *r)
{
	hl_page_text_state st;
	json_t *versions = json_array(), *o;
	int rc, seq;

	if ((rc = seq_param(&seq, r, "seq", 100000, "page")) < 0 ||
	    (rc = hl_archive_page_texts(&st, r->archive, &r->who, req_param(r, "id"), seq,
	                                text_version_row, versions)) < 0) {
		json_decref(versions);
		return rc;
	}
	o = hl_page_text_state_json(req_param(r, "id"), &st);
	json_object_del(o, "changed");
	json_object_del(o, "indexed");
	json_object_set_new(o, "may_edit", json_boolean(st.may_edit));
	json_object_set_new(o, "versions", versions);
	return resp_json(r, 200, o);
}

/* PUT {"text", "base_version"?}: the page's corrected text, a new version */
static int page_text_put(request *r)
{
	hl_page_text_state st;
	json_t *body = NULL, *t;
	int rc, seq, base;

	if ((rc = seq_param(&seq, r, "seq", 100000, "page")) < 0 || (rc = req_json(&body, r)) != 0)
		return rc;
	t = json_object_get(body, "text");
	if (!json_is_string(t))
		rc = hl_error_set(HL_EINVALID, "\"text\" is required: the page's text, a string");
	else if ((rc = body_version(&base, body, "base_version")) == 0)
		rc = hl_archive_page_correct(&st, r->archive, &r->who, req_param(r, "id"), seq,
		                             json_string_value(t), json_string_length(t), "text",
		                             base);
	json_decref(body);
	if (rc < 0)
		return rc;
	return resp_json(r, 200, hl_page_text_state_json(req_param(r, "id"), &st));
}

/* POST {"version"?}: the page's text approved as it is */
static int page_approve(request *r)
{
	hl_page_text_state st;
	json_t *body = NULL;
	int rc, seq, version = -1;

	if ((rc = seq_param(&seq, r, "seq", 100000, "page")) < 0)
		return rc;
	/* the body is optional: none approves the text as it is now */
	if (r->body && r->body_len) {
		if ((rc = req_json(&body, r)) != 0)
			return rc;
		rc = body_version(&version, body, "version");
		json_decref(body);
		if (rc < 0)
			return rc;
	}
	if ((rc = hl_archive_page_approve(&st, r->archive, &r->who, req_param(r, "id"), seq,
	                                  version)) < 0)
		return rc;
	return resp_json(r, 200, hl_page_text_state_json(req_param(r, "id"), &st));
}

/* A corrected page's text is at most HL_OCR_MAX_TEXT bytes (the library says so with a 400);
 * written as JSON escapes (\u1ec7, six bytes for three) it may take twice that and more. */
#define PAGE_TEXT_BODY (8u * HL_OCR_MAX_TEXT)

const route routes_documents[] = {
    {M_GET, "/api/v1/documents/{id}", doc_get, 0, 0},
    {M_GET, "/api/v1/documents/{id}/files/{seq}", doc_file, 0, 0},
    {M_GET, "/api/v1/documents/{id}/pages/{seq}/image", page_image, 0, 0},
    {M_GET, "/api/v1/documents/{id}/pages/{seq}/alto", page_alto, 0, 0},
    {M_GET, "/api/v1/documents/{id}/pages/{seq}/text", page_text_get, 0, 0},
    {M_PUT, "/api/v1/documents/{id}/pages/{seq}/text", page_text_put, PAGE_TEXT_BODY, 0},
    {M_POST, "/api/v1/documents/{id}/pages/{seq}/approve", page_approve, 0, 0},
    {M_GET, "/api/v1/documents/{id}/pdf", doc_pdf, 0, 0},
    {M_GET, "/api/v1/documents/{id}/cite", doc_cite, 0, 0},
    {0},
};
