/*
 * AWS Query form decoding (see query.h).  Two passes: every name=value pair
 * is percent-decoded and stored in a tree of objects keyed by the dotted
 * name's parts (so "Tags.member.2.Key" lands at tree.Tags.member."2".Key);
 * then the tree is converted bottom-up: an object whose only key is "member"
 * becomes an array ordered by index, one whose only key is "entry" becomes a
 * map keyed by each entry's key/Name with its value/Value.  Every index,
 * depth, length and count is bounded.  Pure functions, any thread.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "broker/query.h"

/* Members whose type is a list, so that "X=" (botocore's empty list) is []. */
static const char *const query_list_members[] = {
	"AWSAccountId", "ActionName", "Tags", "TagKeys", "PublishBatchRequestEntries", NULL,
};

static int query_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *query_unescape(const char *src, size_t len, size_t *out_len)
{
	char *dst = malloc(len + 1);
	size_t i, n = 0;

	if (!dst)
		return NULL;
	for (i = 0; i < len; i++) {
		if (src[i] == '+') {
			dst[n++] = ' ';
		} else if (src[i] == '%') {
			int hi, lo;

			if (i + 2 >= len) {
				free(dst);
				return NULL;
			}
			hi = query_hex((unsigned char)src[i + 1]);
			lo = query_hex((unsigned char)src[i + 2]);
			if (hi < 0 || lo < 0) {
				free(dst);
				return NULL;
			}
			dst[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			dst[n++] = src[i];
		}
	}
	dst[n] = '\0';
	*out_len = n;
	return dst;
}

/* A list index: 1..QUERY_MAX_INDEX, decimal, no sign or leading zero. */
static long query_index(const char *s)
{
	long v = 0;

	if (*s < '1' || *s > '9')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > QUERY_MAX_INDEX)
			return -1;
	}
	return v;
}

/* Store value (stolen) at the path name (NUL-terminated, modified in place) in tree. */
static int query_insert(json_t *tree, char *name, json_t *value, const char *full,
			struct op_error *err)
{
	char *parts[QUERY_MAX_DEPTH];
	size_t n = 0, i;
	char *p = name, *dot;
	json_t *node = tree, *child;

	for (;;) {
		if (n == QUERY_MAX_DEPTH) {
			op_fail(err, "InvalidParameterValue", 400,
				"Parameter name %s has more than %d parts", full, QUERY_MAX_DEPTH);
			goto fail;
		}
		parts[n++] = p;
		dot = strchr(p, '.');
		if (!dot)
			break;
		*dot = '\0';
		p = dot + 1;
	}
	for (i = 0; i < n; i++) {
		if (!*parts[i]) {
			op_fail(err, "MalformedQueryString", 404,
				"The query string contains a syntax error: empty part in parameter "
				"name '%s'",
				full);
			goto fail;
		}
		if (i > 0 && (!strcmp(parts[i - 1], "member") || !strcmp(parts[i - 1], "entry")) &&
		    query_index(parts[i]) < 0) {
			op_fail(err, "InvalidParameterValue", 400,
				"Parameter %s: the index after '%s' must be an integer from 1 to "
				"%d",
				full, parts[i - 1], QUERY_MAX_INDEX);
			goto fail;
		}
	}
	for (i = 0; i + 1 < n; i++) {
		child = json_object_get(node, parts[i]);
		if (!child) {
			child = json_object();
			if (!child || json_object_set_new(node, parts[i], child) < 0)
				goto nomem;
		} else if (!json_is_object(child)) {
			goto clash;
		}
		node = child;
	}
	if (json_object_get(node, parts[n - 1]))
		goto clash;
	if (json_object_set_new(node, parts[n - 1], value) < 0) {
		value = NULL;
		goto nomem;
	}
	return 0;
clash:
	op_fail(err, "InvalidParameterValue", 400,
		"Parameter %s is given more than once or both as a value and as a structure", full);
	goto fail;
nomem:
	op_internal(err, "query: out of memory");
fail:
	json_decref(value);
	return -1;
}

struct query_item {
	long index;
	json_t *node;
};

