/* The user and audit command groups: accounts (add, passwd, token, disable, list) and the
 * hash-chained audit log (verify, list). Passwords come from stdin, never from argv. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cli.h"
#include "halong/auth.h"
#include "halong/auth_json.h"
#include "halong/units.h"

extern const cli_command cli_user_commands[];

static const cli_command *user_cmd(void)
{
	return &cli_user_commands[0];
}

static const cli_command *audit_cmd(void)
{
	return &cli_user_commands[1];
}

typedef struct {
	int json;
	const char *role, *unit, *label, *limit;
	const char *args[2];
	int nargs;
} opts;

enum { O_JSON = 1, O_ROLE, O_UNIT, O_LABEL, O_LIMIT };

/* Options of every subcommand; `allowed` lists the ones this subcommand takes. */
static int parse(opts *o, const cli_command *cmd, int argc, char **argv, int max,
                 const char *allowed)
{
	static const struct option lo[] = {{"json", no_argument, NULL, O_JSON},
	                                   {"role", required_argument, NULL, O_ROLE},
	                                   {"unit", required_argument, NULL, O_UNIT},
	                                   {"label", required_argument, NULL, O_LABEL},
	                                   {"limit", required_argument, NULL, O_LIMIT},
	                                   {0}};
	const char **slot[] = {
	    [O_ROLE] = &o->role, [O_UNIT] = &o->unit, [O_LABEL] = &o->label, [O_LIMIT] = &o->limit};
	int c, idx;
	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, &idx)) != -1) {
		if (c == '?' || c == ':' || !strchr(allowed, "?jrulL"[c]))
			return cli_usage_error(cmd, "%s: unknown option or missing value: %s",
			                       argv[0], argv[optind - 1]);
		if (c == O_JSON)
			o->json = 1;
		else
			*slot[c] = optarg;
	}
	for (; optind < argc; optind++) {
		if (o->nargs >= max)
			return cli_usage_error(cmd, "%s: unexpected argument %s", argv[0],
			                       argv[optind]);
		o->args[o->nargs++] = argv[optind];
	}
	return 0;
}

/* ---- passwords from stdin ---- */

#define PW_BUF (HL_AUTH_MAX_PASSWORD + 3)

