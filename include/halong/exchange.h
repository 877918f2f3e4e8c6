/* Exchange between nodes: this node's identity (an Ed25519 key), the hub's signed directory of
 * nodes, signed envelopes over a canonical encoding, the transactional outbox and the inbox that
 * stores a message once and applies it once, in order per sender (src/lib/exchange/README.md). */
#ifndef HALONG_EXCHANGE_H
#define HALONG_EXCHANGE_H

#include "common.h"
#include "auth.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A node's data directory (include/halong/archive.h). */
typedef struct hl_archive hl_archive;

/* ---- limits (checked before the work is done) ---- */

/* The version of the envelope's format this node writes (its "v"; docs/exchange.md, "Versions").
 * It reads this version and every older one (an envelope without "v" is version 1); a newer one
 * is refused as "newer-version", and its sender keeps it waiting until this node is upgraded. */
#define HL_EXCHANGE_PROTOCOL 1

#define HL_EXCHANGE_MAX_ENVELOPE    (16u << 20)     /* bytes of an envelope's JSON */
#define HL_EXCHANGE_MAX_ATTACHMENT  (2ll << 30)     /* bytes of one attachment */
#define HL_EXCHANGE_MAX_ATTACHMENTS 1000            /* attachments of one envelope, each once */
#define HL_EXCHANGE_MAX_DOC_FILES   10000           /* files of one document received (ingest's) */
#define HL_EXCHANGE_MAX_DEPTH       32              /* nesting of JSON arrays and objects */
#define HL_EXCHANGE_MAX_DIRECTORY   (4u << 20)      /* bytes of a signed directory */
#define HL_EXCHANGE_SKEW_MS         (5 * 60 * 1000) /* sender's clock vs ours, either way */
#define HL_EXCHANGE_MAX_AHEAD       1000            /* a message held: seq - last applied */
#define HL_EXCHANGE_MAX_HELD        (256ll << 20)   /* bytes of one sender's held messages */

/* ---- refusals: why the exchange refused a message, an upload or a request ---- */

/* One reason each refusal (src/lib/exchange/README.md, "Inbox checks"); its name is a stable word
 * of the API's error bodies and of the status. */
typedef enum {
	HL_EXCHANGE_R_NONE = 0,         /* not refused (or failed for another cause) */
	HL_EXCHANGE_R_TOO_BIG,          /* "too-big" */
	HL_EXCHANGE_R_MALFORMED,        /* "malformed" */
	HL_EXCHANGE_R_UNKNOWN_SENDER,   /* "unknown-sender" */
	HL_EXCHANGE_R_REVOKED_SENDER,   /* "revoked-sender" */
	HL_EXCHANGE_R_BAD_SIGNATURE,    /* "bad-signature" */
	HL_EXCHANGE_R_WRONG_RECIPIENT,  /* "wrong-recipient" */
	HL_EXCHANGE_R_TYPE_NOT_ALLOWED, /* "type-not-allowed" */
	HL_EXCHANGE_R_ACCESS_DENIED,    /* "access-denied" */
	HL_EXCHANGE_R_CLOCK_SKEW,       /* "clock-skew" */
	HL_EXCHANGE_R_ID_REUSED,        /* "id-reused" */
	HL_EXCHANGE_R_ATTACHMENT,       /* "attachment" */
	HL_EXCHANGE_R_SEQUENCE,         /* "sequence" */
	HL_EXCHANGE_R_CONFLICT,         /* "conflict": a document held here from elsewhere; what
	                                   a report of the plans names is not held here */
	HL_EXCHANGE_R_FONDS,            /* "fonds-not-held": a record in a fonds the sender does
	                                   not hold here */
	HL_EXCHANGE_R_OFFSET,           /* "offset": an upload chunk not at the length held */
	HL_EXCHANGE_R_NO_IDENTITY,      /* "no-identity": this node has no exchange identity */
	HL_EXCHANGE_R_AUDIT_SHORTENED,  /* "audit-shortened": a node's audit head before one the
	                                   hub witnessed: its log was cut */
	HL_EXCHANGE_R_AUDIT_REWRITTEN,  /* "audit-rewritten": a witnessed entry with another hash */
	HL_EXCHANGE_R_NEWER_VERSION,    /* "newer-version": an envelope of a version newer than
	                                   HL_EXCHANGE_PROTOCOL (its sender runs a newer halong) */
} hl_exchange_reason;

