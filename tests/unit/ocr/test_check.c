/* Unit tests of the OCR review rule (check.c): the syllable list made from the law corpus,
 * unknown words, unsure words and characters Vietnamese never writes, on words read from the
 * demo's noisy page; and a corrected text laid on the machine's boxes (retext.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "halong/ocr.h"
#include "halong/text.h"

static hl_ocr_check check(const char *text)
{
	hl_ocr_check c;
	assert_int_equal(hl_ocr_check_text(&c, text, -1, NULL, 0), 0);
	return c;
}

static void test_list_from_the_corpus(void **state)
{
	(void)state;
	/* every syllable of 2,131 articles: well over a thousand, and its words in it */
	assert_true(hl_ocr_syllables_count() > 1500);
	assert_true(hl_ocr_syllable_known("quyết"));
	assert_true(hl_ocr_syllable_known("luật"));
	assert_true(hl_ocr_syllable_known("giải"));
	/* the exact form: the new tone placement ("hoà"), whichever the text used */
	assert_true(hl_ocr_syllable_known("hoà"));
	assert_false(hl_ocr_syllable_known("hòa"));
	/* misreads of the noisy demo page are not syllables of the law */
	assert_false(hl_ocr_syllable_known("dé"));
	assert_false(hl_ocr_syllable_known("trudng"));
	assert_false(hl_ocr_syllable_known("qh14")); /* digits are never kept */
	assert_false(hl_ocr_syllable_known(""));
	assert_true(hl_ocr_check_rule_id() > 0);
}

/* The rule agrees with the list on every word of the corpus it was made from: a word's form
 * at lookup is the form the list was made with (old and new tone placement, capitals, NFD). */
static void test_corpus_has_nothing_unknown(void **state)
{
	char path[4096], *line = NULL;
	size_t cap = 0, n = 0;
	FILE *f;
	(void)state;
	snprintf(path, sizeof(path), "%s/corpus/alqac2023_law_articles.jsonl", HL_SOURCE_DATADIR);
	assert_non_null(f = fopen(path, "r"));
	while (getline(&line, &cap, f) > 0) {
		json_t *a = json_loads(line, 0, NULL);
		const char *t = json_string_value(json_object_get(a, "text"));
		hl_ocr_check c;
		assert_non_null(t);
		assert_int_equal(hl_ocr_check_text(&c, t, -1, NULL, 0), 0);
		if (c.unknown || c.bad_chars)
			fail_msg("article %zu: %u unknown, %u bad characters, first \"%s\"", n + 1,
			         c.unknown, c.bad_chars, c.examples[0]);
		assert_true(c.words > 0);
		json_decref(a);
		n++;
	}
	free(line);
	fclose(f);
	assert_int_equal(n, 2131);
}

static void test_unknown_words(void **state)
{
	(void)state;
	/* what the demo's noisy page reads at 95% mean confidence ("Luật này để giải quyết") */
	hl_ocr_check c = check("Luật nay dé giai quyết");
	assert_int_equal(c.words, 5);
	assert_int_equal(c.unknown, 2);
	assert_int_equal(c.bad_chars, 0);
	assert_int_equal(c.score, 2);
	assert_int_equal(c.n_examples, 2);
	assert_string_equal(c.examples[0], "nay");
	assert_string_equal(c.examples[1], "dé");
	/* the correction has none */
	c = check("Luật này để giải quyết");
	assert_int_equal(c.unknown, 0);
	assert_int_equal(c.score, 0);
	/* old and new tone placement, capitals, decomposed letters: one word */
	c = check("HÒA giải, hoà giải, Ho\xcc\x80"
	          "a giải");
	assert_int_equal(c.unknown, 0);
	/* each word is shown once, in the order of the text, as written */
	c = check("Trudng hop Trudng hop thac");
	assert_int_equal(c.unknown, 5);
	assert_int_equal(c.n_examples, 3);
	assert_string_equal(c.examples[0], "Trudng");
	assert_string_equal(c.examples[2], "thac");
}

static void test_numbers_and_abbreviations_are_not_words(void **state)
{
	(void)state;
	hl_ocr_check c = check("Nghị định 30/2020/NĐ-CP ngày 05/3/2020; Luật số 12/2019/QH14");
	assert_int_equal(c.unknown, 0);
	c = check("UBND HĐND"); /* capitals without a mark: abbreviations, not looked up */
	assert_int_equal(c.words, 0);
	assert_int_equal(c.unknown, 0);
	/* a capital word with a mark is a word: "LUÂT" is a misread "LUẬT" */
	c = check("LUẬT LUÂT");
	assert_int_equal(c.words, 2);
	assert_int_equal(c.unknown, 1);
	assert_string_equal(c.examples[0], "LUÂT");
}

