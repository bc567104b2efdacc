/*
 * Topics and subscriptions through the api, as a front-end calls them: every
 * operation's result, SNS's recorded errors (reference/aws-recorded-errors.md)
 * verbatim, idempotency, pagination, deletion cascade and filter policies.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/filter_policy.h"
#include "tests/unit/fixture.h"

#define ACCT	     "000000000000"
#define TOPIC_PREFIX "arn:aws:sns:us-east-1:" ACCT ":"
#define JSON_LOC(col)                                                                         \
	"\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); " \
	"line: 1, column: " #col "]"

static struct fixture fx;

static void setup(void)
{
	CU_ASSERT_FATAL(fx_setup(&fx) == 0);
}

static void teardown(void)
{
	fx_teardown(&fx);
}

#define OK(op, ...) FX_OK(&fx, op, __VA_ARGS__)

#define FAILS(code, status, msg, op, ...) FX_FAILS(&fx, code, status, msg, op, __VA_ARGS__)

#define INVALID(msg, op, ...) FAILS("InvalidParameter", 400, msg, op, __VA_ARGS__)

static const char *str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "(missing)";
}

/* CreateTopic name; the ARN (malloc'd) or NULL. */
static char *topic(const char *name)
{
	json_t *r = OK("CreateTopic", "{s:s}", "Name", name);
	char *arn = r ? strdup(str(r, "TopicArn")) : NULL;

	json_decref(r);
	return arn;
}

static int put_job(struct store_txn *txn, void *arg)
{
	return store_put(txn, arg);
}

static void put_done(void *arg, int status)
{
	(void)arg;
	CU_ASSERT_EQUAL(status, 0);
}

/* A platform endpoint record, as ops_platform stores one; returns its ARN (malloc'd). */
static char *endpoint(int i)
{
	struct store_rec rec = {0};
	char *arn;

	if (asprintf(&arn, TOPIC_PREFIX "endpoint/GCM/app/00000000-0000-4000-8000-%012d", i) < 0)
		return NULL;
	rec.arn = arn;
	rec.kind = STORE_ENDPOINT;
	rec.parent = TOPIC_PREFIX "app/GCM/app";
	rec.lookup = arn + strlen(arn) - 12;
	rec.attrs = json_pack("{s:s,s:s}", "Enabled", "true", "Token", rec.lookup);
	CU_ASSERT_EQUAL(store_submit(fx.store, put_job, put_done, &rec), 0);
	json_decref(rec.attrs);
	return arn;
}

static char *subscribe(const char *topic_arn, const char *ep)
{
	json_t *r = OK("Subscribe", "{s:s,s:s,s:s}", "TopicArn", topic_arn, "Protocol",
		       "application", "Endpoint", ep);
	char *arn = r ? strdup(str(r, "SubscriptionArn")) : NULL;

	json_decref(r);
	return arn;
}

static json_t *topic_attrs(const char *arn)
{
	json_t *r = OK("GetTopicAttributes", "{s:s}", "TopicArn", arn);
	json_t *a = json_incref(json_object_get(r, "Attributes"));

	json_decref(r);
	return a;
}

static json_t *sub_attrs(const char *arn)
{
	json_t *r = OK("GetSubscriptionAttributes", "{s:s}", "SubscriptionArn", arn);
	json_t *a = json_incref(json_object_get(r, "Attributes"));

	json_decref(r);
	return a;
}

/* ---- topics ---- */

static void test_create_topic(void)
{
	char *a, *b;
	json_t *r;

	setup();
	a = topic("orders");
	CU_ASSERT_STRING_EQUAL(a, TOPIC_PREFIX "orders");
	b = topic("orders");
	CU_ASSERT_STRING_EQUAL(a, b);
	r = OK("ListTopics", NULL);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "Topics")), 1);
	CU_ASSERT_PTR_NULL(json_object_get(r, "NextToken"));
	json_decref(r);
	free(a);
	free(b);
	teardown();
}

static void test_topic_names(void)
{
	char name[300];
	json_t *r;

	setup();
	INVALID("Invalid parameter: Topic Name", "CreateTopic", "{s:s}", "Name", "");
	memset(name, 'a', 257);
	name[257] = '\0';
	INVALID("Invalid parameter: Topic Name", "CreateTopic", "{s:s}", "Name", name);
	name[256] = '\0';
	free(topic(name));
	INVALID("Invalid parameter: Topic Name", "CreateTopic", "{s:s}", "Name", "a.b");
	INVALID("Invalid parameter: Topic Name", "CreateTopic", "{s:s}", "Name", "a b");
	INVALID("Invalid parameter: Topic Name", "CreateTopic", "{s:s}", "Name", "a:b");
	INVALID("Invalid parameter: Topic Name", "CreateTopic", "{s:s}", "Name", "a/b");
	/* .fifo only for FIFO topics, and FIFO topics need it. */
	INVALID("Invalid parameter: Topic Name", "CreateTopic", "{s:s}", "Name", "t.fifo");
	INVALID("Invalid parameter: Topic Name", "CreateTopic", "{s:s,s:{s:s}}", "Name", "t",
		"Attributes", "FifoTopic", "true");
	r = OK("CreateTopic", "{s:s,s:{s:s}}", "Name", "t.fifo", "Attributes", "FifoTopic", "true");
	CU_ASSERT_STRING_EQUAL(str(r, "TopicArn"), TOPIC_PREFIX "t.fifo");
	json_decref(r);
	FAILS("ValidationError", 400,
	      "1 validation error detected: Value null at 'name' failed to satisfy constraint: "
	      "Member must not be null",
	      "CreateTopic", NULL);
	teardown();
}

