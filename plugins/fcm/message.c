/*
 * SNS GCM payloads as FCM request bodies.  SNS accepts two shapes:
 *   {"fcmV1Message": {"message": {...}, "validate_only": ...}}  (HTTP v1)
 *   {"data": {...}, "notification": {...}, "collapse_key": ..., "priority":
 *    ..., "time_to_live": N, "restricted_package_name": ..., "dry_run": ...}
 *                                                               (legacy)
 * and a text payload (the "default" message), sent as data {"default": TEXT}.
 * For v1 the legacy object is translated field by field: data values become
 * strings (v1 refuses anything else); notification title/body/image stay in
 * message.notification, the Android-only fields move to
 * android.notification; collapse_key, priority, time_to_live and
 * restricted_package_name move to android.  Legacy-only fields with no v1
 * place (badge, content_available, ...) are dropped.  The TTL that applies
 * (what is left of n->ttl_s, fcm_ttl_s()) wins over the payload's; with none
 * (ttl_s -1) no TTL is added, so FCM's default holds.
 */
#include "config.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plugins/fcm/fcm.h"

/* Legacy notification keys and their android.notification names. */
static const struct {
	const char *legacy, *v1;
} android_notification_keys[] = {
	{"icon", "icon"},
	{"color", "color"},
	{"sound", "sound"},
	{"tag", "tag"},
	{"click_action", "click_action"},
	{"body_loc_key", "body_loc_key"},
	{"body_loc_args", "body_loc_args"},
	{"title_loc_key", "title_loc_key"},
	{"title_loc_args", "title_loc_args"},
	{"android_channel_id", "channel_id"},
	{"ticker", "ticker"},
};

/* A v1 data map: every value a string (non-strings as their compact JSON text). */
static json_t *string_map(json_t *in)
{
	json_t *out = json_object();
	const char *k;
	json_t *v;

	if (!out)
		return NULL;
	json_object_foreach (in, k, v) {
		char *text;

		if (json_is_string(v)) {
			json_object_set(out, k, v);
			continue;
		}
		text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (text)
			json_object_set_new(out, k, json_string(text));
		free(text);
	}
	return out;
}

static json_t *object_at(json_t *parent, const char *key)
{
	json_t *o = json_object_get(parent, key);

	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(parent, key, o);
	}
	return o;
}

static json_t *legacy_to_v1(json_t *root)
{
	json_t *msg = json_object(), *v, *notif = json_object_get(root, "notification");
	json_t *android = json_object();
	long long ttl;

	if (!msg || !android)
		goto fail;
	if (json_is_object(json_object_get(root, "data")))
		json_object_set_new(msg, "data", string_map(json_object_get(root, "data")));
	if (json_is_object(notif)) {
		json_t *mn = json_object(), *an = json_object();

		for (const char *const *k = (const char *const[]){"title", "body", "image", NULL};
		     *k; k++)
			if (json_is_string(json_object_get(notif, *k)))
				json_object_set(mn, *k, json_object_get(notif, *k));
		for (size_t i = 0;
		     i < sizeof(android_notification_keys) / sizeof(android_notification_keys[0]);
		     i++) {
			v = json_object_get(notif, android_notification_keys[i].legacy);
			if (json_is_string(v) || json_is_array(v))
				json_object_set(an, android_notification_keys[i].v1, v);
		}
		if (json_object_size(mn))
			json_object_set(msg, "notification", mn);
		if (json_object_size(an))
			json_object_set(android, "notification", an);
		json_decref(mn);
		json_decref(an);
	}
	if (json_is_string(v = json_object_get(root, "collapse_key")))
		json_object_set(android, "collapse_key", v);
	if (json_is_string(v = json_object_get(root, "restricted_package_name")))
		json_object_set(android, "restricted_package_name", v);
	v = json_object_get(root, "priority");
	if ((json_is_string(v) && !strcasecmp(json_string_value(v), "high")) ||
	    (json_is_integer(v) && json_integer_value(v) >= 10))
		json_object_set_new(android, "priority", json_string("HIGH"));
	else if (json_is_string(v) || json_is_integer(v))
		json_object_set_new(android, "priority", json_string("NORMAL"));
	v = json_object_get(root, "time_to_live");
	if (json_is_integer(v) && (ttl = json_integer_value(v)) >= 0) {
		char d[32];

		snprintf(d, sizeof(d), "%llds", ttl > FCM_MAX_TTL ? (long long)FCM_MAX_TTL : ttl);
		json_object_set_new(android, "ttl", json_string(d));
	}
	if (json_object_size(android))
		json_object_set(msg, "android", android);
	json_decref(android);
	return msg;
fail:
	json_decref(msg);
	json_decref(android);
	return NULL;
}

/* The payload as a JSON object (a text payload wrapped as data.default); NULL if impossible. */
static json_t *payload_object(const struct herald_notification *n, char *why, size_t why_size)
{
	json_t *root = json_loadb((const char *)n->payload, n->payload_len, 0, NULL);

	if (json_is_object(root))
		return root;
	json_decref(root);
	if (n->payload_len == 0) {
		snprintf(why, why_size, "the payload is empty");
		return NULL;
	}
	root = json_pack("{s:{s:s%}}", "data", "default", (const char *)n->payload, n->payload_len);
	if (!root)
		snprintf(why, why_size, "the payload is neither JSON nor UTF-8 text");
	return root;
}

