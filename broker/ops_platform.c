/*
 * SNS mobile push resources: platform applications (provider credentials)
 * and platform endpoints (device tokens), with SNS's semantics and messages
 * (reference/aws-recorded-errors.md, reference/README.md).
 *
 * Storage.  An application is a STORE_APP record: attrs hold what Get
 * returns ("Enabled", event topics, feedback settings, Apple team/bundle,
 * AuthenticationMethod); its credentials (PlatformCredential,
 * PlatformPrincipal) are one JSON object sealed with the application's ARN
 * as associated data into rec.secret, and never appear in attrs, a result,
 * an error or a log line.  Plaintext copies we make are wiped before they
 * are freed.  An endpoint is a STORE_ENDPOINT record under its application
 * (parent = application ARN, lookup = token), attrs {Enabled, Token,
 * CustomUserData?}.
 *
 * Effects for the delivery engine (appended to ctx->effects, delivered after
 * the commit): EndpointCreated, EndpointUpdated, EndpointDeleted with
 * EndpointArn and PlatformApplicationArn; PlatformApplicationUpdated and
 * PlatformApplicationDeleted with PlatformApplicationArn, so that it can
 * reload or drop an application's provider connection (the endpoints that
 * go with a deleted application get no EndpointDeleted of their own).
 *
 * Threading: store thread, inside the request's store job (see op.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "broker/arn.h"
#include "broker/ops.h"
#include "common/seal.h"
#include "common/util.h"

#define PLATFORM_PAGE_SIZE	100   /* SNS: "up to 100" per List call */
#define PLATFORM_NAME_MAX	256   /* characters */
#define PLATFORM_CUD_MAX	2048  /* CustomUserData, UTF-8 bytes */
#define PLATFORM_TOKEN_MAX	4096  /* device token, bytes; FCM's are ~160 */
#define PLATFORM_CREDENTIAL_MAX 65536 /* PEM chains and service-account JSON fit */
#define PLATFORM_ATTR_MAX	2048  /* any other attribute value */

static const char *const platform_names[] = {
	"APNS", "APNS_SANDBOX", "GCM", "ADM", "BAIDU", "MPNS", "WNS", NULL,
};

/* What CreatePlatformApplication and SetPlatformApplicationAttributes accept. */
static const char *const app_attr_names[] = {
	"PlatformCredential",	  "PlatformPrincipal",	    "EventEndpointCreated",
	"EventEndpointDeleted",	  "EventEndpointUpdated",   "EventDeliveryFailure",
	"SuccessFeedbackRoleArn", "FailureFeedbackRoleArn", "SuccessFeedbackSampleRate",
	"ApplePlatformTeamID",	  "ApplePlatformBundleID",  NULL,
};

static const char *const endpoint_attr_names[] = {"CustomUserData", "Enabled", "Token", NULL};
/* Baidu endpoints also carry the ChannelId and UserId SNS requires for them. */
static const char *const baidu_endpoint_attr_names[] = {"CustomUserData", "Enabled", "Token",
							"ChannelId",	  "UserId",  NULL};

static const char *const *endpoint_attrs_for(const char *platform)
{
	return strcmp(platform, "BAIDU") ? endpoint_attr_names : baidu_endpoint_attr_names;
}

/*
 * SNS: "When using CreatePlatformEndpoint with Baidu, two attributes must be
 * provided: ChannelId and UserId. The token field must also contain the
 * ChannelId."  Copies both into attrs.  0, or -1 with err filled.
 */
static int endpoint_baidu_ids(json_t *attrs_in, const char *token, json_t *attrs,
			      struct op_error *err)
{
	const char *channel = json_string_value(json_object_get(attrs_in, "ChannelId"));
	const char *user = json_string_value(json_object_get(attrs_in, "UserId"));

	if (!channel || !*channel || !user || !*user) {
		op_invalid(err,
			   "Attributes Reason: a BAIDU endpoint needs the ChannelId and UserId "
			   "attributes");
		return -1;
	}
	if (strcmp(channel, token)) {
		op_invalid(err, "Token Reason: must be the ChannelId of the BAIDU endpoint");
		return -1;
	}
	if (json_object_set_new(attrs, "ChannelId", json_string(channel)) < 0 ||
	    json_object_set_new(attrs, "UserId", json_string(user)) < 0) {
		op_internal(err, "out of memory");
		return -1;
	}
	return 0;
}

