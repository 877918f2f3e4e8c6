/* The term scheme: what halong feeds Xapian for a document (README.md, "Term scheme"). */
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <new>
#include <string>
#include <vector>

#include "halong/text.h"
#include "search/index_int.hh"

namespace
{

/* The syllables whose pairs are indexed (README.md, "Term scheme"): the 64 letter syllables found
 * in most articles of the ALQAC 2023 law corpus (each in at least 31% of them), sorted. A query
 * whose words are all this common would otherwise walk posting lists nearly as long as the
 * index; any other syllable is rare enough to lead an AND by itself. Changing this list changes
 * the index: bump HL_SCHEME. */
const char *const common_syllables[] = {
    "an",    "ban",    "bao",   "bo",   "cac",  "cap",  "cau",  "chi",  "chinh", "cho",   "chuc",
    "co",    "cong",   "cua",   "dan",  "de",   "dieu", "dinh", "do",   "doi",   "dong",  "dung",
    "duoc",  "gia",    "hanh",  "hien", "hoac", "hop",  "khac", "khi",  "khong", "la",    "luat",
    "ly",    "nay",    "nguoi", "nhan", "nuoc", "phai", "phap", "quan", "quy",   "quyen", "san",
    "sau",   "so",     "su",    "tai",  "tham", "theo", "thi",  "thoi", "thu",   "thuc",  "to",
    "trong", "truong", "tu",    "va",   "ve",   "viec", "voi",  "vu",   "yeu",
};

enum field_kind { FIELD_SUBJECT, FIELD_OTHER };

struct sink {
	Xapian::Document *doc;
	field_kind kind;
	std::string prev; /* folded form of the previous token of this field, "" at its start */
	bool prev_common;
	std::string scratch;
	std::string words; /* the document data: folded words, field by field */
	bool failed;
};

void add_pair(sink *s, const char *prefix, const char *f)
{
	s->scratch.assign(prefix);
	s->scratch += s->prev;
	s->scratch += '_';
	s->scratch += f;
	s->doc->add_term(s->scratch);
}

int on_token(const hl_token *t, void *ud)
{
	sink *s = static_cast<sink *>(ud);
	/* No exception may cross hl_text_tokenize's C frames. */
	try {
		const char *f = t->folded;
		bool common = hl_search__common(f);
		s->doc->add_term(f);
		if (common && s->prev_common)
			add_pair(s, HL_PFX_PAIR, f);
		if (s->kind == FIELD_SUBJECT) {
			s->scratch.assign(HL_PFX_SUBJECT);
			s->scratch += f;
			s->doc->add_term(s->scratch);
			if (!s->prev.empty())
				add_pair(s, HL_PFX_SPAIR, f);
		}
		s->prev.assign(f);
		s->prev_common = common;
		if (s->words.size() < HL_DATA_MAX) {
			s->words += ' ';
			s->words += f;
		}
	} catch (...) {
		s->failed = true;
		return 1;
	}
	return 0;
}

/* Indexes one field; no pair spans two fields. */
void index_field(sink &s, const char *text, field_kind kind)
{
	if (!text || !*text)
		return;
	s.kind = kind;
	s.prev.clear();
	s.prev_common = false;
	s.failed = false;
	s.words += '\n';
	hl_text_tokenize(text, std::strlen(text), on_token, &s);
	if (s.failed)
		throw std::bad_alloc();
	s.words += ' ';
}

void add_filter(Xapian::Document &doc, const char *prefix, const std::string &value)
{
	if (!value.empty())
		doc.add_boolean_term(prefix + value);
}

int on_issuer_token(const hl_token *t, void *ud)
{
	try {
		static_cast<Xapian::Document *>(ud)->add_boolean_term(std::string(HL_PFX_ISSUER) +
		                                                      t->folded);
	} catch (...) {
		return 1;
	}
	return 0;
}

bool is_word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

} // namespace

bool hl_search__common(const char *folded)
{
	return std::binary_search(
	    std::begin(common_syllables), std::end(common_syllables), folded,
	    [](const char *a, const char *b) { return std::strcmp(a, b) < 0; });
}

