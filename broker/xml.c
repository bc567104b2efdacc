/*
 * SNS response XML (see xml.h).  Output is built into one growing malloc'd
 * string; element order follows the result object's insertion order, which
 * is the order the operations build their output members in.  Pure
 * functions, any thread.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/xml.h"

/* Operations whose output shape is absent in the model: no <{op}Result> at all. */
static const char *const xml_no_output[] = {
	"AddPermission",
	"DeleteEndpoint",
	"DeletePlatformApplication",
	"DeleteTopic",
	"PutDataProtectionPolicy",
	"RemovePermission",
	"SetEndpointAttributes",
	"SetPlatformApplicationAttributes",
	"SetSubscriptionAttributes",
	"SetTopicAttributes",
	"Unsubscribe",
	NULL,
};

struct xml_buf {
	char *s;
	size_t len;
	bool oom;
};

static void xml_put(struct xml_buf *b, const char *s, size_t len)
{
	char *n;

	if (b->oom)
		return;
	n = realloc(b->s, b->len + len + 1);
	if (!n) {
		b->oom = true;
		return;
	}
	memcpy(n + b->len, s, len);
	b->len += len;
	n[b->len] = '\0';
	b->s = n;
}

static void xml_puts(struct xml_buf *b, const char *s)
{
	xml_put(b, s, strlen(s));
}

static void xml_printf(struct xml_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void xml_printf(struct xml_buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		b->oom = true; /* only short names and numbers are formatted */
	else
		xml_put(b, tmp, (size_t)n);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t xml_utf8_len(const unsigned char *s, size_t n)
{
	size_t need, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return need;
}

static void xml_text(struct xml_buf *b, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, start = 0, l;
	const char *rep;

	while (i < len) {
		rep = NULL;
		l = 1;
		switch (u[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		case '\r':
			/* a literal CR would be normalised away by the client's parser */
			rep = "&#xD;";
			break;
		case '\t':
		case '\n':
			break;
		default:
			if (u[i] < 0x20 || u[i] == 0x7f)
				rep = "\xef\xbf\xbd";
			else if (u[i] >= 0x80 && !(l = xml_utf8_len(u + i, len - i)))
				rep = "\xef\xbf\xbd", l = 1;
		}
		if (rep) {
			xml_put(b, s + start, i - start);
			xml_puts(b, rep);
			start = i + l;
		}
		i += l;
	}
	xml_put(b, s + start, i - start);
}

int xml_escape(char **buf, size_t *buf_len, const char *s, size_t len)
{
	struct xml_buf b = {*buf, *buf_len, false};

	xml_text(&b, s, len);
	*buf = b.s;
	*buf_len = b.len;
	return b.oom ? -1 : 0;
}

/* <name>, </name>: names are member and operation names, of any length */
static void xml_tag(struct xml_buf *b, const char *pre, const char *name, const char *post)
{
	xml_puts(b, pre);
	xml_puts(b, name);
	xml_puts(b, post);
}

static void xml_value(struct xml_buf *b, const char *name, json_t *v);

static void xml_map(struct xml_buf *b, json_t *obj)
{
	const char *k;
	json_t *v;

	json_object_foreach (obj, k, v) {
		xml_puts(b, "<entry><key>");
		xml_text(b, k, strlen(k));
		xml_puts(b, "</key>");
		xml_value(b, "value", v);
		xml_puts(b, "</entry>");
	}
}

static void xml_value(struct xml_buf *b, const char *name, json_t *v)
{
	const char *k;
	json_t *sub;
	size_t i;

	if (json_is_null(v))
		return;
	xml_tag(b, "<", name, ">");
	switch (json_typeof(v)) {
	case JSON_STRING:
		xml_text(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_TRUE:
		xml_puts(b, "true");
		break;
	case JSON_FALSE:
		xml_puts(b, "false");
		break;
	case JSON_INTEGER:
		xml_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		xml_printf(b, "%.17g", json_real_value(v));
		break;
	case JSON_ARRAY:
		json_array_foreach (v, i, sub)
			xml_value(b, "member", sub);
		break;
	case JSON_OBJECT:
		if (!strcmp(name, "Attributes") || !strcmp(name, "attributes"))
			xml_map(b, v);
		else
			json_object_foreach (v, k, sub)
				xml_value(b, k, sub);
		break;
	default:
		break;
	}
	xml_tag(b, "</", name, ">");
}

static bool xml_has_no_output(const char *op)
{
	size_t i;

	for (i = 0; xml_no_output[i]; i++)
		if (!strcmp(xml_no_output[i], op))
			return true;
	return false;
}

char *xml_response(const char *op, json_t *result, const char *request_id)
{
	struct xml_buf b = {0};
	const char *k;
	json_t *v;

	xml_tag(&b, "<", op, "Response xmlns=\"" XML_NAMESPACE "\">");
	if (!xml_has_no_output(op) || json_object_size(result)) {
		xml_tag(&b, "<", op, "Result>");
		json_object_foreach (result, k, v)
			xml_value(&b, k, v);
		xml_tag(&b, "</", op, "Result>");
	}
	xml_puts(&b, "<ResponseMetadata><RequestId>");
	xml_text(&b, request_id, strlen(request_id));
	xml_tag(&b, "</RequestId></ResponseMetadata></", op, "Response>");
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

char *xml_error(const struct op_error *err, const char *request_id)
{
	struct xml_buf b = {0};

	xml_puts(&b, "<ErrorResponse xmlns=\"" XML_NAMESPACE "\"><Error><Type>");
	xml_puts(&b, err->status >= 500 ? "Receiver" : "Sender");
	xml_puts(&b, "</Type><Code>");
	xml_text(&b, err->code, strlen(err->code));
	xml_puts(&b, "</Code><Message>");
	xml_text(&b, err->message, strlen(err->message));
	xml_puts(&b, "</Message></Error><RequestId>");
	xml_text(&b, request_id, strlen(request_id));
	xml_puts(&b, "</RequestId></ErrorResponse>");
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}
