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
 * A handler's contract: it returns 0 after answering with one of the hl_resp_* helpers, or a
 * negative HL_E code with the message set (hl_error_set): the server then answers with the
 * status of that code (hl_http_status_of) and the message. HL_EDENIED answers 401 for an
 * anonymous caller and 403 for one logged in. A helper below that answers by itself (a 415 for
 * a body that is not JSON, say) returns HL_ANSWERED, which the handler returns as it is:
 *
 *     if ((rc = hl_req_paging(&off, &lim, r, 0)) != 0)
 *             return rc;
 */
#ifndef HL_SERVER_INT_H
#define HL_SERVER_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "halong/archive.h"
#include "halong/auth.h"
#include "halong/common.h"
#include "server.h"

/* ---- limits (docs/api.md "Limits and behaviour") ---- */

#define HL_SRV_MAX_BODY       (1u << 20)  /* a request body, by default */
#define HL_SRV_MAX_BODY_LARGE (64u << 20) /* POST /api/v1/ingest */
#define HL_SRV_MAX_HEADERS    (16u << 10)
#define HL_SRV_TIMEOUT        30   /* seconds: receiving a request, an idle connection */
#define HL_SRV_PER_IP         256  /* connections per client address (a proxy or wrk is one) */
#define HL_SRV_MAX_CONN       4096 /* connections in all (fewer if RLIMIT_NOFILE is lower) */
#define HL_SRV_MAX_SEGS       16   /* path segments */
#define HL_SRV_MAX_PATH       2048
#define HL_SRV_PAGE_DEFAULT   20 /* limit= */
#define HL_SRV_PAGE_MAX       100
#define HL_SRV_GZIP_MIN       1024       /* bytes: smaller bodies are sent as they are */
#define HL_SRV_SHUTDOWN_WAIT  10         /* seconds for requests in flight after SIGTERM */
#define HL_SRV_DISCARD_MAX    (4u << 20) /* bytes over the limit read and dropped before a 413 */

/* A handler returns this after answering by itself (see the header comment). */
#define HL_ANSWERED 1

/* ---- methods ---- */

typedef enum {
	HL_GET = 1u << 0,
	HL_HEAD = 1u << 1, /* served by a GET route; the body is dropped */
	HL_POST = 1u << 2,
	HL_PUT = 1u << 3,
	HL_DELETE = 1u << 4,
	HL_PATCH = 1u << 5,
	HL_OPTIONS = 1u << 6,
} hl_method;

/* Roles as a mask for hl_req_require(): HL_ROLE_BIT(HL_ROLE_ARCHIVIST) | ... */
#define HL_ROLE_BIT(role) (1u << (unsigned)(role))
#define HL_ROLES_CUSTODY                                                                           \
	(HL_ROLE_BIT(HL_ROLE_ARCHIVIST) | HL_ROLE_BIT(HL_ROLE_ADMIN)) /* write custody, jobs */
#define HL_ROLES_READ_CUSTODY (HL_ROLES_CUSTODY | HL_ROLE_BIT(HL_ROLE_INSPECTOR))
#define HL_ROLES_AUDIT        (HL_ROLE_BIT(HL_ROLE_INSPECTOR) | HL_ROLE_BIT(HL_ROLE_ADMIN))

typedef struct hl_req hl_req;
typedef int (*hl_handler)(hl_req *r);

/* ---- routes ----
 *
 * Each handler file exports one table, ended by an entry whose pattern is NULL, e.g.
 *
 *     const hl_route hl_routes_units[] = {
 *             {HL_GET, "/api/v1/units", units_find, 0, 0},
 *             {HL_GET, "/api/v1/units/{code}", units_show, 0, 0},
 *             {0},
 *     };
 *
 * and router.c lists the tables (as src/cli/main.c lists the command groups). A pattern is
 * matched segment by segment on the decoded path; "{name}" captures one segment (never empty,
 * never "." or ".."), read with hl_req_param(r, "name"). The first route whose pattern matches
 * and whose methods include the request's wins; a path that matches only with other methods
 * answers 405 with Allow. */
typedef struct {
	unsigned methods; /* hl_method bits */
	const char *pattern;
	hl_handler fn;
	size_t max_body; /* bytes; 0: HL_SRV_MAX_BODY. Checked from Content-Length before reading */
	unsigned flags;  /* HL_ROUTE_* */
} hl_route;

enum {
	HL_ROUTE_RAW_BODY = 1u << 0, /* the body is not JSON (a CSV upload): no 415 for its type */
	HL_ROUTE_NO_CSRF = 1u << 1,  /* login: no X-CSRF-Token asked even with a session cookie */
	/* Only those who may ingest (hl_auth_check HL_ACT_INGEST) may send this body (a large
	 * one: ingest): the caller is resolved and checked before a byte of the body is read, so
	 * that nobody else makes the server hold max_body bytes for nothing. The ingest checks
	 * again. */
	HL_ROUTE_INGEST_FIRST = 1u << 2,
	/* A body over max_body is answered 413 from Content-Length, unread; with this flag the
	 * handler is run first with r->too_big set and no body, to record the refusal (the
	 * exchange inbox: reason too-big in its status) and answer the 413 itself. */
	HL_ROUTE_TELL_TOO_BIG = 1u << 3,
};

