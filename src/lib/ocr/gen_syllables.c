/* Build tool: the Vietnamese syllable list of the OCR review rule (check.c), made from real text.
 * Reads the law corpus (data/corpus/alqac2023_law_articles.jsonl: one JSON object a line with
 * law_title, article_title and text) and writes a C file holding every distinct syllable of it,
 * as the text module's tokenizer gives it (hl_text_tokenize's exact form: lower case NFC, one
 * tone placement), sorted by bytes for bsearch. A token is kept when it holds no digit and
 * nothing Vietnamese never writes (hl_text_foreign): "qh14" and "ñandú" are not syllables.
 *
 * Usage: gen_syllables CORPUS.jsonl OUT.c   (meson runs it at build time: src/lib/ocr/meson.build)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "halong/text.h"

typedef struct {
	char **v;
	size_t n, cap;
	uint64_t tokens;
	const char *src;
} words;

static int add(const hl_token *t, void *ud)
{
	words *w = ud;
	size_t len = t->end - t->start;
	w->tokens++;
	if (strpbrk(t->exact, "0123456789") || strlen(t->exact) >= HL_TEXT_MAX_TOKEN ||
	    hl_text_foreign(w->src + t->start, len, NULL))
		return 0;
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 4096;
		char **v = realloc(w->v, cap * sizeof(*v));
		if (!v)
			return -1;
		w->v = v, w->cap = cap;
	}
	if (!(w->v[w->n] = strdup(t->exact)))
		return -1;
	w->n++;
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	words w = {0};
	FILE *in, *out;
	char *line = NULL;
	size_t cap = 0, kept = 0, articles = 0;
	uint32_t id = 2166136261u; /* FNV-1a over the list, one NUL after each syllable */
	int rc = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: gen_syllables CORPUS.jsonl OUT.c\n");
		return 2;
	}
	if (!(in = fopen(argv[1], "r"))) {
		perror(argv[1]);
		return 1;
	}
	while (getline(&line, &cap, in) > 0) {
		json_error_t e;
		json_t *a = json_loads(line, 0, &e);
		static const char *const fields[] = {"law_title", "article_title", "text"};
		if (!a) {
			fprintf(stderr, "%s:%zu: %s\n", argv[1], articles + 1, e.text);
			goto done;
		}
		for (size_t i = 0; i < 3; i++) {
			const char *s = json_string_value(json_object_get(a, fields[i]));
			if (!s)
				continue;
			w.src = s;
			if (hl_text_tokenize(s, strlen(s), add, &w) != 0) {
				fprintf(stderr, "gen_syllables: out of memory\n");
				json_decref(a);
				goto done;
			}
		}
		json_decref(a);
		articles++;
	}
	if (!articles || !w.n) {
		fprintf(stderr, "%s: no articles\n", argv[1]);
		goto done;
	}
	qsort(w.v, w.n, sizeof(*w.v), cmp);
	if (!(out = fopen(argv[2], "w"))) {
		perror(argv[2]);
		goto done;
	}
	for (size_t i = 0; i < w.n; i++)
		if (!kept || strcmp(w.v[i], w.v[kept - 1]))
			w.v[kept++] = w.v[i];
		else
			free(w.v[i]), w.v[i] = NULL;
	fprintf(
	    out,
	    "/* Generated at build time by src/lib/ocr/gen_syllables.c from %s: do not edit.\n"
	    " * %zu articles, %llu tokens, %zu distinct syllables (no digit, only letters of the\n"
	    " * Vietnamese alphabet), in hl_text_tokenize's exact form, sorted by bytes. */\n"
	    "#include <stddef.h>\n\n"
	    "extern const char *const hl_ocr__syllables[];\n"
	    "extern const size_t hl_ocr__n_syllables;\n"
	    "extern const unsigned hl_ocr__syllables_id;\n\n"
	    "const char *const hl_ocr__syllables[] = {\n",
	    strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1], articles,
	    (unsigned long long)w.tokens, kept);
	for (size_t i = 0; i < kept; i++) {
		fprintf(out, "    \"%s\",\n", w.v[i]);
		for (const unsigned char *p = (const unsigned char *)w.v[i];; p++) {
			id = (id ^ *p) * 16777619u;
			if (!*p)
				break;
		}
	}
	fprintf(out, "};\nconst size_t hl_ocr__n_syllables = %zu;\n", kept);
	fprintf(out, "const unsigned hl_ocr__syllables_id = 0x%08xu;\n",
	        (unsigned)(id & 0x7fffffff));
	rc = fclose(out) == 0 ? 0 : 1;
	w.n = kept;
done:
	for (size_t i = 0; i < w.n; i++)
		free(w.v[i]);
	free(w.v);
	free(line);
	fclose(in);
	return rc;
}
