/*
 * Emulated FCM HTTP v1 and its OAuth2 token endpoint; see fcm.h.  Error
 * shapes follow Google's API error format (providers.md §2.3).  Runs on the
 * event loop.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/rand.h>

#include "common/util.h"
#include "emulator/fcm.h"
#include "emulator/h2.h"
#include "emulator/jwt.h"

#define GRANT_JWT_BEARER "urn:ietf:params:oauth:grant-type:jwt-bearer"
#define SCOPE_FCM	 "https://www.googleapis.com/auth/firebase.messaging"
#define SCOPE_CLOUD	 "https://www.googleapis.com/auth/cloud-platform"
#define FCM_ERROR_TYPE	 "type.googleapis.com/google.firebase.fcm.v1.FcmError"
#define MSG_NO_CREDS                                                                             \
	"Request is missing required authentication credential. Expected OAuth 2 access token, " \
	"login cookie or other valid authentication credential. See "                            \
	"https://developers.google.com/identity/sign-in/web/devconsole-project."
#define MSG_BAD_CREDS                                                                           \
	"Request had invalid authentication credentials. Expected OAuth 2 access token, login " \
	"cookie or other valid authentication credential. See "                                 \
	"https://developers.google.com/identity/sign-in/web/devconsole-project."
#define MSG_BAD_TOKEN "The registration token is not a valid FCM registration token"

struct fcm_server {
	const struct emu_config *cfg;
	struct emu_state *st;
	struct h2_server *h2;
	json_t *tokens; /* access token -> expiry (monotonic ms) */
	char aud_ip[64], aud_host[64];
};

/* ---- message schema ---------------------------------------------------- */

enum kind {
	K_STRING,
	K_BOOL,
	K_INT,
	K_OBJECT,     /* with a sub-schema */
	K_ANY_OBJECT, /* free-form JSON object (apns.payload, webpush.notification) */
	K_STRING_MAP, /* {string: string} */
	K_STRING_LIST,
	K_DURATION,
	K_ENUM,
};

struct field {
	const char *snake, *camel; /* camel NULL when the same */
	enum kind kind;
	const void *sub;  /* struct field[] for K_OBJECT, const char *[] for K_ENUM */
	const char *type; /* the proto type named in errors for K_OBJECT/K_ENUM/K_DURATION */
};

static const struct field fcm_options_fields[] = {
	{"analytics_label", "analyticsLabel", K_STRING, NULL, NULL},
	{NULL, NULL, 0, NULL, NULL},
};
static const struct field apns_fcm_options_fields[] = {
	{"analytics_label", "analyticsLabel", K_STRING, NULL, NULL},
	{"image", NULL, K_STRING, NULL, NULL},
	{NULL, NULL, 0, NULL, NULL},
};
static const struct field webpush_fcm_options_fields[] = {
	{"analytics_label", "analyticsLabel", K_STRING, NULL, NULL},
	{"link", NULL, K_STRING, NULL, NULL},
	{NULL, NULL, 0, NULL, NULL},
};
static const struct field notification_fields[] = {
	{"title", NULL, K_STRING, NULL, NULL},
	{"body", NULL, K_STRING, NULL, NULL},
	{"image", NULL, K_STRING, NULL, NULL},
	{NULL, NULL, 0, NULL, NULL},
};
static const char *const android_priorities[] = {"NORMAL", "HIGH", NULL};
static const char *const notification_priorities[] = {"PRIORITY_UNSPECIFIED",
						      "PRIORITY_MIN",
						      "PRIORITY_LOW",
						      "PRIORITY_DEFAULT",
						      "PRIORITY_HIGH",
						      "PRIORITY_MAX",
						      NULL};
static const char *const visibilities[] = {"VISIBILITY_UNSPECIFIED", "PRIVATE", "PUBLIC", "SECRET",
					   NULL};
static const char *const proxies[] = {"PROXY_UNSPECIFIED", "ALLOW", "DENY", "IF_PRIORITY_LOWERED",
				      NULL};
