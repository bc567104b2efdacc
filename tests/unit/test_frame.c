/* The native-protocol frame decoder and encoder against hostile byte streams. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/frame.h"
#include "tests/unit/fixture.h"

/* Append a frame with the given header length and payload to buf at *n. */
static void put_frame(unsigned char *buf, size_t *n, uint32_t hdr_len, const void *payload,
		      size_t len)
{
	frame_put_header(buf + *n, hdr_len);
	memcpy(buf + *n + FRAME_HEADER_LEN, payload, len);
	*n += FRAME_HEADER_LEN + len;
}

static void test_header_truncated(void)
{
	struct frame_decoder d;
	struct frame f;
	unsigned char buf[16];
	size_t n = 0, used;

	frame_decoder_init(&d, 100);
	put_frame(buf, &n, 3, "abc", 3);
	CU_ASSERT_EQUAL(frame_decode(&d, buf, 3, &used, &f), FRAME_MORE);
	CU_ASSERT_EQUAL(used, 3);
	CU_ASSERT_TRUE(frame_decoder_busy(&d));
	/* nothing new: still nothing */
	CU_ASSERT_EQUAL(frame_decode(&d, buf + 3, 0, &used, &f), FRAME_MORE);
	CU_ASSERT_EQUAL(used, 0);
	CU_ASSERT_EQUAL(frame_decode(&d, buf + 3, n - 3, &used, &f), FRAME_READY);
	CU_ASSERT_EQUAL(used, n - 3);
	CU_ASSERT_EQUAL(f.len, 3);
	CU_ASSERT_EQUAL(memcmp(f.data, "abc", 3), 0);
	CU_ASSERT_FALSE(frame_decoder_busy(&d));
	frame_decoder_clear(&d);
}

static void test_length_zero(void)
{
	struct frame_decoder d;
	struct frame f;
	unsigned char buf[32];
	size_t n = 0, used, off = 0;

	frame_decoder_init(&d, 100);
	put_frame(buf, &n, 0, "", 0);
	put_frame(buf, &n, 2, "hi", 2);
	CU_ASSERT_EQUAL(frame_decode(&d, buf, n, &used, &f), FRAME_READY);
	CU_ASSERT_EQUAL(f.len, 0);
	CU_ASSERT_EQUAL(used, 4);
	off += used;
	CU_ASSERT_EQUAL(frame_decode(&d, buf + off, n - off, &used, &f), FRAME_READY);
	CU_ASSERT_EQUAL(f.len, 2);
	CU_ASSERT_EQUAL(memcmp(f.data, "hi", 2), 0);
	CU_ASSERT_EQUAL(off + used, n);
	frame_decoder_clear(&d);
}

static void test_oversize_skipped(void)
{
	struct frame_decoder d;
	struct frame f;
	unsigned char *big = malloc(1000), buf[1100];
	size_t n = 0, used, off = 0;
	int oversize = 0, ready = 0;

	for (int i = 0; i < 1000; i++)
		big[i] = (unsigned char)i;
	frame_decoder_init(&d, 100);
	put_frame(buf, &n, 1000, big, 1000);
	put_frame(buf, &n, 2, "ok", 2);
	/* in pieces of 7 bytes, as a slow sender would deliver them */
	while (off < n) {
		size_t piece = n - off < 7 ? n - off : 7;
		enum frame_status st = frame_decode(&d, buf + off, piece, &used, &f);

		off += used;
		if (st == FRAME_OVERSIZE) {
			oversize++;
			CU_ASSERT_EQUAL(f.declared, 1000);
			CU_ASSERT_EQUAL(f.len, FRAME_PREFIX_LEN);
			CU_ASSERT_EQUAL(memcmp(f.data, big, FRAME_PREFIX_LEN), 0);
		} else if (st == FRAME_READY) {
			ready++;
			CU_ASSERT_EQUAL(f.len, 2);
			CU_ASSERT_EQUAL(memcmp(f.data, "ok", 2), 0);
		}
		/* the oversize payload is never buffered */
		CU_ASSERT_PTR_NULL(d.buf);
	}
	CU_ASSERT_EQUAL(oversize, 1);
	CU_ASSERT_EQUAL(ready, 1);
	CU_ASSERT_FALSE(frame_decoder_busy(&d));
	frame_decoder_clear(&d);
	free(big);
}

