/*
 * The APNs driver on the fake host: what it checks in a configuration, the
 * exact requests it sends (URL, headers, body, provider token), how each of
 * Apple's answers becomes an outcome, the provider token's lifetime and the
 * ExpiredProviderToken resend, certificate authentication and its expiry
 * warnings, and the built module's descriptor.
 */
#include <CUnit/Basic.h>
#include <dlfcn.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/plugins/fakehost.h"
#include "tests/plugins/modload.h"
#include "tests/plugins/testkeys.h"
#include "tests/unit/run.h"

#define TOKEN	"a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define TEAM	"DEF123GHIJ"
#define KEYID	"ABC123DEFG"
#define BUNDLE	"com.example.app"
#define MSGID	"5B9E0D1C-7A43-4F6E-9C2B-1D2E3F405162"
#define MINUTES (60ULL * 1000)

static const struct herald_driver *drv;

/* One test's world: a fake host and an instance of the driver on it. */
struct world {
	struct fakehost *fh;
	const struct herald_host *host;
	void *inst;
	char err[256];
};

static struct herald_app_config token_config(struct herald_attr *attrs, const char *url)
{
	static struct herald_attr opts[1];
	struct herald_app_config c = {
		.size = sizeof(c),
		.platform = "APNS",
		.name = "app",
		.arn = "arn:aws:sns:us-east-1:000000000000:app/APNS/app",
		.attrs = attrs,
		.n_attrs = 2,
		.principal = KEYID,
		.principal_len = strlen(KEYID),
		.credential = TESTKEYS_P8,
		.credential_len = strlen(TESTKEYS_P8),
	};

	attrs[0] = (struct herald_attr){"ApplePlatformTeamID", TEAM};
	attrs[1] = (struct herald_attr){"ApplePlatformBundleID", BUNDLE};
	if (url) {
		opts[0] = (struct herald_attr){"url", url};
		c.options = opts;
		c.n_options = 1;
	}
	return c;
}

static int world_open(struct world *w, const struct herald_app_config *cfg)
{
	memset(w, 0, sizeof(*w));
	w->fh = fakehost_new();
	w->host = fakehost_host(w->fh);
	return drv->create_instance(w->host, fakehost_app(w->fh), cfg, &w->inst, w->err,
				    sizeof(w->err));
}

static void world_token(struct world *w)
{
	struct herald_attr attrs[2];
	struct herald_app_config c = token_config(attrs, "https://127.0.0.1:2197");

	CU_ASSERT_EQUAL_FATAL(world_open(w, &c), 0);
}

static void world_close(struct world *w)
{
	if (w->inst)
		drv->free_instance(w->inst);
	CU_ASSERT_EQUAL(fakehost_pools_live(w->fh), 0);
	CU_ASSERT_EQUAL(fakehost_keys_live(w->fh), 0);
	CU_ASSERT_EQUAL(fakehost_misuses(w->fh), 0);
	CU_ASSERT_FALSE(fakehost_log_contains(w->fh, "MIGHAgEA"));
	fakehost_free(w->fh);
}

