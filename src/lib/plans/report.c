/* The reports of the lead agencies on their tasks, and their verification by the plan's
 * compiler. Nothing is overwritten: a report and a verdict are rows added; a returned report is
 * corrected by a new one naming it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../store/store_exchange.h" /* hl_store_in_tx */
#include "../store/store_plans.h"
#include "halong/plans.h"
#include "halong/text.h"
#include "halong/util.h"
#include "plans_int.h"

#define MAX_TEXT     20000 /* bytes of results, difficulties or proposals */
#define MAX_EVIDENCE 50

const char *hl_report_state_name(hl_report_state s)
{
	return s == HL_REPORT_DONE ? "done" : s == HL_REPORT_WAITING ? "waiting" : "progress";
}

int hl_report_state_parse(hl_report_state *out, const char *s)
{
	if (s && !strcmp(s, "progress"))
		*out = HL_REPORT_PROGRESS;
	else if (s && !strcmp(s, "done"))
		*out = HL_REPORT_DONE;
	else if (s && !strcmp(s, "waiting"))
		*out = HL_REPORT_WAITING;
	else
		return hl_error_set(
		    HL_EINVALID, "state: \"%.20s\" is not progress, done or waiting (for guidance)",
		    s ? s : "");
	return 0;
}

void hl_reports_free(hl_reports *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		hl_report *r = &l->v[i];
		free(r->task_ref);
		free(r->agency);
		free(r->period);
		free(r->period_from);
		free(r->period_to);
		free(r->done_on);
		free(r->results);
		free(r->difficulties);
		free(r->proposals);
		free(r->evidence);
		free(r->at);
		free(r->by);
		free(r->origin);
		free(r->verdict);
		free(r->verdict_comment);
		free(r->verdict_at);
		free(r->verdict_by);
		free(r->message_id);
		for (size_t k = 0; k < r->nfiles; k++)
			hl_evidence_file_clear(&r->files[k]);
		free(r->files);
	}
	free(l->v);
	free(l);
}

void hl_evidence_file_clear(hl_evidence_file *f)
{
	if (!f)
		return;
	free(f->name);
	free(f->sha256);
	free(f->agency);
	free(f->at);
	free(f->by);
	memset(f, 0, sizeof(*f));
}

static char *dup0(const char *s)
{
	return s ? hl_strdup(s) : NULL;
}

typedef struct {
	hl_reports *l;
	size_t cap;
	/* the queue: only the plans the user compiles (NULL: all) */
	hl_store *st;
	const hl_principal *who;
	const char *agency;
} reports_ctx;

/* Each report's report_due (its period's, by the settings) and whether it came after it. */
static void mark_late(hl_reports *l, hl_store *st)
{
	int cut = hl_plans__setting_int(st, "cutoff_day"),
	    day = hl_plans__setting_int(st, "report_day");
	for (size_t i = 0; i < l->n; i++) {
		hl_report *r = &l->v[i];
		hl_period p;
		r->report_due[0] = 0;
		r->late = 0;
		if (!r->period || hl_period_parse(&p, r->period, cut, day) < 0) {
			hl_error_clear();
			continue;
		}
		snprintf(r->report_due, sizeof(r->report_due), "%s", p.report_due);
		r->late = r->at && strncmp(r->at, p.report_due, 10) > 0;
	}
}