static void test_create_topic_idempotency(void)
{
	json_t *r;

	setup();
	r = OK("CreateTopic", "{s:s,s:{s:s}}", "Name", "t", "Attributes", "DisplayName", "one");
	json_decref(r);
	INVALID("Invalid parameter: Attributes Reason: Topic already exists with different "
		"attributes",
		"CreateTopic", "{s:s,s:{s:s}}", "Name", "t", "Attributes", "DisplayName", "two");
	INVALID("Invalid parameter: Attributes Reason: Topic already exists with different "
		"attributes",
		"CreateTopic", "{s:s,s:{s:s,s:s}}", "Name", "t", "Attributes", "DisplayName", "one",
		"SignatureVersion", "2");
	/* The same attributes, or none, give the same topic. */
	r = OK("CreateTopic", "{s:s,s:{s:s}}", "Name", "t", "Attributes", "DisplayName", "one");
	CU_ASSERT_STRING_EQUAL(str(r, "TopicArn"), TOPIC_PREFIX "t");
	json_decref(r);
	free(topic("t"));
	/* FifoTopic=true on an existing standard name is a name error. */
	INVALID("Invalid parameter: Topic Name", "CreateTopic", "{s:s,s:{s:s}}", "Name", "t",
		"Attributes", "FifoTopic", "true");
	/* FifoTopic=false is the default and not kept. */
	free(topic("u"));
	json_decref(OK("CreateTopic", "{s:s,s:{s:s}}", "Name", "u", "Attributes", "FifoTopic",
		       "false"));
	teardown();
}

static void test_create_topic_tags(void)
{
	json_t *r;

	setup();
	json_decref(OK("CreateTopic", "{s:s,s:[{s:s,s:s}]}", "Name", "t", "Tags", "Key", "team",
		       "Value", "push"));
	json_decref(OK("CreateTopic", "{s:s,s:[{s:s,s:s}]}", "Name", "t", "Tags", "Key", "team",
		       "Value", "push"));
	INVALID("Invalid parameter: Tags Reason: Topic already exists with different tags",
		"CreateTopic", "{s:s,s:[{s:s,s:s},{s:s,s:s}]}", "Name", "t", "Tags", "Key", "team",
		"Value", "push", "Key", "env", "Value", "prod");
	INVALID("Invalid parameter: Duplicated keys are not allowed.", "CreateTopic",
		"{s:s,s:[{s:s,s:s},{s:s,s:s}]}", "Name", "u", "Tags", "Key", "k", "Value", "1",
		"Key", "k", "Value", "2");
	/* The failed create left nothing behind. */
	FAILS("NotFound", 404, "Topic does not exist", "GetTopicAttributes", "{s:s}", "TopicArn",
	      TOPIC_PREFIX "u");
	r = OK("ListTagsForResource", "{s:s}", "ResourceArn", TOPIC_PREFIX "t");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "Tags")), 1);
	CU_ASSERT_STRING_EQUAL(str(json_array_get(json_object_get(r, "Tags"), 0), "Key"), "team");
	CU_ASSERT_STRING_EQUAL(str(json_array_get(json_object_get(r, "Tags"), 0), "Value"), "push");
	json_decref(r);
	teardown();
}

static void test_get_topic_attributes(void)
{
	char *t, *ep1, *ep2, *s1, *s2;
	json_t *a;

	setup();
	t = topic("orders");
	a = topic_attrs(t);
	CU_ASSERT_STRING_EQUAL(str(a, "TopicArn"), t);
	CU_ASSERT_STRING_EQUAL(str(a, "Owner"), ACCT);
	CU_ASSERT_STRING_EQUAL(str(a, "DisplayName"), "");
	CU_ASSERT_STRING_EQUAL(str(a, "SubscriptionsConfirmed"), "0");
	CU_ASSERT_STRING_EQUAL(str(a, "SubscriptionsPending"), "0");
	CU_ASSERT_STRING_EQUAL(str(a, "SubscriptionsDeleted"), "0");
	CU_ASSERT_STRING_EQUAL(
		str(a, "Policy"),
		"{\"Version\":\"2008-10-17\",\"Id\":\"__default_policy_ID\",\"Statement\":[{\"Sid\":"
		"\"__default_statement_ID\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},"
		"\"Action\":[\"SNS:GetTopicAttributes\",\"SNS:SetTopicAttributes\","
		"\"SNS:AddPermission\",\"SNS:RemovePermission\",\"SNS:DeleteTopic\","
		"\"SNS:Subscribe\",\"SNS:ListSubscriptionsByTopic\",\"SNS:Publish\"],"
		"\"Resource\":\"arn:aws:sns:us-east-1:000000000000:orders\",\"Condition\":{"
		"\"StringEquals\":{\"AWS:SourceOwner\":\"000000000000\"}}}]}");
	CU_ASSERT_STRING_EQUAL(
		str(a, "EffectiveDeliveryPolicy"),
		"{\"http\":{\"defaultHealthyRetryPolicy\":{\"minDelayTarget\":20,\"maxDelayTarget\":"
		"20,\"numRetries\":3,\"numMaxDelayRetries\":0,\"numNoDelayRetries\":0,"
		"\"numMinDelayRetries\":0,\"backoffFunction\":\"linear\"},"
		"\"disableSubscriptionOverrides\":false,\"defaultRequestPolicy\":{"
		"\"headerContentType\":\"text/plain; charset=UTF-8\"}}}");
	CU_ASSERT_PTR_NULL(json_object_get(a, "FifoTopic"));
	json_decref(a);

	ep1 = endpoint(1);
	ep2 = endpoint(2);
	s1 = subscribe(t, ep1);
	s2 = subscribe(t, ep2);
	a = topic_attrs(t);
	CU_ASSERT_STRING_EQUAL(str(a, "SubscriptionsConfirmed"), "2");
	json_decref(a);

	json_decref(OK("CreateTopic", "{s:s,s:{s:s}}", "Name", "f.fifo", "Attributes", "FifoTopic",
		       "TRUE"));
	a = topic_attrs(TOPIC_PREFIX "f.fifo");
	CU_ASSERT_STRING_EQUAL(str(a, "FifoTopic"), "true");
	CU_ASSERT_STRING_EQUAL(str(a, "ContentBasedDeduplication"), "false");
	json_decref(a);
	free(t);
	free(ep1);
	free(ep2);
	free(s1);
	free(s2);
	teardown();
}

