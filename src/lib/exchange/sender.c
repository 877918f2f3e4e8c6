/* Delivery over HTTP: a pass over the outbox that POSTs each due message with libcurl, records
 * the recipient's receipt or the error, and schedules retries with exponential backoff and
 * jitter. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange_int.h"
#include "exchange/http_client.h"
#include "store/store_exchange.h"
#include "halong/util.h"

#define DEFAULT_PATH       "/api/v1/exchange/inbox"
#define DEFAULT_ATT_PATH   "/api/v1/exchange/attachments"
#define DEFAULT_BATCH_PATH "/api/v1/exchange/inbox/batch"
#define MAX_ANSWER         8192       /* a receipt is a few hundred bytes; an error line, less */
#define MAX_BATCH_ANSWER   (1u << 20) /* a batch's answers: a receipt or a reason each */
#define MAX_BATCH          256

int64_t hl_exchange_backoff_ms(int64_t attempts, int64_t base_ms, int64_t cap_ms)
{
	int64_t d = base_ms > 0 ? base_ms : 1;
	if (cap_ms < d)
		cap_ms = d;
	for (int64_t i = 1; i < attempts && d < cap_ms; i++)
		d = d > cap_ms / 2 ? cap_ms : d * 2;
	if (d > cap_ms)
		d = cap_ms;
	/* Equal jitter: at least half the delay, so a peer that is down is not hammered. */
	int64_t half = d / 2;
	uint32_t span = (uint32_t)((d - half) > UINT32_MAX - 1 ? UINT32_MAX - 1 : (d - half));
	return half + (int64_t)randombytes_uniform(span + 1);
}

typedef struct {
	char *id, *recipient;
	int64_t attempts;
} due;

typedef struct {
	due *v;
	size_t n, cap;
} due_list;

static int collect(const hl_exchange_outbox_row *r, void *ud)
{
	due_list *l = ud;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		due *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return hl_error_set(HL_ENOMEM, "out of memory");
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].id = hl_strdup(r->id);
	l->v[l->n].recipient = hl_strdup(r->recipient);
	l->v[l->n].attempts = r->attempts;
	if (!l->v[l->n].id || !l->v[l->n].recipient)
		return hl_error_set(HL_ENOMEM, "out of memory");
	l->n++;
	return 0;
}

static int grab_url(const hl_node_row *r, void *ud)
{
	char **url = ud;
	*url = r->revoked ? NULL : hl_strdup(r->url);
	return 0;
}

/* One request on the client: POST (the envelope, JSON), PUT (an attachment's chunk,
 * octet-stream, `from` naming this node) or GET (body NULL). 0 with the answer in *a when the
 * status is 200 (or `ok2` when not 0), or -1 with the error in `err`; *status_out gets the
 * status. */
static int request(hl_http *h, const char *method, const char *url, const char *body, size_t len,
                   const char *from, hl_http_answer **a, char *err, size_t errsize, long ok2,
                   long *status_out, const char *const *extra)
{
	char fromh[64];
	const char *hdr[8];
	size_t k = 0;
	hl_http_req q = {
	    method, url, strcmp(method, "PUT") ? "application/json" : "application/octet-stream",
	    body,   len, hdr};
	if (from) {
		snprintf(fromh, sizeof(fromh), "X-Halong-From: %s", from);
		hdr[k++] = fromh;
	}
	for (; extra && *extra && k < 7; extra++)
		hdr[k++] = *extra;
	hdr[k] = NULL;
	if (hl_http_do(a, h, &q) < 0) {
		snprintf(err, errsize, "%s: %s", url, (*a)->over ? "answer too long" : (*a)->error);
		return -1;
	}
	if (status_out)
		*status_out = (*a)->status;
	if ((*a)->status != 200 && (!ok2 || (*a)->status != ok2)) {
		/* The peer's one-line reason, if it gave one, is what the status page shows. */
		size_t n = (*a)->len;
		while (n && ((*a)->body[n - 1] == '\n' || (*a)->body[n - 1] == '\r'))
			(*a)->body[--n] = '\0';
		snprintf(err, errsize, "%s: HTTP %ld%s%.300s", url, (*a)->status, n ? ": " : "",
		         (*a)->body);
		return -1;
	}
	return 0;
}

/* What one attachment's upload works with. */
typedef struct {
	hl_node *self;
	hl_http *h;
	const char *to, *sha;
	int64_t size;
	char base[1200]; /* URL/attachments/SHA */
	char blob[4200]; /* the file here */
	char *buf;       /* a chunk */
	size_t chunk;
	FILE *f;
	char *err;
	size_t errsize;
} upload;

