/*
 * Platform applications and endpoints (broker/ops_platform.c), called the way
 * a front-end calls them.  Expected messages are AWS's recorded ones
 * (reference/aws-recorded-errors.md) wherever AWS's are known.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/fixture.h"

#define APP_ARN	  "arn:aws:sns:us-east-1:000000000000:app/ADM/app"
#define CRED	  "s3cr3t-client-secret"
#define PRINCIPAL "amzn1.application-oa2-client.pr1nc1pal"

static struct fixture fx;
static json_t *effects; /* what the api reported after each commit */

static void on_effect(void *arg, json_t *effect)
{
	json_array_append(effects, effect);
}

static void setup(void)
{
	CU_ASSERT_FATAL(fx_setup(&fx) == 0);
	effects = json_array();
	api_set_effect_hook(fx.api, on_effect, NULL);
}

static void teardown(void)
{
	fx_teardown(&fx);
	json_decref(effects);
}

/* True if the JSON text of v contains s anywhere. */
static bool dump_contains(json_t *v, const char *s)
{
	char *text = json_dumps(v, JSON_ENCODE_ANY);
	bool found = text && strstr(text, s);

	free(text);
	return found;
}

#define CALL_OK(op, ...) FX_OK(&fx, op, __VA_ARGS__)

#define CALL_ERR(code, status, msg, op, ...) FX_FAILS(&fx, code, status, msg, op, __VA_ARGS__)

static void create_adm_app(void)
{
	json_t *r = CALL_OK("CreatePlatformApplication", "{s:s, s:s, s:{s:s, s:s}}", "Name", "app",
			    "Platform", "ADM", "Attributes", "PlatformCredential", CRED,
			    "PlatformPrincipal", PRINCIPAL);

	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "PlatformApplicationArn")),
			       APP_ARN);
	json_decref(r);
}

/* New endpoint for token in the ADM app; returns its ARN (malloc'd). */
static char *create_endpoint(const char *token)
{
	json_t *r = CALL_OK("CreatePlatformEndpoint", "{s:s, s:s}", "PlatformApplicationArn",
			    APP_ARN, "Token", token);
	char *arn = strdup(json_string_value(json_object_get(r, "EndpointArn")));

	json_decref(r);
	return arn;
}

static void assert_json(json_t *got, const char *expected_text)
{
	json_t *want = json_loads(expected_text, 0, NULL);
	bool eq = json_equal(got, want);

	if (!eq) {
		char *g = json_dumps(got, JSON_SORT_KEYS | JSON_ENCODE_ANY);

		fprintf(stderr, "\n  got %s\n  want %s\n", g, expected_text);
		free(g);
	}
	CU_ASSERT(eq);
	json_decref(want);
}

/* Run fn inside a store job, as operations do. */
struct job {
	int (*fn)(struct store_txn *txn, void *arg);
	void *arg;
	int rc;
};

static int job_run(struct store_txn *txn, void *arg)
{
	struct job *j = arg;

	j->rc = j->fn(txn, j->arg);
	return j->rc;
}

static void job_done(void *arg, int status)
{
}

static int in_store(int (*fn)(struct store_txn *, void *), void *arg)
{
	struct job j = {fn, arg, -1};

	CU_ASSERT_EQUAL(store_submit(fx.store, job_run, job_done, &j), 0);
	return j.rc;
}

static int put_topic(struct store_txn *txn, void *arg)
{
	struct store_rec rec = {
		.arn = arg,
		.kind = STORE_TOPIC,
		.parent = "",
		.attrs = json_object(),
	};
	int rc = store_put(txn, &rec);

	json_decref(rec.attrs);
	return rc;
}

/* ---- applications ------------------------------------------------------ */

static void test_app_create_get_list(void)
{
	json_t *r;

	setup();
	r = CALL_OK("ListPlatformApplications", NULL);
	assert_json(r, "{\"PlatformApplications\": []}");
	json_decref(r);

	create_adm_app();
	r = CALL_OK("GetPlatformApplicationAttributes", "{s:s}", "PlatformApplicationArn", APP_ARN);
	assert_json(r, "{\"Attributes\": {\"Enabled\": \"true\"}}");
	json_decref(r);

	r = CALL_OK("ListPlatformApplications", "{}");
	assert_json(r, "{\"PlatformApplications\": [{\"PlatformApplicationArn\": \"" APP_ARN
		       "\", \"Attributes\": {\"Enabled\": \"true\"}}]}");
	json_decref(r);

	/* Every platform SNS supports, a name of 256 characters, every character allowed. */
	{
		static const char *const platforms[] = {"APNS",	 "APNS_SANDBOX", "GCM", "ADM",
							"BAIDU", "MPNS",	 "WNS"};
		char name[257];

		memset(name, 'a', 256);
		name[256] = '\0';
		memcpy(name, "Az09_-.", 7);
		for (size_t i = 0; i < 7; i++) {
			r = CALL_OK("CreatePlatformApplication", "{s:s, s:s, s:{s:s, s:s}}", "Name",
				    name, "Platform", platforms[i], "Attributes",
				    "PlatformCredential", "c", "PlatformPrincipal", "p");
			CU_ASSERT(strstr(json_string_value(
						 json_object_get(r, "PlatformApplicationArn")),
					 platforms[i]) != NULL);
			json_decref(r);
		}
	}
	r = CALL_OK("ListPlatformApplications", NULL);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "PlatformApplications")), 8);
	CU_ASSERT_PTR_NULL(json_object_get(r, "NextToken"));
	json_decref(r);
	teardown();
}

