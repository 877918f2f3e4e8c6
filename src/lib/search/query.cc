/* Searching: halong's query syntax parsed with its own tokenizer, turned into Xapian queries in
 * levels from strict to loose, and the hits completed from the store with snippets. */
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <set>
#include <string>
#include <vector>

#include "halong/search.h"
#include "halong/text.h"
#include "search/index_int.hh"
#include "search/search_int.h"

/* Limits on what a query may ask (README.md, "Limits"). */
#define HL_QUERY_MAX_BYTES 1024
#define HL_QUERY_MAX_WORDS 64
#define HL_QUERY_MAX_LIMIT 1000
#define HL_QUERY_MAX_DEPTH 10000 /* offset + limit */
#define HL_WILDCARD_MAX    100   /* terms a prefix expands to, the most frequent first */
#define HL_YEAR_SPAN_MAX   200

namespace
{

struct qword {
	std::string folded, exact;
	bool marks;
};

struct parsed {
	std::vector<std::vector<qword>> runs;    /* adjacent plain words */
	std::vector<std::vector<qword>> phrases; /* "quoted" */
	std::vector<std::string> prefixes;       /* folded stems of word* */
	std::vector<Xapian::Query> negs;
	/* filters: one OR list per field, AND across fields */
	std::vector<Xapian::Query> fonds, type, year, issuer;
	std::vector<Xapian::Query> neg_filters;
	size_t nwords = 0;
	bool marks = false;
};

struct tok_ctx {
	std::vector<qword> *words;
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
		c->words->push_back(std::move(w));
	} catch (...) {
		c->failed = true;
		return 1;
	}
	return 0;
}

