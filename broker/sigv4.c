/*
 * AWS Signature Version 4 verification, server side (see sigv4.h and
 * reference/sns-query-protocol.md §5).  Parses the Authorization header (or
 * the presigned X-Amz-* query parameters) strictly and with bounded lengths,
 * rebuilds the canonical request from the request as received, derives the
 * signing key with OpenSSL's HMAC and compares signatures in constant time.
 *
 * Errors are AWS's answers.  Where AWS echoes the whole Authorization header
 * in a message we do not: it carries the signature, and messages end up in
 * logs.  Nothing here logs; the secret never leaves this file.
 *
 * Pure functions: no I/O, no globals, any thread.  All memory is freed
 * before return.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "broker/sigv4.h"

#define SIGV4_ALGORITHM	       "AWS4-HMAC-SHA256"
#define SIGV4_SERVICE	       "sns"
#define SIGV4_TERMINATOR       "aws4_request"
#define SIGV4_MAX_SKEW	       900    /* seconds: AWS's 15 minutes */
#define SIGV4_MAX_EXPIRES      604800 /* presigned X-Amz-Expires upper bound (7 days) */
#define SIGV4_MAX_AUTH	       4096   /* Authorization header length */
#define SIGV4_MAX_SIGNED       64     /* headers in SignedHeaders */
#define SIGV4_MAX_PARAMS       256    /* query-string parameters */
#define SIGV4_MAX_QUERY	       16384  /* query-string length */
#define SIGV4_MAX_HEADER_VALUE 16384  /* one header's length */

#define MSG_SIGNATURE                                                                           \
	"The request signature we calculated does not match the signature you provided. Check " \
	"your AWS Secret Access Key and signing method. Consult the service documentation for " \
	"details."

/* A growable string; oom latches so that callers check once at the end. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

struct sigv4_param {
	char *name; /* decoded */
	char *value;
	char *enc; /* "name=value", both URI-encoded the SigV4 way */
};

/* What the Authorization header or the X-Amz-* parameters say. */
struct sigv4_auth {
	char credential[512];
	char signed_headers[1024];
	char signature[128];
	char amz_date[32]; /* from X-Amz-Date (presigned: the parameter) */
	bool presigned;
	long expires; /* presigned only */
	/* credential parts, pointing into cred_buf */
	char cred_buf[512];
	const char *key_id, *date, *region, *service, *terminator;
};

static void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sbuf_str(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static void sha256_hex(const void *data, size_t n, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data, n, md);
	hex_encode(md, sizeof(md), out);
}

static int hmac256(const void *key, size_t key_len, const char *msg, unsigned char out[32])
{
	unsigned int len = 32;

	return HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, strlen(msg), out,
		    &len)
		       ? 0
		       : -1;
}

static int fail(struct op_error *err, const char *code, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct op_error *err, const char *code, int status, const char *fmt, ...)
{
	va_list ap;

	snprintf(err->code, sizeof(err->code), "%s", code);
	err->status = status;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

static int fail_signature(struct op_error *err)
{
	return fail(err, "SignatureDoesNotMatch", 403, "%s", MSG_SIGNATURE);
}

static int fail_incomplete(struct op_error *err, const char *msg)
{
	return fail(err, "IncompleteSignature", 400, "%s", msg);
}

/* The only header named name (case-insensitive), NULL when absent; *dup when it repeats. */
static const char *header_find(const struct sigv4_request *req, const char *name, int *count)
{
	const char *v = NULL;

	*count = 0;
	for (size_t i = 0; i < req->n_headers; i++) {
		if (req->headers[i].name && strcasecmp(req->headers[i].name, name) == 0) {
			if (!v)
				v = req->headers[i].value ? req->headers[i].value : "";
			(*count)++;
		}
	}
	return v;
}

static bool is_unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

/* SigV4's URI encoding: everything but unreserved bytes as %XX (upper case). */
static void uri_encode(struct sbuf *b, const char *s, size_t n, bool keep_slash)
{
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[3] = {'%', digits[c >> 4], digits[c & 15]};

		if (is_unreserved(c) || (keep_slash && c == '/'))
			sbuf_add(b, (const char *)&s[i], 1);
		else
			sbuf_add(b, esc, 3);
	}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) ('+' is a space) into a new string; NULL on a bad escape or NUL. */
