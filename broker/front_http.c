/*
 * SNS Query protocol over HTTP (see front_http.h).
 *
 * A request: POST / (or GET / with the form in the query string) → body
 * bounded by http.max_body (413 with an ErrorResponse; libevent itself
 * refuses bodies beyond twice that before reading them) → SigV4 verified
 * unless http.allow_unsigned (then the caller administers) → form decoded →
 * Action and Version checked → api_call_sns() → XML.  api_call_sns() may answer
 * before it returns; the request structure is freed in the reply either way.
 * libevent keeps a request whose connection closed alive until it is
 * answered, so a late answer is safe.
 *
 * TLS (http.tls_cert/tls_key): every connection gets an OpenSSL
 * bufferevent in accepting state; the certificate is loaded once at start.
 *
 * Metrics: herald_requests_total{front,op,code} for every SNS call,
 * herald_request_seconds{front,op} from request to answer, and
 * herald_publish_ack_seconds for Publish/PublishBatch (until the commit),
 * herald_connections_total{front} for connections accepted.
 *
 * Everything runs on the event-loop thread.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "broker/front_http.h"
#include "broker/query.h"
#include "broker/sigv4.h"
#include "broker/xml.h"
#include "common/log.h"
#include "common/util.h"

#define FH_MAX_HEADERS_SIZE 16384 /* bytes of request line and headers */
#define FH_MAX_HEADERS	    64	  /* header fields handed to SigV4 */
#define FH_TIMEOUT_S	    60	  /* idle or slow connection */
#define FH_VERSION	    "2010-03-31"

struct front_http {
	struct event_base *base;
	struct api *api;
	struct metrics *metrics;
	const struct conf *conf;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	unsigned int port;
	unsigned int in_flight;
	bool quiescing;
	SSL_CTX *tls;		/* NULL: plain HTTP */
	struct sigv4_key *keys; /* view of conf->access_keys */
	size_t n_keys;
	front_http_gauges_fn gauges;
	void *gauges_arg;
};

struct fh_req {
	struct front_http *fh;
	struct evhttp_request *req;
	const char *op;	       /* name from the operation table, or NULL for an unknown one */
	struct timespec start; /* CLOCK_MONOTONIC */
	char id[UTIL_UUID_LEN + 1];
};

static const char *fh_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 413:
		return "Payload Too Large";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "Error";
	}
}

static void fh_send(struct evhttp_request *req, int status, const char *type, const char *id,
		    const char *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *out = evhttp_request_get_output_buffer(req);

	evhttp_add_header(h, "Content-Type", type);
	if (id)
		evhttp_add_header(h, "x-amzn-RequestId", id);
	if (body)
		evbuffer_add(out, body, strlen(body));
	evhttp_send_reply(req, status, fh_reason(status), NULL);
}

static void fh_count(struct front_http *fh, const char *op, const char *code)
{
	char labels[160];

	snprintf(labels, sizeof(labels), "front=\"http\",op=\"%s\",code=\"%s\"",
		 op ? op : "unknown", code);
	metrics_count(fh->metrics, "herald_requests_total",
		      "SNS requests answered, by front-end, operation and result code", labels, 1);
}

/* Answer an SNS error that never reached an operation. */
static void fh_fail(struct front_http *fh, struct evhttp_request *req, const char *op,
		    const struct op_error *err)
{
	char id[UTIL_UUID_LEN + 1];
	char *xml;

	util_uuid4(id);
	fh_count(fh, op, err->code);
	xml = xml_error(err, id);
	if (!xml) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	fh_send(req, err->status, "text/xml", id, xml);
	free(xml);
}

