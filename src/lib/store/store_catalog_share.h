/* The store's statements for sharing datasets (catalog/share.c, migration 16): requests of one
 * agency for another's dataset, their decisions, and the grants the access check reads. */
#ifndef HALONG_STORE_CATALOG_SHARE_H
#define HALONG_STORE_CATALOG_SHARE_H

#include <stdint.h>

#include "store.h"

/* A request as stored, with its dataset's name, owner and level. Lives during the call. */
typedef struct {
	int64_t id, dataset_id;
	const char *dataset, *owner, *agency, *purpose, *legal_basis, *requested_at, *requested_by,
	    *due, *state, *decided_at, *decided_by, *reason, *decision_basis, *until;
	int access;
} hl_store_data_request_row;

/* Adds a pending request (r->dataset_id, agency, purpose, legal_basis, requested_at,
 * requested_by, due); *id its number. In the caller's transaction. */
int hl_store_data_request_add(int64_t *id, hl_store *st, const hl_store_data_request_row *r);

/* Which requests: a number (0: any), a state (NULL: any), an agency (NULL: any) that asked
 * (asked_by) or whose dataset was asked for (owner); with both agency filters set, either. */
typedef struct {
	int64_t id;
	int64_t dataset_id; /* 0: any */
	const char *state;
	const char *asked_by, *owner;
} hl_store_data_request_filter;
/* The requests the filter keeps, by number; cb returning non-zero stops (negative: an error
 * returned). */
int hl_store_data_request_foreach(hl_store *st, const hl_store_data_request_filter *f,
                                  int (*cb)(const hl_store_data_request_row *r, void *ud),
                                  void *ud);

/* Sets the decision of request `id` whose state is `from`: state `to`, at, by, reason, basis,
 * until (NULL: none). HL_ECONFLICT when its state is no longer `from` (decided meanwhile). In
 * the caller's transaction. */
int hl_store_data_request_decide(hl_store *st, int64_t id, const char *from, const char *to,
                                 const char *at, const char *by, const char *reason,
                                 const char *basis, const char *until);

/* The grant of (dataset, agency) from request `request_id`, replacing any. */
int hl_store_data_grant_put(hl_store *st, int64_t dataset_id, const char *agency,
                            int64_t request_id, const char *until);
/* Removes the grant of (dataset, agency), if any. */
int hl_store_data_grant_del(hl_store *st, int64_t dataset_id, const char *agency);
/* 1 when `agency` holds a grant of dataset `dataset_id` on day `today` (yyyy-mm-dd: until
 * absent or not before it), 0 when not, or an error. */
int hl_store_data_grant_has(hl_store *st, int64_t dataset_id, const char *agency,
                            const char *today);

/* ---- a commune's subscriptions to the hub's datasets (the datasets feed) ---- */

typedef struct {
	const char *name, *since, *by;
	int64_t applied; /* the hub's last version applied here; 0: none */
} hl_store_subscription_row;

/* Adds the subscription of `name` (*added 1), or nothing when there is one (*added 0); a new
 * one sets the datasets feed's position back to its start. In the caller's transaction. */
int hl_store_dataset_subscribe(int *added, hl_store *st, const char *name, const char *since,
                               const char *by);
/* Ends it (*removed 1), if any: the row stays, inactive, with the version last applied. */
int hl_store_dataset_unsubscribe(int *removed, hl_store *st, const char *name);
/* Each active subscription (or only `name`'s), by name; cb's non-zero stops (a negative is
 * returned). */
int hl_store_dataset_subscriptions(hl_store *st, const char *name,
                                   int (*cb)(const hl_store_subscription_row *r, void *ud),
                                   void *ud);
/* Records the hub's version `version` of `name` as applied here. */
int hl_store_dataset_subscription_applied(hl_store *st, const char *name, int64_t version);

/* ---- a savepoint inside the caller's transaction (a dataset loaded by the feed) ---- */

/* SAVEPOINT, RELEASE, ROLLBACK TO + RELEASE of savepoint `name` (a fixed identifier). */
int hl_store_savepoint(hl_store *st, const char *name);
int hl_store_savepoint_release(hl_store *st, const char *name);
int hl_store_savepoint_undo(hl_store *st, const char *name);

#endif
