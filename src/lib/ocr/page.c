/* Recognising one page: the Tesseract engine, loading the page image (Leptonica for images,
 * MuPDF for PDF pages), light pre-processing, a PDF text layer kept as it is, and the result. */
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>
#include <tesseract/capi.h>

#include "halong/text.h"
#include "ocr/ocr_int.h"

/* Above this many seconds on one page, Tesseract gives up (a hostile or absurd page). */
#define PAGE_DEADLINE_MS 300000

struct hl_ocr_engine {
	TessBaseAPI *api;
};

/* debug_file is one of Tesseract's global parameters (a std::string shared by every engine):
 * set from each worker's engine as it started, it was written by several threads at once (a
 * data race ThreadSanitizer reports, and a corrupt string or heap at worst). It is set once,
 * before any engine exists, as is Leptonica's message level. */
static pthread_once_t debug_file_once = PTHREAD_ONCE_INIT;

static void set_debug_file(void)
{
	/* Leptonica reports through stderr; the library does not print (a global too). */
	setMsgSeverity(L_SEVERITY_NONE);
	TessBaseAPI *t = TessBaseAPICreate();
	if (t) {
		TessBaseAPISetVariable(t, "debug_file", "/dev/null");
		TessBaseAPIDelete(t);
	}
}

int hl_ocr_engine_new(hl_ocr_engine **out, const char *langs, const char *tessdata)
{
	if (!langs)
		langs = "vie+eng";
	pthread_once(&debug_file_once, set_debug_file);
	hl_ocr_engine *e = calloc(1, sizeof *e);
	if (!e)
		return hl_error_set(HL_ENOMEM, "ocr: out of memory");
	e->api = TessBaseAPICreate();
	if (!e->api) {
		free(e);
		return hl_error_set(HL_ENOMEM, "ocr: cannot create a Tesseract engine");
	}
	if (TessBaseAPIInit3(e->api, tessdata, langs) != 0) {
		TessBaseAPIDelete(e->api);
		free(e);
		return hl_error_set(HL_ENOTFOUND,
		                    "ocr: cannot load the Tesseract models \"%s\" from %s (install "
		                    "tesseract-ocr-vie)",
		                    langs, tessdata ? tessdata : "the default tessdata folder");
	}
	TessBaseAPISetPageSegMode(e->api, PSM_AUTO);
	*out = e;
	return 0;
}

void hl_ocr_engine_free(hl_ocr_engine *e)
{
	if (!e)
		return;
	TessBaseAPIEnd(e->api);
	TessBaseAPIDelete(e->api);
	free(e);
}

void hl_ocr_page_free(hl_ocr_page *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_words; i++)
		free(p->words[i].text);
	free(p->words);
	for (size_t i = 0; i < p->n_warnings; i++)
		free(p->warnings[i]);
	free(p->warnings);
	free(p->text);
	memset(p, 0, sizeof *p);
}

/* ---- building the result ---- */

static int add_word(hl_ocr_page *p, size_t *cap, const char *text, int32_t x, int32_t y, int32_t w,
                    int32_t h, float conf, uint32_t block, uint32_t line)
{
	char *nfc = NULL;
	int rc = hl_text_nfc(&nfc, text, -1);
	if (rc)
		return rc;
	if (p->n_words == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		hl_ocr_word *nw = realloc(p->words, nc * sizeof *nw);
		if (!nw) {
			free(nfc);
			return hl_error_set(HL_ENOMEM, "ocr: out of memory");
		}
		p->words = nw;
		*cap = nc;
	}
	p->words[p->n_words++] = (hl_ocr_word){nfc, x, y, w, h, conf, block, line};
	return 0;
}

