/* Importing a plan's rows (its metadata) and its task appendix (STT, nhiệm vụ, cơ quan chủ trì,
 * cơ quan phối hợp, thời gian hoàn thành, sản phẩm) from CSV or XLSX: every row checked first,
 * every bad one named, then all written in one transaction or nothing. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../store/store_plans.h"
#include "halong/plans.h"
#include "halong/units.h"
#include "halong/util.h"
#include "plans_int.h"

#define MAX_ROWS   200000
#define MAX_PIECES 64
#define MAX_CELL   20000

/* ---- rows from CSV or XLSX ---- */

typedef struct {
	hl_csv *csv;
	hl_xlsx *xlsx;
} rows;

/* Opens `path`, named `name` in every message. */
static int rows_open(rows *r, const char *path, const char *name, const char *sheet)
{
	int rc;
	memset(r, 0, sizeof(*r));
	if (!hl_xlsx_is(path)) {
		if (sheet)
			return hl_error_set(HL_EINVALID, "%s: a sheet is for an XLSX workbook",
			                    name);
		return hl_csv_open_named(&r->csv, path, name);
	}
	if ((rc = hl_xlsx_open(&r->xlsx, path, sheet)) < 0 && strcmp(path, name)) {
		/* the reader names the path: the message names the file as the user knows it */
		char msg[1100], *at;
		snprintf(msg, sizeof(msg), "%s", hl_error_last());
		if ((at = strstr(msg, path)) != NULL) {
			char out[1200];
			snprintf(out, sizeof(out), "%.*s%s%s", (int)(at - msg), msg, name,
			         at + strlen(path));
			hl_error_set(rc, "%s", out);
		}
	}
	return rc;
}

static int rows_next(rows *r, char ***f, size_t *n, uint64_t *line)
{
	return r->xlsx ? hl_xlsx_next(r->xlsx, f, n, line) : hl_csv_next(r->csv, f, n, line);
}

static void rows_free(rows *r)
{
	hl_csv_free(r->csv);
	hl_xlsx_free(r->xlsx);
}

/* ---- columns ---- */

enum {
	C_PLAN,
	C_ITEM,
	C_PARENT,
	C_TITLE,
	C_LEAD,
	C_SUPPORT,
	C_DUE,
	C_OUTPUT,
	C_WEIGHT,
	/* a plans file */
	C_NUMBER,
	C_DATE,
	C_ISSUER,
	C_PERIOD,
	C_COMPILER,
	C_EVERY,
	C_ACCESS,
	C_DOCUMENT,
	C_NOTE,
	NCOLS
};

/* The names a column goes by, folded: English keys first, then Vietnamese headers. */
static const char *const col_names[NCOLS][8] = {
    [C_PLAN] = {"plan_id", "plan", "id", "ke hoach", "ma ke hoach"},
    [C_ITEM] = {"item_no", "stt", "tt", "so tt", "so thu tu"},
    [C_PARENT] = {"parent_item_no", "parent", "thuoc", "muc cha"},
    [C_TITLE] = {"title", "nhiem vu", "noi dung", "noi dung nhiem vu", "ten nhiem vu", "trich yeu",
                 "ten ke hoach"},
    [C_LEAD] = {"lead_agency", "lead", "co quan chu tri", "don vi chu tri", "chu tri"},
    [C_SUPPORT] = {"supporting_agencies", "support", "co quan phoi hop", "don vi phoi hop",
                   "phoi hop"},
    [C_DUE] = {"due", "thoi gian hoan thanh", "thoi han", "thoi han hoan thanh", "tien do",
               "thoi gian"},
    [C_OUTPUT] = {"output", "san pham", "san pham dau ra", "ket qua", "ket qua dau ra"},
    [C_WEIGHT] = {"weight", "trong so"},
    [C_NUMBER] = {"number", "so", "so hieu", "so ky hieu"},
    [C_DATE] = {"date", "ngay", "ngay ban hanh"},
    [C_ISSUER] = {"issuer", "co quan ban hanh"},
    [C_PERIOD] = {"period", "giai doan", "thoi gian thuc hien"},
    [C_COMPILER] = {"compiler", "co quan tong hop", "don vi tong hop"},
    [C_EVERY] = {"report_every", "ky bao cao"},
    [C_ACCESS] = {"access", "do mat", "muc do tiep can"},
    [C_DOCUMENT] = {"document_id", "van ban"},
    [C_NOTE] = {"note", "ghi chu"},
};

static const char *const col_keys[NCOLS] = {
    "plan_id", "item_no",  "parent_item_no", "title",  "lead_agency", "supporting_agencies",
    "due",     "output",   "weight",         "number", "date",        "issuer",
    "period",  "compiler", "report_every",   "access", "document_id", "note"};