static void test_topic_arn_errors(void)
{
	setup();
	FAILS("NotFound", 404, "Topic does not exist", "GetTopicAttributes", "{s:s}", "TopicArn",
	      TOPIC_PREFIX "nope");
	INVALID("Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1",
		"GetTopicAttributes", "{s:s}", "TopicArn", "nope");
	INVALID("Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 5",
		"Subscribe", "{s:s,s:s,s:s}", "TopicArn", "arn:aws:sns:us-east-1:" ACCT, "Protocol",
		"application", "Endpoint", "x");
	INVALID("Invalid parameter: TopicArn", "GetTopicAttributes", "{s:s}", "TopicArn",
		"arn:aws:sns:eu-west-1:" ACCT ":t");
	INVALID("Invalid parameter: TopicArn", "SetTopicAttributes", "{s:s,s:s,s:s}", "TopicArn",
		"arn:aws:sns:eu-west-1:" ACCT ":t", "AttributeName", "DisplayName",
		"AttributeValue", "x");
	INVALID("Invalid parameter: TopicArn", "DeleteTopic", "{s:s}", "TopicArn",
		"arn:aws:sns:eu-west-1:" ACCT ":t");
	INVALID("Invalid parameter: TopicArn", "ListSubscriptionsByTopic", "{s:s}", "TopicArn",
		"arn:aws:sns:eu-west-1:" ACCT ":t");
	FAILS("NotFound", 404, "Topic does not exist", "Subscribe", "{s:s,s:s,s:s}", "TopicArn",
	      TOPIC_PREFIX "nope", "Protocol", "application", "Endpoint", "x");
	FAILS("NotFound", 404, "Topic does not exist", "ListSubscriptionsByTopic", "{s:s}",
	      "TopicArn", TOPIC_PREFIX "nope");
	FAILS("NotFound", 404, "Topic does not exist", "SetTopicAttributes", "{s:s,s:s}",
	      "TopicArn", TOPIC_PREFIX "nope", "AttributeName", "DisplayName");
	FAILS("ValidationError", 400,
	      "1 validation error detected: Value null at 'topicArn' failed to satisfy constraint: "
	      "Member must not be null",
	      "GetTopicAttributes", NULL);
	teardown();
}

static void test_set_topic_attributes(void)
{
	char *t;
	json_t *a;

	setup();
	t = topic("t");
	json_decref(OK("SetTopicAttributes", "{s:s,s:s,s:s}", "TopicArn", t, "AttributeName",
		       "DisplayName", "AttributeValue", "Orders"));
	json_decref(OK("SetTopicAttributes", "{s:s,s:s,s:s}", "TopicArn", t, "AttributeName",
		       "ApplicationSuccessFeedbackSampleRate", "AttributeValue", "50"));
	json_decref(OK("SetTopicAttributes", "{s:s,s:s,s:s}", "TopicArn", t, "AttributeName",
		       "DeliveryPolicy", "AttributeValue",
		       "{\"http\":{\"defaultHealthyRetryPolicy\":{\"numRetries\":5}}}"));
	a = topic_attrs(t);
	CU_ASSERT_STRING_EQUAL(str(a, "DisplayName"), "Orders");
	CU_ASSERT_STRING_EQUAL(str(a, "ApplicationSuccessFeedbackSampleRate"), "50");
	CU_ASSERT_STRING_EQUAL(str(a, "DeliveryPolicy"),
			       "{\"http\":{\"defaultHealthyRetryPolicy\":{\"numRetries\":5}}}");
	CU_ASSERT_PTR_NOT_NULL(strstr(str(a, "EffectiveDeliveryPolicy"), "\"numRetries\":5,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(str(a, "EffectiveDeliveryPolicy"), "\"minDelayTarget\":20"));
	json_decref(a);
	/* An empty value clears what can be cleared. */
	json_decref(OK("SetTopicAttributes", "{s:s,s:s,s:s}", "TopicArn", t, "AttributeName",
		       "DisplayName", "AttributeValue", ""));
	a = topic_attrs(t);
	CU_ASSERT_STRING_EQUAL(str(a, "DisplayName"), "");
	json_decref(a);

	INVALID("Invalid parameter: AttributeName", "SetTopicAttributes", "{s:s,s:s,s:s}",
		"TopicArn", t, "AttributeName", "FifoTopic", "AttributeValue", "false");
	INVALID("Invalid parameter: AttributeName", "SetTopicAttributes", "{s:s,s:s,s:s}",
		"TopicArn", t, "AttributeName", "Owner", "AttributeValue", "1");
	INVALID("Invalid parameter: AttributeName", "SetTopicAttributes", "{s:s,s:s,s:s}",
		"TopicArn", t, "AttributeName", "Bogus", "AttributeValue", "1");
	INVALID("Invalid parameter: SQSSuccessFeedbackSampleRate: Invalid value [101]. Must be an "
		"integer from 0 to 100.",
		"SetTopicAttributes", "{s:s,s:s,s:s}", "TopicArn", t, "AttributeName",
		"SQSSuccessFeedbackSampleRate", "AttributeValue", "101");
	INVALID("Invalid parameter: DeliveryPolicy: failed to parse JSON. Unexpected character ('i' "
		"(code 105)): was expecting double-quote to start field name" JSON_LOC(2),
		"SetTopicAttributes", "{s:s,s:s,s:s}", "TopicArn", t, "AttributeName",
		"DeliveryPolicy", "AttributeValue", "{invalid json}");
	INVALID("Invalid parameter: DeliveryPolicy: defaultHealthyRetryPolicy.backoffFunction must "
		"be linear, arithmetic, geometric or exponential",
		"SetTopicAttributes", "{s:s,s:s,s:s}", "TopicArn", t, "AttributeName",
		"DeliveryPolicy", "AttributeValue",
		"{\"http\":{\"defaultHealthyRetryPolicy\":{\"backoffFunction\":\"cubic\"}}}");
	INVALID("Invalid parameter: Policy: must be a JSON object", "SetTopicAttributes",
		"{s:s,s:s,s:s}", "TopicArn", t, "AttributeName", "Policy", "AttributeValue", "[]");
	INVALID("Invalid parameter: DisplayName: must be at most 100 characters long",
		"SetTopicAttributes", "{s:s,s:s,s:s}", "TopicArn", t, "AttributeName",
		"DisplayName", "AttributeValue",
		"12345678901234567890123456789012345678901234567890"
		"123456789012345678901234567890123456789012345678901");
	INVALID("Invalid parameter: ContentBasedDeduplication: only valid for FIFO topics",
		"SetTopicAttributes", "{s:s,s:s,s:s}", "TopicArn", t, "AttributeName",
		"ContentBasedDeduplication", "AttributeValue", "true");
	INVALID("Invalid parameter: Attributes Reason: AttributeName", "CreateTopic",
		"{s:s,s:{s:s}}", "Name", "v", "Attributes", "Bogus", "1");
	INVALID("Invalid parameter: Attributes Reason: TracingConfig: Invalid value [Sometimes]. "
		"Please use either PassThrough or Active",
		"CreateTopic", "{s:s,s:{s:s}}", "Name", "v", "Attributes", "TracingConfig",
		"Sometimes");
	INVALID("Invalid parameter: Attributes Reason: ContentBasedDeduplication: only valid for "
		"FIFO topics",
		"CreateTopic", "{s:s,s:{s:s}}", "Name", "v", "Attributes",
		"ContentBasedDeduplication", "true");
	free(t);
	teardown();
}

