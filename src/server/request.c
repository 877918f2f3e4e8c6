/* The checks of a request's line, target, path, query and headers on plain bytes (request.h):
 * what server.c applies before any handler runs, and what a fuzz target calls directly. */
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "server_int.h"

unsigned request_method(const char *m, size_t len)
{
	static const struct {
		const char *name;
		size_t len;
		unsigned m;
	} t[] = {{"GET", 3, M_GET},        {"HEAD", 4, M_HEAD},     {"POST", 4, M_POST},
	         {"PUT", 3, M_PUT},        {"DELETE", 6, M_DELETE}, {"PATCH", 5, M_PATCH},
	         {"OPTIONS", 7, M_OPTIONS}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (len == t[i].len && !memcmp(m, t[i].name, len))
			return t[i].m;
	return 0;
}

int request_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t k;
		uint32_t cp;
		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3, cp = c & 0x07;
		else
			return 0;
		if (i + k >= n)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		/* overlong forms, surrogates, beyond U+10FFFF */
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

static int bad(const char **why, int status, const char *msg)
{
	*why = msg;
	return status;
}

int request_target(size_t *path_len, const char **why, const char *t, size_t len)
{
	const char *q;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c <= 0x20 || c == 0x7f)
			return bad(why, 400,
			           "the request target must not hold a space or a control "
			           "character");
	}
	q = memchr(t, '?', len);
	*path_len = q ? (size_t)(q - t) : len;
	return 0;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* s[0..len) with %XX decoded into out (room for len bytes), '+' a space if plus; the length.
 * A '%' not followed by two hex digits stays as it is (libmicrohttpd's MHD_http_unescape). */
static size_t decode(char *out, const char *s, size_t len, int plus)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int hi, lo;
		if (c == '%' && i + 2 < len && (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)s[i + 2])) >= 0) {
			out[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[n++] = plus && c == '+' ? ' ' : (char)c;
		}
	}
	return n;
}

int request_path(char **path, char **segbuf, const char **seg, size_t *nseg, size_t cap,
                 const char **why, const char *raw, size_t len)
{
	char *p = NULL, *s = NULL;
	size_t n, k = 0;
	int st = 0;

	*path = *segbuf = NULL;
	*nseg = 0;
	/* three raw bytes decode into one at least: longer is too long whatever it says */
	if (len > 3 * (size_t)SRV_MAX_PATH)
		return bad(why, 414, "the path is too long");
	if (!(p = malloc(len + 1)))
		return bad(why, 500, "out of memory");
	n = decode(p, raw, len, 0);
	p[n] = 0;
	if (memchr(p, 0, n)) {
		st = bad(why, 400, "the path must not hold a NUL byte (%00)");
		goto fail;
	}
	if (!request_utf8_valid(p, n)) {
		st = bad(why, 400, "bad path");
		goto fail;
	}
	*path = p; /* a valid string from here on: the caller may log it */
	if (n > SRV_MAX_PATH)
		return bad(why, 414, "the path is too long");
	if (!(s = malloc(n + 1)))
		return bad(why, 500, "out of memory");
	memcpy(s, p, n + 1);
	/* cut at each '/', empty segments dropped */
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && s[j] != '/')
			j++;
		s[j] = 0;
		if (j > i) {
			const char *t = s + i;
			if (k == cap) {
				free(s);
				return bad(why, 414, "the path is too long");
			}
			if (!strcmp(t, ".") || !strcmp(t, "..")) {
				free(s);
				return bad(why, 400, "bad path");
			}
			seg[k++] = t;
		}
		i = j + 1;
	}
	*segbuf = s;
	*nseg = k;
	return 0;
fail:
	free(p);
	return st;
}

size_t request_query_count(const char *q, size_t len)
{
	size_t n = 0;
	if (!len)
		return 0;
	for (size_t i = 0; i < len; i++)
		n += q[i] == '&';
	return q[len - 1] == '&' ? n : n + 1;
}

/* Is s[0..len), decoded as a query's name or value, valid UTF-8 without NUL? buf has room. */
static int arg_ok(char *buf, const char *s, size_t len)
{
	size_t n = decode(buf, s, len, 1);
	return request_utf8_valid(buf, n);
}

