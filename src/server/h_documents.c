/* A document and what hangs from it: files, page images, ALTO and the searchable PDF, each only
 * for a caller who may see the document, and each read of a restricted one audited. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "halong/ocr.h"
#include "server_int.h"

#define LOW_CONF 70.0 /* below this mean confidence a page is marked for a human look */

typedef struct {
	hl_req *r;
	json_t *arr;
	const char *doc_id;
} page_ctx;

static int add_page(const hl_page_row *p, void *ud)
{
	page_ctx *c = ud;
	json_t *o = json_object(), *w = json_array();
	char url[256];
	int done = p->state && !strcmp(p->state, "done");
	json_object_set_new(o, "seq", json_integer(p->seq));
	hl_json_set_str(o, "file", p->file_name);
	json_object_set_new(o, "page_no", json_integer(p->page_no));
	hl_json_set_str(o, "state", p->state);
	json_object_set_new(o, "mean_conf",
	                    p->mean_conf >= 0 ? json_real(p->mean_conf) : json_null());
	json_object_set_new(o, "low_confidence",
	                    json_boolean(done && !p->from_text_layer && p->mean_conf >= 0 &&
	                                 p->mean_conf < LOW_CONF));
	json_object_set_new(o, "from_text_layer", json_boolean(p->from_text_layer));
	json_object_set_new(o, "dpi", p->dpi > 0 ? json_integer(p->dpi) : json_null());
	if (p->warn_flags & HL_OCR_WARN_LOW_DPI)
		json_array_append_new(w, json_string("low_dpi"));
	if (p->warn_flags & HL_OCR_WARN_NO_DPI)
		json_array_append_new(w, json_string("no_dpi"));
	if (p->warn_flags & HL_OCR_WARN_NO_TEXT)
		json_array_append_new(w, json_string("no_text"));
	json_object_set_new(o, "warnings", w);
	hl_json_set_str(o, "text", p->text);
	snprintf(url, sizeof(url), "/api/v1/documents/%s/pages/%d/image", c->doc_id, p->seq);
	hl_json_set_str(o, "image_url", url);
	snprintf(url, sizeof(url), "/api/v1/documents/%s/pages/%d/alto", c->doc_id, p->seq);
	hl_json_set_str(o, "alto_url", done ? url : NULL);
	json_array_append_new(c->arr, o);
	return 0;
}

typedef struct {
	hl_req *r;
	json_t *arr;
} ver_ctx;

/* An earlier version shows its metadata only if the caller could see it as it was then (a
 * record once restricted and later made public does not show its restricted past). */
static int add_version(int version, const char *replaced_at, const char *data, void *ud)
{
	ver_ctx *c = ud;
	json_t *v = json_pack("{s:i}", "version", version), *old = json_loads(data, 0, NULL);
	hl_json_set_str(v, "replaced_at", replaced_at);
	if (old) {
		hl_access a = HL_ACCESS_SECRET;
		json_t *acc = json_object_get(old, "access_level"); /* as hl_doc_json writes it */
		json_t *fonds = json_object_get(old, "fonds_code");
		if (json_is_string(acc) && hl_access_parse(&a, json_string_value(acc)) < 0)
			a = HL_ACCESS_SECRET;
		hl_error_clear();
		if (hl_req_may_see(c->r, a,
		                   json_is_string(fonds) ? json_string_value(fonds) : NULL)) {
			const char *k;
			json_t *val;
			json_object_foreach(old, k, val)
			{
				if (strcmp(k, "text") != 0 && !json_object_get(v, k))
					json_object_set(v, k, val);
			}
		}
		json_decref(old);
	}
	json_array_append_new(c->arr, v);
	return 0;
}

/* The answers for public documents without earlier versions are the same for every caller:
 * each worker thread keeps the last ones it built, valid while the store's change stamp is
 * the one they were built at (another connection's commit or this one's change moves it).
 * The gzip'd form is made at the first request that takes gzip and kept with the answer (it
 * goes whenever the answer goes). */
#define DOC_CACHE 256

typedef struct {
	char id[64];
	int64_t data_version, own_changes;
	char *body;
	size_t len;
	char *gz; /* body gzip'd, or NULL until asked for */
	size_t gzlen;
} doc_cached;

static _Thread_local doc_cached doc_cache[DOC_CACHE];

void hl_docs_cache_clear(void)
{
	for (size_t i = 0; i < DOC_CACHE; i++) {
		free(doc_cache[i].body);
		free(doc_cache[i].gz);
		doc_cache[i].body = doc_cache[i].gz = NULL;
	}
}

static doc_cached *doc_slot(const char *id)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		h = (h ^ *p) * 16777619u;
	return &doc_cache[h % DOC_CACHE];
}

