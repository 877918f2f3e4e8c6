/* DCAT-AP 3.0 metadata of the public datasets as JSON-LD, for national portals to harvest: the
 * catalogue and one document per dataset, with the EU vocabularies' IRIs for themes,
 * frequencies, file types and language. Never a dataset above public, whoever asks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "catalog_int.h"
#include "halong/catalog_json.h"
#include "halong/plans.h"
#include "halong/text.h"
#include "halong/units.h"
#include "halong/util.h"

#define EU           "http://publications.europa.eu/resource/authority/"
#define IANA         "https://www.iana.org/assignments/media-types/"
#define XSD_DATETIME "http://www.w3.org/2001/XMLSchema#dateTime"

/* halong's sectors in the EU data-theme vocabulary (14 codes; there is no tourism: ECON). */
static const struct {
	const char *sector, *themes[3];
} themes[] = {
    {"tourism", {"ECON", NULL}},          {"health", {"HEAL", NULL}},
    {"education", {"EDUC", NULL}},        {"agriculture", {"AGRI", NULL}},
    {"environment", {"ENVI", NULL}},      {"taxation", {"ECON", "GOVE", NULL}},
    {"finance", {"ECON", "GOVE", NULL}},  {"transport", {"TRAN", NULL}},
    {"industry", {"ECON", "TECH", NULL}}, {"population", {"SOCI", NULL}},
    {"land", {"ENVI", "REGI", NULL}},     {"culture", {"EDUC", NULL}},
    {"justice", {"JUST", NULL}},          {"labour", {"SOCI", "ECON", NULL}},
};

/* A dataset's free-text frequency (Vietnamese or English, tones ignored) in the EU frequency
 * vocabulary; NULL when it says none of these. */
static const struct {
	const char *code, *words[8];
} freqs[] = {
    {"DAILY", {"daily", "hang ngay", "hàng ngày", "moi ngay", NULL}},
    {"WEEKLY", {"weekly", "hang tuan", "moi tuan", NULL}},
    {"MONTHLY", {"monthly", "hang thang", "moi thang", NULL}},
    {"QUARTERLY", {"quarterly", "hang quy", "moi quy", NULL}},
    {"ANNUAL_2", {"semiannual", "6 thang", "nua nam", "sau thang", NULL}},
    {"ANNUAL", {"annual", "yearly", "hang nam", "moi nam", NULL}},
    {"IRREG", {"irregular", "khong dinh ky", "khong thuong xuyen", NULL}},
    {"NEVER", {"never", "khong cap nhat", NULL}},
    {"CONT", {"continuous", "lien tuc", "real time", NULL}},
};

static const char *freq_code(const char *text)
{
	char *f = NULL;
	const char *code = NULL;
	if (!text || hl_text_fold(&f, text, -1) < 0 || !f)
		return NULL;
	for (size_t i = 0; !code && i < sizeof(freqs) / sizeof(freqs[0]); i++)
		for (int j = 0; !code && freqs[i].words[j]; j++)
			if (strstr(f, freqs[i].words[j]))
				code = freqs[i].code;
	/* an English or Vietnamese code as it is (ANNUAL, MONTHLY…) */
	for (size_t i = 0; !code && i < sizeof(freqs) / sizeof(freqs[0]); i++)
		if (!strcasecmp(text, freqs[i].code))
			code = freqs[i].code;
	free(f);
	return code;
}

static json_t *vi(const char *s)
{
	return json_pack("{s:s,s:s}", "@value", s, "@language", "vi");
}

static json_t *iri(const char *fmt, const char *a, const char *b)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), fmt, a, b ? b : "");
	return json_string(buf);
}

static json_t *datetime(const char *t)
{
	return json_pack("{s:s,s:s}", "@value", t, "@type", XSD_DATETIME);
}

