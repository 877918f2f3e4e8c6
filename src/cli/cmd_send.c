/* The send command group: a document, a dossier or a report put into the exchange outbox for
 * another unit (the server's sender thread delivers it), and a sealed envelope printed for a
 * transport other than the sender (a USB stick, a test). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "halong/exchange.h"
#include "halong/util.h"

extern const cli_cmd cli_send_commands[];

typedef struct {
	const char *to, *access;
	uint64_t repeat;
	int json;
} opts;

#define TO_OPT   CLI_NEEDED_OPT("to", opts, to, "CODE", "the receiving unit")
#define JSON_OPT CLI_FLAG_OPT("json", 0, opts, json, "as JSON, one line a message")

static const cli_opt to_json[] = {TO_OPT, JSON_OPT, CLI_OPT_END};
static const cli_opt report_opts[] = {
    TO_OPT,
    CLI_TEXT_OPT("access", 0, opts, access, "LEVEL",
                 "the report's access level: public, internal or restricted (default "
                 "internal)"),
    CLI_COUNT_OPT("repeat", opts, repeat, "N", 1, 1000000, "1",
                  "put N messages, each in its own transaction (tests, benchmarks)"),
    JSON_OPT,
    CLI_OPT_END,
};

static void say(const opts *o, const char *id, const char *what)
{
	if (o->json) {
		json_t *j = json_pack("{s:s,s:s,s:s}", "id", id, "to", o->to, "what", what);
		char *s = json_dumps(j, JSON_COMPACT);
		printf("%s\n", s ? s : "{}");
		free(s);
		json_decref(j);
	} else {
		printf("%s to %s: message %s waits in the outbox\n", what, o->to, id);
	}
}

/* Documents (given, or a dossier's): one message, one transaction, as the node's operator
 * (the library's rules: a secret record never leaves this node). */
static int send_docs(cli_ctx *ctx, const opts *o, const hl_exchange_send_req *q)
{
	hl_archive *a = NULL;
	hl_node *nd = NULL;
	hl_exchange_sent *s = NULL;
	hl_principal me = hl_principal_local(cli_actor());
	char what[300];
	int rc;
	if (cli_open_node(&a, &nd, ctx) < 0)
		return cli_fail();
	rc = hl_exchange_send_documents(&s, nd, &me, q);
	hl_node_free(nd);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (q->dossier)
		snprintf(what, sizeof(what), "dossier %s (%zu documents)", q->dossier, s->n);
	else
		snprintf(what, sizeof(what), "%s", s->n == 1 ? "document" : "documents");
	say(o, s->id, what);
	hl_exchange_sent_free(s);
	return EXIT_OK;
}

/* send ID...: the documents given. */
static int send_ids(const cli_args *args)
{
	const opts *o = args->opts;
	hl_exchange_send_req q = {o->to, (const char *const *)args->args, (size_t)args->nargs,
	                          NULL};
	return send_docs(args->ctx, o, &q);
}

static int send_dossier(const cli_args *args)
{
	const opts *o = args->opts;
	const char *arg = args->args[0], *slash = strchr(arg, '/');
	hl_exchange_send_req q = {o->to, NULL, 0, arg};
	if (!slash || slash == arg || !slash[1])
		return cli_usage(args->cmd, "give FONDS/DOSSIER");
	return send_docs(args->ctx, o, &q);
}

/* A report (a JSON object from FILE): --repeat N puts N messages, each in its own
 * transaction (used by the tests and the benchmark to fill an outbox). */
static int send_report(const cli_args *args)
{
	const opts *o = args->opts;
	const char *file = args->args[0];
	hl_archive *a = NULL;
	hl_node *nd = NULL;
	hl_principal me = hl_principal_local(cli_actor());
	hl_access level = HL_ACCESS_INTERNAL;
	json_t *j;
	json_error_t err;
	char *text = NULL, id[37] = "";
	int rc = 0;

	if (!(j = json_load_file(file, JSON_REJECT_DUPLICATES, &err)) || !json_is_object(j)) {
		json_decref(j);
		return hl_error_set(HL_EINVALID, "%s:%d: not a JSON object: %s", file, err.line,
		                    err.text),
		       cli_fail();
	}
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (o->access && hl_access_parse(&level, o->access) < 0) {
		free(text);
		return cli_usage(args->cmd, "--access: public, internal or restricted");
	}
	if (cli_open_node(&a, &nd, args->ctx) < 0) {
		free(text);
		return cli_fail();
	}
	for (uint64_t i = 0; i < o->repeat && rc == 0; i++) {
		rc = hl_exchange_send_report(id, nd, &me, o->to, text, level);
		if (rc == 0 && (o->repeat == 1 || o->json))
			say(o, id, "report");
	}
	hl_node_free(nd);
	hl_archive_free(a);
	free(text);
	if (rc < 0)
		return cli_fail();
	if (o->repeat > 1 && !o->json)
		printf("%llu reports to %s wait in the outbox (the last is %s)\n",
		       (unsigned long long)o->repeat, o->to, id);
	return EXIT_OK;
}

/* The waiting message ID sealed now, on stdout: for a transport other than the sender. */
static int send_envelope(const cli_args *args)
{
	const char *msg_id = args->args[0];
	hl_archive *a = NULL;
	hl_node *nd = NULL;
	char *env = NULL;
	size_t len = 0;
	int rc;
	if (cli_open_node(&a, &nd, args->ctx) < 0)
		return cli_fail();
	rc = hl_exchange_outbox_seal(&env, &len, nd, msg_id, 0);
	hl_node_free(nd);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	fwrite(env, 1, len, stdout);
	putchar('\n');
	free(env);
	return EXIT_OK;
}

#define SEND (&cli_send_commands[0])
static const cli_cmd send_subs[] = {
    {.name = "dossier",
     .summary = "every document of dossier DOSSIER of fonds FONDS below secret",
     .operands = "FONDS/DOSSIER",
     .min_args = 1,
     .max_args = 1,
     .missing = "give one FONDS/DOSSIER",
     .opts = to_json,
     .opts_size = sizeof(opts),
     .run = send_dossier,
     .group = SEND},
    {.name = "report",
     .summary = "a JSON object (a report) from FILE.json",
     .operands = "FILE.json",
     .min_args = 1,
     .max_args = 1,
     .missing = "give one FILE.json",
     .opts = report_opts,
     .opts_size = sizeof(opts),
     .run = send_report,
     .group = SEND},
    {.name = "envelope",
     .summary = "print the waiting message MESSAGE-ID sealed now (for another transport)",
     .operands = "MESSAGE-ID",
     .min_args = 1,
     .max_args = 1,
     .missing = "give one message ID",
     .run = send_envelope,
     .group = SEND},
    {0},
};
#undef SEND

const cli_cmd cli_send_commands[] = {
    {.name = "send",
     .summary = "send documents, a dossier or a report to another unit",
     .operands = "ID...",
     .min_args = 1,
     .max_args = -1,
     .missing = "give a document ID",
     .opts = to_json,
     .opts_size = sizeof(opts),
     .run = send_ids,
     .subs = send_subs,
     .help =
         "Puts one message in the exchange outbox, in one transaction with its audit entry: the\n"
         "documents' metadata, and their files as attachments (SHA-256). `halong serve` delivers\n"
         "it (retries with backoff; see `halong exchange status`); the recipient's archive keeps\n"
         "the sender, the message id and the sender's signature. A secret record never leaves\n"
         "this node; a restricted one only to a node the directory lets hold it."},
    {0},
};
