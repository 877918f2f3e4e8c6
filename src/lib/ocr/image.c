/* A page as a PNG for viewing (the web viewer's page image): images through Leptonica, PDF pages
 * rendered by MuPDF, scaled to a width. */
#include <leptonica/allheaders.h>
#include <stdlib.h>
#include <string.h>

#include "ocr_int.h"

#define MAX_VIEW_WIDTH 3000u

static int png_of_pdf_page(unsigned char **png, size_t *len, const char *path, const char *name,
                           int page_no, uint32_t width, double width_pt)
{
	fz_context *ctx = hl_ocr__fz_new();
	fz_document *doc = NULL;
	fz_pixmap *pm = NULL;
	fz_buffer *buf = NULL;
	int rc = 0;

	if (!ctx)
		return hl_error_set(HL_ENOMEM, "out of memory");
	fz_var(doc);
	fz_var(pm);
	fz_var(buf);
	fz_try(ctx)
	{
		float zoom = width_pt > 0 ? (float)(width / width_pt) : 1.0f;
		unsigned char *data;
		size_t n;
		doc = fz_open_document(ctx, path);
		pm = fz_new_pixmap_from_page_number(ctx, doc, page_no - 1, fz_scale(zoom, zoom),
		                                    fz_device_rgb(ctx), 0);
		buf = fz_new_buffer_from_pixmap_as_png(ctx, pm, fz_default_color_params);
		n = fz_buffer_storage(ctx, buf, &data);
		if (!(*png = malloc(n ? n : 1)))
			fz_throw(ctx, FZ_ERROR_GENERIC, "out of memory");
		memcpy(*png, data, n);
		*len = n;
	}
	fz_catch(ctx)
	{
		rc = hl_error_set(HL_EINVALID, "%s: page %d: cannot render: %s", name, page_no,
		                  fz_caught_message(ctx));
	}
	fz_drop_buffer(ctx, buf);
	fz_drop_pixmap(ctx, pm);
	fz_drop_document(ctx, doc);
	fz_drop_context(ctx);
	return rc;
}

static int png_of_image(unsigned char **png, size_t *len, const char *path, const char *name,
                        int page_no, hl_ocr_format fmt, uint32_t width)
{
	PIX *pix = fmt == HL_OCR_FMT_TIFF ? pixReadTiff(path, page_no - 1) : pixRead(path);
	PIX *p8 = NULL, *scaled = NULL;
	l_uint8 *data = NULL;
	size_t n = 0;
	int rc = 0;

	if (!pix)
		return hl_error_set(HL_EINVALID, "%s: page %d: cannot decode the image", name,
		                    page_no);
	/* a bilevel or palette scan is shown in grey, so that scaling it down stays legible */
	p8 = pixGetDepth(pix) < 8 || pixGetColormap(pix) ? pixConvertTo8(pix, 0) : pixClone(pix);
	if (p8 && (uint32_t)pixGetWidth(p8) > width)
		scaled = pixScale(p8, (l_float32)width / (l_float32)pixGetWidth(p8),
		                  (l_float32)width / (l_float32)pixGetWidth(p8));
	else if (p8)
		scaled = pixClone(p8);
	if (!scaled || pixWriteMem(&data, &n, scaled, IFF_PNG) != 0 || !data) {
		rc = hl_error_set(HL_ERROR, "%s: page %d: cannot make the PNG", name, page_no);
	} else {
		/* Leptonica's buffer is its own allocation: copy it into ours */
		if (!(*png = malloc(n))) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
		} else {
			memcpy(*png, data, n);
			*len = n;
		}
	}
	lept_free(data);
	pixDestroy(&scaled);
	pixDestroy(&p8);
	pixDestroy(&pix);
	return rc;
}

int hl_ocr_page_png(unsigned char **png, size_t *len, const char *path, const char *display_name,
                    int page_no, uint32_t max_width)
{
	const char *name = hl_ocr__name(path, display_name);
	hl_ocr_source src = {0};
	uint32_t width;
	int rc;

	if (max_width == 0)
		max_width = 1200;
	if (max_width > MAX_VIEW_WIDTH)
		return hl_error_set(HL_ELIMIT, "a page image is at most %u pixels wide",
		                    MAX_VIEW_WIDTH);
	/* the same refusals as recognition, before anything is decoded */
	if ((rc = hl_ocr_probe(&src, path, display_name)) < 0)
		return rc;
	if (page_no < 1 || (uint32_t)page_no > src.n_pages) {
		hl_ocr_source_free(&src);
		return hl_error_set(HL_ENOTFOUND, "%s has no page %d", name, page_no);
	}
	const hl_ocr_source_page *pg = &src.pages[page_no - 1];
	width = pg->width && pg->width < max_width ? pg->width : max_width;
	if (src.format == HL_OCR_FMT_PDF)
		rc = png_of_pdf_page(png, len, path, name, page_no, width, pg->width_pt);
	else
		rc = png_of_image(png, len, path, name, page_no, src.format, width);
	hl_ocr_source_free(&src);
	return rc;
}