std::vector<qword> tokenize(const std::string &s)
{
	std::vector<qword> out;
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

/* A phrase: positions checked by Xapian, led by its pair terms, which are far rarer than its
 * syllables. */
Xapian::Query phrase_query(const std::vector<qword> &ws)
{
	if (ws.size() == 1)
		return Xapian::Query(ws[0].folded);
	std::vector<Xapian::Query> syl, all;
	for (size_t i = 0; i < ws.size(); i++) {
		syl.emplace_back(ws[i].folded, 1, (Xapian::termpos)(i + 1));
		if (i > 0)
			all.emplace_back(pair_term(HL_PFX_PAIR, ws[i - 1].folded, ws[i].folded));
	}
	all.emplace_back(Xapian::Query::OP_PHRASE, syl.begin(), syl.end(),
	                 (Xapian::termcount)syl.size());
	return Xapian::Query(Xapian::Query::OP_AND, all.begin(), all.end());
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
		std::vector<qword> ws = tokenize(value);
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
			size_t e = q.find('"', i + 1);
			std::string body = q.substr(i + 1, e == std::string::npos ? e : e - i - 1);
			i = e == std::string::npos ? n : e + 1;
			std::vector<qword> ws = tokenize(body);
			run_open = false;
			if (ws.empty())
				continue;
			if (int rc = count_words(p, ws.size()))
				return rc;
			if (neg) {
				p.negs.push_back(phrase_query(ws));
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
			if (name == "fonds" || name == "type" || name == "year" ||
			    name == "issuer") {
				std::string value = item.substr(colon + 1);
				if (value.empty() && i < n && q[i] == '"') {
					size_t e = q.find('"', i + 1);
					value =
					    q.substr(i + 1, e == std::string::npos ? e : e - i - 1);
					i = e == std::string::npos ? n : e + 1;
				}
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
		std::vector<qword> ws = tokenize(item);
		if (ws.empty()) {
			continue; /* punctuation alone ("–", "(") separates nothing */
		}
		if (int rc = count_words(p, ws.size()))
			return rc;
		if (neg) {
			if (prefix) {
				std::string stem = ws.back().folded;
				ws.pop_back();
				p.negs.emplace_back(Xapian::Query::OP_WILDCARD, stem,
				                    HL_WILDCARD_MAX,
				                    Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT);
			}
			/* "-hộ" typed with its tone excludes hộ, not hồ or họ. */
			if (ws.size() == 1 && ws[0].marks)
				p.negs.emplace_back(HL_PFX_EXACT + ws[0].exact);
			else if (!ws.empty())
				p.negs.push_back(phrase_query(ws));
			run_open = false;
			continue;
		}
		for (const qword &w : ws)
			p.marks = p.marks || w.marks;
		std::string stem;
		if (prefix) {
			stem = ws.back().folded;
			ws.pop_back();
		}
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
	return Xapian::Query(Xapian::Query::OP_AND, qs.begin(), qs.end());
}

/* The query's levels, strict to loose, each returning only what the previous ones did not:
 *   1. each run of plain words as its syllable pairs (adjacent, in order), lone words as they are;
 *   2. every plain word, anywhere;
 *   3. any plain word.
 * Phrases and prefixes are required at every level; filters and exclusions apply to all. */
struct plan {
	std::vector<Xapian::Query> cores; /* without the previous levels subtracted */
	Xapian::Query boost1, boost;      /* ranking only: boost1 for level 1, boost for the rest */
	Xapian::Query neg, filter;
	bool weightless = false; /* filters alone: newest first */
};

void build_plan(plan &pl, const parsed &p, hl_access max_access)
{
	std::vector<Xapian::Query> required, pairs, syls, boosts;
	std::set<std::string> seen;
	auto boost_word = [&](const qword &w) {
		if (seen.insert(HL_PFX_SUBJECT + w.folded).second)
			boosts.emplace_back(HL_PFX_SUBJECT + w.folded);
		/* Exact tones count only when the user typed marks: a tone-free query says
		 * nothing about tones. */
		if (p.marks && w.marks && seen.insert(HL_PFX_EXACT + w.exact).second)
			boosts.emplace_back(HL_PFX_EXACT + w.exact);
	};
	for (const auto &ph : p.phrases) {
		required.push_back(phrase_query(ph));
		for (size_t i = 0; i < ph.size(); i++) {
			boost_word(ph[i]);
			if (i > 0)
				boosts.emplace_back(
				    pair_term(HL_PFX_SPAIR, ph[i - 1].folded, ph[i].folded));
		}
	}
	for (const std::string &stem : p.prefixes)
		required.emplace_back(Xapian::Query::OP_WILDCARD, stem, HL_WILDCARD_MAX,
		                      Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT);
	std::vector<Xapian::Query> strict = required;
	bool has_pairs = false;
	for (const auto &run : p.runs) {
		for (size_t i = 0; i < run.size(); i++) {
			syls.emplace_back(run[i].folded);
			boost_word(run[i]);
			if (i > 0) {
				pairs.emplace_back(
				    pair_term(HL_PFX_PAIR, run[i - 1].folded, run[i].folded));
				boosts.emplace_back(
				    pair_term(HL_PFX_SPAIR, run[i - 1].folded, run[i].folded));
				has_pairs = true;
			}
		}
		if (run.size() == 1)
			strict.emplace_back(run[0].folded);
	}
	strict.insert(strict.end(), pairs.begin(), pairs.end());

	if (!strict.empty()) {
		pl.cores.push_back(and_of(strict));
		if (has_pairs) {
			std::vector<Xapian::Query> all = required;
			all.insert(all.end(), syls.begin(), syls.end());
			pl.cores.push_back(and_of(all));
		}
		if (syls.size() > 1) {
			std::vector<Xapian::Query> any = required;
			any.push_back(or_of(syls));
			pl.cores.push_back(and_of(any));
		}
	}
	pl.boost1 = or_of(boosts);
	boosts.insert(boosts.end(), pairs.begin(), pairs.end());
	pl.boost = or_of(boosts);
	pl.neg = or_of(p.negs);

	std::vector<Xapian::Query> filters;
	for (const auto *f : {&p.fonds, &p.type, &p.year, &p.issuer})
		if (!f->empty())
			filters.push_back(or_of(*f));
	bool user_filters = !filters.empty();
	if (max_access < HL_ACCESS_SECRET) {
		std::vector<Xapian::Query> levels;
		for (int a = 0; a <= (int)max_access; a++)
			levels.emplace_back(std::string(HL_PFX_ACCESS) + (char)('0' + a));
		filters.push_back(or_of(levels));
	}
	if (pl.cores.empty() && user_filters) {
		pl.cores.push_back(Xapian::Query::MatchAll);
		pl.weightless = true;
	}
	pl.filter = and_of(filters);
	if (!p.neg_filters.empty())
		pl.neg = pl.neg.empty()
		             ? or_of(p.neg_filters)
		             : Xapian::Query(Xapian::Query::OP_OR, pl.neg, or_of(p.neg_filters));
}

Xapian::Query level_query(const plan &pl, size_t k)
{
	Xapian::Query q = pl.cores[k];
	if (k > 0)
		q = Xapian::Query(Xapian::Query::OP_AND_NOT, q, pl.cores[k - 1]);
	const Xapian::Query &b = k == 0 ? pl.boost1 : pl.boost;
	if (!b.empty())
		q = Xapian::Query(Xapian::Query::OP_AND_MAYBE, q, b);
	if (!pl.neg.empty())
		q = Xapian::Query(Xapian::Query::OP_AND_NOT, q, pl.neg);
	if (!pl.filter.empty())
		q = Xapian::Query(Xapian::Query::OP_FILTER, q, pl.filter);
	if (pl.weightless)
		q = Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, q, 0.0);
	return q;
}

struct match {
	Xapian::docid id;
	double score;
};

/* Runs the levels until offset + limit matches are found; the order is level 1's matches, then
 * level 2's, and so on, each by weight. */
void run_levels(std::vector<match> &out, uint64_t &estimate, Xapian::Database &db, const plan &pl,
                size_t offset, size_t limit)
{
	out.clear();
	estimate = 0;
	uint64_t before = 0; /* matches of the levels already exhausted */
	for (size_t k = 0; k < pl.cores.size() && out.size() < limit; k++) {
		Xapian::Enquire enq(db);
		enq.set_query(level_query(pl, k));
		if (pl.weightless) {
			enq.set_weighting_scheme(Xapian::BoolWeight());
			enq.set_docid_order(Xapian::Enquire::DESCENDING);
		}
		size_t start = offset > before ? (size_t)(offset - before) : 0;
		size_t want = limit - out.size();
		/* Asking for an exact count up to start + want tells, when this level falls
		 * short, exactly how many it had. */
		Xapian::MSet m = enq.get_mset((Xapian::doccount)start, (Xapian::doccount)want,
		                              (Xapian::doccount)(start + want));
		for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it)
			out.push_back(match{*it, it.get_weight()});
		if (m.size() == want) {
			estimate = before + m.get_matches_estimated();
			return;
		}
		before += m.get_matches_lower_bound();
		estimate = before;
	}
}

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
}

