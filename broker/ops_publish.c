/*
 * Publish and PublishBatch: validate a message exactly as SNS does, store it
 * durably (once, whatever the number of its recipients) and record a
 * "Message" effect so that the delivery engine hears of it after the commit.
 *
 * Runs on the store thread inside the request's job (op.h).  An operation
 * that fails returns before it writes anything, and api.c rolls its job back
 * in any case, so a refused publish stores nothing.  A batch is refused or
 * accepted as a whole, as SNS does for every fault of its entries.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "broker/arn.h"
#include "broker/msgattr.h"
#include "broker/ops.h"
#include "common/util.h"

#define PUBLISH_MAX_BATCH    10
#define PUBLISH_MAX_BATCH_ID 80
#define PUBLISH_MAX_SUBJECT  100 /* characters */
#define PUBLISH_MAX_FIFO_ID  128

/* Where a message goes, once its ARN has been checked and found. */
struct publish_target {
	const char *arn; /* borrowed from the arguments */
	enum store_kind kind;
	char platform[32]; /* endpoints: the platform of their application */
	bool fifo;
	bool content_dedup;
};

/* One message of a Publish or a PublishBatch entry; everything borrowed from the arguments. */
struct publish_msg {
	const char *id; /* batch entry Id */
	const char *message;
	size_t message_len; /* bytes; Message may hold NUL characters */
	const char *subject;
	const char *structure;
	json_t *attrs;
	const char *group_id;
	const char *dedup_id;
	size_t size; /* Message plus attributes, as SNS counts them */
	json_t *src; /* the object they came from */
};

/*
 * A string member of a Publish (pos 0) or of PublishBatch entry pos.  The
 * missing-member error names the entry the way AWS does.
 */
static int publish_str(json_t *obj, const char *name, unsigned int pos, bool required,
		       const char **out, struct op_error *err)
{
	json_t *v = json_object_get(obj, name);
	char member[64];

	if (!pos)
		return op_arg_str(obj, name, required, out, err);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (!required)
			return 0;
		snprintf(member, sizeof(member), "%s", name);
		member[0] = (char)tolower((unsigned char)member[0]);
		op_fail(err, "ValidationError", 400,
			"1 validation error detected: Value null at "
			"'publishBatchRequestEntries.%u.member.%s' failed to satisfy constraint: "
			"Member must not be null",
			pos, member);
		return -1;
	}
	if (!json_is_string(v)) {
		op_invalid(err, "PublishBatchRequestEntries.%u.%s Reason: must be a string", pos,
			   name);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

/* SNS: UTF-8 text, at most 100 characters, no line breaks or other control characters. */
static bool publish_subject_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0;

	if (len == 0 || util_utf8_valid(s, len) < 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
		/* C1 controls U+0080..U+009F */
		if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			return false;
		chars += (p[i] & 0xc0) != 0x80;
	}
	return chars <= PUBLISH_MAX_SUBJECT;
}

/* The length in bytes of string member name of obj (which may hold NUL characters). */
static size_t publish_len(json_t *obj, const char *name)
{
	return json_string_length(json_object_get(obj, name));
}

/* MessageGroupId and MessageDeduplicationId: 1-128 of a-z A-Z 0-9 and ASCII punctuation. */
static int publish_fifo_id_check(json_t *obj, const char *name, struct op_error *err)
{
	const char *s = json_string_value(json_object_get(obj, name));
	size_t len = publish_len(obj, name);
	bool ok = len >= 1 && len <= PUBLISH_MAX_FIFO_ID;

	for (size_t i = 0; i < len && ok; i++)
		ok = s[i] >= 0x21 && s[i] <= 0x7e;
	if (ok)
		return 0;
	op_invalid(err,
		   "%s Reason: %s can only include alphanumeric and punctuation characters. 1 to "
		   "128 in length.",
		   name, name);
	return -1;
}

