/*
 * The device token check of CreatePlatformEndpoint and SetEndpointAttributes
 * (api_set_token_check(), broker/api.c): a fake check stands in for the
 * drivers' validate_token, and the operations are called as a front-end
 * calls them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tests/unit/fixture.h"

#define APP_ARN "arn:aws:sns:us-east-1:000000000000:app/ADM/app"
#define REASON	"ADM registration ids start with amzn1.adm-registration"

static struct fixture fx;

/* What the fake check saw. */
static unsigned int n_checks;
static char last_platform[32], last_token[128];

/* Refuses tokens that do not start with "amzn1."; an empty reason for "silent". */
static int fake_check(void *arg, const char *platform, const char *token, char *err, size_t n)
{
	CU_ASSERT_PTR_EQUAL(arg, &fx);
	n_checks++;
	snprintf(last_platform, sizeof(last_platform), "%s", platform);
	snprintf(last_token, sizeof(last_token), "%s", token);
	if (strncmp(token, "amzn1.", 6) == 0)
		return 0;
	if (strcmp(token, "silent") != 0)
		snprintf(err, n, "%s", REASON);
	return -1;
}

static void setup(void)
{
	json_t *r;

	CU_ASSERT_FATAL(fx_setup(&fx) == 0);
	api_set_token_check(fx.api, fake_check, &fx);
	r = FX_OK(&fx, "CreatePlatformApplication", "{s:s, s:s, s:{s:s, s:s}}", "Name", "app",
		  "Platform", "ADM", "Attributes", "PlatformCredential", "secret",
		  "PlatformPrincipal", "principal");
	json_decref(r);
	n_checks = 0;
	last_platform[0] = last_token[0] = '\0';
}

static void teardown(void)
{
	fx_teardown(&fx);
}

/* The number of endpoints of the app. */
static size_t n_endpoints(void)
{
	json_t *r = FX_OK(&fx, "ListEndpointsByPlatformApplication", "{s:s}",
			  "PlatformApplicationArn", APP_ARN);
	size_t n = json_array_size(json_object_get(r, "Endpoints"));

	json_decref(r);
	return n;
}

static char *create_endpoint(const char *token)
{
	json_t *r = FX_OK(&fx, "CreatePlatformEndpoint", "{s:s, s:s}", "PlatformApplicationArn",
			  APP_ARN, "Token", token);
	char *arn = strdup(json_string_value(json_object_get(r, "EndpointArn")));

	json_decref(r);
	return arn;
}

static void test_create_checks_token(void)
{
	char *arn;

	setup();
	FX_FAILS(&fx, "InvalidParameter", 400, "Invalid parameter: Token Reason: " REASON,
		 "CreatePlatformEndpoint", "{s:s, s:s}", "PlatformApplicationArn", APP_ARN, "Token",
		 "not-a-registration-id");
	CU_ASSERT_EQUAL(n_checks, 1);
	CU_ASSERT_STRING_EQUAL(last_platform, "ADM");
	CU_ASSERT_STRING_EQUAL(last_token, "not-a-registration-id");
	CU_ASSERT_EQUAL(n_endpoints(), 0);

	arn = create_endpoint("amzn1.adm-registration.v3.good");
	CU_ASSERT_EQUAL(n_checks, 2);
	CU_ASSERT_STRING_EQUAL(last_token, "amzn1.adm-registration.v3.good");
	CU_ASSERT_EQUAL(n_endpoints(), 1);
	free(arn);
	teardown();
}

/* Attributes.Token wins over the Token parameter, in the check as in the operation. */
static void test_create_attributes_token_checked(void)
{
	setup();
	FX_FAILS(&fx, "InvalidParameter", 400, "Invalid parameter: Token Reason: " REASON,
		 "CreatePlatformEndpoint", "{s:s, s:s, s:{s:s}}", "PlatformApplicationArn", APP_ARN,
		 "Token", "amzn1.fine", "Attributes", "Token", "bad");
	CU_ASSERT_STRING_EQUAL(last_token, "bad");
	CU_ASSERT_EQUAL(n_endpoints(), 0);
	teardown();
}

