/* The ocr and export command groups: work the OCR queue, see its state, review weak pages,
 * measure error rates against ground truth, and export ALTO and searchable PDF. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"
#include "halong/archive_json.h"
#include "halong/ocr.h"
#include "halong/util.h"

extern const cli_cmd cli_ocr_commands[];

/* A number's digits as an option's default is typed: STR(HL_OCR_LOW_CONFIDENCE) is "70". */
#define STR_(x) #x
#define STR(x)  STR_(x)

typedef struct {
	int json, quiet, retry;
	uint64_t jobs, max, limit, page;
	double below;
	const char *out, *file, *version;
} opts;

static const cli_opt run_opts[] = {
    CLI_COUNT_OPT("jobs", opts, jobs, "N", 1, 64, NULL, "workers (default: one per core)"),
    CLI_COUNT_OPT("max", opts, max, "N", 1, 1000000, NULL, "stop after N pages"),
    CLI_FLAG_OPT("retry-failed", 0, opts, retry, "put the failed pages back in the queue first"),
    CLI_FLAG_OPT("quiet", 'q', opts, quiet, "no progress"),
    CLI_FLAG_OPT("json", 0, opts, json, "as JSON"),
    CLI_OPT_END,
};
static const cli_opt json_only[] = {
    CLI_FLAG_OPT("json", 0, opts, json, "as JSON"),
    CLI_OPT_END,
};
static const cli_opt review_opts[] = {
    CLI_REAL_OPT("below", opts, below, "C", 0, 100, STR(HL_OCR_LOW_CONFIDENCE),
                 "also a machine text whose mean confidence is below C"),
    CLI_COUNT_OPT("limit", opts, limit, "N", 1, 1000000, "50", "pages listed"),
    CLI_FLAG_OPT("json", 0, opts, json, "as JSON"),
    CLI_OPT_END,
};
static const cli_opt correct_opts[] = {
    CLI_NEEDED_OPT("file", opts, file, "FILE", "the corrected text (UTF-8; - reads stdin)"),
    CLI_TEXT_OPT("base-version", 0, opts, version, "N",
                 "the version you corrected (refused if the page is at another now)"),
    CLI_FLAG_OPT("json", 0, opts, json, "as JSON"),
    CLI_OPT_END,
};
static const cli_opt approve_opts[] = {
    CLI_TEXT_OPT("version", 0, opts, version, "N",
                 "the version you read (refused if the page is at another now)"),
    CLI_FLAG_OPT("json", 0, opts, json, "as JSON"),
    CLI_OPT_END,
};
static const cli_opt text_opts[] = {
    CLI_TEXT_OPT("version", 0, opts, version, "N", "this version (0: the machine's)"),
    CLI_FLAG_OPT("json", 0, opts, json, "every version, as JSON"),
    CLI_OPT_END,
};
static const cli_opt pdf_opts[] = {
    CLI_TEXT_OPT("output", 'o', opts, out, "FILE.pdf", "where to write (default: ID.pdf here)"),
    CLI_OPT_END,
};
static const cli_opt alto_opts[] = {
    CLI_COUNT_OPT("page", opts, page, "N", 1, 1000000, NULL, "one page (stdout without -o)"),
    CLI_TEXT_OPT("output", 'o', opts, out, "FILE|DIR",
                 "a file for --page N, else a folder for every page"),
    CLI_OPT_END,
};

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

