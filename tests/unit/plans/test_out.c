/* Tests of what goes out of plans (src/lib/plans/out.c) on a real store holding a small plan
 * (test data, not real figures): the calendar feed of an agency checked line by line against
 * RFC 5545 (CRLF, 75-octet folds between characters, escapes, one VTODO per task and per
 * occurrence of a duty, an all-day VEVENT per deadline, statuses and progress), the feed's token
 * never stored, its revocation answering as an unknown token; the exports read back (CSV with
 * its formula guard, XLSX through the project's own reader: a date cell is a date), the
 * evaluation report with the national heading and the count line, its PDF; and every bad input
 * refused with nothing written. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "halong/plans.h"
#include "halong/text.h"
#include "halong/util.h"
#include "store/store.h"

#define REGISTER HL_SOURCE_DATADIR "/agencies/quang_ninh_agencies.csv"
#define AT       "2025-07-15"
#define TITLE1   "Số hóa hồ sơ; lưu trữ, khai thác \\ kiểm thử đặc biệt"

typedef struct {
	char dir[64], db[96], out[128];
	hl_store *st;
	hl_principal me;
} fx;

static void write_file(const char *path, const char *text)
{
	FILE *o = fopen(path, "w");
	assert_non_null(o);
	fputs(text, o);
	fclose(o);
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = 0;
	fclose(f);
	if (len)
		*len = (size_t)n;
	return b;
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	char path[128];
	hl_agency_load_stats as;
	hl_plan_import_stats s;
	hl_plan_import_opts o = {0};
	int64_t id;

	snprintf(f->dir, sizeof(f->dir), "/tmp/hl-out-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/h.db", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/out", f->dir);
	if (hl_store_open(&f->st, f->db, 1) < 0 || hl_agency_load(&as, f->st, REGISTER, "t") < 0)
		return -1;
	f->me = hl_principal_local("test");
	snprintf(path, sizeof(path), "%s/plans.csv", f->dir);
	write_file(path, "plan_id,number,date,issuer,title,period,compiler,access\n"
	                 "KH-T,01/KH-T,2025-03-05,Sở thử,Kế hoạch thử nghiệm (dữ liệu thử),2025,"
	                 "SO-KHCN,internal\n"
	                 "KH-M,02/KH-T,2025-03-05,Sở thử,Kế hoạch hạn chế (dữ liệu thử),2025,"
	                 "SO-KHCN,restricted\n");
	if (hl_plan_import(&s, f->st, &f->me, path, &o) < 0)
		return -1;
	hl_plan_import_stats_free(&s);
	snprintf(path, sizeof(path), "%s/t1.csv", f->dir);
	write_file(path,
	           "plan_id,item_no,title,lead_agency,supporting_agencies,due,output,weight\n"
	           "KH-T,I,Chuyển đổi số (mục),,,,,\n"
	           "KH-T,1,\"" TITLE1 "\",SO-KHCN,SO-TC,30/6/2025,\"Kho dữ liệu, báo cáo\",1\n"
	           "KH-T,2,Triển khai nền tảng học tập số cho cán bộ công chức viên chức toàn "
	           "thành phố Quảng Ninh giai đoạn đầu,SO-KHCN,,Quý III/2025,Nền tảng,2\n"
	           "KH-T,3,Báo cáo tiến độ chuyển đổi số hằng quý,SO-KHCN,,Hằng quý,Báo cáo,1\n"
	           "KH-T,4,- Rà soát ngân sách chi cho chuyển đổi số,SO-TC,,31/12/2025,Báo cáo,1\n"
	           "KH-T,5,Ban hành danh mục cơ sở dữ liệu dùng chung,SO-KHCN,,15/3/2025,QĐ,1\n");
	if (hl_plan_import(&s, f->st, &f->me, path, &o) < 0)
		return -1;
	hl_plan_import_stats_free(&s);
	snprintf(path, sizeof(path), "%s/t2.csv", f->dir);
	write_file(path, "plan_id,item_no,title,lead_agency,due\n"
	                 "KH-M,1,Nhiệm vụ hạn chế không ra lịch,SO-KHCN,30/9/2025\n");
	if (hl_plan_import(&s, f->st, &f->me, path, &o) < 0)
		return -1;
	hl_plan_import_stats_free(&s);
	hl_report_in r1 = {.task = "KH-T/2",
	                   .period = "2025-07",
	                   .progress = 50,
	                   .results = "Một nửa",
	                   .at = "2025-07-10"};
	hl_report_in r2 = {.task = "KH-T/5",
	                   .period = "2025-03",
	                   .progress = 100,
	                   .state = HL_REPORT_DONE,
	                   .done_on = "2025-03-10",
	                   .at = "2025-03-12"};
	if (hl_task_report(&id, f->st, &f->me, &r1) < 0 ||
	    hl_task_report(&id, f->st, &f->me, &r2) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	char cmd[160];
	hl_store_free(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* The content lines of an iCalendar text, unfolded; every physical line checked on the way. */
