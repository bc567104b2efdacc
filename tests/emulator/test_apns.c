/*
 * Unit tests of emulator/apns.c: provider-token checks and every request
 * rule of providers.md §1.7, with Apple's statuses and reason strings.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "emulator/apns.h"
#include "emulator/jwt.h"
#include "tests/emulator/keys.h"
#include "tests/emulator/live.h"

#define KID2  "KEY2222222" /* same team as the test vector */
#define KID3  "KEY3333333" /* another team */
#define TEAM3 "TEAM333333"
#define KID4  "KEY4444444" /* topic-specific: TOPIC only */
#define KID5  "KEY5555555" /* team-scoped: sandbox only */
#define TOPIC "com.example.herald"
#define DEV   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define NOW   (TV_IAT + 60)

static struct emu_config cfg;
static struct emu_state *st;
static struct live_emu emu; /* a served APNs, for the connection tests */

static int suite_init(void)
{
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.apns_keys[0].key_id, TV_KID);
	strcpy(cfg.apns_keys[0].team_id, TV_TEAM);
	cfg.apns_keys[0].key = tv_private_key();
	strcpy(cfg.apns_keys[1].key_id, KID2);
	strcpy(cfg.apns_keys[1].team_id, TV_TEAM);
	cfg.apns_keys[1].key = EVP_EC_gen("P-256");
	strcpy(cfg.apns_keys[2].key_id, KID3);
	strcpy(cfg.apns_keys[2].team_id, TEAM3);
	cfg.apns_keys[2].key = EVP_EC_gen("P-256");
	strcpy(cfg.apns_keys[3].key_id, KID4);
	strcpy(cfg.apns_keys[3].team_id, TV_TEAM);
	cfg.apns_keys[3].key = EVP_EC_gen("P-256");
	strcpy(cfg.apns_keys[3].topics, "com.example.other " TOPIC);
	strcpy(cfg.apns_keys[4].key_id, KID5);
	strcpy(cfg.apns_keys[4].team_id, TV_TEAM);
	cfg.apns_keys[4].key = EVP_EC_gen("P-256");
	cfg.apns_keys[4].env = EMU_KEY_SANDBOX;
	cfg.n_apns_keys = 5;
	strcpy(cfg.bundle_id, TOPIC);
	st = state_new(10);
	if (live_init(&emu) != 0)
		return 1;
	return cfg.apns_keys[0].key && cfg.apns_keys[1].key && cfg.apns_keys[2].key &&
			       cfg.apns_keys[3].key && cfg.apns_keys[4].key && st
		       ? 0
		       : 1;
}

static int suite_clean(void)
{
	settings_free(&cfg);
	state_free(st);
	live_free(&emu);
	return 0;
}

/* "bearer <token>" signed with key (by index) and the given kid/iss/iat; caller frees. */
static char *bearer(int key, const char *kid, const char *iss, long long iat)
{
	json_t *hdr = json_pack("{s:s}", "kid", kid);
	json_t *claims = json_pack("{s:s, s:I}", "iss", iss, "iat", (json_int_t)iat);
	char *tok = jwt_sign(cfg.apns_keys[key].key, hdr, claims), *out = NULL;

	if (tok && (out = malloc(strlen(tok) + 8)))
		sprintf(out, "bearer %s", tok);
	free(tok);
	json_decref(hdr);
	json_decref(claims);
	return out;
}

static int same_reason(const char *got, const char *want)
{
	return want ? got && strcmp(got, want) == 0 : got == NULL;
}

#define ASSERT_TOKEN(auth, value, now, want_status, want_reason)                        \
	do {                                                                            \
		const char *reason_;                                                    \
		int status_ = apns_check_token(&cfg, (auth), (value), (now), &reason_); \
		CU_ASSERT_EQUAL(status_, (want_status));                                \
		CU_ASSERT(same_reason(reason_, (want_reason)));                         \
	} while (0)

static void test_token_vector(void)
{
	struct apns_conn_auth auth = {0};

	ASSERT_TOKEN(&auth, "bearer " TV_TOKEN, NOW, 200, NULL);
	CU_ASSERT_STRING_EQUAL(auth.team_id, TV_TEAM);
	CU_ASSERT_STRING_EQUAL(auth.key_id, TV_KID);
	/* Same token again: accepted from the cache until it is an hour old. */
	ASSERT_TOKEN(&auth, "bearer " TV_TOKEN, TV_IAT + 3600, 200, NULL);
	ASSERT_TOKEN(&auth, "bearer " TV_TOKEN, TV_IAT + 3601, 403, "ExpiredProviderToken");
	apns_conn_auth_clear(&auth);
}

