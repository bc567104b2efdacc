/* The operation table and the argument helpers every operation relies on. */
#include "config.h"

#include "broker/op.h"
#include "tests/unit/fixture.h"

static void test_table(void)
{
	static const char *const ops[] = {
		"CreatePlatformApplication",
		"GetPlatformApplicationAttributes",
		"SetPlatformApplicationAttributes",
		"DeletePlatformApplication",
		"ListPlatformApplications",
		"CreatePlatformEndpoint",
		"GetEndpointAttributes",
		"SetEndpointAttributes",
		"DeleteEndpoint",
		"ListEndpointsByPlatformApplication",
		"CreateTopic",
		"DeleteTopic",
		"ListTopics",
		"GetTopicAttributes",
		"SetTopicAttributes",
		"Subscribe",
		"Unsubscribe",
		"ListSubscriptions",
		"ListSubscriptionsByTopic",
		"GetSubscriptionAttributes",
		"SetSubscriptionAttributes",
		"Publish",
		"PublishBatch",
		"TagResource",
		"UntagResource",
		"ListTagsForResource",
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		const struct op_def *d = op_find(ops[i]);

		CU_ASSERT_PTR_NOT_NULL_FATAL(d);
		CU_ASSERT_EQUAL(d->role, (strncmp(ops[i], "Publish", 7) == 0) ? OP_ROLE_PUBLISH
									      : OP_ROLE_ADMIN);
	}
	CU_ASSERT_PTR_NULL(op_find("createtopic"));
	CU_ASSERT_PTR_NULL(op_find("DeleteEverything"));
}

static void test_arg_str(void)
{
	json_t *args = json_pack("{s:s, s:i}", "Name", "x", "Number", 3);
	struct op_error err = {0};
	const char *s;

	CU_ASSERT_EQUAL(op_arg_str(args, "Name", true, &s, &err), 0);
	CU_ASSERT_STRING_EQUAL(s, "x");
	CU_ASSERT_EQUAL(op_arg_str(args, "Missing", false, &s, &err), 0);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_EQUAL(op_arg_str(args, "Attributes", true, &s, &err), -1);
	FX_ASSERT_ERROR(err, "ValidationError", 400,
			"1 validation error detected: Value null at 'attributes' failed to satisfy "
			"constraint: Member must not be null");
	CU_ASSERT_EQUAL(op_arg_str(args, "Number", true, &s, &err), -1);
	FX_ASSERT_ERROR(err, "InvalidParameter", 400,
			"Invalid parameter: Number Reason: must be a string");
	json_decref(args);
}

static void test_arg_map(void)
{
	json_t *args = json_pack("{s:{s:s}, s:{}, s:{s:i}, s:[]}", "Good", "a", "b", "Empty", "Bad",
				 "a", 1, "List");
	struct op_error err = {0};
	json_t *m;

	CU_ASSERT_EQUAL(op_arg_map(args, "Good", true, &m, &err), 0);
	CU_ASSERT_EQUAL(json_object_size(m), 1);
	/* An empty map is what an AWS client sends as nothing at all. */
	CU_ASSERT_EQUAL(op_arg_map(args, "Empty", true, &m, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.code, "ValidationError");
	CU_ASSERT_EQUAL(op_arg_map(args, "Empty", false, &m, &err), 0);
	CU_ASSERT_PTR_NULL(m);
	CU_ASSERT_EQUAL(op_arg_map(args, "Bad", true, &m, &err), -1);
	FX_ASSERT_ERROR(err, "InvalidParameter", 400,
			"Invalid parameter: Bad Reason: the value of a must be a string");
	CU_ASSERT_EQUAL(op_arg_map(args, "List", true, &m, &err), -1);
	CU_ASSERT_STRING_EQUAL(err.code, "InvalidParameter");
	json_decref(args);
}

static void test_arg_bool(void)
{
	json_t *args = json_pack("{s:b, s:s, s:s, s:i}", "A", 1, "B", "FALSE", "C", "yes", "D", 1);
	struct op_error err = {0};
	bool v, present;

	CU_ASSERT_EQUAL(op_arg_bool(args, "A", &v, &present, &err), 0);
	CU_ASSERT(present && v);
	CU_ASSERT_EQUAL(op_arg_bool(args, "B", &v, &present, &err), 0);
	CU_ASSERT(present && !v);
	CU_ASSERT_EQUAL(op_arg_bool(args, "C", &v, &present, &err), -1);
	CU_ASSERT_EQUAL(op_arg_bool(args, "D", &v, &present, &err), -1);
	CU_ASSERT_EQUAL(op_arg_bool(args, "None", &v, &present, &err), 0);
	CU_ASSERT(!present);
	json_decref(args);
}

static void test_next_token(void)
{
	struct op_error err = {0};
	json_t *t = op_next_token_encode(42);
	int64_t seq = -1;

	CU_ASSERT_EQUAL(op_next_token_decode(json_string_value(t), &seq, &err), 0);
	CU_ASSERT_EQUAL(seq, 42);
	CU_ASSERT_EQUAL(op_next_token_decode(NULL, &seq, &err), 0);
	CU_ASSERT_EQUAL(seq, 0);
	static const char *const bad[] = {"42", "h1.", "h1.-3", "h1.12x", "h1.99999999999999999999",
					  "zzz"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(op_next_token_decode(bad[i], &seq, &err), -1);
		FX_ASSERT_ERROR(err, "InvalidParameter", 400, "Invalid parameter: NextToken");
	}
	json_decref(t);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"operation table", test_table}, {"string arguments", test_arg_str},
		{"map arguments", test_arg_map}, {"boolean arguments", test_arg_bool},
		{"NextToken", test_next_token},	 CU_TEST_INFO_NULL,
	};
	return fx_run_suite("op", NULL, NULL, tests);
}
