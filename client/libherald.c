/*
 * libherald: the native-protocol client; see <herald/client.h>.
 *
 * Blocking I/O on one Unix stream socket.  Requests are msgpack maps written
 * with "id" first (so that heraldd can name the request even in an answer to
 * a frame it could not decode); answers are decoded with the same bounded
 * frame decoder and msgpack scanner the broker uses.  After any failure of
 * the connection or of the protocol the connection is marked broken and
 * every later call fails at once with the original reason.
 *
 * A connection is used by one thread at a time; the library has no global
 * state.  Only herald_* symbols are exported (see client/local.mk).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "common/frame.h"
#include "common/mpjson.h"
#include "common/paths.h"
#include "herald/client.h"

/* The largest answer accepted from the broker. */
#define CLIENT_MAX_FRAME FRAME_MAX_LIMIT
#define CLIENT_RBUF	 65536

struct herald {
	int fd;
	char *path;
	uint32_t next_id;
	unsigned int pending;
	struct frame_decoder dec;
	unsigned char rbuf[CLIENT_RBUF];
	size_t roff, rlen; /* unconsumed bytes are rbuf[roff, rlen) */
	bool broken;
	bool peer_gone; /* a write found the broker gone */
	struct herald_error why_broken;
};

static int recv_json(struct herald *h, uint32_t *id, json_t **result, struct herald_error *err);
static int why_closed(struct herald *h, struct herald_error *err);

