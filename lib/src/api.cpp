// The C ABI: validate every argument, translate to internal calls. No logic beyond that.
#include <math.h>
#include <string.h>

#include "cuda_glue.hpp"
#include "model.hpp"

using namespace dsc;

namespace {

bool valid(const dsc_model *m) { return m && m->magic == kModelMagic; }

bool trainable(const dsc_model *m) { return !(m->flags & kFlagPredictOnly); }

dsc_status check_rows(const dsc_model *m, const float *X, size_t n, const void *out) {
    if (!valid(m) || !X || !out || n == 0) return DSC_ERR_INVALID_ARGUMENT;
    if (n > SIZE_MAX / sizeof(float) / m->cfg.n_features) return DSC_ERR_SIZE_OVERFLOW;
    return DSC_OK;
}

void predict_raw(const dsc_model *m, const float *X, size_t n, float *out) {
    const PredictFn fn = m->cfg.kind == DSC_POLYNOMIAL  ? m->k->poly_predict
                         : m->cfg.kind == DSC_LEGENDRE3 ? m->k->legendre3_predict
                                                        : m->k->linear_predict;
    fn(X, n, m->cfg.n_features, params(m), m->cfg.degree, out);
}

// Stable sigmoid: exp of a non-positive number only.
void logits_to_probabilities(float *v, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        const float z = v[i];
        if (z >= 0.0f) {
            v[i] = 1.0f / (1.0f + expf(-z));
        } else {
            const float e = expf(z);
            v[i] = e / (1.0f + e);
        }
    }
}

}  // namespace

