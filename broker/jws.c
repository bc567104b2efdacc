/*
 * Key loading and compact JWS signing; see jws.h.
 *
 * ECDSA in OpenSSL yields a DER SEQUENCE of r and s; JWS (RFC 7518 §3.4)
 * wants the two integers as 32-byte big-endian values side by side, which is
 * what APNs checks.  RS256 is RSASSA-PKCS1-v1_5 with SHA-256, already in the
 * form JWS wants.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "broker/jws.h"
#include "common/util.h"

#define JWS_PEM_MAX	 65536u /* bytes of a PEM key */
#define JWS_RSA_BITS	 2048
#define JWS_RSA_BITS_MAX 8192 /* the signature buffer of jws_sign() */

int jws_b64url(const void *data, size_t len, char *out, size_t out_size)
{
	char *s = util_base64_encode(data, len);
	size_t n;

	if (!s)
		return -1;
	n = strlen(s);
	while (n > 0 && s[n - 1] == '=')
		n--;
	if (n + 1 > out_size || n > INT_MAX) {
		free(s);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
	out[n] = '\0';
	free(s);
	return (int)n;
}

/* Does the text hold "-----BEGIN label-----"? */
static int jws_has_label(const char *pem, size_t len, const char *label)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "-----BEGIN %s-----", label);

	return memmem(pem, len, line, (size_t)n) != NULL;
}

/* Check the key is one JWS here signs with; NULL or the reason. */
static const char *jws_key_check(EVP_PKEY *k, int *ec, char *why, size_t why_size)
{
	char group[64] = "";
	size_t glen = 0;

	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group,
						   sizeof(group), &glen) != 1 ||
		    strcmp(group, "prime256v1") != 0) {
			snprintf(why, why_size,
				 "the EC key is on curve %s; ES256 needs P-256 (prime256v1)",
				 glen ? group : "(unknown)");
			return why;
		}
		*ec = 1;
		return NULL;
	case EVP_PKEY_RSA:
		if (EVP_PKEY_get_bits(k) < JWS_RSA_BITS ||
		    EVP_PKEY_get_bits(k) > JWS_RSA_BITS_MAX) {
			snprintf(why, why_size,
				 "the RSA key has %d bits; RS256 here takes %d to %d",
				 EVP_PKEY_get_bits(k), JWS_RSA_BITS, JWS_RSA_BITS_MAX);
			return why;
		}
		*ec = 0;
		return NULL;
	default:
		return "unsupported key type (want an EC P-256 or an RSA key)";
	}
}

struct herald_key *jws_key_load(const void *pem, size_t pem_len, char *err, size_t err_size)
{
	struct herald_key *key = NULL;
	EVP_PKEY *k = NULL;
	BIO *bio = NULL;
	const char *why = NULL;
	char buf[160];
	int ec = 0;

	if (!pem || !pem_len) {
		snprintf(err, err_size, "no key given");
		return NULL;
	}
	if (pem_len > JWS_PEM_MAX) {
		snprintf(err, err_size, "the key is %zu bytes, more than a PEM key's %u", pem_len,
			 JWS_PEM_MAX);
		return NULL;
	}
	if (jws_has_label(pem, pem_len, "ENCRYPTED PRIVATE KEY")) {
		snprintf(err, err_size, "the key is encrypted; give it without a passphrase");
		return NULL;
	}
	if (!jws_has_label(pem, pem_len, "PRIVATE KEY") &&
	    !jws_has_label(pem, pem_len, "EC PRIVATE KEY") &&
	    !jws_has_label(pem, pem_len, "RSA PRIVATE KEY")) {
		snprintf(err, err_size,
			 "not a PEM private key (expected -----BEGIN PRIVATE KEY-----, EC PRIVATE "
			 "KEY or RSA PRIVATE KEY)");
		return NULL;
	}
	bio = BIO_new_mem_buf(pem, (int)pem_len);
	if (!bio) {
		why = "out of memory";
		goto out;
	}
	/* The passphrase "": never a prompt on the terminal. */
	k = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
	if (!k) {
		why = "the PEM private key does not decode (damaged base64 or not a key)";
		goto out;
	}
	why = jws_key_check(k, &ec, buf, sizeof(buf));
	if (why)
		goto out;
	key = calloc(1, sizeof(*key));
	if (!key) {
		why = "out of memory";
		goto out;
	}
	key->pkey = k;
	key->ec = ec;
	k = NULL;
out:
	if (why)
		snprintf(err, err_size, "%s", why);
	EVP_PKEY_free(k);
	BIO_free(bio);
	ERR_clear_error();
	return key;
}

