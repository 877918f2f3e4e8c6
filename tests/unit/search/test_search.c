/* Unit tests of the search module: a real store in a temp directory filled with real law articles
 * (ALQAC 2023) and a few small documents, indexed through the store's queue, then searched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "search/search.h"
#include "store/store.h"
#include "halong/text.h"
#include "search/search_int.h"

#define MAX_LAWS 32

typedef struct {
	char dir[64];
	char db[128];
	char index[128];
	hl_store *st;
	hl_index *ix;
	size_t ndocs;
} fx;

/* ---- building stores ---- */

static const char *corpus_path(void)
{
	static char buf[4096];
	const char *src = getenv("HALONG_SRC");
	if (src) {
		snprintf(buf, sizeof(buf), "%s/data/corpus/alqac2023_law_articles.jsonl", src);
		if (access(buf, R_OK) == 0)
			return buf;
	}
	return "/work/shared/data/corpus/alqac2023_law_articles.jsonl";
}

static void make_dirs(fx *f, const char *tag)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/hl-search-%s-XXXXXX", tag);
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/halong.db", f->dir);
	snprintf(f->index, sizeof(f->index), "%s/index", f->dir);
	assert_int_equal(hl_store_open(&f->st, f->db, 1), 0);
}

static void put(hl_store *st, const hl_doc *d)
{
	int status = 0;
	assert_int_equal(hl_store_begin(st), 0);
	if (hl_store_doc_put(&status, st, d, "test") != 0)
		fail_msg("put %s: %s", d->doc_id, hl_error_last());
	assert_int_equal(hl_store_commit(st), 0);
}

/* Puts up to `max` articles of the corpus (0: all): one fonds per law ("L01"...), the article's
 * title as subject, a year per law (2000 + law), all public. */
static size_t load_corpus(hl_store *st, size_t max)
{
	FILE *fp = fopen(corpus_path(), "r");
	char *line = NULL, laws[MAX_LAWS][128] = {{0}};
	size_t cap = 0, n = 0, nlaws = 0;
	assert_non_null(fp);
	assert_int_equal(hl_store_begin(st), 0);
	while (getline(&line, &cap, fp) > 0 && (max == 0 || n < max)) {
		json_t *o = json_loads(line, 0, NULL);
		assert_non_null(o);
		const char *law = json_string_value(json_object_get(o, "law_title"));
		const char *art = json_string_value(json_object_get(o, "article"));
		size_t li = 0;
		while (li < nlaws && strcmp(laws[li], law) != 0)
			li++;
		if (li == nlaws && nlaws < MAX_LAWS)
			snprintf(laws[nlaws++], sizeof(laws[0]), "%s", law);
		char id[160], fonds[8], dossier[16], date[16];
		snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(o, "id")));
		snprintf(fonds, sizeof(fonds), "L%02zu", li + 1);
		snprintf(dossier, sizeof(dossier), "HS-%02zu", li + 1);
		snprintf(date, sizeof(date), "%zu-01-01", 2000 + li);
		hl_doc d = {0};
		d.doc_id = id;
		d.fonds_code = fonds;
		d.dossier_code = dossier;
		d.ordinal = atoi(art) > 0 ? atoi(art) : (int64_t)n + 100000;
		d.subject = (char *)json_string_value(json_object_get(o, "article_title"));
		d.keywords = (char *)law;
		d.doc_type = strncmp(law, "Bộ luật", strlen("Bộ luật")) == 0 ? "Bộ luật" : "Luật";
		d.issuer = "Quốc hội";
		d.issued_date = date;
		d.text = (char *)json_string_value(json_object_get(o, "text"));
		d.page_count = -1;
		d.access = HL_ACCESS_PUBLIC;
		int status = 0;
		if (hl_store_doc_put(&status, st, &d, "test") != 0)
			fail_msg("put %s: %s", id, hl_error_last());
		json_decref(o);
		n++;
	}
	assert_int_equal(hl_store_commit(st), 0);
	free(line);
	fclose(fp);
	return n;
}

/* Small documents of the fonds TEST, made to tell one behaviour from another. */
typedef struct {
	const char *id, *subject, *text;
	hl_access access;
} small_doc;

static const small_doc smalls[] = {
    {"T1", "Giao đất cho hộ gia đình",
     "Ủy ban giao đất cho hộ gia đình ông An tại phường Hà Phong.", HL_ACCESS_PUBLIC},
    {"T2", "Thu hồi đất", "Phần đất được giao cho hộ gia đình bà Bình nay bị thu hồi.",
     HL_ACCESS_PUBLIC},
    {"T3", "Báo cáo du lịch", "Báo cáo về du lịch Hạ Long trong năm nay.", HL_ACCESS_PUBLIC},
    {"T4", "Báo cáo du lịch", "Báo cáo về du lịch hà lòng trong năm nay.", HL_ACCESS_PUBLIC},
    {"T5", "Hồ sơ mật", "Kế hoạch bí mật về đất quốc phòng tại Vân Đồn.", HL_ACCESS_SECRET},
    {"T6", "Thông báo nội bộ", "Thông báo nội bộ về đất rừng phòng hộ.", HL_ACCESS_INTERNAL},
    {"T7", "Ký hiệu đặc biệt", "Ghi chú <b>đất</b> & \"nhà\" 'vườn' ở Cẩm Phả.", HL_ACCESS_PUBLIC},
};

static void load_smalls(hl_store *st)
{
	for (size_t i = 0; i < sizeof(smalls) / sizeof(smalls[0]); i++) {
		hl_doc d = {0};
		d.doc_id = (char *)smalls[i].id;
		d.fonds_code = "TEST";
		d.dossier_code = "HS-T";
		d.ordinal = (int64_t)i + 1;
		d.subject = (char *)smalls[i].subject;
		d.text = (char *)smalls[i].text;
		d.doc_type = "Quyết định";
		d.issuer = "UBND thành phố Hạ Long";
		d.issued_date = "2019-03-12";
		d.page_count = -1;
		d.access = smalls[i].access;
		put(st, &d);
	}
}

