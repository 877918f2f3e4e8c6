/* GET /api/v1/datasets/{id}/rows (docs/api.md "Datasets: rows"): the rows of a dataset a filter
 * keeps, sorted, chosen, grouped, as JSON pages (default 100, at most 1,000) or as CSV of every
 * row. The handler parses the parameters and calls one verb of catalog/ as the caller: the filter
 * is hl_query_where_parse's text, never SQL, and a dataset the caller may not read answers 404
 * as a missing one.
 *
 * CSV: the rows are spooled to an unlinked temporary file in the data directory, then sent from
 * it by libmicrohttpd (resp_fd, sendfile). Memory stays bounded whatever the row count (the
 * query steps row by row into a stdio buffer; the file is on disk, at most the size of the
 * dataset's version), and the answer's status is known before its first byte: a query stopped
 * by the time limit is a 504 with a JSON error, never a CSV cut short. The time limit counts
 * SQLite's work before the first row and between two rows (hl_dataset_query_opts.stream). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "halong/catalog.h"
#include "halong/catalog_json.h"
#include "halong/util.h"
#include "server_int.h"

/* The time limit of a query over HTTP, ms. */
#define ROWS_TIMEOUT_MS 1000

/* A parameter, NULL when absent or empty. */
static const char *param(request *r, const char *name)
{
	const char *v = req_query(r, name);
	return v && *v ? v : NULL;
}

/* A 0/1 flag parameter (also true/false). */
static int flag(int *out, request *r, const char *name)
{
	const char *v = req_query(r, name);
	*out = 0;
	if (!v || !*v || !strcmp(v, "0") || !strcmp(v, "false"))
		return 0;
	if (!strcmp(v, "1") || !strcmp(v, "true")) {
		*out = 1;
		return 0;
	}
	return hl_error_set(HL_EINVALID, "%s: 1 or 0 (got \"%.20s\")", name, v);
}

/* The 504 of a query past its time limit. */
static int timed_out(request *r)
{
	return resp_json(r, 504,
	                 json_pack("{s:{s:i,s:s,s:s}}", "error", "status", 504, "code",
	                           "query_timeout", "message", hl_error_last()));
}

/* An unlinked temporary file in the data directory (O_TMPFILE, else mkstemp and unlink). */
static int spool_open(void)
{
	const hl_server_opts *o = server_options();
	const char *dir = o && o->home ? o->home : "/tmp";
	char path[4096];
	int fd;
#ifdef O_TMPFILE
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) >= 0)
		return fd;
#endif
	snprintf(path, sizeof(path), "%s/.rows-spool.XXXXXX", dir);
	if ((fd = mkostemp(path, O_CLOEXEC)) < 0)
		return hl_error_set(HL_EIO, "cannot make a temporary file: %s", strerror(errno));
	unlink(path);
	return fd;
}

static int ds_rows(request *r)
{
	const char *id = req_param(r, "id"), *where = param(r, "where"),
	           *format = param(r, "format");
	hl_query_where *w = NULL;
	hl_dataset_query_opts qo = {.timeout_ms = ROWS_TIMEOUT_MS};
	uint64_t limit, offset, version;
	int count, total, expired = 0, rc;

	if (format && strcmp(format, "json") && strcmp(format, "csv"))
		return hl_error_set(HL_EINVALID, "format: json or csv (got \"%.20s\")", format);
	if ((rc = req_uint(&limit, r, "limit", 0, 1, 1000000000)) != 0 ||
	    (rc = req_uint(&offset, r, "offset", 0, 0, (uint64_t)1 << 53)) != 0 ||
	    (rc = req_uint(&version, r, "version", 0, 1, 1000000000)) != 0 ||
	    (rc = flag(&count, r, "count")) != 0 || (rc = flag(&total, r, "total")) != 0)
		return rc;
	if (where && (rc = hl_query_where_parse(&w, where)) < 0)
		return rc;
	qo.where = w;
	qo.group_by = param(r, "group_by");
	qo.count = count;
	qo.sum = param(r, "sum");
	qo.avg = param(r, "avg");
	qo.min = param(r, "min");
	qo.max = param(r, "max");
	qo.sort = param(r, "sort");
	qo.columns = param(r, "columns");
	qo.version = (int)version;
	qo.limit = limit;
	qo.offset = offset;
	qo.expired = &expired;

	if (format && !strcmp(format, "csv")) {
		FILE *f = NULL;
		int fd = spool_open();
		char name[160], etag[40];
		if (fd < 0) {
			hl_query_where_free(w);
			return fd;
		}
		if (!(f = fdopen(fd, "w+"))) {
			close(fd);
			hl_query_where_free(w);
			return hl_error_set(HL_EIO, "cannot write a temporary file");
		}
		rc = hl_dataset_query_csv(NULL, req_store(r), &r->who, id, &qo, f);
		hl_query_where_free(w);
		if (rc < 0) {
			fclose(f);
			return expired ? timed_out(r) : rc;
		}
		/* the id is 1-64 of A-Z a-z 0-9 - _ . (checked by the library) */
		snprintf(name, sizeof(name), "%s.csv", id);
		fd = dup(fileno(f));
		fclose(f);
		if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0) {
			if (fd >= 0)
				close(fd);
			return hl_error_set(HL_EIO, "cannot read a temporary file back");
		}
		/* an ETag of this answer alone (the request's id): one from the spool's size and
		 * time could make another query's CSV of the same size a 304 */
		snprintf(etag, sizeof(etag), "rows-%s", r->id);
		return resp_fd(r, fd, "text/csv; charset=utf-8", etag, name);
	}

	json_t *out = NULL;
	char *text;
	qo.max_limit = HL_QUERY_API_MAX_LIMIT;
	rc = hl_dataset_query_json(&out, req_store(r), &r->who, id, &qo, total);
	hl_query_where_free(w);
	if (rc < 0)
		return expired ? timed_out(r) : rc;
	/* numbers in 15 significant digits, as stored and as the CSV and the export write them
	 * (jansson's default, 17, shows 80183.48 as 80183.479999999996) */
	text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	json_decref(out);
	if (!text)
		return hl_error_set(HL_ENOMEM, "out of memory");
	return resp_bytes(r, 200, "application/json; charset=utf-8", text, strlen(text), 1);
}

const route routes_dataset_rows[] = {
    {M_GET, "/api/v1/datasets/{id}/rows", ds_rows, 0, 0},
    {0},
};
