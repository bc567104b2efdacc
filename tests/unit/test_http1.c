/*
 * broker/http1.c against a local evhttp server: GET and POST with headers and
 * bodies, lower-cased response headers, NUL-terminated bodies, keep-alive
 * reuse and the per-host connection limit, timeouts, a refused connection
 * (status 0, unprocessed), cancellation on free (also from within a
 * completion), the response size bound, refused requests, and HTTPS with the
 * emulator's CA and a client certificate given from memory.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "broker/http1.h"
#include "tests/unit/run.h"
#include "tests/unit/testsrv.h"

static struct event_base *base;
static struct testsrv *srv, *tls_srv;
static char emu_dir[512];
static int emu_rc;
static struct evhttp_request *held; /* a /hold request, never answered */
static int held_seen;

/* --- the server ------------------------------------------------------------------------ */

static void handle(struct evhttp_request *req, void *arg)
{
	const char *uri = evhttp_request_get_uri(req);
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	char text[2048], cn[256];

	(void)arg;
	if (!strcmp(uri, "/echo")) {
		char *body = testsrv_body(req);
		const char *x = evhttp_find_header(in, "X-Test");
		const char *ct = evhttp_find_header(in, "Content-Type");
		enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

		snprintf(text, sizeof(text), "%s x=%s ct=%s body=%s",
			 cmd == EVHTTP_REQ_GET	  ? "GET"
			 : cmd == EVHTTP_REQ_POST ? "POST"
			 : cmd == EVHTTP_REQ_PUT  ? "PUT"
						  : "OTHER",
			 x ? x : "-", ct ? ct : "-", body ? body : "");
		free(body);
		evhttp_add_header(evhttp_request_get_output_headers(req), "X-Reply", "  Yes ");
		testsrv_reply(req, 200, "text/plain", text);
	} else if (!strncmp(uri, "/status/", 8)) {
		testsrv_reply(req, atoi(uri + 8), "application/json", "{\"reason\":\"scripted\"}");
	} else if (!strcmp(uri, "/big")) {
		char *big = malloc(HTTP1_BODY_MAX + 2);

		memset(big, 'x', HTTP1_BODY_MAX + 1);
		big[HTTP1_BODY_MAX + 1] = '\0';
		testsrv_reply(req, 200, "text/plain", big);
		free(big);
	} else if (!strcmp(uri, "/hold") || !strcmp(uri, "/slow")) {
		held = req; /* answered never: the client times out or cancels */
		held_seen++;
	} else if (!strcmp(uri, "/close")) {
		/* Answer and close: the client's next request needs a new connection. */
		evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
		testsrv_reply(req, 200, "text/plain",
			      testsrv_resumed(req) == 1 ? "resumed" : "full");
	} else if (!strcmp(uri, "/cert")) {
		testsrv_reply(req, 200, "text/plain",
			      testsrv_client_cn(req, cn, sizeof(cn)) == 0 ? cn : "none");
	} else {
		testsrv_reply(req, 404, NULL, "no such path");
	}
}

static int suite_init(void)
{
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	srv = base ? testsrv_new(base, NULL, handle, NULL) : NULL;
	emu_rc = testsrv_emulator_init(emu_dir, sizeof(emu_dir));
	if (emu_rc == 0)
		tls_srv = testsrv_new(base, emu_dir, handle, NULL);
	return srv && (emu_rc != 0 || tls_srv) ? 0 : 1;
}

static int suite_clean(void)
{
	testsrv_free(srv);
	testsrv_free(tls_srv);
	if (emu_rc == 0)
		testsrv_rm_rf(emu_dir);
	event_base_free(base);
	return 0;
}

/* --- the client side ------------------------------------------------------------------- */

struct answer {
	int done, in_request;
	int status, unprocessed;
	char error[512];
	char body[4096];
	size_t body_len;
	int nul_after_body;
	char x_reply[64], content_type[64];
	struct http1_pool *free_pool; /* free this pool from within the callback */
};

static int inside_request; /* set while http1_request() runs */

