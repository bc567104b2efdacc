/*
 * A fake heraldd for driver unit tests: a complete struct herald_host (ABI
 * 1.1, every member) that records what a driver does and answers from a
 * script the test writes.
 *
 *   HTTP      http_request() records the request (method, url, headers,
 *             body) and queues it; it never answers from within.
 *             fakehost_run() answers the queued requests, in order, with the
 *             responses the test pushed (fakehost_respond(),
 *             fakehost_fail()); requests made from within a done callback
 *             are answered by the same run if responses remain.
 *   timers    run on a fake clock: fakehost_advance(ms) fires the due ones.
 *   send_done recorded per send id (a second report for one id is counted
 *             in fakehost_duplicates()).
 *   log       every line recorded (fakehost_logged()).
 *   counters  summed per name (fakehost_counter()).
 *   keys, JWT real: OpenSSL loads the PEM and signs ES256 (raw r||s) or
 *             RS256; fakehost_jwt_verify() checks a token as a provider does.
 *   OAuth2    oauth_token() answers the scripted token (fakehost_oauth());
 *             each oauth_invalidate() moves to the next scripted token and
 *             is counted.
 *
 * One fakehost serves one app (fakehost_app()).  Everything is
 * single-threaded, like the real loop.  Strings returned by accessors are
 * owned by the fakehost and valid until fakehost_free().
 */
#ifndef HERALD_TESTS_FAKEHOST_H
#define HERALD_TESTS_FAKEHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <herald/driver.h>

struct fakehost;

/* One recorded http_request(). */
struct fakehost_request {
	int pool;      /* index of the pool (order of http_pool_new()) */
	char *method;  /* "POST" */
	char *url;     /* absolute */
	char **hnames; /* header names as the driver gave them */
	char **hvalues;
	size_t n_headers;
	char *body; /* NUL-terminated copy (may hold NULs before body_len) */
	size_t body_len;
	uint32_t timeout_ms;
};

/* One recorded http_pool_new(). */
struct fakehost_pool {
	int version;
	char *origin; /* NULL for HTTP/1.1 */
	char *ca_file;
	char *client_cert; /* NULL when none */
	size_t client_cert_len;
	char *client_key;
	size_t client_key_len;
	unsigned int max_connections, max_streams, max_queued;
	uint32_t connect_timeout_ms, request_timeout_ms, ping_interval_ms;
	bool freed;
};

/* One recorded send_done(). */
struct fakehost_outcome {
	uint64_t id;
	int kind;
	int64_t invalid_since_ms;
	char *canonical_token; /* NULL when none */
	int64_t retry_after_ms;
	int status;
	char *response; /* NULL when none */
	size_t response_len;
	size_t size; /* the outcome table's size as the driver passed it */
};

/* A new fakehost (clock at 0, nothing scripted), or NULL when out of memory. */
struct fakehost *fakehost_new(void);
/* Free it.  Timers still pending are dropped without firing. */
void fakehost_free(struct fakehost *fh);

/* The host table to hand the driver (mutable, to test e.g. a 1.0-sized table). */
struct herald_host *fakehost_host(struct fakehost *fh);
/* The app handle to hand the driver. */
struct herald_app *fakehost_app(struct fakehost *fh);

/* --- HTTP ------------------------------------------------------------------------------ */

/*
 * Queue the answer for the next request fakehost_run() answers: status,
 * body (NUL-terminated, may be NULL) and header pairs (name, value, ...,
 * NULL).  Names are given in lower case, as the real host gives them.
 */
void fakehost_respond(struct fakehost *fh, int status, const char *body, ...);
/* Queue a transport failure (status 0) with error text and the unprocessed flag. */
void fakehost_fail(struct fakehost *fh, const char *error, int unprocessed);
/*
 * Answer queued requests with queued responses (and deliver deferred OAuth
 * tokens) until one of the two queues is empty.  Returns the number of
 * requests answered.
 */
int fakehost_run(struct fakehost *fh);
/* Requests waiting for an answer. */
size_t fakehost_pending(struct fakehost *fh);

