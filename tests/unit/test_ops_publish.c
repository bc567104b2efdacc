/*
 * Publish and PublishBatch, and the message-attribute checks of msgattr.c:
 * every rule with SNS's exact code, status and message, the size limit at
 * and one byte over, and durability of what was accepted.
 *
 * Topics, applications and endpoints are written straight into the store
 * (records as ops_topic.c and ops_platform.c write them), so that these tests
 * depend only on the store.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "broker/arn.h"
#include "broker/msgattr.h"
#include "common/util.h"
#include "tests/unit/fixture.h"

#define LIMIT 262144

static struct fixture fx;
static char *topic;	 /* standard topic "orders" */
static char *fifo;	 /* FIFO topic "orders.fifo" without content-based deduplication */
static char *fifo_cbd;	 /* FIFO topic "cbd.fifo" with it */
static char *app;	 /* GCM application "shop" */
static char *endpoint;	 /* enabled GCM endpoint */
static char *off_ep;	 /* disabled GCM endpoint */
static char *off_app_ep; /* enabled endpoint of a disabled APNS application */
static json_t *effects;	 /* every effect the api reported */

/* ---- store access through jobs (the fixture's store is synchronous) ---- */

struct job {
	const struct store_rec *rec;
	const char *id;
	struct store_msg *msg;
	unsigned int count;
	int rc;
};

static void job_done(void *arg, int status)
{
	(void)arg;
	(void)status;
}

static int job_put(struct store_txn *txn, void *arg)
{
	struct job *j = arg;

	return j->rc = store_put(txn, j->rec);
}

static int job_msg_get(struct store_txn *txn, void *arg)
{
	struct job *j = arg;

	j->rc = store_msg_get(txn, j->id, j->msg);
	return 0;
}

static int job_count_cb(const struct store_msg *msg, void *arg)
{
	(void)msg;
	((struct job *)arg)->count++;
	return 0;
}

static int job_msg_count(struct store_txn *txn, void *arg)
{
	struct job *j = arg;

	j->rc = store_msg_list(txn, 0, 100000, job_count_cb, j);
	return 0;
}

static int put(const char *arn, enum store_kind kind, const char *parent, const char *lookup,
	       json_t *attrs)
{
	struct store_rec rec = {
		.arn = (char *)arn,
		.kind = kind,
		.parent = (char *)parent,
		.lookup = (char *)lookup,
		.attrs = attrs,
	};
	struct job j = {.rec = &rec, .rc = -1};

	if (store_submit(fx.store, job_put, job_done, &j) != 0)
		j.rc = -1;
	json_decref(attrs);
	return j.rc;
}

/* The stored message id, or rc < 0. */
static int msg_get(const char *id, struct store_msg *out)
{
	struct job j = {.id = id, .msg = out, .rc = -1};

	memset(out, 0, sizeof(*out));
	if (store_submit(fx.store, job_msg_get, job_done, &j) != 0)
		return -1;
	return j.rc;
}

static unsigned int msg_count(void)
{
	struct job j = {.rc = -1};

	CU_ASSERT_EQUAL(store_submit(fx.store, job_msg_count, job_done, &j), 0);
	CU_ASSERT_EQUAL(j.rc, 0);
	return j.count;
}

static char *make_endpoint(const char *platform, const char *app_name, const char *app_arn,
			   const char *token, const char *enabled)
{
	char uuid[UTIL_UUID_LEN + 1];
	char *arn;

	util_uuid4(uuid);
	arn = arn_endpoint(&fx.conf, platform, app_name, uuid);
	if (put(arn, STORE_ENDPOINT, app_arn, token,
		json_pack("{s:s, s:s}", "Enabled", enabled, "Token", token)) != 0) {
		free(arn);
		return NULL;
	}
	return arn;
}

static void on_effect(void *arg, json_t *effect)
{
	(void)arg;
	json_array_append(effects, effect);
}

static int suite_init(void)
{
	char *off_app;

	if (fx_setup(&fx) < 0)
		return -1;
	effects = json_array();
	api_set_effect_hook(fx.api, on_effect, NULL);
	topic = arn_topic(&fx.conf, "orders");
	fifo = arn_topic(&fx.conf, "orders.fifo");
	fifo_cbd = arn_topic(&fx.conf, "cbd.fifo");
	app = arn_app(&fx.conf, "GCM", "shop");
	off_app = arn_app(&fx.conf, "APNS", "closed");
	if (put(topic, STORE_TOPIC, "", NULL, json_object()) ||
	    put(fifo, STORE_TOPIC, "", NULL, json_pack("{s:s}", "FifoTopic", "true")) ||
	    put(fifo_cbd, STORE_TOPIC, "", NULL,
		json_pack("{s:s, s:s}", "FifoTopic", "true", "ContentBasedDeduplication",
			  "true")) ||
	    put(app, STORE_APP, "", NULL, json_pack("{s:s}", "Enabled", "true")) ||
	    put(off_app, STORE_APP, "", NULL, json_pack("{s:s}", "Enabled", "false")))
		return -1;
	endpoint = make_endpoint("GCM", "shop", app, "tok-1", "true");
	off_ep = make_endpoint("GCM", "shop", app, "tok-2", "false");
	off_app_ep = make_endpoint("APNS", "closed", off_app, "tok-3", "true");
	free(off_app);
	return endpoint && off_ep && off_app_ep ? 0 : -1;
}

static int suite_clean(void)
{
	fx_teardown(&fx);
	json_decref(effects);
	free(topic);
	free(fifo);
	free(fifo_cbd);
	free(app);
	free(endpoint);
	free(off_ep);
	free(off_app_ep);
	return 0;
}

/* ---- calling ---- */

/* Publish with args (reference taken); returns the MessageId (malloc'd) or NULL with err. */
static char *publish(json_t *args, struct op_error *err)
{
	json_t *r = fx_call(&fx, "Publish", err, "o", args);
	char *id = NULL;

	if (r) {
		const char *s = json_string_value(json_object_get(r, "MessageId"));

		CU_ASSERT_PTR_NOT_NULL(s);
		id = s ? strdup(s) : NULL;
		json_decref(r);
	}
	return id;
}

