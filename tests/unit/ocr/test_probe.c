/* hl_ocr_probe on hostile headers built here byte by byte (the fuzz target covers arbitrary
 * bytes; these are the shapes that once got through or took too long). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "halong/common.h"
#include "halong/ocr.h"

static void le16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8);
}

static void le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void entry(unsigned char *e, unsigned tag, unsigned type, uint32_t count, uint32_t value)
{
	le16(e, tag), le16(e + 2, type), le32(e + 4, count), le32(e + 8, value);
}

/* 1,999 directories of 100 x 100 pixels sharing one table of 50,000 strips: each strip lies
 * inside the file, but checking them all is 100 million look-ups. Refused as corrupt: a real
 * TIFF stores each page's strip table. */
static void test_tiff_shared_strip_table(void **state)
{
	(void)state;
	const uint32_t strips = 50000, pages = 1999;
	size_t t1 = 8, t2 = t1 + 4 * (size_t)strips, ifd0 = t2 + 4 * (size_t)strips;
	size_t ifd_len = 2 + 4 * 12 + 4, n = ifd0 + pages * ifd_len;
	unsigned char *b = calloc(1, n);
	assert_non_null(b);
	memcpy(b, "II*\0", 4);
	le32(b + 4, (uint32_t)ifd0);
	for (uint32_t i = 0; i < strips; i++)
		le32(b + t1 + 4 * i, 8), le32(b + t2 + 4 * i, 1);
	for (uint32_t p = 0; p < pages; p++) {
		unsigned char *d = b + ifd0 + p * ifd_len;
		le16(d, 4);
		entry(d + 2, 256, 3, 1, 100);
		entry(d + 14, 257, 3, 1, 100);
		entry(d + 26, 273, 4, strips, (uint32_t)t1);
		entry(d + 38, 279, 4, strips, (uint32_t)t2);
		le32(d + 50, p + 1 < pages ? (uint32_t)(ifd0 + (p + 1) * ifd_len) : 0);
	}
	char path[] = "/tmp/hl-probe-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, n), (ssize_t)n);
	close(fd);
	free(b);

	hl_ocr_source s = {0};
	int rc = hl_ocr_probe(&s, path, "shared.tif");
	unlink(path);
	hl_ocr_source_free(&s);
	assert_int_equal(rc, HL_EINVALID);
	if (strncmp(hl_error_last(), "shared.tif: page ", 17) ||
	    !strstr(hl_error_last(), "corrupt TIFF"))
		fail_msg("%s", hl_error_last());
}

static const char *write_tmp(const unsigned char *b, size_t n)
{
	static char path[32];
	snprintf(path, sizeof path, "/tmp/hl-probe-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, n), (ssize_t)n);
	close(fd);
	return path;
}

/* A one-page TIFF claiming 4,000,000,000 pixels per centimetre (found by fuzz_ocr_probe: the dpi
 * did not fit its type, undefined behaviour): the page is accepted with its resolution unknown. */
static void test_tiff_absurd_resolution(void **state)
{
	(void)state;
	unsigned char b[8 + 8 + 2 + 6 * 12 + 4 + 16] = {0};
	size_t rat = 8, ifd = 16, data = ifd + 2 + 6 * 12 + 4;
	memcpy(b, "II*\0", 4);
	le32(b + 4, (uint32_t)ifd);
	le32(b + rat, 4000000000u), le32(b + rat + 4, 1);
	unsigned char *d = b + ifd;
	le16(d, 6);
	entry(d + 2, 256, 3, 1, 4);
	entry(d + 14, 257, 3, 1, 4);
	entry(d + 26, 273, 4, 1, (uint32_t)data);
	entry(d + 38, 279, 4, 1, 16);
	entry(d + 50, 282, 5, 1, (uint32_t)rat);
	entry(d + 62, 296, 3, 1, 3);
	const char *path = write_tmp(b, sizeof b);

	hl_ocr_source s = {0};
	int rc = hl_ocr_probe(&s, path, "res.tif");
	unlink(path);
	if (rc)
		fail_msg("%s", hl_error_last());
	assert_int_equal(s.n_pages, 1);
	assert_int_equal(s.pages[0].width, 4);
	assert_int_equal(s.pages[0].dpi, 0);
	hl_ocr_source_free(&s);
}

/* ---- big files: the probe reads their headers, never their bodies ---- */

#define BIG ((uint64_t)512 << 20) /* sparse: no disk is used */

static void be32w(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

/* A sparse file of BIG bytes with `head` at its start and `tail` at its end. */
static int sparse_file(char *path, const unsigned char *head, size_t nh, const unsigned char *tail,
                       size_t nt)
{
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)BIG), 0);
	assert_int_equal(pwrite(fd, head, nh, 0), (ssize_t)nh);
	if (nt)
		assert_int_equal(pwrite(fd, tail, nt, (off_t)(BIG - nt)), (ssize_t)nt);
	return fd;
}