/*
 * Read and check the parts of one message that do not depend on its target:
 * Subject, Message, message attributes (and their size).
 */
static int publish_msg_read(json_t *obj, unsigned int pos, struct publish_msg *m,
			    struct op_error *err)
{
	memset(m, 0, sizeof(*m));
	m->src = obj;
	if (publish_str(obj, "Message", pos, true, &m->message, err) < 0 ||
	    publish_str(obj, "Subject", pos, false, &m->subject, err) < 0 ||
	    publish_str(obj, "MessageStructure", pos, false, &m->structure, err) < 0 ||
	    publish_str(obj, "MessageGroupId", pos, false, &m->group_id, err) < 0 ||
	    publish_str(obj, "MessageDeduplicationId", pos, false, &m->dedup_id, err) < 0)
		return -1;
	m->attrs = json_object_get(obj, "MessageAttributes");
	if (json_is_null(m->attrs) || (json_is_object(m->attrs) && !json_object_size(m->attrs)))
		m->attrs = NULL;

	if (m->subject && !publish_subject_ok(m->subject, publish_len(obj, "Subject"))) {
		op_invalid(err, "Subject");
		return -1;
	}
	m->message_len = m->size = publish_len(obj, "Message");
	if (m->size == 0) {
		op_invalid(err, "Empty message");
		return -1;
	}
	if (util_utf8_valid(m->message, m->size) < 0) {
		op_invalid(err, "Message Reason: must be UTF-8 text");
		return -1;
	}
	return msgattr_validate(m->attrs, pos, &m->size, err);
}

/* The JSON key of a platform in a MessageStructure=json message. */
static const char *publish_platform_key(const char *platform)
{
	return strcmp(platform, "FCM") == 0 ? "GCM" : platform;
}

/* The checks that depend on the target: FIFO parameters and MessageStructure. */
static int publish_msg_check(const struct publish_msg *m, const struct publish_target *t,
			     struct op_error *err)
{
	json_t *doc, *v;
	bool usable;

	if (t->fifo) {
		if (!m->group_id) {
			op_invalid(err, "The MessageGroupId parameter is required for FIFO topics");
			return -1;
		}
		if (!m->dedup_id && !t->content_dedup) {
			op_invalid(err, "The topic should either have ContentBasedDeduplication "
					"enabled or MessageDeduplicationId provided explicitly");
			return -1;
		}
	} else if (m->dedup_id) {
		op_invalid(err, "MessageDeduplicationId Reason: The request includes "
				"MessageDeduplicationId parameter that is not valid for this topic "
				"type");
		return -1;
	}
	if (m->group_id && publish_fifo_id_check(m->src, "MessageGroupId", err) < 0)
		return -1;
	if (m->dedup_id && publish_fifo_id_check(m->src, "MessageDeduplicationId", err) < 0)
		return -1;

	if (!m->structure)
		return 0;
	if (strcmp(m->structure, "json") != 0) {
		op_invalid(err, "MessageStructure");
		return -1;
	}
	/* Duplicate keys are accepted (the last wins), as SNS does. */
	doc = json_loadb(m->message, m->message_len, JSON_DECODE_ANY, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		op_invalid(err, "Message Structure - JSON message body failed to parse");
		return -1;
	}
	/*
	 * Non-string values are ignored.  A topic needs "default"; an endpoint
	 * may do with its own platform's key instead (SNS's own examples).
	 */
	usable = json_is_string(json_object_get(doc, "default"));
	if (!usable && t->kind == STORE_ENDPOINT) {
		v = json_object_get(doc, publish_platform_key(t->platform));
		usable = json_is_string(v);
	}
	json_decref(doc);
	if (!usable) {
		op_invalid(err, "Message Structure - No default entry in JSON message body");
		return -1;
	}
	return 0;
}

static bool publish_attr_true(json_t *attrs, const char *name)
{
	const char *v = json_string_value(json_object_get(attrs, name));

	return v && strcasecmp(v, "true") == 0;
}