extern const hl_route hl_routes_session[]; /* h_session.c: login, logout, me */
extern const hl_route hl_routes_search[];  /* h_search.c */
extern const hl_route hl_routes_documents[];
extern const hl_route hl_routes_misc[]; /* stats, health, openapi.json */
extern const hl_route hl_routes_units[];
extern const hl_route hl_routes_fonds[]; /* fonds, dossiers, custody */
extern const hl_route hl_routes_ocr[];
extern const hl_route hl_routes_jobs[];
extern const hl_route hl_routes_audit[];
extern const hl_route hl_routes_exchange[]; /* h_exchange.c: inbox, attachments, status */
extern const hl_route hl_routes_feed[];     /* h_feed.c: the reference-data feed */
extern const hl_route hl_routes_send[]; /* h_send.c: send, outbox, messages, peers */

/* The route for r->method and r->seg; fills r->route and r's path parameters. Returns 0;
 * HL_ENOTFOUND when no pattern matches; HL_ECONFLICT when patterns match with other methods
 * only (*allow: their hl_method bits, for 405 and Allow). Used by server.c. */
int hl_router_match(hl_req *r, unsigned *allow);

/* ---- the request ---- */

/* The response being built; server.c sends it. Handlers use the hl_resp_* helpers. */
typedef struct hl_resp_hdr {
	struct hl_resp_hdr *next;
	char *name, *value;
} hl_resp_hdr;

typedef struct {
	int status; /* 0: not answered yet */
	char *body; /* malloc'd, owned */
	size_t len;
	const char *ctype; /* static string */
	int fd;            /* a file (hl_resp_file): >= 0, sent from off, flen bytes */
	uint64_t off, flen;
	uint64_t sent;    /* bytes of body sent, for the log */
	int compressible; /* may be gzip'd (text-like) */
	int gzipped;      /* the body is gzip'd already (hl_resp_gzipped) */
	hl_resp_hdr *hdrs;
} hl_resp;

struct hl_req {
	/* what was asked */
	hl_method method;
	const char *method_name;
	const char *path; /* decoded, without the query string; valid UTF-8, no NUL */
	size_t nseg;
	const char *seg[HL_SRV_MAX_SEGS]; /* path segments ("api", "v1", ...) */
	size_t nparams;
	const char *param_name[HL_SRV_MAX_SEGS], *param_value[HL_SRV_MAX_SEGS];
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

	const hl_route *route;
	hl_resp resp;

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
};

/* Frees the calling thread's cache of document answers (h_documents.c); at thread exit. */
void hl_docs_cache_clear(void);

/* The store of r->archive. */
hl_store *hl_req_store(hl_req *r);

/* A path parameter captured by "{name}"; NULL if the pattern has none. */
const char *hl_req_param(hl_req *r, const char *name);

/* A query-string parameter (decoded; '+' is a space), or NULL when absent. Every parameter of a
 * request has already been checked to be valid UTF-8 without NUL (else 400 before any handler),
 * so the value can be used as it is. An empty value ("q=") is "". */
const char *hl_req_query(hl_req *r, const char *name);

/* A request header, or NULL. */
const char *hl_req_header(hl_req *r, const char *name);

/* Does the request's Accept-Encoding take gzip (server.c; the test the server uses before it
 * compresses a text body over HL_SRV_GZIP_MIN bytes)? */
int hl_req_accepts_gzip(hl_req *r);

/* `len` bytes gzip'd into a new malloc'd buffer (*out, *out_len), as the server compresses
 * bodies (server.c). 0, or -1 (no memory, zlib failure). */
int hl_gzip(char **out, size_t *out_len, const char *in, size_t len);

/* offset= (default 0) and limit= (default HL_SRV_PAGE_DEFAULT, 1..max; max 0 means
 * HL_SRV_PAGE_MAX). HL_EINVALID naming the parameter for a value that is not a number in range. */
int hl_req_paging(size_t *offset, size_t *limit, hl_req *r, size_t max);

/* An unsigned integer parameter `name` in [lo, hi]; *out = def when absent. HL_EINVALID. */
int hl_req_uint(uint64_t *out, hl_req *r, const char *name, uint64_t def, uint64_t lo, uint64_t hi);

/* A date parameter (`at=`, `from=`...): yyyy-mm-dd or dd/mm/yyyy into ISO. *given = 0 and
 * out = "" when absent (callers pass NULL to the library then). HL_EINVALID for a bad date. */
int hl_req_date(char out[11], int *given, hl_req *r, const char *name);

/* The body parsed as a JSON object. Answers 415 (returns HL_ANSWERED) unless Content-Type is
 * application/json; HL_EINVALID for an empty body, malformed JSON or not an object. *out is a
 * new reference. */