static struct herald_notification note(const char *payload)
{
	return (struct herald_notification){
		.size = sizeof(struct herald_notification),
		.platform = "APNS",
		.token = TOKEN,
		.message_id = MSGID,
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

/* The bearer token of req, verified against the test key; its claims into *claims. */
static char *bearer(const struct fakehost_request *req, json_t **claims)
{
	const char *auth = fakehost_header(req, "authorization");
	char *hdr = NULL, *cl = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(auth);
	CU_ASSERT_EQUAL_FATAL(strncmp(auth, "bearer ", 7), 0);
	CU_ASSERT_EQUAL_FATAL(fakehost_jwt_verify(auth + 7, TESTKEYS_P8, &hdr, &cl), 0);
	CU_ASSERT_STRING_EQUAL(hdr, "{\"alg\":\"ES256\",\"kid\":\"" KEYID "\"}");
	if (claims)
		*claims = json_loads(cl, 0, NULL);
	free(hdr);
	free(cl);
	return strdup(auth + 7);
}

/* --- configuration ------------------------------------------------------------------------ */

static int check(struct herald_app_config *c, char *err, size_t n)
{
	struct fakehost *fh = fakehost_new();
	int rc = drv->check_config(fakehost_host(fh), fakehost_app(fh), c, err, n);

	CU_ASSERT_EQUAL(fakehost_keys_live(fh), 0);
	fakehost_free(fh);
	CU_ASSERT_PTR_NULL(strstr(err, "BEGIN"));
	CU_ASSERT_PTR_NULL(strstr(err, "MIGHAgEA"));
	return rc;
}

static void test_check_token_config(void)
{
	struct herald_attr attrs[2];
	struct herald_app_config c = token_config(attrs, NULL);
	char err[256] = "", *rsa = testkeys_key("RSA");

	CU_ASSERT_EQUAL(check(&c, err, sizeof(err)), 0);
	attrs[0].value = "short";
	CU_ASSERT_EQUAL(check(&c, err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ApplePlatformTeamID"));
	attrs[0].value = TEAM;
	attrs[1].value = "com/example";
	CU_ASSERT_EQUAL(check(&c, err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ApplePlatformBundleID"));
	attrs[1].value = BUNDLE;
	c.principal = "abc";
	c.principal_len = 3;
	CU_ASSERT_EQUAL(check(&c, err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "signing key ID"));
	c.principal = KEYID;
	c.principal_len = 10;
	c.credential = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAgarbage\n-----END PRIVATE KEY-----\n";
	c.credential_len = strlen(c.credential);
	CU_ASSERT_EQUAL(check(&c, err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "PlatformCredential"));
	c.credential = rsa;
	c.credential_len = strlen(rsa);
	CU_ASSERT_EQUAL(check(&c, err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "EC P-256"));
	c.n_attrs = 1; /* a team id without a bundle id */
	CU_ASSERT_EQUAL(check(&c, err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "both"));
	free(rsa);
}

static void test_check_cert_config(void)
{
	char *key = testkeys_key("EC"), *other = testkeys_key("EC");
	char *cert = testkeys_cert(key, BUNDLE, 365), *old = testkeys_cert(key, BUNDLE, -1);
	struct herald_app_config c = {.size = sizeof(c),
				      .platform = "APNS_SANDBOX",
				      .name = "app",
				      .principal = cert,
				      .principal_len = strlen(cert),
				      .credential = key,
				      .credential_len = strlen(key)};
	char err[256] = "";

	CU_ASSERT_EQUAL(check(&c, err, sizeof(err)), 0);
	c.credential = other;
	c.credential_len = strlen(other);
	CU_ASSERT_EQUAL(check(&c, err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not the private key of the certificate"));
	c.credential = key;
	c.credential_len = strlen(key);
	c.principal = "not a certificate";
	c.principal_len = strlen(c.principal);
	CU_ASSERT_EQUAL(check(&c, err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a PEM certificate"));
	c.principal = old;
	c.principal_len = strlen(old);
	CU_ASSERT_EQUAL(check(&c, err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "expired"));
	free(key);
	free(other);
	free(cert);
	free(old);
}

/* The origin by platform and options: Apple's hosts, port 2197, or a url. */
static void test_origin(void)
{
	struct herald_attr attrs[2], opt[1];
	struct herald_app_config c = token_config(attrs, NULL);
	struct world w;

	CU_ASSERT_EQUAL_FATAL(world_open(&w, &c), 0);
	CU_ASSERT_STRING_EQUAL(fakehost_pool(w.fh, 0)->origin, "https://api.push.apple.com");
	CU_ASSERT_EQUAL(fakehost_pool(w.fh, 0)->version, HERALD_HTTP_2);
	world_close(&w);
	c.platform = "APNS_SANDBOX";
	opt[0] = (struct herald_attr){"port", "2197"};
	c.options = opt;
	c.n_options = 1;
	CU_ASSERT_EQUAL_FATAL(world_open(&w, &c), 0);
	CU_ASSERT_STRING_EQUAL(fakehost_pool(w.fh, 0)->origin,
			       "https://api.sandbox.push.apple.com:2197");
	world_close(&w);
	opt[0] = (struct herald_attr){"url", "https://127.0.0.1:4443/"};
	CU_ASSERT_EQUAL_FATAL(world_open(&w, &c), 0);
	CU_ASSERT_STRING_EQUAL(fakehost_pool(w.fh, 0)->origin, "https://127.0.0.1:4443");
	world_close(&w);
	opt[0] = (struct herald_attr){"url", "http://127.0.0.1:4443/x"};
	CU_ASSERT_EQUAL(world_open(&w, &c), HERALD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.err, "url"));
	world_close(&w);
}

static void test_needs_abi_1_1(void)
{
	struct herald_attr attrs[2];
	struct herald_app_config c = token_config(attrs, NULL);
	struct world w = {0};

	w.fh = fakehost_new();
	fakehost_host(w.fh)->size = offsetof(struct herald_host, http_pool_new);
	CU_ASSERT_EQUAL(drv->create_instance(fakehost_host(w.fh), fakehost_app(w.fh), &c, &w.inst,
					     w.err, sizeof(w.err)),
			HERALD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.err, "heraldd 0.2"));
	w.inst = NULL;
	world_close(&w);
}

static void test_validate_token(void)
{
	char err[128];
	char long_tok[202];

	CU_ASSERT_EQUAL(drv->validate_token("APNS", TOKEN, 64, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(drv->validate_token("APNS", TOKEN TOKEN, 128, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(drv->validate_token("APNS", TOKEN, 62, err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_EQUAL(drv->validate_token("APNS", TOKEN "a", 65, err, sizeof(err)),
			HERALD_EINVAL);
	CU_ASSERT_EQUAL(drv->validate_token(
				"APNS",
				"g1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
				64, err, sizeof(err)),
			HERALD_EINVAL);
	memset(long_tok, 'a', 202);
	CU_ASSERT_EQUAL(drv->validate_token("APNS", long_tok, 202, err, sizeof(err)),
			HERALD_EINVAL);
}

/* --- requests ----------------------------------------------------------------------------- */

static void test_request_exact(void)
{
	struct world w;
	struct herald_notification n = note("{\"aps\":{\"alert\":\"hi\"}}");
	const struct fakehost_request *r;
	json_t *claims = NULL;
	char *jwt;
	time_t before = time(NULL);

	world_token(&w);
	n.ttl_s = 3600;
	n.expiration_ms = 1900000000123LL;
	n.collapse_id = "scores";
	n.priority = 10;
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 1), 0);
	CU_ASSERT_EQUAL(fakehost_noutcomes(w.fh), 0);
	r = last_request(&w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_STRING_EQUAL(r->method, "POST");
	CU_ASSERT_STRING_EQUAL(r->url, "https://127.0.0.1:2197/3/device/" TOKEN);
	CU_ASSERT_STRING_EQUAL(r->body, "{\"aps\":{\"alert\":\"hi\"}}");
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "apns-push-type"), "alert");
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "apns-priority"), "10");
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "apns-topic"), BUNDLE);
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "apns-expiration"), "1900000000");
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "apns-collapse-id"), "scores");
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "apns-id"),
			       "5b9e0d1c-7a43-4f6e-9c2b-1d2e3f405162");
	CU_ASSERT_EQUAL(r->n_headers, 7);
	for (size_t i = 0; i < r->n_headers; i++)
		CU_ASSERT_EQUAL(fakehost_header_count(r, r->hnames[i]), 1);
	jwt = bearer(r, &claims);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(claims, "iss")), TEAM);
	CU_ASSERT_TRUE(json_integer_value(json_object_get(claims, "iat")) >= before);
	CU_ASSERT_TRUE(json_integer_value(json_object_get(claims, "iat")) <= time(NULL));
	CU_ASSERT_EQUAL(json_object_size(claims), 2);
	fakehost_respond(w.fh, 200, NULL, "apns-id", "5b9e0d1c-7a43-4f6e-9c2b-1d2e3f405162", NULL);
	CU_ASSERT_EQUAL(fakehost_run(w.fh), 1);
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 1)->kind, HERALD_OUTCOME_DELIVERED);
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 1)->status, 200);
	json_decref(claims);
	free(jwt);
	world_close(&w);
}

