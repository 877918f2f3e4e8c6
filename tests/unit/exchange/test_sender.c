/* Tests of delivery over HTTP: the hub's outbox (a real store) is sent with libcurl to a tiny
 * receiver started in the test (libmicrohttpd on 127.0.0.1, a free port) that hands each body
 * to a commune's real inbox and answers with its receipt. Faults are injected at the receiver:
 * 503 answers, a lost receipt, a peer that is down, a refusal; and the backoff's bounds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>
#include <microhttpd.h>
#include <sodium.h>
#include <sqlite3.h>

#include "halong/exchange.h"
#include "store/store.h"
#include "halong/util.h"

#define HUB  "22"
#define HATU "06652"

typedef struct {
	char dir[64];
	char *db;
	hl_store *st;
	hl_node *n;
} node;

/* The receiver: a commune's inbox behind HTTP. Counters are touched by the daemon's thread. */
typedef struct {
	node a;
	struct MHD_Daemon *d;
	unsigned short port;
	int fail_next;    /* answer 503 to this many requests, without reading them */
	int lose_next;    /* accept, then answer 500 (the receipt is lost) */
	int requests;     /* POSTs seen */
	int applied;      /* messages applied */
	int64_t seqs[16]; /* in the order applied */
} receiver;

typedef struct {
	node hub;
	receiver r;
} fx;

typedef struct {
	char *body;
	size_t n;
	int too_big;
} upload;

static int apply_cb(hl_store *st, const hl_exchange_message *m, void *ud)
{
	receiver *r = ud;
	(void)st;
	if (r->applied < 16)
		r->seqs[r->applied] = m->seq;
	__atomic_add_fetch(&r->applied, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *text)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *size, void **con_cls)
{
	receiver *r = cls;
	upload *u = *con_cls;
	(void)version;
	if (!u) {
		if (!(u = calloc(1, sizeof(*u))))
			return MHD_NO;
		*con_cls = u;
		return MHD_YES;
	}
	if (*size) {
		if (u->n + *size > HL_EXCHANGE_MAX_ENVELOPE) {
			u->too_big = 1;
		} else {
			char *p = realloc(u->body, u->n + *size + 1);
			if (!p)
				return MHD_NO;
			memcpy(p + u->n, data, *size);
			u->body = p;
			u->n += *size;
		}
		*size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "POST") || strcmp(url, "/api/v1/exchange/inbox"))
		return answer(c, 404, "not found\n");
	__atomic_add_fetch(&r->requests, 1, __ATOMIC_SEQ_CST);
	if (r->fail_next > 0) {
		r->fail_next--;
		return answer(c, 503, "unavailable: restarting\n");
	}
	if (u->too_big)
		return answer(c, 413, "too-big\n");
	char *receipt = NULL;
	hl_exchange_accept_opts o = {0, NULL, apply_cb, r, 0, NULL, 0};
	if (hl_exchange_inbox_accept(&receipt, NULL, r->a.n, u->body ? u->body : "", u->n, &o) <
	    0) {
		char line[600];
		snprintf(line, sizeof(line), "%s\n", hl_error_last());
		return answer(c, 403, line);
	}
	enum MHD_Result rc;
	if (r->lose_next > 0) {
		r->lose_next--;
		rc = answer(c, 500, "internal error\n");
	} else {
		rc = answer(c, 200, receipt);
	}
	free(receipt);
	return rc;
}

static void done_cb(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode why)
{
	upload *u = *con_cls;
	(void)cls;
	(void)c;
	(void)why;
	if (u) {
		free(u->body);
		free(u);
		*con_cls = NULL;
	}
}

static struct MHD_Daemon *start(unsigned short *port, receiver *r)
{
	struct sockaddr_in sa = {0};
	struct MHD_Daemon *d;
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	                     handler, r, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	                     MHD_OPTION_NOTIFY_COMPLETED, done_cb, NULL, MHD_OPTION_END);
	assert_non_null(d);
	*port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
	assert_true(*port > 0);
	return d;
}

