/*
 * The baidu driver on the fake host: the signature against providers.md
 * §6.3's test vectors, the exact request (URL, headers, every form field,
 * a signature the provider would recompute), error codes (§6.4, §0) read
 * leniently, Retry-After.
 */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugins/baidu/baidusign.h"
#include "tests/plugins/h1fixture.h"
#include "tests/unit/run.h"

#define API_KEY "Ljc710pzAa99GULCo8y48NvB"
#define SECRET	"87772555E1C16715EBA5C85341684C58"
#define CHANNEL "3812345678901234567"

static void setup(struct h1fx *fx)
{
	h1fx_host(fx);
	CU_ASSERT_EQUAL_FATAL(h1fx_create(fx, "BAIDU", API_KEY, SECRET, NULL), 0);
}

static void test_official_vector(void)
{
	const struct herald_attr p[] = {
		{"timestamp", "1427180905"},
		{"apikey", API_KEY},
		{"expires", "1313293565"},
	};
	char sign[33];

	CU_ASSERT_EQUAL(baidu_sign("POST", "http://api.tuisong.baidu.com/rest/3.0/test/echo", p, 3,
				   SECRET, sign),
			0);
	CU_ASSERT_STRING_EQUAL(sign, "7d14113142e2a1583b4e9dad3fba73d0");
}

static void test_derived_vector_and_body(void)
{
	const struct herald_attr p[] = {
		{"msg_type", "1"},
		{"msg", "{\"title\":\"Hi\",\"description\":\"你好 world\"}"},
		{"apikey", API_KEY},
		{"channel_id", CHANNEL},
		{"device_type", "3"},
		{"msg_expires", "3600"},
		{"timestamp", "1700000000"},
	};
	char sign[33], *body;
	size_t len = 0;

	CU_ASSERT_EQUAL(baidu_sign("POST",
				   "http://api.tuisong.baidu.com/rest/3.0/push/single_device", p, 7,
				   SECRET, sign),
			0);
	CU_ASSERT_STRING_EQUAL(sign, "1c785645790ec1bd8be288d5248c4471");
	body = baidu_form(p, 7, sign, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(body);
	CU_ASSERT_STRING_EQUAL(
		body,
		"apikey=Ljc710pzAa99GULCo8y48NvB&channel_id=3812345678901234567&device_type=3&msg=%7B%22title%22%3A%22Hi%22%2C%22description%22%3A%22%E4%BD%A0%E5%A5%BD+world%22%7D&msg_expires=3600&msg_type=1&timestamp=1700000000&sign=1c785645790ec1bd8be288d5248c4471");
	CU_ASSERT_EQUAL(len, strlen(body));
	free(body);
}

static void test_urlencode(void)
{
	char out[64];

	CU_ASSERT_EQUAL(baidu_urlencode(out, "aZ09-_. ~*/", 11), strlen("aZ09-_.+%7E%2A%2F"));
	CU_ASSERT_STRING_EQUAL(out, "aZ09-_.+%7E%2A%2F");
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decode the form body into at most max pairs (strings malloc'ed); the number of pairs. */
static size_t parse_form(const char *body, struct herald_attr *out, size_t max)
{
	size_t n = 0;

	while (*body && n < max) {
		size_t len = strcspn(body, "&");
		char *pair = malloc(len + 1), *o = pair, *eq;

		for (size_t i = 0; i < len; i++) {
			if (body[i] == '+') {
				*o++ = ' ';
			} else if (body[i] == '%' && i + 2 < len + 1) {
				*o++ = (char)(hexval(body[i + 1]) << 4 | hexval(body[i + 2]));
				i += 2;
			} else {
				*o++ = body[i];
			}
		}
		*o = '\0';
		eq = strchr(pair, '=');
		CU_ASSERT_PTR_NOT_NULL_FATAL(eq);
		*eq = '\0';
		out[n].name = pair;
		out[n++].value = eq + 1;
		body += len + (body[len] == '&');
	}
	return n;
}

static void free_form(struct herald_attr *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)p[i].name);
}

static const char *form_get(const struct herald_attr *p, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(p[i].name, name))
			return p[i].value;
	return NULL;
}

