/* Shared pieces of the halong command: the command table, errors and progress drawing. */
#ifndef HL_CLI_H
#define HL_CLI_H

#include <stdint.h>

#include <jansson.h>

#include "halong/archive.h"
#include "halong/exchange.h"

/* Exit codes (docs/cli.md). */
enum { EXIT_OK = 0, EXIT_ERR = 1, EXIT_USAGE = 2, EXIT_PARTIAL = 3 };

typedef struct {
	const char *home; /* --home, or NULL */
} cli_ctx;

typedef struct {
	const char *name;
	int (*run)(cli_ctx *ctx, int argc, char **argv);
	const char *summary;
	const char *usage; /* the full --help text after "usage: halong " */
} cli_command;

/* Prints "halong: <message>" for the library's last error; returns EXIT_ERR. */
int cli_fail(void);
/* Prints a usage error for `cmd`; returns EXIT_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Handles --help for a command: returns 1 if it was asked (and printed). */
int cli_wants_help(const cli_command *cmd, int argc, char **argv);
/* A subcommand of a group ("halong units show ..."): its name and what runs it. */
typedef struct {
	const char *name;
	int (*run)(cli_ctx *ctx, int argc, char **argv);
} cli_sub;

/* Runs the subcommand argv[1] of group `cmd` from `subs` (ended by {0}), with argv shifted
 * by one; a usage error (exit 2) when it is missing or unknown. */
int cli_dispatch(const cli_command *cmd, const cli_sub *subs, cli_ctx *ctx, int argc, char **argv);

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
/* A time in ms since the epoch as ISO 8601 UTC with milliseconds for JSON, or null for none. */
json_t *cli_json_time(int64_t ms);

typedef struct {
	int tty, quiet, drawn;
	double start, last;
	char what[32];
	void *ui; /* the command's own state, for callbacks sharing this progress */
} cli_progress;

void cli_progress_init(cli_progress *p, int quiet);
int cli_progress_cb(const char *what, uint64_t done, uint64_t total, void *ud);
void cli_progress_done(cli_progress *p);

extern const cli_command cli_archive_commands[];
extern const cli_command cli_units_commands[];
extern const cli_command cli_custody_commands[];
extern const cli_command cli_ocr_commands[];
extern const cli_command cli_serve_commands[];
extern const cli_command cli_user_commands[];
extern const cli_command cli_node_commands[];
extern const cli_command cli_send_commands[];
extern const cli_command cli_feed_commands[];

#endif
