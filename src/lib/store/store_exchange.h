/* The store's statements for exchange: this node's identity, the directory of nodes, the outbox,
 * the inbox, links and refusals (the SQL lives in src/lib/store/exchange.c; the rules in
 * src/lib/exchange/, which is their only caller). */
#ifndef HALONG_STORE_EXCHANGE_H
#define HALONG_STORE_EXCHANGE_H

#include "halong/exchange.h"
#include "store/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when the connection is inside a transaction. */
int hl_store_in_tx(hl_store *st);

/* Inside the caller's transaction: 0 SAVEPOINT, 1 RELEASE, 2 ROLLBACK TO and RELEASE (several
 * messages accepted in one transaction, each undone alone when it fails). */
int hl_store_xsavepoint(hl_store *st, int op);

/* ---- this node ---- */

/* This node's unit, URL, public key and the hub key it trusts (NULL when none): cb once, or
 * HL_ENOTFOUND (no message set) before it has an identity. */
typedef int (*hl_store_xself_cb)(const char *unit, const char *url, const char *public_key,
                                 const char *hub_key, void *ud);
int hl_store_xself_get(hl_store *st, hl_store_xself_cb cb, void *ud);
/* HL_ECONFLICT if an identity exists. */
int hl_store_xself_set(hl_store *st, const char *unit, const char *url, const char *public_key);
/* The node's public key old_pk becomes new_pk (HL_ECONFLICT when the store holds another). */
int hl_store_xself_rotate(hl_store *st, const char *old_pk, const char *new_pk);
/* The hub key, stored once (the row must exist or is created without identity). */
int hl_store_xhub_key_set(hl_store *st, const char *hub_key);
/* The hub key held (malloc'd), or *out NULL. */
int hl_store_xhub_key_get(char **out, hl_store *st);

/* ---- the directory ---- */

/* Adds or replaces a node (may_send, may_receive comma-separated). */
int hl_store_xpeer_put(hl_store *st, const hl_node_row *r);
/* HL_ENOTFOUND (no message set) for an unknown unit. */
int hl_store_xpeer_revoke(hl_store *st, const char *unit);
/* The node `unit`: cb once, or HL_ENOTFOUND (no message set). */
int hl_store_xpeer_get(hl_store *st, const char *unit, int (*cb)(const hl_node_row *r, void *ud),
                       void *ud);
int hl_store_xpeer_foreach(hl_store *st, int (*cb)(const hl_node_row *r, void *ud), void *ud);
int hl_store_xpeers_clear(hl_store *st);
/* The directory's header: version 0 when none. *signed_copy (malloc'd, may be NULL): the last
 * good signed copy imported. signed_copy may be NULL. */
int hl_store_xdir_get(int64_t *version, int64_t *issued_ms, int *imported, char **signed_copy,
                      hl_store *st);
int hl_store_xdir_set(hl_store *st, int64_t version, int64_t issued_ms, int imported,
                      const char *signed_copy);

/* ---- the outbox ---- */

/* The next sequence number of the stream to `peer` (1, 2, ...), counted in the store. */
int hl_store_xout_next_seq(int64_t *seq, hl_store *st, const char *peer);
int hl_store_xout_add(hl_store *st, const char *id, const char *peer, int64_t seq, const char *type,
                      int64_t created_ms, const char *body, const char *hash);
/* A message of the outbox: its body (canonical unsigned envelope), hash, recipient and state
 * ("waiting" or "delivered"): cb once, or HL_ENOTFOUND (no message set). */
typedef int (*hl_store_xout_cb)(const char *body, const char *hash, const char *recipient,
                                const char *state, void *ud);
int hl_store_xout_get(hl_store *st, const char *id, hl_store_xout_cb cb, void *ud);
int hl_store_xout_pending(hl_store *st, const char *peer, int64_t due_ms, size_t max,
                          int (*cb)(const hl_exchange_outbox_row *r, void *ud), void *ud);
int hl_store_xout_delivered(hl_store *st, const char *id, const char *receipt, int64_t at_ms);
/* HL_ENOTFOUND (no message set) when `id` is not waiting. */
int hl_store_xout_failed(hl_store *st, const char *id, const char *error, int64_t at_ms,
                         int64_t retry_at_ms);

/* ---- the inbox ---- */

typedef struct {
	const char *id, *sender, *type, *hash, *envelope, *state, *receipt;
	int64_t seq, created_ms;
} hl_store_xin_row;
/* The message `id`, or the held one of (sender, seq) when id is NULL: cb once, or HL_ENOTFOUND
 * (no message set). */
int hl_store_xin_get(hl_store *st, const char *id, const char *sender, int64_t seq,
                     int (*cb)(const hl_store_xin_row *r, void *ud), void *ud);
/* HL_ECONFLICT when (sender, seq) is taken by another message. */
int hl_store_xin_add(hl_store *st, const hl_store_xin_row *r, int64_t received_ms);
/* Sets the receipt of message `id` (a batch's receipts are signed after the messages are
 * stored). */
int hl_store_xin_set_receipt(hl_store *st, const char *id, const char *receipt);
/* The last sequence applied from `sender` (0: none). */
int hl_store_xin_applied_seq(int64_t *seq, hl_store *st, const char *sender);
/* The bytes of `sender`'s held envelopes (as received). */
int hl_store_xin_held_bytes(int64_t *bytes, hl_store *st, const char *sender);
/* Marks message `id` applied and (sender's) last applied sequence `seq`. */
int hl_store_xin_set_applied(hl_store *st, const char *id, const char *sender, int64_t seq,
                             int64_t at_ms);
/* Marks held message `id` refused (its apply step refused it when the gap before it filled:
 * the row stays, state 'refused') and the sender's stream past `seq`. */
int hl_store_xin_set_refused(hl_store *st, const char *id, const char *sender, int64_t seq,
                             int64_t at_ms);

/* ---- links and refusals ---- */

int hl_store_xlink_success(hl_store *st, const char *peer, int64_t at_ms);
int hl_store_xlink_error(hl_store *st, const char *peer, const char *error, int64_t at_ms);
/* Keeps the latest HL_STORE_XREJECTS_KEPT refusals, of which at most
 * HL_STORE_XREJECTS_UNVERIFIED no signature vouches for. */
#define HL_STORE_XREJECTS_KEPT       1000
#define HL_STORE_XREJECTS_UNVERIFIED 100
int hl_store_xreject_add(hl_store *st, int64_t at_ms, const char *msg_id, const char *sender,
                         const char *reason, const char *detail);
/* A refusal no signature vouches for: its sender "unverified: X" or NULL. One without a sender
 * is recorded only if no other was in the `anon_window_ms` before at_ms. */
int hl_store_xreject_add_unverified(hl_store *st, int64_t at_ms, const char *msg_id,
                                    const char *sender, const char *reason, const char *detail,
                                    int64_t anon_window_ms);
int hl_store_xrejects(hl_store *st, size_t max,
                      int (*cb)(const hl_exchange_reject_row *r, void *ud), void *ud);
int hl_store_xstatus(hl_store *st, int (*cb)(const hl_exchange_peer_status *r, void *ud), void *ud);

/* ---- the register of incoming documents ---- */

/* The next number in dossier `dossier` of fonds `fonds` (1 for an empty or absent one). */
int hl_store_xregister_next(int64_t *ordinal, hl_store *st, const char *fonds, const char *dossier);

#ifdef __cplusplus
}
#endif
#endif