static void test_token_bad(void)
{
	struct apns_conn_auth auth = {0};
	char forged[sizeof("bearer " TV_TOKEN)];
	char *wrong_kid = bearer(0, KID2, TV_TEAM, TV_IAT); /* KID2 names another key */
	char *wrong_iss = bearer(0, TV_KID, TEAM3, TV_IAT);
	char *unknown_kid = bearer(0, "NOSUCHKEY0", TV_TEAM, TV_IAT);

	ASSERT_TOKEN(&auth, NULL, NOW, 403, "MissingProviderToken");
	ASSERT_TOKEN(&auth, "", NOW, 403, "MissingProviderToken");
	ASSERT_TOKEN(&auth, "Basic " TV_TOKEN, NOW, 403, "InvalidProviderToken");
	ASSERT_TOKEN(&auth, "bearer not-a-jwt", NOW, 403, "InvalidProviderToken");
	ASSERT_TOKEN(&auth, "bearer e30.e30.AAAA", NOW, 403, "InvalidProviderToken");
	strcpy(forged, "bearer " TV_TOKEN);
	forged[strlen(forged) - 5] = forged[strlen(forged) - 5] == 'x' ? 'y' : 'x';
	ASSERT_TOKEN(&auth, forged, NOW, 403, "InvalidProviderToken");
	ASSERT_TOKEN(&auth, wrong_kid, NOW, 403, "InvalidProviderToken");
	ASSERT_TOKEN(&auth, wrong_iss, NOW, 403, "InvalidProviderToken");
	ASSERT_TOKEN(&auth, unknown_kid, NOW, 403, "InvalidProviderToken");
	/* Stale: iat more than an hour ago. */
	ASSERT_TOKEN(&auth, "bearer " TV_TOKEN, TV_IAT + 3601, 403, "ExpiredProviderToken");
	CU_ASSERT_PTR_NULL(auth.bearer); /* nothing was accepted */
	CU_ASSERT_EQUAL(auth.team_id[0], '\0');
	free(wrong_kid);
	free(wrong_iss);
	free(unknown_kid);
	apns_conn_auth_clear(&auth);
}

static void test_token_connection_rules(void)
{
	struct apns_conn_auth auth = {0};
	char *soon = bearer(0, TV_KID, TV_TEAM, TV_IAT + 60);
	char *later = bearer(0, TV_KID, TV_TEAM, TV_IAT + 1200);
	char *key2 = bearer(1, KID2, TV_TEAM, TV_IAT + 2400);
	char *team3 = bearer(2, KID3, TEAM3, TV_IAT + 2400);

	ASSERT_TOKEN(&auth, "bearer " TV_TOKEN, NOW, 200, NULL);
	/* A new token a minute later on the same connection: too many updates. */
	ASSERT_TOKEN(&auth, soon, TV_IAT + 61, 429, "TooManyProviderTokenUpdates");
	/* Twenty minutes later it is a legitimate refresh. */
	ASSERT_TOKEN(&auth, later, TV_IAT + 1200, 200, NULL);
	/* Another key of the same team on this connection. */
	ASSERT_TOKEN(&auth, key2, TV_IAT + 2400, 403, "UnrelatedKeyIdInToken");
	/* Another team on this connection. */
	ASSERT_TOKEN(&auth, team3, TV_IAT + 2400, 403, "InvalidProviderToken");
	/* ...which is fine on a fresh connection. */
	apns_conn_auth_clear(&auth);
	memset(&auth, 0, sizeof(auth));
	ASSERT_TOKEN(&auth, team3, TV_IAT + 2400, 200, NULL);
	apns_conn_auth_clear(&auth);
	free(soon);
	free(later);
	free(key2);
	free(team3);
}

/* A good request with the test-vector token; tests change one thing. */
static struct apns_request good(void)
{
	return (struct apns_request){
		.method = "POST",
		.path = "/3/device/" DEV,
		.authorization = "bearer " TV_TOKEN,
		.topic = TOPIC,
		.push_type = "alert",
		.body_len = 20,
	};
}

static void check(struct apns_request r, int status, const char *reason)
{
	struct apns_conn_auth auth = {0};
	struct apns_verdict v;

	apns_check(&cfg, st, &auth, &r, NOW, &v);
	CU_ASSERT_EQUAL(v.status, status);
	CU_ASSERT(same_reason(v.reason, reason));
	apns_conn_auth_clear(&auth);
}

