/* `halong ingest`: streams a manifest in batches (one transaction each), checks every row,
 * stores files as blobs, reports bad rows and loads the good ones, then updates the index. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "archive_int.h"
#include "halong/ocr.h"
#include "halong/text.h"
#include "halong/util.h"
#include "manifest_int.h"

#define MAX_PROBLEMS 16
#define MAX_FILES    10000 /* files of one document */

typedef struct {
	int col; /* -1: the row as a whole */
	char reason[256];
} problem;

/* A set of 64-bit keys with the manifest line that first used each: duplicates inside one
 * manifest are found without keeping the keys' text (16 bytes a row). */
typedef struct {
	uint64_t *keys, *lines;
	size_t cap, n;
} seen_set;

static uint64_t key64(const char *a, const char *b, const char *c)
{
	unsigned char h[crypto_generichash_BYTES_MIN];
	crypto_generichash_state st;
	uint64_t k;
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)a, strlen(a) + 1);
	crypto_generichash_update(&st, (const unsigned char *)b, strlen(b) + 1);
	if (c)
		crypto_generichash_update(&st, (const unsigned char *)c, strlen(c) + 1);
	crypto_generichash_final(&st, h, sizeof(h));
	memcpy(&k, h, sizeof(k));
	return k | 1; /* 0 marks an empty slot */
}

/* Returns the line that first held `k`, or 0 after adding it with `line`. */
static uint64_t seen_add(seen_set *s, uint64_t k, uint64_t line)
{
	if (s->n * 2 >= s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 4096;
		uint64_t *nk = calloc(ncap, sizeof(*nk)), *nl = calloc(ncap, sizeof(*nl));
		if (!nk || !nl) {
			free(nk);
			free(nl);
			return 0; /* out of memory: duplicates are still caught by the store */
		}
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->keys[i])
				continue;
			size_t j = s->keys[i] & (ncap - 1);
			while (nk[j])
				j = (j + 1) & (ncap - 1);
			nk[j] = s->keys[i];
			nl[j] = s->lines[i];
		}
		free(s->keys);
		free(s->lines);
		s->keys = nk, s->lines = nl, s->cap = ncap;
	}
	size_t j = k & (s->cap - 1);
	while (s->keys[j]) {
		if (s->keys[j] == k)
			return s->lines[j];
		j = (j + 1) & (s->cap - 1);
	}
	s->keys[j] = k;
	s->lines[j] = line;
	s->n++;
	return 0;
}

static void seen_free(seen_set *s)
{
	free(s->keys);
	free(s->lines);
}

typedef struct {
	hl_archive *a;
	const hl_ingest_opts *o;
	hl_ingest_result r;
	hl_manifest_cols cols;
	char **header;
	size_t nheader;
	char *files_dir;
	int files_fd;    /* the files folder, open: every file is opened beneath it */
	int files_errno; /* why it could not be opened (files_fd < 0) */
	/* the data directory's real path when it lies inside the files folder: files in it (the
	 * node's key, its database) are refused; NULL otherwise */
	char *home_inside;
	FILE *rejects;
	seen_set ordinals, ids;
	/* the current row */
	problem probs[MAX_PROBLEMS];
	int nprobs;
	/* the row's files, copied and hashed, put in the blob store only if the row is accepted */
	hl_blob_staged *staged;
	size_t nstaged, capstaged;
	/* with --ocr: each file's probe (format UNKNOWN: not a scan), and the row's warnings */
	hl_ocr_source *src;
	size_t nsrc, capsrc;
	char warns[4][256];
	int nwarns;
} ingest;

