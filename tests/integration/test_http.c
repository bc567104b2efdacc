/*
 * The SNS HTTP API of the real heraldd (http.enabled, port 0, unsigned
 * requests allowed), spoken over a raw TCP socket: the mobile-push flow with
 * form bodies as botocore encodes them, SNS's error XML and statuses,
 * limits, /health and /metrics; and a daemon that requires signatures.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "tests/integration/harness.h"
#include "tests/unit/fixture.h"

#define NS "xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\""

static struct harness H;
static int port;

struct reply {
	int status;
	char *headers; /* status line and headers */
	char *body;
};

static void reply_clear(struct reply *r)
{
	free(r->headers);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/*
 * The port heraldd logged ("http: SNS API listening on 127.0.0.1 port N"), or
 * -1 after 10 s.  The native socket accepts (harness_start() returns) a moment
 * before the HTTP listener is logged, so wait for the line.
 */
static int logged_port(struct harness *h)
{
	static const char needle[] = "SNS API listening on 127.0.0.1 port ";
	struct timespec nap = {0, 5 * 1000 * 1000};
	char *log;
	const char *p;
	int n = -1, i;

	for (i = 0; i < 2000 && n < 0; i++) {
		log = harness_log(h);
		p = log ? strstr(log, needle) : NULL;
		if (p)
			n = atoi(p + strlen(needle));
		else
			nanosleep(&nap, NULL);
		free(log);
	}
	return n;
}

/* One HTTP/1.1 exchange with Connection: close.  0, or -1 on a transport error. */
static int http_do(int p, const char *method, const char *path, const char *body, size_t len,
		   struct reply *r)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
	char head[512], *buf = NULL, *sep;
	size_t n = 0, cap = 0;
	ssize_t got;
	int fd, hl, rc = -1;

	memset(r, 0, sizeof(*r));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	hl = snprintf(head, sizeof(head),
		      "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n"
		      "Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n"
		      "Content-Length: %zu\r\n\r\n",
		      method, path, p, len);
	if (write(fd, head, (size_t)hl) != hl)
		goto out;
	/* the server may answer (413) and close before reading all of a large body */
	if (len && write(fd, body, len) < 0 && errno != EPIPE && errno != ECONNRESET)
		goto out;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap * 2 + 8192);

			if (!nb)
				goto out;
			buf = nb;
		}
		got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == ECONNRESET && n)
			break;
		if (got < 0)
			goto out;
		if (got == 0)
			break;
		n += (size_t)got;
	}
	buf[n] = '\0';
	sep = strstr(buf, "\r\n\r\n");
	if (!sep || sscanf(buf, "HTTP/1.1 %d", &r->status) != 1)
		goto out;
	*sep = '\0';
	r->headers = strdup(buf);
	r->body = strdup(sep + 4);
	rc = r->headers && r->body ? 0 : -1;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

static int post(const char *form, struct reply *r)
{
	return http_do(port, "POST", "/", form, strlen(form), r);
}

/* The text between <tag> and </tag> in s (malloc'd), or NULL. */
static char *element(const char *s, const char *tag)
{
	char open[128], close[128];
	const char *a, *b;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	a = s ? strstr(s, open) : NULL;
	b = a ? strstr(a, close) : NULL;
	return b ? strndup(a + strlen(open), (size_t)(b - a - strlen(open))) : NULL;
}

static int suite_init(void)
{
	alarm(120); /* a hang is a failure */
	if (harness_start(&H, "http: { enabled = true; port = 0; allow_unsigned = true; "
			      "max_body = 4096; };") < 0)
		return -1;
	port = logged_port(&H);
	return port > 0 ? 0 : -1;
}

static int suite_clean(void)
{
	harness_cleanup(&H);
	return 0;
}

