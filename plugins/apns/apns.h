/*
 * The APNs driver's internals: the application's configuration (conf.c),
 * one request built from a notification (request.c), the classification of
 * Apple's answers (outcome.c); apns.c holds the descriptor, the instance,
 * the provider token and the send path.  Providers.md §1 is the protocol.
 */
#ifndef HERALD_PLUGINS_APNS_H
#define HERALD_PLUGINS_APNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <herald/driver.h>

#define APNS_HOST	  "api.push.apple.com"
#define APNS_SANDBOX_HOST "api.sandbox.push.apple.com"
#define APNS_MAX_PAYLOAD  4096
#define APNS_MAX_VOIP	  5120
#define APNS_MAX_COLLAPSE 64
#define APNS_TOKEN_MIN	  64 /* hex characters: 32 bytes today; Apple says not to rely on it */
#define APNS_TOKEN_MAX	  200

/* An application's configuration, as check_config and create_instance read it. */
struct apns_conf {
	bool token_auth;	/* else certificate */
	char team_id[16];	/* token auth: ApplePlatformTeamID */
	char key_id[16];	/* token auth: PlatformPrincipal */
	char bundle_id[256];	/* ApplePlatformBundleID, or the certificate's subject UID, or "" */
	char origin[256];	/* "https://host[:port]" */
	time_t cert_not_after;	/* certificate auth: the certificate's end of validity */
	struct herald_key *key; /* token auth, when asked for: the .p8 key, host->key_free() */
};

/*
 * Read and check cfg (offline).  want_key: keep the loaded signing key in
 * out->key (the caller frees it with host->key_free), else free it.  0, or
 * HERALD_EINVAL with a message in err that never quotes a secret.
 */
int apns_conf_read(const struct herald_host *host, struct herald_app *app,
		   const struct herald_app_config *cfg, bool want_key, struct apns_conf *out,
		   char *err, size_t err_size);

/* One request to APNs, everything copied (it may be sent twice). */
struct apns_msg {
	char path_token[APNS_TOKEN_MAX + 1];
	char push_type[32];
	char priority[4];    /* "" when absent */
	char topic[320];     /* "" when absent */
	char expiration[24]; /* "" when absent */
	char collapse_id[APNS_MAX_COLLAPSE + 1];
	char apns_id[40];
	unsigned char *body; /* malloc'ed */
	size_t body_len;
};

/*
 * Build the request for n: push type (given, else inferred as SNS does),
 * priority, topic, expiration, collapse id, apns-id, the JSON body.  now is
 * the Unix time.  0; or -1 with why filled when the notification can never
 * be sent (too large, empty, collapse id too long); -2 with why filled when
 * the device token cannot be one (not hex); HERALD_ENOMEM.
 */
int apns_msg_build(const struct apns_conf *c, const struct herald_notification *n, time_t now,
		   struct apns_msg *m, char *why, size_t why_size);
void apns_msg_clear(struct apns_msg *m);

/* What an answer from APNs means. */
struct apns_verdict {
	int kind;		  /* enum herald_outcome_kind */
	int64_t invalid_since_ms; /* 410 timestamp, or -1 */
	int64_t retry_after_ms;	  /* or -1 */
	bool expired_provider_token;
	bool new_connection; /* Shutdown, IdleTimeout, TooManyProviderTokenUpdates: reconnect */
	char reason[64];     /* Apple's reason string, or the transport's error, or "" */
};

/* Classify res; now is the Unix time (for an HTTP-date Retry-After). */
void apns_classify(const struct herald_http_response *res, int64_t now, struct apns_verdict *v);

#endif