static void test_characters_vietnamese_never_writes(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		size_t bad;
	} cases[] = {
	    {"Điều 5 – “khoản 2”… 25°C © §", 0}, /* punctuation and symbols are written */
	    {"Ðiều", 0},                         /* the look-alike of Đ the corpus has */
	    {"ng\xc2\xad"
	     "ười",
	     0},                      /* a soft hyphen */
	    {"e\xcc\xa3\xcc\x82", 0}, /* ệ decomposed, marks in either order */
	    {"ñày", 1},               /* ñ: a letter of Spanish */
	    {"µ ß ø ə", 4},           /* letters of other alphabets */
	    {"Привет", 6},            /* Cyrillic: six letters */
	    {"a\xcc\x84", 1},         /* a with macron: a mark Vietnamese has not */
	    {"m\xcc\x81", 1},         /* a tone on a consonant */
	    {"ơ\xcc\x82", 1},         /* two diacritics */
	    {"a\xcc\x81\xcc\x80", 1}, /* two tones */
	    {"Lu\xc2\xb8t", 1},       /* a cedilla left alone (¸) */
	    {"x\xef\xbf\xbdy", 1},    /* U+FFFD */
	    {"a\x01"
	     "b\x7f",
	     2},                 /* controls */
	    {"\xee\x80\x80", 1}, /* private use */
	    {"\xcc\x81"
	     "a",
	     1},              /* a mark with nothing under it */
	    {"1\xcc\x81", 1}, /* a mark on a digit */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t at, n = hl_text_foreign(cases[i].text, strlen(cases[i].text), &at);
		if (n != cases[i].bad)
			fail_msg("\"%s\": %zu foreign, want %zu", cases[i].text, n, cases[i].bad);
		assert_true(n ? at < strlen(cases[i].text) : at == strlen(cases[i].text));
	}
	/* invalid bytes count, one each */
	assert_int_equal(hl_text_foreign("a\xff\xfe"
	                                 "b",
	                                 4, NULL),
	                 2);
	/* the check counts them and shows the word holding one */
	hl_ocr_check c = check("Luật ñày và Lu\xc2\xb8t");
	assert_int_equal(c.bad_chars, 2);
	assert_int_equal(c.unknown, 2); /* "Lu" and "t" around the cedilla */
	assert_string_equal(c.examples[0], "ñày");
}

static void test_unsure_words(void **state)
{
	(void)state;
	/* words and confidences as the engine gave them on the noisy demo page */
	hl_ocr_word w[] = {
	    {"Điều", 0, 0, 10, 10, 96, 0, 0}, {"chứng", 0, 0, 10, 10, 22, 0, 0},
	    {"-'1.", 0, 0, 10, 10, 51, 0, 0}, {"-", 0, 0, 10, 10, 0, 0, 0},
	    {"cứ.:", 0, 0, 10, 10, 47, 0, 0}, {"quyết", 0, 0, 10, 10, 61, 0, 0},
	};
	hl_ocr_check c;
	assert_int_equal(hl_ocr_check_text(&c, "Điều chứng -'1. - cứ.: quyết", -1, w, 6), 0);
	assert_int_equal(c.unknown, 0);
	assert_int_equal(c.low_conf, 2); /* a dash or a number alone is not a word to check */
	assert_int_equal(c.score, 2);
	assert_int_equal(c.n_examples, 2);
	assert_string_equal(c.examples[0], "chứng");
	assert_string_equal(c.examples[1], "cứ"); /* without its punctuation */
}

static void test_bad_input(void **state)
{
	hl_ocr_check c;
	char *big = malloc(HL_OCR_MAX_TEXT + 2);
	(void)state;
	assert_int_equal(hl_ocr_check_text(&c, "a\xc3", -1, NULL, 0), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "invalid UTF-8 at byte 1"));
	memset(big, 'a', HL_OCR_MAX_TEXT + 1);
	big[HL_OCR_MAX_TEXT + 1] = 0;
	assert_int_equal(hl_ocr_check_text(&c, big, -1, NULL, 0), HL_ELIMIT);
	free(big);
	c = check("");
	assert_int_equal(c.score, 0);
	assert_int_equal(c.words, 0);
	/* a word longer than an example keeps a whole character */
	c = check("ệệệệệệệệệệệệệệệệệệệệệệệệệệệệệệ");
	assert_int_equal(c.unknown, 1);
	assert_true(strlen(c.examples[0]) < HL_OCR_EXAMPLE_MAX);
	assert_int_equal(strlen(c.examples[0]) % 3, 0);
}

