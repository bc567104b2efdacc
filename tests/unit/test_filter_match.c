/*
 * Filter policy evaluation (filter_policy_match(), broker/filter_match.c)
 * with the examples of the SNS developer guide, each asserted with the
 * result the page states (reference/sns-docs: example-filter-policies.md,
 * string-value-matching.md, numeric-value-matching.md,
 * attribute-key-matching.md, and-or-logic.md), in both scopes where the page
 * gives both, plus the operators newer than those pages.  Every policy is
 * first parsed and accepted by filter_policy_check(), as a subscription's is.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "broker/filter_policy.h"
#include "tests/unit/run.h"

static json_t *policy_of(const char *text, bool body_scope)
{
	char why[512];
	json_t *p = filter_policy_parse_json(text, why, sizeof(why));

	if (!p)
		fprintf(stderr, "\n  policy %s: %s\n", text, why);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	if (filter_policy_check(p, body_scope, why, sizeof(why)) != 0) {
		fprintf(stderr, "\n  policy %s refused: %s\n", text, why);
		CU_FAIL_FATAL("policy refused");
	}
	return p;
}

/* Does the policy match these attributes? attrs is consumed. */
static bool attrs_match(const char *policy, json_t *attrs)
{
	json_t *p = policy_of(policy, false);
	bool r = filter_policy_match(p, false, attrs, NULL, 0);

	json_decref(p);
	json_decref(attrs);
	return r;
}

/* Does the policy (MessageBody scope) match this body? */
static bool body_match(const char *policy, const char *body)
{
	json_t *p = policy_of(policy, true);
	bool r = filter_policy_match(p, true, NULL, body, strlen(body));

	json_decref(p);
	return r;
}

/* {name: {DataType: type, StringValue: value}} */
static json_t *attr1(const char *name, const char *type, const char *value)
{
	return json_pack("{s:{s:s, s:s}}", name, "DataType", type, "StringValue", value);
}

static json_t *str(const char *name, const char *value)
{
	return attr1(name, "String", value);
}

static json_t *num(const char *name, const char *value)
{
	return attr1(name, "Number", value);
}

static json_t *arr(const char *name, const char *value)
{
	return attr1(name, "String.Array", value);
}

/* The transaction message of example-filter-policies.md, as attributes and as a body. */
static json_t *example_attrs(void)
{
	return json_pack("{s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s}}",
			 "customer_interests", "DataType", "String.Array", "StringValue",
			 "[\"soccer\", \"rugby\", \"hockey\"]", "store", "DataType", "String",
			 "StringValue", "example_corp", "event", "DataType", "String",
			 "StringValue", "order_placed", "price_usd", "DataType", "Number",
			 "StringValue", "210.75");
}

#define EXAMPLE_BODY                                                                \
	"{\"customer_interests\": [\"soccer\", \"rugby\", \"hockey\"], \"store\": " \
	"\"example_corp\", \"event\":\"order_placed\", \"price_usd\":210.75}"

static void test_example_policies(void)
{
	const char *accepts = "{\"store\": [\"example_corp\"], \"event\": [{\"anything-but\": "
			      "\"order_cancelled\"}], \"customer_interests\": [\"rugby\", "
			      "\"football\", \"baseball\"], \"price_usd\": [{\"numeric\": [\">=\", "
			      "100]}]}";
	const char *rejects = "{\"store\": [\"example_corp\"], \"event\": [\"order_cancelled\"], "
			      "\"encrypted\": [false], \"customer_interests\": [\"basketball\", "
			      "\"baseball\"]}";

	CU_ASSERT_TRUE(attrs_match(accepts, example_attrs()));
	CU_ASSERT_TRUE(body_match(accepts, EXAMPLE_BODY));
	CU_ASSERT_FALSE(attrs_match(rejects, example_attrs()));
	CU_ASSERT_FALSE(body_match(rejects, EXAMPLE_BODY));
	/* "encrypted" alone is enough to reject: the message does not have it */
	CU_ASSERT_FALSE(attrs_match("{\"store\": [\"example_corp\"], \"encrypted\": [false]}",
				    example_attrs()));
	CU_ASSERT_FALSE(body_match("{\"store\": [\"example_corp\"], \"encrypted\": [false]}",
				   EXAMPLE_BODY));
}

