/*
 * The mpns driver on the fake host: the exact request for toast, tile and
 * raw in each batching class, authenticated (client certificate on the
 * pool) and unauthenticated mode, the channel host allow-list, and the
 * status/header combinations of providers.md §5.3.
 */
#include <CUnit/Basic.h>
#include <string.h>
#include <time.h>

#include "tests/plugins/h1fixture.h"
#include "tests/unit/run.h"

#define CHANNEL	     "http://sn1.notify.live.net/throttledthirdparty/01.00/AAF9MBULkDV0Tpyj24I3bzE3"
#define AUTH_CHANNEL "https://sn1.notify.live.net/unthrottledthirdparty/01.00/AAF9MBULkDV0Tpyj"
#define TOAST                                                                                     \
	"<?xml version=\"1.0\" encoding=\"utf-8\"?><wp:Notification xmlns:wp=\"WPNotification\">" \
	"<wp:Toast><wp:Text1>Hi</wp:Text1></wp:Toast></wp:Notification>"
#define TILE                                                                                      \
	"<?xml version=\"1.0\" encoding=\"utf-8\"?><wp:Notification xmlns:wp=\"WPNotification\">" \
	"<wp:Tile><wp:Count>3</wp:Count></wp:Tile></wp:Notification>"
#define CERT "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
#define KEY  "-----BEGIN PRIVATE KEY-----\nMIIE-secret-key-bytes\n-----END PRIVATE KEY-----\n"

static void setup(struct h1fx *fx)
{
	h1fx_host(fx);
	CU_ASSERT_EQUAL_FATAL(h1fx_create(fx, "MPNS", NULL, NULL, NULL), 0);
}

static void test_exact_requests(void)
{
	static const struct {
		const char *payload, *type, *cls, *want_class, *want_target;
	} cases[] = {
		{TOAST, "toast", NULL, "2", "toast"},
		{TOAST, NULL, "realtime", "2", "toast"}, /* type guessed from the payload */
		{TILE, "token", "priority", "11", "token"},
		{TILE, NULL, "regular", "21", "token"},
		{"raw bytes", "raw", "realtime", "3", NULL},
		{"raw bytes", NULL, "priority", "13", NULL},
		{"raw bytes", "raw", "regular", "23", NULL},
		{TOAST, "toast", "regular", "22", "toast"},
	};
	struct h1fx fx;

	setup(&fx);
	CU_ASSERT_PTR_NULL(fakehost_pool(fx.fh, 0)->client_cert);
	CU_ASSERT_EQUAL(fakehost_pool(fx.fh, 0)->version, HERALD_HTTP_1_1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct herald_notification n = h1fx_notification("MPNS", CHANNEL, cases[i].payload);
		const struct fakehost_request *r;

		n.mpns_type = cases[i].type;
		n.mpns_notification_class = cases[i].cls;
		fakehost_respond(fx.fh, 200, NULL, "x-notificationstatus", "Received",
				 "x-subscriptionstatus", "Active", "x-deviceconnectionstatus",
				 "Connected", NULL);
		CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, i + 1)->kind, HERALD_OUTCOME_DELIVERED);
		r = h1fx_last(&fx);
		CU_ASSERT_STRING_EQUAL(r->method, "POST");
		CU_ASSERT_STRING_EQUAL(r->url, CHANNEL);
		CU_ASSERT_STRING_EQUAL(fakehost_header(r, "Content-Type"), "text/xml");
		CU_ASSERT_STRING_EQUAL(fakehost_header(r, "X-NotificationClass"),
				       cases[i].want_class);
		if (cases[i].want_target) {
			CU_ASSERT_STRING_EQUAL(fakehost_header(r, "X-WindowsPhone-Target"),
					       cases[i].want_target);
		} else {
			CU_ASSERT_PTR_NULL(fakehost_header(r, "X-WindowsPhone-Target"));
		}
		CU_ASSERT_STRING_EQUAL(fakehost_header(r, "X-MessageID"),
				       "4a1e2f3c-0d5b-4c6a-9e7f-112233445566");
		CU_ASSERT_PTR_NULL(fakehost_header(r, "Authorization"));
		CU_ASSERT_STRING_EQUAL(r->body, cases[i].payload);
	}
	h1fx_teardown(&fx);
}

