/*
 * Driver "wns": Windows Push Notification Services (platform WNS),
 * providers.md §4.
 *
 * PlatformPrincipal is the package SID ("ms-app://s-1-15-2-...") and
 * PlatformCredential its secret; the host's OAuth2 service turns them into
 * access tokens (client credentials, scope notify.windows.com).  The
 * endpoint's token is the channel URI; one send is one POST to it over the
 * host's HTTP/1.1 client (plugins/common/h1send), or one DELETE with
 * X-WNS-Match when AWS.SNS.MOBILE.WNS.Match is given (WNS accepts X-WNS-Match
 * on DELETE only: it removes toasts from a phone's action center).
 *
 * Channel hosts.  A channel URI comes from a device, and each request
 * carries the app's access token: sending it to any host would hand the
 * token to whoever registered the URI.  validate_token() accepts any https
 * URL (it cannot see the options), and send() delivers only to hosts in
 * the option "hosts" (comma-separated host suffixes, default
 * notify.windows.com, where WNS's channels live); a channel elsewhere is
 * TOKEN_INVALID.  herald-emulator's channels need hosts = "127.0.0.1".
 *
 * Options (herald.conf drivers.wns): token_url (default
 * https://login.live.com/accesstoken.srf), hosts.
 *
 * Headers from the typed options: X-WNS-Type (else guessed from the payload's
 * root element: toast, tile, badge, anything else raw), Content-Type
 * (text/xml, application/octet-stream for raw), X-WNS-TTL from the TTL
 * (what is left of it; absent when no TTL applies: WNS then keeps no expiry),
 * X-WNS-Cache-Policy (tile, badge and raw only: WNS refuses it on toasts),
 * X-WNS-Tag, X-WNS-Group, X-WNS-SuppressPopup.
 *
 * Answers: 200 with X-WNS-Status (or the older X-WNS-NotificationStatus)
 * received: DELIVERED, channelthrottled: RETRY, dropped: PAYLOAD_REJECTED;
 * 404 and 410: TOKEN_INVALID; 406, 500, 503: RETRY (Retry-After); 401: one
 * token refresh, then CREDENTIAL_ERROR; 403 (the token's app does not own
 * the channel): CREDENTIAL_ERROR; 400, 405, 413: PAYLOAD_REJECTED.
 *
 * No global mutable state; loop thread only; secrets never logged, channel
 * URIs logged by host only.
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

#define WNS_DEFAULT_TOKEN_URL "https://login.live.com/accesstoken.srf"
#define WNS_DEFAULT_HOSTS     "notify.windows.com"
#define WNS_SCOPE	      "notify.windows.com"
#define WNS_MAX_CHANNEL	      2048
#define WNS_MAX_HOSTS	      512

struct wns {
	const struct herald_host *host;
	struct herald_app *app;
	struct h1_client client;
	char hosts[WNS_MAX_HOSTS];
};

static int wns_check_config(const struct herald_host *host, struct herald_app *app,
			    const struct herald_app_config *cfg, char *err, size_t err_size)
{
	const char *token_url = plug_option(cfg, "token_url"), *hosts = plug_option(cfg, "hosts");

	if (!drv_text_ok(cfg->principal, cfg->principal_len, 1024)) {
		snprintf(err, err_size,
			 "PlatformPrincipal must be the package SID (1 to 1024 bytes of text)");
		return HERALD_EINVAL;
	}
	if (!drv_text_ok(cfg->credential, cfg->credential_len, 1024)) {
		snprintf(
			err, err_size,
			"PlatformCredential must be the package's secret (1 to 1024 bytes of text)");
		return HERALD_EINVAL;
	}
	if (token_url && !drv_http_url_ok(token_url, 1024)) {
		snprintf(err, err_size, "drivers.wns token_url must be an http(s) URL");
		return HERALD_EINVAL;
	}
	if (hosts && (!*hosts || strlen(hosts) >= WNS_MAX_HOSTS)) {
		snprintf(err, err_size,
			 "drivers.wns hosts must be 1 to %d bytes of comma-separated host suffixes",
			 WNS_MAX_HOSTS - 1);
		return HERALD_EINVAL;
	}
	return 0;
}

static void wns_map(void *arg, struct h1_send *s, const struct herald_http_response *res,
		    struct herald_outcome *o);

static int wns_create(const struct herald_host *host, struct herald_app *app,
		      const struct herald_app_config *cfg, void **instance, char *err,
		      size_t err_size)
{
	const char *token_url = plug_option(cfg, "token_url"), *hosts = plug_option(cfg, "hosts");
	struct herald_http_pool_config pc = {.size = sizeof(pc), .version = HERALD_HTTP_1_1};
	struct herald_oauth_config oc = {
		.size = sizeof(oc),
		.grant = HERALD_OAUTH_CLIENT_CREDENTIALS,
		.token_url = token_url ? token_url : WNS_DEFAULT_TOKEN_URL,
		.scope = WNS_SCOPE,
		.client_id = cfg->principal,
		.client_secret = cfg->credential,
	};
	struct herald_http_pool *pool;
	struct herald_oauth *oauth;
	struct wns *w;
	int rc;

	if (!HERALD_HAS(host, oauth_free)) {
		snprintf(err, err_size,
			 "the wns driver needs heraldd 0.2 or later (driver ABI 1.1)");
		return HERALD_EINVAL;
	}
	rc = wns_check_config(host, app, cfg, err, err_size);
	if (rc)
		return rc;
	w = calloc(1, sizeof(*w));
	if (!w)
		return HERALD_ENOMEM;
	w->host = host;
	w->app = app;
	snprintf(w->hosts, sizeof(w->hosts), "%s", hosts ? hosts : WNS_DEFAULT_HOSTS);
	pool = host->http_pool_new(app, &pc, err, err_size);
	if (!pool) {
		free(w);
		return HERALD_EINVAL;
	}
	oauth = host->oauth_new(app, &oc, err, err_size);
	if (!oauth) {
		host->http_pool_free(pool);
		free(w);
		return HERALD_EINVAL;
	}
	h1_client_init(&w->client, host, app, pool, oauth, wns_map, w);
	*instance = w;
	return 0;
}

static int wns_validate_token(const char *platform, const char *token, size_t len, char *err,
			      size_t err_size)
{
	char host[256];

	if (drv_url_host(token, len, "https", WNS_MAX_CHANNEL, host, sizeof(host)) != 0) {
		snprintf(
			err, err_size,
			"a WNS channel URI is an https URL of at most %d bytes, without spaces or user-info",
			WNS_MAX_CHANNEL);
		return HERALD_EINVAL;
	}
	return 0;
}

/* The notification type the payload's root element names, after a BOM, space and <?xml ...?>. */
static const char *guess_type(const unsigned char *p, size_t len)
{
	static const char *const roots[] = {"toast", "tile", "badge"};
	static const char *const types[] = {"wns/toast", "wns/tile", "wns/badge"};
	const unsigned char *end = p + len;

	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	while (p < end && isspace(*p))
		p++;
	if (end - p >= 5 && !memcmp(p, "<?xml", 5)) {
		const unsigned char *q = memchr(p, '>', (size_t)(end - p));

		p = q ? q + 1 : end;
		while (p < end && isspace(*p))
			p++;
	}
	for (int i = 0; i < 3; i++) {
		size_t n = strlen(roots[i]);

		if ((size_t)(end - p) > n + 1 && p[0] == '<' && !memcmp(p + 1, roots[i], n) &&
		    (p[n + 1] == '>' || p[n + 1] == '/' || isspace(p[n + 1])))
			return types[i];
	}
	return "wns/raw";
}

