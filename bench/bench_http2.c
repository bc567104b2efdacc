/*
 * bench_http2: requests per second through the broker's HTTP/2 pool
 * (broker/http2.c) against one https URL, keeping M requests in flight:
 *
 *   bench_http2 [-n N] [-m M] [-c CONNS] [-d BODY_BYTES] [-X METHOD] [-H 'name: value']...
 *               [--ca FILE] [--cert FILE --key FILE] URL
 *
 * Prints one line: requests=N inflight=M connections=C seconds=S rate=R/s
 * ok=.. failed=.. (and the first failure).  Run it through bench/http2.sh,
 * which measures h2load against the same server in the same run.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "broker/http2.h"
#include "common/log.h"

#define MAX_HEADERS 16

struct bench {
	struct event_base *base;
	struct http2_pool *pool;
	struct herald_http_request req;
	unsigned long n, sent, done, ok, failed;
	char first_error[256];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_done(void *arg, const struct herald_http_response *res);

static void send_one(struct bench *b)
{
	int rc = http2_request(b->pool, &b->req, on_done, b);

	if (rc != 0) {
		fprintf(stderr, "bench_http2: http2_request: %d\n", rc);
		exit(1);
	}
	b->sent++;
}

static void on_done(void *arg, const struct herald_http_response *res)
{
	struct bench *b = arg;

	b->done++;
	if (res->status >= 200 && res->status < 300) {
		b->ok++;
	} else {
		if (!b->failed++)
			snprintf(b->first_error, sizeof(b->first_error), "status %d %s",
				 res->status, res->error ? res->error : "");
	}
	if (b->sent < b->n)
		send_one(b);
	else if (b->done == b->n)
		event_base_loopbreak(b->base);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    !(buf = malloc((size_t)n + 1)) || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "bench_http2: cannot read %s\n", path);
		exit(2);
	}
	buf[n] = '\0';
	*len = (size_t)n;
	fclose(f);
	return buf;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_http2 [-n N] [-m INFLIGHT] [-c CONNS] [-d BODY_BYTES] "
			"[-X METHOD] [-H 'name: value']... [--ca FILE] [--cert FILE --key FILE] "
			"URL\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct bench b = {.n = 100000};
	struct herald_http_pool_config cfg = {.size = sizeof(cfg), .version = HERALD_HTTP_2};
	struct herald_http_header headers[MAX_HEADERS];
	unsigned long inflight = 100, body_len = 0;
	const char *url = NULL, *method = NULL;
	char origin[256], err[256], *slash, *body = NULL;
	size_t n_headers = 0;
	unsigned long total;
	double t0, t;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (a[0] != '-') {
			url = a;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "-n"))
			b.n = strtoul(v, NULL, 10);
		else if (!strcmp(a, "-m"))
			inflight = strtoul(v, NULL, 10);
		else if (!strcmp(a, "-c"))
			cfg.max_connections = (unsigned int)strtoul(v, NULL, 10);
		else if (!strcmp(a, "-d"))
			body_len = strtoul(v, NULL, 10);
		else if (!strcmp(a, "-X"))
			method = v;
		else if (!strcmp(a, "--ca"))
			cfg.ca_file = v;
		else if (!strcmp(a, "--cert"))
			cfg.client_cert = slurp(v, &cfg.client_cert_len);
		else if (!strcmp(a, "--key"))
			cfg.client_key = slurp(v, &cfg.client_key_len);
		else if (!strcmp(a, "-H") && n_headers < MAX_HEADERS) {
			char *h = strdup(v), *colon = strchr(h, ':');

			if (!colon)
				usage();
			*colon++ = '\0';
			while (*colon == ' ')
				colon++;
			headers[n_headers++] = (struct herald_http_header){h, colon};
		} else
			usage();
	}
	if (!url || strncmp(url, "https://", 8) != 0 || !b.n || !inflight)
		usage();
	snprintf(origin, sizeof(origin), "%s", url);
	slash = strchr(origin + 8, '/');
	if (slash)
		*slash = '\0';
	cfg.origin = origin;
	cfg.max_queued = (unsigned int)(inflight + 1);
	log_set_level(LOG_WARNING);

	if (body_len) {
		body = malloc(body_len);
		memset(body, 'x', body_len);
	}
	b.req = (struct herald_http_request){
		.size = sizeof(b.req),
		.method = method     ? method
			  : body_len ? "POST"
				     : "GET",
		.url = url,
		.headers = headers,
		.n_headers = n_headers,
		.body = body,
		.body_len = body_len,
	};
	b.base = event_base_new();
	b.pool = http2_pool_new(b.base, &cfg, NULL, "[bench]", err, sizeof(err));
	if (!b.pool) {
		fprintf(stderr, "bench_http2: %s\n", err);
		return 1;
	}
	/* Warm up: one request opens the connection (and measures nothing). */
	total = b.n;
	b.n = 1;
	send_one(&b);
	while (b.done < 1)
		event_base_loop(b.base, EVLOOP_ONCE);
	if (b.failed) {
		fprintf(stderr, "bench_http2: %s\n", b.first_error);
		return 1;
	}
	b.n = total;
	b.sent = b.done = b.ok = 0;
	t0 = now_s();
	for (unsigned long i = 0; i < inflight && b.sent < b.n; i++)
		send_one(&b);
	event_base_dispatch(b.base);
	t = now_s() - t0;
	printf("requests=%lu inflight=%lu connections=%u seconds=%.3f rate=%.0f/s ok=%lu "
	       "failed=%lu%s%s\n",
	       b.n, inflight, cfg.max_connections ? cfg.max_connections : 1, t, (double)b.n / t,
	       b.ok, b.failed, b.failed ? " first: " : "", b.first_error);
	http2_pool_free(b.pool);
	event_base_free(b.base);
	for (size_t i = 0; i < n_headers; i++)
		free((char *)headers[i].name);
	free(body);
	free((char *)cfg.client_cert);
	free((char *)cfg.client_key);
	return b.failed ? 1 : 0;
}
