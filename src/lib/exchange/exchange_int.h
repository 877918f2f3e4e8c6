/* Internals of the exchange module shared by its files: the node handle, canonical JSON over
 * jansson values, signing with a context, keys in base64, name checks, an envelope read, the
 * directory as the exchange reads it, and receipts. */
#ifndef HL_EXCHANGE_INT_H
#define HL_EXCHANGE_INT_H

#include <jansson.h>
#include <sodium.h>

#include "exchange/canon.h"
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

/* 1 when the UTF-8 string is surely in NFC already (a fast path: 0 means "ask utf8proc"). */
int hl_exchange__nfc_quick(const char *s, size_t len);

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

/* [0-9a-f]{64} */
int hl_exchange__is_hex64(const char *s);
/* A UUID in lower-case hex with its four dashes (36 characters). */
int hl_exchange__is_uuid(const char *s);
/* 32 bytes as 64 lower-case hex characters. */
void hl_exchange__hex32(char out[65], const unsigned char *d);
/* The last occurrence of `needle` in h[0..n), or NULL. */
const char *hl_exchange__last_of(const char *h, size_t n, const char *needle);

/* ---- an envelope read (envelope.c) ---- */

typedef struct {
	json_t *root;
	const char *id, *from, *to, *type, *access, *sig;
	int64_t created_ms, sent_ms, seq;
	int64_t v; /* its format's version: 1 when absent (HL_EXCHANGE_PROTOCOL) */
	json_t *payload;
	hl_exchange_attachment *att;
	size_t natt;
} hl_exchange__env;

void hl_exchange__env_free(hl_exchange__env *e);
/* Reads an envelope strictly: every field present with its type, nothing else. `sealed`: the
 * sent_ms and sig fields are required (else they must be absent). On failure e->id and e->from
 * are set when they could be read (a refusal names whose message it was). */
int hl_exchange__env_parse(hl_exchange__env *e, const char *text, size_t len, int sealed);
/* Parse-only (the fuzzers' entry, no store, no directory, no clock): the checks of an envelope
 * that need none of them — its size, strict JSON with every field and nothing more, its
 * canonical bytes and hash (written), and the level of each document a "document" message
 * carries against the envelope's (a node cleared for restricted records assumed). 0, or a
 * negative code with *reason (too-big, malformed, access-denied) and the message. */
int hl_exchange__envelope_check(hl_exchange_reason *reason, char hash[65], const char *text,
                                size_t len);
/* Verifies the signature and computes the hash with one canonical encoding of the envelope.
 * *payload (malloc'd, may be NULL): the payload's canonical bytes. 0, -1 (the signature does not
 * verify, no message set) or a negative code. */
int hl_exchange__env_verify_hash(const hl_exchange__env *e, const char *public_key, char hash[65],
                                 char **payload);

/* ---- the directory as the exchange reads it (node.c) ---- */

typedef struct {
	int found, restricted, revoked;
	char key[HL_X_KEY_B64];
	char *may_send, *may_receive;
} hl_exchange__peer;

/* A signed directory read and checked, without a store or a key (hl_node_directory_import reads
 * it so, then verifies the signature over `canon` with the hub key). */
typedef struct {
	json_t *root, *dir;
	const char *signature;
	char *canon; /* the canonical bytes of "directory": what the signature covers */
	size_t clen;
	int64_t version, issued_ms;
	size_t n;
	hl_node_row *rows; /* each node checked; the lists of types malloc'd */
} hl_exchange__dir;

/* Parse-only (the fuzzers' entry, no store, no network): the size, strict JSON, the shape, the
 * canonical bytes, the header and every node's fields. 0, or a negative code with the message;
 * free with hl_exchange__directory_free either way. */
int hl_exchange__directory_parse(hl_exchange__dir *d, const char *json, size_t len);
void hl_exchange__directory_free(hl_exchange__dir *d);

/* The node `unit`: 0 and *p (found 0 when absent), or a negative code. */
int hl_exchange__peer_get(hl_exchange__peer *p, hl_store *st, const char *unit);
void hl_exchange__peer_free(hl_exchange__peer *p);

/* ---- receipts (receipts.c) ---- */

/* A receipt read: every field checked. */
typedef struct {
	json_t *root;
	const char *id, *hash, *by, *for_, *sig;
	int64_t at_ms;
} hl_exchange__receipt;

