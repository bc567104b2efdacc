/*
 * SNS response and error XML: byte-for-byte against the responses captured in
 * reference/sns-query-protocol.md §6 (which botocore accepted), plus maps,
 * lists, operations without output and escaping.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/xml.h"
#include "tests/unit/fixture.h"

#define RID  "f3aa9ac9-3c3d-11df-8235-9dab105e9c32"
#define META "<ResponseMetadata><RequestId>" RID "</RequestId></ResponseMetadata>"
#define NS   "xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\""
#define EP \
	"arn:aws:sns:us-east-1:123456789012:endpoint/GCM/MyApp/5e3e9847-3183-3f18-a7e8-671c3a57d4b3"

static void expect_response(const char *op, const char *result_json, const char *want)
{
	json_t *result = json_loads(result_json, 0, NULL);
	char *got;

	CU_ASSERT_PTR_NOT_NULL_FATAL(result);
	got = xml_response(op, result, RID);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, want);
	if (strcmp(got, want))
		fprintf(stderr, "\ngot  %s\nwant %s\n", got, want);
	free(got);
	json_decref(result);
}

static void expect_error(const char *code, int status, const char *msg, const char *want)
{
	struct op_error err = {0};
	char *got;

	op_fail(&err, code, status, "%s", msg);
	got = xml_error(&err, RID);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, want);
	if (strcmp(got, want))
		fprintf(stderr, "\ngot  %s\nwant %s\n", got, want);
	free(got);
}

/* §6.1, 6.6, 6.9, 6.10, 6.11 exactly as captured */
static void test_captured_responses(void)
{
	expect_response("CreatePlatformEndpoint", "{\"EndpointArn\":\"" EP "\"}",
			"<CreatePlatformEndpointResponse " NS
			"><CreatePlatformEndpointResult><EndpointArn>" EP
			"</EndpointArn></CreatePlatformEndpointResult>" META
			"</CreatePlatformEndpointResponse>");
	expect_response("Publish", "{\"MessageId\":\"94f20ce6-13c5-43a0-9a9e-ca52d816e90b\"}",
			"<PublishResponse " NS "><PublishResult><MessageId>94f20ce6-13c5-43a0-"
			"9a9e-ca52d816e90b</MessageId></PublishResult>" META "</PublishResponse>");
	expect_response("CreateTopic",
			"{\"TopicArn\":\"arn:aws:sns:us-east-1:123456789012:my-topic\"}",
			"<CreateTopicResponse " NS "><CreateTopicResult><TopicArn>arn:aws:sns:us-"
			"east-1:123456789012:my-topic</TopicArn></CreateTopicResult>" META
			"</CreateTopicResponse>");
	expect_response("Subscribe",
			"{\"SubscriptionArn\":\"arn:aws:sns:us-east-1:123456789012:my-topic:"
			"80289ba6-0fd4-4079-afb4-ce8c8260f0ca\"}",
			"<SubscribeResponse " NS "><SubscribeResult><SubscriptionArn>arn:aws:sns:"
			"us-east-1:123456789012:my-topic:80289ba6-0fd4-4079-afb4-ce8c8260f0ca</"
			"SubscriptionArn></SubscribeResult>" META "</SubscribeResponse>");
	/* an empty output shape keeps its (empty) Result element: botocore needs it */
	expect_response("TagResource", "{}",
			"<TagResourceResponse " NS "><TagResourceResult></TagResourceResult>" META
			"</TagResourceResponse>");
	expect_response("UntagResource", "{}",
			"<UntagResourceResponse " NS
			"><UntagResourceResult></UntagResourceResult>" META
			"</UntagResourceResponse>");
}

/* §6.8: lists of structures, a boolean member */
static void test_publish_batch(void)
{
	expect_response(
		"PublishBatch",
		"{\"Successful\":[{\"Id\":\"m1\",\"MessageId\":\"11111111-1111-1111-1111-"
		"111111111111\"}],\"Failed\":[{\"Id\":\"m2\",\"Code\":\"InvalidParameter\","
		"\"Message\":\"Invalid parameter: Empty message\",\"SenderFault\":true}]}",
		"<PublishBatchResponse " NS "><PublishBatchResult><Successful><member><Id>m1</"
		"Id><MessageId>11111111-1111-1111-1111-111111111111</MessageId></member></"
		"Successful><Failed><member><Id>m2</Id><Code>InvalidParameter</Code><Message>"
		"Invalid parameter: Empty message</Message><SenderFault>true</SenderFault></"
		"member></Failed></PublishBatchResult>" META "</PublishBatchResponse>");
}

/* §3: operations without an output shape have no Result element */
static void test_no_output(void)
{
	static const char *const ops[] = {"DeleteTopic", "SetEndpointAttributes", "Unsubscribe",
					  "DeletePlatformApplication", "AddPermission"};
	char want[512];
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		snprintf(want, sizeof(want), "<%sResponse " NS ">" META "</%sResponse>", ops[i],
			 ops[i]);
		expect_response(ops[i], "{}", want);
	}
	/* an operation with an output shape always has one, even if empty */
	expect_response("ListTopics", "{\"Topics\":[]}",
			"<ListTopicsResponse " NS "><ListTopicsResult><Topics></Topics></"
			"ListTopicsResult>" META "</ListTopicsResponse>");
}

