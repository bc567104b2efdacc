/*
 * herald's FCM driver (SNS platform GCM).
 *
 * HTTP v1 (a service-account JSON key): POST
 * {origin}/v1/projects/{project}/messages:send over the host's HTTP/2 pool,
 * "authorization: Bearer" a token from the host's OAuth2 service (JWT
 * bearer, scope firebase.messaging, shared by every app with the same
 * key).  A 401 without an FcmError means the access token was refused:
 * the driver invalidates it, takes a new one and resends once; a second 401
 * is a credential error.
 *
 * Legacy (a server key): POST {origin}/fcm/send over HTTP/1.1 with
 * "authorization: key=...".  Google shut this API down in 2024; it stays
 * for SNS compatibility and for emulators.
 *
 * Threading and ownership: the host's loop thread calls everything; the
 * instance owns its pool, OAuth handle and key (or server key, wiped when
 * freed); each accepted send owns its struct fcm_send until its outcome is
 * reported.  No global mutable state.
 */
#include "config.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugins/fcm/fcm.h"

struct fcm {
	const struct herald_host *host;
	struct herald_app *app;
	struct fcm_conf conf;
	struct herald_http_pool *pool;
	struct herald_oauth *oauth; /* v1 */
	char url[512];
	bool cred_logged;
	bool freeing;
};

struct fcm_send {
	struct fcm *f;
	uint64_t id;
	int tries;
	char *body;
	size_t body_len;
	char *access_token; /* v1: the token this attempt carried */
};

static void report(struct fcm *f, uint64_t id, int kind, int status, int64_t retry_after,
		   const char *canonical, const char *text, size_t text_len)
{
	struct herald_outcome o = {
		.size = sizeof(o),
		.kind = kind,
		.invalid_since_ms = -1,
		.canonical_token = canonical,
		.retry_after_ms = retry_after,
		.status = status,
		.response = text_len ? text : NULL,
		.response_len = text_len,
	};

	f->host->send_done(f->app, id, &o);
}

static void report_text(struct fcm *f, uint64_t id, int kind, const char *text)
{
	report(f, id, kind, 0, -1, NULL, text, strlen(text));
}

static void send_free(struct fcm_send *s)
{
	if (s->access_token) {
		OPENSSL_cleanse(s->access_token, strlen(s->access_token));
		free(s->access_token);
	}
	free(s->body);
	free(s);
}

static void log_credential(struct fcm *f, int status, const char *what)
{
	if (f->cred_logged)
		return;
	f->cred_logged = true;
	f->host->log(f->app, HERALD_LOG_ERR, "FCM refuses the credentials: %d %s", status, what);
}

static void on_response(struct herald_app *app, void *arg, const struct herald_http_response *res);
static void on_token(struct herald_app *app, void *arg, const char *access_token, int status,
		     const char *error);

/* Send s with the headers given; 0, or negative (nothing sent). */
static int post(struct fcm_send *s, const char *authorization)
{
	struct fcm *f = s->f;
	struct herald_http_header h[] = {{"authorization", authorization},
					 {"content-type", "application/json"}};
	struct herald_http_request req = {
		.size = sizeof(req),
		.method = "POST",
		.url = f->url,
		.headers = h,
		.n_headers = 2,
		.body = s->body,
		.body_len = s->body_len,
	};

	return f->host->http_request(f->pool, &req, on_response, s);
}

/* v1: ask for a token; the send goes on in on_token().  0, or negative (nothing asked). */
static int with_token(struct fcm_send *s)
{
	return s->f->host->oauth_token(s->f->oauth, on_token, s);
}

