/* Attachment uploads: each chunk signed by the sending node over its bytes, offset, file and
 * time, and checked by the receiving node against the directory. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_int.h"
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

int hl_exchange_upload_verify(hl_store *st, const char *self_unit, const char *from,
                              const char *sig, const char *time_ms, const char *sha256,
                              int64_t offset, int64_t size, const void *chunk, size_t len,
                              int64_t now_ms)
{
	hl_exchange__peer p = {0};
	char *end = NULL, *line = NULL;
	long long t;
	size_t n = 0;
	int rc;
	if (!now_ms)
		now_ms = hl_exchange__now_ms();
	if ((rc = hl_exchange__peer_get(&p, st, from)) < 0)
		return rc;
	if (!p.found || p.revoked) {
		rc = hl_error_set(HL_EDENIED, "%s: %s",
		                  p.found ? "revoked-sender" : "unknown-sender",
		                  p.found ? "the sending node is revoked"
		                          : "the sending node is not in the directory");
		goto done;
	}
	if (!sig || !*sig || !time_ms || !*time_ms) {
		rc = hl_error_set(HL_EDENIED, "bad-signature: an upload is signed by its sender "
		                              "(X-Halong-Signature and X-Halong-Time are missing)");
		goto done;
	}
	errno = 0;
	t = strtoll(time_ms, &end, 10);
	/* Within (0, 2^53): the skew below is then computed without overflow. */
	if (*end || end == time_ms || errno || t <= 0 || t >= (1LL << 53)) {
		rc = hl_error_set(HL_EDENIED, "bad-signature: X-Halong-Time is not a time in ms");
		goto done;
	}
	if (t > now_ms + HL_EXCHANGE_SKEW_MS || t < now_ms - HL_EXCHANGE_SKEW_MS) {
		rc = hl_error_set(HL_EDENIED,
		                  "clock-skew: upload signed at %lld ms by %s's clock, %lld s from "
		                  "this node's (window +-%d s)",
		                  t, from, (long long)llabs(t - now_ms) / 1000,
		                  HL_EXCHANGE_SKEW_MS / 1000);
		goto done;
	}
	if (!(line = upload_line(&n, from, self_unit, sha256, offset, size, chunk, len, t)) || !n ||
	    hl_exchange__verify(sig, p.key, HL_X_CTX_UPLOAD, line, n) < 0) {
		rc = hl_error_set(
		    HL_EDENIED,
		    "bad-signature: the upload's signature does not verify with %s's key", from);
		goto done;
	}
	rc = 0;
done:
	free(line);
	hl_exchange__peer_free(&p);
	return rc;
}