/* maps (<entry><key/><value/></entry>) inside lists of structures, and NextToken */
static void test_maps_and_lists(void)
{
	expect_response(
		"ListEndpointsByPlatformApplication",
		"{\"Endpoints\":[{\"EndpointArn\":\"e1\",\"Attributes\":{\"Enabled\":\"true\","
		"\"Token\":\"t\"}}],\"NextToken\":\"n\"}",
		"<ListEndpointsByPlatformApplicationResponse " NS
		"><ListEndpointsByPlatformApplicationResult><Endpoints><member><EndpointArn>e1</"
		"EndpointArn><Attributes><entry><key>Enabled</key><value>true</value></"
		"entry><entry><key>Token</key><value>t</value></entry></Attributes></member></"
		"Endpoints><NextToken>n</NextToken></ListEndpointsByPlatformApplicationResult>" META
		"</ListEndpointsByPlatformApplicationResponse>");
	expect_response("ListTagsForResource", "{\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"}]}",
			"<ListTagsForResourceResponse " NS "><ListTagsForResourceResult><Tags>"
			"<member><Key>k</Key><Value>v</Value></member></Tags></"
			"ListTagsForResourceResult>" META "</ListTagsForResourceResponse>");
	/* null members are left out, as absent ones */
	expect_response("ListTopics", "{\"Topics\":[],\"NextToken\":null}",
			"<ListTopicsResponse " NS "><ListTopicsResult><Topics></Topics></"
			"ListTopicsResult>" META "</ListTopicsResponse>");
}

/* §6.2, 6.7, 6.13 */
static void test_captured_errors(void)
{
	expect_error("InvalidParameter", 400,
		     "Invalid parameter: Token Reason: Endpoint " EP
		     " already exists with the same Token, but different attributes.",
		     "<ErrorResponse " NS "><Error><Type>Sender</Type><Code>InvalidParameter</"
		     "Code><Message>Invalid parameter: Token Reason: Endpoint " EP
		     " already exists with the same Token, but different attributes.</"
		     "Message></Error><RequestId>" RID "</RequestId></ErrorResponse>");
	expect_error("EndpointDisabled", 400, "Endpoint is disabled",
		     "<ErrorResponse " NS "><Error><Type>Sender</Type><Code>EndpointDisabled</"
		     "Code><Message>Endpoint is disabled</Message></Error><RequestId>" RID
		     "</RequestId></ErrorResponse>");
	expect_error("InternalError", 500, "Internal Error",
		     "<ErrorResponse " NS "><Error><Type>Receiver</Type><Code>InternalError</"
		     "Code><Message>Internal Error</Message></Error><RequestId>" RID
		     "</RequestId></ErrorResponse>");
}

static void test_escaping(void)
{
	char *buf = NULL;
	size_t len = 0;

	CU_ASSERT_EQUAL(xml_escape(&buf, &len, "a<b>&\"c'\r\n\t", 11), 0);
	CU_ASSERT_STRING_EQUAL(buf, "a&lt;b&gt;&amp;&quot;c&apos;&#xD;\n\t");
	free(buf);
	buf = NULL;
	len = 0;
	/* NUL, other controls and invalid UTF-8 cannot be carried by XML 1.0 */
	CU_ASSERT_EQUAL(xml_escape(&buf, &len, "x\0y\x01\xff\xc3\xa9\xed\xa0\x80z", 11), 0);
	CU_ASSERT_STRING_EQUAL(buf, "x\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9"
				    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz");
	free(buf);
	expect_response("GetEndpointAttributes",
			"{\"Attributes\":{\"CustomUserData\":\"<&>\",\"Token\":\"\xe2\x9c\x93\"}}",
			"<GetEndpointAttributesResponse " NS "><GetEndpointAttributesResult>"
			"<Attributes><entry><key>CustomUserData</key><value>&lt;&amp;&gt;</value>"
			"</entry><entry><key>Token</key><value>\xe2\x9c\x93</value></entry>"
			"</Attributes></GetEndpointAttributesResult>" META
			"</GetEndpointAttributesResponse>");
	expect_error("InvalidParameter", 400, "Invalid parameter: <x> & \"y\"",
		     "<ErrorResponse " NS "><Error><Type>Sender</Type><Code>InvalidParameter</"
		     "Code><Message>Invalid parameter: &lt;x&gt; &amp; &quot;y&quot;</Message>"
		     "</Error><RequestId>" RID "</RequestId></ErrorResponse>");
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"captured responses (6.1, 6.6, 6.9-6.11)", test_captured_responses},
		{"publish batch (6.8)", test_publish_batch},
		{"operations without output", test_no_output},
		{"maps and lists", test_maps_and_lists},
		{"captured errors (6.2, 6.7, 6.13)", test_captured_errors},
		{"escaping", test_escaping},
		CU_TEST_INFO_NULL,
	};
	return fx_run_suite("xml", NULL, NULL, tests);
}
