/* Loads a directory of unit files (the shipped data or a later change set) into the store, all
 * or nothing, without overwriting history. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_exchange.h"
#include "halong/text.h"
#include "halong/util.h"
#include "units_int.h"

#define MAX_FILE_ROWS 1000000 /* records in one file */
#define MAX_EVENTS    10000
#define MAX_CEV       128 /* commune rearrangement events (one per province) */
#define MAX_CODE      10  /* digits of a code */

typedef struct {
	char *id, *basis, *kind, *scope, *desc;
	char date[11];
	uint64_t line;
	int is_new;
} ev;

typedef struct {
	hl_store_units *u;
	const char *dir;
	hl_units_load_stats *s;
	hl_progress_cb progress;
	void *ud;
	char d0[11], d0m1[11]; /* the 2025 reform and the day before; "" if unknown */
	char *ev_prov, *ev_dist;
	struct {
		char *scope, *id;
	} cev[MAX_CEV];
	size_t ncev;
	ev *evs;
	size_t nevs;
	char *path; /* the file being read, for messages */
	uint64_t line;
	char last_prov[MAX_CODE + 1], last_dist[MAX_CODE + 1];
} ld;

/* A version as read back from the store, owned. */
typedef struct {
	char *code, *from, *to, *name, *full, *type, *parent, *event, *source;
} ver;

static void ver_clear(ver *v)
{
	free(v->code), free(v->from), free(v->to), free(v->name), free(v->full);
	free(v->type), free(v->parent), free(v->event), free(v->source);
	memset(v, 0, sizeof(*v));
}

static char *dup0(const char *s)
{
	return s ? hl_strdup(s) : NULL;
}

static int ver_copy(const hl_store_unit_row *r, void *ud)
{
	ver *v = ud;
	ver_clear(v);
	v->code = dup0(r->code), v->from = dup0(r->valid_from), v->to = dup0(r->valid_to);
	v->name = dup0(r->name), v->full = dup0(r->full_name), v->type = dup0(r->type);
	v->parent = dup0(r->parent_code), v->event = dup0(r->event_id);
	v->source = dup0(r->source);
	return 1;
}

