/* Tests of the warnings (src/lib/plans/notice.c): the mail's pieces byte for byte —
 * quoted-printable lines of 76 at most that decode back and never split a character, RFC 2047
 * encoded-words that decode back, the headers of a whole message read back by Python's own
 * e-mail parser (Debian's /usr/bin/python3), the addresses and URLs refused — and the outbox on
 * a real store: notices planned once, a bad contact refused with nothing written, a failed send
 * kept with its error and tried again until notice_attempts, a notice that became moot
 * dropped. (The real SMTP server is in tests/e2e/test_plans_notify.py.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "halong/plans.h"
#include "halong/util.h"
#include "plans/notice_int.h"
#include "store/store.h"

#define REGISTER HL_SOURCE_DATADIR "/agencies/quang_ninh_agencies.csv"

/* ---- decoders written here, independent of the encoders ---- */

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Quoted-printable back to text with LF line ends; NULL when malformed. */
static char *qp_decode(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;
	while (*s) {
		if (s[0] == '=' && s[1] == '\r' && s[2] == '\n')
			s += 3;
		else if (s[0] == '=') {
			int a = hexval(s[1]), b = a < 0 ? -1 : hexval(s[2]);
			if (b < 0) {
				free(out);
				return NULL;
			}
			*o++ = (char)(a * 16 + b);
			s += 3;
		} else if (s[0] == '\r' && s[1] == '\n') {
			*o++ = '\n';
			s += 2;
		} else
			*o++ = *s++;
	}
	*o = 0;
	return out;
}

static int b64val(char c)
{
	const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(a, c) : NULL;
	return p ? (int)(p - a) : -1;
}

/* Appends the base64 text s[0..n) decoded to out; its length. */
static size_t b64_decode(char *out, const char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i + 3 < n; i += 4) {
		int v[4];
		for (int k = 0; k < 4; k++)
			v[k] = s[i + k] == '=' ? 0 : b64val(s[i + k]);
		unsigned w = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 |
		             (unsigned)v[3];
		out[o++] = (char)(w >> 16);
		if (s[i + 2] != '=')
			out[o++] = (char)(w >> 8 & 255);
		if (s[i + 3] != '=')
			out[o++] = (char)(w & 255);
	}
	return o;
}

/* Is s[0..n) whole UTF-8 characters? */
static int whole_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t l = s[i] < 0x80 ? 1 : (s[i] >> 5) == 6 ? 2 : (s[i] >> 4) == 14 ? 3 : 4;
		if (i + l > n)
			return 0;
		for (size_t k = 1; k < l; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		i += l;
	}
	return 1;
}

/* The longest line of s (CRLF-separated), in bytes. */
static size_t longest_line(const char *s)
{
	size_t best = 0;
	while (*s) {
		const char *e = strstr(s, "\r\n");
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n > best)
			best = n;
		s += n + (e ? 2 : 0);
	}
	return best;
}

static const char *VI =
    "Kính gửi: Sở Khoa học và Công nghệ tỉnh Quảng Ninh\n\n"
    "1. Xây dựng, trình Thủ tướng Chính phủ ban hành và tổ chức triển khai chương trình tuyên "
    "truyền thường xuyên, sâu rộng về nội dung Nghị quyết 57-NQ/TW theo hướng: đa dạng hóa các "
    "hình thức, cụ thể hóa nội dung và có mục tiêu cụ thể.\n"
    "   Thời hạn: 30/06/2025, đã quá hạn 3 ngày  \n"
    "a=b, tab\tend\t\n"
    ".a line starting with a dot\n"
    "ĐỀ NGHỊ QUÝ CƠ QUAN KHẨN TRƯƠNG 😀 báo cáo\n";

