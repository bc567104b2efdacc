/*
 * Global faults of herald-emulator (faults.h) against a served APNs: the
 * error rate, GOAWAY every N streams, connection resets, per-token drops,
 * per-app throttling, latency and slow reads, each seen from a real HTTP/2
 * client; and the faults' configuration.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "emulator/faults.h"
#include "tests/emulator/keys.h"
#include "tests/emulator/live.h"

#define TOPIC "com.example.herald"
#define DEV   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DEV2  "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define BODY  "{\"aps\":{\"alert\":\"hi\"}}"

static struct live_emu emu;
static struct live_conn conn;

static int suite_init(void)
{
	return live_init(&emu) == 0 ? 0 : 1;
}

static int suite_clean(void)
{
	live_free(&emu);
	return 0;
}

/* Serve with faults and rules and connect; the test fails if either cannot be done. */
static int start(const char *faults, const char *rules)
{
	if (live_serve(&emu, faults, rules) != 0 || live_connect(&conn, emu.port) != 0) {
		CU_FAIL("cannot serve or connect");
		live_close(&conn);
		return -1;
	}
	return 0;
}

static void finish(void)
{
	live_close(&conn);
	live_stop(&emu);
}

static void test_error_rate(void)
{
	size_t n = 1000, errors;

	if (start("{\"apns\": {\"error_rate\": 0.3, \"error_status\": 503}}", NULL) != 0)
		return;
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL_FATAL(live_post(&conn, DEV, emu.bearer, TOPIC, BODY), (int)i);
	CU_ASSERT_TRUE(live_wait(&conn, 0, n));
	errors = live_count(&conn, 503);
	CU_ASSERT_EQUAL(errors + live_count(&conn, 200), n);
	/* 300 expected; the standard deviation is about 14.5. */
	CU_ASSERT(errors >= 200 && errors <= 400);
	for (size_t i = 0; i < n; i++) {
		if (conn.resp[i].status == 503) {
			CU_ASSERT_STRING_EQUAL(conn.resp[i].body,
					       "{\"reason\":\"ServiceUnavailable\"}");
			break;
		}
	}
	finish();
}

static void test_goaway(void)
{
	if (start("{\"apns\": {\"goaway_every\": 5}}", NULL) != 0)
		return;
	CU_ASSERT_EQUAL(live_post(&conn, DEV, emu.bearer, TOPIC, BODY), 0);
	CU_ASSERT_TRUE(live_wait(&conn, 0, 1)); /* now 1000 streams are allowed */
	for (int i = 1; i < 20; i++)
		live_post(&conn, DEV, emu.bearer, TOPIC, BODY);
	CU_ASSERT_TRUE(live_wait_closed(&conn));
	CU_ASSERT_TRUE(conn.goaway);
	/* Apple's GOAWAY names its reason in JSON, as its answers do (providers.md §1.7). */
	CU_ASSERT_STRING_EQUAL(conn.goaway_debug, "{\"reason\":\"Shutdown\"}");
	/* The fifth stream (id 9) is the last one processed; the others were refused. */
	CU_ASSERT_EQUAL(conn.goaway_last, conn.resp[4].id);
	CU_ASSERT_EQUAL(conn.goaway_last, 9);
	CU_ASSERT_EQUAL(live_count(&conn, 200), 5);
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(conn.resp[i].status, 200);
	CU_ASSERT_FALSE(conn.reset);
	finish();
}

static void test_reset(void)
{
	if (start("{\"apns\": {\"reset_every\": 3}}", NULL) != 0)
		return;
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(live_post(&conn, DEV, emu.bearer, TOPIC, BODY), i);
		CU_ASSERT_TRUE(live_wait(&conn, (size_t)i, 1));
		CU_ASSERT_EQUAL(conn.resp[i].status, 200);
	}
	CU_ASSERT_EQUAL(live_post(&conn, DEV, emu.bearer, TOPIC, BODY), 2);
	CU_ASSERT_FALSE(live_wait(&conn, 2, 1));
	CU_ASSERT_TRUE(conn.closed);
	CU_ASSERT_TRUE(conn.reset);
	CU_ASSERT_FALSE(conn.goaway);
	CU_ASSERT_EQUAL(conn.resp[2].status, 0);
	finish();
}

static void test_drop_token(void)
{
	if (start(NULL, "[{\"provider\": \"apns\", \"token\": \"" DEV2 "\", \"drop\": true}]") != 0)
		return;
	CU_ASSERT_EQUAL(live_post(&conn, DEV, emu.bearer, TOPIC, BODY), 0);
	CU_ASSERT_TRUE(live_wait(&conn, 0, 1));
	CU_ASSERT_EQUAL(conn.resp[0].status, 200);
	CU_ASSERT_EQUAL(live_post(&conn, DEV2, emu.bearer, TOPIC, BODY), 1);
	CU_ASSERT_FALSE(live_wait(&conn, 1, 1));
	CU_ASSERT_TRUE(conn.closed);
	CU_ASSERT_TRUE(conn.reset);
	CU_ASSERT_EQUAL(conn.resp[1].status, 0);
	finish();
}

