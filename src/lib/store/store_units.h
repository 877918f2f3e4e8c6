/* The store's statements for administrative units: versions, successions and events (the SQL
 * of the units module lives in src/lib/store/units.c, like every other statement). */
#ifndef HALONG_STORE_UNITS_H
#define HALONG_STORE_UNITS_H

#include "store/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One version of a unit. Dates are ISO yyyy-mm-dd; valid_to NULL while still valid. On read,
 * strings are valid during the callback only; legal_basis is the beginning event's. */
typedef struct {
	const char *code, *valid_from, *valid_to, *name, *full_name, *type, *parent_code;
	const char *event_id, *source;
	const char *legal_basis; /* read only */
} hl_store_unit_row;

/* old_code became (part of) new_code on effective_date; new_code "" when abolished. */
typedef struct {
	const char *old_code, *new_code, *effective_date, *kind, *merge_type, *event_id, *source;
	const char *legal_basis; /* read only */
} hl_store_succession_row;

typedef struct {
	const char *event_id, *effective_date, *legal_basis, *kind, *scope_code, *description;
} hl_store_unit_event_row;

typedef int (*hl_store_unit_cb)(const hl_store_unit_row *r, void *ud);
typedef int (*hl_store_succession_cb)(const hl_store_succession_row *r, void *ud);
typedef int (*hl_store_unit_event_cb)(const hl_store_unit_event_row *r, void *ud);

/* The prepared statements of the units tables, for one connection; free before the store. */
typedef struct hl_store_units hl_store_units;
int hl_store_units_open(hl_store_units **out, hl_store *st);
void hl_store_units_free(hl_store_units *u);

/* Adds a version unless one with the same (code, valid_from) exists, which is kept as it is:
 * history is never overwritten. *status: HL_PUT_INSERTED or HL_PUT_UNCHANGED. `fold` is the
 * search form of the name. */
int hl_store_unit_version_add(int *status, hl_store_units *u, const hl_store_unit_row *r,
                              const char *fold);
/* Rewrites the version (r->code, r->valid_from): only when an event splits it in two. */
int hl_store_unit_version_set(hl_store_units *u, const hl_store_unit_row *r, const char *fold);

/* The version of `code` valid on `date`: cb called once, or HL_ENOTFOUND (no message set). */
int hl_store_unit_at(hl_store_units *u, const char *code, const char *date, hl_store_unit_cb cb,
                     void *ud);
/* Every version of `code`, oldest first. */
int hl_store_unit_versions(hl_store_units *u, const char *code, hl_store_unit_cb cb, void *ud);
/* Units valid on `date` whose parent is `parent` (NULL: units without a parent), by code. */
int hl_store_unit_children(hl_store_units *u, const char *parent, const char *date,
                           hl_store_unit_cb cb, void *ud);
/* Versions whose fold contains `folded` (valid on `date` if not NULL), by code and date; at most
 * `limit`. */
int hl_store_unit_find(hl_store_units *u, const char *folded, const char *date, size_t limit,
                       hl_store_unit_cb cb, void *ud);
/* Earliest valid_from of any version ("" when there is none). */
int hl_store_unit_first_date(char out[16], hl_store_units *u);
/* Counts of versions, distinct codes, successions and events. */
int hl_store_units_count(int64_t *versions, int64_t *codes, int64_t *successions, int64_t *events,
                         hl_store_units *u);
/* A version whose parent has no version valid on the child's first day: cb called for the first
 * one found (0 if none). */
int hl_store_unit_orphan(hl_store_units *u, hl_store_unit_cb cb, void *ud);

/* Adds a succession unless the same (old, new, date) is known. *status as above. */
int hl_store_succession_add(int *status, hl_store_units *u, const hl_store_succession_row *r);
/* Successions out of `code` with effective_date > after, by date then new code. */
int hl_store_successions_from(hl_store_units *u, const char *code, const char *after,
                              hl_store_succession_cb cb, void *ud);
/* Successions into `code` with effective_date < before, latest first. */
int hl_store_successions_to(hl_store_units *u, const char *code, const char *before,
                            hl_store_succession_cb cb, void *ud);
/* Every succession (a code to itself and abolitions, new_code "", included), by effective
 * date then old code. */
int hl_store_successions_all(hl_store_units *u, hl_store_succession_cb cb, void *ud);

/* The event `event_id`: cb called once, or HL_ENOTFOUND (no message set). */
int hl_store_unit_event_get(hl_store_units *u, const char *event_id, hl_store_unit_event_cb cb,
                            void *ud);
int hl_store_unit_event_add(hl_store_units *u, const hl_store_unit_event_row *r);
/* Every event, by effective date. */
int hl_store_unit_event_foreach(hl_store_units *u, hl_store_unit_event_cb cb, void *ud);

/* ---- fonds and custody (SQL in src/lib/store/custody.c) ---- */

/* A fonds with its creator unit as it was on creator_on (both NULL when not recorded) and
 * what it holds. Strings are valid during the callback only. */
typedef struct {
	const char *code, *name, *creator_unit, *creator_on;
	int64_t dossiers, documents;
} hl_store_fonds_row;
typedef int (*hl_store_fonds_cb)(const hl_store_fonds_row *r, void *ud);

/* Sets the name and the creator unit (with creator_on) of fonds `code` (a NULL value keeps
 * what is there), creating the fonds if absent, and audits it: in the caller's transaction,
 * or its own. */
int hl_store_fonds_set(hl_store *st, const char *code, const char *name, const char *creator,
                       const char *creator_on, const char *actor);
/* cb called once, or HL_ENOTFOUND (no message set). */
int hl_store_fonds_get(hl_store *st, const char *code, hl_store_fonds_cb cb, void *ud);
/* Every fonds, by code. */
int hl_store_fonds_foreach(hl_store *st, hl_store_fonds_cb cb, void *ud);

/* A decision: the fonds held by from_code goes to to_code when from_code ended on
 * effective_date (split or abolished). */
typedef struct {
	const char *fonds_code, *from_code, *effective_date, *to_code, *basis, *actor;
	const char *decided_at; /* read only */
} hl_store_custody_row;
typedef int (*hl_store_custody_cb)(const hl_store_custody_row *r, void *ud);

/* Records a decision (never rewriting an earlier one) and audits it. */
int hl_store_custody_add(hl_store *st, const hl_store_custody_row *r);
/* The latest decision for one step: cb called once, or HL_ENOTFOUND (no message set). */
int hl_store_custody_get(hl_store *st, const char *fonds, const char *from, const char *date,
                         hl_store_custody_cb cb, void *ud);
/* Every decision on a fonds, oldest first (superseded ones included). */
int hl_store_custody_history(hl_store *st, const char *fonds, hl_store_custody_cb cb, void *ud);

/* One dossier of a fonds, summed up for a hand-over receipt. digest is the SHA-256 (hex) of
 * the lines "doc_id content_hash\n" of its documents in ordinal order; content_hash covers
 * every field of a document and the SHA-256 of each of its files. */
typedef struct {
	const char *dossier_code, *dossier_title;
	int64_t documents, pages, files, bytes;
	int max_access; /* the highest hl_access among its documents */
	char digest[65];
} hl_store_dossier_row;
typedef int (*hl_store_dossier_cb)(const hl_store_dossier_row *r, void *ud);

/* The dossiers of fonds `fonds` that hold documents, by code. */
int hl_store_dossiers_of(hl_store *st, const char *fonds, hl_store_dossier_cb cb, void *ud);

#ifdef __cplusplus
}
#endif
#endif