static void test_app_create_errors(void)
{
	char long_name[258], msg[400];

	setup();
	CALL_ERR("ValidationError", 400,
		 "1 validation error detected: Value null at 'attributes' failed to satisfy "
		 "constraint: Member must not be null",
		 "CreatePlatformApplication", "{s:s, s:s}", "Name", "app", "Platform", "ADM");
	CALL_ERR("ValidationError", 400,
		 "1 validation error detected: Value null at 'attributes' failed to satisfy "
		 "constraint: Member must not be null",
		 "CreatePlatformApplication", "{s:s, s:s, s:{}}", "Name", "app", "Platform", "ADM",
		 "Attributes");
	CALL_ERR("ValidationError", 400,
		 "1 validation error detected: Value null at 'name' failed to satisfy "
		 "constraint: Member must not be null",
		 "CreatePlatformApplication", "{s:s, s:{s:s}}", "Platform", "ADM", "Attributes",
		 "PlatformCredential", "c");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: Attributes Reason: PlatformPrincipal attribute provided "
		 "without PlatformCredential",
		 "CreatePlatformApplication", "{s:s, s:s, s:{s:s}}", "Name", "app", "Platform",
		 "ADM", "Attributes", "PlatformPrincipal", "p");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: Attributes Reason: PlatformCredential attribute provided "
		 "without PlatformPrincipal",
		 "CreatePlatformApplication", "{s:s, s:s, s:{s:s}}", "Name", "app", "Platform",
		 "ADM", "Attributes", "PlatformCredential", "c");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: Attributes Reason: Platform credentials are invalid",
		 "CreatePlatformApplication", "{s:s, s:s, s:{s:s}}", "Name", "app", "Platform",
		 "GCM", "Attributes", "SuccessFeedbackSampleRate", "5");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: Attributes Reason: Platform credentials are invalid",
		 "CreatePlatformApplication", "{s:s, s:s, s:{s:s, s:s}}", "Name", "app", "Platform",
		 "APNS", "Attributes", "PlatformCredential", "", "PlatformPrincipal", "p");

	memset(long_name, 'a', 257);
	long_name[257] = '\0';
	snprintf(msg, sizeof(msg),
		 "Invalid parameter: %s Reason: must be at most 256 characters long", long_name);
	CALL_ERR("InvalidParameter", 400, msg, "CreatePlatformApplication", "{s:s, s:s, s:{s:s}}",
		 "Name", long_name, "Platform", "ADM", "Attributes", "PlatformCredential", "c");
	CALL_ERR("InvalidParameter", 400, "Invalid parameter:  Reason: cannot be empty",
		 "CreatePlatformApplication", "{s:s, s:s, s:{s:s}}", "Name", "", "Platform", "ADM",
		 "Attributes", "PlatformCredential", "c");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: @name Reason: must contain only characters 'a'-'z', 'A'-'Z', "
		 "'0'-'9', '_', '-', and '.'",
		 "CreatePlatformApplication", "{s:s, s:s, s:{s:s}}", "Name", "@name", "Platform",
		 "ADM", "Attributes", "PlatformCredential", "c");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: Platform Reason: AAA is not supported",
		 "CreatePlatformApplication", "{s:s, s:s, s:{s:s}}", "Name", "app", "Platform",
		 "AAA", "Attributes", "PlatformCredential", "c");
	/* Platform names are case-sensitive, as in SNS. */
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: Platform Reason: gcm is not supported",
		 "CreatePlatformApplication", "{s:s, s:s, s:{s:s}}", "Name", "app", "Platform",
		 "gcm", "Attributes", "PlatformCredential", "c");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: Attributes Reason: Invalid attribute name: Enabledd",
		 "CreatePlatformApplication", "{s:s, s:s, s:{s:s, s:s}}", "Name", "app", "Platform",
		 "GCM", "Attributes", "PlatformCredential", "c", "Enabledd", "true");
	/* Read-only attributes cannot be written. */
	CALL_ERR(
		"InvalidParameter", 400,
		"Invalid parameter: Attributes Reason: Invalid attribute name: AuthenticationMethod",
		"CreatePlatformApplication", "{s:s, s:s, s:{s:s, s:s}}", "Name", "app", "Platform",
		"GCM", "Attributes", "PlatformCredential", "c", "AuthenticationMethod", "Key");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: EventEndpointCreated Reason: An ARN must have at least 6 "
		 "elements, not 1",
		 "CreatePlatformApplication", "{s:s, s:s, s:{s:s, s:s}}", "Name", "app", "Platform",
		 "GCM", "Attributes", "PlatformCredential", "c", "EventEndpointCreated", "topic");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: Attributes Reason: EventDeliveryFailure is not an existing "
		 "topic",
		 "CreatePlatformApplication", "{s:s, s:s, s:{s:s, s:s}}", "Name", "app", "Platform",
		 "GCM", "Attributes", "PlatformCredential", "c", "EventDeliveryFailure",
		 "arn:aws:sns:us-east-1:000000000000:nope");
	/* A topic of another region is not one of ours. */
	CALL_ERR("InvalidParameter", 400, "Invalid parameter: EventEndpointDeleted",
		 "CreatePlatformApplication", "{s:s, s:s, s:{s:s, s:s}}", "Name", "app", "Platform",
		 "GCM", "Attributes", "PlatformCredential", "c", "EventEndpointDeleted",
		 "arn:aws:sns:eu-west-1:000000000000:events");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: Attributes Reason: Invalid value for attribute: "
		 "SuccessFeedbackSampleRate: must be an integer from 0 to 100",
		 "CreatePlatformApplication", "{s:s, s:s, s:{s:s, s:s}}", "Name", "app", "Platform",
		 "GCM", "Attributes", "PlatformCredential", "c", "SuccessFeedbackSampleRate",
		 "101");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: Attributes Reason: Invalid value for attribute: "
		 "SuccessFeedbackSampleRate: must be an integer from 0 to 100",
		 "CreatePlatformApplication", "{s:s, s:s, s:{s:s, s:s}}", "Name", "app", "Platform",
		 "GCM", "Attributes", "PlatformCredential", "c", "SuccessFeedbackSampleRate", "-1");
	CALL_ERR(
		"InvalidParameter", 400,
		"Invalid parameter: Attributes Reason: the value of PlatformCredential must be a string",
		"CreatePlatformApplication", "{s:s, s:s, s:{s:i}}", "Name", "app", "Platform",
		"GCM", "Attributes", "PlatformCredential", 1);

	/* Nothing was created by any of these, and no effect was reported. */
	{
		json_t *r = CALL_OK("ListPlatformApplications", NULL);

		assert_json(r, "{\"PlatformApplications\": []}");
		json_decref(r);
	}
	CU_ASSERT_EQUAL(json_array_size(effects), 0);
	teardown();
}

static void test_app_attributes(void)
{
	const char *topic = "arn:aws:sns:us-east-1:000000000000:events";
	json_t *r;

	setup();
	CU_ASSERT_EQUAL(in_store(put_topic, (void *)topic), 0);
	r = CALL_OK("CreatePlatformApplication", "{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}}", "Name",
		    "fcm", "Platform", "GCM", "Attributes", "PlatformCredential", "AIzaKey",
		    "EventEndpointCreated", topic, "EventEndpointUpdated", topic,
		    "SuccessFeedbackSampleRate", "050", "SuccessFeedbackRoleArn",
		    "arn:aws:iam::000000000000:role/feedback");
	json_decref(r);
	r = CALL_OK("GetPlatformApplicationAttributes", "{s:s}", "PlatformApplicationArn",
		    "arn:aws:sns:us-east-1:000000000000:app/GCM/fcm");
	assert_json(r, "{\"Attributes\": {\"Enabled\": \"true\", \"AuthenticationMethod\": "
		       "\"Key\", \"EventEndpointCreated\": "
		       "\"arn:aws:sns:us-east-1:000000000000:events\", \"EventEndpointUpdated\": "
		       "\"arn:aws:sns:us-east-1:000000000000:events\", "
		       "\"SuccessFeedbackSampleRate\": \"50\", \"SuccessFeedbackRoleArn\": "
		       "\"arn:aws:iam::000000000000:role/feedback\"}}");
	json_decref(r);

	/* Set merges; an empty value clears an optional attribute. */
	r = CALL_OK("SetPlatformApplicationAttributes", "{s:s, s:{s:s, s:s}}",
		    "PlatformApplicationArn", "arn:aws:sns:us-east-1:000000000000:app/GCM/fcm",
		    "Attributes", "EventEndpointCreated", "", "SuccessFeedbackSampleRate", "100");
	assert_json(r, "{}");
	json_decref(r);
	r = CALL_OK("GetPlatformApplicationAttributes", "{s:s}", "PlatformApplicationArn",
		    "arn:aws:sns:us-east-1:000000000000:app/GCM/fcm");
	assert_json(r, "{\"Attributes\": {\"Enabled\": \"true\", \"AuthenticationMethod\": "
		       "\"Key\", \"EventEndpointUpdated\": "
		       "\"arn:aws:sns:us-east-1:000000000000:events\", "
		       "\"SuccessFeedbackSampleRate\": \"100\", \"SuccessFeedbackRoleArn\": "
		       "\"arn:aws:iam::000000000000:role/feedback\"}}");
	json_decref(r);

	/* A service-account JSON credential is FCM token authentication. */
	r = CALL_OK("SetPlatformApplicationAttributes", "{s:s, s:{s:s}}", "PlatformApplicationArn",
		    "arn:aws:sns:us-east-1:000000000000:app/GCM/fcm", "Attributes",
		    "PlatformCredential", " {\"type\": \"service_account\"}");
	json_decref(r);
	r = CALL_OK("GetPlatformApplicationAttributes", "{s:s}", "PlatformApplicationArn",
		    "arn:aws:sns:us-east-1:000000000000:app/GCM/fcm");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(r, "Attributes"),
								 "AuthenticationMethod")),
			       "Token");
	json_decref(r);
	teardown();
}

/* A self-signed certificate valid until 2036-11-20T10:20:44Z (openssl req -x509 -days 3650). */
static const char apns_cert[] = "-----BEGIN CERTIFICATE-----\n"
				"MIIBtDCCAVmgAwIBAgIUCvJiznLPzNow2SrK8JZYHE8VcyYwCgYIKoZIzj0EAwIw\n"
				"LzEtMCsGA1UEAwwkQXBwbGUgUHVzaCBTZXJ2aWNlczogY29tLmV4YW1wbGUuYXBw\n"
				"MB4XDTI2MTEyMzEwMjA0NFoXDTM2MTEyMDEwMjA0NFowLzEtMCsGA1UEAwwkQXBw\n"
				"bGUgUHVzaCBTZXJ2aWNlczogY29tLmV4YW1wbGUuYXBwMFkwEwYHKoZIzj0CAQYI\n"
				"KoZIzj0DAQcDQgAEwwcQ4vLiU3i/0mIoFmJH6FDg0+4FvVSrKha1QkXY0anHacGw\n"
				"ZeAkBHxJBn40Kc8Hs/4+8cQOcYzxxYSxhdeZ76NTMFEwHQYDVR0OBBYEFMMpYrqu\n"
				"VrFpWfdHwkCTklPfS2jSMB8GA1UdIwQYMBaAFMMpYrquVrFpWfdHwkCTklPfS2jS\n"
				"MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIhAJeZmRSp2VNxatuT\n"
				"dtpAqiR4ZvXq8tv9lsXzg7QKwKUwAiEAtGarb+XAXjXUNIWVaOKmiQz79NHyLq3M\n"
				"7YiSBTT5LS4=\n"
				"-----END CERTIFICATE-----\n";

