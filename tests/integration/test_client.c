/*
 * libherald against the real heraldd: calls, SNS errors, pipelining, and the
 * protocol's answers to hostile frames sent on a raw socket (the connection
 * must keep working after each), oversize frames, unknown operations, and
 * clients that vanish with requests in flight.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <jansson.h>

#include "herald/client.h"
#include "tests/integration/native_raw.h"
#include "tests/integration/harness.h"
#include "tests/unit/run.h"

static struct harness H;

static int suite_init(void)
{
	alarm(120); /* a hang is a failure */
	return harness_start(&H, NULL) == 0 ? 0 : -1;
}

static int suite_clean(void)
{
	harness_cleanup(&H);
	return 0;
}

static struct herald *client(void)
{
	struct herald_error e;
	struct herald *h = herald_connect(H.socket, &e);

	if (!h)
		fprintf(stderr, "connect: %s\n", e.message);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	return h;
}

/* herald_call returning the parsed result, or NULL with *e filled. */
static json_t *call(struct herald *h, const char *op, const char *args, struct herald_error *e)
{
	char *out = NULL;
	json_t *j = NULL;

	if (herald_call(h, op, args, &out, e) == 0)
		j = json_loads(out, 0, NULL);
	herald_free(out);
	return j;
}

/* A ListTopics with this id on the raw socket is answered with a result. */
static void expect_raw_works(int fd, unsigned char id)
{
	unsigned char req[] = {0x83, 0xa2, 'i', 'd', id,  0xa2, 'o',  'p', 0xaa, 'L', 'i', 's', 't',
			       'T',  'o',  'p', 'i', 'c', 's',	0xa4, 'a', 'r',	 'g', 's', 0x80};
	json_t *a;

	raw_send(fd, req, sizeof(req), sizeof(req));
	a = raw_recv(fd);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "id")), id);
	CU_ASSERT_TRUE(json_is_array(json_object_get(json_object_get(a, "result"), "Topics")));
	json_decref(a);
}

static void test_call_and_result(void)
{
	struct herald *h = client();
	struct herald_error e;
	char *arn = NULL;
	json_t *r;

	CU_ASSERT_EQUAL_FATAL(herald_create_topic(h, "orders", &arn, &e), 0);
	CU_ASSERT_STRING_EQUAL(arn, "arn:aws:sns:us-east-1:000000000000:orders");
	r = call(h, "GetTopicAttributes",
		 "{\"TopicArn\":\"arn:aws:sns:us-east-1:000000000000:orders\"}", &e);
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_object_get(r, "Attributes"), "TopicArn")),
		arn);
	json_decref(r);
	herald_free(arn);
	herald_close(h);
}

static void test_api_error(void)
{
	struct herald *h = client();
	struct herald_error e;
	char *out = NULL;

	CU_ASSERT_EQUAL(herald_call(h, "GetTopicAttributes",
				    "{\"TopicArn\":\"arn:aws:sns:us-east-1:000000000000:nope\"}",
				    &out, &e),
			HERALD_EAPI);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT_STRING_EQUAL(e.code, "NotFound");
	CU_ASSERT_EQUAL(e.status, 404);
	CU_ASSERT_STRING_EQUAL(e.message, "Topic does not exist");
	/* the typed helpers report the same way */
	CU_ASSERT_EQUAL(
		herald_publish(h, "arn:aws:sns:us-east-1:000000000000:nope", "hi", NULL, &out, &e),
		HERALD_EAPI);
	CU_ASSERT_STRING_EQUAL(e.code, "NotFound");
	CU_ASSERT_STRING_EQUAL(e.message, "Topic does not exist");
	herald_close(h);
}

static void test_unknown_op(void)
{
	struct herald *h = client();
	struct herald_error e;

	CU_ASSERT_EQUAL(herald_call(h, "Frobnicate", NULL, NULL, &e), HERALD_EAPI);
	CU_ASSERT_STRING_EQUAL(e.code, "InvalidAction");
	CU_ASSERT_EQUAL(e.status, 400);
	CU_ASSERT_STRING_EQUAL(e.message,
			       "The action Frobnicate is not valid for this web service.");
	herald_close(h);
}

