/* The command table and the options of every command, declared once: parsing, validation, the
 * usage errors and --help all come from each command's table (curl's tool_getparam is the
 * model). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- errors ---- */

int cli_fail(void)
{
	const char *m = hl_error_last();
	fprintf(stderr, "halong: %s\n", *m ? m : "unknown error");
	return EXIT_ERR;
}

/* "ocr run", "node directory import" or "ingest": the command as the user typed it. */
static void full_name(char *buf, size_t n, const cli_cmd *cmd)
{
	size_t k;
	if (!cmd->group) {
		snprintf(buf, n, "%s", cmd->name);
		return;
	}
	full_name(buf, n, cmd->group);
	k = strlen(buf);
	snprintf(buf + k, n - k, " %s", cmd->name);
}

int cli_usage(const cli_cmd *cmd, const char *fmt, ...)
{
	char name[64];
	va_list ap;
	full_name(name, sizeof(name), cmd);
	fprintf(stderr, "halong %s: ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	cli_synopsis(stderr, cmd);
	fprintf(stderr, "(halong %s --help tells more)\n", name);
	return EXIT_USAGE;
}

/* ---- help ---- */

/* " [--name VALUE]", or " --name VALUE" for an option the command cannot run without. */
static void opt_synopsis(FILE *f, const cli_opt *o)
{
	int optional = !(o->flags & CLI_REQUIRED);
	fprintf(f, " %s", optional ? "[" : "");
	if (o->letter && !o->name)
		fprintf(f, "-%c", o->letter);
	else
		fprintf(f, "--%s", o->name);
	if (o->kind != CLI_FLAG)
		fprintf(f, " %s", o->arg ? o->arg : "VALUE");
	fprintf(f, "%s", optional ? "]" : "");
}

void cli_synopsis(FILE *f, const cli_cmd *cmd)
{
	char name[64];
	full_name(name, sizeof(name), cmd);
	fprintf(f, "usage: halong %s", name);
	if (cmd->subs) {
		fprintf(f, " SUBCOMMAND [ARGS]\n");
		if (!cmd->run)
			return;
		/* a group that is also a command of its own (send ID...) */
		fprintf(f, "       halong %s", name);
	}
	if (cmd->operands)
		fprintf(f, " %s", cmd->operands);
	for (const cli_opt *o = cmd->opts; o && (o->name || o->letter); o++)
		if (!(o->flags & CLI_HIDDEN))
			opt_synopsis(f, o);
	fprintf(f, "\n");
}

void cli_help(FILE *f, const cli_cmd *cmd)
{
	char name[64];
	full_name(name, sizeof(name), cmd);
	cli_synopsis(f, cmd);
	fprintf(f, "\n%s.\n", cmd->summary);
	if (cmd->subs) {
		int w = 10; /* the names in one column, as wide as the longest */
		for (const cli_cmd *s = cmd->subs; s->name; s++)
			if ((int)strlen(s->name) > w)
				w = (int)strlen(s->name);
		fprintf(f, "\nSubcommands:\n");
		for (const cli_cmd *s = cmd->subs; s->name; s++)
			fprintf(f, "  %-*s %s\n", w, s->name, s->summary);
		fprintf(f, "\nhalong %s SUBCOMMAND --help tells more of each.\n", name);
	}
	if (cmd->opts && (cmd->opts->name || cmd->opts->letter)) {
		fprintf(f, "\nOptions:\n");
		for (const cli_opt *o = cmd->opts; o->name || o->letter; o++) {
			char head[64];
			int n = 0;
			if (o->flags & CLI_HIDDEN)
				continue;
			if (o->letter)
				n += snprintf(head + n, sizeof(head) - (size_t)n, "-%c%s",
				              o->letter, o->name ? ", " : "");
			if (o->name)
				n += snprintf(head + n, sizeof(head) - (size_t)n, "--%s", o->name);
			if (o->kind != CLI_FLAG)
				snprintf(head + n, sizeof(head) - (size_t)n, " %s",
				         o->arg ? o->arg : "VALUE");
			fprintf(f, "  %-24s %s", head, o->help ? o->help : "");
			if (o->def)
				fprintf(f, " (default %s)", o->def);
			fprintf(f, "\n");
		}
	}
	if (cmd->help)
		fprintf(f, "\n%s\n", cmd->help);
}

/* ---- parsing ---- */

/* --name, or an unambiguous beginning of one (--out for --output), as getopt_long takes them:
 * scripts written against earlier versions keep working. *ambiguous when two options begin
 * so. */
static const cli_opt *find_long(const cli_cmd *cmd, const char *name, size_t len, int *ambiguous)
{
	const cli_opt *prefix = NULL;
	int n = 0;
	*ambiguous = 0;
	for (const cli_opt *o = cmd->opts; o && (o->name || o->letter); o++) {
		if (!o->name || strncmp(o->name, name, len))
			continue;
		if (strlen(o->name) == len)
			return o;
		prefix = o, n++;
	}
	*ambiguous = n > 1;
	return n == 1 ? prefix : NULL;
}

static const cli_opt *find_short(const cli_cmd *cmd, char c)
{
	for (const cli_opt *o = cmd->opts; o && (o->name || o->letter); o++)
		if (o->letter == c)
			return o;
	return NULL;
}

/* "--files" or "-o", for messages. */
static const char *opt_label(char buf[64], const cli_opt *o)
{
	if (o->name)
		snprintf(buf, 64, "--%s", o->name);
	else
		snprintf(buf, 64, "-%c", o->letter);
	return buf;
}

/* Stores `value` into the options struct at o->off, checked by its kind. */
static int set_value(const cli_cmd *cmd, const cli_opt *o, void *opts, const char *value)
{
	char *p = (char *)opts + o->off, *end, label[64];
	switch (o->kind) {
	case CLI_FLAG:
		*(int *)p = 1;
		return 0;
	case CLI_TEXT:
		if (!*value && !(o->flags & CLI_EMPTY_OK))
			return cli_usage(cmd, "%s wants a %s", opt_label(label, o),
			                 o->arg ? o->arg : "value");
		*(const char **)p = value;
		return 0;
	case CLI_TEXTS: {
		cli_texts *t = (cli_texts *)p;
		if (!*value)
			return cli_usage(cmd, "%s wants a %s", opt_label(label, o),
			                 o->arg ? o->arg : "value");
		if (t->n == CLI_TEXTS_MAX)
			return cli_usage(cmd, "%s: at most %d times", opt_label(label, o),
			                 CLI_TEXTS_MAX);
		t->v[t->n++] = value;
		return 0;
	}
	case CLI_COUNT: {
		unsigned long long v;
		errno = 0;
		v = strtoull(value, &end, 10);
		if (!*value || *value < '0' || *value > '9' || *end || errno ||
		    (double)v < o->min || (double)v > o->max)
			return cli_usage(cmd,
			                 "%s wants a whole number from %.0f to %.0f, not "
			                 "\"%.40s\"",
			                 opt_label(label, o), o->min, o->max, value);
		*(uint64_t *)p = v;
		return 0;
	}
	case CLI_CHOICE: {
		size_t n = strlen(value);
		for (const char *c = o->choices; c && *c;) {
			size_t len = strcspn(c, ",");
			if (len == n && !strncmp(c, value, n)) {
				*(const char **)p = value;
				return 0;
			}
			c += len + (c[len] == ',');
		}
		{
			char list[256];
			size_t k = 0, words = 1;
			for (const char *c = o->choices; *c; c++)
				words += *c == ',';
			for (const char *c = o->choices; *c && k + 8 < sizeof(list); c++) {
				if (*c == ',')
					k += (size_t)snprintf(list + k, sizeof(list) - k, "%s",
					                      --words == 1 ? " or " : ", ");
				else
					list[k++] = *c;
			}
			list[k] = '\0';
			return cli_usage(cmd, "%s is %s, not \"%.40s\"", opt_label(label, o), list,
			                 value);
		}
	}
	case CLI_REAL: {
		double v;
		errno = 0;
		v = strtod(value, &end);
		if (!*value || *end || errno || !isfinite(v) || v < o->min || v > o->max)
			return cli_usage(cmd, "%s wants a number from %g to %g, not \"%.40s\"",
			                 opt_label(label, o), o->min, o->max, value);
		*(double *)p = v;
		return 0;
	}
	}
	return cli_usage(cmd, "%s: unknown kind of option", opt_label(label, o));
}

int cli_parse(cli_args *out, const cli_cmd *cmd, void *opts, int argc, char **argv)
{
	int words_only = 0, rc;

	memset(out, 0, sizeof(*out));
	out->cmd = cmd;
	out->opts = opts;
	if (!(out->args = calloc((size_t)argc + 1, sizeof(*out->args))))
		return cli_usage(cmd, "out of memory");
	for (const cli_opt *o = cmd->opts; o && (o->name || o->letter); o++)
		if (o->def && (rc = set_value(cmd, o, opts, o->def)) != 0)
			return rc;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *value = NULL, *eq;
		const cli_opt *o = NULL;
		char label[64];
		if (words_only || a[0] != '-' || !a[1]) {
			out->args[out->nargs++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			words_only = 1;
			continue;
		}
		if (a[1] == '-') {
			int ambiguous;
			eq = strchr(a + 2, '=');
			o = find_long(cmd, a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2),
			              &ambiguous);
			if (ambiguous)
				return cli_usage(cmd, "%s is ambiguous", a);
			if (o && eq)
				value = eq + 1;
		} else if ((o = find_short(cmd, a[1])) && a[2]) {
			/* -oFILE: the value attached, as getopt takes it; a flag takes none */
			if (o->kind == CLI_FLAG)
				o = NULL;
			else
				value = a + 2;
		}
		if (!o) {
			/* a query's words may begin with '-' (exclusion): only known options are
			 * options there */
			if (cmd->flags & CLI_WORDS) {
				out->args[out->nargs++] = argv[i];
				continue;
			}
			return cli_usage(cmd, "unknown option %s", a);
		}
		if (o->kind == CLI_FLAG) {
			if (value)
				return cli_usage(cmd, "%s takes no value", opt_label(label, o));
		} else if (!value) {
			if (i + 1 >= argc)
				return cli_usage(cmd, "%s wants a %s", opt_label(label, o),
				                 o->arg ? o->arg : "value");
			value = argv[++i];
		}
		if ((rc = set_value(cmd, o, opts, value)) != 0)
			return rc;
	}
	for (const cli_opt *o = cmd->opts; o && (o->name || o->letter); o++) {
		char label[64];
		if ((o->flags & CLI_REQUIRED) && !*(const char **)((char *)opts + o->off))
			return cli_usage(cmd, "%s is required", opt_label(label, o));
	}
	if (out->nargs < cmd->min_args) {
		if (cmd->missing)
			return cli_usage(cmd, "%s", cmd->missing);
		return cli_usage(cmd, "give %s", cmd->operands ? cmd->operands : "an argument");
	}
	if (cmd->max_args >= 0 && out->nargs > cmd->max_args)
		return cli_usage(cmd, "unexpected argument %s", out->args[cmd->max_args]);
	return 0;
}

