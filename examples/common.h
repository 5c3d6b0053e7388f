/*
 * common.h — small helpers shared by the descent examples (C99, header only).
 *
 * A deterministic random number generator (splitmix64), normal deviates by Box-Muller,
 * an arena helper, a loss-curve callback and a few print helpers. Everything is
 * `static inline` so that an example that uses only part of it compiles cleanly under
 * -Wall -Wextra -Werror.
 */
#ifndef DESCENT_EXAMPLES_COMMON_H
#define DESCENT_EXAMPLES_COMMON_H

#include "descent.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* M_PI is POSIX, not C99. */
#define EX_PI 3.14159265358979323846

/* ---- random numbers ---------------------------------------------------------------------- */

/* splitmix64 (Steele, Lea, Flood 2014): a 64-bit state, one add and a mixing function per
 * draw. Deterministic on every platform, so every example sees the same data everywhere. */
typedef struct ex_rng {
    uint64_t state;
    int have_spare; /* Box-Muller makes two normals per draw; the second is kept here */
    double spare;
} ex_rng;

static inline void ex_rng_init(ex_rng *r, uint64_t seed) {
    r->state = seed;
    r->have_spare = 0;
    r->spare = 0.0;
}

static inline uint64_t ex_rng_u64(ex_rng *r) {
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double ex_rng_uniform(ex_rng *r) {
    return (double)(ex_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Standard normal N(0, 1) by the Box-Muller transform. */
static inline double ex_rng_normal(ex_rng *r) {
    double u1, u2, rad;
    if (r->have_spare) {
        r->have_spare = 0;
        return r->spare;
    }
    u1 = 1.0 - ex_rng_uniform(r); /* (0, 1]: log(u1) is finite */
    u2 = ex_rng_uniform(r);
    rad = sqrt(-2.0 * log(u1));
    r->spare = rad * sin(2.0 * EX_PI * u2);
    r->have_spare = 1;
    return rad * cos(2.0 * EX_PI * u2);
}

/* ---- arena --------------------------------------------------------------------------------- */

/* malloc's alignment (at least 8 on every hosted C library) satisfies DSC_ARENA_ALIGN, so
 * dsc_arena_size() bytes are enough. Returns NULL and prints why on failure. */
static inline void *ex_arena_alloc(const dsc_config *cfg, size_t *bytes) {
    size_t need = dsc_arena_size(cfg);
    void *arena;
    if (need == 0) {
        const char *why = dsc_check_config(cfg);
        fprintf(stderr, "config rejected: %s\n", why ? why : "(no message)");
        return NULL;
    }
    arena = malloc(need);
    if (arena == NULL) {
        fprintf(stderr, "malloc(%lu) failed\n", (unsigned long)need);
        return NULL;
    }
    if (bytes) *bytes = need;
    return arena;
}

/* dsc_arena_size + malloc + dsc_create in one call. Returns the model or
 * NULL (after printing the status); *arena_out receives the buffer to free(). */
static inline dsc_model *ex_create(const dsc_config *cfg, void **arena_out) {
    size_t bytes = 0;
    dsc_model *m = NULL;
    dsc_status s;
    void *arena = ex_arena_alloc(cfg, &bytes);
    *arena_out = arena;
    if (arena == NULL) return NULL;
    s = dsc_create(cfg, arena, bytes, &m);
    if (s != DSC_OK) {
        fprintf(stderr, "dsc_create: %s\n", dsc_status_string(s));
        free(arena);
        *arena_out = NULL;
        return NULL;
    }
    return m;
}

/* ---- small dense solve ------------------------------------------------------------------- */

/* Solves the n x n system held in M as an augmented n x (n + 1) row-major matrix [A | b], by
 * Gaussian elimination with partial pivoting, in double. M is overwritten. Returns 0 on
 * success, 1 if A is singular. Used for independent reference solutions (least squares,
 * Newton steps). */
static inline int ex_solve(int n, double *M, double *x) {
    int i, j, k, w = n + 1;
    for (k = 0; k < n; ++k) {
        int piv = k;
        for (i = k + 1; i < n; ++i)
            if (fabs(M[i * w + k]) > fabs(M[piv * w + k])) piv = i;
        if (M[piv * w + k] == 0.0) return 1;
        if (piv != k)
            for (j = 0; j < w; ++j) {
                double t = M[k * w + j];
                M[k * w + j] = M[piv * w + j];
                M[piv * w + j] = t;
            }
        for (i = k + 1; i < n; ++i) {
            double f = M[i * w + k] / M[k * w + k];
            for (j = k; j < w; ++j) M[i * w + j] -= f * M[k * w + j];
        }
    }
    for (k = n - 1; k >= 0; --k) {
        double t = M[k * w + n];
        for (j = k + 1; j < n; ++j) t -= M[k * w + j] * x[j];
        x[k] = t / M[k * w + k];
    }
    return 0;
}

/* ---- loss curve ---------------------------------------------------------------------------- */

/* Pass a pointer to one of these as cfg.user with cfg.on_epoch = ex_print_epoch: prints the
 * epoch's loss every `every` epochs (and at epoch 1). */
typedef struct ex_curve {
    uint32_t every;
    const char *label;
} ex_curve;

static inline int ex_print_epoch(void *user, uint32_t epoch, float loss) {
    const ex_curve *c = (const ex_curve *)user;
    uint32_t k = (c && c->every) ? c->every : 1u;
    if (epoch == 1u || epoch % k == 0u)
        printf("  %s%sepoch %5u  loss %.9g\n", (c && c->label) ? c->label : "",
               (c && c->label && c->label[0]) ? " " : "", (unsigned)epoch, (double)loss);
    return 0; /* keep training */
}

/* ---- printing and checking ----------------------------------------------------------------- */

static inline void ex_print_report(const char *label, const dsc_fit_report *r) {
    printf("  %s: %u epochs, %lu steps, stop: %s, final loss %.9g, lr %.6g (initial %.6g)\n",
           label, (unsigned)r->epochs_run, (unsigned long)r->steps,
           dsc_stop_reason_string((dsc_stop_reason)r->stop_reason), (double)r->final_loss,
           (double)r->lr, (double)r->lr_initial);
}

static inline void ex_print_params(const char *label, const dsc_model *m) {
    float p[DSC_MAX_POLY_DEGREE + 1u + 64u];
    size_t n = dsc_param_count(m), i;
    if (n > sizeof p / sizeof p[0] || dsc_get_params(m, p, n) != DSC_OK) {
        printf("  %s: (cannot read %lu params)\n", label, (unsigned long)n);
        return;
    }
    printf("  %s:", label);
    for (i = 0; i < n; ++i) printf(" %.7g", (double)p[i]);
    printf("\n");
}

/* Prints "FAIL: ..." and returns 1 when the call failed, so callers can write
 * `if (ex_fail_status("dsc_fit", s)) return 1;`. */
static inline int ex_fail_status(const char *what, dsc_status s) {
    if (s == DSC_OK) return 0;
    fprintf(stderr, "FAIL: %s returned %s\n", what, dsc_status_string(s));
    return 1;
}

/* Returns 1 (after printing) if |got - want| > tol. */
static inline int ex_check_close(const char *what, double got, double want, double tol) {
    double diff = fabs(got - want);
    if (!(diff <= tol)) { /* also catches NaN */
        fprintf(stderr, "FAIL: %s = %.9g, expected %.9g within %.3g (off by %.3g)\n", what, got,
                want, tol, diff);
        return 1;
    }
    return 0;
}

/* Returns 1 (after printing) if got is outside [lo, hi]. */
static inline int ex_check_range(const char *what, double got, double lo, double hi) {
    if (!(got >= lo && got <= hi)) {
        fprintf(stderr, "FAIL: %s = %.9g, expected within [%.6g, %.6g]\n", what, got, lo, hi);
        return 1;
    }
    return 0;
}

#endif /* DESCENT_EXAMPLES_COMMON_H */
