/*
 * What one endpoint receives of a stored message (broker/payload.c): the
 * payload SNS would choose for each platform, the default text wrapped in
 * the platform's JSON, TTL precedence (reference/sns-docs/sns-ttl.md), the
 * reserved attributes as typed options and the inferred APNs push type.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "broker/payload.h"
#include "tests/unit/run.h"

#define CREATED_MS 1700000000000LL

static char why[256];

/* A stored body as ops_publish builds it: Message, then MessageStructure and attributes if given. */
static json_t *body_new(const char *message, const char *structure, json_t *attrs)
{
	json_t *b = json_pack("{s:s}", "Message", message);

	if (structure)
		json_object_set_new(b, "MessageStructure", json_string(structure));
	if (attrs)
		json_object_set_new(b, "MessageAttributes", attrs);
	return b;
}

static json_t *attr(const char *value)
{
	return json_pack("{s:s, s:s}", "DataType", "String", "StringValue", value);
}

/* The payload's bytes as a string (for comparison). */
static char *payload_text(const struct payload *p)
{
	char *s = malloc(p->n.payload_len + 1);

	memcpy(s, p->n.payload, p->n.payload_len);
	s[p->n.payload_len] = '\0';
	return s;
}

/* Assert that the payload is JSON equal to expected. */
static void assert_payload_json(const struct payload *p, const char *expected)
{
	json_t *got = json_loadb((const char *)p->n.payload, p->n.payload_len, 0, NULL);
	json_t *want = json_loads(expected, 0, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(want);
	CU_ASSERT_TRUE(json_equal(got, want));
	if (!json_equal(got, want)) {
		char *t = payload_text(p);

		fprintf(stderr, "\n  got %s\n  want %s\n", t, expected);
		free(t);
	}
	json_decref(got);
	json_decref(want);
}

/* Prepare body for platform; asserts success. */
static void prepare(json_t *body, const char *platform, struct payload *p)
{
	int rc = payload_prepare(body, platform, "mid-1", CREATED_MS, p, why, sizeof(why));

	if (rc)
		fprintf(stderr, "\n  payload_prepare(%s): %s\n", platform, why);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
}

/* Plain text (no MessageStructure): each platform's own JSON around it, raw for MPNS/WNS. */
static void test_plain_text_per_platform(void)
{
	static const struct {
		const char *platform, *json; /* json NULL: the text itself */
	} cases[] = {
		{"APNS", "{\"aps\":{\"alert\":\"Hello \\\"you\\\"\"}}"},
		{"APNS_SANDBOX", "{\"aps\":{\"alert\":\"Hello \\\"you\\\"\"}}"},
		{"GCM", "{\"data\":{\"default\":\"Hello \\\"you\\\"\"}}"},
		{"ADM", "{\"data\":{\"default\":\"Hello \\\"you\\\"\"}}"},
		{"BAIDU", "{\"description\":\"Hello \\\"you\\\"\"}"},
		{"MPNS", NULL},
		{"WNS", NULL},
	};
	json_t *body = body_new("Hello \"you\"", NULL, NULL);
	struct payload p;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		prepare(body, cases[i].platform, &p);
		CU_ASSERT_STRING_EQUAL(p.n.platform, cases[i].platform);
		CU_ASSERT_STRING_EQUAL(p.n.message_id, "mid-1");
		CU_ASSERT_EQUAL(p.n.size, sizeof(p.n));
		if (cases[i].json) {
			assert_payload_json(&p, cases[i].json);
		} else {
			CU_ASSERT_EQUAL(p.n.payload_len, strlen("Hello \"you\""));
			CU_ASSERT_EQUAL(memcmp(p.n.payload, "Hello \"you\"", p.n.payload_len), 0);
		}
		payload_clear(&p);
	}
	json_decref(body);
}

