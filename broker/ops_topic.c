/*
 * Topics and subscriptions: CreateTopic, DeleteTopic, ListTopics,
 * Get/SetTopicAttributes, Subscribe, Unsubscribe, ListSubscriptions,
 * ListSubscriptionsByTopic, Get/SetSubscriptionAttributes, with SNS's
 * semantics and messages (reference/aws-recorded-errors.md).
 *
 * Records: a topic is STORE_TOPIC, parent "", its attributes those the user
 * set (FifoTopic "true" for FIFO topics).  A subscription is
 * STORE_SUBSCRIPTION, parent = topic ARN, lookup = "<protocol> <endpoint>",
 * its attributes those the user set.  Everything else GetXAttributes returns
 * (Owner, counts, defaults, effective policies) is computed on read.
 *
 * Only the "application" protocol (platform endpoints of this broker) is
 * accepted; the other SNS protocols are refused as not supported yet.
 *
 * Runs on the store thread inside the request's job (see op.h); an error
 * rolls back whatever the operation wrote.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "broker/arn.h"
#include "broker/filter_policy.h"
#include "broker/ops.h"
#include "common/util.h"

#define TOPIC_NAME_MAX	  256
#define TOPIC_FIFO_SUFFIX ".fifo"
/* "Each call returns a limited list of topics, up to 100." (same for subscriptions) */
#define LIST_PAGE	 100
#define DISPLAY_NAME_MAX 100
/* The access policy size limit of SNS topics. */
#define POLICY_MAX_BYTES       30720
#define ATTR_VALUE_MAX	       (256 * 1024)
#define SUB_LOOKUP_APPLICATION "application "

/* What SNS reports for a topic without a DeliveryPolicy. */
static const char topic_default_delivery_policy[] =
	"{\"http\":{\"defaultHealthyRetryPolicy\":{\"minDelayTarget\":20,\"maxDelayTarget\":20,"
	"\"numRetries\":3,\"numMaxDelayRetries\":0,\"numNoDelayRetries\":0,"
	"\"numMinDelayRetries\":0,\"backoffFunction\":\"linear\"},"
	"\"disableSubscriptionOverrides\":false,"
	"\"defaultRequestPolicy\":{\"headerContentType\":\"text/plain; charset=UTF-8\"}}}";

/* ... and for a subscription without one. */
static const char sub_default_delivery_policy[] =
	"{\"healthyRetryPolicy\":{\"minDelayTarget\":20,\"maxDelayTarget\":20,\"numRetries\":3,"
	"\"numMaxDelayRetries\":0,\"numNoDelayRetries\":0,\"numMinDelayRetries\":0,"
	"\"backoffFunction\":\"linear\"},\"sicklyRetryPolicy\":null,\"throttlePolicy\":null,"
	"\"guaranteed\":false}";

/* SNS's policy for a new topic: only the owner's account may act on it. */
static const char topic_default_policy_fmt[] =
	"{\"Version\":\"2008-10-17\",\"Id\":\"__default_policy_ID\",\"Statement\":[{\"Sid\":"
	"\"__default_statement_ID\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},"
	"\"Action\":[\"SNS:GetTopicAttributes\",\"SNS:SetTopicAttributes\","
	"\"SNS:AddPermission\",\"SNS:RemovePermission\",\"SNS:DeleteTopic\","
	"\"SNS:Subscribe\",\"SNS:ListSubscriptionsByTopic\",\"SNS:Publish\"],"
	"\"Resource\":\"%s\",\"Condition\":{\"StringEquals\":{\"AWS:SourceOwner\":\"%s\"}}}]}";

/* ---- attribute value checks: 0, or -1 with why = the reason after "<Name>: " ---- */

typedef int (*attr_check_fn)(const char *value, char *why, size_t n);

static int check_bool(const char *value, char *why, size_t n)
{
	if (strcasecmp(value, "true") && strcasecmp(value, "false")) {
		snprintf(why, n, "Invalid value [%.512s]. Must be true or false.", value);
		return -1;
	}
	return 0;
}

static int check_sample_rate(const char *value, char *why, size_t n)
{
	char *end;
	long v = strtol(value, &end, 10);

	if (!*value || *end || !isdigit((unsigned char)*value) || v > 100) {
		snprintf(why, n, "Invalid value [%.512s]. Must be an integer from 0 to 100.",
			 value);
		return -1;
	}
	return 0;
}

static int check_arn(const char *value, char *why, size_t n)
{
	int colons = 0;

	for (const char *p = value; *p; p++)
		colons += *p == ':';
	if (strncmp(value, "arn:", 4) || colons < 5) {
		snprintf(why, n, "Invalid value [%.512s]. Must be an ARN.", value);
		return -1;
	}
	return 0;
}

static int check_display_name(const char *value, char *why, size_t n)
{
	if (util_utf8_valid(value, strlen(value)) < 0 || strlen(value) > DISPLAY_NAME_MAX) {
		snprintf(why, n, "must be at most %d characters long", DISPLAY_NAME_MAX);
		return -1;
	}
	return 0;
}

/* value is one of choices (NULL-terminated); hint words the choices for the message. */
static int check_choice(const char *value, const char *const *choices, const char *hint, char *why,
			size_t n)
{
	for (; *choices; choices++)
		if (strcmp(value, *choices) == 0)
			return 0;
	snprintf(why, n, "Invalid value [%.512s]. %s", value, hint);
	return -1;
}