static bool publish_attr_false(json_t *attrs, const char *name)
{
	const char *v = json_string_value(json_object_get(attrs, name));

	return v && strcasecmp(v, "false") == 0;
}

/* A TopicArn, or a TargetArn naming a topic. */
static int publish_resolve_topic(struct op_ctx *ctx, const char *arn, const char *param,
				 struct publish_target *t, struct op_error *err)
{
	struct store_rec rec = {0};
	int rc;

	if (arn_parse(ctx->conf, arn, ARN_TOPIC, param, NULL, err) < 0)
		return -1;
	rc = store_get(ctx->txn, arn, &rec);
	if (rc == -ENOENT || (rc == 0 && rec.kind != STORE_TOPIC)) {
		store_rec_clear(&rec);
		op_not_found(err, "Topic");
		return -1;
	}
	if (rc < 0) {
		op_internal(err, "publish: reading the topic failed");
		return -1;
	}
	t->arn = arn;
	t->kind = STORE_TOPIC;
	t->fifo = publish_attr_true(rec.attrs, "FifoTopic");
	t->content_dedup = publish_attr_true(rec.attrs, "ContentBasedDeduplication");
	store_rec_clear(&rec);
	return 0;
}

static int publish_resolve_endpoint(struct op_ctx *ctx, const char *arn, struct publish_target *t,
				    struct op_error *err)
{
	struct store_rec ep = {0}, app = {0};
	struct arn parsed;
	int rc, ret = -1;

	if (arn_parse(ctx->conf, arn, ARN_ENDPOINT, "TargetArn", &parsed, err) < 0)
		return -1;
	rc = store_get(ctx->txn, arn, &ep);
	if (rc == 0 && ep.kind == STORE_ENDPOINT)
		rc = store_get(ctx->txn, ep.parent, &app);
	if (rc == -ENOENT || (rc == 0 && (ep.kind != STORE_ENDPOINT || app.kind != STORE_APP))) {
		op_invalid(err, "TargetArn Reason: No endpoint found for the target arn specified");
		goto out;
	}
	if (rc < 0) {
		op_internal(err, "publish: reading the endpoint failed");
		goto out;
	}
	if (publish_attr_false(ep.attrs, "Enabled")) {
		op_fail(err, "EndpointDisabled", 400, "Endpoint is disabled");
		goto out;
	}
	if (publish_attr_false(app.attrs, "Enabled")) {
		op_fail(err, "PlatformApplicationDisabled", 400,
			"Platform application is disabled");
		goto out;
	}
	t->arn = arn;
	t->kind = STORE_ENDPOINT;
	snprintf(t->platform, sizeof(t->platform), "%s", parsed.platform);
	ret = 0;
out:
	store_rec_clear(&ep);
	store_rec_clear(&app);
	return ret;
}

/* TargetArn: an endpoint, or (as SNS allows) a topic. */
static int publish_resolve_target(struct op_ctx *ctx, const char *arn, struct publish_target *t,
				  struct op_error *err)
{
	const char *resource = arn;

	for (int i = 0; i < 5 && resource; i++) {
		resource = strchr(resource, ':');
		if (resource)
			resource++;
	}
	if (resource && strncmp(resource, "endpoint/", 9) == 0)
		return publish_resolve_endpoint(ctx, arn, t, err);
	return publish_resolve_topic(ctx, arn, "TargetArn", t, err);
}

/* The body stored for a message: the validated request (new reference, NULL on OOM). */
static json_t *publish_body(const struct publish_msg *m)
{
	json_t *body = json_pack("{s:s%}", "Message", m->message, m->message_len);

	if (!body)
		return NULL;
	if ((m->subject && json_object_set_new(body, "Subject", json_string(m->subject))) ||
	    (m->structure &&
	     json_object_set_new(body, "MessageStructure", json_string(m->structure))) ||
	    (m->attrs &&
	     json_object_set_new(body, "MessageAttributes", json_deep_copy(m->attrs))) ||
	    (m->group_id &&
	     json_object_set_new(body, "MessageGroupId", json_string(m->group_id))) ||
	    (m->dedup_id &&
	     json_object_set_new(body, "MessageDeduplicationId", json_string(m->dedup_id)))) {
		json_decref(body);
		return NULL;
	}
	return body;
}