extern "C" {

void dsc_config_init(dsc_config *cfg, dsc_model_kind kind, uint32_t n_features) {
    if (!cfg) return;
    memset(cfg, 0, sizeof(*cfg));
    cfg->struct_size = sizeof(dsc_config);
    cfg->kind = (uint32_t)kind;
    cfg->n_features = n_features;
    cfg->degree = 3;
    cfg->reduction = DSC_REDUCTION_MEAN;
    cfg->batch_size = 0;
    cfg->shuffle = 1;
    cfg->max_epochs = 1000;
    cfg->seed = 0;
    cfg->lr = 0.0f;
    cfg->schedule = DSC_LR_CONSTANT;
    cfg->power_t = 0.25f;
    cfg->tol = -1.0f;
    cfg->n_iter_no_change = 5;
    cfg->backend = DSC_BACKEND_AUTO;
    cfg->max_tasks = 16;
    cfg->standardize = DSC_STANDARDIZE_AUTO;
    cfg->solver = DSC_SOLVER_AUTO;
    cfg->conv_tol = 0.0f;
}

const char *dsc_check_config(const dsc_config *cfg) {
    const char *msg = nullptr;
    check_config(cfg, &msg);
    return msg;
}

size_t dsc_arena_size(const dsc_config *cfg) {
    if (check_config(cfg, nullptr) != DSC_OK) return 0;
    Layout lay;
    return compute_layout(*cfg, false, &lay) ? lay.total : 0;
}

dsc_status dsc_create(const dsc_config *cfg, void *arena, size_t arena_bytes, dsc_model **out) {
    if (!arena || !out) return DSC_ERR_INVALID_ARGUMENT;
    dsc_status s = check_config(cfg, nullptr);
    if (s != DSC_OK) return s;
    if (cfg->backend == DSC_BACKEND_CUDA && (s = cuda_prepare(*cfg, nullptr)) != DSC_OK) return s;
    return place_model(*cfg, false, arena, arena_bytes, out);
}

size_t dsc_cuda_arena_size(const dsc_config *cfg) {
    if (!cfg || cfg->struct_size != sizeof(dsc_config)) return 0;
    dsc_config c = *cfg;
    c.backend = DSC_BACKEND_CUDA;
    if (check_config(&c, nullptr) != DSC_OK) return 0;
    return cuda_arena_size(c);
}

dsc_status dsc_fit(dsc_model *m, const float *X, const float *y, size_t n_samples,
                   dsc_fit_report *report) {
    // No local report when the caller passes none: dsc_fit's stack is budgeted on MCUs.
    dsc_fit_report *rep = report;
    if (rep) memset(rep, 0, sizeof(*rep));
    if (!valid(m)) {
        if (rep) rep->message = "model is NULL or not a descent model";
        return DSC_ERR_INVALID_ARGUMENT;
    }
    if (!trainable(m)) {
        if (rep) rep->message = "model was loaded from a predictor blob and cannot be trained";
        return DSC_ERR_UNSUPPORTED;
    }
    const char *msg = nullptr;
    if (m->cfg.backend == DSC_BACKEND_CUDA) {
        // X and y may live on the device: the CUDA backend validates them there.
        if (!X || !y || n_samples == 0) {
            if (rep) rep->message = "X or y is NULL, or n_samples is 0";
            return DSC_ERR_INVALID_ARGUMENT;
        }
        if (n_samples > SIZE_MAX / sizeof(float) / m->cfg.n_features) {
            if (rep) rep->message = "n_samples * n_features * sizeof(float) overflows size_t";
            return DSC_ERR_SIZE_OVERFLOW;
        }
        return cuda_fit(m, X, y, n_samples, rep);
    }
    dsc_status s = check_data(m->cfg, X, y, n_samples, true, &msg);
    if (s != DSC_OK) {
        if (rep) rep->message = msg;
        return s;
    }
    return fit(m, X, y, n_samples, rep);
}

dsc_status dsc_loss(const dsc_model *m, const float *X, const float *y, size_t n_samples,
                    float *loss) {
    if (!valid(m) || !loss) return DSC_ERR_INVALID_ARGUMENT;
    dsc_status s = check_data(m->cfg, X, y, n_samples, false, nullptr);
    if (s != DSC_OK) return s;
    *loss = (float)full_loss(m, X, y, n_samples);
    return DSC_OK;
}

dsc_status dsc_predict(const dsc_model *m, const float *X, size_t n_samples, float *out) {
    dsc_status s = dsc_predict_logit(m, X, n_samples, out);
    if (s == DSC_OK && m->cfg.kind == DSC_LOGISTIC) logits_to_probabilities(out, n_samples);
    return s;
}

dsc_status dsc_predict_logit(const dsc_model *m, const float *X, size_t n_samples, float *out) {
    dsc_status s = check_rows(m, X, n_samples, out);
    if (s != DSC_OK) return s;
    predict_raw(m, X, n_samples, out);
    return DSC_OK;
}

dsc_status dsc_predict_label(const dsc_model *m, const float *X, size_t n_samples, float *out) {
    dsc_status s = check_rows(m, X, n_samples, out);
    if (s != DSC_OK) return s;
    if (m->cfg.kind != DSC_LOGISTIC) return DSC_ERR_UNSUPPORTED;
    predict_raw(m, X, n_samples, out);
    logits_to_probabilities(out, n_samples);
    // Thresholding the probability (not the logit) keeps labels consistent with dsc_predict
    // for logits within rounding of zero. NaN probabilities (NaN input) stay NaN.
    for (size_t i = 0; i < n_samples; ++i)
        out[i] = out[i] != out[i] ? out[i] : (out[i] >= 0.5f ? 1.0f : 0.0f);
    return DSC_OK;
}

size_t dsc_param_count(const dsc_model *m) { return valid(m) ? m->n_params : 0; }

dsc_status dsc_get_params(const dsc_model *m, float *out, size_t count) {
    if (!valid(m) || !out) return DSC_ERR_INVALID_ARGUMENT;
    if (count < m->n_params) return DSC_ERR_BUFFER_TOO_SMALL;
    memcpy(out, params(m), m->n_params * sizeof(float));
    return DSC_OK;
}

dsc_status dsc_set_params(dsc_model *m, const float *in, size_t count) {
    if (!valid(m) || !in || count != m->n_params) return DSC_ERR_INVALID_ARGUMENT;
    if (!all_finite(in, count)) return DSC_ERR_NONFINITE_INPUT;
    memcpy(params(m), in, count * sizeof(float));
    reset_train_state(m);
    return DSC_OK;
}

dsc_status dsc_reset(dsc_model *m) {
    if (!valid(m)) return DSC_ERR_INVALID_ARGUMENT;
    memset(params(m), 0, m->n_params * sizeof(float));
    reset_train_state(m);
    return DSC_OK;
}

dsc_status dsc_get_config(const dsc_model *m, dsc_config *out) {
    if (!valid(m) || !out) return DSC_ERR_INVALID_ARGUMENT;
    *out = m->cfg;
    return DSC_OK;
}

dsc_status dsc_set_callback(dsc_model *m, dsc_epoch_callback on_epoch, void *user) {
    if (!valid(m)) return DSC_ERR_INVALID_ARGUMENT;
    m->cfg.on_epoch = on_epoch;
    m->cfg.user = user;
    return DSC_OK;
}

const char *dsc_backend_name(const dsc_model *m) {
    if (!valid(m)) return "invalid";
    return m->cfg.backend == DSC_BACKEND_CUDA ? "cuda" : m->k->name;
}

const char *dsc_status_string(dsc_status s) {
    switch (s) {
        case DSC_OK: return "ok";
        case DSC_ERR_INVALID_ARGUMENT: return "invalid argument (null pointer, zero size or bad config value)";
        case DSC_ERR_ARENA_TOO_SMALL: return "arena too small: pass at least dsc_arena_size() bytes, 8-byte aligned";
        case DSC_ERR_NONFINITE_INPUT: return "input holds NaN or Inf";
        case DSC_ERR_LABEL_RANGE: return "logistic labels must lie in [0, 1]";
        case DSC_ERR_DIVERGED: return "training diverged; the parameters with the lowest loss were kept";
        case DSC_ERR_BAD_MODEL_BLOB: return "model blob is truncated, corrupted or not a descent model";
        case DSC_ERR_UNSUPPORTED: return "unsupported by this model, build or CPU";
        case DSC_ERR_BUFFER_TOO_SMALL: return "output buffer too small";
        case DSC_ERR_SIZE_OVERFLOW: return "n_samples * n_features overflows size_t";
        case DSC_ERR_DEVICE: return "a CUDA runtime call failed";
    }
    return "unknown status";
}

const char *dsc_stop_reason_string(dsc_stop_reason r) {
    switch (r) {
        case DSC_STOP_NONE: return "did not run";
        case DSC_STOP_MAX_EPOCHS: return "reached max_epochs";
        case DSC_STOP_TOLERANCE: return "loss stopped improving by tol";
        case DSC_STOP_CALLBACK: return "stopped by the on_epoch callback";
        case DSC_STOP_LR_MIN: return "adaptive learning rate fell to 1e-6";
        case DSC_STOP_DIVERGED: return "diverged";
        case DSC_STOP_CONVERGED: return "converged";
        case DSC_STOP_SEPARABLE: return "classes separable: no finite optimum";
        case DSC_STOP_STALLED: return "stalled before converging";
    }
    return "unknown stop reason";
}

}  // extern "C"