static void test_mobile_flow(void)
{
	struct reply r;
	char *app, *ep, *topic, *id, *form = NULL;

	CU_ASSERT_EQUAL_FATAL(post("Action=CreatePlatformApplication&Version=2010-03-31&Name=shop&"
				   "Platform=GCM&Attributes.entry.1.key=PlatformCredential&"
				   "Attributes.entry.1.value=AAAA-test-server-key",
				   &r),
			      0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.headers, "Content-Type: text/xml"));
	app = element(r.body, "PlatformApplicationArn");
	CU_ASSERT_STRING_EQUAL(app, "arn:aws:sns:us-east-1:000000000000:app/GCM/shop");
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body, "<CreatePlatformApplicationResponse " NS
					      "><CreatePlatformApplicationResult>"));
	/* the RequestId header and element agree */
	id = element(r.body, "RequestId");
	CU_ASSERT_PTR_NOT_NULL_FATAL(id);
	CU_ASSERT_EQUAL(strlen(id), 36);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.headers, id));
	free(id);
	reply_clear(&r);

	CU_ASSERT_EQUAL_FATAL(
		post("Action=CreatePlatformEndpoint&Version=2010-03-31&"
		     "PlatformApplicationArn=arn%3Aaws%3Asns%3Aus-east-1%"
		     "3A000000000000%3Aapp%2FGCM%2Fshop&Token=tok123&CustomUserData="
		     "user-42&Attributes.entry.1.key=Enabled&Attributes.entry.1.value="
		     "true",
		     &r),
		0);
	CU_ASSERT_EQUAL(r.status, 200);
	ep = element(r.body, "EndpointArn");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ep);
	CU_ASSERT_EQUAL(strncmp(ep, "arn:aws:sns:us-east-1:000000000000:endpoint/GCM/shop/", 53),
			0);
	reply_clear(&r);

	/* the attributes as written, read back as a map */
	CU_ASSERT(asprintf(&form, "Action=GetEndpointAttributes&Version=2010-03-31&EndpointArn=%s",
			   ep) > 0);
	CU_ASSERT_EQUAL_FATAL(post(form, &r), 0);
	free(form);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(r.body, "<entry><key>CustomUserData</key><value>user-42</value></entry>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body, "<entry><key>Token</key><value>tok123</value>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body, "<entry><key>Enabled</key><value>true</value>"));
	reply_clear(&r);

	/* Publish with MessageStructure=json and message attributes, '+' as space */
	CU_ASSERT(asprintf(&form,
			   "Action=Publish&Version=2010-03-31&TargetArn=%s&MessageStructure=json&"
			   "Message=%%7B%%22default%%22%%3A+%%22hi%%22%%2C+%%22GCM%%22%%3A+%%22%%"
			   "7B%%7D%%22%%7D&MessageAttributes.entry.1.Name=AWS.SNS.MOBILE.FCM.TTL&"
			   "MessageAttributes.entry.1.Value.DataType=String&MessageAttributes."
			   "entry.1.Value.StringValue=3600&MessageAttributes.entry.2.Name=bin&"
			   "MessageAttributes.entry.2.Value.DataType=Binary&MessageAttributes."
			   "entry.2.Value.BinaryValue=AAH%%2F",
			   ep) > 0);
	CU_ASSERT_EQUAL_FATAL(post(form, &r), 0);
	free(form);
	CU_ASSERT_EQUAL(r.status, 200);
	id = element(r.body, "MessageId");
	CU_ASSERT_PTR_NOT_NULL(id);
	CU_ASSERT(id && strlen(id) == 36);
	free(id);
	reply_clear(&r);

	CU_ASSERT_EQUAL_FATAL(post("Action=CreateTopic&Version=2010-03-31&Name=orders&Tags.member."
				   "1.Key=team&Tags.member.1.Value=push",
				   &r),
			      0);
	CU_ASSERT_EQUAL(r.status, 200);
	topic = element(r.body, "TopicArn");
	CU_ASSERT_STRING_EQUAL(topic, "arn:aws:sns:us-east-1:000000000000:orders");
	reply_clear(&r);
	/* an empty output shape still has its Result element */
	CU_ASSERT_EQUAL_FATAL(
		post("Action=UntagResource&Version=2010-03-31&ResourceArn=arn%3Aaws%"
		     "3Asns%3Aus-east-1%3A000000000000%3Aorders&TagKeys.member.1=team",
		     &r),
		0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body, "<UntagResourceResult></UntagResourceResult>"));
	reply_clear(&r);
	/* and an operation without output has none */
	CU_ASSERT_EQUAL_FATAL(post("Action=DeleteTopic&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns"
				   "%3Aus-east-1%3A000000000000%3Aorders",
				   &r),
			      0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_EQUAL(strncmp(r.body, "<DeleteTopicResponse " NS "><ResponseMetadata>", 85), 0);
	reply_clear(&r);
	free(app);
	free(ep);
	free(topic);
}

