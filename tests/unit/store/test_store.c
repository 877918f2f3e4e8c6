/* Unit tests of the SQLite store: migrations, document put/update/versions, ordinals, the index
 * queue, blobs, transactions. A real SQLite file in a temp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "halong/util.h"

typedef struct {
	char dir[64];
	char path[128];
	hl_store *st;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/hl-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/halong.db", f->dir);
	assert_int_equal(hl_store_open(&f->st, f->path, 1), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	char cmd[160];
	hl_store_free(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static hl_doc sample(const char *id, int64_t ordinal, const char *subject)
{
	hl_doc d = {0};
	d.doc_id = (char *)id;
	d.fonds_code = "UBND-HL";
	d.dossier_code = "HS-2019-01";
	d.ordinal = ordinal;
	d.subject = (char *)subject;
	d.issued_date = "2019-03-12";
	d.doc_type = "Quyết định";
	d.issuer = "UBND thành phố Hạ Long";
	d.text = "Về việc giao đất đai cho hộ gia đình tại phường Hà Phong";
	d.page_count = -1;
	d.access = HL_ACCESS_INTERNAL;
	return d;
}

static void test_schema_and_reopen(void **state)
{
	fx *f = *state;
	hl_store *again = NULL;
	assert_int_equal(hl_store_schema_version(f->st), 17);
	/* A second connection sees the same version and migrates nothing. */
	assert_int_equal(hl_store_open(&again, f->path, 0), 0);
	assert_int_equal(hl_store_schema_version(again), 17);
	hl_store_free(again);
}

static void test_open_missing_is_notfound(void **state)
{
	hl_store *st = NULL;
	(void)state;
	assert_int_equal(hl_store_open(&st, "/tmp/definitely-not-here/halong.db", 0), HL_ENOTFOUND);
	assert_null(st);
	assert_non_null(strstr(hl_error_last(), "halong init"));
}

static void test_put_get_update_versions(void **state)
{
	fx *f = *state;
	hl_doc d = sample("D1", 1, "Quyết định giao đất đai");
	hl_doc *got = NULL;
	int status = 0;

	assert_int_equal(hl_store_begin(f->st), 0);
	assert_int_equal(hl_store_doc_put(&status, f->st, &d, "test"), 0);
	assert_int_equal(status, HL_PUT_INSERTED);
	assert_int_equal(hl_store_commit(f->st), 0);

	assert_int_equal(hl_store_doc_get(&got, f->st, "D1"), 0);
	assert_string_equal(got->subject, "Quyết định giao đất đai");
	assert_string_equal(got->fonds_code, "UBND-HL");
	assert_string_equal(got->dossier_code, "HS-2019-01");
	assert_string_equal(got->issued_date, "2019-03-12");
	assert_int_equal(got->version, 1);
	assert_int_equal(got->access, HL_ACCESS_INTERNAL);
	assert_int_equal(got->page_count, -1);
	hl_doc_free(got);

	/* The same content again: unchanged, nothing queued. */
	int64_t qmax_before, qmax_after;
	assert_int_equal(hl_store_queue_max(&qmax_before, f->st), 0);
	assert_int_equal(hl_store_begin(f->st), 0);
	assert_int_equal(hl_store_doc_put(&status, f->st, &d, "test"), 0);
	assert_int_equal(status, HL_PUT_UNCHANGED);
	assert_int_equal(hl_store_commit(f->st), 0);
	assert_int_equal(hl_store_queue_max(&qmax_after, f->st), 0);
	assert_int_equal(qmax_before, qmax_after);

	/* A change: updated, version 2, the earlier version kept. */
	d.subject = "Quyết định giao đất đai (sửa đổi)";
	assert_int_equal(hl_store_begin(f->st), 0);
	assert_int_equal(hl_store_doc_put(&status, f->st, &d, "test"), 0);
	assert_int_equal(status, HL_PUT_UPDATED);
	assert_int_equal(hl_store_commit(f->st), 0);
	assert_int_equal(hl_store_doc_get(&got, f->st, "D1"), 0);
	assert_int_equal(got->version, 2);
	assert_string_equal(got->subject, "Quyết định giao đất đai (sửa đổi)");
	hl_doc_free(got);

	hl_store_stats s;
	assert_int_equal(hl_store_stats_get(&s, f->st), 0);
	assert_int_equal(s.documents, 1);
	assert_int_equal(s.versions, 1);
	assert_int_equal(s.fonds, 1);
	assert_int_equal(s.dossiers, 1);
	assert_int_equal(s.audit, 2); /* create + update; the unchanged put is not a change */
	assert_int_equal(s.queued, 2);
}

