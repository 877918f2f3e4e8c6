/* halong serve: the HTTP API and the web interface until SIGTERM or SIGINT. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "server_int.h"

extern const cli_command cli_serve_commands[];

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

static int cmd_serve(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option lo[] = {
	    {"listen", required_argument, NULL, 'l'},   {"web", required_argument, NULL, 'w'},
	    {"threads", required_argument, NULL, 't'},  {"quiet", no_argument, NULL, 'q'},
	    {"secure-cookies", no_argument, NULL, 's'}, {0}};
	const cli_command *me = &cli_serve_commands[0];
	hl_server_opts o = {0};
	hl_server *s = NULL;
	char host[256];
	unsigned port = 8080;
	sigset_t set;
	int c, sig = 0;

	o.host = "127.0.0.1";
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (parse_listen(host, sizeof(host), &o.host, &port, optarg) < 0)
				return cli_usage_error(
				    me, "--listen: HOST:PORT is expected, not \"%s\"", optarg);
			break;
		case 'w':
			o.web_dir = optarg;
			break;
		case 't': {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);
			if (!*optarg || *end || n < 1 || n > 256)
				return cli_usage_error(me, "--threads: a number from 1 to 256");
			o.threads = (unsigned)n;
			break;
		}
		case 'q':
			o.quiet = 1;
			break;
		case 's':
			o.secure_cookies = 1;
			break;
		default:
			return cli_usage_error(me, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage_error(me, "unexpected argument \"%s\"", argv[optind]);
	o.port = (uint16_t)port;
	o.home = ctx->home;

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

const cli_command cli_serve_commands[] = {
    {"serve", cmd_serve, "serve the HTTP API and the web interface",
     "serve [--listen HOST:PORT] [--web DIR] [--threads N] [--quiet] [--secure-cookies]\n\n"
     "  --listen HOST:PORT  where to listen (default 127.0.0.1:8080; port 0: any free port)\n"
     "  --web DIR           the web interface's files (default: web/ of the source tree)\n"
     "  --threads N         worker threads (default: one per core)\n"
     "  --quiet             no access log on stderr\n"
     "  --secure-cookies    the session cookie gets Secure (behind an HTTPS proxy)\n\n"
     "The API is described in docs/api.md and at /api/v1/openapi.json. SIGTERM or SIGINT\n"
     "stops accepting, lets requests in flight finish (up to 10 s) and exits 0."},
    {NULL, NULL, NULL, NULL},
};