/* An error about the current file and line. */
static int bad(ld *L, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(ld *L, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (L->line)
		return hl_error_set(code, "%s:%llu: %s", L->path, (unsigned long long)L->line, msg);
	return hl_error_set(code, "%s: %s", L->path, msg);
}

static int check_code(ld *L, const char *code, const char *what)
{
	size_t n = strlen(code);
	if (!n)
		return bad(L, HL_EINVALID, "%s: empty code", what);
	if (n > MAX_CODE)
		return bad(L, HL_EINVALID, "%s: code \"%.20s\" is too long", what, code);
	for (size_t i = 0; i < n; i++)
		if (code[i] < '0' || code[i] > '9')
			return bad(L, HL_EINVALID, "%s: code \"%s\" is not all digits", what, code);
	return 0;
}

static int need_d0(ld *L)
{
	if (!*L->d0)
		return bad(
		    L, HL_EINVALID,
		    "the date of the 2025 reform is unknown: events.csv has no event of kind "
		    "district_level_abolished");
	return 0;
}

static const char *commune_event(ld *L, const char *province)
{
	for (size_t i = 0; i < L->ncev; i++)
		if (!strcmp(L->cev[i].scope, province))
			return L->cev[i].id;
	return NULL;
}

/* Adds a version unless (code, from) is known. type < 0: from the full name's prefix. */
static int put_version(ld *L, const char *code, const char *from, const char *to, const char *full,
                       const char *name, int type, const char *parent, const char *event)
{
	char *nfull = NULL, *nname = NULL, *short_name = NULL, *fold = NULL, src[600];
	hl_store_unit_row r = {0};
	hl_unit_type derived;
	int rc, status;

	if ((rc = check_code(L, code, "unit")) < 0)
		return rc;
	if (!*full)
		return bad(L, HL_EINVALID, "unit %s: empty name", code);
	if (hl_text_nfc(&nfull, full, -1) < 0)
		return bad(L, HL_EINVALID, "unit %s: name is not UTF-8", code);
	derived = hl_units__type_of(&short_name, nfull, code);
	if (name && *name && hl_text_nfc(&nname, name, -1) < 0) {
		rc = bad(L, HL_EINVALID, "unit %s: name is not UTF-8", code);
		goto done;
	}
	if (!(fold = hl_units__fold(nfull))) {
		rc = -1;
		goto done;
	}
	snprintf(src, sizeof(src), "%s:%llu", L->path, (unsigned long long)L->line);
	r.code = code, r.valid_from = from, r.valid_to = to, r.full_name = nfull;
	r.name = nname ? nname : short_name;
	r.type = hl_unit_type_key(type < 0 ? derived : (hl_unit_type)type);
	r.parent_code = parent && *parent ? parent : NULL;
	r.event_id = event, r.source = src;
	if ((rc = hl_store_unit_version_add(&status, L->u, &r, fold)) < 0)
		goto done;
	if (status == HL_PUT_INSERTED)
		L->s->versions_added++;
done:
	free(nfull), free(nname), free(short_name), free(fold);
	return rc;
}

/* Splits or ends nothing for base data; a later-dated whole merge ends the old version. */
static int end_version(ld *L, const char *code, const char *last_day)
{
	ver v = {0};
	int rc = hl_store_unit_at(L->u, code, last_day, ver_copy, &v);
	if (rc == 0 && (!v.to || strcmp(v.to, last_day) > 0)) {
		char *f = hl_units__fold(v.full);
		hl_store_unit_row r = {v.code, v.from,   last_day, v.name,   v.full,
		                       v.type, v.parent, v.event,  v.source, NULL};
		rc = f ? hl_store_unit_version_set(L->u, &r, f) : -1;
		free(f);
		if (rc == 0)
			L->s->versions_split++;
	}
	ver_clear(&v);
	return rc == HL_ENOTFOUND ? 0 : rc;
}

static int put_succession(ld *L, const char *old, const char *new_code, const char *merge_type,
                          const char *date, const char *event)
{
	hl_succ_kind kind = hl_units__kind_of(merge_type);
	char before[11], src[600];
	hl_store_succession_row r = {0};
	int rc, status;

	if ((rc = check_code(L, old, "old unit")) < 0 ||
	    (rc = check_code(L, new_code, "new unit")) < 0)
		return rc;
	if (!kind)
		return bad(L, HL_EINVALID, "unknown merge type \"%.80s\"", merge_type);
	hl_units__date_add(before, date, -1);
	if ((rc = hl_store_unit_at(L->u, old, before, NULL, NULL)) == HL_ENOTFOUND)
		return bad(L, HL_EINVALID, "old unit %s does not exist on %s", old, before);
	if (rc < 0)
		return rc;
	if ((rc = hl_store_unit_at(L->u, new_code, date, NULL, NULL)) == HL_ENOTFOUND)
		return bad(L, HL_EINVALID, "new unit %s does not exist on %s", new_code, date);
	if (rc < 0)
		return rc;
	snprintf(src, sizeof(src), "%s:%llu", L->path, (unsigned long long)L->line);
	r.old_code = old, r.new_code = new_code, r.effective_date = date;
	r.kind = hl_succ_kind_name(kind), r.merge_type = merge_type, r.event_id = event;
	r.source = src;
	if ((rc = hl_store_succession_add(&status, L->u, &r)) < 0)
		return rc;
	if (status == HL_PUT_INSERTED)
		L->s->successions_added++;
	if (strcmp(date, L->d0) && kind == HL_SUCC_MERGE_WHOLE && strcmp(old, new_code))
		return end_version(L, old, before);
	return 0;
}

static int put_abolish(ld *L, const char *code, const char *date, const char *event)
{
	char src[600];
	hl_store_succession_row r = {0};
	int status, rc;
	snprintf(src, sizeof(src), "%s:%llu", L->path, (unsigned long long)L->line);
	r.old_code = code, r.new_code = "", r.effective_date = date;
	r.kind = hl_succ_kind_name(HL_SUCC_ABOLISH), r.event_id = event, r.source = src;
	if ((rc = hl_store_succession_add(&status, L->u, &r)) < 0)
		return rc;
	if (status == HL_PUT_INSERTED)
		L->s->successions_added++;
	return 0;
}

/* ---- reading files ---- */

#define MAXCOLS 16
typedef int (*row_fn)(ld *L, const char *const *v);

/* Reads DIR/name if present (required: an error if absent): maps the header onto cols (the
 * first nreq required, the rest optional and "" when absent) and calls fn for each row. */
static int read_file(ld *L, const char *name, const char *const *cols, int nreq, row_fn fn,
                     int required)
{
	hl_csv *csv = NULL;
	char **f;
	size_t n;
	int ix[MAXCOLS], ncols = 0, rc;
	uint64_t line, rows = 0;

	free(L->path);
	L->path = hl_path_join(L->dir, name);
	L->line = 0;
	if (!hl_file_exists(L->path))
		return required ? bad(L, HL_ENOTFOUND, "no such file") : 0;
	if ((rc = hl_csv_open(&csv, L->path)) < 0)
		return rc;
	while (cols[ncols])
		ncols++;
	rc = hl_csv_next(csv, &f, &n, &line);
	if (rc <= 0) {
		hl_csv_free(csv);
		return rc < 0 ? rc : bad(L, HL_EINVALID, "empty file: a header is required");
	}
	for (int c = 0; c < ncols; c++) {
		ix[c] = -1;
		for (size_t i = 0; i < n; i++)
			if (!strcmp(hl_trim(f[i]), cols[c]))
				ix[c] = (int)i;
		if (ix[c] < 0 && c < nreq) {
			L->line = line;
			hl_csv_free(csv);
			return bad(L, HL_EINVALID, "header has no column %s", cols[c]);
		}
	}
	while ((rc = hl_csv_next(csv, &f, &n, &line)) > 0) {
		const char *v[MAXCOLS];
		L->line = line;
		if (n == 1 && !*hl_trim(f[0]))
			continue; /* a blank line */
		if (++rows > MAX_FILE_ROWS) {
			rc = bad(L, HL_ELIMIT, "more than %d rows", MAX_FILE_ROWS);
			break;
		}
		for (int c = 0; c < ncols; c++)
			v[c] = ix[c] >= 0 && (size_t)ix[c] < n ? hl_trim(f[ix[c]]) : "";
		L->s->rows++;
		if ((rc = fn(L, v)) < 0)
			break;
		if (L->progress && rows % 1000 == 0 &&
		    L->progress(name, hl_csv_offset(csv), hl_csv_size(csv), L->ud)) {
			rc = bad(L, HL_ERROR, "interrupted");
			break;
		}
	}
	hl_csv_free(csv);
	return rc < 0 ? rc : 0;
}

/* ---- events.csv ---- */

static int event_row(ld *L, const char *const *v)
{
	ev *e;
	char date[11];
	if (!*v[0])
		return bad(L, HL_EINVALID, "empty event_id");
	if (strlen(v[0]) > 100)
		return bad(L, HL_EINVALID, "event_id longer than 100 bytes");
	if (hl_units_date_parse(date, v[1]) < 0)
		return bad(L, HL_EINVALID, "event %s: %s", v[0], hl_error_last());
	if (!*v[3])
		return bad(L, HL_EINVALID, "event %s: empty kind", v[0]);
	for (size_t i = 0; i < L->nevs; i++)
		if (!strcmp(L->evs[i].id, v[0]))
			return bad(L, HL_EINVALID, "event %s appears twice (line %llu)", v[0],
			           (unsigned long long)L->evs[i].line);
	if (L->nevs >= MAX_EVENTS)
		return bad(L, HL_ELIMIT, "more than %d events", MAX_EVENTS);
	e = realloc(L->evs, (L->nevs + 1) * sizeof(*e));
	if (!e)
		return hl_error_set(HL_ENOMEM, "out of memory");
	L->evs = e;
	e = &L->evs[L->nevs++];
	memset(e, 0, sizeof(*e));
	memcpy(e->date, date, sizeof(date));
	e->id = hl_strdup(v[0]), e->basis = hl_strdup(v[2]), e->kind = hl_strdup(v[3]);
	e->scope = hl_strdup(v[4]), e->desc = hl_strdup(v[5]);
	e->line = L->line;
	return 0;
}

static int streq0(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

typedef struct {
	const ev *e;
	int differs;
} event_cmp;

static int event_same(const hl_store_unit_event_row *r, void *ud)
{
	event_cmp *c = ud;
	const ev *e = c->e;
	c->differs = !(streq0(r->effective_date, e->date) && streq0(r->legal_basis, e->basis) &&
	               streq0(r->kind, e->kind) && streq0(r->scope_code, e->scope) &&
	               streq0(r->description, e->desc));
	return 1;
}

static int event_known(const hl_store_unit_event_row *r, void *ud)
{
	ld *L = ud;
	if (!strcmp(r->kind, "district_level_abolished") && !*L->d0) {
		snprintf(L->d0, sizeof(L->d0), "%s", r->effective_date);
		hl_units__date_add(L->d0m1, L->d0, -1);
		L->ev_dist = hl_strdup(r->event_id);
	} else if (!strcmp(r->kind, "province_rearrangement") && !L->ev_prov) {
		L->ev_prov = hl_strdup(r->event_id);
	} else if (!strcmp(r->kind, "commune_rearrangement") && r->scope_code &&
	           L->ncev < MAX_CEV) {
		L->cev[L->ncev].scope = hl_strdup(r->scope_code);
		L->cev[L->ncev++].id = hl_strdup(r->event_id);
	}
	return 0;
}

static int load_events(ld *L)
{
	static const char *const cols[] = {"event_id",   "effective_date", "legal_basis", "kind",
	                                   "scope_code", "description",    NULL};
	int rc = read_file(L, "events.csv", cols, 4, event_row, 1);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < L->nevs; i++) {
		ev *e = &L->evs[i];
		event_cmp c = {e, 0};
		L->line = e->line;
		rc = hl_store_unit_event_get(L->u, e->id, event_same, &c);
		if (rc == HL_ENOTFOUND) {
			hl_store_unit_event_row r = {e->id,   e->date,  e->basis,
			                             e->kind, e->scope, e->desc};
			if ((rc = hl_store_unit_event_add(L->u, &r)) < 0)
				return rc;
			e->is_new = 1;
			L->s->events_added++;
		} else if (rc < 0) {
			return rc;
		} else if (c.differs) {
			/* History is not rewritten: a correction is a new event. */
			return bad(L, HL_ECONFLICT,
			           "event %s is already loaded with a different content; a change "
			           "needs a new event_id",
			           e->id);
		}
	}
	L->line = 0;
	return hl_store_unit_event_foreach(L->u, event_known, L);
}

/* ---- the unit files ---- */

static int province_type(const char *key)
{
	if (!strcmp(key, "tinh"))
		return HL_UNIT_TINH;
	if (!strcmp(key, "thanh_pho") || !strcmp(key, "thanh_pho_tw"))
		return HL_UNIT_THANH_PHO_TW;
	return -1;
}

static int new_unit_row(ld *L, const char *const *v)
{
	/* code, name, full_name, type, parent_code */
	int t = province_type(v[3]);
	const char *event;
	int rc;
	if ((rc = need_d0(L)) < 0)
		return rc;
	if (t < 0) {
		hl_unit_type k = hl_unit_type_from_key(v[3]);
		if (k != HL_UNIT_XA && k != HL_UNIT_PHUONG && k != HL_UNIT_DAC_KHU &&
		    k != HL_UNIT_THI_TRAN)
			return bad(L, HL_EINVALID, "unit %s: unknown type \"%.40s\"", v[0], v[3]);
		t = (int)k;
		if (!*v[4])
			return bad(L, HL_EINVALID, "unit %s: a commune needs a parent_code", v[0]);
		if ((rc = check_code(L, v[4], "parent")) < 0)
			return rc;
		event = commune_event(L, v[4]);
	} else {
		event = L->ev_prov;
	}
	return put_version(L, v[0], L->d0, NULL, v[2], v[1], t,
	                   t == HL_UNIT_TINH || t == HL_UNIT_THANH_PHO_TW ? NULL : v[4], event);
}

static int district(ld *L, const char *code, const char *name, const char *province, int strict)
{
	char *short_name = NULL;
	hl_unit_type t;
	int rc;
	if (!strcmp(L->last_dist, code))
		return 0;
	if ((rc = check_code(L, code, "district")) < 0)
		return rc;
	t = hl_units__type_of(&short_name, name, code);
	free(short_name);
	if (strict && t != HL_UNIT_HUYEN && t != HL_UNIT_QUAN && t != HL_UNIT_THI_XA &&
	    t != HL_UNIT_THANH_PHO_TINH)
		return bad(
		    L, HL_EINVALID,
		    "district %s: \"%.80s\" does not begin with Huyện, Quận, Thị xã or Thành phố",
		    code, name);
	if ((rc = put_version(L, code, HL_UNITS_DATA_FROM, L->d0m1, name, NULL, -1, province,
	                      NULL)) < 0 ||
	    (rc = put_abolish(L, code, L->d0, L->ev_dist)) < 0)
		return rc;
	snprintf(L->last_dist, sizeof(L->last_dist), "%s", code);
	return 0;
}

static int old_unit_row(ld *L, const char *const *v)
{
	/* code, name, type, district_code, district_name, province_code */
	char *f;
	int t = -1, rc;
	if ((rc = need_d0(L)) < 0 || (rc = check_code(L, v[5], "province")) < 0)
		return rc;
	if ((rc = district(L, v[3], v[4], v[5], 1)) < 0)
		return rc;
	if (!(f = hl_units__fold(v[2])))
		return -1;
	t = !strcmp(f, " phuong ")     ? HL_UNIT_PHUONG
	    : !strcmp(f, " xa ")       ? HL_UNIT_XA
	    : !strcmp(f, " thi tran ") ? HL_UNIT_THI_TRAN
	                               : -1;
	free(f);
	if (t < 0)
		return bad(L, HL_EINVALID, "unit %s: unknown type \"%.40s\"", v[0], v[2]);
	return put_version(L, v[0], HL_UNITS_DATA_FROM, L->d0m1, v[1], NULL, t, v[3], NULL);
}

/* The date and event of a mapping row: its own columns if given, else the 2025 reform. */
static int mapping_when(ld *L, char date[11], const char **event, const char *d, const char *e,
                        const char *province)
{
	if (*d) {
		if (hl_units_date_parse(date, d) < 0)
			return bad(L, HL_EINVALID, "%s", hl_error_last());
	} else {
		memcpy(date, L->d0, 11);
	}
	*event = *e ? e : commune_event(L, province);
	if (*e && hl_store_unit_event_get(L->u, e, NULL, NULL) == HL_ENOTFOUND)
		return bad(L, HL_EINVALID, "unknown event %s", e);
	return 0;
}

static int national_row(ld *L, const char *const *v)
{
	/* old_code, old_name, old_district_code, old_district, old_province_code, old_province,
	 * new_code, merge_type, effective_date, event_id */
	char date[11];
	const char *event;
	int rc;
	if ((rc = need_d0(L)) < 0 || (rc = check_code(L, v[4], "old province")) < 0)
		return rc;
	if ((rc = mapping_when(L, date, &event, v[8], v[9], v[4])) < 0)
		return rc;
	if (strcmp(L->last_prov, v[4])) {
		if ((rc = put_version(L, v[4], HL_UNITS_DATA_FROM, L->d0m1, v[5], NULL, -1, NULL,
		                      NULL)) < 0)
			return rc;
		snprintf(L->last_prov, sizeof(L->last_prov), "%s", v[4]);
	}
	if ((rc = district(L, v[2], v[3], v[4], 0)) < 0 ||
	    (rc = put_version(L, v[0], HL_UNITS_DATA_FROM, L->d0m1, v[1], NULL, -1, v[2], NULL)) <
	        0)
		return rc;
	return put_succession(L, v[0], v[6], v[7], date, event);
}

static int qn_mapping_row(ld *L, const char *const *v)
{
	/* old_code, old_province_code, new_code, merge_type, effective_date, event_id */
	char date[11];
	const char *event;
	int rc;
	if ((rc = need_d0(L)) < 0 || (rc = mapping_when(L, date, &event, v[4], v[5], v[1])) < 0)
		return rc;
	return put_succession(L, v[0], v[2], v[3], date, event);
}

/* ---- events that change units ---- */

/* "Tỉnh Quảng Ninh → Thành phố Quảng Ninh (thành phố ...); ..." -> the two names. */
static int parse_arrow(char **from, char **to, const char *desc)
{
	const char *arrow = strstr(desc, "\xe2\x86\x92"), *b, *end;
	size_t alen = 3;
	if (!arrow)
		arrow = strstr(desc, "->"), alen = 2;
	if (!arrow)
		return -1;
	b = arrow + alen;
	end = b + strcspn(b, "(;,\n");
	*from = strndup(desc, (size_t)(arrow - desc));
	*to = strndup(b, (size_t)(end - b));
	hl_trim(*from), hl_trim(*to);
	if (!**from || !**to) {
		free(*from), free(*to);
		return -1;
	}
	return 0;
}

static int same_name(const char *a, const char *b)
{
	char *fa = hl_units__fold(a), *fb = hl_units__fold(b);
	int same = fa && fb && !strcmp(fa, fb);
	free(fa), free(fb);
	return same;
}

static int apply_change(ld *L, const ev *e, hl_succ_kind kind)
{
	char *from = NULL, *to = NULL, *name_from = NULL, *name_to = NULL, before[11];
	ver v = {0};
	hl_unit_type t_from, t_to;
	int rc;

	if (parse_arrow(&from, &to, e->desc ? e->desc : "") < 0)
		return bad(L, HL_EINVALID,
		           "event %s: the description must read \"OLD NAME → NEW NAME\"", e->id);
	t_from = hl_units__type_of(&name_from, from, e->scope);
	t_to = hl_units__type_of(&name_to, to, e->scope);
	hl_units__date_add(before, e->date, -1);
	rc = hl_store_unit_at(L->u, e->scope, e->date, ver_copy, &v);
	if (rc == HL_ENOTFOUND) {
		rc = bad(L, HL_EINVALID, "event %s: unit %s does not exist on %s", e->id, e->scope,
		         e->date);
		goto done;
	}
	if (rc < 0)
		goto done;
	if (!strcmp(v.from, e->date) && same_name(v.full, to)) {
		rc = 0; /* already in the state the event describes, from that day */
	} else if (strcmp(v.from, e->date) < 0 &&
	           (same_name(v.full, to) || same_name(v.full, from))) {
		/* Split the version at the event: the part before keeps (or gets back) the old
		 * name, the part from the event on has the new one. */
		int newer = same_name(v.full, to);
		char *fb = hl_units__fold(newer ? from : v.full);
		hl_store_unit_row r = {v.code,
		                       v.from,
		                       before,
		                       newer ? name_from : v.name,
		                       newer ? from : v.full,
		                       newer ? hl_unit_type_key(t_from) : v.type,
		                       v.parent,
		                       v.event,
		                       v.source,
		                       NULL};
		rc = fb ? hl_store_unit_version_set(L->u, &r, fb) : -1;
		free(fb);
		if (rc < 0)
			goto done;
		L->s->versions_split++;
		if ((rc = put_version(L, v.code, e->date, v.to, newer ? v.full : to,
		                      newer ? v.name : name_to,
		                      newer ? (int)hl_unit_type_from_key(v.type) : (int)t_to,
		                      v.parent, e->id)) < 0)
			goto done;
	} else {
		rc = bad(L, HL_EINVALID,
		         "event %s: unit %s is \"%s\" on %s, neither \"%s\" nor \"%s\"", e->id,
		         e->scope, v.full, e->date, from, to);
		goto done;
	}
	{
		hl_store_succession_row r = {0};
		char src[600];
		int status;
		snprintf(src, sizeof(src), "%s:%llu", L->path, (unsigned long long)L->line);
		r.old_code = e->scope, r.new_code = e->scope, r.effective_date = e->date;
		r.kind = hl_succ_kind_name(kind), r.event_id = e->id, r.source = src;
		if ((rc = hl_store_succession_add(&status, L->u, &r)) == 0 &&
		    status == HL_PUT_INSERTED)
			L->s->successions_added++;
	}
done:
	ver_clear(&v);
	free(from), free(to), free(name_from), free(name_to);
	return rc;
}

static int apply_abolish(ld *L, const ev *e)
{
	char before[11];
	int rc;
	hl_units__date_add(before, e->date, -1);
	if (hl_store_unit_at(L->u, e->scope, before, NULL, NULL) == HL_ENOTFOUND)
		return bad(L, HL_EINVALID, "event %s: unit %s does not exist on %s", e->id,
		           e->scope, before);
	if ((rc = end_version(L, e->scope, before)) < 0)
		return rc;
	return put_abolish(L, e->scope, e->date, e->id);
}

static int by_date(const void *a, const void *b)
{
	const ev *x = a, *y = b;
	int c = strcmp(x->date, y->date);
	return c ? c : x->line < y->line ? -1 : x->line > y->line;
}

static int apply_events(ld *L)
{
	free(L->path);
	L->path = hl_path_join(L->dir, "events.csv");
	if (L->nevs)
		qsort(L->evs, L->nevs, sizeof(*L->evs), by_date);
	for (size_t i = 0; i < L->nevs; i++) {
		const ev *e = &L->evs[i];
		const char *k = e->kind;
		int rc = 0;
		if (!e->is_new)
			continue;
		L->line = e->line;
		if (!strcmp(k, "province_rearrangement") ||
		    !strcmp(k, "district_level_abolished") || !strcmp(k, "commune_rearrangement"))
			continue; /* their effects are the unit and mapping files */
		if (!strcmp(k, "reclassified") || !strcmp(k, "renamed") ||
		    !strcmp(k, "abolished")) {
			if ((rc = check_code(L, e->scope, "event scope_code")) < 0)
				return rc;
		}
		if (!strcmp(k, "reclassified"))
			rc = apply_change(L, e, HL_SUCC_RECLASSIFY);
		else if (!strcmp(k, "renamed"))
			rc = apply_change(L, e, HL_SUCC_RENAME);
		else if (!strcmp(k, "abolished"))
			rc = apply_abolish(L, e);
		else
			rc = bad(L, HL_EINVALID,
			         "event %s: unknown kind \"%.40s\" (known: reclassified, renamed, "
			         "abolished, province_rearrangement, district_level_abolished, "
			         "commune_rearrangement)",
			         e->id, k);
		if (rc < 0)
			return rc;
	}
	L->line = 0;
	return 0;
}

/* ---- checks over everything loaded ---- */

static int orphan(const hl_store_unit_row *r, void *ud)
{
	return hl_error_set(HL_EINVALID,
	                    "%s: unit %s (from %s) names parent %s, which does not "
	                    "exist on that day",
	                    r->source ? r->source : "?", r->code, r->valid_from, r->parent_code);
}

/* After the events: every succession still joins a unit that existed the day before to one that
 * exists on the day. An event of this load (or an earlier one) may have ended the old unit's
 * version after its mapping row was checked; loading the same files again would then refuse
 * the row, so refuse it now (fuzz/corpus/units/regress-abolished-then-mapped.txt). */
typedef struct {
	hl_store_units *u;
} succ_check;

static int joined(const hl_store_succession_row *r, void *ud)
{
	succ_check *c = ud;
	char before[11];
	int rc;
	if (!r->new_code || !*r->new_code)
		return 0; /* an abolition leads nowhere */
	hl_units__date_add(before, r->effective_date, -1);
	if ((rc = hl_store_unit_at(c->u, r->old_code, before, NULL, NULL)) == HL_ENOTFOUND)
		return hl_error_set(
		    HL_EINVALID, "%s: old unit %s does not exist on %s (an event ends it earlier)",
		    r->source ? r->source : "?", r->old_code, before);
	if (rc < 0)
		return rc;
	if ((rc = hl_store_unit_at(c->u, r->new_code, r->effective_date, NULL, NULL)) ==
	    HL_ENOTFOUND)
		return hl_error_set(
		    HL_EINVALID, "%s: new unit %s does not exist on %s (an event ends it earlier)",
		    r->source ? r->source : "?", r->new_code, r->effective_date);
	return rc < 0 ? rc : 0;
}

static int check_joined(hl_store_units *u)
{
	succ_check c = {u};
	return hl_store_successions_all(u, joined, &c);
}

/* The succession graph between versions must have no cycle. Nodes are "code@valid_from". */
typedef struct {
	char *a, *b, *src, *date;
	size_t ia, ib;
} edge;

typedef struct {
	hl_store_units *u;
	edge *e;
	size_t n, cap;
	char **node;
	size_t nnode;
	int err;
} graph;

static int vkey(const hl_store_unit_row *r, void *ud)
{
	char **k = ud;
	size_t n = strlen(r->code) + strlen(r->valid_from) + 2;
	*k = malloc(n);
	if (*k)
		snprintf(*k, n, "%s@%s", r->code, r->valid_from);
	return 1;
}

static int add_edge(const hl_store_succession_row *r, void *ud)
{
	graph *g = ud;
	char before[11];
	char *a = NULL, *b = NULL;
	if (!*r->new_code || !strcmp(r->old_code, r->new_code))
		return 0; /* an abolition leads nowhere; a code to itself is one unit going on */
	hl_units__date_add(before, r->effective_date, -1);
	hl_store_unit_at(g->u, r->old_code, before, vkey, &a);
	hl_store_unit_at(g->u, r->new_code, r->effective_date, vkey, &b);
	if (!a || !b) {
		free(a), free(b);
		return 0;
	}
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 1024;
		edge *e = realloc(g->e, cap * sizeof(*e));
		if (!e) {
			free(a), free(b);
			return hl_error_set(HL_ENOMEM, "out of memory");
		}
		g->e = e, g->cap = cap;
	}
	g->e[g->n].a = a, g->e[g->n].b = b;
	g->e[g->n].src = hl_strdup(r->source ? r->source : "?");
	g->e[g->n].date = hl_strdup(r->effective_date);
	g->n++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_edge(const void *a, const void *b)
{
	const edge *x = a, *y = b;
	return x->ia < y->ia ? -1 : x->ia > y->ia;
}

static size_t node_of(graph *g, const char *k)
{
	char **p = bsearch(&k, g->node, g->nnode, sizeof(char *), cmp_str);
	return (size_t)(p - g->node);
}

/* Iterative depth-first search: colour 1 on the path, 2 done. */
static int find_cycle(graph *g, size_t **start_out)
{
	size_t *start = calloc(g->nnode + 1, sizeof(size_t));
	unsigned char *colour = calloc(g->nnode, 1);
	size_t *stack = malloc((g->nnode + 1) * sizeof(size_t));
	size_t *next = malloc((g->nnode + 1) * sizeof(size_t));
	int rc = 0;

	if (!start || !colour || !stack || !next) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < g->n; i++)
		start[g->e[i].ia + 1]++;
	for (size_t i = 0; i < g->nnode; i++)
		start[i + 1] += start[i];
	for (size_t root = 0; root < g->nnode && !rc; root++) {
		size_t sp = 0;
		if (colour[root])
			continue;
		stack[sp] = root, next[sp] = start[root], sp++;
		colour[root] = 1;
		while (sp && !rc) {
			size_t v = stack[sp - 1];
			if (next[sp - 1] == start[v + 1]) {
				colour[v] = 2;
				sp--;
				continue;
			}
			const edge *e = &g->e[next[sp - 1]++];
			if (colour[e->ib] == 1) {
				rc = hl_error_set(
				    HL_EINVALID,
				    "%s: a cycle in succession: %.*s → %.*s on %s leads back "
				    "to a unit it came from",
				    e->src, (int)strcspn(e->a, "@"), e->a, (int)strcspn(e->b, "@"),
				    e->b, e->date);
			} else if (!colour[e->ib]) {
				colour[e->ib] = 1;
				stack[sp] = e->ib, next[sp] = start[e->ib], sp++;
			}
		}
	}
done:
	free(colour), free(stack), free(next);
	*start_out = start;
	return rc;
}