static int grab_version(int version, const char *at, const char *json, void *ud)
{
	(void)at;
	if (version == 1)
		snprintf(ud, 256, "%s", strstr(json, "\"subject\"") ? "has-subject" : "no-subject");
	return 0;
}

static void test_versions_keep_old_content(void **state)
{
	fx *f = *state;
	hl_doc d = sample("D2", 2, "Công văn về đất đai");
	char seen[256] = "";
	int status;
	assert_int_equal(hl_store_begin(f->st), 0);
	assert_int_equal(hl_store_doc_put(&status, f->st, &d, "t"), 0);
	d.text = "Nội dung mới";
	assert_int_equal(hl_store_doc_put(&status, f->st, &d, "t"), 0);
	assert_int_equal(status, HL_PUT_UPDATED);
	assert_int_equal(hl_store_commit(f->st), 0);
	assert_int_equal(hl_store_doc_versions(f->st, "D2", grab_version, seen), 0);
	assert_string_equal(seen, "has-subject");
}

static void test_ordinal_conflict(void **state)
{
	fx *f = *state;
	hl_doc a = sample("A", 7, "Văn bản A"), b = sample("B", 7, "Văn bản B");
	int status;
	assert_int_equal(hl_store_begin(f->st), 0);
	assert_int_equal(hl_store_doc_put(&status, f->st, &a, "t"), 0);
	assert_int_equal(hl_store_doc_put(&status, f->st, &b, "t"), HL_ECONFLICT);
	assert_non_null(strstr(hl_error_last(), "already held by document A"));
	assert_int_equal(hl_store_commit(f->st), 0);
	hl_doc *got = NULL;
	assert_int_equal(hl_store_doc_get(&got, f->st, "B"), HL_ENOTFOUND);
}

static void test_rollback_leaves_nothing(void **state)
{
	fx *f = *state;
	hl_doc d = sample("R1", 1, "Sẽ bị hủy");
	hl_doc *got = NULL;
	int status;
	hl_store_stats s;
	assert_int_equal(hl_store_begin(f->st), 0);
	assert_int_equal(hl_store_doc_put(&status, f->st, &d, "t"), 0);
	assert_int_equal(hl_store_rollback(f->st), 0);
	assert_int_equal(hl_store_doc_get(&got, f->st, "R1"), HL_ENOTFOUND);
	assert_int_equal(hl_store_stats_get(&s, f->st), 0);
	assert_int_equal(s.documents, 0);
	assert_int_equal(s.queued, 0);
	assert_int_equal(s.audit, 0);
	/* The fonds cache must not point at the rolled-back fonds row. */
	assert_int_equal(hl_store_begin(f->st), 0);
	assert_int_equal(hl_store_doc_put(&status, f->st, &d, "t"), 0);
	assert_int_equal(hl_store_commit(f->st), 0);
	assert_int_equal(hl_store_doc_get(&got, f->st, "R1"), 0);
	assert_string_equal(got->fonds_code, "UBND-HL");
	hl_doc_free(got);
}

typedef struct {
	int n;
	int64_t seqs[16], rows[16];
} qseen;

static int on_queue(int64_t seq, int64_t rowid, void *ud)
{
	qseen *q = ud;
	q->seqs[q->n] = seq;
	q->rows[q->n++] = rowid;
	return 0;
}

