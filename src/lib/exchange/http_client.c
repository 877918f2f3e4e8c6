/* The library's one HTTP client over libcurl (http_client.h): the options every request of the
 * exchange and the feed shares, the answer taken up to a limit, and several transfers driven at
 * once for the sender's pipelined batches. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "exchange/http_client.h"
#include "halong/common.h"

struct hl_http {
	CURL *c;
	hl_http_opts o;
	struct curl_slist *hdr; /* the request's headers, until its answer is read */
	char curl_err[CURL_ERROR_SIZE];
	hl_http_answer a;
	size_t cap; /* bytes allocated for a.body */
	int nomem;
	/* with a multi */
	hl_http_multi *m;
	int started, done;
	CURLcode result;
};

struct hl_http_multi {
	CURLM *m;
};

/* libcurl's global state once per process (curl_global_init is not safe to race). */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ok;

static void curl_start(void)
{
	curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	hl_http *h = ud;
	size_t len = size * nmemb;
	if (h->a.len + len > h->o.max_answer) {
		h->a.over = 1;
		return 0; /* stops the transfer: nobody needs more than this to answer */
	}
	if (h->a.len + len + 1 > h->cap) {
		size_t cap = h->cap ? h->cap : 1024;
		char *b;
		while (cap < h->a.len + len + 1)
			cap *= 2;
		if (!(b = realloc(h->a.body, cap))) {
			h->nomem = 1;
			return 0;
		}
		h->a.body = b;
		h->cap = cap;
	}
	memcpy(h->a.body + h->a.len, p, len);
	h->a.len += len;
	h->a.body[h->a.len] = '\0';
	return len;
}

/* libcurl's progress callback: non-zero aborts the transfer. */
static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	hl_http *h = ud;
	(void)dt, (void)dn, (void)ut, (void)un;
	if (h->o.cancel(h->o.cancel_ud)) {
		h->a.cancelled = 1;
		return 1;
	}
	return 0;
}

int hl_http_new(hl_http **out, const hl_http_opts *o)
{
	hl_http *h;
	pthread_once(&curl_once, curl_start);
	if (!curl_ok)
		return hl_error_set(HL_ERROR, "libcurl could not start");
	if (!(h = calloc(1, sizeof(*h))) || !(h->a.body = malloc(1024))) {
		free(h);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	h->cap = 1024;
	h->a.body[0] = '\0';
	if (!(h->c = curl_easy_init())) {
		free(h->a.body);
		free(h);
		return hl_error_set(HL_ERROR, "libcurl could not start");
	}
	if (o)
		h->o = *o;
	if (!h->o.connect_timeout_ms)
		h->o.connect_timeout_ms = 5000;
	if (!h->o.timeout_ms)
		h->o.timeout_ms = 30000;
	if (!h->o.max_answer)
		h->o.max_answer = HL_HTTP_ANSWER_DEFAULT;
	*out = h;
	return 0;
}

void hl_http_free(hl_http *h)
{
	if (!h)
		return;
	if (h->m && h->started)
		curl_multi_remove_handle(h->m->m, h->c);
	curl_easy_cleanup(h->c);
	curl_slist_free_all(h->hdr);
	free(h->a.body);
	free(h);
}

/* Appends a header line; 0, or -1 when out of memory (the list is kept as it was). */
static int add_header(hl_http *h, const char *line)
{
	struct curl_slist *l = curl_slist_append(h->hdr, line);
	if (!l)
		return -1;
	h->hdr = l;
	return 0;
}

/* Every option of a request, on h's handle. 0, or -1 when out of memory. */
static int prepare(hl_http *h, const hl_http_req *q)
{
	CURL *c = h->c;
	char line[160];
	curl_slist_free_all(h->hdr);
	h->hdr = NULL;
	h->curl_err[0] = '\0';
	h->a.status = 0;
	h->a.len = 0;
	h->a.body[0] = '\0';
	h->a.over = h->a.cancelled = 0;
	h->a.error[0] = '\0';
	h->nomem = 0;
	snprintf(line, sizeof(line), "Content-Type: %s", q->ctype ? q->ctype : "");
	if ((q->ctype && add_header(h, line) < 0) ||
	    /* no 100-continue round trip before a body */
	    (q->body && add_header(h, "Expect:") < 0))
		return -1;
	for (const char *const *x = q->headers; x && *x; x++)
		if (add_header(h, *x) < 0)
			return -1;
	curl_easy_setopt(c, CURLOPT_URL, q->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->hdr);
	if (q->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->len);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST,
		                 strcmp(q->method, "POST") ? q->method : NULL);
	} else {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->curl_err);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->o.connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->o.timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "halong/" HL_VERSION);
	if (h->o.accept_gzip)
		curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	if (h->o.cancel) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	return 0;
}

/* The answer once libcurl is done with the transfer (rc its result). */
static int conclude(hl_http_answer **a, hl_http *h, CURLcode rc)
{
	curl_slist_free_all(h->hdr);
	h->hdr = NULL;
	curl_easy_setopt(h->c, CURLOPT_HTTPHEADER, NULL);
	*a = &h->a;
	if (rc != CURLE_OK) {
		snprintf(h->a.error, sizeof(h->a.error), "%s",
		         h->nomem         ? "out of memory"
		         : h->curl_err[0] ? h->curl_err
		                          : curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(h->c, CURLINFO_RESPONSE_CODE, &h->a.status);
	return 0;
}

int hl_http_do(hl_http_answer **a, hl_http *h, const hl_http_req *q)
{
	if (prepare(h, q) < 0) {
		*a = &h->a;
		snprintf(h->a.error, sizeof(h->a.error), "out of memory");
		return -1;
	}
	return conclude(a, h, curl_easy_perform(h->c));
}

int hl_http_multi_new(hl_http_multi **out)
{
	hl_http_multi *m;
	pthread_once(&curl_once, curl_start);
	if (!curl_ok || !(m = calloc(1, sizeof(*m))))
		return hl_error_set(HL_ERROR, "libcurl could not start");
	if (!(m->m = curl_multi_init())) {
		free(m);
		return hl_error_set(HL_ERROR, "libcurl could not start");
	}
	*out = m;
	return 0;
}

void hl_http_multi_free(hl_http_multi *m)
{
	if (!m)
		return;
	curl_multi_cleanup(m->m);
	free(m);
}

int hl_http_start(hl_http_multi *m, hl_http *h, const hl_http_req *q)
{
	int running;
	h->m = m;
	h->started = h->done = 0;
	if (prepare(h, q) < 0)
		return -1;
	curl_easy_setopt(h->c, CURLOPT_PRIVATE, h);
	if (curl_multi_add_handle(m->m, h->c) != CURLM_OK)
		return -1;
	h->started = 1;
	curl_multi_perform(m->m, &running);
	return 0;
}

int hl_http_finish(hl_http_answer **a, hl_http *h)
{
	CURLM *m = h->m ? h->m->m : NULL;
	if (!m || !h->started) {
		*a = &h->a;
		snprintf(h->a.error, sizeof(h->a.error), "the request did not start");
		return -1;
	}
	while (!h->done) {
		int running = 0, q;
		CURLMsg *msg;
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &q))) {
			hl_http *x = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			if (x) {
				x->done = 1;
				x->result = msg->data.result;
			}
		}
		if (!h->done)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	curl_multi_remove_handle(m, h->c);
	h->started = 0;
	return conclude(a, h, h->result);
}
