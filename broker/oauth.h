/*
 * The OAuth2 token service behind the driver ABI's oauth_* services: one
 * cache per plugin host, one entry per credential (token URL, grant, client
 * id or issuer, scope, audience, key id, CA file, and a SHA-256 of the
 * client secret or of the signing key's public part), shared by every app
 * holding that credential through its own handle (struct herald_oauth).
 *
 * Grants: client credentials (RFC 6749 §4.4: client_id and client_secret in
 * the form body, as Login with Amazon and WNS want) and the JWT bearer
 * assertion (RFC 7523, as Google service accounts: iss, scope, aud, iat,
 * exp = iat + 3600, signed RS256 or ES256 by the key, "kid" if given).
 *
 * A cached token answers from within oauth_token() while more than
 * max(60 s, a tenth of its life) of it remains (at most half its life, for
 * tokens living less than two minutes).  Otherwise one fetch runs and every
 * caller waits on it.  A failed fetch is not cached, but the next one starts
 * no sooner than OAUTH_BACKOFF_MS after it; if the token being refreshed is
 * still valid, the waiters get it instead of the failure.  Secrets (client
 * secret, key, assertion, access tokens) are never logged.
 *
 * Threading: the event-loop thread of the cache's base only.
 */
#ifndef HERALD_BROKER_OAUTH_H
#define HERALD_BROKER_OAUTH_H

#include <stddef.h>

#include <herald/driver.h>

struct event_base;
struct oauth_cache;

#define OAUTH_BACKOFF_MS  1000 /* least time between a failed fetch and the next */
#define OAUTH_TOKEN_MAX	  8192 /* bytes of an access token */
#define OAUTH_ASSERTION_S 3600 /* life of a JWT-bearer assertion */

/* A cache whose fetches run on base (borrowed).  NULL when out of memory. */
struct oauth_cache *oauth_cache_new(struct event_base *base);

/* Free the cache; every handle must have been freed before. */
void oauth_cache_free(struct oauth_cache *c);

/*
 * A handle on c's entry for cfg's credential (created if new).  app is
 * handed back to every callback; cfg is borrowed for the call (cfg->key
 * too: the entry keeps its own reference); default_ca (may be NULL) applies
 * when cfg->ca_file is NULL; log_prefix (copied) starts the entry's log
 * lines.  NULL with err filled (never quoting a secret).
 */
struct herald_oauth *oauth_new(struct oauth_cache *c, struct herald_app *app,
			       const struct herald_oauth_config *cfg, const char *default_ca,
			       const char *log_prefix, char *err, size_t err_size);

/*
 * A current token through done(app, arg, token, status, error): from within
 * when the cached one is fresh, else when the shared fetch ends (see the top
 * of this file).  0, or negative with done never called (HERALD_EINVAL: bad
 * arguments; HERALD_ENOMEM; HERALD_EIO: the fetch cannot be started).
 */
int oauth_token(struct herald_oauth *h, herald_token_fn done, void *arg);

/* Drop access_token from the cache if it is still the entry's current token. */
void oauth_invalidate(struct herald_oauth *h, const char *access_token);

/*
 * Free the handle: its waiting callbacks get (NULL, 0, "cancelled") from
 * within.  The entry goes with its last handle.  May be called from within
 * one of the handle's callbacks.
 */
void oauth_free(struct herald_oauth *h);

/*
 * Free every handle app still holds (a driver that forgot them in
 * free_instance()), dropping their waiters without a call: the instance
 * they would call into is gone.  How many there were.
 */
unsigned int oauth_release_app(struct oauth_cache *c, struct herald_app *app);

/* Entries in the cache (credentials with at least one handle). */
unsigned int oauth_cache_entries(const struct oauth_cache *c);

#endif
