/*
 * The FCM driver on the fake host: configuration checks (service account
 * and legacy server key), the exact HTTP v1 and legacy requests built from
 * both SNS GCM payload shapes, every error's outcome, the OAuth2 refresh
 * and resend on a 401, and the built module's descriptor.
 */
#include <CUnit/Basic.h>
#include <dlfcn.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugins/fcm/fcm.h"
#include "tests/plugins/fakehost.h"
#include "tests/plugins/modload.h"
#include "tests/plugins/testkeys.h"
#include "tests/unit/run.h"

#define TOKEN	 "fZx3:APA91bH-test_token.value"
#define PROJECT	 "herald-test"
#define EMAIL	 "pusher@herald-test.iam.gserviceaccount.com"
#define SEND_URL "https://127.0.0.1:8443/v1/projects/" PROJECT "/messages:send"

static const struct herald_driver *drv;
static char *rsa_pem, *service_account;

struct world {
	struct fakehost *fh;
	void *inst;
	char err[256];
};

static struct herald_app_config config(const char *credential, const char *url)
{
	static struct herald_attr opts[1];
	struct herald_app_config c = {
		.size = sizeof(c),
		.platform = "GCM",
		.name = "app",
		.arn = "arn:aws:sns:us-east-1:000000000000:app/GCM/app",
		.credential = credential,
		.credential_len = strlen(credential),
	};

	if (url) {
		opts[0] = (struct herald_attr){"url", url};
		c.options = opts;
		c.n_options = 1;
	}
	return c;
}

static int world_open(struct world *w, const struct herald_app_config *c)
{
	memset(w, 0, sizeof(*w));
	w->fh = fakehost_new();
	return drv->create_instance(fakehost_host(w->fh), fakehost_app(w->fh), c, &w->inst, w->err,
				    sizeof(w->err));
}

static void world_v1(struct world *w)
{
	struct herald_app_config c = config(service_account, "https://127.0.0.1:8443");

	CU_ASSERT_EQUAL_FATAL(world_open(w, &c), 0);
}

static void world_close(struct world *w)
{
	if (w->inst)
		drv->free_instance(w->inst);
	CU_ASSERT_EQUAL(fakehost_pools_live(w->fh), 0);
	CU_ASSERT_EQUAL(fakehost_keys_live(w->fh), 0);
	CU_ASSERT_EQUAL(fakehost_oauth_live(w->fh), 0);
	CU_ASSERT_EQUAL(fakehost_misuses(w->fh), 0);
	CU_ASSERT_FALSE(fakehost_log_contains(w->fh, "PRIVATE KEY"));
	CU_ASSERT_FALSE(fakehost_log_contains(w->fh, "AAAAserverkey"));
	fakehost_free(w->fh);
}

static struct herald_notification note(const char *payload)
{
	return (struct herald_notification){
		.size = sizeof(struct herald_notification),
		.platform = "GCM",
		.token = TOKEN,
		.message_id = "5b9e0d1c-7a43-4f6e-9c2b-1d2e3f405162",
		.payload = (const unsigned char *)payload,
		.payload_len = strlen(payload),
		.ttl_s = -1,
		.expiration_ms = -1,
		.priority = -1,
		.attempt = 1,
	};
}

static const struct fakehost_request *last_request(struct world *w)
{
	return fakehost_request(w->fh, fakehost_nrequests(w->fh) - 1);
}

/* Is the request body the JSON text want (compared as JSON)? */
static bool body_is(const struct fakehost_request *r, const char *want)
{
	json_t *a = json_loads(r->body, 0, NULL), *b = json_loads(want, 0, NULL);
	bool same = a && b && json_equal(a, b);

	if (!same)
		fprintf(stderr, "\n  body %s\n  want %s\n", r->body, want);
	json_decref(a);
	json_decref(b);
	return same;
}

/* Send payload and return the request's body checked against want. */
static bool sends(struct world *w, struct herald_notification *n, const char *want)
{
	size_t before = fakehost_nrequests(w->fh);

	CU_ASSERT_EQUAL(drv->send(w->inst, n, before + 1), 0);
	CU_ASSERT_EQUAL_FATAL(fakehost_nrequests(w->fh), before + 1);
	return body_is(last_request(w), want);
}

