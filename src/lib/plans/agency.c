/* The agencies register: loaded from a CSV in one transaction (every row checked first), listed
 * on a date, and found by a name as plans write it (tones, case and "tỉnh Quảng Ninh" left
 * aside), with the closest known names when none matches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halong/plans.h"
#include "halong/text.h"
#include "halong/units.h"
#include "halong/util.h"
#include "plans_int.h"
#include "store/store_plans.h"

#define MAX_ROWS   10000 /* agencies in one file */
#define MAX_FIELD  2000  /* bytes of a name, a source or a note */
#define SUGGESTION 3     /* closest names given for an unknown one */

const char *hl_agency_kind_name(hl_agency_kind k)
{
	static const char *const names[] = {"so", "ban", "van_phong", "don_vi_su_nghiep", "khac"};
	return k >= HL_AGENCY_SO && k <= HL_AGENCY_KHAC ? names[k] : "?";
}

static void agency_clear(hl_agency *a)
{
	free(a->code), free(a->name), free(a->short_name), free(a->valid_from);
	free(a->valid_to), free(a->successor_code), free(a->source), free(a->note);
	memset(a, 0, sizeof(*a));
}

void hl_agency_free(hl_agency *a)
{
	if (a)
		agency_clear(a);
	free(a);
}

void hl_agencies_free(hl_agencies *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		agency_clear(&l->v[i]);
	free(l->v);
	free(l);
}

static char *dup0(const char *s, int *oom)
{
	char *d = s && *s ? hl_strdup(s) : NULL;
	if (s && *s && !d)
		*oom = 1;
	return d;
}

static int agency_copy(hl_agency *to, const hl_agency *a)
{
	int oom = 0;
	to->code = dup0(a->code, &oom), to->name = dup0(a->name, &oom);
	to->short_name = dup0(a->short_name, &oom), to->valid_from = dup0(a->valid_from, &oom);
	to->valid_to = dup0(a->valid_to, &oom), to->successor_code = dup0(a->successor_code, &oom);
	to->source = dup0(a->source, &oom), to->note = dup0(a->note, &oom);
	to->kind = a->kind;
	return oom ? hl_error_set(HL_ENOMEM, "out of memory") : 0;
}

/* A name as plans are matched (hl_plans__fold), "tinh quang ninh" (or "thanh pho quang ninh")
 * at the end left out. NULL when not UTF-8 (error set). */
static char *match_form(const char *name)
{
	static const char *const tails[] = {" tinh quang ninh", " thanh pho quang ninh"};
	char *f = hl_plans__fold(name);
	size_t n = f ? strlen(f) : 0;
	for (size_t i = 0; f && i < 2; i++) {
		size_t t = strlen(tails[i]);
		if (n > t && !strcmp(f + n - t, tails[i]))
			f[n - t] = '\0';
	}
	return f;
}

/* ---- load ---- */

enum { C_CODE, C_NAME, C_SHORT, C_KIND, C_FROM, C_TO, C_SUCC, C_SOURCE, C_NOTE, C__N };
static const char *const col_names[C__N] = {"code",           "name",       "short_name",
                                            "kind",           "valid_from", "valid_to",
                                            "successor_code", "source",     "note"};

typedef struct {
	hl_agency a;
	char *folded, *short_folded;
	uint64_t line;
} row;

typedef struct {
	row *v;
	size_t n, cap;
} rows;

static void rows_free(rows *r)
{
	for (size_t i = 0; i < r->n; i++) {
		agency_clear(&r->v[i].a);
		free(r->v[i].folded), free(r->v[i].short_folded);
	}
	free(r->v);
}

/* A date column: empty, or yyyy-mm-dd of a real day (the units module's reader, which also
 * takes dd/mm/yyyy: the register is ISO, so what it reads must be what was written). */
static int date_ok(const char *s)
{
	char iso[11];
	if (!*s)
		return 1;
	if (hl_units_date_parse(iso, s) < 0) {
		hl_error_clear();
		return 0;
	}
	return !strcmp(iso, s);
}

static int code_ok(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 32)
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return 0;
	return 1;
}

