/*
 * Fuzz target for the emulator's JWT code (emulator/jwt.c) and the two
 * verifiers built on it that read tokens from the network: APNs provider
 * tokens (apns_check_token, ES256) and FCM service-account assertions
 * (fcm_check_assertion, RS256).  Properties: base64url round-trips; a parsed
 * token's parts are JSON objects and its signing input is the token's
 * prefix; no input verifies under keys made fresh for this process (a fuzzer
 * cannot forge a signature, so acceptance means a verifier bug); whatever
 * header and claims parse, signing them again yields a token that parses to
 * the same JSON and verifies.  Each input is tried as a token and, when it
 * has two newlines, as the decoded "header\nclaims\nsignature" of one.
 * Built as a libFuzzer binary by `make fuzz` and run over
 * tests/fuzz/corpus/jwt by tests/fuzz/replay.c in `make check`.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "emulator/apns.h"
#include "emulator/fcm.h"
#include "emulator/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_EMAIL "fuzz@demo-project.iam.gserviceaccount.com"

/* A configuration whose keys were made for this process (never freed: they live as long as it). */
static const struct emu_config *fuzz_config(void)
{
	static struct emu_config cfg;
	static int ready;

	if (!ready) {
		cfg.apns_keys[0].key = EVP_EC_gen("P-256");
		cfg.fcm_key = EVP_RSA_gen(2048);
		if (!cfg.apns_keys[0].key || !cfg.fcm_key)
			abort();
		strcpy(cfg.apns_keys[0].key_id, "FUZZKEY001");
		strcpy(cfg.apns_keys[0].team_id, "FUZZTEAM01");
		cfg.n_apns_keys = 1;
		strcpy(cfg.bundle_id, "com.example.fuzz");
		strcpy(cfg.fcm_client_email, FUZZ_EMAIL);
		strcpy(cfg.fcm_key_id, "fuzzkeyid");
		strcpy(cfg.fcm_token_uri, "https://oauth2.googleapis.com/token");
		ready = 1;
	}
	return &cfg;
}

static void check_b64url(const uint8_t *data, size_t size)
{
	char *enc = jwt_b64url_encode(data, size);
	unsigned char *dec;
	size_t n;

	if (!enc)
		abort();
	if (strlen(enc) <= JWT_MAX_LEN) {
		dec = jwt_b64url_decode(enc, strlen(enc), &n);
		if (!dec || n != size || memcmp(dec, data, size) != 0)
			abort();
		free(dec);
	}
	free(enc);
	/* The input as base64url text: what decodes must encode to a text that decodes alike. */
	dec = jwt_b64url_decode((const char *)data, size, &n);
	if (dec) {
		unsigned char *again;
		size_t m;

		enc = jwt_b64url_encode(dec, n);
		again = enc ? jwt_b64url_decode(enc, strlen(enc), &m) : NULL;
		if (!again || m != n || memcmp(again, dec, n) != 0)
			abort();
		free(again);
		free(enc);
		free(dec);
	}
}

/* Sign the parsed header and claims again: the result must parse to them and verify. */
static void check_resign(const struct jwt *jwt)
{
	EVP_PKEY *key = fuzz_config()->apns_keys[0].key;
	char *token = jwt_sign(key, jwt->header, jwt->claims);
	struct jwt again;
	const char *why = NULL;
	json_t *hdr;

	if (!token)
		abort();
	if (strlen(token) > JWT_MAX_LEN) { /* too big to be a token: refused, with a reason */
		if (jwt_parse(token, strlen(token), &again, &why) == 0 || !why)
			abort();
		free(token);
		return;
	}
	if (jwt_parse(token, strlen(token), &again, &why) != 0 ||
	    jwt_verify_es256(&again, key) != 0 || !json_equal(again.claims, jwt->claims))
		abort();
	hdr = json_deep_copy(jwt->header);
	if (!hdr || json_object_set_new(hdr, "alg", json_string("ES256")) != 0 ||
	    !json_equal(again.header, hdr))
		abort();
	json_decref(hdr);
	jwt_clear(&again);
	free(token);
}

/*
 * The input as the decoded parts, "header\nclaims\nsignature": encoded into
 * a compact token, so that mutations reach the JSON and the claim checks
 * that random base64url text seldom gets to.  Caller frees; NULL if the
 * input has no two newlines.
 */
static char *token_from_parts(const uint8_t *data, size_t size)
{
	const uint8_t *nl1 = memchr(data, '\n', size), *nl2, *end = data + size;
	char *part[3] = {NULL, NULL, NULL}, *token = NULL;
	size_t len;

	if (!nl1 || !(nl2 = memchr(nl1 + 1, '\n', (size_t)(end - nl1 - 1))))
		return NULL;
	part[0] = jwt_b64url_encode(data, (size_t)(nl1 - data));
	part[1] = jwt_b64url_encode(nl1 + 1, (size_t)(nl2 - nl1 - 1));
	part[2] = jwt_b64url_encode(nl2 + 1, (size_t)(end - nl2 - 1));
	if (!part[0] || !part[1] || !part[2])
		abort();
	len = strlen(part[0]) + strlen(part[1]) + strlen(part[2]) + 3;
	token = malloc(len);
	if (!token)
		abort();
	snprintf(token, len, "%s.%s.%s", part[0], part[1], part[2]);
	for (int i = 0; i < 3; i++)
		free(part[i]);
	return token;
}

/* Every property, for one token of size bytes. */
static void check_token(const uint8_t *data, size_t size)
{
	const struct emu_config *cfg = fuzz_config();
	const char *const auds[] = {cfg->fcm_token_uri, NULL};
	struct apns_conn_auth auth = {0};
	struct fcm_oauth_error oe = {0};
	const char *why = NULL, *reason = NULL;
	char *text, *bearer;
	struct jwt jwt;

	if (jwt_parse((const char *)data, size, &jwt, &why) == 0) {
		if (!json_is_object(jwt.header) || !json_is_object(jwt.claims) || !jwt.sig ||
		    jwt.sig_len == 0 || jwt.signing_input_len >= size ||
		    memcmp(jwt.signing_input, data, jwt.signing_input_len) != 0 ||
		    data[jwt.signing_input_len] != '.')
			abort();
		if (jwt_verify_es256(&jwt, cfg->apns_keys[0].key) == 0 ||
		    jwt_verify_rs256(&jwt, cfg->fcm_key) == 0)
			abort(); /* a forgery verified */
		check_resign(&jwt);
		jwt_clear(&jwt);
	} else if (!why || jwt.header || jwt.claims || jwt.sig || jwt.signing_input) {
		abort(); /* a refusal says why and keeps nothing */
	}

	/* The verifiers see NUL-terminated header values. */
	text = malloc(size + 1);
	bearer = malloc(size + 8);
	if (!text || !bearer)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	memcpy(bearer, "bearer ", 7);
	memcpy(bearer + 7, data, size);
	bearer[size + 7] = '\0';
	if (fcm_check_assertion(cfg, text, auds, 1700000000, &oe) == 0 || !oe.error ||
	    !oe.description || (oe.http != 400 && oe.http != 401))
		abort();
	if (apns_check_token(cfg, &auth, bearer, 1700000000, &reason) == 200 || !reason)
		abort();
	apns_conn_auth_clear(&auth);
	free(bearer);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *token = token_from_parts(data, size);

	check_b64url(data, size);
	check_token(data, size);
	if (token) {
		check_token((const uint8_t *)token, strlen(token));
		free(token);
	}
	return 0;
}
