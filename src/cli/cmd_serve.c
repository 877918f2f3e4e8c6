/* halong serve: the HTTP API and the web interface until SIGTERM or SIGINT. */
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "server.h"
#include "halong/config.h"

typedef struct {
	const char *listen, *web, *public_url;
	uint64_t threads;
	int quiet, secure_cookies;
} serve_opts;

static const cli_opt serve_table[] = {
    CLI_TEXT_OPT("listen", 0, serve_opts, listen, "HOST:PORT",
                 "where to listen (default $HALONG_LISTEN, else 127.0.0.1:8080; port 0: any "
                 "free port)"),
    CLI_TEXT_OPT("web", 0, serve_opts, web, "DIR",
                 "the web interface's files (default $HALONG_WEB_ROOT, else the shipped "
                 "ones)"),
    CLI_COUNT_OPT("threads", serve_opts, threads, "N", 1, 256, NULL,
                  "worker threads (default $HALONG_THREADS, else one per core)"),
    CLI_FLAG_OPT("quiet", 0, serve_opts, quiet, "no access log on stderr"),
    CLI_FLAG_OPT("secure-cookies", 0, serve_opts, secure_cookies,
                 "the session cookie gets Secure (behind an HTTPS proxy; "
                 "$HALONG_SECURE_COOKIES=1 too)"),
    CLI_TEXT_OPT("public-url", 0, serve_opts, public_url, "URL",
                 "the address others reach this node at, root of the DCAT IRIs (default: the "
                 "node's URL, else the request's Host; $HALONG_PUBLIC_URL)"),
    CLI_OPT_END,
};

/* HOST:PORT, [IPV6]:PORT, or :PORT / PORT (127.0.0.1). host is written into buf. */
static int parse_listen(char *buf, size_t cap, const char **host, unsigned *port, const char *s)
{
	const char *colon;
	char *end;
	unsigned long p;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':' || (size_t)(rb - s) >= cap)
			return -1;
		snprintf(buf, cap, "%.*s", (int)(rb - s - 1), s + 1);
		colon = rb + 1;
	} else if ((colon = strrchr(s, ':'))) {
		if ((size_t)(colon - s) >= cap)
			return -1;
		snprintf(buf, cap, "%.*s", (int)(colon - s), s);
	} else {
		snprintf(buf, cap, "127.0.0.1");
		colon = s - 1;
	}
	if (!buf[0])
		snprintf(buf, cap, "127.0.0.1");
	p = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || p > 65535)
		return -1;
	*host = buf;
	*port = (unsigned)p;
	return 0;
}

static int cmd_serve(const cli_args *args)
{
	const serve_opts *so = args->opts;
	hl_server_opts o = {0};
	hl_server *s = NULL;
	char host[256];
	unsigned port = 8080;
	sigset_t set;
	int sig = 0;
	const char *listen = so->listen, *public_url = so->public_url;
	long long threads = (long long)so->threads;
	int secure = 0;

	/* the options win over the settings (HALONG_LISTEN, ...: halong config check) */
	if ((!listen && hl_config_env_str(&listen, "listen") < 0) ||
	    (!public_url && hl_config_env_str(&public_url, "public_url") < 0) ||
	    (!threads && hl_config_env_int(&threads, "threads") < 0) ||
	    hl_config_env_bool(&secure, "secure_cookies") < 0)
		return cli_fail();
	o.host = "127.0.0.1";
	if (listen && parse_listen(host, sizeof(host), &o.host, &port, listen) < 0)
		return cli_usage(args->cmd, "%s: HOST:PORT is expected, not \"%s\"",
		                 so->listen ? "--listen" : "HALONG_LISTEN", listen);
	o.web_dir = so->web;
	o.threads = (unsigned)threads;
	o.quiet = so->quiet;
	o.secure_cookies = so->secure_cookies || secure;
	o.public_url = public_url;
	o.port = (uint16_t)port;
	o.home = args->ctx->home;

	/* The worker threads inherit this mask: the signals wait for sigwait below, so a stop
	 * runs in order (stop accepting, finish requests, close) and never inside a handler. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (hl_server_start(&s, &o) < 0)
		return cli_fail();
	printf("halong serve: listening on %s\n", hl_server_url(s));
	fflush(stdout);
	sigwait(&set, &sig);
	fprintf(stderr, "halong serve: %s: finishing requests in flight, then stopping\n",
	        sig == SIGINT ? "SIGINT" : "SIGTERM");
	hl_server_stop(s);
	return EXIT_OK;
}

const cli_cmd cli_serve_commands[] = {
    {.name = "serve",
     .summary = "serve the HTTP API and the web interface",
     .opts = serve_table,
     .opts_size = sizeof(serve_opts),
     .run = cmd_serve,
     .help = "The API is described in docs/api.md and at /api/v1/openapi.json. SIGTERM or\n"
             "SIGINT stops accepting, lets requests in flight finish (up to 10 s) and exits 0."},
    {0},
};
