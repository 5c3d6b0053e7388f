// Training arithmetic shared by the CPU loop and the CUDA kernels (host and device): the
// per-epoch shuffle, the per-parameter SGD update and the end-of-epoch rules. One definition,
// so both paths shuffle the same rows and update parameters with the same float32 operations.
// It lives in kernels/ because device code needs it, and kernels/ includes nothing from lib/;
// lib/ reaches it through lib/src/portable.hpp.
#pragma once

#include <math.h>
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

// One Feistel pass (4 rounds) of permutation_apply's cycle walk on four values at once, written
// out lane by lane so the compiler keeps them in scalar registers (a loop over lanes gets
// vectorized with 64-bit multiplies the baseline ISA lacks) and their hash chains overlap.
DSC_HD void feistel4(const Permutation &p, uint64_t *x) {
    const uint64_t mask = (1ull << p.half_bits) - 1;
    const uint32_t hb = p.half_bits;
    uint64_t l0 = x[0] >> hb, r0 = x[0] & mask, l1 = x[1] >> hb, r1 = x[1] & mask;
    uint64_t l2 = x[2] >> hb, r2 = x[2] & mask, l3 = x[3] >> hb, r3 = x[3] & mask;
    for (int q = 0; q < 4; ++q) {
        const uint64_t key = p.keys[q];
        const uint64_t f0 = splitmix64(r0 ^ key) & mask, f1 = splitmix64(r1 ^ key) & mask;
        const uint64_t f2 = splitmix64(r2 ^ key) & mask, f3 = splitmix64(r3 ^ key) & mask;
        uint64_t t = r0;
        r0 = l0 ^ f0;
        l0 = t;
        t = r1;
        r1 = l1 ^ f1;
        l1 = t;
        t = r2;
        r2 = l2 ^ f2;
        l2 = t;
        t = r3;
        r3 = l3 ^ f3;
        l3 = t;
    }
    x[0] = (l0 << hb) | r0;
    x[1] = (l1 << hb) | r1;
    x[2] = (l2 << hb) | r2;
    x[3] = (l3 << hb) | r3;
}