/* Reads and checks every row; the first bad one is the error (file:line: column: why). */
static int read_rows(rows *out, const char *path)
{
	hl_csv *csv = NULL;
	char **f;
	size_t n;
	uint64_t line;
	int at[C__N], rc;

	for (int i = 0; i < C__N; i++)
		at[i] = -1;
	if ((rc = hl_csv_open(&csv, path)) < 0)
		return rc;
	if ((rc = hl_csv_next(csv, &f, &n, &line)) <= 0) {
		hl_csv_free(csv);
		return rc < 0
		           ? rc
		           : hl_error_set(HL_EINVALID, "%s: empty (a header row is needed)", path);
	}
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < C__N; c++)
			if (!strcmp(f[i], col_names[c]))
				at[c] = (int)i;
	for (int c = C_CODE; c <= C_KIND; c++)
		if (c != C_SHORT && at[c] < 0) {
			hl_csv_free(csv);
			return hl_error_set(HL_EINVALID,
			                    "%s:1: no column %s (needed: code, name, kind)", path,
			                    col_names[c]);
		}
	while ((rc = hl_csv_next(csv, &f, &n, &line)) == 1) {
		const char *v[C__N];
		row *r;
		int oom = 0, kind = -1;
		for (int c = 0; c < C__N; c++) {
			v[c] = "";
			if (at[c] >= 0 && (size_t)at[c] < n)
				v[c] = hl_trim(f[at[c]]);
			if (strlen(v[c]) > MAX_FIELD) {
				rc =
				    hl_error_set(HL_EINVALID, "%s:%llu: %s: at most %d bytes", path,
				                 (unsigned long long)line, col_names[c], MAX_FIELD);
				goto done;
			}
		}
		for (int k = HL_AGENCY_SO; k <= HL_AGENCY_KHAC; k++)
			if (!strcmp(v[C_KIND], hl_agency_kind_name((hl_agency_kind)k)))
				kind = k;
#define BAD(col, ...)                                                                              \
	do {                                                                                       \
		char why_[200];                                                                    \
		snprintf(why_, sizeof(why_), __VA_ARGS__);                                         \
		rc = hl_error_set(HL_EINVALID, "%s:%llu: %s: %s", path, (unsigned long long)line,  \
		                  col_names[col], why_);                                           \
		goto done;                                                                         \
	} while (0)
		if (!code_ok(v[C_CODE]))
			BAD(C_CODE, "\"%.40s\" is not a code (1 to 32 of A-Z a-z 0-9 - _ .)",
			    v[C_CODE]);
		if (!*v[C_NAME])
			BAD(C_NAME, "empty");
		if (kind < 0)
			BAD(C_KIND,
			    "\"%.40s\" is not one of so, ban, van_phong, don_vi_su_nghiep, khac",
			    v[C_KIND]);
		if (!date_ok(v[C_FROM]))
			BAD(C_FROM, "\"%.20s\" is not a yyyy-mm-dd date", v[C_FROM]);
		if (!date_ok(v[C_TO]))
			BAD(C_TO, "\"%.20s\" is not a yyyy-mm-dd date", v[C_TO]);
		if (*v[C_FROM] && *v[C_TO] && strcmp(v[C_FROM], v[C_TO]) > 0)
			BAD(C_TO, "%s is before valid_from %s", v[C_TO], v[C_FROM]);
		if (*v[C_SUCC] && !*v[C_TO])
			BAD(C_SUCC, "an agency with a successor has ended: give its valid_to");
		if (*v[C_SUCC] && !strcmp(v[C_SUCC], v[C_CODE]))
			BAD(C_SUCC, "an agency does not succeed itself");
		for (size_t i = 0; i < out->n; i++)
			if (!strcmp(out->v[i].a.code, v[C_CODE]))
				BAD(C_CODE, "%s is also on line %llu", v[C_CODE],
				    (unsigned long long)out->v[i].line);
		if (out->n == MAX_ROWS)
			BAD(C_CODE, "more than %d agencies", MAX_ROWS);
		if (out->n == out->cap) {
			size_t cap = out->cap ? 2 * out->cap : 64;
			row *nv = realloc(out->v, cap * sizeof(*nv));
			if (!nv) {
				rc = hl_error_set(HL_ENOMEM, "out of memory");
				goto done;
			}
			out->v = nv, out->cap = cap;
		}
		r = &out->v[out->n++];
		memset(r, 0, sizeof(*r));
		r->line = line;
		r->a.kind = (hl_agency_kind)kind;
		r->a.code = dup0(v[C_CODE], &oom), r->a.name = dup0(v[C_NAME], &oom);
		r->a.short_name = dup0(v[C_SHORT], &oom), r->a.valid_from = dup0(v[C_FROM], &oom);
		r->a.valid_to = dup0(v[C_TO], &oom), r->a.successor_code = dup0(v[C_SUCC], &oom);
		r->a.source = dup0(v[C_SOURCE], &oom), r->a.note = dup0(v[C_NOTE], &oom);
		if (oom) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		if (!(r->folded = match_form(v[C_NAME])) ||
		    (*v[C_SHORT] && !(r->short_folded = match_form(v[C_SHORT]))))
			BAD(C_NAME, "not UTF-8 text");
#undef BAD
	}