/* Publish must succeed; frees the id. */
static void expect_ok(json_t *args)
{
	struct op_error err;
	char *id = publish(args, &err);

	CU_ASSERT_PTR_NOT_NULL(id);
	if (!id)
		fprintf(stderr, "\n  unexpected %s %d \"%s\"\n", err.code, err.status, err.message);
	free(id);
}

/* Publish must fail with exactly this error and store nothing. */
static void expect_err(json_t *args, const char *code, int status, const char *message)
{
	struct op_error err;
	unsigned int before = msg_count();
	char *id = publish(args, &err);

	CU_ASSERT_PTR_NULL(id);
	free(id);
	FX_ASSERT_ERROR(err, code, status, message);
	CU_ASSERT_EQUAL(msg_count(), before);
}

/* A string of n bytes of c (caller frees). */
static char *fill(size_t n, char c)
{
	char *s = malloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* {"attr1": {"DataType": type, field: value}} (field NULL: no value) */
static json_t *attr1(const char *type, const char *field, const char *value)
{
	json_t *a = json_object();

	if (type)
		json_object_set_new(a, "DataType", json_string(type));
	if (field)
		json_object_set_new(a, field, json_string(value));
	return json_pack("{s:o}", "attr1", a);
}

static json_t *topic_msg_attrs(json_t *attrs)
{
	return json_pack("{s:s, s:s, s:o}", "TopicArn", topic, "Message", "test message",
			 "MessageAttributes", attrs);
}

/* ---- Publish: success and durability ---- */

static void test_topic_publish_durable(void)
{
	struct op_error err;
	struct store_msg msg;
	char *id;
	size_t n_effects = json_array_size(effects);
	json_t *e;

	id = publish(json_pack("{s:s, s:s, s:s, s:o}", "TopicArn", topic, "Message", "hello",
			       "Subject", "greeting", "MessageAttributes",
			       attr1("String", "StringValue", "v")),
		     &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(id);
	CU_ASSERT_EQUAL(strlen(id), UTIL_UUID_LEN);

	/* the delivery engine is told after the commit */
	CU_ASSERT_EQUAL_FATAL(json_array_size(effects), n_effects + 1);
	e = json_array_get(effects, n_effects);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "Type")), "Message");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "MessageId")), id);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "TargetArn")), topic);

	CU_ASSERT_EQUAL_FATAL(fx_reopen(&fx), 0);
	api_set_effect_hook(fx.api, on_effect, NULL);
	CU_ASSERT_EQUAL_FATAL(msg_get(id, &msg), 0);
	CU_ASSERT_STRING_EQUAL(msg.message_id, id);
	CU_ASSERT_STRING_EQUAL(msg.target_arn, topic);
	CU_ASSERT_EQUAL(msg.target_kind, STORE_TOPIC);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(msg.body, "Message")), "hello");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(msg.body, "Subject")), "greeting");
	CU_ASSERT_PTR_NULL(json_object_get(msg.body, "MessageStructure"));
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(
			json_object_get(json_object_get(msg.body, "MessageAttributes"), "attr1"),
			"StringValue")),
		"v");
	store_msg_clear(&msg);
	free(id);
}

