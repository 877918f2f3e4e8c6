/* Searching: halong's query syntax parsed with its own tokenizer, turned into Xapian queries in
 * levels from strict to loose, word order confirmed on the document data where the terms cannot
 * tell, tones weighed on the stored text, and the hits completed from the store with snippets. */
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <set>
#include <string>
#include <vector>

#include "search/search.h"
#include "halong/text.h"
#include "search/index_int.hh"
#include "search/search_int.h"

/* Limits on what a query may ask (README.md, "Limits"). */
#define HL_QUERY_MAX_BYTES HL_SEARCH_MAX_QUERY
#define HL_QUERY_MAX_WORDS 64
#define HL_QUERY_MAX_LIMIT 10000
#define HL_QUERY_MAX_DEPTH 100000 /* offset + limit */
#define HL_WILDCARD_MAX    100    /* terms a prefix expands to, the most frequent first */
#define HL_YEAR_SPAN_MAX   200
/* Candidates of a level whose word order is checked on the document data, whatever the page:
 * past them, level 1's are shown at level 2, a phrase's are not shown. A fixed number, so that
 * the order of the hits does not depend on the page asked (it did: the same record came on
 * several pages). */
#define HL_VERIFY_MAX 100
/* The first hits (in level order) read from the store to weigh their tones when the query has
 * marks, whatever the page; the hits past them keep their level order. */
#define HL_TONE_MAX 300
/* Bytes of a stored subject or text scanned for tones. */
#define HL_VERIFY_SCAN_MAX (4u << 20)

