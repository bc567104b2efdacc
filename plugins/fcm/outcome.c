/*
 * Google's answers as the broker's outcomes (providers.md §0, §2.3, §2.6).
 *
 * HTTP v1: the FCM code is details[].errorCode of the FcmError detail
 * (@type ...fcm.v1.FcmError, or FcmErrorCode as in 2018), else error.status;
 * a body that is not Google's JSON is judged by its HTTP status.
 *   200                                        DELIVERED
 *   UNREGISTERED, NOT_FOUND, SENDER_ID_MISMATCH (the token belongs to another
 *   project: dead for this credential), INVALID_ARGUMENT naming the token
 *                                              TOKEN_INVALID
 *   QUOTA_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE, INTERNAL, 429, 5xx,
 *   no answer                                  RETRY (Retry-After when given)
 *   401 without an FcmError (the OAuth token)  CREDENTIAL_ERROR, flagged so
 *                                              that the caller refreshes once
 *   THIRD_PARTY_AUTH_ERROR, PERMISSION_DENIED, other 401/403
 *                                              CREDENTIAL_ERROR
 *   INVALID_ARGUMENT, other 4xx                PAYLOAD_REJECTED
 *
 * Legacy: per-result errors of a 200, else the HTTP status.
 *   message_id with registration_id            TOKEN_REPLACED (canonical)
 *   NotRegistered, InvalidRegistration, MissingRegistration
 *                                              TOKEN_INVALID
 *   Unavailable, InternalServerError, DeviceMessageRateExceeded,
 *   TopicsMessageRateExceeded, 5xx             RETRY
 *   MismatchSenderId, InvalidApnsCredential, 401
 *                                              CREDENTIAL_ERROR
 *   MessageTooBig, InvalidDataKey, InvalidTtl, InvalidParameters,
 *   InvalidPackageName, other errors, 400      PAYLOAD_REJECTED
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "plugins/common/plugutil.h"
#include "plugins/fcm/fcm.h"

static bool in(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

static bool by_status(int status, struct fcm_verdict *v)
{
	if (status == 0 || status == 429 || status >= 500) {
		v->kind = HERALD_OUTCOME_RETRY;
		return true;
	}
	return false;
}

/* Does an INVALID_ARGUMENT error name the registration token? */
static bool names_token(json_t *error)
{
	const char *msg = json_string_value(json_object_get(error, "message"));
	json_t *d, *fv;
	size_t i, j;

	if (msg && strstr(msg, "registration token"))
		return true;
	json_array_foreach (json_object_get(error, "details"), i, d)
		json_array_foreach (json_object_get(d, "fieldViolations"), j, fv) {
			const char *field = json_string_value(json_object_get(fv, "field"));

			if (field && !strcmp(field, "message.token"))
				return true;
		}
	return false;
}

