/*
 * The JSON texts the delivery engine writes; see events.h.
 *
 * Application events.  reference/sns-docs/application-event-notifications.md
 * names the four events but shows no message; the shape here is the one
 * SNS publishes and consumers parse (wire-server's gundeck reads EventType,
 * EndpointArn and FailureType with these values): the keys EventType
 * ("EndpointCreated", "EndpointUpdated", "EndpointDeleted",
 * "DeliveryFailure"), EndpointArn, Resource (the application's ARN),
 * Service ("SNS"), Time (ISO 8601, UTC, milliseconds), and for a delivery
 * failure DeliveryAttempts, FailureType, FailureMessage and MessageId, in
 * SNS's (alphabetical) order.  Herald's own choice where SNS is not
 * documented: created and updated events also carry the endpoint's
 * attributes after the change (CustomUserData, Enabled, Token, as
 * GetEndpointAttributes returns them), so that a consumer can act on a
 * token without another call; the topic is the owner's, as is the token.
 *
 * Delivery status lines copy the layout of SNS's example CloudWatch records
 * (reference/sns-docs/sns-msg-status.md): status, notification {timestamp,
 * messageId}, delivery {statusCode, dwellTimeMs, token, attempts,
 * providerResponse, destination}, with the timestamp written
 * "YYYY-MM-DD hh:mm:ss.mmm" (UTC).  Unlike SNS the token is shortened (its
 * first characters and "…"), as herald logs tokens (DESIGN §7).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "broker/events.h"

/* Characters of a token kept in a status line (at most half of a short one). */
#define EVENTS_TOKEN_KEEP 8

const char *events_attr_name(enum events_kind kind)
{
	switch (kind) {
	case EVENTS_ENDPOINT_CREATED:
		return "EventEndpointCreated";
	case EVENTS_ENDPOINT_UPDATED:
		return "EventEndpointUpdated";
	case EVENTS_ENDPOINT_DELETED:
		return "EventEndpointDeleted";
	case EVENTS_DELIVERY_FAILURE:
		return "EventDeliveryFailure";
	}
	return NULL;
}

static const char *events_type(enum events_kind kind)
{
	switch (kind) {
	case EVENTS_ENDPOINT_CREATED:
		return "EndpointCreated";
	case EVENTS_ENDPOINT_UPDATED:
		return "EndpointUpdated";
	case EVENTS_ENDPOINT_DELETED:
		return "EndpointDeleted";
	case EVENTS_DELIVERY_FAILURE:
		return "DeliveryFailure";
	}
	return NULL;
}

/*
 * ms since the epoch, UTC, to the millisecond: ISO 8601 with "T" and "Z"
 * (events), or SNS's status log form "YYYY-MM-DD hh:mm:ss.mmm".
 */
static void events_time(int64_t ms, bool iso, char *out, size_t n)
{
	time_t secs = (time_t)(ms / 1000);
	int frac = (int)(ms % 1000);
	struct tm tm;

	if (frac < 0) {
		secs--;
		frac += 1000;
	}
	gmtime_r(&secs, &tm);
	snprintf(out, n, "%04d-%02d-%02d%c%02d:%02d:%02d.%03d%s", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, iso ? 'T' : ' ', tm.tm_hour, tm.tm_min, tm.tm_sec, frac,
		 iso ? "Z" : "");
}

/*
 * text as a JSON string; a provider's answer need not be UTF-8, and then
 * only its size is told.  NULL when out of memory.
 */
static json_t *events_text(const char *text)
{
	json_t *v = json_string(text);
	char desc[64];

	if (v)
		return v;
	snprintf(desc, sizeof(desc), "(%zu bytes, not UTF-8)", strlen(text));
	return json_string(desc);
}

char *events_message(enum events_kind kind, const char *app_arn, const char *endpoint_arn,
		     json_t *endpoint_attrs, const struct events_failure *failure, int64_t now_ms)
{
	static const char *const attr_names[] = {"CustomUserData", "Enabled", "Token"};
	char when[64];
	json_t *ev, *v;
	char *text = NULL;
	int bad = 0;

	events_time(now_ms, true, when, sizeof(when));
	ev = json_pack("{s:s, s:s, s:s, s:s, s:s}", "EndpointArn", endpoint_arn, "EventType",
		       events_type(kind), "Resource", app_arn, "Service", "SNS", "Time", when);
	if (!ev)
		return NULL;
	if (kind == EVENTS_DELIVERY_FAILURE && failure) {
		bad |= json_object_set_new(ev, "DeliveryAttempts",
					   json_integer((json_int_t)failure->attempts));
		bad |= json_object_set_new(
			ev, "FailureMessage",
			events_text(failure->failure_message ? failure->failure_message : ""));
		bad |= json_object_set_new(ev, "FailureType", json_string(failure->failure_type));
		bad |= json_object_set_new(ev, "MessageId", json_string(failure->message_id));
	}
	if (kind == EVENTS_ENDPOINT_CREATED || kind == EVENTS_ENDPOINT_UPDATED) {
		for (size_t i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++) {
			v = json_object_get(endpoint_attrs, attr_names[i]);
			if (json_is_string(v))
				bad |= json_object_set(ev, attr_names[i], v);
		}
	}
	if (!bad)
		text = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(ev);
	return text;
}

/* The first characters of token and "…": never the whole token, whatever its length. */
static void events_token_short(const char *token, char *out, size_t n)
{
	size_t len = token ? strlen(token) : 0;
	size_t keep = len / 2 < EVENTS_TOKEN_KEEP ? len / 2 : EVENTS_TOKEN_KEEP;

	snprintf(out, n, "%.*s\u2026", (int)keep, token ? token : "");
}

char *events_status_line(const struct events_attempt *a)
{
	char when[64], token[EVENTS_TOKEN_KEEP + 8];
	int64_t dwell = a->now_ms - a->published_ms;
	json_t *line, *delivery;
	char *text = NULL;

	events_time(a->published_ms, false, when, sizeof(when));
	events_token_short(a->token, token, sizeof(token));
	delivery = json_pack("{s:i, s:I, s:s, s:i}", "statusCode", a->status_code, "dwellTimeMs",
			     (json_int_t)(dwell > 0 ? dwell : 0), "token", token, "attempts",
			     (int)a->attempts);
	if (!delivery)
		return NULL;
	if ((a->provider_response && json_object_set_new(delivery, "providerResponse",
							 events_text(a->provider_response)) < 0) ||
	    json_object_set_new(delivery, "destination", json_string(a->endpoint_arn)) < 0) {
		json_decref(delivery);
		return NULL;
	}
	line = json_pack("{s:s, s:{s:s, s:s}, s:o}", "status", a->success ? "SUCCESS" : "FAILURE",
			 "notification", "timestamp", when, "messageId", a->message_id, "delivery",
			 delivery);
	if (line)
		text = json_dumps(line, JSON_COMPACT);
	json_decref(line);
	return text;
}
