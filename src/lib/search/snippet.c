/* Snippets: the window of a document's text that holds the most query words, with them marked. */
#include <stdlib.h>
#include <string.h>

#include "halong/text.h"
#include "search/search_int.h"

typedef struct {
	size_t start, end;
	int term;          /* index of the query word it matches, -1 if none */
	unsigned char run; /* it stands beside a query word typed next to it */
} tok;

typedef struct {
	tok *v;
	size_t n, cap;
	const hl_snip_term *terms;
	size_t nterms;
} tok_list;

typedef struct {
	char *p;
	size_t n, cap;
	int oom;
} buf;

static void buf_add(buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void buf_str(buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* Copies text, escaping it for HTML when asked. */
static void buf_text(buf *b, const char *s, size_t n, int html)
{
	if (!html) {
		buf_add(b, s, n);
		return;
	}
	size_t from = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rep = NULL;
		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			break;
		}
		if (rep) {
			buf_add(b, s + from, i - from);
			buf_str(b, rep);
			from = i + 1;
		}
	}
	buf_add(b, s + from, n - from);
}

/* The text between two tokens: every run of whitespace becomes one space (law text is laid out
 * in paragraphs, a snippet is one line). */
static void buf_gap(buf *b, const char *s, size_t n, int html)
{
	size_t from = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t' || s[i] == '\f' ||
		    s[i] == '\v') {
			buf_text(b, s + from, i - from, html);
			size_t j = i;
			while (j < n && (s[j] == ' ' || s[j] == '\n' || s[j] == '\r' ||
			                 s[j] == '\t' || s[j] == '\f' || s[j] == '\v'))
				j++;
			buf_add(b, " ", 1);
			i = j - 1;
			from = j;
		}
	}
	buf_text(b, s + from, n - from, html);
}

static int match_term(const tok_list *tl, const char *folded)
{
	for (size_t i = 0; i < tl->nterms; i++) {
		const hl_snip_term *t = &tl->terms[i];
		if (t->prefix ? strncmp(folded, t->folded, strlen(t->folded)) == 0
		              : strcmp(folded, t->folded) == 0)
			return (int)i;
	}
	return -1;
}

static int on_token(const hl_token *t, void *ud)
{
	tok_list *tl = ud;
	if (tl->n == tl->cap) {
		size_t cap = tl->cap ? tl->cap * 2 : 128;
		tok *v = realloc(tl->v, cap * sizeof(*v));
		if (!v)
			return HL_ENOMEM;
		tl->v = v;
		tl->cap = cap;
	}
	tl->v[tl->n].start = t->start;
	tl->v[tl->n].end = t->end;
	tl->v[tl->n].term = match_term(tl, t->folded);
	tl->v[tl->n].run = 0;
	tl->n++;
	return 0;
}

static int only_space(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return 0;
	return 1;
}

/* Keeps the matches of a word typed beside another only where they stand side by side, when
 * they do somewhere in the text (hl_snip_term.follows). */
static void keep_runs(tok_list *tl, const char *text)
{
	uint64_t paired = 0, in_run = 0;
	for (size_t i = 0; i < tl->nterms && i < 64; i++)
		if (tl->terms[i].follows) {
			paired |= tl->terms[i].follows;
			paired |= (uint64_t)1 << i;
		}
	if (!paired)
		return;
	for (size_t k = 0; k + 1 < tl->n; k++) {
		int a = tl->v[k].term, b = tl->v[k + 1].term;
		if (a < 0 || b < 0 || a >= 64 || b >= 64 || !(tl->terms[b].follows >> a & 1) ||
		    !only_space(text + tl->v[k].end, tl->v[k + 1].start - tl->v[k].end))
			continue;
		tl->v[k].run = tl->v[k + 1].run = 1;
		in_run |= (uint64_t)1 << a | (uint64_t)1 << b;
	}
	for (size_t k = 0; k < tl->n; k++) {
		int t = tl->v[k].term;
		if (t >= 0 && t < 64 && !tl->v[k].run && (paired & in_run) >> t & 1)
			tl->v[k].term = -1;
	}
}

