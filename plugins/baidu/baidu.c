/*
 * Driver "baidu": Baidu Cloud Push REST API v3 (platform BAIDU),
 * providers.md §6.
 *
 * PlatformPrincipal is the API key and PlatformCredential the secret key,
 * which signs every request (baidusign.c) and never leaves the process.
 * The endpoint's token is the device's ChannelId (digits).  SNS also
 * requires a UserId attribute at CreatePlatformEndpoint; push/single_device
 * addresses the channel alone, so the broker keeps UserId as an endpoint
 * attribute and the driver never needs it.  Devices are Android
 * (device_type 3), the only kind SNS's Baidu platform serves.
 *
 * One send is one POST {url}/rest/3.0/push/single_device over the host's
 * HTTP/1.1 client (plugins/common/h1send), a form of apikey, channel_id,
 * device_type, msg (the payload), msg_type (AWS.SNS.MOBILE.BAIDU.MessageType),
 * msg_expires (the TTL, clamped to Baidu's 1..604800 seconds; absent when no
 * TTL applies, so Baidu's default holds), deploy_status
 * (AWS.SNS.MOBILE.BAIDU.DeployStatus), timestamp, expires (timestamp + 600,
 * the request's replay window) and sign.  AWS.SNS.MOBILE.BAIDU.MessageKey has
 * no parameter in the v3 API and is not sent.
 *
 * Options (herald.conf drivers.baidu): url (default
 * https://api.tuisong.baidu.com; the signature covers the URL exactly as
 * sent, scheme included).
 *
 * Answers: 200: DELIVERED.  Otherwise error_code (read leniently: nested one
 * level, or after an HTML </pre>): 30600: RETRY; 30603 (authentication),
 * 30604 (quota), 30606 (timestamp or expires: the clock): CREDENTIAL_ERROR;
 * 30607, 30608 (channel unbound or expired): TOKEN_INVALID; others
 * PAYLOAD_REJECTED; no code: 5xx RETRY, else PAYLOAD_REJECTED.  Retry-After
 * honoured.
 *
 * No global mutable state; loop thread only; the secret is wiped on free.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <herald/driver.h>
#include <jansson.h>

#include "plugins/baidu/baidusign.h"
#include "plugins/common/drvutil.h"
#include "plugins/common/h1send.h"
#include "plugins/common/plugutil.h"

#define BAIDU_DEFAULT_URL  "https://api.tuisong.baidu.com"
#define BAIDU_PATH	   "/rest/3.0/push/single_device"
#define BAIDU_MAX_URL	   1024
#define BAIDU_MAX_CHANNEL  32
#define BAIDU_EXPIRES_MAX  604800
#define BAIDU_REPLAY_S	   600
#define BAIDU_USER_AGENT   "BCCS_SDK/3.0 (herald) C (Baidu Push Server SDK V3.0.0)"
#define BAIDU_CONTENT_TYPE "application/x-www-form-urlencoded;charset=utf-8"

struct baidu {
	const struct herald_host *host;
	struct herald_app *app;
	struct h1_client client;
	char url[BAIDU_MAX_URL]; /* the full push/single_device URL */
	char *apikey;
	char *secret; /* SECRET */
};

static int baidu_check_config(const struct herald_host *host, struct herald_app *app,
			      const struct herald_app_config *cfg, char *err, size_t err_size)
{
	const char *url = plug_option(cfg, "url");

	if (!drv_text_ok(cfg->principal, cfg->principal_len, 256)) {
		snprintf(err, err_size,
			 "PlatformPrincipal must be the Baidu API key (1 to 256 bytes of text)");
		return HERALD_EINVAL;
	}
	if (!drv_text_ok(cfg->credential, cfg->credential_len, 256)) {
		snprintf(
			err, err_size,
			"PlatformCredential must be the Baidu secret key (1 to 256 bytes of text)");
		return HERALD_EINVAL;
	}
	if (url && !drv_http_url_ok(url, BAIDU_MAX_URL - 64)) {
		snprintf(err, err_size, "drivers.baidu url must be an http(s) URL");
		return HERALD_EINVAL;
	}
	return 0;
}

static void baidu_map(void *arg, struct h1_send *s, const struct herald_http_response *res,
		      struct herald_outcome *o);

static void baidu_free(void *instance)
{
	struct baidu *b = instance;

	h1_client_close(&b->client);
	free(b->apikey);
	drv_free_secret(b->secret);
	free(b);
}

