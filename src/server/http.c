/* Responses: JSON bodies and errors in the one shape of docs/api.md, raw bytes, files with ETag
 * and Range, static files of the web interface, and small JSON and UTF-8 helpers. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "request.h"
#include "server_int.h"

/* One UTF-8 check for the request's checks (request.c) and the handlers. */
int utf8_valid(const char *str, size_t n)
{
	return request_utf8_valid(str, n);
}

const char *http_code_name(int status)
{
	switch (status) {
	case 400:
		return "bad_request";
	case 401:
		return "unauthorized";
	case 403:
		return "forbidden";
	case 404:
		return "not_found";
	case 405:
		return "method_not_allowed";
	case 409:
		return "conflict";
	case 413:
		return "payload_too_large";
	case 414:
		return "uri_too_long";
	case 415:
		return "unsupported_media_type";
	case 416:
		return "range_not_satisfiable";
	case 429:
		return "too_many_requests";
	case 431: /* docs/api.md: request headers over the limit */
		return "payload_too_large";
	case 503:
		return "unavailable";
	case 507:
		return "insufficient_storage";
	default:
		return "internal";
	}
}

int http_status_of(request *r, int code)
{
	switch (code) {
	case HL_ENOTFOUND:
		return 404;
	case HL_EINVALID:
		return 400;
	case HL_EDENIED:
		return r->who.role == HL_ROLE_ANONYMOUS ? 401 : 403;
	case HL_ECONFLICT:
		return 409;
	case HL_ELIMIT: /* an input over one of the library's limits (the rate limits answer
	                 * 429 where they are: logins, jobs) */
		return 400;
	default:
		return 500;
	}
}

static void resp_reset(response *p)
{
	free(p->body);
	p->body = NULL;
	p->len = 0;
	p->gzipped = 0;
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

int resp_bytes(request *r, int status, const char *ctype, void *data, size_t len, int take)
{
	resp_reset(&r->resp);
	if (take) {
		r->resp.body = data;
	} else if (len) {
		if (!(r->resp.body = malloc(len)))
			return resp_error(r, 500, "out of memory");
		memcpy(r->resp.body, data, len);
	}
	r->resp.len = len;
	r->resp.status = status;
	r->resp.ctype = ctype;
	r->resp.compressible = !strncmp(ctype, "text/", 5) || strstr(ctype, "json") ||
	                       strstr(ctype, "xml") || strstr(ctype, "javascript");
	return 0;
}

int resp_gzipped(request *r, int status, const char *ctype, const void *gz, size_t len)
{
	int rc = resp_bytes(r, status, ctype, (void *)gz, len, 0);
	if (rc == 0 && r->resp.status == status)
		r->resp.gzipped = 1;
	return rc;
}

json_t *js_time(int64_t ms)
{
	char b[48];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!ms)
		return json_null();
	gmtime_r(&t, &tm);
	snprintf(b, sizeof(b), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return json_string(b);
}

int resp_json(request *r, int status, json_t *body)
{
	char *s;
	if (!body)
		return resp_error(r, 500, "out of memory");
	s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!s) {
		r->resp.status = 500;
		r->resp.ctype = "text/plain; charset=utf-8";
		return 0;
	}
	return resp_bytes(r, status, "application/json; charset=utf-8", s, strlen(s), 1);
}

int resp_error(request *r, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	json_t *e;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!utf8_valid(msg, strlen(msg)))
		snprintf(msg, sizeof(msg), "%s", http_code_name(status));
	e = json_pack("{s:{s:i,s:s,s:s}}", "error", "status", status, "code",
	              http_code_name(status), "message", msg);
	if (!e) {
		resp_reset(&r->resp);
		r->resp.status = status;
		r->resp.ctype = "text/plain; charset=utf-8";
		return 0;
	}
	return resp_json(r, status, e);
}

int resp_from_rc(request *r, int rc)
{
	int status;
	const char *m = hl_error_last();
	/* A library that returns -1 on a callee's failure keeps the callee's code. */
	if (rc == HL_ERROR && hl_error_code() < HL_ERROR)
		rc = hl_error_code();
	status = http_status_of(r, rc);
	/* A full disk is not a bug of the server: the client is told (507, nothing written: the
	 * library's writes are whole or absent) and may try again; the paths stay in the log. The
	 * library's messages for it are SQLite's "database or disk is full", its "(the disk is
	 * full)", and the system's "No space left on device". */
	if (status == 500 && (strstr(m, "disk is full") || strstr(m, "No space left on device"))) {
		fprintf(stderr, "halong serve: %s: error: %s\n", r->id, m);
		return resp_error(r, 507,
		                  "the node's disk is full: nothing was written; try again once "
		                  "space is freed (request %s)",
		                  r->id);
	}
	if (status == 500) {
		fprintf(stderr, "halong serve: %s: error: %s\n", r->id, *m ? m : "unknown");
		return resp_error(r, 500, "internal error (request %s)", r->id);
	}
	if (!*m)
		m = http_code_name(status);
	return resp_error(r, status, "%s", m);
}

