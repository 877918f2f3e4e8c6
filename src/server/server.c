/* The HTTP server: libmicrohttpd on its epoll thread pool, limits checked before work, the
 * caller resolved from cookie or bearer token, dispatch to the routes, gzip, the access log,
 * and a graceful stop. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>
#include <zlib.h>

#include "halong/units.h"
#include "jobs.h"
#include "request.h"
#include "sender.h"
#include "server_int.h"
#include "halong/config.h"

struct hl_server {
	struct MHD_Daemon *d;
	hl_server_opts o;
	char url[96];
};

/* One server per process: the options are read by handlers through server_options(). */
static hl_server_opts g_opts;
static char *g_home;
static pthread_key_t g_archive_key;
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;
static atomic_int g_in_flight; /* requests begun and not completed */
static atomic_uint g_started;  /* requests begun, ever */

/* Every open connection, for the request deadline: libmicrohttpd's timeout counts idle time
 * only, so a client trickling a byte a second would hold a connection for ever. The reaper
 * shuts down the socket of a connection whose request has not been received within
 * SRV_TIMEOUT seconds of its start (or of the previous request's end); the handler's own
 * time is not counted. The list is changed
 * under g_conn_mu in the connection callbacks (a request's clock and state are atomics, set
 * without it); the CLOSED callback runs before libmicrohttpd
 * closes the descriptor, so the reaper never touches a descriptor reused by another socket. */
typedef struct conn_ctx {
	struct conn_ctx *prev, *next; /* under g_conn_mu */
	MHD_socket fd;
	/* Written by the connection's worker without the list's lock (a request's life must not
	 * wait for the reaper or the other workers), read by the reaper: atomics. */
	_Atomic double t0;     /* start of the current request (or of waiting for one) */
	atomic_int responding; /* the request is in (handled or answered): no deadline */
	int reaped;            /* the reaper's own */
	/* The worker's own, for the query guard of unescape(): where the current request's
	 * target lies, how many names and values libmicrohttpd has decoded since. */
	uintptr_t target_at;
	unsigned nargs;
	int refused;
} conn_ctx;

static pthread_mutex_t g_conn_mu = PTHREAD_MUTEX_INITIALIZER;
static conn_ctx *g_conns;
static pthread_t g_reaper;
static atomic_int g_reaper_stop;

