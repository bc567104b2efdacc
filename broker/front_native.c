/*
 * The native protocol front-end; see front_native.h.
 *
 * Protocol.  Each frame is a 4-byte big-endian length and one msgpack map
 * (common/frame.h).  A request is {"id": uint32, "op": "CreateTopic",
 * "args": {...}} ("args" may be absent or nil for {}; other keys are ignored
 * so that clients may add some later).  Every request gets exactly one answer,
 * {"id": n, "result": {...}} or {"id": n, "error": {"code", "message",
 * "status"}}, in whatever order the operations finish: clients may pipeline.
 *
 * Errors of the protocol itself, which clients can rely on:
 *   InvalidRequest   400  the frame is not one well-formed msgpack map, "id" is
 *                         missing or not an unsigned integer below 2^32, "op"
 *                         is not a string, "args" is not a map or holds a
 *                         value JSON cannot represent (non-string map key, ext,
 *                         nesting deeper than 32, ...).  The message says which.
 *   RequestTooLarge  413  the frame is longer than socket.max_frame; its bytes
 *                         are skipped and the connection keeps working.
 *   ServiceUnavailable 503  sent (id 0) to a connection over socket.max_clients,
 *                         which is then closed.
 *   InternalError    500  the response could not be encoded (over 64 MiB).
 * The request's id is echoed when it can be read (for an oversize or
 * undecodable frame, when the map starts with "id", as libherald writes it);
 * otherwise the answer carries id 0.  api_call() adds InvalidAction (unknown
 * op), AuthorizationError 403 (a peer whose role may not call op: peers on no
 * access list may call nothing) and the operations' own SNS errors.
 *
 * Flow control.  A connection may have FN_MAX_IN_FLIGHT requests unanswered
 * and FN_OUT_HIGH bytes of unsent answers; beyond either, its socket is not
 * read until answers go out, so a client can never make the daemon buffer
 * without bound.  A connection that closes with requests in flight lingers
 * (reference counted, without its socket) until their answers arrive and are
 * dropped.
 *
 * Everything runs on the event-loop thread.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "broker/front_native.h"
#include "common/frame.h"
#include "common/log.h"
#include "common/mpjson.h"
#include "common/paths.h"
#include "common/util.h"

#define FN_MAX_IN_FLIGHT 256
#define FN_OUT_HIGH	 (4u << 20)
#define FN_OUT_LOW	 (1u << 20)
#define FN_MAX_OP_LEN	 128

struct fn_conn {
	TAILQ_ENTRY(fn_conn) link;
	struct front_native *fn; /* NULL once the front-end is freed */
	struct bufferevent *bev; /* NULL once the connection is closed */
	struct frame_decoder dec;
	unsigned int refs; /* 1 while open, plus 1 per request in flight */
	unsigned int in_flight;
	unsigned long serial;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	enum op_role role;
	bool eof;	 /* the peer has finished sending */
	bool processing; /* inside conn_process(): do not re-enter */
	bool told;	 /* a protocol error of this connection was logged at info */
};

struct fn_req {
	struct fn_conn *c;
	uint32_t id;
};

struct front_native {
	struct event_base *base;
	struct api *api;
	const struct conf *conf;
	struct evconnlistener *lev;
	struct event *accept_retry;
	char *path;
	dev_t dev;
	ino_t ino;
	TAILQ_HEAD(, fn_conn) conns; /* open ones and closed ones awaiting answers */
	unsigned int nopen;
	unsigned int in_flight;
	unsigned long next_serial;
	bool quiesced;
	int64_t accept_warned_ms;
	msgpack_sbuffer sb; /* reused for every response */
};

static const char *const role_names[] = {"none", "publish", "admin"};

/* ---- roles ---- */

static bool idlist_has(const struct conf_idlist *l, unsigned int id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->ids[i] == id)
			return true;
	return false;
}

/*
 * The peer's groups: its gid at connect time, and the primary and
 * supplementary groups of its user in the group database.  malloc'd.
 */