/* How much of the file the peer holds: *off, *whole. 0 or -1 (err). */
static int upload_offset(upload *u, int64_t *off, int *whole)
{
	hl_http_answer *a;
	json_t *ans;
	if (request(u->h, "GET", u->base, NULL, 0, u->self->unit, &a, u->err, u->errsize, 0, NULL,
	            NULL) < 0)
		return -1;
	ans = json_loadb(a->body, a->len, 0, NULL);
	*off = json_integer_value(json_object_get(ans, "offset"));
	*whole = json_is_true(json_object_get(ans, "complete"));
	json_decref(ans);
	return 0;
}

/* PUTs the chunk at *off, signed by this node; *off and *whole from the answer (a 409 names the
 * length the peer holds: the upload resumes from it). 0 or -1 (err). */
static int upload_chunk(upload *u, int64_t *off, int *whole)
{
	size_t want = (size_t)(u->size - *off) < u->chunk ? (size_t)(u->size - *off) : u->chunk,
	       got;
	char full[1300], sig[HL_X_SIG_B64], hs[HL_X_SIG_B64 + 32], ht[64];
	const char *extra[] = {hs, ht, NULL};
	int64_t t = hl_exchange__now_ms();
	hl_http_answer *a;
	long status = 0;
	json_t *ans;

	if (!u->f && !(u->f = fopen(u->blob, "rb"))) {
		snprintf(u->err, u->errsize, "attachment %.12s…: the blob is missing here", u->sha);
		return -1;
	}
	if (fseeko(u->f, (off_t)*off, SEEK_SET) != 0 ||
	    (got = fread(u->buf, 1, want, u->f)) != want) {
		snprintf(u->err, u->errsize, "attachment %.12s…: cannot read the blob", u->sha);
		return -1;
	}
	snprintf(full, sizeof(full), "%s?offset=%lld&size=%lld", u->base, (long long)*off,
	         (long long)u->size);
	/* signed: the peer takes a chunk only from the node it names */
	hl_exchange_upload_sign(sig, u->self, u->to, u->sha, *off, u->size, u->buf, got, t);
	snprintf(hs, sizeof(hs), "X-Halong-Signature: %s", sig);
	snprintf(ht, sizeof(ht), "X-Halong-Time: %lld", (long long)t);
	if (request(u->h, "PUT", full, u->buf, got, u->self->unit, &a, u->err, u->errsize, 409,
	            &status, extra) < 0)
		return -1;
	ans = json_loadb(a->body, a->len, 0, NULL);
	if (status == 409) {
		json_t *e = json_object_get(ans, "error");
		json_t *ro = json_object_get(e ? e : ans, "offset");
		*off = json_is_integer(ro) ? json_integer_value(ro) : -1;
	} else {
		*off = json_integer_value(json_object_get(ans, "offset"));
		*whole = json_is_true(json_object_get(ans, "complete"));
	}
	json_decref(ans);
	return 0;
}

/* Uploads one attachment from the offset the peer reports. 0 or -1 (err). */
static int upload_one(upload *u)
{
	int64_t off = -1;
	int tries = 0, whole = 0, finish = 0, rc = 0;
	for (;;) {
		if (off < 0 && (rc = upload_offset(u, &off, &whole)) < 0)
			break;
		if (whole)
			break;
		/* The peer holds every byte but never finished the file (a crash between the last
		 * write and its rename): an empty chunk at the end makes it hash and keep it — or
		 * drop it, and the next attempt starts again. Once. */
		if (off >= u->size) {
			if (finish++)
				break;
			off = u->size;
		}
		if (++tries > 100000) {
			snprintf(u->err, u->errsize, "%s: no progress", u->base);
			rc = -1;
			break;
		}
		if ((rc = upload_chunk(u, &off, &whole)) < 0)
			break;
	}
	if (u->f)
		fclose(u->f);
	u->f = NULL;
	return rc;
}

/* Uploads the attachments of a sealed envelope that the peer does not hold whole yet, in
 * chunks, each resumed from the offset the peer reports (GET .../attachments/SHA answers
 * {"offset":N,"complete":bool}). 0, or -1 with the error in `err`. */
