/* The ingest manifest: its columns (English keys or Vietnamese headers) and the checks that turn
 * one CSV row into a document. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halong/text.h"
#include "halong/util.h"
#include "manifest_int.h"

/* Vietnamese headers are compared folded, with every run of non-alphanumerics as one space. */
static const struct {
	int col;
	const char *key;
	const char *vi[4];
} columns[] = {
    {COL_FONDS, "fonds_code", {"ma phong", "ma phong luu tru"}},
    {COL_DOSSIER, "dossier_code", {"ma ho so", "so va ky hieu ho so", "so ky hieu ho so"}},
    {COL_ORDINAL, "doc_ordinal", {"so thu tu van ban", "so thu tu", "stt"}},
    {COL_DOC_ID, "doc_id", {"ma dinh danh van ban", "ma dinh danh"}},
    {COL_NUMBER, "doc_number", {"so", "so van ban"}},
    {COL_NOTATION, "doc_notation", {"ky hieu", "ky hieu van ban"}},
    {COL_DATE, "issued_date", {"ngay thang nam van ban", "ngay ban hanh", "ngay thang nam"}},
    {COL_TYPE, "doc_type", {"ten loai van ban", "loai van ban"}},
    {COL_ISSUER, "issuer", {"co quan ban hanh", "tac gia van ban", "co quan to chuc ban hanh"}},
    {COL_SUBJECT, "subject", {"trich yeu noi dung", "trich yeu"}},
    {COL_LANGUAGE, "language", {"ngon ngu"}},
    {COL_PAGES, "page_count", {"so luong trang", "so trang", "so to"}},
    {COL_KEYWORDS, "keywords", {"tu khoa"}},
    {COL_ACCESS, "access_level", {"che do su dung", "muc do tiep can"}},
    {COL_CONFIDENCE, "confidence", {"muc do tin cay"}},
    {COL_RETENTION, "retention", {"thoi han bao quan"}},
    {COL_PHYSICAL, "physical_state", {"tinh trang vat ly"}},
    {COL_NOTES, "notes", {"ghi chu"}},
    {COL_FILES, "files", {"tep", "tep tin", "tep dinh kem"}},
    {COL_TEXT, "text", {"noi dung", "toan van"}},
    {COL_DOSSIER_TITLE, "dossier_title", {"tieu de ho so", "ten ho so"}},
    {COL_SERIES, "series_code", {"muc luc so", "ma muc luc", "ma nhom ho so"}},
    {COL_SERIES_TITLE, "series_title", {"ten muc luc", "tieu de muc luc", "ten nhom ho so"}},
};

const char *hl_manifest__key(int col)
{
	for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++)
		if (columns[i].col == col)
			return columns[i].key;
	return "?";
}

