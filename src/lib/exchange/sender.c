/* Delivery over HTTP: a pass over the outbox that POSTs each due message with libcurl, records
 * the recipient's receipt or the error, and schedules retries with exponential backoff and
 * jitter. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "exchange_int.h"
#include "store/store_exchange.h"
#include "halong/util.h"

#define DEFAULT_PATH       "/api/v1/exchange/inbox"
#define DEFAULT_ATT_PATH   "/api/v1/exchange/attachments"
#define DEFAULT_BATCH_PATH "/api/v1/exchange/inbox/batch"
#define MAX_ANSWER         8192       /* a receipt is a few hundred bytes; an error line, less */
#define MAX_BATCH_ANSWER   (1u << 20) /* a batch's answers: a receipt or a reason each */
#define MAX_BATCH          256

/* libcurl's global state once per process (curl_global_init is not safe to race). */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ok;

static void curl_start(void)
{
	curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

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

typedef struct {
	char buf[MAX_BATCH_ANSWER + 1];
	size_t limit; /* MAX_ANSWER, or MAX_BATCH_ANSWER for a batch */
	size_t n;
	int over;
} answer;

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	answer *a = ud;
	size_t len = size * nmemb;
	if (a->n + len > (a->limit ? a->limit : MAX_ANSWER)) {
		a->over = 1;
		return 0; /* stops the transfer: no peer needs more than this to answer */
	}
	memcpy(a->buf + a->n, p, len);
	a->n += len;
	a->buf[a->n] = '\0';
	return len;
}

/* One request: POST (the envelope, JSON), PUT (an attachment's chunk, octet-stream, `from`
 * naming this node) or GET (body NULL). 0 with the answer in *a when the status is 200 (or
 * `ok2` when not 0), or -1 with the error in `err`; *status_out gets the status. */
static int request(CURL *c, const char *method, const char *url, const char *body, size_t len,
                   const char *from, answer *a, char *err, size_t errsize,
                   const hl_exchange_send_opts *o, long ok2, long *status_out,
                   const char *const *extra)
{
	char curl_err[CURL_ERROR_SIZE] = "", fromh[64];
	struct curl_slist *h = NULL;
	long status = 0;
	CURLcode rc;

	h = curl_slist_append(h, strcmp(method, "PUT") ? "Content-Type: application/json"
	                                               : "Content-Type: application/octet-stream");
	h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
	if (from) {
		snprintf(fromh, sizeof(fromh), "X-Halong-From: %s", from);
		h = curl_slist_append(h, fromh);
	}
	for (; extra && *extra; extra++)
		h = curl_slist_append(h, *extra);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, strcmp(method, "POST") ? method : NULL);
	} else {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	                 o && o->connect_timeout_ms ? o->connect_timeout_ms : 5000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o && o->timeout_ms ? o->timeout_ms : 30000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "halong/" HL_VERSION);
	a->n = 0;
	a->over = 0;
	a->buf[0] = '\0';
	rc = curl_easy_perform(c);
	curl_slist_free_all(h);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	if (rc != CURLE_OK) {
		snprintf(err, errsize, "%s: %s", url,
		         a->over       ? "answer too long"
		         : curl_err[0] ? curl_err
		                       : curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status_out)
		*status_out = status;
	if (status != 200 && (!ok2 || status != ok2)) {
		/* The peer's one-line reason, if it gave one, is what the status page shows. */
		size_t n = a->n;
		while (n && (a->buf[n - 1] == '\n' || a->buf[n - 1] == '\r'))
			a->buf[--n] = '\0';
		snprintf(err, errsize, "%s: HTTP %ld%s%.300s", url, status, n ? ": " : "", a->buf);
		return -1;
	}
	return 0;
}

/* Uploads the attachments of a sealed envelope that the peer does not hold whole yet, in
 * chunks, each resumed from the offset the peer reports (GET .../attachments/SHA answers
 * {"offset":N,"complete":bool}). 0, or -1 with the error in `err`. */
