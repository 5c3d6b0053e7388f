// Picks a kernel table for a requested backend. x86: decided at run time from CPUID, with
// XGETBV confirming the OS saves the AVX / AVX-512 register state; aarch64: NEON at compile
// time. Nothing is cached: the answer is recomputed per call (at model creation), so there is
// no global state to initialise and no race when many threads create models at once.
//
// DSC_BACKEND_AUTO may be overridden for tools and tests by the environment variable
// DESCENT_BACKEND=scalar|sse2|avx2|avx512|neon (builds without an environment, such as
// bare-metal firmware, define DESCENT_NO_GETENV). An explicit config backend wins over it.
// A name that is unknown, or a path this build or CPU cannot run, is ignored: a mistyped
// environment variable must not break AUTO models (nor loading their blobs); dsc_backend_name
// shows the path really taken.
#include <stdlib.h>
#include <string.h>

#include "descent.h"
#include "kernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#endif

namespace dsc {
namespace {

#if defined(__x86_64__) || defined(_M_X64)
struct X86Features {
    bool avx2_fma;
    bool avx512f;
    bool avx512_half_rate;  // AVX-512 executed as two 256-bit halves: slower than AVX2 here
};

X86Features detect_x86() {
    X86Features f = {false, false, false};
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    const bool osxsave = (c >> 27) & 1u, avx = (c >> 28) & 1u, fma = (c >> 12) & 1u;
    if (!osxsave || !avx) return f;
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    const bool ymm_state = (xcr0_lo & 0x6u) == 0x6u;     // SSE + AVX state
    const bool zmm_state = (xcr0_lo & 0xE6u) == 0xE6u;   // + opmask, ZMM0-15 hi, ZMM16-31
    if (__get_cpuid_max(0, nullptr) < 7) return f;
    __cpuid_count(7, 0, a, b, c, d);
    const bool avx2 = (b >> 5) & 1u, avx512f = (b >> 16) & 1u;
    f.avx2_fma = ymm_state && avx2 && fma;
    f.avx512f = zmm_state && avx512f && f.avx2_fma;
    // Vendor and family (CPUID leaf 0's vendor string, leaf 1's family with its extension).
    unsigned vmax, ebx, ecx, edx;
    __cpuid(0, vmax, ebx, ecx, edx);
    const bool amd = ebx == 0x68747541u && edx == 0x69746e65u && ecx == 0x444d4163u;  // AuthenticAMD
    __cpuid(1, a, b, c, d);
    const unsigned family = ((a >> 8) & 0xFu) == 0xFu ? 0xFu + ((a >> 20) & 0xFFu) : (a >> 8) & 0xFu;
    f.avx512_half_rate = amd && family == 0x19u;  // Zen 4: 512-bit ops split in two halves
    return f;
}
#endif

const KernelTable *table_if_available(uint32_t backend) {
    switch (backend) {
        case DSC_BACKEND_SCALAR: return &kScalarKernels;
#if defined(__x86_64__) || defined(_M_X64)
        case DSC_BACKEND_SSE2: return &kSse2Kernels;
        case DSC_BACKEND_AVX2: return detect_x86().avx2_fma ? &kAvx2Kernels : nullptr;
        case DSC_BACKEND_AVX512: return detect_x86().avx512f ? &kAvx512Kernels : nullptr;
#endif
#if defined(__aarch64__)
        case DSC_BACKEND_NEON: return &kNeonKernels;
#endif
        default: return nullptr;
    }
}

// AUTO picks the fastest path measured for the CPU kind, not the widest (tests/bench,
// `descent_bench --filter epoch`):
//   AMD family 19h (Zen 4) with AVX-512 -> AVX2: its 512-bit ops run as two 256-bit halves,
//     and the AVX-512 epoch measured slower than AVX2 (1,000,000 x 32 linear: 9.9 vs 8.9 ms);
//   other CPUs with AVX-512 (Intel since Skylake-SP, AMD Zen 5) -> AVX-512;
//   AVX2 + FMA -> AVX2; otherwise SSE2 (every x86-64 CPU).
uint32_t best_backend() {
#if defined(__x86_64__) || defined(_M_X64)
    const X86Features f = detect_x86();
    if (f.avx512f && !f.avx512_half_rate) return DSC_BACKEND_AVX512;
    return f.avx2_fma ? DSC_BACKEND_AVX2 : DSC_BACKEND_SSE2;
#elif defined(__aarch64__)
    return DSC_BACKEND_NEON;
#else
    return DSC_BACKEND_SCALAR;
#endif
}

}  // namespace

uint32_t backend_from_name(const char *name) {
    static const char *const kNames[] = {"auto", "scalar", "sse2", "avx2", "avx512", "neon", "cuda"};
    for (uint32_t i = 0; i < sizeof kNames / sizeof kNames[0]; ++i)
        if (strcmp(name, kNames[i]) == 0) return i;
    return 0xFFFFFFFFu;
}

uint32_t resolve_backend(uint32_t backend) {
    if (backend != DSC_BACKEND_AUTO) return backend;
#ifndef DESCENT_NO_GETENV
    if (const char *env = getenv("DESCENT_BACKEND")) {
        if (env[0] != '\0') {
            const uint32_t forced = backend_from_name(env);
            if (forced != DSC_BACKEND_AUTO && table_if_available(forced)) return forced;
        }
    }
#endif
    return best_backend();
}

const KernelTable *kernels_for(uint32_t backend) {
    return table_if_available(resolve_backend(backend));
}

}  // namespace dsc

extern "C" int dsc_backend_available(dsc_backend backend) {
    // Read as the integer a C caller may pass: loading an out-of-range value as the C++ enum
    // type would be undefined behaviour.
    // Through the underlying type: int-sized on hosted ABIs, one byte with arm-none-eabi's
    // short enums (__underlying_type: GCC and clang builtin, no <type_traits> on bare metal).
    __underlying_type(dsc_backend) raw;
    static_assert(sizeof raw <= sizeof(uint32_t), "an enum wider than 32 bits");
    memcpy(&raw, &backend, sizeof raw);
    const uint32_t b = (uint32_t)raw;
    return dsc::table_if_available(b == DSC_BACKEND_AUTO ? dsc::best_backend() : b) != nullptr;
}