/* Make the next http_pool_new() fail with this error text (NULL: succeed again). */
void fakehost_pool_fail(struct fakehost *fh, const char *error);
/* Make http_request() return this (0: accept again), e.g. HERALD_EAGAIN. */
void fakehost_request_refuse(struct fakehost *fh, int rc);

size_t fakehost_nrequests(struct fakehost *fh);
/* The i-th request recorded (0-based), or NULL. */
const struct fakehost_request *fakehost_request(struct fakehost *fh, size_t i);
/* The value of header name (case-insensitive) in req, or NULL. */
const char *fakehost_header(const struct fakehost_request *req, const char *name);
/* How many times header name occurs in req. */
int fakehost_header_count(const struct fakehost_request *req, const char *name);
size_t fakehost_npools(struct fakehost *fh);
const struct fakehost_pool *fakehost_pool(struct fakehost *fh, size_t i);
/* Pools created and not freed. */
size_t fakehost_pools_live(struct fakehost *fh);

/* --- timers ---------------------------------------------------------------------------- */

/* Move the clock forward by ms, firing due timers in order of their due time. */
void fakehost_advance(struct fakehost *fh, uint64_t ms);
/* The fake clock, ms since fakehost_new(). */
uint64_t fakehost_now(struct fakehost *fh);
size_t fakehost_timers_pending(struct fakehost *fh);
/* Milliseconds until the next timer fires, or -1 when none is pending. */
int64_t fakehost_next_timer(struct fakehost *fh);

/* --- outcomes, logs, counters ---------------------------------------------------------- */

/* The outcome reported for send id, or NULL. */
const struct fakehost_outcome *fakehost_outcome(struct fakehost *fh, uint64_t id);
size_t fakehost_noutcomes(struct fakehost *fh);
/* send_done() calls for an id already reported. */
size_t fakehost_duplicates(struct fakehost *fh);
/* Is some log line (at priority <= max_priority) containing needle recorded? */
bool fakehost_logged(struct fakehost *fh, int max_priority, const char *needle);
/* Does any log line contain needle (to assert a secret was never logged)? */
bool fakehost_log_contains(struct fakehost *fh, const char *needle);
size_t fakehost_nlogs(struct fakehost *fh);
const char *fakehost_log_line(struct fakehost *fh, size_t i);
/* The sum of counter_add() deltas for name (0 if never added). */
int64_t fakehost_counter(struct fakehost *fh, const char *name);
/*
 * Breaches of the host contract seen so far, each also printed on stderr:
 * cancelling a timer that is not pending, using a freed pool or OAuth
 * handle, a forbidden request header (Host, Content-Length, pseudo-headers),
 * a malformed counter name or outcome table.  Leaks are not counted here:
 * see fakehost_pools_live(), fakehost_keys_live(), fakehost_oauth_live().
 */
size_t fakehost_misuses(struct fakehost *fh);

/* --- keys, JWT, OAuth2 ----------------------------------------------------------------- */

/*
 * Verify a compact JWS as the provider would, with the public half of the
 * PEM private key: ES256 (raw r||s) or RS256 per the header's alg.  On
 * success 0 and, when not NULL, *header and *claims get the decoded JSON
 * texts (malloc'ed, the caller frees); -1 otherwise.
 */
int fakehost_jwt_verify(const char *jwt, const char *key_pem, char **header, char **claims);
/* Keys loaded and not freed. */
size_t fakehost_keys_live(struct fakehost *fh);

/*
 * Script the token service: tokens answered in turn, one more per
 * oauth_invalidate() (the last one repeats), NULL-terminated.  With no
 * tokens (first NULL), oauth_token() answers access_token NULL with status
 * and error.  sync: answer from within oauth_token() (a cached token),
 * else from fakehost_run().  Default: sync, the single token "ya29.fake".
 */
void fakehost_oauth(struct fakehost *fh, bool sync, int status, const char *error, ...);
/* The configuration of the last oauth_new() (strings valid until fakehost_free()). */
const struct herald_oauth_config *fakehost_oauth_config(struct fakehost *fh);
size_t fakehost_oauth_invalidations(struct fakehost *fh);
/* The access token named in the last oauth_invalidate(), or NULL. */
const char *fakehost_oauth_invalidated(struct fakehost *fh);
size_t fakehost_oauth_live(struct fakehost *fh);

#endif
