/* The archive commands: init, ingest, search, show, verify, stats, reindex. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "halong/ocr.h"

static const cli_command *self(const char *name);

/* getopt_long over a command's own argv (argv[0] is the command name); options may follow
 * the operands. */
static int next_opt(int argc, char **argv, const struct option *opts)
{
	return getopt_long(argc, argv, "", opts, NULL);
}

static int parse_size(size_t *out, const char *s, size_t max)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *end || v > max)
		return -1;
	*out = (size_t)v;
	return 0;
}

/* ---- init ---- */

static int cmd_init(cli_ctx *ctx, int argc, char **argv)
{
	char *home = hl_archive_home(ctx->home);
	int rc;
	if (argc > 1) {
		free(home);
		return cli_usage_error(self("init"), "unexpected argument %s", argv[1]);
	}
	rc = hl_archive_init(home);
	if (rc == 0)
		printf("initialised %s\n", home);
	free(home);
	return rc < 0 ? cli_fail() : EXIT_OK;
}

/* ---- ingest ---- */

typedef struct {
	const char *manifest;
	cli_progress *progress;
} ingest_ui;

static void on_reject(uint64_t line, const char *column, const char *reason, void *ud)
{
	ingest_ui *ui = ((cli_progress *)ud)->ui;
	cli_progress_done(ui->progress);
	fprintf(stderr, "%s:%llu: %s: %s\n", ui->manifest, (unsigned long long)line,
	        column ? column : "row", reason);
}

static void on_warning(uint64_t line, const char *column, const char *reason, void *ud)
{
	ingest_ui *ui = ((cli_progress *)ud)->ui;
	cli_progress_done(ui->progress);
	fprintf(stderr, "%s:%llu: warning: %s: %s\n", ui->manifest, (unsigned long long)line,
	        column ? column : "row", reason);
}

