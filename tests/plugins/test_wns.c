/*
 * The wns driver on the fake host: the exact request (channel URI, headers
 * from every typed option, body, token service), the channel host
 * allow-list, every answer's outcome (providers.md §4.3, §0) with both
 * status header spellings, the token refresh on 401, Retry-After.
 */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/plugins/h1fixture.h"
#include "tests/unit/run.h"

#define SID	"ms-app://s-1-15-2-2972962901-2322836549-3722629029-1345238579"
#define SECRET	"Vex8L9WOFZuj95euaLrvSH7XyoDhLJc7"
#define CHANNEL "https://db5.notify.windows.com/?token=AwYAAAD8sAbcd%2bef"
#define EMU	"https://127.0.0.1:4433/?token=chan-1"
#define TOAST                                                                                  \
	"<toast><visual><binding template=\"ToastGeneric\"><text>Hi</text></binding></visual>" \
	"</toast>"

static void setup(struct h1fx *fx)
{
	h1fx_host(fx);
	CU_ASSERT_EQUAL_FATAL(h1fx_create(fx, "WNS", SID, SECRET, NULL), 0);
}

static void test_exact_request(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification("WNS", CHANNEL, TOAST);
	const struct herald_oauth_config *oc;
	const struct fakehost_request *r;
	const struct fakehost_outcome *o;

	setup(&fx);
	oc = fakehost_oauth_config(fx.fh);
	CU_ASSERT_EQUAL(oc->grant, HERALD_OAUTH_CLIENT_CREDENTIALS);
	CU_ASSERT_STRING_EQUAL(oc->token_url, "https://login.live.com/accesstoken.srf");
	CU_ASSERT_STRING_EQUAL(oc->scope, "notify.windows.com");
	CU_ASSERT_STRING_EQUAL(oc->client_id, SID);
	CU_ASSERT_STRING_EQUAL(oc->client_secret, SECRET);
	n.wns_type = "wns/toast";
	n.ttl_s = 600;
	n.wns_tag = "t1";
	n.wns_group = "g1";
	n.wns_suppress_popup = 1;
	n.wns_cache_policy = "cache"; /* toasts take none: WNS refuses it */
	fakehost_respond(fx.fh, 200, NULL, "x-wns-status", "received", "x-wns-msg-id", "1", NULL);
	o = h1fx_send_run(&fx, &n, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->kind, HERALD_OUTCOME_DELIVERED);
	r = h1fx_last(&fx);
	CU_ASSERT_STRING_EQUAL(r->method, "POST");
	CU_ASSERT_STRING_EQUAL(r->url, CHANNEL);
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "Authorization"), "Bearer ya29.fake");
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "Content-Type"), "text/xml");
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "X-WNS-Type"), "wns/toast");
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "X-WNS-TTL"), "600");
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "X-WNS-Tag"), "t1");
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "X-WNS-Group"), "g1");
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "X-WNS-SuppressPopup"), "true");
	CU_ASSERT_PTR_NULL(fakehost_header(r, "X-WNS-Cache-Policy"));
	CU_ASSERT_PTR_NULL(fakehost_header(r, "X-WNS-Match"));
	CU_ASSERT_EQUAL(r->body_len, strlen(TOAST));
	CU_ASSERT_STRING_EQUAL(r->body, TOAST);
	CU_ASSERT_FALSE(fakehost_log_contains(fx.fh, SECRET));
	h1fx_teardown(&fx);
}

