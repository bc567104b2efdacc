/*
 * HTTP/2 client pools; see http2.h for the model.
 *
 * Pieces.  A struct req is one request from http2_request() to its done
 * callback; reqs are recycled through the pool's free list with their
 * buffers (request strings and body, response headers and body) and their
 * timeout event, so a steady stream of requests allocates nothing here.  A
 * req is in at most one of the pool's lists (queue, done, free) through
 * qlink, and attached to at most one connection (its stream) through clink.
 * nghttp2's stream user data points at the req, so every frame finds its
 * request in O(1).
 *
 * Completion.  Callbacks from nghttp2 and timers never call done directly:
 * they decide the outcome and move the req to the done list, and
 * pool_settle(), the last thing every event callback does, delivers the
 * done list, dispatches the queue onto connections with free streams, opens
 * a connection if needed and flushes the connections that have frames to
 * send.  So a done callback never runs with nghttp2 or a connection on the
 * stack, and may send more requests or free the pool.
 *
 * A request that times out while its stream is open is reported at once and
 * its stream reset; the req stays attached (a "zombie": finished, still on
 * its stream) until nghttp2 closes the stream, because nghttp2 may still
 * read its body and holds pointers into its buffer.
 *
 * Memory: the pool owns its connections, reqs and copies of everything it
 * was given.  Threading: the loop thread of the event base only.
 */
#include "config.h"

#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/util.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "broker/http2.h"
#include "common/log.h"

#define DEFAULT_MAX_CONNECTIONS	   1u
#define DEFAULT_MAX_QUEUED	   10000u
#define DEFAULT_CONNECT_TIMEOUT_MS 10000u
#define DEFAULT_REQUEST_TIMEOUT_MS 30000u
#define DEFAULT_PING_INTERVAL_MS   60000u
#define BACKOFF_BASE_MS		   100u
#define BACKOFF_MAX_MS		   30000u
#define OUTPUT_HIGH_WATER	   (256u * 1024) /* stop producing frames beyond this */
#define MAX_RESPONSE_HEADER_BYTES  65536u
#define MAX_RESPONSE_BODY	   (4u << 20)
#define KEEP_BUFFER_MAX		   65536u /* bigger buffers are not kept for reuse */
#define STREAM_WINDOW		   (1 << 20)
#define CONNECTION_WINDOW	   (16 << 20)
#define ERROR_MAX		   256

enum req_list { REQ_NONE, REQ_QUEUE, REQ_DONE, REQ_FREE };
enum conn_state { CONN_CONNECTING, CONN_READY, CONN_DRAINING };

struct conn;

struct req {
	struct http2_pool *pool;
	TAILQ_ENTRY(req) qlink; /* queue, done or free list: see list */
	TAILQ_ENTRY(req) clink; /* conn->streams while attached */
	struct conn *conn;	/* attached to this connection's stream, or NULL */
	enum req_list list;
	int32_t stream_id;
	unsigned sent : 1;	 /* HEADERS written: the server may have processed it */
	unsigned retried : 1;	 /* requeued once after GOAWAY / REFUSED_STREAM */
	unsigned finished : 1;	 /* outcome decided (in the done list or delivered) */
	unsigned end_stream : 1; /* the response is complete */
	unsigned too_big : 1;	 /* the response exceeded our bounds; err says which */
	http2_done_fn done;	 /* NULL once delivered */
	void *arg;
	struct event *timer;
	uint32_t timeout_ms;

	/* The request: strings and body copied into buf, nv pointing into it. */
	char *buf;
	size_t buf_cap;
	nghttp2_nv *nv;
	size_t n_nv, nv_cap;
	const uint8_t *body;
	size_t body_len, body_off;

	/* The response. */
	int status;
	char *hbuf; /* name\0value\0 pairs */
	size_t hlen, hcap, n_headers;
	struct herald_http_header *hdrs;
	size_t hdrs_cap;
	unsigned char *rbody; /* with room for a NUL after rlen bytes */
	size_t rlen, rcap;
	int unprocessed;
	char err[ERROR_MAX];
};

TAILQ_HEAD(req_list_head, req);

struct conn {
	struct http2_pool *pool;
	TAILQ_ENTRY(conn) link;
	TAILQ_ENTRY(conn) dlink; /* pool->dirty while dirty */
	int dirty;		 /* has frames to send: flush in pool_settle() */
	enum conn_state state;
	struct bufferevent *bev;
	nghttp2_session *ng;
	struct event *timer; /* connect deadline, then the PING tick */
	unsigned int n_streams;
	struct req_list_head streams;
	int read_since_tick, ping_out;
	int had_response; /* a stream got an answer: the connection worked */
	char goaway[160]; /* what the peer's GOAWAY said, if it sent one */
};

struct http2_pool {
	struct event_base *base;
	SSL_CTX *tls;
	struct evdns_base *dns; /* for origins named by host name */
	nghttp2_session_callbacks *cbs;
	char *origin; /* without a trailing '/' */
	size_t origin_len;
	char *host, *authority, *prefix, *ca_name;
	int port, host_is_ip, has_client_cert;
	struct sockaddr_storage addr;
	int addr_len;
	unsigned int max_conns, max_streams, max_queued;
	uint32_t connect_timeout_ms, request_timeout_ms, ping_interval_ms;
	const struct timeval *common_timeout; /* request_timeout_ms, O(1) timers */

	TAILQ_HEAD(, conn) conns;
	TAILQ_HEAD(, conn) dirty;
	unsigned int n_conns, n_active, n_connecting; /* active: not draining */
	struct req_list_head queue, done, free;
	unsigned int n_queued, n_in_flight;

	struct event *settle_ev, *backoff_ev;
	unsigned int failures; /* connections in a row that failed before any answer */
	int lost;	       /* a working connection ended: the next attempt is a reconnect */
	uint64_t rng;
	int kicked, settling, closing, free_requested;
	struct http2_pool_stats stats;
	char last_error[ERROR_MAX];
};

