/* Unit tests of the settings (src/lib/ops/config.c): the table's names, the `key = value`
 * parser and its FILE:LINE problems on malformed, hostile and oversized files, the value forms,
 * the environment winning over a file, and the checks of secret files and folders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "halong/config.h"

static hl_config *parse(const char *text, int want)
{
	hl_config *c = NULL;
	assert_int_equal(hl_config_parse(&c, "t.conf", text, strlen(text)), want);
	assert_non_null(c);
	return c;
}

/* The problem i holds "t.conf:LINE: " and needle. */
static void has_problem(const hl_config *c, size_t i, int line, const char *needle)
{
	char head[32];
	const char *p = hl_config_problem(c, i);
	assert_non_null(p);
	snprintf(head, sizeof(head), "t.conf:%d: ", line);
	if (strncmp(p, head, strlen(head)) != 0 || !strstr(p, needle))
		fail_msg("problem %zu is \"%s\", wanted \"%s...%s\"", i, p, head, needle);
}

static void test_table(void **state)
{
	size_t n;
	const hl_config_setting *t = hl_config_settings(&n);
	(void)state;
	assert_true(n >= 20);
	for (size_t i = 0; i < n; i++) {
		char env[80] = "HALONG_";
		/* the variable is HALONG_ and the key in upper case; a key is lower case */
		for (size_t k = 0; t[i].key[k]; k++) {
			assert_false(isupper((unsigned char)t[i].key[k]));
			env[7 + k] = (char)toupper((unsigned char)t[i].key[k]);
			env[8 + k] = '\0';
		}
		assert_string_equal(t[i].env, env);
		assert_ptr_equal(hl_config_find(t[i].key), &t[i]);
		assert_ptr_equal(hl_config_find(t[i].env), &t[i]);
		assert_true(t[i].meaning && *t[i].meaning);
		/* a default has the setting's own form */
		if (t[i].def) {
			char msg[256];
			if (hl_config_value_ok(msg, sizeof(msg), &t[i], t[i].def) < 0)
				fail_msg("%s: default \"%s\": %s", t[i].key, t[i].def, msg);
		}
	}
	for (const char *const *k =
	         (const char *const[]){"home", "backup_targets", "backup_max_age_hours",
	                               "backup_key_file", "metrics_token_file", "ready_queue_max",
	                               "ready_disk_min_mb", "listen", "web_root", NULL};
	     *k; k++)
		assert_non_null(hl_config_find(*k));
	assert_true(hl_config_find("today")->flags & HL_CONFIG_TEST_ONLY);
	assert_true(hl_config_find("exchange_clock_shift_ms")->flags & HL_CONFIG_TEST_ONLY);
	assert_null(hl_config_find("nosuch"));
	assert_null(hl_config_find(NULL));
}

static void test_parse_good(void **state)
{
	int line = 0;
	hl_config *c = parse("# a comment\n"
	                     "\n"
	                     "   \t \n"
	                     "home = /var/lib/halong\n"
	                     "  listen=0.0.0.0:8080  \n"
	                     "backup_targets = /a:/b c\r\n"
	                     "public_url = https://x.example/#frag\n"
	                     "   # indented comment\n"
	                     "threads =  4",
	                     0);
	(void)state;
	assert_int_equal(hl_config_problems(c), 0);
	assert_string_equal(hl_config_get(c, "home", &line), "/var/lib/halong");
	assert_int_equal(line, 4);
	assert_string_equal(hl_config_get(c, "listen", &line), "0.0.0.0:8080");
	assert_int_equal(line, 5);
	/* inner blanks kept, the CR of a CRLF file trimmed */
	assert_string_equal(hl_config_get(c, "backup_targets", NULL), "/a:/b c");
	/* a '#' inside a value is the value's: no end-of-line comments */
	assert_string_equal(hl_config_get(c, "public_url", NULL), "https://x.example/#frag");
	assert_string_equal(hl_config_get(c, "threads", &line), "4");
	assert_int_equal(line, 9); /* the last line has no '\n' */
	assert_null(hl_config_get(c, "data", NULL));
	hl_config_free(c);
	hl_config_free(NULL);

	c = parse("", 0);
	assert_int_equal(hl_config_problems(c), 0);
	hl_config_free(c);
}

