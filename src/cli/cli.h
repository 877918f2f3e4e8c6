/* Shared pieces of the halong command: the command table, errors and progress drawing. */
#ifndef HL_CLI_H
#define HL_CLI_H

#include <stdint.h>
#include <stdio.h>
#include <stddef.h>

#include <jansson.h>

#include "halong/archive.h"
#include "halong/exchange.h"
#include "halong/config.h"

/* Exit codes (docs/cli.md). */
enum { EXIT_OK = 0, EXIT_ERR = 1, EXIT_USAGE = 2, EXIT_PARTIAL = 3 };

typedef struct {
	const char *home; /* --home, or NULL */
	/* --config FILE, else $HALONG_CONFIG (NULL: none), and the file as read: applied to the
	 * environment before the command runs (halong config check reports its problems) */
	const char *config_path;
	hl_config *config;
} cli_ctx;

/* ---- commands and their options, declared once (opt.c) ----
 *
 * Each command, and each subcommand of a group, is a cli_cmd with its own table of
 * options; cli_run parses argv by the table into the command's options struct (zeroed, then
 * each option's default, then what was given), checks numbers against their ranges and the
 * count of operands, answers --help from the table, and calls run. A usage error names the
 * option or operand, prints the synopsis and exits 2. */

typedef enum {
	CLI_FLAG,   /* no value: sets an int to 1 */
	CLI_TEXT,   /* a string (const char *, pointing into argv) */
	CLI_COUNT,  /* a whole number in [min, max] (uint64_t) */
	CLI_REAL,   /* a number in [min, max] (double) */
	CLI_CHOICE, /* one of the words of `choices` (const char *) */
	CLI_TEXTS,  /* a string that may be given again and again (cli_texts) */
} cli_kind;

/* A CLI_TEXTS option's values, in the order given. */
#define CLI_TEXTS_MAX 16
typedef struct {
	const char *v[CLI_TEXTS_MAX];
	int n;
} cli_texts;

enum {
	CLI_EMPTY_OK = 1u << 0, /* a CLI_TEXT option may be "" */
	CLI_REQUIRED = 1u << 1, /* the command cannot run without it */
	/* taken, but not offered in --help and the synopsis: kept for scripts written for an
	 * earlier version, where it does nothing */
	CLI_HIDDEN = 1u << 2,
};

typedef struct {
	const char *name; /* "files" for --files; NULL for a short-only option */
	char letter;      /* 'o' for -o, or 0 */
	cli_kind kind;
	size_t off;          /* offsetof(the command's options struct, its field) */
	const char *arg;     /* the value's name in help and errors: "DIR" */
	double min, max;     /* CLI_COUNT, CLI_REAL */
	const char *def;     /* the default, as it would be typed (NULL: none) */
	const char *help;    /* one line */
	unsigned flags;      /* CLI_EMPTY_OK, CLI_REQUIRED, CLI_HIDDEN */
	const char *choices; /* CLI_CHOICE: "viewer,officer,admin" */
} cli_opt;

/* Entries of an option table, on the command's options struct T. */
#define CLI_FLAG_OPT(NAME, LETTER, T, FIELD, HELP)                                                 \
	{                                                                                          \
		.name = NAME, .letter = LETTER, .kind = CLI_FLAG, .off = offsetof(T, FIELD),       \
		.help = HELP                                                                       \
	}
#define CLI_TEXT_OPT(NAME, LETTER, T, FIELD, ARG, HELP)                                            \
	{                                                                                          \
		.name = NAME, .letter = LETTER, .kind = CLI_TEXT, .off = offsetof(T, FIELD),       \
		.arg = ARG, .help = HELP                                                           \
	}
#define CLI_COUNT_OPT(NAME, T, FIELD, ARG, MIN, MAX, DEF, HELP)                                    \
	{                                                                                          \
		.name = NAME, .kind = CLI_COUNT, .off = offsetof(T, FIELD), .arg = ARG,            \
		.min = MIN, .max = MAX, .def = DEF, .help = HELP                                   \
	}
#define CLI_REAL_OPT(NAME, T, FIELD, ARG, MIN, MAX, DEF, HELP)                                     \
	{                                                                                          \
		.name = NAME, .kind = CLI_REAL, .off = offsetof(T, FIELD), .arg = ARG, .min = MIN, \
		.max = MAX, .def = DEF, .help = HELP                                               \
	}
#define CLI_CHOICE_OPT(NAME, T, FIELD, ARG, CHOICES, FLAGS, HELP)                                  \
	{                                                                                          \
		.name = NAME, .kind = CLI_CHOICE, .off = offsetof(T, FIELD), .arg = ARG,           \
		.choices = CHOICES, .flags = FLAGS, .help = HELP                                   \
	}
#define CLI_TEXTS_OPT(NAME, T, FIELD, ARG, HELP)                                                   \
	{                                                                                          \
		.name = NAME, .kind = CLI_TEXTS, .off = offsetof(T, FIELD), .arg = ARG,            \
		.help = HELP                                                                       \
	}
