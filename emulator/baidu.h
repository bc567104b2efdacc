/*
 * The emulated Baidu Cloud Push REST API v3 (providers.md §6.5) on one
 * HTTP/1.1-or-HTTP/2-over-TLS port:
 *   POST /rest/3.0/push/single_device     form body, signed with the secret key
 * The signature (§6.3) and the parameter rules are pure functions that
 * tests call directly; baidu_server_new puts them on the event loop.
 */
#ifndef HERALD_EMULATOR_BAIDU_H
#define HERALD_EMULATOR_BAIDU_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <jansson.h>

#include "emulator/settings.h"
#include "emulator/state.h"

#define BAIDU_MAX_BODY	      16384
#define BAIDU_MAX_SKEW	      600 /* seconds |now - timestamp| may be */
#define BAIDU_MAX_ANDROID_MSG 4096
#define BAIDU_MAX_IOS_MSG     2048
#define BAIDU_MAX_MSG_EXPIRES 604800

/*
 * Parse an application/x-www-form-urlencoded body into a new object of
 * decoded strings ('+' is a space).  NULL for a malformed body (bad %
 * escape, a pair without '=', an empty or repeated name, a NUL byte).
 */
json_t *baidu_parse_form(const char *body, size_t len);

/*
 * The sign for method, url (scheme://host[:port]/path, no query) and params
 * (every form field but "sign"; a "sign" member is skipped), with secret:
 * MD5 of the Java-URLEncoder encoding of METHOD URL k1=v1k2=v2... secret,
 * keys in byte order, lower-case hex into out.  Returns 0, -1 on failure.
 */
int baidu_sign(const char *method, const char *url, const json_t *params, const char *secret,
	       char out[33]);

/* An error: HTTP status and Baidu's error_code and error_msg. */
struct baidu_error {
	int http;
	int code;
	const char *msg;
};

/* Fill e from an error code (30600..30610); unknown codes get 30600's text. */
void baidu_error_from_code(struct baidu_error *e, int code, int http);

/*
 * Check a push/single_device request: apikey (cfg's, else 30603), sign
 * (recomputed for url, else 30603), timestamp within BAIDU_MAX_SKEW of now
 * and expires not past (30606), then the parameters (30602): channel_id
 * digits, msg present and within its size, device_type 3 or 4, msg_type 0 or
 * 1 (1: msg a JSON object), msg_expires 1..604800, deploy_status 1 or 2 (iOS
 * needs it), topic_id 1..128 characters.  Returns 0 or -1 with e set.
 */
int baidu_check_push(const struct emu_config *cfg, const char *url, const json_t *params,
		     int64_t now, struct baidu_error *e);

struct baidu_server;

struct baidu_server *baidu_server_new(struct event_base *base, const struct emu_config *cfg,
				      struct emu_state *st, int port, char *err, size_t errlen);
int baidu_server_port(const struct baidu_server *srv);
void baidu_server_free(struct baidu_server *srv);

#endif
