/* The clock, the settings of plans and the reporting periods with their data cut-off (Nghị
 * định 09/2019/NĐ-CP, Điều 12 and 13). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../store/store_plans.h"
#include "halong/plans.h"
#include "halong/units.h"
#include "halong/util.h"
#include "notice_int.h"
#include "plans_int.h"

void hl_plans_today(char out[11])
{
	const char *env = getenv("HALONG_TODAY");
	if (env && hl_plans__is_date(env)) {
		snprintf(out, 11, "%s", env);
		return;
	}
	hl_units_today(out); /* Vietnam's day (UTC+7), as the units and agencies count days */
}

int hl_plans__clock(char out[11], const char *at)
{
	if (!at || !*at) {
		hl_plans_today(out);
		return 0;
	}
	if (!hl_plans__is_date(at))
		return hl_error_set(HL_EINVALID, "--at: \"%.40s\" is not a day (yyyy-mm-dd)", at);
	snprintf(out, 11, "%s", at);
	return 0;
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

int hl_plans__is_date(const char *s)
{
	int y, m, d, n = 0;
	if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10)
		return 0;
	for (int i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : !isdigit((unsigned char)s[i]))
			return 0;
	return y >= 1900 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 && d <= days_in(y, m);
}

/* Days since 1970-01-01 of an ISO day (civil calendar, Howard Hinnant's algorithm). */
long hl_plans__day_number(const char *iso)
{
	int y = atoi(iso), m = atoi(iso + 5), d = atoi(iso + 8);
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void hl_plans__add_days(char out[11], const char *iso, long days)
{
	long z = hl_plans__day_number(iso) + days + 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
	long m = mp + (mp < 10 ? 3 : -9);
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)(y + (m <= 2)) % 10000u, (unsigned)m % 100u,
	         (unsigned)d % 100u);
}

/* ---- settings ---- */

static const struct {
	const char *key, *def;
} settings[] = {
    {"cutoff_day", "14"},
    {"report_day", "25"},
    {"soon_days", "7"},
    {"rank_rule", "done_on_time=2,done_late=1,open_on_time=0,waiting=0,overdue=-2"},
    /* warnings (notice.c): where and how the notices are mailed */
    {"smtp_url", ""},
    {"mail_from", ""},
    {"smtp_user", ""},
    {"smtp_password", ""},
    {"smtp_starttls", "try"},
    {"notice_attempts", "5"},
    /* the province whose communes a plan names by name alone (a unit code; "": any) */
    {"province", ""},
};

const char *const hl_plans_setting_names[] = {
    "cutoff_day", "report_day",    "soon_days",     "rank_rule",       "smtp_url", "mail_from",
    "smtp_user",  "smtp_password", "smtp_starttls", "notice_attempts", "province", NULL,
};

static int setting_index(const char *key)
{
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (!strcmp(key, settings[i].key))
			return (int)i;
	return -1;
}

