/*
 * What one endpoint receives of a stored message; see payload.h.
 *
 * Selection.  With MessageStructure=json the Message is a JSON object of
 * strings: the endpoint's platform key (GCM for FCM) if it is a string, else
 * "default" (non-string values are ignored, as SNS does).  Without it, the
 * Message is the text.
 *
 * Platform keys carry a platform payload and go out as written.  The
 * default text (and a Message without MessageStructure) is text, even when
 * it happens to be JSON: users of SNS report that a JSON Message published
 * to a GCM endpoint without MessageStructure reaches the device whole, as
 * the value of data.default.  The reference
 * (sns-docs, providers.md) does not say what SNS builds around such text;
 * herald builds:
 *   APNs family   {"aps":{"alert":TEXT}}  (the alert form SNS's own APNS
 *                 examples use)
 *   GCM, ADM      {"data":{"default":TEXT}}  (GCM observed on SNS; ADM
 *                 chosen alike, its data being a string map too)
 *   BAIDU         {"description":TEXT}  (chosen: the field a Baidu
 *                 notification shows; a pass-through message gets the same
 *                 JSON)
 *   MPNS, WNS     TEXT as it is (their payloads are XML or raw bytes)
 *
 * TTL (reference/sns-docs/sns-ttl.md): the AWS.SNS.MOBILE.<svc>.TTL
 * attribute, then the payload's own (GCM: time_to_live, or
 * fcmV1Message.message.android.ttl; ADM: expiresAfter; APNs, Baidu, MPNS and
 * WNS payloads carry none), then the push service's default: n.ttl_s is -1
 * and the driver sends no TTL.  SNS's 4 weeks (PAYLOAD_DEFAULT_TTL_S) remain
 * the broker's own expiry (out->ttl_s, n.expiration_ms), which ends retries
 * and is not sent.  When the attribute and the
 * payload disagree, SNS "will modify the TTL in the message body to match the
 * TTL specified in the message attribute": the payload is re-encoded.  A TTL
 * of 0 is kept only where it means something (APNs, FCM); elsewhere SNS
 * drops the message, and so does payload_prepare().
 *
 * APNs push type: the attribute, else inferred as SNS does
 * (sns-send-custom-platform-specific-payloads-mobile-devices.md):
 * "background" when aps has content-available 1 (or true) and no key that
 * interacts with the user (alert, badge, sound), else "alert".
 *
 * Pure: any thread.
 */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/msgattr.h"
#include "broker/payload.h"
#include "common/util.h"

/* The most seconds a payload's own TTL may say before it is ignored (as the attribute's bound). */
#define PAYLOAD_TTL_MAX 9999999999LL

enum payload_family {
	PAYLOAD_APNS,  /* APNS, APNS_SANDBOX and the other Apple variants */
	PAYLOAD_GCM,   /* GCM, FCM */
	PAYLOAD_ADM,   /* ADM */
	PAYLOAD_BAIDU, /* BAIDU */
	PAYLOAD_RAW,   /* MPNS, WNS and anything else: no JSON around text */
};

static enum payload_family payload_family(const char *platform)
{
	if (strncmp(platform, "APNS", 4) == 0 || strncmp(platform, "MACOS", 5) == 0)
		return PAYLOAD_APNS;
	if (strcmp(platform, "GCM") == 0 || strcmp(platform, "FCM") == 0)
		return PAYLOAD_GCM;
	if (strcmp(platform, "ADM") == 0)
		return PAYLOAD_ADM;
	if (strcmp(platform, "BAIDU") == 0)
		return PAYLOAD_BAIDU;
	return PAYLOAD_RAW;
}

/* The key of platform in a MessageStructure=json message (as ops_publish checks it). */
static const char *payload_key(const char *platform)
{
	return strcmp(platform, "FCM") == 0 ? "GCM" : platform;
}

static int payload_fail(char *why, size_t why_size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int payload_fail(char *why, size_t why_size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_size, fmt, ap);
	va_end(ap);
	return -1;
}