static int check_tracing(const char *value, char *why, size_t n)
{
	static const char *const c[] = {"PassThrough", "Active", NULL};

	return check_choice(value, c, "Please use either PassThrough or Active", why, n);
}

static int check_signature_version(const char *value, char *why, size_t n)
{
	static const char *const c[] = {"1", "2", NULL};

	return check_choice(value, c, "Must be 1 or 2.", why, n);
}

static int check_throughput_scope(const char *value, char *why, size_t n)
{
	static const char *const c[] = {"Topic", "MessageGroup", NULL};

	return check_choice(value, c, "Please use either Topic or MessageGroup", why, n);
}

static int check_filter_scope(const char *value, char *why, size_t n)
{
	static const char *const c[] = {"MessageAttributes", "MessageBody", NULL};

	return check_choice(value, c, "Please use either MessageBody or MessageAttributes", why, n);
}

static int check_any(const char *value, char *why, size_t n)
{
	(void)value;
	(void)why;
	(void)n;
	return 0;
}

/* A JSON object; *out (if not NULL) gets it. */
static int check_json_object(const char *value, json_t **out, char *why, size_t n)
{
	json_t *v = filter_policy_parse_json(value, why, n);

	if (!v)
		return -1;
	if (!json_is_object(v)) {
		json_decref(v);
		snprintf(why, n, "must be a JSON object");
		return -1;
	}
	if (out)
		*out = v;
	else
		json_decref(v);
	return 0;
}

static int check_json(const char *value, char *why, size_t n)
{
	return check_json_object(value, NULL, why, n);
}

static int check_policy(const char *value, char *why, size_t n)
{
	json_t *v;
	int rc = 0;

	if (strlen(value) > POLICY_MAX_BYTES) {
		snprintf(why, n, "must be at most %d bytes long", POLICY_MAX_BYTES);
		return -1;
	}
	if (check_json_object(value, &v, why, n))
		return -1;
	if (!json_is_array(json_object_get(v, "Statement")) &&
	    !json_is_object(json_object_get(v, "Statement"))) {
		snprintf(why, n, "Policy must contain a Statement");
		rc = -1;
	}
	json_decref(v);
	return rc;
}

/* A retry policy object of a delivery policy (DeliveryPolicies.md). */
static int check_retry_policy(json_t *p, const char *name, char *why, size_t n)
{
	static const char *const ints[] = {"minDelayTarget",	 "maxDelayTarget",
					   "numRetries",	 "numNoDelayRetries",
					   "numMinDelayRetries", "numMaxDelayRetries"};
	const char *fn;
	json_t *v;

	if (!p || json_is_null(p))
		return 0;
	if (!json_is_object(p)) {
		snprintf(why, n, "%s must be an object", name);
		return -1;
	}
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		v = json_object_get(p, ints[i]);
		if (v && (!json_is_integer(v) || json_integer_value(v) < 0)) {
			snprintf(why, n, "%s.%s must be a non-negative integer", name, ints[i]);
			return -1;
		}
	}
	v = json_object_get(p, "numRetries");
	if (v && json_integer_value(v) > 100) {
		snprintf(why, n, "%s.numRetries must be at most 100", name);
		return -1;
	}
	if (json_object_get(p, "minDelayTarget") && json_object_get(p, "maxDelayTarget") &&
	    json_integer_value(json_object_get(p, "minDelayTarget")) >
		    json_integer_value(json_object_get(p, "maxDelayTarget"))) {
		snprintf(why, n, "%s.minDelayTarget must be less than or equal to maxDelayTarget",
			 name);
		return -1;
	}
	v = json_object_get(p, "backoffFunction");
	fn = json_string_value(v);
	if (v && (!fn || (strcmp(fn, "linear") && strcmp(fn, "arithmetic") &&
			  strcmp(fn, "geometric") && strcmp(fn, "exponential")))) {
		snprintf(why, n,
			 "%s.backoffFunction must be linear, arithmetic, geometric or exponential",
			 name);
		return -1;
	}
	return 0;
}

static int check_throttle_policy(json_t *p, const char *name, char *why, size_t n)
{
	json_t *v;

	if (!p || json_is_null(p))
		return 0;
	v = json_object_get(p, "maxReceivesPerSecond");
	if (!json_is_object(p) || (v && (!json_is_integer(v) || json_integer_value(v) < 1))) {
		snprintf(why, n, "%s.maxReceivesPerSecond must be a positive integer", name);
		return -1;
	}
	return 0;
}

static int check_topic_delivery_policy(const char *value, char *why, size_t n)
{
	json_t *v, *http;
	int rc = -1;

	if (check_json_object(value, &v, why, n))
		return -1;
	http = json_object_get(v, "http");
	if (http && !json_is_object(http)) {
		snprintf(why, n, "http must be an object");
		goto out;
	}
	if (http && (check_retry_policy(json_object_get(http, "defaultHealthyRetryPolicy"),
					"defaultHealthyRetryPolicy", why, n) ||
		     check_throttle_policy(json_object_get(http, "defaultThrottlePolicy"),
					   "defaultThrottlePolicy", why, n)))
		goto out;
	rc = 0;
out:
	json_decref(v);
	return rc;
}

