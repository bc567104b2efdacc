/*
 * A small fast generator (splitmix64) for what the emulator draws per
 * request: apns-id values and fault dice.  Not for secrets.  Each user keeps
 * its own state word, seeded from RAND_bytes; not thread-safe.
 */
#ifndef HERALD_EMULATOR_RNG_H
#define HERALD_EMULATOR_RNG_H

#include <stdint.h>

#define RNG_UUID_LEN 36

static inline uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double rng_unit(uint64_t *state)
{
	return (double)(rng_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

/* A version-4 UUID, lowercase 8-4-4-4-12. */
static inline void rng_uuid(uint64_t *state, char out[RNG_UUID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	size_t o = 0;

	for (int half = 0; half < 2; half++) {
		uint64_t z = rng_next(state);

		for (int i = 0; i < 8; i++)
			b[half * 8 + i] = (unsigned char)(z >> (8 * i));
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
}

#endif