static int upload_attachments(hl_http *h, hl_node *self, const char *to, const char *url,
                              const char *env, size_t envlen, char *err, size_t errsize,
                              const hl_exchange_send_opts *o)
{
	const char *apath = o && o->attachments_path ? o->attachments_path : DEFAULT_ATT_PATH;
	upload u = {.self = self, .h = h, .to = to};
	json_t *root = NULL, *atts;
	size_t ul = strlen(url);
	int rc = -1;

	/* Most messages carry no file: the canonical envelope then begins
	 * {"access":"LEVEL","attachments":[], — no need to parse it to know. */
	if (envlen > 11 && !memcmp(env, "{\"access\":\"", 11)) {
		const char *q = memchr(env + 11, '"', envlen - 11);
		if (q && (size_t)(env + envlen - q) > 19 &&
		    !memcmp(q, "\",\"attachments\":[],", 19))
			return 0;
	}
	root = json_loadb(env, envlen, 0, NULL);
	atts = json_object_get(root, "attachments");
	u.chunk = o && o->chunk ? o->chunk : 4u << 20;
	u.err = err;
	u.errsize = errsize;
	if (!json_array_size(atts)) {
		rc = 0;
		goto done;
	}
	if (!(u.buf = malloc(u.chunk))) {
		snprintf(err, errsize, "out of memory");
		goto done;
	}
	if (ul && url[ul - 1] == '/')
		ul--;
	for (size_t i = 0; i < json_array_size(atts); i++) {
		json_t *x = json_array_get(atts, i);
		u.sha = json_string_value(json_object_get(x, "sha256"));
		u.size = json_integer_value(json_object_get(x, "size"));
		snprintf(u.base, sizeof(u.base), "%.*s%s/%s", (int)ul, url, apath, u.sha);
		snprintf(u.blob, sizeof(u.blob), "%s/%.2s/%s",
		         o && o->blobs_dir ? o->blobs_dir : self->blobs, u.sha, u.sha + 2);
		if (upload_one(&u) < 0)
			goto done;
	}
	rc = 0;
done:
	free(u.buf);
	json_decref(root);
	return rc;
}

/* ---- batches, pipelined ----
 *
 * The due messages to one peer (up to o->batch) travel as one POST of their envelopes, one a
 * line (application/x-ndjson), to URL/api/v1/exchange/inbox/batch; the peer accepts them in
 * one transaction and answers {"status","receipt"|"error"} a line, in order. While one batch is
 * on the wire (and the peer works on it), the next is sealed and sent and the previous one's
 * receipts are recorded: the two nodes work at the same time instead of taking turns. The
 * order per peer holds: the peer applies by sequence whatever order batches arrive in. */

typedef struct {
	hl_http *h; /* its own connection, on the pass's multi */
	char full[1200], cut[512];
	char *body;
	size_t blen, n, k;
	due *v;
	int started;
} flight;

/* Peers that answered 404/405 on the batch path (older nodes): one by one from then on. */
static pthread_mutex_t nobatch_mu = PTHREAD_MUTEX_INITIALIZER;
static char nobatch_units[64][33];
static size_t nobatch_n;

static int peer_nobatch(const char *unit)
{
	int found = 0;
	pthread_mutex_lock(&nobatch_mu);
	for (size_t i = 0; i < nobatch_n && !found; i++)
		found = !strcmp(nobatch_units[i], unit);
	pthread_mutex_unlock(&nobatch_mu);
	return found;
}

static void peer_nobatch_add(const char *unit)
{
	pthread_mutex_lock(&nobatch_mu);
	if (nobatch_n < 64)
		snprintf(nobatch_units[nobatch_n++], 33, "%s", unit);
	pthread_mutex_unlock(&nobatch_mu);
}

static void flight_free(flight *f)
{
	if (!f)
		return;
	hl_http_free(f->h);
	free(f->body);
	free(f);
}

/* The body of a batch: the first f->k envelopes, one a line. */
static void flight_body(flight *f, char **env, const size_t *len)
{
	char *p;
	if (!f->k)
		return;
	if (!(f->body = malloc(f->blen + 1))) {
		f->k = 0;
		snprintf(f->cut, sizeof(f->cut), "out of memory");
		return;
	}
	p = f->body;
	for (size_t i = 0; i < f->k; i++) {
		memcpy(p, env[i], len[i]);
		p += len[i];
		*p++ = '\n';
	}
	*p = '\0';
}

/* Seals v[0..n), uploads their files (blocking, on h), and builds the body; a message that
 * cannot go cuts the batch before it (f->k, f->cut). NULL when out of memory. */
