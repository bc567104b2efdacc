/*
 * Emulated WNS and its token endpoint; see wns.h.  Answers carry no body:
 * the outcome is in the status and the X-WNS-* headers (providers.md §4.3),
 * with both spellings of the notification status.  Runs on the event loop.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "emulator/bearer.h"
#include "emulator/h2.h"
#include "emulator/wns.h"

struct wns_server {
	const struct emu_config *cfg;
	struct emu_state *st;
	struct h2_server *h2;
	struct bearer_store *tokens;
	struct bearer_store *entra_tokens; /* issued by the Entra endpoint */
};

static int oauth_fail(struct wns_oauth_error *e, const char *error, const char *desc)
{
	*e = (struct wns_oauth_error){400, error, desc};
	return -1;
}

int wns_check_token(const struct emu_config *cfg, const char *grant_type, const char *scope,
		    const char *client_id, const char *client_secret, struct wns_oauth_error *e)
{
	if (!grant_type || strcmp(grant_type, "client_credentials") != 0)
		return oauth_fail(
			e, "unsupported_grant_type",
			"The provided value for the input parameter 'grant_type' is not valid.");
	if (!client_id || !client_secret || !cfg->wns_sid[0] ||
	    strcmp(client_id, cfg->wns_sid) != 0 || strcmp(client_secret, cfg->wns_secret) != 0)
		return oauth_fail(e, "invalid_client", "Invalid client id or client secret.");
	if (!scope ||
	    (strcmp(scope, "notify.windows.com") != 0 && strcmp(scope, "s.notify.live.net") != 0))
		return oauth_fail(
			e, "invalid_scope",
			"The provided value for the input parameter 'scope' is not valid.");
	return 0;
}

int wns_check_entra_token(const struct emu_config *cfg, const char *path, const char *grant_type,
			  const char *scope, const char *client_id, const char *client_secret,
			  struct wns_oauth_error *e)
{
	size_t n = path && path[0] == '/' ? strcspn(path + 1, "/") : 0;

	if (!grant_type || strcmp(grant_type, "client_credentials") != 0)
		return oauth_fail(e, "unsupported_grant_type",
				  "The provided value for the 'grant_type' is not valid.");
	if (!cfg->wns_entra_tenant[0] || n != strlen(cfg->wns_entra_tenant) ||
	    strncasecmp(path + 1, cfg->wns_entra_tenant, n) != 0)
		return oauth_fail(e, "invalid_request",
				  "Tenant not found: the token URL must name the emulator's "
				  "wns.entra_tenant_id.");
	if (!client_id || !client_secret || !cfg->wns_entra_client_id[0] ||
	    strcmp(client_id, cfg->wns_entra_client_id) != 0 ||
	    strcmp(client_secret, cfg->wns_entra_secret) != 0) {
		*e = (struct wns_oauth_error){401, "invalid_client",
					      "Invalid client secret provided."};
		return -1;
	}
	if (!scope || strcmp(scope, WNS_ENTRA_SCOPE) != 0)
		return oauth_fail(
			e, "invalid_scope",
			"The provided value for the input parameter 'scope' is not valid.");
	return 0;
}

int wns_entra_path(const char *path)
{
	static const char suffix[] = "/oauth2/v2.0/token";
	size_t n;

	if (!path || path[0] != '/')
		return 0;
	n = strcspn(path + 1, "/");
	if (n == 0 || n > WNS_MAX_TENANT || strcmp(path + 1 + n, suffix) != 0)
		return 0;
	for (size_t i = 1; i <= n; i++)
		if (!isalnum((unsigned char)path[i]) && path[i] != '-' && path[i] != '.')
			return 0;
	return 1;
}

static int is_bool(const char *v)
{
	return strcasecmp(v, "true") == 0 || strcasecmp(v, "false") == 0;
}

static int tag_ok(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > WNS_MAX_TAG)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]))
			return 0;
	return 1;
}

/* content_type's media type (before any ';' parameters) equals want, ignoring case. */
static int media_is(const char *content_type, const char *want)
{
	size_t n = strlen(want);

	if (!content_type || strncasecmp(content_type, want, n) != 0)
		return 0;
	content_type += n;
	while (*content_type == ' ')
		content_type++;
	return *content_type == '\0' || *content_type == ';';
}

