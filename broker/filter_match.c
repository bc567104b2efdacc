/*
 * Evaluating a subscription filter policy against one message:
 * filter_policy_match() of filter_policy.h (parsing and checking policies
 * live in filter_policy.c).
 *
 * Semantics (reference/sns-docs: sns-subscription-filter-policies.md and the
 * operator pages).  A policy is an AND over its keys; "$or" is an OR over
 * its objects, each evaluated at the level where it stands.  A key's list
 * of rules is an OR: the key matches when some rule matches some value of
 * the key.  Values are what the message holds at the key's path:
 *   - MessageAttributes scope: the attribute of that name.  String gives a
 *     string, Number a number (five digits after the point, as SNS
 *     compares), String.Array (and Number.Array) each element of the JSON
 *     array in StringValue, Binary no value (only exists sees it).
 *   - MessageBody scope: the body parsed as JSON, walked by nested keys;
 *     arrays on the way or at the end are walked element by element, so a
 *     path's values are all the leaves it reaches (objects are not values).
 * A key the message does not have has no values, so only {"exists": false}
 * can match it ("because the encrypted property name isn't present in the
 * message attributes, this policy property causes the message to be
 * rejected regardless of the value assigned to it").  anything-but matches
 * a value that is none of the listed ones, so ["rugby", "baseball"]
 * matches anything-but ["rugby", "tennis"] through "baseball".
 *
 * Comparisons are typed: a policy string matches string values, a policy
 * number numeric values, true/false booleans and null null (body and array
 * elements).  prefix, suffix, equals-ignore-case and cidr look at strings
 * only; equals-ignore-case folds ASCII letters only.
 *
 * Pure: any thread.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "broker/filter_policy.h"

/* Deeper paths than this cannot come from a policy filter_policy_check() accepts. */
#define FM_MAX_DEPTH 160

enum fm_type {
	FM_STR,
	FM_NUM,
	FM_BOOL,
	FM_NULL,
};

/* One value of the message. */
struct fm_value {
	enum fm_type type;
	const char *s; /* FM_STR, not NUL-terminated */
	size_t len;
	double num; /* FM_NUM */
	bool b;	    /* FM_BOOL */
};

/* Called per value; true stops the walk (found). */
typedef bool (*fm_value_fn)(const struct fm_value *v, json_t *rule);

struct fm {
	bool body_scope;
	json_t *attrs; /* attribute scope */
	json_t *body;  /* body scope: the parsed message */
	const char *path[FM_MAX_DEPTH];
};

/* SNS compares numbers to five digits after the decimal point. */
static double fm_num_key(double x)
{
	double y = x * 100000.0;

	/* Beyond what SNS accepts (-1e9..1e9) the value is left as it is. */
	if (!(y > -9e18 && y < 9e18))
		return y;
	return (double)(long long)(y + (y >= 0 ? 0.5 : -0.5));
}

/* A JSON leaf as a value; false for objects and arrays. */
static bool fm_from_json(json_t *j, struct fm_value *v)
{
	switch (json_typeof(j)) {
	case JSON_STRING:
		*v = (struct fm_value){
			.type = FM_STR, .s = json_string_value(j), .len = json_string_length(j)};
		return true;
	case JSON_INTEGER:
	case JSON_REAL:
		*v = (struct fm_value){.type = FM_NUM, .num = json_number_value(j)};
		return true;
	case JSON_TRUE:
	case JSON_FALSE:
		*v = (struct fm_value){.type = FM_BOOL, .b = json_is_true(j)};
		return true;
	case JSON_NULL:
		*v = (struct fm_value){.type = FM_NULL};
		return true;
	default:
		return false;
	}
}

/* Every leaf of j (arrays flattened, objects skipped) to fn; true when fn found one. */
static bool fm_leaves(json_t *j, fm_value_fn fn, json_t *rule)
{
	struct fm_value v;
	size_t i;
	json_t *e;

	if (json_is_array(j)) {
		json_array_foreach (j, i, e)
			if (fm_leaves(e, fn, rule))
				return true;
		return false;
	}
	return fm_from_json(j, &v) && fn(&v, rule);
}

/* The values at path[depth..n) below j (arrays walked through) to fn. */
static bool fm_walk(const struct fm *m, json_t *j, size_t depth, size_t n, fm_value_fn fn,
		    json_t *rule)
{
	size_t i;
	json_t *e;

	if (depth == n)
		return fm_leaves(j, fn, rule);
	if (json_is_array(j)) {
		json_array_foreach (j, i, e)
			if (fm_walk(m, e, depth, n, fn, rule))
				return true;
		return false;
	}
	j = json_object_get(j, m->path[depth]);
	return j && fm_walk(m, j, depth + 1, n, fn, rule);
}