static char *uri_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t j = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '%') {
			if (i + 2 >= n)
				goto bad;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				goto bad;
			out[j++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[j++] = s[i] == '+' ? ' ' : s[i];
		}
	}
	out[j] = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

static void params_free(struct sigv4_param *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].value);
		free(p[i].enc);
	}
	free(p);
}

static int param_cmp(const void *a, const void *b)
{
	const struct sigv4_param *x = a, *y = b;

	return strcmp(x->enc, y->enc);
}

/*
 * Split the raw query string into decoded parameters, each also re-encoded
 * as "name=value" the SigV4 way.  Returns 0 with *out (caller frees with
 * params_free) or -1 with err filled.
 */
static int query_parse(const char *query, struct sigv4_param **out, size_t *n_out,
		       struct op_error *err)
{
	struct sigv4_param *p = NULL;
	size_t n = 0, qlen = strlen(query);
	const char *s = query;

	*out = NULL;
	*n_out = 0;
	if (qlen > SIGV4_MAX_QUERY)
		return fail(err, "MalformedQueryString", 404, "Query string is too long");
	p = calloc(SIGV4_MAX_PARAMS, sizeof(*p));
	if (!p)
		return fail(err, "InternalFailure", 500, "Internal failure");
	while (*s) {
		const char *amp = strchr(s, '&'), *eq;
		size_t len = amp ? (size_t)(amp - s) : strlen(s);
		struct sbuf enc = {0};

		if (len == 0) {
			s += 1;
			continue;
		}
		if (n == SIGV4_MAX_PARAMS) {
			fail(err, "MalformedQueryString", 404, "Too many query-string parameters");
			goto error;
		}
		eq = memchr(s, '=', len);
		p[n].name = uri_decode(s, eq ? (size_t)(eq - s) : len);
		p[n].value = eq ? uri_decode(eq + 1, len - (size_t)(eq - s) - 1) : strdup("");
		n++;
		if (!p[n - 1].name || !p[n - 1].value) {
			fail(err, "MalformedQueryString", 404,
			     "Query string has an invalid percent-encoding");
			goto error;
		}
		uri_encode(&enc, p[n - 1].name, strlen(p[n - 1].name), false);
		sbuf_add(&enc, "=", 1);
		uri_encode(&enc, p[n - 1].value, strlen(p[n - 1].value), false);
		if (enc.oom) {
			free(enc.p);
			fail(err, "InternalFailure", 500, "Internal failure");
			goto error;
		}
		p[n - 1].enc = enc.p;
		s += len + (amp ? 1 : 0);
	}
	qsort(p, n, sizeof(*p), param_cmp);
	*out = p;
	*n_out = n;
	return 0;
error:
	params_free(p, n);
	return -1;
}

static const char *param_get(const struct sigv4_param *p, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].name, name) == 0)
			return p[i].value;
	return NULL;
}

static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (no timegm: TZ-free, thread-safe). */
static long days_from_civil(int y, int m, int d)
{
	long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

static int fields_to_time(int y, int mo, int d, int h, int mi, int s, time_t *t)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
	    s > 60)
		return -1;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	*t = (time_t)(days_from_civil(y, mo, d) * 86400L + h * 3600L + mi * 60L + s);
	return 0;
}

/* "YYYYMMDDTHHMMSSZ" */
static int amz_date_parse(const char *s, time_t *t)
{
	if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
		return -1;
	if (digits(s, 8) < 0 || digits(s + 9, 6) < 0)
		return -1;
	return fields_to_time(digits(s, 4), digits(s + 4, 2), digits(s + 6, 2), digits(s + 9, 2),
			      digits(s + 11, 2), digits(s + 13, 2), t);
}

