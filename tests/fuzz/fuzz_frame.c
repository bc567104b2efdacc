/*
 * Fuzz target for the bytes heraldd reads from its socket (and libherald from
 * heraldd): the frame decoder fed in pieces whose sizes the input chooses,
 * then every complete payload through the bounded msgpack scan and the
 * msgpack -> JSON conversion; whatever converts must survive JSON -> msgpack
 * -> JSON unchanged.  Built as a libFuzzer binary by `make fuzz` and run over
 * the seed corpus by tests/fuzz/replay.c in `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "common/frame.h"
#include "common/mpjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_payload(const unsigned char *p, size_t len)
{
	char err[256];
	json_t *v = mpjson_decode(p, len, err, sizeof(err)), *again;
	msgpack_sbuffer sb;
	msgpack_packer pk;

	if (!v)
		return;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (mpjson_pack(&pk, v, err, sizeof(err)) != 0)
		abort(); /* anything decoded must be encodable */
	again = mpjson_decode(sb.data, sb.size, err, sizeof(err));
	if (!again || !json_equal(v, again))
		abort();
	json_decref(again);
	msgpack_sbuffer_destroy(&sb);
	json_decref(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_decoder d;
	struct frame f;
	size_t off = 1, used, piece;
	enum frame_status st;

	if (size < 1)
		return 0;
	/* the first byte picks the piece size (1..256): exercises reassembly */
	piece = (size_t)data[0] + 1;
	frame_decoder_init(&d, 4096);
	while (off < size) {
		size_t n = size - off < piece ? size - off : piece;

		st = frame_decode(&d, data + off, n, &used, &f);
		if (used > n)
			abort();
		off += used;
		if (st == FRAME_READY) {
			if (f.len > 4096)
				abort();
			fuzz_payload(f.data, f.len);
		} else if (st == FRAME_OVERSIZE) {
			if (f.declared <= 4096 || f.len > FRAME_PREFIX_LEN)
				abort();
		} else if (st == FRAME_ENOMEM) {
			break;
		} else if (used != n) {
			abort();
		}
	}
	frame_decoder_clear(&d);
	return 0;
}
