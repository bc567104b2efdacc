/*
 * <herald/driver.h>: the herald driver ABI, the one contract a provider driver
 * (APNs, FCM, ...) is built against.  Build a driver out of tree with
 * `pkg-config --cflags herald-driver` and install it into
 * `pkg-config --variable=driverdir herald-driver`; see herald-driver(7).
 *
 * Shape.  A driver is a shared object that exports exactly one symbol,
 * herald_driver_query() (HERALD_DRIVER_QUERY_SYMBOL).  heraldd calls it with
 * its own ABI version; the driver returns its constant descriptor, or NULL to
 * refuse that host.  heraldd re-checks everything it gets (ABI major equal,
 * driver minor <= host minor, descriptor size, mandatory callbacks, name,
 * platforms) and refuses the driver with one log line if anything is off.
 *
 * Tables.  Every table crossing the boundary begins with its own size in
 * bytes and only ever grows at the end (append-only).  A reader uses a member
 * only if the table's size covers it: HERALD_HAS(table, member).  Drivers
 * test optional host services this way; the host tests optional driver
 * callbacks and newer descriptor members the same way.
 *
 * Threading.  One event-loop thread calls every driver callback and every
 * host service.  A driver never blocks (no sleeping, no synchronous network
 * I/O, no waiting on locks held elsewhere), never calls exit() or abort() for
 * bad input, never creates threads that call host services, and keeps no
 * global mutable state: several platform applications share one loaded
 * object, each with its own instance.
 *
 * Ownership.  Everything the host passes in (configurations, notifications,
 * strings) is borrowed for the duration of the call only; copy what you keep.
 * Everything a driver passes to the host (its descriptor, outcomes, log
 * text) is borrowed by the host for the duration of that call only, except
 * the descriptor and what it points to, which must stay valid and unchanged
 * until the object is unloaded (make it static const).  Instances are created
 * by create_instance() and freed by free_instance(), both called by the host.
 *
 * Sends.  send() either accepts the notification (returns 0) and later
 * reports exactly one outcome through host->send_done() with the send id it
 * was given, or refuses it (returns a negative HERALD_E* value) and never
 * reports anything for that id: the broker keeps the message and retries.
 * send_done() may be called from within send().  The host guards the
 * completion: a second or unknown send_done() is ignored and logged, a
 * malformed outcome counts as a failed attempt, and a send never completed
 * within the host's deadline is failed for the driver.
 *
 * Secrets.  Credentials arrive in struct herald_app_config.  Never log them,
 * never put them in an error message, wipe your copies when freeing.
 *
 * ABI history (major.minor: change)
 *   1.0  herald 0.1: herald_driver_query(); struct herald_driver (descriptor:
 *        check_config, create_instance, validate_token, send, drain,
 *        free_instance); struct herald_app_config; struct herald_notification;
 *        struct herald_outcome; struct herald_host services: log, timer_add,
 *        timer_cancel, counter_add, send_done.
 *   1.1  herald 0.2: struct herald_app_config gains options/n_options (the
 *        broker's settings for the driver: herald.conf drivers.NAME); struct
 *        herald_host gains an asynchronous HTTP client (http_pool_new,
 *        http_request, http_pool_free: HTTP/2 over TLS on nghttp2 pools,
 *        HTTP/1.1 on curl multi), key loading and JWT signing (key_load,
 *        key_free, jwt_sign: ES256 with raw r||s, RS256) and a cached OAuth2
 *        token service (oauth_new, oauth_token, oauth_invalidate,
 *        oauth_free).  A 1.1 driver that needs them checks
 *        HERALD_HAS(host, oauth_free) and, if absent, fails create_instance()
 *        with a message saying it needs heraldd 0.2 or later.
 * A new major (2.0) would install into another driver directory
 * (drivers-abi2), so that no broker ever finds a driver it cannot load.
 */
#ifndef HERALD_DRIVER_H
#define HERALD_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HERALD_DRIVER_ABI_MAJOR 1
#define HERALD_DRIVER_ABI_MINOR 1

/* The one symbol a driver exports, as dlsym() looks it up. */
#define HERALD_DRIVER_QUERY_SYMBOL "herald_driver_query"

/* Bounds the host checks. */
#define HERALD_DRIVER_NAME_MAX	    32 /* name: [a-z0-9_-], 1 to 32 bytes */
#define HERALD_DRIVER_VERSION_MAX   64
#define HERALD_DRIVER_PLATFORMS_MAX 8  /* entries of the platforms list */
#define HERALD_COUNTER_NAME_MAX	    48 /* counter names: [a-z0-9_], 1 to 48 bytes */