static void test_endpoint_publish(void)
{
	struct op_error err;
	struct store_msg msg;
	char *id;

	id = publish(json_pack("{s:s, s:s}", "TargetArn", endpoint, "Message", "ping"), &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(id);
	CU_ASSERT_EQUAL_FATAL(msg_get(id, &msg), 0);
	CU_ASSERT_STRING_EQUAL(msg.target_arn, endpoint);
	CU_ASSERT_EQUAL(msg.target_kind, STORE_ENDPOINT);
	store_msg_clear(&msg);
	free(id);

	/* TargetArn may name a topic too */
	id = publish(json_pack("{s:s, s:s}", "TargetArn", topic, "Message", "ping"), &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(id);
	CU_ASSERT_EQUAL_FATAL(msg_get(id, &msg), 0);
	CU_ASSERT_EQUAL(msg.target_kind, STORE_TOPIC);
	store_msg_clear(&msg);
	free(id);
}

static void test_publisher_role_and_raw_bytes(void)
{
	struct op_error err;
	struct store_msg msg;
	json_t *r, *body;

	/* a publish-only caller may publish; a NUL inside Message is kept */
	r = fx_call_as(&fx, OP_ROLE_PUBLISH, "Publish", &err, "{s:s, s:s%}", "TopicArn", topic,
		       "Message", "a\0b", (size_t)3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL_FATAL(msg_get(json_string_value(json_object_get(r, "MessageId")), &msg), 0);
	body = json_object_get(msg.body, "Message");
	CU_ASSERT_EQUAL(json_string_length(body), 3);
	CU_ASSERT_EQUAL(memcmp(json_string_value(body), "a\0b", 3), 0);
	store_msg_clear(&msg);
	json_decref(r);

	expect_err(json_pack("{s:s, s:s, s:[s]}", "TopicArn", topic, "Message", "m",
			     "MessageAttributes", "x"),
		   "InvalidParameter", 400,
		   "Invalid parameter: MessageAttributes Reason: must be a map");
}

/* ---- Publish: where to ---- */

static void test_target_choice(void)
{
	expect_err(json_pack("{s:s}", "Message", "m"), "InvalidParameter", 400,
		   "Invalid parameter: TopicArn or TargetArn Reason: no value for required "
		   "parameter");
	expect_err(json_pack("{s:s, s:s, s:s}", "TopicArn", topic, "TargetArn", endpoint, "Message",
			     "m"),
		   "InvalidParameter", 400,
		   "Invalid parameter: TopicArn Reason: only one of TopicArn, TargetArn and "
		   "PhoneNumber may be specified");
	expect_err(json_pack("{s:s, s:s}", "PhoneNumber", "+15551234567", "Message", "m"),
		   "InvalidParameter", 400,
		   "Invalid parameter: PhoneNumber Reason: SMS is not supported by herald; publish "
		   "to a TopicArn or a TargetArn");
	expect_err(json_pack("{s:i, s:s}", "TopicArn", 5, "Message", "m"), "InvalidParameter", 400,
		   "Invalid parameter: TopicArn Reason: must be a string");
}

static void test_topic_arn_errors(void)
{
	expect_err(
		json_pack("{s:s, s:s}", "TopicArn", "not-an-arn", "Message", "m"),
		"InvalidParameter", 400,
		"Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1");
	expect_err(
		json_pack("{s:s, s:s}", "TopicArn", "arn:aws", "Message", "m"), "InvalidParameter",
		400,
		"Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 2");
	expect_err(
		json_pack("{s:s, s:s}", "TopicArn", "", "Message", "m"), "InvalidParameter", 400,
		"Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1");
	expect_err(json_pack("{s:s, s:s}", "TopicArn", "arn:aws:sns:eu-west-1:000000000000:orders",
			     "Message", "m"),
		   "InvalidParameter", 400, "Invalid parameter: TopicArn");
	expect_err(json_pack("{s:s, s:s}", "TopicArn", "arn:aws:sns:us-east-1:000000000000:nope",
			     "Message", "m"),
		   "NotFound", 404, "Topic does not exist");
	/* an endpoint is not a topic */
	expect_err(json_pack("{s:s, s:s}", "TopicArn", endpoint, "Message", "m"),
		   "InvalidParameter", 400, "Invalid parameter: TopicArn");
	expect_err(json_pack("{s:s, s:s}", "TargetArn", "arn:aws:sns:us-east-1:000000000000:nope",
			     "Message", "m"),
		   "NotFound", 404, "Topic does not exist");
}

static void test_endpoint_errors(void)
{
	char *gone = arn_endpoint(&fx.conf, "GCM", "shop", "00000000-0000-4000-8000-000000000000");

	expect_err(json_pack("{s:s, s:s}", "TargetArn", gone, "Message", "m"), "InvalidParameter",
		   400,
		   "Invalid parameter: TargetArn Reason: No endpoint found for the target arn "
		   "specified");
	expect_err(json_pack("{s:s, s:s}", "TargetArn", off_ep, "Message", "m"), "EndpointDisabled",
		   400, "Endpoint is disabled");
	expect_err(json_pack("{s:s, s:s}", "TargetArn", off_app_ep, "Message", "m"),
		   "PlatformApplicationDisabled", 400, "Platform application is disabled");
	expect_err(
		json_pack("{s:s, s:s}", "TargetArn",
			  "arn:aws:sns:us-east-1:000000000000:endpoint/GCM/shop", "Message", "m"),
		"InvalidParameter", 400,
		"Invalid parameter: TargetArn Reason: Wrong number of slashes in relative portion "
		"of the ARN.");
	free(gone);
}

/* ---- Publish: Message and Subject ---- */

static void test_message_and_subject(void)
{
	char *s100 = fill(100, 's'), *s101 = fill(101, 's');
	/* 100 characters of two bytes each */
	char u100[201];

	for (int i = 0; i < 100; i++)
		memcpy(u100 + 2 * i, "\xc3\xa9", 2);
	u100[200] = '\0';

	expect_err(json_pack("{s:s}", "TopicArn", topic), "ValidationError", 400,
		   "1 validation error detected: Value null at 'message' failed to satisfy "
		   "constraint: Member must not be null");
	expect_err(json_pack("{s:s, s:s}", "TopicArn", topic, "Message", ""), "InvalidParameter",
		   400, "Invalid parameter: Empty message");
	expect_err(json_pack("{s:s, s:s, s:s}", "TopicArn", topic, "Message", "m", "Subject", ""),
		   "InvalidParameter", 400, "Invalid parameter: Subject");
	expect_err(json_pack("{s:s, s:s, s:s}", "TopicArn", topic, "Message", "m", "Subject", s101),
		   "InvalidParameter", 400, "Invalid parameter: Subject");
	expect_err(json_pack("{s:s, s:s, s:s}", "TopicArn", topic, "Message", "m", "Subject",
			     "two\nlines"),
		   "InvalidParameter", 400, "Invalid parameter: Subject");
	expect_err(json_pack("{s:s, s:s, s:s}", "TopicArn", topic, "Message", "m", "Subject",
			     "bell\a"),
		   "InvalidParameter", 400, "Invalid parameter: Subject");
	expect_ok(json_pack("{s:s, s:s, s:s}", "TopicArn", topic, "Message", "m", "Subject", s100));
	expect_ok(json_pack("{s:s, s:s, s:s}", "TopicArn", topic, "Message", "m", "Subject", u100));
	free(s100);
	free(s101);
}

static void test_message_size(void)
{
	char *at = fill(LIMIT, 'x'), *over = fill(LIMIT + 1, 'x');
	/* attr1 + String + v = 12 bytes; Binary "AAAA" decodes to 3 bytes */
	char *at_a = fill(LIMIT - 12, 'x'), *over_a = fill(LIMIT - 11, 'x');
	char *at_b = fill(LIMIT - 14, 'x'), *over_b = fill(LIMIT - 13, 'x');

	expect_ok(json_pack("{s:s, s:s}", "TopicArn", topic, "Message", at));
	expect_err(json_pack("{s:s, s:s}", "TopicArn", topic, "Message", over), "InvalidParameter",
		   400, "Invalid parameter: Message too long");
	expect_ok(json_pack("{s:s, s:s, s:o}", "TopicArn", topic, "Message", at_a,
			    "MessageAttributes", attr1("String", "StringValue", "v")));
	expect_err(json_pack("{s:s, s:s, s:o}", "TopicArn", topic, "Message", over_a,
			     "MessageAttributes", attr1("String", "StringValue", "v")),
		   "InvalidParameter", 400, "Invalid parameter: Message too long");
	expect_ok(json_pack("{s:s, s:s, s:o}", "TopicArn", topic, "Message", at_b,
			    "MessageAttributes", attr1("Binary", "BinaryValue", "AAAA")));
	expect_err(json_pack("{s:s, s:s, s:o}", "TopicArn", topic, "Message", over_b,
			     "MessageAttributes", attr1("Binary", "BinaryValue", "AAAA")),
		   "InvalidParameter", 400, "Invalid parameter: Message too long");
	free(at);
	free(over);
	free(at_a);
	free(over_a);
	free(at_b);
	free(over_b);
}

static void test_message_structure(void)
{
	expect_err(json_pack("{s:s, s:s, s:s}", "TopicArn", topic, "Message", "{\"default\":\"d\"}",
			     "MessageStructure", "xml"),
		   "InvalidParameter", 400, "Invalid parameter: MessageStructure");
	expect_err(json_pack("{s:s, s:s, s:s}", "TopicArn", topic, "Message",
			     "{\"default\": ", "MessageStructure", "json"),
		   "InvalidParameter", 400,
		   "Invalid parameter: Message Structure - JSON message body failed to parse");
	expect_err(json_pack("{s:s, s:s, s:s}", "TopicArn", topic, "Message", "[\"default\"]",
			     "MessageStructure", "json"),
		   "InvalidParameter", 400,
		   "Invalid parameter: Message Structure - JSON message body failed to parse");
	expect_err(json_pack("{s:s, s:s, s:s}", "TopicArn", topic, "Message", "{\"GCM\":\"g\"}",
			     "MessageStructure", "json"),
		   "InvalidParameter", 400,
		   "Invalid parameter: Message Structure - No default entry in JSON message body");
	/* key-is-not-string */
	expect_err(json_pack("{s:s, s:s, s:s}", "TopicArn", topic, "Message",
			     "{\"default\":{\"a\":1}}", "MessageStructure", "json"),
		   "InvalidParameter", 400,
		   "Invalid parameter: Message Structure - No default entry in JSON message body");
	/* duplicate-json-keys are accepted; non-string platform keys ignored */
	expect_ok(json_pack("{s:s, s:s, s:s}", "TopicArn", topic, "Message",
			    "{\"default\":\"a\",\"default\":\"b\",\"GCM\":{\"x\":1}}",
			    "MessageStructure", "json"));
	/* an endpoint may do with its own platform's key */
	expect_ok(json_pack("{s:s, s:s, s:s}", "TargetArn", endpoint, "Message",
			    "{\"GCM\":\"{\\\"data\\\":{}}\"}", "MessageStructure", "json"));
	expect_err(json_pack("{s:s, s:s, s:s}", "TargetArn", endpoint, "Message",
			     "{\"APNS\":\"{}\"}", "MessageStructure", "json"),
		   "InvalidParameter", 400,
		   "Invalid parameter: Message Structure - No default entry in JSON message body");
}

/* ---- message attributes ---- */

static void test_attr_values(void)
{
	const char *non_empty_s = "The message attribute 'attr1' must contain non-empty message "
				  "attribute value for message attribute type 'String'.";

	expect_err(topic_msg_attrs(attr1("String", "StringValue", "")), "ParameterValueInvalid",
		   400, non_empty_s);
	expect_err(topic_msg_attrs(attr1("String", NULL, NULL)), "ParameterValueInvalid", 400,
		   non_empty_s);
	expect_err(topic_msg_attrs(attr1(NULL, "StringValue", "v")), "ValidationError", 400,
		   "1 validation error detected: Value null at "
		   "'messageAttributes.attr1.member.dataType' failed to satisfy constraint: Member "
		   "must not be null");
	expect_err(topic_msg_attrs(attr1("Binary", "BinaryValue", "")), "ParameterValueInvalid",
		   400,
		   "The message attribute 'attr1' must contain non-empty message attribute value "
		   "for message attribute type 'Binary'.");
	expect_err(topic_msg_attrs(attr1("String", "BinaryValue", "MTIz")), "ParameterValueInvalid",
		   400,
		   "The message attribute 'attr1' with type 'String' must use field 'String'.");
	expect_err(topic_msg_attrs(attr1("Number", "BinaryValue", "MTIz")), "ParameterValueInvalid",
		   400,
		   "The message attribute 'attr1' with type 'Number' must use field 'String'.");
	expect_err(topic_msg_attrs(attr1("Binary", "StringValue", "123")), "ParameterValueInvalid",
		   400,
		   "The message attribute 'attr1' with type 'Binary' must use field 'Binary'.");
	expect_err(topic_msg_attrs(attr1("Binary", "BinaryValue", "not base64!")),
		   "ParameterValueInvalid", 400,
		   "The message attribute 'attr1' has a BinaryValue that is not valid base64.");
	expect_err(topic_msg_attrs(attr1("Number", "StringValue", "12abc")),
		   "ParameterValueInvalid", 400,
		   "Could not cast message attribute 'attr1' value to number.");
	expect_err(topic_msg_attrs(attr1("Number", "StringValue", "nan")), "ParameterValueInvalid",
		   400, "Could not cast message attribute 'attr1' value to number.");
	expect_err(topic_msg_attrs(attr1("String", "StringValue", "bell\a")),
		   "ParameterValueInvalid", 400,
		   "Invalid attribute value was passed in for message attribute");
	expect_ok(topic_msg_attrs(attr1("Number", "StringValue", "3.015e2")));
	expect_ok(topic_msg_attrs(attr1("Number", "StringValue", "-1")));
	expect_ok(topic_msg_attrs(attr1("Number.float", "StringValue", ".5")));
	expect_ok(topic_msg_attrs(attr1("Binary", "BinaryValue", "MTIz")));
	expect_ok(topic_msg_attrs(attr1("String.Array", "StringValue", "[\"a\", 1, true]")));
	expect_ok(topic_msg_attrs(attr1("String", "StringValue", "tab\tand newline\n ok")));
}

static void test_attr_types(void)
{
	const char *bad_type = "The message attribute 'attr1' has an invalid message attribute "
			       "type, the set of supported type prefixes is Binary, Number, and "
			       "String.";

	expect_err(topic_msg_attrs(attr1("InvalidType", "StringValue", "123")),
		   "ParameterValueInvalid", 400, bad_type);
	expect_err(topic_msg_attrs(attr1("String.", "StringValue", "prefixed-1")),
		   "ParameterValueInvalid", 400, bad_type);
	expect_err(topic_msg_attrs(attr1("Stringprefixed", "StringValue", "prefixed-1")),
		   "ParameterValueInvalid", 400, bad_type);
	expect_ok(topic_msg_attrs(attr1("String.prefixed", "StringValue", "prefixed-1")));
	expect_ok(topic_msg_attrs(attr1("String.  prefixed.", "StringValue", "prefixed-1")));
	expect_err(topic_msg_attrs(json_pack("{s:s}", "attr1", "v")), "InvalidParameter", 400,
		   "Invalid parameter: MessageAttributes Reason: message attribute 'attr1' must be "
		   "a structure");
	expect_err(topic_msg_attrs(json_pack("{s:{s:i}}", "attr1", "DataType", 3)),
		   "InvalidParameter", 400,
		   "Invalid parameter: MessageAttributes Reason: DataType of message attribute "
		   "'attr1' must be a string");
}

static json_t *named(const char *name)
{
	return json_pack("{s:{s:s, s:s}}", name, "DataType", "String", "StringValue", "123");
}

static void test_attr_names(void)
{
	char *n256 = fill(256, 'a'), *n257 = fill(257, 'a');

	expect_ok(topic_msg_attrs(named(n256)));
	expect_err(topic_msg_attrs(named(n257)), "ParameterValueInvalid", 400,
		   "Length of message attribute name must be less than 256 bytes.");
	expect_err(
		topic_msg_attrs(named("a^*?")), "ParameterValueInvalid", 400,
		"Invalid non-alphanumeric character '#x5E' was found in the message attribute "
		"name. Can only include alphanumeric characters, hyphens, underscores, or dots.");
	expect_err(
		topic_msg_attrs(named("caf\xc3\xa9")), "ParameterValueInvalid", 400,
		"Invalid non-alphanumeric character '#xE9' was found in the message attribute "
		"name. Can only include alphanumeric characters, hyphens, underscores, or dots.");
	expect_err(topic_msg_attrs(named(".abc")), "ParameterValueInvalid", 400,
		   "Invalid message attribute name starting with character '.' was found.");
	expect_err(topic_msg_attrs(named("abc.")), "ParameterValueInvalid", 400,
		   "Invalid message attribute name ending with character '.' was found.");
	expect_err(topic_msg_attrs(named("a..bc")), "ParameterValueInvalid", 400,
		   "Message attribute name can not have successive '.' character.");
	expect_err(
		topic_msg_attrs(named("AWS.custom")), "ParameterValueInvalid", 400,
		"The message attribute name 'AWS.custom' is reserved: names starting with 'AWS.' "
		"or 'Amazon.' are for Amazon SNS's own attributes.");
	expect_err(topic_msg_attrs(named("amazon.x")), "ParameterValueInvalid", 400,
		   "The message attribute name 'amazon.x' is reserved: names starting with 'AWS.' "
		   "or 'Amazon.' are for Amazon SNS's own attributes.");
	expect_err(topic_msg_attrs(named("AWS.SNS.MOBILE.APNS.UNKNOWN")), "ParameterValueInvalid",
		   400,
		   "The message attribute name 'AWS.SNS.MOBILE.APNS.UNKNOWN' is reserved: names "
		   "starting with 'AWS.' or 'Amazon.' are for Amazon SNS's own attributes.");
	expect_ok(topic_msg_attrs(named("a-b_c.d9")));
	free(n256);
	free(n257);
}

static json_t *mobile(const char *name, const char *type, const char *value)
{
	return json_pack("{s:{s:s, s:s}}", name, "DataType", type, "StringValue", value);
}

static void test_attr_mobile_reserved(void)
{
	char *c64 = fill(64, 'c'), *c65 = fill(65, 'c');
	expect_ok(topic_msg_attrs(mobile("AWS.SNS.MOBILE.APNS.TTL", "String", "0")));
	expect_ok(topic_msg_attrs(mobile("AWS.SNS.MOBILE.FCM.TTL", "Number", "3600")));
	expect_ok(topic_msg_attrs(mobile("AWS.SNS.MOBILE.APNS.COLLAPSE_ID", "String", c64)));
	expect_ok(topic_msg_attrs(
		mobile("AWS.SNS.MOBILE.PREFERRED_AUTHENTICATION_METHOD", "String", "Token")));
	for (int i = 0; i < 3; i++) {
		const char *v[] = {"-1", "1.5", "99999999999"};

		expect_err(topic_msg_attrs(mobile("AWS.SNS.MOBILE.APNS.TTL", "String", v[i])),
			   "ParameterValueInvalid", 400,
			   "The message attribute 'AWS.SNS.MOBILE.APNS.TTL' must be a whole number "
			   "of seconds from 0 to 2147483647.");
	}
	expect_err(
		topic_msg_attrs(mobile("AWS.SNS.MOBILE.APNS.PRIORITY", "String", "7")),
		"ParameterValueInvalid", 400,
		"The message attribute 'AWS.SNS.MOBILE.APNS.PRIORITY' must be one of: 10, 5, 1.");
	expect_err(topic_msg_attrs(mobile("AWS.SNS.MOBILE.APNS.PUSH_TYPE", "String", "Alert")),
		   "ParameterValueInvalid", 400,
		   "The message attribute 'AWS.SNS.MOBILE.APNS.PUSH_TYPE' must be one of: alert, "
		   "background, location, voip, complication, fileprovider, mdm, liveactivity, "
		   "pushtotalk, widgets, controls.");
	expect_err(topic_msg_attrs(mobile("AWS.SNS.MOBILE.APNS.COLLAPSE_ID", "String", c65)),
		   "ParameterValueInvalid", 400,
		   "The message attribute 'AWS.SNS.MOBILE.APNS.COLLAPSE_ID' must be at most 64 "
		   "bytes.");
	expect_err(
		topic_msg_attrs(mobile("AWS.SNS.MOBILE.WNS.SuppressPopup", "String", "yes")),
		"ParameterValueInvalid", 400,
		"The message attribute 'AWS.SNS.MOBILE.WNS.SuppressPopup' must be true or false.");
	expect_err(topic_msg_attrs(mobile("AWS.SNS.MOBILE.WNS.Type", "String", "toast")),
		   "ParameterValueInvalid", 400,
		   "The message attribute 'AWS.SNS.MOBILE.WNS.Type' must be one of: wns/toast, "
		   "wns/tile, wns/badge, wns/raw.");
	expect_err(topic_msg_attrs(json_pack("{s:{s:s, s:s}}", "AWS.SNS.MOBILE.APNS.TTL",
					     "DataType", "Binary", "BinaryValue", "MTIz")),
		   "ParameterValueInvalid", 400,
		   "The message attribute 'AWS.SNS.MOBILE.APNS.TTL' must have type String or "
		   "Number.");
	free(c64);
	free(c65);
}

static void test_attr_mobile_typed(void)
{
	struct op_error err;
	struct msgattr_mobile m;
	size_t size = 0;
	json_t *attrs = json_pack(
		"{s:{s:s,s:s}, s:{s:s,s:s}, s:{s:s,s:s}, s:{s:s,s:s}, s:{s:s,s:s}, s:{s:s,s:s},"
		" s:{s:s,s:s}, s:{s:s,s:s}, s:{s:s,s:s}, s:{s:s,s:s}, s:{s:s,s:s}}",
		"AWS.SNS.MOBILE.APNS.TTL", "DataType", "String", "StringValue", "60",
		"AWS.SNS.MOBILE.GCM.TTL", "DataType", "Number", "StringValue", "120",
		"AWS.SNS.MOBILE.APNS.PRIORITY", "DataType", "String", "StringValue", "5",
		"AWS.SNS.MOBILE.APNS.PUSH_TYPE", "DataType", "String", "StringValue", "background",
		"AWS.SNS.MOBILE.APNS.TOPIC", "DataType", "String", "StringValue", "com.example.app",
		"AWS.SNS.MOBILE.BAIDU.DeployStatus", "DataType", "String", "StringValue", "2",
		"AWS.SNS.MOBILE.BAIDU.MessageType", "DataType", "String", "StringValue", "0",
		"AWS.SNS.MOBILE.MPNS.NotificationClass", "DataType", "String", "StringValue",
		"realtime", "AWS.SNS.MOBILE.WNS.SuppressPopup", "DataType", "String", "StringValue",
		"true", "AWS.SNS.MOBILE.WNS.Type", "DataType", "String", "StringValue", "wns/badge",
		"custom", "DataType", "String", "StringValue", "x");

	CU_ASSERT_EQUAL_FATAL(msgattr_validate(attrs, 0, &size, &err), 0);
	CU_ASSERT_EQUAL(msgattr_mobile_get(attrs, &m), 0);
	CU_ASSERT_EQUAL(m.ttl[MSGATTR_TTL_APNS], 60);
	CU_ASSERT_EQUAL(m.ttl[MSGATTR_TTL_GCM], 120);
	CU_ASSERT_EQUAL(m.ttl[MSGATTR_TTL_FCM], -1);
	CU_ASSERT_EQUAL(msgattr_mobile_ttl(&m, "APNS"), 60);
	CU_ASSERT_EQUAL(msgattr_mobile_ttl(&m, "APNS_SANDBOX"), -1);
	CU_ASSERT_EQUAL(msgattr_mobile_ttl(&m, "GCM"), 120);
	CU_ASSERT_EQUAL(m.apns_priority, 5);
	CU_ASSERT_STRING_EQUAL(m.apns_push_type, "background");
	CU_ASSERT_STRING_EQUAL(m.apns_topic, "com.example.app");
	CU_ASSERT_PTR_NULL(m.apns_collapse_id);
	CU_ASSERT_EQUAL(m.baidu_deploy_status, 2);
	CU_ASSERT_EQUAL(m.baidu_message_type, 0);
	CU_ASSERT_STRING_EQUAL(m.mpns_notification_class, "realtime");
	CU_ASSERT_EQUAL(m.wns_suppress_popup, 1);
	CU_ASSERT_STRING_EQUAL(m.wns_type, "wns/badge");
	CU_ASSERT_PTR_NULL(m.wns_tag);

	/* FCM's TTL wins over GCM's for a GCM endpoint */
	json_object_set_new(attrs, "AWS.SNS.MOBILE.FCM.TTL",
			    json_pack("{s:s,s:s}", "DataType", "String", "StringValue", "30"));
	CU_ASSERT_EQUAL(msgattr_mobile_get(attrs, &m), 0);
	CU_ASSERT_EQUAL(msgattr_mobile_ttl(&m, "GCM"), 30);

	/* nothing set */
	CU_ASSERT_EQUAL(msgattr_mobile_get(NULL, &m), 0);
	CU_ASSERT_EQUAL(m.apns_priority, -1);
	CU_ASSERT_EQUAL(msgattr_mobile_ttl(&m, "WNS"), -1);
	json_decref(attrs);
}

/* ---- FIFO-only parameters ---- */

static void test_fifo_parameters(void)
{
	struct op_error err;
	json_t *r;

	expect_err(json_pack("{s:s, s:s, s:s}", "TopicArn", topic, "Message", "m",
			     "MessageDeduplicationId", "d1"),
		   "InvalidParameter", 400,
		   "Invalid parameter: MessageDeduplicationId Reason: The request includes "
		   "MessageDeduplicationId parameter that is not valid for this topic type");
	/* standard topics take MessageGroupId (SQS fair queues), validated the same way */
	expect_ok(json_pack("{s:s, s:s, s:s}", "TopicArn", topic, "Message", "m", "MessageGroupId",
			    "g1"));
	expect_err(json_pack("{s:s, s:s, s:s}", "TopicArn", topic, "Message", "m", "MessageGroupId",
			     "has space"),
		   "InvalidParameter", 400,
		   "Invalid parameter: MessageGroupId Reason: MessageGroupId can only include "
		   "alphanumeric and punctuation characters. 1 to 128 in length.");
	expect_err(json_pack("{s:s, s:s}", "TopicArn", fifo, "Message", "m"), "InvalidParameter",
		   400,
		   "Invalid parameter: The MessageGroupId parameter is required for FIFO topics");
	expect_err(json_pack("{s:s, s:s, s:s}", "TopicArn", fifo, "Message", "m", "MessageGroupId",
			     "g1"),
		   "InvalidParameter", 400,
		   "Invalid parameter: The topic should either have ContentBasedDeduplication "
		   "enabled or MessageDeduplicationId provided explicitly");
	expect_ok(json_pack("{s:s, s:s, s:s}", "TopicArn", fifo_cbd, "Message", "m",
			    "MessageGroupId", "g1"));
	r = fx_call(&fx, "Publish", &err, "{s:s, s:s, s:s, s:s}", "TopicArn", fifo, "Message", "m",
		    "MessageGroupId", "g1", "MessageDeduplicationId", "d1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_TRUE(json_is_string(json_object_get(r, "SequenceNumber")));
	json_decref(r);
}

/* ---- PublishBatch ---- */

static json_t *entry(const char *id, const char *message)
{
	return json_pack("{s:s, s:s}", "Id", id, "Message", message);
}

static json_t *batch_of(size_t n)
{
	json_t *list = json_array();
	char id[32];

	for (size_t i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "id%zu", i);
		json_array_append_new(list, entry(id, "batch message"));
	}
	return list;
}

static json_t *batch(json_t *entries, struct op_error *err)
{
	return fx_call(&fx, "PublishBatch", err, "{s:s, s:o}", "TopicArn", topic,
		       "PublishBatchRequestEntries", entries);
}

static void batch_err(json_t *entries, const char *code, int status, const char *message)
{
	struct op_error err;
	unsigned int before = msg_count();
	json_t *r = batch(entries, &err);

	CU_ASSERT_PTR_NULL(r);
	json_decref(r);
	FX_ASSERT_ERROR(err, code, status, message);
	CU_ASSERT_EQUAL(msg_count(), before);
}

static void test_batch_ok(void)
{
	struct op_error err;
	struct store_msg msg;
	unsigned int before = msg_count();
	json_t *r = batch(batch_of(10), &err), *ok;
	const char *id;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	ok = json_object_get(r, "Successful");
	CU_ASSERT_EQUAL(json_array_size(ok), 10);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "Failed")), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(ok, 3), "Id")),
			       "id3");
	CU_ASSERT_EQUAL(msg_count(), before + 10);
	id = json_string_value(json_object_get(json_array_get(ok, 9), "MessageId"));
	CU_ASSERT_EQUAL_FATAL(msg_get(id, &msg), 0);
	CU_ASSERT_STRING_EQUAL(msg.target_arn, topic);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(msg.body, "Message")),
			       "batch message");
	store_msg_clear(&msg);
	json_decref(r);
}

