/*
 * HTTP/1.1 on curl multi, driven by libevent; see http1.h.
 *
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION: one
 * persistent event per socket, its struct http1_sock assigned to the socket
 * with curl_multi_assign()) and when to call it back without I/O
 * (CURLMOPT_TIMERFUNCTION: one evtimer).  Both events call
 * curl_multi_socket_action() and then finish what completed.  Requests are
 * only added in http1_request(), whose work starts from the timer curl sets,
 * so a completion never runs inside http1_request().
 *
 * Freeing from within a completion: the pool is marked dead, every other
 * request is cancelled at once, and the curl handles are released when the
 * dispatch loop that called the completion unwinds.
 *
 * Memory: the pool owns its requests, sockets and the copies of the client
 * certificate and key (the key wiped on free).  A request owns its curl easy
 * handle, header list and response buffers.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "broker/http1.h"
#include "common/log.h"
#include "common/util.h"

#define HTTP1_CONNECT_TIMEOUT_DEF 10000u
#define HTTP1_REQUEST_TIMEOUT_DEF 30000u
#define HTTP1_CONNECTIONS_DEF	  8u
#define HTTP1_QUEUED_DEF	  10000u
#define HTTP1_URL_MAX		  8192u
#define HTTP1_HEADER_LINE_MAX	  8192u

struct http1_sock {
	struct http1_sock *prev, *next;
	struct http1_pool *pool;
	struct event *ev;
};

struct http1_req {
	struct http1_req *prev, *next;
	struct http1_pool *pool;
	CURL *easy;
	struct curl_slist *hdrs;
	http1_done_fn done;
	void *arg;
	unsigned char *body; /* response body, NUL-terminated */
	size_t body_len, body_cap;
	struct herald_http_header *resp_hdrs; /* names and values malloc'd together */
	size_t n_resp_hdrs;
	bool too_big, too_many_headers;
	char errbuf[CURL_ERROR_SIZE];
};

struct http1_pool {
	struct event_base *base;
	CURLM *multi;
	CURLSH *share; /* TLS sessions and DNS answers shared by the pool's transfers */
	struct event *timer;
	struct http1_req *reqs;
	struct http1_sock *socks;
	unsigned int pending, limit;
	unsigned int dispatching; /* nested dispatch loops running */
	bool dead;		  /* http1_pool_free() called */
	bool warned_size;
	char *ca_file;
	char *cert, *key; /* PEM copies; key wiped on free */
	size_t cert_len, key_len;
	uint32_t connect_timeout_ms, request_timeout_ms;
	char log_prefix[128];
};

/* --- curl <-> libevent ----------------------------------------------------------------- */

static void http1_dispatch(struct http1_pool *p);

static void http1_sock_event(evutil_socket_t fd, short what, void *arg)
{
	struct http1_pool *p = arg;
	int running, flags = 0;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(p->multi, fd, flags, &running);
	http1_dispatch(p);
}

static void http1_timer_event(evutil_socket_t fd, short what, void *arg)
{
	struct http1_pool *p = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(p->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http1_dispatch(p);
}

static void http1_sock_free(struct http1_sock *s)
{
	struct http1_pool *p = s->pool;

	if (s->prev)
		s->prev->next = s->next;
	else
		p->socks = s->next;
	if (s->next)
		s->next->prev = s->prev;
	event_free(s->ev);
	free(s);
}

static int http1_sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct http1_pool *p = userp;
	struct http1_sock *s = socketp;
	short kind = EV_PERSIST;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			curl_multi_assign(p->multi, fd, NULL);
			http1_sock_free(s);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -1;
		s->pool = p;
		s->ev = event_new(p->base, fd, kind, http1_sock_event, p);
		if (!s->ev) {
			free(s);
			return -1;
		}
		s->next = p->socks;
		if (s->next)
			s->next->prev = s;
		p->socks = s;
		curl_multi_assign(p->multi, fd, s);
	} else {
		event_del(s->ev);
		event_assign(s->ev, p->base, fd, kind, http1_sock_event, p);
	}
	return event_add(s->ev, NULL) == 0 ? 0 : -1;
}

static int http1_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct http1_pool *p = userp;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0)
		return evtimer_del(p->timer) == 0 ? 0 : -1;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(p->timer, &tv) == 0 ? 0 : -1;
}

/* --- requests -------------------------------------------------------------------------- */

static void http1_req_free(struct http1_req *r)
{
	if (r->easy)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->hdrs);
	free(r->body);
	for (size_t i = 0; i < r->n_resp_hdrs; i++)
		free((char *)r->resp_hdrs[i].name);
	free(r->resp_hdrs);
	free(r);
}

