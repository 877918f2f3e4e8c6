/* The ocr and export command groups: work the OCR queue, see its state, review weak pages,
 * measure error rates against ground truth, and export ALTO and searchable PDF. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"
#include "halong/ocr.h"
#include "halong/util.h"

extern const cli_command cli_ocr_commands[];

static const cli_command *ocr_cmd(void)
{
	return &cli_ocr_commands[0];
}

static const cli_command *export_cmd(void)
{
	return &cli_ocr_commands[1];
}

typedef struct {
	int json, quiet, retry;
	unsigned long jobs, max, limit, page;
	double below;
	const char *out;
	const char *args[2];
	int nargs;
} opts;

/* `allowed` lists the short names of the options this subcommand takes. */
static int parse(opts *o, const cli_command *cmd, int argc, char **argv, int max,
                 const char *allowed)
{
	static const struct option lo[] = {
	    {"json", no_argument, NULL, 'j'},         {"quiet", no_argument, NULL, 'q'},
	    {"retry-failed", no_argument, NULL, 'r'}, {"jobs", required_argument, NULL, 'n'},
	    {"max", required_argument, NULL, 'm'},    {"limit", required_argument, NULL, 'l'},
	    {"page", required_argument, NULL, 'p'},   {"below", required_argument, NULL, 'b'},
	    {"output", required_argument, NULL, 'o'}, {0}};
	int c;
	memset(o, 0, sizeof(*o));
	o->below = 70, o->limit = 50;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
		char *end = NULL;
		if (c == '?' || !strchr(allowed, c))
			return cli_usage_error(cmd, "%s: unknown option or missing value: %s",
			                       argv[0], argv[optind - 1]);
		switch (c) {
		case 'j':
			o->json = 1;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'r':
			o->retry = 1;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'b':
			o->below = strtod(optarg, &end);
			if (*end || o->below < 0 || o->below > 100)
				return cli_usage_error(cmd, "--below wants a confidence 0 to 100");
			break;
		default: {
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || !*optarg || v == 0 || v > 1000000)
				return cli_usage_error(
				    cmd, "%s: wants a number from 1 to 1000000, not %s",
				    argv[optind - 1], optarg);
			if (c == 'n')
				o->jobs = v;
			else if (c == 'm')
				o->max = v;
			else if (c == 'l')
				o->limit = v;
			else
				o->page = v;
		}
		}
	}
	for (; optind < argc; optind++) {
		if (o->nargs >= max)
			return cli_usage_error(cmd, "%s: unexpected argument %s", argv[0],
			                       argv[optind]);
		o->args[o->nargs++] = argv[optind];
	}
	return 0;
}

static void excerpt(const char *t, size_t max)
{
	size_t n = t ? strlen(t) : 0, all = n;
	if (n > max) {
		n = max;
		while (n && ((unsigned char)t[n] & 0xC0) == 0x80)
			n--;
	}
	printf("\"");
	for (size_t i = 0; i < n; i++)
		putchar(t[i] == '\n' || t[i] == '\t' ? ' ' : t[i]);
	printf("%s\"", n < all ? "…" : "");
}

/* ---- ocr run ---- */

typedef struct {
	cli_progress *p;
	uint64_t failed;
} run_ui;

static void on_failure(const char *doc_id, const char *file, int page_no, const char *error,
                       void *ud)
{
	run_ui *ui = ((cli_progress *)ud)->ui;
	cli_progress_done(ui->p);
	ui->failed++;
	/* the library's message names the file and page already */
	fprintf(stderr, "halong: %s: %s\n", doc_id, error);
	(void)file, (void)page_no;
}

static int sub_run(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	hl_ocr_run_result r;
	hl_ocr_run_opts ro = {0};
	cli_progress p;
	run_ui ui = {&p, 0};
	opts o;
	int rc;

	if ((rc = parse(&o, ocr_cmd(), argc, argv, 0, "jqrnm")) != 0)
		return rc;
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	cli_progress_init(&p, o.quiet || o.json);
	p.ui = &ui;
	ro.who = cli_who();
	ro.jobs = (unsigned)o.jobs;
	ro.max_pages = o.max;
	ro.retry_failed = o.retry;
	ro.progress = cli_progress_cb;
	ro.on_failure = on_failure;
	ro.ud = &p;
	rc = hl_archive_ocr_run(&r, a, &ro);
	cli_progress_done(&p);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	double ppm = r.seconds > 0 ? (double)(r.done + r.failed) * 60.0 / r.seconds : 0;
	if (o.json) {
		json_t *j = json_object();
		json_object_set_new(j, "done", json_integer((json_int_t)r.done));
		json_object_set_new(j, "failed", json_integer((json_int_t)r.failed));
		json_object_set_new(j, "indexed", json_integer((json_int_t)r.indexed));
		json_object_set_new(j, "seconds", json_real(r.seconds));
		json_object_set_new(j, "jobs", json_integer(r.jobs));
		json_object_set_new(j, "pages_per_min", json_real(ppm));
		cli_print_json(j);
	} else if (!r.done && !r.failed) {
		printf("ocr: no page waiting (halong ingest --ocr queues the pages of scans)\n");
	} else {
		printf("ocr: %llu pages done, %llu failed in %.0f s (%.1f pages/min with %u "
		       "workers); %llu documents re-indexed\n",
		       (unsigned long long)r.done, (unsigned long long)r.failed, r.seconds, ppm,
		       r.jobs, (unsigned long long)r.indexed);
	}
	if (r.failed && !o.json)
		fprintf(stderr,
		        "halong: %llu pages failed; see halong ocr status, fix the files, then "
		        "halong ocr run --retry-failed\n",
		        (unsigned long long)r.failed);
	return r.failed ? EXIT_PARTIAL : EXIT_OK;
}