static void on_done(void *arg, const struct herald_http_response *res)
{
	struct answer *a = arg;

	a->done++;
	a->in_request = inside_request;
	a->status = res->status;
	a->unprocessed = res->unprocessed;
	snprintf(a->error, sizeof(a->error), "%s", res->error ? res->error : "");
	a->body_len = res->body_len;
	if (res->body_len < sizeof(a->body))
		memcpy(a->body, res->body, res->body_len + 1);
	a->nul_after_body = res->body && res->body[res->body_len] == '\0';
	for (size_t i = 0; i < res->n_headers; i++) {
		if (!strcmp(res->headers[i].name, "x-reply"))
			snprintf(a->x_reply, sizeof(a->x_reply), "%s", res->headers[i].value);
		if (!strcmp(res->headers[i].name, "content-type"))
			snprintf(a->content_type, sizeof(a->content_type), "%s",
				 res->headers[i].value);
	}
	if (a->free_pool)
		http1_pool_free(a->free_pool);
}

static struct http1_pool *pool_with(const struct herald_http_pool_config *cfg)
{
	char err[256] = "";
	struct http1_pool *p = http1_pool_new(base, cfg, NULL, "[test]", err, sizeof(err));

	if (!p)
		fprintf(stderr, "pool: %s\n", err);
	return p;
}

static struct http1_pool *pool_plain(unsigned int max_connections)
{
	struct herald_http_pool_config cfg = {.size = sizeof(cfg),
					      .version = HERALD_HTTP_1_1,
					      .max_connections = max_connections};

	return pool_with(&cfg);
}

static int send_req(struct http1_pool *p, const char *method, const char *path, const char *body,
		    size_t body_len, const struct herald_http_header *h, size_t n_h,
		    uint32_t timeout_ms, struct answer *a, struct testsrv *s)
{
	char url[256];
	struct herald_http_request req = {
		.size = sizeof(req),
		.method = method,
		.url = url,
		.headers = h,
		.n_headers = n_h,
		.body = body,
		.body_len = body_len,
		.timeout_ms = timeout_ms,
	};
	int rc;

	snprintf(url, sizeof(url), "%s://127.0.0.1:%d%s", s == tls_srv ? "https" : "http",
		 testsrv_port(s), path);
	inside_request = 1;
	rc = http1_request(p, &req, on_done, a);
	inside_request = 0;
	return rc;
}

static void test_get_post(void)
{
	struct http1_pool *p = pool_plain(0);
	struct herald_http_header h[] = {{"X-Test", "abc"}, {"Content-Type", "application/json"}};
	struct answer a = {0}, b = {0}, c = {0};

	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_EQUAL(send_req(p, "GET", "/echo", NULL, 0, h, 1, 0, &a, srv), 0);
	CU_ASSERT_EQUAL(a.done, 0); /* never from within http1_request() */
	CU_ASSERT_EQUAL(testsrv_run_until(base, &a.done, 5000), 0);
	CU_ASSERT_EQUAL(a.in_request, 0);
	CU_ASSERT_EQUAL(a.status, 200);
	CU_ASSERT_STRING_EQUAL(a.body, "GET x=abc ct=- body=");
	CU_ASSERT(a.nul_after_body);
	CU_ASSERT_STRING_EQUAL(a.x_reply, "Yes"); /* name lower-cased, value trimmed */
	CU_ASSERT_STRING_EQUAL(a.content_type, "text/plain");
	CU_ASSERT_STRING_EQUAL(a.error, "");

	CU_ASSERT_EQUAL(send_req(p, "POST", "/echo", "{\"k\":1}", 7, h, 2, 0, &b, srv), 0);
	CU_ASSERT_EQUAL(testsrv_run_until(base, &b.done, 5000), 0);
	CU_ASSERT_EQUAL(b.status, 200);
	CU_ASSERT_STRING_EQUAL(b.body, "POST x=abc ct=application/json body={\"k\":1}");

	CU_ASSERT_EQUAL(send_req(p, "PUT", "/echo", "v", 1, NULL, 0, 0, &c, srv), 0);
	CU_ASSERT_EQUAL(testsrv_run_until(base, &c.done, 5000), 0);
	CU_ASSERT_STRING_EQUAL(c.body, "PUT x=- ct=application/x-www-form-urlencoded body=v");

	memset(&a, 0, sizeof(a));
	CU_ASSERT_EQUAL(send_req(p, "POST", "/status/429", "", 0, NULL, 0, 0, &a, srv), 0);
	CU_ASSERT_EQUAL(testsrv_run_until(base, &a.done, 5000), 0);
	CU_ASSERT_EQUAL(a.status, 429);
	CU_ASSERT_STRING_EQUAL(a.body, "{\"reason\":\"scripted\"}");
	CU_ASSERT_EQUAL(a.done, 1);
	http1_pool_free(p);
}

