/*
 * What one endpoint receives of an accepted message: the payload chosen as
 * SNS chooses it (MessageStructure=json: the platform's key, else "default"),
 * the reserved AWS.SNS.MOBILE.* attributes as the driver's typed options, and
 * the TTL that applies (attribute, then the payload's own, else none: the
 * push service's default).  Pure functions, no state: any thread may call them.
 */
#ifndef HERALD_BROKER_PAYLOAD_H
#define HERALD_BROKER_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include <herald/driver.h>
#include <jansson.h>

/*
 * The broker's own expiry when no TTL applies: SNS's default, 4 weeks.  It
 * bounds retries only; the provider is sent no TTL and uses its own default.
 */
#define PAYLOAD_DEFAULT_TTL_S (28 * 24 * 3600)

/*
 * One message prepared for one platform.  n is ready for plugin_send() once
 * its token and attempt are set; every pointer in it is borrowed from body
 * (the stored message, store_msg.body) or from out itself, so out lives no
 * longer than body and is freed with payload_clear().
 */
struct payload {
	struct herald_notification n;
	int64_t ttl_s; /* the broker's expiry, seconds (>= 0): the TTL, PAYLOAD_DEFAULT_TTL_S if none */
	/* private */
	char *owned; /* a payload the selection had to build (e.g. JSON re-encoded) */
};

/*
 * Prepare body (borrowed: {"Message", "MessageStructure"?, "MessageAttributes"?, ...}
 * as ops_publish stores it) for an endpoint of platform ("APNS", "GCM", ...)
 * with message id.  created_ms is when the message was accepted: the
 * notification's expiration_ms is created_ms + out->ttl_s; its ttl_s is the
 * TTL that applies, or -1 when none does (the driver sends no TTL, so the
 * push service's default applies).  0, or -1 with why
 * filled (the message has nothing for this platform, an attribute is bad).
 */
int payload_prepare(json_t *body, const char *platform, const char *message_id, int64_t created_ms,
		    struct payload *out, char *why, size_t why_size);

void payload_clear(struct payload *p);

#endif