void cli_args_clear(cli_args *a)
{
	free(a->args);
	a->args = NULL;
}

/* ---- running a command ---- */

/* --help or -h before "--" among argv[1..]. */
static int wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return 0;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	}
	return 0;
}

/* Does option argv[i] of a group with a run of its own take the next argument as its value,
 * by the group's table or any of its subcommands' (--to CODE, --repeat N)? An unknown option
 * takes none: the subcommand's parse names it. */
static int takes_next(const cli_cmd *cmd, const char *a)
{
	for (const cli_cmd *t = cmd; t && t->name; t = t == cmd ? cmd->subs : t + 1) {
		const cli_opt *o;
		int ambiguous;
		if (a[1] == '-')
			o = strchr(a, '=') ? NULL : find_long(t, a + 2, strlen(a + 2), &ambiguous);
		else
			o = a[2] ? NULL : find_short(t, a[1]);
		if (o)
			return o->kind != CLI_FLAG;
	}
	return 0;
}

/* The index of the first operand of argv[1..] (skipping options and their values, and a
 * "--"), or 0. */
static int first_operand(const cli_cmd *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			return i + 1 < argc ? i + 1 : 0;
		if (a[0] != '-' || !a[1])
			return i;
		if (takes_next(cmd, a))
			i++;
	}
	return 0;
}