static conn_ctx *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* A request as server.c holds it: the handlers' request, and the target as it was received
 * (libmicrohttpd's URI log callback, uri_logged), which begin() decodes and checks itself. */
typedef struct {
	request r;    /* first: the box is freed through it */
	char *target; /* as received: the path and the query, not decoded; NULL without memory */
	size_t target_len;
	uintptr_t target_at; /* where it lay in libmicrohttpd's buffer (request_check_head) */
	int begun;           /* begin() has run: counted in flight, logged when completed */
	int on_socket;       /* answered on the socket (answer_on_socket): the connection closes */
} req_box;

/* libmicrohttpd's memory pool for a connection (MHD_OPTION_CONNECTION_MEMORY_LIMIT). 0.9.75
 * keeps the head as received at its front (the read buffer), and at its end a 64-byte record
 * for each header, cookie and query parameter and a copy of the (first) Cookie header; it then
 * builds the answer's headers in what is left, and when they do not fit it closes the
 * connection without a word. A head over the limits of request.h and server_int.h is answered on
 * the socket (begin); the limits are such that the worst head within them leaves room for the
 * largest answer's headers (POOL_ANSWER_ROOM; about 450 bytes for most answers, 1.3 KB for a
 * file with a long name): a head of REQUEST_MAX_HEAD bytes, a Cookie header of nearly
 * SRV_MAX_HEADERS copied, and a record for each of REQUEST_MAX_FIELDS fields,
 * REQUEST_MAX_COOKIES cookies and REQUEST_MAX_ARGS parameters (probed on 0.9.75: 64 bytes a
 * record, nothing else taken; test_heads_within_the_limits_together_served sends such heads).
 * 32 KiB and not more: 0.9.75 zeroes the whole pool between two requests of a kept-alive
 * connection (memset: 6.5% of the server's time under wrk at 32 KiB, 10% at 64 KiB), and it
 * mallocs a pool of at most 32 KiB but mmaps a larger one for each connection. (The stalls of
 * wrk runs at the per-address limit, once blamed on that mmap, were libmicrohttpd's epoll loop:
 * see epoll_wait below.) */
#define POOL_SIZE        (32u << 10)
#define POOL_RECORD      64
#define POOL_ANSWER_ROOM 2048
_Static_assert(REQUEST_MAX_HEAD + SRV_MAX_HEADERS +
                       POOL_RECORD * (REQUEST_MAX_FIELDS + REQUEST_MAX_COOKIES + REQUEST_MAX_ARGS) +
                       POOL_ANSWER_ROOM <=
                   POOL_SIZE,
               "the worst head within the limits must leave room in the pool for the answer");
_Static_assert(REQUEST_MAX_ARGS == 32, "unescape's message names the limit");

/* libmicrohttpd 0.9.75 parses a request's head in place, in the connection's memory pool: the
 * checks that read the head as it left it (request_check_head, the query guard of uri_logged
 * and unescape) are made for that version only. Debian 12 ships it; another version leaves
 * them out — hl_server_start says so on stderr — and the hostile tests (NUL bytes in a header
 * value, many query parameters) say whether it needs them. */
static int g_inplace;

const hl_server_opts *server_options(void)
{
	return &g_opts;
}

/* A worker thread's data: its archive (which keeps its read-only view of the search index). */
typedef struct {
	hl_archive *a;
} thread_data;

static void thread_data_free(void *p)
{
	thread_data *t = p;
	docs_cache_clear(); /* this thread's cached answers go with it */
	hl_archive_free(t->a);
	free(t);
}

static void make_key(void)
{
	pthread_key_create(&g_archive_key, thread_data_free);
}

static thread_data *thread_get(void)
{
	thread_data *t = pthread_getspecific(g_archive_key);
	if (!t) {
		if (!(t = calloc(1, sizeof(*t)))) {
			hl_error_set(HL_ENOMEM, "out of memory");
			return NULL;
		}
		if (hl_archive_open(&t->a, g_home) < 0) {
			free(t);
			return NULL;
		}
		pthread_setspecific(g_archive_key, t);
	}
	return t;
}

/* This worker thread's archive, opened on its first request. */
static hl_archive *thread_archive(void)
{
	thread_data *t = thread_get();
	return t ? t->a : NULL;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int is_unsafe(http_method m)
{
	return m == M_POST || m == M_PUT || m == M_DELETE || m == M_PATCH;
}

/* The value of cookie `name` in a Cookie header, malloc'd, or NULL. */
static char *cookie_value(const char *h, const char *name)
{
	size_t n = strlen(name);
	const char *p = h;
	while (p && *p) {
		while (*p == ' ' || *p == ';')
			p++;
		if (!strncmp(p, name, n) && p[n] == '=') {
			const char *v = p + n + 1, *e = strchr(v, ';');
			size_t len = e ? (size_t)(e - v) : strlen(v);
			while (len && v[len - 1] == ' ')
				len--;
			return len && len < 256 ? strndup(v, len) : NULL;
		}
		p = strchr(p, ';');
	}
	return NULL;
}

/* Who asks: a bearer token, else the session cookie, else anonymous. 0, or an answered error. */
static int resolve_caller(request *r)
{
	const char *auth = req_header(r, "Authorization");
	const char *ck = req_header(r, "Cookie");
	hl_store *st = req_store(r);

	r->who = hl_principal_anonymous();
	if (auth) {
		if (strncasecmp(auth, "Bearer ", 7) != 0 || !auth[7]) {
			resp_error(r, 401, "the Authorization header must be \"Bearer TOKEN\"");
			return ANSWERED;
		}
		if (hl_auth_bearer(&r->who, st, auth + 7) < 0) {
			r->who = hl_principal_anonymous();
			if (hl_error_code() == HL_ENOTFOUND || hl_error_code() == HL_EDENIED) {
				resp_error(r, 401, "unknown or revoked token");
				return ANSWERED;
			}
			resp_from_rc(r, -1);
			return ANSWERED;
		}
		return 0;
	}
	if (ck && (r->session_id = cookie_value(ck, "halong_session"))) {
		if (hl_auth_session(&r->who, &r->csrf, st, r->session_id) < 0) {
			/* An expired or unknown session is an anonymous caller. */
			r->who = hl_principal_anonymous();
			free(r->session_id);
			r->session_id = NULL;
			if (hl_error_code() != HL_ENOTFOUND) {
				resp_from_rc(r, -1);
				return ANSWERED;
			}
			return 0;
		}
		r->via_session = 1;
		if (is_unsafe(r->method) && !(r->route && (r->route->flags & ROUTE_NO_CSRF))) {
			const char *t = req_header(r, "X-CSRF-Token");
			if (!t || !r->csrf || strlen(t) != strlen(r->csrf) ||
			    sodium_memcmp(t, r->csrf, strlen(t)) != 0) {
				resp_error(r, 403, "missing or wrong X-CSRF-Token");
				return ANSWERED;
			}
		}
	}
	return 0;
}

/* This worker's archive and the caller. 0, or an answered error. */
static int open_and_resolve(request *r)
{
	int rc;
	if (!(r->archive = thread_archive())) {
		fprintf(stderr, "halong serve: %s: cannot open the data directory: %s\n", r->id,
		        hl_error_last());
		resp_error(r, 503, "the archive cannot be opened now");
		return ANSWERED;
	}
	if ((rc = resolve_caller(r)) != 0)
		return rc;
	r->resolved = 1;
	return 0;
}

static void dispatch(request *r)
{
	unsigned allow = 0;
	int rc;

	if (r->route == NULL) {
		/* routed in the first call; nothing matched */
		if (r->nseg >= 1 && !strcmp(r->seg[0], "api")) {
			resp_error(r, 404, "no such endpoint");
			return;
		}
		if (r->method != M_GET && r->method != M_HEAD) {
			resp_header(r, "Allow", "GET, HEAD");
			resp_error(r, 405, "method not allowed");
			return;
		}
		http_static(r, g_opts.web_dir);
		return;
	}
	(void)allow;
	if (r->route->flags & ROUTE_OWN_AUTH) {
		/* the handler checks the credentials itself (GET /metrics) */
		if (!(r->archive = thread_archive())) {
			fprintf(stderr, "halong serve: %s: cannot open the data directory: %s\n",
			        r->id, hl_error_last());
			resp_error(r, 503, "the archive cannot be opened now");
			return;
		}
	} else if (!r->resolved && !(r->route->flags & ROUTE_NO_ARCHIVE) &&
	           (rc = open_and_resolve(r)) != 0) {
		return;
	}
	hl_error_clear();
	rc = r->route->fn(r);
	if (rc < 0)
		resp_from_rc(r, rc);
	else if (!r->resp.status)
		resp_error(r, 500, "internal error (request %s: no answer)", r->id);
}

/* Does Accept-Encoding take gzip (and not with q=0)? */
static int accepts_gzip(const char *ae)
{
	const char *p = ae;
	while (p && (p = strcasestr(p, "gzip"))) {
		const char *e = p + 4;
		while (*e == ' ')
			e++;
		if (*e == ';') {
			const char *q = strstr(e, "q=");
			if (q && (q - e) < 6 && atof(q + 2) <= 0)
				return 0;
		}
		return 1;
	}
	return 0;
}

int req_accepts_gzip(request *r)
{
	return accepts_gzip(req_header(r, "Accept-Encoding"));
}

int gzip_buf(char **out_p, size_t *out_len, const char *in, size_t len)
{
	z_stream z = {0};
	uLong bound;
	unsigned char *out;
	if (len > UINT32_MAX ||
	    deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&z, (uLong)len) + 32;
	if (!(out = malloc(bound))) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)bound;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(out);
		return -1;
	}
	*out_p = (char *)out;
	*out_len = z.total_out;
	deflateEnd(&z);
	return 0;
}

static int gzip_body(request *r)
{
	char *out;
	size_t n;
	if (gzip_buf(&out, &n, r->resp.body, r->resp.len) < 0)
		return -1;
	free(r->resp.body);
	r->resp.body = out;
	r->resp.len = n;
	return 0;
}

/* The Content-Security-Policy of everything but the interface's pages (see send_response). */
static const char CSP_API[] = "default-src 'none'; style-src 'unsafe-inline'; "
                              "img-src 'self' data:; frame-ancestors 'none'; "
                              "base-uri 'none'; form-action 'none'";

