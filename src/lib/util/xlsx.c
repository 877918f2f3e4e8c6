/* Streaming XLSX reader on libzip (the container) and expat (the XML): one row of one worksheet
 * per call, the shape of the CSV reader, with the limits an uploaded file needs. */
#include <errno.h>
#include <expat.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

#include "halong/text.h"
#include "halong/util.h"
#include "util/util_int.h"

#define CHUNK (64u << 10)
/* Bytes of a cell's XML text collected at most: the longest way to write 32,767 characters is
 * as _xHHHH_ escapes, 7 bytes each. The exact limit is checked on the decoded text. */
#define MAX_RAW (7u * HL_XLSX__MAX_CELL)
/* expat's separator between a namespace and a local name: a byte XML text cannot hold. */
#define NS_SEP   '\x01'
#define WORKBOOK "xl/workbook.xml"

enum { FMT_NONE, FMT_DATE, FMT_TIME, FMT_ELAPSED };

/* What a part's parser does with an element: its local name (without the namespace), and the
 * depth of the element (1 for the root). */
typedef void (*start_fn)(hl_xlsx *x, const char *l, const char **atts);
typedef void (*end_fn)(hl_xlsx *x, const char *l, int depth);

struct hl_xlsx {
	char *name; /* the path or the name given: every message starts with it */
	zip_t *zip;
	XML_Parser p;
	start_fn on_start;
	end_fn on_end;
	char part[1100];      /* the part being parsed, for messages */
	int depth;            /* of the element open */
	int in_a, in_b, in_c; /* elements open that decide what text is collected (per part) */

	/* workbook.xml and its relationships */
	char *want, *sheet, *rid; /* sheet asked for; the one found and its r:id */
	char names[600];          /* the sheets, for "not found" */
	int names_cut, nsheets, date1904;
	char *sheet_target, *sheet_type, *sst_target, *styles_target;

	/* shared strings, packed NUL-terminated in sst, the i-th at sst_off[i] */
	char *sst;
	size_t sst_len, sst_cap, *sst_off, nsst, sst_off_cap;
	/* number formats: the kind of each numFmtId (< 65536) and of each cell format (cellXfs) */
	unsigned char *fmt, *xf;
	size_t nxf, xf_cap;

	/* the text being collected (a shared string or a cell's value) */
	char *text;
	size_t text_len, text_cap;

	/* the sheet */
	zip_file_t *zf;
	uint64_t part_size, part_read;
	size_t chunk;
	int final, suspended, done;
	int data_depth, row_depth, cell_depth; /* of sheetData, the row and the cell open, or 0 */
	uint64_t row;                          /* the row open, or the last one */
	long col;                              /* the cell open, or the last one of the row */
	char type;                             /* of the cell open: s i b f n e d */
	size_t style;
	int in_v;

	/* the row being collected: fields packed NUL-terminated in rec, the i-th at offs[i] */
	char *rec;
	size_t rec_len, rec_cap, *offs, nf, offs_cap;
	char **ptrs;
	size_t ptrs_cap;
	int ready;

	int err; /* sticky: once an error is returned, every later call returns it again */
	char errmsg[1024];
};

static int fail(hl_xlsx *x, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(hl_xlsx *x, int code, const char *fmt, ...)
{
	char msg[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hl_error_set(code, "%s: %s", x->name, msg);
	snprintf(x->errmsg, sizeof(x->errmsg), "%s", hl_error_last());
	x->err = code;
	return code;
}

/* A failure inside an expat handler: recorded, and the parser stopped (handlers that expat still
 * calls return at once on x->err). */
#define CB_FAIL(x, ...)                                                                            \
	do {                                                                                       \
		fail(x, __VA_ARGS__);                                                              \
		XML_StopParser((x)->p, XML_FALSE);                                                 \
	} while (0)

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

/* ---- names, attributes, numbers ---- */

static const char *local(const char *name)
{
	const char *s = strrchr(name, NS_SEP);
	return s ? s + 1 : name;
}

static const char *attr(const char **atts, const char *name)
{
	for (; *atts; atts += 2)
		if (!strcmp(atts[0], name))
			return atts[1];
	return NULL;
}

/* r:id: the attribute "id" in a namespace (the relationships one, whatever its prefix). */
static const char *attr_rid(const char **atts)
{
	for (; *atts; atts += 2) {
		const char *s = strrchr(atts[0], NS_SEP);
		if (s && !strcmp(s + 1, "id"))
			return atts[1];
	}
	return NULL;
}

/* A decimal number of at most 9 digits, nothing else. */
static int parse_uint(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t n = 0;
	for (; s[n] >= '0' && s[n] <= '9'; n++)
		v = v * 10 + (uint64_t)(s[n] - '0');
	if (!n || n > 9 || s[n])
		return -1;
	*out = v;
	return 0;
}

static int ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);
	return a >= b && !strcmp(s + a - b, tail);
}

