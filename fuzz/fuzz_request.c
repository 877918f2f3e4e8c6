/* Fuzz target of the server's request intake (src/server/request.c): a request's head as a
 * client sends it, laid out as libmicrohttpd 0.9.75 leaves it in its buffer (NULs in place of the
 * space after the method, the space before the version, each colon and each CR and LF ending a
 * line; parts handed out as C strings), then checked in the server's order: the sizes, every
 * byte of the head accounted for, the target, the path, the method, the headers, the query.
 *
 * Invariants: each answer is 0 or its documented status with a one-line sentence; the limits
 * hold for what passes (headers, fields, cookies, head, path, segments, query, parameters); a
 * head without a NUL byte passes the NUL check, and one that passes it hides no byte (every byte
 * not a NUL lies in the method, the target, the version, a header's name or value, or the spaces
 * between); a path that passes is the percent-decoding of what was sent, valid UTF-8 without NUL,
 * its segments non-empty, without '/', never "." or "..", so that joined under the web folder it
 * stays there, and encoded again it decodes to the same segments; the framing a proxy could read
 * otherwise (two Hosts or Content-Lengths, a Transfer-Encoding not alone "chunked", a name not a
 * token, a control character in a value) never passes; the two UTF-8 checks of the project (the
 * server's and text/'s) agree. */
#define FUZZ_NAME "fuzz_request"
#include "fuzz_util.h"

#include "request.h"
#include "server_int.h"

/* A head is at most REQUEST_MAX_HEAD bytes; a little more exercises the limit. */
#define FUZZ_MAX_INPUT (REQUEST_MAX_HEAD + 4096)

static void why_ok(const char *why)
{
	CHECK(why && *why && strlen(why) < 200);
	for (const char *p = why; *p; p++)
		CHECK(*p >= 0x20 && *p < 0x7f);
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

/* The oracle of decoding: %XX (two hex digits) is a byte, anything else itself, '+' a space
 * in a query (libmicrohttpd's MHD_http_unescape, and the query's '+'). */
static size_t oracle_decode(char *out, const char *s, size_t len, int plus)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && hexval((unsigned char)s[i + 1]) >= 0 &&
		    hexval((unsigned char)s[i + 2]) >= 0) {
			out[n++] = (char)(hexval((unsigned char)s[i + 1]) * 16 +
			                  hexval((unsigned char)s[i + 2]));
			i += 2;
		} else {
			out[n++] = plus && s[i] == '+' ? ' ' : s[i];
		}
	}
	return n;
}

/* The server's UTF-8 check agrees with text/'s (which takes a NUL as a character). */
static void check_utf8(const char *s, size_t n)
{
	int server = request_utf8_valid(s, n);
	int text = hl_text_check_utf8(s, n, NULL) == 0 && !memchr(s, 0, n);
	if (server != text)
		fprintf(stderr, "%s: request_utf8_valid says %d, hl_text_check_utf8 %d\n",
		        FUZZ_NAME, server, text);
	CHECK(server == text);
}

static void check_method(const char *m, size_t len)
{
	static const char *const names[] = {"GET",    "HEAD",  "POST",   "PUT",
	                                    "DELETE", "PATCH", "OPTIONS"};
	static const unsigned bits[] = {M_GET, M_HEAD, M_POST, M_PUT, M_DELETE, M_PATCH, M_OPTIONS};
	unsigned want = 0, got = request_method(m, len);
	for (size_t i = 0; i < 7; i++)
		if (strlen(names[i]) == len && !memcmp(m, names[i], len))
			want = bits[i];
	CHECK(got == want);
}

/* A segment percent-encoded whole (every byte but the unreserved ones). */
static size_t encode(char *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			out[n++] = (char)*p;
		else
			out[n++] = '%', out[n++] = hex[*p >> 4], out[n++] = hex[*p & 15];
	return n;
}

