/* The backup commands: backup (--to, list, verify, prune, keygen) and restore; the rules are the
 * library's (include/halong/backup.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "halong/backup.h"

typedef struct {
	int json, prune, dry_run, force, rehash;
	cli_texts to;
	const char *home, *key_file, *expect_key;
	const char *keep_daily, *keep_weekly, *keep_monthly;
} opts;

static const cli_opt backup_table[] = {
    CLI_TEXTS_OPT("to", opts, to, "DIR",
                  "a target folder; again for each (default: HALONG_BACKUP_TARGETS)"),
    CLI_TEXT_OPT("key-file", 0, opts, key_file, "FILE",
                 "the backup key: encrypt, or read an encrypted backup (default: "
                 "HALONG_BACKUP_KEY_FILE)"),
    CLI_TEXT_OPT("expect-key", 0, opts, expect_key, "KEY",
                 "verify: the node key the backup must carry (a public key, a file holding "
                 "one, or a node's data directory) instead of the target's node.pub"),
    CLI_FLAG_OPT("prune", 0, opts, prune, "after the backup, prune each target"),
    CLI_FLAG_OPT("rehash", 0, opts, rehash,
                 "read and hash the blobs already on the targets too (a damaged one is replaced)"),
    CLI_TEXT_OPT("keep-daily", 0, opts, keep_daily, "N",
                 "prune: daily backups kept (default HALONG_BACKUP_KEEP_DAILY or 7)"),
    CLI_TEXT_OPT("keep-weekly", 0, opts, keep_weekly, "N",
                 "prune: weekly backups kept (default HALONG_BACKUP_KEEP_WEEKLY or 4)"),
    CLI_TEXT_OPT("keep-monthly", 0, opts, keep_monthly, "N",
                 "prune: monthly backups kept (default HALONG_BACKUP_KEEP_MONTHLY or 12)"),
    CLI_FLAG_OPT("dry-run", 0, opts, dry_run, "prune: say what would be removed, remove nothing"),
    CLI_FLAG_OPT("json", 0, opts, json, "as JSON"),
    CLI_OPT_END,
};
static const cli_opt restore_table[] = {
    CLI_NEEDED_OPT("home", opts, home, "DIR",
                   "the new data directory (absent or empty; a node's with --force)"),
    CLI_FLAG_OPT("force", 0, opts, force,
                 "over a node's data directory: moved aside to DIR.before-restore-<UTC time>"),
    CLI_TEXT_OPT("key-file", 0, opts, key_file, "FILE",
                 "the backup key of an encrypted backup (default: HALONG_BACKUP_KEY_FILE)"),
    CLI_TEXT_OPT("expect-key", 0, opts, expect_key, "KEY",
                 "the node key the backup must carry, instead of the target's node.pub"),
    CLI_OPT_END,
};

typedef struct {
	json_t *list; /* --json: the problems, or what prune removes */
	int json;
} problems;

static void on_problem(const char *file, const char *kind, const char *detail, void *ud)
{
	problems *p = ud;
	if (p->json)
		json_array_append_new(p->list, json_pack("{s:s, s:s, s:s}", "file", file, "problem",
		                                         kind, "detail", detail));
	else
		fprintf(stderr, "%s: %s: %s\n", file, kind, detail);
}

static void on_warning(const char *msg, void *ud)
{
	(void)ud;
	fprintf(stderr, "halong: warning: %s\n", msg);
}

/* The targets: every --to, else $HALONG_BACKUP_TARGETS. *owned is freed by the caller. */
static int targets_of(const char ***t, size_t *n, char ***owned, const cli_args *args,
                      const opts *o)
{
	*owned = NULL;
	if (o->to.n) {
		*t = (const char **)o->to.v;
		*n = (size_t)o->to.n;
		return 0;
	}
	if (hl_backup_targets(owned, n) < 0)
		return cli_fail();
	if (*n == 0)
		return cli_usage(args->cmd,
		                 "give a target folder (--to DIR, again for a second one) "
		                 "or set HALONG_BACKUP_TARGETS");
	*t = (const char **)*owned;
	return 0;
}

static int keep_arg(unsigned *out, const cli_args *args, const char *name, const char *v)
{
	char *end;
	unsigned long n;
	if (!v)
		return 0;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (!*v || *v < '0' || *v > '9' || *end || errno || n > 100000)
		return cli_usage(args->cmd,
		                 "--%s wants a whole number from 0 to 100000, not \"%.40s\"", name,
		                 v);
	*out = (unsigned)n;
	return 0;
}

