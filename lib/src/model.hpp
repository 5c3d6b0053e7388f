// The model as it lives in the caller's arena, and the internal interfaces between modules.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "descent.h"
#include "kernels.h"
#include "portable.hpp"

namespace dsc {

constexpr uint32_t kModelMagic = 0x4D435344u;  // "DSCM"
constexpr uint32_t kFlagPredictOnly = 1u;
// Set by dsc_fit for the duration of the fit (the on_epoch callback sees it). Runtime only:
// the blob writes its own flags, so this bit is never saved or loaded.
constexpr uint32_t kFlagInFit = 2u;
constexpr uint32_t kMaxFeatures = 1u << 24;
constexpr uint32_t kMaxTasks = 4096;
// Full-batch passes fold float block sums into one double per chunk of this many rows, then
// the chunk sums in chunk order: the same arithmetic whether chunks run on one thread or many.
constexpr size_t kChunkRows = 64 * kBlockRows;

// Byte offsets of the arrays that follow the header, all relative to the model itself (so a
// model never holds a pointer into its own arena). 0 = absent.
struct Layout {
    uint32_t params;    // float[p]            persistent
    uint32_t velocity;  // float[p]            persistent, momentum != 0
    uint32_t grad;      // double[p]           scratch: gradient / Gram product
    uint32_t chunk;     // double[p]           scratch: per-chunk sums (multi-chunk passes)
    uint32_t acc;       // float[p]            scratch: kernel block accumulators
    uint32_t work;      // float[p]            scratch: candidate params / power-iteration vector
    uint32_t idx;       // uint32[batch_size]  scratch: shuffled row indices
    uint32_t slots;     // n_slots task slots  scratch: per-task sums when parallel_for is set
    uint32_t slot_bytes;  // one slot: grad double[p], loss + max_sq double[2], acc float[p]
    uint32_t n_slots;
    uint32_t total;     // bytes from the model start to the end of the last array
};

}  // namespace dsc

struct dsc_model {
    uint32_t magic;
    uint32_t flags;
    uint32_t n_params;
    uint32_t blob_backend;  // the backend dsc_save writes: the config's, or the blob's it came from
    dsc_config cfg;
    dsc::TrainState st;
    dsc::Layout lay;
    const dsc::KernelTable *k;
};

namespace dsc {

template <typename T>
inline T *at(dsc_model *m, uint32_t off) {
    return off ? reinterpret_cast<T *>(reinterpret_cast<unsigned char *>(m) + off) : nullptr;
}
template <typename T>
inline const T *at(const dsc_model *m, uint32_t off) {
    return off ? reinterpret_cast<const T *>(reinterpret_cast<const unsigned char *>(m) + off)
               : nullptr;
}
inline float *params(dsc_model *m) { return at<float>(m, m->lay.params); }
inline const float *params(const dsc_model *m) { return at<float>(m, m->lay.params); }

// model.cpp
uint32_t param_count(const dsc_config &cfg);
bool is_linear_kind(uint32_t kind);
void reset_train_state(dsc_model *m);

// validate.cpp
dsc_status check_config(const dsc_config *cfg, const char **msg);
// training: also the limits of the training loop (shuffled row indices are 32-bit).
dsc_status check_data(const dsc_config &cfg, const float *X, const float *y, size_t n,
                      bool training, const char **msg);
bool all_finite(const float *v, size_t n);

// arena.cpp: sizing and placing share this one function.
// predict_only: header + parameters only.
bool compute_layout(const dsc_config &cfg, bool predict_only, Layout *lay);
dsc_status place_model(const dsc_config &cfg, bool predict_only, void *arena, size_t bytes,
                       dsc_model **out);

// train.cpp
dsc_status fit(dsc_model *m, const float *X, const float *y, size_t n, dsc_fit_report *rep);
// Loss and gradient of the current params, summed over a row set (chunk sums folded in order).
void lossgrad_pass(dsc_model *m, const RowSet &rs, double *grad, double *loss);
// Loss of the current params on all rows, reduced per cfg.reduction.
double full_loss(const dsc_model *m, const float *X, const float *y, size_t n);

// optim.cpp
struct StepInput {
    const double *grad;  // summed gradient over the batch
    double scale;        // 1/rows for mean, 1 for sum
    float lr;            // learning rate for this step
};
// Writes the candidate parameters to `out`; updates the momentum buffer. Returns false if a
// candidate parameter is not finite (the caller then keeps the old ones).
bool sgd_step(dsc_model *m, const StepInput &in, float *out);

// blob.cpp
uint32_t crc32(const void *data, size_t len, uint32_t crc);

}  // namespace dsc
