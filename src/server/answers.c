/* Answers kept by each worker thread (answers.h): a table per kind, of sets of ways, the least
 * recently used way of a set replaced (a mix of a few hundred requests asked in turn must not
 * evict itself, as a direct-mapped table did). Past a kind's byte budget, the thread's answers
 * of that kind are all dropped (stale ones included) before the next is kept. The gzip'd form
 * is made at the first hit that takes gzip and kept with the answer. */
#include "answers.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halong/units.h"
#include "halong/util.h"
#include "server_int.h"

#define ANSWER_SETS 64
#define ANSWER_WAYS 8

struct answer_cached {
	char *key; /* NULL: an empty way */
	uint32_t hash;
	answer_stamp at;
	uint64_t used; /* the table's request count when last used */
	char *body;
	size_t len;
	char *gz; /* body gzip'd, NULL until a hit takes gzip */
	size_t gzlen;
};

struct answers {
	answer_cached ways[ANSWER_SETS * ANSWER_WAYS];
	uint64_t tick;
	size_t bytes; /* of the answers' bodies and their gzip'd forms */
};

/* The kinds' limits and switches. */
static const struct {
	const char *off_env; /* set to non-0 in the server's environment: nothing is kept (for
	                        benches that measure answers never asked before; not for
	                        production) */
	size_t max;          /* a larger answer is not kept */
	size_t budget;       /* bytes a thread keeps of this kind */
} kinds[ANSWERS_KINDS] = {
    /* bodies of 13 kB for 20 hits, ~70 kB for 100 */
    [ANSWERS_SEARCH] = {"HL_SEARCH_NO_CACHE", 256u << 10, 8u << 20},
    /* an evaluation of a 5,000-task plan is ~200 kB (its lists hold 500 items at most); a
     * plan's page lists every task (~0.6 kB each) */
    [ANSWERS_PLANS] = {"HL_PLANS_NO_CACHE", 8u << 20, 32u << 20},
    /* a page of 100 rows is ~8 kB, of 1,000 wide rows up to ~1 MB */
    [ANSWERS_ROWS] = {"HL_ROWS_NO_CACHE", 1u << 20, 16u << 20},
};

typedef struct {
	answers *t[ANSWERS_KINDS];
} thread_answers;

static pthread_key_t g_key;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_off[ANSWERS_KINDS]; /* read once, with the key */

static void answers_drop(answers *c)
{
	for (size_t i = 0; i < ANSWER_SETS * ANSWER_WAYS; i++) {
		free(c->ways[i].key), free(c->ways[i].body), free(c->ways[i].gz);
		memset(&c->ways[i], 0, sizeof(c->ways[i]));
	}
	c->bytes = 0;
}

static void thread_free(void *p)
{
	thread_answers *ta = p;
	for (size_t k = 0; k < ANSWERS_KINDS; k++)
		if (ta->t[k]) {
			answers_drop(ta->t[k]);
			free(ta->t[k]);
		}
	free(ta);
}

static void key_make(void)
{
	for (size_t k = 0; k < ANSWERS_KINDS; k++) {
		const char *e = getenv(kinds[k].off_env);
		g_off[k] = e && *e && strcmp(e, "0") != 0;
	}
	pthread_key_create(&g_key, thread_free);
}

/* This thread's table of kind (freed with the thread), NULL if out of memory or switched off. */
static answers *table_get(answers_kind kind)
{
	thread_answers *ta;
	pthread_once(&g_once, key_make);
	if (g_off[kind])
		return NULL;
	if (!(ta = pthread_getspecific(g_key))) {
		if (!(ta = calloc(1, sizeof(*ta))))
			return NULL;
		if (pthread_setspecific(g_key, ta) != 0) {
			free(ta);
			return NULL;
		}
	}
	if (!ta->t[kind])
		ta->t[kind] = calloc(1, sizeof(answers));
	return ta->t[kind];
}