/* The whole ErrorResponse but the RequestId must be body's; status checked too. */
static void expect_error(const struct reply *r, int status, const char *type, const char *code,
			 const char *message)
{
	char *want = NULL, *id = element(r->body, "RequestId");

	CU_ASSERT_EQUAL(r->status, status);
	CU_ASSERT_PTR_NOT_NULL_FATAL(id);
	CU_ASSERT(asprintf(&want,
			   "<ErrorResponse " NS "><Error><Type>%s</Type><Code>%s</Code><Message>"
			   "%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>",
			   type, code, message, id) > 0);
	CU_ASSERT_STRING_EQUAL(r->body, want);
	CU_ASSERT_PTR_NOT_NULL(strstr(r->headers, "Content-Type: text/xml"));
	free(want);
	free(id);
}

static void test_errors(void)
{
	struct reply r;
	char *ep;

	/* §6.2: same token, different attributes */
	CU_ASSERT_EQUAL_FATAL(post("Action=CreatePlatformApplication&Version=2010-03-31&Name=err&"
				   "Platform=GCM&Attributes.entry.1.key=PlatformCredential&"
				   "Attributes.entry.1.value=k",
				   &r),
			      0);
	reply_clear(&r);
	CU_ASSERT_EQUAL_FATAL(post("Action=CreatePlatformEndpoint&Version=2010-03-31&"
				   "PlatformApplicationArn=arn%3Aaws%3Asns%3Aus-east-1%"
				   "3A000000000000%3Aapp%2FGCM%2Ferr&Token=dup&CustomUserData=a",
				   &r),
			      0);
	ep = element(r.body, "EndpointArn");
	reply_clear(&r);
	CU_ASSERT_EQUAL_FATAL(post("Action=CreatePlatformEndpoint&Version=2010-03-31&"
				   "PlatformApplicationArn=arn%3Aaws%3Asns%3Aus-east-1%"
				   "3A000000000000%3Aapp%2FGCM%2Ferr&Token=dup",
				   &r),
			      0);
	{
		char *msg = NULL;

		CU_ASSERT(asprintf(&msg,
				   "Invalid parameter: Token Reason: Endpoint %s already exists "
				   "with the same Token, but different attributes.",
				   ep) > 0);
		expect_error(&r, 400, "Sender", "InvalidParameter", msg);
		free(msg);
	}
	reply_clear(&r);
	free(ep);

	CU_ASSERT_EQUAL_FATAL(post("Action=DeleteEndpoint&Version=2010-03-31&EndpointArn=x", &r),
			      0);
	expect_error(&r, 400, "Sender", "InvalidParameter",
		     "Invalid parameter: EndpointArn Reason: An ARN must have at least 6 "
		     "elements, not 1");
	reply_clear(&r);

	CU_ASSERT_EQUAL_FATAL(post("Action=GetTopicAttributes&Version=2010-03-31&TopicArn=arn%3Aaws"
				   "%3Asns%3Aus-east-1%3A000000000000%3Anope",
				   &r),
			      0);
	expect_error(&r, 404, "Sender", "NotFound", "Topic does not exist");
	reply_clear(&r);

	CU_ASSERT_EQUAL_FATAL(post("Action=NoSuchThing&Version=2010-03-31", &r), 0);
	expect_error(&r, 400, "Sender", "InvalidAction",
		     "The action NoSuchThing is not valid for this web service.");
	reply_clear(&r);

	/* herald's own operations (drivers) are served on the Unix socket only */
	CU_ASSERT_EQUAL_FATAL(post("Action=ReloadPlugins&Version=2010-03-31", &r), 0);
	expect_error(&r, 400, "Sender", "InvalidAction",
		     "The action ReloadPlugins is not valid for this web service.");
	reply_clear(&r);

	CU_ASSERT_EQUAL_FATAL(post("Version=2010-03-31&Name=x", &r), 0);
	expect_error(&r, 400, "Sender", "MissingAction",
		     "The request must contain the parameter Action");
	reply_clear(&r);

	CU_ASSERT_EQUAL_FATAL(post("Action=ListTopics&Version=2009-01-01", &r), 0);
	expect_error(&r, 400, "Sender", "NoSuchVersion",
		     "The requested version (2009-01-01) of service AmazonSNS does not exist");
	reply_clear(&r);

	CU_ASSERT_EQUAL_FATAL(post("Action=ListTopics&Version=2010-03-31&Bad=%zz", &r), 0);
	expect_error(&r, 404, "Sender", "MalformedQueryString",
		     "The query string contains a syntax error: bad percent-escape");
	reply_clear(&r);
}

