/*
 * broker/jws.c: key loading (formats, curves, sizes, errors that name the
 * problem and never quote the key), ES256 and RS256 compact JWS verified
 * independently with OpenSSL (the raw r||s turned back into DER), the alg
 * check, and base64url against known answers.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "broker/jws.h"
#include "common/util.h"
#include "tests/unit/run.h"
#include "tests/unit/testsrv.h"

static EVP_PKEY *p256, *p384, *rsa2048, *rsa1024;

/* PEM text of k: PKCS#8 ("PRIVATE KEY") or the traditional form; caller frees. */
static char *pem_of(EVP_PKEY *k, int traditional)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;

	if (!b)
		return NULL;
	if ((traditional ? PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0, NULL, NULL)
			 : PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)) == 1) {
		n = BIO_get_mem_data(b, &data);
		out = malloc((size_t)n + 1);
		if (out) {
			memcpy(out, data, (size_t)n);
			out[n] = '\0';
		}
	}
	BIO_free(b);
	return out;
}

static int suite_init(void)
{
	p256 = EVP_EC_gen("P-256");
	p384 = EVP_EC_gen("P-384");
	rsa2048 = EVP_RSA_gen(2048);
	rsa1024 = EVP_RSA_gen(1024);
	return p256 && p384 && rsa2048 && rsa1024 ? 0 : 1;
}

static int suite_clean(void)
{
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(rsa2048);
	EVP_PKEY_free(rsa1024);
	return 0;
}

static struct herald_key *load(EVP_PKEY *k, int traditional)
{
	char *pem = pem_of(k, traditional), err[256] = "";
	struct herald_key *key;

	CU_ASSERT_FATAL(pem != NULL);
	key = jws_key_load(pem, strlen(pem), err, sizeof(err));
	if (!key)
		fprintf(stderr, "load: %s\n", err);
	free(pem);
	return key;
}

/*
 * Split token, check its header and claims decode to the given JSON, and
 * verify its signature with pub; ES256 signatures must be 64 bytes of r||s.
 * Returns 1 if the signature verifies.
 */
static int verify(const char *token, const char *header, const char *claims, EVP_PKEY *pub, int ec,
		  const char *tamper)
{
	const char *d1 = strchr(token, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	unsigned char *h, *c, *sig, *der = NULL;
	size_t hl, cl, sl, der_len;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char *input;
	int ok = 0;

	CU_ASSERT_FATAL(d1 && d2 && !strchr(d2 + 1, '.'));
	CU_ASSERT(strcspn(token, "=+/") == strlen(token)); /* base64url, no padding */
	h = testsrv_b64url_decode(token, (size_t)(d1 - token), &hl);
	c = testsrv_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &cl);
	sig = testsrv_b64url_decode(d2 + 1, strlen(d2 + 1), &sl);
	CU_ASSERT_FATAL(h && c && sig);
	CU_ASSERT(hl == strlen(header) && !memcmp(h, header, hl));
	CU_ASSERT(cl == strlen(claims) && !memcmp(c, claims, cl));
	input = strndup(token, (size_t)(d2 - token));
	if (tamper)
		input[0] = tamper[0];
	if (ec) {
		ECDSA_SIG *es = ECDSA_SIG_new();

		CU_ASSERT_EQUAL_FATAL(sl, 64);
		ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
		der_len = (size_t)i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
	} else {
		der = OPENSSL_memdup(sig, sl);
		der_len = sl;
	}
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1 &&
	     EVP_DigestVerify(md, der, der_len, (unsigned char *)input, strlen(input)) == 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	free(input);
	free(h);
	free(c);
	free(sig);
	return ok;
}