/* --- configuration ------------------------------------------------------------------------ */

static int check(const char *credential, char *err, size_t n)
{
	struct fakehost *fh = fakehost_new();
	struct herald_app_config c = config(credential, NULL);
	int rc = drv->check_config(fakehost_host(fh), fakehost_app(fh), &c, err, n);

	CU_ASSERT_EQUAL(fakehost_keys_live(fh), 0);
	fakehost_free(fh);
	CU_ASSERT_PTR_NULL(strstr(err, "BEGIN"));
	CU_ASSERT_PTR_NULL(strstr(err, "AAAAserverkey"));
	return rc;
}

static char *account_with(const char *field, json_t *value)
{
	json_t *sa = json_loads(service_account, 0, NULL);
	char *text;

	if (value)
		json_object_set_new(sa, field, value);
	else
		json_object_del(sa, field);
	text = json_dumps(sa, 0);
	json_decref(sa);
	return text;
}

static void test_check_config(void)
{
	char err[256] = "", *bad, *ec = testkeys_key("EC");

	CU_ASSERT_EQUAL(check(service_account, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(check("AAAAserverkey:APA91bE", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(check("AAAAserverkey with space", err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "server key"));
	CU_ASSERT_EQUAL(check("{ not json", err, sizeof(err)), HERALD_EINVAL);
	bad = account_with("project_id", NULL);
	CU_ASSERT_EQUAL(check(bad, err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "\"project_id\""));
	free(bad);
	bad = account_with("type", json_string("authorized_user"));
	CU_ASSERT_EQUAL(check(bad, err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "service_account"));
	free(bad);
	bad = account_with("client_email", json_string("nobody"));
	CU_ASSERT_EQUAL(check(bad, err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "client_email"));
	free(bad);
	bad = account_with("private_key", json_string(ec));
	CU_ASSERT_EQUAL(check(bad, err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "RSA"));
	free(bad);
	bad = account_with("private_key", json_string("-----BEGIN PRIVATE KEY-----\nxx\n"));
	CU_ASSERT_EQUAL(check(bad, err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "private_key"));
	free(bad);
	free(ec);
}

static void test_create_v1(void)
{
	struct herald_app_config c = config(service_account, NULL);
	struct herald_attr opts[] = {{"url", "https://127.0.0.1:8443/"},
				     {"token_url", "https://127.0.0.1:8443/token"}};
	const struct herald_oauth_config *oc;
	struct world w;

	CU_ASSERT_EQUAL_FATAL(world_open(&w, &c), 0);
	CU_ASSERT_EQUAL(fakehost_pool(w.fh, 0)->version, HERALD_HTTP_2);
	CU_ASSERT_STRING_EQUAL(fakehost_pool(w.fh, 0)->origin, "https://fcm.googleapis.com");
	oc = fakehost_oauth_config(w.fh);
	CU_ASSERT_PTR_NOT_NULL_FATAL(oc);
	CU_ASSERT_EQUAL(oc->grant, HERALD_OAUTH_JWT_BEARER);
	CU_ASSERT_STRING_EQUAL(oc->token_url, "https://oauth2.googleapis.com/token");
	CU_ASSERT_STRING_EQUAL(oc->scope, "https://www.googleapis.com/auth/firebase.messaging");
	CU_ASSERT_STRING_EQUAL(oc->issuer, EMAIL);
	CU_ASSERT_STRING_EQUAL(oc->key_id, "k1");
	CU_ASSERT_PTR_NOT_NULL(oc->key);
	CU_ASSERT_PTR_NULL(oc->audience);
	world_close(&w);
	c.options = opts;
	c.n_options = 2;
	CU_ASSERT_EQUAL_FATAL(world_open(&w, &c), 0);
	CU_ASSERT_STRING_EQUAL(fakehost_pool(w.fh, 0)->origin, "https://127.0.0.1:8443");
	CU_ASSERT_STRING_EQUAL(fakehost_oauth_config(w.fh)->token_url,
			       "https://127.0.0.1:8443/token");
	world_close(&w);
}

static void test_validate_token(void)
{
	char err[128], *big = malloc(4097);

	CU_ASSERT_EQUAL(drv->validate_token("GCM", TOKEN, strlen(TOKEN), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(drv->validate_token("GCM", "", 0, err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_EQUAL(drv->validate_token("GCM", "a b", 3, err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_EQUAL(drv->validate_token("GCM", "a/b", 3, err, sizeof(err)), HERALD_EINVAL);
	memset(big, 'a', 4097);
	CU_ASSERT_EQUAL(drv->validate_token("GCM", big, 4096, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(drv->validate_token("GCM", big, 4097, err, sizeof(err)), HERALD_EINVAL);
	free(big);
}

/* --- HTTP v1 requests --------------------------------------------------------------------- */

static void test_v1_request_exact(void)
{
	struct world w;
	struct herald_notification n = note(
		"{\"fcmV1Message\":{\"message\":{\"topic\":\"news\",\"notification\":{\"title\":"
		"\"T\",\"body\":\"B\"},\"data\":{\"k\":\"v\"},\"android\":{\"priority\":\"HIGH\"}}}}");
	const struct fakehost_request *r;

	world_v1(&w);
	n.ttl_s = 3600;
	CU_ASSERT_TRUE(sends(&w, &n,
			     "{\"message\":{\"token\":\"" TOKEN "\",\"notification\":{\"title\":"
			     "\"T\",\"body\":\"B\"},\"data\":{\"k\":\"v\"},\"android\":{"
			     "\"priority\":\"HIGH\",\"ttl\":\"3600s\"}}}"));
	r = last_request(&w);
	CU_ASSERT_STRING_EQUAL(r->method, "POST");
	CU_ASSERT_STRING_EQUAL(r->url, SEND_URL);
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "authorization"), "Bearer ya29.fake");
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "content-type"), "application/json");
	CU_ASSERT_EQUAL(r->n_headers, 2);
	fakehost_respond(w.fh, 200, "{\"name\":\"projects/" PROJECT "/messages/0:1\"}", NULL);
	fakehost_run(w.fh);
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 1)->kind, HERALD_OUTCOME_DELIVERED);
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 1)->status, 200);
	/* the TTL is capped at four weeks; validate_only passes through */
	n = note(
		"{\"fcmV1Message\":{\"message\":{\"data\":{\"a\":\"b\"}},\"validate_only\":true}}");
	n.ttl_s = 99999999;
	CU_ASSERT_TRUE(sends(&w, &n,
			     "{\"message\":{\"token\":\"" TOKEN "\",\"data\":{\"a\":\"b\"},"
			     "\"android\":{\"ttl\":\"2419200s\"}},\"validate_only\":true}"));
	world_close(&w);
}

/* The legacy SNS shape made into a v1 message, field by field (SNS's own examples). */
static void test_v1_from_legacy_shape(void)
{
	struct world w;
	struct herald_notification n = note(
		"{\"notification\":{\"body\":\"Sample\",\"title\":\"TitleTest\",\"icon\":\"ic\","
		"\"android_channel_id\":\"ch\",\"badge\":\"3\",\"content_available\":true},"
		"\"data\":{\"time_to_live\":3600,\"collapse_key\":\"deals\",\"s\":\"x\","
		"\"o\":{\"a\":[1]}},\"collapse_key\":\"c1\",\"priority\":\"high\","
		"\"time_to_live\":120,\"restricted_package_name\":\"com.x\","
		"\"registration_ids\":[\"other\"]}");

	world_v1(&w);
	CU_ASSERT_TRUE(sends(
		&w, &n,
		"{\"message\":{\"token\":\"" TOKEN "\",\"notification\":{\"title\":\"TitleTest\","
		"\"body\":\"Sample\"},\"data\":{\"time_to_live\":\"3600\",\"collapse_key\":"
		"\"deals\",\"s\":\"x\",\"o\":\"{\\\"a\\\":[1]}\"},\"android\":{\"notification\":{"
		"\"icon\":\"ic\",\"channel_id\":\"ch\"},\"collapse_key\":\"c1\",\"priority\":"
		"\"HIGH\",\"ttl\":\"120s\",\"restricted_package_name\":\"com.x\"}}}"));
	/* the attribute's TTL wins over the payload's */
	n.ttl_s = 60;
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 50), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_request(&w)->body, "\"ttl\":\"60s\""));
	CU_ASSERT_PTR_NULL(strstr(last_request(&w)->body, "120s"));
	n = note("{\"data\":{\"message\":\"Check out these awesome deals!\",\"url\":\"www.amazon."
		 "com\"}}");
	CU_ASSERT_TRUE(sends(&w, &n,
			     "{\"message\":{\"token\":\"" TOKEN "\",\"data\":{\"message\":\"Check "
			     "out these awesome deals!\",\"url\":\"www.amazon.com\"}}}"));
	n = note("Hello from the default key");
	CU_ASSERT_TRUE(sends(&w, &n,
			     "{\"message\":{\"token\":\"" TOKEN "\",\"data\":{\"default\":\"Hello "
			     "from the default key\"}}}"));
	n = note("{\"fcmV1Message\":{\"notmessage\":{}}}");
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 99), 0);
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 99)->kind, HERALD_OUTCOME_PAYLOAD_REJECTED);
	world_close(&w);
}

