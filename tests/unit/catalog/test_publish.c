/* Tests of catalog/'s publishing on a real store: a Data Package's lossless formula prefix
 * (=x, '=x and ''+y each come back as written, no cell left a formula), packages refused before
 * anything is made (each error naming the field), and DCAT-AP documents that hold only public
 * datasets, with the EU vocabularies' IRIs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "halong/auth.h"
#include "halong/catalog.h"
#include "halong/catalog_json.h"
#include "halong/util.h"
#include "store/store.h"

typedef struct {
	char dir[64], db[96], csv[96], pkg[96];
	hl_store *st;
	hl_principal who;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/hl-publish-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/h.db", f->dir);
	snprintf(f->csv, sizeof(f->csv), "%s/a.csv", f->dir);
	snprintf(f->pkg, sizeof(f->pkg), "%s/pkg", f->dir);
	if (hl_store_open(&f->st, f->db, 1) < 0)
		return -1;
	f->who = hl_principal_local("test");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	char cmd[160];
	hl_store_free(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

#define SCHEMA                                                                                     \
	"{\"fields\": [{\"name\": \"id\", \"type\": \"integer\"},"                                 \
	"{\"name\": \"note\", \"type\": \"string\"},"                                              \
	"{\"name\": \"delta\", \"type\": \"number\"}], \"primaryKey\": [\"id\"]}"

/* notes that a spreadsheet could run, and their neighbours that it could not */
static const char *const NOTES[] = {
    "=SUM(A1:A9)", "'=x", "''+y", "plain", "-3", "'quoted", "@cmd", "", "= 33% tổng thu NSNN tỉnh"};
#define NNOTES (sizeof(NOTES) / sizeof(NOTES[0]))

static void make(fx *f, const char *id, hl_access access, const char *frequency)
{
	hl_table_schema *s = NULL;
	hl_dataset_new n = {.id = id,
	                    .title = "Thử nghiệm (dữ liệu sinh cho kiểm thử)",
	                    .sector = "health",
	                    .frequency = frequency,
	                    .licence = "CC BY 4.0",
	                    .access = access};
	hl_dataset_load_stats ls;
	FILE *o = fopen(f->csv, "w");
	assert_int_equal(hl_schema_parse(&s, SCHEMA, strlen(SCHEMA), "schema"), 0);
	n.schema = s;
	assert_int_equal(hl_dataset_create(NULL, f->st, &f->who, &n), 0);
	hl_table_schema_free(s);
	assert_non_null(o);
	fputs("id,note,delta\n", o);
	for (size_t i = 0; i < NNOTES; i++) {
		const char *cells[3];
		char num[8];
		snprintf(num, sizeof(num), "%zu", i + 1);
		cells[0] = num;
		cells[1] = NOTES[i];
		cells[2] = i % 2 ? "-1.5" : "2";
		hl_csv_write(o, cells, 3);
	}
	fclose(o);
	assert_int_equal(hl_dataset_load(&ls, f->st, &f->who, id, f->csv, NULL), 0);
	assert_int_equal(ls.added, NNOTES);
	hl_dataset_load_stats_free(&ls);
}

typedef struct {
	char *notes[16];
	char *deltas[16];
	size_t n;
} rows;

static int on_row(const char *const *cells, size_t n, void *ud)
{
	rows *r = ud;
	assert_int_equal(n, 3);
	r->notes[r->n] = strdup(cells[1] ? cells[1] : "");
	r->deltas[r->n] = strdup(cells[2]);
	r->n++;
	return 0;
}

static void rows_free(rows *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->notes[i]);
		free(r->deltas[i]);
	}
}

