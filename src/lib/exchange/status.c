/* The exchange as seen from this node: the state per peer and the refusals. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_int.h"
#include "store/store_exchange.h"
#include "halong/util.h"

/* ---- status ---- */

int hl_exchange_status(hl_store *st, int (*cb)(const hl_exchange_peer_status *r, void *ud),
                       void *ud)
{
	return hl_store_xstatus(st, cb, ud);
}

int hl_exchange_rejects(hl_store *st, size_t max,
                        int (*cb)(const hl_exchange_reject_row *r, void *ud), void *ud)
{
	return hl_store_xrejects(st, max, cb, ud);
}