static void test_types_and_content_types(void)
{
	static const struct {
		const char *payload, *type, *want_type, *want_ct;
	} cases[] = {
		{TOAST, NULL, "wns/toast", "text/xml"},
		{"<?xml version=\"1.0\"?>\n<tile><visual/></tile>", NULL, "wns/tile", "text/xml"},
		{"<badge value=\"7\"/>", NULL, "wns/badge", "text/xml"},
		{"{\"any\":\"bytes\"}", NULL, "wns/raw", "application/octet-stream"},
		{"<toast/>", "wns/raw", "wns/raw", "application/octet-stream"},
	};
	struct h1fx fx;

	setup(&fx);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct herald_notification n = h1fx_notification("WNS", CHANNEL, cases[i].payload);
		const struct fakehost_request *r;

		n.wns_type = cases[i].type;
		n.wns_cache_policy = "no-cache";
		fakehost_respond(fx.fh, 200, NULL, "x-wns-status", "received", NULL);
		h1fx_send_run(&fx, &n, i + 1);
		r = h1fx_last(&fx);
		CU_ASSERT_STRING_EQUAL(fakehost_header(r, "X-WNS-Type"), cases[i].want_type);
		CU_ASSERT_STRING_EQUAL(fakehost_header(r, "Content-Type"), cases[i].want_ct);
		if (strcmp(cases[i].want_type, "wns/toast") != 0)
			CU_ASSERT_STRING_EQUAL(fakehost_header(r, "X-WNS-Cache-Policy"),
					       "no-cache");
		CU_ASSERT_PTR_NULL(fakehost_header(r, "X-WNS-TTL")); /* no TTL: none sent */
	}
	h1fx_teardown(&fx);
}

static void test_bad_type_rejected(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification("WNS", CHANNEL, TOAST);
	const struct fakehost_outcome *o;

	setup(&fx);
	n.wns_type = "wns/banner";
	o = h1fx_send_run(&fx, &n, 1);
	CU_ASSERT_EQUAL(o->kind, HERALD_OUTCOME_PAYLOAD_REJECTED);
	CU_ASSERT_EQUAL(fakehost_nrequests(fx.fh), 0);
	h1fx_teardown(&fx);
}

static void test_match_is_a_delete(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification("WNS", CHANNEL, TOAST);
	const struct fakehost_request *r;

	setup(&fx);
	n.wns_match = "type:wns/toast;tag=t1";
	fakehost_respond(fx.fh, 200, NULL, "x-wns-status", "received", NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 1)->kind, HERALD_OUTCOME_DELIVERED);
	r = h1fx_last(&fx);
	CU_ASSERT_STRING_EQUAL(r->method, "DELETE");
	CU_ASSERT_STRING_EQUAL(fakehost_header(r, "X-WNS-Match"), "type:wns/toast;tag=t1");
	CU_ASSERT_PTR_NULL(fakehost_header(r, "X-WNS-Type"));
	CU_ASSERT_EQUAL(r->body_len, 0);
	h1fx_teardown(&fx);
}