static void test_queue_since_trim_max(void **state)
{
	fx *f = *state;
	int status;
	char id[8];
	assert_int_equal(hl_store_begin(f->st), 0);
	for (int i = 1; i <= 5; i++) {
		snprintf(id, sizeof(id), "Q%d", i);
		hl_doc d = sample(id, i, "Báo cáo tiến độ");
		assert_int_equal(hl_store_doc_put(&status, f->st, &d, "t"), 0);
	}
	assert_int_equal(hl_store_commit(f->st), 0);
	qseen q = {0};
	assert_int_equal(hl_store_queue_since(f->st, 2, 2, on_queue, &q), 0);
	assert_int_equal(q.n, 2);
	assert_int_equal(q.seqs[0], 3);
	assert_int_equal(q.seqs[1], 4);
	assert_int_equal(hl_store_queue_trim(f->st, 5), 0);
	int64_t max;
	/* The highest seq survives trimming: a later change gets seq 6, never a reused one. */
	assert_int_equal(hl_store_queue_max(&max, f->st), 0);
	assert_int_equal(max, 5);
	hl_doc d = sample("Q1", 1, "Báo cáo tiến độ (bản 2)");
	assert_int_equal(hl_store_begin(f->st), 0);
	assert_int_equal(hl_store_doc_put(&status, f->st, &d, "t"), 0);
	assert_int_equal(hl_store_commit(f->st), 0);
	memset(&q, 0, sizeof(q));
	assert_int_equal(hl_store_queue_since(f->st, 0, 100, on_queue, &q), 0);
	assert_int_equal(q.n, 1);
	assert_int_equal(q.seqs[0], 6);
}

static int count_blob(const char *sha, int64_t size, void *ud)
{
	(void)sha;
	*(int64_t *)ud += size;
	return 0;
}

static void test_blobs_idempotent(void **state)
{
	fx *f = *state;
	char hex[65];
	int64_t total = 0;
	hl_sha256_hex(hex, "abc", 3);
	assert_int_equal(hl_store_blob_add(f->st, hex, 3), 0);
	assert_int_equal(hl_store_blob_add(f->st, hex, 3), 0);
	assert_int_equal(hl_store_blob_foreach(f->st, count_blob, &total), 0);
	assert_int_equal(total, 3);
}

static void test_files_round_trip(void **state)
{
	fx *f = *state;
	hl_doc d = sample("F1", 1, "Hồ sơ có tệp");
	hl_doc_file files[2] = {{.name = "trang-1.png", .size = 10},
	                        {.name = "trang-2.png", .size = 20}};
	hl_doc *got = NULL;
	int status;
	hl_sha256_hex(files[0].sha256, "1", 1);
	hl_sha256_hex(files[1].sha256, "2", 1);
	d.files = files;
	d.nfiles = 2;
	assert_int_equal(hl_store_begin(f->st), 0);
	assert_int_equal(hl_store_blob_add(f->st, files[0].sha256, 10), 0);
	assert_int_equal(hl_store_blob_add(f->st, files[1].sha256, 20), 0);
	assert_int_equal(hl_store_doc_put(&status, f->st, &d, "t"), 0);
	assert_int_equal(hl_store_commit(f->st), 0);
	assert_int_equal(hl_store_doc_get(&got, f->st, "F1"), 0);
	assert_int_equal(got->nfiles, 2);
	assert_string_equal(got->files[1].name, "trang-2.png");
	assert_string_equal(got->files[1].sha256, files[1].sha256);
	assert_int_equal(got->files[1].size, 20);
	hl_doc_free(got);
}

