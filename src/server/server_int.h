/* The server's internal API: the request every handler receives, the response helpers, the
 * route table each handler file exports, and who may see what (docs/api.md).
 *
 * Threads. libmicrohttpd runs the server on its own thread pool (one epoll loop per worker
 * thread, MHD_OPTION_THREAD_POOL_SIZE); a handler runs on the worker thread that owns the
 * connection and answers synchronously. Each worker thread owns one hl_archive (its own SQLite
 * connection and a read-only view of the search index), opened on the thread's first request
 * from the data directory and freed when the thread ends (a pthread key destructor):
 * r->archive is that handle (hl_archive_search only reads the index). Never
 * keep an hl_archive, hl_store or anything they returned beyond the request, and never hand
 * them to another thread. A handler that blocks (an export, a long query) blocks the other
 * connections of its worker thread: long work goes to a job (jobs.c).
 *
 * A handler's contract: it returns 0 after answering with one of the resp_* helpers, or a
 * negative HL_E code with the message set (hl_error_set): the server then answers with the
 * status of that code (http_status_of) and the message. HL_EDENIED answers 401 for an
 * anonymous caller and 403 for one logged in. A helper below that answers by itself (a 415 for
 * a body that is not JSON, say) returns ANSWERED, which the handler returns as it is:
 *
 *     if ((rc = req_paging(&off, &lim, r, 0)) != 0)
 *             return rc;
 */
#ifndef SERVER_INT_H
#define SERVER_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "halong/archive.h"
#include "halong/auth.h"
#include "halong/common.h"
#include "server.h"

/* ---- limits (docs/api.md "Limits and behaviour") ---- */

#define SRV_MAX_BODY       (1u << 20)  /* a request body, by default */
#define SRV_MAX_BODY_LARGE (64u << 20) /* POST /api/v1/ingest */
#define SRV_MAX_HEADERS    (8u << 10)
#define SRV_TIMEOUT        30   /* seconds: receiving a request, an idle connection */
#define SRV_PER_IP         256  /* connections per client address (a proxy or wrk is one) */
#define SRV_MAX_CONN       4096 /* connections in all (fewer if RLIMIT_NOFILE is lower) */
#define SRV_MAX_SEGS       16   /* path segments */
#define SRV_MAX_PATH       2048
#define SRV_PAGE_DEFAULT   20 /* limit= */
#define SRV_PAGE_MAX       100
#define SRV_GZIP_MIN       1024       /* bytes: smaller bodies are sent as they are */
#define SRV_SHUTDOWN_WAIT  10         /* seconds for requests in flight after SIGTERM */
#define SRV_DISCARD_MAX    (4u << 20) /* bytes over the limit read and dropped before a 413 */

/* A handler returns this after answering by itself (see the header comment). */
#define ANSWERED 1

/* ---- methods ---- */

typedef enum {
	M_GET = 1u << 0,
	M_HEAD = 1u << 1, /* served by a GET route; the body is dropped */
	M_POST = 1u << 2,
	M_PUT = 1u << 3,
	M_DELETE = 1u << 4,
	M_PATCH = 1u << 5,
	M_OPTIONS = 1u << 6,
} http_method;

typedef struct request request;
typedef int (*handler)(request *r);

/* ---- routes ----
 *
 * Each handler file exports one table, ended by an entry whose pattern is NULL, e.g.
 *
 *     const route routes_units[] = {
 *             {M_GET, "/api/v1/units", units_find, 0, 0},
 *             {M_GET, "/api/v1/units/{code}", units_show, 0, 0},
 *             {0},
 *     };
 *
 * and router.c lists the tables (as src/cli/main.c lists the command groups). A pattern is
 * matched segment by segment on the decoded path; "{name}" captures one segment (never empty,
 * never "." or ".."), read with req_param(r, "name"). The first route whose pattern matches
 * and whose methods include the request's wins; a path that matches only with other methods
 * answers 405 with Allow. */
typedef struct {
	unsigned methods; /* http_method bits */
	const char *pattern;
	handler fn;
	size_t max_body; /* bytes; 0: SRV_MAX_BODY. Checked from Content-Length before reading */
	unsigned flags;  /* ROUTE_* */
} route;

