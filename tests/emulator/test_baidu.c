/*
 * Unit tests of emulator/baidu.c: the signature against Baidu's official
 * test vector and the derived UTF-8 one (providers.md §6.3), forged and
 * altered requests, the form parser and the parameter rules.
 */
#include "config.h"

#include <string.h>

#include "emulator/baidu.h"
#include "tests/emulator/keys.h"

#define SECRET	"87772555E1C16715EBA5C85341684C58"
#define APIKEY	"Ljc710pzAa99GULCo8y48NvB"
#define PUSHURL "http://api.tuisong.baidu.com/rest/3.0/push/single_device"
/* The derived vector's body, exactly as providers.md gives it. */
#define BODY                                                                                      \
	"apikey=Ljc710pzAa99GULCo8y48NvB&channel_id=3812345678901234567&device_type=3&msg=%7B%22" \
	"title%22%3A%22Hi%22%2C%22description%22%3A%22%E4%BD%A0%E5%A5%BD+world%22%7D&msg_"        \
	"expires=3600&msg_type=1&timestamp=1700000000&sign=1c785645790ec1bd8be288d5248c4471"
#define NOW 1700000000LL

static struct emu_config cfg;

static int suite_init(void)
{
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.baidu_api_key, APIKEY);
	strcpy(cfg.baidu_secret, SECRET);
	return 0;
}

static int suite_clean(void)
{
	return 0;
}

static void test_official_vector(void)
{
	json_t *p = json_pack("{s:s, s:s, s:s}", "apikey", APIKEY, "expires", "1313293565",
			      "timestamp", "1427180905");
	char sign[33];

	CU_ASSERT_EQUAL_FATAL(baidu_sign("POST", "http://api.tuisong.baidu.com/rest/3.0/test/echo",
					 p, SECRET, sign),
			      0);
	CU_ASSERT_STRING_EQUAL(sign, "7d14113142e2a1583b4e9dad3fba73d0");
	/* The scheme is part of what is signed. */
	CU_ASSERT_EQUAL(baidu_sign("POST", "https://api.tuisong.baidu.com/rest/3.0/test/echo", p,
				   SECRET, sign),
			0);
	CU_ASSERT_STRING_NOT_EQUAL(sign, "7d14113142e2a1583b4e9dad3fba73d0");
	json_decref(p);
}

static void test_derived_vector(void)
{
	json_t *p = baidu_parse_form(BODY, strlen(BODY));
	char sign[33];

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(p, "msg")),
		"{\"title\":\"Hi\",\"description\":\"\xe4\xbd\xa0\xe5\xa5\xbd world\"}");
	/* sign is in the map; baidu_sign leaves it out. */
	CU_ASSERT_EQUAL_FATAL(baidu_sign("POST", PUSHURL, p, SECRET, sign), 0);
	CU_ASSERT_STRING_EQUAL(sign, "1c785645790ec1bd8be288d5248c4471");
	json_decref(p);
}

static int check(const char *url, json_t *p, int64_t now, int want_code)
{
	struct baidu_error e = {0};
	int rc = baidu_check_push(&cfg, url, p, now, &e);

	if (want_code == 0) {
		CU_ASSERT_EQUAL(rc, 0);
	} else {
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT_EQUAL(e.code, want_code);
	}
	return e.http;
}

/* Re-sign p for PUSHURL after changing it, so only the rule under test fails. */
static void resign(json_t *p)
{
	char sign[33];

	CU_ASSERT_EQUAL_FATAL(baidu_sign("POST", PUSHURL, p, SECRET, sign), 0);
	json_object_set_new(p, "sign", json_string(sign));
}

