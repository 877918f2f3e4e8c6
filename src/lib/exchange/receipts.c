/* Receipts: one signed receipt per message, or the receipts of a batch under one signature over
 * a Merkle tree; and a receipt read and checked by the sender. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_int.h"
#include "store/store_exchange.h"
#include "halong/util.h"

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

int hl_exchange__receipt_parse(hl_exchange__receipt *r, const char *text, size_t len)
{
	memset(r, 0, sizeof(*r));
	if (len > 4096)
		return hl_error_set(HL_ELIMIT, "receipt: %zu bytes, over the limit of 4096", len);
	if (!(r->root = hl_canon_parse(text, len, "receipt")))
		return HL_EINVALID;
	r->id = jstr(r->root, "id");
	r->hash = jstr(r->root, "hash");
	r->by = jstr(r->root, "by");
	r->for_ = jstr(r->root, "for");
	r->sig = jstr(r->root, "sig");
	r->at_ms = json_integer_value(json_object_get(r->root, "at_ms"));
	if (!hl_exchange__is_uuid(r->id) || !hl_exchange__is_hex64(r->hash) ||
	    !hl_exchange__valid_unit(r->by) || !hl_exchange__valid_unit(r->for_) || !r->sig ||
	    !json_is_integer(json_object_get(r->root, "at_ms")) ||
	    json_integer_value(json_object_get(r->root, "v")) != 1 ||
	    json_object_size(r->root) != (json_object_get(r->root, "batch") ? 8u : 7u))
		return hl_error_set(HL_EINVALID,
		                    "receipt: expected v, id, hash, by, for, at_ms, sig "
		                    "(and batch)");
	return 0;
}

/* ---- receipts of a batch: a Merkle tree, one signature ----
 *
 * leaf = SHA-256(0x00 || id (36 bytes) || hash (64 hex)), node = SHA-256(0x01 || left || right);
 * a level with an odd count carries its last node up unchanged. The signed header is the
 * canonical {"at_ms","by","for","n","root","v":1} after the line "halong-receipts-v1\n". */

#define MERKLE_MAX_PATH 32

static void merkle_leaf(unsigned char out[32], const char *id, const char *hash)
{
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const unsigned char *)"\0", 1);
	crypto_hash_sha256_update(&h, (const unsigned char *)id, 36);
	crypto_hash_sha256_update(&h, (const unsigned char *)hash, 64);
	crypto_hash_sha256_final(&h, out);
}

static void merkle_node(unsigned char out[32], const unsigned char *l, const unsigned char *r)
{
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const unsigned char *)"\1", 1);
	crypto_hash_sha256_update(&h, l, 32);
	crypto_hash_sha256_update(&h, r, 32);
	crypto_hash_sha256_final(&h, out);
}

static int unhex32(unsigned char out[32], const char *hex)
{
	size_t n = 0;
	return hl_exchange__is_hex64(hex) &&
	               sodium_hex2bin(out, 32, hex, 64, NULL, &n, NULL) == 0 && n == 32
	           ? 0
	           : -1;
}

/* The header the batch's signature covers. */
static int receipts_header(char *out, size_t size, int64_t at_ms, const char *by, const char *for_,
                           int64_t n, const char *root)
{
	int k = snprintf(out, size,
	                 "{\"at_ms\":%lld,\"by\":\"%s\",\"for\":\"%s\",\"n\":%lld,"
	                 "\"root\":\"%s\",\"v\":1}",
	                 (long long)at_ms, by, for_, (long long)n, root);
	return k > 0 && (size_t)k < size ? k : -1;
}

typedef struct {
	char id[37], hash[65], from[33];
	char *text; /* the receipt, once signed */
} batch_item;

struct hl_exchange_receipts {
	batch_item *v;
	size_t n, cap;
	char last[37]; /* the id of the message accepted last */
	/* the directory's entries read in this batch: one transaction, so they cannot change */
	char peer_unit[4][33];
	hl_exchange__peer peers[4];
	size_t npeers;
};

/* The node `unit` (hl_exchange__peer_get), remembered for the batch's transaction when b is not
 * NULL. */