int request_check_query(const char **why, const char *q, size_t len)
{
	char *buf;
	size_t i = 0;
	int st = 0;
	if (len > REQUEST_MAX_QUERY)
		return bad(why, 414, "the query string is longer than 4096 bytes");
	if (request_query_count(q, len) > REQUEST_MAX_ARGS)
		return bad(why, 400, "at most 32 query parameters");
	if (!(buf = malloc(len + 1)))
		return bad(why, 500, "out of memory");
	while (i < len) {
		const char *amp = memchr(q + i, '&', len - i);
		size_t end = amp ? (size_t)(amp - q) : len;
		const char *eq = memchr(q + i, '=', end - i);
		size_t klen = eq ? (size_t)(eq - (q + i)) : end - i;
		if (!arg_ok(buf, q + i, klen) ||
		    (eq && !arg_ok(buf, eq + 1, end - (size_t)(eq + 1 - q)))) {
			st = bad(why, 400, "query parameters must be valid UTF-8 without NUL");
			break;
		}
		i = end + 1;
	}
	free(buf);
	return st;
}

/* The messages below name the limits. */
_Static_assert(SRV_MAX_HEADERS == 8192 && REQUEST_MAX_FIELDS == 50 && REQUEST_MAX_COOKIES == 50 &&
                   REQUEST_MAX_HEAD == 12288 && REQUEST_MAX_ARGS == 32 && REQUEST_MAX_QUERY == 4096,
               "the messages of request.c name these limits");

int request_check_size(const char **why, const request_header *h, size_t n, size_t head_len,
                       size_t ncookies)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += h[i].name_len + h[i].value_len + 4; /* "Name: value\r\n" */
	if (total > SRV_MAX_HEADERS)
		return bad(why, 431, "the request headers are larger than 8192 bytes");
	if (n > REQUEST_MAX_FIELDS)
		return bad(why, 431, "more than 50 header fields");
	if (ncookies > REQUEST_MAX_COOKIES)
		return bad(why, 431, "more than 50 cookies");
	if (head_len > REQUEST_MAX_HEAD)
		return head_len - total > REQUEST_MAX_HEAD / 2
		           ? bad(why, 414, "the request target is too long")
		           : bad(why, 431,
		                 "the request line and headers are larger than 12288 bytes");
	return 0;
}

