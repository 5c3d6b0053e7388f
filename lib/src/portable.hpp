// Training arithmetic shared by the CPU loop and the CUDA kernels (host and device): the
// per-epoch shuffle and the per-parameter SGD update. One definition, so both paths shuffle the
// same rows and update parameters with the same float32 operations.
#pragma once

#include <stdint.h>

#include "row_math.h"  // DSC_HD

namespace dsc {

// ---- shuffle -----------------------------------------------------------------------------
// Per-epoch shuffling without memory proportional to n: a keyed 4-round Feistel network is a
// bijection on [0, 2^(2h)) with 2^(2h) >= n; cycle walking (re-applying it until the value
// falls below n) restricts it to a bijection of [0, n). Integer arithmetic only, so every
// platform and the GPU produce the same order for the same (seed, epoch).
struct Permutation {
    uint64_t n;
    uint64_t keys[4];
    uint32_t half_bits;
};

DSC_HD uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

DSC_HD void permutation_init(Permutation *p, uint64_t n, uint64_t seed, uint64_t epoch) {
    p->n = n;
    uint32_t bits = 2;
    while (bits < 64 && (1ull << bits) < n) ++bits;
    if (bits & 1u) ++bits;
    p->half_bits = bits / 2;
    uint64_t k = splitmix64(seed ^ splitmix64(epoch + 0x5851F42D4C957F2Dull));
    for (int i = 0; i < 4; ++i) p->keys[i] = k = splitmix64(k);
}

DSC_HD uint64_t permutation_apply(const Permutation &p, uint64_t i) {
    const uint64_t mask = (1ull << p.half_bits) - 1;
    uint64_t x = i;
    do {
        uint64_t l = x >> p.half_bits, r = x & mask;
        for (int k = 0; k < 4; ++k) {
            const uint64_t f = splitmix64(r ^ p.keys[k]) & mask;
            const uint64_t nl = r;
            r = l ^ f;
            l = nl;
        }
        x = (l << p.half_bits) | r;
    } while (x >= p.n);
    return x;
}

// ---- SGD update (torch.optim.SGD) ---------------------------------------------------------
//   g = grad (+ weight_decay * theta)                   coupled L2, before momentum
//   buf = g on the first step, else momentum * buf + (1 - dampening) * g
//   g = nesterov ? g + momentum * buf : buf
//   theta - lr * g
struct SgdCoeffs {
    float lr, momentum, dampening, weight_decay;
    bool nesterov, has_momentum;
};

DSC_HD float sgd_update(float theta, float g, float *buf, bool first, const SgdCoeffs &c) {
    if (c.weight_decay != 0.0f) g = g + c.weight_decay * theta;
    if (c.has_momentum) {
        *buf = first ? g : c.momentum * *buf + (1.0f - c.dampening) * g;
        g = c.nesterov ? g + c.momentum * *buf : *buf;
    }
    return theta + (-c.lr) * g;
}

}  // namespace dsc
