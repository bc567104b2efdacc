/* Control and inspection API, server and client; see control.h. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "emulator/control.h"
#include "emulator/faults.h"

struct control {
	struct evhttp *http;
	struct emu_state *st;
	struct fcm_server *fcm;
	struct adm_server *adm;
	struct wns_server *wns;
	int port;
};

void control_set_token_servers(struct control *c, struct adm_server *adm, struct wns_server *wns)
{
	c->adm = adm;
	c->wns = wns;
}

static void reply_json(struct evhttp_request *req, int code, json_t *obj)
{
	struct evbuffer *buf = evbuffer_new();
	char *text = obj ? json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;

	json_decref(obj);
	if (!buf || !text) {
		evhttp_send_error(req, 500, "out of memory");
		goto out;
	}
	evbuffer_add(buf, text, strlen(text));
	evbuffer_add(buf, "\n", 1);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	evhttp_send_reply(req, code, code == 200 ? "OK" : "Bad Request", buf);
out:
	if (buf)
		evbuffer_free(buf);
	free(text);
}

static void reply_error(struct evhttp_request *req, int code, const char *message)
{
	reply_json(req, code, json_pack("{s:s}", "error", message));
}

static void get_requests(struct control *c, struct evhttp_request *req)
{
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct evkeyvalq q;
	const char *prov, *token, *limit;
	int p = -1;
	long lim = 0;
	char *end;
	json_t *list;

	TAILQ_INIT(&q);
	if (query && evhttp_parse_query_str(query, &q) != 0) {
		reply_error(req, 400, "malformed query string");
		return;
	}
	prov = evhttp_find_header(&q, "provider");
	token = evhttp_find_header(&q, "token");
	limit = evhttp_find_header(&q, "limit");
	if (prov && (p = state_provider_parse(prov)) < 0) {
		reply_error(
			req, 400,
			"provider must be apns, fcm, oauth, fcm-legacy, adm, adm-oauth, wns, wns-oauth, baidu or mpns");
		goto out;
	}
	if (limit) {
		lim = strtol(limit, &end, 10);
		if (*end || lim < 0 || end == limit) {
			reply_error(req, 400, "limit must be a non-negative integer");
			goto out;
		}
	}
	list = state_query(c->st, p, token, (size_t)lim);
	reply_json(req, 200, list ? json_pack("{s:o}", "requests", list) : NULL);
out:
	evhttp_clear_headers(&q);
}

static json_t *read_body(struct evhttp_request *req, char *err, size_t errlen)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	json_error_t jerr;
	json_t *v;

	if (len > CONTROL_MAX_BODY) {
		snprintf(err, errlen, "body larger than %d bytes", CONTROL_MAX_BODY);
		return NULL;
	}
	v = json_loadb((const char *)evbuffer_pullup(in, (ssize_t)len), len, JSON_REJECT_DUPLICATES,
		       &jerr);
	if (!v)
		snprintf(err, errlen, "body is not JSON: %s (line %d)", jerr.text, jerr.line);
	return v;
}

static void put_rules(struct control *c, struct evhttp_request *req)
{
	char err[256];
	json_t *body = read_body(req, err, sizeof(err)), *rules;

	if (!body) {
		reply_error(req, 400, err);
		return;
	}
	rules = json_is_object(body) ? json_object_get(body, "rules") : body;
	if (state_set_rules(c->st, rules, err, sizeof(err)) != 0)
		reply_error(req, 400, err);
	else
		reply_json(req, 200,
			   json_pack("{s:I}", "rules", (json_int_t)json_array_size(rules)));
	json_decref(body);
}

static void put_faults(struct control *c, struct evhttp_request *req)
{
	char err[256];
	json_t *body = read_body(req, err, sizeof(err));

	if (!body) {
		reply_error(req, 400, err);
		return;
	}
	if (faults_set(state_faults(c->st), body, err, sizeof(err)) != 0)
		reply_error(req, 400, err);
	else
		reply_json(req, 200,
			   json_pack("{s:o}", "faults", faults_json(state_faults(c->st))));
	json_decref(body);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct control *c = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type m = evhttp_request_get_command(req);

	if (!path) {
		reply_error(req, 404, "no such resource");
	} else if (strcmp(path, "/v1/requests") == 0 && m == EVHTTP_REQ_GET) {
		get_requests(c, req);
	} else if (strcmp(path, "/v1/count") == 0 && m == EVHTTP_REQ_GET) {
		reply_json(req, 200, state_counts(c->st));
	} else if (strcmp(path, "/v1/reset") == 0 && m == EVHTTP_REQ_POST) {
		state_reset(c->st);
		reply_json(req, 200, json_pack("{s:b}", "reset", 1));
	} else if (strcmp(path, "/v1/rules") == 0 && m == EVHTTP_REQ_GET) {
		reply_json(req, 200, json_pack("{s:O}", "rules", state_rules(c->st)));
	} else if (strcmp(path, "/v1/rules") == 0 && m == EVHTTP_REQ_PUT) {
		put_rules(c, req);
	} else if (strcmp(path, "/v1/faults") == 0 && m == EVHTTP_REQ_GET) {
		reply_json(req, 200,
			   json_pack("{s:o}", "faults", faults_json(state_faults(c->st))));
	} else if (strcmp(path, "/v1/faults") == 0 && m == EVHTTP_REQ_PUT) {
		put_faults(c, req);
	} else if (strcmp(path, "/v1/fcm/revoke") == 0 && m == EVHTTP_REQ_POST && c->fcm) {
		fcm_server_revoke_tokens(c->fcm);
		reply_json(req, 200, json_pack("{s:b}", "revoked", 1));
	} else if (strcmp(path, "/v1/adm/revoke") == 0 && m == EVHTTP_REQ_POST && c->adm) {
		adm_server_revoke_tokens(c->adm);
		reply_json(req, 200, json_pack("{s:b}", "revoked", 1));
	} else if (strcmp(path, "/v1/wns/revoke") == 0 && m == EVHTTP_REQ_POST && c->wns) {
		wns_server_revoke_tokens(c->wns);
		reply_json(req, 200, json_pack("{s:b}", "revoked", 1));
	} else {
		reply_error(req, 404, "no such resource or method");
	}
}

struct control *control_new(struct event_base *base, int port, struct emu_state *st,
			    struct fcm_server *fcm, char *err, size_t errlen)
{
	struct control *c = calloc(1, sizeof(*c));
	struct evhttp_bound_socket *bound;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (!c || !(c->http = evhttp_new(base))) {
		snprintf(err, errlen, "out of memory");
		free(c);
		return NULL;
	}
	c->st = st;
	c->fcm = fcm;
	evhttp_set_allowed_methods(c->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT);
	evhttp_set_max_body_size(c->http, CONTROL_MAX_BODY);
	evhttp_set_gencb(c->http, on_request, c);
	bound = evhttp_bind_socket_with_handle(c->http, "127.0.0.1", (ev_uint16_t)port);
	if (!bound ||
	    getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&sin, &len) != 0) {
		snprintf(err, errlen, "cannot listen on 127.0.0.1:%d", port);
		control_free(c);
		return NULL;
	}
	c->port = ntohs(sin.sin_port);
	return c;
}

int control_port(const struct control *c)
{
	return c->port;
}

void control_free(struct control *c)
{
	if (!c)
		return;
	if (c->http)
		evhttp_free(c->http);
	free(c);
}

/* ---- client ---------------------------------------------------------------- */

