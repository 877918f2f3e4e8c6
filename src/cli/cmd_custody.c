/* The fonds and custody command groups: who created each fonds, who holds it on a date, the
 * decisions splits need, and the hand-over receipt (biên bản giao nhận). Each asks the archive
 * as the node's operator (hl_principal_local), through the verbs the server uses. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "halong/archive.h"
#include "halong/archive_json.h"
#include "halong/units.h"
#include "halong/units_json.h"
#include "halong/util.h"

extern const cli_cmd cli_custody_commands[];

typedef struct {
	int json, remove;
	const char *at, *to, *from, *date, *basis, *creator, *creator_at, *name, *csv, *html;
	hl_desc d; /* describe, series, dossier: the fields given (NULL: kept, "": cleared) */
} opts;

#define AT_OPT   CLI_TEXT_OPT("at", 0, opts, at, "DATE", "on DATE (default: today)")
#define JSON_OPT CLI_FLAG_OPT("json", 0, opts, json, "as JSON")

static const cli_opt at_json[] = {AT_OPT, JSON_OPT, CLI_OPT_END};
static const cli_opt json_only[] = {JSON_OPT, CLI_OPT_END};
static const cli_opt set_opts[] = {
    CLI_TEXT_OPT("creator", 0, opts, creator, "CODE", "the unit that created the fonds"),
    CLI_TEXT_OPT("creator-at", 0, opts, creator_at, "DATE",
                 "the creator as it was on DATE (default: the code's first version)"),
    CLI_TEXT_OPT("name", 0, opts, name, "NAME", "the fonds' name"),
    CLI_OPT_END,
};
/* A field of the description: "" is a value (it clears the field). */
#define DESC_OPT(NAME, FIELD, ARG, HELP)                                                           \
	{                                                                                          \
		.name = NAME, .kind = CLI_TEXT, .off = offsetof(opts, d.FIELD), .arg = ARG,        \
		.flags = CLI_EMPTY_OK, .help = HELP                                                \
	}
#define DATES_OPTS                                                                                 \
	DESC_OPT("from", date_from, "DATE", "the first date (yyyy, mm/yyyy or dd/mm/yyyy)"),       \
	    DESC_OPT("to", date_to, "DATE", "the last date"),                                      \
	    DESC_OPT("extent", extent, "TEXT", "the extent (số lượng): \"3 hộp, 120 hồ sơ\""),     \
	    DESC_OPT("notes", notes, "TEXT", "notes (ghi chú)")
static const cli_opt describe_opts[] = {
    DESC_OPT("name", title, "NAME", "the fonds' name (tên phông)"),
    DATES_OPTS,
    DESC_OPT("history", history, "TEXT", "the history of its creator (lịch sử đơn vị)"),
    DESC_OPT("scope", scope, "TEXT", "the scope and content (nội dung)"),
    CLI_OPT_END,
};
static const cli_opt series_opts[] = {
    DESC_OPT("title", title, "TEXT", "the series' title (needed to create it)"),
    DATES_OPTS,
    DESC_OPT("scope", scope, "TEXT", "the scope and content"),
    CLI_FLAG_OPT("remove", 0, opts, remove, "remove the series (it must hold no dossier)"),
    CLI_OPT_END,
};
static const cli_opt dossier_opts[] = {
    DESC_OPT("title", title, "TEXT", "the dossier's title (tiêu đề hồ sơ)"),
    DESC_OPT("series", series, "CODE", "its series in the fonds (\"\": none)"),
    DATES_OPTS,
    DESC_OPT("retention", retention, "YEARS", "permanent (vĩnh viễn) or a number of years"),
    CLI_OPT_END,
};
static const cli_opt show_opts[] = {AT_OPT, JSON_OPT, CLI_OPT_END};
static const cli_opt assign_opts[] = {
    CLI_NEEDED_OPT("to", opts, to, "CODE", "the unit that receives the fonds"),
    CLI_TEXT_OPT("from", 0, opts, from, "CODE", "the step's giver (with --date)"),
    CLI_TEXT_OPT("date", 0, opts, date, "DATE", "the day the giver ended (with --from)"),
    CLI_TEXT_OPT("basis", 0, opts, basis, "TEXT", "the decision's legal basis"),
    CLI_OPT_END,
};
static const cli_opt receipt_opts[] = {
    CLI_TEXT_OPT("from", 0, opts, from, "CODE", "only what came from CODE"),
    AT_OPT,
    CLI_TEXT_OPT("csv", 0, opts, csv, "FILE", "write the receipt as CSV"),
    CLI_TEXT_OPT("html", 0, opts, html, "FILE", "write the receipt as a printable page"),
    JSON_OPT,
    CLI_OPT_END,
};