/* A Message without MessageStructure is text even when it is JSON: wrapped, not passed on. */
static void test_plain_json_text_is_text(void)
{
	json_t *body = body_new("{\"GCM\":\"x\"}", NULL, NULL);
	struct payload p;

	prepare(body, "GCM", &p);
	assert_payload_json(&p, "{\"data\":{\"default\":\"{\\\"GCM\\\":\\\"x\\\"}\"}}");
	payload_clear(&p);
	json_decref(body);
}

/* MessageStructure=json: the platform's key as written, for every platform. */
static void test_structure_platform_keys(void)
{
	static const char *const platforms[] = {"APNS",	 "APNS_SANDBOX", "GCM", "ADM",
						"BAIDU", "MPNS",	 "WNS"};
	json_t *msg = json_object();
	json_t *body;
	struct payload p;
	char *text;

	json_object_set_new(msg, "default", json_string("fallback"));
	for (size_t i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++) {
		char v[64];

		snprintf(v, sizeof(v), "{\"only\":\"%s\"}", platforms[i]);
		json_object_set_new(msg, platforms[i], json_string(v));
	}
	text = json_dumps(msg, JSON_COMPACT);
	body = body_new(text, "json", NULL);
	for (size_t i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++) {
		char v[64];

		snprintf(v, sizeof(v), "{\"only\":\"%s\"}", platforms[i]);
		prepare(body, platforms[i], &p);
		CU_ASSERT_EQUAL(p.n.payload_len, strlen(v));
		CU_ASSERT_EQUAL(memcmp(p.n.payload, v, strlen(v)), 0);
		payload_clear(&p);
	}
	/* An FCM platform name reads the GCM key, as ops_publish checks it. */
	prepare(body, "FCM", &p);
	CU_ASSERT_EQUAL(memcmp(p.n.payload, "{\"only\":\"GCM\"}", p.n.payload_len), 0);
	payload_clear(&p);
	/* APNS_SANDBOX has its own key: an APNS one alone does not serve it. */
	json_decref(body);
	free(text);
	body = body_new("{\"default\":\"d\",\"APNS\":\"{\\\"aps\\\":{}}\"}", "json", NULL);
	prepare(body, "APNS_SANDBOX", &p);
	assert_payload_json(&p, "{\"aps\":{\"alert\":\"d\"}}");
	payload_clear(&p);
	json_decref(body);
	json_decref(msg);
}

/* No platform key, or one that is not a string: the default text, wrapped. */
static void test_structure_fallback_to_default(void)
{
	json_t *body = body_new("{\"default\":\"Sale!\",\"GCM\":{\"data\":{}},\"APNS\":12,"
				"\"ADM\":null}",
				"json", NULL);
	struct payload p;

	prepare(body, "GCM", &p);
	assert_payload_json(&p, "{\"data\":{\"default\":\"Sale!\"}}");
	payload_clear(&p);
	prepare(body, "APNS", &p);
	assert_payload_json(&p, "{\"aps\":{\"alert\":\"Sale!\"}}");
	CU_ASSERT_STRING_EQUAL(p.n.push_type, "alert");
	payload_clear(&p);
	prepare(body, "ADM", &p);
	assert_payload_json(&p, "{\"data\":{\"default\":\"Sale!\"}}");
	payload_clear(&p);
	prepare(body, "WNS", &p);
	CU_ASSERT_EQUAL(p.n.payload_len, 5);
	CU_ASSERT_EQUAL(memcmp(p.n.payload, "Sale!", 5), 0);
	payload_clear(&p);
	json_decref(body);
}

/* Nothing for the platform: an error that says so, and nothing to free. */
static void test_structure_nothing_for_platform(void)
{
	json_t *body = body_new("{\"APNS\":\"{}\",\"default\":7}", "json", NULL);
	struct payload p;

	CU_ASSERT_EQUAL(payload_prepare(body, "GCM", "m", CREATED_MS, &p, why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "neither a GCM nor a default entry"));
	CU_ASSERT_PTR_NULL(p.owned);
	json_decref(body);
	body = body_new("not json", "json", NULL);
	CU_ASSERT_EQUAL(payload_prepare(body, "GCM", "m", CREATED_MS, &p, why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "not a JSON object"));
	json_decref(body);
}

