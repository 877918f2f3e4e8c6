/* Answers kept by each worker thread (internal to src/server), for the GET handlers whose answer
 * is a pure function of the request, the caller's visibility and the store: search
 * (h_search.c), the plans' evaluations (h_plans.c) and a dataset's rows (h_dataset_rows.c).
 *
 * A handler builds a key that holds everything that decides its answer (the parameters, and what
 * of the caller decides what they may see), reads the store's change stamp BEFORE it computes
 * (so a change made meanwhile moves the stamp past the entry), and either answers with what
 * its thread kept for the key at that stamp and day, or computes and hands the body over to be
 * kept. An answer is valid while the store's change stamp (hl_archive_change_stamp:
 * PRAGMA data_version and this connection's own changes) and the day (Vietnam's) are those it
 * was built at: any commit of any connection (another thread, a job, the command line) moves
 * the stamp, so nothing stale is served. */
#ifndef SERVER_ANSWERS_H
#define SERVER_ANSWERS_H

#include <stddef.h>
#include <stdint.h>

#include "halong/archive.h"

typedef struct request request;

/* Each kind has its own table, limits and switch (answers.c's kinds[]). */
typedef enum {
	ANSWERS_SEARCH, /* GET /api/v1/search; HL_SEARCH_NO_CACHE=1 switches it off */
	ANSWERS_PLANS,  /* the plans' evaluations and plan pages; HL_PLANS_NO_CACHE=1 */
	ANSWERS_ROWS,   /* a dataset's rows as JSON; HL_ROWS_NO_CACHE=1 */
	ANSWERS_KINDS
} answers_kind;

/* What an answer is valid for: the store's change stamp and the day. */
typedef struct {
	hl_archive_stamp st;
	char day[11];
} answer_stamp;

typedef struct answer_cached answer_cached;
typedef struct answers answers;

/* A request's look-up, from answer_lookup to answer_give (or answer_ticket_free). */
typedef struct {
	answers_kind kind;
	answers *c;        /* this thread's table of the kind; NULL: nothing is kept */
	answer_cached *ac; /* the way for key */
	answer_stamp now;
	char *key; /* owned */
	uint32_t hash;
} answer_ticket;

/* Reads the stamp and looks key up (key: malloc'd, taken, may be NULL: nothing kept). 1 when
 * r is answered (200, the kept body, gzip'd when r takes it) and *rc is the handler's return;
 * 0 when not: compute, then answer_give. */
int answer_lookup(answer_ticket *t, answers_kind kind, request *r, char *key, int *rc);

/* Answers 200 with body (malloc'd JSON, taken) and keeps it for t's key when keep and it fits
 * the kind's limits. Frees the ticket. */
int answer_give(answer_ticket *t, request *r, char *body, size_t len, int keep);

/* Frees the ticket when the request did not come to answer_give (an error). */
void answer_ticket_free(answer_ticket *t);

#endif
