/*
 * peer_c.c — the C API side of the peer benchmark (tests/bench/peer.py).
 *
 * Built as a loadable module (libdescent_peer_c.so, under the `bench` preset) that links the
 * static library and the POSIX pool. peer.py loads it with ctypes and calls peer_fit(), which
 * does everything a C program would do, timed in C with CLOCK_MONOTONIC:
 *
 *     dsc_config_init, edit fields, dsc_arena_size, malloc, dsc_create, [dsc_set_params],
 *     dsc_fit, free
 *
 * The clock is read inside C around exactly those calls, so the ctypes call itself (and the
 * Python interpreter around it) is outside the timed region. ctypes releases the GIL for the
 * call. The 2-thread pool is created before the clock starts and destroyed after it stops (a
 * long-lived application keeps its pool). The static library's symbols are hidden
 * (--exclude-libs), so this module and the Python package's libdescent.so can share a process.
 *
 * peer_seed_data() makes the seed walkthrough's data exactly as examples/01_linear.c,
 * 03_poly_sin.c and 04_legendre3.c do (examples/common.h's splitmix64 + Box-Muller).
 */
#define _POSIX_C_SOURCE 200112L /* clock_gettime, posix_memalign under -std=c99 */
#include "common.h" /* examples/common.h: ex_rng, EX_PI; includes descent.h */
#include "descent_pool.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PEER_API __attribute__((visibility("default")))
#define PEER_MAX_PARAMS 64u

/* Mirrored field for field by the ctypes Structure in peer.py. */
typedef struct peer_job {
    uint32_t kind;        /* dsc_model_kind */
    uint32_t n_features;
    uint32_t degree;      /* POLYNOMIAL */
    uint32_t reduction;   /* dsc_reduction */
    uint32_t batch_size;  /* 0 = full batch */
    uint32_t shuffle;
    uint32_t max_epochs;  /* 0 = the library's default */
    uint32_t solver;      /* dsc_solver */
    uint32_t standardize; /* dsc_standardize */
    uint32_t threads;     /* 0 or 1: no pool; >= 2: a descent_pool of that many threads */
    uint32_t n_init;      /* 0: start at zeros; else dsc_set_params(init, n_init) */
    uint32_t arena_align; /* 0: malloc (as the examples); else posix_memalign to this */
    float lr;             /* 0 = automatic */
    float momentum;
    float conv_tol;       /* 0 = the library's default */
    float tol;            /* < 0 = tolerance stopping off */
    float init[8];
} peer_job;

typedef struct peer_result {
    double seconds;       /* from before dsc_arena_size to after dsc_fit returns */
    int32_t status;       /* dsc_status of the first failing call, 0 if none */
    uint32_t epochs_run;
    uint32_t stop_reason;
    uint32_t converged;
    uint32_t solver;
    uint32_t standardized;
    uint32_t n_params;
    float final_loss;
    float params[PEER_MAX_PARAMS];
    char backend[16];
    char message[128];
} peer_result;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

PEER_API uint32_t peer_struct_sizes(void) {
    return (uint32_t)(sizeof(peer_job) << 16 | sizeof(peer_result));
}

/* Name of the path an AUTO model takes here. */
PEER_API void peer_auto_backend(char *out, uint32_t cap) {
    dsc_config cfg;
    dsc_model *m = NULL;
    void *arena;
    size_t need;
    dsc_config_init(&cfg, DSC_LINEAR, 1);
    need = dsc_arena_size(&cfg);
    arena = malloc(need);
    if (cap == 0) return;
    out[0] = '\0';
    if (arena && dsc_create(&cfg, arena, need, &m) == DSC_OK) {
        strncpy(out, dsc_backend_name(m), cap - 1);
        out[cap - 1] = '\0';
    }
    free(arena);
}

