/* The canonical encoding of JSON that signatures cover, UUIDv7 ids, signing with a context,
 * base64 keys and the checks on unit codes and message types. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exchange_int.h"
#include "halong/text.h"
#include "halong/util.h"

/* Integers a JavaScript or JSON reader elsewhere keeps exactly: |n| <= 2^53 - 1. */
#define MAX_SAFE_INT 9007199254740991LL

typedef struct {
	char *p;
	size_t n, cap;
	int err;
} buf;

static void put(buf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->err = HL_ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

/* 1 when s (len bytes) is well-formed UTF-8 made only of code points below U+0300 or in Latin
 * Extended Additional (U+1E00-U+1EFF: the precomposed Vietnamese letters): such a string is in
 * NFC already (each of these characters has combining class 0 and NFC_Quick_Check=Yes, so no
 * character decomposes and no two compose; tests/unit/exchange checks every pair against
 * utf8proc). Anything else, or anything malformed, goes through utf8proc. */
int hl_exchange__nfc_quick(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	while (p < e) {
		unsigned c = *p;
		if (c < 0x80) {
			p++;
		} else if (c >= 0xC2 && c <= 0xCB) { /* U+0080-U+02FF */
			if (e - p < 2 || (p[1] & 0xC0) != 0x80)
				return 0;
			p += 2;
		} else if (c == 0xE1) { /* U+1E00-U+1EFF: E1 B8-BB xx */
			if (e - p < 3 || p[1] < 0xB8 || p[1] > 0xBB || (p[2] & 0xC0) != 0x80)
				return 0;
			p += 3;
		} else {
			return 0;
		}
	}
	return 1;
}

/* A string: NFC, then '"' and '\\' escaped, control characters as \b \f \n \r \t or \u00xx;
 * everything else as its UTF-8 bytes (RFC 8785's rule for strings). */
static int put_string(buf *b, const char *s, size_t len)
{
	char *nfc = NULL;
	int rc;
	if (memchr(s, '\0', len))
		return hl_error_set(HL_EINVALID, "canonical JSON: a string holds a NUL character");
	if (!hl_exchange__nfc_quick(s, len) && (rc = hl_text_nfc(&nfc, s, (long)len)) < 0)
		return hl_error_set(HL_EINVALID, "canonical JSON: a string is not valid UTF-8");
	put(b, "\"", 1);
	for (const unsigned char *c = (const unsigned char *)(nfc ? nfc : s); *c; c++) {
		char esc[8];
		switch (*c) {
		case '"':
			put(b, "\\\"", 2);
			break;
		case '\\':
			put(b, "\\\\", 2);
			break;
		case '\b':
			put(b, "\\b", 2);
			break;
		case '\f':
			put(b, "\\f", 2);
			break;
		case '\n':
			put(b, "\\n", 2);
			break;
		case '\r':
			put(b, "\\r", 2);
			break;
		case '\t':
			put(b, "\\t", 2);
			break;
		default:
			if (*c < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", *c);
				put(b, esc, 6);
			} else {
				put(b, (const char *)c, 1);
			}
		}
	}
	put(b, "\"", 1);
	free(nfc);
	return 0;
}

typedef struct {
	char *nfc; /* the key in NFC: sorted and compared in this form */
	json_t *v;
} member;

static int cmp_member(const void *a, const void *b)
{
	return strcmp(((const member *)a)->nfc, ((const member *)b)->nfc);
}

static int put_value(buf *b, const json_t *v, int depth);

/* An object: members sorted by key after NFC, two keys equal once in NFC refused. */
static int put_object(buf *b, const json_t *v, int depth)
{
	int rc = 0;
	size_t n = json_object_size(v), k = 0;
	member *m = calloc(n ? n : 1, sizeof(*m));
	const char *key;
	json_t *val;
	if (!m)
		return hl_error_set(HL_ENOMEM, "out of memory");
	json_object_foreach((json_t *)v, key, val)
	{
		if (hl_exchange__nfc_quick(key, strlen(key))
		        ? !(m[k].nfc = hl_strdup(key))
		        : hl_text_nfc(&m[k].nfc, key, -1) < 0) {
			rc = hl_error_set(HL_EINVALID, "canonical JSON: a key is not valid UTF-8");
			break;
		}
		m[k++].v = val;
	}
	if (rc == 0) {
		qsort(m, k, sizeof(*m), cmp_member);
		put(b, "{", 1);
		for (size_t i = 0; i < k && rc == 0; i++) {
			/* Two keys equal once in NFC would sign one meaning for two texts.
			 */
			if (i && !strcmp(m[i].nfc, m[i - 1].nfc)) {
				rc = hl_error_set(HL_EINVALID,
				                  "canonical JSON: key \"%s\" appears twice",
				                  m[i].nfc);
				break;
			}
			if (i)
				put(b, ",", 1);
			if ((rc = put_string(b, m[i].nfc, strlen(m[i].nfc))) == 0) {
				put(b, ":", 1);
				rc = put_value(b, m[i].v, depth + 1);
			}
		}
		put(b, "}", 1);
	}
	for (size_t i = 0; i < k; i++)
		free(m[i].nfc);
	free(m);
	return rc;
}

static int put_value(buf *b, const json_t *v, int depth)
{
	char num[32];
	int rc = 0;

	if (depth > HL_EXCHANGE_MAX_DEPTH)
		return hl_error_set(HL_EINVALID, "canonical JSON: nested deeper than %d levels",
		                    HL_EXCHANGE_MAX_DEPTH);
	switch (json_typeof(v)) {
	case JSON_NULL:
		put(b, "null", 4);
		return 0;
	case JSON_TRUE:
		put(b, "true", 4);
		return 0;
	case JSON_FALSE:
		put(b, "false", 5);
		return 0;
	case JSON_REAL:
		return hl_error_set(HL_EINVALID,
		                    "canonical JSON: %g is not an integer (only integers "
		                    "are signed)",
		                    json_real_value(v));
	case JSON_INTEGER: {
		json_int_t i = json_integer_value(v);
		if (i > MAX_SAFE_INT || i < -MAX_SAFE_INT)
			return hl_error_set(HL_EINVALID,
			                    "canonical JSON: integer %lld is beyond +-(2^53 - 1)",
			                    (long long)i);
		int n = snprintf(num, sizeof(num), "%lld", (long long)i);
		put(b, num, (size_t)n);
		return 0;
	}
	case JSON_STRING:
		return put_string(b, json_string_value(v), json_string_length(v));
	case JSON_ARRAY: {
		put(b, "[", 1);
		for (size_t i = 0; i < json_array_size(v) && rc == 0; i++) {
			if (i)
				put(b, ",", 1);
			rc = put_value(b, json_array_get(v, i), depth + 1);
		}
		put(b, "]", 1);
		return rc;
	}
	case JSON_OBJECT:
		return put_object(b, v, depth);
	}
	return hl_error_set(HL_EINVALID, "canonical JSON: unknown value");
}

int hl_canon_encode(char **out, size_t *outlen, const json_t *v)
{
	buf b = {0};
	int rc = put_value(&b, v, 0);
	if (rc == 0 && b.err)
		rc = hl_error_set(HL_ENOMEM, "out of memory");
	if (rc < 0) {
		free(b.p);
		return rc;
	}
	*out = b.p;
	if (outlen)
		*outlen = b.n;
	return 0;
}

void hl_canon_why(json_error_t *e)
{
	size_t n = strlen(e->text), at = 0, bad; /* jansson ends it with a NUL */
	while (at < n && hl_text_check_utf8(e->text + at, n - at, &bad) != 0) {
		e->text[at + bad] = '?';
		at += bad + 1;
	}
}

json_t *hl_canon_parse(const char *text, size_t len, const char *what)
{
	json_error_t e;
	json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
	if (!v) {
		hl_canon_why(&e);
		hl_error_set(HL_EINVALID, "%s: not valid JSON at line %d column %d: %s", what,
		             e.line, e.column, e.text);
	}
	return v;
}

int hl_exchange_canonical(char **out, size_t *outlen, const char *json, size_t len)
{
	json_t *v = hl_canon_parse(json, len, "canonical JSON");
	int rc;
	if (!v)
		return HL_EINVALID;
	rc = hl_canon_encode(out, outlen, v);
	json_decref(v);
	return rc;
}

/* ---- UUIDv7 (RFC 9562 section 5.7) ---- */

void hl_exchange_uuid7(char out[37], int64_t ms)
{
	unsigned char u[16];
	uint64_t t = (uint64_t)(ms > 0 ? ms : hl_exchange__now_ms());
	randombytes_buf(u + 6, 10);
	/* unix_ts_ms: 48 bits, big-endian */
	for (int i = 0; i < 6; i++)
		u[i] = (unsigned char)(t >> (8 * (5 - i)));
	u[6] = (unsigned char)(0x70 | (u[6] & 0x0f)); /* version 7 */
	u[8] = (unsigned char)(0x80 | (u[8] & 0x3f)); /* variant 10 */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
	         u[13], u[14], u[15]);
}

