/*
 * SNS message attributes; see msgattr.h.
 *
 * The checks run in the order SNS applies them (name length, name
 * characters, DataType present, DataType prefix, value field, value), so
 * that a request with several faults gets the error SNS would give.  The
 * messages are AWS's (reference/aws-recorded-errors.md); where AWS's text is
 * not known the message is ours and says what is wrong.
 *
 * The reserved AWS.SNS.MOBILE.* attributes are described once, in
 * msgattr_reserved[], and both validation and msgattr_mobile_get() read
 * them through msgattr_reserved_parse(), so the two cannot disagree.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "broker/msgattr.h"
#include "common/util.h"

#define MSGATTR_MAX_NAME 256
#define MSGATTR_MAX_TYPE 256

enum msgattr_rkind {
	MSGATTR_R_TTL,	/* whole seconds >= 0, into ttl[ttl] */
	MSGATTR_R_INT,	/* one of values, into an int */
	MSGATTR_R_ENUM, /* one of values, into a string */
	MSGATTR_R_BOOL, /* true or false, into an int */
	MSGATTR_R_TEXT, /* printable text of at most max bytes, into a string */
};

struct msgattr_reserved {
	const char *name;
	enum msgattr_rkind kind;
	size_t off;		   /* of the field in struct msgattr_mobile */
	const char *const *values; /* R_INT, R_ENUM; NULL-terminated */
	bool icase;		   /* R_ENUM: compare ignoring case */
	size_t max;		   /* R_TEXT */
};

static const char *const msgattr_apns_priorities[] = {"10", "5", "1", NULL};
/* Apple's apns-push-type values (reference/providers.md, APNs). */
static const char *const msgattr_apns_push_types[] = {
	"alert", "background",	 "location",   "voip",	  "complication", "fileprovider",
	"mdm",	 "liveactivity", "pushtotalk", "widgets", "controls",	  NULL};
static const char *const msgattr_auth_methods[] = {"token", "certificate", NULL};
static const char *const msgattr_baidu_deploy[] = {"1", "2", NULL};
static const char *const msgattr_baidu_msg_types[] = {"0", "1", NULL};
static const char *const msgattr_mpns_types[] = {"token", "toast", "raw", NULL};
static const char *const msgattr_mpns_classes[] = {"realtime", "priority", "regular", NULL};
static const char *const msgattr_wns_cache[] = {"cache", "no-cache", NULL};
static const char *const msgattr_wns_types[] = {"wns/toast", "wns/tile", "wns/badge", "wns/raw",
						NULL};

#define TTL(svc)                                                     \
	{                                                            \
		"AWS.SNS.MOBILE." #svc ".TTL", MSGATTR_R_TTL,        \
			offsetof(struct msgattr_mobile, ttl) +       \
				MSGATTR_TTL_##svc * sizeof(int64_t), \
			NULL, false, 0                               \
	}
#define FIELD(name, kind, field, values, icase, max)                                          \
	{                                                                                     \
		"AWS.SNS.MOBILE." name, kind, offsetof(struct msgattr_mobile, field), values, \
			icase, max                                                            \
	}