static char **unfold(const char *ics, size_t len, size_t *n)
{
	char **v = calloc(len / 2 + 2, sizeof(char *));
	size_t k = 0;
	const char *p = ics, *end = ics + len;
	*n = 0;
	while (p < end) {
		const char *crlf = strstr(p, "\r\n");
		assert_non_null(crlf); /* every line ends in CRLF */
		size_t l = (size_t)(crlf - p);
		assert_true(l <= 75);                                /* folded at 75 octets */
		assert_null(memchr(p, '\n', l));                     /* no bare line feed */
		assert_int_equal(hl_text_check_utf8(p, l, NULL), 0); /* never inside a character */
		if (*p == ' ') {
			assert_true(k > 0);
			size_t old = strlen(v[k - 1]);
			v[k - 1] = realloc(v[k - 1], old + l);
			memcpy(v[k - 1] + old, p + 1, l - 1);
			v[k - 1][old + l - 1] = 0;
		} else {
			v[k] = strndup(p, l);
			k++;
		}
		p = crlf + 2;
	}
	*n = k;
	return v;
}

static size_t count(char **v, size_t n, const char *line)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += !strcmp(v[i], line);
	return c;
}

static int has_prefix(char **v, size_t n, const char *prefix)
{
	for (size_t i = 0; i < n; i++)
		if (!strncmp(v[i], prefix, strlen(prefix)))
			return 1;
	return 0;
}

/* The value of property `name` in the component whose UID is `uid`. */
static const char *prop(char **v, size_t n, const char *uid, const char *name)
{
	size_t i = 0, nl = strlen(name);
	for (; i < n && strcmp(v[i] + (strncmp(v[i], "UID:", 4) ? 0 : 4), uid); i++)
		;
	for (size_t j = i; j > 0 && strncmp(v[j], "BEGIN:", 6); j--)
		;
	for (; i < n && strncmp(v[i], "END:", 4); i++)
		if (!strncmp(v[i], name, nl) && (v[i][nl] == ':' || v[i][nl] == ';'))
			return strchr(v[i] + nl, ':') + 1;
	return NULL;
}