/* The values of one message attribute to fn. */
static bool fm_attr_values(json_t *attr, fm_value_fn fn, json_t *rule)
{
	const char *type = json_string_value(json_object_get(attr, "DataType"));
	json_t *sv = json_object_get(attr, "StringValue");
	struct fm_value v;
	const char *s;
	char *end;
	bool found;

	if (!type || !json_is_string(sv))
		return false;
	s = json_string_value(sv);
	if (strcmp(type, "String.Array") == 0 || strcmp(type, "Number.Array") == 0) {
		json_t *arr = json_loadb(s, json_string_length(sv), 0, NULL);

		found = json_is_array(arr) && fm_leaves(arr, fn, rule);
		json_decref(arr);
		return found;
	}
	if (strncmp(type, "Number", 6) == 0 && (type[6] == '\0' || type[6] == '.')) {
		v = (struct fm_value){.type = FM_NUM, .num = strtod(s, &end)};
		return end != s && *end == '\0' && fn(&v, rule);
	}
	if (strncmp(type, "String", 6) == 0 && (type[6] == '\0' || type[6] == '.')) {
		v = (struct fm_value){.type = FM_STR, .s = s, .len = json_string_length(sv)};
		return fn(&v, rule);
	}
	return false; /* Binary: no value to compare */
}

/* Any value at path[0..n) for which fn is true? */
static bool fm_any(const struct fm *m, size_t n, fm_value_fn fn, json_t *rule)
{
	if (!m->body_scope)
		return n == 1 && fm_attr_values(json_object_get(m->attrs, m->path[0]), fn, rule);
	return fm_walk(m, m->body, 0, n, fn, rule);
}

/* Is path[0..n) in the message at all (exists)? */
static bool fm_present_fn(const struct fm_value *v, json_t *rule)
{
	(void)v;
	(void)rule;
	return true;
}

static bool fm_present(const struct fm *m, size_t n)
{
	if (!m->body_scope)
		return n == 1 && json_object_get(m->attrs, m->path[0]) != NULL;
	return fm_walk(m, m->body, 0, n, fm_present_fn, NULL);
}

static bool fm_str_eq(const struct fm_value *v, json_t *s)
{
	return v->type == FM_STR && json_is_string(s) && v->len == json_string_length(s) &&
	       memcmp(v->s, json_string_value(s), v->len) == 0;
}

static bool fm_prefix(const struct fm_value *v, json_t *p)
{
	size_t n = json_string_length(p);

	return v->type == FM_STR && json_is_string(p) && v->len >= n &&
	       memcmp(v->s, json_string_value(p), n) == 0;
}

static bool fm_suffix(const struct fm_value *v, json_t *p)
{
	size_t n = json_string_length(p);

	return v->type == FM_STR && json_is_string(p) && v->len >= n &&
	       memcmp(v->s + v->len - n, json_string_value(p), n) == 0;
}

static bool fm_equals_icase(const struct fm_value *v, json_t *p)
{
	return v->type == FM_STR && json_is_string(p) && v->len == json_string_length(p) &&
	       strncasecmp(v->s, json_string_value(p), v->len) == 0 &&
	       memchr(v->s, '\0', v->len) == NULL;
}

/* An exact rule (string, number, boolean, null) against one value. */
static bool fm_exact(const struct fm_value *v, json_t *rule)
{
	switch (v->type) {
	case FM_STR:
		return fm_str_eq(v, rule);
	case FM_NUM:
		return json_is_number(rule) &&
		       fm_num_key(v->num) == fm_num_key(json_number_value(rule));
	case FM_BOOL:
		return json_is_boolean(rule) && json_is_true(rule) == v->b;
	case FM_NULL:
		return json_is_null(rule);
	}
	return false;
}

/* {"anything-but": arg}: a value that is none of arg's. */
static bool fm_anything_but(const struct fm_value *v, json_t *arg)
{
	size_t i;
	json_t *e;

	if (json_is_array(arg)) {
		json_array_foreach (arg, i, e)
			if (fm_exact(v, e))
				return false;
		return true;
	}
	/* {"prefix": p}, the one pattern filter_policy_check() accepts here */
	if (json_is_object(arg))
		return v->type == FM_STR && json_is_string(json_object_get(arg, "prefix")) &&
		       !fm_prefix(v, json_object_get(arg, "prefix"));
	return !fm_exact(v, arg);
}

/* {"numeric": [op, n, (op, n)]}: every comparison holds. */
static bool fm_numeric(const struct fm_value *v, json_t *arg)
{
	double x, y;
	const char *op;

	if (v->type != FM_NUM || !json_is_array(arg) || json_array_size(arg) % 2)
		return false;
	x = fm_num_key(v->num);
	for (size_t i = 0; i + 1 < json_array_size(arg); i += 2) {
		op = json_string_value(json_array_get(arg, i));
		if (!op || !json_is_number(json_array_get(arg, i + 1)))
			return false;
		y = fm_num_key(json_number_value(json_array_get(arg, i + 1)));
		if (!((strcmp(op, "=") == 0 && x == y) || (strcmp(op, "<") == 0 && x < y) ||
		      (strcmp(op, "<=") == 0 && x <= y) || (strcmp(op, ">") == 0 && x > y) ||
		      (strcmp(op, ">=") == 0 && x >= y)))
			return false;
	}
	return true;
}

