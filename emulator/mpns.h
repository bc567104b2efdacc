/*
 * The emulated Microsoft Push Notification Service (Windows Phone 7.x/8.0,
 * providers.md §5) on one HTTP/1.1-or-HTTP/2-over-TLS port.  Channel URIs:
 *   POST /throttledthirdparty/01.00/{id}      unauthenticated (500 a day per channel)
 *   POST /unthrottledthirdparty/01.00/{id}    authenticated: a TLS client
 *                                             certificate signed by the emulator's CA
 *                                             whose CN is the service name
 * The request rules and the answer combinations are pure functions that
 * tests call directly; mpns_server_new puts them on the event loop.
 */
#ifndef HERALD_EMULATOR_MPNS_H
#define HERALD_EMULATOR_MPNS_H

#include <stddef.h>

#include <event2/event.h>

#include "emulator/settings.h"
#include "emulator/state.h"

#define MPNS_MAX_PAYLOAD  3072 /* bytes; more is 400 */
#define MPNS_MAX_HEADERS  1024 /* bytes of request headers; more is 400 */
#define MPNS_DAILY_LIMIT  500  /* unauthenticated notifications per channel per day */
#define MPNS_MAX_CHANNEL  256
#define MPNS_MAX_CHANNELS 100000		 /* daily counters kept */
#define MPNS_SERVICE_NAME "herald-emulator-mpns" /* the CN of init's mpns-cert.pem */

enum mpns_kind { MPNS_TILE = 1, MPNS_TOAST = 2, MPNS_RAW = 3 };

/* A request as received; all borrowed, NULL when the header is absent. */
struct mpns_request {
	const char *notification_class, *target, *content_type, *message_id;
	const char *body;
	size_t body_len;     /* the whole body's size */
	size_t header_bytes; /* the headers' size as HTTP/1.1 lines ("Name: value\r\n") */
};

/*
 * At most 1 KB of headers (MPNS_MAX_HEADERS, providers.md §5.2);
 * X-NotificationClass 1/11/21 (tile), 2/12/22 (toast) or 3/13/23 (raw);
 * X-WindowsPhone-Target "token" for tiles, "toast" for toasts, absent for
 * raw; Content-Type text/xml for tiles and toasts; X-MessageID a UUID; a
 * payload of at most 3072 bytes, for tiles and toasts a wp:Notification
 * holding a wp:Tile or wp:Toast.  Returns the kind, or 0 with *why set.
 */
int mpns_check(const struct mpns_request *r, const char **why);

/* The three status headers of an answer; NULL members are not sent. */
struct mpns_status {
	const char *notification, *device, *subscription;
};

/*
 * The answer MSDN documents for an HTTP status, refined by a reason
 * (QueueFull, Suppressed or TempDisconnected for a 200): 200 Received/
 * Connected/Active, 404 Dropped/-/Expired, 406 Dropped/-/Active, 412
 * Dropped/InActive/-, and nothing for 400, 401, 403, 405 and 503.
 */
struct mpns_status mpns_status_for(int http, const char *reason);

struct mpns_server;

struct mpns_server *mpns_server_new(struct event_base *base, const struct emu_config *cfg,
				    struct emu_state *st, int port, char *err, size_t errlen);
int mpns_server_port(const struct mpns_server *srv);
void mpns_server_free(struct mpns_server *srv);

#endif
