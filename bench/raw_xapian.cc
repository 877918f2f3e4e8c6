/* The raw Xapian baseline of the ingest and search benchmarks: what a programmer gets from Xapian
 * with a few lines of folding (lower case, strip marks, đ -> d) and no Vietnamese knowledge.
 *
 *   raw_xapian index DB MANIFEST.csv        index subject + text of every row, print the rate
 *   raw_xapian search DB QUERIES OUT         warm-up pass, then a timed pass; OUT gets one line a
 *                                            query: "<microseconds>\t<id>,<id>,..." (top 10) */
#include <xapian.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <utf8proc.h>

/* The folding a user of raw Xapian would write: NFD + casefold + strip marks, then đ -> d
 * (đ has no decomposition, so stripping marks leaves it). */
static std::string fold(const std::string &s)
{
	utf8proc_uint8_t *out = nullptr;
	utf8proc_ssize_t n = utf8proc_map(
	    (const utf8proc_uint8_t *)s.data(), (utf8proc_ssize_t)s.size(), &out,
	    (utf8proc_option_t)(UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK | UTF8PROC_CASEFOLD));
	if (n < 0)
		return s;
	std::string r;
	r.reserve((size_t)n);
	for (utf8proc_ssize_t i = 0; i < n; i++) {
		if (out[i] == 0xC4 && i + 1 < n && out[i + 1] == 0x91) { /* U+0111 đ */
			r += 'd';
			i++;
		} else {
			r += (char)out[i];
		}
	}
	free(out);
	return r;
}

/* A small RFC 4180 reader: one record a call, quoted fields may hold commas, quotes and newlines.
 */
static bool read_record(FILE *f, std::vector<std::string> &fields)
{
	fields.clear();
	std::string cur;
	bool quoted = false, any = false;
	int c;
	while ((c = getc_unlocked(f)) != EOF) {
		any = true;
		if (quoted) {
			if (c == '"') {
				int d = getc_unlocked(f);
				if (d == '"') {
					cur += '"';
				} else {
					quoted = false;
					if (d != EOF)
						ungetc(d, f);
				}
			} else {
				cur += (char)c;
			}
		} else if (c == '"') {
			quoted = true;
		} else if (c == ',') {
			fields.push_back(cur);
			cur.clear();
		} else if (c == '\n') {
			break;
		} else if (c != '\r') {
			cur += (char)c;
		}
	}
	if (!any)
		return false;
	fields.push_back(cur);
	return true;
}

static double now_s()
{
	return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
	    .count();
}

static int do_index(const char *dbdir, const char *manifest)
{
	FILE *f = fopen(manifest, "rb");
	if (!f) {
		perror(manifest);
		return 1;
	}
	std::vector<std::string> rec;
	if (!read_record(f, rec)) {
		fprintf(stderr, "raw_xapian: empty manifest\n");
		return 1;
	}
	int c_id = -1, c_subject = -1, c_text = -1;
	for (size_t i = 0; i < rec.size(); i++) {
		if (rec[i] == "doc_id")
			c_id = (int)i;
		else if (rec[i] == "subject")
			c_subject = (int)i;
		else if (rec[i] == "text")
			c_text = (int)i;
	}
	if (c_id < 0 || c_subject < 0 || c_text < 0) {
		fprintf(stderr, "raw_xapian: manifest needs doc_id, subject, text\n");
		return 1;
	}
	double t0 = now_s();
	unsigned long n = 0;
	Xapian::WritableDatabase db(dbdir, Xapian::DB_CREATE_OR_OVERWRITE);
	Xapian::TermGenerator tg; /* no stemmer */
	while (read_record(f, rec)) {
		if (rec.size() <= (size_t)c_text)
			continue;
		Xapian::Document doc;
		tg.set_document(doc);
		tg.index_text(fold(rec[c_subject]));
		tg.increase_termpos();
		tg.index_text(fold(rec[c_text]));
		doc.set_data(rec[c_id]);
		db.add_document(doc);
		n++;
	}
	db.commit();
	db.close();
	fclose(f);
	double dt = now_s() - t0;
	printf("raw_xapian index: %lu docs in %.2f s = %.0f docs/s\n", n, dt, n / dt);
	return 0;
}

static int do_search(const char *dbdir, const char *queries, const char *outpath)
{
	std::vector<std::string> qs;
	{
		FILE *f = fopen(queries, "rb");
		if (!f) {
			perror(queries);
			return 1;
		}
		char *line = nullptr;
		size_t cap = 0;
		ssize_t len;
		while ((len = getline(&line, &cap, f)) > 0) {
			while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
				line[--len] = 0;
			qs.emplace_back(line, (size_t)len);
		}
		free(line);
		fclose(f);
	}
	Xapian::Database db(dbdir);
	Xapian::QueryParser qp; /* default OP_OR, no stemmer */
	std::vector<double> us(qs.size());
	std::vector<std::string> ids(qs.size());
	for (int pass = 0; pass < 2; pass++) { /* pass 0 warms the caches */
		for (size_t i = 0; i < qs.size(); i++) {
			double t0 = now_s();
			std::string top;
			Xapian::Enquire enq(db);
			enq.set_query(qp.parse_query(fold(qs[i])));
			Xapian::MSet m = enq.get_mset(0, 10);
			for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it) {
				if (!top.empty())
					top += ',';
				top += it.get_document().get_data();
			}
			us[i] = (now_s() - t0) * 1e6;
			ids[i] = top;
		}
	}
	FILE *o = fopen(outpath, "w");
	if (!o) {
		perror(outpath);
		return 1;
	}
	for (size_t i = 0; i < qs.size(); i++)
		fprintf(o, "%.1f\t%s\n", us[i], ids[i].c_str());
	fclose(o);
	return 0;
}

int main(int argc, char **argv)
{
	try {
		if (argc == 4 && !strcmp(argv[1], "index"))
			return do_index(argv[2], argv[3]);
		if (argc == 5 && !strcmp(argv[1], "search"))
			return do_search(argv[2], argv[3], argv[4]);
	} catch (const Xapian::Error &e) {
		fprintf(stderr, "raw_xapian: %s\n", e.get_description().c_str());
		return 1;
	}
	fprintf(stderr,
	        "usage: raw_xapian index DB MANIFEST.csv | raw_xapian search DB QUERIES OUT\n");
	return 2;
}