namespace
{

struct qword {
	std::string folded, exact;
	bool marks;
};
typedef std::vector<qword> words;

struct parsed {
	std::vector<words> runs;    /* adjacent plain words */
	std::vector<words> phrases; /* "quoted" */
	std::vector<std::string> prefixes;
	std::vector<std::string> neg_words, neg_prefixes;
	std::vector<words> neg_phrases;
	/* filters: one OR list per field, AND across fields */
	std::vector<Xapian::Query> fonds, type, year, issuer, unit, neg_filters;
	/* kind:lesson: the lessons learned (plans/), else the archive's documents */
	bool lessons = false, kind_given = false;
	const hl_index_query *opts = nullptr; /* for unit: */
	size_t nwords = 0;
	bool marks = false;
};

struct tok_ctx {
	words *out;
	bool failed;
};

int on_qtoken(const hl_token *t, void *ud)
{
	tok_ctx *c = static_cast<tok_ctx *>(ud);
	try {
		qword w;
		w.folded = t->folded;
		w.exact = t->exact;
		w.marks = w.exact != w.folded;
		c->out->push_back(std::move(w));
	} catch (...) {
		c->failed = true;
		return 1;
	}
	return 0;
}

words tokenize(const std::string &s)
{
	words out;
	tok_ctx c{&out, false};
	hl_text_tokenize(s.data(), s.size(), on_qtoken, &c);
	if (c.failed)
		throw std::bad_alloc();
	return out;
}

std::string pair_term(const char *prefix, const std::string &a, const std::string &b)
{
	std::string t(prefix);
	t += a;
	t += '_';
	t += b;
	return t;
}

/* The terms that a run of adjacent words requires in the index: the pair of each two adjacent
 * common syllables, and every word no pair covers. Exact for one word and for two common ones;
 * otherwise the words' adjacency is not in the index. */
void run_terms(std::vector<Xapian::Query> &out, const words &ws, bool &used_pairs)
{
	std::vector<bool> covered(ws.size(), false);
	for (size_t i = 1; i < ws.size(); i++) {
		if (hl_search__common(ws[i - 1].folded.c_str()) &&
		    hl_search__common(ws[i].folded.c_str())) {
			out.emplace_back(pair_term(HL_PFX_PAIR, ws[i - 1].folded, ws[i].folded));
			covered[i - 1] = covered[i] = true;
			used_pairs = true;
		}
	}
	for (size_t i = 0; i < ws.size(); i++)
		if (!covered[i])
			out.emplace_back(ws[i].folded);
}

bool phrase_is_exact(const words &ws)
{
	return ws.size() == 1 || (ws.size() == 2 && hl_search__common(ws[0].folded.c_str()) &&
	                          hl_search__common(ws[1].folded.c_str()));
}

Xapian::Query phrase_approx(const words &ws)
{
	std::vector<Xapian::Query> ts;
	bool used = false;
	run_terms(ts, ws, used);
	return Xapian::Query(Xapian::Query::OP_AND, ts.begin(), ts.end());
}

Xapian::Query wildcard(const std::string &stem)
{
	return Xapian::Query(Xapian::Query::OP_WILDCARD, stem, HL_WILDCARD_MAX,
	                     Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT);
}

bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int parse_year(int *out, const char *s, size_t n)
{
	if (n != 4)
		return -1;
	int y = 0;
	for (size_t i = 0; i < 4; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		y = y * 10 + (s[i] - '0');
	}
	*out = y;
	return 0;
}

int add_field(parsed &p, const std::string &name, const std::string &value, bool neg)
{
	std::vector<Xapian::Query> *list = nullptr;
	Xapian::Query q;
	if (name == "fonds" || name == "type") {
		std::string v = hl_search__norm_value(value.data(), value.size());
		if (v.empty())
			return hl_error_set(HL_EINVALID, "%s: needs a value", name.c_str());
		q = Xapian::Query((name == "fonds" ? HL_PFX_FONDS : HL_PFX_TYPE) + v);
		list = name == "fonds" ? &p.fonds : &p.type;
	} else if (name == "unit") { /* the fonds the unit holds now, as the caller resolves them */
		if (value.empty() || value.size() > 16)
			return hl_error_set(HL_EINVALID, "unit: needs a unit code");
		if (!p.opts || !p.opts->unit_fonds)
			return hl_error_set(HL_EINVALID, "unit: is not available here");
		char **codes = nullptr;
		size_t n = 0;
		int urc = p.opts->unit_fonds(&codes, &n, value.c_str(), p.opts->unit_ud);
		if (urc < 0)
			return urc; /* its code: an unknown unit is a bad query, not an error */
		std::vector<Xapian::Query> fs;
		for (size_t i = 0; i < n; i++) {
			std::string v = hl_search__norm_value(codes[i], strlen(codes[i]));
			if (!v.empty())
				fs.emplace_back(HL_PFX_FONDS + v);
			free(codes[i]);
		}
		free(codes);
		/* a unit holding nothing matches nothing; MatchNothing would be dropped as an empty
		 * filter, so use a fonds term no document can have (values are printable) */
		if (fs.empty())
			fs.emplace_back(std::string(HL_PFX_FONDS) + "\x7f");
		q = Xapian::Query(Xapian::Query::OP_OR, fs.begin(), fs.end());
		list = &p.unit;
	} else if (name == "year") {
		int a, b;
		size_t dots = value.find("..");
		if (dots == std::string::npos) {
			if (parse_year(&a, value.data(), value.size()))
				return hl_error_set(HL_EINVALID,
				                    "year: wants four digits or a range like "
				                    "2015..2019, not \"%s\"",
				                    value.c_str());
			b = a;
		} else if (parse_year(&a, value.data(), dots) ||
		           parse_year(&b, value.data() + dots + 2, value.size() - dots - 2) ||
		           b < a) {
			return hl_error_set(HL_EINVALID, "year: bad range \"%s\"", value.c_str());
		}
		if (b - a >= HL_YEAR_SPAN_MAX)
			return hl_error_set(HL_ELIMIT, "year: a range spans at most %d years",
			                    HL_YEAR_SPAN_MAX);
		std::vector<Xapian::Query> ys;
		for (int y = a; y <= b; y++)
			ys.emplace_back(HL_PFX_YEAR + std::to_string(y));
		q = Xapian::Query(Xapian::Query::OP_OR, ys.begin(), ys.end());
		list = &p.year;
	} else { /* issuer: every word of the value among the issuer's words */
		words ws = tokenize(value);
		if (ws.empty())
			return hl_error_set(HL_EINVALID, "issuer: needs a value");
		if (ws.size() > HL_QUERY_MAX_WORDS)
			return hl_error_set(HL_ELIMIT, "issuer: too many words");
		std::vector<Xapian::Query> ts;
		for (const qword &w : ws)
			ts.emplace_back(HL_PFX_ISSUER + w.folded);
		q = Xapian::Query(Xapian::Query::OP_AND, ts.begin(), ts.end());
		list = &p.issuer;
	}
	if (neg)
		p.neg_filters.push_back(q);
	else
		list->push_back(q);
	return 0;
}

int count_words(parsed &p, size_t n)
{
	p.nwords += n;
	if (p.nwords > HL_QUERY_MAX_WORDS)
		return hl_error_set(HL_ELIMIT, "the query has more than %d words",
		                    HL_QUERY_MAX_WORDS);
	return 0;
}

/* A quoted string from q[i] (at the opening quote); an unclosed quote runs to the end. */
std::string quoted(const std::string &q, size_t &i)
{
	size_t e = q.find('"', i + 1);
	std::string body = q.substr(i + 1, e == std::string::npos ? e : e - i - 1);
	i = e == std::string::npos ? q.size() : e + 1;
	return body;
}

/* The query syntax (README.md): words, "phrases", -exclusions, prefix*, field:value. */
int parse(parsed &p, const std::string &q)
{
	size_t i = 0, n = q.size();
	bool run_open = false; /* the last item was plain words: the next ones continue the run */
	while (i < n) {
		while (i < n && is_space(q[i]))
			i++;
		if (i >= n)
			break;
		bool neg = false;
		if ((q[i] == '-' || q[i] == '+') && i + 1 < n && !is_space(q[i + 1])) {
			neg = q[i] == '-';
			i++;
		}
		if (q[i] == '"') {
			words ws = tokenize(quoted(q, i));
			run_open = false;
			if (ws.empty())
				continue;
			if (int rc = count_words(p, ws.size()))
				return rc;
			if (neg) {
				p.neg_phrases.push_back(std::move(ws));
			} else {
				for (const qword &w : ws)
					p.marks = p.marks || w.marks;
				p.phrases.push_back(std::move(ws));
			}
			continue;
		}
		size_t s = i;
		while (i < n && !is_space(q[i]) && q[i] != '"')
			i++;
		std::string item = q.substr(s, i - s);
		size_t colon = item.find(':');
		if (colon != std::string::npos && colon > 0) {
			std::string name = item.substr(0, colon);
			for (char &c : name)
				c = (char)std::tolower((unsigned char)c);
			if (name == "kind") {
				std::string v = hl_search__norm_value(item.data() + colon + 1,
				                                      item.size() - colon - 1);
				bool lesson = v == "lesson" || v == "lessons" || v == "bai_hoc";
				if (!lesson && v != "document" && v != "documents" &&
				    v != "tai_lieu")
					return hl_error_set(
					    HL_EINVALID,
					    "kind: wants lesson or document, not \"%s\"",
					    item.c_str() + colon + 1);
				if (p.kind_given && p.lessons != (lesson != neg))
					return hl_error_set(
					    HL_EINVALID,
					    "kind: one kind a query (lessons or documents)");
				p.lessons = lesson != neg; /* -kind:lesson: the documents */
				p.kind_given = true;
				run_open = false;
				continue;
			}
			if (name == "fonds" || name == "type" || name == "year" ||
			    name == "issuer" || name == "unit") {
				std::string value = item.substr(colon + 1);
				if (value.empty() && i < n && q[i] == '"')
					value = quoted(q, i);
				run_open = false;
				if (int rc = add_field(p, name, value, neg))
					return rc;
				continue;
			}
		}
		bool prefix = false;
		while (!item.empty() && item.back() == '*') {
			item.pop_back();
			prefix = true;
		}
		words ws = tokenize(item);
		if (ws.empty())
			continue; /* punctuation alone ("–", "(") */
		if (int rc = count_words(p, ws.size()))
			return rc;
		std::string stem;
		if (prefix) {
			stem = ws.back().folded;
			ws.pop_back();
		}
		if (neg) {
			/* "-12/2019" excludes the sequence, "-dat" the word */
			if (ws.size() == 1)
				p.neg_words.push_back(ws[0].folded);
			else if (!ws.empty())
				p.neg_phrases.push_back(std::move(ws));
			if (prefix)
				p.neg_prefixes.push_back(stem);
			run_open = false;
			continue;
		}
		for (const qword &w : ws)
			p.marks = p.marks || w.marks;
		if (!ws.empty()) {
			if (!run_open)
				p.runs.emplace_back();
			for (qword &w : ws)
				p.runs.back().push_back(std::move(w));
			run_open = true;
		}
		if (prefix) {
			p.prefixes.push_back(stem);
			run_open = false;
		}
	}
	return 0;
}

Xapian::Query or_of(const std::vector<Xapian::Query> &qs)
{
	if (qs.empty())
		return Xapian::Query();
	return Xapian::Query(Xapian::Query::OP_OR, qs.begin(), qs.end());
}

Xapian::Query and_of(const std::vector<Xapian::Query> &qs)
{
	if (qs.empty())
		return Xapian::Query();
	/* a long query repeats pairs ("trong tai ... trong tai"): each is required once */
	std::vector<Xapian::Query> once;
	std::set<std::string> seen;
	for (const Xapian::Query &q : qs)
		if (q.get_type() != Xapian::Query::LEAF_TERM ||
		    seen.insert(*q.get_terms_begin()).second)
			once.push_back(q);
	return Xapian::Query(Xapian::Query::OP_AND, once.begin(), once.end());
}

/* The query's levels, strict to loose; each returns only what the earlier ones did not:
 *   0. every run of plain words in the subject, as typed (the title users search for);
 *   1. every run of plain words in the document, each two adjacent words side by side;
 *   2. every plain word, anywhere (when level 1 differs from it).
 * A document that does not hold every plain word is not a hit: no level pads a page with
 * records of some of the words (one did, "any word", until issue 12). Phrases and prefixes are
 * required at every level; filters and exclusions apply to all. The index's terms hold the
 * adjacency of subject words and of common words only; for other words, level 1 and quoted phrases
 * are confirmed on the document data (the folded words in order). */
struct level {
	Xapian::Query core, boost;
	std::vector<std::string> pairs; /* " a b " that the candidates must hold */
};

struct plan {
	std::vector<level> levels;
	Xapian::Query neg, filter;
	bool weightless = false;                       /* filters alone: newest first */
	bool lessons = false;                          /* kind:lesson */
	std::vector<std::string> phrases, neg_phrases; /* " a b c ", at every level */
	bool tones = false;