static void test_exact_request(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification(
		"BAIDU", CHANNEL, "{\"title\":\"Hi\",\"description\":\"你好 & *\"}");
	const struct fakehost_request *r;
	struct herald_attr p[16];
	char sign[33], *again;
	time_t t0 = time(NULL), t1;
	size_t np, len;
	long long ts;

	setup(&fx);
	CU_ASSERT_EQUAL(fakehost_pool(fx.fh, 0)->version, HERALD_HTTP_1_1);
	n.baidu_message_type = 1;
	n.baidu_deploy_status = 2;
	n.ttl_s = 3600;
	n.baidu_message_key = "k1";
	fakehost_respond(
		fx.fh, 200,
		"{\"request_id\":1,\"response_params\":{\"msg_id\":\"7\",\"send_time\":1}}", NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 1)->kind, HERALD_OUTCOME_DELIVERED);
	t1 = time(NULL);
	r = fakehost_request(fx.fh, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_STRING_EQUAL(r->method, "POST");
	CU_ASSERT_STRING_EQUAL(r->url, "https://api.tuisong.baidu.com/rest/3.0/push/single_device");
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "Content-Type"),
			       "application/x-www-form-urlencoded;charset=utf-8");
	CU_ASSERT_EQUAL(strncmp(fakehost_header(r, "User-Agent"), "BCCS_SDK/3.0", 12), 0);
	CU_ASSERT_PTR_NULL(fakehost_header(r, "Authorization"));
	CU_ASSERT_PTR_NULL(strstr(r->body, SECRET));
	np = parse_form(r->body, p, 16);
	CU_ASSERT_EQUAL(np, 10);
	CU_ASSERT_STRING_EQUAL(p[np - 1].name, "sign"); /* sorted fields, then sign */
	CU_ASSERT_STRING_EQUAL(form_get(p, np, "apikey"), API_KEY);
	CU_ASSERT_STRING_EQUAL(form_get(p, np, "channel_id"), CHANNEL);
	CU_ASSERT_STRING_EQUAL(form_get(p, np, "device_type"), "3");
	CU_ASSERT_STRING_EQUAL(form_get(p, np, "msg"),
			       "{\"title\":\"Hi\",\"description\":\"你好 & *\"}");
	CU_ASSERT_STRING_EQUAL(form_get(p, np, "msg_type"), "1");
	CU_ASSERT_STRING_EQUAL(form_get(p, np, "msg_expires"), "3600");
	CU_ASSERT_STRING_EQUAL(form_get(p, np, "deploy_status"), "2");
	ts = atoll(form_get(p, np, "timestamp"));
	/* time() reads the coarse clock, a few ms behind the driver's: allow its second */
	CU_ASSERT(ts >= t0 && ts <= t1 + 1);
	CU_ASSERT_EQUAL(atoll(form_get(p, np, "expires")), ts + 600);
	/* The provider's check: the signature over every other field and the exact URL. */
	CU_ASSERT_EQUAL(baidu_sign("POST", r->url, p, np - 1, SECRET, sign), 0);
	CU_ASSERT_STRING_EQUAL(form_get(p, np, "sign"), sign);
	again = baidu_form(p, np - 1, sign, &len);
	CU_ASSERT_STRING_EQUAL(again, r->body);
	free(again);
	free_form(p, np);
	CU_ASSERT_FALSE(fakehost_log_contains(fx.fh, SECRET));
	h1fx_teardown(&fx);
}

