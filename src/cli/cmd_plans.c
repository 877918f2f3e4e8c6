/* The plans command groups: `halong agency load|list|find|assign`, the register of the
 * province's departments and offices, and where their notices go (`agency contact`);
 * `halong plan import|list|show|eval|close|period|setting|notify`,
 * `halong task show|report|verify|queue|cancel|send|evidence`, `halong inspection add|list`,
 * `halong lesson add|search`. Each parses, calls one verb of plans/ as the node's operator,
 * and answers. */
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "halong/archive.h"
#include "halong/plans.h"
#include "halong/plans_json.h"
#include "halong/util.h"
#include "halong/config.h"

typedef struct {
	int json;
	const char *at;
} opts;

static const cli_opt json_only[] = {CLI_FLAG_OPT("json", 0, opts, json, "as JSON"), CLI_OPT_END};
static const cli_opt at_json[] = {
    CLI_TEXT_OPT("at", 0, opts, at, "DATE", "valid on DATE, yyyy-mm-dd (default: every one)"),
    CLI_FLAG_OPT("json", 0, opts, json, "as JSON"),
    CLI_OPT_END,
};
static const cli_opt find_opts[] = {
    CLI_TEXT_OPT("at", 0, opts, at, "DATE", "on DATE, yyyy-mm-dd (default: today)"),
    CLI_FLAG_OPT("json", 0, opts, json, "as JSON"),
    CLI_OPT_END,
};

static json_t *str(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *agency_json(const hl_agency *a)
{
	json_t *o = json_object();
	json_object_set_new(o, "code", str(a->code));
	json_object_set_new(o, "name", str(a->name));
	json_object_set_new(o, "short_name", str(a->short_name));
	json_object_set_new(o, "kind", json_string(hl_agency_kind_name(a->kind)));
	json_object_set_new(o, "valid_from", str(a->valid_from));
	json_object_set_new(o, "valid_to", str(a->valid_to));
	json_object_set_new(o, "successor_code", str(a->successor_code));
	json_object_set_new(o, "source", str(a->source));
	json_object_set_new(o, "note", str(a->note));
	return o;
}

static void print_agency(const hl_agency *a)
{
	printf("%-12s %s", a->code, a->name);
	if (a->valid_from || a->valid_to)
		printf("  (%s – %s)", a->valid_from ? a->valid_from : "?",
		       a->valid_to ? a->valid_to : "");
	if (a->successor_code)
		printf(" → %s", a->successor_code);
	printf("\n");
}

/* The shipped registers, loaded in this order when no file is given: the province's, then the
 * central bodies its plans also name (ministries, Government agencies). */
static const char *const shipped[] = {"agencies/quang_ninh_agencies.csv",
                                      "agencies/vn_central_agencies.csv"};

static int agency_load(const cli_args *args)
{
	const opts *o = args->opts;
	const char *data = hl_config_data_dir(); /* $HALONG_DATA, else the shipped data */
	size_t nfiles = args->nargs ? 1 : sizeof(shipped) / sizeof(shipped[0]);
	json_t *files = json_array();
	hl_archive *a = NULL;
	int rc = 0;

	if (cli_open(&a, args->ctx) < 0) {
		json_decref(files);
		return cli_fail();
	}
	for (size_t i = 0; i < nfiles && rc == 0; i++) {
		char *path =
		    args->nargs ? hl_strdup(args->args[0]) : hl_path_join(data, shipped[i]);
		hl_agency_load_stats s;
		if (!path) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			break;
		}
		if ((rc = hl_agency_load(&s, hl_archive_store(a), path, cli_actor())) == 0) {
			if (o->json)
				json_array_append_new(
				    files,
				    json_pack("{s:s,s:I,s:I,s:I,s:I}", "file", path, "added",
				              (json_int_t)s.added, "changed", (json_int_t)s.changed,
				              "unchanged", (json_int_t)s.unchanged, "total",
				              (json_int_t)s.total));
			else
				printf("agency load: %s: %llu added, %llu changed, %llu unchanged; "
				       "%lld "
				       "agencies\n",
				       path, (unsigned long long)s.added,
				       (unsigned long long)s.changed,
				       (unsigned long long)s.unchanged, (long long)s.total);
		}
		free(path);
	}
	hl_archive_free(a);
	if (rc < 0) {
		json_decref(files);
		return cli_fail();
	}
	if (o->json)
		cli_print_json(files);
	else
		json_decref(files);
	return EXIT_OK;
}

static int agency_list(const cli_args *args)
{
	const opts *o = args->opts;
	hl_archive *a = NULL;
	hl_agencies *l = NULL;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_agency_list(&l, hl_archive_store(a), o->at);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json) {
		json_t *j = json_array();
		for (size_t i = 0; i < l->n; i++)
			json_array_append_new(j, agency_json(&l->v[i]));
		cli_print_json(j);
	} else {
		for (size_t i = 0; i < l->n; i++)
			print_agency(&l->v[i]);
		if (!l->n)
			printf("no agency%s (halong agency load)\n", o->at ? " on that date" : "");
	}
	hl_agencies_free(l);
	return EXIT_OK;
}

static int agency_find(const cli_args *args)
{
	const opts *o = args->opts;
	hl_archive *a = NULL;
	hl_agency *ag = NULL;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_agency_find(&ag, hl_archive_store(a), args->args[0], o->at);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json)
		cli_print_json(agency_json(ag));
	else
		print_agency(ag);
	hl_agency_free(ag);
	return EXIT_OK;
}

static int agency_assign(const cli_args *args)
{
	hl_archive *a = NULL;
	hl_principal me = hl_principal_local(cli_actor());
	char code[33] = "";
	int rc;
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_plans_user_agency_set(hl_archive_store(a), &me, args->args[0],
	                              args->nargs > 1 ? args->args[1] : NULL, code);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("agency assign: %s reports for %s\n", args->args[0], code[0] ? code : "their unit");
	return EXIT_OK;
}

/* ---- calendar feeds of an agency's tasks (agency feed new|list|revoke) ---- */

typedef struct {
	int json;
	const char *label;
} fopts;

static int feed_new(const cli_args *args)
{
	const fopts *o = args->opts;
	hl_archive *a = NULL;
	hl_principal who = hl_principal_local(cli_actor());
	char *token = NULL, id[13];
	int rc;
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_plans_feed_new(&token, id, hl_archive_store(a), &who, args->args[0], o->label);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json)
		cli_print_json(json_pack("{s:s,s:s,s:s++}", "id", id, "token", token, "url",
		                         "/feeds/plans/", token, ".ics"));
	else
		printf("agency feed new: feed %s of %s\n  token %s (shown this once)\n  url "
		       "/feeds/plans/%s.ics on the server's address\n",
		       id, args->args[0], token, token);
	free(token);
	return EXIT_OK;
}

static int feed_list(const cli_args *args)
{
	const fopts *o = args->opts;
	hl_archive *a = NULL;
	hl_principal who = hl_principal_local(cli_actor());
	hl_plan_feeds *l = NULL;
	int rc;
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_plans_feed_list(&l, hl_archive_store(a), &who);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json) {
		json_t *j = json_array();
		for (size_t i = 0; i < l->n; i++)
			json_array_append_new(j, hl_plan_feed_json(&l->v[i]));
		cli_print_json(j);
	} else {
		for (size_t i = 0; i < l->n; i++)
			printf("%s  %-12s %s  by %s%s%s%s%s\n", l->v[i].id, l->v[i].agency,
			       l->v[i].created_at, l->v[i].created_by,
			       l->v[i].revoked_at ? "  revoked " : "",
			       l->v[i].revoked_at ? l->v[i].revoked_at : "",
			       l->v[i].label ? "  " : "", l->v[i].label ? l->v[i].label : "");
		if (!l->n)
			printf("no calendar feed (halong agency feed new AGENCY)\n");
	}
	hl_plan_feeds_free(l);
	return EXIT_OK;
}

static int feed_revoke(const cli_args *args)
{
	hl_archive *a = NULL;
	hl_principal who = hl_principal_local(cli_actor());
	int rc;
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_plans_feed_revoke(hl_archive_store(a), &who, args->args[0]);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("agency feed revoke: feed %s revoked; its address answers 404 from now on\n",
	       args->args[0]);
	return EXIT_OK;
}