/* The v1 fcmV1Message wrapper, if root is one: {"message":{...}, ...}. */
static json_t *v1_wrapper(json_t *root)
{
	json_t *w = json_object_get(root, "fcmV1Message");

	if (json_is_string(w)) /* the wrapper sent as a JSON string */
		return json_loads(json_string_value(w), 0, NULL);
	if (json_is_object(w))
		return json_incref(w);
	return NULL;
}

static char *dump(json_t *body, char *why, size_t why_size)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	if (!text)
		snprintf(why, why_size, "out of memory building the request");
	json_decref(body);
	return text;
}

int64_t fcm_ttl_s(const struct herald_notification *n, int64_t now_ms)
{
	int64_t ttl = n->ttl_s, left;

	if (ttl < 0)
		return -1;
	if (n->expiration_ms >= 0) {
		left = n->expiration_ms > now_ms ? (n->expiration_ms - now_ms) / 1000 : 0;
		if (left < ttl)
			ttl = left;
	}
	return ttl > FCM_MAX_TTL ? FCM_MAX_TTL : ttl;
}

char *fcm_v1_body(const struct herald_notification *n, int64_t now_ms, char *why, size_t why_size)
{
	json_t *root = payload_object(n, why, why_size), *w, *msg, *body = NULL, *vo;
	int64_t ttl = fcm_ttl_s(n, now_ms);

	if (!root)
		return NULL;
	w = v1_wrapper(root);
	if (w && !json_is_object(json_object_get(w, "message"))) {
		snprintf(why, why_size, "fcmV1Message has no \"message\" object");
		json_decref(w);
		json_decref(root);
		return NULL;
	}
	msg = w ? json_deep_copy(json_object_get(w, "message")) : legacy_to_v1(root);
	if (!msg)
		goto out;
	json_object_del(msg, "topic");
	json_object_del(msg, "condition");
	json_object_del(msg, "fid");
	json_object_set_new(msg, "token", json_string(n->token));
	if (ttl >= 0) {
		char d[32];

		snprintf(d, sizeof(d), "%llds", (long long)ttl);
		json_object_set_new(object_at(msg, "android"), "ttl", json_string(d));
	}
	body = json_pack("{s:o}", "message", msg);
	vo = w ? json_object_get(w, "validate_only") : json_object_get(root, "dry_run");
	if (!vo && w)
		vo = json_object_get(w, "validateOnly");
	if (body && json_is_true(vo))
		json_object_set_new(body, "validate_only", json_true());
out:
	json_decref(w);
	json_decref(root);
	return dump(body, why, why_size);
}

/* The legacy body from a v1 message: its data, notification and Android options. */
static json_t *v1_to_legacy(json_t *msg)
{
	json_t *out = json_object(), *android = json_object_get(msg, "android"), *v;
	json_t *notif = json_object_get(msg, "notification");
	json_t *an = json_object_get(android, "notification");
	const char *ttl;

	if (!out)
		return NULL;
	if (json_is_object(json_object_get(msg, "data")))
		json_object_set(out, "data", json_object_get(msg, "data"));
	if (json_is_object(notif) || json_is_object(an)) {
		json_t *ln = json_is_object(notif) ? json_deep_copy(notif) : json_object();

		for (size_t i = 0;
		     i < sizeof(android_notification_keys) / sizeof(android_notification_keys[0]);
		     i++)
			if ((v = json_object_get(an, android_notification_keys[i].v1)))
				json_object_set(ln, android_notification_keys[i].legacy, v);
		json_object_set_new(out, "notification", ln);
	}
	if ((v = json_object_get(android, "collapse_key")))
		json_object_set(out, "collapse_key", v);
	if ((v = json_object_get(android, "restricted_package_name")))
		json_object_set(out, "restricted_package_name", v);
	if (json_is_string(v = json_object_get(android, "priority")))
		json_object_set_new(
			out, "priority",
			json_string(strcasecmp(json_string_value(v), "high") ? "normal" : "high"));
	if ((ttl = json_string_value(json_object_get(android, "ttl"))) &&
	    isdigit((unsigned char)*ttl))
		json_object_set_new(out, "time_to_live", json_integer(strtoll(ttl, NULL, 10)));
	return out;
}

char *fcm_legacy_body(const struct herald_notification *n, int64_t now_ms, char *why,
		      size_t why_size)
{
	json_t *root = payload_object(n, why, why_size), *w, *body;
	int64_t ttl = fcm_ttl_s(n, now_ms);

	if (!root)
		return NULL;
	w = v1_wrapper(root);
	if (w) {
		body = v1_to_legacy(json_object_get(w, "message"));
		json_decref(w);
		json_decref(root);
	} else {
		body = root;
		json_object_del(body, "registration_ids");
		json_object_del(body, "condition");
		json_object_del(body, "notification_key");
	}
	if (!body)
		return dump(NULL, why, why_size);
	json_object_set_new(body, "to", json_string(n->token));
	if (ttl >= 0)
		json_object_set_new(body, "time_to_live", json_integer(ttl));
	return dump(body, why, why_size);
}