/* --- v1 outcomes -------------------------------------------------------------------------- */

#define FCM_ERR(code, http, status, msg)                                                    \
	"{\"error\":{\"code\":" #http ",\"message\":\"" msg "\",\"status\":\"" status "\"," \
	"\"details\":[{\"@type\":\"type.googleapis.com/google.firebase.fcm.v1.FcmError\","  \
	"\"errorCode\":\"" code "\"}]}}"

static const struct {
	int status;
	const char *body, *retry_after;
	int kind;
	int64_t retry_ms;
} v1_table[] = {
	{404, FCM_ERR("UNREGISTERED", 404, "NOT_FOUND", "Requested entity was not found."), NULL,
	 HERALD_OUTCOME_TOKEN_INVALID, -1},
	{400,
	 FCM_ERR("INVALID_ARGUMENT", 400, "INVALID_ARGUMENT",
		 "The registration token is not a valid FCM registration token"),
	 NULL, HERALD_OUTCOME_TOKEN_INVALID, -1},
	{400,
	 "{\"error\":{\"code\":400,\"message\":\"Invalid value at 'message.data[0].value'\","
	 "\"status\":\"INVALID_ARGUMENT\",\"details\":[{\"@type\":\"type.googleapis.com/"
	 "google.rpc.BadRequest\",\"fieldViolations\":[{\"field\":\"message.data[0].value\"}]}]}}",
	 NULL, HERALD_OUTCOME_PAYLOAD_REJECTED, -1},
	{400,
	 "{\"error\":{\"code\":400,\"message\":\"bad\",\"status\":\"INVALID_ARGUMENT\",\"details\":"
	 "[{\"@type\":\"type.googleapis.com/google.rpc.BadRequest\",\"fieldViolations\":[{"
	 "\"field\":\"message.token\"}]}]}}",
	 NULL, HERALD_OUTCOME_TOKEN_INVALID, -1},
	{403, FCM_ERR("SENDER_ID_MISMATCH", 403, "PERMISSION_DENIED", "SenderId mismatch"), NULL,
	 HERALD_OUTCOME_TOKEN_INVALID, -1},
	{429, FCM_ERR("QUOTA_EXCEEDED", 429, "RESOURCE_EXHAUSTED", "Quota exceeded"), "60",
	 HERALD_OUTCOME_RETRY, 60000},
	{503, FCM_ERR("UNAVAILABLE", 503, "UNAVAILABLE", "unavailable"), "7", HERALD_OUTCOME_RETRY,
	 7000},
	{500, FCM_ERR("INTERNAL", 500, "INTERNAL", "Internal error encountered."), NULL,
	 HERALD_OUTCOME_RETRY, -1},
	{401, FCM_ERR("THIRD_PARTY_AUTH_ERROR", 401, "UNAUTHENTICATED", "Auth error from APNS"),
	 NULL, HERALD_OUTCOME_CREDENTIAL_ERROR, -1},
	{403,
	 "{\"error\":{\"code\":403,\"message\":\"Permission 'cloudmessaging.messages.create' "
	 "denied\",\"status\":\"PERMISSION_DENIED\"}}",
	 NULL, HERALD_OUTCOME_CREDENTIAL_ERROR, -1},
	{502, "<html>Bad Gateway</html>", NULL, HERALD_OUTCOME_RETRY, -1},
	{400, "<html>Bad Request</html>", NULL, HERALD_OUTCOME_PAYLOAD_REJECTED, -1},
};