static int type_ok(const char *t)
{
	return !strcmp(t, "wns/toast") || !strcmp(t, "wns/tile") || !strcmp(t, "wns/badge") ||
	       !strcmp(t, "wns/raw");
}

/* The headers of a POST; 0 or negative. */
static int post_headers(struct h1_send *s, const struct herald_notification *n, const char *type,
			int64_t ttl_s)
{
	bool raw = !strcmp(type, "wns/raw");
	char ttl[24];
	int rc;

	rc = h1_send_header(s, "Content-Type", raw ? "application/octet-stream" : "text/xml");
	if (!rc)
		rc = h1_send_header(s, "X-WNS-Type", type);
	if (!rc && ttl_s >= 0) {
		snprintf(ttl, sizeof(ttl), "%lld", (long long)ttl_s);
		rc = h1_send_header(s, "X-WNS-TTL", ttl);
	}
	if (!rc && n->wns_cache_policy && strcmp(type, "wns/toast") != 0)
		rc = h1_send_header(s, "X-WNS-Cache-Policy", n->wns_cache_policy);
	if (!rc && n->wns_tag)
		rc = h1_send_header(s, "X-WNS-Tag", n->wns_tag);
	if (!rc && n->wns_group)
		rc = h1_send_header(s, "X-WNS-Group", n->wns_group);
	if (!rc && (n->wns_suppress_popup == 0 || n->wns_suppress_popup == 1))
		rc = h1_send_header(s, "X-WNS-SuppressPopup",
				    n->wns_suppress_popup ? "true" : "false");
	return rc;
}

