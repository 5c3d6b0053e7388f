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
// Per-epoch shuffling without memory proportional to n: a keyed Feistel network is a bijection
// on [0, 2^bits), 2^bits the smallest power of two >= n (bits >= 2); cycle walking (re-applying
// it until the value falls below n) restricts it to a bijection of [0, n).
// - The two halves are floor(bits/2) and ceil(bits/2) bits wide and trade places each round,
//   so the domain is under 2n and a walk takes fewer than 2 tries on average (a balanced
//   network needs an even bit count: up to 4 tries).
// - Row counts are 32-bit (n <= 2^32), so a half is at most 16 bits and the round function is
//   a 32-bit hash (one multiply instruction on a 32-bit microcontroller, where a 64-bit
//   multiply is several).
// - Rounds: 4 from 11 bits up; small domains take more (8 up to 10 bits, 16 up to 4 bits),
//   because 4 rounds on a few bits leave the order measurably non-uniform (test_shuffle's
//   chi-square test of positions and of pairs).
// Integer arithmetic only, so every platform and the GPU produce the same order for the same
// (seed, epoch).
struct Permutation {
    uint64_t n;
    uint32_t keys[4];  // round k's key: keys[k % 4] ^ (k / 4) * 0x9E3779B9
    uint32_t lo_bits;  // width of the low half (ceil(bits / 2))
    uint32_t hi_bits;  // width of the high half (floor(bits / 2))
    uint32_t rounds;   // even: the halves end at their starting widths
};

DSC_HD uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// n <= 2^32 (callers hold 32-bit row indices).
DSC_HD void permutation_init(Permutation *p, uint64_t n, uint64_t seed, uint64_t epoch) {
    p->n = n;
    uint32_t bits = 2;
    while (bits < 32 && (1ull << bits) < n) ++bits;
    p->hi_bits = bits / 2;
    p->lo_bits = bits - bits / 2;
    p->rounds = bits <= 4 ? 16u : bits <= 10 ? 8u : 4u;
    uint64_t k = splitmix64(seed ^ splitmix64(epoch + 0x5851F42D4C957F2Dull));
    for (int i = 0; i < 4; ++i) {
        k = splitmix64(k);
        p->keys[i] = (uint32_t)(k >> 32);
    }
}

// Loop unrolling by 4 (GCC's and clang's pragma; none in CUDA sources, whose front end and host
// pass each reject the other's spelling).
#if defined(__CUDACC__)
#define DSC_UNROLL4
#elif defined(__GNUC__)
#define DSC_UNROLL4 _Pragma("GCC unroll 4")
#else
#define DSC_UNROLL4
#endif

// One pass of the network: x = (high, low) -> (low, high ^ F(low)) per round, F(r) =
// mix32(r ^ key) cut to the high half's width, mix32 the 32-bit multiply-xorshift hash
// x ^= x >> 16; x *= 0x7FEB352D; x ^= x >> 15; x *= 0x846CA68B; x ^= x >> 16 (Wellons'
// "lowbias32" constants, found by search for low bias). kRounds: the round count when known
// at compile time (the 4-round loop then unrolls with constant widths), 0 to read it from p.
template <uint32_t kRounds>
DSC_HD uint32_t feistel(const Permutation &p, uint32_t x) {
    const uint32_t rounds = kRounds ? kRounds : p.rounds;
    uint32_t wl = p.lo_bits, wh = p.hi_bits;
    uint32_t l = x >> wl, r = x & ((1u << wl) - 1u);
    DSC_UNROLL4
    for (uint32_t k = 0; k < rounds; ++k) {
        const uint32_t key = p.keys[k & 3u] ^ (k >> 2) * 0x9E3779B9u;
        // mix32(r ^ key), its first step folded into the key: r < 2^16, so
        // (r ^ key) >> 16 == key >> 16.
        uint32_t h = r ^ key ^ (key >> 16);
        h *= 0x7FEB352Du;
        h ^= h >> 15;
        h *= 0x846CA68Bu;
        const uint32_t t = l ^ ((h ^ (h >> 16)) & ((1u << wh) - 1u));
        l = r;
        r = t;
        const uint32_t w = wl;
        wl = wh;
        wh = w;
    }
    return (l << wl) | r;
}

DSC_HD uint64_t permutation_apply(const Permutation &p, uint64_t i) {
    uint32_t x = (uint32_t)i;
    do x = feistel<0>(p, x);
    while (x >= p.n);
    return x;
}

// out[i] = permutation_apply(p, first + i) for i < cnt: the same values, 64 positions at a
// time. The first try of every position runs as one loop of independent hash chains; the
// positions that landed outside [0, n) are listed (branch-free: landing inside is a coin flip
// no predictor can learn) and walk on together, each sweep over the shorter list. GCC must
// not vectorize these loops: the baseline ISA has no 32-bit vector multiply, and its
// emulation measured 2-3x slower than scalar code.
#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#define DSC_NO_VECTORIZE __attribute__((optimize("no-tree-vectorize")))
#else
#define DSC_NO_VECTORIZE
#endif
template <uint32_t kRounds>
DSC_NO_VECTORIZE DSC_HD void permutation_sweeps(const Permutation &p, uint64_t first, size_t cnt,
                                                uint32_t *out) {
    constexpr size_t kGroup = 64;
    const Permutation q = p;  // a local copy: the stores to out cannot alias its keys
    uint8_t todo[kGroup] = {};
    for (size_t base = 0; base < cnt; base += kGroup) {
        size_t c = cnt - base;
        if (c > kGroup) c = kGroup;
        uint32_t *o = out + base;
        const uint32_t x0 = (uint32_t)(first + base);
        size_t m = 0;
        DSC_UNROLL4
        for (size_t i = 0; i < c; ++i) {
            const uint32_t y = feistel<kRounds>(q, x0 + (uint32_t)i);
            o[i] = y;
            todo[m] = (uint8_t)i;
            m += y >= q.n;
        }
        while (m) {
            size_t m2 = 0;
            for (size_t j = 0; j < m; ++j) {
                const uint8_t i = todo[j];
                const uint32_t y = feistel<kRounds>(q, o[i]);
                o[i] = y;
                todo[m2] = i;
                m2 += y >= q.n;
            }
            m = m2;
        }
    }
}

// On 32-bit targets (microcontrollers) the list costs dsc_fit's stack, so there the indices
// are evaluated one at a time (the same values).
DSC_HD void permutation_apply_batch(const Permutation &p, uint64_t first, size_t cnt, uint32_t *out) {
#if defined(__SIZEOF_POINTER__) && __SIZEOF_POINTER__ < 8
    for (size_t i = 0; i < cnt; ++i) out[i] = (uint32_t)permutation_apply(p, first + i);
#else
    if (p.rounds == 4) permutation_sweeps<4>(p, first, cnt, out);
    else permutation_sweeps<0>(p, first, cnt, out);
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
