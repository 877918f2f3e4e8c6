/* The units module's small pieces: unit types and succession kinds, dates, name folding. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "halong/text.h"
#include "halong/util.h"
#include "units_int.h"

static const struct {
	const char *key, *name;
} types[] = {
    [HL_UNIT_UNKNOWN] = {"", "không rõ"},
    [HL_UNIT_TINH] = {"tinh", "tỉnh"},
    [HL_UNIT_THANH_PHO_TW] = {"thanh_pho_tw", "thành phố trực thuộc trung ương"},
    [HL_UNIT_HUYEN] = {"huyen", "huyện"},
    [HL_UNIT_QUAN] = {"quan", "quận"},
    [HL_UNIT_THI_XA] = {"thi_xa", "thị xã"},
    [HL_UNIT_THANH_PHO_TINH] = {"thanh_pho_tinh", "thành phố thuộc tỉnh"},
    [HL_UNIT_XA] = {"xa", "xã"},
    [HL_UNIT_PHUONG] = {"phuong", "phường"},
    [HL_UNIT_THI_TRAN] = {"thi_tran", "thị trấn"},
    [HL_UNIT_DAC_KHU] = {"dac_khu", "đặc khu"},
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

const char *hl_unit_type_key(hl_unit_type t)
{
	return (unsigned)t < NTYPES ? types[t].key : "";
}

const char *hl_unit_type_name(hl_unit_type t)
{
	return (unsigned)t < NTYPES ? types[t].name : types[0].name;
}

hl_unit_type hl_unit_type_from_key(const char *key)
{
	if (!key || !*key)
		return HL_UNIT_UNKNOWN;
	for (unsigned i = 1; i < NTYPES; i++)
		if (!strcmp(types[i].key, key))
			return (hl_unit_type)i;
	return HL_UNIT_UNKNOWN;
}

static const char *const kinds[] = {
    [HL_SUCC_MERGE_WHOLE] = "merge_whole",
    [HL_SUCC_MERGE_PART] = "merge_part",
    [HL_SUCC_KEEP] = "keep",
    [HL_SUCC_RENAME] = "rename",
    [HL_SUCC_RECLASSIFY] = "reclassify",
    [HL_SUCC_ABOLISH] = "abolish",
};

const char *hl_succ_kind_name(hl_succ_kind k)
{
	return (unsigned)k < sizeof(kinds) / sizeof(kinds[0]) && kinds[k] ? kinds[k] : "";
}

hl_succ_kind hl_units__kind_from_name(const char *name)
{
	for (unsigned i = 1; name && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i], name))
			return (hl_succ_kind)i;
	return 0;
}

char *hl_units__fold(const char *s)
{
	char *f = NULL, *out;
	size_t j = 0;

	if (hl_text_fold(&f, s ? s : "", -1) < 0)
		return NULL;
	out = malloc(strlen(f) + 3);
	if (!out) {
		free(f);
		hl_error_set(HL_ENOMEM, "out of memory");
		return NULL;
	}
	/* Words between single spaces, so that " ha phong " matches whole words only. */
	out[j++] = ' ';
	for (const unsigned char *p = (const unsigned char *)f; *p; p++) {
		int word = *p >= 0x80 || isalnum(*p);
		if (word)
			out[j++] = (char)*p;
		else if (out[j - 1] != ' ')
			out[j++] = ' ';
	}
	if (out[j - 1] != ' ')
		out[j++] = ' ';
	out[j] = 0;
	free(f);
	return out;
}

hl_succ_kind hl_units__kind_of(const char *merge_type)
{
	char *f = hl_units__fold(merge_type);
	hl_succ_kind k = 0;

	if (!f)
		return 0;
	/* The sources' wording varies ("Nhập một  phần", "Nhâp một phần diện tích", "Phần còn lại
	 * sau khi tách..."): any part is a part; the words decide, not the exact text. */
	if (strstr(f, " mot phan ") || strstr(f, " phan con lai "))
		k = HL_SUCC_MERGE_PART;
	else if (strstr(f, " toan bo "))
		k = HL_SUCC_MERGE_WHOLE;
	else if (strstr(f, " giu nguyen "))
		k = HL_SUCC_KEEP;
	else if (strstr(f, " doi ten "))
		k = HL_SUCC_RENAME;
	else if (strstr(f, " doi loai hinh "))
		k = HL_SUCC_RECLASSIFY;
	free(f);
	return k;
}

