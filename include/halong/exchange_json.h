/* The exchange and the reference-data feed as JSON (jansson): the one shape of each row that the
 * CLI's --json and the HTTP API share, and the API's views of the exchange for a principal. */
#ifndef HALONG_EXCHANGE_JSON_H
#define HALONG_EXCHANGE_JSON_H

#include <jansson.h>

#include "auth.h"
#include "exchange.h"
#include "feed.h"

#ifdef __cplusplus
extern "C" {
#endif

/* New references (NULL only when out of memory). Times are ISO 8601 UTC with milliseconds
 * ("2026-11-28T05:30:45.123Z"), null for none; absent strings are null. */
json_t *hl_exchange_time_json(int64_t ms);

/* A node of the directory as held: {"unit", "url", "public_key", "may_send", "may_receive",
 * "restricted", "revoked", "updated_at"} (halong node list --json). */
json_t *hl_node_row_json(const hl_node_row *r);
/* {"peer", "waiting", "oldest_waiting", "held", "last_success", "last_error", "last_error_at"} */
json_t *hl_exchange_peer_status_json(const hl_exchange_peer_status *r);
/* A refusal: {"at", "id", "sender", "reason", "detail"}. */
json_t *hl_exchange_reject_json(const hl_exchange_reject_row *r);
/* A waiting message: {"id", "to", "type", "seq", "created", "attempts", "next_attempt",
 * "last_error"}; errors 0: a last error reads "(not shown)" (hl_exchange_outbox_json). */
json_t *hl_exchange_outbox_row_json(const hl_exchange_outbox_row *r, int errors);
/* A feed's state: {"feed", "role", "seq", "hub_seq", "sha256", "last_pull", "last_applied",
 * "last_error", "last_error_at"}. */
json_t *hl_feed_status_row_json(const hl_feed_status_row *r);
/* Every feed's state here, as an array; NULL (message set) on failure. */
json_t *hl_feed_status_json(hl_store *st);

/* ---- the API's views, for a principal (HL_EDENIED when it may not: hl_auth_check) ---- */

/* GET /api/v1/exchange/status (HL_ACT_EXCHANGE_WATCH): {"node", "peers", "rejected" (the newest
 * `limit`), "feeds" (left out when it cannot be read)}. The peers' last_error and the refusals'
 * detail read "(not shown)" to staff of another unit than this node's, outside the province (as
 * the outbox's last_error). */
int hl_exchange_status_json(json_t **out, hl_store *st, const hl_principal *who, size_t limit);
/* GET /api/v1/exchange/outbox (HL_ACT_EXCHANGE_FOLLOW): {"items": [...]}, the waiting messages to
 * `peer` (NULL: every peer), at most `max`. A last error quotes the peer's answer, which can
 * name other senders' documents: it is shown to this node's own unit, the province and the
 * node's operator; others read "(not shown)". */
int hl_exchange_outbox_json(json_t **out, hl_store *st, const hl_principal *who, const char *peer,
                            size_t max);
/* GET /api/v1/exchange/messages/{id} (HL_ACT_EXCHANGE_FOLLOW): {"id", "to", "state"} and, while it
 * waits, the outbox row's members. HL_ENOTFOUND for an id not in the outbox. */
int hl_exchange_message_json(json_t **out, hl_store *st, const hl_principal *who, const char *id);
/* GET /api/v1/exchange/peers (HL_ACT_EXCHANGE_FOLLOW): {"node", "items": [{"unit", "name", "self",
 * "may_receive" (documents), "restricted", "revoked", "url", "public_key"}]}. */
int hl_exchange_peers_json(json_t **out, hl_store *st, const hl_principal *who);

#ifdef __cplusplus
}
#endif
#endif
