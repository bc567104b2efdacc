/*
 * A small Prometheus metrics registry: labelled counters and fixed-bucket
 * latency histograms, rendered in the Prometheus text exposition format for
 * GET /metrics.  Series are created on first use and bounded in number (a
 * series beyond METRICS_MAX_SERIES is dropped), so labels must come from
 * closed sets (operation names from the table, error codes), never from
 * request input.  Not thread-safe: use it from the event-loop thread only.
 */
#ifndef HERALD_BROKER_METRICS_H
#define HERALD_BROKER_METRICS_H

#include <stdint.h>

#define METRICS_MAX_SERIES 4096

struct metrics;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/*
 * Add n to counter name{labels}; labels is the inside of the braces, already
 * formatted (`op="Publish",code="OK"`) or "" for none.  help is the metric's
 * one-line description (borrowed; a string literal).
 */
void metrics_count(struct metrics *m, const char *name, const char *help, const char *labels,
		   uint64_t n);

/* Record one observation of seconds in histogram name{labels}. */
void metrics_observe(struct metrics *m, const char *name, const char *help, const char *labels,
		     double seconds);

/* Every series in the text format, grouped by name; malloc'd, NULL when out of memory. */
char *metrics_render(const struct metrics *m);

#endif
