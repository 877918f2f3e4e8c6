/* Tests of util's SHA-256, file and path helpers, UTC time and string helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "halong/text.h"
#include "halong/util.h"
#include "util/util_int.h"

static char tmpdir[] = "/tmp/hl_test_util_XXXXXX";

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *tpath(const char *name)
{
	char *p = hl_path_join(tmpdir, name);
	assert_non_null(p);
	return p;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0, k;
	do {
		if (n + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	} while ((k = fread(buf + n, 1, cap - n - 1, f)) > 0 && (n += k));
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void test_sha256_vectors(void **state)
{
	(void)state;
	char hex[65];
	/* FIPS 180-2 examples. */
	hl_sha256_hex(hex, "", 0);
	assert_string_equal(hex,
	                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hl_sha256_hex(hex, "abc", 3);
	assert_string_equal(hex,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	hl_sha256_hex(hex, two, strlen(two));
	assert_string_equal(hex,
	                    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* Vietnamese text: the hash of its UTF-8 bytes (NFC "Quảng Ninh", as sha256sum gives it).
	 */
	hl_sha256_hex(hex, "Quảng Ninh", strlen("Quảng Ninh"));
	assert_string_equal(hex,
	                    "290d2abbd19d0fc4853c874da52d2571a17f3a2267bae4c75add1126714b70eb");
}

static void test_sha256_file(void **state)
{
	(void)state;
	/* One million 'a': the FIPS long vector, read across several 256 KiB chunks. */
	char *p = tpath("million.bin");
	char *data = malloc(1000000);
	memset(data, 'a', 1000000);
	assert_int_equal(hl_write_atomic(p, data, 1000000, 0644), 0);
	free(data);
	char hex[65] = "untouched";
	int64_t size = -1;
	assert_int_equal(hl_sha256_file(hex, &size, p), 0);
	assert_string_equal(hex,
	                    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	assert_int_equal(size, 1000000);
	free(p);

	/* An empty file, and a file of Vietnamese text agree with hl_sha256_hex. */
	p = tpath("empty.bin");
	assert_int_equal(hl_write_atomic(p, "", 0, 0644), 0);
	assert_int_equal(hl_sha256_file(hex, &size, p), 0);
	assert_string_equal(hex,
	                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(size, 0);
	free(p);

	const char *vi = "Điều 1. Phạm vi điều chỉnh\nLuật này quy định về phòng, chống ma túy.";
	p = tpath("dieu1.txt");
	assert_int_equal(hl_write_atomic(p, vi, strlen(vi), 0644), 0);
	char want[65];
	hl_sha256_hex(want, vi, strlen(vi));
	assert_int_equal(hl_sha256_file(hex, NULL, p), 0);
	assert_string_equal(hex, want);
	free(p);
}

static void test_sha256_file_errors(void **state)
{
	(void)state;
	char hex[65] = "untouched";
	int64_t size = 42;
	char *p = tpath("no-such-file.pdf");
	assert_int_equal(hl_sha256_file(hex, &size, p), HL_ENOTFOUND);
	assert_non_null(strstr(hl_error_last(), "no-such-file.pdf"));
	assert_string_equal(hex, "untouched");
	assert_int_equal(size, 42);
	free(p);
	/* A directory opens but cannot be read. */
	assert_int_equal(hl_sha256_file(hex, &size, tmpdir), HL_EIO);
	assert_non_null(strstr(hl_error_last(), tmpdir));
	assert_string_equal(hex, "untouched");
}

static void test_mkdir_p(void **state)
{
	(void)state;
	char *p = tpath("a/bb//ccc/");
	assert_int_equal(hl_mkdir_p(p, 0755), 0);
	struct stat st;
	char *q = tpath("a/bb/ccc");
	assert_int_equal(stat(q, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(hl_mkdir_p(q, 0755), 0); /* already there */
	free(p);
	free(q);

	/* A file in the way. */
	p = tpath("a/file");
	assert_int_equal(hl_write_atomic(p, "x", 1, 0644), 0);
	q = tpath("a/file/sub");
	assert_true(hl_mkdir_p(q, 0755) < 0);
	assert_non_null(strstr(hl_error_last(), "a/file"));
	assert_false(hl_file_exists(q));
	free(p);
	free(q);
	assert_int_equal(hl_mkdir_p("", 0755), HL_EINVALID);
}

static void test_path_join(void **state)
{
	(void)state;
	struct {
		const char *a, *b, *want;
	} cases[] = {
	    {"home", "blobs", "home/blobs"},
	    {"home/", "blobs", "home/blobs"},
	    {"home//", "/blobs/ab", "home/blobs/ab"},
	    {"/", "etc", "/etc"},
	    {"", "x", "x"},
	    {"a", "", "a"},
	    {"kho lưu trữ", "hồ sơ.pdf", "kho lưu trữ/hồ sơ.pdf"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *r = hl_path_join(cases[i].a, cases[i].b);
		assert_non_null(r);
		assert_string_equal(r, cases[i].want);
		free(r);
	}
	assert_null(hl_path_join(NULL, "x"));
}

static void test_write_atomic(void **state)
{
	(void)state;
	char *p = tpath("halong.conf");
	assert_false(hl_file_exists(p));
	const char *v1 = "unit = Thành phố Quảng Ninh\n";
	assert_int_equal(hl_write_atomic(p, v1, strlen(v1), 0640), 0);
	assert_true(hl_file_exists(p));
	size_t len;
	char *got = slurp(p, &len);
	assert_non_null(got);
	assert_int_equal(len, strlen(v1));
	assert_string_equal(got, v1);
	free(got);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);

	/* Replacing keeps no trace of the old content and leaves no temporary file. */
	const char *v2 = "unit = xã Quảng Tân\n";
	assert_int_equal(hl_write_atomic(p, v2, strlen(v2), 0600), 0);
	got = slurp(p, &len);
	assert_string_equal(got, v2);
	free(got);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	DIR *d = opendir(tmpdir);
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d));)
		if (strstr(e->d_name, ".tmp."))
			fail_msg("temporary file left behind: %s", e->d_name);
	closedir(d);
	free(p);

	/* A missing directory is reported, and nothing is created. */
	p = tpath("no/such/dir/x.conf");
	assert_int_equal(hl_write_atomic(p, "x", 1, 0644), HL_ENOTFOUND);
	assert_non_null(strstr(hl_error_last(), "x.conf"));
	assert_false(hl_file_exists(p));
	free(p);
}

static void test_now_utc(void **state)
{
	(void)state;
	char buf[32];
	time_t before = time(NULL);
	hl_now_utc(buf);
	time_t after = time(NULL);
	assert_int_equal(strlen(buf), 20);
	struct tm tm = {0};
	char *end = strptime(buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	assert_non_null(end);
	assert_int_equal(*end, '\0');
	time_t t = timegm(&tm);
	/* It is UTC: parsed as UTC, it lies between the two readings of the clock. */
	assert_true(t >= before && t <= after);
}

static void test_strings(void **state)
{
	(void)state;
	char *s = hl_strdup("  \t Hạ Long, Quảng Ninh \r\n");
	char *orig = s;
	assert_ptr_equal(hl_trim(s), orig);
	assert_string_equal(s, "Hạ Long, Quảng Ninh");
	free(s);
	s = hl_strdup(" \t\n ");
	assert_string_equal(hl_trim(s), "");
	free(s);
	s = hl_strdup("đ");
	assert_string_equal(hl_trim(s), "đ");
	free(s);
	assert_null(hl_strdup(NULL));
	assert_null(hl_trim(NULL));
}

/* A scans folder as an attacker leaves it: links that stay inside (followed), links and
 * chains of links that lead out (the node's key, a folder outside, /dev/zero), a loop, a fifo,
 * a socket, folders; each name through openat2 and through the walk used without it. */
typedef struct {
	const char *name;
	int rc;              /* expected: 0 or the HL_E* code */
	const char *content; /* when opened */
} beneath_case;

static void put(const char *rel, const char *text)
{
	char *p = tpath(rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static void mk(const char *rel)
{
	char *p = tpath(rel);
	assert_int_equal(hl_mkdir_p(p, 0755), 0);
	free(p);
}

static void ln(const char *target, const char *rel)
{
	char *p = tpath(rel);
	assert_int_equal(symlink(target, p), 0);
	free(p);
}

static void check_beneath(int (*open_fn)(int *, int, const char *), int dirfd,
                          const beneath_case *c, const char *how)
{
	int fd = -1, rc = open_fn(&fd, dirfd, c->name);
	if (rc != c->rc)
		fail_msg("%s: %s: %d (%s), expected %d", how, c->name, rc, hl_error_last(), c->rc);
	if (rc == 0) {
		char buf[64] = {0};
		struct stat st;
		assert_true(fstat(fd, &st) == 0 && S_ISREG(st.st_mode));
		assert_true(read(fd, buf, sizeof(buf) - 1) >= 0);
		close(fd);
		if (strcmp(buf, c->content))
			fail_msg("%s: %s: read \"%s\"", how, c->name, buf);
	} else {
		assert_int_equal(fd, -1);
		if (strncmp(hl_error_last(), c->name, strlen(c->name)) && strcmp(c->name, ""))
			fail_msg("%s: %s: message does not name the file: %s", how, c->name,
			         hl_error_last());
	}
}

static void test_open_beneath(void **state)
{
	(void)state;
	char abs_secret[512], fifo[512], sock[512];
	mk("beneath/outside/dir");
	mk("beneath/scans/sub");
	put("beneath/outside/secret.key", "SECRET");
	put("beneath/outside/dir/x.pdf", "OUTSIDE-PDF");
	put("beneath/scans/ok.pdf", "OK");
	put("beneath/scans/sub/in.pdf", "IN");
	ln("sub/in.pdf", "beneath/scans/link-in");
	ln("../ok.pdf", "beneath/scans/sub/up-in");
	ln("sub", "beneath/scans/dir-in");
	ln("../outside/secret.key", "beneath/scans/link-out");
	snprintf(abs_secret, sizeof abs_secret, "%s/beneath/outside/secret.key", tmpdir);
	ln(abs_secret, "beneath/scans/abs-out");
	ln("../outside/dir", "beneath/scans/dir-link");
	ln("chain2", "beneath/scans/chain1");
	ln("sub/chain3", "beneath/scans/chain2");
	ln("../../outside/secret.key", "beneath/scans/sub/chain3");
	ln("loop", "beneath/scans/loop");
	ln("nothing-here", "beneath/scans/dangling");
	ln("/dev/zero", "beneath/scans/zero");
	ln("/proc/self/fd/0", "beneath/scans/magic");
	snprintf(fifo, sizeof fifo, "%s/beneath/scans/fifo", tmpdir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	ln("fifo", "beneath/scans/fifo-link");
	snprintf(sock, sizeof sock, "%s/beneath/scans/sock", tmpdir);
	int sfd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	assert_true(sfd >= 0 && strlen(sock) < sizeof sa.sun_path);
	strcpy(sa.sun_path, sock);
	assert_int_equal(bind(sfd, (struct sockaddr *)&sa, sizeof sa), 0);

	const beneath_case cases[] = {
	    {"ok.pdf", 0, "OK"},
	    {"sub/in.pdf", 0, "IN"},
	    {"./sub/./in.pdf", 0, "IN"},
	    {"sub/../ok.pdf", 0, "OK"},
	    {"link-in", 0, "IN"},
	    {"sub/up-in", 0, "OK"},
	    {"dir-in/in.pdf", 0, "IN"},
	    {"dir-in/up-in", 0, "OK"},
	    {"link-out", HL_EDENIED, NULL},
	    {"abs-out", HL_EDENIED, NULL},
	    {"dir-link/x.pdf", HL_EDENIED, NULL},
	    {"chain1", HL_EDENIED, NULL},
	    {"zero", HL_EDENIED, NULL},
	    {"magic", HL_EDENIED, NULL},
	    {"../outside/secret.key", HL_EDENIED, NULL},
	    {"sub/../../outside/secret.key", HL_EDENIED, NULL},
	    {"/etc/passwd", HL_EDENIED, NULL},
	    {"loop", HL_EDENIED, NULL},
	    {"fifo", HL_EINVALID, NULL},
	    {"fifo-link", HL_EINVALID, NULL},
	    {"sock", HL_EINVALID, NULL},
	    {"sub", HL_EINVALID, NULL},
	    {"sub/", HL_EINVALID, NULL},
	    {"dir-in", HL_EINVALID, NULL},
	    {".", HL_EINVALID, NULL},
	    {"ok.pdf/", HL_EINVALID, NULL},
	    {"ok.pdf/x", HL_EINVALID, NULL},
	    {"missing.pdf", HL_ENOTFOUND, NULL},
	    {"dangling", HL_ENOTFOUND, NULL},
	};
	char *scans = tpath("beneath/scans");
	int dirfd = open(scans, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dirfd >= 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_beneath(hl_file_open_beneath, dirfd, &cases[i], "openat2");
		check_beneath(hl_util__open_beneath_walk, dirfd, &cases[i], "walk");
	}
	int fd = -1;
	assert_int_equal(hl_file_open_beneath(&fd, dirfd, ""), HL_EINVALID);
	close(dirfd);
	close(sfd);
	unlink(sock);
	free(scans);
}

/* Every error message is one printable line, whatever a value quoted in it holds: a units file's
 * field with a line break and terminal escapes came through to the terminal (fuzz_units). */
static void test_error_messages_are_one_line(void **state)
{
	char big[2000];
	size_t n;
	(void)state;
	hl_error_set(HL_EINVALID, "units.csv:3: bad name \"%s\"", "a\nb\r\x1b[2J\x1b[31m\tc\x7f");
	assert_string_equal(hl_error_last(), "units.csv:3: bad name \"a b  [2J [31m c \"");
	hl_error_set(HL_EINVALID, "csi \xc2\x9b"
	                          "2J and \xc2\xa0 kept");
	assert_string_equal(hl_error_last(), "csi   2J and \xc2\xa0 kept");
	/* cut at the buffer's end inside a character: the character goes */
	memset(big, 'x', sizeof(big));
	for (size_t i = 0; i + 2 < sizeof(big); i += 3)
		memcpy(big + i, "\xe1\xba\xa1", 3); /* ạ */
	big[sizeof(big) - 1] = 0;
	hl_error_set(HL_EINVALID, "x%s", big);
	n = strlen(hl_error_last());
	assert_true(n > 900 && n < 1024);
	assert_int_equal(hl_text_check_utf8(hl_error_last(), n, NULL), 0);
	/* a value cut by a %.Ns in the middle of a message, or bytes of no character at all */
	hl_error_set(HL_EINVALID, "id \"%.4s\" then \xff\xfe and \xed\xa0\x80 end", "ạạ");
	assert_string_equal(hl_error_last(), "id \"\xe1\xba\xa1?\" then ?? and ??? end");
	char cut[] = "Hạ\xe1\xba";
	hl_str_cut_utf8(cut);
	assert_string_equal(cut, "H\xe1\xba\xa1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_messages_are_one_line),
	    cmocka_unit_test(test_sha256_vectors),
	    cmocka_unit_test(test_sha256_file),
	    cmocka_unit_test(test_sha256_file_errors),
	    cmocka_unit_test(test_mkdir_p),
	    cmocka_unit_test(test_path_join),
	    cmocka_unit_test(test_write_atomic),
	    cmocka_unit_test(test_now_utc),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_open_beneath),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
