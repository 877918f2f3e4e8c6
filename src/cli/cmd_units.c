/* The units command group: load the administrative units and ask about them on any date. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "halong/units.h"
#include "halong/units_json.h"
#include "halong/util.h"
#include "halong/config.h"

extern const cli_cmd cli_units_commands[];

typedef struct {
	int json, quiet;
	uint64_t limit;
	const char *at;
} opts;

/* --quiet silences load's progress; the other subcommands took it too (one getopt table for
 * every subcommand), and still do, for scripts that pass it. */
#define QUIET_UNUSED                                                                               \
	{                                                                                          \
		.name = "quiet", .kind = CLI_FLAG, .off = offsetof(opts, quiet),                   \
		.flags = CLI_HIDDEN                                                                \
	}

static const cli_opt json_only[] = {
    CLI_FLAG_OPT("json", 0, opts, json, "as JSON"),
    QUIET_UNUSED,
    CLI_OPT_END,
};
static const cli_opt load_opts[] = {
    CLI_FLAG_OPT("quiet", 'q', opts, quiet, "no progress"),
    CLI_FLAG_OPT("json", 0, opts, json, "as JSON"),
    CLI_OPT_END,
};
static const cli_opt at_opts[] = {
    CLI_TEXT_OPT("at", 0, opts, at, "DATE", "as it was on DATE (default: today)"),
    CLI_FLAG_OPT("json", 0, opts, json, "as JSON"),
    QUIET_UNUSED,
    CLI_OPT_END,
};
static const cli_opt find_opts[] = {
    CLI_TEXT_OPT("at", 0, opts, at, "DATE", "only names valid on DATE (default: any period)"),
    CLI_COUNT_OPT("limit", opts, limit, "N", 1, HL_UNITS_MAX_ROWS - 1, "100", "units listed"),
    CLI_FLAG_OPT("json", 0, opts, json, "as JSON"),
    QUIET_UNUSED,
    CLI_OPT_END,
};

static void print_succ(const hl_succession *s, int indent)
{
	printf("%*s%s  %s %s → %s %s  %s%s%s%s\n", indent, "", s->effective_date, s->old_code,
	       s->old_name ? s->old_name : "", *s->new_code ? s->new_code : "(abolished)",
	       s->new_name ? s->new_name : "",
	       s->merge_type ? s->merge_type : hl_succ_kind_name(s->kind),
	       s->legal_basis ? " (" : "", s->legal_basis ? s->legal_basis : "",
	       s->legal_basis ? ")" : "");
}

/* ---- load ---- */

static char *default_dir(void)
{
	return hl_path_join(hl_config_data_dir(),
	                    "units"); /* $HALONG_DATA, else the shipped data */
}

static int sub_load(const cli_args *args)
{
	const opts *o = args->opts;
	hl_archive *a = NULL;
	hl_units_load_stats s;
	cli_progress p;
	char *dir;
	int rc;

	dir = args->nargs ? hl_strdup(args->args[0]) : default_dir();
	if (cli_open(&a, args->ctx) < 0) {
		free(dir);
		return cli_fail();
	}
	cli_progress_init(&p, o->quiet || o->json);
	rc = hl_units_load(&s, hl_archive_store(a), dir, cli_actor(), cli_progress_cb, &p);
	cli_progress_done(&p);
	hl_archive_free(a);
	if (rc < 0) {
		free(dir);
		return cli_fail();
	}
	int nothing =
	    !s.versions_added && !s.versions_split && !s.successions_added && !s.events_added;
	if (o->json) {
		json_t *j = json_object();
		json_object_set_new(j, "dir", json_string(dir));
		json_object_set_new(j, "rows", json_integer((json_int_t)s.rows));
		json_object_set_new(j, "versions_added",
		                    json_integer((json_int_t)s.versions_added));
		json_object_set_new(j, "versions_split",
		                    json_integer((json_int_t)s.versions_split));
		json_object_set_new(j, "successions_added",
		                    json_integer((json_int_t)s.successions_added));
		json_object_set_new(j, "events_added", json_integer((json_int_t)s.events_added));
		json_object_set_new(j, "versions", json_integer(s.versions));
		json_object_set_new(j, "units", json_integer(s.codes));
		json_object_set_new(j, "successions", json_integer(s.successions));
		json_object_set_new(j, "events", json_integer(s.events));
		json_object_set_new(j, "nothing_changed", json_boolean(nothing));
		cli_print_json(j);
	} else {
		printf(
		    "units load: %llu rows from %s: %llu versions added, %llu split, %llu "
		    "successions added, %llu events added; now %lld units in %lld versions, %lld "
		    "successions, %lld events%s\n",
		    (unsigned long long)s.rows, dir, (unsigned long long)s.versions_added,
		    (unsigned long long)s.versions_split, (unsigned long long)s.successions_added,
		    (unsigned long long)s.events_added, (long long)s.codes, (long long)s.versions,
		    (long long)s.successions, (long long)s.events,
		    nothing ? " — nothing changed" : "");
	}
	free(dir);
	return EXIT_OK;
}