/* What request_path let through. */
static void check_path_ok(const char *raw, size_t len, const char *path, const char **seg,
                          size_t nseg, int again)
{
	char *want = malloc(len + 1), *enc;
	size_t wn = oracle_decode(want, raw, len, 0), k = 0, at = 0, en = 0;
	CHECK(want);
	CHECK(strlen(path) == wn && !memcmp(path, want, wn));
	CHECK(wn <= SRV_MAX_PATH && request_utf8_valid(path, wn));
	CHECK(nseg <= SRV_MAX_SEGS);
	/* the segments are the path's non-empty pieces between '/' */
	for (size_t i = 0; i <= wn; i++) {
		if (i < wn && path[i] != '/')
			continue;
		if (i > at) {
			CHECK(k < nseg && strlen(seg[k]) == i - at &&
			      !memcmp(seg[k], path + at, i - at));
			k++;
		}
		at = i + 1;
	}
	CHECK(k == nseg);
	/* joined under the web folder, nothing climbs out of it */
	for (size_t i = 0; i < nseg; i++) {
		CHECK(seg[i][0] && !strchr(seg[i], '/'));
		CHECK(strcmp(seg[i], ".") && strcmp(seg[i], ".."));
	}
	/* encoded again, the same segments (within the limits: a byte may take three, and "/a/b"
	 * decodes one byte longer than "a/b") */
	if (!again) {
		char *p2 = NULL, *b2 = NULL;
		const char *s2[SRV_MAX_SEGS], *why = NULL;
		size_t n2 = 0, dn = 0;
		int st;
		CHECK((enc = malloc(3 * wn + nseg + 1)));
		for (size_t i = 0; i < nseg; i++) {
			enc[en++] = '/';
			en += encode(enc + en, seg[i]);
			dn += 1 + strlen(seg[i]); /* "/a/b": one more byte than "a/b" */
		}
		st = request_path(&p2, &b2, s2, &n2, SRV_MAX_SEGS, &why, enc, en);
		if (en <= 3 * (size_t)SRV_MAX_PATH && dn <= SRV_MAX_PATH) {
			CHECK(st == 0 && n2 == nseg);
			for (size_t i = 0; i < nseg; i++)
				CHECK(!strcmp(s2[i], seg[i]));
			check_path_ok(enc, en, p2, s2, n2, 1);
		}
		free(p2);
		free(b2);
		free(enc);
	}
	free(want);
}

static void check_path(const char *raw, size_t len, int again)
{
	char *path = (char *)0x1, *segbuf = (char *)0x1;
	const char *seg[SRV_MAX_SEGS], *why = NULL;
	size_t nseg = 99;
	int st = request_path(&path, &segbuf, seg, &nseg, SRV_MAX_SEGS, &why, raw, len);
	CHECK(path != (char *)0x1 && segbuf != (char *)0x1);
	if (st == 0) {
		CHECK(path && segbuf);
		check_path_ok(raw, len, path, seg, nseg, again);
	} else {
		CHECK(st == 400 || st == 414 || st == 500);
		why_ok(why);
		CHECK(!segbuf && nseg == 0);
		if (len > 3 * (size_t)SRV_MAX_PATH)
			CHECK(st == 414 && !path);
		/* a path kept for the log is a valid string */
		if (path)
			CHECK(request_utf8_valid(path, strlen(path)));
		if (st == 400 && path) {
			/* refused for a "." or ".." segment */
			CHECK(!strcmp(why, "bad path"));
		}
	}
	free(path);
	free(segbuf);
}