static const char * or (const char *s, const char *dflt)
{
	return s && *s ? s : dflt;
}

/* Who asks from the console: the node's operator, named in the audit log as cli:USER. */
static hl_principal me_local(void)
{
	return hl_principal_local(cli_actor());
}

/* ---- fonds ---- */

static int fonds_list(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_principal who = me_local();
	hl_archive *a = NULL;
	hl_custodies *l = NULL;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_archive_fonds_list(&l, a, &who, o.at);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o.json) {
		json_t *j = json_array();
		for (size_t i = 0; i < l->n; i++)
			json_array_append_new(j, hl_fonds_row_json(&l->v[i]));
		cli_print_json(j);
	} else {
		for (size_t i = 0; i < l->n; i++) {
			const hl_custody *c = &l->v[i];
			printf("%s  %s  creator: %s %s  held by: %s %s  %lld dossiers, %lld "
			       "documents\n",
			       c->fonds_code, or (c->fonds_name, "(no name)"),
			       or (c->creator_code, "(none)"), or (c->creator_name, ""),
			       c->state == HL_CUSTODY_HELD ? c->custodian_code
			                                   : hl_custody_state_name(c->state),
			       or (c->custodian_name, ""), (long long)c->dossiers,
			       (long long)c->documents);
		}
		if (!l->n)
			printf("no fonds yet (halong ingest creates them; halong fonds set names "
			       "their creator)\n");
	}
	hl_custodies_free(l);
	return EXIT_OK;
}

static int fonds_set(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_principal who = me_local();
	hl_archive *a = NULL;
	hl_fonds *f = NULL;
	const hl_custody *c;
	int rc;

	if (!o.creator && !o.name)
		return cli_usage(args->cmd, "give --creator CODE, --name NAME, or both");
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_archive_fonds_set(&f, a, &who, args->args[0], o.creator, o.creator_at, o.name);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	c = f->custody;
	if (!c->creator_code)
		printf("fonds %s: %s (no creator unit)\n", c->fonds_code, or (f->desc.title, ""));
	else
		printf("fonds %s: created by %s %s (as on %s); held today by %s %s\n",
		       c->fonds_code, c->creator_code, or (c->creator_name, ""), c->creator_on,
		       c->state == HL_CUSTODY_HELD ? c->custodian_code : "(a decision is needed:",
		       c->state == HL_CUSTODY_HELD ? or (c->custodian_name, "")
		                                   : "see halong custody pending)");
	hl_fonds_free(f);
	return EXIT_OK;
}

/* ---- description: fonds show, describe, series, dossier ---- */

/* "1995-01 – 2019" from the described dates, else the documents' (said so). */
static void print_dates(const char *from, const char *to, const char *first, const char *last)
{
	if (from && to && !strcmp(from, to))
		printf("%s", from);
	else if ((from && *from) || (to && *to))
		printf("%s – %s", or (from, "?"), or (to, "?"));
	else if (first && (!last || !strcmp(first, last)))
		printf("%s (from its documents)", first);
	else if (first)
		printf("%s – %s (from its documents)", first, last);
	else
		printf("undated");
}

static void print_retention(const hl_dossier *d)
{
	const char *r = d->desc.retention ? d->desc.retention : d->doc_retention;
	if (!r)
		return;
	printf(", %s%s%s", strcmp(r, "permanent") ? r : "permanent",
	       strcmp(r, "permanent") ? " years" : "",
	       d->desc.retention ? "" : " (from its documents)");
}