static void test_keepalive(void)
{
	struct http1_pool *p = pool_plain(1);
	unsigned int before = testsrv_connections(srv);
	struct answer a[6] = {{0}};
	int all = 0;

	CU_ASSERT_FATAL(p != NULL);
	/* One after the other: one connection. */
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(send_req(p, "GET", "/echo", NULL, 0, NULL, 0, 0, &a[i], srv), 0);
		CU_ASSERT_EQUAL(testsrv_run_until(base, &a[i].done, 5000), 0);
		CU_ASSERT_EQUAL(a[i].status, 200);
	}
	CU_ASSERT_EQUAL(testsrv_connections(srv) - before, 1);
	/* Three at once with max_connections 1: they queue, still one connection. */
	for (int i = 3; i < 6; i++)
		CU_ASSERT_EQUAL(send_req(p, "POST", "/echo", "x", 1, NULL, 0, 0, &a[i], srv), 0);
	for (int i = 3; i < 6; i++) {
		CU_ASSERT_EQUAL(testsrv_run_until(base, &a[i].done, 5000), 0);
		CU_ASSERT_EQUAL(a[i].status, 200);
		all += a[i].done;
	}
	CU_ASSERT_EQUAL(all, 3);
	CU_ASSERT_EQUAL(testsrv_connections(srv) - before, 1);
	http1_pool_free(p);
}

static void test_timeout(void)
{
	struct http1_pool *p = pool_plain(0);
	struct answer a = {0};

	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_EQUAL(send_req(p, "GET", "/slow", NULL, 0, NULL, 0, 300, &a, srv), 0);
	CU_ASSERT_EQUAL(testsrv_run_until(base, &a.done, 5000), 0);
	CU_ASSERT_EQUAL(a.status, 0);
	CU_ASSERT_EQUAL(strncmp(a.error, "timeout", 7), 0);
	CU_ASSERT_EQUAL(a.unprocessed, 0); /* it was sent: the server may have acted on it */
	http1_pool_free(p);
}

static void test_refused(void)
{
	struct http1_pool *p = pool_plain(0);
	struct herald_http_request req = {.size = sizeof(req), .method = "POST"};
	struct answer a = {0};
	struct testsrv *gone = testsrv_new(base, NULL, handle, NULL);
	char url[64];

	CU_ASSERT_FATAL(p && gone);
	/* A port that was just ours and is closed now: the connection is refused. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/echo", testsrv_port(gone));
	testsrv_free(gone);
	req.url = url;
	CU_ASSERT_EQUAL(http1_request(p, &req, on_done, &a), 0);
	CU_ASSERT_EQUAL(testsrv_run_until(base, &a.done, 5000), 0);
	CU_ASSERT_EQUAL(a.status, 0);
	CU_ASSERT_EQUAL(strncmp(a.error, "connect: ", 9), 0);
	CU_ASSERT_EQUAL(a.unprocessed, 1);
	http1_pool_free(p);
}

static void test_cancel(void)
{
	struct http1_pool *p = pool_plain(0);
	struct answer a = {0}, b = {0}, c = {0};
	int seen = held_seen + 1;

	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_EQUAL(send_req(p, "GET", "/hold", NULL, 0, NULL, 0, 0, &a, srv), 0);
	while (held_seen < seen)
		event_base_loop(base, EVLOOP_ONCE);
	http1_pool_free(p);
	/* From within http1_pool_free(), before the loop runs again. */
	CU_ASSERT_EQUAL(a.done, 1);
	CU_ASSERT_EQUAL(a.status, 0);
	CU_ASSERT_STRING_EQUAL(a.error, "cancelled");

	/* Freed from within a completion: the other pending request is cancelled. */
	p = pool_plain(0);
	CU_ASSERT_FATAL(p != NULL);
	b.free_pool = p;
	CU_ASSERT_EQUAL(send_req(p, "GET", "/hold", NULL, 0, NULL, 0, 0, &c, srv), 0);
	CU_ASSERT_EQUAL(send_req(p, "GET", "/echo", NULL, 0, NULL, 0, 0, &b, srv), 0);
	CU_ASSERT_EQUAL(testsrv_run_until(base, &b.done, 5000), 0);
	CU_ASSERT_EQUAL(b.status, 200);
	CU_ASSERT_EQUAL(c.done, 1);
	CU_ASSERT_STRING_EQUAL(c.error, "cancelled");
	/* Nothing more arrives for either. */
	event_base_loop(base, EVLOOP_NONBLOCK);
	CU_ASSERT_EQUAL(b.done, 1);
	CU_ASSERT_EQUAL(c.done, 1);
}

