/* Network tests of the emulated APNs: served child and HTTP/2 client; see live.h. */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "common/util.h"
#include "emulator/apns.h"
#include "emulator/faults.h"
#include "emulator/jwt.h"
#include "tests/emulator/live.h"

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

int live_init(struct live_emu *e)
{
	struct emu_init_opts opts = {0};
	char err[512];
	json_t *hdr, *claims;
	char *tok;

	memset(e, 0, sizeof(*e));
	signal(SIGPIPE, SIG_IGN);
	snprintf(e->dir, sizeof(e->dir), "%s/herald-live.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(e->dir) || settings_init_dir(e->dir, &opts, err, sizeof(err)) != 0 ||
	    settings_load(&e->cfg, e->dir, err, sizeof(err)) != 0) {
		fprintf(stderr, "live: cannot set up an emulator directory: %s\n", err);
		return -1;
	}
	e->st = state_new(2000);
	e->base = event_base_new();
	if (!e->st || !e->base)
		return -1;
	e->apns = apns_server_new(e->base, &e->cfg, e->st, 0, err, sizeof(err));
	if (!e->apns) {
		fprintf(stderr, "live: %s\n", err);
		return -1;
	}
	e->port = apns_server_port(e->apns);
	hdr = json_pack("{s:s}", "kid", e->cfg.apns_keys[0].key_id);
	claims = json_pack("{s:s, s:I}", "iss", e->cfg.apns_keys[0].team_id, "iat",
			   (json_int_t)(util_now_ms() / 1000));
	tok = jwt_sign(e->cfg.apns_keys[0].key, hdr, claims);
	json_decref(hdr);
	json_decref(claims);
	if (!tok || !(e->bearer = malloc(strlen(tok) + 8))) {
		free(tok);
		return -1;
	}
	sprintf(e->bearer, "bearer %s", tok);
	free(tok);
	return 0;
}

void live_free(struct live_emu *e)
{
	live_stop(e);
	apns_server_free(e->apns);
	state_free(e->st);
	if (e->base)
		event_base_free(e->base);
	settings_free(&e->cfg);
	free(e->bearer);
	if (e->dir[0])
		nftw(e->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int live_serve(struct live_emu *e, const char *faults, const char *rules)
{
	json_t *f = json_loads(faults ? faults : "{}", 0, NULL);
	json_t *r = json_loads(rules ? rules : "[]", 0, NULL);
	char err[256];
	int rc = -1;

	live_stop(e);
	if (!f || !r || faults_set(state_faults(e->st), f, err, sizeof(err)) != 0 ||
	    state_set_rules(e->st, r, err, sizeof(err)) != 0) {
		fprintf(stderr, "live: bad faults or rules: %s\n", f && r ? err : "not JSON");
		goto out;
	}
	state_reset(e->st);
	fflush(NULL);
	e->child = fork();
	if (e->child == 0) {
		event_reinit(e->base);
		event_base_dispatch(e->base);
		_exit(0);
	}
	rc = e->child > 0 ? 0 : -1;
out:
	json_decref(f);
	json_decref(r);
	return rc;
}

void live_stop(struct live_emu *e)
{
	if (e->child > 0) {
		kill(e->child, SIGKILL);
		waitpid(e->child, NULL, 0);
	}
	e->child = 0;
}

/* ---- client ---------------------------------------------------------------------- */

static void pump(struct live_conn *c, int wait_ms);

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame, void *user)
{
	struct live_conn *c = user;

	if (frame->hd.type == NGHTTP2_SETTINGS && !(frame->hd.flags & NGHTTP2_FLAG_ACK)) {
		for (size_t i = 0; i < frame->settings.niv; i++)
			if (frame->settings.iv[i].settings_id ==
				    NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS &&
			    c->n_settings < LIVE_MAX_SETTINGS)
				c->max_streams[c->n_settings++] = frame->settings.iv[i].value;
	} else if (frame->hd.type == NGHTTP2_GOAWAY) {
		size_t n = frame->goaway.opaque_data_len;

		if (n >= sizeof(c->goaway_debug))
			n = sizeof(c->goaway_debug) - 1;
		c->goaway = 1;
		c->goaway_last = frame->goaway.last_stream_id;
		memcpy(c->goaway_debug, frame->goaway.opaque_data, n);
		c->goaway_debug[n] = '\0';
	}
	return 0;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name,
		     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
		     void *user)
{
	struct live_resp *r = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);

	if (!r)
		return 0;
	if (namelen == 7 && memcmp(name, ":status", 7) == 0)
		r->status = atoi((const char *)value);
	else if (namelen == 7 && memcmp(name, "apns-id", 7) == 0 && valuelen < sizeof(r->apns_id))
		memcpy(r->apns_id, value, valuelen + 1);
	else if (namelen == 14 && memcmp(name, "apns-unique-id", 14) == 0 &&
		 valuelen < sizeof(r->unique_id))
		memcpy(r->unique_id, value, valuelen + 1);
	return 0;
}

static int on_data(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
		   void *user)
{
	struct live_resp *r = nghttp2_session_get_stream_user_data(ng, id);
	size_t room;

	if (!r)
		return 0;
	room = sizeof(r->body) - 1 - r->body_len;
	if (len > room)
		len = room;
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return 0;
}

