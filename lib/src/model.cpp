// Per-kind facts: parameter counts and the starting state of a model.
#include <math.h>
#include <string.h>

#include "model.hpp"

namespace dsc {

bool is_linear_kind(uint32_t kind) { return kind == DSC_LINEAR || kind == DSC_LOGISTIC; }

Resolved resolve(const dsc_config &cfg) {
    Resolved r;
    const bool automatic = cfg.lr == 0.0f;
    const bool cuda = cfg.backend == DSC_BACKEND_CUDA;  // trains raw GD on the device
    r.standardize = cfg.standardize == DSC_STANDARDIZE_ON ||
                    (cfg.standardize == DSC_STANDARDIZE_AUTO && automatic && !cuda);
    // The proximal step, averaging, the robust losses and early stopping are GD features: AUTO
    // leaves them to GD. (A build without one refuses its field in check_config.)
    bool gd_only = cfg.alpha > 0.0f || cfg.average != 0;
#ifndef DESCENT_NO_LOSSES
    gd_only = gd_only || cfg.loss != DSC_LOSS_DEFAULT;
#endif
#ifndef DESCENT_NO_EARLY_STOP
    gd_only = gd_only || cfg.early_stopping != 0;
#endif
    r.newton = cfg.solver == DSC_SOLVER_NEWTON ||
               (cfg.solver == DSC_SOLVER_AUTO && automatic && !cuda && cfg.batch_size == 0 &&
                !gd_only && param_count(cfg) <= DSC_NEWTON_AUTO_MAX_PARAMS);
#ifdef DESCENT_NO_NEWTON  // a GD-only build: AUTO never picks what is not compiled in
    r.standardize = r.newton = false;
#endif
    r.conv_tol = cfg.conv_tol != 0.0f ? cfg.conv_tol : automatic ? 1e-10f : -1.0f;
    return r;
}

#ifndef DESCENT_NO_EARLY_STOP
// The fraction is a float standing for a decimal (0.1f is 0.1 + 1.5e-9): the product is lowered
// by float's relative rounding (2^-24) first, so that 0.1 of 100 rows is 10, not 11.
size_t validation_count(const dsc_config &cfg, size_t n) {
    const double v = ceil((double)cfg.validation_fraction * (double)n * (1.0 - 0x1p-24));
    if (!(v >= 1.0) || !(v < (double)n)) return 0;
    return (size_t)v;
}

void split_positions(uint64_t seed, size_t n, uint64_t first, size_t cnt, uint32_t *idx) {
    Permutation split;
    permutation_init(&split, n, seed, kSplitKey);
    permutation_apply_batch(split, first, cnt, idx);
}
#endif

#ifndef DESCENT_NO_SOFTMAX
// SOFTMAX's convention (descent.h): each parameter sums to 0 over the classes. Subtracting
// the mean over the classes changes no prediction and no loss, and never raises an L2 term.
void center_classes(const dsc_config &c, float *theta) {
    const uint32_t q = block_params(c), K = c.n_classes;
    for (uint32_t j = 0; j < q; ++j) {
        double mean = 0.0;
        for (uint32_t k = 0; k < K; ++k) mean += (double)theta[k * q + j];
        mean /= (double)K;
        for (uint32_t k = 0; k < K; ++k) theta[k * q + j] = (float)((double)theta[k * q + j] - mean);
    }
}
#endif

uint32_t param_count(const dsc_config &cfg) {
    switch (cfg.kind) {
        case DSC_LINEAR:
        case DSC_LOGISTIC: return cfg.n_features + 1;
#ifndef DESCENT_NO_SOFTMAX
        case DSC_SOFTMAX: return cfg.n_classes * (cfg.n_features + 1);  // check_config bounds it
#endif
        case DSC_POLYNOMIAL: return cfg.degree + 1;
        case DSC_LEGENDRE3: return 4;
        default: return 0;
    }
}

void reset_train_state(dsc_model *m) {
    m->st.step = 0;
    m->st.epoch = 0;
    m->st.has_buf = 0;
    m->st.lr = m->cfg.lr;
    m->st.best_loss = __builtin_inff();
    m->st.prev_loss = __builtin_inff();
    m->st.no_improve = 0;
    m->has_stats = 0;
    m->damping = 0.0f;
    m->seen = 0;
    m->avg_count = 0;
    m->prev_obj = __builtin_inff();
#ifndef DESCENT_NO_AVERAGE
    if (double *a = at<double>(m, m->lay.avg)) memset(a, 0, m->n_params * sizeof(double));
#endif
    if (float *v = at<float>(m, m->lay.velocity)) memset(v, 0, m->n_params * sizeof(float));
}

}  // namespace dsc