/* Picks the window [*from, *to) of at most HL_SNIPPET_TOKENS tokens with the most distinct query
 * words (then the most matches), and centres its matches in it. */
static void pick_window(size_t *from, size_t *to, const tok_list *tl, size_t *counts)
{
	size_t n = tl->n, w = n < HL_SNIPPET_TOKENS ? n : HL_SNIPPET_TOKENS;
	size_t distinct = 0, total = 0, best_score = 0, best = 0;
	memset(counts, 0, tl->nterms * sizeof(*counts));
	for (size_t i = 0; i < n; i++) {
		int t = tl->v[i].term;
		if (t >= 0) {
			total++;
			if (counts[t]++ == 0)
				distinct++;
		}
		if (i >= w) {
			int o = tl->v[i - w].term;
			if (o >= 0) {
				total--;
				if (--counts[o] == 0)
					distinct--;
			}
		}
		if (i + 1 >= w) {
			size_t score = distinct * 100000 + total;
			if (score > best_score) {
				best_score = score;
				best = i + 1 - w;
			}
		}
	}
	size_t s = best;
	if (best_score > 0) {
		size_t first = s, last = s;
		int seen = 0;
		for (size_t i = s; i < s + w; i++) {
			if (tl->v[i].term >= 0) {
				if (!seen)
					first = i;
				last = i;
				seen = 1;
			}
		}
		size_t slack = w - (last - first + 1);
		s = first > slack / 2 ? first - slack / 2 : 0;
		if (s + w > n)
			s = n - w;
	}
	*from = s;
	*to = s + w;
}

int hl_search__snippet(char **out, const char *text, const hl_snip_term *terms, size_t nterms,
                       const char *mark_open, const char *mark_close, int html)
{
	tok_list tl = {.terms = terms, .nterms = nterms};
	buf b = {0};
	size_t *counts = NULL;
	int rc;
	if (!text)
		text = "";
	if (!mark_open)
		mark_open = "<mark>";
	if (!mark_close)
		mark_close = "</mark>";
	size_t len = strnlen(text, HL_SNIPPET_SCAN_MAX + 1);
	int cut = len > HL_SNIPPET_SCAN_MAX;
	if (cut) {
		len = HL_SNIPPET_SCAN_MAX;
		while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
			len--; /* never split a UTF-8 sequence */
	}
	rc = hl_text_tokenize(text, len, on_token, &tl);
	if (rc < 0)
		goto done;
	keep_runs(&tl, text);
	buf_add(&b, "", 0);
	if (tl.n > 0) {
		size_t from, to;
		counts = calloc(nterms ? nterms : 1, sizeof(*counts));
		if (!counts) {
			rc = HL_ENOMEM;
			goto done;
		}
		pick_window(&from, &to, &tl, counts);
		if (from > 0)
			buf_str(&b, "…");
		for (size_t i = from; i < to; i++) {
			if (i > from)
				buf_gap(&b, text + tl.v[i - 1].end, tl.v[i].start - tl.v[i - 1].end,
				        html);
			if (tl.v[i].term >= 0)
				buf_str(&b, mark_open);
			buf_text(&b, text + tl.v[i].start, tl.v[i].end - tl.v[i].start, html);
			if (tl.v[i].term >= 0)
				buf_str(&b, mark_close);
		}
		if (to < tl.n || cut)
			buf_str(&b, "…");
	}
	if (b.oom) {
		rc = HL_ENOMEM;
		goto done;
	}
	*out = b.p;
	b.p = NULL;
	rc = 0;
done:
	if (rc == HL_ENOMEM)
		hl_error_set(rc, "out of memory making a snippet");
	free(b.p);
	free(tl.v);
	free(counts);
	return rc;
}