static const char *auth_method(const char *arn)
{
	static char buf[32];
	json_t *r =
		CALL_OK("GetPlatformApplicationAttributes", "{s:s}", "PlatformApplicationArn", arn);
	const char *m = json_string_value(
		json_object_get(json_object_get(r, "Attributes"), "AuthenticationMethod"));

	snprintf(buf, sizeof(buf), "%s", m ? m : "(none)");
	json_decref(r);
	return buf;
}

static void test_app_authentication_method(void)
{
	json_t *r;

	setup();
	r = CALL_OK("CreatePlatformApplication", "{s:s, s:s, s:{s:s, s:s}}", "Name", "cert",
		    "Platform", "APNS", "Attributes", "PlatformCredential",
		    "-----BEGIN PRIVATE KEY-----", "PlatformPrincipal",
		    "-----BEGIN CERTIFICATE-----");
	json_decref(r);
	CU_ASSERT_STRING_EQUAL(auth_method("arn:aws:sns:us-east-1:000000000000:app/APNS/cert"),
			       "Certificate");
	/* A real certificate also gives its expiry date; the certificate itself stays secret. */
	r = CALL_OK("SetPlatformApplicationAttributes", "{s:s, s:{s:s}}", "PlatformApplicationArn",
		    "arn:aws:sns:us-east-1:000000000000:app/APNS/cert", "Attributes",
		    "PlatformPrincipal", apns_cert);
	json_decref(r);
	r = CALL_OK("GetPlatformApplicationAttributes", "{s:s}", "PlatformApplicationArn",
		    "arn:aws:sns:us-east-1:000000000000:app/APNS/cert");
	assert_json(r,
		    "{\"Attributes\": {\"Enabled\": \"true\", \"AuthenticationMethod\": "
		    "\"Certificate\", \"AppleCertificateExpiryDate\": \"2036-11-20T10:20:44Z\"}}");
	json_decref(r);
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: Attributes Reason: Invalid attribute name: "
		 "AppleCertificateExpiryDate",
		 "SetPlatformApplicationAttributes", "{s:s, s:{s:s}}", "PlatformApplicationArn",
		 "arn:aws:sns:us-east-1:000000000000:app/APNS/cert", "Attributes",
		 "AppleCertificateExpiryDate", "2099-01-01T00:00:00Z");
	r = CALL_OK("CreatePlatformApplication", "{s:s, s:s, s:{s:s, s:s, s:s, s:s}}", "Name", "p8",
		    "Platform", "APNS_SANDBOX", "Attributes", "PlatformCredential",
		    "-----BEGIN PRIVATE KEY-----", "PlatformPrincipal", "ABC123DEFG",
		    "ApplePlatformTeamID", "TEAM123456", "ApplePlatformBundleID",
		    "com.example.app");
	json_decref(r);
	CU_ASSERT_STRING_EQUAL(
		auth_method("arn:aws:sns:us-east-1:000000000000:app/APNS_SANDBOX/p8"), "Token");
	r = CALL_OK("GetPlatformApplicationAttributes", "{s:s}", "PlatformApplicationArn",
		    "arn:aws:sns:us-east-1:000000000000:app/APNS_SANDBOX/p8");
	assert_json(r, "{\"Attributes\": {\"Enabled\": \"true\", \"AuthenticationMethod\": "
		       "\"Token\", \"ApplePlatformTeamID\": \"TEAM123456\", "
		       "\"ApplePlatformBundleID\": \"com.example.app\"}}");
	json_decref(r);
	/* Switching back to a certificate: clear the team and bundle. */
	r = CALL_OK("SetPlatformApplicationAttributes", "{s:s, s:{s:s, s:s}}",
		    "PlatformApplicationArn",
		    "arn:aws:sns:us-east-1:000000000000:app/APNS_SANDBOX/p8", "Attributes",
		    "ApplePlatformTeamID", "", "ApplePlatformBundleID", "");
	json_decref(r);
	CU_ASSERT_STRING_EQUAL(
		auth_method("arn:aws:sns:us-east-1:000000000000:app/APNS_SANDBOX/p8"),
		"Certificate");

	create_adm_app();
	CU_ASSERT_STRING_EQUAL(auth_method(APP_ARN), "(none)");
	teardown();
}

static void test_app_set_errors(void)
{
	setup();
	create_adm_app();
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: PlatformApplicationArn Reason: An ARN must have at least 6 "
		 "elements, not 1",
		 "SetPlatformApplicationAttributes", "{s:s, s:{s:s}}", "PlatformApplicationArn",
		 "app", "Attributes", "SuccessFeedbackSampleRate", "5");
	CALL_ERR("ValidationError", 400,
		 "1 validation error detected: Value null at 'attributes' failed to satisfy "
		 "constraint: Member must not be null",
		 "SetPlatformApplicationAttributes", "{s:s}", "PlatformApplicationArn",
		 "arn:aws:sns:us-east-1:000000000000:app/ADM/nope");
	/* Existence is checked before the attributes (AWS answers NotFound to both). */
	CALL_ERR("NotFound", 404, "PlatformApplication does not exist",
		 "SetPlatformApplicationAttributes", "{s:s, s:{s:s}}", "PlatformApplicationArn",
		 "arn:aws:sns:us-east-1:000000000000:app/ADM/nope", "Attributes",
		 "PlatformPrincipal", "p");
	CALL_ERR("NotFound", 404, "PlatformApplication does not exist",
		 "SetPlatformApplicationAttributes", "{s:s, s:{s:s}}", "PlatformApplicationArn",
		 "arn:aws:sns:us-east-1:000000000000:app/ADM/nope", "Attributes", "Dummy", "x");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: Attributes Reason: Invalid attribute name: Dummy",
		 "SetPlatformApplicationAttributes", "{s:s, s:{s:s}}", "PlatformApplicationArn",
		 APP_ARN, "Attributes", "Dummy", "x");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: Attributes Reason: Platform credentials are invalid",
		 "SetPlatformApplicationAttributes", "{s:s, s:{s:s}}", "PlatformApplicationArn",
		 APP_ARN, "Attributes", "PlatformCredential", "");
	CALL_ERR("NotFound", 404, "PlatformApplication does not exist",
		 "GetPlatformApplicationAttributes", "{s:s}", "PlatformApplicationArn",
		 "arn:aws:sns:us-east-1:000000000000:app/ADM/nope");
	/* The right shape for a platform we do not have is still just absent. */
	CALL_ERR("NotFound", 404, "PlatformApplication does not exist",
		 "GetPlatformApplicationAttributes", "{s:s}", "PlatformApplicationArn",
		 "arn:aws:sns:us-east-1:000000000000:app/XYZ/app");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: PlatformApplicationArn Reason: An ARN must have at least 6 "
		 "elements, not 1",
		 "GetPlatformApplicationAttributes", "{s:s}", "PlatformApplicationArn", "app");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: PlatformApplicationArn Reason: Wrong number of slashes in "
		 "relative portion of the ARN.",
		 "GetPlatformApplicationAttributes", "{s:s}", "PlatformApplicationArn",
		 "arn:aws:sns:us-east-1:000000000000:app/ADM");
	/* A failed Set changed nothing. */
	{
		json_t *r = CALL_OK("GetPlatformApplicationAttributes", "{s:s}",
				    "PlatformApplicationArn", APP_ARN);

		assert_json(r, "{\"Attributes\": {\"Enabled\": \"true\"}}");
		json_decref(r);
	}
	teardown();
}

struct secret_check {
	const char *arn;
	struct seal *seal;
	bool sealed;	   /* a blob is stored */
	bool plain_inside; /* the plaintext credential appears in the record */
	bool opens;	   /* it opens with the application's ARN */
	bool opens_elsewhere;
	char cred[128];
};

static int read_secret(struct store_txn *txn, void *arg)
{
	struct secret_check *c = arg;
	struct store_rec rec = {0};
	unsigned char *plain = NULL;
	size_t len = 0;
	json_t *obj;
	char *attrs;
	int rc = store_get(txn, c->arn, &rec);

	if (rc < 0)
		return rc;
	c->sealed = rec.secret && rec.secret_len > 0;
	attrs = json_dumps(rec.attrs, 0);
	c->plain_inside = (attrs && strstr(attrs, CRED)) ||
			  (c->sealed && memmem(rec.secret, rec.secret_len, CRED, strlen(CRED)));
	free(attrs);
	if (seal_decrypt(c->seal, rec.secret, rec.secret_len, rec.arn, &plain, &len) == 0) {
		c->opens = true;
		obj = json_loadb((char *)plain, len, 0, NULL);
		snprintf(c->cred, sizeof(c->cred), "%s",
			 json_string_value(json_object_get(obj, "PlatformCredential")));
		json_decref(obj);
		seal_wipe(plain, len);
	}
	plain = NULL;
	if (seal_decrypt(c->seal, rec.secret, rec.secret_len,
			 "arn:aws:sns:us-east-1:000000000000:app/ADM/other", &plain, &len) == 0) {
		c->opens_elsewhere = true;
		seal_wipe(plain, len);
	}
	store_rec_clear(&rec);
	return 0;
}

