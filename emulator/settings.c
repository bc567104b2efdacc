/*
 * Loading the emulator directory (DIR/emulator.json and the keys it names).
 * See config.h; init.c writes what this reads.
 */
#include "config.h"

#include <stddef.h>

#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/pem.h>

#include "emulator/settings.h"

static EVP_PKEY *load_private_key(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *key;

	if (!f) {
		snprintf(err, errlen, "%s: cannot open", path);
		return NULL;
	}
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!key)
		snprintf(err, errlen, "%s: not a PEM private key", path);
	return key;
}

/* dir/name into out; -1 if it does not fit or name is absent. */
static int dir_path(char *out, const struct emu_config *cfg, const char *name)
{
	int n;

	if (!name || !*name)
		return -1;
	if (name[0] == '/')
		n = snprintf(out, EMU_PATH_MAX, "%s", name);
	else
		n = snprintf(out, EMU_PATH_MAX, "%s/%s", cfg->dir, name);
	return n > 0 && n < EMU_PATH_MAX ? 0 : -1;
}

static int copy_str(char *out, size_t outlen, const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (!s || strlen(s) >= outlen)
		return -1;
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static int port_of(const json_t *obj, int dflt)
{
	json_t *p = json_object_get(obj, "port");

	if (!json_is_integer(p) || json_integer_value(p) < 0 || json_integer_value(p) > 65535)
		return dflt;
	return (int)json_integer_value(p);
}

/* A key's optional "topics" (topic-specific key) and "environment" (team-scoped key). */
static int load_key_scope(struct emu_apns_key *ak, const json_t *k, size_t i, char *err,
			  size_t errlen)
{
	const json_t *topics = json_object_get(k, "topics"),
		     *env = json_object_get(k, "environment");
	size_t j, used = 0;
	json_t *t;

	if (topics && !json_is_array(topics)) {
		snprintf(err, errlen, "apns.keys[%zu].topics must be an array of bundle ids", i);
		return -1;
	}
	json_array_foreach (topics, j, t) {
		size_t n = json_string_length(t);

		if (!json_is_string(t) || n == 0 || strcspn(json_string_value(t), " ") != n ||
		    used + n + 1 >= sizeof(ak->topics)) {
			snprintf(
				err, errlen,
				"apns.keys[%zu].topics[%zu]: a bundle id without spaces, all under %d "
				"bytes",
				i, j, EMU_KEY_TOPICS_MAX);
			return -1;
		}
		used += (size_t)snprintf(ak->topics + used, sizeof(ak->topics) - used, "%s%s",
					 used ? " " : "", json_string_value(t));
	}
	if (!env)
		ak->env = EMU_KEY_ANY_ENV;
	else if (json_is_string(env) && strcmp(json_string_value(env), "sandbox") == 0)
		ak->env = EMU_KEY_SANDBOX;
	else if (json_is_string(env) && strcmp(json_string_value(env), "production") == 0)
		ak->env = EMU_KEY_PRODUCTION;
	else {
		snprintf(err, errlen, "apns.keys[%zu].environment must be sandbox or production",
			 i);
		return -1;
	}
	return 0;
}

int settings_key_covers(const struct emu_apns_key *key, const char *topic)
{
	const char *p = key->topics;
	size_t tn = strlen(topic);

	if (!*p)
		return 1;
	while (*p) {
		size_t n = strcspn(p, " ");

		if (n <= tn && memcmp(p, topic, n) == 0 && (topic[n] == '\0' || topic[n] == '.'))
			return 1;
		p += n;
		p += strspn(p, " ");
	}
	return 0;
}

static int load_apns(struct emu_config *cfg, const json_t *apns, char *err, size_t errlen)
{
	const json_t *keys = json_object_get(apns, "keys");
	const char *env = json_string_value(json_object_get(apns, "environment"));
	char path[EMU_PATH_MAX];
	size_t i;
	json_t *k;

	if (copy_str(cfg->bundle_id, sizeof(cfg->bundle_id), apns, "bundle_id") != 0) {
		snprintf(err, errlen, "apns.bundle_id missing or too long");
		return -1;
	}
	cfg->apns_sandbox = env && strcmp(env, "sandbox") == 0;
	cfg->apns_port = port_of(apns, EMU_DEFAULT_APNS);
	if (!json_is_array(keys) || json_array_size(keys) > EMU_MAX_APNS_KEYS) {
		snprintf(err, errlen, "apns.keys must be an array of at most %d keys",
			 EMU_MAX_APNS_KEYS);
		return -1;
	}
	json_array_foreach (keys, i, k) {
		struct emu_apns_key *ak = &cfg->apns_keys[i];

		if (copy_str(ak->key_id, sizeof(ak->key_id), k, "key_id") != 0 ||
		    copy_str(ak->team_id, sizeof(ak->team_id), k, "team_id") != 0 ||
		    dir_path(path, cfg, json_string_value(json_object_get(k, "file"))) != 0) {
			snprintf(
				err, errlen,
				"apns.keys[%zu]: key_id, team_id (10 characters) and file are required",
				i);
			return -1;
		}
		if (load_key_scope(ak, k, i, err, errlen) != 0)
			return -1;
		ak->key = load_private_key(path, err, errlen);
		if (!ak->key)
			return -1;
		if (EVP_PKEY_get_base_id(ak->key) != EVP_PKEY_EC) {
			snprintf(err, errlen, "%s: not an EC key", path);
			return -1;
		}
		cfg->n_apns_keys = i + 1;
	}
	return 0;
}

static int load_fcm(struct emu_config *cfg, const json_t *fcm, char *err, size_t errlen)
{
	char path[EMU_PATH_MAX];
	const char *pem;
	json_t *sa = NULL;
	json_error_t jerr;
	BIO *bio = NULL;
	int rc = -1;

	cfg->fcm_port = port_of(fcm, EMU_DEFAULT_FCM);
	if (dir_path(path, cfg, json_string_value(json_object_get(fcm, "service_account"))) != 0) {
		snprintf(err, errlen, "fcm.service_account missing");
		return -1;
	}
	sa = json_load_file(path, 0, &jerr);
	if (!sa) {
		snprintf(err, errlen, "%s: %s", path, jerr.text);
		return -1;
	}
	pem = json_string_value(json_object_get(sa, "private_key"));
	if (copy_str(cfg->fcm_project, sizeof(cfg->fcm_project), sa, "project_id") != 0 ||
	    copy_str(cfg->fcm_client_email, sizeof(cfg->fcm_client_email), sa, "client_email") !=
		    0 ||
	    copy_str(cfg->fcm_key_id, sizeof(cfg->fcm_key_id), sa, "private_key_id") != 0 ||
	    copy_str(cfg->fcm_token_uri, sizeof(cfg->fcm_token_uri), sa, "token_uri") != 0 ||
	    !pem) {
		snprintf(
			err, errlen,
			"%s: project_id, client_email, private_key_id, token_uri and private_key are required",
			path);
		goto out;
	}
	bio = BIO_new_mem_buf(pem, -1);
	cfg->fcm_key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	if (!cfg->fcm_key || EVP_PKEY_get_base_id(cfg->fcm_key) != EVP_PKEY_RSA) {
		snprintf(err, errlen, "%s: private_key is not a PEM RSA key", path);
		goto out;
	}
	rc = 0;
out:
	BIO_free(bio);
	json_decref(sa);
	return rc;
}

/* The HTTP/1.1 providers' ports and shared secrets; every one optional. */
static int load_secrets(struct emu_config *cfg, const json_t *root, char *err, size_t errlen)
{
	static const struct {
		const char *group, *key;
		size_t off;
	} secrets[] = {
		{"fcm", "server_key", offsetof(struct emu_config, fcm_server_key)},
		{"adm", "client_id", offsetof(struct emu_config, adm_client_id)},
		{"adm", "client_secret", offsetof(struct emu_config, adm_client_secret)},
		{"wns", "package_sid", offsetof(struct emu_config, wns_sid)},
		{"wns", "secret", offsetof(struct emu_config, wns_secret)},
		{"wns", "entra_tenant_id", offsetof(struct emu_config, wns_entra_tenant)},
		{"wns", "entra_client_id", offsetof(struct emu_config, wns_entra_client_id)},
		{"wns", "entra_client_secret", offsetof(struct emu_config, wns_entra_secret)},
		{"baidu", "api_key", offsetof(struct emu_config, baidu_api_key)},
		{"baidu", "secret_key", offsetof(struct emu_config, baidu_secret)},
	};

	cfg->adm_port = port_of(json_object_get(root, "adm"), EMU_DEFAULT_ADM);
	cfg->wns_port = port_of(json_object_get(root, "wns"), EMU_DEFAULT_WNS);
	cfg->baidu_port = port_of(json_object_get(root, "baidu"), EMU_DEFAULT_BAIDU);
	cfg->mpns_port = port_of(json_object_get(root, "mpns"), EMU_DEFAULT_MPNS);
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		const json_t *v =
			json_object_get(json_object_get(root, secrets[i].group), secrets[i].key);

		if (!v)
			continue;
		if (!json_is_string(v) || json_string_length(v) >= EMU_SECRET_MAX) {
			snprintf(err, errlen, "%s.%s must be a string under %d bytes",
				 secrets[i].group, secrets[i].key, EMU_SECRET_MAX);
			return -1;
		}
		memcpy((char *)cfg + secrets[i].off, json_string_value(v),
		       json_string_length(v) + 1);
	}
	return 0;
}