struct call {
	struct event_base *base;
	int status;
	char *body;
};

static void on_response(struct evhttp_request *req, void *arg)
{
	struct call *call = arg;
	struct evbuffer *in;
	size_t len;

	/* The connection would keep the loop alive; one answer is all we want. */
	event_base_loopexit(call->base, NULL);
	if (!req)
		return; /* connection failed; status stays 0 */
	call->status = evhttp_request_get_response_code(req);
	in = evhttp_request_get_input_buffer(req);
	len = evbuffer_get_length(in);
	call->body = malloc(len + 1);
	if (call->body) {
		evbuffer_remove(in, call->body, len);
		call->body[len] = '\0';
	}
}

int control_call(int port, const char *method, const char *path, const char *body, char **response,
		 char *err, size_t errlen)
{
	struct event_base *base = event_base_new();
	struct evhttp_connection *conn = NULL;
	struct evhttp_request *req;
	struct call call = {0};
	enum evhttp_cmd_type cmd = strcmp(method, "PUT") == 0	 ? EVHTTP_REQ_PUT
				   : strcmp(method, "POST") == 0 ? EVHTTP_REQ_POST
								 : EVHTTP_REQ_GET;

	*response = NULL;
	call.base = base;
	if (!base || port <= 0 || port > 65535 ||
	    !(conn = evhttp_connection_base_new(base, NULL, "127.0.0.1", (ev_uint16_t)port))) {
		snprintf(err, errlen, "cannot set up a connection to 127.0.0.1:%d", port);
		goto out;
	}
	evhttp_connection_set_timeout(conn, 10);
	req = evhttp_request_new(on_response, &call);
	if (!req)
		goto out;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "127.0.0.1");
	if (body) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
				  "application/json");
		evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
	}
	if (evhttp_make_request(conn, req, cmd, path) != 0) {
		snprintf(err, errlen, "cannot send the request");
		goto out;
	}
	event_base_dispatch(base);
	if (call.status == 0)
		snprintf(err, errlen, "no answer from the emulator's control API on 127.0.0.1:%d",
			 port);
	*response = call.body;
out:
	if (conn)
		evhttp_connection_free(conn);
	if (base)
		event_base_free(base);
	return call.status;
}
