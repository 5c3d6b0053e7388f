// AVX2 + FMA kernels: 8 float lanes, fused multiply-add, masked loads for row tails.
// Compiled with -mavx2 -mfma for this file only; dispatch runs it only where CPUID and XGETBV
// say the CPU and the OS support it.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#include <stddef.h>

#include "kernels.h"

namespace dsc {
namespace {

typedef __m256 V;
constexpr int W = 8;
const float kOnesFull[W] = {1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f};

inline __m256i tail_mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
inline V vzero() { return _mm256_setzero_ps(); }
inline V vset1(float a) { return _mm256_set1_ps(a); }
inline V vloadu(const float *p) { return _mm256_loadu_ps(p); }
inline V vload_n(const float *p, int n) { return _mm256_maskload_ps(p, tail_mask(n)); }
inline void vstoreu(float *p, V v) { _mm256_storeu_ps(p, v); }
inline void vstore_n(float *p, V v, int n) { _mm256_maskstore_ps(p, tail_mask(n), v); }
inline V vadd(V a, V b) { return _mm256_add_ps(a, b); }
inline V vsub(V a, V b) { return _mm256_sub_ps(a, b); }
inline V vmul(V a, V b) { return _mm256_mul_ps(a, b); }
inline V vdiv(V a, V b) { return _mm256_div_ps(a, b); }
inline V vmax(V a, V b) { return _mm256_max_ps(a, b); }
inline V vfma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
inline V vabs(V a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
inline V vsel_ge0(V z, V t, V f) {
    return _mm256_blendv_ps(f, t, _mm256_cmp_ps(z, _mm256_setzero_ps(), _CMP_GE_OQ));
}
inline V vsel_gt(V a, V b, V t, V f) { return _mm256_blendv_ps(f, t, _mm256_cmp_ps(a, b, _CMP_GT_OQ)); }
inline V vround(V a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
inline V vpow2i(V n) {
    __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
    return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
}
inline float vhsum(V v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}
inline float vhmax(V v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}
// hadd tree: lane i of the result is the sum of v[i]'s eight lanes.
inline V vreduce_rows(const V *v) {
    const V t0 = _mm256_hadd_ps(v[0], v[1]), t1 = _mm256_hadd_ps(v[2], v[3]);
    const V t2 = _mm256_hadd_ps(v[4], v[5]), t3 = _mm256_hadd_ps(v[6], v[7]);
    const V u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);
    return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

inline V vgather_stride(const float *p, int s, int m) {
    const __m256i idx = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(s));
    if (m == W) return _mm256_i32gather_ps(p, idx, 4);
    return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), p, idx, _mm256_castsi256_ps(tail_mask(m)), 4);
}
// W contiguous rows of D floats (8 D floats, D vectors) as D column vectors: column j's lane i
// is flat element i D + j, permuted out of each source vector (by the index's low 3 bits) and
// blended in where that vector holds it: D permutes and D - 1 blends per column.
template <int D, class Take>
inline void cols_perm(const float *p, Take take) {
    V s[D];
    for (int k = 0; k < D; ++k) s[k] = _mm256_loadu_ps(p + (size_t)8 * k);
    const __m256i base = _mm256_setr_epi32(0, D, 2 * D, 3 * D, 4 * D, 5 * D, 6 * D, 7 * D);
    for (int j = 0; j < D; ++j) {
        const __m256i idx = _mm256_add_epi32(base, _mm256_set1_epi32(j));
        const __m256i src = _mm256_srli_epi32(idx, 3);
        V col = _mm256_permutevar8x32_ps(s[0], idx);
        for (int k = 1; k < D; ++k) {
            const __m256 in = _mm256_castsi256_ps(_mm256_cmpeq_epi32(src, _mm256_set1_epi32(k)));
            col = _mm256_blendv_ps(col, _mm256_permutevar8x32_ps(s[k], idx), in);
        }
        take((uint32_t)j, col);
    }
}
// d = 4..7: permutes measured faster for linear 10000x5 but 1.35x slower for logistic (the
// pass then spills), so gathers.
inline bool vcols_fast(uint32_t d) { return d <= 3; }
template <class Take>
inline void vload_cols(const float *p, uint32_t d, Take take) {
    switch (d) {
        case 1: take(0u, _mm256_loadu_ps(p)); return;
        case 2: cols_perm<2>(p, take); return;
        case 3: cols_perm<3>(p, take); return;
        default:
            for (uint32_t j = 0; j < d; ++j) take(j, vgather_stride(p + j, (int)d, W));
    }
}
inline void vprefetch(const void *p) { _mm_prefetch(static_cast<const char *>(p), _MM_HINT_T0); }

#include "simd_body.inc"

}  // namespace

extern const KernelTable kAvx2Kernels = DSC_SIMD_TABLE("avx2");

}  // namespace dsc
#endif