	bool needs_check() const
	{
		if (!phrases.empty() || !neg_phrases.empty())
			return true;
		for (const level &l : levels)
			if (!l.pairs.empty())
				return true;
		return false;
	}
};

/* " a b c ": how a sequence of words appears in the document data. */
std::string needle(const words &ws, size_t from, size_t n)
{
	std::string s(" ");
	for (size_t i = from; i < from + n; i++) {
		s += ws[i].folded;
		s += ' ';
	}
	return s;
}

/* Who may see what (docs/api.md), as a filter: every level up to max_access, or, for a scoped
 * caller, public documents plus those up to max_access (never secret) in the scope's fonds. */
Xapian::Query access_filter(const hl_index_query *o)
{
	int max = (int)o->max_access;
	std::vector<Xapian::Query> lv;
	if (!o->scoped) {
		if (max >= HL_ACCESS_SECRET)
			return Xapian::Query();
		for (int a = 0; a <= max; a++)
			lv.emplace_back(std::string(HL_PFX_ACCESS) + (char)('0' + a));
		return or_of(lv);
	}
	if (max >= HL_ACCESS_SECRET)
		max = HL_ACCESS_SECRET - 1;
	Xapian::Query pub(std::string(HL_PFX_ACCESS) + '0');
	for (int a = 1; a <= max; a++)
		lv.emplace_back(std::string(HL_PFX_ACCESS) + (char)('0' + a));
	if (lv.empty() || (!o->scope_all && !o->n_scope_fonds))
		return pub;
	Xapian::Query higher = or_of(lv);
	if (!o->scope_all) {
		std::vector<Xapian::Query> fs;
		for (size_t i = 0; i < o->n_scope_fonds; i++) {
			std::string v = hl_search__norm_value(o->scope_fonds[i],
			                                      std::strlen(o->scope_fonds[i]));
			if (!v.empty())
				fs.emplace_back(HL_PFX_FONDS + v);
		}
		if (fs.empty())
			return pub;
		higher = Xapian::Query(Xapian::Query::OP_FILTER, higher, or_of(fs));
	}
	return Xapian::Query(Xapian::Query::OP_OR, pub, higher);
}

/* The lessons a caller sees: those up to lesson_max_access, whatever the fonds (a lesson is a
 * plan's, read by the plan's readers); none below internal, the lowest level of a lesson. */
Xapian::Query lesson_filter(const hl_index_query *o)
{
	std::vector<Xapian::Query> lv;
	for (int a = HL_ACCESS_INTERNAL; a <= o->lesson_max_access && a <= HL_ACCESS_SECRET; a++)
		lv.emplace_back(std::string(HL_PFX_ACCESS) + (char)('0' + a));
	if (lv.empty()) /* MatchNothing would be dropped as an empty filter */
		lv.emplace_back(std::string(HL_PFX_ACCESS) + "\x7f");
	return Xapian::Query(Xapian::Query::OP_FILTER, Xapian::Query(HL_KIND_LESSON), or_of(lv));
}

void build_plan(plan &pl, const parsed &p, const hl_index_query *opts)
{
	std::vector<Xapian::Query> required, strict, all, subject;
	std::vector<Xapian::Query> p_terms, b_terms; /* for ranking */
	std::vector<std::string> check_pairs;
	bool used_pairs = false;
	auto rank_pairs = [&](const words &ws) {
		for (size_t i = 1; i < ws.size(); i++) {
			p_terms.emplace_back(
			    pair_term(HL_PFX_SPAIR, ws[i - 1].folded, ws[i].folded));
			if (hl_search__common(ws[i - 1].folded.c_str()) &&
			    hl_search__common(ws[i].folded.c_str()))
				b_terms.emplace_back(
				    pair_term(HL_PFX_PAIR, ws[i - 1].folded, ws[i].folded));
		}
	};
	for (const words &ph : p.phrases) {
		required.push_back(phrase_approx(ph));
		if (!phrase_is_exact(ph))
			pl.phrases.push_back(needle(ph, 0, ph.size()));
		rank_pairs(ph);
	}
	for (const std::string &stem : p.prefixes)
		required.push_back(wildcard(stem));
	std::set<std::string> distinct;
	for (const words &run : p.runs) {
		run_terms(strict, run, used_pairs);
		for (size_t i = 1; i < run.size(); i++)
			if (!hl_search__common(run[i - 1].folded.c_str()) ||
			    !hl_search__common(run[i].folded.c_str()))
				check_pairs.push_back(needle(run, i - 1, 2));
		for (const qword &w : run)
			if (distinct.insert(w.folded).second)
				all.emplace_back(w.folded);
		/* the subject holds the run as typed: its pairs, or its one word */
		if (run.size() == 1)
			subject.emplace_back(HL_PFX_SUBJECT + run[0].folded);
		for (size_t i = 1; i < run.size(); i++)
			subject.emplace_back(
			    pair_term(HL_PFX_SPAIR, run[i - 1].folded, run[i].folded));
		rank_pairs(run);
	}
	Xapian::Query req = and_of(required);
	auto with_required = [&](Xapian::Query q) {
		return req.empty() ? q : Xapian::Query(Xapian::Query::OP_AND, q, req);
	};
	/* Ranking terms cost time at every candidate and keep Xapian from stopping early: only
	 * those that tell apart what a level holds (pairs, for the levels that do not require
	 * them). */
	std::vector<Xapian::Query> loose = p_terms;
	loose.insert(loose.end(), b_terms.begin(), b_terms.end());
	Xapian::Query rank_loose = or_of(loose);
	if (!all.empty()) {
		pl.levels.push_back(level{with_required(and_of(subject)), Xapian::Query(), {}});
		pl.levels.push_back(
		    level{with_required(and_of(strict)), Xapian::Query(), check_pairs});
		/* every word anywhere: without pairs in level 1, level 1's failures */
		if (used_pairs)
			pl.levels.push_back(level{with_required(and_of(all)), rank_loose, {}});
		else if (!check_pairs.empty())
			pl.levels.push_back(level{with_required(and_of(all)), Xapian::Query(), {}});
	} else if (!req.empty()) {
		pl.levels.push_back(level{req, rank_loose, {}});
	}

	std::vector<Xapian::Query> negs;
	for (const std::string &w : p.neg_words)
		negs.emplace_back(w);
	for (const std::string &stem : p.neg_prefixes)
		negs.push_back(wildcard(stem));
	for (const words &ph : p.neg_phrases) {
		if (phrase_is_exact(ph))
			negs.push_back(phrase_approx(ph));
		else
			pl.neg_phrases.push_back(needle(ph, 0, ph.size()));
	}
	negs.insert(negs.end(), p.neg_filters.begin(), p.neg_filters.end());
	pl.neg = or_of(negs);

	std::vector<Xapian::Query> filters;
	for (const auto *f : {&p.fonds, &p.type, &p.year, &p.issuer, &p.unit})
		if (!f->empty())
			filters.push_back(or_of(*f));
	bool user_filters = !filters.empty() || p.lessons;
	pl.lessons = p.lessons;
	if (p.lessons) {
		filters.push_back(lesson_filter(opts));
	} else {
		Xapian::Query access = access_filter(opts);
		if (!access.empty())
			filters.push_back(access);
		/* the lessons are searched apart (kind:lesson) */
		pl.neg = pl.neg.empty() ? Xapian::Query(HL_KIND_LESSON)
		                        : Xapian::Query(Xapian::Query::OP_OR, pl.neg,
		                                        Xapian::Query(HL_KIND_LESSON));
	}
	if (pl.levels.empty() && user_filters) {
		pl.levels.push_back(level{Xapian::Query::MatchAll, Xapian::Query(), {}});
		pl.weightless = true;
	}
	pl.filter = and_of(filters);
	/* Tones count only when the user typed some: a tone-free query says nothing of them. */
	pl.tones = p.marks;
}

/* Level k's query: what its core matches less what earlier levels matched. A level whose
 * candidates are confirmed on the document data hands those that fail to the later levels, so
 * it is not subtracted. */
Xapian::Query level_query(const plan &pl, size_t k)
{
	Xapian::Query q = pl.levels[k].core;
	std::vector<Xapian::Query> before;
	for (size_t j = 0; j < k; j++)
		if (pl.levels[j].pairs.empty())
			before.push_back(pl.levels[j].core);
	if (!before.empty())
		q = Xapian::Query(Xapian::Query::OP_AND_NOT, q, or_of(before));
	if (!pl.levels[k].boost.empty())
		q = Xapian::Query(Xapian::Query::OP_AND_MAYBE, q, pl.levels[k].boost);
	if (!pl.neg.empty())
		q = Xapian::Query(Xapian::Query::OP_AND_NOT, q, pl.neg);
	if (!pl.filter.empty())
		q = Xapian::Query(Xapian::Query::OP_FILTER, q, pl.filter);
	return q;
}

struct match {
	Xapian::docid id;
	double score;
	size_t level;
};

/* Which of the query's exact forms a stored text holds: the walk stops once it has seen them
 * all (putting every token of 300 documents in a set was three quarters of a toned query's
 * time). */
struct exact_ctx {
	const std::vector<std::string> *forms; /* distinct */
	std::vector<char> found;
	size_t left;
};

int on_exact_token(const hl_token *t, void *ud)
{
	exact_ctx *c = static_cast<exact_ctx *>(ud);
	for (size_t i = 0; i < c->forms->size(); i++)
		if ((*c->forms)[i] == t->exact) {
			if (!c->found[i]) {
				c->found[i] = 1;
				c->left--;
			}
			break;
		}
	return c->left == 0; /* non-zero stops the walk */
}

/* The store's documents read during one search, each read once. */
struct doc_cache {
	hl_store *st;
	std::map<Xapian::docid, hl_doc *> docs;
	~doc_cache()
	{
		for (auto &e : docs)
			hl_doc_free(e.second);
	}
	/* The document, NULL if the store no longer has it; throws on other errors. */
	hl_doc *get(Xapian::docid id)
	{
		auto it = docs.find(id);
		if (it != docs.end())
			return it->second;
		hl_doc *d = nullptr;
		int rc = (int64_t)id >= HL_INDEX_LESSONS
		             ? hl_store_lesson_doc(&d, st, (int64_t)id - HL_INDEX_LESSONS)
		             : hl_store_doc_get_rowid(&d, st, (int64_t)id);
		if (rc < 0 && rc != HL_ENOTFOUND)
			throw rc;
		docs[id] = d;
		return d;
	}
	/* How many of the query's words the stored subject and text hold with the very tones
	 * typed. */
	size_t tones(Xapian::docid id, const std::vector<std::string> &exact)
	{
		hl_doc *d = get(id);
		if (!d)
			return 0;
		exact_ctx c{&exact, std::vector<char>(exact.size(), 0), exact.size()};
		for (const char *f : {d->subject, d->text, d->page_text})
			if (f && c.left)
				hl_text_tokenize(f, strnlen(f, HL_VERIFY_SCAN_MAX), on_exact_token,
				                 &c);
		return exact.size() - c.left;
	}
};

/* Gathers matches in order, level by level and each by weight. */
struct runner {
	Xapian::Database &db;
	const plan &pl;
	std::vector<match> out;
	uint64_t estimate = 0;
	size_t checked = 0;
	/* every level ran to its end: out holds every hit (of those the checks reached) */
	bool complete = false;
	/* a level left candidates unchecked (past HL_VERIFY_MAX) */
	bool unchecked = false;