static void test_ical(void **state)
{
	fx *f = *state;
	char *token = NULL, *ics = NULL, id[13], uid[64];
	size_t len, n;
	int64_t t1;

	assert_int_equal(hl_plans_feed_new(&token, id, f->st, &f->me, "SO-KHCN", "lịch thử"), 0);
	assert_int_equal(strlen(token), 47);
	assert_memory_equal(token, "hlc_", 4);
	assert_int_equal(hl_plans_ical(&ics, &len, f->st, token, "test.example", AT), 0);
	char **v = unfold(ics, len, &n);
	assert_string_equal(v[0], "BEGIN:VCALENDAR");
	assert_string_equal(v[n - 1], "END:VCALENDAR");
	assert_int_equal(count(v, n, "VERSION:2.0"), 1);
	assert_true(has_prefix(v, n, "PRODID:-//halong//"));
	/* tasks 1, 2 and 5 of KH-T and the four quarters of duty 3; not SO-TC's task 4, not the
	 * restricted plan's */
	assert_int_equal(count(v, n, "BEGIN:VTODO"), 7);
	assert_int_equal(count(v, n, "BEGIN:VEVENT"), 7);
	assert_false(strstr(ics, "không ra lịch"));
	assert_false(strstr(ics, "Rà soát ngân sách"));
	/* every component stamped */
	assert_int_equal(count(v, n, "END:VTODO") + count(v, n, "END:VEVENT"), 14);
	size_t stamps = 0;
	for (size_t i = 0; i < n; i++)
		stamps += !strncmp(v[i], "DTSTAMP:", 8) && strlen(v[i]) == 24 && v[i][23] == 'Z';
	assert_int_equal(stamps, 14);
	/* task 1: the title escaped (RFC 5545 3.3.11), due 30/6/2025, overdue with nothing done */
	{
		hl_task *t = NULL;
		assert_int_equal(hl_task_get(&t, f->st, &f->me, "KH-T/1", AT), 0);
		t1 = t->id;
		hl_task_free(t);
	}
	snprintf(uid, sizeof(uid), "task-%lld-20250630@test.example", (long long)t1);
	assert_string_equal(prop(v, n, uid, "SUMMARY"),
	                    "Số hóa hồ sơ\\; lưu trữ\\, khai thác \\\\ kiểm thử đặc biệt");
	assert_string_equal(prop(v, n, uid, "DUE"), "20250630");
	assert_int_equal(count(v, n, "DUE;VALUE=DATE:20250630"), 2); /* task 1, duty 3's Q2 */
	assert_string_equal(prop(v, n, uid, "STATUS"), "NEEDS-ACTION");
	assert_string_equal(prop(v, n, uid, "PERCENT-COMPLETE"), "0");
	assert_string_equal(prop(v, n, uid, "X-HALONG-STATUS"), "overdue");
	assert_non_null(strstr(prop(v, n, uid, "DESCRIPTION"), "STT: 1 (KH-T/1)\\nSản phẩm: Kho "
	                                                       "dữ liệu\\, báo cáo\\n"));
	/* task 2: reported at 50% */
	snprintf(uid, sizeof(uid), "task-%lld-20250930@test.example", (long long)t1 + 1);
	assert_string_equal(prop(v, n, uid, "STATUS"), "IN-PROCESS");
	assert_string_equal(prop(v, n, uid, "PERCENT-COMPLETE"), "50");
	/* task 5: done on time */
	snprintf(uid, sizeof(uid), "task-%lld-20250315@test.example", (long long)t1 + 4);
	assert_string_equal(prop(v, n, uid, "STATUS"), "COMPLETED");
	assert_string_equal(prop(v, n, uid, "PERCENT-COMPLETE"), "100");
	/* the deadline's all-day event */
	snprintf(uid, sizeof(uid), "deadline-%lld-20250315@test.example", (long long)t1 + 4);
	assert_string_equal(prop(v, n, uid, "DTSTART"), "20250315");
	assert_string_equal(prop(v, n, uid, "DTEND"), "20250316");
	assert_int_equal(count(v, n, "DTSTART;VALUE=DATE:20250315"), 1);
	/* the quarters of duty 3 */
	for (int q = 0; q < 4; q++) {
		static const char *const due[] = {"20250331", "20250630", "20250930", "20251231"};
		snprintf(uid, sizeof(uid), "task-%lld-%s@test.example", (long long)t1 + 2, due[q]);
		assert_non_null(prop(v, n, uid, "DUE"));
	}
	/* the same clock, the same calendar but for the stamps: UIDs are stable */
	char *again = NULL;
	size_t len2;
	assert_int_equal(hl_plans_ical(&again, &len2, f->st, token, "test.example", AT), 0);
	assert_int_equal(len2, len);
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	free(again);
	free(ics);
	free(token);
}

static int holds(const char *path, const char *needle)
{
	size_t len;
	char *b = read_all(path, &len);
	int found = 0;
	if (!b)
		return 0;
	for (size_t i = 0; i + strlen(needle) <= len && !found; i++)
		found = !memcmp(b + i, needle, strlen(needle));
	free(b);
	return found;
}

