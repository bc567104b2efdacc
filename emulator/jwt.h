/*
 * JSON Web Tokens as the providers use them: base64url, parsing a compact
 * JWS, verifying ES256 (APNs provider tokens, raw R||S signatures) and RS256
 * (Google service-account assertions), and signing both (for the emulator's
 * `jwt` sub-command and the tests).  Pure functions; no global state, so any
 * thread may call them.
 */
#ifndef HERALD_EMULATOR_JWT_H
#define HERALD_EMULATOR_JWT_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

/* Longest compact JWT accepted; real ones are a few hundred bytes. */
#define JWT_MAX_LEN 8192

/* base64url without padding; caller frees.  NULL on OOM. */
char *jwt_b64url_encode(const void *data, size_t len);

/*
 * Decode base64url (padding not allowed, as in JWS).  Returns a malloc'd
 * buffer (NUL-terminated for convenience) the caller frees, its length in
 * *out_len; NULL if the text is not base64url.
 */
unsigned char *jwt_b64url_decode(const char *text, size_t len, size_t *out_len);

/* A parsed compact JWS.  Owns everything it points to; free with jwt_clear(). */
struct jwt {
	json_t *header;
	json_t *claims;
	char *signing_input; /* "b64(header).b64(claims)", NUL-terminated */
	size_t signing_input_len;
	unsigned char *sig;
	size_t sig_len;
};

/*
 * Split and decode a compact JWS; header and claims must be JSON objects.
 * Returns 0, or -1 with *why set to a static description (for logs and tests).
 */
int jwt_parse(const char *token, size_t len, struct jwt *out, const char **why);
void jwt_clear(struct jwt *jwt);

/*
 * Verify the signature with pub.  ES256 wants the JWS form (64 bytes, R||S);
 * a DER signature is rejected.  RS256 is PKCS#1 v1.5 with SHA-256.  The
 * header's "alg" must name the algorithm.  Returns 0 if valid, -1 otherwise.
 */
int jwt_verify_es256(const struct jwt *jwt, EVP_PKEY *pub);
int jwt_verify_rs256(const struct jwt *jwt, EVP_PKEY *pub);

/*
 * Sign header and claims (both borrowed) with key: ES256 for an EC P-256 key,
 * RS256 for an RSA key; "alg" is set in a copy of the header.  Returns the
 * compact token, which the caller frees, or NULL.
 */
char *jwt_sign(EVP_PKEY *key, json_t *header, json_t *claims);

/* A claim that must be an integer: 0 and *out, or -1 if absent or not an integer. */
int jwt_claim_int(const json_t *obj, const char *name, long long *out);

/* A claim that must be a string: the string (borrowed) or NULL. */
const char *jwt_claim_str(const json_t *obj, const char *name);

#endif
