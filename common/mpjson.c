/*
 * msgpack <-> JSON; see mpjson.h.  Outside bytes are walked once by a small
 * scanner before msgpack-c sees them: msgpack-c allocates a container's
 * elements from its declared count, so a five-byte "array of 2^32-1" would
 * otherwise ask for ~100 GB.  The scan proves every count is backed by real
 * bytes and enforces the depth and element limits.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mpjson.h"
#include "common/util.h"

static void mpj_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void mpj_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- scanning raw bytes ---- */

struct mpj_scan {
	const unsigned char *p;
	size_t len, off;
	size_t items;
	char *err;
	size_t errlen;
};

static int scan_need(struct mpj_scan *s, uint64_t n)
{
	if (n > s->len - s->off) {
		mpj_err(s->err, s->errlen,
			"msgpack data is truncated (%llu more bytes announced at offset %zu, %zu present)",
			(unsigned long long)n, s->off, s->len - s->off);
		return -1;
	}
	return 0;
}

static int scan_uint(struct mpj_scan *s, size_t width, uint64_t *v)
{
	if (scan_need(s, width) < 0)
		return -1;
	*v = 0;
	for (size_t i = 0; i < width; i++)
		*v = *v << 8 | s->p[s->off++];
	return 0;
}

static int scan_obj(struct mpj_scan *s, int depth);

static int scan_container(struct mpj_scan *s, int depth, uint64_t n, int per)
{
	if (depth >= MPJSON_MAX_DEPTH) {
		mpj_err(s->err, s->errlen, "msgpack data is nested deeper than %d levels",
			MPJSON_MAX_DEPTH);
		return -1;
	}
	/* Every element takes at least one byte: refuse counts the data cannot hold. */
	if (scan_need(s, n * per) < 0)
		return -1;
	for (uint64_t i = 0; i < n * per; i++)
		if (scan_obj(s, depth + 1) < 0)
			return -1;
	return 0;
}

static int scan_obj(struct mpj_scan *s, int depth)
{
	uint64_t n;
	unsigned char b;

	if (scan_need(s, 1) < 0)
		return -1;
	if (++s->items > MPJSON_MAX_ITEMS) {
		mpj_err(s->err, s->errlen, "msgpack data has more than %d elements",
			MPJSON_MAX_ITEMS);
		return -1;
	}
	b = s->p[s->off++];
	if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
		return 0;
	if (b >= 0x80 && b <= 0x8f)
		return scan_container(s, depth, b & 0x0f, 2);
	if (b >= 0x90 && b <= 0x9f)
		return scan_container(s, depth, b & 0x0f, 1);
	if (b >= 0xa0 && b <= 0xbf)
		return scan_need(s, b & 0x1f) < 0 ? -1 : (s->off += b & 0x1f, 0);
	switch (b) {
	case 0xc4: /* bin 8/16/32 */
	case 0xc5:
	case 0xc6:
	case 0xd9: /* str 8/16/32 */
	case 0xda:
	case 0xdb: {
		size_t w = b >= 0xd9 ? (size_t)1 << (b - 0xd9) : (size_t)1 << (b - 0xc4);

		if (scan_uint(s, w, &n) < 0 || scan_need(s, n) < 0)
			return -1;
		s->off += n;
		return 0;
	}
	case 0xca:
		return scan_need(s, 4) < 0 ? -1 : (s->off += 4, 0);
	case 0xcb:
		return scan_need(s, 8) < 0 ? -1 : (s->off += 8, 0);
	case 0xcc: /* uint 8/16/32/64 */
	case 0xcd:
	case 0xce:
	case 0xcf:
		return scan_uint(s, (size_t)1 << (b - 0xcc), &n);
	case 0xd0: /* int 8/16/32/64 */
	case 0xd1:
	case 0xd2:
	case 0xd3:
		return scan_uint(s, (size_t)1 << (b - 0xd0), &n);
	case 0xdc:
	case 0xdd:
		if (scan_uint(s, b == 0xdc ? 2 : 4, &n) < 0)
			return -1;
		return scan_container(s, depth, n, 1);
	case 0xde:
	case 0xdf:
		if (scan_uint(s, b == 0xde ? 2 : 4, &n) < 0)
			return -1;
		return scan_container(s, depth, n, 2);
	case 0xc7: /* ext 8/16/32 */
	case 0xc8:
	case 0xc9:
	case 0xd4: /* fixext */
	case 0xd5:
	case 0xd6:
	case 0xd7:
	case 0xd8:
		mpj_err(s->err, s->errlen, "msgpack ext values are not supported (offset %zu)",
			s->off - 1);
		return -1;
	default: /* 0xc1 is never used */
		mpj_err(s->err, s->errlen, "invalid msgpack byte 0x%02x at offset %zu", b,
			s->off - 1);
		return -1;
	}
}