/* ---- retext ---- */

/* A machine page of two lines: "Luật nay dé" and "giai quyết". */
static hl_ocr_page machine(void)
{
	static hl_ocr_word w[] = {
	    {"Luật", 100, 50, 80, 30, 96, 0, 0},   {"nay", 190, 50, 60, 30, 95, 0, 0},
	    {"dé", 260, 50, 40, 30, 90, 0, 0},     {"giai", 100, 100, 70, 30, 88, 0, 1},
	    {"quyết", 180, 100, 90, 30, 96, 0, 1},
	};
	hl_ocr_page p = {0};
	p.page_no = 1, p.width = 1000, p.height = 1400, p.dpi = 300;
	p.mean_conf = 93;
	p.text = "Luật nay dé\ngiai quyết";
	p.words = w, p.n_words = 5;
	return p;
}

static void test_retext_same_words_same_boxes(void **state)
{
	hl_ocr_page m = machine(), r;
	(void)state;
	assert_int_equal(hl_ocr_page_retext(&r, &m, "Luật này để\ngiải quyết"), 0);
	assert_string_equal(r.text, "Luật này để\ngiải quyết");
	assert_int_equal(r.n_words, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(r.words[i].x, m.words[i].x);
		assert_int_equal(r.words[i].w, m.words[i].w);
		assert_int_equal(r.words[i].line, m.words[i].line);
		assert_true(r.words[i].conf == 100);
	}
	assert_string_equal(r.words[1].text, "này");
	assert_string_equal(r.words[3].text, "giải");
	assert_int_equal(r.from_text_layer, 0);
	/* ALTO carries the corrected words */
	char *xml;
	assert_int_equal(hl_ocr_alto(&xml, &r, "scan.png"), 0);
	assert_non_null(strstr(xml, "CONTENT=\"để\""));
	assert_null(strstr(xml, "CONTENT=\"dé\""));
	free(xml);
	hl_ocr_page_free(&r);
}

static void test_retext_other_counts(void **state)
{
	hl_ocr_page m = machine(), r;
	(void)state;
	/* line 1 gets four words for three boxes: its box shared, in order, inside it */
	assert_int_equal(hl_ocr_page_retext(&r, &m, "Luật này để cho\ngiải quyết"), 0);
	assert_int_equal(r.n_words, 6);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(r.words[i].line, 0);
		assert_true(r.words[i].x >= 100 && r.words[i].x + r.words[i].w <= 300);
		assert_int_equal(r.words[i].y, 50);
		if (i)
			assert_true(r.words[i].x > r.words[i - 1].x);
	}
	assert_int_equal(r.words[4].x, 100); /* line 2 as it was */
	hl_ocr_page_free(&r);
	/* one line for two: the words follow the recognised lines in order */
	assert_int_equal(hl_ocr_page_retext(&r, &m, "Luật này để giải quyết"), 0);
	assert_int_equal(r.n_words, 5);
	assert_int_equal(r.words[0].line, 0);
	assert_int_equal(r.words[4].line, 1);
	hl_ocr_page_free(&r);
	/* nothing recognised: lines down the page, inside it */
	hl_ocr_page empty = m;
	empty.n_words = 0;
	assert_int_equal(hl_ocr_page_retext(&r, &empty, "một\nhai ba\n\n"), 0);
	assert_int_equal(r.n_words, 3);
	assert_true(r.words[1].y > r.words[0].y);
	for (size_t i = 0; i < 3; i++)
		assert_true(r.words[i].y + r.words[i].h <= 1400 && r.words[i].x >= 0);
	hl_ocr_page_free(&r);
	/* an empty correction: no words */
	assert_int_equal(hl_ocr_page_retext(&r, &m, ""), 0);
	assert_int_equal(r.n_words, 0);
	assert_string_equal(r.text, "");
	hl_ocr_page_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_list_from_the_corpus),
	    cmocka_unit_test(test_corpus_has_nothing_unknown),
	    cmocka_unit_test(test_unknown_words),
	    cmocka_unit_test(test_numbers_and_abbreviations_are_not_words),
	    cmocka_unit_test(test_characters_vietnamese_never_writes),
	    cmocka_unit_test(test_unsure_words),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_retext_same_words_same_boxes),
	    cmocka_unit_test(test_retext_other_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
