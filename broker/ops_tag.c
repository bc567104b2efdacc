/*
 * TagResource, UntagResource, ListTagsForResource, and the tag checks that
 * CreateTopic shares.  As in SNS only topics carry tags.
 *
 * Runs on the store thread inside the request's job (see op.h).
 *
 * Messages: the duplicate-key one is recorded from AWS; ResourceNotFound
 * "Resource does not exist" and TagLimitExceeded are SNS's as moto documents
 * them; length and pattern violations use AWS's generic ValidationError
 * wording for the model's constraints (Key 1-128, Value 0-256 characters).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "broker/arn.h"
#include "broker/ops.h"
#include "common/util.h"

#define TAG_MAX_PER_RESOURCE 50
#define TAG_KEY_MAX	     128
#define TAG_VALUE_MAX	     256
#define TAG_PATTERN	     "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$"
/* ResourceArn: max=1011 in the model. */
#define TAG_ARN_MAX 1011

/* Characters in s (UTF-8), or -1 if s is not UTF-8. */
static long tag_chars(const char *s)
{
	size_t len = strlen(s);
	long n = 0;

	if (util_utf8_valid(s, len) < 0)
		return -1;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p & 0xc0) != 0x80;
	return n;
}

/* AWS's tag pattern; non-ASCII characters are taken as letters (\p{L}). */
static bool tag_chars_allowed(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x80 || isalnum(*p) || strchr(" _.:/=+-@", *p))
			continue;
		return false;
	}
	return true;
}

static int tag_check_text(const char *s, const char *where, long max, long min,
			  struct op_error *err)
{
	long n = tag_chars(s);

	if (n < 0 || !tag_chars_allowed(s)) {
		op_fail(err, "ValidationError", 400,
			"1 validation error detected: Value '%s' at '%s' failed to satisfy "
			"constraint: Member must satisfy regular expression pattern: " TAG_PATTERN,
			s, where);
		return -1;
	}
	if (n > max || n < min) {
		op_fail(err, "ValidationError", 400,
			"1 validation error detected: Value '%s' at '%s' failed to satisfy "
			"constraint: Member must have length %s than or equal to %ld",
			s, where, n > max ? "less" : "greater", n > max ? max : min);
		return -1;
	}
	return 0;
}

json_t *tag_list_parse(json_t *tags, struct op_error *err)
{
	json_t *obj = json_object();
	json_t *tag;
	size_t i;

	if (!obj)
		return op_internal(err, "out of memory");
	json_array_foreach (tags, i, tag) {
		json_t *k = json_object_get(tag, "Key");
		json_t *v = json_object_get(tag, "Value");
		char where[64];

		if (!json_is_object(tag)) {
			op_invalid(err,
				   "Tags Reason: each tag must be an object with Key and Value");
			goto fail;
		}
		if (!k || json_is_null(k) || !v || json_is_null(v)) {
			op_fail(err, "ValidationError", 400,
				"1 validation error detected: Value null at 'tags.%zu.member.%s' failed "
				"to satisfy constraint: Member must not be null",
				i + 1, !k || json_is_null(k) ? "key" : "value");
			goto fail;
		}
		if (!json_is_string(k) || !json_is_string(v)) {
			op_invalid(err, "Tags Reason: Key and Value must be strings");
			goto fail;
		}
		snprintf(where, sizeof(where), "tags.%zu.member.key", i + 1);
		if (tag_check_text(json_string_value(k), where, TAG_KEY_MAX, 1, err))
			goto fail;
		snprintf(where, sizeof(where), "tags.%zu.member.value", i + 1);
		if (tag_check_text(json_string_value(v), where, TAG_VALUE_MAX, 0, err))
			goto fail;
		if (strncasecmp(json_string_value(k), "aws:", 4) == 0) {
			op_invalid(err, "Tags Reason: Tag keys beginning with the reserved prefix "
					"aws: can not be set");
			goto fail;
		}
		if (json_object_get(obj, json_string_value(k))) {
			op_invalid(err, "Duplicated keys are not allowed.");
			goto fail;
		}
		if (json_object_set(obj, json_string_value(k), v)) {
			op_internal(err, "out of memory");
			goto fail;
		}
	}
	return obj;
fail:
	json_decref(obj);
	return NULL;
}