static const struct field android_notification_fields[] = {
	{"title", NULL, K_STRING, NULL, NULL},
	{"body", NULL, K_STRING, NULL, NULL},
	{"icon", NULL, K_STRING, NULL, NULL},
	{"color", NULL, K_STRING, NULL, NULL},
	{"sound", NULL, K_STRING, NULL, NULL},
	{"tag", NULL, K_STRING, NULL, NULL},
	{"click_action", "clickAction", K_STRING, NULL, NULL},
	{"body_loc_key", "bodyLocKey", K_STRING, NULL, NULL},
	{"body_loc_args", "bodyLocArgs", K_STRING_LIST, NULL, NULL},
	{"title_loc_key", "titleLocKey", K_STRING, NULL, NULL},
	{"title_loc_args", "titleLocArgs", K_STRING_LIST, NULL, NULL},
	{"channel_id", "channelId", K_STRING, NULL, NULL},
	{"ticker", NULL, K_STRING, NULL, NULL},
	{"sticky", NULL, K_BOOL, NULL, NULL},
	{"event_time", "eventTime", K_STRING, NULL, NULL},
	{"local_only", "localOnly", K_BOOL, NULL, NULL},
	{"notification_priority", "notificationPriority", K_ENUM, notification_priorities,
	 "type.googleapis.com/google.firebase.fcm.v1.AndroidNotification.NotificationPriority"},
	{"default_sound", "defaultSound", K_BOOL, NULL, NULL},
	{"default_vibrate_timings", "defaultVibrateTimings", K_BOOL, NULL, NULL},
	{"default_light_settings", "defaultLightSettings", K_BOOL, NULL, NULL},
	{"vibrate_timings", "vibrateTimings", K_STRING_LIST, NULL, NULL},
	{"visibility", NULL, K_ENUM, visibilities,
	 "type.googleapis.com/google.firebase.fcm.v1.AndroidNotification.Visibility"},
	{"notification_count", "notificationCount", K_INT, NULL, NULL},
	{"light_settings", "lightSettings", K_ANY_OBJECT, NULL, NULL},
	{"image", NULL, K_STRING, NULL, NULL},
	{"proxy", NULL, K_ENUM, proxies,
	 "type.googleapis.com/google.firebase.fcm.v1.AndroidNotification.Proxy"},
	{NULL, NULL, 0, NULL, NULL},
};
static const struct field android_fields[] = {
	{"collapse_key", "collapseKey", K_STRING, NULL, NULL},
	{"priority", NULL, K_ENUM, android_priorities,
	 "type.googleapis.com/google.firebase.fcm.v1.AndroidMessagePriority"},
	{"ttl", NULL, K_DURATION, NULL, "type.googleapis.com/google.protobuf.Duration"},
	{"restricted_package_name", "restrictedPackageName", K_STRING, NULL, NULL},
	{"data", NULL, K_STRING_MAP, NULL, NULL},
	{"notification", NULL, K_OBJECT, android_notification_fields,
	 "type.googleapis.com/google.firebase.fcm.v1.AndroidNotification"},
	{"fcm_options", "fcmOptions", K_OBJECT, fcm_options_fields,
	 "type.googleapis.com/google.firebase.fcm.v1.AndroidFcmOptions"},
	{"direct_boot_ok", "directBootOk", K_BOOL, NULL, NULL},
	{"bandwidth_constrained_ok", "bandwidthConstrainedOk", K_BOOL, NULL, NULL},
	{"restricted_satellite_ok", "restrictedSatelliteOk", K_BOOL, NULL, NULL},
	{NULL, NULL, 0, NULL, NULL},
};
static const struct field apns_fields[] = {
	{"headers", NULL, K_STRING_MAP, NULL, NULL},
	{"payload", NULL, K_ANY_OBJECT, NULL, NULL},
	{"fcm_options", "fcmOptions", K_OBJECT, apns_fcm_options_fields,
	 "type.googleapis.com/google.firebase.fcm.v1.ApnsFcmOptions"},
	{"live_activity_token", "liveActivityToken", K_STRING, NULL, NULL},
	{NULL, NULL, 0, NULL, NULL},
};
static const struct field webpush_fields[] = {
	{"headers", NULL, K_STRING_MAP, NULL, NULL},
	{"data", NULL, K_STRING_MAP, NULL, NULL},
	{"notification", NULL, K_ANY_OBJECT, NULL, NULL},
	{"fcm_options", "fcmOptions", K_OBJECT, webpush_fcm_options_fields,
	 "type.googleapis.com/google.firebase.fcm.v1.WebpushFcmOptions"},
	{NULL, NULL, 0, NULL, NULL},
};
static const struct field message_fields[] = {
	{"name", NULL, K_STRING, NULL, NULL},
	{"token", NULL, K_STRING, NULL, NULL},
	{"topic", NULL, K_STRING, NULL, NULL},
	{"condition", NULL, K_STRING, NULL, NULL},
	{"fid", NULL, K_STRING, NULL, NULL},
	{"data", NULL, K_STRING_MAP, NULL, NULL},
	{"notification", NULL, K_OBJECT, notification_fields,
	 "type.googleapis.com/google.firebase.fcm.v1.Notification"},
	{"fcm_options", "fcmOptions", K_OBJECT, fcm_options_fields,
	 "type.googleapis.com/google.firebase.fcm.v1.FcmOptions"},
	{"android", NULL, K_OBJECT, android_fields,
	 "type.googleapis.com/google.firebase.fcm.v1.AndroidConfig"},
	{"apns", NULL, K_OBJECT, apns_fields,
	 "type.googleapis.com/google.firebase.fcm.v1.ApnsConfig"},
	{"webpush", NULL, K_OBJECT, webpush_fields,
	 "type.googleapis.com/google.firebase.fcm.v1.WebpushConfig"},
	{NULL, NULL, 0, NULL, NULL},
};
static const struct field request_fields[] = {
	{"message", NULL, K_OBJECT, message_fields,
	 "type.googleapis.com/google.firebase.fcm.v1.Message"},
	{"validate_only", "validateOnly", K_BOOL, NULL, NULL},
	{NULL, NULL, 0, NULL, NULL},
};