static void test_newer_schema_refused(void **state)
{
	fx *f = *state;
	char cmd[256];
	hl_store *st = NULL;
	hl_store_free(f->st);
	f->st = NULL;
	snprintf(cmd, sizeof(cmd), "sqlite3 %s 'PRAGMA user_version = 99'", f->path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(hl_store_open(&st, f->path, 0), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "newer"));
	/* reopen for teardown */
	snprintf(cmd, sizeof(cmd), "sqlite3 %s 'PRAGMA user_version = 17'", f->path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(hl_store_open(&f->st, f->path, 0), 0);
}

/* What migration 16 added (its tables), taken away again. */
#define UNDO_16 "DROP TABLE dataset_subscription; DROP TABLE data_grant; DROP TABLE data_request;"

/* What migrations 16 and 15 added (their tables), taken away again. */
#define UNDO_15                                                                                    \
	UNDO_16 " DROP TABLE dataset_load_key; DROP TABLE dataset_version; DROP TABLE dataset;"

/* What migrations 15 and 14 added (their tables), taken away again. */
#define UNDO_14 UNDO_15 " DROP TABLE evidence_use; DROP TABLE evidence_file;"

/* What migrations 14, 13, 12 and 11 added, taken away again: a store of schema 10 made from a
 * fresh one. */
#define UNDO_11                                                                                    \
	UNDO_14                                                                                    \
	" DROP TABLE plan_feed; DROP TABLE plan_notice; DROP TABLE agency_contact;"                \
	" DROP TABLE plan_setting; DROP TABLE plan_snapshot; DROP TABLE lesson; DROP TABLE "       \
	"inspection;"                                                                              \
	" DROP TABLE kpi_value; DROP TABLE kpi; DROP TABLE report_verification;"                   \
	" DROP TABLE task_report; DROP TABLE task_agency; DROP TABLE task; DROP TABLE plan;"       \
	" ALTER TABLE auth_user DROP COLUMN agency_code;"                                          \
	" DROP TABLE agency; DROP INDEX dossier_series; DROP TABLE series;"                        \
	" ALTER TABLE dossier DROP COLUMN series_id; ALTER TABLE dossier DROP COLUMN "             \
	"date_from;"                                                                               \
	" ALTER TABLE dossier DROP COLUMN date_to; ALTER TABLE dossier DROP COLUMN retention;"     \
	" ALTER TABLE dossier DROP COLUMN extent; ALTER TABLE dossier DROP COLUMN notes;"          \
	" ALTER TABLE fonds DROP COLUMN date_from; ALTER TABLE fonds DROP COLUMN date_to;"         \
	" ALTER TABLE fonds DROP COLUMN extent; ALTER TABLE fonds DROP COLUMN history;"            \
	" ALTER TABLE fonds DROP COLUMN scope; ALTER TABLE fonds DROP COLUMN notes;"

/* What migration 10 added, taken away again: a store of schema 9 made from a fresh one. */
#define UNDO_10                                                                                    \
	UNDO_11                                                                                    \
	" DROP INDEX page_review; DROP TABLE page_text;"                                           \
	" ALTER TABLE page DROP COLUMN text_version; ALTER TABLE page DROP COLUMN "                \
	"machine_text;"                                                                            \
	" ALTER TABLE page DROP COLUMN approved_by; ALTER TABLE page DROP COLUMN approved_at;"     \
	" ALTER TABLE page DROP COLUMN check_rule; ALTER TABLE page DROP COLUMN "                  \
	"check_unknown;"                                                                           \
	" ALTER TABLE page DROP COLUMN check_low; ALTER TABLE page DROP COLUMN check_chars;"       \
	" ALTER TABLE page DROP COLUMN check_score; ALTER TABLE page DROP COLUMN check_words;"

/* Schema 9 on a store of schema 8 holding messages of the inbox: the bytes of each held envelope
 * counted (a sender's held messages are capped in bytes), the index of the held ones covering
 * them, the applied ones left at 0. */
static void test_migration_9_counts_held_bytes(void **state)
{
	fx *f = *state;
	char cmd[2400];
	hl_store_free(f->st);
	f->st = NULL;
	snprintf(cmd, sizeof(cmd),
	         "sqlite3 %s \"" UNDO_10 "DROP INDEX exchange_inbox_held;"
	         " ALTER TABLE exchange_inbox DROP COLUMN bytes;"
	         " CREATE INDEX exchange_inbox_held ON exchange_inbox(state, sender, seq);"
	         " INSERT INTO exchange_inbox(id, sender, seq, type, created_ms, hash, envelope,"
	         " state, receipt, received_ms) VALUES"
	         " ('a', '06652', 2, 'report', 1, 'h', 'Báo cáo', 'held', '', 1),"
	         " ('b', '06652', 1, 'report', 1, 'h', 'xyz', 'applied', '', 1);"
	         " PRAGMA user_version = 8;\"",
	         f->path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(hl_store_open(&f->st, f->path, 0), 0);
	assert_int_equal(hl_store_schema_version(f->st), 17);
	snprintf(cmd, sizeof(cmd),
	         "test \"$(sqlite3 %s \"SELECT group_concat(id || '=' || bytes) FROM"
	         " (SELECT id, bytes FROM exchange_inbox ORDER BY id)\")\" = 'a=9,b=0'",
	         f->path);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd),
	         "sqlite3 %s \"EXPLAIN QUERY PLAN SELECT sum(bytes) FROM exchange_inbox WHERE"
	         " state = 'held' AND sender = '06652'\" | grep -q 'COVERING INDEX"
	         " exchange_inbox_held'",
	         f->path);
	assert_int_equal(system(cmd), 0);
}