static int cmd_ingest(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"files", required_argument, NULL, 'f'}, {"rejects", required_argument, NULL, 'r'},
	    {"batch", required_argument, NULL, 'b'}, {"quiet", no_argument, NULL, 'q'},
	    {"ocr", no_argument, NULL, 'o'},         {0}};
	const cli_command *me = self("ingest");
	hl_ingest_opts o = {0};
	hl_ingest_result r;
	hl_archive *a = NULL;
	cli_progress p;
	ingest_ui ui;
	char *rejects = NULL;
	int c, quiet = 0, rc;

	optind = 1;
	while ((c = next_opt(argc, argv, opts)) != -1) {
		switch (c) {
		case 'f':
			o.files_dir = optarg;
			break;
		case 'r':
			o.rejects_path = optarg;
			break;
		case 'b':
			if (parse_size(&o.batch_size, optarg, 1000000) < 0 || !o.batch_size)
				return cli_usage_error(me,
				                       "--batch takes a number from 1 to 1000000");
			break;
		case 'q':
			quiet = 1;
			break;
		case 'o':
			o.ocr = 1;
			break;
		default:
			return cli_usage_error(me, "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(me, "give exactly one manifest");
	o.manifest = argv[optind];
	if (!o.rejects_path) {
		size_t n = strlen(o.manifest);
		rejects = malloc(n + 16);
		if (!rejects)
			return EXIT_ERR;
		/* manifest.csv -> manifest.rejects.csv */
		if (n > 4 && !strcasecmp(o.manifest + n - 4, ".csv"))
			snprintf(rejects, n + 16, "%.*s.rejects.csv", (int)(n - 4), o.manifest);
		else
			snprintf(rejects, n + 16, "%s.rejects.csv", o.manifest);
		o.rejects_path = rejects;
	}
	if (access(o.manifest, R_OK) != 0) {
		fprintf(stderr, "halong: %s: cannot read the manifest: %s\n", o.manifest,
		        strerror(errno));
		free(rejects);
		return EXIT_ERR;
	}
	if (cli_open(&a, ctx) < 0) {
		free(rejects);
		return cli_fail();
	}
	cli_progress_init(&p, quiet);
	ui.manifest = o.manifest;
	ui.progress = &p;
	p.ui = &ui;
	o.progress = cli_progress_cb;
	o.on_reject = on_reject;
	o.on_warning = on_warning;
	o.ud = &p;
	o.actor = "cli";
	rc = hl_archive_ingest(&r, a, &o);
	cli_progress_done(&p);
	if (rc < 0) {
		rc = cli_fail();
		goto done;
	}
	printf("ingest: %llu rows: %llu new, %llu updated, %llu unchanged, %llu rejected; "
	       "%llu files (%llu new blobs); %llu indexed%s\n",
	       (unsigned long long)r.rows, (unsigned long long)r.inserted,
	       (unsigned long long)r.updated, (unsigned long long)r.unchanged,
	       (unsigned long long)r.rejected, (unsigned long long)r.files,
	       (unsigned long long)r.new_blobs, (unsigned long long)r.indexed,
	       r.inserted + r.updated + r.rejected == 0 ? " — nothing changed" : "");
	if (o.ocr)
		printf("ocr: %llu pages queued, %llu warning%s; run `halong ocr run` to recognise "
		       "them\n",
		       (unsigned long long)r.pages_queued, (unsigned long long)r.warnings,
		       r.warnings == 1 ? "" : "s");
	if (r.rejected)
		fprintf(stderr, "halong: %llu rows rejected; fix them in %s and ingest that file\n",
		        (unsigned long long)r.rejected, o.rejects_path);
	rc = r.rejected ? EXIT_PARTIAL : EXIT_OK;
done:
	hl_archive_free(a);
	free(rejects);
	return rc;
}

/* ---- search ---- */

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static int cmd_search(cli_ctx *ctx, int argc, char **argv)
{
	const cli_command *me = self("search");
	hl_search_opts so = {0};
	hl_archive *a = NULL;
	hl_hits *hits = NULL;
	int json = 0, words_only = 0, rc = EXIT_ERR, tty = isatty(STDOUT_FILENO);
	char query[4096] = "";

	so.limit = 10;
	/* Not getopt: a query word may start with '-' (exclusion). Known options are taken
	 * anywhere; every other argument is a word of the query; after "--" all are. */
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (!words_only && !strcmp(arg, "--")) {
			words_only = 1;
		} else if (!words_only && (!strcmp(arg, "--limit") || !strcmp(arg, "--offset"))) {
			size_t *dst = arg[2] == 'l' ? &so.limit : &so.offset;
			if (i + 1 == argc ||
			    parse_size(dst, argv[++i], arg[2] == 'l' ? 10000 : 1000000) < 0 ||
			    (dst == &so.limit && !so.limit))
				return cli_usage_error(me, "%s takes a number (--limit 1 to 10000)",
				                       arg);
		} else if (!words_only && !strcmp(arg, "--json")) {
			json = 1;
		} else if (!words_only && !strncmp(arg, "--", 2)) {
			return cli_usage_error(me, "unknown option %s", arg);
		} else {
			size_t n = strlen(query), m = strlen(arg);
			if (n + m + 2 > sizeof(query))
				return cli_usage_error(me, "the query is longer than %zu bytes",
				                       sizeof(query) - 1);
			if (n)
				query[n++] = ' ';
			memcpy(query + n, arg, m + 1);
		}
	}
	if (!*query)
		return cli_usage_error(me, "give a query");
	so.query = query;

	/* The command line is the node operator's own: every level is visible. */
	so.max_access = HL_ACCESS_SECRET;
	if (json) {
		so.html = 1;
	} else {
		so.mark_open = tty ? "\033[1;4m" : "[";
		so.mark_close = tty ? "\033[0m" : "]";
	}
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	if (hl_archive_search(&hits, a, &so) < 0) {
		rc = cli_fail();
		goto done;
	}
	for (size_t i = 0; i < hits->n; i++) {
		hl_hit *h = &hits->hits[i];
		if (json) {
			json_t *o = json_object();
			char *s;
			json_object_set_new(o, "id", json_string(h->doc_id));
			json_object_set_new(o, "subject", jstr(h->subject));
			json_object_set_new(o, "dossier_code", jstr(h->dossier_code));
			json_object_set_new(o, "fonds_code", jstr(h->fonds_code));
			json_object_set_new(o, "issued_date", jstr(h->issued_date));
			json_object_set_new(o, "doc_type", jstr(h->doc_type));
			json_object_set_new(o, "issuer", jstr(h->issuer));
			json_object_set_new(o, "access", json_string(hl_access_name(h->access)));
			json_object_set_new(o, "score", json_real(h->score));
			json_object_set_new(o, "snippet", jstr(h->snippet));
			s = json_dumps(o, JSON_COMPACT);
			puts(s);
			free(s);
			json_decref(o);
		} else {
			printf("%zu. %s\n   %s / %s%s%s   id %s\n   %s\n\n", so.offset + i + 1,
			       h->subject ? h->subject : "", h->fonds_code ? h->fonds_code : "",
			       h->dossier_code ? h->dossier_code : "", h->issued_date ? ", " : "",
			       h->issued_date ? h->issued_date : "", h->doc_id,
			       h->snippet ? h->snippet : "");
		}
	}
	if (!json)
		printf("%zu shown of about %llu matches\n", hits->n,
		       (unsigned long long)hits->estimate);
	rc = EXIT_OK;
done:
	hl_hits_free(hits);
	hl_archive_free(a);
	return rc;
}

/* ---- show ---- */

static int add_version(int version, const char *replaced_at, const char *data, void *ud)
{
	json_t *v = json_object();
	json_t *old = json_loads(data, 0, NULL);
	json_object_set_new(v, "version", json_integer(version));
	json_object_set_new(v, "replaced_at", json_string(replaced_at));
	if (old) {
		json_object_set(v, "subject", json_object_get(old, "subject"));
		json_decref(old);
	}
	json_array_append_new(ud, v);
	return 0;
}

/* The first `max` bytes of a text on one line, cut between characters. */
static void print_excerpt(const char *t, size_t max)
{
	size_t n = strlen(t);
	if (n > max) {
		n = max;
		while (n && ((unsigned char)t[n] & 0xC0) == 0x80)
			n--;
	}
	printf("  \"");
	for (size_t i = 0; i < n; i++)
		putchar(t[i] == '\n' || t[i] == '\t' ? ' ' : t[i]);
	printf("%s\"", n < strlen(t) ? "…" : "");
}

/* A page of the document: where it comes from, its OCR state and text. */
static int add_page(const hl_page_row *r, void *ud)
{
	json_t *p = json_object(), *w = json_array();
	json_object_set_new(p, "seq", json_integer(r->seq));
	json_object_set_new(p, "file", jstr(r->file_name));
	json_object_set_new(p, "page_no", json_integer(r->page_no));
	json_object_set_new(p, "state", json_string(r->state));
	json_object_set_new(p, "error", jstr(r->error));
	json_object_set_new(p, "dpi", r->dpi > 0 ? json_integer(r->dpi) : json_null());
	json_object_set_new(p, "from_text_layer", json_boolean(r->from_text_layer));
	json_object_set_new(p, "mean_conf",
	                    r->mean_conf >= 0 ? json_real(r->mean_conf) : json_null());
	if (r->warn_flags & HL_OCR_WARN_LOW_DPI)
		json_array_append_new(w, json_string("low_dpi"));
	if (r->warn_flags & HL_OCR_WARN_NO_DPI)
		json_array_append_new(w, json_string("no_dpi"));
	if (r->warn_flags & HL_OCR_WARN_NO_TEXT)
		json_array_append_new(w, json_string("no_text"));
	json_object_set_new(p, "warnings", w);
	json_object_set_new(p, "text", r->text ? json_string(r->text) : json_null());
	json_array_append_new(ud, p);
	return 0;
}

static int cmd_show(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {0}};
	const cli_command *me = self("show");
	hl_archive *a = NULL;
	hl_doc *d = NULL;
	json_t *o = NULL, *versions;
	int c, json = 0, rc = EXIT_ERR;

	optind = 1;
	while ((c = next_opt(argc, argv, opts)) != -1) {
		if (c != 'j')
			return cli_usage_error(me, "unknown option");
		json = 1;
	}
	if (optind != argc - 1)
		return cli_usage_error(me, "give one document id");
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	if (hl_store_doc_get(&d, hl_archive_store(a), argv[optind]) < 0) {
		rc = cli_fail();
		goto done;
	}
	{
		char *text = hl_doc_json(d);
		o = text ? json_loads(text, 0, NULL) : NULL;
		free(text);
	}
	if (!o) {
		fprintf(stderr, "halong: out of memory\n");
		goto done;
	}
	versions = json_array();
	if (hl_store_doc_versions(hl_archive_store(a), d->doc_id, add_version, versions) < 0) {
		json_decref(versions);
		rc = cli_fail();
		goto done;
	}
	json_object_set_new(o, "versions", versions);
	{
		json_t *pages = json_array();
		if (hl_store_pages_of(hl_archive_store(a), d->doc_id, add_page, pages) < 0) {
			json_decref(pages);
			rc = cli_fail();
			goto done;
		}
		json_object_set_new(o, "pages", pages);
	}
	if (json) {
		char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		puts(s);
		free(s);
	} else {
		const char *key;
		json_t *v;
		json_object_foreach(o, key, v)
		{
			if (json_is_string(v))
				printf("%-15s %s\n", key, json_string_value(v));
			else if (json_is_integer(v))
				printf("%-15s %lld\n", key, (long long)json_integer_value(v));
		}
		for (size_t i = 0; i < d->nfiles; i++)
			printf("file %-10zu %s  sha256 %s  %lld bytes\n", i + 1, d->files[i].name,
			       d->files[i].sha256, (long long)d->files[i].size);
		size_t i;
		json_array_foreach(json_object_get(o, "pages"), i, v)
		{
			json_t *conf = json_object_get(v, "mean_conf");
			const char *t = json_string_value(json_object_get(v, "text"));
			printf("page %-10lld %s p%lld  %s", (long long)(i + 1),
			       json_string_value(json_object_get(v, "file")),
			       (long long)json_integer_value(json_object_get(v, "page_no")),
			       json_string_value(json_object_get(v, "state")));
			if (json_is_true(json_object_get(v, "from_text_layer")))
				printf("  text layer");
			else if (json_is_real(conf))
				printf("  confidence %.1f", json_real_value(conf));
			if (json_is_integer(json_object_get(v, "dpi")))
				printf("  %lld dpi",
				       (long long)json_integer_value(json_object_get(v, "dpi")));
			if (json_string_value(json_object_get(v, "error")))
				printf("  %s", json_string_value(json_object_get(v, "error")));
			else if (t && *t)
				print_excerpt(t, 60);
			putchar('\n');
		}
		json_array_foreach(versions, i, v)
		{
			printf("earlier version %lld, replaced %s\n",
			       (long long)json_integer_value(json_object_get(v, "version")),
			       json_string_value(json_object_get(v, "replaced_at")));
		}
	}
	rc = EXIT_OK;
done:
	json_decref(o);
	hl_doc_free(d);
	hl_archive_free(a);
	return rc;
}