static int invalid(struct fcm_error *e, const char *field, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int invalid(struct fcm_error *e, const char *field, const char *code, const char *fmt, ...)
{
	va_list ap;

	e->http = 400;
	e->status = "INVALID_ARGUMENT";
	e->code = code;
	e->retry_after = -1;
	snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -1;
}

/* "Invalid value at 'path' (TYPE), <json>", Google's wording for a wrongly typed value. */
static int bad_value(struct fcm_error *e, const char *path, const char *type, const json_t *v)
{
	char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	int rc = invalid(e, path, NULL, "Invalid value at '%s' (%s), %.200s", path, type,
			 text ? text : "?");

	free(text);
	return rc;
}

static const struct field *find_field(const struct field *fields, const char *name)
{
	for (; fields->snake; fields++)
		if (strcmp(fields->snake, name) == 0 ||
		    (fields->camel && strcmp(fields->camel, name) == 0))
			return fields;
	return NULL;
}

/* The object member for f under either spelling (borrowed), or NULL. */
static json_t *get_field(const json_t *obj, const char *snake, const char *camel)
{
	json_t *v = json_object_get(obj, snake);

	return v || !camel ? v : json_object_get(obj, camel);
}

static int duration_valid(const char *s, long long *seconds)
{
	const char *p = s;
	long long sec = 0;
	int digits = 0;

	while (isdigit((unsigned char)*p)) {
		if (++digits > 12)
			return 0;
		sec = sec * 10 + (*p++ - '0');
	}
	if (digits == 0)
		return 0;
	if (*p == '.') {
		int frac = 0;

		p++;
		while (isdigit((unsigned char)*p)) {
			p++;
			frac++;
		}
		if (frac < 1 || frac > 9)
			return 0;
	}
	if (strcmp(p, "s") != 0)
		return 0;
	*seconds = sec;
	return 1;
}

static int check_object(const json_t *obj, const struct field *fields, const char *path,
			struct fcm_error *e);

static int check_value(const json_t *v, const struct field *f, const char *path,
		       struct fcm_error *e)
{
	const char *key;
	json_t *item;
	size_t i = 0;
	long long ttl;
	char sub[160];

	switch (f->kind) {
	case K_STRING:
		return json_is_string(v) ? 0 : bad_value(e, path, "TYPE_STRING", v);
	case K_BOOL:
		return json_is_boolean(v) ? 0 : bad_value(e, path, "TYPE_BOOL", v);
	case K_INT:
		return json_is_integer(v) ? 0 : bad_value(e, path, "TYPE_INT32", v);
	case K_OBJECT:
		if (!json_is_object(v))
			return bad_value(e, path, f->type, v);
		return check_object(v, f->sub, path, e);
	case K_ANY_OBJECT:
		return json_is_object(v) ? 0 : bad_value(e, path, "TYPE_MESSAGE", v);
	case K_STRING_LIST:
		if (!json_is_array(v))
			return bad_value(e, path, "TYPE_STRING", v);
		json_array_foreach (v, i, item) {
			if (!json_is_string(item)) {
				if (snprintf(sub, sizeof(sub), "%s[%zu]", path, i) >=
				    (int)sizeof(sub))
					sub[0] = '\0';
				return bad_value(e, sub, "TYPE_STRING", item);
			}
		}
		return 0;
	case K_STRING_MAP:
		if (!json_is_object(v))
			return bad_value(e, path, "TYPE_MESSAGE", v);
		json_object_foreach ((json_t *)v, key, item) {
			if (!json_is_string(item)) {
				if (snprintf(sub, sizeof(sub), "%s[%zu].value", path, i) >=
				    (int)sizeof(sub))
					sub[0] = '\0';
				return bad_value(e, sub, "TYPE_STRING", item);
			}
			i++;
		}
		return 0;
	case K_DURATION:
		if (!json_is_string(v) || !duration_valid(json_string_value(v), &ttl))
			return bad_value(e, path, f->type, v);
		if (ttl > FCM_MAX_TTL)
			return invalid(e, path, "INVALID_ARGUMENT",
				       "The value of '%s' must be at most %ds (four weeks)", path,
				       FCM_MAX_TTL);
		return 0;
	case K_ENUM: {
		const char *const *names = f->sub;

		/* Proto enums by name; firebase-admin sends lowercase, which Google accepts. */
		for (i = 0; json_is_string(v) && names[i]; i++)
			if (strcasecmp(names[i], json_string_value(v)) == 0)
				return 0;
		return bad_value(e, path, f->type, v);
	}
	}
	return 0;
}

static int check_object(const json_t *obj, const struct field *fields, const char *path,
			struct fcm_error *e)
{
	const char *key;
	json_t *v;
	char sub[160];

	json_object_foreach ((json_t *)obj, key, v) {
		const struct field *f = find_field(fields, key);

		if (!f) {
			if (*path)
				return invalid(
					e, path, NULL,
					"Invalid JSON payload received. Unknown name \"%.64s\" at '%s': Cannot find field.",
					key, path);
			return invalid(
				e, "", NULL,
				"Invalid JSON payload received. Unknown name \"%.64s\": Cannot find field.",
				key);
		}
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", f->snake);
		if (check_value(v, f, sub, e) != 0)
			return -1;
	}
	return 0;
}

static int data_key_reserved(const char *k)
{
	return strcmp(k, "from") == 0 || strcmp(k, "message_type") == 0 ||
	       strncasecmp(k, "google", 6) == 0 || strncasecmp(k, "gcm", 3) == 0;
}

static size_t map_bytes(const json_t *map)
{
	const char *key;
	json_t *v;
	size_t n = 0;

	json_object_foreach ((json_t *)map, key, v)
		n += strlen(key) + json_string_length(v);
	return n;
}

static int check_data_keys(const json_t *map, const char *path, struct fcm_error *e)
{
	const char *key;
	json_t *v;

	json_object_foreach ((json_t *)map, key, v)
		if (data_key_reserved(key))
			return invalid(
				e, path, "INVALID_ARGUMENT",
				"Invalid data key \"%.64s\" in '%s': keys \"from\", \"message_type\" and keys starting with \"google\" or \"gcm\" are reserved",
				key, path);
	return 0;
}

static int token_valid(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 4096)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && !strchr("_:-.", t[i]))
			return 0;
	return 1;
}

static int topic_valid(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 900)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && !strchr("-_.~%", t[i]))
			return 0;
	return 1;
}

int fcm_check_send(const json_t *body, const char **token, int *validate_only, struct fcm_error *e)
{
	static const char *const targets[] = {"token", "topic", "condition", "fid"};
	const json_t *msg, *android, *notif, *vo;
	const char *target = NULL;
	size_t bytes = 0, limit;

	*token = NULL;
	*validate_only = 0;
	if (!json_is_object(body))
		return invalid(
			e, "", NULL,
			"Invalid JSON payload received. Expected an object at the top level.");
	if (check_object(body, request_fields, "", e) != 0)
		return -1;
	vo = get_field(body, "validate_only", "validateOnly");
	*validate_only = json_is_true(vo);
	msg = json_object_get(body, "message");
	if (!msg)
		return invalid(e, "message", NULL, "Request contains an invalid argument.");
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		if (!json_object_get(msg, targets[i]))
			continue;
		if (target)
			return invalid(
				e, "message", NULL,
				"Invalid value at 'message' (oneof), oneof field 'target' is already set. Cannot set '%s'",
				targets[i]);
		target = targets[i];
	}
	if (!target)
		return invalid(e, "message", "INVALID_ARGUMENT",
			       "Recipient of the message is not set.");
	if (strcmp(target, "token") == 0) {
		*token = json_string_value(json_object_get(msg, "token"));
		if (!token_valid(*token))
			return invalid(e, "message.token", "INVALID_ARGUMENT", MSG_BAD_TOKEN);
	} else if (strcmp(target, "topic") == 0 &&
		   !topic_valid(json_string_value(json_object_get(msg, "topic")))) {
		return invalid(
			e, "message.topic", "INVALID_ARGUMENT",
			"Invalid topic name \"%.64s\": it must match [a-zA-Z0-9-_.~%%]+ without a /topics/ prefix",
			json_string_value(json_object_get(msg, "topic")));
	}
	android = json_object_get(msg, "android");
	if (check_data_keys(json_object_get(msg, "data"), "message.data", e) != 0 ||
	    check_data_keys(json_object_get(android, "data"), "message.android.data", e) != 0)
		return -1;
	/* What the device receives: data keys and values plus the notification text. */
	bytes += map_bytes(json_object_get(msg, "data"));
	bytes += map_bytes(json_object_get(android, "data"));
	notif = json_object_get(msg, "notification");
	bytes += json_string_length(json_object_get(notif, "title")) +
		 json_string_length(json_object_get(notif, "body"));
	notif = json_object_get(android, "notification");
	bytes += json_string_length(json_object_get(notif, "title")) +
		 json_string_length(json_object_get(notif, "body"));
	limit = strcmp(target, "token") == 0 || strcmp(target, "fid") == 0 ? FCM_MAX_PAYLOAD
									   : FCM_MAX_TOPIC_PAYLOAD;
	if (bytes > limit)
		return invalid(e, "message", "INVALID_ARGUMENT",
			       "Message is too big: %zu bytes of payload, the limit is %zu", bytes,
			       limit);
	return 0;
}

