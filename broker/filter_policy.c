/*
 * Filter policy parsing and checking; see filter_policy.h.
 *
 * SNS parses attribute JSON with Jackson and returns Jackson's message, so a
 * small scanner finds the first syntax error and words it the way Jackson
 * does (the two shapes AWS was recorded returning are reproduced exactly).
 * jansson then builds the value.  The constraint messages are SNS's.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/filter_policy.h"

/* Jackson's StreamReadConstraints default. */
#define JSON_MAX_DEPTH 1000
/* The constraints page: "the total combination of values must not exceed 150". */
#define FILTER_MAX_COMBINATIONS 150
/* "A filter policy can have a maximum of five attribute names." */
#define FILTER_MAX_KEYS 5

struct scan {
	const char *s;
	size_t pos;
	size_t line_start;
	int line;
	char *why;
	size_t n;
	bool failed;
};

/* Describe the character at p as Jackson does: "'x' (code 120)" or "(CTRL-CHAR, code 10)". */
static void scan_char_desc(const char *p, char *out, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	unsigned int cp = u[0];
	size_t len = 1;

	if (cp < 0x20) {
		snprintf(out, n, "(CTRL-CHAR, code %u)", cp);
		return;
	}
	if (cp >= 0xc0 && cp < 0xe0 && (u[1] & 0xc0) == 0x80) {
		cp = ((cp & 0x1f) << 6) | (u[1] & 0x3f);
		len = 2;
	} else if (cp >= 0xe0 && cp < 0xf0 && (u[1] & 0xc0) == 0x80 && (u[2] & 0xc0) == 0x80) {
		cp = ((cp & 0x0f) << 12) | ((u[1] & 0x3fu) << 6) | (u[2] & 0x3f);
		len = 3;
	} else if (cp >= 0xf0 && cp < 0xf8 && (u[1] & 0xc0) == 0x80 && (u[2] & 0xc0) == 0x80 &&
		   (u[3] & 0xc0) == 0x80) {
		cp = ((cp & 0x07) << 18) | ((u[1] & 0x3fu) << 12) | ((u[2] & 0x3fu) << 6) |
		     (u[3] & 0x3f);
		len = 4;
	}
	snprintf(out, n, "'%.*s' (code %u)", (int)len, p, cp);
}

/* Record the first error, located at byte offset at. */
static void scan_fail(struct scan *sc, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void scan_fail(struct scan *sc, size_t at, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	if (sc->failed)
		return;
	sc->failed = true;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	snprintf(
		sc->why, sc->n,
		"failed to parse JSON. %s\n at [Source: REDACTED "
		"(`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: %d, column: %zu]",
		reason, sc->line, at - sc->line_start + 1);
}

static void scan_unexpected(struct scan *sc, const char *expecting)
{
	char desc[64];

	scan_char_desc(sc->s + sc->pos, desc, sizeof(desc));
	scan_fail(sc, sc->pos, "Unexpected character (%s): %s", desc, expecting);
}

static void scan_ws(struct scan *sc)
{
	for (;;) {
		char c = sc->s[sc->pos];

		if (c == '\n') {
			sc->line++;
			sc->line_start = sc->pos + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			return;
		}
		sc->pos++;
	}
}

static void scan_value(struct scan *sc, int depth);

static void scan_string(struct scan *sc)
{
	sc->pos++; /* opening quote */
	for (;;) {
		unsigned char c = (unsigned char)sc->s[sc->pos];

		if (c == '\0') {
			scan_fail(
				sc, sc->pos,
				"Unexpected end-of-input: was expecting closing quote for a string "
				"value");
			return;
		}
		if (c == '"') {
			sc->pos++;
			return;
		}
		if (c < 0x20) {
			scan_fail(
				sc, sc->pos,
				"Illegal unquoted character ((CTRL-CHAR, code %u)): has to be escaped "
				"using backslash to be included in string value",
				c);
			return;
		}
		if (c == '\\') {
			char e = sc->s[++sc->pos];

			if (e == 'u') {
				for (int i = 1; i <= 4; i++) {
					if (!isxdigit((unsigned char)sc->s[sc->pos + i])) {
						sc->pos += i;
						scan_unexpected(
							sc, "expected a hex-digit for character "
							    "escape sequence");
						return;
					}
				}
				sc->pos += 4;
			} else if (!e || !strchr("\"\\/bfnrt", e)) {
				char desc[64];

				scan_char_desc(sc->s + sc->pos, desc, sizeof(desc));
				scan_fail(sc, sc->pos, "Unrecognized character escape %s", desc);
				return;
			}
		}
		sc->pos++;
	}
}

static void scan_number(struct scan *sc)
{
	size_t start = sc->pos;
	const char *p = sc->s + sc->pos;

	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p)) {
		sc->pos = (size_t)(p - sc->s);
		scan_unexpected(sc, "expected digit (0-9) to follow minus sign, for valid numeric "
				    "value");
		return;
	}
	if (*p == '0' && isdigit((unsigned char)p[1])) {
		sc->pos = (size_t)(p - sc->s);
		scan_fail(sc, sc->pos, "Invalid numeric value: Leading zeroes not allowed");
		return;
	}
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p)) {
			sc->pos = (size_t)(p - sc->s);
			scan_fail(sc, sc->pos,
				  "Unexpected character: Decimal point not followed by a digit");
			return;
		}
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p)) {
			sc->pos = (size_t)(p - sc->s);
			scan_unexpected(sc, "Exponent indicator not followed by a digit");
			return;
		}
		while (isdigit((unsigned char)*p))
			p++;
	}
	(void)start;
	sc->pos = (size_t)(p - sc->s);
}