static void check_query(const char *q, size_t len)
{
	const char *why = NULL;
	size_t count = 0, pieces = 0;
	int st = request_check_query(&why, q, len), ok = 1;
	char *buf = malloc(len + 1);
	CHECK(buf);
	/* the oracle: '&'-separated pieces, an empty last one not counted */
	for (size_t i = 0, at = 0; i <= len; i++)
		if (i == len || q[i] == '&') {
			pieces++;
			if (ok) {
				const char *eq = memchr(q + at, '=', i - at);
				size_t kl = eq ? (size_t)(eq - (q + at)) : i - at;
				size_t n = oracle_decode(buf, q + at, kl, 1);
				ok = request_utf8_valid(buf, n);
				if (ok && eq) {
					n = oracle_decode(buf, eq + 1, i - at - kl - 1, 1);
					ok = request_utf8_valid(buf, n);
				}
			}
			at = i + 1;
		}
	count = len == 0 ? 0 : q[len - 1] == '&' ? pieces - 1 : pieces;
	CHECK(request_query_count(q, len) == count);
	if (len > REQUEST_MAX_QUERY)
		CHECK(st == 414);
	else if (count > REQUEST_MAX_ARGS)
		CHECK(st == 400);
	else
		CHECK(st == (ok ? 0 : 400));
	if (st)
		why_ok(why);
	free(buf);
}

static int same_word(const char *a, size_t n, const char *b)
{
	if (strlen(b) != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int x = a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i];
		int y = b[i] >= 'A' && b[i] <= 'Z' ? b[i] + 32 : b[i];
		if (x != y)
			return 0;
	}
	return 1;
}

/* What request_check_headers let through, read again. */
static void check_headers_ok(const request_header *h, size_t n, int http11,
                             const request_framing *fr)
{
	size_t hosts = 0, lengths = 0, encodings = 0;
	uint64_t length = 0;
	for (size_t i = 0; i < n; i++) {
		CHECK(h[i].name_len > 0);
		for (size_t j = 0; j < h[i].name_len; j++) {
			unsigned char c = (unsigned char)h[i].name[j];
			CHECK(c > 0x20 && c < 0x7f && !strchr("\"(),/:;<=>?@[\\]{}", c));
		}
		for (size_t j = 0; j < h[i].value_len; j++) {
			unsigned char c = (unsigned char)h[i].value[j];
			CHECK((c >= 0x20 || c == '\t') && c != 0x7f);
		}
		if (same_word(h[i].name, h[i].name_len, "host"))
			hosts++;
		if (same_word(h[i].name, h[i].name_len, "content-length")) {
			lengths++;
			CHECK(h[i].value_len > 0);
			for (size_t j = 0; j < h[i].value_len; j++) {
				unsigned d = (unsigned)(h[i].value[j] - '0');
				CHECK(d <= 9);
				length =
				    length > (UINT64_MAX - d) / 10 ? UINT64_MAX : length * 10 + d;
			}
		}
		if (same_word(h[i].name, h[i].name_len, "transfer-encoding")) {
			encodings++;
			CHECK(same_word(h[i].value, h[i].value_len, "chunked"));
		}
	}
	CHECK(hosts == (http11 ? 1u : hosts) && hosts <= 1);
	CHECK(lengths <= 1 && encodings <= 1 && !(lengths && encodings));
	CHECK(!encodings || http11);
	CHECK(fr->has_length == (lengths == 1) && fr->chunked == (encodings == 1));
	if (lengths)
		CHECK(fr->length == length);
}

/* ---- the head as libmicrohttpd 0.9.75 leaves it ---- */

typedef struct {
	char *buf;       /* the head, NULs written in place */
	size_t head_len; /* from the method to the end of the empty line */
	size_t target_off, target_len, version_off;
	const char *method, *target, *version;
	request_header h[REQUEST_MAX_FIELDS * 4];
	request_span sp[REQUEST_MAX_FIELDS * 4];
	size_t n, ncookies;
	int whole; /* the layout is the one request_check_head knows */
} head;

/* The next line from *pos: its length as sent; its end (CRLF, CR or LF) made NULs. 0 when the
 * buffer holds no line end (libmicrohttpd would wait for more). */
static int next_line(head *x, size_t len, size_t *pos, size_t *line, size_t *line_len)
{
	size_t p = *pos;
	while (p < len && x->buf[p] != '\r' && x->buf[p] != '\n')
		p++;
	if (p >= len)
		return 0;
	*line = *pos;
	*line_len = p - *pos;
	if (x->buf[p] == '\r' && p + 1 < len && x->buf[p + 1] == '\n')
		x->buf[p++] = '\0';
	x->buf[p++] = '\0';
	*pos = p;
	return 1;
}