static void print_dossier(const hl_dossier *d, const char *indent)
{
	printf("%s%s  %s\n%s    ", indent, d->code, or (d->desc.title, "(no title)"), indent);
	print_dates(d->desc.date_from, d->desc.date_to, d->first_date, d->last_date);
	print_retention(d);
	printf(", %lld documents", (long long)d->documents);
	if (d->pages > 0)
		printf(", %lld pages", (long long)d->pages);
	printf("%s%s\n", d->desc.extent ? "; " : "", or (d->desc.extent, ""));
	if (d->desc.notes)
		printf("%s    notes: %s\n", indent, d->desc.notes);
}

static void print_series(const hl_fonds *f, const hl_series *s)
{
	printf("  series %s  %s (", s->code, or (s->desc.title, ""));
	print_dates(s->desc.date_from, s->desc.date_to, NULL, NULL);
	printf(", %lld dossier%s)\n", (long long)s->dossiers, s->dossiers == 1 ? "" : "s");
	for (size_t k = 0; k < f->ndossiers; k++)
		if (f->dossiers[k].desc.series && !strcmp(f->dossiers[k].desc.series, s->code))
			print_dossier(&f->dossiers[k], "    ");
}

/* The fonds as a tree: its description, each series with its dossiers, then the dossiers in
 * no series. */
static void print_fonds(const hl_fonds *f, int tree)
{
	const hl_custody *c = f->custody;
	const hl_desc *d = &f->desc;
	size_t loose = 0;
	printf("fonds %s  %s\n", c->fonds_code, or (d->title, "(no name)"));
	if (c->creator_code)
		printf("  creator: %s %s; held by: %s %s\n", c->creator_code,
		       or (c->creator_name, ""),
		       c->state == HL_CUSTODY_HELD ? c->custodian_code
		                                   : hl_custody_state_name(c->state),
		       or (c->custodian_name, ""));
	printf("  dates: ");
	print_dates(d->date_from, d->date_to, NULL, NULL);
	printf("\n");
	if (d->extent)
		printf("  extent: %s\n", d->extent);
	if (d->history)
		printf("  history: %s\n", d->history);
	if (d->scope)
		printf("  scope and content: %s\n", d->scope);
	if (d->notes)
		printf("  notes: %s\n", d->notes);
	if (!tree)
		return;
	for (size_t i = 0; i < f->nseries; i++)
		print_series(f, &f->series[i]);
	for (size_t k = 0; k < f->ndossiers; k++)
		loose += !f->dossiers[k].desc.series;
	if (loose && f->nseries)
		printf("  in no series:\n");
	for (size_t k = 0; k < f->ndossiers; k++)
		if (!f->dossiers[k].desc.series)
			print_dossier(&f->dossiers[k], "    ");
	if (!f->ndossiers)
		printf("  no dossier\n");
}

/* The fonds as JSON: the API's GET /api/v1/fonds/{code} keys that describe it. */
static json_t *fonds_json(const hl_fonds *f)
{
	json_t *j = hl_custody_json(f->custody, f->custody->dossiers, f->custody->documents),
	       *desc = json_object(), *se = json_array(), *dl = json_array();
	hl_desc_json(desc, &f->desc, HL_LEVEL_FONDS);
	for (size_t i = 0; i < f->nseries; i++)
		json_array_append_new(se, hl_series_json(&f->series[i]));
	for (size_t i = 0; i < f->ndossiers; i++)
		json_array_append_new(dl, hl_dossier_json(&f->dossiers[i]));
	json_object_set_new(j, "description", desc);
	json_object_set_new(j, "may_describe", json_boolean(f->may_describe));
	json_object_set_new(j, "series", se);
	json_object_set_new(j, "dossiers", dl);
	return j;
}

static int fonds_show(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_principal who = me_local();
	hl_archive *a = NULL;
	hl_fonds *f = NULL;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_archive_fonds_get(&f, a, &who, args->args[0], o.at);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o.json)
		cli_print_json(fonds_json(f));
	else
		print_fonds(f, 1);
	hl_fonds_free(f);
	return EXIT_OK;
}