static const cli_opt feed_new_opts[] = {
    CLI_TEXT_OPT("label", 0, fopts, label, "TEXT", "what the feed is for (at most 100 bytes)"),
    CLI_FLAG_OPT("json", 0, fopts, json, "as JSON"),
    CLI_OPT_END,
};
static const cli_opt feed_json_opts[] = {CLI_FLAG_OPT("json", 0, fopts, json, "as JSON"),
                                         CLI_OPT_END};

#define FEED (&agency_subs[4])
/* Forward: feed's subcommands name it as their group, and it names them. */
static const cli_cmd agency_subs[7];
static const cli_cmd feed_subs[] = {
    {.name = "new",
     .summary = "a calendar feed (iCalendar) of the tasks AGENCY leads; prints its token once",
     .operands = "AGENCY",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the agency (a code of the register, or a commune's unit code)",
     .opts = feed_new_opts,
     .opts_size = sizeof(fopts),
     .run = feed_new,
     .group = FEED,
     .help = "The feed is served without a login at /feeds/plans/TOKEN.ics: one VTODO for "
             "each task and each occurrence of a duty the agency leads, an all-day VEVENT on "
             "each deadline. Only plans of access public or internal go out in a feed. Only "
             "the token's SHA-256 is kept: a lost token is replaced (revoke, new)."},
    {.name = "list",
     .summary = "the calendar feeds, newest first, revoked ones too",
     .opts = feed_json_opts,
     .opts_size = sizeof(fopts),
     .run = feed_list,
     .group = FEED},
    {.name = "revoke",
     .summary = "revoke a calendar feed: its address answers 404 from now on",
     .operands = "ID",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the feed's id (halong agency feed list)",
     .opts_size = sizeof(fopts),
     .run = feed_revoke,
     .group = FEED},
    {0},
};
#undef FEED

static int agency_contact(const cli_args *args); /* warnings, below */

#define AGENCY (&cli_plans_commands[0])
static const cli_cmd agency_subs[7] = {
    {.name = "load",
     .summary = "load an agencies register (default: the province's, then the central bodies')",
     .operands = "[FILE]",
     .max_args = 1,
     .opts = json_only,
     .opts_size = sizeof(opts),
     .run = agency_load,
     .group = AGENCY,
     .help = "Columns code, name, kind (so, ban, van_phong, don_vi_su_nghiep, khac); "
             "short_name, valid_from, valid_to, successor_code, source, note. One bad row "
             "loads nothing; loading twice changes nothing."},
    {.name = "list",
     .summary = "the agencies, by code (--at DATE: those valid that day)",
     .opts = at_json,
     .opts_size = sizeof(opts),
     .run = agency_list,
     .group = AGENCY},
    {.name = "find",
     .summary = "the agency a plan names: by code, name or short name, tones and case aside",
     .operands = "NAME",
     .min_args = 1,
     .max_args = 1,
     .missing = "give a name or a code",
     .opts = find_opts,
     .opts_size = sizeof(opts),
     .run = agency_find,
     .group = AGENCY},
    {.name = "assign",
     .summary = "the agency a user reports for (a department's officer; a commune's officer "
                "reports for the unit)",
     .operands = "USER [AGENCY]",
     .min_args = 1,
     .max_args = 2,
     .missing = "give a user name, and the agency (none: clears it)",
     .opts = json_only,
     .opts_size = sizeof(opts),
     .run = agency_assign,
     .group = AGENCY},
    {.name = "feed",
     .summary = "calendar feeds (iCalendar) of an agency's tasks: new, list, revoke",
     .subs = feed_subs,
     .group = AGENCY},
    {.name = "contact",
     .summary = "the e-mail address an agency's notices go to (due soon, overdue)",
     .operands = "CODE [EMAIL]",
     .min_args = 1,
     .max_args = 2,
     .missing = "give an agency's code, and its e-mail address (none: shows it)",
     .opts = json_only,
     .opts_size = sizeof(opts),
     .run = agency_contact,
     .group = AGENCY,
     .help = "One address (name@domain), checked before it is kept; \"\" removes it. The "
             "address is not written in the audit log."},
    {0},
};
#undef AGENCY

/* ---- plans, tasks, inspections, lessons ---- */

typedef struct {
	int json, keep_unknown, done, waiting, accept, ret;
	const char *plan, *sheet, *compiler, *at, *period, *from, *to, *agency, *done_on, *results,
	    *difficulties, *proposals, *evidence, *comment, *date, *team, *scope, *findings,
	    *rating, *title, *body, *task, *name, *unit, *baseline, *target, *actual, *reason;
	int lower;
	uint64_t progress, soon, corrects, limit;
} popts;

static hl_principal me(void)
{
	return hl_principal_local(cli_actor());
}

static int open_store(hl_archive **a, const cli_args *args)
{
	return cli_open(a, args->ctx);
}

static int plan_import(const cli_args *args)
{
	const popts *o = args->opts;
	hl_archive *a = NULL;
	hl_plan_import_stats s;
	cli_progress p;
	hl_plan_import_opts io = {.plan = o->plan,
	                          .sheet = o->sheet,
	                          .keep_unknown = o->keep_unknown,
	                          .at = o->at,
	                          .compiler = o->compiler,
	                          .progress = cli_progress_cb,
	                          .ud = &p};
	hl_principal who = me();
	int rc;
	if (open_store(&a, args) < 0)
		return cli_fail();
	cli_progress_init(&p, o->json);
	rc = hl_plan_import(&s, hl_archive_store(a), &who, args->args[0], &io);
	cli_progress_done(&p);
	hl_archive_free(a);
	if (rc < 0) {
		for (size_t i = 0; i < s.nerrors; i++)
			fprintf(stderr, "%s\n", s.errors[i]);
		hl_plan_import_stats_free(&s);
		return cli_fail();
	}
	if (o->json) {
		json_t *notes = json_array();
		for (size_t i = 0; i < s.nnotes; i++)
			json_array_append_new(notes, json_string(s.notes[i]));
		cli_print_json(json_pack(
		    "{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "file", args->args[0], "rows",
		    (json_int_t)s.rows, "plans", (json_int_t)s.plans, "added", (json_int_t)s.added,
		    "changed", (json_int_t)s.changed, "unchanged", (json_int_t)s.unchanged,
		    "sections", (json_int_t)s.sections, "unread", (json_int_t)s.unread, "kept",
		    (json_int_t)s.kept, "generic", (json_int_t)s.generic, "notes", notes));
	} else {
		for (size_t i = 0; i < s.nnotes; i++)
			fprintf(stderr, "note: %s\n", s.notes[i]);
		printf(
		    "plan import: %s: %llu rows; %llu added, %llu changed, %llu unchanged; %llu "
		    "sections; %llu deadlines kept as written; %llu agency names kept as written; "
		    "%llu generic phrases\n",
		    args->args[0], (unsigned long long)s.rows, (unsigned long long)s.added,
		    (unsigned long long)s.changed, (unsigned long long)s.unchanged,
		    (unsigned long long)s.sections, (unsigned long long)s.unread,
		    (unsigned long long)s.kept, (unsigned long long)s.generic);
	}
	hl_plan_import_stats_free(&s);
	return EXIT_OK;
}

static int plan_list(const cli_args *args)
{
	const popts *o = args->opts;
	hl_archive *a = NULL;
	hl_plans *l = NULL;
	hl_principal who = me();
	int rc;
	if (open_store(&a, args) < 0)
		return cli_fail();
	rc = hl_plan_list(&l, hl_archive_store(a), &who);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json) {
		json_t *j = json_array();
		for (size_t i = 0; i < l->n; i++)
			json_array_append_new(j, hl_plan_json(&l->v[i]));
		cli_print_json(j);
	} else {
		for (size_t i = 0; i < l->n; i++)
			printf("%-24s %-14s %s – %s  %lld tasks  %s\n", l->v[i].id,
			       l->v[i].number ? l->v[i].number : "", l->v[i].period_from,
			       l->v[i].period_to, (long long)l->v[i].tasks, l->v[i].title);
		if (!l->n)
			printf("no plan (halong plan import PLANS.csv, then its tasks)\n");
	}
	hl_plans_free(l);
	return EXIT_OK;
}

