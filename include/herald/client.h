/*
 * libherald: the C client of the herald push broker's native protocol.
 *
 * A connection speaks to heraldd over its Unix socket.  Every SNS operation
 * heraldd knows can be called by name with its arguments as a JSON object
 * using SNS's member names (herald_call); the common ones have typed helpers.
 * Calls can be pipelined: send many with herald_send(), then collect the
 * answers with herald_recv() (they carry the id herald_send() returned).
 *
 * Errors.  Functions that can fail return 0 on success, HERALD_EAPI when the
 * broker answered with an SNS error (err->code, err->status and err->message
 * hold it: "NotFound", 404, "Topic does not exist"), or HERALD_EIO when the
 * connection or the protocol failed (err->code is "ConnectionError" or
 * "ProtocolError" and err->message says why).  err may be NULL.  After
 * HERALD_EIO the connection is unusable: every later call fails the same way.
 *
 * Besides the operations' own SNS errors, heraldd answers (HERALD_EAPI):
 *   InvalidRequest     400  the frame or its "args" could not be decoded or had
 *                           the wrong types (libherald also returns this, without
 *                           sending anything, when args_json is not a JSON object)
 *   RequestTooLarge    413  the request is longer than heraldd's socket.max_frame
 *   InvalidAction      400  no such operation
 *   AuthorizationError 403  this user may not call the operation
 *   ServiceUnavailable 503  heraldd has too many clients, or is shutting down
 * The connection keeps working after any of these.
 *
 * Ownership.  Strings passed in are borrowed for the duration of the call.
 * Strings returned through out-parameters are malloc'd and belong to the
 * caller, who frees them with herald_free() (or free()).  Out-parameters are
 * set only on success.
 *
 * Threads.  A connection must not be used by two threads at once; separate
 * connections are independent.
 */
#ifndef HERALD_CLIENT_H
#define HERALD_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HERALD_EAPI (-1) /* the broker answered with an error */
#define HERALD_EIO  (-2) /* connection or protocol failure */

struct herald;

struct herald_error {
	char code[64];	    /* SNS error code, or ConnectionError / ProtocolError */
	int status;	    /* HTTP-style status of an API error; 0 for local failures */
	char message[1024]; /* human-readable reason */
};

/*
 * Connect to the broker at socket_path, or at the default path when NULL
 * ($HERALD_SOCKET, else where heraldd puts it for this user).  Returns a
 * connection the caller closes with herald_close(), or NULL with err filled.
 */
struct herald *herald_connect(const char *socket_path, struct herald_error *err);

/* Close the connection and free it.  NULL is allowed. */
void herald_close(struct herald *h);

/* Free a string returned by this library. */
void herald_free(void *p);

/*
 * Call operation op ("CreateTopic") with args_json, a JSON object text using
 * SNS's member names (NULL means {}).  On success *result_json (if not NULL)
 * receives the result object as JSON text.
 */
int herald_call(struct herald *h, const char *op, const char *args_json, char **result_json,
		struct herald_error *err);

/*
 * Pipelining.  herald_send() writes one request and returns its id in *id
 * without waiting; herald_recv() waits for the next answer, in whatever order
 * the broker sends them, and reports which request it belongs to in *id.
 * On HERALD_EAPI from herald_recv(), *id is still set; it is 0 for an error
 * heraldd could not attribute to a request (ServiceUnavailable when it
 * refuses the connection).  herald_call() refuses to run (HERALD_EIO,
 * ProtocolError) while pipelined requests are unanswered.  heraldd stops
 * reading a connection that has 256 requests unanswered or megabytes of
 * answers unread, so a client that only sends will block in herald_send():
 * receive as you go.
 */
int herald_send(struct herald *h, const char *op, const char *args_json, uint32_t *id,
		struct herald_error *err);
int herald_recv(struct herald *h, uint32_t *id, char **result_json, struct herald_error *err);

/* Requests sent and not yet received. */
unsigned int herald_pending(const struct herald *h);

/*
 * Typed helpers for the common operations.  attrs, where taken, is a
 * NULL-terminated list of alternating names and values
 * ({"PlatformCredential", key, "PlatformPrincipal", id, NULL}) or NULL.
 */
int herald_create_platform_application(struct herald *h, const char *name, const char *platform,
				       const char *const *attrs, char **app_arn,
				       struct herald_error *err);
int herald_delete_platform_application(struct herald *h, const char *app_arn,
				       struct herald_error *err);
int herald_create_platform_endpoint(struct herald *h, const char *app_arn, const char *token,
				    const char *custom_user_data, const char *const *attrs,
				    char **endpoint_arn, struct herald_error *err);
int herald_delete_endpoint(struct herald *h, const char *endpoint_arn, struct herald_error *err);
int herald_create_topic(struct herald *h, const char *name, char **topic_arn,
			struct herald_error *err);
int herald_delete_topic(struct herald *h, const char *topic_arn, struct herald_error *err);
int herald_subscribe(struct herald *h, const char *topic_arn, const char *endpoint_arn,
		     char **subscription_arn, struct herald_error *err);
int herald_unsubscribe(struct herald *h, const char *subscription_arn, struct herald_error *err);

/*
 * Publish message to arn: a topic ARN is sent as TopicArn, anything else as
 * TargetArn.  subject may be NULL.  *message_id receives the MessageId.
 */
int herald_publish(struct herald *h, const char *arn, const char *message, const char *subject,
		   char **message_id, struct herald_error *err);

#ifdef __cplusplus
}
#endif

#endif