/* The reason's stable word ("too-big", "clock-skew", ...; "refused" for HL_EXCHANGE_R_NONE). */
const char *hl_exchange_reason_name(hl_exchange_reason r);
/* The reason of the last refusal by hl_exchange_inbox_accept or hl_exchange_upload_verify on
 * this thread; HL_EXCHANGE_R_NONE after one that succeeded or failed for another cause. */
hl_exchange_reason hl_exchange_last_refusal(void);

/* ---- node identity ---- */

/* This node: its unit, URL and key pair. Opaque; borrows the store it was opened on. */
typedef struct hl_node hl_node;

/* Makes this node's identity: an Ed25519 key pair whose secret half is written atomically to
 * HOME/keys/node.key (mode 0600; never printed, logged or stored elsewhere) and whose public
 * half goes to the store with `unit` (a unit code, [A-Za-z0-9._-]{1,32}) and `url`. Audited.
 * HL_ECONFLICT if the node already has an identity (in the store or a key file). */
int hl_node_init(hl_store *st, const char *home, const char *unit, const char *url,
                 const char *actor);
/* Loads this node's identity. HL_ENOTFOUND before hl_node_init; HL_EDENIED if the key file can be
 * read by group or others, HL_EINVALID if it is damaged or does not match the stored public key. */
int hl_node_open(hl_node **out, hl_store *st, const char *home);
/* Replaces this node's key pair by a new one (a commune's node; HL_EDENIED on the node that
 * issues the directory, which every commune trusts). The new secret key is written to
 * HOME/keys/node.key.next (0600), the store takes the new public key in a transaction with its
 * audit (node.rotate_key), then the new file replaces keys/node.key and the old one is kept as
 * keys/node.key.retired-STAMP; a stop between the commit and the swap is finished by the next
 * hl_node_open. Messages are signed when they are sent, so what waits in the outbox goes out
 * under the new key; peers accept it once the hub has re-enrolled the node with it (`node
 * enrol`) and they hold that directory. `lost`: the old key file is missing or unusable (a
 * disk lost, a file damaged): the store's public key is replaced without it (HL_ECONFLICT when
 * the key is in fact readable). new_public_key: base64, 45 bytes with its NUL. */
int hl_node_rotate_key(char new_public_key[45], hl_store *st, const char *home, int lost,
                       const char *actor);
/* 1 when the store no longer names n's public key (the key was rotated since n was opened:
 * open it again), 0 when it does or the store cannot tell. */
int hl_node_stale(const hl_node *n);
/* The context line of an endorsement: a retired key's signature over "OLD\nNEW" (two base64
 * public keys), by which the holder of OLD names NEW its successor (a backup target that knew
 * OLD learns NEW this way: src/lib/ops/README.md). */
#define HL_NODE_ENDORSE_CTX "halong-key-endorse-v1\n"
/* Signs the endorsement of new_pk with the retired key of this node (HOME/keys/
 * node.key.retired-*) whose public half is old_pk: sig is base64 (88 characters + NUL).
 * HL_ENOTFOUND when no retired key is old_pk. */
int hl_node_endorse(char sig[89], const char *home, const char *old_pk, const char *new_pk);
/* 1 when sig is old_pk's endorsement of new_pk, else 0. */
int hl_node_endorsement_ok(const char *old_pk, const char *new_pk, const char *sig);
/* Wipes the secret key. Accepts NULL. */
void hl_node_free(hl_node *n);
const char *hl_node_unit(const hl_node *n);
const char *hl_node_url(const hl_node *n);
/* The public key, standard base64 (44 characters). */
const char *hl_node_public_key(const hl_node *n);
hl_store *hl_node_store(hl_node *n);

/* Signs ctx + msg (a context line such as "halong-feed-v1\n", then canonical bytes) with this
 * node's key: sig is the base64 Ed25519 signature (88 characters + NUL). For other modules that
 * sign what they publish (the reference-data feed). */
void hl_node_sign(char sig[89], const hl_node *n, const char *ctx, const char *msg, size_t len);
/* 0 when `sig` (base64) is a valid signature of ctx + msg by `public_key` (base64); HL_EDENIED
 * (message set) otherwise. */