// out[i] = permutation_apply(p, first + i) for i < cnt: the same values, four evaluations at a
// time in lockstep (a minibatch's indices were most of a batch-32 SGD step's time). A lane whose
// value lands outside [0, n) walks again; lanes already inside keep theirs.
// On 32-bit targets (microcontrollers) four 64-bit lanes do not fit the register file: the
// spills cost ~200 bytes of dsc_fit's stack on a Cortex-M4, so there the indices are evaluated
// one at a time (the same values).
DSC_HD void permutation_apply_batch(const Permutation &p, uint64_t first, size_t cnt, uint32_t *out) {
#if defined(__SIZEOF_POINTER__) && __SIZEOF_POINTER__ < 8
    for (size_t i = 0; i < cnt; ++i) out[i] = (uint32_t)permutation_apply(p, first + i);
#else
    for (size_t base = 0; base < cnt; base += 4) {
        uint64_t x[4], y[4];
        uint32_t pending = 0;
        for (size_t k = 0; k < 4; ++k) {
            const bool used = base + k < cnt;  // lanes past the batch repeat its first index
            x[k] = first + base + (used ? k : 0);
            pending |= (uint32_t)used << k;
        }
        while (pending) {
            for (size_t k = 0; k < 4; ++k) y[k] = x[k];
            feistel4(p, y);
            // Branch-free: whether a walk lands inside is a coin flip no predictor can learn.
            for (size_t k = 0; k < 4; ++k) {
                const uint32_t live = (pending >> k) & 1u;
                const uint64_t sel = 0 - (uint64_t)live;
                x[k] = (y[k] & sel) | (x[k] & ~sel);
                pending &= ~((live & (uint32_t)(y[k] < p.n)) << k);
            }
        }
        for (size_t k = 0; k < 4 && base + k < cnt; ++k) out[base + k] = (uint32_t)x[k];
    }
#endif
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

// ---- proximal step of the L1 penalty (soft-thresholding) ----------------------------------
//   theta = sign(theta) max(|theta| - thr, 0),   thr = lr_t * alpha * l1_ratio
// in float32; |theta| <= thr gives an exact +0.
DSC_HD float soft_threshold(float theta, float thr) {
    if (theta > thr) return theta - thr;
    if (theta < -thr) return theta + thr;
    // A NaN candidate stays NaN, so the caller's finiteness check refuses the step (and the
    // momentum buffer that produced it is reset); mapping it to 0 would accept a step from a
    // non-finite buffer (fuzz_fit found that).
    return theta == theta ? 0.0f : theta;
}

// ---- schedules and the end of an epoch -----------------------------------------------------
struct TrainState {
    uint64_t step;        // optimizer steps taken so far (1-based t of the next is step + 1)
    uint32_t epoch;       // epochs completed so far (keys the shuffle permutation)
    uint32_t has_buf;     // momentum buffer holds a value (torch: first step sets buf = g)
    float lr;             // learning rate in force; 0 = automatic rate not picked yet
    float best_loss;      // best per-sample epoch loss (tol / adaptive), +inf at start
    float prev_loss;      // last epoch's loss (automatic-rate safeguard), +inf at start
    uint32_t no_improve;  // epochs without improvement by tol
};

// Inverse scaling: lr_t = lr / t^power_t (t = the step being taken, from 1), in float:
// lr * e^(-power_t ln t), so microcontrollers without a double FPU need no double pow.
DSC_HD float scheduled_lr(bool invscaling, float power_t, float base, uint64_t t) {
    if (!invscaling || power_t == 0.0f) return base;
    return base * expf(-power_t * logf((float)t));
}

struct EpochRules {
    bool safeguard;      // automatic rate, full batch, no momentum: halve lr if the loss rises
    bool adaptive;       // scikit-learn's adaptive schedule
    float tol;           // < 0: off
    uint32_t patience;   // n_iter_no_change
    double per_sample;   // epoch loss -> per-sample loss (1, or 1/n for sum reduction)
#ifndef DESCENT_NO_EARLY_STOP  // (firmware: not in the frame of dsc_fit's deepest path)
    // Early stopping: the tol rule watches `watch` (the per-sample held-out loss) instead of
    // the epoch loss. No default member initializers: the CUDA trainer's device config, which
    // holds these rules, is cleared with memset and must stay trivial.
    bool watch_set;
    double watch;
#endif
};

// Bookkeeping after an epoch whose loss was finite: the safeguard, then scikit-learn's
// n_iter_no_change rule (adaptive: lr /= 5 while lr > 1e-6). Returns 0 to go on, else a
// dsc_stop_reason (DSC_STOP_TOLERANCE = 2, DSC_STOP_LR_MIN = 4).
DSC_HD uint32_t epoch_end(TrainState &st, const EpochRules &r, double epoch_loss) {
    if (r.safeguard && epoch_loss > (double)st.prev_loss * (1.0 + 1e-6)) st.lr *= 0.5f;
    st.prev_loss = (float)epoch_loss;
    if (r.tol < 0.0f) return 0;
#ifndef DESCENT_NO_EARLY_STOP
    const double ps = r.watch_set ? r.watch : epoch_loss * r.per_sample;
#else
    const double ps = epoch_loss * r.per_sample;
#endif
    if (ps > (double)st.best_loss - (double)r.tol) st.no_improve += 1;
    else st.no_improve = 0;
    if (ps < (double)st.best_loss) st.best_loss = (float)ps;
    if (st.no_improve < r.patience) return 0;
    if (!r.adaptive) return 2;
    if (st.lr > 1e-6f) {
        st.lr /= 5.0f;
        st.no_improve = 0;
        return 0;
    }
    return 4;
}

}  // namespace dsc