static flight *flight_prepare(hl_node *self, hl_http *h, const char *url, due *v, size_t n,
                              const hl_exchange_send_opts *o)
{
	hl_http_opts ho = {.connect_timeout_ms = o->connect_timeout_ms,
	                   .timeout_ms = o->timeout_ms,
	                   .max_answer = MAX_BATCH_ANSWER};
	flight *f = calloc(1, sizeof(*f));
	char **env = NULL;
	size_t *len = NULL, ul = strlen(url);
	if (!f || !(env = calloc(n, sizeof(*env))) || !(len = calloc(n, sizeof(*len))) ||
	    hl_http_new(&f->h, &ho) < 0) {
		free(env);
		flight_free(f);
		return NULL;
	}
	f->v = v;
	f->n = f->k = n;
	if (ul && url[ul - 1] == '/')
		ul--;
	snprintf(f->full, sizeof(f->full), "%.*s%s", (int)ul, url,
	         o->batch_path ? o->batch_path : DEFAULT_BATCH_PATH);
	for (size_t i = 0; i < n; i++) {
		if (hl_exchange_outbox_seal(&env[i], &len[i], self, v[i].id, 0) < 0) {
			snprintf(f->cut, sizeof(f->cut), "seal: %s", hl_error_last());
			f->k = i;
			break;
		}
		/* the peer takes a batch body of at most HL_EXCHANGE_MAX_ENVELOPE bytes (its
		 * route's limit): the envelopes past it wait for the next batch, nothing failed */
		if (i && f->blen + len[i] + 1 > HL_EXCHANGE_MAX_ENVELOPE) {
			f->k = i;
			break;
		}
		if (upload_attachments(h, self, v[i].recipient, url, env[i], len[i], f->cut,
		                       sizeof(f->cut), o) < 0) {
			f->k = i;
			break;
		}
		f->blen += len[i] + 1;
	}
	flight_body(f, env, len);
	for (size_t i = 0; i < n; i++)
		free(env[i]);
	free(env);
	free(len);
	return f;
}

/* Puts the batch on the wire (the first bytes go out now). */
static void flight_start(flight *f, hl_http_multi *m, const char *self)
{
	char from[64];
	const char *hdr[] = {from, NULL};
	hl_http_req q = {"POST", f->full, "application/x-ndjson", f->body, f->blen, hdr};
	/* names this node, should the batch be refused before it is read */
	snprintf(from, sizeof(from), "X-Halong-From: %s", self);
	if (f->k && hl_http_start(m, f->h, &q) == 0)
		f->started = 1;
}

/* The batch's answer: *ans, one result a line, or the error in perr. 1 when the peer has no
 * batch endpoint (404, 405). */
static int flight_answer(json_t **ans, char *perr, size_t errsize, flight *f)
{
	hl_http_answer *a;
	if (!f->started)
		return 0;
	if (hl_http_finish(&a, f->h) < 0) {
		snprintf(perr, errsize, "%.200s: %.250s", f->full,
		         a->over ? "answer too long" : a->error);
		return 0;
	}
	if (a->status == 404 || a->status == 405)
		return 1;
	if (a->status != 200) {
		size_t n = a->len;
		while (n && (a->body[n - 1] == '\n' || a->body[n - 1] == '\r'))
			a->body[--n] = '\0';
		snprintf(perr, errsize, "%.200s: HTTP %ld%s%.250s", f->full, a->status,
		         n ? ": " : "", a->body);
		return 0;
	}
	*ans = json_array();
	for (const char *q = a->body, *e = a->body + a->len; q < e;) {
		const char *nl = memchr(q, '\n', (size_t)(e - q));
		size_t ll = nl ? (size_t)(nl - q) : (size_t)(e - q);
		if (ll)
			json_array_append_new(*ans, json_loadb(q, ll, 0, NULL));
		q += ll + 1;
	}
	if (json_array_size(*ans) != f->k)
		snprintf(perr, errsize, "%.200s: the answer is not %zu results", f->full, f->k);
	return 0;
}

/* Records a failed attempt of message d with its backoff; the peer is blocked for the pass. */
static int failed_one(char **blocked, hl_node *self, const due *d, const char *err, int64_t base,
                      int64_t cap)
{
	if (!*blocked)
		*blocked = hl_strdup(d->recipient);
	return hl_exchange_outbox_failed(self->st, d->id, err,
	                                 hl_exchange__now_ms() +
	                                     hl_exchange_backoff_ms(d->attempts + 1, base, cap));
}

/* The results of a batch, in one transaction: each receipt recorded, each refusal with its
 * backoff. */
