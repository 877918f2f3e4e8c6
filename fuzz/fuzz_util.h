/* What the fuzz targets of the exchange, the feed and the server's intake share: CHECK, the
 * check every refusal's message must pass (one printable line of valid UTF-8), a fixed Ed25519
 * key the targets sign with, and a replayable choice of the bytes a target changes. */
#ifndef HL_FUZZ_UTIL_H
#define HL_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "halong/common.h"
#include "halong/text.h"

#ifndef FUZZ_NAME
#error "define FUZZ_NAME (the target's name) before including fuzz_util.h"
#endif

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s: invariant failed: %s (%s:%d)\n", FUZZ_NAME, #c,       \
			        __FILE__, __LINE__);                                               \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* A refusal's message as a person reads it (API error bodies, `halong ... status`, the
 * refusals recorded): not empty, one line without control characters, valid UTF-8 — it is
 * put into JSON, which takes nothing else. */
static inline void fuzz_message_ok(const char *msg)
{
	/* a copy: hl_text_check_utf8 sets the thread's message when it refuses */
	char m[1024];
	size_t n = msg ? strlen(msg) : 0;
	CHECK(msg && n > 0 && n < sizeof(m));
	memcpy(m, msg, n + 1);
	if (hl_text_check_utf8(m, n, NULL) != 0)
		fprintf(stderr, "%s: the message is not UTF-8: \"%s\"\n", FUZZ_NAME, m);
	CHECK(hl_text_check_utf8(m, n, NULL) == 0);
	for (const unsigned char *p = (const unsigned char *)m; *p; p++) {
		CHECK(*p >= 0x20 && *p != 0x7f);
		CHECK(!(p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)); /* C1 controls */
	}
}

/* The targets' signing key: fixed (a seed of the key pair), so that a replayed input signs the
 * same bytes; make_seeds.py signs its seeds with it too. */
#define FUZZ_KEY_SEED "halong fuzz key, not a secret!!"

typedef struct {
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char pk_b64[45];
} fuzz_key;

static inline const fuzz_key *fuzz_key_get(void)
{
	static fuzz_key k;
	static int ready;
	if (!ready) {
		unsigned char seed[crypto_sign_SEEDBYTES];
		CHECK(sodium_init() >= 0);
		CHECK(sizeof(FUZZ_KEY_SEED) == sizeof(seed));
		memcpy(seed, FUZZ_KEY_SEED, sizeof(seed));
		crypto_sign_seed_keypair(k.pk, k.sk, seed);
		sodium_bin2base64(k.pk_b64, sizeof(k.pk_b64), k.pk, sizeof(k.pk),
		                  sodium_base64_VARIANT_ORIGINAL);
		ready = 1;
	}
	return &k;
}

/* sig: base64 of the Ed25519 signature of ctx + msg with the fixed key (as halong signs: the
 * context line, then the canonical bytes). */
static inline void fuzz_sign(char sig[89], const char *ctx, const char *msg, size_t len)
{
	const fuzz_key *k = fuzz_key_get();
	size_t c = strlen(ctx);
	unsigned char s[crypto_sign_BYTES], *f = malloc(c + len + 1);
	CHECK(f);
	memcpy(f, ctx, c);
	memcpy(f + c, msg, len);
	crypto_sign_detached(s, NULL, f, c + len, k->sk);
	free(f);
	sodium_bin2base64(sig, 89, s, sizeof(s), sodium_base64_VARIANT_ORIGINAL);
}

/* A generator of positions and bytes to change, seeded by the input (FNV-1a): a replayed input
 * changes the same bytes. */
static inline uint64_t fuzz_seed(const uint8_t *d, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ d[i]) * 1099511628211ull;
	return h;
}

static inline uint64_t fuzz_next(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A copy of t[0..n) with the byte at `at` changed (never to itself); malloc'd, NUL-terminated. */
static inline char *fuzz_flip(const char *t, size_t n, size_t at, uint64_t r)
{
	char *m = malloc(n + 1);
	CHECK(m && at < n);
	memcpy(m, t, n);
	m[n] = '\0';
	/* half the time a bit flipped, half the time a byte from the format's alphabet */
	if (r & 1) {
		m[at] = (char)(m[at] ^ (1u << ((r >> 1) % 8)));
	} else {
		static const char pick[] = "0123456789abcdefABCDEF\"{}[],:-. \\/=+nutrlfs";
		char c = pick[(r >> 1) % (sizeof(pick) - 1)];
		m[at] = c != t[at] ? c : (char)(c ^ 1);
	}
	return m;
}

#endif