static int baidu_create(const struct herald_host *host, struct herald_app *app,
			const struct herald_app_config *cfg, void **instance, char *err,
			size_t err_size)
{
	const char *url = plug_option(cfg, "url");
	struct herald_http_pool_config pc = {.size = sizeof(pc), .version = HERALD_HTTP_1_1};
	struct herald_http_pool *pool;
	struct baidu *b;
	size_t n;
	int rc;

	if (!HERALD_HAS(host, http_pool_free)) {
		snprintf(err, err_size,
			 "the baidu driver needs heraldd 0.2 or later (driver ABI 1.1)");
		return HERALD_EINVAL;
	}
	rc = baidu_check_config(host, app, cfg, err, err_size);
	if (rc)
		return rc;
	b = calloc(1, sizeof(*b));
	if (!b)
		return HERALD_ENOMEM;
	b->host = host;
	b->app = app;
	n = (size_t)snprintf(b->url, sizeof(b->url), "%s", url ? url : BAIDU_DEFAULT_URL);
	while (n > 0 && b->url[n - 1] == '/')
		b->url[--n] = '\0';
	snprintf(b->url + n, sizeof(b->url) - n, "%s", BAIDU_PATH);
	b->apikey = strdup(cfg->principal);
	b->secret = strdup(cfg->credential);
	if (!b->apikey || !b->secret) {
		baidu_free(b);
		return HERALD_ENOMEM;
	}
	pool = host->http_pool_new(app, &pc, err, err_size);
	if (!pool) {
		baidu_free(b);
		return HERALD_EINVAL;
	}
	h1_client_init(&b->client, host, app, pool, NULL, baidu_map, b);
	*instance = b;
	return 0;
}

static int channel_ok(const char *token, size_t len)
{
	return len > 0 && len <= BAIDU_MAX_CHANNEL && strspn(token, "0123456789") == len;
}

static int baidu_validate_token(const char *platform, const char *token, size_t len, char *err,
				size_t err_size)
{
	if (!channel_ok(token, len)) {
		snprintf(err, err_size,
			 "a Baidu channel id (the endpoint's ChannelId) is 1 to %d digits",
			 BAIDU_MAX_CHANNEL);
		return HERALD_EINVAL;
	}
	return 0;
}

static int baidu_send(void *instance, const struct herald_notification *n, uint64_t id)
{
	struct baidu *b = instance;
	struct herald_attr p[10];
	char ts[24], expires[24], ttl[24], type[4], deploy[4], sign[33], *msg, *body;
	int64_t now_ms = drv_now_ms(), ttl_s = drv_ttl_s(n, now_ms);
	time_t now = (time_t)(now_ms / 1000);
	size_t np = 0, len = 0;
	struct h1_send *s;
	int rc;

	if (drv_expired(n, now_ms)) {
		h1_report(&b->client, id, HERALD_OUTCOME_PAYLOAD_REJECTED,
			  "the message expired before it could be sent");
		return 0;
	}
	if (!channel_ok(n->token, strlen(n->token))) {
		h1_report(&b->client, id, HERALD_OUTCOME_TOKEN_INVALID, "not a Baidu channel id");
		return 0;
	}
	if (n->payload_len == 0 || memchr(n->payload, '\0', n->payload_len)) {
		h1_report(&b->client, id, HERALD_OUTCOME_PAYLOAD_REJECTED,
			  "a Baidu message is non-empty text without NUL bytes");
		return 0;
	}
	msg = drv_strndup((const char *)n->payload, n->payload_len);
	if (!msg)
		return HERALD_ENOMEM;
	snprintf(ts, sizeof(ts), "%lld", (long long)now);
	snprintf(expires, sizeof(expires), "%lld", (long long)now + BAIDU_REPLAY_S);
	p[np++] = (struct herald_attr){"apikey", b->apikey};
	p[np++] = (struct herald_attr){"channel_id", n->token};
	p[np++] = (struct herald_attr){"device_type", "3"};
	p[np++] = (struct herald_attr){"msg", msg};
	if (n->baidu_message_type == 0 || n->baidu_message_type == 1) {
		snprintf(type, sizeof(type), "%d", n->baidu_message_type);
		p[np++] = (struct herald_attr){"msg_type", type};
	}
	if (ttl_s >= 0) {
		int64_t t = ttl_s < 1 ? 1 : ttl_s > BAIDU_EXPIRES_MAX ? BAIDU_EXPIRES_MAX : ttl_s;

		snprintf(ttl, sizeof(ttl), "%lld", (long long)t);
		p[np++] = (struct herald_attr){"msg_expires", ttl};
	}
	if (n->baidu_deploy_status == 1 || n->baidu_deploy_status == 2) {
		snprintf(deploy, sizeof(deploy), "%d", n->baidu_deploy_status);
		p[np++] = (struct herald_attr){"deploy_status", deploy};
	}
	p[np++] = (struct herald_attr){"timestamp", ts};
	p[np++] = (struct herald_attr){"expires", expires};
	if (baidu_sign("POST", b->url, p, np, b->secret, sign) != 0 ||
	    !(body = baidu_form(p, np, sign, &len))) {
		free(msg);
		return HERALD_ENOMEM;
	}
	free(msg);
	s = h1_send_new(&b->client, id, "POST", b->url, NULL, NULL);
	if (!s) {
		free(body);
		return HERALD_ENOMEM;
	}
	h1_send_body_take(s, body, len);
	rc = h1_send_header(s, "Content-Type", BAIDU_CONTENT_TYPE);
	if (!rc)
		rc = h1_send_header(s, "User-Agent", BAIDU_USER_AGENT);
	if (rc) {
		h1_send_free(s);
		return rc;
	}
	b->host->counter_add(b->app, "sends", 1);
	return h1_send_start(s);
}