static void test_app_credentials_sealed(void)
{
	struct secret_check c = {.arn = APP_ARN};
	char *ep;
	json_t *r;

	setup();
	create_adm_app();
	c.seal = fx.seal;
	CU_ASSERT_EQUAL(in_store(read_secret, &c), 0);
	CU_ASSERT(c.sealed);
	CU_ASSERT(!c.plain_inside);
	CU_ASSERT(c.opens);
	CU_ASSERT(!c.opens_elsewhere);
	CU_ASSERT_STRING_EQUAL(c.cred, CRED);

	/* No read returns a credential. */
	ep = create_endpoint("token_1");
	r = CALL_OK("GetPlatformApplicationAttributes", "{s:s}", "PlatformApplicationArn", APP_ARN);
	CU_ASSERT(!dump_contains(r, CRED) && !dump_contains(r, PRINCIPAL));
	json_decref(r);
	r = CALL_OK("ListPlatformApplications", NULL);
	CU_ASSERT(!dump_contains(r, CRED) && !dump_contains(r, PRINCIPAL));
	json_decref(r);
	r = CALL_OK("ListEndpointsByPlatformApplication", "{s:s}", "PlatformApplicationArn",
		    APP_ARN);
	CU_ASSERT(!dump_contains(r, CRED) && !dump_contains(r, PRINCIPAL));
	json_decref(r);
	r = CALL_OK("GetEndpointAttributes", "{s:s}", "EndpointArn", ep);
	CU_ASSERT(!dump_contains(r, CRED) && !dump_contains(r, PRINCIPAL));
	json_decref(r);
	/* Nor any effect. */
	CU_ASSERT(!dump_contains(effects, CRED) && !dump_contains(effects, PRINCIPAL));

	/* Durable, and still open after a restart; Set can rotate one half. */
	CU_ASSERT_FATAL(fx_reopen(&fx) == 0);
	r = CALL_OK("SetPlatformApplicationAttributes", "{s:s, s:{s:s}}", "PlatformApplicationArn",
		    APP_ARN, "Attributes", "PlatformCredential", "rotated-secret");
	json_decref(r);
	memset(&c, 0, sizeof(c));
	c.arn = APP_ARN;
	c.seal = fx.seal;
	CU_ASSERT_EQUAL(in_store(read_secret, &c), 0);
	CU_ASSERT(c.opens);
	CU_ASSERT_STRING_EQUAL(c.cred, "rotated-secret");
	r = CALL_OK("GetPlatformApplicationAttributes", "{s:s}", "PlatformApplicationArn", APP_ARN);
	assert_json(r, "{\"Attributes\": {\"Enabled\": \"true\"}}");
	json_decref(r);
	free(ep);
	teardown();
}

static void test_app_create_existing(void)
{
	char *ep;
	json_t *r;

	setup();
	create_adm_app();
	ep = create_endpoint("token_1");
	/* Again, with other attributes: same ARN, attributes replaced, endpoints kept. */
	r = CALL_OK("CreatePlatformApplication", "{s:s, s:s, s:{s:s, s:s, s:s}}", "Name", "app",
		    "Platform", "ADM", "Attributes", "PlatformCredential", "new",
		    "PlatformPrincipal", "new-id", "SuccessFeedbackSampleRate", "10");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "PlatformApplicationArn")),
			       APP_ARN);
	json_decref(r);
	r = CALL_OK("ListPlatformApplications", NULL);
	assert_json(r, "{\"PlatformApplications\": [{\"PlatformApplicationArn\": \"" APP_ARN
		       "\", \"Attributes\": {\"Enabled\": \"true\", "
		       "\"SuccessFeedbackSampleRate\": \"10\"}}]}");
	json_decref(r);
	r = CALL_OK("GetEndpointAttributes", "{s:s}", "EndpointArn", ep);
	json_decref(r);
	/* The same name on another platform is another application. */
	r = CALL_OK("CreatePlatformApplication", "{s:s, s:s, s:{s:s}}", "Name", "app", "Platform",
		    "GCM", "Attributes", "PlatformCredential", "key");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "PlatformApplicationArn")),
			       "arn:aws:sns:us-east-1:000000000000:app/GCM/app");
	json_decref(r);
	free(ep);
	teardown();
}

struct sub_check {
	const char *arn;
	int rc;
};

static int put_subscription(struct store_txn *txn, void *arg)
{
	struct sub_check *s = arg;
	struct store_rec rec = {
		.arn = "arn:aws:sns:us-east-1:000000000000:events:0d5c-sub",
		.kind = STORE_SUBSCRIPTION,
		.parent = "arn:aws:sns:us-east-1:000000000000:events",
		.lookup = "application endpoint",
		.attrs = json_pack("{s:s}", "Endpoint", s->arn),
	};
	int rc = store_put(txn, &rec);

	json_decref(rec.attrs);
	return rc;
}

static int get_subscription(struct store_txn *txn, void *arg)
{
	struct store_rec rec = {0};
	int rc = store_get(txn, "arn:aws:sns:us-east-1:000000000000:events:0d5c-sub", &rec);

	store_rec_clear(&rec);
	return rc;
}

static void test_app_delete(void)
{
	char *ep1, *ep2;
	json_t *r;

	setup();
	create_adm_app();
	ep1 = create_endpoint("token_1");
	ep2 = create_endpoint("token_2");
	json_array_clear(effects);
	r = CALL_OK("DeletePlatformApplication", "{s:s}", "PlatformApplicationArn", APP_ARN);
	assert_json(r, "{}");
	json_decref(r);
	assert_json(effects, "[{\"Type\": \"PlatformApplicationDeleted\", "
			     "\"PlatformApplicationArn\": \"" APP_ARN "\"}]");
	CALL_ERR("NotFound", 404, "PlatformApplication does not exist",
		 "ListEndpointsByPlatformApplication", "{s:s}", "PlatformApplicationArn", APP_ARN);
	CALL_ERR("NotFound", 404, "Endpoint does not exist", "GetEndpointAttributes", "{s:s}",
		 "EndpointArn", ep1);
	CALL_ERR("NotFound", 404, "Endpoint does not exist", "GetEndpointAttributes", "{s:s}",
		 "EndpointArn", ep2);
	CALL_ERR("NotFound", 404, "PlatformApplication does not exist", "CreatePlatformEndpoint",
		 "{s:s, s:s}", "PlatformApplicationArn", APP_ARN, "Token", "token_1");
	/* Idempotent. */
	r = CALL_OK("DeletePlatformApplication", "{s:s}", "PlatformApplicationArn", APP_ARN);
	assert_json(r, "{}");
	json_decref(r);
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: PlatformApplicationArn Reason: An ARN must have at least 6 "
		 "elements, not 1",
		 "DeletePlatformApplication", "{s:s}", "PlatformApplicationArn", "app");
	CALL_ERR("ValidationError", 400,
		 "1 validation error detected: Value null at 'platformApplicationArn' failed to "
		 "satisfy constraint: Member must not be null",
		 "DeletePlatformApplication", NULL);
	/* Recreated, it starts empty. */
	create_adm_app();
	r = CALL_OK("ListEndpointsByPlatformApplication", "{s:s}", "PlatformApplicationArn",
		    APP_ARN);
	assert_json(r, "{\"Endpoints\": []}");
	json_decref(r);
	free(ep1);
	free(ep2);
	teardown();
}

/* ---- endpoints --------------------------------------------------------- */