static void test_headers(void)
{
	struct apns_request r;
	char collapse[80];

	check(good(), 200, NULL);
	r = good();
	r.duplicate_header = 1;
	check(r, 400, "DuplicateHeaders");
	r = good();
	r.apns_id = "not-a-uuid";
	check(r, 400, "BadMessageId");
	r.apns_id = "123e4567-e89b-12d3-a456-426614174000";
	check(r, 200, NULL);
	r = good();
	r.method = "GET";
	check(r, 405, "MethodNotAllowed");
	r.apns_id = "nope"; /* pushy's order: the apns-id is checked first */
	check(r, 400, "BadMessageId");
	r = good();
	r.topic = NULL;
	check(r, 400, "MissingTopic");
	r = good();
	r.topic = "com.example/bad";
	check(r, 400, "BadTopic");
	r = good();
	memset(collapse, 'c', 64);
	collapse[64] = '\0';
	r.collapse_id = collapse;
	check(r, 200, NULL);
	collapse[64] = 'c';
	collapse[65] = '\0';
	check(r, 400, "BadCollapseId");
	r = good();
	r.priority = "7";
	check(r, 400, "BadPriority");
	r.priority = "1";
	check(r, 200, NULL);
	r = good();
	r.push_type = "shout";
	check(r, 400, "InvalidPushType");
	r.push_type = "background";
	r.priority = "10";
	check(r, 400, "BadPriority");
	r.priority = "5";
	check(r, 200, NULL);
	r = good();
	r.expiration = "soon";
	check(r, 400, "BadExpirationDate");
	r.expiration = "0";
	check(r, 200, NULL);
}

static void test_path_and_payload(void)
{
	struct apns_request r = good();

	r.path = "/3/device/";
	check(r, 400, "MissingDeviceToken");
	r.path = "/3/device/0123456789abcdef"; /* too short for the strict rule */
	check(r, 400, "BadDeviceToken");
	r.path = "/3/device/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg";
	check(r, 400, "BadDeviceToken");
	r.path = "/3/devices/" DEV;
	check(r, 404, "BadPath");
	r = good();
	r.body_len = 0;
	check(r, 400, "PayloadEmpty");
	r.body_len = APNS_MAX_PAYLOAD;
	check(r, 200, NULL);
	r.body_len = APNS_MAX_PAYLOAD + 1;
	check(r, 413, "PayloadTooLarge");
	r.push_type = "voip";
	r.topic = TOPIC ".voip";
	check(r, 200, NULL);
	r.body_len = APNS_MAX_VOIP_PAYLOAD + 1;
	check(r, 413, "PayloadTooLarge");
	/* Path rules come before authentication (pushy's order). */
	r = good();
	r.authorization = NULL;
	check(r, 403, "MissingProviderToken");
	r.path = "/3/device/";
	check(r, 400, "MissingDeviceToken");
}

static void test_rules(void)
{
	json_t *rules = json_pack(
		"[{s:s, s:s, s:i, s:I}, {s:s, s:s, s:s}, {s:s, s:s, s:i, s:i, s:i}]", "provider",
		"apns", "token", "1111111111111111111111111111111111111111111111111111111111111111",
		"status", 410, "timestamp", (json_int_t)1690000000000, "provider", "apns", "token",
		"2222222222222222222222222222222222222222222222222222222222222222", "topic",
		"com.other.app", "provider", "apns", "token",
		"3333333333333333333333333333333333333333333333333333333333333333", "status", 429,
		"retry_after", 7, "delay_ms", 25);
	struct apns_conn_auth auth = {0};
	struct apns_request r = good();
	struct apns_verdict v;
	char err[128];

	CU_ASSERT_EQUAL_FATAL(state_set_rules(st, rules, err, sizeof(err)), 0);
	r.path = "/3/device/1111111111111111111111111111111111111111111111111111111111111111";
	apns_check(&cfg, st, &auth, &r, NOW, &v);
	CU_ASSERT_EQUAL(v.status, 410);
	CU_ASSERT_STRING_EQUAL(v.reason, "Unregistered");
	CU_ASSERT_EQUAL(v.timestamp_ms, 1690000000000);
	r.path = "/3/device/2222222222222222222222222222222222222222222222222222222222222222";
	apns_check(&cfg, st, &auth, &r, NOW, &v);
	CU_ASSERT_EQUAL(v.status, 400);
	CU_ASSERT_STRING_EQUAL(v.reason, "DeviceTokenNotForTopic");
	r.topic = "com.other.app";
	apns_check(&cfg, st, &auth, &r, NOW, &v);
	CU_ASSERT_EQUAL(v.status, 200);
	r = good();
	r.path = "/3/device/3333333333333333333333333333333333333333333333333333333333333333";
	apns_check(&cfg, st, &auth, &r, NOW, &v);
	CU_ASSERT_EQUAL(v.status, 429);
	CU_ASSERT_STRING_EQUAL(v.reason, "TooManyRequests");
	CU_ASSERT_EQUAL(v.retry_after, 7);
	CU_ASSERT_EQUAL(v.delay_ms, 25);
	/* A fault is for good requests only: a bad one still gets its own answer. */
	r.body_len = 0;
	apns_check(&cfg, st, &auth, &r, NOW, &v);
	CU_ASSERT_EQUAL(v.status, 400);
	CU_ASSERT_STRING_EQUAL(v.reason, "PayloadEmpty");
	apns_conn_auth_clear(&auth);
	json_decref(rules);
	rules = json_array();
	CU_ASSERT_EQUAL(state_set_rules(st, rules, err, sizeof(err)), 0);
	json_decref(rules);
}