static int setup_corpus(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	uint64_t applied = 0;
	make_dirs(f, "corpus");
	f->ndocs = load_corpus(f->st, 0);
	load_smalls(f->st);
	f->ndocs += sizeof(smalls) / sizeof(smalls[0]);
	assert_int_equal(hl_index_open(&f->ix, f->index, 1), 0);
	if (hl_index_update(&applied, f->ix, f->st, NULL, NULL) != 0)
		fail_msg("update: %s", hl_error_last());
	assert_int_equal(applied, f->ndocs);
	*state = f;
	return 0;
}

static int teardown_fx(void **state)
{
	fx *f = *state;
	char cmd[160];
	hl_index_free(f->ix);
	hl_store_free(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* ---- searching ---- */

static hl_hits *search_as(fx *f, const char *q, hl_access level, size_t limit)
{
	hl_index_query o = {0};
	hl_hits *h = NULL;
	o.query = q;
	o.limit = limit;
	o.max_access = level;
	if (hl_index_search(&h, f->ix, f->st, &o) != 0)
		fail_msg("search \"%s\": %s", q, hl_error_last());
	return h;
}

static hl_hits *search(fx *f, const char *q)
{
	return search_as(f, q, HL_ACCESS_SECRET, 10);
}

static int has_id(const hl_hits *h, const char *id)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->hits[i].doc_id && strcmp(h->hits[i].doc_id, id) == 0)
			return 1;
	return 0;
}

static int rank_of(const hl_hits *h, const char *id)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->hits[i].doc_id && strcmp(h->hits[i].doc_id, id) == 0)
			return (int)i;
	return -1;
}

/* Folded text of a hit, read back from the store. */
static char *folded_text(fx *f, int64_t rowid)
{
	hl_doc *d = NULL;
	char *out = NULL;
	assert_int_equal(hl_store_doc_get_rowid(&d, f->st, rowid), 0);
	size_t n = strlen(d->subject ? d->subject : "") + strlen(d->text ? d->text : "") + 2;
	char *both = malloc(n);
	snprintf(both, n, "%s\n%s", d->subject ? d->subject : "", d->text ? d->text : "");
	assert_int_equal(hl_text_fold(&out, both, -1), 0);
	free(both);
	hl_doc_free(d);
	return out;
}

static void test_tone_free_query_finds_marked_text(void **state)
{
	fx *f = *state;
	hl_hits *h = search(f, "dat dai");
	assert_true(h->n >= 5);
	assert_true(h->estimate >= h->n);
	for (size_t i = 0; i < h->n; i++) {
		char *t = folded_text(f, h->hits[i].rowid);
		if (!strstr(t, "dat dai"))
			fail_msg("hit %zu (%s) has no \"dat dai\"", i, h->hits[i].doc_id);
		free(t);
		/* the snippet shows the words with their marks */
		assert_non_null(strstr(h->hits[i].snippet, "<mark>đ"));
	}
	hl_hits_free(h);
}

static void test_adjacent_words_come_before_scattered_ones(void **state)
{
	fx *f = *state;
	/* "dat dai" are not common syllables: their adjacency comes from the document data */
	hl_hits *h = search_as(f, "dat dai", HL_ACCESS_SECRET, 1000);
	size_t adjacent = 0, scattered = 0;
	for (size_t i = 0; i < h->n; i++) {
		char *t = folded_text(f, h->hits[i].rowid);
		if (strstr(t, "dat dai")) {
			if (scattered)
				fail_msg("hit %zu (%s) holds \"dat dai\" but comes after %zu hits "
				         "holding the words apart",
				         i, h->hits[i].doc_id, scattered);
			adjacent++;
		} else {
			scattered++;
		}
		free(t);
	}
	assert_true(adjacent >= 10);
	assert_true(scattered >= 1);
	hl_hits_free(h);
}

static void test_known_item_by_title_without_tones(void **state)
{
	fx *f = *state;
	hl_hits *h = search(f, "chia quyen su dung dat cua vo chong khi ly hon");
	assert_true(h->n >= 1);
	assert_string_equal(h->hits[0].doc_id, "Luật Hôn nhân và gia đình@62");
	assert_string_equal(h->hits[0].subject, "Chia quyền sử dụng đất của vợ chồng khi ly hôn");
	assert_string_equal(h->hits[0].fonds_code, h->hits[0].fonds_code);
	hl_hits_free(h);

	/* đ is folded to d: "dieu chinh" finds "điều chỉnh" */
	h = search(f, "pham vi dieu chinh");
	assert_true(h->n == 10);
	char *t = folded_text(f, h->hits[0].rowid);
	assert_non_null(strstr(t, "pham vi dieu chinh"));
	free(t);
	hl_hits_free(h);
}

static void test_exact_tones_rank_first(void **state)
{
	fx *f = *state;
	hl_hits *h = search(f, "fonds:TEST Hạ Long");
	assert_true(rank_of(h, "T3") >= 0 && rank_of(h, "T4") >= 0);
	assert_true(rank_of(h, "T3") < rank_of(h, "T4"));
	hl_hits_free(h);
	h = search(f, "fonds:TEST hà lòng");
	assert_true(rank_of(h, "T4") >= 0 && rank_of(h, "T3") >= 0);
	assert_true(rank_of(h, "T4") < rank_of(h, "T3"));
	hl_hits_free(h);
	/* without marks the query says nothing of tones: both are found */
	h = search(f, "fonds:TEST ha long");
	assert_true(has_id(h, "T3") && has_id(h, "T4"));
	hl_hits_free(h);
}

