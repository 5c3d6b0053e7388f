// SSE2 kernels: 4 float lanes, the baseline of every x86-64 CPU. No FMA, no masked loads:
// a*b+c is two rounded operations, and partial vectors go through a small stack buffer.
#if defined(__x86_64__) || defined(_M_X64)
#include <emmintrin.h>
#include <stddef.h>

#include "kernels.h"

namespace dsc {
namespace {

typedef __m128 V;
constexpr int W = 4;
const float kOnesFull[W] = {1.0f, 1.0f, 1.0f, 1.0f};

inline V vzero() { return _mm_setzero_ps(); }
inline V vset1(float a) { return _mm_set1_ps(a); }
inline V vloadu(const float *p) { return _mm_loadu_ps(p); }
// Partial loads and stores touch exactly n floats (n < 4), without a trip through memory.
// Two floats move as one 64-bit integer lane (movq), which GCC's headers access through an
// unaligned type: p is only 4-byte aligned (_mm_load_sd would dereference a double*).
inline V load2(const float *p) { return _mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(p))); }
inline V vload_n(const float *p, int n) {
    switch (n) {
        case 1: return _mm_load_ss(p);
        case 2: return load2(p);
        case 3: return _mm_movelh_ps(load2(p), _mm_load_ss(p + 2));
        default: return _mm_setzero_ps();
    }
}
inline void vstoreu(float *p, V v) { _mm_storeu_ps(p, v); }
inline void vstore_n(float *p, V v, int n) {
    if (n >= 2) _mm_storel_epi64(reinterpret_cast<__m128i *>(p), _mm_castps_si128(v));
    if (n == 1) _mm_store_ss(p, v);
    if (n == 3) _mm_store_ss(p + 2, _mm_movehl_ps(v, v));
}
inline V vadd(V a, V b) { return _mm_add_ps(a, b); }
inline V vsub(V a, V b) { return _mm_sub_ps(a, b); }
inline V vmul(V a, V b) { return _mm_mul_ps(a, b); }
inline V vdiv(V a, V b) { return _mm_div_ps(a, b); }
inline V vmax(V a, V b) { return _mm_max_ps(a, b); }
inline V vfma(V a, V b, V c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
inline V vabs(V a) { return _mm_andnot_ps(_mm_set1_ps(-0.0f), a); }
inline V vblend(V mask, V t, V f) { return _mm_or_ps(_mm_and_ps(mask, t), _mm_andnot_ps(mask, f)); }
inline V vsel_ge0(V z, V t, V f) { return vblend(_mm_cmpge_ps(z, _mm_setzero_ps()), t, f); }
inline V vsel_gt(V a, V b, V t, V f) { return vblend(_mm_cmpgt_ps(a, b), t, f); }
inline V vround(V a) { return _mm_cvtepi32_ps(_mm_cvtps_epi32(a)); }
inline V vpow2i(V n) {
    __m128i e = _mm_add_epi32(_mm_cvtps_epi32(n), _mm_set1_epi32(127));
    return _mm_castsi128_ps(_mm_slli_epi32(e, 23));
}
inline float vhsum(V v) {
    V s = _mm_add_ps(v, _mm_movehl_ps(v, v));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}
inline float vhmax(V v) {
    V s = _mm_max_ps(v, _mm_movehl_ps(v, v));
    s = _mm_max_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}
inline V vreduce_rows(const V *v) {
    const V s01 = _mm_add_ps(_mm_unpacklo_ps(v[0], v[1]), _mm_unpackhi_ps(v[0], v[1]));
    const V s23 = _mm_add_ps(_mm_unpacklo_ps(v[2], v[3]), _mm_unpackhi_ps(v[2], v[3]));
    return _mm_add_ps(_mm_movelh_ps(s01, s23), _mm_movehl_ps(s23, s01));
}

inline V vgather_stride(const float *p, int s, int m) {
    return _mm_setr_ps(p[0], m > 1 ? p[s] : 0.0f, m > 2 ? p[2 * s] : 0.0f, m > 3 ? p[3 * s] : 0.0f);
}
// W contiguous rows of d floats as d column vectors (d < W = 4: all by loads and shuffles).
inline bool vcols_fast(uint32_t) { return true; }
template <class Take>
inline void vload_cols(const float *p, uint32_t d, Take take) {
    if (d == 1) {
        take(0u, _mm_loadu_ps(p));
    } else if (d == 2) {  // u = a0 b0 a1 b1, v = a2 b2 a3 b3
        const V u = _mm_loadu_ps(p), v = _mm_loadu_ps(p + 4);
        take(0u, _mm_shuffle_ps(u, v, _MM_SHUFFLE(2, 0, 2, 0)));
        take(1u, _mm_shuffle_ps(u, v, _MM_SHUFFLE(3, 1, 3, 1)));
    } else if (d == 3) {  // u = a0 b0 c0 a1, v = b1 c1 a2 b2, w = c2 a3 b3 c3
        const V u = _mm_loadu_ps(p), v = _mm_loadu_ps(p + 4), w = _mm_loadu_ps(p + 8);
        const V v2w1 = _mm_shuffle_ps(v, w, _MM_SHUFFLE(1, 1, 2, 2));
        take(0u, _mm_shuffle_ps(u, v2w1, _MM_SHUFFLE(2, 0, 3, 0)));
        const V u1v0 = _mm_shuffle_ps(u, v, _MM_SHUFFLE(0, 0, 1, 1));
        const V v3w2 = _mm_shuffle_ps(v, w, _MM_SHUFFLE(2, 2, 3, 3));
        take(1u, _mm_shuffle_ps(u1v0, v3w2, _MM_SHUFFLE(2, 0, 2, 0)));
        const V u2v1 = _mm_shuffle_ps(u, v, _MM_SHUFFLE(1, 1, 2, 2));
        take(2u, _mm_shuffle_ps(u2v1, w, _MM_SHUFFLE(3, 0, 2, 0)));
    } else {
        for (uint32_t j = 0; j < d; ++j) take(j, vgather_stride(p + j, (int)d, W));
    }
}
inline void vprefetch(const void *p) { _mm_prefetch(static_cast<const char *>(p), _MM_HINT_T0); }

#include "simd_body.inc"

}  // namespace

extern const KernelTable kSse2Kernels = DSC_SIMD_TABLE("sse2");

}  // namespace dsc
#endif