/*
 * Store one accepted message and record its effect.  Fills id (and seq).
 * 0, or -1 with err set to InternalError.
 */
static int publish_store(struct op_ctx *ctx, const struct publish_target *t,
			 const struct publish_msg *m, char id[UTIL_UUID_LEN + 1], int64_t *seq,
			 struct op_error *err)
{
	struct store_msg msg = {0};
	json_t *effect = NULL;
	int ret = -1;

	util_uuid4(id);
	msg.message_id = id;
	msg.target_arn = (char *)t->arn;
	msg.target_kind = t->kind;
	msg.created_ms = ctx->now_ms;
	msg.body = publish_body(m);
	if (!msg.body) {
		op_internal(err, "publish: out of memory");
		goto out;
	}
	if (store_msg_put(ctx->txn, &msg) < 0) {
		op_internal(err, "publish: storing the message failed");
		goto out;
	}
	*seq = msg.seq;
	effect = json_pack("{s:s, s:s, s:s}", "Type", "Message", "MessageId", id, "TargetArn",
			   t->arn);
	if (!effect || json_array_append_new(ctx->effects, effect)) {
		op_internal(err, "publish: out of memory");
		goto out;
	}
	ret = 0;
out:
	json_decref(msg.body);
	return ret;
}

/* FIFO topics answer with a sequence number; ours is the message's store sequence. */
static json_t *publish_seq_string(int64_t seq)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%020" PRId64, seq);
	return json_string(buf);
}

json_t *op_Publish(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	const char *topic, *target, *phone;
	struct publish_target t = {0};
	struct publish_msg m;
	char id[UTIL_UUID_LEN + 1];
	int64_t seq = 0;
	json_t *result;
	int given;

	if (op_arg_str(args, "TopicArn", false, &topic, err) < 0 ||
	    op_arg_str(args, "TargetArn", false, &target, err) < 0 ||
	    op_arg_str(args, "PhoneNumber", false, &phone, err) < 0)
		return NULL;
	given = !!topic + !!target + !!phone;
	if (given == 0)
		return op_invalid(err,
				  "TopicArn or TargetArn Reason: no value for required parameter");
	if (given > 1)
		return op_invalid(err,
				  "%s Reason: only one of TopicArn, TargetArn and PhoneNumber "
				  "may be specified",
				  topic ? "TopicArn" : "TargetArn");
	if (phone)
		return op_invalid(err, "PhoneNumber Reason: SMS is not supported by herald; "
				       "publish to a TopicArn or a TargetArn");

	if (publish_msg_read(args, 0, &m, err) < 0)
		return NULL;
	if (m.size > MSGATTR_MAX_PUBLISH_BYTES)
		return op_invalid(err, "Message too long");

	if (topic ? publish_resolve_topic(ctx, topic, "TopicArn", &t, err)
		  : publish_resolve_target(ctx, target, &t, err))
		return NULL;
	if (publish_msg_check(&m, &t, err) < 0)
		return NULL;
	if (publish_store(ctx, &t, &m, id, &seq, err) < 0)
		return NULL;

	result = json_pack("{s:s}", "MessageId", id);
	if (result && t.fifo &&
	    json_object_set_new(result, "SequenceNumber", publish_seq_string(seq)))
		json_decref(result), result = NULL;
	if (!result)
		return op_internal(err, "publish: out of memory");
	return result;
}