void fcm_error_from_code(struct fcm_error *e, const char *code, int http)
{
	static const struct {
		const char *code;
		int http;
		const char *status, *message;
	} map[] = {
		{"UNREGISTERED", 404, "NOT_FOUND", "Requested entity was not found."},
		{"INVALID_ARGUMENT", 400, "INVALID_ARGUMENT", MSG_BAD_TOKEN},
		{"SENDER_ID_MISMATCH", 403, "PERMISSION_DENIED", "SenderId mismatch"},
		{"QUOTA_EXCEEDED", 429, "RESOURCE_EXHAUSTED",
		 "Quota exceeded for quota metric 'Messages' and limit 'Messages per minute'."},
		{"UNAVAILABLE", 503, "UNAVAILABLE", "The service is currently unavailable."},
		{"INTERNAL", 500, "INTERNAL", "Internal error encountered."},
		{"THIRD_PARTY_AUTH_ERROR", 401, "UNAUTHENTICATED",
		 "Auth error from APNS or Web Push Service"},
	};
	size_t i, n = sizeof(map) / sizeof(map[0]);

	for (i = 0; i < n; i++)
		if (code ? strcmp(map[i].code, code) == 0 : map[i].http == http)
			break;
	if (i == n)
		for (i = 0; i < n && map[i].http != http; i++)
			;
	if (i == n)
		i = 5; /* INTERNAL */
	memset(e, 0, sizeof(*e));
	e->http = map[i].http;
	e->status = map[i].status;
	e->code = map[i].code;
	e->retry_after = -1;
	snprintf(e->message, sizeof(e->message), "%s", map[i].message);
}

/*
 * Copy src into dst (size bytes) as valid UTF-8: each byte that starts no
 * valid character becomes '?'.  Messages quote the request, and a precision
 * ("%.64s") may cut a character in two, or a path hold any bytes at all.
 */
static void utf8_scrub(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src), i = 0, o = 0;

	while (i < len && o + 1 < size) {
		size_t n = 1;

		while (n <= 4 && i + n <= len && util_utf8_valid(src + i, n) < 0)
			n++;
		if (n > 4 || i + n > len || o + n >= size) {
			dst[o++] = '?';
			i++;
			continue;
		}
		memcpy(dst + o, src + i, n);
		o += n;
		i += n;
	}
	dst[o] = '\0';
}

char *fcm_error_body(const struct fcm_error *e)
{
	json_t *details = json_array(), *root;
	char message[sizeof(e->message)], field[sizeof(e->field)];
	char *text;

	if (!details)
		return NULL;
	utf8_scrub(message, e->message, sizeof(message));
	utf8_scrub(field, e->field, sizeof(field));
	if (e->code)
		json_array_append_new(details, json_pack("{s:s, s:s}", "@type", FCM_ERROR_TYPE,
							 "errorCode", e->code));
	if (e->field[0] || (e->http == 400 && !e->code))
		json_array_append_new(details,
				      json_pack("{s:s, s:[{s:s, s:s}]}", "@type",
						"type.googleapis.com/google.rpc.BadRequest",
						"fieldViolations", "field", field, "description",
						message));
	if (e->code && strcmp(e->code, "QUOTA_EXCEEDED") == 0)
		json_array_append_new(details,
				      json_pack("{s:s, s:[{s:s, s:s}]}", "@type",
						"type.googleapis.com/google.rpc.QuotaFailure",
						"violations", "subject", "messages", "description",
						message));
	root = json_pack("{s:{s:i, s:s, s:s, s:o}}", "error", "code", e->http, "message", message,
			 "status", e->status, "details", details);
	if (!root)
		return NULL;
	if (json_array_size(details) == 0)
		json_object_del(json_object_get(root, "error"), "details");
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return text;
}

/* ---- OAuth2 ---------------------------------------------------------------- */

static int oauth_fail(struct fcm_oauth_error *e, int http, const char *error, const char *desc)
{
	e->http = http;
	e->error = error;
	e->description = desc;
	return -1;
}

static int scope_ok(const char *scope)
{
	const char *p = scope;

	/* Space-separated; one of them must allow sending. */
	while (p && *p) {
		size_t n = strcspn(p, " ");

		if ((n == strlen(SCOPE_FCM) && strncmp(p, SCOPE_FCM, n) == 0) ||
		    (n == strlen(SCOPE_CLOUD) && strncmp(p, SCOPE_CLOUD, n) == 0))
			return 1;
		p += n;
		p += strspn(p, " ");
	}
	return 0;
}

