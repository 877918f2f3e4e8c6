/* Fuzz target of the canonical encoding that signatures cover (hl_exchange_canonical,
 * include/halong/exchange.h): any bytes either give canonical JSON or one clear HL_EINVALID. What
 * comes out is valid UTF-8 JSON without a NUL, no longer than the limit allows, and a fixed
 * point: parsed and canonicalised again it gives the very same bytes (two nodes that
 * canonicalise a signed text must agree on it, or a good signature would fail). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halong/exchange.h"
#include "halong/text.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_canonical: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Envelopes are at most HL_EXCHANGE_MAX_ENVELOPE; past this size a run only repeats itself. */
#define FUZZ_MAX_INPUT (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_INPUT)
		return 0;
	char *out = (char *)0x1;
	size_t len = 12345;
	int rc = hl_exchange_canonical(&out, &len, (const char *)data, size);
	if (rc < 0) {
		CHECK(rc == HL_EINVALID);
		CHECK(out == (char *)0x1 && len == 12345); /* written only on success */
		CHECK(strncmp(hl_error_last(), "canonical JSON", 14) == 0);
		return 0;
	}
	CHECK(rc == 0 && out && out != (char *)0x1);
	CHECK(strlen(out) == len);
	CHECK(hl_text_check_utf8(out, len, NULL) == 0);
	/* no whitespace between tokens: a space or a line break can only be inside a string */
	CHECK(len > 0 && out[0] != ' ' && out[len - 1] != ' ' && !strchr(out, '\n'));

	char *again = NULL;
	size_t len2 = 0;
	rc = hl_exchange_canonical(&again, &len2, out, len);
	if (rc != 0)
		fprintf(stderr, "fuzz_canonical: the output is refused: %s\n", hl_error_last());
	CHECK(rc == 0);
	CHECK(len2 == len && memcmp(again, out, len) == 0);
	free(again);
	free(out);
	return 0;
}