static void test_throttle(void)
{
	size_t ok, throttled;
	int other;

	if (start("{\"apns\": {\"throttle_rps\": 5}}", NULL) != 0)
		return;
	CU_ASSERT_EQUAL(live_post(&conn, DEV, emu.bearer, TOPIC, BODY), 0);
	CU_ASSERT_TRUE(live_wait(&conn, 0, 1));
	for (int i = 1; i < 20; i++)
		live_post(&conn, DEV, emu.bearer, TOPIC, BODY);
	/* Another app (topic) has a bucket of its own. */
	other = live_post(&conn, DEV, emu.bearer, TOPIC ".other", BODY);
	CU_ASSERT_TRUE(live_wait(&conn, 0, 21));
	ok = live_count(&conn, 200);
	throttled = live_count(&conn, 429);
	CU_ASSERT_EQUAL(ok + throttled, 21);
	/* A bucket of 5, refilled at 5 a second: 5 for TOPIC, a few more if the run is slow. */
	CU_ASSERT(ok >= 6 && ok <= 9);
	CU_ASSERT(throttled >= 12);
	CU_ASSERT_EQUAL(conn.resp[other].status, 200);
	CU_ASSERT_STRING_EQUAL(conn.resp[19].body, "{\"reason\":\"TooManyRequests\"}");
	finish();
}

static void test_latency(void)
{
	if (start("{\"apns\": {\"latency_ms\": 300, \"jitter_ms\": 50}}", NULL) != 0)
		return;
	CU_ASSERT_EQUAL(live_post(&conn, DEV, emu.bearer, TOPIC, BODY), 0);
	CU_ASSERT_TRUE(live_wait(&conn, 0, 1));
	CU_ASSERT_EQUAL(conn.resp[0].status, 200);
	/* As above: at least the latency, give or take the coarse clock. */
	CU_ASSERT(conn.resp[0].done_ms - conn.resp[0].sent_ms >= 250);
	finish();
}

static void test_slow_read(void)
{
	if (start("{\"apns\": {\"slow_read_every\": 1, \"slow_read_ms\": 300}}", NULL) != 0)
		return;
	CU_ASSERT_EQUAL(live_post(&conn, DEV, emu.bearer, TOPIC, BODY), 0);
	CU_ASSERT_TRUE(live_wait(&conn, 0, 1));
	CU_ASSERT_EQUAL(conn.resp[0].status, 200);
	CU_ASSERT_EQUAL(live_post(&conn, DEV, emu.bearer, TOPIC, BODY), 1);
	CU_ASSERT_TRUE(live_wait(&conn, 1, 1));
	CU_ASSERT_EQUAL(conn.resp[1].status, 200);
	/*
	 * The server stopped reading for 300 ms when the first request came
	 * (libevent's coarse clock may end a timer a few ms early; without the
	 * fault the answer takes about 1 ms).
	 */
	CU_ASSERT(conn.resp[1].done_ms - conn.resp[0].sent_ms >= 250);
	finish();
}

static void test_config(void)
{
	struct emu_faults *f = state_faults(emu.st);
	char err[256], body[1024];
	const char *used;
	json_t *v, *out;

	v = json_loads("{\"apns\": {\"error_rate\": 1.5}}", 0, NULL);
	CU_ASSERT_EQUAL(faults_set(f, v, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "error_rate"));
	json_decref(v);
	v = json_loads("{\"apns\": {\"goaway\": 3}}", 0, NULL);
	CU_ASSERT_EQUAL(faults_set(f, v, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown member"));
	json_decref(v);
	/* This process serves APNs only: FCM faults would do nothing, so they are refused. */
	v = json_loads("{\"fcm\": {\"throttle_rps\": 3}}", 0, NULL);
	CU_ASSERT_EQUAL(faults_set(f, v, err, sizeof(err)), -1);
	json_decref(v);
	v = json_loads("{\"apns\": {\"goaway_every\": 3, \"latency_ms\": 2}}", 0, NULL);
	CU_ASSERT_EQUAL(faults_set(f, v, err, sizeof(err)), 0);
	out = faults_json(f);
	CU_ASSERT_TRUE(json_equal(out, v));
	CU_ASSERT_EQUAL(faults_cfg(f, EMU_APNS)->goaway_every, 3);
	CU_ASSERT_PTR_NULL(faults_cfg(f, EMU_FCM));
	json_decref(out);
	json_decref(v);

	/* The error shapes. */
	faults_error_body(EMU_APNS, 503, NULL, body, sizeof(body), &used);
	CU_ASSERT_STRING_EQUAL(body, "{\"reason\":\"ServiceUnavailable\"}");
	faults_error_body(EMU_APNS, 500, "NotAReason", body, sizeof(body), &used);
	CU_ASSERT_STRING_EQUAL(used, "InternalServerError");
	faults_error_body(EMU_FCM, 429, "QUOTA_EXCEEDED", body, sizeof(body), &used);
	v = json_loads(body, 0, NULL);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(v, "error"), "code")),
			429);
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_object_get(v, "error"), "status")),
		"RESOURCE_EXHAUSTED");
	CU_ASSERT_PTR_NOT_NULL(strstr(body, "\"errorCode\":\"QUOTA_EXCEEDED\""));
	json_decref(v);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"error rate: about 30% of 1000 requests answered 503", test_error_rate},
		{"GOAWAY {\"reason\":\"Shutdown\"} after every 5 streams, then the connection closes",
		 test_goaway},
		{"connection reset at every 3rd request", test_reset},
		{"a drop rule loses the connection for its token", test_drop_token},
		{"per-topic throttling answers 429 TooManyRequests", test_throttle},
		{"latency delays every answer", test_latency},
		{"slow reads hold the next request back", test_slow_read},
		{"configuration: validation, round trip, error shapes", test_config},
		CU_TEST_INFO_NULL,
	};

	return keys_run_suite("faults", suite_init, suite_clean, tests);
}