static int add_warning(hl_ocr_page *p, unsigned flag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int add_warning(hl_ocr_page *p, unsigned flag, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	char **nw = realloc(p->warnings, (p->n_warnings + 1) * sizeof *nw);
	if (!nw)
		return hl_error_set(HL_ENOMEM, "ocr: out of memory");
	p->warnings = nw;
	if (!(p->warnings[p->n_warnings] = strdup(buf)))
		return hl_error_set(HL_ENOMEM, "ocr: out of memory");
	p->n_warnings++;
	p->warn_flags |= flag;
	return 0;
}

/* ---- a PDF page's own text layer ---- */

/* Words from MuPDF's structured text: characters grouped at spaces, boxes in pixels at `dpi`. */
static int text_layer(hl_ocr_page *p, fz_context *ctx, fz_document *doc, int idx, double dpi,
                      const char *name)
{
	fz_stext_page *st = NULL;
	fz_var(st);
	fz_try(ctx)
	{
		fz_stext_options opts = {0};
		st = fz_new_stext_page_from_page_number(ctx, doc, idx, &opts);
	}
	fz_catch(ctx)
	{
		return hl_error_set(HL_EINVALID, "%s: page %d: cannot read the text layer: %s",
		                    name, idx + 1, fz_caught_message(ctx));
	}
	int rc = 0;
	size_t cap = 0;
	char *buf = NULL, *text = NULL;
	size_t blen = 0;
	FILE *tf = NULL;
	size_t tlen = 0;
	double s = dpi / 72.0;
	tf = open_memstream(&text, &tlen);
	if (!tf) {
		rc = hl_error_set(HL_ENOMEM, "ocr: out of memory");
		goto done;
	}
	uint32_t bno = 0, lno = 0;
	for (fz_stext_block *b = st->first_block; b; b = b->next) {
		if (b->type != FZ_STEXT_BLOCK_TEXT)
			continue;
		if (bno)
			fputc('\n', tf);
		for (fz_stext_line *l = b->u.t.first_line; l; l = l->next) {
			fz_rect wb = fz_empty_rect;
			int first_in_line = 1;
			for (fz_stext_char *c = l->first_char;; c = c->next) {
				int end = !c || c->c == ' ' || c->c == '\t' || c->c == 0xa0;
				if (end && blen > 0) {
					buf[blen] = 0;
					rc = add_word(p, &cap, buf, (int32_t)(wb.x0 * s),
					              (int32_t)(wb.y0 * s),
					              (int32_t)((wb.x1 - wb.x0) * s + 0.5),
					              (int32_t)((wb.y1 - wb.y0) * s + 0.5), 100.0f,
					              bno, lno);
					if (rc)
						goto done;
					fprintf(tf, "%s%s", first_in_line ? "" : " ", buf);
					first_in_line = 0;
					blen = 0;
					wb = fz_empty_rect;
				}
				if (!c)
					break;
				if (end)
					continue;
				char u[FZ_UTFMAX];
				int n = fz_runetochar(u, c->c);
				char *nb = realloc(buf, blen + (size_t)n + 1);
				if (!nb) {
					rc = hl_error_set(HL_ENOMEM, "ocr: out of memory");
					goto done;
				}
				buf = nb;
				memcpy(buf + blen, u, (size_t)n);
				blen += (size_t)n;
				wb = fz_union_rect(wb, fz_rect_from_quad(c->quad));
			}
			fputc('\n', tf);
			lno++;
		}
		bno++;
	}
	fclose(tf);
	tf = NULL;
	rc = hl_text_nfc(&p->text, text ? text : "", -1);
done:
	if (tf)
		fclose(tf);
	free(text);
	free(buf);
	fz_drop_stext_page(ctx, st);
	return rc;
}

/* ---- images ---- */

/* A MuPDF grey pixmap as a Leptonica 8-bit image. */
static PIX *pix_from_fz(const fz_pixmap *pm, int dpi)
{
	PIX *pix = pixCreate(pm->w, pm->h, 8);
	if (!pix)
		return NULL;
	l_uint32 *data = pixGetData(pix);
	int wpl = pixGetWpl(pix);
	for (int y = 0; y < pm->h; y++) {
		const unsigned char *src = pm->samples + (size_t)y * pm->stride;
		l_uint32 *line = data + (size_t)y * wpl;
		for (int x = 0; x < pm->w; x++)
			SET_DATA_BYTE(line, x, src[x * pm->n]);
	}
	pixSetResolution(pix, dpi, dpi);
	return pix;
}

/* Maps a point of the processed image back to the stored image: undoes the deskew rotation
 * (about the centre) and the orientation fix. */
typedef struct {
	double cx, cy, cosa, sina; /* deskew: rotation of the processed frame */
	int quads;                 /* orientation: 90-degree turns applied, clockwise */
	int w0, h0;                /* stored image size */
} frame_map;

static void map_point(const frame_map *m, double x, double y, double *ox, double *oy)
{
	/* deskew rotated the image by -angle about the centre; turn the point back */
	double dx = x - m->cx, dy = y - m->cy;
	double rx = m->cx + dx * m->cosa - dy * m->sina;
	double ry = m->cy + dx * m->sina + dy * m->cosa;
	/* orientation: the processed image is the stored one turned `quads` times clockwise */
	switch (m->quads & 3) {
	case 1:
		*ox = ry, *oy = m->h0 - rx;
		break;
	case 2:
		*ox = m->w0 - rx, *oy = m->h0 - ry;
		break;
	case 3:
		*ox = m->w0 - ry, *oy = rx;
		break;
	default:
		*ox = rx, *oy = ry;
		break;
	}
}

static void map_box(const frame_map *m, int x, int y, int w, int h, int32_t *o)
{
	double xs[4], ys[4];
	map_point(m, x, y, &xs[0], &ys[0]);
	map_point(m, x + w, y, &xs[1], &ys[1]);
	map_point(m, x, y + h, &xs[2], &ys[2]);
	map_point(m, x + w, y + h, &xs[3], &ys[3]);
	/* the box around the word in the stored image: centre kept, size as measured */
	double cx = (xs[0] + xs[1] + xs[2] + xs[3]) / 4, cy = (ys[0] + ys[1] + ys[2] + ys[3]) / 4;
	int sw = (m->quads & 1) ? h : w, sh = (m->quads & 1) ? w : h;
	o[0] = (int32_t)lround(cx - sw / 2.0);
	o[1] = (int32_t)lround(cy - sh / 2.0);
	o[2] = sw;
	o[3] = sh;
}

/* Pre-processing by flags; returns a new image (or a clone) and fills the frame map. */
static PIX *preprocess(PIX *src, unsigned flags, hl_ocr_page *p, frame_map *m)
{
	PIX *cur = pixClone(src);
	m->quads = 0;
	m->cosa = 1;
	m->sina = 0;
	m->w0 = pixGetWidth(src);
	m->h0 = pixGetHeight(src);
	if (flags & (HL_OCR_DENOISE | HL_OCR_BINARIZE | HL_OCR_DESKEW | HL_OCR_ORIENT |
	             HL_OCR_AUTO_CLEAN)) {
		PIX *g = pixConvertTo8(cur, 0);
		if (g) {
			pixDestroy(&cur);
			cur = g;
		}
	}
	if ((flags & HL_OCR_AUTO_CLEAN) && !(flags & (HL_OCR_DENOISE | HL_OCR_BINARIZE)) &&
	    pixGetDepth(cur) == 8) {
		/* A clean scan is black text on white paper: mid greys only on the edges of strokes
		 * (1-2% of the pixels on the test pages); a grainy copy has them everywhere (15%).
		 */
		NUMA *h = pixGetGrayHistogram(cur, 2);
		l_float32 total = 0, mid = 0;
		if (h) {
			for (int i = 0; i < 256; i++) {
				l_float32 v = 0;
				numaGetFValue(h, i, &v);
				total += v;
				if (i > 48 && i < 208)
					mid += v;
			}
			numaDestroy(&h);
		}
		if (total > 0 && mid / total > 0.06f)
			flags |= HL_OCR_DENOISE | HL_OCR_BINARIZE;
	}
	if (flags & HL_OCR_DENOISE) {
		/* a 3x3 median removes specks and grain and keeps strokes of 300-dpi text */
		PIX *d = pixRankFilterGray(cur, 3, 3, 0.5f);
		if (d) {
			pixDestroy(&cur);
			cur = d;
		}
	}
	if (flags & HL_OCR_ORIENT) {
		/* Leptonica's up/left test on ascenders and descenders of Latin text, with its
		 * default confidence thresholds; it answers in degrees clockwise */
		PIX *b = pixConvertTo1(cur, 160);
		l_float32 up = 0, left = 0;
		l_int32 deg = 0;
		if (b) {
			PIX *o = pixOrientCorrect(b, 0.0f, 0.0f, &up, &left, &deg, 0);
			pixDestroy(&o);
			pixDestroy(&b);
		}
		int quads = deg / 90;
		if (quads > 0 && quads < 4) {
			PIX *r = pixRotateOrth(cur, quads);
			if (r) {
				pixDestroy(&cur);
				cur = r;
				m->quads = quads;
				p->rotation = quads * 90;
			}
		}
	}
	if (flags & HL_OCR_DESKEW) {
		PIX *b = pixConvertTo1(cur, 160);
		l_float32 angle = 0, conf = 0;
		if (b && pixFindSkew(b, &angle, &conf) == 0 && conf >= 3.0f &&
		    fabsf(angle) >= 0.1f && fabsf(angle) <= 10.0f) {
			double rad = angle * M_PI / 180.0;
			PIX *r = pixRotate(cur, (l_float32)rad, L_ROTATE_AREA_MAP, L_BRING_IN_WHITE,
			                   0, 0);
			if (r) {
				pixDestroy(&cur);
				cur = r;
				p->skew_deg = angle;
				m->cosa = cos(-rad);
				m->sina = sin(-rad);
			}
		}
		pixDestroy(&b);
	}
	if (flags & HL_OCR_BINARIZE) {
		PIX *bin = NULL;
		if (pixSauvolaBinarizeTiled(cur, 25, 0.35f, 1, 1, NULL, &bin) == 0 && bin) {
			pixDestroy(&cur);
			cur = bin;
		}
	}
	m->cx = pixGetWidth(cur) / 2.0;
	m->cy = pixGetHeight(cur) / 2.0;
	return cur;
}

static int recognise(hl_ocr_page *p, hl_ocr_engine *e, PIX *pix, unsigned flags, int dpi,
                     const char *name, int page_no)
{
	frame_map m;
	int rc = 0;
	size_t cap = 0;
	char *raw = NULL;
	TessResultIterator *it = NULL;
	ETEXT_DESC *mon = NULL;
	PIX *work = preprocess(pix, flags, p, &m);
	if (!work)
		return hl_error_set(HL_ENOMEM, "%s: page %d: out of memory", name, page_no);
	/* One engine, one core: Tesseract's OpenMP loops stay on this thread, so N workers use N
	 * cores instead of N x 4 threads fighting over them (what OMP_THREAD_LIMIT=1 does for the
	 * command). The setting is this thread's. */
	omp_set_max_active_levels(0);
	TessBaseAPISetImage2(e->api, work);
	TessBaseAPISetSourceResolution(e->api, dpi > 0 ? dpi : 300);
	mon = TessMonitorCreate();
	if (mon)
		TessMonitorSetDeadlineMSecs(mon, PAGE_DEADLINE_MS);
	if (TessBaseAPIRecognize(e->api, mon) != 0) {
		rc = hl_error_set(HL_ERROR,
		                  "%s: page %d: recognition failed or took longer than %d s", name,
		                  page_no, PAGE_DEADLINE_MS / 1000);
		goto done;
	}
	raw = TessBaseAPIGetUTF8Text(e->api);
	rc = hl_text_nfc(&p->text, raw ? raw : "", -1);
	if (rc)
		goto done;
	it = TessBaseAPIGetIterator(e->api);
	double sum = 0;
	if (it) {
		uint32_t block = 0, line = 0;
		int first = 1;
		TessPageIterator *pi = TessResultIteratorGetPageIterator(it);
		do {
			if (!first && TessPageIteratorIsAtBeginningOf(pi, RIL_BLOCK))
				block++;
			if (!first && TessPageIteratorIsAtBeginningOf(pi, RIL_TEXTLINE))
				line++;
			char *w = TessResultIteratorGetUTF8Text(it, RIL_WORD);
			int x0, y0, x1, y1;
			if (w && *w &&
			    TessPageIteratorBoundingBox(pi, RIL_WORD, &x0, &y0, &x1, &y1)) {
				int32_t box[4];
				map_box(&m, x0, y0, x1 - x0, y1 - y0, box);
				float conf = TessResultIteratorConfidence(it, RIL_WORD);
				rc = add_word(p, &cap, w, box[0], box[1], box[2], box[3], conf,
				              block, line);
				sum += conf;
				first = 0;
			}
			TessDeleteText(w);
			if (rc)
				goto done;
		} while (TessResultIteratorNext(it, RIL_WORD));
	}
	p->mean_conf = p->n_words ? (float)(sum / p->n_words) : 0.0f;
done:
	TessResultIteratorDelete(it);
	TessDeleteText(raw);
	if (mon)
		TessMonitorDelete(mon);
	TessBaseAPIClear(e->api);
	pixDestroy(&work);
	return rc;
}

static int check_dpi(hl_ocr_page *p, uint32_t dpi, const char *name, int page_no)
{
	if (dpi == 0)
		return add_warning(
		    p, HL_OCR_WARN_NO_DPI,
		    "%s: page %d: the file does not give its resolution (taken as 300 "
		    "dpi)",
		    name, page_no);
	if (dpi < HL_OCR_MIN_DPI)
		return add_warning(p, HL_OCR_WARN_LOW_DPI,
		                   "%s: page %d: scanned at %u dpi, below the %u dpi required for "
		                   "digitized records (Nghị định 30/2020/NĐ-CP, Phụ lục I)",
		                   name, page_no, dpi, HL_OCR_MIN_DPI);
	return 0;
}

static int run_pdf(hl_ocr_page *p, hl_ocr_engine *e, const char *path, const char *name,
                   int page_no, const hl_ocr_source *src, unsigned flags, uint32_t dpi)
{
	fz_context *ctx = hl_ocr__fz_new();
	if (!ctx)
		return hl_error_set(HL_ENOMEM, "%s: out of memory", name);
	fz_stream *stm = NULL;
	fz_document *doc = NULL;
	fz_pixmap *pm = NULL;
	PIX *pix = NULL;
	int rc = 0;
	const hl_ocr_source_page *sp = &src->pages[page_no - 1];
	fz_var(stm);
	fz_var(doc);
	fz_var(pm);
	fz_try(ctx)
	{
		stm = fz_open_file(ctx, path);
		doc = fz_open_document_with_stream(ctx, "application/pdf", stm);
		hl_ocr__pdf_facts f;
		hl_ocr__pdf_page_facts(ctx, doc, page_no - 1, &f);
		/* A text layer is kept when it holds real text; a scan with a stamped page number
		 * (a few characters over a full-page image) is still recognised. */
		int keep = !(flags & HL_OCR_FORCE_OCR) && f.text_chars > 0 &&
		           (f.text_chars >= 16 || f.image_area == 0);
		if (!keep)
			pm = fz_new_pixmap_from_page_number(ctx, doc, page_no - 1,
			                                    fz_scale(dpi / 72.0f, dpi / 72.0f),
			                                    fz_device_gray(ctx), 0);
		else
			rc = 1;
	}
	fz_catch(ctx)
	{
		rc = hl_error_set(HL_EINVALID, "%s: page %d: cannot render the PDF page: %s", name,
		                  page_no, fz_caught_message(ctx));
		goto done;
	}
	p->page_no = (uint32_t)page_no;
	p->dpi = dpi;
	if (rc == 1) {
		p->width = (uint32_t)lround(sp->width_pt * dpi / 72.0);
		p->height = (uint32_t)lround(sp->height_pt * dpi / 72.0);
		p->from_text_layer = 1;
		p->mean_conf = -1;
		rc = text_layer(p, ctx, doc, page_no - 1, dpi, name);
		goto done;
	}
	pix = pix_from_fz(pm, (int)dpi);
	if (!pix) {
		rc = hl_error_set(HL_ENOMEM, "%s: page %d: out of memory", name, page_no);
		goto done;
	}
	p->width = (uint32_t)pm->w;
	p->height = (uint32_t)pm->h;
	/* The standard's floor applies to the scan inside the PDF, not to our rendering. */
	if ((rc = check_dpi(p, sp->dpi, name, page_no)))
		goto done;
	rc = recognise(p, e, pix, flags, (int)dpi, name, page_no);
done:
	pixDestroy(&pix);
	fz_drop_pixmap(ctx, pm);
	fz_drop_document(ctx, doc);
	fz_drop_stream(ctx, stm);
	fz_drop_context(ctx);
	return rc;
}

static int run_image(hl_ocr_page *p, hl_ocr_engine *e, const char *path, const char *name,
                     int page_no, const hl_ocr_source *src, unsigned flags)
{
	PIX *pix = src->format == HL_OCR_FMT_TIFF ? pixReadTiff(path, page_no - 1) : pixRead(path);
	if (!pix)
		return hl_error_set(HL_EINVALID, "%s: page %d: corrupt %s image (cannot decode it)",
		                    name, page_no, hl_ocr_format_name(src->format));
	const hl_ocr_source_page *sp = &src->pages[page_no - 1];
	int rc = 0;
	p->page_no = (uint32_t)page_no;
	p->width = (uint32_t)pixGetWidth(pix);
	p->height = (uint32_t)pixGetHeight(pix);
	p->dpi = sp->dpi ? sp->dpi : (uint32_t)pixGetXRes(pix);
	if (p->width != sp->width || p->height != sp->height) {
		rc = hl_error_set(HL_EINVALID,
		                  "%s: page %d: corrupt image (header says %u x %u, data %u x %u)",
		                  name, page_no, sp->width, sp->height, p->width, p->height);
		goto done;
	}
	if ((rc = check_dpi(p, p->dpi, name, page_no)))
		goto done;
	rc = recognise(p, e, pix, flags, (int)p->dpi, name, page_no);
done:
	pixDestroy(&pix);
	return rc;
}

int hl_ocr_page_run(hl_ocr_page *out, hl_ocr_engine *e, const char *path, const char *display_name,
                    int page_no, const hl_ocr_opts *opts)
{
	const char *name = hl_ocr__name(path, display_name);
	hl_ocr_source src = {0};
	hl_ocr_page p = {0};
	unsigned flags = opts ? opts->flags : HL_OCR_DEFAULT_FLAGS;
	uint32_t dpi = opts && opts->render_dpi ? opts->render_dpi : HL_OCR_RENDER_DPI;
	if (dpi < 50 || dpi > 1200)
		return hl_error_set(HL_EINVALID, "%s: render resolution %u dpi out of 50..1200",
		                    name, dpi);
	int rc = hl_ocr__probe(&src, path, display_name, page_no > 0 ? page_no : 1);
	if (rc)
		return rc;
	if (page_no < 1 || (uint32_t)page_no > src.n_pages) {
		rc = hl_error_set(HL_ENOTFOUND, "%s: page %d: no such page (the file has %u)", name,
		                  page_no, src.n_pages);
		goto done;
	}
	if (src.format == HL_OCR_FMT_PDF)
		rc = run_pdf(&p, e, path, name, page_no, &src, flags, dpi);
	else
		rc = run_image(&p, e, path, name, page_no, &src, flags);
	if (rc == 0 && p.n_words == 0)
		rc = add_warning(&p, HL_OCR_WARN_NO_TEXT, "%s: page %d: no text found on the page",
		                 name, page_no);
done:
	hl_ocr_source_free(&src);
	if (rc) {
		hl_ocr_page_free(&p);
		return rc;
	}
	*out = p;
	return 0;
}