static void test_es256(void)
{
	const char *hdr = "{\"alg\":\"ES256\",\"kid\":\"ABC123DEFG\"}";
	const char *claims = "{\"iss\":\"DEF123GHIJ\",\"iat\":1437179036}";
	struct herald_key *key = load(p256, 0);
	char out[1024];
	int n;

	CU_ASSERT_FATAL(key != NULL);
	CU_ASSERT_STRING_EQUAL(jws_key_alg(key), "ES256");
	n = jws_sign(key, hdr, claims, out, sizeof(out));
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL((size_t)n, strlen(out));
	CU_ASSERT(verify(out, hdr, claims, p256, 1, NULL));
	/* The signature covers the signing input: a changed byte fails. */
	CU_ASSERT(!verify(out, hdr, claims, p256, 1, "f"));
	/* Exactly as long as needed: the length written, plus its NUL. */
	CU_ASSERT_EQUAL(jws_sign(key, hdr, claims, out, (size_t)n + 1), n);
	CU_ASSERT_EQUAL(jws_sign(key, hdr, claims, out, (size_t)n), HERALD_EINVAL);
	jws_key_free(key);

	/* "EC PRIVATE KEY" loads too. */
	key = load(p256, 1);
	CU_ASSERT_FATAL(key != NULL);
	CU_ASSERT(jws_sign(key, hdr, claims, out, sizeof(out)) > 0);
	CU_ASSERT(verify(out, hdr, claims, p256, 1, NULL));
	jws_key_free(key);
}

static void test_rs256(void)
{
	const char *hdr = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	const char *claims = "{\"iss\":\"sa@p.iam.gserviceaccount.com\",\"exp\":2}";
	struct herald_key *key = load(rsa2048, 0), *dup;
	char out[2048];

	CU_ASSERT_FATAL(key != NULL);
	CU_ASSERT_STRING_EQUAL(jws_key_alg(key), "RS256");
	CU_ASSERT(jws_sign(key, hdr, claims, out, sizeof(out)) > 0);
	CU_ASSERT(verify(out, hdr, claims, rsa2048, 0, NULL));
	CU_ASSERT(!verify(out, hdr, claims, rsa2048, 0, "x"));
	/* A duplicate outlives the original. */
	dup = jws_key_dup(key);
	jws_key_free(key);
	CU_ASSERT_FATAL(dup != NULL);
	CU_ASSERT(jws_sign(dup, hdr, claims, out, sizeof(out)) > 0);
	CU_ASSERT(verify(out, hdr, claims, rsa2048, 0, NULL));
	jws_key_free(dup);

	/* "RSA PRIVATE KEY" loads too. */
	key = load(rsa2048, 1);
	CU_ASSERT_FATAL(key != NULL);
	CU_ASSERT(jws_sign(key, hdr, claims, out, sizeof(out)) > 0);
	jws_key_free(key);
}

static void test_alg_checked(void)
{
	struct herald_key *ec = load(p256, 0), *rsa = load(rsa2048, 0);
	char out[2048];

	CU_ASSERT_FATAL(ec && rsa);
	CU_ASSERT_EQUAL(jws_sign(ec, "{\"alg\":\"RS256\"}", "{}", out, sizeof(out)), HERALD_EINVAL);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(jws_sign(rsa, "{\"alg\":\"ES256\"}", "{}", out, sizeof(out)),
			HERALD_EINVAL);
	CU_ASSERT_EQUAL(jws_sign(ec, "{\"kid\":\"K\"}", "{}", out, sizeof(out)), HERALD_EINVAL);
	CU_ASSERT_EQUAL(jws_sign(ec, "{\"alg\":\"none\"}", "{}", out, sizeof(out)), HERALD_EINVAL);
	CU_ASSERT_EQUAL(jws_sign(ec, "{\"alg\":\"ES256\"}", "not json", out, sizeof(out)),
			HERALD_EINVAL);
	CU_ASSERT_EQUAL(jws_sign(ec, "[\"alg\"]", "{}", out, sizeof(out)), HERALD_EINVAL);
	CU_ASSERT(jws_sign(ec, "{\"alg\":\"ES256\"}", "{}", out, sizeof(out)) > 0);
	jws_key_free(ec);
	jws_key_free(rsa);
}

/* err names the problem and holds none of the key's base64 body. */
static void refused(const char *pem, size_t len, const char *want)
{
	char err[256] = "";
	const char *body = strstr(pem, "-----\n");

	CU_ASSERT_PTR_NULL(jws_key_load(pem, len, err, sizeof(err)));
	if (!strstr(err, want))
		fprintf(stderr, "error \"%s\" does not say \"%s\"\n", err, want);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	if (body && strlen(body) > 30) {
		char piece[17];

		memcpy(piece, body + 6, 16);
		piece[16] = '\0';
		CU_ASSERT_PTR_NULL(strstr(err, piece));
	}
}