static void print_task(const hl_task *t)
{
	printf("%*s%-6s %-28s %5.1f%%  %-10s %s", t->depth * 2, "", t->item_no,
	       t->nagencies ? hl_task_status_vi(t->status) : "", t->progress,
	       t->judged_due[0] ? t->judged_due : (t->due_text ? t->due_text : ""), t->title);
	printf("\n");
}

static int plan_show(const cli_args *args)
{
	const popts *o = args->opts;
	hl_archive *a = NULL;
	hl_plan *p = NULL;
	hl_tasks *l = NULL;
	hl_principal who = me();
	int rc;
	if (open_store(&a, args) < 0)
		return cli_fail();
	rc = hl_plan_get(&p, hl_archive_store(a), &who, args->args[0]);
	if (rc == 0)
		rc = hl_plan_tasks(&l, hl_archive_store(a), &who, args->args[0], o->at);
	hl_archive_free(a);
	if (rc < 0) {
		hl_plan_free(p);
		return cli_fail();
	}
	if (o->json) {
		json_t *j = hl_plan_json(p), *tasks = json_array();
		for (size_t i = 0; i < l->n; i++)
			json_array_append_new(tasks, hl_task_json(&l->v[i]));
		json_object_set_new(j, "task_list", tasks);
		cli_print_json(j);
	} else {
		printf("%s  %s  %s\n%s\nperiod %s – %s; compiler %s; reports %s\n", p->id,
		       p->number ? p->number : "", p->date ? p->date : "", p->title, p->period_from,
		       p->period_to, p->compiler ? p->compiler : "(none)",
		       p->report_every == HL_FREQ_QUARTERLY     ? "quarterly"
		       : p->report_every == HL_FREQ_HALF_YEARLY ? "half-yearly"
		       : p->report_every == HL_FREQ_YEARLY      ? "yearly"
		       : p->report_every == HL_FREQ_NONE        ? "none"
		                                                : "monthly");
		for (size_t i = 0; i < l->n; i++)
			print_task(&l->v[i]);
	}
	hl_plan_free(p);
	hl_tasks_free(l);
	return EXIT_OK;
}

static void print_counts(const char *name, const hl_eval_counts *c)
{
	printf("%-34.34s %5llu %5llu %5llu %5llu %5llu %5llu %7.2f\n", name,
	       (unsigned long long)c->total, (unsigned long long)c->done_on_time,
	       (unsigned long long)c->done_late, (unsigned long long)c->open_on_time,
	       (unsigned long long)c->overdue, (unsigned long long)c->waiting, c->score);
}

/* A title cut to about 80 bytes at a letter's end, for a line of a list. */
static const char *short_title(char buf[96], const char *title)
{
	snprintf(buf, 96, "%.80s", title ? title : "");
	hl_str_cut_utf8(buf);
	return buf;
}

static int plan_eval(const cli_args *args)
{
	const popts *o = args->opts;
	hl_archive *a = NULL;
	hl_eval *e = NULL;
	hl_principal who = me();
	hl_eval_in in = {args->nargs ? args->args[0] : NULL,
	                 o->period,
	                 o->from,
	                 o->to,
	                 o->agency,
	                 o->at,
	                 (int)o->soon};
	char tb[96];
	int rc;
	if (open_store(&a, args) < 0)
		return cli_fail();
	rc = hl_plan_eval(&e, hl_archive_store(a), &who, &in);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json)
		cli_print_json(hl_eval_json(e));
	else {
		printf("%s%s%s%s at %s\n%s\n\n", e->period[0] ? "period " : "every task", e->period,
		       e->from[0] && !e->period[0] ? e->from : "",
		       e->from[0] && !e->period[0] ? " – " : "", e->at, e->line_vi);
		printf("%-3s %-30s %5s %5s %5s %5s %5s %5s %7s\n", "#", "agency", "due", "ontime",
		       "late", "open", "over", "wait", "score");
		for (size_t i = 0; i < e->nagencies; i++) {
			char name[80];
			snprintf(name, sizeof(name), "%-3d %s", e->agencies[i].rank,
			         e->agencies[i].code);
			print_counts(name, &e->agencies[i].c);
		}
		print_counts("    all", &e->total);
		if (e->has_previous)
			print_counts("    previous period", &e->previous);
		if (e->noverdue)
			printf("\noverdue:\n");
		for (size_t i = 0; i < e->noverdue; i++)
			printf("  %-28s %-12s due %s (%d days)  %s\n", e->overdue[i].ref,
			       e->overdue[i].agency ? e->overdue[i].agency : "", e->overdue[i].due,
			       e->overdue[i].days, short_title(tb, e->overdue[i].title));
		if (e->nsoon)
			printf("\ndue soon:\n");
		for (size_t i = 0; i < e->nsoon; i++)
			printf("  %-28s %-12s due %s (in %d days)  %s\n", e->soon[i].ref,
			       e->soon[i].agency ? e->soon[i].agency : "", e->soon[i].due,
			       e->soon[i].days, short_title(tb, e->soon[i].title));
		printf("\nrank rule: %s\n", e->rule);
	}
	hl_eval_free(e);
	return EXIT_OK;
}

static int plan_close(const cli_args *args)
{
	const popts *o = args->opts;
	hl_archive *a = NULL;
	hl_principal who = me();
	int rc;
	if (open_store(&a, args) < 0)
		return cli_fail();
	rc = hl_plan_close_period(hl_archive_store(a), &who, args->args[0], o->period, o->at);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("plan close: %s %s frozen\n", args->args[0], o->period);
	return EXIT_OK;
}

static int plan_period(const cli_args *args)
{
	const popts *o = args->opts;
	hl_archive *a = NULL;
	hl_period p;
	int rc;
	if (open_store(&a, args) < 0)
		return cli_fail();
	char *cut = NULL, *day = NULL;
	rc = hl_plans_setting_get(&cut, hl_archive_store(a), "cutoff_day");
	if (rc == 0)
		rc = hl_plans_setting_get(&day, hl_archive_store(a), "report_day");
	if (rc == 0)
		rc = hl_period_parse(&p, args->args[0], atoi(cut), atoi(day));
	free(cut);
	free(day);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json)
		cli_print_json(hl_period_json(&p));
	else
		printf("%s: %s – %s; data %s – %s (cut-off); report due %s\n", p.label, p.from,
		       p.to, p.data_from, p.data_to, p.report_due);
	return EXIT_OK;
}

static int plan_setting(const cli_args *args)
{
	const char *const *keys = hl_plans_setting_names;
	hl_archive *a = NULL;
	hl_principal who = me();
	int rc = 0;
	if (open_store(&a, args) < 0)
		return cli_fail();
	if (args->nargs == 2 && !strcmp(args->args[0], "smtp_password") &&
	    !strcmp(args->args[1], "-")) {
		/* a password from standard input, not the command line (ps, shell history) */
		char line[256];
		size_t n;
		if (!fgets(line, sizeof(line), stdin))
			line[0] = 0;
		n = strcspn(line, "\r\n");
		line[n] = 0;
		rc = hl_plans_setting_set(hl_archive_store(a), &who, args->args[0], line);
		memset(line, 0, sizeof(line));
	} else if (args->nargs == 2)
		rc = hl_plans_setting_set(hl_archive_store(a), &who, args->args[0], args->args[1]);
	for (size_t i = 0; keys[i] && rc == 0; i++) {
		char *v = NULL;
		if (args->nargs && strcmp(args->args[0], keys[i]))
			continue;
		if ((rc = hl_plans_setting_get(&v, hl_archive_store(a), keys[i])) == 0)
			printf("%s = %s\n", keys[i], v);
		free(v);
	}
	if (rc == 0 && args->nargs == 1) {
		char *v = NULL;
		rc = hl_plans_setting_get(&v, hl_archive_store(a),
		                          args->args[0]); /* names a bad key */
		free(v);
	}
	hl_archive_free(a);
	return rc < 0 ? cli_fail() : EXIT_OK;
}