/* 0 when the store told its stamp; else nothing is kept for this request. */
static int stamp_now(answer_stamp *s, request *r)
{
	memset(s, 0, sizeof(*s));
	if (hl_archive_change_stamp(&s->st, r->archive) < 0) {
		hl_error_clear();
		return -1;
	}
	hl_units_today(s->day);
	return 0;
}

static int stamp_eq(const answer_stamp *a, const answer_stamp *b)
{
	return a->st.data_version == b->st.data_version && a->st.own_changes == b->st.own_changes &&
	       !strcmp(a->day, b->day);
}

/* The way of key's set that holds key (*hit when it is valid at `now`), else the one to
 * replace: an empty one, else the least recently used. */
static answer_cached *way_of(answers *c, const char *key, uint32_t h, const answer_stamp *now,
                             int *hit)
{
	answer_cached *set = &c->ways[(size_t)(h % ANSWER_SETS) * ANSWER_WAYS], *victim = NULL;
	*hit = 0;
	for (size_t i = 0; i < ANSWER_WAYS; i++) {
		answer_cached *e = &set[i];
		if (e->key && e->hash == h && !strcmp(e->key, key)) {
			*hit = stamp_eq(&e->at, now);
			return e;
		}
		if (!victim || (victim->key && (!e->key || e->used < victim->used)))
			victim = e;
	}
	return victim;
}

static const char json_ctype[] = "application/json; charset=utf-8";

int answer_lookup(answer_ticket *t, answers_kind kind, request *r, char *key, int *rc)
{
	int hit;
	memset(t, 0, sizeof(*t));
	t->key = key;
	t->kind = kind;
	/* the stamp is read before computing: a change made meanwhile moves it past the entry */
	if (!key || stamp_now(&t->now, r) < 0 || !(t->c = table_get(kind)))
		return 0;
	t->hash = hl_str_hash(key);
	t->c->tick++;
	t->ac = way_of(t->c, key, t->hash, &t->now, &hit);
	if (!hit || !t->ac->body)
		return 0;
	answer_cached *e = t->ac;
	e->used = t->c->tick;
	if (e->len > SRV_GZIP_MIN && req_accepts_gzip(r)) {
		if (!e->gz && gzip_buf(&e->gz, &e->gzlen, e->body, e->len) == 0)
			t->c->bytes += e->gzlen;
		if (e->gz) {
			*rc = resp_gzipped(r, 200, json_ctype, e->gz, e->gzlen);
			answer_ticket_free(t);
			return 1;
		}
	}
	*rc = resp_bytes(r, 200, json_ctype, e->body, e->len, 0);
	answer_ticket_free(t);
	return 1;
}

static size_t way_bytes(const answer_cached *e)
{
	return (e->body ? e->len : 0) + (e->gz ? e->gzlen : 0);
}

int answer_give(answer_ticket *t, request *r, char *body, size_t len, int keep)
{
	answers *c = t->c;
	answer_cached *ac = t->ac;
	int rc;
	if (keep && c && ac && len <= kinds[t->kind].max) {
		if (c->bytes - way_bytes(ac) + len > kinds[t->kind].budget) {
			answers_drop(c);
			ac = way_of(c, t->key, t->hash, &t->now, &(int){0});
		}
		c->bytes -= way_bytes(ac);
		c->bytes += len;
		free(ac->key), free(ac->body), free(ac->gz);
		ac->key = t->key, ac->hash = t->hash, ac->at = t->now;
		ac->used = c->tick;
		ac->body = body, ac->len = len;
		ac->gz = NULL, ac->gzlen = 0;
		t->key = NULL; /* the way's now */
		rc = resp_bytes(r, 200, json_ctype, body, len, 0);
		answer_ticket_free(t);
		return rc;
	}
	rc = resp_bytes(r, 200, json_ctype, body, len, 1);
	answer_ticket_free(t);
	return rc;
}

void answer_ticket_free(answer_ticket *t)
{
	free(t->key);
	memset(t, 0, sizeof(*t));
}