/* The payload's root element is <root ...>, after an optional BOM, XML declaration and space. */
static int xml_root_is(const char *body, size_t len, const char *root)
{
	const char *p = body, *end = body + len;
	size_t n = strlen(root);

	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (end - p >= 5 && memcmp(p, "<?xml", 5) == 0) {
		const char *q = memchr(p, '>', (size_t)(end - p));

		if (!q)
			return 0;
		p = q + 1;
		while (p < end && isspace((unsigned char)*p))
			p++;
	}
	return (size_t)(end - p) > n + 1 && p[0] == '<' && memcmp(p + 1, root, n) == 0 &&
	       (p[n + 1] == '>' || p[n + 1] == '/' || isspace((unsigned char)p[n + 1]));
}

int wns_check_notification(const struct wns_request *r, const char **why)
{
	static const char *const types[] = {"wns/toast", "wns/tile", "wns/badge", "wns/raw"};
	size_t t;

	for (t = 0; r->type && t < 4 && strcmp(r->type, types[t]) != 0; t++)
		;
	if (!r->type || t == 4) {
		*why = "X-WNS-Type must be wns/toast, wns/tile, wns/badge or wns/raw";
		return 400;
	}
	if (r->entra && (t == 1 || t == 2)) {
		*why = "Windows App SDK apps (Entra tokens) get only wns/toast and wns/raw";
		return 400;
	}
	if (t == 3 ? !media_is(r->content_type, "application/octet-stream")
		   : !media_is(r->content_type, "text/xml")) {
		*why = t == 3 ? "Content-Type must be application/octet-stream for wns/raw"
			      : "Content-Type must be text/xml for toast, tile and badge";
		return 400;
	}
	if (r->cache_policy && (t == 0 || (strcasecmp(r->cache_policy, "cache") != 0 &&
					   strcasecmp(r->cache_policy, "no-cache") != 0))) {
		*why = "X-WNS-Cache-Policy must be cache or no-cache, on tile, badge and raw only";
		return 400;
	}
	if ((r->request_for_status && !is_bool(r->request_for_status)) ||
	    (r->suppress_popup && !is_bool(r->suppress_popup))) {
		*why = "X-WNS-RequestForStatus and X-WNS-SuppressPopup must be true or false";
		return 400;
	}
	if ((r->tag && !tag_ok(r->tag)) || (r->group && !tag_ok(r->group))) {
		*why = "X-WNS-Tag and X-WNS-Group must be 1 to 16 alphanumeric characters";
		return 400;
	}
	if (r->ttl) {
		char *end;
		long long v = strtoll(r->ttl, &end, 10);

		if (end == r->ttl || *end || v < 0 || !isdigit((unsigned char)r->ttl[0])) {
			*why = "X-WNS-TTL must be a non-negative integer of seconds";
			return 400;
		}
	}
	if (r->match) {
		*why = "X-WNS-Match is for DELETE requests only";
		return 400;
	}
	if (r->body_len > WNS_MAX_PAYLOAD) {
		*why = "The payload exceeds 5000 bytes";
		return 413;
	}
	if (t < 3 && !xml_root_is(r->body, r->body_len, types[t] + 4)) {
		*why = "The payload is not the XML the notification type needs";
		return 400;
	}
	return 0;
}

/* ---- the server ------------------------------------------------------------- */

static void respond(struct wns_server *srv, struct h2_req *req, const char *channel, int status,
		    const char *notification_status, const char *why, int retry_after,
		    int want_device_status, unsigned delay_ms)
{
	const char *cv = h2_req_header(req, "ms-cv", NULL);
	struct h2_out_header h[8];
	char msg_id[17], trace[40], cvbuf[40], retry[16];
	size_t n = 0;

	bearer_random_hex(msg_id, 8);
	snprintf(trace, sizeof(trace), "EMU-%s", msg_id);
	if (!cv) {
		bearer_random_hex(cvbuf, 8);
		cv = cvbuf;
	}
	if (notification_status) {
		h[n++] = (struct h2_out_header){"x-wns-status", notification_status};
		h[n++] = (struct h2_out_header){"x-wns-notificationstatus", notification_status};
	}
	if (want_device_status)
		h[n++] = (struct h2_out_header){"x-wns-deviceconnectionstatus", "connected"};
	h[n++] = (struct h2_out_header){"x-wns-msg-id", msg_id};
	h[n++] = (struct h2_out_header){"x-wns-debug-trace", trace};
	h[n++] = (struct h2_out_header){"ms-cv", cv};
	if (why)
		h[n++] = (struct h2_out_header){"x-wns-error-description", why};
	if (retry_after >= 0) {
		snprintf(retry, sizeof(retry), "%d", retry_after);
		h[n++] = (struct h2_out_header){"retry-after", retry};
	}
	state_record(srv->st, EMU_WNS, channel, req, status,
		     status == 200 ? notification_status : why);
	h2_respond(req, status, h, n, NULL, 0, delay_ms);
}