static int check_sub_delivery_policy(const char *value, char *why, size_t n)
{
	json_t *v;
	int rc;

	if (check_json_object(value, &v, why, n))
		return -1;
	rc = check_retry_policy(json_object_get(v, "healthyRetryPolicy"), "healthyRetryPolicy", why,
				n) ||
			     check_throttle_policy(json_object_get(v, "throttlePolicy"),
						   "throttlePolicy", why, n)
		     ? -1
		     : 0;
	json_decref(v);
	return rc;
}

/* ---- topic attributes ---- */

enum {
	TA_CREATE = 1, /* accepted by CreateTopic */
	TA_SET = 2,    /* accepted by SetTopicAttributes */
	TA_FIFO = 4,   /* FIFO topics only */
	TA_CLEAR = 8,  /* an empty value removes it */
	TA_BOOL = 16,  /* stored lowercase */
};

struct attr_def {
	const char *name;
	unsigned int flags;
	attr_check_fn check;
};

#define TA_CS (TA_CREATE | TA_SET)
#define FEEDBACK(p)                                                        \
	{p "SuccessFeedbackRoleArn", TA_CS | TA_CLEAR, check_arn},         \
		{p "SuccessFeedbackSampleRate", TA_CS, check_sample_rate}, \
	{                                                                  \
		p "FailureFeedbackRoleArn", TA_CS | TA_CLEAR, check_arn    \
	}

static const struct attr_def topic_attrs[] = {
	{"DeliveryPolicy", TA_CS | TA_CLEAR, check_topic_delivery_policy},
	{"DisplayName", TA_CS | TA_CLEAR, check_display_name},
	{"Policy", TA_CS | TA_CLEAR, check_policy},
	{"TracingConfig", TA_CS, check_tracing},
	FEEDBACK("HTTP"),
	FEEDBACK("Firehose"),
	FEEDBACK("Lambda"),
	FEEDBACK("Application"),
	FEEDBACK("SQS"),
	{"KmsMasterKeyId", TA_CS | TA_CLEAR, check_any},
	{"SignatureVersion", TA_CS, check_signature_version},
	{"ArchivePolicy", TA_CS | TA_FIFO | TA_CLEAR, check_json},
	{"ContentBasedDeduplication", TA_CS | TA_FIFO | TA_BOOL, check_bool},
	{"FifoThroughputScope", TA_CS | TA_FIFO, check_throughput_scope},
	{"FifoTopic", TA_CREATE | TA_BOOL, check_bool},
	{NULL, 0, NULL},
};