static void test_delete_topic(void)
{
	char *t, *u, *ep, *s1, *s2;
	json_t *r;

	setup();
	t = topic("t");
	u = topic("u");
	ep = endpoint(1);
	s1 = subscribe(t, ep);
	s2 = subscribe(u, ep);
	json_decref(OK("TagResource", "{s:s,s:[{s:s,s:s}]}", "ResourceArn", t, "Tags", "Key", "k",
		       "Value", "v"));
	r = OK("DeleteTopic", "{s:s}", "TopicArn", t);
	CU_ASSERT_EQUAL(json_object_size(r), 0);
	json_decref(r);
	/* Its subscriptions and tags went with it; the other topic's stayed. */
	FAILS("NotFound", 404, "Topic does not exist", "GetTopicAttributes", "{s:s}", "TopicArn",
	      t);
	FAILS("NotFound", 404, "Subscription does not exist", "GetSubscriptionAttributes", "{s:s}",
	      "SubscriptionArn", s1);
	FAILS("ResourceNotFound", 404, "Resource does not exist", "ListTagsForResource", "{s:s}",
	      "ResourceArn", t);
	r = OK("ListSubscriptions", NULL);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "Subscriptions")), 1);
	CU_ASSERT_STRING_EQUAL(
		str(json_array_get(json_object_get(r, "Subscriptions"), 0), "SubscriptionArn"), s2);
	json_decref(r);
	/* Idempotent. */
	json_decref(OK("DeleteTopic", "{s:s}", "TopicArn", t));
	r = OK("ListTopics", NULL);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "Topics")), 1);
	json_decref(r);
	free(t);
	free(u);
	free(ep);
	free(s1);
	free(s2);
	teardown();
}

/* Walk every page of a listing; returns the number of rows, checks page sizes. */
static size_t walk_pages(const char *op, const char *member, const char *topic_arn,
			 size_t expect_total)
{
	const char *token = NULL;
	char *tok = NULL;
	size_t total = 0, pages = 0;

	do {
		json_t *args = json_object(), *r;
		size_t n;

		if (topic_arn)
			json_object_set_new(args, "TopicArn", json_string(topic_arn));
		if (tok)
			json_object_set_new(args, "NextToken", json_string(tok));
		r = OK(op, "O", args);
		json_decref(args);
		if (!r)
			break;
		n = json_array_size(json_object_get(r, member));
		total += n;
		pages++;
		token = json_string_value(json_object_get(r, "NextToken"));
		/* Full pages of 100 until the last; no token after the last. */
		if (token)
			CU_ASSERT_EQUAL(n, 100);
		free(tok);
		tok = token ? strdup(token) : NULL;
		json_decref(r);
	} while (tok && pages < 10);
	free(tok);
	CU_ASSERT_EQUAL(total, expect_total);
	CU_ASSERT_EQUAL(pages, (expect_total + 99) / 100);
	return total;
}

static void test_list_topics_pages(void)
{
	char name[96];
	json_t *r;

	setup();
	for (int i = 0; i < 205; i++) {
		snprintf(name, sizeof(name), "t%03d", i);
		free(topic(name));
	}
	walk_pages("ListTopics", "Topics", NULL, 205);
	r = OK("ListTopics", NULL);
	CU_ASSERT_STRING_EQUAL(str(json_array_get(json_object_get(r, "Topics"), 0), "TopicArn"),
			       TOPIC_PREFIX "t000");
	CU_ASSERT_STRING_EQUAL(str(json_array_get(json_object_get(r, "Topics"), 99), "TopicArn"),
			       TOPIC_PREFIX "t099");
	json_decref(r);
	/* Exactly two full pages: no token after the second. */
	for (int i = 200; i < 205; i++) {
		snprintf(name, sizeof(name), TOPIC_PREFIX "t%03d", i);
		json_decref(OK("DeleteTopic", "{s:s}", "TopicArn", name));
	}
	walk_pages("ListTopics", "Topics", NULL, 200);
	INVALID("Invalid parameter: NextToken", "ListTopics", "{s:s}", "NextToken", "garbage");
	INVALID("Invalid parameter: NextToken", "ListSubscriptions", "{s:s}", "NextToken", "h1.x");
	teardown();
}

/* ---- subscriptions ---- */

