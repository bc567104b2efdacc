/*
 * Fuzz target for what the APNs and FCM drivers parse from outside: the
 * providers' answers (status and body) and the SNS payloads they turn into
 * requests.  The first byte picks the parser, the second the HTTP status;
 * the rest is the body or payload.  `make check` replays the seed corpus
 * (tests/plugins/corpus/drivers) through tests/fuzz/replay.c; for libFuzzer:
 *   clang -fsanitize=fuzzer,address,undefined -I. -Iinclude \
 *     tests/plugins/fuzz_drivers.c plugins/apns/{conf,request,outcome}.c \
 *     plugins/fcm/{conf,message,outcome}.c plugins/common/plugutil.c -ljansson -lcrypto
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/apns/apns.h"
#include "plugins/fcm/fcm.h"

static const int statuses[] = {0, 200, 400, 401, 403, 404, 405, 410, 413, 429, 500, 503};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct herald_http_header h[] = {{"retry-after", "Sun, 06 Nov 1994 08:49:37 GMT"},
					 {"apns-id", "x"}};
	struct herald_http_response res = {.size = sizeof(res), .headers = h, .n_headers = 2};
	struct herald_notification n = {.size = sizeof(n),
					.platform = "APNS",
					.token = "0011",
					.message_id = "5b9e0d1c-7a43-4f6e-9c2b-1d2e3f405162",
					.ttl_s = 60,
					.expiration_ms = -1,
					.priority = 10};
	struct apns_conf conf = {.bundle_id = "com.example.app"};
	struct apns_verdict av;
	struct fcm_verdict *fv = malloc(sizeof(*fv));
	struct apns_msg m;
	unsigned char *body;
	char why[256], *text;

	if (size < 2 || !fv) {
		free(fv);
		return 0;
	}
	/* a private copy with the NUL the host guarantees after a body */
	body = malloc(size - 2 + 1);
	if (!body) {
		free(fv);
		return 0;
	}
	memcpy(body, data + 2, size - 2);
	body[size - 2] = '\0';
	res.status = statuses[data[1] % (sizeof(statuses) / sizeof(statuses[0]))];
	res.body = body;
	res.body_len = size - 2;
	res.error = res.status ? NULL : "reset";
	n.payload = body;
	n.payload_len = size - 2;
	switch (data[0] % 6) {
	case 0:
		apns_classify(&res, 1700000000, &av);
		break;
	case 1:
		fcm_classify_v1(&res, 1700000000, fv);
		break;
	case 2:
		fcm_classify_legacy(&res, 1700000000, fv);
		break;
	case 3:
		n.push_type = data[1] & 1 ? "voip" : NULL;
		if (apns_msg_build(&conf, &n, 1700000000, &m, why, sizeof(why)) == 0)
			apns_msg_clear(&m);
		break;
	case 4:
		text = fcm_v1_body(&n, 1700000000000, why, sizeof(why));
		free(text);
		break;
	default:
		text = fcm_legacy_body(&n, 1700000000000, why, sizeof(why));
		free(text);
		break;
	}
	free(body);
	free(fv);
	return 0;
}