static void test_qp(void **state)
{
	(void)state;
	char *q = hl_plans__qp("a=b x \nViệt\n");
	assert_string_equal(q, "a=3Db x=20\r\nVi=E1=BB=87t\r\n");
	free(q);

	q = hl_plans__qp(VI);
	assert_non_null(q);
	assert_true(longest_line(q) <= 76);
	for (const char *p = q; *p; p++) {
		assert_true(*p != '\n' || (p > q && p[-1] == '\r')); /* CRLF only */
		assert_true((unsigned char)*p < 0x80);               /* 7 bits */
	}
	char *back = qp_decode(q);
	assert_non_null(back);
	assert_string_equal(back, VI);
	free(back);
	/* a soft break never splits a character: the next line does not start with a
	 * continuation byte */
	for (const char *p = strstr(q, "=\r\n"); p; p = strstr(p + 1, "=\r\n")) {
		const char *n = p + 3;
		if (n[0] == '=') {
			int b = hexval(n[1]) * 16 + hexval(n[2]);
			assert_false(b >= 0x80 && b < 0xc0);
		}
	}
	/* a long line of one letter: 75 and a soft break each */
	char *xs = malloc(301);
	memset(xs, 'x', 300);
	xs[300] = 0;
	char *qx = hl_plans__qp(xs);
	assert_true(longest_line(qx) <= 76);
	back = qp_decode(qx);
	assert_string_equal(back, xs);
	free(back);
	free(qx);
	free(xs);
	free(q);
}

static void test_header_words(void **state)
{
	(void)state;
	char *w = hl_plans__header_words("Plain ASCII subject");
	assert_string_equal(w, "Plain ASCII subject");
	free(w);
	/* "=?" in plain text would read as an encoded word: encoded */
	w = hl_plans__header_words("a =?x?= b");
	assert_non_null(strstr(w, "=?UTF-8?B?"));
	free(w);

	const char *subj = "[SO-KHCN] Nhắc việc ngày 03/07/2025: 2 nhiệm vụ quá hạn, 1 nhiệm vụ "
	                   "sắp đến hạn — Sở Khoa học và Công nghệ tỉnh Quảng Ninh 😀";
	w = hl_plans__header_words(subj);
	assert_non_null(w);
	/* each line a word of 75 at most, 76 with its leading space, after "Subject: " too */
	assert_true(longest_line(w) <= 76 - strlen("Subject: "));
	char back[1024];
	size_t n = 0;
	for (const char *p = w; (p = strstr(p, "=?UTF-8?B?"));) {
		const char *e = strstr(p + 10, "?=");
		assert_non_null(e);
		assert_true(e + 2 - p <= 75);
		size_t got = b64_decode(back + n, p + 10, (size_t)(e - p - 10));
		assert_true(whole_utf8((const unsigned char *)back + n, got));
		n += got;
		p = e + 2;
		assert_true(!*p || !strncmp(p, "\r\n ", 3));
	}
	back[n] = 0;
	assert_string_equal(back, subj);
	free(w);
}