static void test_v1_outcomes(void)
{
	size_t count = sizeof(v1_table) / sizeof(v1_table[0]);
	struct herald_notification n = note("{\"data\":{\"a\":\"b\"}}");
	const struct fakehost_outcome *o;
	struct world w;

	world_v1(&w);
	for (size_t i = 0; i < count; i++) {
		CU_ASSERT_EQUAL(drv->send(w.inst, &n, i + 1), 0);
		if (v1_table[i].retry_after)
			fakehost_respond(w.fh, v1_table[i].status, v1_table[i].body, "retry-after",
					 v1_table[i].retry_after, NULL);
		else
			fakehost_respond(w.fh, v1_table[i].status, v1_table[i].body, NULL);
		fakehost_run(w.fh);
		o = fakehost_outcome(w.fh, i + 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		if (o->kind != v1_table[i].kind)
			fprintf(stderr, "\n  %s: kind %d, want %d\n", v1_table[i].body, o->kind,
				v1_table[i].kind);
		CU_ASSERT_EQUAL(o->kind, v1_table[i].kind);
		CU_ASSERT_EQUAL(o->retry_after_ms, v1_table[i].retry_ms);
		CU_ASSERT_EQUAL(o->status, v1_table[i].status);
		CU_ASSERT_STRING_EQUAL(o->response, v1_table[i].body);
	}
	/* none of these is a refused access token: no refresh, one request each */
	CU_ASSERT_EQUAL(fakehost_oauth_invalidations(w.fh), 0);
	CU_ASSERT_EQUAL(fakehost_nrequests(w.fh), count);
	n = note("{}");
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 100), 0);
	fakehost_fail(w.fh, "timeout", 0);
	fakehost_run(w.fh);
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 100)->kind, HERALD_OUTCOME_RETRY);
	CU_ASSERT_STRING_EQUAL(fakehost_outcome(w.fh, 100)->response, "timeout");
	world_close(&w);
}