int fcm_check_assertion(const struct emu_config *cfg, const char *assertion,
			const char *const *auds, int64_t now, struct fcm_oauth_error *e)
{
	const char *why, *iss, *aud, *scope, *kid;
	long long iat, exp;
	struct jwt jwt;
	int rc = -1, aud_ok = 0;

	if (!assertion || jwt_parse(assertion, strlen(assertion), &jwt, &why) != 0)
		return oauth_fail(e, 400, "invalid_grant", "Invalid JWT Signature.");
	kid = jwt_claim_str(jwt.header, "kid");
	iss = jwt_claim_str(jwt.claims, "iss");
	aud = jwt_claim_str(jwt.claims, "aud");
	scope = jwt_claim_str(jwt.claims, "scope");
	if (!iss || strcmp(iss, cfg->fcm_client_email) != 0) {
		oauth_fail(e, 401, "invalid_client", "The OAuth client was not found.");
		goto out;
	}
	if ((kid && strcmp(kid, cfg->fcm_key_id) != 0) ||
	    jwt_verify_rs256(&jwt, cfg->fcm_key) != 0) {
		oauth_fail(e, 400, "invalid_grant", "Invalid JWT Signature.");
		goto out;
	}
	for (size_t i = 0; aud && auds[i]; i++)
		aud_ok |= strcmp(aud, auds[i]) == 0;
	if (!aud_ok) {
		oauth_fail(
			e, 400, "invalid_grant",
			"Invalid JWT: Failed audience check. The audience must be the token_uri of the service account.");
		goto out;
	}
	if (jwt_claim_int(jwt.claims, "iat", &iat) != 0 ||
	    jwt_claim_int(jwt.claims, "exp", &exp) != 0 || exp <= iat || exp - iat > 3600 ||
	    iat > now + FCM_ASSERTION_SKEW || exp < now - FCM_ASSERTION_SKEW) {
		oauth_fail(
			e, 400, "invalid_grant",
			"Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.");
		goto out;
	}
	if (!scope || !scope_ok(scope)) {
		oauth_fail(e, 400, "invalid_scope",
			   "Invalid OAuth scope or ID token audience provided.");
		goto out;
	}
	rc = 0;
out:
	jwt_clear(&jwt);
	return rc;
}

/* ---- the server ------------------------------------------------------------- */

static void respond_json(struct h2_req *req, int status, const char *body, int retry_after,
			 unsigned delay_ms)
{
	struct h2_out_header hdrs[2] = {{"content-type", "application/json; charset=UTF-8"}};
	char retry[16];
	size_t n = 1;

	if (retry_after >= 0) {
		snprintf(retry, sizeof(retry), "%d", retry_after);
		hdrs[n++] = (struct h2_out_header){"retry-after", retry};
	}
	h2_respond(req, status, hdrs, n, body, body ? strlen(body) : 0, delay_ms);
}

static void respond_error(struct fcm_server *srv, struct h2_req *req, enum emu_provider p,
			  const char *token, const struct fcm_error *e, unsigned delay_ms)
{
	char *body = fcm_error_body(e);

	state_record(srv->st, p, token, req, e->http, e->code ? e->code : e->status);
	respond_json(req, e->http, body ? body : "{}", e->retry_after, delay_ms);
	free(body);
}

static void prune_tokens(struct fcm_server *srv)
{
	int64_t now = util_mono_ms();
	const char *key;
	json_t *v;
	void *tmp;

	json_object_foreach_safe (srv->tokens, tmp, key, v)
		if (json_integer_value(v) <= now)
			json_object_del(srv->tokens, key);
	if (json_object_size(srv->tokens) >= FCM_MAX_ACCESS_TOKENS)
		json_object_clear(srv->tokens); /* still full: holders simply ask again */
}

static void handle_token(struct fcm_server *srv, struct h2_req *req)
{
	const char *auds[] = {srv->cfg->fcm_token_uri, srv->aud_ip, srv->aud_host, NULL};
	struct fcm_oauth_error e = {0};
	struct evkeyvalq form = {0};
	const char *grant, *assertion;
	unsigned char rnd[48];
	char *tok = NULL, *body = NULL, access[80];
	json_t *answer = NULL;

	TAILQ_INIT(&form);
	if (evhttp_parse_query_str(req->body, &form) != 0) {
		oauth_fail(&e, 400, "invalid_request", "The request body is not form-encoded.");
		goto fail;
	}
	grant = evhttp_find_header(&form, "grant_type");
	assertion = evhttp_find_header(&form, "assertion");
	if (!grant) {
		oauth_fail(&e, 400, "invalid_request", "Missing required parameter: grant_type");
		goto fail;
	}
	if (strcmp(grant, GRANT_JWT_BEARER) != 0) {
		oauth_fail(&e, 400, "unsupported_grant_type", "Invalid grant_type");
		goto fail;
	}
	if (fcm_check_assertion(srv->cfg, assertion, auds, util_now_ms() / 1000, &e) != 0)
		goto fail;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1 || !(tok = jwt_b64url_encode(rnd, sizeof(rnd)))) {
		oauth_fail(&e, 500, "internal_failure", "Internal failure.");
		goto fail;
	}
	snprintf(access, sizeof(access), "ya29.c.%s", tok);
	prune_tokens(srv);
	json_object_set_new(srv->tokens, access,
			    json_integer(util_mono_ms() + FCM_TOKEN_LIFETIME * 1000LL));
	answer = json_pack("{s:s, s:i, s:s}", "access_token", access, "expires_in",
			   FCM_TOKEN_LIFETIME, "token_type", "Bearer");
	body = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
	state_record(srv->st, EMU_OAUTH, NULL, req, 200, NULL);
	respond_json(req, body ? 200 : 500, body ? body : "{}", -1, 0);
	goto out;
fail:
	answer = json_pack("{s:s, s:s}", "error", e.error, "error_description", e.description);
	body = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
	state_record(srv->st, EMU_OAUTH, NULL, req, e.http, e.error);
	respond_json(req, e.http, body ? body : "{}", -1, 0);
out:
	evhttp_clear_headers(&form);
	json_decref(answer);
	free(body);
	free(tok);
}

