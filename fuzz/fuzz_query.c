/* Fuzz target of the search query language (src/lib/search/query.cc, README.md "Query syntax"):
 * any bytes as a query go through the same checks, parse and plan as a search, without an index
 * (hl_search__parse). Either a plan comes out, or one clear refusal (HL_EINVALID or HL_ELIMIT
 * with a message); never an exception through the C boundary, never a crash; the same query
 * always gives the same plan. Each word of the query, as the tokenizer folds it, also goes
 * through the Telex/VNI reader (hl_search__untype): a syllable comes out, valid lower-case
 * UTF-8 whose folded form is ASCII letters, or nothing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halong/archive.h"
#include "halong/text.h"
#include "search/search_int.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_query: %s:%d: %s\n", __FILE__, __LINE__, #cond);     \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Longer inputs are refused by length alone: nothing to learn past a little over the limit. */
#define FUZZ_MAX_INPUT 4096
#define QUERY_MAX      1024 /* HL_QUERY_MAX_BYTES of query.cc */

/* unit:CODE as the archive resolves it: the fonds a unit holds. Here: "0…" holds none, "9…"
 * fails as a lookup can, anything else holds two fonds named after it. */
static int unit_fonds(char ***codes, size_t *n, const char *unit, void *ud)
{
	(void)ud;
	*codes = NULL;
	*n = 0;
	if (unit[0] == '9')
		return hl_error_set(HL_ENOTFOUND, "unit %s: no such unit", unit);
	if (unit[0] == '0')
		return 0;
	char **v = calloc(2, sizeof(*v));
	CHECK(v);
	v[0] = strdup(unit);
	CHECK(v[0] && asprintf(&v[1], "HP-%s", unit) > 0);
	*codes = v;
	*n = 2;
	return 0;
}

/* Each folded word: what the Telex/VNI reader makes of it. */
static int untype_token(const hl_token *t, void *ud)
{
	char *o = (char *)0x1, *f = NULL;
	size_t n = strlen(t->folded);
	(void)ud;
	int rc = hl_search__untype(&o, t->folded, n);
	CHECK(rc == 0 || rc == 1);
	if (rc == 0) {
		CHECK(o == NULL);
		return 0;
	}
	CHECK(o && o[0] && strlen(o) <= 4 * n);
	CHECK(hl_text_check_utf8(o, strlen(o), NULL) == 0);
	CHECK(hl_text_fold(&f, o, -1) == 0);
	for (const char *p = f; *p; p++)
		CHECK(*p >= 'a' && *p <= 'z');
	free(f);
	free(o);
	return 0;
}

/* Parses q under opts; checks the outcome and returns the plan (NULL when refused). */
static char *parse(const hl_index_query *opts, size_t len, int valid)
{
	char *plan = NULL;
	hl_error_clear();
	int rc = hl_search__parse(&plan, opts);
	if (rc < 0) {
		CHECK(plan == NULL);
		CHECK(hl_error_last()[0] != '\0');
		/* The parser refuses with these; a failed unit: lookup with the lookup's own code
		 * (the archive's says HL_EINVALID for an unknown unit; this target's HL_ENOTFOUND).
		 */
		CHECK(rc == HL_EINVALID || rc == HL_ELIMIT || rc == HL_ENOTFOUND);
		CHECK(rc == hl_error_code());
		if (len > QUERY_MAX)
			CHECK(rc == HL_ELIMIT && strstr(hl_error_last(), "longer than"));
		else if (!valid)
			CHECK(rc == HL_EINVALID && strstr(hl_error_last(), "UTF-8"));
		return NULL;
	}
	CHECK(rc == 0 && plan);
	CHECK(len <= QUERY_MAX && valid);
	CHECK(strncmp(plan, "level 0: ", 9) == 0);
	CHECK(hl_text_check_utf8(plan, strlen(plan), NULL) == 0);
	return plan;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	/* The library takes a C string: a NUL ends the query, as it would end it anywhere. */
	char *q = malloc(size + 1);
	CHECK(q);
	memcpy(q, data, size);
	q[size] = '\0';
	size_t len = strlen(q);
	int valid = hl_text_check_utf8(q, len, NULL) == 0;

	/* The CLI on the machine: everything below secret, no unit: lookup. */
	hl_index_query plain = {.query = q, .limit = 10, .max_access = HL_ACCESS_RESTRICTED};
	char *a = parse(&plain, len, valid);
	char *again = parse(&plain, len, valid);
	CHECK((a == NULL) == (again == NULL));
	CHECK(!a || strcmp(a, again) == 0); /* the same query, the same plan */

	/* A reader of the API: scoped to two fonds, unit: resolved, a deep page. */
	char *const scope[] = {"HP", "QN-01"};
	hl_index_query api = {.query = q,
	                      .offset = 90,
	                      .limit = 10,
	                      .max_access = HL_ACCESS_INTERNAL,
	                      .unit_fonds = unit_fonds,
	                      .scoped = 1,
	                      .scope_fonds = scope,
	                      .n_scope_fonds = 2,
	                      .facets = 1};
	char *b = parse(&api, len, valid);
	/* The options never make a query that parses without a lookup fail. */
	if (a)
		CHECK(b);
	if (valid)
		CHECK(hl_text_tokenize(q, len, untype_token, NULL) == 0);
	free(a);
	free(again);
	free(b);
	free(q);
	return 0;
}
