/* Vietnamese text: strict UTF-8 checking, NFC, lower case with one canonical tone placement,
 * folding, and the tokenizer that decides every indexed and queried term. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "halong/text.h"

/* Longest input the whole-string functions accept: the u32 working buffer is 4 bytes a code
 * point, so 1 GiB of text already asks for 4 GiB. */
#define TEXT_MAX_INPUT ((size_t)1 << 30)

/* The tokenizer normalises at most this many input bytes of one run. It is far more than any
 * spelling of HL_TEXT_MAX_TOKEN output bytes needs (NFD Vietnamese is at most 5 input bytes for
 * 3 output bytes), so only runs stuffed with combining marks are cut before normalisation. */
#define TOKEN_SCAN_MAX (8 * HL_TEXT_MAX_TOKEN)
/* A canonical decomposition is at most 4 code points, and one byte is at least one code point. */
#define TOKEN_NFD_CAP (4 * TOKEN_SCAN_MAX)

/* Most combining marks in a row. utf8proc orders marks with a quadratic sort (and so does
 * canonical_reorder), so a hostile run of thousands would take minutes; Vietnamese needs two,
 * Unicode's stream-safe format allows 30. hl_text_nfc, hl_text_lower and hl_text_fold count a
 * run the same way (marks_step) and refuse the same inputs. */
#define TEXT_MAX_MARKS 32

#define DECOMPOSE_OPTS (UTF8PROC_DECOMPOSE | UTF8PROC_STABLE)
#define COMPOSE_OPTS   (UTF8PROC_COMPOSE | UTF8PROC_STABLE)

/* The five tone marks, as combining characters after NFD. */
#define TONE_GRAVE     0x0300 /* huyền */
#define TONE_ACUTE     0x0301 /* sắc */
#define TONE_TILDE     0x0303 /* ngã */
#define TONE_HOOK      0x0309 /* hỏi */
#define TONE_DOT_BELOW 0x0323 /* nặng */
/* The three vowel diacritics: â ê ô, ă, ơ ư. */
#define MARK_CIRCUMFLEX 0x0302
#define MARK_BREVE      0x0306
#define MARK_HORN       0x031B

#define D_STROKE_LOWER 0x0111 /* đ */
#define D_STROKE_UPPER 0x0110 /* Đ */

enum { MODE_NFC, MODE_LOWER, MODE_FOLD };

/* 1 for ASCII letters and digits: the tokenizer's fast path. */
static const unsigned char ascii_alnum[128] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
    ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1,
    ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1,
    ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
    ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static inline unsigned char ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* Decodes one code point of strict UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above
 * U+10FFFF). Returns its length in bytes, or 0 if the bytes at p do not start a valid one. */
