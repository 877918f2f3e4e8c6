/* Delivery over HTTP: a pass over the outbox that POSTs each due message with libcurl, records
 * the recipient's receipt or the error, and schedules retries with exponential backoff and
 * jitter. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "exchange_int.h"
#include "halong/store_exchange.h"
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
                   const hl_exchange_send_opts *o, long ok2, long *status_out)
{
	char curl_err[CURL_ERROR_SIZE] = "", fromh[64];
	struct curl_slist *h = NULL;
	long status = 0;
	CURLcode rc;

	h = curl_slist_append(h, !strcmp(method, "PUT") ? "Content-Type: application/octet-stream"
	                         : !strcmp(method, "BATCH") ? "Content-Type: application/x-ndjson"
	                                                    : "Content-Type: application/json");
	if (!strcmp(method, "BATCH"))
		method = "POST";
	h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
	if (from) {
		snprintf(fromh, sizeof(fromh), "X-Halong-From: %s", from);
		h = curl_slist_append(h, fromh);
	}
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
static int upload_attachments(CURL *c, hl_node *self, const char *url, const char *env,
                              size_t envlen, answer *a, char *err, size_t errsize,
                              const hl_exchange_send_opts *o)
{
	const char *apath = o && o->attachments_path ? o->attachments_path : DEFAULT_ATT_PATH;
	size_t chunk = o && o->chunk ? o->chunk : 4u << 20;
	json_t *root = json_loadb(env, envlen, 0, NULL), *atts;
	char *buf = NULL;
	int rc = -1;

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
		int tries = 0;

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
				            0, NULL) < 0)
					goto fail;
				ans = json_loadb(a->buf, a->n, 0, NULL);
				off = json_integer_value(json_object_get(ans, "offset"));
				if (json_is_true(json_object_get(ans, "complete")))
					off = size;
				json_decref(ans);
			}
			if (off >= size)
				break;
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
			if (request(c, "PUT", full, buf, got, self->unit, a, err, errsize, o, 409,
			            &status) < 0)
				goto fail;
			/* 409: the peer holds another length (an earlier attempt went further, or
			 * it lost a tail): resume from what it reports. */
			ans = json_loadb(a->buf, a->n, 0, NULL);
			if (status == 409) {
				json_t *e = json_object_get(ans, "error");
				json_t *ro = json_object_get(e ? e : ans, "offset");
				off = json_is_integer(ro) ? json_integer_value(ro) : -1;
			} else {
				off = json_integer_value(json_object_get(ans, "offset"));
				if (json_is_true(json_object_get(ans, "complete")))
					off = size;
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

/* Delivers l->v[from..from+n) (one peer, by sequence) in one POST of their envelopes, one a
 * line, to URL/api/v1/exchange/inbox/batch; the peer accepts them in one transaction and
 * answers {"status","receipt"|"error"} a line, in order. Receipts are recorded in one
 * transaction here. Returns how many messages were handled (delivered or failed) and counts
 * them; 0 when the peer has no batch endpoint (404/405: the caller sends one by one); < 0 on
 * an error of this node's store. */
static int send_batch(size_t *ok, size_t *bad, char **blocked, hl_node *self, CURL *c, answer *a,
                      const char *url, due *v, size_t n, const hl_exchange_send_opts *o,
                      int64_t base, int64_t cap)
{
	char cut[512] = "", perr[512] = "", ierr[512], full[1200], **env = NULL;
	size_t *len = NULL, total = 0, k = n, ul = strlen(url);
	json_t *ans = NULL;
	char *body = NULL;
	long status = 0;
	int rc = 0, began = 0;

	if (ul && url[ul - 1] == '/')
		ul--;
	snprintf(full, sizeof(full), "%.*s%s", (int)ul, url,
	         o->batch_path ? o->batch_path : DEFAULT_BATCH_PATH);
	if (!(env = calloc(n, sizeof(*env))) || !(len = calloc(n, sizeof(*len)))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	/* Seal each and upload its files; a message that cannot go cuts the batch before it. */
	for (size_t i = 0; i < n; i++) {
		if (hl_exchange_outbox_seal(&env[i], &len[i], self, v[i].id, 0) < 0) {
			snprintf(cut, sizeof(cut), "seal: %s", hl_error_last());
			k = i;
			break;
		}
		if (upload_attachments(c, self, url, env[i], len[i], a, cut, sizeof(cut), o) < 0) {
			k = i;
			break;
		}
		total += len[i] + 1;
	}
	if (k > 0) {
		char *p = body = malloc(total + 1);
		if (!body) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		for (size_t i = 0; i < k; i++) {
			memcpy(p, env[i], len[i]);
			p += len[i];
			*p++ = '\n';
		}
		*p = '\0';
		a->limit = MAX_BATCH_ANSWER;
		rc = request(c, "BATCH", full, body, total, NULL, a, perr, sizeof(perr), o, 0,
		             &status);
		a->limit = MAX_ANSWER;
		if (rc < 0 && (status == 404 || status == 405)) {
			rc = 0; /* an older peer: one by one */
			goto done;
		}
		if (rc == 0) {
			/* NDJSON: one result a line, in order */
			const char *q = a->buf, *e = a->buf + a->n;
			ans = json_array();
			while (q < e) {
				const char *nl = memchr(q, '\n', (size_t)(e - q));
				size_t ll = nl ? (size_t)(nl - q) : (size_t)(e - q);
				if (ll)
					json_array_append_new(ans, json_loadb(q, ll, 0, NULL));
				q += ll + 1;
			}
			if (json_array_size(ans) != k)
				snprintf(perr, sizeof(perr),
				         "%.200s: the answer is not %zu results", full, k);
		}
		rc = 0;
		if (perr[0])
			k = 0; /* the first message carries the error; the others wait */
	}
	if (k > 0) {
		if ((rc = hl_store_begin(self->st)) < 0)
			goto done;
		began = 1;
	}
	for (size_t i = 0; i < k; i++) {
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
			snprintf(ierr, sizeof(ierr), "%.200s: HTTP %lld: %.250s", full,
			         (long long)json_integer_value(json_object_get(x, "status")),
			         line ? line : "?");
			free(line);
		} else {
			snprintf(ierr, sizeof(ierr),
			         "%.200s: the answer is not a valid receipt: %.200s", full,
			         hl_error_last());
		}
		/* A later message the peer accepted (held, waiting for this one) is delivered
		 * all the same: its receipt is in the answer. */
		(*bad)++;
		if ((rc = hl_exchange_outbox_failed(
		         self->st, v[i].id, ierr,
		         hl_exchange__now_ms() +
		             hl_exchange_backoff_ms(v[i].attempts + 1, base, cap))) < 0)
			goto done;
		if (!*blocked)
			*blocked = hl_strdup(v[i].recipient);
	}
	if (began) {
		began = 0;
		if ((rc = hl_store_commit(self->st)) < 0)
			goto done;
	}
	if (perr[0] || (k < n && cut[0])) {
		/* the POST failed (the first message carries it) or message k could not go */
		size_t f = perr[0] ? 0 : k;
		(*bad)++;
		free(*blocked);
		*blocked = hl_strdup(v[f].recipient);
		if ((rc = hl_exchange_outbox_failed(
		         self->st, v[f].id, perr[0] ? perr : cut,
		         hl_exchange__now_ms() +
		             hl_exchange_backoff_ms(v[f].attempts + 1, base, cap))) < 0)
			goto done;
	}
	rc = (int)n;
done:
	if (began)
		hl_store_rollback(self->st);
	for (size_t i = 0; env && i < n; i++)
		free(env[i]);
	free(env);
	free(len);
	free(body);
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
	char *nobatch = NULL; /* a peer without the batch endpoint: one by one */
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
		if (url && o && o->batch > 1 && !(nobatch && !strcmp(nobatch, d->recipient))) {
			size_t n = 1, lim = o->batch < MAX_BATCH ? o->batch : MAX_BATCH;
			while (i + n < l.n && n < lim &&
			       !strcmp(l.v[i + n].recipient, d->recipient))
				n++;
			r = send_batch(&ok, &bad, &blocked, self, c, a, url, d, n, o, base, cap);
			if (r < 0) {
				free(url);
				rc = r;
				goto done;
			}
			if (r > 0) {
				free(url);
				i += n - 1;
				continue;
			}
			free(nobatch);
			nobatch = hl_strdup(d->recipient);
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
		if (!err[0] &&
		    upload_attachments(c, self, url, env, len, a, err, sizeof(err), o) < 0)
			; /* err says why; the envelope waits for its files */
		else if (!err[0] &&
		         request(c, "POST", full, env, len, NULL, a, err, sizeof(err), o, 0,
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
	free(nobatch);
	free(a);
	if (c)
		curl_easy_cleanup(c);
	return rc;
}