static int sub_run(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_archive *a = NULL;
	hl_ocr_run_result r;
	hl_ocr_run_opts ro = {0};
	cli_progress p;
	run_ui ui = {&p, 0};
	int rc;

	if (cli_open(&a, args->ctx) < 0)
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

static int sub_status(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_archive *a = NULL;
	hl_ocr_status s;

	if (cli_open(&a, args->ctx) < 0)
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

/* "9 unknown words, 4 unsure words, 1 character Vietnamese never writes" */
static void reasons(const hl_page_row *r)
{
	const char *sep = "";
	if (r->unknown_words)
		printf("%s%u unknown word%s", sep, r->unknown_words,
		       r->unknown_words == 1 ? "" : "s"),
		    sep = ", ";
	if (r->low_conf_words)
		printf("%s%u unsure word%s", sep, r->low_conf_words,
		       r->low_conf_words == 1 ? "" : "s"),
		    sep = ", ";
	if (r->bad_chars)
		printf("%s%u impossible character%s", sep, r->bad_chars,
		       r->bad_chars == 1 ? "" : "s"),
		    sep = ", ";
	if (r->below)
		printf("%sconfidence %.1f", sep, r->mean_conf), sep = ", ";
	if (r->suspect_words) {
		json_t *w = json_loads(r->suspect_words, 0, NULL);
		size_t i;
		json_t *v;
		json_array_foreach(w, i, v) printf("%s%s", i ? ", " : ": ", json_string_value(v));
		json_decref(w);
	}
}

static int review_row(const hl_page_row *r, void *ud)
{
	review_ui *ui = ud;
	ui->n++;
	if (ui->j) {
		json_t *e = hl_page_review_json(r);
		if (!e)
			return hl_error_set(HL_ENOMEM, "out of memory");
		json_array_append_new(ui->j, e);
	} else {
		printf("%s  page %d (%s p%d)%s  ", r->doc_id, r->seq,
		       r->file_name ? r->file_name : "?", r->page_no,
		       r->text_version ? "  corrected" : "");
		reasons(r);
		printf("  ");
		excerpt(r->text, 60);
		putchar('\n');
	}
	return 0;
}

static int sub_review(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_archive *a = NULL;
	review_ui ui = {0};
	uint64_t unchecked = 0;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	if (o.json)
		ui.j = json_array();
	rc = hl_archive_ocr_review(a, cli_who(), o.below, o.limit, &unchecked, review_row, &ui);
	hl_archive_free(a);
	if (rc < 0) {
		json_decref(ui.j);
		return cli_fail();
	}
	if (o.json)
		cli_print_json(ui.j);
	else if (!ui.n)
		printf("no page to check: no unknown or unsure word, no impossible character, no "
		       "machine text below confidence %.0f\n",
		       o.below);
	else
		printf("%zu pages to check against the scan, the most suspicious first\n", ui.n);
	if (unchecked && !o.json)
		fprintf(stderr,
		        "halong: %llu pages are not checked yet (run halong ocr review again, or "
		        "halong ocr run)\n",
		        (unsigned long long)unchecked);
	return EXIT_OK;
}

/* ---- ocr correct, approve, text ---- */

/* PAGE: a page number of the document. */
static int page_operand(int *out, const cli_args *args)
{
	const char *s = args->args[1];
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*s < '1' || *s > '9' || *end || v > 100000)
		return cli_usage(args->cmd,
		                 "PAGE is a page number of the document (1, 2, ...), not "
		                 "\"%.40s\"",
		                 s);
	*out = (int)v;
	return 0;
}

/* --version N / --base-version N: a version number (0: the machine's text); -1 when absent. */
static int version_opt(int *out, const cli_args *args, const char *name)
{
	const char *s = ((const opts *)args->opts)->version;
	char *end;
	unsigned long v;
	*out = -1;
	if (!s)
		return 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || v > 1000000000)
		return cli_usage(args->cmd,
		                 "--%s wants a version number (0, 1, ...), not \"%.40s\"", name, s);
	*out = (int)v;
	return 0;
}

/* The corrected text: at most one byte more than a page may hold is read, so that the library
 * answers "too long" naming the file. */