static void test_phrase_and_plain_words(void **state)
{
	fx *f = *state;
	hl_hits *h = search(f, "fonds:TEST \"giao đất\"");
	assert_int_equal(h->n, 1);
	assert_string_equal(h->hits[0].doc_id, "T1");
	hl_hits_free(h);
	/* plain words: adjacent ones first, then the words anywhere */
	h = search(f, "fonds:TEST giao dat");
	assert_true(h->n >= 2);
	assert_string_equal(h->hits[0].doc_id, "T1");
	assert_true(has_id(h, "T2"));
	hl_hits_free(h);
	/* a phrase is ordered: "dat giao" is in neither */
	h = search(f, "fonds:TEST \"dat giao\"");
	assert_int_equal(h->n, 0);
	hl_hits_free(h);
	/* a long phrase of a real article */
	h = search(f, "\"quyen su dung dat cua vo chong\"");
	assert_true(h->n >= 1);
	for (size_t i = 0; i < h->n; i++) {
		char *t = folded_text(f, h->hits[i].rowid);
		assert_non_null(strstr(t, "quyen su dung dat cua vo chong"));
		free(t);
	}
	hl_hits_free(h);
}

static void test_exclusion(void **state)
{
	fx *f = *state;
	hl_hits *h = search(f, "fonds:TEST giao -\"giao đất\"");
	assert_int_equal(h->n, 1);
	assert_string_equal(h->hits[0].doc_id, "T2");
	hl_hits_free(h);
	/* exclusion is by folded form: -hộ also excludes "Hồ sơ" */
	h = search(f, "fonds:TEST đất -hộ");
	assert_int_equal(h->n, 1);
	assert_string_equal(h->hits[0].doc_id, "T7");
	hl_hits_free(h);
	/* on the corpus: no hit of "ma tuy" holds the excluded word */
	h = search(f, "ma tuy -cai");
	assert_true(h->n == 10);
	for (size_t i = 0; i < h->n; i++) {
		char *t = folded_text(f, h->hits[i].rowid);
		char *p = t;
		while ((p = strstr(p, "cai")) != NULL) {
			int left = p == t || !((p[-1] >= 'a' && p[-1] <= 'z'));
			int right = !(p[3] >= 'a' && p[3] <= 'z');
			assert_false(left && right);
			p += 3;
		}
		free(t);
	}
	hl_hits_free(h);
}

static void test_prefix(void **state)
{
	fx *f = *state;
	hl_hits *h = search(f, "fonds:TEST gia*");
	assert_true(has_id(h, "T1") && has_id(h, "T2"));
	assert_false(has_id(h, "T3") || has_id(h, "T4"));
	/* the snippet marks the words the prefix matched */
	size_t r = (size_t)rank_of(h, "T1");
	assert_non_null(strstr(h->hits[r].snippet, "<mark>giao</mark>"));
	assert_non_null(strstr(h->hits[r].snippet, "<mark>gia</mark>"));
	hl_hits_free(h);
	h = search(f, "phong chong ma tu*");
	assert_true(h->n == 10);
	assert_non_null(strstr(h->hits[0].snippet, "<mark>túy</mark>"));
	hl_hits_free(h);
}

static void test_field_filters(void **state)
{
	fx *f = *state;
	hl_hits *h = search(f, "fonds:L01 ma tuy");
	assert_true(h->n == 10);
	for (size_t i = 0; i < h->n; i++)
		assert_string_equal(h->hits[i].fonds_code, "L01");
	hl_hits_free(h);
	h = search(f, "-fonds:L01 ma tuy");
	assert_true(h->n >= 1);
	for (size_t i = 0; i < h->n; i++)
		assert_string_not_equal(h->hits[i].fonds_code, "L01");
	hl_hits_free(h);

	const char *typed[] = {"type:\"quyết định\" đất", "type:quyet_dinh dat",
	                       "type:Quyết-định đất"};
	for (size_t k = 0; k < 3; k++) {
		h = search(f, typed[k]);
		assert_true(h->n >= 3);
		for (size_t i = 0; i < h->n; i++)
			assert_string_equal(h->hits[i].doc_type, "Quyết định");
		hl_hits_free(h);
	}
	h = search(f, "type:\"bộ luật\" quyen so huu");
	assert_true(h->n >= 1);
	for (size_t i = 0; i < h->n; i++)
		assert_string_equal(h->hits[i].doc_type, "Bộ luật");
	hl_hits_free(h);

	h = search(f, "year:2019 đất");
	assert_true(h->n >= 3);
	for (size_t i = 0; i < h->n; i++)
		assert_string_equal(h->hits[i].issued_date, "2019-03-12");
	hl_hits_free(h);
	h = search(f, "year:2000..2001 dat");
	assert_true(h->n >= 1);
	for (size_t i = 0; i < h->n; i++)
		assert_true(strncmp(h->hits[i].issued_date, "2000", 4) == 0 ||
		            strncmp(h->hits[i].issued_date, "2001", 4) == 0);
	hl_hits_free(h);

	h = search(f, "issuer:\"ha long\" dat");
	assert_true(h->n >= 3);
	for (size_t i = 0; i < h->n; i++)
		assert_string_equal(h->hits[i].issuer, "UBND thành phố Hạ Long");
	hl_hits_free(h);
	h = search(f, "issuer:\"quoc hoi\" \"ha long\"");
	assert_int_equal(h->n, 0);
	hl_hits_free(h);

	/* filters alone list their documents */
	h = search_as(f, "fonds:TEST", HL_ACCESS_SECRET, 50);
	assert_int_equal(h->n, sizeof(smalls) / sizeof(smalls[0]));
	hl_hits_free(h);
}