/* The project in "/v1/projects/{p}/messages:send" into out; -1 if the path is something else. */
static int send_path_project(const char *path, char *out, size_t outlen)
{
	static const char prefix[] = "/v1/projects/", suffix[] = "/messages:send";
	const char *p, *end;

	if (!path || strncmp(path, prefix, sizeof(prefix) - 1) != 0)
		return -1;
	p = path + sizeof(prefix) - 1;
	end = strchr(p, '/');
	if (!end || end == p || strcmp(end, suffix) != 0 || (size_t)(end - p) >= outlen)
		return -1;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return 0;
}

static void handle_send(struct fcm_server *srv, struct h2_req *req, const char *project)
{
	const char *auth = h2_req_header(req, "authorization", NULL), *token = NULL;
	struct fcm_error e = {.retry_after = -1};
	struct emu_rule rule;
	json_t *body = NULL, *tok, *answer;
	json_error_t jerr;
	char name[256], *text;
	unsigned char rnd[8];
	int validate_only;

	if (!auth || strncasecmp(auth, "bearer ", 7) != 0) {
		e = (struct fcm_error){401, "UNAUTHENTICATED", MSG_NO_CREDS, NULL, "", -1};
		goto fail;
	}
	tok = json_object_get(srv->tokens, auth + 7);
	if (!tok || json_integer_value(tok) <= util_mono_ms()) {
		e = (struct fcm_error){401, "UNAUTHENTICATED", MSG_BAD_CREDS, NULL, "", -1};
		goto fail;
	}
	if (strcmp(project, srv->cfg->fcm_project) != 0) {
		e = (struct fcm_error){403, "PERMISSION_DENIED", "", NULL, "", -1};
		snprintf(
			e.message, sizeof(e.message),
			"Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/%.128s' (or it may not exist).",
			project);
		goto fail;
	}
	if (req->body_total > req->body_len) {
		invalid(&e, "", NULL, "Request payload size exceeds the limit: %d bytes.",
			FCM_MAX_BODY);
		goto fail;
	}
	body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!body) {
		invalid(&e, "", NULL, "Invalid JSON payload received. %.200s", jerr.text);
		goto fail;
	}
	if (fcm_check_send(body, &token, &validate_only, &e) != 0)
		goto fail;
	if (token && state_rule(srv->st, EMU_FCM, token, &rule)) {
		if (rule.status >= 300 || rule.reason[0]) {
			fcm_error_from_code(&e, rule.reason[0] ? rule.reason : NULL, rule.status);
			e.retry_after = rule.retry_after;
			respond_error(srv, req, EMU_FCM, token, &e, rule.delay_ms);
			json_decref(body);
			return;
		}
	} else {
		rule.delay_ms = 0;
	}
	if (validate_only) {
		snprintf(name, sizeof(name), "projects/%s/messages/fake_message_id", project);
	} else {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			memset(rnd, 0, sizeof(rnd));
		snprintf(name, sizeof(name),
			 "projects/%s/messages/0:%lld%%%02x%02x%02x%02x%02x%02x%02x%02x", project,
			 (long long)util_now_ms() * 1000, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
			 rnd[5], rnd[6], rnd[7]);
	}
	answer = json_pack("{s:s}", "name", name);
	text = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
	state_record(srv->st, EMU_FCM, token, req, 200, NULL);
	respond_json(req, text ? 200 : 500, text ? text : "{}", -1, rule.delay_ms);
	free(text);
	json_decref(answer);
	json_decref(body);
	return;
fail:
	respond_error(srv, req, EMU_FCM, token, &e, 0); /* token is borrowed from body */
	json_decref(body);
}

/* ---- legacy HTTP API (/fcm/send, providers.md §2.6) --------------------------- */

int fcm_legacy_auth(const struct emu_config *cfg, const char *authorization)
{
	return cfg->fcm_server_key[0] && authorization &&
	       strncasecmp(authorization, "key=", 4) == 0 &&
	       strcmp(authorization + 4, cfg->fcm_server_key) == 0;
}

