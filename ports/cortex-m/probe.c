/*
 * probe.c — footprint link probes. Each build of this file (PROBE_* chosen by a compile
 * definition) calls only one part of the API; linked with --gc-sections, the difference
 * between a probe and PROBE_EMPTY is what that part costs an application in flash and RAM
 * (libdescent plus whatever it pulls from libm, libc and libgcc). The probes are linked,
 * never run. Inputs come through volatile pointers so nothing is folded away.
 */
#include <stddef.h>
#include <stdint.h>

#include "descent.h"

static float *volatile g_X;
static float *volatile g_out;
#if !defined(PROBE_EMPTY)
static uint64_t arena[128];
static float *volatile g_y;
static volatile uint32_t g_choice;
static uint8_t *volatile g_blob;
#endif

#if !defined(PROBE_EMPTY)
static int train(dsc_model_kind kind, uint32_t features, uint32_t batch, float momentum) {
    dsc_config cfg;
    dsc_model *m;
    dsc_config_init(&cfg, kind, features);
    cfg.batch_size = batch;
    cfg.momentum = momentum;
    if (kind == DSC_LEGENDRE3) cfg.lr = 1e-3f;
    if (dsc_create(&cfg, arena, sizeof arena, &m) != DSC_OK) return 1;
    if (dsc_fit(m, g_X, g_y, 64, NULL) != DSC_OK) return 2;
    return dsc_predict(m, g_X, 64, g_out) != DSC_OK;
}
#endif

int main(void) {
#if defined(PROBE_EMPTY)
    g_out[0] = g_X[0];
    return 0;
#elif defined(PROBE_LINEAR_GD)
    return train(DSC_LINEAR, 8, 0, 0.0f);
#elif defined(PROBE_LINEAR_SGD)
    return train(DSC_LINEAR, 8, 8, 0.9f);
#elif defined(PROBE_LOGISTIC_SGD)
    return train(DSC_LOGISTIC, 8, 8, 0.9f);
#elif defined(PROBE_POLYNOMIAL_GD)
    return train(DSC_POLYNOMIAL, 1, 0, 0.0f);
#elif defined(PROBE_LEGENDRE3_GD)
    return train(DSC_LEGENDRE3, 1, 0, 0.0f);
#elif defined(PROBE_ALL) || defined(PROBE_ALL_BLOB)
    /* Every model with both optimizers (full-batch GD and momentum minibatch SGD). */
    const uint32_t batch = g_choice & 1u ? 8u : 0u;
    const float momentum = g_choice & 2u ? 0.9f : 0.0f;
    const dsc_model_kind kind = (dsc_model_kind)(1u + (g_choice >> 2) % 4u);
    int rc = train(kind, kind == DSC_LINEAR || kind == DSC_LOGISTIC ? 8u : 1u, batch, momentum);
#if defined(PROBE_ALL_BLOB)
    {
        dsc_model *m;
        size_t written;
        dsc_config cfg;
        dsc_config_init(&cfg, kind, 1);
        if (dsc_create(&cfg, arena, sizeof arena, &m) != DSC_OK) return 3;
        if (dsc_save(m, g_blob, 512, &written) != DSC_OK) return 4;
        if (dsc_load(g_blob, written, arena, sizeof arena, &m) != DSC_OK) return 5;
    }
#endif
    return rc;
#else
#error "define one PROBE_*"
#endif
}
