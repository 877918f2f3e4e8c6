/* Tests of catalog/ on a real store: schemas parsed (every error naming the field) and inferred
 * from every row; a load's cells checked one by one, the good rows loaded, the bad ones named;
 * upserts, replace, versions that stay readable, diffs by key; access levels; exports that
 * never make a formula. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "halong/auth.h"
#include "halong/catalog.h"
#include "halong/units.h"
#include "halong/plans.h"
#include "store/store.h"

typedef struct {
	char dir[64], db[96], csv[96], out[96];
	hl_store *st;
	hl_principal who;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/hl-catalog-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/h.db", f->dir);
	snprintf(f->csv, sizeof(f->csv), "%s/a.csv", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/out", f->dir);
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

static void write_file(const char *path, const char *text)
{
	FILE *o = fopen(path, "w");
	assert_non_null(o);
	fputs(text, o);
	fclose(o);
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
	"{\"fields\": ["                                                                           \
	"{\"name\": \"id\", \"type\": \"integer\"},"                                               \
	"{\"name\": \"name\", \"type\": \"string\", \"constraints\": {\"required\": true}},"       \
	"{\"name\": \"amount\", \"type\": \"number\", \"constraints\": {\"minimum\": 0}},"         \
	"{\"name\": \"day\", \"type\": \"date\"},"                                                 \
	"{\"name\": \"ok\", \"type\": \"boolean\"},"                                               \
	"{\"name\": \"kind\", \"type\": \"string\", \"constraints\": {\"enum\": [\"a\", \"b\"]}}," \
	"{\"name\": \"ref\", \"type\": \"string\", \"constraints\": {\"pattern\": "                \
	"\"[A-Z]{2}-[0-9]+\", "                                                                    \
	"\"unique\": true}}"                                                                       \
	"], \"primaryKey\": \"id\", \"missingValues\": [\"\", \"NA\"]}"

static void make(fx *f, const char *id, hl_access access)
{
	hl_table_schema *s = NULL;
	hl_dataset_new n = {.id = id, .title = "Bảng thử", .schema = NULL, .access = access};
	assert_int_equal(hl_schema_parse(&s, SCHEMA, strlen(SCHEMA), "s.json"), 0);
	n.schema = s;
	assert_int_equal(hl_dataset_create(NULL, f->st, &f->who, &n), 0);
	hl_table_schema_free(s);
}

static void test_schema_parse(void **state)
{
	hl_table_schema *s = NULL;
	(void)state;
	assert_int_equal(hl_schema_parse(&s, SCHEMA, strlen(SCHEMA), "s.json"), 0);
	assert_int_equal(s->nfields, 7);
	assert_int_equal(s->fields[2].type, HL_FIELD_NUMBER);
	assert_string_equal(s->fields[2].minimum, "0");
	assert_int_equal(s->npkey, 1);
	assert_int_equal(s->pkey[0], 0);
	assert_true(s->fields[0].required); /* a key is required */
	assert_int_equal(s->nmissing, 2);
	hl_table_schema_free(s);

	/* each error names the file and the field */
	static const struct {
		const char *json, *msg;
	} bad[] = {
	    {"{\"fields\": [{\"name\": \"x\", \"type\": \"money\"}]}",
	     "s.json: field \"x\": unknown type \"money\""},
	    {"{\"fields\": [{\"name\": \"x\", \"type\": \"integer\", \"unitCode\": true}]}",
	     "field \"x\": unitCode needs type string"},
	    {"{\"fields\": [{\"name\": \"x\"}, {\"name\": \"x\"}]}", "field \"x\": named twice"},
	    {"{\"fields\": [{\"name\": \"x\", \"constraints\": {\"minimum\": 1}}]}",
	     "field \"x\": minimum is for integer, number and date fields"},
	    {"{\"fields\": [{\"name\": \"x\", \"constraints\": {\"pattern\": \"([\"}}]}",
	     "field \"x\": pattern is not a regular expression"},
	    {"{\"fields\": [{\"name\": \"x\", \"constraints\": {\"size\": 1}}]}",
	     "field \"x\": unknown constraint size"},
	    {"{\"fields\": [{\"name\": \"x\", \"type\": \"integer\", \"constraints\": {\"enum\": "
	     "[\"a\"]}}]}",
	     "field \"x\": enum: not an integer"},
	    {"{\"fields\": [{\"name\": \"x\"}], \"primaryKey\": \"y\"}",
	     "primaryKey names no field: y"},
	    {"{\"fields\": []}", "no \"fields\" list"},
	    {"{\"fields\": [{\"name\": \"x\"}]", "not JSON"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = NULL;
		assert_int_equal(hl_schema_parse(&s, bad[i].json, strlen(bad[i].json), "s.json"),
		                 HL_EINVALID);
		if (!strstr(hl_error_last(), bad[i].msg))
			fail_msg("%s: got \"%s\"", bad[i].msg, hl_error_last());
		assert_null(s);
	}
}

/* The type of a column is what ALL its cells fit: a letter on the last row makes a string. */
static void test_infer_every_row(void **state)
{
	fx *f = *state;
	hl_table_schema *s = NULL;
	FILE *o = fopen(f->csv, "w");
	hl_schema_infer_opts io = {.key = "code"};
	assert_non_null(o);
	fputs("code,n,x,day,flag,late,empty\n", o);
	for (int i = 0; i < 5000; i++)
		fprintf(o, "%05d,%d,%d.5,2025-07-%02d,%s,%d,\n", i, i, i, i % 28 + 1,
		        i % 2 ? "true" : "false", i);
	fputs("99999,1,,01/08/2025,true,12x,\n", o);
	fclose(o);
	assert_int_equal(hl_schema_infer(&s, f->csv, &io), 0);
	assert_int_equal(s->nfields, 7);
	assert_int_equal(s->fields[0].type, HL_FIELD_STRING); /* leading zeros: a code */
	assert_int_equal(s->fields[1].type, HL_FIELD_INTEGER);
	assert_int_equal(s->fields[2].type, HL_FIELD_NUMBER);
	assert_int_equal(s->fields[3].type, HL_FIELD_DATE);
	assert_int_equal(s->fields[4].type, HL_FIELD_BOOLEAN);
	assert_int_equal(s->fields[5].type, HL_FIELD_STRING); /* "12x" on the last row */
	assert_int_equal(s->fields[6].type, HL_FIELD_STRING);
	assert_int_equal(s->npkey, 1);
	hl_table_schema_free(s);
}