static void test_oversize_huge_length(void)
{
	struct frame_decoder d;
	struct frame f;
	unsigned char chunk[4096] = {0}, hdr[FRAME_HEADER_LEN];
	size_t used;
	uint64_t skipped = 0;

	frame_decoder_init(&d, 1 << 20);
	frame_put_header(hdr, UINT32_MAX);
	CU_ASSERT_EQUAL(frame_decode(&d, hdr, 4, &used, &f), FRAME_MORE);
	CU_ASSERT_EQUAL(frame_decode(&d, chunk, sizeof(chunk), &used, &f), FRAME_OVERSIZE);
	CU_ASSERT_EQUAL(f.declared, UINT32_MAX);
	CU_ASSERT_EQUAL(used, FRAME_PREFIX_LEN);
	skipped = used;
	/* the rest is consumed without an event and without memory */
	CU_ASSERT_EQUAL(frame_decode(&d, chunk, sizeof(chunk), &used, &f), FRAME_MORE);
	CU_ASSERT_EQUAL(used, sizeof(chunk));
	CU_ASSERT_PTR_NULL(d.buf);
	skipped += used;
	CU_ASSERT_EQUAL(d.skip, (uint64_t)UINT32_MAX - skipped);
	frame_decoder_clear(&d);
}

static void test_oversize_shorter_than_prefix(void)
{
	struct frame_decoder d;
	struct frame f;
	unsigned char buf[32];
	size_t n = 0, used, off;

	frame_decoder_init(&d, 4);
	put_frame(buf, &n, 6, "abcdef", 6);
	put_frame(buf, &n, 1, "x", 1);
	CU_ASSERT_EQUAL(frame_decode(&d, buf, n, &used, &f), FRAME_OVERSIZE);
	CU_ASSERT_EQUAL(f.len, 6);
	CU_ASSERT_EQUAL(f.declared, 6);
	off = used;
	CU_ASSERT_EQUAL(frame_decode(&d, buf + off, n - off, &used, &f), FRAME_READY);
	CU_ASSERT_EQUAL(f.len, 1);
	CU_ASSERT_EQUAL(f.data[0], 'x');
	frame_decoder_clear(&d);
}

static void test_exactly_max(void)
{
	struct frame_decoder d;
	struct frame f;
	unsigned char payload[65] = {0}, buf[160];
	size_t n = 0, used, off;

	frame_decoder_init(&d, 64);
	put_frame(buf, &n, 64, payload, 64);
	put_frame(buf, &n, 65, payload, 65);
	CU_ASSERT_EQUAL(frame_decode(&d, buf, n, &used, &f), FRAME_READY);
	CU_ASSERT_EQUAL(f.len, 64);
	off = used;
	CU_ASSERT_EQUAL(frame_decode(&d, buf + off, n - off, &used, &f), FRAME_OVERSIZE);
	CU_ASSERT_EQUAL(f.declared, 65);
	off += used;
	CU_ASSERT_EQUAL(frame_decode(&d, buf + off, n - off, &used, &f), FRAME_MORE);
	CU_ASSERT_EQUAL(off + used, n);
	frame_decoder_clear(&d);
}

static void test_garbage(void)
{
	struct frame_decoder d;
	struct frame f;
	unsigned char buf[8192];
	size_t off = 0, used;
	unsigned int seed = 12345;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)rand_r(&seed);
	frame_decoder_init(&d, 300);
	while (off < sizeof(buf)) {
		enum frame_status st = frame_decode(&d, buf + off, sizeof(buf) - off, &used, &f);

		CU_ASSERT_NOT_EQUAL(st, FRAME_ENOMEM);
		if (st == FRAME_READY)
			CU_ASSERT_TRUE(f.len <= 300);
		if (st == FRAME_OVERSIZE)
			CU_ASSERT_TRUE(f.declared > 300 && f.len <= FRAME_PREFIX_LEN);
		if (st == FRAME_MORE)
			CU_ASSERT_EQUAL(off + used, sizeof(buf));
		off += used;
	}
	frame_decoder_clear(&d);
}

