/* Streaming RFC 4180 CSV reader on libcsv (one record per call, bounded memory, physical line
 * numbers, strict UTF-8) and the matching writer. */
#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "halong/text.h"
#include "halong/util.h"
#include "util/util_int.h"

/* Bytes read from the file at a time; a multi-byte UTF-8 sequence cut at the end of a chunk is
 * carried over to the next (at most 3 bytes, hence the slack). A fuzzing build may set it to a
 * few bytes (>= 4) so that small inputs cross many chunk boundaries. */
#ifndef HL_CSV__CHUNK
#define HL_CSV__CHUNK (64u << 10)
#endif
#define CHUNK HL_CSV__CHUNK
#define SLACK 4
/* Smallest step by which libcsv's field buffer grows (its default, 128, is tiny). */
#define BLK (16u << 10)

/* libcsv's parser states (csv.c keeps them private; struct csv_parser exposes pstate). */
enum { ROW_NOT_BEGUN = 0, FIELD_NOT_BEGUN = 1, FIELD_BEGUN = 2, FIELD_MIGHT_HAVE_ENDED = 3 };

struct hl_csv {
	FILE *f;
	char *name;
	uint64_t size;
	uint64_t offset; /* bytes of the file handed to the parser, BOM included */

	struct csv_parser p;

	unsigned char *buf;
	size_t data_len; /* bytes of buf that are whole characters, ready to parse */
	size_t carry;    /* bytes after data_len held back for the next chunk */
	size_t pos;      /* next byte of buf to parse */
	int eof;         /* the file has been read to its end */
	int done;        /* csv_fini has run: no more records */

	uint64_t line;       /* physical line of buf[pos] */
	int prev_cr;         /* the last byte parsed was CR, so a following LF ends no new line */
	uint64_t rec_line;   /* line where the record being parsed began */
	uint64_t quote_line; /* line where the quoted field still open began */

	/* The record being collected: fields packed NUL-terminated in rec, starting at offs[i]. */
	char *rec;
	size_t rec_len, rec_cap;
	size_t *offs;
	size_t nfields, offs_cap;
	char **ptrs;
	size_t ptrs_cap;
	int ready;  /* libcsv ended a record: it is complete in rec/offs */
	int cb_err; /* a limit was crossed inside a callback (HL_ELIMIT or HL_ENOMEM) */

	size_t max_field, max_fields, max_record;

	int err; /* sticky: once an error is returned, every later call returns it again */
	char errmsg[512];
};