/* Baidu endpoints need ChannelId and UserId, and their token is the ChannelId (SNS). */
static void test_endpoint_baidu_ids(void)
{
	static const char app[] = "arn:aws:sns:us-east-1:000000000000:app/BAIDU/b";
	const char *ep;
	json_t *r, *c;

	setup();
	json_decref(CALL_OK("CreatePlatformApplication", "{s:s, s:s, s:{s:s, s:s}}", "Name", "b",
			    "Platform", "BAIDU", "Attributes", "PlatformCredential", CRED,
			    "PlatformPrincipal", PRINCIPAL));
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: Attributes Reason: a BAIDU endpoint needs the ChannelId and "
		 "UserId attributes",
		 "CreatePlatformEndpoint", "{s:s, s:s}", "PlatformApplicationArn", app, "Token",
		 "3921");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: Attributes Reason: a BAIDU endpoint needs the ChannelId and "
		 "UserId attributes",
		 "CreatePlatformEndpoint", "{s:s, s:s, s:{s:s}}", "PlatformApplicationArn", app,
		 "Token", "3921", "Attributes", "ChannelId", "3921");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: Token Reason: must be the ChannelId of the BAIDU endpoint",
		 "CreatePlatformEndpoint", "{s:s, s:s, s:{s:s, s:s}}", "PlatformApplicationArn",
		 app, "Token", "3921", "Attributes", "ChannelId", "3922", "UserId", "u1");
	c = CALL_OK("CreatePlatformEndpoint", "{s:s, s:s, s:{s:s, s:s}}", "PlatformApplicationArn",
		    app, "Token", "3921", "Attributes", "ChannelId", "3921", "UserId", "u1");
	ep = json_string_value(json_object_get(c, "EndpointArn"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ep);
	r = CALL_OK("GetEndpointAttributes", "{s:s}", "EndpointArn", ep);
	assert_json(r, "{\"Attributes\": {\"Enabled\": \"true\", \"Token\": \"3921\", "
		       "\"ChannelId\": \"3921\", \"UserId\": \"u1\"}}");
	json_decref(r);
	json_decref(CALL_OK("SetEndpointAttributes", "{s:s, s:{s:s}}", "EndpointArn", ep,
			    "Attributes", "UserId", "u2"));
	r = CALL_OK("GetEndpointAttributes", "{s:s}", "EndpointArn", ep);
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_object_get(r, "Attributes"), "UserId")),
		"u2");
	json_decref(r);
	/* Other platforms do not take them. */
	create_adm_app();
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: Attributes Reason: Invalid attribute name: ChannelId",
		 "CreatePlatformEndpoint", "{s:s, s:s, s:{s:s}}", "PlatformApplicationArn", APP_ARN,
		 "Token", "t", "Attributes", "ChannelId", "t");
	json_decref(c);
	teardown();
}

static void test_endpoint_create_get(void)
{
	static const char prefix[] = "arn:aws:sns:us-east-1:000000000000:endpoint/ADM/app/";
	char *ep;
	json_t *r;
	char want[512];

	setup();
	create_adm_app();
	json_array_clear(effects);
	ep = create_endpoint("token_1");
	CU_ASSERT_EQUAL(strncmp(ep, prefix, strlen(prefix)), 0);
	CU_ASSERT_EQUAL(strlen(ep), strlen(prefix) + 36);
	snprintf(want, sizeof(want),
		 "[{\"Type\": \"EndpointCreated\", \"EndpointArn\": \"%s\", "
		 "\"PlatformApplicationArn\": \"" APP_ARN "\"}]",
		 ep);
	assert_json(effects, want);

	r = CALL_OK("GetEndpointAttributes", "{s:s}", "EndpointArn", ep);
	assert_json(r, "{\"Attributes\": {\"Enabled\": \"true\", \"Token\": \"token_1\"}}");
	json_decref(r);
	r = CALL_OK("ListEndpointsByPlatformApplication", "{s:s}", "PlatformApplicationArn",
		    APP_ARN);
	snprintf(want, sizeof(want),
		 "{\"Endpoints\": [{\"EndpointArn\": \"%s\", \"Attributes\": {\"Enabled\": "
		 "\"true\", \"Token\": \"token_1\"}}]}",
		 ep);
	assert_json(r, want);
	json_decref(r);

	CALL_ERR("NotFound", 404, "PlatformApplication does not exist", "CreatePlatformEndpoint",
		 "{s:s, s:s}", "PlatformApplicationArn",
		 "arn:aws:sns:us-east-1:000000000000:app/ADM/nope", "Token", "t");
	CALL_ERR("ValidationError", 400,
		 "1 validation error detected: Value null at 'token' failed to satisfy "
		 "constraint: Member must not be null",
		 "CreatePlatformEndpoint", "{s:s}", "PlatformApplicationArn", APP_ARN);
	CALL_ERR("InvalidParameter", 400, "Invalid parameter: Token Reason: cannot be empty",
		 "CreatePlatformEndpoint", "{s:s, s:s}", "PlatformApplicationArn", APP_ARN, "Token",
		 "");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: PlatformApplicationArn Reason: An ARN must have at least 6 "
		 "elements, not 1",
		 "CreatePlatformEndpoint", "{s:s, s:s}", "PlatformApplicationArn", "app", "Token",
		 "t");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: EndpointArn Reason: Wrong number of slashes in relative "
		 "portion of the ARN.",
		 "GetEndpointAttributes", "{s:s}", "EndpointArn",
		 "arn:aws:sns:us-east-1:000000000000:endpoint/ADM/app");
	CALL_ERR("NotFound", 404, "Endpoint does not exist", "GetEndpointAttributes", "{s:s}",
		 "EndpointArn",
		 "arn:aws:sns:us-east-1:000000000000:endpoint/ADM/app/"
		 "00000000-0000-4000-8000-000000000000");
	free(ep);
	teardown();
}

static void test_endpoint_invalid_attributes(void)
{
	static const char *const bad[] = {"PlatformPrincipal", "PlatformCredential", "InvalidKey"};
	char long_cud[2050], msg[128];

	setup();
	create_adm_app();
	for (size_t i = 0; i < 3; i++) {
		snprintf(msg, sizeof(msg),
			 "Invalid parameter: Attributes Reason: Invalid attribute name: %s",
			 bad[i]);
		CALL_ERR("InvalidParameter", 400, msg, "CreatePlatformEndpoint",
			 "{s:s, s:s, s:{s:s}}", "PlatformApplicationArn", APP_ARN, "Token",
			 "token_1", "Attributes", bad[i], "x");
	}
	memset(long_cud, 'x', 2049);
	long_cud[2049] = '\0';
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: Attributes Reason: Invalid value for attribute: "
		 "CustomUserData: must be at most 2048 bytes long in UTF-8 encoding",
		 "CreatePlatformEndpoint", "{s:s, s:s, s:{s:s}}", "PlatformApplicationArn", APP_ARN,
		 "Token", "token_1", "Attributes", "CustomUserData", long_cud);
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: Attributes Reason: Invalid value for attribute: "
		 "CustomUserData: must be at most 2048 bytes long in UTF-8 encoding",
		 "CreatePlatformEndpoint", "{s:s, s:s, s:s}", "PlatformApplicationArn", APP_ARN,
		 "Token", "token_1", "CustomUserData", long_cud);
	/* The limit is in bytes: 1025 two-byte characters are too many. */
	{
		char utf8[2 * 1025 + 1];

		for (int i = 0; i < 1025; i++)
			memcpy(utf8 + 2 * i, "\xc3\xa9", 2);
		utf8[2 * 1025] = '\0';
		CALL_ERR("InvalidParameter", 400,
			 "Invalid parameter: Attributes Reason: Invalid value for attribute: "
			 "CustomUserData: must be at most 2048 bytes long in UTF-8 encoding",
			 "CreatePlatformEndpoint", "{s:s, s:s, s:s}", "PlatformApplicationArn",
			 APP_ARN, "Token", "token_1", "CustomUserData", utf8);
	}
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: Attributes Reason: Invalid value for attribute: Enabled: must "
		 "be true or false",
		 "CreatePlatformEndpoint", "{s:s, s:s, s:{s:s}}", "PlatformApplicationArn", APP_ARN,
		 "Token", "token_1", "Attributes", "Enabled", "yes");
	/* 2048 bytes exactly is fine; an empty Attributes map is no attributes. */
	long_cud[2048] = '\0';
	{
		json_t *r = CALL_OK("CreatePlatformEndpoint", "{s:s, s:s, s:{s:s}}",
				    "PlatformApplicationArn", APP_ARN, "Token", "token_1",
				    "Attributes", "CustomUserData", long_cud);

		json_decref(r);
		r = CALL_OK("CreatePlatformEndpoint", "{s:s, s:s, s:{}}", "PlatformApplicationArn",
			    APP_ARN, "Token", "token_2", "Attributes");
		json_decref(r);
		r = CALL_OK("ListEndpointsByPlatformApplication", "{s:s}", "PlatformApplicationArn",
			    APP_ARN);
		CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "Endpoints")), 2);
		json_decref(r);
	}
	teardown();
}