static void test_bad_keys(void)
{
	char *pem, *enc = NULL;
	const char *pub;
	BIO *b;
	long n;

	refused("hello", 5, "not a PEM private key");
	refused("", 0, "no key");
	pem = pem_of(p384, 0);
	refused(pem, strlen(pem), "P-256");
	free(pem);
	pem = pem_of(rsa1024, 0);
	refused(pem, strlen(pem), "2048");
	free(pem);

	/* Damaged base64 inside a well-formed armour. */
	pem = pem_of(p256, 0);
	pem[40] = pem[40] == 'A' ? '!' : 'A';
	pem[41] = '*';
	refused(pem, strlen(pem), "does not decode");
	/* Truncated: the text stops in the middle (no NUL after it either). */
	refused(pem, 60, "does not decode");
	free(pem);

	/* A certificate or public key is not a private key. */
	pub = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n";
	refused(pub, strlen(pub), "not a PEM private key");

	/* Encrypted PKCS#8 */
	b = BIO_new(BIO_s_mem());
	CU_ASSERT_FATAL(b != NULL);
	CU_ASSERT_FATAL(PEM_write_bio_PKCS8PrivateKey(b, p256, EVP_aes_256_cbc(), NULL, 0, NULL,
						      "pass") == 1);
	n = BIO_get_mem_data(b, &enc);
	pem = util_memdup(enc, (size_t)n); /* refused() reads it as a string */
	refused(pem, strlen(pem), "encrypted");
	free(pem);
	BIO_free(b);
}

static void test_b64url(void)
{
	/* RFC 4648 §10 vectors, padding removed; then the URL-safe alphabet. */
	static const struct {
		const char *in, *out;
	} v[] = {{"", ""},	     {"f", "Zg"},	   {"fo", "Zm8"},	  {"foo", "Zm9v"},
		 {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
	/* RFC 7515 A.1: the JWS header with its CRLF. */
	const char *hdr = "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
	const unsigned char bin[] = {0xfb, 0xff, 0xbf};
	char out[64];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CU_ASSERT_EQUAL(jws_b64url(v[i].in, strlen(v[i].in), out, sizeof(out)),
				(int)strlen(v[i].out));
		CU_ASSERT_STRING_EQUAL(out, v[i].out);
	}
	CU_ASSERT(jws_b64url(hdr, strlen(hdr), out, sizeof(out)) > 0);
	CU_ASSERT_STRING_EQUAL(out, "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9");
	CU_ASSERT_EQUAL(jws_b64url(bin, 2, out, sizeof(out)), 3);
	CU_ASSERT_STRING_EQUAL(out, "-_8");
	CU_ASSERT_EQUAL(jws_b64url(bin, 3, out, sizeof(out)), 4);
	CU_ASSERT_STRING_EQUAL(out, "-_-_");
	CU_ASSERT_EQUAL(jws_b64url("foobar", 6, out, 8), -1);
	CU_ASSERT_EQUAL(jws_b64url("foobar", 6, out, 9), 8);
}

static void test_fingerprint(void)
{
	struct herald_key *a = load(p256, 0), *b = load(p256, 1), *c = load(rsa2048, 0);
	unsigned char fa[32], fb[32], fc[32];

	CU_ASSERT_FATAL(a && b && c);
	CU_ASSERT_EQUAL(jws_key_fingerprint(a, fa), 0);
	CU_ASSERT_EQUAL(jws_key_fingerprint(b, fb), 0);
	CU_ASSERT_EQUAL(jws_key_fingerprint(c, fc), 0);
	CU_ASSERT(!memcmp(fa, fb, 32)); /* the same key in either PEM form */
	CU_ASSERT(memcmp(fa, fc, 32) != 0);
	jws_key_free(a);
	jws_key_free(b);
	jws_key_free(c);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"ES256 verifies with r||s turned back into DER", test_es256},
		{"RS256 verifies; duplicates outlive the original", test_rs256},
		{"alg must be the key's; header and claims JSON objects", test_alg_checked},
		{"bad, wrong-curve, short and encrypted keys refused clearly", test_bad_keys},
		{"base64url known answers", test_b64url},
		{"public-key fingerprint", test_fingerprint},
		CU_TEST_INFO_NULL,
	};

	return fx_run_suite("jws", suite_init, suite_clean, tests);
}