struct herald_key *jws_key_dup(const struct herald_key *key)
{
	struct herald_key *d = calloc(1, sizeof(*d));

	if (!d || EVP_PKEY_up_ref(key->pkey) != 1) {
		free(d);
		return NULL;
	}
	d->pkey = key->pkey;
	d->ec = key->ec;
	return d;
}

void jws_key_free(struct herald_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

const char *jws_key_alg(const struct herald_key *key)
{
	return key->ec ? "ES256" : "RS256";
}

int jws_key_fingerprint(const struct herald_key *key, unsigned char out[32])
{
	unsigned char *der = NULL;
	unsigned int md_len = 0;
	int len = i2d_PUBKEY(key->pkey, &der);
	int rc = -1;

	if (len > 0 && EVP_Digest(der, (size_t)len, out, &md_len, EVP_sha256(), NULL) == 1 &&
	    md_len == 32)
		rc = 0;
	OPENSSL_free(der);
	return rc;
}

/* Is text a JSON object (and, for a header, one whose "alg" is alg)? */
static int jws_json_ok(const char *text, const char *alg)
{
	json_t *obj = text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
	int ok = json_is_object(obj);

	if (ok && alg) {
		const char *a = json_string_value(json_object_get(obj, "alg"));

		ok = a && !strcmp(a, alg);
	}
	json_decref(obj);
	return ok;
}

/* The signature of input, in JWS form, into sig (size *sig_len in, length out): 0 or -1. */
static int jws_signature(const struct herald_key *key, const char *input, size_t input_len,
			 unsigned char *sig, size_t *sig_len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	size_t der_len = 0;
	ECDSA_SIG *es = NULL;
	const BIGNUM *r, *s;
	const unsigned char *p;
	int rc = -1;

	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key->pkey) != 1 ||
	    EVP_DigestSign(md, NULL, &der_len, (const unsigned char *)input, input_len) != 1)
		goto out;
	if (!(der = malloc(der_len)) ||
	    EVP_DigestSign(md, der, &der_len, (const unsigned char *)input, input_len) != 1)
		goto out;
	if (!key->ec) {
		if (der_len > *sig_len)
			goto out;
		memcpy(sig, der, der_len);
		*sig_len = der_len;
		rc = 0;
		goto out;
	}
	p = der;
	if (*sig_len < 64 || !(es = d2i_ECDSA_SIG(NULL, &p, (long)der_len)))
		goto out;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(s, sig + 32, 32) == 32) {
		*sig_len = 64;
		rc = 0;
	}
out:
	ECDSA_SIG_free(es);
	free(der);
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return rc;
}

int jws_sign(const struct herald_key *key, const char *header_json, const char *claims_json,
	     char *out, size_t out_size)
{
	unsigned char sig[1024]; /* RSA up to 8192 bits */
	size_t sig_len = sizeof(sig), pos;
	int n;

	if (out && out_size)
		*out = '\0';
	if (!key || !out || !jws_json_ok(header_json, jws_key_alg(key)) ||
	    !jws_json_ok(claims_json, NULL))
		return HERALD_EINVAL;
	n = jws_b64url(header_json, strlen(header_json), out, out_size);
	if (n < 0 || (size_t)n + 1 >= out_size)
		return HERALD_EINVAL;
	pos = (size_t)n;
	out[pos++] = '.';
	n = jws_b64url(claims_json, strlen(claims_json), out + pos, out_size - pos);
	if (n < 0 || pos + (size_t)n + 1 >= out_size)
		return HERALD_EINVAL;
	pos += (size_t)n;
	if (jws_signature(key, out, pos, sig, &sig_len) < 0)
		return HERALD_EIO;
	out[pos++] = '.';
	n = jws_b64url(sig, sig_len, out + pos, out_size - pos);
	OPENSSL_cleanse(sig, sizeof(sig));
	if (n < 0)
		return HERALD_EINVAL;
	pos += (size_t)n;
	return pos > INT_MAX ? HERALD_EINVAL : (int)pos;
}