static int task_show(const cli_args *args)
{
	const popts *o = args->opts;
	hl_archive *a = NULL;
	hl_task *t = NULL;
	hl_reports *r = NULL;
	hl_principal who = me();
	int rc;
	if (open_store(&a, args) < 0)
		return cli_fail();
	rc = hl_task_get(&t, hl_archive_store(a), &who, args->args[0], o->at);
	if (rc == 0)
		rc = hl_task_reports(&r, hl_archive_store(a), &who, args->args[0], o->at);
	hl_archive_free(a);
	if (rc < 0) {
		hl_task_free(t);
		return cli_fail();
	}
	if (o->json) {
		json_t *j = hl_task_json(t), *h = json_array();
		for (size_t i = 0; i < r->n; i++)
			json_array_append_new(h, hl_report_json(&r->v[i]));
		json_object_set_new(j, "reports", h);
		cli_print_json(j);
	} else {
		printf("%s/%s  %s\n", t->plan_id, t->item_no, t->title);
		for (size_t i = 0; i < t->nagencies; i++)
			printf("  %s: %s%s%s%s\n", t->agencies[i].lead ? "chủ trì" : "phối hợp",
			       t->agencies[i].name, t->agencies[i].code ? " (" : "",
			       t->agencies[i].code ? t->agencies[i].code : "",
			       t->agencies[i].code ? ")" : "");
		printf("  thời gian hoàn thành: %s (%s)\n  sản phẩm: %s\n  %s, %.1f%%%s%s\n",
		       t->due_text ? t->due_text : "—", hl_due_kind_name(t->due.kind),
		       t->output ? t->output : "—", hl_task_status_vi(t->status), t->progress,
		       t->judged_due[0] ? ", judged against " : "", t->judged_due);
		for (size_t i = 0; i < r->n; i++) {
			const hl_report *p = &r->v[i];
			printf("  report %lld  %s  %s  %s %d%% %s  by %s%s%s%s  [%s%s%s]\n",
			       (long long)p->id, p->at, p->period, p->agency, p->progress,
			       hl_report_state_name(p->state), p->by,
			       p->origin       ? ", from node "
			       : p->message_id ? ", sent"
			                       : "",
			       p->origin ? p->origin : "",
			       p->corrects ? ", correcting an earlier one" : "", p->verdict,
			       p->verdict_comment ? ": " : "",
			       p->verdict_comment ? p->verdict_comment : "");
		}
	}
	hl_task_free(t);
	hl_reports_free(r);
	return EXIT_OK;
}

static int task_report(const cli_args *args)
{
	const popts *o = args->opts;
	hl_archive *a = NULL;
	hl_principal who = me();
	hl_report_in in = {0};
	int64_t id;
	int rc;
	if (o->done && o->waiting)
		return cli_usage(args->cmd, "--done and --waiting: one or the other");
	in.task = args->args[0];
	in.agency = o->agency;
	in.period = o->period;
	in.progress = o->progress == 1000 ? -1 : (int)o->progress; /* 1000: not given */
	in.state = o->done ? HL_REPORT_DONE : o->waiting ? HL_REPORT_WAITING : HL_REPORT_PROGRESS;
	in.done_on = o->done_on;
	in.results = o->results;
	in.difficulties = o->difficulties;
	in.proposals = o->proposals;
	in.evidence = o->evidence;
	in.corrects = (int64_t)o->corrects;
	in.at = o->at;
	if (open_store(&a, args) < 0)
		return cli_fail();
	rc = hl_task_report(&id, hl_archive_store(a), &who, &in);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json)
		cli_print_json(json_pack("{s:I}", "id", (json_int_t)id));
	else
		printf("task report: report %lld on %s recorded\n", (long long)id, args->args[0]);
	return EXIT_OK;
}

static int task_evidence(const cli_args *args)
{
	const popts *o = args->opts;
	hl_archive *a = NULL;
	hl_principal who = me();
	hl_evidence_file f;
	int rc;
	if (open_store(&a, args) < 0)
		return cli_fail();
	rc = hl_evidence_put(&f, a, &who, o->agency, o->name ? o->name : args->args[0],
	                     args->args[0]);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json)
		cli_print_json(hl_evidence_file_json(&f));
	else
		printf("task evidence: file:%lld %s (%lld bytes) kept for %s; cite it in a report "
		       "with "
		       "--evidence file:%lld\n",
		       (long long)f.id, f.name, (long long)f.size, f.agency, (long long)f.id);
	hl_evidence_file_clear(&f);
	return EXIT_OK;
}

static int task_verify(const cli_args *args)
{
	const popts *o = args->opts;
	hl_archive *a = NULL;
	hl_principal who = me();
	char *end;
	long long id = strtoll(args->args[0], &end, 10);
	int rc;
	if (*end || id <= 0)
		return cli_usage(args->cmd, "REPORT: a report's number");
	if (o->accept == o->ret)
		return cli_usage(args->cmd, "--accept or --return (with --comment)");
	if (open_store(&a, args) < 0)
		return cli_fail();
	/* on the data directory: a report from another node gets its verdict back */
	rc = hl_report_verify_archive(a, &who, id, o->accept, o->comment, o->at);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("task verify: report %lld %s\n", id, o->accept ? "accepted" : "returned");
	return EXIT_OK;
}

static int task_send(const cli_args *args)
{
	const popts *o = args->opts;
	hl_archive *a = NULL;
	hl_node *n = NULL;
	hl_principal who = me();
	char *end, id[37];
	long long report = strtoll(args->args[0], &end, 10);
	int rc;
	if (*end || report <= 0)
		return cli_usage(args->cmd, "REPORT: a report's number");
	if (cli_open_node(&a, &n, args->ctx) < 0)
		return cli_fail();
	rc = hl_task_report_send(id, n, &who, report, o->to);
	hl_node_free(n);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json)
		cli_print_json(json_pack("{s:I,s:s,s:s,s:s}", "report", (json_int_t)report, "to",
		                         o->to, "message", id, "state", "waiting"));
	else
		printf("task send: report %lld to %s, message %s waiting in the outbox\n", report,
		       o->to, id);
	return EXIT_OK;
}

static int task_queue(const cli_args *args)
{
	const popts *o = args->opts;
	hl_archive *a = NULL;
	hl_reports *r = NULL;
	hl_principal who = me();
	int rc;
	if (open_store(&a, args) < 0)
		return cli_fail();
	rc = hl_report_queue(&r, hl_archive_store(a), &who, o->plan, o->at);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json) {
		json_t *j = json_array();
		for (size_t i = 0; i < r->n; i++)
			json_array_append_new(j, hl_report_json(&r->v[i]));
		cli_print_json(j);
	} else {
		for (size_t i = 0; i < r->n; i++)
			printf("report %lld  %s  %-28s %s %s %d%% %s\n", (long long)r->v[i].id,
			       r->v[i].at, r->v[i].task_ref, r->v[i].agency, r->v[i].period,
			       r->v[i].progress, hl_report_state_name(r->v[i].state));
		if (!r->n)
			printf("no report waits for verification\n");
	}
	hl_reports_free(r);
	return EXIT_OK;
}

static int inspection_add(const cli_args *args)
{
	const popts *o = args->opts;
	hl_archive *a = NULL;
	hl_principal who = me();
	hl_inspection_in in = {0};
	size_t n = (size_t)(args->nargs - 1);
	const char **titles = calloc(n + 1, sizeof(char *)), **ags = calloc(n + 1, sizeof(char *)),
	           **dues = calloc(n + 1, sizeof(char *));
	char **bufs = calloc(n + 1, sizeof(char *));
	int64_t id = 0;
	int rc = 0;
	if (!titles || !ags || !dues || !bufs)
		rc = hl_error_set(HL_ENOMEM, "out of memory");
	/* each follow-up action: "title|agency|due" */
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *b = bufs[i] = hl_strdup(args->args[i + 1]), *p1, *p2;
		if (!b || !(p1 = strchr(b, '|'))) {
			rc = cli_usage(args->cmd, "follow-up %zu: \"title|agency|due\"", i + 1);
			goto out;
		}
		*p1++ = 0;
		if ((p2 = strchr(p1, '|')))
			*p2++ = 0;
		titles[i] = b;
		ags[i] = p1;
		dues[i] = p2;
	}
	in.plan = args->args[0];
	in.date = o->date;
	in.team = o->team;
	in.scope = o->scope;
	in.agency = o->agency;
	in.findings = o->findings;
	in.rating = o->rating;
	in.follow_title = titles;
	in.follow_agency = ags;
	in.follow_due = dues;
	in.nfollow = n;
	in.at = o->at;
	if (rc == 0 && open_store(&a, args) == 0) {
		rc = hl_inspection_add(&id, hl_archive_store(a), &who, &in);
		hl_archive_free(a);
	} else if (rc == 0)
		rc = -1;
	if (rc == 0) {
		if (o->json)
			cli_print_json(json_pack("{s:I,s:I}", "id", (json_int_t)id,
			                         "follow_up_tasks", (json_int_t)n));
		else
			printf("inspection add: inspection %lld of %s; %zu follow-up tasks "
			       "(KT%lld.n)\n",
			       (long long)id, in.plan, n, (long long)id);
	}
