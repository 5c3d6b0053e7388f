// The CUDA device kernels, behind host-callable launch wrappers. Like the CPU kernel table they
// take pointers, sizes and the plain structs of cuda_layout.hpp, and know nothing of configs,
// models or status codes; the host trainer (lib/src/cuda/cuda_train.cpp) owns the arena, the
// copies and the epoch loop, and calls these.
//
// Full-batch GD: one launch per epoch. Block b reads rows [b R, (b+1) R) (R fixed by n alone,
// cuda_layout.hpp) in tiles of 256 rows: phase A, one thread per row, forms the output and the
// loss term; phase B, one thread per parameter, sums g_i * phi_ij over the tile (coalesced
// reads of the rows just touched). Each block writes its sums to its own slot; the last block
// to finish folds the slots in block order (deterministic, bit-for-bit repeatable), takes the
// SGD step on the device and runs the epoch's bookkeeping (train_math.h).
//
// Minibatch SGD: one launch per epoch, one block running every minibatch step of the epoch in
// order (the same Feistel shuffle as the CPU), so small batches are not launch-bound.
#pragma once

#include <cuda_runtime_api.h>
#include <stdint.h>

#include "cuda_layout.hpp"

namespace dsc {
namespace cuda {

// Where the kernels find their state in the device arena (offsets of DevLayout, resolved).
struct DevPtrs {
    DevState *st;
    float *theta, *buf, *work, *v;
    double *gram, *partials;
};

// What a full pass over the rows does with its sums.
enum PassMode {
    kTrain = 0,     // gradient, SGD step and epoch bookkeeping (skipped once st->stop is set)
    kGram = 1,      // Gram product with a.v into a.gram[0..p), max |phi|^2 into a.gram[p + 1]
    kLossOnly = 2,  // the loss at a.theta into st->final_loss
};

// Each returns the launch's cudaGetLastError(); the kernels run asynchronously on the default
// stream, in launch order.
// Full-batch pass over rows [0, c.n): grid_blocks(c.n) blocks of kThreads threads.
cudaError_t launch_full_pass(PassMode mode, const DevConfig &c, const float *X, const float *y,
                             const DevPtrs &a);
// One minibatch epoch (every step of it, in order): one block of kThreads threads.
cudaError_t launch_minibatch_epoch(const DevConfig &c, const float *X, const float *y, const DevPtrs &a);
// ORs into s->flags: 1 if X (n x d) or y holds NaN or Inf, 2 if logistic and a label is outside [0, 1].
cudaError_t launch_validate(const float *X, const float *y, uint64_t n, uint32_t d, int logistic, DevState *s);

}  // namespace cuda
}  // namespace dsc