/* Does the table (a pointer to a struct beginning with size_t size) have member? */
#define HERALD_HAS(table, member) \
	((table)->size >=         \
	 offsetof(__typeof__(*(table)), member) + sizeof(((__typeof__(*(table)) *)0)->member))

/* Default visibility for the query function, whatever -fvisibility the driver uses. */
#if defined(__GNUC__)
#define HERALD_DRIVER_EXPORT	 __attribute__((visibility("default")))
#define HERALD_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define HERALD_DRIVER_EXPORT
#define HERALD_PRINTF(fmt, args)
#endif

/* Return values of callbacks: 0 or one of these (negative). */
#define HERALD_EINVAL (-22) /* bad input: configuration, token, notification */
#define HERALD_EAGAIN (-11) /* busy: try again later (send: the broker keeps the message) */
#define HERALD_ENOMEM (-12)
#define HERALD_EIO    (-5) /* anything else */

/* Log priorities: the syslog(3) values. */
#define HERALD_LOG_ERR	   3
#define HERALD_LOG_WARNING 4
#define HERALD_LOG_NOTICE  5
#define HERALD_LOG_INFO	   6
#define HERALD_LOG_DEBUG   7

/* One platform application, as the host knows it; opaque to drivers. */
struct herald_app;
/* A pending timer; opaque to drivers. */
struct herald_timer;

struct herald_attr {
	const char *name;
	const char *value;
};

/*
 * A platform application's configuration (SNS CreatePlatformApplication).
 * Credentials are bytes with a length (a PKCS#12 or a key may hold NULs) and
 * a NUL after them; either may be absent (NULL, 0).
 */
struct herald_app_config {
	size_t size;
	const char *platform; /* "APNS", "GCM", ... one of the driver's platforms */
	const char *name;     /* application name */
	const char *arn;
	const struct herald_attr *attrs; /* the app's attributes, credentials excluded */
	size_t n_attrs;
	const char *principal; /* PlatformPrincipal: SECRET-adjacent, never log */
	size_t principal_len;
	const char *credential; /* PlatformCredential: SECRET, never log */
	size_t credential_len;
	/*
	 * 1.1: the broker's settings for this driver, from herald.conf's
	 * drivers.NAME group (NAME = the driver's name), e.g. url =
	 * "https://127.0.0.1:2197" to send to herald-emulator instead of the
	 * provider.  Values are strings (numbers and booleans as written).
	 */
	const struct herald_attr *options;
	size_t n_options;
};

/*
 * One notification to one device, as the broker hands it to send().  The
 * payload is already chosen (MessageStructure=json: the platform's key, else
 * "default").  Options come from the reserved AWS.SNS.MOBILE.* message
 * attributes; absent ones are NULL (strings) or -1 (numbers).
 */
struct herald_notification {
	size_t size;
	const char *platform;
	const char *token; /* device token, NUL-terminated */
	const char *message_id;
	const unsigned char *payload; /* not NUL-terminated; may hold any bytes */
	size_t payload_len;
	int64_t ttl_s;	       /* TTL that applies to this platform, seconds, or -1 */
	int64_t expiration_ms; /* absolute expiry, ms since the Unix epoch, or -1 */
	int priority;	       /* APNs priority 10, 5 or 1, or -1 */
	const char *push_type; /* apns-push-type: alert, background, voip, ... */
	const char *collapse_id;
	const char *topic;	    /* apns-topic */
	const char *preferred_auth; /* "token" or "certificate" */
	int baidu_deploy_status;    /* 1 development, 2 production */
	const char *baidu_message_key;
	int baidu_message_type;		     /* 0 message, 1 notification */
	const char *mpns_type;		     /* token, toast or raw */
	const char *mpns_notification_class; /* realtime, priority or regular */
	const char *wns_cache_policy;	     /* cache or no-cache */
	const char *wns_group;
	const char *wns_match;
	int wns_suppress_popup; /* 0 false, 1 true */
	const char *wns_tag;
	const char *wns_type; /* wns/toast, wns/tile, wns/badge or wns/raw */
	unsigned int attempt; /* 1 for the first attempt */
};

