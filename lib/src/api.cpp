// The C ABI: validate every argument, translate to internal calls. No logic beyond that.
#include <math.h>
#include <string.h>

#include "cuda_glue.hpp"
#include "model.hpp"
#include "overlap.hpp"

using namespace dsc;

namespace {

bool valid(const dsc_model *m) { return m && m->magic == kModelMagic; }

bool trainable(const dsc_model *m) { return !(m->flags & kFlagPredictOnly); }

// A fit of this model is in progress: we are inside its on_epoch callback.
bool in_fit(const dsc_model *m) { return (m->flags & kFlagInFit) != 0; }

const char kBusy[] = "the model is being trained: this call is not allowed from inside its on_epoch callback";

// A caller buffer that shares bytes with the model itself (header, parameters, optimizer state,
// scratch) would be read after the model wrote it, or overwrite the model.
bool in_model(const dsc_model *m, const void *p, size_t bytes) {
    return ranges_overlap(m, m->lay.total, p, bytes);
}

// X (n x n_features floats) or y (n floats) overlaps the model; n is already bounded.
bool data_in_model(const dsc_model *m, const float *X, const float *y, size_t n) {
    return in_model(m, X, n * m->cfg.n_features * sizeof(float)) || in_model(m, y, n * sizeof(float));
}

dsc_status check_rows(const dsc_model *m, const float *X, size_t n, const void *out) {
    if (!valid(m) || !X || !out || n == 0) return DSC_ERR_INVALID_ARGUMENT;
    if (n > SIZE_MAX / sizeof(float) / m->cfg.n_features) return DSC_ERR_SIZE_OVERFLOW;
    if (in_model(m, X, n * m->cfg.n_features * sizeof(float)) || in_model(m, out, n * sizeof(float)))
        return DSC_ERR_INVALID_ARGUMENT;
    return DSC_OK;
}

// The enum a C caller passed, as the integer it is: C allows any int in an enum parameter, and
// reading it as the C++ enum type would be undefined for values outside the enumerators.
// Read through the underlying integer type: enums are int-sized on hosted ABIs and as small
// as one byte where the ABI packs them (arm-none-eabi's short enums).
template <typename E>
int32_t enum_value(const E &e) {
    using U = __underlying_type(E);  // GCC and clang builtin: no <type_traits> on bare metal
    static_assert(sizeof(U) <= sizeof(int32_t), "an enum wider than int32_t");
    U v;
    memcpy(&v, &e, sizeof v);
    return (int32_t)v;
}

void predict_raw(const dsc_model *m, const float *X, size_t n, float *out) {
    const PredictFn fn = m->cfg.kind == DSC_POLYNOMIAL  ? m->k->poly_predict
                         : m->cfg.kind == DSC_LEGENDRE3 ? m->k->legendre3_predict
                                                        : m->k->linear_predict;
    fn(X, n, m->cfg.n_features, published(m), m->cfg.degree, out);
}

#ifndef DESCENT_NO_SOFTMAX
// Logits of one row to probabilities: e^(z_k - max) / sum, in place (NaN logits stay NaN).
void softmax_in_place(float *z, uint32_t K) {
    float mx = z[0];
    for (uint32_t k = 1; k < K; ++k) mx = z[k] > mx ? z[k] : mx;
    float s = 0.0f;
    for (uint32_t k = 0; k < K; ++k) {
        z[k] = expf(z[k] - mx);
        s += z[k];
    }
    const float inv = 1.0f / s;
    for (uint32_t k = 0; k < K; ++k) z[k] *= inv;
}

// The most probable class of each row (the first of equal logits), as a float; a row with a
// NaN logit gets NaN. The logits of a few rows at a time, on the stack.
void softmax_labels(const dsc_model *m, const float *X, size_t n, float *out) {
    const uint32_t K = m->cfg.n_classes, d = m->cfg.n_features;
    float z[4 * kMaxClasses];
    const size_t rows = sizeof z / sizeof z[0] / K;
    for (size_t r0 = 0; r0 < n; r0 += rows) {
        const size_t cnt = n - r0 < rows ? n - r0 : rows;
        m->k->softmax_predict(X + r0 * d, cnt, d, published(m), K, z);
        for (size_t i = 0; i < cnt; ++i) {
            const float *zi = z + i * K;
            uint32_t best = 0;
            bool nan = zi[0] != zi[0];
            for (uint32_t k = 1; k < K; ++k) {
                nan = nan || zi[k] != zi[k];
                if (zi[k] > zi[best]) best = k;
            }
            out[r0 + i] = nan ? __builtin_nanf("") : (float)best;
        }
    }
}
#endif

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
    cfg->kind = (uint32_t)enum_value(kind);  // any value: dsc_check_config rejects a bad kind
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
    cfg->alpha = 0.0f;
    cfg->l1_ratio = 0.15f;
    cfg->average = 0;
    cfg->loss = DSC_LOSS_DEFAULT;
    cfg->epsilon = 0.1f;
    cfg->early_stopping = 0;
    cfg->validation_fraction = 0.1f;
    cfg->class_weight[0] = cfg->class_weight[1] = 1.0f;
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
    dsc_status s = check_config(cfg, nullptr);  // checks struct_size before the copy reads it all
    if (s != DSC_OK) return s;
    // The config may live inside the arena, which placing the model zeroes: work from a copy.
    const dsc_config c = *cfg;
    if (c.backend == DSC_BACKEND_CUDA && (s = cuda_prepare(c, nullptr)) != DSC_OK) return s;
    return place_model(c, false, arena, arena_bytes, out);
}