static void test_batch_shape_errors(void)
{
	struct op_error err;
	json_t *r, *two = batch_of(2);
	char *id80 = fill(80, 'a'), *id81 = fill(81, 'a');

	batch_err(json_array(), "EmptyBatchRequest", 400,
		  "The batch request doesn't contain any entries.");
	batch_err(batch_of(11), "TooManyEntriesInBatchRequest", 400,
		  "The batch request contains more entries than permissible.");
	batch_err(json_pack("[o, o]", entry("same", "a"), entry("same", "b")),
		  "BatchEntryIdsNotDistinct", 400,
		  "Two or more batch entries in the request have the same Id.");
	batch_err(json_pack("[o]", entry("message.id", "a")), "InvalidBatchEntryId", 400,
		  "The Id of a batch entry in the batch request contains an impermissible "
		  "character: message.id");
	batch_err(json_pack("[o]", entry("msg@123#test", "a")), "InvalidBatchEntryId", 400,
		  "The Id of a batch entry in the batch request contains an impermissible "
		  "character: msg@123#test");
	batch_err(
		json_pack("[o]", entry(id81, "a")), "InvalidBatchEntryId", 400,
		"The Id of a batch entry in the batch request is too long: "
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	batch_err(
		json_pack("[o, {s:s}]", entry("a", "a"), "Message", "m"), "ValidationError", 400,
		"1 validation error detected: Value null at 'publishBatchRequestEntries.2.member.id' "
		"failed to satisfy constraint: Member must not be null");
	batch_err(json_pack("[o, {s:s}]", entry("a", "a"), "Id", "b"), "ValidationError", 400,
		  "1 validation error detected: Value null at "
		  "'publishBatchRequestEntries.2.member.message' failed to satisfy constraint: "
		  "Member must not be null");
	batch_err(json_pack("[o, s]", entry("a", "a"), "b"), "InvalidParameter", 400,
		  "Invalid parameter: PublishBatchRequestEntries Reason: entry 2 must be a "
		  "structure");
	batch_err(json_pack("[o, o]", entry("a", "a"), entry("b", "")), "InvalidParameter", 400,
		  "Invalid parameter: Empty message");

	r = batch(json_pack("[o]", entry(id80, "a")), &err);
	CU_ASSERT_PTR_NOT_NULL(r);
	json_decref(r);

	r = fx_call(&fx, "PublishBatch", &err, "{s:o}", "PublishBatchRequestEntries",
		    json_incref(two));
	CU_ASSERT_PTR_NULL(r);
	FX_ASSERT_ERROR(err, "ValidationError", 400,
			"1 validation error detected: Value null at 'topicArn' failed to satisfy "
			"constraint: Member must not be null");
	r = fx_call(&fx, "PublishBatch", &err, "{s:s, s:o}", "TopicArn",
		    "arn:aws:sns:us-east-1:000000000000:nope", "PublishBatchRequestEntries",
		    json_incref(two));
	CU_ASSERT_PTR_NULL(r);
	FX_ASSERT_ERROR(err, "NotFound", 404, "Topic does not exist");
	r = fx_call(&fx, "PublishBatch", &err, "{s:s, s:o}", "TopicArn",
		    "arn:aws:sns:eu-west-1:000000000000:orders", "PublishBatchRequestEntries",
		    json_incref(two));
	CU_ASSERT_PTR_NULL(r);
	FX_ASSERT_ERROR(err, "InvalidParameter", 400, "Invalid parameter: TopicArn");
	json_decref(two);
	free(id80);
	free(id81);
}

static void test_batch_entry_rules(void)
{
	batch_err(json_pack("[o, {s:s, s:s, s:o}]", entry("a", "a"), "Id", "b", "Message", "m",
			    "MessageAttributes", attr1(NULL, "StringValue", "v")),
		  "ValidationError", 400,
		  "1 validation error detected: Value null at "
		  "'publishBatchRequestEntries.2.member.messageAttributes.attr1.member.dataType' "
		  "failed to satisfy constraint: Member must not be null");
	batch_err(json_pack("[{s:s, s:s, s:o}, o]", "Id", "a", "Message", "m", "MessageAttributes",
			    attr1("String", "StringValue", ""), entry("b", "valid-batch")),
		  "ParameterValueInvalid", 400,
		  "The message attribute 'attr1' must contain non-empty message attribute value "
		  "for message attribute type 'String'.");
	batch_err(json_pack("[{s:s, s:s, s:s}]", "Id", "a", "Message", "{\"GCM\":\"x\"}",
			    "MessageStructure", "json"),
		  "InvalidParameter", 400,
		  "Invalid parameter: Message Structure - No default entry in JSON message body");
	batch_err(json_pack("[{s:s, s:s, s:s}]", "Id", "a", "Message", "m",
			    "MessageDeduplicationId", "d"),
		  "InvalidParameter", 400,
		  "Invalid parameter: MessageDeduplicationId Reason: The request includes "
		  "MessageDeduplicationId parameter that is not valid for this topic type");
}

static void test_batch_fifo(void)
{
	struct op_error err;
	json_t *r;

	r = fx_call(&fx, "PublishBatch", &err, "{s:s, s:[{s:s, s:s, s:s}, {s:s, s:s}]}", "TopicArn",
		    fifo_cbd, "PublishBatchRequestEntries", "Id", "a", "Message", "m",
		    "MessageGroupId", "g", "Id", "b", "Message", "m");
	CU_ASSERT_PTR_NULL(r);
	FX_ASSERT_ERROR(
		err, "InvalidParameter", 400,
		"Invalid parameter: The MessageGroupId parameter is required for FIFO topics");
	r = fx_call(&fx, "PublishBatch", &err, "{s:s, s:[{s:s, s:s, s:s}]}", "TopicArn", fifo,
		    "PublishBatchRequestEntries", "Id", "a", "Message", "m", "MessageGroupId", "g");
	CU_ASSERT_PTR_NULL(r);
	FX_ASSERT_ERROR(err, "InvalidParameter", 400,
			"Invalid parameter: The topic should either have ContentBasedDeduplication "
			"enabled or MessageDeduplicationId provided explicitly");
	r = fx_call(&fx, "PublishBatch", &err, "{s:s, s:[{s:s, s:s, s:s}]}", "TopicArn", fifo_cbd,
		    "PublishBatchRequestEntries", "Id", "a", "Message", "m", "MessageGroupId", "g");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_TRUE(json_is_string(json_object_get(
		json_array_get(json_object_get(r, "Successful"), 0), "SequenceNumber")));
	json_decref(r);
}

static void test_batch_size(void)
{
	struct op_error err;
	char *half = fill(LIMIT / 2, 'x'), *half1 = fill(LIMIT / 2 + 1, 'x');
	/* attr1 + String + v = 12 bytes */
	char *half_a = fill(LIMIT / 2 - 12, 'x'), *over = fill(LIMIT + 1, 'x');
	json_t *r;

	r = batch(json_pack("[o, o]", entry("a", half), entry("b", half)), &err);
	CU_ASSERT_PTR_NOT_NULL(r);
	json_decref(r);
	batch_err(json_pack("[o, o]", entry("a", half), entry("b", half1)), "BatchRequestTooLong",
		  400, "The length of all the messages put together is more than the limit.");
	r = batch(json_pack("[o, {s:s, s:s, s:o}]", entry("a", half), "Id", "b", "Message", half_a,
			    "MessageAttributes", attr1("String", "StringValue", "v")),
		  &err);
	CU_ASSERT_PTR_NOT_NULL(r);
	json_decref(r);
	batch_err(json_pack("[o, {s:s, s:s, s:o}]", entry("a", half1), "Id", "b", "Message", half_a,
			    "MessageAttributes", attr1("String", "StringValue", "v")),
		  "BatchRequestTooLong", 400,
		  "The length of all the messages put together is more than the limit.");
	/* a single entry over the limit is too long for the batch as well */
	batch_err(json_pack("[o]", entry("a", over)), "BatchRequestTooLong", 400,
		  "The length of all the messages put together is more than the limit.");
	free(half);
	free(half1);
	free(half_a);
	free(over);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"topic publish is stored durably", test_topic_publish_durable},
		{"endpoint publish; TargetArn naming a topic", test_endpoint_publish},
		{"publisher role; NUL kept in Message", test_publisher_role_and_raw_bytes},
		{"one of TopicArn, TargetArn, PhoneNumber", test_target_choice},
		{"topic ARN errors", test_topic_arn_errors},
		{"endpoint errors", test_endpoint_errors},
		{"message and subject", test_message_and_subject},
		{"message size with attributes", test_message_size},
		{"MessageStructure json", test_message_structure},
		{"attribute values", test_attr_values},
		{"attribute types", test_attr_types},
		{"attribute names", test_attr_names},
		{"reserved mobile attributes", test_attr_mobile_reserved},
		{"typed mobile attributes", test_attr_mobile_typed},
		{"FIFO-only parameters", test_fifo_parameters},
		{"batch success", test_batch_ok},
		{"batch shape errors", test_batch_shape_errors},
		{"batch entry rules", test_batch_entry_rules},
		{"batch FIFO", test_batch_fifo},
		{"batch aggregate size", test_batch_size},
		CU_TEST_INFO_NULL,
	};
	return fx_run_suite("ops_publish", suite_init, suite_clean, tests);
}