out:
	for (size_t i = 0; bufs && i < n; i++)
		free(bufs[i]);
	free(bufs);
	free(titles);
	free(ags);
	free(dues);
	if (rc == 2)
		return rc;
	return rc < 0 ? cli_fail() : EXIT_OK;
}

static int inspection_list(const cli_args *args)
{
	const popts *o = args->opts;
	hl_archive *a = NULL;
	hl_principal who = me();
	hl_inspections *l = NULL;
	int rc;
	if (open_store(&a, args) < 0)
		return cli_fail();
	rc = hl_inspection_list(&l, hl_archive_store(a), &who, args->args[0]);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json) {
		json_t *j = json_array();
		for (size_t i = 0; i < l->n; i++)
			json_array_append_new(j, hl_inspection_json(&l->v[i]));
		cli_print_json(j);
	} else {
		for (size_t i = 0; i < l->n; i++) {
			const hl_inspection *v = &l->v[i];
			printf("inspection %lld  %s  %s  %s%s%s%s\n", (long long)v->id, v->date,
			       v->team, v->agency ? v->agency : "", v->agency ? "  " : "",
			       v->rating ? "rating " : "", v->rating ? v->rating : "");
			printf("   scope: %s\n", v->scope);
			if (v->findings)
				printf("   findings: %s\n", v->findings);
			for (size_t k = 0; k < v->nfollow; k++)
				printf("   follow-up: %s\n", v->follow[k]);
		}
		if (!l->n)
			printf("no inspection of %s yet\n", args->args[0]);
	}
	hl_inspections_free(l);
	return EXIT_OK;
}

static int lesson_add(const cli_args *args)
{
	const popts *o = args->opts;
	hl_archive *a = NULL;
	hl_principal who = me();
	hl_lesson_in in = {o->title, o->body, o->task, o->agency, o->at};
	int64_t id;
	int rc;
	if (open_store(&a, args) < 0)
		return cli_fail();
	rc = hl_lesson_add(&id, a, &who, &in);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json)
		cli_print_json(json_pack("{s:I}", "id", (json_int_t)id));
	else
		printf("lesson add: lesson %lld recorded\n", (long long)id);
	return EXIT_OK;
}

static int lesson_search(const cli_args *args)
{
	const popts *o = args->opts;
	hl_archive *a = NULL;
	hl_lessons *l = NULL;
	hl_principal who = me();
	hl_search_opts so = {0};
	char q[HL_SEARCH_MAX_QUERY + 2] = "";
	int rc, tty = isatty(STDOUT_FILENO);
	for (int i = 0; i < args->nargs; i++)
		snprintf(q + strlen(q), sizeof(q) - strlen(q), "%s%s", i ? " " : "", args->args[i]);
	if (strlen(q) > HL_SEARCH_MAX_QUERY)
		return hl_error_set(HL_ELIMIT, "the query is longer than %d bytes",
		                    HL_SEARCH_MAX_QUERY),
		       cli_fail();
	so.query = q;
	so.limit = (size_t)o->limit;
	if (o->json) {
		so.html = 1;
	} else {
		so.mark_open = tty ? "\033[1;4m" : "[";
		so.mark_close = tty ? "\033[0m" : "]";
	}
	if (open_store(&a, args) < 0)
		return cli_fail();
	rc = hl_lesson_search(&l, a, &who, &so);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json) {
		json_t *j = json_array();
		for (size_t i = 0; i < l->n; i++)
			json_array_append_new(j, hl_lesson_json(&l->v[i]));
		cli_print_json(j);
	} else {
		for (size_t i = 0; i < l->n; i++)
			printf("lesson %lld  %s  %s%s%s  %s\n   %s\n", (long long)l->v[i].id,
			       l->v[i].at, l->v[i].task_ref ? l->v[i].task_ref : "",
			       l->v[i].agency ? " " : "", l->v[i].agency ? l->v[i].agency : "",
			       l->v[i].title, l->v[i].snippet ? l->v[i].snippet : "");
		if (!l->n)
			printf("no lesson matches\n");
		else
			printf("%zu shown of %s%llu\n", l->n, l->total_exact ? "" : "about ",
			       (unsigned long long)l->total);
	}
	hl_lessons_free(l);
	return EXIT_OK;
}

static int number(double *out, const cli_args *args, const char *opt, const char *s)
{
	char *end;
	*out = s ? strtod(s, &end) : 0;
	if (!s || !*s || *end || *out != *out)
		return cli_usage(args->cmd, "--%s: a number, not \"%s\"", opt, s ? s : "");
	return 0;
}

static int plan_kpi(const cli_args *args)
{
	const popts *o = args->opts;
	hl_archive *a = NULL;
	hl_kpis *l = NULL;
	hl_principal who = me();
	int rc;
	if (open_store(&a, args) < 0)
		return cli_fail();
	rc = hl_kpi_list(&l, hl_archive_store(a), &who, args->args[0], o->at);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json) {
		json_t *j = json_array();
		for (size_t i = 0; i < l->n; i++)
			json_array_append_new(j, hl_kpi_json(&l->v[i]));
		cli_print_json(j);
	} else {
		for (size_t i = 0; i < l->n; i++) {
			const hl_kpi *k = &l->v[i];
			printf("%-12s %s (%s; target %g, %s is better)\n", k->code, k->name,
			       k->unit ? k->unit : "", k->target,
			       k->lower_is_better ? "lower" : "higher");
			for (size_t j = 0; j < k->nvalues; j++)
				printf("  %-8s %g of %g  %.1f%%  %s\n", k->values[j].period,
				       k->values[j].actual, k->values[j].target,
				       k->values[j].achieved, k->values[j].met ? "met" : "not met");
		}
		if (!l->n)
			printf("no indicator (halong plan kpi-set)\n");
	}
	hl_kpis_free(l);
	return EXIT_OK;
}

static int plan_kpi_set(const cli_args *args)
{
	const popts *o = args->opts;
	hl_archive *a = NULL;
	hl_principal who = me();
	hl_kpi_in in = {args->args[0], args->args[1], o->name, o->unit, o->task, 0, 0, 0, o->lower};
	int rc;
	if ((rc = number(&in.target, args, "target", o->target)) != 0)
		return rc;
	if (o->baseline) {
		if ((rc = number(&in.baseline, args, "baseline", o->baseline)) != 0)
			return rc;
		in.has_baseline = 1;
	}
	if (open_store(&a, args) < 0)
		return cli_fail();
	rc = hl_kpi_set(hl_archive_store(a), &who, &in);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("plan kpi-set: %s of %s\n", args->args[1], args->args[0]);
	return EXIT_OK;
}

static int plan_kpi_record(const cli_args *args)
{
	const popts *o = args->opts;
	hl_archive *a = NULL;
	hl_principal who = me();
	double actual, target = NAN;
	int rc;
	if ((rc = number(&actual, args, "actual", o->actual)) != 0 ||
	    (o->target && (rc = number(&target, args, "target", o->target)) != 0))
		return rc;
	if (open_store(&a, args) < 0)
		return cli_fail();
	rc = hl_kpi_record(hl_archive_store(a), &who, args->args[0], args->args[1], o->period,
	                   actual, target, o->at);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("plan kpi-record: %s %s = %g\n", args->args[1], o->period, actual);
	return EXIT_OK;
}

static int task_cancel(const cli_args *args)
{
	const popts *o = args->opts;
	hl_archive *a = NULL;
	hl_principal who = me();
	int rc;
	if (open_store(&a, args) < 0)
		return cli_fail();
	rc = hl_task_cancel(hl_archive_store(a), &who, args->args[0], o->reason);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	printf("task cancel: %s cancelled\n", args->args[0]);
	return EXIT_OK;
}

/* ---- warnings: agencies' contacts and the daily notices ---- */

