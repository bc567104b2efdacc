/*
 * Subscription filter policies: parsing policy JSON with the error text SNS
 * returns (SNS parses with Jackson, and its message is what users see), and
 * checking a policy against SNS's constraints (reference/sns-docs/
 * subscription-filter-policy-constraints.md and the operator pages).  The
 * delivery engine will evaluate policies here too.
 *
 * Pure functions, no state: callable from any thread.
 */
#ifndef HERALD_BROKER_FILTER_POLICY_H
#define HERALD_BROKER_FILTER_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Policies larger than this are refused (SNS: "The maximum size of a policy is 256 KB"). */
#define FILTER_POLICY_MAX_BYTES (256 * 1024)

/*
 * Parse text as one JSON value.  Returns a new reference, or NULL with why
 * (size n) set to "failed to parse JSON. <reason>" in the words SNS uses, e.g.
 * "failed to parse JSON. Unexpected character ('i' (code 105)): was expecting
 * double-quote to start field name\n at [Source: REDACTED (...); line: 1, column: 2]".
 * Also used for the other JSON-valued attributes (RedrivePolicy, DeliveryPolicy).
 */
json_t *filter_policy_parse_json(const char *text, char *why, size_t n);

/*
 * Check a parsed policy.  body_scope: FilterPolicyScope is MessageBody
 * (nesting allowed).  0, or -1 with why set to the text that follows
 * "Invalid parameter: " in SNS's message, e.g.
 * "FilterPolicy: Filter policy is too complex".
 */
int filter_policy_check(json_t *policy, bool body_scope, char *why, size_t n);

/*
 * Does a message match policy (borrowed, accepted by filter_policy_check)?
 * body_scope false: against the message attributes ({"name": {"DataType",
 * "StringValue"}}, borrowed, NULL = none), as SNS's MessageAttributes scope;
 * true: against the message body parsed as JSON (message, a JSON text; a body
 * that is not a JSON object matches nothing).  Every SNS operator: exact
 * strings and numbers, prefix, suffix, equals-ignore-case, anything-but,
 * numeric ranges, exists, cidr, $or; String.Array attributes match any
 * element.  A NULL policy matches everything.
 */
bool filter_policy_match(json_t *policy, bool body_scope, json_t *attrs, const char *message,
			 size_t message_len);

#endif
