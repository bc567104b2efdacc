/*
 * herald's APNs driver (platforms APNS and APNS_SANDBOX): Apple's HTTP/2
 * provider API through the host's HTTP/2 pool, with token authentication
 * (an ES256 provider token per instance, i.e. per team and key) or
 * certificate authentication (the pool's TLS client certificate).
 *
 * Provider token.  Signed on first use, replaced lazily once it is 40
 * minutes old (Apple: at most once every 20 minutes, at least once an
 * hour).  An ExpiredProviderToken answer replaces it at once and resends
 * that notification once; the replacement goes out on a new connection (the
 * old pool is retired and freed when its last request is answered), so that
 * no connection ever sees two tokens within 20 minutes
 * (TooManyProviderTokenUpdates).  Shutdown, IdleTimeout and
 * TooManyProviderTokenUpdates answers retire the connection the same way.
 *
 * Certificate.  Its end of validity is checked at creation and daily: the
 * counter cert_days_left follows it, and under 30 days each check logs a
 * warning and counts cert_expiry_warnings.
 *
 * Threading and ownership: the host's loop thread calls everything; the
 * instance owns its pools, timers, key and a copy of the certificate and key
 * (wiped when freed); each accepted send owns its struct apns_send until its
 * outcome is reported.  No global mutable state.
 */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugins/apns/apns.h"
#include "plugins/common/plugutil.h"

#define APNS_JWT_REFRESH_MS (40ULL * 60 * 1000)
#define APNS_CERT_CHECK_MS  (24ULL * 3600 * 1000)
#define APNS_CERT_WARN_DAYS 30

struct apns;

/* One HTTP/2 pool; retired ones live until their last request is answered. */
struct apns_conn {
	struct herald_http_pool *pool;
	size_t inflight;
	bool retired;
	struct apns_conn *next;
};

struct apns {
	const struct herald_host *host;
	struct herald_app *app;
	struct apns_conf conf;
	char *client_cert, *client_key; /* certificate auth: copies, key wiped when freed */
	size_t client_cert_len, client_key_len;
	struct apns_conn *conn;	 /* the one new requests go to, or NULL */
	struct apns_conn *conns; /* every pool, the current one included */
	char jwt[512];
	unsigned int jwt_gen;
	bool jwt_stale;
	struct herald_timer *jwt_timer, *cert_timer, *reap_timer;
	int64_t cert_days; /* what cert_days_left says */
	bool cred_logged;  /* a credential error was logged since the last delivery */
	bool freeing;
};

struct apns_send {
	struct apns *a;
	struct apns_conn *conn;
	uint64_t id;
	unsigned int jwt_gen;
	int tries;
	struct apns_msg m;
};

/* --- connections ----------------------------------------------------------------------- */

static struct apns_conn *conn_current(struct apns *a, char *err, size_t err_size)
{
	struct herald_http_pool_config pc = {
		.size = sizeof(pc),
		.version = HERALD_HTTP_2,
		.origin = a->conf.origin,
		.client_cert = a->client_cert,
		.client_cert_len = a->client_cert_len,
		.client_key = a->client_key,
		.client_key_len = a->client_key_len,
	};
	struct apns_conn *c;

	if (a->conn)
		return a->conn;
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	c->pool = a->host->http_pool_new(a->app, &pc, err, err_size);
	if (!c->pool) {
		free(c);
		return NULL;
	}
	c->next = a->conns;
	a->conns = c;
	a->conn = c;
	return c;
}

static void conn_free_idle(struct apns *a, bool all)
{
	for (struct apns_conn **pp = &a->conns; *pp;) {
		struct apns_conn *c = *pp;

		if (!all && (!c->retired || c->inflight)) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		if (a->conn == c)
			a->conn = NULL;
		a->host->http_pool_free(c->pool);
		free(c);
	}
}

static void reap(struct herald_app *app, void *arg)
{
	struct apns *a = arg;

	a->reap_timer = NULL;
	conn_free_idle(a, false);
}

/* Close c once it is retired and idle: soon, from a timer, not from its own callback. */
static void conn_reap_later(struct apns *a, struct apns_conn *c)
{
	if (c->retired && c->inflight == 0 && !a->freeing && !a->reap_timer)
		a->reap_timer = a->host->timer_add(a->app, 0, reap, a);
}

/* Retire the current pool: new requests open a new one. */
static void conn_retire(struct apns *a)
{
	struct apns_conn *c = a->conn;

	a->conn = NULL;
	if (c) {
		c->retired = true;
		conn_reap_later(a, c);
	}
}

/* --- provider token -------------------------------------------------------------------- */

