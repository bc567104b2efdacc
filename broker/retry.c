/*
 * The mobile push retry policy; see retry.h.  The back-off phase grows
 * geometrically: retry i of n (0-based) waits min * (max / min)^(i / (n - 1)),
 * so that it begins at the minimum delay and ends at the maximum, as SNS's
 * "exponential" backoffFunction does.
 */
#include "config.h"

#include <math.h>

#include "broker/retry.h"

unsigned int retry_max(const struct conf_delivery *c)
{
	return c->immediate_retries + c->min_delay_retries + c->backoff_retries +
	       c->max_delay_retries;
}

int64_t retry_delay_ms(const struct conf_delivery *c, unsigned int n)
{
	double ratio;

	if (n == 0 || n > retry_max(c))
		return -1;
	n--;
	if (n < c->immediate_retries)
		return 0;
	n -= c->immediate_retries;
	if (n < c->min_delay_retries)
		return c->min_delay_ms;
	n -= c->min_delay_retries;
	if (n < c->backoff_retries) {
		if (c->backoff_retries == 1)
			return c->min_delay_ms;
		ratio = (double)c->max_delay_ms / (double)c->min_delay_ms;
		return (int64_t)llround(c->min_delay_ms *
					pow(ratio, (double)n / (double)(c->backoff_retries - 1)));
	}
	return c->max_delay_ms;
}

int64_t retry_jitter(int64_t delay_ms, double r, int64_t retry_after_ms)
{
	int64_t d = delay_ms + (int64_t)llround((double)delay_ms * 0.2 * (r - 0.5));

	if (d < 0)
		d = 0;
	return retry_after_ms > d ? retry_after_ms : d;
}