#define UNAUTHENTICATED                                                              \
	"{\"error\":{\"code\":401,\"message\":\"Request had invalid authentication " \
	"credentials.\",\"status\":\"UNAUTHENTICATED\"}}"

static void test_v1_oauth_refresh(void)
{
	struct herald_notification n = note("{\"data\":{\"a\":\"b\"}}");
	struct world w;

	world_v1(&w);
	fakehost_oauth(w.fh, false, 0, NULL, "ya29.first", "ya29.second", "ya29.third", NULL);
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 1), 0);
	CU_ASSERT_EQUAL(fakehost_nrequests(w.fh), 0); /* waiting for the token */
	fakehost_respond(w.fh, 401, UNAUTHENTICATED, NULL);
	fakehost_respond(w.fh, 200, "{\"name\":\"projects/p/messages/1\"}", NULL);
	fakehost_run(w.fh);
	CU_ASSERT_EQUAL(fakehost_nrequests(w.fh), 2);
	CU_ASSERT_STRING_EQUAL(fakehost_header(fakehost_request(w.fh, 0), "authorization"),
			       "Bearer ya29.first");
	CU_ASSERT_STRING_EQUAL(fakehost_header(fakehost_request(w.fh, 1), "authorization"),
			       "Bearer ya29.second");
	CU_ASSERT_STRING_EQUAL(fakehost_request(w.fh, 1)->body, fakehost_request(w.fh, 0)->body);
	CU_ASSERT_EQUAL(fakehost_oauth_invalidations(w.fh), 1);
	CU_ASSERT_STRING_EQUAL(fakehost_oauth_invalidated(w.fh), "ya29.first");
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 1)->kind, HERALD_OUTCOME_DELIVERED);
	/* refused again after the refresh: a credential error, no third try */
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 2), 0);
	fakehost_respond(w.fh, 401, UNAUTHENTICATED, NULL);
	fakehost_respond(w.fh, 401, UNAUTHENTICATED, NULL);
	fakehost_run(w.fh);
	CU_ASSERT_EQUAL(fakehost_nrequests(w.fh), 4);
	CU_ASSERT_EQUAL(fakehost_oauth_invalidations(w.fh), 2);
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 2)->kind, HERALD_OUTCOME_CREDENTIAL_ERROR);
	CU_ASSERT_TRUE(fakehost_logged(w.fh, HERALD_LOG_ERR, "401"));
	world_close(&w);
}

