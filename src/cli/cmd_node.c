/* The node and exchange command groups: this node's identity, the hub's directory (enrol,
 * revoke, list, export signed, import verified, trust-hub) and the exchange status per peer.
 * The secret key is never printed: only the public half. */
#include <errno.h>
#include <stddef.h>
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

extern const cli_cmd cli_node_commands[];

typedef struct {
	int json, restricted, lost, now;
	const char *unit, *url, *key, *may_send, *may_receive, *hub_key;
	uint64_t limit;
} opts;

#define JSON_OPT CLI_FLAG_OPT("json", 0, opts, json, "as JSON")

static const cli_opt json_only[] = {JSON_OPT, CLI_OPT_END};
static const cli_opt xsend_opts[] = {
    CLI_FLAG_OPT("now", 0, opts, now, "also the messages whose retry is not due yet"),
    JSON_OPT,
    CLI_OPT_END,
};
static const cli_opt rotate_opts[] = {
    CLI_FLAG_OPT("lost", 0, opts, lost, "the old key file is lost or damaged: replace it unread"),
    JSON_OPT,
    CLI_OPT_END,
};
static const cli_opt init_opts[] = {
    CLI_NEEDED_OPT("unit", opts, unit, "CODE", "the unit this node serves"),
    CLI_NEEDED_OPT("url", opts, url, "URL", "where the other nodes reach this one"),
    CLI_OPT_END,
};
static const cli_opt enrol_opts[] = {
    CLI_NEEDED_OPT("url", opts, url, "URL", "where the node is reached"),
    CLI_NEEDED_OPT("key", opts, key, "KEY", "its public key (as its `node show` prints it)"),
    /* "" is a list of no types: the node may send (receive) nothing, as when not given */
    {.name = "may-send",
     .kind = CLI_TEXT,
     .off = offsetof(opts, may_send),
     .arg = "T,...",
     .flags = CLI_EMPTY_OK,
     .help = "the message types it may send"},
    {.name = "may-receive",
     .kind = CLI_TEXT,
     .off = offsetof(opts, may_receive),
     .arg = "T,...",
     .flags = CLI_EMPTY_OK,
     .help = "the message types it may receive"},
    CLI_FLAG_OPT("restricted", 0, opts, restricted, "it may hold restricted records"),
    CLI_OPT_END,
};
static const cli_opt import_opts[] = {
    CLI_TEXT_OPT("hub-key", 0, opts, hub_key, "KEY",
                 "the hub's public key: held if none is, else it must be the one held"),
    CLI_OPT_END,
};
static const cli_opt status_opts[] = {
    CLI_COUNT_OPT("limit", opts, limit, "N", 0, 1000, "10", "the newest N refused messages"),
    JSON_OPT,
    CLI_OPT_END,
};

/* ---- node ---- */