int hl_exchange_verify(const char *sig, const char *public_key, const char *ctx, const char *msg,
                       size_t len);

/* ---- the directory: the nodes, their keys and their rights ---- */

/* A node of the directory as given to hl_node_enrol: message types are comma-separated
 * ("document,report"; each [a-z0-9.-]{1,64}); restricted: it may hold restricted records. */
typedef struct {
	const char *unit, *url, *public_key;
	const char *may_send, *may_receive;
	int restricted;
} hl_node_entry;

/* On the hub: adds or replaces a node; the directory's version goes up by one. HL_EDENIED on a
 * node that follows a hub's directory (it has a hub key). Audited. */
int hl_node_enrol(hl_store *st, const hl_node_entry *e, const char *actor);
/* On the hub: marks a node revoked (its messages are refused everywhere the new version is
 * held); version + 1. HL_ENOTFOUND for an unknown unit. Audited. */
int hl_node_revoke(hl_store *st, const char *unit, const char *actor);

/* A node as held. Strings are valid during the callback only. */
typedef struct {
	const char *unit, *url, *public_key, *may_send, *may_receive, *updated_at;
	int restricted, revoked;
} hl_node_row;
/* Every node of the directory held here, by unit. */
int hl_node_foreach(hl_store *st, int (*cb)(const hl_node_row *r, void *ud), void *ud);
/* The directory held: its version (0: none), issue time (ms since the epoch) and whether it was
 * imported from a hub (0: edited here, the hub). */
int hl_node_directory_info(int64_t *version, int64_t *issued_ms, int *imported, hl_store *st);

/* On the hub: the directory as JSON signed by this node (`{"directory":{...},"signature":B64}`,
 * the signature over the directory's canonical encoding). *out is malloc'd. */
int hl_node_directory_export(char **out, hl_node *hub);
/* 1 when this node follows a hub's directory (it trusts a hub key: a commune), 0 when not (the
 * hub, or a node not set up yet), or a negative code. */
int hl_node_follows_hub(hl_store *st);
/* The signed directory this node serves (GET /api/v1/exchange/directory): on the hub, signed
 * now by its key (its identity is read from `home`); on a commune, the copy it imported, as
 * the hub signed it. *out malloc'd. HL_ENOTFOUND when it holds none. */
int hl_node_directory_published(char **out, hl_store *st, const char *home);

/* On a commune: stores the hub's public key, once. HL_ECONFLICT if a different key is held. */
int hl_node_trust_hub(hl_store *st, const char *hub_key, const char *actor);
/* On a commune: replaces the directory held by a signed one, all or nothing. hub_key may be
 * NULL (the key held is used); given, it must equal the key held (or is stored when none is).
 * HL_EDENIED: no hub key or a bad signature; HL_ECONFLICT: a version older than the one held (or
 * the same version with other content); HL_EINVALID: malformed. On any failure the last good
 * copy stays. *version: the version now held. Audited. */
int hl_node_directory_import(int64_t *version, hl_store *st, const char *json, size_t len,
                             const char *hub_key, const char *actor);

/* ---- envelopes ---- */

/* The canonical encoding of a JSON text (README.md): objects with keys sorted by their UTF-8
 * bytes, no whitespace, strings in NFC with only '"', '\\' and control characters escaped,
 * integers only. HL_EINVALID for a non-integer number, invalid UTF-8, duplicate keys or nesting
 * deeper than HL_EXCHANGE_MAX_DEPTH. *out is malloc'd and NUL-terminated, *outlen its length. */
int hl_exchange_canonical(char **out, size_t *outlen, const char *json, size_t len);

/* A UUIDv7 (RFC 9562) for `ms` (milliseconds since the epoch; 0: now), lower-case, 36 chars. */
void hl_exchange_uuid7(char out[37], int64_t ms);

/* Checks an envelope's signature against a public key (base64): 0, HL_EDENIED when it does not
 * verify, HL_EINVALID when malformed. */
int hl_exchange_envelope_verify(const char *envelope, size_t len, const char *public_key);

/* A file sent with a message: its SHA-256 (hex), size in bytes and name. */
typedef struct {
	const char *sha256;
	int64_t size;
	const char *name;
} hl_exchange_attachment;

