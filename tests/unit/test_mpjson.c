/* msgpack <-> JSON conversion: round trips, and rejection of hostile msgpack with clear reasons. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/mpjson.h"
#include "tests/unit/fixture.h"

static char err[512];

/* Pack json, decode the bytes again; the result (new reference) or NULL. */
static json_t *round_trip(const json_t *in)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	json_t *out = NULL;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (mpjson_pack(&pk, in, err, sizeof(err)) == 0)
		out = mpjson_decode(sb.data, sb.size, err, sizeof(err));
	msgpack_sbuffer_destroy(&sb);
	return out;
}

/* Decoding len bytes must fail with a message containing want. */
static void expect_reject(const void *data, size_t len, const char *want)
{
	json_t *v;

	err[0] = '\0';
	v = mpjson_decode(data, len, err, sizeof(err));
	CU_ASSERT_PTR_NULL(v);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	if (!strstr(err, want))
		fprintf(stderr, "\n  wanted \"%s\", got \"%s\"\n", want, err);
	json_decref(v);
}

static void test_round_trip_every_type(void)
{
	json_t *in = json_pack("{s:n, s:b, s:b, s:[I,I,I,I,I,I,I], s:f, s:f, s:s, s:s, s:[], s:{}, "
			       "s:{s:[{s:s}]}}",
			       "null", "true", 1, "false", 0, "ints", (json_int_t)0, (json_int_t)-1,
			       (json_int_t)127, (json_int_t)128, (json_int_t)65536,
			       (json_int_t)INT64_MAX, (json_int_t)INT64_MIN, "real", 1.5, "neg",
			       -2.25e-10, "str", "héllo ✓", "empty", "", "arr", "obj", "nested",
			       "a", "k", "v");
	json_t *nul = json_stringn("a\0b", 3);
	json_t *out;

	json_object_set_new(in, "nul", nul);
	out = round_trip(in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_TRUE(json_equal(in, out));
	/* integers stay integers, reals stay reals */
	CU_ASSERT_TRUE(json_is_integer(json_array_get(json_object_get(out, "ints"), 5)));
	CU_ASSERT_TRUE(json_is_real(json_object_get(out, "real")));
	CU_ASSERT_EQUAL(json_string_length(json_object_get(out, "nul")), 3);
	json_decref(in);
	json_decref(out);
}

static void test_msgpack_only_types(void)
{
	/* float32 1.5, bin "\x00\xff\x10", uint8 200, int8 -100 */
	static const unsigned char f32[] = {0xca, 0x3f, 0xc0, 0x00, 0x00};
	static const unsigned char bin[] = {0xc4, 0x03, 0x00, 0xff, 0x10};
	static const unsigned char u8[] = {0xcc, 200};
	static const unsigned char i8[] = {0xd0, 0x9c};
	/* empty str, bin and key: msgpack-c gives them a NULL pointer */
	static const unsigned char empties[] = {0x82, 0xa0, 0xa0, 0xa1, 'b', 0xc4, 0x00};
	json_t *v;

	v = mpjson_decode(f32, sizeof(f32), err, sizeof(err));
	CU_ASSERT_TRUE(json_is_real(v) && json_real_value(v) == 1.5);
	json_decref(v);
	v = mpjson_decode(bin, sizeof(bin), err, sizeof(err));
	CU_ASSERT_TRUE(json_is_string(v));
	CU_ASSERT_STRING_EQUAL(json_string_value(v), "AP8Q");
	json_decref(v);
	v = mpjson_decode(u8, sizeof(u8), err, sizeof(err));
	CU_ASSERT_EQUAL(json_integer_value(v), 200);
	json_decref(v);
	v = mpjson_decode(i8, sizeof(i8), err, sizeof(err));
	CU_ASSERT_EQUAL(json_integer_value(v), -100);
	json_decref(v);
	v = mpjson_decode(empties, sizeof(empties), err, sizeof(err));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(v, "")), "");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(v, "b")), "");
	json_decref(v);
}

