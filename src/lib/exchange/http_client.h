/* The library's one HTTP client (libcurl), private to the library: the exchange's sender and the
 * feed's pull go through it, so that timeouts, the size of an answer taken, redirects refused,
 * http and https only and the cancel callback are set in one place. Other modules of the library
 * include it as "exchange/http_client.h" (as they include "store/store.h"). */
#ifndef HL_EXCHANGE_HTTP_CLIENT_H
#define HL_EXCHANGE_HTTP_CLIENT_H

#include <stddef.h>

#define HL_HTTP_ANSWER_DEFAULT 8192 /* bytes of an answer taken when the caller says nothing */

/* A client: one libcurl handle kept between requests, so that requests to one peer reuse the
 * connection. One thread at a time. */
typedef struct hl_http hl_http;

typedef struct {
	long connect_timeout_ms; /* 0: 5,000 */
	long timeout_ms;         /* the whole request; 0: 30,000 */
	size_t max_answer;       /* bytes of an answer taken; more stops the transfer. 0: 8 KiB */
	int accept_gzip;         /* asks for a compressed answer (Accept-Encoding) */
	/* Asked during a transfer: non-zero aborts it (a server stopping). NULL: never. */
	int (*cancel)(void *ud);
	void *cancel_ud;
} hl_http_opts;

/* One request. The body is not copied: it must live until the answer is read. */
typedef struct {
	const char *method; /* "GET", "POST" or "PUT" */
	const char *url;
	const char *ctype;          /* Content-Type; NULL: none */
	const void *body;           /* NULL: none (a GET) */
	size_t len;                 /* bytes of body */
	const char *const *headers; /* more "Name: value" lines, NULL-terminated; may be NULL */
} hl_http_req;

/* What came back; owned by the client, valid until its next request. */
typedef struct {
	long status; /* the HTTP status; 0 when none came */
	char *body;  /* the answer, NUL-terminated ("" when empty) */
	size_t len;
	int over;        /* the answer passed max_answer: the transfer was stopped */
	int cancelled;   /* the cancel callback stopped it */
	char error[256]; /* why no status came (libcurl's words); "" otherwise */
} hl_http_answer;

/* A new client with these options (NULL: the defaults). 0, or HL_ERROR (libcurl could not
 * start) / HL_ENOMEM. */
int hl_http_new(hl_http **out, const hl_http_opts *o);
void hl_http_free(hl_http *h);
/* Sends q and reads the answer into *a: 0 when a status came back (whatever it is), -1 when
 * none did (a->error, a->over or a->cancelled says why; no message is set). */
int hl_http_do(hl_http_answer **a, hl_http *h, const hl_http_req *q);

/* Several requests on the wire at once (the sender's pipelined batches). */
typedef struct hl_http_multi hl_http_multi;
int hl_http_multi_new(hl_http_multi **out);
/* Frees m; the clients started on it must be freed first. Accepts NULL. */
void hl_http_multi_free(hl_http_multi *m);
/* Starts q on client h (made for it with hl_http_new) through m: its first bytes go out now,
 * the rest while m is driven. 0, or -1 (it did not start; hl_http_finish then says so). */
int hl_http_start(hl_http_multi *m, hl_http *h, const hl_http_req *q);
/* Drives m until h's transfer is done (others may finish meanwhile), then as hl_http_do. */
int hl_http_finish(hl_http_answer **a, hl_http *h);

#endif
