/*
 * Driver "mpns": Microsoft Push Notification Service (platform MPNS),
 * providers.md §5.  Microsoft retired MPNS (Windows Phone 7.x and 8.0); the
 * driver is kept because SNS still lists the platform.
 *
 * The endpoint's token is the channel URI: http://...notify.live.net/
 * throttledthirdparty/... (unauthenticated, 500 notifications per channel a
 * day) or https://.../unthrottledthirdparty/... (authenticated).  With
 * PlatformPrincipal (the TLS certificate, PEM) and PlatformCredential (its
 * private key, PEM) the HTTP/1.1 pool presents them on https channels;
 * without them the app is unauthenticated.  One send is one POST to the
 * channel (plugins/common/h1send).
 *
 * Channel hosts: as in the wns driver, send() delivers only to hosts in the
 * option "hosts" (comma-separated suffixes, default notify.live.net);
 * herald-emulator's channels need hosts = "127.0.0.1".
 *
 * Request: AWS.SNS.MOBILE.MPNS.Type token (tile), toast or raw (else guessed
 * from the payload: <wp:Toast, <wp:Tile, anything else raw) and
 * NotificationClass realtime, priority or regular (default realtime) give
 * X-NotificationClass (1/2/3, 11/12/13, 21/22/23 for tile/toast/raw) and
 * X-WindowsPhone-Target (token, toast, absent for raw); Content-Type
 * text/xml; X-MessageID the message id when it is a UUID.
 *
 * Answers (X-* values compared without case): X-SubscriptionStatus Expired,
 * 404 or 401: TOKEN_INVALID; 200 Received: DELIVERED; 200 QueueFull: RETRY
 * after 1, 2, 4 ... 64 minutes by attempt; 200 Suppressed or Dropped:
 * PAYLOAD_REJECTED; 406 (unauthenticated daily cap): RETRY after the next
 * UTC midnight; 412 (device inactive): RETRY after 61 minutes at least; 503
 * and other 5xx: RETRY (Retry-After, else 5 minutes for 503); 403 (client
 * certificate): CREDENTIAL_ERROR; 400, 405: PAYLOAD_REJECTED.
 *
 * No global mutable state; loop thread only; the key is copied only into the
 * host's pool and never logged.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <herald/driver.h>

#include "plugins/common/drvutil.h"
#include "plugins/common/h1send.h"
#include "plugins/common/plugutil.h"

#define MPNS_DEFAULT_HOSTS "notify.live.net"
#define MPNS_MAX_CHANNEL   2048
#define MPNS_MAX_HOSTS	   512
#define MPNS_MINUTE_MS	   60000LL

enum { MPNS_TILE = 1, MPNS_TOAST = 2, MPNS_RAW = 3 };

struct mpns {
	const struct herald_host *host;
	struct herald_app *app;
	struct h1_client client;
	char hosts[MPNS_MAX_HOSTS];
};

/* What the answer's mapping needs of one send. */
struct mpns_sent {
	unsigned int attempt;
};

static int pem_has(const char *s, size_t len, const char *label)
{
	char begin[64];

	snprintf(begin, sizeof(begin), "-----BEGIN %s", label);
	return s && len > 0 && strlen(s) == len && strstr(s, begin) != NULL;
}

static int mpns_check_config(const struct herald_host *host, struct herald_app *app,
			     const struct herald_app_config *cfg, char *err, size_t err_size)
{
	const char *hosts = plug_option(cfg, "hosts");
	bool cert = cfg->principal_len > 0, key = cfg->credential_len > 0;

	if (cert != key) {
		snprintf(
			err, err_size,
			"MPNS needs both PlatformPrincipal (TLS certificate) and PlatformCredential (private key), or neither (unauthenticated)");
		return HERALD_EINVAL;
	}
	if (cert && !pem_has(cfg->principal, cfg->principal_len, "CERTIFICATE")) {
		snprintf(err, err_size, "PlatformPrincipal must be a PEM certificate");
		return HERALD_EINVAL;
	}
	if (key && (!pem_has(cfg->credential, cfg->credential_len, "") ||
		    !strstr(cfg->credential, "PRIVATE KEY-----"))) {
		snprintf(err, err_size, "PlatformCredential must be a PEM private key");
		return HERALD_EINVAL;
	}
	if (hosts && (!*hosts || strlen(hosts) >= MPNS_MAX_HOSTS)) {
		snprintf(
			err, err_size,
			"drivers.mpns hosts must be 1 to %d bytes of comma-separated host suffixes",
			MPNS_MAX_HOSTS - 1);
		return HERALD_EINVAL;
	}
	return 0;
}

static void mpns_map(void *arg, struct h1_send *s, const struct herald_http_response *res,
		     struct herald_outcome *o);

