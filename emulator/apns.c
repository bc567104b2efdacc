/*
 * Emulated APNs; see apns.h.  Reason strings and statuses are Apple's
 * (providers.md §1.4).  Runs on the event loop.
 */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>
#include <openssl/x509.h>

#include "common/util.h"
#include "emulator/apns.h"
#include "emulator/h2.h"
#include "emulator/jwt.h"
#include "emulator/rng.h"

struct apns_server {
	const struct emu_config *cfg;
	struct emu_state *st;
	struct h2_server *h2;
	uint64_t id_state; /* apns-id generator (rng.h), seeded from RAND_bytes */
};

static const char *const push_types[] = {"alert",	 "background",	 "location", "voip",
					 "complication", "fileprovider", "mdm",	     "liveactivity",
					 "pushtotalk",	 "widgets",	 "controls", NULL};

static int set(struct apns_verdict *v, int status, const char *reason)
{
	v->status = status;
	v->reason = reason;
	return -1;
}

int apns_uuid_valid(const char *s)
{
	if (strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

static int all_digits(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

void apns_conn_auth_clear(struct apns_conn_auth *auth)
{
	free(auth->bearer);
	auth->bearer = NULL;
}

int apns_check_token(const struct emu_config *cfg, struct apns_conn_auth *auth,
		     const char *authorization, int64_t now, const char **reason)
{
	const struct emu_apns_key *key;
	const char *token, *kid, *iss, *why;
	struct jwt jwt;
	long long iat;
	int status = 403;
	char *copy;

	if (!authorization || !*authorization) {
		*reason = "MissingProviderToken";
		return 403;
	}
	if (strncasecmp(authorization, "bearer ", 7) != 0) {
		*reason = "InvalidProviderToken";
		return 403;
	}
	token = authorization + 7;
	/* The same token as before on this connection: only its age can have changed. */
	if (auth->bearer && strcmp(token, auth->bearer) == 0) {
		if (now > auth->bearer_iat + APNS_TOKEN_MAX_AGE) {
			*reason = "ExpiredProviderToken";
			return 403;
		}
		*reason = NULL;
		return 200;
	}
	*reason = "InvalidProviderToken";
	if (jwt_parse(token, strlen(token), &jwt, &why) != 0)
		return 403;
	kid = jwt_claim_str(jwt.header, "kid");
	iss = jwt_claim_str(jwt.claims, "iss");
	key = kid ? settings_apns_key(cfg, kid) : NULL;
	if (!key || !iss || strcmp(iss, key->team_id) != 0 ||
	    jwt_claim_int(jwt.claims, "iat", &iat) != 0 || jwt_verify_es256(&jwt, key->key) != 0)
		goto out;
	/* A team-scoped key works in its own environment only (providers.md §1.5). */
	if ((key->env == EMU_KEY_SANDBOX && !cfg->apns_sandbox) ||
	    (key->env == EMU_KEY_PRODUCTION && cfg->apns_sandbox)) {
		*reason = "BadEnvironmentKeyIdInToken";
		goto out;
	}
	/* One connection serves one team, bound by the first token accepted. */
	if (auth->team_id[0] && strcmp(auth->team_id, iss) != 0)
		goto out;
	if (auth->key_id[0] && strcmp(auth->key_id, kid) != 0) {
		*reason = "UnrelatedKeyIdInToken";
		goto out;
	}
	if (now > iat + APNS_TOKEN_MAX_AGE) {
		*reason = "ExpiredProviderToken";
		goto out;
	}
	/*
	 * Apple: refresh no more than once every 20 minutes.  A new token whose
	 * iat is less than that after the one it replaces is a refresh too soon.
	 */
	if (auth->bearer && iat < auth->bearer_iat + APNS_TOKEN_MIN_REFRESH) {
		*reason = "TooManyProviderTokenUpdates";
		status = 429;
		goto out;
	}
	copy = strdup(token);
	if (!copy) {
		*reason = "InternalServerError";
		status = 500;
		goto out;
	}
	free(auth->bearer);
	auth->bearer = copy;
	auth->bearer_iat = iat;
	snprintf(auth->team_id, sizeof(auth->team_id), "%s", iss);
	snprintf(auth->key_id, sizeof(auth->key_id), "%s", kid);
	*reason = NULL;
	status = 200;
out:
	jwt_clear(&jwt);
	return status;
}

/* 1 if cert carries the extension with this OID (dotted text). */
static int has_ext(X509 *cert, const char *oid)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	int found = obj && X509_get_ext_by_OBJ(cert, obj, -1) >= 0;

	ASN1_OBJECT_free(obj);
	return found;
}

int apns_cert_wrong_env(X509 *cert, int sandbox)
{
	int dev = has_ext(cert, APNS_OID_DEVELOPMENT), prod = has_ext(cert, APNS_OID_PRODUCTION);

	return sandbox ? prod && !dev : dev && !prod;
}

/* A certificate covers its bundle id and the suffixed topics, but not token-only ones. */
static int cert_covers(const struct apns_conn_auth *auth, const char *topic)
{
	size_t n = strlen(auth->cert_topic);

	if (strcmp(topic, auth->cert_topic) == 0)
		return 1;
	if (strncmp(topic, auth->cert_topic, n) != 0 || topic[n] != '.')
		return 0;
	return strcmp(topic + n, ".location-query") != 0 &&
	       strcmp(topic + n, ".push-type.liveactivity") != 0;
}

static int topic_valid(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 255)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && !strchr(".-_", t[i]))
			return 0;
	return 1;
}

