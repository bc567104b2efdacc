/*
 * Unit tests of emulator/fcm.c: the v1 message schema, Google's error
 * shape, the OAuth2 JWT-bearer assertion checks and the legacy API's checks.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "emulator/fcm.h"
#include "emulator/jwt.h"
#include "tests/emulator/keys.h"

#define EMAIL	  "herald-emulator@demo.iam.gserviceaccount.com"
#define KEY_ID	  "0123456789abcdef0123456789abcdef01234567"
#define TOKEN_URI "https://127.0.0.1:52443/token"
#define SCOPE	  "https://www.googleapis.com/auth/firebase.messaging"
#define NOW	  1700000000LL

static struct emu_config cfg;
static EVP_PKEY *stranger;

static int suite_init(void)
{
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.fcm_project, "demo");
	strcpy(cfg.fcm_client_email, EMAIL);
	strcpy(cfg.fcm_key_id, KEY_ID);
	strcpy(cfg.fcm_token_uri, TOKEN_URI);
	cfg.fcm_key = EVP_RSA_gen(2048);
	stranger = EVP_RSA_gen(2048);
	return cfg.fcm_key && stranger ? 0 : 1;
}

static int suite_clean(void)
{
	settings_free(&cfg);
	EVP_PKEY_free(stranger);
	return 0;
}

/* Check body (JSON text): 0 expected, or the exact message of the INVALID_ARGUMENT. */
static void send_ok(const char *text)
{
	json_t *body = json_loads(text, 0, NULL);
	struct fcm_error e;
	const char *token;
	int vo;

	CU_ASSERT_FATAL(body != NULL);
	CU_ASSERT_EQUAL(fcm_check_send(body, &token, &vo, &e), 0);
	json_decref(body);
}

static void send_bad(const char *text, const char *message)
{
	json_t *body = json_loads(text, 0, NULL);
	struct fcm_error e;
	const char *token;
	int vo;

	CU_ASSERT_FATAL(body != NULL);
	CU_ASSERT_EQUAL(fcm_check_send(body, &token, &vo, &e), -1);
	CU_ASSERT_EQUAL(e.http, 400);
	CU_ASSERT_STRING_EQUAL(e.status, "INVALID_ARGUMENT");
	if (message)
		CU_ASSERT_STRING_EQUAL(e.message, message);
	json_decref(body);
}

static void test_targets(void)
{
	json_t *body = json_loads(
		"{\"message\":{\"token\":\"abc:DEF-1_2\"},\"validate_only\":true}", 0, NULL);
	struct fcm_error e;
	const char *token;
	int vo;

	CU_ASSERT_EQUAL(fcm_check_send(body, &token, &vo, &e), 0);
	CU_ASSERT_STRING_EQUAL(token, "abc:DEF-1_2");
	CU_ASSERT_EQUAL(vo, 1);
	json_decref(body);
	send_ok("{\"message\":{\"topic\":\"weather\"}}");
	send_ok("{\"message\":{\"condition\":\"'a' in topics\"}}");
	send_ok("{\"message\":{\"fid\":\"f1\"},\"validateOnly\":false}");
	send_bad("{\"message\":{\"data\":{}}}", "Recipient of the message is not set.");
	send_bad(
		"{\"message\":{\"token\":\"t\",\"topic\":\"x\"}}",
		"Invalid value at 'message' (oneof), oneof field 'target' is already set. Cannot set 'topic'");
	send_bad("{\"message\":{\"token\":\"has space\"}}",
		 "The registration token is not a valid FCM registration token");
	send_bad("{\"message\":{\"topic\":\"/topics/weather\"}}", NULL);
	send_bad("{}", NULL);
	send_bad("[]", NULL);
}