static void node_make(node *x, const char *unit, const char *url)
{
	char keys[96];
	snprintf(x->dir, sizeof(x->dir), "/tmp/hl-send-XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(keys, sizeof(keys), "%s/keys", x->dir);
	assert_int_equal(mkdir(keys, 0700), 0);
	x->db = hl_path_join(x->dir, "halong.db");
	if (hl_store_open(&x->st, x->db, 1) != 0 ||
	    hl_node_init(x->st, x->dir, unit, url, "t") != 0 ||
	    hl_node_open(&x->n, x->st, x->dir) != 0)
		fail_msg("node %s: %s", unit, hl_error_last());
}

static void node_drop(node *x)
{
	char cmd[128];
	hl_node_free(x->n);
	hl_store_free(x->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", x->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", x->dir);
	free(x->db);
}

static void enrol(node *hub, node *x, const char *url, const char *send, const char *recv)
{
	hl_node_entry e = {hl_node_unit(x->n), url, hl_node_public_key(x->n), send, recv, 0};
	if (hl_node_enrol(hub->st, &e, "t") != 0)
		fail_msg("enrol: %s", hl_error_last());
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	char url[64], *dir = NULL;
	f->r.d = start(&f->r.port, &f->r);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", f->r.port);
	node_make(&f->hub, HUB, "http://127.0.0.1:1");
	node_make(&f->r.a, HATU, url);
	enrol(&f->hub, &f->hub, "http://127.0.0.1:1", "*", "report");
	enrol(&f->hub, &f->r.a, url, "report", "document,feed.units");
	if (hl_node_directory_export(&dir, f->hub.n) != 0 ||
	    hl_node_directory_import(NULL, f->r.a.st, dir, strlen(dir),
	                             hl_node_public_key(f->hub.n), "t") != 0)
		fail_msg("directory: %s", hl_error_last());
	free(dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	if (f->r.d)
		MHD_stop_daemon(f->r.d);
	node_drop(&f->hub);
	node_drop(&f->r.a);
	free(f);
	return 0;
}

static void put(node *from, const char *to, const char *type, int n)
{
	hl_exchange_msg m = {to, type, NULL, NULL, 0, NULL, 0, HL_ACCESS_PUBLIC};
	char payload[32];
	snprintf(payload, sizeof(payload), "{\"n\":%d}", n);
	m.payload = payload;
	assert_int_equal(hl_store_begin(from->st), 0);
	if (hl_exchange_outbox_put(NULL, from->n, &m) != 0)
		fail_msg("put: %s", hl_error_last());
	assert_int_equal(hl_store_commit(from->st), 0);
}

static int64_t sql_int(node *x, const char *q)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v;
	assert_int_equal(sqlite3_open(x->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

typedef struct {
	int64_t waiting, last_success;
	char error[600];
} peer_st;

static int grab_status(const hl_exchange_peer_status *r, void *ud)
{
	peer_st *p = ud;
	if (!strcmp(r->peer, HATU)) {
		p->waiting = r->waiting;
		p->last_success = r->last_success_ms;
		snprintf(p->error, sizeof(p->error), "%s", r->last_error ? r->last_error : "");
	}
	return 0;
}

static void pass(fx *f, const hl_exchange_send_opts *o, size_t want_sent, size_t want_failed)
{
	size_t sent = 99, failed = 99;
	if (hl_exchange_send_due(&sent, &failed, f->hub.n, o) != 0)
		fail_msg("send: %s", hl_error_last());
	assert_int_equal(sent, want_sent);
	assert_int_equal(failed, want_failed);
}

/* ---- tests ---- */

static void test_backoff(void **state)
{
	(void)state;
	/* Doubling from 1 s up to the 10-minute cap, each value in [d/2, d]. */
	for (int64_t n = 1; n <= 40; n++) {
		int64_t d = n >= 11 ? 600000 : 1000LL << (n - 1);
		if (d > 600000)
			d = 600000;
		for (int k = 0; k < 50; k++) {
			int64_t v = hl_exchange_backoff_ms(n, 1000, 600000);
			if (v < d / 2 || v > d)
				fail_msg("attempt %lld: %lld not in [%lld, %lld]", (long long)n,
				         (long long)v, (long long)d / 2, (long long)d);
		}
	}
	/* Jittered: nodes that failed together do not all come back at the same moment. */
	int64_t first = hl_exchange_backoff_ms(6, 1000, 600000);
	int differ = 0;
	for (int k = 0; k < 20; k++)
		differ |= hl_exchange_backoff_ms(6, 1000, 600000) != first;
	assert_true(differ);
}

static void test_delivers_in_order(void **state)
{
	fx *f = *state;
	peer_st p = {0};
	for (int i = 1; i <= 5; i++)
		put(&f->hub, HATU, "document", i);
	pass(f, NULL, 5, 0);
	assert_int_equal(f->r.applied, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(f->r.seqs[i], i + 1);
	assert_int_equal(sql_int(&f->hub,
	                         "SELECT count(*) FROM exchange_outbox WHERE"
	                         " state = 'delivered' AND receipt LIKE '%\"by\":\"" HATU "\"%'"),
	                 5);
	assert_int_equal(hl_exchange_status(f->hub.st, grab_status, &p), 0);
	assert_int_equal(p.waiting, 0);
	assert_true(p.last_success > 0);
	/* Nothing left: a pass sends nothing. */
	pass(f, NULL, 0, 0);
	assert_int_equal(f->r.requests, 5);
}

static void test_retry_then_deliver(void **state)
{
	fx *f = *state;
	hl_exchange_send_opts o = {0};
	peer_st p = {0};
	o.backoff_base_ms = 1;
	o.backoff_cap_ms = 4;
	put(&f->hub, HATU, "document", 1);
	put(&f->hub, HATU, "document", 2);
	f->r.fail_next = 2;
	/* The first message fails; the second waits behind it (order per peer). */
	pass(f, &o, 0, 1);
	assert_int_equal(hl_exchange_status(f->hub.st, grab_status, &p), 0);
	assert_int_equal(p.waiting, 2);
	assert_non_null(strstr(p.error, "HTTP 503: unavailable: restarting"));
	usleep(20000);
	pass(f, &o, 0, 1);
	usleep(20000);
	pass(f, &o, 2, 0);
	assert_int_equal(f->r.applied, 2);
	assert_int_equal(f->r.seqs[0], 1);
	assert_int_equal(f->r.seqs[1], 2);
	assert_int_equal(f->r.requests, 4);
	assert_int_equal(sql_int(&f->hub, "SELECT attempts FROM exchange_outbox WHERE seq = 1"), 3);
	assert_int_equal(sql_int(&f->hub, "SELECT attempts FROM exchange_outbox WHERE seq = 2"), 1);
}

static void test_backoff_honoured(void **state)
{
	fx *f = *state;
	hl_exchange_send_opts o = {0};
	struct timespec ts;
	o.backoff_base_ms = 60000;
	put(&f->hub, HATU, "document", 1);
	f->r.fail_next = 1;
	pass(f, &o, 0, 1);
	/* Not due again for 30 to 60 seconds: a pass now sends nothing and asks nothing. */
	pass(f, &o, 0, 0);
	assert_int_equal(f->r.requests, 1);
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	int64_t next = sql_int(&f->hub, "SELECT next_attempt_ms FROM exchange_outbox");
	assert_true(next - now > 25000 && next - now <= 60000);
}

static void test_lost_receipt(void **state)
{
	fx *f = *state;
	hl_exchange_send_opts o = {0};
	o.backoff_base_ms = 1;
	o.backoff_cap_ms = 2;
	put(&f->hub, HATU, "document", 1);
	f->r.lose_next = 1;
	/* The receiver applied it but its answer was lost: the hub tries again... */
	pass(f, &o, 0, 1);
	assert_int_equal(f->r.applied, 1);
	usleep(20000);
	/* ...and gets the same receipt for the duplicate: delivered, applied once. */
	pass(f, &o, 1, 0);
	assert_int_equal(f->r.applied, 1);
	assert_int_equal(sql_int(&f->r.a, "SELECT count(*) FROM exchange_inbox"), 1);
	assert_int_equal(sql_int(&f->hub, "SELECT count(*) FROM exchange_outbox WHERE"
	                                  " state = 'delivered'"),
	                 1);
}

static void test_peer_down(void **state)
{
	fx *f = *state;
	peer_st p = {0};
	/* The receiver stops: nobody listens on its port any more. */
	MHD_stop_daemon(f->r.d);
	f->r.d = NULL;
	put(&f->hub, HATU, "document", 1);
	pass(f, NULL, 0, 1);
	assert_int_equal(hl_exchange_status(f->hub.st, grab_status, &p), 0);
	assert_int_equal(p.waiting, 1);
	assert_non_null(strstr(p.error, "127.0.0.1"));
	assert_non_null(strstr(p.error, "onnect")); /* "Failed to connect ..." */
}

static void test_refusal_reaches_status(void **state)
{
	fx *f = *state;
	peer_st p = {0};
	char url[64];
	/* The hub lets Hà Tu receive "plan" in a directory Hà Tu has not imported: Hà Tu refuses,
	 * and its reason is what the hub's status shows. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", f->r.port);
	enrol(&f->hub, &f->r.a, url, "report", "document,feed.units,plan");
	put(&f->hub, HATU, "plan", 1);
	pass(f, NULL, 0, 1);
	assert_int_equal(hl_exchange_status(f->hub.st, grab_status, &p), 0);
	assert_non_null(strstr(p.error, "HTTP 403: type-not-allowed"));
	assert_int_equal(f->r.applied, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test_setup_teardown(test_delivers_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_then_deliver, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backoff_honoured, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lost_receipt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_peer_down, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusal_reaches_status, setup, teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("exchange sender", tests, NULL, NULL);
}
