/* Accounts and the audit log as JSON (jansson): the one shape the CLI's --json and the HTTP API
 * share. */
#ifndef HALONG_AUTH_JSON_H
#define HALONG_AUTH_JSON_H

#include <jansson.h>

#include "auth.h"

#ifdef __cplusplus
extern "C" {
#endif

/* {"id", "at", "actor", "action", "object", "detail"}: a new reference (NULL only when out of
 * memory). Absent or empty strings are null. */
json_t *hl_audit_row_json(const hl_audit_row *r);

#ifdef __cplusplus
}
#endif
#endif