static void add_problem(ingest *in, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_problem(ingest *in, int col, const char *fmt, ...)
{
	va_list ap;
	if (in->nprobs == MAX_PROBLEMS)
		return;
	problem *p = &in->probs[in->nprobs++];
	p->col = col;
	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
	va_end(ap);
	/* a long value quoted in the reason is cut at a byte: back off to a whole character, or
	 * the rejects file would hold invalid UTF-8 that no ingest reads again */
	hl_str_cut_utf8(p->reason);
}

/* The value of a column in this row of n fields: "" when the header has no such column and
 * when the row is too short to reach it. */
static const char *field(ingest *in, char **f, size_t n, int col)
{
	int i = in->cols.at[col];
	return i >= 0 && (size_t)i < in->cols.nfields && (size_t)i < n ? f[i] : "";
}

static void row_problem(int col, const char *reason, void *ud)
{
	add_problem(ud, col, "%s", reason);
}

/* The rejects file sits beside a manifest that may come from outside, with its folder: a
 * symbolic link planted under its name (to the node's database, say) is refused, not
 * followed, and only a regular file is written (a fifo cannot block the ingest). */
static int open_rejects(ingest *in)
{
	const char *path = in->o->rejects_path;
	struct stat st;
	int fd =
	    open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644);
	if (fd < 0)
		return hl_error_set(HL_EIO, "%s: cannot write: %s", path,
		                    errno == ELOOP ? "a symbolic link is there (refused)"
		                                   : strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return hl_error_set(HL_EIO, "%s: cannot write: not a regular file (refused)", path);
	}
	if (ftruncate(fd, 0) != 0 || !(in->rejects = fdopen(fd, "w"))) {
		int e = errno;
		close(fd);
		return hl_error_set(HL_EIO, "%s: cannot write: %s", path, strerror(e));
	}
	return 0;
}

/* Writes a rejected row to the rejects CSV (opened on first use) and reports it. */
static int reject(ingest *in, char **f, size_t n, uint64_t line)
{
	char cols[512] = "", reasons[2048] = "", lbuf[24];
	in->r.rejected++;
	for (int i = 0; i < in->nprobs; i++) {
		const char *c = in->probs[i].col >= 0 ? hl_manifest__key(in->probs[i].col) : NULL;
		if (in->o->on_reject)
			in->o->on_reject(line, c, in->probs[i].reason, in->o->ud);
		snprintf(cols + strlen(cols), sizeof(cols) - strlen(cols), "%s%s", i ? "; " : "",
		         c ? c : "");
		snprintf(reasons + strlen(reasons), sizeof(reasons) - strlen(reasons), "%s%s",
		         i ? "; " : "", in->probs[i].reason);
	}
	if (!in->o->rejects_path)
		return 0;
	if (!in->rejects) {
		if (open_rejects(in) < 0)
			return -1;
		const char **h = calloc(in->nheader + 3, sizeof(*h));
		if (!h)
			return hl_error_set(HL_ENOMEM, "out of memory");
		for (size_t i = 0; i < in->nheader; i++)
			h[i] = in->header[i];
		h[in->nheader] = "_line";
		h[in->nheader + 1] = "_column";
		h[in->nheader + 2] = "_reason";
		hl_csv_write(in->rejects, h, in->nheader + 3);
		free(h);
	}
	const char **row = calloc(in->nheader + 3, sizeof(*row));
	if (!row)
		return hl_error_set(HL_ENOMEM, "out of memory");
	for (size_t i = 0; i < in->nheader; i++)
		row[i] = i < n ? f[i] : "";
	snprintf(lbuf, sizeof(lbuf), "%llu", (unsigned long long)line);
	row[in->nheader] = lbuf;
	row[in->nheader + 1] = cols;
	row[in->nheader + 2] = reasons;
	hl_csv_write(in->rejects, row, in->nheader + 3);
	free(row);
	return 0;
}

/* A relative path that stays inside the files directory. */
static int safe_relative(const char *p)
{
	if (!*p || *p == '/')
		return 0;
	for (const char *s = p; *s;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return 0;
		s += n + (e ? 1 : 0);
	}
	return 1;
}

/* Stores the row's files as blobs; fills d->files. Problems are added for bad files. */
/* ---- with --ocr: scans are probed, their pages counted and queued ---- */

static int is_scan_name(const char *name)
{
	size_t n = strlen(name);
	return hl_manifest__is_image(name) || (n > 4 && !strcasecmp(name + n - 4, ".pdf"));
}

static void src_clear(ingest *in)
{
	for (size_t i = 0; i < in->nsrc; i++)
		hl_ocr_source_free(&in->src[i]);
	in->nsrc = 0;
	in->nwarns = 0;
}

/* Probes a file of the row from its open descriptor if it is a scan, before anything of it is
 * copied: a refused scan adds a problem (*refused) and is never read further. */