/* Apple's reason strings (providers.md §1.4); a rule may name any of them. */
static const char *const reasons[] = {"BadCollapseId",
				      "BadDeviceToken",
				      "BadExpirationDate",
				      "BadMessageId",
				      "BadPriority",
				      "BadTopic",
				      "DeviceTokenNotForTopic",
				      "DuplicateHeaders",
				      "IdleTimeout",
				      "InvalidPushType",
				      "MissingDeviceToken",
				      "MissingTopic",
				      "PayloadEmpty",
				      "TopicDisallowed",
				      "BadCertificate",
				      "BadCertificateEnvironment",
				      "ExpiredProviderToken",
				      "Forbidden",
				      "InvalidProviderToken",
				      "MissingProviderToken",
				      "UnrelatedKeyIdInToken",
				      "BadEnvironmentKeyIdInToken",
				      "BadPath",
				      "MethodNotAllowed",
				      "ExpiredToken",
				      "Unregistered",
				      "PayloadTooLarge",
				      "TooManyProviderTokenUpdates",
				      "TooManyRequests",
				      "InternalServerError",
				      "ServiceUnavailable",
				      "Shutdown",
				      NULL};

static const char *default_reason(int status)
{
	switch (status) {
	case 400:
		return "BadDeviceToken";
	case 403:
		return "Forbidden";
	case 410:
		return "Unregistered";
	case 413:
		return "PayloadTooLarge";
	case 429:
		return "TooManyRequests";
	case 500:
		return "InternalServerError";
	default:
		return "ServiceUnavailable";
	}
}

const char *apns_reason(int status, const char *reason)
{
	for (size_t i = 0; reason && reasons[i]; i++)
		if (strcmp(reasons[i], reason) == 0)
			return reasons[i];
	return default_reason(status);
}

/* The rule's reason if Apple has it, else the usual one for the status. */
static const char *rule_reason(const struct emu_rule *rule)
{
	return apns_reason(rule->status, rule->reason);
}

/* Check the request headers, steps 1-6 of §1.7 (plus the rules pushy leaves out). */
static int check_headers(const struct apns_conn_auth *auth, const struct apns_request *r,
			 struct apns_verdict *v, const char **topic)
{
	size_t i;