static int upload_attachments(CURL *c, hl_node *self, const char *to, const char *url,
                              const char *env, size_t envlen, answer *a, char *err, size_t errsize,
                              const hl_exchange_send_opts *o)
{
	const char *apath = o && o->attachments_path ? o->attachments_path : DEFAULT_ATT_PATH;
	size_t chunk = o && o->chunk ? o->chunk : 4u << 20;
	json_t *root = NULL, *atts;
	char *buf = NULL;
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
	if (!json_array_size(atts)) {
		rc = 0;
		goto done;
	}
	if (!(buf = malloc(chunk))) {
		snprintf(err, errsize, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < json_array_size(atts); i++) {
		json_t *x = json_array_get(atts, i);
		const char *sha = json_string_value(json_object_get(x, "sha256"));
		int64_t size = json_integer_value(json_object_get(x, "size")), off = -1;
		char base[1200], full[1300], blob[4200];
		FILE *f = NULL;
		int tries = 0, whole = 0, finish = 0;

		size_t ul = strlen(url);
		if (ul && url[ul - 1] == '/')
			ul--;
		snprintf(base, sizeof(base), "%.*s%s/%s", (int)ul, url, apath, sha);
		snprintf(blob, sizeof(blob), "%s/%.2s/%s",
		         o && o->blobs_dir ? o->blobs_dir : self->blobs, sha, sha + 2);
		for (;;) {
			json_t *ans;
			long status = 0;
			size_t want, got;
			if (off < 0) {
				if (request(c, "GET", base, NULL, 0, self->unit, a, err, errsize, o,
				            0, NULL, NULL) < 0)
					goto fail;
				ans = json_loadb(a->buf, a->n, 0, NULL);
				off = json_integer_value(json_object_get(ans, "offset"));
				whole = json_is_true(json_object_get(ans, "complete"));
				json_decref(ans);
			}
			if (whole)
				break;
			/* The peer holds every byte but never finished the file (a crash between
			 * the last write and its rename): an empty chunk at the end makes it hash
			 * and keep it — or drop it, and the next attempt starts again. Once. */
			if (off >= size) {
				if (finish++)
					break;
				off = size;
			}
			if (++tries > 100000) {
				snprintf(err, errsize, "%s: no progress", base);
				goto fail;
			}
			if (!f && !(f = fopen(blob, "rb"))) {
				snprintf(err, errsize,
				         "attachment %.12s…: the blob is missing here", sha);
				goto fail;
			}
			want = (size_t)(size - off) < chunk ? (size_t)(size - off) : chunk;
			if (fseeko(f, (off_t)off, SEEK_SET) != 0 ||
			    (got = fread(buf, 1, want, f)) != want) {
				snprintf(err, errsize, "attachment %.12s…: cannot read the blob",
				         sha);
				goto fail;
			}
			snprintf(full, sizeof(full), "%s?offset=%lld&size=%lld", base,
			         (long long)off, (long long)size);
			{
				/* signed: the peer takes a chunk only from the node it names */
				char sig[HL_X_SIG_B64], hs[HL_X_SIG_B64 + 32], ht[64];
				const char *extra[] = {hs, ht, NULL};
				int64_t t = hl_exchange__now_ms();
				hl_exchange_upload_sign(sig, self, to, sha, off, size, buf, got, t);
				snprintf(hs, sizeof(hs), "X-Halong-Signature: %s", sig);
				snprintf(ht, sizeof(ht), "X-Halong-Time: %lld", (long long)t);
				if (request(c, "PUT", full, buf, got, self->unit, a, err, errsize,
				            o, 409, &status, extra) < 0)
					goto fail;
			}
			/* 409: the peer holds another length (an earlier attempt went further, or
			 * it lost a tail): resume from what it reports. */
			ans = json_loadb(a->buf, a->n, 0, NULL);
			if (status == 409) {
				json_t *e = json_object_get(ans, "error");
				json_t *ro = json_object_get(e ? e : ans, "offset");
				off = json_is_integer(ro) ? json_integer_value(ro) : -1;
			} else {
				off = json_integer_value(json_object_get(ans, "offset"));
				whole = json_is_true(json_object_get(ans, "complete"));
			}
			json_decref(ans);
		}
		if (f)
			fclose(f);
		continue;
	fail:
		if (f)
			fclose(f);
		goto done;
	}
	rc = 0;
done:
	free(buf);
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
	CURL *h;
	struct curl_slist *hdr;
	answer *a;
	char curl_err[CURL_ERROR_SIZE];
	char full[1200], cut[512];
	char *body;
	size_t blen, n, k;
	due *v;
	int started, done;
	CURLcode result;
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
	if (f->h)
		curl_easy_cleanup(f->h);
	curl_slist_free_all(f->hdr);
	free(f->a);
	free(f->body);
	free(f);
}

/* Seals v[0..n), uploads their files (blocking, on c), and builds the body; a message that
 * cannot go cuts the batch before it (f->k, f->cut). NULL when out of memory. */
static flight *flight_prepare(hl_node *self, CURL *c, answer *a, const char *url, due *v, size_t n,
                              const hl_exchange_send_opts *o)
{
	flight *f = calloc(1, sizeof(*f));
	char **env = NULL;
	size_t *len = NULL, ul = strlen(url);
	if (!f || !(f->a = malloc(sizeof(*f->a))) || !(env = calloc(n, sizeof(*env))) ||
	    !(len = calloc(n, sizeof(*len)))) {
		free(env);
		flight_free(f);
		return NULL;
	}
	f->a->limit = MAX_BATCH_ANSWER;
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
		if (upload_attachments(c, self, v[i].recipient, url, env[i], len[i], a, f->cut,
		                       sizeof(f->cut), o) < 0) {
			f->k = i;
			break;
		}
		f->blen += len[i] + 1;
	}
	if (f->k && (f->body = malloc(f->blen + 1))) {
		char *p = f->body;
		for (size_t i = 0; i < f->k; i++) {
			memcpy(p, env[i], len[i]);
			p += len[i];
			*p++ = '\n';
		}
		*p = '\0';
	} else if (f->k) {
		f->k = 0;
		snprintf(f->cut, sizeof(f->cut), "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		free(env[i]);
	free(env);
	free(len);
	return f;
}

/* Puts the batch on the wire (the first bytes go out now). */
static void flight_start(flight *f, CURLM *m, const hl_exchange_send_opts *o)
{
	if (!f->k || !(f->h = curl_easy_init()))
		return;
	f->hdr = curl_slist_append(f->hdr, "Content-Type: application/x-ndjson");
	f->hdr = curl_slist_append(f->hdr, "Expect:");
	f->a->n = 0;
	f->a->over = 0;
	f->a->buf[0] = '\0';
	curl_easy_setopt(f->h, CURLOPT_URL, f->full);
	curl_easy_setopt(f->h, CURLOPT_HTTPHEADER, f->hdr);
	curl_easy_setopt(f->h, CURLOPT_POSTFIELDS, f->body);
	curl_easy_setopt(f->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)f->blen);
	curl_easy_setopt(f->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(f->h, CURLOPT_WRITEDATA, f->a);
	curl_easy_setopt(f->h, CURLOPT_ERRORBUFFER, f->curl_err);
	curl_easy_setopt(f->h, CURLOPT_CONNECTTIMEOUT_MS,
	                 o->connect_timeout_ms ? o->connect_timeout_ms : 5000L);
	curl_easy_setopt(f->h, CURLOPT_TIMEOUT_MS, o->timeout_ms ? o->timeout_ms : 30000L);
	curl_easy_setopt(f->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(f->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(f->h, CURLOPT_USERAGENT, "halong/" HL_VERSION);
	curl_easy_setopt(f->h, CURLOPT_PRIVATE, f);
	if (curl_multi_add_handle(m, f->h) == CURLM_OK) {
		int running;
		f->started = 1;
		curl_multi_perform(m, &running);
	}
}

/* Drives the transfers until f is done (another flight finishing meanwhile is marked). */
static void flight_wait(flight *f, CURLM *m)
{
	while (f->started && !f->done) {
		int running = 0, q;
		CURLMsg *msg;
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &q))) {
			flight *x = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			if (x) {
				x->done = 1;
				x->result = msg->data.result;
			}
		}
		if (!f->done)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
}

/* Waits for f's answer and records it: receipts in one transaction, the first failure with
 * its backoff. The number of messages handled, 0 when the peer has no batch endpoint (the
 * messages stay waiting: one by one at the next pass), < 0 on an error of this store. */
static int flight_finish(size_t *ok, size_t *bad, char **blocked, hl_node *self, flight *f,
                         CURLM *m, int64_t base, int64_t cap)
{
	char perr[512] = "", ierr[512];
	json_t *ans = NULL;
	long status = 0;
	int rc = 0, began = 0;

	flight_wait(f, m);
	if (f->started) {
		curl_multi_remove_handle(m, f->h);
		if (f->result != CURLE_OK) {
			snprintf(perr, sizeof(perr), "%.200s: %.250s", f->full,
			         f->a->over       ? "answer too long"
			         : f->curl_err[0] ? f->curl_err
			                          : curl_easy_strerror(f->result));
		} else {
			curl_easy_getinfo(f->h, CURLINFO_RESPONSE_CODE, &status);
			if (status == 404 || status == 405) {
				peer_nobatch_add(f->v[0].recipient);
				free(*blocked);
				*blocked = hl_strdup(f->v[0].recipient);
				return 0;
			}
			if (status != 200) {
				size_t n = f->a->n;
				while (n && (f->a->buf[n - 1] == '\n' || f->a->buf[n - 1] == '\r'))
					f->a->buf[--n] = '\0';
				snprintf(perr, sizeof(perr), "%.200s: HTTP %ld%s%.250s", f->full,
				         status, n ? ": " : "", f->a->buf);
			} else {
				const char *q = f->a->buf, *e = f->a->buf + f->a->n;
				ans = json_array();
				while (q < e) {
					const char *nl = memchr(q, '\n', (size_t)(e - q));
					size_t ll = nl ? (size_t)(nl - q) : (size_t)(e - q);
					if (ll)
						json_array_append_new(ans,
						                      json_loadb(q, ll, 0, NULL));
					q += ll + 1;
				}
				if (json_array_size(ans) != f->k)
					snprintf(perr, sizeof(perr),
					         "%.200s: the answer is not %zu results", f->full,
					         f->k);
			}
		}
	}
	if (perr[0])
		f->k = 0; /* the first message carries the error; the others wait */
	if (f->k > 0) {
		if ((rc = hl_store_begin(self->st)) < 0)
			goto done;
		began = 1;
	}
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
		if ((rc = hl_exchange_outbox_failed(
		         self->st, f->v[i].id, ierr,
		         hl_exchange__now_ms() +
		             hl_exchange_backoff_ms(f->v[i].attempts + 1, base, cap))) < 0)
			goto done;
		if (!*blocked)
			*blocked = hl_strdup(f->v[i].recipient);
	}
	if (began) {
		began = 0;
		if ((rc = hl_store_commit(self->st)) < 0)
			goto done;
	}
	if (perr[0] || (f->k < f->n && f->cut[0])) {
		/* the POST failed (the first message carries it) or message k could not go */
		size_t i = perr[0] ? 0 : f->k;
		(*bad)++;
		free(*blocked);
		*blocked = hl_strdup(f->v[i].recipient);
		if ((rc = hl_exchange_outbox_failed(
		         self->st, f->v[i].id, perr[0] ? perr : f->cut,
		         hl_exchange__now_ms() +
		             hl_exchange_backoff_ms(f->v[i].attempts + 1, base, cap))) < 0)
			goto done;
	}
	rc = (int)f->n;
done:
	if (began)
		hl_store_rollback(self->st);
	json_decref(ans);
	return rc;
}

int hl_exchange_send_due(size_t *sent, size_t *failed, hl_node *self,
                         const hl_exchange_send_opts *o)
{
	const char *path = o && o->path ? o->path : DEFAULT_PATH;
	int64_t base = o && o->backoff_base_ms ? o->backoff_base_ms : 1000;
	int64_t cap = o && o->backoff_cap_ms ? o->backoff_cap_ms : 600000;
	due_list l = {0};
	answer *a = NULL;
	CURL *c = NULL;
	size_t ok = 0, bad = 0;
	char *blocked = NULL; /* the last peer that failed in this pass */
	flight *prev = NULL;  /* a batch on the wire, its answer not recorded yet */
	CURLM *m = NULL;
	int rc;

	if ((rc = hl_store_xout_pending(self->st, NULL, hl_exchange__now_ms(),
	                                o && o->max ? o->max : 1000, collect, &l)) < 0)
		goto done;
	if (l.n == 0)
		goto finish;
	pthread_once(&curl_once, curl_start);
	if (!curl_ok || !(c = curl_easy_init()) || !(a = malloc(sizeof(*a)))) {
		rc = hl_error_set(HL_ERROR, "libcurl could not start");
		goto done;
	}
	a->limit = MAX_ANSWER;
	if (o && o->batch > 1 && !(m = curl_multi_init())) {
		rc = hl_error_set(HL_ERROR, "libcurl could not start");
		goto done;
	}
	for (size_t i = 0; i < l.n; i++) {
		due *d = &l.v[i];
		char err[512] = "", *url = NULL, *full = NULL, *env = NULL;
		size_t len = 0;
		int r;

		/* Order per peer: after a failure its later messages wait for the next pass. */
		if (blocked && !strcmp(blocked, d->recipient))
			continue;
		r = hl_store_xpeer_get(self->st, d->recipient, grab_url, &url);
		if (r < 0 && r != HL_ENOTFOUND) {
			rc = r;
			goto done;
		}
		if (url && o && o->batch > 1 && !peer_nobatch(d->recipient)) {
			size_t n = 1, lim = o->batch < MAX_BATCH ? o->batch : MAX_BATCH;
			flight *cur;
			while (i + n < l.n && n < lim &&
			       !strcmp(l.v[i + n].recipient, d->recipient))
				n++;
			/* this batch out, then the previous one's answer recorded */
			cur = flight_prepare(self, c, a, url, d, n, o);
			free(url);
			if (!cur) {
				rc = hl_error_set(HL_ENOMEM, "out of memory");
				goto done;
			}
			flight_start(cur, m, o);
			if (prev) {
				r = flight_finish(&ok, &bad, &blocked, self, prev, m, base, cap);
				flight_free(prev);
				prev = NULL;
				if (r < 0) {
					flight_free(cur);
					rc = r;
					goto done;
				}
			}
			prev = cur;
			i += n - 1;
			continue;
		}
		if (!url)
			snprintf(err, sizeof(err), "%s is not in the directory or is revoked",
			         d->recipient);
		else if (!(full = malloc(strlen(url) + strlen(path) + 1)))
			snprintf(err, sizeof(err), "out of memory");
		else {
			/* "http://host:8080/" + "/api/..." without a doubled slash */
			size_t ul = strlen(url);
			memcpy(full, url, ul + 1);
			if (ul && full[ul - 1] == '/' && path[0] == '/')
				full[ul - 1] = '\0';
			strcat(full, path);
		}
		if (!err[0] && hl_exchange_outbox_seal(&env, &len, self, d->id, 0) < 0)
			snprintf(err, sizeof(err), "seal: %s", hl_error_last());
		if (!err[0] && upload_attachments(c, self, d->recipient, url, env, len, a, err,
		                                  sizeof(err), o) < 0)
			; /* err says why; the envelope waits for its files */
		else if (!err[0] &&
		         request(c, "POST", full, env, len, NULL, a, err, sizeof(err), o, 0, NULL,
		                 NULL) == 0 &&
		         hl_exchange_outbox_delivered(self, a->buf, a->n) < 0)
			snprintf(err, sizeof(err),
			         "%.200s: the answer is not a valid receipt: %.200s", full,
			         hl_error_last());
		free(env);
		free(url);
		free(full);
		if (!err[0]) {
			ok++;
			continue;
		}
		bad++;
		free(blocked);
		blocked = hl_strdup(d->recipient);
		if ((r = hl_exchange_outbox_failed(
		         self->st, d->id, err,
		         hl_exchange__now_ms() +
		             hl_exchange_backoff_ms(d->attempts + 1, base, cap))) < 0) {
			rc = r;
			goto done;
		}
	}
	if (prev) {
		int r = flight_finish(&ok, &bad, &blocked, self, prev, m, base, cap);
		flight_free(prev);
		prev = NULL;
		if (r < 0) {
			rc = r;
			goto done;
		}
	}
finish:
	if (sent)
		*sent = ok;
	if (failed)
		*failed = bad;
	rc = 0;
done:
	for (size_t i = 0; i < l.n; i++) {
		free(l.v[i].id);
		free(l.v[i].recipient);
	}
	free(l.v);
	free(blocked);
	flight_free(prev);
	if (m)
		curl_multi_cleanup(m);
	free(a);
	if (c)
		curl_easy_cleanup(c);
	return rc;
}
