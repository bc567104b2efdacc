/* Compact JWS parsing, ES256/RS256 verification and signing; see jwt.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>

#include "common/util.h"
#include "emulator/jwt.h"

char *jwt_b64url_encode(const void *data, size_t len)
{
	char *s = util_base64_encode(data, len);
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	while (n > 0 && s[n - 1] == '=')
		s[--n] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+')
			s[i] = '-';
		else if (s[i] == '/')
			s[i] = '_';
	}
	return s;
}

unsigned char *jwt_b64url_decode(const char *text, size_t len, size_t *out_len)
{
	unsigned char *out = NULL;
	char *std;
	size_t n;

	if (len % 4 == 1 || len > JWT_MAX_LEN)
		return NULL;
	n = (len + 3) / 4 * 4;
	std = malloc(n + 1);
	if (!std)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9')))
			goto out;
		std[i] = c;
	}
	memset(std + len, '=', n - len);
	std[n] = '\0';
	out = util_base64_decode(std, n, out_len);
	if (out)
		out[*out_len] = '\0'; /* util_base64_decode leaves room for it */
out:
	free(std);
	return out;
}

static json_t *decode_object(const char *b64, size_t len)
{
	unsigned char *raw;
	size_t raw_len;
	json_t *obj;

	raw = jwt_b64url_decode(b64, len, &raw_len);
	if (!raw)
		return NULL;
	obj = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	if (obj && !json_is_object(obj)) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

int jwt_parse(const char *token, size_t len, struct jwt *out, const char **why)
{
	const char *dot1, *dot2, *end = token + len;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > JWT_MAX_LEN) {
		*why = "token empty or too long";
		return -1;
	}
	dot1 = memchr(token, '.', len);
	dot2 = dot1 ? memchr(dot1 + 1, '.', (size_t)(end - dot1 - 1)) : NULL;
	if (!dot2 || memchr(dot2 + 1, '.', (size_t)(end - dot2 - 1))) {
		*why = "not three dot-separated parts";
		return -1;
	}
	out->header = decode_object(token, (size_t)(dot1 - token));
	if (!out->header) {
		*why = "header is not base64url JSON object";
		goto fail;
	}
	out->claims = decode_object(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (!out->claims) {
		*why = "claims are not a base64url JSON object";
		goto fail;
	}
	out->sig = jwt_b64url_decode(dot2 + 1, (size_t)(end - dot2 - 1), &out->sig_len);
	if (!out->sig || out->sig_len == 0) {
		*why = "signature is not base64url";
		goto fail;
	}
	out->signing_input_len = (size_t)(dot2 - token);
	out->signing_input = util_memdup(token, out->signing_input_len);
	if (!out->signing_input) {
		*why = "out of memory";
		goto fail;
	}
	return 0;
fail:
	jwt_clear(out);
	return -1;
}

void jwt_clear(struct jwt *jwt)
{
	json_decref(jwt->header);
	json_decref(jwt->claims);
	free(jwt->signing_input);
	free(jwt->sig);
	memset(jwt, 0, sizeof(*jwt));
}

static int alg_is(const struct jwt *jwt, const char *alg)
{
	const char *a = jwt_claim_str(jwt->header, "alg");

	return a && strcmp(a, alg) == 0;
}

static int verify_digest(EVP_PKEY *pub, const unsigned char *sig, size_t sig_len, const char *input,
			 size_t input_len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = 0;

	if (md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1)
		ok = EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)input, input_len) ==
		     1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

int jwt_verify_es256(const struct jwt *jwt, EVP_PKEY *pub)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL;
	int der_len, rc = -1;

	if (!alg_is(jwt, "ES256") || jwt->sig_len != 64 || EVP_PKEY_get_base_id(pub) != EVP_PKEY_EC)
		return -1;
	/* OpenSSL verifies DER; JWS carries R||S, each 32 bytes big-endian. */
	es = ECDSA_SIG_new();
	r = BN_bin2bn(jwt->sig, 32, NULL);
	s = BN_bin2bn(jwt->sig + 32, 32, NULL);
	if (!es || !r || !s || ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL; /* owned by es now */
	der_len = i2d_ECDSA_SIG(es, &der);
	if (der_len <= 0)
		goto out;
	rc = verify_digest(pub, der, (size_t)der_len, jwt->signing_input, jwt->signing_input_len);
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	OPENSSL_free(der);
	return rc;
}

int jwt_verify_rs256(const struct jwt *jwt, EVP_PKEY *pub)
{
	if (!alg_is(jwt, "RS256") || EVP_PKEY_get_base_id(pub) != EVP_PKEY_RSA)
		return -1;
	return verify_digest(pub, jwt->sig, jwt->sig_len, jwt->signing_input,
			     jwt->signing_input_len);
}

/* ECDSA gives DER; convert to the 64-byte JWS form in raw[]. */
static int der_to_raw(const unsigned char *der, size_t der_len, unsigned char raw[64])
{
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	const BIGNUM *r, *s;
	int rc = -1;

	if (!es)
		return -1;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32)
		rc = 0;
	ECDSA_SIG_free(es);
	return rc;
}

static char *encode_json(json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT);
	char *b64;

	if (!text)
		return NULL;
	b64 = jwt_b64url_encode(text, strlen(text));
	free(text);
	return b64;
}

char *jwt_sign(EVP_PKEY *key, json_t *header, json_t *claims)
{
	int ec = EVP_PKEY_get_base_id(key) == EVP_PKEY_EC;
	json_t *hdr = json_copy(header);
	char *h64 = NULL, *c64 = NULL, *input = NULL, *s64 = NULL, *token = NULL;
	unsigned char *sig = NULL, raw[64];
	size_t sig_len = 0, input_len;
	EVP_MD_CTX *md = NULL;

	if (!hdr || json_object_set_new(hdr, "alg", json_string(ec ? "ES256" : "RS256")) != 0)
		goto out;
	h64 = encode_json(hdr);
	c64 = encode_json(claims);
	if (!h64 || !c64)
		goto out;
	input_len = strlen(h64) + 1 + strlen(c64);
	input = malloc(input_len + 1);
	if (!input)
		goto out;
	snprintf(input, input_len + 1, "%s.%s", h64, c64);
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &sig_len, (unsigned char *)input, input_len) != 1)
		goto out;
	sig = malloc(sig_len);
	if (!sig || EVP_DigestSign(md, sig, &sig_len, (unsigned char *)input, input_len) != 1)
		goto out;
	if (ec) {
		if (der_to_raw(sig, sig_len, raw) != 0)
			goto out;
		s64 = jwt_b64url_encode(raw, sizeof(raw));
	} else {
		s64 = jwt_b64url_encode(sig, sig_len);
	}
	if (!s64)
		goto out;
	token = malloc(input_len + 1 + strlen(s64) + 1);
	if (token)
		sprintf(token, "%s.%s", input, s64);
out:
	EVP_MD_CTX_free(md);
	json_decref(hdr);
	free(h64);
	free(c64);
	free(input);
	free(sig);
	free(s64);
	return token;
}

int jwt_claim_int(const json_t *obj, const char *name, long long *out)
{
	json_t *v = json_object_get(obj, name);

	if (!json_is_integer(v))
		return -1;
	*out = json_integer_value(v);
	return 0;
}

const char *jwt_claim_str(const json_t *obj, const char *name)
{
	return json_string_value(json_object_get(obj, name));
}