static int probe_file(int *refused, ingest *in, int fd, const char *name)
{
	hl_ocr_source src = {0};
	uint32_t low = 0, low_dpi = 0;

	*refused = 0;
	if (in->nsrc == in->capsrc) {
		size_t cap = in->capsrc ? in->capsrc * 2 : 8;
		hl_ocr_source *v = realloc(in->src, cap * sizeof(*v));
		if (!v)
			return hl_error_set(HL_ENOMEM, "out of memory");
		in->src = v, in->capsrc = cap;
	}
	if (is_scan_name(name) && hl_ocr_probe_fd(&src, fd, name) < 0) {
		if (hl_error_code() == HL_ENOMEM)
			return -1;
		/* an unreadable file is this row's problem, like a corrupt one */
		add_problem(in, COL_FILES, "%s", hl_error_last());
		*refused = 1;
		return 0;
	}
	for (uint32_t p = 0; p < src.n_pages; p++)
		if (src.pages[p].dpi && src.pages[p].dpi < HL_OCR_MIN_DPI)
			low++, low_dpi = src.pages[p].dpi;
	if (low && in->nwarns < 4)
		snprintf(in->warns[in->nwarns++], sizeof(in->warns[0]),
		         "%s: %u of %u pages at %u dpi, below the %u dpi of Nghị định "
		         "30/2020/NĐ-CP, Phụ lục I",
		         name, low, src.n_pages, low_dpi, HL_OCR_MIN_DPI);
	in->src[in->nsrc++] = src;
	return 0;
}

/* page_count against the pages the scans hold, naming each file's share. */
static void check_pages(ingest *in, const hl_doc *d)
{
	uint64_t total = 0;
	char detail[160] = "";
	size_t used = 0;

	for (size_t i = 0; i < in->nsrc; i++) {
		total += in->src[i].n_pages;
		if (in->src[i].format != HL_OCR_FMT_UNKNOWN && used < sizeof(detail) - 40) {
			int k = snprintf(detail + used, sizeof(detail) - used, "%s%.60s: %u",
			                 used ? ", " : "", d->files[i].name, in->src[i].n_pages);
			used += k > 0 ? (size_t)k : 0;
		}
	}
	if (d->page_count >= 0 && total && (int64_t)total != d->page_count)
		add_problem(in, COL_PAGES,
		            "page count %lld disagrees with the %llu pages in the files (%s)",
		            (long long)d->page_count, (unsigned long long)total, detail);
}

/* After the document is stored: its pages join the OCR queue. */
static int queue_pages(ingest *in, const hl_doc *d)
{
	hl_store_page_file pf[64], *v = pf;
	uint32_t *dpi = NULL;
	unsigned *warn = NULL;
	size_t n = 0, pages = 0, k = 0;
	uint64_t q = 0;
	int rc;

	for (size_t i = 0; i < in->nsrc; i++)
		pages += in->src[i].n_pages;
	if (in->nsrc > 64 && !(v = calloc(in->nsrc, sizeof(*v))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	dpi = calloc(pages + 1, sizeof(*dpi));
	warn = calloc(pages + 1, sizeof(*warn));
	if (!dpi || !warn) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < in->nsrc; i++) {
		const hl_ocr_source *s = &in->src[i];
		if (s->format == HL_OCR_FMT_UNKNOWN)
			continue;
		v[n] = (hl_store_page_file){(int)i + 1, d->files[i].sha256, s->n_pages, dpi + k,
		                            warn + k};
		for (uint32_t p = 0; p < s->n_pages; p++, k++) {
			dpi[k] = s->pages[p].dpi;
			if (dpi[k] && dpi[k] < HL_OCR_MIN_DPI)
				warn[k] |= HL_OCR_WARN_LOW_DPI;
			else if (!dpi[k] && s->format != HL_OCR_FMT_PDF)
				warn[k] |= HL_OCR_WARN_NO_DPI;
		}
		n++;
	}
	if ((rc = hl_store_pages_queue(&q, in->a->store, d->doc_id, v, n)) == 0)
		in->r.pages_queued += q;
done:
	free(dpi), free(warn);
	if (v != pf)
		free(v);
	return rc;
}

/* The row's staged files: discarded when it is refused, put in the blob store when it is
 * accepted. */
static void staged_discard(ingest *in)
{
	for (size_t i = 0; i < in->nstaged; i++)
		hl_archive__blob_discard(&in->staged[i]);
	in->nstaged = 0;
}

static int staged_commit(ingest *in)
{
	int rc = 0;
	for (size_t i = 0; i < in->nstaged && rc == 0; i++)
		rc = hl_archive__blob_commit(in->a, &in->staged[i]);
	staged_discard(in); /* what a failure left */
	return rc;
}

/* A file found inside the node's data directory (its key, its database) is refused even when
 * the files folder holds that directory: a manifest must not be able to name them. The path
 * of the open file is the kernel's (/proc/self/fd); without /proc it cannot be told, and the
 * file is refused. */
static int inside_home(const ingest *in, int fd)
{
	char link[64], real[PATH_MAX];
	ssize_t n;
	size_t h = strlen(in->home_inside);

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, real, sizeof(real) - 1)) < 0)
		return 1;
	real[n] = '\0';
	return !strncmp(real, in->home_inside, h) && (real[h] == '/' || real[h] == '\0');
}

