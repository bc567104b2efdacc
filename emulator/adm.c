/*
 * Emulated ADM and its Login-with-Amazon token endpoint; see adm.h.  Errors
 * are {"reason": "..."} with ADM's statuses (providers.md §3.2); every answer
 * carries x-amzn-RequestId.  Runs on the event loop.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>

#include "emulator/adm.h"
#include "emulator/bearer.h"
#include "emulator/h2.h"

struct adm_server {
	const struct emu_config *cfg;
	struct emu_state *st;
	struct h2_server *h2;
	struct bearer_store *tokens;
};

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int adm_md5(const json_t *data, char out[25])
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	size_t n = json_object_size(data), i = 0;
	const char **keys = NULL, *key;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	json_t *v;
	int rc = -1;

	if (!md || !json_is_object(data) || (n && !(keys = malloc(n * sizeof(*keys)))))
		goto out;
	json_object_foreach ((json_t *)data, key, v) {
		if (!json_is_string(v))
			goto out;
		keys[i++] = key;
	}
	/* strcmp orders by unsigned bytes: the UTF-8 byte order ADM uses. */
	if (n) /* qsort wants a valid pointer even for no elements */
		qsort(keys, n, sizeof(*keys), cmp_keys);
	if (EVP_DigestInit_ex(md, EVP_md5(), NULL) != 1)
		goto out;
	for (i = 0; i < n; i++) {
		v = json_object_get(data, keys[i]);
		if ((i && EVP_DigestUpdate(md, ",", 1) != 1) ||
		    EVP_DigestUpdate(md, keys[i], strlen(keys[i])) != 1 ||
		    EVP_DigestUpdate(md, ":", 1) != 1 ||
		    EVP_DigestUpdate(md, json_string_value(v), json_string_length(v)) != 1)
			goto out;
	}
	if (EVP_DigestFinal_ex(md, digest, &dlen) != 1 || dlen != 16)
		goto out;
	EVP_EncodeBlock((unsigned char *)out, digest, 16);
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	free(keys);
	return rc;
}

static int oauth_fail(struct adm_oauth_error *e, int http, const char *error, const char *desc)
{
	*e = (struct adm_oauth_error){http, error, desc};
	return -1;
}

int adm_check_token(const struct emu_config *cfg, const char *grant_type, const char *scope,
		    const char *client_id, const char *client_secret, struct adm_oauth_error *e)
{
	if (!grant_type)
		return oauth_fail(e, 400, "invalid_request",
				  "The request is missing a required parameter : grant_type");
	if (strcmp(grant_type, "client_credentials") != 0)
		return oauth_fail(e, 400, "unsupported_grant_type", "Invalid grant_type");
	if (!client_id || !client_secret || !cfg->adm_client_id[0] ||
	    strcmp(client_id, cfg->adm_client_id) != 0 ||
	    strcmp(client_secret, cfg->adm_client_secret) != 0)
		return oauth_fail(e, 401, "invalid_client", "Client authentication failed");
	if (!scope || strcmp(scope, ADM_SCOPE) != 0)
		return oauth_fail(e, 400, "invalid_scope", "An unknown scope was specified");
	return 0;
}

int adm_registration_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > ADM_MAX_REGISTRATION)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)id[i] <= ' ' || (unsigned char)id[i] >= 0x7f ||
		    strchr("/?#%", id[i]))
			return 0;
	return 1;
}

