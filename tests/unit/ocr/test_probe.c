/* hl_ocr_probe on hostile headers built here byte by byte (the fuzz target covers arbitrary
 * bytes; these are the shapes that once got through or took too long). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tiff_shared_strip_table),
	    cmocka_unit_test(test_tiff_absurd_resolution),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
