/*
 * HTTP/2 over TLS server; see h2.h.  A connection is a bufferevent_openssl
 * feeding one nghttp2 server session; a stream is a struct stream (the public
 * struct h2_req plus its response).  Streams are freed when nghttp2 closes
 * them or with their connection, which cancels any delayed answer.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>

#include "common/util.h"
#include "emulator/faults.h"
#include "emulator/h2.h"
#include "emulator/state.h"

/* Stop producing frames while this much is waiting to be written. */
#define OUTPUT_HIGH_WATER (1024 * 1024)
/* A client that has not finished the TLS handshake by then is dropped. */
#define HANDSHAKE_TIMEOUT_S 10
/* How long a finished connection waits for the client to close it. */
#define LINGER_S 2
/* Room for every header a request may keep: the bytes plus two NULs each. */
#define HEADER_ARENA (H2_MAX_HEADER_BYTES + 2 * H2_MAX_HEADERS)
/* Finished streams kept for reuse with their buffers, per server. */
#define STREAM_POOL_MAX 256

/*
 * A stream and its buffers; finished streams go back to the server's pool
 * with their buffers, so a busy connection allocates nothing per request.
 */
struct stream {
	struct h2_req req; /* first: an h2_req pointer is a stream pointer */
	TAILQ_ENTRY(stream) link;
	int answered;
	struct event *timer; /* a delayed answer */
	nghttp2_nv *nv;	     /* response headers, in resp_buf; their strings follow them */
	size_t n_nv;
	char *resp_body; /* in resp_buf, after the headers */
	size_t resp_len, resp_off;
	/* Owned buffers, kept across reuse. */
	char *hbuf; /* HEADER_ARENA bytes: the request headers' names and values */
	size_t hlen;
	size_t body_cap;
	char *resp_buf;
	size_t resp_cap;
};

struct h2_conn {
	struct h2_server *srv;
	struct bufferevent *bev;
	nghttp2_session *ng;
	void *data;
	uint32_t max_streams;
	int in_recv;	     /* inside nghttp2_session_mem_recv: sending must wait */
	int http1;	     /* ALPN gave http/1.1 (or nothing): one request at a time */
	struct stream *cur;  /* HTTP/1.1: the request being read or answered */
	int close_after;     /* HTTP/1.1: close once the output is written */
	int plain;	     /* plaintext HTTP/1.1 (a plain_http server) */
	struct event *sniff; /* plain_http: waiting for the first byte */
	uint64_t n_requests; /* complete requests received, for the faults counted in requests */
	int dropped;	     /* h2_conn_drop: free with a TCP reset as soon as possible */
	int paused;	     /* a slow-read fault: the input waits for resume */
	int lingering;	     /* done: our side is shut, the client's last bytes are discarded */
	struct event *resume;
	TAILQ_HEAD(, stream) streams;
	TAILQ_ENTRY(h2_conn) link;
};

struct h2_server {
	struct event_base *base;
	struct evconnlistener *lis;
	struct h2_server_opts opts;
	SSL_CTX *tls;
	int port;
	TAILQ_HEAD(, h2_conn) conns;
	TAILQ_HEAD(, stream) pool; /* finished streams, for reuse */
	size_t n_pool;
};

static void conn_flush(struct h2_conn *conn);
static void http1_read(struct h2_conn *conn);
static void on_read(struct bufferevent *bev, void *arg);
static int conn_request(struct h2_conn *conn, struct stream *s);

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned int inlen, void *arg)
{
	/* APNs speaks HTTP/2 only; arg is set for hosts that also speak HTTP/1.1. */
	int rc = nghttp2_select_next_protocol((unsigned char **)out, outlen, in, inlen);

	if (rc == 1 || (rc == 0 && arg))
		return SSL_TLSEXT_ERR_OK;
	/* Neither h2 nor http/1.1 offered (curl --http1.0): go on without ALPN, as HTTP/1.x. */
	return arg ? SSL_TLSEXT_ERR_NOACK : SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* The server's TLS context: see h2_server_opts.  Freed with SSL_CTX_free. */
static SSL_CTX *tls_ctx_new(const char *cert_file, const char *key_file, const char *client_ca,
			    int http1, char *err, size_t errlen)
{
	static const unsigned char sid_ctx[] = "herald-emulator";
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx) {
		snprintf(err, errlen, "SSL_CTX_new failed");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "%s / %s: cannot load the server certificate and key",
			 cert_file, key_file);
		goto fail;
	}
	/* A non-NULL arg lets ALPN pick http/1.1 for hosts that speak both. */
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, http1 ? ctx : NULL);
	SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
	if (client_ca) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(client_ca);

		if (!names || SSL_CTX_load_verify_locations(ctx, client_ca, NULL) != 1) {
			sk_X509_NAME_pop_free(names, X509_NAME_free);
			snprintf(err, errlen, "%s: cannot load the client CA", client_ca);
			goto fail;
		}
		SSL_CTX_set_client_CA_list(ctx, names);
		/* Requested, not required: token-auth clients present none. */
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	return ctx;
fail:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