/* RFC 4180: spaces are part of a field. libcsv trims them unless told nothing is a space. */
static int no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static int fail(hl_csv *cs, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(hl_csv *cs, int code, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(cs->errmsg, sizeof(cs->errmsg), "%s: %s", cs->name, msg);
	cs->err = code;
	return hl_error_set(code, "%s", cs->errmsg);
}

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

static void on_field(void *data, size_t len, void *ud)
{
	hl_csv *cs = ud;
	if (cs->cb_err)
		return;
	if (cs->nfields >= cs->max_fields) {
		cs->cb_err = fail(cs, HL_ELIMIT, "line %llu: more than %zu fields in one record",
		                  (unsigned long long)cs->rec_line, cs->max_fields);
		return;
	}
	if (len > cs->max_field) {
		cs->cb_err = fail(cs, HL_ELIMIT, "line %llu: field %zu is longer than %zu bytes",
		                  (unsigned long long)cs->rec_line, cs->nfields + 1, cs->max_field);
		return;
	}
	if (cs->rec_len + len + 1 > cs->max_record) {
		cs->cb_err = fail(cs, HL_ELIMIT, "line %llu: record is longer than %zu bytes",
		                  (unsigned long long)cs->rec_line, cs->max_record);
		return;
	}
	if (grow((void **)&cs->rec, &cs->rec_cap, cs->rec_len + len + 1, 1) ||
	    grow((void **)&cs->offs, &cs->offs_cap, cs->nfields + 1, sizeof(size_t))) {
		cs->cb_err = fail(cs, HL_ENOMEM, "out of memory");
		return;
	}
	if (len)
		memcpy(cs->rec + cs->rec_len, data, len);
	cs->rec[cs->rec_len + len] = '\0';
	cs->offs[cs->nfields++] = cs->rec_len;
	cs->rec_len += len + 1;
}

static void on_record(int c, void *ud)
{
	hl_csv *cs = ud;
	(void)c;
	if (!cs->cb_err)
		cs->ready = 1;
}

/* Length of an incomplete UTF-8 sequence at the end of buf[0..len), to hold back; 0 if the
 * buffer ends on a character boundary (or on bytes that are invalid anyway). */
static size_t cut_tail(const unsigned char *b, size_t len)
{
	for (size_t k = 1; k <= 3 && k <= len; k++) {
		unsigned char c = b[len - k];
		if ((c & 0xC0) == 0x80)
			continue;
		if (c < 0xC0)
			return 0;
		size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
		return need > k ? k : 0;
	}
	return 0;
}

static int fill(hl_csv *cs)
{
	if (cs->carry)
		memmove(cs->buf, cs->buf + cs->data_len, cs->carry);
	size_t n = fread(cs->buf + cs->carry, 1, CHUNK, cs->f);
	if (n < CHUNK) {
		if (ferror(cs->f))
			return fail(cs, HL_EIO, "read error after byte %llu: %s",
			            (unsigned long long)cs->offset, strerror(errno));
		cs->eof = 1;
	}
	size_t total = cs->carry + n;
	cs->data_len = cs->eof ? total : total - cut_tail(cs->buf, total);
	cs->carry = total - cs->data_len;
	cs->pos = 0;
	return 0;
}

static int in_open_quote(const struct csv_parser *p)
{
	return p->quoted && (p->pstate == FIELD_BEGUN || p->pstate == FIELD_MIGHT_HAVE_ENDED);
}

/* Parses one segment: the bytes up to and including the next CR or LF (or to the end of the
 * buffer). A segment lies on one physical line, so a record that begins in it begins on
 * cs->line, and libcsv can end at most one record in it, at its last byte. */
static int feed(hl_csv *cs)
{
	const unsigned char *s = cs->buf + cs->pos;
	size_t avail = cs->data_len - cs->pos, len = 0;
	while (len < avail && s[len] != '\r' && s[len] != '\n')
		len++;
	if (len < avail)
		len++;

	const void *nul = memchr(s, 0, len);
	if (nul)
		return fail(
		    cs, HL_EINVALID,
		    "line %llu: NUL byte (byte offset %llu); is the file UTF-16? save it as "
		    "UTF-8",
		    (unsigned long long)cs->line,
		    (unsigned long long)(cs->offset + ((const unsigned char *)nul - s)));
	size_t bad;
	if (hl_text_check_utf8((const char *)s, len, &bad) < 0)
		return fail(cs, HL_EINVALID,
		            "line %llu: not valid UTF-8 (byte offset %llu); save the file as UTF-8",
		            (unsigned long long)cs->line, (unsigned long long)(cs->offset + bad));

	if (cs->p.pstate == ROW_NOT_BEGUN)
		cs->rec_line = cs->line;
	int was_open = in_open_quote(&cs->p);
	size_t nf = cs->nfields;

	/* Grow libcsv's field buffer geometrically: by a fixed step, a 16 MiB field would be
	 * copied a thousand times. */
	size_t have = csv_get_buffer_size(&cs->p);
	csv_set_blk_size(&cs->p, have > BLK ? have : BLK);
	size_t n = csv_parse(&cs->p, s, len, on_field, on_record, cs);
	if (cs->cb_err)
		return cs->cb_err;
	if (n < len || csv_error(&cs->p) != CSV_SUCCESS) {
		if (csv_error(&cs->p) != CSV_EPARSE)
			return fail(cs, HL_ENOMEM, "line %llu: %s", (unsigned long long)cs->line,
			            csv_strerror(csv_error(&cs->p)));
		if (cs->p.pstate == FIELD_MIGHT_HAVE_ENDED)
			return fail(cs, HL_EINVALID,
			            "line %llu: text after the closing quote of field %zu (byte "
			            "offset %llu); a quote inside a quoted field must be doubled",
			            (unsigned long long)cs->line, cs->nfields + 1,
			            (unsigned long long)(cs->offset + n));
		return fail(
		    cs, HL_EINVALID,
		    "line %llu: quote inside unquoted field %zu (byte offset %llu); a field "
		    "holding quotes must be enclosed in quotes, each quote doubled",
		    (unsigned long long)cs->line, cs->nfields + 1,
		    (unsigned long long)(cs->offset + n));
	}
	/* A quoted field now open began on this line if none was open before, or if a field
	 * ended on this line (so the open one started after it). */
	if (in_open_quote(&cs->p) && (!was_open || cs->nfields != nf))
		cs->quote_line = cs->line;

	/* libcsv grows its field buffer without bound: stop a runaway field after at most one
	 * segment (<= CHUNK bytes) past the limit. */
	if (!cs->ready && cs->p.entry_pos > cs->max_field)
		return fail(cs, HL_ELIMIT, "line %llu: field %zu is longer than %zu bytes",
		            (unsigned long long)cs->rec_line, cs->nfields + 1, cs->max_field);
	if (!cs->ready && cs->rec_len + cs->p.entry_pos > cs->max_record)
		return fail(cs, HL_ELIMIT, "line %llu: record is longer than %zu bytes",
		            (unsigned long long)cs->rec_line, cs->max_record);

	unsigned char last = s[len - 1];
	if (last == '\r') {
		cs->line++;
		cs->prev_cr = 1;
	} else if (last == '\n') {
		/* Only an LF right after a CR (so alone in its segment) ends no new line. */
		if (!(len == 1 && cs->prev_cr))
			cs->line++;
		cs->prev_cr = 0;
	} else {
		cs->prev_cr = 0;
	}
	cs->pos += len;
	cs->offset += len;
	return 0;
}

static int finish(hl_csv *cs)
{
	cs->done = 1;
	if (csv_fini(&cs->p, on_field, on_record, cs) != 0) {
		if (cs->quote_line != cs->rec_line)
			return fail(
			    cs, HL_EINVALID,
			    "line %llu: quoted field never closed (the record starts at line "
			    "%llu)",
			    (unsigned long long)cs->quote_line, (unsigned long long)cs->rec_line);
		return fail(cs, HL_EINVALID, "line %llu: quoted field never closed",
		            (unsigned long long)cs->quote_line);
	}
	return cs->cb_err;
}

void hl_csv_free(hl_csv *cs)
{
	if (!cs)
		return;
	csv_free(&cs->p);
	if (cs->f)
		fclose(cs->f);
	free(cs->name);
	free(cs->buf);
	free(cs->rec);
	free(cs->offs);
	free(cs->ptrs);
	free(cs);
}

int hl_util__csv_open_file(hl_csv **out, FILE *f, const char *name, uint64_t size)
{
	hl_csv *cs = calloc(1, sizeof(*cs));
	if (!cs) {
		fclose(f);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	cs->f = f;
	cs->size = size;
	cs->line = 1;
	cs->rec_line = 1;
	cs->quote_line = 1;
	cs->max_field = HL_CSV_MAX_FIELD;
	cs->max_fields = HL_CSV_MAX_FIELDS;
	cs->max_record = HL_CSV__MAX_RECORD;
	cs->name = hl_strdup(name ? name : "csv");
	cs->buf = malloc(CHUNK + SLACK);
	if (!cs->name || !cs->buf || csv_init(&cs->p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		hl_csv_free(cs);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	csv_set_space_func(&cs->p, no_space);

	int rc = fill(cs);
	if (rc < 0)
		goto fail;
	const unsigned char *b = cs->buf;
	size_t n = cs->data_len + cs->carry;
	if (n >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF))) {
		rc = hl_error_set(HL_EINVALID, "%s: line 1: the file is UTF-16; save it as UTF-8",
		                  cs->name);
		goto fail;
	}
	if (cs->data_len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) {
		cs->pos = 3;
		cs->offset = 3;
	}
	*out = cs;
	return 0;
fail:
	hl_csv_free(cs);
	return rc;
}

int hl_csv_open_named(hl_csv **out, const char *path, const char *name)
{
	FILE *f = fopen(path, "rb");
	if (!name)
		name = path;
	if (!f) {
		if (errno == ENOENT)
			return hl_error_set(HL_ENOTFOUND, "%s: no such file", name);
		return hl_error_set(HL_EIO, "%s: %s", name, strerror(errno));
	}
	struct stat st;
	if (fstat(fileno(f), &st) != 0) {
		int e = errno;
		fclose(f);
		return hl_error_set(HL_EIO, "%s: %s", name, strerror(e));
	}
	if (S_ISDIR(st.st_mode)) {
		fclose(f);
		return hl_error_set(HL_EINVALID, "%s: is a directory, not a CSV file", name);
	}
	return hl_util__csv_open_file(out, f, name, S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0);
}

int hl_csv_open(hl_csv **out, const char *path)
{
	return hl_csv_open_named(out, path, NULL);
}

void hl_util__csv_set_limits(hl_csv *cs, size_t max_field, size_t max_fields, size_t max_record)
{
	if (max_field)
		cs->max_field = max_field;
	if (max_fields)
		cs->max_fields = max_fields;
	if (max_record)
		cs->max_record = max_record;
}

size_t hl_util__csv_mem(const hl_csv *cs)
{
	return CHUNK + SLACK + cs->rec_cap + cs->offs_cap * sizeof(size_t) +
	       cs->ptrs_cap * sizeof(char *) + csv_get_buffer_size((struct csv_parser *)&cs->p);
}

static int all_empty(const hl_csv *cs)
{
	for (size_t i = 0; i < cs->nfields; i++)
		if (cs->rec[cs->offs[i]])
			return 0;
	return 1;
}

int hl_csv_next(hl_csv *cs, char ***fields, size_t *nfields, uint64_t *line)
{
	if (cs->err)
		return hl_error_set(cs->err, "%s", cs->errmsg);
	/* The record handed out last time is no longer needed. */
	cs->nfields = 0;
	cs->rec_len = 0;
	for (;;) {
		if (cs->ready) {
			cs->ready = 0;
			/* Blank lines and rows of only empty fields (",,,", as spreadsheets
			 * write for blank rows) carry nothing: skip them. */
			if (all_empty(cs)) {
				cs->nfields = 0;
				cs->rec_len = 0;
				continue;
			}
			if (grow((void **)&cs->ptrs, &cs->ptrs_cap, cs->nfields + 1,
			         sizeof(char *)))
				return fail(cs, HL_ENOMEM, "out of memory");
			for (size_t i = 0; i < cs->nfields; i++)
				cs->ptrs[i] = cs->rec + cs->offs[i];
			cs->ptrs[cs->nfields] = NULL;
			*fields = cs->ptrs;
			*nfields = cs->nfields;
			*line = cs->rec_line;
			return 1;
		}
		if (cs->done)
			return 0;
		int rc;
		if (cs->pos < cs->data_len)
			rc = feed(cs);
		else if (!cs->eof)
			rc = fill(cs);
		else
			rc = finish(cs);
		if (rc < 0)
			return rc;
	}
}

uint64_t hl_csv_offset(const hl_csv *cs)
{
	return cs->offset;
}

uint64_t hl_csv_size(const hl_csv *cs)
{
	return cs->size;
}

/* RFC 4180 quoting where a reader could misread the field: separators, quotes, line breaks,
 * leading or trailing spaces (which many readers trim), and a leading U+FEFF (at the start of a
 * file, readers take it for a BOM and drop it). */
static int needs_quotes(const char *s, size_t len)
{
	if (!len)
		return 0;
	if (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t')
		return 1;
	if (!strncmp(s, "\xEF\xBB\xBF", 3))
		return 1;
	return strpbrk(s, ",\"\r\n") != NULL;
}

int hl_csv_write(FILE *f, const char *const *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *s = fields[i] ? fields[i] : "";
		size_t len = strlen(s);
		if (i && fputc(',', f) == EOF)
			goto io;
		if (needs_quotes(s, len)) {
			if (fputc('"', f) == EOF)
				goto io;
			for (const char *q; (q = strchr(s, '"')); s = q + 1)
				if (fwrite(s, 1, (size_t)(q - s) + 1, f) != (size_t)(q - s) + 1 ||
				    fputc('"', f) == EOF)
					goto io;
			if (fputs(s, f) == EOF || fputc('"', f) == EOF)
				goto io;
		} else if (len && fwrite(s, 1, len, f) != len) {
			goto io;
		}
	}
	if (fputs("\r\n", f) == EOF)
		goto io;
	return 0;
io:
	return hl_error_set(HL_EIO, "cannot write CSV: %s", strerror(errno));
}