static void test_parse_problems(void **state)
{
	hl_config *c = parse("home = /x\n"                 /* 1 good */
	                     "nosuch = 1\n"                /* 2 unknown */
	                     "HOME = /y\n"                 /* 3 upper case */
	                     "HALONG_HOME = /y\n"          /* 4 the variable's name */
	                     "home = /z\n"                 /* 5 twice */
	                     "threads = many\n"            /* 6 not a number */
	                     "threads = 0\n"               /* 7 out of range (first good?) */
	                     "listen = 1.2.3.4:70000\n"    /* 8 port */
	                     "secure_cookies = maybe\n"    /* 9 bool */
	                     "backup_targets = /a::/b\n"   /* 10 an empty folder */
	                     "just words\n"                /* 11 no '=' */
	                     " = 5\n"                      /* 12 no key */
	                     "public_url =\n"              /* 13 no value */
	                     "today = 2026-01-01\n"        /* 14 test-only */
	                     "config = /etc/halong.conf\n" /* 15 environment only */
	                     "ready_queue_max = -1\n"      /* 16 below 0 */
	                     "ready_queue_max = 1e3\n"     /* 17 */
	                     "exchange_batch = 99999999999999999999\n", /* 18 overflow */
	                     HL_EINVALID);
	(void)state;
	assert_int_equal(hl_config_problems(c), 17);
	/* the error is the first problem */
	assert_non_null(strstr(hl_error_last(), "t.conf:2: unknown key \"nosuch\""));
	has_problem(c, 0, 2, "unknown key \"nosuch\"");
	has_problem(c, 1, 3, "lower case: home");
	has_problem(c, 2, 4, "lower case: home");
	has_problem(c, 3, 5, "home is set twice (first on line 1)");
	has_problem(c, 4, 6, "threads: a whole number from 1 to 256 is expected, not \"many\"");
	has_problem(c, 5, 7, "from 1 to 256");
	has_problem(c, 6, 8, "HOST:PORT");
	has_problem(c, 7, 9, "not \"maybe\"");
	has_problem(c, 8, 10, "without an empty one");
	has_problem(c, 9, 11, "`key = value` is expected, not \"just words\"");
	has_problem(c, 10, 12, "a key is expected");
	has_problem(c, 11, 13, "a value is expected");
	has_problem(c, 12, 14, "for tests only");
	has_problem(c, 13, 15, "HALONG_CONFIG");
	has_problem(c, 14, 16, ">= 0");
	has_problem(c, 15, 17, "not \"1e3\"");
	has_problem(c, 16, 18, "exchange_batch");
	/* good lines are kept, bad ones are not */
	assert_string_equal(hl_config_get(c, "home", NULL), "/x");
	assert_null(hl_config_get(c, "threads", NULL));
	/* a file with problems is never applied */
	unsetenv("HALONG_HOME");
	assert_int_equal(hl_config_apply(c), HL_EINVALID);
	assert_null(getenv("HALONG_HOME"));
	hl_config_free(c);
}

static void test_parse_hostile(void **state)
{
	size_t big = HL_CONFIG_FILE_MAX + 1;
	char *text = malloc(big + 1);
	hl_config *c = NULL;
	(void)state;
	assert_non_null(text);

	/* larger than the limit: refused whole, nothing returned */
	memset(text, '#', big);
	text[big] = '\0';
	assert_int_equal(hl_config_parse(&c, "t.conf", text, big), HL_ELIMIT);
	assert_null(c);

	/* a line over the limit; a NUL byte; control characters in a value */
	memset(text, 'a', HL_CONFIG_LINE_MAX + 10);
	memcpy(text, "home = ", 7);
	text[HL_CONFIG_LINE_MAX + 10] = '\n';
	memcpy(text + HL_CONFIG_LINE_MAX + 11, "home = /a\0b\nlisten = :80\x1b[2J\n", 28);
	assert_int_equal(hl_config_parse(&c, "t.conf", text, HL_CONFIG_LINE_MAX + 11 + 28),
	                 HL_EINVALID);
	assert_int_equal(hl_config_problems(c), 3);
	has_problem(c, 0, 1, "longer than");
	has_problem(c, 1, 2, "NUL");
	has_problem(c, 2, 3, "control character");
	hl_config_free(c);

	/* a very long unknown key is cut in the message */
	memset(text, 'k', 3000);
	memcpy(text + 3000, " = 1\n", 6);
	c = parse(text, HL_EINVALID);
	assert_true(strlen(hl_config_problem(c, 0)) < 200);
	hl_config_free(c);
	free(text);

	/* a file that is not there */
	assert_int_equal(hl_config_load(&c, "/nonexistent/halong.conf"), HL_ENOTFOUND);
	assert_non_null(strstr(hl_error_last(), "/nonexistent/halong.conf"));
}

