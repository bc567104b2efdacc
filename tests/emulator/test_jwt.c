/* Unit tests of emulator/jwt.c: base64url, parsing, ES256/RS256 verify and sign. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "emulator/jwt.h"
#include "tests/emulator/keys.h"

static EVP_PKEY *rsa_a, *rsa_b;

static int suite_init(void)
{
	rsa_a = EVP_RSA_gen(2048);
	rsa_b = EVP_RSA_gen(2048);
	return rsa_a && rsa_b ? 0 : 1;
}

static int suite_clean(void)
{
	EVP_PKEY_free(rsa_a);
	EVP_PKEY_free(rsa_b);
	return 0;
}

static void test_b64url(void)
{
	const unsigned char raw[] = {0xfb, 0xff, 0xfe, 0x00, 0x41};
	unsigned char *back;
	size_t len;
	char *s = jwt_b64url_encode(raw, sizeof(raw));

	CU_ASSERT_STRING_EQUAL(s, "-__-AEE"); /* '+' '/' mapped, no padding */
	back = jwt_b64url_decode(s, strlen(s), &len);
	CU_ASSERT_EQUAL(len, sizeof(raw));
	CU_ASSERT(back && memcmp(back, raw, sizeof(raw)) == 0);
	free(back);
	free(s);
	CU_ASSERT_PTR_NULL(jwt_b64url_decode("+__-", 4, &len));	 /* standard alphabet */
	CU_ASSERT_PTR_NULL(jwt_b64url_decode("QQ==", 4, &len));	 /* padding */
	CU_ASSERT_PTR_NULL(jwt_b64url_decode("QUJDR", 5, &len)); /* impossible length */
}

static void test_parse(void)
{
	struct jwt jwt;
	const char *why;

	CU_ASSERT_EQUAL(jwt_parse(TV_TOKEN, strlen(TV_TOKEN), &jwt, &why), 0);
	CU_ASSERT_STRING_EQUAL(jwt_claim_str(jwt.header, "kid"), TV_KID);
	CU_ASSERT_STRING_EQUAL(jwt_claim_str(jwt.claims, "iss"), TV_TEAM);
	CU_ASSERT_EQUAL(jwt.sig_len, 64);
	jwt_clear(&jwt);

	CU_ASSERT_EQUAL(jwt_parse("", 0, &jwt, &why), -1);
	CU_ASSERT_EQUAL(jwt_parse("abc.def", 7, &jwt, &why), -1);
	CU_ASSERT_EQUAL(jwt_parse("a.b.c.d", 7, &jwt, &why), -1);
	/* "[1]" is JSON but not an object. */
	CU_ASSERT_EQUAL(jwt_parse("WzFd.WzFd.AAAA", 14, &jwt, &why), -1);
	/* Header "{}" is fine, claims not base64url. */
	CU_ASSERT_EQUAL(jwt_parse("e30.e3!.AAAA", 12, &jwt, &why), -1);
	CU_ASSERT_EQUAL(jwt_parse("e30.e30.", 8, &jwt, &why), -1); /* empty signature */
	CU_ASSERT_EQUAL(jwt_parse("e30.e30.AAAA", 12, &jwt, &why), 0);
	jwt_clear(&jwt);
}

static void test_es256_vector(void)
{
	EVP_PKEY *pub = tv_public_key();
	struct jwt jwt;
	const char *why;
	char forged[sizeof(TV_TOKEN)];

	CU_ASSERT_FATAL(pub != NULL);
	CU_ASSERT_EQUAL_FATAL(jwt_parse(TV_TOKEN, strlen(TV_TOKEN), &jwt, &why), 0);
	CU_ASSERT_EQUAL(jwt_verify_es256(&jwt, pub), 0);
	CU_ASSERT_EQUAL(jwt_verify_rs256(&jwt, pub), -1); /* header says ES256 */
	jwt_clear(&jwt);

	/* Change one signature character: the signature no longer verifies. */
	memcpy(forged, TV_TOKEN, sizeof(forged));
	forged[strlen(forged) - 3] = forged[strlen(forged) - 3] == 'A' ? 'B' : 'A';
	CU_ASSERT_EQUAL_FATAL(jwt_parse(forged, strlen(forged), &jwt, &why), 0);
	CU_ASSERT_EQUAL(jwt_verify_es256(&jwt, pub), -1);
	jwt_clear(&jwt);
	EVP_PKEY_free(pub);
}