/* describe, series, dossier: the fields given, at their level. */
static int describe_at(const cli_args *args, hl_level level)
{
	const opts o = *(const opts *)args->opts;
	hl_principal who = me_local();
	hl_archive *a = NULL;
	hl_fonds *f = NULL;
	const char *code = args->nargs > 1 ? args->args[1] : NULL;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	if (o.remove)
		rc = hl_archive_series_remove(a, &who, args->args[0], code);
	else
		rc = hl_archive_describe(&f, a, &who, level, args->args[0], code, &o.d);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o.remove)
		printf("series %s of fonds %s removed\n", code, args->args[0]);
	else if (level == HL_LEVEL_FONDS)
		print_fonds(f, 0);
	for (size_t i = 0; f && level == HL_LEVEL_SERIES && i < f->nseries; i++)
		if (!strcmp(f->series[i].code, code))
			print_series(f, &f->series[i]);
	for (size_t i = 0; f && level == HL_LEVEL_DOSSIER && i < f->ndossiers; i++)
		if (!strcmp(f->dossiers[i].code, code))
			print_dossier(&f->dossiers[i], "");
	hl_fonds_free(f);
	return EXIT_OK;
}

static int fonds_describe(const cli_args *args)
{
	return describe_at(args, HL_LEVEL_FONDS);
}

static int fonds_series(const cli_args *args)
{
	const opts *o = args->opts;
	if (o->remove && (o->d.title || o->d.date_from || o->d.date_to || o->d.extent ||
	                  o->d.scope || o->d.notes)) {
		fprintf(stderr, "halong: --remove takes no other option\n");
		return EXIT_USAGE;
	}
	return describe_at(args, HL_LEVEL_SERIES);
}

static int fonds_dossier(const cli_args *args)
{
	return describe_at(args, HL_LEVEL_DOSSIER);
}

/* ---- custody ---- */

static void print_step(const hl_custody_step *s)
{
	printf("  %s  %s %s → ", s->effective_date, s->from_code, or (s->from_name, ""));
	if (!strcmp(s->how, "pending")) {
		printf("? a decision is needed; ");
		if (s->suggest_code)
			printf("abolished; usually %s %s receives its records", s->suggest_code,
			       or (s->suggest_name, ""));
		else
			printf("split between");
		for (size_t i = 0; i < s->options.n; i++) {
			const hl_succession *x = &s->options.v[i];
			if (*x->new_code)
				printf("%s %s %s (%s)", i ? "," : "", x->new_code,
				       or (x->new_name, ""),
				       or (x->merge_type, hl_succ_kind_name(x->kind)));
		}
		putchar('\n');
		return;
	}
	if (!strcmp(s->how, "decision"))
		printf("%s %s  (decided by %s on %.10s%s%s)\n", s->to_code, or (s->to_name, ""),
		       or (s->decided_by, "?"), or (s->decided_at, "?"), s->basis ? "; " : "",
		       or (s->basis, ""));
	else
		printf("%s %s  (%s%s%s)\n", s->to_code, or (s->to_name, ""), s->how,
		       s->basis ? ", " : "", or (s->basis, ""));
}

static int sub_show(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_principal who = me_local();
	hl_archive *a = NULL;
	hl_custody *c = NULL;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_archive_custody_show(&c, a, &who, args->args[0], o.at);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o.json) {
		cli_print_json(hl_custody_json(c, c->dossiers, c->documents));
	} else {
		printf("fonds %s  %s  (%lld dossiers, %lld documents)\n", c->fonds_code,
		       or (c->fonds_name, ""), (long long)c->dossiers, (long long)c->documents);
		if (c->state == HL_CUSTODY_NO_CREATOR) {
			printf("  no creator unit recorded: halong fonds set %s --creator CODE\n",
			       c->fonds_code);
		} else {
			printf("  created by %s %s (as on %s)\n", c->creator_code,
			       or (c->creator_name, ""), c->creator_on);
			for (size_t i = 0; i < c->nsteps; i++)
				print_step(&c->steps[i]);
			if (c->state == HL_CUSTODY_HELD)
				printf("  held by %s %s\n", c->custodian_code,
				       or (c->custodian_name, ""));
			else
				printf("  waiting for a decision: halong custody assign %s --to "
				       "CODE\n",
				       c->fonds_code);
		}
	}
	hl_custody_free(c);
	return EXIT_OK;
}

