/* OCR of scanned pages: probing files (TIFF, JPEG, PNG, PDF), recognising a page with Tesseract,
 * keeping a PDF's own text layer, and the page's outputs: JSON, ALTO XML, searchable PDF; CER/WER.
 */
#ifndef HALONG_OCR_H
#define HALONG_OCR_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits, checked before anything is decoded. */
#define HL_OCR_MAX_PIXELS                                                                          \
	150000000ULL             /* one page image: A3 at 600 dpi fits, 100k x 100k does not */
#define HL_OCR_MAX_SIDE   60000u /* one side of a page image, pixels */
#define HL_OCR_MAX_PAGES  2000u  /* pages in one file */
#define HL_OCR_MAX_BYTES  (2ULL << 30) /* one input file: 2 GiB */
#define HL_OCR_MIN_DPI    200u /* Nghị định 30/2020/NĐ-CP, Phụ lục I: at least 200 dpi */
#define HL_OCR_RENDER_DPI 300u /* a scanned PDF page is rendered at this resolution */
/* A recognised page whose mean word confidence is below this wants a human look: the default of
 * `ocr review --below` and GET /ocr/review, and a page's low_confidence in the API. */
#define HL_OCR_LOW_CONFIDENCE 70

typedef enum {
	HL_OCR_FMT_UNKNOWN = 0,
	HL_OCR_FMT_TIFF = 1,
	HL_OCR_FMT_JPEG = 2,
	HL_OCR_FMT_PNG = 3,
	HL_OCR_FMT_PDF = 4,
} hl_ocr_format;

/* "tiff", "jpeg", "png", "pdf", "unknown". */
const char *hl_ocr_format_name(hl_ocr_format f);

/* One page of a probed file. */
typedef struct {
	uint32_t width, height; /* pixels of the image (a PDF page: at HL_OCR_RENDER_DPI) */
	uint32_t dpi;           /* resolution of the scan, 0 if unknown (a PDF page: of its largest
	                           image, 0 if it has none) */
	double width_pt, height_pt; /* PDF pages only: page size in points (1/72 in) */
	int has_text;               /* PDF pages only: the page carries a text layer */
} hl_ocr_source_page;

/* What hl_ocr_probe found in a file. Free the members with hl_ocr_source_free. */
typedef struct {
	hl_ocr_format format;
	uint32_t n_pages;
	int has_text_layer;        /* PDF: at least one page has a text layer */
	hl_ocr_source_page *pages; /* n_pages entries */
} hl_ocr_source;

/* Reads a file's format (from its content, never its name), page count, and each page's size
 * and resolution, without decoding pixels. `display_name` (NULL: path) names the file in
 * errors. Refuses with HL_EINVALID: a 0-byte, truncated or corrupt file, an unknown format, a
 * name whose extension says one format holding another, an encrypted PDF; with HL_ELIMIT: a page
 * above HL_OCR_MAX_PIXELS / HL_OCR_MAX_SIDE, more than HL_OCR_MAX_PAGES pages, a file above
 * HL_OCR_MAX_BYTES; HL_EIO if it cannot be read. One message, "NAME: page N: why" or "NAME: why".
 */
int hl_ocr_probe(hl_ocr_source *out, const char *path, const char *display_name);
/* hl_ocr_probe on a descriptor the caller opened (and closes): what an ingest checks before it
 * copies a file, from the same open file. Only the headers are read (pread, the descriptor's
 * offset is neither used nor moved); memory stays a few hundred KiB whatever the file's size,
 * and the size limit is checked (fstat) before the first byte is read. A descriptor that is
 * not a regular file is HL_EIO. */
int hl_ocr_probe_fd(hl_ocr_source *out, int fd, const char *display_name);
/* Frees what hl_ocr_probe allocated in *s (not s itself) and zeroes it; NULL is fine. */
void hl_ocr_source_free(hl_ocr_source *s);

/* A Tesseract engine with its language models loaded. Not thread-safe: one per thread. Each
 * engine runs Tesseract's OpenMP loops on one thread, so N engines on N threads use N cores. */
typedef struct hl_ocr_engine hl_ocr_engine;

/* langs: Tesseract language list, NULL for "vie+eng"; tessdata: directory of the models, NULL for
 * Tesseract's default (or $TESSDATA_PREFIX). HL_ENOTFOUND if a model is missing. */
int hl_ocr_engine_new(hl_ocr_engine **out, const char *langs, const char *tessdata);
void hl_ocr_engine_free(hl_ocr_engine *e);