static void test_string_exact(void)
{
	const char *p = "{\"customer_interests\": [\"rugby\", \"tennis\"]}";

	CU_ASSERT_TRUE(attrs_match(p, str("customer_interests", "rugby")));
	CU_ASSERT_TRUE(attrs_match(p, str("customer_interests", "tennis")));
	CU_ASSERT_TRUE(body_match(p, "{\"customer_interests\": \"rugby\"}"));
	CU_ASSERT_TRUE(body_match(p, "{\"customer_interests\": \"tennis\"}"));
	CU_ASSERT_FALSE(attrs_match(p, str("customer_interests", "baseball")));
	CU_ASSERT_FALSE(body_match(p, "{\"customer_interests\": \"baseball\"}"));
	/* case-sensitive (constraints page) */
	CU_ASSERT_FALSE(attrs_match(p, str("customer_interests", "Rugby")));
	/* a String.Array matches through any element */
	CU_ASSERT_TRUE(attrs_match(p, arr("customer_interests", "[\"golf\", \"tennis\"]")));
	CU_ASSERT_FALSE(attrs_match(p, arr("customer_interests", "[\"golf\", \"chess\"]")));
	/* a string does not equal a number */
	CU_ASSERT_FALSE(attrs_match("{\"n\": [\"100\"]}", num("n", "100")));
	CU_ASSERT_FALSE(body_match("{\"n\": [\"100\"]}", "{\"n\": 100}"));
}

static void test_string_prefix(void)
{
	const char *p = "{\"customer_interests\": [{\"prefix\": \"bas\"}]}";

	CU_ASSERT_TRUE(attrs_match(p, str("customer_interests", "baseball")));
	CU_ASSERT_TRUE(attrs_match(p, str("customer_interests", "basketball")));
	CU_ASSERT_TRUE(body_match(p, "{\"customer_interests\": \"baseball\"}"));
	CU_ASSERT_TRUE(body_match(p, "{\"customer_interests\": \"basketball\"}"));
	CU_ASSERT_FALSE(attrs_match(p, str("customer_interests", "rugby")));
	CU_ASSERT_FALSE(body_match(p, "{\"customer_interests\": \"rugby\"}"));
	CU_ASSERT_FALSE(attrs_match(p, str("customer_interests", "ba")));
}

static void test_string_anything_but(void)
{
	const char *p = "{\"customer_interests\": [{\"anything-but\": [\"rugby\", \"tennis\"]}]}";

	CU_ASSERT_TRUE(attrs_match(p, str("customer_interests", "baseball")));
	CU_ASSERT_TRUE(attrs_match(p, str("customer_interests", "football")));
	CU_ASSERT_TRUE(body_match(p, "{\"customer_interests\": \"baseball\"}"));
	CU_ASSERT_TRUE(body_match(p, "{\"customer_interests\": \"football\"}"));
	CU_ASSERT_TRUE(attrs_match(p, arr("customer_interests", "[\"rugby\", \"baseball\"]")));
	CU_ASSERT_TRUE(body_match(p, "{\"customer_interests\": [\"rugby\", \"baseball\"]}"));
	CU_ASSERT_FALSE(attrs_match(p, str("customer_interests", "rugby")));
	CU_ASSERT_FALSE(body_match(p, "{\"customer_interests\": [\"rugby\"]}"));
	/* anything-but does not match a message without the key */
	CU_ASSERT_FALSE(attrs_match(p, str("other", "x")));
	CU_ASSERT_FALSE(body_match(p, "{\"other\": \"x\"}"));

	p = "{\"event\":[{\"anything-but\": {\"prefix\": \"order-\"}}]}";
	CU_ASSERT_TRUE(attrs_match(p, str("event", "data-entry")));
	CU_ASSERT_TRUE(attrs_match(p, str("event", "order_number")));
	CU_ASSERT_TRUE(body_match(p, "{\"event\": \"data-entry\"}"));
	CU_ASSERT_TRUE(body_match(p, "{\"event\": \"order_number\"}"));
	CU_ASSERT_FALSE(attrs_match(p, str("event", "order-cancelled")));
	CU_ASSERT_FALSE(body_match(p, "{\"event\": \"order-cancelled\"}"));

	/* a single value rather than a list */
	p = "{\"event\": [{\"anything-but\": \"order_cancelled\"}]}";
	CU_ASSERT_TRUE(attrs_match(p, str("event", "order_placed")));
	CU_ASSERT_FALSE(attrs_match(p, str("event", "order_cancelled")));
}