static int keep_of(hl_backup_keep *k, const cli_args *args, const opts *o)
{
	int rc;
	if (hl_backup_keep_get(k) < 0)
		return cli_fail();
	if ((rc = keep_arg(&k->daily, args, "keep-daily", o->keep_daily)) ||
	    (rc = keep_arg(&k->weekly, args, "keep-weekly", o->keep_weekly)) ||
	    (rc = keep_arg(&k->monthly, args, "keep-monthly", o->keep_monthly)))
		return rc;
	k->dry_run = o->dry_run;
	return 0;
}

static void on_pruned(const char *what, const char *name, const char *why, void *ud)
{
	problems *p = ud;
	if (p->json)
		json_array_append_new(
		    p->list, json_pack("{s:s, s:s, s:s}", "what", what, "name", name, "why", why));
	else
		printf("%s %s: %s\n", what, name, why);
}

/* Prunes each target; the outcome of each in `report` (JSON) or printed. */
static int prune_targets(const char *const *t, size_t n, const hl_backup_keep *k, json_t *report,
                         int json)
{
	for (size_t i = 0; i < n; i++) {
		problems pr = {.json = json, .list = json ? json_array() : NULL};
		hl_backup_pruned res;
		if (!json)
			printf("prune %s%s:\n", t[i],
			       k->dry_run ? " (dry run: nothing removed)" : "");
		if (hl_backup_prune(&res, t[i], k, on_pruned, &pr) < 0) {
			json_decref(pr.list);
			return cli_fail();
		}
		if (json)
			json_array_append_new(
			    report,
			    json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:o}", "target", t[i],
			              "dry_run", k->dry_run, "kept", (json_int_t)res.kept,
			              "removed", (json_int_t)res.removed, "blobs_removed",
			              (json_int_t)res.blobs_removed, "bytes_removed",
			              (json_int_t)res.bytes_removed, "unreadable",
			              (json_int_t)res.unreadable, "items", pr.list));
		else
			printf(
			    "prune %s: %llu backups kept, %llu %s, %llu blobs (%llu bytes) %s%s\n",
			    t[i], (unsigned long long)res.kept, (unsigned long long)res.removed,
			    k->dry_run ? "would go" : "removed",
			    (unsigned long long)res.blobs_removed,
			    (unsigned long long)res.bytes_removed,
			    k->dry_run ? "would go" : "removed",
			    res.unreadable ? " (blobs kept: a backup's manifest cannot be read)"
			                   : "");
	}
	return EXIT_OK;
}

static int do_make(const cli_args *args, const opts *o)
{
	hl_archive *a = NULL;
	hl_backup_stats st[HL_BACKUP_TARGETS_MAX];
	hl_backup_opts bo = {.key_file = o->key_file, .rehash = o->rehash};
	hl_backup_keep keep;
	const char **t;
	char **owned;
	size_t n;
	cli_progress p;
	json_t *list = NULL, *pruned = NULL;
	int rc;

	if ((rc = targets_of(&t, &n, &owned, args, o)) != 0)
		return rc;
	if (n > HL_BACKUP_TARGETS_MAX) {
		hl_backup_targets_free(owned, n);
		return cli_usage(args->cmd, "at most %d targets", HL_BACKUP_TARGETS_MAX);
	}
	if (o->prune && (rc = keep_of(&keep, args, o)) != 0) {
		hl_backup_targets_free(owned, n);
		return rc;
	}
	hl_backup_targets_warn(t, n, on_warning, NULL);
	if (cli_open(&a, args->ctx) < 0) {
		hl_backup_targets_free(owned, n);
		return cli_fail();
	}
	cli_progress_init(&p, o->json);
	rc = hl_backup_make(st, a, t, n, &bo, cli_progress_cb, &p);
	cli_progress_done(&p);
	hl_archive_free(a);
	if (rc < 0) {
		hl_backup_targets_free(owned, n);
		return cli_fail();
	}
	list = o->json ? json_array() : NULL;
	for (size_t i = 0; i < n; i++) {
		if (o->json) {
			json_array_append_new(
			    list,
			    json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:b}",
			              "backup", st[i].name, "target", t[i], "documents",
			              (json_int_t)st[i].documents, "files", (json_int_t)st[i].files,
			              "blobs", (json_int_t)st[i].blobs, "blobs_copied",
			              (json_int_t)st[i].blobs_copied, "blobs_present",
			              (json_int_t)st[i].blobs_present, "bytes_copied",
			              (json_int_t)st[i].bytes_copied, "signed", st[i].is_signed,
			              "encrypted", st[i].is_encrypted));
		} else {
			printf(
			    "backup: %s/%s: %lld documents, %llu blobs (%llu copied, %llu already "
			    "there, %llu bytes), %s%s\n",
			    t[i], st[i].name, (long long)st[i].documents,
			    (unsigned long long)st[i].blobs, (unsigned long long)st[i].blobs_copied,
			    (unsigned long long)st[i].blobs_present,
			    (unsigned long long)st[i].bytes_copied,
			    st[i].is_signed
			        ? "signed with the node's key"
			        : "UNSIGNED (this node has no identity: halong node init)",
			    st[i].is_encrypted ? ", encrypted" : "");
		}
	}
	rc = EXIT_OK;
	if (o->prune) {
		pruned = o->json ? json_array() : NULL;
		rc = prune_targets(t, n, &keep, pruned, o->json);
	}
	if (o->json) {
		/* one target: the object of earlier versions, with the others beside it */
		json_t *out = json_deep_copy(json_array_get(list, 0));
		json_object_set_new(out, "targets", list);
		if (pruned)
			json_object_set_new(out, "pruned", pruned);
		if (rc == EXIT_OK)
			cli_print_json(out);
		else
			json_decref(out);
	}
	hl_backup_targets_free(owned, n);
	return rc;
}

