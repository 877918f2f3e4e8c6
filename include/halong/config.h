/* A node's settings: the one table of every known setting, the parser of `key = value` files
 * (halong --config FILE, /etc/halong/halong.conf), and the checks of `halong config check`.
 * Every setting is an environment variable HALONG_<KEY>; a file only sets the variables not
 * already set, so library code reads getenv("HALONG_...") and nothing else. */
#ifndef HALONG_CONFIG_H
#define HALONG_CONFIG_H

#include <stddef.h>

#include "halong/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits on a configuration file (it may be anyone's). */
#define HL_CONFIG_FILE_MAX  ((size_t)64 << 10) /* bytes */
#define HL_CONFIG_LINE_MAX  4096               /* bytes of one line */
#define HL_CONFIG_VALUE_MAX 4000               /* bytes of one value */

typedef enum {
	HL_CONFIG_PATH,     /* a file */
	HL_CONFIG_DIR,      /* a folder */
	HL_CONFIG_INT,      /* a whole number in [min, max] */
	HL_CONFIG_BOOL,     /* 1/0, true/false, yes/no, on/off */
	HL_CONFIG_STRING,   /* any text */
	HL_CONFIG_HOSTPORT, /* HOST:PORT, [IPV6]:PORT, :PORT or PORT */
	HL_CONFIG_PATHLIST, /* folders separated by ':' */
} hl_config_type;

enum {
	/* for tests only: refused in a configuration file, a problem when set on a node */
	HL_CONFIG_TEST_ONLY = 1u << 0,
	/* environment only (the file's own name): refused in a configuration file */
	HL_CONFIG_ENV_ONLY = 1u << 1,
	/* a file of secrets: must exist, be readable, and be open to its owner alone; its contents
	 * are never read by the checks nor printed */
	HL_CONFIG_SECRET = 1u << 2,
	/* must exist (a file or folder, by its type) */
	HL_CONFIG_MUST_EXIST = 1u << 3,
	/* a folder this user must be able to write (the data directory) */
	HL_CONFIG_WRITABLE = 1u << 4,
};

typedef struct {
	const char *key;     /* "backup_targets": the file's key */
	const char *env;     /* "HALONG_BACKUP_TARGETS" */
	hl_config_type type; /* what its value must be */
	long long min, max;  /* HL_CONFIG_INT */
	const char *def;     /* the default as it would be written; NULL: none or computed */
	const char *meaning; /* one line */
	unsigned flags;      /* HL_CONFIG_TEST_ONLY, ... */
} hl_config_setting;

/* The table, in the order `halong config check` prints it; *n its length. */
const hl_config_setting *hl_config_settings(size_t *n);
/* The setting of a file's key ("home") or an environment name ("HALONG_HOME"); NULL if unknown. */
const hl_config_setting *hl_config_find(const char *key);
/* "path", "dir", "int", "bool", "string", "host:port", "path-list". */
const char *hl_config_type_name(hl_config_type t);

/* Checks the form of a value (no file is looked at): 0, or HL_EINVALID with the reason in
 * msg ("a whole number from 0 to 65535 is expected, not \"x\""). */
int hl_config_value_ok(char *msg, size_t cap, const hl_config_setting *s, const char *value);
/* Checks what the value names on this machine, as this user: a file or folder that must exist,
 * a data directory writable, a secret file open to its owner alone. 0, or HL_EINVALID with the
 * reason in msg. Never reads a secret file's contents. */
int hl_config_value_check(char *msg, size_t cap, const hl_config_setting *s, const char *value);

/* A setting's value from the environment, its form checked (hl_config_value_ok): 0 and *out
 * set, 1 when unset or empty (*out untouched), HL_EINVALID naming the variable for a value of
 * the wrong form, HL_ENOTFOUND for a key not in the table. */
int hl_config_env_str(const char **out, const char *key);
int hl_config_env_int(long long *out, const char *key);
int hl_config_env_bool(int *out, const char *key);

/* ---- configuration files ----
 *
 * One setting a line: `key = value`. Blank lines and lines whose first non-blank character is
 * '#' are ignored; key and value are trimmed of blanks; the value runs to the end of the line
 * (a '#' after the value is part of it; no quotes, no escapes, no continuation lines). A key
 * must be known (hl_config_find), given once, not test-only, with a value of its form. */

typedef struct hl_config hl_config;

/* Parses the file at path. Every problem found is kept ("FILE:LINE: message", see
 * hl_config_problem); with one or more, HL_EINVALID with the first as the error, and *out
 * still set (for `config check`, which prints them all). A file that cannot be read, or larger
 * than HL_CONFIG_FILE_MAX: HL_ENOTFOUND / HL_EIO / HL_ELIMIT and *out untouched. */
int hl_config_load(hl_config **out, const char *path);
/* The same on text in memory; name is the file's name in the problems. */
int hl_config_parse(hl_config **out, const char *name, const char *text, size_t len);
void hl_config_free(hl_config *c);

const char *hl_config_name(const hl_config *c);
/* The problems found: n, and each "FILE:LINE: message". */
size_t hl_config_problems(const hl_config *c);
const char *hl_config_problem(const hl_config *c, size_t i);
/* The value a good line of the file gives key (a file's key), and its line; NULL if none. */
const char *hl_config_get(const hl_config *c, const char *key, int *line);

/* Sets HALONG_<KEY> for each setting of the file that is not already in the environment
 * (the environment wins); remembers which it set (hl_config_applied). A file with problems is
 * refused (HL_EINVALID, the first problem) and nothing is set. */
int hl_config_apply(hl_config *c);
/* 1 when hl_config_apply set this setting's variable from the file. */
int hl_config_applied(const hl_config *c, const hl_config_setting *s);

/* ---- where halong's shipped files are ----
 *
 * A binary run from its build folder (the tests, `make demo`) uses the source tree's data/,
 * web/ and docs/; an installed one (meson install, the Debian package) the install prefix's
 * share/halong/. The environment overrides either. */

/* 1 when this process's executable lies inside the build folder it was compiled in. */
int hl_config_uninstalled(void);
/* $HALONG_DATA, else the shipped data (units, agencies, catalog, openapi.json when
 * installed). Static storage. */
const char *hl_config_data_dir(void);
/* $HALONG_WEB_ROOT, else the shipped web interface. Static storage. */
const char *hl_config_web_dir(void);
/* The shipped data and web folders, as compiled in for this binary (the defaults above). */
const char *hl_config_default_data_dir(void);
const char *hl_config_default_web_dir(void);

#ifdef __cplusplus
}
#endif

#endif