/* The platform's JSON around default text, or NULL (raw platforms, or out of memory). */
static json_t *payload_wrap(enum payload_family fam, const char *text, size_t len)
{
	switch (fam) {
	case PAYLOAD_APNS:
		return json_pack("{s:{s:s%}}", "aps", "alert", text, len);
	case PAYLOAD_GCM:
	case PAYLOAD_ADM:
		return json_pack("{s:{s:s%}}", "data", "default", text, len);
	case PAYLOAD_BAIDU:
		return json_pack("{s:s%}", "description", text, len);
	case PAYLOAD_RAW:
		break;
	}
	return NULL;
}

/* A whole number of seconds in range from an integer JSON value; -1 if not one. */
static int64_t payload_int_ttl(json_t *v)
{
	json_int_t i;

	if (!json_is_integer(v))
		return -1;
	i = json_integer_value(v);
	return i >= 0 && i <= PAYLOAD_TTL_MAX ? (int64_t)i : -1;
}

/*
 * A protobuf Duration as FCM v1 takes it, "<seconds>[.<fraction>]s",
 * rounded down to whole seconds as FCM does; -1 if not one.
 */
static int64_t payload_duration_ttl(json_t *v)
{
	const char *s = json_string_value(v);
	int64_t secs = 0;
	size_t i = 0;

	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	for (; isdigit((unsigned char)s[i]); i++) {
		if (i >= 10)
			return -1;
		secs = secs * 10 + (s[i] - '0');
	}
	if (s[i] == '.') {
		i++;
		if (!isdigit((unsigned char)s[i]))
			return -1;
		while (isdigit((unsigned char)s[i]))
			i++;
	}
	return strcmp(s + i, "s") == 0 && secs <= PAYLOAD_TTL_MAX ? secs : -1;
}

/* GCM: fcmV1Message.message.android, or NULL. */
static json_t *payload_fcm_android(json_t *pl)
{
	json_t *v1 = json_object_get(pl, "fcmV1Message");

	return json_object_get(json_object_get(v1, "message"), "android");
}

/* The TTL the payload sets for its platform, or -1. */
static int64_t payload_body_ttl(enum payload_family fam, json_t *pl)
{
	if (!json_is_object(pl))
		return -1;
	switch (fam) {
	case PAYLOAD_GCM:
		if (json_object_get(pl, "fcmV1Message"))
			return payload_duration_ttl(
				json_object_get(payload_fcm_android(pl), "ttl"));
		return payload_int_ttl(json_object_get(pl, "time_to_live"));
	case PAYLOAD_ADM:
		return payload_int_ttl(json_object_get(pl, "expiresAfter"));
	default:
		return -1;
	}
}

/* Make the payload's own TTL say ttl (it has one: payload_body_ttl() >= 0).  0 or -1 (OOM). */
static int payload_set_body_ttl(enum payload_family fam, json_t *pl, int64_t ttl)
{
	char dur[32];

	if (fam == PAYLOAD_ADM)
		return json_object_set_new(pl, "expiresAfter", json_integer(ttl));
	if (json_object_get(pl, "fcmV1Message")) {
		snprintf(dur, sizeof(dur), "%" PRId64 "s", ttl);
		return json_object_set_new(payload_fcm_android(pl), "ttl", json_string(dur));
	}
	return json_object_set_new(pl, "time_to_live", json_integer(ttl));
}

/* SNS's inference of apns-push-type from the payload. */
static const char *payload_apns_push_type(json_t *pl)
{
	json_t *aps = json_object_get(pl, "aps");
	json_t *ca = json_object_get(aps, "content-available");
	bool one = (json_is_integer(ca) && json_integer_value(ca) == 1) || json_is_true(ca);

	if (one && !json_object_get(aps, "alert") && !json_object_get(aps, "badge") &&
	    !json_object_get(aps, "sound"))
		return "background";
	return "alert";
}

static void payload_options(struct herald_notification *n, const struct msgattr_mobile *m)
{
	n->priority = m->apns_priority;
	n->push_type = m->apns_push_type;
	n->collapse_id = m->apns_collapse_id;
	n->topic = m->apns_topic;
	n->preferred_auth = m->preferred_auth;
	n->baidu_deploy_status = m->baidu_deploy_status;
	n->baidu_message_key = m->baidu_message_key;
	n->baidu_message_type = m->baidu_message_type;
	n->mpns_type = m->mpns_type;
	n->mpns_notification_class = m->mpns_notification_class;
	n->wns_cache_policy = m->wns_cache_policy;
	n->wns_group = m->wns_group;
	n->wns_match = m->wns_match;
	n->wns_suppress_popup = m->wns_suppress_popup;
	n->wns_tag = m->wns_tag;
	n->wns_type = m->wns_type;
}