static void stream_destroy(struct stream *s)
{
	free(s->hbuf);
	free(s->req.body);
	free(s->resp_buf);
	free(s);
}

/* A clean stream for conn (on its list), from the pool or new; NULL on OOM. */
static struct stream *stream_get(struct h2_conn *conn)
{
	struct h2_server *srv = conn->srv;
	struct stream *s = TAILQ_FIRST(&srv->pool);

	if (s) {
		TAILQ_REMOVE(&srv->pool, s, link);
		srv->n_pool--;
	} else {
		s = calloc(1, sizeof(*s));
		if (!s)
			return NULL;
		s->hbuf = malloc(HEADER_ARENA);
		s->req.body = malloc(1);
		s->body_cap = 1;
		if (!s->hbuf || !s->req.body) {
			stream_destroy(s);
			return NULL;
		}
	}
	s->req.body[0] = '\0'; /* handlers get a string even for an empty body */
	s->req.conn = conn;
	TAILQ_INSERT_TAIL(&conn->streams, s, link);
	return s;
}

/* Take s off conn and put it back in the pool (or free it), keeping its buffers. */
static void stream_free(struct h2_conn *conn, struct stream *s)
{
	struct h2_server *srv = conn->srv;
	char *hbuf = s->hbuf, *body = s->req.body, *resp = s->resp_buf;
	size_t body_cap = s->body_cap, resp_cap = s->resp_cap;

	TAILQ_REMOVE(&conn->streams, s, link);
	if (s->timer)
		event_free(s->timer);
	if (srv->n_pool >= STREAM_POOL_MAX) {
		stream_destroy(s);
		return;
	}
	memset(s, 0, sizeof(*s));
	s->hbuf = hbuf;
	s->req.body = body;
	s->body_cap = body_cap;
	s->resp_buf = resp;
	s->resp_cap = resp_cap;
	TAILQ_INSERT_HEAD(&srv->pool, s, link);
	srv->n_pool++;
}

/* Make room for n more body bytes (and a NUL); -1 on OOM. */
static int body_reserve(struct stream *s, size_t n)
{
	size_t need = s->req.body_len + n + 1;
	char *nb;

	if (need <= s->body_cap)
		return 0;
	if (need < 2 * s->body_cap)
		need = 2 * s->body_cap;
	nb = realloc(s->req.body, need);
	if (!nb)
		return -1;
	s->req.body = nb;
	s->body_cap = need;
	return 0;
}

/* A response buffer of at least n bytes in s->resp_buf; -1 on OOM. */
static int resp_reserve(struct stream *s, size_t n)
{
	char *nb;

	if (n <= s->resp_cap)
		return 0;
	nb = realloc(s->resp_buf, n);
	if (!nb)
		return -1;
	s->resp_buf = nb;
	s->resp_cap = n;
	return 0;
}

/*
 * Keep one request header in s's arena: the name lowercased when lower.
 * Past the limits the request is marked overflowing instead.
 */
static void header_add(struct stream *s, const char *name, size_t nl, const char *value, size_t vl,
		       int lower)
{
	struct h2_header *h;
	char *p;

	s->req.header_bytes += nl + vl;
	if (s->req.n_headers == H2_MAX_HEADERS || s->req.header_bytes > H2_MAX_HEADER_BYTES) {
		s->req.headers_overflow = 1;
		return;
	}
	h = &s->req.headers[s->req.n_headers++];
	p = s->hbuf + s->hlen;
	h->name = p;
	for (size_t i = 0; i < nl; i++)
		p[i] = lower && name[i] >= 'A' && name[i] <= 'Z' ? (char)(name[i] - 'A' + 'a')
								 : name[i];
	p[nl] = '\0';
	h->value = p + nl + 1;
	memcpy(h->value, value, vl);
	h->value[vl] = '\0';
	h->value_len = vl;
	s->hlen += nl + vl + 2;
}

