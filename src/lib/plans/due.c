/* A deadline as Vietnamese plans write it ("thời gian hoàn thành"), read on its folded form
 * (no tones, lower case, đ as d: "Quý II/2025" and "quy ii/2025" read alike), by a small
 * grammar that must reach the end of the text: what it cannot read whole is reported, never
 * guessed. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halong/plans.h"
#include "halong/text.h"
#include "plans_int.h"

#define MAX_TEXT   200   /* bytes of a deadline read */
#define MAX_OCCURS 10000 /* occurrences of one duty in one call */
#define YEAR_MIN   1900
#define YEAR_MAX   2200
#define FORMS_READ                                                                                 \
	"30/6/2025, 6/2025, Tháng 6/2025, Quý II/2025, 2025, 2025 - 2026, Hằng năm, "         \
	"Hằng quý, trước ngày 15 hằng tháng, Thường xuyên"

const char *hl_due_kind_name(hl_due_kind k)
{
	static const char *const names[] = {"none", "date",  "month",     "quarter", "half",
	                                    "year", "range", "recurring", "ongoing", "unread"};
	return k >= HL_DUE_NONE && k <= HL_DUE_UNREAD ? names[k] : "?";
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && leap(y) ? 29 : d[m - 1];
}

static void iso(char out[11], int y, int m, int d)
{
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

/* ---- the cursor over the folded text ---- */

typedef struct {
	const char *p;
} cur;

static void ws(cur *c)
{
	while (*c->p == ' ')
		c->p++;
}

/* The word (or words) w, whole: 1 and past it, or 0 and where it was. */
static int word(cur *c, const char *w)
{
	size_t n = strlen(w);
	ws(c);
	if (strncmp(c->p, w, n) || isalnum((unsigned char)c->p[n]))
		return 0;
	c->p += n;
	return 1;
}

/* A run of 1 to max digits, not followed by a digit. */
static int number(cur *c, int *v, int min_digits, int max_digits)
{
	const char *p;
	int n = 0, x = 0;
	ws(c);
	for (p = c->p; isdigit((unsigned char)*p); p++, n++)
		if (n < max_digits)
			x = x * 10 + (*p - '0');
	if (n < min_digits || n > max_digits)
		return 0;
	*v = x;
	c->p = p;
	return 1;
}

static int sym(cur *c, char ch)
{
	ws(c);
	if (*c->p != ch)
		return 0;
	c->p++;
	return 1;
}

static int year(cur *c, int *y)
{
	cur s = *c;
	if (!number(c, y, 4, 4))
		return 0;
	if (*y < YEAR_MIN || *y > YEAR_MAX) {
		*c = s;
		return 0;
	}
	return 1;
}

/* A quarter: I to IV, or 1 to 4. */
static int quarter(cur *c, int *q)
{
	static const char *const roman[] = {"iv", "iii", "ii", "i"};
	static const int value[] = {4, 3, 2, 1};
	for (int i = 0; i < 4; i++)
		if (word(c, roman[i])) {
			*q = value[i];
			return 1;
		}
	return number(c, q, 1, 1) && *q >= 1 && *q <= 4;
}

/* "/" or "năm" (or nothing) between a month or a quarter and its year */
static void of_year(cur *c)
{
	if (!sym(c, '/'))
		word(c, "nam");
}

/* ---- one period: a date, a month, a quarter, a half, a year ---- */

typedef struct {
	hl_due_kind kind;
	int y1, m1, d1, y2, m2, d2; /* first and last day */
} period;

static int set_month(period *p, hl_due_kind k, int y, int m1, int m2)
{
	p->kind = k;
	p->y1 = p->y2 = y;
	p->m1 = m1, p->d1 = 1;
	p->m2 = m2, p->d2 = days_in(y, m2);
	return 1;
}

/* Returns 1 with *p, 0 when there is no period here (c unchanged), -1 when there is one that
 * cannot exist (the error set). */
static int one_period(period *p, cur *c)
{
	cur s = *c;
	int a = 0, b, y;

	memset(p, 0, sizeof(*p));
	if (word(c, "quy")) {
		if (!quarter(c, &a) || (of_year(c), !year(c, &y))) {
			*c = s;
			return 0;
		}
		return set_month(p, HL_DUE_QUARTER, y, 3 * a - 2, 3 * a);
	}
	if (word(c, "6 thang dau nam") || (a = word(c, "6 thang cuoi nam"))) {
		int second = a == 1;
		if (!year(c, &y)) {
			*c = s;
			return 0;
		}
		return set_month(p, HL_DUE_HALF, y, second ? 7 : 1, second ? 12 : 6);
	}
	if (word(c, "thang")) {
		if (!number(c, &a, 1, 2) || (of_year(c), !year(c, &y))) {
			*c = s;
			return 0;
		}
		if (a < 1 || a > 12)
			return hl_error_set(HL_EINVALID, "month %d does not exist", a), -1;
		return set_month(p, HL_DUE_MONTH, y, a, a);
	}
	if (word(c, "nam")) {
		if (!year(c, &y)) {
			*c = s;
			return 0;
		}
		return set_month(p, HL_DUE_YEAR, y, 1, 12);
	}
	/* ISO: yyyy-mm-dd, yyyy-mm */
	if (year(c, &y)) {
		cur t = *c;
		if (*c->p == '-' && c->p++ && number(c, &a, 2, 2)) {
			if (*c->p == '-' && c->p++ && number(c, &b, 2, 2)) {
				if (a < 1 || a > 12 || b < 1 || b > days_in(y, a))
					return hl_error_set(HL_EINVALID,
					                    "%04d-%02d-%02d does not exist", y, a,
					                    b),
					       -1;
				p->kind = HL_DUE_DATE;
				p->y1 = p->y2 = y, p->m1 = p->m2 = a, p->d1 = p->d2 = b;
				return 1;
			}
			if (a < 1 || a > 12)
				return hl_error_set(HL_EINVALID, "month %d does not exist", a), -1;
			return set_month(p, HL_DUE_MONTH, y, a, a);
		}
		*c = t;
		return set_month(p, HL_DUE_YEAR, y, 1, 12);
	}
	/* d/m/yyyy, d.m.yyyy, m/yyyy */
	if (number(c, &a, 1, 2) && (*c->p == '/' || *c->p == '.')) {
		char sep = *c->p++;
		if (!number(c, &b, 1, 4)) {
			*c = s;
			return 0;
		}
		if (b >= YEAR_MIN && b <= YEAR_MAX) {
			if (a < 1 || a > 12)
				return hl_error_set(HL_EINVALID, "month %d does not exist", a), -1;
			return set_month(p, HL_DUE_MONTH, b, a, a);
		}
		if (*c->p != sep || (c->p++, !year(c, &y))) {
			*c = s;
			return 0;
		}
		if (b < 1 || b > 12 || a < 1 || a > days_in(y, b))
			return hl_error_set(HL_EINVALID, "%d/%d/%d does not exist", a, b, y), -1;
		p->kind = HL_DUE_DATE;
		p->y1 = p->y2 = y, p->m1 = p->m2 = b, p->d1 = p->d2 = a;
		return 1;
	}
	*c = s;
	return 0;
}

/* ---- recurring and ongoing duties ---- */

/* [ngày] D[/M] before a frequency: a fixed day of the period. */
static void fixed_day(hl_due *d, cur *c)
{
	cur s = *c;
	int a, b;
	word(c, "ngay");
	if (!number(c, &a, 1, 2) || a < 1 || a > 31) {
		*c = s;
		return;
	}
	d->day = a;
	if (sym(c, '/')) {
		if (!number(c, &b, 1, 2) || b < 1 || b > 12 || a > days_in(2000, b)) {
			*c = s;
			d->day = 0;
			return;
		}
		d->month = b;
	}
}

static int frequency(hl_due *d, cur *c)
{
	static const struct {
		const char *w;
		hl_freq f;
	} words[] = {
	    {"hang nam", HL_FREQ_YEARLY},          {"moi nam", HL_FREQ_YEARLY},
	    {"hang quy", HL_FREQ_QUARTERLY},       {"moi quy", HL_FREQ_QUARTERLY},
	    {"hang thang", HL_FREQ_MONTHLY},       {"moi thang", HL_FREQ_MONTHLY},
	    {"hang 6 thang", HL_FREQ_HALF_YEARLY}, {"6 thang mot lan", HL_FREQ_HALF_YEARLY},
	    {"6 thang/lan", HL_FREQ_HALF_YEARLY},  {"dinh ky 6 thang", HL_FREQ_HALF_YEARLY}};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (word(c, words[i].w)) {
			d->freq = words[i].f;
			return 1;
		}
	return 0;
}

/* Only what a text may end with: spaces and a full stop, a semicolon or a comma. */
static int at_end(cur *c)
{
	ws(c);
	while (*c->p == '.' || *c->p == ';' || *c->p == ',' || *c->p == ' ')
		c->p++;
	return !*c->p;
}

static int recurring(hl_due *d, cur *c)
{
	cur s = *c;
	int y;
	/* 2025 và những năm tiếp theo / 2025 và các năm tiếp theo */
	if (year(c, &y) && (word(c, "va nhung nam tiep theo") || word(c, "va cac nam tiep theo")) &&
	    at_end(c)) {
		d->kind = HL_DUE_RECURRING, d->freq = HL_FREQ_YEARLY;
		iso(d->start, y, 1, 1);
		return 1;
	}
	*c = s;
	memset(d, 0, sizeof(*d));
	word(c, "dinh ky");
	word(c, "truoc");
	word(c, "vao");
	/* "6 tháng một lần" is a rhythm, not the 6th day of one */
	if (!frequency(d, c) && (fixed_day(d, c), !frequency(d, c))) {
		*c = s;
		memset(d, 0, sizeof(*d));
		return 0;
	}
	/* a fixed day and month is yearly; a month's day in a month's rhythm */
	if ((d->month && d->freq != HL_FREQ_YEARLY) ||
	    (d->day && d->freq == HL_FREQ_YEARLY && !d->month)) {
		*c = s;
		memset(d, 0, sizeof(*d));
		return 0;
	}
	/* , từ [năm] 2026 */
	sym(c, ',');
	if (word(c, "tu")) {
		word(c, "nam");
		if (!year(c, &y)) {
			*c = s;
			memset(d, 0, sizeof(*d));
			return 0;
		}
		iso(d->start, y, 1, 1);
	}
	if (!at_end(c)) {
		*c = s;
		memset(d, 0, sizeof(*d));
		return 0;
	}
	d->kind = HL_DUE_RECURRING;
	return 1;
}

/* ---- the whole text ---- */

char *hl_plans__fold(const char *text)
{
	char *f = NULL, *o;
	const unsigned char *p;
	if (hl_text_fold(&f, text, -1) < 0)
		return NULL;
	o = f;
	for (p = (const unsigned char *)f; *p;) {
		/* – — − (U+2013, U+2014, U+2212) as '-' */
		if ((p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0x93 || p[2] == 0x94)) ||
		    (p[0] == 0xE2 && p[1] == 0x88 && p[2] == 0x92)) {
			*o++ = '-';
			p += 3;
		} else if (isspace(*p) || (p[0] == 0xC2 && p[1] == 0xA0)) {
			/* spaces, a no-break space (C2 A0) too, as one */
			p += *p == 0xC2 ? 2 : 1;
			if (o > f && o[-1] != ' ')
				*o++ = ' ';
		} else {
			*o++ = (char)*p++;
		}
	}
	while (o > f && o[-1] == ' ')
		o--;
	*o = '\0';
	return f;
}

