/*
 * The AWS Query protocol's response side: an operation's JSON result as
 * SNS's response XML, an op_error as SNS's ErrorResponse XML
 * (reference/sns-query-protocol.md §3, §4).  Pure functions, any thread.
 */
#ifndef HERALD_BROKER_XML_H
#define HERALD_BROKER_XML_H

#include <stddef.h>

#include <jansson.h>

#include "broker/op.h"

#define XML_NAMESPACE "http://sns.amazonaws.com/doc/2010-03-31/"

/*
 * Append s[0..len) to the malloc'd string *buf (length *buf_len) with XML's
 * special characters escaped; characters XML 1.0 cannot carry become U+FFFD.
 * Returns 0, or -1 when out of memory.
 */
int xml_escape(char **buf, size_t *buf_len, const char *s, size_t len);

/*
 * <{op}Response> for result (borrowed): objects named Attributes/attributes
 * are maps (<entry><key/><value/></entry>), other objects structures, arrays
 * lists of <member>.  Operations without an output shape get no <{op}Result>.
 * Returns a malloc'd NUL-terminated document, or NULL when out of memory.
 */
char *xml_response(const char *op, json_t *result, const char *request_id);

/* <ErrorResponse> for err: Type Sender below status 500, Receiver from 500.  malloc'd or NULL. */
char *xml_error(const struct op_error *err, const char *request_id);

#endif