static bool platform_in(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

/* Every key of attrs must be in allowed; SNS names the first that is not. */
static int platform_check_names(json_t *attrs, const char *const *allowed, struct op_error *err)
{
	const char *key;
	json_t *value;

	json_object_foreach (attrs, key, value) {
		if (!platform_in(allowed, key)) {
			op_invalid(err, "Attributes Reason: Invalid attribute name: %s", key);
			return -1;
		}
	}
	return 0;
}

static int platform_too_long(struct op_error *err, const char *name, size_t max)
{
	op_invalid(err,
		   "Attributes Reason: Invalid value for attribute: %s: must be at most %zu bytes "
		   "long in UTF-8 encoding",
		   name, max);
	return -1;
}

static void platform_effect(struct op_ctx *ctx, const char *type, const char *endpoint_arn,
			    const char *app_arn)
{
	json_t *e;

	if (!ctx->effects)
		return;
	if (endpoint_arn)
		e = json_pack("{s:s, s:s, s:s}", "Type", type, "EndpointArn", endpoint_arn,
			      "PlatformApplicationArn", app_arn);
	else
		e = json_pack("{s:s, s:s}", "Type", type, "PlatformApplicationArn", app_arn);
	json_array_append_new(ctx->effects, e);
}

/* The store's error as SNS's: absent → NotFound "<what> does not exist", else internal. */
static int platform_store_error(int rc, const char *what, struct op_error *err)
{
	if (rc == -ENOENT)
		op_not_found(err, what);
	else
		op_internal(err, "store error");
	return -1;
}

/* ---- credentials ------------------------------------------------------- */

/*
 * jansson keeps its own copies of strings and frees them without clearing;
 * overwrite each string value of a credentials object before releasing it.
 * The buffer is jansson's own and writable; the const is only its API's.
 */
static void secret_free(json_t *secret)
{
	const char *key;
	json_t *value;

	if (!secret)
		return;
	json_object_foreach (secret, key, value) {
		if (json_is_string(value))
			explicit_bzero((char *)json_string_value(value), json_string_length(value));
	}
	json_decref(secret);
}

/* The credentials of rec as a new object ({} when none), or NULL with err. */
static json_t *secret_open(struct op_ctx *ctx, const struct store_rec *rec, struct op_error *err)
{
	unsigned char *plain = NULL;
	size_t len = 0;
	json_t *secret;

	if (!rec->secret || rec->secret_len == 0)
		return json_object();
	if (seal_decrypt(ctx->seal, rec->secret, rec->secret_len, rec->arn, &plain, &len) < 0) {
		op_internal(err, "the credentials of a platform application do not open");
		return NULL;
	}
	secret = json_loadb((const char *)plain, len, 0, NULL);
	seal_wipe(plain, len);
	if (!json_is_object(secret)) {
		secret_free(secret);
		op_internal(err, "the credentials of a platform application are not an object");
		return NULL;
	}
	return secret;
}

/* Seal secret for the application arn into rec (rec->secret is malloc'd). 0 or -1 with err. */
static int secret_seal(struct op_ctx *ctx, const char *arn, json_t *secret, struct store_rec *rec,
		       struct op_error *err)
{
	char *text = json_dumps(secret, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	if (!text) {
		op_internal(err, "out of memory");
		return -1;
	}
	rc = seal_encrypt(ctx->seal, text, strlen(text), arn, &rec->secret, &rec->secret_len);
	seal_wipe(text, strlen(text));
	if (rc < 0) {
		op_internal(err, "cannot seal the credentials of a platform application");
		return -1;
	}
	return 0;
}

/* ---- applications ------------------------------------------------------ */

/* SNS's name rule, checked in SNS's order: empty, length, characters. */
static int app_check_name(const char *name, struct op_error *err)
{
	size_t chars = 0;
	const char *reason = NULL;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		chars += (*p & 0xc0) != 0x80;
	if (chars == 0)
		reason = "cannot be empty";
	else if (chars > PLATFORM_NAME_MAX)
		reason = "must be at most 256 characters long";
	else
		for (const char *p = name; *p && !reason; p++)
			if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
				reason = "must contain only characters 'a'-'z', 'A'-'Z', '0'-'9', "
					 "'_', '-', and '.'";
	if (!reason)
		return 0;
	op_invalid(err, "%s Reason: %s", name, reason);
	return -1;
}

/* Check arn and read its application into rec (cleared by the caller). */
static int app_load(struct op_ctx *ctx, const char *arn, struct arn *parts, struct store_rec *rec,
		    struct op_error *err)
{
	int rc;

	if (arn_parse(ctx->conf, arn, ARN_APP, "PlatformApplicationArn", parts, err) < 0)
		return -1;
	rc = store_get(ctx->txn, arn, rec);
	if (rc == 0 && rec->kind != STORE_APP)
		rc = -ENOENT;
	if (rc < 0)
		return platform_store_error(rc, "PlatformApplication", err);
	return 0;
}

/* An event attribute names an existing topic of this broker. */
static int app_check_event_topic(struct op_ctx *ctx, const char *name, const char *value,
				 struct op_error *err)
{
	struct store_rec topic = {0};
	int rc;

	if (arn_parse(ctx->conf, value, ARN_TOPIC, name, NULL, err) < 0)
		return -1;
	rc = store_get(ctx->txn, value, &topic);
	if (rc == 0 && topic.kind != STORE_TOPIC)
		rc = -ENOENT;
	store_rec_clear(&topic);
	if (rc == -ENOENT) {
		op_invalid(err, "Attributes Reason: %s is not an existing topic", name);
		return -1;
	}
	if (rc < 0)
		return platform_store_error(rc, "Topic", err);
	return 0;
}

/* "0".."100", canonicalised into out. */
static int app_check_rate(const char *value, char out[12], struct op_error *err)
{
	size_t n = strlen(value);
	int v = 0;

	if (n == 0 || n > 3)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)value[i]))
			goto bad;
		v = v * 10 + (value[i] - '0');
	}
	if (v > 100)
		goto bad;
	snprintf(out, 12, "%d", v);
	return 0;