static int flight_results(size_t *ok, size_t *bad, char **blocked, hl_node *self, flight *f,
                          json_t *ans, int64_t base, int64_t cap)
{
	char ierr[512];
	int rc;
	if (!f->k)
		return 0;
	if ((rc = hl_store_begin(self->st)) < 0)
		return rc;
	for (size_t i = 0; i < f->k; i++) {
		json_t *x = json_array_get(ans, i);
		const char *rec = json_string_value(json_object_get(x, "receipt"));
		if (json_integer_value(json_object_get(x, "status")) == 200 && rec &&
		    hl_exchange_outbox_delivered(self, rec, strlen(rec)) == 0) {
			(*ok)++;
			continue;
		}
		if (!rec) {
			json_t *e = json_object_get(x, "error");
			char *line = json_dumps(e ? e : x, JSON_COMPACT);
			snprintf(ierr, sizeof(ierr), "%.200s: HTTP %lld: %.250s", f->full,
			         (long long)json_integer_value(json_object_get(x, "status")),
			         line ? line : "?");
			free(line);
		} else {
			snprintf(ierr, sizeof(ierr),
			         "%.200s: the answer is not a valid receipt: %.200s", f->full,
			         hl_error_last());
		}
		/* A later message the peer accepted (held, waiting for this one) is delivered
		 * all the same: its receipt is in the answer. */
		(*bad)++;
		if ((rc = failed_one(blocked, self, &f->v[i], ierr, base, cap)) < 0) {
			hl_store_rollback(self->st);
			return rc;
		}
	}
	return hl_store_commit(self->st);
}

/* Waits for f's answer and records it: receipts in one transaction, the first failure with
 * its backoff. The number of messages handled, 0 when the peer has no batch endpoint (the
 * messages stay waiting: one by one at the next pass), < 0 on an error of this store. */
static int flight_finish(size_t *ok, size_t *bad, char **blocked, hl_node *self, flight *f,
                         int64_t base, int64_t cap)
{
	char perr[512] = "";
	json_t *ans = NULL;
	int rc;

	if (flight_answer(&ans, perr, sizeof(perr), f) == 1) {
		peer_nobatch_add(f->v[0].recipient);
		free(*blocked);
		*blocked = hl_strdup(f->v[0].recipient);
		return 0;
	}
	if (perr[0])
		f->k = 0; /* the first message carries the error; the others wait */
	rc = flight_results(ok, bad, blocked, self, f, ans, base, cap);
	json_decref(ans);
	if (rc < 0)
		return rc;
	if (perr[0] || (f->k < f->n && f->cut[0])) {
		/* the POST failed (the first message carries it) or message k could not go */
		size_t i = perr[0] ? 0 : f->k;
		(*bad)++;
		free(*blocked);
		*blocked = NULL;
		if ((rc = failed_one(blocked, self, &f->v[i], perr[0] ? perr : f->cut, base, cap)) <
		    0)
			return rc;
	}
	return (int)f->n;
}

/* ---- a pass ---- */

typedef struct {
	hl_node *self;
	const hl_exchange_send_opts *o;
	const char *path;
	int64_t base, cap;
	hl_http *h;       /* one connection for single requests and uploads */
	hl_http_multi *m; /* batches on the wire */
	flight *prev;     /* a batch on the wire, its answer not recorded yet */
	char *blocked;    /* the last peer that failed in this pass */
	size_t ok, bad;
} pass;

/* Records the batch on the wire, if any. */
static int pass_land(pass *p)
{
	int rc = 0;
	if (p->prev) {
		rc = flight_finish(&p->ok, &p->bad, &p->blocked, p->self, p->prev, p->base, p->cap);
		flight_free(p->prev);
		p->prev = NULL;
	}
	return rc < 0 ? rc : 0;
}

/* v[0..n) to one peer as a batch: this one out, then the previous one's answer recorded. */
static int pass_batch(pass *p, const char *url, due *v, size_t n)
{
	flight *cur = flight_prepare(p->self, p->h, url, v, n, p->o);
	int rc;
	if (!cur)
		return hl_error_set(HL_ENOMEM, "out of memory");
	flight_start(cur, p->m, p->self->unit);
	if ((rc = pass_land(p)) < 0) {
		flight_free(cur);
		return rc;
	}
	p->prev = cur;
	return 0;
}

