/*
 * Fuzz target for the headers and payload the emulated WNS reads from the
 * network (wns_check_notification in emulator/wns.c).  The input is nine
 * header lines (X-WNS-Type, Content-Type, X-WNS-Cache-Policy,
 * X-WNS-RequestForStatus, X-WNS-Tag, X-WNS-Group, X-WNS-TTL,
 * X-WNS-SuppressPopup, X-WNS-Match; empty = absent) and the body (see
 * fields.h).  Properties: the answer is 0, 400 or 413 with a reason
 * that is a valid header value; 0 only for a known type and at most 5000
 * bytes; with an Entra token, 0 only where it is 0 without and for toast
 * or raw.  Built as a libFuzzer binary by `make fuzz` and run over
 * tests/fuzz/corpus/wns by tests/fuzz/replay.c in `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/wns.h"
#include "tests/fuzz/fields.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_fields f;
	struct wns_request r;
	const char *why = NULL;
	int rc;

	fuzz_fields_split(data, size, 9, &f);
	r = (struct wns_request){
		.type = f.value[0],
		.content_type = f.value[1],
		.cache_policy = f.value[2],
		.request_for_status = f.value[3],
		.tag = f.value[4],
		.group = f.value[5],
		.ttl = f.value[6],
		.suppress_popup = f.value[7],
		.match = f.value[8],
		.body = f.body,
		.body_len = f.body_len,
	};
	rc = wns_check_notification(&r, &why);
	if (rc == 0) {
		if (!r.type || strncmp(r.type, "wns/", 4) != 0 || r.body_len > WNS_MAX_PAYLOAD ||
		    r.match)
			abort();
	} else if ((rc != 400 && rc != 413) || !why || strpbrk(why, "\r\n")) {
		abort();
	}
	/* With an Entra token: stricter, never looser, and only toast and raw. */
	r.entra = 1;
	if (wns_check_notification(&r, &why) == 0 &&
	    (rc != 0 || (strcmp(r.type, "wns/toast") != 0 && strcmp(r.type, "wns/raw") != 0)))
		abort();
	fuzz_fields_free(&f);
	return 0;
}