/* A message to put in the outbox. */
typedef struct {
	const char *to;      /* the recipient's unit code */
	const char *type;    /* "document", "report", "feed.units", ... */
	const char *payload; /* a JSON object text */
	const hl_exchange_attachment *attachments;
	size_t nattachments;
	/* The documents the message carries (doc_id): the outbox reads their access level. */
	const char *const *doc_ids;
	size_t ndocs;
	hl_access access; /* the highest level of anything else it carries */
} hl_exchange_msg;

/* ---- the outbox ---- */

/* Puts a message in the outbox inside the caller's open transaction (the change that caused it
 * commits with it or not at all): gives it an id and the next sequence number of the stream to
 * its recipient. HL_EDENIED if it carries a secret record, a restricted one to a recipient not
 * allowed to hold it, or a type the directory does not allow; HL_ENOTFOUND for a recipient not
 * in the directory; HL_EINVALID with no open transaction. `id` may be NULL. */
int hl_exchange_outbox_put(char id[37], hl_node *self, const hl_exchange_msg *m);

/* A message waiting in the outbox. Strings are valid during the callback only. */
typedef struct {
	const char *id, *recipient, *type, *last_error;
	int64_t seq, created_ms, attempts, next_attempt_ms;
} hl_exchange_outbox_row;
/* Waiting messages to `peer` (NULL: every peer) due at `due_ms` (0: all), by peer and sequence,
 * at most max (0: no limit). */
int hl_exchange_outbox_pending(hl_store *st, const char *peer, int64_t due_ms, size_t max,
                               int (*cb)(const hl_exchange_outbox_row *r, void *ud), void *ud);
/* The waiting message `id` as an envelope ready to send, signed now by this node with sent_ms
 * `now_ms` (0: the clock). *out is malloc'd. HL_ENOTFOUND when not waiting. */
int hl_exchange_outbox_seal(char **out, size_t *outlen, hl_node *self, const char *id,
                            int64_t now_ms);
/* Records the recipient's receipt: verified against the recipient's key and the message's
 * hash, then the message is delivered. HL_EDENIED for a receipt that does not verify. */
int hl_exchange_outbox_delivered(hl_node *self, const char *receipt, size_t len);
/* Records a failed attempt: the error and when to try again. */
int hl_exchange_outbox_failed(hl_store *st, const char *id, const char *error, int64_t retry_at_ms);

/* ---- delivery over HTTP (sender.c, libcurl) ---- */

typedef struct {
	const char *path;        /* appended to the peer's URL; NULL: "/api/v1/exchange/inbox" */
	long connect_timeout_ms; /* 0: 5,000 */
	long timeout_ms;         /* a whole request; 0: 30,000 */
	int64_t backoff_base_ms; /* delay after the first failure; 0: 1,000 */
	int64_t backoff_cap_ms;  /* longest delay; 0: 600,000 (10 minutes) */
	size_t max;              /* messages per pass; 0: 1,000 */
	/* The blob store (files at ab/cdef...; NULL: HOME/blobs of the node's data directory):
	 * each attachment is uploaded in chunks to the peer's attachments_path before the
	 * envelope, resuming from the offset the peer reports. */
	const char *blobs_dir;
	const char *attachments_path; /* NULL: "/api/v1/exchange/attachments" */
	size_t chunk;                 /* bytes per PUT; 0: 4 MiB */
	/* > 1: up to this many messages to one peer (at most 256) in one POST of their envelopes,
	 * one a line (application/x-ndjson), to batch_path, accepted by the peer in one
	 * transaction; a peer answering 404 or 405 there gets them one by one. 0 or 1: one by
	 * one. */
	size_t batch;
	const char *batch_path; /* NULL: "/api/v1/exchange/inbox/batch" */
	/* 1: every waiting message, its backoff not yet over or not (an operator's flush once a
	 * peer is back: `halong exchange send --now`); 0: the due ones. */
	int all;
} hl_exchange_send_opts;

/* The delay before the next attempt after `attempts` failures (1, 2, ...): d = min(cap, base *
 * 2^(attempts-1)), then "equal jitter": a uniform random value in [d/2, d], so that nodes that
 * failed together do not retry together. */
int64_t hl_exchange_backoff_ms(int64_t attempts, int64_t base_ms, int64_t cap_ms);

