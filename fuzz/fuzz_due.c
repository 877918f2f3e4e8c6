/* Fuzz target of deadlines as plans write them (src/lib/plans/due.c): any bytes are read or
 * refused, never guessed. Invariants: a refusal is HL_EINVALID with kind HL_DUE_UNREAD, no dates
 * and one printable line; a read deadline has real ISO dates with start <= due (a recurring or
 * ongoing one: no due, a start only when written), a recurring one a frequency and a day that
 * exists; reading is a function (twice, the same answer); occurrences over a year are in
 * order, inside the window, each a real period. */
#define FUZZ_NAME "fuzz_due"
#include "fuzz_util.h"
#include "halong/plans.h"

static int real_date(const char *s)
{
	int y, m, d;
	static const int dim[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return 0;
	if (m < 1 || m > 12 || d < 1 || d > dim[m - 1])
		return 0;
	return !(m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

typedef struct {
	char last[11];
	int n;
} seen;

static int occurrence(const char *start, const char *due, void *ud)
{
	seen *s = ud;
	CHECK(real_date(due));
	CHECK(!*start || (real_date(start) && strcmp(start, due) <= 0));
	CHECK(strcmp(due, "2025-01-01") >= 0 && strcmp(due, "2026-12-31") <= 0);
	CHECK(strcmp(s->last, due) < 0);
	memcpy(s->last, due, 11);
	s->n++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	hl_due a, b;
	int rc;
	seen s = {"", 0};

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rc = hl_due_parse(&a, text);
	CHECK(hl_due_parse(&b, text) == rc && memcmp(&a, &b, sizeof(a)) == 0);
	if (rc != 0) {
		CHECK(rc == HL_EINVALID && a.kind == HL_DUE_UNREAD && !*a.start && !*a.due);
		fuzz_message_ok(hl_error_last());
		free(text);
		return 0;
	}
	switch (a.kind) {
	case HL_DUE_NONE:
	case HL_DUE_ONGOING:
		CHECK(!*a.start && !*a.due);
		break;
	case HL_DUE_RECURRING:
		CHECK(!*a.due && (!*a.start || real_date(a.start)));
		CHECK(a.freq >= HL_FREQ_MONTHLY && a.freq <= HL_FREQ_YEARLY);
		CHECK(a.day >= 0 && a.day <= 31 && a.month >= 0 && a.month <= 12);
		CHECK(!a.month || a.freq == HL_FREQ_YEARLY);
		break;
	default:
		CHECK(a.kind != HL_DUE_UNREAD);
		CHECK(real_date(a.start) && real_date(a.due) && strcmp(a.start, a.due) <= 0);
	}
	CHECK(hl_due_occurrences(&a, HL_FREQ_MONTHLY, "2025-01-01", "2026-12-31", occurrence, &s) ==
	      0);
	CHECK(s.n <= 24 || a.kind != HL_DUE_RECURRING);
	free(text);
	return 0;
}
