/* The searchable PDF of a document's pages: each page image with an invisible text layer. */
#include "ocr/ocr_int.h"

int hl_ocr_pdf_export(const char *out_path, const hl_ocr_pdf_page *pages, size_t n)
{
	return hl_error_set(HL_ERROR, "%s: searchable PDF export is not written yet", out_path);
}