static gid_t *fn_user_groups(uid_t uid, gid_t gid, int *n)
{
	struct passwd pw, *res = NULL;
	size_t blen = 4096;
	char *buf = NULL;
	gid_t *groups = NULL, *g;
	int ng = 16;

	for (;;) {
		char *nb = realloc(buf, blen);

		if (!nb)
			goto fallback;
		buf = nb;
		if (getpwuid_r(uid, &pw, buf, blen, &res) != ERANGE || blen >= (1u << 20))
			break;
		blen *= 2;
	}
	if (!res)
		goto fallback;
	for (;;) {
		g = realloc(groups, (size_t)(ng + 1) * sizeof(*groups));
		if (!g)
			goto fallback;
		groups = g;
		if (getgrouplist(res->pw_name, res->pw_gid, groups, &ng) >= 0)
			break;
		if (ng > 65536)
			goto fallback;
	}
	groups[ng++] = gid;
	free(buf);
	*n = ng;
	return groups;
fallback:
	free(buf);
	free(groups);
	groups = malloc(sizeof(*groups));
	if (!groups) {
		*n = 0;
		return NULL;
	}
	groups[0] = gid;
	*n = 1;
	return groups;
}

static enum op_role fn_role(const struct conf *conf, uid_t uid, gid_t gid)
{
	enum op_role role = OP_ROLE_NONE;
	gid_t *groups;
	int n = 0;

	if (uid == 0 || uid == geteuid() || idlist_has(&conf->admin_users, uid))
		return OP_ROLE_ADMIN;
	if (idlist_has(&conf->publish_users, uid))
		role = OP_ROLE_PUBLISH;
	if (!conf->admin_groups.n && !conf->publish_groups.n)
		return role;
	groups = fn_user_groups(uid, gid, &n);
	for (int i = 0; i < n; i++) {
		if (idlist_has(&conf->admin_groups, groups[i])) {
			role = OP_ROLE_ADMIN;
			break;
		}
		if (idlist_has(&conf->publish_groups, groups[i]))
			role = OP_ROLE_PUBLISH;
	}
	free(groups);
	return role;
}

/* ---- writing answers ---- */

static int pack_cstr(msgpack_packer *pk, const char *s)
{
	return msgpack_pack_str_with_body(pk, s, strlen(s));
}

static int pack_error(msgpack_packer *pk, uint32_t id, const char *code, int status,
		      const char *message)
{
	return msgpack_pack_map(pk, 2) || pack_cstr(pk, "id") || msgpack_pack_uint32(pk, id) ||
	       pack_cstr(pk, "error") || msgpack_pack_map(pk, 3) || pack_cstr(pk, "code") ||
	       pack_cstr(pk, code) || pack_cstr(pk, "message") || pack_cstr(pk, message) ||
	       pack_cstr(pk, "status") || msgpack_pack_int(pk, status);
}