static void on_token(struct herald_app *app, void *arg, const char *access_token, int status,
		     const char *error)
{
	struct fcm_send *s = arg;
	struct fcm *f = s->f;
	char auth[4096 + 8], why[256];
	int rc;

	if (f->freeing) {
		send_free(s);
		return;
	}
	if (!access_token) {
		snprintf(why, sizeof(why), "OAuth2 token endpoint: %d %s", status,
			 error ? error : "");
		if (status == 400 || status == 401) {
			log_credential(f, status, why);
			report_text(f, s->id, HERALD_OUTCOME_CREDENTIAL_ERROR, why);
		} else {
			report_text(f, s->id, HERALD_OUTCOME_RETRY, why);
		}
		send_free(s);
		return;
	}
	if (strlen(access_token) > 4096) {
		report_text(f, s->id, HERALD_OUTCOME_CREDENTIAL_ERROR,
			    "the OAuth2 access token is longer than 4096 bytes");
		send_free(s);
		return;
	}
	free(s->access_token);
	s->access_token = strdup(access_token);
	snprintf(auth, sizeof(auth), "Bearer %s", access_token);
	rc = s->access_token ? post(s, auth) : HERALD_ENOMEM;
	OPENSSL_cleanse(auth, sizeof(auth));
	if (rc < 0) {
		report_text(f, s->id, HERALD_OUTCOME_RETRY, "the HTTP pool refused the request");
		send_free(s);
	}
}

static void on_response(struct herald_app *app, void *arg, const struct herald_http_response *res)
{
	struct fcm_send *s = arg;
	struct fcm *f = s->f;
	struct fcm_verdict v;
	const char *text;
	size_t text_len;

	if (f->freeing) {
		send_free(s);
		return;
	}
	if (f->conf.legacy)
		fcm_classify_legacy(res, (int64_t)time(NULL), &v);
	else
		fcm_classify_v1(res, (int64_t)time(NULL), &v);
	if (v.unauthenticated && s->tries == 1) {
		/* The access token was refused: drop it, take a new one, resend once. */
		f->host->oauth_invalidate(f->oauth, s->access_token);
		f->host->counter_add(f->app, "oauth_invalidations", 1);
		s->tries++;
		if (with_token(s) == 0)
			return;
		report_text(f, s->id, HERALD_OUTCOME_RETRY, "the OAuth2 service refused");
		send_free(s);
		return;
	}
	if (v.kind == HERALD_OUTCOME_CREDENTIAL_ERROR)
		log_credential(f, res->status, v.code[0] ? v.code : "(no error code)");
	else if (v.kind == HERALD_OUTCOME_DELIVERED || v.kind == HERALD_OUTCOME_TOKEN_REPLACED)
		f->cred_logged = false;
	text = res->status ? (const char *)res->body : res->error;
	text_len = res->status ? res->body_len : (res->error ? strlen(res->error) : 0);
	report(f, s->id, v.kind, res->status, v.retry_after_ms, v.canonical[0] ? v.canonical : NULL,
	       text, text_len);
	send_free(s);
}

static int fcm_send(void *instance, const struct herald_notification *n, uint64_t id)
{
	struct fcm *f = instance;
	struct fcm_send *s = calloc(1, sizeof(*s));
	char why[256], auth[1100];
	struct timespec now;
	int64_t now_ms;
	int rc;

	if (!s)
		return HERALD_ENOMEM;
	*s = (struct fcm_send){.f = f, .id = id, .tries = 1};
	clock_gettime(CLOCK_REALTIME, &now);
	now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	s->body = f->conf.legacy ? fcm_legacy_body(n, now_ms, why, sizeof(why))
				 : fcm_v1_body(n, now_ms, why, sizeof(why));
	if (!s->body) {
		free(s);
		report_text(f, id, HERALD_OUTCOME_PAYLOAD_REJECTED, why);
		return 0;
	}
	s->body_len = strlen(s->body);
	if (f->conf.legacy) {
		snprintf(auth, sizeof(auth), "key=%s", f->conf.server_key);
		rc = post(s, auth);
		OPENSSL_cleanse(auth, sizeof(auth));
	} else {
		rc = with_token(s);
	}
	if (rc < 0) {
		send_free(s);
		return rc == HERALD_EAGAIN ? HERALD_EAGAIN : HERALD_EIO;
	}
	return 0;
}

/* --- the descriptor's callbacks ---------------------------------------------------------- */

static int fcm_check_config(const struct herald_host *host, struct herald_app *app,
			    const struct herald_app_config *cfg, char *err, size_t err_size)
{
	struct fcm_conf c;

	return fcm_conf_read(host, app, cfg, false, &c, err, err_size);
}

