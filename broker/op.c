/*
 * The operation table and the helpers every operation uses to read its
 * arguments and report SNS's errors.  See op.h.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "broker/ops.h"
#include "common/log.h"

#define OP(name, role)                 \
	{                              \
#name, op_##name, role \
	}

const struct op_def op_table[] = {
	OP(CreatePlatformApplication, OP_ROLE_ADMIN),
	OP(GetPlatformApplicationAttributes, OP_ROLE_ADMIN),
	OP(SetPlatformApplicationAttributes, OP_ROLE_ADMIN),
	OP(DeletePlatformApplication, OP_ROLE_ADMIN),
	OP(ListPlatformApplications, OP_ROLE_ADMIN),
	OP(CreatePlatformEndpoint, OP_ROLE_ADMIN),
	OP(GetEndpointAttributes, OP_ROLE_ADMIN),
	OP(SetEndpointAttributes, OP_ROLE_ADMIN),
	OP(DeleteEndpoint, OP_ROLE_ADMIN),
	OP(ListEndpointsByPlatformApplication, OP_ROLE_ADMIN),
	OP(CreateTopic, OP_ROLE_ADMIN),
	OP(DeleteTopic, OP_ROLE_ADMIN),
	OP(ListTopics, OP_ROLE_ADMIN),
	OP(GetTopicAttributes, OP_ROLE_ADMIN),
	OP(SetTopicAttributes, OP_ROLE_ADMIN),
	OP(Subscribe, OP_ROLE_ADMIN),
	OP(Unsubscribe, OP_ROLE_ADMIN),
	OP(ListSubscriptions, OP_ROLE_ADMIN),
	OP(ListSubscriptionsByTopic, OP_ROLE_ADMIN),
	OP(GetSubscriptionAttributes, OP_ROLE_ADMIN),
	OP(SetSubscriptionAttributes, OP_ROLE_ADMIN),
	OP(TagResource, OP_ROLE_ADMIN),
	OP(UntagResource, OP_ROLE_ADMIN),
	OP(ListTagsForResource, OP_ROLE_ADMIN),
	OP(Publish, OP_ROLE_PUBLISH),
	OP(PublishBatch, OP_ROLE_PUBLISH),
	{NULL, NULL, OP_ROLE_NONE},
};

const struct op_def *op_find(const char *name)
{
	for (const struct op_def *d = op_table; d->name; d++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

static void op_verror(struct op_error *err, const char *code, int status, const char *prefix,
		      const char *fmt, va_list ap)
{
	size_t n;

	snprintf(err->code, sizeof(err->code), "%s", code);
	err->status = status;
	n = (size_t)snprintf(err->message, sizeof(err->message), "%s", prefix);
	if (n < sizeof(err->message))
		vsnprintf(err->message + n, sizeof(err->message) - n, fmt, ap);
}

json_t *op_fail(struct op_error *err, const char *code, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	op_verror(err, code, status, "", fmt, ap);
	va_end(ap);
	return NULL;
}

json_t *op_invalid(struct op_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	op_verror(err, "InvalidParameter", 400, "Invalid parameter: ", fmt, ap);
	va_end(ap);
	return NULL;
}

json_t *op_not_found(struct op_error *err, const char *what)
{
	return op_fail(err, "NotFound", 404, "%s does not exist", what);
}

json_t *op_internal(struct op_error *err, const char *cause)
{
	log_err("internal error: %s", cause);
	return op_fail(err, "InternalError", 500, "Internal error");
}

/* AWS names members in validation errors in lowerCamelCase ('attributes'). */
static void op_missing(struct op_error *err, const char *name)
{
	char member[128];

	snprintf(member, sizeof(member), "%s", name);
	member[0] = (char)tolower((unsigned char)member[0]);
	op_fail(err, "ValidationError", 400,
		"1 validation error detected: Value null at '%s' failed to satisfy constraint: "
		"Member must not be null",
		member);
}

int op_arg_str(json_t *args, const char *name, bool required, const char **out,
	       struct op_error *err)
{
	json_t *v = json_object_get(args, name);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (!required)
			return 0;
		op_missing(err, name);
		return -1;
	}
	if (!json_is_string(v)) {
		op_invalid(err, "%s Reason: must be a string", name);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int op_arg_map(json_t *args, const char *name, bool required, json_t **out, struct op_error *err)
{
	json_t *v = json_object_get(args, name);
	const char *key;
	json_t *value;

	*out = NULL;
	if (!v || json_is_null(v) || (json_is_object(v) && json_object_size(v) == 0)) {
		if (!required)
			return 0;
		op_missing(err, name);
		return -1;
	}
	if (!json_is_object(v)) {
		op_invalid(err, "%s Reason: must be a map of strings", name);
		return -1;
	}
	json_object_foreach (v, key, value) {
		if (!json_is_string(value)) {
			op_invalid(err, "%s Reason: the value of %s must be a string", name, key);
			return -1;
		}
	}
	*out = v;
	return 0;
}

int op_arg_list(json_t *args, const char *name, bool required, json_t **out, struct op_error *err)
{
	json_t *v = json_object_get(args, name);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (!required)
			return 0;
		op_missing(err, name);
		return -1;
	}
	if (!json_is_array(v)) {
		op_invalid(err, "%s Reason: must be a list", name);
		return -1;
	}
	*out = v;
	return 0;
}

int op_arg_bool(json_t *args, const char *name, bool *out, bool *present, struct op_error *err)
{
	json_t *v = json_object_get(args, name);

	*present = false;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
	} else if (json_is_string(v) && strcasecmp(json_string_value(v), "true") == 0) {
		*out = true;
	} else if (json_is_string(v) && strcasecmp(json_string_value(v), "false") == 0) {
		*out = false;
	} else {
		op_invalid(err, "%s Reason: must be true or false", name);
		return -1;
	}
	*present = true;
	return 0;
}

/* Tokens are "h1." followed by the decimal sequence number. */
#define NEXT_TOKEN_PREFIX "h1."

int op_next_token_decode(const char *token, int64_t *after_seq, struct op_error *err)
{
	char *end;
	long long v;

	*after_seq = 0;
	if (!token || !*token)
		return 0;
	if (strncmp(token, NEXT_TOKEN_PREFIX, strlen(NEXT_TOKEN_PREFIX)) != 0)
		goto bad;
	token += strlen(NEXT_TOKEN_PREFIX);
	if (!isdigit((unsigned char)*token))
		goto bad;
	errno = 0;
	v = strtoll(token, &end, 10);
	if (errno || *end || v < 0)
		goto bad;
	*after_seq = v;
	return 0;
bad:
	op_invalid(err, "NextToken");
	return -1;
}

json_t *op_next_token_encode(int64_t seq)
{
	char buf[32];

	snprintf(buf, sizeof(buf), NEXT_TOKEN_PREFIX "%" PRId64, seq);
	return json_string(buf);
}
