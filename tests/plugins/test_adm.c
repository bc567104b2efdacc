/*
 * The adm driver on the fake host: the md5 checksum (providers.md §3.3
 * vectors), the exact request (URL, headers, body, token service), every
 * answer's outcome (§3.2, §0), the token refresh on 401, Retry-After.
 */
#include <CUnit/Basic.h>
#include <jansson.h>
#include <string.h>
#include <time.h>

#include "plugins/adm/admmsg.h"
#include "tests/plugins/h1fixture.h"
#include "tests/unit/run.h"

#define CLIENT_ID     "amzn1.application-oa2-client.0123456789abcdef"
#define CLIENT_SECRET "s3cr3t-adm-client-secret-do-not-log"
#define REG	      "amzn1.adm-registration.v3.Y29tLmFtYXpvbi5EZXZpY2VNZXNzYWdpbmc"

static void setup(struct h1fx *fx)
{
	h1fx_host(fx);
	CU_ASSERT_EQUAL_FATAL(h1fx_create(fx, "ADM", CLIENT_ID, CLIENT_SECRET, NULL), 0);
}

static json_t *body_of(const struct fakehost_request *r)
{
	return json_loadb(r->body, r->body_len, 0, NULL);
}

static void test_md5_vectors(void)
{
	char out[25];
	json_t *empty = json_object(), *msg = json_pack("{s:s}", "message", "your message");
	json_t *ba = json_pack("{s:s,s:s}", "b", "2", "a", "1");
	json_t *ab = json_pack("{s:s,s:s}", "a", "1", "b", "2");
	json_t *bad = json_pack("{s:i}", "n", 1);
	char s1[25];

	CU_ASSERT_EQUAL(adm_md5(empty, out), 0);
	CU_ASSERT_STRING_EQUAL(out, "1B2M2Y8AsgTpgAmY7PhCfg==");
	CU_ASSERT_EQUAL(adm_md5(msg, out), 0);
	CU_ASSERT_STRING_EQUAL(out, "qzF+HgArKZjJrpfcTbiFxg==");
	CU_ASSERT_EQUAL(adm_md5(ba, s1), 0);
	CU_ASSERT_EQUAL(adm_md5(ab, out), 0);
	CU_ASSERT_STRING_EQUAL(s1, out); /* sorted by key whatever the order in the object */
	CU_ASSERT_EQUAL(adm_md5(bad, out), -1);
	json_decref(empty);
	json_decref(msg);
	json_decref(ba);
	json_decref(ab);
	json_decref(bad);
}

static void test_exact_request(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification(
		"ADM", REG,
		"{\"data\":{\"message\":\"your message\"},\"consolidationKey\":\"deals\",\"expiresAfter\":100}");
	const struct herald_oauth_config *oc;
	const struct fakehost_request *r;
	const struct fakehost_outcome *o;
	json_t *b;

	setup(&fx);
	oc = fakehost_oauth_config(fx.fh);
	CU_ASSERT_EQUAL(oc->grant, HERALD_OAUTH_CLIENT_CREDENTIALS);
	CU_ASSERT_STRING_EQUAL(oc->token_url, "https://api.amazon.com/auth/O2/token");
	CU_ASSERT_STRING_EQUAL(oc->scope, "messaging:push");
	CU_ASSERT_STRING_EQUAL(oc->client_id, CLIENT_ID);
	CU_ASSERT_STRING_EQUAL(oc->client_secret, CLIENT_SECRET);
	CU_ASSERT_EQUAL(fakehost_pool(fx.fh, 0)->version, HERALD_HTTP_1_1);
	n.ttl_s = 3600;
	fakehost_respond(fx.fh, 200, "{\"registrationID\":\"" REG "\"}", "x-amzn-requestid", "r-1",
			 "x-amzn-data-md5", "qzF+HgArKZjJrpfcTbiFxg==", NULL);
	o = h1fx_send_run(&fx, &n, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->kind, HERALD_OUTCOME_DELIVERED);
	CU_ASSERT_EQUAL(o->status, 200);
	r = fakehost_request(fx.fh, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_STRING_EQUAL(r->method, "POST");
	CU_ASSERT_STRING_EQUAL(r->url,
			       "https://api.amazon.com/messaging/registrations/" REG "/messages");
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "Authorization"), "Bearer ya29.fake");
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "Content-Type"), "application/json");
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "Accept"), "application/json");
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "X-Amzn-Type-Version"),
			       "com.amazon.device.messaging.ADMMessage@1.0");
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "X-Amzn-Accept-Type"),
			       "com.amazon.device.messaging.ADMSendResult@1.0");
	b = body_of(r);
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_object_get(b, "data"), "message")),
		"your message");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(b, "consolidationKey")), "deals");
	/* The TTL attribute overrides the body's expiresAfter, as SNS does. */
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(b, "expiresAfter")), 3600);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(b, "md5")),
			       "qzF+HgArKZjJrpfcTbiFxg==");
	json_decref(b);
	CU_ASSERT_EQUAL(fakehost_counter(fx.fh, "delivered"), 1);
	CU_ASSERT_FALSE(fakehost_log_contains(fx.fh, CLIENT_SECRET));
	CU_ASSERT_FALSE(fakehost_log_contains(fx.fh, "ya29.fake"));
	h1fx_teardown(&fx);
}