static void test_load_checks_every_cell(void **state)
{
	fx *f = *state;
	hl_dataset_load_stats ls;
	hl_dataset_load_opts lo = {.rejects = f->out};
	hl_dataset *d = NULL;
	char *rej;

	make(f, "t1", HL_ACCESS_INTERNAL);
	write_file(f->csv, "id,name,amount,day,ok,kind,ref\n"
	                   "1,một,1.5,2025-07-01,true,a,AB-1\n"
	                   "2,hai,x,2025-07-01,true,a,AB-2\n"  /* amount */
	                   "3,,-1,31/02/2025,maybe,c,ab\n"     /* 6 cells bad */
	                   "4,bốn,NA,01/07/2025,0,NA,AB-4\n"   /* missing values */
	                   "5,năm,2,2025-07-01\n"              /* 4 cells */
	                   "1,lại,2,2025-07-01,true,a,AB-9\n"  /* key again */
	                   "6,sáu,2,2025-07-01,false,b,AB-1\n" /* unique */
	                   "7,bảy,1e3,2025-12-31,FALSE,b,ZZ-77\n");
	assert_int_equal(hl_dataset_load(&ls, f->st, &f->who, "t1", f->csv, &lo), 0);
	assert_int_equal(ls.rows, 8);
	assert_int_equal(ls.added, 3);
	assert_int_equal(ls.rejected, 5);
	assert_int_equal(ls.bad_cells, 1 + 6 + 1 + 1 + 1);
	assert_int_equal(ls.version, 1);
	assert_string_equal(ls.errors[0], "a.csv:3: column 3 \"amount\": not a number: \"x\"");
	assert_string_equal(ls.errors[1], "a.csv:4: column 2 \"name\": required, but missing");
	assert_string_equal(ls.errors[2], "a.csv:4: column 3 \"amount\": below the minimum 0: -1");
	assert_non_null(strstr(ls.errors[3], "column 4 \"day\": not a date"));
	assert_non_null(strstr(ls.errors[4], "column 5 \"ok\": not a boolean"));
	assert_non_null(strstr(ls.errors[5], "column 6 \"kind\": not one of the allowed values"));
	assert_non_null(strstr(ls.errors[6], "column 7 \"ref\": \"ab\" does not match"));
	assert_string_equal(ls.errors[7], "a.csv:6: 4 cells, the header has 7: row rejected");
	assert_string_equal(ls.errors[8], "a.csv:7: the primary key of line 2 again: row rejected");
	assert_non_null(strstr(ls.errors[9], "a.csv:8: column 7 \"ref\": unique"));
	hl_dataset_load_stats_free(&ls);
	rej = read_file(f->out);
	assert_non_null(strstr(rej, "line,column,field,value,error\r\n"));
	assert_non_null(strstr(rej, "3,3,amount,x,\"not a number: \"\"x\"\"\"\r\n"));
	/* a value that would be a formula in a spreadsheet is not one in the rejects file */
	assert_non_null(strstr(rej, "4,3,amount,'-1,"));
	free(rej);
	assert_int_equal(hl_dataset_get(&d, f->st, &f->who, "t1"), 0);
	assert_int_equal(d->version, 1);
	assert_int_equal(d->rows, 3);
	hl_dataset_free(d);
}

typedef struct {
	char text[4096];
	size_t n;
} rows_out;

static int collect(const char *const *cells, size_t n, void *ud)
{
	rows_out *o = ud;
	for (size_t i = 0; i < n; i++)
		o->n += (size_t)snprintf(o->text + o->n, sizeof(o->text) - o->n, "%s%s",
		                         i ? "|" : "", cells[i] ? cells[i] : "~");
	o->n += (size_t)snprintf(o->text + o->n, sizeof(o->text) - o->n, "\n");
	return 0;
}

typedef struct {
	char text[2048];
	size_t n;
} diff_out;

static int on_diff(const hl_diff_row *r, void *ud)
{
	diff_out *o = ud;
	o->n += (size_t)snprintf(o->text + o->n, sizeof(o->text) - o->n, "%c%s",
	                         r->kind == HL_DIFF_ADDED     ? '+'
	                         : r->kind == HL_DIFF_REMOVED ? '-'
	                                                      : '~',
	                         r->key[0]);
	for (size_t i = 0; i < r->nfields; i++)
		if (r->changed[i])
			o->n += (size_t)snprintf(o->text + o->n, sizeof(o->text) - o->n, " %zu", i);
	o->n += (size_t)snprintf(o->text + o->n, sizeof(o->text) - o->n, ";");
	return 0;
}

static void test_versions_and_diff(void **state)
{
	fx *f = *state;
	hl_dataset_load_stats ls;
	hl_dataset_load_opts lo = {0};
	rows_out r1 = {0}, r2 = {0}, r3 = {0};
	diff_out d = {0};
	hl_diff_stats ds;

	make(f, "t2", HL_ACCESS_PUBLIC);
	write_file(f->csv, "id,name,amount,day,ok,kind,ref\n"
	                   "1,một,1.5,2025-07-01,true,a,AB-1\n"
	                   "2,hai,2,2025-07-02,false,b,AB-2\n"
	                   "3,ba,3,2025-07-03,true,a,AB-3\n");
	assert_int_equal(hl_dataset_load(&ls, f->st, &f->who, "t2", f->csv, &lo), 0);
	assert_int_equal(ls.added, 3);
	hl_dataset_load_stats_free(&ls);
	/* the same file again: nothing changes, no version */
	assert_int_equal(hl_dataset_load(&ls, f->st, &f->who, "t2", f->csv, &lo), 0);
	assert_int_equal(ls.unchanged, 3);
	assert_int_equal(ls.new_version, 0);
	assert_int_equal(ls.version, 1);
	hl_dataset_load_stats_free(&ls);
	/* one changed (written otherwise but the same: 1.50 is 1.5), one new */
	write_file(f->csv, "ref,id,name,amount,day,ok,kind\n"
	                   "AB-1,1,một,1.50,01/07/2025,1,a\n"
	                   "AB-2,2,hai,2.5,2025-07-02,false,b\n"
	                   "AB-4,4,bốn,4,2025-07-04,true,NA\n");
	assert_int_equal(hl_dataset_load(&ls, f->st, &f->who, "t2", f->csv, &lo), 0);
	assert_int_equal(ls.unchanged, 1);
	assert_int_equal(ls.changed, 1);
	assert_int_equal(ls.added, 1);
	assert_int_equal(ls.removed, 0);
	assert_int_equal(ls.version, 2);
	hl_dataset_load_stats_free(&ls);
	/* --replace: 3 goes */
	lo.replace = 1;
	assert_int_equal(hl_dataset_load(&ls, f->st, &f->who, "t2", f->csv, &lo), 0);
	assert_int_equal(ls.removed, 1);
	assert_int_equal(ls.version, 3);
	hl_dataset_load_stats_free(&ls);

	assert_int_equal(hl_dataset_rows(f->st, &f->who, "t2", 1, collect, &r1), 0);
	assert_string_equal(r1.text, "1|một|1.5|2025-07-01|true|a|AB-1\n"
	                             "2|hai|2|2025-07-02|false|b|AB-2\n"
	                             "3|ba|3|2025-07-03|true|a|AB-3\n");
	assert_int_equal(hl_dataset_rows(f->st, &f->who, "t2", 2, collect, &r2), 0);
	assert_string_equal(r2.text, "1|một|1.5|2025-07-01|true|a|AB-1\n"
	                             "2|hai|2.5|2025-07-02|false|b|AB-2\n"
	                             "3|ba|3|2025-07-03|true|a|AB-3\n"
	                             "4|bốn|4|2025-07-04|true|~|AB-4\n");
	assert_int_equal(hl_dataset_rows(f->st, &f->who, "t2", 0, collect, &r3), 0);
	assert_string_equal(r3.text, "1|một|1.5|2025-07-01|true|a|AB-1\n"
	                             "2|hai|2.5|2025-07-02|false|b|AB-2\n"
	                             "4|bốn|4|2025-07-04|true|~|AB-4\n");
	assert_int_equal(hl_dataset_diff(&ds, f->st, &f->who, "t2", 1, 3, on_diff, &d), 0);
	assert_string_equal(d.text, "~2 2;-3;+4;");
	assert_int_equal(ds.changed, 1);
	assert_int_equal(ds.removed, 1);
	assert_int_equal(ds.added, 1);
	assert_int_equal(hl_dataset_diff(&ds, f->st, &f->who, "t2", 3, 1, NULL, NULL), HL_EINVALID);
	assert_int_equal(hl_dataset_diff(&ds, f->st, &f->who, "t2", 1, 4, NULL, NULL),
	                 HL_ENOTFOUND);
	assert_int_equal(hl_dataset_rows(f->st, &f->who, "t2", 4, collect, &r3), HL_ENOTFOUND);
	memset(&r1, 0, sizeof(r1));
	memset(&r3, 0, sizeof(r3));

	/* a key twice in a load of a dataset with rows: the second named with the first's line */
	write_file(f->csv, "id,name,amount,day,ok,kind,ref\n"
	                   "5,năm,5,2025-07-05,true,a,AB-5\n"
	                   "5,lại,6,2025-07-06,true,a,AB-6\n");
	lo.replace = 0;
	assert_int_equal(hl_dataset_load(&ls, f->st, &f->who, "t2", f->csv, &lo), 0);
	assert_int_equal(ls.added, 1);
	assert_int_equal(ls.rejected, 1);
	assert_string_equal(ls.errors[0], "a.csv:3: the primary key of line 2 again: row rejected");
	hl_dataset_load_stats_free(&ls);
	/* every row removed (version 5), then a first load again: its rows come after the old
	 * ones, a key twice is named by its first line, the old versions read as before */
	write_file(f->csv, "id,name,amount,day,ok,kind,ref\n");
	lo.replace = 1;
	assert_int_equal(hl_dataset_load(&ls, f->st, &f->who, "t2", f->csv, &lo), 0);
	assert_int_equal(ls.removed, 4);
	assert_int_equal(ls.version, 5);
	hl_dataset_load_stats_free(&ls);
	write_file(f->csv, "id,name,amount,day,ok,kind,ref\n"
	                   "9,chín,9,2025-07-09,true,a,AB-9\n"
	                   "8,tám,8,2025-07-08,true,a,AB-8\n"
	                   "9,lại,1,2025-07-01,true,a,AB-7\n");
	lo.replace = 0;
	assert_int_equal(hl_dataset_load(&ls, f->st, &f->who, "t2", f->csv, &lo), 0);
	assert_int_equal(ls.added, 2);
	assert_int_equal(ls.rejected, 1);
	assert_int_equal(ls.version, 6);
	assert_string_equal(ls.errors[0], "a.csv:4: the primary key of line 2 again: row rejected");
	hl_dataset_load_stats_free(&ls);
	assert_int_equal(hl_dataset_rows(f->st, &f->who, "t2", 0, collect, &r3), 0);
	assert_string_equal(r3.text, "9|chín|9|2025-07-09|true|a|AB-9\n"
	                             "8|tám|8|2025-07-08|true|a|AB-8\n");
	assert_int_equal(hl_dataset_rows(f->st, &f->who, "t2", 1, collect, &r1), 0);
	assert_string_equal(r1.text, "1|một|1.5|2025-07-01|true|a|AB-1\n"
	                             "2|hai|2|2025-07-02|false|b|AB-2\n"
	                             "3|ba|3|2025-07-03|true|a|AB-3\n");
	assert_int_equal(hl_dataset_diff(&ds, f->st, &f->who, "t2", 5, 6, NULL, NULL), 0);
	assert_int_equal(ds.added, 2);
	assert_int_equal(ds.removed, 0);
}