/* Lays the input out; 0 when libmicrohttpd would refuse it itself (no space in the request
 * line, no method, no colon in a header line, a version other than HTTP/1.0 or 1.1, a head not
 * ended) or
 * when a header is continued on the next line (moved: server.c refuses it, not request.c). */
static int lay_out(head *x, size_t len)
{
	size_t pos = 0, line, line_len;
	char *l, *uri, *v;
	memset(x->h, 0, sizeof(x->h));
	x->n = x->ncookies = 0;
	x->whole = 1;
	if (!next_line(x, len, &pos, &line, &line_len))
		return 0;
	l = x->buf + line;
	if (!l[0] || !(uri = memchr(l, ' ', line_len)))
		return 0;
	if (uri == l)
		return 0; /* no method: not a request libmicrohttpd reads (the NUL check says 400)
		           */
	*uri++ = '\0';
	x->method = l;
	while (*uri == ' ' && (size_t)(uri - l) < line_len)
		uri++;
	if ((size_t)(uri - l) == line_len)
		return 0;
	v = l + line_len - 1;
	while (*v == ' ' && v > uri)
		v--;
	while (*v != ' ' && v > uri)
		v--;
	if (v <= uri)
		return 0;
	*v = '\0';
	x->version = v + 1;
	if (strcmp(x->version, "HTTP/1.1") && strcmp(x->version, "HTTP/1.0"))
		return 0;
	x->target = uri;
	x->target_off = (size_t)(uri - x->buf);
	x->target_len = strlen(uri);
	x->version_off = (size_t)(x->version - x->buf);
	for (;;) {
		char *colon, *val;
		if (!next_line(x, len, &pos, &line, &line_len))
			return 0;
		l = x->buf + line;
		if (!l[0])
			break; /* the empty line (as a C string) */
		if (l[0] == ' ' || l[0] == '\t')
			return 0; /* obs-fold */
		if (!(colon = strchr(l, ':')))
			return 0;
		if (x->n == sizeof(x->h) / sizeof(x->h[0]))
			return 0;
		*colon = '\0';
		val = colon + 1;
		while (*val == ' ' || *val == '\t')
			val++;
		x->h[x->n] = (request_header){l, val, strlen(l), strlen(val)};
		x->sp[x->n] = (request_span){line, strlen(l), (size_t)(val - x->buf), strlen(val)};
		/* libmicrohttpd makes a cookie of each ';'-separated piece */
		if (same_word(l, strlen(l), "cookie") && *val) {
			x->ncookies++;
			for (const char *c = val; (c = strchr(c, ';')); c++)
				x->ncookies++;
		}
		x->n++;
	}
	x->head_len = pos;
	return 1;
}

/* The head passed the NUL check: no byte but NULs outside what the server reads. */
static void check_nothing_hidden(const head *x)
{
	unsigned char *seen = calloc(x->head_len + 1, 1);
	size_t m = strlen(x->method);
	CHECK(seen);
	memset(seen, 1, m);
	for (size_t i = m + 1; i < x->target_off; i++)
		seen[i] = x->buf[i] == ' ';
	memset(seen + x->target_off, 1, x->target_len);
	memset(seen + x->version_off, 1, strlen(x->version));
	for (size_t i = 0; i < x->n; i++) {
		memset(seen + x->sp[i].name_off, 1, x->sp[i].name_len);
		for (size_t j = x->sp[i].name_off + x->sp[i].name_len + 1; j < x->sp[i].value_off;
		     j++)
			seen[j] = x->buf[j] == ' ' || x->buf[j] == '\t';
		memset(seen + x->sp[i].value_off, 1, x->sp[i].value_len);
	}
	for (size_t i = 0; i < x->head_len; i++)
		if (!seen[i] && x->buf[i]) {
			fprintf(stderr, "%s: byte %zu (0x%02x) of the head is read by no one\n",
			        FUZZ_NAME, i, (unsigned char)x->buf[i]);
			CHECK(!"a byte hidden behind a NUL passes");
		}
	free(seen);
}