static void test_addresses(void **state)
{
	(void)state;
	static const char *const good[] = {"vanphong@skhcn.quangninh.gov.vn", "a@b.vn",
	                                   "so.tc+canhbao@quangninh.gov.vn",
	                                   "x_y-z@mail-1.example.com", "o'neil@a.b"};
	static const char *const bad[] = {"",
	                                  "a@b",
	                                  "@b.vn",
	                                  "a@",
	                                  "a b@c.vn",
	                                  "a@b.vn\r\nBcc: x@y.vn",
	                                  "a@b.vn\nRCPT TO:<x@y.vn>",
	                                  "<a@b.vn>",
	                                  "Văn phòng <a@b.vn>",
	                                  "a@@b.vn",
	                                  "a@b@c.vn",
	                                  ".a@b.vn",
	                                  "a.@b.vn",
	                                  "a..b@c.vn",
	                                  "a@-b.vn",
	                                  "a@b-.vn",
	                                  "a@b..vn",
	                                  "a@.b.vn",
	                                  "a@b.vn.",
	                                  "thư@b.vn",
	                                  "a@bộ.vn",
	                                  "a@b.vn,c@d.vn",
	                                  "\"a\"@b.vn",
	                                  "a@[127.0.0.1]"};
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		assert_true(hl_plans__email_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (hl_plans__email_valid(bad[i]))
			fail_msg("accepted \"%s\"", bad[i]);
	char longer[300];
	memset(longer, 'a', 250);
	memcpy(longer + 250, "@b.vn", 6);
	assert_false(hl_plans__email_valid(longer));

	char name[HL_MAIL_NAME_MAX + 1], addr[HL_MAIL_ADDR_MAX + 1];
	assert_int_equal(hl_plans__mailbox_parse(name, addr, "Hệ thống halong <hl@qn.gov.vn>"), 0);
	assert_string_equal(name, "Hệ thống halong");
	assert_string_equal(addr, "hl@qn.gov.vn");
	assert_int_equal(hl_plans__mailbox_parse(name, addr, "hl@qn.gov.vn"), 0);
	assert_string_equal(name, "");
	assert_int_equal(hl_plans__mailbox_parse(name, addr, "Bad \"q\" <hl@qn.gov.vn>"),
	                 HL_EINVALID);
	assert_int_equal(hl_plans__mailbox_parse(name, addr, "N <hl@qn.gov.vn> x"), HL_EINVALID);
	assert_int_equal(hl_plans__mailbox_parse(name, addr, "N\r\nBcc: <hl@qn.gov.vn>"),
	                 HL_EINVALID);
	assert_int_equal(hl_plans__mailbox_parse(name, addr, "N <hl@qn>"), HL_EINVALID);
	assert_int_equal(hl_plans__mailbox_parse(name, addr, ""), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "mail_from"));

	assert_int_equal(hl_plans__smtp_url_check("smtp://127.0.0.1:2525"), 0);
	assert_int_equal(hl_plans__smtp_url_check("smtps://mail.quangninh.gov.vn"), 0);
	assert_int_equal(hl_plans__smtp_url_check("http://127.0.0.1:25"), HL_EINVALID);
	assert_int_equal(hl_plans__smtp_url_check("smtp://"), HL_EINVALID);
	assert_int_equal(hl_plans__smtp_url_check("smtp://:25"), HL_EINVALID);
	assert_int_equal(hl_plans__smtp_url_check("smtp://u:secret@mail.vn"), HL_EINVALID);
	assert_null(strstr(hl_error_last(), "secret")); /* the password not repeated */
	assert_int_equal(hl_plans__smtp_url_check("smtp://mail.vn\r\nQUIT"), HL_EINVALID);
	assert_int_equal(hl_plans__smtp_url_check(""), HL_EINVALID);
}

static void test_date(void **state)
{
	char d[40];
	(void)state;
	hl_plans__mail_date(d, 0);
	assert_string_equal(d, "Thu, 01 Jan 1970 07:00:00 +0700");
	hl_plans__mail_date(d, 1751500800LL + 17 * 3600 + 5); /* 2025-07-03 17:00:05 UTC */
	assert_string_equal(d, "Fri, 04 Jul 2025 00:00:05 +0700");
}

static void put(const char *dir, const char *name, const char *text);