static void test_subscribe(void)
{
	char *t, *ep, *s, *again;
	json_t *a, *r, *row;

	setup();
	t = topic("t");
	ep = endpoint(1);
	r = OK("Subscribe", "{s:s,s:s,s:s,s:b}", "TopicArn", t, "Protocol", "application",
	       "Endpoint", ep, "ReturnSubscriptionArn", 1);
	s = strdup(str(r, "SubscriptionArn"));
	json_decref(r);
	CU_ASSERT_EQUAL(strncmp(s, TOPIC_PREFIX "t:", strlen(TOPIC_PREFIX "t:")), 0);
	CU_ASSERT_EQUAL(strlen(s), strlen(TOPIC_PREFIX "t:") + 36);
	again = subscribe(t, ep);
	CU_ASSERT_STRING_EQUAL(s, again);
	free(again);

	a = sub_attrs(s);
	CU_ASSERT_STRING_EQUAL(str(a, "SubscriptionArn"), s);
	CU_ASSERT_STRING_EQUAL(str(a, "TopicArn"), t);
	CU_ASSERT_STRING_EQUAL(str(a, "Owner"), ACCT);
	CU_ASSERT_STRING_EQUAL(str(a, "Protocol"), "application");
	CU_ASSERT_STRING_EQUAL(str(a, "Endpoint"), ep);
	CU_ASSERT_STRING_EQUAL(str(a, "PendingConfirmation"), "false");
	CU_ASSERT_STRING_EQUAL(str(a, "ConfirmationWasAuthenticated"), "true");
	CU_ASSERT_STRING_EQUAL(str(a, "RawMessageDelivery"), "false");
	CU_ASSERT_STRING_EQUAL(
		str(a, "EffectiveDeliveryPolicy"),
		"{\"healthyRetryPolicy\":{\"minDelayTarget\":20,\"maxDelayTarget\":20,"
		"\"numRetries\":3,\"numMaxDelayRetries\":0,\"numNoDelayRetries\":0,"
		"\"numMinDelayRetries\":0,\"backoffFunction\":\"linear\"},\"sicklyRetryPolicy\":null,"
		"\"throttlePolicy\":null,\"guaranteed\":false}");
	CU_ASSERT_PTR_NULL(json_object_get(a, "FilterPolicy"));
	CU_ASSERT_PTR_NULL(json_object_get(a, "FilterPolicyScope"));
	json_decref(a);

	/* Same endpoint, different attributes: refused; same attributes: same ARN. */
	INVALID("Invalid parameter: Attributes Reason: Subscription already exists with different "
		"attributes",
		"Subscribe", "{s:s,s:s,s:s,s:{s:s}}", "TopicArn", t, "Protocol", "application",
		"Endpoint", ep, "Attributes", "RawMessageDelivery", "true");
	json_decref(OK("SetSubscriptionAttributes", "{s:s,s:s,s:s}", "SubscriptionArn", s,
		       "AttributeName", "RawMessageDelivery", "AttributeValue", "true"));
	r = OK("Subscribe", "{s:s,s:s,s:s,s:{s:s}}", "TopicArn", t, "Protocol", "application",
	       "Endpoint", ep, "Attributes", "RawMessageDelivery", "TRUE");
	CU_ASSERT_STRING_EQUAL(str(r, "SubscriptionArn"), s);
	json_decref(r);

	r = OK("ListSubscriptionsByTopic", "{s:s}", "TopicArn", t);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "Subscriptions")), 1);
	row = json_incref(json_array_get(json_object_get(r, "Subscriptions"), 0));
	CU_ASSERT_STRING_EQUAL(str(row, "SubscriptionArn"), s);
	CU_ASSERT_STRING_EQUAL(str(row, "Owner"), ACCT);
	CU_ASSERT_STRING_EQUAL(str(row, "Protocol"), "application");
	CU_ASSERT_STRING_EQUAL(str(row, "Endpoint"), ep);
	CU_ASSERT_STRING_EQUAL(str(row, "TopicArn"), t);
	CU_ASSERT_EQUAL(json_object_size(row), 5);
	CU_ASSERT_PTR_NULL(json_object_get(r, "NextToken"));
	json_decref(r);
	/* ListSubscriptions shows the same row. */
	r = OK("ListSubscriptions", NULL);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "Subscriptions")), 1);
	CU_ASSERT_TRUE(json_equal(json_array_get(json_object_get(r, "Subscriptions"), 0), row));
	json_decref(r);
	json_decref(row);
	free(t);
	free(ep);
	free(s);
	teardown();
}

static void test_subscribe_errors(void)
{
	char *t, *ep;

	setup();
	t = topic("t");
	ep = endpoint(1);
	INVALID("Invalid parameter: Amazon SNS does not support this protocol string: test-protocol",
		"Subscribe", "{s:s,s:s,s:s}", "TopicArn", t, "Protocol", "test-protocol",
		"Endpoint", "x");
	INVALID("Invalid parameter: Protocol Reason: this broker does not deliver to protocol https "
		"yet; only application (platform endpoints) is supported",
		"Subscribe", "{s:s,s:s,s:s}", "TopicArn", t, "Protocol", "https", "Endpoint",
		"https://example.com/");
	INVALID("Invalid parameter: Protocol Reason: this broker does not deliver to protocol sqs "
		"yet; only application (platform endpoints) is supported",
		"Subscribe", "{s:s,s:s,s:s}", "TopicArn", t, "Protocol", "sqs", "Endpoint",
		"arn:aws:sqs:us-east-1:" ACCT ":q");
	INVALID("Invalid parameter: Endpoint Reason: an application subscription needs the ARN of "
		"a platform endpoint",
		"Subscribe", "{s:s,s:s}", "TopicArn", t, "Protocol", "application");
	INVALID("Invalid parameter: Endpoint Reason: Wrong number of slashes in relative portion of "
		"the ARN.",
		"Subscribe", "{s:s,s:s,s:s}", "TopicArn", t, "Protocol", "application", "Endpoint",
		TOPIC_PREFIX "endpoint/GCM");
	INVALID("Invalid parameter: Endpoint Reason: No endpoint found for the target arn specified",
		"Subscribe", "{s:s,s:s,s:s}", "TopicArn", t, "Protocol", "application", "Endpoint",
		TOPIC_PREFIX "endpoint/GCM/app/nope");
	INVALID("Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value "
		"[wrongvalue]. Must be true or false.",
		"Subscribe", "{s:s,s:s,s:s,s:{s:s}}", "TopicArn", t, "Protocol", "application",
		"Endpoint", ep, "Attributes", "RawMessageDelivery", "wrongvalue");
	INVALID("Invalid parameter: Attributes Reason: FilterPolicy: failed to parse JSON. "
		"Unrecognized token 'invalid': was expecting (JSON String, Number, Array, Object or "
		"token 'null', 'true' or 'false')" JSON_LOC(8),
		"Subscribe", "{s:s,s:s,s:s,s:{s:s}}", "TopicArn", t, "Protocol", "application",
		"Endpoint", ep, "Attributes", "FilterPolicy", "invalid-filter-policy");
	INVALID("Invalid parameter: Attributes Reason: AttributeName", "Subscribe",
		"{s:s,s:s,s:s,s:{s:s}}", "TopicArn", t, "Protocol", "application", "Endpoint", ep,
		"Attributes", "ReplayPolicy", "{}");
	INVALID("Invalid parameter: Attributes Reason: Filter policy scope MessageAttributes does "
		"not support nested filter policy",
		"Subscribe", "{s:s,s:s,s:s,s:{s:s}}", "TopicArn", t, "Protocol", "application",
		"Endpoint", ep, "Attributes", "FilterPolicy", "{\"a\":{\"b\":[\"c\"]}}");
	INVALID("Invalid parameter: ReturnSubscriptionArn Reason: must be true or false",
		"Subscribe", "{s:s,s:s,s:s,s:s}", "TopicArn", t, "Protocol", "application",
		"Endpoint", ep, "ReturnSubscriptionArn", "maybe");
	/* Nothing was subscribed by the failures. */
	{
		json_t *r = OK("ListSubscriptions", NULL);

		CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "Subscriptions")), 0);
		json_decref(r);
	}
	json_decref(OK("CreateTopic", "{s:s,s:{s:s}}", "Name", "f.fifo", "Attributes", "FifoTopic",
		       "true"));
	INVALID("Invalid parameter: Endpoint Reason: Platform application endpoints can not be "
		"subscribed to FIFO topics",
		"Subscribe", "{s:s,s:s,s:s}", "TopicArn", TOPIC_PREFIX "f.fifo", "Protocol",
		"application", "Endpoint", ep);
	free(t);
	free(ep);
	teardown();
}

