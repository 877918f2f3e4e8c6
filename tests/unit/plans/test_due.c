/* Tests of deadlines as Vietnamese plans write them (src/lib/plans/due.c): every form read to its
 * first and last day, every impossible one refused with its reason, what cannot be read reported
 * and never guessed, every deadline of the real appendix of Nghị quyết 03/NQ-CP read or
 * reported, and recurring duties expanded into their dated occurrences. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "halong/plans.h"
#include "halong/util.h"

#define APPENDIX HL_SOURCE_DATADIR "/plans/NQ03-NQ-CP-2025_tasks.csv"

static void read_as(const char *text, hl_due_kind kind, const char *start, const char *due)
{
	hl_due d;
	if (hl_due_parse(&d, text) != 0)
		fail_msg("\"%s\": %s", text, hl_error_last());
	if (d.kind != kind || strcmp(d.start, start) || strcmp(d.due, due))
		fail_msg("\"%s\" read as %s %s..%s, not %s %s..%s", text, hl_due_kind_name(d.kind),
		         d.start, d.due, hl_due_kind_name(kind), start, due);
}

static void refused(const char *text, const char *says)
{
	hl_due d;
	if (hl_due_parse(&d, text) != HL_EINVALID)
		fail_msg("\"%s\" read as %s %s..%s", text, hl_due_kind_name(d.kind), d.start,
		         d.due);
	assert_int_equal(d.kind, HL_DUE_UNREAD);
	assert_string_equal(d.due, "");
	if (!strstr(hl_error_last(), says))
		fail_msg("\"%s\": \"%s\" does not say \"%s\"", text, hl_error_last(), says);
}

static void test_dated_forms(void **state)
{
	(void)state;
	read_as("30/6/2025", HL_DUE_DATE, "2025-06-30", "2025-06-30");
	read_as("Trước ngày 30/06/2025", HL_DUE_DATE, "2025-06-30", "2025-06-30");
	read_as("chậm nhất ngày 15.3.2026", HL_DUE_DATE, "2026-03-15", "2026-03-15");
	read_as("2025-06-30", HL_DUE_DATE, "2025-06-30", "2025-06-30");
	read_as("29/2/2028", HL_DUE_DATE, "2028-02-29", "2028-02-29");
	read_as("6/2025", HL_DUE_MONTH, "2025-06-01", "2025-06-30");
	read_as("06/2025", HL_DUE_MONTH, "2025-06-01", "2025-06-30");
	read_as("Tháng 10/2025", HL_DUE_MONTH, "2025-10-01", "2025-10-31");
	read_as("tháng 2 năm 2028", HL_DUE_MONTH, "2028-02-01", "2028-02-29");
	read_as("2025-02", HL_DUE_MONTH, "2025-02-01", "2025-02-28");
	read_as("Quý II/2025", HL_DUE_QUARTER, "2025-04-01", "2025-06-30");
	read_as("QUÝ IV NĂM 2026", HL_DUE_QUARTER, "2026-10-01", "2026-12-31");
	read_as("quy 3/2025", HL_DUE_QUARTER, "2025-07-01", "2025-09-30");
	read_as("Quý I 2027", HL_DUE_QUARTER, "2027-01-01", "2027-03-31");
	read_as("6 tháng đầu năm 2025", HL_DUE_HALF, "2025-01-01", "2025-06-30");
	read_as("6 tháng cuối năm 2025", HL_DUE_HALF, "2025-07-01", "2025-12-31");
	read_as("2025", HL_DUE_YEAR, "2025-01-01", "2025-12-31");
	read_as("Năm 2030.", HL_DUE_YEAR, "2030-01-01", "2030-12-31");
	read_as("Trong năm 2025", HL_DUE_YEAR, "2025-01-01", "2025-12-31");
	read_as("Đến hết năm 2026", HL_DUE_YEAR, "2026-01-01", "2026-12-31");
	read_as("2025 - 2026", HL_DUE_RANGE, "2025-01-01", "2026-12-31");
	read_as("2025-2026", HL_DUE_RANGE, "2025-01-01", "2026-12-31");
	read_as("2025 – 2030", HL_DUE_RANGE, "2025-01-01", "2030-12-31");
	read_as("6/2025 - 12/2026", HL_DUE_RANGE, "2025-06-01", "2026-12-31");
	read_as("Từ năm 2025 đến hết năm 2027", HL_DUE_RANGE, "2025-01-01", "2027-12-31");
	read_as("Giai đoạn 2026-2030", HL_DUE_RANGE, "2026-01-01", "2030-12-31");
	read_as("  Quý\u00a0II/2025  ", HL_DUE_QUARTER, "2025-04-01", "2025-06-30");
	/* nothing written */
	read_as("", HL_DUE_NONE, "", "");
	read_as("   ", HL_DUE_NONE, "", "");
}