int adm_check_send(const char *body, size_t len, const char **reason, char md5[25])
{
	json_t *root = NULL, *data, *v;
	char sum[25];
	int status = 400;

	*reason = NULL;
	if (len > ADM_MAX_BODY) {
		*reason = "MessageTooLarge";
		return 413;
	}
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	data = json_object_get(root, "data");
	if (!json_is_object(root) || (!data && !json_object_get(root, "notification")) ||
	    (data && adm_md5(data, sum) != 0)) {
		*reason = "InvalidData";
		goto out;
	}
	if (!data) { /* a notification only: the empty map's checksum */
		json_t *empty = json_object();
		int bad = !empty || adm_md5(empty, sum) != 0;

		json_decref(empty);
		if (bad)
			goto internal;
	}
	v = json_object_get(root, "consolidationKey");
	if (v && (!json_is_string(v) || json_string_length(v) == 0 ||
		  json_string_length(v) > ADM_MAX_CONSOLIDATION)) {
		*reason = "InvalidConsolidationKey";
		goto out;
	}
	if (!v && data && json_object_size(data) == 0) {
		*reason = "InvalidData"; /* {} is allowed only with a consolidationKey */
		goto out;
	}
	v = json_object_get(root, "expiresAfter");
	if (v && (!json_is_integer(v) || json_integer_value(v) < ADM_MIN_EXPIRES ||
		  json_integer_value(v) > ADM_MAX_EXPIRES)) {
		*reason = "InvalidExpiration";
		goto out;
	}
	v = json_object_get(root, "md5");
	if (v && (!json_is_string(v) || strcmp(json_string_value(v), sum) != 0)) {
		*reason = "InvalidChecksum";
		goto out;
	}
	if (md5)
		memcpy(md5, sum, sizeof(sum));
	status = 0;
	goto out;
internal:
	status = 500;
out:
	json_decref(root);
	return status;
}

/* ---- the server ------------------------------------------------------------- */

static void respond(struct adm_server *srv, struct h2_req *req, enum emu_provider p,
		    const char *token, int status, const char *reason, const json_t *obj,
		    const char *md5, int retry_after, unsigned delay_ms)
{
	struct h2_out_header h[3];
	char rid[40], retry[16];
	size_t n = 0;

	bearer_random_hex(rid, 16);
	h[n++] = (struct h2_out_header){"x-amzn-requestid", rid};
	if (md5)
		h[n++] = (struct h2_out_header){"x-amzn-data-md5", md5};
	if (retry_after >= 0) {
		snprintf(retry, sizeof(retry), "%d", retry_after);
		h[n++] = (struct h2_out_header){"retry-after", retry};
	}
	state_record(srv->st, p, token, req, status, reason);
	bearer_respond_json(req, status, obj, h, n, delay_ms);
}

static void respond_reason(struct adm_server *srv, struct h2_req *req, const char *token,
			   int status, const char *reason, int retry_after, unsigned delay_ms)
{
	json_t *obj = reason ? json_pack("{s:s}", "reason", reason) : json_object();

	respond(srv, req, EMU_ADM, token, status, reason, obj, NULL, retry_after, delay_ms);
	json_decref(obj);
}

static void handle_token(struct adm_server *srv, struct h2_req *req)
{
	struct adm_oauth_error e = {0};
	struct evkeyvalq form;
	char access[128];
	json_t *obj = NULL;

	TAILQ_INIT(&form);
	if (evhttp_parse_query_str(req->body, &form) != 0) {
		oauth_fail(&e, 400, "invalid_request", "The request body is not form-encoded.");
	} else if (adm_check_token(srv->cfg, evhttp_find_header(&form, "grant_type"),
				   evhttp_find_header(&form, "scope"),
				   evhttp_find_header(&form, "client_id"),
				   evhttp_find_header(&form, "client_secret"), &e) == 0) {
		if (bearer_issue(srv->tokens, "Atc|", ADM_TOKEN_LIFETIME, access, sizeof(access)) !=
		    0)
			oauth_fail(&e, 500, "server_error", "Internal failure.");
		else
			obj = json_pack("{s:s, s:i, s:s, s:s}", "access_token", access,
					"expires_in", ADM_TOKEN_LIFETIME, "scope", ADM_SCOPE,
					"token_type", "bearer");
	}
	if (!obj)
		obj = json_pack("{s:s, s:s}", "error", e.error, "error_description", e.description);
	respond(srv, req, EMU_ADM_OAUTH, NULL, e.http ? e.http : 200, e.error, obj, NULL, -1, 0);
	evhttp_clear_headers(&form);
	json_decref(obj);
}