static void scan_token(struct scan *sc)
{
	size_t start = sc->pos;
	size_t end = start;

	while (isalnum((unsigned char)sc->s[end]) || sc->s[end] == '_' || sc->s[end] == '$')
		end++;
	if ((end - start == 4 && !strncmp(sc->s + start, "true", 4)) ||
	    (end - start == 5 && !strncmp(sc->s + start, "false", 5)) ||
	    (end - start == 4 && !strncmp(sc->s + start, "null", 4))) {
		sc->pos = end;
		return;
	}
	scan_fail(sc, end,
		  "Unrecognized token '%.*s': was expecting (JSON String, Number, Array, Object or "
		  "token 'null', 'true' or 'false')",
		  (int)(end - start > 256 ? 256 : end - start), sc->s + start);
}

static void scan_object(struct scan *sc, int depth)
{
	sc->pos++; /* { */
	scan_ws(sc);
	if (sc->s[sc->pos] == '}') {
		sc->pos++;
		return;
	}
	for (;;) {
		scan_ws(sc);
		if (!sc->s[sc->pos]) {
			scan_fail(sc, sc->pos,
				  "Unexpected end-of-input: expected close marker for Object");
			return;
		}
		if (sc->s[sc->pos] != '"') {
			scan_unexpected(sc, "was expecting double-quote to start field name");
			return;
		}
		scan_string(sc);
		if (sc->failed)
			return;
		scan_ws(sc);
		if (sc->s[sc->pos] != ':') {
			if (!sc->s[sc->pos])
				scan_fail(
					sc, sc->pos,
					"Unexpected end-of-input: expected close marker for Object");
			else
				scan_unexpected(sc, "was expecting a colon to separate field name "
						    "and value");
			return;
		}
		sc->pos++;
		scan_value(sc, depth);
		if (sc->failed)
			return;
		scan_ws(sc);
		if (sc->s[sc->pos] == '}') {
			sc->pos++;
			return;
		}
		if (!sc->s[sc->pos]) {
			scan_fail(sc, sc->pos,
				  "Unexpected end-of-input: expected close marker for Object");
			return;
		}
		if (sc->s[sc->pos] != ',') {
			scan_unexpected(sc, "was expecting comma to separate Object entries");
			return;
		}
		sc->pos++;
	}
}

static void scan_array(struct scan *sc, int depth)
{
	sc->pos++; /* [ */
	scan_ws(sc);
	if (sc->s[sc->pos] == ']') {
		sc->pos++;
		return;
	}
	for (;;) {
		scan_value(sc, depth);
		if (sc->failed)
			return;
		scan_ws(sc);
		if (sc->s[sc->pos] == ']') {
			sc->pos++;
			return;
		}
		if (!sc->s[sc->pos]) {
			scan_fail(sc, sc->pos,
				  "Unexpected end-of-input: expected close marker for Array");
			return;
		}
		if (sc->s[sc->pos] != ',') {
			scan_unexpected(sc, "was expecting comma to separate Array entries");
			return;
		}
		sc->pos++;
	}
}

static void scan_value(struct scan *sc, int depth)
{
	char c;

	scan_ws(sc);
	c = sc->s[sc->pos];
	if (c == '{' || c == '[') {
		if (depth + 1 > JSON_MAX_DEPTH) {
			scan_fail(
				sc, sc->pos,
				"Document nesting depth (%d) exceeds the maximum allowed (%d, from "
				"`StreamReadConstraints.getMaxNestingDepth()`)",
				depth + 1, JSON_MAX_DEPTH);
			return;
		}
		if (c == '{')
			scan_object(sc, depth + 1);
		else
			scan_array(sc, depth + 1);
	} else if (c == '"') {
		scan_string(sc);
	} else if (c == '-' || isdigit((unsigned char)c)) {
		scan_number(sc);
	} else if (isalpha((unsigned char)c) || c == '_' || c == '$') {
		scan_token(sc);
	} else if (c == '\0') {
		scan_fail(sc, sc->pos, "Unexpected end-of-input: expected a value");
	} else {
		scan_unexpected(sc, "expected a valid value (JSON String, Number, Array, Object or "
				    "token 'null', 'true' or 'false')");
	}
}