bad:
	op_invalid(err,
		   "Attributes Reason: Invalid value for attribute: SuccessFeedbackSampleRate: "
		   "must be an integer from 0 to 100");
	return -1;
}

/*
 * Validate attrs_in (names already checked) and apply them: credentials go
 * to secret, everything else to attrs.  An empty value removes an optional
 * attribute (that is how a client clears an event topic).
 */
static int app_apply(struct op_ctx *ctx, json_t *attrs_in, json_t *attrs, json_t *secret,
		     struct op_error *err)
{
	const char *key;
	json_t *jv;
	char rate[12];

	json_object_foreach (attrs_in, key, jv) {
		const char *value = json_string_value(jv);
		size_t len = json_string_length(jv);
		bool credential =
			!strcmp(key, "PlatformCredential") || !strcmp(key, "PlatformPrincipal");

		if (len > (credential ? PLATFORM_CREDENTIAL_MAX : PLATFORM_ATTR_MAX))
			return platform_too_long(
				err, key, credential ? PLATFORM_CREDENTIAL_MAX : PLATFORM_ATTR_MAX);
		if (credential) {
			json_object_set_new(secret, key, json_stringn(value, len));
			continue;
		}
		if (len == 0) {
			json_object_del(attrs, key);
			continue;
		}
		if (!strncmp(key, "Event", 5) && app_check_event_topic(ctx, key, value, err) < 0)
			return -1;
		if (!strcmp(key, "SuccessFeedbackSampleRate")) {
			if (app_check_rate(value, rate, err) < 0)
				return -1;
			value = rate;
		}
		json_object_set_new(attrs, key, json_string(value));
	}
	return 0;
}

/*
 * The credentials an application ends up with must be complete for its
 * platform.  GCM (FCM) has no principal: its credential is an API key or a
 * service-account JSON document.
 */
static int app_check_secret(const char *platform, json_t *secret, struct op_error *err)
{
	json_t *cred = json_object_get(secret, "PlatformCredential");
	json_t *principal = json_object_get(secret, "PlatformPrincipal");
	bool gcm = strcmp(platform, "GCM") == 0;

	if (!cred && principal) {
		op_invalid(err, "Attributes Reason: PlatformPrincipal attribute provided without "
				"PlatformCredential");
		return -1;
	}
	if (cred && !principal && !gcm) {
		op_invalid(err, "Attributes Reason: PlatformCredential attribute provided without "
				"PlatformPrincipal");
		return -1;
	}
	if (!cred || json_string_length(cred) == 0 ||
	    (!gcm && json_string_length(principal) == 0)) {
		op_invalid(err, "Attributes Reason: Platform credentials are invalid");
		return -1;
	}
	return 0;
}