/* Pre-processing flags for hl_ocr_opts.flags. */
enum {
	HL_OCR_DESKEW = 1 << 0,    /* measure the skew and rotate it away (Leptonica) */
	HL_OCR_BINARIZE = 1 << 1,  /* adaptive (Sauvola) binarisation before Tesseract's own */
	HL_OCR_ORIENT = 1 << 2,    /* detect 90/180/270 rotation (Leptonica's text test) */
	HL_OCR_FORCE_OCR = 1 << 3, /* recognise a PDF page even if it has a text layer */
	HL_OCR_DENOISE = 1 << 4,   /* remove salt-and-pepper specks */
	/* denoise and binarise only when the page looks noisy (more than 6% of mid-grey pixels) */
	HL_OCR_AUTO_CLEAN = 1 << 5,
};
/* The flags used when opts is NULL; README.md gives the measurements that chose them. */
#define HL_OCR_DEFAULT_FLAGS (HL_OCR_DESKEW | HL_OCR_ORIENT | HL_OCR_AUTO_CLEAN)

typedef struct {
	unsigned flags;      /* HL_OCR_* above */
	uint32_t render_dpi; /* PDF pages: 0 for HL_OCR_RENDER_DPI */
} hl_ocr_opts;

/* One recognised word. Coordinates are pixels of the page image as stored (origin top left): a
 * box found after deskewing or turning the page is mapped back onto the stored image. */
typedef struct {
	char *text;           /* NFC UTF-8 */
	int32_t x, y, w, h;   /* box, pixels */
	float conf;           /* 0..100 */
	uint32_t block, line; /* 0-based block number and line number within the page */
} hl_ocr_word;

/* Warning flags of a page (the standards' checks of DOMAIN.md). */
enum {
	HL_OCR_WARN_LOW_DPI = 1 << 0, /* resolution below HL_OCR_MIN_DPI */
	HL_OCR_WARN_NO_DPI = 1 << 1,  /* the file does not say its resolution */
	HL_OCR_WARN_NO_TEXT = 1 << 2, /* nothing was recognised on the page */
};

/* One page's result. Free the members with hl_ocr_page_free. */
typedef struct {
	uint32_t page_no;       /* 1-based */
	uint32_t width, height; /* pixels of the page image the boxes refer to */
	uint32_t dpi;           /* resolution of that image (0 unknown) */
	int from_text_layer;    /* 1: a PDF text layer kept, no OCR */
	float mean_conf;        /* mean word confidence 0..100; -1 for a text layer */
	int rotation;           /* 0, 90, 180, 270: clockwise rotation applied before OCR */
	float skew_deg;         /* skew angle removed by deskewing (0: none) */
	char *text;             /* NFC UTF-8, lines separated by \n, blocks by a blank line */
	hl_ocr_word *words;
	size_t n_words;
	unsigned warn_flags; /* HL_OCR_WARN_* */
	char **warnings;     /* n_warnings messages: "NAME: page N: 150 dpi, below 200 dpi ..." */
	size_t n_warnings;
} hl_ocr_page;

/* Recognises page `page_no` (1-based) of the file at `path` (probed again inside: the same
 * refusals as hl_ocr_probe). A PDF page with a text layer keeps its text (words from the layer,
 * from_text_layer = 1, mean_conf -1) unless HL_OCR_FORCE_OCR; a scanned PDF page is rendered at
 * opts->render_dpi with MuPDF; images are read with Leptonica. opts NULL: HL_OCR_DEFAULT_FLAGS.
 * HL_ENOTFOUND if page_no is out of range. */
int hl_ocr_page_run(hl_ocr_page *out, hl_ocr_engine *e, const char *path, const char *display_name,
                    int page_no, const hl_ocr_opts *opts);
/* Frees the members of *p (not p itself) and zeroes it; NULL is fine. */
void hl_ocr_page_free(hl_ocr_page *p);

/* The page as JSON (jansson): {"page_no","width","height","dpi","from_text_layer","mean_conf",
 * "rotation","skew_deg","text","warn_flags","warnings":[..],"words":[[text,x,y,w,h,conf,block,
 * line],..]}. *out is malloc'd. */
int hl_ocr_page_to_json(char **out, const hl_ocr_page *p);
/* Parses what hl_ocr_page_to_json wrote. HL_EINVALID on anything else. */
int hl_ocr_page_from_json(hl_ocr_page *out, const char *json);

/* ALTO XML v4 for one page: MeasurementUnit pixel, sourceImageInformation/fileName = file_name,
 * Layout/Page/PrintSpace/TextBlock/TextLine/String (HPOS VPOS WIDTH HEIGHT WC CONTENT) with SP
 * between words. *out is malloc'd. */
int hl_ocr_alto(char **out, const hl_ocr_page *p, const char *file_name);

/* One page of a searchable PDF: the page `page_no` of the source file, and its OCR result. */
typedef struct {
	const char *path;         /* source file (TIFF, JPEG, PNG or PDF) */
	const char *display_name; /* for errors; NULL: path */
	int page_no;              /* 1-based */
	const hl_ocr_page *ocr;   /* its result; its width/height map word boxes onto the page */
} hl_ocr_pdf_page;

/* Writes a PDF of n pages to out_path: each page is the page image with an invisible text layer
 * (render mode 3) laid on the word boxes, so selecting, copying and pdftotext give the text; a
 * PDF page whose result came from its text layer is copied as it is. Written to a temporary file
 * and renamed, so out_path is never left half-written. */