static void test_set_attributes_checks_token(void)
{
	char *arn;
	json_t *r;

	setup();
	arn = create_endpoint("amzn1.first");
	FX_FAILS(&fx, "InvalidParameter", 400, "Invalid parameter: Token Reason: " REASON,
		 "SetEndpointAttributes", "{s:s, s:{s:s, s:s}}", "EndpointArn", arn, "Attributes",
		 "Token", "garbage", "Enabled", "true");
	CU_ASSERT_STRING_EQUAL(last_platform, "ADM");
	CU_ASSERT_STRING_EQUAL(last_token, "garbage");
	r = FX_OK(&fx, "GetEndpointAttributes", "{s:s}", "EndpointArn", arn);
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_object_get(r, "Attributes"), "Token")),
		"amzn1.first");
	json_decref(r);

	json_decref(FX_OK(&fx, "SetEndpointAttributes", "{s:s, s:{s:s}}", "EndpointArn", arn,
			  "Attributes", "Token", "amzn1.second"));
	r = FX_OK(&fx, "GetEndpointAttributes", "{s:s}", "EndpointArn", arn);
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_object_get(r, "Attributes"), "Token")),
		"amzn1.second");
	json_decref(r);

	/* no Token in the attributes: nothing to check */
	n_checks = 0;
	json_decref(FX_OK(&fx, "SetEndpointAttributes", "{s:s, s:{s:s}}", "EndpointArn", arn,
			  "Attributes", "CustomUserData", "u"));
	CU_ASSERT_EQUAL(n_checks, 0);
	free(arn);
	teardown();
}

/* A refusal without a reason still says what was refused. */
static void test_reason_missing(void)
{
	setup();
	FX_FAILS(&fx, "InvalidParameter", 400,
		 "Invalid parameter: Token Reason: not a device token of this platform",
		 "CreatePlatformEndpoint", "{s:s, s:s}", "PlatformApplicationArn", APP_ARN, "Token",
		 "silent");
	teardown();
}

/* Malformed ARNs, empty tokens and unauthorised callers get the operation's own errors. */
static void test_other_errors_first(void)
{
	struct op_error err;
	json_t *r;

	setup();
	FX_FAILS(&fx, "InvalidParameter", 400,
		 "Invalid parameter: PlatformApplicationArn Reason: An ARN must have at least 6 "
		 "elements, not 1",
		 "CreatePlatformEndpoint", "{s:s, s:s}", "PlatformApplicationArn", "nope", "Token",
		 "bad");
	FX_FAILS(&fx, "InvalidParameter", 400,
		 "Invalid parameter: EndpointArn Reason: Wrong number of slashes in relative "
		 "portion of the ARN.",
		 "SetEndpointAttributes", "{s:s, s:{s:s}}", "EndpointArn",
		 "arn:aws:sns:us-east-1:000000000000:endpoint/ADM", "Attributes", "Token", "bad");
	r = fx_call(&fx, "CreatePlatformEndpoint", &err, "{s:s, s:s}", "PlatformApplicationArn",
		    APP_ARN, "Token", "");
	CU_ASSERT_PTR_NULL(r);
	CU_ASSERT_STRING_EQUAL(err.code, "InvalidParameter");
	r = fx_call_as(&fx, OP_ROLE_PUBLISH, "CreatePlatformEndpoint", &err, "{s:s, s:s}",
		       "PlatformApplicationArn", APP_ARN, "Token", "bad");
	CU_ASSERT_PTR_NULL(r);
	CU_ASSERT_STRING_EQUAL(err.code, "AuthorizationError");
	CU_ASSERT_EQUAL(n_checks, 0);
	teardown();
}

/* Without a check (no driver host wired), any token is taken. */
static void test_no_check(void)
{
	char *arn;

	setup();
	api_set_token_check(fx.api, NULL, NULL);
	arn = create_endpoint("anything goes");
	CU_ASSERT_EQUAL(n_checks, 0);
	CU_ASSERT_EQUAL(n_endpoints(), 1);
	free(arn);
	teardown();
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"CreatePlatformEndpoint checks the token", test_create_checks_token},
		{"Attributes.Token is the one checked", test_create_attributes_token_checked},
		{"SetEndpointAttributes checks a new token", test_set_attributes_checks_token},
		{"refusal without a reason", test_reason_missing},
		{"other errors come first", test_other_errors_first},
		{"no check installed", test_no_check},
		CU_TEST_INFO_NULL,
	};
	return fx_run_suite("token_check", NULL, NULL, tests);
}
