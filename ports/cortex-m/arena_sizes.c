/*
 * arena_sizes.c — prints dsc_arena_size() as the target computes it (32-bit pointers and
 * size_t, the target's struct layout) for the footprint report, one "arena <name> <bytes>"
 * line per configuration. Run under QEMU by footprint.py.
 */
#include <stdint.h>

#include "descent.h"
#include "semihost.h"

static uint64_t g_arena[64];
static uint8_t g_blob[256];

static void line(const char *name, uint32_t bytes) {
    sh_puts("arena ");
    sh_puts(name);
    sh_puts(" ");
    sh_put_u32(bytes);
    sh_puts("\n");
}

static void linear8(const char *name, uint32_t batch, uint32_t shuffle, float momentum) {
    dsc_config cfg;
    dsc_config_init(&cfg, DSC_LINEAR, 8);
    cfg.batch_size = batch;
    cfg.shuffle = shuffle;
    cfg.momentum = momentum;
    line(name, (uint32_t)dsc_arena_size(&cfg));
}

/* The matrix for README: every kind and solver at d = 1, 8, 32 (one column for the polynomial
 * (degree 3) and Legendre3). 0 = the config is refused by this build (NEWTON when GD-only). */
static void matrix(void) {
    static const char *const kinds[4] = {"linear", "logistic", "polynomial3", "legendre3"};
    static const char *const solvers[4] = {"gd", "gd_auto_lr", "sgd_momentum_b8", "newton"};
    static const uint32_t ds[3] = {1, 8, 32};
    char name[48];
    uint32_t k, s, i;
    for (k = 0; k < 4; ++k)
        for (i = 0; i < 3; ++i) {
            if (k >= 2 && ds[i] != 1) continue;
            for (s = 0; s < 4; ++s) {
                dsc_config cfg;
                char *p = name;
                const char *q;
                dsc_config_init(&cfg, (dsc_model_kind)(k + 1), ds[i]);
                cfg.lr = s == 1 || s == 3 ? 0.0f : 0.01f;
                cfg.solver = s == 3 ? DSC_SOLVER_NEWTON : DSC_SOLVER_GD;
                if (s == 2) {
                    cfg.batch_size = 8;
                    cfg.momentum = 0.9f;
                }
                for (q = "matrix_"; *q;) *p++ = *q++;
                for (q = kinds[k]; *q;) *p++ = *q++;
                *p++ = '_';
                *p++ = 'd';
                if (ds[i] >= 10) *p++ = (char)('0' + ds[i] / 10);
                *p++ = (char)('0' + ds[i] % 10);
                *p++ = '_';
                for (q = solvers[s]; *q;) *p++ = *q++;
                *p = 0;
                line(name, (uint32_t)dsc_arena_size(&cfg));
            }
        }
}

int main(void) {
    dsc_config cfg;
    dsc_model *m;
    size_t written = 0, need = 0;
    matrix();
    linear8("linear8_sgd_momentum_b8_shuffle_off", 8, 0, 0.9f);
    linear8("linear8_sgd_momentum_b8_shuffle_on", 8, 1, 0.9f);
    linear8("linear8_sgd_b8_shuffle_off", 8, 0, 0.0f);
    linear8("linear8_gd", 0, 0, 0.0f);
    dsc_config_init(&cfg, DSC_LOGISTIC, 4);
    cfg.batch_size = 32;
    line("logistic4_sgd_b32_shuffle_on", (uint32_t)dsc_arena_size(&cfg));
    dsc_config_init(&cfg, DSC_POLYNOMIAL, 1);
    line("polynomial3_gd", (uint32_t)dsc_arena_size(&cfg));
    dsc_config_init(&cfg, DSC_LEGENDRE3, 1);
    cfg.lr = 1e-3f;
    line("legendre3_gd", (uint32_t)dsc_arena_size(&cfg));
    /* Predictor-only model: the header and the parameters (header = this - 9 floats). */
    dsc_config_init(&cfg, DSC_LINEAR, 8);
    if (dsc_create(&cfg, g_arena, sizeof g_arena, &m) == DSC_OK &&
        dsc_save_predictor(m, g_blob, sizeof g_blob, &written) == DSC_OK &&
        dsc_load_arena_size(g_blob, written, &need) == DSC_OK)
        line("linear8_predictor_only", (uint32_t)need);
    sh_puts("sizeof(dsc_config) ");
    sh_put_u32((uint32_t)sizeof(dsc_config));
    sh_puts("\n");
    return 0;
}