/* One file of the row: opened beneath the files folder (never following a link out of it),
 * probed with --ocr, then copied to tmp/ and hashed from that one descriptor. Problems are
 * the row's; a negative return stops the run. */
static int load_file(ingest *in, hl_doc_file *f, const char *name)
{
	struct stat before, after;
	hl_blob_staged st = {0};
	int fd = -1, rc = 0, refused = 0;

	if (in->files_fd < 0) {
		if (in->files_errno == ENOENT)
			add_problem(in, COL_FILES, "missing file %s", name);
		else
			add_problem(in, COL_FILES, "%s: the files folder %s cannot be opened: %s",
			            name, in->files_dir, strerror(in->files_errno));
		return 0;
	}
	if ((rc = hl_file_open_beneath(&fd, in->files_fd, name)) < 0) {
		if (rc == HL_ENOMEM)
			return rc;
		if (rc == HL_ENOTFOUND)
			add_problem(in, COL_FILES, "missing file %s", name);
		else
			add_problem(in, COL_FILES, "%s", hl_error_last());
		return 0;
	}
	rc = 0;
	if (fstat(fd, &before) != 0) {
		add_problem(in, COL_FILES, "%s: %s", name, strerror(errno));
		goto done;
	}
	if (in->home_inside && inside_home(in, fd)) {
		add_problem(in, COL_FILES,
		            "%s: lies inside the node's data directory (%s): refused", name,
		            in->home_inside);
		goto done;
	}
	/* the header first: a refused scan is never copied */
	if (in->o->ocr && ((rc = probe_file(&refused, in, fd, name)) < 0 || refused))
		goto done;
	if (in->nstaged == in->capstaged) {
		size_t cap = in->capstaged ? in->capstaged * 2 : 8;
		hl_blob_staged *v = realloc(in->staged, cap * sizeof(*v));
		if (!v) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		in->staged = v, in->capstaged = cap;
	}
	if (hl_archive__blob_stage(&st, in->a, fd, name) < 0) {
		if (hl_error_code() == HL_ENOMEM) {
			rc = -1;
			goto done;
		}
		/* A full disk is not the row's fault: every row after it would fail the same way,
		 * each reported as rejected. The run stops with one message; the batch in hand is
		 * rolled back, and a new run once space is back adds what is missing. */
		if (hl_archive__disk_full) {
			rc = hl_error_set(HL_EIO,
			                  "%s: the disk of the data directory is full (%s): the "
			                  "ingest stopped; free some space and run it again",
			                  name, hl_error_last());
			goto done;
		}
		/* An unreadable file is reported for each row it hits. */
		add_problem(in, COL_FILES, "%s", hl_error_last());
		goto done;
	}
	/* What was probed and hashed must be one content: a file written to meanwhile is
	 * refused (as tar says "file changed as we read it"). */
	if (fstat(fd, &after) != 0 || after.st_size != before.st_size || after.st_size != st.size ||
	    after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
	    after.st_mtim.tv_nsec != before.st_mtim.tv_nsec ||
	    after.st_ctim.tv_sec != before.st_ctim.tv_sec ||
	    after.st_ctim.tv_nsec != before.st_ctim.tv_nsec) {
		hl_archive__blob_discard(&st);
		add_problem(in, COL_FILES, "%s: the file changed while it was being read", name);
		goto done;
	}
	in->staged[in->nstaged++] = st;
	memcpy(f->sha256, st.sha256, sizeof(f->sha256));
	f->size = st.size;
done:
	close(fd);
	return rc;
}

