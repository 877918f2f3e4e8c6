/* A dataset as a Frictionless (Tabular) Data Package and back: datapackage.json with the
 * dataset's metadata and Table Schema beside its CSV, written whole or not at all; and a package
 * read into a new dataset, its resource path kept inside the package's folder, sizes and hash
 * checked before a row is loaded. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <zip.h>

#include "../store/store.h"
#include "catalog_int.h"
#include "halong/catalog_json.h"
#include "halong/util.h"

/* The resource's custom property saying its text cells carry the lossless formula prefix. */
#define ESCAPE_PROP "halong:formulaEscape"
#define ESCAPE_TEXT                                                                                \
	"A text cell that begins with = + - @, a tab or a carriage return after any single "       \
	"quotes "                                                                                  \
	"carries one more leading single quote (OWASP, CSV injection): take exactly one off to "   \
	"read the value."

/* ---- licences: the few a Vietnamese agency publishes under, as Open Definition ids ---- */

static const struct {
	const char *id, *url, *spelled[4];
} licences[] = {
    {"CC-BY-4.0", "http://creativecommons.org/licenses/by/4.0/", {"ccby40", "ccby", NULL}},
    {"CC-BY-SA-4.0",
     "http://creativecommons.org/licenses/by-sa/4.0/",
     {"ccbysa40", "ccbysa", NULL}},
    {"CC0-1.0", "http://creativecommons.org/publicdomain/zero/1.0/", {"cc010", "cc0", NULL}},
    {"ODC-BY-1.0", "http://opendatacommons.org/licenses/by/1.0/", {"odcby10", "odcby", NULL}},
    {"ODbL-1.0", "http://opendatacommons.org/licenses/odbl/1.0/", {"odbl10", "odbl", NULL}},
    {"PDDL-1.0", "http://opendatacommons.org/licenses/pddl/1.0/", {"pddl10", "pddl", NULL}},
};

