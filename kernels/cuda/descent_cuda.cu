// CUDA backend: training on the GPU with the CPU path's semantics.
//
// Memory: the caller's device arena (cfg.cuda_arena, dsc_cuda_arena_size bytes) holds the
// training state, parameters, momentum buffer, per-block partial sums and, for host data, a
// copy of X and y made once per fit. No cudaMalloc anywhere.
//
// Full-batch GD: one launch per epoch. Block b reads rows [b R, (b+1) R) (R fixed by n alone,
// cuda_layout.hpp) in tiles of 256 rows: phase A, one thread per row, forms the output and the
// loss term; phase B, one thread per parameter, sums g_i * phi_ij over the tile (coalesced
// reads of the rows just touched). Each block writes its sums to its own slot; the last block
// to finish folds the slots in block order (deterministic, bit-for-bit repeatable), takes the
// SGD step on the device and runs the epoch's bookkeeping (portable.hpp). Nothing is read back
// between epochs unless an on_epoch callback wants the loss.
//
// Minibatch SGD: one launch per epoch, one block running every minibatch step of the epoch in
// order (the same Feistel shuffle as the CPU), so small batches are not launch-bound.
#include <cuda_runtime.h>
#include <string.h>

#include "../../lib/src/autolr.hpp"
#include "../../lib/src/cuda_glue.hpp"
#include "../../lib/src/model.hpp"
#include "cuda_layout.hpp"

