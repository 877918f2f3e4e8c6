/* KPI indicators of a plan: a unit, a baseline, a target and which direction is better; the
 * actual value of each period recorded by the compiler, the latest by the clock counting. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../store/store_plans.h"
#include "halong/plans.h"
#include "halong/util.h"
#include "plans_int.h"

void hl_kpis_free(hl_kpis *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		hl_kpi *k = &l->v[i];
		free(k->plan);
		free(k->code);
		free(k->name);
		free(k->unit);
		free(k->task_ref);
		for (size_t j = 0; j < k->nvalues; j++) {
			free(k->values[j].at);
			free(k->values[j].by);
		}
		free(k->values);
	}
	free(l->v);
	free(l);
}

/* The compiler of plan p, an admin or the local operator? */
static int may_keep(hl_store *st, const hl_principal *who, const hl_plan *p)
{
	char mine[33];
	if (who->local || who->role == HL_ROLE_ADMIN)
		return 1;
	if (hl_plans_user_agency(mine, st, who) < 0)
		return 0;
	return p->compiler && mine[0] && !strcmp(mine, p->compiler) && who->role != HL_ROLE_VIEWER;
}

static int good_code(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 32)
		return 0;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && !strchr("-_.", *s))
			return 0;
	return 1;
}

int hl_kpi_set(hl_store *st, const hl_principal *who, const hl_kpi_in *in)
{
	hl_plan *p = NULL, *tp = NULL;
	int64_t task = 0;
	char detail[120];
	int rc;

	if ((rc = hl_plans__plan(&p, st, who, in->plan)) < 0)
		return rc;
	if (!may_keep(st, who, p))
		rc = hl_error_set(HL_EDENIED, "only the compiler of plan %s keeps its indicators",
		                  p->id);
	else if (!good_code(in->code))
		rc = hl_error_set(HL_EINVALID, "code: 1 to 32 of A-Z a-z 0-9 - _ .");
	else if (!in->name || !*in->name || strlen(in->name) > 500)
		rc = hl_error_set(HL_EINVALID,
		                  "name: what the indicator measures (at most 500 bytes)");
	else if (in->unit && strlen(in->unit) > 60)
		rc = hl_error_set(HL_EINVALID, "unit: at most 60 bytes");
	else if (!isfinite(in->target) || (in->has_baseline && !isfinite(in->baseline)))
		rc = hl_error_set(HL_EINVALID, "target, baseline: numbers");
	else if (in->has_baseline && in->baseline == in->target)
		rc = hl_error_set(HL_EINVALID, "target: the same as the baseline");
	else if (in->task && *in->task) {
		if ((rc = hl_plans__task_ref(&task, &tp, st, who, in->task)) == 0 &&
		    strcmp(tp->id, p->id))
			rc = hl_error_set(HL_EINVALID, "task: %s is not a task of plan %s",
			                  in->task, p->id);
		hl_plan_free(tp);
	}
	if (rc == 0) {
		hl_kpi_in copy = *in;
		copy.plan = p->id;
		snprintf(detail, sizeof(detail), "indicator %.32s", in->code);
		if ((rc = hl_store_begin(st)) == 0) {
			if ((rc = hl_store_kpi_put(st, &copy, task)) < 0 ||
			    (rc = hl_store_audit(st, hl_principal_actor(who), "kpi.set", p->id,
			                         detail)) < 0)
				hl_store_rollback(st);
			else
				rc = hl_store_commit(st);
		}
	}
	hl_plan_free(p);
	return rc;
}

