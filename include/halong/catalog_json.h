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

/* ---- publishing (the "publish" section): DCAT-AP 3.0 JSON-LD (catalog.h: hl_dcat_opts) ---- */

/* The catalogue (dcat:Catalog listing every public dataset, each described in full). */
int hl_dcat_catalog(json_t **out, hl_store *st, const hl_dcat_opts *o);
/* One dataset's document; HL_ENOTFOUND for a missing dataset and one that is not public alike. */
int hl_dcat_dataset(json_t **out, hl_store *st, const hl_dcat_opts *o, const char *id);

#ifdef __cplusplus
}
#endif
#endif
