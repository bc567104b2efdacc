/*
 * The built ADM, WNS, MPNS and Baidu driver modules (loaded with dlopen, as
 * heraldd loads them) send requests that herald-emulator's verifiers accept:
 * what the emulator enforces is what the providers enforce (providers.md
 * §3.4, §4.4, §5, §6.5).  The requests are the ones the drivers hand the
 * fake host; the verifiers are the emulator's own functions.
 */
#include <CUnit/Basic.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emulator/adm.h"
#include "emulator/baidu.h"
#include "emulator/mpns.h"
#include "emulator/wns.h"
#include "tests/plugins/h1fixture.h"
#include "tests/unit/run.h"

static struct emu_config emu;

/* The driver module plugins/NAME/.libs/NAME.so of the build tree; NULL fails the test. */
static const struct herald_driver *load(const char *name)
{
	const char *dir = getenv("HERALD_BUILDDIR");
	char path[1024];
	void *h;
	herald_driver_query_fn q;

	snprintf(path, sizeof(path), "%s/plugins/%s/.libs/%s.so", dir ? dir : ".", name, name);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "\n  %s\n", dlerror());
		return NULL;
	}
	/* Left loaded until the program exits: the fixture still calls into it. */
	q = (herald_driver_query_fn)(uintptr_t)dlsym(h, HERALD_DRIVER_QUERY_SYMBOL);
	return q ? q(HERALD_DRIVER_ABI_MAJOR, HERALD_DRIVER_ABI_MINOR) : NULL;
}

static int init(void)
{
	snprintf(emu.adm_client_id, sizeof(emu.adm_client_id), "amzn1.application-oa2-client.1");
	snprintf(emu.adm_client_secret, sizeof(emu.adm_client_secret), "adm-secret");
	snprintf(emu.wns_sid, sizeof(emu.wns_sid), "ms-app://s-1-15-2-1");
	snprintf(emu.wns_secret, sizeof(emu.wns_secret), "wns-secret");
	snprintf(emu.baidu_api_key, sizeof(emu.baidu_api_key), "Ljc710pzAa99GULCo8y48NvB");
	snprintf(emu.baidu_secret, sizeof(emu.baidu_secret), "87772555E1C16715EBA5C85341684C58");
	return 0;
}

static void test_adm(void)
{
	static const char *const payloads[] = {
		"{\"data\":{\"message\":\"your message\",\"url\":\"https://x\"},\"consolidationKey\":\"c\"}",
		"plain text, \"quoted\"",
		"{\"data\":{},\"consolidationKey\":\"only-key\"}",
	};
	const struct herald_driver *d = load("adm");
	const struct herald_oauth_config *oc;
	struct adm_oauth_error oe;
	struct h1fx fx;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	h1fx_host_for(&fx, d);
	CU_ASSERT_EQUAL_FATAL(h1fx_create(&fx, "ADM", emu.adm_client_id, emu.adm_client_secret,
					  "url", "https://127.0.0.1:1", "token_url",
					  "https://127.0.0.1:1/auth/O2/token", NULL),
			      0);
	oc = fakehost_oauth_config(fx.fh);
	CU_ASSERT_EQUAL(adm_check_token(&emu, "client_credentials", oc->scope, oc->client_id,
					oc->client_secret, &oe),
			0);
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		struct herald_notification n =
			h1fx_notification("ADM", "amzn1.adm-registration.v3.abc", payloads[i]);
		const struct fakehost_request *r;
		const char *reason = NULL;
		char md5[25];

		n.ttl_s = i == 0 ? 86400 : -1;
		fakehost_respond(fx.fh, 200, "{}", NULL);
		h1fx_send_run(&fx, &n, i + 1);
		r = h1fx_last(&fx);
		CU_ASSERT_STRING_EQUAL(fakehost_header(r, "x-amzn-type-version"), ADM_TYPE_VERSION);
		CU_ASSERT_STRING_EQUAL(fakehost_header(r, "x-amzn-accept-type"), ADM_ACCEPT_TYPE);
		CU_ASSERT_EQUAL(adm_check_send(r->body, r->body_len, &reason, md5), 0);
		if (reason)
			fprintf(stderr, "\n  payload %zu: %s\n", i, reason);
		CU_ASSERT(adm_registration_valid("amzn1.adm-registration.v3.abc"));
	}
	h1fx_teardown(&fx);
}

