/* Attachment uploads: each chunk signed by the sending node over its bytes, offset, file and
 * time; and received: checked against the directory, appended at the length held, the whole
 * file checked against its name (its SHA-256) before it is kept. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exchange_int.h"
#include "halong/archive.h"
#include "store/store_exchange.h"
#include "halong/util.h"

/* ---- attachment uploads, signed ---- */

#define HL_X_CTX_UPLOAD "halong-upload-v1\n"

static char *upload_line(size_t *n, const char *from, const char *to, const char *sha256,
                         int64_t offset, int64_t size, const void *chunk, size_t len,
                         int64_t time_ms)
{
	unsigned char d[32];
	char hex[65], *line = malloc(512);
	int k;
	if (!line)
		return NULL;
	crypto_hash_sha256(d, chunk ? chunk : (const void *)"", len);
	hl_exchange__hex32(hex, d);
	k = snprintf(line, 512, "%.32s\n%.32s\n%.64s\n%lld\n%lld\n%zu\n%s\n%lld\n", from, to,
	             sha256, (long long)offset, (long long)size, len, hex, (long long)time_ms);
	*n = k > 0 && k < 512 ? (size_t)k : 0;
	return line;
}

void hl_exchange_upload_sign(char sig[89], const hl_node *self, const char *to, const char *sha256,
                             int64_t offset, int64_t size, const void *chunk, size_t len,
                             int64_t time_ms)
{
	size_t n = 0;
	char *line = upload_line(&n, self->unit, to, sha256, offset, size, chunk, len, time_ms);
	sig[0] = '\0';
	if (line && n)
		hl_exchange__sign(sig, self, HL_X_CTX_UPLOAD, line, n);
	free(line);
}

/* The detail of the last upload refused on this thread (what the status records). */
static _Thread_local char refused_detail[400];