/* A file a report cites, added to it (ud: the hl_report). */
static int add_file(const hl_evidence_file *f, void *ud)
{
	hl_report *r = ud;
	hl_evidence_file *nv = realloc(r->files, (r->nfiles + 1) * sizeof(*nv));
	hl_evidence_file *d;
	if (!nv)
		return hl_error_set(HL_ENOMEM, "out of memory");
	r->files = nv;
	d = &nv[r->nfiles];
	memset(d, 0, sizeof(*d));
	d->id = f->id, d->size = f->size;
	if (!(d->name = dup0(f->name)) || !(d->sha256 = dup0(f->sha256)) ||
	    !(d->agency = dup0(f->agency)) || !(d->at = dup0(f->at)) || !(d->by = dup0(f->by))) {
		hl_evidence_file_clear(d);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	r->nfiles++;
	return 0;
}

static int add_report(const hl_report *r, void *ud)
{
	reports_ctx *c = ud;
	hl_report *d;
	if (c->l->n == c->cap) {
		size_t nc = c->cap ? 2 * c->cap : 16;
		hl_report *nv = realloc(c->l->v, nc * sizeof(*nv));
		if (!nv)
			return hl_error_set(HL_ENOMEM, "out of memory");
		c->l->v = nv;
		c->cap = nc;
	}
	d = &c->l->v[c->l->n++];
	*d = *r;
	d->task_ref = dup0(r->task_ref);
	d->agency = dup0(r->agency);
	d->period = dup0(r->period);
	d->period_from = dup0(r->period_from);
	d->period_to = dup0(r->period_to);
	d->done_on = dup0(r->done_on);
	d->results = dup0(r->results);
	d->difficulties = dup0(r->difficulties);
	d->proposals = dup0(r->proposals);
	d->evidence = dup0(r->evidence);
	d->at = dup0(r->at);
	d->by = dup0(r->by);
	d->origin = dup0(r->origin);
	d->verdict = dup0(r->verdict);
	d->verdict_comment = dup0(r->verdict_comment);
	d->verdict_at = dup0(r->verdict_at);
	d->verdict_by = dup0(r->verdict_by);
	d->message_id = dup0(r->message_id);
	return 0;
}

int hl_plans_user_agency(char out[33], hl_store *st, const hl_principal *who)
{
	out[0] = 0;
	if (who->local || !who->user_id)
		return 0;
	return hl_store_user_agency_get(out, st, who->user_id);
}

int hl_plans_user_agency_set(hl_store *st, const hl_principal *who, const char *username,
                             const char *agency, char out[33])
{
	char code[33] = "";
	int rc;
	if (out)
		out[0] = 0;
	if (!who->local && who->role != HL_ROLE_ADMIN)
		return hl_error_set(HL_EDENIED, "only an admin sets a user's agency");
	if (agency && *agency) {
		/* an agency of the register, or a commune (its unit) */
		if ((rc = hl_plans__agency_code(code, st, agency, NULL)) <= 0)
			return rc < 0 ? rc : HL_ENOTFOUND;
	}
	if ((rc = hl_store_begin(st)) < 0)
		return rc;
	if ((rc = hl_store_user_agency_set(st, username, code[0] ? code : NULL)) < 0 ||
	    (rc = hl_store_audit(st, hl_principal_actor(who), "user.agency", username,
	                         code[0] ? code : "(none)")) < 0) {
		hl_store_rollback(st);
		return rc;
	}
	if ((rc = hl_store_commit(st)) == 0 && out)
		snprintf(out, 33, "%s", code);
	return rc;
}

/* The task `id` alone (its status not judged). */
static int one_task(const hl_task *t, void *ud)
{
	hl_task *d = ud;
	*d = *t;
	d->agencies = NULL;
	d->nagencies = 0;
	d->plan_id = d->parent_no = d->title = d->output = d->due_text = d->origin = NULL;
	d->item_no = dup0(t->item_no);
	d->cancelled = dup0(t->cancelled);
	/* the lead agencies only, as "code\n" lines in output */
	size_t len = 1;
	for (size_t i = 0; i < t->nagencies; i++)
		len += t->agencies[i].code && t->agencies[i].lead ? strlen(t->agencies[i].code) + 1
		                                                  : 0;
	if (!(d->output = malloc(len)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	d->output[0] = 0;
	for (size_t i = 0; i < t->nagencies; i++)
		if (t->agencies[i].code && t->agencies[i].lead) {
			strcat(d->output, t->agencies[i].code);
			strcat(d->output, "\n");
		}
	d->nagencies = 0;
	for (size_t i = 0; i < t->nagencies; i++)
		d->nagencies += t->agencies[i].lead; /* leads, codes or not */
	return 1;
}

/* Does `code` lead the task whose lead codes are `lines`, itself or as the successor on `date`
 * of an agency that ended (a department merged into another)? */
static int leads(hl_store *st, const char *lines, const char *code, const char *date)
{
	hl_plans__succ succ = {0};
	char one[64];
	int found = 0;
	hl_plans__succ_load(&succ, st);
	for (const char *p = lines; *p && !found;) {
		const char *nl = strchr(p, '\n');
		snprintf(one, sizeof(one), "%.*s", (int)(nl - p), p);
		found = !strcmp(one, code) || !strcmp(hl_plans__current(&succ, one, date), code);
		p = nl + 1;
	}
	hl_plans__succ_free(&succ);
	return found;
}

static int check_text(const char *field, const char *v)
{
	if (v && strlen(v) > MAX_TEXT)
		return hl_error_set(HL_ELIMIT, "%s: longer than %d bytes", field, MAX_TEXT);
	return 0;
}

/* A file cited as evidence ("file:ID"): uploaded for the agency reporting. Its id to *id. */
static int check_file(int64_t *id, hl_store *st, const char *tok, const char *agency)
{
	hl_evidence_file f;
	char *end;
	long long v;
	int rc;
	errno = 0;
	v = strtoll(tok + 5, &end, 10);
	if (end == tok + 5 || *end || v <= 0 || errno)
		return hl_error_set(HL_EINVALID, "evidence: \"%.60s\" is not file:NUMBER", tok);
	if ((rc = hl_store_evidence_get(&f, st, v)) == HL_ENOTFOUND)
		return hl_error_set(HL_EINVALID, "evidence: %s is not a file uploaded here", tok);
	if (rc < 0)
		return rc;
	if (strcmp(f.agency, agency))
		rc = hl_error_set(
		    HL_EINVALID,
		    "evidence: %s was uploaded for %s, not for %s (the agency reporting)", tok,
		    f.agency, agency);
	hl_evidence_file_clear(&f);
	*id = v;
	return rc;
}

/* Evidence: document ids of the archive and files uploaded for `agency` (file:ID), as one text
 * "id file:ID …"; the files' ids to files (at most MAX_EVIDENCE). */
static int check_evidence(char **out, int64_t *files, size_t *nfiles, hl_store *st, const char *ev,
                          const char *agency)
{
	char *buf, *save = NULL;
	size_t n = 0, len = 0;
	int rc = 0;
	*out = NULL;
	*nfiles = 0;
	if (!ev || !*ev)
		return 0;
	if (strlen(ev) > 4000)
		return hl_error_set(HL_ELIMIT, "evidence: too long");
	if (!(buf = hl_strdup(ev)) || !(*out = calloc(strlen(ev) + 2, 1))) {
		free(buf);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	for (char *tok = strtok_r(buf, " ,;\n\t", &save); tok && rc == 0;
	     tok = strtok_r(NULL, " ,;\n\t", &save)) {
		if (++n > MAX_EVIDENCE)
			rc = hl_error_set(HL_ELIMIT, "evidence: at most %d documents or files",
			                  MAX_EVIDENCE);
		else if (!strncmp(tok, "file:", 5)) {
			if ((rc = check_file(&files[*nfiles], st, tok, agency)) == 0) {
				(*nfiles)++;
				len += (size_t)sprintf(*out + len, "%s%s", len ? " " : "", tok);
			}
		} else if ((rc = hl_store_document_exists(st, tok)) == 0)
			rc = hl_error_set(HL_EINVALID,
			                  "evidence: \"%.60s\" is not a document of the archive",
			                  tok);
		else if (rc > 0) {
			rc = 0;
			len += (size_t)sprintf(*out + len, "%s%s", len ? " " : "", tok);
		}
	}
	free(buf);
	if (rc < 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

int hl_task_report(int64_t *id, hl_store *st, const hl_principal *who, const hl_report_in *in)
{
	hl_plan *plan = NULL;
	hl_task t = {0};
	hl_period per;
	hl_report r = {0};
	reports_ctx prior = {0};
	char at[11], mine[33], agency[33] = "", done_on[11] = "", *evidence = NULL, detail[200],
	                       ref[200] = "";
	int64_t tid, files[MAX_EVIDENCE];
	size_t nfiles = 0;
	int rc, progress = in->progress, nested = hl_store_in_tx(st);

	*id = 0;
	if ((rc = hl_plans__clock(at, in->at)) < 0)
		return rc;
	if (!who->local && who->role != HL_ROLE_OFFICER && who->role != HL_ROLE_ARCHIVIST &&
	    who->role != HL_ROLE_ADMIN)
		return hl_error_set(HL_EDENIED,
		                    who->user_id ? "your role (%s) may not report on tasks"
		                                 : "log in first (reports are made by "
		                                   "officers of the lead agency)",
		                    hl_role_name(who->role));
	if ((rc = hl_plans__task_ref(&tid, &plan, st, who, in->task)) < 0)
		return rc;
	if ((rc = hl_store_task_foreach(st, NULL, tid, one_task, &t)) < 0)
		goto done;
	/* the task as people name it, in every message below */
	snprintf(ref, sizeof(ref), "%s/%s", plan->id, t.item_no);
	if (!t.nagencies) {
		rc = hl_error_set(HL_EINVALID, "task %s is a section: report on its tasks", ref);
		goto done;
	}
	if (t.cancelled) {
		rc = hl_error_set(HL_EINVALID, "task %s is cancelled (%s)", ref, t.cancelled);
		goto done;
	}
	/* who reports for which agency */
	if ((rc = hl_plans_user_agency(mine, st, who)) < 0)
		goto done;
	if (in->agency && *in->agency) {
		hl_agency *a = NULL;
		snprintf(agency, sizeof(agency), "%.32s", in->agency);
		if (hl_agency_find(&a, st, in->agency, at) == 0) {
			snprintf(agency, sizeof(agency), "%s", a->code);
			hl_agency_free(a);
		}
	} else if (mine[0])
		snprintf(agency, sizeof(agency), "%s", mine);
	else if (strchr(t.output, '\n') == t.output + strlen(t.output) - 1 && t.output[0]) {
		/* the only lead, or the agency that carries its tasks now */
		hl_plans__succ succ = {0};
		char one[33];
		snprintf(one, sizeof(one), "%.*s", (int)strlen(t.output) - 1, t.output);
		hl_plans__succ_load(&succ, st);
		snprintf(agency, sizeof(agency), "%s", hl_plans__current(&succ, one, at));
		hl_plans__succ_free(&succ);
	}
	if (!agency[0]) {
		rc = hl_error_set(HL_EINVALID,
		                  "agency: give the lead agency reporting (task %s has "
		                  "several)",
		                  ref);
		goto done;
	}
	if (!who->local && who->role != HL_ROLE_ADMIN && strcmp(agency, mine)) {
		rc = hl_error_set(
		    HL_EDENIED,
		    "an officer reports for their own agency only (yours: %s; asked: %s)",
		    mine[0] ? mine : "none", agency);
		goto done;
	}
	if (!leads(st, t.output, agency, at)) {
		/* a node reporting on a task it does not lead is denied, as an officer is */
		rc = hl_error_set((who->local || who->role == HL_ROLE_ADMIN) && !in->origin
		                      ? HL_EINVALID
		                      : HL_EDENIED,
		                  "agency: %s does not lead task %s", agency, ref);
		goto done;
	}
	/* the period: one that exists, inside the plan, begun by the report's day */
	if ((rc = hl_period_parse(&per, in->period, hl_plans__setting_int(st, "cutoff_day"),
	                          hl_plans__setting_int(st, "report_day"))) < 0)
		goto done;
	if (strcmp(per.to, plan->period_from) < 0 || strcmp(per.from, plan->period_to) > 0) {
		rc = hl_error_set(HL_EINVALID, "period: %s is outside plan %s (%s to %s)",
		                  per.label, plan->id, plan->period_from, plan->period_to);
		goto done;
	}
	if (strcmp(per.from, at) > 0) {
		rc = hl_error_set(HL_EINVALID, "period: %s has not begun on %s", per.label, at);
		goto done;
	}
	if (progress < 0 && in->state == HL_REPORT_DONE)
		progress = 100;
	if (progress == -1 && in->state != HL_REPORT_DONE) {
		rc = hl_error_set(HL_EINVALID, "progress: give it, 0–100%%");
		goto done;
	}
	if (progress < 0 || progress > 100) {
		rc = hl_error_set(HL_EINVALID, "progress: %d%% is not 0–100%%", progress);
		goto done;
	}
	if ((in->state == HL_REPORT_DONE) != (progress == 100)) {
		rc = hl_error_set(HL_EINVALID,
		                  in->state == HL_REPORT_DONE
		                      ? "progress: a task done is at 100%%, not %d%%"
		                      : "state: progress %d%% is a task done: report it done",
		                  progress);
		goto done;
	}
	if (in->state == HL_REPORT_DONE) {
		snprintf(done_on, sizeof(done_on), "%s",
		         in->done_on && *in->done_on ? in->done_on : at);
		if (!hl_plans__is_date(done_on) || strcmp(done_on, at) > 0) {
			rc = hl_error_set(HL_EINVALID,
			                  "done_on: \"%.20s\" is not a day on or before %s",
			                  in->done_on, at);
			goto done;
		}
	} else if (in->done_on && *in->done_on) {
		rc = hl_error_set(HL_EINVALID, "done_on: only a report of a task done has one");
		goto done;
	}
	if ((rc = check_text("results", in->results)) < 0 ||
	    (rc = check_text("difficulties", in->difficulties)) < 0 ||
	    (rc = check_text("proposals", in->proposals)) < 0 ||
	    (rc = check_evidence(&evidence, files, &nfiles, st, in->evidence, agency)) < 0)
		goto done;
	if (in->corrects) {
		if (!(prior.l = calloc(1, sizeof(hl_reports)))) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		if ((rc = hl_store_report_foreach(st, NULL, 0, in->corrects, at, 0, add_report,
		                                  &prior)) < 0)
			goto done;
		if (!prior.l->n || prior.l->v[0].task_id != tid) {
			rc =
			    hl_error_set(HL_EINVALID, "corrects: report %lld is not one of task %s",
			                 (long long)in->corrects, ref);
			goto done;
		}
		if (strcmp(prior.l->v[0].verdict, "returned")) {
			rc = hl_error_set(
			    HL_EINVALID,
			    "corrects: report %lld is %s, not returned: only a returned "
			    "report is corrected",
			    (long long)in->corrects, prior.l->v[0].verdict);
			goto done;
		}
		if ((rc = hl_store_report_corrected(st, in->corrects)) != 0) {
			if (rc > 0)
				rc = hl_error_set(HL_ECONFLICT,
				                  "corrects: report %lld is corrected already",
				                  (long long)in->corrects);
			goto done;
		}
	}
	r.task_id = tid;
	r.agency = agency;
	r.period = per.label;
	r.period_from = per.from;
	r.period_to = per.to;
	r.progress = progress;
	r.state = in->state;
	r.done_on = done_on;
	r.results = (char *)in->results;
	r.difficulties = (char *)in->difficulties;
	r.proposals = (char *)in->proposals;
	r.evidence = evidence;
	r.at = at;
	r.by = (char *)hl_principal_actor(who);
	r.corrects = in->corrects;
	r.origin = (char *)in->origin;
	r.message_id = (char *)in->message_id;
	/* inside the caller's transaction when there is one (a report received: the inbox's) */
	if (!nested && (rc = hl_store_begin(st)) < 0)
		goto done;
	/* again inside the write transaction: two corrections of one report at once, one wins */
	if (in->corrects && (rc = hl_store_report_corrected(st, in->corrects)) != 0) {
		if (rc > 0)
			rc =
			    hl_error_set(HL_ECONFLICT, "corrects: report %lld is corrected already",
			                 (long long)in->corrects);
	} else if ((rc = hl_store_report_put(id, st, &r)) == 0) {
		for (size_t i = 0; i < nfiles && rc == 0; i++)
			rc = hl_store_evidence_use(st, files[i], *id);
	}
	if (rc == 0 && *id) {
		snprintf(detail, sizeof(detail), "report %lld: %s %s %d%% %s", (long long)*id,
		         agency, per.label, progress, hl_report_state_name(in->state));
		rc = hl_store_audit(st, hl_principal_actor(who), "task.report", ref, detail);
	}
	if (rc < 0) {
		if (!nested)
			hl_store_rollback(st);
		*id = 0;
	} else if (!nested)
		rc = hl_store_commit(st);
done:
	free(t.item_no);
	free(t.cancelled);
	free(t.output);
	free(evidence);
	hl_reports_free(prior.l);
	hl_plan_free(plan);
	return rc;
}

int hl_task_reports(hl_reports **out, hl_store *st, const hl_principal *who, const char *ref,
                    const char *at)
{
	hl_plan *plan = NULL;
	reports_ctx c = {0};
	char day[11];
	int64_t tid;
	int rc;

	*out = NULL;
	if ((rc = hl_plans__clock(day, at)) < 0 ||
	    (rc = hl_plans__task_ref(&tid, &plan, st, who, ref)) < 0)
		return rc;
	hl_plan_free(plan);
	if (!(c.l = calloc(1, sizeof(hl_reports))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	if ((rc = hl_store_report_foreach(st, NULL, tid, 0, day, 0, add_report, &c)) < 0) {
		hl_reports_free(c.l);
		return rc;
	}
	for (size_t i = 0; i < c.l->n && rc == 0; i++)
		if (c.l->v[i].evidence && strstr(c.l->v[i].evidence, "file:"))
			rc = hl_store_evidence_of_report(st, c.l->v[i].id, add_file, &c.l->v[i]);
	if (rc < 0) {
		hl_reports_free(c.l);
		return rc;
	}
	mark_late(c.l, st);
	*out = c.l;
	return 0;
}

/* ---- evidence files ---- */

/* The name a file is shown by: its last path component, 1–200 bytes of UTF-8, no control
 * characters. */
static int file_name(const char **out, const char *name)
{
	const char *base = name ? strrchr(name, '/') : NULL;
	base = base ? base + 1 : name;
	if (!base || !*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return hl_error_set(HL_EINVALID, "name: give the file's name");
	if (strlen(base) > 200)
		return hl_error_set(HL_ELIMIT, "name: longer than 200 bytes");
	for (const unsigned char *p = (const unsigned char *)base; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			return hl_error_set(HL_EINVALID, "name: a control character or \\ in it");
	if (hl_text_check_utf8(base, strlen(base), NULL) != 0)
		return hl_error_set(HL_EINVALID, "name: not UTF-8");
	*out = base;
	return 0;
}

int hl_evidence_put(hl_evidence_file *out, hl_archive *a, const hl_principal *who,
                    const char *agency, const char *name, const char *path)
{
	hl_store *st = hl_archive_store(a);
	hl_evidence_file f = {0};
	char mine[33], code[33] = "", at[11], sha[65], detail[300];
	const char *base = NULL;
	struct stat sb;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!who->local && who->role != HL_ROLE_OFFICER && who->role != HL_ROLE_ADMIN)
		return hl_error_set(HL_EDENIED,
		                    who->user_id ? "your role (%s) may not upload evidence"
		                                 : "log in first (evidence is uploaded by "
		                                   "officers of the lead agency)",
		                    hl_role_name(who->role));
	if ((rc = file_name(&base, name)) < 0 || (rc = hl_plans__clock(at, NULL)) < 0 ||
	    (rc = hl_plans_user_agency(mine, st, who)) < 0)
		return rc;
	if (agency && *agency) {
		if ((rc = hl_plans__agency_code(code, st, agency, at)) <= 0)
			return rc < 0 ? rc
			              : hl_error_set(HL_EINVALID, "agency: \"%.60s\" is unknown",
			                             agency);
		if (!who->local && who->role != HL_ROLE_ADMIN && strcmp(code, mine))
			return hl_error_set(HL_EDENIED,
			                    "an officer uploads evidence for their own agency only "
			                    "(yours: %s; asked: %s)",
			                    mine[0] ? mine : "none", code);
	} else if (mine[0]) {
		snprintf(code, sizeof(code), "%s", mine);
	} else {
		return hl_error_set(who->local || who->role == HL_ROLE_ADMIN ? HL_EINVALID
		                                                             : HL_EDENIED,
		                    who->local || who->role == HL_ROLE_ADMIN
		                        ? "agency: give the agency the evidence is for"
		                        : "your account has no agency: an admin gives it one");
	}
	/* the size before a byte is read */
	if (stat(path, &sb) != 0)
		return hl_error_set(errno == ENOENT ? HL_ENOTFOUND : HL_EIO, "%s: %s", base,
		                    strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return hl_error_set(HL_EINVALID, "%s: not a regular file", base);
	if (sb.st_size == 0)
		return hl_error_set(HL_EINVALID, "%s: empty", base);
	if (sb.st_size > HL_EVIDENCE_MAX_BYTES)
		return hl_error_set(HL_ELIMIT,
		                    "%s: %lld bytes, over the %d a file of evidence may have", base,
		                    (long long)sb.st_size, HL_EVIDENCE_MAX_BYTES);
	if ((rc = hl_blob_put_file(sha, &f.size, a, path)) < 0)
		return rc;
	if (f.size > HL_EVIDENCE_MAX_BYTES) /* grew between the check and the copy */
		return hl_error_set(HL_ELIMIT, "%s: over %d bytes", base, HL_EVIDENCE_MAX_BYTES);
	f.sha256 = sha, f.name = (char *)base, f.agency = code, f.at = at;
	f.by = (char *)hl_principal_actor(who);
	if ((rc = hl_store_begin(st)) < 0)
		return rc;
	if ((rc = hl_store_evidence_put(&f.id, st, &f)) == 0) {
		snprintf(detail, sizeof(detail), "file:%lld %s %lld bytes sha256 %s",
		         (long long)f.id, code, (long long)f.size, sha);
		rc = hl_store_audit(st, hl_principal_actor(who), "evidence.upload", base, detail);
	}
	if (rc < 0) {
		hl_store_rollback(st);
		return rc;
	}
	if ((rc = hl_store_commit(st)) < 0)
		return rc;
	return hl_store_evidence_get(out, st, f.id);
}

int hl_evidence_get(hl_evidence_file *out, char **path, hl_archive *a, const hl_principal *who,
                    int64_t id)
{
	hl_store *st = hl_archive_store(a);
	char mine[33];
	int level, rc, own;

	*path = NULL;
	if ((rc = hl_store_evidence_get(out, st, id)) < 0)
		return rc;
	if ((rc = hl_plans_user_agency(mine, st, who)) < 0 ||
	    (rc = hl_store_evidence_level(&level, st, id)) < 0)
		goto fail;
	/* the users of the agency it was uploaded for */
	own =
	    who->local || (mine[0] && who->role != HL_ROLE_ANONYMOUS && !strcmp(mine, out->agency));
	if (!own && (level < 0 || level > (int)hl_auth_ceiling(who))) {
		rc = hl_error_set(HL_ENOTFOUND, "no evidence file %lld", (long long)id);
		goto fail;
	}
	if (!(*path = hl_blob_path(a, out->sha256))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto fail;
	}
	/* read through a restricted plan's report: a read the audit keeps */
	if (!own && level >= HL_ACCESS_RESTRICTED) {
		char obj[40];
		snprintf(obj, sizeof(obj), "file:%lld", (long long)id);
		if ((rc = hl_store_begin(st)) < 0 ||
		    (rc = hl_store_audit(st, hl_principal_actor(who), "evidence.read", obj,
		                         out->name)) < 0 ||
		    (rc = hl_store_commit(st)) < 0) {
			if (hl_store_in_tx(st))
				hl_store_rollback(st);
			goto fail;
		}
	}
	return 0;
fail:
	free(*path);
	*path = NULL;
	hl_evidence_file_clear(out);
	return rc;
}

/* May `who` verify the reports of plan p? */
static int compiler_of(hl_store *st, const hl_principal *who, const hl_plan *p)
{
	char mine[33];
	int rc;
	if (who->local || who->role == HL_ROLE_ADMIN)
		return 1;
	if ((rc = hl_plans_user_agency(mine, st, who)) < 0)
		return rc;
	return p->compiler && mine[0] && !strcmp(mine, p->compiler) && who->role != HL_ROLE_VIEWER;
}

int hl_plans__verify(hl_store *st, hl_archive *archive, const hl_principal *who, int64_t id,
                     int accept, const char *comment, const char *at)
{
	reports_ctx c = {0};
	hl_plan *plan = NULL;
	char day[11], detail[300], ref[40];
	int rc;

	if ((rc = hl_plans__clock(day, at)) < 0)
		return rc;
	if (id <= 0)
		return hl_error_set(HL_ENOTFOUND, "no report %lld", (long long)id);
	if (!(c.l = calloc(1, sizeof(hl_reports))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	if ((rc = hl_store_report_foreach(st, NULL, 0, id, day, 0, add_report, &c)) < 0)
		goto done;
	if (!c.l->n) {
		rc = hl_error_set(HL_ENOTFOUND, "no report %lld", (long long)id);
		goto done;
	}
	snprintf(ref, sizeof(ref), "%lld", (long long)c.l->v[0].task_id);
	{
		int64_t tid;
		if ((rc = hl_plans__task_ref(&tid, &plan, st, who, ref)) < 0) {
			if (rc == HL_ENOTFOUND)
				rc = hl_error_set(HL_ENOTFOUND, "no report %lld", (long long)id);
			goto done;
		}
	}
	if ((rc = compiler_of(st, who, plan)) <= 0) {
		if (rc == 0)
			rc = hl_error_set(HL_EDENIED,
			                  "only the compiler of plan %s (%s) verifies its reports",
			                  plan->id, plan->compiler ? plan->compiler : "none named");
		goto done;
	}
	if (!accept && (!comment || !*comment)) {
		rc = hl_error_set(HL_EINVALID, "comment: a report returned says why");
		goto done;
	}
	if ((rc = check_text("comment", comment)) < 0)
		goto done;
	/* a report from another node: its verdict goes back to it, or nothing is written */
	if (c.l->v[0].origin && !archive) {
		rc = hl_error_set(HL_EINVALID,
		                  "report %lld came from node %s: its verdict goes back over the "
		                  "exchange, which this call cannot reach",
		                  (long long)id, c.l->v[0].origin);
		goto done;
	}
	snprintf(detail, sizeof(detail), "report %lld %s", (long long)id,
	         accept ? "accepted" : "returned");
	/* its state read again inside the write transaction: two compilers at once give one
	 * verdict, and a verdict of any day counts */
	if ((rc = hl_store_begin(st)) < 0)
		goto done;
	hl_reports_free(c.l);
	if (!(c.l = calloc(1, sizeof(hl_reports)))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto rollback;
	}
	c.cap = 0;
	if ((rc = hl_store_report_foreach(st, NULL, 0, id, "9999-12-31", 0, add_report, &c)) < 0)
		goto rollback;
	if (!strcmp(c.l->v[0].verdict, "accepted")) {
		rc = hl_error_set(HL_ECONFLICT, "report %lld was accepted on %s", (long long)id,
		                  c.l->v[0].verdict_at);
		goto rollback;
	}
	if (!strcmp(c.l->v[0].verdict, "returned")) {
		rc = hl_error_set(
		    HL_ECONFLICT,
		    "report %lld was returned on %s: its correction is verified instead",
		    (long long)id, c.l->v[0].verdict_at);
		goto rollback;
	}
	if ((rc = hl_store_report_corrected(st, id)) != 0) {
		if (rc > 0)
			rc = hl_error_set(HL_ECONFLICT, "report %lld is corrected by a later one",
			                  (long long)id);
		goto rollback;
	}
	if ((rc = hl_store_verification_put(st, id, accept ? "accepted" : "returned", comment, day,
	                                    hl_principal_actor(who))) < 0 ||
	    (rc = hl_store_audit(st, hl_principal_actor(who), "report.verify", c.l->v[0].task_ref,
	                         detail)) < 0 ||
	    (c.l->v[0].origin &&
	     (rc = hl_plans__verdict_put(archive, &c.l->v[0], plan, accept, comment, day,
	                                 hl_principal_actor(who))) < 0))
		goto rollback;
	rc = hl_store_commit(st);
	goto done;
rollback:
	hl_store_rollback(st);
done:
	hl_plan_free(plan);
	hl_reports_free(c.l);
	return rc;
}

int hl_report_verify(hl_store *st, const hl_principal *who, int64_t id, int accept,
                     const char *comment, const char *at)
{
	return hl_plans__verify(st, NULL, who, id, accept, comment, at);
}

int hl_report_queue(hl_reports **out, hl_store *st, const hl_principal *who, const char *plan_id,
                    const char *at)
{
	hl_plans *plans = NULL;
	reports_ctx c = {0};
	char day[11];
	int rc;

	*out = NULL;
	if ((rc = hl_plans__clock(day, at)) < 0 || (rc = hl_plan_list(&plans, st, who)) < 0)
		return rc;
	if (!(c.l = calloc(1, sizeof(hl_reports)))) {
		hl_plans_free(plans);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < plans->n && rc == 0; i++) {
		if (plan_id && strcmp(plan_id, plans->v[i].id))
			continue;
		if ((rc = compiler_of(st, who, &plans->v[i])) <= 0)
			continue;
		rc = hl_store_report_foreach(st, plans->v[i].id, 0, 0, day, 1, add_report, &c);
	}
	hl_plans_free(plans);
	if (rc < 0) {
		hl_reports_free(c.l);
		return rc;
	}
	mark_late(c.l, st);
	*out = c.l;
	return 0;
}

int hl_task_cancel(hl_store *st, const hl_principal *who, const char *ref, const char *reason)
{
	hl_plan *plan = NULL;
	hl_task *t = NULL;
	int64_t tid;
	int rc;
	if (!reason || !*reason || strlen(reason) > 2000)
		return hl_error_set(HL_EINVALID, "reason: why the task is cancelled (at most 2,000 "
		                                 "bytes)");
	if ((rc = hl_plans__task_ref(&tid, &plan, st, who, ref)) < 0)
		return rc;
	if ((rc = compiler_of(st, who, plan)) <= 0) {
		if (rc == 0)
			rc = hl_error_set(
			    HL_EDENIED, "only the compiler of plan %s cancels its tasks", plan->id);
	} else if ((rc = hl_task_get(&t, st, who, ref, NULL)) == 0 && t->cancelled) {
		/* its reason stays what it was */
		rc = hl_error_set(HL_ECONFLICT, "task %s/%s is cancelled already (%s)", t->plan_id,
		                  t->item_no, t->cancelled);
	} else if (rc == 0 && (rc = hl_store_begin(st)) == 0) {
		if ((rc = hl_store_task_cancel(st, tid, reason)) < 0 ||
		    (rc = hl_store_audit(st, hl_principal_actor(who), "task.cancel", ref, reason)) <
		        0)
			hl_store_rollback(st);
		else
			rc = hl_store_commit(st);
	}
	hl_task_free(t);
	hl_plan_free(plan);
	return rc;
}

int hl_plans__report_get(hl_reports **out, hl_store *st, int64_t id)
{
	reports_ctx c = {0};
	int rc;
	*out = NULL;
	if (!(c.l = calloc(1, sizeof(hl_reports))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	/* every verdict, whatever the clock: the report's state as it stands */
	if ((rc = hl_store_report_foreach(st, NULL, 0, id, "9999-12-31", 0, add_report, &c)) < 0) {
		hl_reports_free(c.l);
		return rc;
	}
	mark_late(c.l, st);
	*out = c.l;
	return 0;
}