/* The end of validity of a PEM certificate as "YYYY-MM-DDTHH:MM:SSZ"; false if pem is not one. */
static bool app_cert_expiry(const char *pem, char out[32])
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	struct tm tm;
	bool ok = cert && ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1;

	if (ok)
		ok = strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0;
	X509_free(cert);
	BIO_free(bio);
	ERR_clear_error(); /* a principal that is not a certificate is not an error here */
	return ok;
}

/*
 * The attributes SNS derives from the credentials.  AuthenticationMethod:
 * APNs "Token" when the team and bundle identifiers that token
 * authentication needs are set, else "Certificate"; FCM "Token" for a
 * service-account JSON credential, else "Key"; nothing for the other
 * platforms.  AppleCertificateExpiryDate: for APNs certificate
 * authentication, when the principal is a PEM certificate.  Whether the
 * credentials really work is the provider driver's to check.
 */
static void app_derive(const char *platform, json_t *attrs, json_t *secret)
{
	const char *method = NULL;
	char expiry[32];

	json_object_del(attrs, "AppleCertificateExpiryDate");
	if (!strcmp(platform, "APNS") || !strcmp(platform, "APNS_SANDBOX")) {
		const char *principal =
			json_string_value(json_object_get(secret, "PlatformPrincipal"));

		method = json_object_get(attrs, "ApplePlatformTeamID") &&
					 json_object_get(attrs, "ApplePlatformBundleID")
				 ? "Token"
				 : "Certificate";
		if (!strcmp(method, "Certificate") && principal &&
		    app_cert_expiry(principal, expiry))
			json_object_set_new(attrs, "AppleCertificateExpiryDate",
					    json_string(expiry));
	} else if (!strcmp(platform, "GCM")) {
		const char *cred = json_string_value(json_object_get(secret, "PlatformCredential"));

		while (cred && isspace((unsigned char)*cred))
			cred++;
		method = cred && *cred == '{' ? "Token" : "Key";
	}
	if (method)
		json_object_set_new(attrs, "AuthenticationMethod", json_string(method));
	else
		json_object_del(attrs, "AuthenticationMethod");
}

/*
 * Apply attrs_in to the application arn of platform whose current state is
 * cur (NULL: a new application) and write it.  Shared by Create and Set.
 */
static int app_write(struct op_ctx *ctx, const char *arn, const char *platform,
		     const struct store_rec *cur, json_t *attrs_in, struct op_error *err)
{
	struct store_rec rec = {
		.arn = (char *)arn,
		.kind = STORE_APP,
		.parent = "",
	};
	json_t *attrs = NULL, *secret = NULL;
	int rc = -1;

	if (cur) {
		attrs = json_deep_copy(cur->attrs);
		secret = secret_open(ctx, cur, err);
	} else {
		attrs = json_pack("{s:s}", "Enabled", "true");
		secret = json_object();
	}
	if (!attrs || !secret) {
		if (!err->code[0])
			op_internal(err, "out of memory");
		goto out;
	}
	if (app_apply(ctx, attrs_in, attrs, secret, err) < 0 ||
	    app_check_secret(platform, secret, err) < 0)
		goto out;
	app_derive(platform, attrs, secret);
	if (secret_seal(ctx, arn, secret, &rec, err) < 0)
		goto out;
	rec.attrs = attrs;
	if (store_put(ctx->txn, &rec) < 0) {
		op_internal(err, "cannot write a platform application");
		goto out;
	}
	platform_effect(ctx, "PlatformApplicationUpdated", NULL, arn);
	rc = 0;
out:
	free(rec.secret);
	json_decref(attrs);
	secret_free(secret);
	return rc;
}

/*
 * Creating an application that already exists (same platform and name)
 * returns its ARN and replaces its attributes and credentials with the ones
 * given, keeping its endpoints: re-running a provisioning script rotates
 * credentials instead of failing or orphaning devices.
 */