static void test_bad_options_rejected(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification("MPNS", CHANNEL, TOAST);

	setup(&fx);
	n.mpns_type = "banner";
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 1)->kind, HERALD_OUTCOME_PAYLOAD_REJECTED);
	n.mpns_type = "toast";
	n.mpns_notification_class = "soon";
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 2)->kind, HERALD_OUTCOME_PAYLOAD_REJECTED);
	n = h1fx_notification("MPNS", CHANNEL, "");
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 3)->kind, HERALD_OUTCOME_PAYLOAD_REJECTED);
	n = h1fx_notification("MPNS", CHANNEL, TOAST);
	n.message_id = "not-a-uuid"; /* MPNS wants a UUID: none sent */
	fakehost_respond(fx.fh, 200, NULL, "x-notificationstatus", "Received", NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 4)->kind, HERALD_OUTCOME_DELIVERED);
	CU_ASSERT_PTR_NULL(fakehost_header(h1fx_last(&fx), "X-MessageID"));
	CU_ASSERT_EQUAL(fakehost_nrequests(fx.fh), 1);
	h1fx_teardown(&fx);
}

static void test_authenticated_mode(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification("MPNS", AUTH_CHANNEL, TOAST);
	const struct fakehost_pool *p;

	h1fx_host(&fx);
	CU_ASSERT_EQUAL_FATAL(h1fx_create(&fx, "MPNS", CERT, KEY, NULL), 0);
	p = fakehost_pool(fx.fh, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p->client_cert);
	CU_ASSERT_STRING_EQUAL(p->client_cert, CERT);
	CU_ASSERT_STRING_EQUAL(p->client_key, KEY);
	fakehost_respond(fx.fh, 200, NULL, "x-notificationstatus", "Received", NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 1)->kind, HERALD_OUTCOME_DELIVERED);
	CU_ASSERT_STRING_EQUAL(h1fx_last(&fx)->url, AUTH_CHANNEL);
	fakehost_respond(fx.fh, 403, NULL, NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 2)->kind, HERALD_OUTCOME_CREDENTIAL_ERROR);
	CU_ASSERT_FALSE(fakehost_log_contains(fx.fh, "secret-key"));
	h1fx_teardown(&fx);

	h1fx_host(&fx);
	CU_ASSERT_EQUAL(h1fx_create(&fx, "MPNS", CERT, NULL, NULL), HERALD_EINVAL);
	CU_ASSERT_EQUAL(h1fx_create(&fx, "MPNS", "not pem", KEY, NULL), HERALD_EINVAL);
	CU_ASSERT_EQUAL(h1fx_create(&fx, "MPNS", CERT, CERT, NULL), HERALD_EINVAL);
	CU_ASSERT_PTR_NULL(strstr(fx.err, "secret-key"));
	h1fx_teardown(&fx);
}

static void test_channel_hosts(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification(
		"MPNS", "http://127.0.0.1:4434/throttledthirdparty/01.00/c1", TOAST);
	char err[256];

	setup(&fx);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 1)->kind, HERALD_OUTCOME_TOKEN_INVALID);
	CU_ASSERT_EQUAL(fakehost_nrequests(fx.fh), 0);
	CU_ASSERT_EQUAL(fx.d->validate_token("MPNS", n.token, strlen(n.token), err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(fx.d->validate_token("MPNS", "ftp://x/y", 9, err, sizeof(err)),
			HERALD_EINVAL);
	h1fx_teardown(&fx);
	h1fx_host(&fx);
	CU_ASSERT_EQUAL_FATAL(h1fx_create(&fx, "MPNS", NULL, NULL, "hosts", "127.0.0.1", NULL), 0);
	fakehost_respond(fx.fh, 200, NULL, "x-notificationstatus", "Received", NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 1)->kind, HERALD_OUTCOME_DELIVERED);
	h1fx_teardown(&fx);
}