static json_t *context(void)
{
	return json_pack(
	    "{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s},"
	    "s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s},s:{s:s}}",
	    "dcat", "http://www.w3.org/ns/dcat#", "dct", "http://purl.org/dc/terms/", "foaf",
	    "http://xmlns.com/foaf/0.1/", "rdfs", "http://www.w3.org/2000/01/rdf-schema#", "xsd",
	    "http://www.w3.org/2001/XMLSchema#", "dcatap", "http://data.europa.eu/r5r/",
	    "dct:publisher", "@type", "@id", "dct:license", "@type", "@id", "dct:format", "@type",
	    "@id", "dcat:mediaType", "@type", "@id", "dcat:accessURL", "@type", "@id",
	    "dcat:downloadURL", "@type", "@id", "dcat:theme", "@type", "@id", "dcat:themeTaxonomy",
	    "@type", "@id", "dct:accrualPeriodicity", "@type", "@id", "dct:spatial", "@type", "@id",
	    "dct:language", "@type", "@id", "dct:conformsTo", "@type", "@id", "foaf:homepage",
	    "@type", "@id", "dcat:landingPage", "@type", "@id", "dcat:dataset", "@type", "@id",
	    "dcat:byteSize", "@type", "xsd:nonNegativeInteger");
}

/* The agent of `code` (an agency of the register, else a unit) with its name; NULL: unknown. */
static json_t *agent(hl_store *st, const char *base, const char *code)
{
	hl_agency *a = NULL;
	hl_unit *u = NULL;
	char *name = NULL;
	json_t *j;
	if (hl_agency_find(&a, st, code, NULL) == 0) {
		name = hl_strdup(a->name);
		hl_agency_free(a);
	} else if (hl_units_show(&u, st, code, NULL) == 0) {
		name = hl_strdup(u->full_name ? u->full_name : u->name);
		hl_unit_free(u);
	}
	if (!name)
		return NULL;
	j = json_pack("{s:o,s:s,s:o}", "@id", iri("%s/dcat/agents/%s", base, code), "@type",
	              "foaf:Agent", "foaf:name", vi(name));
	free(name);
	return j;
}

static void add_agent(json_t *graph, json_t *seen, json_t *a)
{
	const char *id = json_string_value(json_object_get(a, "@id"));
	if (json_object_get(seen, id)) {
		json_decref(a);
		return;
	}
	json_object_set_new(seen, id, json_true());
	json_array_append_new(graph, a);
}

