/* The thread-local error message, error names and access-level names shared by every module. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halong/common.h"
#include "halong/text.h"

static _Thread_local char err_msg[1024];
static _Thread_local int err_code;

int hl_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err_msg, sizeof(err_msg), fmt, ap);
	va_end(ap);
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

static const char *const access_names[] = {"public", "internal", "restricted", "secret"};
/* Vietnamese names, folded (tones, diacritics and đ removed). */
static const char *const access_vi[][3] = {
    {"cong khai", "cong khai", NULL},
    {"noi bo", "han che noi bo", NULL},
    {"han che", "han che tiep can", NULL},
    {"mat", "toi mat", "tuyet mat"},
};

const char *hl_access_name(hl_access a)
{
	return (unsigned)a < 4 ? access_names[a] : "unknown";
}

int hl_access_parse(hl_access *out, const char *s)
{
	char *f = NULL;
	int rc = HL_EINVALID;

	if (!s || hl_text_fold(&f, s, -1) < 0)
		return hl_error_set(HL_EINVALID, "access level is not valid UTF-8");
	/* trim */
	char *b = f, *e = f + strlen(f);
	while (*b == ' ' || *b == '\t')
		b++;
	while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	for (int i = 0; i < 4 && rc; i++) {
		if (!strcmp(b, access_names[i]))
			rc = 0;
		for (int j = 0; j < 3 && rc; j++)
			if (access_vi[i][j] && !strcmp(b, access_vi[i][j]))
				rc = 0;
		if (!rc)
			*out = (hl_access)i;
	}
	if (rc)
		hl_error_set(
		    HL_EINVALID,
		    "unknown access level \"%s\" (expected public, internal, restricted or "
		    "secret; or công khai, nội bộ, hạn chế, mật)",
		    s);
	free(f);
	return rc;
}