/* ---- ocr status ---- */

static int failed_row(const hl_page_row *r, void *ud)
{
	if (ud) {
		json_t *e = json_object();
		json_object_set_new(e, "doc_id", json_string(r->doc_id));
		json_object_set_new(e, "file",
		                    r->file_name ? json_string(r->file_name) : json_null());
		json_object_set_new(e, "page_no", json_integer(r->page_no));
		json_object_set_new(e, "error", r->error ? json_string(r->error) : json_null());
		json_array_append_new(ud, e);
	} else {
		printf("  failed  %s  %s\n", r->doc_id, r->error ? r->error : "");
	}
	return 0;
}

static void duration(char *buf, size_t n, double s)
{
	if (s < 90)
		snprintf(buf, n, "%.0f s", s);
	else if (s < 5400)
		snprintf(buf, n, "%.0f min", s / 60);
	else
		snprintf(buf, n, "%.1f h", s / 3600);
}

static int sub_status(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	hl_ocr_status s;
	opts o;
	int rc;

	if ((rc = parse(&o, ocr_cmd(), argc, argv, 0, "j")) != 0)
		return rc;
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	if (hl_archive_ocr_status(&s, a, cli_who()) < 0) {
		hl_archive_free(a);
		return cli_fail();
	}
	if (o.json) {
		json_t *j = json_object(), *f = json_array();
		json_object_set_new(j, "pending", json_integer(s.pending));
		json_object_set_new(j, "done", json_integer(s.done));
		json_object_set_new(j, "failed", json_integer(s.failed));
		json_object_set_new(j, "documents", json_integer(s.documents));
		json_object_set_new(j, "text_layer", json_integer(s.text_layer));
		json_object_set_new(j, "mean_conf",
		                    s.mean_conf >= 0 ? json_real(s.mean_conf) : json_null());
		json_object_set_new(j, "running", json_boolean(s.running));
		json_object_set_new(j, "last_run",
		                    s.have_run ? json_string(s.last_run) : json_null());
		json_object_set_new(j, "jobs", s.have_run ? json_integer(s.jobs) : json_null());
		json_object_set_new(j, "pages_per_min",
		                    s.have_run ? json_real(s.pages_per_min) : json_null());
		json_object_set_new(j, "eta_seconds",
		                    s.eta_seconds >= 0 ? json_real(s.eta_seconds) : json_null());
		hl_archive_ocr_failures(a, cli_who(), 100, failed_row, f);
		json_object_set_new(j, "failures", f);
		cli_print_json(j);
	} else {
		printf("pages: %lld done (%lld from a PDF text layer), %lld pending, %lld failed, "
		       "in %lld documents\n",
		       (long long)s.done, (long long)s.text_layer, (long long)s.pending,
		       (long long)s.failed, (long long)s.documents);
		if (s.mean_conf >= 0)
			printf("mean confidence of recognised pages: %.1f\n", s.mean_conf);
		if (s.running)
			printf("a run is working now\n");
		if (s.have_run) {
			char eta[32] = "";
			if (s.eta_seconds >= 0 && s.pending)
				duration(eta, sizeof(eta), s.eta_seconds);
			printf("last run (started %s): %.1f pages/min with %u workers%s%s\n",
			       s.last_run, s.pages_per_min, s.jobs,
			       *eta ? "; time left about " : "", eta);
		}
		if (s.failed)
			hl_archive_ocr_failures(a, cli_who(), 20, failed_row, NULL);
	}
	hl_archive_free(a);
	return EXIT_OK;
}

/* ---- ocr review ---- */

typedef struct {
	json_t *j;
	size_t n;
} review_ui;