static int sub_of(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_principal who = me_local();
	hl_archive *a = NULL;
	hl_custodies *l = NULL;
	int64_t docs = 0;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_archive_custody_of(&l, a, &who, args->args[0], o.at);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o.json) {
		cli_print_json(hl_custodies_json(l));
	} else {
		for (size_t i = 0; i < l->n; i++) {
			const hl_custody *c = &l->v[i];
			docs += c->documents;
			printf("%s  %s  %lld dossiers, %lld documents", c->fonds_code,
			       or (c->fonds_name, ""), (long long)c->dossiers,
			       (long long)c->documents);
			if (c->received)
				printf("  (inherited from %s %s, %s)", c->creator_code,
				       or (c->creator_name, ""), c->received->effective_date);
			else
				printf("  (its own)");
			putchar('\n');
		}
		printf("%s holds %zu fonds, %lld documents\n", args->args[0], l->n,
		       (long long)docs);
	}
	hl_custodies_free(l);
	return EXIT_OK;
}

static int sub_pending(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_principal who = me_local();
	hl_archive *a = NULL;
	hl_custodies *l = NULL;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_archive_custody_pending(&l, a, &who);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o.json) {
		cli_print_json(hl_custodies_json(l));
	} else {
		for (size_t i = 0; i < l->n; i++) {
			const hl_custody *c = &l->v[i];
			printf("%s  %s  (%lld documents)\n", c->fonds_code, or (c->fonds_name, ""),
			       (long long)c->documents);
			if (c->state == HL_CUSTODY_NO_CREATOR)
				printf("  no creator unit: halong fonds set %s --creator CODE\n",
				       c->fonds_code);
			else
				print_step(&c->steps[c->nsteps - 1]);
		}
		printf("%zu fonds waiting for a decision\n", l->n);
	}
	hl_custodies_free(l);
	return EXIT_OK;
}

static int sub_assign(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_principal who = me_local();
	hl_archive *a = NULL;
	hl_custody *c = NULL;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_archive_custody_assign(&c, a, &who, args->args[0], o.to, o.from, o.date, o.basis);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("fonds %s: %s\n", c->fonds_code,
	       c->state == HL_CUSTODY_HELD ? "held today by" : "recorded; still waiting:");
	if (c->state == HL_CUSTODY_HELD)
		printf("  %s %s\n", c->custodian_code, or (c->custodian_name, ""));
	else
		print_step(&c->steps[c->nsteps - 1]);
	hl_custody_free(c);
	return EXIT_OK;
}

/* ---- receipt ---- */

/* Writes what `emit` prints to `path` atomically: a reader never sees half a receipt. */
static int write_file(const char *path, void (*emit)(FILE *, const hl_receipt *),
                      const hl_receipt *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int rc;
	if (!m)
		return hl_error_set(HL_ENOMEM, "out of memory");
	emit(m, r);
	fclose(m);
	rc = hl_write_atomic(path, buf, len, 0644);
	free(buf);
	return rc;
}

static int sub_receipt(const cli_args *args)
{
	const opts o = *(const opts *)args->opts;
	hl_principal who = me_local();
	hl_archive *a = NULL;
	hl_receipt *r = NULL;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_archive_custody_receipt(&r, a, &who, args->args[0], o.from, o.at);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if ((o.csv && write_file(o.csv, hl_receipt_write_csv, r) < 0) ||
	    (o.html && write_file(o.html, hl_receipt_write_html, r) < 0)) {
		hl_receipt_free(r);
		return cli_fail();
	}
	if (o.json) {
		cli_print_json(hl_receipt_json(r));
	} else if (!o.csv && !o.html) {
		hl_receipt_write_csv(stdout, r);
	} else {
		printf("receipt for %s %s on %s: %zu fonds, %zu dossiers, %lld documents; "
		       "sha256 %s%s%s%s%s\n",
		       r->to_code, or (r->to_name, ""), r->date, r->nfonds, r->n,
		       (long long)r->documents, r->digest, o.csv ? "; CSV " : "", or (o.csv, ""),
		       o.html ? "; HTML " : "", or (o.html, ""));
	}
	hl_receipt_free(r);
	return EXIT_OK;
}

