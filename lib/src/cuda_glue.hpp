// What the core needs from the CUDA backend. Built from lib/src/cuda/ (the host trainer, which
// launches kernels/cuda/'s device kernels) with DESCENT_CUDA=ON, from lib/src/cuda_stub.cpp
// otherwise.
#pragma once

#include "descent.h"

struct dsc_model;

namespace dsc {

// Structural checks of a CUDA config (build has CUDA, parameter limit). Device presence and
// the device arena are checked by cuda_prepare at dsc_create.
dsc_status cuda_check_config(const dsc_config &cfg, const char **msg);
dsc_status cuda_prepare(const dsc_config &cfg, const char **msg);
size_t cuda_arena_size(const dsc_config &cfg);
// X and y may be host or device pointers; nothing has been read from them yet.
dsc_status cuda_fit(dsc_model *m, const float *X, const float *y, size_t n, dsc_fit_report *rep);

}  // namespace dsc