static void test_endpoint_idempotency(void)
{
	char *ep, *ep2, msg[512];
	json_t *r;

	setup();
	create_adm_app();
	r = CALL_OK("CreatePlatformEndpoint", "{s:s, s:s, s:s}", "PlatformApplicationArn", APP_ARN,
		    "Token", "token_1", "CustomUserData", "user-1");
	ep = strdup(json_string_value(json_object_get(r, "EndpointArn")));
	json_decref(r);
	json_array_clear(effects);

	/* Same token, same attributes: the same endpoint, nothing created. */
	r = CALL_OK("CreatePlatformEndpoint", "{s:s, s:s, s:s}", "PlatformApplicationArn", APP_ARN,
		    "Token", "token_1", "CustomUserData", "user-1");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "EndpointArn")), ep);
	json_decref(r);
	/* Enabled=true on an enabled endpoint is the same, and CustomUserData may come as an attribute. */
	r = CALL_OK("CreatePlatformEndpoint", "{s:s, s:s, s:{s:s, s:s}}", "PlatformApplicationArn",
		    APP_ARN, "Token", "token_1", "Attributes", "Enabled", "true", "CustomUserData",
		    "user-1");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "EndpointArn")), ep);
	json_decref(r);
	CU_ASSERT_EQUAL(json_array_size(effects), 0);

	/* Same token, different attributes: AWS's error, naming the endpoint. */
	snprintf(msg, sizeof(msg),
		 "Invalid parameter: Token Reason: Endpoint %s already exists with the same Token, "
		 "but different attributes.",
		 ep);
	CALL_ERR("InvalidParameter", 400, msg, "CreatePlatformEndpoint", "{s:s, s:s, s:s}",
		 "PlatformApplicationArn", APP_ARN, "Token", "token_1", "CustomUserData", "user-2");
	CALL_ERR("InvalidParameter", 400, msg, "CreatePlatformEndpoint", "{s:s, s:s}",
		 "PlatformApplicationArn", APP_ARN, "Token", "token_1");
	CALL_ERR("InvalidParameter", 400, msg, "CreatePlatformEndpoint", "{s:s, s:s, s:s, s:{s:s}}",
		 "PlatformApplicationArn", APP_ARN, "Token", "token_1", "CustomUserData", "user-1",
		 "Attributes", "Enabled", "false");
	/* Attributes.CustomUserData wins over the parameter. */
	CALL_ERR("InvalidParameter", 400, msg, "CreatePlatformEndpoint", "{s:s, s:s, s:s, s:{s:s}}",
		 "PlatformApplicationArn", APP_ARN, "Token", "token_1", "CustomUserData", "user-1",
		 "Attributes", "CustomUserData", "user-2");
	r = CALL_OK("CreatePlatformEndpoint", "{s:s, s:s, s:s, s:{s:s}}", "PlatformApplicationArn",
		    APP_ARN, "Token", "token_1", "CustomUserData", "other", "Attributes",
		    "CustomUserData", "user-1");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "EndpointArn")), ep);
	json_decref(r);

	/* A disabled endpoint is returned as it is, not re-enabled. */
	r = CALL_OK("SetEndpointAttributes", "{s:s, s:{s:s}}", "EndpointArn", ep, "Attributes",
		    "Enabled", "false");
	json_decref(r);
	r = CALL_OK("CreatePlatformEndpoint", "{s:s, s:s, s:s}", "PlatformApplicationArn", APP_ARN,
		    "Token", "token_1", "CustomUserData", "user-1");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "EndpointArn")), ep);
	json_decref(r);
	r = CALL_OK("GetEndpointAttributes", "{s:s}", "EndpointArn", ep);
	assert_json(r, "{\"Attributes\": {\"CustomUserData\": \"user-1\", \"Enabled\": \"false\", "
		       "\"Token\": \"token_1\"}}");
	json_decref(r);

	/* Another token is another endpoint. */
	r = CALL_OK("CreatePlatformEndpoint", "{s:s, s:s, s:s, s:{s:s}}", "PlatformApplicationArn",
		    APP_ARN, "Token", "token_2", "CustomUserData", "bar", "Attributes",
		    "CustomUserData", "foo");
	ep2 = strdup(json_string_value(json_object_get(r, "EndpointArn")));
	json_decref(r);
	CU_ASSERT_STRING_NOT_EQUAL(ep, ep2);
	r = CALL_OK("GetEndpointAttributes", "{s:s}", "EndpointArn", ep2);
	assert_json(r, "{\"Attributes\": {\"CustomUserData\": \"foo\", \"Enabled\": \"true\", "
		       "\"Token\": \"token_2\"}}");
	json_decref(r);
	free(ep);
	free(ep2);
	teardown();
}

static void test_endpoint_apns_token_lowercase(void)
{
	json_t *r;
	const char *ep;
	char *arn;

	setup();
	r = CALL_OK("CreatePlatformApplication", "{s:s, s:s, s:{s:s, s:s}}", "Name", "ios",
		    "Platform", "APNS", "Attributes", "PlatformCredential", "k",
		    "PlatformPrincipal", "c");
	json_decref(r);
	r = CALL_OK("CreatePlatformEndpoint", "{s:s, s:s}", "PlatformApplicationArn",
		    "arn:aws:sns:us-east-1:000000000000:app/APNS/ios", "Token", "ABCDEF0123");
	ep = json_string_value(json_object_get(r, "EndpointArn"));
	CU_ASSERT(strncmp(ep, "arn:aws:sns:us-east-1:000000000000:endpoint/APNS/ios/", 53) == 0);
	arn = strdup(ep);
	json_decref(r);
	r = CALL_OK("GetEndpointAttributes", "{s:s}", "EndpointArn", arn);
	assert_json(r, "{\"Attributes\": {\"Enabled\": \"true\", \"Token\": \"abcdef0123\"}}");
	json_decref(r);
	/* The same device in either case is the same endpoint. */
	r = CALL_OK("CreatePlatformEndpoint", "{s:s, s:s}", "PlatformApplicationArn",
		    "arn:aws:sns:us-east-1:000000000000:app/APNS/ios", "Token", "abcdef0123");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "EndpointArn")), arn);
	json_decref(r);
	free(arn);
	teardown();
}