static void jwt_age(struct herald_app *app, void *arg)
{
	struct apns *a = arg;

	a->jwt_timer = NULL;
	a->jwt_stale = true;
}

/* A current provider token in a->jwt: 0, or -1 (logged). */
static int jwt_current(struct apns *a)
{
	char header[64], claims[96];
	int n;

	if (a->jwt[0] && !a->jwt_stale)
		return 0;
	snprintf(header, sizeof(header), "{\"alg\":\"ES256\",\"kid\":\"%s\"}", a->conf.key_id);
	snprintf(claims, sizeof(claims), "{\"iss\":\"%s\",\"iat\":%lld}", a->conf.team_id,
		 (long long)time(NULL));
	n = a->host->jwt_sign(a->conf.key, header, claims, a->jwt, sizeof(a->jwt));
	if (n < 0) {
		a->jwt[0] = '\0';
		a->host->log(a->app, HERALD_LOG_ERR, "cannot sign a provider token with key %s",
			     a->conf.key_id);
		return -1;
	}
	a->jwt_gen++;
	a->jwt_stale = false;
	if (a->jwt_timer)
		a->host->timer_cancel(a->app, a->jwt_timer);
	a->jwt_timer = a->host->timer_add(a->app, APNS_JWT_REFRESH_MS, jwt_age, a);
	a->host->counter_add(a->app, "provider_tokens", 1);
	return 0;
}

/* --- certificate expiry ---------------------------------------------------------------- */

