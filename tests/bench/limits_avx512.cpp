// AVX-512F probes (compiled with -mavx512f; run only where the CPU and OS support it).
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "limits.h"

namespace bench {

double read_sum_avx512(const float *p, size_t n) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,
           a7 = a0;
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        a0 = _mm512_add_ps(a0, _mm512_loadu_ps(p + i));
        a1 = _mm512_add_ps(a1, _mm512_loadu_ps(p + i + 16));
        a2 = _mm512_add_ps(a2, _mm512_loadu_ps(p + i + 32));
        a3 = _mm512_add_ps(a3, _mm512_loadu_ps(p + i + 48));
        a4 = _mm512_add_ps(a4, _mm512_loadu_ps(p + i + 64));
        a5 = _mm512_add_ps(a5, _mm512_loadu_ps(p + i + 80));
        a6 = _mm512_add_ps(a6, _mm512_loadu_ps(p + i + 96));
        a7 = _mm512_add_ps(a7, _mm512_loadu_ps(p + i + 112));
    }
    a0 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                       _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    float t[16];
    _mm512_storeu_ps(t, a0);
    double s = 0;
    for (int k = 0; k < 16; ++k) s += t[k];
    for (; i < n; ++i) s += p[i];
    return s;
}

#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

float peak_avx512(long iters, float a, float b) {
    const __m512 va = _mm512_set1_ps(a), vb = _mm512_set1_ps(b);
#define INIT(k) __m512 c##k = _mm512_set1_ps(b + (float)k);
    CHAINS(INIT)
#undef INIT
    for (long i = 0; i < iters; ++i) {
#define STEP(k) c##k = _mm512_fmadd_ps(c##k, va, vb);
        CHAINS(STEP)
#undef STEP
    }
    __m512 s = _mm512_setzero_ps();
#define SUM(k) s = _mm512_add_ps(s, c##k);
    CHAINS(SUM)
#undef SUM
    float t[16];
    _mm512_storeu_ps(t, s);
    return t[0] + t[5] + t[15];
}

}  // namespace bench
#endif