static int agency_contact(const cli_args *args)
{
	const opts *o = args->opts;
	hl_archive *a = NULL;
	hl_principal who = me();
	char *email = NULL;
	int rc;
	if (open_store(&a, args) < 0)
		return cli_fail();
	if (args->nargs == 2)
		rc = hl_plans_contact_set(hl_archive_store(a), &who, args->args[0], args->args[1]);
	else
		rc = hl_plans_contact_get(&email, hl_archive_store(a), &who, args->args[0]);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (args->nargs == 2) {
		int set = *args->args[1] != 0;
		if (o->json)
			cli_print_json(json_pack("{s:s,s:o}", "code", args->args[0], "email",
			                         set ? json_string(args->args[1]) : json_null()));
		else if (set)
			printf("agency contact: %s's notices go to %s\n", args->args[0],
			       args->args[1]);
		else
			printf("agency contact: %s has no e-mail contact now\n", args->args[0]);
	} else if (o->json)
		cli_print_json(json_pack("{s:s,s:o}", "code", args->args[0], "email",
		                         email ? json_string(email) : json_null()));
	else
		printf("%s %s\n", args->args[0], email ? email : "(no e-mail contact)");
	free(email);
	return EXIT_OK;
}

typedef struct {
	int json, dry_run;
	const char *at;
} nopts;

static void print_digest(const hl_notice_digest *d, int dry_run)
{
	char what[120] = "";
	if (d->noverdue)
		snprintf(what, sizeof(what), "%zu overdue", d->noverdue);
	if (d->nsoon)
		snprintf(what + strlen(what), sizeof(what) - strlen(what), "%s%zu due soon",
		         d->noverdue ? ", " : "", d->nsoon);
	if (!d->nitems)
		snprintf(what, sizeof(what), "nothing to send");
	printf("  %-12s ", d->agency);
	if (d->sent)
		printf("sent: %s", what);
	else if (d->error)
		printf("not sent (%s): %s", d->error, what);
	else if (dry_run && d->nitems)
		printf("would send: %s", what);
	else
		printf("%s", what);
	if (d->given_up)
		printf("; %zu given up (notice_attempts)", d->given_up);
	printf("  — %s\n", d->agency_name);
}

static int plan_notify(const cli_args *args)
{
	const nopts *o = args->opts;
	hl_archive *a = NULL;
	hl_notice_run *run = NULL;
	hl_principal who = me();
	cli_progress p;
	int rc;
	if (open_store(&a, args) < 0)
		return cli_fail();
	cli_progress_init(&p, o->json);
	rc = hl_plans_notify(&run, hl_archive_store(a), &who, NULL, o->at, o->dry_run,
	                     cli_progress_cb, &p);
	cli_progress_done(&p);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json)
		cli_print_json(hl_notice_run_json(run));
	else {
		printf("plan notify %s%s: %llu plans; %llu notices hold, %llu new, %llu dropped "
		       "(moot before being sent)\n",
		       run->at, run->dry_run ? " (dry run: nothing sent or written)" : "",
		       (unsigned long long)run->planned.plans,
		       (unsigned long long)run->planned.current,
		       (unsigned long long)run->planned.added, (unsigned long long)run->dropped);
		for (size_t i = 0; i < run->n; i++)
			print_digest(&run->v[i], run->dry_run);
		printf("%llu notices sent, %llu failed (tried again next run), %llu waiting for a "
		       "contact\n",
		       (unsigned long long)run->sent, (unsigned long long)run->failed,
		       (unsigned long long)run->waiting);
	}
	rc = run->failed ? EXIT_PARTIAL : EXIT_OK;
	hl_notice_run_free(run);
	return rc;
}

static const cli_opt notify_opts[] = {
    CLI_TEXT_OPT("at", 0, nopts, at, "DATE", "as on DATE, yyyy-mm-dd (default: today)"),
    CLI_FLAG_OPT("dry-run", 0, nopts, dry_run, "show the digests; send and write nothing"),
    CLI_FLAG_OPT("json", 0, nopts, json, "as JSON"),
    CLI_OPT_END,
};

#define AT_OPT   CLI_TEXT_OPT("at", 0, popts, at, "DATE", "as on DATE, yyyy-mm-dd (default: today)")
#define JSON_OPT CLI_FLAG_OPT("json", 0, popts, json, "as JSON")

static const cli_opt import_opts[] = {
    CLI_TEXT_OPT("plan", 0, popts, plan, "ID", "the plan of a task file without plan_id"),
    CLI_TEXT_OPT("sheet", 0, popts, sheet, "NAME", "XLSX: the sheet (default: the first)"),
    CLI_FLAG_OPT("keep-unknown", 0, popts, keep_unknown,
                 "keep agency names not in the register as written (each one named)"),
    CLI_TEXT_OPT("compiler", 0, popts, compiler, "AGENCY",
                 "a plans file: the compiling agency of plans that name none"),
    CLI_TEXT_OPT("at", 0, popts, at, "DATE", "name agencies as on DATE (default: the plan's date)"),
    JSON_OPT,
    CLI_OPT_END,
};
static const cli_opt json_popts[] = {JSON_OPT, CLI_OPT_END};
static const cli_opt at_popts[] = {AT_OPT, JSON_OPT, CLI_OPT_END};
static const cli_opt eval_opts[] = {
    CLI_TEXT_OPT("period", 0, popts, period, "PERIOD",
                 "2025-06, 2025-Q2, 2025-H1, 2025, Quý II/2025"),
    CLI_TEXT_OPT("from", 0, popts, from, "DATE", "or the tasks due from DATE"),
    CLI_TEXT_OPT("to", 0, popts, to, "DATE", "to DATE"),
    CLI_TEXT_OPT("agency", 0, popts, agency, "AGENCY", "one agency's tasks (code or name)"),
    CLI_COUNT_OPT("soon", popts, soon, "DAYS", 0, 365, "0",
                  "due soon: within DAYS (0: the setting)"),
    AT_OPT,
    JSON_OPT,
    CLI_OPT_END,
};
static const cli_opt close_opts[] = {
    CLI_NEEDED_OPT("period", popts, period, "PERIOD", "the period that ended"),
    AT_OPT,
    CLI_OPT_END,
};
static const cli_opt report_opts[] = {
    CLI_NEEDED_OPT("period", popts, period, "PERIOD", "the period reported: 2025-06, 2025-Q2"),
    CLI_COUNT_OPT("progress", popts, progress, "PERCENT", 0, 1000, "1000",
                  "progress, 0–100 (--done: 100)"),
    CLI_FLAG_OPT("done", 0, popts, done, "the task is done"),
    CLI_FLAG_OPT("waiting", 0, popts, waiting, "waiting for guidance (from outside the agency)"),
    CLI_TEXT_OPT("done-on", 0, popts, done_on, "DATE", "the day it was done (default: --at)"),
    CLI_TEXT_OPT("results", 0, popts, results, "TEXT", "kết quả: what was achieved"),
    CLI_TEXT_OPT("difficulties", 0, popts, difficulties, "TEXT", "khó khăn, vướng mắc"),
    CLI_TEXT_OPT("proposals", 0, popts, proposals, "TEXT", "đề xuất, kiến nghị"),
    CLI_TEXT_OPT("evidence", 0, popts, evidence, "IDS",
                 "documents of the archive (ids) and uploaded files (file:N)"),
    CLI_COUNT_OPT("corrects", popts, corrects, "REPORT", 0, 1e15, "0",
                  "the returned report this corrects"),
    CLI_TEXT_OPT("agency", 0, popts, agency, "AGENCY", "the lead agency reporting"),
    AT_OPT,
    JSON_OPT,
    CLI_OPT_END,
};
static const cli_opt evidence_opts[] = {
    CLI_TEXT_OPT("agency", 0, popts, agency, "AGENCY", "the agency it is evidence for"),
    CLI_TEXT_OPT("name", 0, popts, name, "NAME", "its name as shown (default: the file's)"),
    JSON_OPT,
    CLI_OPT_END,
};
static const cli_opt verify_opts[] = {
    CLI_FLAG_OPT("accept", 0, popts, accept, "accept the report"),
    CLI_FLAG_OPT("return", 0, popts, ret, "return it to be corrected (--comment: why)"),
    CLI_TEXT_OPT("comment", 0, popts, comment, "TEXT", "the compiler's comment"),
    AT_OPT,
    CLI_OPT_END,
};
static const cli_opt send_opts[] = {
    CLI_NEEDED_OPT("to", popts, to, "UNIT", "the unit it goes to: the province's (22)"),
    JSON_OPT,
    CLI_OPT_END,
};
static const cli_opt queue_opts[] = {
    CLI_TEXT_OPT("plan", 0, popts, plan, "ID", "one plan's reports"),
    AT_OPT,
    JSON_OPT,
    CLI_OPT_END,
};
static const cli_opt inspection_opts[] = {
    CLI_NEEDED_OPT("date", popts, date, "DATE", "the day of the inspection"),
    CLI_NEEDED_OPT("team", popts, team, "TEXT", "the inspection team"),
    CLI_NEEDED_OPT("scope", popts, scope, "TEXT", "what was inspected"),
    CLI_TEXT_OPT("agency", 0, popts, agency, "AGENCY", "the agency inspected"),
    CLI_TEXT_OPT("findings", 0, popts, findings, "TEXT", "what the team found"),
    CLI_TEXT_OPT("rating", 0, popts, rating, "RATING",
                 "tốt, khá, đạt, chưa đạt (or tot, kha, dat, chua_dat)"),
    AT_OPT,
    JSON_OPT,
    CLI_OPT_END,
};
static const cli_opt lesson_opts[] = {
    CLI_NEEDED_OPT("title", popts, title, "TEXT", "the lesson in a line"),
    CLI_NEEDED_OPT("body", popts, body, "TEXT", "what was learned"),
    CLI_TEXT_OPT("task", 0, popts, task, "PLAN/STT", "the task it comes from"),
    CLI_TEXT_OPT("agency", 0, popts, agency, "AGENCY", "the agency it comes from"),
    AT_OPT,
    JSON_OPT,
    CLI_OPT_END,
};
static const cli_opt kpi_set_opts[] = {
    CLI_NEEDED_OPT("name", popts, name, "TEXT", "what the indicator measures"),
    CLI_TEXT_OPT("unit", 0, popts, unit, "UNIT", "its unit: %, hồ sơ, dịch vụ"),
    CLI_TEXT_OPT("baseline", 0, popts, baseline, "N", "the value at the start"),
    CLI_NEEDED_OPT("target", popts, target, "N", "the value to reach"),
    CLI_FLAG_OPT("lower-is-better", 0, popts, lower, "a lower value is better (a delay, a cost)"),
    CLI_TEXT_OPT("task", 0, popts, task, "PLAN/STT", "the task it measures"),
    CLI_OPT_END,
};
static const cli_opt kpi_record_opts[] = {
    CLI_NEEDED_OPT("period", popts, period, "PERIOD", "the period measured"),
    CLI_NEEDED_OPT("actual", popts, actual, "N", "the value reached"),
    CLI_TEXT_OPT("target", 0, popts, target, "N", "the period's own target"),
    AT_OPT,
    CLI_OPT_END,
};
static const cli_opt cancel_opts[] = {
    CLI_NEEDED_OPT("reason", popts, reason, "TEXT", "why it is cancelled"),
    CLI_OPT_END,
};
static const cli_opt search_opts[] = {
    CLI_COUNT_OPT("limit", popts, limit, "N", 1, 1000, "50", "at most N lessons"),
    JSON_OPT,
    CLI_OPT_END,
};