enum {
	ROUTE_RAW_BODY = 1u << 0, /* the body is not JSON (a CSV upload): no 415 for its type */
	ROUTE_NO_CSRF = 1u << 1,  /* login: no X-CSRF-Token asked even with a session cookie */
	/* Only those who may ingest (hl_auth_check HL_ACT_INGEST) may send this body (a large
	 * one: ingest): the caller is resolved and checked before a byte of the body is read, so
	 * that nobody else makes the server hold max_body bytes for nothing. The ingest checks
	 * again. */
	ROUTE_INGEST_FIRST = 1u << 2,
	/* A body over max_body is answered 413 from Content-Length, unread; with this flag the
	 * handler is run first with r->too_big set and no body, to record the refusal (the
	 * exchange inbox: reason too-big in its status) and answer the 413 itself. */
	ROUTE_TELL_TOO_BIG = 1u << 3,
	/* As ROUTE_INGEST_FIRST with the route's own question: the caller is resolved and the
	 * handler run before a byte of the body is read, with r->precheck set and no body; it
	 * returns 0 to have the body read (and is run again with it), or refuses with an HL_E code
	 * (answered at once, nothing of the body kept). A dataset load: who may load it. */
	ROUTE_CHECK_FIRST = 1u << 4,
	/* Answered without the data directory and without knowing the caller (GET /healthz:
	 * the process answers even when the store cannot be opened). */
	ROUTE_NO_ARCHIVE = 1u << 5,
	/* The handler checks its own credentials (GET /metrics: a loopback client or the
	 * operator's token, which is no user's API token): the archive is opened, the caller is
	 * not resolved (r->who stays anonymous, an Authorization header is left to the handler). */
	ROUTE_OWN_AUTH = 1u << 6,
};

extern const route routes_session[]; /* h_session.c: login, logout, me */
extern const route routes_search[];  /* h_search.c */
extern const route routes_documents[];
extern const route routes_misc[]; /* stats, health, openapi.json */
extern const route routes_units[];
extern const route routes_fonds[]; /* fonds, dossiers, custody */
extern const route routes_ocr[];
extern const route routes_jobs[];
extern const route routes_audit[];
extern const route routes_exchange[];  /* h_exchange.c: inbox, attachments, status */
extern const route routes_feed[];      /* h_feed.c: the reference-data feed */
extern const route routes_send[];      /* h_send.c: send, outbox, messages, peers */
extern const route routes_plans[];     /* h_plans.c: plans, tasks, reports, evaluation */
extern const route routes_plans_out[]; /* h_plans_out.c: calendar feeds, exports */
extern const route routes_datasets[];  /* h_datasets.c: the catalogue, loads, diffs, exports */
extern const route routes_dataset_regroup[]; /* h_dataset_regroup.c: POST …/regroup */
/* h_dataset_share.c: requests for datasets (sharing between agencies) */
extern const route routes_dataset_share[];
extern const route routes_dcat[]; /* h_dcat.c: DCAT-AP JSON-LD of public datasets */
/* h_dataset_rows.c: a dataset's rows (the query) */
extern const route routes_dataset_rows[];
extern const route routes_ops[]; /* h_ops.c: /healthz, /readyz, /metrics, /api/v1/ops */

/* The route for r->method and r->seg; fills r->route and r's path parameters. Returns 0;
 * HL_ENOTFOUND when no pattern matches; HL_ECONFLICT when patterns match with other methods
 * only (*allow: their http_method bits, for 405 and Allow). Used by server.c. */
int router_match(request *r, unsigned *allow);

/* The routes in order, for the metrics (h_ops.c): how many, the k-th, and the number of `rt`
 * (-1 when it is none of them). */
size_t router_count(void);
const route *router_at(size_t k);
long router_index(const route *rt);

/* ---- the request ---- */

/* The response being built; server.c sends it. Handlers use the resp_* helpers. */
typedef struct resp_hdr {
	struct resp_hdr *next;
	char *name, *value;
} resp_hdr;

typedef struct {
	int status; /* 0: not answered yet */
	char *body; /* malloc'd, owned */
	size_t len;
	const char *ctype; /* static string */
	int fd;            /* a file (resp_file): >= 0, sent from off, flen bytes */
	uint64_t off, flen;
	uint64_t sent;    /* bytes of body sent, for the log */
	int compressible; /* may be gzip'd (text-like) */
	int gzipped;      /* the body is gzip'd already (resp_gzipped) */
	resp_hdr *hdrs;
} response;

