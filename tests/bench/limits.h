// Machine-limit probes for the benchmark: streaming-read sums and in-register FMA chains, one
// translation unit per instruction set, each compiled with that set's flags only (like the
// library's kernels), so the harness can pick at run time what this CPU can execute.
#pragma once

#include <stddef.h>

namespace bench {

// Sum of p[0..n): eight independent vector accumulators, unaligned loads. Returns the sum so
// the loads cannot be optimised away.
typedef double (*ReadSumFn)(const float *p, size_t n);
// `iters` rounds of 12 independent multiply-add chains held in registers; returns a value
// that depends on every chain. Flops per call = iters * 12 * lanes * 2.
typedef float (*PeakFn)(long iters, float a, float b);

struct Probe {
    const char *isa;   // "scalar", "sse2", "avx2+fma", "avx512f", "generic"
    int lanes;         // float lanes per chain
    bool fused;        // true: one FMA instruction per multiply-add
    ReadSumFn read;    // may be null (no vector read for this ISA)
    PeakFn peak;
};

double read_sum_generic(const float *p, size_t n);
float peak_generic(long iters, float a, float b);
#if defined(__x86_64__) || defined(_M_X64)
double read_sum_sse2(const float *p, size_t n);
float peak_scalar_sse(long iters, float a, float b);
float peak_sse2(long iters, float a, float b);
double read_sum_avx2(const float *p, size_t n);
float peak_avx2(long iters, float a, float b);
double read_sum_avx512(const float *p, size_t n);
float peak_avx512(long iters, float a, float b);
#endif

}  // namespace bench
