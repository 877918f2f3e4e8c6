/* Unit tests of the archive module's manifest checks (dates, headers, retention) and blob store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "archive/archive_int.h"
#include "archive/manifest_int.h"
#include "halong/archive.h"
#include "halong/util.h"
#include "store/store.h"

static void test_dates(void **state)
{
	char out[16];
	(void)state;
	static const struct {
		const char *in, *want;
	} good[] = {
	    {"12/03/2019", "2019-03-12"}, {"1/2/2020", "2020-02-01"},
	    {"29/02/2020", "2020-02-29"}, {"2019-03-12", "2019-03-12"},
	    {"03/2019", "2019-03"},       {"2019", "2019"},
	    {"12.03.2019", "2019-03-12"}, {"12-03-2019", "2019-03-12"},
	    {"1945-09", "1945-09"},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(hl_manifest__date(out, good[i].in), 0);
		assert_string_equal(out, good[i].want);
	}
	static const char *const bad[] = {"31/02/2020", "29/02/2019", "2020-13-01",  "hôm qua",
	                                  "",           "12/03/19",   "2019-03-12x", "00/01/2020",
	                                  "12/03-2019", "99999",      "0999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(hl_manifest__date(out, bad[i]), 0);
}

static void test_vietnamese_headers(void **state)
{
	hl_manifest_cols m;
	char *h[] = {"Mã phông",
	             "Số và ký hiệu hồ sơ",
	             "Số thứ tự văn bản",
	             "Trích yếu nội dung",
	             "Ngày tháng năm văn bản",
	             "Chế độ sử dụng",
	             "Tệp",
	             "Nội dung",
	             "_reason"};
	(void)state;
	assert_int_equal(hl_manifest__header(&m, h, 9, "m.csv"), 0);
	assert_int_equal(m.at[COL_FONDS], 0);
	assert_int_equal(m.at[COL_DOSSIER], 1);
	assert_int_equal(m.at[COL_ORDINAL], 2);
	assert_int_equal(m.at[COL_SUBJECT], 3);
	assert_int_equal(m.at[COL_DATE], 4);
	assert_int_equal(m.at[COL_ACCESS], 5);
	assert_int_equal(m.at[COL_FILES], 6);
	assert_int_equal(m.at[COL_TEXT], 7);
	/* Tones and case do not matter. */
	char *h2[] = {"MA PHONG", "ma ho so", "so thu tu van ban", "trich yeu noi dung"};
	assert_int_equal(hl_manifest__header(&m, h2, 4, "m.csv"), 0);
}

static void test_header_errors(void **state)
{
	hl_manifest_cols m;
	char *unknown[] = {"fonds_code", "dossier_code", "doc_ordinal", "subject", "colour"};
	char *dup[] = {"fonds_code", "Mã phông", "dossier_code", "doc_ordinal", "subject"};
	char *missing[] = {"fonds_code", "dossier_code", "subject"};
	(void)state;
	assert_int_equal(hl_manifest__header(&m, unknown, 5, "m.csv"), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "unknown column \"colour\""));
	assert_int_equal(hl_manifest__header(&m, dup, 5, "m.csv"), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "both fonds_code"));
	assert_int_equal(hl_manifest__header(&m, missing, 3, "m.csv"), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "doc_ordinal"));
}

static void test_values(void **state)
{
	char r[16];
	int64_t v;
	hl_access a;
	(void)state;
	assert_int_equal(hl_manifest__retention(r, "Vĩnh viễn"), 0);
	assert_string_equal(r, "permanent");
	assert_int_equal(hl_manifest__retention(r, "70 năm"), 0);
	assert_string_equal(r, "70");
	assert_int_not_equal(hl_manifest__retention(r, "lâu dài"), 0);
	assert_string_equal(hl_manifest__confidence("Bản số hóa"), "digitized");
	assert_string_equal(hl_manifest__confidence("bản chính"), "original");
	assert_null(hl_manifest__confidence("bản nháp"));
	assert_int_equal(hl_manifest__int(&v, "12", 1, 100), 0);
	assert_int_equal(v, 12);
	assert_int_not_equal(hl_manifest__int(&v, "-3", 1, 100), 0);
	assert_int_not_equal(hl_manifest__int(&v, "3a", 1, 100), 0);
	assert_int_equal(hl_access_parse(&a, "Công khai"), 0);
	assert_int_equal(a, HL_ACCESS_PUBLIC);
	assert_int_equal(hl_access_parse(&a, "nội bộ"), 0);
	assert_int_equal(a, HL_ACCESS_INTERNAL);
	assert_int_equal(hl_access_parse(&a, "Hạn chế"), 0);
	assert_int_equal(a, HL_ACCESS_RESTRICTED);
	assert_int_equal(hl_access_parse(&a, "MẬT"), 0);
	assert_int_equal(a, HL_ACCESS_SECRET);
	assert_int_equal(hl_access_parse(&a, "top secret"), HL_EINVALID);
	assert_int_equal(hl_manifest__is_image("scan/Trang 1.TIF"), 1);
	assert_int_equal(hl_manifest__is_image("ho-so.pdf"), 0);
}

