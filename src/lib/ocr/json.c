/* A page's result as JSON and back (jansson): what the job queue stores for each finished page. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ocr/ocr_int.h"

int hl_ocr_page_to_json(char **out, const hl_ocr_page *p)
{
	json_t *o = json_object(), *words = json_array(), *warn = json_array();
	int rc = 0;
	if (!o || !words || !warn)
		goto oom;
	for (size_t i = 0; i < p->n_words; i++) {
		const hl_ocr_word *w = &p->words[i];
		json_t *a = json_pack("[s i i i i f i i]", w->text ? w->text : "", (json_int_t)w->x,
		                      (json_int_t)w->y, (json_int_t)w->w, (json_int_t)w->h,
		                      (double)w->conf, (json_int_t)w->block, (json_int_t)w->line);
		if (!a || json_array_append_new(words, a))
			goto oom;
	}
	for (size_t i = 0; i < p->n_warnings; i++)
		if (json_array_append_new(warn, json_string(p->warnings[i])))
			goto oom;
	if (json_object_set_new(o, "page_no", json_integer(p->page_no)) ||
	    json_object_set_new(o, "width", json_integer(p->width)) ||
	    json_object_set_new(o, "height", json_integer(p->height)) ||
	    json_object_set_new(o, "dpi", json_integer(p->dpi)) ||
	    json_object_set_new(o, "from_text_layer", json_boolean(p->from_text_layer)) ||
	    json_object_set_new(o, "mean_conf", json_real(p->mean_conf)) ||
	    json_object_set_new(o, "rotation", json_integer(p->rotation)) ||
	    json_object_set_new(o, "skew_deg", json_real(p->skew_deg)) ||
	    json_object_set_new(o, "text", json_string(p->text ? p->text : "")) ||
	    json_object_set_new(o, "warn_flags", json_integer(p->warn_flags)) ||
	    json_object_set(o, "warnings", warn) || json_object_set(o, "words", words))
		goto oom;
	char *s = json_dumps(o, JSON_COMPACT);
	if (!s)
		goto oom;
	*out = s;
	goto done;
oom:
	rc = hl_error_set(HL_ENOMEM, "ocr: out of memory (page JSON)");
done:
	json_decref(words);
	json_decref(warn);
	json_decref(o);
	return rc;
}

static int bad(const char *why)
{
	return hl_error_set(HL_EINVALID, "ocr page JSON: %s", why);
}

int hl_ocr_page_from_json(hl_ocr_page *out, const char *json)
{
	json_error_t err;
	json_t *o = json_loads(json ? json : "", 0, &err);
	hl_ocr_page p = {0};
	int rc = 0;
	if (!o || !json_is_object(o)) {
		rc = hl_error_set(HL_EINVALID, "ocr page JSON: %s", o ? "not an object" : err.text);
		goto done;
	}
	json_int_t page_no, width, height, dpi, rotation, warn_flags;
	int ftl;
	double mean_conf, skew;
	const char *text;
	json_t *words, *warns;
	if (json_unpack_ex(o, &err, 0, "{s:I s:I s:I s:I s:b s:F s:I s:F s:s s:I s:o s:o}",
	                   "page_no", &page_no, "width", &width, "height", &height, "dpi", &dpi,
	                   "from_text_layer", &ftl, "mean_conf", &mean_conf, "rotation", &rotation,
	                   "skew_deg", &skew, "text", &text, "warn_flags", &warn_flags, "warnings",
	                   &warns, "words", &words) != 0) {
		rc = hl_error_set(HL_EINVALID, "ocr page JSON: %s", err.text);
		goto done;
	}
	if (!json_is_array(words) || !json_is_array(warns) || page_no < 1 || width < 0 ||
	    height < 0 || dpi < 0 || page_no > UINT32_MAX || width > UINT32_MAX ||
	    height > UINT32_MAX || dpi > UINT32_MAX) {
		rc = bad("a field is out of range");
		goto done;
	}
	p.page_no = (uint32_t)page_no;
	p.width = (uint32_t)width;
	p.height = (uint32_t)height;
	p.dpi = (uint32_t)dpi;
	p.from_text_layer = ftl;
	p.mean_conf = (float)mean_conf;
	p.rotation = (int)rotation;
	p.skew_deg = (float)skew;
	p.warn_flags = (unsigned)warn_flags;
	if (!(p.text = strdup(text)))
		goto oom;
	size_t nw = json_array_size(words);
	if (nw && !(p.words = calloc(nw, sizeof *p.words)))
		goto oom;
	for (size_t i = 0; i < nw; i++) {
		const char *wt;
		json_int_t x, y, w, h, block, line;
		double conf;
		if (json_unpack_ex(json_array_get(words, i), &err, 0, "[s I I I I F I I]", &wt, &x,
		                   &y, &w, &h, &conf, &block, &line) != 0 ||
		    block < 0 || line < 0 || x < INT32_MIN || x > INT32_MAX || y < INT32_MIN ||
		    y > INT32_MAX || w < 0 || w > INT32_MAX || h < 0 || h > INT32_MAX) {
			rc = hl_error_set(HL_EINVALID, "ocr page JSON: word %zu: bad entry", i);
			goto done;
		}
		if (!(p.words[i].text = strdup(wt)))
			goto oom;
		p.words[i].x = (int32_t)x;
		p.words[i].y = (int32_t)y;
		p.words[i].w = (int32_t)w;
		p.words[i].h = (int32_t)h;
		p.words[i].conf = (float)conf;
		p.words[i].block = (uint32_t)block;
		p.words[i].line = (uint32_t)line;
		p.n_words++;
	}
	size_t nwarn = json_array_size(warns);
	if (nwarn && !(p.warnings = calloc(nwarn, sizeof *p.warnings)))
		goto oom;
	for (size_t i = 0; i < nwarn; i++) {
		const char *s = json_string_value(json_array_get(warns, i));
		if (!s) {
			rc = bad("a warning is not a string");
			goto done;
		}
		if (!(p.warnings[i] = strdup(s)))
			goto oom;
		p.n_warnings++;
	}
	goto done;
oom:
	rc = hl_error_set(HL_ENOMEM, "ocr: out of memory (page JSON)");
done:
	json_decref(o);
	if (rc) {
		hl_ocr_page_free(&p);
		return rc;
	}
	*out = p;
	return 0;
}
