/*
 * The HTTP/2 client pool (broker/http2.c) against the scriptable test server
 * (h2server.c), both on one event loop: round trips, the peer's stream limit
 * as it changes, GOAWAY and REFUSED_STREAM retries, resets, TLS failures
 * (client certificate, CA, host name, ALPN), a server that is down, request
 * timeouts, PING, queue bounds and cancellation.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "broker/http2.h"
#include "common/log.h"
#include "tests/unit/h2server.h"
#include "tests/unit/run.h"

static char dir[256];
static char ca_file[300], other_ca_file[300], srv_cert[300], srv_key[300], wrong_cert[300],
	wrong_key[300];
static char *cli_cert, *cli_key, *other_key;
static struct event_base *base;

struct result {
	int calls;
	int status;
	char error[256];
	int unprocessed;
	char body[256];
	size_t body_len;
	int body_nul; /* a NUL after the body */
	int upper_name;
	char x_method[16], x_path[64], x_test[32];
	int reentrant; /* called from within http2_request() */
	int during_free;
};

static int in_request, in_free;
static struct http2_pool *free_me; /* freed by the next callback (test_cancel) */

static const char *header(const struct herald_http_response *res, const char *name)
{
	for (size_t i = 0; i < res->n_headers; i++)
		if (!strcmp(res->headers[i].name, name))
			return res->headers[i].value;
	return "";
}