/*
 * TTL: attribute, then the payload's own, else none (n.ttl_s -1: the push
 * service's default applies) while the broker still expires the message
 * after SNS's 4 weeks; expiration from creation.
 */
static void test_ttl_precedence(void)
{
	static const char *const platforms[] = {"APNS",	 "APNS_SANDBOX", "GCM", "ADM",
						"BAIDU", "MPNS",	 "WNS"};
	json_t *body;
	struct payload p;

	/* nothing set, on every platform: no TTL for the driver, 4 weeks for the broker */
	body = body_new("hi", NULL, NULL);
	for (size_t i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++) {
		prepare(body, platforms[i], &p);
		CU_ASSERT_EQUAL(p.ttl_s, PAYLOAD_DEFAULT_TTL_S);
		CU_ASSERT_EQUAL(p.n.ttl_s, -1);
		CU_ASSERT_EQUAL(p.n.expiration_ms, CREATED_MS + PAYLOAD_DEFAULT_TTL_S * 1000LL);
		payload_clear(&p);
	}
	json_decref(body);

	/* the payload's own: GCM time_to_live, FCM v1 android.ttl, ADM expiresAfter */
	body = body_new(
		"{\"GCM\":\"{\\\"data\\\":{\\\"a\\\":\\\"b\\\"},\\\"time_to_live\\\":3600}\","
		"\"ADM\":\"{\\\"data\\\":{},\\\"expiresAfter\\\":120}\","
		"\"APNS\":\"{\\\"aps\\\":{},\\\"time_to_live\\\":5}\",\"default\":\"d\"}",
		"json", NULL);
	prepare(body, "GCM", &p);
	CU_ASSERT_EQUAL(p.ttl_s, 3600);
	CU_ASSERT_EQUAL(p.n.ttl_s, 3600);
	CU_ASSERT_EQUAL(p.n.expiration_ms, CREATED_MS + 3600 * 1000LL);
	payload_clear(&p);
	prepare(body, "ADM", &p);
	CU_ASSERT_EQUAL(p.ttl_s, 120);
	CU_ASSERT_EQUAL(p.n.ttl_s, 120);
	payload_clear(&p);
	/* APNs payloads carry no TTL: a stray key is not one */
	prepare(body, "APNS", &p);
	CU_ASSERT_EQUAL(p.ttl_s, PAYLOAD_DEFAULT_TTL_S);
	CU_ASSERT_EQUAL(p.n.ttl_s, -1);
	payload_clear(&p);
	json_decref(body);

	body = body_new("{\"GCM\":\"{\\\"fcmV1Message\\\":{\\\"message\\\":{\\\"android\\\":"
			"{\\\"ttl\\\":\\\"90.5s\\\"}}}}\"}",
			"json", NULL);
	prepare(body, "GCM", &p);
	CU_ASSERT_EQUAL(p.ttl_s, 90);
	payload_clear(&p);
	json_decref(body);

	/* the attribute wins, and the payload's own TTL is rewritten to match it */
	body = body_new(
		"{\"GCM\":\"{\\\"data\\\":{\\\"a\\\":\\\"b\\\"},\\\"time_to_live\\\":3600}\","
		"\"ADM\":\"{\\\"data\\\":{},\\\"expiresAfter\\\":120}\",\"default\":\"d\"}",
		"json",
		json_pack("{s:o, s:o}", "AWS.SNS.MOBILE.FCM.TTL", attr("60"),
			  "AWS.SNS.MOBILE.ADM.TTL", attr("600")));
	prepare(body, "GCM", &p);
	CU_ASSERT_EQUAL(p.ttl_s, 60);
	CU_ASSERT_EQUAL(p.n.ttl_s, 60);
	CU_ASSERT_EQUAL(p.n.expiration_ms, CREATED_MS + 60 * 1000LL);
	assert_payload_json(&p, "{\"data\":{\"a\":\"b\"},\"time_to_live\":60}");
	payload_clear(&p);
	prepare(body, "ADM", &p);
	CU_ASSERT_EQUAL(p.ttl_s, 600);
	assert_payload_json(&p, "{\"data\":{},\"expiresAfter\":600}");
	payload_clear(&p);
	/* another platform's TTL attribute does not apply */
	prepare(body, "APNS", &p);
	CU_ASSERT_EQUAL(p.ttl_s, PAYLOAD_DEFAULT_TTL_S);
	CU_ASSERT_EQUAL(p.n.ttl_s, -1);
	payload_clear(&p);
	json_decref(body);

	body = body_new("{\"GCM\":\"{\\\"fcmV1Message\\\":{\\\"message\\\":{\\\"android\\\":"
			"{\\\"ttl\\\":\\\"90s\\\"}}}}\"}",
			"json", json_pack("{s:o}", "AWS.SNS.MOBILE.GCM.TTL", attr("30")));
	prepare(body, "GCM", &p);
	CU_ASSERT_EQUAL(p.ttl_s, 30);
	assert_payload_json(&p, "{\"fcmV1Message\":{\"message\":{\"android\":{\"ttl\":\"30s\"}}}}");
	payload_clear(&p);
	json_decref(body);

	/* APNs: the attribute of the endpoint's own environment */
	body = body_new("hi", NULL,
			json_pack("{s:o, s:o}", "AWS.SNS.MOBILE.APNS.TTL", attr("100"),
				  "AWS.SNS.MOBILE.APNS_SANDBOX.TTL", attr("200")));
	prepare(body, "APNS", &p);
	CU_ASSERT_EQUAL(p.ttl_s, 100);
	CU_ASSERT_EQUAL(p.n.ttl_s, 100);
	CU_ASSERT_EQUAL(p.n.expiration_ms, CREATED_MS + 100 * 1000LL);
	payload_clear(&p);
	prepare(body, "APNS_SANDBOX", &p);
	CU_ASSERT_EQUAL(p.ttl_s, 200);
	CU_ASSERT_EQUAL(p.n.ttl_s, 200);
	payload_clear(&p);
	json_decref(body);
}