/* The deadline's text as the grammar reads it; NULL when too long or not UTF-8 (error set). */
static char *normal(const char *text)
{
	char *f;
	if (strlen(text) > MAX_TEXT)
		return hl_error_set(HL_EINVALID, "a deadline has at most %d bytes", MAX_TEXT), NULL;
	if (!(f = hl_plans__fold(text)))
		return hl_error_set(HL_EINVALID, "a deadline is UTF-8 text"), NULL;
	return f;
}

static void from_period(char start[11], char due[11], const period *p)
{
	iso(start, p->y1, p->m1, p->d1);
	iso(due, p->y2, p->m2, p->d2);
}

/* One period or a range of two, with the words plans put before them. 1, 0 (not that), or -1
 * (the error set). */
static int dated(hl_due *d, cur *c)
{
	cur s = *c;
	period a, b;
	int rc, from = 0;

	/* words that change nothing: trước (ngày), chậm nhất (ngày), hạn, hoàn thành (trong),
	 * trong, hết, ngày */
	word(c, "hoan thanh");
	word(c, "cham nhat");
	word(c, "truoc");
	word(c, "han");
	word(c, "trong");
	word(c, "den");
	word(c, "het");
	word(c, "ngay");
	from = word(c, "tu") || word(c, "giai doan");
	if ((rc = one_period(&a, c)) <= 0) {
		*c = s;
		return rc;
	}
	if (sym(c, '-') || word(c, "den") || word(c, "toi")) {
		word(c, "het");
		word(c, "nam");
		if ((rc = one_period(&b, c)) <= 0) {
			*c = s;
			return rc;
		}
		from_period(d->start, d->due, &a);
		iso(d->due, b.y2, b.m2, b.d2);
		if (strcmp(d->start, d->due) > 0)
			return hl_error_set(HL_EINVALID, "the range ends before it starts"), -1;
		d->kind = HL_DUE_RANGE;
	} else {
		if (from) {
			*c = s;
			return 0;
		}
		from_period(d->start, d->due, &a);
		d->kind = a.kind;
	}
	if (!at_end(c)) {
		*c = s;
		memset(d, 0, sizeof(*d));
		return 0;
	}
	return 1;
}