/* A token request: login.live.com's (entra 0) or Microsoft Entra's (entra 1) at path. */
static void handle_token(struct wns_server *srv, struct h2_req *req, const char *path, int entra)
{
	static const struct h2_out_header no_store = {"cache-control", "no-store"};
	struct wns_oauth_error e = {0};
	struct evkeyvalq form;
	char access[128];
	json_t *obj = NULL;
	int rc;

	TAILQ_INIT(&form);
	if (evhttp_parse_query_str(req->body, &form) != 0) {
		oauth_fail(&e, "invalid_request", "The request body is not form-encoded.");
		goto out;
	}
	if (entra)
		rc = wns_check_entra_token(srv->cfg, path, evhttp_find_header(&form, "grant_type"),
					   evhttp_find_header(&form, "scope"),
					   evhttp_find_header(&form, "client_id"),
					   evhttp_find_header(&form, "client_secret"), &e);
	else
		rc = wns_check_token(srv->cfg, evhttp_find_header(&form, "grant_type"),
				     evhttp_find_header(&form, "scope"),
				     evhttp_find_header(&form, "client_id"),
				     evhttp_find_header(&form, "client_secret"), &e);
	if (rc != 0)
		goto out;
	if (bearer_issue(entra ? srv->entra_tokens : srv->tokens, entra ? "eyJ0eXAi" : "EgA",
			 entra ? WNS_ENTRA_LIFETIME : WNS_TOKEN_LIFETIME, access,
			 sizeof(access)) != 0)
		e = (struct wns_oauth_error){500, "server_error", "Internal failure."};
	else if (entra)
		obj = json_pack("{s:s, s:i, s:i, s:s}", "token_type", "Bearer", "expires_in",
				WNS_ENTRA_LIFETIME, "ext_expires_in", WNS_ENTRA_LIFETIME,
				"access_token", access);
	else
		obj = json_pack("{s:s, s:s, s:i}", "access_token", access, "token_type", "bearer",
				"expires_in", WNS_TOKEN_LIFETIME);
out:
	if (!obj)
		obj = json_pack("{s:s, s:s}", "error", e.error, "error_description", e.description);
	state_record(srv->st, EMU_WNS_OAUTH, NULL, req, e.http ? e.http : 200, e.error);
	bearer_respond_json(req, e.http ? e.http : 200, obj, &no_store, 1, 0);
	evhttp_clear_headers(&form);
	json_decref(obj);
}

static void handle_notification(struct wns_server *srv, struct h2_req *req, const char *method,
				const char *channel)
{
	struct wns_request r = {
		.type = h2_req_header(req, "x-wns-type", NULL),
		.content_type = h2_req_header(req, "content-type", NULL),
		.cache_policy = h2_req_header(req, "x-wns-cache-policy", NULL),
		.request_for_status = h2_req_header(req, "x-wns-requestforstatus", NULL),
		.tag = h2_req_header(req, "x-wns-tag", NULL),
		.group = h2_req_header(req, "x-wns-group", NULL),
		.ttl = h2_req_header(req, "x-wns-ttl", NULL),
		.suppress_popup = h2_req_header(req, "x-wns-suppresspopup", NULL),
		.match = h2_req_header(req, "x-wns-match", NULL),
		.body = req->body,
		.body_len = req->body_total,
	};
	struct emu_rule rule = {.retry_after = -1};
	const char *why = NULL, *authorization = h2_req_header(req, "authorization", NULL);
	int status, want = r.request_for_status && strcasecmp(r.request_for_status, "true") == 0;

	if (strcmp(method, "POST") != 0 && strcmp(method, "DELETE") != 0) {
		respond(srv, req, channel, 405, NULL, "Only POST (and DELETE) are allowed", -1, 0,
			0);
		return;
	}
	r.entra = !bearer_check(srv->tokens, authorization) &&
		  bearer_check(srv->entra_tokens, authorization);
	if (!r.entra && !bearer_check(srv->tokens, authorization)) {
		respond(srv, req, channel, 401, NULL,
			"The access token is missing, invalid or expired", -1, 0, 0);
		return;
	}
	if (strcmp(method, "DELETE") == 0) {
		/* Phone action center: type:wns/toast;all, or ;group=G / ;tag=T (with or without the type). */
		status = r.match && (strncmp(r.match, "type:wns/toast;", 15) == 0 ||
				     r.match[0] == ';')
				 ? 200
				 : 400;
		respond(srv, req, channel, status, status == 200 ? "received" : NULL,
			status == 200 ? NULL : "DELETE needs a valid X-WNS-Match", -1, 0, 0);
		return;
	}
	status = wns_check_notification(&r, &why);
	if (status) {
		respond(srv, req, channel, status, NULL, why, -1, 0, 0);
		return;
	}
	if (state_rule(srv->st, EMU_WNS, channel, &rule)) {
		if (rule.status >= 300) {
			respond(srv, req, channel, rule.status,
				rule.status == 404 || rule.status == 410 ? "dropped" : NULL,
				rule.reason[0]	     ? rule.reason
				: rule.status == 410 ? "The channel expired"
				: rule.status == 404 ? "The channel URI is not valid"
						     : "Scripted failure",
				rule.retry_after, 0, rule.delay_ms);
			return;
		}
		/* A 200 rule's reason is the notification status: dropped or channelthrottled. */
		respond(srv, req, channel, 200, rule.reason[0] ? rule.reason : "received", NULL,
			rule.retry_after, want, rule.delay_ms);
		return;
	}
	respond(srv, req, channel, 200, "received", NULL, -1, want, 0);
}

