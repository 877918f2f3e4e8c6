/* Plans and their tasks (src/lib/plans/). This first part reads a deadline as Vietnamese plans
 * write it and expands a recurring duty into its dated occurrences. */
#ifndef HALONG_PLANS_H
#define HALONG_PLANS_H

#include <stdint.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- deadlines (src/lib/plans/due.c) ---- */

/* The forms of a deadline ("thời gian hoàn thành"). */
typedef enum {
	HL_DUE_NONE = 0, /* nothing written */
	HL_DUE_DATE,     /* 30/6/2025, trước ngày 30/6/2025, 2025-06-30 */
	HL_DUE_MONTH,    /* 6/2025, Tháng 6/2025, tháng 6 năm 2025 */
	HL_DUE_QUARTER,  /* Quý II/2025, quý 2 năm 2025 */
	HL_DUE_HALF,     /* 6 tháng đầu năm 2025, 6 tháng cuối năm 2025 */
	HL_DUE_YEAR,     /* 2025, Năm 2025 */
	HL_DUE_RANGE,    /* 2025 - 2026, 6/2025 - 12/2026, từ 2025 đến 2030 */
	HL_DUE_RECURRING, /* Hằng năm, Hằng quý, Hằng tháng, 6 tháng một lần, trước ngày 15 hằng
	                   * tháng, 2025 và những năm tiếp theo */
	HL_DUE_ONGOING, /* Thường xuyên, Nhiệm vụ thường xuyên: reported each reporting period */
	HL_DUE_UNREAD, /* not one of these: kept as written and reported, never guessed */
} hl_due_kind;

typedef enum {
	HL_FREQ_NONE = 0,
	HL_FREQ_MONTHLY,
	HL_FREQ_QUARTERLY,
	HL_FREQ_HALF_YEARLY,
	HL_FREQ_YEARLY,
} hl_freq;

/* A deadline read. Dates are ISO yyyy-mm-dd, "" when the form has none. */
typedef struct {
	hl_due_kind kind;
	char start[11]; /* the first day of the period written (a range: of its first period) */
	char due[11];   /* the last day: the deadline; "" for a recurring or ongoing duty */
	hl_freq freq;   /* recurring: how often */
	int month, day; /* recurring: a fixed day ("trước ngày 15 hằng tháng": 0, 15; "ngày
	                 * 20/12 hằng năm": 12, 20); 0: the period's last day */
} hl_due;

/* Reads `text` (UTF-8; tones, case and spaces as written are all accepted). 0 and *out; a
 * deadline it cannot read: HL_EINVALID with a message quoting it and listing the forms read,
 * out->kind HL_DUE_UNREAD. An empty text: 0, HL_DUE_NONE. A date that does not exist
 * (31/6/2025), a month 13, a quarter V, a range that ends before it starts: HL_EINVALID. */
int hl_due_parse(hl_due *out, const char *text);

/* "date", "month", "quarter", "half", "year", "range", "recurring", "ongoing", "unread",
 * "none". */
const char *hl_due_kind_name(hl_due_kind k);

/* Each dated occurrence of `d` whose deadline falls in [from, to] (ISO dates), in order: cb gets
 * the occurrence's first day and its deadline; non-zero from cb stops (a negative code is
 * returned). A recurring duty starts at its own start (2025 và những năm tiếp theo) or at
 * `from`; an ongoing one recurs by `every` (the plan's reporting period; HL_FREQ_NONE: none);
 * any other form is one occurrence. At most 10,000 occurrences (HL_ELIMIT beyond). */
int hl_due_occurrences(const hl_due *d, hl_freq every, const char *from, const char *to,
                       int (*cb)(const char *start, const char *due, void *ud), void *ud);

/* ---- agencies (src/lib/plans/agency.c) ----
 *
 * The bodies tasks are assigned to besides the communes: the province's departments and
 * offices (sở, ban, văn phòng), which are not administrative units. A register loaded from a
 * CSV (data/agencies), each agency valid from a day to a day; one that ended names its
 * successor. */

typedef enum {
	HL_AGENCY_SO = 0,    /* so: a department (sở) */
	HL_AGENCY_BAN,       /* ban: a board */
	HL_AGENCY_VAN_PHONG, /* van_phong: an office */
	HL_AGENCY_SU_NGHIEP, /* don_vi_su_nghiep: a public service unit */
	HL_AGENCY_KHAC,      /* khac: another body that leads tasks (police, border guard) */
} hl_agency_kind;

typedef struct {
	char *code, *name, *short_name, *valid_from, *valid_to, *successor_code, *source, *note;
	hl_agency_kind kind;
} hl_agency;

typedef struct {
	size_t n;
	hl_agency *v;
} hl_agencies;

void hl_agencies_free(hl_agencies *l);
const char *hl_agency_kind_name(hl_agency_kind k);

typedef struct {
	uint64_t added, changed, unchanged;
	int64_t total; /* agencies in the register after the load */
} hl_agency_load_stats;

/* Loads the register at `path` (columns code, name, kind; short_name, valid_from, valid_to,
 * successor_code, source, note optional) in one transaction: new agencies added, changed ones
 * updated, the same ones left; loading twice changes nothing. A bad row (an empty or repeated
 * code, an unknown kind, a bad date, valid_to before valid_from, a successor that is not in
 * the file or the register) is HL_EINVALID naming the file, its line and the column, and
 * nothing is loaded. A load that changes anything is audited ("agency.load" by `actor`). */
int hl_agency_load(hl_agency_load_stats *out, hl_store *st, const char *path, const char *actor);

/* The agencies valid on `date` (ISO; NULL: every one ever), by code. */
int hl_agency_list(hl_agencies **out, hl_store *st, const char *date);

/* The agency named `name` on `date` (ISO; NULL: today's register, every agency): by code, by
 * name or by short name, compared without tones, case or repeated spaces; "tỉnh Quảng Ninh" at
 * the end may be left out. *out one agency. Unknown: HL_ENOTFOUND with a message naming the
 * closest known names ("unknown agency \"Sở Tai chinh\"; closest: Sở Tài chính tỉnh Quảng
 * Ninh (SO-TC)"). */
int hl_agency_find(hl_agency **out, hl_store *st, const char *name, const char *date);
void hl_agency_free(hl_agency *a);

#ifdef __cplusplus
}
#endif
#endif