static void test_subscription_attributes(void)
{
	char *t, *ep, *s;
	json_t *a;

	setup();
	t = topic("t");
	ep = endpoint(1);
	s = subscribe(t, ep);

#define SET_OK(name, value)                                                                \
	json_decref(OK("SetSubscriptionAttributes", "{s:s,s:s,s:s}", "SubscriptionArn", s, \
		       "AttributeName", name, "AttributeValue", value))
#define SET_BAD(msg, name, value)                                                        \
	INVALID(msg, "SetSubscriptionAttributes", "{s:s,s:s,s:s}", "SubscriptionArn", s, \
		"AttributeName", name, "AttributeValue", value)

	SET_OK("RawMessageDelivery", "TRUE");
	SET_OK("FilterPolicy", "{\"store\": [\"example_corp\"], \"event\": [\"order_placed\"]}");
	SET_OK("DeliveryPolicy", "{\"healthyRetryPolicy\":{\"numRetries\":5}}");
	SET_OK("RedrivePolicy", "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:" ACCT ":dlq\"}");
	a = sub_attrs(s);
	CU_ASSERT_STRING_EQUAL(str(a, "RawMessageDelivery"), "true");
	CU_ASSERT_STRING_EQUAL(str(a, "FilterPolicy"),
			       "{\"store\": [\"example_corp\"], \"event\": [\"order_placed\"]}");
	CU_ASSERT_STRING_EQUAL(str(a, "FilterPolicyScope"), "MessageAttributes");
	CU_ASSERT_STRING_EQUAL(str(a, "DeliveryPolicy"),
			       "{\"healthyRetryPolicy\":{\"numRetries\":5}}");
	CU_ASSERT_PTR_NOT_NULL(strstr(str(a, "EffectiveDeliveryPolicy"), "\"numRetries\":5,"));
	CU_ASSERT_STRING_EQUAL(str(a, "RedrivePolicy"),
			       "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:" ACCT ":dlq\"}");
	json_decref(a);

	SET_BAD("Invalid parameter: AttributeName", "FakeAttribute", "v");
	SET_BAD("Invalid parameter: RawMessageDelivery: Invalid value [test-ValUe]. Must be true or "
		"false.",
		"RawMessageDelivery", "test-ValUe");
	SET_BAD("Invalid parameter: RawMessageDelivery: Invalid value []. Must be true or false.",
		"RawMessageDelivery", "");
	SET_BAD("Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn",
		"RedrivePolicy", "{\"deadLetterTargetArn\": \"fake-arn\"}");
	SET_BAD("Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn",
		"RedrivePolicy", "{\"deadLetterTargetArn\": \"" TOPIC_PREFIX "t\"}");
	SET_BAD("Invalid parameter: RedrivePolicy: failed to parse JSON. Unexpected character ('i' "
		"(code 105)): was expecting double-quote to start field name" JSON_LOC(2),
		"RedrivePolicy", "{invalid json}");
	SET_BAD("Invalid parameter: FilterPolicy: failed to parse JSON. Unexpected character ('i' "
		"(code 105)): was expecting double-quote to start field name" JSON_LOC(2),
		"FilterPolicy", "{invalid json}");
	SET_BAD("Invalid parameter: FilterPolicyScope: Invalid value [Body]. Please use either "
		"MessageBody or MessageAttributes",
		"FilterPolicyScope", "Body");
	SET_BAD("Invalid parameter: Filter policy scope MessageAttributes does not support nested "
		"filter policy",
		"FilterPolicy", "{\"a\":{\"b\":[1]}}");
	SET_BAD("Invalid parameter: DeliveryPolicy: healthyRetryPolicy.numRetries must be at most "
		"100",
		"DeliveryPolicy", "{\"healthyRetryPolicy\":{\"numRetries\":101}}");
	/* Payload filtering accepts nesting; going back to attributes then is refused. */
	SET_OK("FilterPolicyScope", "MessageBody");
	SET_OK("FilterPolicy", "{\"a\":{\"b\":[1]}}");
	SET_BAD("Invalid parameter: Filter policy scope MessageAttributes does not support nested "
		"filter policy",
		"FilterPolicyScope", "MessageAttributes");
	a = sub_attrs(s);
	CU_ASSERT_STRING_EQUAL(str(a, "FilterPolicyScope"), "MessageBody");
	json_decref(a);
	/* Clearing the filter policy hides the scope, as SNS does. */
	SET_OK("FilterPolicy", "");
	a = sub_attrs(s);
	CU_ASSERT_PTR_NULL(json_object_get(a, "FilterPolicy"));
	CU_ASSERT_PTR_NULL(json_object_get(a, "FilterPolicyScope"));
	json_decref(a);

	FAILS("NotFound", 404, "Subscription does not exist", "GetSubscriptionAttributes", "{s:s}",
	      "SubscriptionArn", TOPIC_PREFIX "t:00000000-0000-4000-8000-000000000000");
	FAILS("NotFound", 404, "Subscription does not exist", "SetSubscriptionAttributes",
	      "{s:s,s:s,s:s}", "SubscriptionArn",
	      TOPIC_PREFIX "t:00000000-0000-4000-8000-000000000000", "AttributeName",
	      "RawMessageDelivery", "AttributeValue", "true");
	INVALID("Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, "
		"not 1",
		"GetSubscriptionAttributes", "{s:s}", "SubscriptionArn", "nope");
#undef SET_OK
#undef SET_BAD
	free(t);
	free(ep);
	free(s);
	teardown();
}

