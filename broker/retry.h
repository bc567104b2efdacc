/*
 * The retry policy for deliveries to platform endpoints: SNS's mobile push
 * policy (reference/README.md: 0 immediate, 2 at the minimum delay, 10 with
 * an exponential back-off from the minimum to the maximum delay, 38 at the
 * maximum delay: 50 retries), its numbers from herald.conf's delivery group.
 * Pure functions: any thread.
 */
#ifndef HERALD_BROKER_RETRY_H
#define HERALD_BROKER_RETRY_H

#include <stdint.h>

#include "broker/conf.h"

/* Retries the policy allows after the first attempt. */
unsigned int retry_max(const struct conf_delivery *c);

/*
 * The delay in ms before retry number n (1: the first retry, after the
 * first attempt), without jitter; -1 when the policy has run out.
 */
int64_t retry_delay_ms(const struct conf_delivery *c, unsigned int n);

/*
 * The delay actually used: the policy's delay with up to 10 % of jitter
 * either way (random r in [0, 1)), but never less than the provider's
 * Retry-After (retry_after_ms, -1 if none).
 */
int64_t retry_jitter(int64_t delay_ms, double r, int64_t retry_after_ms);

#endif