static void test_wns(void)
{
	static const struct {
		const char *type, *payload, *cache;
	} cases[] = {
		{"wns/toast",
		 "<toast><visual><binding template=\"ToastGeneric\"/></visual></toast>", "cache"},
		{"wns/tile", "<tile><visual/></tile>", "cache"},
		{"wns/badge", "<badge value=\"3\"/>", "no-cache"},
		{"wns/raw", "\x01\x02 any bytes", "cache"},
		{NULL, "<?xml version=\"1.0\"?><toast/>", NULL},
	};
	const struct herald_driver *d = load("wns");
	const struct herald_oauth_config *oc;
	struct wns_oauth_error oe;
	struct h1fx fx;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	h1fx_host_for(&fx, d);
	CU_ASSERT_EQUAL_FATAL(
		h1fx_create(&fx, "WNS", emu.wns_sid, emu.wns_secret, "hosts", "127.0.0.1", NULL),
		0);
	oc = fakehost_oauth_config(fx.fh);
	CU_ASSERT_EQUAL(wns_check_token(&emu, "client_credentials", oc->scope, oc->client_id,
					oc->client_secret, &oe),
			0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct herald_notification n = h1fx_notification(
			"WNS", "https://127.0.0.1:1/?token=chan", cases[i].payload);
		const struct fakehost_request *r;
		struct wns_request wr;
		const char *why = NULL;

		n.wns_type = cases[i].type;
		n.wns_cache_policy = cases[i].cache;
		n.wns_tag = "tag1";
		n.wns_group = "grp1";
		n.ttl_s = 60;
		n.wns_suppress_popup = 0;
		fakehost_respond(fx.fh, 200, NULL, "x-wns-status", "received", NULL);
		h1fx_send_run(&fx, &n, i + 1);
		r = h1fx_last(&fx);
		wr = (struct wns_request){
			.type = fakehost_header(r, "x-wns-type"),
			.content_type = fakehost_header(r, "content-type"),
			.cache_policy = fakehost_header(r, "x-wns-cache-policy"),
			.request_for_status = fakehost_header(r, "x-wns-requestforstatus"),
			.tag = fakehost_header(r, "x-wns-tag"),
			.group = fakehost_header(r, "x-wns-group"),
			.ttl = fakehost_header(r, "x-wns-ttl"),
			.suppress_popup = fakehost_header(r, "x-wns-suppresspopup"),
			.match = fakehost_header(r, "x-wns-match"),
			.body = r->body,
			.body_len = r->body_len,
		};
		CU_ASSERT_EQUAL(wns_check_notification(&wr, &why), 0);
		if (why)
			fprintf(stderr, "\n  case %zu: %s\n", i, why);
	}
	h1fx_teardown(&fx);
}

static void test_mpns(void)
{
	static const struct {
		const char *type, *cls, *payload;
	} cases[] = {
		{"toast", "realtime",
		 "<?xml version=\"1.0\" encoding=\"utf-8\"?><wp:Notification xmlns:wp=\"WPNotification\"><wp:Toast><wp:Text1>a</wp:Text1></wp:Toast></wp:Notification>"},
		{"token", "priority",
		 "<?xml version=\"1.0\" encoding=\"utf-8\"?><wp:Notification xmlns:wp=\"WPNotification\"><wp:Tile><wp:Count>1</wp:Count></wp:Tile></wp:Notification>"},
		{"raw", "regular", "raw payload"},
		{NULL, NULL, "<wp:Notification><wp:Toast/></wp:Notification>"},
	};
	const struct herald_driver *d = load("mpns");
	struct h1fx fx;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	h1fx_host_for(&fx, d);
	CU_ASSERT_EQUAL_FATAL(h1fx_create(&fx, "MPNS", NULL, NULL, "hosts", "127.0.0.1", NULL), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct herald_notification n =
			h1fx_notification("MPNS", "http://127.0.0.1:1/throttledthirdparty/01.00/c1",
					  cases[i].payload);
		const struct fakehost_request *r;
		struct mpns_request mr;
		const char *why = NULL;

		n.mpns_type = cases[i].type;
		n.mpns_notification_class = cases[i].cls;
		fakehost_respond(fx.fh, 200, NULL, "x-notificationstatus", "Received", NULL);
		h1fx_send_run(&fx, &n, i + 1);
		r = h1fx_last(&fx);
		mr = (struct mpns_request){
			.notification_class = fakehost_header(r, "x-notificationclass"),
			.target = fakehost_header(r, "x-windowsphone-target"),
			.content_type = fakehost_header(r, "content-type"),
			.message_id = fakehost_header(r, "x-messageid"),
			.body = r->body,
			.body_len = r->body_len,
		};
		CU_ASSERT(mpns_check(&mr, &why) > 0);
		if (why)
			fprintf(stderr, "\n  case %zu: %s\n", i, why);
	}
	h1fx_teardown(&fx);
}

static void test_baidu(void)
{
	const struct herald_driver *d = load("baidu");
	struct h1fx fx;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	h1fx_host_for(&fx, d);
	CU_ASSERT_EQUAL_FATAL(h1fx_create(&fx, "BAIDU", emu.baidu_api_key, emu.baidu_secret, "url",
					  "http://127.0.0.1:4435", NULL),
			      0);
	for (int i = 0; i < 3; i++) {
		struct herald_notification n = h1fx_notification(
			"BAIDU", "3812345678901234567",
			i == 0 ? "{\"title\":\"Hi\",\"description\":\"你好 * ~ world\"}"
			       : "pass through");
		const struct fakehost_request *r;
		struct baidu_error e = {0};
		json_t *params;

		n.baidu_message_type = i == 0 ? 1 : i == 1 ? 0 : -1;
		n.baidu_deploy_status = i == 0 ? 1 : -1;
		n.ttl_s = i == 2 ? -1 : 3600;
		fakehost_respond(fx.fh, 200, "{}", NULL);
		h1fx_send_run(&fx, &n, (uint64_t)i + 1);
		r = h1fx_last(&fx);
		params = baidu_parse_form(r->body, r->body_len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(params);
		CU_ASSERT_EQUAL(baidu_check_push(&emu, r->url, params, (int64_t)time(NULL), &e), 0);
		if (e.code)
			fprintf(stderr, "\n  case %d: %d %s\n", i, e.code, e.msg);
		json_decref(params);
	}
	h1fx_teardown(&fx);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"adm: token request and bodies pass the emulator", test_adm},
		{"wns: token request and every type pass the emulator", test_wns},
		{"mpns: toast, tile and raw pass the emulator", test_mpns},
		{"baidu: the emulator recomputes the same signature", test_baidu},
		CU_TEST_INFO_NULL,
	};

	return fx_run_suite("HTTP/1.1 drivers against herald-emulator's verifiers", init, NULL,
			    tests);
}