static void test_big(void)
{
	struct http1_pool *p = pool_plain(0);
	struct answer a = {0};
	char want[80];

	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_EQUAL(send_req(p, "GET", "/big", NULL, 0, NULL, 0, 0, &a, srv), 0);
	CU_ASSERT_EQUAL(testsrv_run_until(base, &a.done, 10000), 0);
	CU_ASSERT_EQUAL(a.status, 0);
	snprintf(want, sizeof(want), "response body larger than %u bytes", HTTP1_BODY_MAX);
	CU_ASSERT_STRING_EQUAL(a.error, want);
	http1_pool_free(p);
}

static void test_refused_requests(void)
{
	struct herald_http_pool_config cfg = {.size = sizeof(cfg),
					      .version = HERALD_HTTP_1_1,
					      .max_connections = 1,
					      .max_queued = 1};
	struct http1_pool *p = pool_with(&cfg);
	struct herald_http_request req = {.size = sizeof(req), .method = "GET", .url = "ftp://x/"};
	struct herald_http_header host = {"Host", "evil"}, crlf = {"X-A", "b\r\nX-B: c"},
				  cl = {"content-length", "3"};
	struct answer a = {0}, b = {0}, c = {0};

	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_EQUAL(http1_request(p, &req, on_done, &a), HERALD_EINVAL);
	CU_ASSERT_EQUAL(send_req(p, "GET", "/echo", NULL, 0, &host, 1, 0, &a, srv), HERALD_EINVAL);
	CU_ASSERT_EQUAL(send_req(p, "GET", "/echo", NULL, 0, &crlf, 1, 0, &a, srv), HERALD_EINVAL);
	CU_ASSERT_EQUAL(send_req(p, "GET", "/echo", NULL, 0, &cl, 1, 0, &a, srv), HERALD_EINVAL);
	CU_ASSERT_EQUAL(send_req(p, "GE T", "/echo", NULL, 0, NULL, 0, 0, &a, srv), HERALD_EINVAL);
	CU_ASSERT_EQUAL(send_req(p, "GET", "/x y", NULL, 0, NULL, 0, 0, &a, srv), HERALD_EINVAL);
	/* max_connections + max_queued = 2 pending at most. */
	CU_ASSERT_EQUAL(send_req(p, "GET", "/hold", NULL, 0, NULL, 0, 0, &a, srv), 0);
	CU_ASSERT_EQUAL(send_req(p, "GET", "/hold", NULL, 0, NULL, 0, 0, &b, srv), 0);
	CU_ASSERT_EQUAL(send_req(p, "GET", "/hold", NULL, 0, NULL, 0, 0, &c, srv), HERALD_EAGAIN);
	CU_ASSERT_EQUAL(http1_pending(p), 2);
	http1_pool_free(p);
	CU_ASSERT_EQUAL(a.done + b.done + c.done, 2);
}