/* TTL 0: kept for APNs and FCM, where it means "now or never"; others drop the message. */
static void test_ttl_zero(void)
{
	json_t *body = body_new("hi", NULL,
				json_pack("{s:o, s:o, s:o}", "AWS.SNS.MOBILE.APNS.TTL", attr("0"),
					  "AWS.SNS.MOBILE.FCM.TTL", attr("0"),
					  "AWS.SNS.MOBILE.ADM.TTL", attr("0")));
	struct payload p;

	prepare(body, "APNS", &p);
	CU_ASSERT_EQUAL(p.ttl_s, 0);
	CU_ASSERT_EQUAL(p.n.expiration_ms, CREATED_MS);
	payload_clear(&p);
	prepare(body, "GCM", &p);
	CU_ASSERT_EQUAL(p.ttl_s, 0);
	payload_clear(&p);
	CU_ASSERT_EQUAL(payload_prepare(body, "ADM", "m", CREATED_MS, &p, why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "TTL of 0"));
	json_decref(body);
}

/* Every reserved attribute reaches the notification as its typed option. */
static void test_options_mapped(void)
{
	json_t *attrs = json_pack(
		"{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
		"s:o}",
		"AWS.SNS.MOBILE.APNS.PRIORITY", attr("5"), "AWS.SNS.MOBILE.APNS.PUSH_TYPE",
		attr("voip"), "AWS.SNS.MOBILE.APNS.TOPIC", attr("com.example.app"),
		"AWS.SNS.MOBILE.APNS.COLLAPSE_ID", attr("c1"),
		"AWS.SNS.MOBILE.PREFERRED_AUTHENTICATION_METHOD", attr("token"),
		"AWS.SNS.MOBILE.BAIDU.DeployStatus", attr("2"), "AWS.SNS.MOBILE.BAIDU.MessageKey",
		attr("k1"), "AWS.SNS.MOBILE.BAIDU.MessageType", attr("1"),
		"AWS.SNS.MOBILE.MPNS.Type", attr("toast"), "AWS.SNS.MOBILE.MPNS.NotificationClass",
		attr("priority"), "AWS.SNS.MOBILE.WNS.CachePolicy", attr("no-cache"),
		"AWS.SNS.MOBILE.WNS.Group", attr("g1"), "AWS.SNS.MOBILE.WNS.Match", attr("m1"),
		"AWS.SNS.MOBILE.WNS.SuppressPopup", attr("true"), "AWS.SNS.MOBILE.WNS.Tag",
		attr("t1"), "AWS.SNS.MOBILE.WNS.Type", attr("wns/toast"), "user.attr", attr("u"));
	json_t *body = body_new("hi", NULL, attrs);
	struct payload p;

	prepare(body, "APNS", &p);
	CU_ASSERT_EQUAL(p.n.priority, 5);
	CU_ASSERT_STRING_EQUAL(p.n.push_type, "voip");
	CU_ASSERT_STRING_EQUAL(p.n.topic, "com.example.app");
	CU_ASSERT_STRING_EQUAL(p.n.collapse_id, "c1");
	CU_ASSERT_STRING_EQUAL(p.n.preferred_auth, "token");
	CU_ASSERT_EQUAL(p.n.baidu_deploy_status, 2);
	CU_ASSERT_STRING_EQUAL(p.n.baidu_message_key, "k1");
	CU_ASSERT_EQUAL(p.n.baidu_message_type, 1);
	CU_ASSERT_STRING_EQUAL(p.n.mpns_type, "toast");
	CU_ASSERT_STRING_EQUAL(p.n.mpns_notification_class, "priority");
	CU_ASSERT_STRING_EQUAL(p.n.wns_cache_policy, "no-cache");
	CU_ASSERT_STRING_EQUAL(p.n.wns_group, "g1");
	CU_ASSERT_STRING_EQUAL(p.n.wns_match, "m1");
	CU_ASSERT_EQUAL(p.n.wns_suppress_popup, 1);
	CU_ASSERT_STRING_EQUAL(p.n.wns_tag, "t1");
	CU_ASSERT_STRING_EQUAL(p.n.wns_type, "wns/toast");
	CU_ASSERT_PTR_NULL(p.n.token);
	payload_clear(&p);
	json_decref(body);

	/* absent options: -1 and NULL */
	body = body_new("hi", NULL, NULL);
	prepare(body, "WNS", &p);
	CU_ASSERT_EQUAL(p.n.priority, -1);
	CU_ASSERT_EQUAL(p.n.baidu_deploy_status, -1);
	CU_ASSERT_EQUAL(p.n.baidu_message_type, -1);
	CU_ASSERT_EQUAL(p.n.wns_suppress_popup, -1);
	CU_ASSERT_PTR_NULL(p.n.push_type);
	CU_ASSERT_PTR_NULL(p.n.topic);
	CU_ASSERT_PTR_NULL(p.n.wns_type);
	payload_clear(&p);
	json_decref(body);

	/* a reserved attribute with a value its service refuses */
	body = body_new("hi", NULL, json_pack("{s:o}", "AWS.SNS.MOBILE.APNS.PRIORITY", attr("7")));
	CU_ASSERT_EQUAL(payload_prepare(body, "APNS", "m", CREATED_MS, &p, why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "AWS.SNS.MOBILE"));
	json_decref(body);
}