static void test_schema(void)
{
	send_ok("{\"message\":{\"token\":\"t\",\"data\":{\"k\":\"v\"},"
		"\"notification\":{\"title\":\"a\",\"body\":\"b\",\"image\":\"https://x/y.png\"},"
		"\"android\":{\"collapse_key\":\"c\",\"priority\":\"high\",\"ttl\":\"3.5s\","
		"\"restrictedPackageName\":\"com.x\",\"notification\":{\"channel_id\":\"ch\","
		"\"notificationPriority\":\"PRIORITY_HIGH\",\"visibility\":\"PUBLIC\","
		"\"body_loc_args\":[\"1\"],\"sticky\":true,\"notification_count\":3}},"
		"\"apns\":{\"headers\":{\"apns-priority\":\"10\"},\"payload\":{\"aps\":{\"badge\":1}}},"
		"\"webpush\":{\"headers\":{\"TTL\":\"15\"},\"notification\":{\"title\":\"w\"}},"
		"\"fcmOptions\":{\"analytics_label\":\"l\"}}}");
	send_bad("{\"message\":{\"token\":\"t\",\"data\":{\"a\":\"x\",\"b\":12}}}",
		 "Invalid value at 'message.data[1].value' (TYPE_STRING), 12");
	send_bad(
		"{\"message\":{\"token\":\"t\",\"colour\":\"red\"}}",
		"Invalid JSON payload received. Unknown name \"colour\" at 'message': Cannot find field.");
	send_bad("{\"msg\":{}}",
		 "Invalid JSON payload received. Unknown name \"msg\": Cannot find field.");
	send_bad(
		"{\"message\":{\"token\":\"t\",\"android\":{\"priority\":\"urgent\"}}}",
		"Invalid value at 'message.android.priority' (type.googleapis.com/google.firebase.fcm.v1.AndroidMessagePriority), \"urgent\"");
	send_bad("{\"message\":{\"token\":\"t\",\"notification\":{\"title\":5}}}",
		 "Invalid value at 'message.notification.title' (TYPE_STRING), 5");
	send_bad(
		"{\"message\":{\"token\":\"t\",\"android\":{\"notification\":{\"sticky\":\"yes\"}}}}",
		"Invalid value at 'message.android.notification.sticky' (TYPE_BOOL), \"yes\"");
	send_bad("{\"message\":{\"token\":\"t\",\"data\":{\"from\":\"x\"}}}", NULL);
	send_bad("{\"message\":{\"token\":\"t\",\"data\":{\"google.c\":\"x\"}}}", NULL);
	send_bad("{\"message\":{\"token\":\"t\",\"android\":{\"data\":{\"gcm.n\":\"x\"}}}}", NULL);
}

static void test_ttl(void)
{
	send_ok("{\"message\":{\"token\":\"t\",\"android\":{\"ttl\":\"0s\"}}}");
	send_ok("{\"message\":{\"token\":\"t\",\"android\":{\"ttl\":\"2419200s\"}}}");
	send_ok("{\"message\":{\"token\":\"t\",\"android\":{\"ttl\":\"1.123456789s\"}}}");
	send_bad("{\"message\":{\"token\":\"t\",\"android\":{\"ttl\":\"2419201s\"}}}", NULL);
	send_bad(
		"{\"message\":{\"token\":\"t\",\"android\":{\"ttl\":\"3600\"}}}",
		"Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration), \"3600\"");
	send_bad("{\"message\":{\"token\":\"t\",\"android\":{\"ttl\":\"1.1234567890s\"}}}", NULL);
	send_bad("{\"message\":{\"token\":\"t\",\"android\":{\"ttl\":\"1.s\"}}}", NULL);
	send_bad("{\"message\":{\"token\":\"t\",\"android\":{\"ttl\":3600}}}", NULL);
}

static void test_size(void)
{
	char *value = malloc(4200), *text = malloc(4400);

	/* One key "k" plus a value: exactly at the limit, then one byte over. */
	memset(value, 'v', FCM_MAX_PAYLOAD - 1);
	value[FCM_MAX_PAYLOAD - 1] = '\0';
	snprintf(text, 4400, "{\"message\":{\"token\":\"t\",\"data\":{\"k\":\"%s\"}}}", value);
	send_ok(text);
	snprintf(text, 4400, "{\"message\":{\"topic\":\"t\",\"data\":{\"k\":\"%s\"}}}", value);
	send_bad(text, NULL); /* topics allow 2048 */
	value[FCM_MAX_PAYLOAD - 1] = 'v';
	value[FCM_MAX_PAYLOAD] = '\0';
	snprintf(text, 4400, "{\"message\":{\"token\":\"t\",\"data\":{\"k\":\"%s\"}}}", value);
	send_bad(text, NULL);
	free(value);
	free(text);
}