/* At most 80 bytes of a text read as UTF-8, for a message: cut at a character's start, control
 * characters (C0, DEL, C1) as spaces. */
static void quote(char out[84], const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t n = 0, i = 0, len = strlen(text) < 80 ? strlen(text) : 80;
	while (len < strlen(text) && len > 0 && (p[len] & 0xC0) == 0x80)
		len--; /* not in the middle of a character */
	while (i < len) {
		if (p[i] < 0x20 || p[i] == 0x7F) {
			out[n++] = ' ', i++;
		} else if (p[i] == 0xC2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F) {
			out[n++] = ' ', i += 2;
		} else {
			out[n++] = (char)p[i++];
		}
	}
	out[n] = '\0';
}

int hl_due_parse(hl_due *out, const char *text)
{
	char *f, q[84];
	cur c;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!text || !*text)
		return 0;
	if (!(f = normal(text))) {
		out->kind = HL_DUE_UNREAD;
		return HL_EINVALID;
	}
	c.p = f;
	if (!*f) {
		free(f);
		return 0;
	}
	if (word(&c, "nhiem vu thuong xuyen") || word(&c, "thuong xuyen") || word(&c, "lien tuc")) {
		if (at_end(&c)) {
			out->kind = HL_DUE_ONGOING;
			free(f);
			return 0;
		}
		c.p = f;
	}
	if (recurring(out, &c)) {
		free(f);
		return 0;
	}
	c.p = f;
	rc = dated(out, &c);
	free(f);
	if (rc > 0)
		return 0;
	memset(out, 0, sizeof(*out));
	out->kind = HL_DUE_UNREAD;
	quote(q, text);
	if (rc < 0) {
		char why[160];
		snprintf(why, sizeof(why), "%s", hl_error_last());
		return hl_error_set(HL_EINVALID, "deadline \"%s\": %s", q, why);
	}
	return hl_error_set(HL_EINVALID, "deadline \"%s\" cannot be read (read are: %s)", q,
	                    FORMS_READ);
}