/* A file that breaks half-way (bad UTF-8 after good rows) loads nothing: no half version. */
static void test_load_all_or_nothing(void **state)
{
	fx *f = *state;
	hl_dataset_load_stats ls;
	hl_dataset *d = NULL;
	make(f, "t3", HL_ACCESS_INTERNAL);
	write_file(f->csv, "id,name,amount,day,ok,kind,ref\n"
	                   "1,một,1.5,2025-07-01,true,a,AB-1\n"
	                   "2,h\xff\xfe,2,2025-07-02,false,b,AB-2\n");
	hl_dataset_load_opts lo = {.rejects = f->out};
	assert_true(hl_dataset_load(&ls, f->st, &f->who, "t3", f->csv, &lo) < 0);
	assert_non_null(strstr(hl_error_last(), "line 3"));
	assert_int_equal(access(f->out, F_OK), -1); /* no rejects file of a load that failed */
	assert_int_equal(ls.added, 0);
	hl_dataset_load_stats_free(&ls);
	assert_int_equal(hl_dataset_get(&d, f->st, &f->who, "t3"), 0);
	assert_int_equal(d->version, 0);
	assert_int_equal(d->rows, 0);
	hl_dataset_free(d);
	/* a header that is not the schema's: refused, naming the column */
	write_file(f->csv, "id,name,amount,day,ok,kind,ref,extra\n");
	assert_int_equal(hl_dataset_load(&ls, f->st, &f->who, "t3", f->csv, NULL), HL_EINVALID);
	assert_string_equal(hl_error_last(),
	                    "a.csv:1: column 8 \"extra\" is not a field of dataset t3");
	hl_dataset_load_stats_free(&ls);
	write_file(f->csv, "id,name,amount,day,ok,kind\n");
	assert_int_equal(hl_dataset_load(&ls, f->st, &f->who, "t3", f->csv, NULL), HL_EINVALID);
	assert_string_equal(hl_error_last(), "a.csv:1: no column for field \"ref\"");
	hl_dataset_load_stats_free(&ls);
}

static void test_access_and_ids(void **state)
{
	fx *f = *state;
	hl_principal viewer = {.user_id = 7, .username = "v", .role = HL_ROLE_VIEWER};
	hl_principal anon = hl_principal_anonymous();
	hl_dataset *d = NULL;
	hl_datasets *l = NULL;
	hl_dataset_load_stats ls;
	hl_table_schema *s = NULL;
	hl_dataset_new n = {.id = "bad id", .title = "x"};

	make(f, "pub", HL_ACCESS_PUBLIC);
	make(f, "int", HL_ACCESS_INTERNAL);
	make(f, "sec", HL_ACCESS_SECRET);
	assert_int_equal(hl_dataset_get(&d, f->st, &anon, "int"), HL_ENOTFOUND);
	assert_int_equal(hl_dataset_get(&d, f->st, &viewer, "sec"), HL_ENOTFOUND);
	assert_int_equal(hl_dataset_get(&d, f->st, &viewer, "int"), 0);
	hl_dataset_free(d);
	assert_int_equal(hl_dataset_list(&l, f->st, &anon), 0);
	assert_int_equal(l->n, 1);
	assert_string_equal(l->v[0]->id, "pub");
	hl_datasets_free(l);
	assert_int_equal(hl_dataset_list(&l, f->st, &f->who), 0);
	assert_int_equal(l->n, 3);
	hl_datasets_free(l);
	/* a viewer may not load, an anonymous caller not create */
	write_file(f->csv, "id,name,amount,day,ok,kind,ref\n");
	assert_int_equal(hl_dataset_load(&ls, f->st, &viewer, "int", f->csv, NULL), HL_EDENIED);
	assert_int_equal(hl_schema_parse(&s, SCHEMA, strlen(SCHEMA), "s"), 0);
	n.schema = s;
	assert_int_equal(hl_dataset_create(NULL, f->st, &anon, &n), HL_EDENIED);
	assert_int_equal(hl_dataset_create(NULL, f->st, &f->who, &n), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "id: 1 to 64"));
	n.id = "pub";
	assert_int_equal(hl_dataset_create(NULL, f->st, &f->who, &n), HL_ECONFLICT);
	n.id = "x";
	n.owner = "Sở Không Có";
	assert_int_equal(hl_dataset_create(NULL, f->st, &f->who, &n), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "owner"));
	hl_table_schema_free(s);
}