static const struct msgattr_reserved msgattr_reserved[] = {
	TTL(ADM),
	TTL(APNS),
	TTL(APNS_SANDBOX),
	TTL(APNS_VOIP),
	TTL(APNS_VOIP_SANDBOX),
	TTL(APNS_MDM),
	TTL(APNS_MDM_SANDBOX),
	TTL(APNS_PASSBOOK),
	TTL(APNS_PASSBOOK_SANDBOX),
	TTL(MACOS),
	TTL(MACOS_SANDBOX),
	TTL(BAIDU),
	TTL(FCM),
	TTL(GCM),
	TTL(MPNS),
	TTL(WNS),
	FIELD("APNS.PRIORITY", MSGATTR_R_INT, apns_priority, msgattr_apns_priorities, false, 0),
	FIELD("APNS.PUSH_TYPE", MSGATTR_R_ENUM, apns_push_type, msgattr_apns_push_types, false, 0),
	/* A bundle ID plus the longest push-type suffix fits easily. */
	FIELD("APNS.TOPIC", MSGATTR_R_TEXT, apns_topic, NULL, false, 255),
	/* APNs refuses a longer apns-collapse-id (BadCollapseId). */
	FIELD("APNS.COLLAPSE_ID", MSGATTR_R_TEXT, apns_collapse_id, NULL, false, 64),
	FIELD("PREFERRED_AUTHENTICATION_METHOD", MSGATTR_R_ENUM, preferred_auth,
	      msgattr_auth_methods, true, 0),
	FIELD("BAIDU.DeployStatus", MSGATTR_R_INT, baidu_deploy_status, msgattr_baidu_deploy, false,
	      0),
	FIELD("BAIDU.MessageKey", MSGATTR_R_TEXT, baidu_message_key, NULL, false, 256),
	FIELD("BAIDU.MessageType", MSGATTR_R_INT, baidu_message_type, msgattr_baidu_msg_types,
	      false, 0),
	FIELD("MPNS.Type", MSGATTR_R_ENUM, mpns_type, msgattr_mpns_types, false, 0),
	FIELD("MPNS.NotificationClass", MSGATTR_R_ENUM, mpns_notification_class,
	      msgattr_mpns_classes, false, 0),
	FIELD("WNS.CachePolicy", MSGATTR_R_ENUM, wns_cache_policy, msgattr_wns_cache, false, 0),
	/* WNS limits X-WNS-Group and X-WNS-Tag to 16 characters. */
	FIELD("WNS.Group", MSGATTR_R_TEXT, wns_group, NULL, false, 16),
	FIELD("WNS.Match", MSGATTR_R_TEXT, wns_match, NULL, false, 256),
	FIELD("WNS.SuppressPopup", MSGATTR_R_BOOL, wns_suppress_popup, NULL, false, 0),
	FIELD("WNS.Tag", MSGATTR_R_TEXT, wns_tag, NULL, false, 16),
	FIELD("WNS.Type", MSGATTR_R_ENUM, wns_type, msgattr_wns_types, false, 0),
};

#undef TTL
#undef FIELD

#define MSGATTR_NRESERVED (sizeof(msgattr_reserved) / sizeof(msgattr_reserved[0]))

static const struct msgattr_reserved *msgattr_reserved_find(const char *name)
{
	for (size_t i = 0; i < MSGATTR_NRESERVED; i++)
		if (strcmp(msgattr_reserved[i].name, name) == 0)
			return &msgattr_reserved[i];
	return NULL;
}

static int msgattr_value_invalid(struct op_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int msgattr_value_invalid(struct op_error *err, const char *fmt, ...)
{
	va_list ap;

	snprintf(err->code, sizeof(err->code), "ParameterValueInvalid");
	err->status = 400;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

/* "a, b and c" style list of the allowed values, for an error message. */
static void msgattr_list_values(const char *const *values, char *out, size_t n)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; values[i] && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%s", i ? ", " : "", values[i]);
}

/*
 * Parse the value s of reserved attribute r into m (may be NULL to only
 * check).  0, or -1 with err filled (err may be NULL).
 */
static int msgattr_reserved_parse(const struct msgattr_reserved *r, const char *s, size_t len,
				  struct msgattr_mobile *m, struct op_error *err)
{
	char *field = m ? (char *)m + r->off : NULL;
	char list[256];
	int64_t v = 0;

	switch (r->kind) {
	case MSGATTR_R_TTL:
		/* Whole seconds only, bounded so that later arithmetic cannot overflow. */
		if (len == 0 || len > 10)
			goto bad_ttl;
		for (size_t i = 0; i < len; i++) {
			if (!isdigit((unsigned char)s[i]))
				goto bad_ttl;
			v = v * 10 + (s[i] - '0');
		}
		if (v > INT32_MAX)
			goto bad_ttl;
		if (field)
			memcpy(field, &v, sizeof(v));
		return 0;
bad_ttl:
		if (err)
			msgattr_value_invalid(
				err,
				"The message attribute '%s' must be a whole number of "
				"seconds from 0 to %d.",
				r->name, INT32_MAX);
		return -1;
	case MSGATTR_R_INT:
	case MSGATTR_R_ENUM:
		for (size_t i = 0; r->values[i]; i++) {
			if (strlen(r->values[i]) != len ||
			    (r->icase ? strncasecmp(r->values[i], s, len)
				      : strncmp(r->values[i], s, len)))
				continue;
			if (field && r->kind == MSGATTR_R_INT)
				*(int *)(void *)field = atoi(r->values[i]);
			else if (field)
				*(const char **)(void *)field = s;
			return 0;
		}
		if (err) {
			msgattr_list_values(r->values, list, sizeof(list));
			msgattr_value_invalid(err, "The message attribute '%s' must be one of: %s.",
					      r->name, list);
		}
		return -1;
	case MSGATTR_R_BOOL:
		if (len == 4 && strncmp(s, "true", 4) == 0) {
			v = 1;
		} else if (len != 5 || strncmp(s, "false", 5) != 0) {
			if (err)
				msgattr_value_invalid(
					err, "The message attribute '%s' must be true or false.",
					r->name);
			return -1;
		}
		if (field)
			*(int *)(void *)field = (int)v;
		return 0;
	case MSGATTR_R_TEXT:
		if (len > r->max) {
			if (err)
				msgattr_value_invalid(
					err,
					"The message attribute '%s' must be at most %zu bytes.",
					r->name, r->max);
			return -1;
		}
		/* These become protocol header values: no control characters. */
		for (size_t i = 0; i < len; i++) {
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
				if (err)
					msgattr_value_invalid(err,
							      "The message attribute '%s' must not "
							      "contain control characters.",
							      r->name);
				return -1;
			}
		}
		if (field)
			*(const char **)(void *)field = s;
		return 0;
	}
	return -1;
}