static int load_files(ingest *in, hl_doc *d, const char *list)
{
	char *copy = hl_strdup(list), *save = NULL, *tok;
	size_t cap = 0;
	int rc = 0, images = 0;

	if (!copy)
		return hl_error_set(HL_ENOMEM, "out of memory");
	for (tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		char *name = hl_trim(tok);
		hl_doc_file f = {0};
		int nprobs = in->nprobs;
		if (!*name)
			continue;
		if (d->nfiles >= MAX_FILES) {
			add_problem(in, COL_FILES, "more than %d files", MAX_FILES);
			break;
		}
		if (!safe_relative(name)) {
			add_problem(in, COL_FILES,
			            "file path \"%s\" must be relative to the files folder, "
			            "without ..",
			            name);
			continue;
		}
		if ((rc = load_file(in, &f, name)) < 0)
			break;
		if (in->nprobs != nprobs)
			continue;
		if (d->nfiles == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			hl_doc_file *nf = realloc(d->files, ncap * sizeof(*nf));
			if (!nf) {
				rc = hl_error_set(HL_ENOMEM, "out of memory");
				break;
			}
			d->files = nf, cap = ncap;
		}
		if (!(f.name = hl_strdup(name))) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			break;
		}
		d->files[d->nfiles++] = f;
		images += hl_manifest__is_image(name);
	}
	free(copy);
	if (rc < 0 || in->nprobs)
		return rc;
	if (in->o->ocr) {
		check_pages(in, d);
		return 0;
	}
	/* Page count can be checked when every file is one page image. */
	if (d->page_count >= 0 && d->nfiles && (size_t)images == d->nfiles &&
	    (int64_t)d->nfiles != d->page_count)
		add_problem(in, COL_PAGES,
		            "page count %lld disagrees with the %zu page images listed",
		            (long long)d->page_count, d->nfiles);
	return rc;
}

static void free_files(hl_doc *d)
{
	for (size_t i = 0; i < d->nfiles; i++)
		free(d->files[i].name);
	free(d->files);
	d->files = NULL;
	d->nfiles = 0;
}

/* Checks one row and, when it is good, puts it in the store (inside the batch's transaction).
 * Returns 0 (loaded or rejected) or negative on an error that must stop the run. */
static int do_row(ingest *in, char **f, size_t n, uint64_t line)
{
	hl_doc d = {0};
	hl_manifest_vals vals;
	int status = 0, rc = 0;
	const char *s;

	in->nprobs = 0;
	src_clear(in);
	staged_discard(in);
	in->r.rows++;
	/* the row's own checks, the same the manifest's fuzz target runs */
	hl_archive__manifest_row(&d, &vals, &in->cols, f, n, row_problem, in);
	if (d.doc_id && d.ordinal > 0 && in->nprobs == 0) {
		char ord[24];
		uint64_t first;
		snprintf(ord, sizeof(ord), "%lld", (long long)d.ordinal);
		if ((first =
		         seen_add(&in->ordinals, key64(d.fonds_code, d.dossier_code, ord), line)))
			add_problem(in, COL_ORDINAL,
			            "duplicate ordinal %lld in dossier %s (also on line %llu)",
			            (long long)d.ordinal, d.dossier_code,
			            (unsigned long long)first);
		else if ((first = seen_add(&in->ids, key64(d.doc_id, "", NULL), line)))
			add_problem(in, COL_DOC_ID, "duplicate doc_id %s (also on line %llu)",
			            d.doc_id, (unsigned long long)first);
	}
	s = field(in, f, n, COL_FILES);
	if (in->nprobs == 0 && *s && (rc = load_files(in, &d, s)) < 0)
		goto done;

	if (in->nprobs == 0) {
		/* the store records the files' blobs with the document (nothing for a refused
		 * one); the files reach blobs/ below, before the batch commits */
		rc = hl_store_doc_put(&status, in->a->store, &d, hl_principal_actor(in->o->who));
		if (rc == HL_ECONFLICT && status == HL_PUT_CONFLICT_ORDINAL) {
			add_problem(in, COL_ORDINAL, "duplicate ordinal: %s", hl_error_last());
			rc = 0;
		} else if (rc < 0) {
			goto done;
		} else if (in->o->ocr && (rc = queue_pages(in, &d)) < 0) {
			goto done;
		} else if (!in->o->ocr && status == HL_PUT_UPDATED &&
		           (rc = hl_store_pages_queue(NULL, in->a->store, d.doc_id, NULL, 0)) < 0) {
			/* without --ocr nothing is queued, but the pages of files the document no
			 * longer has go: their text would still be given as the document's */
			goto done;
		}
	}
	if (in->nprobs) {
		staged_discard(in);
		rc = reject(in, f, n, line);
		goto done;
	}
	/* Accepted: its files become blobs, durable before the batch's commit. */
	if ((rc = staged_commit(in)) < 0)
		goto done;
	for (size_t i = 0; i < d.nfiles; i++) {
		in->r.files++;
		in->r.bytes += (uint64_t)d.files[i].size;
	}
	for (int i = 0; i < in->nwarns; i++) {
		in->r.warnings++;
		if (in->o->on_warning)
			in->o->on_warning(line, "files", in->warns[i], in->o->ud);
	}
	if (status == HL_PUT_INSERTED)
		in->r.inserted++;
	else if (status == HL_PUT_UPDATED)
		in->r.updated++;
	else
		in->r.unchanged++;
done:
	staged_discard(in); /* a run stopped by an error keeps no copy */
	free_files(&d);
	return rc;
}

