/* Operating the node: GET /healthz (the process answers) and GET /readyz (the readiness
 * checks of hl_ops_checks, cached a few seconds per worker thread as X-Road does). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "halong/ops.h"
#include "server_int.h"

/* Seconds a worker keeps its last checks: a load balancer or monitor polling every second
 * does not take a write lock and open the index each time. */
#define READY_CACHE_S 5.0

static _Thread_local struct {
	int have;
	double at; /* CLOCK_MONOTONIC seconds */
	hl_ops_check checks[HL_OPS_NCHECKS];
	int failing; /* -1: the checks could not be run */
	char error[256];
} cache;

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* No store, no caller: answered even when the data directory cannot be opened
 * (ROUTE_NO_ARCHIVE). */
static int healthz(request *r)
{
	resp_header(r, "Cache-Control", "no-store");
	return resp_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

/* Admins see each check's reason (paths, counts, SQLite's messages); everyone else only the
 * names and outcomes, which say nothing of the node's insides (docs/api.md). */
static int readyz(request *r)
{
	int detail = r->who.user_id != 0 && r->who.role == HL_ROLE_ADMIN;
	double now = mono_s();
	json_t *checks, *j;
	int ready;

	if (!cache.have || now - cache.at >= READY_CACHE_S || now < cache.at) {
		hl_ops_limits lim;
		if (hl_ops_limits_get(&lim) < 0 ||
		    (cache.failing = hl_ops_checks(cache.checks, r->archive, &lim)) < 0) {
			cache.failing = -1;
			snprintf(cache.error, sizeof(cache.error), "%s", hl_error_last());
		}
		cache.have = 1;
		cache.at = now;
	}
	resp_header(r, "Cache-Control", "no-store");
	if (cache.failing < 0) {
		fprintf(stderr, "halong serve: %s: readiness checks: %s\n", r->id, cache.error);
		j = json_pack("{s:b,s:[]}", "ready", 0, "checks");
		if (j && detail)
			json_object_set_new(j, "error", json_string(cache.error));
		return resp_json(r, 503, j);
	}
	ready = cache.failing == 0;
	checks = json_array();
	for (int i = 0; checks && i < HL_OPS_NCHECKS; i++) {
		const hl_ops_check *c = &cache.checks[i];
		json_t *o = json_pack("{s:s,s:b}", "name", c->name, "ok", c->state != HL_OPS_FAIL);
		if (!o)
			continue;
		if (c->state == HL_OPS_SKIP)
			json_object_set_new(o, "skipped", json_true());
		if (detail)
			json_object_set_new(o, "reason", json_string(c->reason));
		json_array_append_new(checks, o);
	}
	j = json_pack("{s:b,s:o}", "ready", ready, "checks", checks);
	return resp_json(r, ready ? 200 : 503, j);
}

const route routes_ops[] = {
    {M_GET, "/healthz", healthz, 0, ROUTE_NO_ARCHIVE},
    {M_GET, "/readyz", readyz, 0, 0},
    {0},
};
