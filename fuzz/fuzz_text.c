/* Fuzz target of the text module: every function on arbitrary bytes, with the invariants that tie
 * them together (NFC, lower case and folding accept and refuse the same inputs, valid UTF-8 out
 * that each of them takes again, folding and lower case idempotent, tokens inside the input in
 * order and equal to the whole-string functions on their own bytes). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halong/text.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_text: %s:%d: %s\n", __FILE__, __LINE__, #cond);      \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

typedef struct {
	const char *in;
	size_t len;
	size_t last_end;
	uint32_t count;
} walk;

static bool valid_utf8(const char *s)
{
	return hl_text_check_utf8(s, strlen(s), NULL) == 0;
}

/* f(s) must succeed; returns the malloc'd result. */
static char *apply(int (*f)(char **, const char *, long), const char *s, long len)
{
	char *out = NULL;
	CHECK(f(&out, s, len) == 0);
	CHECK(out != NULL);
	CHECK(valid_utf8(out));
	return out;
}

static void same(int (*f)(char **, const char *, long), const char *s, const char *want)
{
	char *o = apply(f, s, -1);
	CHECK(strcmp(o, want) == 0);
	free(o);
}

static int on_token(const hl_token *t, void *ud)
{
	walk *w = ud;
	size_t el = strlen(t->exact), fl = strlen(t->folded);

	CHECK(t->pos == w->count);
	w->count++;
	CHECK(t->start < t->end && t->end <= w->len);
	CHECK(t->start >= w->last_end);
	w->last_end = t->end;
	CHECK(el > 0 && el <= HL_TEXT_MAX_TOKEN && fl > 0 && fl <= HL_TEXT_MAX_TOKEN);
	CHECK(valid_utf8(t->exact) && valid_utf8(t->folded));
	CHECK(hl_text_check_utf8(w->in + t->start, t->end - t->start, NULL) == 0);
	CHECK(memchr(w->in + t->start, 0, t->end - t->start) == NULL);

	/* A token that was not cut is what lower case and folding make of its own bytes. */
	char *l = NULL, *f = NULL;
	if (t->end - t->start <= 4 * HL_TEXT_MAX_TOKEN &&
	    hl_text_lower(&l, w->in + t->start, (long)(t->end - t->start)) != HL_ELIMIT) {
		CHECK(l && valid_utf8(l));
		f = apply(hl_text_fold, w->in + t->start, (long)(t->end - t->start));
		if (strlen(l) <= HL_TEXT_MAX_TOKEN)
			CHECK(strcmp(l, t->exact) == 0);
		if (strlen(f) <= HL_TEXT_MAX_TOKEN && f[0])
			CHECK(strcmp(f, t->folded) == 0);
		free(l);
		free(f);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	size_t bad = (size_t)-1;
	bool valid = hl_text_check_utf8(s, size, &bad) == 0;
	bool nul = size && memchr(data, 0, size) != NULL;

	if (!valid)
		CHECK(bad < size);
	(void)hl_text_has_marks(s, (long)size);
	/* the OCR review's impossible characters: a count of what is there, its first offset in
	 * range, and invalid bytes always among them */
	size_t at = (size_t)-1, nf = hl_text_foreign(s, size, &at);
	CHECK(nf <= size);
	CHECK(nf ? at < size : at == size);
	if (!valid)
		CHECK(nf > 0 && at <= bad);

	char *n = NULL, *l = NULL, *f = NULL;
	int rn = hl_text_nfc(&n, s, (long)size);
	int rl = hl_text_lower(&l, s, (long)size);
	int rf = hl_text_fold(&f, s, (long)size);
	/* NFC, lower case and folding accept and refuse the same inputs, for the same reason. */
	CHECK(rn == rl && rl == rf);
	if (!valid || nul) {
		/* Bad bytes anywhere: invalid, even after a pile of combining marks. */
		CHECK(rn == HL_EINVALID);
		CHECK(!n && !l && !f); /* not written on failure */
	} else if (rn == HL_ELIMIT) {
		/* A pile of combining marks. */
		CHECK(strstr(hl_error_last(), "combining marks"));
		CHECK(!n && !l && !f);
	} else {
		CHECK(rn == 0);
		CHECK(valid_utf8(n) && valid_utf8(l) && valid_utf8(f));
		/* Idempotent, and each a function of the NFC form. */
		same(hl_text_nfc, n, n);
		same(hl_text_lower, l, l);
		same(hl_text_fold, f, f);
		same(hl_text_fold, l, f);
		same(hl_text_lower, n, l);
		same(hl_text_fold, n, f);
		/* What one writes, the others take (no output holds a pile of marks). */
		free(apply(hl_text_nfc, l, -1));
		free(apply(hl_text_nfc, f, -1));
		free(apply(hl_text_lower, f, -1));
		CHECK(hl_text_has_marks(f, -1) == 0);
		free(n);
		free(l);
		free(f);
	}

	walk w = {.in = s, .len = size};
	CHECK(hl_text_tokenize(s, size, on_token, &w) == 0);
	return 0;
}
