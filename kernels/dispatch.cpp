// Picks a kernel table for a requested backend. Only the scalar path exists in this build;
// SIMD and CUDA tables slot in here as they land.
#include "descent.h"
#include "kernels.h"

namespace dsc {

const KernelTable *kernels_for(uint32_t backend) {
    switch (backend) {
        case DSC_BACKEND_AUTO:
        case DSC_BACKEND_SCALAR:
            return &kScalarKernels;
        default:
            return nullptr;
    }
}

}  // namespace dsc