static void on_request(struct h2_req *req, void *arg)
{
	struct wns_server *srv = arg;
	const char *method = h2_req_header(req, ":method", NULL);
	const char *path = h2_req_header(req, ":path", NULL), *channel = NULL;
	struct evkeyvalq q;

	if (!method || !path) {
		respond(srv, req, NULL, 400, NULL, "Malformed request", -1, 0, 0);
		return;
	}
	if (strcmp(path, "/accesstoken.srf") == 0) {
		if (strcmp(method, "POST") == 0)
			handle_token(srv, req, path, 0);
		else
			respond(srv, req, NULL, 405, NULL, "Only POST is allowed", -1, 0, 0);
		return;
	}
	if (wns_entra_path(path)) {
		if (strcmp(method, "POST") == 0)
			handle_token(srv, req, path, 1);
		else
			respond(srv, req, NULL, 405, NULL, "Only POST is allowed", -1, 0, 0);
		return;
	}
	TAILQ_INIT(&q);
	if (strncmp(path, "/?", 2) == 0 && evhttp_parse_query_str(path + 2, &q) == 0)
		channel = evhttp_find_header(&q, "token");
	if (!channel || !*channel || strlen(channel) > WNS_MAX_CHANNEL)
		respond(srv, req, channel, 404, NULL, "The channel URI is not valid", -1, 0, 0);
	else
		handle_notification(srv, req, method, channel);
	evhttp_clear_headers(&q);
}

struct wns_server *wns_server_new(struct event_base *base, const struct emu_config *cfg,
				  struct emu_state *st, int port, char *err, size_t errlen)
{
	struct wns_server *srv = calloc(1, sizeof(*srv));
	struct h2_server_opts opts = {
		.max_streams = 100,
		.max_body = WNS_MAX_PAYLOAD + 1,
		.on_request = on_request,
		.http1 = 1,
	};

	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->cfg = cfg;
	srv->st = st;
	srv->tokens = bearer_store_new();
	srv->entra_tokens = bearer_store_new();
	if (!srv->tokens || !srv->entra_tokens) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	opts.cert_file = cfg->cert_file;
	opts.key_file = cfg->key_file;
	opts.arg = srv;
	srv->h2 = h2_server_new(base, port, &opts, err, errlen);
	if (!srv->h2)
		goto fail;
	return srv;
fail:
	wns_server_free(srv);
	return NULL;
}

int wns_server_port(const struct wns_server *srv)
{
	return h2_server_port(srv->h2);
}

void wns_server_revoke_tokens(struct wns_server *srv)
{
	bearer_revoke_all(srv->tokens);
	bearer_revoke_all(srv->entra_tokens);
}

void wns_server_free(struct wns_server *srv)
{
	if (!srv)
		return;
	h2_server_free(srv->h2);
	bearer_store_free(srv->tokens);
	bearer_store_free(srv->entra_tokens);
	free(srv);
}
