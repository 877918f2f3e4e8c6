/* The feed command group: the reference-data feed from the province's hub to every commune —
 * publish on the hub, one pull pass by hand on a commune, and the state of each feed. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "halong/auth.h"
#include "halong/catalog.h"
#include "halong/exchange_json.h"
#include "halong/feed.h"
#include "halong/util.h"
#include "halong/config.h"

extern const cli_cmd cli_feed_commands[];

typedef struct {
	int json;
	const char *url;
} opts;

#define JSON_OPT CLI_FLAG_OPT("json", 0, opts, json, "as JSON")

static const cli_opt json_only[] = {JSON_OPT, CLI_OPT_END};
static const cli_opt pull_opts[] = {
    CLI_TEXT_OPT("url", 0, opts, url, "URL", "the hub's (default: the directory's)"),
    JSON_OPT,
    CLI_OPT_END,
};

/* The shipped units data, as `halong units load` finds it. */
static char *default_dir(const char *feed)
{
	return hl_path_join(hl_config_data_dir(), feed); /* $HALONG_DATA, else the shipped data */
}

static int sub_publish(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	const char *feed = args->args[0];
	hl_archive *a = NULL;
	hl_node *n = NULL;
	hl_feed_publish_stats s;
	char *dir;
	int rc;
	char *made = NULL; /* datasets: the folder the dataset's files are written to */
	if (!hl_feed_known(feed))
		return cli_usage(args->cmd, "no feed named %s (known: units, datasets)", feed);
	if (!strcmp(feed, "datasets") && args->nargs < 2)
		return cli_usage(args->cmd, "give the dataset's id (a public dataset)");
	dir = args->nargs > 1 ? hl_strdup(args->args[1]) : default_dir(feed);
	if (cli_open_node(&a, &n, args->ctx) < 0) {
		free(dir);
		return cli_fail();
	}
	if (!strcmp(feed, "datasets")) {
		/* DIR is a dataset's id: its current version written as the entry's files */
		hl_principal who = hl_principal_local(cli_actor());
		char *tmp = hl_path_join(hl_archive_dir(a), "tmp");
		made = tmp && hl_mkdir_p(tmp, 0700) == 0 ? hl_path_join(tmp, "halong-dsfeed-XXXXXX")
		                                         : NULL;
		free(tmp);
		if (!made || !mkdtemp(made)) {
			rc = hl_error_set(HL_EIO,
			                  "cannot make a private folder for the dataset's files");
			free(made);
			made = NULL;
		} else {
			rc = hl_dataset_feed_write(NULL, hl_archive_store(a), &who, dir, made);
		}
		if (rc == 0)
			rc = hl_feed_publish(&s, n, feed, made, cli_actor());
	} else {
		rc = hl_feed_publish(&s, n, feed, dir, cli_actor());
	}
	if (made) {
		for (int i = 0; hl_dataset_feed_files[i]; i++) {
			char *f = hl_path_join(made, hl_dataset_feed_files[i]);
			if (f)
				unlink(f);
			free(f);
		}
		rmdir(made);
		free(made);
	}
	hl_node_free(n);
	hl_archive_free(a);
	if (rc < 0) {
		free(dir);
		return cli_fail();
	}
	if (o.json) {
		json_t *j = json_object();
		json_object_set_new(j, "feed", json_string(feed));
		json_object_set_new(j, "dir", json_string(dir));
		json_object_set_new(j, "seq", json_integer(s.seq));
		json_object_set_new(j, "unchanged", json_boolean(s.unchanged));
		json_object_set_new(j, "files", json_integer((json_int_t)s.files));
		json_object_set_new(j, "bytes", json_integer((json_int_t)s.bytes));
		json_object_set_new(j, "sha256", cli_jstr(s.sha256));
		json_object_set_new(j, "versions_added",
		                    json_integer((json_int_t)s.versions_added));
		json_object_set_new(j, "versions_split",
		                    json_integer((json_int_t)s.versions_split));
		json_object_set_new(j, "successions_added",
		                    json_integer((json_int_t)s.successions_added));
		json_object_set_new(j, "events_added", json_integer((json_int_t)s.events_added));
		cli_print_json(j);
	} else if (s.unchanged) {
		printf("feed publish: %s from %s: the same files were published before; the last "
		       "entry is %lld\n",
		       feed, dir, (long long)s.seq);
	} else {
		printf("feed publish: %s entry %lld (%zu files, %llu bytes, sha256 %s) from %s; "
		       "here %llu versions added, %llu split, %llu successions added, %llu events "
		       "added\n",
		       feed, (long long)s.seq, s.files, (unsigned long long)s.bytes, s.sha256, dir,
		       (unsigned long long)s.versions_added, (unsigned long long)s.versions_split,
		       (unsigned long long)s.successions_added, (unsigned long long)s.events_added);
	}
	free(dir);
	return EXIT_OK;
}