static void pool_settle(struct http2_pool *p);
static void on_req_timeout(evutil_socket_t fd, short what, void *arg);
static void conn_drop(struct conn *c, int failed, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* --- small helpers --------------------------------------------------------------------- */

static uint64_t pool_random(struct http2_pool *p)
{
	/* xorshift64*: jitter only, no security role. */
	p->rng ^= p->rng >> 12;
	p->rng ^= p->rng << 25;
	p->rng ^= p->rng >> 27;
	return p->rng * 2685821657736338717ull;
}

/* Grow *buf (capacity *cap) to hold need bytes.  0 or -1. */
static int grow(void **buf, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 16;
	void *b;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	b = realloc(*buf, n * elem);
	if (!b)
		return -1;
	*buf = b;
	*cap = n;
	return 0;
}

static void pool_kick(struct http2_pool *p)
{
	if (p->settling || p->kicked)
		return;
	p->kicked = 1;
	event_active(p->settle_ev, EV_TIMEOUT, 1);
}

static void conn_mark_dirty(struct conn *c)
{
	if (c->dirty)
		return;
	c->dirty = 1;
	TAILQ_INSERT_TAIL(&c->pool->dirty, c, dlink);
	pool_kick(c->pool);
}

/* --- requests -------------------------------------------------------------------------- */

static struct req *req_get(struct http2_pool *p)
{
	struct req *r = TAILQ_FIRST(&p->free);

	if (r) {
		TAILQ_REMOVE(&p->free, r, qlink);
		r->list = REQ_NONE;
		return r;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->pool = p;
	r->timer = evtimer_new(p->base, on_req_timeout, r);
	if (!r->timer) {
		free(r);
		return NULL;
	}
	return r;
}

static void req_destroy(struct req *r)
{
	event_free(r->timer);
	free(r->buf);
	free(r->nv);
	free(r->hbuf);
	free(r->hdrs);
	free(r->rbody);
	free(r);
}

/* Back to the free list once delivered and detached from its stream. */
static void req_release(struct req *r)
{
	struct http2_pool *p = r->pool;

	if (r->done || r->conn || r->list != REQ_NONE)
		return;
	if (r->buf_cap > KEEP_BUFFER_MAX) {
		free(r->buf);
		r->buf = NULL;
		r->buf_cap = 0;
	}
	if (r->rcap > KEEP_BUFFER_MAX) {
		free(r->rbody);
		r->rbody = NULL;
		r->rcap = 0;
	}
	r->list = REQ_FREE;
	TAILQ_INSERT_HEAD(&p->free, r, qlink);
}

static void req_reset_response(struct req *r)
{
	r->status = 0;
	r->hlen = r->n_headers = r->rlen = 0;
	r->end_stream = r->too_big = 0;
	r->body_off = 0;
	r->sent = 0;
	r->err[0] = '\0';
}

static void queue_insert(struct req *r, int at_head)
{
	struct http2_pool *p = r->pool;

	if (at_head)
		TAILQ_INSERT_HEAD(&p->queue, r, qlink);
	else
		TAILQ_INSERT_TAIL(&p->queue, r, qlink);
	r->list = REQ_QUEUE;
	p->n_queued++;
}

static void queue_remove(struct req *r)
{
	TAILQ_REMOVE(&r->pool->queue, r, qlink);
	r->list = REQ_NONE;
	r->pool->n_queued--;
}

/* The outcome is decided: to the done list, delivered by pool_settle(). */
static void req_finish(struct req *r)
{
	struct http2_pool *p = r->pool;

	r->finished = 1;
	event_del(r->timer);
	TAILQ_INSERT_TAIL(&p->done, r, qlink);
	r->list = REQ_DONE;
	pool_kick(p);
}

static void req_fail(struct req *r, int unprocessed, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void req_fail(struct req *r, int unprocessed, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	r->status = 0;
	r->n_headers = r->rlen = 0;
	r->unprocessed = unprocessed;
	req_finish(r);
}

/* Unlink r from its connection's stream (the session is told unless it is going away). */
static void req_detach(struct req *r, int tell_session)
{
	struct conn *c = r->conn;

	if (!c)
		return;
	if (tell_session)
		nghttp2_session_set_stream_user_data(c->ng, r->stream_id, NULL);
	TAILQ_REMOVE(&c->streams, r, clink);
	c->n_streams--;
	c->pool->n_in_flight--;
	r->conn = NULL;
}

static void req_deliver(struct req *r)
{
	struct http2_pool *p = r->pool;
	struct herald_http_response res = {.size = sizeof(res)};
	http2_done_fn done = r->done;
	const char *h = r->hbuf;

	TAILQ_REMOVE(&p->done, r, qlink);
	r->list = REQ_NONE;
	if (grow((void **)&r->hdrs, &r->hdrs_cap, r->n_headers + 1, sizeof(*r->hdrs)) != 0) {
		snprintf(r->err, sizeof(r->err), "out of memory for the response headers");
		r->status = 0;
		r->n_headers = r->rlen = 0;
	}
	for (size_t i = 0; i < r->n_headers; i++) {
		r->hdrs[i].name = h;
		h += strlen(h) + 1;
		r->hdrs[i].value = h;
		h += strlen(h) + 1;
	}
	res.status = r->status;
	res.headers = r->n_headers ? r->hdrs : NULL;
	res.n_headers = r->n_headers;
	if (r->rbody)
		r->rbody[r->rlen] = '\0';
	res.body = r->rbody ? r->rbody : (const unsigned char *)"";
	res.body_len = r->rlen;
	res.error = r->status ? NULL : r->err;
	res.unprocessed = r->status ? 0 : r->unprocessed;
	r->done = NULL;
	done(r->arg, &res);
	req_release(r);
}

/* --- nghttp2 callbacks (inside nghttp2_session_mem_recv/mem_send) ------------------------ */

static ssize_t read_body(nghttp2_session *ng, int32_t stream_id, uint8_t *buf, size_t len,
			 uint32_t *flags, nghttp2_data_source *src, void *user)
{
	struct req *r = nghttp2_session_get_stream_user_data(ng, stream_id);
	size_t n;

	(void)src;
	(void)user;
	if (!r)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	n = r->body_len - r->body_off;
	if (n > len)
		n = len;
	memcpy(buf, r->body + r->body_off, n);
	r->body_off += n;
	if (r->body_off == r->body_len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static int on_frame_send(nghttp2_session *ng, const nghttp2_frame *frame, void *user)
{
	struct req *r;

	(void)user;
	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	r = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
	if (r)
		r->sent = 1;
	return 0;
}

static void conn_ready(struct conn *c)
{
	struct http2_pool *p = c->pool;
	struct timeval tv = {p->ping_interval_ms / 1000, (p->ping_interval_ms % 1000) * 1000};

	c->state = CONN_READY;
	p->n_connecting--;
	p->last_error[0] = '\0';
	event_del(c->timer);
	event_add(c->timer, &tv);
	log_debug("%s HTTP/2 connection to %s ready", p->prefix, p->authority);
}

static void conn_goaway(struct conn *c, const nghttp2_goaway *ga)
{
	struct http2_pool *p = c->pool;
	size_t n = ga->opaque_data_len < 100 ? ga->opaque_data_len : 100;
	char debug[101];

	/* Debug data is the peer's free text (APNs: JSON); keep it printable. */
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = ga->opaque_data[i];
		debug[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	debug[n] = '\0';
	snprintf(c->goaway, sizeof(c->goaway), "GOAWAY (%s, last stream %d)%s%s",
		 nghttp2_http2_strerror(ga->error_code), ga->last_stream_id, n ? ": " : "", debug);
	if (c->state == CONN_CONNECTING)
		p->n_connecting--;
	if (c->state != CONN_DRAINING)
		p->n_active--;
	c->state = CONN_DRAINING;
	log_msg(ga->error_code == NGHTTP2_NO_ERROR ? LOG_INFO : LOG_WARNING, "%s HTTP/2 %s sent %s",
		p->prefix, p->authority, c->goaway);
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame, void *user)
{
	struct conn *c = user;
	struct req *r;

	switch (frame->hd.type) {
	case NGHTTP2_SETTINGS:
		if (!(frame->hd.flags & NGHTTP2_FLAG_ACK) && c->state == CONN_CONNECTING)
			conn_ready(c);
		break;
	case NGHTTP2_GOAWAY:
		conn_goaway(c, &frame->goaway);
		break;
	case NGHTTP2_HEADERS:
	case NGHTTP2_DATA:
		if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
			r = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
			if (r)
				r->end_stream = 1;
		}
		break;
	default:
		break;
	}
	return 0;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name,
		     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
		     void *user)
{
	struct req *r = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
	size_t need;

	(void)flags;
	(void)user;
	if (!r || r->finished || r->too_big)
		return 0;
	if (namelen == 7 && !memcmp(name, ":status", 7)) {
		int status = 0;

		for (size_t i = 0; i < valuelen && i < 3; i++)
			status = status * 10 + (value[i] - '0');
		if (status < 200) { /* informational: the real answer follows */
			r->hlen = r->n_headers = 0;
			return 0;
		}
		r->status = status;
		return 0;
	}
	if (namelen && name[0] == ':')
		return 0;
	need = r->hlen + namelen + valuelen + 2;
	if (need > MAX_RESPONSE_HEADER_BYTES) {
		r->too_big = 1;
		snprintf(r->err, sizeof(r->err), "response headers larger than %u bytes",
			 MAX_RESPONSE_HEADER_BYTES);
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* resets the stream */
	}
	if (grow((void **)&r->hbuf, &r->hcap, need, 1) != 0)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	/* HTTP/2 header names are lower case already (nghttp2 rejects others). */
	memcpy(r->hbuf + r->hlen, name, namelen);
	r->hbuf[r->hlen + namelen] = '\0';
	memcpy(r->hbuf + r->hlen + namelen + 1, value, valuelen);
	r->hbuf[need - 1] = '\0';
	r->hlen = need;
	r->n_headers++;
	return 0;
}

static int on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t stream_id, const uint8_t *data,
			 size_t len, void *user)
{
	struct req *r = nghttp2_session_get_stream_user_data(ng, stream_id);

	(void)flags;
	(void)user;
	if (!r || r->finished || r->too_big)
		return 0;
	if (r->rlen + len > MAX_RESPONSE_BODY) {
		r->too_big = 1;
		snprintf(r->err, sizeof(r->err), "response body larger than %u bytes",
			 MAX_RESPONSE_BODY);
		nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
		return 0;
	}
	if (grow((void **)&r->rbody, &r->rcap, r->rlen + len + 1, 1) != 0)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	memcpy(r->rbody + r->rlen, data, len);
	r->rlen += len;
	return 0;
}

/* A GOAWAY or REFUSED_STREAM left r unprocessed: once more on another stream, else fail. */
static void req_refused(struct req *r, const struct conn *c)
{
	struct http2_pool *p = r->pool;

	if (!r->retried && !p->closing) {
		r->retried = 1;
		p->stats.retried_goaway++;
		req_reset_response(r);
		queue_insert(r, 1);
		pool_kick(p);
		return;
	}
	req_fail(r, 1, "not processed by the server, twice: %s",
		 c->goaway[0] ? c->goaway : "stream refused (REFUSED_STREAM)");
}

static int on_stream_close(nghttp2_session *ng, int32_t stream_id, uint32_t error_code, void *user)
{
	struct conn *c = user;
	struct req *r = nghttp2_session_get_stream_user_data(ng, stream_id);

	if (!r)
		return 0;
	req_detach(r, 1);
	if (r->finished) { /* a zombie: reported already */
		req_release(r);
		return 0;
	}
	if (r->too_big) {
		char why[ERROR_MAX];

		memcpy(why, r->err, sizeof(why));
		req_fail(r, 0, "%s", why);
	} else if (error_code == NGHTTP2_NO_ERROR && r->end_stream && r->status) {
		c->had_response = 1;
		c->pool->failures = 0;
		req_finish(r);
	} else if (error_code == NGHTTP2_REFUSED_STREAM)
		req_refused(r, c);
	else if (error_code == NGHTTP2_NO_ERROR)
		req_fail(r, !r->sent, "stream closed without a complete response");
	else
		req_fail(r, !r->sent, "stream reset: %s (%u)", nghttp2_http2_strerror(error_code),
			 error_code);
	return 0;
}

/* --- connections ----------------------------------------------------------------------- */

static unsigned int conn_room(const struct conn *c)
{
	uint32_t limit =
		nghttp2_session_get_remote_settings(c->ng, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);

	if (c->pool->max_streams && c->pool->max_streams < limit)
		limit = c->pool->max_streams;
	return c->n_streams < limit ? limit - c->n_streams : 0;
}

/* Put r on a stream of c.  0, or -1 (c can take no more streams; r untouched). */
static int conn_submit(struct conn *c, struct req *r)
{
	nghttp2_data_provider prd = {.source.ptr = r, .read_callback = read_body};
	int32_t id;

	id = nghttp2_submit_request(c->ng, NULL, r->nv, r->n_nv, r->body_len ? &prd : NULL, r);
	if (id < 0) {
		/* Stream ids spent (or out of memory): no new streams on this connection. */
		if (c->state != CONN_DRAINING)
			c->pool->n_active--;
		c->state = CONN_DRAINING;
		return -1;
	}
	r->stream_id = id;
	r->conn = c;
	TAILQ_INSERT_TAIL(&c->streams, r, clink);
	c->n_streams++;
	c->pool->n_in_flight++;
	conn_mark_dirty(c);
	return 0;
}

static void conn_free(struct conn *c, const char *reason)
{
	struct http2_pool *p = c->pool;
	struct req *r;

	while ((r = TAILQ_FIRST(&c->streams))) {
		req_detach(r, 0);
		if (r->finished)
			req_release(r);
		else if (!r->sent && !p->closing) {
			req_reset_response(r);
			queue_insert(r, 1);
		} else
			req_fail(r, !r->sent, "connection lost: %s", reason);
	}
	if (c->dirty)
		TAILQ_REMOVE(&p->dirty, c, dlink);
	if (c->state == CONN_CONNECTING)
		p->n_connecting--;
	if (c->state != CONN_DRAINING)
		p->n_active--;
	TAILQ_REMOVE(&p->conns, c, link);
	p->n_conns--;
	nghttp2_session_del(c->ng);
	bufferevent_free(c->bev);
	event_free(c->timer);
	free(c);
	pool_kick(p);
}

static void pool_backoff(struct http2_pool *p)
{
	unsigned int shift = p->failures > 9 ? 9 : p->failures - 1;
	uint64_t ms = (uint64_t)BACKOFF_BASE_MS << shift;
	struct timeval tv;

	if (ms > BACKOFF_MAX_MS)
		ms = BACKOFF_MAX_MS;
	ms = ms / 2 + pool_random(p) % (ms / 2 + 1); /* jitter: [ms/2, ms] */
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	event_add(p->backoff_ev, &tv);
}

/*
 * End c.  failed: something went wrong (else a drained connection closing).
 * A connection that never answered anything counts as a failed attempt:
 * the next one waits a backoff.
 */
static void conn_drop(struct conn *c, int failed, const char *fmt, ...)
{
	struct http2_pool *p = c->pool;
	char reason[ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (!c->had_response && (failed || c->goaway[0])) {
		p->failures++;
		snprintf(p->last_error, sizeof(p->last_error), "%s", reason);
		/* Rate-limited: the first failure, then every power of two. */
		log_msg((p->failures & (p->failures - 1)) == 0 ? LOG_WARNING : LOG_DEBUG,
			"%s HTTP/2 connection to %s failed (%u in a row): %s", p->prefix,
			p->authority, p->failures, reason);
		if (!p->closing)
			pool_backoff(p);
	} else {
		p->lost = 1;
		if (failed)
			log_notice("%s HTTP/2 connection to %s lost: %s", p->prefix, p->authority,
				   reason);
	}
	conn_free(c, reason);
}

static void conn_flush(struct conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	const uint8_t *data;
	ssize_t n;

	while (evbuffer_get_length(out) < OUTPUT_HIGH_WATER) {
		n = nghttp2_session_mem_send(c->ng, &data);
		if (n < 0) {
			conn_drop(c, 1, "HTTP/2: %s", nghttp2_strerror((int)n));
			return;
		}
		if (n == 0)
			break;
		if (evbuffer_add(out, data, (size_t)n) != 0) {
			conn_drop(c, 1, "out of memory");
			return;
		}
	}
	if (c->state == CONN_DRAINING && c->n_streams == 0)
		conn_drop(c, 0, "%s", c->goaway[0] ? c->goaway : "no more streams");
	else if (!nghttp2_session_want_read(c->ng) && !nghttp2_session_want_write(c->ng))
		conn_drop(c, 1, "HTTP/2 session ended");
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct http2_pool *p = c->pool;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;

	c->read_since_tick = 1;
	while ((len = evbuffer_get_contiguous_space(in)) > 0) {
		ssize_t n = nghttp2_session_mem_recv(c->ng, evbuffer_pullup(in, (ssize_t)len), len);

		if (n < 0) {
			conn_drop(c, 1, "HTTP/2 protocol error: %s", nghttp2_strerror((int)n));
			pool_settle(p);
			return;
		}
		evbuffer_drain(in, len);
	}
	conn_mark_dirty(c);
	pool_settle(p);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (nghttp2_session_want_write(c->ng)) {
		conn_mark_dirty(c);
		pool_settle(c->pool);
	}
}

/* Why the TLS/TCP connection failed, in words for the user. */
static void conn_error_text(struct conn *c, short what, char *out, size_t size)
{
	struct http2_pool *p = c->pool;
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	unsigned long e, first = 0;
	int sock_err = EVUTIL_SOCKET_ERROR();
	int dns_err = bufferevent_socket_get_dns_error(c->bev);

	/* A refused or failed TCP connect shows here (OpenSSL saw a dead socket). */
	if (c->state == CONN_CONNECTING) {
		int so_err = 0;
		socklen_t len = sizeof(so_err);

		if (getsockopt(bufferevent_getfd(c->bev), SOL_SOCKET, SO_ERROR, &so_err, &len) ==
			    0 &&
		    so_err)
			sock_err = so_err;
	}
	while ((e = bufferevent_get_openssl_error(c->bev)))
		if (!first)
			first = e;
	ERR_clear_error();
	if (dns_err) {
		snprintf(out, size, "cannot resolve %s: %s", p->host, evutil_gai_strerror(dns_err));
	} else if (first && ERR_reason_error_string(first)) {
		int reason = ERR_GET_REASON(first);
		const char *text = ERR_reason_error_string(first);

		if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED)
			snprintf(out, size,
				 "TLS: server certificate verification failed: %s (CA: %s)",
				 X509_verify_cert_error_string(SSL_get_verify_result(ssl)),
				 p->ca_name);
		else if (reason == SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL)
			snprintf(out, size,
				 "TLS: the server refused ALPN \"h2\" (no HTTP/2 there)");
		else if (reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED)
			snprintf(out, size, "TLS: the server requires a client certificate%s",
				 p->has_client_cert ? "" : " and none is configured");
		else if (reason == SSL_R_SSLV3_ALERT_BAD_CERTIFICATE ||
			 reason == SSL_R_TLSV1_ALERT_UNKNOWN_CA ||
			 reason == SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN)
			snprintf(out, size, "TLS: the server rejected the client certificate (%s)",
				 text);
		else
			snprintf(out, size, "TLS: %s", text);
	} else if (sock_err && (c->state == CONN_CONNECTING || !(what & BEV_EVENT_EOF))) {
		snprintf(out, size, "connect to %s: %s", p->authority,
			 evutil_socket_error_to_string(sock_err));
	} else if (what & BEV_EVENT_EOF) {
		snprintf(out, size, "connection closed by the server%s",
			 c->state == CONN_CONNECTING ? " before the HTTP/2 session began" : "");
	} else {
		snprintf(out, size, "connection error");
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	struct http2_pool *p = c->pool;
	char why[ERROR_MAX];

	if (what & BEV_EVENT_CONNECTED) {
		const unsigned char *alpn = NULL;
		unsigned int alpn_len = 0;
		int one = 1;

		SSL_get0_alpn_selected(bufferevent_openssl_get_ssl(bev), &alpn, &alpn_len);
		if (alpn_len != 2 || memcmp(alpn, "h2", 2) != 0) {
			conn_drop(c, 1,
				  "TLS: the server did not select ALPN \"h2\" (it chose %s%.*s%s)",
				  alpn_len ? "\"" : "none", (int)alpn_len,
				  alpn ? (const char *)alpn : "", alpn_len ? "\"" : "");
			pool_settle(p);
			return;
		}
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		conn_mark_dirty(c); /* the preface and our SETTINGS */
		pool_settle(p);
		return;
	}
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
		conn_error_text(c, what, why, sizeof(why));
		conn_drop(c, 1, "%s", why);
		pool_settle(p);
	}
}

static void on_conn_timer(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct http2_pool *p = c->pool;
	struct timeval tv = {p->ping_interval_ms / 1000, (p->ping_interval_ms % 1000) * 1000};

	(void)fd;
	(void)what;
	if (c->state == CONN_CONNECTING) {
		conn_drop(c, 1, "connect timeout: no HTTP/2 session within %u ms",
			  p->connect_timeout_ms);
	} else if (c->read_since_tick) {
		c->read_since_tick = 0;
		c->ping_out = 0;
		event_add(c->timer, &tv);
	} else if (c->ping_out) {
		conn_drop(c, 1, "no answer to PING within %u ms", p->ping_interval_ms);
	} else {
		nghttp2_submit_ping(c->ng, NGHTTP2_FLAG_NONE, NULL);
		c->ping_out = 1;
		conn_mark_dirty(c);
		event_add(c->timer, &tv);
	}
	pool_settle(p);
}

static SSL *conn_ssl_new(struct http2_pool *p)
{
	SSL *ssl = SSL_new(p->tls);

	if (!ssl)
		return NULL;
	if (p->host_is_ip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), p->host) != 1)
			goto fail;
	} else if (SSL_set_tlsext_host_name(ssl, p->host) != 1 || SSL_set1_host(ssl, p->host) != 1)
		goto fail;
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	return ssl;
fail:
	SSL_free(ssl);
	return NULL;
}

static int conn_session_new(struct conn *c)
{
	nghttp2_settings_entry iv[] = {
		{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
		{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW},
	};

	if (nghttp2_session_client_new(&c->ng, c->pool->cbs, c) != 0)
		return -1;
	if (nghttp2_submit_settings(c->ng, NGHTTP2_FLAG_NONE, iv, sizeof(iv) / sizeof(iv[0])) ||
	    nghttp2_session_set_local_window_size(c->ng, NGHTTP2_FLAG_NONE, 0, CONNECTION_WINDOW))
		return -1;
	return 0;
}

/* Start one connection; its failure, if any, is handled like any other. */
static void conn_open(struct http2_pool *p)
{
	struct timeval tv = {p->connect_timeout_ms / 1000, (p->connect_timeout_ms % 1000) * 1000};
	struct conn *c = calloc(1, sizeof(*c));
	SSL *ssl = NULL;
	int rc;

	if (!c)
		goto fail;
	c->pool = p;
	c->state = CONN_CONNECTING;
	TAILQ_INIT(&c->streams);
	ssl = conn_ssl_new(p);
	c->timer = evtimer_new(p->base, on_conn_timer, c);
	if (!ssl || !c->timer || conn_session_new(c) != 0)
		goto fail;
	/* With CLOSE_ON_FREE the bufferevent owns ssl, also when it fails. */
	c->bev = bufferevent_openssl_socket_new(p->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
						BEV_OPT_CLOSE_ON_FREE);
	ssl = NULL;
	if (!c->bev)
		goto fail;
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&p->conns, c, link);
	p->n_conns++;
	p->n_active++;
	p->n_connecting++;
	if (p->failures || p->lost)
		p->stats.reconnects++;
	p->lost = 0;
	event_add(c->timer, &tv);
	if (p->host_is_ip)
		rc = bufferevent_socket_connect(c->bev, (struct sockaddr *)&p->addr, p->addr_len);
	else
		rc = bufferevent_socket_connect_hostname(c->bev, p->dns, AF_UNSPEC, p->host,
							 p->port);
	if (rc != 0)
		conn_drop(c, 1, "connect to %s: %s", p->authority,
			  evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	return;
fail:
	SSL_free(ssl);
	if (c && c->timer)
		event_free(c->timer);
	if (c)
		nghttp2_session_del(c->ng);
	free(c);
	snprintf(p->last_error, sizeof(p->last_error),
		 "cannot set up a connection (out of memory)");
	p->failures++;
	pool_backoff(p);
}

/* --- the pool -------------------------------------------------------------------------- */

/* An open connection with a free stream, or NULL. */
static struct conn *pool_pick(struct http2_pool *p)
{
	struct conn *c;

	TAILQ_FOREACH(c, &p->conns, link)
	if (c->state == CONN_READY && conn_room(c) > 0)
		return c;
	return NULL;
}

/* Could pool_dispatch() open a connection now? */
static int pool_can_open(struct http2_pool *p)
{
	return !p->closing && p->n_connecting == 0 && p->n_active < p->max_conns &&
	       !evtimer_pending(p->backoff_ev, NULL);
}

static void pool_dispatch(struct http2_pool *p)
{
	struct req *r;
	struct conn *c = NULL;

	while ((r = TAILQ_FIRST(&p->queue))) {
		if (!c || conn_room(c) == 0)
			c = pool_pick(p);
		if (!c)
			break;
		queue_remove(r);
		if (conn_submit(c, r) != 0) {
			queue_insert(r, 1);
			c = NULL;
		}
	}
	if (r && pool_can_open(p))
		conn_open(p);
}

/* Deliver, dispatch, flush until nothing is left to do; see the comment at the top. */
static void pool_settle(struct http2_pool *p)
{
	struct conn *c;
	struct req *r;

	if (p->settling)
		return;
	p->settling = 1;
	while (!p->free_requested) {
		pool_dispatch(p);
		while ((c = TAILQ_FIRST(&p->dirty))) {
			TAILQ_REMOVE(&p->dirty, c, dlink);
			c->dirty = 0;
			conn_flush(c);
		}
		if (!TAILQ_EMPTY(&p->done)) {
			while (!p->free_requested && (r = TAILQ_FIRST(&p->done)))
				req_deliver(r);
			continue;
		}
		if (TAILQ_EMPTY(&p->queue) || !(pool_pick(p) || pool_can_open(p)))
			break;
	}
	p->settling = 0;
	if (p->free_requested)
		http2_pool_free(p); /* delivers what is left, then frees */
}

static void on_settle(evutil_socket_t fd, short what, void *arg)
{
	struct http2_pool *p = arg;

	(void)fd;
	(void)what;
	p->kicked = 0;
	pool_settle(p);
}

static void on_backoff(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pool_settle(arg);
}

static void on_req_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct req *r = arg;
	struct http2_pool *p = r->pool;
	struct conn *c = r->conn;

	(void)fd;
	(void)what;
	if (r->list == REQ_QUEUE) {
		queue_remove(r);
		if (p->last_error[0])
			req_fail(r, 1, "timeout after %u ms waiting for a connection to %s (%s)",
				 r->timeout_ms, p->authority, p->last_error);
		else
			req_fail(r, 1, "timeout after %u ms waiting for a free stream to %s",
				 r->timeout_ms, p->authority);
	} else if (c) {
		req_fail(r, !r->sent, "timeout after %u ms without an answer", r->timeout_ms);
		nghttp2_submit_rst_stream(c->ng, NGHTTP2_FLAG_NONE, r->stream_id, NGHTTP2_CANCEL);
		conn_mark_dirty(c);
	}
	pool_settle(p);
}

/* Parse "https://host[:port]" into p.  0, or -1 with err. */
static int parse_origin(struct http2_pool *p, const char *origin, char *err, size_t err_size)
{
	const char *h, *end, *port = NULL;
	size_t len;
	char portbuf[8];
	long n = 443;

	if (!origin || strncmp(origin, "https://", 8) != 0) {
		snprintf(err, err_size, "HTTP/2 origin \"%s\": must be https://host[:port]",
			 origin ? origin : "(none)");
		return -1;
	}
	len = strlen(origin);
	while (len > 8 && origin[len - 1] == '/')
		len--;
	p->origin = strndup(origin, len);
	if (!p->origin)
		goto nomem;
	h = p->origin + 8;
	end = p->origin + len;
	if (*h == '[') {
		const char *close = memchr(h, ']', (size_t)(end - h));

		if (!close)
			goto bad;
		p->host = strndup(h + 1, (size_t)(close - h - 1));
		if (close + 1 < end) {
			if (close[1] != ':')
				goto bad;
			port = close + 2;
		}
	} else {
		const char *colon = memchr(h, ':', (size_t)(end - h));

		p->host = strndup(h, (size_t)((colon ? colon : end) - h));
		if (colon)
			port = colon + 1;
	}
	if (!p->host)
		goto nomem;
	if (!p->host[0] || strpbrk(p->host, "/?#@ \t"))
		goto bad;
	if (port) {
		char *stop;

		if (end - port < 1 || end - port > 5)
			goto bad;
		memcpy(portbuf, port, (size_t)(end - port));
		portbuf[end - port] = '\0';
		n = strtol(portbuf, &stop, 10);
		if (*stop || n < 1 || n > 65535)
			goto bad;
	}
	p->port = (int)n;
	p->origin_len = len;
	p->authority = strdup(h);
	if (!p->authority)
		goto nomem;
	{
		struct sockaddr_in *sin = (struct sockaddr_in *)&p->addr;
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&p->addr;

		memset(&p->addr, 0, sizeof(p->addr));
		if (evutil_inet_pton(AF_INET, p->host, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			sin->sin_port = htons((uint16_t)n);
			p->addr_len = sizeof(*sin);
			p->host_is_ip = 1;
		} else if (evutil_inet_pton(AF_INET6, p->host, &sin6->sin6_addr) == 1) {
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons((uint16_t)n);
			p->addr_len = sizeof(*sin6);
			p->host_is_ip = 1;
		}
	}
	return 0;
bad:
	snprintf(err, err_size, "HTTP/2 origin \"%s\": must be https://host[:port]", origin);
	return -1;
nomem:
	snprintf(err, err_size, "out of memory");
	return -1;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1; /* never prompt: an encrypted key is an error */
}

/* The client certificate (chain) and key from PEM in memory.  0, or -1 with err. */
static int tls_client_cert(SSL_CTX *ctx, const struct herald_http_pool_config *cfg, char *err,
			   size_t err_size)
{
	BIO *bio = NULL;
	X509 *cert = NULL, *extra;
	EVP_PKEY *key = NULL;
	int rc = -1;

	if (cfg->client_cert_len > INT_MAX || cfg->client_key_len > INT_MAX) {
		snprintf(err, err_size, "client certificate or key too large");
		return -1;
	}
	bio = BIO_new_mem_buf(cfg->client_cert, (int)cfg->client_cert_len);
	if (!bio || !(cert = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) ||
	    SSL_CTX_use_certificate(ctx, cert) != 1) {
		snprintf(err, err_size, "client certificate: no usable PEM certificate");
		goto out;
	}
	while ((extra = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)))
		if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
			X509_free(extra);
			snprintf(err, err_size, "client certificate: cannot add its chain");
			goto out;
		}
	BIO_free(bio);
	bio = BIO_new_mem_buf(cfg->client_key, (int)cfg->client_key_len);
	if (!bio || !(key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL))) {
		snprintf(err, err_size, "client key: no usable PEM private key (%s)",
			 "encrypted keys are not supported");
		goto out;
	}
	if (SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, err_size, "the client key does not match the client certificate");
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(bio);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