	/* Whether a candidate of level k holds the word order its level and the phrases ask. */
	bool passes(Xapian::docid id, size_t k)
	{
		const std::vector<std::string> &pairs = pl.levels[k].pairs;
		if (pairs.empty() && pl.phrases.empty() && pl.neg_phrases.empty())
			return true;
		checked++;
		/* id comes from a match on this very revision: Xapian need not look it up in the
		 * termlist table to check that it exists (a quarter of the check's time) */
		const std::string data = db.get_document(id, Xapian::DOC_ASSUME_VALID).get_data();
		auto holds = [&](const std::string &n) {
			return memmem(data.data(), data.size(), n.data(), n.size()) != nullptr;
		};
		for (const std::string &n : pairs)
			if (!holds(n))
				return false;
		for (const std::string &n : pl.phrases)
			if (!holds(n))
				return false;
		for (const std::string &n : pl.neg_phrases)
			if (holds(n))
				return false;
		return true;
	}

	Xapian::Enquire enquire(size_t k)
	{
		Xapian::Enquire enq(db);
		enq.set_query(level_query(pl, k));
		if (pl.weightless) {
			enq.set_weighting_scheme(Xapian::BoolWeight());
			enq.set_docid_order(Xapian::Enquire::DESCENDING);
		}
		return enq;
	}

