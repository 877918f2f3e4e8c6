/* `halong dataset request|grant|refuse|revoke|requests` (cmd_dataset_share.c): sharing datasets
 * between agencies. Registered at the end of cmd_catalog.c's `dataset` subcommands. */
#ifndef HALONG_CMD_DATASET_SHARE_H
#define HALONG_CMD_DATASET_SHARE_H

#include "cli.h"

typedef struct {
	int json;
	const char *purpose, *legal_basis, *agency, *reason, *until, *state;
} share_opts;

extern const cli_opt share_request_opts[], share_grant_opts[], share_refuse_opts[],
    share_list_opts[], share_subscribe_opts[];
int share_request(const cli_args *args);
int share_grant(const cli_args *args);
int share_refuse(const cli_args *args);
int share_revoke(const cli_args *args);
int share_list(const cli_args *args);
int share_subscribe(const cli_args *args);
int share_unsubscribe(const cli_args *args);
int share_subscriptions(const cli_args *args);

#endif
