/* Words typed in Telex or VNI without an input method ("quyeets", "quye6t1" for "quyết"): the
 * Vietnamese syllable they spell, for a search that finds nothing under the letters typed. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "halong/text.h"
#include "search_int.h"

/* Longest word taken: a syllable is at most 7 letters ("nghiêng"), plus its keys. */
#define TYPED_MAX 16

enum { TONE_NONE, TONE_ACUTE, TONE_GRAVE, TONE_HOOK, TONE_TILDE, TONE_DOT };

static const int32_t tone_mark[] = {0, 0x0301, 0x0300, 0x0309, 0x0303, 0x0323};

static bool is_vowel(int32_t c)
{
	return strchr("aeiouy", c < 0x80 ? (int)c : 0) != NULL || c == 0xE2 /* â */ ||
	       c == 0x103 /* ă */ || c == 0xEA /* ê */ || c == 0xF4 /* ô */ || c == 0x1A1 /* ơ */ ||
	       c == 0x1B0 /* ư */;
}

/* Applies a vowel key to the last run of vowels of b[0..n): `circ` (aa, ee, oo; VNI 6) on
 * the last of a, e, o; `horn` (w; VNI 7) on "uo" as ươ, else on the last u or o, else (Telex
 * w) a as ă; `breve` (VNI 8) on the last a. False when there is nothing to apply it to. */
static bool apply_key(int32_t *b, size_t n, int key)
{
	size_t end = n, start;
	while (end > 0 && !is_vowel(b[end - 1]))
		end--;
	start = end;
	while (start > 0 && is_vowel(b[start - 1]))
		start--;
	if (start == end)
		return false;
	for (size_t i = end; i-- > start;) {
		int32_t c = b[i];
		if (key == '6' && (c == 'a' || c == 'e' || c == 'o')) {
			b[i] = c == 'a' ? 0xE2 : c == 'e' ? 0xEA : 0xF4;
			return true;
		}
		if (key == '8' && c == 'a') {
			b[i] = 0x103;
			return true;
		}
	}
	if (key != '7' && key != 'w')
		return false;
	for (size_t i = start; i + 1 < end; i++)
		if (b[i] == 'u' && b[i + 1] == 'o') {
			b[i] = 0x1B0, b[i + 1] = 0x1A1;
			return true;
		}
	for (size_t i = end; i-- > start;)
		if (b[i] == 'u' || b[i] == 'o') {
			b[i] = b[i] == 'u' ? 0x1B0 : 0x1A1;
			return true;
		}
	for (size_t i = end; key == 'w' && i-- > start;)
		if (b[i] == 'a') {
			b[i] = 0x103;
			return true;
		}
	return false;
}

/* The vowel that carries the tone (the old style; hl_text_lower puts it where it always does):
 * a vowel with a diacritic (ơ of ươ), else the last before a final consonant, else the first of
 * two and the middle of three. "qu" and "gi" before a vowel are consonants. */
static size_t tone_at(const int32_t *b, size_t n, size_t start, size_t end)
{
	if (start < end && start > 0 &&
	    ((b[start - 1] == 'q' && b[start] == 'u') ||
	     (b[start - 1] == 'g' && b[start] == 'i')) &&
	    end - start > 1)
		start++;
	for (size_t i = end; i-- > start;)
		if (b[i] >= 0x80)
			return i;
	if (end < n)
		return end - 1;
	return end - start == 3 ? start + 1 : start;
}

static bool has_prefix_in(const int32_t *b, size_t n, const char *const *set, size_t *len)
{
	for (size_t k = 0; set[k]; k++) {
		size_t l = strlen(set[k]);
		bool same = l <= n;
		for (size_t i = 0; same && i < l; i++)
			same =
			    b[i] == (unsigned char)set[k][i] || (set[k][i] == 'D' && b[i] == 0x111);
		if (same) {
			*len = l;
			return true;
		}
	}
	return false;
}

/* A Vietnamese syllable's shape: an initial consonant (or none), vowels, a final consonant (or
 * none); stops (c, ch, p, t) take only the acute or dot tone. */