static void test_url_option_and_bounds(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification("BAIDU", CHANNEL, "plain message");
	struct herald_attr p[16];
	char sign[33];
	size_t np;

	h1fx_host(&fx);
	CU_ASSERT_EQUAL_FATAL(
		h1fx_create(&fx, "BAIDU", API_KEY, SECRET, "url", "http://127.0.0.1:4435/", NULL),
		0);
	n.ttl_s = 0;
	fakehost_respond(fx.fh, 200, "{}", NULL);
	h1fx_send_run(&fx, &n, 1);
	CU_ASSERT_STRING_EQUAL(fakehost_request(fx.fh, 0)->url,
			       "http://127.0.0.1:4435/rest/3.0/push/single_device");
	np = parse_form(fakehost_request(fx.fh, 0)->body, p, 16);
	CU_ASSERT_STRING_EQUAL(form_get(p, np, "msg_expires"), "1");
	CU_ASSERT_PTR_NULL(form_get(p, np, "msg_type"));      /* absent: Baidu's default */
	CU_ASSERT_PTR_NULL(form_get(p, np, "deploy_status")); /* absent: not sent */
	CU_ASSERT_EQUAL(baidu_sign("POST", "http://127.0.0.1:4435/rest/3.0/push/single_device", p,
				   np - 1, SECRET, sign),
			0);
	CU_ASSERT_STRING_EQUAL(form_get(p, np, "sign"), sign);
	free_form(p, np);
	n.ttl_s = 30 * 24 * 3600;
	fakehost_respond(fx.fh, 200, "{}", NULL);
	h1fx_send_run(&fx, &n, 2);
	np = parse_form(fakehost_request(fx.fh, 1)->body, p, 16);
	CU_ASSERT_STRING_EQUAL(form_get(p, np, "msg_expires"), "604800");
	free_form(p, np);
	h1fx_teardown(&fx);
}

static void test_error_codes(void)
{
	static const struct {
		int status;
		const char *body;
		int kind;
	} cases[] = {
		{500,
		 "{\"request_id\":1,\"error_code\":30600,\"error_msg\":\"Internal Server Error\"}",
		 HERALD_OUTCOME_RETRY},
		{405,
		 "{\"request_id\":1,\"error_code\":30601,\"error_msg\":\"Method Not Allowed\"}",
		 HERALD_OUTCOME_PAYLOAD_REJECTED},
		{400,
		 "{\"request_id\":1,\"error_code\":30602,\"error_msg\":\"Request Params Not Valid\"}",
		 HERALD_OUTCOME_PAYLOAD_REJECTED},
		{401,
		 "{\"request_id\":1,\"error_code\":30603,\"error_msg\":\"Authentication Failed\"}",
		 HERALD_OUTCOME_CREDENTIAL_ERROR},
		{402, "{\"request_id\":1,\"error_code\":30604,\"error_msg\":\"Quota Use Up\"}",
		 HERALD_OUTCOME_CREDENTIAL_ERROR},
		{401,
		 "{\"request_id\":1,\"error_code\":30606,\"error_msg\":\"Request Time Expires\"}",
		 HERALD_OUTCOME_CREDENTIAL_ERROR},
		{400,
		 "{\"request_id\":1,\"error_code\":30607,\"error_msg\":\"Channel Token Timeout\"}",
		 HERALD_OUTCOME_TOKEN_INVALID},
		{400,
		 "{\"request_id\":1,\"error_code\":30608,\"error_msg\":\"Bind Relation Not Found\"}",
		 HERALD_OUTCOME_TOKEN_INVALID},
		{400,
		 "{\"request_id\":1,\"error_code\":30609,\"error_msg\":\"Bind Number Too Many\"}",
		 HERALD_OUTCOME_PAYLOAD_REJECTED},
		/* Nested one level, as the Java SDK also reads it. */
		{400, "{\"response\":{\"error_code\":30608,\"error_msg\":\"x\"}}",
		 HERALD_OUTCOME_TOKEN_INVALID},
		/* An HTML page with the JSON after </pre>. */
		{503,
		 "<html><pre>Service Unavailable</pre>{\"request_id\":2,\"error_code\":30600,\"error_msg\":\"x\"}",
		 HERALD_OUTCOME_RETRY},
		{502, "<html>bad gateway</html>", HERALD_OUTCOME_RETRY},
		{404, "not json", HERALD_OUTCOME_PAYLOAD_REJECTED},
	};
	struct h1fx fx;

	setup(&fx);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct herald_notification n = h1fx_notification("BAIDU", CHANNEL, "m");
		const struct fakehost_outcome *o;

		fakehost_respond(fx.fh, cases[i].status, cases[i].body, NULL);
		o = h1fx_send_run(&fx, &n, i + 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		CU_ASSERT_EQUAL(o->kind, cases[i].kind);
		if (o->kind != cases[i].kind)
			fprintf(stderr, "\n  case %zu: got %d\n", i, o->kind);
		CU_ASSERT_EQUAL(o->status, cases[i].status);
	}
	h1fx_teardown(&fx);
}