/* One answer frame into sb (cleared first).  0, or -1 if even an error could not be packed. */
static int fn_encode(msgpack_sbuffer *sb, uint32_t id, json_t *result, const struct op_error *err)
{
	msgpack_packer pk;
	char why[256];
	long start;

	msgpack_sbuffer_clear(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	start = frame_begin(sb);
	if (start < 0)
		return -1;
	if (result) {
		if (msgpack_pack_map(&pk, 2) == 0 && pack_cstr(&pk, "id") == 0 &&
		    msgpack_pack_uint32(&pk, id) == 0 && pack_cstr(&pk, "result") == 0 &&
		    mpjson_pack(&pk, result, why, sizeof(why)) == 0 &&
		    frame_end(sb, start, FRAME_MAX_LIMIT) == 0)
			return 0;
		log_err("native: cannot encode the answer to request %u: %s", id,
			sb->size > (size_t)start ? why : "response too large");
		sb->size = (size_t)start + FRAME_HEADER_LEN;
		if (pack_error(&pk, id, "InternalError", 500, "Internal error") == 0 &&
		    frame_end(sb, start, FRAME_MAX_LIMIT) == 0)
			return 0;
		return -1;
	}
	if (pack_error(&pk, id, err->code, err->status, err->message) == 0 &&
	    frame_end(sb, start, FRAME_MAX_LIMIT) == 0)
		return 0;
	return -1;
}

static void conn_send(struct fn_conn *c, uint32_t id, json_t *result, const struct op_error *err)
{
	msgpack_sbuffer *sb = &c->fn->sb;

	if (fn_encode(sb, id, result, err) == 0)
		evbuffer_add(bufferevent_get_output(c->bev), sb->data, sb->size);
	msgpack_sbuffer_clear(sb);
}

static void conn_reject(struct fn_conn *c, uint32_t id, const char *code, int status,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Answer a request the protocol layer refused, and log it (at info once per connection). */
static void conn_reject(struct fn_conn *c, uint32_t id, const char *code, int status,
			const char *fmt, ...)
{
	struct op_error err = {.status = status};
	va_list ap;

	snprintf(err.code, sizeof(err.code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(err.message, sizeof(err.message), fmt, ap);
	va_end(ap);
	log_msg(c->told ? LOG_DEBUG : LOG_INFO, "native: client #%lu (uid %u pid %d): %s: %s%s",
		c->serial, (unsigned int)c->uid, (int)c->pid, code, err.message,
		c->told ? "" : " (further protocol errors of this client are logged at debug)");
	c->told = true;
	conn_send(c, id, NULL, &err);
}

/* ---- connection lifetime ---- */

static void conn_unref(struct fn_conn *c)
{
	if (--c->refs)
		return;
	if (c->fn)
		TAILQ_REMOVE(&c->fn->conns, c, link);
	frame_decoder_clear(&c->dec);
	free(c);
}

static void conn_close(struct fn_conn *c, const char *why)
{
	if (!c->bev)
		return;
	log_debug("native: client #%lu disconnected (%s%s)", c->serial, why,
		  c->in_flight ? ", answers still pending are dropped" : "");
	bufferevent_free(c->bev);
	c->bev = NULL;
	if (c->fn)
		c->fn->nopen--;
	conn_unref(c);
}

static bool conn_paused(struct fn_conn *c)
{
	return !c->bev || c->fn->quiesced || c->in_flight >= FN_MAX_IN_FLIGHT ||
	       evbuffer_get_length(bufferevent_get_output(c->bev)) >= FN_OUT_HIGH;
}

/* Close a connection whose peer is done once everything it asked is answered and sent. */
static void conn_maybe_finish(struct fn_conn *c)
{
	if (c->bev && c->eof && !c->in_flight &&
	    !evbuffer_get_length(bufferevent_get_output(c->bev)))
		conn_close(c, frame_decoder_busy(&c->dec) ? "closed in the middle of a frame"
							  : "closed by the client");
}

/* ---- requests ---- */

static void fn_on_reply(void *arg, json_t *result, const struct op_error *err);
static void conn_process(struct fn_conn *c);

/*
 * Read the id of a request whose frame is too large or does not decode, if
 * the map starts with "id" (libherald always writes it first).
 */
static bool fn_peek_id(const unsigned char *p, size_t n, uint32_t *id)
{
	size_t off;
	uint64_t v = 0, w;

	if (n >= 1 && p[0] >= 0x80 && p[0] <= 0x8f)
		off = 1;
	else if (n >= 3 && p[0] == 0xde)
		off = 3;
	else if (n >= 5 && p[0] == 0xdf)
		off = 5;
	else
		return false;
	if (n < off + 4 || memcmp(p + off, "\xa2id", 3))
		return false;
	off += 3;
	if (p[off] <= 0x7f) {
		*id = p[off];
		return true;
	}
	if (p[off] < 0xcc || p[off] > 0xce)
		return false;
	w = (uint64_t)1 << (p[off] - 0xcc);
	if (n < off + 1 + w)
		return false;
	for (size_t i = 0; i < w; i++)
		v = v << 8 | p[off + 1 + i];
	*id = (uint32_t)v;
	return true;
}

static const msgpack_object *map_get(const msgpack_object_map *m, const char *key)
{
	size_t kl = strlen(key);

	for (uint32_t i = 0; i < m->size; i++) {
		const msgpack_object *k = &m->ptr[i].key;

		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == kl &&
		    !memcmp(k->via.str.ptr, key, kl))
			return &m->ptr[i].val;
	}
	return NULL;
}

static void conn_request(struct fn_conn *c, const unsigned char *data, size_t len)
{
	const msgpack_object *oid, *oop, *oargs;
	char why[512], op[FN_MAX_OP_LEN + 1];
	msgpack_object root;
	msgpack_zone zone;
	struct fn_req *req;
	json_t *args = NULL;
	uint32_t id = 0;

	if (!msgpack_zone_init(&zone, 1024)) {
		conn_reject(c, 0, "InternalError", 500, "Internal error");
		return;
	}
	if (mpjson_unpack(data, len, &zone, &root, why, sizeof(why)) < 0) {
		fn_peek_id(data, len, &id);
		conn_reject(c, id, "InvalidRequest", 400, "The request is not valid msgpack: %s",
			    why);
		goto out;
	}
	if (root.type != MSGPACK_OBJECT_MAP) {
		conn_reject(c, 0, "InvalidRequest", 400,
			    "The request must be a msgpack map {id, op, args}, not %s",
			    mpjson_type_name(root.type));
		goto out;
	}
	oid = map_get(&root.via.map, "id");
	if (!oid) {
		conn_reject(c, 0, "InvalidRequest", 400, "The request has no \"id\"");
		goto out;
	}
	if (oid->type != MSGPACK_OBJECT_POSITIVE_INTEGER || oid->via.u64 > UINT32_MAX) {
		conn_reject(c, 0, "InvalidRequest", 400,
			    "The request's \"id\" must be an unsigned integer below 2^32, not %s",
			    oid->type == MSGPACK_OBJECT_POSITIVE_INTEGER
				    ? "a larger one"
				    : mpjson_type_name(oid->type));
		goto out;
	}
	id = (uint32_t)oid->via.u64;
	oop = map_get(&root.via.map, "op");
	if (!oop) {
		conn_reject(c, id, "InvalidRequest", 400, "The request has no \"op\"");
		goto out;
	}
	if (oop->type != MSGPACK_OBJECT_STR) {
		conn_reject(c, id, "InvalidRequest", 400,
			    "The request's \"op\" must be a string, not %s",
			    mpjson_type_name(oop->type));
		goto out;
	}
	if (oop->via.str.size == 0 || oop->via.str.size > FN_MAX_OP_LEN ||
	    memchr(oop->via.str.ptr, '\0', oop->via.str.size) ||
	    util_utf8_valid(oop->via.str.ptr, oop->via.str.size) < 0) {
		conn_reject(
			c, id, "InvalidRequest", 400,
			"The request's \"op\" must be an operation name such as \"CreateTopic\"");
		goto out;
	}
	memcpy(op, oop->via.str.ptr, oop->via.str.size);
	op[oop->via.str.size] = '\0';
	oargs = map_get(&root.via.map, "args");
	if (!oargs || oargs->type == MSGPACK_OBJECT_NIL) {
		args = json_object();
	} else if (oargs->type != MSGPACK_OBJECT_MAP) {
		conn_reject(c, id, "InvalidRequest", 400,
			    "The request's \"args\" must be a map, not %s",
			    mpjson_type_name(oargs->type));
		goto out;
	} else {
		args = mpjson_to_json(oargs, "args", why, sizeof(why));
		if (!args) {
			conn_reject(c, id, "InvalidRequest", 400, "%s", why);
			goto out;
		}
	}
	req = malloc(sizeof(*req));
	if (!args || !req) {
		free(req);
		conn_reject(c, id, "InternalError", 500, "Internal error");
		goto out;
	}
	req->c = c;
	req->id = id;
	c->refs++;
	c->in_flight++;
	c->fn->in_flight++;
	api_call(c->fn->api, c->role, op, args, fn_on_reply, req);
out:
	json_decref(args);
	msgpack_zone_destroy(&zone);
}

static void fn_on_reply(void *arg, json_t *result, const struct op_error *err)
{
	struct fn_req *req = arg;
	struct fn_conn *c = req->c;

	c->in_flight--;
	if (c->fn)
		c->fn->in_flight--;
	if (c->bev) {
		conn_send(c, req->id, result, err);
		/* an answer may unblock a connection paused at its in-flight limit */
		conn_process(c);
	}
	free(req);
	conn_unref(c);
}

/* Handle every complete frame buffered, until the input is empty or the connection must wait. */
static void conn_process(struct fn_conn *c)
{
	struct evbuffer *in;
	struct evbuffer_iovec v;
	struct frame f;
	size_t used;
	enum frame_status st;

	if (c->processing || !c->bev)
		return;
	c->processing = true;
	c->refs++; /* a synchronous answer must not free c under us */
	in = bufferevent_get_input(c->bev);
	while (c->bev && !conn_paused(c)) {
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || !v.iov_len)
			break;
		st = frame_decode(&c->dec, v.iov_base, v.iov_len, &used, &f);
		if (st == FRAME_READY) {
			conn_request(c, f.data, f.len);
		} else if (st == FRAME_OVERSIZE) {
			uint32_t id = 0;

			fn_peek_id(f.data, f.len, &id);
			conn_reject(c, id, "RequestTooLarge", 413,
				    "The request is %u bytes long; the limit is %zu bytes",
				    f.declared, c->dec.max);
		}
		evbuffer_drain(in, used);
		if (st == FRAME_ENOMEM) {
			log_err("native: client #%lu: out of memory for a %u-byte request",
				c->serial, c->dec.want);
			conn_close(c, "out of memory");
		}
	}
	if (c->bev) {
		if (conn_paused(c) || c->eof)
			bufferevent_disable(c->bev, EV_READ);
		else
			bufferevent_enable(c->bev, EV_READ);
	}
	c->processing = false;
	conn_maybe_finish(c);
	conn_unref(c);
}

static void fn_on_read(struct bufferevent *bev, void *arg)
{
	conn_process(arg);
}

/* Output drained below the low-water mark. */
static void fn_on_write(struct bufferevent *bev, void *arg)
{
	struct fn_conn *c = arg;

	c->refs++;
	conn_process(c);
	conn_maybe_finish(c);
	conn_unref(c);
}

static void fn_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct fn_conn *c = arg;
	char why[128];

	if (what & BEV_EVENT_ERROR) {
		snprintf(why, sizeof(why), "%s", strerror(EVUTIL_SOCKET_ERROR()));
		conn_close(c, why);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		/* a half-closed client still gets the answers to what it sent */
		c->eof = true;
		conn_process(c);
	}
}

/* ---- accepting ---- */

/* Tell a connection it cannot be served; the socket is new, so one send() suffices. */
static void fn_refuse(int fd, const char *code, int status, const char *message)
{
	msgpack_sbuffer sb;
	struct op_error err = {.status = status};

	snprintf(err.code, sizeof(err.code), "%s", code);
	snprintf(err.message, sizeof(err.message), "%s", message);
	msgpack_sbuffer_init(&sb);
	if (fn_encode(&sb, 0, NULL, &err) == 0 &&
	    send(fd, sb.data, sb.size, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("native: cannot tell a refused client why: %s", strerror(errno));
	msgpack_sbuffer_destroy(&sb);
	close(fd);
}

static void fn_on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
			 int salen, void *arg)
{
	struct front_native *fn = arg;
	struct ucred cred = {.pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1};
	socklen_t clen = sizeof(cred);
	struct fn_conn *c;
	char msg[128];

	if (fn->quiesced) {
		fn_refuse(fd, "ServiceUnavailable", 503, "The broker is shutting down");
		return;
	}
	if (fn->conf->max_clients && fn->nopen >= fn->conf->max_clients) {
		snprintf(
			msg, sizeof(msg),
			"Too many clients: heraldd serves at most %u connections (socket.max_clients)",
			fn->conf->max_clients);
		log_msg(util_mono_ms() - fn->accept_warned_ms > 10000 ? LOG_WARNING : LOG_DEBUG,
			"native: refusing a client: %u connections open (socket.max_clients)",
			fn->nopen);
		fn->accept_warned_ms = util_mono_ms();
		fn_refuse(fd, "ServiceUnavailable", 503, msg);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->bev = bufferevent_socket_new(fn->base, fd, BEV_OPT_CLOSE_ON_FREE))) {
		free(c);
		log_err("native: out of memory accepting a client");
		close(fd);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
		log_warning("native: cannot read a client's credentials (%s); it may call nothing",
			    strerror(errno));
		c->role = OP_ROLE_NONE;
	} else {
		c->role = fn_role(fn->conf, cred.uid, cred.gid);
	}
	c->fn = fn;
	c->refs = 1;
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->pid = cred.pid;
	c->serial = ++fn->next_serial;
	frame_decoder_init(&c->dec, fn->conf->max_frame);
	TAILQ_INSERT_TAIL(&fn->conns, c, link);
	fn->nopen++;
	bufferevent_setcb(c->bev, fn_on_read, fn_on_write, fn_on_event, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, FN_OUT_LOW, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	log_debug("native: client #%lu connected (uid %u pid %d, role %s)", c->serial,
		  (unsigned int)c->uid, (int)c->pid, role_names[c->role]);
}

static void fn_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct front_native *fn = arg;

	if (!fn->quiesced)
		evconnlistener_enable(fn->lev);
}

/* accept() failed (EMFILE, ENFILE, ENOMEM): back off instead of spinning on the listener. */
static void fn_on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct front_native *fn = arg;
	int e = EVUTIL_SOCKET_ERROR();
	struct timeval tv = {0, 100000};

	if (util_mono_ms() - fn->accept_warned_ms > 10000) {
		log_warning("native: cannot accept clients: %s", strerror(e));
		fn->accept_warned_ms = util_mono_ms();
	}
	evconnlistener_disable(lev);
	evtimer_add(fn->accept_retry, &tv);
}

