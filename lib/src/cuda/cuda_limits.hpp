// What the CUDA backend can train, as a function of the config alone (no CUDA runtime here, so
// the CPU suite checks it in every build).
#pragma once

#include <stdint.h>

#include "cuda/cuda_layout.hpp"  // kMaxParams
#include "descent.h"

namespace dsc {
namespace cuda {

// The CUDA kernels keep one gradient sum per owned parameter in registers.
inline bool param_limit_exceeded(const dsc_config &cfg) {
    const uint64_t p = cfg.kind == DSC_POLYNOMIAL ? cfg.degree + 1ull
                       : cfg.kind == DSC_LEGENDRE3 ? 4ull : cfg.n_features + 1ull;
    return p > kMaxParams;
}

}  // namespace cuda
}  // namespace dsc
