/*
 * One APNs request built from a notification (providers.md §1.2):
 *   apns-push-type  the AWS.SNS.MOBILE.APNS.PUSH_TYPE attribute, else
 *                   inferred as SNS does: "background" when aps holds
 *                   content-available 1 (or true) and none of alert, badge,
 *                   sound; "alert" otherwise;
 *   apns-priority   the attribute; a background push is always sent at 5
 *                   (Apple refuses 10 for it), absent otherwise;
 *   apns-topic      the attribute, else the bundle id with the suffix the
 *                   push type needs (voip: ".voip", ...);
 *   apns-expiration the TTL: 0 for a TTL of 0, else the message's expiry in
 *                   Unix seconds; absent when no TTL applies (ttl_s -1), so
 *                   APNs's own storage policy holds;
 *   apns-collapse-id, and apns-id when the message id is a UUID.
 * The body: the payload when it is a JSON object, else SNS's wrapping of a
 * text as {"aps":{"alert":TEXT}}.  Payloads over 4096 bytes (5120 for voip)
 * are refused here: Apple would answer PayloadTooLarge.
 */
#include "config.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/apns/apns.h"

static const struct {
	const char *type, *suffix;
} topic_suffixes[] = {
	{"voip", ".voip"},
	{"complication", ".complication"},
	{"fileprovider", ".pushkit.fileprovider"},
	{"location", ".location-query"},
	{"liveactivity", ".push-type.liveactivity"},
	{"pushtotalk", ".voip-ptt"},
	{"widgets", ".push-type.widgets"},
	{"controls", ".push-type.controls"},
};

static bool is_uuid(const char *s)
{
	if (!s || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

/* SNS's inference: background only for a content-available push that shows nothing. */
static const char *infer_push_type(json_t *root)
{
	json_t *aps = json_object_get(root, "aps");
	json_t *ca = json_object_get(aps, "content-available");
	bool available = (json_is_integer(ca) && json_integer_value(ca) == 1) || json_is_true(ca);

	if (available && !json_object_get(aps, "alert") && !json_object_get(aps, "badge") &&
	    !json_object_get(aps, "sound"))
		return "background";
	return "alert";
}

int apns_msg_build(const struct apns_conf *c, const struct herald_notification *n, time_t now,
		   struct apns_msg *m, char *why, size_t why_size)
{
	json_t *root = NULL;
	const char *type = n->push_type;
	size_t limit, tlen = strlen(n->token);
	int rc = -1;

	memset(m, 0, sizeof(*m));
	/* the token goes into the path: hex only (validate_token's rule, checked again) */
	if (tlen == 0 || tlen > APNS_TOKEN_MAX ||
	    strspn(n->token, "0123456789abcdefABCDEF") != tlen) {
		snprintf(why, why_size, "the device token is not 1 to %d hex digits",
			 APNS_TOKEN_MAX);
		return -2;
	}
	memcpy(m->path_token, n->token, tlen + 1);
	if (n->payload_len == 0) {
		snprintf(why, why_size, "the payload is empty (APNs: PayloadEmpty)");
		return -1;
	}
	root = json_loadb((const char *)n->payload, n->payload_len, 0, NULL);
	if (json_is_object(root)) {
		m->body = malloc(n->payload_len);
		if (!m->body)
			goto nomem;
		memcpy(m->body, n->payload, n->payload_len);
		m->body_len = n->payload_len;
	} else {
		json_decref(root);
		root = json_pack("{s:{s:s%}}", "aps", "alert", (const char *)n->payload,
				 n->payload_len);
		char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;

		if (!text) {
			snprintf(why, why_size, "the payload is neither JSON nor UTF-8 text");
			goto out;
		}
		m->body = (unsigned char *)text;
		m->body_len = strlen(text);
	}
	if (!type || !*type)
		type = infer_push_type(root);
	snprintf(m->push_type, sizeof(m->push_type), "%s", type);
	limit = !strcmp(type, "voip") ? APNS_MAX_VOIP : APNS_MAX_PAYLOAD;
	if (m->body_len > limit) {
		snprintf(why, why_size, "the payload is %zu bytes, above APNs' limit of %zu for %s",
			 m->body_len, limit, type);
		goto out;
	}
	if (!strcmp(type, "background"))
		snprintf(m->priority, sizeof(m->priority), "5");
	else if (n->priority == 10 || n->priority == 5 || n->priority == 1)
		snprintf(m->priority, sizeof(m->priority), "%d", n->priority);
	if (n->topic && *n->topic) {
		snprintf(m->topic, sizeof(m->topic), "%s", n->topic);
	} else if (c->bundle_id[0]) {
		const char *suffix = "";

		for (size_t i = 0; i < sizeof(topic_suffixes) / sizeof(topic_suffixes[0]); i++)
			if (!strcmp(type, topic_suffixes[i].type))
				suffix = topic_suffixes[i].suffix;
		snprintf(m->topic, sizeof(m->topic), "%s%s", c->bundle_id, suffix);
	}
	if (n->ttl_s == 0)
		snprintf(m->expiration, sizeof(m->expiration), "0");
	else if (n->ttl_s > 0 && n->expiration_ms >= 0)
		snprintf(m->expiration, sizeof(m->expiration), "%lld",
			 (long long)(n->expiration_ms / 1000));
	else if (n->ttl_s > 0)
		snprintf(m->expiration, sizeof(m->expiration), "%lld",
			 (long long)now + (long long)n->ttl_s);
	if (n->collapse_id && *n->collapse_id) {
		if (strlen(n->collapse_id) > APNS_MAX_COLLAPSE) {
			snprintf(why, why_size, "the collapse id is longer than %d bytes",
				 APNS_MAX_COLLAPSE);
			goto out;
		}
		snprintf(m->collapse_id, sizeof(m->collapse_id), "%s", n->collapse_id);
	}
	if (is_uuid(n->message_id)) {
		for (int i = 0; i < 36; i++)
			m->apns_id[i] = (char)tolower((unsigned char)n->message_id[i]);
		m->apns_id[36] = '\0';
	}
	rc = 0;
out:
	json_decref(root);
	if (rc)
		apns_msg_clear(m);
	return rc;
nomem:
	json_decref(root);
	apns_msg_clear(m);
	return HERALD_ENOMEM;
}

void apns_msg_clear(struct apns_msg *m)
{
	free(m->body);
	m->body = NULL;
	m->body_len = 0;
}