static enum MHD_Result send_response(struct MHD_Connection *c, request *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	int gz = 0;

	r->resp.sent = r->resp.fd >= 0 ? r->resp.flen : 0;
	if (r->resp.fd >= 0) {
		resp =
		    MHD_create_response_from_fd_at_offset64(r->resp.flen, r->resp.fd, r->resp.off);
		if (resp)
			r->resp.fd = -1; /* MHD closes it */
	} else {
		if (r->resp.gzipped)
			gz = 1; /* a handler's cached answer, compressed once */
		else if (r->resp.body && r->resp.len > SRV_GZIP_MIN && r->resp.compressible &&
		         accepts_gzip(req_header(r, "Accept-Encoding")) && gzip_body(r) == 0)
			gz = 1;
		resp = MHD_create_response_from_buffer(r->resp.len, r->resp.body,
		                                       MHD_RESPMEM_MUST_FREE);
		if (resp) {
			r->resp.sent = r->resp.len;
			r->resp.body = NULL;
		}
	}
	if (!resp)
		return MHD_NO;
	if (r->resp.ctype)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->resp.ctype);
	if (gz)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	if (r->resp.compressible)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	MHD_add_response_header(resp, "X-Request-Id", r->id);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	{
		int has_cc = 0, has_csp = 0;
		for (resp_hdr *h = r->resp.hdrs; h; h = h->next) {
			MHD_add_response_header(resp, h->name, h->value);
			has_cc |= !strcasecmp(h->name, "Cache-Control");
			has_csp |= !strcasecmp(h->name, "Content-Security-Policy");
		}
		if (!has_cc && r->nseg && !strcmp(r->seg[0], "api"))
			MHD_add_response_header(resp, "Cache-Control", "no-store");
		/* Everything but the interface's pages (which set their own): nothing in an API
		 * answer may run or load, should it be opened as a page — the receipt is HTML
		 * holding fonds names and dossier titles; a stored file may be HTML or SVG. Only
		 * the receipt's own <style> is let through. */
		if (!has_csp)
			MHD_add_response_header(resp, "Content-Security-Policy", CSP_API);
	}
	{
		conn_ctx *x = conn_of(c);
		if (x)
			atomic_store_explicit(&x->responding, 1, memory_order_relaxed);
	}
	ret = MHD_queue_response(c, (unsigned)r->resp.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* A request id: 8 random bytes in hex, as before, but drawn from a per-thread store of random
 * bytes refilled (libsodium, one getrandom()) every 512 requests rather than once a request. */
static void new_id(char out[20])
{
	static _Thread_local unsigned char pool[8 * 512];
	static _Thread_local size_t used = sizeof(pool);
	static const char hex[] = "0123456789abcdef";
	if (used == sizeof(pool)) {
		randombytes_buf(pool, sizeof(pool));
		used = 0;
	}
	for (int i = 0; i < 8; i++) {
		out[2 * i] = hex[pool[used + i] >> 4];
		out[2 * i + 1] = hex[pool[used + i] & 15];
	}
	sodium_memzero(pool + used, 8); /* an id given out is not kept */
	used += 8;
	out[16] = 0;
}

static void client_addr(request *r, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	snprintf(r->client, sizeof(r->client), "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->client,
		          sizeof(r->client));
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->client,
		          sizeof(r->client));
}

/* ---- the request's intake: its line, target and headers checked before anything runs ---- */

/* Is p a NUL followed by "HTTP/1.d" and a NUL — the end of a request's target in
 * libmicrohttpd 0.9.75's buffer when the URI log callback runs (the space before the version
 * and the line's end made NULs; the version was checked to be exactly eight bytes)? Reads
 * p[1..9] only when p[0] is a NUL. */
static int version_follows(const char *p)
{
	return !p[0] && !memcmp(p + 1, "HTTP/1.", 7) && p[8] >= '0' && p[8] <= '9' && !p[9];
}

/* The query libmicrohttpd is about to parse, emptied when the request will be refused anyway
 * (over REQUEST_MAX_ARGS parameters or REQUEST_MAX_QUERY bytes, or a NUL sent in the target):
 * each parameter takes a record of the connection's memory pool, and libmicrohttpd 0.9.75,
 * when the pool runs out in that parse, queues its 431, then forgets it and waits for the
 * rest of the request — the client got no answer for 30 s. libmicrohttpd parses from the first
 * '?' of the whole target (found before this runs) to the next NUL; emptying it is a NUL after
 * the '?'. */
static void empty_query(char *u, size_t len)
{
	char *q = memchr(u, '?', len);
	if (q) {
		size_t ql = len - (size_t)(q + 1 - u);
		if (ql > REQUEST_MAX_QUERY || request_query_count(q + 1, ql) > REQUEST_MAX_ARGS)
			q[1] = 0;
		return;
	}
	/* No '?' before the first NUL; if that NUL is one the client sent (not the end of the
	 * target: the version does not follow), the '?' libmicrohttpd found may lie after it. The
	 * target ends at a NUL the version follows: nothing past it is read. */
	if (version_follows(u + len))
		return;
	for (char *p = u + len + 1; !version_follows(p); p++)
		if (*p == '?') {
			p[1] = 0;
			return;
		}
}

/* libmicrohttpd's URI log callback: the target as received, before libmicrohttpd decodes the
 * path or parses the query. Its return value is the request's context (req_box). */
static void *uri_logged(void *cls, const char *uri, struct MHD_Connection *c)
{
	req_box *b = calloc(1, sizeof(*b));
	conn_ctx *x = conn_of(c);
	size_t len;
	(void)cls;
	if (!uri)
		uri = "";
	len = strlen(uri);
	if (x)
		x->target_at = (uintptr_t)uri, x->nargs = 0;
	if (b) {
		b->target_at = (uintptr_t)uri;
		b->target_len = len;
		if ((b->target = malloc(len + 1)))
			memcpy(b->target, uri, len + 1);
	}
	if (g_inplace && *uri)
		empty_query((char *)uri, len); /* libmicrohttpd's own buffer, written in place */
	return b;
}

/* The connection's socket. */
static MHD_socket socket_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	return ci ? ci->connect_fd : MHD_INVALID_SOCKET;
}

/* An error answer written straight on the socket, the connection then shut for writing (and
 * for reading when `both`): for a request libmicrohttpd could not answer, its memory pool for
 * the connection being full (see begin and unescape). Nothing has been sent for this request
 * yet: libmicrohttpd answers a request only once it is in. The socket is non-blocking and
 * empty: the few hundred bytes go in one send. Returns the bytes of body sent. */
