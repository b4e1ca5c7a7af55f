/* xoshiro256** by Blackman and Vigna (public domain), seeded by splitmix64. */
#include "lib/rand.h"

#include <string.h>

#include "lib/assert.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rng_u64(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Rejection on the top of the range, so every value is equally likely. */
uint64_t rng_below(struct rng *r, uint64_t n)
{
    uint64_t limit, x;

    BUG_ON(n == 0);
    limit = UINT64_MAX - UINT64_MAX % n;
    do {
        x = rng_u64(r);
    } while (x >= limit);
    return x % n;
}

double rng_double(struct rng *r)
{
    return (double)(rng_u64(r) >> 11) * 0x1.0p-53;
}

/* Chunked so elements of any size can be swapped without a heap buffer. */
static void swap_bytes(unsigned char *a, unsigned char *b, size_t size)
{
    unsigned char tmp[64];

    while (size > 0) {
        size_t k = size < sizeof(tmp) ? size : sizeof(tmp);

        memcpy(tmp, a, k);
        memcpy(a, b, k);
        memcpy(b, tmp, k);
        a += k;
        b += k;
        size -= k;
    }
}

/*
 * Fisher-Yates from the top. The sequence of rng_below() calls is part of
 * the replay contract: changing it changes every seeded simulation.
 */
void rng_shuffle(struct rng *r, void *base, size_t n, size_t size)
{
    unsigned char *p = base;

    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(r, i);

        if (j != i - 1)
            swap_bytes(p + (i - 1) * size, p + j * size, size);
    }
}