int resp_status(request *r, int status)
{
	resp_reset(&r->resp);
	r->resp.status = status;
	r->resp.ctype = NULL;
	return 0;
}

int resp_header(request *r, const char *name, const char *value)
{
	resp_hdr *h = calloc(1, sizeof(*h));
	if (!h || !(h->name = strdup(name)) || !(h->value = strdup(value))) {
		if (h)
			free(h->name);
		free(h);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	h->next = r->resp.hdrs;
	r->resp.hdrs = h;
	return 0;
}

static const struct {
	const char *ext, *type;
} mimes[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json; charset=utf-8"},
    {"map", "application/json; charset=utf-8"},
    {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"xml", "application/xml; charset=utf-8"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"ico", "image/x-icon"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"pdf", "application/pdf"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"webmanifest", "application/manifest+json"},
};

const char *http_mime(const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *dot = strrchr(slash ? slash : name, '.');
	if (dot)
		for (size_t i = 0; i < sizeof(mimes) / sizeof(mimes[0]); i++)
			if (!strcasecmp(dot + 1, mimes[i].ext))
				return mimes[i].type;
	return "application/octet-stream";
}

/* Does an If-None-Match list hold the entity tag `etag` (quoted)? Weak tags compare weakly. */
static int etag_matches(const char *inm, const char *etag)
{
	size_t n = strlen(etag);
	const char *p = inm;
	while (*p) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (*p == '*')
			return 1;
		if (!strncmp(p, "W/", 2))
			p += 2;
		if (!strncmp(p, etag, n) && (p[n] == 0 || p[n] == ',' || p[n] == ' '))
			return 1;
		while (*p && *p != ',')
			p++;
	}
	return 0;
}

/* One range of "bytes=a-b", "bytes=a-", "bytes=-n" over `size` bytes. 1: a range in off and len;
 * 0: ignore the header (malformed or several ranges: the whole file is sent); -1: 416. */
static int parse_range(uint64_t *off, uint64_t *len, const char *h, uint64_t size)
{
	unsigned long long a = 0, b = 0;
	char *end;
	if (strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
		return 0;
	h += 6;
	while (*h == ' ')
		h++;
	if (*h == '-') {
		if (h[1] < '0' || h[1] > '9')
			return 0;
		errno = 0;
		b = strtoull(h + 1, &end, 10);
		if (errno || *end)
			return 0;
		if (b == 0 || size == 0)
			return -1;
		if (b > size)
			b = size;
		*off = size - b, *len = b;
		return 1;
	}
	if (*h < '0' || *h > '9')
		return 0;
	errno = 0;
	a = strtoull(h, &end, 10);
	if (errno || *end != '-')
		return 0;
	h = end + 1;
	if (*h == 0) {
		b = size ? size - 1 : 0;
	} else {
		if (*h < '0' || *h > '9')
			return 0;
		b = strtoull(h, &end, 10);
		if (errno || *end || b < a)
			return 0;
		if (b >= size)
			b = size - 1;
	}
	if (a >= size)
		return -1;
	*off = a, *len = b - a + 1;
	return 1;
}

/* Sends an open file (taken: closed on every path). */
static int answer_fd(request *r, int fd, const char *ctype, const char *etag_in,
                     const char *download_name)
{
	struct stat st;
	char etag[160], buf[1024];
	const char *h;
	uint64_t off = 0, len;
	int rg = 0;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return hl_error_set(HL_ENOTFOUND, "no such file");
	}
	if (etag_in)
		snprintf(etag, sizeof(etag), "\"%s\"", etag_in);
	else
		snprintf(etag, sizeof(etag), "\"%" PRIx64 "-%" PRIx64 "\"", (uint64_t)st.st_size,
		         (uint64_t)st.st_mtime);
	resp_header(r, "ETag", etag);
	resp_header(r, "Accept-Ranges", "bytes");
	resp_header(r, "Cache-Control", "private, no-cache");
	if (download_name) {
		/* The name as given, reduced to safe ASCII for the plain parameter; the exact name
		 * travels percent-encoded in filename*. */
		char plain[128], enc[400];
		size_t pi = 0, ei = 0;
		for (const unsigned char *s = (const unsigned char *)download_name;
		     *s && pi < sizeof(plain) - 1; s++)
			plain[pi++] = (*s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\' &&
			               *s != ';' && *s != '/')
			                  ? (char)*s
			                  : '_';
		plain[pi] = 0;
		for (const unsigned char *s = (const unsigned char *)download_name;
		     *s && ei < sizeof(enc) - 4; s++) {
			if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			    (*s >= '0' && *s <= '9') || strchr("-._~", *s))
				enc[ei++] = (char)*s;
			else
				ei += (size_t)snprintf(enc + ei, 4, "%%%02X", *s);
		}
		enc[ei] = 0;
		snprintf(buf, sizeof(buf), "attachment; filename=\"%s\"; filename*=UTF-8''%s",
		         plain, enc);
		resp_header(r, "Content-Disposition", buf);
	}
	if ((h = req_header(r, "If-None-Match")) && etag_matches(h, etag)) {
		close(fd);
		return resp_status(r, 304);
	}
	len = (uint64_t)st.st_size;
	if ((h = req_header(r, "Range")) &&
	    (!(req_header(r, "If-Range")) || !strcmp(req_header(r, "If-Range"), etag)))
		rg = parse_range(&off, &len, h, (uint64_t)st.st_size);
	if (rg < 0) {
		close(fd);
		snprintf(buf, sizeof(buf), "bytes */%" PRIu64, (uint64_t)st.st_size);
		resp_header(r, "Content-Range", buf);
		return resp_error(r, 416, "range not satisfiable: the file has %" PRIu64 " bytes",
		                  (uint64_t)st.st_size);
	}
	resp_reset(&r->resp);
	r->resp.fd = fd;
	r->resp.off = off;
	r->resp.flen = len;
	r->resp.ctype = ctype ? ctype : "application/octet-stream";
	r->resp.status = rg ? 206 : 200;
	if (rg) {
		snprintf(buf, sizeof(buf), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, off,
		         off + len - 1, (uint64_t)st.st_size);
		resp_header(r, "Content-Range", buf);
	}
	return 0;
}

