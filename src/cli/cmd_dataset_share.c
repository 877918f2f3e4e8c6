/* `halong dataset request|grant|refuse|revoke|requests`: one agency asks for another's dataset,
 * the owner grants, refuses in writing with the legal basis (Nghị định 194/2025/NĐ-CP Điều 16
 * k2) or revokes (src/lib/catalog/share.c). Each command one library verb, as the node's
 * operator. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_dataset_share.h"
#include "halong/auth.h"
#include "halong/catalog.h"
#include "halong/catalog_json.h"

static hl_principal me(void)
{
	return hl_principal_local(cli_actor());
}

/* A request's number: 1 or more, digits only. */
static int number(int64_t *out, const cli_args *args)
{
	const char *s = args->args[0];
	char *end;
	long long v;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < 1)
		return cli_usage(args->cmd, "not a request number: %s", s);
	*out = v;
	return 0;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static void print_request(const hl_data_request *r)
{
	printf("%lld  %s  %s", (long long)r->id, r->dataset, r->state);
	if (!strcmp(r->state, "pending"))
		printf(" (hạn trả lời %s%s)", r->due, r->overdue ? ", QUÁ HẠN / overdue" : "");
	printf("\n  agency:        %s%s%s%s\n", r->agency, r->agency_name ? " (" : "",
	       r->agency_name ? r->agency_name : "", r->agency_name ? ")" : "");
	printf("  purpose:       %s\n  legal basis:   %s\n  requested:     %s by %s, due %s\n",
	       r->purpose, r->legal_basis, r->requested_at, r->requested_by, r->due);
	if (r->decided_at) {
		printf("  decided:       %s by %s\n", r->decided_at, or_dash(r->decided_by));
		printf("  reason:        %s\n  decision basis: %s\n", or_dash(r->reason),
		       or_dash(r->decision_basis));
		if (r->until)
			printf("  until:         %s\n", r->until);
	}
}

/* Prints one request (or its JSON) and frees it. */
static int answer(hl_data_request *r, int json)
{
	if (json)
		cli_print_json(hl_data_request_json(r));
	else
		print_request(r);
	hl_data_request_free(r);
	free(r);
	return EXIT_OK;
}

int share_request(const cli_args *args)
{
	const share_opts *o = args->opts;
	hl_archive *a = NULL;
	hl_data_request *r = NULL;
	hl_principal who = me();
	int rc;
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_dataset_request(&r, hl_archive_store(a), &who, args->args[0], o->purpose,
	                        o->legal_basis, o->agency);
	hl_archive_free(a);
	return rc < 0 ? cli_fail() : answer(r, o->json);
}

typedef enum { GRANT, REFUSE, REVOKE } decision;

static int decide(const cli_args *args, decision what)
{
	const share_opts *o = args->opts;
	hl_archive *a = NULL;
	hl_data_request *r = NULL;
	hl_principal who = me();
	int64_t n;
	int rc;
	if ((rc = number(&n, args)) != 0)
		return rc;
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	if (what == GRANT)
		rc = hl_dataset_grant(&r, hl_archive_store(a), &who, n, o->reason, o->legal_basis,
		                      o->until);
	else if (what == REFUSE)
		rc = hl_dataset_refuse(&r, hl_archive_store(a), &who, n, o->reason, o->legal_basis);
	else
		rc = hl_dataset_revoke(&r, hl_archive_store(a), &who, n, o->reason, o->legal_basis);
	hl_archive_free(a);
	return rc < 0 ? cli_fail() : answer(r, o->json);
}

int share_grant(const cli_args *args)
{
	return decide(args, GRANT);
}

int share_refuse(const cli_args *args)
{
	return decide(args, REFUSE);
}

int share_revoke(const cli_args *args)
{
	return decide(args, REVOKE);
}

int share_list(const cli_args *args)
{
	const share_opts *o = args->opts;
	hl_archive *a = NULL;
	hl_data_requests *l = NULL;
	hl_principal who = me();
	int rc;
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_dataset_requests_list(&l, hl_archive_store(a), &who, o->state, 0);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < l->n; i++)
			json_array_append_new(arr, hl_data_request_json(&l->v[i]));
		cli_print_json(json_pack("{s:o}", "requests", arr));
	} else {
		if (!l->n)
			printf("no request (halong dataset request ID --purpose TEXT --legal-basis "
			       "TEXT --agency CODE)\n");
		for (size_t i = 0; i < l->n; i++) {
			const hl_data_request *r = &l->v[i];
			printf("%-5lld %-9s %-24s %-12s due %s%s  %s\n", (long long)r->id, r->state,
			       r->dataset, r->agency, r->due, r->overdue ? " (overdue)" : "",
			       r->purpose);
		}
	}
	hl_data_requests_free(l);
	return EXIT_OK;
}