int payload_prepare(json_t *body, const char *platform, const char *message_id, int64_t created_ms,
		    struct payload *out, char *why, size_t why_size)
{
	enum payload_family fam = payload_family(platform);
	json_t *msg = json_object_get(body, "Message");
	const char *structure = json_string_value(json_object_get(body, "MessageStructure"));
	struct msgattr_mobile m;
	json_t *doc = NULL, *pl = NULL, *v;
	const char *text;
	size_t len;
	bool is_default = true, rewrite = false;
	int64_t attr_ttl, body_ttl, ttl;
	int rc = -1;

	*out = (struct payload){0};
	if (!json_is_string(msg))
		return payload_fail(why, why_size, "the stored message has no Message");
	if (msgattr_mobile_get(json_object_get(body, "MessageAttributes"), &m) < 0)
		return payload_fail(why, why_size,
				    "a reserved AWS.SNS.MOBILE attribute has a value its push "
				    "service does not take");
	text = json_string_value(msg);
	len = json_string_length(msg);

	if (structure && strcmp(structure, "json") == 0) {
		doc = json_loadb(text, len, 0, NULL);
		if (!json_is_object(doc)) {
			payload_fail(
				why, why_size,
				"MessageStructure is json but the Message is not a JSON object");
			goto out;
		}
		v = json_object_get(doc, payload_key(platform));
		if (json_is_string(v)) {
			is_default = false;
		} else {
			v = json_object_get(doc, "default");
			if (!json_is_string(v)) {
				payload_fail(why, why_size,
					     "the message has neither a %s nor a default entry",
					     payload_key(platform));
				goto out;
			}
		}
		text = json_string_value(v);
		len = json_string_length(v);
	}

	pl = is_default ? payload_wrap(fam, text, len) : json_loadb(text, len, 0, NULL);
	if (is_default && fam != PAYLOAD_RAW && !pl) {
		payload_fail(why, why_size, "out of memory");
		goto out;
	}
	attr_ttl = msgattr_mobile_ttl(&m, platform);
	body_ttl = payload_body_ttl(fam, pl);
	ttl = attr_ttl >= 0 ? attr_ttl : body_ttl;
	if (attr_ttl >= 0 && body_ttl >= 0 && attr_ttl != body_ttl) {
		if (payload_set_body_ttl(fam, pl, attr_ttl) < 0) {
			payload_fail(why, why_size, "out of memory");
			goto out;
		}
		rewrite = true;
	}
	if (ttl == 0 && fam != PAYLOAD_APNS && fam != PAYLOAD_GCM) {
		payload_fail(why, why_size,
			     "a TTL of 0 means nothing to %s: the message is dropped, as SNS does",
			     platform);
		goto out;
	}

	if (is_default ? pl != NULL : rewrite) {
		out->owned = json_dumps(pl, JSON_COMPACT);
		if (!out->owned) {
			payload_fail(why, why_size, "out of memory");
			goto out;
		}
		len = strlen(out->owned);
	} else if (doc) {
		/* The platform key's (or raw default) text lives in doc: keep a copy. */
		out->owned = util_memdup(text, len);
		if (!out->owned) {
			payload_fail(why, why_size, "out of memory");
			goto out;
		}
	}

	out->ttl_s = ttl >= 0 ? ttl : PAYLOAD_DEFAULT_TTL_S;
	out->n.size = sizeof(out->n);
	out->n.platform = platform;
	out->n.message_id = message_id;
	out->n.payload = (const unsigned char *)(out->owned ? out->owned : text);
	out->n.payload_len = len;
	out->n.ttl_s = ttl;
	out->n.expiration_ms = created_ms + out->ttl_s * 1000;
	payload_options(&out->n, &m);
	if (fam == PAYLOAD_APNS && !out->n.push_type)
		out->n.push_type = payload_apns_push_type(pl);
	rc = 0;
out:
	json_decref(pl);
	json_decref(doc);
	if (rc < 0)
		payload_clear(out);
	return rc;
}

void payload_clear(struct payload *p)
{
	free(p->owned);
	*p = (struct payload){0};
}