static void fh_on_reply(void *arg, json_t *result, const struct op_error *err)
{
	struct fh_req *r = arg;
	struct front_http *fh = r->fh;
	struct timespec now;
	double secs;
	char labels[128];
	char *xml;

	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = (double)(now.tv_sec - r->start.tv_sec) +
	       (double)(now.tv_nsec - r->start.tv_nsec) / 1e9;
	fh->in_flight--;
	fh_count(fh, r->op, err ? err->code : "OK");
	if (r->op) {
		snprintf(labels, sizeof(labels), "front=\"http\",op=\"%s\"", r->op);
		metrics_observe(fh->metrics, "herald_request_seconds",
				"Time from reading an SNS request to answering it", labels, secs);
		if (!err && (!strcmp(r->op, "Publish") || !strcmp(r->op, "PublishBatch")))
			metrics_observe(fh->metrics, "herald_publish_ack_seconds",
					"Time from reading a publish request to acknowledging it "
					"(after its commit)",
					"", secs);
	}
	xml = err ? xml_error(err, r->id) : xml_response(r->op, result, r->id);
	if (!xml) {
		log_err("http: out of memory encoding the answer to request %s", r->id);
		evhttp_send_error(r->req, 500, NULL);
	} else {
		fh_send(r->req, err ? err->status : 200, "text/xml", r->id, xml);
		free(xml);
	}
	free(r);
}

/* The caller's role from SigV4, or -1 after answering the failure. */
static int fh_authenticate(struct front_http *fh, struct evhttp_request *req, const char *path,
			   const char *query, const unsigned char *body, size_t len)
{
	struct sigv4_header hdrs[FH_MAX_HEADERS];
	struct sigv4_request sr = {0};
	const struct sigv4_key *key = NULL;
	struct op_error err = {0};
	struct evkeyval *h;
	size_t n = 0;

	if (fh->conf->http_allow_unsigned)
		return OP_ROLE_ADMIN;
	TAILQ_FOREACH(h, evhttp_request_get_input_headers(req), next)
	{
		if (n == FH_MAX_HEADERS) {
			op_fail(&err, "InvalidParameterValue", 400,
				"The request has more than %d header fields", FH_MAX_HEADERS);
			fh_fail(fh, req, NULL, &err);
			return -1;
		}
		hdrs[n].name = h->key;
		hdrs[n++].value = h->value;
	}
	sr.method = evhttp_request_get_command(req) == EVHTTP_REQ_POST ? "POST" : "GET";
	sr.path = path;
	sr.query = query ? query : "";
	sr.headers = hdrs;
	sr.n_headers = n;
	sr.body = body;
	sr.body_len = len;
	if (sigv4_verify(&sr, fh->keys, fh->n_keys, fh->conf->region, time(NULL), &key, &err) < 0) {
		fh_fail(fh, req, NULL, &err);
		return -1;
	}
	return key->role;
}

static void fh_call(struct front_http *fh, struct evhttp_request *req, const char *path,
		    const char *query)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	bool post = evhttp_request_get_command(req) == EVHTTP_REQ_POST;
	size_t len = evbuffer_get_length(in);
	struct op_error err = {0};
	const struct op_def *def = NULL;
	const unsigned char *body;
	char *action = NULL, *version = NULL;
	json_t *args = NULL;
	struct fh_req *r;
	int role;

	if (len > fh->conf->http_max_body) {
		op_fail(&err, "RequestEntityTooLarge", 413,
			"Request body of %zu bytes is larger than the limit of %zu bytes", len,
			fh->conf->http_max_body);
		fh_fail(fh, req, NULL, &err);
		return;
	}
	if (fh->quiescing) {
		op_fail(&err, "ServiceUnavailable", 503, "The broker is shutting down");
		fh_fail(fh, req, NULL, &err);
		return;
	}
	body = len ? evbuffer_pullup(in, -1) : (const unsigned char *)"";
	if (!body) {
		op_internal(&err, "http: out of memory for a request body");
		fh_fail(fh, req, NULL, &err);
		return;
	}
	role = fh_authenticate(fh, req, path, query, body, len);
	if (role < 0)
		return;
	if (post)
		args = query_decode((const char *)body, len, &action, &version, &err);
	else
		args = query_decode(query ? query : "", query ? strlen(query) : 0, &action,
				    &version, &err);
	if (!args)
		goto fail;
	def = action ? op_find(action) : NULL;
	if (!action) {
		op_fail(&err, "MissingAction", 400,
			"The request must contain the parameter Action");
		goto fail;
	}
	if (!version) {
		op_fail(&err, "MissingParameter", 400,
			"The request must contain the parameter Version");
		goto fail;
	}
	if (strcmp(version, FH_VERSION)) {
		op_fail(&err, "NoSuchVersion", 400,
			"The requested version (%.64s) of service AmazonSNS does not exist",
			version);
		goto fail;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		op_internal(&err, "http: out of memory");
		goto fail;
	}
	r->fh = fh;
	r->req = req;
	r->op = def ? def->name : NULL;
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	util_uuid4(r->id);
	fh->in_flight++;
	log_debug("http: request %s: %s", r->id, r->op ? r->op : "(unknown action)");
	api_call_sns(fh->api, (enum op_role)role, action, args, fh_on_reply, r);
	goto out;
