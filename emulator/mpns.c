/*
 * Emulated MPNS; see mpns.h.  Answers carry no body: the outcome is the
 * status plus X-NotificationStatus, X-DeviceConnectionStatus and
 * X-SubscriptionStatus (providers.md §5.3).  Runs on the event loop.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "common/util.h"
#include "emulator/h2.h"
#include "emulator/mpns.h"

struct mpns_server {
	const struct emu_config *cfg;
	struct emu_state *st;
	struct h2_server *h2;
	json_t *daily; /* channel -> notifications today (unauthenticated) */
	long day;      /* the UTC day daily counts */
};

static int media_is(const char *content_type, const char *want)
{
	size_t n = strlen(want);

	if (!content_type || strncasecmp(content_type, want, n) != 0)
		return 0;
	content_type += n;
	while (*content_type == ' ')
		content_type++;
	return *content_type == '\0' || *content_type == ';';
}

static int uuid_ok(const char *s)
{
	if (strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-'
							      : !isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int contains(const char *body, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(body + i, needle, n) == 0)
			return 1;
	return 0;
}

int mpns_check(const struct mpns_request *r, const char **why)
{
	const char *c = r->notification_class;
	int kind;

	if (r->header_bytes > MPNS_MAX_HEADERS) {
		*why = "The request headers exceed 1 KB";
		return 0;
	}
	if (!c ||
	    !((strlen(c) == 1 && c[0] >= '1' && c[0] <= '3') ||
	      (strlen(c) == 2 && (c[0] == '1' || c[0] == '2') && c[1] >= '1' && c[1] <= '3'))) {
		*why = "X-NotificationClass must be 1, 2, 3, 11, 12, 13, 21, 22 or 23";
		return 0;
	}
	kind = c[strlen(c) - 1] - '0';
	if (kind == MPNS_RAW
		    ? r->target != NULL
		    : !r->target || strcmp(r->target, kind == MPNS_TILE ? "token" : "toast") != 0) {
		*why = "X-WindowsPhone-Target must be token for tiles, toast for toasts and absent for raw";
		return 0;
	}
	if (kind != MPNS_RAW && !media_is(r->content_type, "text/xml")) {
		*why = "Content-Type must be text/xml";
		return 0;
	}
	if (r->message_id && !uuid_ok(r->message_id)) {
		*why = "X-MessageID must be a UUID";
		return 0;
	}
	if (r->body_len > MPNS_MAX_PAYLOAD) {
		*why = "The payload exceeds 3 KB";
		return 0;
	}
	if (kind != MPNS_RAW &&
	    (!contains(r->body, r->body_len, "<wp:Notification") ||
	     !contains(r->body, r->body_len, kind == MPNS_TILE ? "<wp:Tile" : "<wp:Toast"))) {
		*why = "The payload is not a wp:Notification of the class's type";
		return 0;
	}
	if (r->body_len == 0) {
		*why = "The payload is empty";
		return 0;
	}
	return kind;
}

struct mpns_status mpns_status_for(int http, const char *reason)
{
	switch (http) {
	case 200:
		if (reason && strcasecmp(reason, "QueueFull") == 0)
			return (struct mpns_status){"QueueFull", "Connected", "Active"};
		if (reason && strcasecmp(reason, "Suppressed") == 0)
			return (struct mpns_status){"Suppressed", "Connected", "Active"};
		if (reason && strcasecmp(reason, "TempDisconnected") == 0)
			return (struct mpns_status){"Received", "TempDisconnected", "Active"};
		return (struct mpns_status){"Received", "Connected", "Active"};
	case 404:
		return (struct mpns_status){"Dropped", NULL, "Expired"};
	case 406:
		return (struct mpns_status){"Dropped", NULL, "Active"};
	case 412:
		return (struct mpns_status){"Dropped", "InActive", NULL};
	default:
		return (struct mpns_status){NULL, NULL, NULL};
	}
}

/* ---- the server ------------------------------------------------------------- */

/*
 * The size of req's headers as an HTTP/1.1 client writes them ("Name:
 * value\r\n"), :authority counted as Host and the other pseudo-headers left
 * out; SIZE_MAX if the server had to drop some.
 */
static size_t header_bytes(const struct h2_req *req)
{
	size_t n = 0;

	if (req->headers_overflow)
		return SIZE_MAX;
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct h2_header *h = &req->headers[i];

		if (strcmp(h->name, ":authority") == 0)
			n += strlen("Host: \r\n") + h->value_len;
		else if (h->name[0] != ':')
			n += strlen(h->name) + strlen(": \r\n") + h->value_len;
	}
	return n;
}

static void respond(struct mpns_server *srv, struct h2_req *req, const char *channel, int status,
		    const char *reason, int retry_after, unsigned delay_ms)
{
	struct mpns_status s = mpns_status_for(status, reason);
	const char *mid = h2_req_header(req, "x-messageid", NULL);
	struct h2_out_header h[5];
	char retry[16];
	size_t n = 0;

	if (s.notification)
		h[n++] = (struct h2_out_header){"x-notificationstatus", s.notification};
	if (s.device)
		h[n++] = (struct h2_out_header){"x-deviceconnectionstatus", s.device};
	if (s.subscription)
		h[n++] = (struct h2_out_header){"x-subscriptionstatus", s.subscription};
	if (mid)
		h[n++] = (struct h2_out_header){"x-messageid", mid};
	if (retry_after >= 0) {
		snprintf(retry, sizeof(retry), "%d", retry_after);
		h[n++] = (struct h2_out_header){"retry-after", retry};
	}
	state_record(srv->st, EMU_MPNS, channel, req, status, reason ? reason : s.notification);
	h2_respond(req, status, h, n, NULL, 0, delay_ms);
}