static int mpns_create(const struct herald_host *host, struct herald_app *app,
		       const struct herald_app_config *cfg, void **instance, char *err,
		       size_t err_size)
{
	const char *hosts = plug_option(cfg, "hosts");
	struct herald_http_pool_config pc = {.size = sizeof(pc), .version = HERALD_HTTP_1_1};
	struct herald_http_pool *pool;
	struct mpns *m;
	int rc;

	if (!HERALD_HAS(host, http_pool_free)) {
		snprintf(err, err_size,
			 "the mpns driver needs heraldd 0.2 or later (driver ABI 1.1)");
		return HERALD_EINVAL;
	}
	rc = mpns_check_config(host, app, cfg, err, err_size);
	if (rc)
		return rc;
	if (cfg->principal_len) {
		pc.client_cert = cfg->principal;
		pc.client_cert_len = cfg->principal_len;
		pc.client_key = cfg->credential;
		pc.client_key_len = cfg->credential_len;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return HERALD_ENOMEM;
	m->host = host;
	m->app = app;
	snprintf(m->hosts, sizeof(m->hosts), "%s", hosts ? hosts : MPNS_DEFAULT_HOSTS);
	pool = host->http_pool_new(app, &pc, err, err_size);
	if (!pool) {
		free(m);
		return HERALD_EINVAL;
	}
	h1_client_init(&m->client, host, app, pool, NULL, mpns_map, m);
	*instance = m;
	return 0;
}

/* The channel's host, for an http or https channel URI; 0 or -1. */
static int channel_host(const char *token, size_t len, char *host, size_t size)
{
	return drv_url_host(token, len, "https", MPNS_MAX_CHANNEL, host, size) == 0 ||
			       drv_url_host(token, len, "http", MPNS_MAX_CHANNEL, host, size) == 0
		       ? 0
		       : -1;
}

static int mpns_validate_token(const char *platform, const char *token, size_t len, char *err,
			       size_t err_size)
{
	char host[256];

	if (channel_host(token, len, host, sizeof(host)) != 0) {
		snprintf(
			err, err_size,
			"an MPNS channel URI is an http or https URL of at most %d bytes, without spaces or user-info",
			MPNS_MAX_CHANNEL);
		return HERALD_EINVAL;
	}
	return 0;
}

static int kind_of(const struct herald_notification *n)
{
	static const char *const roots[] = {"<wp:Toast", "<wp:Tile"};
	const char *t = n->mpns_type;

	if (t)
		return !strcasecmp(t, "token")	 ? MPNS_TILE
		       : !strcasecmp(t, "toast") ? MPNS_TOAST
		       : !strcasecmp(t, "raw")	 ? MPNS_RAW
						 : 0;
	for (int i = 0; i < 2; i++) {
		size_t k = strlen(roots[i]);

		for (size_t j = 0; j + k <= n->payload_len; j++)
			if (!memcmp(n->payload + j, roots[i], k))
				return i == 0 ? MPNS_TOAST : MPNS_TILE;
	}
	return MPNS_RAW;
}

/* The batching interval's tens digit: realtime 0, priority 1 (450 s), regular 2 (900 s). */
static int interval_of(const char *c)
{
	if (!c || !strcasecmp(c, "realtime"))
		return 0;
	if (!strcasecmp(c, "priority"))
		return 1;
	if (!strcasecmp(c, "regular"))
		return 2;
	return -1;
}

static int uuid_ok(const char *s)
{
	if (!s || strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-'
							      : !isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int mpns_send(void *instance, const struct herald_notification *n, uint64_t id)
{
	struct mpns *m = instance;
	int kind = kind_of(n), interval = interval_of(n->mpns_notification_class), rc;
	char host[256], cls[4], *body = NULL;
	struct mpns_sent *sent;
	struct h1_send *s;

	if (drv_expired(n, drv_now_ms())) {
		h1_report(&m->client, id, HERALD_OUTCOME_PAYLOAD_REJECTED,
			  "the message expired before it could be sent");
		return 0;
	}
	if (channel_host(n->token, strlen(n->token), host, sizeof(host)) != 0) {
		h1_report(&m->client, id, HERALD_OUTCOME_TOKEN_INVALID, "not an MPNS channel URI");
		return 0;
	}
	if (!drv_host_allowed(host, m->hosts)) {
		m->host->log(
			m->app, HERALD_LOG_WARNING,
			"send %llu: channel host %s is not in drivers.mpns hosts (%s): not sent",
			(unsigned long long)id, host, m->hosts);
		h1_report(&m->client, id, HERALD_OUTCOME_TOKEN_INVALID,
			  "the channel URI's host is not an MPNS host");
		return 0;
	}
	if (!kind || interval < 0) {
		h1_report(
			&m->client, id, HERALD_OUTCOME_PAYLOAD_REJECTED,
			"AWS.SNS.MOBILE.MPNS.Type must be token, toast or raw and NotificationClass realtime, priority or regular");
		return 0;
	}
	if (n->payload_len == 0) {
		h1_report(&m->client, id, HERALD_OUTCOME_PAYLOAD_REJECTED,
			  "the MPNS payload is empty");
		return 0;
	}
	sent = calloc(1, sizeof(*sent));
	if (!sent)
		return HERALD_ENOMEM;
	sent->attempt = n->attempt;
	s = h1_send_new(&m->client, id, "POST", n->token, sent, free);
	if (!s) {
		free(sent);
		return HERALD_ENOMEM;
	}
	snprintf(cls, sizeof(cls), "%d", interval * 10 + kind);
	rc = h1_send_header(s, "Content-Type", "text/xml");
	if (!rc)
		rc = h1_send_header(s, "X-NotificationClass", cls);
	if (!rc && kind != MPNS_RAW)
		rc = h1_send_header(s, "X-WindowsPhone-Target",
				    kind == MPNS_TILE ? "token" : "toast");
	if (!rc && uuid_ok(n->message_id))
		rc = h1_send_header(s, "X-MessageID", n->message_id);
	if (!rc && !(body = drv_strndup((const char *)n->payload, n->payload_len)))
		rc = HERALD_ENOMEM;
	if (rc) {
		h1_send_free(s);
		return rc;
	}
	h1_send_body_take(s, body, n->payload_len);
	m->host->counter_add(m->app, "sends", 1);
	return h1_send_start(s);
}

static int is(const char *v, const char *want)
{
	return v && !strcasecmp(v, want);
}

/* Milliseconds from now to the next UTC midnight. */
static int64_t until_next_day_ms(time_t now)
{
	return (int64_t)(86400 - now % 86400) * 1000;
}

static void mpns_map(void *arg, struct h1_send *s, const struct herald_http_response *res,
		     struct herald_outcome *o)
{
	struct mpns *m = arg;
	struct mpns_sent *sent = h1_send_data(s);
	const char *note = plug_header(res, "x-notificationstatus");
	const char *sub = plug_header(res, "x-subscriptionstatus");
	const char *dev = plug_header(res, "x-deviceconnectionstatus");
	time_t now = time(NULL);
	int64_t ra = plug_retry_after_ms(res, now);

	o->response = note;
	o->response_len = note ? strlen(note) : 0;
	if (is(sub, "Expired") || res->status == 404 || res->status == 401) {
		/* PushSharp: an expired subscription is dead whatever the status. */
		o->kind = HERALD_OUTCOME_TOKEN_INVALID;
	} else if (res->status == 200) {
		if (is(note, "QueueFull")) {
			unsigned int a = sent->attempt ? sent->attempt : 1;

			o->kind = HERALD_OUTCOME_RETRY;
			o->retry_after_ms = MPNS_MINUTE_MS << (a > 7 ? 6 : a - 1);
		} else if (is(note, "Suppressed") || is(note, "Dropped")) {
			o->kind = HERALD_OUTCOME_PAYLOAD_REJECTED;
		} else {
			o->kind = HERALD_OUTCOME_DELIVERED;
		}
	} else if (res->status == 406) {
		o->kind = HERALD_OUTCOME_RETRY;
		o->retry_after_ms = ra >= 0 ? ra : until_next_day_ms(now);
	} else if (res->status == 412) {
		o->kind = HERALD_OUTCOME_RETRY;
		o->retry_after_ms = ra > 61 * MPNS_MINUTE_MS ? ra : 61 * MPNS_MINUTE_MS;
	} else if (res->status >= 500) {
		o->kind = HERALD_OUTCOME_RETRY;
		o->retry_after_ms = ra >= 0 ? ra : res->status == 503 ? 5 * MPNS_MINUTE_MS : -1;
	} else if (res->status == 403) {
		o->kind = HERALD_OUTCOME_CREDENTIAL_ERROR;
	} else {
		o->kind = res->status < 300 ? HERALD_OUTCOME_DELIVERED
					    : HERALD_OUTCOME_PAYLOAD_REJECTED;
	}
	if (o->kind != HERALD_OUTCOME_DELIVERED)
		m->host->log(
			m->app, HERALD_LOG_NOTICE,
			"send %llu: MPNS answered %d (notification %s, subscription %s, device %s)",
			(unsigned long long)h1_send_id(s), res->status, note ? note : "-",
			sub ? sub : "-", dev ? dev : "-");
}

static void mpns_free(void *instance)
{
	struct mpns *m = instance;

	h1_client_close(&m->client);
	free(m);
}

static const char *const mpns_platforms[] = {"MPNS", NULL};

static const struct herald_driver mpns_driver = {
	.size = sizeof(struct herald_driver),
	.abi_major = HERALD_DRIVER_ABI_MAJOR,
	.abi_minor = HERALD_DRIVER_ABI_MINOR,
	.name = "mpns",
	.version = PACKAGE_VERSION,
	.platforms = mpns_platforms,
	.check_config = mpns_check_config,
	.create_instance = mpns_create,
	.validate_token = mpns_validate_token,
	.send = mpns_send,
	.free_instance = mpns_free,
};

const struct herald_driver *herald_driver_query(unsigned int host_major, unsigned int host_minor)
{
	if (host_major != HERALD_DRIVER_ABI_MAJOR)
		return NULL;
	return &mpns_driver;
}