static void http1_resp_headers_clear(struct http1_req *r)
{
	for (size_t i = 0; i < r->n_resp_hdrs; i++)
		free((char *)r->resp_hdrs[i].name);
	r->n_resp_hdrs = 0;
}

/* One response header line (curl gives them one at a time, with their CRLF). */
static size_t http1_header_cb(char *buf, size_t size, size_t n, void *userp)
{
	struct http1_req *r = userp;
	size_t len = size * n, name_len, vstart, vend;
	char *copy;

	if (len >= 5 && !memcmp(buf, "HTTP/", 5)) {
		/* A new response (after a 1xx): only the final one's headers count. */
		http1_resp_headers_clear(r);
		return len;
	}
	vend = len;
	while (vend > 0 && (buf[vend - 1] == '\r' || buf[vend - 1] == '\n'))
		vend--;
	if (vend == 0 || buf[0] == ' ' || buf[0] == '\t')
		return len; /* the blank line ending the headers, or obsolete folding */
	if (vend > HTTP1_HEADER_LINE_MAX)
		return len;
	for (name_len = 0; name_len < vend && buf[name_len] != ':'; name_len++)
		;
	if (name_len == 0 || name_len == vend)
		return len; /* not "name: value": ignored */
	if (r->n_resp_hdrs >= HTTP1_HEADERS_MAX) {
		r->too_many_headers = true;
		return 0;
	}
	vstart = name_len + 1;
	while (vstart < vend && (buf[vstart] == ' ' || buf[vstart] == '\t'))
		vstart++;
	while (vend > vstart && (buf[vend - 1] == ' ' || buf[vend - 1] == '\t'))
		vend--;
	if (!r->resp_hdrs) {
		r->resp_hdrs = calloc(HTTP1_HEADERS_MAX, sizeof(*r->resp_hdrs));
		if (!r->resp_hdrs)
			return 0;
	}
	copy = malloc(name_len + 1 + (vend - vstart) + 1);
	if (!copy)
		return 0;
	for (size_t i = 0; i < name_len; i++)
		copy[i] = (char)tolower((unsigned char)buf[i]);
	copy[name_len] = '\0';
	memcpy(copy + name_len + 1, buf + vstart, vend - vstart);
	copy[name_len + 1 + (vend - vstart)] = '\0';
	r->resp_hdrs[r->n_resp_hdrs].name = copy;
	r->resp_hdrs[r->n_resp_hdrs].value = copy + name_len + 1;
	r->n_resp_hdrs++;
	return len;
}

static size_t http1_write_cb(char *buf, size_t size, size_t n, void *userp)
{
	struct http1_req *r = userp;
	size_t len = size * n;

	if (len > HTTP1_BODY_MAX - r->body_len) {
		r->too_big = true;
		return 0;
	}
	if (r->body_len + len + 1 > r->body_cap) {
		size_t cap = r->body_cap ? r->body_cap : 4096;
		unsigned char *b;

		while (cap < r->body_len + len + 1)
			cap *= 2;
		if (cap > HTTP1_BODY_MAX + 1)
			cap = HTTP1_BODY_MAX + 1;
		b = realloc(r->body, cap);
		if (!b)
			return 0;
		r->body = b;
		r->body_cap = cap;
	}
	memcpy(r->body + r->body_len, buf, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return len;
}

static bool http1_connect_failure(CURLcode rc)
{
	return rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY ||
	       rc == CURLE_COULDNT_CONNECT;
}

static bool http1_tls_failure(CURLcode rc)
{
	return rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
	       rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CACERT_BADFILE ||
	       rc == CURLE_SSL_CIPHER || rc == CURLE_SSL_ISSUER_ERROR ||
	       rc == CURLE_SSL_CRL_BADFILE || rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH ||
	       rc == CURLE_SSL_INVALIDCERTSTATUS || rc == CURLE_SSL_ENGINE_INITFAILED ||
	       rc == CURLE_USE_SSL_FAILED;
}

/* What failed, for res.error: "connect: ...", "TLS: ...", "timeout: ...", "reset: ...". */
static void http1_error_text(struct http1_req *r, CURLcode rc, char *out, size_t out_size)
{
	const char *detail = r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc);
	const char *kind = "HTTP";

	if (r->too_big) {
		snprintf(out, out_size, "response body larger than %u bytes", HTTP1_BODY_MAX);
		return;
	}
	if (r->too_many_headers) {
		snprintf(out, out_size, "more than %u response headers", HTTP1_HEADERS_MAX);
		return;
	}
	if (http1_connect_failure(rc))
		kind = "connect";
	else if (http1_tls_failure(rc))
		kind = "TLS";
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		kind = "timeout";
	else if (rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING ||
		 rc == CURLE_PARTIAL_FILE)
		kind = "reset";
	snprintf(out, out_size, "%s: %s", kind, detail);
}

