/*
 * One notification as one HTTP/1.1 request, with the bearer token and its
 * single refresh on 401; see h1send.h.  Loop thread only.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "plugins/common/drvutil.h"
#include "plugins/common/h1send.h"

struct h1_send {
	struct h1_client *c;
	uint64_t send_id;
	char *method, *url;
	struct herald_http_header headers[H1_MAX_HEADERS + 1]; /* + Authorization */
	size_t n_headers;
	char *body;
	size_t body_len;
	char *auth;  /* "Bearer <token>" of the current attempt: SECRET */
	char *token; /* the access token of the current attempt: SECRET */
	void *data;
	void (*data_free)(void *);
	bool refreshed; /* a 401 already made us fetch a new token */
	bool starting;	/* inside h1_send_start() */
	bool finished;	/* reported (or dropped) while starting */
	int start_rc;	/* refused while starting */
};

void h1_client_init(struct h1_client *c, const struct herald_host *host, struct herald_app *app,
		    struct herald_http_pool *pool, struct herald_oauth *oauth, h1_map_fn map,
		    void *map_arg)
{
	*c = (struct h1_client){.host = host,
				.app = app,
				.pool = pool,
				.oauth = oauth,
				.map = map,
				.map_arg = map_arg};
}

void h1_client_close(struct h1_client *c)
{
	c->closing = true;
	/* Both cancel what waits on them, from within: the callbacks free those sends. */
	if (c->oauth)
		c->host->oauth_free(c->oauth);
	if (c->pool)
		c->host->http_pool_free(c->pool);
	c->oauth = NULL;
	c->pool = NULL;
}

struct h1_send *h1_send_new(struct h1_client *c, uint64_t send_id, const char *method,
			    const char *url, void *data, void (*data_free)(void *))
{
	struct h1_send *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->c = c;
	s->send_id = send_id;
	s->data = data;
	s->data_free = data_free;
	s->method = strdup(method);
	s->url = strdup(url);
	if (!s->method || !s->url) {
		h1_send_free(s);
		return NULL;
	}
	return s;
}

int h1_send_header(struct h1_send *s, const char *name, const char *value)
{
	char *n, *v;

	if (s->n_headers >= H1_MAX_HEADERS)
		return HERALD_EINVAL;
	n = strdup(name);
	v = strdup(value);
	if (!n || !v) {
		free(n);
		free(v);
		return HERALD_ENOMEM;
	}
	s->headers[s->n_headers++] = (struct herald_http_header){n, v};
	return 0;
}

void h1_send_body_take(struct h1_send *s, char *body, size_t len)
{
	free(s->body);
	s->body = body;
	s->body_len = len;
}

void h1_send_free(struct h1_send *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_headers; i++) {
		free((char *)s->headers[i].name);
		free((char *)s->headers[i].value);
	}
	if (s->data_free)
		s->data_free(s->data);
	drv_free_secret(s->auth);
	drv_free_secret(s->token);
	free(s->method);
	free(s->url);
	free(s->body);
	free(s);
}

void *h1_send_data(const struct h1_send *s)
{
	return s->data;
}

uint64_t h1_send_id(const struct h1_send *s)
{
	return s->send_id;
}

const char *h1_outcome_name(int kind)
{
	switch (kind) {
	case HERALD_OUTCOME_DELIVERED:
		return "delivered";
	case HERALD_OUTCOME_TOKEN_INVALID:
		return "token_invalid";
	case HERALD_OUTCOME_TOKEN_REPLACED:
		return "token_replaced";
	case HERALD_OUTCOME_RETRY:
		return "retry";
	case HERALD_OUTCOME_CREDENTIAL_ERROR:
		return "credential_error";
	case HERALD_OUTCOME_PAYLOAD_REJECTED:
		return "payload_rejected";
	default:
		return "unknown";
	}
}

/* The send is over: free it, unless h1_send_start() is still using it (it frees it then). */
static void finish(struct h1_send *s)
{
	if (s->starting)
		s->finished = true;
	else
		h1_send_free(s);
}

static void report(struct h1_send *s, const struct herald_outcome *o)
{
	struct h1_client *c = s->c;

	c->host->counter_add(c->app, h1_outcome_name(o->kind), 1);
	c->host->send_done(c->app, s->send_id, o);
	finish(s);
}

