/* Who may see what: roles and their ceilings, a principal's scope of fonds through custody, and
 * the visibility rule of docs/api.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_int.h"
#include "halong/units.h"
#include "halong/text.h"
#include "halong/util.h"

static const char *const role_names[] = {
    [HL_ROLE_ANONYMOUS] = "anonymous", [HL_ROLE_VIEWER] = "viewer",
    [HL_ROLE_OFFICER] = "officer",     [HL_ROLE_INSPECTOR] = "inspector",
    [HL_ROLE_ARCHIVIST] = "archivist", [HL_ROLE_ADMIN] = "admin",
};

const char *hl_role_name(hl_role r)
{
	if ((int)r < 0 || r > HL_ROLE_ADMIN)
		return "anonymous";
	return role_names[r];
}

int hl_role_parse(hl_role *out, const char *s)
{
	for (int r = HL_ROLE_ANONYMOUS; r <= HL_ROLE_ADMIN; r++) {
		if (s && !strcmp(s, role_names[r])) {
			*out = (hl_role)r;
			return 0;
		}
	}
	return hl_error_set(
	    HL_EINVALID, "unknown role \"%.32s\": viewer, officer, inspector, archivist or admin",
	    s ? s : "");
}

hl_access hl_role_ceiling(hl_role r)
{
	switch (r) {
	case HL_ROLE_VIEWER:
	case HL_ROLE_OFFICER:
		return HL_ACCESS_INTERNAL;
	case HL_ROLE_INSPECTOR:
	case HL_ROLE_ARCHIVIST:
	case HL_ROLE_ADMIN:
		return HL_ACCESS_RESTRICTED;
	case HL_ROLE_ANONYMOUS:
	default:
		return HL_ACCESS_PUBLIC;
	}
}

hl_access hl_auth_ceiling(const hl_principal *p)
{
	hl_access a;
	if (!p)
		return HL_ACCESS_PUBLIC;
	if (p->local)
		return HL_ACCESS_SECRET;
	a = hl_role_ceiling(p->role);
	return a >= HL_ACCESS_SECRET ? HL_ACCESS_RESTRICTED : a;
}

#define R(role) (1u << (unsigned)(role))

/* The table behind hl_auth_check: the roles that may, and whether only a province-level unit's
 * staff may (what the act touches is every unit's). */
static const struct {
	unsigned roles;
	int province;
	const char *province_msg;
} acts[] = {
    [HL_ACT_INGEST] = {R(HL_ROLE_ARCHIVIST) | R(HL_ROLE_ADMIN), 1,
                       "manifests are loaded by the province's archivists and admins"},
    [HL_ACT_OCR_RUN] = {R(HL_ROLE_ARCHIVIST) | R(HL_ROLE_ADMIN), 1,
                        "OCR runs are started by the province's archivists and admins"},
    [HL_ACT_OCR_REVIEW] = {R(HL_ROLE_ARCHIVIST) | R(HL_ROLE_ADMIN) | R(HL_ROLE_INSPECTOR), 0, NULL},
    [HL_ACT_JOBS_READ] = {R(HL_ROLE_ARCHIVIST) | R(HL_ROLE_ADMIN) | R(HL_ROLE_INSPECTOR), 0, NULL},
    [HL_ACT_CUSTODY_READ] = {R(HL_ROLE_ARCHIVIST) | R(HL_ROLE_ADMIN) | R(HL_ROLE_INSPECTOR), 0,
                             NULL},
    [HL_ACT_CUSTODY_WRITE] = {R(HL_ROLE_ARCHIVIST) | R(HL_ROLE_ADMIN), 0, NULL},
    [HL_ACT_CUSTODY_DECIDE] = {R(HL_ROLE_ARCHIVIST) | R(HL_ROLE_ADMIN), 1,
                               "custody decisions are made by the province's staff"},
    [HL_ACT_AUDIT_READ] = {R(HL_ROLE_INSPECTOR) | R(HL_ROLE_ADMIN), 1,
                           "the audit log is read by the province's inspectors and admins"},
    [HL_ACT_STATS_ALL] = {R(HL_ROLE_ARCHIVIST) | R(HL_ROLE_ADMIN) | R(HL_ROLE_INSPECTOR), 1,
                          "figures over every record are the province's"},
    [HL_ACT_SEND] = {R(HL_ROLE_ARCHIVIST) | R(HL_ROLE_OFFICER) | R(HL_ROLE_ADMIN), 0, NULL},
    [HL_ACT_EXCHANGE_FOLLOW] = {R(HL_ROLE_ARCHIVIST) | R(HL_ROLE_OFFICER) | R(HL_ROLE_ADMIN) |
                                    R(HL_ROLE_INSPECTOR),
                                0, NULL},
    [HL_ACT_EXCHANGE_WATCH] = {R(HL_ROLE_ARCHIVIST) | R(HL_ROLE_ADMIN) | R(HL_ROLE_INSPECTOR), 0,
                               NULL},
    [HL_ACT_PAGE_EDIT] = {R(HL_ROLE_ARCHIVIST) | R(HL_ROLE_ADMIN), 0, NULL},
    [HL_ACT_DESCRIBE] = {R(HL_ROLE_ARCHIVIST) | R(HL_ROLE_ADMIN), 0, NULL},
    [HL_ACT_OPS_READ] = {R(HL_ROLE_ADMIN), 0, NULL},
};

