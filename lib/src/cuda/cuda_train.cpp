// The host side of the CUDA trainer: the device-arena layout, the copies, the automatic rate
// (autolr.hpp, the CPU trainer's code, over Gram products formed on the device) and the epoch
// loop, launching the device kernels of kernels/cuda/cuda_kernels.h.
//
// Memory: the caller's device arena (cfg.cuda_arena, dsc_cuda_arena_size bytes) holds the
// training state, parameters, momentum buffer, per-block partial sums and, for host data, a
// copy of X and y made once per fit. No cudaMalloc anywhere. Nothing is read back between
// epochs unless an on_epoch callback wants the loss.
#include <cuda_runtime_api.h>
#include <string.h>

#include "autolr.hpp"
#include "cuda/cuda_kernels.h"
#include "cuda_glue.hpp"
#include "cuda_limits.hpp"
#include "model.hpp"

namespace dsc {
namespace cuda {
namespace {

static_assert(kStopDiverged == DSC_STOP_DIVERGED, "kernels and ABI disagree on the divergence code");
static_assert(DSC_STOP_TOLERANCE == 2 && DSC_STOP_LR_MIN == 4, "epoch_end returns these codes");

// The row math the kernels run for a model kind.
uint32_t dev_model(uint32_t kind) {
    switch (kind) {
        case DSC_LOGISTIC: return kDevLogistic;
        case DSC_POLYNOMIAL: return kDevPolynomial;
        case DSC_LEGENDRE3: return kDevLegendre3;
        default: return kDevLinear;
    }
}

DevPtrs pointers(const dsc_config &c, uint32_t p, DevLayout *out) {
    const DevLayout l = dev_layout(p, c.n_features, c.cuda_max_samples);
    unsigned char *b = static_cast<unsigned char *>(c.cuda_arena);
    if (out) *out = l;
    return DevPtrs{reinterpret_cast<DevState *>(b + l.state), reinterpret_cast<float *>(b + l.theta),
                   reinterpret_cast<float *>(b + l.buf),    reinterpret_cast<float *>(b + l.work),
                   reinterpret_cast<float *>(b + l.v),      reinterpret_cast<double *>(b + l.gram),
                   reinterpret_cast<double *>(b + l.partials)};
}

// Where `p` can be read by the device: itself (device or managed memory), its mapped alias
// (pinned host memory, zero-copy as on Jetson), or null for plain host memory.
const float *device_view(const float *p) {
    cudaPointerAttributes attr;
    if (cudaPointerGetAttributes(&attr, p) != cudaSuccess) {
        cudaGetLastError();  // unregistered host memory on older runtimes: clear and copy
        return nullptr;
    }
    if (attr.type == cudaMemoryTypeDevice || attr.type == cudaMemoryTypeManaged)
        return static_cast<const float *>(attr.devicePointer);
    if (attr.type == cudaMemoryTypeHost && attr.devicePointer)
        return static_cast<const float *>(attr.devicePointer);
    return nullptr;
}

struct Failure {
    dsc_status status;
    const char *message;
};

#define DSC_CUDA_TRY(call)                                       \
    do {                                                         \
        const cudaError_t e_ = (call);                           \
        if (e_ != cudaSuccess) return Failure{DSC_ERR_DEVICE, cudaGetErrorString(e_)}; \
    } while (0)

Failure run_fit(dsc_model *m, const float *X, const float *y, size_t n, dsc_fit_report *rep) {
    const dsc_config &cfg = m->cfg;
    const uint32_t p = m->n_params, d = cfg.n_features;
    DSC_CUDA_TRY(cudaSetDevice(cfg.cuda_device));
    DevLayout lay;
    const DevPtrs a = pointers(cfg, p, &lay);
    unsigned char *base = static_cast<unsigned char *>(cfg.cuda_arena);

    const float *dX = device_view(X), *dy = device_view(y);
    if (!dX || !dy) {
        if (n > cfg.cuda_max_samples)
            return Failure{DSC_ERR_ARENA_TOO_SMALL,
                           "n_samples exceeds cfg.cuda_max_samples: the device arena cannot hold a copy of X and y"};
        float *cx = reinterpret_cast<float *>(base + lay.x), *cy = reinterpret_cast<float *>(base + lay.y);
        if (!dX) DSC_CUDA_TRY(cudaMemcpy(cx, X, (size_t)n * d * sizeof(float), cudaMemcpyHostToDevice));
        if (!dy) DSC_CUDA_TRY(cudaMemcpy(cy, y, (size_t)n * sizeof(float), cudaMemcpyHostToDevice));
        if (!dX) dX = cx;
        if (!dy) dy = cy;
    }

    DevState hs;
    memset(&hs, 0, sizeof hs);
    hs.st = m->st;
    DSC_CUDA_TRY(cudaMemcpy(a.st, &hs, sizeof hs, cudaMemcpyHostToDevice));
    DSC_CUDA_TRY(launch_validate(dX, dy, n, d, cfg.kind == DSC_LOGISTIC, a.st));
    DSC_CUDA_TRY(cudaMemcpy(&hs, a.st, sizeof hs, cudaMemcpyDeviceToHost));
    if (hs.flags & 1u) return Failure{DSC_ERR_NONFINITE_INPUT, "X or y holds NaN or Inf"};
    if (hs.flags & 2u) return Failure{DSC_ERR_LABEL_RANGE, "logistic labels must lie in [0, 1]"};

    DSC_CUDA_TRY(cudaMemcpy(a.theta, params(m), p * sizeof(float), cudaMemcpyHostToDevice));
    if (const float *v = at<float>(m, m->lay.velocity))
        DSC_CUDA_TRY(cudaMemcpy(a.buf, v, p * sizeof(float), cudaMemcpyHostToDevice));

    DevConfig dc;
    memset(&dc, 0, sizeof dc);
    dc.kind = dev_model(cfg.kind);
    dc.d = d;
    dc.degree = cfg.degree;
    dc.p = p;
    dc.mean = cfg.reduction == DSC_REDUCTION_MEAN;
    dc.batch = cfg.batch_size;
    dc.shuffle = cfg.shuffle;
    dc.seed = cfg.seed;
    dc.n = n;
    dc.momentum = cfg.momentum;
    dc.dampening = cfg.dampening;
    dc.weight_decay = cfg.weight_decay;
    dc.nesterov = cfg.nesterov;
    dc.has_momentum = m->lay.velocity != 0;
    dc.invscaling = cfg.schedule == DSC_LR_INVSCALING;
    dc.power_t = cfg.power_t;
    dc.rules.safeguard = cfg.lr == 0.0f && cfg.batch_size == 0 && cfg.momentum == 0.0f;
    dc.rules.adaptive = cfg.schedule == DSC_LR_ADAPTIVE;
    dc.rules.tol = cfg.tol;
    dc.rules.patience = cfg.n_iter_no_change;
    dc.rules.per_sample = dc.mean ? 1.0 : 1.0 / (double)n;

    // The automatic rate: Gram products on the device, the power iteration on the host.
    Failure fail{DSC_OK, nullptr};
    if (hs.st.lr == 0.0f) {
        float v[kMaxParams];
        double w[kMaxParams + 2];
        hs.st.lr = pick_lr(cfg, p, n, (double)n, v, w, [&](const float *vv, bool, double *out, double *max_sq) {
            if (fail.status != DSC_OK) return;
            cudaError_t e = cudaMemcpy(a.v, vv, p * sizeof(float), cudaMemcpyHostToDevice);
            if (e == cudaSuccess) e = launch_full_pass(kGram, dc, dX, dy, a);
            if (e == cudaSuccess) e = cudaMemcpy(out, a.gram, (p + 2) * sizeof(double), cudaMemcpyDeviceToHost);
            if (e != cudaSuccess) {
                fail = Failure{DSC_ERR_DEVICE, cudaGetErrorString(e)};
                for (uint32_t j = 0; j < p; ++j) out[j] = 0.0;
                *max_sq = 0.0;
                return;
            }
            *max_sq = out[p + 1];
        });
        if (fail.status != DSC_OK) return fail;
        DSC_CUDA_TRY(cudaMemcpy(&a.st->st.lr, &hs.st.lr, sizeof(float), cudaMemcpyHostToDevice));
    }
    rep->lr_initial = hs.st.lr;

    uint32_t stop = 0;
    for (uint32_t e = 0; e < cfg.max_epochs; ++e) {
        DSC_CUDA_TRY(cfg.batch_size == 0 ? launch_full_pass(kTrain, dc, dX, dy, a)
                                         : launch_minibatch_epoch(dc, dX, dy, a));
        if (cfg.on_epoch) {  // the callback needs each epoch's loss: read the state back
            DSC_CUDA_TRY(cudaMemcpy(&hs, a.st, sizeof hs, cudaMemcpyDeviceToHost));
            if (hs.stop) break;
            if (cfg.on_epoch(cfg.user, hs.st.epoch, hs.last_loss)) {
                stop = DSC_STOP_CALLBACK;
                break;
            }
        }
    }
    DSC_CUDA_TRY(launch_full_pass(kLossOnly, dc, dX, dy, a));
    DSC_CUDA_TRY(cudaMemcpy(&hs, a.st, sizeof hs, cudaMemcpyDeviceToHost));
    // Nothing was written to the model until every device call succeeded.
    DSC_CUDA_TRY(cudaMemcpy(at<float>(m, m->lay.work), a.theta, p * sizeof(float), cudaMemcpyDeviceToHost));
    if (float *v = at<float>(m, m->lay.velocity)) DSC_CUDA_TRY(cudaMemcpy(v, a.buf, p * sizeof(float), cudaMemcpyDeviceToHost));
    memcpy(params(m), at<float>(m, m->lay.work), p * sizeof(float));
    m->st = hs.st;
    if (!stop) stop = hs.stop ? hs.stop : (uint32_t)DSC_STOP_MAX_EPOCHS;
    rep->epochs_run = hs.epochs_run;
    rep->steps = hs.steps_run;
    rep->lr = hs.steps_run ? hs.lr_used : hs.st.lr;
    rep->final_loss = (float)hs.final_loss;
    rep->stop_reason = stop;
    rep->message = dsc_stop_reason_string((dsc_stop_reason)stop);
    return Failure{stop == DSC_STOP_DIVERGED ? DSC_ERR_DIVERGED : DSC_OK, rep->message};
}

}  // namespace

}  // namespace cuda

dsc_status cuda_check_config(const dsc_config &cfg, const char **msg) {
    if (cuda::param_limit_exceeded(cfg)) {
        if (msg) *msg = "the CUDA backend supports at most 4096 parameters (n_features <= 4095)";
        return DSC_ERR_UNSUPPORTED;
    }
    return DSC_OK;
}

dsc_status cuda_prepare(const dsc_config &cfg, const char **msg) {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0 || cfg.cuda_device < 0 ||
        cfg.cuda_device >= count) {
        cudaGetLastError();
        if (msg) *msg = "no usable CUDA device (no driver, no GPU, or cfg.cuda_device out of range)";
        return DSC_ERR_UNSUPPORTED;
    }
    if (!cfg.cuda_arena || cfg.cuda_arena_bytes < cuda_arena_size(cfg)) {
        if (msg) *msg = "cfg.cuda_arena is NULL or smaller than dsc_cuda_arena_size(cfg)";
        return DSC_ERR_ARENA_TOO_SMALL;
    }
    cudaPointerAttributes attr;
    if (cudaPointerGetAttributes(&attr, cfg.cuda_arena) != cudaSuccess ||
        (attr.type != cudaMemoryTypeDevice && attr.type != cudaMemoryTypeManaged)) {
        cudaGetLastError();
        if (msg) *msg = "cfg.cuda_arena is not device memory";
        return DSC_ERR_INVALID_ARGUMENT;
    }
    return DSC_OK;
}

size_t cuda_arena_size(const dsc_config &cfg) {
    return (size_t)cuda::dev_layout(param_count(cfg), cfg.n_features, cfg.cuda_max_samples).total;
}

dsc_status cuda_fit(dsc_model *m, const float *X, const float *y, size_t n, dsc_fit_report *rep) {
    dsc_fit_report local;
    if (!rep) {
        memset(&local, 0, sizeof local);
        rep = &local;
    }
    const cuda::Failure f = cuda::run_fit(m, X, y, n, rep);
    if (f.status != DSC_OK && f.status != DSC_ERR_DIVERGED) rep->message = f.message;
    return f.status;
}

}  // namespace dsc