static void test_channel_hosts(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification("WNS", EMU, TOAST);
	char err[256];

	setup(&fx);
	/* A channel off notify.windows.com never gets the access token. */
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 1)->kind, HERALD_OUTCOME_TOKEN_INVALID);
	n.token = "https://notify.windows.com.evil.test/?token=x";
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 2)->kind, HERALD_OUTCOME_TOKEN_INVALID);
	n.token = "https://db5.notify.windows.com@evil.test/?token=x";
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 3)->kind, HERALD_OUTCOME_TOKEN_INVALID);
	CU_ASSERT_EQUAL(fakehost_nrequests(fx.fh), 0);
	CU_ASSERT(fakehost_logged(fx.fh, HERALD_LOG_WARNING, "127.0.0.1"));
	h1fx_teardown(&fx);

	/* The emulator's channels, allowed by the hosts option. */
	h1fx_host(&fx);
	CU_ASSERT_EQUAL_FATAL(h1fx_create(&fx, "WNS", SID, SECRET, "hosts", "127.0.0.1",
					  "token_url", "https://127.0.0.1:4433/accesstoken.srf",
					  NULL),
			      0);
	CU_ASSERT_STRING_EQUAL(fakehost_oauth_config(fx.fh)->token_url,
			       "https://127.0.0.1:4433/accesstoken.srf");
	n.token = EMU;
	fakehost_respond(fx.fh, 200, NULL, "x-wns-status", "received", NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 1)->kind, HERALD_OUTCOME_DELIVERED);
	CU_ASSERT_STRING_EQUAL(h1fx_last(&fx)->url, EMU);
	CU_ASSERT_EQUAL(fx.d->validate_token("WNS", EMU, strlen(EMU), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(fx.d->validate_token("WNS", CHANNEL, strlen(CHANNEL), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(fx.d->validate_token("WNS", "http://db5.notify.windows.com/?token=x", 38,
					     err, sizeof(err)),
			HERALD_EINVAL);
	CU_ASSERT_EQUAL(fx.d->validate_token("WNS", "not a url", 9, err, sizeof(err)),
			HERALD_EINVAL);
	h1fx_teardown(&fx);
}

static void test_answers(void)
{
	static const struct {
		int status;
		const char *name, *value;
		int kind;
	} cases[] = {
		{200, "x-wns-status", "received", HERALD_OUTCOME_DELIVERED},
		{200, "x-wns-notificationstatus", "received", HERALD_OUTCOME_DELIVERED},
		{200, "x-wns-status", "channelthrottled", HERALD_OUTCOME_RETRY},
		{200, "x-wns-notificationstatus", "channelthrottled", HERALD_OUTCOME_RETRY},
		{200, "x-wns-notificationstatus", "dropped", HERALD_OUTCOME_PAYLOAD_REJECTED},
		{400, "x-wns-error-description", "bad header", HERALD_OUTCOME_PAYLOAD_REJECTED},
		{403, "x-wns-error-description", "wrong app", HERALD_OUTCOME_CREDENTIAL_ERROR},
		{404, "x-wns-status", "dropped", HERALD_OUTCOME_TOKEN_INVALID},
		{405, "x-wns-error-description", "method", HERALD_OUTCOME_PAYLOAD_REJECTED},
		{406, "x-wns-error-description", "throttled", HERALD_OUTCOME_RETRY},
		{410, "x-wns-status", "dropped", HERALD_OUTCOME_TOKEN_INVALID},
		{413, "x-wns-error-description", "too large", HERALD_OUTCOME_PAYLOAD_REJECTED},
		{500, "x-wns-error-description", "internal", HERALD_OUTCOME_RETRY},
		{503, "x-wns-error-description", "unavailable", HERALD_OUTCOME_RETRY},
	};
	struct h1fx fx;

	setup(&fx);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct herald_notification n = h1fx_notification("WNS", CHANNEL, TOAST);
		const struct fakehost_outcome *o;

		fakehost_respond(fx.fh, cases[i].status, NULL, cases[i].name, cases[i].value, NULL);
		o = h1fx_send_run(&fx, &n, i + 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		CU_ASSERT_EQUAL(o->kind, cases[i].kind);
		CU_ASSERT_EQUAL(o->status, cases[i].status);
		if (o->kind != HERALD_OUTCOME_DELIVERED)
			CU_ASSERT_STRING_EQUAL(o->response, cases[i].value);
	}
	h1fx_teardown(&fx);
}

static void test_retry_after(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification("WNS", CHANNEL, TOAST);

	setup(&fx);
	fakehost_respond(fx.fh, 406, NULL, "retry-after", "30", NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 1)->retry_after_ms, 30000);
	fakehost_respond(fx.fh, 200, NULL, "x-wns-status", "channelthrottled",
			 "x-wns-continue-after", "12", NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 2)->retry_after_ms, 12000);
	fakehost_respond(fx.fh, 503, NULL, NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 3)->retry_after_ms, -1);
	h1fx_teardown(&fx);
}