/* RFC 9110 5.6.2: tchar. */
static int is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Are a[0..n) and the C string b equal, ASCII letters in either case? */
static int same_word(const char *a, size_t n, const char *b)
{
	if (strlen(b) != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return 1;
}

static int name_is(const request_header *h, const char *name)
{
	return same_word(h->name, h->name_len, name);
}

int request_check_headers(request_framing *out, const char **why, const request_header *h, size_t n,
                          int http11)
{
	size_t hosts = 0, lengths = 0, encodings = 0;
	uint64_t length = 0;
	int length_bad = 0, chunked = 0;

	for (size_t i = 0; i < n; i++) {
		const request_header *x = &h[i];
		if (!x->name_len)
			return bad(why, 400, "a header without a name");
		for (size_t j = 0; j < x->name_len; j++)
			if (!is_tchar((unsigned char)x->name[j]))
				return bad(why, 400,
				           "a header name must be a token (no space, no control "
				           "character)");
		for (size_t j = 0; j < x->value_len; j++) {
			unsigned char c = (unsigned char)x->value[j];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return bad(why, 400,
				           "a header value must not hold a control character");
		}
		if (name_is(x, "Host")) {
			hosts++;
		} else if (name_is(x, "Content-Length")) {
			lengths++;
			length = 0;
			if (!x->value_len)
				length_bad = 1;
			for (size_t j = 0; j < x->value_len; j++) {
				unsigned d = (unsigned char)x->value[j] - (unsigned)'0';
				if (d > 9) {
					length_bad = 1;
					break;
				}
				length =
				    length > (UINT64_MAX - d) / 10 ? UINT64_MAX : length * 10 + d;
			}
		} else if (name_is(x, "Transfer-Encoding")) {
			encodings++;
			chunked = same_word(x->value, x->value_len, "chunked");
		}
	}
	if (http11 && !hosts)
		return bad(why, 400, "an HTTP/1.1 request must have a Host header");
	if (hosts > 1)
		return bad(why, 400, "more than one Host header");
	/* Two Content-Length headers are refused even when they agree: RFC 9110 8.6 lets a
	 * recipient merge identical values, but no client sends two, and a proxy in front may
	 * read them otherwise (the first, the last, or a list) — refusing leaves no reading
	 * between which a request could be smuggled. */
	if (lengths > 1)
		return bad(why, 400, "more than one Content-Length header");
	if (length_bad)
		return bad(why, 400, "Content-Length must be a number (digits only)");
	if (encodings > 1 || (encodings && !chunked))
		return bad(why, 400, "the only Transfer-Encoding accepted is one \"chunked\"");
	if (encodings && lengths)
		return bad(why, 400, "Content-Length and Transfer-Encoding together");
	if (encodings && !http11)
		return bad(why, 400, "Transfer-Encoding in an HTTP/1.0 request");
	out->has_length = lengths == 1;
	out->length = length;
	out->chunked = chunked;
	return 0;
}

/* The length of the C string at s, at most max (strnlen is POSIX, not C17). */
static size_t bounded_len(const char *s, size_t max)
{
	const char *z = memchr(s, 0, max);
	return z ? (size_t)(z - s) : max;
}

/* Are head[from..to) all NUL? */
static int all_nul(const char *head, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (head[i])
			return 0;
	return 1;
}

int request_check_head(const char **why, const char *head, size_t head_len, size_t target_off,
                       size_t target_len, size_t version_off, const request_span *f, size_t n)
{
	static const char *nul = "the request must not hold a NUL byte, nor a header continued "
	                         "on the next line";
	size_t c, m;

	/* the method, the NUL that was the space after it, maybe more spaces */
	if (!target_off || target_off >= head_len || version_off >= head_len)
		return bad(why, 400, nul);
	m = bounded_len(head, target_off);
	if (!m || m == target_off)
		return bad(why, 400, nul);
	for (size_t i = m + 1; i < target_off; i++)
		if (head[i] != ' ')
			return bad(why, 400, nul);
	/* the target, as long as it was as a C string, then the NUL that was the space before
	 * the version: a NUL sent in the target leaves bytes in between */
	if (target_len > head_len || target_off + target_len + 1 != version_off ||
	    head[version_off - 1])
		return bad(why, 400, nul);
	c = version_off + bounded_len(head + version_off, head_len - version_off);
	for (size_t i = 0; i < n; i++) {
		const request_span *x = &f[i];
		/* the end of the previous line: CRLF or LF, each byte a NUL now */
		if (x->name_off < c + 1 || x->name_off > c + 2 || x->name_off >= head_len ||
		    !all_nul(head, c, x->name_off))
			return bad(why, 400, nul);
		/* the name, the NUL that was the colon, spaces and tabs, the value and its end */
		if (x->name_len >= head_len - x->name_off ||
		    memchr(head + x->name_off, 0, x->name_len) || head[x->name_off + x->name_len])
			return bad(why, 400, nul);
		if (x->value_off < x->name_off + x->name_len + 1 || x->value_off >= head_len ||
		    x->value_len >= head_len - x->value_off)
			return bad(why, 400, nul);
		for (size_t j = x->name_off + x->name_len + 1; j < x->value_off; j++)
			if (head[j] != ' ' && head[j] != '\t')
				return bad(why, 400, nul);
		if (memchr(head + x->value_off, 0, x->value_len) ||
		    head[x->value_off + x->value_len])
			return bad(why, 400, nul);
		c = x->value_off + x->value_len;
	}
	/* the last line's end and the empty line: two to four NULs, nothing else */
	if (head_len - c < 2 || head_len - c > 4 || !all_nul(head, c, head_len))
		return bad(why, 400, nul);
	return 0;
}
