/*
 * Fuzz target for the headers and payload the emulated MPNS reads from the
 * network (mpns_check in emulator/mpns.c).  The input is four header lines
 * (X-NotificationClass, X-WindowsPhone-Target, Content-Type, X-MessageID;
 * empty = absent) and the body (see fields.h).  Properties: the answer
 * is a kind (tile, toast, raw) or 0 with a reason; a kind agrees with the
 * class's last digit and the target header, and the payload is non-empty
 * and within 3 KB, the headers within 1 KB.  Built as a libFuzzer binary by `make fuzz` and run over
 * tests/fuzz/corpus/mpns by tests/fuzz/replay.c in `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/mpns.h"
#include "tests/fuzz/fields.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_fields f;
	struct mpns_request r;
	const char *why = NULL;
	int kind;

	fuzz_fields_split(data, size, 4, &f);
	r = (struct mpns_request){
		.notification_class = f.value[0],
		.target = f.value[1],
		.content_type = f.value[2],
		.message_id = f.value[3],
		.body = f.body,
		.body_len = f.body_len,
	};
	for (size_t i = 0; i < 4; i++)
		r.header_bytes += f.value[i] ? strlen(f.value[i]) + 24 : 0;
	kind = mpns_check(&r, &why);
	if (kind == 0) {
		if (!why)
			abort();
	} else {
		const char *c = r.notification_class;

		if (kind < MPNS_TILE || kind > MPNS_RAW || !c || c[strlen(c) - 1] - '0' != kind ||
		    (kind == MPNS_RAW) != (r.target == NULL) || r.body_len == 0 ||
		    r.body_len > MPNS_MAX_PAYLOAD || r.header_bytes > MPNS_MAX_HEADERS)
			abort();
	}
	fuzz_fields_free(&f);
	return 0;
}