static const char *push_type_of(const char *apns_payload)
{
	static char type[32];
	json_t *msg = json_pack("{s:s}", "APNS", apns_payload);
	char *text = json_dumps(msg, JSON_COMPACT);
	json_t *body = body_new(text, "json", NULL);
	struct payload p;

	prepare(body, "APNS", &p);
	snprintf(type, sizeof(type), "%s", p.n.push_type ? p.n.push_type : "(none)");
	payload_clear(&p);
	json_decref(body);
	json_decref(msg);
	free(text);
	return type;
}

/* apns-push-type inferred from aps as SNS documents it, unless the attribute sets it. */
static void test_push_type_inference(void)
{
	/* SNS's own example: only content-available 1 plus custom keys */
	CU_ASSERT_STRING_EQUAL(
		push_type_of("{\"aps\":{\"content-available\":1},\"Foo1\":\"Bar\",\"Foo2\":123}"),
		"background");
	CU_ASSERT_STRING_EQUAL(push_type_of("{\"aps\":{\"content-available\":true}}"),
			       "background");
	CU_ASSERT_STRING_EQUAL(push_type_of("{\"aps\":{\"content-available\":1,\"alert\":\"hi\"}}"),
			       "alert");
	CU_ASSERT_STRING_EQUAL(push_type_of("{\"aps\":{\"content-available\":1,\"badge\":3}}"),
			       "alert");
	CU_ASSERT_STRING_EQUAL(
		push_type_of("{\"aps\":{\"content-available\":1,\"sound\":\"default\"}}"), "alert");
	CU_ASSERT_STRING_EQUAL(push_type_of("{\"aps\":{\"content-available\":0}}"), "alert");
	CU_ASSERT_STRING_EQUAL(push_type_of("{\"aps\":{\"content-available\":\"1\"}}"), "alert");
	CU_ASSERT_STRING_EQUAL(push_type_of("{\"aps\":{\"alert\":\"hi\"}}"), "alert");
	CU_ASSERT_STRING_EQUAL(push_type_of("not json"), "alert");

	/* the attribute wins over the payload */
	json_t *body =
		body_new("{\"APNS\":\"{\\\"aps\\\":{\\\"content-available\\\":1}}\"}", "json",
			 json_pack("{s:o}", "AWS.SNS.MOBILE.APNS.PUSH_TYPE", attr("alert")));
	struct payload p;

	prepare(body, "APNS", &p);
	CU_ASSERT_STRING_EQUAL(p.n.push_type, "alert");
	payload_clear(&p);
	/* and no push type is invented for other platforms */
	json_decref(body);
	body = body_new("hi", NULL, NULL);
	prepare(body, "GCM", &p);
	CU_ASSERT_PTR_NULL(p.n.push_type);
	payload_clear(&p);
	json_decref(body);
}