/* ---- the import's state ---- */

typedef struct {
	char *name; /* as written */
	char *code; /* NULL: generic or kept */
	int lead;
} piece;

typedef struct {
	uint64_t line;
	char *v[NCOLS];
	char *parent; /* derived when not written */
	int section;
	piece *ag;
	size_t nag;
	int after_generic; /* the cell's last piece was a generic phrase */
	double weight;
} row;

typedef struct {
	const char *path;
	const hl_plan_import_opts *o;
	hl_store *st;
	hl_plan_import_stats *stats;
	size_t nerrors;
	/* name (folded) → code, remembered: a plan names few agencies many times, and the cells'
	 * commas make many tries of names run together */
	struct memo {
		char *folded, *code, *err;
		char *asked; /* unknown, its message not made yet: the name as first asked */
		char date[11];
	} * memo;
	size_t nmemo, capmemo; /* capmemo: 0 or a power of 2, at most half full */
	/* the names of the import's day, read once (NULL: each name asked of the store) */
	hl_plans__names *names;
	char names_date[11];
} ctx;

static void add_error(ctx *c, uint64_t line, const char *col, const char *why)
{
	char buf[700];
	char **nv;
	c->nerrors++;
	if (c->stats->nerrors >= 1000)
		return;
	snprintf(buf, sizeof(buf), "%s:%llu: %s: %s", c->path, (unsigned long long)line, col, why);
	hl_str_one_line(buf); /* values from the file are quoted in it */
	if (!(nv = realloc(c->stats->errors, (c->stats->nerrors + 1) * sizeof(char *))))
		return;
	c->stats->errors = nv;
	if ((nv[c->stats->nerrors] = hl_strdup(buf)))
		c->stats->nerrors++;
}

static void add_note(ctx *c, uint64_t line, const char *fmt, const char *a, const char *b)
{
	char buf[600], msg[500];
	char **nv;
	if (c->stats->nnotes >= 1000)
		return;
	snprintf(msg, sizeof(msg), fmt, a, b ? b : "");
	snprintf(buf, sizeof(buf), "%s:%llu: %s", c->path, (unsigned long long)line, msg);
	hl_str_one_line(buf);
	if (!(nv = realloc(c->stats->notes, (c->stats->nnotes + 1) * sizeof(char *))))
		return;
	c->stats->notes = nv;
	if ((nv[c->stats->nnotes] = hl_strdup(buf)))
		c->stats->nnotes++;
}

void hl_plan_import_stats_free(hl_plan_import_stats *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nnotes; i++)
		free(s->notes[i]);
	free(s->notes);
	for (size_t i = 0; i < s->nerrors; i++)
		free(s->errors[i]);
	free(s->errors);
	s->notes = s->errors = NULL;
	s->nnotes = s->nerrors = 0;
}

static char *trim_dup(const char *s)
{
	size_t n;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

/* ---- agencies named in a cell ---- */

/* A phrase naming no one agency: "các bộ, ngành, địa phương", "Bộ, ngành", "Tập đoàn …". */
static int generic(const char *f)
{
	static const char *const starts[] = {
	    "cac ",  "bo nganh", "tap doan", "dia phuong",        "doanh nghiep",
	    "nganh", "mot so ",  "to chuc",  "co quan lien quan", "don vi lien quan"};
	static const char *const whole[] = {"bo", "nganh", "dia phuong", "bo nganh lien quan",
	                                    "lien quan"};
	for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
		if (!strcmp(f, whole[i]))
			return 1;
	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++)
		if (!strncmp(f, starts[i], strlen(starts[i])))
			return 1;
	return 0;
}

static size_t memo_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

/* The remembered answer for `folded`, or where it goes (its folded NULL). NULL: out of memory. */
static struct memo *memo_slot(ctx *c, const char *folded)
{
	size_t i;
	if (2 * (c->nmemo + 1) > c->capmemo) {
		size_t cap = c->capmemo ? 2 * c->capmemo : 1024;
		struct memo *v = calloc(cap, sizeof(*v));
		if (!v)
			return NULL;
		for (size_t k = 0; k < c->capmemo; k++)
			if (c->memo[k].folded) {
				for (i = memo_hash(c->memo[k].folded) & (cap - 1); v[i].folded;
				     i = (i + 1) & (cap - 1))
					;
				v[i] = c->memo[k];
			}
		free(c->memo);
		c->memo = v, c->capmemo = cap;
	}
	for (i = memo_hash(folded) & (c->capmemo - 1); c->memo[i].folded;
	     i = (i + 1) & (c->capmemo - 1))
		if (!strcmp(c->memo[i].folded, folded))
			break;
	return &c->memo[i];
}

