/* Citations of a document: the Vietnamese archival line, BibTeX and CSL-JSON, from what the
 * reader may see of it (hl_archive_doc_read: the same access rule and audit as reading it). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_int.h"
#include "halong/units.h"

/* The citation is written to a memory stream (open_memstream): put and puts_ add to it. */
static void put(FILE *b, const char *s, size_t n)
{
	if (n)
		fwrite(s, 1, n, b);
}

static void puts_(FILE *b, const char *s)
{
	if (s)
		fputs(s, b);
}

static int has(const char *s)
{
	return s && *s;
}

/* "số 12/QĐ-UBND", "số 12", "ký hiệu QĐ-UBND" or nothing. */
static void number_vi(FILE *b, const hl_doc *d)
{
	if (has(d->doc_number)) {
		puts_(b, " số "), puts_(b, d->doc_number);
		if (has(d->doc_notation))
			puts_(b, "/"), puts_(b, d->doc_notation);
	} else if (has(d->doc_notation)) {
		puts_(b, " ký hiệu "), puts_(b, d->doc_notation);
	}
}

/* A date as DOMAIN.md allows it, possibly partial: "ngày 15/03/2019", "tháng 03/2019",
 * "năm 2019". */
static void date_vi(FILE *b, const char *iso)
{
	char s[40];
	size_t n = iso ? strlen(iso) : 0;
	if (n >= 10)
		snprintf(s, sizeof(s), " ngày %.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
	else if (n >= 7)
		snprintf(s, sizeof(s), " tháng %.2s/%.4s", iso + 5, iso);
	else if (n >= 4)
		snprintf(s, sizeof(s), " năm %.4s", iso);
	else
		return;
	puts_(b, s);
}

/* Kho lưu trữ, phông, hồ sơ, văn bản — then the document as Vietnamese writes an official one:
 * "Quyết định số 12/QĐ-UBND ngày 15/03/2019 của UBND thành phố Hạ Long, “trích yếu”". */
static void cite_vi(FILE *b, const hl_doc *d, const hl_custody *c)
{
	char ord[32];
	if (c && has(c->custodian_name))
		puts_(b, "Lưu trữ "), puts_(b, c->custodian_name), puts_(b, ", ");
	puts_(b, "Phông "), puts_(b, d->fonds_code);
	if (c && has(c->fonds_name))
		puts_(b, " ("), puts_(b, c->fonds_name), puts_(b, ")");
	puts_(b, ", hồ sơ "), puts_(b, d->dossier_code);
	snprintf(ord, sizeof(ord), ", văn bản số %lld: ", (long long)d->ordinal);
	puts_(b, ord);
	puts_(b, has(d->doc_type) ? d->doc_type : "Văn bản");
	number_vi(b, d);
	date_vi(b, d->issued_date);
	if (has(d->issuer))
		puts_(b, " của "), puts_(b, d->issuer);
	if (has(d->subject))
		puts_(b, ", “"), puts_(b, d->subject), puts_(b, "”");
	puts_(b, ". Mã định danh: "), puts_(b, d->doc_id), puts_(b, ".");
}

/* A BibTeX value: braces kept balanced, LaTeX's special characters escaped. */
static void bib_text(FILE *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '{':
			puts_(b, "\\{");
			break;
		case '}':
			puts_(b, "\\}");
			break;
		case '\\':
			puts_(b, "\\textbackslash{}");
			break;
		case '%':
		case '&':
		case '$':
		case '#':
		case '_':
			put(b, "\\", 1), put(b, s, 1);
			break;
		case '~':
			puts_(b, "\\textasciitilde{}");
			break;
		case '^':
			puts_(b, "\\textasciicircum{}");
			break;
		case '\n':
		case '\r':
		case '\t':
			put(b, " ", 1);
			break;
		default:
			put(b, s, 1);
		}
	}
}

static void bib_field(FILE *b, const char *name, const char *v, int braced)
{
	if (!has(v))
		return;
	puts_(b, ",\n  "), puts_(b, name), puts_(b, " = {");
	if (braced) /* a corporate author: one name, not "Last, First" */
		puts_(b, "{");
	bib_text(b, v);
	puts_(b, braced ? "}}" : "}");
}