/* The payload outlives a freed parse of the structure (it is owned or borrowed from body). */
static void test_payload_lifetime(void)
{
	json_t *body = body_new("{\"MPNS\":\"<toast/>\"}", "json", NULL);
	struct payload p;

	prepare(body, "MPNS", &p);
	CU_ASSERT_PTR_NOT_NULL(p.owned);
	CU_ASSERT_EQUAL(p.n.payload_len, 8);
	CU_ASSERT_EQUAL(memcmp(p.n.payload, "<toast/>", 8), 0);
	payload_clear(&p);
	CU_ASSERT_PTR_NULL(p.owned);
	json_decref(body);

	body = body_new("raw bytes", NULL, NULL);
	prepare(body, "WNS", &p);
	CU_ASSERT_PTR_NULL(p.owned);
	CU_ASSERT_PTR_EQUAL(p.n.payload, (const unsigned char *)json_string_value(
						 json_object_get(body, "Message")));
	payload_clear(&p);
	json_decref(body);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"plain text per platform", test_plain_text_per_platform},
		{"plain JSON text is text", test_plain_json_text_is_text},
		{"structure: platform keys", test_structure_platform_keys},
		{"structure: fallback to default", test_structure_fallback_to_default},
		{"structure: nothing for the platform", test_structure_nothing_for_platform},
		{"TTL precedence", test_ttl_precedence},
		{"TTL zero", test_ttl_zero},
		{"options mapped", test_options_mapped},
		{"APNs push type inference", test_push_type_inference},
		{"payload lifetime", test_payload_lifetime},
		CU_TEST_INFO_NULL,
	};
	return fx_run_suite("payload", NULL, NULL, tests);
}
