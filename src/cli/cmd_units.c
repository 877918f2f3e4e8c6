/* The units command group: load the administrative units and ask about them on any date. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "halong/units.h"
#include "halong/units_json.h"
#include "halong/util.h"

#ifndef HL_SOURCE_DATADIR
#define HL_SOURCE_DATADIR "data"
#endif

extern const cli_command cli_units_commands[];

static const cli_command *me(void)
{
	return &cli_units_commands[0];
}

typedef struct {
	int json, quiet;
	size_t limit;
	const char *at;
	const char *args[2];
	int nargs;
} opts;

/* Options of every subcommand: --json, --at DATE, --quiet; at most `max` operands. */
static int parse(opts *o, int argc, char **argv, int max, int allow_at)
{
	static const struct option lo[] = {{"json", no_argument, NULL, 'j'},
	                                   {"at", required_argument, NULL, 'a'},
	                                   {"quiet", no_argument, NULL, 'q'},
	                                   {"limit", required_argument, NULL, 'l'},
	                                   {0}};
	int c;
	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'j')
			o->json = 1;
		else if (c == 'q')
			o->quiet = 1;
		else if (c == 'a' && allow_at)
			o->at = optarg;
		else if (c == 'l' && allow_at == 2) {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || !v || v >= HL_UNITS_MAX_ROWS)
				return cli_usage_error(me(), "%s: --limit wants 1 to %d, not %s",
				                       argv[0], HL_UNITS_MAX_ROWS - 1, optarg);
			o->limit = v;
		} else
			return cli_usage_error(me(), "%s: unknown option or missing value: %s",
			                       argv[0], argv[optind - 1]);
	}
	for (; optind < argc; optind++) {
		if (o->nargs >= max)
			return cli_usage_error(me(), "%s: unexpected argument %s", argv[0],
			                       argv[optind]);
		o->args[o->nargs++] = argv[optind];
	}
	return 0;
}

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
	const char *env = getenv("HALONG_DATA");
	if (env && *env)
		return hl_path_join(env, "units");
	return hl_path_join(HL_SOURCE_DATADIR, "units");
}