	/* Nothing to confirm: each level skips what the offset covers and reads only a page. */
	void run_fast(size_t offset, size_t limit)
	{
		uint64_t before = 0; /* matches of the levels already exhausted */
		for (size_t k = 0; k < pl.levels.size() && out.size() < limit; k++) {
			Xapian::Enquire enq = enquire(k);
			size_t start = offset > before ? (size_t)(offset - before) : 0;
			size_t want = limit - out.size();
			/* An exact count up to start + want tells, when this level falls short,
			 * exactly how many it had. */
			Xapian::MSet m =
			    enq.get_mset((Xapian::doccount)start, (Xapian::doccount)want,
			                 (Xapian::doccount)(start + want));
			for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it)
				out.push_back(match{*it, it.get_weight(), k});
			if (m.size() == want) {
				estimate = before + m.get_matches_estimated();
				return;
			}
			before += m.get_matches_lower_bound();
			estimate = before;
		}
		complete = out.size() < limit;
	}

	/* Something to confirm (or tones to weigh): the first `cap` hits, from the first one (the
	 * caller slices its page). The order is a function of the query alone, whatever `cap`, so
	 * that pages follow each other: each level visits its candidates in weight order, skips
	 * those an earlier level took, checks the first HL_VERIFY_MAX of the others and takes
	 * those that pass. What it does not take (failed, or past its checks) a later level may
	 * take, in that level's own order.
	 *
	 * A level whose Xapian query is the very query of the level before (level 2 when level 1
	 * has no common pairs: the same words, ANDed, only its word order checked) has the same
	 * candidates in the same order, so it reads them from the level before's match instead of
	 * walking the posting lists again (that second walk was most of the slowest queries'
	 * time); the level before asks for enough of them for both. */
	void run_checked(size_t cap)
	{
		std::set<Xapian::docid> taken;
		uint64_t before = 0;
		std::vector<std::string> qs; /* each level's query, serialised */
		for (size_t k = 0; k < pl.levels.size(); k++)
			qs.push_back(level_query(pl, k).serialise());
		auto checks_at = [&](size_t k) {
			return !pl.levels[k].pairs.empty() || !pl.phrases.empty() ||
			       !pl.neg_phrases.empty();
		};
		Xapian::MSet m;
		bool m_all = false; /* m holds every match of its query */
		for (size_t k = 0; k < pl.levels.size() && out.size() < cap; k++) {
			bool checks = checks_at(k);
			size_t level_checked = 0, passed = 0, seen = 0;
			bool full = false;
			/* enough candidates for every check, or for the rest of the page, past
			 * those taken already */
			size_t ask =
			    (checks ? (size_t)HL_VERIFY_MAX : cap - out.size()) + taken.size();
			if (k == 0 || qs[k] != qs[k - 1] || (!m_all && m.size() < ask)) {
				/* what the next level asks, if it reads this level's match: at
				 * most its checks and the whole page past what is taken */
				size_t want = ask;
				if (k + 1 < pl.levels.size() && qs[k + 1] == qs[k])
					want = std::max(
					    want,
					    (checks_at(k + 1) ? (size_t)HL_VERIFY_MAX : 0) + cap);
				m = enquire(k).get_mset(0, (Xapian::doccount)want);
				m_all = m.size() < want;
			}
			uint64_t level_estimate = m.get_matches_estimated();
			/* the first `ask` candidates, as a match of its own would give */
			Xapian::doccount n = std::min<Xapian::doccount>(m.size(), ask);
			for (Xapian::doccount i = 0; i < n && !full; i++) {
				Xapian::MSetIterator it = m[i];
				Xapian::docid id = *it;
				if (taken.count(id))
					continue;
				if (checks && level_checked >= HL_VERIFY_MAX) {
					unchecked = true;
					break;
				}
				seen++;
				level_checked += checks;
				if (!passes(id, k))
					continue;
				passed++;
				taken.insert(id);
				out.push_back(match{id, it.get_weight(), k});
				full = out.size() >= cap;
			}
			if (full) {
				/* the rest of this level, by the share of its candidates that
				 * passed */
				double rate = seen ? (double)passed / (double)seen : 1.0;
				uint64_t left = level_estimate > seen ? level_estimate - seen : 0;
				estimate = before + passed + (uint64_t)((double)left * rate);
				return;
			}
			/* the checks ran out with candidates past them: the loop sees it only when
			 * it reads one more, and does not when the candidates read end with the
			 * last one checked (no earlier level's hit among them) */
			if (checks && level_checked >= HL_VERIFY_MAX && !(m_all && m.size() <= ask))
				unchecked = true;
			before += passed;
			estimate = before;
		}
		complete = out.size() < cap;
	}
};

char *dup(const char *s)
{
	if (!s)
		return nullptr;
	char *d = strdup(s);
	if (!d)
		throw std::bad_alloc();
	return d;
}

void free_hit(hl_hit *h)
{
	free(h->doc_id);
	free(h->subject);
	free(h->dossier_code);
	free(h->fonds_code);
	free(h->issued_date);
	free(h->doc_type);
	free(h->issuer);
	free(h->snippet);
	free(h->task);
	free(h->agency);
}

/* The words a snippet marks, and those whose tones count: every positive word of the query. */
void query_words(std::vector<std::string> &folded, std::vector<int> &prefix,
                 std::vector<std::string> &exact, const parsed &p)
{
	std::set<std::string> seen, seen_exact;
	auto add = [&](const qword &w) {
		if (seen.insert(w.folded).second) {
			folded.push_back(w.folded);
			prefix.push_back(0);
		}
		if (seen_exact.insert(w.exact).second)
			exact.push_back(w.exact);
	};
	for (const words &run : p.runs)
		for (const qword &w : run)
			add(w);
	for (const words &ph : p.phrases)
		for (const qword &w : ph)
			add(w);
	for (const std::string &s : p.prefixes) {
		folded.push_back(s);
		prefix.push_back(1);
	}
}

/* hl_snip_term.follows: the words typed right before each word, in a run or a phrase. */
void word_pairs(std::vector<hl_snip_term> &terms, const std::vector<std::string> &folded,
                const parsed &p)
{
	auto index = [&](const std::string &f) -> size_t {
		for (size_t i = 0; i < folded.size(); i++)
			if (folded[i] == f)
				return i;
		return folded.size();
	};
	auto pairs = [&](const words &ws) {
		for (size_t k = 0; k + 1 < ws.size(); k++) {
			size_t a = index(ws[k].folded), b = index(ws[k + 1].folded);
			if (a < 64 && b < terms.size())
				terms[b].follows |= (uint64_t)1 << a;
		}
	};
	for (const words &run : p.runs)
		pairs(run);
	for (const words &ph : p.phrases)
		pairs(ph);
}

