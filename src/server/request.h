/* The checks of an HTTP request's line, target, path, query and headers, on plain bytes and
 * lengths — no libmicrohttpd type — so that a fuzz target can call them with anything
 * (server-private; server.c gives them what libmicrohttpd received).
 *
 * Each check returns 0 when the request may go on, or the HTTP status to answer (400, 413, 414,
 * 431; 500 when memory runs out) with *why set to a static sentence for the user. None of them
 * reads a byte outside the lengths it is given. */
#ifndef SERVER_REQUEST_H
#define SERVER_REQUEST_H

#include <stddef.h>
#include <stdint.h>

/* Limits (docs/api.md "Limits and behaviour"), besides those of server_int.h. With
 * SRV_MAX_HEADERS they bound what a head takes of libmicrohttpd's 32 KiB memory pool for the
 * connection, so that every head within them is answered (server.c, POOL_SIZE). */
#define REQUEST_MAX_ARGS    32          /* query parameters */
#define REQUEST_MAX_QUERY   (4u << 10)  /* bytes of the query string as sent (414 over) */
#define REQUEST_MAX_FIELDS  50          /* header fields */
#define REQUEST_MAX_COOKIES 50          /* cookies, all Cookie headers together */
#define REQUEST_MAX_HEAD    (12u << 10) /* the request line and the headers, as received */

/* The method's bit of http_method (server_int.h: M_GET, M_POST...), or 0 for another method.
 * Compared with its length: "GET\0X" is not GET. */
unsigned request_method(const char *m, size_t len);

/* Is s[0..n) valid UTF-8 (no overlong form, no surrogate, nothing past U+10FFFF) without NUL? */
int request_utf8_valid(const char *s, size_t n);

/* The request target as sent (before any decoding): no byte below 0x21 and no DEL (RFC 9112
 * 3.2: a target holds no whitespace; a control character in it is no client's). *path_len: the
 * length of the path, up to the first '?'; the query is what follows the '?'. 0 or 400. */
int request_target(size_t *path_len, const char **why, const char *t, size_t len);

/* The path part of a target (raw bytes, up to '?'): %XX decoded as libmicrohttpd does (a '%' not
 * followed by two hex digits stays as it is), then checked and cut at '/' into at most `cap`
 * segments (empty segments dropped). 414 when the decoded path is over SRV_MAX_PATH bytes or
 * has more than `cap` segments; 400 for a NUL byte (%00: "ID%00.evil" must not serve ID),
 * invalid UTF-8, or a "." or ".." segment; 500 without memory.
 *
 * *path (the decoded path, NUL-terminated, malloc'd) is set whenever it could be decoded into a
 * valid string — also with a 414 or a bad segment, so that the caller can log it — and is NULL
 * otherwise; *segbuf (malloc'd) holds the segments seg[0..*nseg) only on success. The caller
 * frees both. */
int request_path(char **path, char **segbuf, const char **seg, size_t *nseg, size_t cap,
                 const char **why, const char *raw, size_t len);

/* How many parameters libmicrohttpd 0.9.75 makes of a query string (raw, without the '?'): one
 * for each '&'-separated piece, empty pieces included, an empty last piece excepted. */
size_t request_query_count(const char *q, size_t len);

/* The query string (raw, without the '?'): at most REQUEST_MAX_QUERY bytes (else 414) and
 * REQUEST_MAX_ARGS parameters (else 400); each name and value, decoded ('+' a space, %XX),
 * valid UTF-8 without NUL (else 400). */
int request_check_query(const char **why, const char *q, size_t len);

/* A request header as received. */
typedef struct {
	const char *name, *value;
	size_t name_len, value_len;
} request_header;

/* What the headers say of the body. */
typedef struct {
	int has_length;  /* Content-Length was given */
	uint64_t length; /* its value; UINT64_MAX when it does not fit */
	int chunked;     /* Transfer-Encoding: chunked */
} request_framing;

/* The size of a request's head, before anything else is looked at: 431 for headers over
 * SRV_MAX_HEADERS bytes (counted as "Name: value\r\n"), more than REQUEST_MAX_FIELDS of them
 * or more than REQUEST_MAX_COOKIES cookies, or a head (head_len bytes as received; 0: not known)
 * over REQUEST_MAX_HEAD (414 when most of it is the request line). Each header and cookie takes a
 * record of libmicrohttpd's memory pool for the connection: within these limits the pool keeps room
 * for the answer (server.c). */
int request_check_size(const char **why, const request_header *h, size_t n, size_t head_len,
                       size_t ncookies);

/* The headers of a request (http11: the version is HTTP/1.1 or a later 1.x): 400 for a name that is
 * not a token (RFC 9110 5.1: a space before the colon, "Content-Length : 5", is how requests are
 * smuggled past a proxy), a control character other than tab in a value (NUL, CR, DEL), no Host in
 * HTTP/1.1 or more than one Host (RFC 9112 3.2), more than one Content-Length (even equal ones: see
 * request.c) or one that is not plain digits, a Transfer-Encoding other than one "chunked", a
 * Transfer-Encoding with a Content-Length, or in HTTP/1.0 (RFC 9112 6.1 and 6.3). *out is set on
 * success. */
int request_check_headers(request_framing *out, const char **why, const request_header *h, size_t n,
                          int http11);

/* Where a header lies in a request's head (offsets from the head's first byte). */
typedef struct {
	size_t name_off, name_len, value_off, value_len;
} request_span;

/* libmicrohttpd 0.9.75 parses a request's head in place and hands out its parts as C strings:
 * a NUL byte inside a header value ("X-A: ab\0cd") or the target silently cuts it, and a line
 * holding only a NUL ends the headers early (the rest is read as a second request). This checks
 * that every byte of the head is accounted for as libmicrohttpd left it: `head` (head_len bytes)
 * is the head from the method's first byte to the end of the empty line, where libmicrohttpd has
 * put a NUL in place of the space after the method, of the space before the version, of each
 * header's colon and of each CR and LF ending a line; the target starts at target_off and was
 * target_len bytes long as a C string before libmicrohttpd decoded it in place; the version
 * starts at version_off; f[0..n) are the headers in the order received. A NUL byte the client
 * sent shows as a byte not accounted for: 400. (A NUL just before a line's LF reads the same as
 * the CR of a CRLF, and cuts nothing.) A header not inside the head (libmicrohttpd moves a
 * header continued on the next line, obs-fold, which RFC 9112 5.2 lets a server refuse) is
 * 400 too. */
int request_check_head(const char **why, const char *head, size_t head_len, size_t target_off,
                       size_t target_len, size_t version_off, const request_span *f, size_t n);

#endif