/* ---- the socket ---- */

/* An existing socket file: remove it if nobody listens; a live one is an error. */
static int fn_clear_stale(const char *path, const struct sockaddr_un *sun, char **err)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0
				       : (*err = util_strdupf("cannot examine %s: %s", path,
							      strerror(errno)),
					  -1);
	if (!S_ISSOCK(st.st_mode)) {
		*err = util_strdupf("%s exists and is not a socket; refusing to replace it", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		*err = util_strdupf("cannot create a socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	if (rc == 0 || errno == EAGAIN || errno == EINPROGRESS) {
		close(fd);
		*err = util_strdupf("another heraldd is listening on %s", path);
		return -1;
	}
	close(fd);
	if (errno != ECONNREFUSED) {
		*err = util_strdupf("cannot check whether %s is in use: %s", path, strerror(errno));
		return -1;
	}
	log_notice("native: removing the stale socket %s", path);
	if (unlink(path) < 0 && errno != ENOENT) {
		*err = util_strdupf("cannot remove the stale socket %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int fn_set_group(const char *path, const char *group, char **err)
{
	struct group gr, *res = NULL;
	char buf[16384];
	int rc = getgrnam_r(group, &gr, buf, sizeof(buf), &res);

	if (!res) {
		*err = util_strdupf("cannot give %s to group \"%s\" (socket.group): %s", path,
				    group, rc ? strerror(rc) : "no such group");
		return -1;
	}
	if (chown(path, (uid_t)-1, gr.gr_gid) < 0) {
		*err = util_strdupf("cannot give %s to group \"%s\" (socket.group): %s", path,
				    group, strerror(errno));
		return -1;
	}
	return 0;
}

static int fn_listen(struct front_native *fn, char **err)
{
	const struct conf *conf = fn->conf;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t len = strlen(conf->socket_path);
	char *dir = NULL, *slash;
	struct stat st;
	int fd = -1, rc;

	if (len == 0 || len >= sizeof(sun.sun_path)) {
		*err = util_strdupf("socket path \"%s\" must be 1 to %zu bytes long",
				    conf->socket_path, sizeof(sun.sun_path) - 1);
		return -1;
	}
	memcpy(sun.sun_path, conf->socket_path, len + 1);
	dir = strdup(conf->socket_path);
	if (!dir)
		goto nomem;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		rc = paths_mkdir_p(dir, 0750);
		if (rc < 0) {
			*err = util_strdupf("cannot create the socket directory %s: %s", dir,
					    strerror(-rc));
			goto fail;
		}
	}
	if (fn_clear_stale(conf->socket_path, &sun, err) < 0)
		goto fail;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		*err = util_strdupf("cannot create a socket: %s", strerror(errno));
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		*err = util_strdupf("cannot bind %s: %s", conf->socket_path, strerror(errno));
		goto fail;
	}
	/* Mode and group are set before listen(): no one connects through a wider mode. */
	if (chmod(conf->socket_path, conf->socket_mode) < 0) {
		*err = util_strdupf("cannot set the mode of %s: %s", conf->socket_path,
				    strerror(errno));
		goto fail_unlink;
	}
	if (conf->socket_group && *conf->socket_group &&
	    fn_set_group(conf->socket_path, conf->socket_group, err) < 0)
		goto fail_unlink;
	if (stat(conf->socket_path, &st) < 0 || listen(fd, SOMAXCONN) < 0) {
		*err = util_strdupf("cannot listen on %s: %s", conf->socket_path, strerror(errno));
		goto fail_unlink;
	}
	fn->dev = st.st_dev;
	fn->ino = st.st_ino;
	fn->lev = evconnlistener_new(fn->base, fn_on_accept, fn,
				     LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (!fn->lev) {
		*err = util_strdupf("cannot listen on %s: out of memory", conf->socket_path);
		goto fail_unlink;
	}
	evconnlistener_set_error_cb(fn->lev, fn_on_accept_error);
	free(dir);
	return 0;
nomem:
	*err = util_strdupf("out of memory");
	goto fail;
fail_unlink:
	unlink(conf->socket_path);
fail:
	if (fd >= 0)
		close(fd);
	free(dir);
	return -1;
}

struct front_native *front_native_start(struct event_base *base, struct api *api,
					const struct conf *conf, char **err)
{
	struct front_native *fn = calloc(1, sizeof(*fn));
	struct sigaction sa;

	*err = NULL;
	if (!fn || !conf->socket_path || !(fn->path = strdup(conf->socket_path)))
		goto nomem;
	fn->base = base;
	fn->api = api;
	fn->conf = conf;
	TAILQ_INIT(&fn->conns);
	msgpack_sbuffer_init(&fn->sb);
	fn->accept_retry = evtimer_new(base, fn_accept_resume, fn);
	if (!fn->accept_retry)
		goto nomem;
	/* A client that goes away must not kill the daemon through SIGPIPE. */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	if (fn_listen(fn, err) < 0)
		goto fail;
	log_info("native: listening on %s", fn->path);
	return fn;
nomem:
	if (!*err)
		*err = util_strdupf(conf->socket_path ? "out of memory"
						      : "no socket path configured");
fail:
	if (fn) {
		if (fn->accept_retry)
			event_free(fn->accept_retry);
		msgpack_sbuffer_destroy(&fn->sb);
		free(fn->path);
		free(fn);
	}
	return NULL;
}

void front_native_set_conf(struct front_native *fn, const struct conf *conf)
{
	struct fn_conn *c;

	fn->conf = conf;
	TAILQ_FOREACH(c, &fn->conns, link)
	{
		if (!c->bev)
			continue;
		frame_decoder_set_max(&c->dec, conf->max_frame);
		if (c->uid != (uid_t)-1)
			c->role = fn_role(conf, c->uid, c->gid);
	}
}

void front_native_quiesce(struct front_native *fn)
{
	struct fn_conn *c;

	fn->quiesced = true;
	evconnlistener_disable(fn->lev);
	evtimer_del(fn->accept_retry);
	TAILQ_FOREACH(c, &fn->conns, link)
	if (c->bev)
		bufferevent_disable(c->bev, EV_READ);
}

unsigned int front_native_in_flight(const struct front_native *fn)
{
	return fn->in_flight;
}

void front_native_free(struct front_native *fn)
{
	struct fn_conn *c;
	struct stat st;

	if (!fn)
		return;
	evconnlistener_free(fn->lev);
	event_free(fn->accept_retry);
	/* Remove the socket only if it is still ours and not a successor's. */
	if (stat(fn->path, &st) == 0 && st.st_dev == fn->dev && st.st_ino == fn->ino)
		unlink(fn->path);
	while ((c = TAILQ_FIRST(&fn->conns))) {
		TAILQ_REMOVE(&fn->conns, c, link);
		c->fn = NULL;
		/* with answers pending, c lives on until they arrive and are dropped */
		if (c->bev) {
			log_debug("native: client #%lu disconnected (shutting down)", c->serial);
			bufferevent_free(c->bev);
			c->bev = NULL;
			conn_unref(c);
		}
	}
	msgpack_sbuffer_destroy(&fn->sb);
	free(fn->path);
	free(fn);
}