static void test_export_no_formula(void **state)
{
	fx *f = *state;
	hl_dataset_load_stats ls;
	uint64_t rows = 0;
	char *csv;
	make(f, "t4", HL_ACCESS_PUBLIC);
	write_file(f->csv, "id,name,amount,day,ok,kind,ref\n"
	                   "1,=1+1,1.5,2025-07-01,true,a,AB-1\n"
	                   "2,@SUM(A1),2,2025-07-02,false,b,AB-2\n"
	                   "-3,\"+cmd|' /C calc'!A0\",3,,,,\n");
	assert_int_equal(hl_dataset_load(&ls, f->st, &f->who, "t4", f->csv, NULL), 0);
	assert_int_equal(ls.added, 3);
	hl_dataset_load_stats_free(&ls);
	char part[128];
	/* an export that cannot be made leaves no file */
	assert_int_equal(hl_dataset_export(&rows, f->st, &f->who, "t4", 9, HL_EXPORT_CSV, f->out),
	                 HL_ENOTFOUND);
	assert_int_equal(access(f->out, F_OK), -1);
	assert_int_equal(hl_dataset_export(&rows, f->st, &f->who, "t4", 0, HL_EXPORT_CSV, f->out),
	                 0);
	snprintf(part, sizeof(part), "%s.part", f->out);
	assert_int_equal(access(part, F_OK), -1);
	assert_int_equal(rows, 3);
	csv = read_file(f->out);
	assert_string_equal(csv, "id,name,amount,day,ok,kind,ref\r\n"
	                         "1,'=1+1,1.5,2025-07-01,true,a,AB-1\r\n"
	                         "2,'@SUM(A1),2,2025-07-02,false,b,AB-2\r\n"
	                         "-3,'+cmd|' /C calc'!A0,3,,,,\r\n");
	free(csv);
	assert_int_equal(hl_dataset_export(&rows, f->st, &f->who, "t4", 0, HL_EXPORT_JSON, f->out),
	                 0);
	csv = read_file(f->out);
	assert_non_null(strstr(csv,
	                       "{\"id\":1,\"name\":\"=1+1\",\"amount\":1.5,\"day\":\"2025-07-01\","
	                       "\"ok\":true,\"kind\":\"a\",\"ref\":\"AB-1\"}"));
	assert_non_null(strstr(csv, "\"id\":-3,"));
	free(csv);
}

typedef struct {
	char text[4096];
	size_t n;
} q_out;

static int on_query(const char *const *names, const char *const *cells, size_t n, void *ud)
{
	q_out *o = ud;
	for (size_t i = 0; i < n; i++)
		o->n +=
		    (size_t)snprintf(o->text + o->n, sizeof(o->text) - o->n, "%s%s", i ? "|" : "",
		                     cells ? (cells[i] ? cells[i] : "~") : names[i]);
	o->n += (size_t)snprintf(o->text + o->n, sizeof(o->text) - o->n, "\n");
	return 0;
}

static void test_where_parse(void **state)
{
	hl_query_where *w = NULL;
	(void)state;
	assert_int_equal(hl_query_where_parse(&w, "a >= 2 AND b in (x, 'y z', \"it''s\") and c is "
	                                          "not null and d is null and e<>'and'"),
	                 0);
	assert_int_equal(w->n, 5);
	assert_int_equal(w->v[0].op, HL_Q_GE);
	assert_string_equal(w->v[0].values[0], "2");
	assert_int_equal(w->v[1].op, HL_Q_IN);
	assert_int_equal(w->v[1].nvalues, 3);
	assert_string_equal(w->v[1].values[1], "y z");
	assert_string_equal(w->v[1].values[2], "it''s");
	assert_int_equal(w->v[2].op, HL_Q_NOTNULL);
	assert_int_equal(w->v[3].op, HL_Q_NULL);
	assert_int_equal(w->v[4].op, HL_Q_NE);
	assert_string_equal(w->v[4].values[0], "and");
	hl_query_where_free(w);
	static const char *const bad[] = {"a",          "a = ", "a = 1 b = 2", "a in (1, 2",
	                                  "a is maybe", "= 1",  "a = 'open"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		w = NULL;
		if (hl_query_where_parse(&w, bad[i]) != HL_EINVALID)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(strstr(hl_error_last(), "where: "));
	}
}

static void test_query(void **state)
{
	fx *f = *state;
	hl_dataset_load_stats ls;
	hl_query_where *w = NULL;
	q_out o = {0};
	hl_dataset_query_opts qo = {0};

	make(f, "q", HL_ACCESS_INTERNAL);
	write_file(f->csv, "id,name,amount,day,ok,kind,ref\n"
	                   "1,một,1.5,2025-07-01,true,a,AB-1\n"
	                   "2,hai,2,2025-07-02,false,b,AB-2\n"
	                   "3,ba,3,2025-07-03,true,a,AB-3\n"
	                   "4,bốn,,2025-07-04,true,,AB-4\n");
	assert_int_equal(hl_dataset_load(&ls, f->st, &f->who, "q", f->csv, NULL), 0);
	hl_dataset_load_stats_free(&ls);
	assert_int_equal(hl_query_where_parse(&w, "day >= 01/07/2025 and ok = 1"), 0);
	qo.where = w;
	qo.group_by = "kind";
	qo.count = 1;
	qo.sum = "amount";
	assert_int_equal(hl_dataset_query(f->st, &f->who, "q", &qo, on_query, &o), 0);
	assert_string_equal(o.text, "kind|count|sum\n~|1|~\na|2|4.5\n");
	hl_query_where_free(w);
	memset(&o, 0, sizeof(o));
	memset(&qo, 0, sizeof(qo));
	assert_int_equal(hl_query_where_parse(&w, "kind is null or x"), HL_EINVALID);
	assert_int_equal(hl_query_where_parse(&w, "kind in (b, 'a') and id != 3"), 0);
	qo.where = w;
	assert_int_equal(hl_dataset_query(f->st, &f->who, "q", &qo, on_query, &o), 0);
	assert_string_equal(o.text, "id|name|amount|day|ok|kind|ref\n"
	                            "1|một|1.5|2025-07-01|true|a|AB-1\n"
	                            "2|hai|2|2025-07-02|false|b|AB-2\n");
	hl_query_where_free(w);
	/* a value not of the field's type, a field that is not there, a sum of text */
	assert_int_equal(hl_query_where_parse(&w, "id = '1 OR 1=1'"), 0);
	qo.where = w;
	assert_int_equal(hl_dataset_query(f->st, &f->who, "q", &qo, on_query, &o), HL_EINVALID);
	assert_string_equal(hl_error_last(), "where: field \"id\": not an integer: \"1 OR 1=1\"");
	hl_query_where_free(w);
	memset(&qo, 0, sizeof(qo));
	qo.group_by = "nope";
	assert_int_equal(hl_dataset_query(f->st, &f->who, "q", &qo, on_query, &o), HL_EINVALID);
	qo.group_by = NULL;
	qo.sum = "name";
	assert_int_equal(hl_dataset_query(f->st, &f->who, "q", &qo, on_query, &o), HL_EINVALID);
	/* a text value with a quote is a value, not SQL */
	assert_int_equal(hl_query_where_parse(&w, "name = \"x' OR '1'='1\""), 0);
	memset(&qo, 0, sizeof(qo));
	memset(&o, 0, sizeof(o));
	qo.where = w;
	assert_int_equal(hl_dataset_query(f->st, &f->who, "q", &qo, on_query, &o), 0);
	assert_string_equal(o.text, "id|name|amount|day|ok|kind|ref\n");
	hl_query_where_free(w);
}

/* ---- the "api" section: search with facets, loads keeping their rejects ---- */