/*
 * Minimal headers: no priority, collapse id or apns-id unless asked; TTL 0 is
 * "0"; no TTL (ttl_s -1) is no apns-expiration, whatever the broker's own
 * expiry, so APNs's storage policy holds.
 */
static void test_request_minimal(void)
{
	struct world w;
	struct herald_notification n = note("{\"aps\":{\"badge\":3}}");
	const struct fakehost_request *r;

	world_token(&w);
	n.message_id = "not-a-uuid";
	n.ttl_s = 0;
	n.expiration_ms = 1900000000000LL;
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 1), 0);
	r = last_request(&w);
	CU_ASSERT_PTR_NULL(fakehost_header(r, "apns-priority"));
	CU_ASSERT_PTR_NULL(fakehost_header(r, "apns-collapse-id"));
	CU_ASSERT_PTR_NULL(fakehost_header(r, "apns-id"));
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "apns-expiration"), "0");
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "apns-push-type"), "alert");
	n.ttl_s = -1;
	n.expiration_ms = 1900000000000LL; /* the broker's own expiry, not a TTL */
	n.topic = "com.other.app";
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 2), 0);
	r = last_request(&w);
	CU_ASSERT_PTR_NULL(fakehost_header(r, "apns-expiration"));
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "apns-topic"), "com.other.app");
	fakehost_respond(w.fh, 200, NULL, NULL);
	fakehost_respond(w.fh, 200, NULL, NULL);
	fakehost_run(w.fh);
	world_close(&w);
}

static const char *sent_type(struct world *w, const char *payload, const char *given,
			     const char **priority, const char **topic)
{
	struct herald_notification n = note(payload);
	const struct fakehost_request *r;

	n.push_type = given;
	n.priority = 10;
	CU_ASSERT_EQUAL(drv->send(w->inst, &n, fakehost_nrequests(w->fh) + 100), 0);
	r = last_request(w);
	*priority = fakehost_header(r, "apns-priority");
	*topic = fakehost_header(r, "apns-topic");
	return fakehost_header(r, "apns-push-type");
}

