/*
 * The operation table: one typed function per SNS action, shared by every
 * front-end (native msgpack protocol, SNS Query HTTP API).  Front-ends only
 * decode a request into a JSON object with SNS's member names, call the
 * operation through api.c, and encode its result or error.  Nothing about an
 * operation's meaning lives in a front-end.
 *
 * Arguments use SNS's member names and shapes:
 *   strings           "TopicArn": "arn:aws:sns:..."
 *   maps of strings   "Attributes": {"Enabled": "true"}
 *   lists             "TagKeys": ["a", "b"],  "Tags": [{"Key": "k", "Value": "v"}]
 *   message attrs     "MessageAttributes": {"n": {"DataType": "String", "StringValue": "v"}}
 *                     (BinaryValue is base64 text)
 *   booleans          "ReturnSubscriptionArn": true (or "true")
 * Results use SNS's output member names ({"TopicArn": ...}, {"Topics": [...],
 * "NextToken": ...}); an operation without output returns {}.
 *
 * Threading: operations run on the store thread, inside the store job of
 * their request (see store.h), so they may read and write through ctx->txn
 * and see the effects of requests committed before them.  They must not
 * touch the event loop.  Whatever must happen after the commit (telling the
 * delivery engine about a message) is appended to ctx->effects.
 */
#ifndef HERALD_BROKER_OP_H
#define HERALD_BROKER_OP_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "broker/conf.h"
#include "broker/store.h"

struct seal;

enum op_role {
	OP_ROLE_NONE = 0,    /* may call nothing */
	OP_ROLE_PUBLISH = 1, /* Publish and PublishBatch only */
	OP_ROLE_ADMIN = 2,   /* everything */
};

/* An SNS error: code ("InvalidParameter"), HTTP status (400), message (AWS's exact text). */
struct op_error {
	char code[64];
	int status;
	char message[1024];
};

struct op_ctx {
	struct store_txn *txn;
	const struct conf *conf; /* region, account, limits */
	struct seal *seal;	 /* credential sealing key */
	int64_t now_ms;
	json_t *effects; /* array; ops append post-commit effects, e.g. {"Type": "Message", ...} */
};

/* Returns a new reference to the result object, or NULL with err filled. */
typedef json_t *(*op_fn)(struct op_ctx *ctx, json_t *args, struct op_error *err);

struct op_def {
	const char *name; /* SNS action name, e.g. "CreateTopic" */
	op_fn fn;
	enum op_role role; /* least role allowed to call it */
};

/* The operation named name, or NULL. */
const struct op_def *op_find(const char *name);
/* The whole table, terminated by an entry with name NULL. */
extern const struct op_def op_table[];

/* Fill err and return NULL, so that an operation can `return op_fail(...)`. */
json_t *op_fail(struct op_error *err, const char *code, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* InvalidParameter/400 "Invalid parameter: <fmt>" */
json_t *op_invalid(struct op_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* NotFound/404 "<what> does not exist" */
json_t *op_not_found(struct op_error *err, const char *what);
/* InternalError/500 "Internal error" (the cause is logged, never returned). */
json_t *op_internal(struct op_error *err, const char *cause);

/*
 * Argument access.  Each returns 0 and sets *out (NULL when absent and not
 * required), or -1 with err filled:
 *   absent and required:  ValidationError/400 "1 validation error detected: Value null at
 *                         'memberName' failed to satisfy constraint: Member must not be null"
 *   wrong JSON type:      InvalidParameter/400 "Invalid parameter: Name Reason: must be a <type>"
 * Returned pointers are borrowed from args.
 */
int op_arg_str(json_t *args, const char *name, bool required, const char **out,
	       struct op_error *err);
/* A map whose values must all be strings.  An empty map counts as absent. */
int op_arg_map(json_t *args, const char *name, bool required, json_t **out, struct op_error *err);
int op_arg_list(json_t *args, const char *name, bool required, json_t **out, struct op_error *err);
/* true/false, or the strings "true"/"false" (any case). */
int op_arg_bool(json_t *args, const char *name, bool *out, bool *present, struct op_error *err);

/*
 * Pagination.  NextToken is opaque to clients; it carries the sequence number
 * of the last record returned.  decode: NULL/absent token gives 0; a token we
 * did not issue is InvalidParameter "Invalid parameter: NextToken".
 */
int op_next_token_decode(const char *token, int64_t *after_seq, struct op_error *err);
/* New JSON string for the token after seq. */
json_t *op_next_token_encode(int64_t seq);

#endif
