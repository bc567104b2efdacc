/*
 * Unit tests of emulator/mpns.c: the request rules (notification class,
 * target, content type, message id, size, payload) and the status header
 * combinations of each answer.
 */
#include "config.h"

#include <string.h>

#include "emulator/mpns.h"
#include "tests/emulator/keys.h"

#define TOAST                                                                                     \
	"<?xml version=\"1.0\" encoding=\"utf-8\"?><wp:Notification xmlns:wp=\"WPNotification\">" \
	"<wp:Toast><wp:Text1>a</wp:Text1></wp:Toast></wp:Notification>"
#define TILE                                                                           \
	"<wp:Notification xmlns:wp=\"WPNotification\"><wp:Tile><wp:Count>1</wp:Count>" \
	"</wp:Tile></wp:Notification>"

static int suite_init(void)
{
	return 0;
}

static int suite_clean(void)
{
	return 0;
}

static int kind(const char *cls, const char *target, const char *ctype, const char *body)
{
	struct mpns_request r = {cls, target, ctype, NULL, body, strlen(body), 0};
	const char *why = NULL;
	int k = mpns_check(&r, &why);

	CU_ASSERT(k != 0 || why != NULL);
	return k;
}

static void test_check(void)
{
	struct mpns_request r = {"3", NULL, NULL, NULL, "x", 1, 0};
	const char *why;

	CU_ASSERT_EQUAL(kind("2", "toast", "text/xml", TOAST), MPNS_TOAST);
	CU_ASSERT_EQUAL(kind("12", "toast", "text/xml; charset=\"utf-8\"", TOAST), MPNS_TOAST);
	CU_ASSERT_EQUAL(kind("22", "toast", "text/xml", TOAST), MPNS_TOAST);
	CU_ASSERT_EQUAL(kind("1", "token", "text/xml", TILE), MPNS_TILE);
	CU_ASSERT_EQUAL(kind("21", "token", "text/xml", TILE), MPNS_TILE);
	CU_ASSERT_EQUAL(kind("13", NULL, "application/octet-stream", "bytes"), MPNS_RAW);
	CU_ASSERT_EQUAL(kind("3", NULL, NULL, "bytes"), MPNS_RAW);
	/* Classes. */
	CU_ASSERT_EQUAL(kind(NULL, "toast", "text/xml", TOAST), 0);
	CU_ASSERT_EQUAL(kind("4", "toast", "text/xml", TOAST), 0);
	CU_ASSERT_EQUAL(kind("32", "toast", "text/xml", TOAST), 0);
	CU_ASSERT_EQUAL(kind("02", "toast", "text/xml", TOAST), 0);
	CU_ASSERT_EQUAL(kind("123", "toast", "text/xml", TOAST), 0);
	/* Targets: toast for toasts, token for tiles, none for raw. */
	CU_ASSERT_EQUAL(kind("2", "token", "text/xml", TOAST), 0);
	CU_ASSERT_EQUAL(kind("2", NULL, "text/xml", TOAST), 0);
	CU_ASSERT_EQUAL(kind("1", "toast", "text/xml", TILE), 0);
	CU_ASSERT_EQUAL(kind("3", "toast", "text/xml", "x"), 0);
	/* Content type and payload. */
	CU_ASSERT_EQUAL(kind("2", "toast", "application/json", TOAST), 0);
	CU_ASSERT_EQUAL(kind("2", "toast", "text/xml", TILE), 0);
	CU_ASSERT_EQUAL(kind("1", "token", "text/xml", TOAST), 0);
	CU_ASSERT_EQUAL(kind("2", "toast", "text/xml", "<toast/>"), 0);
	CU_ASSERT_EQUAL(kind("3", NULL, NULL, ""), 0);
	/* X-MessageID and size. */
	r.message_id = "123e4567-e89b-12d3-a456-426614174000";
	CU_ASSERT_EQUAL(mpns_check(&r, &why), MPNS_RAW);
	r.message_id = "123e4567e89b12d3a456426614174000";
	CU_ASSERT_EQUAL(mpns_check(&r, &why), 0);
	r.message_id = NULL;
	r.body_len = MPNS_MAX_PAYLOAD + 1;
	CU_ASSERT_EQUAL(mpns_check(&r, &why), 0);
}

/* At most 1 KB of headers (providers.md §5.2), whatever the rest. */
static void test_header_limit(void)
{
	struct mpns_request r = {"2", "toast", "text/xml", NULL, TOAST, strlen(TOAST), 0};
	const char *why = NULL;

	r.header_bytes = MPNS_MAX_HEADERS;
	CU_ASSERT_EQUAL(mpns_check(&r, &why), MPNS_TOAST);
	r.header_bytes = MPNS_MAX_HEADERS + 1;
	CU_ASSERT_EQUAL(mpns_check(&r, &why), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "1 KB"));
}

static void combo(int http, const char *reason, const char *n, const char *d, const char *s)
{
	struct mpns_status st = mpns_status_for(http, reason);

	if (n) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(st.notification);
		CU_ASSERT_STRING_EQUAL(st.notification, n);
	} else {
		CU_ASSERT_PTR_NULL(st.notification);
	}
	if (d) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(st.device);
		CU_ASSERT_STRING_EQUAL(st.device, d);
	} else {
		CU_ASSERT_PTR_NULL(st.device);
	}
	if (s) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(st.subscription);
		CU_ASSERT_STRING_EQUAL(st.subscription, s);
	} else {
		CU_ASSERT_PTR_NULL(st.subscription);
	}
}

static void test_status(void)
{
	/* providers.md §5.3's table. */
	combo(200, NULL, "Received", "Connected", "Active");
	combo(200, "TempDisconnected", "Received", "TempDisconnected", "Active");
	combo(200, "queuefull", "QueueFull", "Connected", "Active");
	combo(200, "Suppressed", "Suppressed", "Connected", "Active");
	combo(404, NULL, "Dropped", NULL, "Expired");
	combo(406, NULL, "Dropped", NULL, "Active");
	combo(412, NULL, "Dropped", "InActive", NULL);
	combo(400, NULL, NULL, NULL, NULL);
	combo(401, NULL, NULL, NULL, NULL);
	combo(403, NULL, NULL, NULL, NULL);
	combo(405, NULL, NULL, NULL, NULL);
	combo(503, NULL, NULL, NULL, NULL);
}

int main(void)
{
	CU_TestInfo tests[] = {
		{"request rules", test_check},
		{"1 KB of headers", test_header_limit},
		{"status combinations", test_status},
		CU_TEST_INFO_NULL,
	};

	return keys_run_suite("mpns", suite_init, suite_clean, tests);
}
