/* Unit tests of emulator/state.c: the record ring, counters, queries and rules. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "emulator/state.h"
#include "tests/emulator/keys.h"

static void record(struct emu_state *st, enum emu_provider p, const char *token, int status)
{
	static char method[] = ":method", post[] = "POST", body[] = "{\"aps\":{}}";
	struct h2_req req = {0};

	req.headers[0] = (struct h2_header){method, post, 4};
	req.n_headers = 1;
	req.body = body;
	req.body_len = req.body_total = strlen(body);
	state_record(st, p, token, &req, status, status == 200 ? NULL : "BadDeviceToken");
}

static void test_ring_and_counts(void)
{
	struct emu_state *st = state_new(3);
	json_t *list, *counts;

	for (int i = 0; i < 5; i++)
		record(st, EMU_APNS, i % 2 ? "odd" : "even", 200);
	record(st, EMU_FCM, "f", 400);
	counts = state_counts(st);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(counts, "apns")), 5);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(counts, "fcm")), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(counts, "total")), 6);
	json_decref(counts);
	/* Only the newest three are kept, oldest first. */
	list = state_query(st, -1, NULL, 0);
	CU_ASSERT_EQUAL(json_array_size(list), 3);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(list, 0), "seq")), 4);
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_array_get(list, 2), "provider")), "fcm");
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_array_get(list, 2), "reason")),
		"BadDeviceToken");
	json_decref(list);
	list = state_query(st, EMU_APNS, "even", 0);
	CU_ASSERT_EQUAL(json_array_size(list), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(list, 0), "seq")), 5);
	json_decref(list);
	list = state_query(st, EMU_APNS, NULL, 1); /* a limit keeps the newest */
	CU_ASSERT_EQUAL(json_array_size(list), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(list, 0), "seq")), 5);
	json_decref(list);
	state_reset(st);
	list = state_query(st, -1, NULL, 0);
	CU_ASSERT_EQUAL(json_array_size(list), 0);
	json_decref(list);
	counts = state_counts(st);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(counts, "total")), 0);
	json_decref(counts);
	state_free(st);
}

static void bad_rules(struct emu_state *st, const char *text, const char *err_part)
{
	json_t *rules = json_loads(text, 0, NULL);
	char err[256] = "";

	CU_ASSERT_FATAL(rules != NULL);
	CU_ASSERT_EQUAL(state_set_rules(st, rules, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, err_part));
	json_decref(rules);
}