static int wns_send(void *instance, const struct herald_notification *n, uint64_t id)
{
	struct wns *w = instance;
	const char *type = n->wns_type ? n->wns_type : guess_type(n->payload, n->payload_len);
	char host[256], *body = NULL;
	int64_t now = drv_now_ms();
	struct h1_send *s;
	int rc;

	if (drv_expired(n, now)) {
		h1_report(&w->client, id, HERALD_OUTCOME_PAYLOAD_REJECTED,
			  "the message expired before it could be sent");
		return 0;
	}
	if (drv_url_host(n->token, strlen(n->token), "https", WNS_MAX_CHANNEL, host,
			 sizeof(host)) != 0) {
		h1_report(&w->client, id, HERALD_OUTCOME_TOKEN_INVALID, "not a WNS channel URI");
		return 0;
	}
	if (!drv_host_allowed(host, w->hosts)) {
		w->host->log(
			w->app, HERALD_LOG_WARNING,
			"send %llu: channel host %s is not in drivers.wns hosts (%s): not sent",
			(unsigned long long)id, host, w->hosts);
		h1_report(&w->client, id, HERALD_OUTCOME_TOKEN_INVALID,
			  "the channel URI's host is not a WNS host");
		return 0;
	}
	if (!type_ok(type)) {
		h1_report(
			&w->client, id, HERALD_OUTCOME_PAYLOAD_REJECTED,
			"AWS.SNS.MOBILE.WNS.Type must be wns/toast, wns/tile, wns/badge or wns/raw");
		return 0;
	}
	s = h1_send_new(&w->client, id, n->wns_match ? "DELETE" : "POST", n->token, NULL, NULL);
	if (!s)
		return HERALD_ENOMEM;
	if (n->wns_match) {
		rc = h1_send_header(s, "X-WNS-Match", n->wns_match);
	} else {
		rc = post_headers(s, n, type, drv_ttl_s(n, now));
		if (!rc && n->payload_len &&
		    !(body = drv_strndup((const char *)n->payload, n->payload_len)))
			rc = HERALD_ENOMEM;
		if (!rc)
			h1_send_body_take(s, body, n->payload_len);
	}
	if (rc) {
		h1_send_free(s);
		return rc;
	}
	w->host->counter_add(w->app, "sends", 1);
	return h1_send_start(s);
}

/* X-WNS-CONTINUE-AFTER: whole seconds to wait while the channel is throttled; -1 if not that. */
static int64_t continue_after_ms(const char *v)
{
	char *end;
	long long s;

	if (!v || !isdigit((unsigned char)*v))
		return -1;
	s = strtoll(v, &end, 10);
	return *end || s > 86400 ? -1 : s * 1000;
}

static void wns_map(void *arg, struct h1_send *s, const struct herald_http_response *res,
		    struct herald_outcome *o)
{
	struct wns *w = arg;
	const char *st = plug_header(res, "x-wns-status");
	const char *why = plug_header(res, "x-wns-error-description");

	if (!st)
		st = plug_header(res, "x-wns-notificationstatus");
	if (why || st) { /* WNS answers with no body: say what the headers said */
		o->response = why ? why : st;
		o->response_len = strlen(o->response);
	}
	switch (res->status) {
	case 200:
		if (st && !strcasecmp(st, "channelthrottled"))
			o->kind = HERALD_OUTCOME_RETRY;
		else if (st && !strcasecmp(st, "dropped"))
			o->kind = HERALD_OUTCOME_PAYLOAD_REJECTED;
		else
			o->kind = HERALD_OUTCOME_DELIVERED;
		break;
	case 401: /* even with a fresh token */
	case 403: /* the token's app does not own the channel */
		o->kind = HERALD_OUTCOME_CREDENTIAL_ERROR;
		break;
	case 404:
	case 410:
		o->kind = HERALD_OUTCOME_TOKEN_INVALID;
		break;
	case 406:
		o->kind = HERALD_OUTCOME_RETRY;
		break;
	default:
		o->kind = res->status >= 500   ? HERALD_OUTCOME_RETRY
			  : res->status >= 300 ? HERALD_OUTCOME_PAYLOAD_REJECTED
					       : HERALD_OUTCOME_DELIVERED;
		break;
	}
	if (o->kind == HERALD_OUTCOME_RETRY) {
		o->retry_after_ms = plug_retry_after_ms(res, time(NULL));
		if (o->retry_after_ms < 0)
			o->retry_after_ms =
				continue_after_ms(plug_header(res, "x-wns-continue-after"));
	}
	if (o->kind != HERALD_OUTCOME_DELIVERED)
		w->host->log(w->app, HERALD_LOG_NOTICE, "send %llu: WNS answered %d%s%s",
			     (unsigned long long)h1_send_id(s), res->status, why ? ": " : "",
			     why ? why : "");
}

static void wns_free(void *instance)
{
	struct wns *w = instance;

	h1_client_close(&w->client);
	free(w);
}

static const char *const wns_platforms[] = {"WNS", NULL};

static const struct herald_driver wns_driver = {
	.size = sizeof(struct herald_driver),
	.abi_major = HERALD_DRIVER_ABI_MAJOR,
	.abi_minor = HERALD_DRIVER_ABI_MINOR,
	.name = "wns",
	.version = PACKAGE_VERSION,
	.platforms = wns_platforms,
	.check_config = wns_check_config,
	.create_instance = wns_create,
	.validate_token = wns_validate_token,
	.send = wns_send,
	.free_instance = wns_free,
};

const struct herald_driver *herald_driver_query(unsigned int host_major, unsigned int host_minor)
{
	if (host_major != HERALD_DRIVER_ABI_MAJOR)
		return NULL;
	return &wns_driver;
}
