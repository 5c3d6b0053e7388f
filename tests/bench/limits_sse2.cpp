// x86-64 baseline probes (SSE2, no extra flags): 4-lane reads, and separate multiply + add
// chains (SSE2 has no FMA), plus a one-lane chain as the scalar reference.
#if defined(__x86_64__) || defined(_M_X64)
#include <emmintrin.h>

#include "limits.h"

namespace bench {

double read_sum_sse2(const float *p, size_t n) {
    __m128 a0 = _mm_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm_add_ps(a0, _mm_loadu_ps(p + i));
        a1 = _mm_add_ps(a1, _mm_loadu_ps(p + i + 4));
        a2 = _mm_add_ps(a2, _mm_loadu_ps(p + i + 8));
        a3 = _mm_add_ps(a3, _mm_loadu_ps(p + i + 12));
        a4 = _mm_add_ps(a4, _mm_loadu_ps(p + i + 16));
        a5 = _mm_add_ps(a5, _mm_loadu_ps(p + i + 20));
        a6 = _mm_add_ps(a6, _mm_loadu_ps(p + i + 24));
        a7 = _mm_add_ps(a7, _mm_loadu_ps(p + i + 28));
    }
    a0 = _mm_add_ps(_mm_add_ps(_mm_add_ps(a0, a1), _mm_add_ps(a2, a3)),
                    _mm_add_ps(_mm_add_ps(a4, a5), _mm_add_ps(a6, a7)));
    float t[4];
    _mm_storeu_ps(t, a0);
    double s = (double)t[0] + t[1] + t[2] + t[3];
    for (; i < n; ++i) s += p[i];
    return s;
}

#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

float peak_scalar_sse(long iters, float a, float b) {
    const __m128 va = _mm_set_ss(a), vb = _mm_set_ss(b);
#define INIT(k) __m128 c##k = _mm_set_ss(b + (float)k);
    CHAINS(INIT)
#undef INIT
    for (long i = 0; i < iters; ++i) {
#define STEP(k) c##k = _mm_add_ss(_mm_mul_ss(c##k, va), vb);
        CHAINS(STEP)
#undef STEP
    }
    __m128 s = _mm_setzero_ps();
#define SUM(k) s = _mm_add_ss(s, c##k);
    CHAINS(SUM)
#undef SUM
    return _mm_cvtss_f32(s);
}

float peak_sse2(long iters, float a, float b) {
    const __m128 va = _mm_set1_ps(a), vb = _mm_set1_ps(b);
#define INIT(k) __m128 c##k = _mm_set1_ps(b + (float)k);
    CHAINS(INIT)
#undef INIT
    for (long i = 0; i < iters; ++i) {
#define STEP(k) c##k = _mm_add_ps(_mm_mul_ps(c##k, va), vb);
        CHAINS(STEP)
#undef STEP
    }
    __m128 s = _mm_setzero_ps();
#define SUM(k) s = _mm_add_ps(s, c##k);
    CHAINS(SUM)
#undef SUM
    return _mm_cvtss_f32(s);
}

}  // namespace bench
#endif