/* ---- verify ---- */

static void on_problem(const char *sha, const char *problem, const char *detail, void *ud)
{
	cli_progress_done(ud);
	printf("%s %s (%s)\n", problem, sha, detail);
	fflush(stdout);
}

static int cmd_verify(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	hl_verify_result r;
	cli_progress p;
	int rc;

	if (argc > 1)
		return cli_usage_error(self("verify"), "unexpected argument %s", argv[1]);
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	cli_progress_init(&p, 0);
	rc = hl_archive_verify(&r, a, on_problem, cli_progress_cb, &p);
	cli_progress_done(&p);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("verify: %llu blobs checked: %llu ok, %llu missing, %llu corrupt",
	       (unsigned long long)r.checked, (unsigned long long)r.ok,
	       (unsigned long long)r.missing, (unsigned long long)r.corrupt);
	/* Orphans are reported, not failed: they lose and damage no record (git fsck lists
	 * dangling objects the same way, with exit 0). The line stays as it was without them. */
	if (r.orphans)
		printf("; %llu orphan%s (not referred to, not an error)",
		       (unsigned long long)r.orphans, r.orphans == 1 ? "" : "s");
	printf("\n");
	return r.missing || r.corrupt ? EXIT_ERR : EXIT_OK;
}

/* ---- stats ---- */

