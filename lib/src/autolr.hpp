// The automatic step size, for any backend that can form Gram products over its data.
//
// lr = 1/L, L an estimate of the gradient's Lipschitz constant:
//   L = c * lambda_max(Phi^T Phi) / n      full batch, mean reduction (drop /n for sum)
//   L = n(b-1)/(b(n-1)) L_full + (n-b)/(b(n-1)) c max_i |phi_i|^2     minibatch of b rows (the
//       expected smoothness of b-row sampling; * b for sum); with momentum mu, / (1 - mu)
// plus weight_decay, with c = 2 for MSE (and squared epsilon-insensitive), 1 for Huber and
// 1/4 for BCE (sigmoid' <= 1/4). lambda_max comes
// from power iteration: |A v| for a unit v never exceeds lambda_max, and full-batch training in
// automatic mode halves the rate if the loss ever rises, which only a step above 2/L can cause.
#pragma once

#include <math.h>
#include <stdint.h>

#include "descent.h"

namespace dsc {

// gram(v, product, out, max_sq): out = sum_rows phi (phi . v) (when product), *max_sq = the
// largest |phi|^2, both weighted by the sample weights when the rows have them. `rows` rows
// count (weighted: those of nonzero weight), `wsum` is MEAN's divisor over them (the row count,
// or the weights' sum). v and w are scratch of p floats / p doubles.
template <class Gram>
float pick_lr(const dsc_config &c, uint32_t p, uint64_t rows, double wsum, float *v, double *w,
              Gram gram) {
    // Huber's second derivative is at most 1; squared epsilon-insensitive's at most 2, as MSE's.
    // SOFTMAX: the cross-entropy's Hessian is (diag(p) - p p^T) (x) phi phi^T per row, and
    // diag(p) - p p^T <= I / 2 (Boehning's bound), so phi's Gram matrix with c = 1/2 bounds it:
    // p is then the Gram vector's length, n_features + 1.
#ifndef DESCENT_NO_LOSSES
    double curv1 = c.kind == DSC_LOGISTIC ? 0.25 : c.loss == DSC_LOSS_HUBER ? 1.0 : 2.0;
#else
    double curv1 = c.kind == DSC_LOGISTIC ? 0.25 : 2.0;
#endif
#ifndef DESCENT_NO_SOFTMAX
    if (c.kind == DSC_SOFTMAX) curv1 = 0.5;
#endif
#ifndef DESCENT_NO_CLASS_WEIGHT
    // Class weights scale a row's curvature by its weight: at most the larger one.
    const double curv = curv1 * (c.class_weight[0] > c.class_weight[1] ? c.class_weight[0] : c.class_weight[1]);
#else  // check_config refuses config.class_weight
    const double curv = curv1;
#endif
    const double n = (double)rows;
    // lambda_max of Phi^T Phi by power iteration: the full-batch curvature.
    double norm = 0.0;
    for (uint32_t j = 0; j < p; ++j) {
        v[j] = 1.0f + 0.5f * (float)j / (float)p;
        norm += (double)v[j] * v[j];
    }
    for (uint32_t j = 0; j < p; ++j) v[j] = (float)(v[j] / sqrt(norm));
    double lam = 0.0, prev = 0.0, max_sq = 0.0;
    for (int it = 0; it < 50; ++it) {
        gram(v, true, w, &max_sq);
        double wn = 0.0;
        for (uint32_t j = 0; j < p; ++j) wn += w[j] * w[j];
        wn = sqrt(wn);
        if (!isfinite(wn)) return 1.17549435e-38f;  // float overflow: curvature beyond float
        if (!(wn > 0.0)) break;
        for (uint32_t j = 0; j < p; ++j) v[j] = (float)(w[j] / wn);
        if (wn > lam) lam = wn;
        if (it >= 4 && fabs(wn - prev) <= 1e-4 * wn) break;
        prev = wn;
    }
    // Per-sample (mean) curvature of the full batch. Weighted, a row's share is w_i / wsum, and
    // a b-row batch is divided by b times the mean weight wsum / n (train.cpp's step).
    const double L_full = curv * lam / wsum;
    const double wscale = wsum == n ? 1.0 : n / wsum;
    double L;
    if (c.batch_size == 0 || c.batch_size >= rows) {
        L = L_full * (c.reduction == DSC_REDUCTION_MEAN ? 1.0 : wsum);
    } else {
        // Expected smoothness of a b-row batch drawn without replacement (Gower et al. 2019,
        // "SGD: general analysis and improved rates", b-nice sampling): it moves from the
        // worst row's curvature (b = 1) to the full batch's (b = n), instead of bounding every
        // batch by the worst row.
        const double b = (double)c.batch_size;
        const double L_max = curv * max_sq * wscale;
        L = n * (b - 1.0) / (b * (n - 1.0)) * L_full + (n - b) / (b * (n - 1.0)) * L_max;
        if (c.reduction == DSC_REDUCTION_SUM) L *= b / wscale;
        // Momentum (or Nesterov) scales the steady-state stochastic step by 1 / (1 - momentum);
        // without this compensation, momentum 0.9 diverges on noisy minibatch gradients.
        L /= 1.0 - (double)c.momentum;
    }
    // The smooth part of the elastic-net penalty adds its curvature; the L1 part is the prox.
    L += (double)c.weight_decay;
#ifndef DESCENT_NO_PENALTY  // else alpha is 0
    L += (double)c.alpha * (1.0 - (double)c.l1_ratio);
#endif
    // Rows whose |phi|^2 overflows float have a curvature beyond float: the smallest normal rate.
    if (!isfinite(L)) return 1.17549435e-38f;
    if (!(L > 0.0)) return 1.0f;
    const double lr = 1.0 / L;
    return lr > 3.40282347e38 ? 3.40282347e38f : lr < 1.17549435e-38 ? 1.17549435e-38f : (float)lr;
}

}  // namespace dsc