/* ---- keys and signatures ---- */

void hl_exchange__b64(char *out, size_t outsize, const unsigned char *bin, size_t len)
{
	sodium_bin2base64(out, outsize, bin, len, sodium_base64_VARIANT_ORIGINAL);
}

/* out[0..len) from exactly the standard base64 of len bytes (what hl_exchange__b64 writes),
 * else -1: libsodium's decoder also takes some strings with other bytes in them, and a key or a
 * signature must be one string, compared as such (the directory, the peers' table, a canonical
 * text that normalises what is not base64). */
static int b64_exact(unsigned char *out, size_t len, const char *b64)
{
	char again[HL_X_SIG_B64]; /* the longest: a signature */
	size_t n = 0;
	if (!b64 ||
	    sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL) > sizeof(again) ||
	    strlen(b64) != sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL) - 1 ||
	    sodium_base642bin(out, len, b64, strlen(b64), NULL, &n, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n != len)
		return -1;
	sodium_bin2base64(again, sizeof(again), out, len, sodium_base64_VARIANT_ORIGINAL);
	return strcmp(again, b64) ? -1 : 0;
}

int hl_exchange__key_decode(unsigned char pk[crypto_sign_PUBLICKEYBYTES], const char *b64)
{
	if (b64_exact(pk, crypto_sign_PUBLICKEYBYTES, b64) < 0)
		return hl_error_set(HL_EINVALID,
		                    "public key \"%.60s\": not 32 bytes in standard base64 (44 "
		                    "characters)",
		                    b64 ? b64 : "");
	return 0;
}

