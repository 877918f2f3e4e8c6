/* The exchange endpoints: the inbox other nodes POST signed envelopes to, the chunked upload of
 * their attachments, the status per peer and the signed directory (docs/api.md "Exchange"). */
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "halong/exchange.h"
#include "store/store_exchange.h"
#include "halong/util.h"
#include "server_int.h"

#define X_MAX_CHUNK (8u << 20) /* bytes of one attachment PUT; the sender sends 4 MiB */
#define X_MAX_BATCH 256        /* envelopes in one batch POST */

/* HOME/exchange/incoming: attachments as they arrive (SHA.part) and once whole (SHA). */
static int incoming_dir(char *out, size_t size)
{
	snprintf(out, size, "%s/exchange/incoming", hl_server_options()->home);
	if (hl_mkdir_p(out, 0700) < 0)
		return -1;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* {"error":{"status","code","message","reason"[,"offset"]}}: the reason is the inbox's word
 * (README of src/lib/exchange), the message says it for a person. */
static int x_error(hl_req *r, int status, const char *reason, const char *msg, int64_t offset)
{
	json_t *e = json_object(), *o = json_object();
	const char *code = status == 422 ? "unprocessable" : hl_http_code_name(status);
	json_object_set_new(e, "status", json_integer(status));
	json_object_set_new(e, "code", json_string(code));
	hl_json_set_str(e, "message", msg);
	json_object_set_new(e, "reason", json_string(reason));
	if (offset >= 0)
		json_object_set_new(e, "offset", json_integer(offset));
	json_object_set_new(o, "error", e);
	return hl_resp_json(r, status, o);
}

/* The HTTP status of an inbox refusal, by its reason. */
static int refusal_status(int rc, const char *reason)
{
	if (rc == HL_ELIMIT)
		return 413;
	if (rc == HL_EINVALID)
		return 400;
	if (!strcmp(reason, "clock-skew") || !strcmp(reason, "attachment"))
		return 422;
	if (!strcmp(reason, "sequence") || !strcmp(reason, "conflict"))
		return 409;
	return 403;
}

static int grab_peer(const hl_node_row *row, void *ud);

/* When the last too-big refusal from an unnamed or unknown sender was recorded. */
static _Atomic int64_t anon_too_big_ms;

/* An envelope (or a batch) over the limit, refused from its Content-Length before a byte of it
 * is read (the server runs the handler with r->too_big: HL_ROUTE_TELL_TOO_BIG): the refusal is
 * recorded with its reason, as the inbox records every other. Nothing is checked yet, so a
 * sender is named only if X-Halong-From is a node of the directory, and refusals from anyone
 * else are recorded at most once a minute: a flood of headers cannot push the real refusals out
 * of the newest 1,000 kept, nor write what it likes into the status. */
static int x_too_big(hl_req *r, const char *what)
{
	const char *cl = hl_req_header(r, "Content-Length");
	const char *from = hl_req_header(r, "X-Halong-From");
	char detail[300], clv[24];
	int known = 0;
	int64_t now = now_ms(), last;
	size_t i;

	/* Content-Length was parsed as a number by the server; keep only its digits anyway. */
	for (i = 0; cl && cl[i] >= '0' && cl[i] <= '9' && i + 1 < sizeof(clv); i++)
		clv[i] = cl[i];
	clv[i] = 0;
	snprintf(detail, sizeof(detail),
	         "%s of %s bytes, over the limit of %u bytes (refused from its Content-Length, "
	         "unread)",
	         what, i ? clv : "?", HL_EXCHANGE_MAX_ENVELOPE);
	if (from && hl_store_xpeer_get(hl_req_store(r), from, grab_peer, &known) < 0)
		known = 0;
	if (known == 1) {
		hl_store_xreject_add(hl_req_store(r), now, NULL, from, "too-big", detail);
	} else {
		last = anon_too_big_ms;
		if (now - last >= 60000 &&
		    atomic_compare_exchange_strong(&anon_too_big_ms, &last, now))
			hl_store_xreject_add(hl_req_store(r), now, NULL, NULL, "too-big", detail);
	}
	return x_error(r, 413, "too-big", detail, -1);
}

/* What the inbox needs before it reads an envelope: this node's identity (503 without one),
 * the folder attachments arrive in, and the accept options that apply documents into this
 * archive. 0, HL_ANSWERED, or an error; on failure nothing stays open. */
static int inbox_open(hl_node **n, char dir[4096], hl_exchange_apply_ctx *ctx,
                      hl_exchange_accept_opts *o, hl_req *r)
{
	int rc;
	if ((rc = hl_node_open(n, hl_req_store(r), hl_server_options()->home)) < 0) {
		if (rc == HL_ENOTFOUND)
			return x_error(r, 503, "no-identity",
			               "this node has no exchange identity (halong node init)", -1),
			       HL_ANSWERED;
		return rc;
	}
	if (incoming_dir(dir, 4096) < 0) {
		hl_node_free(*n);
		*n = NULL;
		return -1;
	}
	ctx->archive = r->archive;
	ctx->attachments_dir = dir;
	o->attachments_dir = dir;
	o->apply = hl_exchange_apply_default;
	o->ud = ctx;
	return 0;
}

static int x_inbox(hl_req *r)
{
	hl_node *n = NULL;
	char dir[4096], *receipt = NULL;
	int state = 0, rc;
	hl_exchange_apply_ctx ctx;
	hl_exchange_accept_opts o = {0};
	const char *ct = hl_req_header(r, "Content-Type");

	if (r->too_big)
		return x_too_big(r, "envelope");
	if (!ct || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] && ct[16] != ';' && ct[16] != ' '))
		return hl_resp_error(r, 415, "an envelope is sent as application/json");
	if ((rc = inbox_open(&n, dir, &ctx, &o, r)) != 0)
		return rc;
	rc = hl_exchange_inbox_accept(&receipt, &state, n, r->body ? r->body : "", r->body_len, &o);
	if (rc == 0) {
		/* The body is the receipt exactly (the sender verifies it as it is); the state goes
		 * in a header: a held message is stored for good and will be applied when the gap
		 * fills, so it is acknowledged like an applied one. */
		hl_resp_header(r, "X-Halong-Exchange-State",
		               state == HL_EXCHANGE_APPLIED ? "applied"
		               : state == HL_EXCHANGE_HELD  ? "held"
		                                            : "duplicate");
		rc = hl_resp_bytes(r, 200, "application/json; charset=utf-8", receipt,
		                   strlen(receipt), 1);
		receipt = NULL;
		goto done;
	}
	{
		char msg[512], reason[32] = "";
		const char *colon;
		snprintf(msg, sizeof(msg), "%s", hl_error_last());
		colon = strchr(msg, ':');
		if (colon && (size_t)(colon - msg) < sizeof(reason))
			snprintf(reason, sizeof(reason), "%.*s", (int)(colon - msg), msg);
		if (rc == HL_ELIMIT || rc == HL_EINVALID || rc == HL_EDENIED) {
			rc = x_error(r, refusal_status(rc, reason), reason[0] ? reason : "refused",
			             msg, -1);
			goto done;
		}
	}