/* A CLI_TEXT option the command cannot run without. */
#define CLI_NEEDED_OPT(NAME, T, FIELD, ARG, HELP)                                                  \
	{                                                                                          \
		.name = NAME, .kind = CLI_TEXT, .off = offsetof(T, FIELD), .arg = ARG,             \
		.flags = CLI_REQUIRED, .help = HELP                                                \
	}
#define CLI_OPT_END                                                                                \
	{                                                                                          \
		.name = NULL                                                                       \
	}

typedef struct cli_cmd cli_cmd;

/* What a command's run gets. */
typedef struct {
	const cli_cmd *cmd;
	cli_ctx *ctx;
	void *opts;  /* the command's options struct, filled */
	char **args; /* the operands, in order */
	int nargs;
} cli_args;

enum {
	/* Operands may begin with '-' (a query's -word): only the table's options are options;
	 * "--" ends them. */
	CLI_WORDS = 1u << 0,
};

struct cli_cmd {
	const char *name;       /* "ingest"; a subcommand's own name ("run" of "ocr run") */
	const char *summary;    /* one line, for the command lists */
	const char *operands;   /* the synopsis's operands: "MANIFEST.csv", "ID", "[DIR]" */
	int min_args, max_args; /* operands; max_args -1: any number */
	const char *missing; /* the usage error when operands are missing: "give one unit code" */
	const cli_opt *opts; /* ended by an entry without name and letter; NULL: none */
	size_t opts_size;    /* sizeof the options struct */
	unsigned flags;      /* CLI_WORDS */
	int (*run)(const cli_args *a);
	const char *help;     /* more of --help, after the options (NULL: none) */
	const cli_cmd *subs;  /* a group: its subcommands, ended by {0}; run is NULL */
	const cli_cmd *group; /* a subcommand: its group */
};

/* Runs `cmd` with argv[0] its name: a group dispatches argv[1] to its subcommand. */
int cli_run(const cli_cmd *cmd, cli_ctx *ctx, int argc, char **argv);
/* The parsing of cli_run, for tests of the table. */
int cli_parse(cli_args *out, const cli_cmd *cmd, void *opts, int argc, char **argv);
void cli_args_clear(cli_args *a);
/* "usage: halong ocr run [--jobs N] ..." and the whole --help of a command. */
void cli_synopsis(FILE *f, const cli_cmd *cmd);
void cli_help(FILE *f, const cli_cmd *cmd);

/* Prints "halong: <message>" for the library's last error; returns EXIT_ERR. */
int cli_fail(void);
/* Prints a usage error for `cmd` with its synopsis; returns EXIT_USAGE. */
int cli_usage(const cli_cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints a JSON value indented on stdout, and drops the reference. */
void cli_print_json(json_t *o);
/* A JSON string, or null when absent or empty. */
json_t *cli_jstr(const char *s);

/* Opens the data directory named by ctx. */
int cli_open(hl_archive **out, cli_ctx *ctx);
/* Opens the data directory and this node's exchange identity (n may be NULL: the store only);
 * on failure nothing stays open. */
int cli_open_node(hl_archive **a, hl_node **n, cli_ctx *ctx);
/* Who runs the command, for the audit log: "cli:" and the system user (a static buffer). */
const char *cli_actor(void);
/* The node's operator at its console (hl_principal_local named cli_actor()): what every library
 * verb that decides who may do what is given by a command. */
const hl_principal *cli_who(void);
/* A time in ms since the epoch as shown to people: Asia/Ho_Chi_Minh (UTC+7, no DST); "-" for
 * none. */
const char *cli_local_time(char buf[32], int64_t ms);

typedef struct {
	int tty, quiet, drawn;
	double start, last;
	char what[32];
	void *ui; /* the command's own state, for callbacks sharing this progress */
} cli_progress;

void cli_progress_init(cli_progress *p, int quiet);
int cli_progress_cb(const char *what, uint64_t done, uint64_t total, void *ud);
void cli_progress_done(cli_progress *p);

/* Every command's table, ended by {0}; main.c lists them. */
extern const cli_cmd cli_archive_commands[];
extern const cli_cmd cli_units_commands[];
extern const cli_cmd cli_ocr_commands[];
extern const cli_cmd cli_serve_commands[];
extern const cli_cmd cli_user_commands[];
extern const cli_cmd cli_custody_commands[];
extern const cli_cmd cli_node_commands[];
extern const cli_cmd cli_send_commands[];
extern const cli_cmd cli_feed_commands[];
extern const cli_cmd cli_plans_commands[];
extern const cli_cmd cli_catalog_commands[];
extern const cli_cmd cli_ops_commands[]; /* cmd_ops.c: doctor */
extern const cli_cmd cli_backup_commands[];
extern const cli_cmd cli_config_commands[];

#endif
