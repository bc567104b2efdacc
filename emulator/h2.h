/*
 * A small HTTP/2-over-TLS server for the emulated providers: libevent
 * listener and OpenSSL bufferevents for TLS (ALPN "h2"; servers that ask
 * for it also speak HTTP/1.1, parsed here, one request at a time per
 * connection), nghttp2 for the framing.  HTTP/1.1 requests look like HTTP/2
 * ones to the callback (:method, :path, :scheme, :authority from Host).  It gathers each request (headers and
 * a bounded body) and hands it to the provider's callback, which answers now
 * or after a delay.  Everything runs on the one event loop that owns the
 * server; nothing here is thread-safe.
 */
#ifndef HERALD_EMULATOR_H2_H
#define HERALD_EMULATOR_H2_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#define H2_MAX_HEADERS	    64
#define H2_MAX_HEADER_BYTES 16384

struct h2_server;
struct h2_conn;
struct emu_state;

struct h2_header {
	char *name; /* lowercase, as HTTP/2 requires */
	char *value;
	size_t value_len;
};

/* One request; owned by the server, valid until the stream closes. */
struct h2_req {
	struct h2_conn *conn;
	int32_t stream_id;
	struct h2_header headers[H2_MAX_HEADERS];
	size_t n_headers;
	size_t header_bytes;
	int headers_overflow; /* more than H2_MAX_HEADERS or H2_MAX_HEADER_BYTES */
	char *body;	      /* the first max_body bytes, NUL-terminated */
	size_t body_len;      /* bytes kept in body */
	size_t body_total;    /* bytes received, which may exceed body_len */
	void *priv;	      /* the server's bookkeeping */
};

/* A response header to send; copied by h2_respond. */
struct h2_out_header {
	const char *name;
	const char *value;
};

typedef void (*h2_request_fn)(struct h2_req *req, void *arg);
/* Called once TLS is up and before SETTINGS go out; returns the per-connection data. */
typedef void *(*h2_conn_open_fn)(struct h2_conn *conn, void *arg);
typedef void (*h2_conn_close_fn)(void *conn_data, void *arg);

struct h2_server_opts {
	/* TLS: certificate chain and key (PEM files); with client_ca, client certificates are
	   requested (not required) and must verify against it.  The server owns the context. */
	const char *cert_file, *key_file, *client_ca;
	uint32_t max_streams;
	size_t max_body;
	h2_request_fn on_request;
	h2_conn_open_fn on_conn_open;	/* optional */
	h2_conn_close_fn on_conn_close; /* optional */
	int http1;			/* also serve HTTP/1.1 (ALPN http/1.1 or none) */
	int plain_http; /* also plaintext HTTP/1.1 on the same port (:scheme "http") */
	/* Apply this state's global faults (faults.h) for provider faults_provider (and let
	   faults_set accept some for it); NULL = none.  All of them apply to both protocols
	   but GOAWAY, which is HTTP/2's. */
	struct emu_state *faults_st;
	int faults_provider;
	/* Debug data of the GOAWAY fault (APNs: {"reason":"Shutdown"}); NULL = none. */
	const char *goaway_debug;
	void *arg;
};

/*
 * Listen on 127.0.0.1:port (0 = ephemeral) with TLS 1.2+ from opts' files
 * (ALPN h2, and http/1.1 when opts->http1).  NULL with err on failure.
 */
struct h2_server *h2_server_new(struct event_base *base, int port,
				const struct h2_server_opts *opts, char *err, size_t errlen);
int h2_server_port(const struct h2_server *srv);
/* Close every connection and the listener. */
void h2_server_free(struct h2_server *srv);

/* The header's value (borrowed) and in *count how many times it appeared; NULL if absent. */
const char *h2_req_header(const struct h2_req *req, const char *name, int *count);

/*
 * Answer req: status, headers (copied) and body (copied, may be NULL),
 * after delay_ms (0 = now).  Returns 0, or -1 if req was already answered or
 * on OOM (the stream is then reset).
 */
int h2_respond(struct h2_req *req, int status, const struct h2_out_header *hdrs, size_t n_hdrs,
	       const char *body, size_t body_len, unsigned delay_ms);

void *h2_conn_data(const struct h2_conn *conn);
/* NULL for a plaintext connection. */
SSL *h2_conn_ssl(const struct h2_conn *conn);
/* The verified client certificate (borrowed) or NULL. */
X509 *h2_conn_peer_cert(const struct h2_conn *conn);
/*
 * Drop the connection abruptly (TCP RST, nothing more written): now, or
 * when the request callback in progress returns.  No request of it may be
 * answered afterwards.
 */
void h2_conn_drop(struct h2_conn *conn);
/* Advertise a new SETTINGS_MAX_CONCURRENT_STREAMS. */
void h2_conn_set_max_streams(struct h2_conn *conn, uint32_t n);

#endif