static void cert_check(struct herald_app *app, void *arg)
{
	struct apns *a = arg;
	time_t now = time(NULL);
	int64_t secs = (int64_t)a->conf.cert_not_after - (int64_t)now;
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	char date[32];
	struct tm tm;

	a->cert_timer = a->host->timer_add(a->app, APNS_CERT_CHECK_MS, cert_check, a);
	a->host->counter_add(a->app, "cert_days_left", days - a->cert_days);
	a->cert_days = days;
	if (days >= APNS_CERT_WARN_DAYS)
		return;
	gmtime_r(&a->conf.cert_not_after, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (secs < 0)
		a->host->log(
			a->app, HERALD_LOG_WARNING,
			"the APNs certificate expired on %s: renew it (SetPlatformApplicationAttributes)",
			date);
	else
		a->host->log(a->app, HERALD_LOG_WARNING,
			     "the APNs certificate expires in %" PRId64 " days, on %s: renew it",
			     days, date);
	a->host->counter_add(a->app, "cert_expiry_warnings", 1);
}

/* --- sends ----------------------------------------------------------------------------- */

static void report(struct apns *a, uint64_t id, int kind, int status, int64_t invalid_since,
		   int64_t retry_after, const char *text)
{
	struct herald_outcome o = {
		.size = sizeof(o),
		.kind = kind,
		.invalid_since_ms = invalid_since,
		.retry_after_ms = retry_after,
		.status = status,
		.response = text && *text ? text : NULL,
		.response_len = text ? strlen(text) : 0,
	};

	a->host->send_done(a->app, id, &o);
}

static void send_free(struct apns_send *s)
{
	apns_msg_clear(&s->m);
	free(s);
}

static void on_response(struct herald_app *app, void *arg, const struct herald_http_response *res);

/*
 * Send s on the current pool with the current provider token.  0; or
 * negative with err filled (nothing sent, s untouched), and *kind the
 * outcome it amounts to if it has to be reported.
 */
static int dispatch(struct apns_send *s, int *kind, char *err, size_t err_size)
{
	struct apns *a = s->a;
	struct herald_http_header h[8];
	struct herald_http_request req = {.size = sizeof(req), .method = "POST"};
	struct apns_conn *c;
	char url[sizeof(a->conf.origin) + sizeof(s->m.path_token) + 16];
	char auth[sizeof(a->jwt) + 8];
	size_t nh = 0;
	int rc;

	*kind = HERALD_OUTCOME_RETRY;
	if (a->conf.token_auth) {
		if (jwt_current(a) != 0) {
			*kind = HERALD_OUTCOME_CREDENTIAL_ERROR;
			snprintf(err, err_size, "cannot sign a provider token");
			return HERALD_EIO;
		}
		snprintf(auth, sizeof(auth), "bearer %s", a->jwt);
		h[nh++] = (struct herald_http_header){"authorization", auth};
		s->jwt_gen = a->jwt_gen;
	}
	c = conn_current(a, err, err_size);
	if (!c)
		return HERALD_EIO;
	h[nh++] = (struct herald_http_header){"apns-push-type", s->m.push_type};
	if (s->m.priority[0])
		h[nh++] = (struct herald_http_header){"apns-priority", s->m.priority};
	if (s->m.topic[0])
		h[nh++] = (struct herald_http_header){"apns-topic", s->m.topic};
	if (s->m.expiration[0])
		h[nh++] = (struct herald_http_header){"apns-expiration", s->m.expiration};
	if (s->m.collapse_id[0])
		h[nh++] = (struct herald_http_header){"apns-collapse-id", s->m.collapse_id};
	if (s->m.apns_id[0])
		h[nh++] = (struct herald_http_header){"apns-id", s->m.apns_id};
	snprintf(url, sizeof(url), "%s/3/device/%s", a->conf.origin, s->m.path_token);
	req.url = url;
	req.headers = h;
	req.n_headers = nh;
	req.body = s->m.body;
	req.body_len = s->m.body_len;
	rc = a->host->http_request(c->pool, &req, on_response, s);
	OPENSSL_cleanse(auth, sizeof(auth));
	if (rc < 0) {
		snprintf(err, err_size, "the HTTP/2 pool refused the request (%d)", rc);
		return rc;
	}
	s->conn = c;
	c->inflight++;
	return 0;
}

static void on_response(struct herald_app *app, void *arg, const struct herald_http_response *res)
{
	struct apns_send *s = arg;
	struct apns *a = s->a;
	struct apns_verdict v;
	char err[160];
	int kind;

	s->conn->inflight--;
	conn_reap_later(a, s->conn);
	if (a->freeing) {
		send_free(s);
		return;
	}
	apns_classify(res, (int64_t)time(NULL), &v);
	if (v.expired_provider_token && s->tries == 1 && a->conf.token_auth) {
		/* Apple says the token is over an hour old: replace it (once) and resend. */
		if (s->jwt_gen == a->jwt_gen) {
			a->jwt_stale = true;
			conn_retire(a);
			a->host->log(
				a->app, HERALD_LOG_NOTICE,
				"APNs: ExpiredProviderToken; replacing the provider token on a "
				"new connection");
		}
		s->tries++;
		a->host->counter_add(a->app, "resends", 1);
		if (dispatch(s, &kind, err, sizeof(err)) == 0)
			return;
		report(a, s->id, kind, 0, -1, -1, err);
		send_free(s);
		return;
	}
	if (v.new_connection && s->conn == a->conn) {
		conn_retire(a);
		a->host->log(a->app, HERALD_LOG_NOTICE, "APNs: %s; opening a new connection",
			     v.reason);
	}
	if (v.kind == HERALD_OUTCOME_CREDENTIAL_ERROR && !a->cred_logged) {
		a->cred_logged = true;
		a->host->log(a->app, HERALD_LOG_ERR, "APNs refuses the credentials: %d %s",
			     res->status, v.reason);
	} else if (v.kind == HERALD_OUTCOME_DELIVERED) {
		a->cred_logged = false;
	}
	report(a, s->id, v.kind, res->status, v.invalid_since_ms, v.retry_after_ms,
	       res->status ? (res->body_len ? (const char *)res->body : v.reason) : v.reason);
	send_free(s);
}

static int apns_send(void *instance, const struct herald_notification *n, uint64_t id)
{
	struct apns *a = instance;
	struct apns_send *s = calloc(1, sizeof(*s));
	char why[160];
	int rc, kind;

	if (!s)
		return HERALD_ENOMEM;
	*s = (struct apns_send){.a = a, .id = id, .tries = 1};
	rc = apns_msg_build(&a->conf, n, time(NULL), &s->m, why, sizeof(why));
	if (rc == -1 || rc == -2) {
		free(s);
		report(a, id,
		       rc == -1 ? HERALD_OUTCOME_PAYLOAD_REJECTED : HERALD_OUTCOME_TOKEN_INVALID, 0,
		       -1, -1, why);
		return 0;
	}
	if (rc < 0) {
		free(s);
		return rc;
	}
	rc = dispatch(s, &kind, why, sizeof(why));
	if (rc == 0)
		return 0;
	send_free(s);
	if (kind == HERALD_OUTCOME_CREDENTIAL_ERROR) {
		report(a, id, kind, 0, -1, -1, why);
		return 0;
	}
	return rc == HERALD_EAGAIN ? HERALD_EAGAIN : HERALD_EIO;
}

/* --- the descriptor's callbacks ---------------------------------------------------------- */

static int apns_check_config(const struct herald_host *host, struct herald_app *app,
			     const struct herald_app_config *cfg, char *err, size_t err_size)
{
	struct apns_conf c;
	int rc = apns_conf_read(host, app, cfg, false, &c, err, err_size);

	if (rc == 0 && !c.token_auth && c.cert_not_after <= time(NULL)) {
		snprintf(err, err_size, "the certificate in PlatformPrincipal has expired");
		return HERALD_EINVAL;
	}
	return rc;
}

static char *secret_copy(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

static void apns_free(void *instance)
{
	struct apns *a = instance;

	a->freeing = true;
	if (a->jwt_timer)
		a->host->timer_cancel(a->app, a->jwt_timer);
	if (a->cert_timer)
		a->host->timer_cancel(a->app, a->cert_timer);
	if (a->reap_timer)
		a->host->timer_cancel(a->app, a->reap_timer);
	conn_free_idle(a, true);
	if (a->conf.key)
		a->host->key_free(a->conf.key);
	if (a->client_key) {
		OPENSSL_cleanse(a->client_key, a->client_key_len);
		free(a->client_key);
	}
	free(a->client_cert);
	OPENSSL_cleanse(a->jwt, sizeof(a->jwt));
	free(a);
}

static int apns_create(const struct herald_host *host, struct herald_app *app,
		       const struct herald_app_config *cfg, void **instance, char *err,
		       size_t err_size)
{
	struct apns *a;

	if (!HERALD_HAS(host, oauth_free)) {
		snprintf(err, err_size, "the apns driver needs heraldd 0.2 or later (ABI 1.1)");
		return HERALD_EINVAL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return HERALD_ENOMEM;
	a->host = host;
	a->app = app;
	if (apns_conf_read(host, app, cfg, true, &a->conf, err, err_size) != 0) {
		free(a);
		return HERALD_EINVAL;
	}
	if (!a->conf.token_auth) {
		a->client_cert = secret_copy(cfg->principal, cfg->principal_len);
		a->client_key = secret_copy(cfg->credential, cfg->credential_len);
		a->client_cert_len = cfg->principal_len;
		a->client_key_len = cfg->credential_len;
		if (!a->client_cert || !a->client_key) {
			apns_free(a);
			return HERALD_ENOMEM;
		}
	}
	if (!conn_current(a, err, err_size)) {
		apns_free(a);
		return HERALD_EINVAL;
	}
	if (!a->conf.token_auth)
		cert_check(app, a);
	host->log(app, HERALD_LOG_INFO, "APNs via %s, %s authentication", a->conf.origin,
		  a->conf.token_auth ? "token" : "certificate");
	*instance = a;
	return 0;
}

/* An APNs device token: hex, an even number of digits, 64 (32 bytes today) to 200. */
static int apns_validate_token(const char *platform, const char *token, size_t len, char *err,
			       size_t err_size)
{
	if (len < APNS_TOKEN_MIN || len > APNS_TOKEN_MAX || len % 2) {
		snprintf(err, err_size,
			 "an APNs device token is an even number of hex digits, %d to %d",
			 APNS_TOKEN_MIN, APNS_TOKEN_MAX);
		return HERALD_EINVAL;
	}
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)token[i])) {
			snprintf(err, err_size, "an APNs device token holds hex digits only");
			return HERALD_EINVAL;
		}
	return 0;
}

