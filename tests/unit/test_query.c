/*
 * The AWS Query form decoder: every request shape captured from boto3/awscli
 * (reference/sns-query-protocol.md §6) decodes to the JSON the operations
 * expect, and hostile forms are refused with a clear error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/query.h"
#include "tests/unit/fixture.h"

/* Decode body and compare args with the JSON text want (key order ignored). */
static void expect_args(const char *body, const char *action, const char *want)
{
	struct op_error err = {0};
	char *a = NULL, *v = NULL, *got_text;
	json_t *got = query_decode(body, strlen(body), &a, &v, &err);
	json_t *exp = json_loads(want, 0, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(exp);
	CU_ASSERT_PTR_NOT_NULL(got);
	if (!got) {
		fprintf(stderr, "\n%s: %s %s\n", body, err.code, err.message);
		json_decref(exp);
		return;
	}
	CU_ASSERT_STRING_EQUAL(a ? a : "", action);
	CU_ASSERT_STRING_EQUAL(v ? v : "", "2010-03-31");
	CU_ASSERT(json_equal(got, exp));
	if (!json_equal(got, exp)) {
		got_text = json_dumps(got, JSON_SORT_KEYS);
		fprintf(stderr, "\ngot  %s\nwant %s\n", got_text, want);
		free(got_text);
	}
	json_decref(got);
	json_decref(exp);
	free(a);
	free(v);
}

static void expect_refused(const char *body, size_t len, const char *code, int status,
			   const char *msg)
{
	struct op_error err = {0};
	char *a = (char *)"x", *v = (char *)"x";
	json_t *got = query_decode(body, len, &a, &v, &err);

	CU_ASSERT_PTR_NULL(got);
	CU_ASSERT_PTR_NULL(a);
	CU_ASSERT_PTR_NULL(v);
	json_decref(got);
	FX_ASSERT_ERROR(err, code, status, msg);
}

/* §6.1 */
static void test_endpoint_attributes(void)
{
	expect_args("Action=CreatePlatformEndpoint&Version=2010-03-31&PlatformApplicationArn=arn%"
		    "3Aaws%3Asns%3Aus-east-1%3A123456789012%3Aapp%2FGCM%2FMyApp&Token=tok123&"
		    "CustomUserData=user-42&Attributes.entry.1.key=Enabled&Attributes.entry.1."
		    "value=true",
		    "CreatePlatformEndpoint",
		    "{\"PlatformApplicationArn\":\"arn:aws:sns:us-east-1:123456789012:app/GCM/"
		    "MyApp\",\"Token\":\"tok123\",\"CustomUserData\":\"user-42\","
		    "\"Attributes\":{\"Enabled\":\"true\"}}");
	/* §6.12, aws-cli: two entries */
	expect_args("Action=CreatePlatformEndpoint&Version=2010-03-31&PlatformApplicationArn=arn%"
		    "3Aaws%3Asns%3Aus-east-1%3A123456789012%3Aapp%2FGCM%2FMyApp&Token=clitoken&"
		    "Attributes.entry.1.key=Enabled&Attributes.entry.1.value=false&Attributes."
		    "entry.2.key=CustomUserData&Attributes.entry.2.value=abc",
		    "CreatePlatformEndpoint",
		    "{\"PlatformApplicationArn\":\"arn:aws:sns:us-east-1:123456789012:app/GCM/"
		    "MyApp\",\"Token\":\"clitoken\",\"Attributes\":{\"Enabled\":\"false\","
		    "\"CustomUserData\":\"abc\"}}");
}

/* §6.6: form escapes, '+' as space, MessageAttributes with String and Binary values */
static void test_publish_message_attributes(void)
{
	expect_args(
		"Action=Publish&Version=2010-03-31&TargetArn=arn%3Aaws%3Asns%3Aus-east-1%"
		"3A123456789012%3Aendpoint%2FGCM%2FMyApp%2F5e3e9847-3183-3f18-a7e8-671c3a57d4b3&"
		"MessageStructure=json&Message=%7B%22default%22%3A+%22hi%22%2C+%22GCM%22%3A+%22%"
		"7B%5C%22notification%5C%22%3A+%7B%5C%22title%5C%22%3A+%5C%22T%5C%22%2C+%5C%"
		"22body%5C%22%3A+%5C%22B%5C%22%7D%7D%22%7D&MessageAttributes.entry.1.Name=AWS."
		"SNS.MOBILE.FCM.TTL&MessageAttributes.entry.1.Value.DataType=String&"
		"MessageAttributes.entry.1.Value.StringValue=3600&MessageAttributes.entry.2.Name="
		"bin&MessageAttributes.entry.2.Value.DataType=Binary&MessageAttributes.entry.2."
		"Value.BinaryValue=AAH%2F",
		"Publish",
		"{\"TargetArn\":\"arn:aws:sns:us-east-1:123456789012:endpoint/GCM/MyApp/"
		"5e3e9847-3183-3f18-a7e8-671c3a57d4b3\",\"MessageStructure\":\"json\","
		"\"Message\":\"{\\\"default\\\": \\\"hi\\\", \\\"GCM\\\": \\\"{\\\\\\\"notification"
		"\\\\\\\": {\\\\\\\"title\\\\\\\": \\\\\\\"T\\\\\\\", \\\\\\\"body\\\\\\\": "
		"\\\\\\\"B\\\\\\\"}}\\\"}\","
		"\"MessageAttributes\":{\"AWS.SNS.MOBILE.FCM.TTL\":{\"DataType\":\"String\","
		"\"StringValue\":\"3600\"},\"bin\":{\"DataType\":\"Binary\",\"BinaryValue\":"
		"\"AAH/\"}}}");
}

/* §6.8: a list of structures with nested maps, and an empty string */
static void test_publish_batch(void)
{
	expect_args(
		"Action=PublishBatch&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%"
		"3A123456789012%3Amy-topic&PublishBatchRequestEntries.member.1.Id=m1&"
		"PublishBatchRequestEntries.member.1.Message=one&PublishBatchRequestEntries."
		"member.1.MessageAttributes.entry.1.Name=k&PublishBatchRequestEntries.member."
		"1.MessageAttributes.entry.1.Value.DataType=Number&PublishBatchRequestEntries."
		"member.1.MessageAttributes.entry.1.Value.StringValue=7&"
		"PublishBatchRequestEntries.member.2.Id=m2&PublishBatchRequestEntries.member."
		"2.Message=&PublishBatchRequestEntries.member.2.Subject=s",
		"PublishBatch",
		"{\"TopicArn\":\"arn:aws:sns:us-east-1:123456789012:my-topic\","
		"\"PublishBatchRequestEntries\":[{\"Id\":\"m1\",\"Message\":\"one\","
		"\"MessageAttributes\":{\"k\":{\"DataType\":\"Number\",\"StringValue\":\"7\"}}},"
		"{\"Id\":\"m2\",\"Message\":\"\",\"Subject\":\"s\"}]}");
}

/* §6.9, §6.10, §6.11: Attributes with Tags; ReturnSubscriptionArn; TagKeys= as [] */
static void test_topic_tags_subscribe(void)
{
	expect_args("Action=CreateTopic&Version=2010-03-31&Name=my-topic&Attributes.entry.1.key="
		    "DisplayName&Attributes.entry.1.value=d&Tags.member.1.Key=team&Tags.member.1."
		    "Value=push",
		    "CreateTopic",
		    "{\"Name\":\"my-topic\",\"Attributes\":{\"DisplayName\":\"d\"},\"Tags\":[{"
		    "\"Key\":\"team\",\"Value\":\"push\"}]}");
	expect_args(
		"Action=Subscribe&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%"
		"3A123456789012%3Amy-topic&Protocol=application&Endpoint=arn%3Aaws%3Asns%3Aus-"
		"east-1%3A123456789012%3Aendpoint%2FGCM%2FMyApp%2F5e3e9847-3183-3f18-a7e8-"
		"671c3a57d4b3&Attributes.entry.1.key=FilterPolicy&Attributes.entry.1.value=%"
		"7B%22k%22%3A%5B%22v%22%5D%7D&Attributes.entry.2.key=RawMessageDelivery&"
		"Attributes.entry.2.value=false&ReturnSubscriptionArn=true",
		"Subscribe",
		"{\"TopicArn\":\"arn:aws:sns:us-east-1:123456789012:my-topic\",\"Protocol\":"
		"\"application\",\"Endpoint\":\"arn:aws:sns:us-east-1:123456789012:endpoint/"
		"GCM/MyApp/5e3e9847-3183-3f18-a7e8-671c3a57d4b3\",\"Attributes\":{"
		"\"FilterPolicy\":\"{\\\"k\\\":[\\\"v\\\"]}\",\"RawMessageDelivery\":\"false\"},"
		"\"ReturnSubscriptionArn\":\"true\"}");
	expect_args("Action=TagResource&Version=2010-03-31&ResourceArn=arn%3Aaws%3Asns%3Aus-east-1%"
		    "3A123456789012%3Amy-topic&Tags.member.1.Key=k&Tags.member.1.Value=v&Tags."
		    "member.2.Key=k2&Tags.member.2.Value=v2",
		    "TagResource",
		    "{\"ResourceArn\":\"arn:aws:sns:us-east-1:123456789012:my-topic\",\"Tags\":[{"
		    "\"Key\":\"k\",\"Value\":\"v\"},{\"Key\":\"k2\",\"Value\":\"v2\"}]}");
	expect_args("Action=UntagResource&Version=2010-03-31&ResourceArn=arn%3Aaws%3Asns%3Aus-east-"
		    "1%3A123456789012%3Amy-topic&TagKeys=",
		    "UntagResource",
		    "{\"ResourceArn\":\"arn:aws:sns:us-east-1:123456789012:my-topic\",\"TagKeys\":"
		    "[]}");
}

/* Indices order lists and maps numerically, not by arrival or as text. */
static void test_order_and_lists(void)
{
	expect_args("Version=2010-03-31&TagKeys.member.10=j&TagKeys.member.2=b&Action=UntagResource"
		    "&TagKeys.member.1=a&&",
		    "UntagResource", "{\"TagKeys\":[\"a\",\"b\",\"j\"]}");
	/* a member not known to be a list stays an empty string; UTF-8 passes through */
	expect_args("Action=X&Version=2010-03-31&Subject=&Message=%C3%A9t%C3%A9+%E2%9C%93", "X",
		    "{\"Subject\":\"\",\"Message\":\"\xc3\xa9t\xc3\xa9 \xe2\x9c\x93\"}");
	/* a key without '=' is an empty value */
	expect_args("Action=X&Version=2010-03-31&NextToken", "X", "{\"NextToken\":\"\"}");
}

static void test_hostile(void)
{
	const char *syntax = "The query string contains a syntax error: bad percent-escape";
	char *big;
	size_t i, n;

	expect_refused("Action=X&Message=%zz", 20, "MalformedQueryString", 404, syntax);
	expect_refused("Action=X&Message=%4", 19, "MalformedQueryString", 404, syntax);
	expect_refused("Action=X&Message=%", 18, "MalformedQueryString", 404, syntax);
	expect_refused("Action=X&Mess%age=1", 19, "MalformedQueryString", 404, syntax);
	expect_refused("Action=X&Tags.member.1001.Key=k", 31, "InvalidParameterValue", 400,
		       "Parameter Tags.member.1001.Key: the index after 'member' must be an "
		       "integer from 1 to 1000");
	expect_refused("Action=X&Tags.member.0.Key=k", 28, "InvalidParameterValue", 400,
		       "Parameter Tags.member.0.Key: the index after 'member' must be an "
		       "integer from 1 to 1000");
	expect_refused("Action=X&Tags.member.01.Key=k", 29, "InvalidParameterValue", 400,
		       "Parameter Tags.member.01.Key: the index after 'member' must be an "
		       "integer from 1 to 1000");
	expect_refused("Action=X&Attributes.entry.99999999999999999999.key=k", 52,
		       "InvalidParameterValue", 400,
		       "Parameter Attributes.entry.99999999999999999999.key: the index after "
		       "'entry' must be an integer from 1 to 1000");
	expect_refused("Action=X&Token=a&Token=b", 24, "InvalidParameterValue", 400,
		       "Parameter Token is given more than once or both as a value and as a "
		       "structure");
	expect_refused("Action=X&Action=Y", 17, "InvalidParameterValue", 400,
		       "Parameter Action is given more than once or both as a value and as a "
		       "structure");
	expect_refused("Action=X&Tags=&Tags.member.1.Key=k", 34, "InvalidParameterValue", 400,
		       "Parameter Tags.member.1.Key is given more than once or both as a value "
		       "and as a structure");
	expect_refused("Action=X&a..b=1", 15, "MalformedQueryString", 404,
		       "The query string contains a syntax error: empty part in parameter name "
		       "'a..b'");
	expect_refused("Action=X&a.b.c.d.e.f.g.h.i=1", 28, "InvalidParameterValue", 400,
		       "Parameter name a.b.c.d.e.f.g.h.i has more than 8 parts");
	expect_refused("Action=X&=1", 11, "MalformedQueryString", 404,
		       "The query string contains a syntax error: a parameter name is empty, "
		       "longer than 256 bytes or holds a NUL");
	expect_refused("Action=X&a%00b=1", 16, "MalformedQueryString", 404,
		       "The query string contains a syntax error: a parameter name is empty, "
		       "longer than 256 bytes or holds a NUL");
	expect_refused("Action=X&Message=%ff", 20, "InvalidParameterValue", 400,
		       "Parameter Message is not valid UTF-8");
	expect_refused("Action.x=X", 10, "InvalidParameterValue", 400,
		       "Parameter Action must be a plain string");
	expect_refused("Action=X&Attributes.entry.1.key=k", 33, "InvalidParameterValue", 400,
		       "Parameter Attributes.entry.1 needs both a key and a value");
	/* field count */
	big = malloc((QUERY_MAX_FIELDS + 1) * 16);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	for (i = 0, n = 0; i < QUERY_MAX_FIELDS + 1; i++)
		n += (size_t)sprintf(big + n, "a%zu=1&", i);
	expect_refused(big, n, "InvalidParameterValue", 400,
		       "The request has more than 4096 parameters");
	free(big);
}

/* No Action or Version is not the decoder's error: the front-end answers it. */
static void test_missing_action(void)
{
	struct op_error err = {0};
	char *a = NULL, *v = NULL;
	json_t *got = query_decode("Token=t", 7, &a, &v, &err);

	CU_ASSERT_PTR_NOT_NULL(got);
	CU_ASSERT_PTR_NULL(a);
	CU_ASSERT_PTR_NULL(v);
	json_decref(got);
	got = query_decode("", 0, &a, &v, &err);
	CU_ASSERT_PTR_NOT_NULL(got);
	CU_ASSERT_EQUAL(json_object_size(got), 0);
	json_decref(got);
}

static void test_unescape(void)
{
	size_t n = 0;
	char *s = query_unescape("a+b%2B%41%00z", 13, &n);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(n, 7);
	CU_ASSERT_EQUAL(memcmp(s, "a b+A\0z", 7), 0);
	free(s);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"endpoint attributes (6.1, 6.12)", test_endpoint_attributes},
		{"publish message attributes (6.6)", test_publish_message_attributes},
		{"publish batch (6.8)", test_publish_batch},
		{"topic, tags, subscribe (6.9-6.11)", test_topic_tags_subscribe},
		{"list order and scalars", test_order_and_lists},
		{"hostile input", test_hostile},
		{"missing action", test_missing_action},
		{"unescape", test_unescape},
		CU_TEST_INFO_NULL,
	};
	return fx_run_suite("query", NULL, NULL, tests);
}
