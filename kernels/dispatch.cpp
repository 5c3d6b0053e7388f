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
};

X86Features detect_x86() {
    X86Features f = {false, false};
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

uint32_t best_backend() {
#if defined(__x86_64__) || defined(_M_X64)
    const X86Features f = detect_x86();
    return f.avx512f ? DSC_BACKEND_AVX512 : f.avx2_fma ? DSC_BACKEND_AVX2 : DSC_BACKEND_SSE2;
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
