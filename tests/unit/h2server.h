/*
 * A scriptable HTTP/2-over-TLS server for test_http2: libevent listener and
 * OpenSSL bufferevents on 127.0.0.1, an nghttp2 server session per
 * connection.  It answers every request with its body echoed (or "hello"),
 * headers x-method and x-path, and the value of the request's x-test header
 * in x-test; request headers steer it: "x-status: N" answers N, "x-rst: N"
 * resets the stream with error code N, "x-hang: 1" never answers,
 * "x-body-size: N" answers N bytes of 'x'.  Options
 * add faults: GOAWAY after N requests per connection, REFUSED_STREAM for
 * the first N streams, no PING acknowledgements, another ALPN, a required
 * client certificate.  It counts what a test asserts on (open streams and
 * their maximum, PINGs, resets).  Runs on the test's event loop; single
 * thread.  h2s_make_pki() writes the certificates the tests use.
 */
#ifndef HERALD_TESTS_H2SERVER_H
#define HERALD_TESTS_H2SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

struct h2s;

struct h2s_opts {
	const char *cert_file, *key_file;
	const char *client_ca;	   /* require a client certificate verified against it */
	const char *alpn;	   /* the one protocol accepted (NULL: "h2") */
	uint32_t max_streams;	   /* initial SETTINGS_MAX_CONCURRENT_STREAMS (0: 100) */
	unsigned int goaway_after; /* GOAWAY (NO_ERROR) after this many requests on a connection */
	unsigned int refuse_first; /* REFUSED_STREAM for the server's first N streams */
	int no_ping_ack;	   /* never acknowledge a PING */
	unsigned int delay_ms;	   /* answer each request after this long */
};

struct h2s_stats {
	unsigned int conns;	       /* accepted (TLS done) */
	unsigned int open_streams;     /* now */
	unsigned int max_open_streams; /* on one connection at once, since the last reset */
	unsigned int answered;	       /* requests answered */
	unsigned int refused;	       /* streams refused by refuse_first */
	unsigned int pings, ping_acks; /* PING frames received, without and with ACK */
	unsigned int rst_received;
	char method[16], path[256], x_test[64]; /* of the last request */
	size_t body_len;			/* of the last request */
};

/* Listen on 127.0.0.1:port (0: any).  NULL with err. */
struct h2s *h2s_new(struct event_base *base, int port, const struct h2s_opts *opts, char *err,
		    size_t err_size);
int h2s_port(const struct h2s *s);
/* The live counters (the test may reset max_open_streams). */
struct h2s_stats *h2s_stats(struct h2s *s);
/* Advertise a new SETTINGS_MAX_CONCURRENT_STREAMS on every connection (and to new ones). */
void h2s_set_max_streams(struct h2s *s, uint32_t n);
/* Send a PING on every connection. */
void h2s_ping(struct h2s *s);
void h2s_free(struct h2s *s);

/*
 * Write into dir: ca.pem (a CA), server.pem/server.key (127.0.0.1 and
 * localhost, by ca), client.pem/client.key (by ca), other-ca.pem (an
 * unrelated CA), other.key (a key matching no certificate),
 * wrongname.pem/wrongname.key (a server certificate for example.test, by
 * ca).  0 or -1 with err.
 */
int h2s_make_pki(const char *dir, char *err, size_t err_size);

#endif
