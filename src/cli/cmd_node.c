/* The node and exchange command groups: this node's identity, the hub's directory (enrol,
 * revoke, list, export signed, import verified, trust-hub) and the exchange status per peer.
 * The secret key is never printed: only the public half. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "halong/exchange.h"
#include "halong/exchange_json.h"
#include "halong/util.h"

extern const cli_command cli_node_commands[];

static const cli_command *node_cmd(void)
{
	return &cli_node_commands[0];
}

static const cli_command *exchange_cmd(void)
{
	return &cli_node_commands[1];
}

typedef struct {
	int json, restricted;
	const char *unit, *url, *key, *may_send, *may_receive, *hub_key, *limit;
	const char *args[3];
	int nargs;
} opts;

enum {
	O_JSON = 1,
	O_UNIT,
	O_URL,
	O_KEY,
	O_SEND,
	O_RECV,
	O_RESTRICTED,
	O_HUBKEY,
	O_LIMIT,
};

/* Options of every subcommand; `allowed` lists the letters of the ones it takes. */
static int parse(opts *o, const cli_command *cmd, int argc, char **argv, int max,
                 const char *allowed)
{
	static const struct option lo[] = {{"json", no_argument, NULL, O_JSON},
	                                   {"unit", required_argument, NULL, O_UNIT},
	                                   {"url", required_argument, NULL, O_URL},
	                                   {"key", required_argument, NULL, O_KEY},
	                                   {"may-send", required_argument, NULL, O_SEND},
	                                   {"may-receive", required_argument, NULL, O_RECV},
	                                   {"restricted", no_argument, NULL, O_RESTRICTED},
	                                   {"hub-key", required_argument, NULL, O_HUBKEY},
	                                   {"limit", required_argument, NULL, O_LIMIT},
	                                   {0}};
	const char **slot[] = {
	    [O_UNIT] = &o->unit,     [O_URL] = &o->url,          [O_KEY] = &o->key,
	    [O_SEND] = &o->may_send, [O_RECV] = &o->may_receive, [O_HUBKEY] = &o->hub_key,
	    [O_LIMIT] = &o->limit};
	int c, idx;
	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, &idx)) != -1) {
		if (c == '?' || c == ':' || !strchr(allowed, "?juUksrRhL"[c]))
			return cli_usage_error(cmd, "%s: unknown option or missing value: %s",
			                       argv[0], argv[optind - 1]);
		if (c == O_JSON)
			o->json = 1;
		else if (c == O_RESTRICTED)
			o->restricted = 1;
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

/* ---- node ---- */

static int sub_init(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	hl_node *n = NULL;
	opts o;
	int rc;

	if ((rc = parse(&o, node_cmd(), argc, argv, 0, "uU")) != 0)
		return rc;
	if (!o.unit || !o.url)
		return cli_usage_error(node_cmd(), "init: --unit CODE and --url URL are required");
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	rc = hl_node_init(hl_archive_store(a), hl_archive_dir(a), o.unit, o.url, cli_actor());
	if (rc == 0)
		rc = hl_node_open(&n, hl_archive_store(a), hl_archive_dir(a));
	if (rc < 0) {
		hl_archive_free(a);
		return cli_fail();
	}
	printf("node %s at %s\npublic key %s\n(secret key in %s/keys/node.key, mode 0600: back it "
	       "up offline, never share it)\n",
	       hl_node_unit(n), hl_node_url(n), hl_node_public_key(n), hl_archive_dir(a));
	hl_node_free(n);
	hl_archive_free(a);
	return EXIT_OK;
}

static int sub_show(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	hl_node *n = NULL;
	int64_t version = 0, issued = 0;
	int imported = 0;
	opts o;
	int rc;

	if ((rc = parse(&o, node_cmd(), argc, argv, 0, "j")) != 0)
		return rc;
	if (cli_open_node(&a, &n, ctx) < 0)
		return cli_fail();
	if (hl_node_directory_info(&version, &issued, &imported, hl_archive_store(a)) < 0) {
		hl_node_free(n);
		hl_archive_free(a);
		return cli_fail();
	}
	if (o.json) {
		json_t *j = json_object();
		json_object_set_new(j, "unit", json_string(hl_node_unit(n)));
		json_object_set_new(j, "url", json_string(hl_node_url(n)));
		json_object_set_new(j, "public_key", json_string(hl_node_public_key(n)));
		json_object_set_new(j, "directory_version", json_integer(version));
		json_object_set_new(j, "directory_issued_at", cli_json_time(issued));
		json_object_set_new(j, "directory_from_hub", json_boolean(imported));
		cli_print_json(j);
	} else {
		char t[32];
		printf("unit        %s\nurl         %s\npublic key  %s\ndirectory   ",
		       hl_node_unit(n), hl_node_url(n), hl_node_public_key(n));
		if (!version)
			printf("none\n");
		else
			printf("version %lld of %s, %s\n", (long long)version,
			       cli_local_time(t, issued),
			       imported ? "from the hub" : "kept here (hub)");
	}
	hl_node_free(n);
	hl_archive_free(a);
	return EXIT_OK;
}

static int sub_enrol(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	opts o;
	int rc;

	if ((rc = parse(&o, node_cmd(), argc, argv, 1, "UksrR")) != 0)
		return rc;
	if (o.nargs != 1 || !o.url || !o.key)
		return cli_usage_error(node_cmd(), "enrol: give CODE, --url URL and --key PUBKEY");
	hl_node_entry e = {o.args[0],
	                   o.url,
	                   o.key,
	                   o.may_send ? o.may_send : "",
	                   o.may_receive ? o.may_receive : "",
	                   o.restricted};
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	rc = hl_node_enrol(hl_archive_store(a), &e, cli_actor());
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("node %s enrolled: may send [%s], may receive [%s]%s\n", e.unit, e.may_send,
	       e.may_receive, e.restricted ? ", may hold restricted records" : "");
	return EXIT_OK;
}

static int sub_revoke(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	opts o;
	int rc;

	if ((rc = parse(&o, node_cmd(), argc, argv, 1, "")) != 0)
		return rc;
	if (o.nargs != 1)
		return cli_usage_error(node_cmd(), "revoke: give the unit CODE");
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	rc = hl_node_revoke(hl_archive_store(a), o.args[0], cli_actor());
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("node %s revoked; export the directory so that every node learns it\n", o.args[0]);
	return EXIT_OK;
}

static int list_json(const hl_node_row *r, void *ud)
{
	json_array_append_new(ud, hl_node_row_json(r));
	return 0;
}

static int list_text(const hl_node_row *r, void *ud)
{
	int *n = ud;
	if (!(*n)++)
		printf("%-8s %-8s %-10s %-24s %-24s %s\n", "UNIT", "STATE", "RESTRICTED",
		       "MAY SEND", "MAY RECEIVE", "URL");
	printf("%-8s %-8s %-10s %-24s %-24s %s\n", r->unit, r->revoked ? "revoked" : "active",
	       r->restricted ? "yes" : "no", r->may_send, r->may_receive, r->url);
	return 0;
}

static int sub_list(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	json_t *j = NULL;
	opts o;
	int rc, n = 0;

	if ((rc = parse(&o, node_cmd(), argc, argv, 0, "j")) != 0)
		return rc;
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	if (o.json)
		j = json_array();
	rc = hl_node_foreach(hl_archive_store(a), o.json ? list_json : list_text,
	                     o.json ? (void *)j : (void *)&n);
	hl_archive_free(a);
	if (rc < 0) {
		json_decref(j);
		return cli_fail();
	}
	if (j)
		cli_print_json(j);
	else if (!n)
		printf("no nodes in the directory (on the hub: `halong node enrol CODE --url URL "
		       "--key KEY`; on a commune: `halong node directory import FILE`)\n");
	return EXIT_OK;
}

/* Reads a whole file of at most `max` bytes. */
static char *slurp(size_t *len, const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	struct stat sb;
	char *buf;
	if (!f) {
		hl_error_set(errno == ENOENT ? HL_ENOTFOUND : HL_EIO, "%s: %s", path,
		             strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &sb) != 0 || (size_t)sb.st_size > max) {
		fclose(f);
		hl_error_set(HL_ELIMIT, "%s: larger than %zu bytes", path, max);
		return NULL;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf || fread(buf, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size) {
		free(buf);
		fclose(f);
		hl_error_set(HL_EIO, "%s: cannot read", path);
		return NULL;
	}
	fclose(f);
	buf[sb.st_size] = '\0';
	*len = (size_t)sb.st_size;
	return buf;
}

static int sub_directory(cli_ctx *ctx, int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : NULL;
	hl_archive *a = NULL;
	hl_node *n = NULL;
	opts o;
	int rc;

	if (!what || (strcmp(what, "export") && strcmp(what, "import")))
		return cli_usage_error(node_cmd(), "directory: export FILE or import FILE");
	if ((rc = parse(&o, node_cmd(), argc - 1, argv + 1, 1, what[0] == 'i' ? "h" : "")) != 0)
		return rc;
	if (o.nargs != 1)
		return cli_usage_error(node_cmd(), "directory %s: give the FILE", what);
	if (!strcmp(what, "export")) {
		char *dir = NULL;
		if (cli_open_node(&a, &n, ctx) < 0)
			return cli_fail();
		rc = hl_node_directory_export(&dir, n);
		if (rc == 0) {
			size_t len = strlen(dir);
			dir[len] = '\n';
			rc = hl_write_atomic(o.args[0], dir, len + 1, 0644);
		}
		free(dir);
		hl_node_free(n);
		hl_archive_free(a);
		if (rc < 0)
			return cli_fail();
		printf("directory written to %s, signed by this node\n", o.args[0]);
		return EXIT_OK;
	}
	size_t len = 0;
	int64_t v = 0;
	char *text = slurp(&len, o.args[0], HL_EXCHANGE_MAX_DIRECTORY);
	if (!text)
		return cli_fail();
	/* A trailing newline is not part of the signed JSON's meaning; the parser skips it. */
	if (cli_open(&a, ctx) < 0) {
		free(text);
		return cli_fail();
	}
	rc = hl_node_directory_import(&v, hl_archive_store(a), text, len, o.hub_key, cli_actor());
	free(text);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("directory version %lld held, signature verified with the hub key\n", (long long)v);
	return EXIT_OK;
}

static int sub_trust(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	opts o;
	int rc;

	if ((rc = parse(&o, node_cmd(), argc, argv, 1, "")) != 0)
		return rc;
	if (o.nargs != 1)
		return cli_usage_error(node_cmd(), "trust-hub: give the hub's public KEY");
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	rc = hl_node_trust_hub(hl_archive_store(a), o.args[0], cli_actor());
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("hub key trusted: directories signed by it can be imported\n");
	return EXIT_OK;
}

static int cmd_node(cli_ctx *ctx, int argc, char **argv)
{
	static const cli_sub subs[] = {
	    {"init", sub_init},       {"show", sub_show},
	    {"enrol", sub_enrol},     {"revoke", sub_revoke},
	    {"list", sub_list},       {"directory", sub_directory},
	    {"trust-hub", sub_trust}, {0},
	};
	return cli_dispatch(node_cmd(), subs, ctx, argc, argv);
}

/* ---- exchange ---- */

typedef struct {
	json_t *j;
	int n;
} st_ctx;

static int status_row(const hl_exchange_peer_status *r, void *ud)
{
	st_ctx *c = ud;
	char t1[32], t2[32], t3[32];
	if (c->j) {
		json_array_append_new(c->j, hl_exchange_peer_status_json(r));
		return 0;
	}
	if (!c->n++)
		printf("%-8s %7s %-19s %4s %-19s %-19s %s\n", "PEER", "WAITING", "OLDEST WAITING",
		       "HELD", "LAST SUCCESS", "LAST ERROR AT", "LAST ERROR");
	printf("%-8s %7lld %-19s %4lld %-19s %-19s %s\n", r->peer, (long long)r->waiting,
	       cli_local_time(t1, r->oldest_waiting_ms), (long long)r->held,
	       cli_local_time(t2, r->last_success_ms), cli_local_time(t3, r->last_error_ms),
	       r->last_error ? r->last_error : "");
	return 0;
}

static int reject_row(const hl_exchange_reject_row *r, void *ud)
{
	st_ctx *c = ud;
	char t[32];
	if (c->j) {
		json_array_append_new(c->j, hl_exchange_reject_json(r));
		return 0;
	}
	if (!c->n++)
		printf("\nRefused messages, newest first:\n");
	printf("  %s  %-8s %-36s %-16s %s\n", cli_local_time(t, r->at_ms),
	       r->sender ? r->sender : "?", r->msg_id ? r->msg_id : "?", r->reason, r->detail);
	return 0;
}

static int sub_status(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	st_ctx peers = {0}, rejects = {0};
	long limit = 10;
	opts o;
	int rc;

	if ((rc = parse(&o, exchange_cmd(), argc, argv, 0, "jL")) != 0)
		return rc;
	if (o.limit) {
		char *end;
		errno = 0;
		limit = strtol(o.limit, &end, 10);
		if (errno || *end || limit < 0 || limit > 1000)
			return cli_usage_error(exchange_cmd(), "status: --limit is 0 to 1000");
	}
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	if (o.json) {
		peers.j = json_array();
		rejects.j = json_array();
	}
	rc = hl_exchange_status(hl_archive_store(a), status_row, &peers);
	if (rc == 0 && limit > 0)
		rc = hl_exchange_rejects(hl_archive_store(a), (size_t)limit, reject_row, &rejects);
	hl_archive_free(a);
	if (rc < 0) {
		json_decref(peers.j);
		json_decref(rejects.j);
		return cli_fail();
	}
	if (o.json) {
		json_t *out = json_object();
		json_object_set_new(out, "peers", peers.j);
		json_object_set_new(out, "rejected", rejects.j);
		cli_print_json(out);
	} else if (!peers.n && !rejects.n) {
		printf("no peers and no messages yet\n");
	}
	return EXIT_OK;
}

static int outbox_row(const hl_exchange_outbox_row *r, void *ud)
{
	st_ctx *c = ud;
	char t1[32], t2[32];
	if (c->j) {
		/* the node's operator sees the peers' answers */
		json_array_append_new(c->j, hl_exchange_outbox_row_json(r, 1));
		return 0;
	}
	if (!c->n++)
		printf("%-8s %6s %-12s %-36s %-19s %8s %-19s %s\n", "TO", "SEQ", "TYPE", "ID",
		       "CREATED", "ATTEMPTS", "NEXT ATTEMPT", "LAST ERROR");
	printf("%-8s %6lld %-12s %-36s %-19s %8lld %-19s %s\n", r->recipient, (long long)r->seq,
	       r->type, r->id, cli_local_time(t1, r->created_ms), (long long)r->attempts,
	       cli_local_time(t2, r->next_attempt_ms), r->last_error ? r->last_error : "");
	return 0;
}

static int sub_outbox(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	st_ctx c = {0};
	opts o;
	int rc;

	if ((rc = parse(&o, exchange_cmd(), argc, argv, 1, "j")) != 0)
		return rc;
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	if (o.json)
		c.j = json_array();
	rc = hl_exchange_outbox_pending(hl_archive_store(a), o.nargs ? o.args[0] : NULL, 0, 0,
	                                outbox_row, &c);
	hl_archive_free(a);
	if (rc < 0) {
		json_decref(c.j);
		return cli_fail();
	}
	if (c.j)
		cli_print_json(c.j);
	else if (!c.n)
		printf("nothing waits in the outbox\n");
	return EXIT_OK;
}

static int sub_send(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	hl_node *n = NULL;
	size_t sent = 0, failed = 0;
	opts o;
	int rc;

	if ((rc = parse(&o, exchange_cmd(), argc, argv, 0, "j")) != 0)
		return rc;
	if (cli_open_node(&a, &n, ctx) < 0)
		return cli_fail();
	rc = hl_exchange_send_due(&sent, &failed, n, NULL);
	hl_node_free(n);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o.json) {
		json_t *j = json_object();
		json_object_set_new(j, "sent", json_integer((json_int_t)sent));
		json_object_set_new(j, "failed", json_integer((json_int_t)failed));
		cli_print_json(j);
	} else {
		printf("sent %zu, failed %zu%s\n", sent, failed,
		       failed ? " (retried later with backoff; see `halong exchange status`)" : "");
	}
	return failed ? EXIT_PARTIAL : EXIT_OK;
}

static int cmd_exchange(cli_ctx *ctx, int argc, char **argv)
{
	static const cli_sub subs[] = {
	    {"status", sub_status},
	    {"outbox", sub_outbox},
	    {"send", sub_send},
	    {0},
	};
	return cli_dispatch(exchange_cmd(), subs, ctx, argc, argv);
}

const cli_command cli_node_commands[] = {
    {"node", cmd_node, "this node's identity and the hub's directory of nodes",
     "node SUBCOMMAND [ARGS]\n\n"
     "  init --unit CODE --url URL     make this node's Ed25519 key pair (the secret key in\n"
     "                                 DATA_DIR/keys/node.key, mode 0600, never printed)\n"
     "  show [--json]                  unit, URL, public key, directory version\n"
     "  enrol CODE --url URL --key KEY [--may-send T,...] [--may-receive T,...] [--restricted]\n"
     "                                 on the hub: add or replace a node; T is a message type\n"
     "                                 (document, report, feed.units, ...; * for any);\n"
     "                                 --restricted: it may hold restricted records\n"
     "  revoke CODE                    on the hub: its messages are refused from now on\n"
     "  list [--json]                  the directory held here\n"
     "  directory export FILE          on the hub: the directory, signed by this node\n"
     "  directory import FILE [--hub-key KEY]\n"
     "                                 on a commune: verify with the hub key and hold it; an\n"
     "                                 older version or a bad signature is refused and the\n"
     "                                 last good copy stays\n"
     "  trust-hub KEY                  on a commune: the hub's public key, given at setup\n"
     "                                 (set once)"},
    {"exchange", cmd_exchange, "messages between nodes: status per peer",
     "exchange SUBCOMMAND [ARGS]\n\n"
     "  status [--limit N] [--json]    per peer: messages waiting, the oldest, held (waiting\n"
     "                                 for an earlier one), last success, last error; then\n"
     "                                 the newest N refused messages with their reason\n"
     "                                 (default 10)\n"
     "  outbox [PEER] [--json]         the messages waiting, by peer and sequence\n"
     "  send [--json]                  one delivery pass: POST each due message to its\n"
     "                                 peer; failures are retried later with backoff\n"
     "                                 (exit 3 if some failed)\n\n"
     "Times are shown in Asia/Ho_Chi_Minh (UTC+7); --json gives UTC."},
    {0},
};
