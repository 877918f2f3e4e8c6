/* The Table Schema of a dataset: parsed and checked from JSON (every error naming the field),
 * written back as JSON, inferred from every row of a file, and the check of one cell against
 * its field's type and constraints. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "catalog_int.h"
#include "halong/catalog_json.h"
#include "halong/units.h"
#include "halong/util.h"

#define MAX_SCHEMA_BYTES (1u << 20)
#define MAX_NAME         128
#define MAX_PATTERN      1000
#define MAX_ENUM         10000

static const char *const type_names[] = {"string", "integer", "number",
                                         "date",   "boolean", "geopoint"};

const char *hl_field_type_name(hl_field_type t)
{
	return (unsigned)t < sizeof(type_names) / sizeof(type_names[0]) ? type_names[t] : "string";
}

static void field_clear(hl_field *f)
{
	free(f->name);
	free(f->title);
	free(f->description);
	free(f->minimum);
	free(f->maximum);
	for (size_t i = 0; i < f->nenums; i++)
		free(f->enums[i]);
	free(f->enums);
	free(f->pattern);
}

void hl_table_schema_free(hl_table_schema *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nfields; i++)
		field_clear(&s->fields[i]);
	free(s->fields);
	free(s->pkey);
	for (size_t i = 0; i < s->nmissing; i++)
		free(s->missing[i]);
	free(s->missing);
	free(s);
}

/* ---- one cell ---- */

