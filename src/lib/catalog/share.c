/* Sharing datasets between agencies (Nghị định 194/2025/NĐ-CP Điều 16): an agency requests
 * another's dataset; the owner's agency grants, refuses in writing with its reason and legal
 * basis, or revokes; a grant opens the dataset to the requesting agency's users at the
 * dataset's level (hl_catalog__may_read_ds in dataset.c, the one access rule). Every step is
 * audited in the same transaction as its write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "../store/store.h"
#include "../store/store_catalog.h"
#include "../store/store_catalog_share.h"
#include "catalog_int.h"
#include "halong/catalog_json.h"
#include "halong/plans.h"
#include "halong/text.h"
#include "halong/units.h"
#include "halong/util.h"

#define MAX_TEXT 4000 /* bytes of a purpose, a legal basis, a reason */

void hl_data_request_free(hl_data_request *r)
{
	if (!r)
		return;
	free(r->dataset);
	free(r->owner);
	free(r->agency);
	free(r->agency_name);
	free(r->purpose);
	free(r->legal_basis);
	free(r->state);
	free(r->requested_at);
	free(r->requested_by);
	free(r->due);
	free(r->decided_at);
	free(r->decided_by);
	free(r->reason);
	free(r->decision_basis);
	free(r->until);
	memset(r, 0, sizeof(*r));
}

void hl_data_requests_free(hl_data_requests *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		hl_data_request_free(&l->v[i]);
	free(l->v);
	free(l);
}

/* ---- working days ---- */