hl_unit_type hl_units__type_of(char **short_name, const char *full_name, const char *code)
{
	static const struct {
		const char *prefix; /* folded, with the trailing space */
		int words;
		hl_unit_type t[3]; /* province, district, commune level */
	} pre[] = {
	    {" thanh pho ", 2, {HL_UNIT_THANH_PHO_TW, HL_UNIT_THANH_PHO_TINH, HL_UNIT_UNKNOWN}},
	    {" thi tran ", 2, {HL_UNIT_UNKNOWN, HL_UNIT_UNKNOWN, HL_UNIT_THI_TRAN}},
	    {" thi xa ", 2, {HL_UNIT_UNKNOWN, HL_UNIT_THI_XA, HL_UNIT_UNKNOWN}},
	    {" dac khu ", 2, {HL_UNIT_UNKNOWN, HL_UNIT_UNKNOWN, HL_UNIT_DAC_KHU}},
	    {" tinh ", 1, {HL_UNIT_TINH, HL_UNIT_UNKNOWN, HL_UNIT_UNKNOWN}},
	    {" huyen ", 1, {HL_UNIT_UNKNOWN, HL_UNIT_HUYEN, HL_UNIT_UNKNOWN}},
	    {" quan ", 1, {HL_UNIT_UNKNOWN, HL_UNIT_QUAN, HL_UNIT_UNKNOWN}},
	    {" xa ", 1, {HL_UNIT_UNKNOWN, HL_UNIT_UNKNOWN, HL_UNIT_XA}},
	    {" phuong ", 1, {HL_UNIT_UNKNOWN, HL_UNIT_UNKNOWN, HL_UNIT_PHUONG}},
	};
	size_t len = code ? strlen(code) : 0;
	int level = len <= 2 ? 0 : len <= 3 ? 1 : 2;
	char *f = hl_units__fold(full_name);
	hl_unit_type t = HL_UNIT_UNKNOWN;
	const char *rest = full_name ? full_name : "";

	for (size_t i = 0; f && i < sizeof(pre) / sizeof(pre[0]); i++) {
		if (strncmp(f, pre[i].prefix, strlen(pre[i].prefix)) || !f[strlen(pre[i].prefix)])
			continue;
		t = pre[i].t[level];
		if (t == HL_UNIT_UNKNOWN)
			break;
		/* Skip as many words of the original as the prefix has. */
		for (int w = 0; w < pre[i].words; w++) {
			while (*rest == ' ')
				rest++;
			while (*rest && *rest != ' ')
				rest++;
		}
		while (*rest == ' ')
			rest++;
		break;
	}
	free(f);
	if (t == HL_UNIT_UNKNOWN)
		rest = full_name ? full_name : "";
	*short_name = hl_strdup(rest);
	return t;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static long days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, int *y, int *m, int *d)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dm[m - 1];
}

/* The moduli bound the widths for the compiler; callers keep years within 1900-9999. */
static void iso_date(char out[11], int y, int m, int d)
{
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
	         (unsigned)d % 100u);
}

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

int hl_units_date_parse(char out[11], const char *s)
{
	int y, m, d;
	size_t n = s ? strlen(s) : 0;

	if (n == 10 && s[4] == '-' && s[7] == '-' && all_digits(s, 4) && all_digits(s + 5, 2) &&
	    all_digits(s + 8, 2)) {
		y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	} else if (n == 10 && s[2] == '/' && s[5] == '/' && all_digits(s, 2) &&
	           all_digits(s + 3, 2) && all_digits(s + 6, 4)) {
		d = atoi(s), m = atoi(s + 3), y = atoi(s + 6);
	} else {
		return hl_error_set(
		    HL_EINVALID, "bad date \"%.40s\": write yyyy-mm-dd or dd/mm/yyyy", s ? s : "");
	}
	if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return hl_error_set(HL_EINVALID, "bad date \"%.40s\": no such day", s);
	iso_date(out, y, m, d);
	return 0;
}

void hl_units__date_add(char out[11], const char *iso, int days)
{
	int y, m, d;
	civil_from_days(days_from_civil(atoi(iso), atoi(iso + 5), atoi(iso + 8)) + days, &y, &m,
	                &d);
	iso_date(out, y, m, d);
}

void hl_units_today(char out[11])
{
	/* Vietnam has no DST: local date = UTC + 7 hours. */
	time_t t = time(NULL) + 7 * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static void succ_clear(hl_succession *s)
{
	free(s->old_code), free(s->old_name), free(s->new_code), free(s->new_name);
	free(s->merge_type), free(s->event_id), free(s->legal_basis);
}

void hl_successions_free(hl_successions *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		succ_clear(&l->v[i]);
	}
	free(l->v);
	free(l);
}

void hl_units__unit_clear(hl_unit *u)
{
	free(u->code), free(u->name), free(u->full_name), free(u->parent_code);
	free(u->parent_name), free(u->event_id), free(u->legal_basis);
	for (size_t i = 0; i < u->next.n; i++) {
		succ_clear(&u->next.v[i]);
	}
	free(u->next.v);
	for (size_t i = 0; i < u->prev.n; i++) {
		succ_clear(&u->prev.v[i]);
	}
	free(u->prev.v);
}

void hl_unit_free(hl_unit *u)
{
	if (!u)
		return;
	hl_units__unit_clear(u);
	free(u);
}

void hl_units_free(hl_units *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		hl_units__unit_clear(&l->v[i]);
	free(l->v);
	free(l);
}