static void test_push_type(void)
{
	struct world w;
	const char *prio, *topic;

	world_token(&w);
	CU_ASSERT_STRING_EQUAL(
		sent_type(&w, "{\"aps\":{\"content-available\":1}}", NULL, &prio, &topic),
		"background");
	CU_ASSERT_STRING_EQUAL(prio, "5");
	CU_ASSERT_STRING_EQUAL(topic, BUNDLE);
	CU_ASSERT_STRING_EQUAL(sent_type(&w, "{\"aps\":{\"content-available\":true},\"k\":1}", NULL,
					 &prio, &topic),
			       "background");
	CU_ASSERT_STRING_EQUAL(sent_type(&w, "{\"aps\":{\"content-available\":1,\"sound\":\"x\"}}",
					 NULL, &prio, &topic),
			       "alert");
	CU_ASSERT_STRING_EQUAL(prio, "10");
	CU_ASSERT_STRING_EQUAL(
		sent_type(&w, "{\"aps\":{\"content-available\":0}}", NULL, &prio, &topic), "alert");
	CU_ASSERT_STRING_EQUAL(
		sent_type(&w, "{\"aps\":{\"content-available\":\"1\"}}", NULL, &prio, &topic),
		"alert");
	CU_ASSERT_STRING_EQUAL(sent_type(&w, "{\"aps\":{}}", "voip", &prio, &topic), "voip");
	CU_ASSERT_STRING_EQUAL(topic, BUNDLE ".voip");
	sent_type(&w, "{\"aps\":{}}", "liveactivity", &prio, &topic);
	CU_ASSERT_STRING_EQUAL(topic, BUNDLE ".push-type.liveactivity");
	sent_type(&w, "{\"aps\":{}}", "complication", &prio, &topic);
	CU_ASSERT_STRING_EQUAL(topic, BUNDLE ".complication");
	sent_type(&w, "{\"aps\":{}}", "fileprovider", &prio, &topic);
	CU_ASSERT_STRING_EQUAL(topic, BUNDLE ".pushkit.fileprovider");
	sent_type(&w, "{\"aps\":{}}", "location", &prio, &topic);
	CU_ASSERT_STRING_EQUAL(topic, BUNDLE ".location-query");
	sent_type(&w, "{\"aps\":{}}", "pushtotalk", &prio, &topic);
	CU_ASSERT_STRING_EQUAL(topic, BUNDLE ".voip-ptt");
	/* background with an explicit priority 10: Apple refuses it, the driver sends 5 */
	sent_type(&w, "{\"aps\":{}}", "background", &prio, &topic);
	CU_ASSERT_STRING_EQUAL(prio, "5");
	world_close(&w);
}

/* A text payload (SNS "default") becomes an alert. */
static void test_text_payload(void)
{
	struct world w;
	struct herald_notification n = note("Hello \"you\"");

	world_token(&w);
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 1), 0);
	CU_ASSERT_STRING_EQUAL(last_request(&w)->body,
			       "{\"aps\":{\"alert\":\"Hello \\\"you\\\"\"}}");
	CU_ASSERT_STRING_EQUAL(fakehost_header(last_request(&w), "apns-push-type"), "alert");
	world_close(&w);
}

static char *payload_of(size_t size)
{
	static const char head[] = "{\"aps\":{},\"pad\":\"";
	char *p = malloc(size + 1);

	memcpy(p, head, sizeof(head) - 1);
	memset(p + sizeof(head) - 1, 'x', size - (sizeof(head) - 1) - 2);
	memcpy(p + size - 2, "\"}", 3);
	return p;
}

static void test_payload_limit(void)
{
	struct world w;
	char *ok = payload_of(4096), *big = payload_of(4097), *voip = payload_of(5120),
	     *vbig = payload_of(5121);
	struct herald_notification n = note(ok);

	world_token(&w);
	CU_ASSERT_EQUAL(strlen(big), 4097);
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 1), 0);
	CU_ASSERT_EQUAL(fakehost_nrequests(w.fh), 1);
	n = note(big);
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 2), 0);
	CU_ASSERT_EQUAL(fakehost_nrequests(w.fh), 1);
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 2)->kind, HERALD_OUTCOME_PAYLOAD_REJECTED);
	n = note(voip);
	n.push_type = "voip";
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 3), 0);
	CU_ASSERT_EQUAL(fakehost_nrequests(w.fh), 2);
	n = note(vbig);
	n.push_type = "voip";
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 4), 0);
	CU_ASSERT_EQUAL(fakehost_nrequests(w.fh), 2);
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 4)->kind, HERALD_OUTCOME_PAYLOAD_REJECTED);
	n = note("");
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 5), 0);
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 5)->kind, HERALD_OUTCOME_PAYLOAD_REJECTED);
	n = note("{}");
	n.collapse_id = "0123456789012345678901234567890123456789012345678901234567890123456789";
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 6), 0);
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 6)->kind, HERALD_OUTCOME_PAYLOAD_REJECTED);
	n = note("{}");
	n.token = "../../3/device/00"; /* never into the path */
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 7), 0);
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 7)->kind, HERALD_OUTCOME_TOKEN_INVALID);
	CU_ASSERT_EQUAL(fakehost_nrequests(w.fh), 2);
	free(ok);
	free(big);
	free(voip);
	free(vbig);
	world_close(&w);
}