static void test_unrepresentable(void)
{
	static const unsigned char u64[] = {0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const unsigned char nan[] = {0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0};
	static const unsigned char badutf8[] = {0xa2, 0xc3, 0x28};

	expect_reject(u64, sizeof(u64), "integer 18446744073709551615 is too large");
	expect_reject(nan, sizeof(nan), "float is not a finite number");
	expect_reject(badutf8, sizeof(badutf8), "string is not valid UTF-8 at value");
}

static void test_non_string_keys(void)
{
	/* {1: "x"} */
	static const unsigned char intkey[] = {0x81, 0x01, 0xa1, 'x'};
	/* {"Attributes": {true: "x"}} */
	static const unsigned char nested[] = {0x81, 0xaa, 'A', 't', 't',  'r',	 'i',  'b',
					       'u',  't',  'e', 's', 0x81, 0xc3, 0xa1, 'x'};
	/* {"a\0b": 1} */
	static const unsigned char nulkey[] = {0x81, 0xa3, 'a', 0, 'b', 0x01};
	/* {"a": 1, "a": 2} */
	static const unsigned char dup[] = {0x82, 0xa1, 'a', 0x01, 0xa1, 'a', 0x02};
	/* [{"k": [nil, {[]: 1}]}] */
	static const unsigned char deep[] = {0x91, 0x81, 0xa1, 'k', 0x92, 0xc0, 0x81, 0x90, 0x01};
	msgpack_zone zone;
	msgpack_object obj;
	json_t *v;

	expect_reject(intkey, sizeof(intkey),
		      "map key 0 is an integer; map keys must be strings at value");
	expect_reject(nulkey, sizeof(nulkey), "map key 0 contains a NUL byte");
	expect_reject(dup, sizeof(dup), "duplicate map key \"a\" at value");
	expect_reject(deep, sizeof(deep),
		      "map key 0 is an array; map keys must be strings at value[0].k[1]");

	/* the caller names the value */
	msgpack_zone_init(&zone, 256);
	CU_ASSERT_EQUAL_FATAL(mpjson_unpack(nested, sizeof(nested), &zone, &obj, err, sizeof(err)),
			      0);
	v = mpjson_to_json(&obj, "args", err, sizeof(err));
	CU_ASSERT_PTR_NULL(v);
	CU_ASSERT_STRING_EQUAL(
		err, "map key 0 is a boolean; map keys must be strings at args.Attributes");
	msgpack_zone_destroy(&zone);
}

static void test_depth(void)
{
	unsigned char buf[100000];
	json_t *v, *j, *inner;
	msgpack_sbuffer sb;
	msgpack_packer pk;

	/* 32 nested arrays are fine */
	memset(buf, 0x91, 32);
	buf[31] = 0x90;
	v = mpjson_decode(buf, 32, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(v);
	json_decref(v);
	/* 33 are not */
	memset(buf, 0x91, 33);
	buf[32] = 0x90;
	expect_reject(buf, 33, "nested deeper than 32 levels");
	/* a depth bomb of maps: {"a": {"a": ...}} 100000 bytes long, no end */
	for (size_t i = 0; i + 3 <= sizeof(buf); i += 3) {
		buf[i] = 0x81;
		buf[i + 1] = 0xa1;
		buf[i + 2] = 'a';
	}
	expect_reject(buf, sizeof(buf) / 3 * 3, "nested deeper than 32 levels");

	/* packing refuses what decoding would refuse */
	j = json_array();
	inner = j;
	for (int i = 0; i < 40; i++) {
		json_t *a = json_array();

		json_array_append_new(inner, a);
		inner = a;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	CU_ASSERT_EQUAL(mpjson_pack(&pk, j, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nested deeper than 32 levels"));
	msgpack_sbuffer_destroy(&sb);
	json_decref(j);
}

static void test_huge_counts(void)
{
	static const unsigned char arr32[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0};
	static const unsigned char map32[] = {0xdf, 0xff, 0xff, 0xff, 0xff};
	static const unsigned char str32[] = {0xdb, 0x7f, 0xff, 0xff, 0xff, 'a'};
	static const unsigned char bin32[] = {0xc6, 0xff, 0xff, 0xff, 0xff};
	static const unsigned char arr16[] = {0xdc, 0x00, 0x03, 0x01, 0x02};
	size_t n = 5 + 200000;
	unsigned char *many = malloc(n);

	/* declared counts the data cannot hold are refused before anything is allocated */
	expect_reject(arr32, sizeof(arr32),
		      "truncated (4294967295 more bytes announced at offset 5, 1 present)");
	expect_reject(map32, sizeof(map32), "truncated");
	expect_reject(str32, sizeof(str32), "truncated");
	expect_reject(bin32, sizeof(bin32), "truncated");
	expect_reject(arr16, sizeof(arr16), "truncated");

	/* an array that really has 200000 elements exceeds the element limit */
	many[0] = 0xdd;
	many[1] = 0;
	many[2] = 0x03;
	many[3] = 0x0d;
	many[4] = 0x40;
	memset(many + 5, 0xc0, n - 5);
	expect_reject(many, n, "more than 100000 elements");
	/* 99999 elements (plus the array itself) are fine */
	many[2] = 0x01;
	many[3] = 0x86;
	many[4] = 0x9f;
	{
		json_t *v = mpjson_decode(many, 5 + 99999, err, sizeof(err));

		CU_ASSERT_EQUAL(json_array_size(v), 99999);
		json_decref(v);
	}
	free(many);
}

static void test_malformed(void)
{
	static const unsigned char ext[] = {0xd4, 0x01, 0x02};
	static const unsigned char ext8[] = {0x81, 0xa1, 'e', 0xc7, 0x01, 0x05, 0x00};
	static const unsigned char never[] = {0xc1};
	static const unsigned char trailing[] = {0x80, 0x80};

	expect_reject("", 0, "empty msgpack data");
	expect_reject(ext, sizeof(ext), "ext values are not supported");
	expect_reject(ext8, sizeof(ext8), "ext values are not supported (offset 3)");
	expect_reject(never, sizeof(never), "invalid msgpack byte 0xc1 at offset 0");
	expect_reject(trailing, sizeof(trailing), "1 unexpected bytes after the msgpack object");
}

static void test_ext_object_rejected(void)
{
	/* an ext built by a program (not parsed) is refused by the converter too */
	msgpack_object o = {.type = MSGPACK_OBJECT_EXT};
	json_t *v = mpjson_to_json(&o, "args", err, sizeof(err));

	CU_ASSERT_PTR_NULL(v);
	CU_ASSERT_STRING_EQUAL(err, "an ext value is not supported at args");
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"round trip of every JSON type", test_round_trip_every_type},
		{"float32, bin, small ints", test_msgpack_only_types},
		{"values JSON cannot hold", test_unrepresentable},
		{"non-string, NUL and duplicate keys", test_non_string_keys},
		{"depth limit and depth bomb", test_depth},
		{"huge declared counts and element limit", test_huge_counts},
		{"ext, invalid bytes, trailing bytes", test_malformed},
		{"ext object", test_ext_object_rejected},
		CU_TEST_INFO_NULL,
	};
	return fx_run_suite("mpjson", NULL, NULL, tests);
}