static size_t answer_on_socket(MHD_socket fd, int status, const char *id, const char *body,
                               size_t len, int both)
{
	char head[1024];
	size_t sent = 0;
	const char *reason = MHD_get_reason_phrase_for((unsigned)status);
	int n;
	if (fd == MHD_INVALID_SOCKET)
		return 0;
	n = snprintf(head, sizeof(head),
	             "HTTP/1.1 %d %s\r\nConnection: close\r\n"
	             "Content-Type: application/json; charset=utf-8\r\nContent-Length: %zu\r\n"
	             "X-Request-Id: %s\r\nX-Content-Type-Options: nosniff\r\n"
	             "X-Frame-Options: DENY\r\nReferrer-Policy: same-origin\r\n"
	             "Cache-Control: no-store\r\nContent-Security-Policy: %s\r\n\r\n",
	             status, reason && *reason ? reason : "Error", len, id, CSP_API);
	if (n > 0 && (size_t)n < sizeof(head)) {
		struct iovec v[2] = {{head, (size_t)n}, {(void *)body, len}};
		struct msghdr m = {.msg_iov = v, .msg_iovlen = 2};
		ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		sent = w > n ? (size_t)w - (size_t)n : 0;
	}
	shutdown(fd, both ? SHUT_RDWR : SHUT_WR);
	return sent;
}

/* libmicrohttpd's decoding of the path and of each query name and value (MHD_http_unescape),
 * and the last guard of the pool: a query that uri_logged could not see (after a NUL the client
 * sent and something that looks like the line's end) is parsed whole by libmicrohttpd; past
 * twice REQUEST_MAX_ARGS names and values the request is refused on the socket and the
 * connection shut, at once, instead of the 30 s wait for a pool run out. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	conn_ctx *x;
	(void)cls;
	if (g_inplace && (x = conn_of(c)) && (uintptr_t)s != x->target_at &&
	    ++x->nargs > 2 * REQUEST_MAX_ARGS + 2 && !x->refused) {
		static const char body[] = "{\"error\":{\"status\":400,\"code\":\"bad_request\","
		                           "\"message\":\"at most 32 query parameters\"}}";
		char id[20];
		x->refused = 1;
		new_id(id);
		answer_on_socket(x->fd, 400, id, body, sizeof(body) - 1, 1);
	}
	return MHD_http_unescape(s);
}

/* The headers as received, and where each lies in the head. */
typedef struct {
	request_header *h;
	request_span *sp;
	size_t n, cap;
	size_t size;      /* the head's bytes as received (0: not known) */
	size_t ncookies;  /* as libmicrohttpd parsed them */
	uintptr_t h0, hs; /* with g_inplace, the head: from the method, hs bytes; else 0 */
	int outside;      /* a header lies outside the head */
} head_ud;

static enum MHD_Result head_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                  size_t key_size, const char *value, size_t value_size)
{
	head_ud *u = cls;
	(void)kind;
	if (u->n == u->cap)
		return MHD_NO;
	if (!value)
		value = "";
	u->h[u->n] = (request_header){key, value, key_size, value_size};
	if (u->hs) {
		uintptr_t k = (uintptr_t)key, v = (uintptr_t)value;
		if (k < u->h0 || k - u->h0 >= u->hs || v < u->h0 || v - u->h0 >= u->hs)
			u->outside = 1;
		else
			u->sp[u->n] = (request_span){k - u->h0, key_size, v - u->h0, value_size};
	}
	u->n++;
	return MHD_YES;
}

/* Collects the headers (and with g_inplace where they lie). 0, or -1 without memory. */
static int head_read(head_ud *u, struct MHD_Connection *c, const char *method)
{
	int n = MHD_get_connection_values_n(c, MHD_HEADER_KIND, NULL, NULL);
	memset(u, 0, sizeof(*u));
	u->cap = n > 0 ? (size_t)n : 0;
	if (!(u->h = calloc(u->cap + 1, sizeof(*u->h))) ||
	    !(u->sp = calloc(u->cap + 1, sizeof(*u->sp))))
		return -1;
	{
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
		int k = MHD_get_connection_values_n(c, MHD_COOKIE_KIND, NULL, NULL);
		u->size = ci ? ci->header_size : 0;
		u->ncookies = k > 0 ? (size_t)k : 0;
		if (g_inplace && ci) {
			u->h0 = (uintptr_t)method;
			u->hs = ci->header_size;
		}
	}
	MHD_get_connection_values_n(c, MHD_HEADER_KIND, head_field, u);
	return 0;
}

static void head_free(head_ud *u)
{
	free(u->h);
	free(u->sp);
}

/* Every byte of the head accounted for (request_check_head): 0 or 400. */
static int head_whole(const char **why, const head_ud *u, const req_box *b, const char *method,
                      const char *version)
{
	uintptr_t t = b->target_at, v = (uintptr_t)version;
	if (!u->hs)
		return 0; /* not libmicrohttpd 0.9.75, or it did not tell the head's size */
	if (u->outside || t < u->h0 || t - u->h0 >= u->hs || v < u->h0 || v - u->h0 >= u->hs) {
		*why = "the request must not hold a NUL byte, nor a header continued on the next "
		       "line";
		return 400;
	}
	return request_check_head(why, method, u->hs, t - u->h0, b->target_len, v - u->h0, u->sp,
	                          u->n);
}

/* An answer before the body (which is not read: the connection is closed after it). */
static enum MHD_Result answer_early(request *r, int status, const char *msg, const char *logged)
{
	if (!r->path)
		r->path = strdup(logged);
	resp_error(r, status, "%s", msg);
	r->early = 1;
	return MHD_YES;
}

/* The first call for a request: the line, target and headers checked, routed, limits checked.
 * Returns MHD_YES to go on (maybe with a response queued already). */
