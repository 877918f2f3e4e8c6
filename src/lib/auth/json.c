/* Accounts and the audit log as JSON: one writer for `halong audit list --json` and the API. */
#include "halong/auth_json.h"

/* A string, or null when absent, empty or not UTF-8. */
static json_t *str(const char *s)
{
	json_t *v = s && *s ? json_string(s) : NULL;
	return v ? v : json_null();
}

json_t *hl_audit_row_json(const hl_audit_row *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "at", str(r->at));
	json_object_set_new(o, "actor", str(r->actor));
	json_object_set_new(o, "action", str(r->action));
	json_object_set_new(o, "object", str(r->object));
	json_object_set_new(o, "detail", str(r->detail));
	return o;
}