int hl_exchange__receipt_parse(hl_exchange__receipt *r, const char *text, size_t len);
/* A batch receipt's path and signature checked against the recipient's key: 0 or -1. */
int hl_exchange__receipt_batch_verify(json_t *batch, const char *id, const char *hash,
                                      int64_t at_ms, const char *by, const char *for_,
                                      const char *sig, const char *key);
/* This node's signed receipt of envelope e (hash: the message's hash). */
int hl_exchange__make_receipt(char **out, hl_node *self, const hl_exchange__env *e,
                              const char *hash, int64_t now);
/* peer_get, remembered for the batch's transaction when b is not NULL. */
int hl_exchange__peer_lookup(hl_exchange__peer *p, hl_exchange_receipts *b, hl_store *st,
                             const char *unit);
/* A message stored by a batch, to be signed with it. */
int hl_exchange__receipts_add(hl_exchange_receipts *b, const char *id, const char *hash,
                              const char *from);
/* Remembers the id of the message the batch accepted last. */
void hl_exchange__receipts_set_last(hl_exchange_receipts *b, const char *id);

/* HOME/exchange/incoming of the archive's data directory (made if absent; upload.c): where
 * attachments arrive, as SHA.part, then SHA once whole. 0 or -1 (message set). */
int hl_exchange__incoming_dir(char *out, size_t size, hl_archive *a);

/* May a document of a "document" message (its payload's documents[i], a JSON object with
 * access_level) come to this node, under an envelope of level `envelope` (apply.c)? Never a
 * secret one; a restricted one only when this node may hold restricted records and the
 * envelope says at least restricted; none above the envelope's level. 0, or -1 with why
 * written. The inbox asks it, and the apply step again. */
int hl_exchange__doc_level_ok(char *why, size_t size, const json_t *doc, size_t i,
                              hl_access envelope, int restricted_ok);

/* Are a "document" message's documents (its payload's list; NULL: none) within the inbox's
 * limits: at most HL_EXCHANGE_MAX_SEND, each of at most HL_EXCHANGE_MAX_DOC_FILES files (apply.c)?
 * 0, or -1 with why written. */
int hl_exchange__docs_within_limits(char *why, size_t size, const json_t *docs);

/* ---- the audit log's witness (witness.c) ---- */

/* The hub of the directory held: its unit, URL and key (the trusted one), malloc'd.
 * HL_ENOTFOUND on a node that follows no hub, or whose directory lacks it. */
int hl_exchange__hub_node(char **unit, char **url, char **key, hl_store *st);
/* The apply step of an "audit.head" message on the hub: the head verified with its sender's
 * key and kept, unless it goes back before a head witnessed (audit-shortened) or gives a
 * witnessed entry another hash (audit-rewritten): a refusal with its reason. */
int hl_exchange__witness_apply(hl_store *st, const hl_exchange_message *m);

/* ---- refusals (status.c) ---- */

/* Sets the reason hl_exchange_last_refusal gives (the apply step says why it failed). */
void hl_exchange__refusal_set(hl_exchange_reason r);
/* Records a refusal for the status (now 0: the clock) and sets the last refusal; the message
 * set stays. Returns 0. */
int hl_exchange__reject(hl_store *st, int64_t now, const char *id, const char *sender,
                        hl_exchange_reason r, const char *detail);
/* Records a refusal no signature vouches for — made before the sender's signature verified
 * (too-big, malformed, unknown-sender, revoked-sender, bad-signature, an upload's refusals) —
 * and sets the last refusal. Its sender is written "unverified: X" when the claimed X is a node
 * of the directory; else it has none, and at most one such a minute is recorded (as a too-big
 * body from anyone always was). Of the refusals kept, at most 100 are of this kind: a flood of
 * forged envelopes or headers never pushes out the refusals of signed messages. Returns 0; the
 * message set stays. */
int hl_exchange__reject_unverified(hl_store *st, int64_t now, const char *id, const char *claimed,
                                   hl_exchange_reason r, const char *detail);
/* Refuses a batch of n envelopes, over HL_EXCHANGE_MAX_BATCH, as a too-big body is (a refusal
 * no signature vouches for). Returns HL_ELIMIT. */
int hl_exchange__refuse_batch(hl_store *st, const char *from, size_t n);
/* Refuses a batch body of len bytes, over HL_EXCHANGE_MAX_ENVELOPE, likewise. */
int hl_exchange__refuse_batch_bytes(hl_store *st, const char *from, size_t len);

#endif