PEER_API int32_t peer_fit(const peer_job *job, const float *X, const float *y, uint64_t n,
                          peer_result *res) {
    dsc_config cfg;
    dsc_fit_report rep;
    dsc_model *m = NULL;
    dsc_pool *pool = NULL;
    void *arena = NULL;
    size_t need, np;
    dsc_status s = DSC_OK;
    double t0, t1;

    memset(res, 0, sizeof *res);
    memset(&rep, 0, sizeof rep);
    if (job->threads >= 2) {
        pool = dsc_pool_create(job->threads);
        if (pool == NULL) {
            res->status = -1;
            strncpy(res->message, "dsc_pool_create failed", sizeof res->message - 1);
            return res->status;
        }
    }
    t0 = now_s();
    dsc_config_init(&cfg, (dsc_model_kind)job->kind, job->n_features);
    if (job->degree) cfg.degree = job->degree;
    cfg.reduction = job->reduction;
    cfg.batch_size = job->batch_size;
    cfg.shuffle = job->shuffle;
    if (job->max_epochs) cfg.max_epochs = job->max_epochs;
    cfg.solver = job->solver;
    cfg.standardize = job->standardize;
    cfg.lr = job->lr;
    cfg.momentum = job->momentum;
    cfg.conv_tol = job->conv_tol;
    cfg.tol = job->tol;
    if (pool) {
        cfg.parallel_for = dsc_pool_parallel_for;
        cfg.pool = pool;
    }
    need = dsc_arena_size(&cfg);
    if (need == 0) {
        s = DSC_ERR_INVALID_ARGUMENT;
    } else {
        if (job->arena_align == 0) {
            arena = malloc(need);
        } else if (posix_memalign(&arena, job->arena_align, need) != 0) {
            arena = NULL;
        }
        if (arena == NULL) s = DSC_ERR_ARENA_TOO_SMALL;
    }
    if (s == DSC_OK) s = dsc_create(&cfg, arena, need, &m);
    if (s == DSC_OK && job->n_init) s = dsc_set_params(m, job->init, job->n_init);
    if (s == DSC_OK) s = dsc_fit(m, X, y, (size_t)n, &rep);
    t1 = now_s();

    res->seconds = t1 - t0;
    res->status = (int32_t)s;
    res->epochs_run = rep.epochs_run;
    res->stop_reason = rep.stop_reason;
    res->converged = rep.converged;
    res->solver = rep.solver;
    res->standardized = rep.standardized;
    res->final_loss = rep.final_loss;
    if (need == 0) {
        const char *why = dsc_check_config(&cfg);
        strncpy(res->message, why ? why : "invalid config", sizeof res->message - 1);
    } else if (rep.message) {
        strncpy(res->message, rep.message, sizeof res->message - 1);
    } else if (s != DSC_OK) {
        strncpy(res->message, dsc_status_string(s), sizeof res->message - 1);
    }
    if (m) {
        np = dsc_param_count(m);
        if (np <= PEER_MAX_PARAMS && dsc_get_params(m, res->params, np) == DSC_OK)
            res->n_params = (uint32_t)np;
        strncpy(res->backend, dsc_backend_name(m), sizeof res->backend - 1);
    }
    free(arena);
    if (pool) dsc_pool_destroy(pool);
    return res->status;
}

/* The seed walkthrough's data. which: 1 = examples/01_linear.c (1000 x 3), 3 =
 * 03_poly_sin.c and 4 = 04_legendre3.c (2000 x 1, the same grid and sin). X needs rows x
 * columns floats, y rows. Returns the row count, 0 for an unknown `which`. */
PEER_API uint32_t peer_seed_data(int which, float *X, float *y) {
    int i, j;
    if (which == 1) {
        static const double w[3] = {1.0, 2.0, 4.0};
        ex_rng r;
        ex_rng_init(&r, 20240601u);
        for (i = 0; i < 1000; ++i) {
            double t = 3.0;
            for (j = 0; j < 3; ++j) {
                X[i * 3 + j] = (float)ex_rng_normal(&r);
                t += w[j] * (double)X[i * 3 + j];
            }
            y[i] = (float)(t + ex_rng_normal(&r) / 1e6);
        }
        return 1000u;
    }
    if (which == 3 || which == 4) {
        for (i = 0; i < 2000; ++i) {
            X[i] = (float)(-EX_PI + 2.0 * EX_PI * (double)i / (2000 - 1));
            y[i] = (float)sin((double)X[i]);
        }
        return 2000u;
    }
    return 0u;
}