struct request {
	/* what was asked */
	http_method method;
	const char *method_name;
	const char *path; /* decoded, without the query string; valid UTF-8, no NUL */
	size_t nseg;
	const char *seg[SRV_MAX_SEGS]; /* path segments ("api", "v1", ...) */
	size_t nparams;
	const char *param_name[SRV_MAX_SEGS], *param_value[SRV_MAX_SEGS];
	const char *body; /* NUL-terminated; NULL when there was none */
	size_t body_len;
	char client[64]; /* the client's address, as text */
	char id[20];     /* request id, also in X-Request-Id and the access log */

	/* who asks */
	hl_principal who;
	int via_session;  /* authenticated by the session cookie (unsafe methods need CSRF) */
	char *csrf;       /* the session's CSRF token (malloc'd) or NULL */
	char *session_id; /* the cookie's value (malloc'd) or NULL */

	/* this worker thread's archive */
	hl_archive *archive;

	const route *route;
	response resp;

	/* private to server.c / http.c */
	void *conn; /* struct MHD_Connection * */
	struct {
		int loaded, all;
		char **codes;
		size_t n;
	} scope;
	char *seg_buf;  /* the path cut into segments */
	char *body_buf; /* the body as it arrives */
	size_t body_alloc, body_cap;
	double t_start;
	int early;    /* answered before the body (413, 405, a bad path) */
	int discard;  /* a 413 waits for the end of a body that is read and dropped */
	int too_big;  /* closed: a chunked body past the limit */
	int resolved; /* the archive is open and the caller known (before the body) */
	int precheck; /* ROUTE_CHECK_FIRST: the handler is asked before the body is read */
};

/* ---- metrics (h_ops.c) ----
 *
 * The two hooks of GET /metrics: every request answered, counted by route, method and status
 * class with its duration (server.c, when the request is done: `ms` since its first byte);
 * and each search the index answered (h_search.c: the library's search alone, in seconds;
 * an answer from the cache is counted apart). Both only add to atomic counters. */
void ops_request_done(const request *r, double ms);
void ops_search_observe(double seconds, int cached);

/* Frees the calling thread's cache of document answers (h_documents.c); at thread exit. */
void docs_cache_clear(void);

/* The store of r->archive. */
hl_store *req_store(request *r);

/* A path parameter captured by "{name}"; NULL if the pattern has none. */
const char *req_param(request *r, const char *name);

/* A query-string parameter (decoded; '+' is a space), or NULL when absent. Every parameter of a
 * request has already been checked to be valid UTF-8 without NUL (else 400 before any handler),
 * so the value can be used as it is. An empty value ("q=") is "". */
const char *req_query(request *r, const char *name);

/* A request header, or NULL. */
const char *req_header(request *r, const char *name);

/* Does the request's Accept-Encoding take gzip (server.c; the test the server uses before it
 * compresses a text body over SRV_GZIP_MIN bytes)? */
int req_accepts_gzip(request *r);

/* `len` bytes gzip'd into a new malloc'd buffer (*out, *out_len), as the server compresses
 * bodies (server.c). 0, or -1 (no memory, zlib failure). */
int gzip_buf(char **out, size_t *out_len, const char *in, size_t len);

/* offset= (default 0) and limit= (default SRV_PAGE_DEFAULT, 1..max; max 0 means
 * SRV_PAGE_MAX). HL_EINVALID naming the parameter for a value that is not a number in range. */
int req_paging(size_t *offset, size_t *limit, request *r, size_t max);

/* An unsigned integer parameter `name` in [lo, hi]; *out = def when absent. HL_EINVALID. */
int req_uint(uint64_t *out, request *r, const char *name, uint64_t def, uint64_t lo, uint64_t hi);

/* A date parameter (`at=`, `from=`...): yyyy-mm-dd or dd/mm/yyyy into ISO. *given = 0 and
 * out = "" when absent (callers pass NULL to the library then). HL_EINVALID for a bad date. */
int req_date(char out[11], int *given, request *r, const char *name);

/* The raw body written to `name` in a fresh private folder (mode 0700, under $TMPDIR or /tmp,
 * named halong-`what`.XXXXXX): *dir and *path malloc'd. The library's verbs read files; the
 * caller removes both (req_body_unsave) when done. HL_EIO naming what failed. */
int req_body_save(char **dir, char **path, request *r, const char *what, const char *name);
/* The same in a folder `base` (which must exist) instead of $TMPDIR: an upload kept beyond
 * the process (an ingest's manifest, for a resume after a restart: HOME/jobs). */
