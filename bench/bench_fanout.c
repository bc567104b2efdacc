/*
 * bench_fanout: topic fan-out rate and heraldd's memory.  Against a running
 * heraldd whose drivers include the scripted test driver (bench/fanout.sh
 * sets that up), it creates an APNS application, a topic and N subscribed
 * endpoints (pipelined), publishes one message to the topic and waits until
 * GetStats counts N more deliveries, then prints one line:
 *
 *   subscribers=N setup_s=.. fanout_s=.. rate=R/s rss_before_kib=.. rss_after_kib=.. hwm_kib=..
 *
 * rss_* and hwm (VmHWM, the peak) are read from /proc/PID/status of the
 * daemon whose pid is given; hwm includes the setup (creating N endpoints).
 *
 *   bench_fanout SOCKET PID [N]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <herald/client.h>
#include <jansson.h>

#define BENCH_WINDOW 512

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A field (kB) of /proc/PID/status, or -1. */
static long proc_kib(const char *pid, const char *field)
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

static json_t *call(struct herald *h, const char *op, const char *args)
{
	struct herald_error e;
	char *out = NULL;
	json_t *r;

	if (herald_call(h, op, args, &out, &e) != 0) {
		fprintf(stderr, "bench_fanout: %s: %s: %s\n", op, e.code, e.message);
		exit(1);
	}
	r = json_loads(out, 0, NULL);
	herald_free(out);
	return r;
}

/* Run n requests made by mk(i) pipelined; done(i, result) for each answer. */
static void pipeline(struct herald *h, const char *op, unsigned int n,
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
				fprintf(stderr, "bench_fanout: %s: %s\n", op, e.message);
				exit(1);
			}
			free(req);
			sent++;
		}
		out = NULL;
		if (herald_recv(h, &id, &out, &e) != 0) {
			fprintf(stderr, "bench_fanout: %s: %s: %s\n", op, e.code, e.message);
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

struct bench {
	const char *topic;
	json_t *endpoints; /* ARNs in answer order */
};

static char *mk_endpoint(unsigned int i, void *arg)
{
	char *s = NULL;

	(void)arg;
	if (asprintf(&s,
		     "{\"PlatformApplicationArn\":\"arn:aws:sns:us-east-1:000000000000:app/APNS/"
		     "bench\",\"Token\":\"ok-bench-%u\"}",
		     i) < 0)
		exit(1);
	return s;
}

static void got_endpoint(json_t *r, void *arg)
{
	struct bench *b = arg;

	json_array_append(b->endpoints, json_object_get(r, "EndpointArn"));
}

static char *mk_subscribe(unsigned int i, void *arg)
{
	struct bench *b = arg;
	char *s = NULL;

	if (asprintf(&s, "{\"TopicArn\":\"%s\",\"Protocol\":\"application\",\"Endpoint\":\"%s\"}",
		     b->topic, json_string_value(json_array_get(b->endpoints, i))) < 0)
		exit(1);
	return s;
}

static long long delivered(struct herald *h)
{
	json_t *r = call(h, "GetStats", "{}");
	long long v =
		json_integer_value(json_object_get(json_object_get(r, "Totals"), "Delivered"));

	json_decref(r);
	return v;
}

int main(int argc, char **argv)
{
	struct herald_error e;
	struct herald *h;
	struct bench b = {0};
	unsigned int n;
	double t0, t_setup, t1, t2;
	long long base;
	long rss_before;
	char args[512];
	json_t *r;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_fanout SOCKET PID [N]\n");
		return 2;
	}
	n = argc > 3 ? (unsigned int)strtoul(argv[3], NULL, 10) : 100000;
	h = herald_connect(argv[1], &e);
	if (!h) {
		fprintf(stderr, "bench_fanout: %s\n", e.message);
		return 1;
	}
	t0 = now_s();
	json_decref(call(h, "CreatePlatformApplication",
			 "{\"Name\":\"bench\",\"Platform\":\"APNS\",\"Attributes\":{"
			 "\"PlatformCredential\":\"k\",\"PlatformPrincipal\":\"p\"}}"));
	r = call(h, "CreateTopic", "{\"Name\":\"bench\"}");
	b.topic = strdup(json_string_value(json_object_get(r, "TopicArn")));
	json_decref(r);
	b.endpoints = json_array();
	pipeline(h, "CreatePlatformEndpoint", n, mk_endpoint, &b, got_endpoint);
	pipeline(h, "Subscribe", n, mk_subscribe, &b, NULL);
	json_decref(b.endpoints);
	t_setup = now_s();
	/* Let the driver instance come up (the app's effect reloads the drivers). */
	sleep(1);
	rss_before = proc_kib(argv[2], "VmRSS");
	base = delivered(h);
	snprintf(args, sizeof(args), "{\"TopicArn\":\"%s\",\"Message\":\"bench\"}", b.topic);
	t1 = now_s();
	json_decref(call(h, "Publish", args));
	while (delivered(h) - base < (long long)n) {
		if (now_s() - t1 > 1800) {
			fprintf(stderr, "bench_fanout: not done after 30 min; giving up\n");
			return 1;
		}
		usleep(20000);
	}
	t2 = now_s();
	printf("subscribers=%u setup_s=%.1f fanout_s=%.2f rate=%.0f/s rss_before_kib=%ld "
	       "rss_after_kib=%ld hwm_kib=%ld\n",
	       n, t_setup - t0, t2 - t1, n / (t2 - t1), rss_before, proc_kib(argv[2], "VmRSS"),
	       proc_kib(argv[2], "VmHWM"));
	free((char *)b.topic);
	herald_close(h);
	return 0;
}