static inline size_t utf8_decode(const unsigned char *p, size_t n, int32_t *cp)
{
	unsigned c = p[0];

	if (c < 0x80) {
		*cp = (int32_t)c;
		return 1;
	}
	if (c < 0xC2 || c > 0xF4 || n < 2 || (p[1] & 0xC0) != 0x80)
		return 0;
	if (c < 0xE0) {
		*cp = (int32_t)(((c & 0x1F) << 6) | (p[1] & 0x3F));
		return 2;
	}
	if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0) ||
	    (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
		return 0;
	if (n < 3 || (p[2] & 0xC0) != 0x80)
		return 0;
	if (c < 0xF0) {
		*cp = (int32_t)(((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F));
		return 3;
	}
	if (n < 4 || (p[3] & 0xC0) != 0x80)
		return 0;
	*cp = (int32_t)(((c & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) |
	                (p[3] & 0x3F));
	return 4;
}

static inline size_t utf8_encode(unsigned char *d, int32_t cp)
{
	uint32_t c = (uint32_t)cp;

	if (c < 0x80) {
		d[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		d[0] = (unsigned char)(0xC0 | (c >> 6));
		d[1] = (unsigned char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		d[0] = (unsigned char)(0xE0 | (c >> 12));
		d[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
		d[2] = (unsigned char)(0x80 | (c & 0x3F));
		return 3;
	}
	d[0] = (unsigned char)(0xF0 | (c >> 18));
	d[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
	d[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
	d[3] = (unsigned char)(0x80 | (c & 0x3F));
	return 4;
}

static inline size_t utf8_len(int32_t cp)
{
	return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

int hl_text_check_utf8(const char *s, size_t len, size_t *bad_at)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	int32_t cp;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		size_t n = utf8_decode(p + i, len - i, &cp);
		if (!n) {
			if (bad_at)
				*bad_at = i;
			return hl_error_set(HL_EINVALID, "invalid UTF-8 at byte %zu", i);
		}
		i += n;
	}
	return 0;
}

/* Letters that look exactly like Đ and are typed (or left by old converters) in its place: Ð and
 * ð (Latin eth, U+00D0/U+00F0) and Ɖ (African D, U+0189). The real corpus has "Ðiều". */
static inline bool is_d_lookalike(int32_t c)
{
	return c == 0x00D0 || c == 0x00F0 || c == 0x0189;
}

/* Lower case of an NFD sequence. It is done after decomposition because lowering a precomposed
 * letter can lose a mark (U+0130 "İ" lowers to a plain "i") where lowering its base cannot, and
 * the NFC and NFD spellings of a word must give the same term. */
static void lower_cps(int32_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = is_d_lookalike(b[i]) ? D_STROKE_LOWER
		       : b[i] < 0x80        ? ascii_lower((unsigned char)b[i])
		                            : utf8proc_tolower(b[i]);
}

/* Invisible characters that do not end a word and vanish from terms: soft hyphen ("ng\u00ADười"
 * is in the corpus), joiners, bidi marks, variation selectors: Unicode's default ignorables,
 * except ZERO WIDTH SPACE, which marks a word break. */
static inline bool is_invisible(int32_t c)
{
	return c >= 0xAD && c != 0x200B && utf8proc_get_property(c)->ignorable;
}

static inline int ccc(int32_t c)
{
	return c < 0x300 ? 0 : utf8proc_get_property(c)->combining_class;
}

/* Canonical ordering (a stable sort of each run of combining marks by combining class). Needed
 * again after characters are removed from NFD: an invisible CGJ (class 0) between two marks kept
 * them apart, and without it they must be ordered as NFD would. */
static void canonical_reorder(int32_t *b, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		int32_t c = b[i];
		int k = ccc(c);
		if (k == 0)
			continue;
		size_t j = i;
		while (j > 0 && ccc(b[j - 1]) > k) {
			b[j] = b[j - 1];
			j--;
		}
		b[j] = c;
	}
}

/* How a code point counts in a run of combining marks, for the limit that hl_text_nfc,
 * hl_text_lower and hl_text_fold share. The run is counted on the canonical decomposition, so
 * that canonically equivalent texts count the same: each of the three accepts what another
 * writes, whichever form it chose (NFC keeps U+0F76 and U+0958 decomposed, and their first
 * characters, a mark of class 0 and a letter, counted as nothing before). In the decomposition,
 * a mark of class other than 0 adds one; a mark of class 0 and an invisible character add none
 * and do not end the run (lower case and folding drop invisibles, folding drops marks of class
 * 0: no removal may join two short runs into a long one); anything else ends it. A letter's own
 * marks count (ệ is e and two marks), and a mark of class 0 that decomposes into marks counts
 * them (U+0F73 is U+0F71 U+0F72), or 120 KB of it took a minute. The limit stays a limit: a pile
 * of marks is not text. Returns MARKS_END if the code point ends the run, plus the marks it adds
 * after the last end. */
#define MARKS_END 0x80

static unsigned marks_effect(int32_t c)
{
	int32_t d[8] = {c};
	utf8proc_ssize_t k = 1;
	const utf8proc_property_t *pr = utf8proc_get_property(c);
	if (pr->decomp_seqindex != UINT16_MAX && !pr->decomp_type) {
		k = utf8proc_decompose_char(c, d, 8, UTF8PROC_DECOMPOSE, NULL);
		if (k <= 0 || k > 8) {
			d[0] = c;
			k = 1;
		}
	}
	unsigned end = 0, add = 0;
	for (utf8proc_ssize_t i = 0; i < k; i++) {
		const utf8proc_property_t *q = utf8proc_get_property(d[i]);
		bool mark =
		    q->category >= UTF8PROC_CATEGORY_MN && q->category <= UTF8PROC_CATEGORY_ME;
		if (q->combining_class) {
			add++;
		} else if (!mark && !is_invisible(d[i])) {
			end = MARKS_END;
			add = 0;
		}
	}
	return end | add;
}

/* The effects of the first code points (Latin, Vietnamese, Tibetan, Indic), looked up once. */
#define MARKS_TAB_N 0x2000
static unsigned char marks_tab[MARKS_TAB_N];
static pthread_once_t marks_once = PTHREAD_ONCE_INIT;

static void marks_init(void)
{
	for (int32_t c = 0x80; c < MARKS_TAB_N; c++)
		marks_tab[c] = (unsigned char)marks_effect(c);
}

/* The run of marks after the code point c, given the run before it. */
static inline size_t marks_step(size_t run, int32_t c)
{
	unsigned e = c < MARKS_TAB_N ? marks_tab[c] : marks_effect(c);
	return (e & MARKS_END ? 0 : run) + (e & ~(unsigned)MARKS_END);
}

/* The offset of the first character of valid UTF-8 that would make a run of more than
 * TEXT_MAX_MARKS combining marks, or n. */
static size_t marks_limit(const unsigned char *p, size_t n)
{
	size_t i = 0, run = 0;
	int32_t c;

	while (i < n) {
		if (p[i] < 0xCC) { /* below U+0300: no combining marks */
			run = 0;
			i += p[i] < 0x80 ? 1 : 2;
			continue;
		}
		size_t l = utf8_decode(p + i, n - i, &c);
		if (!l)
			return n; /* the callers validated; stay safe */
		run = ccc(c) ? run + 1 : 0;
		if (run > TEXT_MAX_MARKS)
			return i;
		i += l;
	}
	return n;
}

/* Drops invisible characters from an NFD sequence, keeping it in canonical order; returns the
 * new length. */
static size_t strip_invisible(int32_t *b, size_t n)
{
	size_t j = 0;
	for (size_t i = 0; i < n; i++)
		if (!is_invisible(b[i]))
			b[j++] = b[i];
	if (j < n)
		canonical_reorder(b, j);
	return j;
}

static inline bool is_tone(int32_t c)
{
	return c == TONE_GRAVE || c == TONE_ACUTE || c == TONE_TILDE || c == TONE_HOOK ||
	       c == TONE_DOT_BELOW;
}

static inline bool is_vi_mark(int32_t c)
{
	return is_tone(c) || c == MARK_CIRCUMFLEX || c == MARK_BREVE || c == MARK_HORN;
}

static inline bool is_consonant(int32_t c)
{
	switch (c) {
	case 'b':
	case 'c':
	case 'd':
	case 'g':
	case 'h':
	case 'k':
	case 'l':
	case 'm':
	case 'n':
	case 'p':
	case 'q':
	case 'r':
	case 's':
	case 't':
	case 'v':
	case 'x':
	case D_STROKE_LOWER:
		return true;
	default:
		return false;
	}
}

/* Canonical tone placement, on one lower-case NFD word. The open rhymes oa, oe and uy are written
 * both ways: old style "hòa, hòe, thủy" (tone on the first vowel) and new style "hoà, hoè, thuỷ"
 * (tone on the main vowel, where it already sits in closed syllables like "hoàng", "thuyền").
 * The exact form keeps the new style, so the two spellings of one word make one term. Only a
 * whole syllable is touched: up to three consonants, o/u with exactly one tone mark, then a
 * bare a/e/y ending the word. */
static void tone_fix(int32_t *b, size_t n)
{
	if (n < 3 || n > 6)
		return;
	int32_t last = b[n - 1], tone = b[n - 2], v = b[n - 3];
	if (!is_tone(tone))
		return;
	if (!((v == 'o' && (last == 'a' || last == 'e')) || (v == 'u' && last == 'y')))
		return;
	for (size_t i = 0; i + 3 < n; i++)
		if (!is_consonant(b[i]))
			return;
	b[n - 2] = last;
	b[n - 1] = tone;
}

/* Letters (L*) and numbers (N*). utf8proc numbers the marks (M*) between them. */
static inline bool is_word_cat(utf8proc_category_t c)
{
	return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
	       (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

static inline bool is_mark_cat(utf8proc_category_t c)
{
	return c >= UTF8PROC_CATEGORY_MN && c <= UTF8PROC_CATEGORY_ME;
}

/* Marks removed by folding: nonspacing and enclosing. Spacing marks (Mc: vowel signs of Indic
 * scripts) stay, as they are letters in all but name. */
static inline bool fold_strips(int32_t c)
{
	if (c < 0x300)
		return false;
	if (c <= 0x36F)
		return true;
	utf8proc_category_t cat = utf8proc_category(c);
	return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_ME;
}

/* Folds a lower-case NFD sequence into dst (which may be src): marks out, đ -> d. Returns the new
 * length and whether everything left is ASCII (then composition has nothing to do). */
static size_t fold_cps(int32_t *dst, const int32_t *src, size_t n, bool *ascii)
{
	size_t j = 0;
	bool a = true;

	for (size_t i = 0; i < n; i++) {
		int32_t c = src[i];
		if (c == D_STROKE_LOWER || c == D_STROKE_UPPER)
			c = 'd';
		else if (fold_strips(c))
			continue;
		a = a && c < 0x80;
		dst[j++] = c;
	}
	if (!a && j < n)
		canonical_reorder(dst, j);
	*ascii = a;
	return j;
}

/* Applies tone_fix to every word (a letter or digit followed by letters, digits and marks) of a
 * lower-case NFD sequence. */
static void tone_fix_words(int32_t *b, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (!is_word_cat(utf8proc_category(b[i]))) {
			i++;
			continue;
		}
		size_t start = i++;
		while (i < n) {
			utf8proc_category_t c = utf8proc_category(b[i]);
			if (!is_word_cat(c) && !is_mark_cat(c))
				break;
			i++;
		}
		tone_fix(b + start, i - start);
	}
}

/* ---- the fast path ----
 * Almost every character of Vietnamese text is ASCII, a precomposed letter of Latin-1 or Latin
 * Extended Additional, or punctuation such as “ ” – …. For those, lower case, NFC and folding
 * are per character, so a table built once from the same utf8proc pipeline replaces it. A string
 * or token with any other character, or any combining mark, takes the general path. Characters
 * of these ranges never compose with a neighbour that is not a combining mark, which is what
 * makes the per-character answer equal to the whole-string one. */

enum { FAST_OK = 1, FAST_WORD = 2, FAST_TONE_OU = 4, FAST_JOIN = 8 };

typedef struct {
	int32_t lower; /* lower case NFC, one code point */
	int32_t fold;  /* folded, one code point */
	uint8_t flags;
	uint8_t tone; /* for FAST_TONE_OU: index into tones[] */
	uint8_t base; /* for FAST_TONE_OU: 'o' or 'u' */
} fast_entry;

static const int32_t tones[5] = {TONE_GRAVE, TONE_ACUTE, TONE_HOOK, TONE_TILDE, TONE_DOT_BELOW};

#define FAST_R1_LO 0x80
#define FAST_R1_HI 0x250
#define FAST_R2_LO 0x1E00
#define FAST_R2_HI 0x1F00
#define FAST_R3_LO 0x2000
#define FAST_R3_HI 0x2100
#define FAST_N     ((FAST_R1_HI - FAST_R1_LO) + (FAST_R2_HI - FAST_R2_LO) + (FAST_R3_HI - FAST_R3_LO))

static fast_entry fast_tab[FAST_N];
static int32_t tone_vowel[3][5]; /* a, e, y with each tone, precomposed */
static pthread_once_t fast_once = PTHREAD_ONCE_INIT;

static inline int fast_index(int32_t c)
{
	if (c >= FAST_R1_LO && c < FAST_R1_HI)
		return c - FAST_R1_LO;
	if (c >= FAST_R2_LO && c < FAST_R2_HI)
		return (FAST_R1_HI - FAST_R1_LO) + (c - FAST_R2_LO);
	if (c >= FAST_R3_LO && c < FAST_R3_HI)
		return (FAST_R1_HI - FAST_R1_LO) + (FAST_R2_HI - FAST_R2_LO) + (c - FAST_R3_LO);
	return -1;
}

static int32_t compose_one(int32_t *b, size_t n)
{
	utf8proc_ssize_t k = utf8proc_normalize_utf32(b, (utf8proc_ssize_t)n, COMPOSE_OPTS);
	return k == 1 ? b[0] : 0;
}

static void fast_init(void)
{
	static const int32_t lo[3] = {FAST_R1_LO, FAST_R2_LO, FAST_R3_LO};
	static const int32_t hi[3] = {FAST_R1_HI, FAST_R2_HI, FAST_R3_HI};
	static const char vowels[3] = {'a', 'e', 'y'};

	for (int r = 0; r < 3; r++) {
		for (int32_t c = lo[r]; c < hi[r]; c++) {
			fast_entry *e = &fast_tab[fast_index(c)];
			unsigned char u[4];
			int32_t nfd[8], tmp[8];
			size_t ul = utf8_encode(u, c);
			utf8proc_ssize_t k =
			    utf8proc_decompose(u, (utf8proc_ssize_t)ul, nfd, 8, DECOMPOSE_OPTS);
			if (k <= 0 || k > 8)
				continue;
			lower_cps(nfd, (size_t)k);
			bool ascii;
			memcpy(tmp, nfd, sizeof(int32_t) * (size_t)k);
			size_t f = fold_cps(tmp, tmp, (size_t)k, &ascii);
			e->fold = compose_one(tmp, f);
			if (k == 2 && (nfd[0] == 'o' || nfd[0] == 'u'))
				for (uint8_t t = 0; t < 5; t++)
					if (nfd[1] == tones[t]) {
						e->flags |= FAST_TONE_OU;
						e->tone = t;
						e->base = (uint8_t)nfd[0];
					}
			memcpy(tmp, nfd, sizeof(int32_t) * (size_t)k);
			e->lower = compose_one(tmp, (size_t)k);
			utf8proc_category_t cat = utf8proc_category(c);
			/* Marks (U+20D0..U+20FF) and invisibles belong to the word before them:
			 * the general path handles them. */
			bool join = is_mark_cat(cat) || is_invisible(c);
			if (e->lower && e->fold && !join)
				e->flags |= FAST_OK;
			if (is_word_cat(cat))
				e->flags |= FAST_WORD;
			if (join)
				e->flags |= FAST_JOIN;
		}
	}
	for (int v = 0; v < 3; v++)
		for (int t = 0; t < 5; t++) {
			int32_t b[2] = {vowels[v], tones[t]};
			tone_vowel[v][t] = compose_one(b, 2);
		}
}

static inline const fast_entry *fast_get(int32_t c)
{
	int i = fast_index(c);
	if (i < 0 || !(fast_tab[i].flags & FAST_OK))
		return NULL;
	return &fast_tab[i];
}

/* A growing output string. */
typedef struct {
	unsigned char *b;
	size_t n, cap;
} obuf;

static int obuf_reserve(obuf *o, size_t more)
{
	if (o->n + more + 1 <= o->cap)
		return 0;
	size_t cap = o->cap ? o->cap : 64;
	while (cap < o->n + more + 1)
		cap *= 2;
	unsigned char *b = realloc(o->b, cap);
	if (!b)
		return HL_ENOMEM;
	o->b = b;
	o->cap = cap;
	return 0;
}

/* The general path for a segment that starts and ends at a cluster boundary: decompose (and
 * lower), then tone_fix or fold, compose, append. */
static int general_segment(obuf *o, const unsigned char *p, size_t n, int mode)
{
	utf8proc_ssize_t k = utf8proc_decompose(p, (utf8proc_ssize_t)n, NULL, 0, DECOMPOSE_OPTS);
	if (k < 0)
		return hl_error_set(HL_EINVALID, "%s", utf8proc_errmsg(k));
	/* utf8proc_reencode writes the UTF-8 into the same buffer: 4 bytes a code point, plus NUL.
	 */
	int32_t *buf = malloc(((size_t)k + 1) * sizeof(int32_t));
	if (!buf)
		return HL_ENOMEM;
	utf8proc_ssize_t k2 = utf8proc_decompose(p, (utf8proc_ssize_t)n, buf, k, DECOMPOSE_OPTS);
	if (k2 != k) {
		free(buf);
		return hl_error_set(HL_ERROR, "decomposition changed length");
	}
	if (mode != MODE_NFC)
		lower_cps(buf, (size_t)k);
	if (mode != MODE_NFC)
		k = (utf8proc_ssize_t)strip_invisible(buf, (size_t)k);
	if (mode == MODE_LOWER) {
		tone_fix_words(buf, (size_t)k);
	} else if (mode == MODE_FOLD) {
		bool a;
		k = (utf8proc_ssize_t)fold_cps(buf, buf, (size_t)k, &a);
	}
	utf8proc_ssize_t bytes = utf8proc_reencode(buf, k, COMPOSE_OPTS);
	if (bytes < 0) {
		free(buf);
		return hl_error_set(HL_ERROR, "%s", utf8proc_errmsg(bytes));
	}
	int rc = obuf_reserve(o, (size_t)bytes);
	if (!rc) {
		memcpy(o->b + o->n, buf, (size_t)bytes);
		o->n += (size_t)bytes;
	}
	free(buf);
	return rc;
}

/* Word state of the fast path: where the word began, and enough to apply tone_fix at its end. */
typedef struct {
	size_t ncp;   /* code points in the word so far (0: not in a word) */
	size_t ncons; /* leading consonants */
	int32_t prev; /* the last two lower-case code points */
	int32_t last;
	size_t prev_off; /* output offset of `prev` */
	size_t in_start, out_start;
} fast_word;

/* At the end of a word: old-style "hòa" becomes "hoà", as tone_fix does on NFD. */
static void fast_word_end(fast_word *w, obuf *o)
{
	if (w->ncp >= 2 && w->ncp <= 5 && w->ncons == w->ncp - 2) {
		const fast_entry *e = fast_get(w->prev);
		int v = w->last == 'a' ? 0 : w->last == 'e' ? 1 : w->last == 'y' ? 2 : -1;
		if (e && (e->flags & FAST_TONE_OU) && v >= 0 && (e->base == 'o') == (v < 2) &&
		    tone_vowel[v][e->tone]) {
			/* "ò"+"a" (3 or 4 bytes) becomes "o"+"à" (3 or 4 bytes, "ùy" 3 -> "uỳ" 4):
			 * the byte reserved for every character covers the growth. */
			size_t off = w->prev_off;
			o->b[off++] = e->base;
			off += utf8_encode(o->b + off, tone_vowel[v][e->tone]);
			o->n = off;
		}
	}
	w->ncp = 0;
}

/* Lower case or fold of a whole string: the table where it applies, the general path from the
 * start of the word (or the character) that needs it up to the next ASCII separator, which
 * neither composes with what precedes it nor belongs to a word. */
static int chunked_transform(obuf *o, const unsigned char *p, size_t n, int mode)
{
	fast_word w = {0};
	size_t i = 0, last_in = 0, last_out = 0;
	int rc;

	while (i < n) {
		size_t cur = i;
		int32_t c = p[i], lc;
		bool word;
		if (c < 0x80) {
			lc = ascii_lower((unsigned char)c);
			word = ascii_alnum[c];
			i++;
		} else {
			size_t l = utf8_decode(p + i, n - i, &c); /* the input was validated */
			const fast_entry *e = fast_get(c);
			if (!e) {
				size_t seg = w.ncp ? w.in_start : cur > 0 ? last_in : cur;
				o->n = w.ncp ? w.out_start : cur > 0 ? last_out : o->n;
				w.ncp = 0;
				size_t j = cur + l;
				while (j < n && !(p[j] < 0x80 && !ascii_alnum[p[j]]))
					j++;
				if ((rc = general_segment(o, p + seg, j - seg, mode)))
					return rc;
				i = j;
				continue;
			}
			i += l;
			lc = mode == MODE_FOLD ? e->fold : e->lower;
			word = e->flags & FAST_WORD;
		}
		if (!word && w.ncp) {
			if (mode == MODE_LOWER)
				fast_word_end(&w, o);
			w.ncp = 0;
		}
		/* 4 bytes for the character, 1 for the tone fix, 1 for the final NUL */
		if (obuf_reserve(o, 5))
			return HL_ENOMEM;
		if (word) {
			if (!w.ncp) {
				w.ncons = 0;
				w.in_start = cur;
				w.out_start = o->n;
			}
			if (w.ncons == w.ncp && is_consonant(lc))
				w.ncons++;
			w.ncp++;
			w.prev = w.last;
			w.last = lc;
			w.prev_off = last_out;
		}
		last_in = cur;
		last_out = o->n;
		o->n += utf8_encode(o->b + o->n, lc);
	}
	if (w.ncp && mode == MODE_LOWER)
		fast_word_end(&w, o);
	return 0;
}

/* NFC, lower or fold of a whole string: validate, then an ASCII fast path, then the table, and
 * utf8proc for what the table does not cover. */
static int transform(char **out, const char *s, long len, int mode)
{
	static const char *const names[] = {"NFC", "lower case", "folding"};
	const unsigned char *p = (const unsigned char *)s;
	size_t n;
	bool ascii = true;
	obuf o = {0};
	int rc;

	if (!out || (!s && len != 0))
		return hl_error_set(HL_EINVALID, "%s: no input", names[mode]);
	n = len < 0 ? strlen(s) : (size_t)len;
	if (n > TEXT_MAX_INPUT)
		return hl_error_set(HL_ELIMIT, "%s: text of %zu bytes exceeds the limit of %zu",
		                    names[mode], n, TEXT_MAX_INPUT);
	/* One pass: strict UTF-8, no NUL (the result is a C string, a NUL would silently cut it),
	 * not too many combining marks in a row, and whether it is all ASCII. Bad bytes anywhere
	 * make the input invalid, even after a pile of marks: invalid is what it is first. */
	size_t run = 0, over_at = SIZE_MAX;
	pthread_once(&marks_once, marks_init);
	for (size_t i = 0; i < n;) {
		int32_t c;
		if (p[i] < 0x80) {
			if (!p[i])
				return hl_error_set(HL_EINVALID, "%s: NUL byte at %zu", names[mode],
				                    i);
			run = 0;
			i++;
			continue;
		}
		ascii = false;
		size_t l = utf8_decode(p + i, n - i, &c);
		if (!l)
			return hl_error_set(HL_EINVALID, "%s: invalid UTF-8 at byte %zu",
			                    names[mode], i);
		run = marks_step(run, c);
		if (run > TEXT_MAX_MARKS && over_at == SIZE_MAX)
			over_at = i;
		i += l;
	}
	if (over_at != SIZE_MAX)
		return hl_error_set(HL_ELIMIT,
		                    "%s: more than %d combining marks in a row at byte %zu",
		                    names[mode], TEXT_MAX_MARKS, over_at);

	/* Lower case can turn 2 bytes into 3: start at 1.5 times the input. */
	if (obuf_reserve(&o, n + n / 2 + 8))
		return hl_error_set(HL_ENOMEM, "%s: out of memory", names[mode]);
	if (ascii) {
		for (size_t i = 0; i < n; i++)
			o.b[i] = mode == MODE_NFC ? p[i] : ascii_lower(p[i]);
		o.n = n;
		rc = 0;
	} else if (mode == MODE_NFC) {
		rc = general_segment(&o, p, n, mode);
	} else {
		pthread_once(&fast_once, fast_init);
		rc = chunked_transform(&o, p, n, mode);
	}
	if (rc) {
		free(o.b);
		if (rc == HL_ENOMEM)
			return hl_error_set(HL_ENOMEM, "%s: out of memory", names[mode]);
		char why[256];
		snprintf(why, sizeof(why), "%s", hl_error_last());
		return hl_error_set(rc, "%s: %s", names[mode], why);
	}
	o.b[o.n] = '\0';
	unsigned char *r = realloc(o.b, o.n + 1);
	*out = (char *)(r ? r : o.b);
	return 0;
}

int hl_text_nfc(char **out, const char *s, long len)
{
	return transform(out, s, len, MODE_NFC);
}

int hl_text_lower(char **out, const char *s, long len)
{
	return transform(out, s, len, MODE_LOWER);
}

int hl_text_fold(char **out, const char *s, long len)
{
	return transform(out, s, len, MODE_FOLD);
}

int hl_text_has_marks(const char *s, long len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i = 0;
	int32_t cp, d[8];

	if (!s)
		return 0;
	n = len < 0 ? strlen(s) : (size_t)len;
	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		size_t k = utf8_decode(p + i, n - i, &cp);
		if (!k) {
			i++; /* invalid bytes carry no marks */
			continue;
		}
		i += k;
		if (cp == D_STROKE_LOWER || cp == D_STROKE_UPPER || is_d_lookalike(cp) ||
		    is_vi_mark(cp))
			return 1;
		utf8proc_ssize_t m = utf8proc_decompose_char(cp, d, 8, UTF8PROC_DECOMPOSE, NULL);
		for (utf8proc_ssize_t j = 1; j < m && j < 8; j++)
			if (is_vi_mark(d[j]))
				return 1;
	}
	return 0;
}

/* ---- characters Vietnamese never writes ---- */

static inline bool is_vowel(int32_t c)
{
	switch (c | 0x20) {
	case 'a':
	case 'e':
	case 'i':
	case 'o':
	case 'u':
	case 'y':
		return c < 0x80;
	default:
		return false;
	}
}

/* A cluster (base, then its combining marks, decomposed): is it a letter of the Vietnamese
 * alphabet, or something else Vietnamese writing may hold (a digit, punctuation, a symbol)? */
static bool cluster_ok(const int32_t *c, size_t n)
{
	int32_t base = c[0];
	utf8proc_category_t cat = utf8proc_category(base);
	size_t ntones = 0, diacritics = 0;

	if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) {
		if (base == D_STROKE_LOWER || base == D_STROKE_UPPER || is_d_lookalike(base))
			return n == 1;
		if (base >= 0x80 || !((base | 0x20) >= 'a' && (base | 0x20) <= 'z'))
			return false;
		for (size_t i = 1; i < n; i++) {
			int32_t m = c[i], b = base | 0x20;
			if (!is_vowel(base))
				return false;
			if (is_tone(m))
				ntones++;
			else if ((m == MARK_BREVE && b == 'a') ||
			         (m == MARK_CIRCUMFLEX && (b == 'a' || b == 'e' || b == 'o')) ||
			         (m == MARK_HORN && (b == 'o' || b == 'u')))
				diacritics++;
			else
				return false;
		}
		return ntones <= 1 && diacritics <= 1;
	}
	if (n > 1 || is_mark_cat(cat))
		return false; /* a mark on a digit, a sign or a space; or a mark alone */
	switch (cat) {
	case UTF8PROC_CATEGORY_CC:
		return base == '\t' || base == '\n' || base == '\r';
	case UTF8PROC_CATEGORY_CO:
	case UTF8PROC_CATEGORY_CS:
	case UTF8PROC_CATEGORY_CN:
		return false;
	case UTF8PROC_CATEGORY_SK:
		return base < 0x80; /* ^ and ` are ASCII; ¨ ´ ¸ ˜ are accents left alone */
	default:
		return base != 0xFFFD;
	}
}

size_t hl_text_foreign(const char *s, size_t len, size_t *first_at)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, count = 0, first = len;

	while (s && i < len) {
		int32_t c[TEXT_MAX_MARKS + 8], cp;
		size_t at = i, k, n;
		bool ok;
		if (p[i] < 0x7F && (p[i] >= 0x20 || p[i] == '\t' || p[i] == '\n' || p[i] == '\r') &&
		    !(i + 1 < len && p[i + 1] >= 0xCC && p[i + 1] <= 0xCD)) {
			i++; /* plain ASCII not followed by a combining mark (U+0300-U+036F) */
			continue;
		}
		if (!(k = utf8_decode(p + i, len - i, &cp))) {
			i++;
			ok = false;
		} else {
			utf8proc_ssize_t m =
			    utf8proc_decompose_char(cp, c, 8, DECOMPOSE_OPTS, NULL);
			n = m > 0 && m <= 8 ? (size_t)m : (c[0] = cp, 1);
			i += k;
			/* the marks that follow belong to it (at most TEXT_MAX_MARKS are looked at)
			 */
			while (i < len && (k = utf8_decode(p + i, len - i, &cp)) &&
			       is_mark_cat(utf8proc_category(cp))) {
				if (n < sizeof(c) / sizeof(c[0]))
					c[n++] = cp;
				i += k;
			}
			ok = cluster_ok(c, n);
		}
		if (!ok) {
			if (!count)
				first = at;
			count++;
		}
	}
	if (first_at)
		*first_at = first;
	return count;
}

/* The tokenizer's reusable state: the strings handed to the callback live here. */
typedef struct {
	char exact[HL_TEXT_MAX_TOKEN + 1];
	char folded[HL_TEXT_MAX_TOKEN + 1];
	int32_t nfd[TOKEN_NFD_CAP];
	int32_t fold[TOKEN_NFD_CAP];
} tok_buf;

/* Encodes code points into dst, at most HL_TEXT_MAX_TOKEN bytes. A cut falls before a character
 * that starts a new cluster (combining class 0), so a letter never loses half of its marks;
 * only a single cluster longer than the limit is cut between code points. */
static void encode_cut(char *dst, const int32_t *cps, size_t n)
{
	unsigned char *d = (unsigned char *)dst;
	size_t total = 0, i;

	for (i = 0; i < n; i++)
		total += utf8_len(cps[i]);
	if (total <= HL_TEXT_MAX_TOKEN) {
		size_t o = 0;
		for (i = 0; i < n; i++)
			o += utf8_encode(d + o, cps[i]);
		d[o] = '\0';
		return;
	}
	size_t o = 0, safe = 0;
	for (i = 0; i < n; i++) {
		size_t l = utf8_len(cps[i]);
		bool starter = utf8proc_get_property(cps[i])->combining_class == 0;
		if (starter)
			safe = o;
		if (o + l > HL_TEXT_MAX_TOKEN) {
			if (!starter && safe > 0)
				o = safe;
			break;
		}
		o += utf8_encode(d + o, cps[i]);
	}
	d[o] = '\0';
}

/* Backs off from byte m of a valid UTF-8 run to the start of the code point that contains it. */
static size_t cp_boundary(const unsigned char *p, size_t m)
{
	while (m > 0 && (p[m] & 0xC0) == 0x80)
		m--;
	return m;
}

/* The table path for one run that is not all ASCII. Returns false if the run needs token_slow:
 * a character outside the table, a combining mark, or a short word with an o/u carrying a tone
 * (a candidate for tone_fix). Cuts exactly where encode_cut would, as every character here
 * starts a cluster. */
static bool token_fast(tok_buf *tb, const unsigned char *p, size_t n)
{
	size_t m = n > TOKEN_SCAN_MAX ? cp_boundary(p, TOKEN_SCAN_MAX) : n;
	size_t i = 0, eo = 0, fo = 0, ncp = 0;
	bool efull = false, ffull = false, tone_ou = false;

	while (i < m) {
		int32_t c = p[i], lc, fc;
		if (c < 0x80) {
			lc = fc = ascii_lower((unsigned char)c);
			i++;
		} else {
			i += utf8_decode(p + i, m - i, &c); /* validated by the scanner */
			const fast_entry *e = fast_get(c);
			if (!e || !(e->flags & FAST_WORD))
				return false;
			lc = e->lower;
			fc = e->fold;
			tone_ou = tone_ou || (e->flags & FAST_TONE_OU);
		}
		ncp++;
		size_t l = utf8_len(lc);
		if (!efull && eo + l <= HL_TEXT_MAX_TOKEN)
			eo += utf8_encode((unsigned char *)tb->exact + eo, lc);
		else
			efull = true;
		l = utf8_len(fc);
		if (!ffull && fo + l <= HL_TEXT_MAX_TOKEN)
			fo += utf8_encode((unsigned char *)tb->folded + fo, fc);
		else
			ffull = true;
	}
	if (tone_ou && ncp <= 5)
		return false;
	tb->exact[eo] = '\0';
	tb->folded[fo] = '\0';
	return true;
}

/* Normalises one run that is not all ASCII into tb->exact and tb->folded. */
static int token_slow(tok_buf *tb, const unsigned char *p, size_t n)
{
	size_t m = n > TOKEN_SCAN_MAX ? cp_boundary(p, TOKEN_SCAN_MAX) : n;
	utf8proc_ssize_t k;

	m = marks_limit(p, m); /* a pile of marks is not a word: keep the work linear */

	for (;;) {
		k = utf8proc_decompose(p, (utf8proc_ssize_t)m, tb->nfd, TOKEN_NFD_CAP,
		                       DECOMPOSE_OPTS);
		if (k < 0)
			return hl_error_set(HL_ERROR, "tokenize: %s", utf8proc_errmsg(k));
		if (k <= TOKEN_NFD_CAP)
			break;
		m = cp_boundary(p, m / 2); /* cannot happen with today's Unicode; stay safe */
	}
	lower_cps(tb->nfd, (size_t)k);
	k = (utf8proc_ssize_t)strip_invisible(tb->nfd, (size_t)k);
	/* One word, except when invisible letters (U+115F) are gone from its front: do exactly what
	 * hl_text_lower does to the same sequence. */
	tone_fix_words(tb->nfd, (size_t)k);

	bool ascii;
	size_t f = fold_cps(tb->fold, tb->nfd, (size_t)k, &ascii);
	if (!ascii)
		f = (size_t)utf8proc_normalize_utf32(tb->fold, (utf8proc_ssize_t)f, COMPOSE_OPTS);
	encode_cut(tb->folded, tb->fold, f);

	k = utf8proc_normalize_utf32(tb->nfd, k, COMPOSE_OPTS);
	encode_cut(tb->exact, tb->nfd, (size_t)k);
	if (!tb->folded[0]) /* a run of marks only can fold to nothing; keep a usable term */
		memcpy(tb->folded, tb->exact, sizeof(tb->folded));
	return 0;
}

static int emit(tok_buf *tb, const unsigned char *s, size_t start, size_t end, bool ascii,
                uint32_t *pos, hl_token_cb cb, void *ud)
{
	hl_token t;

	if (ascii) {
		size_t n = end - start;
		if (n > HL_TEXT_MAX_TOKEN)
			n = HL_TEXT_MAX_TOKEN;
		for (size_t i = 0; i < n; i++)
			tb->exact[i] = (char)ascii_lower(s[start + i]);
		tb->exact[n] = '\0';
		t.folded = tb->exact;
	} else {
		if (!token_fast(tb, s + start, end - start)) {
			int rc = token_slow(tb, s + start, end - start);
			if (rc < 0)
				return rc;
		}
		t.folded = tb->folded;
	}
	if (!tb->exact[0])
		return 0; /* only invisible characters: no term */
	if (*pos == UINT32_MAX)
		return hl_error_set(HL_ELIMIT, "tokenize: more than %u tokens", UINT32_MAX);
	t.exact = tb->exact;
	t.start = start;
	t.end = end;
	t.pos = (*pos)++;
	return cb(&t, ud);
}

int hl_text_tokenize(const char *s, size_t len, hl_token_cb cb, void *ud)
{
	const unsigned char *p = (const unsigned char *)s;
	tok_buf tb;
	uint32_t pos = 0;
	size_t i = 0, start = 0;
	bool in = false, ascii = true;
	int rc;

	if (!cb || (!s && len))
		return hl_error_set(HL_EINVALID, "tokenize: no input or no callback");
	pthread_once(&fast_once, fast_init);
	while (i < len) {
		unsigned c = p[i];
		if (c < 0x80) {
			if (ascii_alnum[c]) {
				if (!in) {
					in = true;
					ascii = true;
					start = i;
				}
				i++;
				while (i < len && p[i] < 0x80 && ascii_alnum[p[i]])
					i++;
				continue;
			}
			i++;
			if (in) {
				in = false;
				if ((rc = emit(&tb, p, start, i - 1, ascii, &pos, cb, ud)))
					return rc;
			}
			continue;
		}
		int32_t cp;
		size_t n = utf8_decode(p + i, len - i, &cp);
		bool word = false;
		if (n) {
			int fi = fast_index(cp);
			if (fi >= 0) {
				word = (fast_tab[fi].flags & FAST_WORD) ||
				       (in && (fast_tab[fi].flags & FAST_JOIN));
			} else {
				utf8proc_category_t cat = utf8proc_category(cp);
				word = is_word_cat(cat) ||
				       (in && (is_mark_cat(cat) || is_invisible(cp)));
			}
		}
		if (word) {
			if (!in) {
				in = true;
				start = i;
			}
			ascii = false;
			i += n;
			continue;
		}
		/* A separator, or an invalid byte (skipped one at a time). */
		if (in) {
			in = false;
			if ((rc = emit(&tb, p, start, i, ascii, &pos, cb, ud)))
				return rc;
		}
		i += n ? n : 1;
	}
	if (in && (rc = emit(&tb, p, start, i, ascii, &pos, cb, ud)))
		return rc;
	return 0;
}

int hl_text_upper(char **out, const char *s, long len)
{
	char *nfc = NULL, *o;
	size_t n, k = 0;
	int rc;

	*out = NULL;
	if ((rc = hl_text_nfc(&nfc, s, len)) < 0)
		return rc;
	n = strlen(nfc);
	/* a precomposed letter's capital is precomposed too (ệ → Ệ), and none is longer than 4
	 * bytes: 4 bytes a code point at most */
	if (!(o = malloc(4 * n + 1))) {
		free(nfc);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n;) {
		int32_t cp;
		utf8proc_ssize_t m = utf8proc_iterate((const utf8proc_uint8_t *)nfc + i,
		                                      (utf8proc_ssize_t)(n - i), &cp);
		if (m <= 0) {
			free(nfc);
			free(o);
			return hl_error_set(HL_EINVALID, "invalid UTF-8");
		}
		k += (size_t)utf8proc_encode_char(utf8proc_toupper(cp), (utf8proc_uint8_t *)o + k);
		i += (size_t)m;
	}
	o[k] = 0;
	free(nfc);
	*out = o;
	return 0;
}