static void test_retry_after(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification("BAIDU", CHANNEL, "m");

	setup(&fx);
	fakehost_respond(fx.fh, 500, "{\"error_code\":30600}", "retry-after", "20", NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 1)->retry_after_ms, 20000);
	fakehost_fail(fx.fh, "connect", 1);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 2)->kind, HERALD_OUTCOME_RETRY);
	h1fx_teardown(&fx);
}

static void test_tokens_and_config(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification("BAIDU", CHANNEL, "");
	char err[256];

	setup(&fx);
	CU_ASSERT_EQUAL(fx.d->validate_token("BAIDU", CHANNEL, strlen(CHANNEL), err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(fx.d->validate_token("BAIDU", "12ab", 4, err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_EQUAL(fx.d->validate_token("BAIDU", "", 0, err, sizeof(err)), HERALD_EINVAL);
	CU_ASSERT_EQUAL(fx.d->validate_token("BAIDU", "123456789012345678901234567890123", 33, err,
					     sizeof(err)),
			HERALD_EINVAL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 1)->kind, HERALD_OUTCOME_PAYLOAD_REJECTED);
	CU_ASSERT_EQUAL(fakehost_nrequests(fx.fh), 0);
	h1fx_teardown(&fx);
	h1fx_host(&fx);
	CU_ASSERT_EQUAL(h1fx_create(&fx, "BAIDU", NULL, SECRET, NULL), HERALD_EINVAL);
	CU_ASSERT_EQUAL(h1fx_create(&fx, "BAIDU", API_KEY, NULL, NULL), HERALD_EINVAL);
	CU_ASSERT_EQUAL(h1fx_create(&fx, "BAIDU", API_KEY, SECRET, "url", "api.tuisong", NULL),
			HERALD_EINVAL);
	CU_ASSERT_PTR_NULL(strstr(fx.err, SECRET));
	h1fx_teardown(&fx);
}

static void test_remaining_ttl_and_expiry(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification("BAIDU", CHANNEL, "m");
	struct herald_attr p[16];
	long long left;
	size_t np;

	setup(&fx);
	n.ttl_s = 86400;
	n.expiration_ms = (int64_t)time(NULL) * 1000 + 200 * 1000;
	fakehost_respond(fx.fh, 200, "{}", NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 1)->kind, HERALD_OUTCOME_DELIVERED);
	np = parse_form(fakehost_request(fx.fh, 0)->body, p, 16);
	left = atoll(form_get(p, np, "msg_expires"));
	CU_ASSERT(left >= 197 && left <= 200);
	free_form(p, np);
	/* no TTL applies: no msg_expires (Baidu's default), whatever the broker's own expiry */
	n.ttl_s = -1;
	fakehost_respond(fx.fh, 200, "{}", NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 2)->kind, HERALD_OUTCOME_DELIVERED);
	np = parse_form(fakehost_request(fx.fh, 1)->body, p, 16);
	CU_ASSERT_PTR_NULL(form_get(p, np, "msg_expires"));
	CU_ASSERT_PTR_NOT_NULL(form_get(p, np, "msg"));
	free_form(p, np);
	n.expiration_ms = 1;
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 3)->kind, HERALD_OUTCOME_PAYLOAD_REJECTED);
	CU_ASSERT_EQUAL(fakehost_nrequests(fx.fh), 2);
	h1fx_teardown(&fx);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"signature: the official test vector", test_official_vector},
		{"signature and form body: the derived UTF-8 vector", test_derived_vector_and_body},
		{"Java URLEncoder encoding", test_urlencode},
		{"exact request: URL, headers, every field, signature", test_exact_request},
		{"url option; msg_expires bounds; absent options", test_url_option_and_bounds},
		{"error codes, read leniently", test_error_codes},
		{"Retry-After; transport failure", test_retry_after},
		{"channel ids and configuration", test_tokens_and_config},
		{"msg_expires is the TTL left, absent with none; an expired message is not sent",
		 test_remaining_ttl_and_expiry},
		CU_TEST_INFO_NULL,
	};

	return fx_run_suite("baidu driver", NULL, NULL, tests);
}