namespace dsc {
namespace cuda {
namespace {

struct DevPtrs {
    DevState *st;
    float *theta, *buf, *work, *v;
    double *gram, *partials;
};

enum Mode { kTrain = 0, kGram = 1, kLossOnly = 2 };

// The model output for one row (the logit for logistic); Legendre3 also returns t = c + d x.
__device__ float row_output(const DevConfig &c, const float *x, const float *theta, float *t) {
    switch (c.kind) {
        case DSC_POLYNOMIAL: return rowmath::poly_eval(theta, c.degree, x[0]);
        case DSC_LEGENDRE3:
            *t = theta[2] + theta[3] * x[0];
            return theta[0] + theta[1] * rowmath::p3(*t);
        default: {
            float s = theta[0];
            for (uint32_t j = 0; j < c.d; ++j) s += theta[j + 1] * x[j];
            return s;
        }
    }
}

// d(output)/d(param j) for one row (Legendre3 depends on the parameters as well).
__device__ float feature(const DevConfig &c, const float *x, int j, float t, const float *theta) {
    switch (c.kind) {
        case DSC_POLYNOMIAL: {
            float f = 1.0f;
            for (int k = 0; k < j; ++k) f *= x[0];
            return f;
        }
        case DSC_LEGENDRE3:
            if (j == 0) return 1.0f;
            if (j == 1) return rowmath::p3(t);
            return j == 2 ? theta[1] * rowmath::dp3(t) : theta[1] * rowmath::dp3(t) * x[0];
        default: return j == 0 ? 1.0f : x[j - 1];
    }
}

__device__ float phi_sq(const DevConfig &c, const float *x) {
    if (c.kind == DSC_POLYNOMIAL) {
        float s = 0.0f, f = 1.0f;
        for (uint32_t k = 0; k <= c.degree; ++k, f *= x[0]) s += f * f;
        return s;
    }
    float s = 1.0f;
    for (uint32_t j = 0; j < c.d; ++j) s += x[j] * x[j];
    return s;
}

struct Shared {
    float g[kThreads], t[kThreads];
    uint64_t row[kThreads];
    double red[kThreads];
};

// Row i of the set: shuffled or in order.
struct RowPick {
    const Permutation *perm;
    __device__ uint64_t operator()(uint64_t i) const { return perm ? permutation_apply(*perm, i) : i; }
};

// Sums over rows [first, first + count) of the pick: per owned parameter into acc, per thread
// loss (or |phi|^2 max for Gram) into loss / mx.
template <int M>
__device__ void accumulate(const DevConfig &c, const float *X, const float *y, const float *theta,
                           RowPick pick, uint64_t first, uint64_t count, double *acc, double &loss,
                           double &mx, Shared &sh) {
    const uint32_t tid = threadIdx.x;
    for (uint64_t t0 = 0; t0 < count; t0 += kThreads) {
        const uint32_t rows = (uint32_t)(count - t0 < kThreads ? count - t0 : kThreads);
        float g = 0.0f, l = 0.0f, t = 0.0f;
        uint64_t row = 0;
        if (tid < rows) {
            row = pick(first + t0 + tid);
            const float *x = X + row * c.d;
            const float z = row_output(c, x, theta, &t);
            if (M == kGram) {
                g = z;
                const double sq = (double)phi_sq(c, x);
                mx = sq > mx ? sq : mx;
            } else if (c.kind == DSC_LOGISTIC) {
                l = rowmath::bce_term(z, y[row], &g);
            } else {
                l = rowmath::mse_term(z, y[row], &g);
            }
        }
        loss += (double)l;
        sh.row[tid] = row;
        sh.g[tid] = g;
        sh.t[tid] = t;
        __syncthreads();
        if (M != kLossOnly) {
            for (uint32_t k = 0; k < kParamsPerThread; ++k) {
                const int j = owned_param(tid, k, c.p);
                if (j < 0) break;
                float s = 0.0f;
                for (uint32_t i = 0; i < rows; ++i)
                    s += sh.g[i] * feature(c, X + sh.row[i] * c.d, j, sh.t[i], theta);
                acc[k] += (double)s;
            }
        }
        __syncthreads();
    }
}

// Fixed-order tree over the block; every thread gets the result.
__device__ double block_sum(double v, Shared &sh) {
    sh.red[threadIdx.x] = v;
    __syncthreads();
    for (uint32_t s = kThreads / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) sh.red[threadIdx.x] += sh.red[threadIdx.x + s];
        __syncthreads();
    }
    const double r = sh.red[0];
    __syncthreads();
    return r;
}

__device__ double block_max(double v, Shared &sh) {
    sh.red[threadIdx.x] = v;
    __syncthreads();
    for (uint32_t s = kThreads / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s && sh.red[threadIdx.x + s] > sh.red[threadIdx.x])
            sh.red[threadIdx.x] = sh.red[threadIdx.x + s];
        __syncthreads();
    }
    const double r = sh.red[0];
    __syncthreads();
    return r;
}

// One SGD step from the owned gradient sums. Candidate parameters are committed only if all
// are finite. Returns false (parameters untouched) otherwise. All threads of the block call it.
__device__ bool take_step(const DevConfig &c, const DevPtrs &a, const double *grad, double scale,
                          float lr) {
    const bool first = !a.st->st.has_buf;
    const SgdCoeffs k = {lr, c.momentum, c.dampening, c.weight_decay, c.nesterov != 0, c.has_momentum != 0};
    int bad = 0;
    for (uint32_t q = 0; q < kParamsPerThread; ++q) {
        const int j = owned_param(threadIdx.x, q, c.p);
        if (j < 0) break;
        float unused = 0.0f;
        a.work[j] = sgd_update(a.theta[j], (float)(grad[q] * scale), c.has_momentum ? &a.buf[j] : &unused, first, k);
        bad |= !isfinite(a.work[j]);
    }
    bad = __syncthreads_or(bad);
    if (!bad) {
        for (uint32_t q = 0; q < kParamsPerThread; ++q) {
            const int j = owned_param(threadIdx.x, q, c.p);
            if (j < 0) break;
            a.theta[j] = a.work[j];
        }
    }
    __syncthreads();
    if (threadIdx.x == 0 && !bad) {
        a.st->st.step += 1;
        a.st->steps_run += 1;
        a.st->lr_used = lr;
        if (c.has_momentum) a.st->st.has_buf = 1;
    }
    __syncthreads();
    return !bad;
}

// The end of an epoch (all threads call; thread 0 writes the state).
__device__ void finish_epoch(const DevConfig &c, const DevPtrs &a, double epoch_loss, bool diverged) {
    if (diverged && c.has_momentum) {
        for (uint32_t q = 0; q < kParamsPerThread; ++q) {
            const int j = owned_param(threadIdx.x, q, c.p);
            if (j < 0) break;
            a.buf[j] = 0.0f;  // the failed step may have written it: start afresh
        }
    }
    if (threadIdx.x == 0) {
        DevState &s = *a.st;
        s.st.epoch += 1;
        s.epochs_run += 1;
        s.last_loss = (float)epoch_loss;
        if (diverged || !isfinite(epoch_loss)) {
            s.st.has_buf = 0;
            s.stop = DSC_STOP_DIVERGED;
        } else {
            const uint32_t why = epoch_end(s.st, c.rules, epoch_loss);
            if (why) s.stop = why;
        }
    }
}

template <int M>
__global__ void full_pass(DevConfig c, const float *X, const float *y, DevPtrs a) {
    __shared__ Shared sh;
    __shared__ int last;
    if (M == kTrain && a.st->stop) return;
    uint64_t first, count;
    block_rows(c.n, blockIdx.x, &first, &count);
    double acc[kParamsPerThread];
    for (uint32_t q = 0; q < kParamsPerThread; ++q) acc[q] = 0.0;
    double loss = 0.0, mx = 0.0;
    const float *theta = M == kGram ? a.v : a.theta;
    accumulate<M>(c, X, y, theta, RowPick{nullptr}, first, count, acc, loss, mx, sh);
    const double bl = block_sum(loss, sh), bm = block_max(mx, sh);
    double *slot = a.partials + (uint64_t)blockIdx.x * (c.p + 2);
    for (uint32_t q = 0; q < kParamsPerThread; ++q) {
        const int j = owned_param(threadIdx.x, q, c.p);
        if (j < 0) break;
        slot[j] = acc[q];
    }
    if (threadIdx.x == 0) {
        slot[c.p] = bl;
        slot[c.p + 1] = bm;
    }
    __threadfence();
    __syncthreads();
    if (threadIdx.x == 0) last = atomicAdd(&a.st->counter, 1u) == gridDim.x - 1;
    __syncthreads();
    if (!last) return;
    __threadfence();
    // The last block folds every block's sums in block order.
    double grad[kParamsPerThread];
    for (uint32_t q = 0; q < kParamsPerThread; ++q) {
        const int j = owned_param(threadIdx.x, q, c.p);
        if (j < 0) break;
        double s = 0.0;
        for (uint32_t b = 0; b < gridDim.x; ++b) s += ((volatile double *)a.partials)[(uint64_t)b * (c.p + 2) + j];
        grad[q] = s;
    }
    if (threadIdx.x == 0) {
        double L = 0.0, X2 = 0.0;
        for (uint32_t b = 0; b < gridDim.x; ++b) {
            L += ((volatile double *)a.partials)[(uint64_t)b * (c.p + 2) + c.p];
            const double m = ((volatile double *)a.partials)[(uint64_t)b * (c.p + 2) + c.p + 1];
            X2 = m > X2 ? m : X2;
        }
        sh.red[0] = L;
        sh.red[1] = X2;
        a.st->counter = 0;
    }
    __syncthreads();
    const double L = sh.red[0], X2 = sh.red[1];
    if (M == kGram) {
        for (uint32_t q = 0; q < kParamsPerThread; ++q) {
            const int j = owned_param(threadIdx.x, q, c.p);
            if (j < 0) break;
            a.gram[j] = grad[q];
        }
        if (threadIdx.x == 0) a.gram[c.p + 1] = X2;
        return;
    }
    const double epoch_loss = c.mean ? L / (double)c.n : L;
    if (M == kLossOnly) {
        if (threadIdx.x == 0) a.st->final_loss = epoch_loss;
        return;
    }
    bool ok = isfinite(L);
    if (ok) {
        const float lr = scheduled_lr(c.invscaling != 0, c.power_t, a.st->st.lr, a.st->st.step + 1);
        ok = take_step(c, a, grad, c.mean ? 1.0 / (double)c.n : 1.0, lr);
    }
    finish_epoch(c, a, epoch_loss, !ok);
}

__global__ void minibatch_epoch(DevConfig c, const float *X, const float *y, DevPtrs a) {
    __shared__ Shared sh;
    if (a.st->stop) return;
    Permutation perm;
    if (c.shuffle) permutation_init(&perm, c.n, c.seed, a.st->st.epoch);
    const RowPick pick{c.shuffle ? &perm : nullptr};
    double epoch_loss = 0.0;
    bool ok = true;
    for (uint64_t first = 0; first < c.n && ok; first += c.batch) {
        const uint64_t cnt = c.n - first < c.batch ? c.n - first : c.batch;
        double acc[kParamsPerThread];
        for (uint32_t q = 0; q < kParamsPerThread; ++q) acc[q] = 0.0;
        double loss = 0.0, mx = 0.0;
        accumulate<kTrain>(c, X, y, a.theta, pick, first, cnt, acc, loss, mx, sh);
        const double bl = block_sum(loss, sh);
        epoch_loss += bl;
        if (!isfinite(bl)) {
            ok = false;
            break;
        }
        const float lr = scheduled_lr(c.invscaling != 0, c.power_t, a.st->st.lr, a.st->st.step + 1);
        ok = take_step(c, a, acc, c.mean ? 1.0 / (double)cnt : 1.0, lr);
    }
    finish_epoch(c, a, c.mean ? epoch_loss / (double)c.n : epoch_loss, !ok);
}

__global__ void validate(const float *X, const float *y, uint64_t n, uint32_t d, int logistic, DevState *s) {
    uint32_t f = 0;
    const uint64_t stride = (uint64_t)gridDim.x * blockDim.x;
    for (uint64_t i = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n * d; i += stride)
        f |= isfinite(X[i]) ? 0u : 1u;
    for (uint64_t i = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        f |= isfinite(y[i]) ? 0u : 1u;
        if (logistic && (y[i] < 0.0f || y[i] > 1.0f)) f |= 2u;
    }
    if (f) atomicOr(&s->flags, f);
}

// ---- host side -------------------------------------------------------------------------------

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
    validate<<<256, 256>>>(dX, dy, n, d, cfg.kind == DSC_LOGISTIC, a.st);
    DSC_CUDA_TRY(cudaGetLastError());
    DSC_CUDA_TRY(cudaMemcpy(&hs, a.st, sizeof hs, cudaMemcpyDeviceToHost));
    if (hs.flags & 1u) return Failure{DSC_ERR_NONFINITE_INPUT, "X or y holds NaN or Inf"};
    if (hs.flags & 2u) return Failure{DSC_ERR_LABEL_RANGE, "logistic labels must lie in [0, 1]"};