done:
	free(receipt);
	hl_node_free(n);
	return rc;
}

/* Several envelopes, one a line (application/x-ndjson, at most X_MAX_BATCH), accepted in one
 * transaction: one commit for all (the sender's batch). The answer, 200 once they are
 * committed, is NDJSON too: {"status":200,"state","receipt":"<the receipt's text>"} or
 * {"status":4xx,"error":{"code","message","reason"}}, a line each, in the order of the lines. */
static int x_inbox_batch(hl_req *r)
{
	hl_node *n = NULL;
	hl_store *st = hl_req_store(r);
	char dir[4096];
	const char *ct = hl_req_header(r, "Content-Type"), *p, *end;
	json_t *out = NULL;
	hl_exchange_apply_ctx ctx;
	hl_exchange_accept_opts o = {0};
	size_t count = 0;
	int rc, began = 0;

	if (r->too_big)
		return x_too_big(r, "batch");
	if (!ct || strncasecmp(ct, "application/x-ndjson", 20) != 0)
		return hl_resp_error(r, 415, "a batch is sent as application/x-ndjson");
	p = r->body ? r->body : "";
	end = p + r->body_len;
	for (const char *q = p; q < end; q++)
		count += *q == '\n';
	if (count > X_MAX_BATCH)
		return x_error(r, 413, "too-big", "more than 256 envelopes in one batch", -1);
	if ((rc = inbox_open(&n, dir, &ctx, &o, r)) != 0)
		return rc;
	o.in_caller_tx = 1;
	/* one signature for the batch's receipts (a Merkle root), not one a message */
	if (!(o.receipts = hl_exchange_receipts_new())) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	out = json_array();
	if ((rc = hl_store_begin(st)) < 0)
		goto done;
	began = 1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *receipt = NULL;
		int state = 0;
		json_t *x = json_object();
		if (len) {
			rc = hl_exchange_inbox_accept(&receipt, &state, n, p, len, &o);
			if (rc == 0) {
				json_object_set_new(x, "status", json_integer(200));
				json_object_set_new(
				    x, "state",
				    json_string(state == HL_EXCHANGE_APPLIED ? "applied"
				                : state == HL_EXCHANGE_HELD  ? "held"
				                                             : "duplicate"));
				/* filled in once the batch is signed */
				json_object_set_new(x, "receipt",
				                    receipt ? json_string(receipt) : json_null());
				if (!receipt)
					json_object_set_new(
					    x, "id",
					    json_string(hl_exchange_receipts_last(o.receipts)));
				free(receipt);
			} else if (rc == HL_ELIMIT || rc == HL_EINVALID || rc == HL_EDENIED) {
				char msg[512], reason[32] = "";
				const char *colon;
				int status;
				json_t *e = json_object();
				snprintf(msg, sizeof(msg), "%s", hl_error_last());
				colon = strchr(msg, ':');
				if (colon && (size_t)(colon - msg) < sizeof(reason))
					snprintf(reason, sizeof(reason), "%.*s", (int)(colon - msg),
					         msg);
				status = refusal_status(rc, reason);
				json_object_set_new(x, "status", json_integer(status));
				json_object_set_new(e, "code",
				                    json_string(status == 422
				                                    ? "unprocessable"
				                                    : hl_http_code_name(status)));
				hl_json_set_str(e, "message", msg);
				json_object_set_new(e, "reason", json_string(reason));
				json_object_set_new(x, "error", e);
			} else {
				json_decref(x);
				goto done; /* the store failed: nothing of the batch is kept */
			}
			json_array_append_new(out, x);
		} else {
			json_decref(x);
		}
		p += len + 1;
	}
	/* The batch's receipts: signed once, stored with their messages, then committed. */
	if ((rc = hl_exchange_receipts_sign(o.receipts, n)) < 0)
		goto done;
	for (size_t i = 0; i < json_array_size(out); i++) {
		json_t *x = json_array_get(out, i);
		const char *id = json_string_value(json_object_get(x, "id"));
		const char *rec = id ? hl_exchange_receipts_get(o.receipts, id) : NULL;
		if (!id)
			continue;
		if (!rec) {
			rc = hl_error_set(HL_ERROR, "batch: no receipt for message %s", id);
			goto done;
		}
		json_object_set_new(x, "receipt", json_string(rec));
		json_object_del(x, "id");
	}
	began = 0;
	if ((rc = hl_store_commit(st)) < 0)
		goto done;
	/* The receipts are given out only now that the messages are committed: one JSON
	 * result a line, as the envelopes came. */
	{
		size_t cap = 0, len = 0;
		char *buf = NULL;
		for (size_t i = 0; i < json_array_size(out); i++) {
			char *line = json_dumps(json_array_get(out, i), JSON_COMPACT);
			size_t ll = line ? strlen(line) : 0;
			if (line && len + ll + 2 > cap) {
				size_t nc = (len + ll + 2) * 2;
				char *nb = realloc(buf, nc);
				if (!nb) {
					free(line);
					line = NULL;
				} else {
					buf = nb;
					cap = nc;
				}
			}
			if (!line) {
				free(buf);
				rc = hl_error_set(HL_ENOMEM, "out of memory");
				goto done;
			}
			memcpy(buf + len, line, ll);
			len += ll;
			buf[len++] = '\n';
			free(line);
		}
		rc =
		    hl_resp_bytes(r, 200, "application/x-ndjson", buf ? buf : "", len, buf != NULL);
	}