static int sub_load(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	hl_units_load_stats s;
	cli_progress p;
	opts o;
	char *dir;
	int rc;

	if ((rc = parse(&o, argc, argv, 1, 0)) != 0)
		return rc;
	dir = o.nargs ? hl_strdup(o.args[0]) : default_dir();
	if (cli_open(&a, ctx) < 0) {
		free(dir);
		return cli_fail();
	}
	cli_progress_init(&p, o.quiet || o.json);
	rc = hl_units_load(&s, hl_archive_store(a), dir, cli_actor(), cli_progress_cb, &p);
	cli_progress_done(&p);
	hl_archive_free(a);
	if (rc < 0) {
		free(dir);
		return cli_fail();
	}
	int nothing =
	    !s.versions_added && !s.versions_split && !s.successions_added && !s.events_added;
	if (o.json) {
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

static int sub_show(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	hl_unit *u = NULL;
	opts o;
	int rc;

	if ((rc = parse(&o, argc, argv, 1, 1)) != 0)
		return rc;
	if (o.nargs != 1)
		return cli_usage_error(me(), "show: give one unit code");
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	rc = hl_units_show(&u, hl_archive_store(a), o.args[0], o.at);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o.json) {
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

static int sub_find(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	hl_units *l = NULL;
	opts o;
	int rc;

	if ((rc = parse(&o, argc, argv, 1, 2)) != 0)
		return rc;
	if (o.nargs != 1)
		return cli_usage_error(me(), "find: give one name (quote it if it has spaces)");
	if (!o.limit)
		o.limit = 100;
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	/* one more than asked: tells whether the list was cut */
	rc = hl_units_find(&l, hl_archive_store(a), o.args[0], o.at, o.limit + 1);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o.json) {
		json_t *j = json_array();
		for (size_t i = 0; i < l->n && i < o.limit; i++)
			json_array_append_new(j, hl_unit_json(&l->v[i], 1));
		cli_print_json(j);
	} else {
		for (size_t i = 0; i < l->n && i < o.limit; i++) {
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
			printf("no unit named \"%s\"\n", o.args[0]);
		else if (l->n > o.limit)
			printf("… more than %zu units match: narrow the name, add --at DATE, or "
			       "raise --limit\n",
			       o.limit);
	}
	hl_units_free(l);
	return EXIT_OK;
}

/* ---- successors, predecessors ---- */

static int sub_walk(cli_ctx *ctx, int argc, char **argv, int forward)
{
	hl_archive *a = NULL;
	hl_successions *l = NULL;
	opts o;
	int rc;

	if ((rc = parse(&o, argc, argv, 1, 0)) != 0)
		return rc;
	if (o.nargs != 1)
		return cli_usage_error(me(), "%s: give one unit code", argv[0]);
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	rc = forward ? hl_units_successors(&l, hl_archive_store(a), o.args[0])
	             : hl_units_predecessors(&l, hl_archive_store(a), o.args[0]);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o.json) {
		json_t *j = hl_successions_json(l);
		cli_print_json(j);
	} else {
		for (size_t i = 0; i < l->n; i++)
			print_succ(&l->v[i], 2 * (l->v[i].depth - 1));
		if (!l->n)
			printf("%s has no %s\n", o.args[0], forward ? "successor" : "predecessor");
	}
	hl_successions_free(l);
	return EXIT_OK;
}

/* ---- tree ---- */

static int sub_tree(cli_ctx *ctx, int argc, char **argv)
{
	hl_archive *a = NULL;
	hl_units *l = NULL;
	opts o;
	int rc;

	if ((rc = parse(&o, argc, argv, 1, 1)) != 0)
		return rc;
	if (cli_open(&a, ctx) < 0)
		return cli_fail();
	rc = hl_units_tree(&l, hl_archive_store(a), o.nargs ? o.args[0] : NULL, o.at);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o.json) {
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

static int sub_successors(cli_ctx *ctx, int argc, char **argv)
{
	return sub_walk(ctx, argc, argv, 1);
}

static int sub_predecessors(cli_ctx *ctx, int argc, char **argv)
{
	return sub_walk(ctx, argc, argv, 0);
}

static int cmd_units(cli_ctx *ctx, int argc, char **argv)
{
	static const cli_sub subs[] = {
	    {"load", sub_load},
	    {"show", sub_show},
	    {"find", sub_find},
	    {"successors", sub_successors},
	    {"predecessors", sub_predecessors},
	    {"tree", sub_tree},
	    {0},
	};
	return cli_dispatch(me(), subs, ctx, argc, argv);
}

const cli_command cli_units_commands[] = {
    {"units", cmd_units, "administrative units and their history, on any date",
     "units SUBCOMMAND [ARGS] [--json]\n\n"
     "  load [DIR] [--quiet]        load the unit files of DIR (default: the shipped data,\n"
     "                              $HALONG_DATA/units if set); loading twice changes nothing,\n"
     "                              new events in events.csv are applied without losing history\n"
     "  show CODE [--at DATE]       the unit as it was on DATE, its parent and legal basis\n"
     "  find NAME [--at DATE] [--limit N]\n"
     "                              units by name, tones optional, old names included\n"
     "                              (at most N, default 100; says so when there are more)\n"
     "  successors CODE             who succeeded it, transitively, with merge types\n"
     "  predecessors CODE           whom it succeeded, transitively\n"
     "  tree [CODE] [--at DATE]     the hierarchy on DATE (default: every province)\n\n"
     "DATE is yyyy-mm-dd or dd/mm/yyyy; the default is today (Asia/Ho_Chi_Minh). find\n"
     "without --at searches every period."},
    {0},
};
