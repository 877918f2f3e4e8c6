/* Description as archivists write it (ISAD(G) levels, Thông tư 02/2019/TT-BNV): what each level
 * takes, what a value may be, who may write it; the store writes it with its audit entry
 * (src/lib/store/describe.c). One door for `halong describe` and PATCH/PUT of the API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_int.h"
#include "halong/text.h"
#include "halong/util.h"
#include "manifest_int.h"

enum {
	F_TITLE,
	F_FROM,
	F_TO,
	F_EXTENT,
	F_HISTORY,
	F_SCOPE,
	F_RETENTION,
	F_SERIES,
	F_NOTES,
	NF = HL_DESC_FIELDS
};

void hl_desc_clear(hl_desc *d)
{
	if (!d)
		return;
	for (int i = 0; i < NF; i++)
		free(*hl_store_desc_field(d, i));
	memset(d, 0, sizeof(*d));
}

int hl_level_parse(hl_level *out, const char *s)
{
	static const char *const levels[] = {"fonds", "series", "dossier"};
	for (int i = 0; s && i < 3; i++)
		if (!strcmp(s, levels[i])) {
			*out = (hl_level)i;
			return 0;
		}
	return hl_error_set(HL_EINVALID, "unknown level \"%.40s\" (fonds, series, dossier)",
	                    s ? s : "");
}

static const char *level_name(hl_level l)
{
	return l == HL_LEVEL_FONDS ? "a fonds" : l == HL_LEVEL_SERIES ? "a series" : "a dossier";
}

/* A code: 1 to 64 bytes, no control characters, no slash (it names a path of the API). */
static int check_code(const char *what, const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return hl_error_set(HL_EINVALID, "%s code: 1 to 64 bytes", what);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '/')
			return hl_error_set(HL_EINVALID, "%s code: no control characters or /",
			                    what);
	return 0;
}

/* One value of the edit, checked and made canonical into *out (malloc'd; "" stays ""). */
static int clean(char **out, int i, const char *v)
{
	size_t max = i == F_HISTORY || i == F_SCOPE || i == F_NOTES ? HL_DESC_MAX : 1000;
	char buf[16];
	*out = NULL;
	if (strlen(v) > max)
		return hl_error_set(HL_EINVALID, "%s: at most %zu bytes", hl_store_desc_name(i),
		                    max);
	if (!*v)
		return (*out = hl_strdup("")) ? 0 : hl_error_set(HL_ENOMEM, "out of memory");
	if (i == F_FROM || i == F_TO) {
		if (hl_manifest__date(buf, v) < 0)
			return hl_error_set(
			    HL_EINVALID,
			    "%s: bad date \"%.40s\" (yyyy-mm-dd, dd/mm/yyyy, mm/yyyy or "
			    "yyyy)",
			    hl_store_desc_name(i), v);
		return (*out = hl_strdup(buf)) ? 0 : hl_error_set(HL_ENOMEM, "out of memory");
	}
	if (i == F_RETENTION) {
		if (hl_manifest__retention(buf, v) < 0)
			return hl_error_set(
			    HL_EINVALID,
			    "retention: \"%.40s\" is neither permanent (vĩnh viễn) nor a "
			    "number of years",
			    v);
		return (*out = hl_strdup(buf)) ? 0 : hl_error_set(HL_ENOMEM, "out of memory");
	}
	if (i == F_SERIES)
		return check_code("series", v) < 0 ? -1
		       : (*out = hl_strdup(v))     ? 0
		                                   : hl_error_set(HL_ENOMEM, "out of memory");
	/* text: valid UTF-8 in NFC; a line break only where a paragraph may be */
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if ((*p < 0x20 &&
		     !((*p == '\n' || *p == '\r' || *p == '\t') && max == HL_DESC_MAX)) ||
		    *p == 0x7f || (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)) /* C0, DEL, C1 */
			return hl_error_set(HL_EINVALID, "%s: control characters are not allowed",
			                    hl_store_desc_name(i));
	if (hl_text_nfc(out, v, -1) < 0)
		return hl_error_set(HL_EINVALID, "%s: not valid UTF-8", hl_store_desc_name(i));
	return 0;
}

/* Date order of a partial ISO date pair: "2015" <= "2015-11-24" <= "2016" (compared on the
 * length both have). */
static int dates_in_order(const char *from, const char *to)
{
	size_t n = strlen(from) < strlen(to) ? strlen(from) : strlen(to);
	return strncmp(from, to, n) <= 0;
}

/* What the edit changes against `old`: *e the canonical edit (only changed fields), changed
 * the names of those fields ("" when none). */