fail:
	fh_fail(fh, req, def ? def->name : NULL, &err);
out:
	json_decref(args);
	free(action);
	free(version);
}

static void fh_metrics(struct front_http *fh, struct evhttp_request *req)
{
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	char *text = metrics_render(fh->metrics);

	if (!text) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evbuffer_add(out, text, strlen(text));
	free(text);
	evbuffer_add_printf(out,
			    "# HELP herald_in_flight Requests read and not yet answered, by "
			    "front-end\n# TYPE herald_in_flight gauge\n"
			    "herald_in_flight{front=\"http\"} %u\n",
			    fh->in_flight);
	if (fh->gauges)
		fh->gauges(fh->gauges_arg, out);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, "OK", NULL);
}

static void fh_on_request(struct evhttp_request *req, void *arg)
{
	struct front_http *fh = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri ? evhttp_uri_get_query(uri) : NULL;

	if (!path || !*path)
		path = "/";
	if (!strcmp(path, "/health") && cmd == EVHTTP_REQ_GET) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
				  "application/json");
		evbuffer_add_printf(evhttp_request_get_output_buffer(req), "{\"status\":\"%s\"}\n",
				    fh->quiescing ? "stopping" : "ok");
		evhttp_send_reply(req, fh->quiescing ? 503 : 200,
				  fh->quiescing ? "Service Unavailable" : "OK", NULL);
		return;
	}
	if (!strcmp(path, "/metrics") && cmd == EVHTTP_REQ_GET) {
		fh_metrics(fh, req);
		return;
	}
	if (strcmp(path, "/")) {
		evhttp_send_error(req, 404, NULL);
		return;
	}
	if (cmd != EVHTTP_REQ_POST && cmd != EVHTTP_REQ_GET) {
		evhttp_send_error(req, 405, NULL);
		return;
	}
	fh_call(fh, req, path, query);
}

/* Point the SigV4 key view at conf's access keys. */
static int fh_load_keys(struct front_http *fh, const struct conf *conf)
{
	struct sigv4_key *keys = calloc(conf->n_access_keys + 1, sizeof(*keys));
	size_t i;

	if (!keys)
		return -1;
	for (i = 0; i < conf->n_access_keys; i++) {
		keys[i].id = conf->access_keys[i].id;
		keys[i].secret = conf->access_keys[i].secret;
		keys[i].role = (enum op_role)conf->access_keys[i].role;
	}
	free(fh->keys);
	fh->keys = keys;
	fh->n_keys = conf->n_access_keys;
	fh->conf = conf;
	return 0;
}

static void fh_apply_limits(struct front_http *fh)
{
	size_t max = fh->conf->http_max_body;

	/* twice the limit: bodies in between get SNS's error, beyond it libevent's */
	evhttp_set_max_body_size(fh->http, (ev_ssize_t)(max * 2));
}

/*
 * Each accepted connection's bufferevent (evhttp sets its socket later): TLS
 * when configured, else what evhttp would make itself.  Counted for /metrics.
 */
static struct bufferevent *fh_new_bev(struct event_base *base, void *arg)
{
	struct front_http *fh = arg;
	SSL *ssl;

	metrics_count(fh->metrics, "herald_connections_total", "Client connections accepted",
		      "front=\"http\"", 1);
	if (!fh->tls)
		return bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	ssl = SSL_new(fh->tls);
	if (!ssl)
		return NULL;
	return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
					      BEV_OPT_CLOSE_ON_FREE);
}

