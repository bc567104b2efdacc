/* The scriptable HTTP/2 test server; see h2server.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tests/unit/h2server.h"

#define MAX_BODY (1u << 20)

struct sconn;

struct sstream {
	struct sconn *conn;
	int32_t id;
	char method[16], path[256], x_test[64];
	int status, rst, hang;
	size_t resp_size; /* x-body-size: answer this many bytes of 'x' */
	char *body;
	size_t body_len;
	struct event *delay;
	size_t sent; /* response body bytes handed to nghttp2 */
	LIST_ENTRY(sstream) link;
};

struct sconn {
	struct h2s *srv;
	struct bufferevent *bev;
	nghttp2_session *ng;
	unsigned int requests, open;
	int32_t goaway_last; /* 0: no GOAWAY sent */
	int closing;	     /* the session is over: free once the output is written */
	LIST_HEAD(, sstream) streams;
	TAILQ_ENTRY(sconn) link;
};

struct h2s {
	struct event_base *base;
	struct evconnlistener *lis;
	SSL_CTX *tls;
	struct h2s_opts opts;
	char alpn[32];
	uint32_t max_streams;
	int port;
	struct h2s_stats stats;
	nghttp2_session_callbacks *cbs;
	nghttp2_option *opt;
	TAILQ_HEAD(, sconn) conns;
};

static void conn_flush(struct sconn *c);

static void stream_free(struct sstream *st)
{
	LIST_REMOVE(st, link);
	if (st->delay)
		event_free(st->delay);
	free(st->body);
	free(st);
}

static void conn_free(struct sconn *c)
{
	struct sstream *st;

	while ((st = LIST_FIRST(&c->streams))) {
		c->srv->stats.open_streams--;
		stream_free(st);
	}
	TAILQ_REMOVE(&c->srv->conns, c, link);
	nghttp2_session_del(c->ng);
	bufferevent_free(c->bev);
	free(c);
}