int mpjson_unpack(const void *data, size_t len, msgpack_zone *zone, msgpack_object *obj, char *err,
		  size_t errlen)
{
	struct mpj_scan s = {.p = data, .len = len, .err = err, .errlen = errlen};
	size_t off = 0;

	if (len == 0) {
		mpj_err(err, errlen, "empty msgpack data");
		return -1;
	}
	if (scan_obj(&s, 0) < 0)
		return -1;
	if (s.off != len) {
		mpj_err(err, errlen, "%zu unexpected bytes after the msgpack object", len - s.off);
		return -1;
	}
	switch (msgpack_unpack(data, len, &off, zone, obj)) {
	case MSGPACK_UNPACK_SUCCESS:
		return 0;
	case MSGPACK_UNPACK_NOMEM_ERROR:
		mpj_err(err, errlen, "out of memory decoding msgpack data");
		return -1;
	default: /* the scan accepts only what msgpack-c parses; keep a clear word anyway */
		mpj_err(err, errlen, "msgpack data could not be parsed");
		return -1;
	}
}

/* ---- msgpack_object to JSON ---- */

struct mpj_path {
	const char *key; /* map key, or NULL for an array index */
	size_t key_len;
	size_t index;
};

struct mpj_conv {
	const char *where;
	struct mpj_path path[MPJSON_MAX_DEPTH + 1];
	int depth;
	char *err;
	size_t errlen;
};