size_t dsc_cuda_arena_size(const dsc_config *cfg) {
    if (!cfg || cfg->struct_size != sizeof(dsc_config)) return 0;
    dsc_config c = *cfg;
    c.backend = DSC_BACKEND_CUDA;
    if (check_config(&c, nullptr) != DSC_OK) return 0;
    return cuda_arena_size(c);
}

}  // extern "C"

namespace {
// dsc_fit and dsc_fit_weighted (w: the sample weights, or null).
inline __attribute__((always_inline)) dsc_status fit_call(dsc_model *m, const float *X,
                                                          const float *y, const float *w,
                                                          size_t n_samples, dsc_fit_report *report) {
    // No local report when the caller passes none: dsc_fit's stack is budgeted on MCUs.
    dsc_fit_report *rep = report;
    // A report inside the model cannot even be cleared without corrupting the model.
    if (rep && valid(m) && in_model(m, rep, sizeof(*rep))) return DSC_ERR_INVALID_ARGUMENT;
    if (rep) memset(rep, 0, sizeof(*rep));
    if (!valid(m)) {
        if (rep) rep->message = "model is NULL or not a descent model";
        return DSC_ERR_INVALID_ARGUMENT;
    }
    if (in_fit(m)) {
        if (rep) rep->message = kBusy;
        return DSC_ERR_BUSY;
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
    }
    // From here a distributed fit's ranks must reach dist_start whatever their local verdict,
    // so that one rank's bad data is every rank's status rather than a hang.
    dsc_status s = m->cfg.backend == DSC_BACKEND_CUDA ? DSC_OK
                                                      : check_data(m->cfg, X, y, n_samples, true, &msg);
    if (s == DSC_OK && data_in_model(m, X, y, n_samples)) {
        msg = "X or y overlaps the model's own bytes in its arena";
        s = DSC_ERR_INVALID_ARGUMENT;
    }
    FitRows all;
    set_fit_rows(&all, m->cfg, X, y, n_samples, w);
#ifndef DESCENT_NO_SAMPLE_WEIGHT
    if (w && s == DSC_OK) {
        if (m->cfg.backend == DSC_BACKEND_CUDA || distributed(m)) {
            msg = "sample weights: CPU backends in one process only (not CUDA, not config.exchange)";
            s = DSC_ERR_UNSUPPORTED;
        } else if (in_model(m, w, n_samples * sizeof(float))) {
            msg = "sample_weight overlaps the model's own bytes in its arena";
            s = DSC_ERR_INVALID_ARGUMENT;
        } else {
            s = check_weights(m->cfg, w, n_samples, true, &all, &msg);
        }
    }
#endif
    if (distributed(m)) {
        s = dist_start(m, s, n_samples, &msg);
    } else {
        m->rows_total = n_samples;
        m->row0 = 0;
    }
    if (s != DSC_OK) {
        if (rep) rep->message = msg;
        return s;
    }
    // Marked for the whole fit, so calls from on_epoch that would change the model are refused.
    m->flags |= kFlagInFit;
    s = m->cfg.backend == DSC_BACKEND_CUDA ? cuda_fit(m, X, y, n_samples, rep) : fit(m, all, rep);
    m->flags &= ~kFlagInFit;
    if (comm_failed(m)) {
        m->comm_flags = 0;
        s = DSC_ERR_COMM;
        if (rep)
            rep->message = "distributed fit: an exchange failed during training; the model holds "
                           "the parameters with the lowest loss seen in this fit";
    }
    return s;
}

}  // namespace