/* RFC 7231 IMF-fixdate, "Sun, 22 Nov 2026 13:35:57 GMT", as an X-Amz-Date string. */
static int http_date_to_amz(const char *s, char *out, size_t cap)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *m;
	int mo, y, d, h, mi, sec;
	time_t t;

	if (strlen(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
	    s[16] != ' ' || s[19] != ':' || s[22] != ':' || strcmp(s + 25, " GMT") != 0)
		return -1;
	m = strstr(months, (char[]){s[8], s[9], s[10], '\0'});
	if (!m || (m - months) % 3)
		return -1;
	mo = (int)(m - months) / 3 + 1;
	d = digits(s + 5, 2);
	y = digits(s + 12, 4);
	h = digits(s + 17, 2);
	mi = digits(s + 20, 2);
	sec = digits(s + 23, 2);
	if (d < 0 || y < 0 || h < 0 || mi < 0 || sec < 0 ||
	    fields_to_time(y, mo, d, h, mi, sec, &t))
		return -1;
	snprintf(out, cap, "%04d%02d%02dT%02d%02d%02dZ", y, mo, d, h, mi, sec);
	return 0;
}

static void time_to_amz(time_t t, char out[17])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* Copy at most cap-1 bytes; -1 when it does not fit. */
static int copy_bounded(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/*
 * "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." into a.
 * Components may be separated by "," with optional spaces; each may appear once.
 */
static int auth_header_parse(const char *h, struct sigv4_auth *a, struct op_error *err)
{
	bool have_cred = false, have_sh = false, have_sig = false;
	size_t alg_len = strlen(SIGV4_ALGORITHM);
	const char *s;
	char msg[256];

	if (strlen(h) > SIGV4_MAX_AUTH)
		return fail_incomplete(err, "Authorization header is too long.");
	if (strncmp(h, SIGV4_ALGORITHM, alg_len) != 0 || h[alg_len] != ' ') {
		size_t n = strcspn(h, " ");

		return fail(err, "IncompleteSignature", 400, "Unsupported AWS 'algorithm': '%.*s'.",
			    (int)(n > 64 ? 64 : n), h);
	}
	s = h + alg_len;
	for (;;) {
		const char *name, *eq, *end;
		char *dst;
		size_t cap;
		bool *seen;

		while (*s == ' ' || *s == ',')
			s++;
		if (!*s)
			break;
		name = s;
		eq = strchr(name, '=');
		end = name + strcspn(name, ",");
		if (!eq || eq > end)
			return fail_incomplete(err,
					       "Authorization header has a component without '='.");
		if ((size_t)(eq - name) == 10 && strncmp(name, "Credential", 10) == 0) {
			dst = a->credential, cap = sizeof(a->credential), seen = &have_cred;
		} else if ((size_t)(eq - name) == 13 && strncmp(name, "SignedHeaders", 13) == 0) {
			dst = a->signed_headers, cap = sizeof(a->signed_headers), seen = &have_sh;
		} else if ((size_t)(eq - name) == 9 && strncmp(name, "Signature", 9) == 0) {
			dst = a->signature, cap = sizeof(a->signature), seen = &have_sig;
		} else {
			return fail(err, "IncompleteSignature", 400,
				    "Authorization header has an unknown component '%.*s'.",
				    (int)((eq - name) > 32 ? 32 : (eq - name)), name);
		}
		if (*seen)
			return fail(err, "IncompleteSignature", 400,
				    "Authorization header has a duplicate '%.*s' component.",
				    (int)(eq - name), name);
		*seen = true;
		/* trailing spaces before the comma are not part of the value */
		{
			const char *vend = end;

			while (vend > eq + 1 && vend[-1] == ' ')
				vend--;
			if (copy_bounded(dst, cap, eq + 1, (size_t)(vend - eq - 1)))
				return fail(err, "IncompleteSignature", 400,
					    "Authorization header component '%.*s' is too long.",
					    (int)(eq - name), name);
		}
		s = end;
	}
	msg[0] = '\0';
	if (!have_cred || !*a->credential)
		strcat(msg, "Authorization header requires 'Credential' parameter. ");
	if (!have_sig || !*a->signature)
		strcat(msg, "Authorization header requires 'Signature' parameter. ");
	if (!have_sh || !*a->signed_headers)
		strcat(msg, "Authorization header requires 'SignedHeaders' parameter. ");
	if (msg[0]) {
		msg[strlen(msg) - 1] = '\0';
		return fail_incomplete(err, msg);
	}
	return 0;
}

/* keyid/date/region/service/terminator */
static int credential_split(struct sigv4_auth *a, struct op_error *err)
{
	const char **parts[] = {&a->key_id, &a->date, &a->region, &a->service, &a->terminator};
	char *s = a->cred_buf;
	size_t i = 0;

	memcpy(a->cred_buf, a->credential, sizeof(a->cred_buf));
	for (;;) {
		char *slash = strchr(s, '/');

		if (i == 5)
			goto bad;
		*parts[i++] = s;
		if (!slash)
			break;
		*slash = '\0';
		s = slash + 1;
	}
	if (i != 5)
		goto bad;
	return 0;
bad:
	return fail(err, "IncompleteSignature", 400,
		    "Credential must have exactly 5 slash-delimited elements, e.g. "
		    "keyid/date/region/service/term, got '%.200s'",
		    a->credential);
}

static bool valid_header_name(const char *s, size_t n)
{
	if (n == 0 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(islower(c) || isdigit(c) || c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

/* Append "value" trimmed, inner runs of spaces/tabs collapsed to one space. */
static void header_value_canonical(struct sbuf *b, const char *v)
{
	bool space = false, any = false;

	for (; *v; v++) {
		if (*v == ' ' || *v == '\t') {
			space = true;
			continue;
		}
		if (space && any)
			sbuf_add(b, " ", 1);
		sbuf_add(b, v, 1);
		space = false;
		any = true;
	}
}

/*
 * The canonical headers block for the SignedHeaders list; repeated headers
 * are joined with ','.  Fails when a signed header is absent or the list is
 * malformed.
 */
static int canonical_headers(const struct sigv4_request *req, const char *signed_headers,
			     struct sbuf *b, bool *host_signed, bool *sha_signed,
			     struct op_error *err)
{
	const char *s = signed_headers;
	const char *names[SIGV4_MAX_SIGNED];
	size_t lens[SIGV4_MAX_SIGNED], n = 0;

	*host_signed = *sha_signed = false;
	for (;;) {
		size_t len = strcspn(s, ";");

		if (!valid_header_name(s, len))
			return fail_incomplete(err, "SignedHeaders is malformed.");
		if (n == SIGV4_MAX_SIGNED)
			return fail_incomplete(err, "SignedHeaders lists too many headers.");
		for (size_t i = 0; i < n; i++)
			if (lens[i] == len && memcmp(names[i], s, len) == 0)
				return fail_incomplete(err, "SignedHeaders lists a header twice.");
		names[n] = s;
		lens[n++] = len;
		if (len == 4 && memcmp(s, "host", 4) == 0)
			*host_signed = true;
		if (len == 20 && memcmp(s, "x-amz-content-sha256", 20) == 0)
			*sha_signed = true;
		if (!s[len])
			break;
		s += len + 1;
	}
	if (!*host_signed)
		return fail_incomplete(
			err,
			"'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
	for (size_t i = 0; i < n; i++) {
		bool found = false;

		sbuf_add(b, names[i], lens[i]);
		sbuf_add(b, ":", 1);
		for (size_t j = 0; j < req->n_headers; j++) {
			const char *hn = req->headers[j].name, *hv = req->headers[j].value;

			if (!hn || strlen(hn) != lens[i] || strncasecmp(hn, names[i], lens[i]) != 0)
				continue;
			if (hv && strlen(hv) > SIGV4_MAX_HEADER_VALUE)
				return fail_signature(err);
			if (found)
				sbuf_add(b, ",", 1);
			header_value_canonical(b, hv ? hv : "");
			found = true;
		}
		if (!found)
			return fail_signature(err);
		sbuf_add(b, "\n", 1);
	}
	return 0;
}

/*
 * Canonical URI: empty and "." segments dropped, ".." pops one, each segment
 * SigV4-encoded (botocore encodes the already-encoded path again).  SNS's
 * path is always "/"; a path deeper than SIGV4_MAX_SEGMENTS fails.
 */
#define SIGV4_MAX_SEGMENTS 64
static int canonical_uri(struct sbuf *b, const char *path)
{
	const char *seg[SIGV4_MAX_SEGMENTS];
	size_t len[SIGV4_MAX_SEGMENTS], n = 0;
	const char *s = path ? path : "";
	size_t plen = strlen(s);

	while (*s) {
		size_t l;

		while (*s == '/')
			s++;
		l = strcspn(s, "/");
		if (l == 0)
			break;
		if (l == 2 && s[0] == '.' && s[1] == '.') {
			if (n)
				n--;
		} else if (!(l == 1 && s[0] == '.')) {
			if (n == SIGV4_MAX_SEGMENTS)
				return -1;
			seg[n] = s;
			len[n++] = l;
		}
		s += l;
	}
	for (size_t i = 0; i < n; i++) {
		sbuf_add(b, "/", 1);
		uri_encode(b, seg[i], len[i], false);
	}
	if (n == 0 || (plen && path[plen - 1] == '/'))
		sbuf_add(b, "/", 1);
	return 0;
}

static bool is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (int i = 0; i < 64; i++)
		if (hexval((unsigned char)s[i]) < 0)
			return false;
	return true;
}

static int presigned_parse(const struct sigv4_param *p, size_t n, struct sigv4_auth *a,
			   struct op_error *err)
{
	const char *alg = param_get(p, n, "X-Amz-Algorithm");
	const char *cred = param_get(p, n, "X-Amz-Credential");
	const char *date = param_get(p, n, "X-Amz-Date");
	const char *sh = param_get(p, n, "X-Amz-SignedHeaders");
	const char *sig = param_get(p, n, "X-Amz-Signature");
	const char *exp = param_get(p, n, "X-Amz-Expires");
	char *end;

	if (!alg || !cred || !date || !sh || !sig || !exp)
		return fail_incomplete(
			err, "AWS query-string parameters must include 'X-Amz-Algorithm', "
			     "'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', "
			     "'X-Amz-SignedHeaders', and 'X-Amz-Expires'. Re-examine the "
			     "query-string parameters.");
	if (strcmp(alg, SIGV4_ALGORITHM) != 0)
		return fail(err, "IncompleteSignature", 400,
			    "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
	if (copy_bounded(a->credential, sizeof(a->credential), cred, strlen(cred)) ||
	    copy_bounded(a->signed_headers, sizeof(a->signed_headers), sh, strlen(sh)) ||
	    copy_bounded(a->signature, sizeof(a->signature), sig, strlen(sig)) ||
	    copy_bounded(a->amz_date, sizeof(a->amz_date), date, strlen(date)))
		return fail_incomplete(err, "A presigned query-string parameter is too long.");
	a->expires = strtol(exp, &end, 10);
	if (!isdigit((unsigned char)exp[0]) || *end || a->expires < 1 ||
	    a->expires > SIGV4_MAX_EXPIRES)
		return fail(err, "IncompleteSignature", 400,
			    "X-Amz-Expires must be between 1 and %d seconds", SIGV4_MAX_EXPIRES);
	a->presigned = true;
	return 0;
}

/* Date header or X-Amz-Date header into a->amz_date (header auth). */
static int request_date(const struct sigv4_request *req, struct sigv4_auth *a, struct op_error *err)
{
	int count;
	const char *xd = header_find(req, "X-Amz-Date", &count);

	if (xd) {
		if (count > 1 || copy_bounded(a->amz_date, sizeof(a->amz_date), xd, strlen(xd)))
			goto bad;
		return 0;
	}
	xd = header_find(req, "Date", &count);
	if (!xd)
		return fail_incomplete(err, "Authorization header requires existence of either a "
					    "'X-Amz-Date' or a 'Date' header.");
	if (count > 1 || http_date_to_amz(xd, a->amz_date, sizeof(a->amz_date)))
		goto bad;
	return 0;
bad:
	return fail_incomplete(err, "Date must be in ISO-8601 'basic format'.");
}

/* Scope checks, in the order AWS reports them. */
static int scope_check(const struct sigv4_auth *a, const char *region, struct op_error *err)
{
	if (strncmp(a->date, a->amz_date, 8) != 0 || strlen(a->date) != 8)
		return fail(
			err, "SignatureDoesNotMatch", 403,
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version "
			"of date from HTTP: '%.16s' != '%.8s', from '%.16s'.",
			a->date, a->amz_date, a->amz_date);
	if (strcmp(a->region, region) != 0)
		return fail(err, "SignatureDoesNotMatch", 403,
			    "Credential should be scoped to a valid region, not '%.64s'. ",
			    a->region);
	if (strcmp(a->service, SIGV4_SERVICE) != 0)
		return fail(err, "SignatureDoesNotMatch", 403,
			    "Credential should be scoped to correct service: '" SIGV4_SERVICE
			    "'. ");
	if (strcmp(a->terminator, SIGV4_TERMINATOR) != 0)
		return fail(
			err, "SignatureDoesNotMatch", 403,
			"Credential should be scoped with a valid terminator: '" SIGV4_TERMINATOR
			"', not '%.64s'. ",
			a->terminator);
	return 0;
}

static int time_check(const struct sigv4_auth *a, time_t t, time_t now, struct op_error *err)
{
	char lim[17], nows[17];

	time_to_amz(now, nows);
	if (a->presigned && now > t + a->expires)
		return fail(err, "RequestExpired", 400, "Request has expired.");
	if (!a->presigned && t < now - SIGV4_MAX_SKEW) {
		time_to_amz(now - SIGV4_MAX_SKEW, lim);
		return fail(err, "SignatureDoesNotMatch", 403,
			    "Signature expired: %s is now earlier than %s (%s - 15 min.)",
			    a->amz_date, lim, nows);
	}
	if (t > now + SIGV4_MAX_SKEW) {
		time_to_amz(now + SIGV4_MAX_SKEW, lim);
		return fail(err, "SignatureDoesNotMatch", 403,
			    "Signature not yet current: %s is still later than %s (%s + 15 min.)",
			    a->amz_date, lim, nows);
	}
	return 0;
}

/* Hex signature of string_to_sign under secret and the credential scope of a. */
static int sign(const char *secret, const struct sigv4_auth *a, const char *string_to_sign,
		char out[65])
{
	unsigned char k[32];
	struct sbuf key = {0};
	int rc = -1;

	sbuf_str(&key, "AWS4");
	sbuf_str(&key, secret);
	if (key.oom)
		goto out;
	if (hmac256(key.p, key.len, a->date, k) || hmac256(k, 32, a->region, k) ||
	    hmac256(k, 32, a->service, k) || hmac256(k, 32, a->terminator, k) ||
	    hmac256(k, 32, string_to_sign, k))
		goto out;
	hex_encode(k, 32, out);
	rc = 0;
out:
	OPENSSL_cleanse(k, sizeof(k));
	if (key.p)
		OPENSSL_cleanse(key.p, key.len);
	free(key.p);
	return rc;
}

int sigv4_verify(const struct sigv4_request *req, const struct sigv4_key *keys, size_t n_keys,
		 const char *region, time_t now, const struct sigv4_key **key, struct op_error *err)
{
	struct sigv4_auth a;
	struct sigv4_param *params = NULL;
	size_t n_params = 0;
	struct sbuf creq = {0}, sts = {0};
	const struct sigv4_key *k = NULL;
	const char *auth, *payload_hdr;
	bool host_signed, sha_signed;
	char body_hash[65], creq_hash[65], expect[65];
	int count, rc = -1;
	time_t t;

	memset(&a, 0, sizeof(a));
	*key = NULL;
	if (query_parse(req->query ? req->query : "", &params, &n_params, err))
		goto out;
	auth = header_find(req, "Authorization", &count);
	if (count > 1) {
		fail_incomplete(err, "Only one Authorization header may be sent.");
		goto out;
	}
	if (auth) {
		if (auth_header_parse(auth, &a, err) || request_date(req, &a, err))
			goto out;
	} else if (param_get(params, n_params, "X-Amz-Algorithm") ||
		   param_get(params, n_params, "X-Amz-Signature") ||
		   param_get(params, n_params, "X-Amz-Credential")) {
		if (presigned_parse(params, n_params, &a, err))
			goto out;
	} else {
		fail(err, "MissingAuthenticationToken", 403,
		     "Request is missing Authentication Token");
		goto out;
	}
	if (credential_split(&a, err))
		goto out;
	if (amz_date_parse(a.amz_date, &t)) {
		fail_incomplete(err, "Date must be in ISO-8601 'basic format'.");
		goto out;
	}
	if (scope_check(&a, region, err))
		goto out;
	for (size_t i = 0; i < n_keys && !k; i++)
		if (keys[i].id && strcmp(keys[i].id, a.key_id) == 0)
			k = &keys[i];
	if (!k) {
		fail(err, "InvalidClientTokenId", 403,
		     "The security token included in the request is invalid.");
		goto out;
	}
	if (time_check(&a, t, now, err))
		goto out;

	/* canonical request */
	sbuf_str(&creq, req->method ? req->method : "");
	sbuf_add(&creq, "\n", 1);
	if (canonical_uri(&creq, req->path)) {
		fail_signature(err);
		goto out;
	}
	sbuf_add(&creq, "\n", 1);
	for (size_t i = 0, first = 1; i < n_params; i++) {
		if (a.presigned && strcmp(params[i].name, "X-Amz-Signature") == 0)
			continue;
		if (!first)
			sbuf_add(&creq, "&", 1);
		sbuf_str(&creq, params[i].enc);
		first = 0;
	}
	sbuf_add(&creq, "\n", 1);
	if (canonical_headers(req, a.signed_headers, &creq, &host_signed, &sha_signed, err))
		goto out;
	sbuf_add(&creq, "\n", 1);
	sbuf_str(&creq, a.signed_headers);
	sbuf_add(&creq, "\n", 1);
	sha256_hex(req->body ? (const void *)req->body : "", req->body ? req->body_len : 0,
		   body_hash);
	payload_hdr = header_find(req, "X-Amz-Content-SHA256", &count);
	if (payload_hdr && sha_signed) {
		/* the client's claim is signed, but it must also be true of the body */
		if (count > 1 || !is_hex64(payload_hdr) ||
		    strcasecmp(payload_hdr, body_hash) != 0) {
			fail_signature(err);
			goto out;
		}
		sbuf_str(&creq, payload_hdr);
	} else {
		sbuf_str(&creq, body_hash);
	}
	if (creq.oom) {
		fail(err, "InternalFailure", 500, "Internal failure");
		goto out;
	}
	sha256_hex(creq.p, creq.len, creq_hash);

	/* string to sign */
	sbuf_str(&sts, SIGV4_ALGORITHM "\n");
	sbuf_str(&sts, a.amz_date);
	sbuf_add(&sts, "\n", 1);
	sbuf_str(&sts, a.date);
	sbuf_add(&sts, "/", 1);
	sbuf_str(&sts, a.region);
	sbuf_add(&sts, "/", 1);
	sbuf_str(&sts, a.service);
	sbuf_add(&sts, "/", 1);
	sbuf_str(&sts, a.terminator);
	sbuf_add(&sts, "\n", 1);
	sbuf_str(&sts, creq_hash);
	if (sts.oom || sign(k->secret ? k->secret : "", &a, sts.p, expect)) {
		fail(err, "InternalFailure", 500, "Internal failure");
		goto out;
	}
	if (strlen(a.signature) != 64 || CRYPTO_memcmp(a.signature, expect, 64) != 0) {
		fail_signature(err);
		goto out;
	}
	*key = k;
	rc = 0;
out:
	OPENSSL_cleanse(expect, sizeof(expect));
	params_free(params, n_params);
	free(creq.p);
	free(sts.p);
	return rc;
}
