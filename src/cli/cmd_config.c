/* halong config check: every known setting with its value and where it came from
 * (command line, environment, file, default), each value checked on this machine as this
 * user. The table and the checks are the library's (halong/config.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "halong/config.h"

typedef struct {
	const char *config;
	int json;
} check_opts;

static const cli_opt check_optv[] = {
    CLI_TEXT_OPT("config", 0, check_opts, config, "FILE",
                 "the settings file to check (default: halong's --config, else $HALONG_CONFIG)"),
    CLI_FLAG_OPT("json", 0, check_opts, json, "as JSON"),
    CLI_OPT_END,
};

typedef struct {
	const char *value;
	const char *source; /* "command line", "environment", "file", "default" */
	int line;           /* of the file */
} resolved;

/* Where a setting's value comes from: --home wins for home; a variable the file set is the
 * file's; the environment; a good line of a file not applied (one with problems); the default. */
static resolved resolve(const hl_config_setting *s, const cli_ctx *ctx, const hl_config *c)
{
	resolved r = {NULL, "default", 0};
	const char *env = getenv(s->env), *fv = c ? hl_config_get(c, s->key, &r.line) : NULL;
	if (!strcmp(s->key, "home") && ctx->home && *ctx->home) {
		r.value = ctx->home, r.source = "command line", r.line = 0;
	} else if (c && hl_config_applied(c, s)) {
		r.value = fv, r.source = "file";
	} else if (env && *env) {
		r.value = env, r.source = "environment", r.line = 0;
	} else if (fv) {
		r.value = fv, r.source = "file";
	} else {
		r.line = 0;
		r.value = !strcmp(s->key, "data")       ? hl_config_default_data_dir()
		          : !strcmp(s->key, "web_root") ? hl_config_default_web_dir()
		          : !strcmp(s->key, "config")   ? ctx->config_path
		                                        : s->def;
		if (!strcmp(s->key, "config") && ctx->config_path)
			r.source = "command line";
	}
	return r;
}

static int run_check(const cli_args *a)
{
	const check_opts *o = a->opts;
	hl_config *own = NULL;
	const hl_config *c = a->ctx->config;
	const char *path = a->ctx->config_path;
	json_t *settings = json_array(), *problems = json_array();
	const hl_config_setting *t;
	size_t n, nprob;

	if (o->config && (!path || strcmp(o->config, path) != 0)) {
		/* read, not applied: the environment wins and the file's lines come next anyway */
		path = o->config;
		if (hl_config_load(&own, path) < 0 && !own) {
			json_decref(settings), json_decref(problems);
			return cli_fail();
		}
		c = own;
	}
	for (size_t k = 0; c && k < hl_config_problems(c); k++)
		json_array_append_new(problems, json_string(hl_config_problem(c, k)));

	t = hl_config_settings(&n);
	for (size_t i = 0; i < n; i++) {
		const hl_config_setting *s = &t[i];
		resolved r = resolve(s, a->ctx, c);
		char msg[1024], where[64] = "";
		json_t *j;
		int bad = 0, w;

		/* a test-only setting is listed only when set */
		if ((s->flags & HL_CONFIG_TEST_ONLY) && !strcmp(r.source, "default"))
			continue;
		if (r.value && hl_config_value_check(msg, sizeof(msg), s, r.value) < 0) {
			char *line;
			bad = 1;
			if (!strcmp(r.source, "file") && r.line)
				w = asprintf(&line, "%s:%d: %s: %s", path, r.line, s->key, msg);
			else
				w = asprintf(&line, "%s (%s, %s): %s", s->key, s->env, r.source,
				             msg);
			if (w >= 0) {
				json_array_append_new(problems, json_string(line));
				free(line);
			}
		}
		j = json_pack("{s:s,s:s,s:s,s:o,s:s,s:s}", "key", s->key, "env", s->env, "type",
		              hl_config_type_name(s->type), "value", cli_jstr(r.value), "source",
		              r.source, "meaning", s->meaning);
		if (j && r.line)
			json_object_set_new(j, "line", json_integer(r.line));
		if (j)
			json_object_set_new(j, "ok", json_boolean(!bad));
		json_array_append_new(settings, j);
		if (!o->json) {
			if (r.line)
				snprintf(where, sizeof(where), "file, line %d", r.line);
			printf("%s %-22s %-28s %s\n",
			       bad       ? "✗"
			       : r.value ? "✓"
			                 : "-",
			       s->key, r.value ? r.value : "(unset)", where[0] ? where : r.source);
		}
	}
	nprob = json_array_size(problems);
	if (o->json) {
		cli_print_json(json_pack("{s:b,s:o,s:o,s:o}", "ok", nprob == 0, "file",
		                         cli_jstr(path), "settings", settings, "problems",
		                         problems));
	} else {
		size_t k;
		json_t *p;
		json_array_foreach(problems, k, p) fprintf(stderr, "%s\n", json_string_value(p));
		if (path)
			printf("settings file: %s\n", path);
		printf(nprob ? "%zu problem%s\n" : "settings good\n", nprob, nprob == 1 ? "" : "s");
		json_decref(settings), json_decref(problems);
	}
	hl_config_free(own);
	return nprob ? EXIT_ERR : EXIT_OK;
}

#define CONFIG (&cli_config_commands[0])
static const cli_cmd config_subs[] = {
    {.name = "check",
     .summary = "every setting, its value and where it came from; each one checked",
     .opts = check_optv,
     .opts_size = sizeof(check_opts),
     .run = run_check,
     .group = CONFIG,
     .help = "A value comes from the command line (--home), the environment (HALONG_<KEY>),\n"
             "the settings file (key = value; the environment wins), or the default.\n"
             "Checks: the form of each value, folders that must exist, the data directory\n"
             "writable, secret files (backup_key_file, metrics_token_file) open to their owner\n"
             "alone (their contents are never read), test-only settings not set. Each problem\n"
             "on one line of stderr (FILE:LINE: for the file's); exit 1 when there is one."},
    {0},
};
#undef CONFIG

const cli_cmd cli_config_commands[] = {
    {.name = "config", .summary = "the node's settings: halong config check", .subs = config_subs},
    {0},
};