static int cmd_stats(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {0}};
	hl_archive *a = NULL;
	hl_archive_stats as;
	const hl_archive_stats *s = &as;
	int c, json = 0;

	optind = 1;
	while ((c = next_opt(argc, argv, opts)) != -1) {
		if (c != 'j')
			return cli_usage_error(self("stats"), "unknown option");
		json = 1;
	}
	if (optind != argc)
		return cli_usage_error(self("stats"), "unexpected argument %s", argv[optind]);
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	if (hl_archive_stats_get(&as, a) < 0) {
		hl_archive_free(a);
		return cli_fail();
	}
	if (json) {
		printf(
		    "{\"fonds\": %lld, \"dossiers\": %lld, \"documents\": %lld, \"versions\": "
		    "%lld, "
		    "\"files\": %lld, \"blobs\": %lld, \"blob_bytes\": %lld, \"index_docs\": %llu, "
		    "\"index_pending\": %lld, \"audit_entries\": %lld, \"schema_version\": %d}\n",
		    (long long)s->fonds, (long long)s->dossiers, (long long)s->documents,
		    (long long)s->versions, (long long)s->files, (long long)s->blobs,
		    (long long)s->blob_bytes, (unsigned long long)as.index_docs,
		    (long long)as.index_pending, (long long)s->audit, s->schema_version);
	} else {
		printf("data directory   %s\n"
		       "fonds            %lld\n"
		       "dossiers         %lld\n"
		       "documents        %lld (%lld earlier versions kept)\n"
		       "files            %lld in %lld blobs, %lld bytes\n"
		       "search index     %llu documents, %lld changes pending\n"
		       "audit log        %lld entries\n"
		       "schema version   %d\n",
		       hl_archive_dir(a), (long long)s->fonds, (long long)s->dossiers,
		       (long long)s->documents, (long long)s->versions, (long long)s->files,
		       (long long)s->blobs, (long long)s->blob_bytes,
		       (unsigned long long)as.index_docs, (long long)as.index_pending,
		       (long long)s->audit, s->schema_version);
	}
	hl_archive_free(a);
	return EXIT_OK;
}