int hl_catalog__licence(const char *text, const char **id, const char **url)
{
	char k[64];
	size_t n = 0;
	*id = *url = NULL;
	if (!text)
		return -1;
	for (const char *p = text; *p && n + 1 < sizeof(k); p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
			k[n++] = *p;
		else if (*p >= 'A' && *p <= 'Z')
			k[n++] = (char)(*p - 'A' + 'a');
	k[n] = 0;
	for (size_t i = 0; i < sizeof(licences) / sizeof(licences[0]); i++) {
		int hit = !strcasecmp(text, licences[i].id) || !strcmp(text, licences[i].url);
		for (int j = 0; !hit && licences[i].spelled[j]; j++)
			hit = !strcmp(k, licences[i].spelled[j]);
		if (hit) {
			*id = licences[i].id;
			*url = licences[i].url;
			return 0;
		}
	}
	return -1;
}

/* ---- out ---- */

static int is_empty_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;
	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

/* The package's name: the id in lower case (Tabular Data Package v1: [-a-z0-9._/]). */
static void pkg_name(char out[65], const char *id)
{
	size_t i = 0;
	for (; id[i] && i < 64; i++)
		out[i] = (id[i] >= 'A' && id[i] <= 'Z') ? (char)(id[i] - 'A' + 'a') : id[i];
	out[i] = 0;
}

static json_t *licence_json(const char *text)
{
	const char *id, *url;
	if (hl_catalog__licence(text, &id, &url) == 0)
		return json_pack("{s:s,s:s,s:s}", "name", id, "path", url, "title", text);
	if (!strncmp(text, "http://", 7) || !strncmp(text, "https://", 8))
		return json_pack("{s:s,s:s}", "path", text, "title", text);
	/* an Open Definition id that says only that halong cannot tell which licence it is */
	return json_pack("{s:s,s:s}", "name", "notspecified", "title", text);
}

/* datapackage.json of dataset d, version v, whose CSV is `csv` (rows, bytes, hash). */
static json_t *descriptor(const hl_dataset *d, const hl_dataset_version *ver, const char *name,
                          const char *csv, int64_t bytes, const char *sha)
{
	json_t *p = json_object(), *r = json_object(), *kw = json_array(), *lic = json_array();
	char hash[80], vs[16];
	json_object_set_new(p, "profile", json_string("tabular-data-package"));
	json_object_set_new(p, "name", json_string(name));
	json_object_set_new(p, "title", json_string(d->title));
	if (d->description)
		json_object_set_new(p, "description", json_string(d->description));
	for (size_t i = 0; i < d->nkeywords; i++)
		json_array_append_new(kw, json_string(d->keywords[i]));
	/* the profiles want at least one keyword when the property is there */
	if (json_array_size(kw))
		json_object_set_new(p, "keywords", kw);
	else
		json_decref(kw);
	if (d->licence)
		json_array_append_new(lic, licence_json(d->licence));
	if (json_array_size(lic))
		json_object_set_new(p, "licenses", lic);
	else
		json_decref(lic);
	if (d->provenance)
		json_object_set_new(p, "sources", json_pack("[{s:s}]", "title", d->provenance));
	snprintf(vs, sizeof(vs), "%d", ver ? ver->version : 0);
	json_object_set_new(p, "version", json_string(vs));
	json_object_set_new(p, "created",
	                    json_string(ver && ver->loaded_at ? ver->loaded_at : d->created_at));
	/* halong's own metadata, as custom properties (namespace:property) */
	if (d->owner)
		json_object_set_new(p, "halong:owner", json_string(d->owner));
	json_object_set_new(p, "halong:sector", json_string(d->sector));
	if (d->frequency)
		json_object_set_new(p, "halong:frequency", json_string(d->frequency));
	if (d->date)
		json_object_set_new(p, "halong:date", json_string(d->date));
	json_object_set_new(p, "halong:id", json_string(d->id));

	json_object_set_new(r, "profile", json_string("tabular-data-resource"));
	json_object_set_new(r, "name", json_string(name));
	json_object_set_new(r, "title", json_string(d->title));
	json_object_set_new(r, "path", json_string(csv));
	json_object_set_new(r, "format", json_string("csv"));
	json_object_set_new(r, "mediatype", json_string("text/csv"));
	json_object_set_new(r, "encoding", json_string("utf-8"));
	snprintf(hash, sizeof(hash), "sha256:%s", sha);
	json_object_set_new(r, "hash", json_string(hash));
	json_object_set_new(r, "bytes", json_integer(bytes));
	json_object_set_new(r, "dialect",
	                    json_pack("{s:s,s:b,s:s,s:b}", "delimiter", ",", "header", 1,
	                              "quoteChar", "\"", "doubleQuote", 1));
	json_object_set_new(r, "schema", hl_table_schema_json(d->schema));
	json_object_set_new(r, ESCAPE_PROP, json_string(ESCAPE_TEXT));
	json_object_set_new(p, "resources", json_pack("[o]", r));
	return p;
}

/* The folder's two files zipped into `zipath` (written as .part, renamed once whole). */
static int zip_folder(const char *zipath, const char *dir, const char *csvname)
{
	char *part = NULL, *a = NULL, *b = NULL;
	zip_t *z = NULL;
	zip_source_t *s;
	int err = 0, rc = 0;
	size_t n = strlen(zipath) + 8;
	if (!(part = malloc(n)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	snprintf(part, n, "%s.part", zipath);
	unlink(part);
	a = hl_path_join(dir, "datapackage.json");
	b = hl_path_join(dir, csvname);
	if (!a || !b || !(z = zip_open(part, ZIP_CREATE | ZIP_EXCL, &err))) {
		rc = hl_error_set(HL_EIO, "%s: cannot make the zip", zipath);
		goto done;
	}
	if (!(s = zip_source_file(z, a, 0, -1)) ||
	    zip_file_add(z, "datapackage.json", s, ZIP_FL_ENC_UTF_8) < 0 ||
	    !(s = zip_source_file(z, b, 0, -1)) ||
	    zip_file_add(z, csvname, s, ZIP_FL_ENC_UTF_8) < 0) {
		rc = hl_error_set(HL_EIO, "%s: %s", zipath, zip_strerror(z));
		zip_discard(z);
		goto done;
	}
	if (zip_close(z) < 0) {
		rc = hl_error_set(HL_EIO, "%s: %s", zipath, zip_strerror(z));
		zip_discard(z);
		goto done;
	}
	if (rename(part, zipath) != 0)
		rc = hl_error_set(HL_EIO, "%s: cannot write", zipath);
done:
	if (rc < 0)
		unlink(part);
	free(part);
	free(a);
	free(b);
	return rc;
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);
	return n > m && !strcasecmp(s + n - m, tail);
}

/* Removes a and b from dir (this export's two files), and dir itself when this export made it. */
static void rm_tree2(const char *dir, const char *a, const char *b, int made)
{
	char *p;
	if ((p = hl_path_join(dir, a))) {
		unlink(p);
		free(p);
	}
	if ((p = hl_path_join(dir, b))) {
		unlink(p);
		free(p);
	}
	if (made)
		rmdir(dir);
}

int hl_dataset_export_datapackage(hl_datapackage_stats *out, hl_store *st, const hl_principal *who,
                                  const char *id, int version, const char *path)
{
	hl_dataset *d = NULL;
	hl_dataset_versions *vs = NULL;
	const hl_dataset_version *ver = NULL;
	hl_datapackage_stats s = {0};
	char name[65], csvname[80], *csv = NULL, *json = NULL, *js = NULL, *dir = NULL;
	int rc, zipped = ends_with(path, ".zip"), made = 0, owned = 0;
	json_t *p = NULL;

	if ((rc = hl_dataset_get(&d, st, who, id)) < 0)
		return rc;
	if ((rc = hl_dataset_versions_list(&vs, st, who, id)) < 0)
		goto done;
	s.version = version ? version : d->version;
	if (version < 0 || version > d->version) {
		rc = hl_error_set(HL_ENOTFOUND, "dataset %s has no version %d (it has %d)", d->id,
		                  version, d->version);
		goto done;
	}
	for (size_t i = 0; i < vs->n; i++)
		if (vs->v[i].version == s.version)
			ver = &vs->v[i];
	pkg_name(name, d->id);
	snprintf(csvname, sizeof(csvname), "%s.csv", name);
	if (zipped) {
		/* the two files are made in a private folder beside nothing of the user's */
		const char *tmp = getenv("TMPDIR");
		size_t n = strlen(tmp && *tmp ? tmp : "/tmp") + 32;
		if (!(dir = malloc(n))) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		snprintf(dir, n, "%s/halong-dp.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			rc = hl_error_set(HL_EIO, "cannot make a temporary folder");
			goto done;
		}
		made = 1;
	} else {
		if (!(dir = hl_strdup(path))) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		if (mkdir(dir, 0755) == 0)
			made = 1;
		else if (errno != EEXIST || !is_empty_dir(dir)) {
			rc = errno == EEXIST
			         ? hl_error_set(HL_ECONFLICT,
			                        "%s: exists and is not an empty folder", path)
			         : hl_error_set(HL_EIO, "%s: cannot make the folder", path);
			goto done;
		}
	}
	owned = 1; /* made here, or empty: what is in it from now on is this export's */
	if (!(csv = hl_path_join(dir, csvname)) ||
	    !(json = hl_path_join(dir, "datapackage.json"))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = hl_catalog__export_csv_lossless(&s.rows, st, who, id, s.version, csv)) < 0)
		goto done;
	if ((rc = hl_sha256_file(s.sha256, &s.bytes, csv)) < 0)
		goto done;
	p = descriptor(d, ver, name, csvname, s.bytes, s.sha256);
	if (!p || !(js = json_dumps(p, JSON_INDENT(2) | JSON_PRESERVE_ORDER))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	/* datapackage.json last: a folder that has it is whole */
	if ((rc = hl_write_atomic(json, js, strlen(js), 0644)) < 0)
		goto done;
	if (zipped && (rc = zip_folder(path, dir, csvname)) < 0)
		goto done;
	snprintf(s.resource, sizeof(s.resource), "%s", csvname);
	*out = s;
done:
	/* the zip's private folder always; a folder of the user's only on failure (it was empty
	 * or made here: its two files are this export's) */
	if (owned && (zipped || rc < 0))
		rm_tree2(dir, csvname, "datapackage.json", made);
	json_decref(p);
	free(js);
	free(csv);
	free(json);
	free(dir);
	hl_dataset_free(d);
	hl_dataset_versions_free(vs);
	return rc;
}

/* ---- in ---- */

/* A value of the package as a message shows it: at most `max` bytes, never a character cut. */
static const char *shown(char buf[208], const char *v, size_t max)
{
	snprintf(buf, 208, "%.*s", (int)(max < 200 ? max : 200), v ? v : "");
	hl_str_cut_utf8(buf);
	return buf;
}

static const char *jget(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A path of the package: relative, inside its folder (no URL, no absolute path, no ".."),
 * opened beneath the folder (a link that leads out refused by the kernel). */
static int open_inside(int *fd, int dirfd, const char *field, const char *p)
{
	int rc;
	char sp[208];
	if (!p || !*p)
		return hl_error_set(HL_EINVALID, "%s: a relative path to a file of the package",
		                    field);
	if (strstr(p, "://") || !strncasecmp(p, "file:", 5) || !strncasecmp(p, "data:", 5))
		return hl_error_set(HL_EDENIED,
		                    "%s: \"%s\" is a URL: halong reads only files inside the "
		                    "package's folder",
		                    field, shown(sp, p, 200));
	if (p[0] == '/' || p[0] == '\\' || p[0] == '~')
		return hl_error_set(HL_EDENIED,
		                    "%s: \"%s\" is an absolute path: it must be relative to the "
		                    "package's folder",
		                    field, shown(sp, p, 200));
	for (const char *q = p; *q;) {
		size_t n = strcspn(q, "/\\");
		if (n == 2 && q[0] == '.' && q[1] == '.')
			return hl_error_set(HL_EDENIED,
			                    "%s: \"%s\" climbs out of the package's folder (..)",
			                    field, shown(sp, p, 200));
		q += n;
		if (*q)
			q++;
	}
	if ((rc = hl_file_open_beneath(fd, dirfd, p)) < 0) {
		char why[512];
		snprintf(why, sizeof(why), "%s", hl_error_last());
		return hl_error_set(rc, "%s: \"%s\": %s", field, shown(sp, p, 200), why);
	}
	return 0;
}

/* msg with each `from` written `to` (cut to cap bytes, never in a character). */
static void swap_name(char *out, size_t cap, const char *msg, const char *from, const char *to)
{
	size_t n = 0, fl = strlen(from);
	const char *p = msg, *q;
	out[0] = 0;
	while (n + 1 < cap && (q = strstr(p, from))) {
		n += (size_t)snprintf(out + n, cap - n, "%.*s%s", (int)(q - p), p, to);
		p = q + fl;
	}
	if (n + 1 < cap)
		snprintf(out + n, cap - n, "%s", p);
	hl_str_cut_utf8(out);
}

/* Reads a JSON document of at most `max` bytes from fd (closed). */
static int read_json_fd(json_t **out, int fd, size_t max, const char *name)
{
	struct stat sb;
	char *buf = NULL;
	size_t got = 0;
	json_error_t e;
	int rc = 0;
	if (fstat(fd, &sb) != 0) {
		close(fd);
		return hl_error_set(HL_EIO, "%s: cannot read", name);
	}
	if ((uint64_t)sb.st_size > max) {
		close(fd);
		return hl_error_set(HL_ELIMIT, "%s: %lld bytes, at most %zu", name,
		                    (long long)sb.st_size, max);
	}
	if (!(buf = malloc((size_t)sb.st_size + 1))) {
		close(fd);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	/* the fd may be O_NONBLOCK (hl_file_open_beneath): a regular file reads whole anyway */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!(*out = json_loadb(buf, got, JSON_REJECT_DUPLICATES, &e)))
		rc = hl_error_set(HL_EINVALID, "%s: line %d: %s", name, e.line, e.text);
	else if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		rc = hl_error_set(HL_EINVALID, "%s: not a JSON object", name);
	}
	free(buf);
	return rc;
}

/* Copies the resource's CSV to `dst`, each text cell's lossless formula prefix taken off. */
static int unescape_csv(const char *src, const char *dst, const hl_table_schema *s,
                        const char *field)
{
	hl_csv *in = NULL;
	FILE *f = NULL;
	char **cells;
	size_t n;
	uint64_t line;
	int rc, first = 1, *text = NULL;
	size_t ncols = 0;
	if ((rc = hl_csv_open_named(&in, src, field)) < 0)
		return rc;
	if (!(f = fopen(dst, "w"))) {
		hl_csv_free(in);
		return hl_error_set(HL_EIO, "cannot write a temporary file");
	}
	while ((rc = hl_csv_next(in, &cells, &n, &line)) == 1) {
		const char *outc[HL_SCHEMA_MAX_FIELDS + 1];
		if (n > HL_SCHEMA_MAX_FIELDS + 1)
			n = HL_SCHEMA_MAX_FIELDS + 1; /* the load names the row: too many cells */
		if (first) {
			/* which columns are text, by the header's names */
			ncols = n;
			if (!(text = calloc(n ? n : 1, sizeof(int)))) {
				rc = hl_error_set(HL_ENOMEM, "out of memory");
				break;
			}
			for (size_t i = 0; i < n; i++)
				for (size_t k = 0; k < s->nfields; k++)
					if (!strcmp(cells[i], s->fields[k].name))
						text[i] = s->fields[k].type == HL_FIELD_STRING;
			first = 0;
		} else
			for (size_t i = 0; i < n; i++)
				if (i < ncols && text[i] && cells[i][0] == '\'' &&
				    hl_catalog__formula_escaped(cells[i]))
					cells[i]++;
		for (size_t i = 0; i < n; i++)
			outc[i] = cells[i];
		if (hl_csv_write(f, outc, n) < 0) {
			rc = hl_error_set(HL_EIO, "cannot write a temporary file");
			break;
		}
	}
	free(text);
	hl_csv_free(in);
	if (fclose(f) != 0 && rc == 0)
		rc = hl_error_set(HL_EIO, "cannot write a temporary file");
	return rc < 0 ? rc : 0;
}

/* The CSV's header names exactly the schema's fields (each once)? Checked before anything is
 * made, so that a package whose file does not fit its schema creates nothing. */
static int header_fits(const char *src, const hl_table_schema *s, const char *field)
{
	hl_csv *in = NULL;
	char **cells;
	size_t n;
	uint64_t line;
	int rc;
	if ((rc = hl_csv_open_named(&in, src, field)) < 0)
		return rc;
	rc = hl_csv_next(in, &cells, &n, &line);
	if (rc == 1) {
		rc = 0;
		for (size_t k = 0; k < s->nfields && rc == 0; k++) {
			size_t seen = 0;
			for (size_t i = 0; i < n; i++)
				seen += !strcmp(cells[i], s->fields[k].name);
			if (seen != 1)
				rc = hl_error_set(
				    HL_EINVALID, "%s: the header %s field \"%s\" of the schema",
				    field, seen ? "repeats" : "lacks", s->fields[k].name);
		}
		if (rc == 0 && n != s->nfields)
			rc = hl_error_set(HL_EINVALID,
			                  "%s: the header has %zu columns, the schema %zu fields",
			                  field, n, s->nfields);
	} else if (rc == 0)
		rc = hl_error_set(HL_EINVALID, "%s: empty (no header)", field);
	hl_csv_free(in);
	return rc;
}

static char *join_sources(json_t *src)
{
	size_t i, len = 0;
	json_t *e;
	char *out = NULL;
	json_array_foreach(src, i, e)
	{
		const char *t = jget(e, "title"), *p = jget(e, "path");
		char *n;
		size_t add;
		if (!t && !p)
			continue;
		add = (t ? strlen(t) : 0) + (p ? strlen(p) + 3 : 0) + 3;
		if (!(n = realloc(out, len + add + 1))) {
			free(out);
			return NULL;
		}
		out = n;
		len +=
		    (size_t)snprintf(out + len, add + 1, "%s%s%s%s%s", len ? "; " : "", t ? t : "",
		                     t && p ? " (" : "", p ? p : "", t && p ? ")" : "");
	}
	return out;
}

int hl_dataset_import_datapackage(hl_dataset_load_stats *out, hl_store *st, const hl_principal *who,
                                  const char *id, const char *package,
                                  const hl_datapackage_import_opts *o)
{
	hl_datapackage_import_opts none = {0};
	json_t *p = NULL, *res, *r, *sch, *v;
	hl_table_schema *schema = NULL;
	hl_dataset_new n = {0};
	hl_dataset_load_opts lo = {0};
	char *dirpath = NULL, *prov = NULL, *lic = NULL, fdpath[64], tmpdir[512] = "", tmpcsv[600],
	     sv[208];
	const char *kw[100], *rpath, *fmt;
	int dirfd = -1, fd = -1, rc;
	struct stat sb;

	memset(out, 0, sizeof(*out));
	if (!o)
		o = &none;
	/* the package's folder: the path given, or the folder of the datapackage.json given */
	if (stat(package, &sb) != 0)
		return hl_error_set(HL_ENOTFOUND, "%s: no such file or folder", package);
	if (!S_ISDIR(sb.st_mode) && ends_with(package, ".zip"))
		return hl_error_set(
		    HL_EINVALID, "%s: a zipped package is not read: unzip it and give its folder",
		    package);
	if (S_ISDIR(sb.st_mode))
		dirpath = hl_strdup(package);
	else {
		const char *slash = strrchr(package, '/');
		dirpath = slash ? strndup(package, (size_t)(slash - package) + (slash == package))
		                : hl_strdup(".");
	}
	if (!dirpath)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if ((dirfd = open(dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = hl_error_set(HL_EIO, "%s: cannot open the folder", dirpath);
		goto done;
	}
	{
		const char *base = S_ISDIR(sb.st_mode) ? "datapackage.json" : strrchr(package, '/');
		base = base ? (base[0] == '/' ? base + 1 : base) : package;
		if ((rc = hl_file_open_beneath(&fd, dirfd, base)) < 0)
			goto done;
		rc = read_json_fd(&p, fd, HL_DATAPACKAGE_MAX_DESCRIPTOR, "datapackage.json");
		fd = -1;
		if (rc < 0)
			goto done;
	}

	/* one tabular resource, read from a CSV file of the folder */
	res = json_object_get(p, "resources");
	if (!json_is_array(res) || json_array_size(res) != 1) {
		rc = hl_error_set(HL_EINVALID,
		                  "resources: one resource is expected (a dataset is one table); "
		                  "found %zu",
		                  json_is_array(res) ? json_array_size(res) : (size_t)0);
		goto done;
	}
	r = json_array_get(res, 0);
	if (!json_is_object(r)) {
		rc = hl_error_set(HL_EINVALID, "resources[0]: not an object");
		goto done;
	}
	if (json_object_get(r, "data")) {
		rc = hl_error_set(HL_EINVALID,
		                  "resources[0].data: inline data is not read; give a CSV file in "
		                  "resources[0].path");
		goto done;
	}
	v = json_object_get(r, "path");
	if (json_is_array(v) && json_array_size(v) == 1)
		v = json_array_get(v, 0);
	else if (json_is_array(v)) {
		rc =
		    hl_error_set(HL_EINVALID, "resources[0].path: one file is expected (found %zu)",
		                 json_array_size(v));
		goto done;
	}
	if (!json_is_string(v)) {
		rc = hl_error_set(HL_EINVALID, "resources[0].path: missing or not a string");
		goto done;
	}
	rpath = json_string_value(v);
	if ((fmt = jget(r, "format")) && strcasecmp(fmt, "csv")) {
		rc = hl_error_set(HL_EINVALID, "resources[0].format: \"%s\": only csv is read",
		                  shown(sv, fmt, 40));
		goto done;
	}
	if ((fmt = jget(r, "encoding")) && strcasecmp(fmt, "utf-8") && strcasecmp(fmt, "utf8")) {
		rc = hl_error_set(HL_EINVALID, "resources[0].encoding: \"%s\": only utf-8 is read",
		                  shown(sv, fmt, 40));
		goto done;
	}
	if ((v = json_object_get(r, "dialect"))) {
		const char *dl = jget(v, "delimiter");
		json_t *h = json_object_get(v, "header");
		if (!json_is_object(v)) {
			rc = hl_error_set(HL_EINVALID,
			                  "resources[0].dialect: only an inline dialect is read");
			goto done;
		}
		if ((dl && strcmp(dl, ",")) || (h && !json_is_true(h))) {
			rc = hl_error_set(HL_EINVALID,
			                  "resources[0].dialect: only comma-separated files with a "
			                  "header row are read");
			goto done;
		}
	}
	/* sizes before anything is read: the declared one, then the file's own */
	if ((v = json_object_get(r, "bytes"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			rc = hl_error_set(HL_EINVALID, "resources[0].bytes: not a whole number");
			goto done;
		}
		if (json_integer_value(v) > HL_CATALOG_MAX_FILE) {
			rc = hl_error_set(HL_ELIMIT,
			                  "resources[0].bytes: declares %lld bytes, more than the "
			                  "%lld a load reads",
			                  (long long)json_integer_value(v),
			                  (long long)HL_CATALOG_MAX_FILE);
			goto done;
		}
	}
	if ((rc = open_inside(&fd, dirfd, "resources[0].path", rpath)) < 0)
		goto done;
	if (fstat(fd, &sb) != 0) {
		rc = hl_error_set(HL_EIO, "resources[0].path: cannot read");
		goto done;
	}
	if (sb.st_size > HL_CATALOG_MAX_FILE) {
		rc = hl_error_set(HL_ELIMIT, "resources[0].path: %lld bytes, at most %lld",
		                  (long long)sb.st_size, (long long)HL_CATALOG_MAX_FILE);
		goto done;
	}
	if ((v = json_object_get(r, "bytes")) && json_integer_value(v) != (json_int_t)sb.st_size) {
		rc = hl_error_set(HL_EINVALID,
		                  "resources[0].bytes: declares %lld bytes, the file has %lld",
		                  (long long)json_integer_value(v), (long long)sb.st_size);
		goto done;
	}
	/* from here the file is read through this descriptor only: what was checked is what loads
	 */
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	if ((v = json_object_get(r, "hash"))) {
		const char *h = json_string_value(v);
		char got[65];
		int64_t size;
		if (!h || strncasecmp(h, "sha256:", 7) || strlen(h) != 7 + 64) {
			rc = hl_error_set(HL_EINVALID,
			                  "resources[0].hash: \"%s\": only a SHA-256 is checked "
			                  "(\"sha256:\" and 64 hex digits); MD5 is not",
			                  h ? shown(sv, h, 80) : "(not a string)");
			goto done;
		}
		if ((rc = hl_sha256_file(got, &size, fdpath)) < 0)
			goto done;
		if (strcasecmp(got, h + 7)) {
			rc =
			    hl_error_set(HL_EINVALID,
			                 "resources[0].hash: the file's SHA-256 is %s, the package "
			                 "says %.64s",
			                 got, h + 7);
			goto done;
		}
	}
	/* the schema: inline, or a JSON file of the folder */
	sch = json_object_get(r, "schema");
	if (json_is_string(sch)) {
		int sfd;
		json_t *doc = NULL;
		if ((rc = open_inside(&sfd, dirfd, "resources[0].schema", json_string_value(sch))) <
		    0)
			goto done;
		if ((rc = read_json_fd(&doc, sfd, 1u << 20, "resources[0].schema")) < 0)
			goto done;
		json_object_set_new(r, "schema", doc);
		sch = doc;
	}
	if (!json_is_object(sch)) {
		rc = hl_error_set(HL_EINVALID, "resources[0].schema: a Table Schema is needed");
		goto done;
	}
	{
		char *t = json_dumps(sch, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!t) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		rc = hl_schema_parse(&schema, t, strlen(t), "resources[0].schema");
		free(t);
		if (rc < 0)
			goto done;
	}
	if ((rc = header_fits(fdpath, schema, "resources[0].path")) < 0)
		goto done;

	/* the dataset: the package's metadata, what the caller gives first */
	n.id = id;
	n.title = o->title ? o->title : jget(p, "title") ? jget(p, "title") : jget(r, "title");
	if (!n.title) {
		rc = hl_error_set(HL_EINVALID, "title: the package has none (give one)");
		goto done;
	}
	n.description = o->description ? o->description : jget(p, "description");
	n.owner = o->owner ? o->owner : jget(p, "halong:owner");
	n.sector = o->sector ? o->sector : jget(p, "halong:sector");
	n.frequency = o->frequency ? o->frequency : jget(p, "halong:frequency");
	n.date = o->date ? o->date : jget(p, "halong:date");
	if ((v = json_object_get(p, "licenses")) && json_is_array(v) && json_array_size(v)) {
		json_t *l = json_array_get(v, 0);
		const char *t = jget(l, "title")  ? jget(l, "title")
		                : jget(l, "name") ? jget(l, "name")
		                                  : jget(l, "path");
		lic = t ? hl_strdup(t) : NULL;
	}
	n.licence = o->licence ? o->licence : lic;
	if ((v = json_object_get(p, "sources")) && json_is_array(v))
		prov = join_sources(v);
	n.provenance = o->provenance ? o->provenance : prov;
	if ((v = json_object_get(p, "keywords")) && json_is_array(v)) {
		size_t i;
		json_t *k;
		json_array_foreach(v, i, k)
		{
			if (!json_is_string(k) || n.nkeywords >= 100) {
				rc = hl_error_set(HL_EINVALID,
				                  "keywords: strings, at most 100 (item %zu)",
				                  i + 1);
				goto done;
			}
			kw[n.nkeywords++] = json_string_value(k);
		}
		n.keywords = kw;
	}
	n.access = o->access_given ? o->access : HL_ACCESS_INTERNAL;
	n.schema = schema;

	lo.rejects = o->rejects;
	lo.name = rpath;
	lo.progress = o->progress;
	lo.ud = o->ud;
	if (json_object_get(r, ESCAPE_PROP)) {
		/* halong's own package: the lossless formula prefix comes off before the load */
		const char *t = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/halong-dp.XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(tmpdir)) {
			tmpdir[0] = 0;
			rc = hl_error_set(HL_EIO, "cannot make a temporary folder");
			goto done;
		}
		snprintf(tmpcsv, sizeof(tmpcsv), "%s/data.csv", tmpdir);
		if ((rc = unescape_csv(fdpath, tmpcsv, schema, "resources[0].path")) < 0)
			goto done;
	}
	/* the dataset and its first version in ONE transaction (create and load run inside a
	 * caller's): a package whose data does not load leaves nothing */
	if ((rc = hl_store_begin(st)) < 0)
		goto done;
	if ((rc = hl_dataset_create(NULL, st, who, &n)) < 0) {
		hl_store_rollback(st);
		goto done;
	}
	if ((rc = hl_dataset_load(out, st, who, id, tmpdir[0] ? tmpcsv : fdpath, &lo)) < 0) {
		char why[512];
		/* the message names the package's file, never the descriptor or the copy read */
		swap_name(why, sizeof(why), hl_error_last(), tmpdir[0] ? tmpcsv : fdpath, rpath);
		hl_store_rollback(st);
		rc = hl_error_set(rc, "resources[0].path: \"%s\": %s (nothing made)",
		                  shown(sv, rpath, 200), why);
		goto done;
	}
	rc = hl_store_commit(st);
done:
	if (tmpdir[0]) {
		unlink(tmpcsv);
		rmdir(tmpdir);
	}
	if (fd >= 0)
		close(fd);
	if (dirfd >= 0)
		close(dirfd);
	json_decref(p);
	hl_table_schema_free(schema);
	free(dirpath);
	free(prov);
	free(lic);
	return rc;
}