static bool syllable(const int32_t *b, size_t n, int tone, size_t *vstart, size_t *vend)
{
	static const char *const initials[] = {
	    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr", "b", "c", "d",
	    "D",   "g",  "h",  "k",  "l",  "m",  "n",  "p",  "r",  "s",  "t",  "v", "x", NULL};
	static const char *const finals[] = {"ng", "nh", "ch", "c", "m", "n", "p",
	                                     "t",  "i",  "o",  "u", "y", NULL};
	size_t i = 0, l = 0, v;
	if (has_prefix_in(b, n, initials, &l))
		i = l;
	if (l == 2 && b[0] == 'q' && (i >= n || !is_vowel(b[i])))
		return false;
	if (l == 2 && b[0] == 'g' && b[1] == 'i' && (i >= n || !is_vowel(b[i])))
		i = 1; /* "gì": g and the vowel i */
	v = i;
	while (i < n && is_vowel(b[i]))
		i++;
	if (i == v || i - v > 3)
		return false;
	*vstart = v, *vend = i;
	if (i == n)
		return true;
	if (!has_prefix_in(b + i, n - i, finals, &l) || i + l != n || is_vowel(b[i]))
		return false;
	if ((b[i] == 'c' || b[i] == 'p' || b[i] == 't') && tone != TONE_ACUTE && tone != TONE_DOT &&
	    tone != TONE_NONE)
		return false;
	return true;
}

static size_t put_utf8(char *o, int32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xC0 | (c >> 6));
		o[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	o[0] = (char)(0xE0 | (c >> 12));
	o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
	o[2] = (char)(0x80 | (c & 0x3F));
	return 3;
}

int hl_search__untype(char **out, const char *w, size_t n)
{
	int32_t b[TYPED_MAX];
	size_t k = 0, vs = 0, ve = 0;
	int tone = TONE_NONE;
	bool changed = false, telex = false, vni = false;
	char u[4 * TYPED_MAX + 8];
	size_t ul = 0;

	*out = NULL;
	if (n < 2 || n > TYPED_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = w[i];
		bool vowel_seen = false;
		for (size_t j = 0; j < k; j++)
			vowel_seen |= is_vowel(b[j]);
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			return 0;
		if (c == 'd' && i + 1 < n && (w[i + 1] == 'd' || w[i + 1] == '9') && k == 0) {
			telex |= w[i + 1] == 'd', vni |= w[i + 1] == '9';
			b[k++] = 0x111, i++, changed = true;
			continue;
		}
		if ((c == 'a' || c == 'e' || c == 'o') && i + 1 < n && w[i + 1] == c &&
		    k < TYPED_MAX) {
			b[k++] = c;
			if (!apply_key(b, k, '6'))
				return 0;
			telex = true, changed = true, i++;
			continue;
		}
		if (c == 'w' && !vowel_seen && k < TYPED_MAX) {
			b[k++] = 0x1B0; /* w alone is ư ("nhw": như) */
			telex = true, changed = true;
			continue;
		}
		if (c == 'w' || c == '6' || c == '7' || c == '8') {
			if (!apply_key(b, k, c))
				return 0;
			telex |= c == 'w', vni |= c != 'w', changed = true;
			continue;
		}
		/* after a vowel, s f r x j (Telex) and 1 to 5 (VNI) are tones: no syllable ends
		 * with those letters */
		const char *tk = vowel_seen ? strchr("sfrxj", c) : NULL;
		bool tv = vowel_seen && c >= '1' && c <= '5';
		if (tk || tv) {
			if (tone != TONE_NONE)
				return 0; /* two tones */
			tone = tk ? (int)(tk - "sfrxj") + 1 : c - '0';
			telex |= tk != NULL, vni |= tv, changed = true;
			continue;
		}
		if ((c >= '0' && c <= '9') || k >= TYPED_MAX)
			return 0;
		b[k++] = c;
	}
	/* one scheme, something changed, and what it spells is a syllable */
	if (!changed || (telex && vni) || !syllable(b, k, tone, &vs, &ve))
		return 0;
	size_t at = tone ? tone_at(b, k, vs, ve) : SIZE_MAX;
	for (size_t i = 0; i < k; i++) {
		ul += put_utf8(u + ul, b[i]);
		if (i == at)
			ul += put_utf8(u + ul, tone_mark[tone]);
	}
	return hl_text_lower(out, u, (long)ul) == 0 ? 1 : -1;
}