/* One delivery pass: every waiting message that is due, by peer and sequence, is sealed and
 * POSTed (application/json) to its recipient's URL from the directory + path. A 200 answer
 * holding a valid receipt marks it delivered; anything else (no connection, a timeout, another
 * status, a bad receipt) records the error and schedules the next attempt with backoff, and the
 * peer's later messages wait for the next pass. *sent and *failed count messages (may be NULL).
 * Attachments travel first, in chunks (blobs_dir). */
int hl_exchange_send_due(size_t *sent, size_t *failed, hl_node *self,
                         const hl_exchange_send_opts *o);

/* ---- the inbox ---- */

/* A received message as the apply callback sees it; valid during the call only. */
typedef struct {
	const char *id, *from, *to, *type, *access;
	int64_t created_ms, seq;
	const char *payload;  /* canonical JSON */
	const char *envelope; /* as received, signature included (the provenance to keep) */
	size_t nattachments;
	const hl_exchange_attachment *attachments;
} hl_exchange_message;

/* Applies a message inside the inbox's transaction; a negative return rolls the message back
 * (the sender will deliver it again). */
typedef int (*hl_exchange_apply_cb)(hl_store *st, const hl_exchange_message *m, void *ud);

typedef struct {
	int64_t now_ms;              /* 0: the clock */
	const char *attachments_dir; /* received attachments, each named by its SHA-256 (hex) */
	hl_exchange_apply_cb apply;  /* may be NULL */
	void *ud;
	/* 1: run inside the caller's open transaction (a batch: several envelopes, one commit),
	 * each message in a savepoint; nothing is durable, and no receipt may be given out,
	 * before the caller commits. 0: accept runs its own transaction. */
	int in_caller_tx;
	/* With in_caller_tx: the messages stored are not signed one by one; each is added here
	 * and gets its receipt from hl_exchange_receipts_sign, once for the whole batch, before
	 * the caller commits (*receipt is then NULL; a duplicate of a message of this same batch
	 * too: ask hl_exchange_receipts_get). NULL: a signed receipt each. */
	struct hl_exchange_receipts *receipts;
	/* The bytes one sender's held messages may take here; 0: HL_EXCHANGE_MAX_HELD. */
	int64_t max_held_bytes;
} hl_exchange_accept_opts;

/* ---- the inbox of a data directory (the server's exchange endpoints) ----
 *
 * These open this node's identity from the archive's data directory, take attachments in
 * HOME/exchange/incoming, apply documents into the archive (hl_exchange_apply_default) and
 * record every refusal with its reason for the status. */

/* What became of one envelope. */
typedef struct {
	int state;                 /* accepted: HL_EXCHANGE_APPLIED, HELD or DUPLICATE; 0: not */
	hl_exchange_reason reason; /* refused: why (HL_EXCHANGE_R_NONE: failed for another cause) */
	int code;                  /* not accepted: the HL_E code */
	char *receipt;             /* accepted: this node's receipt exactly, malloc'd */
	char *message;             /* not accepted: why, in words, malloc'd */
} hl_exchange_result;

/* Frees the members; accepts NULL. */
void hl_exchange_result_clear(hl_exchange_result *r);

/* Receives one envelope (POST /api/v1/exchange/inbox): 0 and *out accepted, or a negative code
 * with out->reason (HL_EXCHANGE_R_NO_IDENTITY: this node has no identity) and the message. */
int hl_exchange_receive(hl_exchange_result *out, hl_archive *a, const char *envelope, size_t len);

#define HL_EXCHANGE_MAX_BATCH 256 /* envelopes in one batch */

/* The results of a batch, one per envelope, in order. */
typedef struct {
	size_t n;
	hl_exchange_result *v;
} hl_exchange_results;

void hl_exchange_results_free(hl_exchange_results *r);

/* Receives a batch (POST /api/v1/exchange/inbox/batch): the envelopes one a line (an empty line
 * is no envelope and is skipped; the last line may end without a newline), at most
 * HL_EXCHANGE_MAX_BATCH, accepted in one transaction, each on its own (a refused one is undone
 * alone), their receipts signed once and given out only once committed. 0 and *out; or a
 * negative code with *reason: HL_EXCHANGE_R_TOO_BIG (HL_ELIMIT) for more envelopes than that,
 * counted before any is read and recorded as a too-big body is (`from`: X-Halong-From, or
 * NULL); HL_EXCHANGE_R_NO_IDENTITY; HL_EXCHANGE_R_NONE when the store failed (nothing of the
 * batch is kept). */