/* Refuses an upload: the reason (also hl_exchange_last_refusal) and "REASON: detail". */
static int upload_refuse(hl_exchange_reason r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int upload_refuse(hl_exchange_reason r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(refused_detail, sizeof(refused_detail), fmt, ap);
	va_end(ap);
	hl_exchange__refusal_set(r);
	return hl_error_set(HL_EDENIED, "%s: %s", hl_exchange_reason_name(r), refused_detail);
}

/* X-Halong-Time within the clock's window: 0 and *t, or a refusal. */
static int upload_time(long long *t, const char *from, const char *time_ms, int64_t now_ms)
{
	char *end = NULL;
	errno = 0;
	*t = strtoll(time_ms, &end, 10);
	/* Within (0, 2^53): the skew below is then computed without overflow. */
	if (*end || end == time_ms || errno || *t <= 0 || *t >= (1LL << 53))
		return upload_refuse(HL_EXCHANGE_R_BAD_SIGNATURE,
		                     "X-Halong-Time is not a time in ms");
	if (*t > now_ms + HL_EXCHANGE_SKEW_MS || *t < now_ms - HL_EXCHANGE_SKEW_MS)
		return upload_refuse(HL_EXCHANGE_R_CLOCK_SKEW,
		                     "upload signed at %lld ms by %s's clock, %lld s from this "
		                     "node's (window +-%d s)",
		                     *t, from, (long long)llabs(*t - now_ms) / 1000,
		                     HL_EXCHANGE_SKEW_MS / 1000);
	return 0;
}

int hl_exchange_upload_verify(hl_store *st, const char *self_unit, const char *from,
                              const char *sig, const char *time_ms, const char *sha256,
                              int64_t offset, int64_t size, const void *chunk, size_t len,
                              int64_t now_ms)
{
	hl_exchange__peer p = {0};
	char *line = NULL;
	long long t;
	size_t n = 0;
	int rc;
	hl_exchange__refusal_set(HL_EXCHANGE_R_NONE);
	if (!now_ms)
		now_ms = hl_exchange__now_ms();
	if ((rc = hl_exchange__peer_get(&p, st, from)) < 0)
		return rc;
	if (!p.found || p.revoked) {
		rc = p.found ? upload_refuse(HL_EXCHANGE_R_REVOKED_SENDER,
		                             "the sending node is revoked")
		             : upload_refuse(HL_EXCHANGE_R_UNKNOWN_SENDER,
		                             "the sending node is not in the directory");
		goto done;
	}
	if (!sig || !*sig || !time_ms || !*time_ms) {
		rc = upload_refuse(HL_EXCHANGE_R_BAD_SIGNATURE,
		                   "an upload is signed by its sender (X-Halong-Signature and "
		                   "X-Halong-Time are missing)");
		goto done;
	}
	if ((rc = upload_time(&t, from, time_ms, now_ms)) < 0)
		goto done;
	if (!(line = upload_line(&n, from, self_unit, sha256, offset, size, chunk, len, t)) || !n ||
	    hl_exchange__verify(sig, p.key, HL_X_CTX_UPLOAD, line, n) < 0) {
		rc = upload_refuse(HL_EXCHANGE_R_BAD_SIGNATURE,
		                   "the upload's signature does not verify with %s's key", from);
		goto done;
	}
	rc = 0;
done:
	free(line);
	hl_exchange__peer_free(&p);
	return rc;
}

/* ---- attachments received (HOME/exchange/incoming: SHA.part while they arrive, SHA once
 * whole and checked) ---- */

int hl_exchange__incoming_dir(char *out, size_t size, hl_archive *a)
{
	snprintf(out, size, "%s/exchange/incoming", hl_archive_dir(a));
	return hl_mkdir_p(out, 0700) < 0 ? -1 : 0;
}

/* Uploads come from nodes of the directory only (X-Halong-From, not revoked); a chunk must also
 * carry its sender's signature. The envelope's signature and the SHA-256 check are what make an
 * attachment trusted (docs/exchange.md). */
static int known_sender(hl_exchange_reason *reason, hl_store *st, const char *from)
{
	hl_exchange__peer p = {0};
	int rc;
	if (!from) {
		*reason = HL_EXCHANGE_R_UNKNOWN_SENDER;
		return hl_error_set(HL_EDENIED, "X-Halong-From names no node");
	}
	if ((rc = hl_exchange__peer_get(&p, st, from)) < 0)
		return rc;
	rc = 0;
	if (!p.found || p.revoked) {
		*reason = p.found ? HL_EXCHANGE_R_REVOKED_SENDER : HL_EXCHANGE_R_UNKNOWN_SENDER;
		rc = hl_error_set(HL_EDENIED, p.found ? "the sending node is revoked"
		                                      : "the sending node is not in the directory");
	}
	hl_exchange__peer_free(&p);
	return rc;
}

static int check_name(const char *sha)
{
	if (!sha || !hl_exchange__is_hex64(sha))
		return hl_error_set(HL_EINVALID, "%.80s is not a SHA-256 (64 lower-case hex)",
		                    sha ? sha : "");
	return 0;
}

/* What this node holds of attachment sha in dir. */
static void held(hl_exchange_upload_state *out, const char *dir, const char *sha)
{
	char path[4200];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/%s", dir, sha);
	if (stat(path, &sb) == 0) {
		out->offset = sb.st_size;
		out->complete = 1;
		return;
	}
	snprintf(path, sizeof(path), "%s/%s.part", dir, sha);
	out->offset = stat(path, &sb) == 0 ? sb.st_size : 0;
	out->complete = 0;
}

int hl_exchange_attachment_state(hl_exchange_upload_state *out, hl_exchange_reason *reason,
                                 hl_archive *a, const char *from, const char *sha256)
{
	char dir[4096];
	int rc;
	*reason = HL_EXCHANGE_R_NONE;
	if ((rc = known_sender(reason, hl_archive_store(a), from)) < 0 ||
	    (rc = check_name(sha256)) < 0)
		return rc;
	if (hl_exchange__incoming_dir(dir, sizeof(dir), a) < 0)
		return -1;
	held(out, dir, sha256);
	return 0;
}

static int self_unit_cb(const char *unit, const char *url, const char *pk, const char *hub,
                        void *ud)
{
	(void)url, (void)pk, (void)hub;
	snprintf(ud, 33, "%s", unit ? unit : "");
	return 0;
}

/* The chunk signed by the node it names, within 5 minutes; else refused, recorded. */
static int chunk_signed(hl_exchange_reason *reason, hl_store *st, const hl_exchange_chunk *c)
{
	char me[33] = "", detail[600];
	int rc = hl_store_xself_get(st, self_unit_cb, me);
	if (rc == HL_ENOTFOUND) {
		*reason = HL_EXCHANGE_R_NO_IDENTITY;
		return hl_error_set(HL_ENOTFOUND,
		                    "this node has no exchange identity (halong node init)");
	}
	if (rc < 0)
		return rc;
	rc = hl_exchange_upload_verify(st, me, c->from, c->signature, c->time_ms, c->sha256,
	                               c->offset, c->size, c->chunk, c->len, 0);
	if (rc != HL_EDENIED)
		return rc;
	*reason = hl_exchange_last_refusal();
	snprintf(detail, sizeof(detail), "attachment %.12s… offset %lld: %s", c->sha256,
	         (long long)c->offset, refused_detail);
	/* refused before its signature verified: what it claims is not taken for granted */
	hl_exchange__reject_unverified(st, 0, NULL, c->from, *reason, detail);
	return rc;
}

/* The bounds of a chunk, before anything is written. */
static int chunk_bounds(const hl_exchange_chunk *c)
{
	if (c->size < 0 || c->size > HL_EXCHANGE_MAX_ATTACHMENT || c->offset < 0 ||
	    c->offset > HL_EXCHANGE_MAX_ATTACHMENT)
		return hl_error_set(HL_EINVALID, "offset and size are 0 to %lld bytes",
		                    (long long)HL_EXCHANGE_MAX_ATTACHMENT);
	if (c->len > HL_EXCHANGE_MAX_CHUNK)
		return hl_error_set(HL_ELIMIT, "a chunk of %zu bytes, over the limit of %u", c->len,
		                    HL_EXCHANGE_MAX_CHUNK);
	if ((uint64_t)c->offset + c->len > (uint64_t)c->size)
		return hl_error_set(HL_EINVALID, "offset %lld + %zu bytes passes size %lld",
		                    (long long)c->offset, c->len, (long long)c->size);
	return 0;
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* The chunk written at its offset and on disk before it is acknowledged (the offset reported
 * after a crash is honest). */
static int chunk_write(int fd, const hl_exchange_chunk *c)
{
	const char *p = c->chunk;
	for (size_t w = 0; w < c->len;) {
		ssize_t k = pwrite(fd, p + w, c->len - w, (off_t)(c->offset + (int64_t)w));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return hl_error_set(HL_EIO, "attachment %.12s: %s", c->sha256,
			                    strerror(errno));
		w += (size_t)k;
	}
	if (fdatasync(fd) < 0)
		return hl_error_set(HL_EIO, "attachment %.12s: %s", c->sha256, strerror(errno));
	return 0;
}

/* The file whole: hashed; kept under its name if it is its SHA-256, else dropped, refused and
 * recorded. */
static int chunk_finish(hl_exchange_reason *reason, hl_store *st, const hl_exchange_chunk *c,
                        const char *dir, const char *part)
{
	char whole[4200], got[65], detail[300];
	int64_t hashed = 0;
	int rc;
	if ((rc = hl_sha256_file(got, &hashed, part)) < 0)
		return rc;
	if (strcmp(got, c->sha256) || hashed != c->size) {
		unlink(part);
		snprintf(detail, sizeof(detail),
		         "attachment %.12s…: %lld bytes arrived with SHA-256 %.12s…, not the name "
		         "it was sent under",
		         c->sha256, (long long)hashed, got);
		*reason = HL_EXCHANGE_R_ATTACHMENT;
		hl_exchange__reject(st, 0, NULL, c->from, *reason, detail);
		return hl_error_set(HL_EDENIED, "%s", detail);
	}
	snprintf(whole, sizeof(whole), "%s/%s", dir, c->sha256);
	if (rename(part, whole) < 0)
		return hl_error_set(HL_EIO, "attachment %.12s: %s", c->sha256, strerror(errno));
	fsync_dir(dir);
	return 0;
}

/* Appends the chunk to SHA.part under an exclusive lock (a retry racing the first attempt waits
 * its turn) if it starts at the length held. */
static int chunk_append(hl_exchange_upload_state *out, hl_exchange_reason *reason, hl_store *st,
                        const hl_exchange_chunk *c, const char *dir)
{
	char part[4200];
	struct stat sb;
	int fd, rc;
	snprintf(part, sizeof(part), "%s/%s.part", dir, c->sha256);
	if ((fd = open(part, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return hl_error_set(HL_EIO, "attachment %.12s: %s", c->sha256, strerror(errno));
	if (flock(fd, LOCK_EX) < 0 || fstat(fd, &sb) < 0) {
		rc = hl_error_set(HL_EIO, "attachment %.12s: %s", c->sha256, strerror(errno));
		goto done;
	}
	if (c->offset != (int64_t)sb.st_size) {
		out->offset = sb.st_size;
		out->complete = 0;
		*reason = HL_EXCHANGE_R_OFFSET;
		rc = hl_error_set(HL_ECONFLICT, "this node holds another length of the attachment");
		goto done;
	}
	if ((rc = chunk_write(fd, c)) < 0)
		goto done;
	if (c->offset + (int64_t)c->len == c->size)
		rc = chunk_finish(reason, st, c, dir, part);
done:
	close(fd);
	return rc;
}

int hl_exchange_attachment_put(hl_exchange_upload_state *out, hl_exchange_reason *reason,
                               hl_archive *a, const hl_exchange_chunk *c)
{
	hl_store *st = hl_archive_store(a);
	char dir[4096], whole[4200];
	struct stat sb;
	int rc;

	*reason = HL_EXCHANGE_R_NONE;
	if ((rc = known_sender(reason, st, c->from)) < 0 || (rc = check_name(c->sha256)) < 0 ||
	    (rc = chunk_bounds(c)) < 0 || (rc = chunk_signed(reason, st, c)) < 0)
		return rc;
	if (hl_exchange__incoming_dir(dir, sizeof(dir), a) < 0)
		return -1;
	snprintf(whole, sizeof(whole), "%s/%s", dir, c->sha256);
	if (stat(whole, &sb) != 0 && (rc = chunk_append(out, reason, st, c, dir)) < 0)
		return rc;
	held(out, dir, c->sha256);
	return 0;
}