int req_body_save_in(char **dir, char **path, request *r, const char *base, const char *what,
                     const char *name);
/* Removes what req_body_save made and frees the two names (either may be NULL). */
void req_body_unsave(char *dir, char *path);

/* The body parsed as a JSON object. Answers 415 (returns ANSWERED) unless Content-Type is
 * application/json; HL_EINVALID for an empty body, malformed JSON or not an object. *out is a
 * new reference. */
int req_json(json_t **out, request *r);

/* A string member of a JSON body: *out borrowed from the object; NULL when absent or null if
 * !required; HL_EINVALID naming the key if required and absent, or not a string. */
int js_get_str(const char **out, json_t *obj, const char *key, int required);

/* ---- who asks ----
 *
 * Who may do what, and see what, is the library's (hl_auth_check, the verbs taking the caller's
 * principal r->who). What the server keeps of it is the caller's scope, once per request, for
 * the keys of the answers it keeps (h_search.c). */

/* The fonds the caller's unit holds today (hl_auth_scope), loaded once per request: *all = 1
 * for a province-level unit. The codes belong to the request. */
int req_scope(char *const **codes, size_t *n, int *all, request *r);

/* ---- responses (http.c) ---- */

/* The status for an HL_E code: ENOTFOUND 404, EINVALID 400, EDENIED 401/403 (see above),
 * ECONFLICT 409, ELIMIT 429, EIO/ENOMEM/other 500. */
int http_status_of(request *r, int code);
/* "not_found", "bad_request"... (docs/api.md) for a status. */
const char *http_code_name(int status);

/* JSON body from a jansson value; takes the reference (also on failure). */
int resp_json(request *r, int status, json_t *body);
/* A time in ms since the epoch as ISO 8601 UTC with milliseconds ("…T…:…:….mmmZ"), or JSON
 * null for 0 (never happened). */
json_t *js_time(int64_t ms);
/* {"error": {"status", "code", "message"}}. The message is for the user: never a path, a SQL
 * text or a secret. */
int resp_error(request *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Answers for a negative HL_E code with hl_error_last() (a 500 says "internal error" and logs
 * the real message on stderr with the request id). Returns 0. */
int resp_from_rc(request *r, int rc);
/* Bytes with a content type ("image/png", "text/csv; charset=utf-8"...). take != 0: the buffer
 * is malloc'd and becomes the response's; else it is copied. */
int resp_bytes(request *r, int status, const char *ctype, void *data, size_t len, int take);
/* As resp_bytes (copied), for a text body already gzip'd (gzip_buf) by a handler that keeps it
 * (a cached answer): sent with Content-Encoding: gzip and Vary: Accept-Encoding. Only when
 * req_accepts_gzip(r). */
int resp_gzipped(request *r, int status, const char *ctype, const void *gz, size_t len);
/* A file: ETag (quoted `etag`, or from size and mtime when NULL), If-None-Match → 304,
 * Range (one range) → 206 or 416, Content-Disposition attachment with `download_name` when not
 * NULL. ctype NULL: guessed from the file name's extension. HL_ENOTFOUND if it cannot be
 * opened. */
int resp_file(request *r, const char *path, const char *ctype, const char *etag,
              const char *download_name);
/* The same for an open file (taken: closed on every path), e.g. an unlinked temporary file. */
int resp_fd(request *r, int fd, const char *ctype, const char *etag, const char *download_name);
/* A status without body (204, 304...). */
int resp_status(request *r, int status);
/* An extra header (Set-Cookie, Retry-After, Location...); copied. */
int resp_header(request *r, const char *name, const char *value);

/* The content type for a file name's extension ("text/html; charset=utf-8"...), or
 * "application/octet-stream". */
const char *http_mime(const char *name);

/* jansson helpers: a string or null (also null for invalid UTF-8); never fails silently into a
 * missing key. */
json_t *js_str(const char *s);
int js_set_str(json_t *obj, const char *key, const char *s);

/* Is s[0..n) valid UTF-8 without NUL? */
int utf8_valid(const char *s, size_t n);

/* Static files of the web interface (web/): GET/HEAD of a path outside /api/; "/" is
 * index.html; ".." or a hidden segment never escapes the directory. */
int http_static(request *r, const char *web_dir);

/* The server options and data directory, for handlers (openapi path, web dir). */
const hl_server_opts *server_options(void);

#endif