static const struct {
	const char *fmt, *type, *media;
} dists[] = {
    {"csv", "CSV", "text/csv"},
    {"xlsx", "XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"json", "JSON", "application/json"},
    {"datapackage", "ZIP", "application/zip"},
};

/* The dataset's node (and its publisher into graph). */
static json_t *dataset_node(hl_store *st, const char *base, const hl_dataset *d, json_t *graph,
                            json_t *seen)
{
	json_t *n = json_object(), *kw = json_array(), *th = json_array(), *ds = json_array();
	hl_dataset_versions *vs = NULL;
	const char *modified = NULL, *lid = NULL, *lurl = NULL, *fc;
	json_t *lic = NULL;

	json_object_set_new(n, "@id", iri("%s/dcat/datasets/%s", base, d->id));
	json_object_set_new(n, "@type", json_string("dcat:Dataset"));
	json_object_set_new(n, "dct:identifier", json_string(d->id));
	json_object_set_new(n, "dct:title", vi(d->title));
	/* a description is mandatory in DCAT-AP: the title stands in when there is none */
	json_object_set_new(n, "dct:description", vi(d->description ? d->description : d->title));
	for (size_t i = 0; i < d->nkeywords; i++)
		json_array_append_new(kw, vi(d->keywords[i]));
	json_object_set_new(n, "dcat:keyword", kw);
	for (size_t i = 0; i < sizeof(themes) / sizeof(themes[0]); i++)
		if (!strcmp(themes[i].sector, d->sector))
			for (int j = 0; themes[i].themes[j]; j++)
				json_array_append_new(
				    th, iri(EU "data-theme/%s%s", themes[i].themes[j], NULL));
	json_object_set_new(n, "dcat:theme", th);
	if (d->owner) {
		json_t *a = agent(st, base, d->owner);
		if (a) {
			json_object_set_new(n, "dct:publisher",
			                    json_incref(json_object_get(a, "@id")));
			add_agent(graph, seen, a);
		}
	}
	if ((fc = freq_code(d->frequency)))
		json_object_set_new(n, "dct:accrualPeriodicity",
		                    iri(EU "frequency/%s%s", fc, NULL));
	if (d->provenance)
		json_object_set_new(n, "dct:provenance",
		                    json_pack("[{s:s,s:o}]", "@type", "dct:ProvenanceStatement",
		                              "rdfs:label", vi(d->provenance)));
	json_object_set_new(n, "dct:language", json_string(EU "language/VIE"));
	json_object_set_new(n, "dct:spatial", json_string(EU "country/VNM"));
	if (d->created_at)
		json_object_set_new(n, "dct:issued", datetime(d->created_at));
	if (hl_dataset_versions_list(&vs, st, NULL, d->id) == 0 && vs->n)
		modified = vs->v[vs->n - 1].loaded_at;
	if (modified)
		json_object_set_new(n, "dct:modified", datetime(modified));
	if (d->version)
		json_object_set_new(n, "dcat:version", json_sprintf("%d", d->version));
	if (d->licence) {
		if (hl_catalog__licence(d->licence, &lid, &lurl) == 0)
			lic = json_string(lurl);
		else if (!strncmp(d->licence, "http://", 7) || !strncmp(d->licence, "https://", 8))
			lic = json_string(d->licence);
		else
			lic = json_pack("{s:s,s:o}", "@type", "dct:LicenseDocument", "rdfs:label",
			                vi(d->licence));
	}
	for (size_t i = 0; i < sizeof(dists) / sizeof(dists[0]); i++) {
		char url[1024], title[200];
		json_t *x;
		snprintf(url, sizeof(url), "%s/api/v1/datasets/%s/export?format=%s", base, d->id,
		         dists[i].fmt);
		snprintf(title, sizeof(title), "%s (%s)", d->id,
		         !strcmp(dists[i].fmt, "datapackage") ? "Frictionless Data Package, zip"
		                                              : dists[i].type);
		x = json_pack(
		    "{s:s,s:s,s:o,s:o,s:s,s:s,s:o,s:o}", "@id", url, "@type", "dcat:Distribution",
		    "dct:title", vi(title), "dct:description",
		    vi(!strcmp(dists[i].fmt, "datapackage")
		           ? "Toàn bộ dữ liệu phiên bản hiện hành kèm mô tả (datapackage.json, "
		             "Table Schema) và tệp CSV, nén zip."
		           : "Toàn bộ dữ liệu phiên bản hiện hành, tải về không cần tài "
		             "khoản."),
		    "dcat:accessURL", url, "dcat:downloadURL", url, "dct:format",
		    iri(EU "file-type/%s%s", dists[i].type, NULL), "dcat:mediaType",
		    iri(IANA "%s%s", dists[i].media, NULL));
		if (!strcmp(dists[i].fmt, "datapackage"))
			json_object_set_new(
			    x, "dct:conformsTo",
			    json_string("https://datapackage.org/standard/data-package/"));
		if (lic)
			json_object_set_new(x, "dct:license", json_deep_copy(lic));
		if (modified)
			json_object_set_new(x, "dct:modified", datetime(modified));
		json_array_append_new(ds, x);
	}
	json_object_set_new(n, "dcat:distribution", ds);
	json_decref(lic);
	hl_dataset_versions_free(vs);
	return n;
}

/* The catalogue's publisher: the code given, else an agent named after the node's address. */
static json_t *catalog_publisher(hl_store *st, const hl_dcat_opts *o)
{
	json_t *a = o->publisher ? agent(st, o->base, o->publisher) : NULL;
	if (a)
		return a;
	return json_pack("{s:o,s:s,s:o}", "@id", iri("%s/dcat/agents/node%s", o->base, NULL),
	                 "@type", "foaf:Agent", "foaf:name", json_pack("{s:s}", "@value", o->base));
}

static int base_ok(const hl_dcat_opts *o)
{
	const char *b = o ? o->base : NULL;
	char sv[88];
	snprintf(sv, sizeof(sv), "%.80s", b ? b : "");
	hl_str_cut_utf8(sv);
	if (!b || (strncmp(b, "http://", 7) && strncmp(b, "https://", 8)) || strlen(b) > 512 ||
	    b[strlen(b) - 1] == '/' || strpbrk(b, " \"<>\\^`{|}"))
		return hl_error_set(HL_EINVALID,
		                    "base: the node's public address, http(s)://HOST[:PORT][/PATH] "
		                    "without a trailing slash (got \"%s\")",
		                    sv);
	return 0;
}

int hl_dcat_catalog(json_t **out, hl_store *st, const hl_dcat_opts *o)
{
	hl_datasets *l = NULL;
	json_t *doc, *graph, *seen, *cat, *list, *pub;
	const char *newest = NULL, *oldest = NULL;
	int rc;
	if ((rc = base_ok(o)) < 0)
		return rc;
	/* nobody: only the public datasets (hl_catalog__may_read) */
	if ((rc = hl_dataset_list(&l, st, NULL)) < 0)
		return rc;
	graph = json_array();
	seen = json_object();
	list = json_array();
	pub = catalog_publisher(st, o);
	cat = json_pack(
	    "{s:o,s:s,s:o,s:o,s:O,s:s,s:s,s:o}", "@id", iri("%s/dcat/catalog%s", o->base, NULL),
	    "@type", "dcat:Catalog", "dct:title", vi("Cơ sở dữ liệu dùng chung"), "dct:description",
	    vi("Các bộ dữ liệu công khai do các cơ quan, đơn vị công bố trên nút "
	       "halong này."),
	    "dct:publisher", json_object_get(pub, "@id"), "dct:language", EU "language/VIE",
	    "dcat:themeTaxonomy", EU "data-theme", "foaf:homepage", iri("%s/%s", o->base, NULL));
	json_array_append_new(graph, cat);
	add_agent(graph, seen, pub);
	for (size_t i = 0; i < l->n; i++) {
		json_t *n = dataset_node(st, o->base, l->v[i], graph, seen);
		json_t *m = json_object_get(n, "dct:modified");
		const char *t = json_string_value(json_object_get(m, "@value"));
		if (t && (!newest || strcmp(t, newest) > 0))
			newest = t;
		if (l->v[i]->created_at && (!oldest || strcmp(l->v[i]->created_at, oldest) < 0))
			oldest = l->v[i]->created_at;
		json_array_append_new(list, json_incref(json_object_get(n, "@id")));
		json_array_append_new(graph, n);
	}
	json_object_set_new(cat, "dcat:dataset", list);
	json_object_set_new(cat, "dct:spatial", json_string(EU "country/VNM"));
	if (oldest)
		json_object_set_new(cat, "dct:issued", datetime(oldest));
	if (newest)
		json_object_set_new(cat, "dct:modified", datetime(newest));
	doc = json_pack("{s:o,s:o}", "@context", context(), "@graph", graph);
	json_decref(seen);
	hl_datasets_free(l);
	if (!doc)
		return hl_error_set(HL_ENOMEM, "out of memory");
	*out = doc;
	return 0;
}

int hl_dcat_dataset(json_t **out, hl_store *st, const hl_dcat_opts *o, const char *id)
{
	hl_dataset *d = NULL;
	json_t *graph, *seen, *doc;
	int rc;
	if ((rc = base_ok(o)) < 0)
		return rc;
	/* nobody asks: a dataset above public is HL_ENOTFOUND, as a missing one */
	if ((rc = hl_dataset_get(&d, st, NULL, id)) < 0)
		return rc;
	graph = json_array();
	seen = json_object();
	json_array_insert_new(graph, 0, dataset_node(st, o->base, d, graph, seen));
	doc = json_pack("{s:o,s:o}", "@context", context(), "@graph", graph);
	json_decref(seen);
	hl_dataset_free(d);
	if (!doc)
		return hl_error_set(HL_ENOMEM, "out of memory");
	*out = doc;
	return 0;
}