static const struct attr_def *attr_find(const struct attr_def *defs, const char *name)
{
	for (const struct attr_def *d = defs; d->name; d++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

/*
 * Check one topic attribute for CreateTopic (in_create: messages carry
 * "Attributes Reason: ") or SetTopicAttributes.  0 or -1 with err.
 */
static int topic_attr_check(const char *name, const char *value, bool fifo, bool in_create,
			    struct op_error *err)
{
	const char *prefix = in_create ? "Attributes Reason: " : "";
	const struct attr_def *d = attr_find(topic_attrs, name);
	char why[768];

	if (!d || !(d->flags & (in_create ? TA_CREATE : TA_SET))) {
		op_invalid(err, "%sAttributeName", prefix);
		return -1;
	}
	if ((d->flags & TA_FIFO) && !fifo) {
		op_invalid(err, "%s%s: only valid for FIFO topics", prefix, name);
		return -1;
	}
	if (strlen(value) > ATTR_VALUE_MAX) {
		op_invalid(err, "%s%s: must be at most %d bytes long", prefix, name,
			   ATTR_VALUE_MAX);
		return -1;
	}
	if ((d->flags & TA_CLEAR) && !*value)
		return 0;
	if (d->check(value, why, sizeof(why))) {
		op_invalid(err, "%s%s: %s", prefix, name, why);
		return -1;
	}
	return 0;
}

/* Set name=value in attrs as stored: booleans lowercase, cleared ones removed. */
static int attr_store(json_t *attrs, const struct attr_def *d, const char *name, const char *value)
{
	char low[8];

	if (d && (d->flags & TA_CLEAR) && !*value)
		return json_object_del(attrs, name), 0;
	if (d && (d->flags & TA_BOOL)) {
		snprintf(low, sizeof(low), "%s", strcasecmp(value, "true") ? "false" : "true");
		value = low;
	}
	return json_object_set_new(attrs, name, json_string(value));
}

static bool topic_name_valid(const char *name, bool fifo)
{
	size_t len = strlen(name), base = len;
	size_t sfx = strlen(TOPIC_FIFO_SUFFIX);
	bool has_sfx = len > sfx && strcmp(name + len - sfx, TOPIC_FIFO_SUFFIX) == 0;

	if (len < 1 || len > TOPIC_NAME_MAX || has_sfx != fifo)
		return false;
	if (fifo)
		base -= sfx;
	for (size_t i = 0; i < base; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '-')
			return false;
	return true;
}

/* Every key of want has the same value in have. */
static bool json_subset(json_t *want, json_t *have)
{
	const char *k;
	json_t *v;

	json_object_foreach (want, k, v) {
		if (!json_equal(v, json_object_get(have, k)))
			return false;
	}
	return true;
}

/* dst gets src's members; objects present in both are merged. */
static void json_merge(json_t *dst, json_t *src)
{
	const char *k;
	json_t *v;

	json_object_foreach (src, k, v) {
		json_t *d = json_object_get(dst, k);

		if (json_is_object(d) && json_is_object(v))
			json_merge(d, v);
		else
			json_object_set(dst, k, v);
	}
}

/* The default delivery policy overlaid with the one set (if any), as compact JSON text. */
static json_t *effective_delivery_policy(const char *dflt, const char *set)
{
	json_t *base = json_loads(dflt, 0, NULL), *over = NULL, *s;
	char *text;

	if (!base)
		return NULL;
	if (set && *set)
		over = json_loads(set, 0, NULL);
	if (json_is_object(over))
		json_merge(base, over);
	text = json_dumps(base, JSON_COMPACT);
	s = text ? json_string(text) : NULL;
	free(text);
	json_decref(over);
	json_decref(base);
	return s;
}

/*
 * Load the topic named by args[param] into rec (cleared by the caller).
 * 0, or -1 with SNS's error: malformed/foreign ARN (arn_parse) or
 * NotFound "Topic does not exist".
 */
static int topic_load(struct op_ctx *ctx, json_t *args, const char *param, const char **arn,
		      struct store_rec *rec, struct op_error *err)
{
	int rc;

	if (op_arg_str(args, param, true, arn, err) ||
	    arn_parse(ctx->conf, *arn, ARN_TOPIC, param, NULL, err))
		return -1;
	rc = store_get(ctx->txn, *arn, rec);
	if (rc == 0 && rec->kind != STORE_TOPIC)
		rc = -ENOENT;
	if (rc == -ENOENT) {
		op_not_found(err, "Topic");
		return -1;
	}
	if (rc) {
		op_internal(err, "cannot read the topic");
		return -1;
	}
	return 0;
}

static bool topic_is_fifo(const struct store_rec *rec)
{
	return json_is_string(json_object_get(rec->attrs, "FifoTopic")) &&
	       strcmp(json_string_value(json_object_get(rec->attrs, "FifoTopic")), "true") == 0;
}

json_t *op_CreateTopic(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	const char *name, *dpp, *k;
	json_t *attrs_in, *tags_in, *attrs = NULL, *tags = NULL, *cur_tags = NULL, *v;
	json_t *result = NULL;
	struct store_rec rec = {0}, old = {0};
	char *arn = NULL;
	bool fifo = false;
	int rc;

	if (op_arg_str(args, "Name", true, &name, err) ||
	    op_arg_map(args, "Attributes", false, &attrs_in, err) ||
	    op_arg_list(args, "Tags", false, &tags_in, err) ||
	    op_arg_str(args, "DataProtectionPolicy", false, &dpp, err))
		return NULL;
	if (dpp && *dpp)
		return op_invalid(err, "DataProtectionPolicy Reason: data protection policies are "
				       "not supported by this broker");
	v = json_object_get(attrs_in, "FifoTopic");
	if (v && check_bool(json_string_value(v), NULL, 0) == 0)
		fifo = strcasecmp(json_string_value(v), "true") == 0;
	if (!topic_name_valid(name, fifo))
		return op_invalid(err, "Topic Name");

	attrs = json_object();
	if (!attrs)
		return op_internal(err, "out of memory");
	json_object_foreach (attrs_in, k, v) {
		if (topic_attr_check(k, json_string_value(v), fifo, true, err))
			goto out;
		/* SNS does not keep FifoTopic=false: a standard topic is the default. */
		if (strcmp(k, "FifoTopic") == 0 && !fifo)
			continue;
		if (attr_store(attrs, attr_find(topic_attrs, k), k, json_string_value(v)))
			goto oom;
	}
	if (tags_in && !(tags = tag_list_parse(tags_in, err)))
		goto out;

	arn = arn_topic(ctx->conf, name);
	if (!arn)
		goto oom;
	rc = store_get(ctx->txn, arn, &old);
	if (rc == 0) {
		/* Idempotent: the same request again gets the same topic. */
		if (!json_subset(attrs, old.attrs)) {
			op_invalid(err, "Attributes Reason: Topic already exists with different "
					"attributes");
			goto out;
		}
		if (tags) {
			if (store_tags_get(ctx->txn, arn, &cur_tags)) {
				op_internal(err, "cannot read tags");
				goto out;
			}
			if (!json_subset(tags, cur_tags)) {
				op_invalid(err,
					   "Tags Reason: Topic already exists with different tags");
				goto out;
			}
		}
	} else if (rc == -ENOENT) {
		rec.arn = arn;
		rec.kind = STORE_TOPIC;
		rec.parent = "";
		rec.attrs = attrs;
		if (store_put(ctx->txn, &rec)) {
			op_internal(err, "cannot store the topic");
			goto out;
		}
		if (tags && tag_merge(ctx, arn, tags, err))
			goto out;
	} else {
		op_internal(err, "cannot read the topic");
		goto out;
	}
	result = json_pack("{s:s}", "TopicArn", arn);
	if (!result)
		goto oom;
	goto out;
oom:
	op_internal(err, "out of memory");
out:
	store_rec_clear(&old);
	json_decref(cur_tags);
	json_decref(tags);
	json_decref(attrs);
	free(arn);
	return result;
}

json_t *op_DeleteTopic(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	const char *arn;
	int rc;

	if (op_arg_str(args, "TopicArn", true, &arn, err) ||
	    arn_parse(ctx->conf, arn, ARN_TOPIC, "TopicArn", NULL, err))
		return NULL;
	/* Deleting a topic that does not exist is not an error (SNS: idempotent). */
	if (store_delete_children(ctx->txn, STORE_SUBSCRIPTION, arn, NULL))
		return op_internal(err, "cannot delete the subscriptions of a topic");
	rc = store_delete(ctx->txn, arn);
	if (rc && rc != -ENOENT)
		return op_internal(err, "cannot delete the topic");
	return json_object();
}

/* ---- listings ---- */

struct list_walk {
	struct op_ctx *ctx;
	json_t *rows;
	unsigned int count;
	int64_t last_seq; /* seq of the last row kept */
	bool more;
	json_t *(*row)(struct op_ctx *ctx, const struct store_rec *rec);
};

static int list_collect(const struct store_rec *rec, void *arg)
{
	struct list_walk *w = arg;
	json_t *row;

	if (w->count == LIST_PAGE) {
		w->more = true;
		return 1;
	}
	row = w->row(w->ctx, rec);
	if (!row || json_array_append_new(w->rows, row))
		return -ENOMEM;
	w->count++;
	w->last_seq = rec->seq;
	return 0;
}

/* One page of kind under parent (NULL: all) as {member: [...], "NextToken"?}. */
static json_t *list_page(struct op_ctx *ctx, json_t *args, enum store_kind kind, const char *parent,
			 const char *member,
			 json_t *(*row)(struct op_ctx *, const struct store_rec *),
			 struct op_error *err)
{
	struct list_walk w = {.ctx = ctx, .row = row};
	const char *token;
	int64_t after;
	json_t *result;
	int rc;

	if (op_arg_str(args, "NextToken", false, &token, err) ||
	    op_next_token_decode(token, &after, err))
		return NULL;
	w.rows = json_array();
	if (!w.rows)
		return op_internal(err, "out of memory");
	/* One more than a page tells whether another page follows. */
	rc = store_list(ctx->txn, kind, parent, after, LIST_PAGE + 1, list_collect, &w);
	if (rc < 0) {
		json_decref(w.rows);
		return op_internal(err, "cannot list records");
	}
	result = json_pack("{s:o}", member, w.rows);
	if (result && w.more)
		json_object_set_new(result, "NextToken", op_next_token_encode(w.last_seq));
	return result ? result : op_internal(err, "out of memory");
}

static json_t *topic_row(struct op_ctx *ctx, const struct store_rec *rec)
{
	(void)ctx;
	return json_pack("{s:s}", "TopicArn", rec->arn);
}

json_t *op_ListTopics(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return list_page(ctx, args, STORE_TOPIC, NULL, "Topics", topic_row, err);
}

json_t *op_GetTopicAttributes(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	struct store_rec rec = {0};
	const char *arn;
	json_t *attrs = NULL, *result = NULL;
	uint64_t subs = 0;
	char *policy = NULL;
	char count[32];

	if (topic_load(ctx, args, "TopicArn", &arn, &rec, err))
		goto out;
	if (store_count(ctx->txn, STORE_SUBSCRIPTION, arn, &subs)) {
		op_internal(err, "cannot count subscriptions");
		goto out;
	}
	attrs = json_deep_copy(rec.attrs);
	if (!attrs)
		goto oom;
	snprintf(count, sizeof(count), "%llu", (unsigned long long)subs);
	if (json_object_set_new(attrs, "TopicArn", json_string(arn)) ||
	    json_object_set_new(attrs, "Owner", json_string(ctx->conf->account)) ||
	    json_object_set_new(attrs, "SubscriptionsConfirmed", json_string(count)) ||
	    json_object_set_new(attrs, "SubscriptionsPending", json_string("0")) ||
	    json_object_set_new(attrs, "SubscriptionsDeleted", json_string("0")) ||
	    json_object_set_new(attrs, "EffectiveDeliveryPolicy",
				effective_delivery_policy(topic_default_delivery_policy,
							  json_string_value(json_object_get(
								  rec.attrs, "DeliveryPolicy")))))
		goto oom;
	if (!json_object_get(attrs, "DisplayName") &&
	    json_object_set_new(attrs, "DisplayName", json_string("")))
		goto oom;
	if (!json_object_get(attrs, "Policy")) {
		if (asprintf(&policy, topic_default_policy_fmt, arn, ctx->conf->account) < 0) {
			policy = NULL;
			goto oom;
		}
		if (json_object_set_new(attrs, "Policy", json_string(policy)))
			goto oom;
	}
	if (topic_is_fifo(&rec) && !json_object_get(attrs, "ContentBasedDeduplication") &&
	    json_object_set_new(attrs, "ContentBasedDeduplication", json_string("false")))
		goto oom;
	result = json_pack("{s:O}", "Attributes", attrs);
	if (result)
		goto out;
oom:
	op_internal(err, "out of memory");
out:
	free(policy);
	json_decref(attrs);
	store_rec_clear(&rec);
	return result;
}

json_t *op_SetTopicAttributes(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	struct store_rec rec = {0};
	const char *arn, *name, *value;
	json_t *result = NULL;

	if (topic_load(ctx, args, "TopicArn", &arn, &rec, err) ||
	    op_arg_str(args, "AttributeName", true, &name, err) ||
	    op_arg_str(args, "AttributeValue", false, &value, err))
		goto out;
	if (!value)
		value = "";
	if (topic_attr_check(name, value, topic_is_fifo(&rec), false, err))
		goto out;
	if (attr_store(rec.attrs, attr_find(topic_attrs, name), name, value)) {
		op_internal(err, "out of memory");
		goto out;
	}
	if (store_put(ctx->txn, &rec)) {
		op_internal(err, "cannot store the topic");
		goto out;
	}
	result = json_object();
out:
	store_rec_clear(&rec);
	return result;
}

/* ---- subscriptions ---- */

static const char *const sns_protocols[] = {
	"http", "https",       "email",	 "email-json", "sms",
	"sqs",	"application", "lambda", "firehose",   NULL,
};

enum {
	SA_SUBSCRIBE = 1,
	SA_SET = 2,
};

static const struct attr_def sub_attrs[] = {
	{"DeliveryPolicy", SA_SUBSCRIBE | SA_SET | TA_CLEAR, check_sub_delivery_policy},
	{"FilterPolicy", SA_SUBSCRIBE | SA_SET | TA_CLEAR, NULL},
	{"FilterPolicyScope", SA_SUBSCRIBE | SA_SET, NULL},
	{"RawMessageDelivery", SA_SUBSCRIBE | SA_SET | TA_BOOL, NULL},
	{"RedrivePolicy", SA_SUBSCRIBE | SA_SET | TA_CLEAR, NULL},
	{"SubscriptionRoleArn", SA_SUBSCRIBE | SA_SET | TA_CLEAR, check_arn},
	{NULL, 0, NULL},
};

static bool scope_is_body(const char *scope)
{
	return scope && strcmp(scope, "MessageBody") == 0;
}

/* A filter policy is acceptable under scope.  0, or -1 with why = text after "Invalid parameter: ". */
static int sub_check_filter(const char *value, const char *scope, char *why, size_t n)
{
	char reason[768];
	json_t *p;
	int rc;

	if (!*value)
		return 0;
	if (strlen(value) > FILTER_POLICY_MAX_BYTES) {
		snprintf(why, n, "FilterPolicy: Filter policy must be at most %d bytes long",
			 FILTER_POLICY_MAX_BYTES);
		return -1;
	}
	p = filter_policy_parse_json(value, reason, sizeof(reason));
	if (!p) {
		snprintf(why, n, "FilterPolicy: %s", reason);
		return -1;
	}
	rc = filter_policy_check(p, scope_is_body(scope), why, n);
	json_decref(p);
	return rc;
}

static int sub_check_redrive(const char *value, char *why, size_t n)
{
	const char *dlq;
	json_t *p;
	int colons = 0, rc = 0;

	if (check_json_object(value, &p, why, n))
		return -1;
	dlq = json_string_value(json_object_get(p, "deadLetterTargetArn"));
	for (const char *c = dlq ? dlq : ""; *c; c++)
		colons += *c == ':';
	/* Dead-letter queues are SQS queues: arn:aws:sqs:region:account:name. */
	if (!dlq || strncmp(dlq, "arn:", 4) || colons != 5 || !strstr(dlq, ":sqs:") ||
	    strstr(dlq, ":sqs:") != strchr(dlq + 4, ':')) {
		snprintf(why, n, "deadLetterTargetArn is an invalid arn");
		rc = -1;
	}
	json_decref(p);
	return rc;
}

/*
 * Check a subscription attribute for Subscribe (in_subscribe: messages carry
 * "Attributes Reason: ") or SetSubscriptionAttributes.  scope is the
 * FilterPolicyScope the subscription will have; filter the FilterPolicy it
 * will have (to re-check it when the scope changes).  0 or -1 with err.
 */
static int sub_attr_check(const char *name, const char *value, const char *scope,
			  const char *filter, bool in_subscribe, struct op_error *err)
{
	const char *prefix = in_subscribe ? "Attributes Reason: " : "";
	const struct attr_def *d = attr_find(sub_attrs, name);
	char why[1024];

	if (!d) {
		op_invalid(err, "%sAttributeName", prefix);
		return -1;
	}
	if (strlen(value) > ATTR_VALUE_MAX) {
		op_invalid(err, "%s%s: must be at most %d bytes long", prefix, name,
			   ATTR_VALUE_MAX);
		return -1;
	}
	if (strcmp(name, "RawMessageDelivery") == 0) {
		if (check_bool(value, why, sizeof(why)))
			goto bad_value;
	} else if (strcmp(name, "FilterPolicyScope") == 0) {
		if (check_filter_scope(value, why, sizeof(why)))
			goto bad_value;
		if (filter && sub_check_filter(filter, value, why, sizeof(why)))
			goto bad;
	} else if (strcmp(name, "FilterPolicy") == 0) {
		if (sub_check_filter(value, scope, why, sizeof(why)))
			goto bad;
	} else if (!*value) {
		return 0; /* clearing */
	} else if (strcmp(name, "RedrivePolicy") == 0) {
		if (sub_check_redrive(value, why, sizeof(why)))
			goto bad_value;
	} else if (d->check(value, why, sizeof(why))) {
		goto bad_value;
	}
	return 0;
bad_value:
	op_invalid(err, "%s%s: %s", prefix, name, why);
	return -1;
bad:
	op_invalid(err, "%s%s", prefix, why);
	return -1;
}

/* Load the subscription named by args.SubscriptionArn into rec. 0 or -1 with err. */
static int sub_load(struct op_ctx *ctx, json_t *args, const char **arn, struct store_rec *rec,
		    struct op_error *err)
{
	int rc;

	if (op_arg_str(args, "SubscriptionArn", true, arn, err) ||
	    arn_parse(ctx->conf, *arn, ARN_SUBSCRIPTION, "SubscriptionArn", NULL, err))
		return -1;
	rc = store_get(ctx->txn, *arn, rec);
	if (rc == 0 && rec->kind != STORE_SUBSCRIPTION)
		rc = -ENOENT;
	if (rc == -ENOENT) {
		op_not_found(err, "Subscription");
		return -1;
	}
	if (rc) {
		op_internal(err, "cannot read the subscription");
		return -1;
	}
	return 0;
}

/* Split a subscription's lookup "<protocol> <endpoint>" (protocol copied into proto). */
static const char *sub_endpoint(const struct store_rec *rec, char *proto, size_t n)
{
	const char *lookup = rec->lookup ? rec->lookup : "";
	const char *sp = strchr(lookup, ' ');

	snprintf(proto, n, "%.*s", sp ? (int)(sp - lookup) : (int)strlen(lookup), lookup);
	return sp ? sp + 1 : "";
}

json_t *op_Subscribe(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	struct store_rec topic = {0}, sub = {0}, old = {0}, ep = {0};
	const char *topic_arn, *protocol, *endpoint, *k, *scope, *filter;
	json_t *attrs_in, *attrs = NULL, *v, *result = NULL;
	char *lookup = NULL, *arn = NULL;
	char uuid[UTIL_UUID_LEN + 1];
	bool ret_arn, ret_present;
	int rc;

	if (op_arg_str(args, "TopicArn", true, &topic_arn, err) ||
	    arn_parse(ctx->conf, topic_arn, ARN_TOPIC, "TopicArn", NULL, err) ||
	    op_arg_str(args, "Protocol", true, &protocol, err) ||
	    op_arg_str(args, "Endpoint", false, &endpoint, err) ||
	    op_arg_map(args, "Attributes", false, &attrs_in, err) ||
	    op_arg_bool(args, "ReturnSubscriptionArn", &ret_arn, &ret_present, err) ||
	    topic_load(ctx, args, "TopicArn", &topic_arn, &topic, err))
		goto out;

	for (rc = 0; sns_protocols[rc] && strcmp(sns_protocols[rc], protocol); rc++)
		;
	if (!sns_protocols[rc]) {
		op_invalid(err, "Amazon SNS does not support this protocol string: %s", protocol);
		goto out;
	}
	if (strcmp(protocol, "application") != 0) {
		op_invalid(err,
			   "Protocol Reason: this broker does not deliver to protocol %s yet; "
			   "only application (platform endpoints) is supported",
			   protocol);
		goto out;
	}
	if (!endpoint || !*endpoint) {
		op_invalid(err, "Endpoint Reason: an application subscription needs the ARN of a "
				"platform endpoint");
		goto out;
	}
	if (arn_parse(ctx->conf, endpoint, ARN_ENDPOINT, "Endpoint", NULL, err))
		goto out;
	rc = store_get(ctx->txn, endpoint, &ep);
	if (rc == -ENOENT || (rc == 0 && ep.kind != STORE_ENDPOINT)) {
		op_invalid(err, "Endpoint Reason: No endpoint found for the target arn specified");
		goto out;
	} else if (rc) {
		op_internal(err, "cannot read the endpoint");
		goto out;
	}
	if (topic_is_fifo(&topic)) {
		op_invalid(err, "Endpoint Reason: Platform application endpoints can not be "
				"subscribed to FIFO topics");
		goto out;
	}

	scope = json_string_value(json_object_get(attrs_in, "FilterPolicyScope"));
	filter = json_string_value(json_object_get(attrs_in, "FilterPolicy"));
	attrs = json_object();
	if (!attrs)
		goto oom;
	json_object_foreach (attrs_in, k, v) {
		if (sub_attr_check(k, json_string_value(v), scope, filter, true, err))
			goto out;
		if (attr_store(attrs, attr_find(sub_attrs, k), k, json_string_value(v)))
			goto oom;
	}

	if (asprintf(&lookup, SUB_LOOKUP_APPLICATION "%s", endpoint) < 0) {
		lookup = NULL;
		goto oom;
	}
	rc = store_find(ctx->txn, STORE_SUBSCRIPTION, topic_arn, lookup, &old);
	if (rc == 0) {
		/* Subscribing the same endpoint again is idempotent unless attributes differ. */
		if (!json_subset(attrs, old.attrs)) {
			op_invalid(err, "Attributes Reason: Subscription already exists with "
					"different attributes");
			goto out;
		}
		result = json_pack("{s:s}", "SubscriptionArn", old.arn);
		goto done;
	}
	if (rc != -ENOENT) {
		op_internal(err, "cannot read subscriptions");
		goto out;
	}
	util_uuid4(uuid);
	arn = arn_subscription(topic_arn, uuid);
	if (!arn)
		goto oom;
	sub.arn = arn;
	sub.kind = STORE_SUBSCRIPTION;
	sub.parent = (char *)topic_arn;
	sub.lookup = lookup;
	sub.attrs = attrs;
	if (store_put(ctx->txn, &sub)) {
		op_internal(err, "cannot store the subscription");
		goto out;
	}
	/* Application subscriptions need no confirmation, so the ARN is always returned. */
	result = json_pack("{s:s}", "SubscriptionArn", arn);
done:
	if (result)
		goto out;
oom:
	op_internal(err, "out of memory");
out:
	store_rec_clear(&topic);
	store_rec_clear(&old);
	store_rec_clear(&ep);
	json_decref(attrs);
	free(lookup);
	free(arn);
	return result;
}

json_t *op_Unsubscribe(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	struct store_rec rec = {0};
	const char *arn;
	int rc;

	if (op_arg_str(args, "SubscriptionArn", false, &arn, err))
		return NULL;
	if (!arn || !*arn)
		return op_invalid(err, "SubscriptionArn Reason: no value for required parameter");
	if (arn_parse(ctx->conf, arn, ARN_SUBSCRIPTION, "SubscriptionArn", NULL, err))
		return NULL;
	rc = store_get(ctx->txn, arn, &rec);
	if (rc == 0 && rec.kind == STORE_SUBSCRIPTION)
		rc = store_delete(ctx->txn, arn);
	store_rec_clear(&rec);
	/* Unsubscribing what is already gone succeeds, as in SNS. */
	if (rc && rc != -ENOENT)
		return op_internal(err, "cannot delete the subscription");
	return json_object();
}

static json_t *sub_row(struct op_ctx *ctx, const struct store_rec *rec)
{
	char proto[32];
	const char *endpoint = sub_endpoint(rec, proto, sizeof(proto));

	return json_pack("{s:s,s:s,s:s,s:s,s:s}", "SubscriptionArn", rec->arn, "Owner",
			 ctx->conf->account, "Protocol", proto, "Endpoint", endpoint, "TopicArn",
			 rec->parent);
}

json_t *op_ListSubscriptions(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return list_page(ctx, args, STORE_SUBSCRIPTION, NULL, "Subscriptions", sub_row, err);
}

json_t *op_ListSubscriptionsByTopic(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	struct store_rec topic = {0};
	const char *arn;
	json_t *result = NULL;

	if (topic_load(ctx, args, "TopicArn", &arn, &topic, err) == 0)
		result = list_page(ctx, args, STORE_SUBSCRIPTION, arn, "Subscriptions", sub_row,
				   err);
	store_rec_clear(&topic);
	return result;
}

json_t *op_GetSubscriptionAttributes(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	struct store_rec rec = {0};
	const char *arn, *endpoint;
	json_t *attrs = NULL, *result = NULL;
	char proto[32];

	if (sub_load(ctx, args, &arn, &rec, err))
		goto out;
	endpoint = sub_endpoint(&rec, proto, sizeof(proto));
	attrs = json_deep_copy(rec.attrs);
	if (!attrs)
		goto oom;
	/* SNS shows the scope only alongside a filter policy. */
	if (!json_object_get(attrs, "FilterPolicy"))
		json_object_del(attrs, "FilterPolicyScope");
	else if (!json_object_get(attrs, "FilterPolicyScope") &&
		 json_object_set_new(attrs, "FilterPolicyScope", json_string("MessageAttributes")))
		goto oom;
	if (!json_object_get(attrs, "RawMessageDelivery") &&
	    json_object_set_new(attrs, "RawMessageDelivery", json_string("false")))
		goto oom;
	if (json_object_set_new(attrs, "SubscriptionArn", json_string(arn)) ||
	    json_object_set_new(attrs, "TopicArn", json_string(rec.parent)) ||
	    json_object_set_new(attrs, "Owner", json_string(ctx->conf->account)) ||
	    json_object_set_new(attrs, "Protocol", json_string(proto)) ||
	    json_object_set_new(attrs, "Endpoint", json_string(endpoint)) ||
	    json_object_set_new(attrs, "PendingConfirmation", json_string("false")) ||
	    json_object_set_new(attrs, "ConfirmationWasAuthenticated", json_string("true")) ||
	    json_object_set_new(attrs, "EffectiveDeliveryPolicy",
				effective_delivery_policy(sub_default_delivery_policy,
							  json_string_value(json_object_get(
								  rec.attrs, "DeliveryPolicy")))))
		goto oom;
	result = json_pack("{s:O}", "Attributes", attrs);
	if (result)
		goto out;
oom:
	op_internal(err, "out of memory");
out:
	json_decref(attrs);
	store_rec_clear(&rec);
	return result;
}

json_t *op_SetSubscriptionAttributes(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	struct store_rec rec = {0};
	const char *arn, *name, *value, *scope, *filter;
	json_t *result = NULL;

	if (sub_load(ctx, args, &arn, &rec, err) ||
	    op_arg_str(args, "AttributeName", true, &name, err) ||
	    op_arg_str(args, "AttributeValue", false, &value, err))
		goto out;
	if (!value)
		value = "";
	scope = json_string_value(json_object_get(rec.attrs, "FilterPolicyScope"));
	filter = json_string_value(json_object_get(rec.attrs, "FilterPolicy"));
	if (sub_attr_check(name, value, scope, filter, false, err))
		goto out;
	if (attr_store(rec.attrs, attr_find(sub_attrs, name), name, value)) {
		op_internal(err, "out of memory");
		goto out;
	}
	if (store_put(ctx->txn, &rec)) {
		op_internal(err, "cannot store the subscription");
		goto out;
	}
	result = json_object();
out:
	store_rec_clear(&rec);
	return result;
}