static void test_v1_token_endpoint_fails(void)
{
	struct herald_notification n = note("{}");
	struct world w;

	world_v1(&w);
	fakehost_oauth(w.fh, true, 400, "invalid_grant", NULL);
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 1), 0);
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 1)->kind, HERALD_OUTCOME_CREDENTIAL_ERROR);
	fakehost_oauth(w.fh, true, 503, "unavailable", NULL);
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 2), 0);
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 2)->kind, HERALD_OUTCOME_RETRY);
	fakehost_oauth(w.fh, true, 0, "connect", NULL);
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 3), 0);
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 3)->kind, HERALD_OUTCOME_RETRY);
	CU_ASSERT_EQUAL(fakehost_nrequests(w.fh), 0);
	/* freed while waiting for a token: nothing reported, nothing leaked */
	fakehost_oauth(w.fh, false, 0, NULL, "t", NULL);
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 4), 0);
	drv->free_instance(w.inst);
	w.inst = NULL;
	CU_ASSERT_PTR_NULL(fakehost_outcome(w.fh, 4));
	world_close(&w);
}

/* --- legacy ------------------------------------------------------------------------------- */

static void world_legacy(struct world *w)
{
	struct herald_app_config c = config("AAAAserverkey:APA91bE", "https://127.0.0.1:8443");

	CU_ASSERT_EQUAL_FATAL(world_open(w, &c), 0);
}

static void test_legacy_request(void)
{
	struct world w;
	struct herald_notification n =
		note("{\"notification\":{\"title\":\"T\"},\"data\":{\"n\":1},\"priority\":\"high\","
		     "\"registration_ids\":[\"x\"]}");
	const struct fakehost_request *r;

	world_legacy(&w);
	CU_ASSERT_EQUAL(fakehost_pool(w.fh, 0)->version, HERALD_HTTP_1_1);
	CU_ASSERT_PTR_NULL(fakehost_oauth_config(w.fh));
	CU_ASSERT_TRUE(fakehost_logged(w.fh, HERALD_LOG_WARNING, "shut it down"));
	n.ttl_s = 300;
	CU_ASSERT_TRUE(sends(&w, &n,
			     "{\"to\":\"" TOKEN "\",\"notification\":{\"title\":\"T\"},\"data\":{"
			     "\"n\":1},\"priority\":\"high\",\"time_to_live\":300}"));
	r = last_request(&w);
	CU_ASSERT_STRING_EQUAL(r->url, "https://127.0.0.1:8443/fcm/send");
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "authorization"), "key=AAAAserverkey:APA91bE");
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "content-type"), "application/json");
	/* a v1-shaped payload through the legacy API */
	n = note("{\"fcmV1Message\":{\"message\":{\"data\":{\"a\":\"b\"},\"notification\":{"
		 "\"title\":\"T\"},\"android\":{\"collapse_key\":\"c\",\"priority\":\"HIGH\","
		 "\"ttl\":\"90s\",\"notification\":{\"channel_id\":\"ch\"}}}}}");
	CU_ASSERT_TRUE(
		sends(&w, &n,
		      "{\"to\":\"" TOKEN "\",\"data\":{\"a\":\"b\"},\"notification\":{"
		      "\"title\":\"T\",\"android_channel_id\":\"ch\"},\"collapse_key\":\"c\","
		      "\"priority\":\"high\",\"time_to_live\":90}"));
	world_close(&w);
}

/* The wall clock in ms, as the driver reads it. */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * SNS passes the remaining TTL: a message that waited (retries) keeps its
 * deadline, so FCM gets n->ttl_s bounded by what is left until expiration_ms.
 */
