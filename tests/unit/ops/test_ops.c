/* Unit tests of the readiness checks (src/lib/ops): the thresholds read from the environment,
 * the store's write probe leaving nothing behind, and each check's outcome on a fresh node. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "halong/archive.h"
#include "halong/ops.h"
#include "store/store.h"

static void test_limits(void **state)
{
	hl_ops_limits l;
	(void)state;
	unsetenv("HALONG_READY_QUEUE_MAX");
	unsetenv("HALONG_READY_DISK_MIN_MB");
	assert_int_equal(hl_ops_limits_get(&l), 0);
	assert_int_equal(l.queue_max, 10000);
	assert_int_equal(l.disk_min_bytes, 0); /* the default: min(1 GiB, 5%) */

	setenv("HALONG_READY_QUEUE_MAX", "0", 1);
	setenv("HALONG_READY_DISK_MIN_MB", "2", 1);
	assert_int_equal(hl_ops_limits_get(&l), 0);
	assert_int_equal(l.queue_max, 0);
	assert_int_equal(l.disk_min_bytes, 2u * 1024 * 1024);

	static const char *const bad[] = {"-1", "ten", "1e3", "12 ", "99999999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("HALONG_READY_QUEUE_MAX", bad[i], 1);
		assert_int_equal(hl_ops_limits_get(&l), HL_EINVALID);
		assert_non_null(strstr(hl_error_last(), "HALONG_READY_QUEUE_MAX"));
	}
	unsetenv("HALONG_READY_QUEUE_MAX");
	setenv("HALONG_READY_DISK_MIN_MB", "99999999999999", 1);
	assert_int_equal(hl_ops_limits_get(&l), HL_EINVALID);
	unsetenv("HALONG_READY_DISK_MIN_MB");
}

static void test_checks_fresh_node(void **state)
{
	char dir[] = "/tmp/halong-test-ops.XXXXXX", cmd[64];
	hl_archive *a = NULL;
	hl_ops_check c[HL_OPS_NCHECKS];
	hl_ops_limits l = {10000, 1};
	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(hl_archive_init(dir), 0);
	assert_int_equal(hl_archive_open(&a, dir), 0);

	assert_int_equal(hl_ops_checks(c, a, &l), 0);
	assert_string_equal(c[HL_OPS_STORE].name, "store");
	assert_int_equal(c[HL_OPS_STORE].state, HL_OPS_OK);
	assert_int_equal(c[HL_OPS_INDEX].state, HL_OPS_OK);
	assert_int_equal(c[HL_OPS_DISK].state, HL_OPS_OK);
	/* not configured is skipped, never passed */
	assert_int_equal(c[HL_OPS_NODE_KEY].state, HL_OPS_SKIP);
	assert_int_equal(c[HL_OPS_BACKUPS].state, HL_OPS_SKIP);
	assert_int_equal(c[HL_OPS_DIRECTORY].state, HL_OPS_SKIP);
	assert_non_null(strstr(c[HL_OPS_BACKUPS].reason, "not configured"));

	/* the probe leaves no table behind, and fails inside the caller's transaction */
	assert_int_equal(hl_store_begin(hl_archive_store(a)), 0);
	assert_int_equal(hl_store_write_probe(hl_archive_store(a)), HL_ECONFLICT);
	assert_int_equal(hl_store_rollback(hl_archive_store(a)), 0);
	assert_int_equal(hl_store_write_probe(hl_archive_store(a)), 0);
	assert_int_equal(hl_store_write_probe(hl_archive_store(a)), 0); /* not there from before */

	/* more free space asked than any disk has: the disk check fails, and only it */
	l.disk_min_bytes = UINT64_MAX;
	assert_int_equal(hl_ops_checks(c, a, &l), 1);
	assert_int_equal(c[HL_OPS_DISK].state, HL_OPS_FAIL);
	assert_non_null(strstr(c[HL_OPS_DISK].reason, "below"));
	assert_int_equal(hl_ops_checks(c, a, NULL), HL_EINVALID);

	hl_archive_free(a);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_checks_fresh_node),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
