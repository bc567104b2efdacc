/*
 * Fuzz target for what the emulated Baidu Push reads from the network
 * (emulator/baidu.c): the application/x-www-form-urlencoded body
 * (baidu_parse_form) and the signed-request check (baidu_check_push) over
 * what it decodes.  Properties: a decoded form is an object of strings; a
 * refusal carries one of Baidu's codes (30600..30610) with its text and a
 * non-200 status; the same parameters signed correctly with the right
 * apikey and a fresh timestamp are never refused for their signature (30603)
 * or time (30606).  Built as a libFuzzer binary by `make fuzz` and run over
 * tests/fuzz/corpus/baidu by tests/fuzz/replay.c in `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "emulator/baidu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_URL "http://api.tuisong.baidu.com/rest/3.0/push/single_device"
#define FUZZ_NOW 1700000000

static void check_refusal(int rc, const struct baidu_error *e)
{
	if (rc != 0 && (e->code < 30600 || e->code > 30610 || !e->msg || !e->msg[0] ||
			e->http < 400 || e->http > 599))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct emu_config cfg;
	struct baidu_error e = {0};
	const char *key;
	json_t *params, *v;
	char sign[33];
	int rc;

	if (size > BAIDU_MAX_BODY)
		return 0; /* the server refuses bigger bodies before parsing */
	params = baidu_parse_form((const char *)data, size);
	if (!params)
		return 0;
	if (!json_is_object(params))
		abort();
	json_object_foreach (params, key, v)
		if (!json_is_string(v) || !key[0])
			abort();
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.baidu_api_key, "Ljc710pzAa99GULCo8y48NvB");
	strcpy(cfg.baidu_secret, "87772555E1C16715EBA5C85341684C58");

	/* As sent. */
	rc = baidu_check_push(&cfg, FUZZ_URL, params, FUZZ_NOW, &e);
	check_refusal(rc, &e);

	/* Signed right, by the right key, now: only the parameters may be refused. */
	json_object_set_new(params, "apikey", json_string(cfg.baidu_api_key));
	json_object_set_new(params, "timestamp", json_string("1700000000"));
	json_object_del(params, "expires");
	if (baidu_sign("POST", FUZZ_URL, params, cfg.baidu_secret, sign) != 0 || strlen(sign) != 32)
		abort();
	json_object_set_new(params, "sign", json_string(sign));
	rc = baidu_check_push(&cfg, FUZZ_URL, params, FUZZ_NOW, &e);
	check_refusal(rc, &e);
	if (rc != 0 && (e.code == 30603 || e.code == 30606))
		abort();
	json_decref(params);
	return 0;
}