json_t *op_CreatePlatformApplication(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	const char *name, *platform;
	json_t *attrs_in, *result = NULL;
	char *arn;

	if (op_arg_str(args, "Name", true, &name, err) < 0 ||
	    op_arg_str(args, "Platform", true, &platform, err) < 0 ||
	    op_arg_map(args, "Attributes", true, &attrs_in, err) < 0)
		return NULL;
	if (app_check_name(name, err) < 0)
		return NULL;
	if (!platform_in(platform_names, platform))
		return op_invalid(err, "Platform Reason: %s is not supported", platform);
	if (platform_check_names(attrs_in, app_attr_names, err) < 0)
		return NULL;
	arn = arn_app(ctx->conf, platform, name);
	if (!arn)
		return op_internal(err, "out of memory");
	/* An existing application's attributes are replaced, not merged: start from scratch. */
	if (app_write(ctx, arn, platform, NULL, attrs_in, err) == 0)
		result = json_pack("{s:s}", "PlatformApplicationArn", arn);
	free(arn);
	return result;
}

json_t *op_GetPlatformApplicationAttributes(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	const char *arn;
	struct arn parts;
	struct store_rec rec = {0};
	json_t *result;

	if (op_arg_str(args, "PlatformApplicationArn", true, &arn, err) < 0 ||
	    app_load(ctx, arn, &parts, &rec, err) < 0)
		return NULL;
	result = json_pack("{s:O}", "Attributes", rec.attrs);
	store_rec_clear(&rec);
	return result;
}

json_t *op_SetPlatformApplicationAttributes(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	const char *arn;
	json_t *attrs_in, *result = NULL;
	struct arn parts;
	struct store_rec rec = {0};

	if (op_arg_str(args, "PlatformApplicationArn", true, &arn, err) < 0 ||
	    op_arg_map(args, "Attributes", true, &attrs_in, err) < 0)
		return NULL;
	if (app_load(ctx, arn, &parts, &rec, err) < 0)
		goto out;
	if (platform_check_names(attrs_in, app_attr_names, err) < 0 ||
	    app_write(ctx, arn, parts.platform, &rec, attrs_in, err) < 0)
		goto out;
	result = json_object();
out:
	store_rec_clear(&rec);
	return result;
}

/* Idempotent, as SNS: deleting an absent application succeeds.  Its endpoints go with it. */
json_t *op_DeletePlatformApplication(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	const char *arn;
	struct store_rec rec = {0};
	int rc;

	if (op_arg_str(args, "PlatformApplicationArn", true, &arn, err) < 0 ||
	    arn_parse(ctx->conf, arn, ARN_APP, "PlatformApplicationArn", NULL, err) < 0)
		return NULL;
	rc = store_get(ctx->txn, arn, &rec);
	if (rc == -ENOENT || (rc == 0 && rec.kind != STORE_APP)) {
		store_rec_clear(&rec);
		return json_object();
	}
	store_rec_clear(&rec);
	if (rc < 0 || store_delete_children(ctx->txn, STORE_ENDPOINT, arn, NULL) < 0 ||
	    store_delete(ctx->txn, arn) < 0)
		return op_internal(err, "cannot delete a platform application");
	platform_effect(ctx, "PlatformApplicationDeleted", NULL, arn);
	return json_object();
}

/* ---- listing ----------------------------------------------------------- */

struct platform_page {
	json_t *items;
	const char *arn_key; /* "PlatformApplicationArn" or "EndpointArn" */
	unsigned int n;
	int64_t last_seq;
	bool more;
};

static int platform_page_add(const struct store_rec *rec, void *arg)
{
	struct platform_page *pg = arg;

	if (pg->n == PLATFORM_PAGE_SIZE) {
		pg->more = true; /* one past the page: there is a next one */
		return 1;
	}
	if (json_array_append_new(pg->items, json_pack("{s:s, s:O}", pg->arn_key, rec->arn,
						       "Attributes", rec->attrs)) < 0)
		return -ENOMEM;
	pg->n++;
	pg->last_seq = rec->seq;
	return 0;
}

/* One page of records of kind under parent as {list_key: [...], NextToken?}. */
static json_t *platform_list(struct op_ctx *ctx, json_t *args, enum store_kind kind,
			     const char *parent, const char *list_key, const char *arn_key,
			     struct op_error *err)
{
	const char *token;
	int64_t after;
	struct platform_page pg = {.arn_key = arn_key};
	json_t *result;
	int rc;