static void test_search_and_kept_rejects(void **state)
{
	fx *f = *state;
	hl_principal viewer = {.user_id = 7, .username = "v", .role = HL_ROLE_VIEWER};
	hl_principal officer = {.user_id = 8, .username = "o", .role = HL_ROLE_OFFICER};
	hl_principal anon = hl_principal_anonymous();
	hl_dataset_found *r = NULL;
	hl_dataset_search_opts o = {0};
	hl_dataset_load_stats ls;
	hl_dataset_load_error *bad = NULL;
	size_t nbad = 0;
	int kept = 0, fd = -1;
	hl_table_schema *s = NULL;
	const char *kw[] = {"Lượt khách"};
	hl_dataset_new n = {.id = "du-lich",
	                    .title = "Du lịch Hạ Long",
	                    .sector = "tourism",
	                    .keywords = kw,
	                    .nkeywords = 1,
	                    .access = HL_ACCESS_PUBLIC};
	char buf[512];
	ssize_t got;

	assert_int_equal(hl_schema_parse(&s, SCHEMA, strlen(SCHEMA), "s"), 0);
	n.schema = s;
	assert_int_equal(hl_dataset_create(NULL, f->st, &f->who, &n), 0);
	make(f, "int", HL_ACCESS_INTERNAL);
	make(f, "sec", HL_ACCESS_SECRET);
	/* tones and case aside, every word, over title and keywords */
	o.q = "DU LICH ha long";
	assert_int_equal(hl_dataset_search(&r, f->st, &anon, &o), 0);
	assert_int_equal(r->total, 1);
	assert_string_equal(r->page.v[0]->id, "du-lich");
	hl_dataset_found_free(r);
	o.q = "luot khach";
	assert_int_equal(hl_dataset_search(&r, f->st, &anon, &o), 0);
	assert_int_equal(r->total, 1);
	hl_dataset_found_free(r);
	o.q = "du lich sapa";
	assert_int_equal(hl_dataset_search(&r, f->st, &anon, &o), 0);
	assert_int_equal(r->total, 0);
	hl_dataset_found_free(r);
	/* what the caller may not read is not found, nor counted in the facets */
	o.q = "bang thu";
	assert_int_equal(hl_dataset_search(&r, f->st, &anon, &o), 0);
	assert_int_equal(r->total, 0);
	assert_int_equal(r->nsectors, 0);
	hl_dataset_found_free(r);
	assert_int_equal(hl_dataset_search(&r, f->st, &viewer, &o), 0);
	assert_int_equal(r->total, 1);
	hl_dataset_found_free(r);
	o.q = NULL;
	o.limit = 1;
	o.offset = 1;
	assert_int_equal(hl_dataset_search(&r, f->st, &f->who, &o), 0);
	assert_int_equal(r->total, 3);
	assert_int_equal(r->page.n, 1);
	assert_string_equal(r->page.v[0]->id, "int");
	assert_int_equal(r->nsectors, 2); /* other (2), tourism (1), by name */
	assert_string_equal(r->sectors[0].value, "other");
	assert_int_equal(r->sectors[0].count, 2);
	hl_dataset_found_free(r);
	o.sector = "tourisme";
	assert_int_equal(hl_dataset_search(&r, f->st, &anon, &o), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "sector"));

	/* a load keeping its rejects: kept with the version, each bad cell in parts */
	write_file(f->csv, "id,name,amount,day,ok,kind,ref\n1,A,1,2025-07-01,true,a,AB-1\n"
	                   "x,B,1,2025-07-01,true,a,AB-2\n");
	assert_int_equal(hl_dataset_load_keep(&ls, &bad, &nbad, &kept, f->st, &viewer, f->dir,
	                                      "int", f->csv, NULL),
	                 HL_EDENIED);
	assert_int_equal(hl_dataset_load_keep(&ls, &bad, &nbad, &kept, f->st, &officer, f->dir,
	                                      "sec", f->csv, NULL),
	                 HL_ENOTFOUND);
	assert_int_equal(hl_dataset_load_keep(&ls, &bad, &nbad, &kept, f->st, &officer, f->dir,
	                                      "int", f->csv, NULL),
	                 0);
	assert_int_equal(ls.version, 1);
	assert_int_equal(kept, 1);
	assert_int_equal(nbad, 1);
	assert_int_equal(bad[0].line, 3);
	assert_int_equal(bad[0].column, 1);
	assert_string_equal(bad[0].field, "id");
	assert_string_equal(bad[0].value, "x");
	hl_dataset_load_errors_free(bad, nbad);
	hl_dataset_load_stats_free(&ls);
	assert_int_equal(hl_dataset_rejects_open(&fd, f->st, &anon, f->dir, "int", 1),
	                 HL_ENOTFOUND);
	assert_int_equal(hl_dataset_rejects_open(&fd, f->st, &viewer, f->dir, "int", 2),
	                 HL_ENOTFOUND);
	assert_int_equal(hl_dataset_rejects_open(&fd, f->st, &viewer, f->dir, "int", 1), 0);
	got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(got > 0);
	buf[got] = 0;
	assert_non_null(strstr(buf, "3,1,id,x,"));
	/* a file broken half-way: nothing loaded, the message names the upload, not its path */
	write_file(f->csv, "id,name,amount,day,ok,kind,ref\n2,\"B,1\n");
	hl_dataset_load_opts lo = {.name = "tai-len.csv"};
	assert_true(hl_dataset_load_keep(&ls, &bad, &nbad, &kept, f->st, &officer, f->dir, "int",
	                                 f->csv, &lo) < 0);
	assert_null(strstr(hl_error_last(), f->csv));
	assert_non_null(strstr(hl_error_last(), "tai-len.csv"));
	assert_int_equal(kept, 0);
	hl_dataset_load_errors_free(bad, nbad);
	hl_dataset_load_stats_free(&ls);
	/* an officer creates nothing he could not read */
	n.id = "han-che";
	n.access = HL_ACCESS_RESTRICTED;
	assert_int_equal(hl_dataset_create(NULL, f->st, &officer, &n), HL_EDENIED);
	assert_non_null(strstr(hl_error_last(), "access"));
	hl_table_schema_free(s);
}

/* ---- sharing (share.c): request, refuse only in writing, grant, revoke ---- */

/* Users of a fresh store, ids in the order made: who they are. */
static hl_principal user(fx *f, int64_t id, const char *name, hl_role role, const char *unit,
                         const char *agency)
{
	hl_principal p = {.user_id = id, .role = role};
	assert_int_equal(hl_auth_user_add(f->st, name, "mat-khau-rat-dai-2025", role, unit, "t"),
	                 0);
	if (agency)
		assert_int_equal(hl_plans_user_agency_set(f->st, &f->who, name, agency, NULL), 0);
	snprintf(p.username, sizeof(p.username), "%s", name);
	snprintf(p.unit_code, sizeof(p.unit_code), "%s", unit);
	return p;
}

static int count_rows(const char *const *c, size_t n, void *ud)
{
	(void)c;
	(void)n;
	(*(int *)ud)++;
	return 0;
}

static void expect(int rc, int want, const char *says)
{
	assert_int_equal(rc, want);
	if (says && !strstr(hl_error_last(), says))
		fail_msg("\"%s\" not in \"%s\"", says, hl_error_last());
}

