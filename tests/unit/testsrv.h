/*
 * A small HTTP/1.1 server for the client tests (test_http1, test_oauth,
 * test_hostsvc): libevent's evhttp on 127.0.0.1, port 0, plain or TLS with
 * the certificates `herald-emulator init` writes (server.pem for 127.0.0.1,
 * client certificates verified against its ca.pem when presented).
 *
 * Threading: the loop of the base it is given, in the test's thread.
 */
#ifndef HERALD_TESTS_UNIT_TESTSRV_H
#define HERALD_TESTS_UNIT_TESTSRV_H

#include <stddef.h>

#include <event2/event.h>
#include <event2/http.h>

struct testsrv;

/* Handles one request: answer it with evhttp_send_reply() now or later. */
typedef void (*testsrv_fn)(struct evhttp_request *req, void *arg);

/*
 * Listen on 127.0.0.1, port 0.  tls_dir: NULL for plain HTTP, else a
 * directory made by `herald-emulator init` (TLS with its server.pem; a
 * client certificate, if sent, must be signed by its ca.pem).  NULL on error.
 */
struct testsrv *testsrv_new(struct event_base *base, const char *tls_dir, testsrv_fn fn, void *arg);
int testsrv_port(const struct testsrv *s);
/* Connections accepted so far (to tell keep-alive reuse from new connections). */
unsigned int testsrv_connections(const struct testsrv *s);
void testsrv_free(struct testsrv *s);

/* The subject CN of the client certificate req's connection presented, into cn; 0 or -1. */
int testsrv_client_cn(struct evhttp_request *req, char *cn, size_t cn_size);

/* Did req's TLS connection resume an earlier session?  1, 0, or -1 (not TLS). */
int testsrv_resumed(struct evhttp_request *req);

/* The request's body as a NUL-terminated string; caller frees. */
char *testsrv_body(struct evhttp_request *req);

/* Reply status with body (may be NULL) and Content-Type ctype (may be NULL). */
void testsrv_reply(struct evhttp_request *req, int status, const char *ctype, const char *body);

/* The built herald-emulator, or NULL if it is not there. */
const char *testsrv_emulator(void);

/*
 * `herald-emulator init` into a new temporary directory, written to dir:
 * 0; 77 if the emulator is not built; -1 on failure.  Remove it with
 * testsrv_rm_rf().
 */
int testsrv_emulator_init(char *dir, size_t dir_size);
void testsrv_rm_rf(const char *dir);

/* Read a whole file; caller frees; its length in *len.  NULL on error. */
char *testsrv_read_file(const char *dir, const char *name, size_t *len);

/* Decode base64url without padding (JWS); caller frees; NULL if invalid. */
unsigned char *testsrv_b64url_decode(const char *s, size_t len, size_t *out_len);

/* Run base until *flag is nonzero or ms pass; 0 if the flag was set. */
int testsrv_run_until(struct event_base *base, const int *flag, unsigned int ms);

#endif