int resp_file(request *r, const char *path, const char *ctype, const char *etag,
              const char *download_name)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return hl_error_set(HL_ENOTFOUND, "no such file");
	return answer_fd(r, fd, ctype ? ctype : http_mime(download_name ? download_name : path),
	                 etag, download_name);
}

int resp_fd(request *r, int fd, const char *ctype, const char *etag, const char *download_name)
{
	return answer_fd(r, fd, ctype, etag, download_name);
}

json_t *js_str(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;
	return j ? j : json_null();
}

int js_set_str(json_t *obj, const char *key, const char *s)
{
	return json_object_set_new(obj, key, js_str(s));
}

int http_static(request *r, const char *web_dir)
{
	char path[PATH_MAX], real[PATH_MAX], root[PATH_MAX];
	size_t n;
	struct stat st;

	if (!web_dir || !realpath(web_dir, root))
		return resp_error(r, 404, "not found");
	n = (size_t)snprintf(path, sizeof(path), "%s", root);
	for (size_t i = 0; i < r->nseg; i++) {
		/* No "..", no hidden files: the path cannot leave the directory by its segments,
		 * and realpath below catches a symbolic link that points outside. */
		if (r->seg[i][0] == '.' || strchr(r->seg[i], '\\'))
			return resp_error(r, 404, "not found");
		n += (size_t)snprintf(path + n, n < sizeof(path) ? sizeof(path) - n : 0, "/%s",
		                      r->seg[i]);
		if (n >= sizeof(path))
			return resp_error(r, 404, "not found");
	}
	/* An address of no file and no extension is a page a person typed or followed: the
	 * interface answers it (its help at /help; else its "page not found", with 404), not a
	 * JSON error. */
	int page = 0;
	if (stat(path, &st) != 0 && r->nseg && !strchr(r->seg[r->nseg - 1], '.')) {
		page = r->nseg == 1 && !strcmp(r->seg[0], "help") ? 200 : 404;
		if (strlen(root) + 12 > sizeof(path))
			return resp_error(r, 404, "not found");
		memcpy(path, root, strlen(root));
		memcpy(path + strlen(root), "/index.html", 12);
	} else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (n + 12 >= sizeof(path))
			return resp_error(r, 404, "not found");
		strcat(path, "/index.html");
	}
	if (!realpath(path, real) || strncmp(real, root, strlen(root)) != 0 ||
	    (real[strlen(root)] != '/' && real[strlen(root)] != 0))
		return resp_error(r, 404, "not found");
	if (resp_file(r, real, http_mime(real), NULL, NULL) < 0)
		return resp_error(r, 404, "not found");
	if (page == 404 && r->resp.status == 200)
		r->resp.status = 404;
	/* The interface loads only its own modules and styles (no inline script): anything
	 * injected into a page could not run or call out. */
	if (!strncmp(http_mime(real), "text/html", 9))
		resp_header(r, "Content-Security-Policy",
		            "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
		            "base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
	/* Text files are small: read them so they can be compressed like any body. */
	if (r->resp.fd >= 0 && r->resp.status == 200 && r->resp.flen <= (4u << 20) &&
	    (!strncmp(r->resp.ctype, "text/", 5) || strstr(r->resp.ctype, "json") ||
	     strstr(r->resp.ctype, "svg"))) {
		char *b = malloc(r->resp.flen + 1);
		ssize_t got = b ? pread(r->resp.fd, b, r->resp.flen, 0) : -1;
		if (got == (ssize_t)r->resp.flen) {
			size_t len = r->resp.flen;
			const char *ct = r->resp.ctype;
			close(r->resp.fd);
			r->resp.fd = -1;
			r->resp.body = b;
			r->resp.len = len;
			r->resp.ctype = ct;
			r->resp.compressible = 1;
			return 0;
		}
		free(b);
	}
	return 0;
}