/* Does name start with "AWS." or "Amazon.", in any case? */
static bool msgattr_reserved_prefix(const char *name)
{
	return strncasecmp(name, "AWS.", 4) == 0 || strncasecmp(name, "Amazon.", 7) == 0;
}

/* The code point of the UTF-8 sequence at s (for naming a bad character); 0xFFFD if broken. */
static uint32_t msgattr_codepoint(const unsigned char *s)
{
	uint32_t cp;
	int n;

	if (s[0] < 0x80)
		return s[0];
	if ((s[0] & 0xe0) == 0xc0) {
		cp = s[0] & 0x1f;
		n = 1;
	} else if ((s[0] & 0xf0) == 0xe0) {
		cp = s[0] & 0x0f;
		n = 2;
	} else if ((s[0] & 0xf8) == 0xf0) {
		cp = s[0] & 0x07;
		n = 3;
	} else {
		return 0xfffd;
	}
	for (int k = 1; k <= n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0xfffd;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	return cp;
}

static int msgattr_check_name(const char *name, struct op_error *err)
{
	size_t len = strlen(name);

	if (len > MSGATTR_MAX_NAME)
		return msgattr_value_invalid(
			err, "Length of message attribute name must be less than 256 bytes.");
	if (len == 0)
		return msgattr_value_invalid(err, "Message attribute name must not be empty.");
	if (name[0] == '.')
		return msgattr_value_invalid(
			err,
			"Invalid message attribute name starting with character '.' was found.");
	if (name[len - 1] == '.')
		return msgattr_value_invalid(
			err, "Invalid message attribute name ending with character '.' was found.");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!isalnum(c) && c != '_' && c != '-' && c != '.')
			return msgattr_value_invalid(
				err,
				"Invalid non-alphanumeric character '#x%" PRIX32
				"' was found in the message attribute name. Can only include "
				"alphanumeric characters, hyphens, underscores, or dots.",
				msgattr_codepoint((const unsigned char *)name + i));
		if (c == '.' && name[i - 1] == '.')
			return msgattr_value_invalid(
				err,
				"Message attribute name can not have successive '.' character.");
	}
	if (msgattr_reserved_prefix(name) && !msgattr_reserved_find(name))
		return msgattr_value_invalid(
			err,
			"The message attribute name '%s' is reserved: names starting with 'AWS.' or "
			"'Amazon.' are for Amazon SNS's own attributes.",
			name);
	return 0;
}

/* String|Number|Binary, optionally followed by '.' and a non-empty custom suffix. */
static const char *msgattr_base_type(const char *type)
{
	static const char *const bases[] = {"String", "Number", "Binary"};

	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(bases[i]);

		if (strncmp(type, bases[i], n) == 0 &&
		    (type[n] == '\0' || (type[n] == '.' && type[n + 1] != '\0')))
			return bases[i];
	}
	return NULL;
}