int hl_exchange_receive_batch(hl_exchange_results **out, hl_exchange_reason *reason, hl_archive *a,
                              const char *from, const char *body, size_t len);

/* A body over the limit refused before it is read (`what`: "envelope", "batch"; content_length
 * as the request said it, digits kept; from: X-Halong-From or NULL): the refusal too-big is
 * recorded, naming the sender only when `from` is a node of the directory; refusals from anyone
 * else are recorded at most once a minute, so that a flood of headers cannot push the real
 * refusals out of those kept. Returns HL_ELIMIT with the message set. */
int hl_exchange_refuse_too_big(hl_store *st, const char *what, const char *content_length,
                               const char *from);

/* How much of an attachment this node holds: where an interrupted upload resumes. */
typedef struct {
	int64_t offset; /* bytes held */
	int complete;   /* the whole file arrived and matched its SHA-256 */
} hl_exchange_upload_state;

/* GET /api/v1/exchange/attachments/{sha256} from node `from` (a node of the directory, not
 * revoked: else HL_EDENIED with *reason unknown-sender or revoked-sender). HL_EINVALID for a
 * name that is not a SHA-256. */
int hl_exchange_attachment_state(hl_exchange_upload_state *out, hl_exchange_reason *reason,
                                 hl_archive *a, const char *from, const char *sha256);

/* One chunk of an attachment as received. */
typedef struct {
	const char *from, *signature, *time_ms; /* X-Halong-From, -Signature, -Time */
	const char *sha256;                     /* the attachment's name */
	int64_t offset, size; /* where the chunk starts; the whole file's length */
	const void *chunk;
	size_t len;
} hl_exchange_chunk;

#define HL_EXCHANGE_MAX_CHUNK (8u << 20) /* bytes of one chunk received (the sender sends 4) */

/* Receives one chunk (PUT /api/v1/exchange/attachments/{sha256}): the sender must be a node of
 * the directory and the chunk signed by it within 5 minutes (else HL_EDENIED, *reason
 * unknown-sender, revoked-sender, bad-signature or clock-skew; the last two recorded); it must
 * start at the length held (else HL_ECONFLICT, *reason offset, out->offset the length held); it
 * is on disk before the answer. The last chunk completes the file: its SHA-256 must be its name
 * (else HL_EDENIED, *reason attachment, recorded, the partial file dropped). 0 and *out: the
 * offset to resume from. HL_EINVALID for a bad name, offset or size. */
int hl_exchange_attachment_put(hl_exchange_upload_state *out, hl_exchange_reason *reason,
                               hl_archive *a, const hl_exchange_chunk *c);

/* An attachment chunk's upload is signed by the sending node: Ed25519 over the line
 * "halong-upload-v1\n" then FROM, TO, the attachment's SHA-256, the offset, the attachment's
 * size, the chunk's length, the chunk's SHA-256 and the time (Unix ms), each followed by "\n".
 * The signature (base64) and time travel as the headers X-Halong-Signature and X-Halong-Time. */
void hl_exchange_upload_sign(char sig[89], const hl_node *self, const char *to, const char *sha256,
                             int64_t offset, int64_t size, const void *chunk, size_t len,
                             int64_t time_ms);
/* Checks an upload received by node `self_unit` from `from` (its key from the directory in
 * `st`): 0, or HL_EDENIED with "REASON: detail" — unknown-sender, revoked-sender,
 * bad-signature, clock-skew (time beyond +-5 minutes of now_ms; 0: the clock). */
int hl_exchange_upload_verify(hl_store *st, const char *self_unit, const char *from,
                              const char *sig, const char *time_ms, const char *sha256,
                              int64_t offset, int64_t size, const void *chunk, size_t len,
                              int64_t now_ms);

/* The receipts of a batch: one Ed25519 signature over the root of a Merkle tree of the
 * messages (id and hash each); each message's receipt carries its path to the root and that
 * signature, so it is verifiable alone (README.md of src/lib/exchange, "Receipts"). */
typedef struct hl_exchange_receipts hl_exchange_receipts;
hl_exchange_receipts *hl_exchange_receipts_new(void);
void hl_exchange_receipts_free(hl_exchange_receipts *b);
/* Signs the batch (nothing to do when empty) and stores each message's receipt in its inbox
 * row, inside the caller's transaction. */
