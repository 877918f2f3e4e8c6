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
    cli_archive_commands, cli_units_commands,   cli_custody_commands,
    cli_ocr_commands,     cli_serve_commands,   cli_user_commands,
    cli_node_commands,    cli_send_commands,    cli_feed_commands,
    cli_plans_commands,   cli_catalog_commands, cli_ops_commands,
    cli_backup_commands,  cli_config_commands,  NULL,
};

static void usage(FILE *f)
{
	fprintf(f, "usage: halong [--home DIR] [--config FILE] COMMAND [ARGS]\n"
	           "       halong --version | --help | COMMAND --help\n\n"
	           "halong keeps the records, data and plans of a province and its communes.\n"
	           "The data directory is --home DIR, else $HALONG_HOME, else ./halong-data.\n"
	           "Settings: HALONG_<KEY> variables, and `key = value` lines of --config FILE\n"
	           "(else $HALONG_CONFIG) for those not set; `halong config check` lists them.\n\n"
	           "Commands:\n");
	for (const cli_cmd *const *t = tables; *t; t++)
		for (const cli_cmd *c = *t; c->name; c++)
			fprintf(f, "  %-9s %s\n", c->name, c->summary);
	fprintf(f, "\nExit codes: 0 ok, 1 error, 2 bad usage, 3 some input items rejected.\n"
	           "Documentation: docs/cli.md\n");
}

/* --config FILE, else $HALONG_CONFIG: its settings into the environment (those not set there)
 * before any command runs. A file with problems stops every command but `config`, whose
 * `check` prints them all. */
static int apply_config(cli_ctx *ctx, int checking)
{
	const char *env = getenv("HALONG_CONFIG");
	if (!ctx->config_path && env && *env)
		ctx->config_path = env;
	if (!ctx->config_path)
		return EXIT_OK;
	if (hl_config_load(&ctx->config, ctx->config_path) < 0) {
		if (!ctx->config) /* not read at all */
			return cli_fail();
		if (!checking) {
			for (size_t k = 0; k < hl_config_problems(ctx->config); k++)
				fprintf(stderr, "halong: %s\n", hl_config_problem(ctx->config, k));
			hl_config_free(ctx->config);
			return EXIT_ERR;
		}
		return EXIT_OK;
	}
	if (hl_config_apply(ctx->config) < 0) {
		hl_config_free(ctx->config);
		return cli_fail();
	}
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	cli_ctx ctx = {0};
	int i = 1, rc;

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
		} else if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			ctx.config_path = argv[++i];
		} else if (!strncmp(argv[i], "--config=", 9)) {
			ctx.config_path = argv[i] + 9;
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
	if ((rc = apply_config(&ctx, !strcmp(argv[i], "config"))) != EXIT_OK)
		return rc;
	for (const cli_cmd *const *t = tables; *t; t++)
		for (const cli_cmd *c = *t; c->name; c++)
			if (!strcmp(c->name, argv[i])) {
				rc = cli_run(c, &ctx, argc - i, argv + i);
				hl_config_free(ctx.config);
				return rc;
			}
	hl_config_free(ctx.config);
	fprintf(stderr, "halong: unknown command \"%s\" (see halong --help)\n", argv[i]);
	return EXIT_USAGE;
}