extern "C" {

dsc_status dsc_fit(dsc_model *m, const float *X, const float *y, size_t n_samples,
                   dsc_fit_report *report) {
    return fit_call(m, X, y, nullptr, n_samples, report);
}

dsc_status dsc_fit_weighted(dsc_model *m, const float *X, const float *y,
                            const float *sample_weight, size_t n_samples, dsc_fit_report *report) {
#ifdef DESCENT_NO_SAMPLE_WEIGHT
    if (sample_weight) {
        if (report && !(valid(m) && in_model(m, report, sizeof(*report)))) {
            memset(report, 0, sizeof(*report));
            report->message = "sample weights are not in this build (DESCENT_SAMPLE_WEIGHT=OFF)";
        }
        return DSC_ERR_UNSUPPORTED;
    }
    return dsc_fit(m, X, y, n_samples, report);
#else
    return fit_call(m, X, y, sample_weight, n_samples, report);
#endif
}

dsc_status dsc_validation_rows(const dsc_config *cfg, size_t n_samples, uint32_t *rows,
                               size_t cap, size_t *count) {
#ifdef DESCENT_NO_EARLY_STOP
    (void)cfg, (void)n_samples, (void)rows, (void)cap, (void)count;
    return DSC_ERR_UNSUPPORTED;
#else
    if (!cfg || !count || (cap && !rows)) return DSC_ERR_INVALID_ARGUMENT;
    if (check_config(cfg, nullptr) != DSC_OK || !cfg->early_stopping) return DSC_ERR_INVALID_ARGUMENT;
#if SIZE_MAX > 0xFFFFFFFFu
    if (n_samples > 0xFFFFFFFFull) return DSC_ERR_INVALID_ARGUMENT;  // dsc_fit refuses such a split
#endif
    const size_t n_val = validation_count(*cfg, n_samples);
    if (n_val == 0) return DSC_ERR_INVALID_ARGUMENT;
    if (ranges_overlap(rows, (cap < n_val ? cap : n_val) * sizeof(uint32_t), count, sizeof *count))
        return DSC_ERR_INVALID_ARGUMENT;
    split_positions(cfg->seed, n_samples, 0, cap < n_val ? cap : n_val, rows);
    *count = n_val;
    return DSC_OK;
#endif
}

dsc_status dsc_loss(const dsc_model *m, const float *X, const float *y, size_t n_samples,
                    float *loss) {
    if (!valid(m) || !loss) return DSC_ERR_INVALID_ARGUMENT;
    dsc_status s = check_data(m->cfg, X, y, n_samples, false, nullptr);
    if (s != DSC_OK) return s;
    if (data_in_model(m, X, y, n_samples) || in_model(m, loss, sizeof(*loss)))
        return DSC_ERR_INVALID_ARGUMENT;
    *loss = (float)full_loss(m, fit_rows(m->cfg, X, y, n_samples), (double)n_samples);
    return DSC_OK;
}

dsc_status dsc_loss_weighted(const dsc_model *m, const float *X, const float *y,
                             const float *sample_weight, size_t n_samples, float *loss) {
    if (!sample_weight) return dsc_loss(m, X, y, n_samples, loss);
#ifdef DESCENT_NO_SAMPLE_WEIGHT
    return DSC_ERR_UNSUPPORTED;
#else
    if (!valid(m) || !loss) return DSC_ERR_INVALID_ARGUMENT;
    dsc_status s = check_data(m->cfg, X, y, n_samples, false, nullptr);
    if (s != DSC_OK) return s;
    if (data_in_model(m, X, y, n_samples) || in_model(m, loss, sizeof(*loss)) ||
        in_model(m, sample_weight, n_samples * sizeof(float)))
        return DSC_ERR_INVALID_ARGUMENT;
    FitRows all;
    set_fit_rows(&all, m->cfg, X, y, n_samples, sample_weight);
    if ((s = check_weights(m->cfg, sample_weight, n_samples, false, &all, nullptr)) != DSC_OK) return s;
    *loss = (float)full_loss(m, all, all.w_all);
    return DSC_OK;
#endif
}

dsc_status dsc_predict(const dsc_model *m, const float *X, size_t n_samples, float *out) {
#ifndef DESCENT_NO_SOFTMAX
    if (valid(m) && m->cfg.kind == DSC_SOFTMAX) return dsc_predict_label(m, X, n_samples, out);
#endif
    dsc_status s = dsc_predict_logit(m, X, n_samples, out);
    if (s == DSC_OK && m->cfg.kind == DSC_LOGISTIC) logits_to_probabilities(out, n_samples);
    return s;
}

dsc_status dsc_predict_logit(const dsc_model *m, const float *X, size_t n_samples, float *out) {
    dsc_status s = check_rows(m, X, n_samples, out);
    if (s != DSC_OK) return s;
#ifndef DESCENT_NO_SOFTMAX
    if (m->cfg.kind == DSC_SOFTMAX) return DSC_ERR_UNSUPPORTED;  // K logits a row: dsc_predict_proba
#endif
    predict_raw(m, X, n_samples, out);
    return DSC_OK;
}

dsc_status dsc_predict_label(const dsc_model *m, const float *X, size_t n_samples, float *out) {
    dsc_status s = check_rows(m, X, n_samples, out);
    if (s != DSC_OK) return s;
#ifndef DESCENT_NO_SOFTMAX
    if (m->cfg.kind == DSC_SOFTMAX) {
        softmax_labels(m, X, n_samples, out);
        return DSC_OK;
    }
#endif
    if (m->cfg.kind != DSC_LOGISTIC) return DSC_ERR_UNSUPPORTED;
    predict_raw(m, X, n_samples, out);
    logits_to_probabilities(out, n_samples);
    // Thresholding the probability (not the logit) keeps labels consistent with dsc_predict
    // for logits within rounding of zero. NaN probabilities (NaN input) stay NaN.
    for (size_t i = 0; i < n_samples; ++i)
        out[i] = out[i] != out[i] ? out[i] : (out[i] >= 0.5f ? 1.0f : 0.0f);
    return DSC_OK;
}

dsc_status dsc_predict_proba(const dsc_model *m, const float *X, size_t n_samples, float *out,
                             size_t out_count) {
    dsc_status s = check_rows(m, X, n_samples, out);  // X, and out's first n floats
    if (s != DSC_OK) return s;
    if (m->cfg.kind != DSC_LOGISTIC && m->cfg.kind != DSC_SOFTMAX) return DSC_ERR_UNSUPPORTED;
    const size_t K = m->cfg.kind == DSC_SOFTMAX ? m->cfg.n_classes : 2;
    if (n_samples > SIZE_MAX / sizeof(float) / K) return DSC_ERR_SIZE_OVERFLOW;
    if (out_count < n_samples * K) return DSC_ERR_BUFFER_TOO_SMALL;
    if (in_model(m, out, n_samples * K * sizeof(float))) return DSC_ERR_INVALID_ARGUMENT;
    if (m->cfg.kind == DSC_LOGISTIC) {
        // The probabilities into the first n floats, then spread from the end (row i's pair
        // lands at 2i >= i, past everything still to be read).
        predict_raw(m, X, n_samples, out);
        logits_to_probabilities(out, n_samples);
        for (size_t i = n_samples; i-- > 0;) {
            const float p = out[i];
            out[2 * i + 1] = p;
            out[2 * i] = 1.0f - p;
        }
        return DSC_OK;
    }
#ifndef DESCENT_NO_SOFTMAX
    m->k->softmax_predict(X, n_samples, m->cfg.n_features, published(m), (uint32_t)K, out);
    for (size_t i = 0; i < n_samples; ++i) softmax_in_place(out + i * K, (uint32_t)K);
#endif
    return DSC_OK;
}

size_t dsc_param_count(const dsc_model *m) { return valid(m) ? m->n_params : 0; }

dsc_status dsc_get_params(const dsc_model *m, float *out, size_t count) {
    if (!valid(m) || !out) return DSC_ERR_INVALID_ARGUMENT;
    if (count < m->n_params) return DSC_ERR_BUFFER_TOO_SMALL;
    if (in_model(m, out, m->n_params * sizeof(float))) return DSC_ERR_INVALID_ARGUMENT;
    memcpy(out, published(m), m->n_params * sizeof(float));
    return DSC_OK;
}

dsc_status dsc_set_params(dsc_model *m, const float *in, size_t count) {
    if (!valid(m)) return DSC_ERR_INVALID_ARGUMENT;
    if (in_fit(m)) return DSC_ERR_BUSY;
    if (!in || count != m->n_params || in_model(m, in, count * sizeof(float)))
        return DSC_ERR_INVALID_ARGUMENT;
    if (!all_finite(in, count)) return DSC_ERR_NONFINITE_INPUT;
    memcpy(params(m), in, count * sizeof(float));
    reset_train_state(m);
    return DSC_OK;
}

dsc_status dsc_reset(dsc_model *m) {
    if (!valid(m)) return DSC_ERR_INVALID_ARGUMENT;
    if (in_fit(m)) return DSC_ERR_BUSY;
    memset(params(m), 0, m->n_params * sizeof(float));
    reset_train_state(m);
    return DSC_OK;
}

dsc_status dsc_get_config(const dsc_model *m, dsc_config *out) {
    if (!valid(m) || !out || in_model(m, out, sizeof(*out))) return DSC_ERR_INVALID_ARGUMENT;
    *out = m->cfg;
    return DSC_OK;
}

dsc_status dsc_set_callback(dsc_model *m, dsc_epoch_callback on_epoch, void *user) {
    if (!valid(m)) return DSC_ERR_INVALID_ARGUMENT;
    if (in_fit(m)) return DSC_ERR_BUSY;
    m->cfg.on_epoch = on_epoch;
    m->cfg.user = user;
    return DSC_OK;
}

dsc_status dsc_set_exchange(dsc_model *m, dsc_exchange_fn exchange, void *comm, uint32_t comm_rank) {
    if (!valid(m)) return DSC_ERR_INVALID_ARGUMENT;
    if (in_fit(m)) return DSC_ERR_BUSY;
#ifdef DESCENT_NO_DIST
    if (exchange) return DSC_ERR_UNSUPPORTED;  // this build has no data-parallel training
#endif
    // A rank that cannot take part would leave the others waiting in their first exchange.
    // Early stopping's split is per process: not across ranks (check_config refuses it too).
    if (exchange && (!trainable(m) || m->cfg.backend == DSC_BACKEND_CUDA || m->cfg.early_stopping))
        return DSC_ERR_UNSUPPORTED;
    m->cfg.exchange = exchange;
    m->cfg.comm = exchange ? comm : nullptr;
    m->cfg.comm_rank = exchange ? comm_rank : 0;
    return DSC_OK;
}

const char *dsc_backend_name(const dsc_model *m) {
    if (!valid(m)) return "invalid";
    return m->cfg.backend == DSC_BACKEND_CUDA ? "cuda" : m->k->name;
}

uint32_t dsc_version(void) { return DSC_VERSION; }

const char *dsc_status_string(dsc_status s) {
    switch (enum_value(s)) {
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
        case DSC_ERR_BUSY: return kBusy;
        case DSC_ERR_LIMIT: return "model blob asks for more arena than max_arena_bytes allows";
        case DSC_ERR_COMM: return "distributed fit: the exchange failed, or the ranks' models or shards do not fit together";
        default: break;
    }
    return "unknown status";
}

const char *dsc_stop_reason_string(dsc_stop_reason r) {
    switch (enum_value(r)) {
        case DSC_STOP_NONE: return "did not run";
        case DSC_STOP_MAX_EPOCHS: return "reached max_epochs";
        case DSC_STOP_TOLERANCE: return "loss stopped improving by tol";
        case DSC_STOP_CALLBACK: return "stopped by the on_epoch callback";
        case DSC_STOP_LR_MIN: return "adaptive learning rate fell to 1e-6";
        case DSC_STOP_DIVERGED: return "diverged";
        case DSC_STOP_CONVERGED: return "converged";
        case DSC_STOP_SEPARABLE: return "classes separable: no finite optimum";
        case DSC_STOP_STALLED: return "stalled before converging";
        case DSC_STOP_VALIDATION: return "held-out loss stopped improving by tol";
        default: break;
    }
    return "unknown stop reason";
}

}  // extern "C"
