/*
 * Metrics registry (see metrics.h).  A linked list of series in creation
 * order: lookups are linear, which is fine for the few hundred series a
 * broker has (operations x error codes).  Event-loop thread only.
 */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/metrics.h"

/* Upper bounds (seconds) of the latency histogram buckets; +Inf is implied. */
static const double metrics_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
					 0.1,	0.25,	0.5,   1,    2.5,   5};
#define METRICS_N_BUCKETS (sizeof(metrics_buckets) / sizeof(metrics_buckets[0]))

struct metrics_series {
	struct metrics_series *next;
	char *name, *labels;
	const char *help;
	bool histogram;
	uint64_t count; /* counter value, or number of observations */
	double sum;
	uint64_t buckets[METRICS_N_BUCKETS];
};

struct metrics {
	struct metrics_series *head, **tail;
	unsigned int n;
};

struct metrics *metrics_new(void)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (m)
		m->tail = &m->head;
	return m;
}

void metrics_free(struct metrics *m)
{
	struct metrics_series *s, *next;

	if (!m)
		return;
	for (s = m->head; s; s = next) {
		next = s->next;
		free(s->name);
		free(s->labels);
		free(s);
	}
	free(m);
}

static struct metrics_series *metrics_get(struct metrics *m, const char *name, const char *help,
					  const char *labels, bool histogram)
{
	struct metrics_series *s;

	for (s = m->head; s; s = s->next)
		if (!strcmp(s->name, name) && !strcmp(s->labels, labels))
			return s;
	if (m->n >= METRICS_MAX_SERIES)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->name = strdup(name);
	s->labels = strdup(labels);
	if (!s->name || !s->labels) {
		free(s->name);
		free(s->labels);
		free(s);
		return NULL;
	}
	s->help = help;
	s->histogram = histogram;
	*m->tail = s;
	m->tail = &s->next;
	m->n++;
	return s;
}

void metrics_count(struct metrics *m, const char *name, const char *help, const char *labels,
		   uint64_t n)
{
	struct metrics_series *s = m ? metrics_get(m, name, help, labels, false) : NULL;

	if (s && !s->histogram)
		s->count += n;
}

void metrics_observe(struct metrics *m, const char *name, const char *help, const char *labels,
		     double seconds)
{
	struct metrics_series *s = m ? metrics_get(m, name, help, labels, true) : NULL;
	size_t i;

	if (!s || !s->histogram)
		return;
	s->count++;
	s->sum += seconds;
	for (i = 0; i < METRICS_N_BUCKETS; i++)
		if (seconds <= metrics_buckets[i])
			s->buckets[i]++;
}

/* name{labels[,extra]} */
static void metrics_series_name(FILE *f, const char *name, const char *suffix, const char *labels,
				const char *extra)
{
	bool any = *labels || (extra && *extra);

	fprintf(f, "%s%s", name, suffix);
	if (any)
		fprintf(f, "{%s%s%s}", labels, *labels && extra && *extra ? "," : "",
			extra ? extra : "");
}

char *metrics_render(const struct metrics *m)
{
	const struct metrics_series *s, *t;
	char *out = NULL, le[64];
	size_t len = 0, i;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	for (s = m->head; s; s = s->next) {
		/* each name once, with all its series, at its first appearance */
		for (t = m->head; t != s && strcmp(t->name, s->name); t = t->next)
			;
		if (t != s)
			continue;
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", s->name, s->help, s->name,
			s->histogram ? "histogram" : "counter");
		for (t = s; t; t = t->next) {
			if (strcmp(t->name, s->name))
				continue;
			if (!t->histogram) {
				metrics_series_name(f, t->name, "", t->labels, NULL);
				fprintf(f, " %" PRIu64 "\n", t->count);
				continue;
			}
			for (i = 0; i < METRICS_N_BUCKETS; i++) {
				snprintf(le, sizeof(le), "le=\"%g\"", metrics_buckets[i]);
				metrics_series_name(f, t->name, "_bucket", t->labels, le);
				fprintf(f, " %" PRIu64 "\n", t->buckets[i]);
			}
			metrics_series_name(f, t->name, "_bucket", t->labels, "le=\"+Inf\"");
			fprintf(f, " %" PRIu64 "\n", t->count);
			metrics_series_name(f, t->name, "_sum", t->labels, NULL);
			fprintf(f, " %.9g\n", t->sum);
			metrics_series_name(f, t->name, "_count", t->labels, NULL);
			fprintf(f, " %" PRIu64 "\n", t->count);
		}
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
