/*
 * Driver "adm": Amazon Device Messaging (platform ADM), providers.md §3.
 *
 * PlatformPrincipal is the client id and PlatformCredential the client
 * secret of a Login-with-Amazon security profile; the host's OAuth2 service
 * turns them into access tokens (client credentials, scope messaging:push).
 * One send is one POST {url}/messaging/registrations/{token}/messages over
 * the host's HTTP/1.1 client (plugins/common/h1send).
 *
 * Options (herald.conf drivers.adm): url (default https://api.amazon.com),
 * token_url (default https://api.amazon.com/auth/O2/token).
 *
 * Answers: 200 delivered, or TOKEN_REPLACED when its registrationID differs
 * from the one sent; 400 InvalidRegistrationId / Unregistered: TOKEN_INVALID;
 * other 400 reasons and 413: PAYLOAD_REJECTED; 401: one token refresh, then
 * CREDENTIAL_ERROR; 429, 403 (rate limiting in Amazon's sample server), 500,
 * 503: RETRY with Retry-After.
 *
 * No global mutable state; loop thread only; the secret is copied only into
 * the host's OAuth2 service and never logged.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <herald/driver.h>
#include <jansson.h>

#include "plugins/adm/admmsg.h"
#include "plugins/common/drvutil.h"
#include "plugins/common/h1send.h"
#include "plugins/common/plugutil.h"

#define ADM_DEFAULT_URL	      "https://api.amazon.com"
#define ADM_DEFAULT_TOKEN_URL "https://api.amazon.com/auth/O2/token"
#define ADM_SCOPE	      "messaging:push"
#define ADM_TYPE_VERSION      "com.amazon.device.messaging.ADMMessage@1.0"
#define ADM_ACCEPT_TYPE	      "com.amazon.device.messaging.ADMSendResult@1.0"
#define ADM_MAX_REGISTRATION  2048
#define ADM_MAX_URL	      1024

struct adm {
	const struct herald_host *host;
	struct herald_app *app;
	struct h1_client client;
	char url[ADM_MAX_URL]; /* base, no trailing '/' */
};

/* What the answer's mapping needs of one send. */
struct adm_sent {
	struct adm *adm;
	char md5[25];
	char *canonical; /* the answer's registrationID, when it differs */
	char token[];
};

static void adm_sent_free(void *p)
{
	struct adm_sent *sent = p;

	if (sent)
		free(sent->canonical);
	free(sent);
}

/* A credential is text: no NUL inside, 1 to 1024 bytes. */
static int adm_check_config(const struct herald_host *host, struct herald_app *app,
			    const struct herald_app_config *cfg, char *err, size_t err_size)
{
	const char *url = plug_option(cfg, "url"), *token_url = plug_option(cfg, "token_url");

	if (!drv_text_ok(cfg->principal, cfg->principal_len, 1024)) {
		snprintf(err, err_size,
			 "PlatformPrincipal must be the ADM client id (1 to 1024 bytes of text)");
		return HERALD_EINVAL;
	}
	if (!drv_text_ok(cfg->credential, cfg->credential_len, 1024)) {
		snprintf(
			err, err_size,
			"PlatformCredential must be the ADM client secret (1 to 1024 bytes of text)");
		return HERALD_EINVAL;
	}
	if ((url && !drv_http_url_ok(url, ADM_MAX_URL - 64)) ||
	    (token_url && !drv_http_url_ok(token_url, ADM_MAX_URL - 64))) {
		snprintf(err, err_size, "drivers.adm url and token_url must be http(s) URLs");
		return HERALD_EINVAL;
	}
	return 0;
}

static void adm_map(void *arg, struct h1_send *s, const struct herald_http_response *res,
		    struct herald_outcome *o);