static enum MHD_Result begin(struct MHD_Connection *c, req_box *b, const char *method,
                             const char *version)
{
	request *r = &b->r;
	head_ud u;
	request_framing fr = {0};
	const char *why = NULL, *path_why = NULL;
	char *path = NULL;
	size_t plen = 0;
	int st, path_st;
	unsigned allow = 0;

	r->conn = c;
	r->resp.fd = -1;
	r->t_start = now_ms();
	new_id(r->id);
	client_addr(r, c);
	r->method_name = method;
	if (!b->target || head_read(&u, c, method) < 0) {
		if (b->target)
			head_free(&u);
		return answer_early(r, 500, "out of memory", "(no memory)");
	}
	/* Over the size limits, libmicrohttpd's pool for the connection may have too little room
	 * left to build an answer's headers (it then closes the connection without a word): this
	 * answer is written on the socket and the connection closed. Within them, the pool keeps
	 * room for any answer (POOL_SIZE). */
	if ((st = request_check_size(&why, u.h, u.n, u.size, u.ncookies)) != 0) {
		head_free(&u);
		r->path = strdup("(headers too large)");
		resp_error(r, st, "%s", why);
		r->resp.sent =
		    answer_on_socket(socket_of(c), st, r->id, r->resp.body, r->resp.len, 0);
		b->on_socket = 1;
		return MHD_YES;
	}
	/* a NUL byte the client sent, anywhere in the line or the headers */
	if ((st = head_whole(&why, &u, b, method, version)) != 0) {
		head_free(&u);
		return answer_early(r, st, why, "(bad request)");
	}
	if ((st = request_target(&plen, &why, b->target, b->target_len)) != 0) {
		head_free(&u);
		return answer_early(r, st, why, "(bad path)");
	}
	path_st = request_path(&path, &r->seg_buf, r->seg, &r->nseg, SRV_MAX_SEGS, &path_why,
	                       b->target, plen);
	r->path = path; /* the decoded path when there is one, for the log */
	if (!(r->method = request_method(method, strlen(method)))) {
		head_free(&u);
		return answer_early(r, 405, "method not allowed", "(bad path)");
	}
	st = request_check_headers(&fr, &why, u.h, u.n, strcmp(version, "HTTP/1.0") != 0);
	head_free(&u);
	if (st)
		return answer_early(r, st, why, "(bad path)");
	if (path_st) {
		r->nseg = 0;
		return answer_early(r, path_st, path_why, "(bad path)");
	}
	if (plen < b->target_len &&
	    (st = request_check_query(&why, b->target + plen + 1, b->target_len - plen - 1)) != 0)
		return answer_early(r, st, why, "(bad path)");
	/* the API, the calendar feeds (/feeds/plans/TOKEN.ics, read without a login) and the
	 * DCAT-AP documents of the public datasets (/dcat/…, h_dcat.c), and the operator's
	 * /healthz, /readyz and /metrics (h_ops.c), where monitors and load balancers look for them
	 */
	if ((r->nseg >= 1 && (!strcmp(r->seg[0], "api") || !strcmp(r->seg[0], "feeds") ||
	                      !strcmp(r->seg[0], "dcat"))) ||
	    (r->nseg == 1 && (!strcmp(r->seg[0], "healthz") || !strcmp(r->seg[0], "readyz") ||
	                      !strcmp(r->seg[0], "metrics")))) {
		int rc = router_match(r, &allow);
		if (rc == HL_ECONFLICT) {
			if (allow & M_GET)
				allow |= M_HEAD;
			char a[96] = "";
			size_t n = 0;
			static const char *names[] = {"GET",    "HEAD",  "POST",   "PUT",
			                              "DELETE", "PATCH", "OPTIONS"};
			for (int i = 0; i < 7; i++)
				if (allow & (1u << i))
					n += (size_t)snprintf(a + n, sizeof(a) - n, "%s%s",
					                      n ? ", " : "", names[i]);
			resp_header(r, "Allow", a);
			resp_error(r, 405, "%s is not allowed here (allowed: %s)", method, a);
			r->early = 1;
			return MHD_YES;
		}
	}
	/* A large body only those who may ingest may send: who asks is known before it is read
	 * (ROUTE_INGEST_FIRST; the library's rule, asked again by the ingest); anyone else is
	 * answered at once, nothing of it kept. The same with the route's own question
	 * (ROUTE_CHECK_FIRST). */
	if (r->route && (r->route->flags & (ROUTE_INGEST_FIRST | ROUTE_CHECK_FIRST))) {
		int rc = open_and_resolve(r);
		if (rc == 0 && (r->route->flags & ROUTE_INGEST_FIRST))
			rc = hl_auth_check(&r->who, HL_ACT_INGEST);
		else if (rc == 0) {
			/* ROUTE_CHECK_FIRST: the handler asks the library's own question (who may
			 * load this dataset) before a byte of the body is read */
			r->precheck = 1;
			rc = r->route->fn(r);
			r->precheck = 0;
		}
		if (rc < 0)
			resp_from_rc(r, rc);
		if (rc != 0) {
			/* as for a 413: a small body is read and dropped so that the client reads
			 * the answer rather than a reset; a large one is not read at all */
			if (fr.has_length && fr.length <= SRV_DISCARD_MAX)
				r->discard = 1;
			else
				r->early = 1;
			return MHD_YES;
		}
	}
	/* The body's size is checked from Content-Length before any of it is read. */
	{
		size_t max = r->route && r->route->max_body ? r->route->max_body : SRV_MAX_BODY;
		if (fr.has_length && fr.length > max) {
			resp_error(r, 413, "the body is larger than %zu bytes", max);
			/* ROUTE_TELL_TOO_BIG: the handler records it and answers (no body) */
			if (r->route && (r->route->flags & ROUTE_TELL_TOO_BIG) &&
			    (r->archive = thread_archive())) {
				r->too_big = 1;
				r->route->fn(r);
			}
			/* A body a little too large is read and dropped, so the client reads the
			 * 413 instead of a reset while it still sends; a huge one is answered at
			 * once and the connection closed unread. */
			if (fr.length - max <= SRV_DISCARD_MAX)
				r->discard = 1;
			else
				r->early = 1;
			return MHD_YES;
		}
		r->body_cap = max;
	}
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	req_box *b = *con_cls;
	request *r;
	(void)cls, (void)url; /* the path is decoded from the target as received (uri_logged) */

	if (!b || !b->begun) {
		/* uri_logged made the box; without memory then, one without the target (a 500) */
		if (!b && !(b = calloc(1, sizeof(*b))))
			return MHD_NO;
		*con_cls = b;
		b->begun = 1;
		atomic_fetch_add(&g_in_flight, 1);
		atomic_fetch_add(&g_started, 1);
		begin(c, b, method, version);
		if (b->on_socket)
			return MHD_NO; /* answered: libmicrohttpd closes the connection */
		if (b->r.early)
			return send_response(c, &b->r);
		return MHD_YES;
	}
	r = &b->r;
	if (r->discard) {
		if (*upload_data_size) {
			*upload_data_size = 0;
			return MHD_YES;
		}
		return send_response(c, r);
	}
	if (r->early) {
		/* answered already: drop whatever body follows */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		if (r->body_len + n > r->body_cap) {
			/* A body without Content-Length (chunked) that grows past the limit: the
			 * connection is closed at once, nothing more is read (libmicrohttpd 0.9.75
			 * cannot queue a 413 in the middle of a body; it is logged as 413). */
			r->too_big = 1;
			return MHD_NO;
		}
		if (!r->body_buf || r->body_len + n + 1 > r->body_alloc) {
			size_t cap = r->body_alloc ? r->body_alloc * 2 : 4096;
			char *nb;
			while (cap < r->body_len + n + 1)
				cap *= 2;
			if (!(nb = realloc(r->body_buf, cap)))
				return MHD_NO;
			r->body_buf = nb, r->body_alloc = cap;
		}
		memcpy(r->body_buf + r->body_len, upload_data, n);
		r->body_len += n;
		r->body_buf[r->body_len] = 0;
		*upload_data_size = 0;
		return MHD_YES;
	}
	r->body = r->body_buf;
	{
		/* The request is in: the deadline guards against slow clients, not slow work. */
		conn_ctx *x = conn_of(c);
		if (x)
			atomic_store_explicit(&x->responding, 1, memory_order_relaxed);
	}
	dispatch(r);
	return send_response(c, r);
}