/* --- outcomes ----------------------------------------------------------------------------- */

static const struct {
	int status;
	const char *reason;
	int kind;
} outcome_table[] = {
	{400, "BadDeviceToken", HERALD_OUTCOME_TOKEN_INVALID},
	{400, "DeviceTokenNotForTopic", HERALD_OUTCOME_TOKEN_INVALID},
	{410, "ExpiredToken", HERALD_OUTCOME_TOKEN_INVALID},
	{400, "BadCollapseId", HERALD_OUTCOME_PAYLOAD_REJECTED},
	{400, "BadExpirationDate", HERALD_OUTCOME_PAYLOAD_REJECTED},
	{400, "BadMessageId", HERALD_OUTCOME_PAYLOAD_REJECTED},
	{400, "BadPriority", HERALD_OUTCOME_PAYLOAD_REJECTED},
	{400, "BadTopic", HERALD_OUTCOME_PAYLOAD_REJECTED},
	{400, "DuplicateHeaders", HERALD_OUTCOME_PAYLOAD_REJECTED},
	{400, "InvalidPushType", HERALD_OUTCOME_PAYLOAD_REJECTED},
	{400, "MissingDeviceToken", HERALD_OUTCOME_PAYLOAD_REJECTED},
	{400, "MissingTopic", HERALD_OUTCOME_PAYLOAD_REJECTED},
	{400, "PayloadEmpty", HERALD_OUTCOME_PAYLOAD_REJECTED},
	{400, "TopicDisallowed", HERALD_OUTCOME_PAYLOAD_REJECTED},
	{404, "BadPath", HERALD_OUTCOME_PAYLOAD_REJECTED},
	{405, "MethodNotAllowed", HERALD_OUTCOME_PAYLOAD_REJECTED},
	{413, "PayloadTooLarge", HERALD_OUTCOME_PAYLOAD_REJECTED},
	{400, "IdleTimeout", HERALD_OUTCOME_RETRY},
	{403, "BadCertificate", HERALD_OUTCOME_CREDENTIAL_ERROR},
	{403, "BadCertificateEnvironment", HERALD_OUTCOME_CREDENTIAL_ERROR},
	{403, "Forbidden", HERALD_OUTCOME_CREDENTIAL_ERROR},
	{403, "InvalidProviderToken", HERALD_OUTCOME_CREDENTIAL_ERROR},
	{403, "MissingProviderToken", HERALD_OUTCOME_CREDENTIAL_ERROR},
	{403, "UnrelatedKeyIdInToken", HERALD_OUTCOME_CREDENTIAL_ERROR},
	{403, "BadEnvironmentKeyIdInToken", HERALD_OUTCOME_CREDENTIAL_ERROR},
	{429, "TooManyProviderTokenUpdates", HERALD_OUTCOME_RETRY},
	{429, "TooManyRequests", HERALD_OUTCOME_RETRY},
	{500, "InternalServerError", HERALD_OUTCOME_RETRY},
	{503, "ServiceUnavailable", HERALD_OUTCOME_RETRY},
	{503, "Shutdown", HERALD_OUTCOME_RETRY},
	{502, NULL, HERALD_OUTCOME_RETRY},
	{400, NULL, HERALD_OUTCOME_PAYLOAD_REJECTED},
};