static void test_cidr(void)
{
	const char *p = "{\"source_ip\":[{\"cidr\": \"10.0.0.0/24\"}]}";

	CU_ASSERT_TRUE(attrs_match(p, str("source_ip", "10.0.0.0")));
	CU_ASSERT_TRUE(attrs_match(p, str("source_ip", "10.0.0.255")));
	CU_ASSERT_TRUE(body_match(p, "{\"source_ip\": \"10.0.0.0\"}"));
	CU_ASSERT_TRUE(body_match(p, "{\"source_ip\": \"10.0.0.255\"}"));
	CU_ASSERT_FALSE(attrs_match(p, str("source_ip", "10.1.1.0")));
	CU_ASSERT_FALSE(body_match(p, "{\"source_ip\": \"10.1.1.0\"}"));
	CU_ASSERT_FALSE(attrs_match(p, str("source_ip", "not an address")));
	CU_ASSERT_FALSE(attrs_match(p, str("source_ip", "::ffff:10.0.0.1")));

	/* a mask that is not a whole number of bytes */
	p = "{\"ip\":[{\"cidr\": \"192.168.4.0/22\"}]}";
	CU_ASSERT_TRUE(attrs_match(p, str("ip", "192.168.7.200")));
	CU_ASSERT_FALSE(attrs_match(p, str("ip", "192.168.8.1")));

	p = "{\"ip\":[{\"cidr\": \"2001:db8::/32\"}]}";
	CU_ASSERT_TRUE(attrs_match(p, str("ip", "2001:db8:1234::1")));
	CU_ASSERT_FALSE(attrs_match(p, str("ip", "2001:db9::1")));
	CU_ASSERT_FALSE(attrs_match(p, str("ip", "10.0.0.1")));
}

static void test_numeric_exact(void)
{
	const char *p = "{\"price_usd\": [{\"numeric\": [\"=\",301.5]}]}";

	CU_ASSERT_TRUE(attrs_match(p, num("price_usd", "301.5")));
	CU_ASSERT_TRUE(attrs_match(p, num("price_usd", "3.015e2")));
	CU_ASSERT_TRUE(body_match(p, "{\"price_usd\": 301.5}"));
	CU_ASSERT_TRUE(body_match(p, "{\"price_usd\": 3.015e2}"));
	CU_ASSERT_FALSE(attrs_match(p, num("price_usd", "301.6")));
	/* a String attribute is not a number */
	CU_ASSERT_FALSE(attrs_match(p, str("price_usd", "301.5")));
	CU_ASSERT_FALSE(body_match(p, "{\"price_usd\": \"301.5\"}"));
	/* five digits after the point (constraints page) */
	CU_ASSERT_TRUE(attrs_match(p, num("price_usd", "301.500001")));
	/* a bare number in the list is an exact numeric match */
	CU_ASSERT_TRUE(attrs_match("{\"n\": [100]}", num("n", "1e2")));
	CU_ASSERT_TRUE(body_match("{\"n\": [100]}", "{\"n\": 100.0}"));
}