/* ---- the access log ----
 *
 * One line a request on stderr, gathered per worker thread and written by whole lines: a
 * worker appends its line to its own buffer (its own lock, which only the flusher ever shares)
 * and writes the buffer with one write() when the next line would not fit; the reaper thread
 * writes what every buffer holds every LOG_FLUSH_MS, and hl_server_stop writes the rest. So
 * a line reaches stderr at most LOG_FLUSH_MS after its request (a process killed by SIGKILL
 * or a crash loses at most that much of the log) and a busy server makes one write() for a
 * few dozen requests instead of one (or, through an unbuffered stderr, several) per request.
 * A buffer is PIPE_BUF (4 KiB) at most, so that a write to a pipe is atomic and lines of
 * different threads never mix; a longer line (a long path) is written alone. Other messages
 * (errors, libmicrohttpd's) are written to stderr at once and may come before the access
 * lines of earlier requests. */
#define LOG_BUF      4096
#define LOG_FLUSH_MS 250

typedef struct log_buf {
	struct log_buf *next; /* every thread's buffer, under g_log_mu */
	pthread_mutex_t mu;
	size_t len;
	time_t ts_sec; /* the second ts holds */
	char ts[24];
	char buf[LOG_BUF];
} log_buf;

static pthread_mutex_t g_log_mu = PTHREAD_MUTEX_INITIALIZER;
static log_buf *g_logs;
static atomic_uint g_log_gen; /* a new server: the threads' old buffers are gone */

static void log_write(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(STDERR_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* stderr closed or full: the log is lost, the request is not */
		p += w, n -= (size_t)w;
	}
}

static void log_flush_locked(log_buf *b)
{
	log_write(b->buf, b->len);
	b->len = 0;
}

/* Writes every thread's buffered lines: the stop waits for each buffer (wait != 0); the reaper's
 * timer skips a buffer its worker holds (the worker is writing it, or about to). */
static void log_flush_all(int wait)
{
	pthread_mutex_lock(&g_log_mu);
	for (log_buf *b = g_logs; b; b = b->next) {
		if (wait)
			pthread_mutex_lock(&b->mu);
		else if (pthread_mutex_trylock(&b->mu) != 0)
			continue;
		if (b->len)
			log_flush_locked(b);
		pthread_mutex_unlock(&b->mu);
	}
	pthread_mutex_unlock(&g_log_mu);
}

/* Writes the rest and frees every buffer: after the workers have stopped. */
static void log_close(void)
{
	log_flush_all(1);
	pthread_mutex_lock(&g_log_mu);
	while (g_logs) {
		log_buf *b = g_logs;
		g_logs = b->next;
		pthread_mutex_destroy(&b->mu);
		free(b);
	}
	atomic_fetch_add(&g_log_gen, 1);
	pthread_mutex_unlock(&g_log_mu);
}

static log_buf *log_mine(void)
{
	static _Thread_local log_buf *mine;
	static _Thread_local unsigned gen;
	unsigned g = atomic_load(&g_log_gen);
	if (mine && gen == g)
		return mine;
	if (!(mine = calloc(1, sizeof(*mine))))
		return NULL;
	pthread_mutex_init(&mine->mu, NULL);
	mine->ts_sec = (time_t)-1;
	gen = g;
	pthread_mutex_lock(&g_log_mu);
	mine->next = g_logs;
	g_logs = mine;
	pthread_mutex_unlock(&g_log_mu);
	return mine;
}

/* s escaped for the log (control characters, quote and backslash as \xNN) into out (at
 * least 4 * strlen(s) + 1 bytes). Returns the length. */
static size_t log_escape(char *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\') {
			out[n++] = '\\', out[n++] = 'x';
			out[n++] = hex[*p >> 4], out[n++] = hex[*p & 15];
		} else {
			out[n++] = (char)*p;
		}
	}
	out[n] = 0;
	return n;
}

/* The access line of a request: time (UTC), id, client, method, "path" (never the query
 * string), status, bytes, milliseconds, user name or "-". */
/* The method as it may stand in a log line: a token of at most 16 letters A-Z (what HTTP
 * methods are), else "(bad method)" — the client chooses it (a 405 logs it as sent). */
static const char *log_method(const char *m)
{
	size_t i = 0;
	if (!m)
		return "?";
	for (; m[i]; i++)
		if (i >= 16 || m[i] < 'A' || m[i] > 'Z')
			return "(bad method)";
	return i ? m : "(bad method)";
}

