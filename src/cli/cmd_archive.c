/* The archive commands: init, ingest, search, show, verify, stats, reindex. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "halong/archive_json.h"
#include "halong/ocr.h"

/* ---- init ---- */

static int cmd_init(const cli_args *a)
{
	char *home = hl_archive_home(a->ctx->home);
	int rc = hl_archive_init(home);
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

typedef struct {
	const char *files, *rejects;
	uint64_t batch;
	int ocr, quiet;
} ingest_opts;

static const cli_opt ingest_table[] = {
    CLI_TEXT_OPT("files", 0, ingest_opts, files, "DIR",
                 "where the manifest's files are (default: its folder)"),
    CLI_TEXT_OPT("rejects", 0, ingest_opts, rejects, "FILE",
                 "the rejected rows (default: MANIFEST.rejects.csv)"),
    CLI_COUNT_OPT("batch", ingest_opts, batch, "N", 1, 1000000, "1000", "rows per transaction"),
    CLI_FLAG_OPT("ocr", 0, ingest_opts, ocr, "check every scan and queue its pages for OCR"),
    CLI_FLAG_OPT("quiet", 'q', ingest_opts, quiet, "no progress"),
    CLI_OPT_END,
};

static int cmd_ingest(const cli_args *args)
{
	const ingest_opts *io = args->opts;
	hl_ingest_opts o = {0};
	hl_ingest_result r;
	hl_archive *a = NULL;
	cli_progress p;
	ingest_ui ui;
	char *rejects = NULL;
	int quiet = io->quiet, rc;

	o.files_dir = io->files;
	o.rejects_path = io->rejects;
	o.batch_size = (size_t)io->batch;
	o.ocr = io->ocr;
	o.manifest = args->args[0];
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
	if (cli_open(&a, args->ctx) < 0) {
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
	o.who = cli_who();
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

typedef struct {
	uint64_t limit, offset;
	int json;
} search_opts;

static const cli_opt search_table[] = {
    CLI_COUNT_OPT("limit", search_opts, limit, "N", 1, 10000, "10", "hits shown"),
    CLI_COUNT_OPT("offset", search_opts, offset, "N", 0, 1000000, "0", "hits skipped first"),
    CLI_FLAG_OPT("json", 0, search_opts, json, "one JSON object a line"),
    CLI_OPT_END,
};

static int cmd_search(const cli_args *args)
{
	const search_opts *so_ = args->opts;
	hl_search_opts so = {0};
	hl_archive *a = NULL;
	hl_hits *hits = NULL;
	int json = so_->json, rc = EXIT_ERR, tty = isatty(STDOUT_FILENO);
	char *query = NULL;
	size_t len = 1, n = 0;

	/* The words of the query, as one argument or several (a word may begin with '-'), joined
	 * by spaces; its length is the library's to limit (HL_SEARCH_MAX_QUERY), as for the API. */
	for (int i = 0; i < args->nargs; i++)
		len += strlen(args->args[i]) + 1;
	if (!(query = malloc(len)))
		return hl_error_set(HL_ENOMEM, "out of memory"), cli_fail();
	for (int i = 0; i < args->nargs; i++) {
		size_t m = strlen(args->args[i]);
		if (i)
			query[n++] = ' ';
		memcpy(query + n, args->args[i], m);
		n += m;
	}
	query[n] = '\0';
	so.query = query;
	so.limit = (size_t)so_->limit;
	so.offset = (size_t)so_->offset;
	if (json) {
		so.html = 1;
	} else {
		so.mark_open = tty ? "\033[1;4m" : "[";
		so.mark_close = tty ? "\033[0m" : "]";
	}
	if (cli_open(&a, args->ctx) < 0) {
		rc = cli_fail();
		goto done;
	}
	/* the command line is the node operator's own: every level is visible */
	if (hl_archive_search(&hits, a, cli_who(), &so) < 0) {
		rc = cli_fail();
		goto done;
	}
	if (hits->searched_as && !json)
		printf("searched as: %s\n\n", hits->searched_as);
	if (hits->did_you_mean && !json)
		printf("did you mean: %s\n\n", hits->did_you_mean);
	for (size_t i = 0; i < hits->n; i++) {
		hl_hit *h = &hits->hits[i];
		if (json) {
			json_t *o = hl_hit_json(h);
			char *s;
			s = json_dumps(o, JSON_COMPACT);
			puts(s);
			free(s);
			json_decref(o);
		} else if (h->lesson) { /* kind:lesson */
			printf("%zu. %s\n   lesson %lld%s%s%s%s, %s\n   %s\n\n", so.offset + i + 1,
			       h->subject ? h->subject : "", (long long)h->lesson,
			       h->task ? "   task " : "", h->task ? h->task : "",
			       h->agency ? "   " : "", h->agency ? h->agency : "",
			       h->issued_date ? h->issued_date : "", h->snippet ? h->snippet : "");
		} else {
			printf("%zu. %s\n   %s / %s%s%s   id %s\n   %s\n\n", so.offset + i + 1,
			       h->subject ? h->subject : "", h->fonds_code ? h->fonds_code : "",
			       h->dossier_code ? h->dossier_code : "", h->issued_date ? ", " : "",
			       h->issued_date ? h->issued_date : "", h->doc_id,
			       h->snippet ? h->snippet : "");
		}
	}
	if (!json)
		printf("%zu shown of %s%llu matches\n", hits->n, hits->total_exact ? "" : "about ",
		       (unsigned long long)hits->total);
	if (hits->pending > 0)
		fprintf(stderr,
		        "halong: %lld changes are not in the search index yet; `halong reindex "
		        "--pending` applies them\n",
		        (long long)hits->pending);
	rc = EXIT_OK;
done:
	hl_hits_free(hits);
	hl_archive_free(a);
	free(query);
	return rc;
}

/* ---- show ---- */

/* What `show` gathers while the library reads the document. */
typedef struct {
	json_t *pages, *versions;
} show_ctx;

static int add_version(int version, const char *replaced_at, const char *data, void *ud)
{
	json_t *v = json_object();
	json_t *old = data ? json_loads(data, 0, NULL) : NULL;
	json_object_set_new(v, "version", json_integer(version));
	json_object_set_new(v, "replaced_at", json_string(replaced_at));
	if (old) {
		json_object_set(v, "subject", json_object_get(old, "subject"));
		json_decref(old);
	}
	json_array_append_new(((show_ctx *)ud)->versions, v);
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
	json_object_set_new(p, "low_confidence", json_boolean(r->low_confidence));
	if (r->warn_flags & HL_OCR_WARN_LOW_DPI)
		json_array_append_new(w, json_string("low_dpi"));
	if (r->warn_flags & HL_OCR_WARN_NO_DPI)
		json_array_append_new(w, json_string("no_dpi"));
	if (r->warn_flags & HL_OCR_WARN_NO_TEXT)
		json_array_append_new(w, json_string("no_text"));
	json_object_set_new(p, "warnings", w);
	json_object_set_new(p, "text", r->text ? json_string(r->text) : json_null());
	hl_page_text_json(p, r); /* which text it is: the machine's or a correction, approved */
	json_array_append_new(((show_ctx *)ud)->pages, p);
	return 0;
}

typedef struct {
	int json;
} json_opts;

static const cli_opt json_table[] = {
    CLI_FLAG_OPT("json", 0, json_opts, json, "as JSON"),
    CLI_OPT_END,
};

typedef struct {
	const char *format;
} cite_opts;

static const cli_opt cite_table[] = {
    CLI_CHOICE_OPT("format", cite_opts, format, "FORMAT", "vi,bibtex,csl-json", 0,
                   "vi (the Vietnamese archival line, the default), bibtex or csl-json"),
    CLI_OPT_END,
};

static int cmd_cite(const cli_args *args)
{
	hl_archive *a = NULL;
	char *s = NULL;
	int rc = EXIT_OK;
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	if (hl_archive_doc_cite(&s, a, cli_who(), args->args[0],
	                        ((const cite_opts *)args->opts)->format) < 0)
		rc = cli_fail();
	else
		fputs(s, stdout);
	free(s);
	hl_archive_free(a);
	return rc;
}

static int cmd_show(const cli_args *args)
{
	hl_archive *a = NULL;
	hl_doc *d = NULL;
	show_ctx sc = {json_array(), json_array()};
	hl_doc_read_opts ro = {add_page, add_version, &sc};
	json_t *o = NULL, *versions;
	int json = ((const json_opts *)args->opts)->json, rc = EXIT_ERR;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	/* the document, its pages and versions in one read, audited when restricted */
	if (hl_archive_doc_read(&d, a, cli_who(), args->args[0], "document", &ro) < 0) {
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
	versions = sc.versions;
	json_object_set_new(o, "versions", sc.versions);
	json_object_set_new(o, "pages", sc.pages);
	sc.versions = sc.pages = NULL; /* o holds them */
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
				printf("  confidence %.1f%s", json_real_value(conf),
				       json_is_true(json_object_get(v, "low_confidence")) ? " (low)"
				                                                          : "");
			if (json_is_integer(json_object_get(v, "dpi")))
				printf("  %lld dpi",
				       (long long)json_integer_value(json_object_get(v, "dpi")));
			if (json_integer_value(json_object_get(v, "text_version")))
				printf("  corrected (version %lld, %s)",
				       (long long)json_integer_value(
				           json_object_get(v, "text_version")),
				       json_string_value(json_object_get(v, "corrected_by")));
			if (json_is_true(json_object_get(v, "approved")))
				printf("  approved by %s",
				       json_string_value(json_object_get(v, "approved_by")));
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
	json_decref(sc.pages), json_decref(sc.versions);
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

static int cmd_verify(const cli_args *args)
{
	hl_archive *a = NULL;
	hl_verify_result r;
	cli_progress p;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
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

static int cmd_stats(const cli_args *args)
{
	hl_archive *a = NULL;
	hl_archive_stats as;
	const hl_archive_stats *s = &as;
	int json = ((const json_opts *)args->opts)->json;

	if (cli_open(&a, args->ctx) < 0)
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

typedef struct {
	int pending;
} reindex_opts;

static const cli_opt reindex_table[] = {
    CLI_FLAG_OPT("pending", 0, reindex_opts, pending,
                 "only apply the changes queued and not yet indexed (after a crash)"),
    CLI_OPT_END,
};

static int cmd_reindex(const cli_args *args)
{
	hl_archive *a = NULL;
	hl_archive_stats as;
	cli_progress p;
	uint64_t applied = 0;
	int rc, pending = ((const reindex_opts *)args->opts)->pending;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	cli_progress_init(&p, 0);
	rc = pending ? hl_archive_index_sync(&applied, a, cli_progress_cb, &p)
	             : hl_archive_reindex(a, cli_progress_cb, &p);
	cli_progress_done(&p);
	if (rc == 0 && pending)
		printf("reindex: %llu queued changes applied\n", (unsigned long long)applied);
	else if (rc == 0 && hl_archive_stats_get(&as, a) == 0)
		printf("reindex: %llu documents indexed\n", (unsigned long long)as.index_docs);
	hl_archive_free(a);
	return rc < 0 ? cli_fail() : EXIT_OK;
}

const cli_cmd cli_archive_commands[] = {
    {.name = "init",
     .summary = "create the data directory",
     .run = cmd_init,
     .help = "Creates the layout (halong.db, blobs/, index/, keys/, halong.conf); running it\n"
             "again checks and upgrades it, nothing is lost."},
    {.name = "ingest",
     .summary = "load a catalogue (manifest CSV) with its files",
     .operands = "MANIFEST.csv",
     .min_args = 1,
     .max_args = 1,
     .opts = ingest_table,
     .opts_size = sizeof(ingest_opts),
     .run = cmd_ingest,
     .help = "Loads the rows of a manifest (columns: docs/cli.md) in batches, stores the files\n"
             "it lists, reports each bad row as MANIFEST:LINE: COLUMN: reason and copies it to\n"
             "the rejects file. Ingesting the same manifest again changes nothing. Exit 3 when\n"
             "some rows were rejected.\n"
             "--ocr: every scan (.tif .tiff .jpg .jpeg .png .pdf) is checked (a corrupt,\n"
             "oversized or mislabelled file, or pages that disagree with page_count, reject\n"
             "the row; pages below 200 dpi are warned about) and its pages join the OCR queue\n"
             "(halong ocr run)."},
    {.name = "search",
     .summary = "find documents (words with or without tones)",
     .operands = "QUERY...",
     .min_args = 1,
     .max_args = -1,
     .opts = search_table,
     .opts_size = sizeof(search_opts),
     .flags = CLI_WORDS,
     .run = cmd_search,
     .help = "The words of QUERY may be given as one quoted argument or as several.\n"
             "  dat dai              words, tones optional (đ may be typed d)\n"
             "  \"quyen va nghia vu\"  a phrase\n"
             "  -word                exclude\n"
             "  word*                prefix\n"
             "  fonds:CODE type:\"Quyết định\" year:2019 issuer:WORD   filters\n"
             "  unit:CODE            records the unit holds today (halong custody of CODE)"},
    {.name = "show",
     .summary = "one document, its files, pages and earlier versions",
     .operands = "ID",
     .min_args = 1,
     .max_args = 1,
     .opts = json_table,
     .opts_size = sizeof(json_opts),
     .run = cmd_show},
    {.name = "cite",
     .summary = "a citation of one document (Vietnamese, BibTeX, CSL-JSON)",
     .operands = "ID",
     .min_args = 1,
     .max_args = 1,
     .opts = cite_table,
     .opts_size = sizeof(cite_opts),
     .run = cmd_cite,
     .help = "The Vietnamese line names the archive holding the fonds today, the fonds, the\n"
             "dossier and the document's place in it, then the document as it is cited:\n"
             "type, number/notation, date, issuer and subject. --format bibtex or csl-json\n"
             "for reference managers (Zotero imports both)."},
    {.name = "verify",
     .summary = "re-hash every file; report missing, corrupt and orphan ones",
     .run = cmd_verify,
     .help = "Exit 1 if any blob is missing or corrupt. Orphans (files in blobs/ the store\n"
             "does not know, a killed ingest's copies in tmp/) are listed but are not an error."},
    {.name = "stats",
     .summary = "counts of the store and the index",
     .opts = json_table,
     .opts_size = sizeof(json_opts),
     .run = cmd_stats},
    {.name = "reindex",
     .summary = "rebuild the search index from the store",
     .opts = reindex_table,
     .opts_size = sizeof(reindex_opts),
     .run = cmd_reindex,
     .help = "`search` says when changes are waiting for the index; --pending applies them\n"
             "without rebuilding."},
    {0},
};