/* Ids: 1-80 characters of A-Z a-z 0-9 _ - (SNS's messages). */
static int publish_batch_id_check(const char *id, struct op_error *err)
{
	size_t len = strlen(id);

	if (len > PUBLISH_MAX_BATCH_ID) {
		op_fail(err, "InvalidBatchEntryId", 400,
			"The Id of a batch entry in the batch request is too long: %s", id);
		return -1;
	}
	for (size_t i = 0; i <= len; i++) {
		char c = id[i];

		if (i == len && len > 0)
			return 0;
		if (!(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') &&
		    c != '_' && c != '-')
			break;
	}
	op_fail(err, "InvalidBatchEntryId", 400,
		"The Id of a batch entry in the batch request contains an impermissible character: "
		"%s",
		id);
	return -1;
}

json_t *op_PublishBatch(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	struct publish_msg msgs[PUBLISH_MAX_BATCH];
	struct publish_target t = {0};
	const char *topic;
	json_t *entries, *entry, *result = NULL, *ok, *one;
	char id[UTIL_UUID_LEN + 1];
	size_t n, total = 0;
	int64_t seq;

	if (op_arg_str(args, "TopicArn", true, &topic, err) < 0 ||
	    op_arg_list(args, "PublishBatchRequestEntries", true, &entries, err) < 0)
		return NULL;
	n = json_array_size(entries);
	if (n == 0)
		return op_fail(err, "EmptyBatchRequest", 400,
			       "The batch request doesn't contain any entries.");
	if (n > PUBLISH_MAX_BATCH)
		return op_fail(err, "TooManyEntriesInBatchRequest", 400,
			       "The batch request contains more entries than permissible.");
	if (publish_resolve_topic(ctx, topic, "TopicArn", &t, err) < 0)
		return NULL;

	for (size_t i = 0; i < n; i++) {
		entry = json_array_get(entries, i);
		if (!json_is_object(entry))
			return op_invalid(err,
					  "PublishBatchRequestEntries Reason: entry %zu must be a "
					  "structure",
					  i + 1);
		memset(&msgs[i], 0, sizeof(msgs[i]));
		if (publish_str(entry, "Id", (unsigned int)i + 1, true, &msgs[i].id, err) < 0)
			return NULL;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(msgs[i].id, msgs[j].id) == 0)
				return op_fail(err, "BatchEntryIdsNotDistinct", 400,
					       "Two or more batch entries in the request have the "
					       "same Id.");
	for (size_t i = 0; i < n; i++)
		if (publish_batch_id_check(msgs[i].id, err) < 0)
			return NULL;

	for (size_t i = 0; i < n; i++) {
		const char *entry_id = msgs[i].id;

		if (publish_msg_read(json_array_get(entries, i), (unsigned int)i + 1, &msgs[i],
				     err) < 0)
			return NULL;
		msgs[i].id = entry_id;
		if (publish_msg_check(&msgs[i], &t, err) < 0)
			return NULL;
		total += msgs[i].size;
	}
	if (total > MSGATTR_MAX_PUBLISH_BYTES)
		return op_fail(
			err, "BatchRequestTooLong", 400,
			"The length of all the messages put together is more than the limit.");

	result = json_pack("{s:[], s:[]}", "Successful", "Failed");
	if (!result)
		return op_internal(err, "publish: out of memory");
	ok = json_object_get(result, "Successful");
	for (size_t i = 0; i < n; i++) {
		if (publish_store(ctx, &t, &msgs[i], id, &seq, err) < 0)
			goto fail;
		one = json_pack("{s:s, s:s}", "Id", msgs[i].id, "MessageId", id);
		if (one && t.fifo &&
		    json_object_set_new(one, "SequenceNumber", publish_seq_string(seq)))
			json_decref(one), one = NULL;
		if (!one || json_array_append_new(ok, one)) {
			op_internal(err, "publish: out of memory");
			goto fail;
		}
	}
	return result;
fail:
	json_decref(result);
	return NULL;
}
