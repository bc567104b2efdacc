/*
 * The JSON texts the delivery engine writes: the application event messages
 * SNS publishes to the topics named by EventEndpointCreated, -Updated,
 * -Deleted and EventDeliveryFailure (reference/sns-docs/
 * application-event-notifications.md), and the delivery status log lines
 * (reference/sns-docs/sns-msg-status.md: status, notification.messageId and
 * timestamp, delivery.token, statusCode, providerResponse, dwellTimeMs,
 * attempts, destination).  Pure functions: any thread.
 */
#ifndef HERALD_BROKER_EVENTS_H
#define HERALD_BROKER_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

enum events_kind {
	EVENTS_ENDPOINT_CREATED,
	EVENTS_ENDPOINT_UPDATED,
	EVENTS_ENDPOINT_DELETED,
	EVENTS_DELIVERY_FAILURE,
};

/* The application attribute naming the topic of kind: "EventEndpointCreated", ... */
const char *events_attr_name(enum events_kind kind);

/*
 * The event message published to the app's topic, as SNS writes it
 * (EventType, Resource, Service, Time, EndpointArn, and for a delivery
 * failure FailureType, FailureMessage, DeliveryAttempts, MessageId, ...; the
 * endpoint's attributes where SNS includes them).  endpoint_attrs is
 * borrowed (Token, Enabled, CustomUserData); failure NULL unless
 * DELIVERY_FAILURE.  A new string (malloc'd), NULL when out of memory.
 */
struct events_failure {
	const char *message_id;
	const char *failure_type;    /* e.g. "EndpointDisabled", "InvalidPlatformToken" */
	const char *failure_message; /* the provider's answer, shortened */
	unsigned int attempts;
};
char *events_message(enum events_kind kind, const char *app_arn, const char *endpoint_arn,
		     json_t *endpoint_attrs, const struct events_failure *failure, int64_t now_ms);

/* One delivery attempt for the status log. */
struct events_attempt {
	const char *message_id;
	int64_t published_ms; /* when the message was accepted */
	int64_t now_ms;
	const char *app_arn;
	const char *endpoint_arn; /* delivery.destination */
	const char *token;	  /* logged shortened, never whole */
	bool success;
	int status_code;	       /* the provider's HTTP status, 0 if none */
	const char *provider_response; /* NULL: none */
	unsigned int attempts;
};

/*
 * One JSON line (no newline) in SNS's delivery status log format.  A new
 * string (malloc'd), NULL when out of memory.
 */
char *events_status_line(const struct events_attempt *a);

#endif