static void test_share(void **state)
{
	fx *f = *state;
	hl_units_load_stats us;
	hl_data_request *q = NULL;
	hl_data_requests *l = NULL;
	hl_dataset *d = NULL;
	hl_datasets *dl = NULL;
	hl_dataset_load_stats ls;
	char day[11], cmd[400];
	int n = 0;

	setenv("HALONG_TODAY", "2025-07-10", 1); /* a Thursday */
	assert_int_equal(
	    hl_agency_load(NULL, f->st, HL_SOURCE_DATADIR "/agencies/quang_ninh_agencies.csv", "t"),
	    0);
	assert_int_equal(hl_units_load(&us, f->st, HL_SOURCE_DATADIR "/units", NULL, NULL, NULL),
	                 0);
	hl_principal yt = user(f, 1, "yt", HL_ROLE_OFFICER, "22", "SO-YT");
	hl_principal ytv = user(f, 2, "ytv", HL_ROLE_VIEWER, "22", "SO-YT");
	hl_principal tc = user(f, 3, "tc", HL_ROLE_OFFICER, "22", "SO-TC");
	hl_principal tcv = user(f, 4, "tcv", HL_ROLE_VIEWER, "22", "SO-TC");
	hl_principal kh = user(f, 5, "khv", HL_ROLE_VIEWER, "22", "SO-KHCN");
	hl_principal admin = user(f, 6, "adm", HL_ROLE_ADMIN, "22", NULL);
	hl_principal anon = hl_principal_anonymous();

	/* working days: Saturdays and Sundays skipped */
	assert_int_equal(hl_share_working_days(day, "2025-07-10", 2), 0);
	assert_string_equal(day, "2025-07-14");
	assert_int_equal(hl_share_working_days(day, "2025-07-11", 2), 0);
	assert_string_equal(day, "2025-07-15");
	assert_int_equal(hl_share_working_days(day, "2025-07-12", 1), 0);
	assert_string_equal(day, "2025-07-14");
	expect(hl_share_working_days(day, "2025-13-01", 1), HL_EINVALID, "not a day");

	/* a restricted dataset of Sở Y tế, one public, one secret */
	{
		hl_table_schema *s = NULL;
		hl_dataset_new nd = {.id = "yte",
		                     .title = "Cơ sở y tế",
		                     .owner = "SO-YT",
		                     .access = HL_ACCESS_RESTRICTED};
		assert_int_equal(hl_schema_parse(&s, SCHEMA, strlen(SCHEMA), "s.json"), 0);
		nd.schema = s;
		assert_int_equal(hl_dataset_create(NULL, f->st, &f->who, &nd), 0);
		nd.id = "pub";
		nd.access = HL_ACCESS_PUBLIC;
		assert_int_equal(hl_dataset_create(NULL, f->st, &f->who, &nd), 0);
		nd.id = "sec";
		nd.access = HL_ACCESS_SECRET;
		assert_int_equal(hl_dataset_create(NULL, f->st, &f->who, &nd), 0);
		hl_table_schema_free(s);
	}
	write_file(f->csv, "id,name,amount,day,ok,kind,ref\n1,Trạm y tế,5,2025-01-02,true,a,AB-1\n"
	                   "2,Bệnh viện,7,2025-01-03,false,b,AB-2\n");
	assert_int_equal(hl_dataset_load(&ls, f->st, &f->who, "yte", f->csv, NULL), 0);
	hl_dataset_load_stats_free(&ls);

	/* the owner's agency reads its own restricted dataset, even its viewer; others do not */
	assert_int_equal(hl_dataset_get(&d, f->st, &ytv, "yte"), 0);
	hl_dataset_free(d);
	expect(hl_dataset_get(&d, f->st, &tcv, "yte"), HL_ENOTFOUND, "no dataset yte");
	expect(hl_dataset_rows(f->st, &tcv, "yte", 0, count_rows, &n), HL_ENOTFOUND, NULL);

	/* asking: an officer, purpose and legal basis named when missing */
	expect(hl_dataset_request(&q, f->st, &tcv, "yte", "p", "b", NULL), HL_EDENIED, "viewer");
	expect(hl_dataset_request(&q, f->st, &anon, "yte", "p", "b", NULL), HL_EDENIED, NULL);
	expect(hl_dataset_request(&q, f->st, &tc, "yte", "  ", "Điều 16", NULL), HL_EINVALID,
	       "purpose: required");
	expect(hl_dataset_request(&q, f->st, &tc, "yte", "Lập dự toán", NULL, NULL), HL_EINVALID,
	       "legal_basis: required");
	expect(hl_dataset_request(&q, f->st, &yt, "yte", "x", "y", NULL), HL_EINVALID,
	       "SO-YT owns dataset yte");
	expect(hl_dataset_request(&q, f->st, &tc, "yte", "x", "y", "SO-YT"), HL_EDENIED,
	       "own agency only");
	expect(hl_dataset_request(&q, f->st, &tc, "pub", "x", "y", NULL), HL_EINVALID, "public");
	expect(hl_dataset_request(&q, f->st, &tc, "sec", "x", "y", NULL), HL_ENOTFOUND,
	       "no dataset sec");
	expect(hl_dataset_request(&q, f->st, &tc, "nothing", "x", "y", NULL), HL_ENOTFOUND,
	       "no dataset nothing");
	assert_int_equal(hl_dataset_request(&q, f->st, &tc, "yte", "Lập dự toán chi y tế 2026",
	                                    "Luật Ngân sách nhà nước 2015, Điều 30", NULL),
	                 0);
	assert_string_equal(q->state, "pending");
	assert_string_equal(q->agency, "SO-TC");
	assert_string_equal(q->agency_name, "Sở Tài chính tỉnh Quảng Ninh");
	assert_string_equal(q->due, "2025-07-14");
	assert_string_equal(q->requested_by, "tc");
	int64_t id = q->id;
	hl_data_request_free(q);
	free(q);
	expect(hl_dataset_request(&q, f->st, &tc, "yte", "x", "y", NULL), HL_ECONFLICT,
	       "already pending");

	/* who sees it: both agencies, an admin; not a third agency */
	assert_int_equal(hl_dataset_requests_list(&l, f->st, &tcv, NULL, 0), 0);
	assert_int_equal(l->n, 1);
	hl_data_requests_free(l);
	assert_int_equal(hl_dataset_requests_list(&l, f->st, &ytv, "pending", 0), 0);
	assert_int_equal(l->n, 1);
	hl_data_requests_free(l);
	assert_int_equal(hl_dataset_requests_list(&l, f->st, &yt, NULL, 1), 0);
	assert_int_equal(l->n, 0); /* mine: those SO-YT made */
	hl_data_requests_free(l);
	assert_int_equal(hl_dataset_requests_list(&l, f->st, &kh, NULL, 0), 0);
	assert_int_equal(l->n, 0);
	hl_data_requests_free(l);
	assert_int_equal(hl_dataset_requests_list(&l, f->st, &admin, "granted", 0), 0);
	assert_int_equal(l->n, 0);
	hl_data_requests_free(l);
	expect(hl_dataset_requests_list(&l, f->st, &admin, "lost", 0), HL_EINVALID, "state");
	expect(hl_dataset_grant(&q, f->st, &kh, id, NULL, NULL, NULL), HL_ENOTFOUND, "no request");

	/* deciding: the owner's officer only; a refusal in writing, with its legal basis */
	expect(hl_dataset_grant(&q, f->st, &tc, id, NULL, NULL, NULL), HL_EDENIED,
	       "only an officer of the owner");
	expect(hl_dataset_grant(&q, f->st, &ytv, id, NULL, NULL, NULL), HL_EDENIED, NULL);
	expect(hl_dataset_refuse(&q, f->st, &yt, id, NULL, "Luật Khám chữa bệnh"), HL_EINVALID,
	       "reason: required");
	expect(hl_dataset_refuse(&q, f->st, &yt, id, "Dữ liệu cá nhân", ""), HL_EINVALID,
	       "legal_basis: required");
	expect(hl_dataset_grant(&q, f->st, &yt, id, NULL, NULL, "2025-07-01"), HL_EINVALID,
	       "until: 2025-07-01 is before today");
	expect(hl_dataset_grant(&q, f->st, &yt, id, NULL, NULL, "soon"), HL_EINVALID, "until:");
	assert_int_equal(
	    hl_dataset_grant(&q, f->st, &yt, id, "Phục vụ quản lý nhà nước", NULL, "2025-12-31"),
	    0);
	assert_string_equal(q->state, "granted");
	assert_string_equal(q->until, "2025-12-31");
	assert_string_equal(q->decided_by, "yt");
	hl_data_request_free(q);
	free(q);
	expect(hl_dataset_refuse(&q, f->st, &yt, id, "r", "b"), HL_ECONFLICT, "is granted");

	/* the grant opens the dataset to SO-TC's users, its viewer too; never to another agency;
	 * never for loading */
	assert_int_equal(hl_dataset_get(&d, f->st, &tcv, "yte"), 0);
	hl_dataset_free(d);
	n = 0;
	assert_int_equal(hl_dataset_rows(f->st, &tcv, "yte", 0, count_rows, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(hl_dataset_export(NULL, f->st, &tcv, "yte", 0, HL_EXPORT_CSV, f->out), 0);
	expect(hl_dataset_get(&d, f->st, &kh, "yte"), HL_ENOTFOUND, NULL);
	expect(hl_dataset_load(&ls, f->st, &tc, "yte", f->csv, NULL), HL_EDENIED, "not load it");
	assert_int_equal(hl_dataset_list(&dl, f->st, &tcv), 0);
	assert_int_equal(dl->n, 2); /* pub and yte */
	hl_datasets_free(dl);
	/* after its last day, nothing */
	setenv("HALONG_TODAY", "2026-01-01", 1);
	expect(hl_dataset_get(&d, f->st, &tcv, "yte"), HL_ENOTFOUND, NULL);
	setenv("HALONG_TODAY", "2025-07-10", 1);

	/* revoked: closed at once; a revocation is written too */
	expect(hl_dataset_revoke(&q, f->st, &yt, id, "", "Điều 16"), HL_EINVALID, "reason");
	expect(hl_dataset_revoke(&q, f->st, &yt, id, "Hết nhu cầu", NULL), HL_EINVALID,
	       "legal_basis");
	assert_int_equal(
	    hl_dataset_revoke(&q, f->st, &admin, id, "Sai mục đích", "Luật Dữ liệu 2024, Điều 17"),
	    0);
	assert_string_equal(q->state, "revoked");
	hl_data_request_free(q);
	free(q);
	expect(hl_dataset_get(&d, f->st, &tcv, "yte"), HL_ENOTFOUND, NULL);

	/* asked again, refused in writing */
	assert_int_equal(hl_dataset_request(&q, f->st, &f->who, "yte", "Thống kê", "Luật Thống kê",
	                                    "Sở Tài chính"),
	                 0);
	id = q->id;
	hl_data_request_free(q);
	free(q);
	assert_int_equal(hl_dataset_refuse(&q, f->st, &yt, id, "Dữ liệu sức khỏe cá nhân",
	                                   "Luật Bảo vệ dữ liệu cá nhân 2025"),
	                 0);
	assert_string_equal(q->state, "refused");
	assert_string_equal(q->decision_basis, "Luật Bảo vệ dữ liệu cá nhân 2025");
	hl_data_request_free(q);
	free(q);
	expect(hl_dataset_get(&d, f->st, &tcv, "yte"), HL_ENOTFOUND, NULL);

	/* every step in the audit log */
	snprintf(cmd, sizeof(cmd),
	         "test \"$(sqlite3 %s \"SELECT group_concat(action, ' ') FROM (SELECT action FROM"
	         " audit WHERE action IN ('dataset.request', 'dataset.grant', 'dataset.refuse',"
	         " 'dataset.revoke') ORDER BY id)\")\" = 'dataset.request dataset.grant"
	         " dataset.revoke dataset.request dataset.refuse'",
	         f->db);
	assert_int_equal(system(cmd), 0);
	unsetenv("HALONG_TODAY");
}

/* ---- the query helper's tests ---- */

static void test_where_parse_match_between(void **state)
{
	hl_query_where *w = NULL;
	(void)state;
	assert_int_equal(hl_query_where_parse(&w, "name ~ 'ha long' and id between 2 AND 3 and "
	                                          "kind~a and day between '2025-07-01' and "
	                                          "2025-07-02"),
	                 0);
	assert_int_equal(w->n, 4);
	assert_int_equal(w->v[0].op, HL_Q_MATCH);
	assert_string_equal(w->v[0].values[0], "ha long");
	assert_int_equal(w->v[1].op, HL_Q_BETWEEN);
	assert_int_equal(w->v[1].nvalues, 2);
	assert_string_equal(w->v[1].values[0], "2");
	assert_string_equal(w->v[1].values[1], "3");
	assert_int_equal(w->v[2].op, HL_Q_MATCH);
	assert_string_equal(w->v[2].field, "kind");
	assert_int_equal(w->v[3].op, HL_Q_BETWEEN);
	assert_string_equal(w->v[3].values[1], "2025-07-02");
	hl_query_where_free(w);
	static const char *const bad[] = {"a between 1", "a between 1 or 2", "a between and 2",
	                                  "a ~",         "a ~ 'x",           "~ x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		w = NULL;
		if (hl_query_where_parse(&w, bad[i]) != HL_EINVALID)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(strstr(hl_error_last(), "where: "));
	}
}

static void load_q(fx *f, hl_access access)
{
	hl_dataset_load_stats ls;
	make(f, "q", access);
	write_file(f->csv, "id,name,amount,day,ok,kind,ref\n"
	                   "1,Phường Hạ Long,1.5,2025-07-01,true,a,AB-1\n"
	                   "2,Xã Đông Ngũ,2,2025-07-02,false,b,AB-2\n"
	                   "3,\"=HYPERLINK(\"\"x\"\")\",3,2025-07-03,true,a,AB-3\n"
	                   "4,Phường Hà Tu,,2025-07-04,true,,AB-4\n"
	                   "5,HẠ LONG cũ,10,2025-07-05,false,b,AB-5\n");
	assert_int_equal(hl_dataset_load(&ls, f->st, &f->who, "q", f->csv, NULL), 0);
	hl_dataset_load_stats_free(&ls);
}

static void run_q(fx *f, q_out *o, const char *where, hl_dataset_query_opts *qo, int want)
{
	hl_query_where *w = NULL;
	memset(o, 0, sizeof(*o));
	if (where)
		assert_int_equal(hl_query_where_parse(&w, where), 0);
	qo->where = w;
	assert_int_equal(hl_dataset_query(f->st, &f->who, "q", qo, on_query, o), want);
	qo->where = NULL;
	hl_query_where_free(w);
}

static void test_query_more(void **state)
{
	fx *f = *state;
	q_out o;
	hl_dataset_query_opts qo = {0};
	uint64_t total = 0;
	int more = -1;

	load_q(f, HL_ACCESS_INTERNAL);
	/* tone-free: "ha long" finds "Hạ Long" and "HẠ LONG"; "dong" finds "Đông" */
	qo.columns = "id, name";
	run_q(f, &o, "name ~ 'ha long'", &qo, 0);
	assert_string_equal(o.text, "id|name\n1|Phường Hạ Long\n5|HẠ LONG cũ\n");
	run_q(f, &o, "name ~ DONG", &qo, 0);
	assert_string_equal(o.text, "id|name\n2|Xã Đông Ngũ\n");
	/* an ASCII cell is compared in place, upper case folded */
	run_q(f, &o, "name ~ 'hyperlink(\"x'", &qo, 0);
	assert_string_equal(o.text, "id|name\n3|=HYPERLINK(\"x\")\n");
	run_q(f, &o, "name ~ 'hạ long' and id between 2 and 5", &qo, 0);
	assert_string_equal(o.text, "id|name\n5|HẠ LONG cũ\n");
	/* ~ is for text: another type is an error naming the field */
	run_q(f, &o, "amount ~ 1", &qo, HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "field \"amount\""));
	run_q(f, &o, "day between 2025-07-02 and 04/07/2025", &qo, 0);
	assert_string_equal(o.text,
	                    "id|name\n2|Xã Đông Ngũ\n3|=HYPERLINK(\"x\")\n4|Phường Hà Tu\n");
	run_q(f, &o, "id between 1 and x", &qo, HL_EINVALID);
	assert_string_equal(hl_error_last(), "where: field \"id\": not an integer: \"x\"");
	/* sort: descending, then ascending; missing amounts first ascending */
	qo.columns = "amount,id";
	qo.sort = "-ok, amount";
	run_q(f, &o, NULL, &qo, 0);
	assert_string_equal(o.text, "amount|id\n~|4\n1.5|1\n3|3\n2|2\n10|5\n");
	qo.sort = "nope";
	run_q(f, &o, NULL, &qo, HL_EINVALID);
	assert_string_equal(hl_error_last(), "sort: dataset q has no field \"nope\"");
	qo.sort = NULL;
	qo.columns = "id,zz";
	run_q(f, &o, NULL, &qo, HL_EINVALID);
	assert_string_equal(hl_error_last(), "columns: dataset q has no field \"zz\"");
	/* several aggregates by group, sorted by one of them */
	memset(&qo, 0, sizeof(qo));
	qo.group_by = "ok";
	qo.count = 1;
	qo.sum = "amount";
	qo.avg = "amount";
	qo.min = "day";
	qo.max = "name";
	qo.sort = "-sum";
	run_q(f, &o, NULL, &qo, 0);
	assert_string_equal(o.text, "ok|count|sum|avg|min|max\n"
	                            "false|2|12|6|2025-07-02|Xã Đông Ngũ\n"
	                            "true|3|4.5|2.25|2025-07-01|Phường Hạ Long\n");
	qo.sort = "amount";
	run_q(f, &o, NULL, &qo, HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "sort: \"amount\""));
	qo.sort = NULL;
	qo.columns = "id";
	run_q(f, &o, NULL, &qo, HL_EINVALID);
	qo.columns = NULL;
	qo.avg = "name";
	run_q(f, &o, NULL, &qo, HL_EINVALID);
	assert_string_equal(hl_error_last(), "avg: field \"name\" is not a number (string)");
	qo.avg = NULL;
	qo.min = "ok";
	run_q(f, &o, NULL, &qo, HL_EINVALID);
	/* paging: more and the total */
	memset(&qo, 0, sizeof(qo));
	qo.columns = "id";
	qo.limit = 2;
	qo.offset = 1;
	qo.total = &total;
	qo.more = &more;
	run_q(f, &o, "id >= 2", &qo, 0);
	assert_string_equal(o.text, "id\n3\n4\n");
	assert_int_equal(total, 4);
	assert_int_equal(more, 1);
	qo.offset = 2;
	run_q(f, &o, "id >= 2", &qo, 0);
	assert_string_equal(o.text, "id\n4\n5\n");
	assert_int_equal(more, 0);
	/* the cap: a larger limit is the cap */
	qo.offset = 0;
	qo.limit = 50;
	qo.max_limit = 3;
	run_q(f, &o, NULL, &qo, 0);
	assert_string_equal(o.text, "id\n1\n2\n3\n");
	assert_int_equal(more, 1);
	assert_int_equal(total, 5);
}