/* The whole message, read back by Python's e-mail parser. */
static void test_message(void **state)
{
	(void)state;
	const char *subj = "[SO-TC] Nhắc việc ngày 03/07/2025: 1 nhiệm vụ quá hạn";
	hl_plans__mail m = {"Hệ thống theo dõi kế hoạch <halong@quangninh.gov.vn>",
	                    "vp@stc.quangninh.gov.vn",
	                    subj,
	                    VI,
	                    "Thu, 03 Jul 2025 07:00:00 +0700",
	                    "<1.abc@quangninh.gov.vn>"};
	char *msg = hl_plans__mail_build(&m);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "\r\nContent-Type: text/plain; charset=UTF-8\r\n"));
	assert_non_null(strstr(msg, "\r\nContent-Transfer-Encoding: quoted-printable\r\n"));
	assert_non_null(strstr(msg, "\r\nMIME-Version: 1.0\r\n"));
	assert_non_null(strstr(msg, "\r\nDate: Thu, 03 Jul 2025 07:00:00 +0700\r\n"));
	assert_non_null(strstr(msg, "\r\nMessage-ID: <1.abc@quangninh.gov.vn>\r\n"));
	assert_non_null(strstr(msg, "\r\nTo: <vp@stc.quangninh.gov.vn>\r\n"));
	assert_true(longest_line(msg) <= 78);
	for (const char *p = msg; *p; p++)
		assert_true((unsigned char)*p < 0x80 && (*p != '\n' || p[-1] == '\r'));

	char dir[] = "/tmp/hl-notice-msg-XXXXXX", path[64], cmd[600], out[4096];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/m.eml", dir);
	FILE *f = fopen(path, "wb");
	fputs(msg, f);
	fclose(f);
	/* the message as a mail client reads it: lines end in LF once decoded */
	put(dir, "read.py",
	    "import sys, email, email.policy\n"
	    "m = email.message_from_bytes(open(sys.argv[1], 'rb').read(),\n"
	    "                             policy=email.policy.default)\n"
	    "sys.stdout.write(m['subject'] + '\\n' + m['from'].addresses[0].display_name + "
	    "'\\n' + m.get_content_charset() + '\\n' + m['content-transfer-encoding'] + '\\n' + "
	    "m.get_content().replace('\\r\\n', '\\n'))\n");
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/read.py %s", dir, path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	assert_int_equal(pclose(p), 0);
	char want[4096];
	snprintf(want, sizeof(want), "%s\nHệ thống theo dõi kế hoạch\nutf-8\nquoted-printable\n%s",
	         subj, VI);
	assert_string_equal(out, want);
	unlink(path);
	snprintf(path, sizeof(path), "%s/read.py", dir);
	unlink(path);
	rmdir(dir);
	free(msg);

	/* a bad recipient builds nothing */
	m.to = "vp@stc.quangninh.gov.vn\r\nBcc: x@y.vn";
	assert_null(hl_plans__mail_build(&m));
	assert_non_null(strstr(hl_error_last(), "not an address"));
}

/* ---- the outbox on a real store ---- */

typedef struct {
	char dir[64], db[96];
	hl_store *st;
} fx;

static void put(const char *dir, const char *name, const char *text)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *o = fopen(path, "w");
	assert_non_null(o);
	fputs(text, o);
	fclose(o);
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	hl_agency_load_stats as;
	hl_plan_import_stats is;
	hl_principal me = hl_principal_local("test");
	char path[160];
	snprintf(f->dir, sizeof(f->dir), "/tmp/hl-notice-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/h.db", f->dir);
	if (hl_store_open(&f->st, f->db, 1) < 0 || hl_agency_load(&as, f->st, REGISTER, "test") < 0)
		return -1;
	/* test data, not a real plan */
	put(f->dir, "plan.csv",
	    "plan_id,title,period,compiler,number,date\n"
	    "KH-THU,Kế hoạch thử nghiệm (dữ liệu kiểm thử),2025,SO-KHCN,01/KH-THU,2025-06-01\n");
	put(f->dir, "tasks.csv",
	    "plan_id,item_no,title,lead_agency,due\n"
	    "KH-THU,1,Xây dựng cơ sở dữ liệu dùng chung,Sở Khoa học và Công nghệ,30/06/2025\n"
	    "KH-THU,2,Ban hành quy chế chia sẻ dữ liệu,Sở Khoa học và Công nghệ,10/07/2025\n"
	    "KH-THU,3,Rà soát thủ tục hành chính,Sở Tài chính,05/07/2025\n"
	    "KH-THU,4,Tổng kết năm,Sở Tài chính,31/12/2025\n");
	snprintf(path, sizeof(path), "%s/plan.csv", f->dir);
	if (hl_plan_import(&is, f->st, &me, path, &(hl_plan_import_opts){0}) < 0)
		return -1;
	hl_plan_import_stats_free(&is);
	snprintf(path, sizeof(path), "%s/tasks.csv", f->dir);
	if (hl_plan_import(&is, f->st, &me, path, &(hl_plan_import_opts){0}) < 0)
		return -1;
	hl_plan_import_stats_free(&is);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	char cmd[128];
	hl_store_free(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* A port of 127.0.0.1 nothing listens on: one the kernel gave, closed again. */
static int closed_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	close(s);
	return ntohs(a.sin_port);
}