static int sub_pull(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	const char *feed = args->nargs ? args->args[0] : "units";
	hl_archive *a = NULL;
	hl_node *n = NULL;
	hl_feed_pull_stats s = {0};
	hl_feed_pull_opts po = {0};
	int rc;
	if (!hl_feed_known(feed))
		return cli_usage(args->cmd, "no feed named %s (known: units, datasets)", feed);
	if (cli_open_node(&a, &n, args->ctx) < 0)
		return cli_fail();
	po.hub_url = o.url;
	po.actor = cli_actor();
	/* The entries' files go to DATA_DIR/tmp (see the server's sender thread). */
	char *tmp = hl_path_join(hl_archive_dir(a), "tmp");
	if (tmp && hl_mkdir_p(tmp, 0700) == 0)
		po.tmp_dir = tmp;
	rc = hl_feed_pull(&s, n, feed, &po);
	free(tmp);
	hl_node_free(n);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o.json) {
		json_t *j = json_object();
		json_object_set_new(j, "feed", json_string(feed));
		json_object_set_new(j, "applied", json_integer((json_int_t)s.applied));
		json_object_set_new(j, "seq", json_integer(s.seq));
		json_object_set_new(j, "hub_seq",
		                    s.hub_seq >= 0 ? json_integer(s.hub_seq) : json_null());
		cli_print_json(j);
	} else {
		printf("feed pull: %s: %zu entries applied; at %lld of the hub's %lld\n", feed,
		       s.applied, (long long)s.seq, (long long)s.hub_seq);
	}
	return EXIT_OK;
}

typedef struct {
	int json;
	json_t *arr;
} status_ud;

static int status_row(const hl_feed_status_row *r, void *ud)
{
	status_ud *u = ud;
	char t1[32], t2[32], t3[32];
	if (u->json) {
		json_array_append_new(u->arr, hl_feed_status_row_json(r));
		return 0;
	}
	if (r->publisher) {
		printf("%-10s %-8s %8lld %8lld %-19s %-19s %s\n", r->feed, "hub", (long long)r->seq,
		       (long long)r->seq, "-", "-", "-");
		return 0;
	}
	char hub[24];
	if (r->hub_seq >= 0)
		snprintf(hub, sizeof(hub), "%lld", (long long)r->hub_seq);
	else
		snprintf(hub, sizeof(hub), "?");
	printf("%-10s %-8s %8lld %8s %-19s %-19s %s%s%s\n", r->feed, "commune", (long long)r->seq,
	       hub, cli_local_time(t1, r->last_pull_ms), cli_local_time(t2, r->last_applied_ms),
	       r->last_error ? cli_local_time(t3, r->last_error_ms) : "-",
	       r->last_error ? "  " : "", r->last_error ? r->last_error : "");
	return 0;
}

static int sub_status(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_archive *a = NULL;
	status_ud u = {0};
	int rc;
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	u.json = o.json;
	if (o.json)
		u.arr = json_array();
	else
		printf("%-10s %-8s %8s %8s %-19s %-19s %s\n", "FEED", "ROLE", "AT", "HUB",
		       "LAST PULL", "LAST APPLIED", "LAST ERROR");
	rc = hl_feed_status(hl_archive_store(a), status_row, &u);
	hl_archive_free(a);
	if (rc < 0) {
		json_decref(u.arr);
		return cli_fail();
	}
	if (o.json) {
		json_t *j = json_object();
		json_object_set_new(j, "feeds", u.arr);
		cli_print_json(j);
	}
	return EXIT_OK;
}

#define FEED (&cli_feed_commands[0])
static const cli_cmd feed_subs[] = {
    {.name = "publish",
     .summary = "on the hub: load DIR here and append a signed entry holding its files",
     .operands = "FEED [DIR]",
     .min_args = 1,
     .max_args = 2,
     .missing = "give the feed (units, datasets)",
     .opts = json_only,
     .opts_size = sizeof(opts),
     .run = sub_publish,
     .group = FEED,
     .help = "FEED: units. DIR defaults to the shipped data of FEED, as `units load` finds it.\n"
             "One transaction; nothing when the same files were published before.\n"
             "FEED datasets: DIR is a PUBLIC dataset's id; its current version is published "
             "(the feed is served to anyone: nothing above public goes in it)."},
    {.name = "pull",
     .summary = "on a commune: one pass by hand (halong serve pulls at start and every minute)",
     .operands = "[FEED]",
     .max_args = 1,
     .opts = pull_opts,
     .opts_size = sizeof(opts),
     .run = sub_pull,
     .group = FEED,
     .help = "The entries after this node's position, each checked against the hub's key and\n"
             "applied in order, once. FEED defaults to units."},
    {.name = "status",
     .summary = "per feed: the position, the hub's last entry, last pull, last applied, last "
                "error",
     .opts = json_only,
     .opts_size = sizeof(opts),
     .run = sub_status,
     .group = FEED},
    {0},
};
#undef FEED

const cli_cmd cli_feed_commands[] = {
    {.name = "feed",
     .summary = "reference data from the province's hub to every commune",
     .subs = feed_subs,
     .help = "Times are shown in Asia/Ho_Chi_Minh (UTC+7); --json gives UTC."},
    {0},
};
