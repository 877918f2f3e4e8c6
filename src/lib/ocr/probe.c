/* Probing an input file: its format from the content, its pages and their sizes, read from the
 * headers (PNG chunks, JPEG markers, TIFF directories, PDF page tree) before any pixel is decoded.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocr/ocr_int.h"

const char *hl_ocr_format_name(hl_ocr_format f)
{
	switch (f) {
	case HL_OCR_FMT_TIFF:
		return "tiff";
	case HL_OCR_FMT_JPEG:
		return "jpeg";
	case HL_OCR_FMT_PNG:
		return "png";
	case HL_OCR_FMT_PDF:
		return "pdf";
	default:
		return "unknown";
	}
}

static const char *fmt_upper(hl_ocr_format f)
{
	switch (f) {
	case HL_OCR_FMT_TIFF:
		return "TIFF";
	case HL_OCR_FMT_JPEG:
		return "JPEG";
	case HL_OCR_FMT_PNG:
		return "PNG";
	case HL_OCR_FMT_PDF:
		return "PDF";
	default:
		return "unknown";
	}
}

void hl_ocr_source_free(hl_ocr_source *s)
{
	if (!s)
		return;
	free(s->pages);
	memset(s, 0, sizeof *s);
}

static void quiet(void *user, const char *msg)
{
	(void)user;
	(void)msg;
}

/* MuPDF grows some buffers a byte or two at a time (fz_append_bits asks fz_ensure_buffer for
 * exactly len + 1, so the CCITT G4 and Flate coders of pdf_save_document call realloc once per
 * output byte). glibc extends such a block in place or with mremap, but ASan's realloc always
 * copies into a fresh block (and maps and unmaps the large ones), so saving a 3-page G4 TIFF took
 * 25 s under ASan against 0.4 s. Every block of our contexts therefore carries its capacity in
 * front of it, and growing past it reserves half as much again: a realloc that fits stays where it
 * is. The price is that ASan sees overruns inside MuPDF only past the capacity. */
typedef union {
	size_t cap;
	max_align_t align;
} grow_head;

static void *grow_malloc(void *user, size_t n)
{
	(void)user;
	if (n > SIZE_MAX - sizeof(grow_head))
		return NULL;
	grow_head *h = malloc(sizeof *h + n);
	if (!h)
		return NULL;
	h->cap = n;
	return h + 1;
}

static void grow_free(void *user, void *p)
{
	(void)user;
	if (p)
		free((grow_head *)p - 1);
}

static void *grow_realloc(void *user, void *p, size_t n)
{
	if (!p)
		return grow_malloc(user, n);
	grow_head *h = (grow_head *)p - 1;
	size_t cap = h->cap, want = n;
	/* a block that still fits is kept unless it would be mostly empty */
	if (n <= cap && n >= cap / 4)
		return p;
	if (n > cap && cap / 2 <= SIZE_MAX - sizeof *h - cap && cap + cap / 2 > n)
		want = cap + cap / 2;
	if (want > SIZE_MAX - sizeof *h)
		return NULL;
	grow_head *g = realloc(h, sizeof *g + want);
	if (!g)
		return NULL;
	g->cap = want;
	return g + 1;
}

static fz_alloc_context grow_alloc = {NULL, grow_malloc, grow_realloc, grow_free};

fz_context *hl_ocr__fz_new(void)
{
	fz_context *ctx = fz_new_context(&grow_alloc, NULL, FZ_STORE_DEFAULT);
	if (!ctx)
		return NULL;
	fz_set_warning_callback(ctx, quiet, NULL);
	fz_set_error_callback(ctx, quiet, NULL);
	fz_register_document_handlers(ctx);
	return ctx;
}

/* ---- the file, read through a few windows ----
 *
 * The probe never holds the file: it reads what the headers need with pread(2) through four
 * windows of 64 KiB (a TIFF's strip offsets, its strip counts and its directories are read
 * side by side), so a 2 GiB scan costs 256 KiB, and a file refused by its header costs a few
 * bytes read. The descriptor is the caller's (an ingest probes, hashes and copies one open
 * file: nothing is opened twice by name). */

#define WIN_SIZE (64u * 1024)
#define WIN_N    4

typedef struct {
	int fd;
	uint64_t n; /* the file's size when it was probed (fstat) */
	const char *name;
	struct {
		unsigned char *p;
		uint64_t off;
		size_t len;
		unsigned used; /* when last used: the least recently used window is refilled */
	} win[WIN_N];
	unsigned clock;
	int failed; /* a read failed or came short: every later read fails too */
	int err;    /* its code and message, which win over what a parser says of the zeros */
	char errmsg[256];
} blob;

