/* The plans command groups (issue 13, in steps): `halong agency load|list|find`, the register
 * of the province's departments and offices that tasks are assigned to. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "halong/archive.h"
#include "halong/plans.h"
#include "halong/util.h"

#ifndef HL_SOURCE_DATADIR
#define HL_SOURCE_DATADIR "data"
#endif

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
	const char *data = getenv("HALONG_DATA") && *getenv("HALONG_DATA") ? getenv("HALONG_DATA")
	                                                                   : HL_SOURCE_DATADIR;
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

#define AGENCY (&cli_plans_commands[0])
static const cli_cmd agency_subs[] = {
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
    {0},
};
#undef AGENCY

const cli_cmd cli_plans_commands[] = {
    {.name = "agency",
     .summary = "the province's departments and offices that tasks are assigned to",
     .subs = agency_subs},
    {0},
};