static void test_ttl_left(void)
{
	struct world w;
	struct herald_notification n = note("{\"data\":{\"k\":\"v\"}}");

	world_v1(&w);
	n.ttl_s = 3600;
	n.expiration_ms = now_ms() + 60500; /* 60.5 s left of an hour's TTL */
	CU_ASSERT_TRUE(sends(&w, &n,
			     "{\"message\":{\"token\":\"" TOKEN "\",\"data\":{\"k\":\"v\"},"
			     "\"android\":{\"ttl\":\"60s\"}}}"));
	/* the TTL itself when more is left; under a second left is 0s (now or never) */
	n.expiration_ms = now_ms() + 7200 * 1000;
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 80), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_request(&w)->body, "\"ttl\":\"3600s\""));
	n.expiration_ms = now_ms() + 400;
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 90), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_request(&w)->body, "\"ttl\":\"0s\""));
	world_close(&w);

	world_legacy(&w);
	n.expiration_ms = now_ms() + 60500;
	CU_ASSERT_TRUE(
		sends(&w, &n, "{\"to\":\"" TOKEN "\",\"data\":{\"k\":\"v\"},\"time_to_live\":60}"));
	/* no TTL applies (ttl_s -1): none sent, whatever the broker's own expiry */
	n.ttl_s = -1;
	CU_ASSERT_TRUE(sends(&w, &n, "{\"to\":\"" TOKEN "\",\"data\":{\"k\":\"v\"}}"));
	world_close(&w);
	world_v1(&w);
	CU_ASSERT_TRUE(
		sends(&w, &n, "{\"message\":{\"token\":\"" TOKEN "\",\"data\":{\"k\":\"v\"}}}"));
	world_close(&w);

	/* the pure function: a TTL without an expiration is kept, capped at 4 weeks */
	n.expiration_ms = -1;
	n.ttl_s = 99999999;
	CU_ASSERT_EQUAL(fcm_ttl_s(&n, 0), 2419200);
	n.ttl_s = -1;
	CU_ASSERT_EQUAL(fcm_ttl_s(&n, 0), -1);
	n.expiration_ms = 1700000090999;
	CU_ASSERT_EQUAL(fcm_ttl_s(&n, 1700000000000), -1);
	n.ttl_s = 3600;
	CU_ASSERT_EQUAL(fcm_ttl_s(&n, 1700000000000), 90);
	CU_ASSERT_EQUAL(fcm_ttl_s(&n, 1700000091000), 0);
}

