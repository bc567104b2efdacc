/*
 * The AWS Query protocol's request side: decode an
 * application/x-www-form-urlencoded body (or a GET query string) as botocore
 * sends it (reference/sns-query-protocol.md §2) into the JSON arguments the
 * operations expect (see broker/op.h): `X.entry.N.key/value` and
 * `X.entry.N.Name/Value.*` become objects, `X.member.N` arrays (of strings or
 * of structures), `X=` for a list member an empty array; anything else is a
 * string.  Pure functions, no I/O, any thread.
 */
#ifndef HERALD_BROKER_QUERY_H
#define HERALD_BROKER_QUERY_H

#include <stddef.h>

#include <jansson.h>

#include "broker/op.h"

#define QUERY_MAX_FIELDS 4096 /* name=value pairs in one request */
#define QUERY_MAX_INDEX	 1000 /* largest N in X.member.N / X.entry.N */
#define QUERY_MAX_DEPTH	 8    /* dot-separated parts in one name */
#define QUERY_MAX_NAME	 256  /* bytes in one decoded name */

/*
 * Percent-decode src[0..len) ('+' is a space) into a malloc'd NUL-terminated
 * buffer, its length in *out_len.  NULL on a malformed escape.
 */
char *query_unescape(const char *src, size_t len, size_t *out_len);

/*
 * Decode the form in body[0..len).  Returns a new object holding every
 * parameter but Action and Version, shaped for the operations; *action and
 * *version are set to malloc'd copies of those parameters, or NULL when the
 * request has none (the caller frees them).  On a malformed request returns
 * NULL with err filled (MalformedQueryString, InvalidParameterValue ...).
 */
json_t *query_decode(const char *body, size_t len, char **action, char **version,
		     struct op_error *err);

#endif