static void test_401_refreshes_once(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification("WNS", CHANNEL, TOAST);

	h1fx_host(&fx);
	fakehost_oauth(fx.fh, true, 0, NULL, "EgA-old", "EgA-new", NULL);
	CU_ASSERT_EQUAL_FATAL(h1fx_create(&fx, "WNS", SID, SECRET, NULL), 0);
	fakehost_respond(fx.fh, 401, NULL, NULL);
	fakehost_respond(fx.fh, 200, NULL, "x-wns-status", "received", NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 1)->kind, HERALD_OUTCOME_DELIVERED);
	CU_ASSERT_EQUAL(fakehost_nrequests(fx.fh), 2);
	CU_ASSERT_STRING_EQUAL(fakehost_header(h1fx_last(&fx), "Authorization"), "Bearer EgA-new");
	CU_ASSERT_STRING_EQUAL(fakehost_oauth_invalidated(fx.fh), "EgA-old");
	fakehost_respond(fx.fh, 401, NULL, NULL);
	fakehost_respond(fx.fh, 401, NULL, NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 2)->kind, HERALD_OUTCOME_CREDENTIAL_ERROR);
	CU_ASSERT_EQUAL(fakehost_nrequests(fx.fh), 4);
	fakehost_oauth(fx.fh, true, 400, "invalid_client", NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 3)->kind, HERALD_OUTCOME_CREDENTIAL_ERROR);
	CU_ASSERT_EQUAL(fakehost_nrequests(fx.fh), 4);
	h1fx_teardown(&fx);
}

static void test_config(void)
{
	struct h1fx fx;

	h1fx_host(&fx);
	CU_ASSERT_EQUAL(h1fx_create(&fx, "WNS", NULL, SECRET, NULL), HERALD_EINVAL);
	CU_ASSERT_EQUAL(h1fx_create(&fx, "WNS", SID, NULL, NULL), HERALD_EINVAL);
	CU_ASSERT_PTR_NULL(strstr(fx.err, SECRET));
	CU_ASSERT_EQUAL(h1fx_create(&fx, "WNS", SID, SECRET, "hosts", "", NULL), HERALD_EINVAL);
	h1fx_teardown(&fx);
}

static void test_remaining_ttl_and_expiry(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification("WNS", CHANNEL, TOAST);
	long long ttl;

	setup(&fx);
	n.ttl_s = 3600;
	n.expiration_ms = (int64_t)time(NULL) * 1000 + 300 * 1000;
	fakehost_respond(fx.fh, 200, NULL, "x-wns-status", "received", NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 1)->kind, HERALD_OUTCOME_DELIVERED);
	ttl = atoll(fakehost_header(h1fx_last(&fx), "X-WNS-TTL"));
	CU_ASSERT(ttl >= 297 && ttl <= 300);
	/* no TTL applies: no X-WNS-TTL (WNS keeps no expiry), whatever the broker's own */
	n.ttl_s = -1;
	fakehost_respond(fx.fh, 200, NULL, "x-wns-status", "received", NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 2)->kind, HERALD_OUTCOME_DELIVERED);
	CU_ASSERT_PTR_NULL(fakehost_header(h1fx_last(&fx), "X-WNS-TTL"));
	/* past the broker's expiry it is not sent, TTL or none */
	n.expiration_ms = 1000;
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 3)->kind, HERALD_OUTCOME_PAYLOAD_REJECTED);
	n.ttl_s = 3600;
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 4)->kind, HERALD_OUTCOME_PAYLOAD_REJECTED);
	CU_ASSERT_EQUAL(fakehost_nrequests(fx.fh), 2);
	h1fx_teardown(&fx);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"exact request: channel, headers, body, token service", test_exact_request},
		{"X-WNS-Type given or guessed; Content-Type; cache policy",
		 test_types_and_content_types},
		{"unknown X-WNS-Type rejected locally", test_bad_type_rejected},
		{"X-WNS-Match sends a DELETE", test_match_is_a_delete},
		{"channel hosts allow-list and token validation", test_channel_hosts},
		{"answers mapped, both status header spellings", test_answers},
		{"Retry-After and X-WNS-CONTINUE-AFTER", test_retry_after},
		{"401: one token refresh, then CREDENTIAL_ERROR", test_401_refreshes_once},
		{"configuration", test_config},
		{"X-WNS-TTL is the TTL left, absent with none; an expired message is not sent",
		 test_remaining_ttl_and_expiry},
		CU_TEST_INFO_NULL,
	};

	return fx_run_suite("wns driver", NULL, NULL, tests);
}
