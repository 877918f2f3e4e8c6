/* Internal helpers shared by the files of the ocr module: MuPDF context, PDF page facts, names. */
#ifndef HALONG_OCR_INT_H
#define HALONG_OCR_INT_H

#include <mupdf/fitz.h>
#include <mupdf/pdf.h>

#include "halong/ocr.h"

/* A MuPDF context with its messages silenced (the library does not print). NULL if out of memory.
 */
fz_context *hl_ocr__fz_new(void);

/* What running one PDF page through a probing device found: text drawn (visible or not) and
 * the resolution of its largest image. */
typedef struct {
	int has_text;
	size_t text_chars;
	double image_area; /* of the largest image, in points squared */
	double image_dpi;  /* its resolution, 0 if no image */
} hl_ocr__pdf_facts;

/* Runs page `idx` (0-based) of `doc` through the probing device. Throws like MuPDF does. */
void hl_ocr__pdf_page_facts(fz_context *ctx, fz_document *doc, int idx, hl_ocr__pdf_facts *out);

/* hl_ocr_probe; with only_page > 0, a PDF's page is loaded, sized and checked for that page
 * alone (the others are counted, with zero sizes): what recognising or exporting one page of a
 * long PDF needs, in time that does not grow with the file's pages squared. */
int hl_ocr__probe(hl_ocr_source *out, const char *path, const char *display_name, int only_page);
/* The same on an open descriptor (read with pread only: its offset is not used or moved);
 * `name` names the file in messages. */
int hl_ocr__probe_fd(hl_ocr_source *out, int fd, const char *name, int only_page);

/* The file's name for messages: display_name, or path when it is NULL. */
static inline const char *hl_ocr__name(const char *path, const char *display_name)
{
	return display_name ? display_name : path;
}

#endif
