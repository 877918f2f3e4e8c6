/* What goes out of plans: the calendar feed of an agency's tasks (iCalendar, RFC 5545) behind a
 * revocable token, and the exports of a plan — its tasks, its reports and its evaluation as CSV
 * and XLSX (libxlsxwriter), the evaluation as a printable A4 report in Vietnamese (HTML), and
 * that same HTML laid out as PDF by MuPDF's HTML engine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mupdf/fitz.h>
#include <sodium.h>
#include <xlsxwriter.h>

#include "../store/store_plans.h"
#include "halong/plans.h"
#include "halong/text.h"
#include "halong/units.h"
#include "halong/util.h"
#include "plans_int.h"

#define FEED_PREFIX    "hlc_" /* a calendar feed's token, as API tokens are hlt_ */
#define FEED_SECRET    32     /* random bytes of a token */
#define FEED_TOKEN_LEN 47     /* "hlc_" and 43 base64url characters */
#define MAX_LABEL      100
#define MAX_FEED_ITEMS 20000 /* tasks and occurrences in one feed */
#define ICAL_FOLD      75    /* octets of a line, CRLF aside (RFC 5545 3.1) */

static char *dup0(const char *s)
{
	return s ? hl_strdup(s) : NULL;
}

/* ---- calendar feeds: who manages them, their tokens ---- */

void hl_plan_feeds_free(hl_plan_feeds *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].agency);
		free(l->v[i].label);
		free(l->v[i].created_at);
		free(l->v[i].created_by);
		free(l->v[i].revoked_at);
	}
	free(l->v);
	free(l);
}

/* The code of the agency `name` names: an agency of the register (by code, name or short name)
 * or a unit (a commune reports for its unit code). */
static int agency_code(char code[33], hl_store *st, const char *name)
{
	hl_agency *a = NULL;
	hl_unit *u = NULL;
	char why[400];
	int rc;

	if (!name || !*name)
		return hl_error_set(HL_EINVALID,
		                    "agency: give the agency whose tasks the feed shows");
	/* a code of the register, also of an agency that has ended: its tasks stay its own */
	if (strlen(name) < 33 && (rc = hl_store_agency_exists(st, name)) != 0) {
		if (rc < 0)
			return rc;
		snprintf(code, 33, "%s", name);
		return 0;
	}
	if (hl_agency_find(&a, st, name, NULL) == 0) {
		snprintf(code, 33, "%s", a->code);
		hl_agency_free(a);
		return 0;
	}
	if (hl_error_code() != HL_ENOTFOUND && hl_error_code() != HL_EINVALID)
		return hl_error_code();
	snprintf(why, sizeof(why), "%s", hl_error_last());
	if (strlen(name) < 16 && hl_units_show(&u, st, name, NULL) == 0) {
		snprintf(code, 33, "%s", u->code);
		hl_unit_free(u);
		return 0;
	}
	return hl_error_set(HL_EINVALID, "agency: %s", why);
}

/* May `who` manage the feeds of `agency`? The local operator and an admin: every agency; a
 * user of that agency who is not a viewer: their own. */
static int manages(hl_store *st, const hl_principal *who, const char *agency)
{
	char mine[33];
	if (who->local || who->role == HL_ROLE_ADMIN)
		return 1;
	if (!who->user_id || who->role == HL_ROLE_VIEWER)
		return 0;
	if (hl_plans_user_agency(mine, st, who) < 0)
		return hl_error_code() < 0 ? hl_error_code() : -1;
	return mine[0] && !strcmp(mine, agency);
}

/* FEED_PREFIX and FEED_SECRET random bytes in unpadded base64url (malloc'd). */
static char *new_token(void)
{
	unsigned char raw[FEED_SECRET];
	size_t np = strlen(FEED_PREFIX),
	       n = sodium_base64_ENCODED_LEN(FEED_SECRET, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *s = malloc(np + n);
	if (!s || sodium_init() < 0) {
		free(s);
		hl_error_set(HL_ENOMEM, "out of memory");
		return NULL;
	}
	randombytes_buf(raw, sizeof(raw));
	memcpy(s, FEED_PREFIX, np);
	sodium_bin2base64(s + np, n, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	return s;
}

static int check_label(const char *label)
{
	if (!label)
		return 0;
	if (strlen(label) > MAX_LABEL)
		return hl_error_set(HL_EINVALID, "label: at most %d bytes", MAX_LABEL);
	for (const unsigned char *p = (const unsigned char *)label; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return hl_error_set(HL_EINVALID, "label: one line of text");
	return 0;
}

int hl_plans_feed_new(char **token, char id[13], hl_store *st, const hl_principal *who,
                      const char *agency, const char *label)
{
	char code[33], hash[65], now[32], detail[200];
	char *t = NULL;
	int rc;

	*token = NULL;
	if ((rc = check_label(label)) < 0 || (rc = agency_code(code, st, agency)) < 0)
		return rc;
	if ((rc = manages(st, who, code)) <= 0)
		return rc < 0 ? rc
		       : who->user_id
		           ? hl_error_set(HL_EDENIED,
		                          "only an admin or a user of agency %s makes its "
		                          "calendar feeds",
		                          code)
		           : hl_error_set(HL_EDENIED, "log in first (an officer of agency %s)",
		                          code);
	if (!(t = new_token()))
		return HL_ENOMEM;
	hl_sha256_hex(hash, t, strlen(t));
	hl_now_utc(now);
	snprintf(detail, sizeof(detail), "feed %.12s%s%.100s", hash, label ? " label=" : "",
	         label ? label : "");
	hl_store_feed_row r = {
	    hash, code, label && *label ? label : NULL, now, hl_principal_actor(who), NULL};
	if ((rc = hl_store_begin(st)) < 0)
		goto done;
	if ((rc = hl_store_feed_put(st, &r)) < 0 ||
	    (rc = hl_store_audit(st, hl_principal_actor(who), "plan.feed.new", code, detail)) < 0)
		hl_store_rollback(st);
	else
		rc = hl_store_commit(st);
done:
	if (rc < 0) {
		sodium_memzero(t, strlen(t));
		free(t);
		return rc;
	}
	if (id)
		snprintf(id, 13, "%.12s", hash);
	*token = t;
	return 0;
}

typedef struct {
	hl_plan_feeds *l;
	size_t cap;
	hl_store *st;
	const hl_principal *who;
	int rc;
} feeds_ctx;

static int add_feed(const hl_store_feed_row *r, void *ud)
{
	feeds_ctx *c = ud;
	hl_plan_feed *f;
	int m = manages(c->st, c->who, r->agency);
	if (m < 0)
		return m;
	if (!m)
		return 0;
	if (c->l->n == c->cap) {
		size_t nc = c->cap ? 2 * c->cap : 8;
		hl_plan_feed *nv = realloc(c->l->v, nc * sizeof(*nv));
		if (!nv)
			return hl_error_set(HL_ENOMEM, "out of memory");
		c->l->v = nv;
		c->cap = nc;
	}
	f = &c->l->v[c->l->n++];
	memset(f, 0, sizeof(*f));
	snprintf(f->hash, sizeof(f->hash), "%s", r->token_hash);
	snprintf(f->id, sizeof(f->id), "%.12s", r->token_hash);
	f->agency = dup0(r->agency);
	f->label = dup0(r->label);
	f->created_at = dup0(r->created_at);
	f->created_by = dup0(r->created_by);
	f->revoked_at = dup0(r->revoked_at);
	if (!f->agency || !f->created_at || !f->created_by)
		return hl_error_set(HL_ENOMEM, "out of memory");
	return 0;
}

int hl_plans_feed_list(hl_plan_feeds **out, hl_store *st, const hl_principal *who)
{
	feeds_ctx c = {calloc(1, sizeof(hl_plan_feeds)), 0, st, who, 0};
	char mine[33] = "";
	int rc;

	*out = NULL;
	if (!c.l)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if (!who->local && who->role != HL_ROLE_ADMIN) {
		if ((rc = hl_plans_user_agency(mine, st, who)) < 0)
			goto fail;
		if (!who->user_id || who->role == HL_ROLE_VIEWER || !mine[0]) {
			rc = hl_error_set(HL_EDENIED, who->user_id
			                                  ? "only an admin or a user of an agency "
			                                    "(not a viewer) sees calendar feeds"
			                                  : "log in first");
			goto fail;
		}
	}
	if ((rc = hl_store_feed_foreach(st, mine[0] ? mine : NULL, NULL, add_feed, &c)) < 0)
		goto fail;
	*out = c.l;
	return 0;
fail:
	hl_plan_feeds_free(c.l);
	return rc;
}

int hl_plans_feed_revoke(hl_store *st, const hl_principal *who, const char *ref)
{
	feeds_ctx c = {calloc(1, sizeof(hl_plan_feeds)), 0, st, who, 0};
	char prefix[65], now[32], detail[120];
	size_t n = ref ? strlen(ref) : 0;
	int rc;

	if (!c.l)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if (n < 8 || n > 64 || strspn(ref, "0123456789abcdefABCDEF") != n) {
		hl_plan_feeds_free(c.l);
		return hl_error_set(
		    HL_EINVALID, "feed: give its id (12 hex digits, halong agency feed list) or at "
		                 "least 8 hex digits of its hash");
	}
	for (size_t i = 0; i <= n; i++)
		prefix[i] = (char)(ref[i] >= 'A' && ref[i] <= 'F' ? ref[i] - 'A' + 'a' : ref[i]);
	if (!who->local && who->role != HL_ROLE_ADMIN && !who->user_id) {
		hl_plan_feeds_free(c.l);
		return hl_error_set(HL_EDENIED, "log in first");
	}
	/* the feeds the caller does not manage are left out: the same answer as none */
	if ((rc = hl_store_feed_foreach(st, NULL, prefix, add_feed, &c)) < 0)
		goto done;
	if (c.l->n == 0) {
		rc = hl_error_set(HL_ENOTFOUND, "no calendar feed %.64s", prefix);
		goto done;
	}
	if (c.l->n > 1) {
		char ids[200] = "";
		for (size_t i = 0; i < c.l->n && i < 8; i++)
			snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s%s",
			         i ? ", " : "", c.l->v[i].id);
		rc = hl_error_set(HL_EINVALID, "feed: %s names %zu feeds (%s): give more digits",
		                  prefix, c.l->n, ids);
		goto done;
	}
	if (c.l->v[0].revoked_at) {
		rc = hl_error_set(HL_ECONFLICT, "calendar feed %s was revoked at %s", c.l->v[0].id,
		                  c.l->v[0].revoked_at);
		goto done;
	}
	hl_now_utc(now);
	snprintf(detail, sizeof(detail), "feed %s revoked", c.l->v[0].id);
	if ((rc = hl_store_begin(st)) < 0)
		goto done;
	if ((rc = hl_store_feed_revoke(st, c.l->v[0].hash, now)) < 0 ||
	    (rc = hl_store_audit(st, hl_principal_actor(who), "plan.feed.revoke", c.l->v[0].agency,
	                         detail)) < 0)
		hl_store_rollback(st);
	else
		rc = hl_store_commit(st);
done:
	hl_plan_feeds_free(c.l);
	return rc;
}

/* ---- iCalendar ---- */

/* One content line, `name` (with its parameters) and `value` as given, folded at ICAL_FOLD
 * octets between characters (never inside a UTF-8 sequence), ended by CRLF. */
static void ical_raw(FILE *f, const char *name, const char *value)
{
	size_t col = 0;
	for (int part = 0; part < 2; part++) {
		const unsigned char *p = (const unsigned char *)(part ? value : name);
		if (part) {
			fputc(':', f);
			col++;
		}
		while (*p) {
			size_t n = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
			if (col + n > ICAL_FOLD) {
				fputs("\r\n ", f);
				col = 1;
			}
			for (size_t i = 0; i < n && p[i]; i++)
				fputc(p[i], f);
			col += n;
			p += n;
		}
	}
	fputs("\r\n", f);
}

/* A TEXT value (RFC 5545 3.3.11): \ ; , escaped, a line break as \n, other control
 * characters as a space. malloc'd. */
static char *ical_escape(const char *s)
{
	size_t n = 0;
	char *o, *q;
	for (const char *p = s ? s : ""; *p; p++)
		n += strchr("\\;,\n", *p) ? 2 : 1;
	if (!(o = q = malloc(n + 1)))
		return NULL;
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '\r' && p[1] == '\n')
			continue;
		if (*p == '\n') {
			*q++ = '\\';
			*q++ = 'n';
		} else if (*p == '\\' || *p == ';' || *p == ',') {
			*q++ = '\\';
			*q++ = (char)*p;
		} else
			*q++ = (char)(*p < 0x20 || *p == 0x7f ? ' ' : *p);
	}
	*q = 0;
	return o;
}

