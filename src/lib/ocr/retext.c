/* A recognised page given a person's corrected text: the corrected words laid on the machine's
 * word boxes, line by line, so that ALTO and the searchable PDF carry them where the page
 * shows them. */
#include <stdlib.h>
#include <string.h>

#include "halong/ocr.h"
#include "halong/util.h"

typedef struct {
	size_t first, n; /* the machine's words [first, first + n) */
	int32_t x0, y0, x1, y1;
	uint32_t block, line;
} mline;

typedef struct {
	const char *s;
	size_t len;
} span;

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* The recognised lines: runs of words with the same block and line. */
static mline *machine_lines(const hl_ocr_page *m, size_t *count)
{
	mline *v = calloc(m->n_words ? m->n_words : 1, sizeof(*v));
	size_t n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < m->n_words; i++) {
		const hl_ocr_word *w = &m->words[i];
		mline *l = n ? &v[n - 1] : NULL;
		if (!l || w->block != l->block || w->line != l->line) {
			l = &v[n++];
			*l = (mline){i, 0, w->x, w->y, w->x + w->w, w->y + w->h, w->block, w->line};
		}
		l->n++;
		if (w->x < l->x0)
			l->x0 = w->x;
		if (w->y < l->y0)
			l->y0 = w->y;
		if (w->x + w->w > l->x1)
			l->x1 = w->x + w->w;
		if (w->y + w->h > l->y1)
			l->y1 = w->y + w->h;
	}
	*count = n;
	return v;
}

/* The words of s (split on white space), and the index of the first word of each non-empty line
 * in *line_at (nlines + 1 entries, the last = nwords). */
static int split(span **words, size_t *nwords, size_t **line_at, size_t *nlines, const char *s)
{
	size_t cw = 0, cl = 0, nw = 0, nl = 0, len = strlen(s);
	span *w;
	size_t *la;
	for (size_t i = 0; i < len; i++)
		cw += !is_space(s[i]) && (i == 0 || is_space(s[i - 1])), cl += s[i] == '\n';
	w = calloc(cw + 1, sizeof(*w));
	la = calloc(cl + 2, sizeof(*la));
	if (!w || !la) {
		free(w), free(la);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < len;) {
		size_t line_words = 0;
		size_t end = i;
		while (end < len && s[end] != '\n')
			end++;
		for (size_t j = i; j < end;) {
			while (j < end && is_space(s[j]))
				j++;
			if (j >= end)
				break;
			size_t k = j;
			while (k < end && !is_space(s[k]))
				k++;
			if (!line_words++)
				la[nl++] = nw;
			w[nw++] = (span){s + j, k - j};
			j = k;
		}
		i = end + 1;
	}
	la[nl] = nw;
	*words = w, *nwords = nw, *line_at = la, *nlines = nl;
	return 0;
}

/* Letters, roughly: the bytes that start a character. */
static size_t chars(span w)
{
	size_t n = 0;
	for (size_t i = 0; i < w.len; i++)
		n += ((unsigned char)w.s[i] & 0xC0) != 0x80;
	return n ? n : 1;
}

/* Words [a, b) of the text onto machine line l: its own boxes when the counts agree, else its
 * box shared in proportion to the words' letters (a space's worth between them). */
static int lay(hl_ocr_page *out, const hl_ocr_page *m, const mline *l, const span *w, size_t a,
               size_t b)
{
	size_t total = 0, at = 0;
	int32_t width = l->x1 - l->x0;
	for (size_t i = a; i < b; i++)
		total += chars(w[i]) + 1;
	for (size_t i = a; i < b; i++) {
		hl_ocr_word *o = &out->words[out->n_words];
		if (!(o->text = malloc(w[i].len + 1)))
			return hl_error_set(HL_ENOMEM, "out of memory");
		memcpy(o->text, w[i].s, w[i].len);
		o->text[w[i].len] = '\0';
		if (b - a == l->n) {
			const hl_ocr_word *src = &m->words[l->first + (i - a)];
			o->x = src->x, o->y = src->y, o->w = src->w, o->h = src->h;
		} else {
			size_t c = chars(w[i]);
			o->x = l->x0 + (int32_t)((int64_t)width * (int64_t)at / (int64_t)total);
			o->w = (int32_t)((int64_t)width * (int64_t)c / (int64_t)total);
			o->y = l->y0, o->h = l->y1 - l->y0;
			if (o->w < 1)
				o->w = 1;
			at += c + 1;
		}
		o->conf = 100;
		o->block = l->block, o->line = l->line;
		out->n_words++;
	}
	return 0;
}

static int copy_meta(hl_ocr_page *out, const hl_ocr_page *m, const char *text)
{
	out->page_no = m->page_no;
	out->width = m->width, out->height = m->height, out->dpi = m->dpi;
	out->from_text_layer = 0;
	out->mean_conf = m->mean_conf;
	out->rotation = m->rotation, out->skew_deg = m->skew_deg;
	out->warn_flags = m->warn_flags;
	if (!(out->text = hl_strdup(text)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	if (m->n_warnings && !(out->warnings = calloc(m->n_warnings, sizeof(char *))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	for (size_t i = 0; i < m->n_warnings; i++, out->n_warnings++)
		if (!(out->warnings[i] = hl_strdup(m->warnings[i])))
			return hl_error_set(HL_ENOMEM, "out of memory");
	return 0;
}

int hl_ocr_page_retext(hl_ocr_page *out, const hl_ocr_page *machine, const char *text)
{
	hl_ocr_page p = {0};
	span *w = NULL;
	size_t nw = 0, *la = NULL, nl = 0, nml = 0;
	mline *ml = NULL;
	int rc;

	if (!text)
		text = "";
	if ((rc = copy_meta(&p, machine, text)) < 0 || (rc = split(&w, &nw, &la, &nl, text)) < 0)
		goto done;
	if (!(ml = machine_lines(machine, &nml)) ||
	    (nw && !(p.words = calloc(nw, sizeof(*p.words))))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	if (!nw)
		goto done;
	if (!nml) {
		/* nothing was recognised: the lines go down the page, one line height apart */
		int32_t h = (int32_t)(machine->height / (nl + 2));
		for (size_t i = 0; i < nl && rc == 0; i++) {
			mline l = {0,
			           0,
			           (int32_t)machine->width / 20,
			           (int32_t)(h * (i + 1)),
			           (int32_t)machine->width * 19 / 20,
			           (int32_t)(h * (i + 1) + h * 2 / 3),
			           0,
			           (uint32_t)i};
			if (l.x1 <= l.x0)
				l.x1 = l.x0 + 1;
			if (l.y1 <= l.y0)
				l.y1 = l.y0 + 1;
			rc = lay(&p, machine, &l, w, la[i], la[i + 1]);
		}
	} else if (nl == nml) {
		for (size_t i = 0; i < nl && rc == 0; i++)
			rc = lay(&p, machine, &ml[i], w, la[i], la[i + 1]);
	} else {
		/* the lines do not pair up: the words follow the recognised lines in proportion to
		 * how many words each held */
		size_t done_w = 0, seen = 0;
		for (size_t i = 0; i < nml && rc == 0; i++) {
			seen += ml[i].n;
			size_t upto = i + 1 == nml ? nw : nw * seen / machine->n_words;
			if (upto > done_w)
				rc = lay(&p, machine, &ml[i], w, done_w, upto);
			if (upto > done_w)
				done_w = upto;
		}
	}
done:
	free(w), free(la), free(ml);
	if (rc < 0) {
		hl_ocr_page_free(&p);
		return rc;
	}
	*out = p;
	return 0;
}
