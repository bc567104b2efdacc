/*
 * The application event messages and delivery status lines
 * (broker/events.c), parsed back with jansson and checked field by field
 * against SNS's shapes (reference/sns-docs/sns-msg-status.md).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "broker/events.h"
#include "tests/unit/run.h"

#define APP_ARN "arn:aws:sns:us-east-1:000000000000:app/GCM/shop"
#define EP_ARN \
	"arn:aws:sns:us-east-1:000000000000:endpoint/GCM/shop/0b1c2d3e-aaaa-bbbb-cccc-1234567890ab"
#define TOKEN "fcmtoken0123456789abcdefghijklmnopqrstuvwxyz"
/* 2015-01-26 23:07:39.540 UTC */
#define T_PUB 1422313659540LL

static json_t *parse(char *text)
{
	json_t *v;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	v = json_loads(text, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	free(text);
	return v;
}

static void assert_str(json_t *obj, const char *key, const char *want)
{
	json_t *v = json_object_get(obj, key);

	CU_ASSERT_TRUE(json_is_string(v));
	if (json_is_string(v)) {
		CU_ASSERT_STRING_EQUAL(json_string_value(v), want);
		if (strcmp(json_string_value(v), want))
			fprintf(stderr, "\n  %s: got \"%s\", want \"%s\"\n", key,
				json_string_value(v), want);
	}
}

static void assert_int(json_t *obj, const char *key, json_int_t want)
{
	json_t *v = json_object_get(obj, key);

	CU_ASSERT_TRUE(json_is_integer(v));
	CU_ASSERT_EQUAL(json_integer_value(v), want);
}

static void test_attr_names(void)
{
	CU_ASSERT_STRING_EQUAL(events_attr_name(EVENTS_ENDPOINT_CREATED), "EventEndpointCreated");
	CU_ASSERT_STRING_EQUAL(events_attr_name(EVENTS_ENDPOINT_UPDATED), "EventEndpointUpdated");
	CU_ASSERT_STRING_EQUAL(events_attr_name(EVENTS_ENDPOINT_DELETED), "EventEndpointDeleted");
	CU_ASSERT_STRING_EQUAL(events_attr_name(EVENTS_DELIVERY_FAILURE), "EventDeliveryFailure");
}

/* Created and updated: the common fields plus the endpoint's attributes after the change. */
static void test_endpoint_created_updated(void)
{
	static const struct {
		enum events_kind kind;
		const char *type;
	} cases[] = {
		{EVENTS_ENDPOINT_CREATED, "EndpointCreated"},
		{EVENTS_ENDPOINT_UPDATED, "EndpointUpdated"},
	};
	json_t *attrs = json_pack("{s:s, s:s, s:s, s:s}", "Token", TOKEN, "Enabled", "false",
				  "CustomUserData", "user 42", "Other", "not an endpoint attr");

	for (size_t i = 0; i < 2; i++) {
		json_t *ev =
			parse(events_message(cases[i].kind, APP_ARN, EP_ARN, attrs, NULL, T_PUB));

		assert_str(ev, "EventType", cases[i].type);
		assert_str(ev, "EndpointArn", EP_ARN);
		assert_str(ev, "Resource", APP_ARN);
		assert_str(ev, "Service", "SNS");
		assert_str(ev, "Time", "2015-01-26T23:07:39.540Z");
		assert_str(ev, "Token", TOKEN);
		assert_str(ev, "Enabled", "false");
		assert_str(ev, "CustomUserData", "user 42");
		CU_ASSERT_EQUAL(json_object_size(ev), 8);
		CU_ASSERT_PTR_NULL(json_object_get(ev, "FailureType"));
		json_decref(ev);
	}
	json_decref(attrs);
}

/* Deleted: the common fields only. */
static void test_endpoint_deleted(void)
{
	json_t *attrs = json_pack("{s:s}", "Token", TOKEN);
	json_t *ev = parse(
		events_message(EVENTS_ENDPOINT_DELETED, APP_ARN, EP_ARN, attrs, NULL, T_PUB + 5));

	assert_str(ev, "EventType", "EndpointDeleted");
	assert_str(ev, "EndpointArn", EP_ARN);
	assert_str(ev, "Resource", APP_ARN);
	assert_str(ev, "Service", "SNS");
	assert_str(ev, "Time", "2015-01-26T23:07:39.545Z");
	CU_ASSERT_EQUAL(json_object_size(ev), 5);
	json_decref(ev);
	json_decref(attrs);
}

/* A delivery failure, with SNS's keys in SNS's (sorted) order. */
static void test_delivery_failure(void)
{
	struct events_failure f = {
		.message_id = "c3ad79b0-8996-550a-8bfa-24f05989898f",
		.failure_type = "InvalidPlatformToken",
		.failure_message = "Platform token associated with the endpoint is not valid",
		.attempts = 3,
	};
	char *text = events_message(EVENTS_DELIVERY_FAILURE, APP_ARN, EP_ARN, NULL, &f, T_PUB);
	const char *order[] = {"DeliveryAttempts", "EndpointArn", "EventType",
			       "FailureMessage",   "FailureType", "MessageId",
			       "Resource",	   "Service",	  "Time"};
	const char *prev = text;
	json_t *ev;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		char key[32];
		const char *at;

		snprintf(key, sizeof(key), "\"%s\"", order[i]);
		at = strstr(text, key);
		CU_ASSERT_PTR_NOT_NULL(at);
		CU_ASSERT_TRUE(at && at >= prev);
		if (at)
			prev = at;
	}
	ev = parse(text);
	assert_int(ev, "DeliveryAttempts", 3);
	assert_str(ev, "EndpointArn", EP_ARN);
	assert_str(ev, "EventType", "DeliveryFailure");
	assert_str(ev, "FailureMessage",
		   "Platform token associated with the endpoint is not valid");
	assert_str(ev, "FailureType", "InvalidPlatformToken");
	assert_str(ev, "MessageId", "c3ad79b0-8996-550a-8bfa-24f05989898f");
	assert_str(ev, "Resource", APP_ARN);
	assert_str(ev, "Service", "SNS");
	assert_str(ev, "Time", "2015-01-26T23:07:39.540Z");
	CU_ASSERT_EQUAL(json_object_size(ev), 9);
	json_decref(ev);

	/* a provider answer that is not UTF-8 does not lose the event */
	f.failure_message = "bad \xff\xfe bytes";
	ev = parse(events_message(EVENTS_DELIVERY_FAILURE, APP_ARN, EP_ARN, NULL, &f, T_PUB));
	assert_str(ev, "FailureMessage", "(12 bytes, not UTF-8)");
	json_decref(ev);
}