int hl_exchange_receipts_sign(hl_exchange_receipts *b, hl_node *self);
/* The id of the message hl_exchange_inbox_accept accepted last with this batch. */
const char *hl_exchange_receipts_last(const hl_exchange_receipts *b);
/* The receipt of message `id` once signed (NULL: not in this batch). */
const char *hl_exchange_receipts_get(const hl_exchange_receipts *b, const char *id);

enum { HL_EXCHANGE_APPLIED = 1, HL_EXCHANGE_HELD = 2, HL_EXCHANGE_DUPLICATE = 3 };

/* Receives an envelope. Refusals (each with one reason, recorded with the message's id and
 * sender for hl_exchange_rejects, nothing applied), in this order: too big (before parsing:
 * HL_ELIMIT), malformed (HL_EINVALID), unknown or revoked sender, bad signature, not for this
 * node, type not allowed, access level not allowed, clock skew, id reused with other content,
 * attachment missing or altered (HL_EDENIED unless said). Otherwise the message is stored once
 * and applied in sequence order per sender: *state is APPLIED, HELD (waiting for an earlier one;
 * applied when the gap fills) or DUPLICATE (already received: nothing applied). *receipt
 * (malloc'd): this node's signed receipt, the same for a duplicate. Either out may be NULL. */
int hl_exchange_inbox_accept(char **receipt, int *state, hl_node *self, const char *envelope,
                             size_t len, const hl_exchange_accept_opts *o);

/* ---- sending (send.c): what a user sends, the same rules from the CLI and the API ---- */

/* Documents to send: a list, or every document of a dossier the sender may send. */
typedef struct {
	const char *to;             /* the recipient's unit code */
	const char *const *doc_ids; /* the documents (NULL with dossier) */
	size_t ndocs;
	const char *dossier; /* "FONDS/DOSSIER", or NULL */
} hl_exchange_send_req;

/* What was sent. */
typedef struct {
	char id[37]; /* the message waiting in the outbox */
	size_t n;    /* the documents it carries, in order */
	char **doc_ids;
} hl_exchange_sent;

void hl_exchange_sent_free(hl_exchange_sent *s);

/* Documents in one message, a dossier's included (the inbox refuses more). */
#define HL_EXCHANGE_MAX_SEND 1000

/* Puts one "document" message in the outbox, in its own transaction with an exchange.send audit
 * entry per document by hl_principal_actor(who). The rules, the same for every client: `who`
 * may send (hl_auth_check HL_ACT_SEND); `to` is a unit of the directory, not this node, not
 * revoked, that may receive documents (else HL_EINVALID naming "to:"); each document is one `who`
 * may see — a missing, hidden or secret one gives one and the same HL_ENOTFOUND to a networked
 * caller (existence does not leak; the node's operator is told that it is secret) — and of a fonds
 * `who`'s unit holds (else HL_EDENIED); a dossier sends the documents `who` sees, never a secret
 * one; at most HL_EXCHANGE_MAX_SEND; a restricted record only to a node the directory lets hold
 * it (HL_EDENIED). A secret record never leaves the node, whoever asks. */
int hl_exchange_send_documents(hl_exchange_sent **out, hl_node *self, const hl_principal *who,
                               const hl_exchange_send_req *req);

/* Puts one "report" message (payload: a JSON object text) of access level `access` in the
 * outbox, in its own transaction with an exchange.send audit entry; the rules of who may send
 * and of the recipient as above. */
int hl_exchange_send_report(char id[37], hl_node *self, const hl_principal *who, const char *to,
                            const char *payload, hl_access access);

/* ---- documents between units (apply.c) ---- */

/* Puts one "document" message to `to` carrying the documents `doc_ids` (their metadata as
 * {"documents":[...]} and their files as attachments) inside the caller's open transaction,
 * audited as exchange.send by `actor`. The outbox refuses a secret document, a restricted one to
 * a node not allowed to hold it. HL_ENOTFOUND for a missing document. */
int hl_exchange_put_documents(char id[37], hl_node *self, const char *to,
                              const char *const *doc_ids, size_t n, const char *actor);

/* What the default apply step needs: the archive receiving documents (its store is the one the
 * inbox runs on) and the folder where attachments arrived (named by SHA-256). */
