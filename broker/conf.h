/*
 * heraldd configuration: herald.conf (libconfig) over built-in defaults.
 * conf_load() reads a file (or only the defaults when path is NULL), checks
 * every key and value, and reports the first problem as "FILE:LINE: reason".
 * The result is immutable once loaded; a reload builds a new one.
 */
#ifndef HERALD_BROKER_CONF_H
#define HERALD_BROKER_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

enum conf_durability {
	CONF_DURABILITY_FULL,	 /* fsync on every group commit: survives power loss */
	CONF_DURABILITY_PROCESS, /* survives a crash of the process only */
};

struct conf_idlist {
	size_t n;
	unsigned int *ids; /* uids or gids, resolved from names when loading */
};

/* One SigV4 access key of the HTTP API (role: OP_ROLE_ADMIN or OP_ROLE_PUBLISH, see op.h). */
struct conf_access_key {
	char *id;
	char *secret; /* never logged */
	int role;
};

/* delivery.apps: one application's own settings (name, and platform unless NULL: any). */
struct conf_app {
	char *name, *platform;
	unsigned int rate; /* deliveries/s at most; 0: none */
};

/* delivery { ... }: the delivery engine's settings (delivery.h). */
struct conf_delivery {
	unsigned int in_flight_per_app; /* sends in flight per application (1000) */
	/*
	 * Retries after the first attempt, SNS's mobile push policy by default:
	 * immediate_retries at once, then min_delay_retries every min_delay_ms,
	 * then backoff_retries growing exponentially from min_delay_ms to
	 * max_delay_ms, then max_delay_retries every max_delay_ms (0, 2 x 10 s,
	 * 10 from 10 s to 600 s, 38 x 600 s: 50 retries).
	 */
	unsigned int immediate_retries, min_delay_retries, backoff_retries, max_delay_retries;
	unsigned int min_delay_ms, max_delay_ms;
	unsigned int
		credential_retry_ms; /* how long an app stays paused after a credential error */
	unsigned int fanout_window;  /* subscribers of one topic message in memory at most */
	/*
	 * Deliveries queued in memory per application at most (10000); more
	 * wait in the store as retries due as the application drains.
	 */
	unsigned int max_queued_per_app;
	unsigned int rate_per_app; /* deliveries/s per application at most; 0: none (0) */
	unsigned int max_fanouts;  /* topic messages fanned out at once; more wait (100) */
	struct conf_app *apps;	   /* per application overrides */
	size_t n_apps;
	unsigned int default_ttl_s; /* TTL when neither attribute nor payload sets one */
	unsigned int drain_ms;	    /* at SIGTERM, how long sends in flight may take */
	char *status_log;	    /* delivery status log (JSON lines), or NULL */
};

struct conf {
	char *path; /* file the configuration came from; NULL for built-in defaults */

	/* ARNs: arn:aws:sns:{region}:{account}:... */
	char *region;  /* "us-east-1" */
	char *account; /* 12 digits, "000000000000" */

	/* state */
	char *state_dir; /* holds herald.db and the sealing key */
	char *db_path;	 /* default {state_dir}/herald.db */
	char *key_file;	 /* default {state_dir}/seal.key, created 0600 */
	enum conf_durability durability;
	unsigned int commit_max_batch; /* most requests committed in one transaction */

	/* native protocol */
	char *socket_path;
	mode_t socket_mode; /* default 0660 */
	char *socket_group; /* NULL: the daemon's group */
	size_t max_frame;   /* bytes, default 1 MiB */
	unsigned int max_clients;

	/* access by peer credentials; root and the daemon's own user always administer */
	struct conf_idlist admin_users, admin_groups;
	struct conf_idlist publish_users, publish_groups;

	/* SNS-compatible HTTP API (front_http.h) */
	bool http_enabled;	  /* default false */
	char *http_address;	  /* "127.0.0.1" */
	unsigned int http_port;	  /* 9911; 0 picks a free port (logged) */
	bool http_allow_unsigned; /* accept requests without SigV4 as admin; default false */
	size_t http_max_body;	  /* bytes, default 1 MiB */
	size_t n_access_keys;
	struct conf_access_key *access_keys;
	char *http_tls_cert; /* PEM certificate chain; NULL: plain HTTP */
	char *http_tls_key;  /* PEM private key, set exactly when http_tls_cert is */
	/* provider drivers: directories scanned for *.so, in order */
	char **driver_dirs;
	size_t n_driver_dirs;
	char *driver_ca_file; /* drivers.ca_file: CA bundle drivers trust instead of the system's */
	/*
	 * drivers.NAME groups: {"NAME": {"key": "value", ...}}, every value as
	 * a string; handed to driver NAME as herald_app_config.options.
	 */
	json_t *driver_options;

	struct conf_delivery delivery;

	/* logging */
	int log_level; /* syslog priority */
};

/*
 * The rate cap of application name on platform, deliveries/s (0: none):
 * the delivery.apps entry naming it on its platform, else one naming it on
 * any platform, else delivery.rate_per_app.
 */
unsigned int conf_app_rate(const struct conf_delivery *c, const char *platform, const char *name);

/*
 * Load path (NULL: defaults only).  On failure returns NULL and sets *err to a
 * malloc'd message naming the file and line; the caller frees it.  The result
 * is freed with conf_free().
 */
struct conf *conf_load(const char *path, char **err);
void conf_free(struct conf *conf);

#endif