static void fcm_free(void *instance)
{
	struct fcm *f = instance;

	f->freeing = true;
	if (f->oauth)
		f->host->oauth_free(f->oauth);
	if (f->pool)
		f->host->http_pool_free(f->pool);
	fcm_conf_clear(f->host, &f->conf);
	free(f);
}

static int fcm_create(const struct herald_host *host, struct herald_app *app,
		      const struct herald_app_config *cfg, void **instance, char *err,
		      size_t err_size)
{
	struct herald_http_pool_config pc = {.size = sizeof(pc)};
	struct fcm *f;
	int rc;

	if (!HERALD_HAS(host, oauth_free)) {
		snprintf(err, err_size, "the fcm driver needs heraldd 0.2 or later (ABI 1.1)");
		return HERALD_EINVAL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return HERALD_ENOMEM;
	f->host = host;
	f->app = app;
	rc = fcm_conf_read(host, app, cfg, true, &f->conf, err, err_size);
	if (rc) {
		free(f);
		return rc;
	}
	if (f->conf.legacy) {
		pc.version = HERALD_HTTP_1_1;
		snprintf(f->url, sizeof(f->url), "%s/fcm/send", f->conf.origin);
		host->log(app, HERALD_LOG_WARNING,
			  "FCM legacy API (server key): Google shut it down in 2024; use a "
			  "service-account JSON key (HTTP v1)");
	} else {
		struct herald_oauth_config oc = {
			.size = sizeof(oc),
			.grant = HERALD_OAUTH_JWT_BEARER,
			.token_url = f->conf.token_uri,
			.scope = FCM_SCOPE,
			.key = f->conf.key,
			.key_id = f->conf.key_id[0] ? f->conf.key_id : NULL,
			.issuer = f->conf.client_email,
		};

		pc.version = HERALD_HTTP_2;
		pc.origin = f->conf.origin;
		snprintf(f->url, sizeof(f->url), "%s/v1/projects/%s/messages:send", f->conf.origin,
			 f->conf.project_id);
		f->oauth = host->oauth_new(app, &oc, err, err_size);
		if (!f->oauth) {
			fcm_free(f);
			return HERALD_EINVAL;
		}
	}
	f->pool = host->http_pool_new(app, &pc, err, err_size);
	if (!f->pool) {
		fcm_free(f);
		return HERALD_EINVAL;
	}
	host->log(app, HERALD_LOG_INFO, "FCM %s via %s", f->conf.legacy ? "legacy" : "HTTP v1",
		  f->conf.origin);
	*instance = f;
	return 0;
}

/* An FCM registration token: 1 to 4096 of [A-Za-z0-9_:.-] (what FCM itself accepts). */
static int fcm_validate_token(const char *platform, const char *token, size_t len, char *err,
			      size_t err_size)
{
	if (len == 0 || len > FCM_TOKEN_MAX) {
		snprintf(err, err_size, "an FCM registration token is 1 to %d characters",
			 FCM_TOKEN_MAX);
		return HERALD_EINVAL;
	}
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)token[i]) && !strchr("_:-.", token[i])) {
			snprintf(
				err, err_size,
				"an FCM registration token holds letters, digits and _ : - . only");
			return HERALD_EINVAL;
		}
	return 0;
}

static const char *const fcm_platforms[] = {"GCM", NULL};

static const struct herald_driver fcm_driver = {
	.size = sizeof(struct herald_driver),
	.abi_major = HERALD_DRIVER_ABI_MAJOR,
	.abi_minor = HERALD_DRIVER_ABI_MINOR,
	.name = "fcm",
	.version = PACKAGE_VERSION,
	.platforms = fcm_platforms,
	.check_config = fcm_check_config,
	.create_instance = fcm_create,
	.validate_token = fcm_validate_token,
	.send = fcm_send,
	.free_instance = fcm_free,
};

const struct herald_driver *herald_driver_query(unsigned int host_major, unsigned int host_minor)
{
	if (host_major != HERALD_DRIVER_ABI_MAJOR)
		return NULL;
	return &fcm_driver;
}