static void test_options_override_hosts(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification("ADM", REG, "{\"data\":{\"a\":\"1\"}}");

	h1fx_host(&fx);
	CU_ASSERT_EQUAL_FATAL(h1fx_create(&fx, "ADM", CLIENT_ID, CLIENT_SECRET, "url",
					  "https://127.0.0.1:4431/", "token_url",
					  "https://127.0.0.1:4431/auth/O2/token", NULL),
			      0);
	CU_ASSERT_STRING_EQUAL(fakehost_oauth_config(fx.fh)->token_url,
			       "https://127.0.0.1:4431/auth/O2/token");
	fakehost_respond(fx.fh, 200, "{\"registrationID\":\"" REG "\"}", NULL);
	h1fx_send_run(&fx, &n, 1);
	CU_ASSERT_STRING_EQUAL(fakehost_request(fx.fh, 0)->url,
			       "https://127.0.0.1:4431/messaging/registrations/" REG "/messages");
	h1fx_teardown(&fx);
}

static void test_text_payload_and_ttl_bounds(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification("ADM", REG, "Hello \"you\"");
	json_t *b;

	setup(&fx);
	n.ttl_s = 5; /* below ADM's minimum of 60 s */
	fakehost_respond(fx.fh, 200, "{}", NULL);
	fakehost_respond(fx.fh, 200, "{}", NULL);
	fakehost_respond(fx.fh, 200, "{}", NULL);
	h1fx_send_run(&fx, &n, 1);
	b = body_of(fakehost_request(fx.fh, 0));
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_object_get(b, "data"), "default")),
		"Hello \"you\"");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(b, "expiresAfter")), 60);
	json_decref(b);
	n.ttl_s = 40 * 24 * 3600; /* above its 31 days */
	h1fx_send_run(&fx, &n, 2);
	b = body_of(fakehost_request(fx.fh, 1));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(b, "expiresAfter")), 2678400);
	json_decref(b);
	n = h1fx_notification("ADM", REG, "{\"data\":{\"k\":\"v\"},\"expiresAfter\":120}");
	h1fx_send_run(&fx, &n, 3); /* no TTL attribute: the body's own stays */
	b = body_of(fakehost_request(fx.fh, 2));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(b, "expiresAfter")), 120);
	json_decref(b);
	CU_ASSERT_EQUAL(fakehost_outcome(fx.fh, 3)->kind, HERALD_OUTCOME_DELIVERED);
	h1fx_teardown(&fx);
}

static void test_bad_data_rejected_without_request(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification("ADM", REG, "{\"data\":{\"n\":1}}");
	const struct fakehost_outcome *o;

	setup(&fx);
	o = h1fx_send_run(&fx, &n, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->kind, HERALD_OUTCOME_PAYLOAD_REJECTED);
	CU_ASSERT_EQUAL(fakehost_nrequests(fx.fh), 0);
	h1fx_teardown(&fx);
}

/* One send answered status/body/headers: its outcome kind (o filled for more checks). */
static int answer(struct h1fx *fx, uint64_t id, const struct fakehost_outcome **o)
{
	struct herald_notification n = h1fx_notification("ADM", REG, "{\"data\":{\"a\":\"b\"}}");

	*o = h1fx_send_run(fx, &n, id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*o);
	return (*o)->kind;
}