static void conn_free(struct h2_conn *conn)
{
	struct h2_server *srv = conn->srv;
	struct stream *s;

	while ((s = TAILQ_FIRST(&conn->streams)))
		stream_free(conn, s);
	nghttp2_session_del(conn->ng);
	if (srv->opts.on_conn_close && conn->data)
		srv->opts.on_conn_close(conn->data, srv->opts.arg);
	if (conn->sniff) { /* still waiting for the first byte: the socket is ours */
		evutil_closesocket(event_get_fd(conn->sniff));
		event_free(conn->sniff);
	}
	if (conn->resume)
		event_free(conn->resume);
	if (conn->bev && conn->dropped) {
		struct linger lg = {1, 0}; /* close with RST, as a network failure does */

		setsockopt(bufferevent_getfd(conn->bev), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	if (conn->bev)
		bufferevent_free(conn->bev);
	TAILQ_REMOVE(&srv->conns, conn, link);
	free(conn);
}

static int on_begin_headers(nghttp2_session *ng, const nghttp2_frame *frame, void *user)
{
	struct h2_conn *conn = user;
	struct stream *s;

	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	s = stream_get(conn);
	if (!s)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	s->req.stream_id = frame->hd.stream_id;
	nghttp2_session_set_stream_user_data(ng, frame->hd.stream_id, s);
	return 0;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name,
		     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
		     void *user)
{
	struct stream *s = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);

	if (!s || frame->hd.type != NGHTTP2_HEADERS)
		return 0;
	/* nghttp2 has checked that names are lowercase. */
	header_add(s, (const char *)name, namelen, (const char *)value, valuelen, 0);
	return 0;
}

static int on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t stream_id, const uint8_t *data,
			 size_t len, void *user)
{
	struct h2_conn *conn = user;
	struct stream *s = nghttp2_session_get_stream_user_data(ng, stream_id);
	size_t room, take;

	if (!s)
		return 0;
	s->req.body_total += len;
	room = conn->srv->opts.max_body - s->req.body_len;
	take = len < room ? len : room;
	if (take) {
		if (body_reserve(s, take) != 0)
			return NGHTTP2_ERR_CALLBACK_FAILURE;
		memcpy(s->req.body + s->req.body_len, data, take);
		s->req.body_len += take;
		s->req.body[s->req.body_len] = '\0';
	}
	return 0;
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame, void *user)
{
	struct h2_conn *conn = user;
	struct stream *s;

	if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
	    !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
		return 0;
	s = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
	if (!s)
		return 0;
	return conn_request(conn, s) == 0 ? 0 : NGHTTP2_ERR_CALLBACK_FAILURE;
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct h2_conn *conn = arg;

	conn->paused = 0;
	bufferevent_enable(conn->bev, EV_READ);
	on_read(conn->bev, conn); /* what arrived before the pause, still buffered */
}

/* Stop reading conn's socket for ms milliseconds. */
static void conn_pause(struct h2_conn *conn, unsigned ms)
{
	struct timeval tv = {ms / 1000, (suseconds_t)(ms % 1000) * 1000};

	if (conn->paused ||
	    (!conn->resume && !(conn->resume = evtimer_new(conn->srv->base, on_resume, conn))))
		return;
	conn->paused = 1;
	bufferevent_disable(conn->bev, EV_READ);
	evtimer_add(conn->resume, &tv);
}

/*
 * GOAWAY naming last_id as the last stream processed, with the server's
 * debug data if it has any; streams the client
 * opened after it are refused.  nghttp2 stops wanting to read once the
 * streams up to last_id are done, and conn_flush then winds the connection
 * down (conn_linger).
 */
static void conn_goaway(struct h2_conn *conn, int32_t last_id)
{
	const char *debug = conn->srv->opts.goaway_debug;
	struct stream *s;

	nghttp2_submit_goaway(conn->ng, NGHTTP2_FLAG_NONE, last_id, NGHTTP2_NO_ERROR,
			      (const uint8_t *)debug, debug ? strlen(debug) : 0);
	TAILQ_FOREACH(s, &conn->streams, link)
	{
		if (s->req.stream_id > last_id)
			nghttp2_submit_rst_stream(conn->ng, NGHTTP2_FLAG_NONE, s->req.stream_id,
						  NGHTTP2_REFUSED_STREAM);
	}
}

/*
 * A complete request (either protocol): apply the connection faults, then
 * the request faults, then hand it to the provider.  Returns 0, or -1 when
 * the connection is to be dropped now.
 */
static int conn_request(struct h2_conn *conn, struct stream *s)
{
	const struct h2_server_opts *o = &conn->srv->opts;
	const struct emu_fault_cfg *c =
		o->faults_st ? faults_cfg(state_faults(o->faults_st), o->faults_provider) : NULL;
	uint64_t n = ++conn->n_requests;

	if (c && c->reset_every && n % c->reset_every == 0) {
		state_record(o->faults_st, o->faults_provider, NULL, &s->req, 0, "reset");
		conn->dropped = 1;
		return -1;
	}
	if (c && c->slow_read_every && c->slow_read_ms && n % c->slow_read_every == 0)
		conn_pause(conn, c->slow_read_ms);
	if (!c || !faults_intercept(o->faults_st, o->faults_provider, &s->req, util_now_ms()))
		o->on_request(&s->req, o->arg);
	if (conn->dropped)
		return -1;
	if (c && c->goaway_every && n % c->goaway_every == 0 && conn->ng)
		conn_goaway(conn, s->req.stream_id);
	return 0;
}