/* Report kind with a text response (borrowed for the call), with a log line saying why. */
static void report_text(struct h1_send *s, int kind, int status, const char *text)
{
	struct herald_outcome o = {
		.size = sizeof(o),
		.kind = kind,
		.invalid_since_ms = -1,
		.retry_after_ms = -1,
		.status = status,
		.response = text,
		.response_len = text ? strlen(text) : 0,
	};

	s->c->host->log(s->c->app,
			kind == HERALD_OUTCOME_CREDENTIAL_ERROR ? HERALD_LOG_WARNING
								: HERALD_LOG_INFO,
			"send %llu: %s (status %d): %s", (unsigned long long)s->send_id,
			h1_outcome_name(kind), status, text ? text : "");
	report(s, &o);
}

void h1_report(struct h1_client *c, uint64_t send_id, int kind, const char *why)
{
	struct herald_outcome o = {
		.size = sizeof(o),
		.kind = kind,
		.invalid_since_ms = -1,
		.retry_after_ms = -1,
		.response = why,
		.response_len = strlen(why),
	};

	c->host->log(c->app, HERALD_LOG_INFO, "send %llu: %s: %s", (unsigned long long)send_id,
		     h1_outcome_name(kind), why);
	c->host->counter_add(c->app, h1_outcome_name(kind), 1);
	c->host->send_done(c->app, send_id, &o);
}

/* The attempt could not be started: refuse the send if still in send(), else retry later. */
static void refused(struct h1_send *s, int rc, const char *what)
{
	if (s->starting) {
		s->start_rc = rc < 0 ? rc : HERALD_EIO;
		s->finished = true;
		return;
	}
	report_text(s, HERALD_OUTCOME_RETRY, 0, what);
}

static void on_http(struct herald_app *app, void *arg, const struct herald_http_response *res);
static void on_token(struct herald_app *app, void *arg, const char *access_token, int status,
		     const char *error);

static void attempt(struct h1_send *s)
{
	struct h1_client *c = s->c;
	int rc;

	if (!c->oauth) {
		on_token(c->app, s, NULL, 0, NULL);
		return;
	}
	rc = c->host->oauth_token(c->oauth, on_token, s);
	if (rc < 0)
		refused(s, rc, "the token service refused the request");
}

static void on_token(struct herald_app *app, void *arg, const char *access_token, int status,
		     const char *error)
{
	struct h1_send *s = arg;
	struct h1_client *c = s->c;
	struct herald_http_request req = {.size = sizeof(req)};
	size_t n = s->n_headers;
	int rc;

	if (c->closing) {
		finish(s);
		return;
	}
	if (c->oauth && !access_token) {
		report_text(s,
			    status == 400 || status == 401 ? HERALD_OUTCOME_CREDENTIAL_ERROR
							   : HERALD_OUTCOME_RETRY,
			    status, error ? error : "no access token");
		return;
	}
	if (access_token) {
		size_t len = strlen(access_token);

		drv_free_secret(s->auth);
		drv_free_secret(s->token);
		s->token = strdup(access_token);
		s->auth = malloc(len + sizeof("Bearer "));
		if (!s->token || !s->auth) {
			refused(s, HERALD_ENOMEM, "out of memory");
			return;
		}
		memcpy(s->auth, "Bearer ", 7);
		memcpy(s->auth + 7, access_token, len + 1);
		s->headers[n++] = (struct herald_http_header){"Authorization", s->auth};
	}
	req.method = s->method;
	req.url = s->url;
	req.headers = s->headers;
	req.n_headers = n;
	req.body = s->body;
	req.body_len = s->body_len;
	rc = c->host->http_request(c->pool, &req, on_http, s);
	if (rc < 0)
		refused(s, rc, "the HTTP client refused the request");
}

static void on_http(struct herald_app *app, void *arg, const struct herald_http_response *res)
{
	struct h1_send *s = arg;
	struct h1_client *c = s->c;
	struct herald_outcome o = {
		.size = sizeof(o),
		.invalid_since_ms = -1,
		.retry_after_ms = -1,
		.status = res->status,
		.response = (const char *)res->body,
		.response_len = res->body_len,
	};

	if (c->closing) {
		finish(s);
		return;
	}
	if (res->status == 0) {
		report_text(s, HERALD_OUTCOME_RETRY, 0, res->error ? res->error : "no answer");
		return;
	}
	if (res->status == 401 && c->oauth && !s->refreshed) {
		s->refreshed = true;
		c->host->oauth_invalidate(c->oauth, s->token);
		c->host->counter_add(c->app, "token_refreshes", 1);
		attempt(s);
		return;
	}
	c->map(c->map_arg, s, res, &o);
	report(s, &o);
}

int h1_send_start(struct h1_send *s)
{
	int rc;

	s->starting = true;
	attempt(s);
	s->starting = false;
	rc = s->start_rc;
	if (s->finished)
		h1_send_free(s);
	return rc;
}