static void test_es256_sign_roundtrip(void)
{
	EVP_PKEY *key = tv_private_key(), *other = EVP_EC_gen("P-256");
	json_t *hdr = json_pack("{s:s}", "kid", TV_KID);
	json_t *claims = json_pack("{s:s, s:I}", "iss", TV_TEAM, "iat", (json_int_t)TV_IAT);
	char *tok = jwt_sign(key, hdr, claims);
	struct jwt jwt;
	const char *why;

	CU_ASSERT_FATAL(tok != NULL);
	CU_ASSERT_EQUAL_FATAL(jwt_parse(tok, strlen(tok), &jwt, &why), 0);
	CU_ASSERT_STRING_EQUAL(jwt_claim_str(jwt.header, "alg"), "ES256");
	CU_ASSERT_EQUAL(jwt.sig_len, 64); /* raw R||S, not DER */
	CU_ASSERT_EQUAL(jwt_verify_es256(&jwt, key), 0);
	CU_ASSERT_EQUAL(jwt_verify_es256(&jwt, other), -1);
	jwt_clear(&jwt);
	free(tok);
	json_decref(hdr);
	json_decref(claims);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

static void test_es256_rejects_der(void)
{
	EVP_PKEY *key = tv_private_key();
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	const char *input =
		"eyJhbGciOiJFUzI1NiIsImtpZCI6IkFCQzEyM0RFRkcifQ.eyJpc3MiOiJERUYxMjNHSElKIiwiaWF0IjoxNzAwMDAwMDAwfQ";
	unsigned char der[80];
	size_t der_len = sizeof(der);
	char *sig64, tok[512];
	struct jwt jwt;
	const char *why;

	CU_ASSERT_FATAL(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1);
	CU_ASSERT_FATAL(EVP_DigestSign(md, der, &der_len, (const unsigned char *)input,
				       strlen(input)) == 1);
	sig64 = jwt_b64url_encode(der, der_len);
	snprintf(tok, sizeof(tok), "%s.%s", input, sig64);
	CU_ASSERT_EQUAL_FATAL(jwt_parse(tok, strlen(tok), &jwt, &why), 0);
	CU_ASSERT_EQUAL(jwt_verify_es256(&jwt, key), -1); /* a valid DER signature, wrong form */
	jwt_clear(&jwt);
	free(sig64);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
}

static void test_rs256(void)
{
	json_t *hdr = json_pack("{s:s}", "typ", "JWT");
	json_t *claims = json_pack("{s:s}", "iss", "sa@example.iam.gserviceaccount.com");
	json_t *evil = json_pack("{s:s}", "iss", "attacker@example.com");
	char *tok = jwt_sign(rsa_a, hdr, claims), *other = jwt_sign(rsa_a, hdr, evil), forged[2048];
	struct jwt jwt;
	const char *why;

	CU_ASSERT_FATAL(tok && other);
	CU_ASSERT_EQUAL_FATAL(jwt_parse(tok, strlen(tok), &jwt, &why), 0);
	CU_ASSERT_STRING_EQUAL(jwt_claim_str(jwt.header, "alg"), "RS256");
	CU_ASSERT_EQUAL(jwt_verify_rs256(&jwt, rsa_a), 0);
	CU_ASSERT_EQUAL(jwt_verify_rs256(&jwt, rsa_b), -1);
	CU_ASSERT_EQUAL(jwt_verify_es256(&jwt, rsa_a), -1);
	jwt_clear(&jwt);
	/* Claims of one token with the signature of another. */
	snprintf(forged, sizeof(forged), "%.*s%s", (int)(strrchr(other, '.') - other), other,
		 strrchr(tok, '.'));
	CU_ASSERT_EQUAL_FATAL(jwt_parse(forged, strlen(forged), &jwt, &why), 0);
	CU_ASSERT_EQUAL(jwt_verify_rs256(&jwt, rsa_a), -1);
	jwt_clear(&jwt);
	free(tok);
	free(other);
	json_decref(hdr);
	json_decref(claims);
	json_decref(evil);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"base64url", test_b64url},
		{"parse", test_parse},
		{"ES256 test vector and forgery", test_es256_vector},
		{"ES256 sign and verify", test_es256_sign_roundtrip},
		{"ES256 rejects DER signatures", test_es256_rejects_der},
		{"RS256 sign, verify, forgery", test_rs256},
		CU_TEST_INFO_NULL,
	};

	return keys_run_suite("jwt", suite_init, suite_clean, tests);
}
