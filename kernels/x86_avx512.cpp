// AVX-512F kernels: 16 float lanes with mask registers for row tails. Compiled with
// -mavx512f for this file only.
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#include <stddef.h>

#include "kernels.h"

namespace dsc {
namespace {

typedef __m512 V;
constexpr int W = 16;
const float kOnesFull[W] = {1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f,
                            1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f};

inline __mmask16 tail_mask(int n) { return (__mmask16)((1u << n) - 1u); }
inline V vzero() { return _mm512_setzero_ps(); }
inline V vset1(float a) { return _mm512_set1_ps(a); }
inline V vloadu(const float *p) { return _mm512_loadu_ps(p); }
inline V vload_n(const float *p, int n) { return _mm512_maskz_loadu_ps(tail_mask(n), p); }
inline void vstoreu(float *p, V v) { _mm512_storeu_ps(p, v); }
inline void vstore_n(float *p, V v, int n) { _mm512_mask_storeu_ps(p, tail_mask(n), v); }
inline V vadd(V a, V b) { return _mm512_add_ps(a, b); }
inline V vsub(V a, V b) { return _mm512_sub_ps(a, b); }
inline V vmul(V a, V b) { return _mm512_mul_ps(a, b); }
inline V vdiv(V a, V b) { return _mm512_div_ps(a, b); }
inline V vmax(V a, V b) { return _mm512_max_ps(a, b); }
inline V vfma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
inline V vabs(V a) { return _mm512_abs_ps(a); }
inline V vsel_ge0(V z, V t, V f) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(z, _mm512_setzero_ps(), _CMP_GE_OQ), f, t);
}
inline V vsel_gt(V a, V b, V t, V f) { return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_GT_OQ), f, t); }
inline V vround(V a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
inline V vpow2i(V n) {
    __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
    return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
}
inline float vhsum(V v) { return _mm512_reduce_add_ps(v); }
inline float vhmax(V v) { return _mm512_reduce_max_ps(v); }

inline __m256 lo256(V v) { return _mm512_castps512_ps256(v); }
inline __m256 hi256(V v) { return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)); }
inline __m256 reduce8(const __m256 *h) {
    const __m256 t0 = _mm256_hadd_ps(h[0], h[1]), t1 = _mm256_hadd_ps(h[2], h[3]);
    const __m256 t2 = _mm256_hadd_ps(h[4], h[5]), t3 = _mm256_hadd_ps(h[6], h[7]);
    const __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);
    return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}
// Fold each vector's halves, then two 8-row hadd trees.
inline V vreduce_rows(const V *v) {
    __m256 h[W];
    for (int i = 0; i < W; ++i) h[i] = _mm256_add_ps(lo256(v[i]), hi256(v[i]));
    const __m256 r0 = reduce8(h), r1 = reduce8(h + 8);
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(r0)),
                                               _mm256_castps_pd(r1), 1));
}

inline V vgather_stride(const float *p, int s, int m) {
    const __m512i idx = _mm512_mullo_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32(s));
    if (m == W) return _mm512_i32gather_ps(idx, p, 4);
    return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), tail_mask(m), idx, p, 4);
}
// W contiguous rows of D floats (16 D floats, D vectors) as D column vectors: column j's lane i
// is flat element i D + j, taken from the vector pair (2q, 2q + 1) that holds it by a
// two-source permute (which reads the index's low 5 bits), pairs after the first merged by
// mask: D ceil(D / 2) permutes for 16 rows, where strided gathers cost D slow gathers.
template <int D, class Take>
inline void cols_perm(const float *p, Take take) {
    V s[D + (D & 1)];
    for (int k = 0; k < D; ++k) s[k] = _mm512_loadu_ps(p + (size_t)16 * k);
    if (D & 1) s[D] = s[D - 1];
    const __m512i base = _mm512_setr_epi32(0, D, 2 * D, 3 * D, 4 * D, 5 * D, 6 * D, 7 * D, 8 * D,
                                           9 * D, 10 * D, 11 * D, 12 * D, 13 * D, 14 * D, 15 * D);
    for (int j = 0; j < D; ++j) {
        const __m512i idx = _mm512_add_epi32(base, _mm512_set1_epi32(j));
        const __m512i pair = _mm512_srli_epi32(idx, 5);
        V col = _mm512_permutex2var_ps(s[0], idx, s[1]);
        for (int q = 1; 2 * q < D; ++q) {
            const __mmask16 k = _mm512_cmpeq_epi32_mask(pair, _mm512_set1_epi32(q));
            col = _mm512_mask_mov_ps(col, k, _mm512_permutex2var_ps(s[2 * q], idx, s[2 * q + 1]));
        }
        take((uint32_t)j, col);
    }
}
// Up to 6 columns: the D ceil(D / 2) permutes grow past D gathers beyond.
inline bool vcols_fast(uint32_t d) { return d <= 6; }
template <class Take>
inline void vload_cols(const float *p, uint32_t d, Take take) {
    switch (d) {
        case 1: take(0u, _mm512_loadu_ps(p)); return;
        case 2: cols_perm<2>(p, take); return;
        case 3: cols_perm<3>(p, take); return;
        case 4: cols_perm<4>(p, take); return;
        case 5: cols_perm<5>(p, take); return;
        case 6: cols_perm<6>(p, take); return;
        default:
            for (uint32_t j = 0; j < d; ++j) take(j, vgather_stride(p + j, (int)d, W));
    }
}
inline void vprefetch(const void *p) { _mm_prefetch(static_cast<const char *>(p), _MM_HINT_T0); }

#include "simd_body.inc"

}  // namespace

extern const KernelTable kAvx512Kernels = DSC_SIMD_TABLE("avx512");

}  // namespace dsc
#endif
