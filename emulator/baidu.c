/*
 * Emulated Baidu Cloud Push v3; see baidu.h.  Every answer is JSON with a
 * request_id; errors carry error_code and error_msg (providers.md §6.4).
 * Runs on the event loop.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/util.h"
#include "emulator/baidu.h"
#include "emulator/bearer.h"
#include "emulator/h2.h"

struct baidu_server {
	const struct emu_config *cfg;
	struct emu_state *st;
	struct h2_server *h2;
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode [s, s+n) into a new NUL-terminated string; NULL if malformed. */
static char *form_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			*o++ = ' ';
		} else if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0 || (hi == 0 && lo == 0))
				goto bad;
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '\0') {
			goto bad;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

json_t *baidu_parse_form(const char *body, size_t len)
{
	json_t *obj = json_object();
	const char *p = body, *end = body + len;

	while (obj && p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *eq;
		char *k = NULL, *v = NULL;

		if (!amp)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (!eq || eq == p || !(k = form_decode(p, (size_t)(eq - p))) ||
		    !(v = form_decode(eq + 1, (size_t)(amp - eq - 1))) || !*k ||
		    json_object_get(obj, k) || json_object_set_new(obj, k, json_string(v)) != 0) {
			free(k);
			free(v);
			json_decref(obj);
			return NULL;
		}
		free(k);
		free(v);
		p = amp + 1;
	}
	return obj;
}

/* Append s encoded as Java's URLEncoder does, with '*' as %2A (providers.md §6.3 step 4). */
static int java_urlencode(struct evbuffer *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int rc;

		if (isalnum(c) || c == '-' || c == '_' || c == '.')
			rc = evbuffer_add(out, &s[i], 1);
		else if (c == ' ')
			rc = evbuffer_add(out, "+", 1);
		else
			rc = evbuffer_add_printf(out, "%%%02X", c) == 3 ? 0 : -1;
		if (rc != 0)
			return -1;
	}
	return 0;
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int baidu_sign(const char *method, const char *url, const json_t *params, const char *secret,
	       char out[33])
{
	struct evbuffer *enc = evbuffer_new();
	size_t n = json_object_size(params), k = 0;
	const char **keys = n ? malloc(n * sizeof(*keys)) : NULL, *key;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	json_t *v;
	int rc = -1;

	if (!enc || (n && !keys))
		goto out;
	json_object_foreach ((json_t *)params, key, v)
		if (strcmp(key, "sign") != 0)
			keys[k++] = key;
	if (k)
		qsort(keys, k, sizeof(*keys), cmp_keys);
	/* Encoding the concatenation equals concatenating the encodings. */
	if (java_urlencode(enc, method, strlen(method)) || java_urlencode(enc, url, strlen(url)))
		goto out;
	for (size_t i = 0; i < k; i++) {
		v = json_object_get(params, keys[i]);
		if (!json_is_string(v) || java_urlencode(enc, keys[i], strlen(keys[i])) ||
		    java_urlencode(enc, "=", 1) ||
		    java_urlencode(enc, json_string_value(v), json_string_length(v)))
			goto out;
	}
	if (java_urlencode(enc, secret, strlen(secret)) ||
	    EVP_Digest(evbuffer_pullup(enc, -1), evbuffer_get_length(enc), digest, &dlen, EVP_md5(),
		       NULL) != 1 ||
	    dlen != 16)
		goto out;
	for (unsigned int i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", digest[i]);
	rc = 0;
out:
	free(keys);
	if (enc)
		evbuffer_free(enc);
	return rc;
}

void baidu_error_from_code(struct baidu_error *e, int code, int http)
{
	static const char *const texts[] = {
		"Internal Server Error",	 "Method Not Allowed",
		"Request Params Not Valid",	 "Authentication Failed",
		"Quota Use Up Payment Required", "Data Required Not Found",
		"Request Time Expires Timeout",	 "Channel Token Timeout",
		"Bind Relation Not Found",	 "Bind Number Too Many",
		"Duplicate Operation",
	};

	if (code < 30600 || code > 30610)
		code = 30600;
	e->code = code;
	e->msg = texts[code - 30600];
	e->http = http;
}

static int fail(struct baidu_error *e, int code, int http)
{
	baidu_error_from_code(e, code, http);
	return -1;
}

static const char *param(const json_t *params, const char *name)
{
	return json_string_value(json_object_get(params, name));
}

/* s is a decimal integer in [lo, hi]. */
static int int_in(const char *s, long long lo, long long hi)
{
	char *end;
	long long v;

	if (!s || !isdigit((unsigned char)s[0]) || strlen(s) > 18)
		return 0;
	v = strtoll(s, &end, 10);
	return *end == '\0' && v >= lo && v <= hi;
}

int baidu_check_push(const struct emu_config *cfg, const char *url, const json_t *params,
		     int64_t now, struct baidu_error *e)
{
	const char *apikey = param(params, "apikey"), *sign = param(params, "sign");
	const char *ts = param(params, "timestamp"), *expires = param(params, "expires");
	const char *channel = param(params, "channel_id"), *msg = param(params, "msg");
	const char *device = param(params, "device_type"), *type = param(params, "msg_type");
	const char *v;
	char want[33];
	size_t limit;

	if (!apikey || !sign || !ts)
		return fail(e, 30602, 400);
	if (!cfg->baidu_api_key[0] || strcmp(apikey, cfg->baidu_api_key) != 0)
		return fail(e, 30603, 401);
	if (baidu_sign("POST", url, params, cfg->baidu_secret, want) != 0)
		return fail(e, 30600, 500);
	if (strcmp(sign, want) != 0)
		return fail(e, 30603, 401);
	if (!int_in(ts, 0, 1LL << 40) || llabs(strtoll(ts, NULL, 10) - now) > BAIDU_MAX_SKEW ||
	    (expires && (!int_in(expires, 0, 1LL << 40) || strtoll(expires, NULL, 10) < now)))
		return fail(e, 30606, 401);
	if (!channel || !msg || !*channel || strspn(channel, "0123456789") != strlen(channel) ||
	    strlen(channel) > 32)
		return fail(e, 30602, 400);
	if (device && !int_in(device, 3, 4))
		return fail(e, 30602, 400);
	limit = device && strcmp(device, "4") == 0 ? BAIDU_MAX_IOS_MSG : BAIDU_MAX_ANDROID_MSG;
	if (!*msg || strlen(msg) > limit)
		return fail(e, 30602, 400);
	if (type && !int_in(type, 0, 1))
		return fail(e, 30602, 400);
	if (type && strcmp(type, "1") == 0) {
		json_t *n = json_loads(msg, JSON_REJECT_DUPLICATES, NULL);
		int ok = json_is_object(n);

		json_decref(n);
		if (!ok)
			return fail(e, 30602, 400);
	}
	if ((v = param(params, "msg_expires")) && !int_in(v, 1, BAIDU_MAX_MSG_EXPIRES))
		return fail(e, 30602, 400);
	v = param(params, "deploy_status");
	if ((v && !int_in(v, 1, 2)) || (!v && device && strcmp(device, "4") == 0))
		return fail(e, 30602, 400);
	if ((v = param(params, "topic_id")) && (!*v || strlen(v) > 128))
		return fail(e, 30602, 400);
	return 0;
}

/* ---- the server ------------------------------------------------------------- */

static long long request_id(void)
{
	unsigned char b[4];

	if (RAND_bytes(b, sizeof(b)) != 1)
		memset(b, 0, sizeof(b));
	return 1000000000LL + ((long long)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]) % 1000000000;
}

static void respond_error(struct baidu_server *srv, struct h2_req *req, const char *channel,
			  const struct baidu_error *e, int retry_after, unsigned delay_ms)
{
	json_t *obj = json_pack("{s:I, s:i, s:s}", "request_id", (json_int_t)request_id(),
				"error_code", e->code, "error_msg", e->msg);
	struct h2_out_header h;
	char retry[16], code[16];

	snprintf(code, sizeof(code), "%d", e->code);
	state_record(srv->st, EMU_BAIDU, channel, req, e->http, code);
	if (retry_after >= 0) {
		snprintf(retry, sizeof(retry), "%d", retry_after);
		h = (struct h2_out_header){"retry-after", retry};
	}
	bearer_respond_json(req, e->http, obj, &h, retry_after >= 0, delay_ms);
	json_decref(obj);
}

static void handle_push(struct baidu_server *srv, struct h2_req *req, const char *path)
{
	const char *host = h2_req_header(req, ":authority", NULL), *channel = NULL;
	const char *scheme = h2_req_header(req, ":scheme", NULL);
	struct baidu_error e;
	struct emu_rule rule = {.retry_after = -1};
	json_t *params = NULL, *obj;
	char url[1024];
	int64_t now = util_now_ms() / 1000;

	if (req->body_total > req->body_len || !host ||
	    !(params = baidu_parse_form(req->body, req->body_len))) {
		baidu_error_from_code(&e, 30602, 400);
		goto fail;
	}
	channel = json_string_value(json_object_get(params, "channel_id"));
	/* The URL as the client addressed it: the scheme it connected with, its Host, the path. */
	snprintf(url, sizeof(url), "%s://%.200s%.700s",
		 scheme && strcmp(scheme, "http") == 0 ? "http" : "https", host, path);
	if (baidu_check_push(srv->cfg, url, params, now, &e) != 0)
		goto fail;
	if (state_rule(srv->st, EMU_BAIDU, channel, &rule) &&
	    (rule.status >= 300 || rule.reason[0])) {
		int code = atoi(rule.reason);
		int http = rule.status >= 300 ? rule.status : 400;

		if (!code)
			code = http >= 500		    ? 30600
			       : http == 401 || http == 403 ? 30603
			       : http == 402 || http == 429 ? 30604
							    : 30608;
		baidu_error_from_code(&e, code, http);
		respond_error(srv, req, channel, &e, rule.retry_after, rule.delay_ms);
		json_decref(params);
		return;
	}
	{
		char msg_id[24];

		snprintf(msg_id, sizeof(msg_id), "%lld", request_id() * 1000 + (now % 1000));
		obj = json_pack("{s:I, s:{s:s, s:I}}", "request_id", (json_int_t)request_id(),
				"response_params", "msg_id", msg_id, "send_time", (json_int_t)now);
	}
	state_record(srv->st, EMU_BAIDU, channel, req, 200, NULL);
	bearer_respond_json(req, 200, obj, NULL, 0, rule.delay_ms);
	json_decref(obj);
	json_decref(params);
	return;
fail:
	respond_error(srv, req, channel, &e, -1, 0);
	json_decref(params);
}

static void on_request(struct h2_req *req, void *arg)
{
	struct baidu_server *srv = arg;
	const char *method = h2_req_header(req, ":method", NULL);
	const char *path = h2_req_header(req, ":path", NULL);
	struct baidu_error e;

	if (!method || !path || strcmp(method, "POST") != 0) {
		baidu_error_from_code(&e, 30601, 405);
	} else if (strcmp(path, "/rest/3.0/push/single_device") != 0) {
		baidu_error_from_code(&e, 30601, 404);
	} else {
		handle_push(srv, req, path);
		return;
	}
	respond_error(srv, req, NULL, &e, -1, 0);
}

struct baidu_server *baidu_server_new(struct event_base *base, const struct emu_config *cfg,
				      struct emu_state *st, int port, char *err, size_t errlen)
{
	struct baidu_server *srv = calloc(1, sizeof(*srv));
	struct h2_server_opts opts = {
		.max_streams = 100,
		.max_body = BAIDU_MAX_BODY,
		.on_request = on_request,
		.http1 = 1,
		.plain_http = 1, /* the real service's URLs are http:// */
	};

	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->cfg = cfg;
	srv->st = st;
	opts.cert_file = cfg->cert_file;
	opts.key_file = cfg->key_file;
	opts.arg = srv;
	srv->h2 = h2_server_new(base, port, &opts, err, errlen);
	if (!srv->h2)
		goto fail;
	return srv;
fail:
	baidu_server_free(srv);
	return NULL;
}

int baidu_server_port(const struct baidu_server *srv)
{
	return h2_server_port(srv->h2);
}

void baidu_server_free(struct baidu_server *srv)
{
	if (!srv)
		return;
	h2_server_free(srv->h2);
	free(srv);
}