/* SNS's Number: a decimal integer or floating-point literal. */
static bool msgattr_is_number(const char *s)
{
	bool digits = false;

	if (*s == '+' || *s == '-')
		s++;
	while (isdigit((unsigned char)*s)) {
		s++;
		digits = true;
	}
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s)) {
			s++;
			digits = true;
		}
	}
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

/*
 * SNS takes the characters SQS does: #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD
 * #x10000-#x10FFFF.  Valid UTF-8 already excludes surrogates.
 */
static bool msgattr_string_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	if (util_utf8_valid(s, len) < 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return false;
		/* U+FFFE and U+FFFF */
		if (p[i] == 0xef && i + 2 < len && p[i + 1] == 0xbf && (p[i + 2] & 0xfe) == 0xbe)
			return false;
	}
	return true;
}

/* what: "DataType", "StringValue" or "BinaryValue", or NULL for the attribute itself. */
static int msgattr_bad_shape(struct op_error *err, const char *name, const char *what)
{
	if (what)
		op_invalid(
			err,
			"MessageAttributes Reason: %s of message attribute '%s' must be a string",
			what, name);
	else
		op_invalid(err,
			   "MessageAttributes Reason: message attribute '%s' must be a structure",
			   name);
	return -1;
}

static int msgattr_check_one(const char *name, json_t *attr, unsigned int batch_pos, size_t *size,
			     struct op_error *err)
{
	json_t *jtype, *jstr, *jbin, *jvalue;
	const struct msgattr_reserved *r;
	const char *type, *base, *field, *value;
	unsigned char *bin = NULL;
	size_t len, binlen;
	int rc = -1;

	if (msgattr_check_name(name, err) < 0)
		return -1;
	if (!json_is_object(attr))
		return msgattr_bad_shape(err, name, NULL);
	jtype = json_object_get(attr, "DataType");
	jstr = json_object_get(attr, "StringValue");
	jbin = json_object_get(attr, "BinaryValue");
	if (!jtype || json_is_null(jtype)) {
		if (batch_pos)
			op_fail(err, "ValidationError", 400,
				"1 validation error detected: Value null at "
				"'publishBatchRequestEntries.%u.member.messageAttributes.%s.member."
				"dataType' failed to satisfy constraint: Member must not be null",
				batch_pos, name);
		else
			op_fail(err, "ValidationError", 400,
				"1 validation error detected: Value null at "
				"'messageAttributes.%s.member.dataType' failed to satisfy constraint: "
				"Member must not be null",
				name);
		return -1;
	}
	if (!json_is_string(jtype))
		return msgattr_bad_shape(err, name, "DataType");
	if (jstr && json_is_null(jstr))
		jstr = NULL;
	if (jbin && json_is_null(jbin))
		jbin = NULL;
	if (jstr && !json_is_string(jstr))
		return msgattr_bad_shape(err, name, "StringValue");
	if (jbin && !json_is_string(jbin))
		return msgattr_bad_shape(err, name, "BinaryValue");

	type = json_string_value(jtype);
	if (json_string_length(jtype) > MSGATTR_MAX_TYPE)
		return msgattr_value_invalid(
			err, "Length of message attribute type must be less than 256 bytes.");
	base = msgattr_base_type(type);
	if (!base || strlen(type) != json_string_length(jtype))
		return msgattr_value_invalid(
			err,
			"The message attribute '%s' has an invalid message "
			"attribute type, the set of supported type prefixes is "
			"Binary, Number, and String.",
			name);
	if (!jstr && !jbin)
		goto empty;
	field = strcmp(base, "Binary") == 0 ? "Binary" : "String";
	jvalue = field[0] == 'B' ? jbin : jstr;
	if (!jvalue)
		return msgattr_value_invalid(
			err, "The message attribute '%s' with type '%s' must use field '%s'.", name,
			type, field);
	value = json_string_value(jvalue);
	len = json_string_length(jvalue);
	if (len == 0)
		goto empty;

