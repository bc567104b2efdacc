/* ARN building and checking, with SNS's exact messages. */
#include "config.h"

#include <stdlib.h>

#include "broker/arn.h"
#include "tests/unit/fixture.h"

static struct conf conf = {.region = "us-east-1", .account = "000000000000"};

static void expect_error(const char *s, enum arn_type type, const char *param, const char *msg)
{
	struct op_error err = {0};

	CU_ASSERT_EQUAL(arn_parse(&conf, s, type, param, NULL, &err), -1);
	FX_ASSERT_ERROR(err, "InvalidParameter", 400, msg);
}

static void test_build(void)
{
	char *a = arn_app(&conf, "APNS", "shop");
	char *e = arn_endpoint(&conf, "GCM", "shop", "0b5e8cc4-2b8e-3d6a-9b4e-08a7f9f0d4c1");
	char *t = arn_topic(&conf, "orders");
	char *s = arn_subscription(t, "11111111-2222-4333-8444-555555555555");

	CU_ASSERT_STRING_EQUAL(a, "arn:aws:sns:us-east-1:000000000000:app/APNS/shop");
	CU_ASSERT_STRING_EQUAL(
		e,
		"arn:aws:sns:us-east-1:000000000000:endpoint/GCM/shop/0b5e8cc4-2b8e-3d6a-9b4e-08a7f9f0d4c1");
	CU_ASSERT_STRING_EQUAL(t, "arn:aws:sns:us-east-1:000000000000:orders");
	CU_ASSERT_STRING_EQUAL(
		s,
		"arn:aws:sns:us-east-1:000000000000:orders:11111111-2222-4333-8444-555555555555");
	free(a);
	free(e);
	free(t);
	free(s);
}

static void test_parse_good(void)
{
	struct op_error err = {0};
	struct arn a;

	CU_ASSERT_EQUAL(arn_parse(&conf, "arn:aws:sns:us-east-1:000000000000:app/APNS_SANDBOX/shop",
				  ARN_APP, "PlatformApplicationArn", &a, &err),
			0);
	CU_ASSERT_STRING_EQUAL(a.platform, "APNS_SANDBOX");
	CU_ASSERT_STRING_EQUAL(a.app, "shop");
	CU_ASSERT_EQUAL(arn_parse(&conf, "arn:aws:sns:us-east-1:000000000000:endpoint/GCM/shop/abc",
				  ARN_ENDPOINT, "EndpointArn", &a, &err),
			0);
	CU_ASSERT_STRING_EQUAL(a.platform, "GCM");
	CU_ASSERT_STRING_EQUAL(a.app, "shop");
	CU_ASSERT_STRING_EQUAL(a.id, "abc");
	CU_ASSERT_EQUAL(arn_parse(&conf, "arn:aws:sns:us-east-1:000000000000:orders", ARN_TOPIC,
				  "TopicArn", &a, &err),
			0);
	CU_ASSERT_STRING_EQUAL(a.topic, "orders");
	CU_ASSERT_EQUAL(arn_parse(&conf, "arn:aws:sns:us-east-1:000000000000:orders:1234",
				  ARN_SUBSCRIPTION, "SubscriptionArn", &a, &err),
			0);
	CU_ASSERT_STRING_EQUAL(a.topic, "orders");
	CU_ASSERT_STRING_EQUAL(a.id, "1234");
}

static void test_parse_elements(void)
{
	expect_error(
		"", ARN_TOPIC, "TopicArn",
		"Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1");
	expect_error(
		"not-an-arn", ARN_TOPIC, "TopicArn",
		"Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1");
	expect_error(
		"arn:aws", ARN_TOPIC, "TopicArn",
		"Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 2");
	expect_error("arn:aws:sns:us-east-1:000000000000", ARN_SUBSCRIPTION, "SubscriptionArn",
		     "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 "
		     "elements, not 5");
	expect_error(
		"garbage", ARN_APP, "PlatformApplicationArn",
		"Invalid parameter: PlatformApplicationArn Reason: An ARN must have at least 6 "
		"elements, not 1");
}

static void test_parse_wrong_shape(void)
{
	expect_error("arn:aws:sns:us-east-1:000000000000:app/APNS/shop/extra", ARN_APP,
		     "PlatformApplicationArn",
		     "Invalid parameter: PlatformApplicationArn Reason: Wrong number of slashes in "
		     "relative portion of the ARN.");
	expect_error("arn:aws:sns:us-east-1:000000000000:app/APNS/shop", ARN_ENDPOINT,
		     "EndpointArn",
		     "Invalid parameter: EndpointArn Reason: Wrong number of slashes in relative "
		     "portion of the ARN.");
	/* another region or account is not ours */
	expect_error("arn:aws:sns:eu-west-1:000000000000:orders", ARN_TOPIC, "TopicArn",
		     "Invalid parameter: TopicArn");
	expect_error("arn:aws:sns:us-east-1:111111111111:orders", ARN_TOPIC, "TopicArn",
		     "Invalid parameter: TopicArn");
	expect_error("arn:aws:sqs:us-east-1:000000000000:orders", ARN_TOPIC, "TopicArn",
		     "Invalid parameter: TopicArn");
	/* a topic ARN where a subscription is expected */
	expect_error("arn:aws:sns:us-east-1:000000000000:orders", ARN_SUBSCRIPTION,
		     "SubscriptionArn", "Invalid parameter: SubscriptionId");
	/* an endpoint ARN given as a topic */
	expect_error("arn:aws:sns:us-east-1:000000000000:endpoint/GCM/shop/abc", ARN_TOPIC,
		     "TopicArn", "Invalid parameter: TopicArn");
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"build", test_build},
		{"parse good", test_parse_good},
		{"too few elements", test_parse_elements},
		{"wrong shape, region or account", test_parse_wrong_shape},
		CU_TEST_INFO_NULL,
	};
	return fx_run_suite("arn", NULL, NULL, tests);
}