static void test_legacy_outcomes(void)
{
	static const struct {
		int status;
		const char *body;
		int kind;
	} table[] = {
		{200, "{\"success\":1,\"results\":[{\"message_id\":\"0:1\"}]}",
		 HERALD_OUTCOME_DELIVERED},
		{200, "{\"results\":[{\"error\":\"NotRegistered\"}]}",
		 HERALD_OUTCOME_TOKEN_INVALID},
		{200, "{\"results\":[{\"error\":\"InvalidRegistration\"}]}",
		 HERALD_OUTCOME_TOKEN_INVALID},
		{200, "{\"results\":[{\"error\":\"Unavailable\"}]}", HERALD_OUTCOME_RETRY},
		{200, "{\"results\":[{\"error\":\"DeviceMessageRateExceeded\"}]}",
		 HERALD_OUTCOME_RETRY},
		{200, "{\"results\":[{\"error\":\"MismatchSenderId\"}]}",
		 HERALD_OUTCOME_CREDENTIAL_ERROR},
		{200, "{\"results\":[{\"error\":\"MessageTooBig\"}]}",
		 HERALD_OUTCOME_PAYLOAD_REJECTED},
		{200, "{\"results\":[{\"error\":\"InvalidTtl\"}]}",
		 HERALD_OUTCOME_PAYLOAD_REJECTED},
		{401, "<HTML>Unauthorized</HTML>", HERALD_OUTCOME_CREDENTIAL_ERROR},
		{400, "JSON_PARSING_ERROR", HERALD_OUTCOME_PAYLOAD_REJECTED},
		{503, "", HERALD_OUTCOME_RETRY},
	};
	size_t count = sizeof(table) / sizeof(table[0]);
	struct herald_notification n = note("{\"data\":{\"a\":\"b\"}}");
	struct world w;

	world_legacy(&w);
	for (size_t i = 0; i < count; i++) {
		CU_ASSERT_EQUAL(drv->send(w.inst, &n, i + 1), 0);
		fakehost_respond(w.fh, table[i].status, table[i].body, NULL);
		fakehost_run(w.fh);
		CU_ASSERT_PTR_NOT_NULL_FATAL(fakehost_outcome(w.fh, i + 1));
		if (fakehost_outcome(w.fh, i + 1)->kind != table[i].kind)
			fprintf(stderr, "\n  %s: kind %d\n", table[i].body,
				fakehost_outcome(w.fh, i + 1)->kind);
		CU_ASSERT_EQUAL(fakehost_outcome(w.fh, i + 1)->kind, table[i].kind);
	}
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 100), 0);
	fakehost_respond(w.fh, 200,
			 "{\"canonical_ids\":1,\"results\":[{\"message_id\":\"0:2\","
			 "\"registration_id\":\"newtoken:APA91\"}]}",
			 NULL);
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 101), 0);
	fakehost_respond(w.fh, 500, "", "retry-after", "12", NULL);
	fakehost_run(w.fh);
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 100)->kind, HERALD_OUTCOME_TOKEN_REPLACED);
	CU_ASSERT_STRING_EQUAL(fakehost_outcome(w.fh, 100)->canonical_token, "newtoken:APA91");
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 101)->kind, HERALD_OUTCOME_RETRY);
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 101)->retry_after_ms, 12000);
	world_close(&w);
}

static void test_module(void)
{
	void *h;
	const struct herald_driver *d = modload("plugins/fcm/.libs/fcm.so", &h);

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_PTR_NULL(dlsym(h, "fcm_v1_body"));
	CU_ASSERT_STRING_EQUAL(d->name, "fcm");
	CU_ASSERT_EQUAL(d->size, sizeof(struct herald_driver));
	CU_ASSERT_STRING_EQUAL(d->platforms[0], "GCM");
	CU_ASSERT_PTR_NULL(d->platforms[1]);
	dlclose(h);
}

static int init(void)
{
	json_t *sa;

	drv = herald_driver_query(HERALD_DRIVER_ABI_MAJOR, HERALD_DRIVER_ABI_MINOR);
	rsa_pem = testkeys_key("RSA");
	sa = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "service_account",
		       "project_id", PROJECT, "private_key_id", "k1", "private_key", rsa_pem,
		       "client_email", EMAIL, "client_id", "1234567890", "token_uri",
		       "https://oauth2.googleapis.com/token");
	service_account = json_dumps(sa, JSON_INDENT(2));
	json_decref(sa);
	return drv && service_account ? 0 : 1;
}

static int clean(void)
{
	free(rsa_pem);
	free(service_account);
	return 0;
}

static CU_TestInfo tests[] = {
	{"service account and server key checked offline, without quoting them", test_check_config},
	{"HTTP/2 pool, OAuth2 JWT bearer from the key; url and token_url options", test_create_v1},
	{"registration tokens: 1 to 4096 of [A-Za-z0-9_:.-]", test_validate_token},
	{"v1 from fcmV1Message: exact URL, headers and body, TTL capped", test_v1_request_exact},
	{"v1 from the legacy shape and from text, field by field", test_v1_from_legacy_shape},
	{"every v1 error maps to its outcome, Retry-After honoured", test_v1_outcomes},
	{"401: invalidate, new token, resend once; then a credential error", test_v1_oauth_refresh},
	{"token endpoint failures: 400 credential error, else retry", test_v1_token_endpoint_fails},
	{"legacy: HTTP/1.1, key=, to and time_to_live", test_legacy_request},
	{"legacy: per-result errors, canonical ids, HTTP statuses", test_legacy_outcomes},
	{"v1 and legacy: the TTL handed over is what is left of the message's; none when none applies",
	 test_ttl_left},
	{"the built module exports only its descriptor", test_module},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return fx_run_suite("fcm", init, clean, tests);
}