/* The words a snippet marks: every positive word of the query. */
void snippet_terms(std::vector<std::string> &words, std::vector<hl_snip_term> &terms,
                   const parsed &p)
{
	std::set<std::string> seen;
	std::vector<std::pair<std::string, int>> ws;
	for (const auto &run : p.runs)
		for (const qword &w : run)
			if (seen.insert(w.folded).second)
				ws.emplace_back(w.folded, 0);
	for (const auto &ph : p.phrases)
		for (const qword &w : ph)
			if (seen.insert(w.folded).second)
				ws.emplace_back(w.folded, 0);
	for (const std::string &s : p.prefixes)
		ws.emplace_back(s, 1);
	words.clear();
	for (auto &w : ws)
		words.push_back(w.first);
	terms.clear();
	for (size_t i = 0; i < ws.size(); i++)
		terms.push_back(hl_snip_term{words[i].c_str(), ws[i].second});
}

} // namespace

extern "C" int hl_index_search(hl_hits **out, hl_index *ix, hl_store *st,
                               const hl_search_opts *opts)
{
	if (!ix || !opts || !opts->query)
		return hl_error_set(HL_EINVALID, "no index or query given");
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

	hl_hits *res = nullptr;
	try {
		parsed p;
		int rc = parse(p, opts->query);
		if (rc)
			return rc;
		plan pl;
		build_plan(pl, p, opts->max_access);
		if (pl.cores.empty())
			return hl_error_set(
			    HL_EINVALID, "the query \"%s\" has no word to search for", opts->query);
		std::vector<match> ms;
		uint64_t estimate = 0;
		for (int attempt = 0;; attempt++) {
			try {
				if (ix->rdb)
					ix->rdb->reopen(); /* see the indexer's latest commit */
				run_levels(ms, estimate, ix->db(), pl, opts->offset, limit);
				break;
			} catch (const Xapian::DatabaseModifiedError &) {
				if (attempt >= 2)
					throw;
			}
		}

		std::vector<std::string> words;
		std::vector<hl_snip_term> terms;
		snippet_terms(words, terms, p);
		res = static_cast<hl_hits *>(calloc(1, sizeof(*res)));
		if (!res)
			throw std::bad_alloc();
		res->estimate = estimate;
		if (!ms.empty()) {
			res->hits = static_cast<hl_hit *>(calloc(ms.size(), sizeof(hl_hit)));
			if (!res->hits)
				throw std::bad_alloc();
		}
		for (const match &m : ms) {
			hl_hit *h = &res->hits[res->n];
			h->rowid = (int64_t)m.id;
			h->score = m.score;
			h->access = opts->max_access;
			if (!st) {
				res->n++;
				continue;
			}
			hl_doc *d = nullptr;
			rc = hl_store_doc_get_rowid(&d, st, (int64_t)m.id);
			if (rc == HL_ENOTFOUND)
				continue; /* deleted since the index's last update */
			if (rc < 0) {
				hl_hits_free(res);
				return rc;
			}
			/* The store is the source of truth: a level raised since the index's
			 * last update still hides the document. */
			if ((int)d->access > (int)opts->max_access) {
				hl_doc_free(d);
				continue;
			}
			try {
				h->doc_id = dup(d->doc_id);
				h->subject = dup(d->subject);
				h->dossier_code = dup(d->dossier_code);
				h->fonds_code = dup(d->fonds_code);
				h->issued_date = dup(d->issued_date);
				h->doc_type = dup(d->doc_type);
				h->issuer = dup(d->issuer);
				h->access = d->access;
				const char *text = d->text && *d->text ? d->text : d->subject;
				rc = hl_search__snippet(&h->snippet, text, terms.data(),
				                        terms.size(), opts->mark_open,
				                        opts->mark_close, opts->html);
			} catch (...) {
				free_hit(h);
				hl_doc_free(d);
				throw;
			}
			hl_doc_free(d);
			res->n++; /* counted before a failure so that hl_hits_free frees it */
			if (rc < 0) {
				hl_hits_free(res);
				return rc;
			}
		}
		*out = res;
		return 0;
	} catch (...) {
		hl_hits_free(res);
		return hl_search__error("searching the index");
	}
}

extern "C" void hl_hits_free(hl_hits *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		free_hit(&h->hits[i]);
	free(h->hits);
	free(h);
}