done:
	hl_csv_free(csv);
	return rc < 0 ? rc : 0;
}

int hl_agency_load(hl_agency_load_stats *out, hl_store *st, const char *path, const char *actor)
{
	rows r = {0};
	hl_agency_load_stats s = {0};
	int rc;

	if ((rc = read_rows(&r, path)) < 0)
		goto done;
	if ((rc = hl_store_begin(st)) < 0)
		goto done;
	/* each successor in the file or the register already */
	for (size_t i = 0; i < r.n && rc == 0; i++) {
		const char *succ = r.v[i].a.successor_code;
		int found = 0;
		for (size_t k = 0; succ && k < r.n && !found; k++)
			found = !strcmp(r.v[k].a.code, succ);
		if (succ && !found && (found = hl_store_agency_exists(st, succ)) == 0)
			rc = hl_error_set(HL_EINVALID, "%s:%llu: successor_code: no agency %s",
			                  path, (unsigned long long)r.v[i].line, succ);
		else if (found < 0)
			rc = found;
	}
	for (size_t i = 0; i < r.n && rc == 0; i++) {
		hl_store_agency_row sr = {&r.v[i].a, r.v[i].folded, r.v[i].short_folded};
		int what = 0;
		if ((rc = hl_store_agency_put(&what, st, &sr)) == 0) {
			s.added += what == HL_AGENCY_ADDED;
			s.changed += what == HL_AGENCY_CHANGED;
			s.unchanged += what == HL_AGENCY_SAME;
		}
	}
	if (rc == 0 && (s.added || s.changed)) {
		char detail[160];
		snprintf(detail, sizeof(detail), "%llu added, %llu changed",
		         (unsigned long long)s.added, (unsigned long long)s.changed);
		rc = hl_store_audit(st, actor && *actor ? actor : "system", "agency.load", path,
		                    detail);
	}
	if (rc == 0)
		rc = hl_store_agency_count(&s.total, st);
	rc = rc < 0 ? (hl_store_rollback(st), rc) : hl_store_commit(st);
	if (rc == 0 && out)
		*out = s;
done:
	rows_free(&r);
	return rc;
}

/* ---- list and find ---- */

typedef struct {
	hl_agencies *l;
	size_t cap;
} collect_ctx;

static int collect(const hl_agency *a, const char *folded, const char *short_folded, void *ud)
{
	collect_ctx *c = ud;
	(void)folded, (void)short_folded;
	if (c->l->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 32;
		hl_agency *v = realloc(c->l->v, cap * sizeof(*v));
		if (!v)
			return hl_error_set(HL_ENOMEM, "out of memory");
		c->l->v = v, c->cap = cap;
	}
	memset(&c->l->v[c->l->n], 0, sizeof(c->l->v[0]));
	return agency_copy(&c->l->v[c->l->n++], a);
}

