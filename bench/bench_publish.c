/*
 * bench_publish: publish acknowledgement rate and latency through the native
 * protocol.  Creates a topic, then publishes N messages keeping W requests in
 * flight (pipelined with herald_send/herald_recv), and prints one line:
 *
 *   publishes=N window=W seconds=S rate=R/s p50_us=.. p99_us=.. max_us=..
 *
 * Latency is from herald_send() to the matching herald_recv(), so it includes
 * the durable group commit.  Run it through bench/run.sh, which compares
 * durability "full" with "process" in the same run.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <herald/client.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	const char *socket_path = argc > 1 ? argv[1] : NULL;
	unsigned int n = argc > 2 ? (unsigned int)strtoul(argv[2], NULL, 10) : 20000;
	unsigned int window = argc > 3 ? (unsigned int)strtoul(argv[3], NULL, 10) : 64;
	struct herald_error err;
	struct herald *h;
	char *topic = NULL, args[512];
	double *lat, t0, t1;
	struct {
		uint32_t id;
		double sent;
	} * slot;
	unsigned int done = 0, next = 0;
	int rc = 1;

	if (n == 0 || window == 0) {
		fprintf(stderr, "usage: bench_publish [SOCKET] [N>0] [WINDOW>0]\n");
		return 2;
	}
	h = herald_connect(socket_path, &err);
	if (!h) {
		fprintf(stderr, "bench_publish: %s\n", err.message);
		return 1;
	}
	slot = calloc(window, sizeof(*slot));
	lat = calloc(n, sizeof(*lat));
	if (!slot || !lat)
		goto out;
	if (herald_create_topic(h, "bench-publish", &topic, &err) != 0) {
		fprintf(stderr, "bench_publish: CreateTopic: %s: %s\n", err.code, err.message);
		goto out;
	}
	snprintf(args, sizeof(args), "{\"TopicArn\":\"%s\",\"Message\":\"benchmark message\"}",
		 topic);
	t0 = now_us();
	while (done < n) {
		uint32_t id;
		unsigned int k;

		/* Keep window requests in flight; slot k holds a free or pending request. */
		for (k = 0; k < window && next < n; k++) {
			if (slot[k].sent != 0)
				continue;
			if (herald_send(h, "Publish", args, &slot[k].id, &err) != 0) {
				fprintf(stderr, "bench_publish: send: %s\n", err.message);
				goto out;
			}
			slot[k].sent = now_us();
			next++;
		}
		if (herald_recv(h, &id, NULL, &err) != 0) {
			fprintf(stderr, "bench_publish: %s: %s\n", err.code, err.message);
			goto out;
		}
		for (k = 0; k < window && !(slot[k].sent != 0 && slot[k].id == id); k++)
			;
		if (k == window) {
			fprintf(stderr, "bench_publish: answer to unknown request %u\n", id);
			goto out;
		}
		lat[done++] = now_us() - slot[k].sent;
		slot[k].sent = 0;
	}
	t1 = now_us();
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("publishes=%u window=%u seconds=%.3f rate=%.0f/s p50_us=%.0f p99_us=%.0f "
	       "max_us=%.0f\n",
	       n, window, (t1 - t0) / 1e6, n / ((t1 - t0) / 1e6), lat[n / 2],
	       lat[(size_t)(n * 0.99)], lat[n - 1]);
	rc = 0;
out:
	herald_free(topic);
	free(slot);
	free(lat);
	herald_close(h);
	return rc;
}
