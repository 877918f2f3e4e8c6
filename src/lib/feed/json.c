/* The feeds' state as JSON (include/halong/exchange_json.h): the one shape `halong feed status
 * --json` and the API's exchange status share. */
#include "halong/exchange_json.h"

/* A string, or null when absent or empty. */
static json_t *str(const char *s)
{
	json_t *j = s && *s ? json_string(s) : NULL;
	return j ? j : json_null();
}

json_t *hl_feed_status_row_json(const hl_feed_status_row *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "feed", str(r->feed));
	json_object_set_new(o, "role", json_string(r->publisher ? "hub" : "commune"));
	json_object_set_new(o, "seq", json_integer(r->seq));
	json_object_set_new(o, "hub_seq", r->hub_seq >= 0 ? json_integer(r->hub_seq) : json_null());
	json_object_set_new(o, "sha256", str(r->sha256));
	json_object_set_new(o, "last_pull", hl_exchange_time_json(r->last_pull_ms));
	json_object_set_new(o, "last_applied", hl_exchange_time_json(r->last_applied_ms));
	json_object_set_new(o, "last_error", str(r->last_error));
	json_object_set_new(o, "last_error_at", hl_exchange_time_json(r->last_error_ms));
	return o;
}

static int status_row(const hl_feed_status_row *r, void *ud)
{
	return json_array_append_new(ud, hl_feed_status_row_json(r)) ? -1 : 0;
}

json_t *hl_feed_status_json(hl_store *st)
{
	json_t *a = json_array();
	if (a && hl_feed_status(st, status_row, a) < 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}
