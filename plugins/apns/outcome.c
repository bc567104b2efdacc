/*
 * Apple's answers as the broker's outcomes (providers.md §0, §1.3, §1.4):
 *   200                                      DELIVERED
 *   410 Unregistered, ExpiredToken; 400 BadDeviceToken, DeviceTokenNotForTopic
 *                                            TOKEN_INVALID (410: its timestamp)
 *   429 TooManyRequests, 500, 503, 400 IdleTimeout, 429
 *   TooManyProviderTokenUpdates (slow down), no answer (status 0)
 *                                            RETRY (Retry-After when given);
 *                                            Shutdown, IdleTimeout and
 *                                            TooManyProviderTokenUpdates also
 *                                            ask for a new connection
 *   403 ExpiredProviderToken                 CREDENTIAL_ERROR, flagged so that
 *                                            the caller refreshes and resends once
 *   403 InvalidProviderToken, MissingProviderToken, BadCertificate,
 *   BadCertificateEnvironment, Forbidden, UnrelatedKeyIdInToken,
 *   BadEnvironmentKeyIdInToken (and APNSwift's BadEnvironmentKeyInToken)
 *                                            CREDENTIAL_ERROR
 *   every other 4xx (BadTopic, PayloadEmpty, PayloadTooLarge, BadPath, ...)
 *                                            PAYLOAD_REJECTED
 *   any other status                         RETRY
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "plugins/apns/apns.h"
#include "plugins/common/plugutil.h"

static const char *const dead_token[] = {"Unregistered", "ExpiredToken", "BadDeviceToken",
					 "DeviceTokenNotForTopic", NULL};
static const char *const credential[] = {"ExpiredProviderToken",      "InvalidProviderToken",
					 "MissingProviderToken",      "BadCertificate",
					 "BadCertificateEnvironment", "Forbidden",
					 "UnrelatedKeyIdInToken",     "BadEnvironmentKeyIdInToken",
					 "BadEnvironmentKeyInToken",  NULL};
static const char *const transient[] = {"TooManyRequests",
					"TooManyProviderTokenUpdates",
					"IdleTimeout",
					"InternalServerError",
					"ServiceUnavailable",
					"Shutdown",
					NULL};

static bool in(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

void apns_classify(const struct herald_http_response *res, int64_t now, struct apns_verdict *v)
{
	json_t *body = NULL;
	const char *reason = "";

	*v = (struct apns_verdict){.invalid_since_ms = -1, .retry_after_ms = -1};
	if (res->status == 0) {
		v->kind = HERALD_OUTCOME_RETRY;
		snprintf(v->reason, sizeof(v->reason), "%s", res->error ? res->error : "no answer");
		return;
	}
	if (res->status == 200) {
		v->kind = HERALD_OUTCOME_DELIVERED;
		return;
	}
	if (res->body_len)
		body = json_loadb((const char *)res->body, res->body_len, 0, NULL);
	if (json_is_string(json_object_get(body, "reason")))
		reason = json_string_value(json_object_get(body, "reason"));
	snprintf(v->reason, sizeof(v->reason), "%s", reason);
	v->retry_after_ms = plug_retry_after_ms(res, now);
	if (in(dead_token, reason) || res->status == 410) {
		json_t *ts = json_object_get(body, "timestamp");

		v->kind = HERALD_OUTCOME_TOKEN_INVALID;
		if (json_is_integer(ts))
			v->invalid_since_ms = json_integer_value(ts);
		else if (json_is_real(ts))
			v->invalid_since_ms = (int64_t)json_real_value(ts);
		v->retry_after_ms = -1;
	} else if (in(credential, reason) || (res->status == 403 && !*reason)) {
		v->kind = HERALD_OUTCOME_CREDENTIAL_ERROR;
		v->expired_provider_token = !strcmp(reason, "ExpiredProviderToken");
	} else if (in(transient, reason) || res->status == 429 || res->status >= 500 ||
		   res->status < 400) {
		v->kind = HERALD_OUTCOME_RETRY;
		v->new_connection = !strcmp(reason, "Shutdown") || !strcmp(reason, "IdleTimeout") ||
				    !strcmp(reason, "TooManyProviderTokenUpdates");
	} else {
		v->kind = HERALD_OUTCOME_PAYLOAD_REJECTED;
		v->retry_after_ms = -1;
	}
	json_decref(body);
}
