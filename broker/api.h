/*
 * The one entry point through which every front-end calls an operation: it
 * checks the caller's role, runs the operation as a store job (so a request
 * that changes state is answered only after its commit), and calls back on
 * the event-loop thread with the result or SNS's error.
 */
#ifndef HERALD_BROKER_API_H
#define HERALD_BROKER_API_H

#include <stdbool.h>

#include <jansson.h>

#include "broker/conf.h"
#include "broker/op.h"
#include "broker/store.h"

struct api;
struct event_base;
struct seal;

/*
 * Called once per api_call() on the loop thread.  Exactly one of result and
 * err is non-NULL; both are borrowed for the duration of the call.
 */
typedef void (*api_reply_fn)(void *arg, json_t *result, const struct op_error *err);

/* Told, on the loop thread after the commit, of each effect an operation recorded. */
typedef void (*api_effect_fn)(void *arg, json_t *effect);

/* conf, store and seal are borrowed and must outlive the api. */
struct api *api_new(struct store *store, const struct conf *conf, struct seal *seal);
void api_free(struct api *api);

void api_set_effect_hook(struct api *api, api_effect_fn fn, void *arg);

/*
 * A device token syntax check (the drivers' validate_token), run on the
 * loop thread by api_call() and api_call_sns() before CreatePlatformEndpoint
 * (Attributes.Token, else Token) and SetEndpointAttributes with
 * Attributes.Token are submitted.  platform comes from the
 * PlatformApplicationArn (app/PLATFORM/name) or the EndpointArn
 * (endpoint/PLATFORM/...); when the ARN or the token is malformed or
 * missing, the operation reports it instead.  fn returns 0 (accepted, also
 * when nothing serves platform) or -1 with the reason in err (size n); the
 * call is then answered InvalidParameter/400 "Invalid parameter: Token
 * Reason: <reason>" without reaching the store.  fn NULL: no check.
 */
typedef int (*api_token_check_fn)(void *arg, const char *platform, const char *token, char *err,
				  size_t n);
void api_set_token_check(struct api *api, api_token_check_fn fn, void *arg);

/*
 * A platform application's credentials check (the drivers' check_config),
 * run on the loop thread by api_call() and api_call_sns() before
 * CreatePlatformApplication and SetPlatformApplicationAttributes are
 * submitted, as SNS refuses bad credentials when they are given:
 *
 *   CreatePlatformApplication: when Name, Platform and Attributes are there
 *   and Attributes holds a non-empty PlatformCredential and (but for GCM) a
 *   non-empty PlatformPrincipal (otherwise the operation answers SNS's own
 *   error); create is true, attrs the request's Attributes;
 *
 *   SetPlatformApplicationAttributes: when Attributes holds PlatformCredential
 *   or PlatformPrincipal (a change of other attributes only is not checked
 *   again) and PlatformApplicationArn is well formed; create is false, attrs
 *   the request's Attributes, which fn merges over the application's current
 *   ones (credentials included).
 *
 * platform and name come from the request or the ARN, arn is the
 * application's.  fn returns 0 (accepted; also when no driver serves the
 * platform, or for Set when the application is unknown: the operation
 * answers then) or -1 with the driver's reason in err (size n); the call is
 * answered InvalidParameter/400 "Invalid parameter: Attributes Reason:
 * Platform credentials are invalid: <reason>" (SNS's reason for unusable
 * credentials, with the driver's appended) without reaching the store.
 * The reason must not quote the secret.  fn NULL: no check.
 */
typedef int (*api_app_check_fn)(void *arg, bool create, const char *platform, const char *name,
				const char *arn, json_t *attrs, char *err, size_t n);
void api_set_app_check(struct api *api, api_app_check_fn fn, void *arg);

/*
 * Call op with args (borrowed; the api keeps its own reference).  Unknown
 * operations (InvalidAction/400), a role that may not call op
 * (AuthorizationError/403) and a store that is shutting down
 * (ServiceUnavailable/503) are answered before api_call() returns;
 * everything else after the commit of the transaction that ran it.
 */
void api_call(struct api *api, enum op_role role, const char *op, json_t *args, api_reply_fn reply,
	      void *arg);

/*
 * An operation on state the loop thread owns rather than the store (the
 * loaded drivers): fn(arg, args, err) runs on the loop thread inside
 * api_call() and returns a new reference to the result, or NULL with err
 * filled.  It is found before the store's operations; name is borrowed and
 * must outlive the api.  At most API_LOCAL_MAX; 0 or -1.
 */
#define API_LOCAL_MAX 8
typedef json_t *(*api_local_fn)(void *arg, json_t *args, struct op_error *err);
int api_add_local(struct api *api, const char *name, enum op_role role, api_local_fn fn, void *arg);

/*
 * api_call() restricted to the SNS operation table: the SNS HTTP API uses it,
 * so that herald's own local operations (drivers) stay on the Unix socket.
 */
void api_call_sns(struct api *api, enum op_role role, const char *op, json_t *args,
		  api_reply_fn reply, void *arg);

/* Requests submitted and not yet answered. */
unsigned int api_pending(const struct api *api);

#endif