static void test_pipelining(void)
{
	struct herald *h = client();
	struct herald_error e;
	static uint32_t ids[1000];
	static char seen[1000];
	char args[64], *out;
	uint32_t id;

	for (int i = 0; i < 1000; i++) {
		snprintf(args, sizeof(args), "{\"Name\":\"pipe-%d\"}", i);
		CU_ASSERT_EQUAL_FATAL(herald_send(h, "CreateTopic", args, &ids[i], &e), 0);
	}
	CU_ASSERT_EQUAL(herald_pending(h), 1000);
	for (int i = 0; i < 1000; i++) {
		json_t *j;
		const char *arn;
		int n, k;

		out = NULL;
		CU_ASSERT_EQUAL_FATAL(herald_recv(h, &id, &out, &e), 0);
		j = json_loads(out, 0, NULL);
		arn = json_string_value(json_object_get(j, "TopicArn"));
		CU_ASSERT_FATAL(arn &&
				sscanf(arn, "arn:aws:sns:us-east-1:000000000000:pipe-%d", &n) == 1);
		/* the answer with this id is the one for the request sent with it */
		for (k = 0; k < 1000 && ids[k] != id; k++)
			;
		CU_ASSERT_EQUAL(k, n);
		CU_ASSERT_FALSE(seen[n]);
		seen[n] = 1;
		json_decref(j);
		herald_free(out);
	}
	CU_ASSERT_EQUAL(herald_pending(h), 0);
	CU_ASSERT_PTR_NULL(memchr(seen, 0, sizeof(seen)));
	herald_close(h);
}

static void test_malformed_frames(void)
{
	int fd = raw_connect(H.socket);
	static const unsigned char arr[] = {0x92, 0x01, 0x02};
	static const unsigned char noid[] = {0x81, 0xa2, 'o', 'p', 0xa4, 'E', 'c', 'h', 'o'};
	static const unsigned char strid[] = {0x81, 0xa2, 'i', 'd', 0xa1, '7'};
	static const unsigned char intop[] = {0x82, 0xa2, 'i', 'd', 0x05, 0xa2, 'o', 'p', 0x07};
	static const unsigned char strargs[] = {0x83, 0xa2, 'i', 'd', 0x06, 0xa2, 'o', 'p', 0xa9,
						'L',  'i',  's', 't', 'T',  'o',  'p', 'i', 'c',
						0xa4, 'a',  'r', 'g', 's',  0xa1, 'x'};

	raw_send(fd, "\xc1\xc1\xc1", 3, 3);
	raw_expect_error(fd, 0, "InvalidRequest", 400,
			 "The request is not valid msgpack: invalid msgpack byte 0xc1 at offset 0");
	expect_raw_works(fd, 1);
	raw_send(fd, arr, sizeof(arr), sizeof(arr));
	raw_expect_error(fd, 0, "InvalidRequest", 400,
			 "The request must be a msgpack map {id, op, args}, not an array");
	expect_raw_works(fd, 2);
	raw_send(fd, noid, sizeof(noid), sizeof(noid));
	raw_expect_error(fd, 0, "InvalidRequest", 400, "The request has no \"id\"");
	raw_send(fd, strid, sizeof(strid), sizeof(strid));
	raw_expect_error(
		fd, 0, "InvalidRequest", 400,
		"The request's \"id\" must be an unsigned integer below 2^32, not a string");
	raw_send(fd, intop, sizeof(intop), sizeof(intop));
	raw_expect_error(fd, 5, "InvalidRequest", 400,
			 "The request's \"op\" must be a string, not an integer");
	raw_send(fd, strargs, sizeof(strargs), sizeof(strargs));
	raw_expect_error(fd, 6, "InvalidRequest", 400,
			 "The request's \"args\" must be a map, not a string");
	raw_send(fd, NULL, 0, 0);
	raw_expect_error(fd, 0, "InvalidRequest", 400,
			 "The request is not valid msgpack: empty msgpack data");
	expect_raw_works(fd, 3);
	close(fd);
}

static void test_oversize(void)
{
	int fd = raw_connect(H.socket);
	size_t n = 2000000;
	unsigned char *big = calloc(1, n);

	memcpy(big, "\x83\xa2id\x2a", 5);
	raw_send(fd, big, n, (uint32_t)n);
	raw_expect_error(fd, 42, "RequestTooLarge", 413,
			 "The request is 2000000 bytes long; the limit is 1048576 bytes");
	expect_raw_works(fd, 43);
	free(big);
	close(fd);
}

static void test_disconnect_in_flight(void)
{
	struct herald *h = client();
	struct herald_error e;
	char args[64];
	uint32_t id;
	json_t *r;

	for (int i = 0; i < 300; i++) {
		snprintf(args, sizeof(args), "{\"Name\":\"gone-%d\"}", i);
		CU_ASSERT_EQUAL(herald_send(h, "CreateTopic", args, &id, &e), 0);
	}
	herald_close(h);
	/* a raw client that leaves in the middle of a frame */
	{
		int fd = raw_connect(H.socket);

		CU_ASSERT_EQUAL(send(fd, "\x00\x00\x01\x00\x83", 5, MSG_NOSIGNAL), 5);
		close(fd);
	}
	h = client();
	r = call(h, "ListTopics", NULL, &e);
	CU_ASSERT_TRUE(json_is_array(json_object_get(r, "Topics")));
	json_decref(r);
	herald_close(h);
	CU_ASSERT_EQUAL(kill(H.pid, 0), 0);
}