int hl_share_working_days(char out[11], const char *day, int days)
{
	char iso[11], buf[48];
	struct tm tm = {0};
	time_t t;
	if (!day || hl_units_date_parse(iso, day) < 0 ||
	    sscanf(iso, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
		return hl_error_set(HL_EINVALID, "not a day (yyyy-mm-dd): %.40s", day ? day : "");
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_hour = 12;
	t = timegm(&tm);
	while (days > 0) {
		t += 86400;
		gmtime_r(&t, &tm);
		if (tm.tm_wday != 0 && tm.tm_wday != 6)
			days--;
	}
	gmtime_r(&t, &tm);
	if (tm.tm_year + 1900 > 9999)
		return hl_error_set(HL_EINVALID, "day out of range: %s", iso);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	memcpy(out, buf, 11);
	return 0;
}

/* ---- checks ---- */

/* A required text: present, not only spaces, UTF-8, at most MAX_TEXT bytes; `why` says what
 * the field is for. */
static int need_text(const char *s, const char *field, const char *why)
{
	size_t at;
	const char *p = s;
	while (p && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	if (!p || !*p)
		return hl_error_set(HL_EINVALID, "%s: required (%s)", field, why);
	if (strlen(s) > MAX_TEXT || hl_text_check_utf8(s, strlen(s), &at) != 0)
		return hl_error_set(HL_EINVALID, "%s: at most %d bytes of UTF-8", field, MAX_TEXT);
	return 0;
}

static int opt_text(const char *s, const char *field)
{
	size_t at;
	if (s && (strlen(s) > MAX_TEXT || hl_text_check_utf8(s, strlen(s), &at) != 0))
		return hl_error_set(HL_EINVALID, "%s: at most %d bytes of UTF-8", field, MAX_TEXT);
	return 0;
}

static const char *nz(const char *s)
{
	return s && *s ? s : NULL;
}

/* ---- reading requests ---- */

static char *agency_name(hl_store *st, const char *code)
{
	hl_agency *a = NULL;
	hl_unit *u = NULL;
	char *n = NULL;
	if (hl_agency_find(&a, st, code, NULL) == 0) {
		n = hl_strdup(a->name);
		hl_agency_free(a);
	} else if (hl_units_show(&u, st, code, NULL) == 0) {
		n = hl_strdup(u->full_name ? u->full_name : u->name);
		hl_unit_free(u);
	}
	hl_error_clear();
	return n;
}

typedef struct {
	hl_store *st;
	hl_data_requests *l;
	int64_t dataset_id; /* the one read (get) */
	int err;
} read_ctx;

static int on_request(const hl_store_data_request_row *r, void *ud)
{
	read_ctx *c = ud;
	hl_data_request *q;
	if (c->l->n % 16 == 0) {
		hl_data_request *v = realloc(c->l->v, (c->l->n + 16) * sizeof(*v));
		if (!v)
			return c->err = hl_error_set(HL_ENOMEM, "out of memory");
		c->l->v = v;
	}
	q = &c->l->v[c->l->n++];
	memset(q, 0, sizeof(*q));
	q->id = r->id;
	q->dataset = hl_strdup(r->dataset);
	q->owner = hl_strdup(r->owner);
	q->agency = hl_strdup(r->agency);
	q->agency_name = agency_name(c->st, r->agency);
	q->purpose = hl_strdup(r->purpose);
	q->legal_basis = hl_strdup(r->legal_basis);
	q->state = hl_strdup(r->state);
	q->requested_at = hl_strdup(r->requested_at);
	q->requested_by = hl_strdup(r->requested_by);
	q->due = hl_strdup(r->due);
	q->decided_at = hl_strdup(r->decided_at);
	q->decided_by = hl_strdup(r->decided_by);
	q->reason = hl_strdup(r->reason);
	q->decision_basis = hl_strdup(r->decision_basis);
	q->until = hl_strdup(r->until);
	/* the answer is late: still pending after its due day */
	{
		char today[11];
		hl_plans_today(today);
		q->overdue =
		    r->state && r->due && !strcmp(r->state, "pending") && strcmp(today, r->due) > 0;
	}
	c->dataset_id = r->dataset_id;
	return 0;
}

static int sees_all(const hl_principal *who)
{
	return who && (who->local || who->role == HL_ROLE_ADMIN);
}

/* Request n as `who` may see it; *dataset_id its dataset's internal id. */
static int request_get(hl_data_request **out, int64_t *dataset_id, hl_store *st,
                       const hl_principal *who, int64_t n)
{
	hl_data_requests *l = calloc(1, sizeof(*l));
	read_ctx c = {.st = st, .l = l};
	hl_store_data_request_filter f = {.id = n};
	char mine[33];
	int rc;
	if (!l)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if (n <= 0 || !who || (!who->local && !who->user_id)) {
		rc = hl_error_set(HL_ENOTFOUND, "no request %lld", (long long)n);
		goto done;
	}
	if (!sees_all(who)) {
		if ((rc = hl_catalog__agency_of(mine, st, who)) < 0)
			goto done;
		if (!*mine) {
			rc = hl_error_set(HL_ENOTFOUND, "no request %lld", (long long)n);
			goto done;
		}
		f.asked_by = f.owner = mine;
	}
	if ((rc = hl_store_data_request_foreach(st, &f, on_request, &c)) < 0 || (rc = c.err) < 0)
		goto done;
	if (!l->n) {
		rc = hl_error_set(HL_ENOTFOUND, "no request %lld", (long long)n);
		goto done;
	}
	*out = malloc(sizeof(**out));
	if (!*out) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	**out = l->v[0];
	l->n = 0;
	if (dataset_id)
		*dataset_id = c.dataset_id;
	rc = 0;
done:
	hl_data_requests_free(l);
	return rc;
}

int hl_dataset_request_get(hl_data_request **out, hl_store *st, const hl_principal *who, int64_t n)
{
	return request_get(out, NULL, st, who, n);
}

int hl_dataset_requests_list(hl_data_requests **out, hl_store *st, const hl_principal *who,
                             const char *state, int mine)
{
	hl_data_requests *l = calloc(1, sizeof(*l));
	read_ctx c = {.st = st, .l = l};
	hl_store_data_request_filter f = {.state = nz(state)};
	char agency[33] = "";
	int rc;
	if (!l)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if (f.state && strcmp(f.state, "pending") && strcmp(f.state, "granted") &&
	    strcmp(f.state, "refused") && strcmp(f.state, "revoked")) {
		hl_data_requests_free(l);
		return hl_error_set(
		    HL_EINVALID, "state: \"%.40s\" is none of pending, granted, refused, revoked",
		    f.state);
	}
	if (!who || (!who->local && !who->user_id)) {
		*out = l; /* anonymous: none */
		return 0;
	}
	if ((rc = hl_catalog__agency_of(agency, st, who)) < 0) {
		hl_data_requests_free(l);
		return rc;
	}
	if (mine || !sees_all(who)) {
		if (!*agency) {
			*out = l; /* no agency: none of theirs */
			return 0;
		}
		f.asked_by = agency;
		f.owner = mine ? NULL : agency;
	}
	if ((rc = hl_store_data_request_foreach(st, &f, on_request, &c)) < 0 || (rc = c.err) < 0) {
		hl_data_requests_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

/* ---- the verbs ---- */

typedef struct {
	int64_t iid;
	int access;
	char *owner, *name;
} ds_any;

static int on_ds(const hl_store_dataset_row *r, void *ud)
{
	ds_any *d = ud;
	d->iid = r->id;
	d->access = r->access;
	d->owner = hl_strdup(r->owner);
	d->name = hl_strdup(r->name);
	return 1;
}

int hl_dataset_request(hl_data_request **out, hl_store *st, const hl_principal *who, const char *id,
                       const char *purpose, const char *legal_basis, const char *agency)
{
	ds_any d = {0};
	hl_store_data_request_filter f = {0};
	hl_data_requests *open = NULL;
	read_ctx c;
	hl_store_data_request_row r = {0};
	char mine[33] = "", *code = NULL, today[11], due[11], now[32], detail[200];
	int64_t n = 0;
	int rc;

	if (out)
		*out = NULL;
	if (!who || (!who->local && !who->user_id))
		return hl_error_set(HL_EDENIED, "requesting a dataset needs an account");
	if (!who->local && who->role < HL_ROLE_OFFICER)
		return hl_error_set(HL_EDENIED,
		                    "your role (%s) may not request a dataset: an "
		                    "officer of the requesting agency does",
		                    hl_role_name(who->role));
	if ((rc = need_text(purpose, "purpose", "the purpose the data is used for")) < 0 ||
	    (rc = need_text(legal_basis, "legal_basis",
	                    "the provision that gives the requesting agency this task")) < 0)
		return rc;
	if ((rc = hl_catalog__agency_of(mine, st, who)) < 0)
		return rc;
	if (nz(agency)) {
		if ((rc = hl_catalog__agency_code(&code, st, agency, "agency")) < 0)
			return rc;
		if (!sees_all(who) && strcmp(code, mine)) {
			rc = hl_error_set(
			    HL_EDENIED, "an officer requests for their own agency only (yours: %s)",
			    *mine ? mine : "none");
			goto done;
		}
	} else if (*mine) {
		code = hl_strdup(mine);
	} else {
		rc = hl_error_set(HL_EINVALID, "agency: required (you belong to no agency)");
		goto done;
	}
	/* the dataset whatever the caller may read now (that is what a request asks for), but
	 * never a secret one: those are not shared (NĐ 47/2020 Điều 1 k2), and answer as missing */
	rc = id && *id ? hl_store_dataset_foreach(st, id, on_ds, &d) : 0;
	if (rc < 0 && rc != HL_ENOTFOUND)
		goto done;
	if (!d.name || d.access >= HL_ACCESS_SECRET) {
		rc = hl_error_set(HL_ENOTFOUND, "no dataset %.64s", id ? id : "");
		goto done;
	}
	if (d.access == HL_ACCESS_PUBLIC) {
		rc = hl_error_set(
		    HL_EINVALID, "dataset %s is public: anyone reads it without a request", d.name);
		goto done;
	}
	if (d.owner && !strcmp(d.owner, code)) {
		rc = hl_error_set(HL_EINVALID, "agency %s owns dataset %s: it needs no request",
		                  code, d.name);
		goto done;
	}
	hl_plans_today(today);
	if ((rc = hl_share_working_days(due, today, HL_SHARE_DUE_DAYS)) < 0)
		goto done;
	hl_now_utc(now);
	r.dataset_id = d.iid;
	r.agency = code;
	r.purpose = purpose;
	r.legal_basis = legal_basis;
	r.requested_at = now;
	r.requested_by = hl_principal_actor(who);
	r.due = due;
	if ((rc = hl_store_begin(st)) < 0)
		goto done;
	/* one open request (pending or granted) of an agency for a dataset */
	if (!(open = calloc(1, sizeof(*open)))) {
		hl_store_rollback(st);
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	c = (read_ctx){.st = st, .l = open};
	f.dataset_id = d.iid;
	f.asked_by = code;
	if ((rc = hl_store_data_request_foreach(st, &f, on_request, &c)) < 0 || (rc = c.err) < 0) {
		hl_store_rollback(st);
		goto done;
	}
	for (size_t i = 0; i < open->n; i++)
		if (!strcmp(open->v[i].state, "pending") || !strcmp(open->v[i].state, "granted")) {
			hl_store_rollback(st);
			rc = hl_error_set(HL_ECONFLICT,
			                  "request %lld of %s for dataset %s is already %s",
			                  (long long)open->v[i].id, code, d.name, open->v[i].state);
			goto done;
		}
	snprintf(detail, sizeof(detail), "agency %s, due %s", code, due);
	if ((rc = hl_store_data_request_add(&n, st, &r)) < 0 ||
	    (rc = hl_store_audit(st, hl_principal_actor(who), "dataset.request", d.name, detail)) <
	        0) {
		hl_store_rollback(st);
		goto done;
	}
	if ((rc = hl_store_commit(st)) < 0)
		goto done;
	rc = out ? request_get(out, NULL, st, &(hl_principal){.local = 1}, n) : 0;
done:
	hl_data_requests_free(open);
	free(code);
	free(d.owner);
	free(d.name);
	return rc;
}

typedef enum { GRANT, REFUSE, REVOKE } decision;

static int decide(hl_data_request **out, hl_store *st, const hl_principal *who, int64_t n,
                  decision what, const char *reason, const char *basis, const char *until)
{
	static const char *const action[] = {"dataset.grant", "dataset.refuse", "dataset.revoke"};
	static const char *const to[] = {"granted", "refused", "revoked"};
	hl_data_request *q = NULL;
	int64_t iid = 0;
	char mine[33] = "", today[11], day[11] = "", now[32], detail[300];
	const char *from = what == REVOKE ? "granted" : "pending";
	int rc;

	if (out)
		*out = NULL;
	if (what == GRANT) {
		if ((rc = opt_text(reason, "reason")) < 0 ||
		    (rc = opt_text(basis, "legal_basis")) < 0)
			return rc;
	} else {
		/* NĐ 194/2025 Điều 16 k2: a refusal is written, with its reason and the legal
		 * provision that limits the sharing */
		if ((rc = need_text(reason, "reason",
		                    what == REFUSE ? "a refusal states its reason in writing"
		                                   : "a revocation states its reason in writing")) <
		        0 ||
		    (rc = need_text(basis, "legal_basis",
		                    "the legal provision that limits sharing this data")) < 0)
			return rc;
	}
	hl_plans_today(today);
	if (what == GRANT && nz(until)) {
		if (hl_units_date_parse(day, until) < 0)
			return hl_error_set(HL_EINVALID, "until: not a day (yyyy-mm-dd): %.40s",
			                    until);
		if (strcmp(day, today) < 0)
			return hl_error_set(HL_EINVALID, "until: %s is before today (%s)", day,
			                    today);
	}
	if ((rc = request_get(&q, &iid, st, who, n)) < 0)
		return rc;
	if (!sees_all(who)) {
		if ((rc = hl_catalog__agency_of(mine, st, who)) < 0)
			goto done;
		if (who->role < HL_ROLE_OFFICER || !q->owner || strcmp(q->owner, mine)) {
			rc = hl_error_set(
			    HL_EDENIED,
			    "only an officer of the owner of dataset %s (%s), an admin "
			    "or the node's operator decides request %lld",
			    q->dataset, q->owner ? q->owner : "no owner", (long long)n);
			goto done;
		}
	}
	if (strcmp(q->state, from)) {
		rc = hl_error_set(HL_ECONFLICT, "request %lld is %s: only a %s request is %s",
		                  (long long)n, q->state, from,
		                  what == GRANT    ? "granted"
		                  : what == REFUSE ? "refused"
		                                   : "revoked");
		goto done;
	}
	hl_now_utc(now);
	snprintf(detail, sizeof(detail), "request %lld, agency %s%s%s", (long long)n, q->agency,
	         *day ? ", until " : "", day);
	if ((rc = hl_store_begin(st)) < 0)
		goto done;
	if ((rc = hl_store_data_request_decide(st, n, from, to[what], now, hl_principal_actor(who),
	                                       nz(reason), nz(basis), *day ? day : NULL)) < 0 ||
	    (what == GRANT &&
	     (rc = hl_store_data_grant_put(st, iid, q->agency, n, *day ? day : NULL)) < 0) ||
	    (what == REVOKE && (rc = hl_store_data_grant_del(st, iid, q->agency)) < 0) ||
	    (rc = hl_store_audit(st, hl_principal_actor(who), action[what], q->dataset, detail)) <
	        0) {
		hl_store_rollback(st);
		goto done;
	}
	if ((rc = hl_store_commit(st)) < 0)
		goto done;
	hl_data_request_free(q);
	free(q);
	q = NULL;
	rc = out ? request_get(out, NULL, st, &(hl_principal){.local = 1}, n) : 0;
done:
	if (q) {
		hl_data_request_free(q);
		free(q);
	}
	return rc;
}

int hl_dataset_grant(hl_data_request **out, hl_store *st, const hl_principal *who, int64_t n,
                     const char *reason, const char *legal_basis, const char *until)
{
	return decide(out, st, who, n, GRANT, reason, legal_basis, until);
}

int hl_dataset_refuse(hl_data_request **out, hl_store *st, const hl_principal *who, int64_t n,
                      const char *reason, const char *legal_basis)
{
	return decide(out, st, who, n, REFUSE, reason, legal_basis, NULL);
}

int hl_dataset_revoke(hl_data_request **out, hl_store *st, const hl_principal *who, int64_t n,
                      const char *reason, const char *legal_basis)
{
	return decide(out, st, who, n, REVOKE, reason, legal_basis, NULL);
}

/* ---- JSON ---- */

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *hl_data_request_json(const hl_data_request *r)
{
	return json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b}",
	                 "id", (json_int_t)r->id, "dataset", jstr(r->dataset), "owner",
	                 jstr(r->owner), "agency", jstr(r->agency), "agency_name",
	                 jstr(r->agency_name), "purpose", jstr(r->purpose), "legal_basis",
	                 jstr(r->legal_basis), "state", jstr(r->state), "requested_at",
	                 jstr(r->requested_at), "requested_by", jstr(r->requested_by), "due",
	                 jstr(r->due), "decided_at", jstr(r->decided_at), "decided_by",
	                 jstr(r->decided_by), "reason", jstr(r->reason), "decision_basis",
	                 jstr(r->decision_basis), "until", jstr(r->until), "overdue", r->overdue);
}
