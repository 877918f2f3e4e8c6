/* The archive's records as JSON: one writer for `halong search --json` and the API. */
#include <string.h>

#include "halong/archive_json.h"
#include "store/store.h"

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
	if (h->lesson) { /* kind:lesson */
		json_object_set_new(o, "kind", json_string("lesson"));
		json_object_set_new(o, "lesson", json_integer(h->lesson));
		json_object_set_new(o, "task", str(h->task));
		json_object_set_new(o, "agency", str(h->agency));
	}
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

/* ---- description ---- */

void hl_desc_json(json_t *o, const hl_desc *d, hl_level level)
{
	for (int i = 0; i < HL_DESC_FIELDS; i++)
		if (hl_store_desc_column((int)level, i))
			json_object_set_new(o, hl_store_desc_name(i),
			                    str(*hl_store_desc_field((hl_desc *)d, i)));
}

json_t *hl_dossier_json(const hl_dossier *d)
{
	json_t *o = json_object();
	json_object_set_new(o, "fonds_code", str(d->fonds_code));
	json_object_set_new(o, "code", str(d->code));
	hl_desc_json(o, &d->desc, HL_LEVEL_DOSSIER);
	json_object_set_new(o, "documents", json_integer(d->documents));
	json_object_set_new(o, "pages", json_integer(d->pages));
	json_object_set_new(o, "first_date", str(d->first_date));
	json_object_set_new(o, "last_date", str(d->last_date));
	json_object_set_new(o, "doc_retention", str(d->doc_retention));
	return o;
}

json_t *hl_series_json(const hl_series *s)
{
	json_t *o = json_object();
	json_object_set_new(o, "code", str(s->code));
	hl_desc_json(o, &s->desc, HL_LEVEL_SERIES);
	json_object_set_new(o, "dossiers", json_integer(s->dossiers));
	return o;
}

int hl_desc_from_json(hl_desc *e, const json_t *o, hl_level level, const char *alias)
{
	const char *key;
	json_t *v;
	int n = 0;
	memset(e, 0, sizeof(*e));
	if (!json_is_object(o))
		return hl_error_set(HL_EINVALID, "the body is a JSON object of fields");
	json_object_foreach((json_t *)o, key, v)
	{
		int i = alias && !strcmp(key, alias) ? 0 : -1;
		for (int k = 0; i < 0 && k < HL_DESC_FIELDS; k++)
			if (!strcmp(key, hl_store_desc_name(k)) &&
			    hl_store_desc_column((int)level, k))
				i = k;
		if (i < 0)
			return hl_error_set(HL_EINVALID, "%.40s: not a field of %s", key,
			                    level == HL_LEVEL_FONDS    ? "a fonds"
			                    : level == HL_LEVEL_SERIES ? "a series"
			                                               : "a dossier");
		if (!json_is_string(v) && !json_is_null(v))
			return hl_error_set(HL_EINVALID, "%s: a string, or null to clear it", key);
		*hl_store_desc_field(e, i) = json_is_null(v) ? "" : (char *)json_string_value(v);
		n++;
	}
	return n ? 0 : hl_error_set(HL_EINVALID, "no field to change");
}