/* ---- show ---- */

static int sub_show(const cli_args *args)
{
	const opts *o = args->opts;
	hl_archive *a = NULL;
	hl_unit *u = NULL;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_units_show(&u, hl_archive_store(a), args->args[0], o->at);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json) {
		json_t *j = hl_unit_json(u, 1);
		cli_print_json(j);
	} else {
		printf("%s  %s (%s)\n", u->code, u->full_name, hl_unit_type_name(u->type));
		/* the pre-reform files are a snapshot: their first day is where the data begins,
		 * not when the unit began */
		if (!strcmp(u->valid_from, HL_UNITS_DATA_FROM))
			printf("valid        … – %s (the data begins %s)\n",
			       *u->valid_to ? u->valid_to : "", HL_UNITS_DATA_FROM);
		else
			printf("valid        %s – %s\n", u->valid_from,
			       *u->valid_to ? u->valid_to : "");
		if (u->parent_code)
			printf("parent       %s %s\n", u->parent_code,
			       u->parent_name ? u->parent_name : "");
		if (u->legal_basis)
			printf("legal basis  %s (%s)\n", u->legal_basis, u->event_id);
		for (size_t i = 0; i < u->prev.n; i++)
			print_succ(&u->prev.v[i], 0);
		for (size_t i = 0; i < u->next.n; i++)
			print_succ(&u->next.v[i], 0);
	}
	hl_unit_free(u);
	return EXIT_OK;
}

/* ---- find ---- */

static int sub_find(const cli_args *args)
{
	const opts *o = args->opts;
	const char *name = args->args[0];
	size_t limit = (size_t)o->limit;
	hl_archive *a = NULL;
	hl_units *l = NULL;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	/* one more than asked: tells whether the list was cut */
	rc = hl_units_find(&l, hl_archive_store(a), name, o->at, limit + 1);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json) {
		json_t *j = json_array();
		for (size_t i = 0; i < l->n && i < limit; i++)
			json_array_append_new(j, hl_unit_json(&l->v[i], 1));
		cli_print_json(j);
	} else {
		for (size_t i = 0; i < l->n && i < limit; i++) {
			const hl_unit *u = &l->v[i];
			printf("%s  %s%s%s, ", u->code, u->full_name, u->parent_name ? ", " : "",
			       u->parent_name ? u->parent_name : "");
			if (*u->valid_to)
				printf("until %s", u->valid_to);
			else
				printf("since %s", u->valid_from);
			for (size_t k = 0; k < u->next.n; k++) {
				const hl_succession *s = &u->next.v[k];
				if (*s->new_code)
					printf("%s %s (%s, %s)", k ? ";" : " → now part of",
					       s->new_name ? s->new_name : "", s->new_code,
					       s->merge_type ? s->merge_type
					                     : hl_succ_kind_name(s->kind));
				else
					printf("%s abolished", k ? ";" : " →");
			}
			putchar('\n');
		}
		if (!l->n)
			printf("no unit named \"%s\"\n", name);
		else if (l->n > limit)
			printf("… more than %zu units match: narrow the name, add --at DATE, or "
			       "raise --limit\n",
			       limit);
	}
	hl_units_free(l);
	return EXIT_OK;
}