typedef struct {
	hl_archive *archive;
	const char *attachments_dir;
} hl_exchange_apply_ctx;

/* An hl_exchange_apply_cb (ud: hl_exchange_apply_ctx *): a "document" message's documents go
 * into the archive with their files (copied into the blob store from the attachments, checked
 * against their SHA-256) and their provenance in the notes (sender, message id, time, the
 * sender's signature); every message applied is audited as exchange.apply "from X seq N type T",
 * in the order applied. */
int hl_exchange_apply_default(hl_store *st, const hl_exchange_message *m, void *ud);

/* ---- the audit log's witness (witness.c; README.md, "The audit log's witness") ---- */

/* A protocol message every node may send to the hub, whatever the directory's lists say. */
#define HL_EXCHANGE_TYPE_AUDIT_HEAD "audit.head"

/* A head of this node's audit chain, signed by its key. */
typedef struct {
	int64_t entry_id; /* the log's last entry when signed (0: the log is empty) */
	char hash[65];    /* that entry's hash */
	int64_t at_ms;
	char sig[89];
	char message_id[37]; /* the message carrying it to the hub ("" on the hub) */
	int fresh;           /* 1: signed now; 0: the log has not grown since this last head */
} hl_audit_anchor;

/* Signs the head of this node's audit log (unless it has not grown since the last head signed
 * and `force` is 0: *out is then that head, fresh 0) and keeps it; on a node that follows a hub,
 * puts it in the outbox to the hub in the same transaction. */
int hl_exchange_audit_anchor(hl_audit_anchor *out, hl_node *self, int force);

/* On the hub: what it witnessed of `unit`'s log, signed (halong-audit-witness-v1): the JSON
 * {"page":{"at_ms","hub","unit","heads":[{"entry_id","hash","at_ms","received_ms"},...]},
 * "sig"}, newest head first. *out malloc'd. HL_ENOTFOUND on a node that is not the hub. */
int hl_exchange_witness_page(char **out, size_t *outlen, hl_node *hub, const char *unit);

typedef enum {
	HL_AUDIT_PROOF_SELF = 1, /* this node is the hub: no other node witnesses its log */
	HL_AUDIT_PROOF_HUB,      /* the hub's witness page, asked now and signed by it */
	HL_AUDIT_PROOF_LOCAL,    /* the hub could not be asked: the heads it acknowledged here */
} hl_audit_proof_source;

typedef struct {
	uint64_t checked;     /* entries of the chain verified */
	int64_t witnessed_id; /* the newest entry witnessed (0: none) */
	int64_t witnessed_ms; /* when the hub received that head (LOCAL: when its receipt came) */
	hl_audit_proof_source source;
	char hub_error[256]; /* LOCAL: why the hub could not be asked */
} hl_audit_proof;

typedef struct {
	int offline;                         /* do not ask the hub: the local record only */
	long connect_timeout_ms, timeout_ms; /* asking the hub; 0: 3 s and 10 s */
} hl_exchange_proof_opts;

/* Verifies this node's audit chain and that it still holds every head the province witnessed
 * (hl_audit_verify_points): 0 with *out; HL_EINVALID naming the broken, rewritten or missing
 * entry (*out filled too). */
int hl_exchange_audit_proof(hl_audit_proof *out, hl_node *self, const hl_exchange_proof_opts *o);

/* ---- status ---- */

typedef struct {
	const char *peer, *last_error;
	int64_t waiting, oldest_waiting_ms, last_success_ms, last_error_ms; /* 0: none */
	int64_t held; /* received from the peer, waiting for an earlier message */
} hl_exchange_peer_status;
/* Per peer (every node of the directory and any peer with messages), by unit. */
int hl_exchange_status(hl_store *st, int (*cb)(const hl_exchange_peer_status *r, void *ud),
                       void *ud);

/* A refused message; msg_id and sender NULL when the envelope could not be read. */
typedef struct {
	int64_t at_ms;
	const char *msg_id, *sender, *reason, *detail;
} hl_exchange_reject_row;
/* The latest refusals, newest first, at most max. */
int hl_exchange_rejects(hl_store *st, size_t max,
                        int (*cb)(const hl_exchange_reject_row *r, void *ud), void *ud);

#ifdef __cplusplus
}
#endif
#endif
