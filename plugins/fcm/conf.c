/*
 * An FCM (SNS platform GCM) application's configuration, read and checked
 * offline.  PlatformCredential is either a service-account JSON key (HTTP
 * v1, OAuth2 JWT bearer: project_id, client_email, private_key, token_uri)
 * or a legacy server key (Google retired the legacy API in 2024; kept
 * because SNS still accepts the credential).  Driver options: url (the API
 * origin, e.g. herald-emulator's) and token_url (the OAuth2 token endpoint,
 * instead of the key's token_uri).  Messages name the field at fault, never
 * a secret.
 */
#include "config.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/common/plugutil.h"
#include "plugins/fcm/fcm.h"

static int fail(char *err, size_t err_size, const char *msg)
{
	snprintf(err, err_size, "%s", msg);
	return HERALD_EINVAL;
}

/* A Firebase project id (lower-case letters, digits, '-') or project number. */
static bool project_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= 128)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

static int read_origin(const struct herald_app_config *cfg, struct fcm_conf *out, char *err,
		       size_t err_size)
{
	const char *url = plug_option(cfg, "url");
	size_t n;

	if (!url) {
		snprintf(out->origin, sizeof(out->origin), "%s", FCM_ORIGIN);
		return 0;
	}
	n = strlen(url);
	while (n && url[n - 1] == '/')
		n--;
	if (strncmp(url, "https://", 8) || n <= 8 || memchr(url + 8, '/', n - 8) ||
	    n >= sizeof(out->origin))
		return fail(err, err_size,
			    "driver option url must be https://host[:port] (drivers.fcm.url in "
			    "herald.conf)");
	memcpy(out->origin, url, n);
	out->origin[n] = '\0';
	return 0;
}

static int copy_field(json_t *root, const char *name, char *out, size_t out_size, bool required,
		      char *err, size_t err_size)
{
	json_t *v = json_object_get(root, name);

	if (!v && !required)
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= out_size) {
		snprintf(err, err_size,
			 "PlatformCredential: the service-account JSON needs a string \"%s\"",
			 name);
		return HERALD_EINVAL;
	}
	snprintf(out, out_size, "%s", json_string_value(v));
	return 0;
}

static int read_service_account(const struct herald_host *host, struct herald_app *app,
				const struct herald_app_config *cfg, bool want_key,
				struct fcm_conf *out, char *err, size_t err_size)
{
	json_t *root = json_loadb(cfg->credential, cfg->credential_len, 0, NULL);
	json_t *type = json_object_get(root, "type"), *pk = json_object_get(root, "private_key");
	const char *token_url = plug_option(cfg, "token_url");
	struct herald_key *key = NULL;
	char kerr[256], jwt[1024];
	int rc = HERALD_EINVAL;

	if (!json_is_object(root)) {
		fail(err, err_size,
		     "PlatformCredential is neither a service-account JSON key nor a server key");
		goto out;
	}
	if (type && (!json_is_string(type) || strcmp(json_string_value(type), "service_account"))) {
		fail(err, err_size,
		     "PlatformCredential: the JSON key's \"type\" must be \"service_account\"");
		goto out;
	}
	if (copy_field(root, "project_id", out->project_id, sizeof(out->project_id), true, err,
		       err_size) ||
	    copy_field(root, "client_email", out->client_email, sizeof(out->client_email), true,
		       err, err_size) ||
	    copy_field(root, "private_key_id", out->key_id, sizeof(out->key_id), false, err,
		       err_size) ||
	    copy_field(root, "token_uri", out->token_uri, sizeof(out->token_uri), false, err,
		       err_size))
		goto out;
	if (!project_valid(out->project_id)) {
		fail(err, err_size,
		     "PlatformCredential: project_id must be a Firebase project id (a-z, 0-9, '-')");
		goto out;
	}
	if (!strchr(out->client_email, '@')) {
		fail(err, err_size, "PlatformCredential: client_email is not an e-mail address");
		goto out;
	}
	if (token_url)
		snprintf(out->token_uri, sizeof(out->token_uri), "%s", token_url);
	else if (!out->token_uri[0])
		snprintf(out->token_uri, sizeof(out->token_uri), "%s", FCM_TOKEN_URI);
	if (strncmp(out->token_uri, "https://", 8)) {
		fail(err, err_size, "the OAuth2 token URL (token_uri) must be https://");
		goto out;
	}
	if (!json_is_string(pk)) {
		fail(err, err_size,
		     "PlatformCredential: the service-account JSON needs a string \"private_key\"");
		goto out;
	}
	if (!HERALD_HAS(host, oauth_free)) {
		fail(err, err_size, "the fcm driver needs heraldd 0.2 or later (ABI 1.1)");
		goto out;
	}
	key = host->key_load(app, json_string_value(pk), json_string_length(pk), kerr,
			     sizeof(kerr));
	if (!key) {
		snprintf(err, err_size, "PlatformCredential: private_key is not usable: %s", kerr);
		goto out;
	}
	if (host->jwt_sign(key, "{\"alg\":\"RS256\"}", "{}", jwt, sizeof(jwt)) < 0) {
		fail(err, err_size,
		     "PlatformCredential: private_key must be an RSA key (Google signs RS256)");
		goto out;
	}
	if (want_key) {
		out->key = key;
		key = NULL;
	}
	rc = 0;
out:
	if (key)
		host->key_free(key);
	json_decref(root); /* jansson does not wipe: the parsed key text is freed as is */
	return rc;
}

static int read_server_key(const struct herald_app_config *cfg, bool want, struct fcm_conf *out,
			   char *err, size_t err_size)
{
	out->legacy = true;
	if (cfg->credential_len > 1024)
		return fail(err, err_size,
			    "PlatformCredential: a server key is at most 1024 bytes");
	for (size_t i = 0; i < cfg->credential_len; i++)
		if (!isgraph((unsigned char)cfg->credential[i]))
			return fail(err, err_size,
				    "PlatformCredential: a server key is printable ASCII without "
				    "spaces (or give a service-account JSON key)");
	if (want) {
		out->server_key = malloc(cfg->credential_len + 1);
		if (!out->server_key)
			return HERALD_ENOMEM;
		memcpy(out->server_key, cfg->credential, cfg->credential_len);
		out->server_key[cfg->credential_len] = '\0';
	}
	return 0;
}

int fcm_conf_read(const struct herald_host *host, struct herald_app *app,
		  const struct herald_app_config *cfg, bool want_secrets, struct fcm_conf *out,
		  char *err, size_t err_size)
{
	size_t i = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = read_origin(cfg, out, err, err_size);
	if (rc)
		return rc;
	if (!cfg->credential || !cfg->credential_len)
		return fail(err, err_size,
			    "PlatformCredential must be a service-account JSON key (or a legacy "
			    "server key)");
	while (i < cfg->credential_len && isspace((unsigned char)cfg->credential[i]))
		i++;
	if (i < cfg->credential_len && cfg->credential[i] == '{')
		return read_service_account(host, app, cfg, want_secrets, out, err, err_size);
	return read_server_key(cfg, want_secrets, out, err, err_size);
}

void fcm_conf_clear(const struct herald_host *host, struct fcm_conf *c)
{
	if (c->key)
		host->key_free(c->key);
	c->key = NULL;
	if (c->server_key) {
		OPENSSL_cleanse(c->server_key, strlen(c->server_key));
		free(c->server_key);
	}
	c->server_key = NULL;
}