static void test_outbox(void **state)
{
	fx *f = *state;
	hl_principal me = hl_principal_local("test");
	hl_notice_plan_stats ps;
	hl_notice_run *run = NULL;
	hl_notices *l = NULL;
	char *email = NULL;

	/* 2025-07-03, soon_days 7: task 1 overdue, 2 and 3 due soon, 4 not yet */
	assert_int_equal(hl_plans_notices_plan(&ps, f->st, "2025-07-03", NULL, NULL), 0);
	assert_int_equal(ps.plans, 1);
	assert_int_equal(ps.current, 3);
	assert_int_equal(ps.added, 3);
	assert_int_equal(hl_plans_notices_plan(&ps, f->st, "2025-07-03", NULL, NULL), 0);
	assert_int_equal(ps.added, 0); /* each once */

	assert_int_equal(hl_plans_notices_list(&l, f->st, &me, "SO-KHCN", "2025-07-03"), 0);
	assert_int_equal(l->n, 2);
	assert_int_equal(l->v[0].kind, HL_NOTICE_OVERDUE); /* overdue first */
	assert_string_equal(l->v[0].ref, "KH-THU/1");
	assert_int_equal(l->v[0].days, 3);
	assert_string_equal(l->v[1].ref, "KH-THU/2");
	assert_int_equal(l->v[1].days, 7);
	assert_true(l->v[0].id > 0);
	assert_null(l->v[0].sent_at);
	hl_notices_free(l);

	/* a contact: an address or nothing is written */
	assert_int_equal(hl_plans_contact_set(f->st, &me, "SO-KHCN", "vp@skhcn.quangninh.gov.vn"),
	                 0);
	assert_int_equal(hl_plans_contact_set(f->st, &me, "SO-KHCN", "vp@skhcn\r\nBcc: x@y.vn"),
	                 HL_EINVALID);
	assert_int_equal(hl_plans_contact_set(f->st, &me, "SO-NOWHERE", "a@b.vn"), HL_EINVALID);
	assert_int_equal(hl_plans_contact_get(&email, f->st, &me, "SO-KHCN"), 0);
	assert_string_equal(email, "vp@skhcn.quangninh.gov.vn");
	free(email);
	hl_principal viewer = {.user_id = 9, .role = HL_ROLE_VIEWER};
	assert_int_equal(hl_plans_contact_set(f->st, &viewer, "SO-KHCN", "a@b.vn"), HL_EDENIED);

	/* the server is down (nothing listens on the port): kept, with its error */
	char url[64];
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", closed_port());
	hl_smtp down = {
	    .url = url, .from = "halong@quangninh.gov.vn", .max_attempts = 2, .timeout_ms = 5000};
	assert_int_equal(hl_plans_notices_send(&run, f->st, &down, "2025-07-03", 0, NULL, NULL), 0);
	assert_int_equal(run->sent, 0);
	assert_int_equal(run->failed, 2);  /* SO-KHCN's two */
	assert_int_equal(run->waiting, 1); /* SO-TC has no contact */
	assert_int_equal(run->n, 2);
	assert_string_equal(run->v[0].agency, "SO-KHCN");
	assert_false(run->v[0].sent);
	assert_non_null(strstr(run->v[0].error, "SMTP: "));
	assert_non_null(strstr(run->v[1].error, "no e-mail contact"));
	hl_notice_run_free(run);
	assert_int_equal(hl_plans_notices_list(&l, f->st, &me, "SO-KHCN", "2025-07-03"), 0);
	assert_int_equal(l->v[0].attempts, 1);
	assert_non_null(l->v[0].last_error);
	assert_null(l->v[0].sent_at);
	hl_notices_free(l);
	assert_int_equal(hl_plans_notices_list(&l, f->st, &me, "SO-TC", "2025-07-03"), 0);
	assert_int_equal(l->v[0].attempts, 0); /* no contact: not an attempt */
	hl_notices_free(l);

	/* SO-KHCN reports on task 2 for July: its due-soon notice is moot, dropped not sent */
	int64_t rid = 0;
	hl_report_in in = {.task = "KH-THU/2",
	                   .agency = "SO-KHCN",
	                   .period = "2025-07",
	                   .progress = 40,
	                   .state = HL_REPORT_PROGRESS,
	                   .at = "2025-07-03"};
	assert_int_equal(hl_task_report(&rid, f->st, &me, &in), 0);
	assert_int_equal(hl_plans_notices_send(&run, f->st, &down, "2025-07-03", 1, NULL, NULL), 0);
	assert_int_equal(run->dropped, 1); /* a dry run counts, writes nothing */
	hl_notice_run_free(run);
	assert_int_equal(hl_plans_notices_send(&run, f->st, &down, "2025-07-03", 0, NULL, NULL), 0);
	assert_int_equal(run->dropped, 1);
	assert_int_equal(run->failed, 1); /* task 1's, second attempt */
	hl_notice_run_free(run);
	/* two attempts made: given up */
	assert_int_equal(hl_plans_notices_send(&run, f->st, &down, "2025-07-03", 0, NULL, NULL), 0);
	assert_int_equal(run->failed, 0);
	assert_int_equal(run->v[0].given_up, 1);
	assert_int_equal(run->v[0].nitems, 0);
	hl_notice_run_free(run);

	/* settings missing: refused before anything is sent */
	assert_int_equal(hl_plans_notices_send(&run, f->st, NULL, "2025-07-03", 0, NULL, NULL),
	                 HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "smtp_url"));
	assert_null(run);
}

