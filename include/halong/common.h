/* Error codes, the thread-local error message and the progress callback shared by every module. */
#ifndef HALONG_COMMON_H
#define HALONG_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HL_VERSION "0.1.0"

/* Expected failures; -1 (HL_ERROR) for everything else. */
enum {
	HL_OK = 0,
	HL_ERROR = -1,
	HL_ENOTFOUND = -2,
	HL_EINVALID = -3,
	HL_EDENIED = -4,
	HL_ECONFLICT = -5,
	HL_ELIMIT = -6,
	HL_EIO = -7,
	HL_ENOMEM = -8,
};

/* Sets the calling thread's last error message (printf-style) and returns `code`. */
int hl_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The calling thread's last error message, or "" if none. Valid until the next hl_error_set. */
const char *hl_error_last(void);
/* The code of the last error set on this thread (0 if none). */
int hl_error_code(void);
void hl_error_clear(void);
/* A short English name for an error code ("not found", "invalid input", ...). */
const char *hl_error_name(int code);

/* Progress of long work: `done` of `total` units (total 0 = unknown); `what` names the phase.
 * Returning non-zero asks the work to stop at the next safe point. */
typedef int (*hl_progress_cb)(const char *what, uint64_t done, uint64_t total, void *ud);

/* A node's store: the connection every module's verbs work on (SQLite today, PostgreSQL at the
 * hub), opaque to clients; hl_archive_store gives the one of an open data directory. Its
 * functions are private to the library (src/lib/store/). */
typedef struct hl_store hl_store;

#ifdef __cplusplus
}
#endif
#endif
