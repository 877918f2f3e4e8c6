/* The store's statements for plans/ (agencies; plans, tasks and reports to come). */
#ifndef HALONG_STORE_PLANS_H
#define HALONG_STORE_PLANS_H

#include "halong/plans.h"
#include "store.h"

/* An agency as stored; folded and short_folded: the names without tones or case. */
typedef struct {
	const hl_agency *a;
	const char *folded, *short_folded;
} hl_store_agency_row;

enum { HL_AGENCY_ADDED = 1, HL_AGENCY_CHANGED = 2, HL_AGENCY_SAME = 3 };

/* Inserts or updates one agency inside the caller's transaction; *what one of HL_AGENCY_*. */
int hl_store_agency_put(int *what, hl_store *st, const hl_store_agency_row *r);
/* Is `code` in the register? 1, 0 or an error. */
int hl_store_agency_exists(hl_store *st, const char *code);
/* The agencies valid on `date` (NULL: all), by code; the hl_agency is valid during the call. */
int hl_store_agency_foreach(hl_store *st, const char *date,
                            int (*cb)(const hl_agency *a, const char *folded,
                                      const char *short_folded, void *ud),
                            void *ud);
int hl_store_agency_count(int64_t *n, hl_store *st);

#endif