/* ---- plan export ---- */

typedef struct {
	const char *what, *format, *period, *at, *out;
} xopts;

/* Copies the file at `path` to stdout. */
static int copy_out(const char *path)
{
	char buf[65536];
	size_t n;
	FILE *f = fopen(path, "rb");
	int rc = 0;
	if (!f)
		return hl_error_set(HL_EIO, "cannot read the export back");
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (fwrite(buf, 1, n, stdout) != n) {
			rc = hl_error_set(HL_EIO, "cannot write to the standard output");
			break;
		}
	fclose(f);
	if (fflush(stdout) != 0 && rc == 0)
		rc = hl_error_set(HL_EIO, "cannot write to the standard output");
	return rc;
}

static int plan_export(const cli_args *args)
{
	const xopts *o = args->opts;
	hl_archive *a = NULL;
	hl_principal who = me();
	hl_plans_export_in in = {args->args[0], o->what, o->format, o->period, o->at};
	char dir[] = "/tmp/halong-export.XXXXXX", *path = NULL;
	int rc;
	if (!o->out && (!strcmp(o->format, "xlsx") || !strcmp(o->format, "pdf")) &&
	    isatty(STDOUT_FILENO))
		return cli_usage(args->cmd, "-o FILE: %s is not for a terminal", o->format);
	if (hl_plans_export_check(&in) < 0)
		return cli_fail();
	if (open_store(&a, args) < 0)
		return cli_fail();
	if (o->out)
		rc = hl_plans_export(hl_archive_store(a), &who, &in, o->out);
	else if (!mkdtemp(dir))
		rc = hl_error_set(HL_EIO, "cannot make a temporary folder");
	else {
		/* to the standard output: written whole first, so that a refusal prints nothing */
		path = hl_path_join(dir, "export");
		rc = path ? hl_plans_export(hl_archive_store(a), &who, &in, path)
		          : hl_error_set(HL_ENOMEM, "out of memory");
		if (rc == 0)
			rc = copy_out(path);
		if (path)
			unlink(path);
		rmdir(dir);
		free(path);
	}
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->out)
		fprintf(stderr, "plan export: %s %s of %s written to %s\n", o->what, o->format,
		        args->args[0], o->out);
	return EXIT_OK;
}

static const cli_opt export_opts[] = {
    CLI_CHOICE_OPT("what", xopts, what, "WHAT", "tasks,reports,eval", CLI_REQUIRED,
                   "the plan's tasks, their reports, or the evaluation of a period"),
    CLI_CHOICE_OPT("format", xopts, format, "FORMAT", "csv,xlsx,html,pdf", CLI_REQUIRED,
                   "csv, xlsx; html and pdf: the printable evaluation report (A4)"),
    CLI_TEXT_OPT("period", 0, xopts, period, "PERIOD",
                 "2025-06, 2025-Q2, 2025-H1, 2025: tasks due, reports for, the period "
                 "evaluated"),
    CLI_TEXT_OPT("at", 0, xopts, at, "DATE", "as on DATE, yyyy-mm-dd (default: today)"),
    CLI_TEXT_OPT("output", 'o', xopts, out, "FILE", "where to write (default: standard output)"),
    CLI_OPT_END,
};