/* ---- reindex ---- */

static int cmd_reindex(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	hl_archive_stats as;
	cli_progress p;
	int rc;

	if (argc > 1)
		return cli_usage_error(self("reindex"), "unexpected argument %s", argv[1]);
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	cli_progress_init(&p, 0);
	rc = hl_archive_reindex(a, cli_progress_cb, &p);
	cli_progress_done(&p);
	if (rc == 0 && hl_archive_stats_get(&as, a) == 0)
		printf("reindex: %llu documents indexed\n", (unsigned long long)as.index_docs);
	hl_archive_free(a);
	return rc < 0 ? cli_fail() : EXIT_OK;
}

const cli_command cli_archive_commands[] = {
    {"init", cmd_init, "create the data directory", "init"},
    {"ingest", cmd_ingest, "load a catalogue (manifest CSV) with its files",
     "ingest MANIFEST.csv [--files DIR] [--rejects FILE] [--batch N] [--ocr] [--quiet]\n\n"
     "Loads the rows of a manifest (columns: docs/cli.md) in batches of N (default 1000),\n"
     "stores the files it lists (relative to --files DIR, default: the manifest's folder),\n"
     "reports each bad row as MANIFEST:LINE: COLUMN: reason and copies it to the rejects\n"
     "file (default MANIFEST.rejects.csv). Ingesting the same manifest again changes\n"
     "nothing. Exit 3 when some rows were rejected.\n"
     "--ocr: every scan (.tif .tiff .jpg .jpeg .png .pdf) is checked (a corrupt, oversized\n"
     "or mislabelled file, or pages that disagree with page_count, reject the row; pages\n"
     "below 200 dpi are warned about) and its pages join the OCR queue (halong ocr run)."},
    {"search", cmd_search, "find documents (words with or without tones)",
     "search QUERY... [--limit N] [--offset N] [--json]\n\n"
     "The words of QUERY may be given as one quoted argument or as several.\n"
     "  dat dai              words, tones optional (đ may be typed d)\n"
     "  \"quyen va nghia vu\"  a phrase\n"
     "  -word                exclude\n"
     "  word*                prefix\n"
     "  fonds:CODE type:\"Quyết định\" year:2019 issuer:WORD   filters\n"
     "  unit:CODE            records the unit holds today (halong custody of CODE)"},
    {"show", cmd_show, "one document, its files and earlier versions", "show ID [--json]"},
    {"verify", cmd_verify, "re-hash every file; report missing, corrupt and orphan ones",
     "verify\n\nExit 1 if any blob is missing or corrupt. Orphans (files in blobs/ the store does\n"
     "not know, a killed ingest's copies in tmp/) are listed but are not an error."},
    {"stats", cmd_stats, "counts of the store and the index", "stats [--json]"},
    {"reindex", cmd_reindex, "rebuild the search index from the store", "reindex"},
    {0},
};

static const cli_command *self(const char *name)
{
	for (const cli_command *c = cli_archive_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return cli_archive_commands;
}
