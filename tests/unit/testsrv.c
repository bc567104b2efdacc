/* The client tests' HTTP(S) server; see testsrv.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/util.h"
#include "tests/unit/testsrv.h"

struct testsrv {
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	SSL_CTX *ssl;
	testsrv_fn fn;
	void *arg;
	unsigned int connections;
};

static void testsrv_gencb(struct evhttp_request *req, void *arg)
{
	struct testsrv *s = arg;

	s->fn(req, s->arg);
}

static struct bufferevent *testsrv_bevcb(struct event_base *base, void *arg)
{
	struct testsrv *s = arg;
	SSL *ssl;

	s->connections++;
	if (!s->ssl)
		return bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	ssl = SSL_new(s->ssl);
	return ssl ? bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
						    BEV_OPT_CLOSE_ON_FREE)
		   : NULL;
}

static SSL_CTX *testsrv_tls(const char *dir)
{
	char cert[600], key[600], ca[600];
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	snprintf(cert, sizeof(cert), "%s/server.pem", dir);
	snprintf(key, sizeof(key), "%s/server-key.pem", dir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		ERR_print_errors_fp(stderr);
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* Ask for a client certificate; one that is sent must verify. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* Without it, OpenSSL refuses to resume sessions of verified clients. */
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"testsrv", 7);
	SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(ca));
	return ctx;
}

struct testsrv *testsrv_new(struct event_base *base, const char *tls_dir, testsrv_fn fn, void *arg)
{
	struct testsrv *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base = base;
	s->fn = fn;
	s->arg = arg;
	if (tls_dir && !(s->ssl = testsrv_tls(tls_dir)))
		goto fail;
	s->http = evhttp_new(base);
	if (!s->http)
		goto fail;
	evhttp_set_bevcb(s->http, testsrv_bevcb, s);
	evhttp_set_gencb(s->http, testsrv_gencb, s);
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
						    EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD);
	s->sock = evhttp_bind_socket_with_handle(s->http, "127.0.0.1", 0);
	if (!s->sock)
		goto fail;
	return s;
fail:
	testsrv_free(s);
	return NULL;
}

int testsrv_port(const struct testsrv *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	evutil_socket_t fd = evhttp_bound_socket_get_fd(s->sock);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

unsigned int testsrv_connections(const struct testsrv *s)
{
	return s->connections;
}

void testsrv_free(struct testsrv *s)
{
	if (!s)
		return;
	if (s->http)
		evhttp_free(s->http);
	SSL_CTX_free(s->ssl);
	free(s);
}

int testsrv_client_cn(struct evhttp_request *req, char *cn, size_t cn_size)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	struct bufferevent *bev = c ? evhttp_connection_get_bufferevent(c) : NULL;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
	X509 *x = ssl ? SSL_get1_peer_certificate(ssl) : NULL;
	int rc = -1;

	if (x && X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn,
					   (int)cn_size) > 0)
		rc = 0;
	X509_free(x);
	return rc;
}

int testsrv_resumed(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	struct bufferevent *bev = c ? evhttp_connection_get_bufferevent(c) : NULL;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;

	return ssl ? SSL_session_reused(ssl) : -1;
}

char *testsrv_body(struct evhttp_request *req)
{
	struct evbuffer *b = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(b);
	char *s = malloc(n + 1);

	if (!s)
		return NULL;
	evbuffer_copyout(b, s, n);
	s[n] = '\0';
	return s;
}

void testsrv_reply(struct evhttp_request *req, int status, const char *ctype, const char *body)
{
	struct evbuffer *b = evbuffer_new();

	if (ctype)
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ctype);
	if (body)
		evbuffer_add(b, body, strlen(body));
	evhttp_send_reply(req, status, status < 400 ? "OK" : "Error", b);
	evbuffer_free(b);
}

const char *testsrv_emulator(void)
{
	static char path[600];
	const char *b = getenv("HERALD_BUILDDIR");

	snprintf(path, sizeof(path), "%s/herald-emulator", b ? b : ".");
	return access(path, X_OK) == 0 ? path : NULL;
}

int testsrv_emulator_init(char *dir, size_t dir_size)
{
	const char *emu = testsrv_emulator();
	const char *t = getenv("TMPDIR");
	char cmd[1400];

	if (!emu)
		return 77;
	snprintf(dir, dir_size, "%s/herald-test.XXXXXX", t ? t : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(cmd, sizeof(cmd), "'%s' init '%s/emu' >/dev/null", emu, dir);
	if (system(cmd) != 0)
		return -1;
	strncat(dir, "/emu", dir_size - strlen(dir) - 1);
	return 0;
}

void testsrv_rm_rf(const char *dir)
{
	char cmd[700];
	const char *cut;

	if (!dir || !*dir)
		return;
	/* testsrv_emulator_init's directory is the parent of DIR/emu. */
	cut = strstr(dir, "/emu");
	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", cut ? (int)(cut - dir) : (int)strlen(dir), dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

char *testsrv_read_file(const char *dir, const char *name, size_t *len)
{
	char path[700];
	FILE *f;
	char *buf = NULL;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

unsigned char *testsrv_b64url_decode(const char *s, size_t len, size_t *out_len)
{
	size_t n = (len + 3) / 4 * 4;
	char *std = malloc(n + 1);
	unsigned char *out;

	if (!std)
		return NULL;
	for (size_t i = 0; i < len; i++)
		std[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	memset(std + len, '=', n - len);
	std[n] = '\0';
	out = util_base64_decode(std, n, out_len);
	if (out)
		out[*out_len] = '\0'; /* util_base64_decode leaves room for it */
	free(std);
	return out;
}

static void testsrv_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

int testsrv_run_until(struct event_base *base, const int *flag, unsigned int ms)
{
	struct timeval tick = {0, 10000};
	struct event *ev = event_new(base, -1, EV_PERSIST, testsrv_tick, NULL);
	int64_t end = util_mono_ms() + ms;

	/* A persistent 10 ms tick keeps the loop from blocking past the deadline. */
	event_add(ev, &tick);
	while (!*flag && util_mono_ms() < end)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
	return *flag ? 0 : -1;
}