static SSL_CTX *tls_ctx_new(const struct herald_http_pool_config *cfg, const char *ca, char *err,
			    size_t err_size)
{
	static const unsigned char alpn[] = "\x02h2";
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx) {
		snprintf(err, err_size, "cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (ca ? SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1
	       : SSL_CTX_set_default_verify_paths(ctx) != 1) {
		snprintf(err, err_size, "%s: cannot load CA certificates",
			 ca ? ca : "the system's CA store");
		goto fail;
	}
	if (SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1) != 0) {
		snprintf(err, err_size, "cannot set ALPN");
		goto fail;
	}
	if ((cfg->client_cert != NULL) != (cfg->client_key != NULL)) {
		snprintf(err, err_size,
			 "a client certificate needs its key, and a key its certificate");
		goto fail;
	}
	if (cfg->client_cert && tls_client_cert(ctx, cfg, err, err_size) != 0)
		goto fail;
	return ctx;
fail:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

static int pool_callbacks(struct http2_pool *p)
{
	if (nghttp2_session_callbacks_new(&p->cbs) != 0)
		return -1;
	nghttp2_session_callbacks_set_on_frame_send_callback(p->cbs, on_frame_send);
	nghttp2_session_callbacks_set_on_frame_recv_callback(p->cbs, on_frame_recv);
	nghttp2_session_callbacks_set_on_header_callback(p->cbs, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(p->cbs, on_data_chunk);
	nghttp2_session_callbacks_set_on_stream_close_callback(p->cbs, on_stream_close);
	return 0;
}

struct http2_pool *http2_pool_new(struct event_base *base,
				  const struct herald_http_pool_config *cfg, const char *default_ca,
				  const char *log_prefix, char *err, size_t err_size)
{
	struct http2_pool *p;
	const char *ca = cfg->ca_file ? cfg->ca_file : default_ca;
	struct sigaction sa;
	struct timeval tv;

	if (cfg->version != HERALD_HTTP_2) {
		snprintf(err, err_size, "not an HTTP/2 pool configuration");
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	/* A server hanging up must be a connection error, not a signal that kills heraldd. */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	p->base = base;
	TAILQ_INIT(&p->conns);
	TAILQ_INIT(&p->dirty);
	TAILQ_INIT(&p->queue);
	TAILQ_INIT(&p->done);
	TAILQ_INIT(&p->free);
	p->max_conns = cfg->max_connections ? cfg->max_connections : DEFAULT_MAX_CONNECTIONS;
	p->max_streams = cfg->max_streams;
	p->max_queued = cfg->max_queued ? cfg->max_queued : DEFAULT_MAX_QUEUED;
	p->connect_timeout_ms =
		cfg->connect_timeout_ms ? cfg->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
	p->request_timeout_ms =
		cfg->request_timeout_ms ? cfg->request_timeout_ms : DEFAULT_REQUEST_TIMEOUT_MS;
	p->ping_interval_ms =
		cfg->ping_interval_ms ? cfg->ping_interval_ms : DEFAULT_PING_INTERVAL_MS;
	p->has_client_cert = cfg->client_cert != NULL;
	if (parse_origin(p, cfg->origin, err, err_size) != 0)
		goto fail;
	p->prefix = strdup(log_prefix ? log_prefix : "[http2]");
	p->ca_name = strdup(ca ? ca : "the system's store");
	if (!p->prefix || !p->ca_name || pool_callbacks(p) != 0) {
		snprintf(err, err_size, "out of memory");
		goto fail;
	}
	p->tls = tls_ctx_new(cfg, ca, err, err_size);
	if (!p->tls)
		goto fail;
	if (!p->host_is_ip) {
		p->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
						      EVDNS_BASE_DISABLE_WHEN_INACTIVE);
		if (!p->dns) {
			snprintf(err, err_size, "cannot set up DNS resolution for %s", p->host);
			goto fail;
		}
	}
	p->settle_ev = event_new(base, -1, 0, on_settle, p);
	p->backoff_ev = evtimer_new(base, on_backoff, p);
	if (!p->settle_ev || !p->backoff_ev) {
		snprintf(err, err_size, "out of memory");
		goto fail;
	}
	tv.tv_sec = p->request_timeout_ms / 1000;
	tv.tv_usec = (p->request_timeout_ms % 1000) * 1000;
	p->common_timeout = event_base_init_common_timeout(base, &tv);
	evutil_secure_rng_get_bytes(&p->rng, sizeof(p->rng));
	p->rng |= 1;
	return p;
fail:
	http2_pool_free(p);
	return NULL;
}

/* Is name (any case) a header the caller may not set? */
static int header_forbidden(const char *name)
{
	static const char *const names[] = {
		"host",	   "content-length",   "connection", "keep-alive",
		"upgrade", "proxy-connection", "te",	     "transfer-encoding",
	};

	if (name[0] == ':')
		return 1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(name, names[i]))
			return 1;
	return 0;
}

