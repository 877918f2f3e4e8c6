/* halong doctor: the node's readiness checks (the same as GET /readyz) on a terminal. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "halong/ops.h"

typedef struct {
	int json;
} doctor_opts;

static const cli_opt doctor_optv[] = {
    CLI_FLAG_OPT("json", 0, doctor_opts, json, "as JSON"),
    CLI_OPT_END,
};

static int run_doctor(const cli_args *a)
{
	const doctor_opts *o = a->opts;
	hl_ops_check checks[HL_OPS_NCHECKS];
	hl_ops_limits lim;
	hl_archive *ar = NULL;
	int failing;

	if (hl_ops_limits_get(&lim) < 0)
		return cli_fail();
	if (cli_open(&ar, a->ctx) < 0)
		return cli_fail();
	failing = hl_ops_checks(checks, ar, &lim);
	hl_archive_free(ar);
	if (failing < 0)
		return cli_fail();
	if (o->json) {
		json_t *arr = json_array();
		for (int i = 0; i < HL_OPS_NCHECKS; i++) {
			json_t *c =
			    json_pack("{s:s,s:b,s:s}", "name", checks[i].name, "ok",
			              checks[i].state != HL_OPS_FAIL, "reason", checks[i].reason);
			if (c && checks[i].state == HL_OPS_SKIP)
				json_object_set_new(c, "skipped", json_true());
			json_array_append_new(arr, c);
		}
		cli_print_json(json_pack("{s:b,s:o}", "ready", failing == 0, "checks", arr));
	} else {
		for (int i = 0; i < HL_OPS_NCHECKS; i++) {
			const char *mark = checks[i].state == HL_OPS_OK     ? "✓"
			                   : checks[i].state == HL_OPS_FAIL ? "✗"
			                                                    : "-";
			printf("%s %-10s %s\n", mark, checks[i].name, checks[i].reason);
		}
		if (failing)
			printf("%d check%s failing: not ready\n", failing, failing == 1 ? "" : "s");
		else
			printf("ready\n");
	}
	return failing ? EXIT_ERR : EXIT_OK;
}

const cli_cmd cli_ops_commands[] = {
    {.name = "doctor",
     .summary = "check this node: store, index, node key, directory, disk, backups",
     .opts = doctor_optv,
     .opts_size = sizeof(doctor_opts),
     .run = run_doctor,
     .help = "The checks of GET /readyz, each with its reason: ✓ passes, ✗ fails, - not "
             "configured\n(neither). Exit 0 when none fails, 1 otherwise.\n"
             "Thresholds: HALONG_READY_QUEUE_MAX (index changes not applied, default 10000),\n"
             "HALONG_READY_DISK_MIN_MB (free MiB; default 1 GiB, or 5% of a smaller disk)."},
    {0},
};