static ssize_t read_body(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
			 nghttp2_data_source *src, void *user)
{
	struct sstream *st = src->ptr;
	const char *body = st->body_len ? st->body : "hello";
	size_t total = st->resp_size  ? st->resp_size
		       : st->body_len ? st->body_len
				      : 5,
	       n = total - st->sent;

	if (n > len)
		n = len;
	if (st->resp_size)
		memset(buf, 'x', n);
	else
		memcpy(buf, body + st->sent, n);
	st->sent += n;
	if (st->sent == total)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static void answer(struct sstream *st)
{
	struct sconn *c = st->conn;
	char status[8];
	nghttp2_nv nv[] = {
		{(uint8_t *)":status", (uint8_t *)status, 7, 0, 0},
		{(uint8_t *)"x-method", (uint8_t *)st->method, 8, strlen(st->method), 0},
		{(uint8_t *)"x-path", (uint8_t *)st->path, 6, strlen(st->path), 0},
		{(uint8_t *)"x-test", (uint8_t *)st->x_test, 6, strlen(st->x_test), 0},
	};
	nghttp2_data_provider prd = {.source.ptr = st, .read_callback = read_body};

	nv[0].valuelen = (size_t)snprintf(status, sizeof(status), "%d", st->status);
	nghttp2_submit_response(c->ng, st->id, nv, 4, &prd);
	c->srv->stats.answered++;
	conn_flush(c);
}

static void on_delay(evutil_socket_t fd, short what, void *arg)
{
	answer(arg);
}

/* The whole request is in. */
static void request_done(struct sstream *st)
{
	struct sconn *c = st->conn;
	struct h2s *srv = c->srv;

	if (c->goaway_last && st->id > c->goaway_last)
		return; /* beyond our GOAWAY: not processed */
	snprintf(srv->stats.method, sizeof(srv->stats.method), "%s", st->method);
	snprintf(srv->stats.path, sizeof(srv->stats.path), "%s", st->path);
	snprintf(srv->stats.x_test, sizeof(srv->stats.x_test), "%s", st->x_test);
	srv->stats.body_len = st->body_len;
	if (st->rst) {
		nghttp2_submit_rst_stream(c->ng, NGHTTP2_FLAG_NONE, st->id, (uint32_t)st->rst);
		return;
	}
	if (st->hang)
		return;
	if (srv->opts.delay_ms) {
		struct timeval tv = {srv->opts.delay_ms / 1000, (srv->opts.delay_ms % 1000) * 1000};

		st->delay = evtimer_new(srv->base, on_delay, st);
		evtimer_add(st->delay, &tv);
		return;
	}
	answer(st);
}

static int on_begin_headers(nghttp2_session *ng, const nghttp2_frame *frame, void *user)
{
	struct sconn *c = user;
	struct h2s *srv = c->srv;
	struct sstream *st;

	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	st->conn = c;
	st->id = frame->hd.stream_id;
	st->status = 200;
	LIST_INSERT_HEAD(&c->streams, st, link);
	nghttp2_session_set_stream_user_data(ng, st->id, st);
	c->open++;
	srv->stats.open_streams++;
	if (c->open > srv->stats.max_open_streams)
		srv->stats.max_open_streams = c->open;
	if (srv->stats.refused < srv->opts.refuse_first) {
		srv->stats.refused++;
		st->rst = NGHTTP2_REFUSED_STREAM;
	}
	if (++c->requests == srv->opts.goaway_after) {
		c->goaway_last = st->id;
		nghttp2_submit_goaway(ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_NO_ERROR,
				      (const uint8_t *)"{\"reason\":\"Test\"}", 17);
	}
	return 0;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name,
		     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
		     void *user)
{
	struct sstream *st = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
	char v[64];

	if (!st)
		return 0;
	snprintf(v, sizeof(v), "%.*s", (int)valuelen, (const char *)value);
#define IS(s) (namelen == sizeof(s) - 1 && !memcmp(name, s, namelen))
	if (IS(":method"))
		snprintf(st->method, sizeof(st->method), "%.15s", v);
	else if (IS(":path"))
		snprintf(st->path, sizeof(st->path), "%.*s", (int)valuelen, (const char *)value);
	else if (IS("x-test"))
		snprintf(st->x_test, sizeof(st->x_test), "%s", v);
	else if (IS("x-status"))
		st->status = atoi(v);
	else if (IS("x-rst") && !st->rst)
		st->rst = atoi(v);
	else if (IS("x-hang"))
		st->hang = 1;
	else if (IS("x-body-size"))
		st->resp_size = strtoul(v, NULL, 10);
#undef IS
	return 0;
}

static int on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data,
			 size_t len, void *user)
{
	struct sstream *st = nghttp2_session_get_stream_user_data(ng, id);
	char *b;

	if (!st || st->body_len + len > MAX_BODY)
		return 0;
	b = realloc(st->body, st->body_len + len + 1);
	if (!b)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	memcpy(b + st->body_len, data, len);
	st->body = b;
	st->body_len += len;
	return 0;
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame, void *user)
{
	struct sconn *c = user;
	struct sstream *st;

	switch (frame->hd.type) {
	case NGHTTP2_PING:
		if (frame->hd.flags & NGHTTP2_FLAG_ACK)
			c->srv->stats.ping_acks++;
		else
			c->srv->stats.pings++;
		break;
	case NGHTTP2_RST_STREAM:
		c->srv->stats.rst_received++;
		break;
	case NGHTTP2_HEADERS:
	case NGHTTP2_DATA:
		st = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
		if (st && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
			request_done(st);
		break;
	default:
		break;
	}
	return 0;
}

static int on_stream_close(nghttp2_session *ng, int32_t id, uint32_t error_code, void *user)
{
	struct sconn *c = user;
	struct sstream *st = nghttp2_session_get_stream_user_data(ng, id);

	if (!st)
		return 0;
	c->open--;
	c->srv->stats.open_streams--;
	stream_free(st);
	return 0;
}

static void conn_flush(struct sconn *c)
{
	const uint8_t *data;
	ssize_t n;

	while ((n = nghttp2_session_mem_send(c->ng, &data)) > 0)
		bufferevent_write(c->bev, data, (size_t)n);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct sconn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in);

	if (nghttp2_session_mem_recv(c->ng, evbuffer_pullup(in, -1), len) < 0) {
		conn_free(c);
		return;
	}
	evbuffer_drain(in, len);
	conn_flush(c);
	if (!nghttp2_session_want_read(c->ng) && !nghttp2_session_want_write(c->ng)) {
		c->closing = 1;
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			conn_free(c);
	}
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct sconn *c = arg;

	if (c->closing)
		conn_free(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct sconn *c = arg;

	if (what & BEV_EVENT_CONNECTED) {
		nghttp2_settings_entry iv = {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS,
					     c->srv->max_streams};

		c->srv->stats.conns++;
		nghttp2_submit_settings(c->ng, NGHTTP2_FLAG_NONE, &iv, 1);
		conn_flush(c);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_free(c);
}

static void on_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *arg)
{
	struct h2s *srv = arg;
	struct sconn *c = calloc(1, sizeof(*c));
	SSL *ssl = SSL_new(srv->tls);

	if (!c || !ssl || nghttp2_session_server_new2(&c->ng, srv->cbs, c, srv->opt) != 0) {
		SSL_free(ssl);
		free(c);
		evutil_closesocket(fd);
		return;
	}
	c->srv = srv;
	LIST_INIT(&c->streams);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	c->bev = bufferevent_openssl_socket_new(srv->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
						BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		nghttp2_session_del(c->ng);
		free(c);
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&srv->conns, c, link);
}

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned int inlen, void *arg)
{
	struct h2s *srv = arg;
	size_t want = strlen(srv->alpn);

	for (unsigned int i = 0; i < inlen; i += 1u + in[i])
		if (in[i] == want && i + 1 + want <= inlen &&
		    !memcmp(in + i + 1, srv->alpn, want)) {
			*out = in + i + 1;
			*outlen = in[i];
			return SSL_TLSEXT_ERR_OK;
		}
	return SSL_TLSEXT_ERR_NOACK; /* go on without ALPN */
}

