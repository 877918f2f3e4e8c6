/* Internals of the exchange module shared by its files: the node handle, canonical JSON over
 * jansson values, signing with a context, keys in base64 and name checks. */
#ifndef HL_EXCHANGE_INT_H
#define HL_EXCHANGE_INT_H

#include <jansson.h>
#include <sodium.h>

#include "halong/exchange.h"

/* Domain separation: every signature covers one of these lines, then the canonical bytes, so
 * that a signed receipt can never pass for an envelope or a directory. */
#define HL_X_CTX_ENVELOPE  "halong-envelope-v1\n"
#define HL_X_CTX_RECEIPT   "halong-receipt-v1\n"
#define HL_X_CTX_DIRECTORY "halong-directory-v1\n"
#define HL_X_CTX_RECEIPTS  "halong-receipts-v1\n" /* a batch's receipts: the Merkle root */

#define HL_X_KEY_B64 45 /* base64 of 32 bytes + NUL */
#define HL_X_SIG_B64 89 /* base64 of 64 bytes + NUL */

struct hl_node {
	hl_store *st;
	char *unit, *url;
	char public_key[HL_X_KEY_B64];
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char *sk; /* sodium_malloc'd: guarded, never swapped, wiped on free */
	char *blobs;       /* HOME/blobs: where the files of outgoing attachments are */
};

/* The canonical encoding (README.md) of a jansson value; *out malloc'd and NUL-terminated. */
int hl_exchange__canon(char **out, size_t *outlen, const json_t *v);
/* 1 when the UTF-8 string is surely in NFC already (a fast path: 0 means "ask utf8proc"). */
int hl_exchange__nfc_quick(const char *s, size_t len);
/* Parses JSON strictly (duplicate keys refused); NULL with HL_EINVALID set naming `what`. */
json_t *hl_exchange__parse(const char *text, size_t len, const char *what);

/* Signs ctx + msg with the node's key: base64 signature. */
void hl_exchange__sign(char sig[HL_X_SIG_B64], const hl_node *n, const char *ctx, const char *msg,
                       size_t len);
/* 0 when `sig` (base64) is a valid signature of ctx + msg by `public_key` (base64), else -1. */
int hl_exchange__verify(const char *sig, const char *public_key, const char *ctx, const char *msg,
                        size_t len);
/* Decodes a base64 public key: 0, or HL_EINVALID (message names it). */
int hl_exchange__key_decode(unsigned char pk[crypto_sign_PUBLICKEYBYTES], const char *b64);
void hl_exchange__b64(char *out, size_t outsize, const unsigned char *bin, size_t len);

int64_t hl_exchange__now_ms(void);
/* "2026-11-28T05:30:45.123Z" */
void hl_exchange__ms_iso(char buf[32], int64_t ms);

/* [A-Za-z0-9._-]{1,32} */
int hl_exchange__valid_unit(const char *s);
/* [a-z0-9.-]{1,64} */
int hl_exchange__valid_type(const char *s);
/* A comma-separated list of valid types (may be empty): 0 or HL_EINVALID naming `what`. */
int hl_exchange__check_types(const char *list, const char *what);
/* 1 when `type` is in the comma-separated `list` ("*" allows every type). */
int hl_exchange__list_has(const char *list, const char *type);

#endif
