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

#include "bench/bench_util.h"

static long long delivered(struct herald *h)
{
	json_t *r = bench_call(h, "GetStats", "{}");
	long long v =
		json_integer_value(json_object_get(json_object_get(r, "Totals"), "Delivered"));

	json_decref(r);
	return v;
}

int main(int argc, char **argv)
{
	struct herald_error e;
	struct herald *h;
	json_t *endpoints;
	char *topic;
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
	t0 = bench_now_s();
	json_decref(bench_call(h, "CreatePlatformApplication",
			       "{\"Name\":\"bench\",\"Platform\":\"APNS\",\"Attributes\":{"
			       "\"PlatformCredential\":\"k\",\"PlatformPrincipal\":\"p\"}}"));
	r = bench_call(h, "CreateTopic", "{\"Name\":\"bench\"}");
	topic = strdup(json_string_value(json_object_get(r, "TopicArn")));
	json_decref(r);
	endpoints = bench_endpoints(h, "arn:aws:sns:us-east-1:000000000000:app/APNS/bench",
				    "ok-bench-", 0, n);
	bench_subscribe_all(h, topic, endpoints);
	json_decref(endpoints);
	t_setup = bench_now_s();
	/* Let the driver instance come up (the app's effect reloads the drivers). */
	sleep(1);
	rss_before = bench_proc_kib(argv[2], "VmRSS");
	base = delivered(h);
	snprintf(args, sizeof(args), "{\"TopicArn\":\"%s\",\"Message\":\"bench\"}", topic);
	t1 = bench_now_s();
	json_decref(bench_call(h, "Publish", args));
	while (delivered(h) - base < (long long)n) {
		if (bench_now_s() - t1 > 1800) {
			fprintf(stderr, "bench_fanout: not done after 30 min; giving up\n");
			return 1;
		}
		usleep(20000);
	}
	t2 = bench_now_s();
	printf("subscribers=%u setup_s=%.1f fanout_s=%.2f rate=%.0f/s rss_before_kib=%ld "
	       "rss_after_kib=%ld hwm_kib=%ld\n",
	       n, t_setup - t0, t2 - t1, n / (t2 - t1), rss_before,
	       bench_proc_kib(argv[2], "VmRSS"), bench_proc_kib(argv[2], "VmHWM"));
	free((char *)topic);
	herald_close(h);
	return 0;
}
