// AVX2 + FMA probes (compiled with -mavx2 -mfma; run only where the CPU supports both).
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "limits.h"

namespace bench {

double read_sum_avx2(const float *p, size_t n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,
           a7 = a0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        a0 = _mm256_add_ps(a0, _mm256_loadu_ps(p + i));
        a1 = _mm256_add_ps(a1, _mm256_loadu_ps(p + i + 8));
        a2 = _mm256_add_ps(a2, _mm256_loadu_ps(p + i + 16));
        a3 = _mm256_add_ps(a3, _mm256_loadu_ps(p + i + 24));
        a4 = _mm256_add_ps(a4, _mm256_loadu_ps(p + i + 32));
        a5 = _mm256_add_ps(a5, _mm256_loadu_ps(p + i + 40));
        a6 = _mm256_add_ps(a6, _mm256_loadu_ps(p + i + 48));
        a7 = _mm256_add_ps(a7, _mm256_loadu_ps(p + i + 56));
    }
    a0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                       _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    float t[8];
    _mm256_storeu_ps(t, a0);
    double s = 0;
    for (int k = 0; k < 8; ++k) s += t[k];
    for (; i < n; ++i) s += p[i];
    return s;
}

#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

float peak_avx2(long iters, float a, float b) {
    const __m256 va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b);
#define INIT(k) __m256 c##k = _mm256_set1_ps(b + (float)k);
    CHAINS(INIT)
#undef INIT
    for (long i = 0; i < iters; ++i) {
#define STEP(k) c##k = _mm256_fmadd_ps(c##k, va, vb);
        CHAINS(STEP)
#undef STEP
    }
    __m256 s = _mm256_setzero_ps();
#define SUM(k) s = _mm256_add_ps(s, c##k);
    CHAINS(SUM)
#undef SUM
    return _mm256_cvtss_f32(s);
}

}  // namespace bench
#endif
