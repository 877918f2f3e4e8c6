/* Vietnamese text: NFC normalisation, folding of tones and diacritics (đ/Đ -> d), syllable
 * tokenisation. Every term that is indexed or queried is decided here. */
#ifndef HALONG_TEXT_H
#define HALONG_TEXT_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest token kept, in bytes; longer runs are cut (and still counted as one token). */
#define HL_TEXT_MAX_TOKEN 64

/* NFC-normalises `len` bytes of UTF-8 (len < 0: NUL-terminated). *out is malloc'd, NUL-terminated.
 * Invalid UTF-8 gives HL_EINVALID. Legacy tone placement ("hoà") becomes the NFC of the
 * modern form only where utf8proc's NFC does; folding equates both in any case. */
int hl_text_nfc(char **out, const char *s, long len);

/* Lower-case NFC form ("Hạ Long" -> "hạ long"): the exact-tone form. */
int hl_text_lower(char **out, const char *s, long len);

/* Folded form: lower case, tones and diacritics removed, đ/Đ -> d ("Đất Đai" -> "dat dai").
 * Non-letters are kept as they are. */
int hl_text_fold(char **out, const char *s, long len);

/* True if the UTF-8 string carries any Vietnamese tone or diacritic (so an exact-tone match
 * is meaningful for it). */
int hl_text_has_marks(const char *s, long len);

/* Characters that Vietnamese writing never holds, counted in `len` bytes of s (NFC or not): a
 * letter outside the Vietnamese alphabet (a-z and A-Z with the marks Vietnamese puts on them:
 * one tone of five on a vowel, a breve on a, a circumflex on a e o, a horn on o u; đ and its
 * look-alikes Ð ð Ɖ) such as ñ ß µ ø ə or any Cyrillic or CJK letter; a mark on anything else,
 * or a mark of another alphabet (e + U+0304); a spacing accent outside ASCII (¨ ´ ¸ ˜, what is
 * left of a diacritic recognised apart); a control character other than tab, CR and LF; a
 * private-use, surrogate or unassigned code point; U+FFFD. Punctuation, symbols and digits of
 * every script are not counted (… © ° are written in Vietnamese documents). A letter and the
 * marks that follow it count once; every invalid byte counts once. *first_at (may be NULL)
 * gets the byte offset of the first one (len when none). */
size_t hl_text_foreign(const char *s, size_t len, size_t *first_at);

/* Validates UTF-8. Returns 0, or HL_EINVALID with the byte offset of the first bad byte in *bad_at.
 */
int hl_text_check_utf8(const char *s, size_t len, size_t *bad_at);

typedef struct {
	const char *exact;  /* lower-case NFC form of the token, NUL-terminated */
	const char *folded; /* folded form, NUL-terminated */
	size_t start, end;  /* byte range in the input as given */
	uint32_t pos;       /* 0-based position: the n-th token of the input */
} hl_token;

/* Called for each token in order; non-zero stops the walk and is returned by hl_text_tokenize. */
typedef int (*hl_token_cb)(const hl_token *tok, void *ud);

/* Splits text into tokens: runs of letters and digits (Vietnamese syllables, numbers, codes
 * like "12/2019/qh14" are split at '/' into "12" "2019" "qh14"). Input need not be NFC: each
 * token is normalised. Invalid UTF-8 bytes are treated as separators. */
int hl_text_tokenize(const char *s, size_t len, hl_token_cb cb, void *ud);

/* Upper-case NFC form ("Sở Khoa học" -> "SỞ KHOA HỌC"), as the heading of an official document
 * writes the issuing body. Invalid UTF-8 gives HL_EINVALID. */
int hl_text_upper(char **out, const char *s, long len);

#ifdef __cplusplus
}
#endif
#endif