static void test_formula_prefix_is_lossless(void **state)
{
	fx *f = *state;
	hl_datapackage_stats st;
	hl_dataset_load_stats ls;
	rows a = {0}, b = {0};
	char path[160], *csv;

	make(f, "notes", HL_ACCESS_PUBLIC, NULL);
	assert_int_equal(hl_dataset_export_datapackage(&st, f->st, &f->who, "notes", 0, f->pkg), 0);
	assert_int_equal(st.rows, NNOTES);
	assert_string_equal(st.resource, "notes.csv");
	snprintf(path, sizeof(path), "%s/notes.csv", f->pkg);
	csv = read_file(path);
	/* every text that could run carries one more quote; a negative number stays a number */
	assert_non_null(strstr(csv, "\r\n1,'=SUM(A1:A9),2\r\n"));
	assert_non_null(strstr(csv, "\r\n2,''=x,-1.5\r\n"));
	assert_non_null(strstr(csv, "\r\n3,'''+y,2\r\n"));
	assert_non_null(strstr(csv, "\r\n4,plain,-1.5\r\n"));
	assert_non_null(strstr(csv, "\r\n5,'-3,2\r\n"));
	assert_non_null(strstr(csv, "\r\n6,'quoted,-1.5\r\n"));
	assert_non_null(strstr(csv, "\r\n7,'@cmd,2\r\n"));
	assert_non_null(strstr(csv, "\r\n9,'= 33% tổng thu NSNN tỉnh,2\r\n"));
	free(csv);

	assert_int_equal(hl_dataset_import_datapackage(&ls, f->st, &f->who, "notes2", f->pkg, NULL),
	                 0);
	assert_int_equal(ls.added, NNOTES);
	assert_int_equal(ls.rejected, 0);
	hl_dataset_load_stats_free(&ls);
	assert_int_equal(hl_dataset_rows(f->st, &f->who, "notes", 0, on_row, &a), 0);
	assert_int_equal(hl_dataset_rows(f->st, &f->who, "notes2", 0, on_row, &b), 0);
	assert_int_equal(a.n, NNOTES);
	assert_int_equal(b.n, NNOTES);
	for (size_t i = 0; i < NNOTES; i++) {
		assert_string_equal(b.notes[i], a.notes[i]);
		assert_string_equal(b.deltas[i], a.deltas[i]);
	}
	assert_string_equal(a.notes[1], "'=x");
	rows_free(&a);
	rows_free(&b);
}

/* The package at f->pkg with its resource's `key` set to the JSON `value` ("null": removed). */
static void tamper(fx *f, const char *key, const char *value)
{
	char path[160], *text;
	json_t *p, *r;
	snprintf(path, sizeof(path), "%s/datapackage.json", f->pkg);
	text = read_file(path);
	p = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(p);
	r = json_array_get(json_object_get(p, "resources"), 0);
	if (!strcmp(value, "null"))
		json_object_del(r, key); /* taken out */
	else
		json_object_set_new(r, key, json_loads(value, JSON_DECODE_ANY, NULL));
	assert_int_equal(json_dump_file(p, path, 0), 0);
	json_decref(p);
}

static void refused(fx *f, int code, const char *words)
{
	hl_dataset_load_stats ls;
	hl_dataset *d = NULL;
	assert_int_equal(hl_dataset_import_datapackage(&ls, f->st, &f->who, "evil", f->pkg, NULL),
	                 code);
	if (!strstr(hl_error_last(), words))
		fail_msg("\"%s\" lacks \"%s\"", hl_error_last(), words);
	hl_dataset_load_stats_free(&ls);
	assert_int_equal(hl_dataset_get(&d, f->st, &f->who, "evil"), HL_ENOTFOUND);
}