static void handle_send(struct adm_server *srv, struct h2_req *req, const char *id)
{
	const char *type = h2_req_header(req, "x-amzn-type-version", NULL);
	const char *accept = h2_req_header(req, "x-amzn-accept-type", NULL), *reason;
	struct emu_rule rule = {.retry_after = -1};
	char md5[25];
	json_t *obj;
	int status;

	if (!type || strcmp(type, ADM_TYPE_VERSION) != 0 || !accept ||
	    strcmp(accept, ADM_ACCEPT_TYPE) != 0) {
		respond_reason(srv, req, id, 400, "InvalidType", -1, 0);
		return;
	}
	if (!bearer_check(srv->tokens, h2_req_header(req, "authorization", NULL))) {
		respond_reason(srv, req, id, 401, "AccessTokenExpired", -1, 0);
		return;
	}
	if (req->body_total > ADM_MAX_BODY) {
		respond_reason(srv, req, id, 413, "MessageTooLarge", -1, 0);
		return;
	}
	status = adm_check_send(req->body, req->body_len, &reason, md5);
	if (status) {
		respond_reason(srv, req, id, status, reason, -1, 0);
		return;
	}
	if (!adm_registration_valid(id)) {
		respond_reason(srv, req, id, 400, "InvalidRegistrationId", -1, 0);
		return;
	}
	if (state_rule(srv->st, EMU_ADM, id, &rule) && rule.status >= 300) {
		if (!rule.reason[0] && rule.status == 429)
			snprintf(rule.reason, sizeof(rule.reason), "MaxRateExceeded");
		if (!rule.reason[0] && rule.status == 400)
			snprintf(rule.reason, sizeof(rule.reason), "Unregistered");
		/* 500 and 503 carry no reason. */
		respond_reason(srv, req, id, rule.status, rule.reason[0] ? rule.reason : NULL,
			       rule.retry_after, rule.delay_ms);
		return;
	}
	obj = json_pack("{s:s}", "registrationID", rule.canonical[0] ? rule.canonical : id);
	respond(srv, req, EMU_ADM, id, 200, NULL, obj, md5, -1, rule.delay_ms);
	json_decref(obj);
}

static void on_request(struct h2_req *req, void *arg)
{
	static const char prefix[] = "/messaging/registrations/", suffix[] = "/messages";
	struct adm_server *srv = arg;
	const char *method = h2_req_header(req, ":method", NULL);
	const char *path = h2_req_header(req, ":path", NULL);
	char id[ADM_MAX_REGISTRATION + 1];

	if (!method || !path || strcmp(method, "POST") != 0) {
		respond_reason(srv, req, NULL, 405, "MethodNotAllowed", -1, 0);
		return;
	}
	if (strcmp(path, "/auth/O2/token") == 0) {
		handle_token(srv, req);
		return;
	}
	if (strncmp(path, prefix, sizeof(prefix) - 1) == 0) {
		const char *p = path + sizeof(prefix) - 1, *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : 0;

		if (end && strcmp(end, suffix) == 0 && n > 0 && n <= ADM_MAX_REGISTRATION) {
			memcpy(id, p, n);
			id[n] = '\0';
			handle_send(srv, req, id);
			return;
		}
	}
	respond_reason(srv, req, NULL, 404, "NotFound", -1, 0);
}

struct adm_server *adm_server_new(struct event_base *base, const struct emu_config *cfg,
				  struct emu_state *st, int port, char *err, size_t errlen)
{
	struct adm_server *srv = calloc(1, sizeof(*srv));
	struct h2_server_opts opts = {
		.max_streams = 100,
		.max_body = ADM_MAX_BODY + 1, /* one more, to tell 413 from a full body */
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
	if (!srv->tokens) {
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
	adm_server_free(srv);
	return NULL;
}

int adm_server_port(const struct adm_server *srv)
{
	return h2_server_port(srv->h2);
}

void adm_server_revoke_tokens(struct adm_server *srv)
{
	bearer_revoke_all(srv->tokens);
}

void adm_server_free(struct adm_server *srv)
{
	if (!srv)
		return;
	h2_server_free(srv->h2);
	bearer_store_free(srv->tokens);
	free(srv);
}
