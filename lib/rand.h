/*
 * Seeded deterministic PRNG (xoshiro256**, seeded through splitmix64) for
 * simulations, jitter and shuffles whose runs must replay from a seed.
 * Never for secrets: keys and IDs come from libsodium.
 */
#ifndef CARAVAN_LIB_RAND_H
#define CARAVAN_LIB_RAND_H

#include <stddef.h>
#include <stdint.h>

struct rng
{
    uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_u64(struct rng *r);
/* Uniform in [0, n); n > 0. Unbiased. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Uniform in [0, 1). */
double rng_double(struct rng *r);
/* Fisher-Yates shuffle of n elements of size bytes each. */
void rng_shuffle(struct rng *r, void *base, size_t n, size_t size);

#endif