static int check_cycles(hl_store_units *u)
{
	graph g = {.u = u};
	size_t *start = NULL;
	int rc = hl_store_successions_all(u, add_edge, &g);

	if (rc == 0 && g.n) {
		g.node = malloc(2 * g.n * sizeof(char *));
		if (!g.node) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		for (size_t i = 0; i < g.n; i++)
			g.node[g.nnode++] = g.e[i].a, g.node[g.nnode++] = g.e[i].b;
		qsort(g.node, g.nnode, sizeof(char *), cmp_str);
		size_t j = 0;
		for (size_t i = 0; i < g.nnode; i++)
			if (!j || strcmp(g.node[i], g.node[j - 1]))
				g.node[j++] = g.node[i];
		g.nnode = j;
		for (size_t i = 0; i < g.n; i++)
			g.e[i].ia = node_of(&g, g.e[i].a), g.e[i].ib = node_of(&g, g.e[i].b);
		qsort(g.e, g.n, sizeof(edge), cmp_edge);
		rc = find_cycle(&g, &start);
	}
done:
	for (size_t i = 0; i < g.n; i++)
		free(g.e[i].a), free(g.e[i].b), free(g.e[i].src), free(g.e[i].date);
	free(g.e), free(g.node), free(start);
	return rc;
}