static nghttp2_nv make_nv(const char *name, size_t nlen, const char *value, size_t vlen)
{
	nghttp2_nv nv = {(uint8_t *)name, (uint8_t *)value, nlen, vlen,
			 NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE};

	return nv;
}

/* Copy req into r (buf, nv, body).  0, HERALD_EINVAL or HERALD_ENOMEM. */
static int req_fill(struct http2_pool *p, struct req *r, const struct herald_http_request *req)
{
	const char *path;
	size_t mlen, plen, need, n_nv;
	int slash = 0;
	char clen[24] = "";
	size_t clen_len = 0;
	char *w;

	if (!req->method || !req->url || (req->body_len && !req->body) ||
	    (req->n_headers && !req->headers))
		return HERALD_EINVAL;
	mlen = strlen(req->method);
	if (!mlen || !nghttp2_check_method((const uint8_t *)req->method, mlen))
		return HERALD_EINVAL;
	if (strncmp(req->url, p->origin, p->origin_len) != 0)
		return HERALD_EINVAL;
	path = req->url + p->origin_len;
	if (*path != '\0' && *path != '/' && *path != '?')
		return HERALD_EINVAL;
	slash = *path != '/';
	plen = strlen(path);
	need = mlen + 1 + slash + plen + 1;
	n_nv = 4 + req->n_headers;
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct herald_http_header *h = &req->headers[i];

		if (!h->name || !h->value || !h->name[0] || header_forbidden(h->name) ||
		    !nghttp2_check_header_value((const uint8_t *)h->value, strlen(h->value)))
			return HERALD_EINVAL;
		need += strlen(h->name) + strlen(h->value) + 2;
	}
	if (req->body_len) {
		clen_len = (size_t)snprintf(clen, sizeof(clen), "%zu", req->body_len);
		need += clen_len + 1 + req->body_len;
		n_nv++;
	}
	if (grow((void **)&r->buf, &r->buf_cap, need, 1) != 0 ||
	    grow((void **)&r->nv, &r->nv_cap, n_nv, sizeof(*r->nv)) != 0)
		return HERALD_ENOMEM;

	w = r->buf;
	memcpy(w, req->method, mlen + 1);
	r->nv[0] = make_nv(":method", 7, w, mlen);
	w += mlen + 1;
	if (slash)
		*w = '/';
	memcpy(w + slash, path, plen + 1);
	if (!nghttp2_check_path((const uint8_t *)w, plen + (size_t)slash))
		return HERALD_EINVAL;
	r->nv[1] = make_nv(":path", 5, w, plen + (size_t)slash);
	w += plen + (size_t)slash + 1;
	r->nv[2] = make_nv(":scheme", 7, "https", 5);
	r->nv[3] = make_nv(":authority", 10, p->authority, strlen(p->authority));
	r->n_nv = 4;
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct herald_http_header *h = &req->headers[i];
		size_t nl = strlen(h->name), vl = strlen(h->value);
		char *name = w;

		for (size_t k = 0; k < nl; k++)
			name[k] = (char)((h->name[k] >= 'A' && h->name[k] <= 'Z') ? h->name[k] + 32
										  : h->name[k]);
		name[nl] = '\0';
		if (!nghttp2_check_header_name((const uint8_t *)name, nl))
			return HERALD_EINVAL;
		w += nl + 1;
		memcpy(w, h->value, vl + 1);
		r->nv[r->n_nv++] = make_nv(name, nl, w, vl);
		w += vl + 1;
	}
	if (req->body_len) {
		memcpy(w, clen, clen_len + 1);
		r->nv[r->n_nv++] = make_nv("content-length", 14, w, clen_len);
		w += clen_len + 1;
		memcpy(w, req->body, req->body_len);
		r->body = (const uint8_t *)w;
	} else {
		r->body = NULL;
	}
	r->body_len = req->body_len;
	return 0;
}