static int doc_get(hl_req *r)
{
	const char *id = hl_req_param(r, "id");
	hl_doc *d = NULL;
	json_t *o = NULL, *files;
	char *text;
	int64_t dv = -1, own = -1;
	int rc, cacheable;

	if (id && strlen(id) < sizeof(doc_cache[0].id) &&
	    hl_store_change_stamp(&dv, &own, hl_req_store(r)) == 0) {
		doc_cached *c = doc_slot(id);
		if (c->body && !strcmp(c->id, id) && c->data_version == dv &&
		    c->own_changes == own) {
			if (c->len > HL_SRV_GZIP_MIN && hl_req_accepts_gzip(r) &&
			    (c->gz || hl_gzip(&c->gz, &c->gzlen, c->body, c->len) == 0))
				return hl_resp_gzipped(r, 200, "application/json; charset=utf-8",
				                       c->gz, c->gzlen);
			return hl_resp_bytes(r, 200, "application/json; charset=utf-8", c->body,
			                     c->len, 0);
		}
	}
	if ((rc = hl_req_doc(&d, r, id)) < 0)
		return rc;
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
		hl_json_set_str(f, "name", d->files[i].name);
		snprintf(url, sizeof(url), "/api/v1/documents/%s/files/%zu", d->doc_id, i + 1);
		hl_json_set_str(f, "url", url);
		json_array_append_new(files, f);
	}
	json_object_set_new(o, "files", files);
	{
		page_ctx pc = {r, json_array(), d->doc_id};
		if ((rc = hl_store_pages_of(hl_req_store(r), d->doc_id, add_page, &pc)) < 0) {
			json_decref(pc.arr);
			goto done;
		}
		json_object_set_new(o, "pages", pc.arr);
	}
	{
		ver_ctx vc = {r, json_array()};
		if ((rc = hl_store_doc_versions(hl_req_store(r), d->doc_id, add_version, &vc)) <
		    0) {
			json_decref(vc.arr);
			goto done;
		}
		json_object_set_new(o, "versions", vc.arr);
	}
	if ((rc = hl_req_audit_read(r, d, "document")) < 0)
		goto done;
	cacheable = d->access == HL_ACCESS_PUBLIC && dv >= 0 &&
	            json_array_size(json_object_get(o, "versions")) == 0;
	if (cacheable) {
		doc_cached *c = doc_slot(d->doc_id);
		char *body = json_dumps(o, JSON_COMPACT);
		if (body) {
			free(c->body);
			free(c->gz); /* the old answer's */
			c->gz = NULL;
			snprintf(c->id, sizeof(c->id), "%s", d->doc_id);
			c->data_version = dv, c->own_changes = own;
			c->body = body, c->len = strlen(body);
			rc = hl_resp_bytes(r, 200, "application/json; charset=utf-8", body, c->len,
			                   0);
			goto done;
		}
	}
	rc = hl_resp_json(r, 200, o);
	o = NULL;
done:
	json_decref(o);
	hl_doc_free(d);
	return rc;
}