static void test_unsubscribe(void)
{
	char *t, *ep, *s;
	json_t *a;

	setup();
	t = topic("t");
	ep = endpoint(1);
	s = subscribe(t, ep);
	INVALID("Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, "
		"not 1",
		"Unsubscribe", "{s:s}", "SubscriptionArn", "randomstring");
	INVALID("Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, "
		"not 5",
		"Unsubscribe", "{s:s}", "SubscriptionArn", "arn:aws:sns:us-east-1:" ACCT);
	INVALID("Invalid parameter: SubscriptionId", "Unsubscribe", "{s:s}", "SubscriptionArn", t);
	INVALID("Invalid parameter: SubscriptionArn Reason: no value for required parameter",
		"Unsubscribe", "{s:s}", "SubscriptionArn", "");
	INVALID("Invalid parameter: SubscriptionArn Reason: no value for required parameter",
		"Unsubscribe", NULL);
	json_decref(OK("Unsubscribe", "{s:s}", "SubscriptionArn", s));
	FAILS("NotFound", 404, "Subscription does not exist", "GetSubscriptionAttributes", "{s:s}",
	      "SubscriptionArn", s);
	/* Unsubscribing again succeeds. */
	json_decref(OK("Unsubscribe", "{s:s}", "SubscriptionArn", s));
	a = topic_attrs(t);
	CU_ASSERT_STRING_EQUAL(str(a, "SubscriptionsConfirmed"), "0");
	json_decref(a);
	free(t);
	free(ep);
	free(s);
	teardown();
}

static void test_list_subscriptions_pages(void)
{
	char *t, *u, *ep;
	json_t *r;

	setup();
	t = topic("t");
	u = topic("u");
	for (int i = 0; i < 150; i++) {
		ep = endpoint(i);
		free(subscribe(t, ep));
		free(ep);
	}
	ep = endpoint(1000);
	free(subscribe(u, ep));
	free(ep);
	walk_pages("ListSubscriptionsByTopic", "Subscriptions", t, 150);
	walk_pages("ListSubscriptionsByTopic", "Subscriptions", u, 1);
	walk_pages("ListSubscriptions", "Subscriptions", NULL, 151);
	INVALID("Invalid parameter: NextToken", "ListSubscriptionsByTopic", "{s:s,s:s}", "TopicArn",
		t, "NextToken", "not-a-token");
	r = OK("GetTopicAttributes", "{s:s}", "TopicArn", t);
	CU_ASSERT_STRING_EQUAL(str(json_object_get(r, "Attributes"), "SubscriptionsConfirmed"),
			       "150");
	json_decref(r);
	free(t);
	free(u);
	teardown();
}

/* ---- filter policies, directly ---- */

static int fp(const char *text, bool body, char *why, size_t n)
{
	json_t *p = filter_policy_parse_json(text, why, n);
	int rc;

	if (!p)
		return -2;
	rc = filter_policy_check(p, body, why, n);
	json_decref(p);
	return rc;
}

static void fp_good(const char *text, bool body)
{
	char why[1024] = "";

	if (fp(text, body, why, sizeof(why)) != 0)
		fprintf(stderr, "\n  refused %s: %s\n", text, why);
	CU_ASSERT_EQUAL(fp(text, body, why, sizeof(why)), 0);
}

static void fp_bad(const char *text, bool body, const char *msg)
{
	char why[1024] = "";

	CU_ASSERT_NOT_EQUAL(fp(text, body, why, sizeof(why)), 0);
	CU_ASSERT_STRING_EQUAL(why, msg);
	if (strcmp(why, msg))
		fprintf(stderr, "\n  %s\n  got \"%s\"\n", text, why);
}

static void test_filter_policy_good(void)
{
	fp_good("{}", false);
	fp_good("{\"customer_interests\": [\"rugby\", \"tennis\"]}", false);
	fp_good("{\"customer_interests\": [{\"prefix\": \"bas\"}]}", false);
	fp_good("{\"customer_interests\": [{\"suffix\": \"ball\"}]}", false);
	fp_good("{\"customer_interests\": [{\"equals-ignore-case\": \"RUGBY\"}]}", false);
	fp_good("{\"customer_interests\": [{\"anything-but\": [\"rugby\", \"tennis\"]}]}", false);
	fp_good("{\"event\":[{\"anything-but\": {\"prefix\": \"order-\"}}]}", false);
	fp_good("{\"price\": [{\"anything-but\": [100, 500]}]}", false);
	fp_good("{\"source_ip\":[{\"cidr\": \"10.0.0.0/24\"}]}", false);
	fp_good("{\"source_ip\":[{\"cidr\": \"2001:db8::/32\"}]}", false);
	fp_good("{\"price_usd\": [{\"numeric\": [\"=\",301.5]}]}", false);
	fp_good("{\"price_usd\": [{\"numeric\": [\">\", 0, \"<=\", 150]}]}", false);
	fp_good("{\"store\": [{\"exists\": true}], \"x\": [null, true, 1, \"s\"]}", false);
	fp_good("{\"a\":[\"1\"],\"b\":[\"1\"],\"c\":[\"1\"],\"d\":[\"1\"],\"e\":[\"1\"]}", false);
	/* The constraints page's nested example: 3 x 4 x 2 x 3 = 72. */
	fp_good("{\"key_a\": {\"key_b\": {\"key_c\": [\"v1\", \"v2\", \"v3\", \"v4\"]}}, "
		"\"key_d\": {\"key_e\": [\"v1\", \"v2\", \"v3\"]}}",
		true);
	fp_good("{\"$or\": [{\"a\": [\"1\"]}, {\"b\": [\"2\"]}], \"c\": [\"3\"]}", false);
	/* 150 combinations is the limit, not over it. */
	fp_good("{\"a\":[1,2,3,4,5,6,7,8,9,10],\"b\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]}",
		false);
}