static void test_canonical_id_replaces(void)
{
	struct h1fx fx;
	const struct fakehost_outcome *o;

	setup(&fx);
	fakehost_respond(fx.fh, 200, "{\"registrationID\":\"amzn1.adm-registration.v3.NEW\"}",
			 NULL);
	CU_ASSERT_EQUAL(answer(&fx, 1, &o), HERALD_OUTCOME_TOKEN_REPLACED);
	CU_ASSERT_STRING_EQUAL(o->canonical_token, "amzn1.adm-registration.v3.NEW");
	h1fx_teardown(&fx);
}

static void test_error_mapping(void)
{
	static const struct {
		int status;
		const char *body;
		int kind;
	} cases[] = {
		{400, "{\"reason\":\"InvalidRegistrationId\"}", HERALD_OUTCOME_TOKEN_INVALID},
		{400, "{\"reason\":\"Unregistered\"}", HERALD_OUTCOME_TOKEN_INVALID},
		{400, "{\"reason\":\"InvalidData\"}", HERALD_OUTCOME_PAYLOAD_REJECTED},
		{400, "{\"reason\":\"InvalidConsolidationKey\"}", HERALD_OUTCOME_PAYLOAD_REJECTED},
		{400, "{\"reason\":\"InvalidExpiration\"}", HERALD_OUTCOME_PAYLOAD_REJECTED},
		{400, "{\"reason\":\"InvalidChecksum\"}", HERALD_OUTCOME_PAYLOAD_REJECTED},
		{400, "{\"reason\":\"InvalidType\"}", HERALD_OUTCOME_PAYLOAD_REJECTED},
		{413, "{\"reason\":\"MessageTooLarge\"}", HERALD_OUTCOME_PAYLOAD_REJECTED},
		{429, "{\"reason\":\"MaxRateExceeded\"}", HERALD_OUTCOME_RETRY},
		{403, "{\"reason\":\"MaxRateExceeded\"}", HERALD_OUTCOME_RETRY},
		{500, "", HERALD_OUTCOME_RETRY},
		{503, "", HERALD_OUTCOME_RETRY},
	};
	struct h1fx fx;
	const struct fakehost_outcome *o;

	setup(&fx);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fakehost_respond(fx.fh, cases[i].status, cases[i].body, NULL);
		CU_ASSERT_EQUAL(answer(&fx, i + 1, &o), cases[i].kind);
		CU_ASSERT_EQUAL(o->status, cases[i].status);
		if (o->kind == HERALD_OUTCOME_RETRY)
			CU_ASSERT_EQUAL(o->retry_after_ms, -1);
	}
	CU_ASSERT_EQUAL(fakehost_counter(fx.fh, "token_invalid"), 2);
	h1fx_teardown(&fx);
}

static void test_retry_after(void)
{
	struct h1fx fx;
	const struct fakehost_outcome *o;

	setup(&fx);
	fakehost_respond(fx.fh, 429, "{\"reason\":\"MaxRateExceeded\"}", "retry-after", "7", NULL);
	CU_ASSERT_EQUAL(answer(&fx, 1, &o), HERALD_OUTCOME_RETRY);
	CU_ASSERT_EQUAL(o->retry_after_ms, 7000);
	fakehost_respond(fx.fh, 503, "", "retry-after", "Fri, 01 Jan 2100 00:00:00 GMT", NULL);
	CU_ASSERT_EQUAL(answer(&fx, 2, &o), HERALD_OUTCOME_RETRY);
	CU_ASSERT(o->retry_after_ms > 365LL * 24 * 3600 * 1000);
	fakehost_respond(fx.fh, 503, "", "retry-after", "Thu, 01 Jan 1970 00:00:00 GMT", NULL);
	CU_ASSERT_EQUAL(answer(&fx, 3, &o), HERALD_OUTCOME_RETRY);
	CU_ASSERT_EQUAL(o->retry_after_ms, 0);
	fakehost_respond(fx.fh, 503, "", "retry-after", "soon", NULL);
	CU_ASSERT_EQUAL(answer(&fx, 4, &o), HERALD_OUTCOME_RETRY);
	CU_ASSERT_EQUAL(o->retry_after_ms, -1);
	h1fx_teardown(&fx);
}