/* Fills one hit from the store; false if the document is gone or the reader may not see it as
 * the store has it now (its level, its fonds). */
bool fill_hit(hl_hit *h, const match &m, doc_cache &cache, const hl_index_query *opts,
              const std::vector<hl_snip_term> &terms)
{
	h->rowid = (int64_t)m.id;
	h->score = m.score;
	h->access = opts->max_access;
	if (!cache.st)
		return true;
	hl_doc *d = cache.get(m.id);
	if (!d)
		return false; /* deleted since the index's last update */
	bool lesson = (int64_t)m.id >= HL_INDEX_LESSONS;
	/* The store is the source of truth: a level raised, or a fonds changed, since the
	 * index's last update still hides the document (a lesson: its plan's level). */
	if (lesson
	        ? (int)d->access > opts->lesson_max_access
	        : (int)d->access > (int)opts->max_access ||
	              (opts->may_see && !opts->may_see(d->access, d->fonds_code, opts->may_see_ud)))
		return false;
	try {
		if (lesson) {
			h->rowid = 0;
			h->lesson = (int64_t)m.id - HL_INDEX_LESSONS;
			h->task = dup(d->dossier_code);
			h->agency = dup(d->notes);
		} else {
			h->doc_id = dup(d->doc_id);
			h->dossier_code = dup(d->dossier_code);
			h->fonds_code = dup(d->fonds_code);
		}
		h->subject = dup(d->subject);
		h->issued_date = dup(d->issued_date);
		h->doc_type = dup(d->doc_type);
		h->issuer = dup(d->issuer);
		h->access = d->access;
		/* the typed text, else the text recognised from its pages, else the subject */
		const char *text = d->text && *d->text             ? d->text
		                   : d->page_text && *d->page_text ? d->page_text
		                                                   : d->subject;
		int rc = hl_search__snippet(&h->snippet, text, terms.data(), terms.size(),
		                            opts->mark_open, opts->mark_close, opts->html);
		if (rc < 0)
			throw rc;
	} catch (...) {
		free_hit(h);
		std::memset(h, 0, sizeof(*h));
		throw;
	}
	return true;
}

} // namespace

/* The most frequent values of one slot, at most this many. */
#define HL_FACET_VALUES 50

static void facet_fill(hl_facet *f, Xapian::ValueCountMatchSpy &spy)
{
	std::vector<std::pair<std::string, Xapian::doccount>> vs;
	for (Xapian::TermIterator t = spy.top_values_begin(HL_FACET_VALUES);
	     t != spy.top_values_end(HL_FACET_VALUES); ++t)
		vs.emplace_back(*t, t.get_termfreq());
	if (vs.empty())
		return;
	f->v = static_cast<hl_facet_value *>(calloc(vs.size(), sizeof(*f->v)));
	if (!f->v)
		throw std::bad_alloc();
	for (const auto &v : vs) {
		f->v[f->n].value = dup(v.first.c_str());
		f->v[f->n++].count = v.second;
	}
}

/* Facet counts over the documents holding every word (every level's, minus exclusions, within
 * the filter — so within what the caller may see), counted on up to HL_FACET_SCAN documents;
 * the hits' estimate becomes at least that count, so the total and the facets speak of the
 * same documents. Without phrases they are the hits (a failure of level 1's word order is a
 * hit of level 2); a phrase is not confirmed here, so a count may then include a document
 * its check drops. */
static void count_facets(hl_hits *res, Xapian::Database &db, const plan &pl)
{
	std::vector<Xapian::Query> cores;
	for (const level &lv : pl.levels)
		cores.push_back(lv.core);
	Xapian::Query q = or_of(cores);
	if (!pl.neg.empty())
		q = Xapian::Query(Xapian::Query::OP_AND_NOT, q, pl.neg);
	if (!pl.filter.empty())
		q = Xapian::Query(Xapian::Query::OP_FILTER, q, pl.filter);
	Xapian::Enquire enq(db);
	enq.set_query(q);
	enq.set_weighting_scheme(Xapian::BoolWeight());
	Xapian::ValueCountMatchSpy fonds(HL_SLOT_FONDS), type(HL_SLOT_TYPE), year(HL_SLOT_YEAR);
	enq.add_matchspy(&fonds);
	enq.add_matchspy(&type);
	enq.add_matchspy(&year);
	Xapian::MSet m = enq.get_mset(0, 0, HL_FACET_SCAN);
	res->facet_count = m.get_matches_lower_bound();
	res->facet_estimate = m.get_matches_estimated();
	res->facets_exact = m.get_matches_lower_bound() == m.get_matches_upper_bound();
	res->estimate = std::max<uint64_t>(res->estimate, res->facet_estimate);
	facet_fill(&res->fonds, fonds);
	facet_fill(&res->type, type);
	facet_fill(&res->year, year);
}

/* The checks on a query and its options that come before any work (README.md, "Limits"). */
static int check_opts(const hl_index_query *opts)
{
	size_t qlen = std::strlen(opts->query);
	if (qlen > HL_QUERY_MAX_BYTES)
		return hl_error_set(HL_ELIMIT, "the query is longer than %d bytes",
		                    HL_QUERY_MAX_BYTES);
	size_t bad_at = 0;
	if (hl_text_check_utf8(opts->query, qlen, &bad_at) != 0)
		return hl_error_set(HL_EINVALID, "the query is not valid UTF-8 (byte %zu)", bad_at);
	size_t limit = opts->limit ? opts->limit : 10;
	if (limit > HL_QUERY_MAX_LIMIT)
		return hl_error_set(HL_ELIMIT, "at most %d hits a page", HL_QUERY_MAX_LIMIT);
	if (opts->offset > HL_QUERY_MAX_DEPTH || opts->offset + limit > HL_QUERY_MAX_DEPTH)
		return hl_error_set(HL_ELIMIT, "results go at most %d deep", HL_QUERY_MAX_DEPTH);
	if ((int)opts->max_access < 0 || (int)opts->max_access > HL_ACCESS_SECRET)
		return hl_error_set(HL_EINVALID, "unknown access level %d", (int)opts->max_access);
	return 0;
}

/* The query parsed and its plan made (throws on running out of memory): 0, or the error of a
 * query that cannot run. */
static int prepare(parsed &p, plan &pl, const hl_index_query *opts)
{
	p.opts = opts;
	if (int rc = parse(p, opts->query))
		return rc;
	build_plan(pl, p, opts);
	if (pl.levels.empty())
		return hl_error_set(HL_EINVALID, "the query \"%s\" has no word to search for",
		                    opts->query);
	return 0;
}