static void test_cert_auth(void)
{
	struct apns_conn_auth auth = {.cert_auth = 1, .cert_topic = TOPIC};
	struct apns_request r = good();
	struct apns_verdict v;

	r.authorization = NULL;
	apns_check(&cfg, st, &auth, &r, NOW, &v);
	CU_ASSERT_EQUAL(v.status, 200);
	r.topic = NULL; /* a single-topic certificate supplies it */
	apns_check(&cfg, st, &auth, &r, NOW, &v);
	CU_ASSERT_EQUAL(v.status, 200);
	r.topic = TOPIC ".voip";
	apns_check(&cfg, st, &auth, &r, NOW, &v);
	CU_ASSERT_EQUAL(v.status, 200);
	r.topic = "com.someone.else";
	apns_check(&cfg, st, &auth, &r, NOW, &v);
	CU_ASSERT_EQUAL(v.status, 400);
	CU_ASSERT_STRING_EQUAL(v.reason, "TopicDisallowed");
	r.topic = TOPIC ".location-query"; /* token auth only */
	apns_check(&cfg, st, &auth, &r, NOW, &v);
	CU_ASSERT_EQUAL(v.status, 400);
	CU_ASSERT_STRING_EQUAL(v.reason, "TopicDisallowed");
	CU_ASSERT_EQUAL(auth.succeeded, 1);
	/* A certificate for the other environment only (§1.6). */
	auth.cert_wrong_env = 1;
	r.topic = TOPIC;
	apns_check(&cfg, st, &auth, &r, NOW, &v);
	CU_ASSERT_EQUAL(v.status, 403);
	CU_ASSERT_STRING_EQUAL(v.reason, "BadCertificateEnvironment");
	apns_conn_auth_clear(&auth);
}

/* init's client certificate is universal: it carries both environment extensions. */
static void test_cert_env(void)
{
	char path[300];
	FILE *f;
	X509 *cert;

	snprintf(path, sizeof(path), "%s/apns-cert.pem", emu.dir);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cert);
	CU_ASSERT_FALSE(apns_cert_wrong_env(cert, 0));
	CU_ASSERT_FALSE(apns_cert_wrong_env(cert, 1));
	X509_free(cert);
}

/*
 * Apple's 2025 key kinds (providers.md §1.5, §1.7 step 8): a topic-specific
 * key signs for its topics (and their suffixed push-type topics) only, else
 * InvalidProviderToken; a team-scoped key works in its own environment only,
 * else BadEnvironmentKeyIdInToken.
 */
