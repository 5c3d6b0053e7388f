// Every argument is checked here, once, before anything is written; the hot loop then runs
// without checks. Each rejection names the field at fault.
#include <string.h>

#include "cuda_glue.hpp"
#include "model.hpp"

namespace dsc {

static_assert(kMaxPolyDegree == DSC_MAX_POLY_DEGREE, "kernel and API degree limits differ");

namespace {

inline uint32_t bits_of(float v) {
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    return bits;
}

inline bool finite(float v) {
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    return (bits & 0x7F800000u) != 0x7F800000u;
}

// Not a finite value >= 0 (-0 included), read as bits: no float compare, which soft-float
// cores make a library call.
inline bool not_finite_nonneg(float v) {
    return bits_of(v) >= 0x7F800000u && bits_of(v) != 0x80000000u;
}

dsc_status bad(const char **msg, const char *text) {
    if (msg) *msg = text;
    return DSC_ERR_INVALID_ARGUMENT;
}

}  // namespace

bool all_finite(const float *v, size_t n) {
    // Branch-free accumulation so the scan vectorizes; the exponent field is all ones only
    // for NaN and +-Inf.
    uint32_t any = 0;
    for (size_t i = 0; i < n; ++i) {
        uint32_t bits;
        memcpy(&bits, &v[i], sizeof bits);
        any |= (uint32_t)((bits & 0x7F800000u) == 0x7F800000u);
    }
    return any == 0;
}

dsc_status check_config(const dsc_config *cfg, const char **msg) {
    if (msg) *msg = nullptr;
    if (!cfg) return bad(msg, "config is NULL");
    if (cfg->struct_size != sizeof(dsc_config))
        return bad(msg, "config.struct_size does not match this library's dsc_config "
                        "(call dsc_config_init; rebuild against this descent.h)");
    if (cfg->kind < DSC_LINEAR || cfg->kind > DSC_SOFTMAX)
        return bad(msg, "config.kind is not a dsc_model_kind");
    if (cfg->n_features == 0) return bad(msg, "config.n_features is 0");
    if (cfg->n_features > kMaxFeatures) return bad(msg, "config.n_features exceeds 2^24");
#ifdef DESCENT_NO_SOFTMAX  // one check, one message: the firmware's flash
    if (cfg->kind == DSC_SOFTMAX || cfg->n_classes != 0) {
        if (msg) *msg = "config.kind SOFTMAX, n_classes: not in this build";
        return DSC_ERR_UNSUPPORTED;
    }
#else
    if (cfg->kind == DSC_SOFTMAX) {
        if (cfg->n_classes < 2 || cfg->n_classes > DSC_MAX_CLASSES)
            return bad(msg, "config.n_classes: SOFTMAX needs 2..DSC_MAX_CLASSES (256) classes");
        if ((uint64_t)cfg->n_classes * (cfg->n_features + 1u) > kMaxFeatures)
            return bad(msg, "config.n_classes * (n_features + 1) exceeds 2^24 parameters");
        if (cfg->loss != DSC_LOSS_DEFAULT || cfg->backend == DSC_BACKEND_CUDA) {
            if (msg) *msg = "SOFTMAX: the cross-entropy on a CPU backend only (config.loss DEFAULT, "
                            "no CUDA)";
            return DSC_ERR_UNSUPPORTED;
        }
    } else if (cfg->n_classes != 0) {
        return bad(msg, "config.n_classes is for SOFTMAX only (leave it 0)");
    }
#endif
    if (!is_linear_kind(cfg->kind) && !is_softmax(*cfg) && cfg->n_features != 1)
        return bad(msg, "polynomial and legendre3 models take exactly one input column "
                        "(config.n_features must be 1)");
    if (cfg->kind == DSC_POLYNOMIAL && cfg->degree > DSC_MAX_POLY_DEGREE)
        return bad(msg, "config.degree exceeds DSC_MAX_POLY_DEGREE (15)");
    if (cfg->reduction > DSC_REDUCTION_SUM) return bad(msg, "config.reduction is not a dsc_reduction");
    if (cfg->shuffle > 1) return bad(msg, "config.shuffle must be 0 or 1");
    if (cfg->nesterov > 1) return bad(msg, "config.nesterov must be 0 or 1");
    if (cfg->max_epochs == 0) return bad(msg, "config.max_epochs is 0");
    if (!finite(cfg->lr) || cfg->lr < 0.0f) return bad(msg, "config.lr must be finite and >= 0");
    if (!finite(cfg->momentum) || cfg->momentum < 0.0f || cfg->momentum >= 1.0f)
        return bad(msg, "config.momentum must be in [0, 1)");
    if (!finite(cfg->dampening) || cfg->dampening < 0.0f || cfg->dampening > 1.0f)
        return bad(msg, "config.dampening must be in [0, 1]");
    if (!finite(cfg->weight_decay) || cfg->weight_decay < 0.0f)
        return bad(msg, "config.weight_decay must be finite and >= 0");
    if (cfg->nesterov && (cfg->momentum <= 0.0f || cfg->dampening != 0.0f))
        return bad(msg, "Nesterov momentum requires momentum > 0 and dampening == 0");
    if (cfg->schedule > DSC_LR_ADAPTIVE) return bad(msg, "config.schedule is not a dsc_schedule");
    if (!finite(cfg->power_t) || cfg->power_t < 0.0f)
        return bad(msg, "config.power_t must be finite and >= 0");
    if (cfg->tol != cfg->tol || (finite(cfg->tol) == false && cfg->tol > 0.0f))
        return bad(msg, "config.tol must be a number (negative turns it off)");
    if (cfg->tol >= 0.0f && cfg->n_iter_no_change == 0)
        return bad(msg, "config.n_iter_no_change must be >= 1 when tol >= 0");
    if (cfg->schedule == DSC_LR_ADAPTIVE && cfg->tol < 0.0f)
        return bad(msg, "the adaptive schedule needs config.tol >= 0 to detect stalls");
    if (cfg->backend > DSC_BACKEND_CUDA) return bad(msg, "config.backend is not a dsc_backend");
    if (cfg->parallel_for && (cfg->max_tasks == 0 || cfg->max_tasks > kMaxTasks))
        return bad(msg, "config.max_tasks must be in [1, 4096] when parallel_for is set");
#if defined(DESCENT_NO_PENALTY) && defined(DESCENT_NO_AVERAGE) && defined(DESCENT_NO_LOSSES)
    // One check, one message: the M0+'s flash. epsilon must still be a valid value, so that
    // every blob field is validated.
    if (bits_of(cfg->alpha) != 0u || cfg->average || cfg->loss != DSC_LOSS_DEFAULT ||
        not_finite_nonneg(cfg->epsilon)) {
        if (msg) *msg = "config.alpha, average, loss, epsilon: not in this build (DESCENT_PENALTY, "
                        "DESCENT_AVERAGE, DESCENT_LOSSES)";
        return DSC_ERR_UNSUPPORTED;
    }
#elif defined(DESCENT_NO_PENALTY) && defined(DESCENT_NO_AVERAGE)  // one message: flash
    if (bits_of(cfg->alpha) != 0u || cfg->average) {
        if (msg) *msg = "config.alpha, config.average: not in this build (DESCENT_PENALTY, DESCENT_AVERAGE)";
        return DSC_ERR_UNSUPPORTED;
    }
#elif defined(DESCENT_NO_PENALTY)
    if (bits_of(cfg->alpha) != 0u) {
        if (msg) *msg = "this build has no penalty (DESCENT_PENALTY=OFF): leave config.alpha 0";
        return DSC_ERR_UNSUPPORTED;
    }
#elif defined(DESCENT_NO_AVERAGE)
    if (cfg->average) {
        if (msg) *msg = "this build has no averaged SGD (DESCENT_AVERAGE=OFF): leave config.average 0";
        return DSC_ERR_UNSUPPORTED;
    }
#endif
#ifdef DESCENT_NO_DIST
    if (cfg->exchange) {
        if (msg) *msg = "this build has no data-parallel training (DESCENT_DIST=OFF): leave config.exchange NULL";
        return DSC_ERR_UNSUPPORTED;
    }
#endif
    if (cfg->exchange && cfg->backend == DSC_BACKEND_CUDA)
        return bad(msg, "config.exchange (data-parallel training) is not available with the CUDA "
                        "backend");
    if (cfg->standardize > DSC_STANDARDIZE_OFF)
        return bad(msg, "config.standardize is not a dsc_standardize");
    if (cfg->solver > DSC_SOLVER_NEWTON) return bad(msg, "config.solver is not a dsc_solver");
    if (cfg->conv_tol != cfg->conv_tol || cfg->conv_tol > 1.0f)
        return bad(msg, "config.conv_tol must be a number <= 1 (0 = default, negative = off)");
    // As bits (no float compares, which soft-float cores make library calls): +0 and -0 up
    // to the largest finite float, and +-0 up to 1.0f.
#ifndef DESCENT_NO_PENALTY  // else any alpha but 0 was refused above
    if (not_finite_nonneg(cfg->alpha))
        return bad(msg, "config.alpha must be finite and >= 0");
#endif
    if (bits_of(cfg->l1_ratio) > 0x3F800000u && bits_of(cfg->l1_ratio) != 0x80000000u)
        return bad(msg, "config.l1_ratio must be in [0, 1]");
#if defined(DESCENT_NO_PENALTY) && defined(DESCENT_NO_AVERAGE) && defined(DESCENT_NO_LOSSES)
    // checked above, with alpha and average
#elif defined(DESCENT_NO_LOSSES)
    // One check and one message (firmware flash): the field this build lacks, and its
    // parameter, which must still be a valid value so that every blob field is validated.
    if (cfg->loss != DSC_LOSS_DEFAULT ||
        not_finite_nonneg(cfg->epsilon)) {
        if (msg) *msg = "config.loss, config.epsilon: not in this build (DESCENT_LOSSES)";
        return DSC_ERR_UNSUPPORTED;
    }
#else
    if (cfg->loss > DSC_LOSS_HINGE) return bad(msg, "config.loss is not a dsc_loss_kind");
    if (not_finite_nonneg(cfg->epsilon))
        return bad(msg, "config.epsilon must be finite and >= 0");
    if (cfg->loss != DSC_LOSS_DEFAULT) {
        const char *why = nullptr;
        if (cfg->kind == DSC_LINEAR ? cfg->loss == DSC_LOSS_HINGE
                                    : cfg->kind != DSC_LOGISTIC || cfg->loss != DSC_LOSS_HINGE)
            why = "config.loss: LINEAR takes HUBER, EPSILON_INSENSITIVE and "
                  "SQUARED_EPSILON_INSENSITIVE, LOGISTIC takes HINGE, other kinds DEFAULT only";
        else if (cfg->solver == DSC_SOLVER_NEWTON)
            why = "config.loss: the NEWTON solver takes the DEFAULT loss only: use solver GD (or AUTO)";
        else if (cfg->backend == DSC_BACKEND_CUDA)
            why = "config.loss: the CUDA backend takes the DEFAULT loss only: use a CPU backend";
        else if (cfg->lr == 0.0f &&
                 (cfg->loss == DSC_LOSS_EPSILON_INSENSITIVE || cfg->loss == DSC_LOSS_HINGE))
            why = "config.loss: EPSILON_INSENSITIVE and HINGE have no gradient at their kinks, so "
                  "the automatic rate (lr = 0) does not apply: set config.lr (and a schedule)";
        if (why) {
            if (msg) *msg = why;
            return DSC_ERR_UNSUPPORTED;
        }
        if (cfg->loss == DSC_LOSS_HUBER && !(cfg->epsilon > 0.0f))
            return bad(msg, "config.epsilon must be > 0 for HUBER (its threshold)");
    }
#endif
#ifdef DESCENT_NO_EARLY_STOP
    // validation_fraction must still be a valid value, so that every blob field is validated.
    if (cfg->early_stopping || bits_of(cfg->validation_fraction) - 1u >= 0x3F7FFFFFu) {
        if (msg) *msg = "config.early_stopping: not in this build";
        return DSC_ERR_UNSUPPORTED;
    }
#else
    // (0, 1) as bits: the positive floats below 1.0f are 0x00000001 .. 0x3F7FFFFF.
    if (bits_of(cfg->validation_fraction) - 1u >= 0x3F7FFFFFu)
        return bad(msg, "config.validation_fraction must be in (0, 1)");
    if (cfg->early_stopping > 1) return bad(msg, "config.early_stopping must be 0 or 1");
    if (cfg->early_stopping) {
        const char *why = nullptr;
        if (cfg->solver == DSC_SOLVER_NEWTON)
            why = "config.early_stopping: the NEWTON solver has no held-out split: use solver GD (or AUTO)";
        else if (cfg->backend == DSC_BACKEND_CUDA)
            why = "config.early_stopping: not with the CUDA backend: use a CPU backend";
        else if (cfg->average != 0)
            why = "config.early_stopping: not with config.average (the averaged parameters are "
                  "not what the held-out loss would watch)";
        else if (cfg->exchange)
            why = "config.early_stopping: not with config.exchange (data-parallel training)";
        if (why) {
            if (msg) *msg = why;
            return DSC_ERR_UNSUPPORTED;
        }
        if (cfg->n_iter_no_change == 0)
            return bad(msg, "config.n_iter_no_change must be >= 1 with early stopping");
    }
#endif
#ifdef DESCENT_NO_CLASS_WEIGHT
    if ((bits_of(cfg->class_weight[0]) ^ 0x3F800000u) | (bits_of(cfg->class_weight[1]) ^ 0x3F800000u)) {
        if (msg) *msg = "config.class_weight: not in this build";
        return DSC_ERR_UNSUPPORTED;
    }
#else
    // Class weights: as bits, each finite and >= 0 (-0 included), not both zero; 1.0f is
    // 0x3F800000.
    if (not_finite_nonneg(cfg->class_weight[0]) || not_finite_nonneg(cfg->class_weight[1]) ||
        ((bits_of(cfg->class_weight[0]) | bits_of(cfg->class_weight[1])) & 0x7FFFFFFFu) == 0u)
        return bad(msg, "config.class_weight: each must be finite and >= 0, not both 0");
    if ((bits_of(cfg->class_weight[0]) != 0x3F800000u || bits_of(cfg->class_weight[1]) != 0x3F800000u) &&
        (cfg->kind != DSC_LOGISTIC || cfg->backend == DSC_BACKEND_CUDA)) {
        if (msg) *msg = "config.class_weight: LOGISTIC on a CPU backend only (leave {1, 1})";
        return DSC_ERR_UNSUPPORTED;
    }
#endif
#ifdef DESCENT_NO_NEWTON
    if (cfg->standardize == DSC_STANDARDIZE_ON || cfg->solver == DSC_SOLVER_NEWTON) {
        if (msg) *msg = "this build has no NEWTON solver or standardization (DESCENT_NEWTON=OFF)";
        return DSC_ERR_UNSUPPORTED;
    }
#endif
    const Resolved r = resolve(*cfg);
#ifndef DESCENT_NO_NEWTON  // else resolve() never picks NEWTON nor standardization
    if (r.newton) {
        if (cfg->batch_size != 0)
            return bad(msg, "the NEWTON solver works on the full batch: set config.batch_size = 0");
        if (cfg->lr != 0.0f)
            return bad(msg, "the NEWTON solver picks its own steps: leave config.lr = 0");
        if (cfg->momentum != 0.0f || cfg->schedule != DSC_LR_CONSTANT)
            return bad(msg, "the NEWTON solver takes no momentum or schedule (config.momentum = 0, "
                            "config.schedule = CONSTANT)");
#if !defined(DESCENT_NO_PENALTY) || !defined(DESCENT_NO_AVERAGE)
        if (cfg->alpha > 0.0f || cfg->average != 0)
            return bad(msg, "the NEWTON solver takes no config.alpha or config.average: use GD");
#endif
        if (param_count(*cfg) > DSC_NEWTON_MAX_PARAMS)
            return bad(msg, "the NEWTON solver supports at most DSC_NEWTON_MAX_PARAMS (1024) "
                            "parameters: use solver GD");
    }
#endif
#ifndef DESCENT_NO_PENALTY
    if (cfg->kind == DSC_LEGENDRE3 && cfg->alpha > 0.0f) {
        if (msg) *msg = "config.alpha: LEGENDRE3 takes no penalty";
        return DSC_ERR_UNSUPPORTED;
    }
#endif
#ifdef DESCENT_HAVE_CUDA  // without CUDA, cuda_check_config refuses the backend anyway
    if (cfg->backend == DSC_BACKEND_CUDA && (cfg->alpha > 0.0f || cfg->average != 0)) {
        if (msg) *msg = "the CUDA backend has no config.alpha penalty or config.average: use a CPU "
                        "backend";
        return DSC_ERR_UNSUPPORTED;
    }
#endif
#ifndef DESCENT_NO_NEWTON
    if (cfg->backend == DSC_BACKEND_CUDA && (r.newton || r.standardize)) {
        if (msg) *msg = "the CUDA backend trains with GD on raw features: set config.solver = GD "
                        "and config.standardize = OFF (or AUTO)";
        return DSC_ERR_UNSUPPORTED;
    }
#endif
    if (cfg->kind == DSC_LEGENDRE3 && cfg->lr == 0.0f && !r.newton) {
        if (msg) *msg = "automatic mode (lr = 0) for LEGENDRE3, whose loss is not convex, needs "
                        "the NEWTON solver on the full batch: set config.lr, or batch_size = 0";
        return DSC_ERR_UNSUPPORTED;
    }
    Layout lay;
    if (!compute_layout(*cfg, false, &lay))
        return bad(msg, "the arena for this config would exceed 4 GiB (batch_size or n_features too large)");
    if (cfg->backend == DSC_BACKEND_CUDA) return cuda_check_config(*cfg, msg);
    if (!kernels_for(cfg->backend)) {
        // Only an explicit request gets here: AUTO always finds a path, and ignores an unusable
        // DESCENT_BACKEND.
        if (msg) *msg = "config.backend asks for a kernel path that is not compiled into this "
                        "build or not supported by this CPU (dsc_backend_available)";
        return DSC_ERR_UNSUPPORTED;
    }
    return DSC_OK;
}

dsc_status check_data(const dsc_config &cfg, const float *X, const float *y, size_t n,
                      bool training, const char **msg) {
    if (!X || !y) return bad(msg, "X or y is NULL");
    if (n == 0) return bad(msg, "n_samples is 0");
    const size_t cols = cfg.n_features;
    if (n > SIZE_MAX / sizeof(float) / cols) {
        if (msg) *msg = "n_samples * n_features * sizeof(float) overflows size_t";
        return DSC_ERR_SIZE_OVERFLOW;
    }
#if SIZE_MAX > 0xFFFFFFFFu  // 32-bit targets cannot even express more rows
    if (training && cfg.batch_size > 0 && cfg.shuffle && n > 0xFFFFFFFFull) {
        if (msg) *msg = "shuffled minibatches support at most 2^32 - 1 rows";
        return DSC_ERR_UNSUPPORTED;
    }
#else
    (void)training;
#endif
    if (!all_finite(X, n * cols) || !all_finite(y, n)) {
        if (msg) *msg = "X or y holds NaN or Inf";
        return DSC_ERR_NONFINITE_INPUT;
    }
#ifndef DESCENT_NO_SOFTMAX
    if (cfg.kind == DSC_SOFTMAX) {  // class indices: integers 0..K-1 (NaN fails every test)
        const float top = (float)cfg.n_classes;
        uint32_t out = 0;
        for (size_t i = 0; i < n; ++i)
            out |= (uint32_t)!(y[i] >= 0.0f && y[i] < top && y[i] == (float)(uint32_t)y[i]);
        if (out) {
            if (msg) *msg = "SOFTMAX labels must be class indices 0..n_classes-1";
            return DSC_ERR_LABEL_RANGE;
        }
    }
#endif
    if (cfg.kind == DSC_LOGISTIC) {
        uint32_t out = 0;
        for (size_t i = 0; i < n; ++i) out |= (uint32_t)(y[i] < 0.0f || y[i] > 1.0f);
        if (out) {
            if (msg) *msg = "logistic labels must lie in [0, 1]";
            return DSC_ERR_LABEL_RANGE;
        }
#ifndef DESCENT_NO_LOSSES
        if (cfg.loss == DSC_LOSS_HINGE) {
            for (size_t i = 0; i < n; ++i) out |= (uint32_t)(y[i] != 0.0f && y[i] != 1.0f);
            if (out) {
                if (msg) *msg = "HINGE loss: labels must be exactly 0 or 1";
                return DSC_ERR_LABEL_RANGE;
            }
        }
#endif
    }
#ifndef DESCENT_NO_EARLY_STOP
    if (training && cfg.early_stopping) {
#if SIZE_MAX > 0xFFFFFFFFu  // 32-bit targets cannot even express more rows
        if (n > 0xFFFFFFFFull) {
            if (msg) *msg = "early stopping supports at most 2^32 - 1 rows (its row indices are 32-bit)";
            return DSC_ERR_UNSUPPORTED;
        }
#endif
        if (validation_count(cfg, n) == 0)
            return bad(msg, "early stopping: ceil(validation_fraction * n_samples) leaves no "
                            "held-out row or no training row (more rows, or another fraction)");
    }
#endif
    return DSC_OK;
}

#ifndef DESCENT_NO_SAMPLE_WEIGHT
dsc_status check_weights(const dsc_config &cfg, const float *w, size_t n, bool training,
                         FitRows *all, const char **msg) {
    double sum = 0.0;
    uint64_t nz = 0;
    float mn = 3.40282347e38f, mx = 0.0f;
    uint32_t nonfinite = 0, negative = 0;
    for (size_t i = 0; i < n; ++i) {
        const float v = w[i];
        nonfinite |= (uint32_t)!(v - v == 0.0f);  // NaN and +-Inf
        negative |= (uint32_t)(v < 0.0f);
        if (v > 0.0f && v <= 3.40282347e38f) {
            sum += (double)v;
            nz += 1;
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
    }
    if (nonfinite) {
        if (msg) *msg = "sample_weight holds NaN or Inf";
        return DSC_ERR_NONFINITE_INPUT;
    }
    if (negative) return bad(msg, "sample_weight holds a negative weight (each must be >= 0)");
    if (nz == 0) return bad(msg, "sample_weight: every weight is 0");
    all->w_all = sum;
    all->nz_all = nz;
    all->w_min = mn;
    all->w_max = mx;
    all->w_val = 0.0;
    all->nz_val = 0;
#ifndef DESCENT_NO_EARLY_STOP
    if (training && cfg.early_stopping) {  // check_data has checked the split's sizes
        const size_t n_val = validation_count(cfg, n);
        uint32_t idx[64];
        for (size_t k = 0; k < n_val; ++k) {  // the held-out rows, 64 at a time
            if (k % 64 == 0) split_positions(cfg.seed, n, k, n_val - k < 64 ? n_val - k : 64, idx);
            const float v = w[idx[k % 64]];
            all->w_val += (double)v;
            all->nz_val += v > 0.0f;
        }
        if (all->nz_val == 0)
            return bad(msg, "early stopping: every held-out row has sample weight 0 (dsc_validation_rows lists them)");
        if (all->nz_val == nz) return bad(msg, "early stopping: every training row has sample weight 0");
    }
#else
    (void)cfg, (void)training;
#endif
    return DSC_OK;
}
#endif

}  // namespace dsc