int hl_agency_list(hl_agencies **out, hl_store *st, const char *date)
{
	collect_ctx c = {calloc(1, sizeof(hl_agencies)), 0};
	int rc;
	if (!c.l)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if (date && !date_ok(date)) {
		free(c.l);
		return hl_error_set(HL_EINVALID, "bad date \"%.20s\" (yyyy-mm-dd)", date);
	}
	if ((rc = hl_store_agency_foreach(st, date, collect, &c)) < 0) {
		hl_agencies_free(c.l);
		return rc;
	}
	*out = c.l;
	return 0;
}

/* Levenshtein distance of two folded names, capped (a suggestion, not a match). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), *d, best;
	if (la > 200 || lb > 200)
		return (size_t)-1;
	if (!(d = malloc((lb + 1) * sizeof(*d))))
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		d[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = d[0];
		d[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = d[j], sub = prev + (a[i - 1] != b[j - 1]);
			d[j] = d[j] + 1 < d[j - 1] + 1 ? d[j] + 1 : d[j - 1] + 1;
			if (sub < d[j])
				d[j] = sub;
			prev = cur;
		}
	}
	best = d[lb];
	free(d);
	return best;
}

typedef struct {
	const char *want, *code;
	hl_agency *found;
	int ambiguous;
	struct {
		size_t dist;
		char text[200];
	} near[SUGGESTION];
} find_ctx;

static int find_one(const hl_agency *a, const char *folded, const char *short_folded, void *ud)
{
	find_ctx *c = ud;
	size_t dist;
	if (!strcmp(a->code, c->code) || !strcmp(folded, c->want) ||
	    (short_folded && !strcmp(short_folded, c->want))) {
		if (c->found) {
			c->ambiguous = 1;
			return 0;
		}
		if (!(c->found = calloc(1, sizeof(*c->found))))
			return hl_error_set(HL_ENOMEM, "out of memory");
		return agency_copy(c->found, a);
	}
	/* a name holding what was typed comes before one merely near it */
	if (strstr(folded, c->want))
		dist = strlen(folded) - strlen(c->want);
	else if ((dist = distance(folded, c->want)) != (size_t)-1)
		dist += 1000;
	for (int i = 0; i < SUGGESTION; i++)
		if (!c->near[i].text[0] || dist < c->near[i].dist) {
			memmove(&c->near[i + 1], &c->near[i],
			        (SUGGESTION - 1 - i) * sizeof(c->near[0]));
			c->near[i].dist = dist;
			snprintf(c->near[i].text, sizeof(c->near[i].text), "%s (%s)", a->name,
			         a->code);
			break;
		}
	return 0;
}

int hl_agency_find(hl_agency **out, hl_store *st, const char *name, const char *date)
{
	find_ctx c;
	char today[11], *want;
	int rc;

	memset(&c, 0, sizeof(c));
	if (!name || !*name || strlen(name) > MAX_FIELD)
		return hl_error_set(HL_EINVALID, "an agency's name has 1 to %d bytes", MAX_FIELD);
	if (date && !date_ok(date))
		return hl_error_set(HL_EINVALID, "bad date \"%.20s\" (yyyy-mm-dd)", date);
	if (!date) {
		hl_plans_today(today); /* the plans' clock (HALONG_TODAY in tests) */
		date = today;
	}
	if (!(want = match_form(name)))
		return hl_error_set(HL_EINVALID, "an agency's name is UTF-8 text");
	c.want = want, c.code = name;
	rc = hl_store_agency_foreach(st, date, find_one, &c);
	if (rc == 0 && c.ambiguous)
		rc = hl_error_set(HL_ECONFLICT, "agency \"%.80s\" names more than one agency on %s",
		                  name, date);
	if (rc == 0 && !c.found) {
		/* a name of another day: the agency that ended, and who took its tasks over */
		find_ctx any;
		memset(&any, 0, sizeof(any));
		any.want = want, any.code = name;
		rc = hl_store_agency_foreach(st, NULL, find_one, &any);
		if (rc == 0 && any.found && !any.ambiguous) {
			const hl_agency *x = any.found;
			int ended = x->valid_to && strcmp(x->valid_to, date) < 0;
			rc = hl_error_set(HL_ENOTFOUND,
			                  "agency \"%.80s\" (%s) %s on %s, not on %s%s%s", name,
			                  x->code, ended ? "ended" : "began",
			                  ended           ? x->valid_to
			                  : x->valid_from ? x->valid_from
			                                  : "?",
			                  date, x->successor_code ? "; its successor is " : "",
			                  x->successor_code ? x->successor_code : "");
		}
		hl_agency_free(any.found);
	}
	if (rc == 0 && !c.found) {
		char msg[800];
		size_t n = 0;
		for (int i = 0; i < SUGGESTION && c.near[i].text[0]; i++)
			n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s%s", i ? "; " : "",
			                      c.near[i].text);
		rc = hl_error_set(HL_ENOTFOUND, "unknown agency \"%.80s\" on %s%s%s", name, date,
		                  n ? "; closest: " : "", n ? msg : "");
	}
	if (rc == 0) {
		*out = c.found;
		c.found = NULL;
	}
	hl_agency_free(c.found);
	free(want);
	return rc;
}