static void test_access_filter(void **state)
{
	fx *f = *state;
	hl_hits *h = search_as(f, "dat quoc phong", HL_ACCESS_INTERNAL, 50);
	assert_false(has_id(h, "T5"));
	for (size_t i = 0; i < h->n; i++)
		assert_true(h->hits[i].access <= HL_ACCESS_INTERNAL);
	hl_hits_free(h);
	h = search_as(f, "fonds:TEST dat", HL_ACCESS_PUBLIC, 50);
	assert_false(has_id(h, "T5") || has_id(h, "T6"));
	assert_true(has_id(h, "T1"));
	hl_hits_free(h);
	h = search_as(f, "fonds:TEST dat", HL_ACCESS_INTERNAL, 50);
	assert_true(has_id(h, "T6"));
	assert_false(has_id(h, "T5"));
	hl_hits_free(h);
	h = search_as(f, "dat quoc phong", HL_ACCESS_SECRET, 50);
	assert_true(has_id(h, "T5"));
	assert_int_equal(h->hits[rank_of(h, "T5")].access, HL_ACCESS_SECRET);
	hl_hits_free(h);
}

static void test_snippet_marks_and_escapes(void **state)
{
	fx *f = *state;
	hl_index_query o = {0};
	hl_hits *h = NULL;
	o.query = "fonds:TEST dat nha";
	o.max_access = HL_ACCESS_SECRET;
	o.html = 1;
	assert_int_equal(hl_index_search(&h, f->ix, f->st, &o), 0);
	int r = rank_of(h, "T7");
	assert_true(r >= 0);
	assert_string_equal(h->hits[r].snippet, "Ghi chú &lt;b&gt;<mark>đất</mark>&lt;/b&gt; &amp; "
	                                        "&quot;<mark>nhà</mark>&quot; &#39;vườn&#39; ở Cẩm "
	                                        "Phả");
	hl_hits_free(h);

	o.html = 0;
	o.mark_open = "[";
	o.mark_close = "]";
	assert_int_equal(hl_index_search(&h, f->ix, f->st, &o), 0);
	r = rank_of(h, "T7");
	assert_string_equal(h->hits[r].snippet,
	                    "Ghi chú <b>[đất]</b> & \"[nhà]\" 'vườn' ở Cẩm Phả");
	hl_hits_free(h);

	/* a long article: a window cut at both ends, the words marked inside it */
	h = search(f, "vo chong ly hon");
	assert_true(h->n >= 1);
	const char *s = h->hits[0].snippet;
	assert_non_null(strstr(s, "<mark>ly</mark> <mark>hôn</mark>"));
	assert_true(strlen(s) < 600);
	assert_true(strstr(s, "…") != NULL);
	hl_hits_free(h);
}

static void test_snippet_directly(void **state)
{
	(void)state;
	hl_snip_term t[] = {{"dat", 0, 0}, {"dai", 0, 0}};
	char *s = NULL;
	assert_int_equal(hl_search__snippet(&s, "Luật Đất đai\n\nquy định", t, 2, NULL, NULL, 1),
	                 0);
	assert_string_equal(s, "Luật <mark>Đất</mark> <mark>đai</mark> quy định");
	free(s);
	assert_int_equal(hl_search__snippet(&s, "", t, 2, NULL, NULL, 1), 0);
	assert_string_equal(s, "");
	free(s);
	/* no match: the text's opening */
	assert_int_equal(hl_search__snippet(&s, "Một hai ba", t, 2, "[", "]", 0), 0);
	assert_string_equal(s, "Một hai ba");
	free(s);
	/* "nghĩa vụ" typed side by side: marked where the two stand side by side, not the "nghĩa"
	 * of "chủ nghĩa" nor a "vụ" alone; a word typed alone is marked wherever it stands */
	hl_snip_term w[] = {{"quyen", 0, 0}, {"nghia", 0, 0}, {"vu", 0, 1u << 1}};
	assert_int_equal(hl_search__snippet(&s, "chủ nghĩa xã hội; quyền và nghĩa vụ; vụ việc", w,
	                                    3, "[", "]", 0),
	                 0);
	assert_string_equal(s, "chủ nghĩa xã hội; [quyền] và [nghĩa] [vụ]; vụ việc");
	free(s);
	/* side by side nowhere: each alone is marked */
	assert_int_equal(hl_search__snippet(&s, "chủ nghĩa xã hội, vụ việc", w, 3, "[", "]", 0), 0);
	assert_string_equal(s, "chủ [nghĩa] xã hội, [vụ] việc");
	free(s);
	/* a comma between them is not side by side */
	assert_int_equal(hl_search__snippet(&s, "nghĩa, vụ", w, 3, "[", "]", 0), 0);
	assert_string_equal(s, "[nghĩa], [vụ]");
	free(s);
}

