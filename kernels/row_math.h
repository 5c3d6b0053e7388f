// Per-row model math shared by the scalar kernels and the CUDA kernels (compiled for host and
// device). Only non-ISA translation units include this (scalar.cpp, lib/, kernels/cuda/), so no
// copy built with vector flags can be picked by the linker for code that must run anywhere.
#pragma once

#include <math.h>
#include <stdint.h>

#if defined(__CUDACC__)
#define DSC_HD __host__ __device__ __forceinline__
#else
#define DSC_HD inline
#endif
#if defined(__GNUC__)
#define DSC_NOINLINE __attribute__((noinline))
#else
#define DSC_NOINLINE
#endif

namespace dsc {
namespace rowmath {

DSC_HD float poly_eval(const float *c, uint32_t degree, float x) {
    float s = c[degree];
    for (uint32_t k = degree; k-- > 0;) s = s * x + c[k];
    return s;
}

// Legendre P3 and its derivative.
DSC_HD float p3(float t) { return 0.5f * t * (5.0f * t * t - 3.0f); }
DSC_HD float dp3(float t) { return 0.5f * (15.0f * t * t - 3.0f); }

// MSE row: loss (pred - y)^2, d/dpred = 2 (pred - y).
DSC_HD float mse_term(float pred, float y, float *g) {
    const float r = pred - y;
    *g = 2.0f * r;
    return r * r;
}

// A row's label weight (kernels.h RowSet::lw0, lw1): lw0 (1 - y) + lw1 y, exactly lw0 or lw1
// for a 0 / 1 label.
DSC_HD float label_weight(float lw0, float lw1, float y) { return lw0 * (1.0f - y) + lw1 * y; }

// BCE from the logit: log(1 + e^z) - y z, stable for any z; d/dz = sigmoid(z) - y formed as
// (1 - y) - q or q - y with q = e^-|z| / (1 + e^-|z|), exact when a confident prediction is
// right.
DSC_HD float bce_term(float z, float y, float *g) {
    const float t = expf(z < 0.0f ? z : -z);
    const float q = t / (1.0f + t);
    *g = z >= 0.0f ? (1.0f - y) - q : q - y;
    return (z > 0.0f ? z : 0.0f) + log1pf(t) - y * z;
}

DSC_HD float bce_loss(float z, float y) {
    const float az = z < 0.0f ? -z : z;
    return (z > 0.0f ? z : 0.0f) + log1pf(expf(-az)) - y * z;
}

// The robust losses of kernels.h's RowLoss (loss codes 1..4), e their parameter; the SIMD
// terms (simd_body.inc) perform the same operations in the same order.
DSC_HD float robust_term(uint32_t loss, float z, float y, float e, float *g) {
    const float r = z - y, a = fabsf(r);
    if (loss == 1u) {  // Huber
        const float c = a > e ? e : a;
        *g = r >= 0.0f ? c : -c;
        return c * (a - 0.5f * c);
    }
    if (loss == 2u) {  // epsilon-insensitive
        *g = a > e ? (r >= 0.0f ? 1.0f : -1.0f) : 0.0f;
        const float d = a - e;
        return d > 0.0f ? d : 0.0f;
    }
    if (loss == 3u) {  // squared epsilon-insensitive
        const float d = a - e, m = d > 0.0f ? d : 0.0f, m2 = m + m;
        *g = r >= 0.0f ? m2 : -m2;
        return m * m;
    }
    const float s = (y + y) - 1.0f, sz = s * z;  // hinge
    *g = sz > 1.0f ? 0.0f : -s;
    const float l = 1.0f - sz;
    return l > 0.0f ? l : 0.0f;
}

}  // namespace rowmath
}  // namespace dsc
