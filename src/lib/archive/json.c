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

/* A string that may be "" for absent (a state's fixed buffers): null then. */
static json_t *opt(const char *s)
{
	return s && *s ? str(s) : json_null();
}

static json_t *words_array(const char *json_text)
{
	json_t *a = json_text ? json_loads(json_text, 0, NULL) : NULL;
	if (!json_is_array(a)) {
		json_decref(a);
		a = json_array();
	}
	return a;
}

void hl_page_text_json(json_t *o, const hl_page_row *p)
{
	json_object_set_new(o, "text_source",
	                    json_string(p->text_version ? "corrected" : "machine"));
	json_object_set_new(o, "text_version", json_integer(p->text_version));
	json_object_set_new(o, "corrected_by", opt(p->corrected_by));
	json_object_set_new(o, "corrected_at", opt(p->corrected_at));
	json_object_set_new(o, "approved", json_boolean(p->approved_at != NULL));
	json_object_set_new(o, "approved_by", opt(p->approved_by));
	json_object_set_new(o, "approved_at", opt(p->approved_at));
	json_object_set_new(o, "machine_text",
	                    p->text_version ? str(p->machine_text) : json_null());
	if (p->check_rule) {
		json_t *c = json_object();
		json_object_set_new(c, "unknown_words", json_integer(p->unknown_words));
		json_object_set_new(c, "low_conf_words", json_integer(p->low_conf_words));
		json_object_set_new(c, "impossible_chars", json_integer(p->bad_chars));
		json_object_set_new(c, "suspect_words", words_array(p->suspect_words));
		json_object_set_new(o, "check", c);
	} else {
		json_object_set_new(o, "check", json_null());
	}
}

json_t *hl_page_review_json(const hl_page_row *p)
{
	json_t *o = json_object(), *why = json_object();
	if (!o || !why) {
		json_decref(o), json_decref(why);
		return NULL;
	}
	json_object_set_new(o, "doc_id", str(p->doc_id));
	json_object_set_new(o, "seq", json_integer(p->seq));
	json_object_set_new(o, "file", str(p->file_name));
	json_object_set_new(o, "page_no", json_integer(p->page_no));
	json_object_set_new(o, "mean_conf",
	                    p->mean_conf >= 0 ? json_real(p->mean_conf) : json_null());
	json_object_set_new(o, "text", str(p->text));
	json_object_set_new(o, "score", json_integer(p->suspect));
	json_object_set_new(why, "unknown_words", json_integer(p->unknown_words));
	json_object_set_new(why, "low_conf_words", json_integer(p->low_conf_words));
	json_object_set_new(why, "impossible_chars", json_integer(p->bad_chars));
	json_object_set_new(why, "mean_conf_below", json_boolean(p->below));
	json_object_set_new(o, "reasons", why);
	json_object_set_new(o, "suspect_words", words_array(p->suspect_words));
	json_object_set_new(o, "text_source",
	                    json_string(p->text_version ? "corrected" : "machine"));
	json_object_set_new(o, "text_version", json_integer(p->text_version));
	return o;
}

json_t *hl_page_text_state_json(const char *doc_id, const hl_page_text_state *s)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "doc_id", str(doc_id));
	json_object_set_new(o, "seq", json_integer(s->seq));
	json_object_set_new(o, "text_source",
	                    json_string(s->text_version ? "corrected" : "machine"));
	json_object_set_new(o, "text_version", json_integer(s->text_version));
	json_object_set_new(o, "corrected_by", opt(s->corrected_by));
	json_object_set_new(o, "corrected_at", opt(s->corrected_at));
	json_object_set_new(o, "approved", json_boolean(s->approved_at[0] != '\0'));
	json_object_set_new(o, "approved_by", opt(s->approved_by));
	json_object_set_new(o, "approved_at", opt(s->approved_at));
	json_object_set_new(o, "changed", json_boolean(s->changed));
	json_object_set_new(o, "indexed", json_boolean(s->indexed));
	return o;
}