static void test_blob_store(void **state)
{
	char dir[] = "/tmp/hl-archive-XXXXXX", src[128], sha[65], sha2[65], cmd[160];
	hl_archive *a = NULL;
	int64_t size;
	FILE *f;
	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(hl_archive_init(dir), 0);
	assert_int_equal(hl_archive_init(dir), 0); /* idempotent */
	assert_int_equal(hl_archive_open(&a, dir), 0);
	snprintf(src, sizeof(src), "%s/in.txt", dir);
	f = fopen(src, "w");
	fputs("abc", f);
	fclose(f);
	assert_int_equal(hl_blob_put_file(sha, &size, a, src), 0);
	assert_string_equal(sha,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(size, 3);
	char *p = hl_blob_path(a, sha);
	assert_non_null(strstr(p, "/blobs/ba/7816bf"));
	assert_int_equal(hl_file_exists(p), 1);
	assert_int_equal(access(p, W_OK) == 0 && getuid() != 0, 0); /* read-only unless root */
	free(p);
	assert_int_equal(hl_blob_put_file(sha2, &size, a, src), 0); /* written once */
	assert_string_equal(sha, sha2);
	snprintf(src, sizeof(src), "%s/absent.png", dir);
	assert_int_equal(hl_blob_put_file(sha, &size, a, src), HL_ENOTFOUND);
	hl_archive_free(a);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static int count_files(const char *dir)
{
	char cmd[512];
	int n = -1;
	snprintf(cmd, sizeof(cmd), "find %s -type f | wc -l", dir);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

/* A staged file is in tmp/ only: discarded, nothing stays; committed, it is a blob. The
 * temporary copies of a process that is gone are swept, a live one's are kept. */
static void test_blob_staged(void **state)
{
	char dir[] = "/tmp/hl-archive-XXXXXX", path[256], cmd[160];
	hl_archive *a = NULL;
	hl_blob_staged s;
	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(hl_archive_init(dir), 0);
	assert_int_equal(hl_archive_open(&a, dir), 0);
	snprintf(path, sizeof(path), "%s/in.txt", dir);
	FILE *f = fopen(path, "w");
	fputs("abc", f);
	fclose(f);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(lseek(fd, 2, SEEK_SET), 2); /* copied from the start all the same */
	assert_int_equal(hl_archive__blob_stage(&s, a, fd, "in.txt"), 0);
	assert_string_equal(s.sha256,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(s.size, 3);
	snprintf(path, sizeof(path), "%s/tmp", dir);
	assert_int_equal(count_files(path), 1);
	hl_archive__blob_discard(&s);
	hl_archive__blob_discard(&s); /* twice is fine */
	assert_int_equal(count_files(path), 0);
	snprintf(path, sizeof(path), "%s/blobs", dir);
	assert_int_equal(count_files(path), 0);

	assert_int_equal(hl_archive__blob_stage(&s, a, fd, "in.txt"), 0);
	assert_int_equal(hl_archive__blob_commit(a, &s), 0);
	assert_null(s.tmp);
	assert_int_equal(count_files(path), 1);
	char *bp = hl_blob_path(a, s.sha256);
	assert_int_equal(hl_file_exists(bp), 1);
	free(bp);
	close(fd);

	/* a dead process's copy is swept, a live one's is not */
	pid_t child = fork();
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	char dead[256], live[256];
	snprintf(dead, sizeof(dead), "%s/tmp/blob.%ld.7", dir, (long)child);
	snprintf(live, sizeof(live), "%s/tmp/blob.%ld.8", dir, (long)getpid());
	fclose(fopen(dead, "w"));
	fclose(fopen(live, "w"));
	assert_int_equal(hl_archive__blob_tmp_sweep(a), 1);
	assert_int_equal(hl_file_exists(dead), 0);
	assert_int_equal(hl_file_exists(live), 1);
	hl_archive_free(a);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Which conflict refused a put is a code (*status), never a word in the message: the ingest
 * told a duplicate ordinal apart by finding "ordinal" in hl_error_last(). Nothing of the
 * refused document is written, not even its files' blob records. */
static void test_put_conflict_is_a_code(void **state)
{
	char dir[] = "/tmp/hl-archive-XXXXXX", cmd[160];
	hl_archive *a = NULL;
	hl_store_stats st;
	hl_doc_file file = {"a.png",
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 3};
	hl_doc d = {.doc_id = "A",
	            .fonds_code = "QN",
	            .dossier_code = "HS",
	            .ordinal = 1,
	            .subject = "một",
	            .language = "vi",
	            .page_count = -1};
	int status = -1;
	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(hl_archive_init(dir), 0);
	assert_int_equal(hl_archive_open(&a, dir), 0);
	hl_store *s = hl_archive_store(a);
	assert_int_equal(hl_store_begin(s), 0);
	assert_int_equal(hl_store_doc_put(&status, s, &d, "test"), 0);
	assert_int_equal(status, HL_PUT_INSERTED);
	d.doc_id = "B";
	d.files = &file;
	d.nfiles = 1;
	status = -1;
	assert_int_equal(hl_store_doc_put(&status, s, &d, "test"), HL_ECONFLICT);
	assert_int_equal(status, HL_PUT_CONFLICT_ORDINAL);
	assert_int_equal(hl_store_commit(s), 0);
	assert_int_equal(hl_store_stats_get(&st, s), 0);
	assert_int_equal(st.documents, 1);
	assert_int_equal(st.blobs, 0);
	/* a put that succeeds records its files' blobs itself */
	d.ordinal = 2;
	assert_int_equal(hl_store_begin(s), 0);
	assert_int_equal(hl_store_doc_put(&status, s, &d, "test"), 0);
	assert_int_equal(status, HL_PUT_INSERTED);
	assert_int_equal(hl_store_commit(s), 0);
	assert_int_equal(hl_store_stats_get(&st, s), 0);
	assert_int_equal(st.blobs, 1);
	hl_archive_free(a);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

typedef struct {
	char what[32][80];
	char kind[32][16];
	int n;
} problems;

static void on_problem(const char *what, const char *kind, const char *detail, void *ud)
{
	problems *p = ud;
	(void)detail;
	if (p->n < 32) {
		snprintf(p->what[p->n], sizeof(p->what[0]), "%s", what);
		snprintf(p->kind[p->n], sizeof(p->kind[0]), "%s", kind);
		p->n++;
	}
}

static int has(const problems *p, const char *what, const char *kind)
{
	for (int i = 0; i < p->n; i++)
		if (!strcmp(p->what[i], what) && !strcmp(p->kind[i], kind))
			return 1;
	return 0;
}

static void plant(const char *home, const char *sha)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/blobs/%.2s", home, sha);
	assert_int_equal(hl_mkdir_p(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/blobs/%.2s/%s", home, sha, sha + 2);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("orphan", f);
	fclose(f);
}

/* verify walks blobs/ beside the store's hash-ordered list: orphans before the first known
 * blob, between two in one folder, in folders of their own and after the last are each
 * reported once; known blobs are not; a missing one is still missing. */
static void test_verify_orphans(void **state)
{
	char dir[] = "/tmp/hl-archive-XXXXXX", src[128], cmd[160], sha[3][65];
	hl_archive *a = NULL;
	hl_verify_result r;
	problems p = {0};
	int64_t size;
	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(hl_archive_init(dir), 0);
	assert_int_equal(hl_archive_open(&a, dir), 0);
	for (int i = 0; i < 3; i++) {
		snprintf(src, sizeof(src), "%s/f%d", dir, i);
		FILE *f = fopen(src, "w");
		fprintf(f, "file %d", i);
		fclose(f);
		assert_int_equal(hl_blob_put_file(sha[i], &size, a, src), 0);
		if (i < 2) /* the third is on disk only */
			assert_int_equal(hl_store_blob_add(hl_archive_store(a), sha[i], size), 0);
	}
	char before[65], after[65], beside[65], between[65];
	memset(before, '0', 64), before[64] = '\0';
	memset(after, 'f', 64), after[64] = '\0';
	/* in the folder of the first known blob, sorting just after it */
	memcpy(beside, sha[0], 65);
	beside[63] = beside[63] == 'f' ? 'e' : (char)(beside[63] == '9' ? 'a' : beside[63] + 1);
	memcpy(between, "80", 2);
	memset(between + 2, '1', 62), between[64] = '\0';
	plant(dir, before);
	plant(dir, after);
	plant(dir, beside);
	plant(dir, between);
	char *missing = hl_blob_path(a, sha[1]);
	assert_int_equal(unlink(missing), 0);
	free(missing);
	assert_int_equal(hl_archive_verify(&r, a, on_problem, NULL, &p), 0);
	assert_int_equal(r.checked, 2);
	assert_int_equal(r.ok, 1);
	assert_int_equal(r.missing, 1);
	assert_int_equal(r.corrupt, 0);
	assert_int_equal(r.orphans, 5);
	assert_int_equal(p.n, 6);
	assert_true(has(&p, before, "orphan") && has(&p, after, "orphan"));
	assert_true(has(&p, beside, "orphan") && has(&p, between, "orphan"));
	assert_true(has(&p, sha[2], "orphan") && has(&p, sha[1], "missing"));
	hl_archive_free(a);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static int count_ingest(const char *phase, uint64_t done, uint64_t total, void *ud)
{
	(void)done, (void)total;
	if (!strcmp(phase, "ingest"))
		(*(int *)ud)++;
	return 0;
}

/* A batch ends after batch_ms as well as after batch_size rows: rows with scans hold the
 * store's write lock while their files are copied, hashed and synced, and every audited read
 * waits for it. 40 rows with a file each, one batch by size, several by time. */
static void test_ingest_batch_bounded_in_time(void **state)
{
	char dir[] = "/tmp/hl-archive-XXXXXX", path[160], cmd[160];
	hl_principal local = hl_principal_local(NULL);
	hl_archive *a = NULL;
	hl_ingest_result r = {0};
	int batches = 0;
	FILE *m;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/home", dir);
	assert_int_equal(hl_archive_init(path), 0);
	assert_int_equal(hl_archive_open(&a, path), 0);
	snprintf(path, sizeof(path), "%s/m.csv", dir);
	assert_non_null(m = fopen(path, "w"));
	fputs("fonds_code,dossier_code,doc_ordinal,subject,files,access_level\n", m);
	for (int i = 1; i <= 40; i++) {
		char f[160];
		snprintf(f, sizeof(f), "%s/f%d.txt", dir, i);
		FILE *x = fopen(f, "w");
		assert_non_null(x);
		for (int k = 0; k < 4096; k++)
			fprintf(x, "trang %d dong %d\n", i, k);
		fclose(x);
		fprintf(m, "PL,HS1,%d,Văn bản %d,f%d.txt,restricted\n", i, i, i);
	}
	fclose(m);
	hl_ingest_opts o = {.manifest = path,
	                    .who = &local,
	                    .batch_ms = 1,
	                    .progress = count_ingest,
	                    .ud = &batches};
	assert_int_equal(hl_archive_ingest(&r, a, &o), 0);
	assert_int_equal(r.inserted, 40);
	assert_int_equal(r.rejected, 0);
	assert_true(batches > 1);
	hl_archive_free(a);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_open_uninitialised(void **state)
{
	hl_archive *a = NULL;
	(void)state;
	assert_int_equal(hl_archive_open(&a, "/tmp/no-such-halong-home"), HL_ENOTFOUND);
	assert_non_null(strstr(hl_error_last(), "init"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dates),
	    cmocka_unit_test(test_vietnamese_headers),
	    cmocka_unit_test(test_header_errors),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_blob_store),
	    cmocka_unit_test(test_open_uninitialised),
	    cmocka_unit_test(test_blob_staged),
	    cmocka_unit_test(test_put_conflict_is_a_code),
	    cmocka_unit_test(test_verify_orphans),
	    cmocka_unit_test(test_ingest_batch_bounded_in_time),
	};
	return cmocka_run_group_tests_name("archive", tests, NULL, NULL);
}
