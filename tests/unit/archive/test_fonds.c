/* Tests of fonds, dossiers and custody as a principal sees them (src/lib/archive/fonds.c), on a
 * real data directory with the shipped units of Quảng Ninh: two communes' staff, the
 * province's, a viewer, anonymous and the node's operator each see, count, change and receive
 * what docs/api.md says, and no more. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "halong/archive.h"
#include "halong/units.h"
#include "halong/units_json.h"
#include "halong/util.h"
#include "store/store.h"

#define DATA HL_SOURCE_DATADIR "/units"

/* The fonds of the fixture:
 *   HAPHONG  created by 06652 (Phường Hà Phong), merged whole into 06652 (Phường Hà Tu):
 *            HS01 one document at each level (public 1, internal 2, restricted 3, secret 4),
 *            HS02 one restricted, HS03 one secret
 *   GIENGDAY created by 06661 (Phường Giếng Đáy), now held by 06661 (Phường Việt Hưng):
 *            HS01 public 1, internal 2
 *   TPHL     created by 193 (Thành phố Hạ Long, abolished: waits for a decision): HS01 secret 1
 *   HAKHAU   created by 06655 (Phường Hà Khẩu, split: waits for a decision): HS01 public 1
 *   EMPTY    created by 06652, no document */
typedef struct {
	char dir[64];
	hl_archive *a;
	hl_principal anon, viewer52, arch52, insp52, off61, arch61, prov_arch, prov_insp, local;
} fx;

static void put(hl_store *st, const char *fonds, const char *dossier, int ordinal, hl_access a)
{
	char id[64], subject[160];
	int status;
	hl_doc_file file = {"scan.pdf", "", 1000 + ordinal};
	snprintf(id, sizeof(id), "%s-%s-%d", fonds, dossier, ordinal);
	snprintf(subject, sizeof(subject), "Văn bản %s (%s)", id, hl_access_name(a));
	memset(file.sha256, '0' + ordinal, 64);
	hl_doc d = {.doc_id = id,
	            .fonds_code = (char *)fonds,
	            .dossier_code = (char *)dossier,
	            .ordinal = ordinal,
	            .subject = subject,
	            .page_count = ordinal,
	            .access = a,
	            .nfiles = 1,
	            .files = &file};
	assert_int_equal(hl_store_blob_add(st, file.sha256, file.size), 0);
	assert_int_equal(hl_store_doc_put(&status, st, &d, "test"), 0);
}

static hl_principal user(int64_t id, const char *name, hl_role role, const char *unit, int province)
{
	hl_principal p = hl_principal_anonymous();
	p.user_id = id;
	p.role = role;
	p.province = province;
	snprintf(p.username, sizeof(p.username), "%s", name);
	snprintf(p.unit_code, sizeof(p.unit_code), "%s", unit);
	return p;
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	hl_units_load_stats s;
	hl_store *st;
	static const struct {
		const char *fonds, *creator;
	} creators[] = {{"HAPHONG", "06652"},
	                {"GIENGDAY", "06661"},
	                {"TPHL", "193"},
	                {"HAKHAU", "06655"},
	                {"EMPTY", "06652"}};

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/hl-fonds-XXXXXX");
	if (!mkdtemp(f->dir) || hl_archive_init(f->dir) < 0 || hl_archive_open(&f->a, f->dir) < 0)
		return -1;
	st = hl_archive_store(f->a);
	if (hl_units_load(&s, st, DATA, NULL, NULL, NULL) < 0) {
		fprintf(stderr, "setup: %s\n", hl_error_last());
		return -1;
	}
	hl_store_begin(st);
	for (int a = HL_ACCESS_PUBLIC; a <= HL_ACCESS_SECRET; a++)
		put(st, "HAPHONG", "HS01", a + 1, (hl_access)a);
	put(st, "HAPHONG", "HS02", 1, HL_ACCESS_RESTRICTED);
	put(st, "HAPHONG", "HS03", 1, HL_ACCESS_SECRET);
	put(st, "GIENGDAY", "HS01", 1, HL_ACCESS_PUBLIC);
	put(st, "GIENGDAY", "HS01", 2, HL_ACCESS_INTERNAL);
	put(st, "TPHL", "HS01", 1, HL_ACCESS_SECRET);
	put(st, "HAKHAU", "HS01", 1, HL_ACCESS_PUBLIC);
	hl_store_commit(st);
	for (size_t i = 0; i < sizeof(creators) / sizeof(creators[0]); i++)
		if (hl_custody_set_creator(st, creators[i].fonds, creators[i].creator, NULL, NULL,
		                           "test") < 0) {
			fprintf(stderr, "setup: %s\n", hl_error_last());
			return -1;
		}
	f->anon = hl_principal_anonymous();
	f->viewer52 = user(1, "xem52", HL_ROLE_VIEWER, "06652", 0);
	f->arch52 = user(2, "lan52", HL_ROLE_ARCHIVIST, "06652", 0);
	f->insp52 = user(3, "tra52", HL_ROLE_INSPECTOR, "06652", 0);
	f->off61 = user(4, "minh61", HL_ROLE_OFFICER, "06661", 0);
	f->arch61 = user(5, "hoa61", HL_ROLE_ARCHIVIST, "06661", 0);
	f->prov_arch = user(6, "tinh.luutru", HL_ROLE_ARCHIVIST, "22", 1);
	f->prov_insp = user(7, "tinh.thanhtra", HL_ROLE_INSPECTOR, "22", 1);
	f->local = hl_principal_local("cli:test");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	char cmd[128];
	hl_archive_free(f->a);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

/* "CODE:documents/dossiers " for each fonds of l. */
static const char *codes(char *buf, size_t len, const hl_custodies *l)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < l->n && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s:%lld/%lld ", l->v[i].fonds_code,
		                      (long long)l->v[i].documents, (long long)l->v[i].dossiers);
	return buf;
}