static void test_query_csv_and_access(void **state)
{
	fx *f = *state;
	hl_dataset_query_opts qo = {.sort = "-id", .columns = "id,name,amount"};
	hl_principal viewer = {.user_id = 7, .username = "v", .role = HL_ROLE_VIEWER};
	hl_principal inspector = {.user_id = 8, .username = "i", .role = HL_ROLE_INSPECTOR};
	hl_principal anon = hl_principal_anonymous();
	uint64_t rows = 0;
	q_out o = {0};
	FILE *out;
	char *text;

	load_q(f, HL_ACCESS_RESTRICTED);
	/* every row, a text that would be a formula prefixed with ' */
	out = fopen(f->out, "w");
	assert_non_null(out);
	assert_int_equal(hl_dataset_query_csv(&rows, f->st, &f->who, "q", &qo, out), 0);
	fclose(out);
	assert_int_equal(rows, 5);
	text = read_file(f->out);
	assert_string_equal(text, "id,name,amount\r\n5,HẠ LONG cũ,10\r\n4,Phường Hà Tu,\r\n"
	                          "3,\"'=HYPERLINK(\"\"x\"\")\",3\r\n2,Xã Đông Ngũ,2\r\n"
	                          "1,Phường Hạ Long,1.5\r\n");
	free(text);
	/* restricted: the viewer and anonymous are told it is missing; an inspector reads */
	qo.count = 1;
	qo.columns = NULL;
	qo.sort = NULL;
	assert_int_equal(hl_dataset_query(f->st, &viewer, "q", &qo, on_query, &o), HL_ENOTFOUND);
	assert_string_equal(hl_error_last(), "no dataset q");
	assert_int_equal(hl_dataset_query(f->st, &anon, "q", &qo, on_query, &o), HL_ENOTFOUND);
	assert_int_equal(hl_dataset_query(f->st, &viewer, "nothing", &qo, on_query, &o),
	                 HL_ENOTFOUND);
	assert_string_equal(hl_error_last(), "no dataset nothing");
	out = fopen(f->out, "w");
	assert_int_equal(hl_dataset_query_csv(&rows, f->st, &viewer, "q", &qo, out), HL_ENOTFOUND);
	fclose(out);
	memset(&o, 0, sizeof(o));
	assert_int_equal(hl_dataset_query(f->st, &inspector, "q", &qo, on_query, &o), 0);
	assert_string_equal(o.text, "count\n5\n");
	/* a row changed by a later load comes where its new version was written, in a page and
	 * in a stream alike (the table's order: no sort of every row before the first) */
	{
		hl_dataset_load_stats ls;
		hl_dataset_query_opts so = {.columns = "id,amount"};
		write_file(f->csv, "id,name,amount,day,ok,kind,ref\n"
		                   "1,Phường Hạ Long,9,2025-07-01,true,a,AB-1\n");
		assert_int_equal(hl_dataset_load(&ls, f->st, &f->who, "q", f->csv, NULL), 0);
		assert_int_equal(ls.changed, 1);
		hl_dataset_load_stats_free(&ls);
		memset(&o, 0, sizeof(o));
		assert_int_equal(hl_dataset_query(f->st, &f->who, "q", &so, on_query, &o), 0);
		assert_string_equal(o.text, "id|amount\n2|2\n3|3\n4|~\n5|10\n1|9\n");
		out = fopen(f->out, "w");
		assert_int_equal(hl_dataset_query_csv(&rows, f->st, &f->who, "q", &so, out), 0);
		fclose(out);
		text = read_file(f->out);
		assert_string_equal(text, "id,amount\r\n2,2\r\n3,3\r\n4,\r\n5,10\r\n1,9\r\n");
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_schema_parse),
	    cmocka_unit_test_setup_teardown(test_infer_every_row, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_checks_every_cell, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_versions_and_diff, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_all_or_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_access_and_ids, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_export_no_formula, setup, teardown),
	    cmocka_unit_test(test_where_parse),
	    cmocka_unit_test_setup_teardown(test_query, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_search_and_kept_rejects, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_share, setup, teardown),
	    cmocka_unit_test(test_where_parse_match_between),
	    cmocka_unit_test_setup_teardown(test_query_more, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_query_csv_and_access, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