	if (op_arg_str(args, "NextToken", false, &token, err) < 0 ||
	    op_next_token_decode(token, &after, err) < 0)
		return NULL;
	pg.items = json_array();
	if (!pg.items)
		return op_internal(err, "out of memory");
	rc = store_list(ctx->txn, kind, parent, after, PLATFORM_PAGE_SIZE + 1, platform_page_add,
			&pg);
	if (rc < 0) {
		json_decref(pg.items);
		return op_internal(err, "cannot list");
	}
	result = json_pack("{s:o}", list_key, pg.items);
	if (result && pg.more)
		json_object_set_new(result, "NextToken", op_next_token_encode(pg.last_seq));
	return result ? result : op_internal(err, "out of memory");
}

json_t *op_ListPlatformApplications(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	return platform_list(ctx, args, STORE_APP, NULL, "PlatformApplications",
			     "PlatformApplicationArn", err);
}

json_t *op_ListEndpointsByPlatformApplication(struct op_ctx *ctx, json_t *args,
					      struct op_error *err)
{
	const char *arn;
	struct arn parts;
	struct store_rec rec = {0};

	if (op_arg_str(args, "PlatformApplicationArn", true, &arn, err) < 0 ||
	    app_load(ctx, arn, &parts, &rec, err) < 0)
		return NULL;
	store_rec_clear(&rec);
	return platform_list(ctx, args, STORE_ENDPOINT, arn, "Endpoints", "EndpointArn", err);
}

/* ---- endpoints --------------------------------------------------------- */

static int endpoint_load(struct op_ctx *ctx, const char *arn, struct arn *parts,
			 struct store_rec *rec, struct op_error *err)
{
	int rc;

	if (arn_parse(ctx->conf, arn, ARN_ENDPOINT, "EndpointArn", parts, err) < 0)
		return -1;
	rc = store_get(ctx->txn, arn, rec);
	if (rc == 0 && rec->kind != STORE_ENDPOINT)
		rc = -ENOENT;
	if (rc < 0)
		return platform_store_error(rc, "Endpoint", err);
	return 0;
}

/* Values of endpoint attributes (names already checked). */
static int endpoint_check_values(json_t *attrs, struct op_error *err)
{
	json_t *v;

	v = json_object_get(attrs, "CustomUserData");
	if (v && json_string_length(v) > PLATFORM_CUD_MAX)
		return platform_too_long(err, "CustomUserData", PLATFORM_CUD_MAX);
	v = json_object_get(attrs, "Enabled");
	if (v && strcasecmp(json_string_value(v), "true") != 0 &&
	    strcasecmp(json_string_value(v), "false") != 0) {
		op_invalid(err, "Attributes Reason: Invalid value for attribute: Enabled: must be "
				"true or false");
		return -1;
	}
	v = json_object_get(attrs, "Token");
	if (v && json_string_length(v) == 0) {
		op_invalid(err, "Attributes Reason: Invalid value for attribute: Token: cannot be "
				"empty");
		return -1;
	}
	if (v && json_string_length(v) > PLATFORM_TOKEN_MAX)
		return platform_too_long(err, "Token", PLATFORM_TOKEN_MAX);
	return 0;
}

