/* The units and custody as JSON (jansson): the one shape the CLI's --json and the HTTP API share.
 */
#ifndef HALONG_UNITS_JSON_H
#define HALONG_UNITS_JSON_H

#include <jansson.h>

#include "units.h"

#ifdef __cplusplus
extern "C" {
#endif

/* New references (NULL only when out of memory). Absent or empty strings are null. */
json_t *hl_succession_json(const hl_succession *s);
json_t *hl_successions_json(const hl_successions *l);
/* links: with "successors" and "predecessors" (show, find); else with "depth" (tree). */
json_t *hl_unit_json(const hl_unit *u, int links);
json_t *hl_custody_step_json(const hl_custody_step *s);
/* dossiers and documents: the counts to show (the caller's visible ones over HTTP). */
json_t *hl_custody_json(const hl_custody *c, int64_t dossiers, int64_t documents);
/* hl_custody_json of each, with its own counts (c->dossiers, c->documents): an array. */
json_t *hl_custodies_json(const hl_custodies *l);
/* A row of `halong fonds list --json` and GET /api/v1/fonds: {"code", "name", "creator_code",
 * "creator_name", "creator_on", "custodian_code", "custodian_name", "state", "dossiers",
 * "documents"}, the counts c's own. */
json_t *hl_fonds_row_json(const hl_custody *c);
/* The hand-over receipt: its totals, "sha256" and "dossiers_list" (one object a line). */
json_t *hl_receipt_json(const hl_receipt *r);

#ifdef __cplusplus
}
#endif
#endif