json_t *filter_policy_parse_json(const char *text, char *why, size_t n)
{
	struct scan sc = {.s = text, .line = 1, .why = why, .n = n};
	json_error_t jerr;
	json_t *v;

	scan_ws(&sc);
	if (!text[sc.pos]) {
		snprintf(why, n, "failed to parse JSON. No content to map due to end-of-input");
		return NULL;
	}
	scan_value(&sc, 0);
	if (!sc.failed) {
		scan_ws(&sc);
		if (text[sc.pos])
			scan_unexpected(&sc, "expected end-of-input");
	}
	if (sc.failed)
		return NULL;
	v = json_loads(text, JSON_DECODE_ANY, &jerr);
	if (!v)
		snprintf(why, n, "failed to parse JSON. %s", jerr.text);
	return v;
}

/* ---- constraints ---- */

static int fp_fail(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fp_fail(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;
	int len;

	len = snprintf(why, n, "FilterPolicy: ");
	va_start(ap, fmt);
	if (len >= 0 && (size_t)len < n)
		vsnprintf(why + len, n - (size_t)len, fmt, ap);
	va_end(ap);
	return -1;
}

static int fp_check_numeric(json_t *v, char *why, size_t n)
{
	const char *op, *op2;
	double lo, hi;
	size_t len;

	if (!json_is_array(v))
		return fp_fail(why, n, "numeric match pattern must be an array");
	len = json_array_size(v);
	if (len == 0)
		return fp_fail(why, n, "Invalid member in numeric match: ]");
	if (!json_is_string(json_array_get(v, 0))) {
		char *s = json_dumps(json_array_get(v, 0), JSON_ENCODE_ANY);

		fp_fail(why, n, "Invalid member in numeric match: %s", s ? s : "?");
		free(s);
		return -1;
	}
	op = json_string_value(json_array_get(v, 0));
	if (strcmp(op, "<") && strcmp(op, "<=") && strcmp(op, "=") && strcmp(op, ">") &&
	    strcmp(op, ">="))
		return fp_fail(why, n, "Unrecognized numeric range operator: %s", op);
	if (len < 2 || !json_is_number(json_array_get(v, 1)))
		return fp_fail(why, n, "Value of %s must be numeric",
			       strcmp(op, "=") ? op : "equals");
	if (len == 2)
		return 0;
	if (strcmp(op, ">") && strcmp(op, ">="))
		return fp_fail(why, n, "Too many elements in numeric expression");
	if (!json_is_string(json_array_get(v, 2))) {
		char *s = json_dumps(json_array_get(v, 2), JSON_ENCODE_ANY);

		fp_fail(why, n, "Bad value in numeric range: %s", s ? s : "?");
		free(s);
		return -1;
	}
	op2 = json_string_value(json_array_get(v, 2));
	if (strcmp(op2, "<") && strcmp(op2, "<="))
		return fp_fail(why, n, "Bad numeric range operator: %s", op2);
	if (len < 4 || !json_is_number(json_array_get(v, 3)))
		return fp_fail(why, n, "Value of %s must be numeric", op2);
	lo = json_number_value(json_array_get(v, 1));
	hi = json_number_value(json_array_get(v, 3));
	if (hi <= lo)
		return fp_fail(why, n, "Bottom must be less than top");
	if (len > 4)
		return fp_fail(why, n, "Too many terms in numeric range expression");
	return 0;
}

static int fp_check_cidr(json_t *v, char *why, size_t n)
{
	const char *s, *slash, *p;
	char ip[64];
	unsigned char buf[16];
	long bits;
	char *end;
	bool v6;

	if (!json_is_string(v))
		/* SNS words it so for cidr too. */
		return fp_fail(why, n, "prefix match pattern must be a string");
	s = json_string_value(v);
	slash = strchr(s, '/');
	if (!slash || strchr(slash + 1, '/'))
		return fp_fail(why, n, "Malformed CIDR, one '/' required");
	for (p = slash + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			break;
	bits = strtol(slash + 1, &end, 10);
	if (!slash[1] || *end || *p)
		return fp_fail(why, n, "Malformed CIDR, mask bits must be an integer");
	snprintf(ip, sizeof(ip), "%.*s", (int)(slash - s), s);
	v6 = strchr(ip, ':') != NULL;
	if ((size_t)(slash - s) >= sizeof(ip) || inet_pton(v6 ? AF_INET6 : AF_INET, ip, buf) != 1 ||
	    bits < 0 || bits > (v6 ? 128 : 32))
		return fp_fail(why, n, "Nonstandard IP address: %s", ip);
	return 0;
}

static int fp_check_rule(json_t *rule, char *why, size_t n)
{
	const char *op;
	json_t *v;

	if (json_is_null(rule) || json_is_string(rule) || json_is_boolean(rule) ||
	    json_is_number(rule))
		return 0;
	if (!json_is_object(rule))
		return fp_fail(why, n, "Match value must be String, number, true, false, or null");
	if (json_object_size(rule) != 1)
		return fp_fail(why, n, "Only one key allowed in match expression");
	json_object_foreach (rule, op, v) {
		if (!strcmp(op, "equals-ignore-case") || !strcmp(op, "prefix") ||
		    !strcmp(op, "suffix")) {
			if (!json_is_string(v))
				return fp_fail(why, n, "%s match pattern must be a string", op);
		} else if (!strcmp(op, "anything-but")) {
			size_t i;
			json_t *e;
			const char *k;

			if (json_is_array(v)) {
				json_array_foreach (v, i, e) {
					if (!json_is_string(e) && !json_is_number(e))
						return fp_fail(
							why, n,
							"Inside anything but list, start|null|"
							"boolean is not supported.");
				}
			} else if (json_is_object(v)) {
				json_object_foreach (v, k, e) {
					if (strcmp(k, "prefix"))
						return fp_fail(
							why, n,
							"Unsupported anything-but pattern: %s", k);
				}
				if (fp_check_rule(v, why, n))
					return -1;
			} else if (!json_is_string(v) && !json_is_number(v)) {
				return fp_fail(why, n,
					       "Inside anything but list, start|null|boolean "
					       "is not supported.");
			}
		} else if (!strcmp(op, "exists")) {
			if (!json_is_boolean(v))
				return fp_fail(
					why, n,
					"exists match pattern must be either true or false.");
		} else if (!strcmp(op, "numeric")) {
			if (fp_check_numeric(v, why, n))
				return -1;
		} else if (!strcmp(op, "cidr")) {
			if (fp_check_cidr(v, why, n))
				return -1;
		} else {
			return fp_fail(why, n, "Unrecognized match type %s", op);
		}
	}
	return 0;
}

/*
 * Walk one level of the policy.  The combination count follows the worked
 * example of the constraints page (values x nesting depth, multiplied over
 * keys; $or branches add up), saturating above the limit.
 */
static int fp_walk(json_t *obj, int depth, bool body_scope, uint64_t *comb, char *why, size_t n)
{
	const char *key;
	json_t *v;

	if (depth > 1 && !body_scope) {
		snprintf(why, n,
			 "Filter policy scope MessageAttributes does not support nested "
			 "filter policy");
		return -1;
	}
	json_object_foreach (obj, key, v) {
		if (json_is_object(v)) {
			if (fp_walk(v, depth + 1, body_scope, comb, why, n))
				return -1;
		} else if (json_is_array(v)) {
			size_t i;
			json_t *e;

			if (json_array_size(v) == 0)
				return fp_fail(why, n, "Empty arrays are not allowed");
			if (!strcmp(key, "$or")) {
				uint64_t sum = 0;

				json_array_foreach (v, i, e) {
					uint64_t branch = *comb;

					if (!json_is_object(e))
						return fp_fail(
							why, n,
							"\"$or\" must be an array of objects");
					if (fp_walk(e, depth, body_scope, &branch, why, n))
						return -1;
					sum += branch;
					if (sum > FILTER_MAX_COMBINATIONS)
						sum = FILTER_MAX_COMBINATIONS + 1;
				}
				*comb = sum;
			} else {
				json_array_foreach (v, i, e) {
					if (fp_check_rule(e, why, n))
						return -1;
				}
				*comb *= (uint64_t)json_array_size(v) * (uint64_t)depth;
				if (*comb > FILTER_MAX_COMBINATIONS)
					*comb = FILTER_MAX_COMBINATIONS + 1;
			}
		} else {
			return fp_fail(why, n, "\"%s\" must be an object or an array", key);
		}
	}
	return 0;
}

int filter_policy_check(json_t *policy, bool body_scope, char *why, size_t n)
{
	uint64_t comb = 1;

	if (!json_is_object(policy))
		return fp_fail(why, n, "Filter policy must be a JSON object");
	if (json_object_size(policy) > FILTER_MAX_KEYS)
		return fp_fail(why, n, "Filter policy can not have more than %d keys",
			       FILTER_MAX_KEYS);
	if (fp_walk(policy, 1, body_scope, &comb, why, n))
		return -1;
	if (comb > FILTER_MAX_COMBINATIONS)
		return fp_fail(why, n, "Filter policy is too complex");
	return 0;
}
