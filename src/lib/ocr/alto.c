/* ALTO XML v4 for one recognised page: the exchange format of libraries and archives for OCR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halong/util.h"
#include "ocr/ocr_int.h"

typedef struct {
	int32_t x0, y0, x1, y1;
} box;

static box word_box(const hl_ocr_word *w)
{
	return (box){w->x, w->y, w->x + w->w, w->y + w->h};
}

static void grow(box *b, box o)
{
	if (o.x0 < b->x0)
		b->x0 = o.x0;
	if (o.y0 < b->y0)
		b->y0 = o.y0;
	if (o.x1 > b->x1)
		b->x1 = o.x1;
	if (o.y1 > b->y1)
		b->y1 = o.y1;
}

/* The box around words [i, j). */
static box span(const hl_ocr_page *p, size_t i, size_t j)
{
	box b = word_box(&p->words[i]);
	for (size_t k = i + 1; k < j; k++)
		grow(&b, word_box(&p->words[k]));
	return b;
}

static void pos(FILE *f, box b)
{
	fprintf(f, " HPOS=\"%d\" VPOS=\"%d\" WIDTH=\"%d\" HEIGHT=\"%d\"", b.x0, b.y0, b.x1 - b.x0,
	        b.y1 - b.y0);
}

int hl_ocr_alto(char **out, const hl_ocr_page *p, const char *file_name)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return hl_error_set(HL_ENOMEM, "ocr: out of memory (ALTO)");
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<alto xmlns=\"http://www.loc.gov/standards/alto/ns-v4#\" "
	      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
	      "xsi:schemaLocation=\"http://www.loc.gov/standards/alto/ns-v4# "
	      "http://www.loc.gov/alto/v4/alto-4-2.xsd\">\n"
	      "<Description>\n<MeasurementUnit>pixel</MeasurementUnit>\n"
	      "<sourceImageInformation><fileName>",
	      f);
	hl_xml_write(f, file_name ? file_name : "");
	fprintf(f,
	        "</fileName></sourceImageInformation>\n"
	        "<OCRProcessing ID=\"OCR_0\"><ocrProcessingStep><processingSoftware>"
	        "<softwareName>halong</softwareName><softwareVersion>%s</softwareVersion>"
	        "</processingSoftware></ocrProcessingStep></OCRProcessing>\n</Description>\n"
	        "<Layout>\n<Page ID=\"PAGE_%u\" PHYSICAL_IMG_NR=\"%u\" WIDTH=\"%u\" HEIGHT=\"%u\"",
	        HL_VERSION, p->page_no, p->page_no, p->width, p->height);
	if (p->mean_conf >= 0)
		fprintf(f, " PC=\"%.3f\"", p->mean_conf / 100.0);
	fprintf(f, ">\n<PrintSpace HPOS=\"0\" VPOS=\"0\" WIDTH=\"%u\" HEIGHT=\"%u\">\n", p->width,
	        p->height);
	size_t i = 0, sid = 0, lid = 0;
	while (i < p->n_words) {
		size_t bj = i;
		while (bj < p->n_words && p->words[bj].block == p->words[i].block)
			bj++;
		fprintf(f, "<TextBlock ID=\"BLOCK_%u\"", p->words[i].block);
		pos(f, span(p, i, bj));
		fputs(">\n", f);
		while (i < bj) {
			size_t lj = i;
			while (lj < bj && p->words[lj].line == p->words[i].line)
				lj++;
			fprintf(f, "<TextLine ID=\"LINE_%zu\"", lid++);
			pos(f, span(p, i, lj));
			fputs(">\n", f);
			for (size_t k = i; k < lj; k++) {
				const hl_ocr_word *w = &p->words[k];
				if (k > i) {
					const hl_ocr_word *pw = &p->words[k - 1];
					int32_t sx = pw->x + pw->w, sw = w->x - sx;
					fprintf(f, "<SP HPOS=\"%d\" VPOS=\"%d\" WIDTH=\"%d\"/>\n",
					        sx, pw->y, sw > 0 ? sw : 0);
				}
				fprintf(f, "<String ID=\"STRING_%zu\"", sid++);
				pos(f, word_box(w));
				fprintf(f, " WC=\"%.3f\" CONTENT=\"", w->conf / 100.0);
				hl_xml_write(f, w->text);
				fputs("\"/>\n", f);
			}
			fputs("</TextLine>\n", f);
			i = lj;
		}
		fputs("</TextBlock>\n", f);
	}
	fputs("</PrintSpace>\n</Page>\n</Layout>\n</alto>\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return hl_error_set(HL_ENOMEM, "ocr: out of memory (ALTO)");
	}
	*out = buf;
	return 0;
}