/* The server context for conf's certificate and key, or NULL with *err (malloc'd). */
static SSL_CTX *fh_tls_new(const struct conf *conf, char **err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	const char *what = "cannot create a TLS context";
	char reason[256];

	if (!ctx)
		goto fail;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	what = conf->http_tls_cert;
	if (SSL_CTX_use_certificate_chain_file(ctx, conf->http_tls_cert) != 1)
		goto fail;
	what = conf->http_tls_key;
	if (SSL_CTX_use_PrivateKey_file(ctx, conf->http_tls_key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		goto fail;
	return ctx;
fail:
	ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
	ERR_clear_error();
	if (asprintf(err, "TLS: %s: %s", what, reason) < 0)
		*err = NULL;
	SSL_CTX_free(ctx);
	return NULL;
}

struct front_http *front_http_start(struct event_base *base, struct api *api,
				    struct metrics *metrics, const struct conf *conf, char **err)
{
	struct front_http *fh = calloc(1, sizeof(*fh));
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	*err = NULL;
	if (!fh || fh_load_keys(fh, conf) < 0)
		goto nomem;
	fh->base = base;
	fh->api = api;
	fh->metrics = metrics;
	fh->http = evhttp_new(base);
	if (!fh->http)
		goto nomem;
	fh_apply_limits(fh);
	evhttp_set_max_headers_size(fh->http, FH_MAX_HEADERS_SIZE);
	evhttp_set_timeout(fh->http, FH_TIMEOUT_S);
	/* other methods reach the handler, which answers 405 (libevent would say 501) */
	evhttp_set_allowed_methods(fh->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						     EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						     EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_default_content_type(fh->http, "text/xml");
	evhttp_set_gencb(fh->http, fh_on_request, fh);
	if (conf->http_tls_cert) {
		fh->tls = fh_tls_new(conf, err);
		if (!fh->tls)
			goto fail;
	}
	evhttp_set_bevcb(fh->http, fh_new_bev, fh);
	fh->bound = evhttp_bind_socket_with_handle(fh->http, conf->http_address,
						   (ev_uint16_t)conf->http_port);
	if (!fh->bound) {
		if (asprintf(err, "cannot listen on %s port %u: %s", conf->http_address,
			     conf->http_port, strerror(errno)) < 0)
			*err = NULL;
		goto fail;
	}
	if (getsockname(evhttp_bound_socket_get_fd(fh->bound), (struct sockaddr *)&ss, &sl) == 0)
		fh->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							  : ((struct sockaddr_in *)&ss)->sin_port);
	log_notice("http: SNS API listening on %s port %u (%s)%s", conf->http_address, fh->port,
		   fh->tls ? "https" : "http",
		   conf->http_allow_unsigned ? " (unsigned requests accepted: development only)"
					     : "");
	if (!conf->http_allow_unsigned && !conf->n_access_keys)
		log_warning("http: no http.access_keys configured: every request will be refused");
	return fh;
nomem:
	*err = strdup("out of memory");
fail:
	front_http_free(fh);
	return NULL;
}

unsigned int front_http_port(const struct front_http *fh)
{
	return fh->port;
}

void front_http_set_gauges(struct front_http *fh, front_http_gauges_fn fn, void *arg)
{
	fh->gauges = fn;
	fh->gauges_arg = arg;
}

void front_http_set_conf(struct front_http *fh, const struct conf *conf)
{
	if (fh_load_keys(fh, conf) < 0) {
		log_err("http: out of memory applying the reloaded access keys; keeping the old "
			"ones");
		return;
	}
	fh_apply_limits(fh);
}

void front_http_quiesce(struct front_http *fh)
{
	fh->quiescing = true;
	if (fh->bound) {
		evhttp_del_accept_socket(fh->http, fh->bound);
		fh->bound = NULL;
	}
}

unsigned int front_http_in_flight(const struct front_http *fh)
{
	return fh->in_flight;
}

void front_http_free(struct front_http *fh)
{
	if (!fh)
		return;
	if (fh->http)
		evhttp_free(fh->http);
	SSL_CTX_free(fh->tls);
	free(fh->keys);
	free(fh);
}