static void test_numeric_anything_but(void)
{
	const char *p = "{\"price\": [{\"anything-but\": [100, 500]}]}";

	CU_ASSERT_TRUE(attrs_match(p, num("price", "101")));
	CU_ASSERT_TRUE(attrs_match(p, num("price", "100.1")));
	CU_ASSERT_TRUE(body_match(p, "{\"price\": 101}"));
	CU_ASSERT_TRUE(body_match(p, "{\"price\": 100.1}"));
	CU_ASSERT_TRUE(attrs_match(p, attr1("price", "Number.Array", "[100, 50]")));
	CU_ASSERT_TRUE(body_match(p, "{\"price\": [100, 50]}"));
	CU_ASSERT_FALSE(attrs_match(p, num("price", "100")));
	CU_ASSERT_FALSE(body_match(p, "{\"price\": 100}"));
}

static void test_numeric_ranges(void)
{
	const char *neg = "{\"price_usd\": [{\"numeric\": [\"<\", 0]}]}";
	const char *upto = "{\"price_usd\": [{\"numeric\": [\">\", 0, \"<=\", 150]}]}";

	CU_ASSERT_TRUE(attrs_match(neg, num("price_usd", "-0.5")));
	CU_ASSERT_TRUE(body_match(neg, "{\"price_usd\": -3}"));
	CU_ASSERT_FALSE(attrs_match(neg, num("price_usd", "0")));
	CU_ASSERT_FALSE(body_match(neg, "{\"price_usd\": 7}"));

	CU_ASSERT_TRUE(attrs_match(upto, num("price_usd", "150")));
	CU_ASSERT_TRUE(attrs_match(upto, num("price_usd", "0.01")));
	CU_ASSERT_TRUE(body_match(upto, "{\"price_usd\": 75}"));
	CU_ASSERT_FALSE(attrs_match(upto, num("price_usd", "0")));
	CU_ASSERT_FALSE(attrs_match(upto, num("price_usd", "150.01")));
	CU_ASSERT_FALSE(body_match(upto, "{\"price_usd\": 151}"));

	CU_ASSERT_TRUE(attrs_match("{\"p\": [{\"numeric\": [\">=\", 100]}]}", num("p", "100")));
	CU_ASSERT_FALSE(attrs_match("{\"p\": [{\"numeric\": [\">=\", 100]}]}", num("p", "99.9")));
}

static void test_exists(void)
{
	const char *yes = "{\"store\": [{\"exists\": true}]}";
	const char *no = "{\"store\": [{\"exists\": false}]}";
	json_t *with = json_pack("{s:{s:s, s:s}, s:{s:s, s:s}}", "store", "DataType", "String",
				 "StringValue", "fans", "customer_interests", "DataType",
				 "String.Array", "StringValue", "[\"baseball\", \"basketball\"]");
	const char *body_with = "{\"store\": \"fans\", \"customer_interests\": [\"baseball\", "
				"\"basketball\"]}";
	const char *body_without = "{\"customer_interests\": [\"baseball\", \"basketball\"]}";

	CU_ASSERT_TRUE(attrs_match(yes, json_deep_copy(with)));
	CU_ASSERT_TRUE(body_match(yes, body_with));
	CU_ASSERT_FALSE(attrs_match(yes, arr("customer_interests", "[\"baseball\"]")));
	CU_ASSERT_FALSE(body_match(yes, body_without));

	CU_ASSERT_FALSE(attrs_match(no, json_deep_copy(with)));
	CU_ASSERT_FALSE(body_match(no, body_with));
	CU_ASSERT_TRUE(attrs_match(no, arr("customer_interests", "[\"baseball\"]")));
	CU_ASSERT_TRUE(body_match(no, body_without));
	/* a message with no attributes at all */
	CU_ASSERT_TRUE(attrs_match(no, NULL));
	CU_ASSERT_FALSE(attrs_match(yes, NULL));
	/* exists:false is the one rule a missing key can satisfy, even in a list */
	CU_ASSERT_TRUE(attrs_match("{\"store\": [\"fans\", {\"exists\": false}]}", NULL));
	/* a Binary attribute exists, though it has no value to compare */
	CU_ASSERT_TRUE(attrs_match(yes, attr1("store", "Binary", "AAEC")));
	CU_ASSERT_FALSE(attrs_match("{\"store\": [\"AAEC\"]}", attr1("store", "Binary", "AAEC")));
	json_decref(with);
}