	if (r->duplicate_header)
		return set(v, 400, "DuplicateHeaders");
	if (r->apns_id && !apns_uuid_valid(r->apns_id))
		return set(v, 400, "BadMessageId");
	if (!r->method || strcmp(r->method, "POST") != 0)
		return set(v, 405, "MethodNotAllowed");
	*topic = r->topic;
	if (!*topic && auth->cert_auth)
		*topic = auth->cert_topic; /* a single-topic certificate names it */
	if (!*topic || !**topic)
		return set(v, 400, "MissingTopic");
	if (r->collapse_id && strlen(r->collapse_id) > APNS_MAX_COLLAPSE_ID)
		return set(v, 400, "BadCollapseId");
	if (r->priority && strcmp(r->priority, "10") != 0 && strcmp(r->priority, "5") != 0 &&
	    strcmp(r->priority, "1") != 0)
		return set(v, 400, "BadPriority");
	if (r->push_type) {
		for (i = 0; push_types[i] && strcmp(push_types[i], r->push_type) != 0; i++)
			;
		if (!push_types[i])
			return set(v, 400, "InvalidPushType");
		/* Apple: background notifications must use priority 5; 10 is an error. */
		if (strcmp(r->push_type, "background") == 0 && r->priority &&
		    strcmp(r->priority, "10") == 0)
			return set(v, 400, "BadPriority");
	}
	if (r->expiration && !all_digits(r->expiration, 12))
		return set(v, 400, "BadExpirationDate");
	if (!topic_valid(*topic))
		return set(v, 400, "BadTopic");
	return 0;
}

/* Step 7: the path and what the rules say about the token. */
static int check_path(const struct emu_state *st, const struct apns_request *r, const char *topic,
		      struct apns_verdict *v, struct emu_rule *rule, int *has_rule)
{
	static const char prefix[] = "/3/device/";
	const char *tok;
	size_t n;

	if (!r->path || strncmp(r->path, prefix, sizeof(prefix) - 1) != 0)
		return set(v, 404, "BadPath");
	tok = r->path + sizeof(prefix) - 1;
	n = strlen(tok);
	if (n == 0)
		return set(v, 400, "MissingDeviceToken");
	if (n != APNS_TOKEN_HEX_LEN)
		return set(v, 400, "BadDeviceToken");
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)tok[i]))
			return set(v, 400, "BadDeviceToken");
	memcpy(v->token, tok, n + 1);
	*has_rule = st && state_rule(st, EMU_APNS, v->token, rule);
	if (!*has_rule)
		return 0;
	v->delay_ms = rule->delay_ms;
	if (rule->drop) {
		v->drop = 1;
		return -1;
	}
	if (rule->status == 410) {
		v->timestamp_ms = rule->timestamp_ms ? rule->timestamp_ms : util_now_ms();
		return set(v, 410, rule_reason(rule));
	}
	if (rule->topic[0] && strcmp(rule->topic, topic) != 0)
		return set(v, 400, "DeviceTokenNotForTopic");
	if (rule->status == 400)
		return set(v, 400, rule_reason(rule));
	return 0;
}

void apns_check(const struct emu_config *cfg, const struct emu_state *st,
		struct apns_conn_auth *auth, const struct apns_request *r, int64_t now,
		struct apns_verdict *v)
{
	struct emu_rule rule;
	const char *topic = NULL;
	int has_rule = 0;
	size_t limit;