static void test_error_shape(void)
{
	struct fcm_error e;
	json_t *root, *err, *detail;
	char *text;

	fcm_error_from_code(&e, "UNREGISTERED", 0);
	text = fcm_error_body(&e);
	root = json_loads(text, 0, NULL);
	err = json_object_get(root, "error");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(err, "code")), 404);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(err, "status")), "NOT_FOUND");
	detail = json_array_get(json_object_get(err, "details"), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(detail, "@type")),
			       "type.googleapis.com/google.firebase.fcm.v1.FcmError");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(detail, "errorCode")),
			       "UNREGISTERED");
	json_decref(root);
	free(text);

	/* A message that quotes the request cut short mid-character is still valid JSON. */
	root = json_loads("{\"message\":{\"topic\":\"x/a"
			  "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
			  "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
			  "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
			  "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\"}}",
			  0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	{
		const char *token;
		int vo;

		CU_ASSERT_EQUAL(fcm_check_send(root, &token, &vo, &e), -1);
	}
	json_decref(root);
	text = fcm_error_body(&e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	root = json_loads(text, 0, NULL);
	err = json_object_get(root, "error");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(err, "code")), 400);
	CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(json_object_get(err, "message")),
				      "Invalid topic name \"x/a\u00e9"));
	json_decref(root);
	free(text);

	fcm_error_from_code(&e, NULL, 503);
	CU_ASSERT_EQUAL(e.http, 503);
	CU_ASSERT_STRING_EQUAL(e.code, "UNAVAILABLE");
	fcm_error_from_code(&e, "SENDER_ID_MISMATCH", 0);
	CU_ASSERT_EQUAL(e.http, 403);
	CU_ASSERT_STRING_EQUAL(e.status, "PERMISSION_DENIED");
	fcm_error_from_code(&e, "QUOTA_EXCEEDED", 0);
	CU_ASSERT_EQUAL(e.http, 429);
	CU_ASSERT_STRING_EQUAL(e.status, "RESOURCE_EXHAUSTED");
}

/* An assertion signed with key; NULL members are left out. */
static char *assertion(EVP_PKEY *key, const char *iss, const char *aud, const char *scope,
		       long long iat, long long exp)
{
	json_t *hdr = json_pack("{s:s, s:s}", "typ", "JWT", "kid", KEY_ID);
	json_t *claims = json_pack("{s:I, s:I}", "iat", (json_int_t)iat, "exp", (json_int_t)exp);
	char *tok;

	if (iss)
		json_object_set_new(claims, "iss", json_string(iss));
	if (aud)
		json_object_set_new(claims, "aud", json_string(aud));
	if (scope)
		json_object_set_new(claims, "scope", json_string(scope));
	tok = jwt_sign(key, hdr, claims);
	json_decref(hdr);
	json_decref(claims);
	return tok;
}

static void check_assertion(char *tok, int http, const char *error, const char *desc)
{
	const char *auds[] = {TOKEN_URI, "https://localhost:52443/token", NULL};
	struct fcm_oauth_error e = {0};
	int rc = fcm_check_assertion(&cfg, tok, auds, NOW, &e);

	if (!error) {
		CU_ASSERT_EQUAL(rc, 0);
	} else {
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT_EQUAL(e.http, http);
		CU_ASSERT(e.error && strcmp(e.error, error) == 0);
		CU_ASSERT(!desc || (e.description && strcmp(e.description, desc) == 0));
	}
	free(tok);
}

static void test_assertion(void)
{
	check_assertion(assertion(cfg.fcm_key, EMAIL, TOKEN_URI, SCOPE, NOW, NOW + 3600), 0, NULL,
			NULL);
	check_assertion(assertion(cfg.fcm_key, EMAIL, "https://localhost:52443/token",
				  "openid https://www.googleapis.com/auth/cloud-platform", NOW - 60,
				  NOW + 600),
			0, NULL, NULL);
	/* Forged: signed by a key that is not the service account's. */
	check_assertion(assertion(stranger, EMAIL, TOKEN_URI, SCOPE, NOW, NOW + 3600), 400,
			"invalid_grant", "Invalid JWT Signature.");
	check_assertion(strdup("not.a.jwt"), 400, "invalid_grant", "Invalid JWT Signature.");
	check_assertion(assertion(cfg.fcm_key, "someone@else.iam.gserviceaccount.com", TOKEN_URI,
				  SCOPE, NOW, NOW + 3600),
			401, "invalid_client", NULL);
	check_assertion(assertion(cfg.fcm_key, EMAIL, "https://oauth2.googleapis.com/token", SCOPE,
				  NOW, NOW + 3600),
			400, "invalid_grant", NULL);
	check_assertion(
		assertion(cfg.fcm_key, EMAIL, TOKEN_URI, SCOPE, NOW, NOW + 3601), 400,
		"invalid_grant",
		"Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.");
	check_assertion(assertion(cfg.fcm_key, EMAIL, TOKEN_URI, SCOPE, NOW + 3600, NOW + 4000),
			400, "invalid_grant", NULL); /* iat an hour ahead of the clock */
	check_assertion(assertion(cfg.fcm_key, EMAIL, TOKEN_URI, SCOPE, NOW - 7200, NOW - 3600),
			400, "invalid_grant", NULL); /* expired */
	check_assertion(assertion(cfg.fcm_key, EMAIL, TOKEN_URI, NULL, NOW, NOW + 3600), 400,
			"invalid_scope", NULL);
	check_assertion(assertion(cfg.fcm_key, EMAIL, TOKEN_URI,
				  "https://www.googleapis.com/auth/userinfo.email", NOW,
				  NOW + 3600),
			400, "invalid_scope", NULL);
}