    DSC_CUDA_TRY(cudaMemcpy(a.theta, params(m), p * sizeof(float), cudaMemcpyHostToDevice));
    if (const float *v = at<float>(m, m->lay.velocity))
        DSC_CUDA_TRY(cudaMemcpy(a.buf, v, p * sizeof(float), cudaMemcpyHostToDevice));

    DevConfig dc;
    memset(&dc, 0, sizeof dc);
    dc.kind = cfg.kind;
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
    const uint32_t grid = grid_blocks(n);

    // The automatic rate: Gram products on the device, the power iteration on the host.
    Failure fail{DSC_OK, nullptr};
    if (hs.st.lr == 0.0f) {
        float v[kMaxParams];
        double w[kMaxParams + 2];
        hs.st.lr = pick_lr(cfg, p, n, v, w, [&](const float *vv, bool, double *out, double *max_sq) {
            if (fail.status != DSC_OK) return;
            cudaError_t e = cudaMemcpy(a.v, vv, p * sizeof(float), cudaMemcpyHostToDevice);
            if (e == cudaSuccess) {
                full_pass<kGram><<<grid, kThreads>>>(dc, dX, dy, a);
                e = cudaGetLastError();
            }
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
        if (cfg.batch_size == 0) full_pass<kTrain><<<grid, kThreads>>>(dc, dX, dy, a);
        else minibatch_epoch<<<1, kThreads>>>(dc, dX, dy, a);
        DSC_CUDA_TRY(cudaGetLastError());
        if (cfg.on_epoch) {  // the callback needs each epoch's loss: read the state back
            DSC_CUDA_TRY(cudaMemcpy(&hs, a.st, sizeof hs, cudaMemcpyDeviceToHost));
            if (hs.stop) break;
            if (cfg.on_epoch(cfg.user, hs.st.epoch, hs.last_loss)) {
                stop = DSC_STOP_CALLBACK;
                break;
            }
        }
    }
    full_pass<kLossOnly><<<grid, kThreads>>>(dc, dX, dy, a);
    DSC_CUDA_TRY(cudaGetLastError());
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

extern "C" dsc_status dsc_cuda_query(int device, dsc_cuda_info *info) {
    if (!info) return DSC_ERR_INVALID_ARGUMENT;
    memset(info, 0, sizeof *info);
    info->device = device;
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess || count == 0) {
        cudaGetLastError();
        info->message = e != cudaSuccess ? cudaGetErrorString(e) : "no CUDA device";
        return DSC_ERR_UNSUPPORTED;
    }
    if (device < 0 || device >= count) {
        info->message = "device ordinal out of range";
        return DSC_ERR_INVALID_ARGUMENT;
    }
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, device) != cudaSuccess) {
        info->message = "cudaGetDeviceProperties failed";
        return DSC_ERR_DEVICE;
    }
    info->available = 1;
    info->cc_major = prop.major;
    info->cc_minor = prop.minor;
    info->integrated = prop.integrated;
    info->total_memory = prop.totalGlobalMem;
    size_t len = strnlen(prop.name, sizeof prop.name);
    if (len > sizeof info->name - 1) len = sizeof info->name - 1;
    memcpy(info->name, prop.name, len);
    info->name[len] = '\0';
    info->message = "ok";
    return DSC_OK;
}