/* Schema 14 on a store of schema 13 holding lessons: each queued for the search index under its
 * index id (HL_INDEX_LESSONS + its id), after what was queued before. */
static void test_migration_14_queues_lessons(void **state)
{
	fx *f = *state;
	char cmd[1000];
	hl_store_free(f->st);
	f->st = NULL;
	snprintf(cmd, sizeof(cmd),
	         "sqlite3 %s \"" UNDO_14
	         " INSERT INTO lesson(task_id, agency, title, body, folded, at, by)"
	         " VALUES (NULL, 'SO-YT', 'a', 'b', 'a b', '2025-07-05', 't'),"
	         " (NULL, 'SO-YT', 'c', 'd', 'c d', '2025-07-06', 't');"
	         " INSERT INTO index_queue(document_id) VALUES (7);"
	         " PRAGMA user_version = 13;\"",
	         f->path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(hl_store_open(&f->st, f->path, 0), 0);
	assert_int_equal(hl_store_schema_version(f->st), 17);
	snprintf(cmd, sizeof(cmd),
	         "test \"$(sqlite3 %s \"SELECT group_concat(document_id) FROM"
	         " (SELECT document_id FROM index_queue ORDER BY seq)\")\" ="
	         " '7,%lld,%lld'",
	         f->path, (long long)HL_INDEX_LESSONS + 1, (long long)HL_INDEX_LESSONS + 2);
	assert_int_equal(system(cmd), 0);
}

/* Schema 16 on a store of schema 15 holding a dataset: the sharing tables added, empty, the
 * dataset kept; a request's state other than the four is refused by the table itself. */
static void test_migration_16_adds_sharing(void **state)
{
	fx *f = *state;
	char cmd[1200];
	hl_store_free(f->st);
	f->st = NULL;
	snprintf(cmd, sizeof(cmd),
	         "sqlite3 %s \"" UNDO_16
	         " INSERT INTO dataset(name, title, sector, access, schema, ncols, created_at,"
	         " created_by) VALUES ('yte', 'Y tế', 'health', 2, '{}', 0, 'x', 't');"
	         " PRAGMA user_version = 15;\"",
	         f->path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(hl_store_open(&f->st, f->path, 0), 0);
	assert_int_equal(hl_store_schema_version(f->st), 17);
	snprintf(cmd, sizeof(cmd),
	         "test \"$(sqlite3 %s \"SELECT (SELECT count(*) FROM data_request) || ','"
	         " || (SELECT count(*) FROM data_grant) || ',' || (SELECT name FROM dataset) || ','"
	         " || (SELECT count(*) FROM dataset_subscription)\")\" = '0,0,yte,0'",
	         f->path);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd),
	         "sqlite3 %s \"INSERT INTO data_request(dataset_id, agency, purpose, legal_basis,"
	         " requested_at, requested_by, due, state) VALUES (1, 'SO-TC', 'p', 'b', 'x', 't',"
	         " '2025-07-14', 'lost')\" 2>/dev/null",
	         f->path);
	assert_int_not_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_schema_and_reopen, setup, teardown),
	    cmocka_unit_test(test_open_missing_is_notfound),
	    cmocka_unit_test_setup_teardown(test_migration_9_counts_held_bytes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migration_14_queues_lessons, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_put_get_update_versions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_versions_keep_old_content, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ordinal_conflict, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rollback_leaves_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_queue_since_trim_max, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_blobs_idempotent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_files_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migration_16_adds_sharing, setup, teardown),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
