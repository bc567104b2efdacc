/*
 * The FCM driver's internals: the application's configuration (conf.c),
 * request bodies built from SNS GCM payloads (message.c), the
 * classification of Google's answers (outcome.c); fcm.c holds the
 * descriptor, the instance and the send path.  Providers.md §2 is the
 * protocol.
 */
#ifndef HERALD_PLUGINS_FCM_H
#define HERALD_PLUGINS_FCM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <herald/driver.h>

#define FCM_ORIGIN    "https://fcm.googleapis.com"
#define FCM_TOKEN_URI "https://oauth2.googleapis.com/token"
#define FCM_SCOPE     "https://www.googleapis.com/auth/firebase.messaging"
#define FCM_MAX_TTL   2419200 /* seconds: 4 weeks */
#define FCM_TOKEN_MAX 4096

/* An application's configuration, as check_config and create_instance read it. */
struct fcm_conf {
	bool legacy;		/* a server key (legacy API), else a service account (v1) */
	char origin[256];	/* "https://host[:port]": fcm.googleapis.com or the url option */
	char project_id[128];	/* v1 */
	char client_email[256]; /* v1 */
	char key_id[128];	/* v1: private_key_id, or "" */
	char token_uri[512];	/* v1: token_uri, or the token_url option */
	struct herald_key *key; /* v1, when asked for: host->key_free() */
	char *server_key;	/* legacy, when asked for: SECRET, malloc'ed, wipe and free */
};

/*
 * Read and check cfg (offline).  want_secrets: keep the key (v1) or the
 * server key (legacy) in out, else free them.  0, or HERALD_EINVAL with a
 * message in err that never quotes a secret.
 */
int fcm_conf_read(const struct herald_host *host, struct herald_app *app,
		  const struct herald_app_config *cfg, bool want_secrets, struct fcm_conf *out,
		  char *err, size_t err_size);
/* Free and wipe what fcm_conf_read() kept. */
void fcm_conf_clear(const struct herald_host *host, struct fcm_conf *c);

/*
 * The HTTP v1 request body ({"message":{...}}) for n, from either shape of
 * SNS GCM payload: {"fcmV1Message":{"message":{...}}} or the legacy
 * {"data":..., "notification":..., "collapse_key":..., ...} object; a text
 * payload is sent as data {"default": TEXT}.  The token is set, other
 * targets removed, android.ttl set from fcm_ttl_s(n, now_ms).  Malloc'ed,
 * or NULL with why filled (the payload cannot become a message).
 */
char *fcm_v1_body(const struct herald_notification *n, int64_t now_ms, char *why, size_t why_size);
/* The legacy API body ({"to": token, ...}) for n, from the same shapes.  As above. */
char *fcm_legacy_body(const struct herald_notification *n, int64_t now_ms, char *why,
		      size_t why_size);
/*
 * The TTL handed to FCM at now_ms (ms since the Unix epoch), seconds: what is
 * left of the message's TTL (SNS passes the remaining TTL: a message that
 * waited, e.g. for retries, keeps its deadline), i.e. n->ttl_s bounded by
 * n->expiration_ms, at most FCM's 4 weeks; -1 when n->ttl_s is -1 (no TTL
 * applies: none is sent and FCM's default holds).
 */
int64_t fcm_ttl_s(const struct herald_notification *n, int64_t now_ms);

/* What an answer from FCM means. */
struct fcm_verdict {
	int kind;		/* enum herald_outcome_kind */
	int64_t retry_after_ms; /* or -1 */
	bool unauthenticated;	/* v1: 401 without an FcmError: refresh the OAuth token once */
	char code[64];		/* errorCode, status or legacy error; "" when none */
	char canonical[FCM_TOKEN_MAX + 1]; /* legacy TOKEN_REPLACED: the canonical token */
};

/* Classify an answer of the v1 API; now is the Unix time (HTTP-date Retry-After). */
void fcm_classify_v1(const struct herald_http_response *res, int64_t now, struct fcm_verdict *v);
/* Classify an answer of the legacy API. */
void fcm_classify_legacy(const struct herald_http_response *res, int64_t now,
			 struct fcm_verdict *v);

#endif
