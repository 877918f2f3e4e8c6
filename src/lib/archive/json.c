/* The archive's records as JSON: one writer for `halong search --json` and the API. */
#include "halong/archive_json.h"

/* A string, or null when absent or not UTF-8. */
static json_t *str(const char *s)
{
	json_t *v = s ? json_string(s) : NULL;
	return v ? v : json_null();
}

json_t *hl_hit_json(const hl_hit *h)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", str(h->doc_id));
	json_object_set_new(o, "subject", str(h->subject));
	json_object_set_new(o, "fonds_code", str(h->fonds_code));
	json_object_set_new(o, "dossier_code", str(h->dossier_code));
	json_object_set_new(o, "issued_date", str(h->issued_date));
	json_object_set_new(o, "doc_type", str(h->doc_type));
	json_object_set_new(o, "issuer", str(h->issuer));
	json_object_set_new(o, "access", json_string(hl_access_name(h->access)));
	json_object_set_new(o, "score", json_real(h->score));
	json_object_set_new(o, "snippet", str(h->snippet));
	return o;
}