int fcm_legacy_check(const json_t *body, json_t **targets, const char **msg_error, char *why,
		     size_t whylen)
{
	static const char *const known[] = {"to",
					    "registration_ids",
					    "condition",
					    "notification_key",
					    "collapse_key",
					    "priority",
					    "content_available",
					    "mutable_content",
					    "delay_while_idle",
					    "time_to_live",
					    "restricted_package_name",
					    "dry_run",
					    "data",
					    "notification",
					    NULL};
	const json_t *to, *ids, *cond, *v, *data, *notif;
	const char *key;
	size_t i, bytes = 0;
	json_t *x;

	*targets = NULL;
	*msg_error = NULL;
	if (!json_is_object(body)) {
		snprintf(why, whylen, "JSON_PARSING_ERROR: the request is not a JSON object");
		return 400;
	}
	json_object_foreach ((json_t *)body, key, x) {
		for (i = 0; known[i] && strcmp(known[i], key) != 0; i++)
			;
		if (!known[i]) {
			snprintf(why, whylen, "Unknown field \"%.64s\"", key);
			return 400;
		}
	}
	to = json_object_get(body, "to");
	ids = json_object_get(body, "registration_ids");
	cond = json_object_get(body, "condition");
	if ((to && !json_is_string(to)) || (cond && !json_is_string(cond)) ||
	    (ids && !json_is_array(ids))) {
		snprintf(why, whylen, "Field \"%s\" has the wrong type",
			 to && !json_is_string(to)	 ? "to"
			 : cond && !json_is_string(cond) ? "condition"
							 : "registration_ids");
		return 400;
	}
	if (ids) {
		if (json_array_size(ids) > FCM_LEGACY_MAX_IDS) {
			snprintf(why, whylen,
				 "Number of messages on bulk (%zu) exceeds maximum allowed (%d)",
				 json_array_size(ids), FCM_LEGACY_MAX_IDS);
			return 400;
		}
		json_array_foreach (ids, i, x)
			if (!json_is_string(x)) {
				snprintf(why, whylen, "registration_ids[%zu] is not a string", i);
				return 400;
			}
	}
	if (!!to + !!ids + !!cond > 1) {
		snprintf(why, whylen,
			 "Only one of \"to\", \"registration_ids\" and \"condition\" may be given");
		return 400;
	}
	if (to && strncmp(json_string_value(to), "/topics/", 8) != 0) {
		*targets = json_array();
		if (*targets)
			json_array_append(*targets, (json_t *)to);
	} else if (ids) {
		*targets = json_copy((json_t *)ids);
	}
	if (!to && !cond && json_array_size(ids) == 0) {
		/* One result, as GCM answered a request with no target. */
		json_decref(*targets);
		*targets = json_pack("[s]", "");
		*msg_error = "MissingRegistration";
	}
	if (((to && strncmp(json_string_value(to), "/topics/", 8) != 0) || ids || (!to && !cond)) &&
	    !*targets) {
		snprintf(why, whylen, "out of memory");
		return 500;
	}
	if (*msg_error)
		return 0;
	if (to && strncmp(json_string_value(to), "/topics/", 8) == 0 &&
	    !topic_valid(json_string_value(to) + 8)) {
		*msg_error = "InvalidParameters";
		return 0;
	}
	v = json_object_get(body, "priority");
	if (v && (!json_is_string(v) || (strcmp(json_string_value(v), "normal") != 0 &&
					 strcmp(json_string_value(v), "high") != 0))) {
		*msg_error = "InvalidParameters";
		return 0;
	}
	v = json_object_get(body, "time_to_live");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 0 ||
		  json_integer_value(v) > FCM_MAX_TTL)) {
		*msg_error = "InvalidTtl";
		return 0;
	}
	data = json_object_get(body, "data");
	notif = json_object_get(body, "notification");
	if ((data && !json_is_object(data)) || (notif && !json_is_object(notif))) {
		*msg_error = "InvalidParameters";
		return 0;
	}
	json_object_foreach ((json_t *)data, key, x) {
		if (data_key_reserved(key) || strcmp(key, "collapse_key") == 0) {
			*msg_error = "InvalidDataKey";
			return 0;
		}
		bytes += strlen(key) + (json_is_string(x) ? json_string_length(x) : 16);
	}
	json_object_foreach ((json_t *)notif, key, x)
		bytes += strlen(key) + (json_is_string(x) ? json_string_length(x) : 16);
	if (bytes > FCM_MAX_PAYLOAD)
		*msg_error = "MessageTooBig";
	return 0;
}

/* A rule's outcome as a legacy per-result error string (NULL: success). */
static const char *legacy_rule_error(const struct emu_rule *rule)
{
	static const struct {
		const char *v1, *legacy;
	} map[] = {
		{"UNREGISTERED", "NotRegistered"},
		{"INVALID_ARGUMENT", "InvalidRegistration"},
		{"SENDER_ID_MISMATCH", "MismatchSenderId"},
		{"QUOTA_EXCEEDED", "DeviceMessageRateExceeded"},
		{"UNAVAILABLE", "Unavailable"},
		{"INTERNAL", "InternalServerError"},
		{"THIRD_PARTY_AUTH_ERROR", "InvalidApnsCredential"},
	};

	if (rule->reason[0]) {
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (strcmp(map[i].v1, rule->reason) == 0)
				return map[i].legacy;
		return rule->reason; /* already a legacy string */
	}
	switch (rule->status) {
	case 0:
	case 200:
		return NULL;
	case 400:
		return "InvalidRegistration";
	case 403:
		return "MismatchSenderId";
	case 404:
	case 410:
		return "NotRegistered";
	case 429:
		return "DeviceMessageRateExceeded";
	case 503:
		return "Unavailable";
	default:
		return "InternalServerError";
	}
}

static void legacy_message_id(char *out, size_t outlen)
{
	unsigned char rnd[8];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	snprintf(out, outlen, "0:%lld%%%02x%02x%02x%02x%02x%02x%02x%02x",
		 (long long)util_now_ms() * 1000, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
		 rnd[6], rnd[7]);
}

static void legacy_plain(struct fcm_server *srv, struct h2_req *req, int status, const char *ctype,
			 const char *text, const char *reason)
{
	struct h2_out_header h = {"content-type", ctype};

	state_record(srv->st, EMU_FCM_LEGACY, NULL, req, status, reason);
	h2_respond(req, status, &h, 1, text, strlen(text), 0);
}

