/* Fuzz target of the shared database's outside text (src/lib/catalog/): a Table Schema
 * (hl_schema_parse) when the input starts with '{', else a query's filter
 * (hl_query_where_parse). Invariants: a refusal is HL_EINVALID or HL_ELIMIT with one printable
 * line; a schema read is written back (hl_table_schema_json) and read again to the same JSON,
 * every primary key field among the fields and required; a filter read has at most 32
 * conditions, each with a field name and the values its operator takes (is null: none, in: one
 * or more, the others: one). */
#define FUZZ_NAME "fuzz_dataset_schema"
#include "fuzz_util.h"
#include "halong/catalog.h"
#include "halong/catalog_json.h"

static void schema(const char *text, size_t size)
{
	hl_table_schema *s = NULL, *t = NULL;
	char *a, *b;
	int rc = hl_schema_parse(&s, text, size, "fuzz.json");
	if (rc != 0) {
		CHECK(rc == HL_EINVALID || rc == HL_ELIMIT);
		CHECK(s == NULL);
		fuzz_message_ok(hl_error_last());
		return;
	}
	CHECK(s->nfields >= 1 && s->nfields <= HL_SCHEMA_MAX_FIELDS);
	for (size_t i = 0; i < s->npkey; i++)
		CHECK(s->pkey[i] < s->nfields && s->fields[s->pkey[i]].required);
	json_t *j = hl_table_schema_json(s);
	CHECK(j != NULL);
	a = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	CHECK(a != NULL);
	CHECK(hl_schema_parse(&t, a, strlen(a), "again.json") == 0);
	j = hl_table_schema_json(t);
	b = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	CHECK(b != NULL && strcmp(a, b) == 0);
	free(a);
	free(b);
	hl_table_schema_free(s);
	hl_table_schema_free(t);
}

static void where(const char *text)
{
	hl_query_where *w = NULL;
	int rc = hl_query_where_parse(&w, text);
	if (rc != 0) {
		CHECK(rc == HL_EINVALID || rc == HL_ELIMIT);
		fuzz_message_ok(hl_error_last());
		return;
	}
	CHECK(w->n <= 32);
	for (size_t i = 0; i < w->n; i++) {
		const hl_query_cond *c = &w->v[i];
		CHECK(c->field && *c->field);
		if (c->op == HL_Q_NULL || c->op == HL_Q_NOTNULL)
			CHECK(c->nvalues == 0);
		else if (c->op == HL_Q_IN)
			CHECK(c->nvalues >= 1);
		else
			CHECK(c->nvalues == 1 && c->values[0]);
	}
	hl_query_where_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (size && text[0] == '{')
		schema(text, size);
	else if (strlen(text) == size)
		where(text);
	free(text);
	return 0;
}