/* Plain words found nowhere in the index that spell, in Telex or VNI, a word it holds
 * ("quyeets" for quyết): searched as that word, with its tones. Each (typed, spelled) goes to
 * `fixed`; true when any was. */
static bool untype_runs(parsed &p, Xapian::Database &db,
                        std::vector<std::pair<std::string, std::string>> &fixed)
{
	for (words &run : p.runs)
		for (qword &w : run) {
			if (w.marks ||
			    w.folded.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789") !=
			        std::string::npos)
				continue;
			if (db.get_termfreq(w.folded) > 0)
				continue;
			char *o = nullptr;
			int rc = hl_search__untype(&o, w.folded.data(), w.folded.size());
			if (rc < 0)
				throw std::bad_alloc();
			if (rc == 0)
				continue;
			words t = tokenize(o);
			free(o);
			if (t.size() != 1 || db.get_termfreq(t[0].folded) == 0)
				continue;
			fixed.emplace_back(w.folded, t[0].exact);
			w = t[0];
			p.marks |= w.marks;
		}
	return !fixed.empty();
}

/* a and b one edit apart: a letter left out, added or changed, or two side by side swapped. */
static bool one_insert(const std::string &s, const std::string &l)
{
	size_t i = 0;
	while (i < s.size() && s[i] == l[i])
		i++;
	return s.compare(i, std::string::npos, l, i + 1, std::string::npos) == 0;
}

static bool one_edit(const std::string &a, const std::string &b)
{
	if (a == b)
		return false;
	if (a.size() + 1 == b.size())
		return one_insert(a, b);
	if (b.size() + 1 == a.size())
		return one_insert(b, a);
	if (a.size() != b.size())
		return false;
	size_t i = 0;
	while (i < a.size() && a[i] == b[i])
		i++;
	if (a.compare(i + 1, std::string::npos, b, i + 1, std::string::npos) == 0)
		return true;
	return i + 1 < a.size() && a[i] == b[i + 1] && a[i + 1] == b[i] &&
	       a.compare(i + 2, std::string::npos, b, i + 2, std::string::npos) == 0;
}

/* Whether some word one edit from w, or w itself, begins with p. The edit can be taken at the
 * first place where p and w differ. */
static bool could_begin(const std::string &w, const std::string &p)
{
	size_t l = 0;
	while (l < p.size() && l < w.size() && p[l] == w[l])
		l++;
	if (l == p.size())
		return true;
	/* p from pi on is a beginning of w from wi on */
	auto rest = [&](size_t pi, size_t wi) {
		if (pi >= p.size())
			return true;
		return wi <= w.size() && p.size() - pi <= w.size() - wi &&
		       p.compare(pi, std::string::npos, w, wi, p.size() - pi) == 0;
	};
	return rest(l, l + 1) ||                        /* w[l] left out */
	       rest(l + 1, l) ||                        /* a letter added before w[l] */
	       rest(l + 1, l + 1) ||                    /* w[l] changed */
	       (l + 1 < w.size() && p[l] == w[l + 1] && /* w[l] and w[l + 1] swapped */
	        (l + 1 == p.size() || (p[l + 1] == w[l] && rest(l + 2, l + 2))));
}

/* The word the index holds most often one edit from w (its words starting with w's first or
 * second letter), or "" with *freq 0. The terms are read in order, and those beginning with
 * what no word one edit from w begins with are passed over in one seek: a word beginning with
 * b read every document id ("bm0000001" ...; 100,000 terms at 100k documents, 13 ms). */
static std::string nearest(Xapian::Database &db, const std::string &w, Xapian::doccount *freq)
{
	std::string best;
	*freq = 0;
	for (size_t k = 0; k < 2; k++) {
		std::string from(1, w[k]);
		if (k && w[1] == w[0])
			break;
		Xapian::TermIterator end = db.allterms_end(from);
		for (Xapian::TermIterator t = db.allterms_begin(from); t != end;) {
			const std::string c = *t;
			size_t dead = 0; /* the shortest beginning of c that nothing near w has */
			for (size_t i = 2; i <= c.size() && !dead; i++)
				if (!could_begin(w, c.substr(0, i)))
					dead = i;
			if (dead) {
				std::string next = c.substr(0, dead); /* the first term past it */
				while (!next.empty() && (unsigned char)next.back() == 0xff)
					next.pop_back();
				if (next.empty())
					break;
				next.back() = (char)((unsigned char)next.back() + 1);
				t.skip_to(next);
				continue;
			}
			if (c.size() + 1 >= w.size() && c.size() <= w.size() + 1 &&
			    one_edit(w, c) && t.get_termfreq() > *freq)
				*freq = t.get_termfreq(), best = c;
			++t;
		}
	}
	return best;
}

/* One typo in a word of five letters or more ("truogn", "quyne"): a word found nowhere is
 * searched as the word one edit from it that the index holds most often, into `fixed` as the
 * Telex words are; a word held rarely (at most 3 documents) next to one held fifty times as
 * often stays as typed and is offered in `suggest` ("did you mean"). */
static void fix_typos(parsed &p, Xapian::Database &db,
                      std::vector<std::pair<std::string, std::string>> &fixed,
                      std::vector<std::pair<std::string, std::string>> &suggest)
{
	for (words &run : p.runs)
		for (qword &w : run) {
			if (w.folded.size() < 5 ||
			    w.folded.find_first_not_of("abcdefghijklmnopqrstuvwxyz") !=
			        std::string::npos)
				continue;
			Xapian::doccount have = db.get_termfreq(w.folded), freq;
			if (have > 3)
				continue;
			std::string c = nearest(db, w.folded, &freq);
			if (c.empty() || (have && freq < 50 * have))
				continue;
			if (have) {
				suggest.emplace_back(w.folded, c);
				continue;
			}
			fixed.emplace_back(w.folded, c);
			w.folded = w.exact = c;
			w.marks = false;
		}
}

/* The words offered instead of rare ones, into the hits (malloc'd pairs). */
static void suggest_fill(hl_hits *res, const std::vector<std::pair<std::string, std::string>> &f)
{
	if (f.empty())
		return;
	res->rare = static_cast<char **>(calloc(f.size(), sizeof(char *)));
	res->common = static_cast<char **>(calloc(f.size(), sizeof(char *)));
	if (!res->rare || !res->common)
		throw std::bad_alloc();
	for (const auto &e : f) {
		res->rare[res->nsuggest] = dup(e.first.c_str());
		res->common[res->nsuggest++] = dup(e.second.c_str());
	}
}