static int on_stream_close(nghttp2_session *ng, int32_t stream_id, uint32_t error_code, void *user)
{
	struct stream *s = nghttp2_session_get_stream_user_data(ng, stream_id);

	if (s) {
		nghttp2_session_set_stream_user_data(ng, stream_id, NULL);
		stream_free(user, s);
	}
	return 0;
}

static ssize_t read_body(nghttp2_session *ng, int32_t stream_id, uint8_t *buf, size_t len,
			 uint32_t *flags, nghttp2_data_source *source, void *user)
{
	struct stream *s = source->ptr;
	size_t n = s->resp_len - s->resp_off;

	if (n > len)
		n = len;
	memcpy(buf, s->resp_body + s->resp_off, n);
	s->resp_off += n;
	if (s->resp_off == s->resp_len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static void stream_submit(struct stream *s)
{
	struct h2_conn *conn = s->req.conn;
	nghttp2_data_provider prd = {.source.ptr = s, .read_callback = read_body};

	if (nghttp2_submit_response(conn->ng, s->req.stream_id, s->nv, s->n_nv,
				    s->resp_len ? &prd : NULL) != 0)
		nghttp2_submit_rst_stream(conn->ng, NGHTTP2_FLAG_NONE, s->req.stream_id,
					  NGHTTP2_INTERNAL_ERROR);
	if (!conn->in_recv)
		conn_flush(conn);
}

static void on_delay(evutil_socket_t fd, short what, void *arg)
{
	stream_submit(arg);
}

static nghttp2_nv make_nv(char **p, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	nghttp2_nv nv = {(uint8_t *)*p, (uint8_t *)*p + nl + 1, nl, vl, NGHTTP2_NV_FLAG_NONE};

	memcpy(*p, name, nl + 1);
	memcpy(*p + nl + 1, value, vl + 1);
	*p += nl + vl + 2;
	return nv;
}

/* ---- HTTP/1.1 (hosts that speak both; ALPN http/1.1 or none) ---------------- */

#define HTTP1_MAX_HEAD	  (H2_MAX_HEADER_BYTES + 8192)
#define HTTP1_MAX_CONTENT (64 * 1024 * 1024) /* a larger Content-Length is refused */

static const char *http1_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406:
		return "Not Acceptable";
	case 410:
		return "Gone";
	case 411:
		return "Length Required";
	case 412:
		return "Precondition Failed";
	case 413:
		return "Payload Too Large";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "Status";
	}
}

/* Write the prepared answer of the current request and go on with the next one. */
static void http1_submit(struct stream *s)
{
	struct h2_conn *conn = s->req.conn;

	if (bufferevent_write(conn->bev, s->resp_body, s->resp_len) != 0)
		conn->close_after = 1;
	conn->cur = NULL;
	stream_free(conn, s);
	if (conn->close_after) {
		bufferevent_disable(conn->bev, EV_READ);
		/* Inside http1_read, which frees it on the way out; else on_write will. */
		if (!conn->in_recv && evbuffer_get_length(bufferevent_get_output(conn->bev)) == 0)
			conn_free(conn);
		return;
	}
	if (!conn->in_recv)
		http1_read(conn);
}

static void http1_on_delay(evutil_socket_t fd, short what, void *arg)
{
	http1_submit(arg);
}

/* The whole response (status line, headers, body) goes into s->resp_body. */
static int http1_respond(struct stream *s, int status, const struct h2_out_header *hdrs,
			 size_t n_hdrs, const char *body, size_t body_len, unsigned delay_ms)
{
	struct h2_conn *conn = s->req.conn;
	struct evbuffer *b = evbuffer_new();
	struct timeval tv;
	size_t len;
	int ok;

	if (!b)
		goto fail;
	ok = evbuffer_add_printf(b, "HTTP/1.1 %d %s\r\n", status, http1_reason(status)) > 0;
	for (size_t i = 0; i < n_hdrs && ok; i++)
		ok = evbuffer_add_printf(b, "%s: %s\r\n", hdrs[i].name, hdrs[i].value) > 0;
	ok = ok && evbuffer_add_printf(b, "content-length: %zu\r\n%s\r\n", body_len,
				       conn->close_after ? "connection: close\r\n" : "") > 0;
	ok = ok && (!body_len || evbuffer_add(b, body, body_len) == 0);
	len = evbuffer_get_length(b);
	if (!ok || resp_reserve(s, len) != 0)
		goto fail;
	s->resp_body = s->resp_buf;
	evbuffer_remove(b, s->resp_body, len);
	s->resp_len = len;
	evbuffer_free(b);
	if (delay_ms == 0) {
		http1_submit(s);
		return 0;
	}
	s->timer = evtimer_new(conn->srv->base, http1_on_delay, s);
	if (!s->timer)
		goto fail_nob;
	tv.tv_sec = delay_ms / 1000;
	tv.tv_usec = (suseconds_t)(delay_ms % 1000) * 1000;
	evtimer_add(s->timer, &tv);
	return 0;
fail:
	if (b)
		evbuffer_free(b);
fail_nob:
	conn->close_after = 1;
	s->resp_len = 0;
	http1_submit(s);
	return -1;
}