/* The indexer beside the ingest: on a second thread, with its own store connection and the
 * index's writer lock, it applies each batch the ingest commits while the next is being read.
 * Its errors are not the ingest's: the final hl_archive_index_sync after it redoes whatever it
 * left and reports what still fails. */
typedef struct {
	hl_archive *a;
	pthread_t thread;
	atomic_int finished; /* set by the ingest after its last commit */
	int started;
	uint64_t applied;
} side_indexer;

static void *side_indexer_main(void *p)
{
	side_indexer *si = p;
	hl_store *st = NULL;
	hl_index *ix = NULL;
	char *db = hl_path_join(si->a->home, "halong.db");

	if (db && hl_store_open(&st, db, 0) == 0 && hl_index_open(&ix, si->a->index_dir, 1) == 0) {
		for (;;) {
			/* Read the flag before the update: the update after it is set sees the
			 * last batch. */
			int last = atomic_load(&si->finished);
			uint64_t n = 0;
			if (hl_index_update(&n, ix, st, NULL, NULL) < 0)
				break;
			si->applied += n;
			if (last)
				break;
			if (n == 0)
				usleep(50 * 1000);
		}
	}
	hl_index_free(ix);
	hl_store_free(st);
	free(db);
	return NULL;
}

static void side_indexer_start(side_indexer *si, hl_archive *a)
{
	si->a = a;
	atomic_init(&si->finished, 0);
	/* Only one writer may hold the index: the archive's own handle must not be open. */
	if (a->index)
		return;
	si->started = pthread_create(&si->thread, NULL, side_indexer_main, si) == 0;
}

static uint64_t side_indexer_stop(side_indexer *si)
{
	if (!si->started)
		return 0;
	atomic_store(&si->finished, 1);
	pthread_join(si->thread, NULL);
	si->started = 0;
	return si->applied;
}

static int is_blank(char **f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (const char *p = f[i]; *p; p++)
			if (*p != ' ' && *p != '\t')
				return 0;
	return 1;
}

static int report(ingest *in, hl_csv *csv)
{
	if (in->o->progress &&
	    in->o->progress("ingest", hl_csv_offset(csv), hl_csv_size(csv), in->o->ud))
		return hl_error_set(HL_ERROR, "ingest stopped");
	return 0;
}

/* in->home_inside = the data directory's real path when it lies in (or is) the files folder. */
static int home_in_files(ingest *in)
{
	char *home = realpath(in->a->home, NULL), *files = realpath(in->files_dir, NULL);
	int rc = 0;
	if (!home || !files) {
		if (errno == ENOMEM)
			rc = hl_error_set(HL_ENOMEM, "out of memory");
		else if (!home)
			rc = hl_error_set(HL_EIO, "%s: %s", in->a->home, strerror(errno));
		/* a files folder that vanished: its files are reported missing */
		goto done;
	}
	size_t n = strlen(files);
	if (!strcmp(files, "/") || (!strncmp(home, files, n) && (home[n] == '/' || !home[n]))) {
		in->home_inside = home;
		home = NULL;
	}
done:
	free(home);
	free(files);
	return rc;
}