int hl_exchange__peer_lookup(hl_exchange__peer *p, hl_exchange_receipts *b, hl_store *st,
                             const char *unit)
{
	int rc;
	for (size_t i = 0; b && i < b->npeers; i++)
		if (!strcmp(b->peer_unit[i], unit)) {
			*p = b->peers[i];
			p->may_send = hl_strdup(b->peers[i].may_send);
			p->may_receive = hl_strdup(b->peers[i].may_receive);
			return (!b->peers[i].may_send || p->may_send) &&
			               (!b->peers[i].may_receive || p->may_receive)
			           ? 0
			           : hl_error_set(HL_ENOMEM, "out of memory");
		}
	if ((rc = hl_exchange__peer_get(p, st, unit)) < 0 || !b || b->npeers == 4 ||
	    strlen(unit) > 32)
		return rc;
	snprintf(b->peer_unit[b->npeers], sizeof(b->peer_unit[0]), "%s", unit);
	b->peers[b->npeers] = *p;
	b->peers[b->npeers].may_send = hl_strdup(p->may_send);
	b->peers[b->npeers].may_receive = hl_strdup(p->may_receive);
	b->npeers++;
	return 0;
}

hl_exchange_receipts *hl_exchange_receipts_new(void)
{
	return calloc(1, sizeof(hl_exchange_receipts));
}

void hl_exchange_receipts_free(hl_exchange_receipts *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].text);
	for (size_t i = 0; i < b->npeers; i++)
		hl_exchange__peer_free(&b->peers[i]);
	free(b->v);
	free(b);
}

int hl_exchange__receipts_add(hl_exchange_receipts *b, const char *id, const char *hash,
                              const char *from)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		batch_item *v = realloc(b->v, cap * sizeof(*v));
		if (!v)
			return hl_error_set(HL_ENOMEM, "out of memory");
		b->v = v;
		b->cap = cap;
	}
	memset(&b->v[b->n], 0, sizeof(b->v[0]));
	snprintf(b->v[b->n].id, sizeof(b->v[0].id), "%s", id);
	snprintf(b->v[b->n].hash, sizeof(b->v[0].hash), "%s", hash);
	snprintf(b->v[b->n].from, sizeof(b->v[0].from), "%s", from);
	b->n++;
	return 0;
}

void hl_exchange__receipts_set_last(hl_exchange_receipts *b, const char *id)
{
	snprintf(b->last, sizeof(b->last), "%s", id);
}

const char *hl_exchange_receipts_last(const hl_exchange_receipts *b)
{
	return b ? b->last : "";
}

const char *hl_exchange_receipts_get(const hl_exchange_receipts *b, const char *id)
{
	for (size_t i = 0; b && i < b->n; i++)
		if (!strcmp(b->v[i].id, id))
			return b->v[i].text;
	return NULL;
}

/* One signature per sender of the batch (a batch comes from one sender; several are allowed). */
static int receipts_sign_for(hl_exchange_receipts *b, hl_node *self, const char *from, int64_t now)
{
	size_t n = 0, lv = 0, k;
	size_t *idx = NULL;
	unsigned char(*level[MERKLE_MAX_PATH + 1])[32] = {0};
	size_t count[MERKLE_MAX_PATH + 1] = {0};
	char root[65], header[400], sig[HL_X_SIG_B64];
	int rc = 0, hl;

	for (size_t i = 0; i < b->n; i++)
		n += !b->v[i].text && !strcmp(b->v[i].from, from);
	if (!n)
		return 0;
	if (!(idx = calloc(n, sizeof(*idx))) || !(level[0] = calloc(n, 32))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	k = 0;
	for (size_t i = 0; i < b->n; i++)
		if (!b->v[i].text && !strcmp(b->v[i].from, from)) {
			idx[k] = i;
			merkle_leaf(level[0][k], b->v[i].id, b->v[i].hash);
			k++;
		}
	count[0] = n;
	while (count[lv] > 1) {
		size_t c = count[lv], m = (c + 1) / 2;
		if (lv + 1 > MERKLE_MAX_PATH || !(level[lv + 1] = calloc(m, 32))) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		for (size_t j = 0; j < m; j++) {
			if (2 * j + 1 < c)
				merkle_node(level[lv + 1][j], level[lv][2 * j],
				            level[lv][2 * j + 1]);
			else
				memcpy(level[lv + 1][j], level[lv][2 * j], 32);
		}
		count[++lv] = m;
	}
	hl_exchange__hex32(root, level[lv][0]);
	if ((hl = receipts_header(header, sizeof(header), now, self->unit, from, (int64_t)n,
	                          root)) < 0) {
		rc = hl_error_set(HL_EINVALID, "receipts: header too long");
		goto done;
	}
	hl_exchange__sign(sig, self, HL_X_CTX_RECEIPTS, header, (size_t)hl);
	for (k = 0; k < n && rc == 0; k++) {
		batch_item *it = &b->v[idx[k]];
		size_t cap = 400 + (size_t)lv * 70, at;
		char *t = malloc(cap);
		if (!t) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			break;
		}
		at = (size_t)snprintf(t, cap,
		                      "{\"at_ms\":%lld,\"batch\":{\"i\":%zu,\"n\":%zu,\"path\":[",
		                      (long long)now, k, n);
		for (size_t l = 0, i = k, sib; l < lv; l++, i >>= 1) {
			char h[65];
			if ((sib = i ^ 1) >= count[l])
				continue;
			hl_exchange__hex32(h, level[l][sib]);
			at += (size_t)snprintf(t + at, cap - at, "%s\"%s\"",
			                       t[at - 1] == '[' ? "" : ",", h);
		}
		snprintf(
		    t + at, cap - at,
		    "]},\"by\":\"%s\",\"for\":\"%s\",\"hash\":\"%s\",\"id\":\"%s\",\"sig\":\"%s\","
		    "\"v\":1}",
		    self->unit, from, it->hash, it->id, sig);
		it->text = t;
		rc = hl_store_xin_set_receipt(self->st, it->id, t);
	}
done:
	for (size_t l = 0; l <= MERKLE_MAX_PATH; l++)
		free(level[l]);
	free(idx);
	return rc;
}