int http2_request(struct http2_pool *p, const struct herald_http_request *req, http2_done_fn done,
		  void *arg)
{
	struct req *r;
	struct conn *c;
	struct timeval tv;
	int rc;

	if (!done)
		return HERALD_EINVAL;
	if (p->closing)
		return HERALD_EAGAIN;
	c = TAILQ_EMPTY(&p->queue) ? pool_pick(p) : NULL;
	if (!c && p->n_queued >= p->max_queued)
		return HERALD_EAGAIN;
	r = req_get(p);
	if (!r)
		return HERALD_ENOMEM;
	rc = req_fill(p, r, req);
	if (rc != 0) {
		req_release(r);
		return rc;
	}
	req_reset_response(r);
	r->retried = r->finished = 0;
	r->unprocessed = 0;
	r->done = done;
	r->arg = arg;
	r->timeout_ms = HERALD_HAS(req, timeout_ms) && req->timeout_ms ? req->timeout_ms
								       : p->request_timeout_ms;
	if (r->timeout_ms == p->request_timeout_ms && p->common_timeout) {
		event_add(r->timer, p->common_timeout);
	} else {
		tv.tv_sec = r->timeout_ms / 1000;
		tv.tv_usec = (r->timeout_ms % 1000) * 1000;
		event_add(r->timer, &tv);
	}
	p->stats.requests++;
	if (!c || conn_submit(c, r) != 0) {
		queue_insert(r, 0);
		pool_kick(p);
	}
	return 0;
}