static void test_apply_env_wins(void **state)
{
	hl_config *c = parse("home = /from/file\nready_queue_max = 5\n", 0);
	long long n = 0;
	(void)state;
	setenv("HALONG_HOME", "/from/env", 1);
	unsetenv("HALONG_READY_QUEUE_MAX");
	assert_int_equal(hl_config_apply(c), 0);
	assert_string_equal(getenv("HALONG_HOME"), "/from/env");
	assert_string_equal(getenv("HALONG_READY_QUEUE_MAX"), "5");
	assert_false(hl_config_applied(c, hl_config_find("home")));
	assert_true(hl_config_applied(c, hl_config_find("ready_queue_max")));
	assert_int_equal(hl_config_env_int(&n, "ready_queue_max"), 0);
	assert_int_equal(n, 5);
	hl_config_free(c);

	setenv("HALONG_READY_QUEUE_MAX", "five", 1);
	assert_int_equal(hl_config_env_int(&n, "ready_queue_max"), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "HALONG_READY_QUEUE_MAX"));
	unsetenv("HALONG_READY_QUEUE_MAX");
	assert_int_equal(hl_config_env_int(&n, "ready_queue_max"), 1);
	assert_int_equal(hl_config_env_int(&n, "nosuch"), HL_ENOTFOUND);
	unsetenv("HALONG_HOME");
}

static void test_value_checks(void **state)
{
	char dir[] = "/tmp/hl_config_XXXXXX", path[128], msg[512];
	const hl_config_setting *tok = hl_config_find("metrics_token_file");
	const hl_config_setting *home = hl_config_find("home");
	const hl_config_setting *targets = hl_config_find("backup_targets");
	FILE *f;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/token", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("s3cret-token-value", f);
	fclose(f);

	chmod(path, 0640);
	assert_int_equal(hl_config_value_check(msg, sizeof(msg), tok, path), HL_EINVALID);
	assert_non_null(strstr(msg, "mode 0640"));
	assert_null(strstr(msg, "s3cret")); /* never the contents */
	chmod(path, 0600);
	assert_int_equal(hl_config_value_check(msg, sizeof(msg), tok, path), 0);
	assert_int_equal(hl_config_value_check(msg, sizeof(msg), tok, dir), HL_EINVALID);
	assert_non_null(strstr(msg, "not a regular file"));

	assert_int_equal(hl_config_value_check(msg, sizeof(msg), home, dir), 0);
	assert_int_equal(hl_config_value_check(msg, sizeof(msg), home, path), HL_EINVALID);
	assert_non_null(strstr(msg, "not a folder"));
	assert_int_equal(hl_config_value_check(msg, sizeof(msg), home, "/nonexistent/x"),
	                 HL_EINVALID);

	snprintf(path, sizeof(path), "%s:/nonexistent/b", dir);
	assert_int_equal(hl_config_value_check(msg, sizeof(msg), targets, path), HL_EINVALID);
	assert_non_null(strstr(msg, "/nonexistent/b"));
	snprintf(path, sizeof(path), "%s:%s", dir, dir);
	assert_int_equal(hl_config_value_check(msg, sizeof(msg), targets, path), 0);

	assert_int_equal(
	    hl_config_value_check(msg, sizeof(msg), hl_config_find("today"), "2026-01-01"),
	    HL_EINVALID);
	assert_non_null(strstr(msg, "tests only"));

	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),          cmocka_unit_test(test_parse_good),
	    cmocka_unit_test(test_parse_problems), cmocka_unit_test(test_parse_hostile),
	    cmocka_unit_test(test_apply_env_wins), cmocka_unit_test(test_value_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