/* One message alone: sealed, its files uploaded, POSTed, its receipt recorded. */
static int pass_one(pass *p, const char *url, const due *d)
{
	char err[512] = "", *full = NULL, *env = NULL;
	size_t len = 0;
	hl_http_answer *a;

	if (!url)
		snprintf(err, sizeof(err), "%s is not in the directory or is revoked",
		         d->recipient);
	else if (!(full = malloc(strlen(url) + strlen(p->path) + 1)))
		snprintf(err, sizeof(err), "out of memory");
	else {
		/* "http://host:8080/" + "/api/..." without a doubled slash */
		size_t ul = strlen(url);
		memcpy(full, url, ul + 1);
		if (ul && full[ul - 1] == '/' && p->path[0] == '/')
			full[ul - 1] = '\0';
		strcat(full, p->path);
	}
	if (!err[0] && hl_exchange_outbox_seal(&env, &len, p->self, d->id, 0) < 0)
		snprintf(err, sizeof(err), "seal: %s", hl_error_last());
	if (!err[0] && upload_attachments(p->h, p->self, d->recipient, url, env, len, err,
	                                  sizeof(err), p->o) < 0)
		; /* err says why; the envelope waits for its files */
	else if (!err[0] &&
	         request(p->h, "POST", full, env, len, NULL, &a, err, sizeof(err), 0, NULL, NULL) ==
	             0 &&
	         hl_exchange_outbox_delivered(p->self, a->body, a->len) < 0)
		snprintf(err, sizeof(err), "%.200s: the answer is not a valid receipt: %.200s",
		         full, hl_error_last());
	free(env);
	free(full);
	if (!err[0]) {
		p->ok++;
		return 0;
	}
	p->bad++;
	free(p->blocked);
	p->blocked = NULL;
	return failed_one(&p->blocked, p->self, d, err, p->base, p->cap);
}

/* The messages of l from i on: one, or a batch to its peer. The number taken, or < 0. */
static int pass_next(pass *p, due_list *l, size_t i)
{
	due *d = &l->v[i];
	char *url = NULL;
	int rc;

	/* Order per peer: after a failure its later messages wait for the next pass. */
	if (p->blocked && !strcmp(p->blocked, d->recipient))
		return 1;
	rc = hl_store_xpeer_get(p->self->st, d->recipient, grab_url, &url);
	if (rc < 0 && rc != HL_ENOTFOUND)
		return rc;
	if (url && p->m && !peer_nobatch(d->recipient)) {
		size_t n = 1, lim = p->o->batch < MAX_BATCH ? p->o->batch : MAX_BATCH;
		while (i + n < l->n && n < lim && !strcmp(l->v[i + n].recipient, d->recipient))
			n++;
		rc = pass_batch(p, url, d, n);
		free(url);
		return rc < 0 ? rc : (int)n;
	}
	rc = pass_one(p, url, d);
	free(url);
	return rc < 0 ? rc : 1;
}

int hl_exchange_send_due(size_t *sent, size_t *failed, hl_node *self,
                         const hl_exchange_send_opts *o)
{
	hl_http_opts ho = {.connect_timeout_ms = o ? o->connect_timeout_ms : 0,
	                   .timeout_ms = o ? o->timeout_ms : 0,
	                   .max_answer = MAX_ANSWER};
	pass p = {.self = self,
	          .o = o,
	          .path = o && o->path ? o->path : DEFAULT_PATH,
	          .base = o && o->backoff_base_ms ? o->backoff_base_ms : 1000,
	          .cap = o && o->backoff_cap_ms ? o->backoff_cap_ms : 600000};
	due_list l = {0};
	int rc;

	/* 0 as the time: every waiting message (the store's "due by" test is skipped) */
	if ((rc = hl_store_xout_pending(self->st, NULL, o && o->all ? 0 : hl_exchange__now_ms(),
	                                o && o->max ? o->max : 1000, collect, &l)) < 0)
		goto done;
	if (l.n && ((rc = hl_http_new(&p.h, &ho)) < 0 ||
	            (o && o->batch > 1 && (rc = hl_http_multi_new(&p.m)) < 0)))
		goto done;
	for (size_t i = 0; i < l.n;) {
		if ((rc = pass_next(&p, &l, i)) < 0)
			goto done;
		i += (size_t)rc;
	}
	if ((rc = pass_land(&p)) < 0)
		goto done;
	if (sent)
		*sent = p.ok;
	if (failed)
		*failed = p.bad;
	rc = 0;
done:
	for (size_t i = 0; i < l.n; i++) {
		free(l.v[i].id);
		free(l.v[i].recipient);
	}
	free(l.v);
	free(p.blocked);
	flight_free(p.prev);
	hl_http_multi_free(p.m);
	hl_http_free(p.h);
	return rc;
}
