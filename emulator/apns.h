/*
 * The emulated APNs provider API (providers.md §1.7): HTTP/2 over TLS,
 * token auth (ES256 provider JWTs) and certificate auth, every request rule
 * with Apple's status codes and reason strings.  The checks are pure
 * functions over a borrowed view of a request (apns_check) so that tests can
 * drive them without a network; apns_server_new puts them on the loop.
 */
#ifndef HERALD_EMULATOR_APNS_H
#define HERALD_EMULATOR_APNS_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <openssl/x509.h>

#include "emulator/settings.h"
#include "emulator/state.h"

#define APNS_TOKEN_HEX_LEN	 64
#define APNS_MAX_PAYLOAD	 4096
#define APNS_MAX_VOIP_PAYLOAD	 5120
#define APNS_MAX_COLLAPSE_ID	 64
#define APNS_TOKEN_MAX_AGE	 3600 /* seconds: older gives ExpiredProviderToken */
#define APNS_TOKEN_MIN_REFRESH	 1200 /* seconds between two tokens on one connection */
#define APNS_STREAMS_BEFORE_AUTH 1
#define APNS_STREAMS_AFTER_AUTH	 1000
#define APNS_OID_DEVELOPMENT	 "1.2.840.113635.100.6.3.1" /* certificate for the sandbox */
#define APNS_OID_PRODUCTION	 "1.2.840.113635.100.6.3.2"

/* What one connection has established; zero-initialise it for a new connection. */
struct apns_conn_auth {
	int cert_auth;		      /* a client certificate verified against the CA */
	char cert_topic[256];	      /* its subject UID: the bundle id it covers */
	int cert_wrong_env;	      /* it is for the other environment only (§1.6) */
	char team_id[EMU_ID_LEN + 1]; /* bound by the first accepted provider token */
	char key_id[EMU_ID_LEN + 1];
	char *bearer; /* the provider token last accepted (owned) */
	long long bearer_iat;
	int succeeded; /* a request has succeeded on this connection */
};

/* A request as received; all borrowed, NULL when the header is absent. */
struct apns_request {
	const char *method, *path;
	const char *authorization, *topic, *push_type, *priority, *expiration, *collapse_id,
		*apns_id;
	int duplicate_header; /* some header appeared more than once */
	size_t body_len;
};

/* The answer. */
struct apns_verdict {
	int status;
	const char *reason;   /* static; NULL on success */
	int64_t timestamp_ms; /* for 410 */
	int retry_after;      /* seconds, -1 for none */
	unsigned delay_ms;
	int drop; /* a rule says to drop the connection instead of answering */
	char token[APNS_TOKEN_HEX_LEN + 1]; /* the device token when the path held a valid one */
};

/*
 * Decide the answer to r, in pushy's MockApnsServer order (providers.md
 * §1.7), applying st's rules (st may be NULL).  now is UNIX seconds.  May
 * bind the team/key and remember the token in auth.
 */
void apns_check(const struct emu_config *cfg, const struct emu_state *st,
		struct apns_conn_auth *auth, const struct apns_request *r, int64_t now,
		struct apns_verdict *v);

/*
 * Check an authorization header value on its own: 200 and reason NULL, or
 * the status and Apple's reason (a team-scoped key outside its environment
 * is BadEnvironmentKeyIdInToken).  The topic a topic-specific key may sign
 * for is apns_check's business.
 */
int apns_check_token(const struct emu_config *cfg, struct apns_conn_auth *auth,
		     const char *authorization, int64_t now, const char **reason);

/*
 * 1 if cert names only the other environment than sandbox says: it has the
 * APNs development (1.2.840.113635.100.6.3.1) or production (...3.2)
 * extension but not this one.  A certificate with both (universal) or
 * neither is for either.
 */
int apns_cert_wrong_env(X509 *cert, int sandbox);

/* Release what auth owns. */
void apns_conn_auth_clear(struct apns_conn_auth *auth);

/* reason if it is one of Apple's reason strings, else the usual one for status (static). */
const char *apns_reason(int status, const char *reason);

/* 1 if s is a canonical 8-4-4-4-12 UUID. */
int apns_uuid_valid(const char *s);

struct apns_server;

/* Serve APNs on 127.0.0.1:port (0 = ephemeral).  cfg and st are borrowed. */
struct apns_server *apns_server_new(struct event_base *base, const struct emu_config *cfg,
				    struct emu_state *st, int port, char *err, size_t errlen);
int apns_server_port(const struct apns_server *srv);
void apns_server_free(struct apns_server *srv);

#endif
