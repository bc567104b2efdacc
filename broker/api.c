/*
 * Runs operations for the front-ends; see api.h.  An api_call() becomes one
 * store job: the operation runs on the store thread inside its savepoint (an
 * error rolls back whatever it wrote), and the reply goes out from the loop
 * thread once the transaction is committed.
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "broker/api.h"
#include "broker/arn.h"
#include "common/log.h"
#include "common/util.h"

struct api {
	struct store *store;
	const struct conf *conf;
	struct seal *seal;
	api_effect_fn effect_fn;
	void *effect_arg;
	api_token_check_fn token_fn;
	void *token_arg;
	api_app_check_fn app_fn;
	void *app_arg;
	atomic_uint pending;
	struct api_local {
		const char *name;
		enum op_role role;
		api_local_fn fn;
		void *arg;
	} local[API_LOCAL_MAX];
	unsigned int n_local;
};

struct api_req {
	struct api *api;
	const struct op_def *def;
	json_t *args;
	json_t *result;
	json_t *effects;
	struct op_error err;
	api_reply_fn reply;
	void *reply_arg;
};

struct api *api_new(struct store *store, const struct conf *conf, struct seal *seal)
{
	struct api *api = calloc(1, sizeof(*api));

	if (!api)
		return NULL;
	api->store = store;
	api->conf = conf;
	api->seal = seal;
	return api;
}

void api_free(struct api *api)
{
	free(api);
}

void api_set_effect_hook(struct api *api, api_effect_fn fn, void *arg)
{
	api->effect_fn = fn;
	api->effect_arg = arg;
}

void api_set_token_check(struct api *api, api_token_check_fn fn, void *arg)
{
	api->token_fn = fn;
	api->token_arg = arg;
}

/*
 * Loop thread: run the token check on a CreatePlatformEndpoint or
 * SetEndpointAttributes that carries a token; true with err filled if the
 * driver refuses the token.
 */
static bool api_token_refused(struct api *api, const char *op, json_t *args, struct op_error *err)
{
	json_t *token = json_object_get(json_object_get(args, "Attributes"), "Token");
	const char *param;
	enum arn_type type;
	struct arn arn;
	struct op_error ignored;
	char why[256] = "";

	if (strcmp(op, "CreatePlatformEndpoint") == 0) {
		param = "PlatformApplicationArn";
		type = ARN_APP;
		if (!token)
			token = json_object_get(args, "Token");
	} else if (strcmp(op, "SetEndpointAttributes") == 0) {
		param = "EndpointArn";
		type = ARN_ENDPOINT;
	} else {
		return false;
	}
	if (!json_is_string(token) || json_string_length(token) == 0 ||
	    !json_is_string(json_object_get(args, param)) ||
	    arn_parse(api->conf, json_string_value(json_object_get(args, param)), type, param, &arn,
		      &ignored) < 0)
		return false;
	if (api->token_fn(api->token_arg, arn.platform, json_string_value(token), why,
			  sizeof(why)) == 0)
		return false;
	op_invalid(err, "Token Reason: %s", why[0] ? why : "not a device token of this platform");
	return true;
}

void api_set_app_check(struct api *api, api_app_check_fn fn, void *arg)
{
	api->app_fn = fn;
	api->app_arg = arg;
}

/* A non-empty string member name of o. */
static bool api_has_str(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	return json_is_string(v) && json_string_length(v) > 0;
}

/*
 * Loop thread: run the credentials check on a CreatePlatformApplication or
 * SetPlatformApplicationAttributes that carries credentials (see api.h);
 * true with err filled if the driver refuses them.
 */
static bool api_app_refused(struct api *api, const char *op, json_t *args, struct op_error *err)
{
	json_t *attrs = json_object_get(args, "Attributes");
	const char *platform, *name;
	struct op_error ignored;
	char why[512] = "", *arn = NULL;
	struct arn parts;
	bool create;
	int rc;

	if (!json_is_object(attrs))
		return false;
	if (strcmp(op, "CreatePlatformApplication") == 0) {
		create = true;
		if (!api_has_str(args, "Name") || !api_has_str(args, "Platform"))
			return false;
		platform = json_string_value(json_object_get(args, "Platform"));
		name = json_string_value(json_object_get(args, "Name"));
		if (!api_has_str(attrs, "PlatformCredential") ||
		    (!api_has_str(attrs, "PlatformPrincipal") && strcmp(platform, "GCM")))
			return false;
		arn = arn_app(api->conf, platform, name);
		if (!arn)
			return false;
	} else if (strcmp(op, "SetPlatformApplicationAttributes") == 0) {
		create = false;
		if ((!json_object_get(attrs, "PlatformCredential") &&
		     !json_object_get(attrs, "PlatformPrincipal")) ||
		    !json_is_string(json_object_get(args, "PlatformApplicationArn")) ||
		    arn_parse(api->conf,
			      json_string_value(json_object_get(args, "PlatformApplicationArn")),
			      ARN_APP, "PlatformApplicationArn", &parts, &ignored) < 0)
			return false;
		platform = parts.platform;
		name = parts.app;
		/* An empty credential: the operation's own error. */
		if ((json_object_get(attrs, "PlatformCredential") &&
		     !api_has_str(attrs, "PlatformCredential")) ||
		    (json_object_get(attrs, "PlatformPrincipal") &&
		     !api_has_str(attrs, "PlatformPrincipal") && strcmp(platform, "GCM")))
			return false;
		if (!(arn = strdup(
			      json_string_value(json_object_get(args, "PlatformApplicationArn")))))
			return false;
	} else {
		return false;
	}
	rc = api->app_fn(api->app_arg, create, platform, name, arn, attrs, why, sizeof(why));
	free(arn);
	if (rc == 0)
		return false;
	op_invalid(err, "Attributes Reason: Platform credentials are invalid: %s",
		   why[0] ? why : "the provider driver refuses them");
	return true;
}