static void blob_fail(blob *b, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void blob_fail(blob *b, int code, const char *fmt, ...)
{
	va_list ap;
	if (b->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(b->errmsg, sizeof b->errmsg, fmt, ap);
	va_end(ap);
	b->err = code;
	b->failed = 1;
}

static const unsigned char zeros[WIN_SIZE];

/* `len` bytes at `off`, which the caller has checked lie inside the file (len <= WIN_SIZE),
 * valid until the next call. On a failed read the failure is kept in *b (hl_ocr__probe_fd
 * reports it) and zeros are returned, so that the caller's arithmetic stays defined; parsers
 * check b->failed in their loops. */
static const unsigned char *blob_at(blob *b, uint64_t off, size_t len)
{
	unsigned lru = 0;
	if (b->failed || len > WIN_SIZE || off > b->n || len > b->n - off) {
		blob_fail(b, HL_EIO, "%s: read past the end (byte %llu)", b->name,
		          (unsigned long long)off);
		return zeros;
	}
	for (unsigned i = 0; i < WIN_N; i++) {
		if (b->win[i].p && off >= b->win[i].off &&
		    off + len <= b->win[i].off + b->win[i].len) {
			b->win[i].used = ++b->clock;
			return b->win[i].p + (off - b->win[i].off);
		}
		if (b->win[i].used < b->win[lru].used)
			lru = i;
	}
	if (!b->win[lru].p && !(b->win[lru].p = malloc(WIN_SIZE))) {
		blob_fail(b, HL_ENOMEM, "%s: out of memory", b->name);
		return zeros;
	}
	size_t want = b->n - off < WIN_SIZE ? (size_t)(b->n - off) : WIN_SIZE, got = 0;
	while (got < want) {
		ssize_t r = pread(b->fd, b->win[lru].p + got, want - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			/* a file that shrank under the probe reads short */
			blob_fail(b, HL_EIO, "%s: read error at byte %llu: %s", b->name,
			          (unsigned long long)(off + got),
			          r < 0 ? strerror(errno) : "the file is shorter than it was");
			b->win[lru].len = 0;
			return zeros;
		}
		got += (size_t)r;
	}
	b->win[lru].off = off;
	b->win[lru].len = got;
	b->win[lru].used = ++b->clock;
	return b->win[lru].p;
}

static void blob_free(blob *b)
{
	for (unsigned i = 0; i < WIN_N; i++)
		free(b->win[i].p);
}

/* Checks what the descriptor is before anything of it is read: a regular file, not empty, not
 * above HL_OCR_MAX_BYTES. */
static int blob_open(blob *b, int fd, const char *name)
{
	struct stat st;
	memset(b, 0, sizeof *b);
	b->fd = fd;
	b->name = name;
	if (fstat(fd, &st) != 0)
		return hl_error_set(HL_EIO, "%s: cannot read: %s", name, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return hl_error_set(HL_EIO, "%s: not a regular file", name);
	if (st.st_size == 0)
		return hl_error_set(HL_EINVALID, "%s: empty file (0 bytes)", name);
	if ((unsigned long long)st.st_size > HL_OCR_MAX_BYTES)
		return hl_error_set(HL_ELIMIT, "%s: %lld bytes, above the limit of %llu", name,
		                    (long long)st.st_size, (unsigned long long)HL_OCR_MAX_BYTES);
	b->n = (uint64_t)st.st_size;
	return 0;
}

static hl_ocr_format sniff(const unsigned char *p, size_t n)
{
	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return HL_OCR_FMT_PNG;
	if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return HL_OCR_FMT_JPEG;
	if (n >= 4 && (memcmp(p, "II*\0", 4) == 0 || memcmp(p, "MM\0*", 4) == 0))
		return HL_OCR_FMT_TIFF;
	/* PDF readers accept the header anywhere in the first 1024 bytes. */
	size_t lim = n < 1024 ? n : 1024;
	for (size_t i = 0; i + 5 <= lim; i++)
		if (memcmp(p + i, "%PDF-", 5) == 0)
			return HL_OCR_FMT_PDF;
	return HL_OCR_FMT_UNKNOWN;
}

/* The format the file's name claims, from its extension. */
static hl_ocr_format by_name(const char *name)
{
	const char *dot = strrchr(name, '.');
	const char *slash = strrchr(name, '/');
	if (!dot || (slash && dot < slash))
		return HL_OCR_FMT_UNKNOWN;
	dot++;
	if (!strcasecmp(dot, "tif") || !strcasecmp(dot, "tiff"))
		return HL_OCR_FMT_TIFF;
	if (!strcasecmp(dot, "jpg") || !strcasecmp(dot, "jpeg") || !strcasecmp(dot, "jpe"))
		return HL_OCR_FMT_JPEG;
	if (!strcasecmp(dot, "png"))
		return HL_OCR_FMT_PNG;
	if (!strcasecmp(dot, "pdf"))
		return HL_OCR_FMT_PDF;
	return HL_OCR_FMT_UNKNOWN;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Above this a resolution read from a header is taken as unknown. */
#define HL_OCR_MAX_DPI 100000.0

static int check_size(const char *name, uint32_t page, uint32_t w, uint32_t h)
{
	if (w == 0 || h == 0)
		return hl_error_set(HL_EINVALID, "%s: page %u: image of %u x %u pixels", name, page,
		                    w, h);
	if (w > HL_OCR_MAX_SIDE || h > HL_OCR_MAX_SIDE ||
	    (unsigned long long)w * h > HL_OCR_MAX_PIXELS)
		return hl_error_set(HL_ELIMIT,
		                    "%s: page %u: image of %u x %u pixels, above the limit of %llu "
		                    "pixels (refused before decoding)",
		                    name, page, w, h, (unsigned long long)HL_OCR_MAX_PIXELS);
	return 0;
}

static int add_page(hl_ocr_source *s, hl_ocr_source_page pg, const char *name)
{
	if (s->n_pages >= HL_OCR_MAX_PAGES)
		return hl_error_set(HL_ELIMIT, "%s: more than %u pages", name, HL_OCR_MAX_PAGES);
	/* room for 2^k pages at a time: page by page, 2,000 pages were 2,000 reallocs */
	if (!(s->n_pages & (s->n_pages - 1))) {
		size_t cap = s->n_pages ? 2 * (size_t)s->n_pages : 1;
		hl_ocr_source_page *np = realloc(s->pages, cap * sizeof *np);
		if (!np)
			return hl_error_set(HL_ENOMEM, "%s: out of memory", name);
		s->pages = np;
	}
	s->pages[s->n_pages++] = pg;
	return 0;
}

/* ---- PNG: IHDR, pHYs, and every chunk present up to IEND ---- */

static int probe_png(hl_ocr_source *s, blob *b)
{
	uint64_t off = 8;
	hl_ocr_source_page pg = {0};
	int seen_ihdr = 0, seen_idat = 0;
	for (;;) {
		if (b->failed)
			return -1;
		if (off + 12 > b->n)
			return hl_error_set(HL_EINVALID,
			                    "%s: page 1: truncated PNG (no IEND chunk)", b->name);
		const unsigned char *h = blob_at(b, off, 8);
		uint32_t len = be32(h);
		char type[5];
		memcpy(type, h + 4, 4);
		type[4] = '\0';
		if (len > b->n - off - 12)
			return hl_error_set(
			    HL_EINVALID, "%s: page 1: truncated PNG (chunk %.4s runs past the end)",
			    b->name, type);
		if (!seen_ihdr) {
			if (memcmp(type, "IHDR", 4) != 0 || len != 13)
				return hl_error_set(HL_EINVALID,
				                    "%s: page 1: corrupt PNG (no IHDR)", b->name);
			const unsigned char *data = blob_at(b, off + 8, 13);
			pg.width = be32(data);
			pg.height = be32(data + 4);
			seen_ihdr = 1;
			if (b->failed)
				return -1;
			int rc = check_size(b->name, 1, pg.width, pg.height);
			if (rc)
				return rc;
		} else if (memcmp(type, "pHYs", 4) == 0 && len == 9) {
			const unsigned char *data = blob_at(b, off + 8, 9);
			/* pixels per metre */
			if (data[8] == 1)
				pg.dpi = (uint32_t)(be32(data) * 0.0254 + 0.5);
		} else if (memcmp(type, "IDAT", 4) == 0) {
			seen_idat = 1;
		} else if (memcmp(type, "IEND", 4) == 0) {
			break;
		}
		off += 12 + (uint64_t)len;
	}
	if (!seen_idat)
		return hl_error_set(HL_EINVALID, "%s: page 1: corrupt PNG (no image data)",
		                    b->name);
	return add_page(s, pg, b->name);
}

/* ---- JPEG: markers up to the scan, then the end-of-image marker ---- */

static int probe_jpeg(hl_ocr_source *s, blob *b)
{
	uint64_t off = 2;
	hl_ocr_source_page pg = {0};
	int got_sof = 0;
	for (;;) {
		if (b->failed)
			return -1;
		if (off + 4 > b->n)
			return hl_error_set(HL_EINVALID, "%s: page 1: truncated JPEG", b->name);
		const unsigned char *h = blob_at(b, off, 4);
		if (h[0] != 0xff)
			return hl_error_set(HL_EINVALID,
			                    "%s: page 1: corrupt JPEG (no marker at byte %llu)",
			                    b->name, (unsigned long long)off);
		unsigned m = h[1];
		if (m == 0xff) { /* fill byte */
			off++;
			continue;
		}
		if (m == 0xd8 || (m >= 0xd0 && m <= 0xd7) || m == 0x01) {
			off += 2;
			continue;
		}
		if (m == 0xd9 || m == 0x00)
			return hl_error_set(HL_EINVALID, "%s: page 1: corrupt JPEG (no image)",
			                    b->name);
		uint16_t len = be16(h + 2);
		if (len < 2 || off + 2 + len > b->n)
			return hl_error_set(
			    HL_EINVALID,
			    "%s: page 1: truncated or corrupt JPEG (segment at byte %llu)", b->name,
			    (unsigned long long)off);
		/* the segment's first bytes: all that is read of it (JFIF: 12, a frame: 5) */
		size_t dl = len - 2u < 16u ? len - 2u : 16u;
		const unsigned char *d = blob_at(b, off + 4, dl);
		if (m == 0xe0 && len >= 16 && memcmp(d, "JFIF\0", 5) == 0) {
			unsigned unit = d[7], xd = be16(d + 8);
			if (unit == 1)
				pg.dpi = xd;
			else if (unit == 2)
				pg.dpi = (uint32_t)(xd * 2.54 + 0.5);
		} else if ((m >= 0xc0 && m <= 0xcf) && m != 0xc4 && m != 0xc8 && m != 0xcc) {
			if (len < 8)
				return hl_error_set(HL_EINVALID,
				                    "%s: page 1: corrupt JPEG (frame header)",
				                    b->name);
			pg.height = be16(d + 1);
			pg.width = be16(d + 3);
			got_sof = 1;
			if (b->failed)
				return -1;
			int rc = check_size(b->name, 1, pg.width, pg.height);
			if (rc)
				return rc;
		} else if (m == 0xda) {
			break;
		}
		off += 2 + (uint64_t)len;
	}
	if (!got_sof)
		return hl_error_set(HL_EINVALID, "%s: page 1: corrupt JPEG (no frame header)",
		                    b->name);
	/* Entropy-coded data stuffs every 0xff, so an end-of-image marker near the end means the
	 * file is whole; trailing bytes after it are tolerated. Only the last 64 KiB are read. */
	uint64_t from = b->n > 65536 ? b->n - 65536 : off;
	const unsigned char *tail = blob_at(b, from, (size_t)(b->n - from));
	int eoi = 0;
	for (uint64_t i = b->n - 1 - from; i > 0; i--)
		if (tail[i - 1] == 0xff && tail[i] == 0xd9) {
			eoi = 1;
			break;
		}
	if (b->failed)
		return -1;
	if (!eoi)
		return hl_error_set(HL_EINVALID,
		                    "%s: page 1: truncated JPEG (no end-of-image marker)", b->name);
	return add_page(s, pg, b->name);
}

/* ---- TIFF: each directory's size, resolution and strips, which must lie inside the file ---- */

typedef struct {
	blob *b;
	int le;
} tiff;

static uint32_t t32(const tiff *t, size_t off)
{
	const unsigned char *p = blob_at(t->b, off, 4);
	return t->le ? ((uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0])
	             : be32(p);
}

static uint16_t t16(const tiff *t, size_t off)
{
	const unsigned char *p = blob_at(t->b, off, 2);
	return t->le ? (uint16_t)(p[1] << 8 | p[0]) : be16(p);
}

/* Value `i` of an entry of type SHORT (3) or LONG (4); 0 if out of the file. */
static int tiff_value(const tiff *t, size_t entry, uint32_t i, uint32_t *v)
{
	uint16_t type = t16(t, entry + 2);
	uint32_t count = t32(t, entry + 4);
	size_t sz = type == 3 ? 2 : type == 4 ? 4 : 0;
	if (!sz || i >= count)
		return -1;
	size_t base = (uint64_t)count * sz <= 4 ? entry + 8 : t32(t, entry + 8);
	size_t at = base + (size_t)i * sz;
	if (at + sz > t->b->n || at < base)
		return -1;
	*v = sz == 2 ? t16(t, at) : t32(t, at);
	return 0;
}

static int probe_tiff(hl_ocr_source *s, blob *b)
{
	tiff t = {b, blob_at(b, 0, 1)[0] == 'I'};
	if (b->n < 8)
		return hl_error_set(HL_EINVALID, "%s: truncated TIFF", b->name);
	uint32_t ifd = t32(&t, 4);
	uint32_t seen[64];
	uint32_t page = 0;
	uint64_t strips = 0;
	while (ifd != 0) {
		if (b->failed)
			return -1;
		page++;
		if (page > HL_OCR_MAX_PAGES)
			return hl_error_set(HL_ELIMIT, "%s: more than %u pages", b->name,
			                    HL_OCR_MAX_PAGES);
		/* A directory chain that loops would never end: directories must move forward or at
		 * least never repeat among the last few. */
		for (uint32_t k = 0; k < (page - 1 < 64 ? page - 1 : 64); k++)
			if (seen[k] == ifd)
				return hl_error_set(HL_EINVALID,
				                    "%s: page %u: corrupt TIFF (directory loop)",
				                    b->name, page);
		seen[(page - 1) % 64] = ifd;
		if ((size_t)ifd + 2 > b->n)
			return hl_error_set(
			    HL_EINVALID,
			    "%s: page %u: truncated or corrupt TIFF (directory at byte %u "
			    "past the end)",
			    b->name, page, ifd);
		uint16_t ne = t16(&t, ifd);
		if ((size_t)ifd + 2 + (size_t)ne * 12 + 4 > b->n)
			return hl_error_set(HL_EINVALID, "%s: page %u: truncated TIFF directory",
			                    b->name, page);
		hl_ocr_source_page pg = {0};
		uint32_t unit = 2;
		double xres = 0;
		size_t offs_e = 0, counts_e = 0;
		for (uint16_t i = 0; i < ne; i++) {
			size_t e = (size_t)ifd + 2 + (size_t)i * 12;
			uint16_t tag = t16(&t, e);
			uint32_t v = 0;
			switch (tag) {
			case 256:
				if (tiff_value(&t, e, 0, &v) == 0)
					pg.width = v;
				break;
			case 257:
				if (tiff_value(&t, e, 0, &v) == 0)
					pg.height = v;
				break;
			case 282: {
				size_t at = t32(&t, e + 8);
				if (t16(&t, e + 2) == 5 && at + 8 <= b->n && t32(&t, at + 4) != 0)
					xres = (double)t32(&t, at) / t32(&t, at + 4);
				break;
			}
			case 296:
				if (tiff_value(&t, e, 0, &v) == 0)
					unit = v;
				break;
			case 273:
			case 324:
				offs_e = e;
				break;
			case 279:
			case 325:
				counts_e = e;
				break;
			}
		}
		int rc = check_size(b->name, page, pg.width, pg.height);
		if (rc)
			return rc;
		if (!offs_e || !counts_e)
			return hl_error_set(HL_EINVALID,
			                    "%s: page %u: corrupt TIFF (no image data)", b->name,
			                    page);
		uint32_t n_strips = t32(&t, offs_e + 4);
		if (n_strips == 0 || n_strips != t32(&t, counts_e + 4) || n_strips > 1000000)
			return hl_error_set(HL_EINVALID, "%s: page %u: corrupt TIFF (strip table)",
			                    b->name, page);
		/* Each strip of each page has its offset and its count in the file (2 bytes each
		 * at least); directories sharing one big strip table would have the loop below
		 * check up to 2,000 x 1,000,000 strips (minutes of work for a 8 MB file). */
		strips += n_strips;
		if (strips > b->n / 4 + page)
			return hl_error_set(HL_EINVALID,
			                    "%s: page %u: corrupt TIFF (more strips than the file "
			                    "can hold)",
			                    b->name, page);
		for (uint32_t k = 0; k < n_strips; k++) {
			uint32_t so, sc;
			if (b->failed)
				return -1;
			if (tiff_value(&t, offs_e, k, &so) || tiff_value(&t, counts_e, k, &sc))
				return hl_error_set(
				    HL_EINVALID,
				    "%s: page %u: truncated or corrupt TIFF (strip table)", b->name,
				    page);
			if ((uint64_t)so + sc > b->n)
				return hl_error_set(
				    HL_EINVALID,
				    "%s: page %u: truncated TIFF (image data runs past the "
				    "end)",
				    b->name, page);
		}
		/* a resolution past any scanner's (the rational can say 4 billion per cm, which
		 * does not fit the dpi's type) is no resolution at all */
		double dpi = unit == 3 ? xres * 2.54 : unit == 1 ? 0 : xres;
		if (dpi > 0 && dpi <= HL_OCR_MAX_DPI)
			pg.dpi = (uint32_t)(dpi + 0.5);
		rc = add_page(s, pg, b->name);
		if (rc)
			return rc;
		ifd = t32(&t, (size_t)ifd + 2 + (size_t)ne * 12);
	}
	if (page == 0)
		return hl_error_set(HL_EINVALID, "%s: corrupt TIFF (no pages)", b->name);
	return 0;
}

/* ---- PDF: through MuPDF, from memory ---- */

typedef struct {
	fz_device super;
	hl_ocr__pdf_facts *f;
} facts_dev;

static void fd_text(fz_context *ctx, fz_device *dev, const fz_text *text)
{
	facts_dev *d = (facts_dev *)dev;
	d->f->has_text = 1;
	for (fz_text_span *sp = text->head; sp; sp = sp->next)
		d->f->text_chars += (size_t)sp->len;
}

static void fd_fill_text(fz_context *ctx, fz_device *dev, const fz_text *text, fz_matrix m,
                         fz_colorspace *cs, const float *color, float alpha, fz_color_params cp)
{
	fd_text(ctx, dev, text);
}

static void fd_stroke_text(fz_context *ctx, fz_device *dev, const fz_text *text,
                           const fz_stroke_state *ss, fz_matrix m, fz_colorspace *cs,
                           const float *color, float alpha, fz_color_params cp)
{
	fd_text(ctx, dev, text);
}

static void fd_clip_text(fz_context *ctx, fz_device *dev, const fz_text *text, fz_matrix m,
                         fz_rect sc)
{
	fd_text(ctx, dev, text);
}

static void fd_clip_stroke_text(fz_context *ctx, fz_device *dev, const fz_text *text,
                                const fz_stroke_state *ss, fz_matrix m, fz_rect sc)
{
	fd_text(ctx, dev, text);
}

static void fd_ignore_text(fz_context *ctx, fz_device *dev, const fz_text *text, fz_matrix m)
{
	fd_text(ctx, dev, text);
}

static void fd_image(fz_device *dev, const fz_image *img, fz_matrix m)
{
	facts_dev *d = (facts_dev *)dev;
	double wpt = sqrt((double)m.a * m.a + (double)m.b * m.b);
	double hpt = sqrt((double)m.c * m.c + (double)m.d * m.d);
	double area = wpt * hpt;
	if (wpt <= 0 || hpt <= 0 || area <= d->f->image_area)
		return;
	d->f->image_area = area;
	d->f->image_dpi = img->w / (wpt / 72.0);
}

static void fd_fill_image(fz_context *ctx, fz_device *dev, fz_image *img, fz_matrix m, float alpha,
                          fz_color_params cp)
{
	fd_image(dev, img, m);
}

static void fd_fill_image_mask(fz_context *ctx, fz_device *dev, fz_image *img, fz_matrix m,
                               fz_colorspace *cs, const float *color, float alpha,
                               fz_color_params cp)
{
	fd_image(dev, img, m);
}

static void fd_clip_image_mask(fz_context *ctx, fz_device *dev, fz_image *img, fz_matrix m,
                               fz_rect sc)
{
	fd_image(dev, img, m);
}

void hl_ocr__pdf_page_facts(fz_context *ctx, fz_document *doc, int idx, hl_ocr__pdf_facts *out)
{
	fz_page *page = NULL;
	fz_device *dev = NULL;
	memset(out, 0, sizeof *out);
	fz_var(page);
	fz_var(dev);
	fz_try(ctx)
	{
		page = fz_load_page(ctx, doc, idx);
		facts_dev *d = fz_new_derived_device(ctx, facts_dev);
		dev = &d->super;
		d->f = out;
		d->super.fill_text = fd_fill_text;
		d->super.stroke_text = fd_stroke_text;
		d->super.clip_text = fd_clip_text;
		d->super.clip_stroke_text = fd_clip_stroke_text;
		d->super.ignore_text = fd_ignore_text;
		d->super.fill_image = fd_fill_image;
		d->super.fill_image_mask = fd_fill_image_mask;
		d->super.clip_image_mask = fd_clip_image_mask;
		fz_run_page(ctx, page, dev, fz_identity, NULL);
		fz_close_device(ctx, dev);
	}
	fz_always(ctx)
	{
		fz_drop_device(ctx, dev);
		fz_drop_page(ctx, page);
	}
	fz_catch(ctx) fz_rethrow(ctx);
}

/* MuPDF reads the file through the descriptor (pread, 16 KiB at a time, from its own
 * position): the document is parsed where it lies, never loaded whole. */
typedef struct {
	int fd;
	int64_t pos, size; /* pos: the file offset of the buffer's end */
	unsigned char buf[16 * 1024];
} fd_stream;

static int fds_next(fz_context *ctx, fz_stream *stm, size_t max)
{
	fd_stream *f = stm->state;
	ssize_t n;
	(void)max; /* a hint; a full buffer serves the next reads too */
	do
		n = pread(f->fd, f->buf, sizeof f->buf, (off_t)f->pos);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		fz_throw(ctx, FZ_ERROR_GENERIC, "read error: %s", strerror(errno));
	stm->rp = f->buf;
	stm->wp = f->buf + n;
	f->pos += n;
	stm->pos = f->pos;
	if (n == 0)
		return EOF;
	return *stm->rp++;
}

/* fz_seek turns SEEK_CUR into SEEK_SET before it calls this. */
static void fds_seek(fz_context *ctx, fz_stream *stm, int64_t offset, int whence)
{
	fd_stream *f = stm->state;
	int64_t to = whence == SEEK_END ? f->size + offset : offset;
	if (whence == SEEK_CUR)
		to = stm->pos - (stm->wp - stm->rp) + offset;
	if (to < 0)
		fz_throw(ctx, FZ_ERROR_GENERIC, "cannot seek before the start");
	f->pos = to > f->size ? f->size : to;
	stm->pos = f->pos;
	stm->rp = stm->wp = f->buf;
}

static void fds_drop(fz_context *ctx, void *state)
{
	fz_free(ctx, state);
}

/* Throws like MuPDF's own openers; the state is dropped by fz_new_stream if it fails. */
static fz_stream *open_fd_stream(fz_context *ctx, const blob *b)
{
	fd_stream *f = fz_malloc_struct(ctx, fd_stream);
	f->fd = b->fd;
	f->size = (int64_t)b->n;
	fz_stream *stm = fz_new_stream(ctx, f, fds_next, fds_drop);
	stm->seek = fds_seek;
	return stm;
}

static int probe_pdf(hl_ocr_source *s, const blob *b, int only_page)
{
	fz_context *ctx = hl_ocr__fz_new();
	if (!ctx)
		return hl_error_set(HL_ENOMEM, "%s: out of memory", b->name);
	fz_stream *stm = NULL;
	fz_document *doc = NULL;
	int rc = 0, n = 0;
	volatile uint32_t at_page = 0;
	fz_var(stm);
	fz_var(doc);
	fz_var(rc);
	fz_try(ctx)
	{
		stm = open_fd_stream(ctx, b);
		doc = fz_open_document_with_stream(ctx, "application/pdf", stm);
		if (fz_needs_password(ctx, doc)) {
			rc = hl_error_set(
			    HL_EINVALID,
			    "%s: encrypted PDF: it needs a password, which halong does not "
			    "take; ask for an unencrypted copy",
			    b->name);
			break;
		}
		n = fz_count_pages(ctx, doc);
		if (n <= 0) {
			rc = hl_error_set(HL_EINVALID, "%s: corrupt PDF (no pages)", b->name);
			break;
		}
		if ((unsigned)n > HL_OCR_MAX_PAGES) {
			rc = hl_error_set(HL_ELIMIT, "%s: %d pages, above the limit of %u pages",
			                  b->name, n, HL_OCR_MAX_PAGES);
			break;
		}
		for (int i = 0; i < n && rc == 0; i++) {
			/* Asked for one page (recognising it, exporting it), the others are not
			 * loaded: the whole file was checked when it was ingested, and loading
			 * every page for each of them made a run or an export over an N-page PDF
			 * load N x N pages (300 text pages: 29 s of a 30 s run). */
			if (only_page > 0 && only_page != i + 1) {
				rc = add_page(s, (hl_ocr_source_page){0}, b->name);
				continue;
			}
			at_page = (uint32_t)i + 1;
			fz_page *page = fz_load_page(ctx, doc, i);
			fz_rect r;
			/* the page holds the document: dropped whether its box can be read or not
			 * (a throw here leaked it, found by fuzz_ocr_probe) */
			fz_try(ctx) r = fz_bound_page(ctx, page);
			fz_always(ctx) fz_drop_page(ctx, page);
			fz_catch(ctx) fz_rethrow(ctx);
			hl_ocr_source_page pg = {0};
			pg.width_pt = r.x1 - r.x0;
			pg.height_pt = r.y1 - r.y0;
			double wpx = pg.width_pt * HL_OCR_RENDER_DPI / 72.0;
			double hpx = pg.height_pt * HL_OCR_RENDER_DPI / 72.0;
			if (wpx < 1 || hpx < 1) {
				rc = hl_error_set(HL_EINVALID, "%s: page %d: empty page box",
				                  b->name, i + 1);
				break;
			}
			if (wpx > HL_OCR_MAX_SIDE || hpx > HL_OCR_MAX_SIDE ||
			    wpx * hpx > HL_OCR_MAX_PIXELS) {
				rc = hl_error_set(
				    HL_ELIMIT,
				    "%s: page %d: %.0f x %.0f points, above the pixel limit at "
				    "%u dpi",
				    b->name, i + 1, pg.width_pt, pg.height_pt, HL_OCR_RENDER_DPI);
				break;
			}
			pg.width = (uint32_t)(wpx + 0.5);
			pg.height = (uint32_t)(hpx + 0.5);
			hl_ocr__pdf_facts f = {0};
			hl_ocr__pdf_page_facts(ctx, doc, i, &f);
			pg.has_text = f.text_chars > 0;
			pg.dpi = f.image_dpi > 0 ? (uint32_t)(f.image_dpi + 0.5) : 0;
			if (pg.has_text)
				s->has_text_layer = 1;
			rc = add_page(s, pg, b->name);
		}
	}
	fz_always(ctx)
	{
		fz_drop_document(ctx, doc);
		fz_drop_stream(ctx, stm);
	}
	fz_catch(ctx)
	{
		if (at_page)
			rc = hl_error_set(HL_EINVALID, "%s: page %u: corrupt PDF: %s", b->name,
			                  at_page, fz_caught_message(ctx));
		else
			rc = hl_error_set(HL_EINVALID, "%s: corrupt PDF: %s", b->name,
			                  fz_caught_message(ctx));
	}
	fz_drop_context(ctx);
	return rc;
}

int hl_ocr__probe_fd(hl_ocr_source *out, int fd, const char *name, int only_page)
{
	hl_ocr_source s = {0};
	blob b;
	int rc = blob_open(&b, fd, name);
	if (rc)
		return rc;
	/* the format from the first bytes (a PDF's header may lie anywhere in its first 1024) */
	size_t head = b.n < 1024 ? (size_t)b.n : 1024;
	s.format = sniff(blob_at(&b, 0, head), head);
	hl_ocr_format claimed = by_name(name);
	if (b.failed) {
		rc = -1;
		goto done;
	}
	if (s.format == HL_OCR_FMT_UNKNOWN) {
		rc = hl_error_set(HL_EINVALID, "%s: not a TIFF, JPEG, PNG or PDF file%s%s", name,
		                  claimed ? " although its name says " : "",
		                  claimed ? fmt_upper(claimed) : "");
		goto done;
	}
	if (claimed && claimed != s.format) {
		rc = hl_error_set(HL_EINVALID, "%s: the name says %s but the file holds %s", name,
		                  fmt_upper(claimed), fmt_upper(s.format));
		goto done;
	}
	switch (s.format) {
	case HL_OCR_FMT_PNG:
		rc = probe_png(&s, &b);
		break;
	case HL_OCR_FMT_JPEG:
		rc = probe_jpeg(&s, &b);
		break;
	case HL_OCR_FMT_TIFF:
		rc = probe_tiff(&s, &b);
		break;
	default:
		rc = probe_pdf(&s, &b, only_page);
		break;
	}
done:
	/* a read that failed is the reason, not what a parser made of the zeros it got */
	if (b.failed)
		rc = hl_error_set(b.err, "%s", b.errmsg);
	blob_free(&b);
	if (rc) {
		hl_ocr_source_free(&s);
		return rc;
	}
	*out = s;
	return 0;
}

int hl_ocr__probe(hl_ocr_source *out, const char *path, const char *display_name, int only_page)
{
	const char *name = hl_ocr__name(path, display_name);
	/* O_NONBLOCK: a fifo put where a file was expected cannot hang the probe */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return hl_error_set(errno == ENOENT ? HL_ENOTFOUND : HL_EIO, "%s: cannot open: %s",
		                    name, strerror(errno));
	int rc = hl_ocr__probe_fd(out, fd, name, only_page);
	close(fd);
	return rc;
}

int hl_ocr_probe(hl_ocr_source *out, const char *path, const char *display_name)
{
	return hl_ocr__probe(out, path, display_name, 0);
}

int hl_ocr_probe_fd(hl_ocr_source *out, int fd, const char *display_name)
{
	return hl_ocr__probe_fd(out, fd, display_name ? display_name : "file", 0);
}