/* Legacy /fcm/send: the server key, the body's targets and per-message errors. */
static int legacy(const char *text, json_t **targets, const char **msg_error)
{
	json_t *body = json_loads(text, 0, NULL);
	char why[256];
	int status;

	CU_ASSERT_PTR_NOT_NULL_FATAL(body);
	status = fcm_legacy_check(body, targets, msg_error, why, sizeof(why));
	json_decref(body);
	return status;
}

static void test_legacy(void)
{
	json_t *targets;
	const char *err;

	strcpy(cfg.fcm_server_key, "AAAAemu:APA91bsecret");
	CU_ASSERT_TRUE(fcm_legacy_auth(&cfg, "key=AAAAemu:APA91bsecret"));
	CU_ASSERT_TRUE(fcm_legacy_auth(&cfg, "Key=AAAAemu:APA91bsecret"));
	CU_ASSERT_FALSE(fcm_legacy_auth(&cfg, "key=AAAAemu:APA91bsecreT"));
	CU_ASSERT_FALSE(fcm_legacy_auth(&cfg, "Bearer AAAAemu:APA91bsecret"));
	CU_ASSERT_FALSE(fcm_legacy_auth(&cfg, NULL));
	cfg.fcm_server_key[0] = '\0';
	CU_ASSERT_FALSE(fcm_legacy_auth(&cfg, "key=")); /* no key configured: nothing passes */

	CU_ASSERT_EQUAL(legacy("{\"to\":\"tok\",\"data\":{\"k\":\"v\"}}", &targets, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_EQUAL(json_array_size(targets), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(targets, 0)), "tok");
	json_decref(targets);
	CU_ASSERT_EQUAL(legacy("{\"registration_ids\":[\"a\",\"b\"]}", &targets, &err), 0);
	CU_ASSERT_EQUAL(json_array_size(targets), 2);
	json_decref(targets);
	CU_ASSERT_EQUAL(legacy("{\"to\":\"/topics/news\"}", &targets, &err), 0);
	CU_ASSERT_PTR_NULL(targets);
	CU_ASSERT_PTR_NULL(err);
	CU_ASSERT_EQUAL(legacy("{}", &targets, &err), 0);
	CU_ASSERT_STRING_EQUAL(err, "MissingRegistration");
	json_decref(targets);
	CU_ASSERT_EQUAL(legacy("{\"to\":\"t\",\"time_to_live\":2419201}", &targets, &err), 0);
	CU_ASSERT_STRING_EQUAL(err, "InvalidTtl");
	json_decref(targets);
	CU_ASSERT_EQUAL(legacy("{\"to\":\"t\",\"time_to_live\":2419200}", &targets, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	json_decref(targets);
	CU_ASSERT_EQUAL(legacy("{\"to\":\"t\",\"data\":{\"from\":\"x\"}}", &targets, &err), 0);
	CU_ASSERT_STRING_EQUAL(err, "InvalidDataKey");
	json_decref(targets);
	CU_ASSERT_EQUAL(legacy("{\"to\":\"t\",\"priority\":\"urgent\"}", &targets, &err), 0);
	CU_ASSERT_STRING_EQUAL(err, "InvalidParameters");
	json_decref(targets);
	/* HTTP-level 400s: two targets, too many ids, unknown fields, wrong types. */
	CU_ASSERT_EQUAL(legacy("{\"to\":\"a\",\"condition\":\"'x' in topics\"}", &targets, &err),
			400);
	CU_ASSERT_EQUAL(legacy("{\"to\":\"a\",\"colour\":1}", &targets, &err), 400);
	CU_ASSERT_EQUAL(legacy("{\"registration_ids\":[1]}", &targets, &err), 400);
	CU_ASSERT_EQUAL(legacy("{\"to\":5}", &targets, &err), 400);
	{
		json_t *body = json_pack("{s:[]}", "registration_ids");
		char why[256];

		for (int i = 0; i < FCM_LEGACY_MAX_IDS + 1; i++)
			json_array_append_new(json_object_get(body, "registration_ids"),
					      json_string("t"));
		CU_ASSERT_EQUAL(fcm_legacy_check(body, &targets, &err, why, sizeof(why)), 400);
		CU_ASSERT_PTR_NOT_NULL(strstr(why, "exceeds maximum allowed (1000)"));
		json_decref(body);
	}
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"targets", test_targets},	   {"schema and types", test_schema},
		{"android.ttl", test_ttl},	   {"payload size", test_size},
		{"error shape", test_error_shape}, {"OAuth2 assertions", test_assertion},
		{"legacy /fcm/send", test_legacy}, CU_TEST_INFO_NULL,
	};

	return keys_run_suite("fcm", suite_init, suite_clean, tests);
}