static void assert_list(fx *f, const hl_principal *who, const char *want)
{
	hl_custodies *l = NULL;
	char buf[512];
	assert_int_equal(hl_archive_fonds_list(&l, f->a, who, NULL), 0);
	if (strcmp(codes(buf, sizeof(buf), l), want))
		fail_msg("%s sees \"%s\", not \"%s\"", hl_principal_actor(who), buf, want);
	hl_custodies_free(l);
}

/* Who sees which fonds, counting what: a fonds is listed when the principal sees one of its
 * documents, or, for an archivist (a keeper), when its unit holds it; secret never over the
 * network; the node's operator sees everything. */
static void test_fonds_list(void **state)
{
	fx *f = *state;
	assert_list(f, &f->anon, "GIENGDAY:1/1 HAKHAU:1/1 HAPHONG:1/1 ");
	assert_list(f, NULL, "GIENGDAY:1/1 HAKHAU:1/1 HAPHONG:1/1 ");
	assert_list(f, &f->viewer52, "GIENGDAY:1/1 HAKHAU:1/1 HAPHONG:2/1 ");
	/* the keeper of 06652 also sees EMPTY, its unit's fonds without a record */
	assert_list(f, &f->arch52, "EMPTY:0/0 GIENGDAY:1/1 HAKHAU:1/1 HAPHONG:4/2 ");
	assert_list(f, &f->insp52, "GIENGDAY:1/1 HAKHAU:1/1 HAPHONG:4/2 ");
	assert_list(f, &f->off61, "GIENGDAY:2/1 HAKHAU:1/1 HAPHONG:1/1 ");
	assert_list(f, &f->arch61, "GIENGDAY:2/1 HAKHAU:1/1 HAPHONG:1/1 ");
	/* the province's archivist keeps every fonds; its inspector sees only those with a record
	 * it may read (TPHL holds a secret one only) */
	assert_list(f, &f->prov_arch, "EMPTY:0/0 GIENGDAY:2/1 HAKHAU:1/1 HAPHONG:4/2 TPHL:0/0 ");
	assert_list(f, &f->prov_insp, "GIENGDAY:2/1 HAKHAU:1/1 HAPHONG:4/2 ");
	assert_list(f, &f->local, "EMPTY:0/0 GIENGDAY:2/1 HAKHAU:1/1 HAPHONG:6/3 TPHL:1/1 ");
}

/* A row of `fonds list --json` and GET /api/v1/fonds: its keys in order, the principal's
 * counts. */
static void test_fonds_row_json(void **state)
{
	fx *f = *state;
	static const char *const keys[] = {
	    "code",           "name",           "creator_code", "creator_name", "creator_on",
	    "custodian_code", "custodian_name", "state",        "dossiers",     "documents"};
	hl_custodies *l = NULL;
	const char *key;
	json_t *j, *v;
	size_t i = 0;

	assert_int_equal(hl_archive_fonds_list(&l, f->a, &f->viewer52, NULL), 0);
	assert_string_equal(l->v[2].fonds_code, "HAPHONG");
	j = hl_fonds_row_json(&l->v[2]);
	json_object_foreach(j, key, v)
	{
		assert_true(i < sizeof(keys) / sizeof(keys[0]));
		assert_string_equal(key, keys[i++]);
	}
	assert_int_equal(i, sizeof(keys) / sizeof(keys[0]));
	assert_string_equal(json_string_value(json_object_get(j, "custodian_code")), "06652");
	assert_true(json_is_null(json_object_get(j, "name")));
	assert_int_equal(json_integer_value(json_object_get(j, "documents")), 2);
	json_decref(j);
	j = hl_custodies_json(l);
	assert_int_equal(json_array_size(j), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(j, 2), "documents")), 2);
	json_decref(j);
	hl_custodies_free(l);
}

/* The message of the last error with `code` replaced by "X". */
static void message_as_x(char *out, size_t len, const char *code)
{
	const char *m = hl_error_last(), *p = strstr(m, code);
	if (!p)
		snprintf(out, len, "%s", m);
	else
		snprintf(out, len, "%.*sX%s", (int)(p - m), m, p + strlen(code));
}

/* A fonds the principal may not see answers as a missing one, code and message alike. */
static void assert_hidden(fx *f, const hl_principal *who, const char *code)
{
	hl_fonds *fo = NULL;
	hl_custody *c = NULL;
	char hidden[256], missing[256];
	assert_int_equal(hl_archive_fonds_get(&fo, f->a, who, code, NULL), HL_ENOTFOUND);
	message_as_x(hidden, sizeof(hidden), code);
	assert_int_equal(hl_archive_fonds_get(&fo, f->a, who, "KHONGCO", NULL), HL_ENOTFOUND);
	message_as_x(missing, sizeof(missing), "KHONGCO");
	assert_string_equal(hidden, missing);
	assert_string_equal(hidden, "unknown fonds X");
	assert_int_equal(hl_archive_custody_show(&c, f->a, who, code, NULL), HL_ENOTFOUND);
	assert_null(fo);
	assert_null(c);
}

static const char *dossiers(char *buf, size_t len, const hl_fonds *fo)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < fo->ndossiers && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s:%lld ", fo->dossiers[i].code,
		                      (long long)fo->dossiers[i].documents);
	return buf;
}