static void on_done(void *arg, const struct herald_http_response *res)
{
	struct result *r = arg;

	r->calls++;
	r->reentrant |= in_request;
	r->during_free = in_free;
	r->status = res->status;
	snprintf(r->error, sizeof(r->error), "%s", res->error ? res->error : "");
	r->unprocessed = res->unprocessed;
	r->body_len = res->body_len;
	r->body_nul = res->body[res->body_len] == '\0';
	snprintf(r->body, sizeof(r->body), "%.*s", (int)res->body_len, (const char *)res->body);
	for (size_t i = 0; i < res->n_headers; i++)
		for (const char *c = res->headers[i].name; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				r->upper_name = 1;
	snprintf(r->x_method, sizeof(r->x_method), "%s", header(res, "x-method"));
	snprintf(r->x_path, sizeof(r->x_path), "%s", header(res, "x-path"));
	snprintf(r->x_test, sizeof(r->x_test), "%s", header(res, "x-test"));
	if (free_me) {
		struct http2_pool *p = free_me;

		free_me = NULL;
		http2_pool_free(p);
	}
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	if (!f || !buf) {
		free(buf);
		return NULL;
	}
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int suite_init(void)
{
	char err[256];
	char *d;

	snprintf(dir, sizeof(dir), "/tmp/herald-http2-XXXXXX");
	d = mkdtemp(dir);
	if (!d || h2s_make_pki(dir, err, sizeof(err)) != 0)
		return 1;
	snprintf(ca_file, sizeof(ca_file), "%s/ca.pem", dir);
	snprintf(other_ca_file, sizeof(other_ca_file), "%s/other-ca.pem", dir);
	snprintf(srv_cert, sizeof(srv_cert), "%s/server.pem", dir);
	snprintf(srv_key, sizeof(srv_key), "%s/server.key", dir);
	snprintf(wrong_cert, sizeof(wrong_cert), "%s/wrongname.pem", dir);
	snprintf(wrong_key, sizeof(wrong_key), "%s/wrongname.key", dir);
	{
		char p[300];

		snprintf(p, sizeof(p), "%s/client.pem", dir);
		cli_cert = slurp(p);
		snprintf(p, sizeof(p), "%s/client.key", dir);
		cli_key = slurp(p);
		snprintf(p, sizeof(p), "%s/other.key", dir);
		other_key = slurp(p);
	}
	if (!cli_cert || !cli_key || !other_key)
		return 1;
	log_set_level(LOG_WARNING);
	return 0;
}

static int suite_clean(void)
{
	const char *names[] = {"ca.pem",     "other-ca.pem",  "server.pem",
			       "server.key", "client.pem",    "client.key",
			       "other.key",  "wrongname.pem", "wrongname.key"};
	char p[300];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
	free(cli_cert);
	free(cli_key);
	free(other_key);
	return 0;
}

static void setup(void)
{
	base = event_base_new();
}

static void teardown(void)
{
	event_base_free(base);
	base = NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
}

/* Run the loop until *counter >= want or ms pass.  Returns whether it got there. */
static int run_until(const unsigned int *counter, unsigned int want, int ms)
{
	int64_t end = now_ms() + ms;
	struct timeval tick = {0, 5000};
	struct event *ev = evtimer_new(base, on_tick, NULL);

	while (*counter < want && now_ms() < end) {
		evtimer_add(ev, &tick);
		event_base_loop(base, EVLOOP_ONCE);
	}
	event_free(ev);
	return *counter >= want;
}

static void run_for(int ms)
{
	unsigned int never = 0;

	run_until(&never, 1, ms);
}

static struct h2s *server(struct h2s_opts *o)
{
	char err[256];
	struct h2s *s;

	o->cert_file = o->cert_file ? o->cert_file : srv_cert;
	o->key_file = o->key_file ? o->key_file : srv_key;
	s = h2s_new(base, 0, o, err, sizeof(err));
	if (!s)
		fprintf(stderr, "\n  test server: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

static char origin[64];

static void config(struct herald_http_pool_config *c, int port)
{
	snprintf(origin, sizeof(origin), "https://127.0.0.1:%d", port);
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	c->version = HERALD_HTTP_2;
	c->origin = origin;
	c->ca_file = ca_file;
	c->request_timeout_ms = 5000;
}

static struct http2_pool *pool(const struct herald_http_pool_config *c)
{
	char err[256] = "";
	struct http2_pool *p = http2_pool_new(base, c, NULL, "[test]", err, sizeof(err));

	if (!p)
		fprintf(stderr, "\n  http2_pool_new: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	return p;
}

/* Send method path with one optional extra header; returns http2_request()'s value. */
static int send_req(struct http2_pool *p, const char *method, const char *path, const char *hname,
		    const char *hvalue, const char *body, size_t body_len, uint32_t timeout_ms,
		    struct result *res)
{
	struct herald_http_header h = {hname, hvalue};
	char url[256];
	struct herald_http_request req = {
		.size = sizeof(req),
		.method = method,
		.url = url,
		.headers = hname ? &h : NULL,
		.n_headers = hname ? 1 : 0,
		.body = body,
		.body_len = body_len,
		.timeout_ms = timeout_ms,
	};
	int rc;

	snprintf(url, sizeof(url), "%s%s", origin, path);
	in_request = 1;
	rc = http2_request(p, &req, on_done, res);
	in_request = 0;
	return rc;
}

/* Every result's calls, summed, for run_until. */
static unsigned int total_calls;
static void count_calls(const struct result *r, size_t n)
{
	total_calls = 0;
	for (size_t i = 0; i < n; i++)
		total_calls += (unsigned int)r[i].calls;
}

static int run_until_all(struct result *r, size_t n, int ms)
{
	int64_t end = now_ms() + ms;

	for (;;) {
		count_calls(r, n);
		if (total_calls >= n || now_ms() >= end)
			break;
		run_for(5);
	}
	return total_calls >= n;
}

static void test_round_trip(void)
{
	struct h2s_opts o = {0};
	struct h2s *s = server(&o);
	struct herald_http_pool_config c;
	struct http2_pool *p;
	struct result r[3] = {0};
	struct http2_pool_stats st;
	size_t big_len = 200000;
	char *big = malloc(big_len);

	config(&c, h2s_port(s));
	p = pool(&c);
	CU_ASSERT_EQUAL(
		send_req(p, "POST", "/3/device/abc?x=1", "X-Test", "abc", "ping-body", 9, 0, &r[0]),
		0);
	CU_ASSERT_EQUAL(r[0].calls, 0); /* never from within http2_request() */
	CU_ASSERT_TRUE(run_until_all(r, 1, 5000));
	CU_ASSERT_EQUAL(r[0].calls, 1);
	CU_ASSERT_EQUAL(r[0].status, 200);
	CU_ASSERT_FALSE(r[0].reentrant);
	CU_ASSERT_STRING_EQUAL(r[0].body, "ping-body");
	CU_ASSERT_TRUE(r[0].body_nul);
	CU_ASSERT_FALSE(r[0].upper_name);
	CU_ASSERT_STRING_EQUAL(r[0].x_method, "POST");
	CU_ASSERT_STRING_EQUAL(r[0].x_path, "/3/device/abc?x=1");
	CU_ASSERT_STRING_EQUAL(r[0].x_test, "abc");
	CU_ASSERT_EQUAL(h2s_stats(s)->body_len, 9);

	/* No body; the bare origin means "/". */
	CU_ASSERT_EQUAL(send_req(p, "GET", "", NULL, NULL, NULL, 0, 0, &r[1]), 0);
	/* A body larger than the flow-control windows' first chunk. */
	for (size_t i = 0; i < big_len; i++)
		big[i] = (char)('a' + i % 26);
	CU_ASSERT_EQUAL(send_req(p, "PUT", "/big", NULL, NULL, big, big_len, 0, &r[2]), 0);
	CU_ASSERT_TRUE(run_until_all(r, 3, 5000));
	CU_ASSERT_EQUAL(r[1].status, 200);
	CU_ASSERT_STRING_EQUAL(r[1].x_path, "/");
	CU_ASSERT_STRING_EQUAL(r[1].body, "hello");
	CU_ASSERT_EQUAL(r[2].status, 200);
	CU_ASSERT_EQUAL(r[2].body_len, big_len);
	CU_ASSERT_EQUAL(h2s_stats(s)->body_len, big_len);

	/* A response beyond the bound is cut off, and the connection goes on. */
	memset(r, 0, sizeof(r));
	CU_ASSERT_EQUAL(send_req(p, "GET", "/huge", "x-body-size", "5000000", NULL, 0, 0, &r[0]),
			0);
	CU_ASSERT_EQUAL(send_req(p, "GET", "/after", NULL, NULL, NULL, 0, 0, &r[1]), 0);
	CU_ASSERT_TRUE(run_until_all(r, 2, 5000));
	CU_ASSERT_EQUAL(r[0].status, 0);
	CU_ASSERT_EQUAL(r[0].unprocessed, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(r[0].error, "response body larger than"));
	CU_ASSERT_EQUAL(r[1].status, 200);

	http2_pool_stats(p, &st);
	CU_ASSERT_EQUAL(st.requests, 5);
	CU_ASSERT_EQUAL(st.connections, 1);
	CU_ASSERT_EQUAL(st.streams_in_flight, 0);
	CU_ASSERT_EQUAL(h2s_stats(s)->conns, 1);
	http2_pool_free(p);
	h2s_free(s);
	free(big);
}

static void test_bad_requests(void)
{
	struct herald_http_pool_config c;
	struct http2_pool *p;
	struct result r = {0};
	char err[256] = "";

	config(&c, 1); /* nothing listens: these never connect */
	p = pool(&c);
	CU_ASSERT_EQUAL(send_req(p, "POST", "0/x", NULL, NULL, NULL, 0, 0, &r), HERALD_EINVAL);
	CU_ASSERT_EQUAL(send_req(p, "POST", "/x", "Host", "a", NULL, 0, 0, &r), HERALD_EINVAL);
	CU_ASSERT_EQUAL(send_req(p, "POST", "/x", ":path", "/y", NULL, 0, 0, &r), HERALD_EINVAL);
	CU_ASSERT_EQUAL(send_req(p, "POST", "/x", "content-length", "3", NULL, 0, 0, &r),
			HERALD_EINVAL);
	CU_ASSERT_EQUAL(send_req(p, "POST", "/x", "bad name", "v", NULL, 0, 0, &r), HERALD_EINVAL);
	CU_ASSERT_EQUAL(send_req(p, "", "/x", NULL, NULL, NULL, 0, 0, &r), HERALD_EINVAL);
	{
		struct herald_http_request req = {
			.size = sizeof(req), .method = "GET", .url = "https://example.com/x"};

		CU_ASSERT_EQUAL(http2_request(p, &req, on_done, &r), HERALD_EINVAL);
	}
	run_for(20);
	CU_ASSERT_EQUAL(r.calls, 0);
	http2_pool_free(p);
	CU_ASSERT_EQUAL(r.calls, 0);

	c.origin = "http://127.0.0.1:1";
	CU_ASSERT_PTR_NULL(http2_pool_new(base, &c, NULL, "[t]", err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "https://"));
	config(&c, 1);
	c.ca_file = "/nonexistent/ca.pem";
	CU_ASSERT_PTR_NULL(http2_pool_new(base, &c, NULL, "[t]", err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/ca.pem"));
	config(&c, 1);
	c.client_cert = cli_cert;
	c.client_cert_len = strlen(cli_cert);
	c.client_key = other_key;
	c.client_key_len = strlen(other_key);
	CU_ASSERT_PTR_NULL(http2_pool_new(base, &c, NULL, "[t]", err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "does not match"));
	CU_ASSERT_PTR_NULL(strstr(err, "PRIVATE")); /* never quotes the key */
}

static void test_max_streams_change(void)
{
	enum { N = 300 };
	struct h2s_opts o = {.max_streams = 1, .delay_ms = 5};
	struct h2s *s = server(&o);
	struct herald_http_pool_config c;
	struct http2_pool *p;
	struct result *r = calloc(N, sizeof(*r));
	struct http2_pool_stats st;
	int ok = 1;

	config(&c, h2s_port(s));
	p = pool(&c);
	for (int i = 0; i < N; i++)
		CU_ASSERT_EQUAL(send_req(p, "POST", "/n", NULL, NULL, "x", 1, 0, &r[i]), 0);
	CU_ASSERT_TRUE(run_until(&h2s_stats(s)->answered, 5, 5000));
	http2_pool_stats(p, &st);
	CU_ASSERT_TRUE(st.queued > 0);
	CU_ASSERT_EQUAL(st.streams_in_flight, 1);
	CU_ASSERT_EQUAL(h2s_stats(s)->max_open_streams, 1);

	/* The window opens: the queue flows, up to the new limit. */
	h2s_stats(s)->max_open_streams = 0;
	h2s_set_max_streams(s, 100);
	CU_ASSERT_TRUE(run_until_all(r, N, 10000));
	for (int i = 0; i < N; i++)
		ok &= r[i].calls == 1 && r[i].status == 200;
	CU_ASSERT_TRUE(ok);
	CU_ASSERT_TRUE(h2s_stats(s)->max_open_streams <= 100);
	CU_ASSERT_TRUE(h2s_stats(s)->max_open_streams > 1);
	CU_ASSERT_EQUAL(h2s_stats(s)->conns, 1);
	http2_pool_stats(p, &st);
	CU_ASSERT_EQUAL(st.retried_goaway, 0); /* nothing was refused for exceeding the limit */
	CU_ASSERT_EQUAL(st.queued, 0);
	http2_pool_free(p);
	h2s_free(s);
	free(r);
}

static void test_more_connections(void)
{
	enum { N = 35 };
	struct h2s_opts o = {.max_streams = 10};
	struct h2s *s = server(&o);
	struct herald_http_pool_config c;
	struct http2_pool *p;
	struct result r[N] = {0};
	struct http2_pool_stats st;

	config(&c, h2s_port(s));
	c.max_connections = 3;
	p = pool(&c);
	for (int i = 0; i < N; i++)
		CU_ASSERT_EQUAL(send_req(p, "POST", "/m", "x-hang", "1", "x", 1, 0, &r[i]), 0);
	/* Saturated connections make the pool open more, up to max_connections. */
	CU_ASSERT_TRUE(run_until(&h2s_stats(s)->open_streams, 30, 5000));
	run_for(50);
	CU_ASSERT_EQUAL(h2s_stats(s)->conns, 3);
	CU_ASSERT_EQUAL(h2s_stats(s)->open_streams, 30);
	CU_ASSERT_EQUAL(h2s_stats(s)->max_open_streams, 10);
	http2_pool_stats(p, &st);
	CU_ASSERT_EQUAL(st.connections, 3);
	CU_ASSERT_EQUAL(st.streams_in_flight, 30);
	CU_ASSERT_EQUAL(st.queued, 5);
	http2_pool_free(p);
	h2s_free(s);
}

static void test_own_stream_cap(void)
{
	enum { N = 10 };
	struct h2s_opts o = {0};
	struct h2s *s = server(&o);
	struct herald_http_pool_config c;
	struct http2_pool *p;
	struct result r[N] = {0};
	struct http2_pool_stats st;

	config(&c, h2s_port(s));
	c.max_streams = 3; /* below the server's 100 */
	p = pool(&c);
	for (int i = 0; i < N; i++)
		CU_ASSERT_EQUAL(send_req(p, "POST", "/m", "x-hang", "1", "x", 1, 0, &r[i]), 0);
	CU_ASSERT_TRUE(run_until(&h2s_stats(s)->open_streams, 3, 5000));
	run_for(50);
	CU_ASSERT_EQUAL(h2s_stats(s)->open_streams, 3);
	http2_pool_stats(p, &st);
	CU_ASSERT_EQUAL(st.streams_in_flight, 3);
	CU_ASSERT_EQUAL(st.queued, N - 3);
	CU_ASSERT_EQUAL(st.connections, 1);
	http2_pool_free(p);
	h2s_free(s);
}

static void test_goaway_retry(void)
{
	enum { N = 25 };
	struct h2s_opts o = {.goaway_after = 20};
	struct h2s *s = server(&o);
	struct herald_http_pool_config c;
	struct http2_pool *p;
	struct result r[N] = {0};
	struct http2_pool_stats st;
	int ok = 1;

	config(&c, h2s_port(s));
	p = pool(&c);
	for (int i = 0; i < N; i++)
		CU_ASSERT_EQUAL(send_req(p, "POST", "/g", NULL, NULL, "x", 1, 0, &r[i]), 0);
	CU_ASSERT_TRUE(run_until_all(r, N, 5000));
	run_for(20);
	for (int i = 0; i < N; i++)
		ok &= r[i].calls == 1 && r[i].status == 200;
	CU_ASSERT_TRUE(ok);
	http2_pool_stats(p, &st);
	CU_ASSERT_EQUAL(st.retried_goaway, 5);
	CU_ASSERT_EQUAL(h2s_stats(s)->answered, N); /* each processed once */
	CU_ASSERT_EQUAL(h2s_stats(s)->conns, 2);
	http2_pool_free(p);
	h2s_free(s);
}

static void test_goaway_twice(void)
{
	enum { N = 15 };
	struct h2s_opts o = {.goaway_after = 5};
	struct h2s *s = server(&o);
	struct herald_http_pool_config c;
	struct http2_pool *p;
	struct result r[N] = {0};
	struct http2_pool_stats st;
	int ok = 0, unprocessed = 0, once = 1;

	config(&c, h2s_port(s));
	p = pool(&c);
	for (int i = 0; i < N; i++)
		CU_ASSERT_EQUAL(send_req(p, "POST", "/g", NULL, NULL, "x", 1, 0, &r[i]), 0);
	CU_ASSERT_TRUE(run_until_all(r, N, 5000));
	run_for(20);
	for (int i = 0; i < N; i++) {
		once &= r[i].calls == 1;
		ok += r[i].status == 200;
		if (r[i].status == 0 && r[i].unprocessed && strstr(r[i].error, "GOAWAY"))
			unprocessed++;
	}
	CU_ASSERT_TRUE(once);
	CU_ASSERT_EQUAL(ok, 10);
	CU_ASSERT_EQUAL(unprocessed, 5);
	http2_pool_stats(p, &st);
	CU_ASSERT_EQUAL(st.retried_goaway, 10);
	CU_ASSERT_EQUAL(h2s_stats(s)->answered, 10);
	http2_pool_free(p);
	h2s_free(s);
}

static void test_rst_stream(void)
{
	struct h2s_opts o = {.refuse_first = 3};
	struct h2s *s = server(&o);
	struct herald_http_pool_config c;
	struct http2_pool *p;
	struct result r[5] = {0};
	struct http2_pool_stats st;

	config(&c, h2s_port(s));
	p = pool(&c);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(send_req(p, "POST", "/r", NULL, NULL, "x", 1, 0, &r[i]), 0);
	CU_ASSERT_TRUE(run_until_all(r, 3, 5000));
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(r[i].status, 200);
	http2_pool_stats(p, &st);
	CU_ASSERT_EQUAL(st.retried_goaway, 3);

	/* Other codes are the caller's: reported, not retried. */
	CU_ASSERT_EQUAL(send_req(p, "POST", "/r", "x-rst", "2", "x", 1, 0, &r[3]), 0);
	/* REFUSED_STREAM every time: retried once, then reported unprocessed. */
	CU_ASSERT_EQUAL(send_req(p, "POST", "/r", "x-rst", "7", "x", 1, 0, &r[4]), 0);
	CU_ASSERT_TRUE(run_until_all(r, 5, 5000));
	CU_ASSERT_EQUAL(r[3].status, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(r[3].error, "INTERNAL_ERROR"));
	CU_ASSERT_EQUAL(r[3].unprocessed, 0);
	CU_ASSERT_EQUAL(r[4].status, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(r[4].error, "REFUSED_STREAM"));
	CU_ASSERT_EQUAL(r[4].unprocessed, 1);
	http2_pool_stats(p, &st);
	CU_ASSERT_EQUAL(st.retried_goaway, 4);
	http2_pool_free(p);
	h2s_free(s);
}

static void test_client_cert(void)
{
	struct h2s_opts o = {.client_ca = ca_file};
	struct h2s *s = server(&o);
	struct herald_http_pool_config c;
	struct http2_pool *p;
	struct result r[2] = {0};

	config(&c, h2s_port(s));
	c.client_cert = cli_cert;
	c.client_cert_len = strlen(cli_cert);
	c.client_key = cli_key;
	c.client_key_len = strlen(cli_key);
	p = pool(&c);
	CU_ASSERT_EQUAL(send_req(p, "POST", "/c", NULL, NULL, "x", 1, 0, &r[0]), 0);
	CU_ASSERT_TRUE(run_until_all(r, 1, 5000));
	CU_ASSERT_EQUAL(r[0].status, 200);
	http2_pool_free(p);

	config(&c, h2s_port(s));
	p = pool(&c);
	CU_ASSERT_EQUAL(send_req(p, "POST", "/c", NULL, NULL, "x", 1, 1000, &r[1]), 0);
	CU_ASSERT_TRUE(run_until_all(&r[1], 1, 5000));
	CU_ASSERT_EQUAL(r[1].status, 0);
	CU_ASSERT_EQUAL(r[1].unprocessed, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(r[1].error, "client certificate"));
	if (!strstr(r[1].error, "client certificate"))
		fprintf(stderr, "\n  got \"%s\"\n", r[1].error);
	http2_pool_free(p);
	h2s_free(s);
}

/* One request that must fail for a TLS reason containing want. */
static void expect_tls_failure(struct h2s *s, const char *ca, const char *want)
{
	struct herald_http_pool_config c;
	struct http2_pool *p;
	struct result r = {0};

	config(&c, h2s_port(s));
	c.ca_file = ca;
	p = pool(&c);
	CU_ASSERT_EQUAL(send_req(p, "POST", "/t", NULL, NULL, "x", 1, 1000, &r), 0);
	CU_ASSERT_TRUE(run_until_all(&r, 1, 5000));
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, want));
	if (!strstr(r.error, want))
		fprintf(stderr, "\n  wanted \"%s\", got \"%s\"\n", want, r.error);
	CU_ASSERT_EQUAL(h2s_stats(s)->answered, 0);
	http2_pool_free(p);
}

static void test_tls_failures(void)
{
	struct h2s_opts o = {0}, wrong = {.cert_file = wrong_cert, .key_file = wrong_key},
			alpn = {.alpn = "http/1.1"};
	struct h2s *s = server(&o);

	expect_tls_failure(s, other_ca_file, "certificate verification failed");
	h2s_free(s);
	s = server(&wrong);
	expect_tls_failure(s, ca_file, "address mismatch");
	h2s_free(s);
	s = server(&alpn);
	expect_tls_failure(s, ca_file, "ALPN");
	h2s_free(s);
}

static void test_default_ca(void)
{
	struct h2s_opts o = {0};
	struct h2s *s = server(&o);
	struct herald_http_pool_config c;
	struct http2_pool *p;
	struct result r = {0};
	char err[256];

	config(&c, h2s_port(s));
	c.ca_file = NULL; /* the default_ca argument applies */
	p = http2_pool_new(base, &c, ca_file, "[t]", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(send_req(p, "GET", "/d", NULL, NULL, NULL, 0, 0, &r), 0);
	CU_ASSERT_TRUE(run_until_all(&r, 1, 5000));
	CU_ASSERT_EQUAL(r.status, 200);
	http2_pool_free(p);
	h2s_free(s);
}

static void test_server_down(void)
{
	struct h2s_opts o = {0};
	struct h2s *s = server(&o);
	int port = h2s_port(s);
	struct herald_http_pool_config c;
	struct http2_pool *p;
	struct result r[2] = {0};
	struct http2_pool_stats st;
	int64_t t0;

	h2s_free(s); /* nothing listens on port now */
	config(&c, port);
	p = pool(&c);
	t0 = now_ms();
	CU_ASSERT_EQUAL(send_req(p, "POST", "/d", NULL, NULL, "x", 1, 1000, &r[0]), 0);
	CU_ASSERT_TRUE(run_until_all(r, 1, 5000));
	CU_ASSERT_TRUE(now_ms() - t0 >= 900);
	CU_ASSERT_EQUAL(r[0].status, 0);
	CU_ASSERT_EQUAL(r[0].unprocessed, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(r[0].error, "timeout"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r[0].error, "refused"));
	http2_pool_stats(p, &st);
	/* Attempts back off: a few in a second, not hundreds. */
	CU_ASSERT_TRUE(st.reconnects >= 1);
	CU_ASSERT_TRUE(st.reconnects <= 10);

	/* The server comes back: a waiting request goes through. */
	CU_ASSERT_EQUAL(send_req(p, "POST", "/d", NULL, NULL, "x", 1, 8000, &r[1]), 0);
	run_for(200);
	s = h2s_new(base, port, &(struct h2s_opts){.cert_file = srv_cert, .key_file = srv_key},
		    r[0].error, sizeof(r[0].error));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_TRUE(run_until_all(&r[1], 1, 8000));
	CU_ASSERT_EQUAL(r[1].status, 200);
	http2_pool_free(p);
	h2s_free(s);
}

static void test_request_timeout(void)
{
	struct h2s_opts o = {0};
	struct h2s *s = server(&o);
	struct herald_http_pool_config c;
	struct http2_pool *p;
	struct result r[2] = {0};
	struct http2_pool_stats st;

	config(&c, h2s_port(s));
	p = pool(&c);
	CU_ASSERT_EQUAL(send_req(p, "POST", "/h", "x-hang", "1", "x", 1, 300, &r[0]), 0);
	CU_ASSERT_TRUE(run_until_all(r, 1, 5000));
	CU_ASSERT_EQUAL(r[0].status, 0);
	CU_ASSERT_EQUAL(r[0].unprocessed, 0); /* sent: the server may have acted on it */
	CU_ASSERT_PTR_NOT_NULL(strstr(r[0].error, "timeout"));
	/* The stream is reset, and the connection still serves. */
	CU_ASSERT_TRUE(run_until(&h2s_stats(s)->rst_received, 1, 5000));
	CU_ASSERT_EQUAL(send_req(p, "POST", "/h", NULL, NULL, "x", 1, 0, &r[1]), 0);
	CU_ASSERT_TRUE(run_until_all(&r[1], 1, 5000));
	CU_ASSERT_EQUAL(r[1].status, 200);
	http2_pool_stats(p, &st);
	CU_ASSERT_EQUAL(st.streams_in_flight, 0);
	CU_ASSERT_EQUAL(h2s_stats(s)->conns, 1);
	http2_pool_free(p);
	h2s_free(s);
}

static void test_cancel(void)
{
	struct h2s_opts o = {.max_streams = 1};
	struct h2s *s = server(&o);
	struct herald_http_pool_config c;
	struct http2_pool *p;
	struct result r[5] = {0};

	config(&c, h2s_port(s));
	c.max_queued = 2;
	p = pool(&c);
	CU_ASSERT_EQUAL(send_req(p, "POST", "/h", "x-hang", "1", "x", 1, 0, &r[0]), 0);
	CU_ASSERT_TRUE(run_until(&h2s_stats(s)->open_streams, 1, 5000));
	CU_ASSERT_EQUAL(send_req(p, "POST", "/h", "x-hang", "1", "x", 1, 0, &r[1]), 0);
	CU_ASSERT_EQUAL(send_req(p, "POST", "/h", "x-hang", "1", "x", 1, 0, &r[2]), 0);
	/* max_queued waiting already. */
	CU_ASSERT_EQUAL(send_req(p, "POST", "/h", NULL, NULL, "x", 1, 0, &r[3]), HERALD_EAGAIN);
	run_for(20);
	in_free = 1;
	http2_pool_free(p);
	in_free = 0;
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(r[i].calls, 1);
		CU_ASSERT_TRUE(r[i].during_free);
		CU_ASSERT_EQUAL(r[i].status, 0);
		CU_ASSERT_STRING_EQUAL(r[i].error, "cancelled");
	}
	CU_ASSERT_EQUAL(r[0].unprocessed, 0); /* it had been sent */
	CU_ASSERT_EQUAL(r[1].unprocessed, 1);
	CU_ASSERT_EQUAL(r[3].calls, 0);
	h2s_free(s);

	/* A done callback may free the pool: the rest are cancelled, nothing breaks. */
	memset(r, 0, sizeof(r));
	o.max_streams = 0;
	s = server(&o);
	config(&c, h2s_port(s));
	p = pool(&c);
	CU_ASSERT_EQUAL(send_req(p, "POST", "/a", NULL, NULL, "x", 1, 0, &r[0]), 0);
	CU_ASSERT_EQUAL(send_req(p, "POST", "/b", "x-hang", "1", "x", 1, 0, &r[1]), 0);
	CU_ASSERT_TRUE(run_until(&h2s_stats(s)->open_streams, 1, 5000));
	free_me = p;
	CU_ASSERT_TRUE(run_until_all(r, 2, 5000));
	CU_ASSERT_EQUAL(r[0].status, 200);
	CU_ASSERT_STRING_EQUAL(r[1].error, "cancelled");
	CU_ASSERT_PTR_NULL(free_me);
	run_for(20);
	h2s_free(s);
}

static void test_ping(void)
{
	struct h2s_opts o = {0}, mute = {.no_ping_ack = 1};
	struct h2s *s = server(&o);
	struct herald_http_pool_config c;
	struct http2_pool *p;
	struct result r[2] = {0};
	struct http2_pool_stats st;

	config(&c, h2s_port(s));
	c.ping_interval_ms = 100;
	p = pool(&c);
	CU_ASSERT_EQUAL(send_req(p, "GET", "/p", NULL, NULL, NULL, 0, 0, &r[0]), 0);
	CU_ASSERT_TRUE(run_until_all(r, 1, 5000));
	/* The server's PING is answered. */
	h2s_ping(s);
	CU_ASSERT_TRUE(run_until(&h2s_stats(s)->ping_acks, 1, 5000));
	/* An idle connection is kept alive with PINGs of its own. */
	CU_ASSERT_TRUE(run_until(&h2s_stats(s)->pings, 2, 5000));
	http2_pool_stats(p, &st);
	CU_ASSERT_EQUAL(st.connections, 1);
	http2_pool_free(p);
	h2s_free(s);

	/* A PING never answered drops the connection. */
	s = server(&mute);
	config(&c, h2s_port(s));
	c.ping_interval_ms = 100;
	p = pool(&c);
	CU_ASSERT_EQUAL(send_req(p, "GET", "/p", NULL, NULL, NULL, 0, 0, &r[1]), 0);
	CU_ASSERT_TRUE(run_until_all(&r[1], 1, 5000));
	CU_ASSERT_TRUE(run_until(&h2s_stats(s)->pings, 1, 5000));
	run_for(400);
	http2_pool_stats(p, &st);
	CU_ASSERT_EQUAL(st.connections, 0);
	http2_pool_free(p);
	h2s_free(s);
}

/* A peer that accepts TCP and never says a word; it keeps the sockets until freed. */
static evutil_socket_t mute_fds[16];
static int n_mute_fds;

static void on_mute_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
			   int salen, void *arg)
{
	if (n_mute_fds < 16)
		mute_fds[n_mute_fds++] = fd;
	else
		evutil_closesocket(fd);
}

static void test_connect_timeout(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	struct evconnlistener *lis =
		evconnlistener_new_bind(base, on_mute_accept, NULL, LEV_OPT_CLOSE_ON_FREE, 16,
					(struct sockaddr *)&sin, sizeof(sin));
	struct herald_http_pool_config c;
	struct http2_pool *p;
	struct result r = {0};

	CU_ASSERT_PTR_NOT_NULL_FATAL(lis);
	getsockname(evconnlistener_get_fd(lis), (struct sockaddr *)&sin, &len);
	config(&c, ntohs(sin.sin_port));
	c.connect_timeout_ms = 200;
	p = pool(&c);
	CU_ASSERT_EQUAL(send_req(p, "POST", "/t", NULL, NULL, "x", 1, 800, &r), 0);
	CU_ASSERT_TRUE(run_until_all(&r, 1, 5000));
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(r.unprocessed, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "connect timeout"));
	if (!strstr(r.error, "connect timeout"))
		fprintf(stderr, "\n  got \"%s\"\n", r.error);
	http2_pool_free(p);
	evconnlistener_free(lis);
	while (n_mute_fds)
		evutil_closesocket(mute_fds[--n_mute_fds]);
}

static void test_host_name(void)
{
	struct h2s_opts o = {0};
	struct h2s *s = server(&o);
	struct herald_http_pool_config c;
	struct http2_pool *p;
	struct result r = {0};

	config(&c, h2s_port(s));
	snprintf(origin, sizeof(origin), "https://localhost:%d", h2s_port(s));
	p = pool(&c);
	CU_ASSERT_EQUAL(send_req(p, "GET", "/n", NULL, NULL, NULL, 0, 0, &r), 0);
	CU_ASSERT_TRUE(run_until_all(&r, 1, 5000));
	CU_ASSERT_EQUAL(r.status, 200);
	if (r.status != 200)
		fprintf(stderr, "\n  got \"%s\"\n", r.error);
	http2_pool_free(p);
	h2s_free(s);
}

#define T(fn)                    \
	static void fn##_t(void) \
	{                        \
		setup();         \
		fn();            \
		teardown();      \
	}
T(test_round_trip)
T(test_bad_requests)
T(test_max_streams_change)
T(test_more_connections)
T(test_own_stream_cap)
T(test_goaway_retry)
T(test_goaway_twice)
T(test_rst_stream)
T(test_client_cert)
T(test_tls_failures)
T(test_default_ca)
T(test_server_down)
T(test_request_timeout)
T(test_cancel)
T(test_ping)
T(test_connect_timeout)
T(test_host_name)
#undef T

int main(void)
{
	CU_TestInfo tests[] = {
		{"POST round trip: headers, body, NUL, lower-case names", test_round_trip_t},
		{"bad requests and pool configurations are refused", test_bad_requests_t},
		{"the peer's MAX_CONCURRENT_STREAMS, 1 then 100", test_max_streams_change_t},
		{"another connection only when the open ones are saturated",
		 test_more_connections_t},
		{"max_streams caps streams below the peer's limit", test_own_stream_cap_t},
		{"GOAWAY: unprocessed streams retried on a new connection", test_goaway_retry_t},
		{"GOAWAY twice: reported unprocessed", test_goaway_twice_t},
		{"RST_STREAM: REFUSED_STREAM retried once, others reported", test_rst_stream_t},
		{"TLS client certificate required by the server", test_client_cert_t},
		{"TLS: wrong CA, wrong host name, no ALPN h2", test_tls_failures_t},
		{"default CA file", test_default_ca_t},
		{"server down: backoff, timeout, then recovery", test_server_down_t},
		{"request timeout resets the stream", test_request_timeout_t},
		{"pool_free cancels pending requests", test_cancel_t},
		{"PING: answered, sent when idle, unanswered drops", test_ping_t},
		{"connect timeout: a peer that never speaks TLS", test_connect_timeout_t},
		{"origin by host name: DNS, SNI and the name check", test_host_name_t},
		CU_TEST_INFO_NULL,
	};

	return fx_run_suite("http2", suite_init, suite_clean, tests);
}