#define PLAN (&cli_plans_commands[1])
static const cli_cmd plan_subs[] = {
    {.name = "import",
     .summary = "import a plans file or a plan's task appendix (CSV or XLSX)",
     .operands = "FILE",
     .min_args = 1,
     .max_args = 1,
     .missing = "give a CSV or XLSX file",
     .opts = import_opts,
     .opts_size = sizeof(popts),
     .run = plan_import,
     .group = PLAN,
     .help = "A plans file: plan_id, title, period (2025-2030); number, date, issuer, "
             "compiler, report_every, access, document_id, note. A task appendix: STT, Nhiệm "
             "vụ, Cơ quan chủ trì, Cơ quan phối hợp, Thời gian hoàn thành, Sản phẩm, Trọng số, "
             "Thuộc (or item_no, title, lead_agency, supporting_agencies, due, output, weight, "
             "parent_item_no, plan_id). Every bad row is named and nothing is imported; "
             "importing twice changes nothing."},
    {.name = "list",
     .summary = "the plans",
     .opts = json_popts,
     .opts_size = sizeof(popts),
     .run = plan_list,
     .group = PLAN},
    {.name = "show",
     .summary = "a plan and its tasks with their status and progress",
     .operands = "ID",
     .min_args = 1,
     .max_args = 1,
     .missing = "give a plan's id",
     .opts = at_popts,
     .opts_size = sizeof(popts),
     .run = plan_show,
     .group = PLAN},
    {.name = "eval",
     .summary = "the evaluation of a period: counts per agency, ranking, overdue, due soon",
     .operands = "[ID]",
     .max_args = 1,
     .opts = eval_opts,
     .opts_size = sizeof(popts),
     .run = plan_eval,
     .group = PLAN},
    {.name = "close",
     .summary = "freeze a period that ended as a snapshot (the next one compares with it)",
     .operands = "ID",
     .min_args = 1,
     .max_args = 1,
     .missing = "give a plan's id",
     .opts = close_opts,
     .opts_size = sizeof(popts),
     .run = plan_close,
     .group = PLAN},
    {.name = "period",
     .summary = "a reporting period: its days, data cut-off (Nghị định 09/2019) and report "
                "due date",
     .operands = "PERIOD",
     .min_args = 1,
     .max_args = 1,
     .missing = "give a period: 2025-06, 2025-Q2, Quý II/2025",
     .opts = json_popts,
     .opts_size = sizeof(popts),
     .run = plan_period,
     .group = PLAN},
    {.name = "setting",
     .summary = "the settings of plans: cutoff_day, report_day, soon_days, rank_rule, "
                "smtp_url, mail_from, smtp_user, smtp_password, smtp_starttls, "
                "notice_attempts",
     .operands = "[KEY [VALUE]]",
     .help = "smtp_password -: reads the password from standard input (it is never shown; "
             "the settings list says (set)).",
     .max_args = 2,
     .opts_size = sizeof(popts),
     .run = plan_setting,
     .group = PLAN},
    {.name = "notify",
     .summary = "mail each agency its due-soon and overdue notices (a daily digest, each "
                "notice once)",
     .opts = notify_opts,
     .opts_size = sizeof(nopts),
     .run = plan_notify,
     .group = PLAN,
     .help = "Finds the notices that hold at the clock (soon_days), adds the new ones to the "
             "outbox, drops those that became moot, and mails each agency with a contact one "
             "digest in Vietnamese through smtp_url (halong plan setting smtp_url "
             "smtp://HOST:PORT; mail_from, smtp_user, smtp_password, smtp_starttls, "
             "notice_attempts). A failed digest stays in the outbox and is tried again on the "
             "next run (exit 3). Run it once a day."},
    {.name = "kpi",
     .summary = "a plan's KPI indicators and their values by period",
     .operands = "ID",
     .min_args = 1,
     .max_args = 1,
     .missing = "give a plan's id",
     .opts = at_popts,
     .opts_size = sizeof(popts),
     .run = plan_kpi,
     .group = PLAN},
    {.name = "kpi-set",
     .summary = "add or change a KPI indicator (the compiler)",
     .operands = "ID CODE",
     .min_args = 2,
     .max_args = 2,
     .missing = "give the plan and the indicator's code",
     .opts = kpi_set_opts,
     .opts_size = sizeof(popts),
     .run = plan_kpi_set,
     .group = PLAN},
    {.name = "kpi-record",
     .summary = "record an indicator's value for a period (the compiler)",
     .operands = "ID CODE",
     .min_args = 2,
     .max_args = 2,
     .missing = "give the plan and the indicator's code",
     .opts = kpi_record_opts,
     .opts_size = sizeof(popts),
     .run = plan_kpi_record,
     .group = PLAN},
    {.name = "export",
     .summary = "a plan's tasks, reports or evaluation as CSV or XLSX; the evaluation report "
                "as A4 HTML or PDF",
     .operands = "PLAN",
     .min_args = 1,
     .max_args = 1,
     .missing = "give a plan's id",
     .opts = export_opts,
     .opts_size = sizeof(xopts),
     .run = plan_export,
     .group = PLAN,
     .help = "CSV is UTF-8 with a byte order mark, a header row, dates yyyy-mm-dd. XLSX has a "
             "bold header row kept in view, real numbers and dates. The report (html, pdf) is "
             "in Vietnamese with the national heading, the count line, the agencies ranked, "
             "the overdue and due-soon tasks. A refused export writes nothing."},
    {0},
};
#undef PLAN

#define TASK (&cli_plans_commands[2])
static const cli_cmd task_subs[] = {
    {.name = "show",
     .summary = "a task: its agencies, deadline, status and report history",
     .operands = "PLAN/STT",
     .min_args = 1,
     .max_args = 1,
     .missing = "give a task: PLAN/STT or its number",
     .opts = at_popts,
     .opts_size = sizeof(popts),
     .run = task_show,
     .group = TASK},
    {.name = "report",
     .summary = "report on a task for a period (a lead agency)",
     .operands = "PLAN/STT",
     .min_args = 1,
     .max_args = 1,
     .missing = "give a task: PLAN/STT or its number",
     .opts = report_opts,
     .opts_size = sizeof(popts),
     .run = task_report,
     .group = TASK},
    {.name = "evidence",
     .summary = "keep a file as evidence for an agency's reports (cite it as file:N)",
     .operands = "FILE",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the file",
     .opts = evidence_opts,
     .opts_size = sizeof(popts),
     .run = task_evidence,
     .group = TASK,
     .help = "The file (at most 20 MiB) goes to the archive's blob store under its SHA-256; "
             "a report of the same agency cites it with --evidence file:N. Whoever reads "
             "that report downloads it (GET /api/v1/evidence/N)."},
    {.name = "verify",
     .summary = "accept a report, or return it with a comment (the plan's compiler)",
     .operands = "REPORT",
     .min_args = 1,
     .max_args = 1,
     .missing = "give a report's number",
     .opts = verify_opts,
     .opts_size = sizeof(popts),
     .run = task_verify,
     .group = TASK},
    {.name = "queue",
     .summary = "the reports waiting for verification",
     .opts = queue_opts,
     .opts_size = sizeof(popts),
     .run = task_queue,
     .group = TASK},
    {.name = "cancel",
     .summary = "cancel a task, saying why (the compiler)",
     .operands = "PLAN/STT",
     .min_args = 1,
     .max_args = 1,
     .missing = "give a task: PLAN/STT or its number",
     .opts = cancel_opts,
     .opts_size = sizeof(popts),
     .run = task_cancel,
     .group = TASK},
    {.name = "send",
     .summary = "send a report made here to the province over the exchange",
     .operands = "REPORT",
     .min_args = 1,
     .max_args = 1,
     .missing = "give a report's number",
     .opts = send_opts,
     .opts_size = sizeof(popts),
     .run = task_send,
     .group = TASK,
     .help = "The report goes as a \"report\" message (kind task.report) in the node's "
             "outbox; the server's sender delivers it. The province records it as coming "
             "from this node, and its compiler's verdict comes back: `halong task show` "
             "lists it. A returned report is corrected with `task report --corrects N` and "
             "the correction sent the same way."},
    {0},
};
#undef TASK

#define INSPECTION (&cli_plans_commands[3])
static const cli_cmd inspection_subs[] = {
    {.name = "add",
     .summary = "record an inspection; each FOLLOW-UP (\"title|agency|due\") becomes a task",
     .operands = "PLAN [FOLLOW-UP...]",
     .min_args = 1,
     .max_args = 51,
     .missing = "give the plan inspected",
     .opts = inspection_opts,
     .opts_size = sizeof(popts),
     .run = inspection_add,
     .group = INSPECTION},
    {.name = "list",
     .summary = "the inspections of a plan, newest first, with their follow-up tasks",
     .operands = "PLAN",
     .min_args = 1,
     .max_args = 1,
     .missing = "give the plan",
     .opts = json_popts,
     .opts_size = sizeof(popts),
     .run = inspection_list,
     .group = INSPECTION},
    {0},
};
#undef INSPECTION

#define LESSON (&cli_plans_commands[4])
static const cli_cmd lesson_subs[] = {
    {.name = "add",
     .summary = "record a lesson learned (bài học kinh nghiệm)",
     .opts = lesson_opts,
     .opts_size = sizeof(popts),
     .run = lesson_add,
     .group = LESSON},
    {.name = "search",
     .summary = "the lessons holding every word, tones and case aside (the archive's "
                "search, kind:lesson); none: the newest",
     .operands = "[WORDS...]",
     .min_args = 0,
     .max_args = 8,
     .missing = "give words to look for",
     .opts = search_opts,
     .opts_size = sizeof(popts),
     .run = lesson_search,
     .group = LESSON},
    {0},
};
#undef LESSON

const cli_cmd cli_plans_commands[] = {
    {.name = "agency",
     .summary = "the province's departments and offices that tasks are assigned to",
     .subs = agency_subs},
    {.name = "plan",
     .summary = "plans: import, list, show, evaluate a period, close it",
     .subs = plan_subs},
    {.name = "task",
     .summary = "a task: show, report on it, verify its reports",
     .subs = task_subs},
    {.name = "inspection",
     .summary = "inspections of a plan's implementation",
     .subs = inspection_subs},
    {.name = "lesson",
     .summary = "lessons learned, linked to tasks and agencies",
     .subs = lesson_subs},
    {0},
};