static int adm_create(const struct herald_host *host, struct herald_app *app,
		      const struct herald_app_config *cfg, void **instance, char *err,
		      size_t err_size)
{
	const char *url = plug_option(cfg, "url"), *token_url = plug_option(cfg, "token_url");
	struct herald_http_pool_config pc = {.size = sizeof(pc), .version = HERALD_HTTP_1_1};
	struct herald_oauth_config oc = {
		.size = sizeof(oc),
		.grant = HERALD_OAUTH_CLIENT_CREDENTIALS,
		.token_url = token_url ? token_url : ADM_DEFAULT_TOKEN_URL,
		.scope = ADM_SCOPE,
		.client_id = cfg->principal,
		.client_secret = cfg->credential,
	};
	struct herald_http_pool *pool = NULL;
	struct herald_oauth *oauth = NULL;
	struct adm *a;
	size_t n;
	int rc;

	if (!HERALD_HAS(host, oauth_free)) {
		snprintf(err, err_size,
			 "the adm driver needs heraldd 0.2 or later (driver ABI 1.1)");
		return HERALD_EINVAL;
	}
	rc = adm_check_config(host, app, cfg, err, err_size);
	if (rc)
		return rc;
	a = calloc(1, sizeof(*a));
	if (!a)
		return HERALD_ENOMEM;
	a->host = host;
	a->app = app;
	n = snprintf(a->url, sizeof(a->url), "%s", url ? url : ADM_DEFAULT_URL);
	while (n > 0 && a->url[n - 1] == '/')
		a->url[--n] = '\0';
	pool = host->http_pool_new(app, &pc, err, err_size);
	if (!pool)
		goto fail;
	oauth = host->oauth_new(app, &oc, err, err_size);
	if (!oauth)
		goto fail;
	h1_client_init(&a->client, host, app, pool, oauth, adm_map, a);
	*instance = a;
	return 0;
fail:
	if (pool)
		host->http_pool_free(pool);
	free(a);
	return HERALD_EINVAL;
}

/* 1 to 2048 bytes of printable ASCII that can stand in a URL path segment as they are. */
static int registration_ok(const char *token, size_t len)
{
	if (len == 0 || len > ADM_MAX_REGISTRATION || strlen(token) != len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)token[i] <= ' ' || (unsigned char)token[i] >= 0x7f ||
		    strchr("/?#%", token[i]))
			return 0;
	return 1;
}

static int adm_validate_token(const char *platform, const char *token, size_t len, char *err,
			      size_t err_size)
{
	if (!registration_ok(token, len)) {
		snprintf(
			err, err_size,
			"an ADM registration id is 1 to %d bytes of printable ASCII without spaces, '/', '?', '#' or '%%'",
			ADM_MAX_REGISTRATION);
		return HERALD_EINVAL;
	}
	return 0;
}

static int adm_send(void *instance, const struct herald_notification *n, uint64_t id)
{
	struct adm *a = instance;
	size_t tlen = strlen(n->token), body_len = 0;
	struct adm_sent *sent;
	struct h1_send *s;
	char url[ADM_MAX_URL + ADM_MAX_REGISTRATION + 64], why[128], *body = NULL;
	int64_t now = drv_now_ms();

	if (drv_expired(n, now)) {
		h1_report(&a->client, id, HERALD_OUTCOME_PAYLOAD_REJECTED,
			  "the message expired before it could be sent");
		return 0;
	}
	if (!registration_ok(n->token, tlen)) {
		h1_report(&a->client, id, HERALD_OUTCOME_TOKEN_INVALID,
			  "not an ADM registration id");
		return 0;
	}
	sent = calloc(1, sizeof(*sent) + tlen + 1);
	if (!sent)
		return HERALD_ENOMEM;
	sent->adm = a;
	memcpy(sent->token, n->token, tlen + 1);
	if (adm_body(n->payload, n->payload_len, drv_ttl_s(n, now), &body, &body_len, sent->md5,
		     why, sizeof(why)) != 0) {
		adm_sent_free(sent);
		h1_report(&a->client, id, HERALD_OUTCOME_PAYLOAD_REJECTED, why);
		return 0;
	}
	snprintf(url, sizeof(url), "%s/messaging/registrations/%s/messages", a->url, n->token);
	s = h1_send_new(&a->client, id, "POST", url, sent, adm_sent_free);
	if (!s) {
		adm_sent_free(sent);
		free(body);
		return HERALD_ENOMEM;
	}
	h1_send_body_take(s, body, body_len);
	if (h1_send_header(s, "Content-Type", "application/json") ||
	    h1_send_header(s, "Accept", "application/json") ||
	    h1_send_header(s, "X-Amzn-Type-Version", ADM_TYPE_VERSION) ||
	    h1_send_header(s, "X-Amzn-Accept-Type", ADM_ACCEPT_TYPE)) {
		h1_send_free(s);
		return HERALD_ENOMEM;
	}
	a->host->counter_add(a->app, "sends", 1);
	return h1_send_start(s);
}

