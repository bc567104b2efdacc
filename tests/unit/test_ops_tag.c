/*
 * TagResource, UntagResource, ListTagsForResource through the api: results,
 * limits (50 tags, key 1-128, value 0-256, characters, aws: prefix,
 * duplicates) and the errors for resources that are missing or untaggable.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/fixture.h"

#define TOPIC "arn:aws:sns:us-east-1:000000000000:t"

static struct fixture fx;
static struct op_error err;

#define OK(op, ...) FX_OK(&fx, op, __VA_ARGS__)

#define FAILS(code, status, msg, op, ...) FX_FAILS(&fx, code, status, msg, op, __VA_ARGS__)

static void setup(void)
{
	CU_ASSERT_FATAL(fx_setup(&fx) == 0);
	json_decref(OK("CreateTopic", "{s:s}", "Name", "t"));
}

/* The topic's tags as {key: value}. */
static json_t *tags(void)
{
	json_t *r = OK("ListTagsForResource", "{s:s}", "ResourceArn", TOPIC);
	json_t *obj = json_object(), *t;
	size_t i;

	json_array_foreach (json_object_get(r, "Tags"), i, t) {
		CU_ASSERT_EQUAL(json_object_size(t), 2);
		json_object_set(obj, json_string_value(json_object_get(t, "Key")),
				json_object_get(t, "Value"));
	}
	json_decref(r);
	return obj;
}

/* Tag the topic with n tags named prefix0..prefix(n-1). */
static json_t *tag_n(const char *prefix, int n)
{
	json_t *list = json_array(), *args, *r;
	char key[32];

	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%s%d", prefix, i);
		json_array_append_new(list, json_pack("{s:s,s:s}", "Key", key, "Value", "v"));
	}
	args = json_pack("{s:s,s:o}", "ResourceArn", TOPIC, "Tags", list);
	r = fx_call(&fx, "TagResource", &err, "O", args);
	json_decref(args);
	return r;
}

static void test_tag_untag_list(void)
{
	json_t *r, *t;

	setup();
	t = tags();
	CU_ASSERT_EQUAL(json_object_size(t), 0);
	json_decref(t);
	r = OK("TagResource", "{s:s,s:[{s:s,s:s},{s:s,s:s}]}", "ResourceArn", TOPIC, "Tags", "Key",
	       "team", "Value", "push", "Key", "env", "Value", "");
	CU_ASSERT_EQUAL(json_object_size(r), 0);
	json_decref(r);
	/* A new value for an existing key replaces it. */
	json_decref(OK("TagResource", "{s:s,s:[{s:s,s:s}]}", "ResourceArn", TOPIC, "Tags", "Key",
		       "team", "Value", "mobile"));
	t = tags();
	CU_ASSERT_EQUAL(json_object_size(t), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(t, "team")), "mobile");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(t, "env")), "");
	json_decref(t);
	/* Removing a key that is not there is fine. */
	r = OK("UntagResource", "{s:s,s:[s,s]}", "ResourceArn", TOPIC, "TagKeys", "team", "nope");
	CU_ASSERT_EQUAL(json_object_size(r), 0);
	json_decref(r);
	t = tags();
	CU_ASSERT_EQUAL(json_object_size(t), 1);
	CU_ASSERT_PTR_NOT_NULL(json_object_get(t, "env"));
	json_decref(t);
	fx_teardown(&fx);
}

static void test_tag_limit(void)
{
	json_t *r, *t;

	setup();
	r = tag_n("k", 51);
	CU_ASSERT_PTR_NULL(r);
	FX_ASSERT_ERROR(err, "TagLimitExceeded", 400,
			"Could not complete request: tag quota of per resource exceeded");
	r = tag_n("k", 49);
	CU_ASSERT_PTR_NOT_NULL(r);
	json_decref(r);
	/* 49 + 2 new > 50: refused, and nothing of it is kept. */
	r = tag_n("n", 2);
	CU_ASSERT_PTR_NULL(r);
	FX_ASSERT_ERROR(err, "TagLimitExceeded", 400,
			"Could not complete request: tag quota of per resource exceeded");
	t = tags();
	CU_ASSERT_EQUAL(json_object_size(t), 49);
	json_decref(t);
	/* Overwriting existing keys does not count twice; 50 is allowed. */
	json_decref(tag_n("k", 49));
	r = tag_n("n", 1);
	CU_ASSERT_PTR_NOT_NULL(r);
	json_decref(r);
	t = tags();
	CU_ASSERT_EQUAL(json_object_size(t), 50);
	json_decref(t);
	fx_teardown(&fx);
}