static void test_fonds_get(void **state)
{
	fx *f = *state;
	hl_fonds *fo = NULL;
	char buf[256];

	assert_hidden(f, &f->anon, "TPHL");
	assert_hidden(f, &f->anon, "EMPTY");
	assert_hidden(f, &f->off61, "TPHL");
	assert_hidden(f, &f->arch61, "EMPTY"); /* a keeper, of another unit */
	assert_hidden(f, &f->prov_insp, "TPHL");

	/* the viewer of 06652 sees HS01's public and internal records; HS02 (restricted) and
	 * HS03 (secret) are not even listed */
	assert_int_equal(hl_archive_fonds_get(&fo, f->a, &f->viewer52, "HAPHONG", NULL), 0);
	assert_string_equal(dossiers(buf, sizeof(buf), fo), "HS01:2 ");
	assert_int_equal(fo->custody->documents, 2);
	assert_int_equal(fo->custody->dossiers, 1);
	assert_string_equal(fo->custody->custodian_code, "06652");
	hl_fonds_free(fo);
	/* the officer of the other commune: public records only */
	assert_int_equal(hl_archive_fonds_get(&fo, f->a, &f->off61, "HAPHONG", NULL), 0);
	assert_string_equal(dossiers(buf, sizeof(buf), fo), "HS01:1 ");
	hl_fonds_free(fo);
	assert_int_equal(hl_archive_fonds_get(&fo, f->a, &f->arch52, "HAPHONG", "2025-06-30"), 0);
	assert_string_equal(dossiers(buf, sizeof(buf), fo), "HS01:3 HS02:1 ");
	assert_string_equal(fo->custody->custodian_name, "Phường Hà Phong");
	hl_fonds_free(fo);
	assert_int_equal(hl_archive_fonds_get(&fo, f->a, &f->arch52, "EMPTY", NULL), 0);
	assert_int_equal(fo->ndossiers, 0);
	hl_fonds_free(fo);
	/* the province's archivist keeps TPHL but sees none of its records */
	assert_int_equal(hl_archive_fonds_get(&fo, f->a, &f->prov_arch, "TPHL", NULL), 0);
	assert_int_equal(fo->ndossiers, 0);
	assert_int_equal(fo->custody->state, HL_CUSTODY_PENDING);
	hl_fonds_free(fo);
	assert_int_equal(hl_archive_fonds_get(&fo, f->a, &f->anon, "", NULL), HL_EINVALID);
}

typedef struct {
	char out[128];
} acc;

static int doc_row(const hl_doc *d, void *ud)
{
	acc *a = ud;
	size_t n = strlen(a->out);
	snprintf(a->out + n, sizeof(a->out) - n, "%lld ", (long long)d->ordinal);
	return 0;
}

static void test_dossier_docs(void **state)
{
	fx *f = *state;
	hl_dossier *d = NULL;
	acc a = {{0}};

	assert_int_equal(hl_archive_dossier_docs(&d, f->a, &f->arch52, "HAPHONG", "HS01",
	                                         HL_ORDER_ORDINAL, 0, 10, doc_row, &a),
	                 0);
	assert_string_equal(a.out, "1 2 3 ");
	assert_int_equal(d->documents, 3);
	assert_string_equal(d->code, "HS01");
	assert_string_equal(d->fonds_code, "HAPHONG");
	hl_dossier_free(d);
	memset(&a, 0, sizeof(a));
	assert_int_equal(hl_archive_dossier_docs(&d, f->a, &f->viewer52, "HAPHONG", "HS01",
	                                         HL_ORDER_ORDINAL, 1, 1, doc_row, &a),
	                 0);
	assert_string_equal(a.out, "2 ");
	assert_int_equal(d->documents, 2);
	hl_dossier_free(d);
	memset(&a, 0, sizeof(a));
	assert_int_equal(hl_archive_dossier_docs(&d, f->a, &f->off61, "HAPHONG", "HS01",
	                                         HL_ORDER_ORDINAL, 0, 10, doc_row, &a),
	                 0);
	assert_string_equal(a.out, "1 ");
	hl_dossier_free(d);
	d = NULL;
	/* a dossier of hidden records answers as a missing one */
	assert_int_equal(hl_archive_dossier_docs(&d, f->a, &f->viewer52, "HAPHONG", "HS02",
	                                         HL_ORDER_ORDINAL, 0, 10, doc_row, &a),
	                 HL_ENOTFOUND);
	assert_string_equal(hl_error_last(), "no dossier HS02 in fonds HAPHONG");
	assert_int_equal(hl_archive_dossier_docs(&d, f->a, &f->viewer52, "HAPHONG", "HS09",
	                                         HL_ORDER_ORDINAL, 0, 10, doc_row, &a),
	                 HL_ENOTFOUND);
	assert_string_equal(hl_error_last(), "no dossier HS09 in fonds HAPHONG");
	/* a hidden fonds as a missing one */
	assert_int_equal(hl_archive_dossier_docs(&d, f->a, &f->off61, "TPHL", "HS01",
	                                         HL_ORDER_ORDINAL, 0, 10, doc_row, &a),
	                 HL_ENOTFOUND);
	assert_string_equal(hl_error_last(), "unknown fonds TPHL");
	assert_int_equal(hl_archive_dossier_docs(&d, f->a, &f->arch52, "HAPHONG", "HS01",
	                                         HL_ORDER_ORDINAL, 0, 0, doc_row, &a),
	                 HL_EINVALID);
	assert_int_equal(hl_archive_dossier_docs(&d, f->a, &f->arch52, "HAPHONG", "HS01",
	                                         HL_ORDER_ORDINAL, 0, HL_ARCHIVE_PAGE_MAX + 1,
	                                         doc_row, &a),
	                 HL_EINVALID);
	assert_null(d);
	/* the other way, and the orders by name */
	memset(&a, 0, sizeof(a));
	assert_int_equal(hl_archive_dossier_docs(&d, f->a, &f->arch52, "HAPHONG", "HS01",
	                                         HL_ORDER_ORDINAL_DESC, 0, 10, doc_row, &a),
	                 0);
	assert_string_equal(a.out, "3 2 1 ");
	hl_dossier_free(d);
	hl_doc_order o;
	assert_int_equal(hl_doc_order_parse(&o, "-date"), 0);
	assert_int_equal(o, HL_ORDER_DATE_DESC);
	assert_int_equal(hl_doc_order_parse(&o, NULL), 0);
	assert_int_equal(o, HL_ORDER_ORDINAL);
	assert_int_equal(hl_doc_order_parse(&o, "subject"), HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "ordinal, date"));
}