static void test_and_or(void)
{
	const char *and = "{\"customer_interests\": [\"rugby\"], \"price_usd\": [{\"numeric\": "
			  "[\">\", 100]}]}";
	const char * or = "{\"customer_interests\": [\"rugby\", \"football\", \"baseball\"]}";
	json_t *both = json_pack("{s:{s:s, s:s}, s:{s:s, s:s}}", "customer_interests", "DataType",
				 "String", "StringValue", "rugby", "price_usd", "DataType",
				 "Number", "StringValue", "101");

	CU_ASSERT_TRUE(attrs_match(and, json_deep_copy(both)));
	CU_ASSERT_TRUE(body_match(and, "{\"customer_interests\": \"rugby\", \"price_usd\": 101}"));
	CU_ASSERT_FALSE(attrs_match(and, str("customer_interests", "rugby")));
	CU_ASSERT_FALSE(body_match(and, "{\"customer_interests\": \"rugby\", \"price_usd\": 100}"));
	CU_ASSERT_FALSE(
		body_match(and, "{\"customer_interests\": \"football\", \"price_usd\": 101}"));
	for (size_t i = 0; i < 3; i++) {
		static const char *const v[] = {"rugby", "football", "baseball"};

		CU_ASSERT_TRUE(attrs_match(or, str("customer_interests", v[i])));
	}
	CU_ASSERT_FALSE(attrs_match(or, str("customer_interests", "golf")));
	json_decref(both);
}

/* "$or" across keys, alone or beside other keys, at the top and nested in the body. */
static void test_dollar_or(void)
{
	const char *p = "{\"source\": [\"aws.cloudwatch\"], \"$or\": [{\"metricName\": "
			"[\"CPUUtilization\"]}, {\"namespace\": [\"AWS/EC2\"]}]}";

	CU_ASSERT_TRUE(body_match(p, "{\"source\": \"aws.cloudwatch\", \"metricName\": "
				     "\"CPUUtilization\"}"));
	CU_ASSERT_TRUE(
		body_match(p, "{\"source\": \"aws.cloudwatch\", \"namespace\": \"AWS/EC2\"}"));
	CU_ASSERT_FALSE(
		body_match(p, "{\"source\": \"aws.cloudwatch\", \"namespace\": \"AWS/ES\"}"));
	CU_ASSERT_FALSE(body_match(p, "{\"source\": \"aws.s3\", \"namespace\": \"AWS/EC2\"}"));
	CU_ASSERT_TRUE(
		attrs_match(p, json_pack("{s:{s:s, s:s}, s:{s:s, s:s}}", "source", "DataType",
					 "String", "StringValue", "aws.cloudwatch", "namespace",
					 "DataType", "String", "StringValue", "AWS/EC2")));
	CU_ASSERT_FALSE(attrs_match(p, str("source", "aws.cloudwatch")));

	p = "{\"order\": {\"$or\": [{\"state\": [\"paid\"]}, {\"total\": [{\"numeric\": [\">\", "
	    "1000]}]}]}}";
	CU_ASSERT_TRUE(body_match(p, "{\"order\": {\"state\": \"paid\", \"total\": 5}}"));
	CU_ASSERT_TRUE(body_match(p, "{\"order\": {\"state\": \"open\", \"total\": 5000}}"));
	CU_ASSERT_FALSE(body_match(p, "{\"order\": {\"state\": \"open\", \"total\": 5}}"));
}