int hl_auth_check(const hl_principal *who, hl_action act)
{
	char names[128] = "";
	size_t n = 0;
	hl_role role = who ? who->role : HL_ROLE_ANONYMOUS;

	if ((unsigned)act >= sizeof(acts) / sizeof(acts[0]))
		return hl_error_set(HL_EINVALID, "unknown action %d", (int)act);
	if (who && who->local)
		return 0;
	if (!(acts[act].roles & R(role))) {
		for (int i = HL_ROLE_VIEWER; i <= HL_ROLE_ADMIN; i++)
			if (acts[act].roles & R(i))
				n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s",
				                      n ? ", " : "", hl_role_name((hl_role)i));
		if (role == HL_ROLE_ANONYMOUS)
			return hl_error_set(HL_EDENIED, "log in first (this needs one of: %s)",
			                    names);
		return hl_error_set(HL_EDENIED,
		                    "your role (%s) may not do this (this needs one of: %s)",
		                    hl_role_name(role), names);
	}
	if (acts[act].province && !who->province)
		return hl_error_set(HL_EDENIED, "%s", acts[act].province_msg);
	return 0;
}

void hl_auth_fonds_free(char **codes, size_t n)
{
	if (!codes)
		return;
	for (size_t i = 0; i < n; i++)
		free(codes[i]);
	free(codes);
}

int hl_auth_sees_unit(const hl_principal *p, const char *unit_code)
{
	if (!p)
		return 0;
	if (p->local || p->province)
		return 1;
	/* a unit code is never empty for a user; anonymous has none and sees nothing */
	return p->role != HL_ROLE_ANONYMOUS && p->unit_code[0] && unit_code &&
	       !strcmp(unit_code, p->unit_code);
}

int hl_auth_scope(char ***codes, size_t *n, int *all, hl_store *st, const hl_principal *p)
{
	hl_custodies *l = NULL;
	char **v = NULL;
	size_t k = 0;
	int rc;

	if (p && p->local) {
		*codes = NULL;
		*n = 0;
		*all = 1;
		return 0;
	}
	if (!p || p->role == HL_ROLE_ANONYMOUS || !p->unit_code[0]) {
		*codes = NULL;
		*n = 0;
		*all = 0;
		return 0;
	}
	if (p->province) {
		*codes = NULL;
		*n = 0;
		*all = 1;
		return 0;
	}
	rc = hl_custody_held_by(&l, st, p->unit_code, NULL);
	if (rc == HL_ENOTFOUND) {
		/* the unit is gone from the data: it holds nothing */
		hl_error_clear();
		*codes = NULL;
		*n = 0;
		*all = 0;
		return 0;
	}
	if (rc < 0)
		return rc;
	if (l->n && !(v = calloc(l->n, sizeof(*v)))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	for (; k < l->n; k++) {
		if (!(v[k] = hl_strdup(l->v[k].fonds_code))) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
	}
	*codes = v;
	*n = k;
	*all = 0;
	v = NULL;
	rc = 0;
done:
	hl_auth_fonds_free(v, k);
	hl_custodies_free(l);
	return rc;
}

int hl_auth_may_see(const hl_principal *p, hl_access level, const char *fonds_code,
                    char *const *scope, size_t nscope, int all)
{
	hl_role role = p ? p->role : HL_ROLE_ANONYMOUS;
	if (level == HL_ACCESS_PUBLIC || (p && p->local))
		return 1;
	/* secret records stay off networked paths whoever asks (DOMAIN.md) */
	if (level >= HL_ACCESS_SECRET || level > hl_role_ceiling(role))
		return 0;
	if (all)
		return 1;
	if (!fonds_code)
		return 0;
	for (size_t i = 0; i < nscope; i++)
		if (scope[i] && !strcmp(scope[i], fonds_code))
			return 1;
	return 0;
}

/* ---- access levels ---- */

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