typedef struct {
	char actor[64], action[32], object[64];
} last_audit;

static int audit_row(int64_t id, const char *at, const char *actor, const char *action,
                     const char *object, const char *detail, void *ud)
{
	last_audit *l = ud;
	snprintf(l->actor, sizeof(l->actor), "%s", actor ? actor : "");
	snprintf(l->action, sizeof(l->action), "%s", action ? action : "");
	snprintf(l->object, sizeof(l->object), "%s", object ? object : "");
	return 1;
}

static void assert_last_audit(fx *f, const char *actor, const char *action, const char *object)
{
	last_audit l;
	int64_t total;
	memset(&l, 0, sizeof(l));
	assert_int_equal(hl_store_audit_page(hl_archive_store(f->a), 0, 1, &total, audit_row, &l),
	                 0);
	assert_string_equal(l.actor, actor);
	assert_string_equal(l.action, action);
	assert_string_equal(l.object, object);
}

static int64_t audit_count(fx *f)
{
	last_audit l;
	int64_t total = 0;
	assert_int_equal(hl_store_audit_page(hl_archive_store(f->a), 0, 1, &total, audit_row, &l),
	                 0);
	return total;
}

static void test_fonds_set(void **state)
{
	fx *f = *state;
	hl_fonds *fo = NULL;
	char hidden[256], missing[256], longname[700];
	int64_t before = audit_count(f);

	/* roles that may not: anonymous is told to log in */
	assert_int_equal(hl_archive_fonds_set(&fo, f->a, &f->anon, "HAPHONG", "06652", NULL, NULL),
	                 HL_EDENIED);
	assert_string_equal(hl_error_last(), "log in first (this needs one of: archivist, admin)");
	assert_int_equal(
	    hl_archive_fonds_set(&fo, f->a, &f->viewer52, "HAPHONG", "06652", NULL, NULL),
	    HL_EDENIED);
	assert_string_equal(
	    hl_error_last(),
	    "your role (viewer) may not do this (this needs one of: archivist, admin)");
	assert_int_equal(
	    hl_archive_fonds_set(&fo, f->a, &f->prov_insp, "HAPHONG", "06652", NULL, NULL),
	    HL_EDENIED);
	/* a unit's archivist: not a fonds it sees but does not hold, not a hidden one (answered
	 * as a missing one), and it may not create one */
	assert_int_equal(
	    hl_archive_fonds_set(&fo, f->a, &f->arch52, "GIENGDAY", "06652", NULL, NULL),
	    HL_EDENIED);
	assert_string_equal(hl_error_last(), "fonds GIENGDAY is not held by your unit");
	assert_int_equal(hl_archive_fonds_set(&fo, f->a, &f->arch52, "TPHL", "06652", NULL, NULL),
	                 HL_ENOTFOUND);
	message_as_x(hidden, sizeof(hidden), "TPHL");
	assert_int_equal(
	    hl_archive_fonds_set(&fo, f->a, &f->arch52, "KHONGCO", "06652", NULL, NULL),
	    HL_ENOTFOUND);
	message_as_x(missing, sizeof(missing), "KHONGCO");
	assert_string_equal(hidden, missing);
	assert_int_equal(audit_count(f), before);
	assert_null(fo);

	/* its own unit's fonds: set, audited under its name, answered as it sees it */
	assert_int_equal(hl_archive_fonds_set(&fo, f->a, &f->arch52, "HAPHONG", "06652", NULL,
	                                      "UBND phường Hà Phong"),
	                 0);
	assert_string_equal(fo->custody->fonds_name, "UBND phường Hà Phong");
	assert_int_equal(fo->custody->documents, 4);
	hl_fonds_free(fo);
	assert_last_audit(f, "lan52", "fonds.set", "HAPHONG");
	/* an unknown creator, a day it did not exist, a name too long: bad input */
	assert_int_equal(
	    hl_archive_fonds_set(&fo, f->a, &f->arch52, "HAPHONG", "99999", NULL, NULL),
	    HL_EINVALID);
	assert_string_equal(hl_error_last(), "unknown unit code 99999");
	assert_int_equal(
	    hl_archive_fonds_set(&fo, f->a, &f->arch52, "HAPHONG", "06652", "2019-01-01", NULL),
	    HL_EINVALID);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(
	    hl_archive_fonds_set(&fo, f->a, &f->prov_arch, "HAPHONG", "06652", NULL, longname),
	    HL_EINVALID);

	/* the province creates a fonds; the node's operator too, named in the audit */
	assert_int_equal(hl_archive_fonds_set(&fo, f->a, &f->prov_arch, "MOI", "06661", NULL, NULL),
	                 0);
	assert_string_equal(fo->custody->custodian_code, "06661");
	assert_int_equal(fo->ndossiers, 0);
	hl_fonds_free(fo);
	assert_last_audit(f, "tinh.luutru", "fonds.set", "MOI");
	assert_int_equal(hl_archive_fonds_set(NULL, f->a, &f->local, "MOI2", "06661", NULL, NULL),
	                 0);
	assert_last_audit(f, "cli:test", "fonds.set", "MOI2");
}

