/* Fuzz target of a page of the reference-data feed as a commune pulls it
 * (hl_feed__page_parse: its form, its head, each entry's form, hash and files), without a key
 * and with one. A refusal is HL_EINVALID, HL_EDENIED or HL_ELIMIT with one clear line; a page
 * refused without a key is refused with one (a key only adds checks). An accepted page's count
 * is the one its head repeats, and each of its entries is accepted alone. Its head signed here
 * with a fixed key now, it is taken with that key (by the pull's parse and by
 * hl_feed_page_head alike); signed six minutes ago, it is refused as stale; a byte of the fresh
 * page changed is refused or leaves the signed head as it was. */
#define FUZZ_NAME "fuzz_feed_page"
#include "fuzz_util.h"

#include <jansson.h>
#include <time.h>

#include "exchange/canon.h"
#include "feed/feed_int.h"
#include "halong/exchange.h"
#include "halong/feed.h"

/* A page may be 64 MiB; its checks are the same on a few entries of a few rows. */
#define FUZZ_MAX_INPUT (128 * 1024)
#define FUZZ_CHANGES   8

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void check_refusal(int rc)
{
	CHECK(rc == HL_EINVALID || rc == HL_EDENIED || rc == HL_ELIMIT);
	CHECK(hl_error_code() == rc);
	fuzz_message_ok(hl_error_last());
}

static char *canon_of(size_t *n, const json_t *v)
{
	char *c = NULL;
	CHECK(hl_canon_encode(&c, n, v) == 0 && c);
	return c;
}

/* The page with its head's at_ms set to `at` and signed again with the fixed key: JSON text. */
static char *signed_page(size_t *n, const json_t *page, int64_t at)
{
	json_t *p = json_deep_copy(page), *h = json_object_get(p, "head");
	char sig[89], *c, *t;
	size_t cn;
	CHECK(p && json_object_set_new(h, "at_ms", json_integer(at)) == 0);
	c = canon_of(&cn, h);
	fuzz_sign(sig, HL_FEED_HEAD_CTX, c, cn);
	free(c);
	CHECK(json_object_set_new(p, "head_sig", json_string(sig)) == 0);
	CHECK((t = json_dumps(p, JSON_COMPACT)));
	*n = strlen(t);
	json_decref(p);
	return t;
}

static void check_signed(const json_t *page, int64_t last, size_t count, const uint8_t *data,
                         size_t size)
{
	const char *key = fuzz_key_get()->pk_b64;
	uint64_t seed = fuzz_seed(data, size);
	int64_t l2 = -1, l3 = -1;
	size_t n, n2 = 0, hn;
	char *text, *head;
	int rc;

	text = signed_page(&n, page, now_ms());
	rc = hl_feed__page_parse(&l2, &n2, text, n, "units", key);
	if (rc != 0)
		fprintf(stderr, "%s: a page signed now is refused: %s\n", FUZZ_NAME,
		        hl_error_last());
	CHECK(rc == 0 && l2 == last && n2 == count);
	CHECK(hl_feed_page_head(&l3, text, n, "units", key) == 0 && l3 == last);
	/* the signature of a head is not an entry's */
	{
		json_t *p = json_loadb(text, n, 0, NULL);
		CHECK(p);
		head = canon_of(&hn, json_object_get(p, "head"));
		CHECK(hl_exchange_verify(json_string_value(json_object_get(p, "head_sig")), key,
		                         HL_FEED_CTX, head, hn) == HL_EDENIED);
		json_decref(p);
	}

	for (int i = 0; i < FUZZ_CHANGES; i++) {
		uint64_t r = fuzz_next(&seed);
		char *m = fuzz_flip(text, n, (size_t)(r % n), r >> 32);
		int64_t lm = -1;
		size_t nm = 0;
		rc = hl_feed__page_parse(&lm, &nm, m, n, "units", key);
		if (rc < 0) {
			check_refusal(rc);
		} else {
			/* taken: the head is the one signed (the entries carry their own
			 * signatures, checked when applied) */
			json_t *p = json_loadb(m, n, 0, NULL);
			char *h;
			size_t k;
			CHECK(p);
			h = canon_of(&k, json_object_get(p, "head"));
			if (k != hn || memcmp(h, head, k))
				fprintf(stderr, "%s: a changed head is taken:\n%s\n", FUZZ_NAME, m);
			CHECK(k == hn && !memcmp(h, head, k) && lm == last);
			free(h);
			json_decref(p);
		}
		free(m);
	}
	free(head);
	free(text);

	/* signed six minutes ago: a replayed page, its count not taken */
	text = signed_page(&n, page, now_ms() - 6 * 60 * 1000);
	rc = hl_feed__page_parse(&l2, &n2, text, n, "units", key);
	CHECK(rc == HL_EDENIED && strstr(hl_error_last(), "head: stale"));
	fuzz_message_ok(hl_error_last());
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	const char *text = (const char *)data;
	int64_t last = -1, l2 = -1;
	size_t n = 0, n2 = 0;
	json_t *page, *entries;
	int rc;

	if (!once) {
		once = 1;
		rc = hl_feed__page_parse(&last, &n, "x", HL_FEED_MAX_PAGE + 1u, "units", NULL);
		CHECK(rc == HL_ELIMIT);
		fuzz_message_ok(hl_error_last());
		CHECK(hl_feed__page_parse(&last, &n, "{}", 2, "plans", NULL) == HL_ENOTFOUND);
		fuzz_message_ok(hl_error_last());
	}
	if (size > FUZZ_MAX_INPUT)
		return 0;
	rc = hl_feed__page_parse(&last, &n, text, size, "units", NULL);
	if (rc < 0) {
		check_refusal(rc);
		rc = hl_feed__page_parse(&l2, &n2, text, size, "units", fuzz_key_get()->pk_b64);
		CHECK(rc < 0);
		check_refusal(rc);
		return 0;
	}
	CHECK(rc == 0);
	CHECK((page = json_loadb(text, size, JSON_REJECT_DUPLICATES, NULL)));
	entries = json_object_get(page, "entries");
	CHECK(json_is_array(entries) && n == json_array_size(entries));
	CHECK(last >= 0 && last == json_integer_value(json_object_get(page, "last_seq")));
	CHECK(last ==
	      json_integer_value(json_object_get(json_object_get(page, "head"), "last_seq")));
	CHECK(json_is_string(json_object_get(page, "head_sig")));
	/* each entry of the page is an entry alone */
	for (size_t i = 0; i < n; i++) {
		hl_feed__entry e;
		char *t = json_dumps(json_array_get(entries, i), JSON_COMPACT);
		CHECK(t);
		rc = hl_feed__entry_parse(&e, t, strlen(t), "units");
		if (rc != 0)
			fprintf(stderr, "%s: entry %zu of an accepted page refused alone: %s\n",
			        FUZZ_NAME, i + 1, hl_error_last());
		CHECK(rc == 0);
		hl_feed__entry_free(&e);
		free(t);
	}
	/* with the key: the head this input carries is taken only if it verifies and is fresh */
	rc = hl_feed__page_parse(&l2, &n2, text, size, "units", fuzz_key_get()->pk_b64);
	if (rc < 0)
		check_refusal(rc);
	else
		CHECK(l2 == last && n2 == n);
	check_signed(page, last, n, data, size);
	json_decref(page);
	return 0;
}