/*
 * Take r out of its pool and answer it: the transfer ended with rc, or
 * cancel is the reason it was stopped.  Frees r.
 */
static void http1_finish(struct http1_req *r, CURLcode rc, const char *cancel)
{
	struct http1_pool *p = r->pool;
	struct herald_http_response res = {.size = sizeof(res)};
	char error[CURL_ERROR_SIZE + 64];
	curl_off_t sent = 0;
	long status = 0;

	curl_multi_remove_handle(p->multi, r->easy);
	if (r->prev)
		r->prev->next = r->next;
	else
		p->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	p->pending--;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(r->easy, CURLINFO_REQUEST_SIZE, &sent);
	if (!cancel && rc == CURLE_OK && status > 0) {
		res.status = (int)status;
		res.headers = r->resp_hdrs;
		res.n_headers = r->n_resp_hdrs;
		res.body = r->body ? r->body : (const unsigned char *)"";
		res.body_len = r->body_len;
	} else {
		if (cancel)
			snprintf(error, sizeof(error), "%s", cancel);
		else
			http1_error_text(r, rc, error, sizeof(error));
		if (r->too_big && !p->warned_size) {
			log_warning("%s a response was dropped: body larger than %u bytes",
				    p->log_prefix, HTTP1_BODY_MAX);
			p->warned_size = true;
		}
		res.error = error;
		res.body = (const unsigned char *)"";
		res.unprocessed = sent == 0 ||
				  (!cancel && (http1_connect_failure(rc) || http1_tls_failure(rc)));
	}
	r->done(r->arg, &res);
	http1_req_free(r);
}

static void http1_destroy(struct http1_pool *p)
{
	curl_multi_cleanup(p->multi);
	curl_share_cleanup(p->share);
	while (p->socks)
		http1_sock_free(p->socks);
	event_free(p->timer);
	free(p->ca_file);
	free(p->cert);
	if (p->key)
		OPENSSL_clear_free(p->key, p->key_len);
	free(p);
}

/* Answer every transfer curl finished. */
static void http1_dispatch(struct http1_pool *p)
{
	CURLMsg *m;
	int left;

	p->dispatching++;
	while (!p->dead && (m = curl_multi_info_read(p->multi, &left))) {
		struct http1_req *r = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		http1_finish(r, m->data.result, NULL);
	}
	p->dispatching--;
	if (p->dead && !p->dispatching)
		http1_destroy(p);
}

/* An HTTP token (RFC 9110 tchar), 1 to 32 bytes: methods. */
static bool http1_token_ok(const char *s, size_t max)
{
	size_t n = s ? strnlen(s, max + 1) : 0;

	return n > 0 && n <= max &&
	       strspn(s,
		      "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") ==
		       n;
}

/* Append "name: value" for one request header; HERALD_EINVAL if it is not allowed. */
static int http1_add_header(struct http1_req *r, const struct herald_http_header *h)
{
	struct curl_slist *l;
	char *line;
	size_t nl, vl;

	if (!h->name || !h->value || !http1_token_ok(h->name, 256))
		return HERALD_EINVAL;
	if (!strcasecmp(h->name, "host") || !strcasecmp(h->name, "content-length") ||
	    !strcasecmp(h->name, "transfer-encoding"))
		return HERALD_EINVAL;
	vl = strnlen(h->value, HTTP1_HEADER_LINE_MAX + 1);
	if (vl > HTTP1_HEADER_LINE_MAX || strcspn(h->value, "\r\n") != vl)
		return HERALD_EINVAL;
	nl = strlen(h->name);
	line = malloc(nl + 2 + vl + 1);
	if (!line)
		return HERALD_ENOMEM;
	/* "name;" is curl's way to send a header with an empty value. */
	if (vl)
		snprintf(line, nl + 2 + vl + 1, "%s: %s", h->name, h->value);
	else
		snprintf(line, nl + 2, "%s;", h->name);
	l = curl_slist_append(r->hdrs, line);
	free(line);
	if (!l)
		return HERALD_ENOMEM;
	r->hdrs = l;
	return 0;
}