static int on_close(nghttp2_session *ng, int32_t id, uint32_t error_code, void *user)
{
	struct live_resp *r = nghttp2_session_get_stream_user_data(ng, id);

	if (r) {
		r->done = 1;
		r->rst = error_code;
		r->done_ms = util_mono_ms();
	}
	return 0;
}

int live_connect(struct live_conn *c, int port)
{
	static const unsigned char alpn[] = "\x02h2";
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	nghttp2_session_callbacks *cbs;
	int one = 1, rc;
	int64_t end;

	memset(c, 0, sizeof(*c));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx || SSL_CTX_set_alpn_protos(c->ctx, alpn, sizeof(alpn) - 1) != 0 ||
	    !(c->ssl = SSL_new(c->ctx)) || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_connect(c->ssl) != 1)
		return -1;
	if (nghttp2_session_callbacks_new(&cbs) != 0)
		return -1;
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
	nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_close);
	rc = nghttp2_session_client_new(&c->ng, cbs, c);
	nghttp2_session_callbacks_del(cbs);
	if (rc != 0 || nghttp2_submit_settings(c->ng, NGHTTP2_FLAG_NONE, NULL, 0) != 0)
		return -1;
	/* The server's first SETTINGS, so that requests keep to its stream limit. */
	end = util_mono_ms() + LIVE_TIMEOUT_MS;
	while (c->n_settings == 0 && !c->closed && util_mono_ms() < end)
		pump(c, 50);
	return c->n_settings ? 0 : -1;
}

void live_close(struct live_conn *c)
{
	nghttp2_session_del(c->ng);
	if (c->ssl)
		SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static ssize_t read_req_body(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len,
			     uint32_t *flags, nghttp2_data_source *src, void *user)
{
	struct live_resp *r = src->ptr;
	size_t n = strlen(r->req_body) - r->req_off;

	if (n > len)
		n = len;
	memcpy(buf, r->req_body + r->req_off, n);
	r->req_off += n;
	if (r->req_body[r->req_off] == '\0')
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

#define NV(n, v)                                                                           \
	{                                                                                  \
		(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE \
	}

int live_post(struct live_conn *c, const char *token, const char *authorization, const char *topic,
	      const char *body)
{
	char path[128];
	nghttp2_nv nv[6];
	size_t n = 0;
	struct live_resp *r;
	nghttp2_data_provider prd;

	snprintf(path, sizeof(path), "/3/device/%s", token);
	nv[n++] = (nghttp2_nv)NV(":method", "POST");
	nv[n++] = (nghttp2_nv)NV(":scheme", "https");
	nv[n++] = (nghttp2_nv)NV(":authority", "127.0.0.1");
	nv[n++] = (nghttp2_nv)NV(":path", path);
	nv[n++] = (nghttp2_nv)NV("apns-topic", topic);
	if (c->n == LIVE_MAX_STREAMS)
		return -1;
	if (authorization)
		nv[n++] = (nghttp2_nv)NV("authorization", authorization);
	r = &c->resp[c->n];
	memset(r, 0, sizeof(*r));
	r->req_body = body;
	r->sent_ms = util_mono_ms();
	prd.source.ptr = r;
	prd.read_callback = read_req_body;
	r->id = nghttp2_submit_request(c->ng, NULL, nv, n, &prd, r);
	return r->id < 0 ? -1 : (int)c->n++;
}

/* One round: write what nghttp2 has, then read what arrived within wait_ms. */
static void pump(struct live_conn *c, int wait_ms)
{
	unsigned char buf[16384];
	struct pollfd pfd = {c->fd, POLLIN, 0};
	int n;

	while (!c->closed && nghttp2_session_want_write(c->ng)) {
		const uint8_t *data;
		ssize_t len = nghttp2_session_mem_send(c->ng, &data);

		if (len <= 0)
			break;
		if (SSL_write(c->ssl, data, (int)len) <= 0) {
			c->closed = 1;
			c->reset = errno == ECONNRESET || errno == EPIPE;
		}
	}
	if (c->closed || (SSL_pending(c->ssl) == 0 && poll(&pfd, 1, wait_ms) <= 0))
		return;
	errno = 0;
	n = SSL_read(c->ssl, buf, sizeof(buf));
	if (n <= 0) {
		c->closed = 1;
		c->reset = errno == ECONNRESET;
		return;
	}
	if (nghttp2_session_mem_recv(c->ng, buf, (size_t)n) < 0)
		c->closed = 1;
}

static int all_done(const struct live_conn *c, size_t first, size_t n)
{
	for (size_t i = first; i < first + n; i++)
		if (!c->resp[i].done)
			return 0;
	return 1;
}

int live_wait(struct live_conn *c, size_t first, size_t n)
{
	int64_t end = util_mono_ms() + LIVE_TIMEOUT_MS;

	while (!all_done(c, first, n) && !c->closed && util_mono_ms() < end)
		pump(c, 50);
	return all_done(c, first, n);
}

int live_wait_closed(struct live_conn *c)
{
	int64_t end = util_mono_ms() + LIVE_TIMEOUT_MS;

	while (!c->closed && util_mono_ms() < end)
		pump(c, 50);
	return c->closed;
}

size_t live_count(const struct live_conn *c, int status)
{
	size_t k = 0;

	for (size_t i = 0; i < c->n; i++)
		k += c->resp[i].done && c->resp[i].status == status;
	return k;
}
