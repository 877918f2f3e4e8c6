/* Warnings: the due-soon and overdue notices of each lead agency, found at a clock, kept in an
 * outbox so that each is sent once, and mailed as one Vietnamese digest per agency through
 * libcurl's SMTP; the notices the web interface shows; agencies' e-mail contacts. */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "../store/store_plans.h"
#include "halong/plans.h"
#include "halong/plans_json.h"
#include "halong/units.h"
#include "halong/util.h"
#include "notice_int.h"
#include "plans_int.h"

#define SMTP_CONNECT_MS 10000L
#define SMTP_TIMEOUT_MS 60000L
#define MAX_SETTING     500 /* bytes of an SMTP setting */

const char *hl_notice_kind_name(hl_notice_kind k)
{
	return k == HL_NOTICE_OVERDUE ? "overdue" : "soon";
}

static char *dup0(const char *s)
{
	return s ? hl_strdup(s) : NULL;
}

static void notice_clear(hl_notice *n)
{
	free(n->agency);
	free(n->agency_name);
	free(n->plan_id);
	free(n->plan_number);
	free(n->ref);
	free(n->title);
	free(n->created_at);
	free(n->sent_at);
	free(n->last_error);
}

void hl_notices_free(hl_notices *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		notice_clear(&l->v[i]);
	free(l->v);
	free(l);
}

void hl_notice_run_free(hl_notice_run *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		hl_notice_digest *d = &r->v[i];
		for (size_t j = 0; j < d->nitems; j++)
			notice_clear(&d->items[j]);
		free(d->items);
		free(d->agency);
		free(d->agency_name);
		free(d->error);
		free(d->subject);
	}
	free(r->v);
	free(r);
}

/* ---- addresses and URLs ---- */