static void test_outcomes(void)
{
	struct world w;
	struct herald_notification n = note("{\"aps\":{\"alert\":\"x\"}}");
	size_t count = sizeof(outcome_table) / sizeof(outcome_table[0]);
	const struct fakehost_outcome *o;
	char body[128];

	world_token(&w);
	for (size_t i = 0; i < count; i++) {
		CU_ASSERT_EQUAL(drv->send(w.inst, &n, i + 1), 0);
		if (outcome_table[i].reason)
			snprintf(body, sizeof(body), "{\"reason\":\"%s\"}",
				 outcome_table[i].reason);
		else
			snprintf(body, sizeof(body), "<html>bad gateway</html>");
		fakehost_respond(w.fh, outcome_table[i].status, body, "apns-id", "x", NULL);
		fakehost_run(w.fh);
		o = fakehost_outcome(w.fh, i + 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		if (o->kind != outcome_table[i].kind)
			fprintf(stderr, "\n  %d %s: kind %d, want %d\n", outcome_table[i].status,
				body, o->kind, outcome_table[i].kind);
		CU_ASSERT_EQUAL(o->kind, outcome_table[i].kind);
		CU_ASSERT_EQUAL(o->status, outcome_table[i].status);
		CU_ASSERT_STRING_EQUAL(o->response, body);
	}
	CU_ASSERT_EQUAL(fakehost_nrequests(w.fh), count);
	/* a credential failure is logged once, not per notification */
	CU_ASSERT_TRUE(fakehost_logged(w.fh, HERALD_LOG_ERR, "BadCertificate"));
	CU_ASSERT_FALSE(fakehost_logged(w.fh, HERALD_LOG_ERR, "Forbidden"));
	world_close(&w);
}

static void test_outcome_details(void)
{
	struct world w;
	struct herald_notification n = note("{\"aps\":{\"alert\":\"x\"}}");
	const struct fakehost_outcome *o;

	world_token(&w);
	for (uint64_t id = 1; id <= 4; id++)
		CU_ASSERT_EQUAL(drv->send(w.inst, &n, id), 0);
	fakehost_respond(w.fh, 410, "{\"reason\":\"Unregistered\",\"timestamp\":1700000000123}",
			 NULL);
	fakehost_respond(w.fh, 429, "{\"reason\":\"TooManyRequests\"}", "retry-after", "30", NULL);
	fakehost_fail(w.fh, "reset", 0);
	fakehost_respond(w.fh, 503, "{\"reason\":\"ServiceUnavailable\"}", NULL);
	CU_ASSERT_EQUAL(fakehost_run(w.fh), 4);
	o = fakehost_outcome(w.fh, 1);
	CU_ASSERT_EQUAL(o->kind, HERALD_OUTCOME_TOKEN_INVALID);
	CU_ASSERT_EQUAL(o->invalid_since_ms, 1700000000123LL);
	CU_ASSERT_EQUAL(o->status, 410);
	o = fakehost_outcome(w.fh, 2);
	CU_ASSERT_EQUAL(o->kind, HERALD_OUTCOME_RETRY);
	CU_ASSERT_EQUAL(o->retry_after_ms, 30000);
	o = fakehost_outcome(w.fh, 3);
	CU_ASSERT_EQUAL(o->kind, HERALD_OUTCOME_RETRY);
	CU_ASSERT_EQUAL(o->status, 0);
	CU_ASSERT_STRING_EQUAL(o->response, "reset");
	o = fakehost_outcome(w.fh, 4);
	CU_ASSERT_EQUAL(o->kind, HERALD_OUTCOME_RETRY);
	CU_ASSERT_EQUAL(o->retry_after_ms, -1);
	CU_ASSERT_EQUAL(fakehost_duplicates(w.fh), 0);
	/* Shutdown: retried, on a new connection; the old one closes once idle */
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 5), 0);
	fakehost_respond(w.fh, 503, "{\"reason\":\"Shutdown\"}", NULL);
	fakehost_run(w.fh);
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 5)->kind, HERALD_OUTCOME_RETRY);
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 6), 0);
	CU_ASSERT_EQUAL(fakehost_request(w.fh, fakehost_nrequests(w.fh) - 1)->pool, 1);
	fakehost_advance(w.fh, 0);
	CU_ASSERT_TRUE(fakehost_pool(w.fh, 0)->freed);
	world_close(&w);
}

/* The pool is saturated: send() refuses, nothing is reported for that id. */
static void test_busy(void)
{
	struct world w;
	struct herald_notification n = note("{}");

	world_token(&w);
	fakehost_request_refuse(w.fh, HERALD_EAGAIN);
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 1), HERALD_EAGAIN);
	fakehost_request_refuse(w.fh, 0);
	CU_ASSERT_EQUAL(fakehost_noutcomes(w.fh), 0);
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 1), 0);
	fakehost_respond(w.fh, 200, NULL, NULL);
	fakehost_run(w.fh);
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 1)->kind, HERALD_OUTCOME_DELIVERED);
	world_close(&w);
}

/* --- provider token ----------------------------------------------------------------------- */

static char *send_and_token(struct world *w, uint64_t id)
{
	struct herald_notification n = note("{}");

	CU_ASSERT_EQUAL(drv->send(w->inst, &n, id), 0);
	fakehost_respond(w->fh, 200, NULL, NULL);
	fakehost_run(w->fh);
	return bearer(last_request(w), NULL);
}

