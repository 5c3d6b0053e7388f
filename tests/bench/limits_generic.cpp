// Portable probes (any target): plain C++ with eight scalar accumulators; the compiler may
// vectorise the read loop for the baseline ISA of the build.
#include "limits.h"

namespace bench {

double read_sum_generic(const float *p, size_t n) {
    float a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; ++k) a[k] += p[i + k];
    double s = 0;
    for (; i < n; ++i) s += p[i];
    for (int k = 0; k < 8; ++k) s += a[k];
    return s;
}

float peak_generic(long iters, float a, float b) {
    float c[12];
    for (int k = 0; k < 12; ++k) c[k] = b + (float)k;
    for (long i = 0; i < iters; ++i)
        for (int k = 0; k < 12; ++k) c[k] = c[k] * a + b;
    float s = 0;
    for (int k = 0; k < 12; ++k) s += c[k];
    return s;
}

}  // namespace bench
