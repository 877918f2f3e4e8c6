/* The send command group: a document, a dossier or a report put into the exchange outbox for
 * another unit (the server's sender thread delivers it), and a sealed envelope printed for a
 * transport other than the sender (a USB stick, a test). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "halong/exchange.h"
#include "halong/util.h"

extern const cli_command cli_send_commands[];

static const cli_command *send_cmd(void)
{
	return &cli_send_commands[0];
}

typedef struct {
	const char *to, *access;
	long repeat;
	int json;
	char **args;
	int nargs;
} opts;

static int parse(opts *o, int argc, char **argv)
{
	enum { O_TO = 1, O_JSON, O_ACCESS, O_REPEAT };
	static const struct option lo[] = {{"to", required_argument, NULL, O_TO},
	                                   {"json", no_argument, NULL, O_JSON},
	                                   {"access", required_argument, NULL, O_ACCESS},
	                                   {"repeat", required_argument, NULL, O_REPEAT},
	                                   {NULL, 0, NULL, 0}};
	int c;
	memset(o, 0, sizeof(*o));
	o->repeat = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_TO:
			o->to = optarg;
			break;
		case O_JSON:
			o->json = 1;
			break;
		case O_ACCESS:
			o->access = optarg;
			break;
		case O_REPEAT: {
			char *end;
			o->repeat = strtol(optarg, &end, 10);
			if (*end || o->repeat < 1 || o->repeat > 1000000)
				return cli_usage_error(send_cmd(), "--repeat is 1 to 1000000");
			break;
		}
		default:
			return EXIT_USAGE;
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	return 0;
}

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

static int send_dossier(cli_ctx *ctx, const opts *o, const char *arg)
{
	const char *slash = strchr(arg, '/');
	hl_exchange_send_req q = {o->to, NULL, 0, arg};
	if (!slash || slash == arg || !slash[1])
		return cli_usage_error(send_cmd(), "dossier: give FONDS/DOSSIER");
	return send_docs(ctx, o, &q);
}

/* A report (a JSON object from FILE): --repeat N puts N messages, each in its own
 * transaction (used by the tests and the benchmark to fill an outbox). */
static int send_report(cli_ctx *ctx, const opts *o, const char *file)
{
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
		return cli_usage_error(send_cmd(), "--access: public, internal or restricted");
	}
	if (cli_open_node(&a, &nd, ctx) < 0) {
		free(text);
		return cli_fail();
	}
	for (long i = 0; i < o->repeat && rc == 0; i++) {
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
		printf("%ld reports to %s wait in the outbox (the last is %s)\n", o->repeat, o->to,
		       id);
	return EXIT_OK;
}

/* The waiting message ID sealed now, on stdout: for a transport other than the sender. */
static int send_envelope(cli_ctx *ctx, const char *msg_id)
{
	hl_archive *a = NULL;
	hl_node *nd = NULL;
	char *env = NULL;
	size_t len = 0;
	int rc;
	if (cli_open_node(&a, &nd, ctx) < 0)
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

static int cmd_send(cli_ctx *ctx, int argc, char **argv)
{
	opts o;
	int rc;
	if (cli_wants_help(send_cmd(), argc, argv))
		return EXIT_OK;
	if ((rc = parse(&o, argc, argv)) != 0)
		return rc;
	if (o.nargs >= 1 && !strcmp(o.args[0], "envelope")) {
		if (o.nargs != 2)
			return cli_usage_error(send_cmd(), "envelope: give one message ID");
		return send_envelope(ctx, o.args[1]);
	}
	if (!o.to)
		return cli_usage_error(send_cmd(), "--to CODE is required");
	if (o.nargs >= 1 && !strcmp(o.args[0], "dossier")) {
		if (o.nargs != 2)
			return cli_usage_error(send_cmd(), "dossier: give one FONDS/DOSSIER");
		return send_dossier(ctx, &o, o.args[1]);
	}
	if (o.nargs >= 1 && !strcmp(o.args[0], "report")) {
		if (o.nargs != 2)
			return cli_usage_error(send_cmd(), "report: give one FILE.json");
		return send_report(ctx, &o, o.args[1]);
	}
	if (o.nargs < 1)
		return cli_usage_error(send_cmd(), "give a document ID");
	{
		hl_exchange_send_req q = {o.to, (const char *const *)o.args, (size_t)o.nargs, NULL};
		return send_docs(ctx, &o, &q);
	}
}

const cli_command cli_send_commands[] = {
    {"send", cmd_send, "send documents, a dossier or a report to another unit",
     "send ID... --to CODE [--json]\n"
     "       halong send dossier FONDS/DOSSIER --to CODE [--json]\n"
     "       halong send report FILE.json --to CODE [--access LEVEL] [--repeat N] [--json]\n"
     "       halong send envelope MESSAGE-ID\n\n"
     "Puts one message in the exchange outbox, in one transaction with its audit entry: the\n"
     "documents' metadata, and their files as attachments (SHA-256). `halong serve` delivers\n"
     "it (retries with backoff; see `halong exchange status`); the recipient's archive keeps\n"
     "the sender, the message id and the sender's signature. A secret record never leaves\n"
     "this node; a restricted one only to a node the directory lets hold it.\n"
     "  dossier F/D   every document of dossier D of fonds F below secret\n"
     "  report FILE   a JSON object (a report); --repeat N puts N messages (tests, benches)\n"
     "  envelope ID   prints waiting message ID sealed now (for another transport)"},
    {NULL, NULL, NULL, NULL},
};