static void apns_drain(void *instance)
{
	struct apns *a = instance;

	if (a->jwt_timer)
		a->host->timer_cancel(a->app, a->jwt_timer);
	a->jwt_timer = NULL;
	a->jwt_stale = true;
	if (a->cert_timer)
		a->host->timer_cancel(a->app, a->cert_timer);
	a->cert_timer = NULL;
	conn_retire(a);
	for (struct apns_conn *c = a->conns; c; c = c->next)
		c->retired = true;
	conn_free_idle(a, false);
}

static const char *const apns_platforms[] = {"APNS", "APNS_SANDBOX", NULL};

static const struct herald_driver apns_driver = {
	.size = sizeof(struct herald_driver),
	.abi_major = HERALD_DRIVER_ABI_MAJOR,
	.abi_minor = HERALD_DRIVER_ABI_MINOR,
	.name = "apns",
	.version = PACKAGE_VERSION,
	.platforms = apns_platforms,
	.check_config = apns_check_config,
	.create_instance = apns_create,
	.validate_token = apns_validate_token,
	.send = apns_send,
	.drain = apns_drain,
	.free_instance = apns_free,
};

const struct herald_driver *herald_driver_query(unsigned int host_major, unsigned int host_minor)
{
	if (host_major != HERALD_DRIVER_ABI_MAJOR)
		return NULL;
	return &apns_driver;
}