static size_t count_chars(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

/* "C" for column 2, "AA" for 26. */
static void col_name(char out[8], long col)
{
	char tmp[8];
	int n = 0;
	for (long c = col + 1; c > 0 && n < 7; c = (c - 1) / 26)
		tmp[n++] = (char)('A' + (c - 1) % 26);
	for (int i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
}

/* A value from the file quoted in a message: at most `size` - 1 bytes, never cut inside a
 * character. */
#define QUOTE(s, size) quote((char[size]){0}, size, s)
static const char *quote(char *buf, size_t size, const char *s)
{
	snprintf(buf, size, "%s", s);
	hl_str_cut_utf8(buf);
	return buf;
}

/* ---- text ---- */

static int text_add(hl_xlsx *x, const char *s, size_t len)
{
	if (x->text_len + len > MAX_RAW)
		return HL_ELIMIT;
	if (grow((void **)&x->text, &x->text_cap, x->text_len + len + 1, 1))
		return HL_ENOMEM;
	memcpy(x->text + x->text_len, s, len);
	x->text_len += len;
	x->text[x->text_len] = '\0';
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* OOXML writes a character XML cannot hold (a control character) as _xHHHH_, and a "_" that
 * would start such an escape as _x005F_ (ST_Xstring): decoded as Excel does, in place (never
 * longer). _x0000_ and surrogates are left as they are. */
static size_t unescape(char *s, size_t len)
{
	size_t o = 0, i = 0;
	while (i < len) {
		unsigned c = 0;
		int ok = s[i] == '_' && i + 7 <= len && s[i + 1] == 'x' && s[i + 6] == '_';
		for (int k = 2; ok && k < 6; k++) {
			int h = hexval(s[i + k]);
			ok = h >= 0;
			c = c * 16 + (unsigned)h;
		}
		if (!ok || !c || (c >= 0xD800 && c <= 0xDFFF)) {
			s[o++] = s[i++];
			continue;
		}
		if (c < 0x80) {
			s[o++] = (char)c;
		} else if (c < 0x800) {
			s[o++] = (char)(0xC0 | (c >> 6));
			s[o++] = (char)(0x80 | (c & 0x3F));
		} else {
			s[o++] = (char)(0xE0 | (c >> 12));
			s[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
			s[o++] = (char)(0x80 | (c & 0x3F));
		}
		i += 7;
	}
	s[o] = '\0';
	return o;
}

/* ---- dates ---- */

/* What a number format shows: a date (d, y, or m for a month), only a time of day (h, s, m for
 * minutes, AM/PM), a duration ([h], [mm], [ss]: elapsed time), or none of them. Quoted text,
 * escaped characters and other [...] (colours, locales) say nothing. */
static int fmt_kind(const char *f)
{
	int date = 0, time = 0, elapsed = 0;
	char prev = 0; /* the last of d y h m s seen, lower case */
	for (const char *p = f; *p; p++) {
		char c = (char)(*p | 0x20);
		if (*p == '"') {
			p = strchr(p + 1, '"');
			if (!p)
				break;
		} else if (*p == '\\' || *p == '_' || *p == '*') {
			if (!*++p)
				break;
		} else if (*p == '[') {
			const char *e = strchr(p, ']');
			if (!e)
				break;
			if (e > p + 1 && strspn(p + 1, "hHmMsS") == (size_t)(e - p - 1)) {
				elapsed = 1;
				prev = (char)(e[-1] | 0x20);
			}
			p = e;
		} else if (!strncasecmp(p, "am/pm", 5) || !strncasecmp(p, "a/p", 3)) {
			time = 1;
			p += (p[1] | 0x20) == 'm' ? 4 : 2;
		} else if (c == 'd' || c == 'y') {
			date = 1;
			prev = c;
		} else if (c == 'h' || c == 's') {
			time = 1;
			prev = c;
		} else if (c == 'm') {
			/* minutes after an hour or before seconds, else a month */
			const char *next = p + strspn(p, "mM");
			next += strcspn(next, "dDyYhHsS");
			if (prev == 'h' || (*next | 0x20) == 's')
				time = 1;
			else
				date = 1;
			p += strspn(p, "mM") - 1;
			prev = 'm';
		}
	}
	return date ? FMT_DATE : elapsed ? FMT_ELAPSED : time ? FMT_TIME : FMT_NONE;
}

/* Excel's built-in formats that are dates (14-17, 22), times (18-21, 45, 47) and a duration
 * (46, [h]:mm:ss). */
static int builtin_kind(unsigned id)
{
	if ((id >= 14 && id <= 17) || id == 22)
		return FMT_DATE;
	if ((id >= 18 && id <= 21) || id == 45 || id == 47)
		return FMT_TIME;
	return id == 46 ? FMT_ELAPSED : FMT_NONE;
}

/* The proleptic Gregorian date of a day counted from 1970-01-01 (H. Hinnant's algorithm). */
static void civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* A serial day number as ISO 8601 text in out; 0, or -1 when `v` is not a number of days Excel
 * shows as a date (negative, past 9999, not a plain decimal number): then it stays as written.
 * 1900 system: day 1 is 1900-01-01 and Excel counts a 29 February 1900 that never was (day 60,
 * read as 1900-03-01); 1904 system: day 0 is 1904-01-01. */
static int date_text(char out[32], const char *v, int kind, int date1904)
{
	if (!*v || strspn(v, "0123456789.eE+-") != strlen(v))
		return -1;
	char *end;
	double d = strtod(v, &end);
	if (*end || !isfinite(d) || d < 0 || d >= 2958466)
		return -1;
	int64_t secs = (int64_t)floor(d * 86400 + 0.5), day = secs / 86400;
	unsigned s = (unsigned)(secs % 86400);
	if (kind == FMT_ELAPSED || (kind == FMT_TIME && day == 0)) {
		/* a time of day, or a duration in hours as Excel shows it ("30:00:00") */
		snprintf(out, 32, "%02lld:%02u:%02u", (long long)(secs / 3600), s / 60 % 60,
		         s % 60);
		return 0;
	}
	if (date1904)
		day -= 24107; /* 1904-01-01 */
	else
		day += (day < 61) - 25569; /* 1899-12-30, and the missing 29 February */
	int64_t y;
	unsigned mo, dd;
	civil(day, &y, &mo, &dd);
	if (y > 9999)
		return -1;
	if (s)
		snprintf(out, 32, "%04d-%02u-%02uT%02u:%02u:%02u", (int)y, mo, dd, s / 3600,
		         s / 60 % 60, s % 60);
	else
		snprintf(out, 32, "%04d-%02u-%02u", (int)y, mo, dd);
	return 0;
}

/* ---- parts ---- */

static XML_Parser new_parser(hl_xlsx *x, start_fn start, end_fn end, XML_CharacterDataHandler text);

/* Sizes a part declares, checked before a byte of it is inflated. */
static int check_part(hl_xlsx *x, zip_int64_t idx, const char *part, uint64_t *size)
{
	zip_stat_t st;
	if (zip_stat_index(x->zip, (zip_uint64_t)idx, 0, &st) != 0 ||
	    (st.valid & (ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE)) !=
	        (ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE))
		return fail(x, HL_EINVALID, "%s: size unknown", part);
	if (st.size > HL_XLSX__MAX_PART)
		return fail(x, HL_ELIMIT, "%s: %llu bytes uncompressed, more than the limit of %u",
		            part, (unsigned long long)st.size, HL_XLSX__MAX_PART);
	if (st.size > HL_XLSX__RATIO_FROM && st.size > (uint64_t)HL_XLSX__MAX_RATIO * st.comp_size)
		return fail(x, HL_ELIMIT,
		            "%s: compressed more than %d:1 (%llu bytes from %llu), refused as a "
		            "zip bomb",
		            part, HL_XLSX__MAX_RATIO, (unsigned long long)st.size,
		            (unsigned long long)st.comp_size);
	*size = st.size;
	return 0;
}

/* Opens a part for reading after checking its sizes; *zf NULL (and 0 returned) when the part is
 * missing and optional. */
static int open_part(hl_xlsx *x, const char *part, int required, zip_file_t **zf)
{
	*zf = NULL;
	snprintf(x->part, sizeof(x->part), "%s", part);
	zip_int64_t idx = zip_name_locate(x->zip, part, ZIP_FL_NOCASE);
	if (idx < 0)
		return required ? fail(x, HL_EINVALID, "%s is missing", part) : 0;
	int rc = check_part(x, idx, part, &x->part_size);
	if (rc < 0)
		return rc;
	x->part_read = 0;
	*zf = zip_fopen_index(x->zip, (zip_uint64_t)idx, 0);
	if (!*zf)
		return fail(x, HL_EINVALID, "%s: %s", part, zip_strerror(x->zip));
	return 0;
}

/* Feeds expat the next chunk of the part (or, at its end, the final empty one). At most the
 * size the part declares is read, which is what was checked: one byte more is refused. */
static enum XML_Status feed(hl_xlsx *x)
{
	uint64_t left = x->part_size - x->part_read;
	size_t want = left < x->chunk ? (size_t)left : x->chunk;
	void *buf = XML_GetBuffer(x->p, want ? (int)want : 1);
	if (!buf) {
		fail(x, HL_ENOMEM, "out of memory");
		return XML_STATUS_ERROR;
	}
	zip_int64_t n = zip_fread(x->zf, buf, want ? want : 1);
	if (n < 0) {
		fail(x, HL_EIO, "%s: damaged (%s)", x->part, zip_file_strerror(x->zf));
		return XML_STATUS_ERROR;
	}
	if (!want && n) {
		fail(x, HL_ELIMIT, "%s: inflates to more than the %llu bytes it declares", x->part,
		     (unsigned long long)x->part_size);
		return XML_STATUS_ERROR;
	}
	x->part_read += (uint64_t)n;
	x->final = n == 0;
	return XML_ParseBuffer(x->p, (int)n, x->final);
}

static int xml_failed(hl_xlsx *x)
{
	if (x->err)
		return x->err;
	return fail(x, HL_EINVALID, "%s: line %lu, column %lu: %s", x->part,
	            (unsigned long)XML_GetCurrentLineNumber(x->p),
	            (unsigned long)XML_GetCurrentColumnNumber(x->p) + 1, /* expat's is 0-based */
	            XML_ErrorString(XML_GetErrorCode(x->p)));
}

static void close_part(hl_xlsx *x)
{
	if (x->p)
		XML_ParserFree(x->p);
	if (x->zf)
		zip_fclose(x->zf);
	x->p = NULL;
	x->zf = NULL;
}

/* Parses a whole part (the workbook, its relationships, the shared strings, the styles) through
 * the handlers given, a chunk at a time. */
static int read_part(hl_xlsx *x, const char *part, int required, start_fn start, end_fn end,
                     XML_CharacterDataHandler text)
{
	int rc = open_part(x, part, required, &x->zf);
	if (rc < 0 || !x->zf)
		return rc;
	x->p = new_parser(x, start, end, text);
	if (!x->p)
		rc = fail(x, HL_ENOMEM, "out of memory");
	x->final = 0;
	x->in_a = x->in_b = x->in_c = 0;
	while (!rc && !x->final)
		if (feed(x) != XML_STATUS_OK)
			rc = xml_failed(x);
	close_part(x);
	return rc;
}

/* The part a relationship of the workbook names: Target is relative to xl/, or absolute from the
 * package's root; "." and ".." are resolved. -1 when the part is not inside xl/. */
static int resolve(char out[1100], const char *target)
{
	char tmp[1100];
	if (strlen(target) > 1024)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s%s", target[0] == '/' ? "" : "xl/",
	         target + (target[0] == '/'));
	size_t len = 0;
	char *save = NULL;
	for (char *seg = strtok_r(tmp, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
		if (!strcmp(seg, "."))
			continue;
		if (!strcmp(seg, "..")) {
			if (!len)
				return -1;
			char *slash = memrchr(out, '/', len);
			len = slash ? (size_t)(slash - out) : 0;
			continue;
		}
		/* never longer than tmp: segments are only dropped */
		len += (size_t)snprintf(out + len, 1100 - len, "%s%s", len ? "/" : "", seg);
	}
	out[len] = '\0';
	return strncmp(out, "xl/", 3) ? -1 : 0;
}

/* ---- handlers: workbook.xml ---- */

static void wb_start(hl_xlsx *x, const char *l, const char **atts)
{
	if (!strcmp(l, "workbookPr")) {
		const char *d = attr(atts, "date1904");
		x->date1904 = d && (!strcmp(d, "1") || !strcmp(d, "true"));
	} else if (!strcmp(l, "sheet")) {
		const char *n = attr(atts, "name"), *id = attr_rid(atts);
		if (!n || !id) {
			CB_FAIL(x, HL_EINVALID, "%s: a sheet without a name or an r:id", x->part);
			return;
		}
		x->nsheets++;
		if (!x->sheet && (!x->want || !strcmp(n, x->want))) {
			x->sheet = hl_strdup(n);
			x->rid = hl_strdup(id);
			if (!x->sheet || !x->rid)
				CB_FAIL(x, HL_ENOMEM, "out of memory");
		}
		size_t len = strlen(x->names), nl = strlen(n);
		if (len + nl + 2 < sizeof(x->names) - 8 && !x->names_cut)
			snprintf(x->names + len, sizeof(x->names) - len, "%s%s", len ? ", " : "",
			         n);
		else
			x->names_cut = 1;
	}
}

/* ---- handlers: xl/_rels/workbook.xml.rels ---- */

static int set_target(hl_xlsx *x, char **dst, const char *target)
{
	char part[1100];
	if (resolve(part, target) < 0) {
		CB_FAIL(x, HL_EINVALID, "%s: relationship target \"%s\" is outside xl/", x->part,
		        QUOTE(target, 201));
		return -1;
	}
	*dst = hl_strdup(part);
	if (!*dst)
		CB_FAIL(x, HL_ENOMEM, "out of memory");
	return *dst ? 0 : -1;
}

static void rels_start(hl_xlsx *x, const char *l, const char **atts)
{
	if (strcmp(l, "Relationship"))
		return;
	const char *id = attr(atts, "Id"), *type = attr(atts, "Type"),
	           *target = attr(atts, "Target");
	const char *mode = attr(atts, "TargetMode");
	if (!id || !type || !target || (mode && !strcmp(mode, "External")))
		return;
	if (!x->sheet_target && !strcmp(id, x->rid)) {
		if (!set_target(x, &x->sheet_target, target) && !(x->sheet_type = hl_strdup(type)))
			CB_FAIL(x, HL_ENOMEM, "out of memory");
	} else if (!x->sst_target && ends_with(type, "/sharedStrings")) {
		set_target(x, &x->sst_target, target);
	} else if (!x->styles_target && ends_with(type, "/styles")) {
		set_target(x, &x->styles_target, target);
	}
}

/* ---- handlers: shared strings (in_a: si, in_b: t, in_c: rPh) ---- */

static void sst_start(hl_xlsx *x, const char *l, const char **atts)
{
	if (!strcmp(l, "si")) {
		x->in_a++;
		x->text_len = 0;
	} else if (!strcmp(l, "t")) {
		x->in_b++;
	} else if (!strcmp(l, "rPh")) {
		x->in_c++; /* phonetic reading: not part of the text */
	}
}

/* The text of <t> elements, but not of phonetic readings (rPh). */
static void sst_text(void *ud, const XML_Char *s, int len)
{
	hl_xlsx *x = ud;
	if (x->err || !x->in_a || !x->in_b || x->in_c)
		return;
	int rc = text_add(x, s, (size_t)len);
	if (rc == HL_ELIMIT)
		CB_FAIL(x, HL_ELIMIT, "%s: shared string %zu is longer than %d characters", x->part,
		        x->nsst, HL_XLSX__MAX_CELL);
	else if (rc)
		CB_FAIL(x, HL_ENOMEM, "out of memory");
}

static void sst_end(hl_xlsx *x, const char *l, int depth)
{
	if (!strcmp(l, "t")) {
		x->in_b--;
		return;
	}
	if (!strcmp(l, "rPh")) {
		x->in_c--;
		return;
	}
	if (strcmp(l, "si"))
		return;
	x->in_a--;
	if (x->nsst >= HL_XLSX__MAX_STRINGS) {
		CB_FAIL(x, HL_ELIMIT, "%s: more than %d shared strings", x->part,
		        HL_XLSX__MAX_STRINGS);
		return;
	}
	size_t len = x->text_len ? unescape(x->text, x->text_len) : 0;
	if (count_chars(x->text, len) > HL_XLSX__MAX_CELL) {
		CB_FAIL(x, HL_ELIMIT, "%s: shared string %zu is longer than %d characters", x->part,
		        x->nsst, HL_XLSX__MAX_CELL);
		return;
	}
	if (grow((void **)&x->sst, &x->sst_cap, x->sst_len + len + 1, 1) ||
	    grow((void **)&x->sst_off, &x->sst_off_cap, x->nsst + 1, sizeof(size_t))) {
		CB_FAIL(x, HL_ENOMEM, "out of memory");
		return;
	}
	if (len)
		memcpy(x->sst + x->sst_len, x->text, len);
	x->sst[x->sst_len + len] = '\0';
	x->sst_off[x->nsst++] = x->sst_len;
	x->sst_len += len + 1;
	x->text_len = 0;
}

/* ---- handlers: styles (in_a: numFmts, in_b: cellXfs) ---- */

static void styles_start(hl_xlsx *x, const char *l, const char **atts)
{
	uint64_t id;
	if (!strcmp(l, "numFmts")) {
		x->in_a++;
	} else if (!strcmp(l, "cellXfs")) {
		x->in_b++;
	} else if (x->in_a && !strcmp(l, "numFmt")) {
		const char *code = attr(atts, "formatCode"), *s = attr(atts, "numFmtId");
		if (code && s && !parse_uint(s, &id) && id < 65536)
			x->fmt[id] = (unsigned char)fmt_kind(code);
	} else if (x->in_b && !strcmp(l, "xf")) {
		const char *s = attr(atts, "numFmtId");
		if (x->nxf >= HL_XLSX__MAX_STYLES) {
			CB_FAIL(x, HL_ELIMIT, "%s: more than %d cell formats", x->part,
			        HL_XLSX__MAX_STYLES);
			return;
		}
		if (grow((void **)&x->xf, &x->xf_cap, x->nxf + 1, 1)) {
			CB_FAIL(x, HL_ENOMEM, "out of memory");
			return;
		}
		x->xf[x->nxf++] = s && !parse_uint(s, &id) && id < 65536 ? x->fmt[id] : FMT_NONE;
	}
}

static void styles_end(hl_xlsx *x, const char *l, int depth)
{
	if (!strcmp(l, "numFmts"))
		x->in_a--;
	else if (!strcmp(l, "cellXfs"))
		x->in_b--;
}

/* ---- handlers: the sheet ---- */

static void row_start(hl_xlsx *x, const char **atts)
{
	const char *r = attr(atts, "r");
	uint64_t n = x->row + 1;
	if (r && (parse_uint(r, &n) < 0 || !n)) {
		CB_FAIL(x, HL_EINVALID, "after row %llu: row number \"%s\" is not valid",
		        (unsigned long long)x->row, QUOTE(r, 41));
		return;
	}
	if (n > HL_XLSX__MAX_ROWS) {
		CB_FAIL(x, HL_ELIMIT, "row %llu: beyond Excel's last row, %d",
		        (unsigned long long)n, HL_XLSX__MAX_ROWS);
		return;
	}
	if (n <= x->row) {
		CB_FAIL(x, HL_EINVALID, "row %llu comes after row %llu: rows out of order",
		        (unsigned long long)n, (unsigned long long)x->row);
		return;
	}
	x->row = n;
	x->col = -1;
	x->nf = 0;
	x->rec_len = 0;
	x->row_depth = x->depth;
}

/* A cell reference such as "C12": its column (0-based) and row; -1 when it is not one, -2 when
 * its column is beyond XFD. */
static int parse_ref(const char *r, long *col, uint64_t *row)
{
	long c = 0;
	size_t n = 0;
	for (; r[n] >= 'A' && r[n] <= 'Z'; n++)
		if (c <= HL_XLSX__MAX_COLS)
			c = c * 26 + (r[n] - 'A' + 1);
	if (!n || parse_uint(r + n, row) < 0 || !*row)
		return -1;
	if (c > HL_XLSX__MAX_COLS)
		return -2;
	*col = c - 1;
	return 0;
}

static void cell_start(hl_xlsx *x, const char **atts)
{
	const char *r = attr(atts, "r"), *t = attr(atts, "t"), *s = attr(atts, "s");
	long col = x->col + 1;
	uint64_t rr = x->row, st = 0;
	char ref[8];
	if (r) {
		int rc = parse_ref(r, &col, &rr);
		if (rc == -2) {
			CB_FAIL(x, HL_ELIMIT, "row %llu: cell %s is beyond column XFD",
			        (unsigned long long)x->row, QUOTE(r, 41));
			return;
		}
		if (rc < 0 || rr != x->row) {
			CB_FAIL(x, HL_EINVALID, "row %llu: cell reference \"%s\" is not %s",
			        (unsigned long long)x->row, QUOTE(r, 41),
			        rc < 0 ? "valid" : "in this row");
			return;
		}
	}
	if (col >= HL_XLSX__MAX_COLS) {
		CB_FAIL(x, HL_ELIMIT, "row %llu: more than %d cells", (unsigned long long)x->row,
		        HL_XLSX__MAX_COLS);
		return;
	}
	col_name(ref, col);
	if (col <= x->col) {
		CB_FAIL(x, HL_EINVALID, "row %llu, cell %s%llu: cells out of order or repeated",
		        (unsigned long long)x->row, ref, (unsigned long long)x->row);
		return;
	}
	static const char *const types[] = {"s", "inlineStr", "b", "str", "n", "e", "d"};
	x->type = !t ? 'n' : 0;
	for (size_t i = 0; t && i < sizeof(types) / sizeof(*types); i++)
		if (!strcmp(t, types[i]))
			x->type = "sibfned"[i];
	if (!x->type) {
		CB_FAIL(x, HL_EINVALID, "row %llu, cell %s%llu: unknown cell type \"%s\"",
		        (unsigned long long)x->row, ref, (unsigned long long)x->row, QUOTE(t, 21));
		return;
	}
	x->style = s && !parse_uint(s, &st) ? (size_t)st : 0;
	x->col = col;
	x->cell_depth = x->depth;
	x->text_len = 0;
	x->in_v = x->in_a = x->in_b = x->in_c = 0;
}

/* Puts a value at column x->col of the row, with "" in the gap before it. */
static int place(hl_xlsx *x, const char *v, size_t len)
{
	size_t col = (size_t)x->col, gap = col - x->nf;
	if (x->rec_len + gap + len + 1 > HL_XLSX__MAX_ROW_BYTES)
		return fail(x, HL_ELIMIT, "row %llu: longer than %u bytes",
		            (unsigned long long)x->row, HL_XLSX__MAX_ROW_BYTES);
	if (grow((void **)&x->rec, &x->rec_cap, x->rec_len + gap + len + 1, 1) ||
	    grow((void **)&x->offs, &x->offs_cap, col + 1, sizeof(size_t)))
		return fail(x, HL_ENOMEM, "out of memory");
	for (size_t i = x->nf; i < col; i++) {
		x->offs[i] = x->rec_len;
		x->rec[x->rec_len++] = '\0';
	}
	x->offs[col] = x->rec_len;
	memcpy(x->rec + x->rec_len, v, len);
	x->rec_len += len;
	x->rec[x->rec_len++] = '\0';
	x->nf = col + 1;
	return 0;
}

static void cell_end(hl_xlsx *x)
{
	char ref[8], date[32];
	uint64_t i;
	col_name(ref, x->col);
	const char *v = x->text_len ? x->text : "";
	size_t len = x->text_len;
	switch (x->type) {
	case 's':
		if (!len)
			break;
		if (parse_uint(v, &i) < 0 || i >= x->nsst) {
			CB_FAIL(x, HL_EINVALID,
			        "row %llu, cell %s%llu: shared string \"%s\" does not exist",
			        (unsigned long long)x->row, ref, (unsigned long long)x->row,
			        QUOTE(v, 21));
			return;
		}
		v = x->sst + x->sst_off[i];
		len = strlen(v);
		break;
	case 'i':
	case 'f':
		if (len)
			len = unescape(x->text, len);
		break;
	case 'b':
		if (len) {
			if (strcmp(v, "0") && strcmp(v, "1")) {
				CB_FAIL(x, HL_EINVALID,
				        "row %llu, cell %s%llu: boolean \"%s\" is not 0 or 1",
				        (unsigned long long)x->row, ref, (unsigned long long)x->row,
				        QUOTE(v, 21));
				return;
			}
			v = *v == '1' ? "TRUE" : "FALSE";
			len = strlen(v);
		}
		break;
	case 'n':
		if (len && x->style < x->nxf && x->xf[x->style] != FMT_NONE &&
		    !date_text(date, v, x->xf[x->style], x->date1904)) {
			v = date;
			len = strlen(v);
		}
		break;
	}
	if (count_chars(v, len) > HL_XLSX__MAX_CELL) {
		CB_FAIL(x, HL_ELIMIT, "row %llu, cell %s%llu: longer than %d characters",
		        (unsigned long long)x->row, ref, (unsigned long long)x->row,
		        HL_XLSX__MAX_CELL);
		return;
	}
	/* expat hands out UTF-8 only; checked again since it is what callers rely on. */
	if (hl_text_check_utf8(v, len, NULL) < 0) {
		CB_FAIL(x, HL_EINVALID, "row %llu, cell %s%llu: not valid UTF-8",
		        (unsigned long long)x->row, ref, (unsigned long long)x->row);
		return;
	}
	if (len && place(x, v, len) < 0)
		XML_StopParser(x->p, XML_FALSE);
}

static void sheet_start(hl_xlsx *x, const char *l, const char **atts)
{
	if (!x->data_depth) {
		if (!strcmp(l, "sheetData"))
			x->data_depth = x->depth;
	} else if (!x->row_depth) {
		if (x->depth == x->data_depth + 1 && !strcmp(l, "row"))
			row_start(x, atts);
	} else if (!x->cell_depth) {
		if (x->depth == x->row_depth + 1 && !strcmp(l, "c"))
			cell_start(x, atts);
	} else if (!strcmp(l, "v")) {
		x->in_v++;
	} else if (!strcmp(l, "is")) {
		x->in_a++;
	} else if (!strcmp(l, "t")) {
		x->in_b++;
	} else if (!strcmp(l, "rPh")) {
		x->in_c++;
	}
}

/* A cell's value: <v>, or for an inline string the <t> of <is> without phonetic readings. */
static void sheet_text(void *ud, const XML_Char *s, int len)
{
	hl_xlsx *x = ud;
	if (x->err || !x->cell_depth)
		return;
	if (x->type == 'i' ? !(x->in_a && x->in_b && !x->in_c) : !x->in_v)
		return;
	int rc = text_add(x, s, (size_t)len);
	if (rc) {
		char ref[8];
		col_name(ref, x->col);
		if (rc == HL_ELIMIT)
			CB_FAIL(x, HL_ELIMIT, "row %llu, cell %s%llu: longer than %d characters",
			        (unsigned long long)x->row, ref, (unsigned long long)x->row,
			        HL_XLSX__MAX_CELL);
		else
			CB_FAIL(x, HL_ENOMEM, "out of memory");
	}
}

static void sheet_end(hl_xlsx *x, const char *l, int depth)
{
	if (depth == x->cell_depth) {
		x->cell_depth = 0;
		cell_end(x);
	} else if (depth == x->row_depth) {
		x->row_depth = 0;
		/* A row with a value is handed out: the parser stops here until the next call. */
		if (x->nf) {
			x->ready = 1;
			XML_StopParser(x->p, XML_TRUE);
		}
	} else if (depth == x->data_depth) {
		x->data_depth = 0;
	} else if (x->cell_depth) {
		x->in_v -= !strcmp(l, "v");
		x->in_a -= !strcmp(l, "is");
		x->in_b -= !strcmp(l, "t");
		x->in_c -= !strcmp(l, "rPh");
	}
}

/* ---- the parser ---- */

/* XLSX parts have no DTD: a DOCTYPE is refused before its internal subset is read, so no entity
 * is ever declared or expanded (billion laughs), and no external entity is ever loaded. */
static void on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                       int has_internal)
{
	hl_xlsx *x = ud;
	if (!x->err)
		CB_FAIL(x, HL_EINVALID, "%s: has a DOCTYPE, which XLSX parts never have", x->part);
}

static int on_external(XML_Parser p, const XML_Char *context, const XML_Char *base,
                       const XML_Char *sysid, const XML_Char *pubid)
{
	return XML_STATUS_ERROR;
}

/* Every part's elements pass here: nesting is bounded (expat would keep a tag for each open
 * element), and the part's own handlers see local names. */
static void el_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	hl_xlsx *x = ud;
	if (x->err)
		return;
	if (++x->depth > HL_XLSX__MAX_DEPTH)
		CB_FAIL(x, HL_ELIMIT, "%s: elements nested deeper than %d", x->part,
		        HL_XLSX__MAX_DEPTH);
	else if (x->on_start)
		x->on_start(x, local(name), atts);
}

static void el_end(void *ud, const XML_Char *name)
{
	hl_xlsx *x = ud;
	int depth = x->depth--;
	if (!x->err && x->on_end)
		x->on_end(x, local(name), depth);
}

static XML_Parser new_parser(hl_xlsx *x, start_fn start, end_fn end, XML_CharacterDataHandler text)
{
	XML_Parser p = XML_ParserCreateNS(NULL, NS_SEP);
	if (!p)
		return NULL;
	x->on_start = start;
	x->on_end = end;
	x->depth = 0;
	XML_SetUserData(p, x);
	XML_SetElementHandler(p, el_start, el_end);
	XML_SetCharacterDataHandler(p, text);
	XML_SetStartDoctypeDeclHandler(p, on_doctype);
	XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
	XML_SetExternalEntityRefHandler(p, on_external);
	return p;
}

/* ---- open, next, free ---- */

void hl_xlsx_free(hl_xlsx *x)
{
	if (!x)
		return;
	close_part(x);
	if (x->zip)
		zip_discard(x->zip);
	free(x->name);
	free(x->want);
	free(x->sheet);
	free(x->rid);
	free(x->sheet_target);
	free(x->sheet_type);
	free(x->sst_target);
	free(x->styles_target);
	free(x->sst);
	free(x->sst_off);
	free(x->fmt);
	free(x->xf);
	free(x->text);
	free(x->rec);
	free(x->offs);
	free(x->ptrs);
	free(x);
}

static int setup(hl_xlsx *x, const char *sheet)
{
	int rc;
	/* Everything the zip declares, before anything is inflated. */
	zip_int64_t n = zip_get_num_entries(x->zip, 0);
	uint64_t total = 0;
	for (zip_int64_t i = 0; i < n && total <= HL_XLSX__MAX_TOTAL; i++) {
		zip_stat_t st;
		if (zip_stat_index(x->zip, (zip_uint64_t)i, 0, &st) == 0 &&
		    (st.valid & ZIP_STAT_SIZE))
			total += st.size > HL_XLSX__MAX_TOTAL ? HL_XLSX__MAX_TOTAL + 1ull : st.size;
	}
	if (total > HL_XLSX__MAX_TOTAL)
		return fail(x, HL_ELIMIT, "more than %u bytes uncompressed in the workbook",
		            HL_XLSX__MAX_TOTAL);
	if (zip_name_locate(x->zip, WORKBOOK, ZIP_FL_NOCASE) < 0)
		return fail(x, HL_EINVALID, "not an XLSX workbook (no xl/workbook.xml)");

	if (sheet && !(x->want = hl_strdup(sheet)))
		return fail(x, HL_ENOMEM, "out of memory");
	if ((rc = read_part(x, "xl/workbook.xml", 1, wb_start, NULL, NULL)) < 0)
		return rc;
	if (!x->nsheets)
		return fail(x, HL_EINVALID, "the workbook has no sheets");
	if (!x->sheet)
		return fail(x, HL_ENOTFOUND, "sheet \"%s\" not found; sheets: %s%s", sheet,
		            x->names, x->names_cut ? ", ..." : "");

	if ((rc = read_part(x, "xl/_rels/workbook.xml.rels", 1, rels_start, NULL, NULL)) < 0)
		return rc;
	if (!x->sheet_target)
		return fail(x, HL_EINVALID,
		            "sheet \"%s\": its relationship %s is not in "
		            "xl/_rels/workbook.xml.rels",
		            x->sheet, x->rid);
	if (!ends_with(x->sheet_type, "/worksheet"))
		return fail(x, HL_EINVALID, "sheet \"%s\" is not a worksheet (a chart sheet?)",
		            x->sheet);

	/* Shared strings and styles are optional: a workbook without them has neither. */
	if (x->styles_target) {
		x->fmt = malloc(65536);
		if (!x->fmt)
			return fail(x, HL_ENOMEM, "out of memory");
		memset(x->fmt, FMT_NONE, 65536);
		for (unsigned i = 14; i <= 47; i++)
			x->fmt[i] = (unsigned char)builtin_kind(i);
		rc = read_part(x, x->styles_target, 0, styles_start, styles_end, NULL);
		free(x->fmt);
		x->fmt = NULL;
		if (rc < 0)
			return rc;
	}
	if (x->sst_target &&
	    (rc = read_part(x, x->sst_target, 0, sst_start, sst_end, sst_text)) < 0)
		return rc;

	if ((rc = open_part(x, x->sheet_target, 1, &x->zf)) < 0)
		return rc;
	x->p = new_parser(x, sheet_start, sheet_end, sheet_text);
	if (!x->p)
		return fail(x, HL_ENOMEM, "out of memory");
	x->final = 0;
	return 0;
}

static int open_zip(hl_xlsx **out, zip_source_t *src, const char *name, const char *sheet)
{
	zip_error_t ze;
	zip_error_init(&ze);
	hl_xlsx *x = calloc(1, sizeof(*x));
	if (!x || !(x->name = hl_strdup(name))) {
		free(x);
		zip_source_free(src);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	x->chunk = CHUNK;
	x->zip = zip_open_from_source(src, ZIP_RDONLY, &ze);
	int rc;
	if (!x->zip) {
		zip_source_free(src);
		rc = fail(x, HL_EINVALID, "not an XLSX workbook (%s)", zip_error_strerror(&ze));
	} else {
		rc = setup(x, sheet);
	}
	zip_error_fini(&ze);
	if (rc < 0) {
		hl_xlsx_free(x);
		return rc;
	}
	*out = x;
	return 0;
}

static const char ZIP_SIG[4] = {'P', 'K', 3, 4};

int hl_util__xlsx_open_mem(hl_xlsx **out, const void *data, size_t len, const char *name,
                           const char *sheet)
{
	if (len < 4 || memcmp(data, ZIP_SIG, 4))
		return hl_error_set(HL_EINVALID, "%s: not an XLSX workbook (not a zip file)", name);
	zip_source_t *src = zip_source_buffer_create(data, len, 0, NULL);
	if (!src)
		return hl_error_set(HL_ENOMEM, "out of memory");
	return open_zip(out, src, name, sheet);
}

/* 1 when the file begins with a zip's first signature, 0 when it does not, or an error. */
static int zip_signature(const char *path)
{
	char sig[4];
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (errno == ENOENT)
			return hl_error_set(HL_ENOTFOUND, "%s: no such file", path);
		return hl_error_set(HL_EIO, "%s: %s", path, strerror(errno));
	}
	size_t n = fread(sig, 1, 4, f);
	int e = ferror(f) ? errno : 0;
	fclose(f);
	if (e)
		return hl_error_set(HL_EIO, "%s: %s", path, strerror(e));
	return n == 4 && !memcmp(sig, ZIP_SIG, 4);
}

int hl_xlsx_open(hl_xlsx **out, const char *path, const char *sheet)
{
	int rc = zip_signature(path);
	if (rc < 0)
		return rc;
	if (!rc)
		return hl_error_set(HL_EINVALID, "%s: not an XLSX workbook (not a zip file)", path);
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_file_create(path, 0, -1, &ze);
	if (!src) {
		rc = hl_error_set(HL_EIO, "%s: %s", path, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return rc;
	}
	zip_error_fini(&ze);
	return open_zip(out, src, path, sheet);
}

int hl_xlsx_is(const char *path)
{
	if (zip_signature(path) != 1)
		return 0;
	zip_t *z = zip_open(path, ZIP_RDONLY, NULL);
	int is = z && zip_name_locate(z, WORKBOOK, ZIP_FL_NOCASE) >= 0;
	if (z)
		zip_discard(z);
	return is;
}

void hl_util__xlsx_set_chunk(hl_xlsx *x, size_t chunk)
{
	if (chunk)
		x->chunk = chunk < CHUNK ? chunk : CHUNK;
}

size_t hl_util__xlsx_mem(const hl_xlsx *x)
{
	return x->sst_cap + x->sst_off_cap * sizeof(size_t) + x->xf_cap + x->text_cap + x->rec_cap +
	       x->offs_cap * sizeof(size_t) + x->ptrs_cap * sizeof(char *);
}

int hl_xlsx_next(hl_xlsx *x, char ***fields, size_t *nfields, uint64_t *row)
{
	if (x->err)
		return hl_error_set(x->err, "%s", x->errmsg);
	/* The row handed out last time is no longer needed. */
	x->ready = 0;
	x->nf = 0;
	x->rec_len = 0;
	while (!x->ready) {
		if (x->done)
			return 0;
		enum XML_Status st;
		if (x->suspended) {
			x->suspended = 0;
			st = XML_ResumeParser(x->p);
		} else {
			st = feed(x);
		}
		if (st == XML_STATUS_ERROR)
			return xml_failed(x);
		if (st == XML_STATUS_SUSPENDED)
			x->suspended = 1;
		else if (x->final)
			x->done = 1;
	}
	if (grow((void **)&x->ptrs, &x->ptrs_cap, x->nf + 1, sizeof(char *)))
		return fail(x, HL_ENOMEM, "out of memory");
	for (size_t i = 0; i < x->nf; i++)
		x->ptrs[i] = x->rec + x->offs[i];
	x->ptrs[x->nf] = NULL;
	*fields = x->ptrs;
	*nfields = x->nf;
	*row = x->row;
	return 1;
}
