/*
 * For the fuzz targets of header-driven request checks (WNS, MPNS): split an
 * input into n header values and a body.  The first n lines (up to each
 * '\n') are the values, an empty line meaning "header absent" (NULL); the
 * rest is the body.  Values are copied NUL-terminated (cut at an embedded
 * NUL, as a header value never holds one); the body is borrowed.
 */
#ifndef HERALD_TESTS_FUZZ_FIELDS_H
#define HERALD_TESTS_FUZZ_FIELDS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_FIELDS 16

struct fuzz_fields {
	char *value[FUZZ_MAX_FIELDS]; /* owned; NULL for an absent header */
	const char *body;
	size_t body_len;
};

static inline void fuzz_fields_split(const uint8_t *data, size_t size, size_t n,
				     struct fuzz_fields *f)
{
	const char *p = (const char *)data, *end = p + size;

	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < n && i < FUZZ_MAX_FIELDS && p < end; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (len > 0) {
			/* not strndup: the input need not hold a NUL (ASan reads len + 1) */
			f->value[i] = malloc(len + 1);
			if (!f->value[i])
				abort();
			memcpy(f->value[i], p, len);
			f->value[i][len] = '\0';
		}
		p += len + (nl != NULL);
	}
	f->body = p;
	f->body_len = (size_t)(end - p);
}

static inline void fuzz_fields_free(struct fuzz_fields *f)
{
	for (size_t i = 0; i < FUZZ_MAX_FIELDS; i++)
		free(f->value[i]);
}

#endif
