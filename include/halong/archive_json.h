/* The archive's records as JSON (jansson): the one shape the CLI's --json and the HTTP API
 * share. */
#ifndef HALONG_ARCHIVE_JSON_H
#define HALONG_ARCHIVE_JSON_H

#include <jansson.h>

#include "archive.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A search hit: {"id", "subject", "fonds_code", "dossier_code", "issued_date", "doc_type",
 * "issuer", "access", "score", "snippet"} (absent strings null). A new reference, NULL only
 * when out of memory. */
json_t *hl_hit_json(const hl_hit *h);

#ifdef __cplusplus
}
#endif
#endif
