/* The thread-local error message and error names shared by every module. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halong/common.h"
#include "halong/util.h"

static _Thread_local char err_msg[1024];
static _Thread_local int err_code;

int hl_error_set(int code, const char *fmt, ...)
{
	char msg[sizeof(err_msg)];
	va_list ap;
	/* formatted apart first: a caller may quote the message before ("%s: %s", path,
	 * hl_error_last()), and vsnprintf may not read what it writes */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(err_msg, msg, sizeof(err_msg));
	/* A message is one line for a person: values from outside quoted in it (a units file's
	 * field, a manifest's cell) must not break it, nor move a terminal's cursor, nor leave
	 * half a character where it was cut. */
	hl_str_one_line(err_msg);
	err_code = code;
	return code;
}

const char *hl_error_last(void)
{
	return err_msg;
}

int hl_error_code(void)
{
	return err_code;
}

void hl_error_clear(void)
{
	err_msg[0] = '\0';
	err_code = 0;
}

const char *hl_error_name(int code)
{
	switch (code) {
	case HL_OK:
		return "ok";
	case HL_ENOTFOUND:
		return "not found";
	case HL_EINVALID:
		return "invalid input";
	case HL_EDENIED:
		return "access denied";
	case HL_ECONFLICT:
		return "conflict";
	case HL_ELIMIT:
		return "limit exceeded";
	case HL_EIO:
		return "input/output error";
	case HL_ENOMEM:
		return "out of memory";
	default:
		return "error";
	}
}