#define FONDS   (&cli_custody_commands[0])
#define CUSTODY (&cli_custody_commands[1])
static const cli_cmd fonds_subs[] = {
    {.name = "list",
     .summary = "every fonds: creator, custodian on DATE, counts",
     .opts = at_json,
     .opts_size = sizeof(opts),
     .run = fonds_list,
     .group = FONDS},
    {.name = "show",
     .summary = "FONDS described: its dates, extent, history, series and dossiers as a tree",
     .operands = "FONDS",
     .min_args = 1,
     .max_args = 1,
     .missing = "give one fonds code",
     .opts = show_opts,
     .opts_size = sizeof(opts),
     .run = fonds_show,
     .group = FONDS},
    {.name = "describe",
     .summary = "describe FONDS: its name, dates, extent, history, scope, notes",
     .operands = "FONDS",
     .min_args = 1,
     .max_args = 1,
     .missing = "give one fonds code",
     .opts = describe_opts,
     .opts_size = sizeof(opts),
     .run = fonds_describe,
     .group = FONDS,
     .help = "Only the fields given change; \"\" clears one. Audited."},
    {.name = "series",
     .summary = "create or describe series SERIES of FONDS (mục lục hồ sơ), or --remove it",
     .operands = "FONDS SERIES",
     .min_args = 2,
     .max_args = 2,
     .missing = "give a fonds code and a series code",
     .opts = series_opts,
     .opts_size = sizeof(opts),
     .run = fonds_series,
     .group = FONDS,
     .help = "A new series needs --title. Only the fields given change; \"\" clears one."},
    {.name = "dossier",
     .summary = "describe dossier DOSSIER of FONDS: title, series, dates, retention, extent",
     .operands = "FONDS DOSSIER",
     .min_args = 2,
     .max_args = 2,
     .missing = "give a fonds code and a dossier code",
     .opts = dossier_opts,
     .opts_size = sizeof(opts),
     .run = fonds_dossier,
     .group = FONDS,
     .help = "Only the fields given change; \"\" clears one (--series \"\": in no series)."},
    {.name = "set",
     .summary = "record the unit that created FONDS, or its name (creates the fonds if it is "
                "not there)",
     .operands = "FONDS",
     .min_args = 1,
     .max_args = 1,
     .missing = "give one fonds code",
     .opts = set_opts,
     .opts_size = sizeof(opts),
     .run = fonds_set,
     .group = FONDS},
    {0},
};
static const cli_cmd custody_subs[] = {
    {.name = "of",
     .summary = "the fonds unit CODE holds, inherited ones included",
     .operands = "CODE",
     .min_args = 1,
     .max_args = 1,
     .missing = "give one unit code",
     .opts = at_json,
     .opts_size = sizeof(opts),
     .run = sub_of,
     .group = CUSTODY},
    {.name = "show",
     .summary = "the custodians of FONDS from its creator on",
     .operands = "FONDS",
     .min_args = 1,
     .max_args = 1,
     .missing = "give one fonds code",
     .opts = at_json,
     .opts_size = sizeof(opts),
     .run = sub_show,
     .group = CUSTODY},
    {.name = "pending",
     .summary = "every fonds waiting for a decision (a split or abolished unit) or naming no "
                "creator",
     .opts = json_only,
     .opts_size = sizeof(opts),
     .run = sub_pending,
     .group = CUSTODY},
    {.name = "assign",
     .summary = "decide who receives FONDS (default: its first step waiting for a decision)",
     .operands = "FONDS",
     .min_args = 1,
     .max_args = 1,
     .missing = "give one fonds code and --to CODE",
     .opts = assign_opts,
     .opts_size = sizeof(opts),
     .run = sub_assign,
     .group = CUSTODY},
    {.name = "receipt",
     .summary = "the hand-over receipt (biên bản giao nhận) of what CODE received",
     .operands = "CODE",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the receiving unit's code",
     .opts = receipt_opts,
     .opts_size = sizeof(opts),
     .run = sub_receipt,
     .group = CUSTODY,
     .help = "CSV on stdout unless --csv, --html or --json says otherwise."},
    {0},
};
#undef FONDS
#undef CUSTODY

const cli_cmd cli_custody_commands[] = {
    {.name = "fonds", .summary = "the fonds and the units that created them", .subs = fonds_subs},
    {.name = "custody",
     .summary = "who holds the records of each fonds, on any date",
     .subs = custody_subs,
     .help = "DATE is yyyy-mm-dd or dd/mm/yyyy; the default is today (Asia/Ho_Chi_Minh)."},
    {0},
};
