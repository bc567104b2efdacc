/*
 * Helpers shared by the benchmark programs that drive heraldd through
 * libherald: a clock, /proc figures of the daemon, one call, and a pipelined
 * run of many requests.  Every failure prints the operation and the error and
 * exits the program (a benchmark has nothing to recover).
 *
 * Threading: single-threaded programs only.
 */
#ifndef HERALD_BENCH_UTIL_H
#define HERALD_BENCH_UTIL_H

#include <herald/client.h>
#include <jansson.h>

/* Requests kept in flight by bench_pipeline. */
#define BENCH_WINDOW 512

/* CLOCK_MONOTONIC in seconds. */
double bench_now_s(void);

/* A field in kB of /proc/PID/status (e.g. "VmHWM"), or -1. */
long bench_proc_kib(const char *pid, const char *field);

/* The result of op(args), parsed; the caller owns it (json_decref). */
json_t *bench_call(struct herald *h, const char *op, const char *args);

/*
 * Run n requests op(mk(i, arg)) keeping BENCH_WINDOW in flight; mk returns a
 * malloc'd string this function frees.  done(result, arg), if not NULL, sees
 * each parsed answer (borrowed) in arrival order.
 */
void bench_pipeline(struct herald *h, const char *op, unsigned int n,
		    char *(*mk)(unsigned int i, void *arg), void *arg,
		    void (*done)(json_t *r, void *arg));

/*
 * Create n endpoints of the application app_arn, pipelined; the i-th has the
 * token token_prefix followed by i in hex, zero-padded to token_digits.
 * Returns their ARNs in order; the caller owns the array (json_decref).
 */
json_t *bench_endpoints(struct herald *h, const char *app_arn, const char *token_prefix,
			int token_digits, unsigned int n);

/* Subscribe every endpoint ARN of endpoints to topic_arn, pipelined. */
void bench_subscribe_all(struct herald *h, const char *topic_arn, json_t *endpoints);

#endif
