/* The fonds and custody command groups: who created each fonds, who holds it on a date, the
 * decisions splits need, and the hand-over receipt (biên bản giao nhận). Each asks the archive
 * as the node's operator (hl_principal_local), through the verbs the server uses. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "halong/archive.h"
#include "halong/units.h"
#include "halong/units_json.h"
#include "halong/util.h"

extern const cli_command cli_custody_commands[];

typedef struct {
	int json;
	const char *at, *to, *from, *date, *basis, *creator, *creator_at, *name, *csv, *html;
	const char *args[2];
	int nargs;
} opts;

enum {
	O_JSON = 1,
	O_AT,
	O_TO,
	O_FROM,
	O_DATE,
	O_BASIS,
	O_CREATOR,
	O_CREATOR_AT,
	O_NAME,
	O_CSV,
	O_HTML
};

/* Options of every subcommand; `allowed` lists the ones this subcommand takes. */
static int parse(opts *o, const cli_command *cmd, int argc, char **argv, int max,
                 const char *allowed)
{
	static const struct option lo[] = {{"json", no_argument, NULL, O_JSON},
	                                   {"at", required_argument, NULL, O_AT},
	                                   {"to", required_argument, NULL, O_TO},
	                                   {"from", required_argument, NULL, O_FROM},
	                                   {"date", required_argument, NULL, O_DATE},
	                                   {"basis", required_argument, NULL, O_BASIS},
	                                   {"creator", required_argument, NULL, O_CREATOR},
	                                   {"creator-at", required_argument, NULL, O_CREATOR_AT},
	                                   {"name", required_argument, NULL, O_NAME},
	                                   {"csv", required_argument, NULL, O_CSV},
	                                   {"html", required_argument, NULL, O_HTML},
	                                   {0}};
	const char **slot[] = {[O_AT] = &o->at,
	                       [O_TO] = &o->to,
	                       [O_FROM] = &o->from,
	                       [O_DATE] = &o->date,
	                       [O_BASIS] = &o->basis,
	                       [O_CREATOR] = &o->creator,
	                       [O_CREATOR_AT] = &o->creator_at,
	                       [O_NAME] = &o->name,
	                       [O_CSV] = &o->csv,
	                       [O_HTML] = &o->html};
	int c, idx;
	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, &idx)) != -1) {
		if (c == '?' || c == ':' || !strchr(allowed, "?jatfdbcCnsh"[c]))
			return cli_usage_error(cmd, "%s: unknown option or missing value: %s",
			                       argv[0], argv[optind - 1]);
		if (c == O_JSON)
			o->json = 1;
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

static const cli_command *fonds_cmd(void)
{
	return &cli_custody_commands[0];
}

static int fonds_list(cli_ctx *ctx, int argc, char **argv)
{
	hl_principal who = me_local();
	hl_archive *a = NULL;
	hl_custodies *l = NULL;
	opts o;
	int rc;

	if ((rc = parse(&o, fonds_cmd(), argc, argv, 0, "ja")) != 0)
		return rc;
	if (cli_open(&a, ctx) < 0)
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

static int fonds_set(cli_ctx *ctx, int argc, char **argv)
{
	hl_principal who = me_local();
	hl_archive *a = NULL;
	hl_fonds *f = NULL;
	const hl_custody *c;
	opts o;
	int rc;

	if ((rc = parse(&o, fonds_cmd(), argc, argv, 1, "cCn")) != 0)
		return rc;
	if (o.nargs != 1)
		return cli_usage_error(fonds_cmd(), "set: give one fonds code");
	if (!o.creator)
		return cli_usage_error(fonds_cmd(), "set: --creator CODE is required");
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	rc = hl_archive_fonds_set(&f, a, &who, o.args[0], o.creator, o.creator_at, o.name);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	c = f->custody;
	printf("fonds %s: created by %s %s (as on %s); held today by %s %s\n", c->fonds_code,
	       c->creator_code, or (c->creator_name, ""), c->creator_on,
	       c->state == HL_CUSTODY_HELD ? c->custodian_code : "(a decision is needed:",
	       c->state == HL_CUSTODY_HELD ? or (c->custodian_name, "")
	                                   : "see halong custody pending)");
	hl_fonds_free(f);
	return EXIT_OK;
}

static int cmd_fonds(cli_ctx *ctx, int argc, char **argv)
{
	static const cli_sub subs[] = {
	    {"list", fonds_list},
	    {"set", fonds_set},
	    {0},
	};
	return cli_dispatch(fonds_cmd(), subs, ctx, argc, argv);
}

/* ---- custody ---- */

static const cli_command *me(void)
{
	return &cli_custody_commands[1];
}

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

static int sub_show(cli_ctx *ctx, int argc, char **argv)
{
	hl_principal who = me_local();
	hl_archive *a = NULL;
	hl_custody *c = NULL;
	opts o;
	int rc;

	if ((rc = parse(&o, me(), argc, argv, 1, "ja")) != 0)
		return rc;
	if (o.nargs != 1)
		return cli_usage_error(me(), "show: give one fonds code");
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	rc = hl_archive_custody_show(&c, a, &who, o.args[0], o.at);
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

static int sub_of(cli_ctx *ctx, int argc, char **argv)
{
	hl_principal who = me_local();
	hl_archive *a = NULL;
	hl_custodies *l = NULL;
	int64_t docs = 0;
	opts o;
	int rc;

	if ((rc = parse(&o, me(), argc, argv, 1, "ja")) != 0)
		return rc;
	if (o.nargs != 1)
		return cli_usage_error(me(), "of: give one unit code");
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	rc = hl_archive_custody_of(&l, a, &who, o.args[0], o.at);
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
		printf("%s holds %zu fonds, %lld documents\n", o.args[0], l->n, (long long)docs);
	}
	hl_custodies_free(l);
	return EXIT_OK;
}

static int sub_pending(cli_ctx *ctx, int argc, char **argv)
{
	hl_principal who = me_local();
	hl_archive *a = NULL;
	hl_custodies *l = NULL;
	opts o;
	int rc;

	if ((rc = parse(&o, me(), argc, argv, 0, "j")) != 0)
		return rc;
	if (cli_open(&a, ctx) < 0)
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

static int sub_assign(cli_ctx *ctx, int argc, char **argv)
{
	hl_principal who = me_local();
	hl_archive *a = NULL;
	hl_custody *c = NULL;
	opts o;
	int rc;

	if ((rc = parse(&o, me(), argc, argv, 1, "tfdb")) != 0)
		return rc;
	if (o.nargs != 1 || !o.to)
		return cli_usage_error(me(), "assign: give one fonds code and --to CODE");
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	rc = hl_archive_custody_assign(&c, a, &who, o.args[0], o.to, o.from, o.date, o.basis);
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

static int sub_receipt(cli_ctx *ctx, int argc, char **argv)
{
	hl_principal who = me_local();
	hl_archive *a = NULL;
	hl_receipt *r = NULL;
	opts o;
	int rc;

	if ((rc = parse(&o, me(), argc, argv, 1, "jafsh")) != 0)
		return rc;
	if (o.nargs != 1)
		return cli_usage_error(me(), "receipt: give the receiving unit's code");
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	rc = hl_archive_custody_receipt(&r, a, &who, o.args[0], o.from, o.at);
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

static int cmd_custody(cli_ctx *ctx, int argc, char **argv)
{
	static const cli_sub subs[] = {
	    {"of", sub_of},         {"show", sub_show},       {"pending", sub_pending},
	    {"assign", sub_assign}, {"receipt", sub_receipt}, {0},
	};
	return cli_dispatch(me(), subs, ctx, argc, argv);
}

const cli_command cli_custody_commands[] = {
    {"fonds", cmd_fonds, "the fonds and the units that created them",
     "fonds SUBCOMMAND [ARGS]\n\n"
     "  list [--at DATE] [--json]   every fonds: creator, custodian on DATE, counts\n"
     "  set FONDS --creator CODE [--creator-at DATE] [--name NAME]\n"
     "                              record the unit that created FONDS, as it was on DATE\n"
     "                              (default: the code's first version); creates the fonds\n"
     "                              if it is not there yet"},
    {"custody", cmd_custody, "who holds the records of each fonds, on any date",
     "custody SUBCOMMAND [ARGS]\n\n"
     "  of CODE [--at DATE] [--json]      the fonds unit CODE holds, inherited ones included\n"
     "  show FONDS [--at DATE] [--json]   the custodians of FONDS from its creator on\n"
     "  pending [--json]                  every fonds waiting for a decision (a split or\n"
     "                                    abolished unit) or naming no creator\n"
     "  assign FONDS --to CODE [--from CODE --date DATE] [--basis TEXT]\n"
     "                                    decide who receives FONDS (default: its first\n"
     "                                    step waiting for a decision)\n"
     "  receipt CODE [--from CODE] [--at DATE] [--csv FILE] [--html FILE] [--json]\n"
     "                                    the hand-over receipt (biên bản giao nhận) of\n"
     "                                    what CODE received: CSV on stdout by default\n\n"
     "DATE is yyyy-mm-dd or dd/mm/yyyy; the default is today (Asia/Ho_Chi_Minh)."},
    {0},
};