static void ical_text(FILE *f, const char *name, const char *value)
{
	char *e = ical_escape(value);
	if (e)
		ical_raw(f, name, e);
	free(e);
}

/* yyyymmdd of an ISO day. */
static void ical_date(char out[9], const char *iso)
{
	snprintf(out, 9, "%.4s%.2s%.2s", iso, iso + 5, iso + 8);
}

/* This machine's name for UIDs: letters, digits, dots and dashes, lower case. */
static void host_name(char out[128], const char *given)
{
	char h[128] = "";
	size_t k = 0;
	if (given && *given)
		snprintf(h, sizeof(h), "%s", given);
	else if (gethostname(h, sizeof(h) - 1) < 0)
		h[0] = 0;
	h[sizeof(h) - 1] = 0;
	for (const char *p = h; *p && k < 100; p++) {
		char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')
			out[k++] = c;
	}
	out[k] = 0;
	if (!k)
		snprintf(out, 128, "halong");
}

/* The iCalendar status of a task's status and progress. */
static const char *ical_status(hl_task_status s, int progress)
{
	switch (s) {
	case HL_TASK_DONE_ON_TIME:
	case HL_TASK_DONE_LATE:
		return "COMPLETED";
	case HL_TASK_CANCELLED:
		return "CANCELLED";
	case HL_TASK_ON_TIME:
		return "IN-PROCESS";
	default: /* not started, overdue, waiting: under way once something was reported */
		return progress > 0 ? "IN-PROCESS" : "NEEDS-ACTION";
	}
}

typedef struct {
	FILE *f;
	const char *host, *agency;
	char stamp[17]; /* DTSTAMP: yyyymmddThhmmssZ */
	hl_plans__view *v;
	size_t ti, items;
	int rc;
} ical_ctx;

/* One VTODO for task ti (occurrence due `due`, "" none) and, with a deadline, its VEVENT. */
static int ical_item(ical_ctx *x, const char *due, hl_task_status s, int progress)
{
	const hl_task *t = &x->v->tasks->v[x->ti];
	const hl_plan *p = x->v->plan;
	char uid[200], d[9] = "", next[11], dn[9], pct[8], *desc = NULL;
	size_t dlen = 0;
	FILE *m;

	if (++x->items > MAX_FEED_ITEMS)
		return x->rc = hl_error_set(HL_ELIMIT, "the feed of %s holds more than %d tasks",
		                            x->agency, MAX_FEED_ITEMS);
	if (!(m = open_memstream(&desc, &dlen)))
		return x->rc = hl_error_set(HL_ENOMEM, "out of memory");
	fprintf(m, "Kế hoạch: %s%s%s\nSTT: %s (%s/%s)\n", p->number ? p->number : p->id,
	        p->title ? " – " : "", p->title ? p->title : "", t->item_no, t->plan_id,
	        t->item_no);
	if (t->output && *t->output)
		fprintf(m, "Sản phẩm: %s\n", t->output);
	if (t->due_text && *t->due_text)
		fprintf(m, "Thời gian hoàn thành: %s\n", t->due_text);
	fprintf(m, "Tình trạng: %s, %d%%", hl_task_status_vi(s), progress);
	fclose(m);
	if (!desc)
		return x->rc = hl_error_set(HL_ENOMEM, "out of memory");
	if (due[0])
		ical_date(d, due);
	snprintf(pct, sizeof(pct), "%d", progress < 0 ? 0 : progress > 100 ? 100 : progress);

	fputs("BEGIN:VTODO\r\n", x->f);
	snprintf(uid, sizeof(uid), "task-%lld%s%s@%s", (long long)t->id, d[0] ? "-" : "", d,
	         x->host);
	ical_raw(x->f, "UID", uid);
	ical_raw(x->f, "DTSTAMP", x->stamp);
	ical_text(x->f, "SUMMARY", t->title);
	ical_text(x->f, "DESCRIPTION", desc);
	if (d[0])
		ical_raw(x->f, "DUE;VALUE=DATE", d);
	ical_raw(x->f, "STATUS", ical_status(s, progress));
	ical_raw(x->f, "PERCENT-COMPLETE", pct);
	ical_text(x->f, "CATEGORIES", t->plan_id);
	ical_raw(x->f, "X-HALONG-STATUS", hl_task_status_name(s));
	fputs("END:VTODO\r\n", x->f);
	if (d[0]) {
		hl_plans__add_days(next, due, 1);
		ical_date(dn, next);
		char *sum = malloc(strlen(t->title) + 16);
		if (sum)
			sprintf(sum, "Hạn: %s", t->title);
		fputs("BEGIN:VEVENT\r\n", x->f);
		snprintf(uid, sizeof(uid), "deadline-%lld-%s@%s", (long long)t->id, d, x->host);
		ical_raw(x->f, "UID", uid);
		ical_raw(x->f, "DTSTAMP", x->stamp);
		ical_raw(x->f, "DTSTART;VALUE=DATE", d);
		ical_raw(x->f, "DTEND;VALUE=DATE", dn);
		ical_text(x->f, "SUMMARY", sum ? sum : t->title);
		ical_text(x->f, "DESCRIPTION", desc);
		ical_raw(x->f, "TRANSP", "TRANSPARENT");
		ical_text(x->f, "CATEGORIES", t->plan_id);
		fputs("END:VEVENT\r\n", x->f);
		free(sum);
	}
	free(desc);
	return 0;
}

static int ical_occurrence(const char *start, const char *due, void *ud)
{
	ical_ctx *x = ud;
	int progress = 0;
	(void)start;
	hl_task_status s = hl_plans__judge(x->v, x->ti, due, 1, NULL, &progress);
	return ical_item(x, due, s, progress) < 0 ? x->rc : 0;
}