static void test_typed_helpers(void)
{
	const char *const app_attrs[] = {"PlatformCredential", "AAAA-test-server-key", NULL};
	struct herald *h = client();
	struct herald_error e;
	char *topic = NULL, *app = NULL, *ep = NULL, *sub = NULL, *mid = NULL;

	CU_ASSERT_EQUAL_FATAL(herald_create_topic(h, "typed", &topic, &e), 0);
	CU_ASSERT_EQUAL_FATAL(
		herald_create_platform_application(h, "shop", "GCM", app_attrs, &app, &e), 0);
	CU_ASSERT_STRING_EQUAL(app, "arn:aws:sns:us-east-1:000000000000:app/GCM/shop");
	CU_ASSERT_EQUAL_FATAL(
		herald_create_platform_endpoint(h, app, "token-123", "user 7", NULL, &ep, &e), 0);
	CU_ASSERT_EQUAL(strncmp(ep, "arn:aws:sns:us-east-1:000000000000:endpoint/GCM/shop/", 53),
			0);
	CU_ASSERT_EQUAL_FATAL(herald_subscribe(h, topic, ep, &sub, &e), 0);
	CU_ASSERT_EQUAL(strncmp(sub, "arn:aws:sns:us-east-1:000000000000:typed:", 41), 0);
	/* a topic ARN is published as TopicArn, an endpoint ARN as TargetArn */
	CU_ASSERT_EQUAL(herald_publish(h, topic, "hello", "subj", &mid, &e), 0);
	CU_ASSERT_EQUAL(strlen(mid ? mid : ""), 36);
	herald_free(mid);
	mid = NULL;
	CU_ASSERT_EQUAL(herald_publish(h, ep, "hello", NULL, &mid, &e), 0);
	CU_ASSERT_EQUAL(strlen(mid ? mid : ""), 36);
	CU_ASSERT_EQUAL(herald_unsubscribe(h, sub, &e), 0);
	CU_ASSERT_EQUAL(herald_delete_endpoint(h, ep, &e), 0);
	CU_ASSERT_EQUAL(herald_delete_platform_application(h, app, &e), 0);
	CU_ASSERT_EQUAL(herald_delete_topic(h, topic, &e), 0);
	herald_free(topic);
	herald_free(app);
	herald_free(ep);
	herald_free(sub);
	herald_free(mid);
	herald_close(h);
}

static void test_connect_errors(void)
{
	struct herald_error e;
	char path[400];

	snprintf(path, sizeof(path), "%s/absent.sock", H.dir);
	CU_ASSERT_PTR_NULL(herald_connect(path, &e));
	CU_ASSERT_STRING_EQUAL(e.code, "ConnectionError");
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, path));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(e.message, ": No such file or directory (is heraldd running?)"));
}

/* Last: the daemon going away is a ConnectionError, not a crash or a hang. */
static void test_daemon_stops(void)
{
	struct herald *h = client();
	struct herald_error e;

	CU_ASSERT_EQUAL(harness_stop(&H), 0);
	CU_ASSERT_EQUAL(herald_call(h, "ListTopics", NULL, NULL, &e), HERALD_EIO);
	CU_ASSERT_STRING_EQUAL(e.code, "ConnectionError");
	/* and stays broken */
	CU_ASSERT_EQUAL(herald_call(h, "ListTopics", NULL, NULL, &e), HERALD_EIO);
	herald_close(h);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"call and result", test_call_and_result},
		{"API error with code, status and message", test_api_error},
		{"unknown op is InvalidAction", test_unknown_op},
		{"1000 pipelined requests matched by id", test_pipelining},
		{"malformed frames get InvalidRequest; connection keeps working",
		 test_malformed_frames},
		{"oversize frame gets RequestTooLarge; connection keeps working", test_oversize},
		{"clients leaving with requests in flight", test_disconnect_in_flight},
		{"typed helpers", test_typed_helpers},
		{"connect errors name the socket", test_connect_errors},
		{"daemon stopping", test_daemon_stops},
		CU_TEST_INFO_NULL,
	};
	return fx_run_suite("client", suite_init, suite_clean, tests);
}