static int review_row(const hl_page_row *r, void *ud)
{
	review_ui *ui = ud;
	ui->n++;
	if (ui->j) {
		json_t *e = json_object();
		json_object_set_new(e, "doc_id", json_string(r->doc_id));
		json_object_set_new(e, "seq", json_integer(r->seq));
		json_object_set_new(e, "file",
		                    r->file_name ? json_string(r->file_name) : json_null());
		json_object_set_new(e, "page_no", json_integer(r->page_no));
		json_object_set_new(e, "mean_conf", json_real(r->mean_conf));
		json_object_set_new(e, "text", r->text ? json_string(r->text) : json_null());
		json_array_append_new(ui->j, e);
	} else {
		printf("%s  page %d (%s p%d)  confidence %.1f  ", r->doc_id, r->seq,
		       r->file_name ? r->file_name : "?", r->page_no, r->mean_conf);
		excerpt(r->text, 60);
		putchar('\n');
	}
	return 0;
}

static int sub_review(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	review_ui ui = {0};
	opts o;
	int rc;

	if ((rc = parse(&o, ocr_cmd(), argc, argv, 0, "jbl")) != 0)
		return rc;
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	if (o.json)
		ui.j = json_array();
	rc = hl_archive_ocr_review(a, cli_who(), o.below, o.limit, review_row, &ui);
	hl_archive_free(a);
	if (rc < 0) {
		json_decref(ui.j);
		return cli_fail();
	}
	if (o.json)
		cli_print_json(ui.j);
	else if (!ui.n)
		printf("no recognised page has a mean confidence below %.0f\n", o.below);
	else
		printf("%zu pages below confidence %.0f: check them against the scan\n", ui.n,
		       o.below);
	return EXIT_OK;
}

/* ---- ocr eval ---- */

static void eval_row(const hl_ocr_eval_row *r, void *ud)
{
	if (ud) {
		json_t *e = json_object();
		json_object_set_new(e, "doc_id", json_string(r->doc_id));
		json_object_set_new(e, "file", json_string(r->file));
		json_object_set_new(e, "page_no",
		                    r->page_no ? json_integer(r->page_no) : json_null());
		json_object_set_new(e, "truth", json_string(r->truth_path));
		json_object_set_new(e, "cer", json_real(r->cer));
		json_object_set_new(e, "wer", json_real(r->wer));
		json_object_set_new(e, "mean_conf", json_real(r->mean_conf));
		json_array_append_new(ud, e);
		return;
	}
	if (r->page_no)
		printf("%s  %s p%d  CER %.2f%%  WER %.2f%%  confidence %.1f\n", r->doc_id, r->file,
		       r->page_no, 100 * r->cer, 100 * r->wer, r->mean_conf);
	else
		printf("%s  %s  CER %.2f%%  WER %.2f%%  confidence %.1f\n", r->doc_id, r->file,
		       100 * r->cer, 100 * r->wer, r->mean_conf);
}

static int sub_eval(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	hl_ocr_eval_total t;
	json_t *rows = NULL;
	opts o;
	int rc;

	if ((rc = parse(&o, ocr_cmd(), argc, argv, 1, "j")) != 0)
		return rc;
	if (o.nargs != 1)
		return cli_usage_error(ocr_cmd(), "eval: give the ground-truth folder");
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	if (o.json)
		rows = json_array();
	rc = hl_archive_ocr_eval(&t, a, o.args[0], eval_row, rows);
	hl_archive_free(a);
	if (rc < 0) {
		json_decref(rows);
		return cli_fail();
	}
	if (o.json) {
		json_t *j = json_object();
		json_object_set_new(j, "compared", json_integer((json_int_t)t.pages));
		json_object_set_new(j, "without_truth", json_integer((json_int_t)t.missing));
		json_object_set_new(j, "cer", json_real(t.cer));
		json_object_set_new(j, "wer", json_real(t.wer));
		json_object_set_new(j, "char_edits", json_integer((json_int_t)t.char_edits));
		json_object_set_new(j, "char_total", json_integer((json_int_t)t.char_total));
		json_object_set_new(j, "word_edits", json_integer((json_int_t)t.word_edits));
		json_object_set_new(j, "word_total", json_integer((json_int_t)t.word_total));
		json_object_set_new(j, "pages", rows);
		cli_print_json(j);
	} else {
		printf("eval: CER %.2f%% (%llu edits / %llu characters), WER %.2f%% (%llu / %llu "
		       "words) over %llu comparisons; %llu recognised pages without ground truth\n",
		       100 * t.cer, (unsigned long long)t.char_edits,
		       (unsigned long long)t.char_total, 100 * t.wer,
		       (unsigned long long)t.word_edits, (unsigned long long)t.word_total,
		       (unsigned long long)t.pages, (unsigned long long)t.missing);
	}
	return t.pages ? EXIT_OK : EXIT_PARTIAL;
}