/* Folds a header cell: no tones, lower case, punctuation and spaces collapsed to one space. */
static char *header_fold(const char *h)
{
	char *f = NULL, *o;
	int space = 0;
	if (hl_text_fold(&f, h, -1) < 0)
		return NULL;
	o = f;
	for (const char *p = f; *p; p++) {
		if (isalnum((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80) {
			if (space && o != f)
				*o++ = ' ';
			space = 0;
			*o++ = *p;
		} else {
			space = 1;
		}
	}
	*o = '\0';
	return f;
}

int hl_manifest__header(hl_manifest_cols *out, char **fields, size_t n, const char *path)
{
	hl_manifest_cols m;
	for (int i = 0; i < COL__COUNT; i++)
		m.at[i] = -1;
	m.nfields = n;
	for (size_t i = 0; i < n; i++) {
		char *f;
		int found = -1;
		const char *h = fields[i];
		while (*h == ' ' || *h == '\t')
			h++;
		/* Columns we added (rejects files: _line, _column, _reason) are ignored. */
		if (*h == '_' || !*h)
			continue;
		if (!(f = header_fold(h)))
			return hl_error_set(HL_EINVALID,
			                    "%s: line 1: column %zu header is not valid UTF-8",
			                    path, i + 1);
		for (size_t c = 0; c < sizeof(columns) / sizeof(columns[0]) && found < 0; c++) {
			if (!strcmp(f, columns[c].key))
				found = columns[c].col;
			for (int v = 0; v < 4 && columns[c].vi[v] && found < 0; v++)
				if (!strcmp(f, columns[c].vi[v]))
					found = columns[c].col;
		}
		free(f);
		if (found < 0)
			return hl_error_set(
			    HL_EINVALID,
			    "%s: line 1: unknown column \"%s\" (expected the keys of "
			    "docs/cli.md, e.g. fonds_code, or their Vietnamese names, "
			    "e.g. Mã phông)",
			    path, fields[i]);
		if (m.at[found] >= 0)
			return hl_error_set(HL_EINVALID,
			                    "%s: line 1: columns %d and %zu are both %s", path,
			                    m.at[found] + 1, i + 1, hl_manifest__key(found));
		m.at[found] = (int)i;
	}
	static const int required[] = {COL_FONDS, COL_DOSSIER, COL_ORDINAL, COL_SUBJECT};
	for (size_t r = 0; r < sizeof(required) / sizeof(required[0]); r++)
		if (m.at[required[r]] < 0)
			return hl_error_set(HL_EINVALID,
			                    "%s: line 1: required column %s is missing", path,
			                    hl_manifest__key(required[r]));
	*out = m;
	return 0;
}

/* ---- value checks ---- */

static int days_in(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

/* Reads 1-4 digits; returns the count read. */
static int digits(const char *s, int *v, int max)
{
	int n = 0;
	*v = 0;
	while (n < max && isdigit((unsigned char)s[n]))
		*v = *v * 10 + (s[n++] - '0');
	return n;
}

int hl_manifest__date(char out[16], const char *s)
{
	int a, b, c, na, nb, nc;
	int y = 0, m = 0, d = 0, has_m = 0, has_d = 0;
	char sep;

	na = digits(s, &a, 4);
	if (na == 4 && !s[4]) {
		y = a;
	} else if (na == 4 && s[4] == '-') {
		nb = digits(s + 5, &b, 2);
		if (!nb)
			return -1;
		y = a, m = b, has_m = 1;
		if (s[5 + nb] == '-') {
			nc = digits(s + 6 + nb, &c, 2);
			if (!nc || s[6 + nb + nc])
				return -1;
			d = c, has_d = 1;
		} else if (s[5 + nb]) {
			return -1;
		}
	} else if (na >= 1 && na <= 2 && (s[na] == '/' || s[na] == '-' || s[na] == '.')) {
		sep = s[na];
		nb = digits(s + na + 1, &b, 4);
		if (nb == 4 && !s[na + 1 + nb]) { /* mm/yyyy */
			m = a, y = b, has_m = 1;
		} else if (nb >= 1 && nb <= 2 && s[na + 1 + nb] == sep) {
			nc = digits(s + na + 2 + nb, &c, 4);
			if (nc != 4 || s[na + 2 + nb + nc])
				return -1;
			d = a, m = b, y = c, has_m = has_d = 1;
		} else {
			return -1;
		}
	} else {
		return -1;
	}
	/* A day or month that was written must be real: 00/01/2020 is not "January 2020". */
	if (y < 1000 || y > 2999 || (has_m && (m < 1 || m > 12)) ||
	    (has_d && (d < 1 || d > days_in(y, m))))
		return -1;
	if (d)
		snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
	else if (m)
		snprintf(out, 16, "%04d-%02d", y, m);
	else
		snprintf(out, 16, "%04d", y);
	return 0;
}

int hl_manifest__int(int64_t *out, const char *s, int64_t min, int64_t max)
{
	char *end;
	long long v;
	if (!*s || !isdigit((unsigned char)*s))
		return -1;
	v = strtoll(s, &end, 10);
	if (*end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Matches a folded value against folded alternatives; returns the index or -1. */
static int fold_match(const char *s, const char *const *alts, size_t n)
{
	char *f = header_fold(s);
	int r = -1;
	if (!f)
		return -1;
	for (size_t i = 0; i < n && r < 0; i++)
		if (!strcmp(f, alts[i]))
			r = (int)i;
	free(f);
	return r;
}

const char *hl_manifest__confidence(const char *s)
{
	static const char *const alts[] = {"original",  "ban chinh",  "copy",     "ban sao",
	                                   "digitized", "ban so hoa", "digitised"};
	static const char *const canon[] = {"original",  "original",  "copy",     "copy",
	                                    "digitized", "digitized", "digitized"};
	int i = fold_match(s, alts, sizeof(alts) / sizeof(alts[0]));
	return i < 0 ? NULL : canon[i];
}

int hl_manifest__retention(char out[16], const char *s)
{
	static const char *const perm[] = {"permanent", "vinh vien"};
	char *f;
	int64_t years;
	if (fold_match(s, perm, 2) >= 0) {
		strcpy(out, "permanent");
		return 0;
	}
	if (!(f = header_fold(s)))
		return -1;
	/* "70", "70 năm", "70 years" */
	char *sp = strchr(f, ' ');
	if (sp && (!strcmp(sp, " nam") || !strcmp(sp, " years") || !strcmp(sp, " year")))
		*sp = '\0';
	int rc = hl_manifest__int(&years, f, 1, 200);
	free(f);
	if (rc < 0)
		return -1;
	snprintf(out, 16, "%lld", (long long)years);
	return 0;
}

int hl_manifest__is_image(const char *name)
{
	static const char *const ext[] = {".jpg", ".jpeg", ".png", ".tif", ".tiff"};
	size_t n = strlen(name);
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t e = strlen(ext[i]);
		if (n > e && !strcasecmp(name + n - e, ext[i]))
			return 1;
	}
	return 0;
}

/* ---- one row ---- */

typedef struct {
	hl_manifest_problem_cb cb;
	void *ud;
	int n;
} row_problems;

static void add(row_problems *p, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add(row_problems *p, int col, const char *fmt, ...)
{
	char reason[256];
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	/* A long value quoted in the reason is cut at a byte: back off to a whole character, or
	 * the rejects file would hold invalid UTF-8 that no ingest reads again. */
	if (len >= (int)sizeof(reason))
		hl_str_cut_utf8(reason);
	p->n++;
	if (p->cb)
		p->cb(col, reason, p->ud);
}

/* The value of a column in this row: "" when the header has no such column, and also when this
 * row is too short to reach it (its fields end at f[n]; past them are no fields of its own). */
static char *value(const hl_manifest_cols *cols, char **f, size_t n, int col)
{
	int i = cols->at[col];
	return i >= 0 && (size_t)i < n ? f[i] : "";
}

static char *nz(char *s)
{
	return s && *s ? s : NULL;
}

int hl_archive__manifest_row(hl_doc *d, hl_manifest_vals *vals, const hl_manifest_cols *cols,
                             char **f, size_t n, hl_manifest_problem_cb problem, void *ud)
{
	static const int required[] = {COL_FONDS, COL_DOSSIER, COL_ORDINAL, COL_SUBJECT};
	row_problems p = {problem, ud, 0};
	const char *s;

	memset(d, 0, sizeof(*d));
	if (n != cols->nfields)
		add(&p, -1, "row has %zu fields, the header has %zu", n, cols->nfields);
	for (size_t i = 0; i < n && i < cols->nfields; i++)
		hl_trim(f[i]);
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!*value(cols, f, n, required[i]))
			add(&p, required[i], "required value is empty");
	d->fonds_code = value(cols, f, n, COL_FONDS);
	d->dossier_code = value(cols, f, n, COL_DOSSIER);
	d->dossier_title = nz(value(cols, f, n, COL_DOSSIER_TITLE));
	d->series_code = nz(value(cols, f, n, COL_SERIES));
	d->series_title = nz(value(cols, f, n, COL_SERIES_TITLE));
	if (d->series_code && (strlen(d->series_code) > 64 || strchr(d->series_code, '/')))
		add(&p, COL_SERIES, "a series code has 1 to 64 bytes and no /");
	if (d->series_title && !d->series_code)
		add(&p, COL_SERIES_TITLE, "a series title without its series_code");
	if (d->series_title && strlen(d->series_title) > 1000)
		add(&p, COL_SERIES_TITLE, "at most 1000 bytes");
	if (d->dossier_title && strlen(d->dossier_title) > 1000)
		add(&p, COL_DOSSIER_TITLE, "at most 1000 bytes");
	d->subject = value(cols, f, n, COL_SUBJECT);
	s = value(cols, f, n, COL_ORDINAL);
	if (*s && hl_manifest__int(&d->ordinal, s, 1, INT32_MAX) < 0)
		add(&p, COL_ORDINAL, "\"%s\" is not a positive whole number", s);
	d->doc_number = nz(value(cols, f, n, COL_NUMBER));
	d->doc_notation = nz(value(cols, f, n, COL_NOTATION));
	s = value(cols, f, n, COL_DATE);
	if (*s) {
		if (hl_manifest__date(vals->date, s) < 0)
			add(&p, COL_DATE,
			    "bad date \"%s\" (expected dd/mm/yyyy, yyyy-mm-dd, mm/yyyy or yyyy)",
			    s);
		else
			d->issued_date = vals->date;
	}
	d->doc_type = nz(value(cols, f, n, COL_TYPE));
	d->issuer = nz(value(cols, f, n, COL_ISSUER));
	d->language = nz(value(cols, f, n, COL_LANGUAGE));
	if (!d->language)
		d->language = "vi";
	d->page_count = -1;
	s = value(cols, f, n, COL_PAGES);
	if (*s && hl_manifest__int(&d->page_count, s, 0, 10000000) < 0) {
		add(&p, COL_PAGES, "\"%s\" is not a whole number of pages", s);
		d->page_count = -1;
	}
	d->keywords = nz(value(cols, f, n, COL_KEYWORDS));
	s = value(cols, f, n, COL_ACCESS);
	/* Unmarked records are internal: nothing becomes public by omission. */
	d->access = HL_ACCESS_INTERNAL;
	if (*s && hl_access_parse(&d->access, s) < 0)
		add(&p, COL_ACCESS, "%s", hl_error_last());
	s = value(cols, f, n, COL_CONFIDENCE);
	if (*s && !(d->confidence = (char *)hl_manifest__confidence(s)))
		add(&p, COL_CONFIDENCE,
		    "unknown confidence \"%s\" (expected original/bản chính, copy/bản sao or "
		    "digitized/bản số hóa)",
		    s);
	s = value(cols, f, n, COL_RETENTION);
	if (*s) {
		if (hl_manifest__retention(vals->retention, s) < 0)
			add(&p, COL_RETENTION,
			    "bad retention \"%s\" (expected permanent/vĩnh viễn or a number of "
			    "years)",
			    s);
		else
			d->retention = vals->retention;
	}
	d->physical_state = nz(value(cols, f, n, COL_PHYSICAL));
	d->notes = nz(value(cols, f, n, COL_NOTES));
	d->text = nz(value(cols, f, n, COL_TEXT));
	s = value(cols, f, n, COL_DOC_ID);
	if (*s) {
		d->doc_id = (char *)s;
	} else if (*d->fonds_code && *d->dossier_code && d->ordinal > 0) {
		/* Stable: the same fonds, dossier and ordinal always give the same id. */
		char key[4096], hex[65];
		int kn = snprintf(key, sizeof(key), "%s\x1f%s\x1f%lld", d->fonds_code,
		                  d->dossier_code, (long long)d->ordinal);
		hl_sha256_hex(hex, key, kn < (int)sizeof(key) ? (size_t)kn : sizeof(key) - 1);
		snprintf(vals->doc_id, sizeof(vals->doc_id), "D%.20s", hex);
		d->doc_id = vals->doc_id;
	}
	return p.n;
}
