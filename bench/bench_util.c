/*
 * Helpers shared by the benchmark programs (see bench_util.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench_util.h"

double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long bench_proc_kib(const char *pid, const char *field)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)) && line[strlen(field)] == ':')
			v = strtol(line + strlen(field) + 1, NULL, 10);
	fclose(f);
	return v;
}

json_t *bench_call(struct herald *h, const char *op, const char *args)
{
	struct herald_error e;
	char *out = NULL;
	json_t *r;

	if (herald_call(h, op, args, &out, &e) != 0) {
		fprintf(stderr, "bench: %s: %s: %s\n", op, e.code, e.message);
		exit(1);
	}
	r = json_loads(out, 0, NULL);
	herald_free(out);
	return r;
}

void bench_pipeline(struct herald *h, const char *op, unsigned int n,
		    char *(*mk)(unsigned int i, void *arg), void *arg,
		    void (*done)(json_t *r, void *arg))
{
	struct herald_error e;
	unsigned int sent = 0, got = 0;
	uint32_t id;
	char *req, *out;

	while (got < n) {
		while (sent < n && sent - got < BENCH_WINDOW) {
			req = mk(sent, arg);
			if (herald_send(h, op, req, &id, &e) != 0) {
				fprintf(stderr, "bench: %s: %s\n", op, e.message);
				exit(1);
			}
			free(req);
			sent++;
		}
		out = NULL;
		if (herald_recv(h, &id, &out, &e) != 0) {
			fprintf(stderr, "bench: %s: %s: %s\n", op, e.code, e.message);
			exit(1);
		}
		if (done) {
			json_t *r = json_loads(out, 0, NULL);

			done(r, arg);
			json_decref(r);
		}
		herald_free(out);
		got++;
	}
}

struct bench_eps {
	const char *app_arn, *token_prefix, *topic_arn;
	int token_digits;
	json_t *arns;
};

static char *bench_mk_endpoint(unsigned int i, void *arg)
{
	struct bench_eps *b = arg;
	char token[256], *s = NULL;

	snprintf(token, sizeof(token), "%s%0*x", b->token_prefix, b->token_digits, i);
	if (asprintf(&s, "{\"PlatformApplicationArn\":\"%s\",\"Token\":\"%s\"}", b->app_arn,
		     token) < 0)
		exit(1);
	return s;
}

static void bench_got_endpoint(json_t *r, void *arg)
{
	struct bench_eps *b = arg;

	json_array_append(b->arns, json_object_get(r, "EndpointArn"));
}

json_t *bench_endpoints(struct herald *h, const char *app_arn, const char *token_prefix,
			int token_digits, unsigned int n)
{
	struct bench_eps b = {.app_arn = app_arn,
			      .token_prefix = token_prefix,
			      .token_digits = token_digits,
			      .arns = json_array()};

	if (!b.arns)
		exit(1);
	bench_pipeline(h, "CreatePlatformEndpoint", n, bench_mk_endpoint, &b, bench_got_endpoint);
	return b.arns;
}

static char *bench_mk_subscribe(unsigned int i, void *arg)
{
	struct bench_eps *b = arg;
	char *s = NULL;

	if (asprintf(&s, "{\"TopicArn\":\"%s\",\"Protocol\":\"application\",\"Endpoint\":\"%s\"}",
		     b->topic_arn, json_string_value(json_array_get(b->arns, i))) < 0)
		exit(1);
	return s;
}

void bench_subscribe_all(struct herald *h, const char *topic_arn, json_t *endpoints)
{
	struct bench_eps b = {.topic_arn = topic_arn, .arns = endpoints};

	bench_pipeline(h, "Subscribe", (unsigned int)json_array_size(endpoints), bench_mk_subscribe,
		       &b, NULL);
}
