/* Logging in and out, and who the caller is: the session cookie and its CSRF token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halong/plans.h"
#include "halong/units.h"
#include "server_int.h"

#define COOKIE_ATTRS "HttpOnly; SameSite=Strict; Path=/"

/* "; Secure" when the server is told it is reached over HTTPS (serve --secure-cookies): the
 * browser then never sends the cookie over plain HTTP. */
static const char *secure_attr(void)
{
	return server_options()->secure_cookies ? "; Secure" : "";
}

/* USER = {"username", "role", "unit_code", "unit_name", "max_access"} or null. */
static json_t *user_json(request *r, const hl_principal *p)
{
	hl_unit *u = NULL;
	json_t *j;
	if (!p->user_id)
		return json_null();
	j = json_pack("{s:s,s:s,s:s}", "username", p->username, "role", hl_role_name(p->role),
	              "max_access", hl_access_name(hl_auth_ceiling(p)));
	if (!j)
		return NULL;
	js_set_str(j, "unit_code", p->unit_code[0] ? p->unit_code : NULL);
	if (p->unit_code[0] && hl_units_show(&u, req_store(r), p->unit_code, NULL) == 0) {
		js_set_str(j, "unit_name", u->full_name ? u->full_name : u->name);
		hl_unit_free(u);
	} else {
		hl_error_clear();
		js_set_str(j, "unit_name", NULL);
	}
	/* the agency the user acts for (asks data for, reports for): theirs, else their unit */
	{
		char agency[33];
		if (hl_plans_user_agency(agency, req_store(r), p) < 0) {
			hl_error_clear();
			agency[0] = 0;
		}
		js_set_str(j, "agency", agency[0] ? agency : NULL);
	}
	return j;
}

static int login(request *r)
{
	json_t *body = NULL;
	const char *user, *pass;
	char *sid = NULL, *csrf = NULL, cookie[512], ra[32];
	hl_principal who;
	int retry = 0, rc;

	if ((rc = req_json(&body, r)) != 0)
		return rc;
	if ((rc = js_get_str(&user, body, "username", 1)) < 0 ||
	    (rc = js_get_str(&pass, body, "password", 1)) < 0)
		goto done;
	rc = hl_auth_login(&sid, &csrf, &who, &retry, req_store(r), user, pass, r->client);
	if (rc == HL_ELIMIT) {
		snprintf(ra, sizeof(ra), "%d", retry > 0 ? retry : 60);
		resp_header(r, "Retry-After", ra);
		rc = resp_error(r, 429, "too many failed logins: try again in %s seconds", ra);
		goto done;
	}
	if (rc < 0) {
		if (rc == HL_EDENIED || rc == HL_ENOTFOUND || rc == HL_EINVALID) {
			/* One message whatever was wrong: a name's existence does not leak. */
			rc = resp_error(r, 401, "wrong user name or password");
		}
		goto done;
	}
	snprintf(cookie, sizeof(cookie), "halong_session=%s; " COOKIE_ATTRS "; Max-Age=%d%s", sid,
	         HL_AUTH_SESSION_TTL, secure_attr());
	resp_header(r, "Set-Cookie", cookie);
	r->who = who; /* for the access log */
	rc = resp_json(r, 200,
	               json_pack("{s:o,s:s}", "user", user_json(r, &who), "csrf_token", csrf));
done:
	json_decref(body);
	free(sid);
	free(csrf);
	return rc;
}

static int logout(request *r)
{
	int rc;
	if (r->session_id && (rc = hl_auth_logout(req_store(r), r->session_id)) < 0 &&
	    rc != HL_ENOTFOUND)
		return rc;
	resp_header(r, "Set-Cookie",
	            server_options()->secure_cookies
	                ? "halong_session=; " COOKIE_ATTRS "; Max-Age=0; Secure"
	                : "halong_session=; " COOKIE_ATTRS "; Max-Age=0");
	return resp_status(r, 204);
}

static int me(request *r)
{
	json_t *u = user_json(r, &r->who);
	return resp_json(r, 200,
	                 json_pack("{s:o,s:o}", "user", u ? u : json_null(), "csrf_token",
	                           js_str(r->via_session ? r->csrf : NULL)));
}

const route routes_session[] = {
    {M_POST, "/api/v1/login", login, 0, ROUTE_NO_CSRF},
    {M_POST, "/api/v1/logout", logout, 0, 0},
    {M_GET, "/api/v1/me", me, 0, 0},
    {0},
};
