/*
 * The broker's asynchronous HTTP/2 client over TLS: the HERALD_HTTP_2 side of
 * the driver host services (struct herald_http_pool_config, _request and
 * _response of <herald/driver.h>), on nghttp2 and libevent's OpenSSL
 * bufferevents.
 *
 * Model.  A pool serves one origin ("https://host[:port]") with up to
 * max_connections connections; a connection carries up to as many streams
 * as the peer's SETTINGS_MAX_CONCURRENT_STREAMS allows at the moment (and
 * cfg->max_streams, if set); one stream is one request.  A request goes on
 * the first open connection with a free stream, else into the pool's FIFO
 * queue (at most max_queued), which drains as streams close or the peer
 * raises its limit.  Another connection is opened only when every open one
 * is saturated.  Connections open lazily, one at a time; after a failed
 * connection (TCP, TLS, ALPN other than "h2", or closed before its first
 * answer) the next attempt waits an exponential backoff with jitter, and
 * queued requests wait with it until their own timeout.
 *
 * Retries.  Streams a GOAWAY leaves unprocessed (id > last_stream_id) and
 * streams reset with REFUSED_STREAM are queued again, once, for another
 * connection (a connection that sent GOAWAY takes no new streams); if that
 * fails the same way they are reported with status 0 and unprocessed 1.
 * Requests never written to a connection that dies go back to the queue.
 * Every other failure (reset, timeout, lost connection) is reported with
 * status 0, an error text, and unprocessed 0 once the request was sent.
 *
 * Liveness.  A connection from which nothing was read for ping_interval_ms
 * is sent a PING; if still nothing comes back within another interval it is
 * dropped.
 *
 * Threading: everything runs on the thread of the event base given to
 * http2_pool_new(); nothing here is thread-safe.  done callbacks run from
 * the loop (never from within http2_request()) and may call
 * http2_request() and http2_pool_free().
 */
#ifndef HERALD_BROKER_HTTP2_H
#define HERALD_BROKER_HTTP2_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "herald/driver.h"

struct http2_pool;

/* The answer to one request; res and everything in it borrowed for the call. */
typedef void (*http2_done_fn)(void *arg, const struct herald_http_response *res);

/*
 * A pool for cfg->origin (cfg->version must be HERALD_HTTP_2; cfg borrowed
 * for the call).  default_ca: the CA file used when cfg->ca_file is NULL
 * (NULL: the system's store).  log_prefix: put before every log line, e.g.
 * "[apns/myapp]" (copied).  NULL with err filled: bad origin, unreadable CA
 * file, unreadable client certificate or key, a key that does not match its
 * certificate.  Free it with http2_pool_free().
 */
struct http2_pool *http2_pool_new(struct event_base *base,
				  const struct herald_http_pool_config *cfg, const char *default_ca,
				  const char *log_prefix, char *err, size_t err_size);

/*
 * Send req (borrowed for the call: what is kept is copied).  0: done(arg,
 * response) is called exactly once, later, never from within http2_request().
 * HERALD_EINVAL: a bad request (no method, a URL not under the pool's
 * origin, a forbidden or malformed header); HERALD_EAGAIN: max_queued
 * requests already wait, or the pool is being freed; HERALD_ENOMEM.
 * Nothing is called after an error.
 */
int http2_request(struct http2_pool *p, const struct herald_http_request *req, http2_done_fn done,
		  void *arg);

/*
 * Close the pool and its connections.  Requests still pending get done()
 * from within, with status 0 and error "cancelled" (unprocessed 1 unless the
 * request had been written to a connection).  p is freed (at once, or when
 * called from a done callback, as soon as that callback returns).
 */
void http2_pool_free(struct http2_pool *p);

struct http2_pool_stats {
	unsigned int connections;	/* open or opening */
	unsigned int streams_in_flight; /* requests on a connection */
	unsigned int queued;		/* requests waiting for a stream */
	uint64_t requests;		/* accepted by http2_request() */
	uint64_t retried_goaway;	/* requeued after GOAWAY or REFUSED_STREAM */
	uint64_t reconnects;		/* connection attempts after a failed or lost one */
};

void http2_pool_stats(const struct http2_pool *p, struct http2_pool_stats *out);

#endif