/* ---- successors, predecessors ---- */

static int sub_walk(const cli_args *args, int forward)
{
	const opts *o = args->opts;
	const char *code = args->args[0];
	hl_archive *a = NULL;
	hl_successions *l = NULL;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = forward ? hl_units_successors(&l, hl_archive_store(a), code)
	             : hl_units_predecessors(&l, hl_archive_store(a), code);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json) {
		json_t *j = hl_successions_json(l);
		cli_print_json(j);
	} else {
		for (size_t i = 0; i < l->n; i++)
			print_succ(&l->v[i], 2 * (l->v[i].depth - 1));
		if (!l->n)
			printf("%s has no %s\n", code, forward ? "successor" : "predecessor");
	}
	hl_successions_free(l);
	return EXIT_OK;
}

/* ---- tree ---- */

static int sub_tree(const cli_args *args)
{
	const opts *o = args->opts;
	hl_archive *a = NULL;
	hl_units *l = NULL;
	int rc;

	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_units_tree(&l, hl_archive_store(a), args->nargs ? args->args[0] : NULL, o->at);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json) {
		json_t *j = json_array();
		for (size_t i = 0; i < l->n; i++)
			json_array_append_new(j, hl_unit_json(&l->v[i], 0));
		cli_print_json(j);
	} else {
		for (size_t i = 0; i < l->n; i++)
			printf("%*s%s %s (%s)\n", 2 * l->v[i].depth, "", l->v[i].code,
			       l->v[i].full_name, hl_unit_type_name(l->v[i].type));
	}
	hl_units_free(l);
	return EXIT_OK;
}

static int sub_successors(const cli_args *args)
{
	return sub_walk(args, 1);
}

static int sub_predecessors(const cli_args *args)
{
	return sub_walk(args, 0);
}

#define G (&cli_units_commands[0])
static const cli_cmd subs[] = {
    {.name = "load",
     .summary = "load the unit files of DIR (default: the shipped data, $HALONG_DATA/units if "
                "set)",
     .operands = "[DIR]",
     .max_args = 1,
     .opts = load_opts,
     .opts_size = sizeof(opts),
     .run = sub_load,
     .group = G,
     .help = "Loading twice changes nothing; new events in events.csv are applied without\n"
             "losing history. A load is one transaction, audited when it changes anything."},
    {.name = "show",
     .summary = "the unit as it was on DATE, its parent and legal basis",
     .operands = "CODE",
     .min_args = 1,
     .max_args = 1,
     .missing = "give one unit code",
     .opts = at_opts,
     .opts_size = sizeof(opts),
     .run = sub_show,
     .group = G},
    {.name = "find",
     .summary = "units by name, tones optional, old names included",
     .operands = "NAME",
     .min_args = 1,
     .max_args = 1,
     .missing = "give one name (quote it if it has spaces)",
     .opts = find_opts,
     .opts_size = sizeof(opts),
     .run = sub_find,
     .group = G},
    {.name = "successors",
     .summary = "who succeeded it, transitively, with merge types",
     .operands = "CODE",
     .min_args = 1,
     .max_args = 1,
     .missing = "give one unit code",
     .opts = json_only,
     .opts_size = sizeof(opts),
     .run = sub_successors,
     .group = G},
    {.name = "predecessors",
     .summary = "whom it succeeded, transitively",
     .operands = "CODE",
     .min_args = 1,
     .max_args = 1,
     .missing = "give one unit code",
     .opts = json_only,
     .opts_size = sizeof(opts),
     .run = sub_predecessors,
     .group = G},
    {.name = "tree",
     .summary = "the hierarchy on DATE (default: every province)",
     .operands = "[CODE]",
     .max_args = 1,
     .opts = at_opts,
     .opts_size = sizeof(opts),
     .run = sub_tree,
     .group = G},
    {0},
};
#undef G

const cli_cmd cli_units_commands[] = {
    {.name = "units",
     .summary = "administrative units and their history, on any date",
     .subs = subs,
     .help = "DATE is yyyy-mm-dd or dd/mm/yyyy; the default is today (Asia/Ho_Chi_Minh)."},
    {0},
};
