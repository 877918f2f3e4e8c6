/* Datasets, their schemas and versions as JSON (jansson): the one shape of the CLI's --json and
 * the HTTP API, and the schema as stored. New references (NULL only when out of memory). */
#ifndef HALONG_CATALOG_JSON_H
#define HALONG_CATALOG_JSON_H

#include <jansson.h>

#include "catalog.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A Frictionless Table Schema: {"fields": [{"name", "title", "description", "type",
 * "unitCode", "constraints": {...}}], "primaryKey", "missingValues"}. */
json_t *hl_table_schema_json(const hl_table_schema *s);
/* {"id", "title", "description", "owner", "sector", "keywords", "licence", "frequency",
 * "provenance", "date", "access", "version", "rows", "created_at", "created_by", "schema"}. */
json_t *hl_dataset_json(const hl_dataset *d);
/* {"version", "loaded_at", "loaded_by", "source", "sha256", "size", "replace", "rows",
 * "added", "changed", "removed", "unchanged", "rejected"} */
json_t *hl_dataset_version_json(const hl_dataset_version *v);

/* ---- the query helper's section ---- */

/* The query (hl_dataset_query) as {"columns": [names], "rows": [[cells typed: integers and
 * numbers as numbers, booleans as true/false, others as strings, missing as null]], "limit",
 * "offset", "more": bool, "total" (with_total only)}: the one shape of `halong dataset query
 * --json` and GET /api/v1/datasets/{id}/rows. */
int hl_dataset_query_json(json_t **out, hl_store *st, const hl_principal *who, const char *id,
                          const hl_dataset_query_opts *opts, int with_total);

#ifdef __cplusplus
}
#endif
#endif
