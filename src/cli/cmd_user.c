/* The user and audit command groups: accounts (add, passwd, token, disable, list) and the
 * hash-chained audit log (verify, list). Passwords come from stdin, never from argv. */
#include <errno.h>
#include <stddef.h>
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

extern const cli_cmd cli_user_commands[];

typedef struct {
	int json;
	const char *role, *unit, *label;
	uint64_t limit;
} opts;

static const cli_opt add_opts[] = {
    CLI_CHOICE_OPT("role", opts, role, "ROLE", "viewer,officer,inspector,archivist,admin",
                   CLI_REQUIRED, "what the user may do"),
    CLI_NEEDED_OPT("unit", opts, unit, "CODE",
                   "the user's unit, valid today (a province-level unit sees every fonds)"),
    CLI_OPT_END,
};
static const cli_opt token_opts[] = {
    CLI_TEXT_OPT("label", 0, opts, label, "TEXT", "what the token is for"),
    CLI_OPT_END,
};
static const cli_opt json_only[] = {
    CLI_FLAG_OPT("json", 0, opts, json, "as JSON"),
    CLI_OPT_END,
};
static const cli_opt audit_list_opts[] = {
    CLI_COUNT_OPT("limit", opts, limit, "N", 1, 100000, "20", "the newest N entries"),
    CLI_FLAG_OPT("json", 0, opts, json, "as JSON"),
    CLI_OPT_END,
};

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

static int sub_add(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	const char *name = args->args[0];
	char pw[PW_BUF];
	hl_archive *a = NULL;
	hl_role role;
	int rc;

	if (hl_role_parse(&role, o.role) < 0)
		return cli_fail(); /* the table lets only the roles through */
	if (read_password(pw, name) < 0)
		return EXIT_ERR;
	if (cli_open(&a, args->ctx) < 0) {
		sodium_memzero(pw, sizeof(pw));
		return cli_fail();
	}
	rc = hl_auth_user_add(hl_archive_store(a), name, pw, role, o.unit, cli_actor());
	sodium_memzero(pw, sizeof(pw));
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("user %s added: %s of unit %s\n", name, hl_role_name(role), o.unit);
	return EXIT_OK;
}

static int sub_passwd(const cli_args *args)
{
	const char *name = args->args[0];
	char pw[PW_BUF];
	hl_archive *a = NULL;
	int rc;

	if (read_password(pw, name) < 0)
		return EXIT_ERR;
	if (cli_open(&a, args->ctx) < 0) {
		sodium_memzero(pw, sizeof(pw));
		return cli_fail();
	}
	rc = hl_auth_user_passwd(hl_archive_store(a), name, pw, cli_actor());
	sodium_memzero(pw, sizeof(pw));
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("password of %s changed; its sessions ended\n", name);
	return EXIT_OK;
}

static int sub_token(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	const char *name = args->args[0];
	hl_archive *a = NULL;
	char *tok = NULL;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_auth_token_new(&tok, hl_archive_store(a), name, o.label, cli_actor());
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	/* the token alone on stdout, so that a script can capture it */
	puts(tok);
	fprintf(stderr, "halong: API token for %s; it is shown this once (only its hash is kept)\n",
	        name);
	sodium_memzero(tok, strlen(tok));
	free(tok);
	return EXIT_OK;
}