int hl_ocr_pdf_export(const char *out_path, const hl_ocr_pdf_page *pages, size_t n);

/* Page `page_no` of a file as a PNG for viewing, at most max_width pixels wide (0: 1200; at most
 * 3000), never wider than the scan itself; a PDF page is rendered by MuPDF. The same refusals as
 * hl_ocr_probe. *png is malloc'd. */
int hl_ocr_page_png(unsigned char **png, size_t *len, const char *path, const char *display_name,
                    int page_no, uint32_t max_width);

/* ---- the review rule: what makes a page worth a person's look (check.c) ----
 *
 * A page is flagged when its text has words that are not Vietnamese syllables, words the
 * engine was unsure of, or characters Vietnamese never writes; a page's mean confidence alone
 * hides a misread word among hundreds of sure ones ("Luật nay dé giai quyết" at 95%). The
 * syllables are every one of the law corpus (data/corpus: 2,131 articles), made into a list at
 * build time (gen_syllables.c); hl_ocr_syllables_count() says how many. */

#define HL_OCR_WORD_LOW_CONF  60           /* a recognised word below this confidence is unsure */
#define HL_OCR_CHECK_EXAMPLES 8            /* suspicious words kept with a check, the first ones */
#define HL_OCR_MAX_TEXT       (256u << 10) /* bytes of a page's text, corrected or checked */
#define HL_OCR_EXAMPLE_MAX    48           /* bytes of one suspicious word kept, with its NUL */

typedef struct {
	uint32_t words;     /* syllables looked up: tokens of letters, not abbreviations */
	uint32_t unknown;   /* words not in the syllable list ("dé", "Trudng") */
	uint32_t low_conf;  /* recognised words with a letter below HL_OCR_WORD_LOW_CONF */
	uint32_t bad_chars; /* characters Vietnamese never writes (hl_text_foreign) */
	uint32_t score;     /* unknown + low_conf + bad_chars: the review's order, highest first */
	/* The first suspicious words, each once, as written (without the punctuation around
	 * them): unknown words and words holding a bad character in the order of the text, then
	 * unsure ones. NUL-terminated. */
	char examples[HL_OCR_CHECK_EXAMPLES][HL_OCR_EXAMPLE_MAX];
	size_t n_examples;
} hl_ocr_check;

/* Checks `text` (NFC UTF-8; len < 0: NUL-terminated) and the recognised words behind it (NULL
 * and 0 for a text a person typed, or a PDF's text layer: no confidences). A token is looked up
 * in its exact form (hl_text_tokenize: lower case, one tone placement, so "Hòa" and "hoà"
 * agree); tokens holding a digit ("qh14", "2019") are not words, and a token of two or more
 * capitals without a mark ("UBND", "QH") is an abbreviation, not looked up. HL_EINVALID for
 * invalid UTF-8, HL_ELIMIT above HL_OCR_MAX_TEXT bytes. */
int hl_ocr_check_text(hl_ocr_check *out, const char *text, long len, const hl_ocr_word *words,
                      size_t n_words);
/* 1 when `exact` (a token's exact form) is in the syllable list. */
int hl_ocr_syllable_known(const char *exact);
/* How many syllables the list holds, and an identifier of the list and rule together: a stored
 * check made under another identifier is out of date. */
size_t hl_ocr_syllables_count(void);
int hl_ocr_check_rule_id(void);

/* The page `machine` with its text replaced by `text` (what a person corrected): the words of
 * `text` are laid on the machine's boxes, so that ALTO and the searchable PDF carry the
 * corrected words where the page shows them. Line i of the text takes the boxes of recognised
 * line i when both have as many lines (a line with as many words takes them one for one, else
 * its box is shared by the words in proportion to their letters); otherwise the words follow
 * the recognised lines in proportion to their counts. Every word gets confidence 100 and
 * from_text_layer is 0 (a PDF page gets the corrected words over it). A page with no boxes gets
 * its lines spread down the page. *out is freed with hl_ocr_page_free. */
int hl_ocr_page_retext(hl_ocr_page *out, const hl_ocr_page *machine, const char *text);

/* Error rates of `text` against the ground truth `truth`, both NFC-normalised and with each run of
 * white space made one space (ends trimmed). Characters are Unicode code points; words are split
 * on white space. Rates are edits / ground-truth length (0 if both are empty). */
typedef struct {
	uint64_t char_edits, char_total; /* Levenshtein distance in code points; truth length */
	uint64_t word_edits, word_total; /* the same in words */
	double cer, wer;                 /* char_edits / char_total, word_edits / word_total */
} hl_ocr_eval_result;

/* HL_EINVALID for invalid UTF-8, HL_ELIMIT above 50,000 code points on either side (the distance
 * takes time n x m; a page holds about 3,000). */
int hl_ocr_eval(hl_ocr_eval_result *out, const char *truth, const char *text);

#ifdef __cplusplus
}
#endif
#endif