static void test_recurring_forms(void **state)
{
	hl_due d;
	(void)state;
	read_as("Thường xuyên", HL_DUE_ONGOING, "", "");
	read_as("Nhiệm vụ thường xuyên", HL_DUE_ONGOING, "", "");
	read_as("Hằng năm", HL_DUE_RECURRING, "", "");
	read_as("hàng năm", HL_DUE_RECURRING, "", "");
	read_as("2025 và những năm tiếp theo", HL_DUE_RECURRING, "2025-01-01", "");
	assert_int_equal(hl_due_parse(&d, "Trước ngày 15 hằng tháng"), 0);
	assert_int_equal(d.kind, HL_DUE_RECURRING);
	assert_int_equal(d.freq, HL_FREQ_MONTHLY);
	assert_int_equal(d.day, 15);
	assert_int_equal(hl_due_parse(&d, "ngày 20/12 hằng năm"), 0);
	assert_int_equal((int)d.freq * 100 + d.month * 10 + d.day, 100 * HL_FREQ_YEARLY + 140);
	assert_int_equal(hl_due_parse(&d, "Định kỳ hằng quý"), 0);
	assert_int_equal(d.freq, HL_FREQ_QUARTERLY);
	assert_int_equal(hl_due_parse(&d, "6 tháng một lần"), 0);
	assert_int_equal(d.freq, HL_FREQ_HALF_YEARLY);
	assert_int_equal(hl_due_parse(&d, "Hằng năm, từ năm 2026"), 0);
	assert_string_equal(d.start, "2026-01-01");
	assert_int_equal(d.freq, HL_FREQ_YEARLY);
}

