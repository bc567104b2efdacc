/*
 * A latency histogram in constant memory: logarithmic buckets (four per
 * power of two of milliseconds, so a percentile is within 19 % of the
 * truth) from which percentiles are read.  Not thread-safe: one owner.
 */
#ifndef HERALD_BROKER_LATENCY_H
#define HERALD_BROKER_LATENCY_H

#include <stdint.h>

#define LATENCY_BUCKETS 128

struct latency {
	uint64_t count;
	uint64_t bucket[LATENCY_BUCKETS];
};

/* Count one observation of ms (negative counts as 0). */
void latency_add(struct latency *l, int64_t ms);

/* The p-th percentile (0 < p <= 100) in ms (a bucket's upper bound); 0 when empty. */
int64_t latency_percentile(const struct latency *l, double p);

#endif