int hl_kpi_record(hl_store *st, const hl_principal *who, const char *plan, const char *code,
                  const char *period, double actual, double target_or_nan, const char *at)
{
	hl_plan *p = NULL;
	hl_period per;
	int64_t id;
	char day[11], detail[160];
	int rc;

	if ((rc = hl_plans__clock(day, at)) < 0 || (rc = hl_plans__plan(&p, st, who, plan)) < 0)
		return rc;
	if (!may_keep(st, who, p))
		rc = hl_error_set(HL_EDENIED, "only the compiler of plan %s records its indicators",
		                  p->id);
	else if ((rc = hl_store_kpi_find(&id, st, p->id, code ? code : "")) == HL_ENOTFOUND)
		rc = hl_error_set(HL_ENOTFOUND, "no indicator \"%.32s\" in plan %s",
		                  code ? code : "", p->id);
	else if (rc == 0 &&
	         (rc = hl_period_parse(&per, period, hl_plans__setting_int(st, "cutoff_day"),
	                               hl_plans__setting_int(st, "report_day"))) == 0) {
		if (strcmp(per.to, p->period_from) < 0 || strcmp(per.from, p->period_to) > 0)
			rc = hl_error_set(HL_EINVALID, "period: %s is outside plan %s", per.label,
			                  p->id);
		else if (strcmp(per.from, day) > 0)
			rc = hl_error_set(HL_EINVALID, "period: %s has not begun on %s", per.label,
			                  day);
		else if (!isfinite(actual) ||
		         (target_or_nan == target_or_nan && !isfinite(target_or_nan)))
			rc = hl_error_set(HL_EINVALID, "actual: a number");
	}
	if (rc == 0) {
		snprintf(detail, sizeof(detail), "indicator %.32s %s = %g", code, per.label,
		         actual);
		if ((rc = hl_store_begin(st)) == 0) {
			if ((rc = hl_store_kpi_value_put(st, id, per.label, actual, target_or_nan,
			                                 day, hl_principal_actor(who))) < 0 ||
			    (rc = hl_store_audit(st, hl_principal_actor(who), "kpi.record", p->id,
			                         detail)) < 0)
				hl_store_rollback(st);
			else
				rc = hl_store_commit(st);
		}
	}
	hl_plan_free(p);
	return rc;
}

static char *dup0(const char *s)
{
	return s ? hl_strdup(s) : NULL;
}

static int add_kpi(const hl_kpi *k, void *ud)
{
	hl_kpis *l = ud;
	hl_kpi *nv = realloc(l->v, (l->n + 1) * sizeof(*nv)), *d;
	if (!nv)
		return hl_error_set(HL_ENOMEM, "out of memory");
	l->v = nv;
	d = &nv[l->n++];
	*d = *k;
	d->plan = dup0(k->plan);
	d->code = dup0(k->code);
	d->name = dup0(k->name);
	d->unit = dup0(k->unit);
	d->task_ref = dup0(k->task_ref);
	d->values = k->nvalues ? calloc(k->nvalues, sizeof(hl_kpi_value)) : NULL;
	for (size_t i = 0; i < k->nvalues && d->values; i++) {
		hl_kpi_value *v = &d->values[i];
		*v = k->values[i];
		v->at = dup0(k->values[i].at);
		v->by = dup0(k->values[i].by);
		/* achievement: how far from the baseline (0 when none) toward the target */
		double base = k->has_baseline ? k->baseline : 0, span = v->target - base;
		v->achieved = span != 0 ? 100.0 * (v->actual - base) / span : 0;
		v->met = k->lower_is_better ? v->actual <= v->target : v->actual >= v->target;
	}
	if (!d->values)
		d->nvalues = 0;
	return 0;
}

int hl_kpi_list(hl_kpis **out, hl_store *st, const hl_principal *who, const char *plan,
                const char *at)
{
	hl_plan *p = NULL;
	char day[11];
	int rc;
	*out = NULL;
	if ((rc = hl_plans__clock(day, at)) < 0 || (rc = hl_plans__plan(&p, st, who, plan)) < 0)
		return rc;
	if (!(*out = calloc(1, sizeof(hl_kpis))))
		rc = hl_error_set(HL_ENOMEM, "out of memory");
	else if ((rc = hl_store_kpi_foreach(st, p->id, day, add_kpi, *out)) < 0) {
		hl_kpis_free(*out);
		*out = NULL;
	}
	hl_plan_free(p);
	return rc;
}
