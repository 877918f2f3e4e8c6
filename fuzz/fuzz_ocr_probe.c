/* Fuzz target of hl_ocr_probe, the header parsers that run on every scan before anything is
 * decoded (PNG chunks, JPEG segments, TIFF directories and strip tables, the PDF page tree): on
 * arbitrary bytes it either refuses with a message naming the file, or returns pages within the
 * limits that the decoders are then trusted with. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "halong/common.h"
#include "halong/ocr.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_ocr_probe: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Inputs above this go through MuPDF too slowly to be worth a fuzzing run. */
#define MAX_INPUT (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_INPUT)
		return 0;
	/* the probe reads a named regular file: an anonymous one in memory */
	int fd = memfd_create("fuzz_ocr_probe", MFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(size == 0 || write(fd, data, size) == (ssize_t)size);
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	hl_ocr_source s = {0};
	int rc = hl_ocr_probe(&s, path, "scan");
	if (rc < 0) {
		/* one clear error naming the file */
		CHECK(strncmp(hl_error_last(), "scan", 4) == 0);
		CHECK(s.pages == NULL && s.n_pages == 0);
	} else {
		CHECK(rc == 0);
		CHECK(s.n_pages >= 1 && s.n_pages <= HL_OCR_MAX_PAGES && s.pages);
		for (uint32_t i = 0; i < s.n_pages; i++) {
			const hl_ocr_source_page *p = &s.pages[i];
			CHECK(p->width >= 1 && p->width <= HL_OCR_MAX_SIDE);
			CHECK(p->height >= 1 && p->height <= HL_OCR_MAX_SIDE);
			CHECK((unsigned long long)p->width * p->height <= HL_OCR_MAX_PIXELS);
		}
		hl_ocr_source_free(&s);
	}
	close(fd);
	return 0;
}
