/* The searchable PDF of a document's pages: each page image with an invisible text layer laid on
 * the word boxes (MuPDF writes it; a PDF source page is copied, not rasterised). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <utf8proc.h>

#include "ocr/ocr_int.h"

/* Tesseract's glyphless font: one empty glyph for every code, so an invisible word can be
 * stretched over its box. Embedded when the tesseract-ocr package ships it. */
#define GLYPHLESS_TTF "/usr/share/tesseract-ocr/5/tessdata/pdf.ttf"

/* A PDF object from its text, with "N 0 R" references into doc. */
static pdf_obj *obj(fz_context *ctx, pdf_document *doc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static pdf_obj *obj(fz_context *ctx, pdf_document *doc, const char *fmt, ...)
{
	char s[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s, sizeof s, fmt, ap);
	va_end(ap);
	fz_stream *stm = fz_open_memory(ctx, (const unsigned char *)s, strlen(s));
	pdf_lexbuf lb;
	pdf_obj *o = NULL;
	pdf_lexbuf_init(ctx, &lb, PDF_LEXBUF_SMALL);
	fz_try(ctx) o = pdf_parse_stm_obj(ctx, doc, stm, &lb);
	fz_always(ctx)
	{
		pdf_lexbuf_fin(ctx, &lb);
		fz_drop_stream(ctx, stm);
	}
	fz_catch(ctx) fz_rethrow(ctx);
	return o;
}

static pdf_obj *stream_of(fz_context *ctx, pdf_document *doc, const void *data, size_t len)
{
	fz_buffer *b = fz_new_buffer_from_copied_data(ctx, data, len);
	pdf_obj *ref = NULL;
	fz_try(ctx) ref = pdf_add_stream(ctx, doc, b, NULL, 0);
	fz_always(ctx) fz_drop_buffer(ctx, b);
	fz_catch(ctx) fz_rethrow(ctx);
	return ref;
}

/* The Type0 font with an identity CMap: codes are UTF-16 units, each glyph 500/1000 wide. */
static pdf_obj *glyphless_font(fz_context *ctx, pdf_document *doc)
{
	static const char cmap[] =
	    "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
	    "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
	    "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
	    "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
	    "1 beginbfrange\n<0000> <FFFF> <0000>\nendbfrange\n"
	    "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";
	pdf_obj *tounicode = NULL, *gidmap = NULL, *file = NULL, *desc = NULL, *cid = NULL,
	        *font = NULL;
	unsigned char *map = NULL;
	fz_buffer *ttf = NULL;
	fz_var(tounicode);
	fz_var(gidmap);
	fz_var(file);
	fz_var(desc);
	fz_var(cid);
	fz_var(map);
	fz_var(ttf);
	fz_var(font);
	fz_try(ctx)
	{
		tounicode = stream_of(ctx, doc, cmap, sizeof cmap - 1);
		/* every CID draws glyph 1, the font's one empty glyph */
		map = fz_malloc(ctx, 65536 * 2);
		for (size_t i = 0; i < 65536; i++)
			map[2 * i] = 0, map[2 * i + 1] = 1;
		gidmap = stream_of(ctx, doc, map, 65536 * 2);
		if (access(GLYPHLESS_TTF, R_OK) == 0) {
			ttf = fz_read_file(ctx, GLYPHLESS_TTF);
			file = pdf_add_stream(ctx, doc, ttf, NULL, 0);
			pdf_dict_put_int(ctx, pdf_resolve_indirect(ctx, file), PDF_NAME(Length1),
			                 (int64_t)ttf->len);
		}
		char ff[64] = "";
		if (file)
			snprintf(ff, sizeof ff, "/FontFile2 %d 0 R", pdf_to_num(ctx, file));
		desc = pdf_add_object_drop(
		    ctx, doc,
		    obj(ctx, doc,
		        "<< /Type /FontDescriptor /FontName /GlyphLessFont /Flags 5 /FontBBox [0 0 "
		        "500 1000] /ItalicAngle 0 /Ascent 1000 /Descent 0 /CapHeight 1000 /StemV "
		        "80 "
		        "%s >>",
		        ff));
		cid = pdf_add_object_drop(
		    ctx, doc,
		    obj(ctx, doc,
		        "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /GlyphLessFont "
		        "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
		        "/FontDescriptor %d 0 R /DW 500 /CIDToGIDMap %d 0 R >>",
		        pdf_to_num(ctx, desc), pdf_to_num(ctx, gidmap)));
		font = pdf_add_object_drop(
		    ctx, doc,
		    obj(ctx, doc,
		        "<< /Type /Font /Subtype /Type0 /BaseFont /GlyphLessFont /Encoding "
		        "/Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>",
		        pdf_to_num(ctx, cid), pdf_to_num(ctx, tounicode)));
	}
	fz_always(ctx)
	{
		fz_free(ctx, map);
		fz_drop_buffer(ctx, ttf);
		pdf_drop_obj(ctx, tounicode);
		pdf_drop_obj(ctx, gidmap);
		pdf_drop_obj(ctx, file);
		pdf_drop_obj(ctx, desc);
		pdf_drop_obj(ctx, cid);
	}
	fz_catch(ctx) fz_rethrow(ctx);
	return font;
}

/* Appends the invisible words of one page. `to_user` maps fitz space (points, y down, origin at
 * the top left of the page as shown) to the page's PDF user space; `pt` is points per pixel of
 * the OCR result. */
static void text_ops(fz_context *ctx, fz_buffer *b, const hl_ocr_page *p, fz_matrix to_user,
                     double ptx, double pty)
{
	fz_append_string(ctx, b, "BT\n3 Tr\n/HLOCR 1 Tf\n");
	for (size_t i = 0; i < p->n_words; i++) {
		const hl_ocr_word *w = &p->words[i];
		if (!w->text || !*w->text || w->w <= 0 || w->h <= 0)
			continue;
		/* UTF-16 units of the word: the font's codes */
		unsigned units = 0;
		const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)w->text;
		char hex[4096];
		size_t hl = 0;
		while (*s && hl + 9 < sizeof hex) {
			utf8proc_int32_t c;
			utf8proc_ssize_t m = utf8proc_iterate(s, -1, &c);
			if (m <= 0)
				break;
			s += m;
			if (c > 0xffff) {
				c -= 0x10000;
				hl += (size_t)snprintf(hex + hl, sizeof hex - hl, "%04X%04X",
				                       0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
				units += 2;
			} else {
				hl += (size_t)snprintf(hex + hl, sizeof hex - hl, "%04X",
				                       (unsigned)c);
				units++;
			}
		}
		if (!units)
			continue;
		double x = w->x * ptx, y = w->y * pty, wd = w->w * ptx, ht = w->h * pty;
		/* each glyph is 0.5 units wide at size 1: stretch the word over its box, baseline
		 * at the bottom of the box, upright on the page as shown */
		fz_matrix g = fz_make_matrix((float)(2.0 * wd / units), 0, 0, (float)-ht, (float)x,
		                             (float)(y + ht));
		fz_matrix m = fz_concat(g, to_user);
		fz_append_printf(ctx, b, "%g %g %g %g %g %g Tm <%s> Tj\n", m.a, m.b, m.c, m.d, m.e,
		                 m.f, hex);
	}
	fz_append_string(ctx, b, "ET\n");
}

/* A page made of an image file's page, with its words. */
static void image_page(fz_context *ctx, pdf_document *out, pdf_obj *font, const char *path,
                       hl_ocr_format fmt, int page_no, const hl_ocr_page *p)
{
	fz_buffer *file = NULL, *content = NULL;
	fz_pixmap *pm = NULL;
	fz_image *img = NULL;
	pdf_obj *imref = NULL, *res = NULL, *page = NULL;
	fz_var(file);
	fz_var(content);
	fz_var(pm);
	fz_var(img);
	fz_var(imref);
	fz_var(res);
	fz_var(page);
	fz_try(ctx)
	{
		file = fz_read_file(ctx, path);
		if (fmt == HL_OCR_FMT_TIFF) {
			pm = fz_load_tiff_subimage(ctx, file->data, file->len, page_no - 1);
			img = fz_new_image_from_pixmap(ctx, pm, NULL);
		} else {
			/* JPEG data goes into the PDF as it is */
			img = fz_new_image_from_buffer(ctx, file);
		}
		double dpi = p->dpi ? p->dpi : 300;
		double wpt = img->w * 72.0 / dpi, hpt = img->h * 72.0 / dpi;
		imref = pdf_add_image(ctx, out, img);
		res = obj(ctx, out, "<< /XObject << /Im0 %d 0 R >> /Font << /HLOCR %d 0 R >> >>",
		          pdf_to_num(ctx, imref), pdf_to_num(ctx, font));
		content = fz_new_buffer(ctx, 4096);
		fz_append_printf(ctx, content, "q %g 0 0 %g 0 0 cm /Im0 Do Q\n", wpt, hpt);
		/* the boxes are pixels of the stored image; p's size is that image's */
		double ptx = wpt / (p->width ? p->width : (uint32_t)img->w);
		double pty = hpt / (p->height ? p->height : (uint32_t)img->h);
		text_ops(ctx, content, p, fz_make_matrix(1, 0, 0, -1, 0, (float)hpt), ptx, pty);
		page = pdf_add_page(ctx, out, fz_make_rect(0, 0, (float)wpt, (float)hpt), 0, res,
		                    content);
		pdf_insert_page(ctx, out, -1, page);
	}
	fz_always(ctx)
	{
		pdf_drop_obj(ctx, page);
		pdf_drop_obj(ctx, res);
		pdf_drop_obj(ctx, imref);
		fz_drop_buffer(ctx, content);
		fz_drop_image(ctx, img);
		fz_drop_pixmap(ctx, pm);
		fz_drop_buffer(ctx, file);
	}
	fz_catch(ctx) fz_rethrow(ctx);
}

/* A PDF source page copied as it is; a scanned one gets its words over its own content. */
static void pdf_page_copy(fz_context *ctx, pdf_document *out, pdf_obj *font, pdf_document *src,
                          int page_no, const hl_ocr_page *p)
{
	pdf_page *pg = NULL;
	fz_buffer *pre = NULL, *post = NULL;
	pdf_obj *arr = NULL, *preref = NULL, *postref = NULL;
	fz_var(pg);
	fz_var(pre);
	fz_var(post);
	fz_var(arr);
	fz_var(preref);
	fz_var(postref);
	fz_try(ctx)
	{
		int at = pdf_count_pages(ctx, out);
		pdf_graft_page(ctx, out, -1, src, page_no - 1);
		if (!p->from_text_layer && p->n_words > 0) {
			pg = pdf_load_page(ctx, out, at);
			fz_rect mb;
			fz_matrix ctm;
			pdf_page_transform(ctx, pg, &mb, &ctm);
			fz_matrix to_user = fz_invert_matrix(ctm);
			double dpi = p->dpi ? p->dpi : HL_OCR_RENDER_DPI;
			pdf_obj *po = pg->obj;
			pdf_obj *res = pdf_dict_get_inheritable(ctx, po, PDF_NAME(Resources));
			if (!res)
				res = pdf_dict_put_dict(ctx, po, PDF_NAME(Resources), 2);
			pdf_obj *fonts = pdf_dict_get(ctx, res, PDF_NAME(Font));
			if (!fonts)
				fonts = pdf_dict_put_dict(ctx, res, PDF_NAME(Font), 1);
			pdf_dict_puts(ctx, fonts, "HLOCR", font);
			/* the page's own content is wrapped in q/Q so whatever state it leaves does
			 * not move the words */
			pre = fz_new_buffer_from_copied_data(ctx, (const unsigned char *)"q\n", 2);
			post = fz_new_buffer(ctx, 4096);
			fz_append_string(ctx, post, "Q\n");
			text_ops(ctx, post, p, to_user, 72.0 / dpi, 72.0 / dpi);
			preref = pdf_add_stream(ctx, out, pre, NULL, 0);
			postref = pdf_add_stream(ctx, out, post, NULL, 0);
			pdf_obj *old = pdf_dict_get(ctx, po, PDF_NAME(Contents));
			arr = pdf_new_array(ctx, out, 4);
			pdf_array_push(ctx, arr, preref);
			if (pdf_is_array(ctx, old))
				for (int i = 0; i < pdf_array_len(ctx, old); i++)
					pdf_array_push(ctx, arr, pdf_array_get(ctx, old, i));
			else if (old)
				pdf_array_push(ctx, arr, old);
			pdf_array_push(ctx, arr, postref);
			pdf_dict_put(ctx, po, PDF_NAME(Contents), arr);
		}
	}
	fz_always(ctx)
	{
		pdf_drop_obj(ctx, arr);
		pdf_drop_obj(ctx, preref);
		pdf_drop_obj(ctx, postref);
		fz_drop_buffer(ctx, pre);
		fz_drop_buffer(ctx, post);
		fz_drop_page(ctx, (fz_page *)pg);
	}
	fz_catch(ctx) fz_rethrow(ctx);
}

int hl_ocr_pdf_export(const char *out_path, const hl_ocr_pdf_page *pages, size_t n)
{
	if (n == 0)
		return hl_error_set(HL_EINVALID, "%s: no pages to export", out_path);
	if (n > 100000)
		return hl_error_set(HL_ELIMIT, "%s: %zu pages, too many for one PDF", out_path, n);
	fz_context *ctx = hl_ocr__fz_new();
	if (!ctx)
		return hl_error_set(HL_ENOMEM, "%s: out of memory", out_path);
	pdf_document *out = NULL, *src = NULL;
	pdf_obj *font = NULL;
	char *src_path = NULL;
	int rc = 0;
	volatile size_t at = 0;
	volatile int saving = 0;
	size_t tlen = strlen(out_path) + 16;
	char *tmp = malloc(tlen);
	if (!tmp) {
		fz_drop_context(ctx);
		return hl_error_set(HL_ENOMEM, "%s: out of memory", out_path);
	}
	snprintf(tmp, tlen, "%s.tmp%d", out_path, (int)getpid());
	fz_var(out);
	fz_var(src);
	fz_var(font);
	fz_var(src_path);
	fz_var(rc);
	fz_try(ctx)
	{
		out = pdf_create_document(ctx);
		font = glyphless_font(ctx, out);
		for (size_t i = 0; i < n && rc == 0; i++) {
			at = i;
			const hl_ocr_pdf_page *pp = &pages[i];
			const char *name = hl_ocr__name(pp->path, pp->display_name);
			hl_ocr_source s;
			rc = hl_ocr__probe(&s, pp->path, pp->display_name,
			                   pp->page_no > 0 ? pp->page_no : 1);
			if (rc)
				break;
			hl_ocr_format fmt = s.format;
			uint32_t np = s.n_pages;
			hl_ocr_source_free(&s);
			if (pp->page_no < 1 || (uint32_t)pp->page_no > np || !pp->ocr) {
				rc = hl_error_set(HL_EINVALID,
				                  "%s: page %d: no such page or no OCR result",
				                  name, pp->page_no);
				break;
			}
			if (fmt == HL_OCR_FMT_PDF) {
				/* consecutive pages of one PDF share one open document (and its
				 * objects) */
				if (!src_path || strcmp(src_path, pp->path) != 0) {
					pdf_drop_document(ctx, src);
					src = NULL;
					free(src_path);
					src_path = strdup(pp->path);
					src = pdf_open_document(ctx, pp->path);
				}
				pdf_page_copy(ctx, out, font, src, pp->page_no, pp->ocr);
			} else {
				image_page(ctx, out, font, pp->path, fmt, pp->page_no, pp->ocr);
			}
		}
		if (rc == 0) {
			pdf_write_options opts = pdf_default_write_options;
			opts.do_compress = 1;
			opts.do_compress_images = 1;
			opts.do_compress_fonts = 1;
			opts.do_garbage = 1;
			saving = 1;
			pdf_save_document(ctx, out, tmp, &opts);
		}
	}
	fz_always(ctx)
	{
		pdf_drop_obj(ctx, font);
		pdf_drop_document(ctx, src);
		pdf_drop_document(ctx, out);
	}
	fz_catch(ctx)
	{
		const hl_ocr_pdf_page *pp = &pages[at];
		if (saving)
			rc = hl_error_set(HL_EIO, "%s: cannot write the PDF: %s", out_path,
			                  fz_caught_message(ctx));
		else
			rc = hl_error_set(HL_EINVALID, "%s: page %d: cannot export: %s",
			                  hl_ocr__name(pp->path, pp->display_name), pp->page_no,
			                  fz_caught_message(ctx));
	}
	free(src_path);
	fz_drop_context(ctx);
	if (rc == 0 && rename(tmp, out_path) != 0)
		rc = hl_error_set(HL_EIO, "%s: cannot write: %s", out_path, strerror(errno));
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}
