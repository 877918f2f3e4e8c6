/* The HTTP server of halong (libmicrohttpd): the JSON API of docs/api.md and the web interface
 * from one port. What `halong serve` starts; everything else of src/server is internal
 * (server_int.h). */
#ifndef HL_SERVER_H
#define HL_SERVER_H

#include <stdint.h>

typedef struct {
	const char *home;    /* data directory (hl_archive_home) */
	const char *host;    /* listen address; NULL = "127.0.0.1" */
	uint16_t port;       /* 0: any free port (see hl_server_url); the CLI defaults to 8080 */
	const char *web_dir; /* NULL: no web interface */
	unsigned threads;    /* worker threads; 0 = number of cores */
	const char *openapi; /* path of openapi.json; NULL: HL_SOURCE_DOCSDIR or $HALONG_DATA */
	int quiet;           /* no access log */
	int secure_cookies;  /* behind HTTPS (a TLS proxy): the session cookie gets Secure */

	/* The address others reach this node at, root of the DCAT IRIs (h_dcat.c); NULL: the
	 * node's URL (halong node init --url), else http:// and the request's Host. */
	const char *public_url;
} hl_server_opts;

typedef struct hl_server hl_server;

/* Starts listening (after checking the data directory opens) and returns at once; the
 * worker threads serve until hl_server_stop. One server at a time per process (the options and
 * the per-thread archives are process-wide). SIGPIPE is ignored if it had its default action;
 * block SIGTERM/SIGINT before the call if a thread of yours waits for them (cmd_serve.c). */
int hl_server_start(hl_server **out, const hl_server_opts *o);
/* "http://127.0.0.1:8080": the address actually bound. */
const char *hl_server_url(hl_server *s);
/* Stops accepting, waits for requests in flight (up to 10 s), frees. */
void hl_server_stop(hl_server *s);

#endif