static void test_key_scope(void)
{
	char *topic_key = bearer(3, KID4, TV_TEAM, TV_IAT);
	char *sandbox_key = bearer(4, KID5, TV_TEAM, TV_IAT);
	struct apns_request r = good();

	r.authorization = topic_key;
	check(r, 200, NULL);
	r.topic = TOPIC ".voip";
	r.push_type = "voip";
	check(r, 200, NULL);
	r.topic = "com.example.other";
	r.push_type = "alert";
	check(r, 200, NULL);
	r.topic = "com.example.her"; /* a prefix of a listed topic is another topic */
	check(r, 403, "InvalidProviderToken");
	r.topic = "com.someone.else";
	check(r, 403, "InvalidProviderToken");
	r = good();
	r.topic = "com.someone.else"; /* an older key covers every topic */
	check(r, 200, NULL);

	r = good();
	r.authorization = sandbox_key;
	check(r, 403, "BadEnvironmentKeyIdInToken");
	cfg.apns_sandbox = 1;
	check(r, 200, NULL);
	r.authorization = "bearer " TV_TOKEN; /* an older key works in both */
	check(r, 200, NULL);
	cfg.apns_sandbox = 0;
	free(topic_key);
	free(sandbox_key);
}

/* emulator.json's "topics" and "environment" of a key, and what it refuses. */
static void test_key_scope_config(void)
{
	static const char *const bad[] = {"\"topics\": \"com.a\"", "\"topics\": [\"\"]",
					  "\"topics\": [\"a b\"]", "\"topics\": [7]",
					  "\"environment\": \"staging\""};
	struct emu_config c;
	char path[300], err[256];
	json_t *root, *key;

	snprintf(path, sizeof(path), "%s/emulator.json", emu.dir);
	root = json_load_file(path, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	key = json_array_get(json_object_get(json_object_get(root, "apns"), "keys"), 0);
	json_object_set_new(key, "topics", json_pack("[s, s]", "com.a", "com.b"));
	json_object_set_new(key, "environment", json_string("production"));
	CU_ASSERT_EQUAL_FATAL(json_dump_file(root, path, 0), 0);
	CU_ASSERT_EQUAL(settings_load(&c, emu.dir, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.apns_keys[0].topics, "com.a com.b");
	CU_ASSERT_EQUAL(c.apns_keys[0].env, EMU_KEY_PRODUCTION);
	CU_ASSERT_TRUE(settings_key_covers(&c.apns_keys[0], "com.b.voip"));
	CU_ASSERT_FALSE(settings_key_covers(&c.apns_keys[0], "com.c"));
	settings_free(&c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128];
		json_t *one;

		snprintf(text, sizeof(text), "{%s}", bad[i]);
		one = json_loads(text, 0, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(one);
		json_object_del(key, "topics");
		json_object_del(key, "environment");
		json_object_update(key, one);
		json_decref(one);
		CU_ASSERT_EQUAL_FATAL(json_dump_file(root, path, 0), 0);
		CU_ASSERT_EQUAL(settings_load(&c, emu.dir, err, sizeof(err)), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "apns.keys[0]."));
		settings_free(&c);
	}
	/* Put the file back as init wrote it. */
	json_object_del(key, "topics");
	json_object_del(key, "environment");
	CU_ASSERT_EQUAL(json_dump_file(root, path, 0), 0);
	json_decref(root);
}

static void test_uuid(void)
{
	CU_ASSERT_TRUE(apns_uuid_valid("123e4567-e89b-12d3-a456-426614174000"));
	CU_ASSERT_TRUE(apns_uuid_valid("123E4567-E89B-12D3-A456-426614174000"));
	CU_ASSERT_FALSE(apns_uuid_valid("123e4567e89b12d3a456426614174000"));
	CU_ASSERT_FALSE(apns_uuid_valid("123e4567-e89b-12d3-a456-42661417400g"));
	CU_ASSERT_FALSE(apns_uuid_valid(""));
}

/*
 * Apple allows one stream until a request succeeds on the connection, then
 * 1000: the first SETTINGS says 1, a failed request changes nothing, the
 * first success brings a SETTINGS of 1000, which the client then uses.
 */
static void test_stream_limit(void)
{
	static struct live_conn c;
	const char *body = "{\"aps\":{\"alert\":\"hi\"}}";
	int i;

	CU_ASSERT_EQUAL_FATAL(live_serve(&emu, NULL, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(live_connect(&c, emu.port), 0);
	CU_ASSERT_EQUAL(c.n_settings, 1);
	CU_ASSERT_EQUAL(c.max_streams[0], APNS_STREAMS_BEFORE_AUTH);
	CU_ASSERT_EQUAL(c.max_streams[0], 1);

	CU_ASSERT_EQUAL(live_post(&c, DEV, NULL, TOPIC, body), 0); /* no provider token */
	CU_ASSERT_TRUE(live_wait(&c, 0, 1));
	CU_ASSERT_EQUAL(c.resp[0].status, 403);
	CU_ASSERT_EQUAL(c.n_settings, 1);
	CU_ASSERT_EQUAL(
		nghttp2_session_get_remote_settings(c.ng, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS),
		1);

	CU_ASSERT_EQUAL(live_post(&c, DEV, emu.bearer, TOPIC, body), 1);
	CU_ASSERT_TRUE(live_wait(&c, 1, 1));
	CU_ASSERT_EQUAL(c.resp[1].status, 200);
	/* The SETTINGS went out before the answer, so it has arrived with it. */
	CU_ASSERT_EQUAL(c.n_settings, 2);
	CU_ASSERT_EQUAL(c.max_streams[1], APNS_STREAMS_AFTER_AUTH);
	CU_ASSERT_EQUAL(c.max_streams[1], 1000);

	/* 200 at once now, all answered. */
	for (i = 0; i < 200; i++)
		live_post(&c, DEV, emu.bearer, TOPIC, body);
	CU_ASSERT_TRUE(live_wait(&c, 2, 200));
	CU_ASSERT_EQUAL(live_count(&c, 200), 201);
	CU_ASSERT_EQUAL(
		nghttp2_session_get_remote_settings(c.ng, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS),
		1000);
	live_close(&c);
	live_stop(&emu);
}

/*
 * Success is 200 with an apns-id (a new UUID when the request sent none);
 * only the development host adds apns-unique-id (providers.md §1.3, §1.7
 * step 10).  A failure carries an apns-id too.
 */
static void test_success_ids(void)
{
	static struct live_conn c;
	const char *body = "{\"aps\":{\"alert\":\"hi\"}}";

	for (int sandbox = 0; sandbox <= 1; sandbox++) {
		emu.cfg.apns_sandbox = sandbox; /* the served child gets this copy */
		CU_ASSERT_EQUAL_FATAL(live_serve(&emu, NULL, NULL), 0);
		CU_ASSERT_EQUAL_FATAL(live_connect(&c, emu.port), 0);
		CU_ASSERT_EQUAL(live_post(&c, DEV, emu.bearer, TOPIC, body), 0);
		CU_ASSERT_EQUAL(live_post(&c, DEV, emu.bearer, TOPIC, ""), 1);
		CU_ASSERT_TRUE(live_wait(&c, 0, 2));
		CU_ASSERT_EQUAL(c.resp[0].status, 200);
		CU_ASSERT_EQUAL(c.resp[0].body_len, 0);
		CU_ASSERT_TRUE(apns_uuid_valid(c.resp[0].apns_id));
		if (sandbox) {
			CU_ASSERT_TRUE(apns_uuid_valid(c.resp[0].unique_id));
			CU_ASSERT_STRING_NOT_EQUAL(c.resp[0].unique_id, c.resp[0].apns_id);
		} else {
			CU_ASSERT_STRING_EQUAL(c.resp[0].unique_id, "");
		}
		CU_ASSERT_EQUAL(c.resp[1].status, 400);
		CU_ASSERT_STRING_EQUAL(c.resp[1].body, "{\"reason\":\"PayloadEmpty\"}");
		CU_ASSERT_TRUE(apns_uuid_valid(c.resp[1].apns_id));
		CU_ASSERT_STRING_EQUAL(c.resp[1].unique_id, "");
		CU_ASSERT_STRING_NOT_EQUAL(c.resp[1].apns_id, c.resp[0].apns_id);
		live_close(&c);
		live_stop(&emu);
	}
	emu.cfg.apns_sandbox = 0;
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"provider token: test vector, cache, expiry", test_token_vector},
		{"provider token: missing, malformed, forged, wrong kid/iss, stale",
		 test_token_bad},
		{"provider token: refresh rate, key and team binding", test_token_connection_rules},
		{"request headers", test_headers},
		{"path and payload", test_path_and_payload},
		{"per-token rules", test_rules},
		{"certificate auth", test_cert_auth},
		{"certificate environment extensions", test_cert_env},
		{"key kinds: topic-specific and environment-scoped keys", test_key_scope},
		{"key kinds in emulator.json", test_key_scope_config},
		{"apns-id syntax", test_uuid},
		{"stream limit: 1 until the first success, then 1000", test_stream_limit},
		{"success: apns-id, apns-unique-id only in sandbox", test_success_ids},
		CU_TEST_INFO_NULL,
	};

	return keys_run_suite("apns", suite_init, suite_clean, tests);
}