static int list_one(const hl_backup_entry *e, void *ud)
{
	json_t *list = ud;
	if (list)
		return json_array_append_new(
		    list,
		    json_pack("{s:s, s:o, s:o, s:i, s:I, s:I, s:b, s:b}", "backup", e->name,
		              "created_at", cli_jstr(e->created_at), "halong_version",
		              cli_jstr(e->halong_version), "schema_version", e->schema_version,
		              "documents", (json_int_t)e->documents, "blobs", (json_int_t)e->blobs,
		              "signed", e->is_signed, "encrypted", e->is_encrypted));
	if (!e->created_at)
		printf("%s  (no readable manifest)\n", e->name);
	else
		printf("%s  %s  %lld documents  %lld blobs  %s%s\n", e->name, e->created_at,
		       (long long)e->documents, (long long)e->blobs,
		       e->is_signed ? "signed" : "unsigned", e->is_encrypted ? "  encrypted" : "");
	return 0;
}

static int do_list(const cli_args *args, const opts *o)
{
	json_t *list = o->json ? json_array() : NULL;
	if (args->nargs != 2) {
		json_decref(list);
		return cli_usage(args->cmd, "give the target folder: backup list DIR");
	}
	if (hl_backup_list(args->args[1], list_one, list) < 0) {
		json_decref(list);
		return cli_fail();
	}
	if (list)
		cli_print_json(json_pack("{s:o}", "backups", list));
	return EXIT_OK;
}

static int do_verify(const cli_args *args, const opts *o)
{
	problems pr = {.json = o->json, .list = o->json ? json_array() : NULL};
	hl_backup_read_opts ro = {.key_file = o->key_file, .expect_key = o->expect_key};
	hl_backup_check c = {0};
	int rc;

	if (args->nargs != 2) {
		json_decref(pr.list);
		return cli_usage(args->cmd, "give the backup: backup verify BACKUP_DIR");
	}
	rc = hl_backup_verify(&c, args->args[1], &ro, on_problem, &pr);
	if (rc < 0 && rc != HL_EINVALID) {
		json_decref(pr.list);
		return cli_fail();
	}
	if (o->json) {
		cli_print_json(json_pack("{s:s, s:b, s:I, s:I, s:b, s:b, s:b, s:o}", "backup",
		                         args->args[1], "ok", rc == 0, "files", (json_int_t)c.files,
		                         "blobs", (json_int_t)c.blobs, "signed", c.is_signed,
		                         "encrypted", c.is_encrypted, "plaintext_checked",
		                         c.plaintext_checked, "problems", pr.list));
	} else if (rc == 0) {
		printf("verify: %s: OK, %llu files and %llu blobs match the manifest, %s%s\n",
		       args->args[1], (unsigned long long)c.files, (unsigned long long)c.blobs,
		       c.is_signed ? "signature valid" : "UNSIGNED",
		       !c.is_encrypted       ? ""
		       : c.plaintext_checked ? ", encrypted (decrypted and checked with the key)"
		                             : ", encrypted (ciphertext checked; give --key-file "
		                               "to check the plaintext too)");
	} else {
		fprintf(stderr, "halong: %s\n", hl_error_last());
	}
	return rc == 0 ? EXIT_OK : EXIT_ERR;
}