static void test_tag_values(void)
{
	char long_key[200], long_value[300], msg[1024];

	setup();
	memset(long_key, 'k', 129);
	long_key[129] = '\0';
	snprintf(msg, sizeof(msg),
		 "1 validation error detected: Value '%s' at 'tags.2.member.key' failed to satisfy "
		 "constraint: Member must have length less than or equal to 128",
		 long_key);
	FAILS("ValidationError", 400, msg, "TagResource", "{s:s,s:[{s:s,s:s},{s:s,s:s}]}",
	      "ResourceArn", TOPIC, "Tags", "Key", "ok", "Value", "v", "Key", long_key, "Value",
	      "v");
	long_key[128] = '\0';
	json_decref(OK("TagResource", "{s:s,s:[{s:s,s:s}]}", "ResourceArn", TOPIC, "Tags", "Key",
		       long_key, "Value", "v"));
	FAILS("ValidationError", 400,
	      "1 validation error detected: Value '' at 'tags.1.member.key' failed to satisfy "
	      "constraint: Member must have length greater than or equal to 1",
	      "TagResource", "{s:s,s:[{s:s,s:s}]}", "ResourceArn", TOPIC, "Tags", "Key", "",
	      "Value", "v");
	memset(long_value, 'v', 257);
	long_value[257] = '\0';
	snprintf(msg, sizeof(msg),
		 "1 validation error detected: Value '%s' at 'tags.1.member.value' failed to "
		 "satisfy constraint: Member must have length less than or equal to 256",
		 long_value);
	FAILS("ValidationError", 400, msg, "TagResource", "{s:s,s:[{s:s,s:s}]}", "ResourceArn",
	      TOPIC, "Tags", "Key", "k", "Value", long_value);
	/* Lengths are in characters: 128 two-byte characters fit. */
	{
		char wide[2 * 128 + 1];

		for (int i = 0; i < 128; i++)
			memcpy(wide + 2 * i, "\xc3\xa9", 2);
		wide[256] = '\0';
		json_decref(OK("TagResource", "{s:s,s:[{s:s,s:s}]}", "ResourceArn", TOPIC, "Tags",
			       "Key", wide, "Value", "v"));
	}
	FAILS("ValidationError", 400,
	      "1 validation error detected: Value 'a*b' at 'tags.1.member.key' failed to satisfy "
	      "constraint: Member must satisfy regular expression pattern: "
	      "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$",
	      "TagResource", "{s:s,s:[{s:s,s:s}]}", "ResourceArn", TOPIC, "Tags", "Key", "a*b",
	      "Value", "v");
	json_decref(OK("TagResource", "{s:s,s:[{s:s,s:s}]}", "ResourceArn", TOPIC, "Tags", "Key",
		       "a b_c.d:e/f=g+h-i@j", "Value", "x"));
	FAILS("InvalidParameter", 400,
	      "Invalid parameter: Tags Reason: Tag keys beginning with the reserved prefix aws: can "
	      "not be set",
	      "TagResource", "{s:s,s:[{s:s,s:s}]}", "ResourceArn", TOPIC, "Tags", "Key", "AWS:x",
	      "Value", "v");
	FAILS("InvalidParameter", 400, "Invalid parameter: Duplicated keys are not allowed.",
	      "TagResource", "{s:s,s:[{s:s,s:s},{s:s,s:s}]}", "ResourceArn", TOPIC, "Tags", "Key",
	      "k", "Value", "1", "Key", "k", "Value", "2");
	FAILS("ValidationError", 400,
	      "1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy "
	      "constraint: Member must not be null",
	      "TagResource", "{s:s,s:[{s:s}]}", "ResourceArn", TOPIC, "Tags", "Key", "k");
	FAILS("ValidationError", 400,
	      "1 validation error detected: Value null at 'tags' failed to satisfy constraint: "
	      "Member must not be null",
	      "TagResource", "{s:s}", "ResourceArn", TOPIC);
	FAILS("ValidationError", 400,
	      "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: "
	      "Member must not be null",
	      "UntagResource", "{s:s}", "ResourceArn", TOPIC);
	fx_teardown(&fx);
}

static void test_tag_resources(void)
{
	static const char *const ops[] = {"TagResource", "UntagResource", "ListTagsForResource"};

	setup();
	for (int i = 0; i < 3; i++) {
		json_t *a = json_pack("{s:s,s:[{s:s,s:s}],s:[s]}", "ResourceArn",
				      "arn:aws:sns:us-east-1:000000000000:nope", "Tags", "Key", "k",
				      "Value", "v", "TagKeys", "k");

		FAILS("ResourceNotFound", 404, "Resource does not exist", ops[i], "O", a);
		json_object_set_new(a, "ResourceArn", json_string("nope"));
		FAILS("InvalidParameter", 400,
		      "Invalid parameter: ResourceArn Reason: An ARN must have at least 6 elements, "
		      "not 1",
		      ops[i], "O", a);
		json_object_set_new(a, "ResourceArn",
				    json_string("arn:aws:sns:us-east-1:000000000000:t:"
						"11111111-2222-4333-8444-555555555555"));
		FAILS("InvalidParameter", 400,
		      "Invalid parameter: ResourceArn Reason: only topics can be tagged", ops[i],
		      "O", a);
		json_object_set_new(a, "ResourceArn",
				    json_string("arn:aws:sns:us-east-1:000000000000:app/GCM/a"));
		FAILS("InvalidParameter", 400,
		      "Invalid parameter: ResourceArn Reason: only topics can be tagged", ops[i],
		      "O", a);
		json_object_set_new(a, "ResourceArn",
				    json_string("arn:aws:sns:eu-west-1:000000000000:t"));
		FAILS("InvalidParameter", 400, "Invalid parameter: ResourceArn", ops[i], "O", a);
		json_decref(a);
	}
	FAILS("ValidationError", 400,
	      "1 validation error detected: Value null at 'resourceArn' failed to satisfy "
	      "constraint: Member must not be null",
	      "ListTagsForResource", NULL);
	fx_teardown(&fx);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"tag, untag, list", test_tag_untag_list},
		{"50 tags per resource", test_tag_limit},
		{"keys and values", test_tag_values},
		{"resources", test_tag_resources},
		CU_TEST_INFO_NULL,
	};

	return fx_run_suite("ops_tag", NULL, NULL, tests);
}
