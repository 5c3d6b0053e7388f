// NEON (ASIMD) kernels for aarch64: 4 float lanes with fused multiply-add. Chosen at compile
// time: every aarch64 CPU has ASIMD.
#if defined(__aarch64__)
#include <arm_neon.h>
#include <stddef.h>

#include "kernels.h"

namespace dsc {
namespace {

typedef float32x4_t V;
constexpr int W = 4;
const float kOnesFull[W] = {1.0f, 1.0f, 1.0f, 1.0f};

inline V vzero() { return vdupq_n_f32(0.0f); }
inline V vset1(float a) { return vdupq_n_f32(a); }
inline V vloadu(const float *p) { return vld1q_f32(p); }
inline V vload_n(const float *p, int n) {
    float t[W] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int i = 0; i < n; ++i) t[i] = p[i];
    return vld1q_f32(t);
}
inline void vstoreu(float *p, V v) { vst1q_f32(p, v); }
inline void vstore_n(float *p, V v, int n) {
    float t[W];
    vst1q_f32(t, v);
    for (int i = 0; i < n; ++i) p[i] = t[i];
}
inline V vadd(V a, V b) { return vaddq_f32(a, b); }
inline V vsub(V a, V b) { return vsubq_f32(a, b); }
inline V vmul(V a, V b) { return vmulq_f32(a, b); }
inline V vdiv(V a, V b) { return vdivq_f32(a, b); }
inline V vmax(V a, V b) { return vmaxq_f32(a, b); }
inline V vfma(V a, V b, V c) { return vfmaq_f32(c, a, b); }
inline V vabs(V a) { return vabsq_f32(a); }
inline V vsel_ge0(V z, V t, V f) { return vbslq_f32(vcgeq_f32(z, vdupq_n_f32(0.0f)), t, f); }
inline V vsel_gt(V a, V b, V t, V f) { return vbslq_f32(vcgtq_f32(a, b), t, f); }
inline V vround(V a) { return vrndnq_f32(a); }
inline V vpow2i(V n) {
    int32x4_t e = vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127));
    return vreinterpretq_f32_s32(vshlq_n_s32(e, 23));
}
inline float vhsum(V v) { return vaddvq_f32(v); }
inline float vhmax(V v) { return vmaxvq_f32(v); }
inline V vreduce_rows(const V *v) {
    return vpaddq_f32(vpaddq_f32(v[0], v[1]), vpaddq_f32(v[2], v[3]));
}

inline V vgather_stride(const float *p, int s, int m) {
    float t[W] = {p[0], m > 1 ? p[s] : 0.0f, m > 2 ? p[2 * s] : 0.0f, m > 3 ? p[3 * s] : 0.0f};
    return vld1q_f32(t);
}
// W contiguous rows of d floats as d column vectors: NEON's de-interleaving loads (d < W = 4).
inline bool vcols_fast(uint32_t) { return true; }
template <class Take>
inline void vload_cols(const float *p, uint32_t d, Take take) {
    if (d == 1) {
        take(0u, vld1q_f32(p));
    } else if (d == 2) {
        const float32x4x2_t t = vld2q_f32(p);
        take(0u, t.val[0]);
        take(1u, t.val[1]);
    } else if (d == 3) {
        const float32x4x3_t t = vld3q_f32(p);
        take(0u, t.val[0]);
        take(1u, t.val[1]);
        take(2u, t.val[2]);
    } else {
        for (uint32_t j = 0; j < d; ++j) take(j, vgather_stride(p + j, (int)d, W));
    }
}
inline void vprefetch(const void *p) { __builtin_prefetch(p); }

#include "simd_body.inc"

}  // namespace

extern const KernelTable kNeonKernels = DSC_SIMD_TABLE("neon");

}  // namespace dsc
#endif