static void set_err(struct herald_error *err, const char *code, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void set_err(struct herald_error *err, const char *code, int status, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	snprintf(err->code, sizeof(err->code), "%s", code);
	err->status = status;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

static void clear_err(struct herald_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

/* Mark the connection unusable; later calls report the same failure. */
static int broken(struct herald *h, struct herald_error *err, const char *code, const char *fmt,
		  ...) __attribute__((format(printf, 4, 5)));

static int broken(struct herald *h, struct herald_error *err, const char *code, const char *fmt,
		  ...)
{
	va_list ap;

	h->broken = true;
	snprintf(h->why_broken.code, sizeof(h->why_broken.code), "%s", code);
	h->why_broken.status = 0;
	va_start(ap, fmt);
	vsnprintf(h->why_broken.message, sizeof(h->why_broken.message), fmt, ap);
	va_end(ap);
	if (err)
		*err = h->why_broken;
	return HERALD_EIO;
}

static int check_usable(struct herald *h, struct herald_error *err)
{
	if (!h) {
		set_err(err, "ConnectionError", 0, "not connected");
		return HERALD_EIO;
	}
	if (h->broken) {
		if (err)
			*err = h->why_broken;
		return HERALD_EIO;
	}
	return 0;
}

struct herald *herald_connect(const char *socket_path, struct herald_error *err)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct herald *h = calloc(1, sizeof(*h));
	const char *hint = "";
	size_t len;
	int rc, e;

	clear_err(err);
	if (!h) {
		set_err(err, "ConnectionError", 0, "out of memory");
		return NULL;
	}
	h->fd = -1;
	h->next_id = 1;
	frame_decoder_init(&h->dec, CLIENT_MAX_FRAME);
	h->path = socket_path ? strdup(socket_path) : paths_client_socket();
	if (!h->path) {
		set_err(err, "ConnectionError", 0, "out of memory");
		goto fail;
	}
	len = strlen(h->path);
	if (len == 0 || len >= sizeof(sun.sun_path)) {
		set_err(err, "ConnectionError", 0,
			"cannot connect to %s: the socket path must be 1 to %zu bytes long",
			h->path, sizeof(sun.sun_path) - 1);
		goto fail;
	}
	memcpy(sun.sun_path, h->path, len + 1);
	h->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (h->fd < 0) {
		set_err(err, "ConnectionError", 0, "cannot create a socket: %s", strerror(errno));
		goto fail;
	}
	rc = connect(h->fd, (struct sockaddr *)&sun, sizeof(sun));
	if (rc < 0 && errno == EINTR) {
		/* the connection goes on in the background: wait for its outcome */
		struct pollfd p = {.fd = h->fd, .events = POLLOUT};
		socklen_t sl = sizeof(e);

		while ((rc = poll(&p, 1, -1)) < 0 && errno == EINTR)
			;
		if (rc >= 0 && getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &e, &sl) == 0)
			errno = e;
		rc = rc >= 0 && e == 0 ? 0 : -1;
	}
	if (rc < 0) {
		e = errno;
		if (e == ENOENT || e == ECONNREFUSED)
			hint = " (is heraldd running?)";
		else if (e == EACCES)
			hint = " (is your user allowed to use the socket, e.g. in its group?)";
		set_err(err, "ConnectionError", 0, "cannot connect to %s: %s%s", h->path,
			strerror(e), hint);
		goto fail;
	}
	return h;
fail:
	herald_close(h);
	return NULL;
}

void herald_close(struct herald *h)
{
	if (!h)
		return;
	if (h->fd >= 0)
		close(h->fd);
	frame_decoder_clear(&h->dec);
	free(h->path);
	free(h);
}

void herald_free(void *p)
{
	free(p);
}

unsigned int herald_pending(const struct herald *h)
{
	return h ? h->pending : 0;
}

static int write_all(struct herald *h, const char *p, size_t n, struct herald_error *err)
{
	while (n) {
		ssize_t w = send(h->fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			h->peer_gone = errno == EPIPE || errno == ECONNRESET;
			return broken(h, err, "ConnectionError", "cannot send to heraldd at %s: %s",
				      h->path, strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Parse args_json into a new object; InvalidRequest (HERALD_EAPI) if it is not one. */
static int parse_args(const char *args_json, json_t **out, struct herald_error *err)
{
	json_error_t jerr;
	json_t *args;

	if (!args_json) {
		*out = json_object();
		return *out ? 0
			    : (set_err(err, "InvalidRequest", 400, "out of memory"), HERALD_EAPI);
	}
	args = json_loads(args_json, JSON_REJECT_DUPLICATES, &jerr);
	if (!args) {
		set_err(err, "InvalidRequest", 400,
			"The arguments are not valid JSON: %s (line %d, column %d)", jerr.text,
			jerr.line, jerr.column);
		return HERALD_EAPI;
	}
	if (!json_is_object(args)) {
		json_decref(args);
		set_err(err, "InvalidRequest", 400, "The arguments must be a JSON object");
		return HERALD_EAPI;
	}
	*out = args;
	return 0;
}

static int pack_key(msgpack_packer *pk, const char *k)
{
	return msgpack_pack_str_with_body(pk, k, strlen(k));
}

static int send_json(struct herald *h, const char *op, const json_t *args, uint32_t *id,
		     struct herald_error *err)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	char why[256];
	long start;
	uint32_t rid;
	int rc;

	rc = check_usable(h, err);
	if (rc)
		return rc;
	if (!op || !*op) {
		set_err(err, "InvalidRequest", 400, "No operation given");
		return HERALD_EAPI;
	}
	rid = h->next_id++;
	if (h->next_id == 0)
		h->next_id = 1; /* 0 is what the broker answers when it cannot tell the request */
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	start = frame_begin(&sb);
	if (start < 0 || msgpack_pack_map(&pk, 3) || pack_key(&pk, "id") ||
	    msgpack_pack_uint32(&pk, rid) || pack_key(&pk, "op") || pack_key(&pk, op) ||
	    pack_key(&pk, "args")) {
		set_err(err, "InvalidRequest", 400, "out of memory");
		rc = HERALD_EAPI;
		goto out;
	}
	if (mpjson_pack(&pk, args, why, sizeof(why)) < 0) {
		set_err(err, "InvalidRequest", 400, "The arguments cannot be sent: %s", why);
		rc = HERALD_EAPI;
		goto out;
	}
	if (frame_end(&sb, start, CLIENT_MAX_FRAME) < 0) {
		set_err(err, "RequestTooLarge", 413, "The request is larger than %u bytes",
			CLIENT_MAX_FRAME);
		rc = HERALD_EAPI;
		goto out;
	}
	rc = write_all(h, sb.data, sb.size, err);
	if (rc == HERALD_EIO && h->peer_gone)
		rc = why_closed(h, err);
	if (rc == 0) {
		h->pending++;
		*id = rid;
	}
out:
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

/*
 * A write failed because the broker closed the connection: it may have said
 * why first (too many clients, shutting down).  Return that answer as
 * HERALD_EAPI if there is one, else the write's HERALD_EIO.
 */
static int why_closed(struct herald *h, struct herald_error *err)
{
	struct herald_error write_err = h->why_broken, said;
	json_t *res = NULL;
	uint32_t rid = 1;

	h->broken = false;
	if (recv_json(h, &rid, &res, &said) == HERALD_EAPI && rid == 0) {
		broken(h, NULL, "ConnectionError", "heraldd closed the connection: %s",
		       said.message);
		if (err)
			*err = said;
		return HERALD_EAPI;
	}
	json_decref(res);
	h->broken = true;
	h->why_broken = write_err;
	if (err)
		*err = write_err;
	return HERALD_EIO;
}

int herald_send(struct herald *h, const char *op, const char *args_json, uint32_t *id,
		struct herald_error *err)
{
	json_t *args = NULL;
	uint32_t rid;
	int rc;

	clear_err(err);
	rc = check_usable(h, err);
	if (!rc)
		rc = parse_args(args_json, &args, err);
	if (!rc)
		rc = send_json(h, op, args, &rid, err);
	if (!rc && id)
		*id = rid;
	json_decref(args);
	return rc;
}

/* Wait for the next whole frame and decode it into a JSON value (new reference). */
static int read_frame(struct herald *h, json_t **out, struct herald_error *err)
{
	char why[512];
	struct frame f;
	size_t used;
	enum frame_status st;

	for (;;) {
		st = frame_decode(&h->dec, h->rbuf + h->roff, h->rlen - h->roff, &used, &f);
		h->roff += used;
		if (st == FRAME_READY) {
			*out = mpjson_decode(f.data, f.len, why, sizeof(why));
			if (!*out)
				return broken(h, err, "ProtocolError",
					      "heraldd sent an answer that cannot be decoded: %s",
					      why);
			return 0;
		}
		if (st == FRAME_OVERSIZE)
			return broken(h, err, "ProtocolError",
				      "heraldd sent an answer of %u bytes; the limit is %u bytes",
				      f.declared, CLIENT_MAX_FRAME);
		if (st == FRAME_ENOMEM)
			return broken(h, err, "ProtocolError",
				      "out of memory for an answer of %u bytes", h->dec.want);
		/* everything buffered was consumed: read more */
		h->roff = h->rlen = 0;
		for (;;) {
			ssize_t n = recv(h->fd, h->rbuf, sizeof(h->rbuf), 0);

			if (n > 0) {
				h->rlen = (size_t)n;
				break;
			}
			if (n == 0)
				return broken(h, err, "ConnectionError",
					      "heraldd closed the connection%s",
					      frame_decoder_busy(&h->dec)
						      ? " in the middle of an answer"
						      : "");
			if (errno != EINTR)
				return broken(h, err, "ConnectionError",
					      "cannot receive from heraldd at %s: %s", h->path,
					      strerror(errno));
		}
	}
}

/*
 * Wait for the next answer: *id, and the result (new reference) or
 * HERALD_EAPI with err filled from the broker's error.
 */
static int recv_json(struct herald *h, uint32_t *id, json_t **result, struct herald_error *err)
{
	json_t *msg = NULL, *jid, *res, *e, *code, *message, *status;
	json_int_t rid;
	int rc;

	rc = check_usable(h, err);
	if (rc)
		return rc;
	rc = read_frame(h, &msg, err);
	if (rc)
		return rc;
	jid = json_object_get(msg, "id");
	res = json_object_get(msg, "result");
	e = json_object_get(msg, "error");
	rid = json_integer_value(jid);
	if (!json_is_object(msg) || !json_is_integer(jid) || rid < 0 || rid > UINT32_MAX ||
	    (!res == !e) || (res && !json_is_object(res)) || (e && !json_is_object(e))) {
		rc = broken(h, err, "ProtocolError",
			    "heraldd sent an answer that is not {id, result} or {id, error}");
		goto out;
	}
	/* id 0: an error the broker could not attribute to a request of ours */
	if (rid != 0 && h->pending)
		h->pending--;
	*id = (uint32_t)rid;
	if (res) {
		*result = json_incref(res);
		goto out;
	}
	code = json_object_get(e, "code");
	message = json_object_get(e, "message");
	status = json_object_get(e, "status");
	set_err(err, json_is_string(code) ? json_string_value(code) : "UnknownError",
		json_is_integer(status) ? (int)json_integer_value(status) : 0, "%s",
		json_is_string(message) ? json_string_value(message) : "");
	rc = HERALD_EAPI;
out:
	json_decref(msg);
	return rc;
}

static int dump_result(json_t *result, char **result_json, struct herald_error *err)
{
	if (!result_json)
		return 0;
	*result_json = json_dumps(result, JSON_COMPACT);
	if (!*result_json) {
		set_err(err, "ProtocolError", 0, "out of memory");
		return HERALD_EIO;
	}
	return 0;
}

int herald_recv(struct herald *h, uint32_t *id, char **result_json, struct herald_error *err)
{
	json_t *result = NULL;
	uint32_t rid = 0;
	int rc;

	clear_err(err);
	rc = recv_json(h, &rid, &result, err);
	if (rc != HERALD_EIO && id)
		*id = rid;
	if (rc == 0)
		rc = dump_result(result, result_json, err);
	json_decref(result);
	return rc;
}

/* One request, waiting for its answer.  *result (new reference) on success. */
static int call_json(struct herald *h, const char *op, const json_t *args, json_t **result,
		     struct herald_error *err)
{
	uint32_t id, rid;
	json_t *res = NULL;
	int rc;

	rc = check_usable(h, err);
	if (rc)
		return rc;
	if (h->pending) {
		/* their answers would be read and lost here */
		set_err(err, "ProtocolError", 0,
			"%u pipelined requests are still unanswered; collect them with herald_recv() "
			"before herald_call()",
			h->pending);
		return HERALD_EIO;
	}
	rc = send_json(h, op, args, &id, err);
	if (rc)
		return rc;
	rc = recv_json(h, &rid, &res, err);
	if (rc == HERALD_EIO)
		return rc;
	if (rid != id && rid != 0) {
		json_decref(res);
		return broken(h, err, "ProtocolError",
			      "heraldd answered request %u, which was not asked", rid);
	}
	/* id 0: the broker refused the connection itself (and is closing it) */
	h->pending = 0;
	if (rc == 0)
		*result = res;
	return rc;
}

int herald_call(struct herald *h, const char *op, const char *args_json, char **result_json,
		struct herald_error *err)
{
	json_t *args = NULL, *result = NULL;
	int rc;

	clear_err(err);
	rc = check_usable(h, err);
	if (!rc)
		rc = parse_args(args_json, &args, err);
	if (!rc)
		rc = call_json(h, op, args, &result, err);
	if (!rc)
		rc = dump_result(result, result_json, err);
	json_decref(args);
	json_decref(result);
	return rc;
}

/* ---- typed helpers ---- */

/* {"name": value, ...} from a NULL-terminated list of pairs; NULL list gives NULL. */
static int attrs_object(const char *const *attrs, json_t **out, struct herald_error *err)
{
	json_t *obj;

	*out = NULL;
	if (!attrs)
		return 0;
	obj = json_object();
	if (!obj)
		goto nomem;
	for (size_t i = 0; attrs[i]; i += 2) {
		if (!attrs[i + 1]) {
			set_err(err, "InvalidRequest", 400, "Attribute %s has no value", attrs[i]);
			json_decref(obj);
			return HERALD_EAPI;
		}
		if (json_object_set_new(obj, attrs[i], json_string(attrs[i + 1])) < 0) {
			set_err(err, "InvalidRequest", 400,
				"Attribute %s: name and value must be UTF-8 text", attrs[i]);
			json_decref(obj);
			return HERALD_EAPI;
		}
	}
	*out = obj;
	return 0;
nomem:
	set_err(err, "InvalidRequest", 400, "out of memory");
	return HERALD_EAPI;
}

/*
 * Call op with args (stolen; NULL means a failed json_pack, i.e. a string
 * argument that was NULL or not UTF-8) and return the string member out_key
 * of the result in *out (malloc'd) when out is not NULL.
 */
static int call_typed(struct herald *h, const char *op, json_t *args, const char *out_key,
		      char **out, struct herald_error *err)
{
	json_t *result = NULL;
	const char *s;
	int rc;

	clear_err(err);
	rc = check_usable(h, err);
	if (rc)
		goto out;
	if (!args) {
		set_err(err, "InvalidRequest", 400,
			"%s: a required argument is NULL or not valid UTF-8", op);
		rc = HERALD_EAPI;
		goto out;
	}
	rc = call_json(h, op, args, &result, err);
	if (rc || !out_key)
		goto out;
	s = json_string_value(json_object_get(result, out_key));
	if (!s) {
		rc = broken(h, err, "ProtocolError", "the %s result from heraldd has no %s", op,
			    out_key);
		goto out;
	}
	if (out) {
		*out = strdup(s);
		if (!*out) {
			set_err(err, "ProtocolError", 0, "out of memory");
			rc = HERALD_EIO;
		}
	}
out:
	json_decref(args);
	json_decref(result);
	return rc;
}

/* Add "Attributes" built from attrs to args (when attrs is not NULL); args may be NULL. */
static int with_attrs(json_t *args, const char *const *attrs, struct herald_error *err)
{
	json_t *a;
	int rc = attrs_object(attrs, &a, err);

	if (rc || !a || !args) {
		json_decref(a);
		return rc;
	}
	json_object_set_new(args, "Attributes", a);
	return 0;
}

int herald_create_platform_application(struct herald *h, const char *name, const char *platform,
				       const char *const *attrs, char **app_arn,
				       struct herald_error *err)
{
	json_t *args = json_pack("{s:s, s:s}", "Name", name, "Platform", platform);
	int rc = with_attrs(args, attrs, err);

	if (rc) {
		json_decref(args);
		return rc;
	}
	return call_typed(h, "CreatePlatformApplication", args, "PlatformApplicationArn", app_arn,
			  err);
}

int herald_delete_platform_application(struct herald *h, const char *app_arn,
				       struct herald_error *err)
{
	return call_typed(h, "DeletePlatformApplication",
			  json_pack("{s:s}", "PlatformApplicationArn", app_arn), NULL, NULL, err);
}

int herald_create_platform_endpoint(struct herald *h, const char *app_arn, const char *token,
				    const char *custom_user_data, const char *const *attrs,
				    char **endpoint_arn, struct herald_error *err)
{
	json_t *args = json_pack("{s:s, s:s, s:s*}", "PlatformApplicationArn", app_arn, "Token",
				 token, "CustomUserData", custom_user_data);
	int rc = with_attrs(args, attrs, err);

	if (rc) {
		json_decref(args);
		return rc;
	}
	return call_typed(h, "CreatePlatformEndpoint", args, "EndpointArn", endpoint_arn, err);
}

int herald_delete_endpoint(struct herald *h, const char *endpoint_arn, struct herald_error *err)
{
	return call_typed(h, "DeleteEndpoint", json_pack("{s:s}", "EndpointArn", endpoint_arn),
			  NULL, NULL, err);
}

int herald_create_topic(struct herald *h, const char *name, char **topic_arn,
			struct herald_error *err)
{
	return call_typed(h, "CreateTopic", json_pack("{s:s}", "Name", name), "TopicArn", topic_arn,
			  err);
}

int herald_delete_topic(struct herald *h, const char *topic_arn, struct herald_error *err)
{
	return call_typed(h, "DeleteTopic", json_pack("{s:s}", "TopicArn", topic_arn), NULL, NULL,
			  err);
}

int herald_subscribe(struct herald *h, const char *topic_arn, const char *endpoint_arn,
		     char **subscription_arn, struct herald_error *err)
{
	return call_typed(h, "Subscribe",
			  json_pack("{s:s, s:s, s:s, s:b}", "TopicArn", topic_arn, "Protocol",
				    "application", "Endpoint", endpoint_arn,
				    "ReturnSubscriptionArn", 1),
			  "SubscriptionArn", subscription_arn, err);
}

int herald_unsubscribe(struct herald *h, const char *subscription_arn, struct herald_error *err)
{
	return call_typed(h, "Unsubscribe", json_pack("{s:s}", "SubscriptionArn", subscription_arn),
			  NULL, NULL, err);
}

/* arn:aws:sns:REGION:ACCOUNT:NAME with no further ':' or '/': a topic. */
static bool is_topic_arn(const char *arn)
{
	int colons = 0;

	if (strncmp(arn, "arn:", 4))
		return false;
	for (const char *p = arn; *p; p++) {
		if (*p == ':')
			colons++;
		else if (*p == '/' && colons >= 5)
			return false;
	}
	return colons == 5;
}

int herald_publish(struct herald *h, const char *arn, const char *message, const char *subject,
		   char **message_id, struct herald_error *err)
{
	const char *key = arn && is_topic_arn(arn) ? "TopicArn" : "TargetArn";

	return call_typed(
		h, "Publish",
		json_pack("{s:s, s:s, s:s*}", key, arn, "Message", message, "Subject", subject),
		"MessageId", message_id, err);
}