/* The "reason" of an ADM error body, copied into buf ("" if none). */
static const char *reason_of(const struct herald_http_response *res, char *buf, size_t size)
{
	json_t *root = json_loadb((const char *)res->body, res->body_len, 0, NULL);
	const char *r = json_string_value(json_object_get(root, "reason"));

	snprintf(buf, size, "%s", r ? r : "");
	json_decref(root);
	return buf;
}

static void adm_map(void *arg, struct h1_send *s, const struct herald_http_response *res,
		    struct herald_outcome *o)
{
	struct adm *a = arg;
	struct adm_sent *sent = h1_send_data(s);
	const char *rid = plug_header(res, "x-amzn-requestid");
	char reason[64];

	if (rid)
		a->host->log(a->app, HERALD_LOG_DEBUG, "send %llu: HTTP %d, x-amzn-RequestId %s",
			     (unsigned long long)h1_send_id(s), res->status, rid);
	if (res->status >= 200 && res->status < 300) {
		json_t *root = json_loadb((const char *)res->body, res->body_len, 0, NULL);
		const char *id = json_string_value(json_object_get(root, "registrationID"));
		const char *md5 = plug_header(res, "x-amzn-data-md5");

		o->kind = HERALD_OUTCOME_DELIVERED;
		if (id && strcmp(id, sent->token) != 0 && registration_ok(id, strlen(id)) &&
		    (sent->canonical = strdup(id))) {
			o->kind = HERALD_OUTCOME_TOKEN_REPLACED;
			o->canonical_token = sent->canonical;
		}
		if (md5 && strcmp(md5, sent->md5) != 0)
			a->host->log(a->app, HERALD_LOG_WARNING,
				     "send %llu: ADM's X-Amzn-Data-md5 differs from the data's md5",
				     (unsigned long long)h1_send_id(s));
		json_decref(root);
		return;
	}
	reason_of(res, reason, sizeof(reason));
	switch (res->status) {
	case 400:
		o->kind =
			!strcmp(reason, "InvalidRegistrationId") || !strcmp(reason, "Unregistered")
				? HERALD_OUTCOME_TOKEN_INVALID
				: HERALD_OUTCOME_PAYLOAD_REJECTED;
		break;
	case 401:
		o->kind = HERALD_OUTCOME_CREDENTIAL_ERROR; /* even with a fresh token */
		break;
	case 403: /* rate limiting, in Amazon's own sample server */
	case 429:
		o->kind = HERALD_OUTCOME_RETRY;
		break;
	default:
		o->kind =
			res->status >= 500 ? HERALD_OUTCOME_RETRY : HERALD_OUTCOME_PAYLOAD_REJECTED;
		break;
	}
	if (o->kind == HERALD_OUTCOME_RETRY)
		o->retry_after_ms = plug_retry_after_ms(res, time(NULL));
	if (o->kind != HERALD_OUTCOME_RETRY || reason[0])
		a->host->log(a->app, HERALD_LOG_NOTICE, "send %llu: ADM answered %d %s",
			     (unsigned long long)h1_send_id(s), res->status,
			     reason[0] ? reason : "(no reason)");
}

static void adm_free(void *instance)
{
	struct adm *a = instance;

	h1_client_close(&a->client);
	free(a);
}

static const char *const adm_platforms[] = {"ADM", NULL};

static const struct herald_driver adm_driver = {
	.size = sizeof(struct herald_driver),
	.abi_major = HERALD_DRIVER_ABI_MAJOR,
	.abi_minor = HERALD_DRIVER_ABI_MINOR,
	.name = "adm",
	.version = PACKAGE_VERSION,
	.platforms = adm_platforms,
	.check_config = adm_check_config,
	.create_instance = adm_create,
	.validate_token = adm_validate_token,
	.send = adm_send,
	.free_instance = adm_free,
};

const struct herald_driver *herald_driver_query(unsigned int host_major, unsigned int host_minor)
{
	if (host_major != HERALD_DRIVER_ABI_MAJOR)
		return NULL;
	return &adm_driver;
}