/* One line from `f` without its line end: 1 read, 0 at end of input, -1 too long. */
static int read_line(char *buf, size_t size, FILE *f)
{
	size_t n;
	if (!fgets(buf, (int)size, f))
		return 0;
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (n == size - 1 && !feof(f))
		return -1;
	if (n && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return 1;
}

/* Prompts on the terminal with echo off. Echo goes off before the prompt shows, so nothing
 * typed after the prompt is echoed or discarded. */
static int prompt(char *buf, size_t size, const char *msg)
{
	struct termios old, quiet;
	int rc, echo_off = tcgetattr(STDIN_FILENO, &old) == 0;
	if (echo_off) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	fputs(msg, stderr);
	fflush(stderr);
	rc = read_line(buf, size, stdin);
	if (echo_off)
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
	fputc('\n', stderr);
	return rc;
}

/* The new password: typed twice on a terminal, else the first line of stdin. */
static int read_password(char *pw, const char *name)
{
	char again[PW_BUF], msg[128];
	int rc;
	if (isatty(STDIN_FILENO)) {
		snprintf(msg, sizeof(msg), "New password for %s: ", name);
		if ((rc = prompt(pw, PW_BUF, msg)) <= 0)
			goto bad;
		if ((rc = prompt(again, sizeof(again), "Again: ")) <= 0)
			goto bad;
		rc = strcmp(pw, again) ? -2 : 1;
		sodium_memzero(again, sizeof(again));
		if (rc == -2) {
			fprintf(stderr, "halong: the two passwords differ\n");
			return -1;
		}
		return 0;
	}
	if ((rc = read_line(pw, PW_BUF, stdin)) > 0)
		return 0;
bad:
	if (rc < 0)
		fprintf(stderr, "halong: the password is too long: at most %d bytes\n",
		        HL_AUTH_MAX_PASSWORD);
	else
		fprintf(stderr, "halong: no password on standard input (one line)\n");
	return -1;
}

/* ---- user ---- */

static int with_store(hl_archive **a, cli_ctx *ctx)
{
	if (cli_open(a, ctx) < 0)
		return -1;
	return 0;
}

static int sub_add(cli_ctx *ctx, int argc, char **argv)
{
	char pw[PW_BUF];
	hl_archive *a = NULL;
	hl_role role;
	opts o;
	int rc;

	if ((rc = parse(&o, user_cmd(), argc, argv, 1, "ru")) != 0)
		return rc;
	if (o.nargs != 1)
		return cli_usage_error(user_cmd(), "add: give the user name");
	if (!o.role || !o.unit)
		return cli_usage_error(user_cmd(), "add: --role and --unit are required");
	if (hl_role_parse(&role, o.role) < 0 || role == HL_ROLE_ANONYMOUS)
		return cli_usage_error(
		    user_cmd(), "add: --role is viewer, officer, inspector, archivist or admin");
	if (read_password(pw, o.args[0]) < 0)
		return EXIT_ERR;
	if (with_store(&a, ctx) < 0) {
		sodium_memzero(pw, sizeof(pw));
		return cli_fail();
	}
	rc = hl_auth_user_add(hl_archive_store(a), o.args[0], pw, role, o.unit, cli_actor());
	sodium_memzero(pw, sizeof(pw));
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("user %s added: %s of unit %s\n", o.args[0], hl_role_name(role), o.unit);
	return EXIT_OK;
}

static int sub_passwd(cli_ctx *ctx, int argc, char **argv)
{
	char pw[PW_BUF];
	hl_archive *a = NULL;
	opts o;
	int rc;

	if ((rc = parse(&o, user_cmd(), argc, argv, 1, "")) != 0)
		return rc;
	if (o.nargs != 1)
		return cli_usage_error(user_cmd(), "passwd: give the user name");
	if (read_password(pw, o.args[0]) < 0)
		return EXIT_ERR;
	if (with_store(&a, ctx) < 0) {
		sodium_memzero(pw, sizeof(pw));
		return cli_fail();
	}
	rc = hl_auth_user_passwd(hl_archive_store(a), o.args[0], pw, cli_actor());
	sodium_memzero(pw, sizeof(pw));
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("password of %s changed; its sessions ended\n", o.args[0]);
	return EXIT_OK;
}

static int sub_token(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	char *tok = NULL;
	opts o;
	int rc;

	if ((rc = parse(&o, user_cmd(), argc, argv, 1, "l")) != 0)
		return rc;
	if (o.nargs != 1)
		return cli_usage_error(user_cmd(), "token: give the user name");
	if (with_store(&a, ctx) < 0)
		return cli_fail();
	rc = hl_auth_token_new(&tok, hl_archive_store(a), o.args[0], o.label, cli_actor());
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	/* the token alone on stdout, so that a script can capture it */
	puts(tok);
	fprintf(stderr, "halong: API token for %s; it is shown this once (only its hash is kept)\n",
	        o.args[0]);
	sodium_memzero(tok, strlen(tok));
	free(tok);
	return EXIT_OK;
}

static int sub_disable(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	opts o;
	int rc;

	if ((rc = parse(&o, user_cmd(), argc, argv, 1, "")) != 0)
		return rc;
	if (o.nargs != 1)
		return cli_usage_error(user_cmd(), "disable: give the user name");
	if (with_store(&a, ctx) < 0)
		return cli_fail();
	rc = hl_auth_user_disable(hl_archive_store(a), o.args[0], cli_actor());
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("user %s disabled: its sessions and API tokens stop now\n", o.args[0]);
	return EXIT_OK;
}

static int list_json(const hl_auth_user_row *r, void *ud)
{
	json_t *o = json_object();
	json_object_set_new(o, "username", json_string(r->username));
	json_object_set_new(o, "role", json_string(r->role));
	json_object_set_new(o, "unit_code", json_string(r->unit_code));
	json_object_set_new(o, "created_at", cli_jstr(r->created_at));
	json_object_set_new(o, "disabled", json_boolean(r->disabled));
	json_array_append_new(ud, o);
	return 0;
}

static int list_text(const hl_auth_user_row *r, void *ud)
{
	int *n = ud;
	if (!(*n)++)
		printf("%-24s %-10s %-8s %-21s %s\n", "USER", "ROLE", "UNIT", "CREATED", "STATE");
	printf("%-24s %-10s %-8s %-21s %s\n", r->username, r->role, r->unit_code,
	       r->created_at ? r->created_at : "", r->disabled ? "disabled" : "active");
	return 0;
}

static int sub_list(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	json_t *j = NULL;
	opts o;
	int rc, n = 0;

	if ((rc = parse(&o, user_cmd(), argc, argv, 0, "j")) != 0)
		return rc;
	if (with_store(&a, ctx) < 0)
		return cli_fail();
	if (o.json) {
		j = json_array();
		rc = hl_auth_user_foreach(hl_archive_store(a), list_json, j);
	} else {
		rc = hl_auth_user_foreach(hl_archive_store(a), list_text, &n);
	}
	hl_archive_free(a);
	if (rc < 0) {
		json_decref(j);
		return cli_fail();
	}
	if (j)
		cli_print_json(j);
	else if (!n)
		printf("no users (add one with `halong user add NAME --role R --unit CODE`)\n");
	return EXIT_OK;
}

static int cmd_user(cli_ctx *ctx, int argc, char **argv)
{
	static const cli_sub subs[] = {
	    {"add", sub_add},         {"passwd", sub_passwd}, {"token", sub_token},
	    {"disable", sub_disable}, {"list", sub_list},     {0},
	};
	return cli_dispatch(user_cmd(), subs, ctx, argc, argv);
}

/* ---- audit ---- */

static int sub_verify(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	uint64_t checked = 0;
	opts o;
	int rc;

	if ((rc = parse(&o, audit_cmd(), argc, argv, 0, "")) != 0)
		return rc;
	if (with_store(&a, ctx) < 0)
		return cli_fail();
	rc = hl_audit_verify(&checked, hl_archive_store(a));
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("audit: %llu entries, chain whole\n", (unsigned long long)checked);
	return EXIT_OK;
}

static int audit_json(const hl_audit_row *r, void *ud)
{
	json_array_append_new(ud, hl_audit_row_json(r));
	return 0;
}

static int audit_text(const hl_audit_row *r, void *ud)
{
	printf("%6lld  %s  %-16s %-14s %s%s%s\n", (long long)r->id, r->at ? r->at : "",
	       r->actor ? r->actor : "", r->action ? r->action : "", r->object ? r->object : "",
	       r->detail ? "  " : "", r->detail ? r->detail : "");
	return 0;
}

static int sub_audit_list(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	json_t *j = NULL;
	int64_t total = 0;
	long limit = 20;
	opts o;
	int rc;

	if ((rc = parse(&o, audit_cmd(), argc, argv, 0, "jL")) != 0)
		return rc;
	if (o.limit) {
		char *end;
		errno = 0;
		limit = strtol(o.limit, &end, 10);
		if (errno || *end || limit < 1 || limit > 100000)
			return cli_usage_error(audit_cmd(), "list: --limit is 1 to 100000");
	}
	if (with_store(&a, ctx) < 0)
		return cli_fail();
	if (o.json)
		j = json_array();
	rc = hl_audit_page(hl_archive_store(a), cli_who(), 0, (size_t)limit, &total,
	                   o.json ? audit_json : audit_text, j);
	hl_archive_free(a);
	if (rc < 0) {
		json_decref(j);
		return cli_fail();
	}
	if (j) {
		json_t *out = json_object();
		json_object_set_new(out, "total", json_integer(total));
		json_object_set_new(out, "items", j);
		cli_print_json(out);
	} else if ((int64_t)limit < total) {
		printf("(the newest %ld of %lld entries; --limit N for more)\n", limit,
		       (long long)total);
	}
	return EXIT_OK;
}

static int cmd_audit(cli_ctx *ctx, int argc, char **argv)
{
	static const cli_sub subs[] = {
	    {"verify", sub_verify},
	    {"list", sub_audit_list},
	    {0},
	};
	return cli_dispatch(audit_cmd(), subs, ctx, argc, argv);
}

const cli_command cli_user_commands[] = {
    {"user", cmd_user, "accounts of the web interface and the API",
     "user SUBCOMMAND [ARGS]\n\n"
     "  add NAME --role ROLE --unit CODE   add a user; the password is read from stdin (one\n"
     "                                     line) or typed twice on a terminal, never argv\n"
     "  passwd NAME                        set a new password (read the same way); the\n"
     "                                     user's sessions end\n"
     "  token NAME [--label TEXT]          make an API token (Authorization: Bearer); it is\n"
     "                                     printed once, only its hash is kept\n"
     "  disable NAME                       refuse the user's logins, sessions and tokens now\n"
     "  list [--json]                      every user: role, unit, created, state\n\n"
     "ROLE is viewer, officer, inspector, archivist or admin; CODE a unit valid today (a\n"
     "province-level unit sees every fonds). NAME is 1-63 of a-z 0-9 . _ -; a password has\n"
     "10 to 256 bytes."},
    {"audit", cmd_audit, "the audit log, a hash chain",
     "audit SUBCOMMAND [ARGS]\n\n"
     "  verify                    re-hash the whole chain: exit 0 if whole, 1 naming the\n"
     "                            first broken entry\n"
     "  list [--limit N] [--json] the newest entries (default 20)"},
    {0},
};
