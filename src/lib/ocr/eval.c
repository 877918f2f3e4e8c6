/* Character and word error rates of recognised text against ground truth (edit distance over the
 * ground-truth length, after NFC and with white space made uniform). */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "halong/text.h"
#include "ocr/ocr_int.h"

#define MAX_UNITS 50000

/* Code points of NFC text with each run of white space made one space, ends trimmed. */
static int code_points(int32_t **out, size_t *n, const char *s, const char *which)
{
	char *nfc = NULL;
	int rc = hl_text_nfc(&nfc, s, -1);
	if (rc)
		return hl_error_set(rc, "ocr eval: %s: invalid UTF-8", which);
	size_t len = strlen(nfc), k = 0;
	int32_t *cp = malloc((len + 1) * sizeof *cp);
	if (!cp) {
		free(nfc);
		return hl_error_set(HL_ENOMEM, "ocr eval: out of memory");
	}
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)nfc;
	int pending_space = 0;
	while (*p) {
		utf8proc_int32_t c;
		utf8proc_ssize_t m = utf8proc_iterate(p, -1, &c);
		if (m <= 0)
			break;
		p += m;
		utf8proc_category_t cat = utf8proc_category(c);
		int ws = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
		         c == '\v' || cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL ||
		         cat == UTF8PROC_CATEGORY_ZP;
		if (ws) {
			pending_space = k > 0;
			continue;
		}
		if (pending_space)
			cp[k++] = ' ';
		pending_space = 0;
		cp[k++] = c;
	}
	free(nfc);
	if (k > MAX_UNITS) {
		free(cp);
		return hl_error_set(HL_ELIMIT, "ocr eval: %s: more than %d characters", which,
		                    MAX_UNITS);
	}
	*out = cp;
	*n = k;
	return 0;
}

/* Levenshtein distance between two sequences of ids, two rows of memory. */
static uint64_t distance(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
	if (na == 0)
		return nb;
	if (nb == 0)
		return na;
	uint32_t *prev = malloc((nb + 1) * sizeof *prev), *cur = malloc((nb + 1) * sizeof *cur);
	if (!prev || !cur) {
		free(prev);
		free(cur);
		return UINT64_MAX;
	}
	for (size_t j = 0; j <= nb; j++)
		prev[j] = (uint32_t)j;
	for (size_t i = 1; i <= na; i++) {
		cur[0] = (uint32_t)i;
		for (size_t j = 1; j <= nb; j++) {
			uint32_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			uint32_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			uint32_t v = sub < del ? sub : del;
			cur[j] = v < ins ? v : ins;
		}
		uint32_t *t = prev;
		prev = cur;
		cur = t;
	}
	uint64_t d = prev[nb];
	free(prev);
	free(cur);
	return d;
}

/* Words as ids: equal words get equal ids (words are compared whole). */
typedef struct {
	const int32_t *s;
	size_t n;
} word;

static size_t split_words(word **out, const int32_t *cp, size_t n)
{
	size_t cnt = 0;
	word *w = malloc((n / 2 + 2) * sizeof *w);
	if (!w)
		return SIZE_MAX;
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && cp[j] != ' ')
			j++;
		if (j > i)
			w[cnt++] = (word){cp + i, j - i};
		i = j + 1;
	}
	*out = w;
	return cnt;
}

static int same(const word *a, const word *b)
{
	return a->n == b->n && memcmp(a->s, b->s, a->n * sizeof *a->s) == 0;
}

int hl_ocr_eval(hl_ocr_eval_result *out, const char *truth, const char *text)
{
	int32_t *a = NULL, *b = NULL, *ida = NULL, *idb = NULL;
	word *wa = NULL, *wb = NULL;
	size_t na = 0, nb = 0;
	hl_ocr_eval_result r = {0};
	int rc = code_points(&a, &na, truth ? truth : "", "ground truth");
	if (rc)
		goto done;
	if ((rc = code_points(&b, &nb, text ? text : "", "text")))
		goto done;
	r.char_total = na;
	r.char_edits = distance(a, na, b, nb);
	size_t nwa = split_words(&wa, a, na), nwb = split_words(&wb, b, nb);
	if (nwa == SIZE_MAX || nwb == SIZE_MAX || r.char_edits == UINT64_MAX) {
		rc = hl_error_set(HL_ENOMEM, "ocr eval: out of memory");
		goto done;
	}
	/* ids: the index of the first equal word in the truth, or a fresh one */
	ida = malloc((nwa + 1) * sizeof *ida);
	idb = malloc((nwb + 1) * sizeof *idb);
	if (!ida || !idb) {
		rc = hl_error_set(HL_ENOMEM, "ocr eval: out of memory");
		goto done;
	}
	for (size_t i = 0; i < nwa; i++) {
		ida[i] = (int32_t)i;
		for (size_t k = 0; k < i; k++)
			if (same(&wa[i], &wa[k])) {
				ida[i] = ida[k];
				break;
			}
	}
	for (size_t j = 0; j < nwb; j++) {
		idb[j] = (int32_t)(nwa + j);
		for (size_t k = 0; k < nwa; k++)
			if (same(&wb[j], &wa[k])) {
				idb[j] = ida[k];
				break;
			}
	}
	r.word_total = nwa;
	r.word_edits = distance(ida, nwa, idb, nwb);
	r.cer = na ? (double)r.char_edits / (double)na : (nb ? 1.0 : 0.0);
	r.wer = nwa ? (double)r.word_edits / (double)nwa : (nwb ? 1.0 : 0.0);
	*out = r;
done:
	free(a);
	free(b);
	free(wa);
	free(wb);
	free(ida);
	free(idb);
	return rc;
}