static void test_rules(void)
{
	struct emu_state *st = state_new(0);
	json_t *rules =
		json_loads("[{\"provider\":\"apns\",\"token\":\"a\",\"status\":410},"
			   "{\"provider\":\"fcm\",\"token\":\"a\",\"reason\":\"UNREGISTERED\","
			   "\"retry_after\":3,\"delay_ms\":10},"
			   "{\"provider\":\"apns\",\"token\":\"a\",\"status\":500},"
			   "{\"provider\":\"adm\",\"token\":\"r\",\"canonical\":\"r2\"}]",
			   0, NULL);
	struct emu_rule r;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(state_set_rules(st, rules, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(state_rule(st, EMU_APNS, "a", &r), 1);
	CU_ASSERT_EQUAL(r.status, 500); /* the later rule for a token wins */
	CU_ASSERT_EQUAL(r.retry_after, -1);
	CU_ASSERT_EQUAL(state_rule(st, EMU_FCM, "a", &r), 1);
	CU_ASSERT_STRING_EQUAL(r.reason, "UNREGISTERED");
	CU_ASSERT_EQUAL(r.retry_after, 3);
	CU_ASSERT_EQUAL(r.delay_ms, 10);
	CU_ASSERT_EQUAL(state_rule(st, EMU_APNS, "b", &r), 0);
	CU_ASSERT_EQUAL(state_rule(st, EMU_ADM, "r", &r), 1);
	CU_ASSERT_STRING_EQUAL(r.canonical, "r2");
	CU_ASSERT_EQUAL(state_rule(st, EMU_ADM, "a", &r), 0); /* rules are per provider */
	/* A rejected set leaves the old rules in place. */
	bad_rules(st, "[{\"provider\":\"webpush\",\"token\":\"a\"}]", "provider");
	bad_rules(st, "[{\"provider\":\"adm-oauth\",\"token\":\"a\"}]", "provider");
	bad_rules(st, "[{\"provider\":\"fcm-legacy\",\"token\":\"a\"}]", "provider");
	bad_rules(st, "[{\"provider\":\"adm\",\"token\":\"a\",\"canonical\":\"\"}]", "canonical");
	bad_rules(st, "[{\"provider\":\"apns\"}]", "token");
	bad_rules(st, "[{\"provider\":\"apns\",\"token\":\"a\",\"status\":99}]", "status");
	bad_rules(st, "[{\"provider\":\"apns\",\"token\":\"a\",\"delay_ms\":600000}]", "delay_ms");
	bad_rules(st, "[{\"provider\":\"apns\",\"token\":\"a\",\"colour\":1}]", "unknown member");
	bad_rules(st, "{\"provider\":\"apns\"}", "array");
	CU_ASSERT_EQUAL(state_rule(st, EMU_APNS, "a", &r), 1);
	/* Reset forgets records, not rules. */
	state_reset(st);
	CU_ASSERT_EQUAL(state_rule(st, EMU_APNS, "a", &r), 1);
	CU_ASSERT_EQUAL(json_array_size(state_rules(st)), 4);
	json_decref(rules);
	state_free(st);
}

/*
 * A record keeps what the request carried, whatever the slot held before:
 * a long record, then a short one in the same slot, then a long one again;
 * repeated headers as an array; a body that is not UTF-8 in base64; the
 * body cut at STATE_MAX_BODY with body_bytes telling the size.
 */
static void test_record_contents(void)
{
	static char n_method[] = ":method", v_post[] = "POST", n_x[] = "x-dup", v_a[] = "a",
		    v_b[] = "b", bin[] = "\xff\xfe\x00\x01";
	struct emu_state *st = state_new(1);
	struct h2_req req = {0};
	char *big = malloc(STATE_MAX_BODY + 100);
	json_t *list, *rec, *hdrs;

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, 'x', STATE_MAX_BODY + 99);
	big[STATE_MAX_BODY + 99] = '\0';
	req.headers[0] = (struct h2_header){n_method, v_post, 4};
	req.headers[1] = (struct h2_header){n_x, v_a, 1};
	req.headers[2] = (struct h2_header){n_x, v_b, 1};
	req.n_headers = 3;
	req.body = big;
	req.body_len = req.body_total = STATE_MAX_BODY + 99;
	state_record(st, EMU_APNS, "long", &req, 200, NULL);
	list = state_query(st, -1, NULL, 0);
	rec = json_array_get(list, 0);
	CU_ASSERT_EQUAL(json_string_length(json_object_get(rec, "body")), STATE_MAX_BODY);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(rec, "body_bytes")),
			STATE_MAX_BODY + 99);
	hdrs = json_object_get(rec, "headers");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(hdrs, ":method")), "POST");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(hdrs, "x-dup")), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(hdrs, "x-dup"), 1)),
			       "b");
	CU_ASSERT_PTR_NULL(json_object_get(rec, "reason"));
	json_decref(list);

	req.n_headers = 1;
	req.body = bin;
	req.body_len = req.body_total = 4;
	state_record(st, EMU_FCM, NULL, &req, 0, "reset"); /* the same slot, shorter */
	list = state_query(st, -1, NULL, 0);
	CU_ASSERT_EQUAL(json_array_size(list), 1);
	rec = json_array_get(list, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rec, "provider")), "fcm");
	CU_ASSERT_PTR_NULL(json_object_get(rec, "token"));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rec, "reason")), "reset");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(rec, "status")), 0);
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_object_get(rec, "body"), "base64")),
		"//4AAQ==");
	CU_ASSERT_EQUAL(json_object_size(json_object_get(rec, "headers")), 1);
	json_decref(list);
	list = state_query(st, EMU_APNS, "long", 0); /* the long record is gone */
	CU_ASSERT_EQUAL(json_array_size(list), 0);
	json_decref(list);
	free(big);
	state_free(st);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"record ring, counts, queries, reset", test_ring_and_counts},
		{"rules", test_rules},
		{"record contents: headers, binary and long bodies, slot reuse",
		 test_record_contents},
		CU_TEST_INFO_NULL,
	};

	return keys_run_suite("state", NULL, NULL, tests);
}