/* The words searched as others, into the hits (malloc'd pairs). */
static void spelled_fill(hl_hits *res, const std::vector<std::pair<std::string, std::string>> &f)
{
	if (f.empty())
		return;
	res->typed = static_cast<char **>(calloc(f.size(), sizeof(char *)));
	res->spelled = static_cast<char **>(calloc(f.size(), sizeof(char *)));
	if (!res->typed || !res->spelled)
		throw std::bad_alloc();
	for (const auto &e : f) {
		res->typed[res->nspelled] = dup(e.first.c_str());
		res->spelled[res->nspelled++] = dup(e.second.c_str());
	}
}

extern "C" int hl_index_search(hl_hits **out, hl_index *ix, hl_store *st,
                               const hl_index_query *opts)
{
	if (!ix || !opts || !opts->query)
		return hl_error_set(HL_EINVALID, "no index or query given");
	if (int rc = check_opts(opts))
		return rc;
	size_t limit = opts->limit ? opts->limit : 10;

	hl_hits *res = nullptr;
	try {
		parsed p;
		plan pl;
		int rc = prepare(p, pl, opts);
		if (rc)
			return rc;
		std::vector<std::pair<std::string, std::string>> spelled;
		if (ix->rdb)
			ix->rdb->reopen();
		std::vector<std::pair<std::string, std::string>> suggest;
		bool untyped = untype_runs(p, ix->db(), spelled);
		size_t nfixed = spelled.size();
		fix_typos(p, ix->db(), spelled, suggest);
		if (untyped || spelled.size() > nfixed) {
			pl = plan();
			build_plan(pl, p, opts);
		}
		std::vector<std::string> folded, exact;
		std::vector<int> prefix;
		query_words(folded, prefix, exact, p);
		std::vector<hl_snip_term> terms;
		for (size_t i = 0; i < folded.size(); i++)
			terms.push_back(hl_snip_term{folded[i].c_str(), prefix[i], 0});
		word_pairs(terms, folded, p);

		doc_cache cache{st, {}};
		bool tones = pl.tones && st;
		bool checked = pl.needs_check() || tones;
		size_t want = opts->offset + limit;
		/* with tones, at least the HL_TONE_MAX first hits, whatever the page */
		size_t cap = tones ? std::max<size_t>(want, HL_TONE_MAX) : want;
		std::unique_ptr<runner> r;
		for (int attempt = 0;; attempt++) {
			try {
				if (ix->rdb)
					ix->rdb->reopen(); /* see the indexer's latest commit */
				if ((rc = hl_search__check_scheme(ix->db(), ix->dir)))
					return rc;
				r.reset(new runner{ix->db(), pl, {}, 0, 0});
				if (checked)
					r->run_checked(cap);
				else
					r->run_fast(opts->offset, limit);
				break;
			} catch (const Xapian::DatabaseModifiedError &) {
				if (attempt >= 2)
					throw;
			}
		}
		std::vector<match> &ms = r->out;
		if (tones) {
			/* Tones typed are words meant: of the first HL_TONE_MAX hits, those holding
			 * more of the query's words with those tones come first, then by level and
			 * weight. The hits past them keep their order: the order stays the same
			 * whatever the page. */
			size_t n = std::min<size_t>(ms.size(), HL_TONE_MAX);
			std::vector<std::pair<size_t, match>> keyed;
			for (size_t i = 0; i < n; i++)
				keyed.emplace_back(cache.tones(ms[i].id, exact), ms[i]);
			std::stable_sort(
			    keyed.begin(), keyed.end(),
			    [](const auto &a, const auto &b) { return a.first > b.first; });
			for (size_t i = 0; i < n; i++)
				ms[i] = keyed[i].second;
		}
		size_t from = checked ? opts->offset : 0;
		res = static_cast<hl_hits *>(calloc(1, sizeof(*res)));
		if (!res)
			throw std::bad_alloc();
		res->estimate = std::max<uint64_t>(r->estimate, ms.size());
		spelled_fill(res, spelled);
		suggest_fill(res, suggest);
		/* Every hit listed: their number is the total. Else, without phrases to confirm,
		 * the documents holding every word (the facets' count) are the hits. */
		res->listed_all = r->complete && !(r->unchecked && !pl.phrases.empty()) &&
		                  !(r->unchecked && !pl.neg_phrases.empty());
		res->listed = checked ? ms.size() : r->estimate;
		res->count_is_total = pl.phrases.empty() && pl.neg_phrases.empty();
		if (ms.size() > from) {
			res->hits = static_cast<hl_hit *>(calloc(ms.size() - from, sizeof(hl_hit)));
			if (!res->hits)
				throw std::bad_alloc();
		}
		for (size_t i = from; i < ms.size() && res->n < limit; i++)
			if (fill_hit(&res->hits[res->n], ms[i], cache, opts, terms))
				res->n++;
		if (opts->facets)
			count_facets(res, ix->db(), pl);
		*out = res;
		return 0;
	} catch (int rc) {
		hl_hits_free(res);
		return rc; /* a halong error, its message already set */
	} catch (...) {
		hl_hits_free(res);
		return hl_search__error("searching the index");
	}
}

extern "C" int hl_search__parse(char **out, const hl_index_query *opts)
{
	if (!out || !opts || !opts->query)
		return hl_error_set(HL_EINVALID, "no query given");
	if (int rc = check_opts(opts))
		return rc;
	try {
		parsed p;
		plan pl;
		if (int rc = prepare(p, pl, opts))
			return rc;
		std::string d;
		for (size_t k = 0; k < pl.levels.size(); k++) {
			d += "level " + std::to_string(k) + ": " +
			     level_query(pl, k).get_description() + "\n";
			for (const std::string &n : pl.levels[k].pairs)
				d += "  in order: \"" + n + "\"\n";
		}
		for (const std::string &n : pl.phrases)
			d += "phrase: \"" + n + "\"\n";
		for (const std::string &n : pl.neg_phrases)
			d += "not phrase: \"" + n + "\"\n";
		if (pl.weightless)
			d += "newest first\n";
		if (pl.tones)
			d += "tones\n";
		*out = dup(d.c_str());
		return 0;
	} catch (int rc) {
		return rc;
	} catch (...) {
		return hl_search__error("parsing the query");
	}
}

static void facet_free(hl_facet *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].value), free(f->v[i].name);
	free(f->v);
	f->v = nullptr, f->n = 0;
}

extern "C" void hl_hits_free(hl_hits *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		free_hit(&h->hits[i]);
	free(h->hits);
	for (size_t i = 0; i < h->nspelled; i++)
		free(h->typed[i]), free(h->spelled[i]);
	free(h->typed), free(h->spelled);
	free(h->searched_as);
	for (size_t i = 0; i < h->nsuggest; i++)
		free(h->rare[i]), free(h->common[i]);
	free(h->rare), free(h->common);
	free(h->did_you_mean);
	facet_free(&h->fonds), facet_free(&h->type), facet_free(&h->year);
	facet_free(&h->unit);
	free(h);
}