static int sub_disable(const cli_args *args)
{
	const char *name = args->args[0];
	hl_archive *a = NULL;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_auth_user_disable(hl_archive_store(a), name, cli_actor());
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("user %s disabled: its sessions and API tokens stop now\n", name);
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

static int sub_list(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_archive *a = NULL;
	json_t *j = NULL;
	int rc, n = 0;

	if (cli_open(&a, args->ctx) < 0)
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

/* ---- audit ---- */

/* How far the proof reaches: who holds the log's heads, and up to which entry. */
static void print_witness(const hl_audit_proof *p, const hl_audit_anchor *h, int anchored)
{
	char when[32], sent[64] = "";
	if (anchored && h->fresh)
		snprintf(sent, sizeof(sent), "; a head of entry %lld was signed now",
		         (long long)h->entry_id);
	switch (p->source) {
	case HL_AUDIT_PROOF_SELF:
		printf("witness: this node is the province's hub: no other node holds its log's "
		       "heads%s\n",
		       sent);
		return;
	case HL_AUDIT_PROOF_HUB:
		if (!p->witnessed_id)
			printf("witness: the hub holds no head of this log yet%s\n", sent);
		else
			printf(
			    "witness: the hub holds heads up to entry %lld (received %s), and the "
			    "chain holds them; entries after it are not witnessed yet%s\n",
			    (long long)p->witnessed_id, cli_local_time(when, p->witnessed_ms),
			    sent);
		return;
	case HL_AUDIT_PROOF_LOCAL:
		printf("witness: the hub could not be asked (%s); the heads it acknowledged here "
		       "reach entry %lld%s%s%s, and the chain holds them (this node's own record "
		       "only)%s\n",
		       p->hub_error[0] ? p->hub_error : "--offline", (long long)p->witnessed_id,
		       p->witnessed_id ? " (" : "",
		       p->witnessed_id ? cli_local_time(when, p->witnessed_ms) : "",
		       p->witnessed_id ? ")" : "", sent);
		return;
	}
}

typedef struct {
	int offline;
} verify_opts;

static const cli_opt verify_table[] = {
    CLI_FLAG_OPT("offline", 0, verify_opts, offline,
                 "do not ask the hub: check against this node's record of the heads it "
                 "acknowledged"),
    CLI_OPT_END,
};

static int sub_verify(const cli_args *args)
{
	const verify_opts *o = args->opts;
	hl_exchange_proof_opts po = {.offline = o->offline};
	hl_archive *a = NULL;
	hl_node *n = NULL;
	hl_audit_proof p = {0};
	hl_audit_anchor h = {0};
	uint64_t checked = 0;
	int rc, anchored = 0;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_node_open(&n, hl_archive_store(a), hl_archive_dir(a));
	if (rc == HL_ENOTFOUND) {
		/* no identity: the chain alone */
		rc = hl_audit_verify(&checked, hl_archive_store(a));
		hl_archive_free(a);
		if (rc < 0)
			return cli_fail();
		printf("audit: %llu entries, chain whole\n", (unsigned long long)checked);
		printf("witness: this node has no exchange identity (halong node init): nothing "
		       "outside it holds its log's heads\n");
		return EXIT_OK;
	}
	if (rc < 0) {
		hl_archive_free(a);
		return cli_fail();
	}
	/* every verify signs the head and sends it to the hub: the witness moves forward */
	if (hl_exchange_audit_anchor(&h, n, 0) == 0)
		anchored = 1;
	else
		fprintf(stderr, "halong: the log's head could not be sent to the hub: %s\n",
		        hl_error_last());
	rc = hl_exchange_audit_proof(&p, n, &po);
	hl_node_free(n);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("audit: %llu entries, chain whole\n", (unsigned long long)p.checked);
	print_witness(&p, &h, anchored);
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

static int sub_audit_list(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_archive *a = NULL;
	json_t *j = NULL;
	int64_t total = 0;
	long limit = (long)o.limit;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
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

#define USER  (&cli_user_commands[0])
#define AUDIT (&cli_user_commands[1])
static const cli_cmd user_subs[] = {
    {.name = "add",
     .summary = "add a user; the password is read from stdin or typed twice, never argv",
     .operands = "NAME",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the user name",
     .opts = add_opts,
     .opts_size = sizeof(opts),
     .run = sub_add,
     .group = USER,
     .help = "NAME is 1-63 of a-z 0-9 . _ -; a password has 10 to 256 bytes (one line on\n"
             "stdin, or typed twice on a terminal)."},
    {.name = "passwd",
     .summary = "set a new password (read the same way); the user's sessions end",
     .operands = "NAME",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the user name",
     .run = sub_passwd,
     .group = USER},
    {.name = "token",
     .summary = "make an API token (Authorization: Bearer), printed once",
     .operands = "NAME",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the user name",
     .opts = token_opts,
     .opts_size = sizeof(opts),
     .run = sub_token,
     .group = USER,
     .help = "Only the token's hash is kept: it cannot be shown again."},
    {.name = "disable",
     .summary = "refuse the user's logins, sessions and tokens now",
     .operands = "NAME",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the user name",
     .run = sub_disable,
     .group = USER},
    {.name = "list",
     .summary = "every user: role, unit, created, state",
     .opts = json_only,
     .opts_size = sizeof(opts),
     .run = sub_list,
     .group = USER},
    {0},
};
static const cli_cmd audit_subs[] = {
    {.name = "verify",
     .summary = "re-hash the whole chain and check it against the heads the province witnessed",
     .opts = verify_table,
     .opts_size = sizeof(verify_opts),
     .run = sub_verify,
     .group = AUDIT,
     .help = "Exit 0 when the chain is whole and holds every head the province's hub\n"
             "witnessed; 1 naming the first broken, rewritten or missing entry. Each verify\n"
             "signs the log's head with this node's key and sends it to the hub (a server\n"
             "does so every 10 minutes when the log grew): the log cannot then be shortened or\n"
             "rewritten without the hub refusing the next head and this command saying so."},
    {.name = "list",
     .summary = "the newest entries",
     .opts = audit_list_opts,
     .opts_size = sizeof(opts),
     .run = sub_audit_list,
     .group = AUDIT},
    {0},
};
#undef USER
#undef AUDIT

const cli_cmd cli_user_commands[] = {
    {.name = "user",
     .summary = "accounts of the web interface and the API",
     .subs = user_subs,
     .help = "ROLE is viewer, officer, inspector, archivist or admin."},
    {.name = "audit", .summary = "the audit log, a hash chain", .subs = audit_subs},
    {0},
};