/* Parse an address (v4 or v6) into buf[16]; its family, or 0. */
static int fm_ip(const char *s, size_t len, unsigned char buf[16])
{
	char ip[64];

	if (len == 0 || len >= sizeof(ip) || memchr(s, '\0', len))
		return 0;
	memcpy(ip, s, len);
	ip[len] = '\0';
	if (inet_pton(AF_INET, ip, buf) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, ip, buf) == 1)
		return AF_INET6;
	return 0;
}

/* {"cidr": "a.b.c.d/n"} or an IPv6 network. */
static bool fm_cidr(const struct fm_value *v, json_t *arg)
{
	const char *net = json_string_value(arg), *slash;
	unsigned char want[16], got[16];
	int fam;
	long bits;

	if (v->type != FM_STR || !net || !(slash = strchr(net, '/')))
		return false;
	fam = fm_ip(net, (size_t)(slash - net), want);
	bits = strtol(slash + 1, NULL, 10);
	if (!fam || fm_ip(v->s, v->len, got) != fam || bits < 0 ||
	    bits > (fam == AF_INET ? 32 : 128))
		return false;
	if (memcmp(want, got, (size_t)bits / 8) != 0)
		return false;
	if (bits % 8) {
		unsigned char mask = (unsigned char)(0xff << (8 - bits % 8));

		return (want[bits / 8] & mask) == (got[bits / 8] & mask);
	}
	return true;
}

/* One rule of a key's list against one value. */
static bool fm_rule(const struct fm_value *v, json_t *rule)
{
	const char *op;
	json_t *arg;

	if (!json_is_object(rule))
		return fm_exact(v, rule);
	json_object_foreach (rule, op, arg) {
		if (strcmp(op, "prefix") == 0)
			return fm_prefix(v, arg);
		if (strcmp(op, "suffix") == 0)
			return fm_suffix(v, arg);
		if (strcmp(op, "equals-ignore-case") == 0)
			return fm_equals_icase(v, arg);
		if (strcmp(op, "anything-but") == 0)
			return fm_anything_but(v, arg);
		if (strcmp(op, "numeric") == 0)
			return fm_numeric(v, arg);
		if (strcmp(op, "cidr") == 0)
			return fm_cidr(v, arg);
		return false;
	}
	return false;
}

/* A key's list of rules, for the values at path[0..n). */
static bool fm_rules(const struct fm *m, json_t *rules, size_t n)
{
	size_t i;
	json_t *rule, *exists;

	json_array_foreach (rules, i, rule) {
		exists = json_object_get(rule, "exists");
		if (json_is_object(rule) && json_is_boolean(exists)) {
			if (fm_present(m, n) == json_is_true(exists))
				return true;
		} else if (fm_any(m, n, fm_rule, rule)) {
			return true;
		}
	}
	return false;
}

/* An object of the policy at path depth n: every key matches. */
static bool fm_object(struct fm *m, json_t *pol, size_t n)
{
	const char *key;
	json_t *v, *branch;
	size_t i;
	bool any;

	if (n >= FM_MAX_DEPTH)
		return false;
	json_object_foreach (pol, key, v) {
		if (strcmp(key, "$or") == 0 && json_is_array(v)) {
			any = false;
			json_array_foreach (v, i, branch)
				if (json_is_object(branch) && fm_object(m, branch, n)) {
					any = true;
					break;
				}
			if (!any)
				return false;
			continue;
		}
		m->path[n] = key;
		if (json_is_object(v)) {
			if (!m->body_scope || !fm_object(m, v, n + 1))
				return false;
		} else if (!json_is_array(v) || !fm_rules(m, v, n + 1)) {
			return false;
		}
	}
	return true;
}

bool filter_policy_match(json_t *policy, bool body_scope, json_t *attrs, const char *message,
			 size_t message_len)
{
	struct fm m = {.body_scope = body_scope, .attrs = attrs};
	bool ok;

	if (!policy || (json_is_object(policy) && json_object_size(policy) == 0))
		return true;
	if (!json_is_object(policy))
		return false;
	if (body_scope) {
		m.body = message ? json_loadb(message, message_len, 0, NULL) : NULL;
		if (!json_is_object(m.body)) {
			json_decref(m.body);
			return false;
		}
	}
	ok = fm_object(&m, policy, 0);
	json_decref(m.body);
	return ok;
}
