/*
 * Private keys and compact JWS signing behind the driver ABI's key_load,
 * key_free and jwt_sign services: APNs provider tokens (ES256, P-256) and
 * OAuth2 JWT-bearer assertions (RS256), with base64url as JWS wants it.
 *
 * A struct herald_key wraps an OpenSSL EVP_PKEY, checked at load time (EC
 * P-256, or RSA of at least 2048 bits).  Error messages never quote the key.
 *
 * Threading: no shared state; a key may be used by one thread at a time.
 */
#ifndef HERALD_BROKER_JWS_H
#define HERALD_BROKER_JWS_H

#include <stddef.h>

#include <herald/driver.h>
#include <openssl/evp.h>

struct herald_key {
	EVP_PKEY *pkey;
	int ec; /* 1: EC P-256 (ES256), 0: RSA (RS256) */
};

/*
 * Load a PEM private key (pem_len bytes, not necessarily NUL-terminated):
 * PKCS#8 "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY".  The caller
 * frees it with jws_key_free().  NULL with err filled.
 */
struct herald_key *jws_key_load(const void *pem, size_t pem_len, char *err, size_t err_size);

/* Another reference-holding handle on the same key (free both). NULL when out of memory. */
struct herald_key *jws_key_dup(const struct herald_key *key);

void jws_key_free(struct herald_key *key);

/* "ES256" or "RS256": the algorithm key signs with. */
const char *jws_key_alg(const struct herald_key *key);

/* SHA-256 of the key's public part (DER SubjectPublicKeyInfo): 0, or -1. */
int jws_key_fingerprint(const struct herald_key *key, unsigned char out[32]);

/*
 * base64url of len bytes, without padding, NUL-terminated into out: its
 * length, or -1 if out_size is too small.
 */
int jws_b64url(const void *data, size_t len, char *out, size_t out_size);

/*
 * A compact JWS of header_json and claims_json (both JSON objects; the
 * header's "alg" must be the key's): written NUL-terminated to out.  Its
 * length; HERALD_EINVAL (not JSON objects, wrong or missing alg, out too
 * small) or HERALD_EIO (signing failed).
 */
int jws_sign(const struct herald_key *key, const char *header_json, const char *claims_json,
	     char *out, size_t out_size);

#endif
