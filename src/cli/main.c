/* The halong command: global options, the command table and dispatch. No business rule lives
 * here: every command is a client of libhalong. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pwd.h>

#include "cli.h"

void cli_print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s)
		puts(s);
	free(s);
	json_decref(o);
}

json_t *cli_jstr(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

int cli_open(hl_archive **out, cli_ctx *ctx)
{
	char *home = hl_archive_home(ctx->home);
	int rc = hl_archive_open(out, home);
	free(home);
	return rc;
}

int cli_open_node(hl_archive **a, hl_node **n, cli_ctx *ctx)
{
	if (cli_open(a, ctx) < 0)
		return -1;
	if (n && hl_node_open(n, hl_archive_store(*a), hl_archive_dir(*a)) < 0) {
		hl_archive_free(*a);
		*a = NULL;
		return -1;
	}
	return 0;
}

const char *cli_actor(void)
{
	static char buf[80];
	struct passwd *pw = getpwuid(geteuid());
	snprintf(buf, sizeof(buf), "cli:%s", pw && pw->pw_name ? pw->pw_name : "?");
	return buf;
}

const hl_principal *cli_who(void)
{
	static hl_principal who;
	static int made;
	if (!made) {
		who = hl_principal_local(cli_actor());
		made = 1;
	}
	return &who;
}

const char *cli_local_time(char buf[32], int64_t ms)
{
	time_t t = (time_t)(ms / 1000) + 7 * 3600;
	struct tm tm;
	if (ms <= 0)
		return "-";
	gmtime_r(&t, &tm);
	strftime(buf, 32, "%d/%m/%Y %H:%M:%S", &tm);
	return buf;
}

/* Every command's table; a new command group adds its table here. */
static const cli_cmd *const tables[] = {
    cli_archive_commands, cli_units_commands,
    cli_custody_commands, cli_ocr_commands,
    cli_serve_commands,   cli_user_commands,
    cli_node_commands,    cli_send_commands,
    cli_feed_commands,    cli_plans_commands,
    cli_catalog_commands, cli_ops_commands,
    cli_backup_commands,  NULL,
};

static void usage(FILE *f)
{
	fprintf(f, "usage: halong [--home DIR] COMMAND [ARGS]\n"
	           "       halong --version | --help | COMMAND --help\n\n"
	           "halong keeps the records, data and plans of a province and its communes.\n"
	           "The data directory is --home DIR, else $HALONG_HOME, else ./halong-data.\n\n"
	           "Commands:\n");
	for (const cli_cmd *const *t = tables; *t; t++)
		for (const cli_cmd *c = *t; c->name; c++)
			fprintf(f, "  %-9s %s\n", c->name, c->summary);
	fprintf(f, "\nExit codes: 0 ok, 1 error, 2 bad usage, 3 some input items rejected.\n"
	           "Documentation: docs/cli.md\n");
}

int main(int argc, char **argv)
{
	cli_ctx ctx = {0};
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			/* the release, then what stores and peers must agree on (docs/cli.md) */
			hl_versions v;
			hl_archive_versions(&v);
			printf("halong %s\nschema %d\nexchange protocol %d\nfeed protocol %d\n",
			       v.halong, v.schema, v.exchange, v.feed);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--home") && i + 1 < argc) {
			ctx.home = argv[++i];
		} else if (!strncmp(argv[i], "--home=", 7)) {
			ctx.home = argv[i] + 7;
		} else {
			fprintf(stderr, "halong: unknown option %s\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (const cli_cmd *const *t = tables; *t; t++)
		for (const cli_cmd *c = *t; c->name; c++)
			if (!strcmp(c->name, argv[i]))
				return cli_run(c, &ctx, argc - i, argv + i);
	fprintf(stderr, "halong: unknown command \"%s\" (see halong --help)\n", argv[i]);
	return EXIT_USAGE;
}
