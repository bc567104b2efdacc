/*
 * The emulated Amazon Device Messaging API (providers.md §3.4) on one
 * HTTP/1.1-or-HTTP/2-over-TLS port:
 *   POST /auth/O2/token                                Login with Amazon, client_credentials
 *   POST /messaging/registrations/{id}/messages        one message
 * The checks are pure functions (adm_md5, adm_check_token, adm_check_send)
 * that tests call directly; adm_server_new puts them on the event loop.
 */
#ifndef HERALD_EMULATOR_ADM_H
#define HERALD_EMULATOR_ADM_H

#include <stddef.h>

#include <event2/event.h>
#include <jansson.h>

#include "emulator/settings.h"
#include "emulator/state.h"

#define ADM_MAX_BODY	      6144 /* bytes; more is 413 MessageTooLarge */
#define ADM_TOKEN_LIFETIME    3600
#define ADM_MAX_CONSOLIDATION 64
#define ADM_MIN_EXPIRES	      60
#define ADM_MAX_EXPIRES	      2678400
#define ADM_MAX_REGISTRATION  2048
#define ADM_TYPE_VERSION      "com.amazon.device.messaging.ADMMessage@1.0"
#define ADM_ACCEPT_TYPE	      "com.amazon.device.messaging.ADMSendResult@1.0"
#define ADM_SCOPE	      "messaging:push"

/*
 * The md5 checksum of a data map (providers.md §3.3): pairs sorted by key
 * bytes, "k:v" joined by ",", MD5, standard base64 (24 characters + NUL into
 * out).  data must be an object of strings.  Returns 0, -1 otherwise.
 */
int adm_md5(const json_t *data, char out[25]);

/* An OAuth2 error of the token endpoint. */
struct adm_oauth_error {
	int http;
	const char *error, *description;
};

/*
 * Check a token request's form fields (NULL when absent) against cfg's client
 * id and secret: grant_type client_credentials, scope messaging:push.
 * Returns 0, or -1 with e filled in.
 */
int adm_check_token(const struct emu_config *cfg, const char *grant_type, const char *scope,
		    const char *client_id, const char *client_secret, struct adm_oauth_error *e);

/*
 * Check a send body (raw bytes, len of them).  Returns 0, or the HTTP status
 * with *reason set to ADM's reason string (InvalidData, MessageTooLarge,
 * InvalidConsolidationKey, InvalidExpiration, InvalidChecksum).  On success
 * md5 (if not NULL) receives the data's checksum.
 */
int adm_check_send(const char *body, size_t len, const char **reason, char md5[25]);

/* 1 if id looks like an ADM registration id (printable, no '/', bounded). */
int adm_registration_valid(const char *id);

struct adm_server;

struct adm_server *adm_server_new(struct event_base *base, const struct emu_config *cfg,
				  struct emu_state *st, int port, char *err, size_t errlen);
int adm_server_port(const struct adm_server *srv);
void adm_server_revoke_tokens(struct adm_server *srv);
void adm_server_free(struct adm_server *srv);

#endif