/* Count one unauthenticated notification; 1 if the channel is over its daily cap. */
static int over_daily_limit(struct mpns_server *srv, const char *channel)
{
	long day = (long)(util_now_ms() / 86400000);
	json_int_t n;

	if (day != srv->day || json_object_size(srv->daily) >= MPNS_MAX_CHANNELS) {
		json_object_clear(srv->daily);
		srv->day = day;
	}
	n = json_integer_value(json_object_get(srv->daily, channel)) + 1;
	json_object_set_new(srv->daily, channel, json_integer(n));
	return n > MPNS_DAILY_LIMIT;
}

/* The connection presented a CA-signed certificate for the registered service name. */
static int authenticated_sender(struct h2_conn *conn)
{
	X509 *cert = h2_conn_peer_cert(conn);
	char cn[256];

	return cert &&
	       X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn,
					 sizeof(cn)) > 0 &&
	       strcmp(cn, MPNS_SERVICE_NAME) == 0;
}

static void on_request(struct h2_req *req, void *arg)
{
	static const char unauth[] = "/throttledthirdparty/01.00/",
			  auth[] = "/unthrottledthirdparty/01.00/";
	struct mpns_server *srv = arg;
	const char *method = h2_req_header(req, ":method", NULL);
	const char *path = h2_req_header(req, ":path", NULL), *channel = NULL, *why = NULL;
	struct mpns_request r = {
		.notification_class = h2_req_header(req, "x-notificationclass", NULL),
		.target = h2_req_header(req, "x-windowsphone-target", NULL),
		.content_type = h2_req_header(req, "content-type", NULL),
		.message_id = h2_req_header(req, "x-messageid", NULL),
		.header_bytes = header_bytes(req),
		.body = req->body,
		.body_len = req->body_total,
	};
	struct emu_rule rule = {.retry_after = -1};
	int authenticated = 0;

	if (path && strncmp(path, unauth, sizeof(unauth) - 1) == 0) {
		channel = path + sizeof(unauth) - 1;
	} else if (path && strncmp(path, auth, sizeof(auth) - 1) == 0) {
		channel = path + sizeof(auth) - 1;
		authenticated = 1;
	}
	if (!channel || !*channel || strlen(channel) > MPNS_MAX_CHANNEL ||
	    strpbrk(channel, "/?#")) {
		respond(srv, req, NULL, 400, "malformed channel URI", -1, 0);
		return;
	}
	if (!method || strcmp(method, "POST") != 0) {
		respond(srv, req, channel, 405, NULL, -1, 0);
		return;
	}
	/* Authenticated channels need the client certificate the service name was registered with. */
	if (authenticated && !authenticated_sender(req->conn)) {
		respond(srv, req, channel, 403, "client certificate required", -1, 0);
		return;
	}
	if (!mpns_check(&r, &why)) {
		respond(srv, req, channel, 400, why, -1, 0);
		return;
	}
	if (state_rule(srv->st, EMU_MPNS, channel, &rule) &&
	    (rule.status >= 300 || rule.reason[0])) {
		respond(srv, req, channel, rule.status ? rule.status : 200,
			rule.reason[0] ? rule.reason : NULL, rule.retry_after, rule.delay_ms);
		return;
	}
	if (!authenticated && over_daily_limit(srv, channel)) {
		respond(srv, req, channel, 406, NULL, -1, 0);
		return;
	}
	respond(srv, req, channel, 200, NULL, -1, rule.delay_ms);
}

struct mpns_server *mpns_server_new(struct event_base *base, const struct emu_config *cfg,
				    struct emu_state *st, int port, char *err, size_t errlen)
{
	struct mpns_server *srv = calloc(1, sizeof(*srv));
	struct h2_server_opts opts = {
		.max_streams = 100,
		.max_body = MPNS_MAX_PAYLOAD + 1,
		.on_request = on_request,
		.http1 = 1,
		.plain_http = 1, /* the real service's URLs are http:// */
	};

	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->cfg = cfg;
	srv->st = st;
	srv->daily = json_object();
	if (!srv->daily) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	opts.cert_file = cfg->cert_file;
	opts.key_file = cfg->key_file;
	/* Client certificates are requested (authenticated mode), not required. */
	opts.client_ca = cfg->ca_file;
	opts.arg = srv;
	srv->h2 = h2_server_new(base, port, &opts, err, errlen);
	if (!srv->h2)
		goto fail;
	return srv;
fail:
	mpns_server_free(srv);
	return NULL;
}

int mpns_server_port(const struct mpns_server *srv)
{
	return h2_server_port(srv->h2);
}

void mpns_server_free(struct mpns_server *srv)
{
	if (!srv)
		return;
	h2_server_free(srv->h2);
	json_decref(srv->daily);
	free(srv);
}