	if (field[0] == 'B') {
		bin = util_base64_decode(value, len, &binlen);
		if (!bin)
			return msgattr_value_invalid(
				err,
				"The message attribute '%s' has a BinaryValue that "
				"is not valid base64.",
				name);
		if (binlen == 0)
			goto empty;
		len = binlen;
	} else {
		if (!msgattr_string_ok(value, len))
			return msgattr_value_invalid(
				err, "Invalid attribute value was passed in for message attribute");
		if (strcmp(base, "Number") == 0 &&
		    (strlen(value) != len || !msgattr_is_number(value)))
			return msgattr_value_invalid(
				err, "Could not cast message attribute '%s' value to number.",
				name);
	}

	r = msgattr_reserved_find(name);
	if (r) {
		if (field[0] == 'B') {
			msgattr_value_invalid(
				err, "The message attribute '%s' must have type String or Number.",
				name);
			goto out;
		}
		if (msgattr_reserved_parse(r, value, len, NULL, err) < 0)
			goto out;
	}
	*size += strlen(name) + json_string_length(jtype) + len;
	rc = 0;
	goto out;
empty:
	msgattr_value_invalid(err,
			      "The message attribute '%s' must contain non-empty message attribute "
			      "value for message attribute type '%s'.",
			      name, type);
out:
	free(bin);
	return rc;
}

int msgattr_validate(json_t *attrs, unsigned int batch_pos, size_t *size, struct op_error *err)
{
	const char *name;
	json_t *attr;

	if (!attrs || json_is_null(attrs))
		return 0;
	if (!json_is_object(attrs)) {
		op_invalid(err, "MessageAttributes Reason: must be a map");
		return -1;
	}
	json_object_foreach (attrs, name, attr) {
		if (msgattr_check_one(name, attr, batch_pos, size, err) < 0)
			return -1;
	}
	return 0;
}

int msgattr_mobile_get(json_t *attrs, struct msgattr_mobile *out)
{
	const char *name;
	json_t *attr, *jv;
	int rc = 0;

	*out = (struct msgattr_mobile){
		.apns_priority = -1,
		.baidu_deploy_status = -1,
		.baidu_message_type = -1,
		.wns_suppress_popup = -1,
	};
	for (size_t i = 0; i < MSGATTR_TTL_COUNT; i++)
		out->ttl[i] = -1;
	if (!json_is_object(attrs))
		return 0;
	json_object_foreach (attrs, name, attr) {
		const struct msgattr_reserved *r = msgattr_reserved_find(name);

		if (!r)
			continue;
		jv = json_object_get(attr, "StringValue");
		if (!json_is_string(jv) ||
		    msgattr_reserved_parse(r, json_string_value(jv), json_string_length(jv), out,
					   NULL) < 0)
			rc = -1;
	}
	return rc;
}

int64_t msgattr_mobile_ttl(const struct msgattr_mobile *m, const char *platform)
{
	static const struct {
		const char *platform;
		enum msgattr_ttl_service svc;
	} map[] = {
		{"ADM", MSGATTR_TTL_ADM},
		{"APNS", MSGATTR_TTL_APNS},
		{"APNS_SANDBOX", MSGATTR_TTL_APNS_SANDBOX},
		{"APNS_VOIP", MSGATTR_TTL_APNS_VOIP},
		{"APNS_VOIP_SANDBOX", MSGATTR_TTL_APNS_VOIP_SANDBOX},
		{"APNS_MDM", MSGATTR_TTL_APNS_MDM},
		{"APNS_MDM_SANDBOX", MSGATTR_TTL_APNS_MDM_SANDBOX},
		{"APNS_PASSBOOK", MSGATTR_TTL_APNS_PASSBOOK},
		{"APNS_PASSBOOK_SANDBOX", MSGATTR_TTL_APNS_PASSBOOK_SANDBOX},
		{"MACOS", MSGATTR_TTL_MACOS},
		{"MACOS_SANDBOX", MSGATTR_TTL_MACOS_SANDBOX},
		{"BAIDU", MSGATTR_TTL_BAIDU},
		{"MPNS", MSGATTR_TTL_MPNS},
		{"WNS", MSGATTR_TTL_WNS},
	};

	if (strcmp(platform, "GCM") == 0 || strcmp(platform, "FCM") == 0)
		return m->ttl[MSGATTR_TTL_FCM] >= 0 ? m->ttl[MSGATTR_TTL_FCM]
						    : m->ttl[MSGATTR_TTL_GCM];
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].platform, platform) == 0)
			return m->ttl[map[i].svc];
	return -1;
}