/* The peak resident memory of this process (VmHWM), in KiB; reset first when `reset`. */
static long peak_kib(int reset)
{
	char line[256];
	long kib = -1;
	if (reset) {
		FILE *c = fopen("/proc/self/clear_refs", "w");
		if (c) {
			fputs("5", c); /* 5: reset the peak resident set size */
			fclose(c);
		}
	}
	FILE *f = fopen("/proc/self/status", "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "VmHWM:", 6))
			kib = strtol(line + 6, NULL, 10);
	fclose(f);
	assert_true(kib > 0);
	return kib;
}

/* A TIFF, a PNG and a JPEG of 512 MiB each whose headers are sound (the TIFF's strip lies at
 * the end, the PNG's image data is one 512 MiB chunk, the JPEG ends in its end-of-image
 * marker), and a 512 MiB ".tif" whose header is not a TIFF's: the probe answers each through
 * the descriptor, and the process's peak memory grows by far less than one file (it grew by
 * 512 MiB when the probe read the whole file first). The descriptor's offset is not moved. */
static void test_big_files_read_by_their_headers(void **state)
{
	(void)state;
	unsigned char tif[8 + 2 + 4 * 12 + 4] = {0}, png[8 + 25 + 8] = {0}, iend[12] = {0};
	unsigned char jpg[2 + 19 + 14] = {0}, eoi[2] = {0xff, 0xd9};
	size_t ifd = 8;
	/* TIFF: one page 100 x 100, one strip of 10,000 bytes ending 16 bytes before the end */
	memcpy(tif, "II*\0", 4);
	le32(tif + 4, (uint32_t)ifd);
	le16(tif + ifd, 4);
	entry(tif + ifd + 2, 256, 3, 1, 100);
	entry(tif + ifd + 14, 257, 3, 1, 100);
	entry(tif + ifd + 26, 273, 4, 1, (uint32_t)(BIG - 10016));
	entry(tif + ifd + 38, 279, 4, 1, 10000);
	/* PNG: IHDR 100 x 100, then an IDAT chunk that runs to the IEND at the very end */
	memcpy(png, "\x89PNG\r\n\x1a\n", 8);
	be32w(png + 8, 13), memcpy(png + 12, "IHDR", 4);
	be32w(png + 16, 100), be32w(png + 20, 100), png[24] = 8;
	be32w(png + 33, (uint32_t)(BIG - 33 - 12 - 12)), memcpy(png + 37, "IDAT", 4);
	memcpy(iend + 4, "IEND", 4);
	/* JPEG: SOI, a frame header of 100 x 100, a scan; its end-of-image marker at the end */
	memcpy(jpg, "\xff\xd8\xff\xc0\x00\x11\x08\x00\x64\x00\x64\x03", 12);
	memcpy(jpg + 21, "\xff\xda\x00\x0c\x03\x01\x00\x02\x11\x03\x11\x00", 12);
	struct {
		const char *name;
		const unsigned char *head, *tail;
		size_t nh, nt;
		int rc;
	} files[] = {
	    {"big.tif", tif, NULL, sizeof tif, 0, 0},
	    {"big.png", png, iend, sizeof png, sizeof iend, 0},
	    {"big.jpg", jpg, eoi, sizeof jpg, sizeof eoi, 0},
	    {"bad-header.tif", (const unsigned char *)"not a scan at all", NULL, 17, 0,
	     HL_EINVALID},
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[] = "/tmp/hl-probe-big-XXXXXX";
		int fd = sparse_file(path, files[i].head, files[i].nh, files[i].tail, files[i].nt);
		unlink(path);
		assert_int_equal(lseek(fd, 5, SEEK_SET), 5);
		long before = peak_kib(1);
		hl_ocr_source s = {0};
		int rc = hl_ocr_probe_fd(&s, fd, files[i].name);
		long grew = peak_kib(0) - before;
		if (rc != files[i].rc)
			fail_msg("%s: %d: %s", files[i].name, rc, hl_error_last());
		if (rc == 0)
			assert_true(s.n_pages == 1 && s.pages[0].width == 100 &&
			            s.pages[0].height == 100);
		else if (strncmp(hl_error_last(), files[i].name, strlen(files[i].name)))
			fail_msg("%s", hl_error_last());
		hl_ocr_source_free(&s);
		assert_int_equal(lseek(fd, 0, SEEK_CUR), 5);
		close(fd);
		if (grew > 32 * 1024)
			fail_msg(
			    "%s: the probe of a %llu MiB file raised the peak memory by %ld KiB",
			    files[i].name, (unsigned long long)(BIG >> 20), grew);
	}
}

/* A descriptor that is not a regular file (a pipe) is refused before anything is read. */
static void test_probe_fd_not_regular(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	hl_ocr_source s = {0};
	assert_int_equal(hl_ocr_probe_fd(&s, p[0], "pipe.tif"), HL_EIO);
	assert_non_null(strstr(hl_error_last(), "pipe.tif: not a regular file"));
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tiff_shared_strip_table),
	    cmocka_unit_test(test_tiff_absurd_resolution),
	    cmocka_unit_test(test_big_files_read_by_their_headers),
	    cmocka_unit_test(test_probe_fd_not_regular),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
