/* String helpers: duplication and trimming. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "halong/util.h"

char *hl_strdup(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

static int is_ascii_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Moves the kept text to the start, so the pointer returned is the one given (still the one
 * to free). */
char *hl_trim(char *s)
{
	if (!s)
		return NULL;
	size_t b = 0, e = strlen(s);
	while (b < e && is_ascii_space((unsigned char)s[b]))
		b++;
	while (e > b && is_ascii_space((unsigned char)s[e - 1]))
		e--;
	if (b)
		memmove(s, s + b, e - b);
	s[e - b] = '\0';
	return s;
}

void hl_xml_write(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		default:
			/* control characters are not allowed in XML 1.0 */
			if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r')
				fputc(' ', f);
			else
				fputc(*s, f);
		}
	}
}

void hl_str_cut_utf8(char *s)
{
	size_t n = strlen(s), i = n;
	unsigned char c;
	while (i > 0 && n - i < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
		i--;
	if (!i)
		return;
	c = (unsigned char)s[i - 1];
	if (c >= 0xC0 && n - (i - 1) < (size_t)(c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2))
		s[i - 1] = '\0';
}

/* Length of the valid UTF-8 character at p (1 to 4), or 0. */
static size_t utf8_char(const unsigned char *p)
{
	size_t n;
	unsigned c = p[0];
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	/* overlong forms, surrogates and past U+10FFFF are not characters */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

void hl_str_one_line(char *s)
{
	unsigned char *p = (unsigned char *)s;
	hl_str_cut_utf8(s);
	while (*p) {
		size_t n = utf8_char(p);
		if (!n) /* a value quoted whole or cut by a %.Ns: a byte of no character */
			*p++ = '?';
		else if (n == 1 && (*p < 0x20 || *p == 0x7f))
			*p++ = ' ';
		else if (n == 2 && p[0] == 0xC2 && p[1] <= 0x9F) /* C1 controls (CSI...) */
			p[0] = p[1] = ' ', p += 2;
		else
			p += n;
	}
}

uint32_t hl_str_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		h = (h ^ *p) * 16777619u;
	/* FNV's low bits follow the input's low bits (the 200 queries of the search mix fell in
	 * 32 of 64 cache sets): mixed so that every bit counts */
	h ^= h >> 16, h *= 0x7feb352du;
	h ^= h >> 15, h *= 0x846ca68bu;
	return h ^ (h >> 16);
}
