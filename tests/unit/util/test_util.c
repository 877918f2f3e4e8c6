/* Tests of util's SHA-256, file and path helpers, UTC time and string helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "halong/util.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256_vectors),
	    cmocka_unit_test(test_sha256_file),
	    cmocka_unit_test(test_sha256_file_errors),
	    cmocka_unit_test(test_mkdir_p),
	    cmocka_unit_test(test_path_join),
	    cmocka_unit_test(test_write_atomic),
	    cmocka_unit_test(test_now_utc),
	    cmocka_unit_test(test_strings),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
