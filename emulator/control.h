/*
 * The control and inspection API: HTTP/1.1 on 127.0.0.1 (libevent evhttp),
 * JSON in and out.
 *   GET  /v1/requests?provider=P&token=T&limit=N   (P: apns, fcm, oauth, fcm-legacy,
 *                                                  adm, adm-oauth, wns, wns-oauth, baidu, mpns)
 *   GET  /v1/count
 *   POST /v1/reset
 *   GET  /v1/rules      PUT /v1/rules  ({"rules": [...]} or a bare array)
 *   GET  /v1/faults     PUT /v1/faults ({"apns": {...}}, see faults.h; replaces them all)
 *   POST /v1/fcm/revoke, /v1/adm/revoke, /v1/wns/revoke (forget issued access tokens)
 * The server runs on the emulator's loop; control_call is the client the
 * sub-commands use (it runs its own short-lived loop).
 */
#ifndef HERALD_EMULATOR_CONTROL_H
#define HERALD_EMULATOR_CONTROL_H

#include <stddef.h>

#include <event2/event.h>

#include "emulator/adm.h"
#include "emulator/fcm.h"
#include "emulator/wns.h"
#include "emulator/state.h"

#define CONTROL_MAX_BODY (16 * 1024 * 1024)

struct control;

/* st is borrowed; fcm may be NULL. */
struct control *control_new(struct event_base *base, int port, struct emu_state *st,
			    struct fcm_server *fcm, char *err, size_t errlen);
/* The ADM and WNS servers whose tokens /v1/adm/revoke and /v1/wns/revoke forget (borrowed). */
void control_set_token_servers(struct control *c, struct adm_server *adm, struct wns_server *wns);
int control_port(const struct control *c);
void control_free(struct control *c);

/*
 * One request to the control API at 127.0.0.1:port: method "GET", "PUT" or
 * "POST", body may be NULL.  Returns the HTTP status (0 if the emulator could
 * not be reached, with err set) and the response body in *response (caller
 * frees; may be NULL).
 */
int control_call(int port, const char *method, const char *path, const char *body, char **response,
		 char *err, size_t errlen);

#endif