static void test_endpoint_set(void)
{
	char *ep, *ep2, want[512];
	json_t *r;

	setup();
	create_adm_app();
	ep = create_endpoint("token_1");
	ep2 = create_endpoint("token_2");
	json_array_clear(effects);

	r = CALL_OK("SetEndpointAttributes", "{s:s, s:{s:s}}", "EndpointArn", ep, "Attributes",
		    "Enabled", "false");
	assert_json(r, "{}");
	json_decref(r);
	r = CALL_OK("GetEndpointAttributes", "{s:s}", "EndpointArn", ep);
	assert_json(r, "{\"Attributes\": {\"Enabled\": \"false\", \"Token\": \"token_1\"}}");
	json_decref(r);
	snprintf(want, sizeof(want),
		 "[{\"Type\": \"EndpointUpdated\", \"EndpointArn\": \"%s\", "
		 "\"PlatformApplicationArn\": \"" APP_ARN "\"}]",
		 ep);
	assert_json(effects, want);

	/* Setting what is already there changes nothing and reports nothing. */
	json_array_clear(effects);
	r = CALL_OK("SetEndpointAttributes", "{s:s, s:{s:s}}", "EndpointArn", ep, "Attributes",
		    "Enabled", "FALSE");
	json_decref(r);
	CU_ASSERT_EQUAL(json_array_size(effects), 0);

	/* New token and re-enable, as SNS's guide says; CustomUserData set, then cleared. */
	r = CALL_OK("SetEndpointAttributes", "{s:s, s:{s:s, s:s, s:s}}", "EndpointArn", ep,
		    "Attributes", "Token", "token_3", "Enabled", "true", "CustomUserData", "u");
	json_decref(r);
	r = CALL_OK("GetEndpointAttributes", "{s:s}", "EndpointArn", ep);
	assert_json(r, "{\"Attributes\": {\"Enabled\": \"true\", \"Token\": \"token_3\", "
		       "\"CustomUserData\": \"u\"}}");
	json_decref(r);
	r = CALL_OK("SetEndpointAttributes", "{s:s, s:{s:s}}", "EndpointArn", ep, "Attributes",
		    "CustomUserData", "");
	json_decref(r);
	r = CALL_OK("GetEndpointAttributes", "{s:s}", "EndpointArn", ep);
	assert_json(r, "{\"Attributes\": {\"Enabled\": \"true\", \"Token\": \"token_3\"}}");
	json_decref(r);
	/* The token moved: creating with the new one finds this endpoint, the old one is free. */
	r = CALL_OK("CreatePlatformEndpoint", "{s:s, s:s}", "PlatformApplicationArn", APP_ARN,
		    "Token", "token_3");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "EndpointArn")), ep);
	json_decref(r);
	r = CALL_OK("CreatePlatformEndpoint", "{s:s, s:s}", "PlatformApplicationArn", APP_ARN,
		    "Token", "token_1");
	CU_ASSERT_STRING_NOT_EQUAL(json_string_value(json_object_get(r, "EndpointArn")), ep);
	json_decref(r);

	/* Another endpoint's token is refused, naming it; nothing changes. */
	snprintf(want, sizeof(want),
		 "Invalid parameter: Token Reason: Endpoint %s already exists with the same Token",
		 ep2);
	CALL_ERR("InvalidParameter", 400, want, "SetEndpointAttributes", "{s:s, s:{s:s, s:s}}",
		 "EndpointArn", ep, "Attributes", "Token", "token_2", "Enabled", "false");
	r = CALL_OK("GetEndpointAttributes", "{s:s}", "EndpointArn", ep);
	assert_json(r, "{\"Attributes\": {\"Enabled\": \"true\", \"Token\": \"token_3\"}}");
	json_decref(r);
	/* Its own token is no collision. */
	r = CALL_OK("SetEndpointAttributes", "{s:s, s:{s:s}}", "EndpointArn", ep, "Attributes",
		    "Token", "token_3");
	json_decref(r);

	/* Errors, in SNS's order: arguments, ARN, existence, attributes. */
	CALL_ERR("ValidationError", 400,
		 "1 validation error detected: Value null at 'attributes' failed to satisfy "
		 "constraint: Member must not be null",
		 "SetEndpointAttributes", "{s:s, s:{}}", "EndpointArn", ep, "Attributes");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: EndpointArn Reason: Wrong number of slashes in relative "
		 "portion of the ARN.",
		 "SetEndpointAttributes", "{s:s, s:{s:s}}", "EndpointArn",
		 "arn:aws:sns:us-east-1:000000000000:endpoint/ADM/app", "Attributes", "Enabled",
		 "false");
	CALL_ERR("NotFound", 404, "Endpoint does not exist", "SetEndpointAttributes",
		 "{s:s, s:{s:s}}", "EndpointArn",
		 "arn:aws:sns:us-east-1:000000000000:endpoint/ADM/app/"
		 "00000000-0000-4000-8000-000000000000",
		 "Attributes", "PlatformPrincipal", "x");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: Attributes Reason: Invalid attribute name: PlatformCredential",
		 "SetEndpointAttributes", "{s:s, s:{s:s}}", "EndpointArn", ep, "Attributes",
		 "PlatformCredential", "x");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: Attributes Reason: Invalid value for attribute: Token: cannot "
		 "be empty",
		 "SetEndpointAttributes", "{s:s, s:{s:s}}", "EndpointArn", ep, "Attributes",
		 "Token", "");
	{
		char big[2050];

		memset(big, 'x', 2049);
		big[2049] = '\0';
		CALL_ERR("InvalidParameter", 400,
			 "Invalid parameter: Attributes Reason: Invalid value for attribute: "
			 "CustomUserData: must be at most 2048 bytes long in UTF-8 encoding",
			 "SetEndpointAttributes", "{s:s, s:{s:s}}", "EndpointArn", ep, "Attributes",
			 "CustomUserData", big);
	}
	free(ep);
	free(ep2);
	teardown();
}

static void test_endpoint_delete(void)
{
	struct sub_check sub;
	char *ep, want[512];
	json_t *r;

	setup();
	create_adm_app();
	ep = create_endpoint("token_1");
	sub.arn = ep;
	CU_ASSERT_EQUAL(in_store(put_subscription, &sub), 0);
	json_array_clear(effects);

	r = CALL_OK("DeleteEndpoint", "{s:s}", "EndpointArn", ep);
	assert_json(r, "{}");
	json_decref(r);
	snprintf(want, sizeof(want),
		 "[{\"Type\": \"EndpointDeleted\", \"EndpointArn\": \"%s\", "
		 "\"PlatformApplicationArn\": \"" APP_ARN "\"}]",
		 ep);
	assert_json(effects, want);
	r = CALL_OK("ListEndpointsByPlatformApplication", "{s:s}", "PlatformApplicationArn",
		    APP_ARN);
	assert_json(r, "{\"Endpoints\": []}");
	json_decref(r);
	CALL_ERR("NotFound", 404, "Endpoint does not exist", "GetEndpointAttributes", "{s:s}",
		 "EndpointArn", ep);
	/* SNS leaves subscriptions that point at a deleted endpoint. */
	CU_ASSERT_EQUAL(in_store(get_subscription, NULL), 0);

	/* Idempotent, and silent the second time. */
	json_array_clear(effects);
	r = CALL_OK("DeleteEndpoint", "{s:s}", "EndpointArn", ep);
	assert_json(r, "{}");
	json_decref(r);
	CU_ASSERT_EQUAL(json_array_size(effects), 0);
	CALL_ERR(
		"InvalidParameter", 400,
		"Invalid parameter: EndpointArn Reason: An ARN must have at least 6 elements, not 1",
		"DeleteEndpoint", "{s:s}", "EndpointArn", "endpoint");
	/* The token can be registered again, as a new endpoint. */
	{
		char *again = create_endpoint("token_1");

		CU_ASSERT_STRING_NOT_EQUAL(again, ep);
		free(again);
	}
	free(ep);
	teardown();
}

/* Walk every page; returns the number of endpoints and checks the tokens' order. */
static size_t list_all(size_t *pages)
{
	json_t *r, *next = NULL;
	size_t total = 0;

	*pages = 0;
	do {
		json_t *eps;

		if (next)
			r = CALL_OK("ListEndpointsByPlatformApplication", "{s:s, s:O}",
				    "PlatformApplicationArn", APP_ARN, "NextToken", next);
		else
			r = CALL_OK("ListEndpointsByPlatformApplication", "{s:s}",
				    "PlatformApplicationArn", APP_ARN);
		json_decref(next);
		eps = json_object_get(r, "Endpoints");
		CU_ASSERT(json_array_size(eps) <= 100);
		for (size_t i = 0; i < json_array_size(eps); i++) {
			char tok[32];

			snprintf(tok, sizeof(tok), "tok-%04zu", total + i);
			CU_ASSERT_STRING_EQUAL(
				json_string_value(json_object_get(
					json_object_get(json_array_get(eps, i), "Attributes"),
					"Token")),
				tok);
		}
		total += json_array_size(eps);
		next = json_incref(json_object_get(r, "NextToken"));
		/* A NextToken only when something follows. */
		if (next)
			CU_ASSERT_EQUAL(json_array_size(eps), 100);
		(*pages)++;
		json_decref(r);
	} while (next && *pages < 10);
	json_decref(next);
	return total;
}

static void test_endpoint_pagination(void)
{
	size_t pages;
	char tok[32];

	setup();
	create_adm_app();
	for (int i = 0; i < 100; i++) {
		snprintf(tok, sizeof(tok), "tok-%04d", i);
		free(create_endpoint(tok));
	}
	/* Exactly one full page: no NextToken. */
	CU_ASSERT_EQUAL(list_all(&pages), 100);
	CU_ASSERT_EQUAL(pages, 1);
	for (int i = 100; i < 205; i++) {
		snprintf(tok, sizeof(tok), "tok-%04d", i);
		free(create_endpoint(tok));
	}
	CU_ASSERT_EQUAL(list_all(&pages), 205);
	CU_ASSERT_EQUAL(pages, 3);

	CALL_ERR("InvalidParameter", 400, "Invalid parameter: NextToken",
		 "ListEndpointsByPlatformApplication", "{s:s, s:s}", "PlatformApplicationArn",
		 APP_ARN, "NextToken", "garbage");
	CALL_ERR("InvalidParameter", 400, "Invalid parameter: NextToken",
		 "ListPlatformApplications", "{s:s}", "NextToken", "h1.-5");
	CALL_ERR("InvalidParameter", 400,
		 "Invalid parameter: PlatformApplicationArn Reason: An ARN must have at least 6 "
		 "elements, not 1",
		 "ListEndpointsByPlatformApplication", "{s:s}", "PlatformApplicationArn", "app");
	teardown();
}

