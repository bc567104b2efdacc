/*
 * The emulated Windows Push Notification Services (providers.md §4.4) on one
 * HTTP/1.1-or-HTTP/2-over-TLS port:
 *   POST /accesstoken.srf       login.live.com's client_credentials grant
 *   POST /{tenant}/oauth2/v2.0/token
 *                               login.microsoftonline.com's (Microsoft Entra)
 *                               grant, for Windows App SDK apps
 *   POST /?token=CHANNEL        a notification to a channel URI served here
 * The checks are pure functions (wns_check_token, wns_check_notification)
 * that tests call directly; wns_server_new puts them on the event loop.
 */
#ifndef HERALD_EMULATOR_WNS_H
#define HERALD_EMULATOR_WNS_H

#include <stddef.h>

#include <event2/event.h>

#include "emulator/settings.h"
#include "emulator/state.h"

#define WNS_MAX_PAYLOAD	   5000 /* bytes; more is 413 */
#define WNS_TOKEN_LIFETIME 86400
#define WNS_MAX_TAG	   16 /* X-WNS-Tag and X-WNS-Group */
#define WNS_MAX_CHANNEL	   2048
#define WNS_ENTRA_SCOPE	   "https://wns.windows.com/.default"
#define WNS_ENTRA_LIFETIME 3599 /* seconds, as Entra answers */
#define WNS_MAX_TENANT	   128

/* An OAuth2 error of the token endpoint (WNS answers 400 for all of them). */
struct wns_oauth_error {
	int http;
	const char *error, *description;
};

/*
 * Check a token request's form fields (NULL when absent) against cfg's
 * package SID and secret: grant_type client_credentials, scope
 * notify.windows.com (or s.notify.live.net).  Returns 0, or -1 with e set.
 */
int wns_check_token(const struct emu_config *cfg, const char *grant_type, const char *scope,
		    const char *client_id, const char *client_secret, struct wns_oauth_error *e);

/*
 * The same for the Entra endpoint (providers.md §4.1), reached at path
 * (/{tenant}/oauth2/v2.0/token, see wns_entra_path): grant_type
 * client_credentials (else 400 unsupported_grant_type), the path's tenant
 * is cfg's Entra tenant id, ignoring case (else 400 invalid_request), the
 * Entra client id and secret (else 401 invalid_client), scope
 * https://wns.windows.com/.default (else 400 invalid_scope).  The Entra app
 * is its own identity, not the package SID of /accesstoken.srf.
 */
int wns_check_entra_token(const struct emu_config *cfg, const char *path, const char *grant_type,
			  const char *scope, const char *client_id, const char *client_secret,
			  struct wns_oauth_error *e);

/* 1 if path is /{tenant}/oauth2/v2.0/token with a tenant id or domain name. */
int wns_entra_path(const char *path);

/* A notification request as received; all borrowed, NULL when the header is absent. */
struct wns_request {
	const char *type, *content_type, *cache_policy, *request_for_status, *tag, *group, *ttl,
		*suppress_popup, *match;
	const char *body;
	size_t body_len; /* the whole body's size */
	int entra;	 /* the access token came from the Entra endpoint */
};

/*
 * The header and payload rules for a POST: X-WNS-Type one of wns/toast,
 * wns/tile, wns/badge, wns/raw; Content-Type text/xml (raw:
 * application/octet-stream); X-WNS-Cache-Policy cache|no-cache and not on
 * toasts; X-WNS-RequestForStatus and X-WNS-SuppressPopup true|false;
 * X-WNS-Tag and X-WNS-Group at most 16 alphanumerics; X-WNS-TTL a
 * non-negative integer; no X-WNS-Match; at most 5000 bytes; an XML payload
 * whose root element is the type's (toast, tile, badge); with an Entra
 * token (Windows App SDK apps) only wns/toast and wns/raw.  Returns 0, or 400
 * or 413 with *why set to a static description (sent as
 * X-WNS-Error-Description).
 */
int wns_check_notification(const struct wns_request *r, const char **why);

struct wns_server;

struct wns_server *wns_server_new(struct event_base *base, const struct emu_config *cfg,
				  struct emu_state *st, int port, char *err, size_t errlen);
int wns_server_port(const struct wns_server *srv);
void wns_server_revoke_tokens(struct wns_server *srv);
void wns_server_free(struct wns_server *srv);

#endif