static void test_impossible_and_unread(void **state)
{
	(void)state;
	refused("31/6/2025", "31/6/2025 does not exist");
	refused("29/2/2025", "does not exist");
	refused("13/2025", "month 13 does not exist");
	refused("Tháng 0/2025", "month 0 does not exist");
	refused("2026 - 2025", "ends before it starts");
	refused("Quý V/2025", "cannot be read");
	refused("sớm", "cannot be read (read are: 30/6/2025");
	refused("Theo tiến độ dự án", "cannot be read");
	refused("2025 và 2026", "cannot be read");
	refused("ngày 15 hằng năm", "cannot be read");
	refused("ngày 15/6 hằng tháng", "cannot be read");
	refused("Từ 2025", "cannot be read");
	refused("30/6/2025 hoặc sớm hơn", "cannot be read");
	refused("1850", "cannot be read");
	refused("\xff\xfe", "UTF-8");
	{
		char big[400];
		memset(big, '2', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		refused(big, "at most 200 bytes");
	}
}

/* Every deadline of Phụ lục II of Nghị quyết 03/NQ-CP (data/plans, 147 rows) is read, or
 * reported; each read one agrees with the transcription's own due_date column (yyyy, yyyy-mm,
 * yyyy-Qn) where it has one. */
static void test_real_appendix(void **state)
{
	hl_csv *csv = NULL;
	char **f;
	size_t n;
	uint64_t line;
	int rows = 0, read = 0, none = 0, agree = 0;
	hl_due d;
	(void)state;

	assert_int_equal(hl_csv_open(&csv, APPENDIX), 0);
	assert_int_equal(hl_csv_next(csv, &f, &n, &line), 1);
	assert_string_equal(f[6], "due");
	assert_string_equal(f[7], "due_date");
	while (hl_csv_next(csv, &f, &n, &line) == 1) {
		const char *due = f[6], *due_date = f[7];
		char want[16];
		rows++;
		if (hl_due_parse(&d, due) != 0)
			fail_msg("line %llu: \"%s\" not read: %s", (unsigned long long)line, due,
			         hl_error_last());
		if (d.kind == HL_DUE_NONE) {
			none++;
			continue;
		}
		read++;
		if (!*due_date)
			continue;
		if (strlen(due_date) == 7 && due_date[5] == 'Q')
			snprintf(want, sizeof(want), "%.4s-%02d", due_date,
			         3 * (due_date[6] - '0'));
		else
			snprintf(want, sizeof(want), "%.15s", due_date);
		if (strncmp(d.due, want, strlen(want)))
			fail_msg("line %llu: \"%s\" due %s, the transcription says %s",
			         (unsigned long long)line, due, d.due, due_date);
		agree++;
	}
	hl_csv_free(csv);
	assert_int_equal(rows, 147);
	assert_int_equal(none, 8); /* the section rows and tasks with no deadline written */
	assert_int_equal(read, 139);
	assert_int_equal(agree, 118); /* the other 21: Thường xuyên, Hằng năm, ranges */
}

static int collect(const char *start, const char *due, void *ud)
{
	char *out = ud;
	size_t n = strlen(out);
	snprintf(out + n, 1024 - n, "%s..%s ", start, due);
	return 0;
}

static void occurs(const char *text, hl_freq every, const char *from, const char *to,
                   const char *want)
{
	char out[1024] = "";
	hl_due d;
	assert_int_equal(hl_due_parse(&d, text), 0);
	assert_int_equal(hl_due_occurrences(&d, every, from, to, collect, out), 0);
	if (strcmp(out, want))
		fail_msg("\"%s\" %s..%s: \"%s\", not \"%s\"", text, from, to, out, want);
}

static void test_occurrences(void **state)
{
	hl_due d;
	(void)state;
	occurs("Trước ngày 15 hằng tháng", HL_FREQ_NONE, "2025-01-20", "2025-04-30",
	       "2025-02-01..2025-02-15 2025-03-01..2025-03-15 2025-04-01..2025-04-15 ");
	occurs("Hằng quý", HL_FREQ_NONE, "2025-01-01", "2025-12-31",
	       "2025-01-01..2025-03-31 2025-04-01..2025-06-30 2025-07-01..2025-09-30 "
	       "2025-10-01..2025-12-31 ");
	occurs("ngày 20/12 hằng năm", HL_FREQ_NONE, "2025-06-01", "2027-01-01",
	       "2025-01-01..2025-12-20 2026-01-01..2026-12-20 ");
	occurs("2026 và những năm tiếp theo", HL_FREQ_NONE, "2025-01-01", "2027-12-31",
	       "2026-01-01..2026-12-31 2027-01-01..2027-12-31 ");
	occurs("6 tháng một lần", HL_FREQ_NONE, "2025-03-01", "2025-12-31",
	       "2025-01-01..2025-06-30 2025-07-01..2025-12-31 ");
	/* a monthly duty on the 31st: the month's last day where it has none */
	occurs("ngày 31 hằng tháng", HL_FREQ_NONE, "2025-01-01", "2025-03-31",
	       "2025-01-01..2025-01-31 2025-02-01..2025-02-28 2025-03-01..2025-03-31 ");
	/* an ongoing duty recurs by the plan's reporting period, or not at all */
	occurs("Thường xuyên", HL_FREQ_QUARTERLY, "2025-05-01", "2025-12-31",
	       "2025-04-01..2025-06-30 2025-07-01..2025-09-30 2025-10-01..2025-12-31 ");
	occurs("Thường xuyên", HL_FREQ_NONE, "2025-01-01", "2025-12-31", "");
	/* one period is one occurrence, when due in the window */
	occurs("Quý II/2025", HL_FREQ_MONTHLY, "2025-01-01", "2025-12-31",
	       "2025-04-01..2025-06-30 ");
	occurs("Quý II/2025", HL_FREQ_MONTHLY, "2025-07-01", "2025-12-31", "");
	occurs("2025 - 2026", HL_FREQ_NONE, "2025-01-01", "2026-12-31", "2025-01-01..2026-12-31 ");
	/* bad windows, and more than the limit */
	assert_int_equal(hl_due_parse(&d, "Hằng tháng"), 0);
	assert_int_equal(
	    hl_due_occurrences(&d, HL_FREQ_NONE, "2025-13-01", "2026-01-01", collect, NULL),
	    HL_EINVALID);
	assert_int_equal(hl_due_occurrences(&d, HL_FREQ_NONE, "0001-01-01", "9999-12-31", collect,
	                                    (char[1024]){0}),
	                 HL_ELIMIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dated_forms),           cmocka_unit_test(test_recurring_forms),
	    cmocka_unit_test(test_impossible_and_unread), cmocka_unit_test(test_real_appendix),
	    cmocka_unit_test(test_occurrences),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