static void cite_bibtex(FILE *b, const hl_doc *d, const hl_custody *c)
{
	char key[128], num[256], where[512], ord[32];
	size_t k = 0;
	for (const char *s = d->doc_id; *s && k + 1 < sizeof(key); s++)
		key[k++] = ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		            (*s >= '0' && *s <= '9') || *s == '-' || *s == ':' || *s == '.')
		               ? *s
		               : '_';
	key[k] = '\0';
	snprintf(num, sizeof(num), "%s%s%s", has(d->doc_number) ? d->doc_number : "",
	         has(d->doc_number) && has(d->doc_notation) ? "/" : "",
	         has(d->doc_notation) ? d->doc_notation : "");
	snprintf(ord, sizeof(ord), "%lld", (long long)d->ordinal);
	snprintf(where, sizeof(where), "Phông %s%s%s%s, hồ sơ %s, văn bản số %s", d->fonds_code,
	         c && has(c->fonds_name) ? " (" : "", c && has(c->fonds_name) ? c->fonds_name : "",
	         c && has(c->fonds_name) ? ")" : "", d->dossier_code, ord);
	puts_(b, "@misc{"), puts_(b, key);
	bib_field(b, "title", d->subject, 0);
	bib_field(b, "author", d->issuer, 1);
	bib_field(b, "date", d->issued_date, 0);
	if (has(d->issued_date) && strlen(d->issued_date) >= 4) {
		char y[5];
		memcpy(y, d->issued_date, 4), y[4] = '\0';
		bib_field(b, "year", y, 0);
	}
	bib_field(b, "type", d->doc_type, 0);
	bib_field(b, "number", num, 0);
	bib_field(b, "organization", c ? c->custodian_name : NULL, 0);
	bib_field(b, "howpublished", where, 0);
	bib_field(b, "note", d->doc_id, 0);
	bib_field(b, "langid",
	          has(d->language) && strcmp(d->language, "vi") ? d->language : "vietnamese", 0);
	puts_(b, "\n}\n");
}

static int cite_csl(FILE *b, const hl_doc *d, const hl_custody *c)
{
	json_t *it = json_object(), *arr = json_array();
	char num[256], where[512];
	int rc = 0;
	if (!it || !arr) {
		json_decref(it), json_decref(arr);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	json_object_set_new(it, "id", json_string(d->doc_id));
	json_object_set_new(it, "type", json_string("document"));
	if (has(d->subject))
		json_object_set_new(it, "title", json_string(d->subject));
	if (has(d->issuer)) {
		json_t *a = json_array(), *n = json_object();
		json_object_set_new(n, "literal", json_string(d->issuer));
		json_array_append_new(a, n);
		json_object_set_new(it, "author", a);
	}
	if (has(d->issued_date)) {
		json_t *parts = json_array(), *outer = json_array(), *date = json_object();
		const char *s = d->issued_date;
		json_array_append_new(parts, json_integer(strtol(s, NULL, 10)));
		if (strlen(s) >= 7)
			json_array_append_new(parts, json_integer(strtol(s + 5, NULL, 10)));
		if (strlen(s) >= 10)
			json_array_append_new(parts, json_integer(strtol(s + 8, NULL, 10)));
		json_array_append_new(outer, parts);
		json_object_set_new(date, "date-parts", outer);
		json_object_set_new(it, "issued", date);
	}
	if (has(d->doc_type))
		json_object_set_new(it, "genre", json_string(d->doc_type));
	snprintf(num, sizeof(num), "%s%s%s", has(d->doc_number) ? d->doc_number : "",
	         has(d->doc_number) && has(d->doc_notation) ? "/" : "",
	         has(d->doc_notation) ? d->doc_notation : "");
	if (*num)
		json_object_set_new(it, "number", json_string(num));
	if (c && has(c->custodian_name))
		json_object_set_new(it, "archive", json_string(c->custodian_name));
	snprintf(where, sizeof(where), "Phông %s, hồ sơ %s, văn bản số %lld", d->fonds_code,
	         d->dossier_code, (long long)d->ordinal);
	json_object_set_new(it, "archive_location", json_string(where));
	json_object_set_new(it, "language", json_string(has(d->language) ? d->language : "vi"));
	json_array_append_new(arr, it);
	char *s = json_dumps(arr, JSON_INDENT(2));
	json_decref(arr);
	if (!s)
		return hl_error_set(HL_ENOMEM, "out of memory");
	puts_(b, s), puts_(b, "\n");
	free(s);
	return rc;
}

int hl_archive_doc_cite(char **out, hl_archive *a, const hl_principal *who, const char *doc_id,
                        const char *format)
{
	hl_doc *d = NULL;
	hl_custody *c = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *b;
	int rc;

	if (!format || !*format)
		format = "vi";
	if (strcmp(format, "vi") && strcmp(format, "bibtex") && strcmp(format, "csl-json"))
		return hl_error_set(HL_EINVALID,
		                    "unknown citation format \"%.40s\" (vi, bibtex or csl-json)",
		                    format);
	if ((rc = hl_archive_doc_read(&d, a, who, doc_id, "citation", NULL)) < 0)
		return rc;
	/* the fonds' name and the unit holding it today, if the reader may see them */
	if (hl_archive_custody_show(&c, a, who, d->fonds_code, NULL) < 0)
		c = NULL;
	if (!(b = open_memstream(&text, &len))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	if (!strcmp(format, "vi")) {
		cite_vi(b, d, c);
		puts_(b, "\n");
	} else if (!strcmp(format, "bibtex")) {
		cite_bibtex(b, d, c);
	} else {
		rc = cite_csl(b, d, c);
	}
	int bad = ferror(b);
	if ((fclose(b) || bad) && rc == 0)
		rc = hl_error_set(HL_ENOMEM, "out of memory");
done:
	hl_custody_free(c);
	hl_doc_free(d);
	if (rc < 0) {
		free(text);
		return rc;
	}
	*out = text;
	return 0;
}