static void test_app_pagination(void)
{
	json_t *r, *token;
	char name[32];
	size_t n1, n2;

	setup();
	for (int i = 0; i < 101; i++) {
		snprintf(name, sizeof(name), "app%03d", i);
		r = CALL_OK("CreatePlatformApplication", "{s:s, s:s, s:{s:s}}", "Name", name,
			    "Platform", "GCM", "Attributes", "PlatformCredential", "key");
		json_decref(r);
	}
	r = CALL_OK("ListPlatformApplications", NULL);
	n1 = json_array_size(json_object_get(r, "PlatformApplications"));
	token = json_incref(json_object_get(r, "NextToken"));
	CU_ASSERT_EQUAL(n1, 100);
	CU_ASSERT_PTR_NOT_NULL_FATAL(token);
	json_decref(r);
	r = CALL_OK("ListPlatformApplications", "{s:O}", "NextToken", token);
	n2 = json_array_size(json_object_get(r, "PlatformApplications"));
	CU_ASSERT_EQUAL(n2, 1);
	CU_ASSERT_PTR_NULL(json_object_get(r, "NextToken"));
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(
			json_array_get(json_object_get(r, "PlatformApplications"), 0),
			"PlatformApplicationArn")),
		"arn:aws:sns:us-east-1:000000000000:app/GCM/app100");
	json_decref(r);
	json_decref(token);
	teardown();
}

/* What the fake credentials check saw. */
static struct {
	unsigned int n;
	bool create;
	char platform[32], name[64], arn[160], credential[64];
	json_t *attrs;
} seen;

/* Refuses the credential "refuse-me" (the driver's check_config stands in). */
static int fake_app_check(void *arg, bool create, const char *platform, const char *name,
			  const char *arn, json_t *attrs, char *err, size_t n)
{
	const char *cred = json_string_value(json_object_get(attrs, "PlatformCredential"));

	CU_ASSERT_PTR_EQUAL(arg, &fx);
	seen.n++;
	seen.create = create;
	snprintf(seen.platform, sizeof(seen.platform), "%s", platform);
	snprintf(seen.name, sizeof(seen.name), "%s", name);
	snprintf(seen.arn, sizeof(seen.arn), "%s", arn);
	snprintf(seen.credential, sizeof(seen.credential), "%s", cred ? cred : "");
	json_decref(seen.attrs);
	seen.attrs = json_deep_copy(attrs);
	if (cred && !strcmp(cred, "refuse-me")) {
		snprintf(err, n, "the client secret is not one");
		return -1;
	}
	return 0;
}

#define REFUSED \
	"Invalid parameter: Attributes Reason: Platform credentials are invalid: the client secret is not one"

/* SNS refuses bad credentials when they are given: the driver's check runs before the store. */
static void test_app_credentials_checked(void)
{
	struct op_error err;

	setup();
	memset(&seen, 0, sizeof(seen));
	api_set_app_check(fx.api, fake_app_check, &fx);
	FX_FAILS(&fx, "InvalidParameter", 400, REFUSED, "CreatePlatformApplication",
		 "{s:s, s:s, s:{s:s, s:s}}", "Name", "app", "Platform", "ADM", "Attributes",
		 "PlatformCredential", "refuse-me", "PlatformPrincipal", PRINCIPAL);
	CU_ASSERT_EQUAL(seen.n, 1);
	CU_ASSERT(seen.create);
	CU_ASSERT_STRING_EQUAL(seen.platform, "ADM");
	CU_ASSERT_STRING_EQUAL(seen.name, "app");
	CU_ASSERT_STRING_EQUAL(seen.arn, APP_ARN);
	CU_ASSERT_EQUAL(json_array_size(effects), 0);
	FX_FAILS(&fx, "NotFound", 404, "PlatformApplication does not exist",
		 "GetPlatformApplicationAttributes", "{s:s}", "PlatformApplicationArn", APP_ARN);

	json_decref(FX_OK(&fx, "CreatePlatformApplication", "{s:s, s:s, s:{s:s, s:s}}", "Name",
			  "app", "Platform", "ADM", "Attributes", "PlatformCredential", CRED,
			  "PlatformPrincipal", PRINCIPAL));
	CU_ASSERT_EQUAL(seen.n, 2);
	CU_ASSERT_STRING_EQUAL(seen.credential, CRED);

	/* Incomplete credentials get SNS's own error, unchecked. */
	FX_FAILS(&fx, "InvalidParameter", 400,
		 "Invalid parameter: Attributes Reason: PlatformCredential attribute provided "
		 "without PlatformPrincipal",
		 "CreatePlatformApplication", "{s:s, s:s, s:{s:s}}", "Name", "other", "Platform",
		 "ADM", "Attributes", "PlatformCredential", "refuse-me");
	CU_ASSERT_EQUAL(seen.n, 2);

	/* Set: checked when it carries a credential; refused, nothing changes. */
	FX_FAILS(&fx, "InvalidParameter", 400, REFUSED, "SetPlatformApplicationAttributes",
		 "{s:s, s:{s:s, s:s}}", "PlatformApplicationArn", APP_ARN, "Attributes",
		 "PlatformCredential", "refuse-me", "SuccessFeedbackSampleRate", "50");
	CU_ASSERT_EQUAL(seen.n, 3);
	CU_ASSERT(!seen.create);
	CU_ASSERT_STRING_EQUAL(seen.name, "app");
	CU_ASSERT_STRING_EQUAL(seen.arn, APP_ARN);
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(seen.attrs, "SuccessFeedbackSampleRate")), "50");
	{
		json_t *r = FX_OK(&fx, "GetPlatformApplicationAttributes", "{s:s}",
				  "PlatformApplicationArn", APP_ARN);

		CU_ASSERT_PTR_NULL(json_object_get(json_object_get(r, "Attributes"),
						   "SuccessFeedbackSampleRate"));
		json_decref(r);
	}
	/* Other attributes only: not checked again. */
	json_decref(FX_OK(&fx, "SetPlatformApplicationAttributes", "{s:s, s:{s:s}}",
			  "PlatformApplicationArn", APP_ARN, "Attributes",
			  "SuccessFeedbackSampleRate", "50"));
	CU_ASSERT_EQUAL(seen.n, 3);
	json_decref(FX_OK(&fx, "SetPlatformApplicationAttributes", "{s:s, s:{s:s}}",
			  "PlatformApplicationArn", APP_ARN, "Attributes", "PlatformCredential",
			  "rotated-secret"));
	CU_ASSERT_EQUAL(seen.n, 4);
	CU_ASSERT_STRING_EQUAL(seen.credential, "rotated-secret");

	/* A malformed ARN or an empty credential: the operation's own error, unchecked. */
	CU_ASSERT_PTR_NULL(fx_call(&fx, "SetPlatformApplicationAttributes", &err, "{s:s, s:{s:s}}",
				   "PlatformApplicationArn", "nope", "Attributes",
				   "PlatformCredential", "refuse-me"));
	CU_ASSERT_STRING_EQUAL(err.message, "Invalid parameter: PlatformApplicationArn Reason: An "
					    "ARN must have at least 6 elements, not 1");
	CU_ASSERT_PTR_NULL(fx_call(&fx, "SetPlatformApplicationAttributes", &err, "{s:s, s:{s:s}}",
				   "PlatformApplicationArn", APP_ARN, "Attributes",
				   "PlatformCredential", ""));
	CU_ASSERT_EQUAL(seen.n, 4);
	json_decref(seen.attrs);
	teardown();
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"app: create, get, list", test_app_create_get_list},
		{"app: create errors", test_app_create_errors},
		{"app: attributes", test_app_attributes},
		{"app: authentication method", test_app_authentication_method},
		{"app: set and get errors", test_app_set_errors},
		{"app: credentials sealed, never returned", test_app_credentials_sealed},
		{"app: create existing", test_app_create_existing},
		{"app: delete", test_app_delete},
		{"app: pagination", test_app_pagination},
		{"app: credentials checked by the driver", test_app_credentials_checked},
		{"endpoint: create, get", test_endpoint_create_get},
		{"endpoint: invalid attributes", test_endpoint_invalid_attributes},
		{"endpoint: idempotency", test_endpoint_idempotency},
		{"endpoint: APNs tokens lowercase", test_endpoint_apns_token_lowercase},
		{"endpoint: set", test_endpoint_set},
		{"endpoint: delete", test_endpoint_delete},
		{"endpoint: pagination", test_endpoint_pagination},
		{"endpoint: Baidu ChannelId and UserId", test_endpoint_baidu_ids},
		CU_TEST_INFO_NULL,
	};

	return fx_run_suite("ops_platform", NULL, NULL, tests);
}