/* error_code of an error body (top level or one level down, or after an HTML </pre>), or 0. */
static int error_code(const struct herald_http_response *res)
{
	const char *body = (const char *)res->body, *pre;
	size_t len = res->body_len;
	json_t *root, *v;
	const char *key;
	int code = 0;

	pre = len ? strstr(body, "</pre>") : NULL;
	if (pre) {
		len -= (size_t)(pre + 6 - body);
		body = pre + 6;
	}
	while (len && *body != '{') {
		body++;
		len--;
	}
	root = json_loadb(body, len, JSON_DISABLE_EOF_CHECK, NULL);
	v = json_object_get(root, "error_code");
	if (json_is_integer(v)) {
		code = (int)json_integer_value(v);
	} else {
		json_object_foreach (root, key, v) {
			json_t *c = json_object_get(v, "error_code");

			if (json_is_integer(c)) {
				code = (int)json_integer_value(c);
				break;
			}
		}
	}
	json_decref(root);
	return code;
}

static void baidu_map(void *arg, struct h1_send *s, const struct herald_http_response *res,
		      struct herald_outcome *o)
{
	struct baidu *b = arg;
	int code;

	if (res->status == 200) {
		o->kind = HERALD_OUTCOME_DELIVERED;
		return;
	}
	code = error_code(res);
	switch (code) {
	case 30600:
		o->kind = HERALD_OUTCOME_RETRY;
		break;
	case 30603: /* Authentication Failed: apikey or sign */
	case 30604: /* Quota Use Up Payment Required */
	case 30606: /* Request Time Expires Timeout: this host's clock */
		o->kind = HERALD_OUTCOME_CREDENTIAL_ERROR;
		break;
	case 30607: /* Channel Token Timeout */
	case 30608: /* Bind Relation Not Found */
		o->kind = HERALD_OUTCOME_TOKEN_INVALID;
		break;
	case 0:
		o->kind =
			res->status >= 500 ? HERALD_OUTCOME_RETRY : HERALD_OUTCOME_PAYLOAD_REJECTED;
		break;
	default:
		o->kind = HERALD_OUTCOME_PAYLOAD_REJECTED;
		break;
	}
	if (o->kind == HERALD_OUTCOME_RETRY)
		o->retry_after_ms = plug_retry_after_ms(res, time(NULL));
	b->host->log(b->app, HERALD_LOG_NOTICE, "send %llu: Baidu answered %d, error_code %d",
		     (unsigned long long)h1_send_id(s), res->status, code);
}

static const char *const baidu_platforms[] = {"BAIDU", NULL};

static const struct herald_driver baidu_driver = {
	.size = sizeof(struct herald_driver),
	.abi_major = HERALD_DRIVER_ABI_MAJOR,
	.abi_minor = HERALD_DRIVER_ABI_MINOR,
	.name = "baidu",
	.version = PACKAGE_VERSION,
	.platforms = baidu_platforms,
	.check_config = baidu_check_config,
	.create_instance = baidu_create,
	.validate_token = baidu_validate_token,
	.send = baidu_send,
	.free_instance = baidu_free,
};

const struct herald_driver *herald_driver_query(unsigned int host_major, unsigned int host_minor)
{
	if (host_major != HERALD_DRIVER_ABI_MAJOR)
		return NULL;
	return &baidu_driver;
}
