/* The backup commands: backup (--to, list, verify) and restore; the rules are the library's
 * (include/halong/backup.h). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "halong/backup.h"

typedef struct {
	int json;
	const char *to, *home;
} opts;

static const cli_opt backup_table[] = {
    CLI_TEXT_OPT("to", 0, opts, to, "DIR", "the target folder (backups and their shared blobs/)"),
    CLI_FLAG_OPT("json", 0, opts, json, "as JSON"),
    CLI_OPT_END,
};
static const cli_opt restore_table[] = {
    CLI_NEEDED_OPT("home", opts, home, "DIR", "the new data directory (absent or empty)"),
    CLI_OPT_END,
};

typedef struct {
	json_t *list; /* --json: the problems */
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

static int do_make(const cli_args *args, const opts *o)
{
	hl_archive *a = NULL;
	hl_backup_stats st;
	cli_progress p;
	int rc;

	if (!o->to)
		return cli_usage(args->cmd, "give the target folder: --to DIR");
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	cli_progress_init(&p, o->json);
	rc = hl_backup_make(&st, a, o->to, cli_progress_cb, &p);
	cli_progress_done(&p);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json) {
		cli_print_json(json_pack(
		    "{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "backup", st.name, "target",
		    o->to, "documents", (json_int_t)st.documents, "files", (json_int_t)st.files,
		    "blobs", (json_int_t)st.blobs, "blobs_copied", (json_int_t)st.blobs_copied,
		    "blobs_present", (json_int_t)st.blobs_present, "bytes_copied",
		    (json_int_t)st.bytes_copied, "signed", st.is_signed));
	} else {
		printf(
		    "backup: %s/%s: %lld documents, %llu blobs (%llu copied, %llu already there, "
		    "%llu bytes), %s\n",
		    o->to, st.name, (long long)st.documents, (unsigned long long)st.blobs,
		    (unsigned long long)st.blobs_copied, (unsigned long long)st.blobs_present,
		    (unsigned long long)st.bytes_copied,
		    st.is_signed ? "signed with the node's key"
		                 : "UNSIGNED (this node has no identity: halong node init)");
	}
	return EXIT_OK;
}

static int list_one(const hl_backup_entry *e, void *ud)
{
	json_t *list = ud;
	if (list)
		return json_array_append_new(
		    list, json_pack("{s:s, s:o, s:o, s:i, s:I, s:I, s:b}", "backup", e->name,
		                    "created_at", cli_jstr(e->created_at), "halong_version",
		                    cli_jstr(e->halong_version), "schema_version",
		                    e->schema_version, "documents", (json_int_t)e->documents,
		                    "blobs", (json_int_t)e->blobs, "signed", e->is_signed));
	if (!e->created_at)
		printf("%s  (no readable manifest)\n", e->name);
	else
		printf("%s  %s  %lld documents  %lld blobs  %s\n", e->name, e->created_at,
		       (long long)e->documents, (long long)e->blobs,
		       e->is_signed ? "signed" : "unsigned");
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
	hl_backup_check c = {0};
	int rc;

	if (args->nargs != 2) {
		json_decref(pr.list);
		return cli_usage(args->cmd, "give the backup: backup verify BACKUP_DIR");
	}
	rc = hl_backup_verify(&c, args->args[1], on_problem, &pr);
	if (rc < 0 && rc != HL_EINVALID) {
		json_decref(pr.list);
		return cli_fail();
	}
	if (o->json) {
		cli_print_json(json_pack("{s:s, s:b, s:I, s:I, s:b, s:o}", "backup", args->args[1],
		                         "ok", rc == 0, "files", (json_int_t)c.files, "blobs",
		                         (json_int_t)c.blobs, "signed", c.is_signed, "problems",
		                         pr.list));
	} else if (rc == 0) {
		printf("verify: %s: OK, %llu files and %llu blobs match the manifest, %s\n",
		       args->args[1], (unsigned long long)c.files, (unsigned long long)c.blobs,
		       c.is_signed ? "signature valid" : "UNSIGNED");
	} else {
		fprintf(stderr, "halong: %s\n", hl_error_last());
	}
	return rc == 0 ? EXIT_OK : EXIT_ERR;
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
	return cli_usage(args->cmd, "unknown subcommand \"%s\" (list, verify, or --to DIR)",
	                 args->args[0]);
}

static int cmd_restore(const cli_args *args)
{
	const opts *o = args->opts;
	problems pr = {0};
	cli_progress p;
	int rc;

	cli_progress_init(&p, 0);
	rc = hl_backup_restore(args->args[0], o->home, on_problem, &pr, cli_progress_cb, &p);
	cli_progress_done(&p);
	if (rc < 0)
		return cli_fail();
	printf("restore: %s restored into %s (search index rebuilt)\n", args->args[0], o->home);
	return EXIT_OK;
}

const cli_cmd cli_backup_commands[] = {
    {.name = "backup",
     .summary = "back up the node (--to DIR); list or verify backups",
     .operands = "[list DIR | verify BACKUP_DIR]",
     .min_args = 0,
     .max_args = 2,
     .opts = backup_table,
     .opts_size = sizeof(opts),
     .run = cmd_backup,
     .help = "`backup --to DIR` copies the running node into DIR/halong-backup-<UTC time>/:\n"
             "the store (SQLite's online backup), keys, halong.conf and a manifest signed\n"
             "with the node's key; blobs go to DIR/blobs/, shared by every backup of DIR\n"
             "(one already there is not copied again). The search index is not copied.\n"
             "`backup verify` re-hashes everything against the manifest and checks the\n"
             "signature; exit 1 naming each problem."},
    {.name = "restore",
     .summary = "restore a backup into a new data directory",
     .operands = "BACKUP_DIR",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the backup folder",
     .opts = restore_table,
     .opts_size = sizeof(opts),
     .run = cmd_restore,
     .help = "Verifies the backup first; --home must be absent or empty. The search index is\n"
             "rebuilt from the restored store."},
    {0},
};