/* The token as stored: SNS keeps (and returns) iOS tokens in lowercase.  malloc'd. */
static char *endpoint_token(const char *platform, const char *token)
{
	char *t = strdup(token);

	if (t && !strncmp(platform, "APNS", 4))
		for (char *p = t; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	return t;
}

static const char *endpoint_enabled(json_t *v)
{
	return strcasecmp(json_string_value(v), "true") == 0 ? "true" : "false";
}

/*
 * Idempotent as SNS: the same application and token with the same supplied
 * attributes returns the existing endpoint (a disabled one stays disabled
 * unless Enabled was supplied); different CustomUserData, or an Enabled that
 * differs from the endpoint's, is an error naming the existing endpoint.
 * Attributes.CustomUserData (and Attributes.Token) win over the parameters.
 */
json_t *op_CreatePlatformEndpoint(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	const char *app_arn, *token_arg, *cud_arg, *cud;
	json_t *attrs_in, *enabled, *result = NULL, *attrs = NULL, *v;
	struct arn app;
	struct store_rec app_rec = {0}, cur = {0};
	struct store_rec rec = {.kind = STORE_ENDPOINT};
	char *token = NULL, *arn = NULL;
	char uuid[UTIL_UUID_LEN + 1];
	int rc;

	if (op_arg_str(args, "PlatformApplicationArn", true, &app_arn, err) < 0 ||
	    op_arg_str(args, "Token", true, &token_arg, err) < 0 ||
	    op_arg_str(args, "CustomUserData", false, &cud_arg, err) < 0 ||
	    op_arg_map(args, "Attributes", false, &attrs_in, err) < 0)
		return NULL;
	if (app_load(ctx, app_arn, &app, &app_rec, err) < 0)
		goto out;
	if (attrs_in &&
	    (platform_check_names(attrs_in, endpoint_attrs_for(app.platform), err) < 0 ||
	     endpoint_check_values(attrs_in, err) < 0))
		goto out;
	if ((v = json_object_get(attrs_in, "Token")))
		token_arg = json_string_value(v);
	if (!*token_arg) {
		op_invalid(err, "Token Reason: cannot be empty");
		goto out;
	}
	if (strlen(token_arg) > PLATFORM_TOKEN_MAX) {
		op_invalid(err, "Token Reason: must be at most %d bytes long", PLATFORM_TOKEN_MAX);
		goto out;
	}
	cud = cud_arg;
	if ((v = json_object_get(attrs_in, "CustomUserData")))
		cud = json_string_value(v);
	if (cud && strlen(cud) > PLATFORM_CUD_MAX) {
		platform_too_long(err, "CustomUserData", PLATFORM_CUD_MAX);
		goto out;
	}
	if (cud && !*cud)
		cud = NULL;
	enabled = json_object_get(attrs_in, "Enabled");
	token = endpoint_token(app.platform, token_arg);
	if (!token) {
		op_internal(err, "out of memory");
		goto out;
	}

	rc = store_find(ctx->txn, STORE_ENDPOINT, app_arn, token, &cur);
	if (rc == 0) {
		const char *cur_cud =
			json_string_value(json_object_get(cur.attrs, "CustomUserData"));
		const char *cur_enabled = json_string_value(json_object_get(cur.attrs, "Enabled"));
		bool same_cud = (!cud && !cur_cud) || (cud && cur_cud && !strcmp(cud, cur_cud));
		bool same_enabled =
			!enabled || !cur_enabled || !strcmp(endpoint_enabled(enabled), cur_enabled);

		if (same_cud && same_enabled)
			result = json_pack("{s:s}", "EndpointArn", cur.arn);
		else
			op_invalid(err,
				   "Token Reason: Endpoint %s already exists with the same Token, "
				   "but different attributes.",
				   cur.arn);
		goto out;
	}
	if (rc != -ENOENT) {
		op_internal(err, "cannot look up an endpoint");
		goto out;
	}

	util_uuid4(uuid);
	arn = arn_endpoint(ctx->conf, app.platform, app.app, uuid);
	attrs = json_pack("{s:s, s:s}", "Enabled", enabled ? endpoint_enabled(enabled) : "true",
			  "Token", token);
	if (!arn || !attrs ||
	    (cud && json_object_set_new(attrs, "CustomUserData", json_string(cud)) < 0)) {
		op_internal(err, "out of memory");
		goto out;
	}
	if (!strcmp(app.platform, "BAIDU") && endpoint_baidu_ids(attrs_in, token, attrs, err) < 0)
		goto out;
	rec.arn = arn;
	rec.parent = (char *)app_arn;
	rec.lookup = token;
	rec.attrs = attrs;
	if (store_put(ctx->txn, &rec) < 0) {
		op_internal(err, "cannot write an endpoint");
		goto out;
	}
	platform_effect(ctx, "EndpointCreated", arn, app_arn);
	result = json_pack("{s:s}", "EndpointArn", arn);
out:
	store_rec_clear(&app_rec);
	store_rec_clear(&cur);
	json_decref(attrs);
	free(token);
	free(arn);
	return result;
}

json_t *op_GetEndpointAttributes(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	const char *arn;
	struct arn parts;
	struct store_rec rec = {0};
	json_t *result;

	if (op_arg_str(args, "EndpointArn", true, &arn, err) < 0 ||
	    endpoint_load(ctx, arn, &parts, &rec, err) < 0)
		return NULL;
	result = json_pack("{s:O}", "Attributes", rec.attrs);
	store_rec_clear(&rec);
	return result;
}

/*
 * A new Token moves the endpoint's lookup key; a token another endpoint of
 * the same application already has is refused, naming that endpoint.
 * Enabled is not changed implicitly (SNS: set Token and Enabled together).
 */
json_t *op_SetEndpointAttributes(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	const char *arn;
	json_t *attrs_in, *attrs = NULL, *v, *result = NULL;
	struct arn parts;
	struct store_rec rec = {0}, other = {0};
	char *token = NULL;
	int rc;

	if (op_arg_str(args, "EndpointArn", true, &arn, err) < 0 ||
	    op_arg_map(args, "Attributes", true, &attrs_in, err) < 0)
		return NULL;
	if (endpoint_load(ctx, arn, &parts, &rec, err) < 0)
		goto out;
	if (platform_check_names(attrs_in, endpoint_attrs_for(parts.platform), err) < 0 ||
	    endpoint_check_values(attrs_in, err) < 0)
		goto out;
	attrs = json_deep_copy(rec.attrs);
	if (!attrs) {
		op_internal(err, "out of memory");
		goto out;
	}
	if ((v = json_object_get(attrs_in, "CustomUserData"))) {
		if (json_string_length(v) == 0)
			json_object_del(attrs, "CustomUserData");
		else
			json_object_set(attrs, "CustomUserData", v);
	}
	if ((v = json_object_get(attrs_in, "Enabled")))
		json_object_set_new(attrs, "Enabled", json_string(endpoint_enabled(v)));
	for (const char *const *id = &baidu_endpoint_attr_names[3]; *id; id++) /* BAIDU only */
		if ((v = json_object_get(attrs_in, *id)) && json_string_length(v))
			json_object_set(attrs, *id, v);
	if ((v = json_object_get(attrs_in, "Token"))) {
		token = endpoint_token(parts.platform, json_string_value(v));
		if (!token) {
			op_internal(err, "out of memory");
			goto out;
		}
		rc = store_find(ctx->txn, STORE_ENDPOINT, rec.parent, token, &other);
		if (rc == 0 && strcmp(other.arn, rec.arn) != 0) {
			op_invalid(err,
				   "Token Reason: Endpoint %s already exists with the same Token",
				   other.arn);
			goto out;
		}
		if (rc < 0 && rc != -ENOENT) {
			op_internal(err, "cannot look up an endpoint");
			goto out;
		}
		json_object_set_new(attrs, "Token", json_string(token));
		free(rec.lookup);
		rec.lookup = token;
		token = NULL;
	}
	if (!json_equal(attrs, rec.attrs)) {
		json_t *old = rec.attrs;

		rec.attrs = attrs;
		rc = store_put(ctx->txn, &rec);
		rec.attrs = old;
		if (rc == -EEXIST) {
			op_invalid(err,
				   "Token Reason: Endpoint already exists with the same Token");
			goto out;
		}
		if (rc < 0) {
			op_internal(err, "cannot write an endpoint");
			goto out;
		}
		platform_effect(ctx, "EndpointUpdated", arn, rec.parent);
	}
	result = json_object();
out:
	store_rec_clear(&rec);
	store_rec_clear(&other);
	json_decref(attrs);
	free(token);
	return result;
}

/* Idempotent; subscriptions that point at the endpoint stay, as in SNS. */
json_t *op_DeleteEndpoint(struct op_ctx *ctx, json_t *args, struct op_error *err)
{
	const char *arn;
	struct store_rec rec = {0};
	json_t *result = NULL;
	int rc;

	if (op_arg_str(args, "EndpointArn", true, &arn, err) < 0 ||
	    arn_parse(ctx->conf, arn, ARN_ENDPOINT, "EndpointArn", NULL, err) < 0)
		return NULL;
	rc = store_get(ctx->txn, arn, &rec);
	if (rc == -ENOENT || (rc == 0 && rec.kind != STORE_ENDPOINT)) {
		result = json_object();
		goto out;
	}
	if (rc < 0 || store_delete(ctx->txn, arn) < 0) {
		op_internal(err, "cannot delete an endpoint");
		goto out;
	}
	platform_effect(ctx, "EndpointDeleted", arn, rec.parent);
	result = json_object();
out:
	store_rec_clear(&rec);
	return result;
}