int settings_load(struct emu_config *cfg, const char *dir, char *err, size_t errlen)
{
	char path[EMU_PATH_MAX];
	json_t *root, *tls;
	json_error_t jerr;
	int rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	if (snprintf(cfg->dir, sizeof(cfg->dir), "%s", dir) >= (int)sizeof(cfg->dir) ||
	    dir_path(path, cfg, EMU_CONFIG_FILE) != 0) {
		snprintf(err, errlen, "directory name too long");
		return -1;
	}
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, errlen, "%s: %s (run `herald-emulator init %s` first)", path,
			 jerr.text, dir);
		return -1;
	}
	tls = json_object_get(root, "tls");
	if (dir_path(cfg->ca_file, cfg, json_string_value(json_object_get(tls, "ca"))) != 0 ||
	    dir_path(cfg->cert_file, cfg, json_string_value(json_object_get(tls, "cert"))) != 0 ||
	    dir_path(cfg->key_file, cfg, json_string_value(json_object_get(tls, "key"))) != 0) {
		snprintf(err, errlen, "%s: tls.ca, tls.cert and tls.key are required", path);
		goto out;
	}
	if (load_apns(cfg, json_object_get(root, "apns"), err, errlen) != 0 ||
	    load_fcm(cfg, json_object_get(root, "fcm"), err, errlen) != 0)
		goto out;
	if (load_secrets(cfg, root, err, errlen) != 0)
		goto out;
	cfg->control_port = port_of(json_object_get(root, "control"), EMU_DEFAULT_CTRL);
	rc = 0;
out:
	json_decref(root);
	if (rc != 0)
		settings_free(cfg);
	return rc;
}

void settings_free(struct emu_config *cfg)
{
	for (size_t i = 0; i < EMU_MAX_APNS_KEYS; i++)
		EVP_PKEY_free(cfg->apns_keys[i].key);
	EVP_PKEY_free(cfg->fcm_key);
	memset(cfg, 0, sizeof(*cfg));
}

const struct emu_apns_key *settings_apns_key(const struct emu_config *cfg, const char *kid)
{
	for (size_t i = 0; i < cfg->n_apns_keys; i++)
		if (strcmp(cfg->apns_keys[i].key_id, kid) == 0)
			return &cfg->apns_keys[i];
	return NULL;
}