/* The 1-based number in path parameter `name`, in [1, max]. */
static int seq_param(int *out, hl_req *r, const char *name, int64_t max, const char *what)
{
	const char *s = hl_req_param(r, name);
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

static int doc_file(hl_req *r)
{
	hl_doc *d = NULL;
	char *path = NULL, what[32];
	int rc, seq;

	if ((rc = hl_req_doc(&d, r, hl_req_param(r, "id"))) < 0)
		return rc;
	if ((rc = seq_param(&seq, r, "seq", (int64_t)d->nfiles, "file")) < 0)
		goto done;
	if (!(path = hl_blob_path(r->archive, d->files[seq - 1].sha256))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	snprintf(what, sizeof(what), "file %d", seq);
	if ((rc = hl_req_audit_read(r, d, what)) < 0)
		goto done;
	if ((rc = hl_resp_file(r, path, hl_http_mime(d->files[seq - 1].name),
	                       d->files[seq - 1].sha256, base_name(d->files[seq - 1].name))) < 0)
		rc = hl_error_set(HL_ERROR, "the stored file of %s is missing (run halong verify)",
		                  d->doc_id);
done:
	free(path);
	hl_doc_free(d);
	return rc;
}

/* One page of a document, found by its seq. */
typedef struct {
	int want, found, page_no, file_seq;
	char sha256[65], name[512], state[16];
} find_page;

static int find_cb(const hl_page_row *p, void *ud)
{
	find_page *f = ud;
	if (p->seq != f->want)
		return 0;
	f->found = 1;
	f->page_no = p->page_no;
	f->file_seq = p->file_seq;
	snprintf(f->sha256, sizeof(f->sha256), "%s", p->sha256 ? p->sha256 : "");
	snprintf(f->name, sizeof(f->name), "%s", p->file_name ? p->file_name : "");
	snprintf(f->state, sizeof(f->state), "%s", p->state ? p->state : "");
	return 0;
}

static int page_lookup(find_page *f, hl_doc **d, hl_req *r)
{
	int rc;
	memset(f, 0, sizeof(*f));
	if ((rc = hl_req_doc(d, r, hl_req_param(r, "id"))) < 0)
		return rc;
	if ((rc = seq_param(&f->want, r, "seq", 100000, "page")) < 0)
		return rc;
	if ((rc = hl_store_pages_of(hl_req_store(r), (*d)->doc_id, find_cb, f)) < 0)
		return rc;
	if (!f->found)
		return hl_error_set(HL_ENOTFOUND, "no page %d in %s", f->want, (*d)->doc_id);
	return 0;
}

static int page_image(hl_req *r)
{
	find_page f;
	hl_doc *d = NULL;
	uint64_t width;
	unsigned char *png = NULL;
	size_t len = 0;
	char *path = NULL, what[32], etag[128];
	int rc;

	if ((rc = hl_req_uint(&width, r, "width", 1200, 16, 3000)) < 0)
		return rc;
	if ((rc = page_lookup(&f, &d, r)) < 0)
		goto done;
	if (!(path = hl_blob_path(r->archive, f.sha256))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	/* The image of a page never changes for a given blob, page and width. */
	snprintf(etag, sizeof(etag), "\"%.64s-%d-%u\"", f.sha256, f.page_no, (unsigned)width);
	hl_resp_header(r, "ETag", etag);
	hl_resp_header(r, "Cache-Control", "private, no-cache");
	snprintf(what, sizeof(what), "page %d image", f.want);
	if ((rc = hl_req_audit_read(r, d, what)) < 0)
		goto done;
	{
		const char *inm = hl_req_header(r, "If-None-Match");
		if (inm && strstr(inm, etag)) {
			rc = hl_resp_status(r, 304);
			goto done;
		}
	}
	if ((rc = hl_ocr_page_png(&png, &len, path, f.name, f.page_no, (uint32_t)width)) < 0) {
		if (rc != HL_ENOMEM)
			rc = hl_error_set(HL_ERROR, "page %d of %s cannot be rendered: %s", f.want,
			                  d->doc_id, hl_error_last());
		goto done;
	}
	rc = hl_resp_bytes(r, 200, "image/png", png, len, 1);
	png = NULL;
done:
	free(png);
	free(path);
	hl_doc_free(d);
	return rc;
}

static int page_alto(hl_req *r)
{
	find_page f;
	hl_doc *d = NULL;
	char *xml = NULL, what[32];
	int rc;

	if ((rc = page_lookup(&f, &d, r)) < 0)
		goto done;
	if (strcmp(f.state, "done") != 0) {
		rc = hl_error_set(HL_ECONFLICT, "page %d of %s is not recognised yet (%s)", f.want,
		                  d->doc_id, f.state);
		goto done;
	}
	if ((rc = hl_archive_page_alto(&xml, r->archive, d->doc_id, f.want)) < 0) {
		if (rc == HL_EINVALID)
			rc = HL_ECONFLICT;
		goto done;
	}
	snprintf(what, sizeof(what), "page %d alto", f.want);
	if ((rc = hl_req_audit_read(r, d, what)) < 0)
		goto done;
	rc = hl_resp_bytes(r, 200, "application/xml; charset=utf-8", xml, strlen(xml), 1);
	xml = NULL;
done:
	free(xml);
	hl_doc_free(d);
	return rc;
}

static int doc_pdf(hl_req *r)
{
	hl_doc *d = NULL;
	char dir[] = "/tmp/halong-pdf-XXXXXX", path[64], name[160];
	int rc, fd = -1, made = 0;

	if ((rc = hl_req_doc(&d, r, hl_req_param(r, "id"))) < 0)
		return rc;
	if (!mkdtemp(dir)) {
		rc = hl_error_set(HL_EIO, "cannot make a temporary directory: %s", strerror(errno));
		goto done;
	}
	made = 1;
	snprintf(path, sizeof(path), "%s/export.pdf", dir);
	if ((rc = hl_archive_export_pdf(r->archive, d->doc_id, path)) < 0) {
		/* a page not done yet: the export cannot be made now */
		if (rc == HL_EINVALID)
			rc = HL_ECONFLICT;
		goto done;
	}
	if ((rc = hl_req_audit_read(r, d, "pdf")) < 0)
		goto done;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = hl_error_set(HL_EIO, "cannot read the export: %s", strerror(errno));
		goto done;
	}
	snprintf(name, sizeof(name), "%s.pdf", d->doc_id);
	/* The open descriptor keeps the file's bytes after the unlink below. */
	rc = hl_resp_fd(r, fd, "application/pdf", NULL, name);
	fd = -1;
done:
	if (made) {
		unlink(path);
		rmdir(dir);
	}
	if (fd >= 0)
		close(fd);
	hl_doc_free(d);
	return rc;
}

const hl_route hl_routes_documents[] = {
    {HL_GET, "/api/v1/documents/{id}", doc_get, 0, 0},
    {HL_GET, "/api/v1/documents/{id}/files/{seq}", doc_file, 0, 0},
    {HL_GET, "/api/v1/documents/{id}/pages/{seq}/image", page_image, 0, 0},
    {HL_GET, "/api/v1/documents/{id}/pages/{seq}/alto", page_alto, 0, 0},
    {HL_GET, "/api/v1/documents/{id}/pdf", doc_pdf, 0, 0},
    {0},
};