	memset(v, 0, sizeof(*v));
	v->retry_after = -1;
	if (check_headers(auth, r, v, &topic) != 0 ||
	    check_path(st, r, topic, v, &rule, &has_rule) != 0)
		return;
	/* Step 8: authentication. */
	if (auth->cert_auth && !r->authorization) {
		if (auth->cert_wrong_env) {
			set(v, 403, "BadCertificateEnvironment");
			return;
		}
		if (!cert_covers(auth, topic)) {
			set(v, 400, "TopicDisallowed");
			return;
		}
	} else {
		const struct emu_apns_key *key;

		v->status = apns_check_token(cfg, auth, r->authorization, now, &v->reason);
		if (v->status != 200)
			return;
		/* A topic-specific key signs for its own topics only (§1.7 step 8). */
		key = settings_apns_key(cfg, auth->key_id);
		if (key && !settings_key_covers(key, topic)) {
			set(v, 403, "InvalidProviderToken");
			return;
		}
	}
	/* Step 9: the payload. */
	limit = r->push_type && strcmp(r->push_type, "voip") == 0 ? APNS_MAX_VOIP_PAYLOAD
								  : APNS_MAX_PAYLOAD;
	if (r->body_len == 0) {
		set(v, 400, "PayloadEmpty");
		return;
	}
	if (r->body_len > limit) {
		set(v, 413, "PayloadTooLarge");
		return;
	}
	/* Scripted faults for a request that is otherwise good. */
	if (has_rule && rule.status >= 300) {
		set(v, rule.status, rule_reason(&rule));
		v->retry_after = rule.retry_after;
		return;
	}
	v->status = 200;
	v->reason = NULL;
	auth->succeeded = 1;
}

/* The headers APNs reads, in one pass; each header's first value, as h2_req_header gives. */
static void request_view(const struct h2_req *req, struct apns_request *r)
{
#define KNOWN(name, member)                                                   \
	{                                                                     \
		name, sizeof(name) - 1, offsetof(struct apns_request, member) \
	}
	static const struct {
		const char *name;
		size_t len, off;
	} known[] = {
		KNOWN(":method", method),
		KNOWN(":path", path),
		KNOWN("authorization", authorization),
		KNOWN("apns-topic", topic),
		KNOWN("apns-push-type", push_type),
		KNOWN("apns-priority", priority),
		KNOWN("apns-expiration", expiration),
		KNOWN("apns-collapse-id", collapse_id),
		KNOWN("apns-id", apns_id),
	};
#undef KNOWN
	size_t len[H2_MAX_HEADERS];

	r->body_len = req->body_total;
	r->duplicate_header = req->headers_overflow;
	for (size_t i = 0; i < req->n_headers; i++) {
		const char *name = req->headers[i].name;

		len[i] = strlen(name);
		for (size_t j = 0; j < i && !r->duplicate_header; j++)
			if (len[j] == len[i] && memcmp(req->headers[j].name, name, len[i]) == 0)
				r->duplicate_header = 1;
		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
			const char **slot = (const char **)((char *)r + known[k].off);

			if (!*slot && known[k].len == len[i] &&
			    memcmp(known[k].name, name, len[i]) == 0)
				*slot = req->headers[i].value;
		}
	}
}

static void *on_conn_open(struct h2_conn *conn, void *arg)
{
	struct apns_conn_auth *auth = calloc(1, sizeof(*auth));
	X509 *cert = h2_conn_peer_cert(conn);

	if (!auth)
		return NULL;
	if (cert) {
		X509_NAME *subj = X509_get_subject_name(cert);

		auth->cert_auth = 1;
		auth->cert_wrong_env =
			apns_cert_wrong_env(cert, ((struct apns_server *)arg)->cfg->apns_sandbox);
		if (X509_NAME_get_text_by_NID(subj, NID_userId, auth->cert_topic,
					      sizeof(auth->cert_topic)) <= 0)
			auth->cert_topic[0] = '\0';
		h2_conn_set_max_streams(conn, APNS_STREAMS_AFTER_AUTH);
	}
	return auth;
}

static void on_conn_close(void *data, void *arg)
{
	apns_conn_auth_clear(data);
	free(data);
}