static int is_int_text(const char *v)
{
	const char *p = v;
	if (*p == '+' || *p == '-')
		p++;
	if (!*p)
		return 0;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

static int parse_number(double *out, const char *v)
{
	char *end;
	int digits = 0;
	for (const char *p = v; *p; p++) {
		if (isdigit((unsigned char)*p))
			digits = 1;
		else if (!strchr("+-.eE", *p))
			return -1;
	}
	if (!digits)
		return -1;
	errno = 0;
	*out = strtod(v, &end);
	if (*end || errno == ERANGE || !isfinite(*out))
		return -1;
	return 0;
}

static int parse_geopoint(double *lon, double *lat, const char *v)
{
	char buf[HL_CATALOG__NORM], *comma;
	if (strlen(v) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", v);
	if (!(comma = strchr(buf, ',')))
		return -1;
	*comma = 0;
	if (parse_number(lon, hl_trim(buf)) < 0 || parse_number(lat, hl_trim(comma + 1)) < 0)
		return -1;
	return *lon < -180 || *lon > 180 || *lat < -90 || *lat > 90 ? -1 : 0;
}

static const char *const true_values[] = {"true", "True", "TRUE", "1", NULL};
static const char *const false_values[] = {"false", "False", "FALSE", "0", NULL};

int hl_catalog__type(char norm[HL_CATALOG__NORM], const hl_field *f, const char *v, char *why,
                     size_t whylen)
{
	norm[0] = 0;
	switch (f->type) {
	case HL_FIELD_INTEGER: {
		long long x;
		if (!is_int_text(v))
			break;
		errno = 0;
		x = strtoll(v, NULL, 10);
		if (errno == ERANGE) {
			snprintf(why, whylen, "integer out of range");
			return HL_EINVALID;
		}
		snprintf(norm, HL_CATALOG__NORM, "%lld", x);
		return 0;
	}
	case HL_FIELD_NUMBER: {
		double d;
		if (parse_number(&d, v) < 0)
			break;
		/* exact and cheap both ways: only hashed and bound, never shown */
		snprintf(norm, HL_CATALOG__NORM, "%a", d);
		return 0;
	}
	case HL_FIELD_BOOLEAN:
		for (int i = 0; true_values[i]; i++)
			if (!strcmp(v, true_values[i])) {
				strcpy(norm, "true");
				return 0;
			}
		for (int i = 0; false_values[i]; i++)
			if (!strcmp(v, false_values[i])) {
				strcpy(norm, "false");
				return 0;
			}
		break;
	case HL_FIELD_DATE:
		if (strlen(v) <= 10 && hl_units_date_parse(norm, v) == 0)
			return 0;
		norm[0] = 0;
		hl_error_clear();
		snprintf(why, whylen, "not a date (yyyy-mm-dd or dd/mm/yyyy): \"%.40s\"", v);
		return HL_EINVALID;
	case HL_FIELD_GEOPOINT: {
		double lon, lat;
		if (parse_geopoint(&lon, &lat, v) < 0) {
			snprintf(why, whylen, "not a geopoint (\"lon, lat\"): \"%.40s\"", v);
			return HL_EINVALID;
		}
		snprintf(norm, HL_CATALOG__NORM, "%.10g,%.10g", lon, lat);
		return 0;
	}
	default:
		return 0;
	}
	snprintf(why, whylen, "not %s %s: \"%.40s\"", f->type == HL_FIELD_INTEGER ? "an" : "a",
	         hl_field_type_name(f->type), v);
	return HL_EINVALID;
}

/* Characters of UTF-8 text. */
static int64_t utf8_len(const char *s)
{
	int64_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* a < b: negative; equal 0; by the field's type (numbers numerically, dates and strings as
 * text). */
static int compare(const hl_field *f, const char *a, const char *b)
{
	if (f->type == HL_FIELD_INTEGER || f->type == HL_FIELD_NUMBER) {
		double x = strtod(a, NULL), y = strtod(b, NULL);
		return x < y ? -1 : x > y;
	}
	return strcmp(a, b);
}

int hl_catalog__constraints(const hl_field *f, const regex_t *re, const char *value,
                            const char *shown, char *why, size_t whylen)
{
	if (f->minimum && compare(f, value, f->minimum) < 0) {
		snprintf(why, whylen, "below the minimum %s: %.40s", f->minimum, shown);
		return HL_EINVALID;
	}
	if (f->maximum && compare(f, value, f->maximum) > 0) {
		snprintf(why, whylen, "above the maximum %s: %.40s", f->maximum, shown);
		return HL_EINVALID;
	}
	if (f->nenums) {
		size_t i;
		for (i = 0; i < f->nenums; i++) {
			char norm[HL_CATALOG__NORM], w[8];
			const char *e = f->enums[i];
			if (f->type != HL_FIELD_STRING &&
			    hl_catalog__type(norm, f, e, w, sizeof(w)) == 0)
				e = norm;
			if (!strcmp(e, value))
				break;
		}
		if (i == f->nenums) {
			snprintf(why, whylen, "not one of the allowed values: \"%.40s\"", shown);
			return HL_EINVALID;
		}
	}
	if (f->min_length >= 0 || f->max_length >= 0) {
		int64_t n = utf8_len(value);
		if (f->min_length >= 0 && n < f->min_length) {
			snprintf(why, whylen, "shorter than %lld characters",
			         (long long)f->min_length);
			return HL_EINVALID;
		}
		if (f->max_length >= 0 && n > f->max_length) {
			snprintf(why, whylen, "longer than %lld characters",
			         (long long)f->max_length);
			return HL_EINVALID;
		}
	}
	if (re && regexec(re, value, 0, NULL, 0) != 0) {
		snprintf(why, whylen, "\"%.40s\" does not match the pattern %.80s", value,
		         f->pattern);
		return HL_EINVALID;
	}
	return 0;
}

int hl_catalog__regcomp(regex_t *re, const hl_field *f)
{
	size_t n = strlen(f->pattern) + 8;
	char *p = malloc(n);
	int rc;
	if (!p)
		return hl_error_set(HL_ENOMEM, "out of memory");
	snprintf(p, n, "^(%s)$", f->pattern);
	rc = regcomp(re, p, REG_EXTENDED | REG_NOSUB);
	free(p);
	if (rc)
		return hl_error_set(HL_EINVALID,
		                    "field \"%s\": pattern is not a regular expression", f->name);
	return 0;
}

int hl_catalog__missing(const hl_table_schema *s, const char *v)
{
	for (size_t i = 0; i < s->nmissing; i++)
		if (!strcmp(s->missing[i], v))
			return 1;
	return 0;
}

/* ---- parsing ---- */

static int bad(const char *name, const char *field, const char *fmt, const char *what)
{
	if (field)
		return hl_error_set(HL_EINVALID, "%s: field \"%.128s\": %s%s", name, field, fmt,
		                    what ? what : "");
	return hl_error_set(HL_EINVALID, "%s: %s%s", name, fmt, what ? what : "");
}

static char *dup_str(json_t *v)
{
	return json_is_string(v) ? hl_strdup(json_string_value(v)) : NULL;
}

/* A constraint's value as text: numbers as written by jansson, strings as they are. */
static char *value_text(json_t *v)
{
	char buf[64];
	if (json_is_string(v))
		return hl_strdup(json_string_value(v));
	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		return hl_strdup(buf);
	}
	if (json_is_real(v)) {
		snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
		return hl_strdup(buf);
	}
	if (json_is_boolean(v))
		return hl_strdup(json_is_true(v) ? "true" : "false");
	return NULL;
}

static int parse_field(hl_field *f, json_t *o, const char *name, size_t index)
{
	const char *key, *fname;
	json_t *v;
	char idx[32];
	char why[160];

	f->min_length = f->max_length = -1;
	snprintf(idx, sizeof(idx), "#%zu", index + 1);
	if (!json_is_object(o))
		return bad(name, idx, "not an object", NULL);
	v = json_object_get(o, "name");
	if (!json_is_string(v) || !json_string_length(v))
		return bad(name, idx, "no name", NULL);
	if (json_string_length(v) > MAX_NAME)
		return bad(name, idx, "name longer than 128 bytes", NULL);
	fname = json_string_value(v);
	for (const char *p = fname; *p; p++)
		if ((unsigned char)*p < 0x20)
			return bad(name, idx, "a control character in the name", NULL);
	f->name = hl_strdup(fname);
	v = json_object_get(o, "type");
	if (v) {
		size_t t;
		if (!json_is_string(v))
			return bad(name, fname, "type is not a string", NULL);
		for (t = 0; t < sizeof(type_names) / sizeof(type_names[0]); t++)
			if (!strcmp(json_string_value(v), type_names[t]))
				break;
		if (t == sizeof(type_names) / sizeof(type_names[0])) {
			snprintf(why, sizeof(why),
			         "unknown type \"%.40s\" (string, integer, number, date, boolean, "
			         "geopoint)",
			         json_string_value(v));
			return bad(name, fname, why, NULL);
		}
		f->type = (hl_field_type)t;
	}
	v = json_object_get(o, "format");
	if (v && (!json_is_string(v) ||
	          (f->type != HL_FIELD_STRING && strcmp(json_string_value(v), "default") &&
	           !(f->type == HL_FIELD_DATE && !strcmp(json_string_value(v), "any")))))
		return bad(name, fname, "format: only \"default\" is read for type ",
		           hl_field_type_name(f->type));
	if ((v = json_object_get(o, "title")) && !json_is_string(v))
		return bad(name, fname, "title is not a string", NULL);
	f->title = dup_str(v);
	if ((v = json_object_get(o, "description")) && !json_is_string(v))
		return bad(name, fname, "description is not a string", NULL);
	f->description = dup_str(v);
	if ((v = json_object_get(o, "unitCode"))) {
		if (!json_is_boolean(v))
			return bad(name, fname, "unitCode is not true or false", NULL);
		f->unit = json_is_true(v);
		if (f->unit && f->type != HL_FIELD_STRING)
			return bad(name, fname,
			           "unitCode needs type string (a code keeps its zeros)", NULL);
	}
	v = json_object_get(o, "constraints");
	if (!v)
		return 0;
	if (!json_is_object(v))
		return bad(name, fname, "constraints is not an object", NULL);
	json_t *c;
	json_object_foreach(v, key, c)
	{
		if (!strcmp(key, "required") || !strcmp(key, "unique")) {
			if (!json_is_boolean(c))
				return bad(name, fname, key, " is not true or false");
			*(!strcmp(key, "required") ? &f->required : &f->unique) = json_is_true(c);
		} else if (!strcmp(key, "minimum") || !strcmp(key, "maximum")) {
			char norm[HL_CATALOG__NORM];
			char **dst = !strcmp(key, "minimum") ? &f->minimum : &f->maximum;
			if (f->type != HL_FIELD_INTEGER && f->type != HL_FIELD_NUMBER &&
			    f->type != HL_FIELD_DATE)
				return bad(name, fname, key,
				           " is for integer, number and date fields");
			if (!(*dst = value_text(c)) || json_is_boolean(c) ||
			    hl_catalog__type(norm, f, *dst, why, sizeof(why)) < 0)
				return bad(name, fname, key, " is not a value of the field's type");
			if (f->type == HL_FIELD_DATE) {
				free(*dst);
				*dst = hl_strdup(norm);
			}
		} else if (!strcmp(key, "minLength") || !strcmp(key, "maxLength")) {
			if (!json_is_integer(c) || json_integer_value(c) < 0)
				return bad(name, fname, key, " is not a whole number");
			*(!strcmp(key, "minLength") ? &f->min_length : &f->max_length) =
			    json_integer_value(c);
		} else if (!strcmp(key, "enum")) {
			size_t i;
			json_t *e;
			if (!json_is_array(c) || !json_array_size(c) ||
			    json_array_size(c) > MAX_ENUM)
				return bad(name, fname, "enum is not a list of 1 to 10,000 values",
				           NULL);
			if (!(f->enums = calloc(json_array_size(c), sizeof(*f->enums))))
				return hl_error_set(HL_ENOMEM, "out of memory");
			json_array_foreach(c, i, e)
			{
				char norm[HL_CATALOG__NORM];
				if (!(f->enums[i] = value_text(e)))
					return bad(name, fname,
					           "enum holds a value that is not text", NULL);
				f->nenums = i + 1;
				if (hl_catalog__type(norm, f, f->enums[i], why, sizeof(why)) < 0)
					return bad(name, fname, "enum: ", why);
			}
		} else if (!strcmp(key, "pattern")) {
			regex_t re;
			if (!json_is_string(c) || json_string_length(c) > MAX_PATTERN)
				return bad(name, fname,
				           "pattern is not a text of at most 1,000 bytes", NULL);
			if (f->type != HL_FIELD_STRING)
				return bad(name, fname, "pattern is for string fields", NULL);
			f->pattern = dup_str(c);
			if (hl_catalog__regcomp(&re, f) < 0)
				return bad(name, fname, "pattern is not a regular expression",
				           NULL);
			regfree(&re);
		} else {
			return bad(name, fname, "unknown constraint ", key);
		}
	}
	if (f->minimum && f->maximum && compare(f, f->minimum, f->maximum) > 0)
		return bad(name, fname, "minimum is above maximum", NULL);
	return 0;
}

static long find_field(const hl_table_schema *s, const char *name)
{
	for (size_t i = 0; i < s->nfields; i++)
		if (!strcmp(s->fields[i].name, name))
			return (long)i;
	return -1;
}

int hl_schema_parse(hl_table_schema **out, const char *text, size_t len, const char *name)
{
	json_error_t je;
	json_t *root, *fields, *v;
	hl_table_schema *s;
	int rc = HL_EINVALID;

	if (len > MAX_SCHEMA_BYTES)
		return hl_error_set(HL_ELIMIT, "%s: a schema over 1 MiB", name);
	if (!(root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)))
		return hl_error_set(HL_EINVALID, "%s: line %d: not JSON: %s", name, je.line,
		                    je.text);
	if (!(s = calloc(1, sizeof(*s)))) {
		json_decref(root);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	fields = json_object_get(root, "fields");
	if (!json_is_object(root) || !json_is_array(fields) || !json_array_size(fields)) {
		bad(name, NULL, "not a Table Schema: no \"fields\" list", NULL);
		goto done;
	}
	if (json_array_size(fields) > HL_SCHEMA_MAX_FIELDS) {
		rc = hl_error_set(HL_ELIMIT, "%s: more than %d fields", name, HL_SCHEMA_MAX_FIELDS);
		goto done;
	}
	if (!(s->fields = calloc(json_array_size(fields), sizeof(*s->fields)))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < json_array_size(fields); i++) {
		s->nfields = i + 1;
		if ((rc = parse_field(&s->fields[i], json_array_get(fields, i), name, i)) < 0)
			goto done;
		if (find_field(s, s->fields[i].name) != (long)i) {
			rc = bad(name, s->fields[i].name, "named twice", NULL);
			goto done;
		}
	}
	rc = HL_EINVALID;
	v = json_object_get(root, "primaryKey");
	if (v) {
		json_t *arr = json_is_string(v) ? json_pack("[O]", v) : json_incref(v);
		size_t i;
		json_t *k;
		if (!json_is_array(arr) || !json_array_size(arr)) {
			json_decref(arr);
			bad(name, NULL, "primaryKey is not a field name or a list of them", NULL);
			goto done;
		}
		s->pkey = calloc(json_array_size(arr), sizeof(*s->pkey));
		json_array_foreach(arr, i, k)
		{
			long at = json_is_string(k) ? find_field(s, json_string_value(k)) : -1;
			if (at < 0) {
				bad(name, NULL, "primaryKey names no field: ",
				    json_is_string(k) ? json_string_value(k) : "?");
				json_decref(arr);
				goto done;
			}
			for (size_t j = 0; j < s->npkey; j++)
				if (s->pkey[j] == (size_t)at) {
					bad(name, NULL, "primaryKey names a field twice: ",
					    json_string_value(k));
					json_decref(arr);
					goto done;
				}
			s->pkey[s->npkey++] = (size_t)at;
			s->fields[at].required = 1;
		}
		json_decref(arr);
	}
	v = json_object_get(root, "missingValues");
	if (v) {
		size_t i;
		json_t *m;
		if (!json_is_array(v) || json_array_size(v) > 100) {
			bad(name, NULL, "missingValues is not a list of at most 100 texts", NULL);
			goto done;
		}
		s->missing = calloc(json_array_size(v) ? json_array_size(v) : 1, sizeof(char *));
		json_array_foreach(v, i, m)
		{
			if (!json_is_string(m)) {
				bad(name, NULL, "missingValues holds a value that is not text",
				    NULL);
				goto done;
			}
			s->missing[s->nmissing++] = hl_strdup(json_string_value(m));
		}
	} else {
		s->missing = calloc(1, sizeof(char *));
		s->missing[0] = hl_strdup("");
		s->nmissing = 1;
	}
	rc = 0;
done:
	json_decref(root);
	if (rc < 0) {
		hl_table_schema_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int hl_schema_read(hl_table_schema **out, const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat sb;
	char *buf;
	size_t n;
	int rc;

	if (!f)
		return hl_error_set(HL_ENOTFOUND, "%s: cannot open", path);
	if (fstat(fileno(f), &sb) < 0 || !S_ISREG(sb.st_mode)) {
		fclose(f);
		return hl_error_set(HL_EINVALID, "%s: not a file", path);
	}
	if (sb.st_size > (off_t)MAX_SCHEMA_BYTES) {
		fclose(f);
		return hl_error_set(HL_ELIMIT, "%s: a schema over 1 MiB", path);
	}
	if (!(buf = malloc((size_t)sb.st_size + 1))) {
		fclose(f);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	n = fread(buf, 1, (size_t)sb.st_size, f);
	fclose(f);
	rc = hl_schema_parse(out, buf, n, path);
	free(buf);
	return rc;
}

/* ---- JSON ---- */

/* A constraint's value as JSON: a number for integer and number fields. */
static json_t *value_json(const hl_field *f, const char *v)
{
	if (f->type == HL_FIELD_INTEGER && is_int_text(v))
		return json_integer(strtoll(v, NULL, 10));
	if (f->type == HL_FIELD_NUMBER)
		return json_real(strtod(v, NULL));
	if (f->type == HL_FIELD_BOOLEAN)
		return json_boolean(!strcmp(v, "true") || !strcmp(v, "1"));
	return json_string(v);
}

json_t *hl_table_schema_json(const hl_table_schema *s)
{
	json_t *o = json_object(), *fields = json_array(), *pk, *mv = json_array();
	for (size_t i = 0; i < s->nfields; i++) {
		const hl_field *f = &s->fields[i];
		json_t *j = json_object(), *c = json_object();
		json_object_set_new(j, "name", json_string(f->name));
		if (f->title)
			json_object_set_new(j, "title", json_string(f->title));
		if (f->description)
			json_object_set_new(j, "description", json_string(f->description));
		json_object_set_new(j, "type", json_string(hl_field_type_name(f->type)));
		if (f->unit)
			json_object_set_new(j, "unitCode", json_true());
		if (f->required)
			json_object_set_new(c, "required", json_true());
		if (f->unique)
			json_object_set_new(c, "unique", json_true());
		if (f->minimum)
			json_object_set_new(c, "minimum", value_json(f, f->minimum));
		if (f->maximum)
			json_object_set_new(c, "maximum", value_json(f, f->maximum));
		if (f->min_length >= 0)
			json_object_set_new(c, "minLength", json_integer(f->min_length));
		if (f->max_length >= 0)
			json_object_set_new(c, "maxLength", json_integer(f->max_length));
		if (f->nenums) {
			json_t *e = json_array();
			for (size_t k = 0; k < f->nenums; k++)
				json_array_append_new(e, value_json(f, f->enums[k]));
			json_object_set_new(c, "enum", e);
		}
		if (f->pattern)
			json_object_set_new(c, "pattern", json_string(f->pattern));
		if (json_object_size(c))
			json_object_set_new(j, "constraints", c);
		else
			json_decref(c);
		json_array_append_new(fields, j);
	}
	json_object_set_new(o, "fields", fields);
	if (s->npkey) {
		pk = json_array();
		for (size_t i = 0; i < s->npkey; i++)
			json_array_append_new(pk, json_string(s->fields[s->pkey[i]].name));
		json_object_set_new(o, "primaryKey", pk);
	}
	for (size_t i = 0; i < s->nmissing; i++)
		json_array_append_new(mv, json_string(s->missing[i]));
	json_object_set_new(o, "missingValues", mv);
	return o;
}

char *hl_catalog__schema_text(const hl_table_schema *s)
{
	json_t *j = hl_table_schema_json(s);
	char *t = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (!t)
		hl_error_set(HL_ENOMEM, "out of memory");
	return t;
}

/* ---- rows of a file ---- */

int hl_catalog__rows_open(hl_catalog__rows *r, const char *path, const char *sheet)
{
	struct stat sb;
	memset(r, 0, sizeof(*r));
	/* the size before any byte is read: the inference reads every row as a load does */
	if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (int64_t)sb.st_size > HL_CATALOG_MAX_FILE)
		return hl_error_set(HL_ELIMIT, "%s: %lld bytes, over the limit of %lld", path,
		                    (long long)sb.st_size, (long long)HL_CATALOG_MAX_FILE);
	if (hl_xlsx_is(path))
		return hl_xlsx_open((hl_xlsx **)&r->xlsx, path, sheet);
	if (sheet)
		return hl_error_set(HL_EINVALID, "%s: a sheet is for an XLSX workbook", path);
	return hl_csv_open((hl_csv **)&r->csv, path);
}

int hl_catalog__rows_next(hl_catalog__rows *r, char ***f, size_t *n, uint64_t *line)
{
	return r->xlsx ? hl_xlsx_next(r->xlsx, f, n, line) : hl_csv_next(r->csv, f, n, line);
}

void hl_catalog__rows_progress(const hl_catalog__rows *r, uint64_t *done, uint64_t *total)
{
	*done = r->csv ? hl_csv_offset(r->csv) : 0;
	*total = r->csv ? hl_csv_size(r->csv) : 0;
}

void hl_catalog__rows_free(hl_catalog__rows *r)
{
	hl_csv_free(r->csv);
	hl_xlsx_free(r->xlsx);
	memset(r, 0, sizeof(*r));
}

/* ---- inference ---- */

typedef struct {
	int can_int, can_num, can_bool, can_date, lead_zero, seen;
} guess;

int hl_schema_infer(hl_table_schema **out, const char *path, const hl_schema_infer_opts *opts)
{
	hl_schema_infer_opts none = {0};
	hl_catalog__rows r;
	hl_table_schema *s = NULL;
	guess *g = NULL;
	char **fields;
	size_t n, ncols = 0;
	uint64_t line, rows = 0;
	int rc;

	if (!opts)
		opts = &none;
	if ((rc = hl_catalog__rows_open(&r, path, opts->sheet)) < 0)
		return rc;
	if ((rc = hl_catalog__rows_next(&r, &fields, &n, &line)) <= 0) {
		hl_catalog__rows_free(&r);
		return rc < 0 ? rc : hl_error_set(HL_EINVALID, "%s: empty: no header row", path);
	}
	if (n > HL_SCHEMA_MAX_FIELDS) {
		hl_catalog__rows_free(&r);
		return hl_error_set(HL_ELIMIT, "%s: more than %d columns", path,
		                    HL_SCHEMA_MAX_FIELDS);
	}
	if (!(s = calloc(1, sizeof(*s))) || !(s->fields = calloc(n ? n : 1, sizeof(*s->fields))) ||
	    !(g = calloc(n ? n : 1, sizeof(*g))) || !(s->missing = calloc(1, sizeof(char *)))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto fail;
	}
	s->missing[0] = hl_strdup("");
	s->nmissing = 1;
	for (size_t i = 0; i < n; i++) {
		char *h = hl_trim(fields[i]);
		if (!*h) {
			rc = hl_error_set(HL_EINVALID, "%s: line %llu: column %zu has no name",
			                  path, (unsigned long long)line, i + 1);
			goto fail;
		}
		if (strlen(h) > MAX_NAME) {
			rc = hl_error_set(HL_EINVALID,
			                  "%s: line %llu: column %zu: name over 128 bytes", path,
			                  (unsigned long long)line, i + 1);
			goto fail;
		}
		s->fields[i].name = hl_strdup(h);
		s->fields[i].min_length = s->fields[i].max_length = -1;
		s->nfields = i + 1;
		if (find_field(s, h) != (long)i) {
			rc = hl_error_set(HL_EINVALID, "%s: line %llu: column \"%s\" named twice",
			                  path, (unsigned long long)line, h);
			goto fail;
		}
		g[i] = (guess){1, 1, 1, 1, 0, 0};
	}
	ncols = n;
	/* every row, not the first ones: a column is what all its cells fit */
	while ((rc = hl_catalog__rows_next(&r, &fields, &n, &line)) > 0) {
		if (n != ncols && !(r.xlsx && n < ncols))
			continue; /* the load names it */
		for (size_t i = 0; i < n; i++) {
			const char *v = fields[i];
			double d;
			char norm[HL_CATALOG__NORM];
			if (hl_catalog__missing(s, v))
				continue;
			g[i].seen = 1;
			if (g[i].can_int && !is_int_text(v))
				g[i].can_int = 0;
			if (g[i].can_int) {
				const char *p = v + (*v == '+' || *v == '-');
				if (p[0] == '0' && p[1])
					g[i].lead_zero = 1;
			}
			if (g[i].can_num && parse_number(&d, v) < 0)
				g[i].can_num = 0;
			if (g[i].can_bool && strcmp(v, "true") && strcmp(v, "false") &&
			    strcmp(v, "True") && strcmp(v, "False") && strcmp(v, "TRUE") &&
			    strcmp(v, "FALSE"))
				g[i].can_bool = 0;
			if (g[i].can_date && (strlen(v) > 10 || hl_units_date_parse(norm, v) < 0)) {
				g[i].can_date = 0;
				hl_error_clear();
			}
		}
		if (++rows % 65536 == 0 && opts->progress &&
		    opts->progress("rows", rows, 0, opts->ud) != 0) {
			rc = hl_error_set(HL_ERROR, "%s: stopped", path);
			goto fail;
		}
	}
	if (rc < 0)
		goto fail;
	for (size_t i = 0; i < ncols; i++) {
		hl_field *f = &s->fields[i];
		if (!g[i].seen)
			f->type = HL_FIELD_STRING;
		else if (g[i].can_int && !g[i].lead_zero)
			f->type = HL_FIELD_INTEGER;
		else if (g[i].can_int)
			f->type = HL_FIELD_STRING; /* a code: its zeros are part of it */
		else if (g[i].can_num)
			f->type = HL_FIELD_NUMBER;
		else if (g[i].can_bool)
			f->type = HL_FIELD_BOOLEAN;
		else if (g[i].can_date)
			f->type = HL_FIELD_DATE;
		else
			f->type = HL_FIELD_STRING;
	}
	if (opts->key && *opts->key) {
		char *keys = hl_strdup(opts->key), *save = NULL;
		s->pkey = calloc(ncols ? ncols : 1, sizeof(*s->pkey));
		for (char *k = strtok_r(keys, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
			long at = find_field(s, hl_trim(k));
			if (at < 0 || s->npkey == ncols) {
				rc = hl_error_set(HL_EINVALID, "%s: the key names no column: %s",
				                  path, k);
				free(keys);
				goto fail;
			}
			s->pkey[s->npkey++] = (size_t)at;
			s->fields[at].required = 1;
		}
		free(keys);
	}
	if (opts->unit && *opts->unit) {
		char *cols = hl_strdup(opts->unit), *save = NULL;
		for (char *k = strtok_r(cols, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
			long at = find_field(s, hl_trim(k));
			if (at < 0 || s->fields[at].type != HL_FIELD_STRING) {
				rc = hl_error_set(
				    HL_EINVALID,
				    at < 0 ? "%s: the unit code column names no column: %s"
				           : "%s: column %s holds values that are no codes "
				             "(not text)",
				    path, k);
				free(cols);
				goto fail;
			}
			s->fields[at].unit = 1;
		}
		free(cols);
	}
	hl_catalog__rows_free(&r);
	free(g);
	*out = s;
	return 0;
fail:
	hl_catalog__rows_free(&r);
	free(g);
	hl_table_schema_free(s);
	return rc < 0 ? rc : HL_ERROR;
}