struct h2s *h2s_new(struct event_base *base, int port, const struct h2s_opts *opts, char *err,
		    size_t err_size)
{
	struct h2s *srv = calloc(1, sizeof(*srv));
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	socklen_t len = sizeof(sin);

	if (!srv) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	srv->base = base;
	srv->opts = *opts;
	srv->max_streams = opts->max_streams ? opts->max_streams : 100;
	snprintf(srv->alpn, sizeof(srv->alpn), "%s", opts->alpn ? opts->alpn : "h2");
	TAILQ_INIT(&srv->conns);
	srv->tls = SSL_CTX_new(TLS_server_method());
	if (!srv->tls || SSL_CTX_use_certificate_chain_file(srv->tls, opts->cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(srv->tls, opts->key_file, SSL_FILETYPE_PEM) != 1) {
		snprintf(err, err_size, "cannot load %s / %s", opts->cert_file, opts->key_file);
		goto fail;
	}
	SSL_CTX_set_alpn_select_cb(srv->tls, alpn_select, srv);
	if (opts->client_ca) {
		if (SSL_CTX_load_verify_locations(srv->tls, opts->client_ca, NULL) != 1) {
			snprintf(err, err_size, "cannot load %s", opts->client_ca);
			goto fail;
		}
		SSL_CTX_set_client_CA_list(srv->tls, SSL_load_client_CA_file(opts->client_ca));
		SSL_CTX_set_verify(srv->tls, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
				   NULL);
	}
	if (nghttp2_session_callbacks_new(&srv->cbs) != 0 || nghttp2_option_new(&srv->opt) != 0) {
		snprintf(err, err_size, "out of memory");
		goto fail;
	}
	nghttp2_session_callbacks_set_on_begin_headers_callback(srv->cbs, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(srv->cbs, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(srv->cbs, on_data_chunk);
	nghttp2_session_callbacks_set_on_frame_recv_callback(srv->cbs, on_frame_recv);
	nghttp2_session_callbacks_set_on_stream_close_callback(srv->cbs, on_stream_close);
	nghttp2_option_set_no_auto_ping_ack(srv->opt, opts->no_ping_ack);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv->lis = evconnlistener_new_bind(base, on_accept, srv,
					   LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 64,
					   (struct sockaddr *)&sin, sizeof(sin));
	if (!srv->lis) {
		snprintf(err, err_size, "cannot listen on 127.0.0.1:%d", port);
		goto fail;
	}
	getsockname(evconnlistener_get_fd(srv->lis), (struct sockaddr *)&sin, &len);
	srv->port = ntohs(sin.sin_port);
	return srv;
fail:
	h2s_free(srv);
	return NULL;
}

int h2s_port(const struct h2s *s)
{
	return s->port;
}

struct h2s_stats *h2s_stats(struct h2s *s)
{
	return &s->stats;
}

void h2s_set_max_streams(struct h2s *s, uint32_t n)
{
	nghttp2_settings_entry iv = {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, n};
	struct sconn *c;

	s->max_streams = n;
	TAILQ_FOREACH(c, &s->conns, link)
	{
		nghttp2_submit_settings(c->ng, NGHTTP2_FLAG_NONE, &iv, 1);
		conn_flush(c);
	}
}

void h2s_ping(struct h2s *s)
{
	struct sconn *c;

	TAILQ_FOREACH(c, &s->conns, link)
	{
		nghttp2_submit_ping(c->ng, NGHTTP2_FLAG_NONE, NULL);
		conn_flush(c);
	}
}

void h2s_free(struct h2s *s)
{
	struct sconn *c;

	if (!s)
		return;
	while ((c = TAILQ_FIRST(&s->conns)))
		conn_free(c);
	if (s->lis)
		evconnlistener_free(s->lis);
	SSL_CTX_free(s->tls);
	nghttp2_session_callbacks_del(s->cbs);
	nghttp2_option_del(s->opt);
	free(s);
}

/* --- certificates ---------------------------------------------------------------------- */

static X509 *make_cert(EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, const char *cn,
		       const char *san, int ca)
{
	X509 *cert = X509_new();
	X509_NAME *name = X509_get_subject_name(cert);
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	static long serial = 1;

	X509_set_version(cert, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
	X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
	X509_set_pubkey(cert, key);
	X509V3_set_ctx(&v3, issuer ? issuer : cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
				  ca ? "critical,CA:TRUE" : "CA:FALSE");
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	if (san) {
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
		X509_add_ext(cert, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (!X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256())) {
		X509_free(cert);
		return NULL;
	}
	return cert;
}

static int write_pem(const char *dir, const char *name, X509 *cert, EVP_PKEY *key)
{
	char path[512];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	ok = cert ? PEM_write_X509(f, cert)
		  : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	return fclose(f) == 0 && ok ? 0 : -1;
}

int h2s_make_pki(const char *dir, char *err, size_t err_size)
{
	EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *srv_key = EVP_EC_gen("P-256"),
		 *cli_key = EVP_EC_gen("P-256"), *other_key = EVP_EC_gen("P-256");
	X509 *ca = NULL, *srv = NULL, *cli = NULL, *other = NULL, *wrong = NULL;
	int rc = -1;

	if (!ca_key || !srv_key || !cli_key || !other_key)
		goto out;
	ca = make_cert(ca_key, NULL, NULL, "herald test CA", NULL, 1);
	other = make_cert(other_key, NULL, NULL, "another CA", NULL, 1);
	if (!ca || !other)
		goto out;
	srv = make_cert(srv_key, ca, ca_key, "127.0.0.1", "IP:127.0.0.1,DNS:localhost", 0);
	cli = make_cert(cli_key, ca, ca_key, "herald test client", NULL, 0);
	wrong = make_cert(srv_key, ca, ca_key, "example.test", "DNS:example.test", 0);
	if (!srv || !cli || !wrong)
		goto out;
	if (write_pem(dir, "ca.pem", ca, NULL) || write_pem(dir, "other-ca.pem", other, NULL) ||
	    write_pem(dir, "server.pem", srv, NULL) ||
	    write_pem(dir, "server.key", NULL, srv_key) ||
	    write_pem(dir, "client.pem", cli, NULL) ||
	    write_pem(dir, "client.key", NULL, cli_key) ||
	    write_pem(dir, "other.key", NULL, other_key) ||
	    write_pem(dir, "wrongname.pem", wrong, NULL) ||
	    write_pem(dir, "wrongname.key", NULL, srv_key))
		goto out;
	rc = 0;
out:
	if (rc)
		snprintf(err, err_size, "cannot make the test certificates in %s", dir);
	X509_free(ca);
	X509_free(other);
	X509_free(srv);
	X509_free(cli);
	X509_free(wrong);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(srv_key);
	EVP_PKEY_free(cli_key);
	EVP_PKEY_free(other_key);
	return rc;
}
