/* The request side of a handler: parameters, the JSON body, and who the caller is and may see. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <microhttpd.h>

#include "halong/units.h"
#include "halong/util.h"
#include "server_int.h"

hl_store *req_store(request *r)
{
	return hl_archive_store(r->archive);
}

const char *req_query(request *r, const char *name)
{
	const char *v = NULL;
	size_t len = 0;
	if (MHD_lookup_connection_value_n(r->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name), &v,
	                                  &len) != MHD_YES)
		return NULL;
	return v ? v : "";
}

const char *req_header(request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

int req_uint(uint64_t *out, request *r, const char *name, uint64_t def, uint64_t lo, uint64_t hi)
{
	const char *v = req_query(r, name);
	unsigned long long x;
	char *end;
	if (!v) {
		*out = def;
		return 0;
	}
	errno = 0;
	x = strtoull(v, &end, 10);
	if (!*v || *v < '0' || *v > '9' || *end || errno || x < lo || x > hi)
		return hl_error_set(HL_EINVALID, "%s: a whole number from %llu to %llu is expected",
		                    name, (unsigned long long)lo, (unsigned long long)hi);
	*out = x;
	return 0;
}

int req_paging(size_t *offset, size_t *limit, request *r, size_t max)
{
	uint64_t o, l;
	int rc;
	if (!max)
		max = SRV_PAGE_MAX;
	if ((rc = req_uint(&o, r, "offset", 0, 0, 1000000)) < 0 ||
	    (rc = req_uint(&l, r, "limit", SRV_PAGE_DEFAULT < max ? SRV_PAGE_DEFAULT : max, 1,
	                   max)) < 0)
		return rc;
	*offset = (size_t)o, *limit = (size_t)l;
	return 0;
}

int req_date(char out[11], int *given, request *r, const char *name)
{
	const char *v = req_query(r, name);
	*given = 0;
	out[0] = 0;
	if (!v || !*v)
		return 0;
	if (hl_units_date_parse(out, v) < 0) {
		out[0] = 0;
		return hl_error_set(HL_EINVALID, "%s: a date yyyy-mm-dd or dd/mm/yyyy is expected",
		                    name);
	}
	*given = 1;
	return 0;
}

int req_json(json_t **out, request *r)
{
	const char *ct = req_header(r, "Content-Type");
	json_error_t err;
	json_t *j;
	if (!ct || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
		resp_error(r, 415, "the body must be application/json");
		return ANSWERED;
	}
	if (!r->body || !r->body_len)
		return hl_error_set(HL_EINVALID, "a JSON object is expected in the body");
	j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &err);
	if (!j)
		return hl_error_set(HL_EINVALID, "malformed JSON at line %d, column %d: %s",
		                    err.line, err.column, err.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return hl_error_set(HL_EINVALID, "a JSON object is expected in the body");
	}
	*out = j;
	return 0;
}

int js_get_str(const char **out, json_t *obj, const char *key, int required)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return hl_error_set(HL_EINVALID, "\"%s\" is required", key);
		return 0;
	}
	if (!json_is_string(v))
		return hl_error_set(HL_EINVALID, "\"%s\" must be a string", key);
	*out = json_string_value(v);
	return 0;
}

int req_body_save(char **dir, char **path, request *r, const char *what, const char *name)
{
	const char *tmp = getenv("TMPDIR");
	return req_body_save_in(dir, path, r, tmp && *tmp ? tmp : "/tmp", what, name);
}

int req_body_save_in(char **dir, char **path, request *r, const char *base, const char *what,
                     const char *name)
{
	char tmpl[4096];
	int fd, rc = 0;
	*dir = *path = NULL;
	snprintf(tmpl, sizeof(tmpl), "%s/halong-%s.XXXXXX", base, what);
	if (!mkdtemp(tmpl))
		return hl_error_set(HL_EIO, "cannot make a temporary folder: %s", strerror(errno));
	if (!(*dir = hl_strdup(tmpl)) || !(*path = hl_path_join(tmpl, name))) {
		rmdir(tmpl);
		free(*dir);
		*dir = NULL;
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	if ((fd = open(*path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		rc = hl_error_set(HL_EIO, "cannot write the upload: %s", strerror(errno));
	for (size_t off = 0; fd >= 0 && off < r->body_len;) {
		ssize_t w = write(fd, r->body + off, r->body_len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = hl_error_set(HL_EIO, "cannot write the upload: %s", strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	if (fd >= 0 && close(fd) < 0 && rc == 0)
		rc = hl_error_set(HL_EIO, "cannot write the upload: %s", strerror(errno));
	if (rc < 0) {
		req_body_unsave(*dir, *path);
		*dir = *path = NULL;
	}
	return rc;
}

void req_body_unsave(char *dir, char *path)
{
	if (path)
		unlink(path);
	if (dir)
		rmdir(dir);
	free(path);
	free(dir);
}

int req_scope(char *const **codes, size_t *n, int *all, request *r)
{
	if (!r->scope.loaded) {
		char **c = NULL;
		size_t k = 0;
		int a = 0;
		if (r->who.role != HL_ROLE_ANONYMOUS &&
		    hl_auth_scope(&c, &k, &a, req_store(r), &r->who) < 0)
			return -1;
		r->scope.codes = c, r->scope.n = k, r->scope.all = a;
		r->scope.loaded = 1;
	}
	*codes = r->scope.codes, *n = r->scope.n, *all = r->scope.all;
	return 0;
}