static void test_feed_revoke(void **state)
{
	fx *f = *state;
	char *token = NULL, *ics = NULL, id[13], unknown[200], wal[128];
	size_t len;
	hl_plan_feeds *l = NULL;
	hl_principal admin = {.user_id = 999, .role = HL_ROLE_ADMIN};
	hl_principal other = {.user_id = 998, .role = HL_ROLE_OFFICER};
	hl_principal anon = hl_principal_anonymous();

	assert_int_equal(hl_plans_feed_new(&token, id, f->st, &admin, "Sở Tài chính", NULL), 0);
	/* only the token's hash is stored: not in the database, not in its log */
	snprintf(wal, sizeof(wal), "%s-wal", f->db);
	assert_false(holds(f->db, token) || holds(wal, token));
	assert_int_equal(hl_plans_ical(&ics, &len, f->st, token, NULL, AT), 0);
	free(ics);
	/* a user of no agency, and anonymous, manage no feed */
	assert_int_equal(hl_plans_feed_revoke(f->st, &other, id), HL_ENOTFOUND);
	assert_int_equal(hl_plans_feed_list(&l, f->st, &other), HL_EDENIED);
	assert_int_equal(hl_plans_feed_list(&l, f->st, &anon), HL_EDENIED);
	char *t2 = NULL;
	assert_int_equal(hl_plans_feed_new(&t2, NULL, f->st, &other, "SO-TC", NULL), HL_EDENIED);
	assert_int_equal(hl_plans_feed_new(&t2, NULL, f->st, &anon, "SO-TC", NULL), HL_EDENIED);
	assert_int_equal(hl_plans_feed_new(&t2, NULL, f->st, &admin, "Sở Không Có", NULL),
	                 HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "agency:"));
	assert_int_equal(hl_plans_feed_new(&t2, NULL, f->st, &admin, "SO-TC", "a\nb"), HL_EINVALID);
	assert_null(t2);
	/* a bad reference */
	assert_int_equal(hl_plans_feed_revoke(f->st, &admin, "abc"), HL_EINVALID);
	assert_int_equal(hl_plans_feed_revoke(f->st, &admin, "zzzzzzzzzz"), HL_EINVALID);
	assert_int_equal(hl_plans_feed_revoke(f->st, &admin, "0000000000000"), HL_ENOTFOUND);
	/* revoked: answered as an unknown token, word for word */
	assert_int_equal(hl_plans_ical(&ics, &len, f->st,
	                               "hlc_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, AT),
	                 HL_ENOTFOUND);
	snprintf(unknown, sizeof(unknown), "%s", hl_error_last());
	assert_int_equal(hl_plans_feed_revoke(f->st, &admin, id), 0);
	assert_int_equal(hl_plans_ical(&ics, &len, f->st, token, NULL, AT), HL_ENOTFOUND);
	assert_string_equal(hl_error_last(), unknown);
	assert_null(ics);
	assert_int_equal(hl_plans_feed_revoke(f->st, &admin, id), HL_ECONFLICT);
	assert_int_equal(hl_plans_feed_list(&l, f->st, &admin), 0);
	int seen = 0;
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].id, id)) {
			seen = 1;
			assert_string_equal(l->v[i].agency, "SO-TC");
			assert_non_null(l->v[i].revoked_at);
		}
	assert_true(seen);
	hl_plan_feeds_free(l);
	/* garbage tokens */
	assert_int_equal(hl_plans_ical(&ics, &len, f->st, "", NULL, AT), HL_ENOTFOUND);
	assert_int_equal(hl_plans_ical(&ics, &len, f->st, "hlt_x", NULL, AT), HL_ENOTFOUND);
	free(token);
}

