/*
 * The HTTP/1.1 client behind the driver ABI's http_* services (version
 * HERALD_HTTP_1_1) and the OAuth2 token fetches: curl multi driven by the
 * libevent loop (curl's sockets become events, its timeout an evtimer).
 *
 * A pool is one curl multi handle: connections are kept alive and reused per
 * host, at most max_connections per host; requests beyond that wait inside
 * curl.  TLS verifies the server against ca_file (or the default CA, or the
 * system's); a client certificate and key are given from memory (PEM); a new
 * connection resumes the pool's earlier TLS session.
 * Responses are bounded (HTTP1_BODY_MAX bytes of body, HTTP1_HEADERS_MAX
 * headers); header names reach the caller in lower case and the body with a
 * NUL after it.
 *
 * Threading: the event-loop thread of base only.  Ownership per function.
 */
#ifndef HERALD_BROKER_HTTP1_H
#define HERALD_BROKER_HTTP1_H

#include <stddef.h>

#include <herald/driver.h>

struct event_base;
struct http1_pool;

#define HTTP1_BODY_MAX	  (1u << 20) /* bytes of response body */
#define HTTP1_HEADERS_MAX 100u	     /* response headers */

/* The answer to one request; res and everything in it borrowed for the call. */
typedef void (*http1_done_fn)(void *arg, const struct herald_http_response *res);

/*
 * A pool on base (borrowed for the pool's life).  cfg is borrowed for the
 * call (cfg->size may be that of an older ABI: missing members count as 0);
 * default_ca (may be NULL: the system's) is used when cfg->ca_file is NULL;
 * log_prefix (e.g. "[apns/app]") starts the pool's log lines.  NULL with err
 * filled: unreadable CA file, a client certificate or key that does not
 * parse, or a key that does not match its certificate (never quoting them).
 */
struct http1_pool *http1_pool_new(struct event_base *base,
				  const struct herald_http_pool_config *cfg, const char *default_ca,
				  const char *log_prefix, char *err, size_t err_size);

/*
 * Send req (borrowed for the call: what is kept is copied).  0: done(arg,
 * res) is called exactly once, never from within http1_request().
 * HERALD_EINVAL: a bad request (URL not http:// or https://, method not a
 * token, Host/Content-Length/Transfer-Encoding or CR/LF in headers);
 * HERALD_EAGAIN: too many requests pending (max_connections + max_queued),
 * or the pool is being freed; HERALD_ENOMEM.  Nothing is sent then.
 */
int http1_request(struct http1_pool *p, const struct herald_http_request *req, http1_done_fn done,
		  void *arg);

/* Requests sent and not yet answered. */
unsigned int http1_pending(const struct http1_pool *p);

/*
 * Close the pool: requests still pending get done() with status 0 and error
 * "cancelled" from within.  May be called from within a done() of p.
 */
void http1_pool_free(struct http1_pool *p);

#endif