static void test_filter_policy_bad(void)
{
	fp_bad("{\"a\":[\"1\"],\"b\":[\"1\"],\"c\":[\"1\"],\"d\":[\"1\"],\"e\":[\"1\"],\"f\":[\"1\"]}",
	       false, "FilterPolicy: Filter policy can not have more than 5 keys");
	fp_bad("{\"a\":[1,2,3,4,5,6,7,8,9,10],\"b\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}",
	       false, "FilterPolicy: Filter policy is too complex");
	fp_bad("{\"a\": []}", false, "FilterPolicy: Empty arrays are not allowed");
	fp_bad("{\"a\": \"b\"}", false, "FilterPolicy: \"a\" must be an object or an array");
	fp_bad("{\"a\": {\"b\": [1]}}", false,
	       "Filter policy scope MessageAttributes does not support nested filter policy");
	fp_bad("[1]", false, "FilterPolicy: Filter policy must be a JSON object");
	fp_bad("{\"a\": [[1]]}", false,
	       "FilterPolicy: Match value must be String, number, true, false, or null");
	fp_bad("{\"a\": [{\"prefix\": \"x\", \"suffix\": \"y\"}]}", false,
	       "FilterPolicy: Only one key allowed in match expression");
	fp_bad("{\"a\": [{\"prefix\": 1}]}", false,
	       "FilterPolicy: prefix match pattern must be a string");
	fp_bad("{\"a\": [{\"wildcard\": \"x*\"}]}", false,
	       "FilterPolicy: Unrecognized match type wildcard");
	fp_bad("{\"a\": [{\"exists\": \"yes\"}]}", false,
	       "FilterPolicy: exists match pattern must be either true or false.");
	fp_bad("{\"a\": [{\"anything-but\": {\"suffix\": \"x\"}}]}", false,
	       "FilterPolicy: Unsupported anything-but pattern: suffix");
	fp_bad("{\"a\": [{\"numeric\": []}]}", false,
	       "FilterPolicy: Invalid member in numeric match: ]");
	fp_bad("{\"a\": [{\"numeric\": [\"!=\", 1]}]}", false,
	       "FilterPolicy: Unrecognized numeric range operator: !=");
	fp_bad("{\"a\": [{\"numeric\": [\"=\", \"1\"]}]}", false,
	       "FilterPolicy: Value of equals must be numeric");
	fp_bad("{\"a\": [{\"numeric\": [\"<\", 1, \">\", 0]}]}", false,
	       "FilterPolicy: Too many elements in numeric expression");
	fp_bad("{\"a\": [{\"numeric\": [\">\", 10, \"<\", 5]}]}", false,
	       "FilterPolicy: Bottom must be less than top");
	fp_bad("{\"a\": [{\"numeric\": [\">\", 0, \">\", 5]}]}", false,
	       "FilterPolicy: Bad numeric range operator: >");
	fp_bad("{\"a\": [{\"cidr\": \"10.0.0.0\"}]}", false,
	       "FilterPolicy: Malformed CIDR, one '/' required");
	fp_bad("{\"a\": [{\"cidr\": \"10.0.0.0/x\"}]}", false,
	       "FilterPolicy: Malformed CIDR, mask bits must be an integer");
	fp_bad("{\"a\": [{\"cidr\": \"10.0.0.300/24\"}]}", false,
	       "FilterPolicy: Nonstandard IP address: 10.0.0.300");
}

static void test_json_errors(void)
{
	char why[1024];
	char *deep;
	json_t *v;

	CU_ASSERT_PTR_NULL(filter_policy_parse_json("{\"a\": [1,}", why, sizeof(why)));
	CU_ASSERT_STRING_EQUAL(why, "failed to parse JSON. Unexpected character ('}' (code 125)): "
				    "expected a valid value (JSON String, Number, Array, Object or "
				    "token 'null', 'true' or 'false')" JSON_LOC(10));
	CU_ASSERT_PTR_NULL(filter_policy_parse_json("{\"a\" 1}", why, sizeof(why)));
	CU_ASSERT_STRING_EQUAL(
		why, "failed to parse JSON. Unexpected character ('1' (code 49)): "
		     "was expecting a colon to separate field name and value" JSON_LOC(6));
	CU_ASSERT_PTR_NULL(filter_policy_parse_json("", why, sizeof(why)));
	CU_ASSERT_STRING_EQUAL(why, "failed to parse JSON. No content to map due to end-of-input");
	CU_ASSERT_PTR_NULL(filter_policy_parse_json("{\"a\": [1]", why, sizeof(why)));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(why, "Unexpected end-of-input: expected close marker for Object"));
	/* Hostile nesting is refused, not recursed into. */
	deep = malloc(20001);
	memset(deep, '[', 20000);
	deep[20000] = '\0';
	CU_ASSERT_PTR_NULL(filter_policy_parse_json(deep, why, sizeof(why)));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(why, "Document nesting depth (1001) exceeds the maximum allowed"));
	free(deep);
	v = filter_policy_parse_json(" {\"a\": [\"\\u00e9\", -1.5e3, true, null]} ", why,
				     sizeof(why));
	CU_ASSERT_PTR_NOT_NULL(v);
	json_decref(v);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"create topic", test_create_topic},
		{"topic names", test_topic_names},
		{"create topic idempotency", test_create_topic_idempotency},
		{"create topic with tags", test_create_topic_tags},
		{"get topic attributes", test_get_topic_attributes},
		{"topic ARN errors", test_topic_arn_errors},
		{"set topic attributes", test_set_topic_attributes},
		{"delete topic cascades", test_delete_topic},
		{"list topics pages", test_list_topics_pages},
		{"subscribe", test_subscribe},
		{"subscribe errors", test_subscribe_errors},
		{"subscription attributes", test_subscription_attributes},
		{"unsubscribe", test_unsubscribe},
		{"list subscriptions pages", test_list_subscriptions_pages},
		{"filter policy: accepted", test_filter_policy_good},
		{"filter policy: refused", test_filter_policy_bad},
		{"JSON error messages", test_json_errors},
		CU_TEST_INFO_NULL,
	};

	return fx_run_suite("ops_topic", NULL, NULL, tests);
}
