/*
 * Unit tests of emulator/adm.c: the md5 checksum (Amazon's and pigeon's
 * check values), the token endpoint's client-credentials checks and the send
 * body rules.
 */
#include "config.h"

#include <string.h>

#include "emulator/adm.h"
#include "tests/emulator/keys.h"

static struct emu_config cfg;

static int suite_init(void)
{
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.adm_client_id, "amzn1.application-oa2-client.0123");
	strcpy(cfg.adm_client_secret, "s3cret");
	return 0;
}

static int suite_clean(void)
{
	return 0;
}

static void md5_of(const char *data, const char *want)
{
	json_t *obj = json_loads(data, 0, NULL);
	char out[25];

	CU_ASSERT_PTR_NOT_NULL_FATAL(obj);
	CU_ASSERT_EQUAL_FATAL(adm_md5(obj, out), 0);
	CU_ASSERT_STRING_EQUAL(out, want);
	json_decref(obj);
}

static void test_md5(void)
{
	json_t *bad = json_pack("{s:i}", "n", 1);
	char out[25];

	md5_of("{}", "1B2M2Y8AsgTpgAmY7PhCfg=="); /* providers.md §3.3 check values */
	md5_of("{\"message\":\"your message\"}", "qzF+HgArKZjJrpfcTbiFxg==");
	/* Sorted by key: {"b":"2","a":"1"} hashes "a:1,b:2", whatever the order sent. */
	md5_of("{\"b\":\"2\",\"a\":\"1\"}", "Xvb142mSeo7pSjdDDASyeA==");
	md5_of("{\"a\":\"1\",\"b\":\"2\"}", "Xvb142mSeo7pSjdDDASyeA==");
	CU_ASSERT_EQUAL(adm_md5(bad, out), -1);
	json_decref(bad);
}

static void token(const char *grant, const char *scope, const char *id, const char *secret,
		  int http, const char *error)
{
	struct adm_oauth_error e = {0};
	int rc = adm_check_token(&cfg, grant, scope, id, secret, &e);

	if (!error) {
		CU_ASSERT_EQUAL(rc, 0);
		return;
	}
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_EQUAL(e.http, http);
	CU_ASSERT_STRING_EQUAL(e.error, error);
}

static void test_token(void)
{
	const char *id = cfg.adm_client_id;

	token("client_credentials", "messaging:push", id, "s3cret", 200, NULL);
	token("client_credentials", "messaging:push", id, "s3cre", 401, "invalid_client");
	token("client_credentials", "messaging:push", "other", "s3cret", 401, "invalid_client");
	token("client_credentials", "messaging:push", id, NULL, 401, "invalid_client");
	token("client_credentials", "profile", id, "s3cret", 400, "invalid_scope");
	token("client_credentials", NULL, id, "s3cret", 400, "invalid_scope");
	token("authorization_code", "messaging:push", id, "s3cret", 400, "unsupported_grant_type");
	token(NULL, "messaging:push", id, "s3cret", 400, "invalid_request");
}

static void check_send(const char *body, int status, const char *reason)
{
	const char *got;
	char md5[25];

	CU_ASSERT_EQUAL(adm_check_send(body, strlen(body), &got, md5), status);
	if (reason) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(got);
		CU_ASSERT_STRING_EQUAL(got, reason);
	} else {
		CU_ASSERT_PTR_NULL(got);
	}
}

static void test_send(void)
{
	char big[ADM_MAX_BODY + 64];

	check_send("{\"data\":{\"message\":\"your message\"},\"md5\":\"qzF+HgArKZjJrpfcTbiFxg==\"}",
		   0, NULL);
	check_send("{\"data\":{\"a\":\"1\"},\"md5\":\"qzF+HgArKZjJrpfcTbiFxg==\"}", 400,
		   "InvalidChecksum");
	check_send("{\"data\":{\"a\":1}}", 400, "InvalidData");
	check_send("{\"data\":[\"a\"]}", 400, "InvalidData");
	check_send("{\"data\":{}}", 400, "InvalidData");
	check_send("{\"data\":{},\"consolidationKey\":\"k\"}", 0, NULL);
	check_send("{\"expiresAfter\":60}", 400, "InvalidData");
	check_send("not json", 400, "InvalidData");
	check_send("{\"data\":{\"a\":\"1\"},\"consolidationKey\":\"\"}", 400,
		   "InvalidConsolidationKey");
	check_send("{\"data\":{\"a\":\"1\"},\"consolidationKey\":7}", 400,
		   "InvalidConsolidationKey");
	check_send("{\"data\":{\"a\":\"1\"},\"expiresAfter\":59}", 400, "InvalidExpiration");
	check_send("{\"data\":{\"a\":\"1\"},\"expiresAfter\":2678401}", 400, "InvalidExpiration");
	check_send("{\"data\":{\"a\":\"1\"},\"expiresAfter\":\"60\"}", 400, "InvalidExpiration");
	check_send("{\"data\":{\"a\":\"1\"},\"expiresAfter\":2678400}", 0, NULL);
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "{\"data\":{\"a\":\"1\"}}", 18);
	check_send(big, 413, "MessageTooLarge");
	CU_ASSERT_TRUE(adm_registration_valid("amzn1.adm-registration.v3.Y29tLmFtYXpvbi5EZXZpY2U"));
	CU_ASSERT_FALSE(adm_registration_valid(""));
	CU_ASSERT_FALSE(adm_registration_valid("a b"));
	CU_ASSERT_FALSE(adm_registration_valid("a%2Fb"));
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"md5 checksum", test_md5},
		{"token endpoint", test_token},
		{"send body", test_send},
		CU_TEST_INFO_NULL,
	};

	return keys_run_suite("adm", suite_init, suite_clean, tests);
}