static int64_t batch_elapsed_ms(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int hl_archive_ingest(hl_ingest_result *out, hl_archive *a, const hl_ingest_opts *o)
{
	ingest in = {.a = a, .o = o, .files_fd = -1};
	const char *mname = o->manifest_name ? o->manifest_name : o->manifest;
	hl_csv *csv = NULL;
	char **f;
	size_t n, batch = o->batch_size ? o->batch_size : 1000, in_batch = 0;
	struct timespec batch_t0 = {0};
	int64_t batch_ms = o->batch_ms ? o->batch_ms : 1000;
	uint64_t line, side = 0;
	int rc, tx = 0;
	side_indexer si = {0};

	if ((rc = hl_auth_check(o->who, HL_ACT_INGEST)) < 0)
		return rc;
	if (sodium_init() < 0)
		return hl_error_set(HL_ERROR, "libsodium failed to start");
	a->new_blobs = 0;
	if (hl_csv_open_named(&csv, o->manifest, o->manifest_name) < 0)
		return -1;
	if (o->files_dir) {
		in.files_dir = hl_strdup(o->files_dir);
	} else {
		const char *sl = strrchr(o->manifest, '/');
		in.files_dir =
		    sl ? strndup(o->manifest, (size_t)(sl - o->manifest) + (sl == o->manifest))
		       : hl_strdup(".");
	}
	if (!in.files_dir) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	/* The folder the user named (a link to it is the user's choice); what lies below it is
	 * opened beneath it, file by file. */
	if ((in.files_fd = open(in.files_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		in.files_errno = errno;
	else if ((rc = home_in_files(&in)) < 0)
		goto done;
	/* copies left in tmp/ by an ingest that was killed */
	hl_archive__blob_tmp_sweep(a);
	rc = hl_csv_next(csv, &f, &n, &line);
	if (rc <= 0) {
		if (rc == 0)
			rc = hl_error_set(HL_EINVALID, "%s: the file is empty (no header row)",
			                  mname);
		goto done;
	}
	if ((rc = hl_manifest__header(&in.cols, f, n, mname)) < 0)
		goto done;
	in.nheader = n;
	in.header = calloc(n, sizeof(char *));
	for (size_t i = 0; in.header && i < n; i++)
		in.header[i] = hl_strdup(f[i]);
	if (!in.header) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}

	side_indexer_start(&si, a);
	for (;;) {
		rc = hl_csv_next(csv, &f, &n, &line);
		if (rc < 0)
			break;
		if (rc == 0) {
			rc = 0;
			break;
		}
		if (is_blank(f, n))
			continue;
		if (!tx) {
			if ((rc = hl_store_begin(a->store)) < 0)
				break;
			tx = 1;
			clock_gettime(CLOCK_MONOTONIC, &batch_t0);
		}
		if ((rc = do_row(&in, f, n, line)) < 0)
			break;
		/* A batch also ends after batch_ms: rows with scans copy and hash their files
		 * inside it, and every audited read (a restricted record, over HTTP too) waits for
		 * the store's write lock meanwhile. */
		if (++in_batch >= batch || batch_elapsed_ms(&batch_t0) >= batch_ms) {
			if ((rc = hl_store_commit(a->store)) < 0)
				break;
			tx = 0;
			in_batch = 0;
			if ((rc = report(&in, csv)) < 0)
				break;
		}
	}
	if (tx) {
		if (rc < 0)
			hl_store_rollback(a->store);
		else if ((rc = hl_store_commit(a->store)) == 0)
			rc = report(&in, csv);
	}
	side = side_indexer_stop(&si);
	if (rc < 0)
		goto done;
	/* The store holds the rows; now bring the index up to date with what the side indexer
	 * did not apply. */
	rc = hl_archive_index_sync(&in.r.indexed, a, o->progress, o->ud);
	in.r.indexed += side;
done:
	side_indexer_stop(&si);
	if (in.rejects && fclose(in.rejects) != 0 && rc == 0)
		rc = hl_error_set(HL_EIO, "%s: write failed", o->rejects_path);
	in.r.new_blobs = a->new_blobs;
	if (rc == 0)
		*out = in.r;
	for (size_t i = 0; in.header && i < in.nheader; i++)
		free(in.header[i]);
	free(in.header);
	free(in.files_dir);
	if (in.files_fd >= 0)
		close(in.files_fd);
	free(in.home_inside);
	staged_discard(&in);
	free(in.staged);
	seen_free(&in.ordinals);
	seen_free(&in.ids);
	src_clear(&in);
	free(in.src);
	hl_csv_free(csv);
	return rc;
}
