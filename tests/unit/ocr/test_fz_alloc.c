/* The MuPDF contexts of the ocr module grow buffers in steps: MuPDF's coders append a byte at a
 * time (fz_append_bits), and a realloc per byte that moves the block made `halong export pdf` of a
 * 3-page G4 TIFF take 25 s under ASan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ocr/ocr_int.h"

/* 400 KB appended 5 bits at a time, as the CCITT coder writes: the block may move only a few
 * dozen times (each growth by half), not once per byte. */
static void test_appended_bits_rarely_move_the_buffer(void **state)
{
	(void)state;
	fz_context *ctx = hl_ocr__fz_new();
	assert_non_null(ctx);
	fz_buffer *b = fz_new_buffer(ctx, 16);
	unsigned char *last = b->data;
	size_t moves = 0;
	for (int i = 0; i < 400 * 1024 * 8 / 5; i++) {
		fz_append_bits(ctx, b, i & 31, 5);
		if (b->data != last) {
			moves++;
			last = b->data;
		}
	}
	fz_append_bits_pad(ctx, b);
	assert_true(b->len >= 400 * 1024 - 1);
	/* the bits are all there, in order: 0, 1, 2, … in 5 bits each, most significant first */
	for (size_t bit = 0; bit < 8 * (b->len - 1); bit += 97) {
		unsigned v = (unsigned)(bit / 5) & 31, want = (v >> (4 - bit % 5)) & 1;
		assert_int_equal((b->data[bit / 8] >> (7 - bit % 8)) & 1, want);
	}
	assert_in_range(moves, 1, 64);
	fz_drop_buffer(ctx, b);
	fz_drop_context(ctx);
}

/* A buffer trimmed well below its capacity gives the memory back and keeps its bytes. */
static void test_trim_keeps_the_bytes(void **state)
{
	(void)state;
	fz_context *ctx = hl_ocr__fz_new();
	assert_non_null(ctx);
	fz_buffer *b = fz_new_buffer(ctx, 1 << 20);
	fz_append_string(ctx, b, "Điều 20. Nhập khẩu giống vật nuôi");
	fz_trim_buffer(ctx, b);
	assert_int_equal(b->cap, b->len);
	assert_memory_equal(b->data, "Điều 20. Nhập khẩu giống vật nuôi", b->len);
	fz_drop_buffer(ctx, b);
	fz_drop_context(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_appended_bits_rarely_move_the_buffer),
	    cmocka_unit_test(test_trim_keeps_the_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