static void test_combinations(void)
{
	static const struct {
		int status;
		const char *note, *device, *sub;
		int kind;
		int64_t retry_after_ms; /* -2: not checked */
	} cases[] = {
		{200, "Received", "Connected", "Active", HERALD_OUTCOME_DELIVERED, -1},
		{200, "Received", "TempDisconnected", "Active", HERALD_OUTCOME_DELIVERED, -1},
		{200, "queuefull", "Connected", "Active", HERALD_OUTCOME_RETRY, 60000},
		{200, "Suppressed", "Connected", "Active", HERALD_OUTCOME_PAYLOAD_REJECTED, -1},
		{200, "Received", "Connected", "Expired", HERALD_OUTCOME_TOKEN_INVALID, -1},
		{400, NULL, NULL, NULL, HERALD_OUTCOME_PAYLOAD_REJECTED, -1},
		{401, NULL, NULL, NULL, HERALD_OUTCOME_TOKEN_INVALID, -1},
		{403, NULL, NULL, NULL, HERALD_OUTCOME_CREDENTIAL_ERROR, -1},
		{404, "Dropped", NULL, "Expired", HERALD_OUTCOME_TOKEN_INVALID, -1},
		{405, NULL, NULL, NULL, HERALD_OUTCOME_PAYLOAD_REJECTED, -1},
		{406, "Dropped", NULL, "Active", HERALD_OUTCOME_RETRY, -2},
		{412, "Dropped", "InActive", NULL, HERALD_OUTCOME_RETRY, 61 * 60000},
		{503, NULL, NULL, NULL, HERALD_OUTCOME_RETRY, 5 * 60000},
		{500, NULL, NULL, NULL, HERALD_OUTCOME_RETRY, -1},
	};
	struct h1fx fx;

	setup(&fx);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct herald_notification n = h1fx_notification("MPNS", CHANNEL, TOAST);
		const struct fakehost_outcome *o;

		fakehost_respond(fx.fh, cases[i].status, NULL, "x-notificationstatus",
				 cases[i].note ? cases[i].note : "", "x-deviceconnectionstatus",
				 cases[i].device ? cases[i].device : "", "x-subscriptionstatus",
				 cases[i].sub ? cases[i].sub : "", NULL);
		o = h1fx_send_run(&fx, &n, i + 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		CU_ASSERT_EQUAL(o->kind, cases[i].kind);
		if (o->kind != cases[i].kind)
			fprintf(stderr, "\n  case %zu: got %d\n", i, o->kind);
		if (cases[i].retry_after_ms != -2) {
			CU_ASSERT_EQUAL(o->retry_after_ms, cases[i].retry_after_ms);
		} else {
			CU_ASSERT(o->retry_after_ms > 0 && o->retry_after_ms <= 86400000);
		}
	}
	h1fx_teardown(&fx);
}

static void test_queue_full_backs_off(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification("MPNS", CHANNEL, TOAST);

	setup(&fx);
	n.attempt = 3;
	fakehost_respond(fx.fh, 200, NULL, "x-notificationstatus", "QueueFull", NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 1)->retry_after_ms, 4 * 60000);
	n.attempt = 40;
	fakehost_respond(fx.fh, 200, NULL, "x-notificationstatus", "QueueFull", NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 2)->retry_after_ms, 64 * 60000);
	/* The provider's own Retry-After wins on a 503. */
	fakehost_respond(fx.fh, 503, NULL, "retry-after", "9", NULL);
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 3)->retry_after_ms, 9000);
	h1fx_teardown(&fx);
}

static void test_expired_not_sent(void)
{
	struct h1fx fx;
	struct herald_notification n = h1fx_notification("MPNS", CHANNEL, TOAST);

	setup(&fx);
	n.expiration_ms = (int64_t)time(NULL) * 1000 - 1;
	CU_ASSERT_EQUAL(h1fx_send_run(&fx, &n, 1)->kind, HERALD_OUTCOME_PAYLOAD_REJECTED);
	CU_ASSERT_EQUAL(fakehost_nrequests(fx.fh), 0);
	h1fx_teardown(&fx);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"exact requests: toast, tile, raw in every class", test_exact_requests},
		{"bad type or class rejected locally; X-MessageID only a UUID",
		 test_bad_options_rejected},
		{"authenticated mode: certificate and key on the pool", test_authenticated_mode},
		{"channel hosts allow-list", test_channel_hosts},
		{"status and header combinations", test_combinations},
		{"QueueFull backs off by attempt; Retry-After", test_queue_full_backs_off},
		{"an expired message is not sent", test_expired_not_sent},
		CU_TEST_INFO_NULL,
	};

	return fx_run_suite("mpns driver", NULL, NULL, tests);
}