/* Configure r->easy for req; 0 or HERALD_E*. */
static int http1_setup(struct http1_pool *p, struct http1_req *r,
		       const struct herald_http_request *req)
{
	CURL *e = r->easy;
	uint32_t timeout = req->timeout_ms ? req->timeout_ms : p->request_timeout_ms;
	struct curl_blob blob;
	int rc;

	for (size_t i = 0; i < req->n_headers; i++)
		if ((rc = http1_add_header(r, &req->headers[i])) < 0)
			return rc;
	/* No "Expect: 100-continue" round trip before a body. */
	if (!(r->hdrs = curl_slist_append(r->hdrs, "Expect:")))
		return HERALD_ENOMEM;
	if (curl_easy_setopt(e, CURLOPT_URL, req->url) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK)
		return HERALD_EINVAL;
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)r);
	curl_easy_setopt(e, CURLOPT_SHARE, p->share);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http1_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http1_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)p->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	if (p->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, p->ca_file);
	if (p->cert) {
		blob = (struct curl_blob){p->cert, p->cert_len, CURL_BLOB_NOCOPY};
		curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &blob);
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
		blob = (struct curl_blob){p->key, p->key_len, CURL_BLOB_NOCOPY};
		curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &blob);
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (!strcmp(req->method, "GET") && !req->body_len) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
		return 0;
	}
	if (!strcmp(req->method, "HEAD")) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
		return 0;
	}
	if (strcmp(req->method, "POST") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
	if (req->body_len || !strcmp(req->method, "POST")) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		if (curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS,
				     req->body_len ? (const char *)req->body : "") != CURLE_OK)
			return HERALD_ENOMEM;
	}
	return 0;
}

int http1_request(struct http1_pool *p, const struct herald_http_request *in, http1_done_fn done,
		  void *arg)
{
	struct herald_http_request req = {0};
	struct http1_req *r;
	int rc;

	if (!p || !in || !done || in->size < offsetof(struct herald_http_request, timeout_ms))
		return HERALD_EINVAL;
	memcpy(&req, in, in->size < sizeof(req) ? in->size : sizeof(req));
	if (!req.url || strnlen(req.url, HTTP1_URL_MAX + 1) > HTTP1_URL_MAX ||
	    (strncmp(req.url, "http://", 7) != 0 && strncmp(req.url, "https://", 8) != 0) ||
	    strcspn(req.url, "\r\n ") != strlen(req.url) || !http1_token_ok(req.method, 32) ||
	    (req.body_len && !req.body) || (req.n_headers && !req.headers))
		return HERALD_EINVAL;
	if (p->dead || p->pending >= p->limit)
		return HERALD_EAGAIN;
	r = calloc(1, sizeof(*r));
	if (!r)
		return HERALD_ENOMEM;
	r->pool = p;
	r->done = done;
	r->arg = arg;
	r->easy = curl_easy_init();
	if (!r->easy) {
		rc = HERALD_ENOMEM;
		goto fail;
	}
	rc = http1_setup(p, r, &req);
	if (rc < 0)
		goto fail;
	if (curl_multi_add_handle(p->multi, r->easy) != CURLM_OK) {
		rc = HERALD_ENOMEM;
		goto fail;
	}
	r->next = p->reqs;
	if (r->next)
		r->next->prev = r;
	p->reqs = r;
	p->pending++;
	return 0;
fail:
	http1_req_free(r);
	return rc;
}

unsigned int http1_pending(const struct http1_pool *p)
{
	return p->pending;
}

/* --- pools ----------------------------------------------------------------------------- */