static void test_custody_assign(void **state)
{
	fx *f = *state;
	hl_custody *c = NULL;
	char basis[600];
	int64_t before = audit_count(f);

	assert_int_equal(
	    hl_archive_custody_assign(&c, f->a, &f->anon, "TPHL", "22", NULL, NULL, NULL),
	    HL_EDENIED);
	assert_int_equal(
	    hl_archive_custody_assign(&c, f->a, &f->prov_insp, "TPHL", "22", NULL, NULL, NULL),
	    HL_EDENIED);
	/* a commune's archivist would grant its own unit the fonds: the province decides */
	assert_int_equal(
	    hl_archive_custody_assign(&c, f->a, &f->arch52, "HAKHAU", "06661", NULL, NULL, NULL),
	    HL_EDENIED);
	assert_string_equal(hl_error_last(), "custody decisions are made by the province's staff");
	assert_int_equal(audit_count(f), before);
	/* a basis over the library's 500 bytes is bad input, not a rate limit */
	memset(basis, 'x', sizeof(basis) - 1);
	basis[sizeof(basis) - 1] = '\0';
	assert_int_equal(
	    hl_archive_custody_assign(&c, f->a, &f->prov_arch, "TPHL", "22", NULL, NULL, basis),
	    HL_EINVALID);

	assert_int_equal(hl_archive_custody_assign(&c, f->a, &f->prov_arch, "TPHL", "22", NULL,
	                                           NULL, "Quyết định số 1/QĐ-UBND"),
	                 0);
	assert_int_equal(c->state, HL_CUSTODY_HELD);
	assert_string_equal(c->custodian_code, "22");
	assert_int_equal(c->documents, 0); /* its record is secret: not counted for the network */
	hl_custody_free(c);
	c = NULL;
	assert_last_audit(f, "tinh.luutru", "custody.assign", "TPHL");
	/* nothing waits any more: a conflict with its state; an unknown fonds is missing */
	assert_int_equal(
	    hl_archive_custody_assign(&c, f->a, &f->prov_arch, "TPHL", "22", NULL, NULL, NULL),
	    HL_ECONFLICT);
	assert_non_null(strstr(hl_error_last(), "waits for no decision"));
	assert_int_equal(
	    hl_archive_custody_assign(&c, f->a, &f->prov_arch, "KHONGCO", "22", NULL, NULL, NULL),
	    HL_ENOTFOUND);
	assert_string_equal(hl_error_last(), "unknown fonds KHONGCO");
	assert_int_equal(hl_archive_custody_assign(&c, f->a, &f->prov_arch, "TPHL", "22", "193",
	                                           "2024-01-01", NULL),
	                 HL_ENOTFOUND);
	assert_null(c);
	/* the local operator decides, counting the secret record */
	assert_int_equal(
	    hl_archive_custody_assign(&c, f->a, &f->local, "TPHL", "22", "193", "2025-07-01", NULL),
	    0);
	assert_int_equal(c->documents, 1);
	hl_custody_free(c);
	assert_last_audit(f, "cli:test", "custody.assign", "TPHL");
}

static void assert_of(fx *f, const hl_principal *who, const char *unit, const char *want)
{
	hl_custodies *l = NULL;
	char buf[256];
	assert_int_equal(hl_archive_custody_of(&l, f->a, who, unit, NULL), 0);
	if (strcmp(codes(buf, sizeof(buf), l), want))
		fail_msg("%s: custody of %s \"%s\", not \"%s\"", hl_principal_actor(who), unit, buf,
		         want);
	hl_custodies_free(l);
}

static void test_custody_of(void **state)
{
	fx *f = *state;
	hl_custodies *l = NULL;
	assert_of(f, &f->anon, "06652", "HAPHONG:1/1 ");
	assert_of(f, &f->off61, "06652", "HAPHONG:1/1 ");
	assert_of(f, &f->viewer52, "06652", "HAPHONG:2/1 ");
	assert_of(f, &f->arch52, "06652", "EMPTY:0/0 HAPHONG:4/2 ");
	assert_of(f, &f->arch61, "06661", "GIENGDAY:2/1 ");
	assert_of(f, &f->arch52, "06661", "GIENGDAY:1/1 ");
	assert_of(f, &f->local, "06652", "EMPTY:0/0 HAPHONG:6/3 ");
	assert_int_equal(hl_archive_custody_of(&l, f->a, &f->anon, "99999", NULL), HL_ENOTFOUND);
	assert_null(l);
}

static void assert_pending(fx *f, const hl_principal *who, const char *want)
{
	hl_custodies *l = NULL;
	char buf[256];
	assert_int_equal(hl_archive_custody_pending(&l, f->a, who), 0);
	if (strcmp(codes(buf, sizeof(buf), l), want))
		fail_msg("%s: pending \"%s\", not \"%s\"", hl_principal_actor(who), buf, want);
	hl_custodies_free(l);
}

static void test_custody_pending(void **state)
{
	fx *f = *state;
	hl_custodies *l = NULL;
	assert_int_equal(hl_archive_custody_pending(&l, f->a, &f->anon), HL_EDENIED);
	assert_int_equal(hl_archive_custody_pending(&l, f->a, &f->viewer52), HL_EDENIED);
	assert_int_equal(hl_archive_custody_pending(&l, f->a, &f->off61), HL_EDENIED);
	assert_null(l);
	/* the province decides: every waiting fonds, TPHL too though it sees none of its records */
	assert_pending(f, &f->prov_insp, "HAKHAU:1/1 TPHL:0/0 ");
	assert_pending(f, &f->prov_arch, "HAKHAU:1/1 TPHL:0/0 ");
	/* a unit's staff only those they see anyway */
	assert_pending(f, &f->arch52, "HAKHAU:1/1 ");
	assert_pending(f, &f->insp52, "HAKHAU:1/1 ");
	assert_pending(f, &f->local, "HAKHAU:1/1 TPHL:1/1 ");
}