static void check_head(const uint8_t *data, size_t size)
{
	head x;
	const char *why = NULL;
	request_framing fr = {0};
	size_t plen = 0, len = size;
	int st, http11;

	/* the head as sent, ended by an empty line if the input lacks one */
	CHECK((x.buf = malloc(size + 4)));
	memcpy(x.buf, data, size);
	memcpy(x.buf + size, "\r\n\r\n", 4);
	len += 4;
	if (!lay_out(&x, len))
		goto done;

	/* 1: the sizes, first */
	st = request_check_size(&why, x.h, x.n, x.head_len, x.ncookies);
	{
		size_t total = 0;
		for (size_t i = 0; i < x.n; i++)
			total += x.h[i].name_len + x.h[i].value_len + 4;
		if (st == 0)
			CHECK(total <= SRV_MAX_HEADERS && x.n <= REQUEST_MAX_FIELDS &&
			      x.ncookies <= REQUEST_MAX_COOKIES && x.head_len <= REQUEST_MAX_HEAD);
		else
			CHECK((st == 431 || st == 414) && (why_ok(why), 1));
	}
	/* the same counts with no head size known (0) */
	if (request_check_size(&why, x.h, x.n, 0, x.ncookies) != 0)
		CHECK(st != 0);
	if (st)
		goto done;

	/* 2: every byte of the head accounted for */
	st = request_check_head(&why, x.buf, x.head_len, x.target_off, x.target_len, x.version_off,
	                        x.sp, x.n);
	CHECK(st == 0 || st == 400);
	if (st) {
		why_ok(why);
		/* refused: the client sent a NUL byte somewhere in the head */
		CHECK(memchr(data, 0, size < x.head_len ? size : x.head_len));
		goto done;
	}
	check_nothing_hidden(&x);

	/* 3: the target (the C string the URI log callback got), its path and query */
	st = request_target(&plen, &why, x.target, x.target_len);
	{
		int ctl = 0;
		for (size_t i = 0; i < x.target_len; i++)
			ctl |= (unsigned char)x.target[i] <= 0x20 || x.target[i] == 0x7f;
		CHECK(st == (ctl ? 400 : 0));
	}
	if (st) {
		why_ok(why);
		goto done;
	}
	{
		const char *q = memchr(x.target, '?', x.target_len);
		CHECK(plen == (q ? (size_t)(q - x.target) : x.target_len));
	}
	check_path(x.target, plen, 0);
	check_method(x.method, strlen(x.method));
	http11 = strcmp(x.version, "HTTP/1.0") != 0;
	st = request_check_headers(&fr, &why, x.h, x.n, http11);
	CHECK(st == 0 || st == 400);
	if (st == 0)
		check_headers_ok(x.h, x.n, http11, &fr);
	else
		why_ok(why);
	if (plen < x.target_len)
		check_query(x.target + plen + 1, x.target_len - plen - 1);
done:
	free(x.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char *copy;
	if (size > FUZZ_MAX_INPUT)
		return 0;
	/* The pure checks on the bytes as they are (a copy of exactly their length: a read past
	 * it is ASan's to see). */
	CHECK((copy = malloc(size ? size : 1)));
	memcpy(copy, s, size);
	check_utf8(copy, size);
	check_method(copy, size < 8 ? size : 8);
	check_path(copy, size, 0);
	check_query(copy, size);
	{
		size_t plen = 99;
		const char *why = NULL;
		int st = request_target(&plen, &why, copy, size);
		CHECK(st == 0 || (st == 400 && (why_ok(why), 1)));
	}
	free(copy);
	/* The request's head, laid out and checked in the server's order. */
	check_head(data, size);
	return 0;
}
