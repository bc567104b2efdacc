/*
 * bench_e2e: end-to-end notifications/s, from publish to herald-emulator.
 * Against a running heraldd whose apns or fcm driver points at a running
 * emulator (bench/e2e.sh sets both up), it creates the application described
 * by APP_FILE (CreatePlatformApplication's arguments as JSON) and N endpoints
 * (pipelined), warms the driver up with one delivery, then either
 *
 *   direct  publishes one message to each endpoint (pipelined), or
 *   topic   subscribes the N endpoints to a topic and publishes once,
 *
 * and polls the emulator's control API (GET /v1/count) until it has received
 * N more requests for PROVIDER.  Prints one line:
 *
 *   provider=P mode=M n=N setup_s=.. publish_s=.. seconds=.. rate=R/s failed=F hwm_kib=..
 *
 * seconds runs from the first publish to the emulator's count reaching N;
 * publish_s is how long the publishes took to be acknowledged; failed is
 * GetStats' Totals.Failed; hwm_kib is heraldd's VmHWM (peak RSS, setup
 * included) from /proc/PID/status.
 *
 *   bench_e2e SOCKET PID CONTROL_PORT apns|fcm direct|topic N APP_FILE
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/bench_util.h"

/* GET path from the control API on 127.0.0.1:port; the JSON body, or NULL. */
static json_t *control_get(unsigned short port, const char *path)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	char buf[8192];
	size_t len = 0;
	ssize_t r;
	char *body;
	int fd;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("bench_e2e: the emulator's control port");
		exit(1);
	}
	len = (size_t)snprintf(buf, sizeof(buf),
			       "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
			       path);
	if (write(fd, buf, len) != (ssize_t)len) {
		perror("bench_e2e: control API");
		exit(1);
	}
	len = 0;
	while (len < sizeof(buf) - 1 && (r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)r;
	close(fd);
	buf[len] = '\0';
	body = strstr(buf, "\r\n\r\n");
	return body ? json_loads(body + 4, 0, NULL) : NULL;
}

/* Requests the emulator has received for provider since its start. */
static long long received(unsigned short port, const char *provider)
{
	json_t *c = control_get(port, "/v1/count");
	long long v;

	if (!c) {
		fprintf(stderr, "bench_e2e: the control API's /v1/count did not answer JSON\n");
		exit(1);
	}
	v = json_integer_value(json_object_get(c, provider));
	json_decref(c);
	return v;
}

/* Wait until the emulator has received target requests for provider. */
static void wait_received(unsigned short port, const char *provider, long long target)
{
	double t0 = bench_now_s();

	while (received(port, provider) < target) {
		if (bench_now_s() - t0 > 1800) {
			fprintf(stderr, "bench_e2e: not delivered after 30 min; giving up\n");
			exit(1);
		}
		usleep(5000);
	}
}

struct publishes {
	json_t *endpoints;
};

static char *mk_publish(unsigned int i, void *arg)
{
	struct publishes *p = arg;
	char *s = NULL;

	if (asprintf(&s, "{\"TargetArn\":\"%s\",\"Message\":\"bench %u\"}",
		     json_string_value(json_array_get(p->endpoints, i)), i) < 0)
		exit(1);
	return s;
}

static long long stat_total(struct herald *h, const char *name)
{
	json_t *r = bench_call(h, "GetStats", "{}");
	long long v = json_integer_value(json_object_get(json_object_get(r, "Totals"), name));

	json_decref(r);
	return v;
}

int main(int argc, char **argv)
{
	struct herald_error e;
	struct herald *h;
	struct publishes p;
	unsigned short port;
	const char *provider, *mode, *token_prefix;
	unsigned int n;
	double t0, t_setup, t1, t_acked, t2;
	long long base;
	char *app_args, *app_arn, *topic = NULL, args[1024];
	json_t *r;

	if (argc != 8 || (strcmp(argv[4], "apns") && strcmp(argv[4], "fcm")) ||
	    (strcmp(argv[5], "direct") && strcmp(argv[5], "topic"))) {
		fprintf(stderr, "usage: bench_e2e SOCKET PID CONTROL_PORT apns|fcm direct|topic N "
				"APP_FILE\n");
		return 2;
	}
	port = (unsigned short)strtoul(argv[3], NULL, 10);
	provider = argv[4];
	mode = argv[5];
	n = (unsigned int)strtoul(argv[6], NULL, 10);
	/* APNs device tokens are 64 hex digits; FCM's are opaque. */
	token_prefix = !strcmp(provider, "apns") ? "" : "bench-fcm-token-";
	r = json_load_file(argv[7], 0, NULL);
	app_args = r ? json_dumps(r, JSON_COMPACT) : NULL;
	json_decref(r);
	if (!app_args || n == 0) {
		fprintf(stderr, "bench_e2e: %s is not JSON, or N is 0\n", argv[7]);
		return 2;
	}
	h = herald_connect(argv[1], &e);
	if (!h) {
		fprintf(stderr, "bench_e2e: %s\n", e.message);
		return 1;
	}

	t0 = bench_now_s();
	r = bench_call(h, "CreatePlatformApplication", app_args);
	app_arn = strdup(json_string_value(json_object_get(r, "PlatformApplicationArn")));
	json_decref(r);
	free(app_args);
	if (!app_arn) {
		fprintf(stderr, "bench_e2e: CreatePlatformApplication returned no ARN\n");
		return 1;
	}
	p.endpoints =
		bench_endpoints(h, app_arn, token_prefix, !strcmp(provider, "apns") ? 64 : 8, n);
	if (!strcmp(mode, "topic")) {
		r = bench_call(h, "CreateTopic", "{\"Name\":\"bench-e2e\"}");
		topic = strdup(json_string_value(json_object_get(r, "TopicArn")));
		json_decref(r);
		bench_subscribe_all(h, topic, p.endpoints);
	}
	t_setup = bench_now_s();

	/* Warm-up: the driver instance, its connection, the provider token. */
	base = received(port, provider);
	app_args = mk_publish(0, &p);
	json_decref(bench_call(h, "Publish", app_args));
	free(app_args);
	wait_received(port, provider, base + 1);

	base = received(port, provider);
	t1 = bench_now_s();
	if (topic) {
		snprintf(args, sizeof(args), "{\"TopicArn\":\"%s\",\"Message\":\"bench\"}", topic);
		json_decref(bench_call(h, "Publish", args));
	} else {
		bench_pipeline(h, "Publish", n, mk_publish, &p, NULL);
	}
	t_acked = bench_now_s();
	wait_received(port, provider, base + n);
	t2 = bench_now_s();
	printf("provider=%s mode=%s n=%u setup_s=%.1f publish_s=%.2f seconds=%.2f rate=%.0f/s "
	       "failed=%lld hwm_kib=%ld\n",
	       provider, mode, n, t_setup - t0, t_acked - t1, t2 - t1, n / (t2 - t1),
	       stat_total(h, "Failed"), bench_proc_kib(argv[2], "VmHWM"));
	json_decref(p.endpoints);
	free(topic);
	free(app_arn);
	herald_close(h);
	return 0;
}