static int sub_init(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_archive *a = NULL;
	hl_node *n = NULL;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
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

static int sub_rotate(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_archive *a = NULL;
	char pk[45];

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	if (hl_node_rotate_key(pk, hl_archive_store(a), hl_archive_dir(a), o.lost, cli_actor()) <
	    0) {
		hl_archive_free(a);
		return cli_fail();
	}
	if (o.json) {
		cli_print_json(json_pack("{s:s}", "public_key", pk));
	} else
		printf(
		    "new public key %s\n(the old key is kept in %s/keys/node.key.retired-*)\n"
		    "next: the hub re-enrols this node with the new key (halong node enrol CODE "
		    "--url URL --key KEY), exports the directory, and every node imports it;\n"
		    "until then peers refuse this node's messages and they wait in the outbox.\n",
		    pk, hl_archive_dir(a));
	hl_archive_free(a);
	return EXIT_OK;
}

static int sub_show(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_archive *a = NULL;
	hl_node *n = NULL;
	int64_t version = 0, issued = 0;
	int imported = 0;

	if (cli_open_node(&a, &n, args->ctx) < 0)
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
		json_object_set_new(j, "directory_issued_at", hl_exchange_time_json(issued));
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

static int sub_enrol(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_archive *a = NULL;
	int rc;

	hl_node_entry e = {args->args[0],
	                   o.url,
	                   o.key,
	                   o.may_send ? o.may_send : "",
	                   o.may_receive ? o.may_receive : "",
	                   o.restricted};
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_node_enrol(hl_archive_store(a), &e, cli_actor());
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("node %s enrolled: may send [%s], may receive [%s]%s\n", e.unit, e.may_send,
	       e.may_receive, e.restricted ? ", may hold restricted records" : "");
	return EXIT_OK;
}

static int sub_revoke(const cli_args *args)
{
	const char *code = args->args[0];
	hl_archive *a = NULL;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_node_revoke(hl_archive_store(a), code, cli_actor());
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("node %s revoked; export the directory so that every node learns it\n", code);
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

static int sub_list(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_archive *a = NULL;
	json_t *j = NULL;
	int rc, n = 0;

	if (cli_open(&a, args->ctx) < 0)
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

static int sub_export(const cli_args *args)
{
	const char *file = args->args[0];
	hl_archive *a = NULL;
	hl_node *n = NULL;
	char *dir = NULL;
	int rc;

	if (cli_open_node(&a, &n, args->ctx) < 0)
		return cli_fail();
	rc = hl_node_directory_export(&dir, n);
	if (rc == 0) {
		size_t len = strlen(dir);
		dir[len] = '\n';
		rc = hl_write_atomic(file, dir, len + 1, 0644);
	}
	free(dir);
	hl_node_free(n);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("directory written to %s, signed by this node\n", file);
	return EXIT_OK;
}

static int sub_import(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_archive *a = NULL;
	size_t len = 0;
	int64_t v = 0;
	int rc;
	char *text = slurp(&len, args->args[0], HL_EXCHANGE_MAX_DIRECTORY);

	if (!text)
		return cli_fail();
	/* A trailing newline is not part of the signed JSON's meaning; the parser skips it. */
	if (cli_open(&a, args->ctx) < 0) {
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

static int sub_trust(const cli_args *args)
{
	hl_archive *a = NULL;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_node_trust_hub(hl_archive_store(a), args->args[0], cli_actor());
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("hub key trusted: directories signed by it can be imported\n");
	return EXIT_OK;
}

/* ---- exchange ---- */

/* The text of status and outbox (their --json is the library's answer): rows printed. */
typedef struct {
	int n;
} st_ctx;

static int status_row(const hl_exchange_peer_status *r, void *ud)
{
	st_ctx *c = ud;
	char t1[32], t2[32], t3[32];
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
	if (!c->n++)
		printf("\nRefused messages, newest first:\n");
	printf("  %s  %-8s %-36s %-16s %s\n", cli_local_time(t, r->at_ms),
	       r->sender ? r->sender : "?", r->msg_id ? r->msg_id : "?", r->reason, r->detail);
	return 0;
}

static int sub_status(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_archive *a = NULL;
	st_ctx peers = {0}, rejects = {0};
	json_t *out = NULL;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	if (o.json) {
		/* the API's answer, as the node's operator asks it (docs/api.md: the same) */
		rc = hl_exchange_status_json(&out, hl_archive_store(a), cli_who(), (size_t)o.limit);
		hl_archive_free(a);
		if (rc < 0)
			return cli_fail();
		cli_print_json(out);
		return EXIT_OK;
	}
	rc = hl_exchange_status(hl_archive_store(a), status_row, &peers);
	if (rc == 0 && o.limit > 0)
		rc =
		    hl_exchange_rejects(hl_archive_store(a), (size_t)o.limit, reject_row, &rejects);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (!peers.n && !rejects.n)
		printf("no peers and no messages yet\n");
	return EXIT_OK;
}

static int outbox_row(const hl_exchange_outbox_row *r, void *ud)
{
	st_ctx *c = ud;
	char t1[32], t2[32];
	if (!c->n++)
		printf("%-8s %6s %-12s %-36s %-19s %8s %-19s %s\n", "TO", "SEQ", "TYPE", "ID",
		       "CREATED", "ATTEMPTS", "NEXT ATTEMPT", "LAST ERROR");
	printf("%-8s %6lld %-12s %-36s %-19s %8lld %-19s %s\n", r->recipient, (long long)r->seq,
	       r->type, r->id, cli_local_time(t1, r->created_ms), (long long)r->attempts,
	       cli_local_time(t2, r->next_attempt_ms), r->last_error ? r->last_error : "");
	return 0;
}

static int sub_outbox(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	const char *peer = args->nargs ? args->args[0] : NULL;
	hl_archive *a = NULL;
	st_ctx c = {0};
	json_t *out = NULL;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	if (o.json) {
		/* the API's rows, by the library's rule of who reads a last error; the array of
		 * its {"items"} */
		rc = hl_exchange_outbox_json(&out, hl_archive_store(a), cli_who(), peer, 0);
		hl_archive_free(a);
		if (rc < 0)
			return cli_fail();
		cli_print_json(json_incref(json_object_get(out, "items")));
		json_decref(out);
		return EXIT_OK;
	}
	rc = hl_exchange_outbox_pending(hl_archive_store(a), peer, 0, 0, outbox_row, &c);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (!c.n)
		printf("nothing waits in the outbox\n");
	return EXIT_OK;
}

static int sub_send(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_archive *a = NULL;
	hl_node *n = NULL;
	size_t sent = 0, failed = 0;
	int rc;

	if (cli_open_node(&a, &n, args->ctx) < 0)
		return cli_fail();
	{
		hl_exchange_send_opts so = {.all = o.now};
		rc = hl_exchange_send_due(&sent, &failed, n, &so);
	}
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

#define NODE      (&cli_node_commands[0])
#define EXCHANGE  (&cli_node_commands[1])
#define DIRECTORY (&node_subs[5])
/* Forward: directory's subcommands name it as their group, and it names them. */
static const cli_cmd directory_subs[3];
static const cli_cmd node_subs[] = {
    {.name = "init",
     .summary = "make this node's Ed25519 key pair",
     .opts = init_opts,
     .opts_size = sizeof(opts),
     .run = sub_init,
     .group = NODE,
     .help = "The secret key goes to DATA_DIR/keys/node.key, mode 0600, and is never printed."},
    {.name = "show",
     .summary = "unit, URL, public key, directory version",
     .opts = json_only,
     .opts_size = sizeof(opts),
     .run = sub_show,
     .group = NODE},
    {.name = "enrol",
     .summary = "on the hub: add or replace a node of the directory",
     .operands = "CODE",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the unit CODE",
     .opts = enrol_opts,
     .opts_size = sizeof(opts),
     .run = sub_enrol,
     .group = NODE,
     .help = "T is a message type (document, report, feed.units, ...; * for any)."},
    {.name = "revoke",
     .summary = "on the hub: the node's messages are refused from now on",
     .operands = "CODE",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the unit CODE",
     .run = sub_revoke,
     .group = NODE},
    {.name = "list",
     .summary = "the directory held here",
     .opts = json_only,
     .opts_size = sizeof(opts),
     .run = sub_list,
     .group = NODE},
    {.name = "directory",
     .summary = "the directory as a signed file: export on the hub, import on a commune",
     .subs = directory_subs,
     .group = NODE},
    {.name = "trust-hub",
     .summary = "on a commune: the hub's public key, given at setup (set once)",
     .operands = "KEY",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the hub's public KEY",
     .run = sub_trust,
     .group = NODE},
    {.name = "rotate-key",
     .summary = "on a commune: replace this node's key pair by a new one",
     .opts = rotate_opts,
     .opts_size = sizeof(opts),
     .run = sub_rotate,
     .group = NODE,
     .help = "The old key is kept as DATA_DIR/keys/node.key.retired-STAMP. The hub then\n"
             "re-enrols the node with the new public key and exports the directory."},
    {0},
};
static const cli_cmd directory_subs[3] = {
    {.name = "export",
     .summary = "on the hub: the directory, signed by this node",
     .operands = "FILE",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the FILE",
     .run = sub_export,
     .group = DIRECTORY},
    {.name = "import",
     .summary = "on a commune: verify with the hub key and hold it",
     .operands = "FILE",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the FILE",
     .opts = import_opts,
     .opts_size = sizeof(opts),
     .run = sub_import,
     .group = DIRECTORY,
     .help = "An older version or a bad signature is refused and the last good copy stays."},
    {0},
};
static const cli_cmd exchange_subs[] = {
    {.name = "status",
     .summary = "per peer: waiting, held, last success and error; the newest refused messages",
     .opts = status_opts,
     .opts_size = sizeof(opts),
     .run = sub_status,
     .group = EXCHANGE,
     .help = "Per peer: the messages waiting and the oldest of them, those held (waiting for an\n"
             "earlier one), the last success, the last error; then the newest N refused\n"
             "messages with their reason."},
    {.name = "outbox",
     .summary = "the messages waiting, by peer and sequence",
     .operands = "[PEER]",
     .max_args = 1,
     .opts = json_only,
     .opts_size = sizeof(opts),
     .run = sub_outbox,
     .group = EXCHANGE},
    {.name = "send",
     .summary = "one delivery pass: POST each due message to its peer",
     .opts = xsend_opts,
     .opts_size = sizeof(opts),
     .run = sub_send,
     .group = EXCHANGE,
     .help = "Failures are retried later with backoff; exit 3 if some failed. --now sends\n"
             "every waiting message at once, even those still in their backoff (a peer is\n"
             "back after an outage)."},
    {0},
};
#undef NODE
#undef EXCHANGE
#undef DIRECTORY

const cli_cmd cli_node_commands[] = {
    {.name = "node",
     .summary = "this node's identity and the hub's directory of nodes",
     .subs = node_subs},
    {.name = "exchange",
     .summary = "messages between nodes: status per peer",
     .subs = exchange_subs,
     .help = "Times are shown in Asia/Ho_Chi_Minh (UTC+7); --json gives UTC."},
    {0},
};