/* Does ca_file hold at least one PEM certificate?  0, or -1 with err filled. */
static int http1_check_ca(const char *ca_file, char *err, size_t err_size)
{
	BIO *bio = BIO_new_file(ca_file, "r");
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	int rc = x ? 0 : -1;

	if (!bio)
		snprintf(err, err_size, "CA file %s cannot be read", ca_file);
	else if (!x)
		snprintf(err, err_size, "CA file %s holds no PEM certificate", ca_file);
	X509_free(x);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

/* Do cert and key parse as PEM, and does the key match the certificate? */
static int http1_check_client_cert(const struct herald_http_pool_config *cfg, char *err,
				   size_t err_size)
{
	BIO *cb = NULL, *kb = NULL;
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	int rc = -1;

	if (!cfg->client_cert || !cfg->client_cert_len || !cfg->client_key ||
	    !cfg->client_key_len || cfg->client_cert_len > INT_MAX ||
	    cfg->client_key_len > INT_MAX) {
		snprintf(err, err_size,
			 "a client certificate needs both the certificate and its key");
		return -1;
	}
	cb = BIO_new_mem_buf(cfg->client_cert, (int)cfg->client_cert_len);
	kb = BIO_new_mem_buf(cfg->client_key, (int)cfg->client_key_len);
	if (!cb || !kb) {
		snprintf(err, err_size, "out of memory");
		goto out;
	}
	if (!(x = PEM_read_bio_X509(cb, NULL, NULL, NULL))) {
		snprintf(err, err_size, "the client certificate is not a PEM certificate");
		goto out;
	}
	/* The passphrase "": never a prompt on the terminal for an encrypted key. */
	if (!(k = PEM_read_bio_PrivateKey(kb, NULL, NULL, (void *)""))) {
		snprintf(err, err_size, "the client key is not an unencrypted PEM private key");
		goto out;
	}
	if (X509_check_private_key(x, k) != 1) {
		snprintf(err, err_size, "the client key does not match the client certificate");
		goto out;
	}
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(k);
	BIO_free(cb);
	BIO_free(kb);
	ERR_clear_error();
	return rc;
}

struct http1_pool *http1_pool_new(struct event_base *base, const struct herald_http_pool_config *in,
				  const char *default_ca, const char *log_prefix, char *err,
				  size_t err_size)
{
	static bool curl_ready;
	struct herald_http_pool_config cfg = {0};
	struct http1_pool *p;
	const char *ca;

	if (!in || in->size < offsetof(struct herald_http_pool_config, max_connections)) {
		snprintf(err, err_size, "pool configuration missing or too small");
		return NULL;
	}
	memcpy(&cfg, in, in->size < sizeof(cfg) ? in->size : sizeof(cfg));
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			snprintf(err, err_size, "libcurl cannot be initialised");
			return NULL;
		}
		curl_ready = true;
	}
	ca = cfg.ca_file ? cfg.ca_file : default_ca;
	if (ca && http1_check_ca(ca, err, err_size) < 0)
		return NULL;
	if ((cfg.client_cert || cfg.client_key) && http1_check_client_cert(&cfg, err, err_size) < 0)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	p->base = base;
	snprintf(p->log_prefix, sizeof(p->log_prefix), "%s", log_prefix ? log_prefix : "[http]");
	p->connect_timeout_ms =
		cfg.connect_timeout_ms ? cfg.connect_timeout_ms : HTTP1_CONNECT_TIMEOUT_DEF;
	p->request_timeout_ms =
		cfg.request_timeout_ms ? cfg.request_timeout_ms : HTTP1_REQUEST_TIMEOUT_DEF;
	p->limit = (cfg.max_connections ? cfg.max_connections : HTTP1_CONNECTIONS_DEF) +
		   (cfg.max_queued ? cfg.max_queued : HTTP1_QUEUED_DEF);
	p->multi = curl_multi_init();
	p->share = curl_share_init();
	p->timer = evtimer_new(base, http1_timer_event, p);
	if (!p->multi || !p->share || !p->timer || (ca && !(p->ca_file = strdup(ca))))
		goto oom;
	/* One thread: no lock functions.  A new connection resumes an earlier TLS session. */
	curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	if (cfg.client_cert) {
		p->cert = util_memdup(cfg.client_cert, cfg.client_cert_len);
		p->key = util_memdup(cfg.client_key, cfg.client_key_len);
		p->cert_len = cfg.client_cert_len;
		p->key_len = cfg.client_key_len;
		if (!p->cert || !p->key)
			goto oom;
	}
	curl_multi_setopt(p->multi, CURLMOPT_SOCKETFUNCTION, http1_sock_cb);
	curl_multi_setopt(p->multi, CURLMOPT_SOCKETDATA, p);
	curl_multi_setopt(p->multi, CURLMOPT_TIMERFUNCTION, http1_timer_cb);
	curl_multi_setopt(p->multi, CURLMOPT_TIMERDATA, p);
	curl_multi_setopt(
		p->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
		(long)(cfg.max_connections ? cfg.max_connections : HTTP1_CONNECTIONS_DEF));
	return p;
oom:
	snprintf(err, err_size, "out of memory");
	if (p->multi)
		curl_multi_cleanup(p->multi);
	if (p->share)
		curl_share_cleanup(p->share);
	if (p->timer)
		event_free(p->timer);
	free(p->ca_file);
	free(p->cert);
	if (p->key)
		OPENSSL_clear_free(p->key, p->key_len);
	free(p);
	return NULL;
}

void http1_pool_free(struct http1_pool *p)
{
	if (!p || p->dead)
		return;
	p->dead = true;
	while (p->reqs)
		http1_finish(p->reqs, CURLE_OK, "cancelled");
	if (!p->dispatching)
		http1_destroy(p);
}
