/*
 * The emulated FCM HTTP v1 API and Google's OAuth2 token endpoint
 * (providers.md §2.5), both on one HTTP/2-over-TLS port:
 *   POST /token                                 JWT-bearer grant -> access token
 *   POST /v1/projects/{project}/messages:send   one message
 *   POST /fcm/send                              the retired legacy API (server key)
 * HTTP/2 and HTTP/1.1, as fcm.googleapis.com.
 * The checks are pure functions (fcm_check_send, fcm_check_assertion) that
 * tests call directly; fcm_server_new puts them on the event loop.
 */
#ifndef HERALD_EMULATOR_FCM_H
#define HERALD_EMULATOR_FCM_H

#include <stdint.h>

#include <event2/event.h>
#include <jansson.h>

#include "emulator/settings.h"
#include "emulator/state.h"

#define FCM_MAX_PAYLOAD	      4096
#define FCM_MAX_TOPIC_PAYLOAD 2048
#define FCM_MAX_TTL	      2419200 /* seconds: four weeks */
#define FCM_MAX_BODY	      65536
#define FCM_TOKEN_LIFETIME    3599 /* seconds, what Google answers */
#define FCM_ASSERTION_SKEW    300  /* seconds an assertion's iat may be off */
#define FCM_MAX_ACCESS_TOKENS 10000
#define FCM_LEGACY_MAX_IDS    1000

/* An error in Google's API error shape. */
struct fcm_error {
	int http;
	const char *status; /* canonical name: INVALID_ARGUMENT, NOT_FOUND, ... */
	char message[512];
	const char *code; /* FcmError errorCode, or NULL for no FcmError detail */
	char field[160];  /* for a google.rpc.BadRequest detail; "" for none */
	int retry_after;  /* seconds, -1 for none */
};

/*
 * Validate a send request body ({"message": {...}, "validate_only": ...}).
 * Returns 0 and sets *token (borrowed from body; NULL for topic/condition/fid
 * targets) and *validate_only, or -1 with e filled in.
 */
int fcm_check_send(const json_t *body, const char **token, int *validate_only, struct fcm_error *e);

/* The JSON body for e; caller frees.  NULL on OOM. */
char *fcm_error_body(const struct fcm_error *e);

/* Fill e from an FcmError code (UNREGISTERED, QUOTA_EXCEEDED, ...) or, if code is NULL or unknown, from http. */
void fcm_error_from_code(struct fcm_error *e, const char *code, int http);

/* Legacy API: 1 if authorization is "key=<the server key from init>". */
int fcm_legacy_auth(const struct emu_config *cfg, const char *authorization);

/*
 * Check a legacy /fcm/send body.  Returns 0 when the answer is a 200 with
 * results: *targets is a new array of the registration tokens (NULL for a
 * topic or condition send) and *msg_error a per-result error that applies to
 * every target (MissingRegistration, InvalidTtl, InvalidDataKey,
 * MessageTooBig, InvalidParameters) or NULL.  Otherwise returns the HTTP
 * status (400) with why filled in, as GCM answered malformed requests.
 */
int fcm_legacy_check(const json_t *body, json_t **targets, const char **msg_error, char *why,
		     size_t whylen);

/* An OAuth2 error: {"error": error, "error_description": description}. */
struct fcm_oauth_error {
	int http;
	const char *error;
	const char *description;
};

/*
 * Check a JWT-bearer assertion against cfg's service account: RS256
 * signature, iss, aud (one of auds, NULL-terminated), scope, iat/exp.
 * now is UNIX seconds.  0 if good, else -1 with e.
 */
int fcm_check_assertion(const struct emu_config *cfg, const char *assertion,
			const char *const *auds, int64_t now, struct fcm_oauth_error *e);

struct fcm_server;

struct fcm_server *fcm_server_new(struct event_base *base, const struct emu_config *cfg,
				  struct emu_state *st, int port, char *err, size_t errlen);
int fcm_server_port(const struct fcm_server *srv);
/* Forget every access token issued (their holders get 401 and must ask again). */
void fcm_server_revoke_tokens(struct fcm_server *srv);
void fcm_server_free(struct fcm_server *srv);

#endif