int hl_req_json(json_t **out, hl_req *r);

/* A string member of a JSON body: *out borrowed from the object; NULL when absent or null if
 * !required; HL_EINVALID naming the key if required and absent, or not a string. */
int hl_json_get_str(const char **out, json_t *obj, const char *key, int required);

/* ---- who may do what ---- */

/* 0 when the caller's role is in `roles` (HL_ROLE_BIT mask); else HL_EDENIED (401 anonymous,
 * 403 logged in) with a message naming the roles that may. */
int hl_req_require(hl_req *r, unsigned roles);

/* The access ceiling of the caller's role for HTTP: hl_role_ceiling, never HL_ACCESS_SECRET. */
hl_access hl_req_ceiling(hl_req *r);

/* The fonds the caller's unit holds today (hl_auth_scope), loaded once per request: *all = 1
 * for a province-level unit. The codes belong to the request. */
int hl_req_scope(char *const **codes, size_t *n, int *all, hl_req *r);
/* Is fonds `code` held by the caller's unit today (or is the caller province-level)? 1 yes, 0
 * no (also when the scope could not be read, or code is NULL). */
int hl_req_in_scope(hl_req *r, const char *code);

/* TRANSITION (h_send.c): may the caller see a document of this level and fonds? */
int hl_req_may_see(hl_req *r, hl_access level, const char *fonds_code);

/* The actor for library calls that audit: the user name, or "anonymous@CLIENT" (static per
 * request). */
const char *hl_req_actor(hl_req *r);

/* ---- responses (http.c) ---- */

/* The status for an HL_E code: ENOTFOUND 404, EINVALID 400, EDENIED 401/403 (see above),
 * ECONFLICT 409, ELIMIT 429, EIO/ENOMEM/other 500. */
int hl_http_status_of(hl_req *r, int code);
/* "not_found", "bad_request"... (docs/api.md) for a status. */
const char *hl_http_code_name(int status);

/* JSON body from a jansson value; takes the reference (also on failure). */
int hl_resp_json(hl_req *r, int status, json_t *body);
/* A time in ms since the epoch as ISO 8601 UTC with milliseconds ("…T…:…:….mmmZ"), or JSON
 * null for 0 (never happened). */
json_t *hl_json_time(int64_t ms);
/* {"error": {"status", "code", "message"}}. The message is for the user: never a path, a SQL
 * text or a secret. */
int hl_resp_error(hl_req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Answers for a negative HL_E code with hl_error_last() (a 500 says "internal error" and logs
 * the real message on stderr with the request id). Returns 0. */
int hl_resp_from_rc(hl_req *r, int rc);
/* Bytes with a content type ("image/png", "text/csv; charset=utf-8"...). take != 0: the buffer
 * is malloc'd and becomes the response's; else it is copied. */
int hl_resp_bytes(hl_req *r, int status, const char *ctype, void *data, size_t len, int take);
/* As hl_resp_bytes (copied), for a text body already gzip'd (hl_gzip) by a handler that keeps it
 * (a cached answer): sent with Content-Encoding: gzip and Vary: Accept-Encoding. Only when
 * hl_req_accepts_gzip(r). */
int hl_resp_gzipped(hl_req *r, int status, const char *ctype, const void *gz, size_t len);
/* A file: ETag (quoted `etag`, or from size and mtime when NULL), If-None-Match → 304,
 * Range (one range) → 206 or 416, Content-Disposition attachment with `download_name` when not
 * NULL. ctype NULL: guessed from the file name's extension. HL_ENOTFOUND if it cannot be
 * opened. */
int hl_resp_file(hl_req *r, const char *path, const char *ctype, const char *etag,
                 const char *download_name);
/* The same for an open file (taken: closed on every path), e.g. an unlinked temporary file. */
int hl_resp_fd(hl_req *r, int fd, const char *ctype, const char *etag, const char *download_name);
/* A status without body (204, 304...). */
int hl_resp_status(hl_req *r, int status);
/* An extra header (Set-Cookie, Retry-After, Location...); copied. */
int hl_resp_header(hl_req *r, const char *name, const char *value);

/* The content type for a file name's extension ("text/html; charset=utf-8"...), or
 * "application/octet-stream". */
const char *hl_http_mime(const char *name);

/* jansson helpers: a string or null (also null for invalid UTF-8); never fails silently into a
 * missing key. */
json_t *hl_json_str(const char *s);
int hl_json_set_str(json_t *obj, const char *key, const char *s);

/* Is s[0..n) valid UTF-8 without NUL? */
int hl_utf8_valid(const char *s, size_t n);

/* Static files of the web interface (web/): GET/HEAD of a path outside /api/; "/" is
 * index.html; ".." or a hidden segment never escapes the directory. */
int hl_http_static(hl_req *r, const char *web_dir);

/* The server options and data directory, for handlers (openapi path, web dir). */
const hl_server_opts *hl_server_options(void);

#endif