static void pool_cancel_all(struct http2_pool *p)
{
	struct conn *c;
	struct req *r;

	p->closing = 1;
	while ((r = TAILQ_FIRST(&p->queue))) {
		queue_remove(r);
		req_fail(r, 1, "cancelled");
	}
	TAILQ_FOREACH(c, &p->conns, link)
	TAILQ_FOREACH(r, &c->streams, clink)
	if (!r->finished)
		req_fail(r, !r->sent, "cancelled");
}

void http2_pool_free(struct http2_pool *p)
{
	struct conn *c;
	struct req *r;

	if (!p)
		return;
	if (!p->free_requested) {
		p->free_requested = 1;
		pool_cancel_all(p);
	}
	if (p->settling)
		return; /* pool_settle() delivers and comes back here */
	p->settling = 1;
	while ((r = TAILQ_FIRST(&p->done)))
		req_deliver(r);
	while ((c = TAILQ_FIRST(&p->conns)))
		conn_free(c, "pool closed");
	while ((r = TAILQ_FIRST(&p->free))) {
		TAILQ_REMOVE(&p->free, r, qlink);
		req_destroy(r);
	}
	if (p->settle_ev)
		event_free(p->settle_ev);
	if (p->backoff_ev)
		event_free(p->backoff_ev);
	if (p->dns)
		evdns_base_free(p->dns, 0);
	if (p->tls)
		SSL_CTX_free(p->tls);
	if (p->cbs)
		nghttp2_session_callbacks_del(p->cbs);
	free(p->origin);
	free(p->host);
	free(p->authority);
	free(p->prefix);
	free(p->ca_name);
	free(p);
}

void http2_pool_stats(const struct http2_pool *p, struct http2_pool_stats *out)
{
	*out = p->stats;
	out->connections = p->n_conns;
	out->streams_in_flight = p->n_in_flight;
	out->queued = p->n_queued;
}