/* ctx + msg in one buffer: Ed25519 signs a message, not a stream. */
static unsigned char *framed(size_t *n, const char *ctx, const char *msg, size_t len)
{
	size_t c = strlen(ctx);
	unsigned char *p = malloc(c + len + 1);
	if (!p)
		return NULL;
	memcpy(p, ctx, c);
	memcpy(p + c, msg, len);
	*n = c + len;
	return p;
}

void hl_exchange__sign(char sig[HL_X_SIG_B64], const hl_node *n, const char *ctx, const char *msg,
                       size_t len)
{
	unsigned char s[crypto_sign_BYTES];
	size_t fl = 0;
	unsigned char *f = framed(&fl, ctx, msg, len);
	if (!f) {
		sig[0] = '\0';
		return;
	}
	crypto_sign_detached(s, NULL, f, fl, n->sk);
	free(f);
	hl_exchange__b64(sig, HL_X_SIG_B64, s, sizeof(s));
}

int hl_exchange__verify(const char *sig, const char *public_key, const char *ctx, const char *msg,
                        size_t len)
{
	unsigned char s[crypto_sign_BYTES], pk[crypto_sign_PUBLICKEYBYTES];
	size_t fl = 0;
	unsigned char *f;
	int rc;
	if (b64_exact(s, sizeof(s), sig) < 0)
		return -1;
	if (hl_exchange__key_decode(pk, public_key) < 0)
		return -1;
	if (!(f = framed(&fl, ctx, msg, len)))
		return -1;
	rc = crypto_sign_verify_detached(s, f, fl, pk);
	free(f);
	return rc == 0 ? 0 : -1;
}

/* ---- time and names ---- */

int hl_exchange__is_hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

int hl_exchange__is_uuid(const char *s)
{
	if (!s || strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return 0;
		}
	}
	return 1;
}

/* The last occurrence of `needle` in h[0..n). */
const char *hl_exchange__last_of(const char *h, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = n >= k ? n - k + 1 : 0; i-- > 0;)
		if (h[i] == needle[0] && !memcmp(h + i, needle, k))
			return h + i;
	return NULL;
}

void hl_exchange__hex32(char out[65], const unsigned char *d)
{
	sodium_bin2hex(out, 65, d, 32);
}

int64_t hl_exchange__now_ms(void)
{
	struct timespec ts;
	const char *shift = getenv("HALONG_EXCHANGE_CLOCK_SHIFT_MS");
	clock_gettime(CLOCK_REALTIME, &ts);
	/* A node's clock set wrong, for the tests of the skew check (docs/exchange.md). */
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	       (shift ? strtoll(shift, NULL, 10) : 0);
}

void hl_exchange__ms_iso(char out[32], int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", (tm.tm_year + 1900) % 10000,
	         (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
	         tm.tm_sec % 100, (unsigned)((ms % 1000 + 1000) % 1000));
}

int hl_exchange__valid_unit(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 32)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

int hl_exchange__valid_type(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' ||
		      *s == '-'))
			return 0;
	return 1;
}

int hl_exchange__check_types(const char *list, const char *what)
{
	char *copy, *save = NULL;
	int rc = 0;
	if (!list || !*list || !strcmp(list, "*"))
		return 0;
	if (strlen(list) > 4096)
		return hl_error_set(HL_ELIMIT, "%s: longer than 4096 bytes", what);
	if (!(copy = hl_strdup(list)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (!hl_exchange__valid_type(t)) {
			rc = hl_error_set(HL_EINVALID,
			                  "%s: \"%s\" is not a message type ([a-z0-9.-], 1-64 "
			                  "characters)",
			                  what, t);
			break;
		}
	if (rc == 0 && (list[0] == ',' || list[strlen(list) - 1] == ',' || strstr(list, ",,")))
		rc = hl_error_set(HL_EINVALID, "%s: an empty type in \"%s\"", what, list);
	free(copy);
	return rc;
}

int hl_exchange__list_has(const char *list, const char *type)
{
	size_t n = strlen(type);
	if (!list || !*list)
		return 0;
	if (!strcmp(list, "*"))
		return 1;
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && !strncmp(p, type, n))
			return 1;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}