/* SNS's SUCCESS record, field by field. */
static void test_status_success(void)
{
	struct events_attempt a = {
		.message_id = "9655abe4-6ed6-5734-89f7-e6a6a42de02a",
		.published_ms = T_PUB,
		.now_ms = T_PUB + 65,
		.app_arn = APP_ARN,
		.endpoint_arn = EP_ARN,
		.token = TOKEN,
		.success = true,
		.status_code = 200,
		.provider_response = "{\"name\":\"projects/p/messages/0:1422313659698010\"}",
		.attempts = 1,
	};
	char *text = events_status_line(&a);
	json_t *line, *n, *d;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NULL(strchr(text, '\n'));
	CU_ASSERT_PTR_NULL(strstr(text, TOKEN));
	line = parse(text);
	CU_ASSERT_EQUAL(json_object_size(line), 3);
	assert_str(line, "status", "SUCCESS");
	n = json_object_get(line, "notification");
	CU_ASSERT_EQUAL(json_object_size(n), 2);
	assert_str(n, "timestamp", "2015-01-26 23:07:39.540");
	assert_str(n, "messageId", "9655abe4-6ed6-5734-89f7-e6a6a42de02a");
	d = json_object_get(line, "delivery");
	CU_ASSERT_EQUAL(json_object_size(d), 6);
	assert_int(d, "statusCode", 200);
	assert_int(d, "dwellTimeMs", 65);
	assert_str(d, "token", "fcmtoken\u2026");
	assert_int(d, "attempts", 1);
	assert_str(d, "providerResponse", "{\"name\":\"projects/p/messages/0:1422313659698010\"}");
	assert_str(d, "destination", EP_ARN);
	json_decref(line);
}

/* SNS's FAILURE record; no provider answer leaves providerResponse out. */
static void test_status_failure(void)
{
	struct events_attempt a = {
		.message_id = "c3ad79b0-8996-550a-8bfa-24f05989898f",
		.published_ms = 1422314975678LL, /* 2015-01-26 23:29:35.678 */
		.now_ms = 1422314975678LL + 1451,
		.app_arn = APP_ARN,
		.endpoint_arn = EP_ARN,
		.token = TOKEN,
		.success = false,
		.status_code = 410,
		.provider_response = "{\"reason\":\"Unregistered\"}",
		.attempts = 4,
	};
	json_t *line = parse(events_status_line(&a)), *d;

	assert_str(line, "status", "FAILURE");
	assert_str(json_object_get(line, "notification"), "timestamp", "2015-01-26 23:29:35.678");
	d = json_object_get(line, "delivery");
	assert_int(d, "statusCode", 410);
	assert_int(d, "dwellTimeMs", 1451);
	assert_int(d, "attempts", 4);
	assert_str(d, "providerResponse", "{\"reason\":\"Unregistered\"}");
	json_decref(line);

	a.provider_response = NULL;
	a.status_code = 0;
	line = parse(events_status_line(&a));
	d = json_object_get(line, "delivery");
	assert_int(d, "statusCode", 0);
	CU_ASSERT_PTR_NULL(json_object_get(d, "providerResponse"));
	assert_str(d, "destination", EP_ARN);
	json_decref(line);
}

/* A token is never written whole, however short; a clock step back gives dwell 0. */
static void test_status_token_never_whole(void)
{
	static const char *const tokens[] = {"", "a", "ab", "abcdefgh", "abcdefghijklmnop"};
	static const char *const shown[] = {"\u2026", "\u2026", "a\u2026", "abcd\u2026",
					    "abcdefgh\u2026"};
	struct events_attempt a = {
		.message_id = "m",
		.published_ms = T_PUB,
		.now_ms = T_PUB - 10,
		.endpoint_arn = EP_ARN,
		.success = true,
		.status_code = 200,
		.attempts = 1,
	};

	for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
		json_t *line, *d;

		a.token = tokens[i];
		line = parse(events_status_line(&a));
		d = json_object_get(line, "delivery");
		assert_str(d, "token", shown[i]);
		assert_int(d, "dwellTimeMs", 0);
		json_decref(line);
	}
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"attribute names", test_attr_names},
		{"endpoint created and updated", test_endpoint_created_updated},
		{"endpoint deleted", test_endpoint_deleted},
		{"delivery failure", test_delivery_failure},
		{"status line: success", test_status_success},
		{"status line: failure", test_status_failure},
		{"status line: token never whole", test_status_token_never_whole},
		CU_TEST_INFO_NULL,
	};
	return fx_run_suite("events", NULL, NULL, tests);
}