static void test_token_lifetime(void)
{
	struct world w;
	char *t1, *t2, *t3, *t4;

	world_token(&w);
	CU_ASSERT_EQUAL(fakehost_counter(w.fh, "provider_tokens"), 0); /* signed on first use */
	t1 = send_and_token(&w, 1);
	t2 = send_and_token(&w, 2);
	CU_ASSERT_STRING_EQUAL(t1, t2);
	fakehost_advance(w.fh, 39 * MINUTES);
	t3 = send_and_token(&w, 3);
	CU_ASSERT_STRING_EQUAL(t1, t3); /* never replaced before 20 minutes, kept to 40 */
	fakehost_advance(w.fh, 1 * MINUTES);
	t4 = send_and_token(&w, 4);
	CU_ASSERT_STRING_NOT_EQUAL(t1, t4); /* replaced well before Apple's hour */
	CU_ASSERT_EQUAL(fakehost_counter(w.fh, "provider_tokens"), 2);
	CU_ASSERT_EQUAL(fakehost_npools(w.fh), 1); /* a timely refresh keeps the connection */
	/* idle for hours: the next send signs one new token, not one per period */
	fakehost_advance(w.fh, 300 * MINUTES);
	free(t1);
	t1 = send_and_token(&w, 5);
	CU_ASSERT_STRING_NOT_EQUAL(t1, t4);
	CU_ASSERT_EQUAL(fakehost_counter(w.fh, "provider_tokens"), 3);
	free(t1);
	free(t2);
	free(t3);
	free(t4);
	world_close(&w);
}

static void test_expired_provider_token(void)
{
	struct world w;
	struct herald_notification n = note("{\"aps\":{\"alert\":\"x\"}}");
	char *t1, *t2, *t3;

	world_token(&w);
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 1), 0);
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 2), 0);
	t1 = bearer(fakehost_request(w.fh, 0), NULL);
	fakehost_respond(w.fh, 403, "{\"reason\":\"ExpiredProviderToken\"}", NULL);
	fakehost_respond(w.fh, 403, "{\"reason\":\"ExpiredProviderToken\"}", NULL);
	fakehost_respond(w.fh, 200, NULL, NULL);
	fakehost_respond(w.fh, 200, NULL, NULL);
	CU_ASSERT_EQUAL(fakehost_run(w.fh), 4);
	/* both resent once, with one new token, on a new connection */
	CU_ASSERT_EQUAL(fakehost_nrequests(w.fh), 4);
	t2 = bearer(fakehost_request(w.fh, 2), NULL);
	t3 = bearer(fakehost_request(w.fh, 3), NULL);
	CU_ASSERT_STRING_NOT_EQUAL(t1, t2);
	CU_ASSERT_STRING_EQUAL(t2, t3);
	CU_ASSERT_EQUAL(fakehost_request(w.fh, 2)->pool, 1);
	CU_ASSERT_EQUAL(fakehost_request(w.fh, 3)->pool, 1);
	CU_ASSERT_STRING_EQUAL(fakehost_request(w.fh, 2)->body, "{\"aps\":{\"alert\":\"x\"}}");
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 1)->kind, HERALD_OUTCOME_DELIVERED);
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 2)->kind, HERALD_OUTCOME_DELIVERED);
	CU_ASSERT_EQUAL(fakehost_counter(w.fh, "provider_tokens"), 2);
	/* the old connection is closed once its requests are answered */
	fakehost_advance(w.fh, 0);
	CU_ASSERT_TRUE(fakehost_pool(w.fh, 0)->freed);
	CU_ASSERT_FALSE(fakehost_pool(w.fh, 1)->freed);
	/* expired again right after the resend: a credential error, no third try */
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 3), 0);
	fakehost_respond(w.fh, 403, "{\"reason\":\"ExpiredProviderToken\"}", NULL);
	fakehost_respond(w.fh, 403, "{\"reason\":\"ExpiredProviderToken\"}", NULL);
	fakehost_run(w.fh);
	CU_ASSERT_EQUAL(fakehost_nrequests(w.fh), 6);
	CU_ASSERT_EQUAL(fakehost_outcome(w.fh, 3)->kind, HERALD_OUTCOME_CREDENTIAL_ERROR);
	free(t1);
	free(t2);
	free(t3);
	world_close(&w);
}

/* --- certificate authentication ------------------------------------------------------------ */