int tag_merge(struct op_ctx *ctx, const char *arn, json_t *tags, struct op_error *err)
{
	json_t *cur = NULL;
	int rc = -1;

	if (store_tags_get(ctx->txn, arn, &cur)) {
		op_internal(err, "cannot read tags");
		goto out;
	}
	if (json_object_update(cur, tags)) {
		op_internal(err, "out of memory");
		goto out;
	}
	if (json_object_size(cur) > TAG_MAX_PER_RESOURCE) {
		op_fail(err, "TagLimitExceeded", 400,
			"Could not complete request: tag quota of per resource exceeded");
		goto out;
	}
	if (store_tags_set(ctx->txn, arn, cur)) {
		op_internal(err, "cannot store tags");
		goto out;
	}
	rc = 0;
out:
	json_decref(cur);
	return rc;
}

/* Check ResourceArn names an existing topic of this broker.  0 or -1 with err. */
static int tag_resource_check(struct op_ctx *ctx, json_t *args, const char **arn,
			      struct op_error *err)
{
	struct op_error ignored;
	struct store_rec rec = {0};
	int rc;

	if (op_arg_str(args, "ResourceArn", true, arn, err))
		return -1;
	if (strlen(*arn) > TAG_ARN_MAX || !**arn) {
		op_fail(err, "ValidationError", 400,
			"1 validation error detected: Value '%.64s' at 'resourceArn' failed to "
			"satisfy constraint: Member must have length %s",
			*arn, **arn ? "less than or equal to 1011" : "greater than or equal to 1");
		return -1;
	}
	if (arn_parse(ctx->conf, *arn, ARN_TOPIC, "ResourceArn", NULL, err)) {
		/* A well-formed ARN of another resource: say why it cannot be tagged. */
		if (!arn_parse(ctx->conf, *arn, ARN_APP, "ResourceArn", NULL, &ignored) ||
		    !arn_parse(ctx->conf, *arn, ARN_ENDPOINT, "ResourceArn", NULL, &ignored) ||
		    !arn_parse(ctx->conf, *arn, ARN_SUBSCRIPTION, "ResourceArn", NULL, &ignored))
			op_invalid(err, "ResourceArn Reason: only topics can be tagged");
		return -1;
	}
	rc = store_get(ctx->txn, *arn, &rec);
	if (rc == 0 && rec.kind != STORE_TOPIC)
		rc = -ENOENT;
	store_rec_clear(&rec);
	if (rc == -ENOENT) {
		op_fail(err, "ResourceNotFound", 404, "Resource does not exist");
		return -1;
	}
	if (rc) {
		op_internal(err, "cannot read the resource");
		return -1;
	}
	return 0;
}

json_t *op_TagResource(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	const char *arn;
	json_t *list, *tags;
	int rc;

	if (tag_resource_check(ctx, args, &arn, err) || op_arg_list(args, "Tags", true, &list, err))
		return NULL;
	tags = tag_list_parse(list, err);
	if (!tags)
		return NULL;
	rc = tag_merge(ctx, arn, tags, err);
	json_decref(tags);
	return rc ? NULL : json_object();
}

json_t *op_UntagResource(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	const char *arn;
	json_t *keys, *cur = NULL, *key, *result = NULL;
	size_t i;

	if (tag_resource_check(ctx, args, &arn, err) ||
	    op_arg_list(args, "TagKeys", true, &keys, err))
		return NULL;
	json_array_foreach (keys, i, key) {
		char where[64];

		if (!json_is_string(key))
			return op_invalid(err, "TagKeys Reason: must be a list of strings");
		snprintf(where, sizeof(where), "tagKeys.%zu.member", i + 1);
		if (tag_check_text(json_string_value(key), where, TAG_KEY_MAX, 1, err))
			return NULL;
	}
	if (store_tags_get(ctx->txn, arn, &cur))
		return op_internal(err, "cannot read tags");
	json_array_foreach (keys, i, key)
		json_object_del(cur, json_string_value(key));
	if (store_tags_set(ctx->txn, arn, cur))
		op_internal(err, "cannot store tags");
	else
		result = json_object();
	json_decref(cur);
	return result;
}

json_t *op_ListTagsForResource(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	const char *arn, *k;
	json_t *cur = NULL, *list, *v;

	if (tag_resource_check(ctx, args, &arn, err))
		return NULL;
	if (store_tags_get(ctx->txn, arn, &cur))
		return op_internal(err, "cannot read tags");
	list = json_array();
	json_object_foreach (cur, k, v) {
		json_array_append_new(list, json_pack("{s:s,s:O}", "Key", k, "Value", v));
	}
	json_decref(cur);
	return json_pack("{s:o}", "Tags", list);
}