static int leads(const hl_task *t, const char *agency)
{
	for (size_t i = 0; i < t->nagencies; i++)
		if (t->agencies[i].lead && t->agencies[i].code &&
		    !strcmp(t->agencies[i].code, agency))
			return 1;
	return 0;
}

typedef struct {
	char **ids;
	size_t n, cap;
} ids_ctx;

static int add_id(const char *id, void *ud)
{
	ids_ctx *c = ud;
	if (c->n == c->cap) {
		size_t nc = c->cap ? 2 * c->cap : 8;
		char **nv = realloc(c->ids, nc * sizeof(*nv));
		if (!nv)
			return hl_error_set(HL_ENOMEM, "out of memory");
		c->ids = nv;
		c->cap = nc;
	}
	if (!(c->ids[c->n] = hl_strdup(id)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	c->n++;
	return 0;
}

typedef struct {
	char agency[33];
	int found, revoked;
} token_ctx;

static int token_row(const hl_store_feed_row *r, void *ud)
{
	token_ctx *c = ud;
	snprintf(c->agency, sizeof(c->agency), "%s", r->agency);
	c->found = 1;
	c->revoked = r->revoked_at != NULL;
	return 1;
}

/* The agency's name as the register (or the units) give it, also for one that has ended. */
static void agency_name(char out[300], hl_store *st, const char *code)
{
	hl_agencies *l = NULL;
	hl_unit *u = NULL;
	int found = 0;
	snprintf(out, 300, "%s", code);
	if (hl_agency_list(&l, st, NULL) == 0)
		for (size_t i = 0; i < l->n && !found; i++)
			if (!strcmp(l->v[i].code, code)) {
				snprintf(out, 300, "%s", l->v[i].name);
				found = 1;
			}
	hl_agencies_free(l);
	if (!found && hl_units_show(&u, st, code, NULL) == 0) {
		snprintf(out, 300, "%s", u->full_name ? u->full_name : u->name);
		hl_unit_free(u);
	}
	hl_error_clear();
}

int hl_plans_ical(char **out, size_t *len, hl_store *st, const char *token, const char *host,
                  const char *at)
{
	token_ctx tk = {0};
	ids_ctx ids = {0};
	ical_ctx x = {0};
	char hash[65], day[11], now[32], hostbuf[128], name[300], dd[11];
	char *buf = NULL;
	size_t blen = 0;
	int rc;

	*out = NULL;
	*len = 0;
	if ((rc = hl_plans__clock(day, at)) < 0)
		return rc;
	/* an unknown token and a revoked one get the same answer */
	if (!token || strlen(token) != FEED_TOKEN_LEN || strncmp(token, FEED_PREFIX, 4) ||
	    strspn(token + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
	        FEED_TOKEN_LEN - 4)
		return hl_error_set(HL_ENOTFOUND, "no such calendar feed");
	hl_sha256_hex(hash, token, strlen(token));
	if ((rc = hl_store_feed_foreach(st, NULL, hash, token_row, &tk)) < 0)
		return rc;
	if (!tk.found || tk.revoked)
		return hl_error_set(HL_ENOTFOUND, "no such calendar feed");

	host_name(hostbuf, host);
	agency_name(name, st, tk.agency);
	hl_now_utc(now);
	snprintf(x.stamp, sizeof(x.stamp), "%.4s%.2s%.2sT%.2s%.2s%.2sZ", now, now + 5, now + 8,
	         now + 11, now + 14, now + 17);
	x.host = hostbuf;
	x.agency = tk.agency;
	if ((rc = hl_store_plans_led_by(st, tk.agency, add_id, &ids)) < 0)
		goto done;
	if (!(x.f = open_memstream(&buf, &blen))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	fputs("BEGIN:VCALENDAR\r\n", x.f);
	ical_raw(x.f, "VERSION", "2.0");
	ical_raw(x.f, "PRODID", "-//halong//plans feed//VI");
	ical_raw(x.f, "CALSCALE", "GREGORIAN");
	ical_raw(x.f, "METHOD", "PUBLISH");
	{
		char cal[400], descr[500];
		snprintf(cal, sizeof(cal), "Nhiệm vụ – %s", name);
		snprintf(descr, sizeof(descr),
		         "Nhiệm vụ do %s (%s) chủ trì; tình trạng ngày %.2s/%.2s/%.4s", name,
		         tk.agency, day + 8, day + 5, day);
		ical_text(x.f, "X-WR-CALNAME", cal);
		ical_text(x.f, "X-WR-CALDESC", descr);
	}
	ical_raw(x.f, "X-WR-TIMEZONE", "Asia/Ho_Chi_Minh");
	ical_raw(x.f, "REFRESH-INTERVAL;VALUE=DURATION", "PT1H");
	for (size_t i = 0; i < ids.n && rc == 0; i++) {
		hl_plans__view v;
		hl_principal local = hl_principal_local("feed");
		if ((rc = hl_plans__view_load(&v, st, &local, ids.ids[i], 0, day)) < 0)
			break;
		/* a feed is read without a login: plans above internal never go out in one */
		if (v.plan->access > HL_ACCESS_INTERNAL) {
			hl_plans__view_free(&v);
			continue;
		}
		x.v = &v;
		for (size_t ti = 0; ti < v.tasks->n && rc == 0; ti++) {
			const hl_task *t = &v.tasks->v[ti];
			if (!t->leaf || !leads(t, tk.agency))
				continue;
			x.ti = ti;
			if (hl_plans__recurs(t) && !t->cancelled) {
				rc = hl_due_occurrences(&t->due, v.plan->report_every,
				                        v.plan->period_from, v.plan->period_to,
				                        ical_occurrence, &x);
				if (x.rc < 0)
					rc = x.rc;
			} else {
				snprintf(dd, sizeof(dd), "%s", t->due.due);
				rc = ical_item(&x, dd, t->status, (int)(t->progress + 0.5));
			}
		}
		hl_plans__view_free(&v);
	}
	fputs("END:VCALENDAR\r\n", x.f);
	if (fclose(x.f) != 0 && rc == 0)
		rc = hl_error_set(HL_ENOMEM, "out of memory");
	x.f = NULL;
	if (rc == 0) {
		*out = buf;
		*len = blen;
		buf = NULL;
	}
done:
	free(buf);
	for (size_t i = 0; i < ids.n; i++)
		free(ids.ids[i]);
	free(ids.ids);
	return rc;
}

/* ---- exports: tables of text cells, each column of a kind ---- */

typedef enum { COL_TEXT, COL_INT, COL_REAL, COL_DATE, COL_WRAP } col_kind;

typedef struct {
	const char *head;
	col_kind kind;
	double width; /* XLSX characters */
} col;

typedef struct {
	const char *sheet; /* XLSX: the sheet's name */
	const col *cols;
	size_t ncols, nrows, cap;
	char **cells;  /* row-major, ncols a row; NULL: empty */
	int total_row; /* the last row is a total (bold) */
} table;

static void table_clear(table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

/* Appends a row of ncols values (NULL or "" for an empty cell); copied. */
static int table_row(table *t, const char *const *v)
{
	if (t->nrows == t->cap) {
		size_t nc = t->cap ? 2 * t->cap : 64;
		char **nv = realloc(t->cells, nc * t->ncols * sizeof(*nv));
		if (!nv)
			return hl_error_set(HL_ENOMEM, "out of memory");
		t->cells = nv;
		t->cap = nc;
	}
	char **row = t->cells + t->nrows * t->ncols;
	for (size_t i = 0; i < t->ncols; i++)
		row[i] = v[i] && *v[i] ? hl_strdup(v[i]) : NULL;
	t->nrows++;
	return 0;
}

/* A text cell that a spreadsheet would read as a formula (=, +, -, @, tab, CR first) is
 * written after a quote mark, as the custody receipt does: opening the file runs nothing. */
static int write_csv(FILE *f, const table *t, int bom)
{
	const char *cells[64];
	char *tmp[64] = {0};
	int rc = 0;
	if (bom) /* spreadsheet programs read UTF-8 by this mark */
		fputs("\xEF\xBB\xBF", f);
	for (size_t i = 0; i < t->ncols && i < 64; i++)
		cells[i] = t->cols[i].head;
	hl_csv_write(f, cells, t->ncols);
	for (size_t r = 0; r < t->nrows && rc == 0; r++) {
		char **row = t->cells + r * t->ncols;
		for (size_t i = 0; i < t->ncols && i < 64; i++) {
			const char *v = row[i] ? row[i] : "";
			cells[i] = v;
			if ((t->cols[i].kind == COL_TEXT || t->cols[i].kind == COL_WRAP) && v[0] &&
			    strchr("=+-@\t\r", v[0])) {
				if (!(tmp[i] = malloc(strlen(v) + 2))) {
					rc = hl_error_set(HL_ENOMEM, "out of memory");
					break;
				}
				tmp[i][0] = '\'';
				strcpy(tmp[i] + 1, v);
				cells[i] = tmp[i];
			}
		}
		if (rc == 0 && hl_csv_write(f, cells, t->ncols) < 0)
			rc = hl_error_set(HL_EIO, "cannot write the CSV: %s", strerror(errno));
		for (size_t i = 0; i < 64; i++) {
			free(tmp[i]);
			tmp[i] = NULL;
		}
	}
	return rc;
}

static int xlsx_error(lxw_error e, const char *what)
{
	return hl_error_set(HL_EIO, "XLSX %s: %s", what, lxw_strerror(e));
}

/* The tables as the sheets of one workbook: a bold header row kept in view (frozen panes), a
 * filter on it, column widths, numbers as numbers and days as dates (dd/mm/yyyy). */
static int write_xlsx(const char *path, const table *tables, size_t n)
{
	lxw_workbook_options opt = {.constant_memory = LXW_FALSE, .tmpdir = NULL};
	lxw_workbook *wb = workbook_new_opt(path, &opt);
	lxw_format *head, *date, *wrap, *real, *bold, *bdate, *breal;
	lxw_error e;

	if (!wb)
		return hl_error_set(HL_EIO, "cannot make the workbook");
	head = workbook_add_format(wb);
	format_set_bold(head);
	format_set_text_wrap(head);
	format_set_align(head, LXW_ALIGN_VERTICAL_TOP);
	format_set_bg_color(head, 0xDDEBF7);
	format_set_border(head, LXW_BORDER_THIN);
	date = workbook_add_format(wb);
	format_set_num_format(date, "dd/mm/yyyy");
	format_set_align(date, LXW_ALIGN_VERTICAL_TOP);
	wrap = workbook_add_format(wb);
	format_set_text_wrap(wrap);
	format_set_align(wrap, LXW_ALIGN_VERTICAL_TOP);
	real = workbook_add_format(wb);
	format_set_num_format(real, "0.0");
	format_set_align(real, LXW_ALIGN_VERTICAL_TOP);
	bold = workbook_add_format(wb);
	format_set_bold(bold);
	format_set_align(bold, LXW_ALIGN_VERTICAL_TOP);
	bdate = workbook_add_format(wb);
	format_set_bold(bdate);
	format_set_num_format(bdate, "dd/mm/yyyy");
	breal = workbook_add_format(wb);
	format_set_bold(breal);
	format_set_num_format(breal, "0.0");
	for (size_t k = 0; k < n; k++) {
		const table *t = &tables[k];
		lxw_worksheet *ws = workbook_add_worksheet(wb, t->sheet);
		if (!ws) {
			workbook_close(wb);
			return hl_error_set(HL_EIO, "XLSX: cannot add sheet %s", t->sheet);
		}
		for (size_t i = 0; i < t->ncols; i++) {
			worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i, t->cols[i].width,
			                     t->cols[i].kind == COL_WRAP ? wrap : NULL);
			worksheet_write_string(ws, 0, (lxw_col_t)i, t->cols[i].head, head);
		}
		worksheet_freeze_panes(ws, 1, 0);
		if (t->nrows)
			worksheet_autofilter(ws, 0, 0, (lxw_row_t)t->nrows,
			                     (lxw_col_t)(t->ncols - 1));
		for (size_t r = 0; r < t->nrows; r++) {
			char **row = t->cells + r * t->ncols;
			int tot = t->total_row && r + 1 == t->nrows;
			lxw_row_t y = (lxw_row_t)(r + 1);
			for (size_t i = 0; i < t->ncols; i++) {
				const char *v = row[i];
				lxw_col_t x = (lxw_col_t)i;
				char *end;
				if (!v)
					continue;
				switch (t->cols[i].kind) {
				case COL_INT:
				case COL_REAL: {
					double d = strtod(v, &end);
					if (*end)
						worksheet_write_string(ws, y, x, v,
						                       tot ? bold : NULL);
					else
						worksheet_write_number(ws, y, x, d,
						                       t->cols[i].kind == COL_REAL
						                           ? (tot ? breal : real)
						                           : (tot ? bold : NULL));
					break;
				}
				case COL_DATE:
					if (hl_plans__is_date(v)) {
						lxw_datetime dt = {
						    atoi(v), atoi(v + 5), atoi(v + 8), 0, 0, 0};
						worksheet_write_datetime(ws, y, x, &dt,
						                         tot ? bdate : date);
					} else
						worksheet_write_string(ws, y, x, v,
						                       tot ? bold : NULL);
					break;
				case COL_WRAP:
					worksheet_write_string(ws, y, x, v, tot ? bold : wrap);
					break;
				default:
					worksheet_write_string(ws, y, x, v, tot ? bold : NULL);
				}
			}
		}
	}
	{
		char title[64], author[] = "halong", comments[] = "halong plan export";
		snprintf(title, sizeof(title), "%s", tables[0].sheet);
		lxw_doc_properties props = {.title = title, .author = author, .comments = comments};
		workbook_set_properties(wb, &props);
	}
	if ((e = workbook_close(wb)) != LXW_NO_ERROR)
		return xlsx_error(e, "write");
	return 0;
}

/* ---- the rows of each export ---- */

static const char *report_state_vi(hl_report_state s)
{
	return s == HL_REPORT_DONE      ? "Hoàn thành"
	       : s == HL_REPORT_WAITING ? "Chờ hướng dẫn"
	                                : "Đang thực hiện";
}

static const char *verdict_vi(const char *v)
{
	return !v || !strcmp(v, "pending") ? "Chờ thẩm định"
	       : !strcmp(v, "accepted")    ? "Đã chấp nhận"
	       : !strcmp(v, "returned")    ? "Trả lại"
	                                   : v;
}

/* The agencies of a task, leads (lead 1) or supporting ones, as the plan writes them, "; "
 * between; malloc'd. */
static char *agencies_of(const hl_task *t, int lead)
{
	size_t n = 1;
	char *s;
	for (size_t i = 0; i < t->nagencies; i++)
		n += strlen(t->agencies[i].name) + 2;
	if (!(s = malloc(n)))
		return NULL;
	s[0] = 0;
	for (size_t i = 0; i < t->nagencies; i++)
		if (t->agencies[i].lead == lead) {
			if (s[0])
				strcat(s, "; ");
			strcat(s, t->agencies[i].name);
		}
	return s;
}

static const col task_cols[] = {
    {"STT", COL_TEXT, 8},
    {"Thuộc", COL_TEXT, 8},
    {"Nhiệm vụ", COL_WRAP, 60},
    {"Cơ quan chủ trì", COL_WRAP, 28},
    {"Cơ quan phối hợp", COL_WRAP, 28},
    {"Thời gian hoàn thành", COL_TEXT, 22},
    {"Hạn", COL_DATE, 12},
    {"Sản phẩm", COL_WRAP, 36},
    {"Trọng số", COL_REAL, 9},
    {"Tình trạng", COL_TEXT, 26},
    {"Mã tình trạng", COL_TEXT, 14},
    {"Tiến độ (%)", COL_REAL, 10},
    {"Mã nhiệm vụ", COL_INT, 11},
};
#define NTASK_COLS (sizeof(task_cols) / sizeof(task_cols[0]))

static int task_row(table *tb, const hl_task *t, const char *due, hl_task_status s, double progress)
{
	char weight[32], pct[32], id[24];
	char *lead = agencies_of(t, 1), *sup = agencies_of(t, 0);
	int rc;
	if (!lead || !sup) {
		free(lead);
		free(sup);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	snprintf(weight, sizeof(weight), "%g", t->weight);
	snprintf(pct, sizeof(pct), "%.1f", progress);
	snprintf(id, sizeof(id), "%lld", (long long)t->id);
	/* a section (no agency) has no status of its own to report */
	const char *v[NTASK_COLS] = {t->item_no,
	                             t->parent_no,
	                             t->title,
	                             lead,
	                             sup,
	                             t->due_text,
	                             due,
	                             t->output,
	                             weight,
	                             t->nagencies || !t->leaf ? hl_task_status_vi(s) : NULL,
	                             t->nagencies || !t->leaf ? hl_task_status_name(s) : NULL,
	                             pct,
	                             id};
	rc = table_row(tb, v);
	free(lead);
	free(sup);
	return rc;
}

typedef struct {
	table *tb;
	const hl_plans__view *v;
	size_t ti;
	int rc;
} occ_rows;

static int task_occurrence(const char *start, const char *due, void *ud)
{
	occ_rows *o = ud;
	int progress = 0;
	(void)start;
	hl_task_status s = hl_plans__judge(o->v, o->ti, due, 1, NULL, &progress);
	if ((o->rc = task_row(o->tb, &o->v->tasks->v[o->ti], due, s, progress)) < 0)
		return o->rc;
	return 0;
}

/* Every task of the plan at the clock; with a period, the tasks due in it, each occurrence of
 * a duty on its own row, judged as the evaluation judges them. */
static int tasks_table(table *tb, const hl_plans__view *v, const hl_period *per)
{
	int rc = 0;
	for (size_t i = 0; i < v->tasks->n && rc == 0; i++) {
		const hl_task *t = &v->tasks->v[i];
		if (!per) {
			rc = task_row(tb, t, t->judged_due, t->status, t->progress);
			continue;
		}
		if (!t->leaf || !t->nagencies)
			continue;
		if (hl_plans__recurs(t) && !t->cancelled) {
			char from[11], to[11];
			occ_rows o = {tb, v, i, 0};
			snprintf(from, sizeof(from), "%s",
			         strcmp(per->from, v->plan->period_from) > 0
			             ? per->from
			             : v->plan->period_from);
			snprintf(to, sizeof(to), "%s",
			         strcmp(per->to, v->plan->period_to) < 0 ? per->to
			                                                 : v->plan->period_to);
			if (strcmp(from, to) <= 0)
				rc = hl_due_occurrences(&t->due, v->plan->report_every, from, to,
				                        task_occurrence, &o);
			if (o.rc < 0)
				rc = o.rc;
		} else if (t->due.due[0] && strcmp(t->due.due, per->from) >= 0 &&
		           strcmp(t->due.due, per->to) <= 0) {
			int progress = 0;
			hl_task_status s = hl_plans__judge(v, i, t->due.due, 0, NULL, &progress);
			rc = task_row(tb, t, t->due.due, s, progress);
		}
	}
	return rc;
}

static const col report_cols[] = {
    {"Mã báo cáo", COL_INT, 10},
    {"Nhiệm vụ", COL_TEXT, 22},
    {"Tên nhiệm vụ", COL_WRAP, 50},
    {"Cơ quan báo cáo", COL_TEXT, 16},
    {"Kỳ báo cáo", COL_TEXT, 10},
    {"Từ ngày", COL_DATE, 12},
    {"Đến ngày", COL_DATE, 12},
    {"Tiến độ (%)", COL_INT, 10},
    {"Trạng thái", COL_TEXT, 16},
    {"Ngày hoàn thành", COL_DATE, 12},
    {"Kết quả", COL_WRAP, 40},
    {"Khó khăn, vướng mắc", COL_WRAP, 30},
    {"Đề xuất, kiến nghị", COL_WRAP, 30},
    {"Tài liệu minh chứng", COL_TEXT, 24},
    {"Ngày báo cáo", COL_DATE, 12},
    {"Người báo cáo", COL_TEXT, 16},
    {"Sửa báo cáo số", COL_INT, 10},
    {"Thẩm định", COL_TEXT, 16},
    {"Ý kiến thẩm định", COL_WRAP, 30},
    {"Ngày thẩm định", COL_DATE, 12},
    {"Người thẩm định", COL_TEXT, 16},
};
#define NREPORT_COLS (sizeof(report_cols) / sizeof(report_cols[0]))

typedef struct {
	table *tb;
	const hl_plans__view *v;
	const char *period; /* a label, or NULL */
} reports_rows;

static int report_row(const hl_report *r, void *ud)
{
	reports_rows *c = ud;
	char id[24], pct[16], corrects[24] = "";
	const char *title = NULL;
	if (c->period && strcmp(r->period, c->period))
		return 0;
	for (size_t i = 0; i < c->v->tasks->n && !title; i++)
		if (c->v->tasks->v[i].id == r->task_id)
			title = c->v->tasks->v[i].title;
	snprintf(id, sizeof(id), "%lld", (long long)r->id);
	snprintf(pct, sizeof(pct), "%d", r->progress);
	if (r->corrects)
		snprintf(corrects, sizeof(corrects), "%lld", (long long)r->corrects);
	const char *v[NREPORT_COLS] = {id,
	                               r->task_ref,
	                               title,
	                               r->agency,
	                               r->period,
	                               r->period_from,
	                               r->period_to,
	                               pct,
	                               report_state_vi(r->state),
	                               r->done_on,
	                               r->results,
	                               r->difficulties,
	                               r->proposals,
	                               r->evidence,
	                               r->at,
	                               r->by,
	                               corrects,
	                               verdict_vi(r->verdict),
	                               r->verdict_comment,
	                               r->verdict_at,
	                               r->verdict_by};
	return table_row(c->tb, v);
}

static const col eval_cols[] = {
    {"Hạng", COL_INT, 7},
    {"Mã cơ quan", COL_TEXT, 14},
    {"Cơ quan chủ trì", COL_WRAP, 40},
    {"Số nhiệm vụ", COL_INT, 10},
    {"Hoàn thành đúng hạn", COL_INT, 12},
    {"Hoàn thành quá hạn", COL_INT, 12},
    {"Đang thực hiện, đúng tiến độ", COL_INT, 14},
    {"Chưa triển khai", COL_INT, 11},
    {"Chậm tiến độ, quá hạn", COL_INT, 12},
    {"Chờ hướng dẫn", COL_INT, 11},
    {"Đã hủy", COL_INT, 8},
    {"Tỷ lệ hoàn thành (%)", COL_REAL, 12},
    {"Tỷ lệ hoàn thành đúng hạn (%)", COL_REAL, 14},
    {"Điểm", COL_REAL, 8},
};
#define NEVAL_COLS (sizeof(eval_cols) / sizeof(eval_cols[0]))

static double pct_of(uint64_t part, uint64_t whole)
{
	return whole ? (double)(long)(1000.0 * (double)part / (double)whole) / 10 : 0;
}

static int eval_row(table *tb, const char *rank, const char *code, const char *name,
                    const hl_eval_counts *c)
{
	char n[9][24];
	snprintf(n[0], 24, "%llu", (unsigned long long)c->total);
	snprintf(n[1], 24, "%llu", (unsigned long long)c->done_on_time);
	snprintf(n[2], 24, "%llu", (unsigned long long)c->done_late);
	snprintf(n[3], 24, "%llu", (unsigned long long)(c->open_on_time - c->not_started));
	snprintf(n[4], 24, "%llu", (unsigned long long)c->not_started);
	snprintf(n[5], 24, "%llu", (unsigned long long)c->overdue);
	snprintf(n[6], 24, "%llu", (unsigned long long)c->waiting);
	snprintf(n[7], 24, "%llu", (unsigned long long)c->cancelled);
	snprintf(n[8], 24, "%.1f", pct_of(c->done_on_time + c->done_late, c->total));
	char p2[24], sc[24];
	snprintf(p2, sizeof(p2), "%.1f", pct_of(c->done_on_time, c->total));
	snprintf(sc, sizeof(sc), "%.2f", c->score);
	const char *v[NEVAL_COLS] = {rank, code, name, n[0], n[1], n[2], n[3],
	                             n[4], n[5], n[6], n[7], n[8], p2,   sc};
	return table_row(tb, v);
}

static const col item_cols[] = {
    {"STT", COL_INT, 6},
    {"Nhiệm vụ", COL_TEXT, 22},
    {"Tên nhiệm vụ", COL_WRAP, 60},
    {"Cơ quan chủ trì", COL_TEXT, 18},
    {"Hạn", COL_DATE, 12},
    {"Số ngày", COL_INT, 9},
    {"Tình trạng", COL_TEXT, 26},
};
#define NITEM_COLS (sizeof(item_cols) / sizeof(item_cols[0]))

static int items_table(table *tb, const hl_eval_item *v, size_t n)
{
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char stt[24], days[24];
		snprintf(stt, sizeof(stt), "%zu", i + 1);
		snprintf(days, sizeof(days), "%d", v[i].days);
		const char *row[NITEM_COLS] = {stt,
		                               v[i].ref,
		                               v[i].title,
		                               v[i].agency,
		                               v[i].due,
		                               days,
		                               hl_task_status_vi(v[i].status)};
		rc = table_row(tb, row);
	}
	return rc;
}

/* ---- the printable evaluation report (A4 HTML in Vietnamese) ---- */

/* dd/mm/yyyy, as Vietnamese documents write dates. */
static void dmy(char out[11], const char *iso)
{
	snprintf(out, 11, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
}

/* "ngày 05 tháng 7 năm 2025": a day below 10, and January and February, with a 0 before
 * (Nghị định 30/2020/NĐ-CP, Phụ lục I). */
static void date_words(char out[64], const char *iso)
{
	int d = atoi(iso + 8), m = atoi(iso + 5), y = atoi(iso);
	snprintf(out, 64, "ngày %02d tháng %s%d năm %d", d % 100, m < 3 ? "0" : "", m % 100,
	         y % 10000);
}

/* The period as a title says it: "tháng 6 năm 2025", "quý II năm 2025", "6 tháng đầu năm
 * 2025", "năm 2025"; without a period, "đến ngày 15/07/2025". */
static void period_words(char out[64], const hl_eval *e)
{
	static const char *const roman[] = {"I", "II", "III", "IV"};
	const char *l = e->period;
	char d[11];
	if (!l[0]) {
		dmy(d, e->at);
		snprintf(out, 64, "đến ngày %s", d);
	} else if (!l[4])
		snprintf(out, 64, "năm %.4s", l);
	else if (l[5] == 'Q')
		snprintf(out, 64, "quý %s năm %.4s", roman[(l[6] - '1') & 3], l);
	else if (l[5] == 'H')
		snprintf(out, 64, "6 tháng %s năm %.4s", l[6] == '1' ? "đầu" : "cuối", l);
	else
		snprintf(out, 64, "tháng %d năm %.4s", atoi(l + 5), l);
}

static void h(FILE *f, const char *s)
{
	hl_xml_write(f, s ? s : "");
}

/* The ranking rule in words: "hoàn thành đúng hạn 2 điểm; …". */
static void rule_words(FILE *f, const char *rule)
{
	static const char *const names[][2] = {{"done_on_time", "hoàn thành đúng hạn"},
	                                       {"done_late", "hoàn thành quá hạn"},
	                                       {"open_on_time", "chưa hoàn thành, trong hạn"},
	                                       {"on_time", "đang thực hiện đúng tiến độ"},
	                                       {"not_started", "chưa triển khai"},
	                                       {"overdue", "chậm tiến độ, quá hạn"},
	                                       {"waiting", "chờ hướng dẫn"},
	                                       {"cancelled", "đã hủy"}};
	char buf[400];
	char *save = NULL;
	int first = 1;
	snprintf(buf, sizeof(buf), "%s", rule ? rule : "");
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		const char *vi = NULL;
		if (!eq)
			continue;
		*eq = 0;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !vi; i++)
			if (!strcmp(hl_trim(tok), names[i][0]))
				vi = names[i][1];
		fprintf(f, "%s", first ? "" : "; ");
		h(f, vi ? vi : tok);
		fprintf(f, " %s điểm", hl_trim(eq + 1));
		first = 0;
	}
}

/* A number as Vietnamese writes it: a decimal comma ("-2,00", "66,7"). */
static void decimal(char out[32], double v, int places)
{
	snprintf(out, 32, "%.*f", places, v);
	char *dot = strchr(out, '.');
	if (dot)
		*dot = ',';
}

static void count_row(FILE *f, const char *label, uint64_t n, uint64_t total, int prev, uint64_t pn,
                      uint64_t ptotal)
{
	char p[32];
	decimal(p, pct_of(n, total), 1);
	fprintf(f, "<tr><td>%s</td><td class=\"n\">%llu</td><td class=\"n\">%s</td>", label,
	        (unsigned long long)n, p);
	if (prev) {
		decimal(p, pct_of(pn, ptotal), 1);
		fprintf(f, "<td class=\"n\">%llu (%s%%)</td>", (unsigned long long)pn, p);
	}
	fputs("</tr>\n", f);
}

static void items_html(FILE *f, const hl_eval_item *v, size_t n, int overdue)
{
	char d[11];
	if (!n) {
		fprintf(f, "<p>Không có nhiệm vụ %s.</p>\n",
		        overdue ? "chậm tiến độ, quá hạn" : "sắp đến hạn");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		dmy(d, v[i].due);
		fprintf(f, "<p class=\"item\">%zu. <b>", i + 1);
		h(f, v[i].ref);
		fputs("</b> – ", f);
		h(f, v[i].title);
		fputs(" <i>(Cơ quan chủ trì: ", f);
		h(f, v[i].agency ? v[i].agency : "—");
		fprintf(f, "; hạn %s; %s %d ngày)</i></p>\n", d, overdue ? "quá hạn" : "còn",
		        v[i].days);
	}
}

/* The report: the national heading and the issuing body, place and date, the title, the count
 * line and the counts, the agencies ranked, the overdue and due-soon tasks, the signature.
 * One short table only, ruled by rows, and lists as numbered paragraphs: MuPDF 1.21 (which lays
 * out the PDF from this HTML) gives every column of a table the same width, draws a cell's
 * borders to its own height, and misplaces the text of a table split across two pages. */
static void eval_html(FILE *f, const hl_plan *p, const char *issuer, const char *issuer_up,
                      const hl_eval *e)
{
	char at[64], atd[11], from[11], to[11], pw[64], d[11];
	int prev = e->has_previous;
	const hl_eval_counts *c = &e->total;

	date_words(at, e->at);
	dmy(atd, e->at);
	period_words(pw, e);
	fputs("<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n<title>Báo "
	      "cáo kết quả thực hiện ",
	      f);
	h(f, p->id);
	fputs(" ", f);
	h(f, pw);
	fputs("</title>\n<style>\n"
	      "@page { size: A4; margin: 20mm 15mm 20mm 30mm; }\n"
	      "body { font-family: 'Times New Roman', 'Liberation Serif', 'DejaVu Serif', serif; "
	      "font-size: 13pt; "
	      "color: #000; }\n"
	      "table.head { width: 100%; border-collapse: collapse; }\n"
	      "table.head td { width: 50%; text-align: center; vertical-align: top; "
	      "font-size: 12pt; }\n"
	      ".org { font-weight: bold; }\n"
	      ".nation { font-weight: bold; }\n"
	      ".motto { font-weight: bold; font-size: 13pt; }\n"
	      ".place { font-style: italic; font-size: 13pt; }\n"
	      "h1 { text-align: center; font-size: 14pt; margin: 18pt 0 0 0; }\n"
	      "p.title { text-align: center; font-weight: bold; font-size: 14pt; "
	      "margin: 0 0 12pt 0; }\n"
	      "h2 { font-size: 13pt; margin: 12pt 0 4pt 0; }\n"
	      "p { text-align: justify; margin: 0 0 6pt 0; }\n"
	      "p.count { font-weight: bold; }\n"
	      "p.item { margin-left: 12pt; }\n"
	      "table.t { width: 100%; border-collapse: collapse; font-size: 11pt; "
	      "border-bottom: 1px solid #000; margin-bottom: 6pt; }\n"
	      "table.t th, table.t td { border-top: 1px solid #000; vertical-align: top; }\n"
	      "table.t th { text-align: center; }\n"
	      "table.t td.n { text-align: right; }\n"
	      "tr { page-break-inside: avoid; }\n"
	      "p.signer { margin: 18pt 0 0 45%; text-align: center; }\n"
	      "p.to { font-size: 11pt; text-align: left; margin-top: 12pt; }\n"
	      "p.small { font-size: 10pt; font-style: italic; margin-top: 48pt; }\n"
	      "</style>\n</head>\n<body>\n",
	      f);
	/* the heading: the issuing body on the left, the national name and motto on the right */
	fputs("<table class=\"head\">\n<tr><td><span class=\"org\">", f);
	h(f, issuer_up);
	fputs("</span><br>Số: &#160;&#160;&#160;&#160;&#160;/BC</td>\n<td><span "
	      "class=\"nation\">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</span><br><span "
	      "class=\"motto\">Độc lập - Tự do - Hạnh phúc</span></td></tr>\n"
	      "<tr><td></td><td class=\"place\">Quảng Ninh, ",
	      f);
	h(f, at);
	fputs("</td></tr>\n</table>\n<h1>BÁO CÁO</h1>\n<p class=\"title\">Kết quả thực hiện ", f);
	h(f, p->title ? p->title : p->id);
	fputs(" ", f);
	h(f, pw);
	fputs("</p>\n<p>", f);
	if (p->number) {
		fputs("Thực hiện văn bản số ", f);
		h(f, p->number);
		if (p->date) {
			dmy(d, p->date);
			fprintf(f, " ngày %s", d);
		}
		if (p->issuer) {
			fputs(" của ", f);
			h(f, p->issuer);
		}
		fputs("; ", f);
	}
	if (e->from[0]) {
		dmy(from, e->from);
		dmy(to, e->to);
		fprintf(f, "tính các nhiệm vụ có hạn từ ngày %s đến ngày %s, ", from, to);
	} else
		fputs("tính mọi nhiệm vụ của kế hoạch, ", f);
	fprintf(f, "số liệu đến ngày %s, ", atd);
	h(f, issuer && *issuer ? issuer : "cơ quan tổng hợp");
	fputs(" báo cáo kết quả thực hiện như sau:</p>\n", f);

	fputs("<h2>I. KẾT QUẢ CHUNG</h2>\n<p class=\"count\">", f);
	h(f, e->line_vi);
	fputs("</p>\n<table class=\"t\">\n<tr><th>Tình trạng</th><th>Số nhiệm vụ</th><th>Tỷ lệ "
	      "(%)</th>",
	      f);
	if (prev)
		fprintf(f, "<th>Kỳ trước (%s)</th>", e->previous_period);
	fputs("</tr>\n", f);
	const hl_eval_counts *q = &e->previous;
	count_row(f, "Tổng số nhiệm vụ", c->total, c->total, prev, q->total, q->total);
	count_row(f, "Hoàn thành đúng hạn", c->done_on_time, c->total, prev, q->done_on_time,
	          q->total);
	count_row(f, "Hoàn thành quá hạn", c->done_late, c->total, prev, q->done_late, q->total);
	count_row(f, "Đang thực hiện, đúng tiến độ", c->open_on_time - c->not_started, c->total,
	          prev, q->open_on_time - q->not_started, q->total);
	count_row(f, "Chưa triển khai", c->not_started, c->total, prev, q->not_started, q->total);
	count_row(f, "Chậm tiến độ, quá hạn", c->overdue, c->total, prev, q->overdue, q->total);
	count_row(f, "Chờ hướng dẫn", c->waiting, c->total, prev, q->waiting, q->total);
	fputs("</table>\n", f);
	if (c->cancelled)
		fprintf(f, "<p>Ngoài ra %llu nhiệm vụ đã hủy, không tính.</p>\n",
		        (unsigned long long)c->cancelled);

	fputs("<h2>II. KẾT QUẢ THEO CƠ QUAN CHỦ TRÌ</h2>\n", f);
	if (!e->nagencies)
		fputs("<p>Không có nhiệm vụ nào đến hạn trong kỳ.</p>\n", f);
	else {
		for (size_t i = 0; i < e->nagencies; i++) {
			const hl_eval_agency *a = &e->agencies[i];
			char sc[32];
			decimal(sc, a->c.score, 2);
			fprintf(f, "<p class=\"item\">%d. <b>", a->rank);
			h(f, a->name ? a->name : a->code);
			fputs("</b> (", f);
			h(f, a->code);
			fprintf(f,
			        "): %llu nhiệm vụ; hoàn thành %llu (đúng hạn %llu, quá hạn %llu); "
			        "chưa hoàn thành, trong hạn %llu; chậm tiến độ, quá hạn %llu; chờ "
			        "hướng dẫn %llu. Điểm: %s.</p>\n",
			        (unsigned long long)a->c.total,
			        (unsigned long long)(a->c.done_on_time + a->c.done_late),
			        (unsigned long long)a->c.done_on_time,
			        (unsigned long long)a->c.done_late,
			        (unsigned long long)a->c.open_on_time,
			        (unsigned long long)a->c.overdue, (unsigned long long)a->c.waiting,
			        sc);
		}
		fputs("<p>Điểm xếp hạng của mỗi cơ quan là trung bình điểm các nhiệm vụ "
		      "đến hạn: ",
		      f);
		rule_words(f, e->rule);
		fputs("; bằng điểm thì cơ quan ít nhiệm vụ quá hạn hơn xếp trên.</p>\n", f);
	}
	fputs("<h2>III. NHIỆM VỤ CHẬM TIẾN ĐỘ, QUÁ HẠN</h2>\n", f);
	items_html(f, e->overdue, e->noverdue, 1);
	fputs("<h2>IV. NHIỆM VỤ SẮP ĐẾN HẠN</h2>\n", f);
	items_html(f, e->soon, e->nsoon, 0);
	/* the signer, then where it is sent: paragraphs, not a table, which MuPDF would split
	 * across two pages */
	fputs("<p class=\"signer\"><span class=\"org\">", f);
	h(f, issuer_up && *issuer_up ? issuer_up : "THỦ TRƯỞNG CƠ QUAN");
	fputs("</span><br><i>(Ký, ghi rõ họ tên, đóng dấu)</i></p>\n<p class=\"to\"><b><i>Nơi "
	      "nhận:</i></b><br>- Như trên;<br>- Lưu: VT.</p>\n<p class=\"small\">Báo cáo lập "
	      "bằng halong từ số liệu của kế hoạch ",
	      f);
	h(f, p->id);
	fprintf(f, " đến ngày %s.</p>\n</body>\n</html>\n", atd);
}

/* ---- PDF: the report's HTML laid out on A4 pages by MuPDF ---- */

/* The PDF's type: Liberation Serif (fonts-liberation2), which has the metrics of Times New Roman
 * that Vietnamese official documents are set in, else DejaVu Serif (fonts-dejavu-core); both
 * hold every Vietnamese letter. MuPDF's own stand-in for Times does not, and would fall back
 * glyph by glyph to another face. DejaVu is wider than Times: with it the type is smaller, so
 * that the national name keeps to one line in its half of the page. */
static const struct {
	const char *dir, *family, *regular, *bold, *italic, *bold_italic, *sizes;
} pdf_fonts[] = {
    {"/usr/share/fonts/truetype/liberation2", "Liberation Serif", "LiberationSerif-Regular.ttf",
     "LiberationSerif-Bold.ttf", "LiberationSerif-Italic.ttf", "LiberationSerif-BoldItalic.ttf",
     "body { font-size: 13pt; }\ntable.head td, .motto, .place { font-size: 10.5pt; }\n"},
    {"/usr/share/fonts/truetype/dejavu", "DejaVu Serif", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf",
     "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf",
     "body { font-size: 12pt; }\ntable.head td, .motto, .place { font-size: 9pt; }\n"
     "h1, p.title { font-size: 13pt; }\n"},
};

/* The stylesheet laid over the report's own for the PDF: the fonts found, from their folder
 * (*dir), and their sizes. "" and NULL when neither is installed (MuPDF's fonts then). */
static void pdf_css(char *out, size_t n, const char **dir)
{
	*dir = NULL;
	out[0] = 0;
	for (size_t i = 0; i < sizeof(pdf_fonts) / sizeof(pdf_fonts[0]); i++) {
		char *path = hl_path_join(pdf_fonts[i].dir, pdf_fonts[i].regular);
		int ok = path && hl_file_exists(path);
		free(path);
		if (!ok)
			continue;
		snprintf(out, n,
		         "@font-face { font-family: '%s'; src: url(%s); }\n"
		         "@font-face { font-family: '%s'; font-weight: bold; src: url(%s); }\n"
		         "@font-face { font-family: '%s'; font-style: italic; src: url(%s); }\n"
		         "@font-face { font-family: '%s'; font-style: italic; font-weight: bold; "
		         "src: url(%s); }\n"
		         "body { font-family: '%s'; }\n%s",
		         pdf_fonts[i].family, pdf_fonts[i].regular, pdf_fonts[i].family,
		         pdf_fonts[i].bold, pdf_fonts[i].family, pdf_fonts[i].italic,
		         pdf_fonts[i].family, pdf_fonts[i].bold_italic, pdf_fonts[i].family,
		         pdf_fonts[i].sizes);
		*dir = pdf_fonts[i].dir;
		return;
	}
}
#define PDF_MAX_PAGES 1000
#define MM(x)         ((float)(x)*72.0f / 25.4f)

/* The page number at the top of every page but the first (Nghị định 30/2020/NĐ-CP). */
static void page_number(fz_context *ctx, fz_device *dev, int page, const char *css, fz_archive *ar,
                        fz_rect where)
{
	char html[96];
	fz_buffer *b = NULL;
	fz_story *s = NULL;
	fz_var(b);
	fz_var(s);
	snprintf(html, sizeof(html), "<p style=\"text-align: center; font-size: 11pt\">%d</p>",
	         page);
	fz_try(ctx)
	{
		fz_rect filled;
		b = fz_new_buffer_from_copied_data(ctx, (const unsigned char *)html, strlen(html));
		s = fz_new_story(ctx, b, css, 11, ar);
		fz_place_story(ctx, s, where, &filled);
		fz_draw_story(ctx, s, dev, fz_identity);
	}
	fz_always(ctx)
	{
		fz_drop_story(ctx, s);
		fz_drop_buffer(ctx, b);
	}
	fz_catch(ctx) fz_rethrow(ctx);
}

static int html_to_pdf(const char *html, size_t len, const char *path)
{
	fz_context *ctx = fz_new_context(NULL, NULL, FZ_STORE_DEFAULT);
	fz_document_writer *w = NULL;
	fz_story *s = NULL;
	fz_buffer *b = NULL;
	fz_archive *ar = NULL;
	const fz_rect page = {0, 0, MM(210), MM(297)};
	/* margins: top and bottom 20 mm, left 30 mm, right 15 mm (Nghị định 30/2020/NĐ-CP) */
	const fz_rect where = {MM(30), MM(20), MM(210 - 15), MM(297 - 20)};
	const fz_rect top = {MM(30), MM(8), MM(210 - 15), MM(18)};
	char css[2048];
	const char *dir;
	int rc = 0, pages = 0, more = 1;

	if (!ctx)
		return hl_error_set(HL_ENOMEM, "out of memory (PDF)");
	pdf_css(css, sizeof(css), &dir);
	fz_var(w);
	fz_var(s);
	fz_var(b);
	fz_var(ar);
	fz_var(pages);
	fz_var(more);
	fz_try(ctx)
	{
		b = fz_new_buffer_from_copied_data(ctx, (const unsigned char *)html, len);
		if (dir)
			ar = fz_open_directory(ctx, dir);
		s = fz_new_story(ctx, b, css, 13, ar);
		w = fz_new_document_writer(ctx, path, "pdf", "compress,compress-fonts,garbage");
		while (more && pages < PDF_MAX_PAGES) {
			fz_rect filled;
			more = fz_place_story(ctx, s, where, &filled);
			fz_device *dev = fz_begin_page(ctx, w, page);
			fz_draw_story(ctx, s, dev, fz_identity);
			if (++pages > 1)
				page_number(ctx, dev, pages, css, ar, top);
			fz_end_page(ctx, w);
		}
		if (more)
			fz_throw(ctx, FZ_ERROR_GENERIC, "the report is longer than %d pages",
			         PDF_MAX_PAGES);
		fz_close_document_writer(ctx, w);
	}
	fz_always(ctx)
	{
		fz_drop_document_writer(ctx, w);
		fz_drop_story(ctx, s);
		fz_drop_buffer(ctx, b);
		fz_drop_archive(ctx, ar);
	}
	fz_catch(ctx) rc = hl_error_set(HL_EIO, "PDF: %s", fz_caught_message(ctx));
	fz_drop_context(ctx);
	return rc;
}

/* ---- hl_plans_export ---- */

static const char *const whats[] = {"tasks", "reports", "eval"};
static const char *const formats[] = {"csv", "xlsx", "html", "pdf"};
static const char *const mimes[] = {"text/csv; charset=utf-8",
                                    "application/vnd.openxmlformats-officedocument."
                                    "spreadsheetml.sheet",
                                    "text/html; charset=utf-8", "application/pdf"};

static int index_of(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(v[i], s))
			return (int)i;
	return -1;
}

const char *hl_plans_export_mime(const char *format)
{
	int i = index_of(formats, 4, format);
	return i < 0 ? NULL : mimes[i];
}

int hl_plans_export_check(const hl_plans_export_in *in)
{
	int w = index_of(whats, 3, in->what), f = index_of(formats, 4, in->format);
	if (!in->plan || !*in->plan)
		return hl_error_set(HL_EINVALID, "plan: give the plan's id");
	if (w < 0)
		return hl_error_set(HL_EINVALID, "what: \"%.20s\" is not tasks, reports or eval",
		                    in->what ? in->what : "");
	if (f < 0)
		return hl_error_set(HL_EINVALID, "format: \"%.20s\" is not csv, xlsx, html or pdf",
		                    in->format ? in->format : "");
	if (f >= 2 && w != 2)
		return hl_error_set(HL_EINVALID,
		                    "format: %s is the printable evaluation report (what eval); %s "
		                    "export as csv or xlsx",
		                    in->format, in->what);
	return 0;
}

/* A new file beside `path` (its folder, a hidden name), to be renamed over it. */
static int temp_beside(char **tmp, int *fd, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dl = slash ? (size_t)(slash - path + 1) : 0;
	if (!(*tmp = malloc(dl + strlen(path) + 32)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	sprintf(*tmp, "%.*s.halong-export.XXXXXX", (int)dl, path);
	if ((*fd = mkstemp(*tmp)) < 0) {
		int e = errno;
		free(*tmp);
		*tmp = NULL;
		return hl_error_set(HL_EIO, "cannot write beside %s: %s", path, strerror(e));
	}
	fchmod(*fd, 0644);
	return 0;
}

typedef struct {
	hl_plan *plan;
	hl_plans__view v;
	int have_view;
	hl_eval *e;
	hl_period per;
	int has_period;
	table t[4];
	size_t nt;
	char *html;
	size_t html_len;
} export_data;

static int build(export_data *d, hl_store *st, const hl_principal *who,
                 const hl_plans_export_in *in, int what, int format)
{
	int rc = 0;
	char day[11];
	if ((rc = hl_plans__clock(day, in->at)) < 0)
		return rc;
	if (what == 0 || what == 1) {
		if ((rc = hl_plans__view_load(&d->v, st, who, in->plan, 0, day)) < 0)
			return rc;
		d->have_view = 1;
	}
	if (what == 0) {
		d->t[0] = (table){"Nhiệm vụ", task_cols, NTASK_COLS, 0, 0, NULL, 0};
		d->nt = 1;
		return tasks_table(&d->t[0], &d->v, d->has_period ? &d->per : NULL);
	}
	if (what == 1) {
		reports_rows c = {&d->t[0], &d->v, d->has_period ? d->per.label : NULL};
		d->t[0] = (table){"Báo cáo", report_cols, NREPORT_COLS, 0, 0, NULL, 0};
		d->nt = 1;
		return hl_store_report_foreach(st, in->plan, 0, 0, day, 0, report_row, &c);
	}
	hl_eval_in ein = {
	    .plan = in->plan, .period = d->has_period ? d->per.label : NULL, .at = day};
	if ((rc = hl_plan_eval(&d->e, st, who, &ein)) < 0)
		return rc;
	if (format >= 2) { /* the printable report */
		char *issuer = NULL, *up = NULL;
		FILE *f;
		hl_agency *a = NULL;
		if (d->plan->compiler && hl_agency_find(&a, st, d->plan->compiler, NULL) == 0) {
			issuer = hl_strdup(a->name);
			hl_agency_free(a);
		} else if (d->plan->compiler)
			issuer = hl_strdup(d->plan->compiler);
		hl_error_clear();
		if (issuer && hl_text_upper(&up, issuer, -1) < 0)
			up = NULL;
		if (!(f = open_memstream(&d->html, &d->html_len))) {
			free(issuer);
			free(up);
			return hl_error_set(HL_ENOMEM, "out of memory");
		}
		eval_html(f, d->plan, issuer, up ? up : issuer, d->e);
		free(issuer);
		free(up);
		if (fclose(f) != 0 || !d->html)
			return hl_error_set(HL_ENOMEM, "out of memory");
		return 0;
	}
	d->t[0] = (table){"Đánh giá", eval_cols, NEVAL_COLS, 0, 0, NULL, 1};
	d->nt = 1;
	for (size_t i = 0; i < d->e->nagencies && rc == 0; i++) {
		char rank[16];
		snprintf(rank, sizeof(rank), "%d", d->e->agencies[i].rank);
		rc = eval_row(&d->t[0], rank, d->e->agencies[i].code, d->e->agencies[i].name,
		              &d->e->agencies[i].c);
	}
	if (rc == 0)
		rc = eval_row(&d->t[0], NULL, NULL, "Tổng cộng", &d->e->total);
	if (rc < 0 || format != 1)
		return rc;
	/* the workbook also holds the lists and what the counts are of */
	d->t[1] = (table){"Quá hạn", item_cols, NITEM_COLS, 0, 0, NULL, 0};
	d->t[2] = (table){"Sắp đến hạn", item_cols, NITEM_COLS, 0, 0, NULL, 0};
	d->nt = 3;
	if ((rc = items_table(&d->t[1], d->e->overdue, d->e->noverdue)) < 0 ||
	    (rc = items_table(&d->t[2], d->e->soon, d->e->nsoon)) < 0)
		return rc;
	static const col about_cols[] = {{"Mục", COL_TEXT, 24}, {"Giá trị", COL_WRAP, 90}};
	d->t[3] = (table){"Thông tin", about_cols, 2, 0, 0, NULL, 0};
	d->nt = 4;
	const char *rows[][2] = {{"Kế hoạch", d->plan->id},
	                         {"Tên kế hoạch", d->plan->title},
	                         {"Kỳ đánh giá", d->e->period[0] ? d->e->period : "(mọi nhiệm vụ)"},
	                         {"Từ ngày", d->e->from},
	                         {"Đến ngày", d->e->to},
	                         {"Số liệu đến ngày", d->e->at},
	                         {"Kết quả", d->e->line_vi},
	                         {"Quy tắc xếp hạng", d->e->rule}};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]) && rc == 0; i++)
		rc = table_row(&d->t[3], rows[i]);
	return rc;
}

int hl_plans_export(hl_store *st, const hl_principal *who, const hl_plans_export_in *in,
                    const char *path)
{
	export_data d;
	char *tmp = NULL;
	int fd = -1, rc, what, format;
	FILE *f = NULL;

	memset(&d, 0, sizeof(d));
	if ((rc = hl_plans_export_check(in)) < 0)
		return rc;
	what = index_of(whats, 3, in->what);
	format = index_of(formats, 4, in->format);
	if (!path || !*path)
		return hl_error_set(HL_EINVALID, "give the file to write");
	if ((rc = hl_plans__plan(&d.plan, st, who, in->plan)) < 0)
		return rc;
	if (in->period && *in->period) {
		if ((rc = hl_period_parse(&d.per, in->period,
		                          hl_plans__setting_int(st, "cutoff_day"),
		                          hl_plans__setting_int(st, "report_day"))) < 0)
			goto done;
		if (strcmp(d.per.to, d.plan->period_from) < 0 ||
		    strcmp(d.per.from, d.plan->period_to) > 0) {
			rc = hl_error_set(HL_EINVALID, "period: %s is outside plan %s (%s to %s)",
			                  d.per.label, d.plan->id, d.plan->period_from,
			                  d.plan->period_to);
			goto done;
		}
		d.has_period = 1;
	}
	if ((rc = build(&d, st, who, in, what, format)) < 0)
		goto done;
	/* everything is known: now the file */
	if ((rc = temp_beside(&tmp, &fd, path)) < 0)
		goto done;
	if (format == 0 || format == 2) {
		if (!(f = fdopen(fd, "w"))) {
			rc = hl_error_set(HL_EIO, "cannot write %s: %s", path, strerror(errno));
			goto done;
		}
		fd = -1;
		if (format == 2)
			fwrite(d.html, 1, d.html_len, f);
		else
			rc = write_csv(f, &d.t[0], 1);
		if (fflush(f) != 0 || fsync(fileno(f)) != 0)
			rc = rc < 0 ? rc
			            : hl_error_set(HL_EIO, "cannot write %s: %s", path,
			                           strerror(errno));
		if (fclose(f) != 0 && rc == 0)
			rc = hl_error_set(HL_EIO, "cannot write %s: %s", path, strerror(errno));
		f = NULL;
	} else {
		close(fd);
		fd = -1;
		rc =
		    format == 1 ? write_xlsx(tmp, d.t, d.nt) : html_to_pdf(d.html, d.html_len, tmp);
	}
	if (rc == 0 && rename(tmp, path) != 0)
		rc = hl_error_set(HL_EIO, "cannot write %s: %s", path, strerror(errno));
done:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		if (rc < 0)
			unlink(tmp);
		free(tmp);
	}
	for (size_t i = 0; i < 4; i++)
		table_clear(&d.t[i]);
	if (d.have_view)
		hl_plans__view_free(&d.v);
	hl_eval_free(d.e);
	hl_plan_free(d.plan);
	free(d.html);
	return rc;
}