std::string hl_search__norm_value(const char *s, size_t len)
{
	std::string out;
	char *f = nullptr;
	if (hl_text_fold(&f, s, (long)len) < 0 || !f)
		return out;
	bool gap = false;
	for (const unsigned char *p = (const unsigned char *)f; *p; p++) {
		unsigned char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (is_word_byte(c)) {
			if (gap && !out.empty())
				out += '_';
			gap = false;
			out += (char)c;
		} else {
			gap = true;
		}
	}
	free(f);
	if (out.size() > HL_MAX_FILTER_VALUE) {
		size_t n = HL_MAX_FILTER_VALUE;
		while (n > 0 && ((unsigned char)out[n] & 0xC0) == 0x80)
			n--; /* keep whole UTF-8 sequences */
		out.resize(n);
	}
	return out;
}

Xapian::Document hl_search__document(const hl_doc *d)
{
	Xapian::Document doc;
	sink s{&doc, FIELD_OTHER, std::string(), false, std::string(), std::string(), false};
	s.prev.reserve(HL_TEXT_MAX_TOKEN);
	s.scratch.reserve(2 * HL_TEXT_MAX_TOKEN + 4);
	index_field(s, d->subject, FIELD_SUBJECT);
	if (d->keywords) {
		/* Each keyword is its own field: no pair spans two keywords. */
		const char *k = d->keywords;
		while (*k) {
			const char *e = std::strchr(k, ';');
			std::string one(k, e ? (size_t)(e - k) : std::strlen(k));
			index_field(s, one.c_str(), FIELD_OTHER);
			if (!e)
				break;
			k = e + 1;
		}
	}
	index_field(s, d->doc_type, FIELD_OTHER);
	index_field(s, d->issuer, FIELD_OTHER);
	index_field(s, d->doc_id, FIELD_OTHER);
	index_field(s, d->fonds_code, FIELD_OTHER);
	index_field(s, d->dossier_code, FIELD_OTHER);
	index_field(s, d->doc_number, FIELD_OTHER);
	index_field(s, d->doc_notation, FIELD_OTHER);
	index_field(s, d->notes, FIELD_OTHER);
	index_field(s, d->text, FIELD_OTHER);
	index_field(s, d->page_text, FIELD_OTHER); /* recognised from its pages */

	/* The document data: the word order that the terms do not hold (README.md). */
	doc.set_data(s.words);

	if (d->fonds_code) {
		add_filter(doc, HL_PFX_FONDS,
		           hl_search__norm_value(d->fonds_code, std::strlen(d->fonds_code)));
		doc.add_value(HL_SLOT_FONDS, d->fonds_code);
	}
	if (d->doc_type) {
		add_filter(doc, HL_PFX_TYPE,
		           hl_search__norm_value(d->doc_type, std::strlen(d->doc_type)));
		doc.add_value(HL_SLOT_TYPE, d->doc_type);
	}
	if (d->issued_date && std::strlen(d->issued_date) >= 4) {
		bool digits = true;
		for (int i = 0; i < 4; i++)
			digits = digits && d->issued_date[i] >= '0' && d->issued_date[i] <= '9';
		if (digits) {
			doc.add_boolean_term(std::string(HL_PFX_YEAR) +
			                     std::string(d->issued_date, 4));
			doc.add_value(HL_SLOT_YEAR, std::string(d->issued_date, 4));
		}
	}
	if (d->issuer &&
	    hl_text_tokenize(d->issuer, std::strlen(d->issuer), on_issuer_token, &doc) != 0)
		throw std::bad_alloc();
	int level = (int)d->access;
	if (level < 0 || level > 3)
		level = 3; /* an unknown level is treated as the most restricted */
	doc.add_boolean_term(std::string(HL_PFX_ACCESS) + (char)('0' + level));
	if (d->rowid >= HL_INDEX_LESSONS)
		doc.add_boolean_term(HL_KIND_LESSON);
	return doc;
}