static void test_many_in_one_buffer(void)
{
	struct frame_decoder d;
	struct frame f;
	unsigned char buf[100 * 16];
	size_t n = 0, used, off = 0;
	int got = 0;

	for (int i = 0; i < 100; i++) {
		char p[16];
		int l = snprintf(p, sizeof(p), "frame%d", i);

		put_frame(buf, &n, (uint32_t)l, p, (size_t)l);
	}
	frame_decoder_init(&d, 64);
	for (;;) {
		enum frame_status st = frame_decode(&d, buf + off, n - off, &used, &f);
		char want[16];

		off += used;
		if (st != FRAME_READY)
			break;
		snprintf(want, sizeof(want), "frame%d", got);
		CU_ASSERT_EQUAL(f.len, strlen(want));
		CU_ASSERT_EQUAL(memcmp(f.data, want, f.len), 0);
		/* whole frames inside the input are handed out in place */
		CU_ASSERT_TRUE(f.data > buf && f.data < buf + n);
		got++;
	}
	CU_ASSERT_EQUAL(got, 100);
	CU_ASSERT_EQUAL(off, n);
	frame_decoder_clear(&d);
}

static void test_byte_by_byte(void)
{
	struct frame_decoder d;
	struct frame f;
	unsigned char buf[64];
	const char *msg = "one frame, one byte at a time";
	size_t n = 0, used;
	int ready = 0;

	put_frame(buf, &n, (uint32_t)strlen(msg), msg, strlen(msg));
	put_frame(buf, &n, 1, "z", 1);
	frame_decoder_init(&d, 64);
	for (size_t i = 0; i < n; i++) {
		enum frame_status st = frame_decode(&d, buf + i, 1, &used, &f);

		CU_ASSERT_EQUAL(used, 1);
		if (i == FRAME_HEADER_LEN + strlen(msg) - 1) {
			CU_ASSERT_EQUAL_FATAL(st, FRAME_READY);
			CU_ASSERT_EQUAL(f.len, strlen(msg));
			CU_ASSERT_EQUAL(memcmp(f.data, msg, f.len), 0);
			ready++;
		} else if (i == n - 1) {
			CU_ASSERT_EQUAL_FATAL(st, FRAME_READY);
			CU_ASSERT_EQUAL(f.len, 1);
			CU_ASSERT_EQUAL(f.data[0], 'z');
			ready++;
		} else {
			CU_ASSERT_EQUAL(st, FRAME_MORE);
		}
	}
	CU_ASSERT_EQUAL(ready, 2);
	frame_decoder_clear(&d);
}

static void test_max_change(void)
{
	struct frame_decoder d;
	struct frame f;
	unsigned char buf[64];
	size_t n = 0, used;

	frame_decoder_init(&d, 4);
	put_frame(buf, &n, 8, "12345678", 8);
	frame_decoder_set_max(&d, 8);
	CU_ASSERT_EQUAL(frame_decode(&d, buf, n, &used, &f), FRAME_READY);
	/* a limit above the hard ceiling is clamped */
	frame_decoder_set_max(&d, (size_t)1 << 40);
	CU_ASSERT_EQUAL(d.max, FRAME_MAX_LIMIT);
	frame_decoder_clear(&d);
}

static void test_encode(void)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	long start;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	start = frame_begin(&sb);
	CU_ASSERT_EQUAL(start, 0);
	msgpack_pack_map(&pk, 1);
	msgpack_pack_str_with_body(&pk, "id", 2);
	msgpack_pack_uint32(&pk, 7);
	CU_ASSERT_EQUAL(frame_end(&sb, start, 100), 0);
	CU_ASSERT_EQUAL(sb.size, 9);
	CU_ASSERT_EQUAL(memcmp(sb.data, "\0\0\0\x05\x81\xa2id\x07", 9), 0);

	/* a second frame that is too long is refused and leaves the first intact */
	start = frame_begin(&sb);
	CU_ASSERT_EQUAL(start, 9);
	msgpack_pack_str_with_body(&pk, "0123456789", 10);
	CU_ASSERT_EQUAL(frame_end(&sb, start, 10), -EMSGSIZE);
	CU_ASSERT_EQUAL(sb.size, 9);
	msgpack_sbuffer_destroy(&sb);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"truncated length", test_header_truncated},
		{"length 0", test_length_zero},
		{"oversize reported and skipped", test_oversize_skipped},
		{"length 2^32-1 skipped without memory", test_oversize_huge_length},
		{"oversize shorter than the prefix", test_oversize_shorter_than_prefix},
		{"exactly max, max+1", test_exactly_max},
		{"garbage bytes", test_garbage},
		{"many frames in one buffer", test_many_in_one_buffer},
		{"one frame byte by byte", test_byte_by_byte},
		{"changing the maximum", test_max_change},
		{"encoder", test_encode},
		CU_TEST_INFO_NULL,
	};
	return fx_run_suite("frame", NULL, NULL, tests);
}