#define JSON_OPT CLI_FLAG_OPT("json", 0, share_opts, json, "as JSON")

const cli_opt share_request_opts[] = {
    CLI_TEXT_OPT("purpose", 0, share_opts, purpose, "TEXT", "what the data is used for (required)"),
    CLI_TEXT_OPT("legal-basis", 0, share_opts, legal_basis, "TEXT",
                 "the provision giving the requesting agency this task (required)"),
    CLI_TEXT_OPT("agency", 0, share_opts, agency, "CODE",
                 "the requesting agency: a code or name of the register, or a commune's code"),
    JSON_OPT,
    CLI_OPT_END,
};
const cli_opt share_grant_opts[] = {
    CLI_TEXT_OPT("reason", 0, share_opts, reason, "TEXT", "why (optional for a grant)"),
    CLI_TEXT_OPT("legal-basis", 0, share_opts, legal_basis, "TEXT", "the legal basis (optional)"),
    CLI_TEXT_OPT("until", 0, share_opts, until, "DATE", "the grant's last day (default: none)"),
    JSON_OPT,
    CLI_OPT_END,
};
const cli_opt share_refuse_opts[] = {
    CLI_TEXT_OPT("reason", 0, share_opts, reason, "TEXT", "the reason, in writing (required)"),
    CLI_TEXT_OPT("legal-basis", 0, share_opts, legal_basis, "TEXT",
                 "the legal provision that limits sharing this data (required)"),
    JSON_OPT,
    CLI_OPT_END,
};
const cli_opt share_list_opts[] = {
    CLI_CHOICE_OPT("state", share_opts, state, "STATE", "pending,granted,refused,revoked", 0,
                   "only requests in STATE"),
    JSON_OPT,
    CLI_OPT_END,
};

/* ---- `halong dataset subscribe|unsubscribe|subscriptions`: what a commune follows ---- */

int share_subscribe(const cli_args *args)
{
	const share_opts *o = args->opts;
	hl_archive *a = NULL;
	hl_principal who = me();
	int rc, added = 0;
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_dataset_subscribe(&added, hl_archive_store(a), &who, args->args[0]);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json)
		cli_print_json(json_pack("{s:s,s:b}", "id", args->args[0], "added", added));
	else
		printf(added ? "%s: followed; its versions come with the next pull of the hub's "
		               "datasets feed\n"
		             : "%s: already followed\n",
		       args->args[0]);
	return EXIT_OK;
}

int share_unsubscribe(const cli_args *args)
{
	hl_archive *a = NULL;
	hl_principal who = me();
	int rc;
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_dataset_unsubscribe(hl_archive_store(a), &who, args->args[0]);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (((const share_opts *)args->opts)->json)
		cli_print_json(json_pack("{s:s,s:b}", "id", args->args[0], "removed", 1));
	else
		printf("%s: no longer followed (the dataset here stays as it is)\n", args->args[0]);
	return EXIT_OK;
}

int share_subscriptions(const cli_args *args)
{
	const share_opts *o = args->opts;
	hl_archive *a = NULL;
	hl_dataset_subscriptions *l = NULL;
	hl_principal who = me();
	int rc;
	if (cli_open(&a, args->ctx) < 0)
		return cli_fail();
	rc = hl_dataset_subscriptions_list(&l, hl_archive_store(a), &who);
	hl_archive_free(a);
	if (rc < 0)
		return cli_fail();
	if (o->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < l->n; i++)
			json_array_append_new(arr, hl_dataset_subscription_json(&l->v[i]));
		cli_print_json(json_pack("{s:o}", "subscriptions", arr));
	} else {
		if (!l->n)
			printf("this node follows none of the hub's datasets (halong dataset "
			       "subscribe "
			       "ID)\n");
		for (size_t i = 0; i < l->n; i++)
			printf("%-32s since %s by %s; the hub's version %lld here\n", l->v[i].id,
			       l->v[i].since, l->v[i].by, (long long)l->v[i].applied);
	}
	hl_dataset_subscriptions_free(l);
	return EXIT_OK;
}

const cli_opt share_subscribe_opts[] = {
    JSON_OPT,
    CLI_OPT_END,
};