static void test_bad_queries(void **state)
{
	fx *f = *state;
	const char *bad[] = {"",          "   ",     "-dat",          "-\"dat dai\"",
	                     "\"\"",      "– ( ) ;", "year:20x9 dat", "year:2019..2010 dat",
	                     "type: dat", "*"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hl_index_query o = {0};
		hl_hits *h = NULL;
		o.query = bad[i];
		o.max_access = HL_ACCESS_SECRET;
		int rc = hl_index_search(&h, f->ix, f->st, &o);
		if (rc != HL_EINVALID)
			fail_msg("query \"%s\" gave %d, not HL_EINVALID", bad[i], rc);
		assert_null(h);
		assert_true(strlen(hl_error_last()) > 0);
	}
	hl_index_query o = {0};
	hl_hits *h = NULL;
	o.max_access = HL_ACCESS_SECRET;
	o.query = "\xff\xfe dat";
	assert_int_equal(hl_index_search(&h, f->ix, f->st, &o), HL_EINVALID);
	char big[3000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	o.query = big;
	assert_int_equal(hl_index_search(&h, f->ix, f->st, &o), HL_ELIMIT);
	o.query = "dat";
	o.limit = 1000000;
	assert_int_equal(hl_index_search(&h, f->ix, f->st, &o), HL_ELIMIT);
	assert_null(h);
}

static void test_paging_is_consistent(void **state)
{
	fx *f = *state;
	/* the second page follows the first, across the fall from strict to loose matches */
	const char *qs[] = {"dat dai", "fonds:TEST giao dat ho"};
	for (size_t k = 0; k < 2; k++) {
		hl_hits *all = search_as(f, qs[k], HL_ACCESS_SECRET, 20);
		hl_index_query o = {0};
		hl_hits *p2 = NULL;
		o.query = qs[k];
		o.max_access = HL_ACCESS_SECRET;
		o.offset = 2;
		o.limit = 3;
		assert_int_equal(hl_index_search(&p2, f->ix, f->st, &o), 0);
		for (size_t i = 0; i < p2->n; i++)
			assert_int_equal(p2->hits[i].rowid, all->hits[i + 2].rowid);
		assert_int_equal(p2->n, all->n >= 5 ? 3 : all->n - 2);
		hl_hits_free(all);
		hl_hits_free(p2);
	}
}

/* ---- the queue, crashes and rebuilds ---- */

static void put_numbered(hl_store *st, int i, const char *word)
{
	char id[32], subject[128], text[256];
	snprintf(id, sizeof(id), "Q%03d", i);
	snprintf(subject, sizeof(subject), "Quyết định số %d về đất đai", i);
	snprintf(text, sizeof(text), "Văn bản %s số %d giao đất cho xã Vạn Yên huyện Vân Đồn.",
	         word, i);
	hl_doc d = {0};
	d.doc_id = id;
	d.fonds_code = "F1";
	d.dossier_code = "HS-1";
	d.ordinal = i;
	d.subject = subject;
	d.text = text;
	d.page_count = -1;
	put(st, &d);
}

static size_t count_hits(fx *f, const char *q)
{
	hl_hits *h = search_as(f, q, HL_ACCESS_SECRET, 1000);
	size_t n = h->n;
	hl_hits_free(h);
	return n;
}

static int setup_small(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	make_dirs(f, "queue");
	*state = f;
	return 0;
}

/* A phrase is confirmed on its first HL_VERIFY_MAX (100) candidates in weight order; those past
 * them are not shown. When candidates were left unchecked the hits are not every document
 * holding the phrase, and the index must not say that it listed them all: the archive would
 * give their number as the exact total (it did, "co the yeu cau" 9 of hundreds at 100k
 * documents, whenever no subject held the words: the checks then ended on the last candidate
 * read, not on one past them). */
static void test_phrase_total_past_the_checks(void **state)
{
	fx *f = *state;
	uint64_t applied = 0;
	char id[32], text[2048];
	hl_doc d = {0};
	d.fonds_code = "F1";
	d.dossier_code = "HS-1";
	d.subject = "Biên bản";
	d.page_count = -1;
	/* 120 short documents holding both words apart: they weigh most */
	for (int i = 1; i <= 120; i++) {
		snprintf(id, sizeof(id), "A%03d", i);
		snprintf(text, sizeof(text), "kappa số %d lambda", i);
		d.doc_id = id;
		d.ordinal = i;
		d.text = text;
		put(f->st, &d);
	}
	/* 3 long ones holding the phrase: they weigh least */
	for (int i = 1; i <= 3; i++) {
		size_t o = (size_t)snprintf(text, sizeof(text), "kappa lambda");
		for (int k = 0; k < 100; k++)
			o += (size_t)snprintf(text + o, sizeof(text) - o, " chữ%d", k);
		snprintf(id, sizeof(id), "B%03d", i);
		d.doc_id = id;
		d.ordinal = 200 + i;
		d.text = text;
		put(f->st, &d);
	}
	assert_int_equal(hl_index_open(&f->ix, f->index, 1), 0);
	assert_int_equal(hl_index_update(&applied, f->ix, f->st, NULL, NULL), 0);
	assert_int_equal(applied, 123);
	for (size_t limit = 10; limit <= 200; limit += 190) {
		hl_hits *h = search_as(f, "\"kappa lambda\"", HL_ACCESS_SECRET, limit);
		if (h->listed_all && (h->listed != 3 || h->n != 3))
			fail_msg("limit %zu: %zu hits, said to be all of them (%llu), of the 3",
			         limit, h->n, (unsigned long long)h->listed);
		hl_hits_free(h);
	}
	/* a phrase whose candidates were all checked: every holder, all of them said */
	hl_hits *h = search_as(f, "\"kappa lambda\" chữ7", HL_ACCESS_SECRET, 10);
	assert_int_equal(h->n, 3);
	assert_true(h->listed_all);
	assert_int_equal(h->listed, 3);
	hl_hits_free(h);
}

static void test_update_is_idempotent(void **state)
{
	fx *f = *state;
	uint64_t applied = 99;
	int64_t qmax = 0;
	for (int i = 1; i <= 30; i++)
		put_numbered(f->st, i, "gốc");
	assert_int_equal(hl_index_open(&f->ix, f->index, 1), 0);
	assert_int_equal(hl_index_applied_seq(f->ix), 0);
	assert_int_equal(hl_index_update(&applied, f->ix, f->st, NULL, NULL), 0);
	assert_int_equal(applied, 30);
	assert_int_equal(hl_index_doc_count(f->ix), 30);
	assert_int_equal(hl_store_queue_max(&qmax, f->st), 0);
	assert_int_equal(hl_index_applied_seq(f->ix), qmax);
	/* nothing queued: nothing applied */
	assert_int_equal(hl_index_update(&applied, f->ix, f->st, NULL, NULL), 0);
	assert_int_equal(applied, 0);
	assert_int_equal(hl_index_doc_count(f->ix), 30);
	/* a changed document replaces its earlier self */
	put_numbered(f->st, 7, "sửa");
	assert_int_equal(hl_index_update(&applied, f->ix, f->st, NULL, NULL), 0);
	assert_int_equal(applied, 1);
	assert_int_equal(hl_index_doc_count(f->ix), 30);
	assert_int_equal(count_hits(f, "sua"), 1);
	assert_int_equal(count_hits(f, "goc"), 29);
	assert_int_equal(count_hits(f, "van yen"), 30);
}

static int crash_progress(const char *what, uint64_t done, uint64_t total, void *ud)
{
	(void)what;
	(void)total;
	if (done >= *(uint64_t *)ud)
		_exit(0); /* the process dies: no cleanup, no commit, no trim */
	return 0;
}

/* Runs hl_index_update in a child that dies once `die_at` changes are committed. */
static void crash_during_update(fx *f, uint64_t die_at)
{
	hl_index_free(f->ix);
	f->ix = NULL;
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		hl_index *ix = NULL;
		hl_store *st = NULL;
		if (hl_index_open(&ix, f->index, 1) != 0 || hl_store_open(&st, f->db, 0) != 0)
			_exit(2);
		hl_index_update(NULL, ix, st, crash_progress, &die_at);
		_exit(3); /* should have died in the callback */
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(hl_index_open(&f->ix, f->index, 1), 0);
}

static void test_crash_neither_loses_nor_doubles(void **state)
{
	fx *f = *state;
	uint64_t applied = 0;
	size_t saved = hl_search__batch_size;
	int64_t qmax = 0;
	hl_search__batch_size = 10;
	for (int i = 1; i <= 35; i++)
		put_numbered(f->st, i, "gốc");
	assert_int_equal(hl_store_queue_max(&qmax, f->st), 0);

	/* dies after two commits of ten: the index holds 20 and says so; the queue is whole */
	assert_int_equal(hl_index_open(&f->ix, f->index, 1), 0);
	crash_during_update(f, 20);
	assert_int_equal(hl_index_doc_count(f->ix), 20);
	assert_int_equal(hl_index_applied_seq(f->ix), qmax - 15);

	/* the next update applies the rest, once */
	assert_int_equal(hl_index_update(&applied, f->ix, f->st, NULL, NULL), 0);
	assert_int_equal(applied, 15);
	assert_int_equal(hl_index_doc_count(f->ix), 35);
	assert_int_equal(count_hits(f, "van don"), 35);

	/* an index that believes itself behind applies changes again: replaced, not doubled */
	for (int i = 1; i <= 5; i++)
		put_numbered(f->st, i, "mới");
	assert_int_equal(hl_search__set_applied_seq(f->ix, 0), 0);
	assert_int_equal(hl_index_update(&applied, f->ix, f->st, NULL, NULL), 0);
	assert_int_equal(applied, 5); /* what the trimmed queue still holds */
	assert_int_equal(hl_index_doc_count(f->ix), 35);
	assert_int_equal(count_hits(f, "moi"), 5);
	assert_int_equal(count_hits(f, "goc"), 30);
	hl_search__batch_size = saved;
}

static void test_store_commit_without_index_commit(void **state)
{
	fx *f = *state;
	uint64_t applied = 0;
	for (int i = 1; i <= 10; i++)
		put_numbered(f->st, i, "gốc");
	assert_int_equal(hl_index_open(&f->ix, f->index, 1), 0);
	assert_int_equal(hl_index_update(&applied, f->ix, f->st, NULL, NULL), 0);
	/* the store commits a change, then the process dies before indexing it */
	put_numbered(f->st, 3, "đổi");
	put_numbered(f->st, 11, "thêm");
	hl_index_free(f->ix);
	f->ix = NULL;
	/* a reader started later sees the index as it was */
	assert_int_equal(hl_index_open(&f->ix, f->index, 0), 0);
	assert_int_equal(count_hits(f, "doi"), 0);
	assert_int_equal(hl_index_doc_count(f->ix), 10);
	hl_index_free(f->ix);
	/* the next update picks the change up from the queue */
	assert_int_equal(hl_index_open(&f->ix, f->index, 1), 0);
	assert_int_equal(hl_index_update(&applied, f->ix, f->st, NULL, NULL), 0);
	assert_int_equal(applied, 2);
	assert_int_equal(count_hits(f, "doi"), 1);
	assert_int_equal(count_hits(f, "them"), 1);
	assert_int_equal(hl_index_doc_count(f->ix), 11);
}

static void test_rebuild_matches_incremental(void **state)
{
	fx *f = *state;
	uint64_t applied = 0;
	int64_t qmax = 0;
	char other[160];
	f->ndocs = load_corpus(f->st, 400);
	load_smalls(f->st);
	put_numbered(f->st, 1, "gốc");
	put_numbered(f->st, 1, "sửa"); /* a second version */
	assert_int_equal(hl_index_open(&f->ix, f->index, 1), 0);
	assert_int_equal(hl_index_update(&applied, f->ix, f->st, NULL, NULL), 0);
	uint64_t count = hl_index_doc_count(f->ix);
	assert_int_equal(count, 400 + sizeof(smalls) / sizeof(smalls[0]) + 1);

	const char *qs[] = {"dat dai",    "moi truong",       "\"bao ve moi truong\"",
	                    "vien chuc*", "fonds:TEST dat",   "ma tuy -cai",
	                    "sua",        "quyen va nghia vu"};
	enum { NQ = sizeof(qs) / sizeof(qs[0]) };
	int64_t before[NQ][10];
	size_t nbefore[NQ];
	for (size_t k = 0; k < NQ; k++) {
		hl_hits *h = search(f, qs[k]);
		nbefore[k] = h->n;
		for (size_t i = 0; i < h->n; i++)
			before[k][i] = h->hits[i].rowid;
		hl_hits_free(h);
	}
	hl_index_free(f->ix);
	f->ix = NULL;

	/* a stale directory of an earlier rebuild is no obstacle */
	snprintf(other, sizeof(other), "%s.new", f->index);
	assert_int_equal(mkdir(other, 0755), 0);
	if (hl_index_rebuild(f->index, f->st, NULL, NULL) != 0)
		fail_msg("rebuild: %s", hl_error_last());
	assert_int_equal(access(other, F_OK), -1);
	snprintf(other, sizeof(other), "%s.old", f->index);
	assert_int_equal(access(other, F_OK), -1);

	assert_int_equal(hl_index_open(&f->ix, f->index, 0), 0);
	assert_int_equal(hl_index_doc_count(f->ix), count);
	assert_int_equal(hl_store_queue_max(&qmax, f->st), 0);
	assert_int_equal(hl_index_applied_seq(f->ix), qmax);
	for (size_t k = 0; k < NQ; k++) {
		hl_hits *h = search(f, qs[k]);
		assert_true(nbefore[k] > 0);
		assert_int_equal(h->n, nbefore[k]);
		for (size_t i = 0; i < h->n; i++)
			assert_int_equal(h->hits[i].rowid, before[k][i]);
		hl_hits_free(h);
	}
}

static void test_open_errors(void **state)
{
	fx *f = *state;
	hl_index *ix = NULL, *again = NULL;
	char missing[160];
	snprintf(missing, sizeof(missing), "%s/nothing-here", f->dir);
	assert_int_equal(hl_index_open(&ix, missing, 0), HL_ENOTFOUND);
	assert_null(ix);
	assert_int_equal(hl_index_open(&ix, f->index, 1), 0);
	assert_int_equal(hl_index_open(&again, f->index, 1), HL_ECONFLICT);
	assert_non_null(strstr(hl_error_last(), "locked by another halong process"));
	assert_null(again);
	/* a reader is never locked out */
	assert_int_equal(hl_index_open(&again, f->index, 0), 0);
	assert_int_equal(hl_index_update(NULL, again, f->st, NULL, NULL), HL_EINVALID);
	hl_index_free(again);
	/* a rebuild needs the lock too */
	assert_int_equal(hl_index_rebuild(f->index, f->st, NULL, NULL), HL_ECONFLICT);
	hl_index_free(ix);
}

/* A caller scoped to some fonds (docs/api.md): public everywhere, internal and restricted only
 * in its fonds, secret never; facet counts see exactly what the hits see. */
static hl_hits *search_scoped(fx *f, const char *q, hl_access level, char *const *scope, size_t n,
                              int all)
{
	hl_index_query o = {0};
	hl_hits *h = NULL;
	o.query = q;
	o.limit = 100;
	o.max_access = level;
	o.scoped = 1, o.scope_all = all, o.scope_fonds = scope, o.n_scope_fonds = n;
	o.facets = 1;
	if (hl_index_search(&h, f->ix, f->st, &o) != 0)
		fail_msg("search \"%s\": %s", q, hl_error_last());
	return h;
}

static uint64_t facet_count(const hl_facet *fc, const char *value)
{
	for (size_t i = 0; i < fc->n; i++)
		if (!strcmp(fc->v[i].value, value))
			return fc->v[i].count;
	return 0;
}

static void test_scope_and_facets(void **state)
{
	fx *f = *state;
	char *other[] = {"OTHER"}, *test[] = {"TEST"};
	hl_hits *h;

	h = search_scoped(f, "fonds:TEST dat", HL_ACCESS_INTERNAL, other, 1, 0);
	assert_true(has_id(h, "T1"));
	assert_false(has_id(h, "T6")); /* internal, not in scope */
	assert_false(has_id(h, "T5"));
	assert_int_equal(facet_count(&h->fonds, "TEST"), h->n);
	assert_int_equal(facet_count(&h->fonds, "TEST"), 3); /* T1, T2, T7 */
	assert_int_equal(facet_count(&h->type, "Quyết định"), 3);
	assert_int_equal(facet_count(&h->year, "2019"), 3);
	/* fewer matches than HL_FACET_SCAN: every one counted, and only the visible ones */
	assert_true(h->facets_exact);
	assert_int_equal(h->facet_count, 3);
	hl_hits_free(h);

	h = search_scoped(f, "fonds:TEST dat", HL_ACCESS_INTERNAL, test, 1, 0);
	assert_true(has_id(h, "T6"));
	assert_false(has_id(h, "T5"));
	assert_int_equal(facet_count(&h->fonds, "TEST"), 4);
	assert_true(h->facets_exact);
	assert_int_equal(h->facet_count, 4);
	hl_hits_free(h);

	/* secret stays out of a scoped search whatever the level and scope */
	h = search_scoped(f, "dat quoc phong", HL_ACCESS_SECRET, NULL, 0, 1);
	assert_false(has_id(h, "T5"));
	hl_hits_free(h);
	/* words the internal document holds: out of scope it is neither a hit nor counted; in
	 * scope it is both (the other counted documents are public ones that match loosely) */
	h = search_scoped(f, "rung phong ho", HL_ACCESS_INTERNAL, other, 1, 0);
	assert_false(has_id(h, "T6"));
	uint64_t out_of_scope = facet_count(&h->fonds, "TEST");
	hl_hits_free(h);
	h = search_scoped(f, "rung phong ho", HL_ACCESS_INTERNAL, test, 1, 0);
	assert_true(has_id(h, "T6"));
	assert_int_equal(facet_count(&h->fonds, "TEST"), out_of_scope + 1);
	hl_hits_free(h);
	/* anonymous: public only */
	h = search_scoped(f, "thong bao noi bo", HL_ACCESS_PUBLIC, NULL, 0, 1);
	assert_false(has_id(h, "T6"));
	hl_hits_free(h);
}

/* Words typed in Telex or VNI without an input method spell the syllable (issue 12:
 * "quyeets ddinhj", "quye6t1 d9inh5"); anything else spells nothing. */
static void test_untype(void **state)
{
	(void)state;
	static const char *const spelled[][2] = {
	    {"quyeets", "quyết"}, {"ddinhj", "định"},      {"quye6t1", "quyết"},
	    {"d9inh5", "định"},   {"nguowif", "người"},    {"nguo7i2", "người"},
	    {"hoaf", "hoà"},      {"giaf", "già"},         {"gif", "gì"},
	    {"nhw", "như"},       {"quyeest", "quyết"},    {"ddaats", "đất"},
	    {"ddai", "đai"},      {"vieejt", "việt"},      {"tieengs", "tiếng"},
	    {"luaatj", "luật"},   {"thuowng", "thương"},   {"awn", "ăn"},
	    {"a8n", "ăn"},        {"truwowngf", "trường"},
	};
	static const char *const nothing[] = {
	    "quyet", "dinh",     "class",   "process",           "2019", "covid19", "qu",
	    "x",     "quyeetsf", "quye6ts", "abcdefghijklmnopq", "ddd",  "bcd",     "tst"};
	for (size_t i = 0; i < sizeof(spelled) / sizeof(spelled[0]); i++) {
		char *o = NULL;
		int rc = hl_search__untype(&o, spelled[i][0], strlen(spelled[i][0]));
		char *want = NULL;
		assert_int_equal(hl_text_lower(&want, spelled[i][1], -1), 0);
		if (rc != 1 || strcmp(o, want) != 0)
			fail_msg("%s spells \"%s\" (%d), want \"%s\"", spelled[i][0], o ? o : "",
			         rc, want);
		free(o);
		free(want);
	}
	for (size_t i = 0; i < sizeof(nothing) / sizeof(nothing[0]); i++) {
		char *o = NULL;
		if (hl_search__untype(&o, nothing[i], strlen(nothing[i])) != 0)
			fail_msg("%s spells \"%s\", want nothing", nothing[i], o ? o : "");
		assert_null(o);
	}
}

/* One typo in a word of five letters or more is searched as the word one edit from it that the
 * index holds most often: a letter left out, added, changed or two swapped, at the start, inside
 * and at the end (the scan of the index's words passes over those nothing near the word begins
 * with: it must still reach each of these). */
static void test_one_typo(void **state)
{
	fx *f = *state;
	static const char *const typo[][2] = {
	    {"truogn", "truong"},  /* swapped at the end */
	    {"rtuong", "truong"},  /* swapped at the start: read from its second letter */
	    {"ttruong", "truong"}, /* added at the start */
	    {"truonng", "truong"}, /* added inside */
	    {"truongg", "truong"}, /* added at the end */
	    {"qyuen", "quyen"},    /* swapped inside */
	    {"uqyen", "quyen"},    /* swapped at the start */
	    {"nguoii", "nguoi"},   /* added at the end */
	    {"ngyoi", "nguoi"},    /* changed inside */
	    {"nguo", NULL},        /* four letters: as typed */
	};
	for (size_t i = 0; i < sizeof(typo) / sizeof(typo[0]); i++) {
		hl_hits *h = search(f, typo[i][0]);
		if (!typo[i][1]) {
			assert_int_equal(h->nspelled, 0);
		} else {
			if (h->nspelled != 1 || strcmp(h->typed[0], typo[i][0]) != 0 ||
			    strcmp(h->spelled[0], typo[i][1]) != 0)
				fail_msg("%s searched as \"%s\", want \"%s\"", typo[i][0],
				         h->nspelled ? h->spelled[0] : "", typo[i][1]);
			assert_true(h->n > 0);
		}
		hl_hits_free(h);
	}
}

int main(void)
{
	const struct CMUnitTest corpus[] = {
	    cmocka_unit_test(test_tone_free_query_finds_marked_text),
	    cmocka_unit_test(test_adjacent_words_come_before_scattered_ones),
	    cmocka_unit_test(test_known_item_by_title_without_tones),
	    cmocka_unit_test(test_exact_tones_rank_first),
	    cmocka_unit_test(test_phrase_and_plain_words),
	    cmocka_unit_test(test_exclusion),
	    cmocka_unit_test(test_prefix),
	    cmocka_unit_test(test_field_filters),
	    cmocka_unit_test(test_access_filter),
	    cmocka_unit_test(test_scope_and_facets),
	    cmocka_unit_test(test_snippet_marks_and_escapes),
	    cmocka_unit_test(test_snippet_directly),
	    cmocka_unit_test(test_bad_queries),
	    cmocka_unit_test(test_paging_is_consistent),
	    cmocka_unit_test(test_untype),
	    cmocka_unit_test(test_one_typo),
	};
	const struct CMUnitTest queue[] = {
	    cmocka_unit_test_setup_teardown(test_update_is_idempotent, setup_small, teardown_fx),
	    cmocka_unit_test_setup_teardown(test_crash_neither_loses_nor_doubles, setup_small,
	                                    teardown_fx),
	    cmocka_unit_test_setup_teardown(test_store_commit_without_index_commit, setup_small,
	                                    teardown_fx),
	    cmocka_unit_test_setup_teardown(test_rebuild_matches_incremental, setup_small,
	                                    teardown_fx),
	    cmocka_unit_test_setup_teardown(test_open_errors, setup_small, teardown_fx),
	    cmocka_unit_test_setup_teardown(test_phrase_total_past_the_checks, setup_small,
	                                    teardown_fx),
	};
	int failed =
	    cmocka_run_group_tests_name("search on the corpus", corpus, setup_corpus, teardown_fx);
	failed += cmocka_run_group_tests_name("search index and queue", queue, NULL, NULL);
	return failed;
}
