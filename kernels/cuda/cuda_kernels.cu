// The CUDA device kernels (see cuda_kernels.h): row math, block reductions, the fused SGD step
// and the launch wrappers. Pointers, sizes and cuda_layout.hpp's structs in; sums and the
// device training state out. Host-side logic (arena, copies, the epoch loop) is in
// lib/src/cuda/cuda_train.cpp.
#include <cuda_runtime.h>

#include "cuda_kernels.h"

namespace dsc {
namespace cuda {
namespace {

// The model output for one row (the logit for logistic); Legendre3 also returns t = c + d x.
__device__ float row_output(const DevConfig &c, const float *x, const float *theta, float *t) {
    switch (c.kind) {
        case kDevPolynomial: return rowmath::poly_eval(theta, c.degree, x[0]);
        case kDevLegendre3:
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
        case kDevPolynomial: {
            float f = 1.0f;
            for (int k = 0; k < j; ++k) f *= x[0];
            return f;
        }
        case kDevLegendre3:
            if (j == 0) return 1.0f;
            if (j == 1) return rowmath::p3(t);
            return j == 2 ? theta[1] * rowmath::dp3(t) : theta[1] * rowmath::dp3(t) * x[0];
        default: return j == 0 ? 1.0f : x[j - 1];
    }
}

__device__ float phi_sq(const DevConfig &c, const float *x) {
    if (c.kind == kDevPolynomial) {
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
            } else if (c.kind == kDevLogistic) {
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
            s.stop = kStopDiverged;
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

}  // namespace

cudaError_t launch_full_pass(PassMode mode, const DevConfig &c, const float *X, const float *y,
                             const DevPtrs &a) {
    const uint32_t grid = grid_blocks(c.n);
    switch (mode) {
        case kGram: full_pass<kGram><<<grid, kThreads>>>(c, X, y, a); break;
        case kLossOnly: full_pass<kLossOnly><<<grid, kThreads>>>(c, X, y, a); break;
        default: full_pass<kTrain><<<grid, kThreads>>>(c, X, y, a); break;
    }
    return cudaGetLastError();
}

cudaError_t launch_minibatch_epoch(const DevConfig &c, const float *X, const float *y, const DevPtrs &a) {
    minibatch_epoch<<<1, kThreads>>>(c, X, y, a);
    return cudaGetLastError();
}

cudaError_t launch_validate(const float *X, const float *y, uint64_t n, uint32_t d, int logistic, DevState *s) {
    validate<<<256, 256>>>(X, y, n, d, logistic, s);
    return cudaGetLastError();
}

}  // namespace cuda
}  // namespace dsc
