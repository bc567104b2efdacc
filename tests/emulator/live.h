/*
 * Network tests of the emulated APNs: a real server (apns_server_new with
 * credentials from settings_init_dir in a temporary directory) served by a
 * forked child on 127.0.0.1 port 0, and a blocking HTTP/2-over-TLS client
 * built on an nghttp2 client session that keeps what the tests look at:
 * the server's SETTINGS, GOAWAY, each stream's status, apns ids and body, and how the
 * connection ended.  One thread; the child serves until live_stop.
 */
#ifndef HERALD_TESTS_EMULATOR_LIVE_H
#define HERALD_TESTS_EMULATOR_LIVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>

#include "emulator/settings.h"
#include "emulator/state.h"

#define LIVE_MAX_STREAMS  1100
#define LIVE_MAX_SETTINGS 16
#define LIVE_TIMEOUT_MS	  10000 /* a wait that takes this long fails the test */

/* The emulator: its directory, configuration and state, the APNs port, and the serving child. */
struct live_emu {
	char dir[256];
	struct emu_config cfg;
	struct emu_state *st;
	struct event_base *base;
	struct apns_server *apns;
	int port;
	pid_t child;
	char *bearer; /* "bearer <a valid provider token>" */
};

/* Set up once per test program: 0, or -1 with a message on stderr. */
int live_init(struct live_emu *e);
void live_free(struct live_emu *e);
/*
 * Serve in a child with these faults and rules (JSON text, NULL = none),
 * set on the child's copy of the state.  0 or -1.
 */
int live_serve(struct live_emu *e, const char *faults, const char *rules);
/* Stop the child. */
void live_stop(struct live_emu *e);

struct live_resp {
	int32_t id;
	int status;	    /* 0 until the headers came */
	int done;	    /* the stream closed */
	uint32_t rst;	    /* RST_STREAM error code when reset, else 0 */
	char apns_id[40];   /* the answer's apns-id, "" if none */
	char unique_id[40]; /* the answer's apns-unique-id, "" if none */
	char body[512];
	size_t body_len;
	const char *req_body; /* what is sent */
	size_t req_off;
	int64_t sent_ms, done_ms; /* monotonic milliseconds */
};

struct live_conn {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	nghttp2_session *ng;
	int closed;				 /* the server closed or reset the connection */
	int reset;				 /* ... with a TCP reset */
	uint32_t max_streams[LIVE_MAX_SETTINGS]; /* MAX_CONCURRENT_STREAMS of each SETTINGS */
	size_t n_settings;
	int goaway;
	int32_t goaway_last;
	char goaway_debug[128]; /* the GOAWAY's debug data, as text */
	struct live_resp resp[LIVE_MAX_STREAMS];
	size_t n;
};

/* Connect with TLS (ALPN h2) and start the session.  0 or -1. */
int live_connect(struct live_conn *c, int port);
void live_close(struct live_conn *c);
/*
 * Queue POST /3/device/token with authorization (may be NULL), apns-topic
 * and body; returns the index in c->resp, or -1.
 */
int live_post(struct live_conn *c, const char *token, const char *authorization, const char *topic,
	      const char *body);
/*
 * Exchange frames until the n streams from index first are done, the
 * connection ends, or the timeout.  1 if they are done, else 0.
 */
int live_wait(struct live_conn *c, size_t first, size_t n);
/* Exchange frames until the server ends the connection: 1, or 0 on timeout. */
int live_wait_closed(struct live_conn *c);
/* How many of the streams are done with this status. */
size_t live_count(const struct live_conn *c, int status);

#endif