void fcm_classify_v1(const struct herald_http_response *res, int64_t now, struct fcm_verdict *v)
{
	static const char *const dead[] = {"UNREGISTERED", "NOT_FOUND", "SENDER_ID_MISMATCH", NULL};
	static const char *const transient[] = {"QUOTA_EXCEEDED", "RESOURCE_EXHAUSTED",
						"UNAVAILABLE", "INTERNAL", NULL};
	static const char *const credential[] = {"THIRD_PARTY_AUTH_ERROR", "PERMISSION_DENIED",
						 "UNAUTHENTICATED", NULL};
	json_t *body = NULL, *error, *d;
	const char *code = NULL, *status;
	bool fcm_detail = false;
	size_t i;

	memset(v, 0, sizeof(*v));
	v->retry_after_ms = -1;
	if (res->status == 200) {
		v->kind = HERALD_OUTCOME_DELIVERED;
		return;
	}
	if (res->status)
		v->retry_after_ms = plug_retry_after_ms(res, now);
	if (res->body_len)
		body = json_loadb((const char *)res->body, res->body_len, 0, NULL);
	error = json_object_get(body, "error");
	json_array_foreach (json_object_get(error, "details"), i, d) {
		const char *type = json_string_value(json_object_get(d, "@type"));

		if (type &&
		    (!strcmp(type, "type.googleapis.com/google.firebase.fcm.v1.FcmError") ||
		     !strcmp(type, "type.googleapis.com/google.firebase.fcm.v1.FcmErrorCode"))) {
			fcm_detail = true;
			code = json_string_value(json_object_get(d, "errorCode"));
		}
	}
	status = json_string_value(json_object_get(error, "status"));
	if (!code)
		code = status;
	snprintf(v->code, sizeof(v->code), "%s", code ? code : "");
	if (res->status == 401 && !fcm_detail) {
		v->kind = HERALD_OUTCOME_CREDENTIAL_ERROR;
		v->unauthenticated = true;
	} else if (code && in(dead, code)) {
		v->kind = HERALD_OUTCOME_TOKEN_INVALID;
	} else if (code && !strcmp(code, "INVALID_ARGUMENT")) {
		v->kind = names_token(error) ? HERALD_OUTCOME_TOKEN_INVALID
					     : HERALD_OUTCOME_PAYLOAD_REJECTED;
	} else if ((code && in(transient, code)) || by_status(res->status, v)) {
		v->kind = HERALD_OUTCOME_RETRY;
	} else if ((code && in(credential, code)) || res->status == 401 || res->status == 403) {
		v->kind = HERALD_OUTCOME_CREDENTIAL_ERROR;
	} else if (res->status == 404 && !error) {
		v->kind = HERALD_OUTCOME_CREDENTIAL_ERROR; /* not Google's API: a wrong url */
	} else {
		v->kind = HERALD_OUTCOME_PAYLOAD_REJECTED;
	}
	if (v->kind != HERALD_OUTCOME_RETRY)
		v->retry_after_ms = -1;
	json_decref(body);
}

void fcm_classify_legacy(const struct herald_http_response *res, int64_t now, struct fcm_verdict *v)
{
	static const char *const dead[] = {"NotRegistered", "InvalidRegistration",
					   "MissingRegistration", NULL};
	static const char *const transient[] = {"Unavailable", "InternalServerError",
						"DeviceMessageRateExceeded",
						"TopicsMessageRateExceeded", NULL};
	static const char *const credential[] = {"MismatchSenderId", "InvalidApnsCredential", NULL};
	json_t *body = NULL, *result;
	const char *error, *canonical;

	memset(v, 0, sizeof(*v));
	v->retry_after_ms = res->status ? plug_retry_after_ms(res, now) : -1;
	if (res->status != 200) {
		if (!by_status(res->status, v))
			v->kind = res->status == 401 || res->status == 403
					  ? HERALD_OUTCOME_CREDENTIAL_ERROR
					  : HERALD_OUTCOME_PAYLOAD_REJECTED;
		if (v->kind != HERALD_OUTCOME_RETRY)
			v->retry_after_ms = -1;
		return;
	}
	body = json_loadb((const char *)res->body, res->body_len, 0, NULL);
	result = json_array_get(json_object_get(body, "results"), 0);
	error = json_string_value(json_object_get(result, "error"));
	canonical = json_string_value(json_object_get(result, "registration_id"));
	if (!result) {
		v->kind = HERALD_OUTCOME_RETRY; /* a 200 without a result: not an answer */
		snprintf(v->code, sizeof(v->code), "no result");
	} else if (!error) {
		v->kind = HERALD_OUTCOME_DELIVERED;
		if (canonical && *canonical && strlen(canonical) <= FCM_TOKEN_MAX) {
			v->kind = HERALD_OUTCOME_TOKEN_REPLACED;
			snprintf(v->canonical, sizeof(v->canonical), "%s", canonical);
		}
	} else {
		snprintf(v->code, sizeof(v->code), "%s", error);
		if (in(dead, error))
			v->kind = HERALD_OUTCOME_TOKEN_INVALID;
		else if (in(transient, error))
			v->kind = HERALD_OUTCOME_RETRY;
		else if (in(credential, error))
			v->kind = HERALD_OUTCOME_CREDENTIAL_ERROR;
		else
			v->kind = HERALD_OUTCOME_PAYLOAD_REJECTED;
	}
	if (v->kind != HERALD_OUTCOME_RETRY)
		v->retry_after_ms = -1;
	json_decref(body);
}