static void test_401_refreshes_once(void)
{
	struct h1fx fx;
	const struct fakehost_outcome *o;

	h1fx_host(&fx);
	fakehost_oauth(fx.fh, false, 0, NULL, "Atc|old", "Atc|new", "Atc|newer", NULL);
	CU_ASSERT_EQUAL_FATAL(h1fx_create(&fx, "ADM", CLIENT_ID, CLIENT_SECRET, NULL), 0);
	fakehost_respond(fx.fh, 401, "{\"reason\":\"AccessTokenExpired\"}", NULL);
	fakehost_respond(fx.fh, 200, "{\"registrationID\":\"" REG "\"}", NULL);
	CU_ASSERT_EQUAL(answer(&fx, 1, &o), HERALD_OUTCOME_DELIVERED);
	CU_ASSERT_EQUAL(fakehost_nrequests(fx.fh), 2);
	CU_ASSERT_STRING_EQUAL(fakehost_header(fakehost_request(fx.fh, 0), "authorization"),
			       "Bearer Atc|old");
	CU_ASSERT_STRING_EQUAL(fakehost_header(fakehost_request(fx.fh, 1), "authorization"),
			       "Bearer Atc|new");
	CU_ASSERT_EQUAL(fakehost_oauth_invalidations(fx.fh), 1);
	CU_ASSERT_STRING_EQUAL(fakehost_oauth_invalidated(fx.fh), "Atc|old");
	/* A second 401 with the fresh token: the credential itself fails. */
	fakehost_respond(fx.fh, 401, "{\"reason\":\"AccessTokenExpired\"}", NULL);
	fakehost_respond(fx.fh, 401, "{\"reason\":\"AccessTokenExpired\"}", NULL);
	CU_ASSERT_EQUAL(answer(&fx, 2, &o), HERALD_OUTCOME_CREDENTIAL_ERROR);
	CU_ASSERT_EQUAL(fakehost_nrequests(fx.fh), 4);
	CU_ASSERT_EQUAL(fakehost_oauth_invalidations(fx.fh), 2);
	CU_ASSERT_EQUAL(fakehost_counter(fx.fh, "token_refreshes"), 2);
	CU_ASSERT_FALSE(fakehost_log_contains(fx.fh, "Atc|"));
	h1fx_teardown(&fx);
}

static void test_token_service_failures(void)
{
	struct h1fx fx;
	const struct fakehost_outcome *o;

	h1fx_host(&fx);
	fakehost_oauth(fx.fh, true, 401, "invalid_client", NULL);
	CU_ASSERT_EQUAL_FATAL(h1fx_create(&fx, "ADM", CLIENT_ID, CLIENT_SECRET, NULL), 0);
	CU_ASSERT_EQUAL(answer(&fx, 1, &o), HERALD_OUTCOME_CREDENTIAL_ERROR);
	CU_ASSERT_EQUAL(fakehost_nrequests(fx.fh), 0);
	fakehost_oauth(fx.fh, false, 400, "invalid_scope", NULL);
	CU_ASSERT_EQUAL(answer(&fx, 2, &o), HERALD_OUTCOME_CREDENTIAL_ERROR);
	fakehost_oauth(fx.fh, false, 503, "temporarily unavailable", NULL);
	CU_ASSERT_EQUAL(answer(&fx, 3, &o), HERALD_OUTCOME_RETRY);
	fakehost_oauth(fx.fh, true, 0, "connect", NULL);
	CU_ASSERT_EQUAL(answer(&fx, 4, &o), HERALD_OUTCOME_RETRY);
	h1fx_teardown(&fx);
}

static void test_transport_failure_and_refusal(void)
{
	struct h1fx fx;
	const struct fakehost_outcome *o;
	struct herald_notification n = h1fx_notification("ADM", REG, "{\"data\":{\"a\":\"b\"}}");

	setup(&fx);
	fakehost_fail(fx.fh, "timeout", 0);
	CU_ASSERT_EQUAL(answer(&fx, 1, &o), HERALD_OUTCOME_RETRY);
	CU_ASSERT_EQUAL(o->status, 0);
	/* The pool refusing at once: send() refuses, and nothing is ever reported. */
	fakehost_request_refuse(fx.fh, HERALD_EAGAIN);
	CU_ASSERT_EQUAL(fx.d->send(fx.inst, &n, 2), HERALD_EAGAIN);
	fakehost_run(fx.fh);
	CU_ASSERT_PTR_NULL(fakehost_outcome(fx.fh, 2));
	fakehost_request_refuse(fx.fh, 0);
	h1fx_teardown(&fx);
}

