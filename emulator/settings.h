/*
 * The emulator's directory: what `herald-emulator init DIR` creates (CA,
 * server certificate, APNs token key and client certificate, FCM service
 * account, MPNS client certificate; the FCM server key and the ADM, WNS
 * (package SID and Entra tenant, client id) and Baidu shared secrets live in
 * the file itself, 0600) and the config file
 * DIR/emulator.json that records them, which
 * `run` and the other sub-commands load.  Loaded once at start; read-only
 * afterwards, so the loop may use it freely.
 */
#ifndef HERALD_EMULATOR_SETTINGS_H
#define HERALD_EMULATOR_SETTINGS_H

#include <stddef.h>

#include <openssl/evp.h>

#define EMU_CONFIG_FILE	  "emulator.json"
#define EMU_MAX_APNS_KEYS 16
#define EMU_ID_LEN	  10 /* APNs key ids and team ids */
#define EMU_DEFAULT_APNS  52197
#define EMU_DEFAULT_FCM	  52443
#define EMU_DEFAULT_CTRL  52080
#define EMU_DEFAULT_ADM	  52201
#define EMU_DEFAULT_WNS	  52202
#define EMU_DEFAULT_BAIDU 52203
#define EMU_DEFAULT_MPNS  52204
#define EMU_SECRET_MAX	  160
#define EMU_PATH_MAX	  4096

#define EMU_KEY_TOPICS_MAX 1024

/* Apple's key kinds (providers.md §1.5): where a key may be used. */
enum emu_key_env { EMU_KEY_ANY_ENV = 0, EMU_KEY_SANDBOX, EMU_KEY_PRODUCTION };

struct emu_apns_key {
	char key_id[EMU_ID_LEN + 1];
	char team_id[EMU_ID_LEN + 1];
	EVP_PKEY *key; /* the private key (the .p8); verification uses its public half */
	/* A topic-specific key's bundle ids, space-separated; "" = every topic of the team. */
	char topics[EMU_KEY_TOPICS_MAX];
	enum emu_key_env env; /* a team-scoped key is for one environment */
};

struct emu_config {
	char dir[EMU_PATH_MAX];
	char ca_file[EMU_PATH_MAX];
	char cert_file[EMU_PATH_MAX]; /* server certificate for 127.0.0.1/localhost */
	char key_file[EMU_PATH_MAX];

	struct emu_apns_key apns_keys[EMU_MAX_APNS_KEYS];
	size_t n_apns_keys;
	char bundle_id[256];
	int apns_sandbox; /* answer with apns-unique-id as the development host does */

	char fcm_project[128];
	char fcm_client_email[256];
	char fcm_key_id[64];
	char fcm_token_uri[512];
	EVP_PKEY *fcm_key; /* the service account's private key */

	/* Shared secrets; "" (a directory from an older init) means nothing is accepted. */
	char fcm_server_key[EMU_SECRET_MAX]; /* legacy /fcm/send: Authorization: key=... */
	char adm_client_id[EMU_SECRET_MAX], adm_client_secret[EMU_SECRET_MAX];
	char wns_sid[EMU_SECRET_MAX], wns_secret[EMU_SECRET_MAX];
	/* WNS through Microsoft Entra (Windows App SDK apps): its own tenant and app. */
	char wns_entra_tenant[EMU_SECRET_MAX], wns_entra_client_id[EMU_SECRET_MAX];
	char wns_entra_secret[EMU_SECRET_MAX];
	char baidu_api_key[EMU_SECRET_MAX], baidu_secret[EMU_SECRET_MAX];

	int apns_port, fcm_port, control_port, adm_port, wns_port, baidu_port, mpns_port;
};

/* What `init` may be told; zeros and NULLs mean the defaults. */
struct emu_init_opts {
	const char *bundle_id;
	const char *project_id;
	int apns_port, fcm_port, control_port, adm_port, wns_port, baidu_port, mpns_port;
	int force; /* overwrite an existing emulator directory */
};

/*
 * Create DIR (if needed) and every credential in it with OpenSSL; key files
 * are 0600.  Returns 0, or -1 with a message in err.
 */
int settings_init_dir(const char *dir, const struct emu_init_opts *opts, char *err, size_t errlen);

/* Load DIR/emulator.json and the keys it names into cfg.  0, or -1 with err. */
int settings_load(struct emu_config *cfg, const char *dir, char *err, size_t errlen);
void settings_free(struct emu_config *cfg);

/*
 * 1 if key may sign for topic: it lists no topics, or topic is one of them or
 * one of them plus a suffix (".voip", ".push-type.liveactivity", ...).
 */
int settings_key_covers(const struct emu_apns_key *key, const char *topic);

/* The APNs key with this key id, or NULL. */
const struct emu_apns_key *settings_apns_key(const struct emu_config *cfg, const char *kid);

#endif
