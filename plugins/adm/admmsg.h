/*
 * plugins/adm/admmsg: the body of an ADM send (providers.md §3.2, §3.3) from
 * the payload SNS chose for ADM.  Pure functions: any thread.
 */
#ifndef HERALD_PLUGINS_ADMMSG_H
#define HERALD_PLUGINS_ADMMSG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define ADM_EXPIRES_MIN 60	/* expiresAfter bounds, seconds */
#define ADM_EXPIRES_MAX 2678400 /* 31 days */

/*
 * The md5 field of data (an object of strings): MD5 of "k1:v1,k2:v2" with
 * the keys in UTF-8 byte order, standard base64 (24 characters + NUL).
 * 0, or -1 when data is not an object of strings.
 */
int adm_md5(const json_t *data, char out[25]);

/*
 * The JSON body to POST for payload (borrowed).  A payload that is a JSON
 * object with "data" or "notification" is the ADM message itself (SNS's
 * "ADM" key); anything else is text and becomes {"data":{"default":TEXT}}.
 * ttl_s >= 0 replaces expiresAfter (clamped to ADM's 60..2678400 seconds),
 * as SNS lets the TTL attribute override the body's; -1 leaves the body's
 * as it is (none: ADM's default holds); md5 is (re)computed.
 * 0 with *body (malloc'ed, the caller frees) and its md5, or -1 with why
 * filled (data not a map of strings, payload not UTF-8).
 */
int adm_body(const unsigned char *payload, size_t len, int64_t ttl_s, char **body, size_t *body_len,
	     char md5[25], char *why, size_t why_size);

#endif