static char *read_text(size_t *len, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = HL_OCR_MAX_TEXT + 1, n = 0, k;
	struct stat sb;
	char *buf;
	if (!f) {
		hl_error_set(HL_EIO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		hl_error_set(HL_EINVALID, "%s: a folder, not a text file", path);
		goto fail;
	}
	if (!(buf = malloc(cap + 1))) {
		hl_error_set(HL_ENOMEM, "out of memory");
		goto fail;
	}
	while (n < cap && (k = fread(buf + n, 1, cap - n, f)) > 0)
		n += k;
	if (ferror(f)) {
		free(buf);
		hl_error_set(HL_EIO, "%s: cannot read", path);
		goto fail;
	}
	if (f != stdin)
		fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	if (f != stdin)
		fclose(f);
	return NULL;
}

static int print_state(const char *doc_id, const hl_page_text_state *s, int json, const char *what)
{
	if (json) {
		cli_print_json(hl_page_text_state_json(doc_id, s));
		return EXIT_OK;
	}
	if (!s->changed)
		printf("page %d of %s: unchanged (%s, version %d%s%s)\n", s->seq, doc_id,
		       s->text_version ? "corrected" : "machine text", s->text_version,
		       *s->approved_by ? ", approved by " : "", s->approved_by);
	else if (!strcmp(what, "approve"))
		printf("page %d of %s: version %d approved by %s at %s\n", s->seq, doc_id,
		       s->text_version, s->approved_by, s->approved_at);
	else
		printf("page %d of %s: version %d saved by %s at %s%s\n", s->seq, doc_id,
		       s->text_version, s->corrected_by, s->corrected_at,
		       s->indexed ? "; searchable now"
		                  : "; the search index has it queued (halong reindex --pending)");
	return EXIT_OK;
}

static int sub_correct(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_page_text_state st;
	hl_archive *a = NULL;
	char *text;
	size_t len = 0;
	int seq, base, rc;

	if ((rc = page_operand(&seq, args)) != 0 ||
	    (rc = version_opt(&base, args, "base-version")) != 0)
		return rc;
	if (!(text = read_text(&len, o.file)))
		return cli_fail();
	if (cli_open(&a, args->ctx) < 0) {
		free(text);
		return cli_fail();
	}
	rc = hl_archive_page_correct(&st, a, cli_who(), args->args[0], seq, text, len,
	                             strcmp(o.file, "-") ? o.file : "stdin", base);
	free(text);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	return print_state(args->args[0], &st, o.json, "correct");
}

static int sub_approve(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_page_text_state st;
	hl_archive *a = NULL;
	int seq, version, rc;

	if ((rc = page_operand(&seq, args)) != 0 ||
	    (rc = version_opt(&version, args, "version")) != 0)
		return rc;
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_archive_page_approve(&st, a, cli_who(), args->args[0], seq, version);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	return print_state(args->args[0], &st, o.json, "approve");
}

static int text_row(int version, const char *text, const char *by, const char *at, void *ud)
{
	json_t *v =
	    json_pack("{s:i,s:s}", "version", version, "source", version ? "corrected" : "machine");
	json_object_set_new(v, "by", by ? json_string(by) : json_null());
	json_object_set_new(v, "at", at ? json_string(at) : json_null());
	json_object_set_new(v, "text", json_string(text ? text : ""));
	json_array_append_new(ud, v);
	return 0;
}

static int sub_text(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_page_text_state st;
	hl_archive *a = NULL;
	json_t *all = json_array(), *v;
	int seq, version, rc;
	size_t i;

	if ((rc = page_operand(&seq, args)) != 0 ||
	    (rc = version_opt(&version, args, "version")) != 0)
		return rc;
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	/* every version in one read (one audit entry for a restricted record) */
	rc = hl_archive_page_texts(&st, a, cli_who(), args->args[0], seq, text_row, all);
	hl_archive_free(a);
	if (rc < 0) {
		json_decref(all);
		return cli_fail();
	}
	if (o.json) {
		json_t *j = hl_page_text_state_json(args->args[0], &st);
		json_object_del(j, "changed");
		json_object_del(j, "indexed");
		json_object_set_new(j, "may_edit", json_boolean(st.may_edit));
		json_object_set_new(j, "versions", all);
		cli_print_json(j);
		return EXIT_OK;
	}
	/* without --version: the text in use */
	if (version < 0)
		version = st.text_version;
	json_array_foreach(all, i, v)
	{
		const char *t = json_string_value(json_object_get(v, "text"));
		if (json_integer_value(json_object_get(v, "version")) != version)
			continue;
		fputs(t, stdout);
		if (*t && t[strlen(t) - 1] != '\n')
			putchar('\n');
		json_decref(all);
		return EXIT_OK;
	}
	json_decref(all);
	fprintf(stderr, "halong: page %d of %s has no version %d (it is at version %d)\n", seq,
	        args->args[0], version, st.text_version);
	return EXIT_ERR;
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

static int sub_eval(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_archive *a = NULL;
	hl_ocr_eval_total t;
	json_t *rows = NULL;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	if (o.json)
		rows = json_array();
	rc = hl_archive_ocr_eval(&t, a, args->args[0], eval_row, rows);
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

/* ---- export ---- */

static int export_pdf(const cli_args *args)
{
	opts o = *(const opts *)args->opts;
	const char *id = args->args[0];
	hl_archive *a = NULL;
	char dflt[160];
	int rc;

	if (!o.out) {
		/* ID.pdf in the current folder */
		if (strlen(id) > 120 || strchr(id, '/'))
			return cli_usage(args->cmd, "give -o FILE.pdf for this id");
		snprintf(dflt, sizeof(dflt), "%s.pdf", id);
		o.out = dflt;
	}
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_archive_export_pdf(a, cli_who(), id, o.out);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("export: %s written (searchable PDF of %s)\n", o.out, id);
	return EXIT_OK;
}

static int export_alto(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_archive *a = NULL;
	struct stat sb;
	int rc = 0, written = 0;

	if (!o.page && !o.out)
		return cli_usage(args->cmd, "give --page N, or -o DIR for every page");
	/* every page: -o names a folder, made if need be */
	if (!o.page && hl_mkdir_p(o.out, 0755) < 0)
		return cli_fail();
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	for (int seq = o.page ? (int)o.page : 1;; seq++) {
		char *xml = NULL;
		rc = hl_archive_page_alto(&xml, a, cli_who(), args->args[0], seq);
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
			snprintf(name, sizeof(name), "%s-p%04d.alto.xml", args->args[0], seq);
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
		       args->args[0], o.out);
	return EXIT_OK;
}

#define OCR    (&cli_ocr_commands[0])
#define EXPORT (&cli_ocr_commands[1])
static const cli_cmd ocr_subs[] = {
    {.name = "run",
     .summary = "recognise the queued pages with N workers",
     .opts = run_opts,
     .opts_size = sizeof(opts),
     .run = sub_run,
     .group = OCR,
     .help = "Each page is saved when done, so a killed run loses nothing. Exit 3 if some\n"
             "pages failed."},
    {.name = "status",
     .summary = "done / pending / failed, pages per minute, time left",
     .opts = json_only,
     .opts_size = sizeof(opts),
     .run = sub_status,
     .group = OCR},
    {.name = "review",
     .summary = "pages to check: unknown or unsure words, impossible characters, low confidence",
     .opts = review_opts,
     .opts_size = sizeof(opts),
     .run = sub_review,
     .group = OCR},
    {.name = "correct",
     .summary = "save a page's corrected text as a new version",
     .operands = "ID PAGE",
     .min_args = 2,
     .max_args = 2,
     .missing = "give the document id and the page number",
     .opts = correct_opts,
     .opts_size = sizeof(opts),
     .run = sub_correct,
     .group = OCR,
     .help =
         "The machine's text and its word boxes are kept, and every version with who saved\n"
         "it and when; search, show and the exports use the corrected text. Archivists and\n"
         "admins of the unit holding the fonds (the node's operator: any). Workflow:\n"
         "halong ocr text ID PAGE > p.txt; edit p.txt; halong ocr correct ID PAGE --file p.txt"},
    {.name = "approve",
     .summary = "approve a page's text as it is now",
     .operands = "ID PAGE",
     .min_args = 2,
     .max_args = 2,
     .missing = "give the document id and the page number",
     .opts = approve_opts,
     .opts_size = sizeof(opts),
     .run = sub_approve,
     .group = OCR,
     .help = "An approved page leaves the review list; a later correction takes the approval\n"
             "away."},
    {.name = "text",
     .summary = "a page's text (or one of its versions); --json: every version",
     .operands = "ID PAGE",
     .min_args = 2,
     .max_args = 2,
     .missing = "give the document id and the page number",
     .opts = text_opts,
     .opts_size = sizeof(opts),
     .run = sub_text,
     .group = OCR},
    {.name = "eval",
     .summary = "character and word error rates against ground truth",
     .operands = "GT_DIR",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the ground-truth folder",
     .opts = json_only,
     .opts_size = sizeof(opts),
     .run = sub_eval,
     .group = OCR,
     .help = "Each recognised page is compared with GT_DIR/NAME.txt (NAME: the scan's file\n"
             "name without extension; NAME.pN.txt for page N of a file of several pages)."},
    {0},
};
static const cli_cmd export_subs[] = {
    {.name = "pdf",
     .summary = "a document as a searchable PDF",
     .operands = "ID",
     .min_args = 1,
     .max_args = 1,
     .missing = "give one document id",
     .opts = pdf_opts,
     .opts_size = sizeof(opts),
     .run = export_pdf,
     .group = EXPORT},
    {.name = "alto",
     .summary = "a document's pages as ALTO XML",
     .operands = "ID",
     .min_args = 1,
     .max_args = 1,
     .missing = "give one document id",
     .opts = alto_opts,
     .opts_size = sizeof(opts),
     .run = export_alto,
     .group = EXPORT,
     .help = "--page N writes one page (stdout without -o); -o DIR alone writes every page as\n"
             "DIR/ID-pNNNN.alto.xml."},
    {0},
};
#undef OCR
#undef EXPORT

const cli_cmd cli_ocr_commands[] = {
    {.name = "ocr",
     .summary = "recognise the pages of scans; status, review, error rates",
     .subs = ocr_subs,
     .help = "Pages are queued by `halong ingest MANIFEST --ocr`."},
    {.name = "export",
     .summary = "a document as a searchable PDF, or its pages as ALTO XML",
     .subs = export_subs,
     .help = "Every page of the document must have been recognised (halong ocr run)."},
    {0},
};