static int atext(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

int hl_plans__email_valid(const char *addr)
{
	const char *at, *p;
	size_t len;
	if (!addr || (len = strlen(addr)) == 0 || len > HL_MAIL_ADDR_MAX)
		return 0;
	if (!(at = strchr(addr, '@')) || strchr(at + 1, '@') || at == addr || at - addr > 64)
		return 0;
	/* the local part: a dot-atom */
	for (p = addr; p < at; p++)
		if (*p == '.') {
			if (p == addr || p + 1 == at || p[1] == '.')
				return 0;
		} else if (!atext((unsigned char)*p))
			return 0;
	/* the domain: two labels or more of letters, digits and inner hyphens */
	int labels = 0;
	for (p = at + 1;;) {
		const char *s = p;
		while (isalnum((unsigned char)*p) || *p == '-')
			p++;
		if (p == s || p - s > 63 || *s == '-' || p[-1] == '-')
			return 0;
		labels++;
		if (!*p)
			break;
		if (*p != '.')
			return 0;
		p++;
	}
	return labels >= 2;
}

int hl_plans__mailbox_parse(char name[HL_MAIL_NAME_MAX + 1], char addr[HL_MAIL_ADDR_MAX + 1],
                            const char *s)
{
	const char *lt, *gt;
	name[0] = addr[0] = 0;
	if (!s || !*s)
		return hl_error_set(HL_EINVALID,
		                    "mail_from: not set (halong plan setting mail_from "
		                    "\"Name <address>\")");
	lt = strchr(s, '<');
	if (!lt) {
		if (!hl_plans__email_valid(s))
			return hl_error_set(
			    HL_EINVALID,
			    "mail_from: \"%.80s\" is not an address (name@domain, or "
			    "Name <name@domain>)",
			    s);
		snprintf(addr, HL_MAIL_ADDR_MAX + 1, "%s", s);
		return 0;
	}
	gt = strchr(lt, '>');
	size_t nlen = (size_t)(lt - s);
	while (nlen && s[nlen - 1] == ' ')
		nlen--;
	if (!gt || gt[1] || (size_t)(gt - lt - 1) > HL_MAIL_ADDR_MAX || nlen > HL_MAIL_NAME_MAX)
		return hl_error_set(
		    HL_EINVALID,
		    "mail_from: \"%.80s\" is not Name <name@domain> (a name of at most "
		    "120 bytes, then the address in angle brackets, nothing after)",
		    s);
	for (size_t i = 0; i < nlen; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || strchr("\"<>\\", s[i]))
			return hl_error_set(
			    HL_EINVALID,
			    "mail_from: the name holds a quote, a bracket, a backslash "
			    "or a control character");
	memcpy(name, s, nlen);
	name[nlen] = 0;
	memcpy(addr, lt + 1, (size_t)(gt - lt - 1));
	addr[gt - lt - 1] = 0;
	if (!hl_plans__email_valid(addr))
		return hl_error_set(HL_EINVALID,
		                    "mail_from: \"%.80s\" is not an address (name@domain)", addr);
	return 0;
}

int hl_plans__smtp_url_check(const char *url)
{
	const char *host, *p;
	if (!url || !*url)
		return hl_error_set(HL_EINVALID, "smtp_url: not set (halong plan setting smtp_url "
		                                 "smtp://HOST:PORT)");
	if (strlen(url) > MAX_SETTING)
		return hl_error_set(HL_EINVALID, "smtp_url: longer than %d bytes", MAX_SETTING);
	for (p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return hl_error_set(HL_EINVALID,
			                    "smtp_url: holds a space or a control character");
	if (!strncmp(url, "smtp://", 7))
		host = url + 7;
	else if (!strncmp(url, "smtps://", 8))
		host = url + 8;
	else
		return hl_error_set(
		    HL_EINVALID,
		    "smtp_url: \"%.80s\" is not smtp://HOST[:PORT] or smtps://HOST[:PORT]", url);
	size_t hl = strcspn(host, "/?#");
	if (memchr(host, '@', hl))
		return hl_error_set(HL_EINVALID, "smtp_url: no user or password in the URL (set "
		                                 "smtp_user and smtp_password)");
	if (!hl || *host == ':')
		return hl_error_set(HL_EINVALID, "smtp_url: \"%.80s\" names no host", url);
	return 0;
}

/* ---- MIME ---- */

/* A growing text. */
typedef struct {
	char *s;
	size_t n, cap;
	int nomem;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
	if (b->nomem)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *ns = realloc(b->s, cap);
		if (!ns) {
			b->nomem = 1;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = 0;
}

static void sb_str(sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_fmt(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_fmt(sbuf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		sb_add(b, tmp, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		b->nomem = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_add(b, big, (size_t)n);
	free(big);
}

static char *sb_take(sbuf *b)
{
	if (b->nomem) {
		free(b->s);
		return NULL;
	}
	if (!b->s)
		return hl_strdup("");
	return b->s;
}

/* The length of the UTF-8 character at s (1 for a stray byte, never past the end). */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = *s < 0x80         ? 1
	           : (*s >> 5) == 6  ? 2
	           : (*s >> 4) == 14 ? 3
	           : (*s >> 3) == 30 ? 4
	                             : 1;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return i;
	return n;
}

char *hl_plans__qp(const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	sbuf b = {0};
	size_t col = 0;
	const unsigned char *p = (const unsigned char *)text;
	while (*p) {
		char tok[16];
		size_t tl = 0, cl;
		if (*p == '\n' || (*p == '\r' && p[1] == '\n')) {
			p += *p == '\r' ? 2 : 1;
			sb_add(&b, "\r\n", 2);
			col = 0;
			continue;
		}
		/* a whole character at a time: a soft break never splits one's bytes */
		cl = utf8_len(p);
		const unsigned char *next = p + cl;
		int eol = *next == 0 || *next == '\n' || (*next == '\r' && next[1] == '\n');
		for (size_t i = 0; i < cl; i++) {
			unsigned char c = p[i];
			if (cl == 1 && ((c >= 33 && c <= 126 && c != '=') ||
			                ((c == ' ' || c == '\t') && !eol)))
				tok[tl++] = (char)c;
			else {
				tok[tl++] = '=';
				tok[tl++] = hex[c >> 4];
				tok[tl++] = hex[c & 15];
			}
		}
		/* every line at 76 at most: the soft break's '=' included, the last character of
		 * a line may take the 76th column itself */
		if (col && col + tl > (eol ? 76u : 75u)) {
			sb_add(&b, "=\r\n", 3);
			col = 0;
		}
		sb_add(&b, tok, tl);
		col += tl;
		p = next;
	}
	return sb_take(&b);
}

static void base64(sbuf *b, const unsigned char *s, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char out[4];
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
		             (i + 2 < n ? s[i + 2] : 0);
		out[0] = a[v >> 18 & 63];
		out[1] = a[v >> 12 & 63];
		out[2] = i + 1 < n ? a[v >> 6 & 63] : '=';
		out[3] = i + 2 < n ? a[v & 63] : '=';
		sb_add(b, out, 4);
	}
}

char *hl_plans__header_words(const char *text)
{
	enum { WORD_BYTES = 36 }; /* 48 base64 characters: a word of 60, a line of 76 at most */
	sbuf b = {0};
	size_t len = strlen(text);
	int plain = len <= 60;
	for (size_t i = 0; i < len && plain; i++)
		plain =
		    text[i] >= 0x20 && text[i] < 0x7f && !(text[i] == '=' && text[i + 1] == '?');
	if (plain)
		return hl_strdup(text);
	const unsigned char *p = (const unsigned char *)text, *end = p + len;
	int first = 1;
	while (p < end) {
		const unsigned char *q = p;
		while (q < end) {
			size_t c = utf8_len(q);
			if ((size_t)(q + c - p) > WORD_BYTES)
				break;
			q += c;
		}
		if (!first)
			sb_add(&b, "\r\n ", 3);
		sb_str(&b, "=?UTF-8?B?");
		base64(&b, p, (size_t)(q - p));
		sb_str(&b, "?=");
		first = 0;
		p = q;
	}
	return sb_take(&b);
}

void hl_plans__mail_date(char out[40], long long t)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t local = (time_t)(t + 7 * 3600); /* Asia/Ho_Chi_Minh: UTC+7, no DST */
	struct tm tm;
	gmtime_r(&local, &tm);
	snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d +0700", days[tm.tm_wday % 7], tm.tm_mday,
	         months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

char *hl_plans__mail_build(const hl_plans__mail *m)
{
	char name[HL_MAIL_NAME_MAX + 1], addr[HL_MAIL_ADDR_MAX + 1];
	sbuf b = {0};
	char *w, *qp;
	if (hl_plans__mailbox_parse(name, addr, m->from) < 0)
		return NULL;
	if (!hl_plans__email_valid(m->to)) {
		hl_error_set(HL_EINVALID, "to: \"%.80s\" is not an address", m->to ? m->to : "");
		return NULL;
	}
	sb_str(&b, "From: ");
	if (name[0]) {
		if (!(w = hl_plans__header_words(name)))
			goto nomem;
		/* a plain name is a phrase: quoted, since it may hold '.' or ','; the address on a
		 * line of its own when the name's last line would pass 76 */
		int enc = strstr(w, "=?UTF-8?") != NULL;
		const char *last = strrchr(w, '\n');
		size_t col = last ? strlen(last + 1) + 0 : 6 + strlen(w) + (enc ? 0 : 2);
		sb_fmt(&b, enc ? "%s" : "\"%s\"", w);
		sb_fmt(&b, "%s<%s>\r\n", col + 3 + strlen(addr) > 76 ? "\r\n " : " ", addr);
		free(w);
	} else
		sb_fmt(&b, "<%s>\r\n", addr);
	sb_fmt(&b, "To: <%s>\r\n", m->to);
	if (!(w = hl_plans__header_words(m->subject ? m->subject : "")))
		goto nomem;
	sb_fmt(&b, "Subject: %s\r\n", w);
	free(w);
	sb_fmt(&b, "Date: %s\r\nMessage-ID: %s\r\n", m->date, m->message_id);
	sb_str(&b, "MIME-Version: 1.0\r\n"
	           "Content-Type: text/plain; charset=UTF-8\r\n"
	           "Content-Transfer-Encoding: quoted-printable\r\n"
	           "Content-Language: vi\r\n"
	           "Auto-Submitted: auto-generated\r\n"
	           "\r\n");
	if (!(qp = hl_plans__qp(m->body ? m->body : "")))
		goto nomem;
	sb_str(&b, qp);
	if (b.n < 2 || strcmp(b.s + b.n - 2, "\r\n"))
		sb_add(&b, "\r\n", 2);
	free(qp);
	if (b.nomem)
		goto nomem;
	return b.s;
nomem:
	free(b.s);
	hl_error_set(HL_ENOMEM, "out of memory");
	return NULL;
}

/* ---- contacts ---- */

static int may_admin(const hl_principal *who)
{
	return who->local || who->role == HL_ROLE_ADMIN;
}

/* Is `code` an agency of the register or a unit? */
static int known_code(hl_store *st, const char *code)
{
	hl_unit *u = NULL;
	int rc = hl_store_agency_exists(st, code);
	if (rc != 0)
		return rc;
	if (hl_units_show(&u, st, code, NULL) == 0) {
		hl_unit_free(u);
		return 1;
	}
	return 0;
}

static int check_code(hl_store *st, const char *code)
{
	int rc;
	if (!code || !*code || strlen(code) > 32)
		return hl_error_set(HL_EINVALID,
		                    "agency: give an agency's code (halong agency list)");
	if ((rc = known_code(st, code)) < 0)
		return rc;
	if (!rc)
		return hl_error_set(
		    HL_EINVALID,
		    "agency: \"%.40s\" is neither an agency of the register nor a unit", code);
	return 0;
}

int hl_plans_contact_set(hl_store *st, const hl_principal *who, const char *code, const char *email)
{
	int rc;
	if (!may_admin(who))
		return hl_error_set(HL_EDENIED, "only an admin sets an agency's e-mail contact");
	if ((rc = check_code(st, code)) < 0)
		return rc;
	if (email && !*email)
		email = NULL;
	if (email && !hl_plans__email_valid(email))
		return hl_error_set(HL_EINVALID,
		                    "email: \"%.80s\" is not an e-mail address (name@domain.vn: no "
		                    "spaces, names or brackets)",
		                    email);
	if ((rc = hl_store_begin(st)) < 0)
		return rc;
	/* the address itself stays out of the log: it may be a person's */
	if ((rc = hl_store_contact_set(st, code, email)) < 0 ||
	    (rc = hl_store_audit(st, hl_principal_actor(who), "agency.contact", code,
	                         email ? "set" : "removed")) < 0) {
		hl_store_rollback(st);
		return rc;
	}
	return hl_store_commit(st);
}

int hl_plans_contact_get(char **email, hl_store *st, const hl_principal *who, const char *code)
{
	int rc;
	*email = NULL;
	if (!may_admin(who))
		return hl_error_set(HL_EDENIED, "only an admin sees an agency's e-mail contact");
	if ((rc = check_code(st, code)) < 0)
		return rc;
	return hl_store_contact_get(email, st, code);
}

/* ---- the notices that hold at a clock ---- */

typedef struct {
	int64_t task_id;
	char agency[33], pfrom[11], pto[11];
} arep; /* a counted report: who reported on which task for which period */

typedef struct {
	char code[33];
	char *name;
} name_memo;

typedef struct {
	hl_store *st;
	char at[11], soon_to[11];
	const char *agency;      /* only this agency's notices (NULL: every agency's) */
	const hl_principal *who; /* only the plans who reads (NULL: every plan) */
	const char *compiler;    /* only the plans this agency compiles (NULL: any) */
	hl_notice *v;            /* found */
	size_t n, cap;
	arep *reps;
	size_t nreps, capreps;
	name_memo *names;
	size_t nnames;
	hl_agencies *reg; /* the register, read when a name is first needed */
	/* the plan and task being looked at */
	hl_plans__view *view;
	size_t ti;
	int rc;
} finder;

static void finder_free(finder *f)
{
	for (size_t i = 0; i < f->n; i++)
		notice_clear(&f->v[i]);
	free(f->v);
	free(f->reps);
	for (size_t i = 0; i < f->nnames; i++)
		free(f->names[i].name);
	free(f->names);
	hl_agencies_free(f->reg);
}

/* The agency's name in the register (every agency ever, an ended one too), else the unit's,
 * else its code. */
static const char *agency_name(finder *f, const char *code)
{
	for (size_t i = 0; i < f->nnames; i++)
		if (!strcmp(f->names[i].code, code))
			return f->names[i].name;
	if (!f->reg && hl_agency_list(&f->reg, f->st, NULL) < 0)
		f->reg = NULL;
	name_memo *nv = realloc(f->names, (f->nnames + 1) * sizeof(*nv));
	if (!nv)
		return code;
	f->names = nv;
	name_memo *m = &f->names[f->nnames];
	snprintf(m->code, sizeof(m->code), "%s", code);
	m->name = NULL;
	for (size_t i = 0; f->reg && i < f->reg->n && !m->name; i++)
		if (!strcmp(f->reg->v[i].code, code))
			m->name = hl_strdup(f->reg->v[i].name);
	hl_unit *u = NULL;
	if (!m->name && hl_units_show(&u, f->st, code, NULL) == 0)
		m->name = hl_strdup(u->full_name ? u->full_name : u->name);
	hl_unit_free(u);
	if (!m->name && !(m->name = hl_strdup(code)))
		return code;
	f->nnames++;
	return m->name;
}

static int add_rep(const hl_report *r, void *ud)
{
	finder *f = ud;
	if (!strcmp(r->verdict, "returned") || !r->agency)
		return 0; /* a returned report does not count */
	if (f->nreps == f->capreps) {
		size_t nc = f->capreps ? 2 * f->capreps : 64;
		arep *nv = realloc(f->reps, nc * sizeof(*nv));
		if (!nv)
			return hl_error_set(HL_ENOMEM, "out of memory");
		f->reps = nv;
		f->capreps = nc;
	}
	arep *d = &f->reps[f->nreps++];
	d->task_id = r->task_id;
	snprintf(d->agency, sizeof(d->agency), "%s", r->agency);
	snprintf(d->pfrom, sizeof(d->pfrom), "%s", r->period_from);
	snprintf(d->pto, sizeof(d->pto), "%s", r->period_to);
	return 0;
}

/* Has `agency` a counted report on the task whose period holds `due`? (The store gives the
 * reports by task.) */
static int reported(const finder *f, int64_t task_id, const char *agency, const char *due)
{
	size_t lo = 0, hi = f->nreps;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (f->reps[mid].task_id < task_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < f->nreps && f->reps[i].task_id == task_id; i++)
		if (!strcmp(f->reps[i].agency, agency) && strcmp(f->reps[i].pfrom, due) <= 0 &&
		    strcmp(f->reps[i].pto, due) >= 0)
			return 1;
	return 0;
}

static int emit(finder *f, const hl_task_agency *a, hl_notice_kind kind, const char *due,
                hl_task_status s)
{
	const hl_task *t = &f->view->tasks->v[f->ti];
	const hl_plan *p = f->view->plan;
	char ref[300];
	if (f->n == f->cap) {
		size_t nc = f->cap ? 2 * f->cap : 32;
		hl_notice *nv = realloc(f->v, nc * sizeof(*nv));
		if (!nv)
			return hl_error_set(HL_ENOMEM, "out of memory");
		f->v = nv;
		f->cap = nc;
	}
	hl_notice *n = &f->v[f->n++];
	memset(n, 0, sizeof(*n));
	snprintf(ref, sizeof(ref), "%s/%s", t->plan_id, t->item_no);
	n->task_id = t->id;
	n->kind = kind;
	snprintf(n->due, sizeof(n->due), "%s", due);
	long d = hl_plans__day_number(due) - hl_plans__day_number(f->at);
	n->days = (int)(kind == HL_NOTICE_OVERDUE ? -d : d);
	n->status = s;
	n->agency = hl_strdup(a->code);
	n->agency_name = hl_strdup(agency_name(f, a->code));
	n->plan_id = hl_strdup(p->id);
	n->plan_number = dup0(p->number);
	n->ref = hl_strdup(ref);
	n->title = hl_strdup(t->title ? t->title : "");
	if (!n->agency || !n->agency_name || !n->plan_id || !n->ref || !n->title)
		return hl_error_set(HL_ENOMEM, "out of memory");
	return 0;
}

/* One occurrence of the task: a notice to each of its lead agencies that has not reported for
 * it, while it is open and due soon or overdue. */
static int occurrence(const char *start, const char *due, void *ud)
{
	finder *f = ud;
	const hl_task *t = &f->view->tasks->v[f->ti];
	hl_notice_kind kind;
	(void)start;
	if (strcmp(due, f->soon_to) > 0)
		return 0;
	hl_task_status s = hl_plans__judge(f->view, f->ti, due, hl_plans__recurs(t), NULL, NULL);
	if (strcmp(due, f->at) < 0) {
		if (s != HL_TASK_OVERDUE)
			return 0;
		kind = HL_NOTICE_OVERDUE;
	} else {
		if (s != HL_TASK_NOT_STARTED && s != HL_TASK_ON_TIME)
			return 0;
		kind = HL_NOTICE_SOON;
	}
	for (size_t i = 0; i < t->nagencies; i++) {
		const hl_task_agency *a = &t->agencies[i];
		int again = 0;
		if (!a->lead || !a->code || (f->agency && strcmp(a->code, f->agency)))
			continue;
		for (size_t j = 0; j < i; j++) /* a lead named twice */
			again |= t->agencies[j].lead && t->agencies[j].code &&
			         !strcmp(t->agencies[j].code, a->code);
		if (again || reported(f, t->id, a->code, due))
			continue;
		if ((f->rc = emit(f, a, kind, due, s)) < 0)
			return f->rc;
	}
	return 0;
}

static int find_plan(finder *f, const char *plan_id)
{
	hl_plans__view v;
	hl_principal local = hl_principal_local("notice"); /* the caller's access is checked */
	int rc;
	if ((rc = hl_plans__view_load(&v, f->st, &local, plan_id, 0, f->at)) < 0)
		return rc;
	f->nreps = 0;
	if ((rc = hl_store_report_foreach(f->st, plan_id, 0, 0, f->at, 0, add_rep, f)) < 0) {
		hl_plans__view_free(&v);
		return rc;
	}
	f->view = &v;
	for (size_t i = 0; i < v.tasks->n && rc == 0; i++) {
		const hl_task *t = &v.tasks->v[i];
		if (!t->leaf || !t->nagencies || t->cancelled)
			continue;
		f->ti = i;
		if (hl_plans__recurs(t)) {
			char to[11];
			snprintf(to, sizeof(to), "%s",
			         strcmp(v.plan->period_to, f->soon_to) < 0 ? v.plan->period_to
			                                                   : f->soon_to);
			if (strcmp(v.plan->period_from, to) <= 0) {
				rc = hl_due_occurrences(&t->due, v.plan->report_every,
				                        v.plan->period_from, to, occurrence, f);
				if (rc == HL_ELIMIT) /* a duty of more occurrences than read: those
				                      * read hold */
					rc = 0;
			}
		} else if (t->due.due[0])
			rc = occurrence(t->due.start, t->due.due, f);
		if (f->rc < 0)
			rc = f->rc;
	}
	f->view = NULL;
	hl_plans__view_free(&v);
	return rc;
}

typedef struct {
	char **ids;
	size_t n, cap;
	const hl_principal *who;
	const char *compiler;
} plan_ids;

static int add_plan_id(const hl_plan *p, void *ud)
{
	plan_ids *c = ud;
	if (c->who && !hl_plans__may_read(c->who, p))
		return 0;
	if (c->compiler && (!p->compiler || strcmp(p->compiler, c->compiler)))
		return 0;
	if (c->n == c->cap) {
		size_t nc = c->cap ? 2 * c->cap : 16;
		char **nv = realloc(c->ids, nc * sizeof(*nv));
		if (!nv)
			return hl_error_set(HL_ENOMEM, "out of memory");
		c->ids = nv;
		c->cap = nc;
	}
	if (!(c->ids[c->n] = hl_strdup(p->id)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	c->n++;
	return 0;
}

static int notice_cmp(const void *a, const void *b)
{
	const hl_notice *x = a, *y = b;
	int c = strcmp(x->agency, y->agency);
	if (c)
		return c;
	if (x->kind != y->kind)
		return x->kind == HL_NOTICE_OVERDUE ? -1 : 1;
	if ((c = strcmp(x->due, y->due)))
		return c;
	if ((c = strcmp(x->ref, y->ref)))
		return c;
	return x->task_id < y->task_id ? -1 : x->task_id > y->task_id;
}

/* Fills f->v with the notices holding at f->at, by agency, overdue first, by deadline. */
static int find_notices(finder *f, hl_progress_cb progress, void *ud, uint64_t *nplans)
{
	plan_ids c = {.who = f->who, .compiler = f->compiler};
	int rc = hl_store_plan_foreach(f->st, NULL, add_plan_id, &c);
	int soon = hl_plans__setting_int(f->st, "soon_days");
	hl_plans__add_days(f->soon_to, f->at, soon);
	for (size_t i = 0; i < c.n && rc == 0; i++) {
		rc = find_plan(f, c.ids[i]);
		if (progress && rc == 0)
			progress("notices", i + 1, c.n, ud);
	}
	for (size_t i = 0; i < c.n; i++)
		free(c.ids[i]);
	free(c.ids);
	if (nplans)
		*nplans = c.n;
	if (rc == 0 && f->n)
		qsort(f->v, f->n, sizeof(*f->v), notice_cmp);
	return rc;
}

/* The outbox's row of notice n, copied into it. */
static int copy_row(const hl_store_notice_row *r, void *ud)
{
	hl_notice *n = ud;
	n->id = r->id;
	n->attempts = r->attempts;
	free(n->created_at);
	free(n->sent_at);
	free(n->last_error);
	n->created_at = dup0(r->created_at);
	n->sent_at = dup0(r->sent_at);
	n->last_error = dup0(r->last_error);
	return 0;
}

/* The notices by their outbox key: agency, task, kind, deadline. */
static int key_cmp(const void *a, const void *b)
{
	const hl_notice *x = *(hl_notice *const *)a, *y = *(hl_notice *const *)b;
	int c = strcmp(x->agency, y->agency);
	if (c)
		return c;
	if (x->task_id != y->task_id)
		return x->task_id < y->task_id ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->due, y->due);
}

typedef struct {
	hl_notice **idx;
	size_t n;
} state_ctx;

static int match_row(const hl_store_notice_row *r, void *ud)
{
	state_ctx *c = ud;
	hl_notice key = {.task_id = r->task_id,
	                 .kind = !strcmp(r->kind, "overdue") ? HL_NOTICE_OVERDUE : HL_NOTICE_SOON,
	                 .agency = (char *)r->agency};
	hl_notice *kp = &key, **hit;
	snprintf(key.due, sizeof(key.due), "%s", r->due);
	hit = bsearch(&kp, c->idx, c->n, sizeof(*c->idx), key_cmp);
	return hit ? copy_row(r, *hit) : 0;
}

/* Each notice's row of the outbox (one pass over the agency's rows, or every row). */
static int outbox_state(hl_store *st, const char *agency, hl_notice *v, size_t n)
{
	state_ctx c = {n ? malloc(n * sizeof(hl_notice *)) : NULL, n};
	int rc;
	if (!n)
		return 0;
	if (!c.idx)
		return hl_error_set(HL_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		c.idx[i] = &v[i];
	qsort(c.idx, n, sizeof(*c.idx), key_cmp);
	rc = hl_store_notice_foreach(st, agency, match_row, &c);
	free(c.idx);
	return rc;
}

/* ---- planning: into the outbox ---- */

int hl_plans_notices_plan(hl_notice_plan_stats *out, hl_store *st, const char *at,
                          hl_progress_cb progress, void *ud)
{
	finder f = {.st = st};
	char now[32];
	int rc;
	memset(out, 0, sizeof(*out));
	if ((rc = hl_plans__clock(f.at, at)) < 0)
		return rc;
	if ((rc = find_notices(&f, progress, ud, &out->plans)) < 0)
		goto done;
	out->current = f.n;
	hl_now_utc(now);
	if ((rc = hl_store_begin(st)) < 0)
		goto done;
	for (size_t i = 0; i < f.n && rc == 0; i++) {
		int added = 0;
		rc = hl_store_notice_add(&added, st, f.v[i].agency, f.v[i].task_id,
		                         hl_notice_kind_name(f.v[i].kind), f.v[i].due, now);
		out->added += (uint64_t)added;
	}
	if (rc < 0)
		hl_store_rollback(st);
	else
		rc = hl_store_commit(st);
done:
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	finder_free(&f);
	return rc;
}

/* ---- the digest ---- */

static void vi_date(char out[11], const char *iso)
{
	snprintf(out, 11, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
}

static char *digest_subject(const hl_notice_digest *d, const char *at)
{
	char day[11];
	sbuf b = {0};
	vi_date(day, at);
	sb_fmt(&b, "[%s] Nhắc việc ngày %s: ", d->agency, day);
	if (d->noverdue)
		sb_fmt(&b, "%zu nhiệm vụ quá hạn", d->noverdue);
	if (d->noverdue && d->nsoon)
		sb_str(&b, ", ");
	if (d->nsoon)
		sb_fmt(&b, "%zu nhiệm vụ sắp đến hạn", d->nsoon);
	return sb_take(&b);
}

static char *digest_body(const hl_notice_digest *d, const char *at, int soon_days)
{
	static const char *const roman[] = {"I", "II"};
	char day[11], due[11];
	sbuf b = {0};
	int part = 0;
	vi_date(day, at);
	sb_fmt(&b, "Kính gửi: %s\n\n", d->agency_name);
	sb_fmt(&b,
	       "Tính đến ngày %s, các nhiệm vụ sau đây do quý cơ quan chủ trì đã quá hạn hoặc sắp "
	       "đến hạn hoàn thành:\n",
	       day);
	for (int k = 0; k < 2; k++) {
		hl_notice_kind kind = k == 0 ? HL_NOTICE_OVERDUE : HL_NOTICE_SOON;
		size_t count = kind == HL_NOTICE_OVERDUE ? d->noverdue : d->nsoon, no = 0;
		if (!count)
			continue;
		if (kind == HL_NOTICE_OVERDUE)
			sb_fmt(&b, "\n%s. NHIỆM VỤ QUÁ HẠN (%zu)\n", roman[part++], count);
		else
			sb_fmt(&b, "\n%s. NHIỆM VỤ SẮP ĐẾN HẠN TRONG %d NGÀY TỚI (%zu)\n",
			       roman[part++], soon_days, count);
		for (size_t i = 0; i < d->nitems; i++) {
			const hl_notice *n = &d->items[i];
			if (n->kind != kind)
				continue;
			vi_date(due, n->due);
			sb_fmt(&b, "\n%zu. %s\n", ++no, n->title);
			sb_fmt(&b, "   Nhiệm vụ: %s", n->ref);
			if (n->plan_number)
				sb_fmt(&b, " (Kế hoạch số %s)", n->plan_number);
			sb_str(&b, "\n");
			if (kind == HL_NOTICE_OVERDUE)
				sb_fmt(&b, "   Thời hạn: %s, đã quá hạn %d ngày\n", due, n->days);
			else if (n->days == 0)
				sb_fmt(&b, "   Thời hạn: %s, đến hạn hôm nay\n", due);
			else
				sb_fmt(&b, "   Thời hạn: %s, còn %d ngày\n", due, n->days);
			sb_fmt(&b, "   Tình trạng: %s\n", hl_task_status_vi(n->status));
		}
	}
	sb_str(&b,
	       "\nĐề nghị quý cơ quan khẩn trương triển khai thực hiện và báo cáo tiến độ, "
	       "kết quả trên hệ thống theo đúng thời hạn.\n\n"
	       "-- \n"
	       "Thư này do hệ thống halong gửi tự động, mỗi nhắc việc chỉ gửi một lần; vui lòng "
	       "không trả lời thư này. Cơ quan đã báo cáo cho kỳ có thời hạn nêu trên sẽ không "
	       "nhận nhắc việc về nhiệm vụ đó.\n");
	return sb_take(&b);
}

/* ---- sending ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ok;

static void curl_start(void)
{
	curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

typedef struct {
	const char *s;
	size_t len, off;
} reader;

static size_t on_read(char *buf, size_t size, size_t nitems, void *ud)
{
	reader *r = ud;
	size_t room = size * nitems, n = r->len - r->off;
	if (n > room)
		n = room;
	memcpy(buf, r->s + r->off, n);
	r->off += n;
	return n;
}

/* The SMTP settings as used. */
typedef struct {
	char *url, *from, *user, *password;
	char from_addr[HL_MAIL_ADDR_MAX + 1], from_name[HL_MAIL_NAME_MAX + 1];
	int starttls, max_attempts;
	long timeout_ms;
} smtp_cfg;

static void cfg_free(smtp_cfg *c)
{
	free(c->url);
	free(c->from);
	free(c->user);
	if (c->password) /* not left in freed memory */
		memset(c->password, 0, strlen(c->password));
	free(c->password);
}

static int setting(char **out, hl_store *st, const char *given, const char *key)
{
	if (given) {
		*out = hl_strdup(given);
		return *out ? 0 : hl_error_set(HL_ENOMEM, "out of memory");
	}
	/* the store's value, not hl_plans_setting_get's (which hides the password) */
	int rc = hl_store_plan_setting_get(out, st, key);
	if (rc == 0 && !*out && !(*out = hl_strdup("")))
		rc = hl_error_set(HL_ENOMEM, "out of memory");
	return rc;
}

static int cfg_load(smtp_cfg *c, hl_store *st, const hl_smtp *s, int dry_run)
{
	hl_smtp none = {0};
	char *tls = NULL;
	int rc;
	memset(c, 0, sizeof(*c));
	if (!s)
		s = &none;
	if ((rc = setting(&c->url, st, s->url, "smtp_url")) < 0 ||
	    (rc = setting(&c->from, st, s->from, "mail_from")) < 0 ||
	    (rc = setting(&c->user, st, s->user, "smtp_user")) < 0 ||
	    (rc = setting(&c->password, st, s->password, "smtp_password")) < 0)
		return rc;
	if (s->starttls)
		c->starttls = s->starttls;
	else {
		if ((rc = hl_plans_setting_get(&tls, st, "smtp_starttls")) < 0)
			return rc;
		c->starttls = !strcmp(tls, "require") ? 2 : !strcmp(tls, "no") ? 0 : 1;
		free(tls);
	}
	c->max_attempts =
	    s->max_attempts > 0 ? s->max_attempts : hl_plans__setting_int(st, "notice_attempts");
	if (c->max_attempts <= 0)
		c->max_attempts = 5;
	c->timeout_ms = s->timeout_ms > 0 ? s->timeout_ms : SMTP_TIMEOUT_MS;
	if (dry_run)
		return 0; /* nothing is sent: settings not needed */
	if ((rc = hl_plans__smtp_url_check(c->url)) < 0 ||
	    (rc = hl_plans__mailbox_parse(c->from_name, c->from_addr, c->from)) < 0)
		return rc;
	return 0;
}

/* Sends one message; 0, or -1 with why in err (never the password). */
static int smtp_send(char err[300], const smtp_cfg *c, const char *to, const char *msg)
{
	CURL *h;
	struct curl_slist *rcpt = NULL;
	reader rd = {msg, strlen(msg), 0};
	char from_path[HL_MAIL_ADDR_MAX + 3], rcpt_path[HL_MAIL_ADDR_MAX + 3];
	char cerr[CURL_ERROR_SIZE] = "";
	CURLcode res;
	long code = 0;

	pthread_once(&curl_once, curl_start);
	if (!curl_ok || !(h = curl_easy_init())) {
		snprintf(err, 300, "SMTP: libcurl could not start");
		return -1;
	}
	snprintf(from_path, sizeof(from_path), "<%s>", c->from_addr);
	snprintf(rcpt_path, sizeof(rcpt_path), "<%s>", to);
	if (!(rcpt = curl_slist_append(NULL, rcpt_path))) {
		curl_easy_cleanup(h);
		snprintf(err, 300, "out of memory");
		return -1;
	}
	curl_easy_setopt(h, CURLOPT_URL, c->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from_path);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &rd);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	/* with credentials, "try" is "require": a password never crosses in clear because the
	 * server did not offer STARTTLS (smtp_starttls no says the link is trusted) */
	int creds = c->user && *c->user;
	curl_easy_setopt(h, CURLOPT_USE_SSL,
	                 c->starttls == 2 || (creds && c->starttls == 1) ? (long)CURLUSESSL_ALL
	                 : c->starttls == 1                              ? (long)CURLUSESSL_TRY
	                                                                 : (long)CURLUSESSL_NONE);
	if (creds) {
		curl_easy_setopt(h, CURLOPT_USERNAME, c->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->password ? c->password : "");
	}
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, SMTP_CONNECT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	res = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(h);
	if (res == CURLE_OK)
		return 0;
	for (char *p = cerr; *p; p++) /* one line, whatever the server said */
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	if (code)
		snprintf(err, 300, "SMTP: %.240s (the server answered %ld)",
		         cerr[0] ? cerr : curl_easy_strerror(res), code);
	else
		snprintf(err, 300, "SMTP: %.240s", cerr[0] ? cerr : curl_easy_strerror(res));
	return -1;
}

static void message_id(char out[400], const char *agency, const char *domain)
{
	struct timespec ts;
	char seed[200], hex[65];
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(seed, sizeof(seed), "%s|%lld|%ld|%ld", agency, (long long)ts.tv_sec, ts.tv_nsec,
	         (long)getpid());
	hl_sha256_hex(hex, seed, strlen(seed));
	snprintf(out, 400, "<%lld.%.20s@%s>", (long long)ts.tv_sec, hex, domain);
}

/* Finds (agency, task_id, kind, due) among the sorted notices. */
static int holds(const finder *f, const hl_store_notice_row *r)
{
	size_t lo = 0, hi = f->n;
	hl_notice_kind k = !strcmp(r->kind, "overdue") ? HL_NOTICE_OVERDUE : HL_NOTICE_SOON;
	/* by agency (sorted), then a scan of that agency's */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(f->v[mid].agency, r->agency) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < f->n && !strcmp(f->v[i].agency, r->agency); i++)
		if (f->v[i].task_id == r->task_id && f->v[i].kind == k &&
		    !strcmp(f->v[i].due, r->due))
			return 1;
	return 0;
}

typedef struct {
	const finder *f;
	int64_t *moot;
	size_t n, cap;
	int rc;
} moot_ctx;

static int find_moot(const hl_store_notice_row *r, void *ud)
{
	moot_ctx *c = ud;
	if (holds(c->f, r))
		return 0;
	if (c->n == c->cap) {
		size_t nc = c->cap ? 2 * c->cap : 32;
		int64_t *nv = realloc(c->moot, nc * sizeof(*nv));
		if (!nv)
			return hl_error_set(HL_ENOMEM, "out of memory");
		c->moot = nv;
		c->cap = nc;
	}
	c->moot[c->n++] = r->id;
	return 0;
}

static int move_notice(hl_notice_digest *d, hl_notice *n)
{
	hl_notice *nv = realloc(d->items, (d->nitems + 1) * sizeof(*nv));
	if (!nv)
		return hl_error_set(HL_ENOMEM, "out of memory");
	d->items = nv;
	d->items[d->nitems++] = *n;
	memset(n, 0, sizeof(*n));
	return 0;
}

/* Records the outcome of one digest in the outbox, in one transaction, and in its items. */
static int record(hl_store *st, hl_notice_digest *d, const char *sent_at, const char *error,
                  int attempt)
{
	for (size_t i = 0; i < d->nitems; i++) {
		hl_notice *n = &d->items[i];
		n->attempts += attempt;
		free(n->sent_at);
		free(n->last_error);
		n->sent_at = dup0(sent_at);
		n->last_error = dup0(error);
	}
	int rc = hl_store_begin(st);
	for (size_t i = 0; i < d->nitems && rc == 0; i++)
		rc = attempt ? hl_store_notice_attempt(st, d->items[i].id, sent_at, error)
		             : hl_store_notice_note(st, d->items[i].id, error);
	if (rc < 0) {
		hl_store_rollback(st);
		return rc;
	}
	return hl_store_commit(st);
}

static int send_digest(hl_notice_run *run, hl_notice_digest *d, hl_store *st, const smtp_cfg *c,
                       int soon_days)
{
	char *email = NULL, *body = NULL, *msg = NULL, err[300], date[40], mid[400], now[32];
	int rc;
	if (!(d->subject = digest_subject(d, run->at)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	if ((rc = hl_store_contact_get(&email, st, d->agency)) < 0)
		return rc;
	if (!email) {
		char why[100];
		snprintf(why, sizeof(why), "no e-mail contact: halong agency contact %s EMAIL",
		         d->agency);
		d->error = hl_strdup(why);
		run->waiting += d->nitems;
		return run->dry_run ? 0 : record(st, d, NULL, d->error, 0);
	}
	if (run->dry_run) {
		free(email);
		return 0;
	}
	if (!(body = digest_body(d, run->at, soon_days))) {
		free(email);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	hl_plans__mail_date(date, (long long)time(NULL));
	message_id(mid, d->agency, strchr(c->from_addr, '@') + 1);
	hl_plans__mail m = {c->from, email, d->subject, body, date, mid};
	if (!(msg = hl_plans__mail_build(&m))) {
		/* a contact stored before the rules tightened: this digest's error */
		snprintf(err, sizeof(err), "%s", hl_error_last());
		rc = -1;
	} else
		rc = smtp_send(err, c, email, msg);
	free(email);
	free(body);
	free(msg);
	if (rc == 0) {
		hl_now_utc(now);
		d->sent = 1;
		run->sent += d->nitems;
		return record(st, d, now, NULL, 1);
	}
	d->error = hl_strdup(err);
	run->failed += d->nitems;
	return record(st, d, NULL, err, 1);
}

int hl_plans_notices_send(hl_notice_run **out, hl_store *st, const hl_smtp *smtp, const char *at,
                          int dry_run, hl_progress_cb progress, void *ud)
{
	finder f = {.st = st};
	moot_ctx mc = {0};
	smtp_cfg cfg = {0};
	hl_notice_run *run;
	size_t nagencies = 0, done = 0;
	int rc, soon_days;

	*out = NULL;
	if (!(run = calloc(1, sizeof(*run))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	run->dry_run = dry_run;
	if ((rc = hl_plans__clock(run->at, at)) < 0 || (rc = cfg_load(&cfg, st, smtp, dry_run)) < 0)
		goto fail_cfg;
	snprintf(f.at, sizeof(f.at), "%s", run->at);
	soon_days = hl_plans__setting_int(st, "soon_days");
	if ((rc = find_notices(&f, NULL, NULL, &run->planned.plans)) < 0 ||
	    (rc = outbox_state(st, NULL, f.v, f.n)) < 0)
		goto fail;
	run->planned.current = f.n;
	if (dry_run) /* what planning would add */
		for (size_t i = 0; i < f.n; i++)
			run->planned.added += !f.v[i].id;
	/* the notices waiting that no longer hold: dropped, not sent */
	mc.f = &f;
	if ((rc = hl_store_notice_unsent_foreach(st, find_moot, &mc)) < 0)
		goto fail;
	run->dropped = mc.n;
	if (!dry_run && mc.n) {
		if ((rc = hl_store_begin(st)) < 0)
			goto fail;
		for (size_t i = 0; i < mc.n && rc == 0; i++)
			rc = hl_store_notice_drop(st, mc.moot[i]);
		if (rc < 0) {
			hl_store_rollback(st);
			goto fail;
		}
		if ((rc = hl_store_commit(st)) < 0)
			goto fail;
	}
	/* one digest per agency: its notices not sent (in the outbox; a dry run counts those
	 * not in it yet), not given up */
	for (size_t i = 0; i < f.n; i++) {
		hl_notice *n = &f.v[i];
		hl_notice_digest *d = run->n ? &run->v[run->n - 1] : NULL;
		if (n->sent_at || (!n->id && !dry_run))
			continue;
		if (!d || strcmp(d->agency, n->agency)) {
			hl_notice_digest *nv = realloc(run->v, (run->n + 1) * sizeof(*nv));
			if (!nv) {
				rc = hl_error_set(HL_ENOMEM, "out of memory");
				goto fail;
			}
			run->v = nv;
			d = &run->v[run->n++];
			memset(d, 0, sizeof(*d));
			d->agency = hl_strdup(n->agency);
			d->agency_name = hl_strdup(n->agency_name);
			if (!d->agency || !d->agency_name) {
				rc = hl_error_set(HL_ENOMEM, "out of memory");
				goto fail;
			}
		}
		if (n->attempts >= cfg.max_attempts) {
			d->given_up++;
			continue;
		}
		if (d->nitems >= HL_NOTICE_DIGEST_MAX)
			continue; /* the next run's */
		d->noverdue += n->kind == HL_NOTICE_OVERDUE;
		d->nsoon += n->kind == HL_NOTICE_SOON;
		if ((rc = move_notice(d, n)) < 0)
			goto fail;
	}
	for (size_t i = 0; i < run->n; i++)
		nagencies += run->v[i].nitems > 0;
	for (size_t i = 0; i < run->n; i++) {
		hl_notice_digest *d = &run->v[i];
		if (!d->nitems)
			continue;
		if ((rc = send_digest(run, d, st, &cfg, soon_days)) < 0)
			goto fail;
		if (progress)
			progress("mail", ++done, nagencies, ud);
	}
	free(mc.moot);
	finder_free(&f);
	cfg_free(&cfg);
	*out = run;
	return 0;
fail:
	free(mc.moot);
	finder_free(&f);
fail_cfg:
	cfg_free(&cfg);
	hl_notice_run_free(run);
	return rc;
}

int hl_plans_notify(hl_notice_run **out, hl_store *st, const hl_principal *who, const hl_smtp *smtp,
                    const char *at, int dry_run, hl_progress_cb progress, void *ud)
{
	hl_notice_plan_stats ps = {0};
	int rc;
	*out = NULL;
	if (!may_admin(who))
		return hl_error_set(HL_EDENIED, "only an admin sends the notices");
	if (!dry_run) {
		smtp_cfg cfg; /* the settings checked before anything is written */
		rc = cfg_load(&cfg, st, smtp, 0);
		cfg_free(&cfg);
		if (rc < 0 || (rc = hl_plans_notices_plan(&ps, st, at, progress, ud)) < 0)
			return rc;
	}
	if ((rc = hl_plans_notices_send(out, st, smtp, at, dry_run, progress, ud)) < 0)
		return rc;
	hl_notice_run *run = *out;
	if (dry_run)
		return 0;
	run->planned = ps;
	if (!(run->sent || run->failed || run->dropped || ps.added))
		return 0;
	/* the run in the audit log: counts only, no address */
	char detail[240];
	snprintf(detail, sizeof(detail),
	         "%llu new, %llu sent, %llu failed, %llu dropped, %llu without a contact",
	         (unsigned long long)ps.added, (unsigned long long)run->sent,
	         (unsigned long long)run->failed, (unsigned long long)run->dropped,
	         (unsigned long long)run->waiting);
	if ((rc = hl_store_begin(st)) == 0) {
		if ((rc = hl_store_audit(st, hl_principal_actor(who), "plan.notify", run->at,
		                         detail)) < 0)
			hl_store_rollback(st);
		else
			rc = hl_store_commit(st);
	}
	if (rc < 0) {
		hl_notice_run_free(run);
		*out = NULL;
	}
	return rc;
}

/* ---- what the web interface shows ---- */

int hl_plans_notices_list(hl_notices **out, hl_store *st, const hl_principal *who,
                          const char *agency, const char *at)
{
	finder f = {.st = st, .who = who};
	char mine[33] = "";
	int rc;

	*out = NULL;
	if ((rc = hl_plans__clock(f.at, at)) < 0)
		return rc;
	if (agency && !*agency)
		agency = NULL;
	if (!may_admin(who)) {
		if (!who->user_id)
			return hl_error_set(HL_EDENIED, "log in to see an agency's notices");
		if ((rc = hl_plans_user_agency(mine, st, who)) < 0)
			return rc;
		if (!agency && !mine[0])
			return hl_error_set(
			    HL_EDENIED,
			    "your account reports for no agency (halong agency assign)");
		if (!agency)
			agency = mine;
	}
	if (agency && (rc = check_code(st, agency)) < 0)
		return rc;
	f.agency = agency;
	if (!may_admin(who) && strcmp(agency, mine)) {
		/* another agency's: a compiler sees it in the plans it compiles */
		plan_ids c = {.who = who, .compiler = mine};
		if (who->role == HL_ROLE_VIEWER ||
		    (rc = hl_store_plan_foreach(st, NULL, add_plan_id, &c)) < 0 || !c.n) {
			for (size_t i = 0; i < c.n; i++)
				free(c.ids[i]);
			free(c.ids);
			return rc < 0 ? rc
			              : hl_error_set(
			                    HL_EDENIED,
			                    "the notices of %s are shown to its officers, the "
			                    "compilers of its plans and admins",
			                    agency);
		}
		for (size_t i = 0; i < c.n; i++)
			free(c.ids[i]);
		free(c.ids);
		f.compiler = mine;
	}
	if ((rc = find_notices(&f, NULL, NULL, NULL)) < 0 ||
	    (rc = outbox_state(st, f.agency, f.v, f.n)) < 0)
		goto done;
	if (!(*out = calloc(1, sizeof(hl_notices)))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	(*out)->v = f.v;
	(*out)->n = f.n;
	f.v = NULL;
	f.n = 0;
done:
	finder_free(&f);
	return rc;
}

/* ---- JSON ---- */

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *hl_notice_json(const hl_notice *n)
{
	const char *state = n->sent_at                     ? "sent"
	                    : !n->id                       ? "new"
	                    : n->attempts && n->last_error ? "failed"
	                                                   : "queued";
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(n->id));
	json_object_set_new(o, "agency", jstr(n->agency));
	json_object_set_new(o, "agency_name", jstr(n->agency_name));
	json_object_set_new(o, "kind", json_string(hl_notice_kind_name(n->kind)));
	json_object_set_new(o, "kind_vi",
	                    json_string(n->kind == HL_NOTICE_OVERDUE ? "Quá hạn" : "Sắp đến hạn"));
	json_object_set_new(o, "task_id", json_integer(n->task_id));
	json_object_set_new(o, "task", jstr(n->ref));
	json_object_set_new(o, "plan_id", jstr(n->plan_id));
	json_object_set_new(o, "plan_number", jstr(n->plan_number));
	json_object_set_new(o, "title", jstr(n->title));
	json_object_set_new(o, "due", json_string(n->due));
	json_object_set_new(o, "days", json_integer(n->days));
	json_object_set_new(o, "status", json_string(hl_task_status_name(n->status)));
	json_object_set_new(o, "status_vi", json_string(hl_task_status_vi(n->status)));
	json_object_set_new(o, "state", json_string(state));
	json_object_set_new(o, "created_at", jstr(n->created_at));
	json_object_set_new(o, "sent_at", jstr(n->sent_at));
	json_object_set_new(o, "attempts", json_integer(n->attempts));
	json_object_set_new(o, "last_error", jstr(n->last_error));
	return o;
}

json_t *hl_notice_run_json(const hl_notice_run *r)
{
	json_t *a = json_array();
	for (size_t i = 0; i < r->n; i++) {
		const hl_notice_digest *d = &r->v[i];
		json_t *items = json_array();
		for (size_t j = 0; j < d->nitems; j++)
			json_array_append_new(items, hl_notice_json(&d->items[j]));
		json_array_append_new(
		    a, json_pack("{s:s,s:s,s:b,s:o,s:o,s:I,s:I,s:I,s:o}", "agency", d->agency,
		                 "agency_name", d->agency_name, "sent", d->sent, "error",
		                 jstr(d->error), "subject", jstr(d->subject), "overdue",
		                 (json_int_t)d->noverdue, "soon", (json_int_t)d->nsoon, "given_up",
		                 (json_int_t)d->given_up, "notices", items));
	}
	return json_pack("{s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "at", r->at, "dry_run",
	                 r->dry_run, "plans", (json_int_t)r->planned.plans, "current",
	                 (json_int_t)r->planned.current, "added", (json_int_t)r->planned.added,
	                 "dropped", (json_int_t)r->dropped, "sent", (json_int_t)r->sent, "failed",
	                 (json_int_t)r->failed, "waiting", (json_int_t)r->waiting, "agencies", a);
}
