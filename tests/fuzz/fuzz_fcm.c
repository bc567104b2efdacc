/*
 * Fuzz target for the bodies the emulated FCM reads from the network
 * (emulator/fcm.c): the HTTP v1 send request (fcm_check_send) and the legacy
 * /fcm/send request (fcm_legacy_check), both after the JSON decoding the
 * server does.  Properties: a refusal names its status and message and
 * renders as Google's error JSON; an accepted v1 token target is a string of
 * the body; a legacy answer is 0 or 400, and a 200 has the targets the
 * results are written for.  Built as a libFuzzer binary by `make fuzz` and
 * run over tests/fuzz/corpus/fcm by tests/fuzz/replay.c in `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "emulator/fcm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_v1(const json_t *body)
{
	struct fcm_error e = {0};
	const char *token = NULL;
	int validate_only = -1;
	char *out;
	json_t *parsed;

	if (fcm_check_send(body, &token, &validate_only, &e) == 0) {
		if (validate_only != 0 && validate_only != 1)
			abort();
		if (token && token != json_string_value(json_object_get(
					      json_object_get(body, "message"), "token")))
			abort();
		return;
	}
	if (e.http < 400 || e.http > 599 || !e.status || !e.message[0])
		abort();
	out = fcm_error_body(&e);
	parsed = out ? json_loads(out, 0, NULL) : NULL;
	if (!parsed ||
	    json_integer_value(json_object_get(json_object_get(parsed, "error"), "code")) != e.http)
		abort();
	json_decref(parsed);
	free(out);
}

static void check_legacy(const json_t *body)
{
	const char *msg_error = NULL;
	json_t *targets = (json_t *)1;
	char why[256] = "";
	int rc = fcm_legacy_check(body, &targets, &msg_error, why, sizeof(why));

	if (rc == 0) {
		if (targets && !json_is_array(targets))
			abort();
		if (json_array_size(targets) > FCM_LEGACY_MAX_IDS)
			abort();
	} else if (rc != 400 || !why[0] || targets) {
		abort();
	}
	json_decref(targets);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body;

	if (size > FCM_MAX_BODY)
		return 0; /* the server refuses bigger bodies before parsing */
	body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!body)
		return 0;
	check_v1(body);
	check_legacy(body);
	json_decref(body);
	return 0;
}