done:
	if (began)
		hl_store_rollback(st);
	json_decref(out);
	hl_exchange_receipts_free(o.receipts);
	hl_node_free(n);
	return rc;
}

/* ---- attachments ---- */

static int is_hex64(const char *s)
{
	size_t i = 0;
	for (; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 64;
}

static int grab_peer(const hl_node_row *row, void *ud)
{
	*(int *)ud = row->revoked ? -1 : 1;
	return 0;
}

/* Uploads come from nodes of the directory only (X-Halong-From, not revoked); a chunk PUT must
 * also carry its sender's signature (upload_signed). The envelope's signature and the SHA-256
 * check are what make an attachment trusted (docs/exchange.md). */
static int known_sender(hl_req *r, const char **from)
{
	int known = 0, rc;
	*from = hl_req_header(r, "X-Halong-From");
	if (!*from)
		return x_error(r, 403, "unknown-sender", "X-Halong-From names no node", -1),
		       HL_ANSWERED;
	rc = hl_store_xpeer_get(hl_req_store(r), *from, grab_peer, &known);
	if (rc < 0 && rc != HL_ENOTFOUND)
		return rc;
	if (known != 1)
		return x_error(r, 403, known < 0 ? "revoked-sender" : "unknown-sender",
		               known < 0 ? "the sending node is revoked"
		                         : "the sending node is not in the directory",
		               -1),
		       HL_ANSWERED;
	return 0;
}

static int self_unit(const char *unit, const char *url, const char *pk, const char *hub, void *ud)
{
	(void)url;
	(void)pk;
	(void)hub;
	snprintf(ud, 33, "%s", unit);
	return 0;
}

/* A chunk is taken only signed by the node X-Halong-From names (X-Halong-Signature over the
 * upload's line, X-Halong-Time within +-5 minutes: hl_exchange_upload_verify); otherwise 403,
 * and the refusal is recorded with its reason for the status. */
static int upload_signed(hl_req *r, const char *from, const char *sha, int64_t off, int64_t size)
{
	hl_store *st = hl_req_store(r);
	char me[33] = "", msg[512], reason[32] = "";
	const char *colon;
	int rc = hl_store_xself_get(st, self_unit, me);
	if (rc == HL_ENOTFOUND)
		return x_error(r, 503, "no-identity",
		               "this node has no exchange identity (halong node init)", -1),
		       HL_ANSWERED;
	if (rc < 0)
		return rc;
	rc = hl_exchange_upload_verify(st, me, from, hl_req_header(r, "X-Halong-Signature"),
	                               hl_req_header(r, "X-Halong-Time"), sha, off, size, r->body,
	                               r->body_len, 0);
	if (rc != HL_EDENIED)
		return rc;
	snprintf(msg, sizeof(msg), "%s", hl_error_last());
	colon = strchr(msg, ':');
	if (colon && (size_t)(colon - msg) < sizeof(reason))
		snprintf(reason, sizeof(reason), "%.*s", (int)(colon - msg), msg);
	{
		char detail[600];
		snprintf(detail, sizeof(detail), "attachment %.12s… offset %lld: %s", sha,
		         (long long)off, colon ? colon + 2 : msg);
		hl_store_xreject_add(st, now_ms(), NULL, from, reason[0] ? reason : "bad-signature",
		                     detail);
	}
	return x_error(r, 403, reason[0] ? reason : "bad-signature", msg, -1), HL_ANSWERED;
}

static int attachment_state(json_t **out, const char *dir, const char *sha)
{
	char path[4200];
	struct stat sb;
	json_t *o = json_object();
	snprintf(path, sizeof(path), "%s/%s", dir, sha);
	json_object_set_new(o, "sha256", json_string(sha));
	if (stat(path, &sb) == 0) {
		json_object_set_new(o, "offset", json_integer(sb.st_size));
		json_object_set_new(o, "complete", json_true());
	} else {
		snprintf(path, sizeof(path), "%s/%s.part", dir, sha);
		json_object_set_new(o, "offset",
		                    json_integer(stat(path, &sb) == 0 ? sb.st_size : 0));
		json_object_set_new(o, "complete", json_false());
	}
	*out = o;
	return 0;
}

static int x_att_get(hl_req *r)
{
	const char *sha = hl_req_param(r, "sha256"), *from;
	char dir[4096];
	json_t *o;
	int rc;
	if ((rc = known_sender(r, &from)) != 0)
		return rc;
	if (!is_hex64(sha))
		return hl_error_set(HL_EINVALID, "%s is not a SHA-256 (64 lower-case hex)", sha);
	if (incoming_dir(dir, sizeof(dir)) < 0)
		return -1;
	attachment_state(&o, dir, sha);
	return hl_resp_json(r, 200, o);
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static int x_att_put(hl_req *r)
{
	const char *sha = hl_req_param(r, "sha256"), *from;
	char dir[4096], part[4200], whole[4200], got[65];
	uint64_t off = 0, size = 0;
	int64_t have, hashed = 0;
	struct stat sb;
	json_t *o;
	int fd = -1, rc;

	if ((rc = known_sender(r, &from)) != 0)
		return rc;
	if (!is_hex64(sha))
		return hl_error_set(HL_EINVALID, "%s is not a SHA-256 (64 lower-case hex)", sha);
	if ((rc = hl_req_uint(&size, r, "size", 0, 0, (uint64_t)HL_EXCHANGE_MAX_ATTACHMENT)) < 0 ||
	    (rc = hl_req_uint(&off, r, "offset", 0, 0, (uint64_t)HL_EXCHANGE_MAX_ATTACHMENT)) < 0)
		return rc;
	if (!hl_req_query(r, "size"))
		return hl_error_set(HL_EINVALID,
		                    "size= (the attachment's whole length) is required");
	if (off + r->body_len > size)
		return hl_error_set(HL_EINVALID, "offset %llu + %zu bytes passes size %llu",
		                    (unsigned long long)off, r->body_len, (unsigned long long)size);
	if ((rc = upload_signed(r, from, sha, (int64_t)off, (int64_t)size)) != 0)
		return rc;
	if (incoming_dir(dir, sizeof(dir)) < 0)
		return -1;
	snprintf(whole, sizeof(whole), "%s/%s", dir, sha);
	snprintf(part, sizeof(part), "%s/%s.part", dir, sha);
	if (stat(whole, &sb) == 0) {
		attachment_state(&o, dir, sha);
		return hl_resp_json(r, 200, o);
	}
	if ((fd = open(part, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return hl_error_set(HL_EIO, "attachment %.12s: %s", sha, strerror(errno));
	/* One writer per attachment: a retry racing the first attempt waits its turn. */
	if (flock(fd, LOCK_EX) < 0 || fstat(fd, &sb) < 0) {
		rc = hl_error_set(HL_EIO, "attachment %.12s: %s", sha, strerror(errno));
		goto done;
	}
	have = sb.st_size;
	if ((int64_t)off != have) {
		rc = x_error(r, 409, "offset", "this node holds another length of the attachment",
		             have);
		goto done;
	}
	for (size_t w = 0; w < r->body_len;) {
		ssize_t k = pwrite(fd, r->body + w, r->body_len - w, (off_t)(off + w));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			rc = hl_error_set(HL_EIO, "attachment %.12s: %s", sha, strerror(errno));
			goto done;
		}
		w += (size_t)k;
	}
	/* What is acknowledged is on disk: the offset reported after a crash is honest. */
	if (fdatasync(fd) < 0) {
		rc = hl_error_set(HL_EIO, "attachment %.12s: %s", sha, strerror(errno));
		goto done;
	}
	if (off + r->body_len == size) {
		if ((rc = hl_sha256_file(got, &hashed, part)) < 0)
			goto done;
		if (strcmp(got, sha) || hashed != (int64_t)size) {
			char detail[300];
			unlink(part);
			snprintf(
			    detail, sizeof(detail),
			    "attachment %.12s…: %lld bytes arrived with SHA-256 %.12s…, not the "
			    "name it was sent under",
			    sha, (long long)hashed, got);
			hl_store_xreject_add(hl_req_store(r), now_ms(), NULL, from, "attachment",
			                     detail);
			rc = x_error(r, 422, "attachment", detail, -1);
			goto done;
		}
		if (rename(part, whole) < 0) {
			rc = hl_error_set(HL_EIO, "attachment %.12s: %s", sha, strerror(errno));
			goto done;
		}
		fsync_dir(dir);
	}
	attachment_state(&o, dir, sha);
	rc = hl_resp_json(r, 200, o);
done:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* ---- status and directory ---- */

static int status_row(const hl_exchange_peer_status *p, void *ud)
{
	json_t *o = json_object();
	json_object_set_new(o, "peer", json_string(p->peer));
	json_object_set_new(o, "waiting", json_integer(p->waiting));
	json_object_set_new(o, "oldest_waiting", hl_json_time(p->oldest_waiting_ms));
	json_object_set_new(o, "held", json_integer(p->held));
	json_object_set_new(o, "last_success", hl_json_time(p->last_success_ms));
	json_object_set_new(o, "last_error", hl_json_str(p->last_error));
	json_object_set_new(o, "last_error_at", hl_json_time(p->last_error_ms));
	json_array_append_new(ud, o);
	return 0;
}

static int reject_row(const hl_exchange_reject_row *x, void *ud)
{
	json_t *o = json_object();
	json_object_set_new(o, "at", hl_json_time(x->at_ms));
	json_object_set_new(o, "id", hl_json_str(x->msg_id));
	json_object_set_new(o, "sender", hl_json_str(x->sender));
	json_object_set_new(o, "reason", hl_json_str(x->reason));
	json_object_set_new(o, "detail", hl_json_str(x->detail));
	json_array_append_new(ud, o);
	return 0;
}

static int self_row(const char *unit, const char *url, const char *pk, const char *hub, void *ud)
{
	(void)url;
	(void)pk;
	(void)hub;
	json_object_set_new(ud, "node", hl_json_str(unit));
	return 0;
}

static int x_status(hl_req *r)
{
	json_t *out, *peers = json_array(), *rej = json_array();
	uint64_t limit = 20;
	int rc;
	if ((rc = hl_req_require(r, HL_ROLES_READ_CUSTODY)) < 0 ||
	    (rc = hl_req_uint(&limit, r, "limit", 20, 0, 1000)) < 0)
		goto fail;
	out = json_object();
	json_object_set_new(out, "node", json_null());
	rc = hl_store_xself_get(hl_req_store(r), self_row, out);
	if (rc < 0 && rc != HL_ENOTFOUND) {
		json_decref(out);
		goto fail;
	}
	if ((rc = hl_exchange_status(hl_req_store(r), status_row, peers)) < 0 ||
	    (limit && (rc = hl_exchange_rejects(hl_req_store(r), limit, reject_row, rej)) < 0)) {
		json_decref(out);
		goto fail;
	}
	json_object_set_new(out, "peers", peers);
	json_object_set_new(out, "rejected", rej);
	/* The reference-data feeds (h_feed.c); on a failure the member is left out. */
	json_object_set_new(out, "feeds", hl_feed_status_json(hl_req_store(r)));
	return hl_resp_json(r, 200, out);
fail:
	json_decref(peers);
	json_decref(rej);
	return rc;
}

static int x_directory(hl_req *r)
{
	int64_t version = 0, issued = 0;
	int imported = 0, rc;
	char *copy = NULL;
	hl_node *n = NULL;

	if ((rc = hl_store_xdir_get(&version, &issued, &imported, &copy, hl_req_store(r))) < 0)
		return rc;
	if (!version) {
		free(copy);
		return hl_error_set(HL_ENOTFOUND, "this node holds no directory");
	}
	if (!imported) {
		/* The hub: its directory, signed now by its key (the content is the version's). */
		free(copy);
		copy = NULL;
		if ((rc = hl_node_open(&n, hl_req_store(r), hl_server_options()->home)) < 0)
			return rc;
		rc = hl_node_directory_export(&copy, n);
		hl_node_free(n);
		if (rc < 0)
			return rc;
	}
	if (!copy)
		return hl_error_set(HL_ENOTFOUND, "this node holds no signed directory");
	return hl_resp_bytes(r, 200, "application/json; charset=utf-8", copy, strlen(copy), 1);
}

const hl_route hl_routes_exchange[] = {
    {HL_POST, "/api/v1/exchange/inbox", x_inbox, HL_EXCHANGE_MAX_ENVELOPE,
     HL_ROUTE_NO_CSRF | HL_ROUTE_TELL_TOO_BIG},
    {HL_POST, "/api/v1/exchange/inbox/batch", x_inbox_batch, HL_EXCHANGE_MAX_ENVELOPE,
     HL_ROUTE_RAW_BODY | HL_ROUTE_NO_CSRF | HL_ROUTE_TELL_TOO_BIG},
    {HL_GET, "/api/v1/exchange/attachments/{sha256}", x_att_get, 0, 0},
    {HL_PUT, "/api/v1/exchange/attachments/{sha256}", x_att_put, X_MAX_CHUNK,
     HL_ROUTE_RAW_BODY | HL_ROUTE_NO_CSRF},
    {HL_GET, "/api/v1/exchange/status", x_status, 0, 0},
    {HL_GET, "/api/v1/exchange/directory", x_directory, 0, 0},
    {0},
};