/* A protocol error before any handler saw the request: answer it and close. */
static void http1_refuse(struct h2_conn *conn, struct stream *s, int status, const char *why)
{
	static const struct h2_out_header ct = {"content-type", "text/plain"};

	conn->close_after = 1;
	s->answered = 1;
	http1_respond(s, status, &ct, 1, why, strlen(why), 0);
}

/*
 * Parse the head in head (NUL-terminated, CRLF lines, without the blank line)
 * into s: pseudo-headers :method, :path, :scheme and :authority (from Host)
 * come first so handlers read both protocols the same way.  Returns 0, or an
 * HTTP status for a malformed head.
 */
static int http1_parse_head(struct h2_conn *conn, struct stream *s, char *head,
			    long long *content_length)
{
	char *line = head, *next, *sp1, *sp2, *colon, *ws, *v, *end;
	const char *host = NULL;
	size_t host_len = 0;
	int te = 0;

	*content_length = -1;
	next = strstr(line, "\r\n");
	if (next)
		*next = '\0';
	sp1 = strchr(line, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return 400;
	if (strcmp(sp2 + 1, "HTTP/1.0") == 0)
		conn->close_after = 1;
	header_add(s, ":method", 7, line, (size_t)(sp1 - line), 0);
	header_add(s, ":scheme", 7, conn->plain ? "http" : "https", conn->plain ? 4 : 5, 0);
	header_add(s, ":path", 5, sp1 + 1, (size_t)(sp2 - sp1 - 1), 0);
	for (line = next ? next + 2 : NULL; line && *line; line = next ? next + 2 : NULL) {
		next = strstr(line, "\r\n");
		if (next)
			*next = '\0';
		colon = strchr(line, ':');
		ws = strpbrk(line, " \t");
		if (!colon || colon == line || (ws && ws < colon))
			return 400; /* no name, or white space inside it (RFC 9112 5.1) */
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		for (end = v + strlen(v); end > v && (end[-1] == ' ' || end[-1] == '\t'); end--)
			;
		if ((size_t)(colon - line) == 4 && strncasecmp(line, "host", 4) == 0) {
			host = v;
			host_len = (size_t)(end - v);
		} else if ((size_t)(colon - line) == 14 &&
			   strncasecmp(line, "content-length", 14) == 0) {
			char *e;
			long long n = strtoll(v, &e, 10);

			if (e == v || e != end || n < 0 ||
			    (*content_length >= 0 && *content_length != n))
				return 400;
			*content_length = n;
		} else if ((size_t)(colon - line) == 17 &&
			   strncasecmp(line, "transfer-encoding", 17) == 0) {
			te = 1;
		} else if ((size_t)(colon - line) == 10 &&
			   strncasecmp(line, "connection", 10) == 0 &&
			   strncasecmp(v, "close", 5) == 0) {
			conn->close_after = 1;
		}
		header_add(s, line, (size_t)(colon - line), v, (size_t)(end - v), 1);
	}
	if (host)
		header_add(s, ":authority", 10, host, host_len, 0);
	if (te) /* the providers want Content-Length (WNS says so outright) */
		return 411;
	if (*content_length > HTTP1_MAX_CONTENT)
		return 413;
	return 0;
}

/* Read requests off the connection, one at a time. */
static void http1_read(struct h2_conn *conn)
{
	struct evbuffer *in = bufferevent_get_input(conn->bev);

	conn->in_recv = 1;
	while (!conn->close_after && !conn->paused) {
		struct stream *s = conn->cur;

		if (!s) {
			struct evbuffer_ptr pos = evbuffer_search(in, "\r\n\r\n", 4, NULL);
			long long clen;
			char *head;
			int bad;

			if (pos.pos < 0) {
				if (evbuffer_get_length(in) <= HTTP1_MAX_HEAD)
					break;
				pos.pos = 0;
			}
			if (!(s = stream_get(conn)))
				goto fail;
			conn->cur = s;
			if (pos.pos == 0 || (size_t)pos.pos > HTTP1_MAX_HEAD) {
				http1_refuse(conn, s, 431, "request head too large\n");
				break;
			}
			if (!(head = malloc((size_t)pos.pos + 4)))
				goto fail;
			evbuffer_remove(in, head, (size_t)pos.pos + 4);
			head[pos.pos + 2] = '\0';
			bad = http1_parse_head(conn, s, head, &clen);
			free(head);
			if (bad) {
				http1_refuse(conn, s, bad, "malformed or unsupported request\n");
				break;
			}
			s->resp_off = clen > 0 ? (size_t)clen : 0; /* body bytes still to read */
			if (s->resp_off) {
				const char *expect = h2_req_header(&s->req, "expect", NULL);

				if (expect && strcasecmp(expect, "100-continue") == 0)
					bufferevent_write(conn->bev,
							  "HTTP/1.1 100 Continue\r\n\r\n", 25);
			}
		}
		if (s->answered)
			break; /* a delayed answer is pending */
		while (s->resp_off > 0 && evbuffer_get_length(in) > 0) {
			size_t n = evbuffer_get_length(in), room, take;

			if (n > s->resp_off)
				n = s->resp_off;
			room = conn->srv->opts.max_body - s->req.body_len;
			take = n < room ? n : room;
			if (take) {
				if (body_reserve(s, take) != 0)
					goto fail;
				evbuffer_remove(in, s->req.body + s->req.body_len, take);
				s->req.body_len += take;
				s->req.body[s->req.body_len] = '\0';
			}
			evbuffer_drain(in, n - take);
			s->req.body_total += n;
			s->resp_off -= n;
		}
		if (s->resp_off > 0)
			break;
		if (conn_request(conn, s) != 0)
			goto fail;
		if (conn->cur == s)
			break; /* answered later */
	}
	conn->in_recv = 0;
	if (conn->close_after && !conn->cur &&
	    evbuffer_get_length(bufferevent_get_output(conn->bev)) == 0)
		conn_free(conn);
	return;
fail:
	conn->in_recv = 0;
	conn_free(conn);
}

int h2_respond(struct h2_req *req, int status, const struct h2_out_header *hdrs, size_t n_hdrs,
	       const char *body, size_t body_len, unsigned delay_ms)
{
	struct stream *s = (struct stream *)req;
	struct h2_conn *conn = req->conn;
	size_t bytes = (n_hdrs + 1) * sizeof(nghttp2_nv) + sizeof(":status") + 4;
	char status_text[4], *p;
	struct timeval tv;

	if (s->answered || conn->dropped || status < 100 || status > 999)
		return -1;
	s->answered = 1;
	if (conn->srv->opts.faults_st)
		delay_ms += faults_delay(state_faults(conn->srv->opts.faults_st),
					 conn->srv->opts.faults_provider);
	if (conn->http1)
		return http1_respond(s, status, hdrs, n_hdrs, body, body_len, delay_ms);
	for (size_t i = 0; i < n_hdrs; i++)
		bytes += strlen(hdrs[i].name) + strlen(hdrs[i].value) + 2;
	if (resp_reserve(s, bytes + body_len) != 0)
		goto fail;
	s->nv = (nghttp2_nv *)s->resp_buf;
	s->resp_body = s->resp_buf + bytes;
	p = (char *)(s->nv + n_hdrs + 1);
	snprintf(status_text, sizeof(status_text), "%d", status);
	s->nv[0] = make_nv(&p, ":status", status_text);
	for (size_t i = 0; i < n_hdrs; i++)
		s->nv[i + 1] = make_nv(&p, hdrs[i].name, hdrs[i].value);
	s->n_nv = n_hdrs + 1;
	if (body_len)
		memcpy(s->resp_body, body, body_len);
	s->resp_len = body_len;
	if (delay_ms == 0) {
		stream_submit(s);
		return 0;
	}
	s->timer = evtimer_new(conn->srv->base, on_delay, s);
	if (!s->timer)
		goto fail;
	tv.tv_sec = delay_ms / 1000;
	tv.tv_usec = (suseconds_t)(delay_ms % 1000) * 1000;
	evtimer_add(s->timer, &tv);
	return 0;
fail:
	nghttp2_submit_rst_stream(conn->ng, NGHTTP2_FLAG_NONE, req->stream_id,
				  NGHTTP2_INTERNAL_ERROR);
	if (!conn->in_recv)
		conn_flush(conn);
	return -1;
}

const char *h2_req_header(const struct h2_req *req, const char *name, int *count)
{
	const char *found = NULL;
	int n = 0;

	for (size_t i = 0; i < req->n_headers; i++) {
		if (strcmp(req->headers[i].name, name) == 0) {
			if (!found)
				found = req->headers[i].value;
			n++;
		}
	}
	if (count)
		*count = n;
	return found;
}

/*
 * Both sides are done (a GOAWAY went one way or the other and the streams
 * finished): send FIN and discard what the client still sends until it
 * closes or LINGER_S pass.  Closing with unread input would send a reset,
 * which can make the client lose the last answers and the GOAWAY.
 */
static void conn_linger(struct h2_conn *conn)
{
	static const struct timeval linger = {LINGER_S, 0};

	if (conn->lingering)
		return;
	conn->lingering = 1;
	shutdown(bufferevent_getfd(conn->bev), SHUT_WR);
	evbuffer_drain(bufferevent_get_input(conn->bev),
		       evbuffer_get_length(bufferevent_get_input(conn->bev)));
	bufferevent_set_timeouts(conn->bev, &linger, NULL);
}

/* Move frames from nghttp2 to the socket; close the connection when both sides are done. */
static void conn_flush(struct h2_conn *conn)
{
	struct evbuffer *out = bufferevent_get_output(conn->bev);

	while (evbuffer_get_length(out) < OUTPUT_HIGH_WATER) {
		const uint8_t *data;
		ssize_t n = nghttp2_session_mem_send(conn->ng, &data);

		if (n < 0) {
			conn_free(conn);
			return;
		}
		if (n == 0)
			break;
		if (evbuffer_add(out, data, (size_t)n) != 0) {
			conn_free(conn);
			return;
		}
	}
	if (!nghttp2_session_want_read(conn->ng) && !nghttp2_session_want_write(conn->ng) &&
	    evbuffer_get_length(out) == 0)
		conn_linger(conn);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct h2_conn *conn = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (conn->lingering) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	if (conn->http1) {
		http1_read(conn);
		return;
	}
	if (!conn->ng)
		return;
	while (evbuffer_get_length(in) > 0 && !conn->paused) {
		struct evbuffer_iovec v;
		ssize_t n;

		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		conn->in_recv = 1;
		n = nghttp2_session_mem_recv(conn->ng, v.iov_base, v.iov_len);
		conn->in_recv = 0;
		if (n < 0) {
			conn_free(conn);
			return;
		}
		evbuffer_drain(in, (size_t)n);
	}
	conn_flush(conn);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct h2_conn *conn = arg;

	if (conn->http1 && conn->close_after && !conn->cur &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_free(conn);
	else if (conn->ng)
		conn_flush(conn);
}

static int session_start(struct h2_conn *conn)
{
	nghttp2_session_callbacks *cbs;
	const unsigned char *alpn = NULL;
	unsigned int alpn_len = 0;
	nghttp2_settings_entry iv[1];
	int rc;

	SSL_get0_alpn_selected(h2_conn_ssl(conn), &alpn, &alpn_len);
	if (alpn_len != 2 || memcmp(alpn, "h2", 2) != 0) {
		/* ALPN refused anything but h2 unless the context allows HTTP/1.1. */
		if (!conn->srv->opts.http1)
			return -1;
		conn->http1 = 1;
		if (conn->srv->opts.on_conn_open)
			conn->data = conn->srv->opts.on_conn_open(conn, conn->srv->opts.arg);
		return 0;
	}
	if (nghttp2_session_callbacks_new(&cbs) != 0)
		return -1;
	nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
	/* Before the session exists, so that a limit set here goes out in the first SETTINGS. */
	conn->max_streams = conn->srv->opts.max_streams;
	if (conn->srv->opts.on_conn_open)
		conn->data = conn->srv->opts.on_conn_open(conn, conn->srv->opts.arg);
	rc = nghttp2_session_server_new(&conn->ng, cbs, conn);
	nghttp2_session_callbacks_del(cbs);
	if (rc != 0)
		return -1;
	iv[0] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS,
					 conn->max_streams};
	return nghttp2_submit_settings(conn->ng, NGHTTP2_FLAG_NONE, iv, 1) == 0 ? 0 : -1;
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct h2_conn *conn = arg;

	if (what & BEV_EVENT_CONNECTED) {
		bufferevent_set_timeouts(bev, NULL, NULL); /* provider connections live long */
		if (session_start(conn) != 0) {
			conn_free(conn);
			return;
		}
		if (conn->http1)
			http1_read(conn);
		else
			conn_flush(conn);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
		while (ERR_get_error())
			; /* handshake failures leave OpenSSL errors behind */
		conn_free(conn);
	}
}

/* Put TLS on fd (conn is on the server's list). */
static int conn_start_tls(struct h2_conn *conn, evutil_socket_t fd)
{
	static const struct timeval handshake_timeout = {HANDSHAKE_TIMEOUT_S, 0};
	struct h2_server *srv = conn->srv;
	SSL *ssl = SSL_new(srv->tls);

	if (!ssl)
		return -1;
	conn->bev = bufferevent_openssl_socket_new(srv->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
						   BEV_OPT_CLOSE_ON_FREE);
	if (!conn->bev)
		return -1; /* bufferevent_openssl_socket_new freed ssl */
	bufferevent_openssl_set_allow_dirty_shutdown(conn->bev, 1);
	bufferevent_setcb(conn->bev, on_read, on_write, on_event, conn);
	bufferevent_set_timeouts(conn->bev, &handshake_timeout, NULL);
	bufferevent_enable(conn->bev, EV_READ | EV_WRITE);
	return 0;
}

/*
 * Servers with plain_http take both on one port: a TLS ClientHello starts
 * with a handshake record (0x16); anything else is plaintext HTTP/1.1.
 */
static void on_sniff(evutil_socket_t fd, short what, void *arg)
{
	struct h2_conn *conn = arg;
	unsigned char first;
	int rc = 0;

	event_free(conn->sniff);
	conn->sniff = NULL;
	if (!(what & EV_READ) || recv(fd, &first, 1, MSG_PEEK) != 1) {
		rc = -1;
	} else if (first == 0x16) {
		rc = conn_start_tls(conn, fd);
	} else {
		conn->bev = bufferevent_socket_new(conn->srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
		if (!conn->bev) {
			rc = -1;
		} else {
			conn->http1 = 1;
			conn->plain = 1;
			if (conn->srv->opts.on_conn_open)
				conn->data =
					conn->srv->opts.on_conn_open(conn, conn->srv->opts.arg);
			bufferevent_setcb(conn->bev, on_read, on_write, on_event, conn);
			bufferevent_enable(conn->bev, EV_READ | EV_WRITE);
		}
	}
	if (rc != 0) {
		if (!conn->bev)
			evutil_closesocket(fd);
		conn_free(conn);
	}
}

static void on_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *arg)
{
	static const struct timeval sniff_timeout = {HANDSHAKE_TIMEOUT_S, 0};
	struct h2_server *srv = arg;
	struct h2_conn *conn = calloc(1, sizeof(*conn));
	int one = 1;

	if (!conn) {
		evutil_closesocket(fd);
		return;
	}
	/* Answers are small and latency-bound: do not let Nagle hold them back. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	conn->srv = srv;
	TAILQ_INIT(&conn->streams);
	TAILQ_INSERT_TAIL(&srv->conns, conn, link);
	if (srv->opts.plain_http) {
		conn->sniff = event_new(srv->base, fd, EV_READ, on_sniff, conn);
		if (conn->sniff && event_add(conn->sniff, &sniff_timeout) == 0)
			return;
	} else if (conn_start_tls(conn, fd) == 0) {
		return;
	}
	if (!conn->bev)
		evutil_closesocket(fd);
	conn_free(conn);
}

struct h2_server *h2_server_new(struct event_base *base, int port,
				const struct h2_server_opts *opts, char *err, size_t errlen)
{
	struct h2_server *srv = calloc(1, sizeof(*srv));
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	socklen_t len = sizeof(sin);

	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->base = base;
	srv->opts = *opts;
	TAILQ_INIT(&srv->conns);
	TAILQ_INIT(&srv->pool);
	srv->tls = tls_ctx_new(opts->cert_file, opts->key_file, opts->client_ca, opts->http1, err,
			       errlen);
	if (!srv->tls) {
		h2_server_free(srv);
		return NULL;
	}
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv->lis = evconnlistener_new_bind(base, on_accept, srv,
					   LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
						   LEV_OPT_CLOSE_ON_EXEC,
					   -1, (struct sockaddr *)&sin, sizeof(sin));
	if (!srv->lis ||
	    getsockname(evconnlistener_get_fd(srv->lis), (struct sockaddr *)&sin, &len) != 0) {
		snprintf(err, errlen, "cannot listen on 127.0.0.1:%d", port);
		h2_server_free(srv);
		return NULL;
	}
	srv->port = ntohs(sin.sin_port);
	if (opts->faults_st) /* faults for this provider now do something */
		faults_serve(state_faults(opts->faults_st),
			     (enum emu_provider)opts->faults_provider);
	return srv;
}

int h2_server_port(const struct h2_server *srv)
{
	return srv->port;
}

void h2_server_free(struct h2_server *srv)
{
	struct h2_conn *conn;
	struct stream *s;

	if (!srv)
		return;
	while ((conn = TAILQ_FIRST(&srv->conns)))
		conn_free(conn);
	while ((s = TAILQ_FIRST(&srv->pool))) {
		TAILQ_REMOVE(&srv->pool, s, link);
		stream_destroy(s);
	}
	if (srv->lis)
		evconnlistener_free(srv->lis);
	SSL_CTX_free(srv->tls);
	free(srv);
}

void *h2_conn_data(const struct h2_conn *conn)
{
	return conn->data;
}

SSL *h2_conn_ssl(const struct h2_conn *conn)
{
	return bufferevent_openssl_get_ssl(conn->bev);
}

X509 *h2_conn_peer_cert(const struct h2_conn *conn)
{
	SSL *ssl = h2_conn_ssl(conn);
	X509 *cert = ssl ? SSL_get0_peer_certificate(ssl) : NULL;

	/* The handshake fails on a bad certificate; this is a second look. */
	return cert && SSL_get_verify_result(ssl) == X509_V_OK ? cert : NULL;
}

void h2_conn_drop(struct h2_conn *conn)
{
	conn->dropped = 1;
	if (!conn->in_recv)
		conn_free(conn);
}

void h2_conn_set_max_streams(struct h2_conn *conn, uint32_t n)
{
	nghttp2_settings_entry iv = {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, n};

	if (conn->max_streams == n)
		return;
	conn->max_streams = n;
	if (conn->ng)
		nghttp2_submit_settings(conn->ng, NGHTTP2_FLAG_NONE, &iv, 1);
}