static void test_free_in_flight(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification("ADM", REG, "{\"data\":{\"a\":\"b\"}}");

	setup(&fx);
	CU_ASSERT_EQUAL(fx.d->send(fx.inst, &n, 1), 0);
	CU_ASSERT_EQUAL(fakehost_pending(fx.fh), 1);
	fx.d->free_instance(fx.inst); /* the host gave up waiting */
	fx.inst = NULL;
	CU_ASSERT_EQUAL(fakehost_noutcomes(fx.fh), 0);
	h1fx_teardown(&fx);
}

static void test_config_and_tokens(void)
{
	struct h1fx fx;
	char err[256];

	h1fx_host(&fx);
	CU_ASSERT_EQUAL(h1fx_create(&fx, "ADM", NULL, CLIENT_SECRET, NULL), HERALD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(fx.err, "PlatformPrincipal"));
	CU_ASSERT_EQUAL(h1fx_create(&fx, "ADM", CLIENT_ID, "", NULL), HERALD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(fx.err, "PlatformCredential"));
	CU_ASSERT_PTR_NULL(strstr(fx.err, CLIENT_SECRET));
	CU_ASSERT_EQUAL(h1fx_create(&fx, "ADM", CLIENT_ID, CLIENT_SECRET, "url", "ftp://x", NULL),
			HERALD_EINVAL);
	CU_ASSERT_EQUAL(fx.d->validate_token("ADM", REG, strlen(REG), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(fx.d->validate_token("ADM", "a/b", 3, err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_EQUAL(fx.d->validate_token("ADM", "a b", 3, err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_EQUAL(fx.d->validate_token("ADM", "", 0, err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_EQUAL(fakehost_pools_live(fx.fh), 0);
	h1fx_teardown(&fx);
}

static int64_t now_ms(void)
{
	return (int64_t)time(NULL) * 1000;
}

static void test_remaining_ttl_and_expiry(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification("ADM", REG, "{\"data\":{\"a\":\"b\"}}");
	int64_t e;
	json_t *b;

	setup(&fx);
	n.ttl_s = 3600;
	n.expiration_ms = now_ms() + 500 * 1000; /* it waited: 500 s of its hour are left */
	fakehost_respond(fx.fh, 200, "{}", NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 1)->kind, HERALD_OUTCOME_DELIVERED);
	b = body_of(fakehost_request(fx.fh, 0));
	e = json_integer_value(json_object_get(b, "expiresAfter"));
	CU_ASSERT(e >= 497 && e <= 500);
	json_decref(b);
	/* no TTL applies: no expiresAfter (ADM's default), whatever the broker's own expiry */
	n.ttl_s = -1;
	fakehost_respond(fx.fh, 200, "{}", NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 2)->kind, HERALD_OUTCOME_DELIVERED);
	b = body_of(fakehost_request(fx.fh, 1));
	CU_ASSERT_PTR_NULL(json_object_get(b, "expiresAfter"));
	CU_ASSERT_PTR_NOT_NULL(json_object_get(b, "data"));
	json_decref(b);
	n.expiration_ms = now_ms() - 1000;
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 3)->kind, HERALD_OUTCOME_PAYLOAD_REJECTED);
	CU_ASSERT_EQUAL(fakehost_nrequests(fx.fh), 2);
	h1fx_teardown(&fx);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"md5 checksum: providers.md vectors, key order", test_md5_vectors},
		{"exact request: URL, headers, body, token service", test_exact_request},
		{"url and token_url options", test_options_override_hosts},
		{"text payload wrapped; expiresAfter from the TTL, bounded",
		 test_text_payload_and_ttl_bounds},
		{"non-string data rejected locally", test_bad_data_rejected_without_request},
		{"a different registrationID replaces the token", test_canonical_id_replaces},
		{"error statuses and reasons mapped", test_error_mapping},
		{"Retry-After: seconds and HTTP-date", test_retry_after},
		{"401: one token refresh, then CREDENTIAL_ERROR", test_401_refreshes_once},
		{"token endpoint failures", test_token_service_failures},
		{"transport failure and pool refusal", test_transport_failure_and_refusal},
		{"free with a send in flight", test_free_in_flight},
		{"configuration and registration ids", test_config_and_tokens},
		{"expiresAfter is the TTL left, absent with none; an expired message is not sent",
		 test_remaining_ttl_and_expiry},
		CU_TEST_INFO_NULL,
	};

	return fx_run_suite("adm driver", NULL, NULL, tests);
}