static void test_check(void)
{
	json_t *p = baidu_parse_form(BODY, strlen(BODY));

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	check(PUSHURL, p, NOW, 0);
	check(PUSHURL, p, NOW + BAIDU_MAX_SKEW, 0);
	/* Forged: another URL, an altered parameter, a wrong secret, a wrong key. */
	CU_ASSERT_EQUAL(
		check("https://api.tuisong.baidu.com/rest/3.0/push/single_device", p, NOW, 30603),
		401);
	json_object_set_new(p, "msg_expires", json_string("3601"));
	check(PUSHURL, p, NOW, 30603);
	json_object_set_new(p, "msg_expires", json_string("3600"));
	json_object_set_new(p, "sign", json_string("1C785645790EC1BD8BE288D5248C4471"));
	check(PUSHURL, p, NOW, 30603); /* the hex is lower-case */
	json_object_set_new(p, "sign", json_string("1c785645790ec1bd8be288d5248c4471"));
	strcpy(cfg.baidu_secret, "87772555E1C16715EBA5C85341684C59");
	check(PUSHURL, p, NOW, 30603);
	strcpy(cfg.baidu_secret, SECRET);
	strcpy(cfg.baidu_api_key, "other");
	check(PUSHURL, p, NOW, 30603);
	strcpy(cfg.baidu_api_key, APIKEY);
	/* Time. */
	CU_ASSERT_NOT_EQUAL(check(PUSHURL, p, NOW + BAIDU_MAX_SKEW + 1, 30606), 200);
	check(PUSHURL, p, NOW - BAIDU_MAX_SKEW - 1, 30606);
	json_object_set_new(p, "expires", json_string("1699999999"));
	resign(p);
	check(PUSHURL, p, NOW, 30606);
	json_object_del(p, "expires");
	/* Parameters. */
	json_object_set_new(p, "channel_id", json_string("38123abc"));
	resign(p);
	CU_ASSERT_EQUAL(check(PUSHURL, p, NOW, 30602), 400);
	json_object_del(p, "channel_id");
	resign(p);
	check(PUSHURL, p, NOW, 30602);
	json_object_set_new(p, "channel_id", json_string("3812345678901234567"));
	json_object_del(p, "msg"); /* §6.5: a missing msg is 30602 too */
	resign(p);
	CU_ASSERT_EQUAL(check(PUSHURL, p, NOW, 30602), 400);
	json_object_set_new(p, "msg", json_string("not json"));
	resign(p);
	check(PUSHURL, p, NOW, 30602); /* msg_type 1 wants a JSON notification */
	json_object_set_new(p, "msg_type", json_string("0"));
	resign(p);
	check(PUSHURL, p, NOW, 0);
	json_object_set_new(p, "msg_expires", json_string("604801"));
	resign(p);
	check(PUSHURL, p, NOW, 30602);
	json_object_set_new(p, "msg_expires", json_string("604800"));
	json_object_set_new(p, "device_type", json_string("4"));
	resign(p);
	check(PUSHURL, p, NOW, 30602); /* iOS needs deploy_status */
	json_object_set_new(p, "deploy_status", json_string("2"));
	resign(p);
	check(PUSHURL, p, NOW, 0);
	json_object_set_new(p, "device_type", json_string("7"));
	resign(p);
	check(PUSHURL, p, NOW, 30602);
	json_object_del(p, "sign");
	check(PUSHURL, p, NOW, 30602);
	json_decref(p);
}

static void test_form(void)
{
	json_t *p;

	CU_ASSERT_PTR_NULL(baidu_parse_form("a=%zz", 5));
	CU_ASSERT_PTR_NULL(baidu_parse_form("a=%4", 4));
	CU_ASSERT_PTR_NULL(baidu_parse_form("a=%00", 5));
	CU_ASSERT_PTR_NULL(baidu_parse_form("novalue", 7));
	CU_ASSERT_PTR_NULL(baidu_parse_form("=v", 2));
	CU_ASSERT_PTR_NULL(baidu_parse_form("a=1&a=2", 7));
	p = baidu_parse_form("a=x+y%2B&b=", 11);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "a")), "x y+");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "b")), "");
	json_decref(p);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"official signature vector", test_official_vector},
		{"derived UTF-8 vector", test_derived_vector},
		{"push/single_device checks", test_check},
		{"form parsing", test_form},
		CU_TEST_INFO_NULL,
	};

	return keys_run_suite("baidu", suite_init, suite_clean, tests);
}