/* ---- a set of names, each with the agencies it names (open addressing) ---- */

typedef struct {
	char *key;
	size_t *idx, n; /* the agencies it names (indexes), none for a unit's */
} name_slot;

typedef struct {
	name_slot *v;
	size_t cap, n; /* cap: 0 or a power of 2, at most half full */
} name_map;

static size_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

static name_slot *map_get(const name_map *m, const char *key)
{
	if (!m->cap || !key)
		return NULL;
	for (size_t i = name_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->v[i].key)
			return NULL;
		if (!strcmp(m->v[i].key, key))
			return &m->v[i];
	}
}

/* The slot of key, added if new (NULL: out of memory, error set). */
static name_slot *map_put(name_map *m, const char *key)
{
	name_slot *x = map_get(m, key);
	if (x)
		return x;
	if (2 * (m->n + 1) > m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 256;
		name_slot *v = calloc(cap, sizeof(*v));
		if (!v) {
			hl_error_set(HL_ENOMEM, "out of memory");
			return NULL;
		}
		for (size_t i = 0; i < m->cap; i++)
			if (m->v[i].key) {
				size_t j = name_hash(m->v[i].key) & (cap - 1);
				while (v[j].key)
					j = (j + 1) & (cap - 1);
				v[j] = m->v[i];
			}
		free(m->v);
		m->v = v, m->cap = cap;
	}
	size_t i = name_hash(key) & (m->cap - 1);
	while (m->v[i].key)
		i = (i + 1) & (m->cap - 1);
	if (!(m->v[i].key = hl_strdup(key))) {
		hl_error_set(HL_ENOMEM, "out of memory");
		return NULL;
	}
	m->n++;
	return &m->v[i];
}