static void test_limits(void)
{
	size_t n = 5000;
	char *big = malloc(n + 1);
	struct reply r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memcpy(big, "Action=ListTopics&Version=2010-03-31&X=", 39);
	memset(big + 39, 'a', n - 39);
	big[n] = '\0';
	CU_ASSERT_EQUAL_FATAL(http_do(port, "POST", "/", big, n, &r), 0);
	expect_error(&r, 413, "Sender", "RequestEntityTooLarge",
		     "Request body of 5000 bytes is larger than the limit of 4096 bytes");
	reply_clear(&r);
	free(big);
	/* other paths and methods are not the API */
	CU_ASSERT_EQUAL_FATAL(http_do(port, "GET", "/nope", "", 0, &r), 0);
	CU_ASSERT_EQUAL(r.status, 404);
	reply_clear(&r);
	CU_ASSERT_EQUAL_FATAL(http_do(port, "PUT", "/", "", 0, &r), 0);
	CU_ASSERT_EQUAL(r.status, 405);
	reply_clear(&r);
	/* the form may also come as a GET query string */
	CU_ASSERT_EQUAL_FATAL(
		http_do(port, "GET", "/?Action=ListTopics&Version=2010-03-31", "", 0, &r), 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body, "<ListTopicsResult><Topics>"));
	reply_clear(&r);
}

static void test_health_metrics(void)
{
	struct reply r;

	CU_ASSERT_EQUAL_FATAL(http_do(port, "GET", "/health", "", 0, &r), 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(r.body, "{\"status\":\"ok\"}\n");
	reply_clear(&r);

	CU_ASSERT_EQUAL_FATAL(post("Action=ListTopics&Version=2010-03-31", &r), 0);
	reply_clear(&r);
	CU_ASSERT_EQUAL_FATAL(http_do(port, "GET", "/metrics", "", 0, &r), 0);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.headers, "Content-Type: text/plain; version=0.0.4"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body, "# TYPE herald_requests_total counter\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
		r.body, "herald_requests_total{front=\"http\",op=\"CreatePlatformApplication\","
			"code=\"OK\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
		r.body,
		"herald_requests_total{front=\"http\",op=\"unknown\",code=\"InvalidAction\"} 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body, "herald_publish_ack_seconds_count 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body, "herald_in_flight{front=\"http\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body, "herald_in_flight{front=\"native\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body, "herald_store_commits_total "));
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body, "# TYPE herald_connections_total counter\n"
					      "herald_connections_total{front=\"http\"} "));
	reply_clear(&r);
}

/* A self-signed P-256 certificate for 127.0.0.1, valid until 2126: test data only. */
static const char test_cert[] = "-----BEGIN CERTIFICATE-----\n"
				"MIIBfzCCASWgAwIBAgIUMiiJEasDcEyEDPT/yS1WYjS8/WwwCgYIKoZIzj0EAwIw\n"
				"FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyMzExMjAzMFoYDzIxMjYxMDMw\n"
				"MTEyMDMwWjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO\n"
				"PQMBBwNCAATJYnlWiVD+2DwwS/Z81LZJgDQXLb1FFeyLpxjGP14olMwUiipvX6y/\n"
				"ytLSt77uYkrF/gVqWUtYvdmLb3nclVMpo1MwUTAdBgNVHQ4EFgQUgyIEYFZVVR69\n"
				"YkLPyjpOT7mOB2gwHwYDVR0jBBgwFoAUgyIEYFZVVR69YkLPyjpOT7mOB2gwDwYD\n"
				"VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEAhMJzOXbTrrtYs1PCYvJU\n"
				"VqFWVA557CFO2nFTXcKgK7QCIFDfz8j5jQkh5ISPi2e7sxLAPRuD0E+CX8sYkl71\n"
				"UaAY\n"
				"-----END CERTIFICATE-----\n";
static const char test_key[] = "-----BEGIN PRIVATE KEY-----\n"
			       "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgG/EqO/jSG/zxJDRk\n"
			       "ZZQUqxOIkPQ/sHvGdCb1VI56iUShRANCAATJYnlWiVD+2DwwS/Z81LZJgDQXLb1F\n"
			       "FeyLpxjGP14olMwUiipvX6y/ytLSt77uYkrF/gVqWUtYvdmLb3nclVMp\n"
			       "-----END PRIVATE KEY-----\n";

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