static void log_request(const request *r, int aborted)
{
	/* the path is at most SRV_MAX_PATH bytes (else "(bad path)"), 4 bytes each escaped */
	char line[4 * SRV_MAX_PATH + 512];
	char path[4 * SRV_MAX_PATH + 1];
	log_buf *b = log_mine();
	time_t t = time(NULL);
	double ms = now_ms() - r->t_start;
	long tenths = ms > 0 ? (long)(ms * 10 + 0.5) : 0;
	size_t n;
	int k;

	if (r->path && strlen(r->path) > SRV_MAX_PATH)
		snprintf(path, sizeof(path), "(long path)");
	else if (r->path && !strncmp(r->path, "/feeds/", 7))
		/* a calendar feed's path is its secret token: never in the log */
		snprintf(path, sizeof(path), "/feeds/…");
	else
		log_escape(path, r->path);
	if (!b) {
		char ts[24];
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		k = snprintf(line, sizeof(line), "%s %s %s %s \"%s\" %d %llu %ld.%ldms %s%s\n", ts,
		             r->id, r->client, log_method(r->method_name), path,
		             r->too_big ? 413 : r->resp.status, (unsigned long long)r->resp.sent,
		             tenths / 10, tenths % 10, r->who.username[0] ? r->who.username : "-",
		             aborted ? " (aborted)" : "");
		if (k > 0) {
			n = (size_t)k < sizeof(line) ? (size_t)k : sizeof(line) - 1;
			line[n - 1] = '\n'; /* a cut line still ends its own */
			log_write(line, n);
		}
		return;
	}
	pthread_mutex_lock(&b->mu);
	if (t != b->ts_sec) {
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(b->ts, sizeof(b->ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		b->ts_sec = t;
	}
	k = snprintf(line, sizeof(line), "%s %s %s %s \"%s\" %d %llu %ld.%ldms %s%s\n", b->ts,
	             r->id, r->client, log_method(r->method_name), path,
	             r->too_big ? 413 : r->resp.status, (unsigned long long)r->resp.sent,
	             tenths / 10, tenths % 10, r->who.username[0] ? r->who.username : "-",
	             aborted ? " (aborted)" : "");
	n = k < 0 ? 0 : (size_t)k < sizeof(line) ? (size_t)k : sizeof(line) - 1;
	if (n)
		line[n - 1] = '\n'; /* a cut line still ends its own */
	if (b->len + n > LOG_BUF && b->len)
		log_flush_locked(b);
	if (n > LOG_BUF) {
		log_write(line, n);
	} else {
		memcpy(b->buf + b->len, line, n);
		b->len += n;
	}
	pthread_mutex_unlock(&b->mu);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	req_box *b = *con_cls;
	request *r = b ? &b->r : NULL;
	conn_ctx *x = conn_of(c);
	(void)cls;
	if (x) {
		/* the clock of the next request on this connection starts now */
		atomic_store_explicit(&x->t0, now_ms(), memory_order_relaxed);
		atomic_store_explicit(&x->responding, 0, memory_order_release);
	}
	if (!b)
		return;
	*con_cls = NULL;
	free(b->target);
	if (!b->begun) {
		/* libmicrohttpd refused it (or the client left) before its headers were in: no
		 * handler saw it, nothing to log (as before the target was kept) */
		free(b);
		return;
	}
	if (!g_opts.quiet)
		log_request(r, toe != MHD_REQUEST_TERMINATED_COMPLETED_OK);
	/* counted for GET /metrics: route, method, status class, duration (h_ops.c) */
	ops_request_done(r, now_ms() - r->t_start);
	free((char *)r->path);
	free(r->seg_buf);
	free(r->body_buf);
	free(r->csrf);
	free(r->session_id);
	if (r->scope.loaded)
		hl_auth_fonds_free(r->scope.codes, r->scope.n);
	free(r->resp.body);
	if (r->resp.fd >= 0)
		close(r->resp.fd);
	while (r->resp.hdrs) {
		resp_hdr *h = r->resp.hdrs;
		r->resp.hdrs = h->next;
		free(h->name);
		free(h->value);
		free(h);
	}
	free(b);
	atomic_fetch_sub(&g_in_flight, 1);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	conn_ctx *x = *socket_context;
	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (!ci || !(x = calloc(1, sizeof(*x))))
			return;
		x->fd = ci->connect_fd;
		atomic_init(&x->t0, now_ms());
		atomic_init(&x->responding, 0);
		pthread_mutex_lock(&g_conn_mu);
		x->next = g_conns;
		if (g_conns)
			g_conns->prev = x;
		g_conns = x;
		pthread_mutex_unlock(&g_conn_mu);
		*socket_context = x;
	} else if (x) {
		pthread_mutex_lock(&g_conn_mu);
		if (x->prev)
			x->prev->next = x->next;
		else
			g_conns = x->next;
		if (x->next)
			x->next->prev = x->prev;
		pthread_mutex_unlock(&g_conn_mu);
		free(x);
		*socket_context = NULL;
	}
}

static void *reaper(void *arg)
{
	(void)arg;
	while (!atomic_load(&g_reaper_stop)) {
		struct timespec ts = {0, LOG_FLUSH_MS * 1000 * 1000};
		double now = now_ms();
		pthread_mutex_lock(&g_conn_mu);
		for (conn_ctx *x = g_conns; x; x = x->next)
			if (!atomic_load_explicit(&x->responding, memory_order_acquire) &&
			    !x->reaped &&
			    now - atomic_load_explicit(&x->t0, memory_order_relaxed) >
			        SRV_TIMEOUT * 1000.0) {
				shutdown(x->fd, SHUT_RDWR);
				x->reaped = 1;
			}
		pthread_mutex_unlock(&g_conn_mu);
		log_flush_all(0);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* libmicrohttpd's epoll loop (MHD_epoll in daemon.c: 0.9.75, and later versions alike) takes at
 * most 128 events from a call of epoll_wait; when it gets exactly 128 it calls epoll_wait again
 * for the rest — with the same timeout, up to the connection timeout (30 s) — before it serves
 * any of the 128. When nothing else happens meanwhile, the worker sleeps with 128 requests in
 * hand: 128 connections of a worker whose requests arrived together (wrk's 256 on two workers)
 * went unanswered for the rest of a run, and the next run met "Server reached connection limit"
 * while they were still counted (test_a_full_batch_of_requests_is_answered). libmicrohttpd's
 * calls to epoll_wait reach this one (the executable's symbol comes before libc's), which does
 * not wait when the same thread's previous call filled the array: the rest of a batch is only
 * gathered. For any other caller a batch may at worst end early. */
int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
	static _Thread_local int full;
	int n = epoll_pwait(epfd, events, maxevents, full ? 0 : timeout, NULL);
	full = n == maxevents;
	return n;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	if (g_opts.quiet)
		return;
	fprintf(stderr, "halong serve: http: ");
	vfprintf(stderr, fmt, ap);
}

int hl_server_start(hl_server **out, const hl_server_opts *o)
{
	hl_server *s;
	hl_archive *probe = NULL;
	struct sockaddr_storage ss = {0};
	struct addrinfo hints = {0}, *ai = NULL;
	unsigned threads = o->threads;
	unsigned flags =
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	struct rlimit rl;
	unsigned conn_limit = SRV_MAX_CONN;
	char port[8], host[64];
	int rc;

	if (sodium_init() < 0)
		return hl_error_set(HL_ERROR, "libsodium cannot start");
	{
		/* A client gone while a file is sent (sendfile) must not kill the process. */
		struct sigaction sa;
		if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
			signal(SIGPIPE, SIG_IGN);
	}
	pthread_once(&g_key_once, make_key);
	free(g_home);
	if (!(g_home = hl_archive_home(o->home)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	/* The data directory must open now, not at the first request. */
	if ((rc = hl_archive_open(&probe, g_home)) < 0)
		return rc;
	/* What a crashed writer left in the queue enters the index now; the writer is closed
	 * with the probe (a writer holding the lock elsewhere is not an error). */
	if (hl_archive_index_sync(NULL, probe, NULL, NULL) < 0 && hl_error_code() != HL_ECONFLICT)
		fprintf(stderr,
		        "halong serve: the search index could not be brought up to date: %s\n",
		        hl_error_last());
	/* Jobs a killed server left running are interrupted now, with their last progress. */
	jobs_recover(probe);
	hl_archive_free(probe);
	g_opts = *o;
	g_opts.home = g_home;
	g_inplace = !strcmp(MHD_get_version(), "0.9.75");
	if (!g_inplace)
		fprintf(stderr,
		        "halong serve: libmicrohttpd %s, not 0.9.75: three checks of a request's "
		        "head are off (a NUL byte in a header value, a NUL byte sent raw in the "
		        "target, the guard answering many query parameters at once): they read "
		        "0.9.75's buffer, whose layout only that version is known to have\n",
		        MHD_get_version());
	if (!g_opts.host)
		g_opts.host = "127.0.0.1";
	if (!g_opts.web_dir)
		g_opts.web_dir = hl_config_web_dir(); /* $HALONG_WEB_ROOT, else the shipped one */

	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(port, sizeof(port), "%u", (unsigned)g_opts.port);
	if ((rc = getaddrinfo(g_opts.host, port, &hints, &ai)) != 0 || !ai)
		return hl_error_set(HL_EINVALID, "cannot listen on %s: %s", g_opts.host,
		                    gai_strerror(rc));
	memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	freeaddrinfo(ai);

	if (!threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 ? (unsigned)n : 1;
	}
	if (threads > 256)
		threads = 256;
	/* Each connection is a descriptor; keep some for the archive (SQLite, Xapian, files). */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < conn_limit + 64 + 16 * threads)
		conn_limit = rl.rlim_cur > 64 + 16 * threads + 16
		                 ? (unsigned)(rl.rlim_cur - 64 - 16 * threads)
		                 : 16;

	if (!(s = calloc(1, sizeof(*s))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	s->o = g_opts;
	/* No MHD_OPTION_LISTENING_ADDRESS_REUSE: a second server on a port in use must fail, not
	 * share the port's connections (SO_REUSEPORT). */
	s->d = MHD_start_daemon(
	    flags, g_opts.port, NULL, NULL, on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
	    NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
	    threads, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)POOL_SIZE,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)SRV_PER_IP, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)SRV_TIMEOUT, MHD_OPTION_CONNECTION_LIMIT, conn_limit,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION,
	    on_connection, NULL, MHD_OPTION_URI_LOG_CALLBACK, uri_logged, NULL,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_END);
	if (!s->d) {
		free(s);
		return hl_error_set(HL_EIO,
		                    "cannot listen on %s:%u (in use, or not an address of "
		                    "this machine)",
		                    g_opts.host, (unsigned)g_opts.port);
	}
	atomic_store(&g_reaper_stop, 0);
	if (pthread_create(&g_reaper, NULL, reaper, NULL) != 0) {
		MHD_stop_daemon(s->d);
		free(s);
		return hl_error_set(HL_ERROR, "cannot start a thread");
	}
	{
		const union MHD_DaemonInfo *di =
		    MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
		unsigned p = di ? di->port : g_opts.port;
		snprintf(host, sizeof(host), "%s", g_opts.host);
		snprintf(s->url, sizeof(s->url),
		         strchr(host, ':') ? "http://[%s]:%u" : "http://%s:%u", host, p);
	}
	/* The exchange sender delivers the outbox while the server runs (src/server/sender.c). */
	if (sender_start(g_home) < 0)
		fprintf(stderr, "halong serve: %s; messages wait in the outbox\n", hl_error_last());
	*out = s;
	return 0;
}

const char *hl_server_url(hl_server *s)
{
	return s->url;
}

void hl_server_stop(hl_server *s)
{
	MHD_socket fd;
	double until;
	if (!s)
		return;
	/* Stop accepting first, then give requests in flight their time. */
	fd = MHD_quiesce_daemon(s->d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	/* Accepted connections whose request waits for a busy worker begin only once it is free:
	 * "nothing in flight" must hold for a moment without a new request beginning. Idle
	 * keep-alive connections begin nothing and are closed by MHD_stop_daemon. */
	until = now_ms() + SRV_SHUTDOWN_WAIT * 1000.0;
	while (now_ms() < until) {
		struct timespec ts = {0, 20 * 1000 * 1000};
		if (atomic_load(&g_in_flight) == 0) {
			unsigned started = atomic_load(&g_started);
			struct timespec settle = {0, 250 * 1000 * 1000};
			nanosleep(&settle, NULL);
			if (atomic_load(&g_in_flight) == 0 && atomic_load(&g_started) == started)
				break;
			continue;
		}
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(s->d);
	atomic_store(&g_reaper_stop, 1);
	pthread_join(g_reaper, NULL);
	log_close(); /* the workers are gone: the last access lines */
	/* The exchange sender finishes the delivery in flight and stops. */
	sender_stop();
	/* Background jobs (ingest, OCR) are asked to stop at a safe point and joined. */
	jobs_shutdown();
	free(s);
}