static void on_request(struct h2_req *req, void *arg)
{
	struct apns_server *srv = arg;
	struct apns_conn_auth *auth = h2_conn_data(req->conn);
	struct apns_conn_auth none = {0};
	struct apns_request r = {0};
	struct apns_verdict v;
	struct h2_out_header hdrs[4];
	char apns_id[UTIL_UUID_LEN + 1], unique_id[UTIL_UUID_LEN + 1], retry[16], body[128];
	size_t n = 0, body_len = 0;
	int was_ok;

	if (!auth)
		auth = &none; /* out of memory at connect: every request fails auth */
	was_ok = auth->succeeded;
	request_view(req, &r);
	apns_check(srv->cfg, srv->st, auth, &r, util_now_ms() / 1000, &v);
	if (v.drop) { /* a rule says: this token's requests lose the connection */
		state_record(srv->st, EMU_APNS, v.token, req, 0, "dropped");
		h2_conn_drop(req->conn);
		return;
	}

	if (r.apns_id && apns_uuid_valid(r.apns_id))
		snprintf(apns_id, sizeof(apns_id), "%s", r.apns_id);
	else
		rng_uuid(&srv->id_state, apns_id);
	hdrs[n++] = (struct h2_out_header){"apns-id", apns_id};
	if (v.status == 200) {
		if (srv->cfg->apns_sandbox) {
			rng_uuid(&srv->id_state, unique_id);
			hdrs[n++] = (struct h2_out_header){"apns-unique-id", unique_id};
		}
	} else {
		hdrs[n++] = (struct h2_out_header){"content-type", "application/json"};
		if (v.status == 410)
			body_len = (size_t)snprintf(body, sizeof(body),
						    "{\"reason\":\"%s\",\"timestamp\":%lld}",
						    v.reason, (long long)v.timestamp_ms);
		else
			body_len = (size_t)snprintf(body, sizeof(body), "{\"reason\":\"%s\"}",
						    v.reason);
	}
	if (v.retry_after >= 0) {
		snprintf(retry, sizeof(retry), "%d", v.retry_after);
		hdrs[n++] = (struct h2_out_header){"retry-after", retry};
	}
	state_record(srv->st, EMU_APNS, v.token[0] ? v.token : NULL, req, v.status, v.reason);
	/* Apple lifts the one-stream limit after the first good request. */
	if (!was_ok && auth->succeeded && auth != &none)
		h2_conn_set_max_streams(req->conn, APNS_STREAMS_AFTER_AUTH);
	h2_respond(req, v.status, hdrs, n, body, body_len, v.delay_ms);
	if (auth == &none)
		apns_conn_auth_clear(&none);
}

struct apns_server *apns_server_new(struct event_base *base, const struct emu_config *cfg,
				    struct emu_state *st, int port, char *err, size_t errlen)
{
	struct apns_server *srv = calloc(1, sizeof(*srv));
	struct h2_server_opts opts = {
		.max_streams = APNS_STREAMS_BEFORE_AUTH,
		.max_body = APNS_MAX_VOIP_PAYLOAD,
		.on_request = on_request,
		.on_conn_open = on_conn_open,
		.on_conn_close = on_conn_close,
		.faults_st = st,
		.faults_provider = EMU_APNS,
		/* Apple's GOAWAY carries a reason like its answers (providers.md §1.1, §1.7). */
		.goaway_debug = "{\"reason\":\"Shutdown\"}",
	};

	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->cfg = cfg;
	srv->st = st;
	if (RAND_bytes((unsigned char *)&srv->id_state, sizeof(srv->id_state)) != 1) {
		snprintf(err, errlen, "RAND_bytes failed");
		goto fail;
	}
	opts.cert_file = cfg->cert_file;
	opts.key_file = cfg->key_file;
	opts.client_ca = cfg->ca_file;
	opts.arg = srv;
	srv->h2 = h2_server_new(base, port, &opts, err, errlen);
	if (!srv->h2)
		goto fail;
	return srv;
fail:
	apns_server_free(srv);
	return NULL;
}

int apns_server_port(const struct apns_server *srv)
{
	return h2_server_port(srv->h2);
}

void apns_server_free(struct apns_server *srv)
{
	if (!srv)
		return;
	h2_server_free(srv->h2);
	free(srv);
}