/* One request over TLS (certificate not verified: it is self-signed); the answer in *out. */
static int tls_do(int p, const char *req, char **out)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	char buf[4096];
	size_t n = 0;
	int fd, got, rc = -1;

	*out = NULL;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (!ctx || fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	ssl = SSL_new(ctx);
	if (!ssl || SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1 ||
	    SSL_write(ssl, req, (int)strlen(req)) != (int)strlen(req))
		goto out;
	while (n < sizeof(buf) - 1 &&
	       (got = SSL_read(ssl, buf + n, (int)(sizeof(buf) - 1 - n))) > 0)
		n += (size_t)got;
	buf[n] = '\0';
	*out = strdup(buf);
	rc = 0;
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* http.tls_cert/tls_key: the same API over HTTPS, and no plain HTTP on that port. */
static void test_tls(void)
{
	static const char req[] = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
				  "Content-Type: application/x-www-form-urlencoded\r\n"
				  "Content-Length: 36\r\n\r\nAction=ListTopics&Version=2010-03-31";
	char cert[400], key[400], *conf = NULL, *out = NULL;
	struct harness h2;
	struct reply r;
	int p;

	snprintf(cert, sizeof(cert), "%s/test-cert.pem", H.dir);
	snprintf(key, sizeof(key), "%s/test-key.pem", H.dir);
	write_text(cert, test_cert);
	write_text(key, test_key);
	CU_ASSERT_FATAL(asprintf(&conf,
				 "http: { enabled = true; port = 0; allow_unsigned = true; "
				 "tls_cert = \"%s\"; tls_key = \"%s\"; };",
				 cert, key) > 0);
	CU_ASSERT_EQUAL_FATAL(harness_start(&h2, conf), 0);
	free(conf);
	p = logged_port(&h2);
	CU_ASSERT_FATAL(p > 0);
	CU_ASSERT_EQUAL(tls_do(p, req, &out), 0);
	CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "HTTP/1.1 200 OK\r\n"));
	CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "<ListTopicsResult><Topics></Topics>"));
	free(out);
	/* plain HTTP gets no answer: the TLS handshake fails and the connection closes */
	CU_ASSERT_NOT_EQUAL(http_do(p, "GET", "/health", "", 0, &r), 0);
	reply_clear(&r);
	harness_cleanup(&h2);
}

/* Without allow_unsigned, a request with no signature never reaches an operation. */
static void test_unsigned_refused(void)
{
	struct harness h2;
	struct reply r;
	char *out = NULL;
	int p;

	CU_ASSERT_EQUAL_FATAL(harness_start(&h2, "http: { enabled = true; port = 0; access_keys = "
						 "( { id = \"AKIDEXAMPLE\"; secret = "
						 "\"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\"; "
						 "role = \"admin\"; } ); };"),
			      0);
	p = logged_port(&h2);
	CU_ASSERT_FATAL(p > 0);
	CU_ASSERT_EQUAL(
		http_do(p, "POST", "/", "Action=CreateTopic&Version=2010-03-31&Name=t", 44, &r), 0);
	CU_ASSERT_EQUAL(r.status, 403);
	CU_ASSERT_PTR_NOT_NULL(r.body && strstr(r.body, "<ErrorResponse " NS "><Error>"));
	CU_ASSERT_PTR_NOT_NULL(
		r.body &&
		strstr(r.body, "<Code>MissingAuthenticationToken</Code>"
			       "<Message>Request is missing Authentication Token</Message>"));
	reply_clear(&r);
	/* the topic was not created */
	CU_ASSERT_EQUAL(harness_cli(&h2, &out, NULL, "topic", "list", NULL), 0);
	CU_ASSERT_PTR_NULL(out ? strstr(out, "000000000000:t") : "no output");
	free(out);
	/* /health needs no signature */
	CU_ASSERT_EQUAL(http_do(p, "GET", "/health", "", 0, &r), 0);
	CU_ASSERT_EQUAL(r.status, 200);
	reply_clear(&r);
	harness_cleanup(&h2);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"mobile push flow over the Query protocol", test_mobile_flow},
		{"SNS errors as ErrorResponse XML with their statuses", test_errors},
		{"body limit, paths, methods, GET form", test_limits},
		{"health and metrics", test_health_metrics},
		{"unsigned requests refused by default", test_unsigned_refused},
		{"HTTPS with http.tls_cert and http.tls_key", test_tls},
		CU_TEST_INFO_NULL,
	};
	return fx_run_suite("http", suite_init, suite_clean, tests);
}
