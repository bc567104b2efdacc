/*
 * Latency histogram; see latency.h.  Bucket 0 holds 0 ms; bucket b >= 1
 * holds [2^((b - 1) / 4), 2^(b / 4)) ms, the last one everything above.
 */
#include "config.h"

#include <math.h>

#include "broker/latency.h"

void latency_add(struct latency *l, int64_t ms)
{
	int b = 0;

	if (ms > 0) {
		b = 1 + (int)floor(4.0 * log2((double)ms));
		if (b >= LATENCY_BUCKETS)
			b = LATENCY_BUCKETS - 1;
		if (b < 1)
			b = 1;
	}
	l->bucket[b]++;
	l->count++;
}

int64_t latency_percentile(const struct latency *l, double p)
{
	uint64_t want, seen = 0;

	if (!l->count)
		return 0;
	want = (uint64_t)ceil((double)l->count * p / 100.0);
	if (want < 1)
		want = 1;
	for (int b = 0; b < LATENCY_BUCKETS; b++) {
		seen += l->bucket[b];
		if (seen >= want)
			return b == 0 ? 0 : (int64_t)ceil(pow(2.0, (double)b / 4.0));
	}
	return (int64_t)ceil(pow(2.0, (double)(LATENCY_BUCKETS - 1) / 4.0));
}