static int cmd_ocr(cli_ctx *ctx, int argc, char **argv)
{
	static const cli_sub subs[] = {
	    {"run", sub_run},
	    {"status", sub_status},
	    {"review", sub_review},
	    {"eval", sub_eval},
	    {0},
	};
	return cli_dispatch(ocr_cmd(), subs, ctx, argc, argv);
}

/* ---- export ---- */

static int export_pdf(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	opts o;
	int rc;

	if ((rc = parse(&o, export_cmd(), argc, argv, 1, "o")) != 0)
		return rc;
	char dflt[160];
	if (o.nargs != 1)
		return cli_usage_error(export_cmd(), "pdf: give one document id");
	if (!o.out) {
		/* ID.pdf in the current folder */
		if (strlen(o.args[0]) > 120 || strchr(o.args[0], '/'))
			return cli_usage_error(export_cmd(), "pdf: give -o FILE.pdf for this id");
		snprintf(dflt, sizeof(dflt), "%s.pdf", o.args[0]);
		o.out = dflt;
	}
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	rc = hl_archive_export_pdf(a, cli_who(), o.args[0], o.out);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("export: %s written (searchable PDF of %s)\n", o.out, o.args[0]);
	return EXIT_OK;
}

static int export_alto(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	struct stat sb;
	opts o;
	int rc = 0, written = 0;

	if ((rc = parse(&o, export_cmd(), argc, argv, 1, "op")) != 0)
		return rc;
	if (o.nargs != 1)
		return cli_usage_error(export_cmd(), "alto: give one document id");
	if (!o.page && !o.out)
		return cli_usage_error(export_cmd(),
		                       "alto: give --page N, or -o DIR for every page");
	/* every page: -o names a folder, made if need be */
	if (!o.page && hl_mkdir_p(o.out, 0755) < 0)
		return cli_fail();
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	for (int seq = o.page ? (int)o.page : 1;; seq++) {
		char *xml = NULL;
		rc = hl_archive_page_alto(&xml, a, cli_who(), o.args[0], seq);
		if (rc == HL_ENOTFOUND && !o.page && written) {
			rc = 0; /* past the last page */
			break;
		}
		if (rc < 0)
			break;
		if (!o.out) {
			fputs(xml, stdout);
		} else if (o.page && !(stat(o.out, &sb) == 0 && S_ISDIR(sb.st_mode))) {
			rc = hl_write_atomic(o.out, xml, strlen(xml), 0644);
		} else {
			char name[160], *path;
			snprintf(name, sizeof(name), "%s-p%04d.alto.xml", o.args[0], seq);
			if ((path = hl_path_join(o.out, name)) == NULL) {
				free(xml);
				rc = -1;
				break;
			}
			rc = hl_write_atomic(path, xml, strlen(xml), 0644);
			free(path);
		}
		free(xml);
		if (rc < 0)
			break;
		written++;
		if (o.page)
			break;
	}
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o.out)
		printf("export: %d ALTO page%s of %s in %s\n", written, written == 1 ? "" : "s",
		       o.args[0], o.out);
	return EXIT_OK;
}

static int cmd_export(cli_ctx *ctx, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;
	if (!sub)
		return cli_usage_error(export_cmd(), "give a format: pdf or alto");
	if (!strcmp(sub, "pdf"))
		return export_pdf(ctx, argc - 1, argv + 1);
	if (!strcmp(sub, "alto"))
		return export_alto(ctx, argc - 1, argv + 1);
	return cli_usage_error(export_cmd(), "unknown format %s", sub);
}

const cli_command cli_ocr_commands[] = {
    {"ocr", cmd_ocr, "recognise the pages of scans; status, review, error rates",
     "ocr SUBCOMMAND [ARGS]\n\n"
     "  run [--jobs N] [--max N] [--retry-failed] [--quiet] [--json]\n"
     "                         recognise the queued pages with N workers (default: one per\n"
     "                         core); each page is saved when done, so a killed run loses\n"
     "                         nothing; exit 3 if some pages failed\n"
     "  status [--json]        done / pending / failed, pages per minute, time left\n"
     "  review [--below C] [--limit N] [--json]\n"
     "                         pages whose mean confidence is below C (default 70)\n"
     "  eval GT_DIR [--json]   character and word error rates against GT_DIR/NAME.txt\n"
     "                         (NAME: the scan's file name without extension; NAME.pN.txt\n"
     "                         for page N of a file of several pages)\n\n"
     "Pages are queued by `halong ingest MANIFEST --ocr`."},
    {"export", cmd_export, "a document as a searchable PDF, or its pages as ALTO XML",
     "export pdf ID [-o FILE.pdf]             (default: ID.pdf here)\n"
     "       export alto ID --page N [-o FILE]   (stdout without -o)\n"
     "       export alto ID -o DIR               every page: DIR/ID-pNNNN.alto.xml\n\n"
     "Every page of the document must have been recognised (halong ocr run)."},
    {0},
};