/* The receipt's digest by the formula of include/halong/units.h, over its lines. */
static void digest_of(char out[65], const hl_receipt *r)
{
	crypto_hash_sha256_state h;
	unsigned char md[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_init(&h);
	for (size_t i = 0; i < r->n; i++) {
		char line[512];
		snprintf(line, sizeof(line), "%s\t%s\t%lld\t%lld\t%s\n", r->v[i].fonds_code,
		         r->v[i].dossier_code, (long long)r->v[i].documents,
		         (long long)r->v[i].pages, r->v[i].digest);
		crypto_hash_sha256_update(&h, (const unsigned char *)line, strlen(line));
	}
	crypto_hash_sha256_final(&h, md);
	sodium_bin2hex(out, 65, md, sizeof(md));
}

static void test_receipt(void **state)
{
	fx *f = *state;
	hl_receipt *r = NULL, *whole = NULL;
	char want[65];

	assert_int_equal(hl_archive_custody_receipt(&r, f->a, &f->anon, "06652", NULL, NULL),
	                 HL_EDENIED);
	assert_int_equal(hl_archive_custody_receipt(&r, f->a, &f->viewer52, "06652", NULL, NULL),
	                 HL_EDENIED);
	/* a unit's staff get their own unit's receipt only */
	assert_int_equal(hl_archive_custody_receipt(&r, f->a, &f->arch52, "06661", NULL, NULL),
	                 HL_EDENIED);
	assert_string_equal(hl_error_last(),
	                    "only the province's staff see another unit's receipt");
	assert_int_equal(hl_archive_custody_receipt(&r, f->a, &f->arch61, "06652", NULL, NULL),
	                 HL_EDENIED);
	assert_null(r);

	/* the node's operator: the whole receipt, as hl_custody_receipt makes it */
	assert_int_equal(hl_custody_receipt(&whole, hl_archive_store(f->a), "06652", NULL, NULL),
	                 0);
	assert_int_equal(hl_archive_custody_receipt(&r, f->a, &f->local, "06652", "", NULL), 0);
	assert_int_equal(r->n, 3);
	assert_int_equal(r->documents, 6);
	assert_string_equal(r->digest, whole->digest);
	assert_int_equal(r->v[0].max_access, HL_ACCESS_SECRET);
	hl_receipt_free(r);

	/* the archivist of 06652: HS01 recounted over its 3 visible records (digest emptied:
	 * it could not check it), HS02 whole, HS03 (secret only) left out; the totals and the
	 * receipt's digest are those of the lines shown */
	assert_int_equal(hl_archive_custody_receipt(&r, f->a, &f->arch52, "06652", NULL, NULL), 0);
	assert_int_equal(r->n, 2);
	assert_int_equal(r->nfonds, 1);
	assert_string_equal(r->v[0].dossier_code, "HS01");
	assert_int_equal(r->v[0].documents, 3);
	assert_int_equal(r->v[0].pages, 1 + 2 + 3);
	assert_int_equal(r->v[0].files, 3);
	assert_int_equal(r->v[0].bytes, 1001 + 1002 + 1003);
	assert_int_equal(r->v[0].max_access, HL_ACCESS_RESTRICTED);
	assert_string_equal(r->v[0].digest, "");
	assert_string_equal(r->v[1].dossier_code, "HS02");
	assert_string_equal(r->v[1].digest, whole->v[1].digest);
	assert_int_equal(r->documents, 4);
	assert_int_equal(r->pages, 6 + 1);
	assert_int_equal(r->files, 4);
	digest_of(want, r);
	assert_string_equal(r->digest, want);
	assert_string_not_equal(r->digest, whole->digest);
	/* the same as JSON: what the API and --json show */
	json_t *j = hl_receipt_json(r);
	assert_int_equal(json_integer_value(json_object_get(j, "documents")), 4);
	assert_int_equal(json_array_size(json_object_get(j, "dossiers_list")), 2);
	assert_string_equal(json_string_value(json_object_get(j, "sha256")), want);
	json_decref(j);
	hl_receipt_free(r);
	/* the province's inspector sees the same records of 06652 */
	assert_int_equal(hl_archive_custody_receipt(&r, f->a, &f->prov_insp, "06652", NULL, NULL),
	                 0);
	assert_int_equal(r->n, 2);
	assert_string_equal(r->digest, want);
	hl_receipt_free(r);
	/* nothing hidden: the whole receipt, byte for byte (06661 received GIENGDAY) */
	hl_receipt_free(whole);
	assert_int_equal(hl_custody_receipt(&whole, hl_archive_store(f->a), "06661", NULL, NULL),
	                 0);
	assert_int_equal(hl_archive_custody_receipt(&r, f->a, &f->arch61, "06661", NULL, NULL), 0);
	assert_int_equal(r->n, 1);
	assert_string_equal(r->digest, whole->digest);
	assert_string_equal(r->v[0].digest, whole->v[0].digest);
	hl_receipt_free(r);
	hl_receipt_free(whole);
}

/* Description (src/lib/archive/describe.c): what each level takes, the values it checks, who
 * may write where, one audit entry naming the changed fields, nothing written when nothing
 * changes or anything is wrong; series between the fonds and its dossiers; what a dossier's
 * documents say (dates, pages, retention) beside what the archivist wrote. */
static void test_describe(void **state)
{
	fx *f = *state;
	hl_fonds *fo = NULL;
	hl_dossier *d = NULL;
	hl_desc e = {0};
	acc seen = {{0}};
	char longtext[HL_DESC_MAX + 2], hidden[256], missing[256];
	int64_t before = audit_count(f);

	/* who may not: a viewer, an inspector, another unit's archivist, a hidden fonds */
	e.title = "UBND phường Hà Phong";
	assert_int_equal(
	    hl_archive_describe(&fo, f->a, &f->viewer52, HL_LEVEL_FONDS, "HAPHONG", NULL, &e),
	    HL_EDENIED);
	assert_int_equal(
	    hl_archive_describe(&fo, f->a, &f->prov_insp, HL_LEVEL_FONDS, "HAPHONG", NULL, &e),
	    HL_EDENIED);
	assert_int_equal(
	    hl_archive_describe(&fo, f->a, &f->arch52, HL_LEVEL_FONDS, "GIENGDAY", NULL, &e),
	    HL_EDENIED);
	assert_string_equal(hl_error_last(), "fonds GIENGDAY is not held by your unit");
	assert_int_equal(
	    hl_archive_describe(&fo, f->a, &f->arch52, HL_LEVEL_FONDS, "TPHL", NULL, &e),
	    HL_ENOTFOUND);
	message_as_x(hidden, sizeof(hidden), "TPHL");
	assert_int_equal(
	    hl_archive_describe(&fo, f->a, &f->arch52, HL_LEVEL_FONDS, "KHONGCO", NULL, &e),
	    HL_ENOTFOUND);
	message_as_x(missing, sizeof(missing), "KHONGCO");
	assert_string_equal(hidden, missing);
	assert_int_equal(audit_count(f), before);

	/* bad input names the field, and nothing is written */
	e = (hl_desc){.title = "x", .date_from = "31/02/2019"};
	assert_int_equal(
	    hl_archive_describe(&fo, f->a, &f->arch52, HL_LEVEL_FONDS, "HAPHONG", NULL, &e),
	    HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "date_from: bad date"));
	e = (hl_desc){.date_from = "2020", .date_to = "2019-05"};
	assert_int_equal(
	    hl_archive_describe(&fo, f->a, &f->arch52, HL_LEVEL_FONDS, "HAPHONG", NULL, &e),
	    HL_EINVALID);
	assert_string_equal(hl_error_last(), "date_from 2020 is after date_to 2019-05");
	e = (hl_desc){.retention = "70"};
	assert_int_equal(
	    hl_archive_describe(&fo, f->a, &f->arch52, HL_LEVEL_FONDS, "HAPHONG", NULL, &e),
	    HL_EINVALID);
	assert_string_equal(hl_error_last(), "retention: a fonds has no such field");
	e = (hl_desc){.title = ""};
	assert_int_equal(
	    hl_archive_describe(&fo, f->a, &f->arch52, HL_LEVEL_FONDS, "HAPHONG", NULL, &e),
	    HL_EINVALID);
	memset(longtext, 'x', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	e = (hl_desc){.history = longtext};
	assert_int_equal(
	    hl_archive_describe(&fo, f->a, &f->arch52, HL_LEVEL_FONDS, "HAPHONG", NULL, &e),
	    HL_EINVALID);
	e = (hl_desc){.extent = "hai\x01hộp"};
	assert_int_equal(
	    hl_archive_describe(&fo, f->a, &f->arch52, HL_LEVEL_FONDS, "HAPHONG", NULL, &e),
	    HL_EINVALID);
	e = (hl_desc){.notes = "C1 \xc2\x85 here"};
	assert_int_equal(
	    hl_archive_describe(&fo, f->a, &f->arch52, HL_LEVEL_FONDS, "HAPHONG", NULL, &e),
	    HL_EINVALID);
	e = (hl_desc){.extent = "\xff\xfe"};
	assert_int_equal(
	    hl_archive_describe(&fo, f->a, &f->arch52, HL_LEVEL_FONDS, "HAPHONG", NULL, &e),
	    HL_EINVALID);
	assert_int_equal(audit_count(f), before);

	/* the unit's archivist describes its fonds: dates in either form, stored ISO; text NFC
	 * (a decomposed "Hà" comes back composed) */
	e = (hl_desc){.title = "UBND phường Ha\xcc\x80 Phong",
	              .date_from = "01/1995",
	              .date_to = "30/06/2025",
	              .extent = "3 hộp, 3 hồ sơ",
	              .history = "Phường Hà Phong (1994–2025), nhập vào phường Hà Tu từ "
	                         "01/7/2025.\nHồ sơ do UBND phường lập."};
	assert_int_equal(
	    hl_archive_describe(&fo, f->a, &f->arch52, HL_LEVEL_FONDS, "HAPHONG", NULL, &e), 0);
	assert_string_equal(fo->desc.title, "UBND phường Hà Phong");
	assert_string_equal(fo->custody->fonds_name, "UBND phường Hà Phong");
	assert_int_equal(fo->may_describe, 1);
	assert_string_equal(fo->desc.date_from, "1995-01");
	assert_string_equal(fo->desc.date_to, "2025-06-30");
	assert_non_null(strstr(fo->desc.history, "\nHồ sơ do"));
	hl_fonds_free(fo);
	assert_last_audit(f, "lan52", "describe", "HAPHONG");
	assert_int_equal(audit_count(f), before + 1);
	/* the same again: nothing changes, nothing is audited */
	assert_int_equal(
	    hl_archive_describe(NULL, f->a, &f->arch52, HL_LEVEL_FONDS, "HAPHONG", NULL, &e), 0);
	assert_int_equal(audit_count(f), before + 1);

	/* a series: new ones need a title; a dossier goes into a series of its own fonds only */
	e = (hl_desc){.date_from = "2019"};
	assert_int_equal(
	    hl_archive_describe(&fo, f->a, &f->arch52, HL_LEVEL_SERIES, "HAPHONG", "MLHC", &e),
	    HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "give its title"));
	e = (hl_desc){.title = "Mục lục hồ sơ hành chính", .date_from = "2019", .date_to = "2025"};
	assert_int_equal(
	    hl_archive_describe(&fo, f->a, &f->arch52, HL_LEVEL_SERIES, "HAPHONG", "MLHC", &e), 0);
	assert_int_equal(fo->nseries, 1);
	assert_string_equal(fo->series[0].code, "MLHC");
	assert_int_equal(fo->series[0].dossiers, 0);
	hl_fonds_free(fo);
	assert_last_audit(f, "lan52", "describe", "series HAPHONG/MLHC");
	e = (hl_desc){.series = "KHAC"};
	assert_int_equal(
	    hl_archive_describe(&fo, f->a, &f->arch52, HL_LEVEL_DOSSIER, "HAPHONG", "HS01", &e),
	    HL_EINVALID);
	assert_non_null(strstr(hl_error_last(), "has no series KHAC"));
	e = (hl_desc){.series = "MLHC"};
	assert_int_equal(
	    hl_archive_describe(&fo, f->a, &f->arch52, HL_LEVEL_DOSSIER, "HAPHONG", "HS09", &e),
	    HL_ENOTFOUND);
	e = (hl_desc){.title = "Hồ sơ giao đất năm 2019",
	              .series = "MLHC",
	              .retention = "vĩnh viễn",
	              .date_from = "2019-03-01",
	              .date_to = "2019-12-31",
	              .extent = "4 văn bản, 10 tờ"};
	assert_int_equal(
	    hl_archive_describe(&fo, f->a, &f->arch52, HL_LEVEL_DOSSIER, "HAPHONG", "HS01", &e), 0);
	assert_int_equal(fo->series[0].dossiers, 1);
	assert_string_equal(fo->dossiers[0].code, "HS01");
	assert_string_equal(fo->dossiers[0].desc.title, "Hồ sơ giao đất năm 2019");
	assert_string_equal(fo->dossiers[0].desc.series, "MLHC");
	assert_string_equal(fo->dossiers[0].desc.retention, "permanent");
	/* what its documents say, counted over what the archivist sees (secret never) */
	assert_int_equal(fo->dossiers[0].documents, 3);
	assert_int_equal(fo->dossiers[0].pages, 1 + 2 + 3);
	hl_fonds_free(fo);
	assert_last_audit(f, "lan52", "describe", "dossier HAPHONG/HS01");
	/* a series holding a dossier stays; once empty it goes */
	assert_int_equal(hl_archive_series_remove(f->a, &f->arch52, "HAPHONG", "MLHC"),
	                 HL_ECONFLICT);
	assert_non_null(strstr(hl_error_last(), "holds 1 dossier"));
	/* a viewer of the unit sees the series with its one public-holding dossier */
	assert_int_equal(hl_archive_fonds_get(&fo, f->a, &f->anon, "HAPHONG", NULL), 0);
	assert_int_equal(fo->nseries, 1);
	assert_int_equal(fo->series[0].dossiers, 1);
	hl_fonds_free(fo);
	assert_int_equal(hl_archive_dossier_docs(&d, f->a, &f->anon, "HAPHONG", "HS01",
	                                         HL_ORDER_ORDINAL, 0, 10, doc_row, &seen),
	                 0);
	assert_string_equal(d->desc.title, "Hồ sơ giao đất năm 2019");
	assert_int_equal(d->documents, 1);
	assert_string_equal(seen.out, "1 ");
	hl_dossier_free(d);
	e = (hl_desc){.series = ""};
	assert_int_equal(
	    hl_archive_describe(NULL, f->a, &f->arch52, HL_LEVEL_DOSSIER, "HAPHONG", "HS01", &e),
	    0);
	/* an empty series is seen by its keeper only */
	assert_int_equal(hl_archive_fonds_get(&fo, f->a, &f->anon, "HAPHONG", NULL), 0);
	assert_int_equal(fo->nseries, 0);
	hl_fonds_free(fo);
	assert_int_equal(hl_archive_series_remove(f->a, &f->viewer52, "HAPHONG", "MLHC"),
	                 HL_EDENIED);
	assert_int_equal(hl_archive_series_remove(f->a, &f->arch52, "HAPHONG", "MLHC"), 0);
	assert_last_audit(f, "lan52", "describe", "series HAPHONG/MLHC");
	assert_int_equal(hl_archive_series_remove(f->a, &f->arch52, "HAPHONG", "MLHC"),
	                 HL_ENOTFOUND);
	/* who may describe, as a client is told: the unit holding the fonds, the province */
	assert_int_equal(hl_archive_fonds_get(&fo, f->a, &f->arch52, "GIENGDAY", NULL), 0);
	assert_int_equal(fo->may_describe, 0);
	hl_fonds_free(fo);
	assert_int_equal(hl_archive_fonds_get(&fo, f->a, &f->viewer52, "HAPHONG", NULL), 0);
	assert_int_equal(fo->may_describe, 0);
	hl_fonds_free(fo);
	assert_int_equal(hl_archive_fonds_get(&fo, f->a, &f->prov_arch, "GIENGDAY", NULL), 0);
	assert_int_equal(fo->may_describe, 1);
	assert_int_equal(fo->ndossiers, 1);
	assert_int_equal(fo->dossiers[0].may_describe, 1);
	hl_fonds_free(fo);
	/* a collection with no creator: the province names it, without a creator unit */
	assert_int_equal(
	    hl_archive_fonds_set(&fo, f->a, &f->prov_arch, "SUUTAP", NULL, NULL, "Sưu tập ảnh"), 0);
	assert_string_equal(fo->desc.title, "Sưu tập ảnh");
	hl_fonds_free(fo);
}

int main(void)
{
	/* test_custody_assign decides TPHL: it runs after the tests that see it waiting */
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fonds_list),     cmocka_unit_test(test_fonds_row_json),
	    cmocka_unit_test(test_fonds_get),      cmocka_unit_test(test_dossier_docs),
	    cmocka_unit_test(test_custody_of),     cmocka_unit_test(test_custody_pending),
	    cmocka_unit_test(test_receipt),        cmocka_unit_test(test_fonds_set),
	    cmocka_unit_test(test_custody_assign), cmocka_unit_test(test_describe),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
