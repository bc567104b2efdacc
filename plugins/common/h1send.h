/*
 * plugins/common/h1send: one notification sent as one HTTP/1.1 request
 * through the host's client, the part ADM, WNS, MPNS and Baidu share.
 *
 *   - With an OAuth2 handle, each attempt carries "Authorization: Bearer
 *     <token>" from host->oauth_token(); a 401 answer invalidates that token
 *     and the request is sent once more with a fresh one.  The second 401
 *     goes to the driver's map function (CREDENTIAL_ERROR).  A token that
 *     cannot be had is CREDENTIAL_ERROR (the token endpoint said 400 or 401)
 *     or RETRY (anything else).
 *   - A transport failure (status 0) is RETRY.
 *   - Every other answer goes to the driver's map function, which chooses
 *     the outcome; h1send reports it, counts it (counters delivered,
 *     token_invalid, token_replaced, retry, credential_error,
 *     payload_rejected; token_refreshes) and frees the send.
 *
 * Ownership: a client owns its pool and OAuth handle from h1_client_init()
 * on and frees them in h1_client_close(); a send belongs to the caller until
 * h1_send_start(), then to h1send.  Threading: the loop thread only, like
 * every driver callback.
 */
#ifndef HERALD_PLUGINS_H1SEND_H
#define HERALD_PLUGINS_H1SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <herald/driver.h>

#define H1_MAX_HEADERS 16

struct h1_send;

/*
 * Choose the outcome of an answer (res->status != 0).  o comes filled with
 * size, status, response = the body, invalid_since_ms and retry_after_ms -1;
 * set o->kind and whatever else applies.  Pointers put in o must live until
 * the function's caller reports it, right after it returns (res, s's data).
 */
typedef void (*h1_map_fn)(void *arg, struct h1_send *s, const struct herald_http_response *res,
			  struct herald_outcome *o);

struct h1_client {
	const struct herald_host *host;
	struct herald_app *app;
	struct herald_http_pool *pool;
	struct herald_oauth *oauth; /* NULL: requests carry no bearer token */
	h1_map_fn map;
	void *map_arg;
	bool closing;
};

/* Set c up; it takes pool and oauth (which may be NULL). */
void h1_client_init(struct h1_client *c, const struct herald_host *host, struct herald_app *app,
		    struct herald_http_pool *pool, struct herald_oauth *oauth, h1_map_fn map,
		    void *map_arg);
/*
 * Free the pool and the OAuth handle.  Sends still in flight are freed
 * without reporting (the host gave up on them).
 */
void h1_client_close(struct h1_client *c);

/*
 * A new send of method to url (both copied) for send_id, or NULL (ENOMEM).
 * data (may be NULL) is the driver's, handed to the map function through
 * h1_send_data() and freed with data_free (may be NULL) with the send.
 */
struct h1_send *h1_send_new(struct h1_client *c, uint64_t send_id, const char *method,
			    const char *url, void *data, void (*data_free)(void *));
/* Add a header (both strings copied).  0, or HERALD_ENOMEM / HERALD_EINVAL (too many). */
int h1_send_header(struct h1_send *s, const char *name, const char *value);
/* Give the body to s (malloc'ed, freed with s). */
void h1_send_body_take(struct h1_send *s, char *body, size_t len);
/* Free a send that was never started. */
void h1_send_free(struct h1_send *s);
/*
 * Start s (taken in every case).  0: exactly one outcome will be reported
 * for its send id, possibly from within this call.  Negative: nothing was
 * sent and nothing will be reported (the token service or the pool refused
 * at once: HERALD_EAGAIN and the like), for send() to return.
 */
int h1_send_start(struct h1_send *s);

/*
 * Report kind for send_id at once, with why as the response (borrowed for
 * the call): a send the driver settles without a request (bad token,
 * payload it cannot send).  Counted like every other outcome.
 */
void h1_report(struct h1_client *c, uint64_t send_id, int kind, const char *why);

/* The driver's data given to h1_send_new(). */
void *h1_send_data(const struct h1_send *s);
/* The send id given to h1_send_new(). */
uint64_t h1_send_id(const struct h1_send *s);

/* "DELIVERED", "TOKEN_INVALID", ... for logs. */
const char *h1_outcome_name(int kind);

#endif