/* ---- occurrences ---- */

static int ymd(const char *s, int *y, int *m, int *d)
{
	return sscanf(s, "%4d-%2d-%2d", y, m, d) == 3 && *m >= 1 && *m <= 12 && *d >= 1 &&
	       *d <= days_in(*y, *m);
}

int hl_due_occurrences(const hl_due *d, hl_freq every, const char *from, const char *to,
                       int (*cb)(const char *start, const char *due, void *ud), void *ud)
{
	int fy, fm, fd, ty, tm, td, step, count = 0;
	hl_freq freq = d->kind == HL_DUE_ONGOING ? every : d->freq;
	char s[11], e[11];

	if (!from || !to || !ymd(from, &fy, &fm, &fd) || !ymd(to, &ty, &tm, &td))
		return hl_error_set(HL_EINVALID, "occurrences: from and to are yyyy-mm-dd dates");
	if (d->kind != HL_DUE_RECURRING && d->kind != HL_DUE_ONGOING) {
		if (!d->due[0] || strcmp(d->due, from) < 0 || strcmp(d->due, to) > 0)
			return 0;
		int rc = cb(d->start, d->due, ud);
		return rc < 0 ? rc : 0;
	}
	if (freq == HL_FREQ_NONE)
		return 0;
	step = freq == HL_FREQ_MONTHLY       ? 1
	       : freq == HL_FREQ_QUARTERLY   ? 3
	       : freq == HL_FREQ_HALF_YEARLY ? 6
	                                     : 12;
	/* the periods from the one holding `from` (or the duty's own start, if later) */
	{
		int y = fy, m = fm;
		if (d->start[0] && strcmp(d->start, from) > 0)
			sscanf(d->start, "%4d-%2d", &y, &m);
		m = (m - 1) / step * step + 1; /* the first month of its period */
		for (;; m += step) {
			int last, day;
			if (m > 12)
				m -= 12, y++;
			last = m + step - 1;
			if (freq == HL_FREQ_YEARLY && d->month)
				last = d->month;
			day = d->day && d->day < days_in(y, last) ? d->day : days_in(y, last);
			iso(s, y, m, 1);
			iso(e, y, last, day);
			if (strcmp(e, to) > 0 || y > ty)
				break;
			if (strcmp(e, from) < 0 || (d->start[0] && strcmp(e, d->start) < 0))
				continue;
			if (++count > MAX_OCCURS)
				return hl_error_set(HL_ELIMIT, "more than %d occurrences asked",
				                    MAX_OCCURS);
			int rc = cb(s, e, ud);
			if (rc)
				return rc < 0 ? rc : 0;
		}
	}
	return 0;
}