static void test_cert_auth(void)
{
	char *key = testkeys_key("EC"), *cert = testkeys_cert(key, BUNDLE, 10);
	struct herald_attr opt[] = {{"url", "https://127.0.0.1:2197"}};
	struct herald_app_config c = {.size = sizeof(c),
				      .platform = "APNS",
				      .name = "app",
				      .principal = cert,
				      .principal_len = strlen(cert),
				      .credential = key,
				      .credential_len = strlen(key),
				      .options = opt,
				      .n_options = 1};
	struct herald_notification n = note("{\"aps\":{\"alert\":\"x\"}}");
	const struct fakehost_pool *p;
	struct world w;

	CU_ASSERT_EQUAL_FATAL(world_open(&w, &c), 0);
	p = fakehost_pool(w.fh, 0);
	CU_ASSERT_EQUAL(p->client_cert_len, strlen(cert));
	CU_ASSERT_STRING_EQUAL(p->client_cert, cert);
	CU_ASSERT_STRING_EQUAL(p->client_key, key);
	n.push_type = "voip";
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 1), 0);
	CU_ASSERT_PTR_NULL(fakehost_header(last_request(&w), "authorization"));
	CU_ASSERT_STRING_EQUAL(fakehost_header(last_request(&w), "apns-topic"), BUNDLE ".voip");
	fakehost_respond(w.fh, 200, NULL, NULL);
	fakehost_run(w.fh);
	/* 10 days left: a warning now and a gauge; checked again daily */
	CU_ASSERT_EQUAL(fakehost_counter(w.fh, "cert_days_left"), 10);
	CU_ASSERT_EQUAL(fakehost_counter(w.fh, "cert_expiry_warnings"), 1);
	CU_ASSERT_TRUE(fakehost_logged(w.fh, HERALD_LOG_WARNING, "expires in 10 days"));
	fakehost_advance(w.fh, 24 * 60 * MINUTES);
	CU_ASSERT_EQUAL(fakehost_counter(w.fh, "cert_expiry_warnings"), 2);
	world_close(&w);
	free(cert);
	/* a year left: no warning */
	cert = testkeys_cert(key, BUNDLE, 365);
	c.principal = cert;
	c.principal_len = strlen(cert);
	CU_ASSERT_EQUAL_FATAL(world_open(&w, &c), 0);
	CU_ASSERT_EQUAL(fakehost_counter(w.fh, "cert_days_left"), 365);
	CU_ASSERT_EQUAL(fakehost_counter(w.fh, "cert_expiry_warnings"), 0);
	world_close(&w);
	free(cert);
	free(key);
}

/* Freed with a request in flight: nothing is reported afterwards, nothing leaks. */
static void test_free_inflight(void)
{
	struct world w;
	struct herald_notification n = note("{}");

	world_token(&w);
	CU_ASSERT_EQUAL(drv->send(w.inst, &n, 1), 0);
	drv->drain(w.inst);
	CU_ASSERT_EQUAL(fakehost_pools_live(w.fh), 1);
	drv->free_instance(w.inst);
	w.inst = NULL;
	CU_ASSERT_EQUAL(fakehost_noutcomes(w.fh), 0);
	CU_ASSERT_EQUAL(fakehost_timers_pending(w.fh), 0);
	world_close(&w);
}

/* The built module: one exported symbol, the descriptor heraldd expects. */
static void test_module(void)
{
	void *h;
	const struct herald_driver *d = modload("plugins/apns/.libs/apns.so", &h);

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_PTR_NULL(dlsym(h, "apns_classify")); /* internals stay hidden */
	CU_ASSERT_STRING_EQUAL(d->name, "apns");
	CU_ASSERT_EQUAL(d->abi_major, 1);
	CU_ASSERT_EQUAL(d->abi_minor, 1);
	CU_ASSERT_EQUAL(d->size, sizeof(struct herald_driver));
	CU_ASSERT_STRING_EQUAL(d->platforms[0], "APNS");
	CU_ASSERT_STRING_EQUAL(d->platforms[1], "APNS_SANDBOX");
	CU_ASSERT_PTR_NULL(d->platforms[2]);
	CU_ASSERT_PTR_NOT_NULL(d->drain);
	dlclose(h);
}

static int init(void)
{
	drv = herald_driver_query(HERALD_DRIVER_ABI_MAJOR, HERALD_DRIVER_ABI_MINOR);
	return drv ? 0 : 1;
}

static CU_TestInfo tests[] = {
	{"token auth configuration is checked offline, without quoting the key",
	 test_check_token_config},
	{"certificate auth: a PEM certificate, its own key, not expired", test_check_cert_config},
	{"Apple's hosts by platform, port 2197, or a url option", test_origin},
	{"a 1.0 host table is refused with the version needed", test_needs_abi_1_1},
	{"device tokens: even-length hex, 64 to 200 digits", test_validate_token},
	{"the exact request: URL, headers, body and a verifiable ES256 token", test_request_exact},
	{"absent options send no header (no TTL: no apns-expiration); TTL 0 is apns-expiration 0",
	 test_request_minimal},
	{"push type inferred as SNS does; topics and priority follow it", test_push_type},
	{"a text payload becomes an alert", test_text_payload},
	{"4096 bytes (5120 voip) at most, refused without a request", test_payload_limit},
	{"every reason string maps to its outcome", test_outcomes},
	{"410 timestamp, Retry-After, transport failures", test_outcome_details},
	{"a saturated pool refuses the send, reporting nothing", test_busy},
	{"the provider token lives 40 minutes and is signed only when used", test_token_lifetime},
	{"ExpiredProviderToken: one new token, one resend, on a new connection",
	 test_expired_provider_token},
	{"certificate auth: client certificate, UID topic, expiry warnings", test_cert_auth},
	{"freeing with a request in flight reports nothing and leaks nothing", test_free_inflight},
	{"the built module exports only its descriptor", test_module},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	return fx_run_suite("apns", init, NULL, tests);
}