static int do_prune(const cli_args *args, const opts *o)
{
	hl_backup_keep keep;
	const char **t;
	char **owned;
	size_t n;
	json_t *report = o->json ? json_array() : NULL;
	int rc;

	if (args->nargs != 1) {
		json_decref(report);
		return cli_usage(args->cmd, "backup prune takes its targets with --to DIR");
	}
	if ((rc = targets_of(&t, &n, &owned, args, o)) != 0 ||
	    (rc = keep_of(&keep, args, o)) != 0) {
		hl_backup_targets_free(owned, n);
		json_decref(report);
		return rc;
	}
	rc = prune_targets(t, n, &keep, report, o->json);
	if (o->json && rc == EXIT_OK)
		cli_print_json(json_pack("{s:o}", "targets", report));
	else
		json_decref(report);
	hl_backup_targets_free(owned, n);
	return rc;
}

static int do_keygen(const cli_args *args)
{
	if (args->nargs != 2)
		return cli_usage(args->cmd, "give the key file to write: backup keygen FILE");
	if (hl_backup_keygen(args->args[1]) < 0)
		return cli_fail();
	printf("keygen: %s: a new backup key (mode 0600). Keep a copy away from the backups: "
	       "without it an encrypted backup cannot be restored.\n",
	       args->args[1]);
	return EXIT_OK;
}

static int cmd_backup(const cli_args *args)
{
	const opts *o = args->opts;
	if (args->nargs == 0)
		return do_make(args, o);
	if (!strcmp(args->args[0], "list"))
		return do_list(args, o);
	if (!strcmp(args->args[0], "verify"))
		return do_verify(args, o);
	if (!strcmp(args->args[0], "prune"))
		return do_prune(args, o);
	if (!strcmp(args->args[0], "keygen"))
		return do_keygen(args);
	return cli_usage(args->cmd,
	                 "unknown subcommand \"%s\" (list, verify, prune, keygen, or --to DIR)",
	                 args->args[0]);
}

static int cmd_restore(const cli_args *args)
{
	const opts *o = args->opts;
	hl_backup_read_opts ro = {
	    .key_file = o->key_file, .expect_key = o->expect_key, .force = o->force};
	hl_backup_restored res = {0};
	problems pr = {0};
	cli_progress p;
	int rc;

	cli_progress_init(&p, 0);
	rc = hl_backup_restore(&res, args->args[0], o->home, &ro, on_problem, &pr, cli_progress_cb,
	                       &p);
	cli_progress_done(&p);
	if (rc < 0)
		return cli_fail();
	printf("restore: %s restored into %s (search index rebuilt)\n", args->args[0], o->home);
	if (res.snapshot[0])
		printf("restore: the node it replaced is kept in %s\n", res.snapshot);
	return EXIT_OK;
}

const cli_cmd cli_backup_commands[] = {
    {.name = "backup",
     .summary = "back up the node (--to DIR...); list, verify or prune backups; make a key",
     .operands = "[list DIR | verify BACKUP_DIR | prune | keygen FILE]",
     .min_args = 0,
     .max_args = 2,
     .opts = backup_table,
     .opts_size = sizeof(opts),
     .run = cmd_backup,
     .help = "`backup` copies the running node into each target (every --to, else the folders\n"
             "of HALONG_BACKUP_TARGETS, separated by ':') as TARGET/halong-backup-<UTC time>/:\n"
             "the store (SQLite's online backup, taken once), keys, halong.conf and a manifest\n"
             "signed with the node's key; blobs go to TARGET/blobs/, shared by every backup of\n"
             "TARGET (one already there is not copied again). The search index is not copied.\n"
             "With one target, or two on one file system, it warns: Circular 02/2019/TT-BNV\n"
             "asks for two copies on separate media. With a key (--key-file or\n"
             "HALONG_BACKUP_KEY_FILE; `backup keygen FILE` makes one) every file is encrypted.\n"
             "`backup verify` re-hashes everything against the manifest and checks the\n"
             "signature against the target's node.pub (or --expect-key); exit 1 naming each\n"
             "problem. `backup prune` keeps the newest backup of the last N days, weeks and\n"
             "months (UTC) and the newest of all, and removes the rest and unused blobs."},
    {.name = "restore",
     .summary = "restore a backup into a new data directory, or over a node (--force)",
     .operands = "BACKUP_DIR",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the backup folder",
     .opts = restore_table,
     .opts_size = sizeof(opts),
     .run = cmd_restore,
     .help = "Verifies the backup first; --home must be absent or empty, or with --force a\n"
             "node's data directory that no process has open (stop `halong serve` first): it\n"
             "is moved aside to DIR.before-restore-<UTC time> once the restored node is whole.\n"
             "The search index is rebuilt from the restored store."},
    {0},
};