static int query_item_cmp(const void *a, const void *b)
{
	const struct query_item *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

static json_t *query_convert(json_t *node, const char *name, struct op_error *err);

/* The children of a "member"/"entry" object, ordered by index; malloc'd, *n set. */
static struct query_item *query_items(json_t *obj, size_t *n)
{
	struct query_item *items = calloc(json_object_size(obj) + 1, sizeof(*items));
	const char *k;
	json_t *v;
	size_t i = 0;

	if (!items)
		return NULL;
	json_object_foreach (obj, k, v) {
		items[i].index = query_index(k);
		items[i++].node = v;
	}
	qsort(items, i, sizeof(*items), query_item_cmp);
	*n = i;
	return items;
}

static json_t *query_convert_list(json_t *members, const char *name, struct op_error *err)
{
	struct query_item *items;
	json_t *out = json_array(), *v;
	size_t n, i;

	items = query_items(members, &n);
	if (!out || !items) {
		op_internal(err, "query: out of memory");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		v = query_convert(items[i].node, name, err);
		if (!v || json_array_append_new(out, v) < 0)
			goto fail;
	}
	free(items);
	return out;
fail:
	free(items);
	json_decref(out);
	return NULL;
}

static json_t *query_convert_map(json_t *entries, const char *name, struct op_error *err)
{
	struct query_item *items;
	json_t *out = json_object(), *key, *val, *v;
	size_t n, i;

	items = query_items(entries, &n);
	if (!out || !items) {
		op_internal(err, "query: out of memory");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		key = json_object_get(items[i].node, "key");
		val = json_object_get(items[i].node, "value");
		if (!key && !val) {
			key = json_object_get(items[i].node, "Name");
			val = json_object_get(items[i].node, "Value");
		}
		if (!json_is_string(key) || !val) {
			op_fail(err, "InvalidParameterValue", 400,
				"Parameter %s.entry.%ld needs both a key and a value", name,
				items[i].index);
			goto fail;
		}
		v = query_convert(val, name, err);
		if (!v)
			goto fail;
		if (json_object_setn_new(out, json_string_value(key), json_string_length(key), v) <
		    0) {
			op_internal(err, "query: out of memory");
			goto fail;
		}
	}
	free(items);
	return out;
fail:
	free(items);
	json_decref(out);
	return NULL;
}

/* A new reference to node converted from the parse tree to the operations' shapes. */
static json_t *query_convert(json_t *node, const char *name, struct op_error *err)
{
	json_t *out, *v, *sub;
	const char *k;

	if (!json_is_object(node))
		return json_incref(node);
	if (json_object_size(node) == 1 && (sub = json_object_get(node, "member")) &&
	    json_is_object(sub))
		return query_convert_list(sub, name, err);
	if (json_object_size(node) == 1 && (sub = json_object_get(node, "entry")) &&
	    json_is_object(sub))
		return query_convert_map(sub, name, err);
	out = json_object();
	if (!out)
		goto nomem;
	json_object_foreach (node, k, sub) {
		v = query_convert(sub, k, err);
		if (!v) {
			json_decref(out);
			return NULL;
		}
		if (json_object_set_new(out, k, v) < 0) {
			json_decref(out);
			goto nomem;
		}
	}
	return out;
nomem:
	op_internal(err, "query: out of memory");
	return NULL;
}

static bool query_is_list(const char *name)
{
	size_t i;

	for (i = 0; query_list_members[i]; i++)
		if (!strcmp(query_list_members[i], name))
			return true;
	return false;
}

/* Take the top-level string parameter name out of tree into *out (malloc'd). */
static int query_take(json_t *tree, const char *name, char **out, struct op_error *err)
{
	json_t *v = json_object_get(tree, name);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
		op_fail(err, "InvalidParameterValue", 400, "Parameter %s must be a plain string",
			name);
		return -1;
	}
	*out = strdup(json_string_value(v));
	if (!*out) {
		op_internal(err, "query: out of memory");
		return -1;
	}
	json_object_del(tree, name);
	return 0;
}

json_t *query_decode(const char *body, size_t len, char **action, char **version,
		     struct op_error *err)
{
	json_t *tree = json_object(), *out = NULL, *value, *v;
	const char *p = body, *end = body + len, *amp, *eq, *k;
	char *name = NULL, *val = NULL, *full = NULL;
	size_t nlen, vlen, fields = 0;

	*action = *version = NULL;
	if (!tree)
		goto nomem;
	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (!amp)
			amp = end;
		if (amp == p) {
			p++;
			continue;
		}
		if (++fields > QUERY_MAX_FIELDS) {
			op_fail(err, "InvalidParameterValue", 400,
				"The request has more than %d parameters", QUERY_MAX_FIELDS);
			goto fail;
		}
		eq = memchr(p, '=', (size_t)(amp - p));
		name = query_unescape(p, (size_t)((eq ? eq : amp) - p), &nlen);
		val = eq ? query_unescape(eq + 1, (size_t)(amp - eq - 1), &vlen)
			 : (vlen = 0, strdup(""));
		if (!name || !val) {
			op_fail(err, "MalformedQueryString", 404,
				"The query string contains a syntax error: bad percent-escape");
			goto fail;
		}
		if (nlen == 0 || nlen > QUERY_MAX_NAME || strlen(name) != nlen) {
			op_fail(err, "MalformedQueryString", 404,
				"The query string contains a syntax error: a parameter name is "
				"empty, longer than %d bytes or holds a NUL",
				QUERY_MAX_NAME);
			goto fail;
		}
		value = json_stringn(val, vlen);
		if (!value) {
			op_fail(err, "InvalidParameterValue", 400,
				"Parameter %.*s is not valid UTF-8", (int)nlen, name);
			goto fail;
		}
		full = strdup(name);
		if (!full) {
			json_decref(value);
			goto nomem;
		}
		if (query_insert(tree, name, value, full, err) < 0)
			goto fail;
		free(name);
		free(val);
		free(full);
		name = val = full = NULL;
		p = amp + 1;
	}
	if (query_take(tree, "Action", action, err) < 0 ||
	    query_take(tree, "Version", version, err) < 0)
		goto fail;
	out = json_object();
	if (!out)
		goto nomem;
	json_object_foreach (tree, k, value) {
		if (json_is_string(value) && !json_string_length(value) && query_is_list(k))
			v = json_array();
		else
			v = query_convert(value, k, err);
		if (!v)
			goto fail;
		if (json_object_set_new(out, k, v) < 0)
			goto nomem;
	}
	json_decref(tree);
	return out;
nomem:
	op_internal(err, "query: out of memory");
fail:
	free(name);
	free(val);
	free(full);
	json_decref(tree);
	json_decref(out);
	free(*action);
	free(*version);
	*action = *version = NULL;
	return NULL;
}