/* key names agency `idx` (once). */
static int map_add(name_map *m, const char *key, size_t idx)
{
	name_slot *x = map_put(m, key);
	size_t *v;
	if (!x)
		return -1;
	for (size_t i = 0; i < x->n; i++)
		if (x->idx[i] == idx)
			return 0;
	if (!(v = realloc(x->idx, (x->n + 1) * sizeof(*v))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	x->idx = v;
	x->idx[x->n++] = idx;
	return 0;
}

static void map_free(name_map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->v[i].key), free(m->v[i].idx);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* ---- the names of one day, told at once (an import) ---- */

struct hl_plans__names {
	hl_agencies *all;  /* every agency of the register, of any day, by code */
	unsigned char *on; /* on[i]: all->v[i] is valid on the day */
	name_map codes;    /* an agency's code, as written → it */
	name_map names;    /* an agency's name or short name, as matched → it */
	name_map units;    /* a commune's code, as written, or its whole name folded, of any day */
};

typedef struct {
	hl_plans__names *n;
	int on_day; /* the second pass: the agencies of the day */
} names_ctx;

static int names_agency(const hl_agency *a, const char *folded, const char *short_folded, void *ud)
{
	names_ctx *c = ud;
	hl_plans__names *n = c->n;
	size_t i;
	if (c->on_day) {
		name_slot *x = map_get(&n->codes, a->code);
		for (i = 0; x && i < x->n; i++)
			if (!strcmp(n->all->v[x->idx[i]].code, a->code))
				n->on[x->idx[i]] = 1;
		return 0;
	}
	if (n->all->n % 32 == 0) {
		hl_agency *v = realloc(n->all->v, (n->all->n + 32) * sizeof(*v));
		if (!v)
			return hl_error_set(HL_ENOMEM, "out of memory");
		n->all->v = v;
	}
	i = n->all->n;
	memset(&n->all->v[i], 0, sizeof(n->all->v[i]));
	n->all->n++;
	if (agency_copy(&n->all->v[i], a) < 0 || map_add(&n->codes, a->code, i) < 0 ||
	    (folded && map_add(&n->names, folded, i) < 0) ||
	    (short_folded && map_add(&n->names, short_folded, i) < 0))
		return -1;
	return 0;
}

static int commune_type(hl_unit_type ty);

static int names_unit(const char *code, const char *full_name, const char *type, void *ud)
{
	hl_plans__names *n = ud;
	char *f;
	if (!commune_type(hl_unit_type_from_key(type ? type : "")))
		return 0;
	if (code && !map_put(&n->units, code))
		return -1;
	if (!full_name || !(f = hl_plans__fold(full_name))) {
		hl_error_clear(); /* as hl_plans__agency_code: a name not folded matches nothing */
		return 0;
	}
	int rc = map_put(&n->units, f) ? 0 : -1;
	free(f);
	return rc;
}

void hl_plans__names_free(hl_plans__names *n)
{
	if (!n)
		return;
	hl_agencies_free(n->all);
	free(n->on);
	map_free(&n->codes), map_free(&n->names), map_free(&n->units);
	free(n);
}

int hl_plans__names_load(hl_plans__names **out, hl_store *st, const char *date)
{
	hl_plans__names *n = calloc(1, sizeof(*n));
	names_ctx c = {n, 0};
	int rc;
	*out = NULL;
	if (!n || !(n->all = calloc(1, sizeof(*n->all)))) {
		free(n);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	if (!date || !date_ok(date))
		rc = hl_error_set(HL_EINVALID, "bad date \"%.20s\" (yyyy-mm-dd)", date ? date : "");
	else if ((rc = hl_store_agency_foreach(st, NULL, names_agency, &c)) == 0 &&
	         !(n->on = calloc(n->all->n + 1, 1)))
		rc = hl_error_set(HL_ENOMEM, "out of memory");
	c.on_day = 1;
	if (rc == 0)
		rc = hl_store_agency_foreach(st, date, names_agency, &c);
	if (rc == 0)
		rc = hl_store_agency_unit_names(st, names_unit, n);
	if (rc < 0) {
		hl_plans__names_free(n);
		return rc;
	}
	*out = n;
	return 0;
}

int hl_plans__names_code(char out[33], const hl_plans__names *n, const char *name)
{
	size_t len = name ? strlen(name) : 0, found = (size_t)-1;
	int many = 0, any = 0;
	char *want, *f;
	out[0] = 0;
	if (!n || !len || len > MAX_FIELD)
		return -1;
	if (!(want = match_form(name))) {
		hl_error_clear();
		return -1;
	}
	/* hl_agency_find: the agencies of the day named by code (as written), name or short name */
	const name_slot *by[2] = {map_get(&n->codes, name), map_get(&n->names, want)};
	free(want);
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; by[k] && i < by[k]->n; i++) {
			size_t x = by[k]->idx[i];
			any = 1;
			if (!n->on[x] || x == found)
				continue;
			many |= found != (size_t)-1;
			found = x;
		}
	if (found != (size_t)-1 && !many) {
		snprintf(out, 33, "%s", n->all->v[found].code);
		return 1;
	}
	if (any) /* more than one, or one of another day: as hl_plans__agency_code says */
		return -1;
	/* no agency: then a commune by its code or its whole name, of any day */
	if (map_get(&n->units, name))
		return -1;
	if (!(f = hl_plans__fold(name))) {
		hl_error_clear();
		return -1;
	}
	int unit = map_get(&n->units, f) != NULL;
	free(f);
	return unit ? -1 : 0;
}

int hl_plans__succ_load(hl_plans__succ *s, hl_store *st)
{
	memset(s, 0, sizeof(*s));
	s->st = st;
	return hl_agency_list(&s->all, st, NULL);
}

void hl_plans__succ_free(hl_plans__succ *s)
{
	hl_agencies_free(s->all);
	free(s->memo);
	memset(s, 0, sizeof(*s));
}

static const hl_agency *by_code(const hl_agencies *l, const char *code)
{
	size_t lo = 0, hi = l->n; /* hl_agency_list is by code */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(l->v[mid].code, code);
		if (!c)
			return &l->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The one unit `code` was merged into whole, renamed as or kept as by `date`; NULL when it
 * has none, or was split. */
static int unit_next(char out[33], hl_store *st, const char *code, const char *date)
{
	hl_successions *l = NULL;
	int n = 0;
	out[0] = 0;
	if (strlen(code) > 16 || hl_units_successors(&l, st, code) < 0) {
		hl_error_clear();
		return 0;
	}
	for (size_t i = 0; i < l->n; i++) {
		const hl_succession *x = &l->v[i];
		if (x->depth != 1 || strcmp(x->effective_date, date) > 0 || !x->new_code[0])
			continue;
		if (x->kind == HL_SUCC_MERGE_PART || (out[0] && strcmp(out, x->new_code)))
			n = 2; /* split: not one successor */
		else if (!out[0]) {
			snprintf(out, 33, "%s", x->new_code);
			n = 1;
		}
	}
	hl_successions_free(l);
	if (n != 1)
		out[0] = 0;
	return n == 1 && strcmp(out, code);
}

/* Might `code` have a successor by `date`: a succession out of it to another unit on or before
 * that day (one lookup)? 0 tells unit_next would find none, without its walk of every
 * succession; 1 (or a failure to tell) leaves it to unit_next. */
static int unit_moves(hl_store *st, const char *code, const char *date)
{
	int rc = hl_store_agency_unit_moves(st, code, date);
	if (rc < 0)
		hl_error_clear();
	return rc != 0;
}

/* The memo's slot of (code, date) (an empty one, code "", where it goes): the memo is a table of
 * capmemo slots (a power of 2), at most half full. */
static size_t memo_at(const hl_plans__succ *s, const char *code, const char *date)
{
	size_t h = (name_hash(code) * 31 + name_hash(date)) & (s->capmemo - 1);
	while (s->memo[h].code[0] &&
	       (strcmp(s->memo[h].code, code) || strcmp(s->memo[h].date, date)))
		h = (h + 1) & (s->capmemo - 1);
	return h;
}

const char *hl_plans__current(hl_plans__succ *s, const char *code, const char *date)
{
	char cur[33], next[33];
	size_t at;
	if (s->capmemo && s->memo[at = memo_at(s, code, date)].code[0])
		return s->memo[at].current;
	snprintf(cur, sizeof(cur), "%s", code);
	for (int i = 0; i < 8; i++) {
		const hl_agency *a = s->all ? by_code(s->all, cur) : NULL;
		if (a) {
			if (!a->successor_code || !a->valid_to || strcmp(a->valid_to, date) >= 0)
				break;
			snprintf(cur, sizeof(cur), "%s", a->successor_code);
		} else if (unit_moves(s->st, cur, date) && unit_next(next, s->st, cur, date))
			snprintf(cur, sizeof(cur), "%s", next);
		else
			break;
	}
	if (!*code)
		return ""; /* an empty slot's mark: not remembered (it is itself) */
	if (2 * (s->nmemo + 1) > s->capmemo) {
		hl_plans__succ old = *s;
		s->capmemo = s->capmemo ? 2 * s->capmemo : 64;
		if (!(s->memo = calloc(s->capmemo, sizeof(*s->memo)))) {
			*s = old;
			return code;
		}
		for (size_t i = 0; i < old.capmemo; i++)
			if (old.memo[i].code[0])
				s->memo[memo_at(s, old.memo[i].code, old.memo[i].date)] =
				    old.memo[i];
		free(old.memo);
	}
	at = memo_at(s, code, date);
	snprintf(s->memo[at].code, 33, "%s", code);
	snprintf(s->memo[at].date, 11, "%s", date);
	snprintf(s->memo[at].current, 33, "%s", cur);
	s->nmemo++;
	return s->memo[at].current;
}

static int commune_type(hl_unit_type ty)
{
	return ty == HL_UNIT_XA || ty == HL_UNIT_PHUONG || ty == HL_UNIT_THI_TRAN ||
	       ty == HL_UNIT_DAC_KHU;
}

/* Is unit u in `province` (its parent, or its parent's parent: a commune of before 2025 was
 * in a district)? */
static int in_province(hl_store *st, const hl_unit *u, const char *province, const char *date)
{
	hl_unit *parent = NULL;
	int in;
	if (!u->parent_code || !*u->parent_code)
		return 0;
	if (!strcmp(u->parent_code, province))
		return 1;
	if (hl_units_show(&parent, st, u->parent_code, date) < 0) {
		hl_error_clear();
		return 0;
	}
	in = parent->parent_code && !strcmp(parent->parent_code, province);
	hl_unit_free(parent);
	return in;
}

int hl_plans__agency_code(char out[33], hl_store *st, const char *name, const char *date)
{
	hl_agency *a = NULL;
	hl_units *u = NULL;
	hl_unit *one = NULL;
	char why[600], found[4][33], where[4][80], *f = NULL, *province = NULL;
	size_t n = 0, all = 0;
	int rc = hl_agency_find(&a, st, name, date);

	out[0] = 0;
	if (rc == 0) {
		snprintf(out, 33, "%s", a->code);
		hl_agency_free(a);
		return 1;
	}
	if (rc != HL_ENOTFOUND)
		return rc;
	snprintf(why, sizeof(why), "%s", hl_error_last());
	/* a commune, ward or special zone (the other tier of local government): by its code */
	if (strlen(name) <= 16 && hl_units_show(&one, st, name, date) == 0) {
		if (commune_type(one->type))
			snprintf(out, 33, "%s", one->code);
		hl_unit_free(one);
		if (out[0])
			return 1;
	}
	/* … or by its whole name ("Phường Hà Tu"), in the province set (plans' setting province)
	 * when the country has more than one of that name */
	if (!(f = hl_plans__fold(name)))
		return hl_error_set(HL_EINVALID, "not UTF-8");
	if ((rc = hl_plans_setting_get(&province, st, "province")) < 0) {
		free(f);
		return rc;
	}
	if (hl_units_find(&u, st, name, date, 100) == 0) {
		for (size_t i = 0; i < u->n; i++) {
			char *ff;
			if (!commune_type(u->v[i].type) ||
			    !(ff = hl_plans__fold(u->v[i].full_name)))
				continue;
			int same = !strcmp(ff, f), dup = 0;
			free(ff);
			for (size_t j = 0; j < n && same; j++)
				dup |= !strcmp(found[j], u->v[i].code);
			if (!same || dup)
				continue;
			if (*province && !in_province(st, &u->v[i], province, date))
				continue;
			all++;
			if (n < 4) {
				snprintf(found[n], 33, "%s", u->v[i].code);
				snprintf(where[n], 80, "%.70s",
				         u->v[i].parent_name ? u->v[i].parent_name : "");
				n++;
			}
		}
		hl_units_free(u);
	}
	hl_error_clear();
	free(f);
	free(province);
	if (all == 1) {
		snprintf(out, 33, "%s", found[0]);
		return 1;
	}
	if (all > 1) {
		char list[400] = "";
		for (size_t i = 0; i < n; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s (%s)",
			         i ? ", " : "", found[i], where[i]);
		hl_error_set(
		    HL_ENOTFOUND,
		    "\"%.80s\" names %zu units on %s: %s; write its code, or set the province "
		    "(plan setting province)",
		    name, all, date ? date : "today", list);
		return 0;
	}
	hl_error_set(HL_ENOTFOUND, "%s", why);
	return 0;
}
