// Host/device arithmetic of the CUDA backend: the device-arena layout, the split of rows into
// blocks and tiles, and which thread owns which parameter. No CUDA runtime calls here, so the
// CPU test suite checks this arithmetic on every CI run, GPU or not. Like every kernel header
// it knows nothing of dsc_config or dsc_model: the host trainer (lib/src/cuda/) fills these
// structs from them.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "../row_math.h"    // DSC_HD
#include "../train_math.h"  // TrainState, EpochRules

namespace dsc {
namespace cuda {

// Which row math a kernel runs (the host trainer maps the model kind onto it).
enum DevModel : uint32_t {
    kDevLinear = 0,      // b + w.x, MSE
    kDevLogistic = 1,    // logit b + w.x, BCE
    kDevPolynomial = 2,  // c_0 + c_1 x + ... + c_degree x^degree, MSE
    kDevLegendre3 = 3,   // a + b P3(c + d x), MSE
};

// The stop reason the kernels write when a step or a loss is not finite (= DSC_STOP_DIVERGED;
// epoch_end's codes likewise equal DSC_STOP_TOLERANCE and DSC_STOP_LR_MIN).
constexpr uint32_t kStopDiverged = 5;

constexpr uint32_t kThreads = 256;         // threads per block = rows per tile
constexpr uint32_t kParamsPerThread = 16;  // each thread owns params tid, tid + 256, ...
constexpr uint32_t kMaxParams = kThreads * kParamsPerThread;  // 4096
constexpr uint32_t kMaxBlocks = 1024;      // full-batch grid, and partial-sum slots

// Everything a kernel needs to know of the config, by value.
struct DevConfig {
    uint32_t kind;       // DevModel
    uint32_t d, degree, p;
    uint32_t mean;       // reduction: 1 mean, 0 sum
    uint32_t batch;      // 0 full batch
    uint32_t shuffle;
    uint64_t seed;
    uint64_t n;          // rows of this fit
    float momentum, dampening, weight_decay;
    uint32_t nesterov, has_momentum, invscaling;
    float power_t;
    EpochRules rules;
};

// Device-side training state: the host TrainState plus what a fit reports.
struct DevState {
    TrainState st;
    uint32_t stop;        // 0 while training, else a dsc_stop_reason (kStopDiverged, epoch_end)
    uint32_t epochs_run;  // epochs of this fit
    uint64_t steps_run;
    uint32_t counter;     // blocks finished in the current full-batch epoch
    uint32_t flags;       // validation: 1 = non-finite X or y, 2 = logistic label outside [0, 1]
    float lr_used;        // rate of the last step
    float last_loss;      // the last epoch's loss
    double final_loss;    // loss-only pass result
};

// Byte offsets in the caller's device arena (aligned to 256 bytes each).
struct DevLayout {
    uint64_t state, theta, buf, work, v, gram, partials, x, y, total;
};

DSC_HD uint64_t align256(uint64_t v) { return (v + 255) / 256 * 256; }

// p parameters, d input columns, up to max_samples rows copied from host memory.
DSC_HD DevLayout dev_layout(uint32_t p, uint32_t d, uint64_t max_samples) {
    DevLayout l;
    uint64_t cur = 0;
    l.state = cur;
    cur = align256(cur + sizeof(DevState));
    l.theta = cur;
    cur = align256(cur + 4ull * p);
    l.buf = cur;
    cur = align256(cur + 4ull * p);
    l.work = cur;
    cur = align256(cur + 4ull * p);
    l.v = cur;
    cur = align256(cur + 4ull * p);
    l.gram = cur;  // p Gram sums + max |phi|^2
    cur = align256(cur + 8ull * (p + 2));
    l.partials = cur;  // kMaxBlocks slots of p gradient sums + loss + max |phi|^2
    cur = align256(cur + 8ull * (p + 2) * kMaxBlocks);
    l.x = cur;
    cur = align256(cur + 4ull * d * max_samples);
    l.y = cur;
    cur = align256(cur + 4ull * max_samples);
    l.total = cur;
    return l;
}

// Full-batch grid: as many blocks as whole 256-row tiles allow, at most kMaxBlocks; each
// block takes an equal number of tiles (the last block fewer). A function of n only, so the
// partial sums and their fold order never depend on the device.
DSC_HD uint32_t grid_blocks(uint64_t n) {
    const uint64_t tiles = (n + kThreads - 1) / kThreads;
    return (uint32_t)(tiles < kMaxBlocks ? (tiles ? tiles : 1) : kMaxBlocks);
}
DSC_HD uint64_t rows_per_block(uint64_t n) {
    const uint64_t tiles = (n + kThreads - 1) / kThreads;
    const uint64_t blocks = grid_blocks(n);
    return (tiles + blocks - 1) / blocks * kThreads;
}
DSC_HD void block_rows(uint64_t n, uint32_t block, uint64_t *first, uint64_t *count) {
    const uint64_t rpb = rows_per_block(n);
    const uint64_t f = (uint64_t)block * rpb;
    *first = f < n ? f : n;
    *count = f < n ? (n - f < rpb ? n - f : rpb) : 0;
}

// The k-th parameter owned by thread t, or -1.
DSC_HD int owned_param(uint32_t t, uint32_t k, uint32_t p) {
    const uint32_t j = t + k * kThreads;
    return j < p ? (int)j : -1;
}

}  // namespace cuda
}  // namespace dsc