static void test_settings(void **state)
{
	fx *f = *state;
	hl_principal me = hl_principal_local("test");
	char *v = NULL;
	assert_int_equal(hl_plans_setting_set(f->st, &me, "smtp_url", "smtp://u:p@h"), HL_EINVALID);
	assert_int_equal(hl_plans_setting_set(f->st, &me, "smtp_url", "smtp://127.0.0.1:2525"), 0);
	assert_int_equal(hl_plans_setting_set(f->st, &me, "mail_from", "a@b"), HL_EINVALID);
	assert_int_equal(hl_plans_setting_set(f->st, &me, "smtp_starttls", "maybe"), HL_EINVALID);
	assert_int_equal(hl_plans_setting_set(f->st, &me, "notice_attempts", "0"), HL_EINVALID);
	assert_int_equal(hl_plans_setting_set(f->st, &me, "smtp_password", "bí-mật-42"), 0);
	assert_int_equal(hl_plans_setting_get(&v, f->st, "smtp_password"), 0);
	assert_string_equal(v, "(set)"); /* never shown */
	free(v);
	assert_int_equal(hl_plans_setting_get(&v, f->st, "smtp_starttls"), 0);
	assert_string_equal(v, "try");
	free(v);
	size_t n = 0;
	while (hl_plans_setting_names[n])
		n++;
	assert_int_equal(n, 11); /* province too */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_qp),
	    cmocka_unit_test(test_header_words),
	    cmocka_unit_test(test_addresses),
	    cmocka_unit_test(test_date),
	    cmocka_unit_test(test_message),
	    cmocka_unit_test_setup_teardown(test_outbox, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