static void conv_err(struct mpj_conv *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "<problem> at args.Attributes[2]" */
static void conv_err(struct mpj_conv *c, const char *fmt, ...)
{
	char what[256], where[512];
	size_t n;
	va_list ap;

	if (!c->err || !c->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	n = (size_t)snprintf(where, sizeof(where), "%s", c->where);
	for (int i = 0; i < c->depth && n < sizeof(where); i++) {
		const struct mpj_path *p = &c->path[i];
		int klen = p->key_len > 64 ? 64 : (int)p->key_len;

		if (p->key)
			n += (size_t)snprintf(where + n, sizeof(where) - n, ".%.*s%s", klen, p->key,
					      p->key_len > 64 ? "..." : "");
		else
			n += (size_t)snprintf(where + n, sizeof(where) - n, "[%zu]", p->index);
	}
	snprintf(c->err, c->errlen, "%s at %s", what, where);
}

const char *mpjson_type_name(msgpack_object_type t)
{
	switch (t) {
	case MSGPACK_OBJECT_NIL:
		return "nil";
	case MSGPACK_OBJECT_BOOLEAN:
		return "a boolean";
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return "an integer";
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return "a float";
	case MSGPACK_OBJECT_STR:
		return "a string";
	case MSGPACK_OBJECT_ARRAY:
		return "an array";
	case MSGPACK_OBJECT_MAP:
		return "a map";
	case MSGPACK_OBJECT_BIN:
		return "binary";
	case MSGPACK_OBJECT_EXT:
		return "an ext value";
	}
	return "unknown";
}

static json_t *conv_obj(struct mpj_conv *c, const msgpack_object *o);

static json_t *conv_array(struct mpj_conv *c, const msgpack_object_array *a)
{
	json_t *arr = json_array(), *v;

	if (!arr)
		goto nomem;
	for (uint32_t i = 0; i < a->size; i++) {
		c->path[c->depth].key = NULL;
		c->path[c->depth].index = i;
		c->depth++;
		v = conv_obj(c, &a->ptr[i]);
		c->depth--;
		if (!v)
			goto fail;
		if (json_array_append_new(arr, v) < 0)
			goto nomem;
	}
	return arr;
nomem:
	conv_err(c, "out of memory");
fail:
	json_decref(arr);
	return NULL;
}

static json_t *conv_map(struct mpj_conv *c, const msgpack_object_map *m)
{
	json_t *obj = json_object(), *v;

	if (!obj)
		goto nomem;
	for (uint32_t i = 0; i < m->size; i++) {
		const msgpack_object *k = &m->ptr[i].key;
		const char *ks;
		size_t kl;

		if (k->type != MSGPACK_OBJECT_STR) {
			conv_err(c, "map key %u is %s; map keys must be strings", i,
				 mpjson_type_name(k->type));
			goto fail;
		}
		kl = k->via.str.size;
		ks = kl ? k->via.str.ptr : ""; /* msgpack-c leaves ptr NULL when empty */
		if (memchr(ks, '\0', kl)) {
			conv_err(c, "map key %u contains a NUL byte", i);
			goto fail;
		}
		if (util_utf8_valid(ks, kl) < 0) {
			conv_err(c, "map key %u is not valid UTF-8", i);
			goto fail;
		}
		if (json_object_getn(obj, ks, kl)) {
			conv_err(c, "duplicate map key \"%.*s\"", kl > 64 ? 64 : (int)kl, ks);
			goto fail;
		}
		c->path[c->depth].key = ks;
		c->path[c->depth].key_len = kl;
		c->depth++;
		v = conv_obj(c, &m->ptr[i].val);
		c->depth--;
		if (!v)
			goto fail;
		if (json_object_setn_new_nocheck(obj, ks, kl, v) < 0)
			goto nomem;
	}
	return obj;
nomem:
	conv_err(c, "out of memory");
fail:
	json_decref(obj);
	return NULL;
}

static json_t *conv_obj(struct mpj_conv *c, const msgpack_object *o)
{
	json_t *v = NULL;
	char *b64;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		v = json_null();
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		v = json_boolean(o->via.boolean);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > INT64_MAX) {
			conv_err(c, "integer %llu is too large (the largest is %lld)",
				 (unsigned long long)o->via.u64, (long long)INT64_MAX);
			return NULL;
		}
		v = json_integer((json_int_t)o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		v = json_integer((json_int_t)o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		if (!isfinite(o->via.f64)) {
			conv_err(c, "float is not a finite number");
			return NULL;
		}
		v = json_real(o->via.f64);
		break;
	case MSGPACK_OBJECT_STR:
		v = json_stringn(o->via.str.size ? o->via.str.ptr : "", o->via.str.size);
		if (!v) {
			conv_err(c, "string is not valid UTF-8");
			return NULL;
		}
		break;
	case MSGPACK_OBJECT_BIN:
		b64 = util_base64_encode(o->via.bin.size ? o->via.bin.ptr : "", o->via.bin.size);
		if (b64)
			v = json_string_nocheck(b64);
		free(b64);
		break;
	case MSGPACK_OBJECT_ARRAY:
	case MSGPACK_OBJECT_MAP:
		if (c->depth >= MPJSON_MAX_DEPTH) {
			conv_err(c, "nesting deeper than %d levels", MPJSON_MAX_DEPTH);
			return NULL;
		}
		return o->type == MSGPACK_OBJECT_ARRAY ? conv_array(c, &o->via.array)
						       : conv_map(c, &o->via.map);
	case MSGPACK_OBJECT_EXT:
	default:
		conv_err(c, "%s is not supported", mpjson_type_name(o->type));
		return NULL;
	}
	if (!v)
		conv_err(c, "out of memory");
	return v;
}

json_t *mpjson_to_json(const msgpack_object *obj, const char *where, char *err, size_t errlen)
{
	struct mpj_conv c = {.where = where ? where : "value", .err = err, .errlen = errlen};

	return conv_obj(&c, obj);
}

json_t *mpjson_decode(const void *data, size_t len, char *err, size_t errlen)
{
	msgpack_zone zone;
	msgpack_object obj;
	json_t *v = NULL;

	if (!msgpack_zone_init(&zone, 2048)) {
		mpj_err(err, errlen, "out of memory");
		return NULL;
	}
	if (mpjson_unpack(data, len, &zone, &obj, err, errlen) == 0)
		v = mpjson_to_json(&obj, NULL, err, errlen);
	msgpack_zone_destroy(&zone);
	return v;
}

/* ---- JSON to msgpack ---- */

static int pack_value(msgpack_packer *pk, const json_t *j, int depth, char *err, size_t errlen)
{
	const char *key;
	size_t i, klen;
	json_t *v;
	int rc = 0;

	switch (json_typeof(j)) {
	case JSON_NULL:
		return msgpack_pack_nil(pk);
	case JSON_TRUE:
		return msgpack_pack_true(pk);
	case JSON_FALSE:
		return msgpack_pack_false(pk);
	case JSON_INTEGER:
		return msgpack_pack_int64(pk, json_integer_value(j));
	case JSON_REAL:
		return msgpack_pack_double(pk, json_real_value(j));
	case JSON_STRING:
		return msgpack_pack_str_with_body(pk, json_string_value(j), json_string_length(j));
	case JSON_ARRAY:
	case JSON_OBJECT:
		break;
	}
	if (depth >= MPJSON_MAX_DEPTH) {
		mpj_err(err, errlen, "value is nested deeper than %d levels", MPJSON_MAX_DEPTH);
		return -2;
	}
	if (json_is_array(j)) {
		rc = msgpack_pack_array(pk, json_array_size(j));
		json_array_foreach (j, i, v) {
			if (rc)
				break;
			rc = pack_value(pk, v, depth + 1, err, errlen);
		}
		return rc;
	}
	rc = msgpack_pack_map(pk, json_object_size(j));
	json_object_keylen_foreach((json_t *)j, key, klen, v)
	{
		if (rc)
			break;
		rc = msgpack_pack_str_with_body(pk, key, klen);
		if (!rc)
			rc = pack_value(pk, v, depth + 1, err, errlen);
	}
	return rc;
}

int mpjson_pack(msgpack_packer *pk, const json_t *json, char *err, size_t errlen)
{
	int rc = pack_value(pk, json, 0, err, errlen);

	if (rc == -2)
		return -1;
	if (rc) {
		mpj_err(err, errlen, "out of memory packing msgpack data");
		return -1;
	}
	return 0;
}