/* What happened to one send; the broker, not the driver, acts on it. */
enum herald_outcome_kind {
	HERALD_OUTCOME_DELIVERED = 1,	     /* the provider accepted it */
	HERALD_OUTCOME_TOKEN_INVALID = 2,    /* the token is dead: endpoint disabled */
	HERALD_OUTCOME_TOKEN_REPLACED = 3,   /* delivered; store canonical_token */
	HERALD_OUTCOME_RETRY = 4,	     /* transient: retry after retry_after_ms */
	HERALD_OUTCOME_CREDENTIAL_ERROR = 5, /* the app's credentials fail: app paused */
	HERALD_OUTCOME_PAYLOAD_REJECTED = 6, /* permanent for this message: no retry */
};

struct herald_outcome {
	size_t size;
	int kind;		     /* enum herald_outcome_kind */
	int64_t invalid_since_ms;    /* TOKEN_INVALID: provider's timestamp (ms), or -1 */
	const char *canonical_token; /* TOKEN_REPLACED: the token to store */
	int64_t retry_after_ms;	     /* RETRY: provider's Retry-After (ms), or -1 */
	int status;		     /* provider status code (HTTP status), or 0 */
	const char *response;	     /* provider response text, or NULL */
	size_t response_len;
};

typedef void (*herald_timer_fn)(struct herald_app *app, void *arg);

/* --- 1.1: HTTP client ------------------------------------------------------------------- */

/* A pool of connections to one origin (HTTP/2) or a curl multi (HTTP/1.1); opaque. */
struct herald_http_pool;

struct herald_http_header {
	const char *name;
	const char *value;
};

enum herald_http_version {
	HERALD_HTTP_1_1 = 1, /* curl multi on the loop; any https:// (or http://) URL */
	HERALD_HTTP_2 = 2,   /* nghttp2 over TLS with ALPN h2, to the pool's origin only */
};

struct herald_http_pool_config {
	size_t size;
	int version;	    /* enum herald_http_version */
	const char *origin; /* HTTP/2: "https://host[:port]" (mandatory); HTTP/1.1: NULL */
	/*
	 * Most connections: HTTP/2 to the origin (0: 1), HTTP/1.1 per host
	 * (0: 8).  An HTTP/2 pool opens another connection only when every
	 * open one has all the streams its peer allows in use.
	 */
	unsigned int max_connections;
	/* HTTP/2: streams per connection at most (0: what the peer's SETTINGS allow, as it changes). */
	unsigned int max_streams;
	/* Requests waiting while the pool is saturated (0: 10,000); beyond: HERALD_EAGAIN. */
	unsigned int max_queued;
	/* PEM CA bundle to verify servers; NULL: drivers.ca_file of herald.conf, else the system's. */
	const char *ca_file;
	/* TLS client authentication: PEM certificate (chain) and its PEM private key, or NULL. */
	const char *client_cert;
	size_t client_cert_len;
	const char *client_key; /* SECRET */
	size_t client_key_len;
	uint32_t connect_timeout_ms; /* TCP + TLS handshake (0: 10,000) */
	uint32_t request_timeout_ms; /* whole request (0: 30,000), unless the request sets one */
	uint32_t ping_interval_ms;   /* HTTP/2: PING an idle connection this often (0: 60,000) */
};

struct herald_http_request {
	size_t size;
	const char *method; /* "POST", "GET", ... */
	const char *url;    /* absolute; for an HTTP/2 pool it must be under the pool's origin */
	/* Extra headers: never Host, Content-Length or HTTP/2 pseudo-headers. */
	const struct herald_http_header *headers;
	size_t n_headers;
	const void *body; /* NULL when none */
	size_t body_len;
	uint32_t timeout_ms; /* 0: the pool's request_timeout_ms */
};

struct herald_http_response {
	size_t size;
	int status; /* the HTTP status, or 0 when no answer came (see error) */
	const struct herald_http_header *headers; /* names in lower case */
	size_t n_headers;
	const unsigned char *body; /* with a NUL after body_len bytes */
	size_t body_len;
	const char *error; /* status 0: what failed: connect, TLS, timeout, reset, cancelled */
	/*
	 * status 0: 1 when the server certainly did not process the request
	 * (never sent, refused stream, beyond a GOAWAY's last stream after the
	 * host's own retry on a new connection), so resending cannot duplicate.
	 */
	int unprocessed;
};

/* The answer to one http_request(); res and everything in it borrowed for the call. */
typedef void (*herald_http_done_fn)(struct herald_app *app, void *arg,
				    const struct herald_http_response *res);

/* --- 1.1: keys, JWT, OAuth2 ------------------------------------------------------------- */

/* A loaded private key (EC P-256 or RSA); opaque. */
struct herald_key;
/* A handle on the host's cached OAuth2 token for one credential; opaque. */
struct herald_oauth;

