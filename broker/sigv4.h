/*
 * AWS Signature Version 4 verification for the SNS HTTP API (service "sns"),
 * server side: recompute the canonical request and the signature from the
 * request as received and compare in constant time.  See
 * reference/sns-query-protocol.md §5.  Pure functions, no I/O, any thread.
 */
#ifndef HERALD_BROKER_SIGV4_H
#define HERALD_BROKER_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "broker/op.h"

struct sigv4_header {
	const char *name; /* as received (any case) */
	const char *value;
};

struct sigv4_request {
	const char *method; /* "POST" */
	const char *path;   /* "/" (URI path, not decoded) */
	const char *query;  /* raw query string without '?', "" when none */
	const struct sigv4_header *headers;
	size_t n_headers;
	const unsigned char *body;
	size_t body_len;
};

struct sigv4_key {
	const char *id;	    /* access key id */
	const char *secret; /* secret access key: never logged or returned */
	enum op_role role;
};

/*
 * Verify the request's Authorization header (or presigned query parameters)
 * against keys.  region is the region the broker answers for; now is the
 * current time (requests more than 15 minutes away are refused).
 * Returns 0 with *key pointing at the matching entry of keys, or -1 with err
 * holding AWS's answer: MissingAuthenticationToken/403, IncompleteSignature/400,
 * InvalidClientTokenId/403, SignatureDoesNotMatch/403, RequestExpired/400 ...
 */
int sigv4_verify(const struct sigv4_request *req, const struct sigv4_key *keys, size_t n_keys,
		 const char *region, time_t now, const struct sigv4_key **key,
		 struct op_error *err);

#endif
