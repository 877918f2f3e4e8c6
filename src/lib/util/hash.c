/* SHA-256 of memory and of files, with libsodium; the names of halong's blobs. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halong/util.h"

/* Files are read this much at a time: large enough to keep the disk busy, small enough to keep
 * memory flat whatever the file's size. */
#define HASH_CHUNK (256u << 10)

static void to_hex(char hex[65], const unsigned char d[crypto_hash_sha256_BYTES])
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < crypto_hash_sha256_BYTES; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[64] = '\0';
}

/* sodium_init is idempotent and thread-safe; it returns 1 when already done. */
static int sodium_ready(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

void hl_sha256_hex(char hex[65], const void *data, size_t len)
{
	unsigned char d[crypto_hash_sha256_BYTES];
	(void)sodium_ready(); /* the SHA-256 code does not need it; the call keeps sodium's rule */
	crypto_hash_sha256(d, data ? data : "", len);
	to_hex(hex, d);
}

int hl_sha256_file(char hex[65], int64_t *size, const char *path)
{
	if (sodium_ready() < 0)
		return hl_error_set(HL_ERROR, "libsodium could not be initialised");
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (errno == ENOENT)
			return hl_error_set(HL_ENOTFOUND, "%s: no such file", path);
		return hl_error_set(HL_EIO, "%s: %s", path, strerror(errno));
	}
	unsigned char *buf = malloc(HASH_CHUNK);
	if (!buf) {
		fclose(f);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	int64_t total = 0;
	size_t n;
	while ((n = fread(buf, 1, HASH_CHUNK, f)) > 0) {
		crypto_hash_sha256_update(&st, buf, n);
		total += (int64_t)n;
	}
	int rc = 0;
	if (ferror(f))
		rc = hl_error_set(HL_EIO, "%s: read error after %lld bytes: %s", path,
		                  (long long)total, strerror(errno));
	free(buf);
	fclose(f);
	if (rc)
		return rc;
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&st, d);
	to_hex(hex, d);
	if (size)
		*size = total;
	return 0;
}