enum herald_oauth_grant {
	/* RFC 6749 §4.4, client_id and client_secret in the form body (ADM, WNS) */
	HERALD_OAUTH_CLIENT_CREDENTIALS = 1,
	/* RFC 7523: an RS256 JWT assertion signed by key (Google service accounts, FCM v1) */
	HERALD_OAUTH_JWT_BEARER = 2,
};

struct herald_oauth_config {
	size_t size;
	int grant; /* enum herald_oauth_grant */
	const char *token_url;
	const char *scope;
	const char *client_id;	   /* CLIENT_CREDENTIALS */
	const char *client_secret; /* CLIENT_CREDENTIALS: SECRET */
	const struct herald_key
		*key;	      /* JWT_BEARER: signs the assertion; borrowed for oauth_new() */
	const char *key_id;   /* JWT_BEARER: "kid" of the assertion, or NULL */
	const char *issuer;   /* JWT_BEARER: "iss" (the service account's client_email) */
	const char *audience; /* JWT_BEARER: "aud"; NULL: token_url */
	const char *ca_file;  /* as in struct herald_http_pool_config */
};

/*
 * A token, or why there is none: access_token NULL, status the token
 * endpoint's HTTP status (0 if it could not be reached), error its
 * "error"/"error_description" or the transport's reason.  A 400 or 401
 * means the credential is wrong (report HERALD_OUTCOME_CREDENTIAL_ERROR);
 * anything else is transient.  Everything borrowed for the call.
 */
typedef void (*herald_token_fn)(struct herald_app *app, void *arg, const char *access_token,
				int status, const char *error);

/*
 * Services the host gives a driver.  The table is the host's and outlives
 * every instance; test members newer than 1.0 with HERALD_HAS(host, member).
 */
struct herald_host {
	size_t size;
	unsigned int abi_major, abi_minor;

	/* Log one line prefixed "[driver/app]"; app NULL gives "[driver]". */
	void (*log)(struct herald_app *app, int priority, const char *fmt, ...) HERALD_PRINTF(3, 4);

	/*
	 * One-shot timer on the loop: fn(app, arg) after after_ms.  The timer
	 * is freed after fn returns, or by timer_cancel() before it fires;
	 * never cancel a timer that has fired.  The host cancels an
	 * instance's remaining timers after free_instance().  NULL on failure.
	 */
	struct herald_timer *(*timer_add)(struct herald_app *app, uint64_t after_ms,
					  herald_timer_fn fn, void *arg);
	void (*timer_cancel)(struct herald_app *app, struct herald_timer *timer);

	/* Add delta to the app's counter name ([a-z0-9_], at most 48 bytes). */
	void (*counter_add)(struct herald_app *app, const char *name, int64_t delta);

	/* Report the outcome of the send with send_id: exactly once per accepted send. */
	void (*send_done)(struct herald_app *app, uint64_t send_id,
			  const struct herald_outcome *outcome);

	/* --- 1.1 --- */

	/*
	 * A connection pool for app; connections open lazily.  NULL with err
	 * filled (bad origin, unreadable CA file, a client key that does not
	 * match its certificate).  Free it with http_pool_free() before
	 * free_instance() returns.
	 */
	struct herald_http_pool *(*http_pool_new)(struct herald_app *app,
						  const struct herald_http_pool_config *cfg,
						  char *err, size_t err_size);
	/*
	 * Send req (borrowed for the call: the host copies what it keeps).
	 * 0: done(app, arg, response) is called exactly once, never from within
	 * http_request().  Negative: nothing sent, done never called:
	 * HERALD_EINVAL (bad request, URL outside an HTTP/2 pool's origin),
	 * HERALD_EAGAIN (max_queued requests already waiting).  The HTTP/2
	 * pool retries by itself, once, the streams a GOAWAY or a refused
	 * stream left unprocessed; any other failure is the driver's to map.
	 */
	int (*http_request)(struct herald_http_pool *pool, const struct herald_http_request *req,
			    herald_http_done_fn done, void *arg);
	/*
	 * Close the pool.  Requests still pending get done() with status 0,
	 * error "cancelled", from within http_pool_free().
	 */
	void (*http_pool_free)(struct herald_http_pool *pool);