/* The files in the fixture's folder whose name starts with `prefix`. */
static int files_like(const fx *f, const char *prefix)
{
	DIR *d = opendir(f->dir);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

static void test_export_csv_xlsx(void **state)
{
	fx *f = *state;
	hl_plans_export_in in = {"KH-T", "tasks", "csv", NULL, AT};
	char *csv;
	assert_int_equal(hl_plans_export(f->st, &f->me, &in, f->out), 0);
	csv = read_all(f->out, NULL);
	assert_memory_equal(csv, "\xEF\xBB\xBFSTT,Thuộc,Nhiệm vụ,", 28);
	assert_non_null(strstr(csv, "\"" TITLE1 "\",SO-KHCN") || strstr(csv, TITLE1));
	/* a text that a spreadsheet would take for a formula starts with a quote mark */
	assert_non_null(strstr(csv, ",'- Rà soát ngân sách"));
	assert_non_null(strstr(csv, "2025-09-30,Nền tảng,2,\"Đang thực hiện, đúng tiến độ\","
	                            "on_time,50.0,"));
	free(csv);

	/* the same tasks in a workbook, read back by the project's own XLSX reader */
	in.format = "xlsx";
	assert_int_equal(hl_plans_export(f->st, &f->me, &in, f->out), 0);
	hl_xlsx *x = NULL;
	char **cells;
	size_t nc;
	uint64_t row;
	int found = 0;
	assert_int_equal(hl_xlsx_open(&x, f->out, "Nhiệm vụ"), 0);
	assert_int_equal(hl_xlsx_next(x, &cells, &nc, &row), 1);
	assert_string_equal(cells[0], "STT");
	assert_string_equal(cells[6], "Hạn");
	while (hl_xlsx_next(x, &cells, &nc, &row) == 1)
		if (!strcmp(cells[0], "1")) {
			found = 1;
			assert_string_equal(cells[2], TITLE1);
			assert_string_equal(cells[6],
			                    "2025-06-30"); /* a date: its format says so */
			assert_string_equal(cells[10], "overdue");
		} else if (!strcmp(cells[0], "2")) {
			assert_string_equal(cells[11], "50");
		}
	assert_true(found);
	hl_xlsx_free(x);

	/* tasks due in the third quarter: task 2, duty 3's occurrence */
	in.format = "csv";
	in.period = "Quý III/2025";
	assert_int_equal(hl_plans_export(f->st, &f->me, &in, f->out), 0);
	csv = read_all(f->out, NULL);
	size_t lines = 0;
	for (char *p = csv; (p = strstr(p, "\r\n")); p += 2)
		lines++;
	assert_int_equal(lines, 3);
	free(csv);

	/* reports: both, each with its verdict */
	in.what = "reports";
	in.period = NULL;
	assert_int_equal(hl_plans_export(f->st, &f->me, &in, f->out), 0);
	csv = read_all(f->out, NULL);
	assert_non_null(strstr(csv, "KH-T/2,"));
	assert_non_null(strstr(csv, ",Chờ thẩm định,"));
	free(csv);

	/* the evaluation: an agency a row, and the total */
	in.what = "eval";
	in.period = "2025";
	assert_int_equal(hl_plans_export(f->st, &f->me, &in, f->out), 0);
	csv = read_all(f->out, NULL);
	assert_non_null(strstr(csv,
	                       "\r\n2,SO-KHCN,Sở Khoa học và Công nghệ tỉnh Quảng Ninh,7,1,0,1,"
	                       "2,3,0,0,14.2,14.2,"));
	assert_non_null(strstr(csv, ",,Tổng cộng,8,1,0,1,3,3,0,0,12.5,12.5,"));
	/* ranked: SO-TC's one task not started scores 0, above SO-KHCN's three overdue */
	assert_non_null(strstr(csv, "\r\n1,SO-TC,"));
	free(csv);
	assert_int_equal(files_like(f, ".halong-export"), 0);
}

static void test_export_report(void **state)
{
	fx *f = *state;
	hl_plans_export_in in = {"KH-T", "eval", "html", "2025-Q2", AT};
	hl_eval_in ein = {.plan = "KH-T", .period = "2025-Q2", .at = AT};
	hl_eval *e = NULL;
	char *html, *up = NULL;
	size_t len;

	assert_int_equal(hl_plans_export(f->st, &f->me, &in, f->out), 0);
	html = read_all(f->out, NULL);
	assert_non_null(strstr(html, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
	assert_non_null(strstr(html, "Độc lập - Tự do - Hạnh phúc"));
	assert_non_null(strstr(html, "SỞ KHOA HỌC VÀ CÔNG NGHỆ TỈNH QUẢNG NINH"));
	assert_non_null(strstr(html, "Quảng Ninh, ngày 15 tháng 7 năm 2025"));
	assert_non_null(strstr(html, "<h1>BÁO CÁO</h1>"));
	assert_non_null(strstr(html, "Kết quả thực hiện Kế hoạch thử nghiệm (dữ liệu thử) quý II "
	                             "năm 2025"));
	assert_int_equal(hl_plan_eval(&e, f->st, &f->me, &ein), 0);
	assert_string_equal(e->line_vi, "Trong tổng số 2 nhiệm vụ: 0 đã hoàn thành (0 đúng hạn, 0 "
	                                "quá hạn); 0 đang thực hiện đúng tiến độ; 2 chậm tiến độ, "
	                                "quá hạn; 0 chưa triển khai; 0 chờ hướng dẫn.");
	assert_non_null(strstr(html, e->line_vi));
	hl_eval_free(e);
	free(html);
	/* a day below 10 and January take a 0 */
	in.at = "2026-01-05";
	assert_int_equal(hl_plans_export(f->st, &f->me, &in, f->out), 0);
	html = read_all(f->out, NULL);
	assert_non_null(strstr(html, "Quảng Ninh, ngày 05 tháng 01 năm 2026"));
	free(html);

	in.format = "pdf";
	in.at = AT;
	assert_int_equal(hl_plans_export(f->st, &f->me, &in, f->out), 0);
	html = read_all(f->out, &len);
	assert_true(len > 1000);
	assert_memory_equal(html, "%PDF-", 5);
	free(html);

	assert_int_equal(hl_text_upper(&up, "Sở Khoa học và Công nghệ; đường ống", -1), 0);
	assert_string_equal(up, "SỞ KHOA HỌC VÀ CÔNG NGHỆ; ĐƯỜNG ỐNG");
	free(up);
}

static void test_export_bad(void **state)
{
	fx *f = *state;
	char path[128];
	hl_principal viewer = {.user_id = 997, .role = HL_ROLE_VIEWER};
	struct {
		hl_plans_export_in in;
		const hl_principal *who;
		int rc;
		const char *msg;
	} bad[] = {
	    {{"KH-T", "people", "csv", NULL, AT}, NULL, HL_EINVALID, "what: \"people\""},
	    {{"KH-T", "tasks", "docx", NULL, AT}, NULL, HL_EINVALID, "format: \"docx\""},
	    {{"KH-T", "tasks", "pdf", NULL, AT}, NULL, HL_EINVALID, "format: pdf is the printable"},
	    {{"KH-T", "eval", "csv", "2025-13", AT}, NULL, HL_EINVALID, "period: \"2025-13\""},
	    {{"KH-T", "eval", "pdf", "Quý V/2025", AT}, NULL, HL_EINVALID, "period:"},
	    {{"KH-T", "reports", "csv", "2031", AT}, NULL, HL_EINVALID, "period: 2031 is outside"},
	    {{"KH-T", "tasks", "csv", NULL, "2025-02-30"}, NULL, HL_EINVALID, "--at"},
	    {{"KH-X", "tasks", "csv", NULL, AT}, NULL, HL_ENOTFOUND, "no plan"},
	    /* restricted: above a viewer's ceiling, the same answer as a plan that is not there */
	    {{"KH-M", "tasks", "xlsx", NULL, AT}, &viewer, HL_ENOTFOUND, "no plan \"KH-M\""},
	    {{NULL, "tasks", "csv", NULL, AT}, NULL, HL_EINVALID, "plan:"},
	};
	snprintf(path, sizeof(path), "%s/never", f->dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = hl_plans_export(f->st, bad[i].who ? bad[i].who : &f->me, &bad[i].in, path);
		if (rc != bad[i].rc || !strstr(hl_error_last(), bad[i].msg))
			fail_msg("case %zu: %d %s", i, rc, hl_error_last());
		assert_int_equal(access(path, F_OK), -1);
	}
	/* the viewer reads the internal plan */
	hl_plans_export_in ok = {"KH-T", "tasks", "xlsx", NULL, AT};
	assert_int_equal(hl_plans_export(f->st, &viewer, &ok, path), 0);
	unlink(path);
	/* a folder that cannot be written: an error naming it, nothing left */
	assert_int_equal(hl_plans_export(f->st, &f->me, &ok, "/nonexistent-dir/x.xlsx"), HL_EIO);
	assert_non_null(strstr(hl_error_last(), "/nonexistent-dir/x.xlsx"));
	assert_int_equal(files_like(f, ".halong-export"), 0);
}

int main(void)
{
	setenv("HALONG_TODAY", AT, 1);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ical),
	    cmocka_unit_test(test_feed_revoke),
	    cmocka_unit_test(test_export_csv_xlsx),
	    cmocka_unit_test(test_export_report),
	    cmocka_unit_test(test_export_bad),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