static void test_https(void)
{
	struct herald_http_pool_config cfg = {.size = sizeof(cfg), .version = HERALD_HTTP_1_1};
	char ca[600], err[256] = "", *cert, *key, *other_key;
	size_t cert_len, key_len, other_len;
	struct answer a = {0}, b = {0}, c = {0};
	struct http1_pool *p;

	if (emu_rc != 0) {
		CU_FAIL("herald-emulator (built with the tree) is needed for the test CA");
		return;
	}
	snprintf(ca, sizeof(ca), "%s/ca.pem", emu_dir);
	cert = testsrv_read_file(emu_dir, "apns-cert.pem", &cert_len);
	key = testsrv_read_file(emu_dir, "apns-cert-key.pem", &key_len);
	other_key = testsrv_read_file(emu_dir, "mpns-cert-key.pem", &other_len);
	CU_ASSERT_FATAL(cert && key && other_key);

	/* The CA given as the default (drivers.ca_file), no client certificate. */
	p = http1_pool_new(base, &cfg, ca, "[test]", err, sizeof(err));
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_EQUAL(send_req(p, "GET", "/cert", NULL, 0, NULL, 0, 0, &a, tls_srv), 0);
	CU_ASSERT_EQUAL(testsrv_run_until(base, &a.done, 10000), 0);
	CU_ASSERT_EQUAL(a.status, 200);
	CU_ASSERT_STRING_EQUAL(a.body, "none");
	http1_pool_free(p);

	/* With the client certificate from memory. */
	cfg.ca_file = ca;
	cfg.client_cert = cert;
	cfg.client_cert_len = cert_len;
	cfg.client_key = key;
	cfg.client_key_len = key_len;
	p = http1_pool_new(base, &cfg, NULL, "[test]", err, sizeof(err));
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_EQUAL(send_req(p, "GET", "/cert", NULL, 0, NULL, 0, 0, &b, tls_srv), 0);
	CU_ASSERT_EQUAL(testsrv_run_until(base, &b.done, 10000), 0);
	CU_ASSERT_EQUAL(b.status, 200);
	CU_ASSERT_STRING_EQUAL(b.body, "Apple Push Services: com.example.herald");
	/* A new connection of the pool resumes the TLS session: no full handshake. */
	for (int i = 0; i < 2; i++) {
		memset(&b, 0, sizeof(b));
		CU_ASSERT_EQUAL(send_req(p, "GET", "/close", NULL, 0, NULL, 0, 0, &b, tls_srv), 0);
		CU_ASSERT_EQUAL(testsrv_run_until(base, &b.done, 10000), 0);
		if (b.status != 200)
			fprintf(stderr, "/close: %d %s\n", b.status, b.error);
		CU_ASSERT_EQUAL(b.status, 200);
	}
	CU_ASSERT_STRING_EQUAL(b.body, "resumed");
	http1_pool_free(p);

	/* A key that is not the certificate's. */
	cfg.client_key = other_key;
	cfg.client_key_len = other_len;
	CU_ASSERT_PTR_NULL(http1_pool_new(base, &cfg, NULL, "[test]", err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "does not match"));
	CU_ASSERT_PTR_NULL(strstr(err, "PRIVATE"));
	cfg.client_cert = NULL;
	cfg.client_cert_len = 0;
	CU_ASSERT_PTR_NULL(http1_pool_new(base, &cfg, NULL, "[test]", err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "both"));
	cfg.client_key = NULL;
	cfg.client_key_len = 0;

	/* An unreadable CA file is refused up front. */
	cfg.ca_file = "/nonexistent/ca.pem";
	CU_ASSERT_PTR_NULL(http1_pool_new(base, &cfg, NULL, "[test]", err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/ca.pem"));

	/* The system's CAs do not know the emulator's: a TLS failure, never processed. */
	cfg.ca_file = NULL;
	p = http1_pool_new(base, &cfg, NULL, "[test]", err, sizeof(err));
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_EQUAL(send_req(p, "GET", "/cert", NULL, 0, NULL, 0, 0, &c, tls_srv), 0);
	CU_ASSERT_EQUAL(testsrv_run_until(base, &c.done, 10000), 0);
	CU_ASSERT_EQUAL(c.status, 0);
	CU_ASSERT_EQUAL(strncmp(c.error, "TLS: ", 5), 0);
	CU_ASSERT_EQUAL(c.unprocessed, 1);
	http1_pool_free(p);
	free(cert);
	free(key);
	free(other_key);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"GET, POST, PUT: headers and bodies both ways", test_get_post},
		{"keep-alive reuse and max_connections per host", test_keepalive},
		{"request timeout", test_timeout},
		{"connection refused: status 0, unprocessed", test_refused},
		{"free cancels pending requests, also from a completion", test_cancel},
		{"response body bounded", test_big},
		{"bad requests and a full queue refused", test_refused_requests},
		{"HTTPS: CA, client certificate from memory, errors", test_https},
		CU_TEST_INFO_NULL,
	};

	return fx_run_suite("http1", suite_init, suite_clean, tests);
}