	/*
	 * Load a PEM private key: PKCS#8 ("PRIVATE KEY", as Apple's .p8 and
	 * Google's service-account JSON hold), "EC PRIVATE KEY" or "RSA
	 * PRIVATE KEY".  EC keys must be P-256, RSA keys at least 2048 bits.
	 * NULL with err filled (never quoting the key).
	 */
	struct herald_key *(*key_load)(struct herald_app *app, const void *pem, size_t pem_len,
				       char *err, size_t err_size);
	void (*key_free)(struct herald_key *key);
	/*
	 * A compact JWS: BASE64URL(header_json) "." BASE64URL(claims_json) "."
	 * BASE64URL(signature), signed ES256 (raw 64-byte r||s, RFC 7518
	 * §3.4) with an EC key or RS256 with an RSA key; header_json must name
	 * that "alg".  Written NUL-terminated to out; its length, or
	 * HERALD_EINVAL (out too small, alg not the key's).
	 */
	int (*jwt_sign)(const struct herald_key *key, const char *header_json,
			const char *claims_json, char *out, size_t out_size);

	/*
	 * A handle on the host's token for one credential.  Apps with the same
	 * credential (token_url, grant, client id or issuer, scope, secret or
	 * key) share one cached token.  NULL with err filled.
	 */
	struct herald_oauth *(*oauth_new)(struct herald_app *app,
					  const struct herald_oauth_config *cfg, char *err,
					  size_t err_size);
	/*
	 * A current access token through done(): from within oauth_token()
	 * when the cached one has more than a minute (and a tenth of its life)
	 * left, else once the single refresh every waiter shares finishes.
	 * 0, or negative (nothing called).
	 */
	int (*oauth_token)(struct herald_oauth *oauth, herald_token_fn done, void *arg);
	/*
	 * The provider refused access_token (401): drop it from the cache so
	 * the next oauth_token() fetches a new one, unless it was already
	 * replaced by a newer one.
	 */
	void (*oauth_invalidate)(struct herald_oauth *oauth, const char *access_token);
	/* Drop the handle; waiting callbacks get "cancelled" from within oauth_free(). */
	void (*oauth_free)(struct herald_oauth *oauth);
};

/*
 * The driver descriptor: static const in the driver, returned by the query
 * function.  Mandatory: every callback but drain.
 */
struct herald_driver {
	size_t size; /* sizeof(struct herald_driver) as the driver was built */
	unsigned int abi_major, abi_minor;
	const char *name;	      /* [a-z0-9_-], at most 32 bytes: "apns" */
	const char *version;	      /* the driver's own version, free text */
	const char *const *platforms; /* NULL-terminated: {"APNS", "APNS_SANDBOX", NULL} */

	/*
	 * Check an application's configuration offline (no network): 0, or a
	 * negative value with a message for the user in err (never quoting a
	 * secret).  app is a handle for logging only.
	 */
	int (*check_config)(const struct herald_host *host, struct herald_app *app,
			    const struct herald_app_config *cfg, char *err, size_t err_size);

	/*
	 * Create the instance serving one platform application; store it in
	 * *instance.  0, or negative with err filled.  The host and app
	 * pointers stay valid until free_instance() returns.
	 */
	int (*create_instance)(const struct herald_host *host, struct herald_app *app,
			       const struct herald_app_config *cfg, void **instance, char *err,
			       size_t err_size);

	/* Is token syntactically a device token of platform?  0, or negative with err. */
	int (*validate_token)(const char *platform, const char *token, size_t token_len, char *err,
			      size_t err_size);

	/* Send one notification; see "Sends" above.  n is borrowed for the call. */
	int (*send)(void *instance, const struct herald_notification *n, uint64_t send_id);

	/*
	 * Optional.  No more sends will come: finish what is in flight (its
	 * outcomes are still reported), close idle connections, stop
	 * keep-alives.  free_instance() follows once nothing is in flight.
	 */
	void (*drain)(void *instance);

	/* Free the instance.  Nothing is in flight or the host gave up waiting. */
	void (*free_instance)(void *instance);
};

/* The size of each table at ABI 1.0: the least the host accepts. */
#define HERALD_DRIVER_SIZE_1_0 \
	(offsetof(struct herald_driver, free_instance) + sizeof(void (*)(void *)))
#define HERALD_OUTCOME_SIZE_1_0 (offsetof(struct herald_outcome, response_len) + sizeof(size_t))

/*
 * The query function every driver defines and exports.  host_major/minor is
 * the host's ABI; return the descriptor, or NULL to refuse that host.
 */
HERALD_DRIVER_EXPORT const struct herald_driver *herald_driver_query(unsigned int host_major,
								     unsigned int host_minor);
typedef const struct herald_driver *(*herald_driver_query_fn)(unsigned int host_major,
							      unsigned int host_minor);

#ifdef __cplusplus
}
#endif

#endif