int api_add_local(struct api *api, const char *name, enum op_role role, api_local_fn fn, void *arg)
{
	if (api->n_local >= API_LOCAL_MAX)
		return -1;
	api->local[api->n_local++] = (struct api_local){name, role, fn, arg};
	return 0;
}

/* Run a local operation now; false if op is not one. */
static bool api_call_local(struct api *api, enum op_role role, const char *op, json_t *args,
			   api_reply_fn reply, void *arg)
{
	struct op_error err = {0};
	json_t *result;

	for (unsigned int i = 0; i < api->n_local; i++) {
		const struct api_local *l = &api->local[i];

		if (strcmp(l->name, op))
			continue;
		if (role < l->role) {
			op_fail(&err, "AuthorizationError", 403,
				"User is not authorized to perform: SNS:%s", op);
			reply(arg, NULL, &err);
			return true;
		}
		result = l->fn(l->arg, args, &err);
		reply(arg, result, result ? NULL : &err);
		json_decref(result);
		return true;
	}
	return false;
}

unsigned int api_pending(const struct api *api)
{
	return atomic_load(&api->pending);
}

/* Store thread. */
static int api_job(struct store_txn *txn, void *arg)
{
	struct api_req *req = arg;
	struct op_ctx ctx = {
		.txn = txn,
		.conf = req->api->conf,
		.seal = req->api->seal,
		.now_ms = util_now_ms(),
		.effects = req->effects,
	};

	req->result = req->def->fn(&ctx, req->args, &req->err);
	if (!req->result) {
		if (!req->err.code[0])
			op_internal(&req->err, "operation failed without an error");
		json_array_clear(req->effects);
		return 1;
	}
	return 0;
}

/* Loop thread. */
static void api_done(void *arg, int status)
{
	struct api_req *req = arg;
	struct api *api = req->api;
	size_t i;
	json_t *effect;

	if (status == STORE_ECOMMIT) {
		json_decref(req->result);
		req->result = NULL;
		json_array_clear(req->effects);
		op_internal(&req->err, "the transaction holding the request failed to commit");
	}
	if (req->result) {
		req->reply(req->reply_arg, req->result, NULL);
		if (api->effect_fn)
			json_array_foreach (req->effects, i, effect)
				api->effect_fn(api->effect_arg, effect);
	} else {
		req->reply(req->reply_arg, NULL, &req->err);
	}
	atomic_fetch_sub(&api->pending, 1);
	json_decref(req->result);
	json_decref(req->effects);
	json_decref(req->args);
	free(req);
}

void api_call(struct api *api, enum op_role role, const char *op, json_t *args, api_reply_fn reply,
	      void *arg)
{
	if (!api_call_local(api, role, op, args, reply, arg))
		api_call_sns(api, role, op, args, reply, arg);
}

void api_call_sns(struct api *api, enum op_role role, const char *op, json_t *args,
		  api_reply_fn reply, void *arg)
{
	const struct op_def *def = op_find(op);
	struct op_error err = {0};
	struct api_req *req;
	int rc;

	if (!def) {
		op_fail(&err, "InvalidAction", 400,
			"The action %s is not valid for this web service.", op);
		reply(arg, NULL, &err);
		return;
	}
	if (role < def->role) {
		op_fail(&err, "AuthorizationError", 403,
			"User is not authorized to perform: SNS:%s", op);
		reply(arg, NULL, &err);
		return;
	}
	if ((api->token_fn && api_token_refused(api, op, args, &err)) ||
	    (api->app_fn && api_app_refused(api, op, args, &err))) {
		reply(arg, NULL, &err);
		return;
	}
	req = calloc(1, sizeof(*req));
	if (!req || !(req->effects = json_array())) {
		free(req);
		reply(arg, NULL, (op_internal(&err, "out of memory"), &err));
		return;
	}
	req->api = api;
	req->def = def;
	req->args = json_incref(args);
	req->reply = reply;
	req->reply_arg = arg;
	atomic_fetch_add(&api->pending, 1);
	rc = store_submit(api->store, api_job, api_done, req);
	if (rc < 0) {
		atomic_fetch_sub(&api->pending, 1);
		json_decref(req->args);
		json_decref(req->effects);
		free(req);
		if (rc == -ESHUTDOWN)
			op_fail(&err, "ServiceUnavailable", 503, "The broker is shutting down");
		else
			op_internal(&err, "cannot queue the request");
		reply(arg, NULL, &err);
	}
}