/* The code of the agency or commune named `name` on `date`: 1 and *code (NULL when generic),
 * 0 when unknown (err: why, malloc'd, when want_err), negative on a failure. What
 * hl_plans__agency_code answers, remembered by the folded name (its first spelling answers for
 * all); on the import's day the table of names answers first, and the store is asked only for
 * a commune, an agency of another day, or why a name is unknown when that is wanted. */
static int resolve(ctx *c, const char *name, const char *date, char **code, char **err,
                   int want_err)
{
	char *f = hl_plans__fold(name), out[33];
	struct memo *m;
	const char *ask = name, *ask_date = date;
	int rc = -1;

	*code = *err = NULL;
	if (!f)
		return hl_error_set(HL_EINVALID, "not UTF-8");
	if (!(m = memo_slot(c, f))) {
		free(f);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	if (m->folded) {
		free(f);
		if (m->code) {
			*code = hl_strdup(m->code);
			return *code ? 1 : hl_error_set(HL_ENOMEM, "out of memory");
		}
		if (!m->asked || !want_err) {
			*err = m->err ? hl_strdup(m->err) : NULL;
			return 0;
		}
		/* unknown, and now why: asked as it first was */
		ask = m->asked;
		ask_date = m->date[0] ? m->date : NULL;
	} else {
		m->folded = f;
		c->nmemo++;
		if (date && c->names && !strcmp(date, c->names_date))
			rc = hl_plans__names_code(out, c->names, name);
		if (rc == 1 && !(m->code = hl_strdup(out)))
			return hl_error_set(HL_ENOMEM, "out of memory");
		if (rc == 1) {
			*code = hl_strdup(out);
			return *code ? 1 : hl_error_set(HL_ENOMEM, "out of memory");
		}
		if (rc == 0 && !want_err) {
			if (!(m->asked = hl_strdup(name)))
				return hl_error_set(HL_ENOMEM, "out of memory");
			snprintf(m->date, sizeof(m->date), "%s", date);
			return 0;
		}
	}
	rc = hl_plans__agency_code(out, c->st, ask, ask_date);
	if (rc < 0)
		return rc;
	free(m->asked);
	m->asked = NULL;
	if (rc > 0 && !(m->code = hl_strdup(out)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	if (rc == 0 && !(m->err = hl_strdup(hl_error_last())))
		return hl_error_set(HL_ENOMEM, "out of memory");
	if (rc > 0)
		*code = hl_strdup(m->code);
	else if (want_err)
		*err = hl_strdup(m->err);
	return rc > 0 ? 1 : 0;
}

static int add_piece(row *r, const char *name, char *code, int lead)
{
	piece *nv;
	if (r->nag >= MAX_PIECES) {
		free(code);
		return 0;
	}
	if (!(nv = realloc(r->ag, (r->nag + 1) * sizeof(*nv)))) {
		free(code);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	r->ag = nv;
	nv[r->nag].name = trim_dup(name);
	nv[r->nag].code = code;
	nv[r->nag].lead = lead;
	r->nag++;
	return 0;
}

/* One piece that is no known name whole: a generic phrase, a name with a generic tail ("… và
 * các địa phương"), two names run together ("Bộ A Bộ B"), or unknown. */
static int one_piece(ctx *c, row *r, const char *col, const char *p, const char *date, int lead)
{
	char *f = hl_plans__fold(p), *code = NULL, *err = NULL;
	int rc = 0;
	if (!f)
		return hl_error_set(HL_EINVALID, "not UTF-8");
	if (!*f)
		goto done;
	if (generic(f)) {
		if (r->after_generic && r->nag) /* "các bộ, ngành, địa phương": one phrase */
			goto join;
		c->stats->generic++;
		rc = add_piece(r, p, NULL, lead);
		r->after_generic = 1;
		goto done;
	}
	/* "X và các …": X and a generic tail; on the text as written, by the byte where " và các "
	 * begins (folding keeps ASCII letters where they are only when there are no tones before:
	 * find it in the original) */
	const char *va = strstr(p, " và các ");
	if (va) {
		char head[600];
		snprintf(head, sizeof(head), "%.*s", (int)(va - p), p);
		if ((rc = resolve(c, head, date, &code, &err, 0)) > 0) {
			rc = add_piece(r, head, code, lead);
			if (rc == 0) {
				c->stats->generic++;
				rc = add_piece(r, va + 4, NULL, lead);
				r->after_generic = 1;
			}
			free(err);
			goto done;
		}
		free(err);
		err = NULL;
		if (rc < 0)
			goto done;
	}
	/* two names run together: a second "Bộ " inside */
	const char *second = strstr(p + 1, " Bộ ");
	if (second) {
		char head[600];
		char *c2 = NULL, *e2 = NULL;
		snprintf(head, sizeof(head), "%.*s", (int)(second - p), p);
		int r1 = resolve(c, head, date, &code, &err, 0);
		int r2 = r1 > 0 ? resolve(c, second + 1, date, &c2, &e2, 0) : 0;
		free(err);
		free(e2);
		err = NULL;
		if (r1 > 0 && r2 > 0) {
			rc = add_piece(r, head, code, lead);
			if (rc == 0)
				rc = add_piece(r, second + 1, c2, lead);
			else
				free(c2);
			goto done;
		}
		free(code);
		free(c2);
		code = NULL;
		if (r1 < 0 || r2 < 0) {
			rc = r1 < 0 ? r1 : r2;
			goto done;
		}
	}
	if ((rc = resolve(c, p, date, &code, &err, 1)) > 0) {
		rc = add_piece(r, p, code, lead);
		r->after_generic = 0;
		goto done;
	}
	if (rc < 0)
		goto done;
	if (r->after_generic && r->nag) {
		/* a generic phrase goes on past its commas: "các bộ, ngành, địa phương là chủ quản
		 * CSDLQG, CSDL chuyên ngành" */
		piece *last;
	join:
		last = &r->ag[r->nag - 1];
		char *joined = malloc(strlen(last->name) + strlen(p) + 3);
		if (!joined) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		sprintf(joined, "%s, %s", last->name, p);
		free(last->name);
		last->name = joined;
		rc = 0;
		goto done;
	}
	if (c->o && c->o->keep_unknown) {
		c->stats->kept++;
		add_note(c, r->line, "%s kept as written (%s)", p, err ? err : "unknown");
		rc = add_piece(r, p, NULL, lead);
	} else
		add_error(c, r->line, col, err ? err : "unknown agency");
	rc = rc < 0 ? rc : 0;
done:
	free(err);
	free(f);
	return rc;
}

/* A cell of agencies: known names first, whole or across the commas inside them ("Bộ Văn hóa,
 * Thể thao và Du lịch"); then each piece on its own. */
static int agencies(ctx *c, row *r, int colno, const char *date, int lead)
{
	const char *cell = r->v[colno];
	char *buf, *parts[MAX_PIECES];
	size_t n = 0;
	int rc = 0;
	if (!cell || !*cell)
		return 0;
	r->after_generic = 0;
	if (!(buf = hl_strdup(cell)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	for (char *p = buf; *p && n < MAX_PIECES;) {
		char *sep = strpbrk(p, ",;\n");
		if (sep)
			*sep = 0;
		char *t = p;
		while (*t == ' ')
			t++;
		if (*t)
			parts[n++] = t;
		if (!sep)
			break;
		p = sep + 1;
	}
	for (size_t i = 0; i < n && rc == 0;) {
		size_t used = 0;
		for (size_t k = n - i < 4 ? n - i : 4; k >= 2 && !used; k--) {
			char joined[1200] = "", *code = NULL, *err = NULL;
			for (size_t j = 0; j < k; j++)
				snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined),
				         "%s%s", j ? ", " : "", parts[i + j]);
			int got = resolve(c, joined, date, &code, &err, 0);
			free(err);
			if (got < 0) {
				rc = got;
				break;
			}
			if (got > 0) {
				rc = add_piece(r, joined, code, lead);
				used = k;
			}
		}
		if (rc < 0)
			break;
		if (!used) {
			rc = one_piece(c, r, col_keys[colno], parts[i], date, lead);
			used = 1;
		}
		i += used;
	}
	free(buf);
	return rc;
}

/* ---- numbers as plans write them ---- */

static int roman(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!strchr("IVXLC", *s))
			return 0;
	return 1;
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static void free_row(row *r)
{
	for (int i = 0; i < NCOLS; i++)
		free(r->v[i]);
	free(r->parent);
	for (size_t i = 0; i < r->nag; i++) {
		free(r->ag[i].name);
		free(r->ag[i].code);
	}
	free(r->ag);
}

/* ---- plans files ---- */

static hl_freq every_of(const char *s)
{
	char *f = s ? hl_plans__fold(s) : NULL;
	hl_freq r = (hl_freq)-1;
	if (!s || !*s)
		r = HL_FREQ_MONTHLY;
	else if (f && (!strcmp(f, "monthly") || !strcmp(f, "hang thang") || !strcmp(f, "thang")))
		r = HL_FREQ_MONTHLY;
	else if (f && (!strcmp(f, "quarterly") || !strcmp(f, "hang quy") || !strcmp(f, "quy")))
		r = HL_FREQ_QUARTERLY;
	else if (f && (!strcmp(f, "half-yearly") || !strcmp(f, "6 thang")))
		r = HL_FREQ_HALF_YEARLY;
	else if (f && (!strcmp(f, "yearly") || !strcmp(f, "hang nam") || !strcmp(f, "nam")))
		r = HL_FREQ_YEARLY;
	free(f);
	return r;
}

static int plan_row(ctx *c, row *r, hl_plan *p)
{
	hl_due d;
	char date[11] = "";
	memset(p, 0, sizeof(*p));
	p->id = r->v[C_PLAN];
	p->number = r->v[C_NUMBER];
	p->issuer = r->v[C_ISSUER];
	p->title = r->v[C_TITLE];
	p->document_id = r->v[C_DOCUMENT];
	p->note = r->v[C_NOTE];
	p->access = HL_ACCESS_INTERNAL;
	if (!p->id || !*p->id)
		add_error(c, r->line, "plan_id", "empty: a plan needs its id");
	else if (strlen(p->id) > 64 || strchr(p->id, '/') || strchr(p->id, ' '))
		add_error(c, r->line, "plan_id", "at most 64 bytes, without '/' or spaces");
	if (!p->title || !*p->title)
		add_error(c, r->line, "title", "empty");
	if (r->v[C_DATE] && *r->v[C_DATE]) {
		if (hl_units_date_parse(date, r->v[C_DATE]) < 0)
			add_error(c, r->line, "date", "not a day (yyyy-mm-dd or dd/mm/yyyy)");
		else
			p->date = r->v[C_DATE];
	}
	if (!r->v[C_PERIOD] || hl_due_parse(&d, r->v[C_PERIOD]) < 0 || !d.start[0] || !d.due[0])
		add_error(c, r->line, "period",
		          "not a period (2025-2030, 2025, Giai đoạn 2026-2030, 6/2025 - 12/2026)");
	else {
		p->period_from = hl_strdup(d.start);
		p->period_to = hl_strdup(d.due);
	}
	if (date[0]) {
		free(r->v[C_DATE]);
		p->date = r->v[C_DATE] = hl_strdup(date);
	}
	if ((int)(p->report_every = every_of(r->v[C_EVERY])) < 0)
		add_error(c, r->line, "report_every",
		          "not monthly, quarterly, half-yearly or yearly");
	if (r->v[C_ACCESS] && *r->v[C_ACCESS] && hl_access_parse(&p->access, r->v[C_ACCESS]) < 0)
		add_error(c, r->line, "access", hl_error_last());
	const char *comp = r->v[C_COMPILER] && *r->v[C_COMPILER] ? r->v[C_COMPILER]
	                   : c->o                                ? c->o->compiler
	                                                         : NULL;
	if (comp && *comp) {
		char *code = NULL, *err = NULL;
		int got = resolve(c, comp, NULL, &code, &err, 1);
		if (got < 0)
			return got;
		if (!got)
			add_error(c, r->line, "compiler", err ? err : "unknown agency");
		p->compiler = code;
		free(err);
	}
	if (p->document_id && *p->document_id) {
		int e = hl_store_document_exists(c->st, p->document_id);
		if (e < 0)
			return e;
		if (!e)
			add_error(c, r->line, "document_id", "not a document of the archive");
	}
	return 0;
}

/* ---- the import ---- */

/* The first row whose item number is `item` ((size_t)-1: none), in `items`, a table of nitems
 * (a power of 2) row indexes by the item's hash, (size_t)-1 where free. */
static size_t first_row(const row *rs, const size_t *items, size_t nitems, const char *item)
{
	for (size_t h = memo_hash(item) & (nitems - 1); items[h] != (size_t)-1;
	     h = (h + 1) & (nitems - 1))
		if (!strcmp(rs[items[h]].v[C_ITEM], item))
			return items[h];
	return (size_t)-1;
}

static int header_index(const char *h)
{
	char *f = hl_plans__fold(h);
	int found = -1;
	if (!f)
		return -1;
	for (int i = 0; i < NCOLS && found < 0; i++)
		for (int j = 0; j < 8 && col_names[i][j]; j++)
			if (!strcmp(f, col_names[i][j])) {
				found = i;
				break;
			}
	free(f);
	return found;
}

int hl_plan_import(hl_plan_import_stats *out, hl_store *st, const hl_principal *who,
                   const char *path, const hl_plan_import_opts *o)
{
	ctx c = {0};
	rows in;
	row *rs = NULL;
	size_t nrows = 0, cap = 0;
	int colmap[HL_CSV_MAX_FIELDS], rc, plans_file = 0, have[NCOLS] = {0};
	char **f;
	size_t nf;
	uint64_t line;
	hl_plan *plan = NULL;
	hl_plan *newplans = NULL;
	size_t *items = NULL, nitems = 0;

	memset(out, 0, sizeof(*out));
	c.path = o && o->name ? o->name : path;
	c.o = o;
	c.st = st;
	c.stats = out;
	if (!who->local && who->role != HL_ROLE_ADMIN)
		return hl_error_set(HL_EDENIED, "only an admin imports plans");
	if ((rc = rows_open(&in, path, c.path, o ? o->sheet : NULL)) < 0)
		return rc;
	/* the header */
	if ((rc = rows_next(&in, &f, &nf, &line)) <= 0) {
		rows_free(&in);
		return rc < 0 ? rc : hl_error_set(HL_EINVALID, "%s: empty", c.path);
	}
	/* a row longer than the header: its extra cells are no column (trailing empty cells of a
	 * spreadsheet, say) */
	for (size_t i = 0; i < HL_CSV_MAX_FIELDS; i++)
		colmap[i] = -1;
	for (size_t i = 0; i < nf && i < HL_CSV_MAX_FIELDS; i++) {
		colmap[i] = header_index(f[i]);
		if (colmap[i] >= 0)
			have[colmap[i]] = 1;
	}
	plans_file = have[C_PERIOD] && !have[C_ITEM];
	if (!plans_file && (!have[C_ITEM] || !have[C_TITLE])) {
		rows_free(&in);
		return hl_error_set(
		    HL_EINVALID,
		    "%s:%llu: header: a task appendix needs STT (item_no) and Nhiệm vụ "
		    "(title); a plans file plan_id, title and period",
		    c.path, (unsigned long long)line);
	}
	if (!plans_file && !have[C_PLAN] && !(o && o->plan)) {
		rows_free(&in);
		return hl_error_set(
		    HL_EINVALID, "%s: no plan_id column: name the plan the tasks are of", c.path);
	}
	/* every row read and checked */
	while ((rc = rows_next(&in, &f, &nf, &line)) > 0) {
		row *r;
		int blank = 1;
		for (size_t i = 0; i < nf; i++)
			blank &= !f[i][0];
		if (blank)
			continue;
		if (nrows >= MAX_ROWS) {
			rc = hl_error_set(HL_ELIMIT, "%s: more than %d rows", c.path, MAX_ROWS);
			break;
		}
		if (nrows == cap) {
			size_t ncap = cap ? 2 * cap : 256;
			row *nv = realloc(rs, ncap * sizeof(*nv));
			if (!nv) {
				rc = hl_error_set(HL_ENOMEM, "out of memory");
				break;
			}
			rs = nv;
			cap = ncap;
		}
		r = &rs[nrows++];
		memset(r, 0, sizeof(*r));
		r->line = line;
		for (size_t i = 0; i < nf && i < HL_CSV_MAX_FIELDS; i++)
			if (colmap[i] >= 0 && !r->v[colmap[i]]) {
				if (strlen(f[i]) > MAX_CELL)
					add_error(&c, line, col_keys[colmap[i]],
					          "longer than 20,000 bytes");
				else
					r->v[colmap[i]] = trim_dup(f[i]);
			}
		if (o && o->progress && nrows % 512 == 0 &&
		    o->progress("reading", nrows, 0, o->ud) != 0) {
			rc = hl_error_set(HL_ERROR, "%s: stopped", c.path);
			break;
		}
		if (!plans_file && (!r->v[C_PLAN] || !*r->v[C_PLAN])) {
			free(r->v[C_PLAN]);
			r->v[C_PLAN] = hl_strdup(o && o->plan ? o->plan : "");
		}
	}
	out->rows = nrows;
	if (rc < 0)
		goto done;
	rc = 0;
	if (plans_file) {
		if (!(newplans = calloc(nrows ? nrows : 1, sizeof(hl_plan)))) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		for (size_t i = 0; i < nrows && rc == 0; i++) {
			rc = plan_row(&c, &rs[i], &newplans[i]);
			for (size_t j = 0; j < i && newplans[i].id; j++)
				if (newplans[j].id && !strcmp(newplans[j].id, newplans[i].id))
					add_error(&c, rs[i].line, "plan_id", "repeated");
		}
	} else {
		/* one plan per file: the first row's (or --plan) */
		const char *pid = nrows ? rs[0].v[C_PLAN] : o ? o->plan : NULL;
		hl_principal local = hl_principal_local("import");
		if (o && o->plan && *o->plan)
			pid = o->plan;
		if (!pid || !*pid) {
			rc = hl_error_set(HL_EINVALID, "%s: no plan named", c.path);
			goto done;
		}
		if ((rc = hl_plan_get(&plan, st, &local, pid)) < 0) {
			if (rc == HL_ENOTFOUND)
				rc = hl_error_set(
				    HL_EINVALID,
				    "%s: plan \"%.60s\" is not known: import its plans file "
				    "first (plan_id, title, period)",
				    c.path, pid);
			goto done;
		}
		char date[11], open_sec[64] = "", last_num[64] = "";
		/* each item number's first row, found at once (a row above with the same number,
		 * a parent above) */
		for (nitems = 1024; nitems < 2 * nrows; nitems *= 2)
			;
		if (!(items = malloc(nitems * sizeof(*items)))) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		for (size_t k = 0; k < nitems; k++)
			items[k] = (size_t)-1;
		for (size_t k = 0; k < nrows; k++)
			if (rs[k].v[C_ITEM] &&
			    first_row(rs, items, nitems, rs[k].v[C_ITEM]) == (size_t)-1) {
				size_t h = memo_hash(rs[k].v[C_ITEM]) & (nitems - 1);
				while (items[h] != (size_t)-1)
					h = (h + 1) & (nitems - 1);
				items[h] = k;
			}
		snprintf(date, sizeof(date), "%s",
		         o && o->at   ? o->at
		         : plan->date ? plan->date
		                      : plan->period_from);
		/* the names of that day, read once (without them, as for a date that is no day,
		 * each name is asked of the store, which says why) */
		if (hl_plans__names_load(&c.names, st, date) == 0)
			snprintf(c.names_date, sizeof(c.names_date), "%s", date);
		hl_error_clear();
		for (size_t i = 0; i < nrows && rc == 0; i++) {
			row *r = &rs[i];
			const char *item = r->v[C_ITEM] ? r->v[C_ITEM] : "";
			hl_due d;
			if (strcmp(r->v[C_PLAN], plan->id))
				add_error(&c, r->line, "plan_id", "another plan: one plan a file");
			if (!*item) {
				add_error(&c, r->line, "item_no", "empty: each row needs its STT");
				continue;
			}
			if (strlen(item) > 32)
				add_error(&c, r->line, "item_no", "longer than 32 bytes");
			size_t first = first_row(rs, items, nitems, item);
			if (first < i) {
				char why[120];
				snprintf(why, sizeof(why),
				         "\"%.32s\" repeated (first on line %llu)", item,
				         (unsigned long long)rs[first].line);
				add_error(&c, r->line, "item_no", why);
			}
			if (!r->v[C_TITLE] || !*r->v[C_TITLE])
				add_error(&c, r->line, "title", "empty");
			r->section = roman(item) && (!r->v[C_LEAD] || !*r->v[C_LEAD]);
			/* the parent: written, or read from the numbering */
			if (r->v[C_PARENT] && *r->v[C_PARENT]) {
				int found = first_row(rs, items, nitems, r->v[C_PARENT]) < i;
				if (!found) {
					int64_t tid;
					found = hl_store_task_find(&tid, NULL, st, plan->id,
					                           r->v[C_PARENT], 0) == 0;
				}
				if (!found)
					add_error(
					    &c, r->line, "parent_item_no",
					    "not a row above it (a parent comes before its tasks)");
				r->parent = hl_strdup(r->v[C_PARENT]);
			} else if (r->section) {
				snprintf(open_sec, sizeof(open_sec), "%s", item);
				last_num[0] = 0;
			} else if (strchr(item, '.')) {
				r->parent = hl_strdup(item);
				*strrchr(r->parent, '.') = 0;
			} else if (all_digits(item)) {
				if (open_sec[0])
					r->parent = hl_strdup(open_sec);
				snprintf(last_num, sizeof(last_num), "%s", item);
			} else if (last_num[0])
				r->parent = hl_strdup(last_num);
			else if (open_sec[0])
				r->parent = hl_strdup(open_sec);
			if (r->section) {
				out->sections++;
				continue;
			}
			/* the deadline: read, or kept as written and reported */
			if (hl_due_parse(&d, r->v[C_DUE] ? r->v[C_DUE] : "") < 0) {
				out->unread++;
				add_note(&c, r->line, "due: \"%s\" kept as written, not read%s",
				         r->v[C_DUE], "");
			} else if (d.due[0] && strcmp(d.due, plan->period_from) < 0) {
				char why[160];
				snprintf(why, sizeof(why), "due %s is before the plan starts (%s)",
				         d.due, plan->period_from);
				add_error(&c, r->line, "due", why);
			} else if (d.start[0] && strcmp(d.start, plan->period_to) > 0) {
				char why[160];
				snprintf(why, sizeof(why), "%s begins after the plan ends (%s)",
				         d.start, plan->period_to);
				add_error(&c, r->line, "due", why);
			}
			r->weight = 1;
			if (r->v[C_WEIGHT] && *r->v[C_WEIGHT]) {
				char *end;
				r->weight = strtod(r->v[C_WEIGHT], &end);
				if (*end || !(r->weight > 0 && r->weight <= 1000))
					add_error(&c, r->line, "weight",
					          "a number above 0, at most 1000");
			}
			if (!r->v[C_LEAD] || !*r->v[C_LEAD])
				add_error(&c, r->line, "lead_agency",
				          "empty: a task needs its lead agency");
			else if ((rc = agencies(&c, r, C_LEAD, date, 1)) == 0)
				rc = agencies(&c, r, C_SUPPORT, date, 0);
		}
	}
	if (rc < 0)
		goto done;
	if (c.nerrors) {
		if (c.nerrors == 1)
			rc = hl_error_set(HL_EINVALID, "%s; nothing was imported",
			                  out->nerrors ? out->errors[0] : "a bad row");
		else
			rc = hl_error_set(HL_EINVALID,
			                  "%zu errors, nothing was imported; the first: %s",
			                  c.nerrors, out->nerrors ? out->errors[0] : "");
		goto done;
	}
	/* all of it, or nothing */
	if ((rc = hl_store_begin(st)) < 0)
		goto done;
	if (plans_file) {
		for (size_t i = 0; i < nrows && rc == 0; i++) {
			int what;
			if ((rc = hl_store_plan_put(&what, st, &newplans[i])) == 0) {
				out->plans++;
				out->added += what == HL_ROW_ADDED;
				out->changed += what == HL_ROW_CHANGED;
				out->unchanged += what == HL_ROW_SAME;
			}
		}
	} else {
		for (size_t i = 0; i < nrows && rc == 0; i++) {
			row *r = &rs[i];
			hl_task_agency ag[MAX_PIECES * 2];
			hl_store_task_row tr = {0};
			int what;
			int64_t tid;
			for (size_t j = 0; j < r->nag; j++) {
				ag[j].code = r->ag[j].code;
				ag[j].name = r->ag[j].name;
				ag[j].lead = r->ag[j].lead;
			}
			tr.plan_id = plan->id;
			tr.item_no = r->v[C_ITEM];
			tr.parent_no = r->parent;
			tr.title = r->v[C_TITLE];
			tr.lead_text = r->v[C_LEAD];
			tr.support_text = r->v[C_SUPPORT];
			tr.output = r->v[C_OUTPUT];
			tr.due_text = r->v[C_DUE];
			tr.origin = "import";
			tr.weight = r->section ? 1 : r->weight;
			tr.agencies = ag;
			tr.nagencies = r->nag;
			if (o && o->progress && i % 512 == 0)
				o->progress("writing", i, nrows, o->ud);
			if ((rc = hl_store_task_next_seq(&tr.seq, st, plan->id)) == 0 &&
			    (rc = hl_store_task_put(&what, &tid, st, &tr)) == 0) {
				out->added += what == HL_ROW_ADDED;
				out->changed += what == HL_ROW_CHANGED;
				out->unchanged += what == HL_ROW_SAME;
			}
		}
		out->plans = 1;
	}
	if (rc == 0 && (out->added || out->changed)) {
		char detail[200];
		snprintf(detail, sizeof(detail), "%s: %llu added, %llu changed", c.path,
		         (unsigned long long)out->added, (unsigned long long)out->changed);
		rc = hl_store_audit(st, hl_principal_actor(who), "plan.import",
		                    plans_file ? "plans" : plan->id, detail);
	}
	if (rc < 0)
		hl_store_rollback(st);
	else
		rc = hl_store_commit(st);
done:
	if (newplans) {
		for (size_t i = 0; i < nrows; i++) {
			free(newplans[i].period_from);
			free(newplans[i].period_to);
			free(newplans[i].compiler);
		}
		free(newplans);
	}
	for (size_t i = 0; i < nrows; i++)
		free_row(&rs[i]);
	free(rs);
	for (size_t i = 0; i < c.capmemo; i++) {
		free(c.memo[i].folded);
		free(c.memo[i].code);
		free(c.memo[i].err);
		free(c.memo[i].asked);
	}
	free(c.memo);
	free(items);
	hl_plans__names_free(c.names);
	hl_plan_free(plan);
	rows_free(&in);
	return rc;
}
