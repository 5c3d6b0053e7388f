/*
 * Synthetic data for the MPI driver, its tests and the scaling benchmark. Each value is a pure
 * function of (seed, global row, column), so a rank generates exactly its own rows and the data
 * set is the same whatever the number of ranks. Header-only (static functions): the driver and
 * the test program share it without a library of their own.
 */
#ifndef DESCENT_MPI_SYNTH_H
#define DESCENT_MPI_SYNTH_H

#include <math.h>
#include <stdint.h>

/* splitmix64's finaliser: a well-mixed 64-bit value from any counter. */
static uint64_t synth_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Uniform in [0, 1) with 53 random bits, keyed by (seed, row, col). */
static double synth_uniform(uint64_t seed, uint64_t row, uint32_t col)
{
    uint64_t h = synth_mix(synth_mix(seed ^ synth_mix(row)) + col);
    return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

/* Zero mean, unit variance. */
static double synth_centered(uint64_t seed, uint64_t row, uint32_t col)
{
    return (synth_uniform(seed, row, col) - 0.5) * 3.4641016151377544; /* sqrt(12) */
}

/* physical != 0: columns in the units of real sensors, scales 1e5 ... 1e-3 and large offsets
 * (the case in-model standardization exists for); 0: scales and offsets of order 1 (for an
 * explicit learning rate on raw features). logistic != 0: 0/1 labels drawn from a logistic
 * model; else a noisy linear target. Rows [row0, row0 + n) go to X (n x d) and y. */
static void synth_rows(uint64_t seed, int physical, int logistic, uint32_t d, uint64_t row0,
                       uint64_t n, float *X, float *y)
{
    static const double scale[6] = {1e5, 1e-3, 1.0, 50.0, 2e-2, 3e3};
    static const double offset[6] = {3e5, 2e-3, -4.0, 1e3, 0.5, -1e4};
    for (uint64_t i = 0; i < n; i++) {
        uint64_t row = row0 + i;
        double z = 0.0;
        for (uint32_t j = 0; j < d; j++) {
            double u = synth_centered(seed, row, j);
            double coef = ((double)(j % 5) - 2.0) * 0.7 + 0.3;
            z += coef * u;
            double x = physical ? offset[j % 6] + scale[j % 6] * u
                                : 0.5 * (double)(j % 3) - 0.5 + (0.5 + 0.25 * (double)(j % 4)) * u;
            X[i * d + j] = (float)x;
        }
        z /= sqrt((double)(d > 0 ? d : 1));
        if (logistic) {
            double p = 1.0 / (1.0 + exp(-(0.4 + 2.0 * z)));
            y[i] = synth_uniform(seed, row, d) < p ? 1.0f : 0.0f;
        } else {
            double t = 2.5 + z + 0.3 * synth_centered(seed, row, d);
            y[i] = (float)(physical ? 20.0 + 5.0 * t : t);
        }
    }
}

#endif