static void handle_legacy(struct fcm_server *srv, struct h2_req *req)
{
	static const char unauthorized[] =
		"<HTML>\n<HEAD>\n<TITLE>Unauthorized</TITLE>\n</HEAD>\n<BODY BGCOLOR=\"#FFFFFF\" TEXT=\"#000000\">\n<H1>Unauthorized</H1>\n<H2>Error 401</H2>\n</BODY>\n</HTML>\n";
	const char *ctype = h2_req_header(req, "content-type", NULL), *msg_error;
	json_t *body = NULL, *targets = NULL, *results = NULL, *answer = NULL, *tok;
	long long multicast;
	unsigned char rnd[6];
	json_error_t jerr;
	char why[256], mid[64], *text = NULL;
	unsigned delay = 0;
	int status, success = 0, failure = 0, canonical = 0, http = 200, retry_after = -1;
	size_t i;

	if (!fcm_legacy_auth(srv->cfg, h2_req_header(req, "authorization", NULL))) {
		legacy_plain(srv, req, 401, "text/html; charset=UTF-8", unauthorized,
			     "Unauthorized");
		return;
	}
	if (!ctype || strncasecmp(ctype, "application/json", 16) != 0) {
		/* The plain-text (form) variant of the legacy API is not emulated. */
		legacy_plain(srv, req, 400, "text/plain; charset=UTF-8",
			     "Content-Type must be application/json\n", "BadContentType");
		return;
	}
	if (req->body_total > req->body_len ||
	    !(body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr))) {
		snprintf(why, sizeof(why), "JSON_PARSING_ERROR: %.200s\n",
			 req->body_total > req->body_len ? "request too large" : jerr.text);
		legacy_plain(srv, req, 400, "text/plain; charset=UTF-8", why, "JSON_PARSING_ERROR");
		return;
	}
	status = fcm_legacy_check(body, &targets, &msg_error, why, sizeof(why));
	if (status != 0) {
		strncat(why, "\n", sizeof(why) - strlen(why) - 1);
		legacy_plain(srv, req, status, "text/plain; charset=UTF-8", why, "InvalidRequest");
		goto out;
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	multicast = ((long long)rnd[0] << 40 | (long long)rnd[1] << 32 | (long long)rnd[2] << 24 |
		     rnd[3] << 16 | rnd[4] << 8 | rnd[5]) &
		    0x7fffffffffffLL;
	if (!targets) { /* a topic or condition */
		legacy_message_id(mid, sizeof(mid));
		answer = msg_error ? json_pack("{s:s}", "error", msg_error)
				   : json_pack("{s:I}", "message_id", (json_int_t)(multicast + 1));
		state_record(srv->st, EMU_FCM_LEGACY, NULL, req, 200, msg_error);
		goto answer;
	}
	results = json_array();
	json_array_foreach (targets, i, tok) {
		const char *t = json_string_value(tok), *err = msg_error;
		struct emu_rule rule = {.retry_after = -1};
		json_t *r;

		if (!err && !token_valid(t))
			err = "InvalidRegistration";
		if (!err && state_rule(srv->st, EMU_FCM, t, &rule)) {
			err = legacy_rule_error(&rule);
			if (rule.delay_ms > delay)
				delay = rule.delay_ms;
			/* A one-token request with a 5xx rule fails as a whole, as GCM did. */
			if (json_array_size(targets) == 1 && rule.status >= 500) {
				http = rule.status;
				retry_after = rule.retry_after;
			}
		}
		if (err) {
			r = json_pack("{s:s}", "error", err);
			failure++;
		} else {
			legacy_message_id(mid, sizeof(mid));
			r = json_pack("{s:s}", "message_id", mid);
			success++;
			if (rule.canonical[0]) {
				json_object_set_new(r, "registration_id",
						    json_string(rule.canonical));
				canonical++;
			}
		}
		json_array_append_new(results, r);
		state_record(srv->st, EMU_FCM_LEGACY, t, req, http, err);
	}
	answer = json_pack("{s:I, s:i, s:i, s:i, s:O}", "multicast_id", (json_int_t)multicast,
			   "success", success, "failure", failure, "canonical_ids", canonical,
			   "results", results);
answer:
	if (http != 200) {
		char retry[16];
		struct h2_out_header h[2] = {{"content-type", "text/html; charset=UTF-8"}};
		size_t n = 1;

		if (retry_after >= 0) {
			snprintf(retry, sizeof(retry), "%d", retry_after);
			h[n++] = (struct h2_out_header){"retry-after", retry};
		}
		snprintf(why, sizeof(why), "<HTML><BODY><H1>Error %d</H1></BODY></HTML>\n", http);
		h2_respond(req, http, h, n, why, strlen(why), delay);
		goto out;
	}
	text = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
	respond_json(req, text ? 200 : 500, text ? text : "{}", -1, delay);
out:
	free(text);
	json_decref(answer);
	json_decref(results);
	json_decref(targets);
	json_decref(body);
}

static void on_request(struct h2_req *req, void *arg)
{
	struct fcm_server *srv = arg;
	const char *method = h2_req_header(req, ":method", NULL);
	const char *path = h2_req_header(req, ":path", NULL);
	struct fcm_error e = {404, "NOT_FOUND", "", NULL, "", -1};
	char project[128];

	if (method && strcmp(method, "POST") == 0 && path && strcmp(path, "/token") == 0) {
		handle_token(srv, req);
		return;
	}
	if (method && strcmp(method, "POST") == 0 && path &&
	    (strcmp(path, "/fcm/send") == 0 || strcmp(path, "/gcm/send") == 0)) {
		handle_legacy(srv, req);
		return;
	}
	if (method && strcmp(method, "POST") == 0 &&
	    send_path_project(path, project, sizeof(project)) == 0) {
		handle_send(srv, req, project);
		return;
	}
	snprintf(e.message, sizeof(e.message),
		 "The requested URL %.200s was not found on this server.", path ? path : "");
	respond_error(srv, req, EMU_FCM, NULL, &e, 0);
}

struct fcm_server *fcm_server_new(struct event_base *base, const struct emu_config *cfg,
				  struct emu_state *st, int port, char *err, size_t errlen)
{
	struct fcm_server *srv = calloc(1, sizeof(*srv));
	struct h2_server_opts opts = {
		.max_streams = 100,
		.max_body = FCM_MAX_BODY,
		.on_request = on_request,
		.http1 = 1, /* fcm.googleapis.com speaks HTTP/1.1 and HTTP/2 */
		.faults_st = st,
		.faults_provider = EMU_FCM,
	};

	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->cfg = cfg;
	srv->st = st;
	srv->tokens = json_object();
	if (!srv->tokens) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	opts.cert_file = cfg->cert_file;
	opts.key_file = cfg->key_file;
	opts.arg = srv;
	srv->h2 = h2_server_new(base, port, &opts, err, errlen);
	if (!srv->h2)
		goto fail;
	snprintf(srv->aud_ip, sizeof(srv->aud_ip), "https://127.0.0.1:%d/token",
		 h2_server_port(srv->h2));
	snprintf(srv->aud_host, sizeof(srv->aud_host), "https://localhost:%d/token",
		 h2_server_port(srv->h2));
	return srv;
fail:
	fcm_server_free(srv);
	return NULL;
}

int fcm_server_port(const struct fcm_server *srv)
{
	return h2_server_port(srv->h2);
}

void fcm_server_revoke_tokens(struct fcm_server *srv)
{
	json_object_clear(srv->tokens);
}

void fcm_server_free(struct fcm_server *srv)
{
	if (!srv)
		return;
	h2_server_free(srv->h2);
	json_decref(srv->tokens);
	free(srv);
}
