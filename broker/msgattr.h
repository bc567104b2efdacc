/*
 * SNS message attributes: validation with SNS's exact errors, the size they
 * add to a message, and the reserved AWS.SNS.MOBILE.* attributes as typed
 * values for the delivery engine.
 *
 * Attributes are a JSON object {"name": {"DataType": "String",
 * "StringValue": "v"}} (BinaryValue is base64 text), as op.h describes.  Every
 * function here is pure (no state, no I/O), so any thread may call it.
 */
#ifndef HERALD_BROKER_MSGATTR_H
#define HERALD_BROKER_MSGATTR_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "broker/op.h"

/* Most bytes of Message plus all attribute names, types and values (SNS's limit). */
#define MSGATTR_MAX_PUBLISH_BYTES 262144

/*
 * Check attrs (borrowed; NULL or {} is valid) the way SNS does and add to
 * *size the bytes they count towards MSGATTR_MAX_PUBLISH_BYTES (name, DataType
 * and value; a BinaryValue counts decoded).  batch_pos is 0 for Publish, or
 * the 1-based position of the PublishBatch entry, which names the entry in
 * the ValidationError of a missing DataType.  0, or -1 with err filled:
 *   ParameterValueInvalid/400  names, types and values (SNS's messages)
 *   ValidationError/400        a missing DataType
 *   InvalidParameter/400       a value of the wrong JSON type
 * The reserved AWS.SNS.MOBILE.* attributes are checked against the values
 * their push service accepts; any other name starting with "AWS." or
 * "Amazon." (any case) is refused.
 */
int msgattr_validate(json_t *attrs, unsigned int batch_pos, size_t *size, struct op_error *err);

/* Push services that take a TTL attribute, AWS.SNS.MOBILE.<name>.TTL. */
enum msgattr_ttl_service {
	MSGATTR_TTL_ADM,
	MSGATTR_TTL_APNS,
	MSGATTR_TTL_APNS_SANDBOX,
	MSGATTR_TTL_APNS_VOIP,
	MSGATTR_TTL_APNS_VOIP_SANDBOX,
	MSGATTR_TTL_APNS_MDM,
	MSGATTR_TTL_APNS_MDM_SANDBOX,
	MSGATTR_TTL_APNS_PASSBOOK,
	MSGATTR_TTL_APNS_PASSBOOK_SANDBOX,
	MSGATTR_TTL_MACOS,
	MSGATTR_TTL_MACOS_SANDBOX,
	MSGATTR_TTL_BAIDU,
	MSGATTR_TTL_FCM,
	MSGATTR_TTL_GCM,
	MSGATTR_TTL_MPNS,
	MSGATTR_TTL_WNS,
	MSGATTR_TTL_COUNT,
};

/*
 * The reserved mobile attributes of one message.  Strings are borrowed from
 * the attributes object they were read from and live as long as it does.
 * "Absent" values: -1 for numbers, NULL for strings.
 */
struct msgattr_mobile {
	int64_t ttl[MSGATTR_TTL_COUNT]; /* seconds, >= 0 */
	int apns_priority;		/* 10, 5 or 1 */
	const char *apns_push_type;	/* alert, background, voip, ... */
	const char *apns_topic;
	const char *apns_collapse_id; /* at most 64 bytes */
	const char *preferred_auth;   /* "token" or "certificate" (as given, any case) */
	int baidu_deploy_status;      /* 1 development, 2 production */
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
};

/*
 * Fill out from attrs (borrowed, already accepted by msgattr_validate; NULL
 * gives all absent).  Other attributes are ignored.  0, or -1 if a reserved
 * attribute has a value msgattr_validate would refuse (out is then still
 * filled with everything else).
 */
int msgattr_mobile_get(json_t *attrs, struct msgattr_mobile *out);

/*
 * The TTL in seconds that applies to an endpoint of platform (an application
 * platform name: "APNS", "GCM", ...), or -1 if the message sets none.  GCM
 * endpoints take AWS.SNS.MOBILE.FCM.TTL, else AWS.SNS.MOBILE.GCM.TTL.
 */
int64_t msgattr_mobile_ttl(const struct msgattr_mobile *m, const char *platform);

#endif
