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
 *   1.x  planned, appended to struct herald_host in later minors: an
 *        asynchronous HTTP/2 client (nghttp2 pools), an HTTP/1.1 client
 *        (curl multi), key loading and JWT signing (ES256, RS256), a cached
 *        OAuth2 token service.  A driver that needs one checks
 *        HERALD_HAS(host, member) and, if absent, fails create_instance()
 *        with a message saying which heraldd it needs.
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
#define HERALD_DRIVER_ABI_MINOR 0

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