static void test_suffix_and_ignore_case(void)
{
	CU_ASSERT_TRUE(attrs_match("{\"f\": [{\"suffix\": \".png\"}]}", str("f", "image.png")));
	CU_ASSERT_TRUE(body_match("{\"f\": [{\"suffix\": \".png\"}]}", "{\"f\": \"a.png\"}"));
	CU_ASSERT_FALSE(attrs_match("{\"f\": [{\"suffix\": \".png\"}]}", str("f", "image.jpg")));
	CU_ASSERT_FALSE(attrs_match("{\"f\": [{\"suffix\": \".png\"}]}", str("f", "png")));

	CU_ASSERT_TRUE(attrs_match("{\"name\": [{\"equals-ignore-case\": \"ALICE\"}]}",
				   str("name", "alice")));
	CU_ASSERT_TRUE(body_match("{\"name\": [{\"equals-ignore-case\": \"ALICE\"}]}",
				  "{\"name\": \"AlIcE\"}"));
	CU_ASSERT_FALSE(attrs_match("{\"name\": [{\"equals-ignore-case\": \"ALICE\"}]}",
				    str("name", "alicia")));
}

/* MessageBody scope: nested keys, arrays of objects, and bodies that are not objects. */
static void test_body_nested(void)
{
	const char *p = "{\"store\": {\"city\": [\"Paris\"], \"size\": [{\"numeric\": [\">\", "
			"10]}]}}";

	CU_ASSERT_TRUE(body_match(p, "{\"store\": {\"city\": \"Paris\", \"size\": 20}}"));
	CU_ASSERT_FALSE(body_match(p, "{\"store\": {\"city\": \"Lyon\", \"size\": 20}}"));
	CU_ASSERT_FALSE(body_match(p, "{\"store\": {\"city\": \"Paris\"}}"));
	CU_ASSERT_FALSE(body_match(p, "{\"city\": \"Paris\", \"size\": 20}"));
	CU_ASSERT_FALSE(body_match(p, "{\"store\": \"Paris\"}"));
	/* arrays on the path are walked through */
	CU_ASSERT_TRUE(body_match("{\"items\": {\"sku\": [\"B2\"]}}",
				  "{\"items\": [{\"sku\": \"A1\"}, {\"sku\": \"B2\"}]}"));
	CU_ASSERT_FALSE(body_match("{\"items\": {\"sku\": [\"C3\"]}}",
				   "{\"items\": [{\"sku\": \"A1\"}, {\"sku\": \"B2\"}]}"));
	/* an object is not a value */
	CU_ASSERT_FALSE(body_match("{\"store\": [\"x\"]}", "{\"store\": {\"x\": 1}}"));
	/* booleans and null */
	CU_ASSERT_TRUE(body_match("{\"encrypted\": [false]}", "{\"encrypted\": false}"));
	CU_ASSERT_FALSE(body_match("{\"encrypted\": [false]}", "{\"encrypted\": \"false\"}"));
	CU_ASSERT_TRUE(body_match("{\"v\": [null]}", "{\"v\": null}"));
	/* a body that is not a JSON object matches nothing */
	CU_ASSERT_FALSE(body_match("{\"store\": [{\"exists\": false}]}", "plain text"));
	CU_ASSERT_FALSE(body_match("{\"store\": [{\"exists\": false}]}", "[1, 2]"));
}

/* No policy, or an empty one, lets everything through. */
static void test_no_policy(void)
{
	json_t *empty = json_object();

	CU_ASSERT_TRUE(filter_policy_match(NULL, false, NULL, NULL, 0));
	CU_ASSERT_TRUE(filter_policy_match(NULL, true, NULL, "text", 4));
	CU_ASSERT_TRUE(filter_policy_match(empty, false, NULL, NULL, 0));
	json_decref(empty);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"example policies", test_example_policies},
		{"string exact", test_string_exact},
		{"string prefix", test_string_prefix},
		{"string anything-but", test_string_anything_but},
		{"cidr", test_cidr},
		{"numeric exact", test_numeric_exact},
		{"numeric anything-but", test_numeric_anything_but},
		{"numeric ranges", test_numeric_ranges},
		{"exists", test_exists},
		{"AND/OR", test_and_or},
		{"$or", test_dollar_or},
		{"suffix and equals-ignore-case", test_suffix_and_ignore_case},
		{"body: nested keys", test_body_nested},
		{"no policy", test_no_policy},
		CU_TEST_INFO_NULL,
	};
	return fx_run_suite("filter_match", NULL, NULL, tests);
}
