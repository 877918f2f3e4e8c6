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
 * "provenance", "date", "access", "version", "rows", "created_at", "created_by", "loaded_at"
 * (when the current version was loaded; null before a load), "schema"}. */
json_t *hl_dataset_json(const hl_dataset *d);
/* {"version", "loaded_at", "loaded_by", "source", "sha256", "size", "replace", "rows",
 * "added", "changed", "removed", "unchanged", "rejected"} */
json_t *hl_dataset_version_json(const hl_dataset_version *v);

/* ---- the "api" section (issue 14) ---- */

/* {"datasets": [DATASET without "schema", with "owner_name"], "total": N,
 *  "facets": {"sector": {"tourism": n, …}, "owner": {"CODE": {"count": n, "name": "…"|null}}}} */
json_t *hl_dataset_found_json(const hl_dataset_found *f);
/* [{"line", "column" (null for a row), "field" (null for a row), "value", "error"}] */
json_t *hl_dataset_load_errors_json(const hl_dataset_load_error *v, size_t n);

/* ---- regroup (helper "regroup") ---- */

/* Regroups the current version of dataset `id` (rows keyed by units that ended the day before
 * opts->to_units) onto the units that succeeded them that day, as a NEW dataset opts->as made
 * in one transaction (its schema: the unit field, the group keys, the summed integer and number
 * fields, regroup_note, regroup_from, regroup_missing; its date opts->to_units; its access the
 * source's), audited "dataset.regroup". A whole merge moves its values whole; a split commune's
 * values are divided only by a written choice (opts->decision, else opts->weights): without one the
 * regroup is refused (HL_ECONFLICT) and nothing is written. *report (may be NULL; set also on
 * that refusal) lists every split commune and its choice:
 * {"source":{"id","version"},"to_units","as","weights","decision","column","group_by",
 *  "summed","dropped","as_number","rows_read","rows_written","rows_incomplete","old_units",
 *  "whole","legal_basis",
 *  "split":[{"old_code","old_name","rows","choice","to":[{"new_code","new_name","merge_type",
 *  "weight","share"}]}]}. *out may be NULL. */
int hl_dataset_regroup(hl_dataset **out, json_t **report, hl_store *st, const hl_principal *who,
                       const char *id, const hl_regroup_opts *opts);

/* (share) A data request: {"id", "dataset", "agency", "agency_name", "purpose",
 * "legal_basis", "state", "requested_at", "requested_by", "due", "decided_at", "decided_by",
 * "reason", "decision_basis", "until", "overdue"}. */
json_t *hl_data_request_json(const hl_data_request *r);

/* (share) A subscription: {"id", "since", "by", "applied"}. */
json_t *hl_dataset_subscription_json(const hl_dataset_subscription *s);

/* ---- publishing (the "publish" section): DCAT-AP 3.0 JSON-LD (catalog.h: hl_dcat_opts) ---- */

/* The catalogue (dcat:Catalog listing every public dataset, each described in full). */
int hl_dcat_catalog(json_t **out, hl_store *st, const hl_dcat_opts *o);
/* One dataset's document; HL_ENOTFOUND for a missing dataset and one that is not public alike. */
int hl_dcat_dataset(json_t **out, hl_store *st, const hl_dcat_opts *o, const char *id);

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