/* The entry of a load that changed something (nothing changed: nothing to audit). */
static int audit_load(hl_store *st, const hl_units_load_stats *s, const char *dir,
                      const char *actor)
{
	char detail[256];
	const char *base = strrchr(dir, '/');
	if (!s->versions_added && !s->versions_split && !s->successions_added && !s->events_added)
		return 0;
	snprintf(detail, sizeof(detail),
	         "%llu versions added, %llu split, %llu successions added, %llu events added",
	         (unsigned long long)s->versions_added, (unsigned long long)s->versions_split,
	         (unsigned long long)s->successions_added, (unsigned long long)s->events_added);
	return hl_store_audit(st, actor && *actor ? actor : "system", "units.load",
	                      base && base[1] ? base + 1 : dir, detail);
}

const char *const hl_units_files[] = {"events.csv",
                                      "vn_provinces_34.csv",
                                      "vn_communes_3321.csv",
                                      "quangninh_units_2025.csv",
                                      "quangninh_units_pre2025.csv",
                                      "vn_mapping_old_to_new_all.csv",
                                      "quangninh_mapping_old_to_new.csv",
                                      NULL};

int hl_units_load(hl_units_load_stats *out, hl_store *st, const char *dir, const char *actor,
                  hl_progress_cb progress, void *ud)
{
	static const char *const c_new[] = {"code", "name",        "full_name",
	                                    "type", "parent_code", NULL};
	static const char *const c_old[] = {
	    "code", "name", "type", "district_code", "district_name", "province_code", NULL};
	static const char *const c_nat[] = {"old_code",
	                                    "old_name",
	                                    "old_district_code",
	                                    "old_district",
	                                    "old_province_code",
	                                    "old_province",
	                                    "new_code",
	                                    "merge_type",
	                                    "effective_date",
	                                    "event_id",
	                                    NULL};
	static const char *const c_qnm[] = {"old_code",   "old_province_code", "new_code",
	                                    "merge_type", "effective_date",    "event_id",
	                                    NULL};
	hl_units_load_stats s = {0};
	ld L = {0};
	int rc, own;

	if (!dir || !*dir)
		return hl_error_set(HL_EINVALID, "no directory given");
	if ((rc = hl_store_units_open(&L.u, st)) < 0)
		return rc;
	L.dir = dir, L.s = &s, L.progress = progress, L.ud = ud;
	/* Inside a caller's transaction (a feed entry applied with its position, src/lib/feed/)
	 * the caller commits or rolls back. */
	own = !hl_store_in_tx(st);
	if (own && (rc = hl_store_begin(st)) < 0)
		goto done;
	if ((rc = load_events(&L)) < 0 ||
	    (rc = read_file(&L, "vn_provinces_34.csv", c_new, 4, new_unit_row, 0)) < 0 ||
	    (rc = read_file(&L, "vn_communes_3321.csv", c_new, 5, new_unit_row, 0)) < 0 ||
	    (rc = read_file(&L, "quangninh_units_2025.csv", c_new, 5, new_unit_row, 0)) < 0 ||
	    (rc = read_file(&L, "quangninh_units_pre2025.csv", c_old, 6, old_unit_row, 0)) < 0 ||
	    (rc = read_file(&L, "vn_mapping_old_to_new_all.csv", c_nat, 8, national_row, 0)) < 0 ||
	    (rc = read_file(&L, "quangninh_mapping_old_to_new.csv", c_qnm, 4, qn_mapping_row, 0)) <
	        0 ||
	    (rc = apply_events(&L)) < 0 || (rc = check_joined(L.u)) < 0 ||
	    (rc = hl_store_unit_orphan(L.u, orphan, NULL)) < 0 || (rc = check_cycles(L.u)) < 0 ||
	    (rc = hl_store_units_count(&s.versions, &s.codes, &s.successions, &s.events, L.u)) <
	        0 ||
	    (rc = audit_load(st, &s, dir, actor)) < 0) {
		if (own)
			hl_store_rollback(st);
		goto done;
	}
	if (own && (rc = hl_store_commit(st)) < 0)
		goto done;
	*out = s;
done:
	for (size_t i = 0; i < L.nevs; i++) {
		ev *e = &L.evs[i];
		free(e->id), free(e->basis), free(e->kind), free(e->scope), free(e->desc);
	}
	free(L.evs);
	for (size_t i = 0; i < L.ncev; i++)
		free(L.cev[i].scope), free(L.cev[i].id);
	free(L.ev_prov), free(L.ev_dist), free(L.path);
	hl_store_units_free(L.u);
	return rc;
}
