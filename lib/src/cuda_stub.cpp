// The CUDA backend of a build without DESCENT_CUDA: every entry point says so.
#include <string.h>

#include "cuda_glue.hpp"

namespace dsc {

static const char kNoCuda[] = "this build of descent has no CUDA backend (configure with -DDESCENT_CUDA=ON)";

dsc_status cuda_check_config(const dsc_config &, const char **msg) {
    if (msg) *msg = kNoCuda;
    return DSC_ERR_UNSUPPORTED;
}
dsc_status cuda_prepare(const dsc_config &, const char **msg) {
    if (msg) *msg = kNoCuda;
    return DSC_ERR_UNSUPPORTED;
}
size_t cuda_arena_size(const dsc_config &) { return 0; }
dsc_status cuda_fit(dsc_model *, const float *, const float *, size_t, dsc_fit_report *rep) {
    if (rep) rep->message = kNoCuda;
    return DSC_ERR_UNSUPPORTED;
}

}  // namespace dsc

extern "C" dsc_status dsc_cuda_query(int device, dsc_cuda_info *info) {
    if (info) {
        memset(info, 0, sizeof *info);
        info->device = device;
        info->message = dsc::kNoCuda;
    }
    return DSC_ERR_UNSUPPORTED;
}