int cli_run(const cli_cmd *cmd, cli_ctx *ctx, int argc, char **argv)
{
	cli_args a;
	void *opts;
	int rc;

	if (cmd->subs) {
		const char *sub = argc > 1 ? argv[1] : NULL;
		int at;
		for (const cli_cmd *s = cmd->subs; sub && s->name; s++)
			if (!strcmp(sub, s->name))
				return cli_run(s, ctx, argc - 1, argv + 1);
		/* A group with a run of its own (send) was parsed by getopt, which let options come
		 * before the subcommand's word (send --to CODE dossier F/D): the word is moved
		 * first. */
		if (cmd->run && (at = first_operand(cmd, argc, argv)) > 1) {
			for (const cli_cmd *s = cmd->subs; s->name; s++) {
				char **v;
				if (strcmp(argv[at], s->name))
					continue;
				if (!(v = calloc((size_t)argc + 1, sizeof(*v)))) {
					fprintf(stderr, "halong: out of memory\n");
					return EXIT_ERR;
				}
				v[0] = argv[at];
				memcpy(v + 1, argv + 1, (size_t)(at - 1) * sizeof(*v));
				memcpy(v + at, argv + at + 1, (size_t)(argc - at - 1) * sizeof(*v));
				rc = cli_run(s, ctx, argc - 1, v);
				free(v);
				return rc;
			}
		}
		/* A group with a run of its own (send ID... beside send dossier, report and
		 * envelope) takes what names no subcommand as its own operands and options. */
		if (!cmd->run) {
			if (!sub)
				return cli_usage(cmd, "give a subcommand");
			if (strcmp(sub, "--help") && strcmp(sub, "-h"))
				return cli_usage(cmd, "unknown subcommand %s", sub);
			cli_help(stdout, cmd);
			return EXIT_OK;
		}
	}
	if (wants_help(argc, argv)) {
		cli_help(stdout, cmd);
		return EXIT_OK;
	}
	if (!(opts = calloc(1, cmd->opts_size ? cmd->opts_size : 1))) {
		fprintf(stderr, "halong: out of memory\n");
		return EXIT_ERR;
	}
	rc = cli_parse(&a, cmd, opts, argc, argv);
	a.ctx = ctx;
	if (rc == 0)
		rc = cmd->run(&a);
	cli_args_clear(&a);
	free(opts);
	return rc;
}