int hl_exchange_receipts_sign(hl_exchange_receipts *b, hl_node *self)
{
	int64_t now = hl_exchange__now_ms();
	int rc;
	if (!hl_store_in_tx(self->st))
		return hl_error_set(HL_EINVALID, "receipts: sign inside the batch's transaction");
	for (size_t i = 0; b && i < b->n; i++)
		if (!b->v[i].text && (rc = receipts_sign_for(b, self, b->v[i].from, now)) < 0)
			return rc;
	return 0;
}

/* A batch receipt's signature, checked: the root from the leaf and the path, then Ed25519 over
 * the header — unless this thread checked the very same header, signature and key a moment
 * ago (the other receipts of one batch): one verification a batch. 0 or -1. */
int hl_exchange__receipt_batch_verify(json_t *batch, const char *id, const char *hash,
                                      int64_t at_ms, const char *by, const char *for_,
                                      const char *sig, const char *key)
{
	static _Thread_local char memo[768];
	json_t *path = json_object_get(batch, "path");
	json_t *ji = json_object_get(batch, "i"), *jn = json_object_get(batch, "n");
	unsigned char cur[32], sib[32];
	char root[65], header[400], key_sig[768];
	int64_t i, c;
	size_t used = 0;
	int hl;

	if (!json_is_object(batch) || json_object_size(batch) != 3 || !json_is_integer(ji) ||
	    !json_is_integer(jn) || !json_is_array(path) || json_array_size(path) > MERKLE_MAX_PATH)
		return -1;
	i = json_integer_value(ji);
	c = json_integer_value(jn);
	if (c < 1 || c > (1 << 20) || i < 0 || i >= c)
		return -1;
	merkle_leaf(cur, id, hash);
	for (; c > 1; i >>= 1, c = (c + 1) / 2) {
		if ((i ^ 1) >= c)
			continue;
		if (used >= json_array_size(path) ||
		    unhex32(sib, json_string_value(json_array_get(path, used++))) < 0)
			return -1;
		if (i & 1)
			merkle_node(cur, sib, cur);
		else
			merkle_node(cur, cur, sib);
	}
	if (used != json_array_size(path))
		return -1;
	hl_exchange__hex32(root, cur);
	if ((hl = receipts_header(header, sizeof(header), at_ms, by, for_, json_integer_value(jn),
	                          root)) < 0)
		return -1;
	if (snprintf(key_sig, sizeof(key_sig), "%s\n%s\n%s", key, sig, header) >=
	    (int)sizeof(key_sig))
		return -1;
	if (!strcmp(memo, key_sig))
		return 0;
	if (hl_exchange__verify(sig, key, HL_X_CTX_RECEIPTS, header, (size_t)hl) < 0)
		return -1;
	memcpy(memo, key_sig, strlen(key_sig) + 1);
	return 0;
}
int hl_exchange__make_receipt(char **out, hl_node *self, const hl_exchange__env *e,
                              const char *hash, int64_t now)
{
	json_t *r = json_pack("{s:i, s:s, s:s, s:s, s:s, s:I}", "v", 1, "id", e->id, "hash", hash,
	                      "by", self->unit, "for", e->from, "at_ms", (json_int_t)now);
	char *c = NULL, sig[HL_X_SIG_B64];
	size_t n = 0;
	int rc;
	if (!r)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if ((rc = hl_canon_encode(&c, &n, r)) == 0) {
		hl_exchange__sign(sig, self, HL_X_CTX_RECEIPT, c, n);
		free(c);
		c = NULL;
		json_object_set_new(r, "sig", json_string(sig));
		rc = hl_canon_encode(&c, &n, r);
	}
	json_decref(r);
	if (rc == 0)
		*out = c;
	return rc;
}