int hl_plans_setting_get(char **value, hl_store *st, const char *key)
{
	int i = setting_index(key ? key : "");
	int rc;
	*value = NULL;
	if (i < 0)
		return hl_error_set(HL_EINVALID,
		                    "unknown setting \"%.40s\"; settings: cutoff_day, report_day, "
		                    "soon_days, rank_rule, smtp_url, mail_from, smtp_user, "
		                    "smtp_password, smtp_starttls, notice_attempts, province",
		                    key ? key : "");
	if ((rc = hl_store_plan_setting_get(value, st, key)) < 0)
		return rc;
	if (!strcmp(key, "smtp_password") && *value) {
		/* a secret: said to be set, never shown (notice.c reads the store itself) */
		int set = **value != 0;
		memset(*value, 0, strlen(*value));
		free(*value);
		*value = hl_strdup(set ? "(set)" : "");
		return *value ? 0 : hl_error_set(HL_ENOMEM, "out of memory");
	}
	if (!*value && !(*value = hl_strdup(settings[i].def)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	return 0;
}

int hl_plans__setting_int(hl_store *st, const char *key)
{
	char *v = NULL;
	int n = 0;
	if (hl_plans_setting_get(&v, st, key) == 0)
		n = atoi(v);
	free(v);
	return n;
}

static int small_number(const char *v, int min, int max)
{
	char *end;
	long n = strtol(v, &end, 10);
	return *v && !*end && n >= min && n <= max;
}

/* The warnings' settings (an empty value clears one). */
static int smtp_setting_check(const char *key, const char *value)
{
	char name[HL_MAIL_NAME_MAX + 1], addr[HL_MAIL_ADDR_MAX + 1];
	if (!strcmp(key, "smtp_url") && *value)
		return hl_plans__smtp_url_check(value);
	if (!strcmp(key, "mail_from") && *value)
		return hl_plans__mailbox_parse(name, addr, value);
	if (!strcmp(key, "smtp_user") || !strcmp(key, "smtp_password")) {
		if (strlen(value) > 200)
			return hl_error_set(HL_EINVALID, "%s: longer than 200 bytes", key);
		for (const char *p = value; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return hl_error_set(HL_EINVALID, "%s: holds a control character",
				                    key);
	}
	if (!strcmp(key, "smtp_starttls") && strcmp(value, "no") && strcmp(value, "try") &&
	    strcmp(value, "require"))
		return hl_error_set(
		    HL_EINVALID,
		    "smtp_starttls: \"%.20s\" is not no, try (when the server offers "
		    "it) or require",
		    value);
	if (!strcmp(key, "notice_attempts") && !small_number(value, 1, 100))
		return hl_error_set(HL_EINVALID, "notice_attempts: \"%.20s\" is not a number 1–100",
		                    value);
	return 0;
}

int hl_plans_setting_set(hl_store *st, const hl_principal *who, const char *key, const char *value)
{
	char detail[300];
	int i = setting_index(key ? key : ""), rc;

	if (!who->local && who->role != HL_ROLE_ADMIN)
		return hl_error_set(HL_EDENIED, "only an admin changes the settings of plans");
	if (i < 0) {
		char *v = NULL;
		return hl_plans_setting_get(&v, st, key); /* the error naming the settings */
	}
	if (!value)
		return hl_error_set(HL_EINVALID, "%s: give a value", key);
	if ((!strcmp(key, "cutoff_day") || !strcmp(key, "report_day")) &&
	    !small_number(value, 1, 28))
		return hl_error_set(HL_EINVALID, "%s: \"%.20s\" is not a day of the month 1–28",
		                    key, value);
	if (!strcmp(key, "cutoff_day") || !strcmp(key, "report_day")) {
		/* Nghị định 09/2019, Điều 8 k5 b: a report is due after its data's cut-off */
		int cut = !strcmp(key, "cutoff_day") ? atoi(value)
		                                     : hl_plans__setting_int(st, "cutoff_day");
		int due = !strcmp(key, "report_day") ? atoi(value)
		                                     : hl_plans__setting_int(st, "report_day");
		if (due <= cut)
			return hl_error_set(
			    HL_EINVALID,
			    "%s: the report day (%d) must come after the data cut-off day "
			    "(%d)",
			    key, due, cut);
	}
	if (!strcmp(key, "province") && *value) {
		hl_unit *u = NULL;
		if ((rc = hl_units_show(&u, st, value, NULL)) < 0)
			return rc;
		hl_unit_free(u);
	}
	if (!strcmp(key, "soon_days") && !small_number(value, 0, 365))
		return hl_error_set(HL_EINVALID, "soon_days: \"%.20s\" is not a number 0–365",
		                    value);
	if (!strcmp(key, "rank_rule")) {
		double w[HL_TASK_STATUS_COUNT];
		if ((rc = hl_plans__rank_rule(w, value)) < 0)
			return rc;
	}
	if ((rc = smtp_setting_check(key, value)) < 0)
		return rc;
	if (!strcmp(key, "smtp_password"))
		snprintf(detail, sizeof(detail), "%s=%s", key, *value ? "(set)" : "(cleared)");
	else
		snprintf(detail, sizeof(detail), "%s=%.200s", key, value);
	if ((rc = hl_store_begin(st)) < 0)
		return rc;
	if ((rc = hl_store_plan_setting_set(st, key, value)) < 0 ||
	    (rc = hl_store_audit(st, hl_principal_actor(who), "plan.setting", key, detail)) < 0) {
		hl_store_rollback(st);
		return rc;
	}
	return hl_store_commit(st);
}

int hl_plans__rank_rule(double w[HL_TASK_STATUS_COUNT], const char *rule)
{
	char buf[400], *save = NULL;
	int not_started = 0;
	for (int i = 0; i < HL_TASK_STATUS_COUNT; i++)
		w[i] = 0;
	if (!rule || strlen(rule) >= sizeof(buf))
		return hl_error_set(HL_EINVALID, "rank_rule: give status=weight pairs");
	snprintf(buf, sizeof(buf), "%s", rule);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		int k = -1;
		while (*tok == ' ')
			tok++;
		if (!eq)
			return hl_error_set(HL_EINVALID,
			                    "rank_rule: \"%.40s\" is not status=weight", tok);
		*eq = 0;
		for (int i = 0; i < HL_TASK_STATUS_COUNT; i++)
			if (!strcmp(tok, hl_task_status_name((hl_task_status)i)))
				k = i;
		if (!strcmp(tok, "open_on_time"))
			k = HL_TASK_ON_TIME;
		double v = strtod(eq + 1, &end);
		if (k < 0)
			return hl_error_set(
			    HL_EINVALID,
			    "rank_rule: unknown status \"%.40s\"; statuses: not_started, "
			    "on_time (open_on_time), overdue, done_on_time, done_late, "
			    "waiting, cancelled",
			    tok);
		if (end == eq + 1 || *end || v < -100 || v > 100)
			return hl_error_set(HL_EINVALID, "rank_rule: %s: a weight from -100 to 100",
			                    tok);
		w[k] = v;
		not_started |= k == HL_TASK_NOT_STARTED;
	}
	if (!not_started) /* a task not started is open on time unless the rule says otherwise */
		w[HL_TASK_NOT_STARTED] = w[HL_TASK_ON_TIME];
	return 0;
}

/* ---- periods ---- */

int hl_period_parse(hl_period *out, const char *text, int cutoff_day, int report_day)
{
	char buf[64];
	hl_due d;
	int y, q, n = 0;

	memset(out, 0, sizeof(*out));
	if (!cutoff_day)
		cutoff_day = 14;
	if (!report_day)
		report_day = 25;
	if (!text || !*text)
		return hl_error_set(HL_EINVALID,
		                    "period: give one (2025-06, 2025-Q2, 2025-H1, 2025)");
	/* the labels halong writes; the rest as plans write periods */
	if (sscanf(text, "%4d-Q%1d%n", &y, &q, &n) == 2 && !text[n] && n == 7)
		snprintf(buf, sizeof(buf), "quy %d/%d", q, y);
	else if (sscanf(text, "%4d-H%1d%n", &y, &q, &n) == 2 && !text[n] && n == 7 &&
	         (q == 1 || q == 2))
		snprintf(buf, sizeof(buf), "6 thang %s nam %d", q == 1 ? "dau" : "cuoi", y);
	else
		snprintf(buf, sizeof(buf), "%.60s", text);
	if (hl_due_parse(&d, buf) < 0 || (d.kind != HL_DUE_MONTH && d.kind != HL_DUE_QUARTER &&
	                                  d.kind != HL_DUE_HALF && d.kind != HL_DUE_YEAR))
		return hl_error_set(
		    HL_EINVALID,
		    "period: \"%.40s\" is not a reporting period (a month 2025-06 or "
		    "6/2025, a quarter 2025-Q2 or Quý II/2025, a half 2025-H1, a year "
		    "2025)",
		    text);
	y = atoi(d.start);
	int m1 = atoi(d.start + 5), m2 = atoi(d.due + 5);
	switch (d.kind) {
	case HL_DUE_MONTH:
		snprintf(out->label, sizeof(out->label), "%04u-%02u", (unsigned)y % 10000u,
		         (unsigned)m1 % 100u);
		out->freq = HL_FREQ_MONTHLY;
		break;
	case HL_DUE_QUARTER:
		snprintf(out->label, sizeof(out->label), "%04u-Q%u", (unsigned)y % 10000u,
		         (unsigned)(m1 + 2) / 3 % 10u);
		out->freq = HL_FREQ_QUARTERLY;
		break;
	case HL_DUE_HALF:
		snprintf(out->label, sizeof(out->label), "%04u-H%u", (unsigned)y % 10000u,
		         m1 < 7 ? 1u : 2u);
		out->freq = HL_FREQ_HALF_YEARLY;
		break;
	default:
		snprintf(out->label, sizeof(out->label), "%04u", (unsigned)y % 10000u);
		out->freq = HL_FREQ_YEARLY;
		break;
	}
	snprintf(out->from, sizeof(out->from), "%s", d.start);
	snprintf(out->to, sizeof(out->to), "%s", d.due);
	/* Điều 12: from the day after the cut-off in the month before the period to the cut-off
	 * day of its last month */
	{
		int py = m1 == 1 ? y - 1 : y, pm = m1 == 1 ? 12 : m1 - 1;
		unsigned uy = (unsigned)y % 10000u, um = (unsigned)m2 % 100u;
		int cut_prev = cutoff_day < days_in(py, pm) ? cutoff_day : days_in(py, pm);
		int cut_last = cutoff_day < days_in(y, m2) ? cutoff_day : days_in(y, m2);
		int due_last = report_day < days_in(y, m2) ? report_day : days_in(y, m2);
		char cut[11];
		snprintf(cut, sizeof(cut), "%04u-%02u-%02u", (unsigned)py % 10000u,
		         (unsigned)pm % 100u, (unsigned)cut_prev % 100u);
		hl_plans__add_days(out->data_from, cut, 1);
		snprintf(out->data_to, sizeof(out->data_to), "%04u-%02u-%02u", uy, um,
		         (unsigned)cut_last % 100u);
		snprintf(out->report_due, sizeof(out->report_due), "%04u-%02u-%02u", uy, um,
		         (unsigned)due_last % 100u);
	}
	return 0;
}