static void test_hostile_packages(void **state)
{
	fx *f = *state;
	hl_datapackage_stats st;
	make(f, "notes", HL_ACCESS_PUBLIC, NULL);
	assert_int_equal(hl_dataset_export_datapackage(&st, f->st, &f->who, "notes", 0, f->pkg), 0);
	/* an existing folder that is not empty is not written into */
	assert_int_equal(hl_dataset_export_datapackage(&st, f->st, &f->who, "notes", 0, f->pkg),
	                 HL_ECONFLICT);

	tamper(f, "bytes", "1099511627776000");
	refused(f, HL_ELIMIT, "resources[0].bytes: declares 1099511627776000 bytes");
	tamper(f, "bytes", "3");
	refused(f, HL_EINVALID, "resources[0].bytes: declares 3 bytes, the file has");
	tamper(f, "bytes", "null");
	tamper(f, "hash",
	       "\"sha256:0000000000000000000000000000000000000000000000000000000000000000\"");
	refused(f, HL_EINVALID, "resources[0].hash: the file's SHA-256 is");
	tamper(f, "hash", "\"sha256:00\"");
	refused(f, HL_EINVALID, "resources[0].hash");
	tamper(f, "hash", "null");
	tamper(f, "path", "\"../a.csv\"");
	refused(f, HL_EDENIED, "resources[0].path: \"../a.csv\" climbs out");
	tamper(f, "path", "\"/etc/passwd\"");
	refused(f, HL_EDENIED, "resources[0].path: \"/etc/passwd\" is an absolute path");
	tamper(f, "path", "\"http://example.com/a.csv\"");
	refused(f, HL_EDENIED, "is a URL");
	tamper(f, "path", "[\"notes.csv\", \"notes.csv\"]");
	refused(f, HL_EINVALID, "resources[0].path: one file is expected");
	{
		char link[160];
		snprintf(link, sizeof(link), "%s/out.csv", f->pkg);
		assert_int_equal(symlink(f->csv, link), 0);
		tamper(f, "path", "\"out.csv\"");
		refused(f, HL_EDENIED, "resources[0].path: \"out.csv\"");
	}
	tamper(f, "path", "\"missing.csv\"");
	refused(f, HL_ENOTFOUND, "resources[0].path: \"missing.csv\"");
	tamper(f, "path", "\"notes.csv\"");
	tamper(f, "format", "\"xlsx\"");
	refused(f, HL_EINVALID, "resources[0].format");
	tamper(f, "format", "\"csv\"");
	tamper(f, "encoding", "\"windows-1258\"");
	refused(f, HL_EINVALID, "resources[0].encoding");
	tamper(f, "encoding", "\"utf-8\"");
	tamper(f, "schema", "{\"fields\": [{\"name\": \"id\", \"type\": \"year\"}]}");
	refused(f, HL_EINVALID, "resources[0].schema");
	tamper(f, "schema", "\"../schema.json\"");
	refused(f, HL_EDENIED, "resources[0].schema");
	tamper(f, "schema", "{\"fields\": [{\"name\": \"id\", \"type\": \"integer\"}]}");
	refused(f, HL_EINVALID, "resources[0].path: the header has 3 columns, the schema 1");
}

static void test_dcat_public_only(void **state)
{
	fx *f = *state;
	hl_dcat_opts o = {.base = "https://data.example.vn"};
	json_t *doc = NULL, *g, *n;
	size_t i, datasets = 0;
	char *text;

	make(f, "open", HL_ACCESS_PUBLIC, "Hằng quý");
	make(f, "inside", HL_ACCESS_INTERNAL, NULL);
	assert_int_equal(hl_dcat_catalog(&doc, f->st, &o), 0);
	text = json_dumps(doc, 0);
	assert_null(strstr(text, "inside"));
	assert_non_null(strstr(text, "https://data.example.vn/dcat/datasets/open"));
	assert_non_null(
	    strstr(text, "http://publications.europa.eu/resource/authority/frequency/QUARTERLY"));
	assert_non_null(
	    strstr(text, "http://publications.europa.eu/resource/authority/data-theme/HEAL"));
	free(text);
	g = json_object_get(doc, "@graph");
	json_array_foreach(g, i, n) datasets +=
	    !strcmp(json_string_value(json_object_get(n, "@type")), "dcat:Dataset");
	assert_int_equal(datasets, 1);
	json_decref(doc);

	doc = NULL;
	assert_int_equal(hl_dcat_dataset(&doc, f->st, &o, "inside"), HL_ENOTFOUND);
	assert_null(doc);
	assert_int_equal(hl_dcat_dataset(&doc, f->st, &o, "nothing"), HL_ENOTFOUND);
	assert_int_equal(hl_dcat_dataset(&doc, f->st, &o, "open"), 0);
	json_decref(doc);
	o.base = "https://data.example.vn/";
	assert_int_equal(hl_dcat_catalog(&doc, f->st, &o), HL_EINVALID);
	o.base = "data.example.vn";
	assert_int_equal(hl_dcat_dataset(&doc, f->st, &o, "open"), HL_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_formula_prefix_is_lossless, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_packages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dcat_public_only, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