static int prepare(hl_desc *e, char *changed, size_t cap, hl_level level, const hl_desc *edit,
                   const hl_desc *old)
{
	hl_desc *in = (hl_desc *)edit, *was = (hl_desc *)old; /* read only */
	int rc;
	memset(e, 0, sizeof(*e));
	*changed = '\0';
	for (int i = 0; i < NF; i++) {
		const char *v = *hl_store_desc_field(in, i), *o = *hl_store_desc_field(was, i);
		char *c = NULL;
		if (!v)
			continue;
		if (!hl_store_desc_column((int)level, i))
			return hl_error_set(HL_EINVALID, "%s: %s has no such field",
			                    hl_store_desc_name(i), level_name(level));
		if ((rc = clean(&c, i, v)) < 0)
			return rc;
		if (i == F_TITLE && !*c && level != HL_LEVEL_DOSSIER) {
			free(c);
			return hl_error_set(HL_EINVALID, "title: %s keeps a %s", level_name(level),
			                    level == HL_LEVEL_FONDS ? "name" : "title");
		}
		if (!strcmp(c, o ? o : "")) {
			free(c);
			continue;
		}
		*hl_store_desc_field(e, i) = c;
		snprintf(changed + strlen(changed), cap - strlen(changed), "%s%s",
		         *changed ? "," : "", hl_store_desc_name(i));
	}
	{
		const char *from = e->date_from ? e->date_from : old->date_from,
		           *to = e->date_to ? e->date_to : old->date_to;
		if (from && to && *from && *to && !dates_in_order(from, to))
			return hl_error_set(HL_EINVALID, "date_from %s is after date_to %s", from,
			                    to);
	}
	return 0;
}

typedef struct {
	const char *want;
	int found;
} series_find;

static int series_cb(const char *code, const hl_desc *d, int64_t dossiers, void *ud)
{
	series_find *f = ud;
	(void)d, (void)dossiers;
	if (strcmp(code, f->want))
		return 0;
	f->found = 1;
	return 1;
}

/* Is `code` a series of fonds `fonds`? 1, 0 with HL_EINVALID set, or an error. */
static int series_known(hl_store *st, const char *fonds, const char *code)
{
	series_find f = {code, 0};
	int rc = hl_store_series_list(st, fonds, 0, 0, 1, series_cb, &f);
	if (rc < 0)
		return rc;
	return f.found ? 0
	               : hl_error_set(HL_EINVALID,
	                              "series: fonds %s has no series %s (create it "
	                              "first)",
	                              fonds, code);
}

/* The description the edit starts from; a series not there yet starts empty. */
static int current(hl_desc *old, hl_store *st, hl_level level, const char *fonds, const char *code)
{
	int rc;
	memset(old, 0, sizeof(*old));
	if (level == HL_LEVEL_FONDS)
		return hl_store_fonds_desc(old, st, fonds);
	if (level == HL_LEVEL_DOSSIER) {
		rc = hl_store_dossier_desc(old, st, fonds, code);
		return rc == HL_ENOTFOUND
		           ? hl_error_set(HL_ENOTFOUND, "no dossier %s in fonds %s", code, fonds)
		           : rc;
	}
	return hl_store_series_desc(old, st, fonds, code);
}

int hl_archive_describe(hl_fonds **out, hl_archive *a, const hl_principal *who, hl_level level,
                        const char *fonds, const char *code, const hl_desc *edit)
{
	hl_store *st = hl_archive_store(a);
	hl_desc old = {0}, e = {0};
	char changed[160];
	int rc;

	if (!edit)
		return hl_error_set(HL_EINVALID, "describe: nothing to change");
	if ((rc = check_code("fonds", fonds)) < 0)
		return rc;
	if (level != HL_LEVEL_FONDS &&
	    (rc = check_code(level == HL_LEVEL_SERIES ? "series" : "dossier", code)) < 0)
		return rc;
	if ((rc = hl_archive__fonds_writable(a, who, fonds)) < 0)
		return rc;
	if ((rc = hl_store_begin(st)) < 0)
		return rc;
	rc = current(&old, st, level, fonds, code);
	if (rc == HL_ENOTFOUND && level == HL_LEVEL_SERIES)
		rc = 0;
	if (rc < 0 || (rc = prepare(&e, changed, sizeof(changed), level, edit, &old)) < 0)
		goto done;
	if (e.series && *e.series && (rc = series_known(st, fonds, e.series)) < 0)
		goto done;
	if (level == HL_LEVEL_SERIES && !old.title && !e.title) {
		rc = hl_error_set(HL_EINVALID, "series %s of fonds %s is new: give its title", code,
		                  fonds);
		goto done;
	}
	/* nothing changed: nothing written, nothing audited */
	if (*changed)
		rc = hl_store_describe(st, (int)level, fonds, code, &e, changed,
		                       hl_principal_actor(who));
done:
	rc = rc < 0 ? (hl_store_rollback(st), rc) : hl_store_commit(st);
	hl_desc_clear(&old);
	hl_desc_clear(&e);
	if (rc == 0 && out)
		rc = hl_archive_fonds_get(out, a, who, fonds, NULL);
	return rc;
}

int hl_archive_series_remove(hl_archive *a, const hl_principal *who, const char *fonds,
                             const char *code)
{
	int rc;
	if ((rc = check_code("fonds", fonds)) < 0 || (rc = check_code("series", code)) < 0)
		return rc;
	if ((rc = hl_archive__fonds_writable(a, who, fonds)) < 0)
		return rc;
	return hl_store_series_remove(hl_archive_store(a), fonds, code, hl_principal_actor(who));
}
